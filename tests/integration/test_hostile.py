"""Hostile peers: certpick stays bounded in time, memory and descriptors.

Server side (a malicious TLS server, tests/integration/hostile_server.py:
oversized and malformed CertificateRequests, a HelloRequest storm, a one-byte-
a-second drip, a reset mid-flight) against `select URL` and `get`; `probe` is
covered by test_probe.py::test_hostile_server with the same server. The same
script speaks SMTP, IMAP, POP3, FTP, XMPP and LDAP up to STARTTLS, hostile
(an endless line, a huge reply, garbage, bytes pipelined after the go-ahead,
a stall, a drip) against `probe SCHEME://`.
Client side (malicious clients against `serve`): certificates with huge or
malformed extensions and a 50-intermediate chain here; 1,000 connections,
slowloris, dropped handshakes and garbage in test_serve.py (abuse section).
Every bound is asserted: time by certpick's own timeouts, which it must report
(no wall clock is compared; a subprocess timeout only stops a hang), peak memory (/usr/bin/time max RSS for a command, /proc/PID/status
VmHWM/VmRSS for the server), descriptors (/proc/PID/fd).
"""
import datetime
import os
import socket
import ssl
import subprocess
import sys

import pytest

from conftest import CERTPICK, free_port, wait_port
import serve_util as su

HOSTILE = os.path.join(os.path.dirname(__file__), "hostile_server.py")
MODES = ["huge", "many", "baddn", "slow", "reset", "overflow", "hellostorm"]
RSS_LIMIT_KIB = 96 * 1024
# ASan's shadow memory and 256 MiB quarantine raise a long-lived server's peak
SERVE_HWM_LIMIT_KIB = (512 if "asan" in CERTPICK else 96) * 1024


@pytest.fixture(scope="module")
def rsa_cert(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("hostile"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    d + "/rsa.key", "-out", d + "/rsa.pem", "-subj", "/CN=hostile", "-days", "30"],
                   check=True, capture_output=True, timeout=60)
    return d + "/rsa.pem"


def measured(argv, tmp, timeout=90):
    """Run argv under /usr/bin/time: (CompletedProcess, max RSS KiB). The time bound is
    certpick's own (a phase that times out says so), not a wall clock read here: the
    subprocess timeout only stops a hang."""
    out = os.path.join(tmp, "time.txt")
    env = dict(os.environ, NO_COLOR="1", HOSTILE_PW="test")
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out, *argv], capture_output=True,
                       text=True, timeout=timeout, env=env)
    with open(out) as f:
        rss = int(f.read().split()[-1])
    return p, rss


def hostile(procs, mode, cert):
    port = free_port()
    p = procs.start([sys.executable, HOSTILE, str(port), mode, cert])
    wait_port(port, proc=p)
    return port


def assert_clean_exit(p):
    # a network failure (3) or "no" (1), never a crash, a sanitizer report or 70
    assert p.returncode in (0, 1, 3), p
    assert "Sanitizer" not in p.stderr and "runtime error" not in p.stderr, p.stderr[-3000:]


@pytest.mark.asan
@pytest.mark.parametrize("mode", MODES)
def test_select_live_against_hostile_server(procs, rsa_cert, pki, mode, tmp):
    port = hostile(procs, mode, rsa_cert)
    p, rss = measured([CERTPICK, "select", "--client", "chrome", "--json",
                       "--password-env", "HOSTILE_PW", "https://127.0.0.1:%d/" % port,
                       os.path.join(pki, "alice.p12")], tmp)
    assert_clean_exit(p)
    if mode == "slow":  # the live probe gives up by its default 10 s per phase, and says so
        assert p.returncode == 3 and "timed out" in p.stdout + p.stderr, p
    assert rss < RSS_LIMIT_KIB, "max RSS %d KiB" % rss


@pytest.mark.asan
@pytest.mark.parametrize("mode", MODES)
def test_get_against_hostile_server(procs, rsa_cert, pki, mode, tmp):
    port = hostile(procs, mode, rsa_cert)
    p, rss = measured([CERTPICK, "get", "--json", "-k", "--tls1.2", "--timeout", "3",
                       "--password-env", "HOSTILE_PW", "https://127.0.0.1:%d/" % port,
                       os.path.join(pki, "alice.p12")], tmp)
    assert_clean_exit(p)
    if mode == "slow":  # each phase is bounded by --timeout 3, and certpick says so
        assert p.returncode == 3 and "timed out" in p.stdout + p.stderr, p
    assert rss < RSS_LIMIT_KIB, "max RSS %d KiB" % rss


# ---- the non-HTTPS schemes: hostile before STARTTLS -----------------------------------

TEXT_SCHEMES = ["smtp", "imap", "pop3", "ftp", "xmpp", "ldap"]
TEXT_MODES = ["endless", "huge", "garbage", "pipelined", "stall", "drip"]	# hostile_server.py


