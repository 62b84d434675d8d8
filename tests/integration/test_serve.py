"""certpick serve: a diagnostic mTLS server, driven by real clients (curl,
openssl s_client, gnutls-cli, Python ssl, headless Chromium) on loopback.

Each client presents no certificate, a valid one, one from an untrusted
issuer, an expired one, a not-yet-valid one, a revoked one (CRL made with
`openssl ca`) and one with EKU serverAuth only; over TLS 1.2 and 1.3; asked
at the handshake and per path (renegotiation / post-handshake auth). Each
must get the right HTTP status, IIS substatus, reason and explanation.
"""
import json
import os
import re
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import threading

import pytest

from conftest import MEM_FACTOR

from conftest import ROOT, Procs, need, wait_for
import serve_util as su

# who: (status, substatus, reason, words the explanation must contain)
CASES = {
    None: (403, "403.7", "no-client-certificate", ["No client certificate arrived"]),
    "alice": (200, None, None, ["'CN=alice,O=certpick-test' was accepted"]),
    "mallory": (403, "403.16", "untrusted-issuer",
                ["issued by 'CN=certpick Test Root C,O=certpick-test'", "does not trust",
                 "it asked for a certificate issued by 'CN=certpick Test Root A"]),
    "erin-expired": (403, "403.17", "expired", ["expired at 2021-01-01T00:00:00Z"]),
    "frank-future": (403, "403.17", "not-yet-valid", ["not valid before 2099-12-31"]),
    "rita-revoked": (403, "403.13", "revoked", ["was revoked by its CA"]),
    "bob-serveronly": (403, "403.16", "eku-no-client-auth",
                       ["does not allow client authentication", "lacks clientAuth"]),
}

# Where a client does not send what it was given, (client, who) -> case.
# gnutls-cli with a single --x509certfile sends it whatever the CA names say.
CLIENT_OVERRIDES = {}


@pytest.fixture(scope="module")
def mprocs():
    ps = Procs()
    yield ps
    ps.stop_all()


@pytest.fixture(scope="module")
def pki(pki, tmp_path_factory):
    """The session PKI in a folder of this module's own: the revocation fixture
    adds rita-revoked and the CRLs to it, which other modules must not see."""
    d = str(tmp_path_factory.mktemp("servepki"))
    shutil.copytree(pki, d, dirs_exist_ok=True, symlinks=True)
    return d


@pytest.fixture(scope="module")
def crl(pki):
    return su.make_revocation(pki)


@pytest.fixture(scope="module")
def mtmp(tmp_path_factory):
    return str(tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="module")
def srv_handshake(mprocs, mtmp, pki, crl):
    return su.Server(mprocs, mtmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                    "--crl", crl, "--client-auth", "require"])


@pytest.fixture(scope="module")
def srv_path(mprocs, mtmp, pki, crl):
    return su.Server(mprocs, mtmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                    "--crl", crl, "--require", "/secure"])


def check_answer(a, who, client="curl", path_mode=False):
    status, sub, reason, words = CLIENT_OVERRIDES.get((client, who), CASES[who])
    assert a.status == status, a
    assert a.headers.get("x-certpick-substatus") == sub, a
    assert a.headers.get("x-certpick-reason") == reason, a
    assert a.headers.get("content-type") == "application/json", a
    j = a.json
    assert j["schema"] == 1
    assert j["status"] == status
    assert j["substatus"] == sub
    assert j["reason"] == reason
    assert j["protected"] is True
    if status == 200:
        assert j["client_certificate"]["subject"]["rfc4514"].startswith("CN=alice")
        assert all(r["result"] in ("pass", "skipped") for r in j["rules"]), j["rules"]
    if reason not in (None, "no-client-certificate"):
        assert reason in [f["id"] for f in j["findings"]]
        assert j["client_certificate"]["sha256"]
        assert len(j["client_certificate"]["chain"]) >= 1
    if (client, who) not in CLIENT_OVERRIDES:
        for w in words:
            assert w in j["advice"], (w, j["advice"])
    ca = [n["rfc4514"] for n in j["asked_for"]["ca_names"]]
    assert ca == ["CN=certpick Test Root A,O=certpick-test",
                  "CN=certpick Test Root B,O=certpick-test"]
    for n in j["asked_for"]["ca_names"]:
        assert re.fullmatch(r"[0-9a-f]{64}", n["sha256"]) and n["der"]
    return j


