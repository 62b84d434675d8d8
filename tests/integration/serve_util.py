"""Helpers for test_serve.py: a running `certpick serve`, a revoked
certificate with CRLs, and real clients (curl, openssl s_client, gnutls-cli,
Python ssl, headless Chromium) that fetch a page and return the HTTP answer.
Every subprocess has a timeout; everything stays on loopback."""
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading

from conftest import CERTPICK, free_port, need, other_policy_files, wait_for, wait_port


def _ossl(*argv, cwd):
    subprocess.run(["openssl", *argv], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=60)


def make_revocation(pki):
    """rita-revoked (by Root A, revoked) and crl.pem: CRLs of Root A (listing
    rita), Root B and Int A (empty), made with `openssl ca`."""
    d = os.path.join(pki, "ca-crl")
    if os.path.exists(os.path.join(pki, "crl.pem")):
        return os.path.join(pki, "crl.pem")
    os.makedirs(d, exist_ok=True)
    crls = []
    for ca in ["rootA", "rootB", "intA"]:
        cd = os.path.join(d, ca)
        os.makedirs(cd, exist_ok=True)
        open(os.path.join(cd, "index.txt"), "w").close()
        with open(os.path.join(cd, "serial"), "w") as f:
            f.write("2000\n")
        with open(os.path.join(cd, "crlnumber"), "w") as f:
            f.write("01\n")
        conf = os.path.join(cd, "ca.cnf")
        with open(conf, "w") as f:
            f.write("[ca]\ndefault_ca=c\n[c]\ndir=%s\ndatabase=$dir/index.txt\n"
                    "new_certs_dir=$dir\nserial=$dir/serial\ncrlnumber=$dir/crlnumber\n"
                    "default_md=sha256\ndefault_days=365\ndefault_crl_days=30\n"
                    "policy=p\ncopy_extensions=none\nunique_subject=no\n"
                    "[p]\ncommonName=supplied\norganizationName=optional\n"
                    "[v3]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=clientAuth\nauthorityKeyIdentifier=keyid\n" % cd)
        if ca == "rootA":
            _ossl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                  "-out", "rita-revoked.key", cwd=pki)
            _ossl("req", "-new", "-key", "rita-revoked.key", "-subj",
                  "/O=certpick-test/CN=rita-revoked", "-out", "rita-revoked.csr", cwd=pki)
            _ossl("ca", "-batch", "-config", conf, "-cert", "rootA.pem", "-keyfile",
                  "rootA.key", "-in", "rita-revoked.csr", "-out", "rita-revoked.pem",
                  "-extensions", "v3", "-notext", cwd=pki)
            shutil.copy(os.path.join(pki, "rita-revoked.pem"),
                        os.path.join(pki, "rita-revoked-chain.pem"))
            _ossl("pkcs12", "-export", "-in", "rita-revoked.pem", "-inkey",
                  "rita-revoked.key", "-passout", "pass:test", "-out", "rita-revoked.p12",
                  cwd=pki)
            _ossl("ca", "-config", conf, "-cert", "rootA.pem", "-keyfile", "rootA.key",
                  "-revoke", "rita-revoked.pem", cwd=pki)
        out = os.path.join(cd, "crl.pem")
        _ossl("ca", "-config", conf, "-cert", ca + ".pem", "-keyfile", ca + ".key",
              "-gencrl", "-out", out, cwd=pki)
        crls.append(out)
    with open(os.path.join(pki, "crl.pem"), "w") as f:
        for c in crls:
            with open(c) as g:
                f.write(g.read())
    return os.path.join(pki, "crl.pem")


