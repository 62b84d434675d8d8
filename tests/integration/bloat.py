"""A bloated client chain (what one connection may cost serve: SECURITY.md): a
leaf and its CAs, each with a long subject, the whole just under OpenSSL's
100 KiB certificate-list limit. Made with python3-cryptography; used by test_serve_hostile.py and
bench/serve_chain_rss.py."""
import datetime
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(cn, pad):
    attrs = [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "%s-%d-%s" % (cn, i, "x" * 50))
             for i in range(pad)]
    return x509.Name(attrs + [x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_bloated_chain(d, n=33, pad=18):
    """leaf + (n - 1) CAs, each name with `pad` long OUs (pad=18: ~97 KB of DER
    for 33 certificates). Returns (chain.pem, leaf.key, DER bytes in total).
    The top CA is not written anywhere: the chain is untrusted by design."""
    now = datetime.datetime.now(datetime.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    names = [_name("bloat %d" % i, pad) for i in range(n + 1)]
    certs = []
    for i in range(n):
        b = (x509.CertificateBuilder().subject_name(names[i]).issuer_name(names[i + 1])
             .public_key(key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(days=1))
             .not_valid_after(now + datetime.timedelta(days=30))
             .add_extension(x509.BasicConstraints(ca=i > 0, path_length=None), critical=True))
        if i == 0:
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                                critical=False)
        certs.append(b.sign(key, hashes.SHA256()))
    chain = os.path.join(d, "bloat-chain.pem")
    with open(chain, "wb") as f:
        for c in certs:
            f.write(c.public_bytes(serialization.Encoding.PEM))
    keyf = os.path.join(d, "bloat.key")
    with open(keyf, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return chain, keyf, sum(len(c.public_bytes(serialization.Encoding.DER)) for c in certs)
