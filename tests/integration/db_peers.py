"""Real database and broker servers for the tests: PostgreSQL, MariaDB, mosquitto.

Each is started by the test as its own child process from a fresh temporary
directory (own configuration, data, socket, pid and log files; nothing under
/etc or /var is read or written), on 127.0.0.1 with an ephemeral port, and
stopped and removed when the `with` block ends, even after a failure. None runs
as a system service (scripts/deps.sh installs the packages; Debian's
policy-rc.d keeps their services from starting in the chroot and the image).

Server certificate: pki["server"] (CN=localhost, by rootA); trusted client CAs:
ca-roots-AB.pem (rootA + rootB), so alice (by intA) is accepted only when her
client sends the intermediate. TLS versions: tls="1.2", "1.3" or None (both).

What a client sees (observed with the real clients, Debian 12 packages):

PostgreSQL 15, pg_hba `hostssl all <user> 127.0.0.1/32 cert` (CN must equal the
user name) and `... scram-sha-256 clientcert=verify-full` for `pwuser`:
  no certificate   FATAL 28000 connection requires a valid client certificate
  untrusted, expired, serverAuth-only: the handshake fails (alert unknown_ca /
                   certificate_expired / unsupported_certificate), no FATAL
  CN != user       FATAL 28000 certificate authentication failed for user "x"
  accepted         AuthenticationOk
  verify-full, CN != user, right password:
                   FATAL 28P01 password authentication failed for user "pwfull"
                   (the server log alone says "CN mismatch")

MariaDB 10.11 users `alice` REQUIRE X509, `carol` REQUIRE SUBJECT
'/O=certpick-test/CN=carol', `dave` REQUIRE ISSUER (rootA's subject), `pwuser`
IDENTIFIED BY 'secret' REQUIRE X509: a requirement not met is
  ERROR 1045 (28000): Access denied for user 'x'@'localhost' (using password: NO)
the same words as a wrong password (the server log says which).

mosquitto 2.0 with require_certificate true, use_identity_as_username true:
  no certificate / untrusted / expired: the handshake fails; accepted: CONNACK 0.
"""
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile

from conftest import free_port, need, serve_until_signal, wait_for, wait_port

PG_BIN = (sorted(glob.glob("/usr/lib/postgresql/*/bin")) or ["/usr/lib/postgresql/15/bin"])[-1]
PG_TLS = {"1.2": ("TLSv1.2", "TLSv1.2"), "1.3": ("TLSv1.3", "TLSv1.3"), None: ("TLSv1.2", "")}


def _copy_private(src, dst, owner=None):
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o600)
    if owner is not None:
        os.chown(dst, owner.pw_uid, owner.pw_gid)


