"""Real nginx and Apache servers on loopback for the get and README tests.

Each runs as the current user with config, pid, logs and temp paths inside
the given directory, on an ephemeral port, and is stopped by `procs`.
  nginx_require(procs, d, pki)   ssl_verify_client on, names/trusts Root A + B
  apache_per_path(procs, d, pki) no request at the handshake; /secure asks
                                 (TLS 1.2 renegotiation, TLS 1.3 PHA); trusts A + B
  serve_per_path(procs, pki)     certpick serve --require /secure, trusts A + B
  leaves_dir(d, pki, names)      a folder holding <name>.pem + .key for each name
Each returns the https base URL ("https://localhost:PORT").
"""
import os
import shutil

from conftest import CERTPICK, free_port, wait_port

MODULES = "/usr/lib/apache2/modules"


def nginx_require(procs, d, pki):
    port = free_port()
    os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""daemon off; master_process off; worker_processes 1;
pid {d}/nginx.pid; error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp;
  uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
  server {{
    listen 127.0.0.1:{port} ssl; server_name localhost;
    ssl_certificate {pki}/server.pem; ssl_certificate_key {pki}/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_verify_client on; ssl_client_certificate {pki}/ca-roots-AB.pem; ssl_verify_depth 2;
    location / {{ default_type text/plain; return 200 "ok $ssl_client_s_dn\\n"; }}
  }}
}}
""".format(d=d, port=port, pki=pki))
    p = procs.start(["nginx", "-p", d, "-c", conf])
    wait_port(port, proc=p)
    return "https://localhost:%d" % port


def apache_per_path(procs, d, pki):
    port = free_port()
    conf = os.path.join(d, "httpd.conf")
    with open(conf, "w") as f:
        f.write("""ServerRoot {d}
DefaultRuntimeDir {d}
PidFile {d}/httpd.pid
ServerName localhost
Listen 127.0.0.1:{port}
LoadModule mpm_event_module {m}/mod_mpm_event.so
LoadModule authz_core_module {m}/mod_authz_core.so
LoadModule socache_shmcb_module {m}/mod_socache_shmcb.so
LoadModule ssl_module {m}/mod_ssl.so
LoadModule status_module {m}/mod_status.so
ErrorLog {d}/error.log
LogLevel warn
DocumentRoot {d}
SSLSessionCache none
<VirtualHost 127.0.0.1:{port}>
  SSLEngine on
  SSLCertificateFile {pki}/server.pem
  SSLCertificateKeyFile {pki}/server.key
  SSLCACertificateFile {pki}/ca-roots-AB.pem
  SSLVerifyClient none
  <Location /secure>
    SSLVerifyClient require
    SSLVerifyDepth 2
    SetHandler server-status
  </Location>
</VirtualHost>
""".format(d=d, port=port, pki=pki, m=MODULES))
    p = procs.start(["apache2", "-d", d, "-f", conf, "-DFOREGROUND"])
    wait_port(port, proc=p)
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
