"""certpick get against real servers: certpick serve, nginx, Apache per path.

A store of several identities (the pki fixture's leaves in one folder) gets
200 where a right certificate exists; otherwise the refusal is explained and
the exit code is 1. Exit codes 2/3/4, -o/-i/--json/-X/-d as documented.
"""
import json
import os
import subprocess

import pytest

from conftest import free_port, need, softhsm_token
from get_util import apache_per_path, leaves_dir, nginx_require, serve_per_path

GOOD_AND_BAD = ["alice", "carol", "erin-expired", "bob-serveronly", "kuenc", "mallory", "noku"]
ONLY_BAD = ["erin-expired", "mallory"]


@pytest.fixture
def store(tmp, pki):
    d = leaves_dir(os.path.join(tmp, "store"), pki, GOOD_AND_BAD)
    # the intermediate alice needs, as a user's folder would hold it
    with open(os.path.join(pki, "intA.pem")) as src, open(os.path.join(d, "intA.pem"), "w") as o:
        o.write(src.read())
    return d


@pytest.fixture
def bad_store(tmp, pki):
    return leaves_dir(os.path.join(tmp, "bad"), pki, ONLY_BAD)


def trust(pki):
    return ["--trust", os.path.join(pki, "rootA.pem")]


@pytest.mark.asan
@pytest.mark.parametrize("tls", ["--tls1.2", "--tls1.3"])
def test_serve_per_path_200(certpick, procs, pki, store, tls):
    url = serve_per_path(procs, pki)
    r = certpick("get", tls, *trust(pki), "-H", "Accept: application/json",
                 url + "/secure", store)
    assert r.rc == 0, r
    answer = json.loads(r.out)
    assert answer["status"] == 200
    assert answer["asked_for"]["when"] == ("renegotiation" if tls == "--tls1.2" else "post_handshake")
    assert answer["tls_version"] == ("TLSv1.2" if tls == "--tls1.2" else "TLSv1.3")


def test_serve_per_path_refusal_explained(certpick, procs, pki, bad_store):
    url = serve_per_path(procs, pki)
    r = certpick("get", *trust(pki), "-H", "Accept: application/json", url + "/secure",
                 bad_store)
    assert r.rc == 1, r
    assert "HTTP 403" in r.err
    assert "only for this path (TLS 1.3 post-handshake)" in r.err
    assert "CN=certpick Test Root A" in r.err
    assert "nss sent no certificate" in r.err
    assert "expired" in r.err and "issuer-not-accepted" in r.err
    assert "what to change" in r.err


def test_serve_defective_sent_refused(certpick, procs, pki, tmp):
    """curl sends the one certificate it is given (and offers TLS 1.3 post-handshake
    auth); the server says why it refused."""
    url = serve_per_path(procs, pki)
    r = certpick("get", "--client", "curl", *trust(pki), "-H", "Accept: application/json",
                 url + "/secure", os.path.join(pki, "erin-expired.pem"),
                 os.path.join(pki, "erin-expired.key"))
    assert r.rc == 1, r
    assert json.loads(r.out)["substatus"] == "403.17"
    assert "curl sent: O=certpick-test,CN=erin-expired" in r.err
    assert "the server says:" in r.err


@pytest.mark.parametrize("tls", ["--tls1.2", "--tls1.3"])
def test_nginx(certpick, procs, pki, tmp, store, bad_store, tls):
    need("nginx")
    url = nginx_require(procs, tmp, pki)
    r = certpick("get", tls, *trust(pki), url + "/", store)
    assert r.rc == 0, r
    assert r.out.startswith("ok ")
    r = certpick("get", tls, *trust(pki), url + "/", bad_store)
    assert r.rc == 1, r
    assert "HTTP 400" in r.err
    assert "the server asked in the handshake" in r.err


@pytest.mark.parametrize("tls,phase", [("--tls1.2", "renegotiation"),
                                       ("--tls1.3", "post-handshake")])
