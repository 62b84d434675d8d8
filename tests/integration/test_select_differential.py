"""certpick select against real clients: for each scenario (what the server
names x which identities the client holds, in order), each real client
connects to a recording server and we see which certificate arrived;
certpick predicts it from the request the server really sent (captured by
`certpick probe --save`). A disagreement fails the test unless it is listed,
with its reason, in tests/data/select-disagreements.txt.
"""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import CERTPICK, DATA, free_port, need, run_certpick, wait_for, wait_port
import select_util as su

PW = {"PW": "test"}

# (id, CA names the server sends, TLS version, identities in configuration order)
# against the Go recording server (select_clients/recserver.go: rsa_pss_rsae first)
GO_SCENARIOS = [
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
    ("go-p384-first", "roots", "tls1.3", ["p384", "p256b"]),
    ("go-pss-first", "roots", "tls1.3", ["pss", "alice"]),
    ("go-tie", "roots", "tls1.3", ["tie1", "tie2"]),
    ("go-nb", "roots", "tls1.3", ["nbshort", "nblong"]),
    ("go-renew", "roots", "tls1.3", ["renew-old", "renew-new"]),
    ("tls12-go-renew-tie", "roots", "tls1.2", ["renew-tie1", "renew-tie2"]),
]

# servers that ask the way real ones do: openssl s_server (OpenSSL's own
# signature_algorithms, ECDSA first, as nginx, Apache, HAProxy send them),
# the same limited to one scheme (-client_sigalgs), and with an empty CA list
OSSL_SERVERS = {
    "ossl": ["-CAfile", "ca-roots-AB.pem"],
    "ossl-p256": ["-CAfile", "ca-roots-AB.pem", "-client_sigalgs", "ecdsa_secp256r1_sha256"],
    "ossl-empty": [],
    "ossl-rootR": ["-CAfile", "rootR.pem", "-client_sigalgs", "ecdsa_secp256r1_sha256"],
}

# (id, server, TLS version, identities in configuration order)
OSSL_SCENARIOS = [
    ("ossl-expired-first", "ossl", "tls1.3", ["erin-expired", "carol"]),
    ("ossl-rsa-then-expired", "ossl", "tls1.3", ["carol", "erin-expired"]),
    ("ossl-serverauth-first", "ossl", "tls1.3", ["bob-serveronly", "carol"]),
    ("ossl-ed25519-first", "ossl", "tls1.3", ["dave", "alice"]),
    ("ossl-rsa-then-ed25519", "ossl", "tls1.3", ["carol", "dave"]),
    ("ossl-rsa-then-ec", "ossl", "tls1.3", ["carol", "alice"]),
    ("ossl-ec-then-rsa", "ossl", "tls1.3", ["alice", "carol"]),
    ("ossl-kuenc-first", "ossl", "tls1.3", ["kuenc", "alice"]),
    ("ossl-pss-only", "ossl", "tls1.3", ["pss"]),
    ("ossl-pss-first", "ossl", "tls1.3", ["pss", "carol"]),
    ("ossl-p384-first", "ossl", "tls1.3", ["p384", "p256b"]),
    ("ossl-tie", "ossl", "tls1.3", ["tie1", "tie2"]),
    ("ossl-tie-rev", "ossl", "tls1.3", ["tie2", "tie1"]),
    ("ossl-nb", "ossl", "tls1.3", ["nbshort", "nblong"]),
    ("ossl-nb-rev", "ossl", "tls1.3", ["nblong", "nbshort"]),
    ("ossl-renew", "ossl", "tls1.3", ["renew-old", "renew-new"]),
    ("ossl-renew-rev", "ossl", "tls1.3", ["renew-new", "renew-old"]),
    ("ossl-renew-tie", "ossl", "tls1.3", ["renew-tie1", "renew-tie2"]),
    ("ossl-three-ties", "ossl", "tls1.3", ["tie2", "nblong", "tie1"]),
    ("ossl-unlisted-first", "ossl", "tls1.3", ["mallory", "noku"]),
    ("tls12-ossl-expired-first", "ossl", "tls1.2", ["erin-expired", "carol"]),
    ("tls12-ossl-rsa-then-ec", "ossl", "tls1.2", ["carol", "alice"]),
    ("tls12-ossl-pss-only", "ossl", "tls1.2", ["pss"]),
    ("tls12-ossl-p384-first", "ossl", "tls1.2", ["p384", "p256b"]),
    ("tls12-ossl-tie", "ossl", "tls1.2", ["tie1", "tie2"]),
    ("tls12-ossl-renew", "ossl", "tls1.2", ["renew-new", "renew-old"]),
    ("p256-p384-first", "ossl-p256", "tls1.3", ["p384", "p256b"]),
    ("p256-p256-first", "ossl-p256", "tls1.3", ["p256b", "p384"]),
    ("p256-p384-only", "ossl-p256", "tls1.3", ["p384"]),
    ("p256-rsa-first", "ossl-p256", "tls1.3", ["carol", "alice"]),
    ("empty-kuenc", "ossl-empty", "tls1.3", ["kuenc"]),
    ("empty-two-good", "ossl-empty", "tls1.3", ["alice", "carol"]),
    ("empty-rsa-first", "ossl-empty", "tls1.3", ["carol", "alice"]),
    ("empty-unlisted-first", "ossl-empty", "tls1.3", ["mallory", "alice"]),
    ("empty-expired-first", "ossl-empty", "tls1.3", ["erin-expired", "alice"]),
    ("tls12-empty-kuenc", "ossl-empty", "tls1.2", ["kuenc"]),
    ("tls12-empty-two-good", "ossl-empty", "tls1.2", ["carol", "alice"]),
    ("rootR-ec-by-rsa", "ossl-rootR", "tls1.3", ["ecbyrsa"]),
    ("rootR-ec-by-rsa-then-p256", "ossl-rootR", "tls1.3", ["ecbyrsa", "p256b"]),
]

