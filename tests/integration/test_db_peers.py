"""certpick probe against real PostgreSQL, MariaDB and mosquitto servers
(db_peers.py), each case beside the real client (psql, mariadb, mosquitto_pub)
with the same certificate: the client's outcome is the ground truth, and
certpick's verdict must agree with it and say why (a finding, or the alert the
server sent), over TLS 1.2 and 1.3."""
import json
import os

import pytest

from conftest import run_certpick
from db_peers import MariaDB, Mosquitto, Postgres


def P(pki, name):
    return os.path.join(pki, name)


def key_of(pki, cert):
    return P(pki, cert.replace("-chain", "").replace(".pem", ".key")) if cert else None


def probe(url, pki, cert, password=None, tmp=None, tls=None):
    """certpick probe --json URL [--cert CERT --key KEY] [--service-password-file F]:
    the parsed result. The password goes through a file, never the command line."""
    args = ["probe", "--json", "--timeout", "20", url]
    if cert:
        args += ["--cert", P(pki, cert), "--key", key_of(pki, cert)]
    if password is not None:
        f = os.path.join(tmp, "service-password")
        with open(f, "w") as fp:
            fp.write(password + "\n")
        args += ["--service-password-file", f]
    if tls:
        args += ["--tls" + tls]
    r = run_certpick(*args)
    assert r.rc in (0, 1), r.err
    if password:
        assert password not in r.out and password not in r.err
    return json.loads(r.out)


def service_text(res, cert):
    return ((res["with_certificate"] if cert else res).get("service") or {}).get("text") or ""


def agrees(res, cert, ok, why):
    """certpick's verdict on the connection the client made: accepted iff the
    client got in, and the reason among its findings or the server's alert."""
    __tracebackhide__ = True
    seen = res["with_certificate"] if cert else res
    got = seen["accepted"] if cert else res["service"]["outcome"] == "accepted"
    assert got == ok, json.dumps(res, indent=1)
    reasons = {f["id"] for f in res["findings"]}
    alert = (seen.get("alert") or {}).get("name") if cert else None
    assert why is None or why in reasons or why == alert, \
        "want %s; findings %s, alert %s" % (why, sorted(reasons), alert)


@pytest.fixture(scope="module", params=["1.2", "1.3"])
def pg(request, pki):
    with Postgres(pki, tls=request.param) as s:
        yield s


@pytest.mark.parametrize("user,cert,ok,says,why", [
    ("alice", None, False, "connection requires a valid client certificate",
     "pg-certificate-required"),
    ("alice", "alice-chain.pem", True, "alice", None),
    ("alice", "carol.pem", False, 'certificate authentication failed for user "alice"',
     "pg-certificate-user-mismatch"),
    ("mallory", "mallory.pem", False, "unknown ca", "cert-refused-unknown-ca"),
    ("erin-expired", "erin-expired.pem", False, "certificate expired", "cert-refused-expired"),
    ("bob-serveronly", "bob-serveronly.pem", False, "unsupported certificate",
     "cert-refused-unsupported"),
    ("pwuser", "carol.pem", False, "no password supplied", "pg-password-method"),
])
def test_postgres(pg, pki, tmp, user, cert, ok, says, why):
    rc, out = pg.psql(user, P(pki, cert) if cert else None, key_of(pki, cert), tmp)
    assert (rc == 0) == ok, out
    assert says in out, out
    res = probe(pg.url(user), pki, cert)
    agrees(res, cert, ok, why)
    if ok:
        assert res["with_certificate"]["service"]["identity"] == user


def test_postgres_leaf_only_misses_the_intermediate(pg, pki, tmp):
    """libpq sends what sslcert holds: alice's leaf alone cannot be verified
    against roots-only ssl_ca_file (the chain file can: test above)."""
    rc, out = pg.psql("alice", P(pki, "alice.pem"), P(pki, "alice.key"), tmp)
    assert rc != 0 and "unknown ca" in out, out
    agrees(probe(pg.url("alice"), pki, "alice.pem"), "alice.pem", False, "cert-refused-unknown-ca")


