"""certpick select: the command line, its JSON contract, exit codes, and its
sources (files, PKCS#12, NSS databases, PKCS#11 tokens through SoftHSM2),
including sources that cannot be read. The comparison with real clients is
test_select_differential.py.
"""
import json
import os
import subprocess

import pytest

from conftest import CERTPICK, free_port, need, softhsm_token, wait_port

PW = {"PW": "test"}


def p(pki, name):
    return os.path.join(pki, name)


def sel(certpick, *args, env=None):
    e = dict(PW)
    if env:
        e.update(env)
    return certpick("select", "--password-env", "PW", *args, env=e)


@pytest.mark.asan
def test_list_clients(certpick):
    r = certpick("select", "--list-clients")
    assert r.rc == 0
    names = [ln.split()[0] for ln in r.out.splitlines()]
    assert names == ["windows", "chrome", "chrome-mac", "chrome-win", "firefox", "nss", "java",
                     "java-pkix", "go", "gnutls", "openssl", "curl", "python", "dotnet"]


@pytest.mark.asan
def test_usage_errors(certpick, pki):
    assert certpick("select", "--client", "netscape", p(pki, "alice.p12")).rc == 2
    assert certpick("select", "--sigalgs", "rot13", p(pki, "alice.p12")).rc == 2
    assert certpick("select", "--issuer", "not a dn", p(pki, "alice.p12")).rc == 2
    assert certpick("select", "--at", "yesterday", p(pki, "alice.p12")).rc == 2
    assert certpick("select", "--request", "x.json", "--issuer", "CN=x").rc == 2
    r = certpick("select", "--bogus")
    assert r.rc == 2 and "usage: certpick select" in r.err
    r = certpick("select", "--client", "go")
    assert r.rc == 2 and "no certificate source" in r.err
    assert certpick("select", "--phase", "later", p(pki, "alice.p12")).rc == 2
    r = certpick("select", "--phase", "post_handshake", "--tls1.2", p(pki, "alice.p12"))
    assert r.rc == 2 and "TLS 1.3 only" in r.err
    r = certpick("select", "--phase", "initial", "--request", "x.json", p(pki, "alice.p12"))
    assert r.rc == 2 and "--phase is for a request given by hand" in r.err


@pytest.mark.asan
def test_ca_names_file_errors(certpick, pki, tmp_path):
    """--ca-names reads subjects through the library: a file without a PEM
    certificate and a missing file are local input errors (exit 4)."""
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    r = sel(certpick, "--ca-names", str(junk), p(pki, "alice.p12"))
    assert r.rc == 4 and "certpick: error: no PEM certificate in '%s'" % junk in r.err, r
    r = sel(certpick, "--ca-names", str(tmp_path / "missing.pem"), p(pki, "alice.p12"))
    assert r.rc == 4 and "missing.pem" in r.err, r
    key = sel(certpick, "--ca-names", p(pki, "rootA.key"), p(pki, "alice.p12"))
    assert key.rc == 4, key


@pytest.mark.asan
def test_json_contract(certpick, pki):
    r = sel(certpick, "--client", "chrome", "--json", "--ca-names", p(pki, "ca-roots-AB.pem"),
            p(pki, "erin-expired.p12"), p(pki, "alice.p12"), p(pki, "mallory.p12"))
    assert r.rc == 0, r
    j = json.loads(r.out)
    assert j["schema"] == 1 and j["client"] == "chrome"
    assert j["chosen"] is None and j["prompt"] is True
    assert j["auto_choice"]["subject"] == "CN=alice,O=certpick-test"
    # the chain to send: the leaf and the intermediate, ending at a listed root
    assert [c["subject"] for c in j["auto_choice"]["chain"]] == [
        "CN=alice,O=certpick-test", "CN=certpick Test Intermediate A,O=certpick-test"]
    assert j["auto_choice"]["matched_ca"] == "CN=certpick Test Root A,O=certpick-test"
    assert [c["rfc4514"] for c in j["request"]["ca_names"]][0].startswith("CN=certpick Test Root A")
    cands = j["candidates"]
    assert [c["verdict"] for c in cands] == ["filtered", "chosen", "filtered"]
    assert [f["id"] for f in cands[0]["reasons"]] == ["expired"]
    assert [f["id"] for f in cands[2]["reasons"]] == ["issuer-not-accepted"]
    for c in cands:
        assert len(c["sha256"]) == 64 and c["source"].endswith(".p12")
        checks = [t["check"] for t in c["trace"]]
        assert checks == ["request-size", "private-key", "key-usage", "extended-key-usage",
                          "validity", "issuer", "signature-algorithm"]
        assert all(isinstance(t["passed"], bool) and t["detail"] for t in c["trace"])
    walk = [t for t in cands[1]["trace"] if t["check"] == "issuer"][0]["detail"]
    assert "certpick Test Intermediate A,O=certpick-test (not listed) -> " \
           "CN=certpick Test Root A,O=certpick-test: listed, byte-exact match" in walk


