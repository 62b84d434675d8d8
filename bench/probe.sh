#!/bin/sh
# bench/probe.sh: certpick probe against openssl s_client (and sslscan when
# installed), side by side in one run, against a local nginx with
# `ssl_verify_client on`. Prints wall times and ratios; never a test.
#   bench/probe.sh [N_PROBES=500] [JOBS=16] [RUNS=20]
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CERTPICK=${CERTPICK:-$ROOT/build/certpick}
N=${1:-500}
J=${2:-16}
RUNS=${3:-20}
TMP=$(mktemp -d)
NGINX_PID=
cleanup() {
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

/usr/bin/python3 tests/integration/pki.py "$TMP/pki" >/dev/null
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$TMP/nginx/logs"
USER_LINE=
[ "$(id -u)" = 0 ] && USER_LINE="user root;"
cat >"$TMP/nginx/nginx.conf" <<CONF
$USER_LINE
daemon off;
worker_processes 2;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log crit;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    server {
        listen 127.0.0.1:$PORT ssl backlog=1024;
        server_name localhost;
        ssl_certificate $TMP/pki/server.pem;
        ssl_certificate_key $TMP/pki/server.key;
        ssl_verify_client on;
        ssl_client_certificate $TMP/pki/ca-roots-AB.pem;
        location / { return 200 "ok\n"; }
    }
}
CONF
nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" &
NGINX_PID=$!
i=0
until "$CERTPICK" probe --timeout 1 "127.0.0.1:$PORT" >/dev/null 2>&1 || [ $? = 1 ]; do
	i=$((i + 1)); [ $i -gt 50 ] && { echo "nginx did not start" >&2; exit 1; }
	sleep 0.1
done
T=127.0.0.1:$PORT

echo "certpick probe bench: nginx ssl_verify_client on at $T, $(nproc) cores, $(openssl version)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "== one probe, median of $RUNS runs (wall seconds)"
for tool in certpick s_client; do
	: >"$TMP/$tool.times"
	r=0
	while [ $r -lt "$RUNS" ]; do
		t0=$(now)
		if [ $tool = certpick ]; then
			"$CERTPICK" probe --servername localhost "$T" >/dev/null 2>&1 || true
		else
			openssl s_client -connect "$T" -servername localhost </dev/null >/dev/null 2>&1 || true
		fi
		elapsed "$t0" "$(now)" >>"$TMP/$tool.times"
		r=$((r + 1))
	done
done
ONE_CP=$(median <"$TMP/certpick.times")
ONE_SC=$(median <"$TMP/s_client.times")
printf '%-40s %8.4f s\n' "certpick probe" "$ONE_CP"
printf '%-40s %8.4f s\n' "openssl s_client </dev/null" "$ONE_SC"
printf '%-40s %8.2f x\n' "s_client / certpick" "$(echo "$ONE_SC / $ONE_CP" | bc -l)"

echo
echo "== $N probes, $J at a time (wall seconds)"
i=0
: >"$TMP/targets"
while [ $i -lt "$N" ]; do echo "$T" >>"$TMP/targets"; i=$((i + 1)); done
/usr/bin/time -f "%e %U %S" -o "$TMP/cp.time" \
	"$CERTPICK" probe --servername localhost --targets "$TMP/targets" -j "$J" --json >"$TMP/many.jsonl" 2>/dev/null || true
read -r MANY_CP CP_U CP_S <<EOT
$(tail -n 1 "$TMP/cp.time")
EOT
OK=$(grep -c '"client_auth":"required"' "$TMP/many.jsonl" || true)
/usr/bin/time -f "%e %U %S" -o "$TMP/sc.time" \
	xargs -P "$J" -I{} sh -c 'openssl s_client -connect {} -servername localhost </dev/null >/dev/null 2>&1; true' <"$TMP/targets"
read -r MANY_SC SC_U SC_S <<EOT
$(tail -n 1 "$TMP/sc.time")
EOT
printf '%-40s %8.3f s wall, %6.2f s CPU  (%d/%d answered "required")\n' "certpick probe --targets -j $J" \
	"$MANY_CP" "$(echo "$CP_U + $CP_S" | bc -l)" "$OK" "$N"
printf '%-40s %8.3f s wall, %6.2f s CPU\n' "xargs -P $J openssl s_client" "$MANY_SC" \
	"$(echo "$SC_U + $SC_S" | bc -l)"
printf '%-40s %8.3f ms vs %.3f ms\n' "client CPU per probe" "$(echo "($CP_U + $CP_S) * 1000 / $N" | bc -l)" \
	"$(echo "($SC_U + $SC_S) * 1000 / $N" | bc -l)"
printf '%-40s %8.2f x\n' "s_client / certpick" "$(echo "$MANY_SC / $MANY_CP" | bc -l)"
printf '%-40s %8.1f /s vs %.1f /s\n' "probes per second" "$(echo "$N / $MANY_CP" | bc -l)" \
	"$(echo "$N / $MANY_SC" | bc -l)"

if command -v sslscan >/dev/null 2>&1; then
	echo
	echo "== sslscan --show-client-cas, median of 5 runs"
	: >"$TMP/sslscan.times"
	r=0
	while [ $r -lt 5 ]; do
		t0=$(now)
		sslscan --no-colour --show-client-cas "$T" >/dev/null 2>&1 || true
		elapsed "$t0" "$(now)" >>"$TMP/sslscan.times"
		r=$((r + 1))
	done
	ONE_SS=$(median <"$TMP/sslscan.times")
	printf '%-40s %8.4f s\n' "sslscan --show-client-cas" "$ONE_SS"
	printf '%-40s %8.2f x\n' "sslscan / certpick" "$(echo "$ONE_SS / $ONE_CP" | bc -l)"
else
	echo
	echo "(sslscan not installed: apt-get install sslscan to compare)"
fi