WHO = list(CASES)
IDS = [w or "no-cert" for w in WHO]


@pytest.mark.parametrize("client", list(su.CLIENTS))
@pytest.mark.parametrize("tls", ["1.2", "1.3"])
@pytest.mark.parametrize("who", WHO, ids=IDS)
def test_at_handshake(srv_handshake, pki, client, tls, who):
    a = su.CLIENTS[client](srv_handshake, "/", pki, who, tls)
    j = check_answer(a, who, client)
    assert j["tls_version"] == "TLSv" + tls
    assert j["asked_for"]["when"] == "initial"


@pytest.mark.parametrize("client", list(su.CLIENTS))
@pytest.mark.parametrize("tls", ["1.2", "1.3"])
@pytest.mark.parametrize("who", WHO, ids=IDS)
def test_per_path(srv_path, pki, client, tls, who):
    a = su.CLIENTS[client](srv_path, "/secure/page", pki, who, tls)
    j = check_answer(a, who, client, path_mode=True)
    want = "renegotiation" if tls == "1.2" else "post_handshake"
    assert j["asked_for"]["when"] == want
    if who is None:
        assert ("by TLS 1.2 renegotiation" if tls == "1.2" else
                "by TLS 1.3 post-handshake authentication") in j["advice"]


@pytest.mark.asan
def test_unprotected_path_is_200_without_asking(srv_path, pki):
    a = su.curl(srv_path, "/public", pki, None)
    assert a.status == 200
    j = a.json
    assert j["protected"] is False and j["asked_for"]["when"] == "never"
    assert j["client_certificate"] is None
    assert "x-certpick-substatus" not in a.headers


@pytest.mark.parametrize("path", ["/secure", "/secure/", "//secure/x", "/a/../secure",
                                  "/%73ecure/x", "/secure/./x?q=1"])
def test_per_path_cannot_be_bypassed(srv_path, pki, path):
    a = su.curl(srv_path, path, pki, None)
    assert a.status == 403 and a.headers["x-certpick-substatus"] == "403.7", (path, a)


def test_pha_not_offered(srv_path, pki):
    """TLS 1.3 client without post_handshake_auth: 403 that says so (Apache AH10158)."""
    argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % srv_path.port, "-quiet",
            "-ign_eof", "-tls1_3", "-cert", os.path.join(pki, "alice-chain.pem"),
            "-key", os.path.join(pki, "alice.key")]
    p = subprocess.run(argv, input=su.request_bytes("/secure/x"), capture_output=True,
                       timeout=30)
    a = su.parse_http(p.stdout)
    assert a.status == 403
    assert a.headers["x-certpick-substatus"] == "403.7"
    assert a.headers["x-certpick-reason"] == "pha-not-offered"
    assert "post-handshake authentication" in a.json["advice"]


def test_html_for_browsers(srv_handshake, pki):
    a = su.curl(srv_handshake, "/", pki, "mallory", accept="text/html,*/*;q=0.8")
    assert a.status == 403
    assert a.headers["content-type"].startswith("text/html")
    assert "<title>403.16 Forbidden: client certificate untrusted or invalid</title>" in a.body
    assert "CN=certpick Test Root C" in a.body
    assert "untrusted-issuer" in a.body


def test_head_has_no_body(srv_handshake, pki):
    p = subprocess.run(["curl", "-sk", "-I", "--cert", os.path.join(pki, "alice-chain.pem"),
                        "--key", os.path.join(pki, "alice.key"), srv_handshake.url("/")],
                       capture_output=True, timeout=30)
    assert p.stdout.startswith(b"HTTP/1.1 200")
    assert p.stdout.endswith(b"\r\n\r\n")


def test_keep_alive_serves_several_requests(srv_handshake, pki):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(os.path.join(pki, "alice-chain.pem"), os.path.join(pki, "alice.key"))
    with socket.create_connection(("127.0.0.1", srv_handshake.port), timeout=10) as raw:
        with ctx.wrap_socket(raw) as s:
            req = b"GET /one HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n"
            s.sendall(req + req.replace(b"/one", b"/two"))
            data = b""
            while data.count(b"HTTP/1.1 200") < 2:
                chunk = s.recv(65536)
                assert chunk
                data += chunk
    assert b'"path":"/one"' in data and b'"path":"/two"' in data


