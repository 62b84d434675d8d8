#!/usr/bin/python3
"""bench/probe_starttls.py: one STARTTLS probe by certpick (`certpick probe
smtp://, ldap://, postgres://, mysql://`: the protocol's way into TLS, the
handshake, and the service's verdict) beside `openssl s_client -starttls
smtp|ldap|postgres|mysql` (the handshake only) on the same local servers
(Postfix, slapd, PostgreSQL, MariaDB, started from temporary folders as the
tests do), in one run. Wall time of the whole command a user runs, median of
RUNS each, and the ratio. Never a test.
  bench/probe_starttls.py [RUNS=30]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
os.environ.setdefault("CERTPICK", os.path.join(ROOT, "build", "certpick"))

import peers  # noqa: E402
import pki as pkimod  # noqa: E402
from db_peers import MariaDB, Postgres  # noqa: E402

CERTPICK = os.environ["CERTPICK"]
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 30


def wall(argv):
    t0 = time.monotonic()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    dt = time.monotonic() - t0
    return dt, r.returncode, r.stdout


def median_of(argv, ok_rcs):
    times = []
    for _ in range(RUNS):
        dt, rc, out = wall(argv)
        if rc not in ok_rcs:
            sys.exit("%s exited %d:\n%s" % (" ".join(argv), rc, out.decode(errors="replace")))
        times.append(dt)
    return statistics.median(times)


def compare(name, url, starttls, port):
    cp = median_of([CERTPICK, "probe", url], (0, 1))
    ossl = median_of(["openssl", "s_client", "-starttls", starttls, "-connect",
                      "127.0.0.1:%d" % port, "-brief"], (0, 1))
    print("%-10s certpick probe %7.1f ms   openssl s_client -starttls %-8s %7.1f ms   "
          "ratio %.2f" % (name, cp * 1000, starttls, ossl * 1000, cp / ossl))


def main():
    with tempfile.TemporaryDirectory() as d:
        pkimod.make_pki(d)
        print("median of %d runs each; load %s" % (RUNS, os.getloadavg()))
        with peers.postfix(d) as p:
            compare("smtp", p.url("smtp"), "smtp", p.ports["smtp"])
        with peers.slapd(d) as p:
            compare("ldap", p.url("ldap"), "ldap", p.ports["ldap"])
        with Postgres(d) as pg:
            compare("postgres", pg.url("alice"), "postgres", pg.port)
        with MariaDB(d) as m:
            compare("mariadb", m.url("alice"), "mysql", m.port)


if __name__ == "__main__":
    main()