def test_apache_per_path(certpick, procs, pki, tmp, store, bad_store, tls, phase):
    need("apache2")
    url = apache_per_path(procs, tmp, pki)
    r = certpick("get", tls, *trust(pki), url + "/secure/", store)
    assert r.rc == 0, r
    assert "<body>ok</body>" in r.out
    r = certpick("get", tls, *trust(pki), url + "/secure/", bad_store)
    assert r.rc == 1, r
    assert phase in r.err
    assert "nss sent no certificate" in r.err


def test_include_output_json_post(certpick, procs, pki, store, tmp):
    url = serve_per_path(procs, pki)
    out = os.path.join(tmp, "body.json")
    r = certpick("get", *trust(pki), "-i", "-o", out, "-X", "POST", "-d", "hello",
                 "-H", "Accept: application/json", url + "/open", store)
    assert r.rc == 0, r
    assert r.out == ""
    text = open(out, newline="").read()
    assert text.startswith("HTTP/1.1 200")
    assert json.loads(text.split("\r\n\r\n", 1)[1])["method"] == "POST"
    r = certpick("get", "--json", *trust(pki), url + "/secure", store)
    assert r.rc == 0, r
    j = json.loads(r.out)
    assert j["schema"] == 1 and j["status"] == 200 and j["client"] == "nss"
    assert j["certificate_sent"] is True and j["sent"]["sha256"]
    assert j["requests"][0]["phase"] == "post_handshake"


@pytest.mark.asan
def test_exit_codes(certpick, procs, pki, store):
    assert certpick("get").rc == 2
    assert certpick("get", "--client", "nope", "https://localhost/").rc == 2
    assert certpick("get", "--tls1.2", "--tls1.3", "https://localhost/").rc == 2
    port = free_port()
    r = certpick("get", "--timeout", "2", "https://127.0.0.1:%d/" % port)
    assert r.rc == 3, r
    url = serve_per_path(procs, pki)
    assert certpick("get", *trust(pki), url + "/", "/nonexistent/file.pem").rc == 4
    # the server's certificate is not trusted without --trust; -k skips the check
    r = certpick("get", url + "/", store)
    assert r.rc == 3 and "cannot verify the server" in r.err, r
    assert certpick("get", "-k", url + "/", store).rc == 0


def test_connect_to_servername_data_binary(certpick, procs, pki, store, tmp):
    url = serve_per_path(procs, pki)
    port = url.rsplit(":", 1)[1]
    # the URL names another port; --connect-to dials the server, SNI/Host stay localhost
    r = certpick("get", *trust(pki), "--connect-to", "127.0.0.1:" + port,
                 "-H", "Accept: application/json", "https://localhost:9/secure", store)
    assert r.rc == 0, r
    assert json.loads(r.out)["status"] == 200
    # an IP in the URL, the name to verify from --servername
    r = certpick("get", *trust(pki), "--servername", "localhost", "-i",
                 "https://127.0.0.1:%s/" % port, store)
    assert r.rc == 0, r
    assert r.out.startswith("HTTP/1.1 200")
    body = os.path.join(tmp, "body.bin")
    with open(body, "wb") as f:
        f.write(b"\x00\x01binary\r\n")
    r = certpick("get", *trust(pki), "--data-binary", "@" + body, "-H",
                 "Accept: application/json", url + "/upload", store)
    assert r.rc == 0, r
    assert json.loads(r.out)["method"] == "POST"
    assert certpick("get", "--data-binary", "inline", url + "/").rc == 2


def test_bash_completion_get():
    from conftest import CERTPICK, ROOT
    import subprocess
    script = os.path.join(ROOT, "completions", "certpick.bash")
    prog = ("source %s; COMP_WORDS=(%s get --c); COMP_CWORD=2; _certpick; "
            "echo \"${COMPREPLY[@]}\"; COMP_WORDS=(%s get -X P); COMP_CWORD=3; _certpick; "
            "echo \"${COMPREPLY[@]}\"" % (script, CERTPICK, CERTPICK))
    r = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, timeout=30)
    opts, methods = r.stdout.splitlines()
    assert set(opts.split()) == {"--client", "--connect-to"}
    assert "POST" in methods.split()


