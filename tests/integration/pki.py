"""A test PKI made with the openssl command line (not certpick's generator).

make_pki(dir) writes, under dir:
  rootA, rootB, rootC (rogue: never trusted by test servers), intA (by rootA),
  server (localhost, by rootA, serverAuth)
  client leaves, each <name>.pem (cert), <name>.key, <name>.p12 (password "test"),
  <name>-chain.pem (cert + intermediates):
    alice           good, ECDSA P-256, issued by intA (chain intA -> rootA)
    carol           good, RSA 2048, issued by rootB
    dave            good, Ed25519, issued by rootA
    erin-expired    expired, by rootA
    frank-future    not yet valid, by rootA
    bob-serveronly  EKU serverAuth only, by rootA
    noeku           no EKU, by rootA
    anyeku          EKU anyExtendedKeyUsage only, by rootA
    kuenc           KU keyEncipherment only, by rootA
    noku            no KU, by rootA
    mallory         good but issued by rootC (untrusted)
  ca-roots-AB.pem   rootA + rootB (what servers trust and name)
  ca-all.pem        rootA + rootB + intA
Returns a dict name -> paths. Deterministic names, fresh keys each call.
"""
import os
import subprocess

PASSWORD = "test"

LEAVES = {
    # name: (issuer, key, extensions, days_offset_start, days)
    "alice": ("intA", "ec", "ku_ds,eku_client", None),
    "carol": ("rootB", "rsa", "ku_ds,eku_client", None),
    "dave": ("rootA", "ed25519", "ku_ds,eku_client", None),
    "erin-expired": ("rootA", "ec", "ku_ds,eku_client", "expired"),
    "frank-future": ("rootA", "ec", "ku_ds,eku_client", "future"),
    "bob-serveronly": ("rootA", "ec", "ku_ds,eku_server", None),
    "noeku": ("rootA", "ec", "ku_ds", None),
    "anyeku": ("rootA", "ec", "ku_ds,eku_any", None),
    "kuenc": ("rootA", "rsa", "ku_enc,eku_client", None),
    "noku": ("rootA", "ec", "eku_client", None),
    "mallory": ("rootC", "ec", "ku_ds,eku_client", None),
}

EXT = {
    "ca": "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
          "subjectKeyIdentifier=hash\n",
    "ku_ds": "keyUsage=critical,digitalSignature\n",
    "ku_enc": "keyUsage=critical,keyEncipherment\n",
    "eku_client": "extendedKeyUsage=clientAuth\n",
    "eku_server": "extendedKeyUsage=serverAuth\n",
    "eku_any": "extendedKeyUsage=anyExtendedKeyUsage\n",
}


def _run(*argv, cwd):
    subprocess.run(["openssl", *argv], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)


def _key(d, name, kind):
    if kind == "rsa":
        _run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
             "-out", name + ".key", cwd=d)
    elif kind == "ed25519":
        _run("genpkey", "-algorithm", "ED25519", "-out", name + ".key", cwd=d)
    elif kind == "pss":
        _run("genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048",
             "-out", name + ".key", cwd=d)
    elif kind == "p384":
        _run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384",
             "-out", name + ".key", cwd=d)
    else:
        _run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", name + ".key", cwd=d)


def _ext_file(d, name, text):
    p = os.path.join(d, name + ".ext")
    with open(p, "w") as f:
        f.write("[v3]\n" + text)
    return name + ".ext"


def _ca(d, name, issuer=None, kind="ec"):
    _key(d, name, kind)
    subj = "/O=certpick-test/CN=certpick Test %s" % (
        "Root " + name[-1] if name.startswith("root") else "Intermediate " + name[-1])
    ext = _ext_file(d, name, EXT["ca"] + ("authorityKeyIdentifier=keyid\n" if issuer else ""))
    if issuer is None:
        _run("req", "-new", "-x509", "-key", name + ".key", "-subj", subj, "-days", "3650",
             "-sha256", "-extensions", "v3", "-config", ext, "-out", name + ".pem", cwd=d)
    else:
        _run("req", "-new", "-key", name + ".key", "-subj", subj, "-out", name + ".csr", cwd=d)
        _run("x509", "-req", "-in", name + ".csr", "-CA", issuer + ".pem", "-CAkey",
             issuer + ".key", "-CAcreateserial", "-days", "3650", "-sha256",
             "-extfile", ext, "-extensions", "v3", "-out", name + ".pem", cwd=d)


