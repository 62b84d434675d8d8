"""Helpers for the `certpick select` differential suite.

Real clients choose a client certificate by themselves and connect to a
recording server (select_clients/recserver.go: asks for any certificate,
names the CAs it is given byte for byte, answers with the certificate that
arrived); certpick predicts the same choice from the request the server
really sent (captured with `certpick probe --save`). Nothing is mocked.

Clients: Go crypto/tls (several Config.Certificates), GnuTLS (several
credentials, no callback), NSS tstclnt (automatic NSS_GetClientAuthData),
Java JSSE (SunX509 and PKIX key managers), OpenSSL s_client (one -cert),
headless Chromium (NSS db in $HOME/.pki/nssdb, AutoSelectCertificateForUrls).
Programs are built at test time in a temporary directory (Go offline:
GOPROXY=off, GOFLAGS empty, stdlib only).
"""
import glob
import hashlib
import json
import os
import re
import shutil
import ssl
import subprocess

from conftest import other_policy_files, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = os.path.join(HERE, "select_clients")
POLICY_DIR = "/etc/chromium/policies/managed"
PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.S)

NOTHING = "nothing"     # the server saw no certificate, or the handshake failed
# the client waited on a certificate picker (or hung) until the deadline: certpick
# never predicts it, so it is always a disagreement, named as such
PICKER = "picker"


def sha256_pem(text):
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(text)).hexdigest()


def received(output):
    """What the recording server says arrived: a certificate's sha256 or NOTHING."""
    if "Client certificate" not in output:
        return NOTHING
    m = PEM_RE.search(output[output.index("Client certificate"):])
    return sha256_pem(m.group(0)) if m else NOTHING


class Tools:
    """Builds the client programs once per session, in tmp."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.env = dict(os.environ, GOCACHE=os.path.join(tmp, "gocache"),
                        GOPATH=os.path.join(tmp, "gopath"), GOPROXY="off",
                        GO111MODULE="off", GOFLAGS="", CGO_ENABLED="0")
        self.built = {}

    def go(self, name):
        if name not in self.built:
            out = os.path.join(self.tmp, name)
            subprocess.run(["go", "build", "-o", out, os.path.join(CLIENTS, name + ".go")],
                           check=True, env=self.env, timeout=300, capture_output=True)
            self.built[name] = out
        return self.built[name]

    def gnutls(self):
        if "gnutls" not in self.built:
            out = os.path.join(self.tmp, "gnutls_client")
            flags = subprocess.run(["pkg-config", "--cflags", "--libs", "gnutls"], check=True,
                                   capture_output=True, text=True, timeout=30).stdout.split()
            subprocess.run(["cc", "-O1", "-o", out, os.path.join(CLIENTS, "gnutls_client.c")]
                           + flags, check=True, timeout=120, capture_output=True)
            self.built["gnutls"] = out
        return self.built["gnutls"]

    def java(self):
        if "java" not in self.built:
            out = os.path.join(self.tmp, "javacls")
            os.makedirs(out, exist_ok=True)
            subprocess.run(["javac", "-d", out, os.path.join(CLIENTS, "SelClient.java")],
                           check=True, timeout=300, capture_output=True)
            self.built["java"] = out
        return self.built["java"]


def make_printable_ca(pki, name, out):
    """A throwaway CA certificate whose subject is name's subject re-encoded as
    PrintableString (same DN text, other DER), for 'a name encoded differently'."""
    subj = subprocess.run(["openssl", "x509", "-noout", "-subject", "-nameopt", "compat",
                           "-in", os.path.join(pki, name + ".pem")], check=True,
                          capture_output=True, text=True, timeout=30).stdout
    subj = subj.strip()[len("subject="):]
    conf = out + ".cnf"
    with open(conf, "w") as f:
        f.write("[req]\ndistinguished_name=dn\nstring_mask=default\nprompt=no\n[dn]\n")
        for part in subj.strip("/").split("/"):
            f.write(part + "\n")
    subprocess.run(["openssl", "req", "-new", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", out + ".key", "-config",
                    conf, "-days", "30", "-out", out], check=True, capture_output=True,
                   timeout=60)
    return out


def identity_files(pki, ident):
    """(chain.pem, key, p12) for an identity name; '-nochain' drops the intermediate."""
    base = ident.replace("-nochain", "")
    key = os.path.join(pki, base + ".key")
    if ident.endswith("-nochain"):
        p12 = os.path.join(pki, ident + ".p12")
        if not os.path.exists(p12):
            subprocess.run(["openssl", "pkcs12", "-export", "-in", os.path.join(pki, base + ".pem"),
                            "-inkey", key, "-passout", "pass:test", "-out", p12],
                           check=True, capture_output=True, timeout=60)
        return os.path.join(pki, base + ".pem"), key, p12
    return os.path.join(pki, base + "-chain.pem"), key, os.path.join(pki, base + ".p12")


def make_nssdb(d, pki, idents, cas=("rootA", "rootB")):
    """An NSS database with the identities' PKCS#12 imported in order, and CA roots."""
    os.makedirs(d, exist_ok=True)
    subprocess.run(["certutil", "-N", "-d", "sql:" + d, "--empty-password"], check=True,
                   capture_output=True, timeout=60)
    for ca in cas:
        subprocess.run(["certutil", "-A", "-d", "sql:" + d, "-n", ca, "-t", "C,,",
                        "-i", os.path.join(pki, ca + ".pem")], check=True, capture_output=True,
                       timeout=60)
    for ident in idents:
        p12 = identity_files(pki, ident)[2]
        # NSS 3.87 cannot import Ed25519 keys (pk12util exits 19): that identity is
        # then simply not in the database, for the client and for certpick alike
        subprocess.run(["pk12util", "-i", p12, "-d", "sql:" + d, "-W", "test", "-K", ""],
                       capture_output=True, timeout=60)
    return d


