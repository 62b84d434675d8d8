"""certpick capture on real traffic: tcpdump records loopback while real clients
(openssl s_client -keylogfile, curl with SSLKEYLOGFILE, Python keylog_filename)
talk to openssl s_server and `certpick serve`, over TLS 1.2 (handshake request and
renegotiation) and TLS 1.3 (handshake and post-handshake), with an accepted
certificate, none, and a refused one, with and without the key log. For every
capture, what certpick reports (CA names, signature algorithms, the client chain's
SHA-256 values, alerts, HTTP status) is compared with what tshark decodes from the
same file with the same key log: tshark is the independent reference."""
import hashlib
import json
import os
import socket
import struct
import subprocess

import pytest

import serve_util as su
from conftest import free_port, need, run_certpick, wait_for, wait_port

OID = {"2.5.4.3": "CN", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.6": "C", "2.5.4.7": "L",
       "2.5.4.8": "ST"}


class Tcpdump:
    """tcpdump -i lo on one port, to a file. Ready when it says "listening on";
    stopped only once a marker connection made after the traffic is in the file
    (so every earlier packet is too), then SIGTERM flushes and closes it."""

    def __init__(self, procs, tmp, port):
        need("tcpdump")
        self.port = port
        self.path = os.path.join(tmp, "cap-%d.pcap" % port)
        # -B: a 16 MiB kernel buffer (the default 2 MiB dropped packets of a
        # browser's burst under load: the capture then reports the bytes missing)
        self.proc = procs.start(["tcpdump", "-i", "lo", "-U", "--immediate-mode", "-n", "-B", "16384",
                                 "-w", self.path, "tcp port %d" % port],
                                stderr=subprocess.PIPE)
        line = wait_for("tcpdump ready", self.proc.stderr.readline,
                        until=lambda ln: b"listening on" in ln or ln == b"", timeout=30)
        assert b"listening on" in line, "tcpdump did not start"

    def _marker_ports(self):
        """Source ports of SYNs to self.port in the file so far."""
        try:
            data = open(self.path, "rb").read()
        except FileNotFoundError:
            return set()
        ports, off = set(), 24
        while off + 16 <= len(data):
            caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
            frame = data[off + 16:off + 16 + caplen]
            off += 16 + caplen
            if len(frame) < 14 + 20 + 14 or frame[12:14] != b"\x08\x00":
                continue
            ihl = (frame[14] & 15) * 4
            tcp = frame[14 + ihl:]
            if len(tcp) >= 14 and tcp[13] & 0x02 and not tcp[13] & 0x10:
                ports.add(struct.unpack(">H", tcp[0:2])[0])
        return ports

    def stop(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            mine = s.getsockname()[1]
        self.marker = mine
        wait_for("marker in the capture", self._marker_ports, until=lambda p: mine in p)
        self.proc.terminate()
        self.proc.wait(timeout=30)
        err = self.proc.stderr.read().decode("utf-8", "replace")
        dropped = [ln for ln in err.splitlines() if "dropped by kernel" in ln]
        self.dropped = int(dropped[0].split()[0]) if dropped else 0
        return self.path


def capture(path, *args):
    r = run_certpick("capture", "--json", path, *args)
    assert r.rc in (0, 1), r.err
    return json.loads(r.out)


def tshark(path, keylog, port):
    """Per client port: the handshake messages, alerts and HTTP status tshark decodes."""
    need("tshark")
    argv = ["tshark", "-r", path, "-T", "json", "--no-duplicate-keys",
            "-d", "tcp.port==%d,tls" % port, "-d", "tls.port==%d,http" % port,
            # s_server -www answers HTTP/1.0 without a length: the status is all we need
            "-o", "http.desegment_body:FALSE"]
    if keylog:
        argv += ["-o", "tls.keylog_file:" + keylog]
    p = subprocess.run(argv, capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr
    conns = {}
    for pkt in json.loads(p.stdout or b"[]"):
        layers = pkt["_source"]["layers"]
        tcp = layers.get("tcp", {})
        sport, dport = int(tcp.get("tcp.srcport", 0)), int(tcp.get("tcp.dstport", 0))
        from_client = dport == port
        c = conns.setdefault(sport if from_client else dport,
                             {"requests": [], "certs": [], "alerts": [], "http": []})
        _walk(layers.get("tls"), c, from_client)
        c["http"] += [int(x) for x in _values(layers.get("http"), "http.response.code")]
    return conns


def _as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _values(o, key):
    """Every value of key anywhere under o, in order."""
    out = []
    if isinstance(o, dict):
        for k, v in o.items():
            if k == key:
                out += [x for x in _as_list(v) if isinstance(x, str)]
            out += _values(v, key)
    elif isinstance(o, list):
        for v in o:
            out += _values(v, key)
    return out


def _dnames(o):
    """Each tls.handshake.dname as an RFC 4514 string (last RDN first)."""
    out = []
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "tls.handshake.dname":
                for dn in _as_list(v):
                    rdns = [(e.get("x509if.oid"), (_values(e, "x509sat.uTF8String") +
                             _values(e, "x509sat.printableString"))[0])
                            for e in _values_dicts(dn, "x509if.RelativeDistinguishedName_item_element")]
                    out.append(",".join("%s=%s" % (OID.get(a, a), s) for a, s in reversed(rdns)))
            else:
                out += _dnames(v)
    elif isinstance(o, list):
        for v in o:
            out += _dnames(v)
    return out


def _values_dicts(o, key):
    out = []
    if isinstance(o, dict):
        for k, v in o.items():
            if k == key:
                out += [x for x in _as_list(v) if isinstance(x, dict)]
            else:
                out += _values_dicts(v, key)
    elif isinstance(o, list):
        for v in o:
            out += _values_dicts(v, key)
    return out


def _walk(o, c, from_client):
    if isinstance(o, list):
        for v in o:
            _walk(v, c, from_client)
        return
    if not isinstance(o, dict):
        return
    t = o.get("tls.handshake.type")
    if t == "13" and not from_client:
        c["requests"].append({"sigalgs": [int(x, 16) for x in _values(o, "tls.handshake.sig_hash_alg")],
                              "ca_names": _dnames(o)})
        return
    if t == "11" and from_client:
        c["certs"].append([hashlib.sha256(bytes.fromhex(x.replace(":", ""))).hexdigest()
                           for x in _values(o, "tls.handshake.certificate")])
        return
    if "tls.alert_message" in o:
        for a in _values_dicts(o, "tls.alert_message_tree") or [o]:
            lv, desc = _values(a, "tls.alert_message.level"), _values(a, "tls.alert_message.desc")
            for x, y in zip(lv, desc):
                c["alerts"].append({"from": "client" if from_client else "server",
                                    "level": int(x), "code": int(y)})
    for k, v in o.items():
        if k != "tls.alert_message_tree":
            _walk(v, c, from_client)


def raw_sigalgs(req):
    """The SignatureScheme codes of a request object, read from its "raw" bytes
    (TLS 1.2: supported_signature_algorithms; TLS 1.3: extensions 13 and 50 in order)."""
    b = bytes.fromhex(req["raw"])
    codes = []
    if req["tls_version"] == "TLSv1.2":
        off = 1 + b[0]
        n = struct.unpack(">H", b[off:off + 2])[0]
        return [struct.unpack(">H", b[off + 2 + i:off + 4 + i])[0] for i in range(0, n, 2)]
    off = 1 + b[0] + 2
    while off + 4 <= len(b):
        t, n = struct.unpack(">HH", b[off:off + 4])
        if t in (13, 50):
            m = struct.unpack(">H", b[off + 4:off + 6])[0]
            codes += [struct.unpack(">H", b[off + 6 + i:off + 8 + i])[0] for i in range(0, m, 2)]
        off += 4 + n
    return codes


def compare(cap, ref):
    """Every field certpick reports equals tshark's for each connection; returns
    the number of connections compared."""
    n = 0
    for conn in cap["connections"]:
        port = int(conn["client"].rsplit(":", 1)[1])
        t = ref.get(port)
        assert t is not None, "tshark saw no connection from port %d" % port
        reqs = [{"sigalgs": raw_sigalgs(r), "ca_names": [d["rfc4514"] for d in r["ca_names"]]}
                for r in conn["requests"]]
        assert reqs == t["requests"], (conn["client"], reqs, t["requests"])
        chains = [[x["sha256"] for x in a["chain"]] for a in conn["client_certificates"]]
        assert chains == t["certs"], (conn["client"], chains, t["certs"])
        alerts = [{"from": a["from"], "level": a["level"], "code": a["code"]}
                  for a in conn["alerts"] if not a["encrypted"]]
        assert alerts == t["alerts"], (conn["client"], alerts, t["alerts"])
        status = [conn["http"]["status"]] if conn["http"] and conn["http"]["status"] else []
        assert status == t["http"][:1], (conn["client"], status, t["http"])
        n += 1
    return n


def s_server(procs, tmp, pki, port, tls, refuse=False):
    argv = ["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-www", "-quiet",
            "-cert", os.path.join(pki, "server.pem"), "-key", os.path.join(pki, "server.key"),
            "-Verify", "1", "-CAfile", os.path.join(pki, "ca-roots-AB.pem"),
            "-tls1_3" if tls == "1.3" else "-tls1_2"]
    if refuse:
        argv.append("-verify_return_error")
    p = procs.start(argv)
    wait_port(port, proc=p)
    return p


def s_client(port, keylog, pki, who, tls):
    argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-quiet", "-ign_eof",
            "-tls1_3" if tls == "1.3" else "-tls1_2", "-keylogfile", keylog]
    if who:
        argv += ["-cert", os.path.join(pki, who + "-chain.pem"), "-key",
                 os.path.join(pki, who + ".key"), "-cert_chain", os.path.join(pki, who + "-chain.pem")]
    subprocess.run(argv, input=b"GET / HTTP/1.0\r\n\r\n", capture_output=True, timeout=30)


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_s_server_accepted_none_refused(procs, tmp, pki, tls):
    """s_client against s_server: alice (accepted), no certificate, mallory (refused:
    unknown CA). With the key log every field equals tshark's; without, TLS 1.3
    says what it could not see."""
    need("openssl")
    port = free_port()
    keylog = os.path.join(tmp, "keys.log")
    cap = Tcpdump(procs, tmp, port)
    s_server(procs, tmp, pki, port, tls, refuse=True)
    for who in ["alice", None, "mallory"]:
        s_client(port, keylog, pki, who, tls)
    path = cap.stop()

    out = capture(path, "--keylog", keylog)
    conns = [c for c in out["connections"] if c["client_hello"]]
    assert len(conns) == 3
    assert compare({"connections": conns}, tshark(path, keylog, port)) == 3
    alice, none, mallory = conns
    for c in conns:
        assert c["tls_version"] == "TLSv" + tls
        assert len(c["requests"]) == 1 and c["requests"][0]["phase"] == "initial"
        assert [d["rfc4514"] for d in c["requests"][0]["ca_names"]] == [
            "CN=certpick Test Root A,O=certpick-test", "CN=certpick Test Root B,O=certpick-test"]
        assert c["decryption"]["records_not_decrypted"] == 0
    assert alice["client_certificates"][0]["chain"][0]["subject"]["rfc4514"] == \
        "CN=alice,O=certpick-test"
    assert alice["client_certificates"][0]["findings"] == []
    assert alice["fix"] is None
    assert none["client_certificates"][0]["empty"] is True
    assert "empty Certificate" in none["verdict"]
    mal = mallory["client_certificates"][0]
    assert [f["id"] for f in mal["findings"]] == ["issuer-not-accepted"]
    assert any(a["from"] == "server" and a["name"] == "unknown_ca" and a["after_request"]
               for a in mallory["alerts"])
    assert "unknown_ca" in mallory["verdict"]

    # the same file without the key log
    blind = capture(path)
    bconns = [c for c in blind["connections"] if c["client_hello"]]
    if tls == "1.3":
        for c in bconns:
            assert c["requests"] == [] and c["client_certificates"] == []
            assert "cannot be seen" in c["verdict"]
            assert any("no key log given" in n for n in c["not_seen"])
        # tshark without the key log does not see them either
        ref = tshark(path, None, port)
        assert all(not v["requests"] and not v["certs"] for v in ref.values())
    else:
        assert compare({"connections": bconns}, tshark(path, None, port)) == 3


def test_serve_renegotiation_and_pha(procs, tmp, pki):
    """certpick serve asks only for /secure: TLS 1.2 renegotiation (curl with
    SSLKEYLOGFILE: alice accepted, then no certificate: 403) and TLS 1.3
    post-handshake auth (Python keylog_filename: carol). The requests are seen
    only by decrypting; HTTP statuses and everything else equal tshark's."""
    need("curl")
    keylog = os.path.join(tmp, "keys.log")
    srv = su.Server(procs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                 "--require", "/secure"])
    cap = Tcpdump(procs, tmp, srv.port)
    env = dict(os.environ, SSLKEYLOGFILE=keylog)
    for who in ["alice", None]:
        argv = ["curl", "-sk", "--http1.1", "--tlsv1.2", "--tls-max", "1.2", "-o", os.devnull,
                "-w", "%{http_code}", srv.url("/secure/x")]
        if who:
            argv += ["--cert", os.path.join(pki, who + "-chain.pem"),
                     "--key", os.path.join(pki, who + ".key")]
        r = subprocess.run(argv, capture_output=True, timeout=30, env=env)
        assert r.stdout == (b"200" if who else b"403")
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.post_handshake_auth = True
    ctx.keylog_filename = keylog
    ctx.load_cert_chain(os.path.join(pki, "carol-chain.pem"), os.path.join(pki, "carol.key"))
    with socket.create_connection(("127.0.0.1", srv.port), timeout=20) as raw:
        with ctx.wrap_socket(raw) as s:
            s.sendall(b"GET /secure/y HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
    assert data.startswith(b"HTTP/1.1 200")
    path = cap.stop()

    save = os.path.join(tmp, "req.json")
    out = capture(path, "--keylog", keylog, "--save", save)
    conns = [c for c in out["connections"] if c["client_hello"]]
    assert len(conns) == 3
    assert compare({"connections": conns}, tshark(path, keylog, srv.port)) == 3
    alice, none, carol = conns
    assert [r["phase"] for r in alice["requests"]] == ["renegotiation"]
    assert alice["handshakes"] == 2
    assert alice["http"]["request"] == "GET /secure/x HTTP/1.1"
    assert alice["http"]["status"] == 200
    assert none["client_certificates"][0]["empty"] and none["http"]["status"] == 403
    assert [r["phase"] for r in carol["requests"]] == ["post_handshake"]
    assert carol["client_hello"]["post_handshake_auth"] is True
    assert carol["client_certificates"][0]["certificate_verify"]["name"] == "rsa_pss_rsae_sha256"
    # the saved requests are what `select --request` reads
    r = run_certpick("select", "--request", save, "--client", "openssl",
                     os.path.join(pki, "alice-chain.pem"), os.path.join(pki, "alice.key"))
    assert r.rc in (0, 1), r.err
    assert "alice" in r.out

    # without the key log: the renegotiation is encrypted and so not seen
    blind = [c for c in capture(path)["connections"] if c["client_hello"]]
    assert all(c["requests"] == [] for c in blind)
    assert all(c["fix"] and "--keylog" in c["fix"] for c in blind)


def test_trust_and_filter(procs, tmp, pki):
    """--trust runs check on the chain at capture time; --filter keeps one port."""
    port = free_port()
    keylog = os.path.join(tmp, "keys.log")
    cap = Tcpdump(procs, tmp, port)
    s_server(procs, tmp, pki, port, "1.3")
    s_client(port, keylog, pki, "alice", "1.3")
    path = cap.stop()
    out = capture(path, "--keylog", keylog, "--trust", os.path.join(pki, "ca-roots-AB.pem"))
    c = [c for c in out["connections"] if c["client_hello"]][0]
    assert c["client_certificates"][0]["chain_verified"] is True
    assert capture(path, "--filter", "127.0.0.1:%d" % (port + 1))["connections"] == []
    assert len(capture(path, "--filter", ":%d" % port)["connections"]) >= 1
    r = run_certpick("capture", path, "--keylog", keylog)
    assert r.rc == 0, r.out
    assert "verdict: the server asked (initial, TLS 1.3) naming 2 CAs" in r.out


def test_hostile_inputs(tmp):
    """A file that is not a capture, one cut inside a packet, a missing key log."""
    junk = os.path.join(tmp, "junk.pcap")
    with open(junk, "wb") as f:
        f.write(b"\x00" * 100)
    r = run_certpick("capture", junk)
    assert r.rc == 4 and "cannot read capture" in r.err
    r = run_certpick("capture", junk, "--keylog", os.path.join(tmp, "none.log"))
    assert r.rc == 4 and "key log" in r.err
    r = run_certpick("capture", "--filter", "not-an-address", junk)
    assert r.rc == 2
    r = run_certpick("capture")
    assert r.rc == 2


@pytest.mark.parametrize("tls,extra,suite", [
    ("1.2", ["-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"], "ECDHE-ECDSA-CHACHA20-POLY1305"),
    ("1.2", ["-cipher", "ECDHE-ECDSA-AES128-SHA"], "ECDHE-ECDSA-AES128-SHA"),
    ("1.2", ["-cipher", "ECDHE-ECDSA-AES256-SHA384", "-no_etm"], "ECDHE-ECDSA-AES256-SHA384"),
    ("1.2", ["-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"], "ECDHE-ECDSA-AES128-GCM-SHA256"),
    ("1.3", ["-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"], "TLS_CHACHA20_POLY1305_SHA256"),
    ("1.3", ["-ciphersuites", "TLS_AES_128_GCM_SHA256"], "TLS_AES_128_GCM_SHA256"),
])
def test_cipher_suites_decrypt(procs, tmp, pki, tls, extra, suite):
    """Each suite certpick decrypts (GCM, ChaCha20-Poly1305, CBC with and without
    encrypt-then-MAC): every record opens, the HTTP status is seen, and it equals
    tshark's."""
    port = free_port()
    keylog = os.path.join(tmp, "keys.log")
    cap = Tcpdump(procs, tmp, port)
    s_server(procs, tmp, pki, port, tls)
    argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-quiet", "-ign_eof",
            "-tls1_3" if tls == "1.3" else "-tls1_2", "-keylogfile", keylog, *extra,
            "-cert", os.path.join(pki, "alice-chain.pem"), "-key", os.path.join(pki, "alice.key")]
    subprocess.run(argv, input=b"GET / HTTP/1.0\r\n\r\n", capture_output=True, timeout=30)
    path = cap.stop()
    out = capture(path, "--keylog", keylog)
    conns = [c for c in out["connections"] if c["client_hello"]]
    assert len(conns) == 1
    c = conns[0]
    assert c["cipher"]["name"] == suite
    assert c["decryption"]["records_not_decrypted"] == 0 and c["decryption"]["records_decrypted"] > 0
    assert c["not_seen"] == []
    assert c["http"]["status"] == 200
    assert compare({"connections": conns}, tshark(path, keylog, port)) == 1