def _log_tail(path, n=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError as e:
        return "(no log: %s)" % e


def _stop(proc, sig=signal.SIGTERM):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


class Postgres:
    """initdb + postgres in a temporary directory owned by the `postgres` user
    (PostgreSQL refuses to run as root). Roles: alice, carol, dave, erin-expired,
    mallory, bob-serveronly (certificate logins), pwuser (password 'secret',
    scram-sha-256 clientcert=verify-ca), pwfull (password 'secret', clientcert=verify-full:
    the CN must equal the user too), pwmd5 (md5, an MD5 hash), pwclear (password: in
    clear, over TLS). Attributes: port, dir, log."""

    ROLES = ("alice", "carol", "dave", "erin-expired", "mallory", "bob-serveronly")

    def __init__(self, pki, tls=None, port=None, files=("server.pem", "server.key",
                                                         "ca-roots-AB.pem"), roles=ROLES):
        need(os.path.join(PG_BIN, "initdb"), os.path.join(PG_BIN, "postgres"), "psql",
             "runuser")
        self.pki, self.tls, self.files, self.roles = pki, tls, files, roles
        self.proc = None
        self.user = pwd.getpwnam("postgres")
        self.dir = tempfile.mkdtemp(prefix="certpick-pg-")
        os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "postgres.log")
        self.port = port or free_port()

    def _as_pg(self, *argv, timeout=120):
        return subprocess.run(["runuser", "-u", "postgres", "--", *argv], capture_output=True,
                              text=True, timeout=timeout, cwd=self.dir)

    def sql(self, statement):
        r = self._as_pg("psql", "-X", "-q", "-h", self.dir, "-p", str(self.port), "-d", "postgres",
                        "-v", "ON_ERROR_STOP=1", "-c", statement, timeout=60)
        assert r.returncode == 0, "psql: %s\n%s" % (r.stderr, _log_tail(self.log))
        return r.stdout

    def _configure(self):
        r = self._as_pg(os.path.join(PG_BIN, "initdb"), "-D", self.data, "-A", "trust",
                        "--no-sync", "-E", "UTF8", "--locale=C")
        assert r.returncode == 0, "initdb: %s" % r.stderr
        cert, key, ca = self.files
        for name, src in [("server.pem", cert), ("ca.pem", ca)]:
            shutil.copyfile(os.path.join(self.pki, src), os.path.join(self.data, name))
        _copy_private(os.path.join(self.pki, key), os.path.join(self.data, "server.key"),
                      self.user)
        lo, hi = PG_TLS[self.tls]
        with open(os.path.join(self.data, "postgresql.auto.conf"), "a") as f:
            f.write("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n"
                    "ssl = on\nssl_cert_file = 'server.pem'\nssl_key_file = 'server.key'\n"
                    "ssl_ca_file = 'ca.pem'\nssl_min_protocol_version = '%s'\n"
                    "ssl_max_protocol_version = '%s'\nlog_connections = on\nfsync = off\n"
                    % (self.port, self.dir, lo, hi))
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("local all postgres trust\n"
                    "hostssl all pwuser 127.0.0.1/32 scram-sha-256 clientcert=verify-ca\n"
                    "hostssl all pwfull 127.0.0.1/32 scram-sha-256 clientcert=verify-full\n"
                    "hostssl all pwmd5 127.0.0.1/32 md5\n"
                    "hostssl all pwclear 127.0.0.1/32 password\n"
                    "hostssl all all 127.0.0.1/32 cert\n")

    def __enter__(self):
        try:
            self._configure()
            self.proc = subprocess.Popen(
                ["runuser", "-u", "postgres", "--", os.path.join(PG_BIN, "postgres"), "-D",
                 self.data], stdout=subprocess.DEVNULL, stderr=open(self.log, "w"),
                stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.dir)
            wait_port(self.port, proc=self.proc, timeout=60)
            wait_for("postgres to accept logins", lambda: self._as_pg(
                os.path.join(PG_BIN, "pg_isready"), "-h", self.dir, "-p", str(self.port),
                timeout=20).returncode == 0, proc=self.proc, timeout=60)
            for role in self.roles:
                self.sql('CREATE ROLE "%s" LOGIN' % role)
            self.sql("CREATE ROLE pwuser LOGIN PASSWORD 'secret'")
            self.sql("CREATE ROLE pwfull LOGIN PASSWORD 'secret'")
            # an MD5 hash, so that the md5 line asks for MD5 (with a SCRAM secret it asks SCRAM)
            self.sql("SET password_encryption = 'md5'; CREATE ROLE pwmd5 LOGIN PASSWORD 'secret'")
            self.sql("CREATE ROLE pwclear LOGIN PASSWORD 'secret'")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        _stop(self.proc, signal.SIGINT)	# "fast" shutdown
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, user="alice", db="postgres"):
        return "postgres://%s@127.0.0.1:%d/%s" % (user, self.port, db)

    def psql(self, user, cert=None, key=None, tmp=None, password=None):
        """The real client: (rc, stdout+stderr) of `SELECT current_user` as user."""
        conn = ["host=127.0.0.1", "port=%d" % self.port, "user=%s" % user, "dbname=postgres",
                "sslmode=require", "connect_timeout=20"]
        if cert:
            k = os.path.join(tmp, "psql-%s.key" % os.path.basename(key))
            _copy_private(key, k)	# libpq refuses a key others can read
            conn += ["sslcert=%s" % cert, "sslkey=%s" % k]
        else:	# no certificate even if ~/.postgresql has one
            conn += ["sslcert=/nonexistent", "sslkey=/nonexistent"]
        env = dict(os.environ, PGPASSWORD=password or "", PGCONNECT_TIMEOUT="20")
        r = subprocess.run(["psql", "-X", "-At", " ".join(conn), "-c", "SELECT current_user"],
                           capture_output=True, text=True, timeout=60, env=env)
        return r.returncode, r.stdout + r.stderr


