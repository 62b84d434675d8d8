#!/bin/sh
# Selection benchmark (docs/cli/select.md "Performance"): 1k, 10k and 100k
# candidates against 1,000 CA names; prints median times per profile.
# Builds bench/select_bench.c against build/libcertpick.a (run ninja -C build first).
# usage: bench/select.sh [SIZES...]
set -eu
cd "$(dirname "$0")/.."
[ -f build/libcertpick.a ] || { echo "bench: build first (meson setup build && ninja -C build)" >&2; exit 2; }
out=build/bench
mkdir -p "$out"
# shellcheck disable=SC2046
cc -std=c17 -O2 -D_GNU_SOURCE -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED \
	-Iinclude -Isrc/lib -Ibuild -o "$out/select_bench" bench/select_bench.c build/libcertpick.a \
	$(pkg-config --libs openssl jansson libevent libevent_openssl nss libp11) -lhttp_parser -lpthread
sizes=${*:-1000 10000 100000}
echo "# certpick select benchmark: $(uname -m), $(nproc) CPU, $(date -u +%Y-%m-%d)"
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $sizes; do
	runs=3
	[ "$n" -ge 100000 ] && runs=1
	"$out/select_bench" "$n" "$runs"
done
