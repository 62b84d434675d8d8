#!/usr/bin/python3
"""bench/serve_chain_rss.py: what one `certpick serve` connection costs when its
client sends a long, bloated chain and does not read the answer (SECURITY.md,
serve: bounded memory per connection).

N clients (default 400) each present a 33-certificate, ~97 KB chain
(tests/integration/bloat.py), send one GET asking for JSON, and stop reading
(a 4 KiB receive buffer). Once the access log shows every request answered,
the server's RSS growth over N is the cost of one such connection; the same
with a normal one-certificate client (alice of tests/integration/pki.py) for
comparison. Also prints the size of one JSON and one HTML answer.

Usage: bench/serve_chain_rss.py [N] [CERTPICK]   (default 400, build/certpick)
"""
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import bloat  # noqa: E402
import pki as pkimod  # noqa: E402


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, what, timeout=120):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    raise SystemExit("timed out waiting for " + what)


def client_ctx(chain, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(chain, key)
    return ctx


def one_answer(port, chain, key, accept):
    with client_ctx(chain, key).wrap_socket(
            socket.create_connection(("127.0.0.1", port), timeout=30)) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nAccept: %s\r\nConnection: close\r\n\r\n"
                  % accept.encode())
        data = b""
        while True:
            got = s.recv(65536)
            if not got:
                return data
            data += got


def run(binary, tmp, n, chain, key, label):
    port = free_port()
    log = os.path.join(tmp, "log-%s" % label)
    with open(log, "w") as lf, open(os.path.join(tmp, "err-" + label), "w") as ef:
        p = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:%d" % port, "--trust",
                              os.path.join(tmp, "ca-roots-AB.pem"), "--client-auth", "require",
                              "--max-connections", str(n + 100), "--handshake-timeout", "300",
                              "--header-timeout", "300", "--idle-timeout", "300"],
                             stdout=lf, stderr=ef)
    try:
        wait_until(lambda: "CA names sent" in open(os.path.join(tmp, "err-" + label)).read(),
                   "the server to start")
        lines = lambda: sum(1 for _ in open(log))
        json_len = len(one_answer(port, chain, key, "application/json"))
        html_len = len(one_answer(port, chain, key, "text/html"))
        wait_until(lambda: lines() >= 2, "the first answers to be logged")
        rss0 = rss_kib(p.pid)
        ctx = client_ctx(chain, key)
        conns = []
        for _ in range(n):
            raw = socket.socket()
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            raw.settimeout(60)
            raw.connect(("127.0.0.1", port))
            s = ctx.wrap_socket(raw)
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n")
            conns.append(s)
        wait_until(lambda: lines() >= n + 2, "%d answers to be logged" % n)
        rss1 = rss_kib(p.pid)
        for s in conns:
            s.close()
        return rss0, rss1, json_len, html_len
    finally:
        p.terminate()
        p.wait(timeout=30)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    binary = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "build", "certpick")
    tmp = tempfile.mkdtemp(prefix="certpick-chain-rss-")
    try:
        pkimod.make_pki(tmp)
        chain, key, der = bloat.make_bloated_chain(tmp)
        print("binary %s, N=%d, load: %s" % (binary, n, open("/proc/loadavg").read().strip()))
        for label, c, k in [("normal", os.path.join(tmp, "alice-chain.pem"),
                             os.path.join(tmp, "alice.key")),
                            ("bloated-33-certs-%d-bytes" % der, chain, key)]:
            rss0, rss1, jl, hl = run(binary, tmp, n, c, k, label.split("-")[0])
            print("%-34s RSS %6d -> %6d KiB: %6.1f KiB per connection; answer JSON %d B, "
                  "HTML %d B" % (label, rss0, rss1, (rss1 - rss0) / n, jl, hl))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
