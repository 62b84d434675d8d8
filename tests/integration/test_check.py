"""certpick check on a PKI made with the openssl command line (pki.py plus the
extra defects below), and certpick demo.

Every defect the issue names is made here with the openssl CLI, so check is
judged against an independent tool, never against certpick's own generator.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import time

import pytest

PW = "test"


def _ossl(d, *argv):
    subprocess.run(["openssl", *argv], cwd=d, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=60)


def _cat(d, out, names):
    with open(os.path.join(d, out), "w") as f:
        for n in names:
            with open(os.path.join(d, n)) as g:
                f.write(g.read())


@pytest.fixture(scope="module")
def x(pki, tmp_path_factory):
    """The session PKI plus extra openssl-CLI defects, in a folder of our own."""
    d = str(tmp_path_factory.mktemp("checkpki"))
    for f in os.listdir(pki):
        src = os.path.join(pki, f)
        if os.path.isfile(src):
            shutil.copy(src, d)
    with open(os.path.join(d, "leaf.ext"), "w") as f:
        f.write("[v3]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=clientAuth\nauthorityKeyIdentifier=keyid\n")
    with open(os.path.join(d, "self.cnf"), "w") as f:
        f.write("[req]\ndistinguished_name=dn\n[dn]\n[v3]\nbasicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n")
    # SHA-1 signed, and RSA 1024, both by rootA
    for name, keyopts, md in [("sha1", ["-algorithm", "EC", "-pkeyopt",
                                        "ec_paramgen_curve:P-256"], "-sha1"),
                              ("rsa1024", ["-algorithm", "RSA", "-pkeyopt",
                                           "rsa_keygen_bits:1024"], "-sha256")]:
        _ossl(d, "genpkey", *keyopts, "-out", name + ".key")
        _ossl(d, "req", "-new", "-key", name + ".key", "-subj", "/CN=" + name, "-out",
              name + ".csr")
        _ossl(d, "x509", "-req", "-in", name + ".csr", "-CA", "rootA.pem", "-CAkey", "rootA.key",
              "-CAcreateserial", "-days", "30", md, "-extfile", "leaf.ext", "-extensions", "v3",
              "-out", name + ".pem")
    # self-signed end entity
    _ossl(d, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
          "self.key")
    _ossl(d, "req", "-x509", "-new", "-key", "self.key", "-subj", "/CN=self", "-days", "30",
          "-config", "self.cnf", "-extensions", "v3", "-out", "self.pem")
    # certificate and a key that is not its own, in one file
    _cat(d, "mismatch.pem", ["alice.pem", "carol.key"])
    # the CA certificate with its key, used as a client certificate
    _cat(d, "rootA-with-key.pem", ["rootA.pem", "rootA.key"])
    # .pfx files as openssl writes them for Windows
    _ossl(d, "pkcs12", "-export", "-in", "alice-chain.pem", "-inkey", "alice.key", "-keyex",
          "-passout", "pass:" + PW, "-out", "keyex.p12")
    _ossl(d, "pkcs12", "-export", "-in", "alice-chain.pem", "-inkey", "alice.key", "-CSP",
          "Microsoft Enhanced Cryptographic Provider v1.0", "-passout", "pass:" + PW,
          "-out", "csp.p12")
    _ossl(d, "pkcs12", "-export", "-in", "alice-chain.pem", "-inkey", "alice.key", "-keyex",
          "-CSP", "Microsoft Strong Cryptographic Provider", "-passout", "pass:" + PW,
          "-out", "both.p12")
    # leaf without its intermediate
    _cat(d, "alice-nochain.pem", ["alice.pem", "alice.key"])
    # broken inputs
    with open(os.path.join(d, "alice-chain.pem")) as f:
        text = f.read()
    with open(os.path.join(d, "truncated.pem"), "w") as f:
        f.write(text[:len(text) // 3])
    with open(os.path.join(d, "junk.bin"), "wb") as f:
        f.write(bytes(range(256)) * 4)
    return d


def check_json(certpick, d, *args, env=None):
    r = certpick("check", "--json", *args, env=env, cwd=d)
    assert r.out, r
    return r, json.loads(r.out)


def ids(cert):
    return {f["id"] for f in cert["findings"]}


def errors_of(cert):
    return {f["id"] for f in cert["findings"] if f["severity"] == "error"}


ENV = {"CP_PW": PW}

# (files, trust, the finding id that must be reported)
DEFECTS = [
    (["alice-chain.pem"], "rootA.pem", "no-private-key"),
    (["mismatch.pem"], "rootA.pem", "key-mismatch"),
    (["kuenc-chain.pem", "kuenc.key"], "rootA.pem", "ku-no-digital-signature"),
    (["bob-serveronly-chain.pem", "bob-serveronly.key"], "rootA.pem", "eku-no-client-auth"),
    (["anyeku-chain.pem", "anyeku.key"], "rootA.pem", "eku-any-only"),
    (["erin-expired-chain.pem", "erin-expired.key"], "rootA.pem", "expired"),
    (["frank-future-chain.pem", "frank-future.key"], "rootA.pem", "not-yet-valid"),
    (["alice-nochain.pem"], "rootA.pem", "chain-incomplete"),
    (["mallory-chain.pem", "mallory.key", "rootC.pem"], "rootA.pem", "untrusted-root"),
    (["sha1.pem", "sha1.key"], "rootA.pem", "weak-signature"),
    (["rsa1024.pem", "rsa1024.key"], "rootA.pem", "weak-key"),
    (["rootA-with-key.pem"], "rootB.pem", "ca-cert-as-client"),
    (["self.pem", "self.key"], "rootA.pem", "self-signed"),
    (["keyex.p12"], "rootA.pem", "pfx-keyspec-exchange"),
    (["csp.p12"], "rootA.pem", "pfx-legacy-csp"),
]


@pytest.mark.parametrize("files,trust,want", DEFECTS, ids=[d[2] for d in DEFECTS])
def test_each_defect_is_reported(certpick, x, files, trust, want):
    r, j = check_json(certpick, x, "--trust", trust, "--password-env", "CP_PW", *files, env=ENV)
    assert r.rc in (0, 1), r
    assert j["errors"] == []
    assert len(j["certificates"]) == 1
    assert want in ids(j["certificates"][0]), j["certificates"][0]["findings"]


def test_chain_incomplete_names_the_missing_issuer(certpick, x):
    r, j = check_json(certpick, x, "--trust", "rootA.pem", "alice-nochain.pem")
    f = [f for f in j["certificates"][0]["findings"] if f["id"] == "chain-incomplete"][0]
    assert "CN=certpick Test Intermediate A" in f["detail"]
    assert r.rc == 1


@pytest.mark.asan
@pytest.mark.parametrize("files", [["alice.p12"], ["alice-chain.pem", "alice.key"]])
def test_good_certificate_has_no_error(certpick, x, files):
    r, j = check_json(certpick, x, "--trust", "rootA.pem", "--password-env", "CP_PW", *files,
                      env=ENV)
    assert r.rc == 0, r
    cert = j["certificates"][0]
    assert errors_of(cert) == set()
    assert cert["chain_status"] == "trusted"
    assert [c["subject"]["rfc4514"] for c in cert["chain"]] == [
        "CN=certpick Test Intermediate A,O=certpick-test", "CN=certpick Test Root A,O=certpick-test"]


def test_json_shape(certpick, x):
    r, j = check_json(certpick, x, "--trust", "rootA.pem", "--password-env", "CP_PW",
                      "alice.p12", env=ENV)
    assert j["schema"] == 1
    assert set(j) >= {"schema", "certificates", "errors"}
    c = j["certificates"][0]
    assert set(c) >= {"source", "subject", "issuer", "sha256", "not_before", "not_after", "key",
                      "chain", "findings"}
    assert c["source"] == "alice.p12"
    assert re.fullmatch(r"[0-9a-f]{64}", c["sha256"])
    assert set(c["subject"]) == {"rfc4514", "der", "sha256"}
    assert c["subject"]["rfc4514"] == "CN=alice,O=certpick-test"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", c["not_after"])
    assert c["key"]["store"] == "pkcs12"
    assert c["key"]["type"] == "ec" and c["key"]["bits"] == 256
    out = subprocess.run(["openssl", "x509", "-in", os.path.join(x, "alice.pem"), "-outform",
                          "DER"], capture_output=True, check=True, timeout=30).stdout
    import hashlib
    assert c["sha256"] == hashlib.sha256(out).hexdigest()
    r, j = check_json(certpick, x, "--trust", "rootA.pem", "erin-expired-chain.pem",
                      "erin-expired.key")
    f = j["certificates"][0]["findings"][0]
    assert set(f) == {"id", "severity", "message", "hint", "detail"}
    assert f["severity"] in ("error", "warning", "info")


def test_text_grouped_most_severe_first(certpick, x):
    r = certpick("check", "--trust", "rootA.pem", "--password-env", "CP_PW", "keyex.p12",
                 "both.p12", "alice-chain.pem", env=ENV, cwd=x)
    assert r.rc == 1
    blocks = r.out.split("\n\n")
    assert blocks[0].startswith("keyex.p12: CN=alice")
    csp = blocks[1]
    assert csp.index("error   pfx-legacy-csp") < csp.index("warning pfx-keyspec-exchange")
    assert "fix: " in csp
    assert "3 certificates checked: 1 fit, 2 not fit" in r.out
    assert "PRIVATE KEY" not in r.out


@pytest.mark.asan
@pytest.mark.parametrize("bad,line", [
    ("alice.p12", "cannot read 'alice.p12': mac verify failure (wrong password?)"),
    ("truncated.pem", "cannot read 'truncated.pem': "),
    ("junk.bin", "cannot read 'junk.bin': not a certificate, private key or PKCS#12 file"),
    ("nonexistent.pem", "cannot read 'nonexistent.pem': No such file or directory"),
])
def test_unreadable_input_one_line_exit_4(certpick, x, bad, line):
    r = certpick("check", "--json", "--trust", "rootA.pem", "--password-env", "CP_PW",
                 bad, "carol-chain.pem", "carol.key", env={"CP_PW": "wrong"}, cwd=x)
    assert r.rc == 4, r
    lines = r.err.splitlines()
    assert len(lines) == 1, r.err
    assert lines[0].startswith("certpick: warning: " + line), lines[0]
    j = json.loads(r.out)
    assert [c["source"] for c in j["certificates"]] == ["carol-chain.pem"]
    assert len(j["errors"]) == 1


def test_unreadable_wins_over_error_finding(certpick, x):
    r = certpick("check", "--trust", "rootA.pem", "junk.bin", "erin-expired-chain.pem",
                 "erin-expired.key", cwd=x)
    assert r.rc == 4
    assert "expired" in r.out


def test_password_file_and_no_password(certpick, x, tmp_path):
    pf = tmp_path / "pw"
    pf.write_text(PW + "\n")
    r = certpick("check", "--trust", "rootA.pem", "--password-file", str(pf), "alice.p12", cwd=x)
    assert r.rc == 0, r
    r = certpick("check", "--trust", "rootA.pem", "alice.p12", cwd=x)
    assert r.rc == 4
    assert "none was given" in r.err


@pytest.mark.parametrize("args,msg", [
    ([], "no PATH"),
    (["--at", "yesterday", "alice.pem"], "bad --at"),
    (["--password", "test", "alice.p12"], "unknown option '--password'"),
    (["--trust"], "needs a value"),
    (["--password-env", "A", "--password-file", "B", "x"], "not both"),
])
def test_usage_errors(certpick, x, args, msg):
    r = certpick("check", *args, cwd=x)
    assert r.rc == 2, r
    assert msg in r.err


@pytest.mark.parametrize("at,absent", [
    ("2020-06-01", "expired"),
    ("2020-06-01T12:00:00+02:00", "expired"),
])
def test_at_injects_now(certpick, x, at, absent):
    # erin is valid 2020-01-01 .. 2021-01-01
    r, j = check_json(certpick, x, "--at", at, "--trust", "rootA.pem", "erin-expired-chain.pem",
                      "erin-expired.key")
    assert absent not in ids(j["certificates"][0])
    assert j["checked_at"].startswith("2020-06-01T")


def test_future_is_valid_later(certpick, x):
    r, j = check_json(certpick, x, "--at", "2100-06-01", "--trust", "rootA.pem",
                      "frank-future-chain.pem", "frank-future.key")
    assert "not-yet-valid" not in ids(j["certificates"][0])


def test_trust_store_errors(certpick, x):
    r = certpick("check", "--trust", "missing.pem", "alice.p12", cwd=x)
    assert r.rc == 4
    assert "cannot read trust store 'missing.pem'" in r.err
    r = certpick("check", "--trust", "alice.key", "alice-chain.pem", cwd=x)
    assert r.rc == 4
    assert "no certificate in it" in r.err


def test_system_trust_by_default(certpick, x):
    r, j = check_json(certpick, x, "alice-chain.pem", "alice.key")
    assert j["certificates"][0]["chain_status"] == "incomplete"


def test_folder_is_walked(certpick, x):
    r, j = check_json(certpick, x, "--trust", "rootA.pem", "--password-env", "CP_PW", ".",
                      env=ENV)
    sources = [c["source"] for c in j["certificates"]]
    assert "./alice.p12" in sources and "./self.pem" in sources
    # .csr/.ext/.srl files are not ours and are not warned about; junk .bin is skipped too
    assert not any(e["message"].endswith(".ext'") for e in j["errors"])
    # truncated.pem (nothing complete in it) is the one unreadable file
    assert [e["message"] for e in j["errors"]] == ["cannot read './truncated.pem'"]
    assert r.rc == 4


def test_only_ca_certificates(certpick, x):
    r = certpick("check", "--trust", "rootA.pem", "ca-roots-AB.pem", cwd=x)
    assert r.rc == 4
    assert "no client certificate to check" in r.err


@pytest.mark.asan
def test_demo_runs_and_cleans_up(certpick):
    before = set(glob.glob("/tmp/certpick-demo-*"))
    r = certpick("demo", timeout=120)
    assert r.rc == 0, r
    assert "demo ran as expected" in r.out
    for want in ["no-private-key", "ku-no-digital-signature", "eku-no-client-auth", "expired",
                 "untrusted-root", "chain-incomplete", "pfx-keyspec-exchange",
                 "pfx-legacy-csp"]:
        assert want in r.out
    assert set(glob.glob("/tmp/certpick-demo-*")) == before


def test_demo_keep(certpick, tmp_path):
    keep = tmp_path / "demo"
    r = certpick("demo", "--keep", str(keep), timeout=120)
    assert r.rc == 0, r
    assert (keep / "alice.pem").is_file() and (keep / "grace-pfx.p12").is_file()
    assert oct((keep / "alice.key").stat().st_mode & 0o777) == "0o600"
    # the kept files check the same way from the command line
    r = certpick("check", "--trust", "root.pem", "alice-chain.pem", "alice.key", cwd=str(keep))
    assert r.rc == 0, r
    r = certpick("demo", "extra")
    assert r.rc == 2


@pytest.fixture(scope="module")
def crl(x):
    """rita-revoked (revoked by Root A) and crl.pem (CRLs of Root A, Root B, Int A)
    made with `openssl ca`, as for serve; and the same CRLs in DER."""
    from serve_util import make_revocation
    path = make_revocation(x)
    _ossl(x, "crl", "-in", os.path.join("ca-crl", "rootA", "crl.pem"), "-outform", "DER",
          "-out", "rootA-crl.der")
    return path


@pytest.mark.asan
def test_crl_revoked_and_not(certpick, x, crl):
    trust = ["--trust", "rootA.pem", "--crl", crl]
    r, j = check_json(certpick, x, *trust, "rita-revoked.pem", "rita-revoked.key",
                      "alice-chain.pem", "alice.key")
    assert r.rc == 1, r
    by = {c["subject"]["rfc4514"]: ids(c) for c in j["certificates"]}
    assert by["O=certpick-test,CN=rita-revoked"] == {"revoked"}
    assert "revoked" not in by["CN=alice,O=certpick-test"]
    assert "crl-not-checked" not in by["CN=alice,O=certpick-test"]
    # the same CRL in DER; without --crl revocation is not checked at all
    r = certpick("check", "--trust", "rootA.pem", "--crl", "rootA-crl.der", "rita-revoked.pem",
                 "rita-revoked.key", cwd=x)
    assert r.rc == 1 and "error   revoked:" in r.out, r
    r = certpick("check", "--trust", "rootA.pem", "rita-revoked.pem", "rita-revoked.key", cwd=x)
    assert r.rc == 0 and "revoked:" not in r.out, r


def test_crl_of_another_ca_and_expired(certpick, x, crl):
    # only Root B's CRL: alice's issuer (Int A) has none, which is said
    r = certpick("check", "--trust", "rootA.pem", "--crl", os.path.join("ca-crl", "rootB",
                 "crl.pem"), "alice-chain.pem", "alice.key", cwd=x)
    assert r.rc == 0, r
    assert "info    crl-not-checked:" in r.out
    assert "no CRL given from CN=certpick Test Intermediate A" in r.out
    # CRLs are valid 30 days: judged a year later they have expired
    later = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 365 * 86400))
    r = certpick("check", "--at", later,
                 "--trust", "rootA.pem", "--crl", crl, "alice-chain.pem", "alice.key", cwd=x)
    assert r.rc == 1 and "CRL has expired" in r.out, r


@pytest.mark.parametrize("name,content,want", [
    ("missing.crl", None, "cannot open"),
    ("empty.crl", b"", "the file is empty"),
    ("junk.crl", bytes(range(256)), "no CRL in"),
    ("cert-as-crl.pem", b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
     "no \"-----BEGIN X509 CRL-----\" block"),
    ("broken.crl", b"-----BEGIN X509 CRL-----\nMIIB\n-----END X509 CRL-----\n",
     "cannot read CRL 1 of"),
])
def test_crl_bad_file(certpick, x, tmp, name, content, want):
    path = os.path.join(tmp, name)
    if content is not None:
        with open(path, "wb") as f:
            f.write(content)
    r = certpick("check", "--trust", "rootA.pem", "--crl", path, "alice-chain.pem", cwd=x)
    assert r.rc == 4 and want in r.err and r.err.count("\n") == 1, r
