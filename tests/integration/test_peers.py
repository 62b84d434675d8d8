"""The real peers of tests/integration/peers.py behave as configured, seen by independent
clients (curl, swaks, ldapwhoami, openssl s_client), for each client-certificate case
(none, untrusted, expired, wrongeku, accepted) over TLS 1.2 and 1.3; and for every case
`certpick probe` of the same URL with the same certificate agrees with that client (the
service accepted it, or not) and says so in the service's words; and `certpick get` of the
same URL, given the case's certificate and key files as sources and picking as the client
does (--client curl, openssl, or gnutls for libldap), gives the same verdict (exit 0 iff the
client got in, else 1) in the server's words. `certpick select URL` and `get` with every
case's files pick the same certificate. peers.py's docstrings list the answers. One server start per module and TLS version; every run is bounded.
"""
import json
import os
import re
import selectors
import subprocess
import time

import pytest

import peers
from conftest import need, run_certpick

CLIENT = 20        # seconds any one client run may take
CASES = peers.CASES
TLS = peers.TLS_VERSIONS
ROOTS = ["O = certpick-test, CN = certpick Test Root A",
         "O = certpick-test, CN = certpick Test Root B"]


def run(argv, peer, env=None, input=None):
    """Run a client; its output (stdout + stderr) and exit status."""
    p = subprocess.run(argv, capture_output=True, text=True, input=input, timeout=CLIENT,
                       env=dict(os.environ, **(env or {})),
                       stdin=None if input is not None else subprocess.DEVNULL)
    return p.returncode, p.stdout + p.stderr


def explain(peer, what, out):
    return "%s\n---- client output\n%s\n%s" % (what, out[-4000:], peer.logs())


def cert_args(peer, case, cert="--cert", key="--key"):
    c = peer.cert(case)
    return [cert, c[0], key, c[1]] if c else []


def s_client(peer, listener, starttls=None, case="accepted", wait_close=False):
    """openssl s_client's view of the handshake: (protocol, CA names, output). wait_close:
    read until the server closes (-ign_eof) instead of closing after the handshake."""
    argv = ["openssl", "s_client", "-connect", "%s:%d" % (peer.host, peer.ports[listener]),
            "-CAfile", peer.pkifile("rootA.pem"), "-servername", "localhost"]
    if wait_close:
        argv.append("-ign_eof")
    if starttls:
        argv += ["-starttls", starttls] + (["-xmpphost", "localhost"] if starttls == "xmpp" else [])
    argv += cert_args(peer, case, "-cert", "-key")
    rc, out = run(argv, peer)
    m = re.search(r"New, (TLSv[\d.]+), Cipher", out)
    names = []
    if "Acceptable client certificate CA names" in out:
        block = out.split("Acceptable client certificate CA names", 1)[1].splitlines()[1:]
        for line in block:
            if not line.startswith(("O =", "CN =", "C =")):
                break
            names.append(line.strip())
    return (m.group(1) if m else None), names, out


