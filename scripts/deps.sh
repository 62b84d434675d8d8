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

# the real peers of tests/integration/peers.py and db_peers.py (each run by the tests from
# a temporary directory, never as a system service) and their cross-check clients
peer_pkgs="postfix dovecot-imapd dovecot-pop3d slapd ldap-utils vsftpd prosody prosody-modules
swaks libnet-ssleay-perl postgresql postgresql-client mariadb-server mariadb-client mosquitto
mosquitto-clients"

check_pkgs="$build_pkgs libcmocka-dev libclang-rt-14-dev llvm python3 python3-pytest
nginx-light apache2 gnutls-bin curl libnss3-tools softhsm2 opensc-pkcs11 p11-kit
golang-go default-jdk-headless chromium faketime procps iproute2 man-db groff-base
libgnutls28-dev ca-certificates fonts-liberation time python3-cryptography valgrind firefox-esr
tcpdump tshark $peer_pkgs"

# the formatter tests/lint.sh runs (.clang-format: the layout of every C file)
check_pkgs="$check_pkgs clang-format"

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
# The peers' packages would start system daemons (postfix on :25, slapd on :389, dovecot,
# vsftpd, prosody). The tests never use them (they run their own instances), so none is
# started: a policy-rc.d that denies every start is in place for the install (one already
# there, as in a container, is kept), and postfix is left unconfigured.
policy=/usr/sbin/policy-rc.d
own_policy=no
if [ ! -e $policy ]; then
	printf '#!/bin/sh\n# certpick scripts/deps.sh: no daemon starts while it installs\nexit 101\n' >$policy
	chmod 755 $policy
	own_policy=yes
	trap 'rm -f $policy' EXIT
fi
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
if [ $own_policy = yes ]; then
	rm -f $policy
	trap - EXIT
fi
# nor at the next boot, for the daemons this run installed (a machine that had them keeps them)
if [ -d /run/systemd/system ]; then
	units=""
	for p in $missing; do
		case $p in
		slapd | vsftpd | prosody | postfix) units="$units $p" ;;
		dovecot-imapd | dovecot-pop3d) units="$units dovecot" ;;
		esac
	done
	if [ -n "$units" ]; then
		echo "certpick: not started at boot (the tests run their own):$units" >&2
		# shellcheck disable=SC2086
		systemctl disable --quiet $units >&2 || true
	fi
fi
