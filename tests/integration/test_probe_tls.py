"""certpick probe tls://host:port (the handshake only, the protocol seam's
plain-TLS layer) against openssl s_server on loopback: -Verify (required) and
-verify (asked, optional), TLS 1.2 and 1.3, one target and many, --alpn, and
--cert. The s_server runs with -www so that it stays up between connections;
tls:// never sends it a request."""
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conftest import Procs, run_certpick  # noqa: E402
import probe_util  # noqa: E402

ROOT_A = "CN=certpick Test Root A,O=certpick-test"
ROOT_B = "CN=certpick Test Root B,O=certpick-test"


@pytest.fixture(scope="module")
def servers(pki):
    procs = Procs()
    s = {}
    try:
        s["required"] = probe_util.start_sserver(procs, pki, ["-Verify", "2",
                                                              "-verify_return_error"])
        s["optional"] = probe_util.start_sserver(procs, pki, ["-verify", "2"])
        s["none"] = probe_util.start_sserver(procs, pki, ["-alpn", "h2,http/1.1"])
        yield s
    finally:
        procs.stop_all()


def probe(*args):
    r = run_certpick("probe", "--json", "--timeout", "5", *args)
    try:
        doc = json.loads(r.out)
    except ValueError:
        doc = None
    return r.rc, doc, r.err


def tls(port):
    return "tls://127.0.0.1:%d" % port


def names(req):
    return [n["rfc4514"] for n in req["ca_names"]]


@pytest.mark.parametrize("version", ["--tls1.2", "--tls1.3"])
def test_required_is_the_alert(servers, version):
    rc, d, err = probe(version, tls(servers["required"]))
    assert d["client_auth"] == "required", d["evidence"]
    assert d["evidence"]["kind"] == "alert"
    assert d["scheme"] == "tls"
    assert d["path"] is None and d["http"] is None
    assert d["service"]["protocol"] == "tls"
    assert names(d["requests"][0]) == [ROOT_A, ROOT_B]
    assert d["requests"][0]["phase"] == "initial"
    if version == "--tls1.3":
        # the alert comes after the client's Finished: the handshake was done
        assert d["tls"]["version"] == "TLSv1.3"
        assert d["evidence"]["alert"]["name"] == "certificate_required"
    else:
        assert d["tls"] is None   # the alert ends the TLS 1.2 handshake
    assert rc == 1


@pytest.mark.parametrize("version", ["--tls1.2", "--tls1.3"])
def test_optional_is_the_service_verdict(servers, version):
    rc, d, err = probe(version, tls(servers["optional"]))
    assert d["client_auth"] == "optional", d["evidence"]
    assert d["evidence"]["kind"] == "service"
    assert d["service"]["outcome"] == "handshake_only"
    assert d["evidence"]["alert"] is None
    assert names(d["requests"][0]) == [ROOT_A, ROOT_B]
    assert rc == 0


def test_no_request_is_none(servers):
    rc, d, err = probe(tls(servers["none"]))
    assert d["client_auth"] == "none"
    assert d["requests"] == []
    assert d["tls"]["alpn"] is None   # nothing offered without --alpn
    assert rc == 0


def test_alpn_h2(servers):
    rc, d, err = probe("--alpn", "h2", tls(servers["none"]))
    assert d["tls"]["alpn"] == "h2"
    assert d["alpn_h2"] is None   # the https-only h2 check does not run
    rc, d, err = probe("--alpn", "x-none,http/1.1", tls(servers["none"]))
    assert d["tls"]["alpn"] == "http/1.1"


def test_bad_alpn_is_usage(servers):
    r = run_certpick("probe", "--alpn", "h2,,x", tls(servers["none"]))
    assert r.rc == 2
    assert "ALPN" in r.err


@pytest.mark.parametrize("version", ["--tls1.2", "--tls1.3"])
def test_with_alice_is_accepted(servers, pki, version):
    rc, d, err = probe(version, "--cert", os.path.join(pki, "alice-chain.pem"), "--key",
                       os.path.join(pki, "alice.key"), tls(servers["required"]))
    assert d["client_auth"] == "required"
    w = d["with_certificate"]
    assert w["sent"] is True
    assert w["end"] == "service"
    assert w["service"]["outcome"] == "handshake_only"
    assert w["accepted"] is True
    assert rc == 0


@pytest.mark.parametrize("version", ["--tls1.2", "--tls1.3"])
def test_with_mallory_is_refused(servers, pki, version):
    rc, d, err = probe(version, "--cert", os.path.join(pki, "mallory.pem"), "--key",
                       os.path.join(pki, "mallory.key"), tls(servers["required"]))
    w = d["with_certificate"]
    assert w["sent"] is True
    assert w["end"] == "alert"
    assert w["accepted"] is False
    assert rc == 1


def test_text_output(servers):
    r = run_certpick("probe", "--timeout", "5", tls(servers["optional"]))
    assert r.rc == 0
    lines = r.out.splitlines()
    assert lines[0].startswith("target       tls://127.0.0.1:")
    assert lines[1].split() == ["client", "auth", "optional"]
    assert "not required in TLS" in lines[2]
    assert "service      tls: handshake completed" in r.out