@pytest.mark.asan
def test_no_candidate_qualifies_exit_1(certpick, pki):
    r = sel(certpick, "--client", "nss", "--issuer", "CN=Nobody,O=Nowhere",
            p(pki, "alice.p12"))
    assert r.rc == 1, r
    assert "sends no certificate" in r.out
    assert "issuer-not-accepted" in r.out


def test_issuer_sigalgs_tls12_by_hand(certpick, pki):
    # the server offers only RSA schemes: Go skips the ECDSA key, takes the RSA one
    r = sel(certpick, "--client", "go", "--json", "--tls1.2", "--sigalgs",
            "rsa_pss_rsae_sha256,rsa_pkcs1_sha256", "--issuer",
            "CN=certpick Test Root B,O=certpick-test", "--issuer",
            "CN=certpick Test Intermediate A,O=certpick-test",
            p(pki, "alice.p12"), p(pki, "carol.p12"))
    assert r.rc == 0, r
    j = json.loads(r.out)
    assert j["request"]["tls_version"] == "TLSv1.2"
    assert j["chosen"]["subject"] == "CN=carol,O=certpick-test"
    assert "no-common-sigalg" in [f["id"] for f in j["candidates"][0]["reasons"]]
    assert j["auto_choice"] == j["chosen"] and j["prompt"] is False


def test_client_all_marks_disagreements(certpick, pki):
    r = sel(certpick, "--ca-names", p(pki, "ca-roots-AB.pem"), p(pki, "erin-expired.p12"),
            p(pki, "alice.p12"))
    assert r.rc == 0, r
    rows = {ln.split()[1] if ln.startswith("*") else ln.split()[0]: ln
            for ln in r.out.splitlines() if ln[:1] in "* " and len(ln.split()) > 2}
    # Go sends the expired one, NSS alice: one of them is marked (which one is
    # the minority depends on how many profiles there are)
    assert rows["go"].startswith("*") != rows["nss"].startswith("*")
    assert rows["go"].split()[-1] != rows["nss"].split()[-1]
    j = json.loads(sel(certpick, "--json", "--ca-names", p(pki, "ca-roots-AB.pem"),
                       p(pki, "erin-expired.p12"), p(pki, "alice.p12")).out)
    by = {c["client"]: c for c in j["clients"]}
    assert len(by) == 14 and by["go"]["disagrees"] != by["nss"]["disagrees"]
    # at the handshake every client is asked
    assert all(c["asked"]["receives"] and c["request"]["phase"] == "initial"
               for c in j["clients"])
    # GnuTLS checks no dates: both match Root A, the first configured goes
    assert by["gnutls"]["chosen"]["subject"] == "O=certpick-test,CN=erin-expired"


@pytest.mark.asan
def test_bad_sources_are_warnings(certpick, pki, tmp):
    junk = os.path.join(tmp, "junk.pem")
    with open(junk, "w") as f:
        f.write("not a certificate\n")
    bogus_db = os.path.join(tmp, "notadb")
    os.makedirs(bogus_db)
    with open(os.path.join(bogus_db, "cert9.db"), "w") as f:
        f.write("garbage")
    r = certpick("select", "--client", "go", "--password-env", "WRONG", junk,
                 os.path.join(tmp, "missing.p12"), p(pki, "carol.p12"), "--nssdb", bogus_db,
                 "--pkcs11", "pkcs11:module-path=/nonexistent.so",
                 p(pki, "alice-chain.pem"), p(pki, "alice.key"), env={"WRONG": "nope"})
    assert r.rc == 0, r
    assert "junk.pem" in r.err and "missing.p12" in r.err
    assert "carol.p12" in r.err and "wrong password" in r.err
    assert "cannot open NSS database" in r.err
    assert "cannot load PKCS#11 module '/nonexistent.so'" in r.err
    assert "sends CN=alice,O=certpick-test" in r.out
    # nothing readable at all: exit 4
    r = certpick("select", "--client", "go", os.path.join(tmp, "missing.p12"))
    assert r.rc == 4, r


