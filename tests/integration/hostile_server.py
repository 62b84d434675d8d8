"""A hostile TLS 1.2 server for the probe tests, written by hand on raw sockets.

It reads the ClientHello, then writes plaintext handshake records: ServerHello
(TLS_RSA_WITH_AES_128_CBC_SHA, static RSA, which the probe offers at SECLEVEL 0),
Certificate (the test server certificate), a CertificateRequest shaped by MODE,
ServerHelloDone. It never finishes a handshake; it only has to make the client
read what it sends. Modes:

  huge        a 1 MiB CertificateRequest (a 64 KiB name list, then garbage)
  many        10,000 names (empty Names, 30 00), a well-formed 60 KiB message
  baddn       names that are not DER
  slow        the normal flight, one byte a second (the hostility: it idles on purpose)
  reset       half the flight, then a TCP reset once the client has acknowledged it
  overflow    a certificate_authorities length larger than the message
  hellostorm  200,000 HelloRequest messages before the flight (a renegotiation
              storm the client must neither loop on nor buffer)

usage: hostile_server.py PORT MODE CERT.pem   (serves connections until killed)
"""
import fcntl
import os
import socket
import struct
import sys
import termios
import threading
import time

from conftest import wait_for


def record(ctype, body):
    out = b""
    for i in range(0, len(body), 16384):
        chunk = body[i:i + 16384]
        out += struct.pack("!BHH", ctype, 0x0303, len(chunk)) + chunk
    return out


def handshake(mtype, body):
    return struct.pack("!B", mtype) + len(body).to_bytes(3, "big") + body


def pem_to_der(path):
    import base64
    lines, on = [], False
    with open(path) as f:
        for line in f:
            if "BEGIN CERTIFICATE" in line:
                on = True
            elif "END CERTIFICATE" in line:
                break
            elif on:
                lines.append(line.strip())
    return base64.b64decode("".join(lines))


def server_hello():
    body = b"\x03\x03" + os.urandom(32) + b"\x00" + b"\x00\x2f" + b"\x00"
    # renegotiation_info, so that OpenSSL does not refuse a legacy server
    ext = b"\xff\x01\x00\x01\x00"
    body += struct.pack("!H", len(ext)) + ext
    return handshake(2, body)


def certificate(der):
    one = len(der).to_bytes(3, "big") + der
    return handshake(11, len(one).to_bytes(3, "big") + one)


def certificate_request(mode):
    types = b"\x02\x01\x40"
    sigalgs = b"\x00\x04\x04\x01\x04\x03"
    if mode == "many":
        names = b"".join(b"\x00\x02\x30\x00" for _ in range(10000))
        return handshake(13, types + sigalgs + struct.pack("!H", len(names)) + names)
    if mode == "baddn":
        names = b"".join(b"\x00\x03\x01\x02\x03" for _ in range(5))
        names += b"\x00\x05\x30\x03\x31\x01\x00"
        return handshake(13, types + sigalgs + struct.pack("!H", len(names)) + names)
    if mode == "overflow":
        return handshake(13, types + sigalgs + b"\xff\xff" + b"\x00\x02\x30\x00")
    if mode == "huge":
        names = b"".join(b"\x00\x02\x30\x00" for _ in range(16000))
        body = types + sigalgs + struct.pack("!H", len(names)) + names
        body += b"\xab" * (1024 * 1024 - len(body))
        return handshake(13, body)
    names = b"\x00\x04\x00\x02\x30\x00"
    return handshake(13, types + sigalgs + names)


def read_client_hello(conn):
    conn.settimeout(10)
    hdr = b""
    while len(hdr) < 5:
        chunk = conn.recv(5 - len(hdr))
        if not chunk:
            return False
        hdr += chunk
    n = struct.unpack("!H", hdr[3:5])[0]
    got = 0
    while got < n:
        chunk = conn.recv(n - got)
        if not chunk:
            return False
        got += len(chunk)
    return True


def unacked(conn):
    """Bytes not yet sent or not yet acknowledged by the peer (SIOCOUTQ)."""
    return struct.unpack("i", fcntl.ioctl(conn.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]


def serve(conn, mode, der):
    try:
        if not read_client_hello(conn):
            return
        flight = server_hello() + certificate(der) + certificate_request(mode) + handshake(14, b"")
        if mode == "hellostorm":
            flight = handshake(0, b"") * 200000 + flight
        data = record(22, flight)
        if mode == "slow":
            for i in range(len(data)):
                conn.sendall(data[i:i + 1])
                time.sleep(1)
        elif mode == "reset":
            conn.sendall(data[:len(data) // 2])
            wait_for("the client to acknowledge half the flight", lambda: unacked(conn),
                     lambda n: n == 0, timeout=10)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            conn.sendall(data)
            # wait for the client to give up (it answers with an alert or closes)
            conn.settimeout(30)
            while conn.recv(65536):
                pass
    except OSError:
        pass
    finally:
        conn.close()


def main():
    port, mode, cert = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    der = pem_to_der(cert)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, mode, der), daemon=True).start()


if __name__ == "__main__":
    main()