def test_access_log_text(srv_handshake, pki):
    su.curl(srv_handshake, "/logged", pki, "erin-expired")
    lines = srv_handshake.wait_log('"GET /logged"',
                                   lambda ls: any('"GET /logged"' in ln for ln in ls))
    lines = [ln for ln in lines if '"GET /logged"' in ln]
    assert " 403 403.17 expired TLSv1.3 asked=initial" in lines[-1]
    assert 'cert="O=certpick-test,CN=erin-expired"' in lines[-1]


def test_json_log_and_ipv6(mprocs, tmp, pki):
    srv = su.Server(mprocs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                  "--json-log"], host="::1")
    a = su.curl(srv, "/v6", pki, "carol")
    assert a.status == 200
    lines = srv.wait_log("a JSON record", lambda ls: any(ln.startswith("{") for ln in ls))
    rec = [json.loads(ln) for ln in lines if ln.startswith("{")]
    assert rec[-1]["path"] == "/v6" and rec[-1]["status"] == 200
    assert rec[-1]["peer"].startswith("[::1]:")
    assert rec[-1]["client_certificate"]["subject"]["rfc4514"] == "CN=carol,O=certpick-test"


def test_no_ca_names(mprocs, tmp, pki):
    """--no-ca-names: empty list in TLS 1.2, no certificate_authorities extension in 1.3."""
    srv = su.Server(mprocs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                  "--no-ca-names"])
    assert "CA names sent: 0" in srv.stderr()
    for tls in ("-tls1_2", "-tls1_3"):
        p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % srv.port,
                            tls, "-trace"], input=b"", capture_output=True, timeout=30)
        out = p.stdout.decode("latin-1")
        assert "CertificateRequest" in out, out[-2000:]
        assert "extension_type=certificate_authorities" not in out
        assert "No client certificate CA names sent" in out
    a = su.curl(srv, "/", pki, None)
    assert a.json["asked_for"]["ca_names"] == []
    assert "names no CA" in a.json["advice"]


def test_ca_names_by_purpose(mprocs, tmp, pki):
    """TRUSTED CERTIFICATE aux: Root A trusted for clientAuth, Root B only for
    serverAuth: only Root A is named, and a Root B client is not trusted."""
    trust = os.path.join(tmp, "trust")
    os.makedirs(trust)
    subprocess.run(["openssl", "x509", "-in", os.path.join(pki, "rootA.pem"), "-addtrust",
                    "clientAuth", "-out", os.path.join(trust, "a.pem")], check=True, timeout=30)
    subprocess.run(["openssl", "x509", "-in", os.path.join(pki, "rootB.pem"), "-addtrust",
                    "serverAuth", "-out", os.path.join(trust, "b.pem")], check=True, timeout=30)
    shutil.copy(os.path.join(pki, "intA.pem"), os.path.join(trust, "c-int.pem"))
    srv = su.Server(mprocs, tmp, ["--trust", trust])
    a = su.curl(srv, "/", pki, None)
    names = [n["rfc4514"] for n in a.json["asked_for"]["ca_names"]]
    assert names == ["CN=certpick Test Root A,O=certpick-test",
                     "CN=certpick Test Intermediate A,O=certpick-test"]
    assert su.curl(srv, "/", pki, "alice").status == 200
    b = su.curl(srv, "/", pki, "carol")
    assert b.status == 403 and b.headers["x-certpick-substatus"] == "403.16"


def test_explicit_ca_names(mprocs, tmp, pki):
    """--ca-names advertises other names than the trust store (Apache SSLCADNRequestFile)."""
    srv = su.Server(mprocs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                  "--ca-names", os.path.join(pki, "rootC.pem"), "--tls1.2"])
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % srv.port],
                       input=b"", capture_output=True, timeout=30)
    out = p.stdout.decode()
    block = out.split("Acceptable client certificate CA names\n")[1].split("Client Cert")[0]
    assert block == "O = certpick-test, CN = certpick Test Root C\n", block