# path: what the client requests (a server may ask only for some paths, after
# the request: TLS 1.2 renegotiation or TLS 1.3 post-handshake auth). The
# programs of select_clients/ read it from SELCLIENT_PATH.

def _path_env(path):
    return dict(os.environ, SELCLIENT_PATH=path)


def _get(path):
    return "GET %s HTTP/1.0\r\n\r\n" % path


def run_go(tools, port, tls, pki, idents, path="/"):
    argv = [tools.go("goclient"), "127.0.0.1:%d" % port, tls]
    for i in idents:
        chain, key, _ = identity_files(pki, i)
        argv += [chain, key]
    return _outcome(argv, env=_path_env(path))


def run_gnutls(tools, port, tls, pki, idents, path="/"):
    argv = [tools.gnutls(), "127.0.0.1", str(port), tls]
    for i in idents:
        chain, key, _ = identity_files(pki, i)
        argv += [chain, key]
    return _outcome(argv, env=_path_env(path))


def run_java(tools, port, tls, pki, idents, km, path="/"):
    argv = ["java", "-cp", tools.java(), "SelClient", "127.0.0.1", str(port),
            "TLSv1.3" if tls == "tls1.3" else "TLSv1.2", km]
    argv += [identity_files(pki, i)[2] for i in idents]
    return _outcome(argv, timeout=120, env=_path_env(path))


def run_openssl(port, tls, pki, idents, path="/", extra=()):
    chain, key, _ = identity_files(pki, idents[0])
    argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-" + tls.replace(".", "_"),
            "-cert", chain, "-key", key, "-quiet", "-ign_eof", *extra]
    return _outcome(argv, input=_get(path))


def run_tstclnt(port, tls, nssdb, path="/"):
    v = "tls1.3:tls1.3" if tls == "tls1.3" else "tls1.2:tls1.2"
    argv = ["tstclnt", "-h", "127.0.0.1", "-p", str(port), "-d", "sql:" + nssdb, "-o", "-V", v]
    return _outcome(argv, input=_get(path))


def run_curl(port, tls, pki, idents, path="/"):
    chain, key, _ = identity_files(pki, idents[0])
    v = "--tlsv1.3" if tls == "tls1.3" else "--tlsv1.2"
    argv = ["curl", "-sk", v, "--tls-max", tls[3:], "--http1.1", "--cert", chain, "--key", key,
            "https://127.0.0.1:%d%s" % (port, path)]
    return _outcome(argv)


# Python's http.client building its own context from cert_file (it then turns
# post-handshake auth on, as requests/urllib3 do), with TLS pinned to one version
PY_CLIENT = r"""
import http.client, ssl, sys, warnings
warnings.simplefilter("ignore")
port, tls, chain, key, path = sys.argv[1:6]
ctx = ssl._create_unverified_context()
v = ssl.TLSVersion.TLSv1_3 if tls == "tls1.3" else ssl.TLSVersion.TLSv1_2
ctx.minimum_version = ctx.maximum_version = v
c = http.client.HTTPSConnection("127.0.0.1", int(port), cert_file=chain, key_file=key,
                                context=ctx, timeout=10)
c.request("GET", path)
sys.stdout.write(c.getresponse().read().decode("utf-8", "replace"))
"""


def run_python(port, tls, pki, idents, path="/"):
    chain, key, _ = identity_files(pki, idents[0])
    return _outcome(["/usr/bin/python3", "-c", PY_CLIENT, str(port), tls, chain, key, path])


class ChromiumPolicy:
    """AutoSelectCertificateForUrls for our URL, in a policy file that sorts last
    (Chromium lets the last file win) and keeps every other file's entries."""

    def __init__(self, urls):
        self.path = os.path.join(POLICY_DIR, "zz-certpick-select-%d.json" % os.getpid())
        os.makedirs(POLICY_DIR, exist_ok=True)
        # another test run's file that sorts after ours would win without our URL
        # (then Chromium waits on a picker): wait until no other run holds one
        wait_for("no other test run's policy file in " + POLICY_DIR,
                 lambda: [f for f in other_policy_files(POLICY_DIR, self.path)
                          if "certpick" in os.path.basename(f)],
                 lambda others: not others, timeout=180, interval=0.5)
        entries = []
        for other in sorted(glob.glob(os.path.join(POLICY_DIR, "*.json"))):
            if other == self.path:
                continue
            try:
                with open(other) as f:
                    entries += json.load(f).get("AutoSelectCertificateForUrls", [])
            except (OSError, ValueError):
                pass
        for u in urls:
            entries.append(json.dumps({"pattern": u, "filter": {}}))
        os.makedirs(POLICY_DIR, exist_ok=True)
        with open(self.path, "w") as f:
            json.dump({"AutoSelectCertificateForUrls": entries}, f)

    def remove(self):
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