# Chromium (slow: a browser start each) where it adds information: its sorter
# (validity ties, renewals), its signature-scheme failure, the empty CA list
CHROME_OSSL = {"ossl-tie", "ossl-nb", "ossl-renew", "ossl-renew-tie", "ossl-three-ties",
               "ossl-pss-only", "p256-p384-first", "empty-two-good", "ossl-expired-first"}

SCENARIOS = ([(sid, "go", ca, tls, idents) for sid, ca, tls, idents in GO_SCENARIOS]
             + [(sid, srv, None, tls, idents) for sid, srv, tls, idents in OSSL_SCENARIOS])

FILE_CLIENTS = ["go", "gnutls", "java", "java-pkix", "openssl", "curl", "python"]
# nss-rev: tstclnt on a database with the identities imported in the other order
NSS_CLIENTS = ["nss", "nss-rev", "chrome", "firefox"]

# the real clients (and what builds them): missing one is a failure, never a skip
REAL_CLIENTS = ["go", "javac", "java", "tstclnt", "certutil", "pk12util", "cc", "pkg-config",
                "chromium", "firefox-esr"]


@pytest.fixture(scope="module")
def world(tmp_path_factory, pki):
    """Tools, CA files, and one recording server per (CA list, TLS version)."""
    import pki as pkimod
    pkimod.make_extra(pki)
    tmp = str(tmp_path_factory.mktemp("selectdiff"))
    w = {"tmp": tmp, "pki": pki, "tools": su.Tools(tmp), "servers": {}, "procs": []}
    w["ca"] = {
        None: "-",
        "rootA": os.path.join(pki, "rootA.pem"),
        "intA": os.path.join(pki, "intA.pem"),
        "roots": os.path.join(pki, "ca-roots-AB.pem"),
        "printableB": su.make_printable_ca(pki, "rootB", os.path.join(tmp, "printableB.pem")),
    }
    w["count"] = {}
    yield w
    for p in w["procs"]:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=5)
    counts = w["count"]
    if counts:
        line = ", ".join("%s %d" % kv for kv in sorted(counts.items()))
        with open(os.path.join(os.environ.get("CERTPICK_DIFF_COUNT_DIR", tmp),
                               "select-diff-count.txt"), "w") as f:
            f.write("%d comparisons: %s\n" % (sum(counts.values()), line))
        print("\nselect differential: %d comparisons: %s" % (sum(counts.values()), line))


