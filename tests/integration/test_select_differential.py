"""certpick select against real clients: for each scenario (what the server
names x which identities the client holds, in order), each real client
connects to a recording server and we see which certificate arrived;
certpick predicts it from the request the server really sent (captured by
`certpick probe --save`). A disagreement fails the test unless it is listed,
with its reason, in tests/data/select-disagreements.txt.
"""
import json
import os
import shutil
import signal
import subprocess

import pytest

from conftest import DATA, free_port, need, run_certpick, wait_port
import select_util as su

PW = {"PW": "test"}

# (id, CA names the server sends, TLS version, identities in configuration order)
SCENARIOS = [
    ("none-two-good", None, "tls1.3", ["alice", "carol"]),
    ("none-one", None, "tls1.3", ["carol"]),
    ("rootA-int-configured", "rootA", "tls1.3", ["carol", "alice"]),
    ("rootA-int-missing", "rootA", "tls1.3", ["alice-nochain", "carol"]),
    ("intA-only", "intA", "tls1.3", ["carol", "alice"]),
    ("several-expired-first", "roots", "tls1.3", ["erin-expired", "alice"]),
    ("several-future-first", "roots", "tls1.3", ["frank-future", "noeku"]),
    ("several-serverauth-first", "roots", "tls1.3", ["bob-serveronly", "noeku"]),
    ("several-anyeku-first", "roots", "tls1.3", ["anyeku", "noku"]),
    ("several-kuenc-first", "roots", "tls1.3", ["kuenc", "carol"]),
    ("several-ed25519-first", "roots", "tls1.3", ["dave", "alice"]),
    ("several-unlisted-first", "roots", "tls1.3", ["mallory", "carol"]),
    ("several-two-good", "roots", "tls1.3", ["carol", "alice"]),
    ("printable-name", "printableB", "tls1.3", ["carol"]),
    ("tls12-expired-first", "roots", "tls1.2", ["erin-expired", "alice"]),
    ("tls12-ed25519-first", "roots", "tls1.2", ["dave", "carol"]),
    ("tls12-printable-name", "printableB", "tls1.2", ["alice", "carol"]),
    ("tls12-none-two-good", None, "tls1.2", ["carol", "alice"]),
]

FILE_CLIENTS = ["go", "gnutls", "java", "java-pkix", "openssl"]
NSS_CLIENTS = ["nss", "chrome"]

# the real clients (and what builds them): missing one is a failure, never a skip
REAL_CLIENTS = ["go", "javac", "java", "tstclnt", "certutil", "pk12util", "cc", "pkg-config",
                "chromium"]


@pytest.fixture(scope="module")
def world(tmp_path_factory, pki):
    """Tools, CA files, and one recording server per (CA list, TLS version)."""
    tmp = str(tmp_path_factory.mktemp("selectdiff"))
    w = {"tmp": tmp, "pki": pki, "tools": su.Tools(tmp), "servers": {}, "procs": []}
    w["ca"] = {
        None: "-",
        "rootA": os.path.join(pki, "rootA.pem"),
        "intA": os.path.join(pki, "intA.pem"),
        "roots": os.path.join(pki, "ca-roots-AB.pem"),
        "printableB": su.make_printable_ca(pki, "rootB", os.path.join(tmp, "printableB.pem")),
    }
    yield w
    for p in w["procs"]:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=5)


def server(w, ca, tls):
    """(port, saved request) of the recording server for this CA list and version."""
    key = (ca, tls)
    if key not in w["servers"]:
        port = free_port()
        p = subprocess.Popen([w["tools"].go("recserver"), "127.0.0.1:%d" % port,
                              os.path.join(w["pki"], "server.pem"),
                              os.path.join(w["pki"], "server.key"), w["ca"][ca], tls],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        w["procs"].append(p)
        wait_port(port, proc=p)
        saved = os.path.join(w["tmp"], "req-%s-%s.json" % (ca, tls))
        r = run_certpick("probe", "--no-h2-check", "--save", saved, "--json",
                         "https://127.0.0.1:%d/" % port, timeout=60)
        assert os.path.exists(saved), r
        w["servers"][key] = (port, saved)
    return w["servers"][key]


def predict(saved, sources, env=None):
    r = run_certpick("select", "--client", "all", "--json", "--request", saved, *sources,
                     env=env, timeout=120)
    assert r.rc in (0, 1), r
    return {c["client"]: c for c in json.loads(r.out)["clients"]}


@pytest.mark.parametrize("sid,ca,tls,idents", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_select_matches_real_clients(world, sid, ca, tls, idents):
    need(*REAL_CLIENTS)
    w, pki, tools = world, world["pki"], world["tools"]
    port, saved = server(w, ca, tls)
    p12s = [su.identity_files(pki, i)[2] for i in idents]
    pred = predict(saved, ["--password-env", "PW"] + p12s, env=PW)
    actual = {
        "go": su.run_go(tools, port, tls, pki, idents),
        "gnutls": su.run_gnutls(tools, port, tls, pki, idents),
        "java": su.run_java(tools, port, tls, pki, idents, "SunX509"),
        "java-pkix": su.run_java(tools, port, tls, pki, idents, "PKIX"),
        "openssl": su.run_openssl(port, tls, pki, idents),
    }
    nssdb = su.make_nssdb(os.path.join(w["tmp"], "nss-" + sid), pki, idents)
    pred.update({k: v for k, v in predict(saved, ["--nssdb", nssdb]).items()
                 if k in NSS_CLIENTS})
    actual["nss"] = su.run_tstclnt(port, tls, nssdb)
    if os.geteuid() == 0:
        pol = su.ChromiumPolicy(["https://127.0.0.1:%d" % port])
        try:
            actual["chrome"] = su.run_chromium(port, nssdb, os.path.join(w["tmp"], "home"))
        finally:
            pol.remove()
    known = su.load_disagreements(os.path.join(DATA, "select-disagreements.txt"))
    names = {su.sha256_pem(open(su.identity_files(pki, i)[0]).read().split(
        "-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"): i for i in idents}
    bad = []
    for client, got in sorted(actual.items()):
        want = su.predicted(pred[client])
        if got not in su.acceptable(pred[client]) and "%s %s" % (sid, client) not in known:
            bad.append("%s %s: certpick predicts %s, the client sent %s" % (
                sid, client, names.get(want, want), names.get(got, got)))
    assert not bad, "\n".join(bad)


def test_disagreements_file_is_well_formed():
    known = su.load_disagreements(os.path.join(DATA, "select-disagreements.txt"))
    ids = {s[0] for s in SCENARIOS}
    for key, why in known.items():
        sid, _, client = key.partition(" ")
        assert sid in ids and client in FILE_CLIENTS + NSS_CLIENTS, key
        assert len(why) > 20, key