class MariaDB:
    """mariadb-install-db + mariadbd in a temporary directory (as root, with
    --user=root: the data directory is the test's own). Users alice (REQUIRE
    X509), carol (REQUIRE SUBJECT carol), dave (REQUIRE ISSUER rootA), pwuser
    (IDENTIFIED BY 'secret' REQUIRE X509), pwsubj ('secret', REQUIRE SUBJECT carol),
    pwed (MariaDB's ed25519 plugin, 'secret', REQUIRE X509). MariaDB has no
    caching_sha2_password (a MySQL 8 plugin): the unit tests cover it."""

    def __init__(self, pki, tls=None):
        need("mariadbd", "mariadb-install-db", "mariadb")
        self.pki, self.tls = pki, tls
        self.proc = None
        self.dir = tempfile.mkdtemp(prefix="certpick-mariadb-")
        self.sock = os.path.join(self.dir, "sock")
        self.log = os.path.join(self.dir, "mariadb.log")
        self.port = free_port()

    def sql(self, statement):
        r = subprocess.run(["mariadb", "--no-defaults", "-S", self.sock, "-u", "root", "-e",
                            statement], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, "mariadb: %s\n%s" % (r.stderr, _log_tail(self.log))
        return r.stdout

    def __enter__(self):
        try:
            data = os.path.join(self.dir, "data")
            r = subprocess.run(["mariadb-install-db", "--no-defaults", "--datadir=" + data,
                                "--user=root", "--skip-test-db", "--auth-root-authentication-"
                                "method=socket"], capture_output=True, text=True, timeout=300,
                               cwd=self.dir)
            assert r.returncode == 0, "mariadb-install-db: %s%s" % (r.stdout, r.stderr)
            tls = {"1.2": "TLSv1.2", "1.3": "TLSv1.3", None: "TLSv1.2,TLSv1.3"}[self.tls]
            self.proc = subprocess.Popen(
                ["mariadbd", "--no-defaults", "--user=root", "--datadir=" + data,
                 "--socket=" + self.sock, "--port=%d" % self.port, "--bind-address=127.0.0.1",
                 "--pid-file=" + os.path.join(self.dir, "pid"), "--log-error=" + self.log,
                 "--skip-name-resolve", "--innodb-buffer-pool-size=16M", "--skip-log-bin",
                 "--ssl-ca=" + os.path.join(self.pki, "ca-roots-AB.pem"),
                 "--ssl-cert=" + os.path.join(self.pki, "server.pem"),
                 "--ssl-key=" + os.path.join(self.pki, "server.key"), "--tls-version=" + tls,
                 "--log-warnings=4"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                start_new_session=True, cwd=self.dir)
            wait_port(self.port, proc=self.proc, timeout=120)
            wait_for("the MariaDB socket", lambda: os.path.exists(self.sock), proc=self.proc)
            root_a = subprocess.run(["openssl", "x509", "-noout", "-subject", "-nameopt", "compat",
                                     "-in", os.path.join(self.pki, "rootA.pem")],
                                    capture_output=True, text=True, check=True,
                                    timeout=30).stdout.strip().split("=", 1)[1].strip()
            self.sql("CREATE USER alice@'%%' REQUIRE X509;"
                     "CREATE USER carol@'%%' REQUIRE SUBJECT '/O=certpick-test/CN=carol';"
                     "CREATE USER dave@'%%' REQUIRE ISSUER '%s';"
                     "CREATE USER pwuser@'%%' IDENTIFIED BY 'secret' REQUIRE X509;"
                     "CREATE USER pwsubj@'%%' IDENTIFIED BY 'secret' "
                     "REQUIRE SUBJECT '/O=certpick-test/CN=carol';"
                     "INSTALL SONAME 'auth_ed25519';"
                     "CREATE USER pwed@'%%' IDENTIFIED VIA ed25519 USING PASSWORD('secret') "
                     "REQUIRE X509;" % root_a)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        _stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, user="alice"):
        return "mysql://%s@127.0.0.1:%d" % (user, self.port)

    def client(self, user, cert=None, key=None, password=None):
        """The real client: (rc, stdout+stderr) of `SELECT CURRENT_USER()` as user; the
        password through MYSQL_PWD (not on the command line)."""
        argv = ["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", str(self.port), "-u", user,
                "--ssl", "--connect-timeout=20", "-N", "-e", "SELECT CURRENT_USER()"]
        if cert:
            argv += ["--ssl-cert=" + cert, "--ssl-key=" + key]
        env = dict(os.environ)
        env.pop("MYSQL_PWD", None)
        if password:
            env["MYSQL_PWD"] = password
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
        return r.returncode, r.stdout + r.stderr


class Mosquitto:
    """mosquitto with one TLS listener: require_certificate true,
    use_identity_as_username true, allow_anonymous false. With passwords=True:
    no use_identity_as_username, a password_file with carol:secret instead (the
    user name and password come from the CONNECT)."""

    def __init__(self, pki, tls=None, passwords=False):
        need("mosquitto", "mosquitto_pub", "mosquitto_passwd")
        self.pki, self.tls, self.passwords = pki, tls, passwords
        self.proc = None
        self.dir = tempfile.mkdtemp(prefix="certpick-mqtt-")
        self.log = os.path.join(self.dir, "mosquitto.log")
        self.port = free_port()

    def __enter__(self):
        try:
            conf = os.path.join(self.dir, "mosquitto.conf")
            who = "use_identity_as_username true\n"
            if self.passwords:
                pwfile = os.path.join(self.dir, "passwd")
                subprocess.run(["mosquitto_passwd", "-c", "-b", pwfile, "carol", "secret"],
                               check=True, capture_output=True, timeout=30)
                who = "password_file %s\n" % pwfile
            with open(conf, "w") as f:
                f.write("user root\npersistence false\nlog_dest stderr\nlog_type all\n"
                        "listener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\n"
                        "require_certificate true\n%sallow_anonymous false\n%s"
                        % (self.port, os.path.join(self.pki, "ca-roots-AB.pem"),
                           os.path.join(self.pki, "server.pem"),
                           os.path.join(self.pki, "server.key"), who,
                           "tls_version tlsv%s\n" % self.tls if self.tls else ""))
            self.proc = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.DEVNULL,
                                         stderr=open(self.log, "w"), stdin=subprocess.DEVNULL,
                                         start_new_session=True, cwd=self.dir)
            wait_port(self.port, proc=self.proc)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        _stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, user=None):
        return "mqtts://%s127.0.0.1:%d" % (user + "@" if user else "", self.port)

    def log_size(self):
        return os.path.getsize(self.log)

    def log_since(self, size):
        """What the broker logged after log_size() said size: it says whether a
        certificate arrived ("certificate verify failed") or not ("peer did not
        return a certificate"); mosquitto_pub only says "Protocol error"."""
        with open(self.log, errors="replace") as f:
            f.seek(size)
            return f.read()

    def pub(self, cert=None, key=None, user=None, password=None):
        """The real client: (rc, output) of one publish."""
        argv = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port), "--cafile",
                os.path.join(self.pki, "ca-all.pem"), "-t", "certpick/test", "-m", "x", "-q", "1"]
        if cert:
            argv += ["--cert", cert, "--key", key]
        if user:
            argv += ["-u", user]
        if password is not None:
            argv += ["-P", password]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        return r.returncode, r.stdout + r.stderr


def main(argv):
    """db_peers.py postgres ADDR:PORT: a throwaway PostgreSQL on the current folder's
    demo PKI (`certpick demo --keep`: server-chain.pem, server.key, root.pem), role
    alice, certificate logins only, until interrupted. README.md starts one."""
    import sys
    if len(argv) != 3 or argv[1] != "postgres" or ":" not in argv[2]:
        sys.exit("usage: db_peers.py postgres 127.0.0.1:PORT   (in a certpick demo folder)")
    port = int(argv[2].rsplit(":", 1)[1])
    with Postgres(os.getcwd(), port=port, files=("server-chain.pem", "server.key", "root.pem"),
                  roles=("alice",)):
        serve_until_signal()


if __name__ == "__main__":
    import sys
    main(sys.argv)