def certpick(peer, url, case, *extra):
    """certpick probe --json URL [--cert --key of case] [extra]: the parsed result."""
    args = ["probe", "--json", "--timeout", str(CLIENT // 2), url, *extra]
    args += cert_args(peer, case)
    r = run_certpick(*args, timeout=CLIENT * 3)
    assert r.rc in (0, 1, 3), explain(peer, "certpick probe %s: exit %d" % (url, r.rc), r.err)
    return json.loads(r.out)


def certpick_agrees(peer, url, case, ok, says=None, *extra):
    """certpick's verdict on the connection the client made agrees with the client:
    accepted iff it got in; says: the service's words certpick reports, when given."""
    __tracebackhide__ = True
    res = certpick(peer, url, case, *extra)
    seen = res["with_certificate"] if case != "none" else res
    got = seen["accepted"] if case != "none" else (res["service"] or {}).get("outcome") == \
        "accepted"
    assert got == ok, explain(peer, "certpick %s, case %s: accepted=%s" % (url, case, ok),
                              json.dumps(res, indent=1))
    if says is not None:
        text = json.dumps(seen.get("service") or {}) + json.dumps(res["findings"])
        assert says in text, explain(peer, "certpick says %r" % says, json.dumps(res, indent=1))
    return res


def certpick_get(peer, url, case, client, *extra, sources=None):
    """certpick get --json --client CLIENT URL SOURCES [extra]: (exit status, parsed result).
    SOURCES: the case's certificate and key files (none for "none")."""
    args = ["get", "--json", "--client", client, "--trust", peer.pkifile("rootA.pem"),
            "--timeout", str(CLIENT // 2), url, *extra]
    args += sources if sources is not None else list(peer.cert(case) or ())
    r = run_certpick(*args, timeout=CLIENT * 3)
    assert r.rc in (0, 1) and r.out, explain(peer, "certpick get %s: exit %d" % (url, r.rc), r.err)
    return r.rc, json.loads(r.out)


def get_agrees(peer, url, case, ok, says=None, *extra, client="curl", sent=None):
    """certpick get's verdict agrees with the client's: exit 0 and the service accepted iff
    the client got in, else exit 1 (refused, a certificate alert, or cut off after the
    handshake); the certificate went out iff the client sends it (sent: default, any case
    but none); says: the server's words (service text, identity, alert name)."""
    __tracebackhide__ = True
    rc, res = certpick_get(peer, url, case, client, *extra)
    shown = explain(peer, "certpick get %s --client %s, case %s: accepted=%s" % (
        url, client, case, ok), json.dumps(res, indent=1))
    accepted = (res["service"] or {}).get("outcome") == "accepted"
    assert (rc, accepted) == ((0, True) if ok else (1, False)), shown
    assert res["certificate_sent"] == (case != "none" if sent is None else sent), shown
    if ok:
        assert res["tls_version"] == "TLSv" + peer.tls, shown
    if says is not None:
        assert says in json.dumps([res["service"], res["alert"], res["error"]]), shown
    return res


def assert_handshake(peer, listener, starttls=None, want_names=ROOTS):
    proto, names, out = s_client(peer, listener, starttls)
    assert proto == "TLSv" + peer.tls and names == want_names, explain(
        peer, "%s: expected TLSv%s and CA names %s, got %s %s" % (
            listener, peer.tls, want_names, proto, names), out)


# ------------------------------------------------------------------------------ Postfix

@pytest.fixture(scope="module", params=TLS)
def postfix(request, pki):
    need("/usr/lib/postfix/sbin/master", "swaks", "curl")
    with peers.postfix(pki, tls=request.param) as p:
        yield p


def swaks(peer, listener, case, implicit=False):
    """swaks up to RCPT TO; the last server reply line swaks shows, and the output."""
    argv = ["swaks", "--server", "%s:%d" % (peer.host, peer.ports[listener]),
            "--tls-on-connect" if implicit else "--tls", "--from", "a@example.org",
            "--to", "b@example.net", "--quit-after", "RCPT", "--timeout", "10"]
    argv += cert_args(peer, case, "--tls-cert", "--tls-key")
    rc, out = run(argv, peer)
    replies = [re.sub(r"^\s*<[~-]?\*?\s+", "", l) for l in out.splitlines()
               if re.match(r"\s*<[~-]?\*?\s+\d{3}", l)]
    return replies, out


RELAY_ARGS = ("--mail-from", "a@example.org", "--rcpt-to", "b@example.net")
RELAY_OK = "250 2.1.5 Ok"
RELAY_DENIED = "554 5.7.1 <b@example.net>: Relay access denied"


@pytest.mark.parametrize("listener", ["smtp", "smtps", "smtp_req", "smtp_all"])
def test_postfix_certificate_request(postfix, listener):
    assert_handshake(postfix, listener, None if listener == "smtps" else "smtp")


@pytest.mark.parametrize("case", CASES)
def test_postfix_relay_by_fingerprint(postfix, case):
    """permit_tls_clientcerts: only peer-ok's fingerprint is listed."""
    replies, out = swaks(postfix, "smtp", case)
    want = RELAY_OK if case == "accepted" else RELAY_DENIED
    assert replies[-2:] == [want, "221 2.0.0 Bye"], explain(postfix, "RCPT: " + want, out)
    certpick_agrees(postfix, postfix.url("smtp"), case, case == "accepted",
                    None if case == "accepted" else "Relay access denied",
                    "--mail-from", "a@example.org", "--rcpt-to", "b@example.net")
    get_agrees(postfix, postfix.url("smtp"), case, case == "accepted", want.split(" ", 1)[1],
               *RELAY_ARGS, client="openssl")	# swaks: Net::SSLeay, one certificate


def curl_smtp(peer, listener, case):
    """curl sending one message (MAIL FROM, RCPT TO, DATA): (exit status, output)."""
    msg = peer.path("msg.txt")
    if not os.path.exists(msg):
        peer.write("msg.txt", "From: a@example.org\r\nTo: b@example.net\r\nSubject: t\r\n\r\n"
                   "body\r\n")
    argv = ["curl", "-sS", "-v", "--max-time", "10", "--cacert", peer.pkifile("rootA.pem"),
            "--mail-from", "a@example.org", "--mail-rcpt", "b@example.net", "-T", msg,
            peer.url(listener, "smtps" if listener == "smtps" else "smtp")]
    if listener != "smtps":
        argv.insert(1, "--ssl-reqd")
    return run(argv + cert_args(peer, case), peer)


@pytest.mark.parametrize("listener", ["smtps", "smtp_all"])
@pytest.mark.parametrize("case", CASES)
def test_postfix_relay_curl(postfix, listener, case):
    """smtps: permit_tls_clientcerts (peer-ok's fingerprint) in wrapper mode; smtp_all:
    permit_tls_all_clientcerts (any certificate Postfix verifies)."""
    rc, out = curl_smtp(postfix, listener, case)
    if case == "accepted":
        assert rc == 0 and "< 250 2.1.5 Ok" in out and "< 250 2.0.0 Ok: queued as" in out, \
            explain(postfix, "relayed", out)
    else:
        assert rc == 55 and "< " + RELAY_DENIED in out, explain(postfix, "refused", out)
    certpick_agrees(postfix, postfix.url(listener, "smtps" if listener == "smtps" else "smtp"),
                    case, case == "accepted", None, "--mail-from", "a@example.org",
                    "--rcpt-to", "b@example.net")
    get_agrees(postfix, postfix.url(listener, "smtps" if listener == "smtps" else "smtp"), case,
               case == "accepted", "2.1.5 Ok" if case == "accepted" else "Relay access denied",
               *RELAY_ARGS)


@pytest.mark.parametrize("case", CASES)
def test_postfix_req_ccert(postfix, case):
    rc, out = curl_smtp(postfix, "smtp_req", case)
    if case == "accepted":
        assert rc == 0 and "< 250 2.1.5 Ok" in out, explain(postfix, "relayed", out)
        certpick_agrees(postfix, postfix.url("smtp_req", "smtp"), case, True, None,
                        "--mail-from", "a@example.org", "--rcpt-to", "b@example.net")
        get_agrees(postfix, postfix.url("smtp_req", "smtp"), case, True, "2.1.5 Ok",
                   *RELAY_ARGS)
        return
    why = ("No client certificate presented" if case == "none"
           else "Client certificate not trusted")
    want = "< 421 4.7.1 localhost Error: " + why
    assert rc != 0 and want in out and "MAIL FROM" not in out, \
        explain(postfix, "after STARTTLS: " + want, out)
    certpick_agrees(postfix, postfix.url("smtp_req", "smtp"), case, False, why,
                    "--mail-from", "a@example.org", "--rcpt-to", "b@example.net")
    get_agrees(postfix, postfix.url("smtp_req", "smtp"), case, False, why, *RELAY_ARGS)


def test_postfix_fingerprint_needs_no_trust(pki):
    """relay_clientcerts listing every case's fingerprint: Postfix relays for the untrusted,
    expired and wrong-EKU certificates too (the fingerprint is all it checks)."""
    with peers.postfix(pki, tls="1.3", relay=("accepted", "untrusted", "expired", "wrongeku")) as p:
        for case in CASES:
            replies, out = swaks(p, "smtp", case)
            want = RELAY_DENIED if case == "none" else RELAY_OK
            assert replies[-2] == want, explain(p, "%s: RCPT %s" % (case, want), out)


# ------------------------------------------------------------------------------ Dovecot

@pytest.fixture(scope="module", params=TLS)
def dovecot(request, pki):
    need("dovecot", "curl")
    with peers.dovecot(pki, tls=request.param) as p:
        yield p


def curl_mail(peer, listener, case):
    scheme = listener
    argv = ["curl", "-sS", "-v", "--max-time", "10", "--cacert", peer.pkifile("rootA.pem"),
            "--login-options", "AUTH=EXTERNAL", "-u", "%s:" % os.path.basename(
                peer.leaves["accepted" if case == "none" else case]),
            peer.url(listener, scheme) + "/"]
    if listener in ("imap", "pop3"):
        argv.insert(1, "--ssl-reqd")
    return run(argv + cert_args(peer, case), peer)


@pytest.mark.parametrize("listener,starttls", [("imap", "imap"), ("imaps", None),
                                               ("pop3", "pop3"), ("pop3s", None)])
def test_dovecot_certificate_request(dovecot, listener, starttls):
    assert_handshake(dovecot, listener, starttls)


@pytest.mark.parametrize("listener", ["imap", "imaps"])
@pytest.mark.parametrize("case", CASES)
def test_dovecot_imap_external(dovecot, listener, case):
    rc, out = curl_mail(dovecot, listener, case)
    if case == "accepted":
        assert rc == 0 and re.search(r"^< A\d+ OK Logged in$", out, re.M), \
            explain(dovecot, "logged in", out)
    else:
        assert rc == 67 and re.search(r"^< A\d+ NO \[ALERT\] Client didn't present valid SSL "
                                      r"certificate$", out, re.M), explain(dovecot, "refused", out)
    certpick_agrees(dovecot, dovecot.url(listener), case, case == "accepted",
                    None if case == "accepted" else "Client didn't present valid SSL certificate")
    get_agrees(dovecot, dovecot.url(listener), case, case == "accepted",
               "Logged in" if case == "accepted" else
               "NO [ALERT] Client didn't present valid SSL certificate")


@pytest.mark.parametrize("listener", ["pop3", "pop3s"])
@pytest.mark.parametrize("case", CASES)
def test_dovecot_pop3_external(dovecot, listener, case):
    rc, out = curl_mail(dovecot, listener, case)
    if case == "accepted":
        assert rc == 0 and "< +OK Logged in." in out, explain(dovecot, "logged in", out)
    else:
        assert rc == 67 and "< -ERR [AUTH] Client didn't present valid SSL certificate" in out, \
            explain(dovecot, "refused", out)
    certpick_agrees(dovecot, dovecot.url(listener), case, case == "accepted",
                    None if case == "accepted" else "Client didn't present valid SSL certificate")
    get_agrees(dovecot, dovecot.url(listener), case, case == "accepted",
               "+OK Logged in." if case == "accepted" else
               "-ERR [AUTH] Client didn't present valid SSL certificate")


# ------------------------------------------------------------------------------ slapd

@pytest.fixture(scope="module", params=TLS)
def slapd(request, pki):
    need("slapd", "ldapwhoami")
    with peers.slapd(pki, tls=request.param) as p:
        yield p


def whoami(peer, listener, case, sasl=True):
    env = {"LDAPTLS_CACERT": peer.pkifile("rootA.pem"), "LDAPTLS_REQCERT": "demand"}
    c = peer.cert(case)
    if c:
        env.update(LDAPTLS_CERT=c[0], LDAPTLS_KEY=c[1])
    argv = ["ldapwhoami", "-o", "nettimeout=10", "-H", peer.url(listener)]
    argv += ["-Y", "EXTERNAL"] if sasl else ["-x"]
    if listener == "ldap":
        argv.append("-ZZ")
    return run(argv, peer, env=env)


@pytest.mark.parametrize("listener,starttls", [("ldap", "ldap"), ("ldaps", None)])
def test_slapd_certificate_request(slapd, listener, starttls):
    assert_handshake(slapd, listener, starttls)


@pytest.mark.parametrize("listener", ["ldap", "ldaps"])
@pytest.mark.parametrize("case", CASES)
def test_slapd_external_bind(slapd, listener, case):
    rc, out = whoami(slapd, listener, case)
    if case in ("accepted", "wrongeku"):
        name = os.path.basename(slapd.leaves[case])
        want = "dn:uid=%s,ou=people,dc=certpick,dc=test" % name
        assert rc == 0 and want in out.splitlines(), explain(slapd, want, out)
        res = certpick_agrees(slapd, slapd.url(listener), case, True)
        assert res["with_certificate"]["service"]["identity"] == want, json.dumps(res, indent=1)
    else:
        assert rc != 0 and "dn:" not in out, explain(slapd, "no bind", out)
        if case == "expired":
            assert "TLS: can't accept" in slapd.logs()
        certpick_agrees(slapd, slapd.url(listener), case, False)
    # libldap is GnuTLS: it does not send peer-untrusted, whose issuer is not named;
    # refused: slapd closes the connection after the handshake, without an alert
    res = get_agrees(slapd, slapd.url(listener), case, case in ("accepted", "wrongeku"),
                     want if case in ("accepted", "wrongeku") else None, client="gnutls",
                     sent=case not in ("none", "untrusted"))
    assert case in ("accepted", "wrongeku") or res["end"] == "closed", json.dumps(res, indent=1)


@pytest.mark.parametrize("case", ["none", "untrusted", "expired"])
def test_slapd_closes_without_alert(slapd, case):
    """libldap does not even send peer-untrusted (its issuer is not named); s_client does.
    slapd (GnuTLS) completes the handshake, verifies after it, and closes the connection
    without an alert, over TLS 1.2 as over 1.3."""
    proto, names, out = s_client(slapd, "ldaps", None, case, wait_close=True)
    assert proto == "TLSv" + slapd.tls and "unexpected eof while reading" in out and \
        "alert" not in out, explain(slapd, "handshake, then EOF", out)


def test_slapd_verify_try(pki):
    with peers.slapd(pki, tls="1.3", verify="try") as p:
        rc, out = whoami(p, "ldap", "none", sasl=False)
        assert rc == 0 and "anonymous" in out.splitlines(), explain(p, "anonymous", out)
        rc, out = whoami(p, "ldap", "accepted")
        assert rc == 0 and "dn:uid=peer-ok,ou=people,dc=certpick,dc=test" in out, \
            explain(p, "bound", out)


# ------------------------------------------------------------------------------ vsftpd

@pytest.fixture(scope="module", params=TLS)
def vsftpd(request, pki):
    need("vsftpd", "curl")
    with peers.vsftpd(pki, tls=request.param) as p:
        yield p


FTP_ALERT = {
    "untrusted": "TLS alert, unknown CA (560)",
    "expired": "TLS alert, certificate expired (557)",
    "wrongeku": "TLS alert, unsupported certificate (555)",
}
FTP_ALERT_ERR = {
    "untrusted": "alert unknown ca",
    "expired": "alert certificate expired",
    "wrongeku": "alert unsupported certificate",
}


# the alert certpick get reports (JSON "alert"."name"), by TLS version and case
FTP_GET_ALERT = {(tls, case): name for tls in TLS for case, name in (
    ("untrusted", "unknown_ca"), ("expired", "certificate_expired"),
    ("wrongeku", "unsupported_certificate"))}
FTP_GET_ALERT.update({("1.2", "none"): "handshake_failure",
                      ("1.3", "none"): "certificate_required"})


def curl_ftp(peer, listener, case, user=None):
    argv = ["curl", "-sS", "-v", "--max-time", "10", "--cacert", peer.pkifile("rootA.pem"),
            peer.url(listener) + "/hello.txt"]
    if listener == "ftp":
        argv.insert(1, "--ssl-reqd")
    if user:
        argv += ["-u", user]
    return run(argv + cert_args(peer, case), peer)


@pytest.mark.parametrize("listener,starttls", [("ftp", "ftp"), ("ftps", None)])
def test_vsftpd_certificate_request(vsftpd, listener, starttls):
    assert_handshake(vsftpd, listener, starttls)


@pytest.mark.parametrize("listener", ["ftp", "ftps"])
@pytest.mark.parametrize("case", CASES)
def test_vsftpd_require_cert(vsftpd, listener, case):
    rc, out = curl_ftp(vsftpd, listener, case)
    if case == "accepted":
        assert rc == 0 and "< 230 Login successful." in out and out.startswith("hello\n"), \
            explain(vsftpd, "logged in", out)
        certpick_agrees(vsftpd, vsftpd.url(listener), case, True, "Login successful.")
        get_agrees(vsftpd, vsftpd.url(listener), case, True, "Login successful.")
        return
    if listener == "ftp":
        assert "< 234 Proceed with negotiation." in out, explain(vsftpd, "AUTH SSL", out)
    if case == "none":
        want = ("TLS alert, unknown (628)" if vsftpd.tls == "1.3"
                else "TLS alert, handshake failure (552)")
    else:
        want = FTP_ALERT[case]
    # curl shows the alert as a verbose "(IN), TLS alert, ..." line, or (TLS 1.3, the alert
    # arriving while it already reads) only in its error: "tlsv1 alert unknown ca"; and
    # when it was writing as the server reset the connection, it exits 55 (send failure)
    said = "(IN), " + want in out or FTP_ALERT_ERR.get(case, "\0") in out
    assert rc in (35, 55, 56, 60) and said and "< 230" not in out, explain(vsftpd, want, out)
    res = certpick_agrees(vsftpd, vsftpd.url(listener), case, False)
    assert res["client_auth"] == "required", json.dumps(res, indent=1)
    get_agrees(vsftpd, vsftpd.url(listener), case, False, FTP_GET_ALERT[vsftpd.tls, case])


def test_vsftpd_login_refused_after_certificate(vsftpd):
    rc, out = curl_ftp(vsftpd, "ftp", "accepted", user="someone:secret")
    assert rc == 67 and "< 530 This FTP server is anonymous only." in out, \
        explain(vsftpd, "login refused", out)


# ------------------------------------------------------------------------------ Prosody

@pytest.fixture(scope="module", params=TLS)
def prosody(request, pki):
    need("prosody", "/usr/lib/prosody/modules/mod_auth_ccert/mod_auth_ccert.lua")
    with peers.prosody(pki, tls=request.param) as p:
        yield p


STREAM = ("<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>\n")
AUTH = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>\n"
SASL_END = re.compile(r"<success[^>]*/>|<success.*?</success>|<failure.*?</failure>|"
                      r"<false[^>]*/>")


def xmpp_external(peer, case):
    """openssl s_client -starttls xmpp, then a new stream and SASL EXTERNAL, driven here:
    (stream features after TLS, the SASL answer, whole output)."""
    argv = ["openssl", "s_client", "-quiet", "-connect",
            "%s:%d" % (peer.host, peer.ports["xmpp"]), "-starttls", "xmpp", "-xmpphost",
            "localhost", "-CAfile", peer.pkifile("rootA.pem")] + cert_args(peer, case, "-cert",
                                                                             "-key")
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = b""
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + CLIENT
    try:
        p.stdin.write(STREAM.encode())
        p.stdin.flush()
        sent_auth = False
        while time.monotonic() < deadline:
            text = out.decode(errors="replace")
            if not sent_auth and "</stream:features>" in text:
                p.stdin.write(AUTH.encode())
                p.stdin.flush()
                sent_auth = True
            if sent_auth and SASL_END.search(text.split("</stream:features>", 1)[1]):
                break
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                break
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
    finally:
        sel.close()
        p.kill()
        p.wait(timeout=5)
        p.stdin.close()
        p.stdout.close()
    text = out.decode(errors="replace")
    m = re.search(r"<stream:features>.*?</stream:features>", text)
    end = SASL_END.search(text.split("</stream:features>", 1)[-1])
    return (m.group(0) if m else None), (end.group(0) if end else None), text


XMPP_ANSWER = {
    "accepted": "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
    "expired": "<false xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
}
XMPP_REFUSED = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><account-disabled/></failure>"


def test_prosody_certificate_request(prosody):
    """LuaSec asks without naming any CA (no SSL_CTX_set_client_CA_list)."""
    assert_handshake(prosody, "xmpp", "xmpp", want_names=[])


@pytest.mark.parametrize("case", CASES)
def test_prosody_sasl_external(prosody, case):
    features, answer, out = xmpp_external(prosody, case)
    assert features == ("<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                        "<mechanism>EXTERNAL</mechanism></mechanisms></stream:features>"), \
        explain(prosody, "EXTERNAL offered", out)
    want = XMPP_ANSWER.get(case, XMPP_REFUSED)
    assert answer == want, explain(prosody, want, out)
    certpick_agrees(prosody, prosody.url("xmpp"), case, case == "accepted", None,
                    "--servername", "localhost")	# the XMPP domain Prosody serves
    get_agrees(prosody, prosody.url("xmpp"), case, case == "accepted",
               re.search(r"<(?:failure[^>]*><)?([a-z-]+)", want).group(1) if case != "accepted"
               else "success", "--servername", "localhost", client="openssl")


# ------------------------------------------------------------- select and get pick from a store

STORE = ("untrusted", "expired", "wrongeku", "accepted")	# a user's files, in this order


def assert_get_picks_as_select(peer, url, accepted, *extra, select_url=None):
    """Every case's certificate and key files as the sources: `certpick select URL` (a live
    probe of the server's request) and `certpick get` (client nss, which walks the store for
    a certificate valid now, for client authentication, from a CA the server named) pick the
    same certificate, and get's verdict is the service's on that certificate's case."""
    __tracebackhide__ = True
    sources = [f for case in STORE for f in peer.cert(case)]
    r = run_certpick("select", "--client", "nss", "--json", "--timeout", str(CLIENT // 2),
                     select_url or url, *sources, timeout=CLIENT * 3)
    assert r.rc in (0, 1) and r.out, explain(peer, "certpick select %s: exit %d" % (url, r.rc),
                                             r.err)
    chosen = json.loads(r.out)["chosen"]
    assert chosen is not None, explain(peer, "select chose nothing", r.out)
    rc, res = certpick_get(peer, url, None, "nss", *extra, sources=sources)
    shown = explain(peer, "get sends select's choice %s" % chosen["source"],
                    json.dumps(res, indent=1))
    assert res["sent"] and res["sent"]["source"] == chosen["source"], shown
    assert res["certificate_sent"], shown
    case = next(c for c in STORE if peer.cert(c)[0] == chosen["source"])
    assert rc == (0 if case in accepted else 1), shown
    return case


def test_postfix_get_picks_as_select(postfix):
    assert assert_get_picks_as_select(postfix, postfix.url("smtp"), ("accepted",),
                                      *RELAY_ARGS) == "accepted"


def test_dovecot_get_picks_as_select(dovecot):
    for listener in ("imap", "pop3s"):
        assert assert_get_picks_as_select(dovecot, dovecot.url(listener),
                                          ("accepted",)) == "accepted"


def test_slapd_get_picks_as_select(slapd):
    assert assert_get_picks_as_select(slapd, slapd.url("ldap"),
                                      ("accepted", "wrongeku")) == "accepted"


def test_vsftpd_get_picks_as_select(vsftpd):
    assert assert_get_picks_as_select(vsftpd, vsftpd.url("ftps"), ("accepted",)) == "accepted"


def test_prosody_get_picks_as_select(prosody):
    """Prosody names no CA: NSS then takes the first certificate valid for client
    authentication in store order, peer-untrusted, which Prosody refuses."""
    url = "xmpp://localhost:%d" % prosody.ports["xmpp"]	# the XMPP domain, for select too
    assert assert_get_picks_as_select(prosody, url, ("accepted",)) == "untrusted"