def _probe(w, port, key):
    saved = os.path.join(w["tmp"], "req-%s.json" % "-".join(str(k) for k in key))
    r = run_certpick("probe", "--no-h2-check", "--save", saved, "--json",
                     "https://127.0.0.1:%d/" % port, timeout=60)
    assert os.path.exists(saved), r
    return saved


def server(w, srv, ca, tls):
    """(port, saved request) of the server for this kind, CA list and version."""
    key = (srv, ca, tls)
    if key not in w["servers"]:
        port = free_port()
        if srv == "go":
            argv = [w["tools"].go("recserver"), "127.0.0.1:%d" % port,
                    os.path.join(w["pki"], "server.pem"),
                    os.path.join(w["pki"], "server.key"), w["ca"][ca], tls]
        else:
            argv = ["openssl", "s_server", "-accept", "127.0.0.1:%d" % port,
                    "-" + tls.replace(".", "_"), "-cert", "server.pem", "-key", "server.key",
                    "-verify", "1", "-www", "-quiet", *OSSL_SERVERS[srv]]
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL, start_new_session=True, cwd=w["pki"])
        w["procs"].append(p)
        wait_port(port, proc=p)
        w["servers"][key] = (port, _probe(w, port, key))
    return w["servers"][key]


def predict(saved, sources, env=None):
    r = run_certpick("select", "--client", "all", "--json", "--request", saved, *sources,
                     env=env, timeout=120)
    assert r.rc in (0, 1), r
    return {c["client"]: c for c in json.loads(r.out)["clients"]}


def _sha_of(pki, ident):
    text = open(su.identity_files(pki, ident)[0]).read()
    return su.sha256_pem(text.split("-----END CERTIFICATE-----")[0]
                         + "-----END CERTIFICATE-----\n")