class Server:
    """`certpick serve` on an ephemeral loopback port; access log in self.log_path."""

    def __init__(self, procs, tmp, args, host="127.0.0.1", binary=None):
        self.port = free_port() if host == "127.0.0.1" else free_port(socket.AF_INET6, "::1")
        self.host = host
        self.log_path = os.path.join(tmp, "serve-%d.log" % self.port)
        self.err_path = os.path.join(tmp, "serve-%d.err" % self.port)
        listen = ("[%s]:%d" if ":" in host else "%s:%d") % (host, self.port)
        self.argv = [binary or CERTPICK, "serve", "--listen", listen, *args]
        self.log = open(self.log_path, "w")
        self.err = open(self.err_path, "w")
        self.proc = procs.start(self.argv, stdout=self.log, stderr=self.err)
        wait_port(self.port, host=host, proc=self.proc)
        # the startup notes follow the bind ("throwaway" comes before the CA names);
        # the findings after them are complete once a request was answered
        self.wait_stderr("certpick: CA names sent")

    def url(self, path="/"):
        h = "[%s]" % self.host if ":" in self.host else self.host
        return "https://%s:%d%s" % (h, self.port, path)

    def log_lines(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read().splitlines()

    def stderr(self):
        self.err.flush()
        with open(self.err_path) as f:
            return f.read()

    def wait_stderr(self, text, timeout=30):
        return wait_for("%r on the stderr of %s" % (text, " ".join(self.argv)), self.stderr,
                        lambda err: text in err, timeout=timeout, proc=self.proc)

    def wait_log(self, what, pred, timeout=30):
        """The access log's lines once pred(lines) holds."""
        return wait_for("the access log to show " + what, self.log_lines, pred,
                        timeout=timeout, proc=self.proc)

    def status(self, key):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return None

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def conns(self):
        """How many TCP connections the server holds (has accepted and not yet
        closed): its socket descriptors other than a listener. A connection the
        peer has already reset leaves the kernel's tables while the server still
        holds its descriptor: it counts until the server closes it."""
        inodes = set()
        for fd in os.listdir("/proc/%d/fd" % self.proc.pid):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (self.proc.pid, fd))
            except FileNotFoundError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
        not_conns = set()     # listeners, UNIX and UDP sockets
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as f:
                next(f)
                for line in f:
                    col = line.split()
                    if col[3] == "0A":      # st 0A is LISTEN
                        not_conns.add(col[9])
        for table in ("/proc/net/unix", "/proc/net/udp", "/proc/net/udp6"):
            with open(table) as f:
                next(f)
                for line in f:
                    col = line.split()
                    not_conns.add(col[6] if table.endswith("unix") else col[9])
        return len(inodes - not_conns)

    def backlog(self):
        """How many connections wait in the listen queue, not yet accepted."""
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as f:
                next(f)
                for line in f:
                    col = line.split()
                    if col[3] == "0A" and int(col[1].rsplit(":", 1)[1], 16) == self.port:
                        return int(col[4].split(":")[1], 16)
        return None

    def wait_conns(self, n, timeout=30):
        """Wait until the server holds exactly n client connections."""
        return wait_for("the server to hold %d connections" % n, self.conns,
                        lambda c: c == n, timeout=timeout, interval=0.1, proc=self.proc)

    def wait_closed(self, fds0, timeout=30):
        """Wait until the server has taken every queued connection, holds none,
        and is back to fds0 descriptors (it leaked none)."""
        return wait_for("the server to take and close every connection, back to %d "
                        "descriptors (seen as: queued, held, descriptors)" % fds0,
                        lambda: (self.backlog(), self.conns(), self.fds()),
                        lambda v: v[0] == 0 and v[1] == 0 and v[2] <= fds0, timeout=timeout,
                        interval=0.1, proc=self.proc)

    def quiet_fds(self, timeout=30):
        """The server's descriptor count once it holds no client connection (the
        probe of wait_port or a finished curl may still be open a moment)."""
        self.wait_conns(0, timeout)
        return self.fds()


class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "Answer(%r, %r, %r)" % (self.status, self.headers, self.body[:400])


def parse_http(raw):
    """The first HTTP/1.1 answer in raw bytes (Content-Length framed)."""
    i = raw.find(b"HTTP/1.1 ")
    if i < 0:
        return Answer(None, {}, raw.decode("utf-8", "replace"))
    raw = raw[i:]
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", len(rest)))
    return Answer(status, headers, rest[:n].decode("utf-8", "replace"))


def request_bytes(path, accept="application/json"):
    return ("GET %s HTTP/1.1\r\nHost: localhost\r\nAccept: %s\r\nConnection: close\r\n\r\n"
            % (path, accept)).encode()


def _cert_args(pki, who):
    if not who:
        return None, None
    return os.path.join(pki, who + "-chain.pem"), os.path.join(pki, who + ".key")


def curl(srv, path, pki, who=None, tls="1.3", accept="application/json"):
    cert, key = _cert_args(pki, who)
    argv = ["curl", "-sk", "--http1.1", "-D", "-", "-H", "Accept: " + accept,
            "--tlsv" + tls, "--tls-max", tls, srv.url(path)]
    if cert:
        argv += ["--cert", cert, "--key", key]
    p = subprocess.run(argv, capture_output=True, timeout=30)
    return parse_http(p.stdout)


def s_client(srv, path, pki, who=None, tls="1.3"):
    cert, key = _cert_args(pki, who)
    argv = ["openssl", "s_client", "-connect", "%s:%d" % (srv.host, srv.port), "-quiet",
            "-ign_eof", "-tls1_3" if tls == "1.3" else "-tls1_2", "-enable_pha"]
    if cert:
        argv += ["-cert", cert, "-key", key, "-cert_chain", cert]
    p = subprocess.run(argv, input=request_bytes(path), capture_output=True, timeout=30)
    return parse_http(p.stdout)