# Firefox ESR, headless, on a fresh profile whose certificate database is the
# scenario's NSS database. "Select Automatically" is what certpick's firefox
# profile calls auto_choice; the default, "Ask Every Time", waits on a picker.
FIREFOX_PREFS = {
    "security.default_personal_cert": "Select Automatically",
    "browser.shell.checkDefaultBrowser": False,
    "app.update.enabled": False,
    "app.normandy.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "browser.safebrowsing.update.enabled": False,
    "extensions.update.enabled": False,
}


def run_firefox(port, nssdb, home, path="/", prefs=None, timeout=120):
    """Load https://127.0.0.1:PORT/PATH once (--screenshot loads the page, then
    exits); what arrived is read from the server's log, not from here."""
    prof = os.path.join(home, "ffprofile")
    shutil.rmtree(prof, ignore_errors=True)
    shutil.copytree(nssdb, prof)
    with open(os.path.join(prof, "user.js"), "w") as f:
        for k, v in dict(FIREFOX_PREFS, **(prefs or {})).items():
            f.write("user_pref(%s, %s);\n" % (json.dumps(k), json.dumps(v)))
    argv = ["firefox-esr", "--headless", "--no-remote", "--profile", prof, "--screenshot",
            os.path.join(home, "ff.png"), "https://127.0.0.1:%d%s" % (port, path)]
    env = dict(os.environ, HOME=home, MOZ_CRASHREPORTER_DISABLE="1")
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                         start_new_session=True)
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        p.wait()
        raise AssertionError("firefox-esr neither loaded https://127.0.0.1:%d%s nor exited "
                             "in %d s" % (port, path, timeout))


def run_chromium(port, nssdb, home, timeout=90, path="/"):
    os.makedirs(os.path.join(home, ".pki"), exist_ok=True)
    target = os.path.join(home, ".pki", "nssdb")
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(nssdb, target)
    udd = os.path.join(home, "udd")
    shutil.rmtree(udd, ignore_errors=True)
    argv = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--user-data-dir=" + udd, "--ignore-certificate-errors",
            "--dump-dom", "https://127.0.0.1:%d%s" % (port, path)]
    env = dict(os.environ, HOME=home)
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                         start_new_session=True, text=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        p.communicate()
        return PICKER
    return received(out)


def _outcome(argv, timeout=60, input=None, env=None):
    """Run a client until the server's answer is complete (some clients, such as
    tstclnt, linger after the server closes), then stop it. A client that neither
    exits nor gets the answer by the deadline fails, saying what it printed."""
    import tempfile
    with tempfile.TemporaryFile(mode="w+") as out:
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.DEVNULL,
                             text=True, start_new_session=True, env=env)
        try:
            if input is not None:
                p.stdin.write(input)
                p.stdin.flush()
        except BrokenPipeError:
            pass
        def printed():
            out.seek(0)
            return out.read()
        try:
            wait_for("%s to get the whole answer or exit" % os.path.basename(argv[0]), printed,
                     lambda text: "</html>" in text.lower() or p.poll() is not None,
                     timeout=timeout)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, 9)
            p.wait(timeout=10)
            try:
                p.stdin.close()
            except BrokenPipeError:
                pass
        return received(printed())


def predicted(sel):
    """What certpick says arrives at the server, from one `select --json` object.
    sends-then-fails: the certificate goes out, then the handshake aborts, so no
    page ever shows it (test_java_picks_ec_by_key_type_then_fails sees the
    Certificate message itself)."""
    if sel["outcome"]["kind"] == "sends-then-fails":
        return NOTHING
    if sel["chosen"] is not None:
        return sel["chosen"]["sha256"]
    if sel["auto_choice"] is not None:
        return sel["auto_choice"]["sha256"]
    return NOTHING


def acceptable(sel):
    """Every outcome certpick allows: its prediction, or, when it says the client's
    order among equals is not defined (order-unpredictable), any qualifying one."""
    out = {predicted(sel)}
    if any(f["id"] == "order-unpredictable" for f in sel["findings"]):
        out |= {c["sha256"] for c in sel["candidates"] if c["verdict"] != "filtered"}
    return out


def load_disagreements(path):
    """Known disagreements: 'scenario client' -> reason (lines 'scenario client: reason')."""
    known = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, _, why = line.partition(":")
            known[key.strip()] = why.strip()
    return known
