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

The non-HTTPS schemes: `hostile_server.py PORT SCHEME:MODE` speaks SCHEME (smtp, imap,
pop3, ftp, xmpp, ldap) up to its STARTTLS go-ahead, hostile in one way; every hostility
comes before TLS, so no handshake is ever made. Modes (TEXT_MODES):

  endless     the first reply never ends: one line (an XML name, a BER length of 2 GiB)
              streamed without end
  huge        a reply of endless continuation lines ("220-..." / CAPA lines without the
              final "." / untagged IMAP lines / XMPP keepalives / LDAP: a 1 MiB message)
  garbage     binary junk instead of the greeting (or of the first answer)
  pipelined   the STARTTLS go-ahead, and bytes after it in the same write (the
              CVE-2011-0411 command-injection class: they must not reach TLS)
  stall       connects and never says a thing
  drip        the greeting (LDAP, XMPP: the first answer), a byte every 0.2 s, forever
              (the hostility: it idles on purpose)
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


# ------------------------------------------------------------------ non-HTTPS schemes

TEXT_MODES = ["endless", "huge", "garbage", "pipelined", "stall", "drip"]
LDAP_STARTTLS_OID = b"1.3.6.1.4.1.1466.20037"


def ber(tag, body):
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    lb = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(lb)]) + lb + body


def ldap_starttls_ok(msgid):
    resp = ber(0x78, b"\x0a\x01\x00\x04\x00\x04\x00" + ber(0x8a, LDAP_STARTTLS_OID))
    return ber(0x30, ber(0x02, bytes([msgid])) + resp)


XMPP_HEADER = (b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
               b"xmlns:stream='http://etherx.jabber.org/streams' from='localhost' id='h' "
               b"version='1.0'>")
XMPP_FEATURES = (b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
                 b"<required/></starttls></stream:features>")