@pytest.mark.asan
@pytest.mark.parametrize("mode", TEXT_MODES)
@pytest.mark.parametrize("scheme", TEXT_SCHEMES)
def test_probe_against_hostile_text_server(procs, scheme, mode, tmp):
    """A server that speaks the scheme up to STARTTLS, hostile (hostile_server.py SCHEME:MODE):
    certpick probe gives up with one error line that says why, exit 3 (no answer, as
    documented), within its --timeout (stall, drip: it says it timed out; the others end
    on the layer's or the engine's cap without waiting for it), in bounded memory."""
    port = free_port()
    server = procs.start([sys.executable, HOSTILE, str(port), "%s:%s" % (scheme, mode)])
    wait_port(port, proc=server)
    p, rss = measured([CERTPICK, "probe", "--timeout", "2", "%s://127.0.0.1:%d" % (scheme, port)],
                      tmp)
    assert_clean_exit(p)
    errors = [ln for ln in p.stdout.splitlines() if ln.startswith("error ")]
    assert p.returncode == 3 and len(errors) == 1, p
    why = errors[0].split(None, 1)[1]
    if mode in ("stall", "drip"):
        assert why.startswith("timed out after 2000 ms before TLS"), p
    elif mode == "pipelined":
        assert "after its STARTTLS answer, before TLS (refused: command injection)" in why, p
    else:
        assert why.startswith(scheme + ": ") and "timed out" not in why, p
    assert rss < RSS_LIMIT_KIB, "max RSS %d KiB" % rss


# ---- malicious clients against serve -------------------------------------------------


def _crypto():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
    return x509, hashes, serialization, ec, NameOID, ExtendedKeyUsageOID


def make_chain(d, depth, leaf_exts=()):
    """root -> depth intermediates -> leaf; returns (root.pem, chain.pem, leaf.key)."""
    x509, hashes, serialization, ec, NameOID, EKU = _crypto()
    now = datetime.datetime.now(datetime.timezone.utc)

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def cert(subject, key, issuer, ikey, ca, exts=()):
        b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
             .public_key(key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(days=1))
             .not_valid_after(now + datetime.timedelta(days=30))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            b = b.add_extension(x509.ExtendedKeyUsage([EKU.CLIENT_AUTH]), critical=False)
        for e in exts:
            b = b.add_extension(e, critical=False)
        return b.sign(ikey, hashes.SHA256())

    rkey = ec.generate_private_key(ec.SECP256R1())
    root = cert(name("hostile root"), rkey, name("hostile root"), rkey, True)
    chain, issuer, ikey = [], root, rkey
    for i in range(depth):
        k = ec.generate_private_key(ec.SECP256R1())
        c = cert(name("hostile int %d" % i), k, issuer.subject, ikey, True)
        chain.insert(0, c)
        issuer, ikey = c, k
    lkey = ec.generate_private_key(ec.SECP256R1())
    leaf = cert(name("hostile leaf"), lkey, issuer.subject, ikey, False, leaf_exts)
    pem = lambda c: c.public_bytes(serialization.Encoding.PEM)
    with open(os.path.join(d, "root.pem"), "wb") as f:
        f.write(pem(root))
    with open(os.path.join(d, "chain.pem"), "wb") as f:
        f.write(pem(leaf) + b"".join(pem(c) for c in chain))
    with open(os.path.join(d, "leaf.key"), "wb") as f:
        f.write(lkey.private_bytes(serialization.Encoding.PEM,
                                   serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    return os.path.join(d, "root.pem"), os.path.join(d, "chain.pem"), os.path.join(d, "leaf.key")


def tls_get(srv, chain, key, path="/"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(chain, key)
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port), timeout=20)) as s:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n"
                  b"Connection: close\r\n\r\n" % path.encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return su.parse_http(data)


def hostile_clients_case(procs, tmp, depth, exts, want):
    root, chain, key = make_chain(tmp, depth, exts)
    srv = su.Server(procs, tmp, ["--trust", root, "--client-auth", "require",
                                 "--handshake-timeout", "10", "--header-timeout", "10"])
    fds0 = srv.quiet_fds()
    for _ in range(20):
        a = tls_get(srv, chain, key)
        assert a.status in want, a.status
    # the server is still up, answers others, holds no extra descriptor
    assert srv.proc.poll() is None
    srv.wait_closed(fds0)
    assert srv.status("VmHWM") < SERVE_HWM_LIMIT_KIB
    return srv


@pytest.mark.asan
def test_serve_deep_chain_of_50_intermediates(procs, tmp):
    # OpenSSL's verify depth (100) is not reached; the chain verifies or is
    # refused with a reason, in bounded memory, and nothing is left open
    hostile_clients_case(procs, tmp, 50, (), (200, 403))


