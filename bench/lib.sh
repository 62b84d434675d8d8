# bench/lib.sh: what the shell benches share; sourced, never run.
#   free_port            an ephemeral loopback port, printed
#   wait_port PORT       until 127.0.0.1:PORT accepts (at most 20 s; 1 if never)

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
	python3 - "$1" <<'PY'
import socket, sys, time
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}
