#!/usr/bin/env python3
"""Convert the shared path-validation corpora into tests/data/corpora/cases.json.

Run by hand, on a folder holding the suites' exports (see README.md here for
their sources: C2SP/x509-limbo, google/boringssl pki/testdata, NIST PKITS):
    /usr/bin/python3 tests/data/corpora/convert.py CORPORA_DIR

Keeps, per case, only what a verifier needs: the leaf, the untrusted
intermediates, the trusted certificates (indexes into "certs", a table of
base64 DER certificates, each once), the validation time (Unix seconds) and
the expected outcome. Suites:
  limbo-client        x509-limbo CLIENT cases (all)
  limbo-core          x509-limbo core cases (all; SERVER ones are judged as
                      client certificates too, see expectations.txt)
  limbo-pathbuilding  x509-limbo's BetterTLS path-building cases (all)
  bssl-chain          BoringSSL verify_certificate_chain cases whose key
                      purpose is CLIENT_AUTH, CLIENT_AUTH_STRICT(_LEAF)
  pkits               NIST PKITS (CRLs are not given to either verifier)
"""
import base64
import calendar
import datetime
import json
import os
import ssl
import sys

LIMBO_DEFAULT_TIME = calendar.timegm((2026, 1, 1, 0, 0, 0))
PKITS_TIME = calendar.timegm((2012, 1, 1, 0, 0, 0))
CLIENT_PURPOSES = {"CLIENT_AUTH", "CLIENT_AUTH_STRICT", "CLIENT_AUTH_STRICT_LEAF"}


def der_b64(pem):
    return base64.b64encode(ssl.PEM_cert_to_DER_cert(pem)).decode()


def iso_to_unix(s):
    return int(datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())


def limbo(path, suite):
    out = []
    for t in json.load(open(path))["testcases"]:
        vt = t.get("validation_time")
        out.append({
            "id": t["id"], "suite": suite,
            "kind": t["validation_kind"],
            "time": iso_to_unix(vt) if vt else LIMBO_DEFAULT_TIME,
            "expect": t["expected_result"] == "SUCCESS",
            "leaf": der_b64(t["peer_certificate"]),
            "intermediates": [der_b64(p) for p in t["untrusted_intermediates"]],
            "trusted": [der_b64(p) for p in t["trusted_certs"]],
        })
    return out


def bssl(path):
    out = []
    for t in json.load(open(path))["testcases"]:
        if t["key_purpose"] not in CLIENT_PURPOSES:
            continue
        chain = [der_b64(p) for p in t["chain"]]
        trust = t["last_cert_trust"]
        if trust.startswith("TRUSTED_LEAF"):
            trusted, inter = [chain[-1]], chain[1:-1]
        elif trust.startswith("TRUSTED_ANCHOR"):
            trusted, inter = [chain[-1]], chain[1:-1]
        else:
            trusted, inter = [], chain[1:]
        out.append({
            "id": t["id"] + " [" + t["key_purpose"] + "]", "suite": "bssl-chain",
            "kind": t["key_purpose"], "time": iso_to_unix(t["validation_time"]),
            "expect": bool(t["expect_valid"]), "leaf": chain[0],
            "intermediates": inter, "trusted": trusted,
        })
    return out


def pkits(path):
    d = json.load(open(path))
    files = d["files"]
    out = []
    for t in d["testcases"]:
        p = t["cert_path"]
        settings = sorted(k for k in t if k.startswith("Set"))
        out.append({
            "id": t["test_number"] + " " + t["test"], "suite": "pkits",
            "kind": ",".join(settings) or "default", "time": PKITS_TIME,
            "expect": bool(t["should_validate"]),
            "leaf": files[p[-1]]["der_b64"],
            "intermediates": [files[n]["der_b64"] for n in p[1:-1]],
            "trusted": [files[p[0]]["der_b64"]],
        })
    return out


def main(src):
    here = os.path.dirname(os.path.abspath(__file__))
    cases = (limbo(os.path.join(src, "x509-limbo/limbo-client.json"), "limbo-client")
             + limbo(os.path.join(src, "x509-limbo/limbo-core.json"), "limbo-core")
             + limbo(os.path.join(src, "x509-limbo/limbo-bettertls-pathbuilding.json"),
                     "limbo-pathbuilding")
             + bssl(os.path.join(src, "boringssl-pki/verify_certificate_chain.json"))
             + pkits(os.path.join(src, "boringssl-pki/nist-pkits.json")))
    idx = json.load(open(os.path.join(src, "x509-limbo/limbo-index.json")))
    lic = json.load(open(os.path.join(src, "boringssl-pki/LICENSE.json")))
    meta = {
        "converted_by": "tests/data/corpora/convert.py",
        "sources": {
            "x509-limbo": {"repository": idx["source"]["repository"],
                           "commit": idx["source"]["commit"], "license": idx["license"],
                           "license_file": "LICENSE-x509-limbo.txt"},
            "boringssl-pki": {"repository": "google/boringssl", "commit": lic["source_commit"],
                              "license": lic["license"], "license_file": "LICENSE-boringssl.txt"},
        },
        "limbo_default_time": LIMBO_DEFAULT_TIME, "pkits_time": PKITS_TIME,
    }
    # certificates once, in a table; cases name them by index
    table, index = [], {}

    def ref(b64):
        if b64 not in index:
            index[b64] = len(table)
            table.append(b64)
        return index[b64]

    for c in cases:
        c["leaf"] = ref(c["leaf"])
        c["intermediates"] = [ref(b) for b in c["intermediates"]]
        c["trusted"] = [ref(b) for b in c["trusted"]]
    with open(os.path.join(here, "cases.json"), "w") as f:
        json.dump({"meta": meta, "certs": table, "cases": cases}, f, separators=(",", ":"),
                  indent=None)
        f.write("\n")
    with open(os.path.join(here, "LICENSE-x509-limbo.txt"), "w") as f:
        f.write(idx["license_text"].lstrip("\n"))
    with open(os.path.join(here, "LICENSE-boringssl.txt"), "w") as f:
        f.write(lic["license_text"].lstrip("\n"))
    print("%d cases" % len(cases))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: convert.py CORPORA_DIR")
    main(sys.argv[1])
