"""certpick probe against real servers on loopback: nginx, apache2, openssl
s_server, gnutls-serv, a server that asks nothing, and a hostile hand-written
TLS 1.2 server. Every assertion is about what the server was configured to
send (client_auth, phases, CA names, types, signature algorithms)."""
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conftest import CERTPICK, ROOT, Procs, free_port, run_certpick, wait_port  # noqa: E402
import probe_util  # noqa: E402

ROOT_A = "CN=certpick Test Root A,O=certpick-test"
ROOT_B = "CN=certpick Test Root B,O=certpick-test"
ROOT_C_PREFIX = "CN=certpick Test Root C"
HOSTILE = os.path.join(os.path.dirname(__file__), "hostile_server.py")


@pytest.fixture(scope="module")
def servers(pki, tmp_path_factory):
    """Every server of this module, started once."""
    tmp = str(tmp_path_factory.mktemp("probe-servers"))
    procs = Procs()
    s = {}
    try:
        s["nginx_on"], s["nginx_optional"] = probe_util.start_nginx(procs, tmp, pki, [
            "ssl_verify_client on; ssl_client_certificate %s/ca-roots-AB.pem; ssl_verify_depth 2;" % pki,
            "ssl_verify_client optional_no_ca; ssl_trusted_certificate %s/ca-roots-AB.pem; "
            "ssl_verify_depth 2;" % pki,
        ])
        s["apache_req"], s["apache_path"], s["apache_h2"] = probe_util.start_apache(procs, tmp, pki)
        s["sserv"] = probe_util.start_sserver(procs, pki, ["-Verify", "2"])
        s["sserv_opt"] = probe_util.start_sserver(procs, pki, ["-verify", "2"])
        s["sserv_nonames"] = probe_util.start_sserver(
            procs, pki, ["-Verify", "2", "-no_ca_names", "-client_sigalgs", "ECDSA+SHA256:ed25519"])
        s["noauth"] = probe_util.start_sserver(procs, pki, [])
        s["gnutls"] = probe_util.start_gnutls(procs, pki, ["--require-client-cert"])
        s["gnutls_opt"] = probe_util.start_gnutls(procs, pki, ["--verify-client-cert"])
        yield s
    finally:
        procs.stop_all()


def probe(*args, timeout=60):
    """certpick probe --json ...; returns (rc, parsed JSON or None, stderr)."""
    r = run_certpick("probe", "--json", "--timeout", "5", "--servername", "localhost", *args,
                     timeout=timeout)
    try:
        doc = json.loads(r.out)
    except ValueError:
        doc = None
    return r.rc, doc, r.err


def target(port, path=""):
    return "https://127.0.0.1:%d%s" % (port, path) if path else "127.0.0.1:%d" % port


def names(req):
    return [n["rfc4514"] for n in req["ca_names"]]


def ids(findings):
    return {f["id"] for f in findings}


# ---- nginx -------------------------------------------------------------------------


@pytest.mark.parametrize("tls", ["--tls1.2", "--tls1.3"])
def test_nginx_on_is_required_from_the_http_answer(servers, tls):
    rc, d, err = probe(tls, target(servers["nginx_on"]))
    assert d is not None, err
    assert d["schema"] == 1
    assert d["client_auth"] == "required"
    assert rc == 1
    assert d["evidence"]["kind"] == "http"
    assert d["http"]["status"] == 400
    assert "No required SSL certificate was sent" in d["http"]["title"]
    assert len(d["requests"]) == 1
    req = d["requests"][0]
    assert req["phase"] == "initial"
    assert req["tls_version"] == ("TLSv1.2" if tls == "--tls1.2" else "TLSv1.3")
    assert names(req) == [ROOT_A, ROOT_B]
    assert req["size"] == len(req["raw"]) // 2 + 4
    for n in req["ca_names"]:
        assert len(n["sha256"]) == 64 and n["der"].startswith("30")
    if tls == "--tls1.3":
        assert [x["type"] for x in req["extensions"]] == [13, 47]
        assert req["certificate_types"] == []
    else:
        assert "rsa_sign" in req["certificate_types"] and "ecdsa_sign" in req["certificate_types"]
    assert "ecdsa_secp256r1_sha256" in req["signature_algorithms"]