@pytest.mark.parametrize("sid,srv,ca,tls,idents", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_select_matches_real_clients(world, sid, srv, ca, tls, idents):
    need(*REAL_CLIENTS)
    w, pki, tools = world, world["pki"], world["tools"]
    port, saved = server(w, srv, ca, tls)
    p12s = [su.identity_files(pki, i)[2] for i in idents]
    pred = predict(saved, ["--password-env", "PW"] + p12s, env=PW)
    actual = {
        "go": su.run_go(tools, port, tls, pki, idents),
        "gnutls": su.run_gnutls(tools, port, tls, pki, idents),
        "java": su.run_java(tools, port, tls, pki, idents, "SunX509"),
        "java-pkix": su.run_java(tools, port, tls, pki, idents, "PKIX"),
        "openssl": su.run_openssl(port, tls, pki, idents),
        "curl": su.run_curl(port, tls, pki, idents),
        "python": su.run_python(port, tls, pki, idents),
    }
    cas = ("rootA", "rootB", "rootR")
    nssdb = su.make_nssdb(os.path.join(w["tmp"], "nss-" + sid), pki, idents, cas)
    pred.update({k: v for k, v in predict(saved, ["--nssdb", nssdb]).items()
                 if k in NSS_CLIENTS})
    actual["nss"] = su.run_tstclnt(port, tls, nssdb)
    if len(idents) > 1:
        # the same identities imported the other way round: NSS's store order
        revdb = su.make_nssdb(os.path.join(w["tmp"], "nssrev-" + sid), pki, idents[::-1], cas)
        pred["nss-rev"] = predict(saved, ["--nssdb", revdb])["nss"]
        actual["nss-rev"] = su.run_tstclnt(port, tls, revdb)
    if (srv == "go" or sid in CHROME_OSSL) and os.geteuid() == 0:
        pol = su.ChromiumPolicy(["https://127.0.0.1:%d" % port])
        try:
            actual["chrome"] = su.run_chromium(port, nssdb, os.path.join(w["tmp"], "home"))
        finally:
            pol.remove()
    known = su.load_disagreements(os.path.join(DATA, "select-disagreements.txt"))
    names = {_sha_of(pki, i): i for i in idents}
    bad = []
    log = os.path.join(os.environ.get("CERTPICK_DIFF_COUNT_DIR", w["tmp"]),
                       "select-diff-runs.jsonl")
    for client, got in sorted(actual.items()):
        w["count"][client] = w["count"].get(client, 0) + 1
        want = su.predicted(pred[client])
        with open(log, "a") as f:     # the evidence: what each real client sent
            f.write(json.dumps({"scenario": sid, "client": client, "sent": names.get(got, got),
                                "predicted": names.get(want, want),
                                "unpredictable": len(su.acceptable(pred[client])) > 1}) + "\n")
        if got not in su.acceptable(pred[client]) and "%s %s" % (sid, client) not in known:
            bad.append("%s %s: certpick predicts %s (%s), the client sent %s" % (
                sid, client, names.get(want, want), pred[client]["outcome"]["kind"],
                names.get(got, got)))
    assert not bad, "\n".join(bad)


def test_disagreements_file_is_well_formed():
    known = su.load_disagreements(os.path.join(DATA, "select-disagreements.txt"))
    ids = {s[0] for s in SCENARIOS} | {"phase-" + p[1] for p in PHASES}
    for key, why in known.items():
        sid, _, client = key.partition(" ")
        assert sid in ids and client in FILE_CLIENTS + NSS_CLIENTS, key
        assert len(why) > 20, key



# ---- when the client is asked: a request only for /secure, after the HTTP
# request (certpick serve --require /secure): TLS 1.3 post-handshake auth or
# TLS 1.2 renegotiation. certpick predicts from its live probe of the URL;
# the server's JSON log says what each real client did.

PHASES = [("tls1.3", "post_handshake"), ("tls1.2", "renegotiation")]


def serve_per_path(w, tls):
    key = ("per-path", tls)
    if key not in w["servers"]:
        port = free_port()
        log = os.path.join(w["tmp"], "serve-%s.log" % tls)
        with open(log, "w") as out:
            p = subprocess.Popen([CERTPICK, "serve", "--listen", "127.0.0.1:%d" % port,
                                  "--cert", os.path.join(w["pki"], "server.pem"),
                                  "--key", os.path.join(w["pki"], "server.key"),
                                  "--trust", os.path.join(w["pki"], "ca-roots-AB.pem"),
                                  "--require", "/secure", "--" + tls, "--json-log"],
                                 stdout=out, stderr=subprocess.DEVNULL, start_new_session=True)
        w["procs"].append(p)
        wait_port(port, proc=p)
        w["servers"][key] = (port, log)
    return w["servers"][key]


def serve_recording(w, ca, tls):
    """(port, log, saved request) of certpick serve asking at the handshake with this CA
    list, accepting any certificate (--client-auth optional) and logging what arrived:
    the recording server for Firefox, which shows no page text to read."""
    key = ("recording", ca, tls)
    if key not in w["servers"]:
        port = free_port()
        log = os.path.join(w["tmp"], "serve-rec-%s-%s.log" % (ca, tls))
        names = ["--no-ca-names"] if ca is None else ["--ca-names", w["ca"][ca]]
        with open(log, "w") as out:
            p = subprocess.Popen([CERTPICK, "serve", "--listen", "127.0.0.1:%d" % port,
                                  "--cert", os.path.join(w["pki"], "server.pem"),
                                  "--key", os.path.join(w["pki"], "server.key"),
                                  "--trust", os.path.join(w["pki"], "ca-roots-AB.pem"),
                                  "--client-auth", "optional", *names, "--" + tls,
                                  "--json-log"],
                                 stdout=out, stderr=subprocess.DEVNULL, start_new_session=True)
        w["procs"].append(p)
        wait_port(port, proc=p)
        w["servers"][key] = (port, log, _probe(w, port, key))
    return w["servers"][key]


# Firefox ESR (a browser start each, ~9 s): the scenarios that separate NSS's rules
FIREFOX_SCENARIOS = [s for s in GO_SCENARIOS if s[0] in {
    "none-two-good", "rootA-int-configured", "rootA-int-missing", "intA-only",
    "several-expired-first", "several-future-first", "several-serverauth-first",
    "several-anyeku-first", "several-kuenc-first", "several-unlisted-first",
    "several-two-good", "printable-name", "tls12-expired-first", "tls12-printable-name",
    "go-pss-first", "go-tie", "go-nb", "go-renew"}]


@pytest.mark.parametrize("sid,ca,tls,idents", FIREFOX_SCENARIOS,
                         ids=[s[0] for s in FIREFOX_SCENARIOS])
def test_firefox_matches_prediction(world, sid, ca, tls, idents):
    """Firefox ESR with "Select Automatically" sends what certpick's firefox
    profile calls its auto_choice, from the same NSS database."""
    need("firefox-esr", "certutil", "pk12util")
    w, pki = world, world["pki"]
    port, log, saved = serve_recording(w, ca, tls)
    nssdb = su.make_nssdb(os.path.join(w["tmp"], "nss-ff-" + sid), pki, idents)
    pred = predict(saved, ["--nssdb", nssdb])["firefox"]
    w["count"]["firefox"] = w["count"].get("firefox", 0) + 1
    line = server_saw(log, len(answers(log)), lambda: su.run_firefox(
        port, nssdb, os.path.join(w["tmp"], "home")))
    cert = (line or {}).get("client_certificate")
    got = cert["sha256"] if cert else su.NOTHING
    known = su.load_disagreements(os.path.join(DATA, "select-disagreements.txt"))
    names = {_sha_of(pki, i): i for i in idents}
    want = su.predicted(pred)
    assert got in su.acceptable(pred) or "%s firefox" % sid in known, (
        "%s firefox: certpick predicts %s, the client sent %s (server: %s)" % (
            sid, names.get(want, want), names.get(got, got), describe(line)))


def answers(log):
    with open(log) as f:
        return [json.loads(ln) for ln in f if ln.startswith("{")]


def server_saw(log, before, run):
    """Run one client; the server's log line for its request, or None when the
    server answered nothing. certpick serve writes the line before it queues the
    answer, so a client that got one has it logged when it ends; the short poll
    only covers a line still being flushed."""
    run()
    deadline = time.monotonic() + 5
    while True:
        lines = answers(log)
        if len(lines) > before:
            return lines[before]
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)


