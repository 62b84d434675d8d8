#!/bin/sh
# Install the Debian packages certpick needs to build and test.
# Usage: scripts/deps.sh build|check|bench      install what is missing
#        scripts/deps.sh list build|check|bench print the package list, one a line
# As root, missing packages are installed with apt-get; otherwise the exact
# command is printed and the script exits 1.
# Every program, Python module, library and data file a test uses comes from
# these lists: tests/deps_lint.py (part of tests/lint.sh) fails when one does not.
set -eu
what=${1:-build}
list=no
if [ "$what" = list ]; then
	list=yes
	what=${2:-build}
fi

build_pkgs="gcc clang make pkg-config meson ninja-build libssl-dev openssl
libevent-dev libjansson-dev libnss3-dev libp11-dev libhttp-parser-dev
libpcap-dev"

check_pkgs="$build_pkgs libcmocka-dev libclang-rt-14-dev llvm python3 python3-pytest
nginx-light apache2 gnutls-bin curl libnss3-tools softhsm2 opensc-pkcs11 p11-kit
golang-go default-jdk-headless chromium faketime procps iproute2 man-db groff-base
libgnutls28-dev ca-certificates fonts-liberation time python3-cryptography valgrind firefox-esr
tcpdump tshark"

# only for bench/probe.sh (its sslscan column)
bench_pkgs="sslscan bc"

case $what in
build) pkgs=$build_pkgs ;;
bench) pkgs=$bench_pkgs ;;
check) pkgs=$check_pkgs ;;
*) echo "usage: $0 build|check|bench" >&2; exit 2 ;;
esac
if [ $list = yes ]; then
	printf '%s\n' $pkgs
	exit 0
fi

missing=""
for p in $pkgs; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "certpick: missing Debian packages:$missing" >&2
	echo "certpick: run as root:  apt-get update && $cmd" >&2
	exit 1
fi
echo "certpick: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