@pytest.mark.parametrize("tls", ["--tls1.2", "--tls1.3"])
def test_nginx_optional_no_ca_names_no_ca(servers, tls):
    rc, d, err = probe(tls, target(servers["nginx_optional"]))
    assert d["client_auth"] == "optional", d
    assert rc == 0
    assert d["http"]["status"] == 200
    req = d["requests"][0]
    assert req["ca_names"] == []
    assert "cr-no-ca-names" in ids(req["findings"])
    if tls == "--tls1.3":
        # no extension 47 at all (peers.md: nginxB)
        assert 47 not in [x["type"] for x in req["extensions"]]


def test_present_alice_to_nginx(servers, pki):
    rc, d, err = probe("--cert", os.path.join(pki, "alice-chain.pem"), "--key",
                       os.path.join(pki, "alice.key"), target(servers["nginx_on"]))
    assert d["client_auth"] == "required"
    w = d["with_certificate"]
    assert w["sent"] is True
    assert w["accepted"] is True
    assert w["http"]["status"] == 200
    assert rc == 0


def test_present_mallory_to_nginx_is_refused(servers, pki):
    rc, d, err = probe("--cert", os.path.join(pki, "mallory.pem"), "--key",
                       os.path.join(pki, "mallory.key"), target(servers["nginx_on"]))
    w = d["with_certificate"]
    assert w["sent"] is True
    assert w["accepted"] is False
    assert w["http"]["status"] == 400
    assert rc == 1


def test_encrypted_key_password_from_env_and_file(servers, pki, tmp):
    key = os.path.join(tmp, "alice-enc.key")
    subprocess.run(["openssl", "pkey", "-in", os.path.join(pki, "alice.key"), "-aes256", "-passout",
                    "pass:s3cret", "-out", key], check=True, timeout=30)
    cert = os.path.join(pki, "alice-chain.pem")
    r = run_certpick("probe", "--json", "--servername", "localhost", "--cert", cert, "--key", key,
                     "--password-env", "CP_PW", target(servers["nginx_on"]), env={"CP_PW": "s3cret"})
    assert json.loads(r.out)["with_certificate"]["accepted"] is True
    pwf = os.path.join(tmp, "pw")
    with open(pwf, "w") as f:
        f.write("wrong\n")
    r = run_certpick("probe", "--servername", "localhost", "--cert", cert, "--key", key,
                     "--password-file", pwf, target(servers["nginx_on"]))
    assert r.rc == 4
    assert "s3cret" not in r.err and "wrong" not in r.out


# ---- apache ------------------------------------------------------------------------


@pytest.mark.parametrize("tls,alert", [("--tls1.2", 40), ("--tls1.3", 116)])
def test_apache_require_advertises_its_dn_request_file(servers, tls, alert):
    rc, d, err = probe(tls, target(servers["apache_req"]))
    assert d["client_auth"] == "required", d
    assert rc == 1
    assert d["evidence"]["kind"] == "alert"
    assert d["evidence"]["alert"]["code"] == alert
    req = d["requests"][0]
    assert req["phase"] == "initial"
    # SSLCADNRequestFile (B + rogue C), not the trust store (A + B)
    got = names(req)
    assert got[0] == ROOT_B and got[1].startswith(ROOT_C_PREFIX) and len(got) == 2


def test_apache_path_root_asks_nothing(servers):
    rc, d, err = probe(target(servers["apache_path"]))
    assert d["client_auth"] == "none"
    assert d["requests"] == []
    assert d["http"]["status"] == 200
    assert rc == 0


def test_apache_per_path_tls12_renegotiation(servers):
    rc, d, err = probe("--tls1.2", target(servers["apache_path"], "/secure/"))
    assert d["path"] == "/secure/"
    assert d["client_auth"] == "required", d
    assert [r["phase"] for r in d["requests"]] == ["renegotiation"]
    assert names(d["requests"][0]) == [ROOT_A, ROOT_B]
    assert d["evidence"]["alert"]["code"] == 40
    assert d["evidence"]["alert"]["after_request"] is True
    assert "cr-renegotiation" in ids(d["findings"])
    assert rc == 1


def test_apache_per_path_tls13_post_handshake(servers):
    rc, d, err = probe("--tls1.3", "--path", "/secure/", target(servers["apache_path"]))
    assert d["client_auth"] == "required", d
    assert [r["phase"] for r in d["requests"]] == ["post_handshake"]
    req = d["requests"][0]
    assert req["certificate_request_context"] != ""
    assert names(req) == [ROOT_A, ROOT_B]
    assert d["evidence"]["alert"]["code"] == 116
    assert "cr-per-path-tls13" in ids(d["findings"])
    # apache here speaks only HTTP/1.1: no h2 finding, but it was checked
    assert d["alpn_h2"] is False
    assert "cr-per-path-http2" not in ids(d["findings"])