def test_announced_size_is_what_it_sends(mprocs, tmp, pki, certpick):
    """The size serve announces is the codec's encoding of its own TLS 1.2
    request: a probe measures exactly that message."""
    srv = su.Server(mprocs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                  "--client-auth", "require", "--tls1.2"])
    m = re.search(r"CA names sent: 2 \(CertificateRequest about (\d+) bytes\)", srv.stderr())
    assert m, srv.stderr()
    r = certpick("probe", "--json", "127.0.0.1:%d" % srv.port)
    req = json.loads(r.out)["requests"][0]
    assert req["tls_version"] == "TLSv1.2" and len(req["ca_names"]) == 2, r
    assert req["size"] == int(m.group(1))
    assert not [f for f in req["findings"] if f["id"].startswith("cr-too-large")]


def test_large_ca_list_warns(mprocs, tmp, pki):
    """A CA list over 32 KiB: warnings for IIS (16 KB) and Java/Windows (32 KiB)."""
    big = os.path.join(tmp, "big.pem")
    key = os.path.join(pki, "rootC.key")
    with open(big, "w") as out:
        for i in range(150):
            subj = "/O=certpick-test/OU=%s/OU=%s/OU=%s/CN=Big CA %03d" % (
                "x" * 60, "y" * 60, "z" * 60, i)
            p = subprocess.run(["openssl", "req", "-new", "-x509", "-key", key, "-subj", subj,
                                "-days", "30"], capture_output=True, text=True, check=True,
                               timeout=30)
            out.write(p.stdout)
    srv = su.Server(mprocs, tmp, ["--trust", big])
    a = su.curl(srv, "/", pki, None)
    assert len(a.json["asked_for"]["ca_names"]) == 150
    # the findings are printed before the server answers anyone: all there now
    err = srv.stderr()
    assert "cr-iis-truncation" in err
    assert "cr-too-large-java-windows" in err
    assert "cr-too-large-go" not in err


def test_fail_handshake(mprocs, tmp, pki):
    """--fail-handshake: no 403 page, the handshake fails; the log says why."""
    srv = su.Server(mprocs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                  "--fail-handshake", "--tls1.2"])
    p = subprocess.run(["curl", "-sk", srv.url("/")], capture_output=True, timeout=30)
    assert p.returncode != 0
    p = subprocess.run(["curl", "-sk", "--cert", os.path.join(pki, "mallory-chain.pem"),
                        "--key", os.path.join(pki, "mallory.key"), srv.url("/")],
                       capture_output=True, timeout=30)
    assert p.returncode != 0
    assert su.curl(srv, "/", pki, "alice", tls="1.2").status == 200
    # a refused handshake is logged when the server gives up on it, maybe after
    # the client has seen the alert
    lines = srv.wait_log("3 lines", lambda ls: len(ls) >= 3)
    assert " 0 403.7 no-client-certificate " in lines[0]
    assert " 0 403.16 untrusted-issuer " in lines[1]


def test_usage_errors(certpick):
    assert certpick("serve", "--client-auth", "maybe").rc == 2
    assert certpick("serve", "--require", "nope").rc == 2
    assert certpick("serve", "--listen", "::1:80").rc == 2
    assert certpick("serve", "--max-connections", "0").rc == 2
    assert certpick("serve", "--header-timeout", "-1").rc == 2
    assert certpick("serve", "--ca-names", "x", "--no-ca-names").rc == 2
    r = certpick("serve", "--trust", "/nonexistent/trust.pem")
    # the trust module's words, as check says them (one loader for both)
    assert r.rc == 4 and "cannot read trust store '/nonexistent/trust.pem'" in r.err


@pytest.mark.asan
def test_help_matches_docs(certpick):
    r = certpick("serve", "--help")
    assert r.rc == 0
    with open(os.path.join(ROOT, "docs", "cli", "serve.md")) as f:
        doc = f.read()
    m = re.search(r"## Synopsis\n\n```\n(.*?)```", doc, re.S)
    assert m and m.group(1) == r.out