def python_get(port, path, keylog, pki, who, tls):
    """Python ssl with keylog_filename and post_handshake_auth; the HTTP status."""
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    v = ssl.TLSVersion.TLSv1_3 if tls == "1.3" else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = ctx.maximum_version = v
    ctx.post_handshake_auth = True
    ctx.keylog_filename = keylog
    if who:
        ctx.load_cert_chain(os.path.join(pki, who + "-chain.pem"), os.path.join(pki, who + ".key"))
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(b"GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                      % path.encode())
            try:
                while chunk := s.recv(65536):
                    data += chunk
            except (ssl.SSLError, ConnectionResetError):
                pass
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else None


@pytest.mark.parametrize("server", ["nginx", "apache"])
@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_nginx_and_apache(procs, tmp, pki, server, tls):
    """nginx (ssl_verify_client on: asked at the handshake) and Apache (asked only
    for /secure/: TLS 1.2 renegotiation, TLS 1.3 post-handshake auth), Python with
    the key log, alice accepted: the phase, the chain and the status, equal to tshark."""
    from probe_util import start_apache, start_nginx
    need("nginx", "apache2")
    keylog = os.path.join(tmp, "keys.log")
    if server == "nginx":
        port, = start_nginx(procs, tmp, pki, ["ssl_verify_client on; ssl_verify_depth 2; "
                                              "ssl_client_certificate %s/ca-roots-AB.pem;" % pki])
        path, phase = "/", "initial"
    else:
        _, port, _ = start_apache(procs, tmp, pki)
        path, phase = "/secure/", "renegotiation" if tls == "1.2" else "post_handshake"
    cap = Tcpdump(procs, tmp, port)
    assert python_get(port, path, keylog, pki, "alice", tls) == 200
    pcap = cap.stop()
    out = capture(pcap, "--keylog", keylog)
    conns = [c for c in out["connections"] if c["client_hello"]]
    assert len(conns) == 1
    c = conns[0]
    assert [r["phase"] for r in c["requests"]] == [phase]
    assert c["client_certificates"][0]["chain"][0]["subject"]["rfc4514"] == \
        "CN=alice,O=certpick-test"
    assert c["http"]["status"] == 200
    assert c["client_hello"]["sni"] == "localhost"
    assert compare({"connections": conns}, tshark(pcap, keylog, port)) == 1


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_gnutls_client(procs, tmp, pki, monkeypatch, tls):
    """gnutls-cli (SSLKEYLOGFILE, --post-handshake-auth) against certpick serve
    asking for /secure only: carol over renegotiation (1.2) or PHA (1.3)."""
    need("gnutls-cli")
    keylog = os.path.join(tmp, "keys.log")
    monkeypatch.setenv("SSLKEYLOGFILE", keylog)
    srv = su.Server(procs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                 "--require", "/secure"])
    cap = Tcpdump(procs, tmp, srv.port)
    ans = su.gnutls(srv, "/secure/g", pki, who="carol", tls=tls)
    path = cap.stop()
    out = capture(path, "--keylog", keylog)
    conns = [c for c in out["connections"] if c["client_hello"]]
    assert len(conns) == 1
    c = conns[0]
    assert [r["phase"] for r in c["requests"]] == [
        "renegotiation" if tls == "1.2" else "post_handshake"]
    assert ans.status == 200 and c["http"]["status"] == 200
    assert compare({"connections": conns}, tshark(path, keylog, srv.port)) == 1