def agrees(sel, line):
    """certpick's outcome for one client against what the server logged."""
    kind = sel["outcome"]["kind"]
    cert = (line or {}).get("client_certificate")
    got = cert["sha256"] if cert else su.NOTHING
    ids = [f["id"] for f in (line or {}).get("findings", [])]
    if kind in ("sends", "picker"):
        return got == su.predicted(sel)
    if kind == "never-asked" and sel["request"]["phase"] == "post_handshake":
        return got == su.NOTHING and "pha-not-offered" in ids
    return got == su.NOTHING


def describe(line):
    if line is None:
        return "no answer"
    cert = line.get("client_certificate")
    return "%s %s%s" % (line.get("status"), line.get("substatus") or "",
                        " cert " + cert["subject"]["rfc4514"] if cert else
                        " " + ",".join(f["id"] for f in line.get("findings", [])))


@pytest.mark.parametrize("tls,phase", PHASES, ids=[p[1] for p in PHASES])
def test_phase_matches_real_clients(world, tls, phase):
    w, pki, tools = world, world["pki"], world["tools"]
    port, log = serve_per_path(w, tls)
    url = "https://127.0.0.1:%d/secure" % port
    idents = ["alice"]
    r = run_certpick("select", "--client", "all", "--json", url, "--password-env", "PW",
                     su.identity_files(pki, "alice")[2], env=PW, timeout=120)
    assert r.rc in (0, 1), r
    pred = {c["client"]: c for c in json.loads(r.out)["clients"]}
    nssdb = su.make_nssdb(os.path.join(w["tmp"], "nss-phase-" + tls), pki, idents)
    r = run_certpick("select", "--client", "all", "--json", url, "--nssdb", nssdb, timeout=120)
    assert r.rc in (0, 1), r
    pred.update({c["client"]: c for c in json.loads(r.out)["clients"]
                 if c["client"] in NSS_CLIENTS})
    for c in pred.values():
        assert c["request"]["phase"] == phase
    path = "/secure"
    runs = {
        "go": lambda: su.run_go(tools, port, tls, pki, idents, path),
        "gnutls": lambda: su.run_gnutls(tools, port, tls, pki, idents, path),
        "java": lambda: su.run_java(tools, port, tls, pki, idents, "SunX509", path),
        "java-pkix": lambda: su.run_java(tools, port, tls, pki, idents, "PKIX", path),
        "openssl": lambda: su.run_openssl(port, tls, pki, idents, path),
        "nss": lambda: su.run_tstclnt(port, tls, nssdb, path),
        "curl": lambda: su.run_curl(port, tls, pki, idents, path),
        "python": lambda: su.run_python(port, tls, pki, idents, path),
    }
    if os.geteuid() == 0:
        def chrome():
            pol = su.ChromiumPolicy(["https://127.0.0.1:%d" % port])
            try:
                su.run_chromium(port, nssdb, os.path.join(w["tmp"], "home"), path=path)
            finally:
                pol.remove()
        runs["chrome"] = chrome
    home = os.path.join(w["tmp"], "home")
    runs["firefox"] = lambda: su.run_firefox(port, nssdb, home, path)
    bad, seen = [], []
    for client, run in runs.items():
        w["count"][client] = w["count"].get(client, 0) + 1
        line = server_saw(log, len(answers(log)), run)
        seen.append("%s: certpick %s, server %s" % (client, pred[client]["outcome"]["kind"],
                                                    describe(line)))
        if not agrees(pred[client], line):
            bad.append(seen[-1])
    # the client's setting changes it: s_client -enable_pha is asked and sends alice
    if phase == "post_handshake":
        w["count"]["openssl"] += 1
        line = server_saw(log, len(answers(log)),
                          lambda: su.run_openssl(port, tls, pki, idents, path, ["-enable_pha"]))
        alice = su.predicted(pred["curl"])
        if not (line and (line.get("client_certificate") or {}).get("sha256") == alice):
            bad.append("openssl -enable_pha: server %s" % describe(line))
        seen.append("openssl -enable_pha: server %s" % describe(line))
        # Firefox with security.tls.enable_post_handshake_auth on offers PHA and is
        # asked; Firefox ESR 153 then answers by timing: an empty Certificate while its
        # choice is pending (every page load on an idle machine), the "Select
        # Automatically" pick, alice, when it is ready or on a retry of the request
        # (under load). Either way it is asked (never pha-not-offered), and it never
        # sends anything else.
        w["count"]["firefox"] += 1
        line = server_saw(log, len(answers(log)), lambda: su.run_firefox(
            port, nssdb, home, path, {"security.tls.enable_post_handshake_auth": True}))
        ids = [f["id"] for f in (line or {}).get("findings", [])]
        sent = (line or {}).get("client_certificate")
        empty = sent is None and "no-client-certificate" in ids
        auto = sent is not None and sent.get("sha256") == alice
        if not (line and (empty or auto) and "pha-not-offered" not in ids):
            bad.append("firefox with PHA on: server %s" % describe(line))
        seen.append("firefox with PHA on: server %s" % describe(line))
    print("\n".join(seen))
    assert not bad, "\n".join(bad)


