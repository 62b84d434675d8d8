"""certpick serve against hostile configurations and clients (issue 19, item 4;
reference/redteam-2026-12.md F5, F6, F11, F14, F20): real clients (curl,
Python ssl on raw sockets) on loopback, every PKI made here with the openssl
command line, in temporary folders.
"""
import json
import os
import socket
import ssl
import subprocess

import pytest

from conftest import CERTPICK, Procs, run_certpick, wait_for
import serve_util as su


@pytest.fixture(scope="module")
def mprocs():
    ps = Procs()
    yield ps
    ps.stop_all()


@pytest.fixture(scope="module")
def mtmp(tmp_path_factory):
    return str(tmp_path_factory.mktemp("serve-hostile"))


def _ossl(*argv, cwd, stdin=None):
    subprocess.run(["openssl", *argv], cwd=cwd, check=True, input=stdin,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)


def raw_exchange(srv, data, chunks=()):
    """Send data (then each of chunks) on one TLS connection without a client
    certificate, and read until the server closes: every byte it answered."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    out = b""
    with socket.create_connection((srv.host, srv.port), timeout=20) as raw:
        with ctx.wrap_socket(raw) as s:
            try:
                s.sendall(data)
                for c in chunks:
                    s.sendall(c)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass
            while True:
                try:
                    got = s.recv(65536)
                except (ssl.SSLError, ConnectionResetError):
                    break
                if not got:
                    break
                out += got
    return out


def answers(raw):
    """The status of each HTTP answer in raw, in order."""
    return [int(part.split(b" ", 1)[0]) for part in raw.split(b"HTTP/1.1 ")[1:]]


# --- F5: --require values are normalized like request paths, or refused ---

# (--require value, a request it must protect)
REQUIRE_FORMS = [
    ("/a%20b", "/a%20b"),          # the form copied from a URL
    ("//s1", "/s1"),
    ("/./s2", "/s2"),
    ("/x/../s3", "/s3"),
    ("/s4//x", "/s4/x"),
    ("/%735", "/s5"),              # %73 is 's'
    ("/s6/", "/s6/x"),
    ("/s7/", "/s7"),
]


@pytest.fixture(scope="module")
def srv_require(mprocs, mtmp, pki):
    args = ["--trust", os.path.join(pki, "ca-roots-AB.pem")]
    for value, _ in REQUIRE_FORMS:
        args += ["--require", value]
    return su.Server(mprocs, mtmp, args)


@pytest.mark.parametrize("value,path", REQUIRE_FORMS, ids=[v for v, _ in REQUIRE_FORMS])
def test_require_values_protect_what_they_name(srv_require, pki, value, path):
    a = su.python_ssl(srv_require, path, pki, None)
    assert a.status == 403, (value, path, a)
    assert a.headers.get("x-certpick-substatus") == "403.7", a
    assert a.json["protected"] is True
    # with the certificate the same path is 200: the rule protects, not blocks
    assert su.python_ssl(srv_require, path, pki, "alice").status == 200


@pytest.mark.parametrize("path", ["/open", "/s4", "/a", "/s1x"])
def test_require_values_do_not_spread(srv_require, pki, path):
    assert su.python_ssl(srv_require, path, pki, None).status == 200


@pytest.mark.parametrize("value", ["/secure?x=1", "/secure#frag", "/a%00b", "/a%zzb", "/a%2"])
def test_require_value_that_is_no_path_is_refused(pki, value):
    r = run_certpick("serve", "--listen", "127.0.0.1:0", "--trust",
                     os.path.join(pki, "ca-roots-AB.pem"), "--require", value, timeout=30)
    assert r.rc == 2, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "--require" in lines[0] and "not a path" in lines[0], r


# --- F20: errors decided on the headers are answered, and the connection closed ---

@pytest.fixture(scope="module")
def srv_open(mprocs, mtmp, pki):
    return su.Server(mprocs, mtmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                    "--client-auth", "none"])


SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.mark.parametrize("head,status", [
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", 413),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n", 413),
    (b"GET /h2 HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"GET /h3 HTTP/3.0\r\nHost: x\r\n\r\n", 505),
    (b"GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505),
    (b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n", 501),
], ids=["cl-100000", "cl-65537", "http2", "http3", "http09", "connect"])
def test_header_errors_are_sent_and_close(srv_open, head, status):
    got = raw_exchange(srv_open, head + SMUGGLED)
    assert answers(got) == [status], got[:600]
    assert b"Connection: close" in got
    lines = srv_open.wait_log("the refused request", lambda ls: any(
        (" %d " % status) in ln for ln in ls))
    assert not any("/smuggled" in ln for ln in lines), lines


def test_full_body_over_cap_is_not_parsed_as_a_request(srv_open):
    body = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n" * 1900   # 65,537+ bytes
    body = body[:65537]
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n"
    got = raw_exchange(srv_open, head, chunks=[body])
    assert answers(got) == [413], got[:600]
    assert not any("/smuggled" in ln for ln in srv_open.log_lines())


def test_body_under_cap_still_served_with_pipelining(srv_open):
    body = b"x" * 1000
    req = (b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + body +
           b"GET /q HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answers(raw_exchange(srv_open, req)) == [200, 200]
