"""certpick serve against hostile configurations and clients (issue 19, item 4:
a review's findings F5, F6, F11, F14, F20, each described at its test): real
clients (curl, Python ssl on raw sockets) on loopback, every PKI made here with the openssl
command line, in temporary folders.
"""
import json
import os
import socket
import ssl
import subprocess

import pytest

from conftest import MEM_FACTOR, Procs, run_certpick
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


def why(a):
    """What an answer said, for assertion messages."""
    try:
        j = a.json
    except ValueError:
        return a
    return (a.status, j.get("substatus"), j.get("reason"), j.get("advice"))


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
    assert a.status == 403, (value, path, why(a))
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


# --- F6: --crl checks every certificate of the path that has a CRL given ---

CA_CONF = """[ca]
default_ca=c
[c]
dir={d}
database=$dir/index.txt
new_certs_dir=$dir
serial=$dir/serial
crlnumber=$dir/crlnumber
default_md=sha256
default_days=365
default_crl_days=30
policy=p
copy_extensions=none
unique_subject=no
[p]
commonName=supplied
organizationName=optional
[v3ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[v3leaf]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
authorityKeyIdentifier=keyid
"""


class MiniCA:
    """An `openssl ca` database for one CA certificate and key (issue, revoke, CRL)."""

    def __init__(self, work, name, cert, key):
        self.work, self.name, self.cert, self.key = work, name, cert, key
        self.dir = os.path.join(work, "db-" + name)
        os.makedirs(self.dir)
        open(os.path.join(self.dir, "index.txt"), "w").close()
        with open(os.path.join(self.dir, "serial"), "w") as f:
            f.write("%s\n" % ("10" + os.urandom(6).hex()))
        with open(os.path.join(self.dir, "crlnumber"), "w") as f:
            f.write("01\n")
        self.conf = os.path.join(self.dir, "ca.cnf")
        with open(self.conf, "w") as f:
            f.write(CA_CONF.format(d=self.dir))

    def issue(self, name, cn, ext):
        """name.key, name.pem signed by this CA with section ext; returns MiniCA-ready paths."""
        _ossl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
              "-out", name + ".key", cwd=self.work)
        _ossl("req", "-new", "-key", name + ".key", "-subj", "/O=certpick-test/CN=" + cn,
              "-out", name + ".csr", cwd=self.work)
        _ossl("ca", "-batch", "-config", self.conf, "-cert", self.cert, "-keyfile", self.key,
              "-in", name + ".csr", "-out", name + ".pem", "-extensions", ext, "-notext",
              cwd=self.work)
        return os.path.join(self.work, name + ".pem"), os.path.join(self.work, name + ".key")

    def revoke(self, pem):
        _ossl("ca", "-config", self.conf, "-cert", self.cert, "-keyfile", self.key,
              "-revoke", pem, cwd=self.work)

    def crl(self):
        out = os.path.join(self.dir, "crl.pem")
        _ossl("ca", "-config", self.conf, "-cert", self.cert, "-keyfile", self.key,
              "-gencrl", "-out", out, cwd=self.work)
        with open(out) as f:
            return f.read()


def _write(path, *parts):
    with open(path, "w") as f:
        f.write("".join(parts))
    return path


@pytest.fixture(scope="module")
def revpki(mtmp, pki):
    """Root A -> revoked-mid (revoked by Root A) -> under-revoked-mid, and
    Root A -> good-mid -> under-good-mid; CRLs of Root A and of both mids."""
    w = os.path.join(mtmp, "revpki")
    os.makedirs(w)
    root = MiniCA(w, "rootA", os.path.join(pki, "rootA.pem"), os.path.join(pki, "rootA.key"))
    out = {}
    for mid in ["revoked-mid", "good-mid"]:
        cert, key = root.issue(mid, mid, "v3ca")
        ca = MiniCA(w, mid, cert, key)
        leaf, lkey = ca.issue("under-" + mid, "under-" + mid, "v3leaf")
        with open(leaf) as f, open(cert) as g:
            out[mid] = (_write(os.path.join(w, "under-%s-chain.pem" % mid), f.read(), g.read()),
                        lkey, ca)
    root.revoke(os.path.join(w, "revoked-mid.pem"))
    root_crl = root.crl()
    out["all"] = _write(os.path.join(w, "crl-all.pem"), root_crl, out["revoked-mid"][2].crl(),
                        out["good-mid"][2].crl())
    out["mid-only"] = _write(os.path.join(w, "crl-good-mid.pem"), out["good-mid"][2].crl())
    out["root"] = os.path.join(pki, "rootA.pem")
    return out


def _curl_with(srv, chain, key):
    p = subprocess.run(["curl", "-sk", "--http1.1", "-D", "-", "-H", "Accept: application/json",
                        "--cert", chain, "--key", key, srv.url("/")],
                       capture_output=True, timeout=30)
    return su.parse_http(p.stdout)