def test_java_picks_ec_by_key_type_then_fails(world):
    """TLS 1.3, a server offering only ecdsa_secp256r1_sha256, a keystore holding a
    P-384 identity before a P-256 one: Java chooses by key type ("EC"), sends the
    P-384 certificate, then finds no CertificateVerify scheme and aborts; Go skips
    it and sends the P-256 one. certpick: sends-then-fails for both key managers."""
    w, pki, tools = world, world["pki"], world["tools"]
    d = os.path.join(w["tmp"], "p384")
    os.makedirs(d, exist_ok=True)

    def ossl(*argv):
        subprocess.run(["openssl", *argv], cwd=d, check=True, capture_output=True, timeout=60)
    ossl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "p384.key")
    ossl("req", "-new", "-key", "p384.key", "-subj", "/O=certpick-test/CN=p384", "-out",
         "p384.csr")
    with open(os.path.join(d, "p384.ext"), "w") as f:
        f.write("[v3]\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n")
    ossl("x509", "-req", "-in", "p384.csr", "-CA", os.path.join(pki, "rootA.pem"), "-CAkey",
         os.path.join(pki, "rootA.key"), "-CAcreateserial", "-CAserial", "rootA.srl",
         "-days", "30", "-extfile", "p384.ext", "-extensions", "v3", "-out", "p384.pem")
    ossl("pkcs12", "-export", "-in", "p384.pem", "-inkey", "p384.key", "-passout", "pass:test",
         "-out", "p384.p12")
    p384 = os.path.join(d, "p384.p12")
    alice = su.identity_files(pki, "alice")[2]
    port = free_port()
    log = os.path.join(d, "s_server.log")
    with open(log, "w") as out:
        p = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-tls1_3",
                              "-cert", os.path.join(pki, "server.pem"), "-key",
                              os.path.join(pki, "server.key"), "-CAfile",
                              os.path.join(pki, "ca-roots-AB.pem"), "-verify", "1",
                              "-client_sigalgs", "ecdsa_secp256r1_sha256", "-www", "-msg"],
                             stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    w["procs"].append(p)
    wait_port(port, proc=p)
    saved = os.path.join(d, "req.json")
    r = run_certpick("probe", "--no-h2-check", "--save", saved, "https://127.0.0.1:%d/" % port,
                     timeout=60)
    assert os.path.exists(saved), r
    pred = predict(saved, ["--password-env", "PW", p384, alice], env=PW)
    p384_sha = [c["sha256"] for c in pred["java"]["candidates"]
                if c["subject"] == "CN=p384,O=certpick-test"][0]

    for client, km in (("java", "SunX509"), ("java-pkix", "PKIX")):
        sel = pred[client]
        assert sel["outcome"]["kind"] == "sends-then-fails", sel["outcome"]
        assert sel["chosen"]["sha256"] == p384_sha
        r = subprocess.run(["java", "-cp", tools.java(), "SelClient", "127.0.0.1", str(port),
                            "TLSv1.3", km, p384, alice], capture_output=True, text=True,
                           timeout=60)
        assert "No supported CertificateVerify signature algorithm" in r.stderr, r.stderr
    # the server saw the client's Certificate message each time (then an alert)
    def certificates():
        with open(log) as f:
            text = f.read()
        # non-empty ones only: the probe's (and any empty) Certificate is 8 bytes
        return text, [ln for ln in text.splitlines()
                      if ln.startswith("<<< ") and ln.endswith("], Certificate")
                      and int(ln.split("[length ")[1].split("]")[0], 16) > 64]
    text, received = wait_for("s_server to log both JDK clients' Certificate messages",
                              certificates, lambda r: len(r[1]) >= 2)
    assert "internal_error" in text
    # Go filters by curve: the P-256 one ([T] in the audit and the suite above)
    assert pred["go"]["outcome"]["kind"] == "sends"
    assert pred["go"]["chosen"]["sha256"] != p384_sha
