"""Real servers on loopback for the get tests.

The servers are probe_util's (one configuration for probe and get), on
ephemeral ports under tmp, stopped by `procs`.
  nginx_require(procs, tmp, pki)   ssl_verify_client on, names/trusts Root A + B
  apache_per_path(procs, tmp, pki) no request at the handshake; /secure/ asks
                                   (TLS 1.2 renegotiation, TLS 1.3 PHA); trusts A + B
  serve_per_path(procs, pki)       certpick serve --require /secure, trusts A + B
  leaves_dir(d, pki, names)        a folder holding <name>.pem + .key for each name
Each returns the https base URL ("https://localhost:PORT").
"""
import os
import shutil

from conftest import CERTPICK, free_port, wait_port
from probe_util import start_apache, start_nginx


def nginx_require(procs, tmp, pki):
    port, = start_nginx(procs, tmp, pki, ["ssl_verify_client on; ssl_verify_depth 2; "
                                          "ssl_client_certificate %s/ca-roots-AB.pem;" % pki])
    return "https://localhost:%d" % port


def apache_per_path(procs, tmp, pki):
    _, port, _ = start_apache(procs, tmp, pki)
    return "https://localhost:%d" % port


def serve_per_path(procs, pki, extra=()):
    port = free_port()
    p = procs.start([CERTPICK, "serve", "--listen", "127.0.0.1:%d" % port,
                     "--cert", os.path.join(pki, "server.pem"),
                     "--key", os.path.join(pki, "server.key"),
                     "--trust", os.path.join(pki, "ca-roots-AB.pem"),
                     "--require", "/secure", *extra])
    wait_port(port, proc=p)
    return "https://localhost:%d" % port


def leaves_dir(d, pki, names):
    os.makedirs(d, exist_ok=True)
    for n in names:
        for ext in (".pem", ".key"):
            shutil.copy(os.path.join(pki, n + ext), d)
    return d
