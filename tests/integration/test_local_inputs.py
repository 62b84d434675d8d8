"""Hostile local inputs (issue 19 item 3, red-team F7, F8, F9, F15): what one input file
or folder may cost. Each bound is certpick's own (a refusal, a warning, a cap); no wall
clock is compared, and a subprocess timeout only stops a hang."""
import os
import subprocess

import pytest

from conftest import certpick_argv, run_certpick

HANG = int(os.environ.get("HANG", "120"))  # seconds: only stops a hang, never a measure


# --- a minimal DER reader and writer, to edit PKCS#12 structures the CLI cannot make ---

def _tlv(b, i):
    tag = b[i]
    n = b[i + 1]
    j = i + 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[j:j + k], "big")
        j += k
    return tag, b[j:j + n], j + n


def _items(b):
    out, i = [], 0
    while i < len(b):
        tag, content, i = _tlv(b, i)
        out.append((tag, content))
    return out


def _enc(tag, content):
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(ln)]) + ln + content


SHROUDED = bytes.fromhex("060b2a864886f70d010c0a0102")  # OID pkcs8ShroudedKeyBag


def _with_iterations(bag, iterations):
    """A PKCS#12 PBE shrouded key bag (PBEParameter {salt, iter}) asking for iterations."""
    (_, body), = _items(bag)
    items = _items(body)
    epki = _items(items[1][1])[0][1]           # [0] EXPLICIT EncryptedPrivateKeyInfo
    alg, data = _items(epki)
    alg_oid, params = _items(alg[1])
    salt, _ = _items(params[1])
    it = iterations.to_bytes((iterations.bit_length() + 8) // 8, "big")
    params = _enc(0x30, _enc(salt[0], salt[1]) + _enc(0x02, it))
    alg = _enc(0x30, _enc(alg_oid[0], alg_oid[1]) + params)
    epki = _enc(0x30, alg + _enc(data[0], data[1]))
    return _enc(0x30, _enc(items[0][0], items[0][1]) + _enc(0xA0, epki)
                + b"".join(_enc(t, c) for t, c in items[2:]))


def many_key_bags(p12, nbags, iterations):
    """p12 (no MAC, keys in plain data) with its shrouded key bag repeated nbags times,
    each asking for iterations (no MAC to break: the edit is sound)."""
    (_, pfx), = _items(p12)
    version, auth = _items(pfx)[:2]
    ct_oid, explicit = _items(auth[1])
    (_, authsafe), = _items(explicit[1])
    (_, cis), = _items(authsafe)
    out = []
    for tag, ci in _items(cis):
        oid, expl = _items(ci)
        (_, sc), = _items(expl[1])
        (_, bags), = _items(sc)
        new = []
        for btag, bag in _items(bags):
            whole = _enc(btag, bag)
            if whole.startswith(b"\x30") and SHROUDED in bag[:20]:
                new += [_with_iterations(whole, iterations)] * nbags
            else:
                new.append(whole)
        sc = _enc(0x30, b"".join(new))
        out.append(_enc(0x30, _enc(oid[0], oid[1]) + _enc(0xA0, _enc(0x04, sc))))
    authsafe = _enc(0x30, b"".join(out))
    auth = _enc(0x30, _enc(ct_oid[0], ct_oid[1]) + _enc(0xA0, _enc(0x04, authsafe)))
    return _enc(0x30, _enc(version[0], version[1]) + auth)


def test_pfx_with_50_key_bags_is_refused_before_deriving(pki, tmp):
    """F7: fifty shrouded key bags of 9,999,999 iterations each (every one under the
    per-derivation cap; 129 s of CPU before) are refused at once by the per-file budget."""
    base = os.path.join(tmp, "base.p12")
    subprocess.run(["openssl", "pkcs12", "-export", "-in", os.path.join(pki, "alice.pem"),
                    "-inkey", os.path.join(pki, "alice.key"), "-passout", "pass:pw",
                    "-nomac", "-certpbe", "NONE", "-keypbe", "PBE-SHA1-3DES", "-iter", "2048",
                    "-out", base], check=True, capture_output=True, timeout=60)
    with open(base, "rb") as f:
        good = f.read()
    hostile = os.path.join(tmp, "bags.p12")
    with open(hostile, "wb") as f:
        f.write(many_key_bags(good, 50, 9999999))
    assert 10000 < os.path.getsize(hostile) < 20000
    r = run_certpick("check", "--password-env", "P", hostile, env={"P": "pw"}, timeout=HANG)
    assert r.rc == 4, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert "cannot read '%s'" % hostile in lines[0], r.err
    assert "certpick stops at 10000000 per file" in lines[0], r.err
    # the edit is sound: bags re-encoded at their own count (2048) load and pair
    ok = os.path.join(tmp, "two.p12")
    with open(ok, "wb") as f:
        f.write(many_key_bags(good, 2, 2048))
    r = run_certpick("check", "--trust", os.path.join(pki, "ca-all.pem"),
                     "--password-env", "P", ok, env={"P": "pw"}, timeout=HANG)
    assert r.rc == 0, r
    # a budget, not a bag count: three bags of 4,000,000 are 12,000,000 in all
    with open(hostile, "wb") as f:
        f.write(many_key_bags(good, 3, 4000000))
    r = run_certpick("check", "--password-env", "P", hostile, env={"P": "pw"}, timeout=HANG)
    assert r.rc == 4 and "per file" in r.err, r


def test_folder_with_two_links_to_itself_is_read_once(pki, tmp):
    """F9: two symlinks to "." made the walk read 2^17 - 1 folders; each folder is now
    read once, and each link back is named in a warning."""
    d = os.path.join(tmp, "loop")
    os.mkdir(d)
    for n in ("alice-chain.pem", "alice.key"):
        with open(os.path.join(pki, n), "rb") as f, open(os.path.join(d, n), "wb") as g:
            g.write(f.read())
    os.symlink(".", os.path.join(d, "a"))
    os.symlink(".", os.path.join(d, "b"))
    os.mkdir(os.path.join(d, "sub"))
    os.symlink("..", os.path.join(d, "sub", "up"))
    r = run_certpick("check", "--trust", os.path.join(pki, "ca-all.pem"), d, timeout=HANG)
    assert "1 certificate checked: 1 fit" in r.out, r
    warnings = [ln for ln in r.err.splitlines() if "warning" in ln]
    assert len(warnings) == 3, r.err
    for link in ("a", "b", "sub/up"):
        assert any("skipped folder '%s/%s': a loop: it is '%s', read already"
                   % (d, link, d) in w for w in warnings), r.err
    assert r.rc == 4, r  # as for every other input the walk could not read


def _many_certs(d, n):
    """root.pem, and one PEM file: an issuing CA then n client certificates it issued
    (one shared key: the cost under test is the certificates')."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "f8"),
                          x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def cert(subj, issuer, pub, key, ca):
        b = (x509.CertificateBuilder().subject_name(name(subj)).issuer_name(name(issuer))
             .public_key(pub).serial_number(x509.random_serial_number())
             .not_valid_before(datetime.datetime(2026, 1, 1))
             .not_valid_after(datetime.datetime(2036, 1, 1))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                                critical=False)
        return b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

    rk, ik, lk = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    with open(os.path.join(d, "root.pem"), "wb") as f:
        f.write(cert("f8 root", "f8 root", rk.public_key(), rk, True))
    path = os.path.join(d, "many.pem")
    with open(path, "wb") as f:
        f.write(cert("f8 issuing", "f8 root", ik.public_key(), rk, True))
        for i in range(n):
            f.write(cert("leaf %d" % i, "f8 issuing", lk.public_key(), ik, False))
    return path


def test_check_of_8000_certificates_in_one_file_is_not_cubic(tmp):
    """F8: 2,000 certificates in one file took 67 s, 8,000 over 10 min (each candidate
    copied and compared the whole pool). Path building now looks issuers up by subject;
    the subprocess bound only stops a hang (tests/unit/candidate_test.c
    large_bundle_is_linear and hashidx_test.c prove the linear structure)."""
    path = _many_certs(tmp, 8000)
    r = run_certpick("check", "--trust", os.path.join(tmp, "root.pem"), path,
                     timeout=HANG * 2)
    assert "8000 certificates checked" in r.out, r
    chains = [ln for ln in r.out.splitlines() if ln.strip().startswith("chain")]
    assert len(chains) == 8000
    assert all("CN=f8 issuing,O=f8 <- CN=f8 root,O=f8 (trusted)" in c for c in chains), chains[0]


FIFO_CASES = [
    # (argv with {fifo}, {pki}), as the red team named them
    ["check", "{fifo}"],
    ["select", "{fifo}"],
    ["check", "--trust", "{fifo}", "{pki}/alice.pem"],
    ["check", "--crl", "{fifo}", "{pki}/alice.pem"],
    ["check", "--password-file", "{fifo}", "{pki}/alice.p12"],
    ["select", "--ca-names", "{fifo}", "{pki}/alice.pem"],
    ["select", "--request", "{fifo}", "{pki}/alice.pem"],
    ["probe", "--cert", "{fifo}", "--key", "{pki}/alice.key", "127.0.0.1:9"],
    ["probe", "--targets", "{fifo}"],
    ["serve", "--trust", "{fifo}", "--listen", "127.0.0.1:0"],
    ["serve", "--cert", "{fifo}", "--listen", "127.0.0.1:0"],
]


@pytest.mark.parametrize("argv", FIFO_CASES, ids=lambda a: " ".join(a[:2]))
def test_a_fifo_named_as_an_input_is_refused_not_waited_on(pki, tmp, argv):
    """F15: a FIFO without a writer blocked open() for ever; every input is now opened
    without blocking and refused (exit 4, one line naming it) unless it is a regular file."""
    fifo = os.path.join(tmp, "in.pem")
    os.mkfifo(fifo)
    r = run_certpick(*[a.format(fifo=fifo, pki=pki) for a in argv], timeout=HANG)
    assert r.rc == 4, r
    assert "cannot read '%s': a FIFO, not a regular file" % fifo in r.err, r.err
    assert len([ln for ln in r.err.splitlines() if fifo in ln]) == 1, r.err


def test_targets_from_a_device_or_endless_stdin_are_capped(tmp):
    """F15: probe --targets read /dev/zero with getline until memory ran out (6 GB), and an
    allocation failure ended the list as if the file had ended (exit 0, no output)."""
    r = run_certpick("probe", "--targets", "/dev/zero", timeout=HANG)
    assert r.rc == 4 and "cannot read '/dev/zero': a device, not a regular file" in r.err, r
    with open("/dev/zero", "rb") as zero:
        p = subprocess.run(certpick_argv("probe", "--targets", "-"), stdin=zero,
                           capture_output=True, text=True, timeout=HANG)
    assert p.returncode == 4, p
    assert "cannot read 'standard input': larger than 64 MiB" in p.stderr, p.stderr


def test_password_file_too_long_is_the_same_error_as_the_environment(pki, tmp):
    """F19 (the part in password.c): a 5,000-byte password file was cut at 1,023 bytes
    and then failed as a wrong password; it now fails as --password-env does."""
    long = "x" * 5000
    path = os.path.join(tmp, "pw.txt")
    with open(path, "w") as f:
        f.write(long + "\n")
    p12 = os.path.join(pki, "alice.p12")
    by_file = run_certpick("check", "--password-file", path, p12, timeout=HANG)
    by_env = run_certpick("check", "--password-env", "PW", p12, env={"PW": long}, timeout=HANG)
    assert by_file.rc == by_env.rc == 2, (by_file, by_env)
    assert by_file.err == "certpick: error: password in '%s' is too long\n" % path, by_file
    assert by_env.err == "certpick: error: password in 'PW' is too long\n", by_env
    # the first line is the password, as before
    with open(path, "w") as f:
        f.write("test\nignored\n")
    assert run_certpick("check", "--password-file", path, "--trust",
                        os.path.join(pki, "ca-all.pem"), p12, timeout=HANG).rc == 0