@pytest.mark.parametrize("tls", ["--tls1.2", "--tls1.3"])
def test_apache_per_path_on_an_http2_host(servers, tls):
    rc, d, err = probe(tls, target(servers["apache_h2"], "/secure/"))
    assert d["client_auth"] == "required", d
    assert d["tls"]["alpn"] == "http/1.1"     # the probe itself speaks HTTP/1.1
    assert d["alpn_h2"] is True
    assert "cr-per-path-http2" in ids(d["findings"])
    rc, d, err = probe(tls, "--no-h2-check", target(servers["apache_h2"], "/secure/"))
    assert d["alpn_h2"] is None
    assert "cr-per-path-http2" not in ids(d["findings"])


def test_apache_per_path_with_alice(servers, pki):
    for tls in ("--tls1.2", "--tls1.3"):
        rc, d, err = probe(tls, "--cert", os.path.join(pki, "alice-chain.pem"), "--key",
                           os.path.join(pki, "alice.key"), target(servers["apache_path"], "/secure/"))
        assert d["with_certificate"]["accepted"] is True, (tls, d)
        assert rc == 0


# ---- openssl s_server --------------------------------------------------------------


@pytest.mark.parametrize("tls", ["--tls1.2", "--tls1.3"])
def test_sserver_verify_required(servers, tls):
    rc, d, err = probe(tls, target(servers["sserv"]))
    assert d["client_auth"] == "required"
    assert d["evidence"]["kind"] == "alert"
    req = d["requests"][0]
    assert names(req) == [ROOT_A, ROOT_B]
    if tls == "--tls1.2":
        assert req["certificate_types"] == ["rsa_sign", "dss_sign", "ecdsa_sign"]


@pytest.mark.parametrize("tls", ["--tls1.2", "--tls1.3"])
def test_sserver_lowercase_verify_optional(servers, tls):
    rc, d, err = probe(tls, target(servers["sserv_opt"]))
    assert d["client_auth"] == "optional"
    assert d["http"]["status"] == 200
    assert rc == 0


def test_sserver_no_ca_names_client_sigalgs(servers):
    rc, d, err = probe("--tls1.2", target(servers["sserv_nonames"]))
    req = d["requests"][0]
    assert req["certificate_types"] == ["ecdsa_sign"]
    assert req["signature_algorithms"] == ["ecdsa_secp256r1_sha256", "ed25519"]
    assert req["ca_names"] == []
    rc, d, err = probe("--tls1.3", target(servers["sserv_nonames"]))
    req = d["requests"][0]
    assert req["signature_algorithms"] == ["ecdsa_secp256r1_sha256", "ed25519"]
    # the empty certificate_authorities extension OpenSSL sends (peers.md 6.3)
    ext47 = [x for x in req["extensions"] if x["type"] == 47]
    assert ext47 == [{"type": 47, "name": "certificate_authorities", "data": "0000"}]
    assert "cr-empty-certificate-authorities" in ids(req["findings"])


@pytest.mark.asan
def test_server_that_asks_nothing(servers):
    for tls in ("--tls1.2", "--tls1.3"):
        rc, d, err = probe(tls, target(servers["noauth"]))
        assert d["client_auth"] == "none"
        assert d["requests"] == []
        assert d["findings"] == []
        assert d["http"]["status"] == 200
        assert rc == 0


# ---- gnutls-serv -------------------------------------------------------------------


@pytest.mark.parametrize("tls", ["--tls1.2", "--tls1.3"])
def test_gnutls_require(servers, tls):
    rc, d, err = probe(tls, target(servers["gnutls"]))
    assert d["client_auth"] == "required", d
    req = d["requests"][0]
    assert names(req) == [ROOT_A, ROOT_B]
    if tls == "--tls1.3":
        assert 5 in [x["type"] for x in req["extensions"]]   # status_request
    else:
        assert d["evidence"]["alert"]["code"] == 50          # decode_error (peers.md 6.4)
        assert req["certificate_types"] == ["rsa_sign", "ecdsa_sign"]