def test_postgres_password_user_needs_both(pg, pki, tmp):
    rc, out = pg.psql("pwuser", P(pki, "carol.pem"), P(pki, "carol.key"), tmp, password="secret")
    assert rc == 0 and "pwuser" in out, out
    rc, out = pg.psql("pwuser", None, None, tmp, password="secret")
    assert rc != 0 and "connection requires a valid client certificate" in out, out


def test_postgres_verify_full_cn_mismatch_reads_as_a_password_error(pg, pki, tmp):
    """clientcert=verify-full with a certificate whose CN is not the user: the
    client is told its password failed, though the password is right."""
    rc, out = pg.psql("pwfull", P(pki, "carol.pem"), P(pki, "carol.key"), tmp, password="secret")
    assert rc != 0 and 'password authentication failed for user "pwfull"' in out, out


# Passwords (--service-password-file beside PGPASSWORD): right, wrong, none, with no
# certificate, an accepted one and a refused one; certpick's verdict must be psql's, with
# the reason. pwfull shows what psql cannot: the password was right (the server proved it
# in SCRAM) and the certificate's CN is what verify-full refused.
@pytest.mark.parametrize("user,cert,password,ok,says,why", [
    ("pwuser", "carol.pem", "secret", True, "pwuser", None),
    ("pwuser", "carol.pem", "n0t-the-pw", False, 'password authentication failed for user "pwuser"',
     "pg-password-failed"),
    ("pwuser", "carol.pem", None, False, "no password supplied", "pg-password-method"),
    ("pwuser", None, "secret", False, "connection requires a valid client certificate",
     "pg-certificate-required"),
    ("pwuser", None, "n0t-the-pw", False, "connection requires a valid client certificate",
     "pg-certificate-required"),
    ("pwuser", "mallory.pem", "secret", False, "unknown ca", "cert-refused-unknown-ca"),
    ("pwfull", "carol.pem", "secret", False, 'password authentication failed for user "pwfull"',
     "pg-verify-full-cn-mismatch"),
    ("pwfull", "carol.pem", "n0t-the-pw", False, 'password authentication failed for user "pwfull"',
     "pg-password-failed"),
    ("pwmd5", None, "secret", True, "pwmd5", None),
    ("pwmd5", "carol.pem", "secret", True, "pwmd5", None),
    ("pwmd5", "carol.pem", "n0t-the-pw", False, 'password authentication failed for user "pwmd5"',
     "pg-password-failed"),
    ("pwmd5", None, None, False, "no password supplied", "pg-password-method"),
    ("pwclear", None, "secret", True, "pwclear", None),
    ("pwclear", "carol.pem", "n0t-the-pw", False, 'password authentication failed for user "pwclear"',
     "pg-password-failed"),
])
def test_postgres_passwords(pg, pki, tmp, user, cert, password, ok, says, why):
    rc, out = pg.psql(user, P(pki, cert) if cert else None, key_of(pki, cert), tmp,
                      password=password)
    assert (rc == 0) == ok, out
    assert says in out, out
    res = probe(pg.url(user), pki, cert, password, tmp)
    agrees(res, cert, ok, why)
    if ok:
        seen = res["with_certificate"] if cert else res
        assert seen["service"]["text"] == "AuthenticationOk (with the password given)"


def test_postgres_get_with_password_never_shows_it(pg, pki, tmp):
    """certpick get takes the same password option; neither the output, the JSON nor
    the -v trace shows the password (a distinctive one, to be found if it leaked)."""
    f = os.path.join(tmp, "pw")
    with open(f, "w") as fp:
        fp.write("secret\n")
    r = run_certpick("-v", "get", "--json", "--trust", P(pki, "ca-roots-AB.pem"),
                     "--service-password-file", f, pg.url("pwuser"), P(pki, "carol.pem"),
                     P(pki, "carol.key"))
    assert r.rc == 0, r.out + r.err
    res = json.loads(r.out)
    assert "AuthenticationOk (with the password given)" in r.out, r.out
    assert "secret" not in r.out and "secret" not in r.err
    assert res["schema"] == 1
    r = run_certpick("-v", "probe", "--service-password-env", "CP_TEST_PW", pg.url("pwuser"),
                     "--cert", P(pki, "carol.pem"), "--key", P(pki, "carol.key"),
                     env={"CP_TEST_PW": "secret"})
    assert r.rc == 0, r.out + r.err
    assert "secret" not in r.out and "secret" not in r.err
    r = run_certpick("probe", "--service-password-env", "CP_TEST_UNSET", pg.url("pwuser"))
    assert r.rc == 2 and "'CP_TEST_UNSET' is not set" in r.err, r.err


