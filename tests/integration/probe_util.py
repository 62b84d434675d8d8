"""Real TLS servers on loopback for the probe tests: nginx, apache2, openssl
s_server, gnutls-serv. Each starter writes its config under a test tmp dir,
starts the server through conftest's `procs` (killed at teardown), waits for
its port and returns the port. Configurations follow peers.md section 1."""
import atexit
import os
import shutil
import tempfile

from conftest import free_port, wait_port

APACHE_MODULES = "/usr/lib/apache2/modules"


def start_sserver(procs, pki, args, tls=None):
    """openssl s_server -www on 127.0.0.1 with the localhost server cert."""
    port = free_port()
    argv = ["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-www",
            "-cert", os.path.join(pki, "server.pem"), "-key", os.path.join(pki, "server.key"),
            "-CAfile", os.path.join(pki, "ca-roots-AB.pem"), "-naccept", "1000"] + list(args)
    if tls:
        argv.append(tls)
    p = procs.start(argv)
    wait_port(port, proc=p)
    return port


def start_gnutls(procs, pki, args):
    """gnutls-serv --http (it binds every address; fine on a test box)."""
    port = free_port()
    argv = ["gnutls-serv", "--http", "-p", str(port),
            "--x509certfile", os.path.join(pki, "server.pem"),
            "--x509keyfile", os.path.join(pki, "server.key"),
            "--x509cafile", os.path.join(pki, "ca-roots-AB.pem")] + list(args)
    p = procs.start(argv)
    wait_port(port, proc=p)
    return port


NGINX_SERVER = """
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate {pki}/server.pem;
        ssl_certificate_key {pki}/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        {extra}
        location / {{ return 200 "ok verify=$ssl_client_verify s_dn=$ssl_client_s_dn\\n"; }}
    }}
"""


def start_nginx(procs, tmp, pki, servers):
    """servers: list of extra directive strings, one server block each. Returns ports."""
    d = os.path.join(tmp, "nginx")
    os.makedirs(os.path.join(d, "logs"), exist_ok=True)
    ports = [free_port() for _ in servers]
    blocks = "".join(NGINX_SERVER.format(port=p, pki=pki, extra=e) for p, e in zip(ports, servers))
    user = "user root;" if os.geteuid() == 0 else ""
    conf = f"""
{user}
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/logs/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    {blocks}
}}
"""
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write(conf)
    p = procs.start(["nginx", "-p", d, "-c", os.path.join(d, "nginx.conf")])
    for port in ports:
        wait_port(port, proc=p)
    return ports


def start_apache(procs, tmp, pki):
    """Two vhosts: 'req' (SSLVerifyClient require, SSLCADNRequestFile names B and
    rogue C, trust A+B) and 'path' (none at the vhost, require in <Location /secure>).
    A third vhost is 'path' with HTTP/2 on (Protocols h2 http/1.1).
    Returns (req_port, path_port, h2_port)."""
    d = os.path.join(tmp, "apache")
    os.makedirs(os.path.join(d, "logs"), exist_ok=True)
    # The documents live outside pytest's tree: as root the children run as
    # www-data, and a concurrent pytest session may reset /tmp/pytest-of-root
    # to 0700 at any time (then every request would be a 403).
    docroot = tempfile.mkdtemp(prefix="certpick-apache-")
    atexit.register(shutil.rmtree, docroot, True)
    os.chmod(docroot, 0o755)
    os.makedirs(os.path.join(docroot, "secure"), mode=0o755, exist_ok=True)
    for sub in ("", "secure"):
        with open(os.path.join(docroot, sub, "index.html"), "w") as f:
            f.write("<html><head><title>hello</title></head><body>ok</body></html>\n")
    names = os.path.join(d, "ca-names-custom.pem")
    with open(names, "w") as out:
        for n in ("rootB.pem", "rootC.pem"):
            with open(os.path.join(pki, n)) as f:
                out.write(f.read())
    req_port, path_port, h2_port = free_port(), free_port(), free_port()
    mods = ["mpm_event", "ssl", "authz_core", "socache_shmcb", "mime", "dir", "http2"]
    loads = "\n".join('LoadModule %s_module %s/mod_%s.so' % (m, APACHE_MODULES, m) for m in mods)
    user = "User www-data\nGroup www-data" if os.geteuid() == 0 else ""
    conf = f"""
ServerRoot {d}
{loads}
{user}
ServerName localhost
TypesConfig /dev/null
PidFile {d}/httpd.pid
DefaultRuntimeDir {d}
ErrorLog {d}/logs/error.log
LogLevel info ssl:info
Listen 127.0.0.1:{req_port}
Listen 127.0.0.1:{path_port}
Listen 127.0.0.1:{h2_port}
DocumentRoot {docroot}
DirectoryIndex index.html
<Directory />
    AllowOverride None
</Directory>
SSLSessionCache shmcb:{d}/ssl_scache(512000)
StartServers 1
ServerLimit 1
ThreadsPerChild 25
MaxRequestWorkers 25
<VirtualHost 127.0.0.1:{req_port}>
    SSLEngine on
    SSLProtocol -all +TLSv1.2 +TLSv1.3
    SSLCertificateFile {pki}/server.pem
    SSLCertificateKeyFile {pki}/server.key
    SSLCACertificateFile {pki}/ca-roots-AB.pem
    SSLCADNRequestFile {names}
    SSLVerifyClient require
    SSLVerifyDepth 2
</VirtualHost>
<VirtualHost 127.0.0.1:{path_port}>
    SSLEngine on
    SSLProtocol -all +TLSv1.2 +TLSv1.3
    SSLCertificateFile {pki}/server.pem
    SSLCertificateKeyFile {pki}/server.key
    SSLCACertificateFile {pki}/ca-roots-AB.pem
    SSLVerifyClient none
    <Location /secure>
        SSLVerifyClient require
        SSLVerifyDepth 2
    </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:{h2_port}>
    Protocols h2 http/1.1
    SSLEngine on
    SSLProtocol -all +TLSv1.2 +TLSv1.3
    SSLCertificateFile {pki}/server.pem
    SSLCertificateKeyFile {pki}/server.key
    SSLCACertificateFile {pki}/ca-roots-AB.pem
    SSLVerifyClient none
    <Location /secure>
        SSLVerifyClient require
        SSLVerifyDepth 2
    </Location>
</VirtualHost>
"""
    with open(os.path.join(d, "httpd.conf"), "w") as f:
        f.write(conf)
    p = procs.start(["apache2", "-d", d, "-f", os.path.join(d, "httpd.conf"), "-DFOREGROUND"],
                    stderr=open(os.path.join(d, "logs", "stderr.log"), "w"))
    wait_port(req_port, proc=p)
    wait_port(path_port, proc=p)
    wait_port(h2_port, proc=p)
    return req_port, path_port, h2_port
