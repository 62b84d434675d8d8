#!/bin/sh
# bench/scale.sh: the whole commands a user runs over many identities
# (issue 16), beside `openssl verify -purpose sslclient` over the same
# certificates, in one run: wall, user CPU and peak RSS (/usr/bin/time), the
# ratio to openssl and the growth per 10x. Never a test.
#   bench/scale.sh [SIZES...]        default: 1000 10000 (add 100000 for 100k)
# Fixtures (1,000 CA names; N identity files, one certificate + its P-256 key
# each; one PEM bundle of 10,000 certificates) are made once by
# bench/scale_gen.py and cached in $CERTPICK_SCALE_DIR (default
# /tmp/certpick-scale); 100k takes a few minutes to make, and so does the NSS
# database of 10,000 identities (CERTPICK_SCALE_NSS=N for another size, 0 for
# none).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CERTPICK=${CERTPICK:-$ROOT/build/certpick}
W=${CERTPICK_SCALE_DIR:-/tmp/certpick-scale}
SIZES=${*:-1000 10000}
[ -x "$CERTPICK" ] || { echo "bench: build first (make build)" >&2; exit 2; }
mkdir -p "$W"
max=0
for n in $SIZES; do [ "$n" -gt "$max" ] && max=$n; done
[ "$max" -lt 10000 ] && max=10000
echo "# making fixtures in $W (cached) ..." >&2
/usr/bin/python3 bench/scale_gen.py "$W" "$max"

# DIR/id-N and DIR/crt-N: hard links to the first N identities / certificates
subset() {
	d="$W/$1-$2"
	[ -f "$d/.done" ] && return 0
	rm -rf "$d" && mkdir -p "$d"
	(cd "$W/$3" && ls | grep '^[0-9]*\.pem$' | head -n "$2" | xargs ln -t "$d")
	touch "$d/.done"
}
for n in $SIZES 10000; do
	subset id "$n" pool
	subset crt "$n" certs
done
[ -f "$W/bundle-10000.pem" ] || cat "$W"/crt-10000/*.pem >"$W/bundle-10000.pem"

# An NSS database with NSS_N identities (self-signed P-256, trust u,u,u), made
# once with one `certutil -B` batch; on a tmpfs (/dev/shm) when there is one,
# since NSS's SQLite writes each identity in its own transaction (about 40 a
# second on /dev/shm, a few a second on a disk under load), then copied.
NSS_N=${CERTPICK_SCALE_NSS:-10000}
nss_db() {
	d="$W/nss-$NSS_N"
	[ -f "$d/.done" ] && return 0
	command -v certutil >/dev/null || return 1
	echo "# making an NSS database of $NSS_N identities (cached; minutes) ..." >&2
	tmp=$(mktemp -d "${CERTPICK_SCALE_FAST:-/dev/shm}/certpick-nss.XXXXXX" 2>/dev/null || mktemp -d)
	certutil -N -d "sql:$tmp" --empty-password
	head -c 2048 /dev/urandom >"$tmp/noise"
	i=1
	while [ "$i" -le "$NSS_N" ]; do
		echo "-S -n id$i -s CN=ScaleNSS$i,O=certpick-scale -x -t u,u,u -k ec -q nistp256 -z $tmp/noise -v 120 -m $i"
		i=$((i + 1))
	done >"$tmp/batch"
	certutil -B -i "$tmp/batch" -d "sql:$tmp" >/dev/null 2>&1
	rm -rf "$d" && mkdir -p "$d" && cp "$tmp"/*.db "$tmp"/pkcs11.txt "$d/" 2>/dev/null
	rm -rf "$tmp"
	touch "$d/.done"
}
if [ "$NSS_N" -gt 0 ]; then nss_db || echo "# no certutil: no NSS case" >&2; fi
mkdir -p "$W/empty" && cp "$W/pool/000000.pem" "$W/empty/"

T=$(mktemp)
trap 'rm -f "$T"' EXIT INT TERM
# run NAME N CMD...: one line "NAME N wall user rss_kb"
run() {
	name=$1 n=$2
	shift 2
	/usr/bin/time -f '%e %U %M' -o "$T" "$@" >/dev/null 2>&1 || true
	echo "$name $n $(tail -n 1 "$T")"
}

echo "certpick scale bench: $(nproc) cores, $(openssl version), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load at start: $(uptime | sed 's/.*load/load/')"
R=$(mktemp)
trap 'rm -f "$T" "$R"' EXIT INT TERM
{
	run baseline-check 1 "$CERTPICK" check --json "$W/empty"
	for n in $SIZES; do
		run select "$n" "$CERTPICK" select --client chrome --ca-names "$W/cas.pem" --json "$W/id-$n"
		run check "$n" "$CERTPICK" check --json "$W/id-$n"
		# openssl verify over the same certificates, one file each (xargs: a few processes)
		run openssl-verify "$n" sh -c 'find "$1" -name "*.pem" -print0 |
			xargs -0 openssl verify -purpose sslclient -CAfile "$2"' sh "$W/crt-$n" "$W/cas.pem"
	done
	run check-certs-files 10000 "$CERTPICK" check --json "$W/crt-10000"
	run check-bundle 10000 "$CERTPICK" check --json "$W/bundle-10000.pem"
	run select-bundle 10000 "$CERTPICK" select --client chrome --ca-names "$W/cas.pem" --json "$W/bundle-10000.pem"
	[ "$NSS_N" -gt 0 ] && [ -f "$W/nss-$NSS_N/.done" ] &&
		run select-nssdb "$NSS_N" "$CERTPICK" select --client firefox --json --nssdb "$W/nss-$NSS_N"
} | tee "$R" >/dev/null
echo "load at end:   $(uptime | sed 's/.*load/load/')"
echo
awk '
{ key = $1; n = $2; wall[key, n] = $3; user[key, n] = $4; rss[key, n] = $5; order[++k] = key " " n }
END {
	printf "%-22s %7s %8s %8s %9s %9s %9s %9s %10s %10s\n", "command", "N", "wall s", "user s", "peak MB", "KiB/cand", "user/ossl", "wall/ossl", "10x: user", "10x: wall"
	for (i = 1; i <= k; i++) {
		split(order[i], a, " "); key = a[1]; n = a[2]
		ossl = "openssl-verify"
		ou = user[ossl, n]; ow = wall[ossl, n]
		ru = (ou > 0 && key !~ /^openssl/) ? sprintf("%.2f", user[key, n] / ou) : "-"
		rw = (ow > 0 && key !~ /^openssl/) ? sprintf("%.2f", wall[key, n] / ow) : "-"
		per = (key !~ /^openssl|baseline/ && n > 1) ? sprintf("%.1f", (rss[key, n] - rss["baseline-check", 1]) / n) : "-"
		g = (wall[key, n / 10] > 0) ? sprintf("%.1f", wall[key, n] / wall[key, n / 10]) : "-"
		gu = (user[key, n / 10] > 0) ? sprintf("%.1f", user[key, n] / user[key, n / 10]) : "-"
		printf "%-22s %7d %8.2f %8.2f %9.1f %9s %9s %9s %10s %10s\n", key, n, wall[key, n], user[key, n], rss[key, n] / 1024, per, ru, rw, gu, g
	}
}' "$R"
echo
echo "10x: growth from N/10 to N (user CPU, wall). user/ossl and wall/ossl: against openssl"
echo "verify -purpose sslclient over the same N certificate files (xargs,"
echo "one process per ~5,000 files); KiB/cand: peak RSS above the one-file check, per identity."
echo "The machine is shared: compare ratios within one run, not absolute times across runs."