# The server refuses the certificate in the handshake. The client reports the
# alert ("TLS/SSL error: tlsv1 alert unknown ca"), or, over TLS 1.3 when it has
# already sent its login as the alert comes, that the connection was lost
# ("Lost connection to server at 'sending authentication information', system
# error: 104": the commonest confusing report). Which one is a matter of timing.
REFUSED_IN_HANDSHAKE = ("TLS/SSL error", "Lost connection to server at "
                        "'sending authentication information'")


@pytest.fixture(scope="module", params=["1.2", "1.3"])
def maria(request, pki):
    with MariaDB(pki, tls=request.param) as s:
        yield s


@pytest.mark.parametrize("user,cert,ok,says,why", [
    ("alice", None, False, "Access denied for user 'alice'", "mysql-denied-without-certificate"),
    ("alice", "carol.pem", True, "alice@%", None),
    ("carol", "carol.pem", True, "carol@%", None),
    ("carol", "dave.pem", False, "Access denied for user 'carol'", "mysql-access-denied"),
    ("dave", "dave.pem", True, "dave@%", None),
    ("dave", "carol.pem", False, "Access denied for user 'dave'", "mysql-access-denied"),
    ("alice", "mallory.pem", False, REFUSED_IN_HANDSHAKE, "cert-refused-unknown-ca"),
    ("alice", "erin-expired.pem", False, REFUSED_IN_HANDSHAKE, "cert-refused-expired"),
])
def test_mariadb(maria, pki, user, cert, ok, says, why):
    rc, out = maria.client(user, P(pki, cert) if cert else None, key_of(pki, cert))
    assert (rc == 0) == ok, out
    if isinstance(says, tuple):
        assert any(x in out for x in says), out
    else:
        assert says.lower() in out.lower(), out
    res = probe(maria.url(user), pki, cert)
    agrees(res, cert, ok, why)
    assert res["service"]["banner"].startswith("5.5.5-10.")


# Passwords (--service-password-file beside MYSQL_PWD): the server says the same 1045
# for every refusal; certpick's verdict says what it sent beside the server's
# "(using password: YES|NO)", and names the case it can tell: no certificate sent.
@pytest.mark.parametrize("user,cert,password,ok,using,why", [
    ("pwuser", "carol.pem", "secret", True, None, None),
    ("pwuser", "carol.pem", "n0t-the-pw", False, "YES", "mysql-access-denied"),
    ("pwuser", "carol.pem", None, False, "NO", "mysql-access-denied"),
    ("pwuser", None, "secret", False, "YES", "mysql-denied-without-certificate"),
    ("pwuser", None, None, False, "NO", "mysql-denied-without-certificate"),
    ("pwuser", "mallory.pem", "secret", False, None, "cert-refused-unknown-ca"),
    ("pwsubj", "carol.pem", "secret", True, None, None),
    ("pwsubj", "dave.pem", "secret", False, "YES", "mysql-access-denied"),
    ("pwsubj", "dave.pem", "n0t-the-pw", False, "YES", "mysql-access-denied"),
])
def test_mariadb_passwords(maria, pki, tmp, user, cert, password, ok, using, why):
    rc, out = maria.client(user, P(pki, cert) if cert else None, key_of(pki, cert),
                           password=password)
    assert (rc == 0) == ok, out
    if using:
        assert "(using password: %s)" % using in out, out
    res = probe(maria.url(user), pki, cert, password, tmp)
    agrees(res, cert, ok, why)
    text = service_text(res, cert)
    if using:	# the server's words, and what certpick sent
        assert "(using password: %s)" % using in text, text
        assert ("certpick sent %s certificate" % ("a" if cert else "no")) in text, text
        assert ("the password given" if password else "and no password") in text, text