@pytest.fixture(scope="session")
def goclient(tmp_path_factory):
    need("go")
    d = str(tmp_path_factory.mktemp("goclient"))
    env = dict(os.environ, GOCACHE=os.path.join(d, "cache"), GOPATH=os.path.join(d, "path"),
               GOPROXY="off", GO111MODULE="off", GOFLAGS="", CGO_ENABLED="0")
    out = os.path.join(d, "capture_goclient")
    subprocess.run(["go", "build", "-o", out,
                    os.path.join(os.path.dirname(__file__), "capture_goclient.go")],
                   check=True, env=env, timeout=600, capture_output=True)
    return out


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_go_client(procs, tmp, pki, goclient, tls):
    """Go (KeyLogWriter) with alice against certpick serve asking for /secure only:
    TLS 1.2 renegotiation (Go renegotiates once when allowed) is seen and equal to
    tshark; TLS 1.3 gets a post-handshake request Go never answers (Go does not
    offer post_handshake_auth), which the capture shows."""
    keylog = os.path.join(tmp, "keys.log")
    srv = su.Server(procs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                 "--require", "/secure"])
    cap = Tcpdump(procs, tmp, srv.port)
    r = subprocess.run([goclient, "127.0.0.1:%d" % srv.port, "tls" + tls, "/secure/go", keylog,
                        os.path.join(pki, "alice-chain.pem"), os.path.join(pki, "alice.key")],
                       capture_output=True, timeout=60)
    path = cap.stop()
    out = capture(path, "--keylog", keylog)
    conns = [c for c in out["connections"] if c["client_hello"]]
    assert len(conns) == 1
    c = conns[0]
    assert c["decryption"]["keys_found"]
    assert compare({"connections": conns}, tshark(path, keylog, srv.port)) == 1
    if tls == "1.2":
        assert r.stdout.startswith(b"HTTP/1.1 200"), r.stderr
        assert [q["phase"] for q in c["requests"]] == ["renegotiation"]
        assert c["client_certificates"][0]["chain"][0]["subject"]["rfc4514"] == \
            "CN=alice,O=certpick-test"
    else:
        assert c["client_hello"]["post_handshake_auth"] is False
        assert c["requests"] == [] and c["http"]["status"] == 403
        assert "post_handshake_auth" in c["fix"]