# scheme -> (greeting, [(what the client says starts with, the answer)], the go-ahead's
# trigger); "{tag}" is the IMAP tag of the command answered
DIALOGUES = {
    "smtp": (b"220 hostile ESMTP\r\n", [(b"EHLO", b"250-hostile\r\n250 STARTTLS\r\n"),
                                        (b"STARTTLS", b"220 2.0.0 Ready to start TLS\r\n")]),
    "imap": (b"* OK [CAPABILITY IMAP4rev1 STARTTLS] hostile\r\n",
             [(b"CAPABILITY", b"* CAPABILITY IMAP4rev1 STARTTLS\r\n{tag} OK done\r\n"),
              (b"STARTTLS", b"{tag} OK Begin TLS negotiation now\r\n")]),
    "pop3": (b"+OK hostile\r\n", [(b"CAPA", b"+OK\r\nSTLS\r\n.\r\n"),
                                  (b"STLS", b"+OK Begin TLS\r\n")]),
    "ftp": (b"220 hostile\r\n", [(b"AUTH", b"234 Proceed with negotiation.\r\n")]),
    "xmpp": (b"", [(b"<?xml", XMPP_HEADER + XMPP_FEATURES), (b"<stream:stream",
                                                            XMPP_HEADER + XMPP_FEATURES),
                   (b"<starttls", b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")]),
}
# what each mode sends instead of the first reply (or after the go-ahead)
ENDLESS_START = {"smtp": b"220 ", "imap": b"* OK ", "pop3": b"+OK ", "ftp": b"220 ",
                 "xmpp": b"<?xml version='1.0'?><stream:stream a='",
                 "ldap": b"\x30\x84\x7f\xff\xff\xff"}
HUGE_LINE = {"smtp": b"220-hostile\r\n", "imap": b"* OK hostile\r\n", "pop3": None,
             "ftp": b"220-hostile\r\n", "xmpp": b" ", "ldap": None}


def stream_forever(conn, chunk):
    """Write chunk until the client closes (its timeout or its cap ends this)."""
    conn.settimeout(60)
    while True:
        conn.sendall(chunk)


def serve_text(conn, scheme, mode):
    try:
        if mode == "stall":
            conn.settimeout(60)
            while conn.recv(65536):
                pass
            return
        greeting, steps = DIALOGUES.get(scheme, (b"", []))
        first = greeting or scheme in ("xmpp", "ldap")
        if mode in ("endless", "huge", "garbage", "drip") and scheme not in ("xmpp", "ldap"):
            hostile_first(conn, scheme, mode)
            return
        conn.sendall(greeting)
        buf = b""
        conn.settimeout(30)
        while first:
            chunk = conn.recv(65536)
            if not chunk:
                return
            buf += chunk
            if scheme == "ldap":
                if mode == "pipelined":
                    conn.sendall(ldap_starttls_ok(buf[4] if len(buf) > 4 else 1) + b"\x30\x00")
                else:
                    hostile_first(conn, scheme, mode)
                return
            while b"\n" in buf or (scheme == "xmpp" and b">" in buf):
                if scheme == "xmpp":
                    line, buf = buf, b""
                else:
                    line, buf = buf.split(b"\n", 1)
                words = line.split()
                tag = words[0] if words else b"*"
                for start, answer in steps:
                    body = line[len(tag) + 1:] if scheme == "imap" else line
                    if body.lstrip().upper().startswith(start.upper()):
                        break
                else:
                    answer = b"502 no\r\n" if scheme != "xmpp" else b""
                answer = answer.replace(b"{tag}", tag)
                if scheme == "xmpp" and start in (b"<?xml", b"<stream:stream") and \
                        mode in ("endless", "huge", "garbage", "drip"):
                    hostile_first(conn, scheme, mode)
                    return
                go_ahead = start in (b"STARTTLS", b"STLS", b"AUTH", b"<starttls")
                if go_ahead and mode == "pipelined":
                    answer += b"250 injected after the go-ahead\r\n"
                conn.sendall(answer)
                if go_ahead:
                    conn.settimeout(30)
                    while conn.recv(65536):
                        pass
                    return
    except OSError:
        pass
    finally:
        conn.close()


def hostile_first(conn, scheme, mode):
    if mode == "drip":
        text = ldap_starttls_ok(1) if scheme == "ldap" else (
            DIALOGUES[scheme][0] or XMPP_HEADER + XMPP_FEATURES) + b"a" * 1000
        for i in range(len(text)):
            conn.sendall(text[i:i + 1])
            time.sleep(0.2)
    elif mode == "garbage":
        conn.sendall(b"\x16\x03\x01\x00\x00\xff\xfe garbage \x00\x01\r\n" * 4)
        conn.settimeout(30)
        while conn.recv(65536):
            pass
    elif mode == "endless":
        conn.sendall(ENDLESS_START[scheme])
        stream_forever(conn, b"a" * 65536)
    elif HUGE_LINE[scheme] is None:
        if scheme == "pop3":
            conn.sendall(b"+OK hostile\r\n")
            conn.settimeout(30)
            conn.recv(65536)  # CAPA
            conn.sendall(b"+OK\r\n")
            stream_forever(conn, b"X-HOSTILE\r\n" * 4096)
        else:  # ldap: one 1 MiB message
            body = b"\x02\x01\x01" + ber(0x78, b"\x0a\x01\x00" + ber(0x04, b"a" * (1 << 20)))
            conn.sendall(ber(0x30, body))
            conn.settimeout(30)
            while conn.recv(65536):
                pass
    else:
        conn.sendall(XMPP_HEADER if scheme == "xmpp" else b"")
        stream_forever(conn, HUGE_LINE[scheme] * 4096)


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    if ":" in mode:
        serve_forever(port, serve_text, *mode.split(":", 1))
        return
    serve_forever(port, serve, mode, pem_to_der(sys.argv[3]))


def serve_forever(port, fn, *args):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=fn, args=(conn, *args), daemon=True).start()


if __name__ == "__main__":
    main()