@pytest.mark.asan
def test_nssdb_source(certpick, pki, tmp):
    need("certutil", "pk12util")
    db = os.path.join(tmp, "nssdb")
    os.makedirs(db)
    with open(os.path.join(tmp, "pw"), "w") as f:
        f.write("dbpass\n")
    subprocess.run(["certutil", "-N", "-d", "sql:" + db, "-f", os.path.join(tmp, "pw")],
                   check=True, capture_output=True, timeout=60)
    for n in ["erin-expired", "alice"]:
        subprocess.run(["pk12util", "-i", p(pki, n + ".p12"), "-d", "sql:" + db, "-W", "test",
                        "-k", os.path.join(tmp, "pw")], check=True, capture_output=True,
                       timeout=60)
    r = certpick("select", "--client", "nss", "--json", "--issuer",
                 "CN=certpick Test Root A,O=certpick-test", "--nssdb", db,
                 "--password-env", "DBPW", env={"DBPW": "dbpass"})
    assert r.rc == 0, r
    j = json.loads(r.out)
    assert [c["source"].split(":")[0] for c in j["candidates"]] == ["nssdb", "nssdb"]
    assert j["chosen"]["subject"] == "CN=alice,O=certpick-test"
    # the intermediate came from the database: the walk found it there
    assert len(j["chosen"]["chain"]) == 2
    assert all(t["detail"] == "private key in the NSS database"
               for c in j["candidates"] for t in c["trace"] if t["check"] == "private-key")
    # wrong password: a clear error, the other sources still used
    r = certpick("select", "--client", "go", "--nssdb", db, "--password-env", "DBPW",
                 p(pki, "carol.pem"), p(pki, "carol.key"), env={"DBPW": "wrong"})
    assert "cannot unlock NSS database" in r.err and "wrong password" in r.err
    assert r.rc == 0 and "sends CN=carol" in r.out


def test_pkcs11_source(certpick, pki, tmp):
    conf, uri = softhsm_token(tmp, pki)
    r = certpick("select", "--client", "go", "--json", "--pkcs11", uri, "--pin-env", "PIN",
                 env={"SOFTHSM2_CONF": conf, "PIN": "1234"})
    assert r.rc == 0, r
    j = json.loads(r.out)
    by = {c["subject"]: c for c in j["candidates"]}
    assert by["CN=alice,O=certpick-test"]["verdict"] == "chosen"
    assert by["CN=carol,O=certpick-test"]["reasons"][0]["id"] == "no-private-key"
    assert all(c["source"].startswith("pkcs11:cptest:") for c in j["candidates"])
    # wrong PIN: an error for that source; the file given after it is still used
    r = certpick("select", "--client", "go", "--pkcs11", uri, "--pin-env", "PIN",
                 p(pki, "noeku.pem"), p(pki, "noeku.key"),
                 env={"SOFTHSM2_CONF": conf, "PIN": "0000"})
    assert "cannot log in to PKCS#11 token 'cptest'" in r.err and "wrong PIN" in r.err
    assert r.rc == 0 and "sends CN=noeku" in r.out
    # no PIN: certificates are listed, keys stay invisible (a warning says why)
    r = certpick("select", "--client", "go", "--pkcs11", uri, env={"SOFTHSM2_CONF": conf},
                 input="")
    assert "not logged in" in r.err or "cannot log in" in r.err


def _s_server(procs, pki, port, *extra):
    proc = procs.start(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert",
                        p(pki, "server.pem"), "-key", p(pki, "server.key"), "-verify", "9",
                        "-www", "-quiet", *extra])
    wait_port(port, proc=proc)
    return proc


def test_saved_and_live_request(certpick, pki, procs, tmp):
    port = free_port()
    _s_server(procs, pki, port, "-CAfile", p(pki, "intA.pem"))
    saved = os.path.join(tmp, "req.json")
    r = certpick("probe", "--no-h2-check", "--save", saved, "https://127.0.0.1:%d/" % port)
    assert os.path.exists(saved), r
    r = sel(certpick, "--client", "gnutls", "--json", "--request", saved,
            p(pki, "carol.p12"), p(pki, "alice.p12"))
    assert r.rc == 0, r
    j = json.loads(r.out)
    assert j["request"]["size"] > 0
    assert [c["rfc4514"] for c in j["request"]["ca_names"]] == [
        "CN=certpick Test Intermediate A,O=certpick-test"]
    assert j["chosen"]["subject"] == "CN=alice,O=certpick-test"
    r = sel(certpick, "--client", "gnutls", "--json", "https://127.0.0.1:%d/" % port,
            p(pki, "carol.p12"), p(pki, "alice.p12"))
    assert r.rc == 0, r
    assert json.loads(r.out)["chosen"]["subject"] == "CN=alice,O=certpick-test"
    # nothing listens: exit 3
    r = sel(certpick, "--client", "go", "https://127.0.0.1:%d/" % free_port(),
            p(pki, "alice.p12"))
    assert r.rc == 3, r