def test_pkcs11_token_key_signs(certpick, procs, pki, tmp):
    """The key of a certificate on a token signs the handshake on the token;
    --pin-env unlocks it; --password-env is for files only."""
    conf, uri = softhsm_token(tmp, pki)
    url = serve_per_path(procs, pki)
    inta = os.path.join(pki, "intA.pem")    # alice's chain
    env = {"SOFTHSM2_CONF": conf, "PIN": "1234", "PW": "not-the-pin"}
    for tls in ("--tls1.2", "--tls1.3"):
        # --any-phase: NSS applications offer no PHA by default (tstclnt -E does)
        r = certpick("get", tls, "--client", "nss", "--any-phase", *trust(pki), "-H",
                     "Accept: application/json", url + "/secure", "--pkcs11", uri, inta,
                     "--pin-env", "PIN", "--password-env", "PW", env=env)
        assert r.rc == 0, r
        answer = json.loads(r.out)
        assert answer["status"] == 200
        assert answer["client_certificate"]["subject"]["rfc4514"] == "CN=alice,O=certpick-test"
    # the password is not tried as the PIN
    r = certpick("get", "--client", "openssl", *trust(pki), url + "/secure", "--pkcs11", uri,
                 inta, "--pin-env", "PW", env=env)
    assert r.rc == 4 and "wrong PIN" in r.err, r
    # no PIN (and no terminal to ask on): the key stays locked, said so
    r = certpick("get", "--client", "openssl", *trust(pki), url + "/secure", "--pkcs11", uri,
                 inta, env=env, input="")
    assert r.rc != 0 and "PIN" in r.err, r


def test_client_phase_like_the_client(certpick, procs, pki):
    """get --client X asks the server the way X would: Chrome offers no TLS 1.3
    post-handshake auth (the server logs pha-not-offered, 403.7), Go refuses TLS
    1.2 renegotiation; --any-phase answers anyway."""
    url = serve_per_path(procs, pki) + "/secure"
    alice = [os.path.join(pki, "alice-chain.pem"), os.path.join(pki, "alice.key")]
    r = certpick("get", "--tls1.3", "--client", "chrome", *trust(pki), "-H",
                 "Accept: application/json", url, *alice)
    assert r.rc == 1, r
    answer = json.loads(r.out)
    assert answer["substatus"] == "403.7" and answer["reason"] == "pha-not-offered"
    assert "never-asked-pha" in r.err and "chrome sent no certificate: never asked" in r.err
    r = certpick("get", "--tls1.3", "--client", "curl", *trust(pki), "-H",
                 "Accept: application/json", url, *alice)
    assert r.rc == 0 and json.loads(r.out)["status"] == 200, r
    r = certpick("get", "--tls1.2", "--client", "go", *trust(pki), url, *alice)
    assert r.rc != 0, r
    assert "renegotiation-refused" in r.err and ": fails the connection" in r.err
    r = certpick("get", "--tls1.2", "--client", "go", "--any-phase", *trust(pki), "-H",
                 "Accept: application/json", url, *alice)
    assert r.rc == 0 and json.loads(r.out)["status"] == 200, r
    r = certpick("get", "--tls1.3", "--client", "chrome", "--any-phase", *trust(pki), "-H",
                 "Accept: application/json", url, *alice)
    assert r.rc == 0 and json.loads(r.out)["status"] == 200, r


# A hostile server for get's request connection (the probe step's connection is
# answered normally); its pacing is the hostility, on its own clock.
HOSTILE_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile_get_server.c")


@pytest.fixture(scope="module")
def hostile_bin(tmp_path_factory):
    need("cc")
    out = str(tmp_path_factory.mktemp("hostile") / "hostile_get_server")
    subprocess.run(["cc", "-O1", "-o", out, HOSTILE_SRC, "-lssl", "-lcrypto"], check=True)
    return out


def start_hostile(procs, hostile_bin, pki, mode):
    """The server and its URL; it prints its ephemeral port once it listens."""
    p = procs.start([hostile_bin, mode, os.path.join(pki, "server-chain.pem"),
                     os.path.join(pki, "server.key")], stdout=subprocess.PIPE)
    port = int(p.stdout.readline())
    return p, "https://127.0.0.1:%d/" % port


