#!/bin/bash
# bench/capture.sh: `certpick capture --json` beside `tshark -T json` on the same
# large capture with the same key log, in one run: wall time, ratio, peak RSS.
#
# The capture is real traffic, made once and cached (CACHE, default
# /tmp/certpick-bench-capture-N-SIZE): tcpdump -i lo records curl
# (SSLKEYLOGFILE, a client certificate) fetching a SIZE-KiB body N times from
# nginx with ssl_verify_client on, each on a new connection (Connection: close),
# half over TLS 1.3 and half over TLS 1.2, plus a few openssl s_client
# connections without a certificate (an empty Certificate, nginx 400).
#
# Usage: bench/capture.sh                  N=2000 SIZE=32: about 80 MB, both tools
#        N=1000 SIZE=1024 TSHARK=0 bench/capture.sh   a 1 GB capture, certpick only
#        N=12000 SIZE=1 TSHARK=0 bench/capture.sh     past the 10,000-connection cap
# Needs: build/certpick, nginx, curl, openssl, tcpdump, tshark, GNU time.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
N=${N:-2000}
SIZE=${SIZE:-32}
TSHARK=${TSHARK:-1}
BIN=$ROOT/build/certpick
CACHE=${CACHE:-/tmp/certpick-bench-capture-$N-$SIZE}
[ -x "$BIN" ] || { echo "build first: ninja -C build" >&2; exit 1; }
for p in nginx curl openssl tcpdump tshark /usr/bin/time; do
	command -v "$p" >/dev/null || { echo "$p missing (scripts/deps.sh)" >&2; exit 1; }
done

. "$ROOT/bench/lib.sh"

make_capture() {
	local T=$CACHE.tmp PIDS=""
	rm -rf "$T"
	mkdir -p "$T/nginx/html" "$T/nginx/logs"
	python3 tests/integration/pki.py "$T/pki" >/dev/null
	head -c $((SIZE * 1024)) /dev/urandom >"$T/nginx/html/f"
	local port
	port=$(free_port)
	cat >"$T/nginx/nginx.conf" <<EOF
$( [ "$(id -u)" = 0 ] && echo "user root;")
daemon off;
master_process off;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $T/nginx/body;
    proxy_temp_path $T/nginx/proxy;
    fastcgi_temp_path $T/nginx/fastcgi;
    uwsgi_temp_path $T/nginx/uwsgi;
    scgi_temp_path $T/nginx/scgi;
    ssl_session_cache off;
    ssl_session_tickets off;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $T/pki/server.pem;
        ssl_certificate_key $T/pki/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_verify_client on;
        ssl_client_certificate $T/pki/ca-roots-AB.pem;
        root $T/nginx/html;
    }
}
EOF
	nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" &
	PIDS="$!"
	wait_port "$port"
	tcpdump -i lo -U -n -B 65536 -w "$T/capture.pcap" "tcp port $port" 2>"$T/tcpdump.err" &
	local tpid=$!
	until grep -q "listening on" "$T/tcpdump.err"; do sleep 0.1; done
	local half=$((N / 2))
	for v in "--tlsv1.3" "--tlsv1.2 --tls-max 1.2"; do
		# shellcheck disable=SC2086
		SSLKEYLOGFILE=$T/keys.log curl -sk $v --http1.1 -H "Connection: close" \
			--cert "$T/pki/alice-chain.pem" --key "$T/pki/alice.key" -o /dev/null \
			"https://127.0.0.1:$port/f?[1-$half]"
	done
	for i in 1 2 3 4 5; do
		printf 'GET /f HTTP/1.0\r\n\r\n' | openssl s_client -quiet -connect "127.0.0.1:$port" \
			-keylogfile "$T/keys.log" >/dev/null 2>&1 || true
	done
	sleep 1
	kill -TERM "$tpid"
	wait "$tpid" || true
	kill "$PIDS" 2>/dev/null || true
	wait 2>/dev/null || true
	grep -E "captured|dropped" "$T/tcpdump.err" >&2 || true
	rm -rf "$T/nginx/html"
	mv "$T" "$CACHE"
}

[ -f "$CACHE/capture.pcap" ] || make_capture
PCAP=$CACHE/capture.pcap
KEYS=$CACHE/keys.log
BYTES=$(stat -c %s "$PCAP")
echo "capture: $PCAP, $((BYTES / 1048576)) MiB, $(grep -c . "$KEYS") key log lines"
echo "load before: $(uptime | sed 's/.*load average: //')"

# wall seconds and peak RSS (KiB) of one command, its output to OUT
measure() {
	local out=$1
	shift
	/usr/bin/time -f "%e %M" -o "$CACHE/time" "$@" >"$out" 2>"$CACHE/err" || true
	tail -n 1 "$CACHE/time"
}

read -r cp_s cp_kb <<<"$(measure "$CACHE/certpick.json" "$BIN" capture --json "$PCAP" --keylog "$KEYS")"
conns=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["connections"]), d.get("connections_not_followed", 0))' "$CACHE/certpick.json" 2>/dev/null || echo "?")
printf 'certpick capture --json: %8.2f s  peak RSS %7d KiB  (connections, not followed: %s)\n' \
	"$cp_s" "$cp_kb" "$conns"
if [ "$TSHARK" = 1 ]; then
	port=$(tshark -r "$PCAP" -c 1 -T fields -e tcp.dstport 2>/dev/null)
	read -r ts_s ts_kb <<<"$(measure "$CACHE/tshark.json" tshark -r "$PCAP" -T json \
		-o "tls.keylog_file:$KEYS" -d "tcp.port==$port,tls" -d "tls.port==$port,http")"
	printf 'tshark -T json:          %8.2f s  peak RSS %7d KiB\n' "$ts_s" "$ts_kb"
	python3 -c 'import sys; c,t=float(sys.argv[1]),float(sys.argv[2]); print("ratio tshark/certpick: %.1fx (wall)" % (t / max(c, 0.01)))' "$cp_s" "$ts_s"
fi
echo "load after: $(uptime | sed 's/.*load average: //')"
rm -f "$CACHE/certpick.json" "$CACHE/tshark.json"