# Browsers: headless Chromium and Firefox ESR, each on a fresh profile whose NSS
# database holds the identity (or nothing), with SSLKEYLOGFILE. Chromium picks
# the certificate by an auto_select_certificate content setting written into
# its own profile's Preferences (the per-profile form of the
# AutoSelectCertificateForUrls policy: no file under /etc/chromium/policies);
# Firefox by "Select Automatically". Neither offers post_handshake_auth, so a
# TLS 1.3 server that asks only for a path cannot ask them at all: the capture
# must say so. A TLS 1.2 server can ask them by renegotiation (the IIS way).
BROWSER_CASES = [
    # id, serve options, identity, path, what the server asks (phase or None), status
    ("tls13-handshake-accepted", ["--tls1.3", "--client-auth", "require"], "alice", "/",
     "initial", 200),
    ("tls12-renegotiation-accepted", ["--tls1.2", "--require", "/secure"], "alice",
     "/secure/b", "renegotiation", 200),
    ("tls13-path-no-pha", ["--tls1.3", "--require", "/secure"], "alice", "/secure/b", None,
     403),
    ("tls12-handshake-none", ["--tls1.2", "--client-auth", "optional"], None, "/", "initial",
     200),
    ("tls13-handshake-refused", ["--tls1.3", "--client-auth", "require", "--no-ca-names"],
     "mallory", "/", "initial", None),
]


