#!/usr/bin/python3
"""Fixtures for bench/scale.sh, made in-process with python3-cryptography
(100,000 openssl processes would take longer than the benchmark).

  scale_gen.py DIR N

DIR/cas.pem        1,000 self-signed CAs (their names are the --ca-names list)
DIR/pool/NNNNNN.pem  identity i: its certificate (issued by CA i % 1000,
                   digitalSignature, clientAuth) and its P-256 key, PKCS#8
DIR/certs/NNNNNN.pem the same certificate alone (for openssl verify)
Existing files are kept, so a larger N only adds what is missing.
"""
import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

N_CA = 1000
NOT_BEFORE = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
NOT_AFTER = datetime.datetime(2035, 1, 1, tzinfo=datetime.timezone.utc)


def name(cn):
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "certpick-scale"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def cas(out):
    """The 1,000 CAs; keys kept in cas.key.pem so later runs issue from them."""
    keyfile = os.path.join(out, "cas.key.pem")
    if os.path.exists(keyfile):
        with open(keyfile, "rb") as f:
            blocks = f.read().split(b"-----END PRIVATE KEY-----\n")
        keys = [serialization.load_pem_private_key(b + b"-----END PRIVATE KEY-----\n", None)
                for b in blocks if b.strip()]
        return [(name("Scale CA %d" % i), k) for i, k in enumerate(keys)]
    res, certs, keys = [], [], []
    for i in range(N_CA):
        k = ec.generate_private_key(ec.SECP256R1())
        n = name("Scale CA %d" % i)
        c = (x509.CertificateBuilder().subject_name(n).issuer_name(n)
             .public_key(k.public_key()).serial_number(i + 1)
             .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
             .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
             .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                          False, False), critical=True)
             .sign(k, hashes.SHA256()))
        res.append((n, k))
        certs.append(c.public_bytes(serialization.Encoding.PEM))
        keys.append(k.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    with open(os.path.join(out, "cas.pem"), "wb") as f:
        f.write(b"".join(certs))
    with open(keyfile + ".tmp", "wb") as f:
        f.write(b"".join(keys))
    os.rename(keyfile + ".tmp", keyfile)
    return res


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    os.makedirs(os.path.join(out, "pool"), exist_ok=True)
    os.makedirs(os.path.join(out, "certs"), exist_ok=True)
    ca = cas(out)
    eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])
    ku = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
    for i in range(n):
        path = os.path.join(out, "pool", "%06d.pem" % i)
        if os.path.exists(path):
            continue
        k = ec.generate_private_key(ec.SECP256R1())
        ca_name, ca_key = ca[i % N_CA]
        c = (x509.CertificateBuilder().subject_name(name("Scale Client %d" % i))
             .issuer_name(ca_name).public_key(k.public_key()).serial_number(1000000 + i)
             .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
             .add_extension(ku, critical=True).add_extension(eku, critical=False)
             .sign(ca_key, hashes.SHA256()))
        pem = c.public_bytes(serialization.Encoding.PEM)
        with open(os.path.join(out, "certs", "%06d.pem" % i), "wb") as f:
            f.write(pem)
        with open(path + ".tmp", "wb") as f:
            f.write(pem + k.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
        os.rename(path + ".tmp", path)


if __name__ == "__main__":
    main()
