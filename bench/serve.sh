#!/bin/sh
# bench/serve.sh: certpick serve against nginx (ssl_verify_client on), same
# certificates, same machine, one worker each, same load generator.
#   1. full mTLS handshakes per second, each presenting a client certificate:
#      `openssl s_time -new -cert -key -www /` (one full handshake + one GET per
#      connection, no session reuse), plus server CPU per handshake;
#   2. memory per idle connection: N idle mTLS connections, server RSS delta.
# Usage: bench/serve.sh [SECONDS] [IDLE_N]    (defaults 10 and 1000)
#   ROUNDS=3 (alternating rounds, medians reported), WWW='' for handshakes only
# Needs: build/certpick, nginx, openssl, python3. Prints ratios at the end.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECS=${1:-10}
WWW=${WWW-"-www /"}
IDLE_N=${2:-1000}
BIN=$ROOT/build/certpick
[ -x "$BIN" ] || { echo "build first: ninja -C build" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx missing" >&2; exit 1; }
ulimit -n 20000 2>/dev/null || true

T=$(mktemp -d /tmp/certpick-bench-XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

python3 tests/integration/pki.py "$T/pki" >/dev/null
P=$T/pki

. "$ROOT/bench/lib.sh"

# certpick serve: require at the handshake, the same trust and names as nginx
CP_PORT=$(free_port)
"$BIN" serve --listen 127.0.0.1:$CP_PORT --cert "$P/server-chain.pem" --key "$P/server.key" \
	--trust "$P/ca-roots-AB.pem" --client-auth require --header-timeout 300 \
	--idle-timeout 300 --max-connections 10000 >/dev/null 2>"$T/certpick.err" &
CP_PID=$!
PIDS="$PIDS $CP_PID"

# nginx: one worker, no master, sessions off, a body of the same size
NG_PORT=$(free_port)
mkdir -p "$T/nginx/html"
curl -sk --cert "$P/alice-chain.pem" --key "$P/alice.key" -o /dev/null \
	"https://127.0.0.1:$CP_PORT/" 2>/dev/null || true
wait_port "$CP_PORT"
curl -sk --cert "$P/alice-chain.pem" --key "$P/alice.key" "https://127.0.0.1:$CP_PORT/" \
	>"$T/nginx/html/index.html"
cat >"$T/nginx/nginx.conf" <<NGX
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 20000;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 10000; }
http {
    access_log off;
    client_body_temp_path $T/nginx/body;
    proxy_temp_path $T/nginx/proxy;
    fastcgi_temp_path $T/nginx/fastcgi;
    uwsgi_temp_path $T/nginx/uwsgi;
    scgi_temp_path $T/nginx/scgi;
    keepalive_timeout 300s;
    client_header_timeout 300s;
    server {
        listen 127.0.0.1:$NG_PORT ssl;
        ssl_certificate $P/server-chain.pem;
        ssl_certificate_key $P/server.key;
        ssl_client_certificate $P/ca-roots-AB.pem;
        ssl_verify_client on;
        ssl_verify_depth 2;
        ssl_session_cache off;
        ssl_session_tickets off;
        root $T/nginx/html;
        default_type text/html;
    }
}
NGX
nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" &
NG_PID=$!
PIDS="$PIDS $NG_PID"
wait_port "$NG_PORT"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# 1. handshakes per second
stime() { # $1 port, $2 pid -> "conns_per_sec cpu_ms_per_conn"
	c0=$(cpu_ticks "$2")
	out=$(openssl s_time -connect "127.0.0.1:$1" -new $WWW -time "$SECS" \
		-cert "$P/alice-chain.pem" -key "$P/alice.key" 2>&1 || true)
	c1=$(cpu_ticks "$2")
	conns=$(echo "$out" | sed -n 's/^\([0-9]*\) connections in [0-9.]*s.*/\1/p' | head -n1)
	rate=$(echo "$out" | sed -n 's/.*; \([0-9.]*\) connections\/user sec.*/\1/p' | head -n1)
	real=$(echo "$out" | sed -n 's/^[0-9]* connections in \([0-9]*\) real seconds.*/\1/p' | head -n1)
	hz=$(getconf CLK_TCK)
	python3 -c "import sys; n=int('$conns' or 0); r=int('$real' or 0) or $SECS; \
print('%.0f %.3f' % (n / r, (($c1 - $c0) * 1000.0 / $hz) / max(n, 1)))"
}

ROUNDS=${ROUNDS:-3}
echo "== full mTLS handshakes (openssl s_time -new ${WWW:-(handshake only)}, ${SECS}s x $ROUNDS rounds each, alternating; client cert alice)"
cp_r="" cp_c="" ng_r="" ng_c=""
i=0
while [ $i -lt "$ROUNDS" ]; do
	set -- $(stime "$CP_PORT" "$CP_PID")
	cp_r="$cp_r $1" cp_c="$cp_c $2"
	set -- $(stime "$NG_PORT" "$NG_PID")
	ng_r="$ng_r $1" ng_c="$ng_c $2"
	i=$((i + 1))
done
median() { python3 -c "import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))" $*; }
cp_rate=$(median $cp_r) cp_cpu=$(median $cp_c)
ng_rate=$(median $ng_r) ng_cpu=$(median $ng_c)
printf '  certpick serve: %6s handshakes/s, %s ms server CPU per handshake (rounds:%s)\n' "$cp_rate" "$cp_cpu" "$cp_r"
printf '  nginx:          %6s handshakes/s, %s ms server CPU per handshake (rounds:%s)\n' "$ng_rate" "$ng_cpu" "$ng_r"

# 2. memory per idle connection
idle() { # $1 port, $2 pid -> KiB per connection
	python3 - "$1" "$2" "$IDLE_N" "$P" <<'PY'
import os, socket, ssl, sys, time
port, pid, n, p = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def rss():
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.load_cert_chain(os.path.join(p, "alice-chain.pem"), os.path.join(p, "alice.key"))
# warm up: the first connections grow pools that then stay
warm = [ctx.wrap_socket(socket.create_connection(("127.0.0.1", port))) for _ in range(20)]
for s in warm:
    s.close()
time.sleep(0.5)
before = rss()
conns = [ctx.wrap_socket(socket.create_connection(("127.0.0.1", port))) for _ in range(n)]
time.sleep(1)
after = rss()
for s in conns:
    s.close()
print("%.2f %d %d" % ((after - before) / n, before, after))
PY
}
echo "== memory per idle mTLS connection ($IDLE_N connections after the handshake)"
set -- $(idle "$CP_PORT" "$CP_PID")
cp_mem=$1
printf '  certpick serve: %5s KiB per connection (RSS %s -> %s KiB)\n' "$1" "$2" "$3"
set -- $(idle "$NG_PORT" "$NG_PID")
ng_mem=$1
printf '  nginx:          %5s KiB per connection (RSS %s -> %s KiB)\n' "$1" "$2" "$3"

echo "== ratios (certpick / nginx)"
python3 -c "print('  handshakes/s: %.2f   CPU per handshake: %.2f   memory per idle connection: %.2f' % ($cp_rate / max($ng_rate, 1), $cp_cpu / max($ng_cpu, 1e-9), $cp_mem / max($ng_mem, 1e-9)))"