@pytest.mark.asan
def test_reads_legacy_pfx(certpick, pki, tmp):
    """A .pfx from older Windows (RC2-40 + 3DES, openssl pkcs12 -legacy) reads as any other."""
    old = os.path.join(tmp, "old.pfx")
    subprocess.run(["openssl", "pkcs12", "-export", "-legacy", "-in", p(pki, "alice-chain.pem"),
                    "-inkey", p(pki, "alice.key"), "-passout", "pass:test", "-out", old],
                   check=True, capture_output=True, timeout=60)
    r = certpick("select", "--client", "go", "--json", "--ca-names", p(pki, "ca-roots-AB.pem"),
                 "--password-env", "PW", old, env={"PW": "test"})
    assert r.rc == 0 and r.err == "", r
    assert json.loads(r.out)["chosen"]["subject"] == "CN=alice,O=certpick-test"


@pytest.mark.asan
@pytest.mark.parametrize("phase,tls,never,fails", [
    ("initial", "TLSv1.3", [], []),
    ("post_handshake", "TLSv1.3",
     ["windows", "chrome", "chrome-mac", "chrome-win", "firefox", "nss", "java", "java-pkix",
      "go", "gnutls", "openssl"], []),
    ("renegotiation", "TLSv1.2", ["gnutls"], ["go"]),
])
def test_phase_by_hand(certpick, pki, phase, tls, never, fails):
    """--phase: who is asked, said first, with a stable reason id; what the client
    would send if asked is kept (if_asked)."""
    r = sel(certpick, "--json", "--phase", phase, "--ca-names", p(pki, "ca-roots-AB.pem"),
            p(pki, "alice.p12"))
    assert r.rc in (0, 1), r
    by = {c["client"]: c for c in json.loads(r.out)["clients"]}
    for name, c in by.items():
        assert c["request"]["phase"] == phase and c["request"]["tls_version"] == tls
        assert c["asked"]["phase"] == phase and c["asked"]["source"]
        kind = c["outcome"]["kind"]
        if name in never:
            assert kind == "never-asked" and not c["asked"]["receives"], c
            assert c["outcome"]["id"] == ("never-asked-pha" if phase == "post_handshake"
                                          else "never-asked-renegotiation")
            assert c["findings"][0]["id"] == c["outcome"]["id"]
        elif name in fails:
            assert kind == "fails-connection" and c["outcome"]["id"] == "renegotiation-refused"
        else:
            assert kind in ("sends", "picker") and c["asked"]["receives"], c
        if name in never + fails:
            assert c["chosen"] is None and c["auto_choice"] is None and not c["prompt"]
            assert c["if_asked"]["subject"] == "CN=alice,O=certpick-test"
    # the text table: its own column, the reason first in the one-client view
    r = sel(certpick, "--phase", phase, "--ca-names", p(pki, "ca-roots-AB.pem"),
            p(pki, "alice.p12"))
    assert "  client     asked" in r.out
    if never:
        r = sel(certpick, "--client", never[0], "--phase", phase, "--ca-names",
                p(pki, "ca-roots-AB.pem"), p(pki, "alice.p12"))
        assert r.rc == 1, r
        lines = r.out.splitlines()
        k = [i for i, ln in enumerate(lines) if ln.startswith("client: ")][0]
        assert lines[k + 1].startswith("outcome: never asked (it does not"), lines
        assert lines[k + 2].lstrip().startswith("error   never-asked-"), lines


def test_phase_from_saved_and_live_request(certpick, pki, procs, tmp):
    """A probe of a path protected by TLS 1.3 post-handshake auth carries the phase
    into select, saved or live, with what the server answered."""
    port = free_port()
    proc = procs.start([CERTPICK, "serve", "--listen",
                        "127.0.0.1:%d" % port, "--cert", p(pki, "server.pem"), "--key",
                        p(pki, "server.key"), "--trust", p(pki, "ca-roots-AB.pem"),
                        "--require", "/secure", "--tls1.3"])
    wait_port(port, proc=proc)
    url = "https://127.0.0.1:%d/secure" % port
    saved = os.path.join(tmp, "pha.json")
    r = certpick("probe", "--no-h2-check", "--save", saved, url)
    assert os.path.exists(saved), r
    r = sel(certpick, "--client", "chrome", "--json", "--request", saved, p(pki, "alice.p12"))
    j = json.loads(r.out)
    assert r.rc == 1 and j["request"]["phase"] == "post_handshake", r
    assert j["outcome"]["kind"] == "never-asked"
    # the saved probe also says what the server answered without a certificate
    assert "HTTP 403 (403.7" in j["findings"][0]["message"] + str(j["findings"][0]), j
    r = sel(certpick, "--client", "chrome", url, p(pki, "alice.p12"))
    assert r.rc == 1 and "the server then answers HTTP 403 (403.7" in r.out, r
    r = sel(certpick, "--client", "curl", "--json", url, p(pki, "alice.p12"))
    assert r.rc == 0 and json.loads(r.out)["outcome"]["kind"] == "sends", r