@pytest.mark.parametrize("tls", ["--tls1.2", "--tls1.3"])
def test_gnutls_verify_optional(servers, tls):
    rc, d, err = probe(tls, target(servers["gnutls_opt"]))
    assert d["client_auth"] == "optional", d
    assert names(d["requests"][0]) == [ROOT_A, ROOT_B]


# ---- TLS 1.3 "required" is not racy ------------------------------------------------


@pytest.mark.parametrize("name", ["apache_req", "sserv", "gnutls", "nginx_on"])
def test_tls13_required_twenty_times(servers, name):
    seen = []
    for _ in range(20):
        rc, d, err = probe("--tls1.3", target(servers[name]))
        seen.append((rc, d["client_auth"], d["evidence"]["kind"],
                     (d["evidence"]["alert"] or {}).get("code"), (d["http"] or {}).get("status")))
    assert len(set(seen)) == 1, seen
    assert seen[0][1] == "required"


# ---- output, exit codes, many targets ----------------------------------------------


def test_text_output_verdict_first(servers):
    r = run_certpick("probe", "--servername", "localhost", "--tls1.2", target(servers["sserv"]))
    lines = r.out.splitlines()
    assert lines[0].startswith("target")
    assert lines[1].split() == ["client", "auth", "required"]
    assert lines[2].startswith("evidence")
    assert "request 1: initial, TLSv1.2" in r.out
    assert ROOT_A in r.out and "ecdsa_secp256r1_sha256" in r.out and "rsa_sign" in r.out
    assert r.rc == 1


def test_save_is_the_json_and_reads_back(servers, tmp):
    path = os.path.join(tmp, "req.json")
    rc, d, err = probe("--save", path, target(servers["gnutls"], "/x"))
    with open(path) as f:
        saved = json.load(f)
    d.pop("elapsed_ms")
    saved.pop("elapsed_ms")
    assert saved == d
    assert saved["path"] == "/x"


def test_saved_request_feeds_select(servers, tmp, pki):
    path = os.path.join(tmp, "req.json")
    probe("--save", path, "--tls1.2", target(servers["sserv"]))
    r = run_certpick("select", "--request", path, "--json", os.path.join(pki, "alice-chain.pem"))
    assert r.rc in (0, 1), r
    assert json.loads(r.out)["schema"] == 1


def test_connection_refused_is_exit_3():
    port = free_port()
    rc, d, err = probe(target(port))
    assert rc == 3
    assert d["client_auth"] == "unknown"
    assert d["error"]["code"] == "network"


def test_usage_errors(certpick):
    assert certpick("probe").rc == 2
    assert certpick("probe", "--tls1.2", "--tls1.3", "x").rc == 2
    assert certpick("probe", "--timeout", "0", "x").rc == 2
    assert certpick("probe", "gopher://x").rc == 2
    assert certpick("probe", "host:99999").rc == 2
    assert certpick("probe", "--key", "k.pem", "x").rc == 2


def test_connect_to_keeps_sni_and_host(servers):
    rc, d, err = probe("--connect-to", "127.0.0.1:%d" % servers["nginx_on"], "localhost:1")
    assert d["address"] == "127.0.0.1:%d" % servers["nginx_on"]
    assert d["servername"] == "localhost"
    assert d["client_auth"] == "required"


def test_ipv4_only_flag(servers):
    rc, d, err = probe("-4", target(servers["noauth"]))
    assert d["client_auth"] == "none"
    rc, d, err = probe("-6", target(servers["noauth"]))
    assert rc == 3


def test_targets_json_lines(servers, tmp):
    refused = free_port()
    lst = os.path.join(tmp, "targets.txt")
    with open(lst, "w") as f:
        f.write("# a comment\n\n")
        f.write("127.0.0.1:%d\n" % servers["sserv"])
        f.write("  127.0.0.1:%d   # optional\n" % servers["sserv_opt"])
        f.write("127.0.0.1:%d\n" % refused)
        f.write("gopher://nonsense\n")
        f.write("https://127.0.0.1:%d/secure/\n" % servers["apache_path"])
    save = os.path.join(tmp, "all.jsonl")
    r = run_certpick("probe", "--json", "--servername", "localhost", "--timeout", "20",
                     "--targets", lst, "-j", "3", "--order", "input", "--save", save)
    lines = [json.loads(x) for x in r.out.splitlines()]
    assert [x["target"] for x in lines] == [
        "127.0.0.1:%d" % servers["sserv"], "127.0.0.1:%d" % servers["sserv_opt"],
        "127.0.0.1:%d" % refused, "gopher://nonsense",
        "https://127.0.0.1:%d/secure/" % servers["apache_path"]]
    assert [x["client_auth"] for x in lines] == ["required", "optional", "unknown", "unknown",
                                                  "required"], [(x["client_auth"], x["evidence"])
                                                                for x in lines]
    assert lines[2]["error"]["code"] == "network"
    assert lines[3]["error"]["code"] == "usage"
    assert r.rc == 3
    with open(save) as f:
        assert len(f.read().splitlines()) == 5
    assert r.err == ""   # no progress bar: stderr is not a terminal