@pytest.mark.asan
def test_serve_huge_extension(procs, tmp):
    x509 = _crypto()[0]
    from cryptography.x509.oid import ObjectIdentifier
    big = x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x04\x82\xea\x60"
                                     + b"\xab" * 60000)
    sans = x509.SubjectAlternativeName([x509.DNSName("h%05d.example" % i) for i in range(2000)])
    hostile_clients_case(procs, tmp, 1, (big, sans), (200, 403))


@pytest.mark.asan
def test_serve_malformed_extensions(procs, tmp):
    x509 = _crypto()[0]
    from cryptography.x509.oid import ObjectIdentifier
    # extensions a TLS stack still loads (OpenSSL refuses a certificate with
    # a known extension that is not DER): a truncated OCTET STRING and 500
    # nested indefinite lengths in private OIDs
    exts = (x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.55555.2"), b"\x04\x10ab"),
            x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.55555.3"),
                                       b"\x30\x80" * 500))
    hostile_clients_case(procs, tmp, 1, exts, (200, 400, 403))


@pytest.mark.asan
def test_serve_connection_flood_with_resets(procs, tmp, pki):
    # 500 connections opened and reset at once (SO_LINGER 0) mid-handshake
    srv = su.Server(procs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"),
                                 "--handshake-timeout", "5"])
    assert su.curl(srv, "/", pki, "alice").status == 200
    fds0 = srv.quiet_fds()
    socks = []
    for i in range(500):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        if i % 2:
            s.sendall(bytes.fromhex("16030100c8010000c40303") + os.urandom(60))
        socks.append(s)
    for s in socks:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
    # closed when the server reads the reset, or at the latest at its 5 s handshake timeout
    srv.wait_closed(fds0)
    assert su.curl(srv, "/", pki, "alice").status == 200
    assert srv.status("VmHWM") < SERVE_HWM_LIMIT_KIB


# ---- hostile files ----------------------------------------------------------------


def _tlv(b, i):
    """(tag, header length, content length) of the DER element at b[i]."""
    n = b[i + 1]
    if n < 0x80:
        return b[i], 2, n
    k = n & 0x7F
    return b[i], 2 + k, int.from_bytes(b[i + 2:i + 2 + k], "big")


def _der(tag, content):
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(ln)]) + ln + content


def _children(b):
    out, i = [], 0
    while i < len(b):
        tag, h, n = _tlv(b, i)
        out.append(b[i:i + h + n])
        i += h + n
    return out


def pfx_with_mac_iterations(pfx, iterations):
    """The same PFX with MacData.iterations rewritten (the MAC no longer verifies)."""
    tag, h, n = _tlv(pfx, 0)
    version, auth_safe, mac_data = _children(pfx[h:h + n])
    mtag, mh, mn = _tlv(mac_data, 0)
    digest, salt = _children(mac_data[mh:mh + mn])[:2]
    it = iterations.to_bytes((iterations.bit_length() + 8) // 8, "big")
    mac_data = _der(0x30, digest + salt + _der(0x02, it))
    return _der(0x30, version + auth_safe + mac_data)


@pytest.mark.asan
def test_check_refuses_a_pfx_asking_for_two_billion_iterations(pki, tmp):
    """OpenSSL would derive 2e9 PBKDF iterations (hours); certpick refuses at once."""
    with open(os.path.join(pki, "alice.p12"), "rb") as f:
        good = f.read()
    hostile_pfx = os.path.join(tmp, "hostile.p12")
    with open(hostile_pfx, "wb") as f:
        f.write(pfx_with_mac_iterations(good, 2000000000))
    p, rss = measured([CERTPICK, "check", "--password-env", "HOSTILE_PW", hostile_pfx], tmp)
    assert p.returncode == 4, p
    assert "asks for 2000000000 iterations; certpick stops at 10000000" in p.stderr, p.stderr
    assert "hostile.p12" in p.stderr
    assert rss < RSS_LIMIT_KIB, "max RSS %d KiB" % rss
    # the rewriting itself is sound: at 2048 (unchanged) the file loads; at 2049 the
    # MAC no longer verifies, and that is the only complaint
    with open(hostile_pfx, "wb") as f:
        f.write(pfx_with_mac_iterations(good, 2048))
    assert subprocess.run([CERTPICK, "check", "--password-env", "HOSTILE_PW", hostile_pfx],
                          capture_output=True, timeout=60,
                          env=dict(os.environ, HOSTILE_PW="test")).returncode in (0, 1)
    with open(hostile_pfx, "wb") as f:
        f.write(pfx_with_mac_iterations(good, 2049))
    p = subprocess.run([CERTPICK, "check", "--password-env", "HOSTILE_PW", hostile_pfx],
                       capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, HOSTILE_PW="test"))
    assert p.returncode == 4 and "mac verify failure" in p.stderr, p.stderr