@pytest.mark.asan
def test_sigterm_stops_cleanly(procs, tmp, pki):
    srv = su.Server(procs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem")])
    assert su.curl(srv, "/", pki, "alice").status == 200
    srv.wait_conns(0)
    idle = socket.create_connection(("127.0.0.1", srv.port))
    srv.wait_conns(1)               # stopping with a connection open
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(timeout=10) == 0
    idle.close()
    assert "SIGTERM: stopping" in srv.stderr()


# ---- abuse: the server stays up, bounded, and leaks nothing ----

def raise_nofile(n=8192):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


def settle(srv, want_fds, timeout=30):
    """Wait until the server has closed everything, back to want_fds descriptors."""
    srv.wait_closed(want_fds, timeout)


@pytest.fixture
def abuse_srv(procs, tmp, pki):
    raise_nofile()
    srv = su.Server(procs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                 "--handshake-timeout", "3", "--header-timeout", "3",
                                 "--idle-timeout", "3", "--max-connections", "2000"])
    assert su.curl(srv, "/", pki, "alice").status == 200
    return srv


def test_thousand_concurrent_connections(procs, tmp, pki):
    raise_nofile()
    # long timeouts: the connections must stay open while the test counts them
    srv = su.Server(procs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                 "--handshake-timeout", "120", "--header-timeout", "120",
                                 "--max-connections", "2000"])
    assert su.curl(srv, "/", pki, "alice").status == 200
    fds0 = srv.quiet_fds()
    rss0 = srv.status("VmRSS")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(os.path.join(pki, "alice-chain.pem"), os.path.join(pki, "alice.key"))
    conns = []
    for _ in range(1000):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        conns.append(s)
    # half of them finish a TLS handshake and stay idle; the rest stay raw
    tls = []
    for s in conns[:500]:
        tls.append(ctx.wrap_socket(s))
    # connected is not accepted: the server takes the raw ones from its listen
    # queue when it gets to them
    srv.wait_conns(1000)
    assert srv.fds() >= fds0 + 1000
    rss = srv.status("VmRSS")
    # others are still served while 1,000 connections are open
    assert su.curl(srv, "/", pki, "alice").status == 200
    assert su.python_ssl(srv, "/", pki, "mallory").status == 403
    for s in tls:
        s.close()
    for s in conns[500:]:
        s.close()
    settle(srv, fds0)
    # bounded: well under 100 KiB per connection, and memory goes back down
    assert rss - rss0 < 100 * 1000 * MEM_FACTOR, (rss0, rss)
    assert su.curl(srv, "/", pki, "alice").status == 200


def test_slowloris_is_cut_by_header_timeout(abuse_srv, pki):
    srv = abuse_srv
    fds0 = srv.quiet_fds()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(os.path.join(pki, "alice-chain.pem"), os.path.join(pki, "alice.key"))
    socks = [ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port), timeout=10))
             for _ in range(20)]
    # the request takes 130 s at a byte a second; the header timeout is 3 s
    req = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
    sent = [0] * len(socks)
    cut = [False] * len(socks)
    stop = threading.Event()

    def drip(i, s):
        # idles on purpose: a byte, then a second, until the server cuts it
        for b in req:
            try:
                s.sendall(bytes([b]))
            except OSError:
                cut[i] = True
                return
            sent[i] += 1
            if stop.wait(1):
                return

    threads = [threading.Thread(target=drip, args=(i, s)) for i, s in enumerate(socks)]
    for t in threads:
        t.start()
    try:
        wait_for("every slow client to have sent a byte (or been cut)",
                 lambda: [n > 0 or c for n, c in zip(sent, cut)], all)
        # meanwhile (whether or not the server has cut them yet), others are served
        assert su.curl(srv, "/", pki, "alice").status == 200
        # however long that took, every slow connection ends cut, long before its
        # request could be complete
        wait_for("the server to cut every slow connection", lambda: list(cut), all,
                 timeout=60, interval=0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    for s in socks:
        s.close()
    settle(srv, fds0)


def test_dropped_handshakes_and_garbage(abuse_srv, pki):
    srv = abuse_srv
    fds0 = srv.quiet_fds()
    rss0 = srv.status("VmRSS")
    hello = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % srv.port,
                            "-msg"], input=b"", capture_output=True, timeout=30)
    assert hello.returncode is not None
    for i in range(300):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        if i % 3 == 0:
            # a ClientHello cut short, then gone
            s.sendall(bytes.fromhex("160301020001") + os.urandom(40))
        elif i % 3 == 1:
            s.sendall(os.urandom(512))
        else:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")   # plain HTTP on a TLS port
        s.close()
    # a TLS client that sends garbage after the handshake gets a 400, not a crash
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port), timeout=10)) as s:
        s.sendall(b"\x00\x01garbage\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 400")
    # headers over 16 KiB: 431
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port), timeout=10)) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 431")
    assert su.curl(srv, "/", pki, "alice").status == 200
    settle(srv, fds0)
    assert srv.status("VmRSS") - rss0 < 20 * 1000 * MEM_FACTOR
    assert srv.proc.poll() is None