def gnutls(srv, path, pki, who=None, tls="1.3"):
    cert, key = _cert_args(pki, who)
    need("gnutls-cli")
    prio = "NORMAL:-VERS-ALL:+VERS-TLS" + tls
    argv = ["gnutls-cli", "--insecure", "--post-handshake-auth", "--priority", prio,
            "-p", str(srv.port), srv.host]
    if cert:
        argv += ["--x509certfile", cert, "--x509keyfile", key]
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    killer = threading.Timer(20, p.kill)
    killer.start()
    out = b""
    try:
        # gnutls-cli reads stdin once its handshake is done and it says so; wait
        # for that (the killer bounds it), write the request, and keep stdin
        # open until the server closes: gnutls-cli quits on EOF
        for line in iter(p.stdout.readline, b""):
            out += line
            if line.startswith(b"- Simple Client Mode"):
                break
        p.stdin.write(request_bytes(path))
        p.stdin.flush()
        out += p.stdout.read()
    except BrokenPipeError:
        out += p.stdout.read()      # it quit: what it said tells why
    finally:
        killer.cancel()
        try:
            p.stdin.close()
        except BrokenPipeError:
            pass
        p.wait(timeout=10)
    return parse_http(out)


def python_ssl(srv, path, pki, who=None, tls="1.3"):
    cert, key = _cert_args(pki, who)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    v = ssl.TLSVersion.TLSv1_3 if tls == "1.3" else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = ctx.maximum_version = v
    ctx.post_handshake_auth = True
    if cert:
        ctx.load_cert_chain(cert, key)
    fam = socket.AF_INET6 if ":" in srv.host else socket.AF_INET
    with socket.socket(fam) as raw:
        raw.settimeout(20)
        raw.connect((srv.host, srv.port))
        with ctx.wrap_socket(raw) as s:
            s.sendall(request_bytes(path))
            data = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except (ssl.SSLError, ConnectionResetError):
                    break
                if not chunk:
                    break
                data += chunk
    return parse_http(data)


CLIENTS = {"curl": curl, "s_client": s_client, "gnutls": gnutls, "python": python_ssl}


class Chromium:
    """Headless Chromium with a client certificate in an NSS db under a temp
    HOME, selected by an AutoSelectCertificateForUrls policy."""

    POLICY_DIR = "/etc/chromium/policies/managed"
    count = 0

    def __init__(self, tmp, pki, who, origin):
        self.home = os.path.join(tmp, "chrome-home-%s-%s" % (who or "none", origin[-5:]))
        db = os.path.join(self.home, ".pki", "nssdb")
        os.makedirs(db, exist_ok=True)
        subprocess.run(["certutil", "-N", "-d", "sql:" + db, "--empty-password"],
                       check=True, timeout=30, capture_output=True)
        if who:
            subprocess.run(["pk12util", "-i", os.path.join(pki, who + ".p12"), "-d",
                            "sql:" + db, "-W", "test"], check=True, timeout=30,
                           capture_output=True)
        os.makedirs(self.POLICY_DIR, exist_ok=True)
        Chromium.count += 1
        self.policy = os.path.join(self.POLICY_DIR, "certpick-test-%d-%d.json" % (
            os.getpid(), Chromium.count))
        self.origin = origin

    def _write_policy(self):
        """Chromium does not merge one policy set by two files: wait (bounded)
        until no other test run has a policy file there, then write ours."""
        wait_for("no other policy file in " + self.POLICY_DIR,
                 lambda: other_policy_files(self.POLICY_DIR, self.policy),
                 lambda others: not others, timeout=180, interval=0.5)
        with open(self.policy, "w") as f:
            json.dump({"AutoSelectCertificateForUrls": [
                json.dumps({"pattern": self.origin, "filter": {}})]}, f)

    def run(self, url, *extra):
        argv = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + os.path.join(self.home, "profile"),
                "--ignore-certificate-errors", *extra, url]
        env = dict(os.environ, HOME=self.home)
        self._write_policy()
        try:
            return subprocess.run(argv, capture_output=True, timeout=90, env=env,
                                  cwd=self.home)
        finally:
            self.close()

    def dump_dom(self, url):
        return self.run(url, "--dump-dom").stdout.decode("utf-8", "replace")

    def screenshot(self, url, path):
        self.run(url, "--screenshot=" + path, "--window-size=1024,900",
                 "--hide-scrollbars")
        return path

    def close(self):
        try:
            os.unlink(self.policy)
        except FileNotFoundError:
            pass