def test_crl_revoked_intermediate_refuses_its_leaves(mprocs, mtmp, revpki):
    srv = su.Server(mprocs, mtmp, ["--trust", revpki["root"], "--crl", revpki["all"],
                                   "--client-auth", "require"])
    chain, key, _ = revpki["revoked-mid"]
    a = _curl_with(srv, chain, key)
    assert a.status == 403, why(a)
    assert a.headers.get("x-certpick-substatus") == "403.13", why(a)
    assert a.json["reason"] == "revoked"
    assert "CN=revoked-mid" in a.json["advice"], a.json["advice"]
    rules = {r["id"]: r["result"] for r in a.json["rules"]}
    assert rules["not-revoked"] == "fail"
    # check --crl says the same of the same files
    r = run_certpick("check", "--trust", revpki["root"], "--crl", revpki["all"], chain, key)
    assert r.rc == 1 and "revoked" in r.out, r
    # a leaf under a CA that is not revoked still passes
    chain, key, _ = revpki["good-mid"]
    a = _curl_with(srv, chain, key)
    assert a.status == 200, a
    assert {r["id"]: r["result"] for r in a.json["rules"]}["not-revoked"] == "pass"


@pytest.mark.parametrize("crl_all", [False, True], ids=["available", "crl-all"])
def test_crl_missing_for_a_ca(mprocs, mtmp, revpki, crl_all):
    """Only good-mid's CRL: the leaf is checked; Root A published none for good-mid,
    which is fine unless --crl-all asks for every certificate of the path."""
    srv = su.Server(mprocs, mtmp, ["--trust", revpki["root"], "--crl", revpki["mid-only"],
                                   "--client-auth", "require"] + (["--crl-all"] if crl_all else []))
    chain, key, _ = revpki["good-mid"]
    a = _curl_with(srv, chain, key)
    if crl_all:
        assert a.status == 403 and a.json["reason"] == "crl-unavailable", why(a)
    else:
        assert a.status == 200, why(a)


def test_crl_all_needs_crl(pki):
    r = run_certpick("serve", "--listen", "127.0.0.1:0", "--crl-all", timeout=30)
    assert r.rc == 2 and "--crl-all needs --crl" in r.err, r


# --- F14: the first sentence names the real cause ---

@pytest.fixture(scope="module")
def srv_roots(mprocs, mtmp, pki):
    return su.Server(mprocs, mtmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                    "--client-auth", "require"])


def test_ku_failure_is_named_as_ku(srv_roots, pki):
    a = su.curl(srv_roots, "/", pki, "kuenc")
    assert a.status == 403 and a.json["reason"] == "ku-no-digital-signature", why(a)
    assert "keyUsage lacks digitalSignature" in a.json["advice"], a.json["advice"]
    assert "extendedKeyUsage" not in a.json["advice"]
    # check says the same of the same certificate
    r = run_certpick("check", "--json", "--trust", os.path.join(pki, "ca-roots-AB.pem"),
                     os.path.join(pki, "kuenc.pem"), os.path.join(pki, "kuenc.key"))
    ids = [f["id"] for f in json.loads(r.out)["certificates"][0]["findings"]]
    assert ids and ids[0] == "ku-no-digital-signature", ids


def test_issuer_that_is_no_ca_ranks_before_purpose(srv_roots, pki, mtmp):
    """eve is signed by alice, a client certificate (CA:FALSE, no keyCertSign)."""
    w = os.path.join(mtmp, "noca")
    os.makedirs(w)
    _ossl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
          "-out", "eve.key", cwd=w)
    _ossl("req", "-new", "-key", "eve.key", "-subj", "/O=certpick-test/CN=eve", "-out",
          "eve.csr", cwd=w)
    _write(os.path.join(w, "eve.ext"), "[v3]\nbasicConstraints=CA:FALSE\n"
           "keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n")
    _ossl("x509", "-req", "-in", "eve.csr", "-CA", os.path.join(pki, "alice.pem"), "-CAkey",
          os.path.join(pki, "alice.key"), "-CAcreateserial", "-days", "30", "-extfile",
          "eve.ext", "-extensions", "v3", "-out", "eve.pem", cwd=w)
    parts = []
    for f in [os.path.join(w, "eve.pem"), os.path.join(pki, "alice-chain.pem")]:
        with open(f) as g:
            parts.append(g.read())
    chain = _write(os.path.join(w, "eve-chain.pem"), *parts)
    a = _curl_with(srv_roots, chain, os.path.join(w, "eve.key"))
    assert a.status == 403 and a.json["reason"] == "chain-invalid", why(a)
    assert "'CN=alice,O=certpick-test' signed a certificate of your chain but may not act " \
        "as a CA" in a.json["advice"], a.json["advice"]
    rules = {r["id"]: r["result"] for r in a.json["rules"]}
    assert rules["chain-valid"] == "fail", rules
    # check says the same of the same files (it said chain-incomplete: "missing issuer
    # CN=alice", although alice was in the file)
    r = run_certpick("check", "--json", "--trust", os.path.join(pki, "ca-roots-AB.pem"), chain,
                     os.path.join(w, "eve.key"))
    eve = [c for c in json.loads(r.out)["certificates"] if c["subject"]["rfc4514"].startswith(
        "CN=eve")][0]
    assert eve["findings"][0]["id"] == "chain-invalid", eve["findings"]