def _leaf(d, name, issuer, kind, exts, when, subj=None, extra=""):
    """when: None (825 days from now), "expired", "future", or (start, end) as
    openssl ca dates (YYYYMMDDHHMMSSZ): exact validity for tie scenarios.
    extra: more extension lines (the peers' subjectAltName)."""
    _key(d, name, kind)
    subj = subj or "/O=certpick-test/CN=%s" % name
    text = "basicConstraints=CA:FALSE\nauthorityKeyIdentifier=keyid\n"
    for e in exts.split(","):
        text += EXT[e]
    text += extra
    if name == "server":
        text += "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n"
    ext = _ext_file(d, name, text)
    _run("req", "-new", "-key", name + ".key", "-subj", subj, "-out", name + ".csr", cwd=d)
    argv = ["x509", "-req", "-in", name + ".csr", "-CA", issuer + ".pem", "-CAkey",
            issuer + ".key", "-CAcreateserial", "-sha256", "-extfile", ext,
            "-extensions", "v3", "-out", name + ".pem"]
    if when == "expired":
        # openssl x509 cannot backdate; use 'ca' style via -not_before is 3.4+,
        # so sign with a past validity through the 'ca' command instead
        _sign_with_dates(d, name, issuer, ext, "20200101000000Z", "20210101000000Z")
        return
    if when == "future":
        _sign_with_dates(d, name, issuer, ext, "20991231000000Z", "21001231000000Z")
        return
    if isinstance(when, tuple):
        _sign_with_dates(d, name, issuer, ext, when[0], when[1])
        return
    argv += ["-days", "825"]
    _run(*argv, cwd=d)


def _sign_with_dates(d, name, issuer, ext, start, end):
    """openssl ca can set -startdate/-enddate (x509 -req cannot in 3.0)."""
    cadir = os.path.join(d, "ca-" + name)
    os.makedirs(cadir, exist_ok=True)
    open(os.path.join(cadir, "index.txt"), "w").close()
    with open(os.path.join(cadir, "serial"), "w") as f:
        # one serial per certificate: NSS refuses a second certificate with the
        # same issuer and serial (SEC_ERROR_REUSED_ISSUER_AND_SERIAL)
        f.write("%s\n" % ("10" + os.urandom(8).hex()))
    conf = os.path.join(cadir, "ca.cnf")
    with open(conf, "w") as f:
        f.write("[ca]\ndefault_ca=c\n[c]\ndir=%s\ndatabase=$dir/index.txt\n"
                "new_certs_dir=$dir\nserial=$dir/serial\ndefault_md=sha256\n"
                "policy=p\ncopy_extensions=none\nunique_subject=no\n[p]\n"
                "commonName=supplied\norganizationName=optional\n" % cadir)
    _run("ca", "-batch", "-config", conf, "-cert", issuer + ".pem", "-keyfile", issuer + ".key",
         "-in", name + ".csr", "-out", name + ".pem", "-startdate", start, "-enddate", end,
         "-extfile", ext, "-extensions", "v3", "-notext", cwd=d)


def _cat(d, out, names):
    with open(os.path.join(d, out), "w") as f:
        for n in names:
            with open(os.path.join(d, n + ".pem")) as g:
                f.write(g.read())


def make_pki(d):
    os.makedirs(d, exist_ok=True)
    _ca(d, "rootA")
    _ca(d, "rootB")
    _ca(d, "rootC")
    _ca(d, "intA", issuer="rootA")
    _leaf(d, "server", "rootA", "ec", "ku_ds,eku_server", None, subj="/O=certpick-test/CN=localhost")
    _cat(d, "server-chain.pem", ["server", "rootA"])
    for name, (issuer, kind, exts, when) in LEAVES.items():
        _leaf(d, name, issuer, kind, exts, when)
        chain = [name] + (["intA"] if issuer == "intA" else [])
        _cat(d, name + "-chain.pem", chain)
        _run("pkcs12", "-export", "-in", name + "-chain.pem", "-inkey", name + ".key",
             "-passout", "pass:" + PASSWORD, "-out", name + ".p12", cwd=d)
    _cat(d, "ca-roots-AB.pem", ["rootA", "rootB"])
    _cat(d, "ca-all.pem", ["rootA", "rootB", "intA"])
    paths = {n: os.path.join(d, n) for n in ["rootA", "rootB", "rootC", "intA", "server"]
             + list(LEAVES)}
    return paths