def test_targets_many_in_completion_order(servers, tmp):
    lst = os.path.join(tmp, "many.txt")
    with open(lst, "w") as f:
        for i in range(60):
            f.write("127.0.0.1:%d\n" % servers["noauth" if i % 2 else "nginx_optional"])
    r = run_certpick("probe", "--servername", "localhost", "--targets", lst, "-j", "8")
    assert r.rc == 0, r
    assert len(r.out.splitlines()) == 60


def test_help_matches_docs(certpick):
    r = certpick("probe", "--help")
    assert r.rc == 0
    with open(os.path.join(ROOT, "docs", "cli", "probe.md")) as f:
        doc = f.read()
    syn = doc.split("## Synopsis", 1)[1].split("```", 2)[1]
    assert syn.lstrip("\n") == r.out


# ---- the hostile server ------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_cert(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("hostile"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    d + "/rsa.key", "-out", d + "/rsa.pem", "-subj", "/CN=hostile", "-days", "30"],
                   check=True, capture_output=True, timeout=60)
    return d + "/rsa.pem"


def probe_measured(port, timeout_s, tmp):
    """Run the probe under /usr/bin/time: (rc, json, max RSS in KiB). Its time bound is
    its own --timeout (the slow mode checks it says 'timed out'); the subprocess timeout
    only stops a hang."""
    out = os.path.join(tmp, "time.txt")
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out, CERTPICK, "probe", "--json",
                        "--timeout", str(timeout_s), "--tls1.2", "127.0.0.1:%d" % port],
                       capture_output=True, text=True, timeout=60)
    with open(out) as f:
        rss = int(f.read().split()[-1])
    assert p.returncode in (0, 1, 3), p
    return p.returncode, json.loads(p.stdout), rss


@pytest.mark.parametrize("mode", [
    pytest.param("huge", marks=pytest.mark.asan), pytest.param("many", marks=pytest.mark.asan),
    pytest.param("baddn", marks=pytest.mark.asan), "slow", pytest.param("reset", marks=pytest.mark.asan),
    pytest.param("overflow", marks=pytest.mark.asan)])
def test_hostile_server(procs, rsa_cert, mode, tmp):
    port = free_port()
    p = procs.start([sys.executable, HOSTILE, str(port), mode, rsa_cert])
    wait_port(port, proc=p)
    rc, d, rss = probe_measured(port, 3, tmp)
    # bounded memory: the request is capped (4 MiB), the answer too (64 KiB);
    # ASan's shadow memory and quarantine need more
    limit = 256 if "asan" in CERTPICK else 64
    assert rss < limit * 1024, "max RSS %d KiB" % rss
    f = ids(d["findings"]) | {i for r in d["requests"] for i in ids(r.get("findings", []))}
    if mode == "huge":
        assert d["requests"][0]["size"] == 1024 * 1024 + 4
        assert "error" in d["requests"][0]
        assert {"cr-malformed", "cr-too-large-java-windows", "cr-too-large-go",
                "cr-too-large-openssl-chrome", "cr-too-large-nss-gnutls"} <= f
    elif mode == "many":
        assert len(d["requests"][0]["ca_names"]) == 10000
        assert {"cr-duplicate-names", "cr-too-large-java-windows", "cr-iis-truncation"} <= f
    elif mode == "baddn":
        assert "cr-malformed-dn" in f
        assert d["requests"][0]["ca_names"][0]["rfc4514"] is None
    elif mode == "overflow":
        assert "cr-malformed" in f
    elif mode == "slow":
        assert rc == 3
        assert "timed out" in d["error"]["message"]
    elif mode == "reset":
        assert rc == 3
        assert d["evidence"]["kind"] in ("reset", "closed")
    if mode != "many":
        assert d["client_auth"] == "unknown"