def test_client_that_leaves_gets_no_alert(abuse_srv, pki):
    """A client that closes without close_notify (a browser's spare
    connection, an idle keep-alive one) gets no decode_error alert: before the
    handshake nothing at all, after it a close_notify (nginx does the same)."""
    srv = abuse_srv
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.shutdown(socket.SHUT_WR)
        assert s.recv(100) == b""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(bytes.fromhex("160301020001") + b"\x03\x03")   # a ClientHello cut short
        s.shutdown(socket.SHUT_WR)
        assert s.recv(100) == b""
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.maximum_version = version
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port), timeout=10)) as s:
            socket.socket.shutdown(s, socket.SHUT_WR)   # the TCP half-close, no close_notify
            assert s.recv(100) == b"", version          # close_notify; an alert raises SSLError
    assert su.curl(srv, "/", pki, "alice").status == 200
    assert srv.proc.poll() is None


# ---- headless Chromium ----

# What Chromium does with each certificate, asked at the handshake with names
# A and B: it sends only a certificate that chains to a named CA, is valid now
# and allows clientAuth (the chrome profile in src/lib/profiles.c, with its sources); the others
# never arrive (403.7). It does not check revocation, so rita arrives (403.13).
NOT_SENT = ("403.7", "No client certificate arrived")
CHROMIUM_CASES = [
    # (TLS version, who, substatus, words on the page)
    ("1.3", None, "403.7", "No client certificate arrived"),
    ("1.3", "alice", None, "was accepted"),
    ("1.3", "mallory", *NOT_SENT),
    ("1.3", "erin-expired", *NOT_SENT),
    ("1.3", "frank-future", *NOT_SENT),
    ("1.3", "rita-revoked", "403.13", "was revoked by its CA"),
    ("1.3", "bob-serveronly", *NOT_SENT),
    ("1.2", None, "403.7", "No client certificate arrived"),
    ("1.2", "carol", None, "was accepted"),
    ("1.2", "rita-revoked", "403.13", "was revoked by its CA"),
]

ARTIFACTS = os.path.join(ROOT, "build", "test-artifacts")


def is_png(path):
    with open(path, "rb") as f:
        head = f.read(24)
    w = int.from_bytes(head[16:20], "big")
    h = int.from_bytes(head[20:24], "big")
    return head[:8] == b"\x89PNG\r\n\x1a\n" and w >= 400 and h >= 300 and \
        os.path.getsize(path) > 10000


@pytest.fixture
def chromium_for(tmp, pki):
    made = []

    def make(who, srv):
        c = su.Chromium(tmp, pki, who, "https://127.0.0.1:%d" % srv.port)
        made.append(c)
        return c
    yield make
    for c in made:
        c.close()


@pytest.fixture(scope="module")
def srv_handshake12(mprocs, mtmp, pki, crl):
    return su.Server(mprocs, mtmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                    "--crl", crl, "--client-auth", "require", "--tls1.2"])


@pytest.mark.parametrize("tls,who,sub,words", CHROMIUM_CASES,
                         ids=["%s-%s" % (c[0], c[1] or "no-cert") for c in CHROMIUM_CASES])
def test_chromium_at_handshake(request, chromium_for, tls, who, sub, words):
    need("chromium")
    srv = request.getfixturevalue("srv_handshake" if tls == "1.3" else "srv_handshake12")
    dom = chromium_for(who, srv).dump_dom(srv.url("/"))
    if sub is None:
        assert "<title>200 OK: client certificate accepted</title>" in dom, dom[:500]
    else:
        assert "<title>%s Forbidden" % sub in dom, dom[:500]
    assert words in dom
    assert "over TLSv%s" % tls in dom