# Identities that separate the selection rules (the select differential suite):
# curve, RSA-PSS key, EC leaf under an RSA CA, and validity ties for store order.
TIE = ("20260101000000Z", "20290101000000Z")
EXTRA_LEAVES = {
    "p384": ("rootA", "p384", "ku_ds,eku_client", None, None),
    "p256b": ("rootA", "ec", "ku_ds,eku_client", None, None),
    "pss": ("rootA", "pss", "ku_ds,eku_client", None, None),
    "ecbyrsa": ("rootR", "ec", "ku_ds,eku_client", None, None),
    # identical validity, different subjects
    "tie1": ("rootA", "ec", "ku_ds,eku_client", TIE, None),
    "tie2": ("rootA", "ec", "ku_ds,eku_client", TIE, None),
    # equal notBefore, different notAfter
    "nbshort": ("rootA", "ec", "ku_ds,eku_client", ("20260101000000Z", "20280101000000Z"), None),
    "nblong": ("rootA", "ec", "ku_ds,eku_client", ("20260101000000Z", "20300101000000Z"), None),
    # renewals: one subject, the newer notBefore with the earlier notAfter
    "renew-old": ("rootA", "ec", "ku_ds,eku_client", ("20250601000000Z", "20290601000000Z"),
                  "/O=certpick-test/CN=renew"),
    "renew-new": ("rootA", "ec", "ku_ds,eku_client", ("20260601000000Z", "20281201000000Z"),
                  "/O=certpick-test/CN=renew"),
    # renewals with identical validity (same subject, other key)
    "renew-tie1": ("rootA", "ec", "ku_ds,eku_client", TIE, "/O=certpick-test/CN=renew-tie"),
    "renew-tie2": ("rootA", "ec", "ku_ds,eku_client", TIE, "/O=certpick-test/CN=renew-tie"),
}


def make_extra(d):
    """EXTRA_LEAVES and the RSA root rootR in a directory made by make_pki (idempotent)."""
    if os.path.exists(os.path.join(d, "extra.done")):
        return
    _ca(d, "rootR", kind="rsa")
    for name, (issuer, kind, exts, when, subj) in EXTRA_LEAVES.items():
        _leaf(d, name, issuer, kind, exts, when, subj=subj)
        _cat(d, name + "-chain.pem", [name])
        _run("pkcs12", "-export", "-in", name + "-chain.pem", "-inkey", name + ".key",
             "-passout", "pass:" + PASSWORD, "-out", name + ".p12", cwd=d)
    open(os.path.join(d, "extra.done"), "w").close()


# The client identities of the real peers (tests/integration/peers.py): one per case, all
# else equal. Subject /O=certpick-test/CN=<name>; subjectAltName xmppAddr <name>@localhost
# (Prosody's mod_auth_ccert takes the user from it) and email <name>@localhost.
PEER_LEAVES = {
    # case: (name, issuer, extensions, validity)
    "accepted": ("peer-ok", "rootA", "ku_ds,eku_client", None),
    "untrusted": ("peer-untrusted", "rootC", "ku_ds,eku_client", None),
    "expired": ("peer-expired", "rootA", "ku_ds,eku_client", "expired"),
    "wrongeku": ("peer-servereku", "rootA", "ku_ds,eku_server", None),
}
XMPP_ADDR = "1.3.6.1.5.5.7.8.5"


def make_peer_leaves(d):
    """PEER_LEAVES in a directory made by make_pki (idempotent); each <name>.pem, .key,
    -chain.pem, .p12 and <name>.sha256 (the certificate's SHA-256 fingerprint, XX:XX:...,
    as Postfix's relay_clientcerts lists it). Returns case -> path without suffix."""
    out = {case: os.path.join(d, v[0]) for case, v in PEER_LEAVES.items()}
    if os.path.exists(os.path.join(d, "peers.done")):
        return out
    for name, issuer, exts, when in PEER_LEAVES.values():
        san = "subjectAltName=otherName:%s;UTF8:%s@localhost,email:%s@localhost\n" % (
            XMPP_ADDR, name, name)
        _leaf(d, name, issuer, "ec", exts, when, extra=san)
        _cat(d, name + "-chain.pem", [name])
        _run("pkcs12", "-export", "-in", name + "-chain.pem", "-inkey", name + ".key",
             "-passout", "pass:" + PASSWORD, "-out", name + ".p12", cwd=d)
        fp = subprocess.run(["openssl", "x509", "-in", name + ".pem", "-noout", "-fingerprint",
                             "-sha256"], cwd=d, check=True, capture_output=True, text=True,
                            timeout=60).stdout
        with open(os.path.join(d, name + ".sha256"), "w") as f:
            f.write(fp.strip().split("=", 1)[1] + "\n")
    open(os.path.join(d, "peers.done"), "w").close()
    return out


if __name__ == "__main__":
    import sys
    make_pki(sys.argv[1])