def test_trust_store_with_only_an_intermediate(mprocs, mtmp, pki):
    srv = su.Server(mprocs, mtmp, ["--trust", os.path.join(pki, "intA.pem"),
                                   "--client-auth", "require"])
    a = su.curl(srv, "/", pki, "alice")
    assert a.status == 403 and a.json["reason"] == "trust-intermediate-only", why(a)
    assert a.json["advice"].startswith("This server trusts only an intermediate"), a.json
    assert "'CN=certpick Test Intermediate A,O=certpick-test'" in a.json["advice"]
    # a certificate from a CA that is not trusted at all is still untrusted-issuer
    a = su.curl(srv, "/", pki, "mallory")
    assert a.status == 403 and a.json["reason"] == "untrusted-issuer", a


# --- F11: the chain shown and the answer are capped for long chains ---

@pytest.fixture(scope="module")
def bloated(mtmp):
    import bloat
    d = os.path.join(mtmp, "bloat")
    os.makedirs(d)
    return bloat.make_bloated_chain(d)


def _get_with(srv, chain, key, accept):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(chain, key)
    with ctx.wrap_socket(socket.create_connection((srv.host, srv.port), timeout=20)) as s:
        s.sendall(("GET / HTTP/1.1\r\nHost: x\r\nAccept: %s\r\nConnection: close\r\n\r\n"
                   % accept).encode())
        data = b""
        while True:
            got = s.recv(65536)
            if not got:
                break
            data += got
    return su.parse_http(data), len(data)


def test_long_chain_is_capped_in_the_answer(srv_roots, bloated):
    chain, key, der = bloated
    assert der > 90000      # 33 certificates, ~97 KB: the shape of the finding
    a, size = _get_with(srv_roots, chain, key, "application/json")
    assert a.status == 403, why(a)
    cc = a.json["client_certificate"]
    shown = len(cc["chain"])
    assert 1 <= shown <= 10, (shown, size)
    # the whole answer was 283 KB for this chain; now far less than the chain itself
    assert size < 64 * 1024, size
    assert cc["chain_omitted"] == 33 - shown, cc["chain_omitted"]
    assert cc["chain"][0]["sha256"] == cc["sha256"]
    h, hsize = _get_with(srv_roots, chain, key, "text/html")
    assert h.status == 403
    assert "And %d more certificate(s) sent, not shown." % (33 - shown) in h.body
    assert hsize < 64 * 1024, hsize


def test_short_chain_is_shown_whole(srv_roots, pki):
    a = su.curl(srv_roots, "/", pki, "alice")
    assert a.status == 200
    cc = a.json["client_certificate"]
    assert len(cc["chain"]) == 2 and cc["chain_omitted"] == 0, cc


def test_long_chain_connection_is_not_kept_whole(mprocs, mtmp, pki, bloated, monkeypatch):
    """What one connection holds: OpenSSL kept all 33 parsed certificates in the
    session (~600 KiB per connection); now only what a report can show."""
    chain, key, _ = bloated
    # under ASan, freed memory waits in a quarantine and would count as kept
    monkeypatch.setenv("ASAN_OPTIONS", ":".join(
        o for o in [os.environ.get("ASAN_OPTIONS", ""), "quarantine_size_mb=0"] if o))
    srv = su.Server(mprocs, mtmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                   "--client-auth", "require", "--handshake-timeout", "120",
                                   "--header-timeout", "120", "--idle-timeout", "120"])
    a, _ = _get_with(srv, chain, key, "application/json")      # warm up, and the shape
    assert a.json["client_certificate"]["chain_omitted"] == 33 - len(
        a.json["client_certificate"]["chain"])
    srv.quiet_fds()
    rss0 = srv.status("VmRSS")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(chain, key)
    n, conns = 100, []
    try:
        for _ in range(n):
            conns.append(ctx.wrap_socket(socket.create_connection((srv.host, srv.port),
                                                                  timeout=30)))
        srv.wait_conns(n)
        per_conn = (srv.status("VmRSS") - rss0) / n
    finally:
        for s in conns:
            s.close()
    assert per_conn < 350 * MEM_FACTOR, per_conn     # KiB; was ~610


def test_chain_deeper_than_verify_depth_is_refused(mprocs, mtmp):
    from test_hostile import make_chain
    for depth, status in [(8, 200), (9, 403)]:
        d = os.path.join(mtmp, "deep%d" % depth)
        os.makedirs(d)
        root, chain, key = make_chain(d, depth)
        srv = su.Server(mprocs, mtmp, ["--trust", root, "--client-auth", "require"])
        a, _ = _get_with(srv, chain, key, "application/json")
        assert a.status == status, (depth, why(a))
        if status == 403:
            assert a.json["reason"] == "certificate-invalid", why(a)
            assert "chain too long" in json.dumps(a.json["findings"])
            assert "deeper than this server verifies" in a.json["advice"], why(a)