def test_chromium_per_path(mprocs, mtmp, pki, crl, chromium_for):
    """TLS 1.2: Chromium renegotiates and sends alice; TLS 1.3: it has no PHA."""
    need("chromium")
    for tls, want in (("--tls1.2", "200 OK: client certificate accepted"),
                      ("--tls1.3", "403.7 Forbidden")):
        srv = su.Server(mprocs, mtmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                       "--require", "/secure", tls])
        chrome = chromium_for("alice", srv)
        dom = chrome.dump_dom(srv.url("/secure/"))
        chrome.close()
        assert "<title>%s" % want in dom, (tls, dom[:600])
        if tls == "--tls1.3":
            assert "pha-not-offered" in dom


def test_chromium_screenshots(srv_handshake, chromium_for):
    need("chromium")
    os.makedirs(ARTIFACTS, exist_ok=True)
    for who, name in ((None, "serve-403-7.png"), ("alice", "serve-200.png")):
        path = os.path.join(ARTIFACTS, name)
        if os.path.exists(path):
            os.unlink(path)
        chromium_for(who, srv_handshake).screenshot(srv_handshake.url("/"), path)
        assert is_png(path), path


def test_optional_client_auth(mprocs, tmp, pki):
    """optional: asked at the handshake, nothing protected but --require paths,
    which do not ask again (the answer at the handshake stands)."""
    srv = su.Server(mprocs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                  "--client-auth", "optional", "--require", "/secure"])
    a = su.curl(srv, "/", pki, None)
    assert a.status == 200 and a.json["asked_for"]["when"] == "initial"
    b = su.curl(srv, "/", pki, "mallory")
    assert b.status == 200 and "x-certpick-substatus" not in b.headers
    assert b.json["reason"] == "untrusted-issuer"          # said, not enforced
    c = su.curl(srv, "/secure/x", pki, None)
    assert c.status == 403 and c.headers["x-certpick-substatus"] == "403.7"
    assert c.json["asked_for"]["when"] == "initial"
    d = su.curl(srv, "/secure/x", pki, "carol")
    assert d.status == 200 and d.json["client_certificate"]["subject"]["rfc4514"] == \
        "CN=carol,O=certpick-test"


def test_cert_and_key_files(mprocs, tmp, pki):
    """--cert/--key: the server presents the given identity (no throwaway)."""
    srv = su.Server(mprocs, tmp, ["--cert", os.path.join(pki, "server-chain.pem"),
                                  "--key", os.path.join(pki, "server.key"),
                                  "--trust", os.path.join(pki, "ca-roots-AB.pem")])
    assert "throwaway" not in srv.stderr()
    p = subprocess.run(["curl", "-s", "--cacert", os.path.join(pki, "rootA.pem"),
                        "--cert", os.path.join(pki, "alice-chain.pem"),
                        "--key", os.path.join(pki, "alice.key"),
                        "https://localhost:%d/" % srv.port, "-o", "/dev/null",
                        "-w", "%{http_code}"], capture_output=True, text=True, timeout=30)
    assert p.stdout == "200"


def test_max_connections(procs, tmp, pki):
    """At --max-connections the server stops accepting until one closes."""
    srv = su.Server(procs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                 "--max-connections", "4"])
    srv.wait_conns(0)               # wait_port's probe is gone: four free places
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(os.path.join(pki, "alice-chain.pem"), os.path.join(pki, "alice.key"))
    held = [ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port), timeout=30))
            for _ in range(4)]
    assert srv.conns() == 4         # each finished a handshake: accepted
    fifth = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    wait_for("the fifth connection in the listen queue", srv.backlog, lambda n: n == 1)
    # two requests in turn on a held connection: the server's loop has gone round
    # with the fifth waiting (an enabled listener would have been ready in the same
    # poll as the first request), and left it in the queue
    req = b"GET /%d HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n"
    for i in (1, 2):
        held[0].sendall(req % i)
        data = b""
        while b'"path":"/%d"' % i not in data:
            chunk = held[0].recv(65536)
            assert chunk, data
            data += chunk
    assert (srv.conns(), srv.backlog()) == (4, 1)
    # one closes: the fifth is taken
    held.pop().close()
    wait_for("the fifth connection accepted", srv.backlog, lambda n: n == 0)
    for s in held + [fifth]:
        s.close()
    assert su.curl(srv, "/", pki, "alice").status == 200