# mode -> what get must say. Each server would go on until killed; `get --timeout 3`
# must end on its own (the 60 s subprocess timeout only guards a hang).
HOSTILE_DEADLINES = {
    "drip": "timed out while waiting for the answer",
    "drip-body": "timed out while waiting for the answer",
    "continue-forever": "timed out while waiting for the answer",
    "hs-stall": "timed out during the handshake",
    "reneg-loop": "asked for a certificate again after the handshake more than 4 times",
    "pha-loop": "asked for a certificate again after the handshake more than 4 times",
}


@pytest.mark.asan
@pytest.mark.parametrize("mode", sorted(HOSTILE_DEADLINES))
def test_hostile_server_every_phase_bounded(certpick, procs, pki, hostile_bin, mode):
    """F3: --timeout bounds each phase (a monotonic deadline, not a per-recv timer), and
    renegotiations / post-handshake requests answered are capped."""
    p, url = start_hostile(procs, hostile_bin, pki, mode)
    r = certpick("get", "-k", "--timeout", "3", "-o", os.devnull, url, timeout=60)
    assert r.rc == 3, r
    assert HOSTILE_DEADLINES[mode] in r.err, r
    assert len(r.err.strip().splitlines()) == 1, r
    assert p.poll() is None, "the hostile server stopped first: nothing was proven"
    _, url = start_hostile(procs, hostile_bin, pki, mode)  # only the first connection is good
    r = certpick("get", "-k", "--json", "--timeout", "3", url, timeout=60)
    assert r.rc == 3 and HOSTILE_DEADLINES[mode] in json.loads(r.out)["error"]["message"], r


@pytest.mark.asan
def test_huge_headers_capped(certpick, procs, pki, hostile_bin):
    """F4: a head that never ends is cut at 64 KiB (it was read to 16 MiB, quadratically)."""
    p, url = start_hostile(procs, hostile_bin, pki, "huge-headers")
    r = certpick("get", "-k", "--timeout", "30", "-o", os.devnull, url, timeout=60)
    assert r.rc == 3, r
    assert "status line and headers are longer than 65536 bytes" in r.err, r
    assert p.poll() is None


def test_large_chunked_answer_linear(certpick, procs, pki, hostile_bin, tmp):
    """F4: 15 MB of 1-byte chunks (2.5 M chunks) is read and decoded in linear time; the
    whole-buffer search per read took 24 s of CPU (26 s wall at load 3.3, over 60 s in a loaded test run):
    the 20 s timeout catches that, the linear read takes about a second."""
    p, url = start_hostile(procs, hostile_bin, pki, "chunked-big")
    out = os.path.join(tmp, "body")
    r = certpick("get", "-k", "--timeout", "30", "-o", out, url, timeout=20)
    assert r.rc == 0, r
    assert os.path.getsize(out) == 2500000
    with open(out, "rb") as f:
        assert f.read() == b"x" * 2500000