def test_many_targets_mixed_with_https(servers, tmp):
    lst = os.path.join(tmp, "targets.txt")
    with open(lst, "w") as f:
        f.write(tls(servers["required"]) + "\n")
        f.write(tls(servers["optional"]) + "\n")
        f.write(tls(servers["none"]) + "\n")
        f.write("127.0.0.1:%d\n" % servers["optional"])   # the same server over https
    r = run_certpick("probe", "--json", "--timeout", "5", "--targets", lst, "-j", "4",
                     "--order", "input")
    lines = [json.loads(x) for x in r.out.splitlines()]
    assert [x["client_auth"] for x in lines] == ["required", "optional", "none", "optional"]
    assert [x["evidence"]["kind"] for x in lines] == ["alert", "service", "service", "http"]
    assert [x["scheme"] for x in lines] == ["tls", "tls", "tls", "https"]
    assert lines[3]["service"] is None
    assert r.rc == 1


def test_unknown_scheme_is_usage():
    r = run_certpick("probe", "gopher://127.0.0.1:1")
    assert r.rc == 2
    assert "gopher" in r.err


def test_identity_from_pkcs12_and_der(servers, pki, tmp):
    """--cert takes what select takes: a .p12 (password from the environment) and DER."""
    import subprocess
    p12 = os.path.join(tmp, "alice.p12")
    subprocess.run(["openssl", "pkcs12", "-export", "-in", os.path.join(pki, "alice-chain.pem"),
                    "-inkey", os.path.join(pki, "alice.key"), "-passout", "pass:s3cret",
                    "-out", p12], check=True, timeout=30)
    r = run_certpick("probe", "--json", "--tls1.3", "--cert", p12, "--password-env", "CP_PW",
                     tls(servers["required"]), env={"CP_PW": "s3cret"})
    w = json.loads(r.out)["with_certificate"]
    assert w["sent"] is True and w["accepted"] is True, w
    assert r.rc == 0
    r = run_certpick("probe", "--tls1.3", "--cert", p12, "--password-env", "CP_PW",
                     tls(servers["required"]), env={"CP_PW": "wrong"})
    assert r.rc == 4
    assert "s3cret" not in r.err
    der, key = os.path.join(tmp, "alice.der"), os.path.join(tmp, "alice-key.der")
    subprocess.run(["openssl", "x509", "-in", os.path.join(pki, "alice.pem"), "-outform", "DER",
                    "-out", der], check=True, timeout=30)
    subprocess.run(["openssl", "pkey", "-in", os.path.join(pki, "alice.key"), "-outform", "DER",
                    "-out", key], check=True, timeout=30)
    rc, d, err = probe("--tls1.2", "--cert", der, "--key", key, tls(servers["optional"]))
    assert d["with_certificate"]["sent"] is True
    assert d["with_certificate"]["accepted"] is True
    assert rc == 0


def test_select_live_request_over_tls(servers, pki):
    """select URL takes the CertificateRequest of a tls:// service, and its answer."""
    r = run_certpick("select", "--password-env", "PW", "--client", "gnutls", "--json",
                     "--timeout", "5", tls(servers["required"]), os.path.join(pki, "alice.p12"),
                     env={"PW": "test"})
    assert r.rc == 0, r
    j = json.loads(r.out)
    assert [c["rfc4514"] for c in j["request"]["ca_names"]] == [ROOT_A, ROOT_B]
    assert j["chosen"]["subject"] == "CN=alice,O=certpick-test"


def get(*args, env=None):
    r = run_certpick("get", "--json", "--timeout", "5", "--password-env", "PW", *args,
                     env=dict(env or {}, PW="test"))
    try:
        doc = json.loads(r.out)
    except ValueError:
        doc = None
    return r.rc, doc, r.err


@pytest.mark.parametrize("version", ["--tls1.2", "--tls1.3"])
def test_get_over_tls_presents_the_chosen_certificate(servers, pki, version):
    """get tls://: probe, select, then one connection on the engine with the chosen one."""
    rc, d, err = get(version, "--client", "gnutls", "--servername", "localhost", "--trust",
                     os.path.join(pki, "rootA.pem"), tls(servers["required"]),
                     os.path.join(pki, "alice.p12"))
    assert d["sent"]["subject"] == "CN=alice,O=certpick-test", (d, err)
    assert d["certificate_sent"] is True
    assert d["service"]["protocol"] == "tls"
    assert d["service"]["outcome"] == "handshake_only"
    assert d["error"] is None
    assert d["status"] == 0
    assert rc == 0


def test_get_over_tls_without_a_certificate_is_refused(servers, pki):
    rc, d, err = get("--tls1.3", "--client", "gnutls", "-k", tls(servers["required"]),
                     os.path.join(pki, "mallory.p12"))
    assert d["certificate_sent"] is False
    assert d["alert"]["name"] == "certificate_required" and d["alert"]["fatal"] is True
    assert rc == 1


def test_get_over_tls_verifies_the_server(servers, pki):
    """Without -k and without the server's CA, the handshake fails on verification."""
    rc, d, err = get("--tls1.3", "--client", "gnutls", "--servername", "localhost",
                     "--trust", os.path.join(pki, "alice.pem"), tls(servers["optional"]),
                     os.path.join(pki, "alice.p12"))
    assert d["error"] is not None and "verify" in d["error"]["message"] + \
        (d["error"].get("detail") or ""), d["error"]
    assert rc != 0