def chromium_visit(tmp, pki, port, who, path, keylog):
    """One headless Chromium load of https://127.0.0.1:PORT/PATH."""
    need("chromium", "certutil", "pk12util")
    home = os.path.join(tmp, "chromium-%d" % port)
    db = os.path.join(home, ".pki", "nssdb")
    os.makedirs(db)
    subprocess.run(["certutil", "-N", "-d", "sql:" + db, "--empty-password"], check=True,
                   capture_output=True, timeout=60)
    if who:
        subprocess.run(["pk12util", "-i", os.path.join(pki, who + ".p12"), "-d", "sql:" + db,
                        "-W", "test"], check=True, capture_output=True, timeout=60)
    udd = os.path.join(home, "udd")
    os.makedirs(os.path.join(udd, "Default"))
    origin = "https://127.0.0.1:%d,*" % port
    with open(os.path.join(udd, "Default", "Preferences"), "w") as f:
        json.dump({"profile": {"content_settings": {"exceptions": {"auto_select_certificate": {
            origin: {"setting": {"filters": [{}]}}}}}}}, f)
    argv = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--user-data-dir=" + udd, "--ignore-certificate-errors",
            "--dump-dom", "https://127.0.0.1:%d%s" % (port, path)]
    env = dict(os.environ, HOME=home, SSLKEYLOGFILE=keylog)
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                         start_new_session=True)
    try:
        p.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        p.wait()
        raise AssertionError("chromium neither loaded nor exited")


