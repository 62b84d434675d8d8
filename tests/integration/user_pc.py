#!/usr/bin/env python3
"""Stands in for a user's PC in the README's case "a capture from the user's PC":
records (tcpdump on loopback, then saved as pcapng by tshark, the way Wireshark
saves) one
request the way the user's client makes it, with the client's TLS key log
(SSLKEYLOGFILE), then prints "ready". Writes user-pc.pcapng and keys.log in the
current folder (the README's demo folder, whose certificates it uses).

The user's client is curl over TLS 1.2 with mallory-untrusted's certificate,
asking for /secure/report on the README's first server, which asks for a
certificate only there, by renegotiation (as IIS does).

Usage (as root: tcpdump): user_pc.py 127.0.0.1:PORT
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import Procs  # noqa: E402
from test_capture import Tcpdump  # noqa: E402


def main():
    port = int(sys.argv[1].rsplit(":", 1)[1])
    procs = Procs()
    tmp = tempfile.mkdtemp(prefix="user-pc-")
    try:
        for f in ("keys.log", "user-pc.pcapng"):
            if os.path.exists(f):
                os.unlink(f)
        cap = Tcpdump(procs, tmp, port)
        subprocess.run(["curl", "-sk", "--http1.1", "--tlsv1.2", "--tls-max", "1.2",
                        "--cert", "mallory-untrusted-chain.pem",
                        "--key", "mallory-untrusted.key", "-o", os.devnull,
                        "https://localhost:%d/secure/report" % port],
                       env=dict(os.environ, SSLKEYLOGFILE="keys.log"), timeout=60,
                       capture_output=True)
        path = cap.stop()
        # pcapng, without the connection that marked the end of the recording
        subprocess.run(["tshark", "-r", path, "-F", "pcapng", "-w", "user-pc.pcapng", "-Y",
                        "tcp.port != %d" % cap.marker], check=True, timeout=60,
                       capture_output=True)
    finally:
        procs.stop_all()
    print("ready", flush=True)


if __name__ == "__main__":
    main()