@pytest.mark.asan
@pytest.mark.parametrize("why", ["refused", "silent"])
def test_json_when_probe_fails(certpick, why):
    """F13: --json prints the documented object with "error" and "probe" when the probe
    step fails."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        if why == "silent":
            s.listen(4)
        url = "https://127.0.0.1:%d/" % s.getsockname()[1]
        if why == "refused":
            s.close()
        r = certpick("get", "--json", "--timeout", "1", url)
    assert r.rc == 3, r
    j = json.loads(r.out)
    assert j["schema"] == 1 and j["status"] == 0 and j["url"] == url
    assert j["error"]["code"] == "network" and j["error"]["message"]
    assert j["probe"]["error"]["code"] == "network"
    assert len(r.err.strip().splitlines()) == 1, r


@pytest.mark.asan
@pytest.mark.parametrize("opt,value", [
    ("--servername", "evil\r\nX-Injected: 1"),
    ("--servername", "evil\x1b[2J"),
    ("--servername", "two words"),
    ("-X", "GET / HTTP/1.1\r\nX-Injected: 2\r\nX-Pad:"),
    ("-X", "GE\tT"),
    ("-X", ""),
    ("-H", "X-A: 1\r\nX-Injected: 3"),
    ("-H", "X-A: \x1b]0;pwned\x07"),
    ("-H", "X A: 1"),
])
def test_control_characters_refused(certpick, opt, value):
    """F16: CR/LF (and other non-token bytes) in the server name, the method or a header
    never reach the wire: exit 2 with one line, before any connection."""
    port = free_port()
    commands = ["get", "probe"] if opt == "--servername" else ["get"]
    for cmd in commands:
        r = certpick(cmd, opt, value, "https://127.0.0.1:%d/" % port)
        assert r.rc == 2, r
        first = r.err.splitlines()[0]
        assert first.startswith("certpick: error: bad ") and "\x1b" not in r.err, r
        assert "X-Injected" not in r.err, r


@pytest.mark.parametrize("args,says", [
    (["--mail-from", "a@example.org"], "give --mail-from and --rcpt-to together"),
    (["--rcpt-to", "b@example.net"], "give --mail-from and --rcpt-to together"),
    (["--mail-from", "a@example.org", "--rcpt-to", "b@example.net\r\nRSET"],
     "bad mail address"),
    (["--mail-from", "<a@example.org>", "--rcpt-to", "b@example.net"], "bad mail address"),
    (["--mail-from", "nobody", "--rcpt-to", "b@example.net"], "bad mail address"),
])
def test_mail_options_checked(certpick, args, says):
    """get --mail-from/--rcpt-to (the SMTP relay check, test_peers.py): both or neither, an
    address the layer can send as is; exit 2 before any connection."""
    r = certpick("get", *args, "smtp://127.0.0.1:%d" % free_port())
    assert r.rc == 2 and r.err.startswith("certpick: error: ") and says in r.err, r


def test_servername_ip_and_name_accepted(certpick):
    port = free_port()
    for name in ["localhost", "a-b.example_1.net", "127.0.0.1", "::1"]:
        r = certpick("get", "--servername", name, "--timeout", "1", "https://127.0.0.1:%d/" % port)
        assert r.rc == 3, r


@pytest.mark.asan
def test_data_from_fifo_refused(certpick, tmp):
    """F15 (get's part): -d @FIFO hung on open(); not a regular file is exit 4, at once."""
    fifo = os.path.join(tmp, "body.fifo")
    os.mkfifo(fifo)
    for opt in ["-d", "--data-binary"]:
        r = certpick("get", opt, "@" + fifo, "https://127.0.0.1:%d/" % free_port(), timeout=30)
        assert r.rc == 4, r
        assert r.err.startswith("certpick: error: cannot read '%s': " % fifo), r
        assert "not a regular file" in r.err and len(r.err.strip().splitlines()) == 1, r
    r = certpick("get", "-d", "@/dev/zero", "https://127.0.0.1:%d/" % free_port(), timeout=30)
    assert r.rc == 4 and "not a regular file" in r.err, r
    big = os.path.join(tmp, "big")
    with open(big, "wb") as f:
        f.truncate((256 << 20) + 1)  # sparse
    r = certpick("get", "--data-binary", "@" + big, "https://127.0.0.1:%d/" % free_port())
    assert r.rc == 4 and r.err.strip() == ("certpick: error: cannot read '%s': larger than "
                                           "256 MiB" % big), r


@pytest.mark.asan
@pytest.mark.parametrize("addr", ["127.0.0.1:70000", "[::1]:99999", "127.0.0.1:8x",
                                  "evil\r\n:443", "[::1"])
def test_connect_to_port_range(certpick, addr):
    """F19: a --connect-to port out of range is a usage error (exit 2) for get and probe,
    not a network failure (exit 3)."""
    for cmd in ["get", "probe"]:
        r = certpick(cmd, "--timeout", "1", "--connect-to", addr, "https://127.0.0.1:1/")
        assert r.rc == 2, r
        assert r.err.startswith("certpick: error: bad --connect-to"), r


def test_connect_to_accepted_forms(certpick):
    for addr in ["127.0.0.1", "127.0.0.1:1", "[::1]:1", "::1", "localhost:1"]:
        r = certpick("get", "--timeout", "1", "--connect-to", addr, "https://127.0.0.1:1/")
        assert r.rc == 3, r