def firefox_visit(tmp, pki, port, who, path, keylog, prefs=None):
    """One headless Firefox ESR load, "Select Automatically"."""
    from select_util import make_nssdb, run_firefox
    need("firefox-esr", "certutil", "pk12util")
    home = os.path.join(tmp, "firefox-%d" % port)
    db = make_nssdb(os.path.join(home, "db"), pki, [who] if who else [])
    old = os.environ.get("SSLKEYLOGFILE")
    os.environ["SSLKEYLOGFILE"] = keylog
    try:
        run_firefox(port, db, home, path, prefs)
    finally:
        if old is None:
            del os.environ["SSLKEYLOGFILE"]
        else:
            os.environ["SSLKEYLOGFILE"] = old


@pytest.mark.parametrize("case", BROWSER_CASES, ids=[c[0] for c in BROWSER_CASES])
@pytest.mark.parametrize("browser", ["chromium", "firefox"])
def test_browsers(procs, tmp, pki, browser, case):
    """Chromium and Firefox ESR with SSLKEYLOGFILE against certpick serve: the
    request's phase (or that none could be made), what the browser answered,
    the alerts and the status, every field equal to tshark's."""
    _, opts, who, path, phase, status = case
    keylog = os.path.join(tmp, "keys.log")
    # a server certificate the browsers' databases trust (Firefox stops at the
    # warning page for a throwaway one)
    srv = su.Server(procs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                 "--cert", os.path.join(pki, "server.pem"),
                                 "--key", os.path.join(pki, "server.key"), *opts])
    cap = Tcpdump(procs, tmp, srv.port)
    visit = chromium_visit if browser == "chromium" else firefox_visit
    visit(tmp, pki, srv.port, who, path, keylog)
    pcap = cap.stop()
    assert cap.dropped == 0, "tcpdump: %d packets dropped by the kernel" % cap.dropped
    out = capture(pcap, "--keylog", keylog)
    conns = [c for c in out["connections"] if c["client_hello"]]
    assert conns, out
    assert compare({"connections": conns}, tshark(pcap, keylog, srv.port)) == len(conns)
    for c in conns:
        assert c["client_hello"]["post_handshake_auth"] is False
    # the connection that carried the page
    page = [c for c in conns if c["http"] and (c["http"]["request"] or "").startswith(
        "GET %s " % path)]
    for c in conns:
        print(c["client"], c["http"], [r["phase"] for r in c["requests"]],
              [a["name"] for a in c["alerts"]], c["verdict"])
    assert page or status is None, conns
    # Chromium drops a connection whose server asks, to choose the certificate,
    # and repeats the request on a new one: the one that got an answer
    c = ([p for p in page if p["http"]["status"]] or page or conns)[-1]
    assert c["decryption"]["keys_found"] and c["not_seen"] == [], c
    # the connections a browser dropped when asked, to choose its certificate
    # (it repeats the request on a new one): nothing from the client after the
    # request (an alert at most), whatever the key log holds (TLS 1.2: no key exists yet; TLS 1.3:
    # no application secrets)
    # Firefox may also answer on a spare connection with an empty Certificate and
    # close it without a request (seen under the ASan build's slower server)
    for d in conns:
        if d is not c and d["requests"]:
            if d["client_certificates"]:
                assert all(x["empty"] for x in d["client_certificates"]), d
                assert "empty Certificate" in d["verdict"] and not d["http"], d
                continue
            assert "the client did not answer" in d["verdict"], d
            assert "repeat the request on a new one" in d["fix"], d
    assert [r["phase"] for r in c["requests"]] == ([phase] if phase else [])
    if status is not None:
        assert c["http"]["status"] == status
    if who == "alice" and phase:
        assert c["client_certificates"][-1]["chain"][0]["subject"]["rfc4514"] == \
            "CN=alice,O=certpick-test"
    if phase is None:
        assert c["requests"] == [] and "post_handshake_auth" in c["fix"]
    if phase and not who:
        assert c["client_certificates"][0]["empty"] is True
        assert "empty Certificate" in c["verdict"]
    if who == "mallory":
        assert c["client_certificates"][0]["chain"][0]["subject"]["rfc4514"] == \
            "CN=mallory,O=certpick-test"
    # without the key log: what tshark sees too (TLS 1.2 handshake requests in
    # clear; TLS 1.3 and renegotiation not), and TLS 1.3 says it cannot see
    blind = [b for b in capture(pcap)["connections"] if b["client_hello"]]
    assert compare({"connections": blind}, tshark(pcap, None, srv.port)) == len(blind)
    if "--tls1.3" in opts:
        assert all(b["requests"] == [] and "cannot be seen" in b["verdict"] for b in blind)