def test_mariadb_ed25519_is_said_unsupported(maria, pki, tmp):
    """MariaDB's client_ed25519: the real client gets in; certpick cannot compute the
    signature from the password, says so, and does not call it a refusal of the
    certificate or the password."""
    rc, out = maria.client("pwed", P(pki, "carol.pem"), P(pki, "carol.key"), password="secret")
    assert rc == 0 and "pwed@%" in out, out
    res = probe(maria.url("pwed"), pki, "carol.pem", "secret", tmp)
    reasons = {f["id"] for f in res["findings"]}
    assert "mysql-auth-plugin-unsupported" in reasons, json.dumps(res, indent=1)
    assert "mysql-access-denied" not in reasons
    assert "plugin client_ed25519" in service_text(res, "carol.pem")


def test_mariadb_password_and_certificate(maria, pki):
    rc, out = maria.client("pwuser", P(pki, "carol.pem"), P(pki, "carol.key"), password="secret")
    assert rc == 0, out
    rc, out = maria.client("pwuser", None, None, password="secret")
    assert rc != 0 and "(using password: YES)" in out, out


@pytest.fixture(scope="module", params=["1.2", "1.3"])
def broker(request, pki):
    with Mosquitto(pki, tls=request.param) as s:
        yield s


@pytest.mark.parametrize("cert,ok,why,logged", [
    (None, False, None, "peer did not return a certificate"),
    ("alice-chain.pem", True, None, None), ("carol.pem", True, None, None),
    ("mallory.pem", False, "cert-refused-unknown-ca", "certificate verify failed"),
    ("erin-expired.pem", False, "cert-refused-expired", "certificate verify failed"),
])
def test_mosquitto(broker, pki, cert, ok, why, logged):
    mark = broker.log_size()
    rc, out = broker.pub(P(pki, cert) if cert else None, key_of(pki, cert))
    assert (rc == 0) == ok, out
    if logged:	# the client sends its one certificate whatever the broker names
        assert logged in broker.log_since(mark)
    res = probe(broker.url(), pki, cert)
    agrees(res, cert, ok, why)
    # require_certificate true: refused in the handshake, before any CONNACK
    assert res["client_auth"] == "required", json.dumps(res, indent=1)


@pytest.fixture(scope="module", params=["1.2", "1.3"])
def broker_pw(request, pki):
    with Mosquitto(pki, tls=request.param, passwords=True) as s:
        yield s


# mosquitto with a password file (carol:secret) and require_certificate true: the
# certificate is checked in the handshake, then the user and password of the CONNECT.
@pytest.mark.parametrize("cert,user,password,ok,why", [
    ("carol.pem", "carol", "secret", True, None),
    ("carol.pem", "carol", "n0t-the-pw", False, "refusal"),
    ("carol.pem", "carol", None, False, "refusal"),
    ("carol.pem", None, None, False, "refusal"),
    (None, "carol", "secret", False, None),
    ("mallory.pem", "carol", "secret", False, "cert-refused-unknown-ca"),
])
@pytest.mark.parametrize("v5", [False, True])
def test_mosquitto_passwords(broker_pw, pki, tmp, cert, user, password, ok, why, v5):
    rc, out = broker_pw.pub(P(pki, cert) if cert else None, key_of(pki, cert), user=user,
                            password=password) if not v5 else (None, None)
    if not v5:
        assert (rc == 0) == ok, out
    url = broker_pw.url(user) + ("/5" if v5 else "")
    res = probe(url, pki, cert, password, tmp)
    if why == "refusal":	# the broker's word, as mosquitto_pub reports it
        code = res["with_certificate"]["service"]["code"]
        why = "mqtt-bad-user-or-password" if code in (4, 0x86) else "mqtt-not-authorized"
        if not v5:
            assert ("bad user name or password" in out.lower()) == (code == 4), (out, code)
        text = res["with_certificate"]["service"]["text"]	# and what certpick sent
        assert ("user %s" % user if user else "no user") in text, text
        assert ("and a password" if password else "and no password") in text, text
    agrees(res, cert, ok, why)
    assert res["client_auth"] == "required", json.dumps(res, indent=1)