@pytest.mark.parametrize("browser,server", [("chromium", "nginx"), ("firefox", "apache")])
def test_browsers_nginx_apache(procs, tmp, pki, browser, server):
    """Chromium against nginx (ssl_verify_client on, TLS 1.3: asked at the
    handshake) and Firefox held to TLS 1.2 against Apache (asked for /secure/
    only: renegotiation), alice accepted, equal to tshark."""
    from probe_util import start_apache, start_nginx
    need("nginx", "apache2")
    keylog = os.path.join(tmp, "keys.log")
    if server == "nginx":
        port, = start_nginx(procs, tmp, pki, ["ssl_verify_client on; ssl_verify_depth 2; "
                                              "ssl_client_certificate %s/ca-roots-AB.pem;" % pki])
        path, phase, version = "/", "initial", "TLSv1.3"
    else:
        _, port, _ = start_apache(procs, tmp, pki)
        path, phase, version = "/secure/", "renegotiation", "TLSv1.2"
    cap = Tcpdump(procs, tmp, port)
    if browser == "chromium":
        chromium_visit(tmp, pki, port, "alice", path, keylog)
    else:
        firefox_visit(tmp, pki, port, "alice", path, keylog, {"security.tls.version.max": 3})
    pcap = cap.stop()
    assert cap.dropped == 0, "tcpdump: %d packets dropped by the kernel" % cap.dropped
    out = capture(pcap, "--keylog", keylog)
    conns = [c for c in out["connections"] if c["client_hello"]]
    assert compare({"connections": conns}, tshark(pcap, keylog, port)) == len(conns)
    page = [c for c in conns if c["http"] and c["http"]["status"] and
            (c["http"]["request"] or "").startswith("GET %s " % path)]
    assert page, [c["verdict"] for c in conns]
    c = page[-1]
    assert c["tls_version"] == version
    assert [r["phase"] for r in c["requests"]] == [phase]
    assert c["client_certificates"][-1]["chain"][0]["subject"]["rfc4514"] == \
        "CN=alice,O=certpick-test"
    assert c["http"]["status"] == 200 and c["fix"] is None, c["verdict"]
