"""Real peers for the non-HTTPS schemes (issue 14): Postfix, Dovecot, OpenLDAP slapd,
vsftpd and Prosody, each started by the tests as their own child processes.

Every peer runs from its own temporary directory (configuration, data, queue, pid and log
files there; nothing written under /etc, /var or /run), listens on 127.0.0.1 on ephemeral
ports, is ready when every one of its ports accepts a connection (polled, bounded by
STARTUP seconds), and is stopped (its process group: SIGTERM, then SIGKILL) and its
directory removed when the `with` block ends, also on failure. No system instance is used
or disturbed: scripts/deps.sh installs the packages without starting their daemons.

Each context manager yields a Peer: .host, .ports (listener name -> port), .dir, .logs()
(the tail of every log file and of the processes' output, for failure messages), and
.url(listener). The directory is made with tempfile under /tmp/certpick-peers (mode 0755,
not under pytest's tmp_path: the servers' unprivileged processes, postfix and dovenull,
must reach it), named after the process that owns it. A run killed with SIGKILL cannot
stop its servers nor remove its folders: the next run does (reap_orphans: the folders of
processes that are gone, and the servers started from them, found by their command line).

Certificates come from tests/integration/pki.py: the server presents server-chain.pem
(CN=localhost, by rootA) and trusts and names ca-roots-AB.pem (rootA, rootB); the client
identities per case are pki.PEER_LEAVES (make_peer_leaves):
    accepted   peer-ok          rootA, clientAuth
    untrusted  peer-untrusted   rootC (never trusted)
    expired    peer-expired     rootA, expired in 2021
    wrongeku   peer-servereku   rootA, EKU serverAuth only
    none       no certificate
tls="1.2" or "1.3" restricts the server to that version (min = max).

The observed answers, per server and case, are in each context manager's docstring
(seen with the clients of tests/integration/test_peers.py: curl 7.88, swaks 20201014,
ldapwhoami 2.5.13, openssl s_client 3.0; Debian 12 packages).
"""
import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pki as pkimod
from conftest import serve_until_signal

STARTUP = 20.0      # seconds a peer may take to listen
STOP = 5.0          # seconds a peer may take to exit on SIGTERM
LOG_TAIL = 6000     # characters of each log in a failure message
CASES = ("none", "untrusted", "expired", "wrongeku", "accepted")
TLS_VERSIONS = ("1.2", "1.3")


PARENT = os.path.join(tempfile.gettempdir(), "certpick-peers")
_reaped = False


def _alive(pid):
    """A process that is not gone nor a zombie (a killed run its parent has not reaped)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def reap_orphans():
    """Folders under PARENT whose owner (the pid their name starts with) is gone: SIGKILL the
    process groups of the servers started from them (a pid in its "pids" file whose command
    line still names the folder), then remove the folder. Once per process."""
    global _reaped
    if _reaped:
        return
    _reaped = True
    for name in sorted(os.listdir(PARENT)):
        d = os.path.join(PARENT, name)
        owner = name.split("-", 1)[0]
        if not owner.isdigit() or _alive(int(owner)):
            continue
        with contextlib.suppress(OSError):
            with open(os.path.join(d, "pids")) as f:
                for pid in (int(x) for x in f.read().split()):
                    with contextlib.suppress(OSError):
                        with open("/proc/%d/cmdline" % pid, "rb") as c:
                            if d.encode() in c.read():
                                os.killpg(pid, signal.SIGKILL)
        shutil.rmtree(d, ignore_errors=True)


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PeerError(AssertionError):
    pass


class Peer:
    """One server instance: its directory, processes, ports and logs."""

    def __init__(self, name, pki, tls, files=None):
        """files: {"chain", "key", "ca"} file names in pki for another PKI than the tests'
        (then no client leaves are made there)."""
        if tls not in TLS_VERSIONS:
            raise ValueError("tls must be one of %s" % (TLS_VERSIONS,))
        self.name, self.tls, self.host = name, tls, "127.0.0.1"
        self.pki = pki
        self.files = files or {"chain": "server-chain.pem", "key": "server.key",
                               "ca": "ca-roots-AB.pem"}
        self.leaves = pkimod.make_peer_leaves(pki) if files is None else {}
        os.makedirs(PARENT, exist_ok=True)
        os.chmod(PARENT, 0o755)
        reap_orphans()
        self.dir = tempfile.mkdtemp(prefix="%d-%s-" % (os.getpid(), name), dir=PARENT)
        os.chmod(self.dir, 0o755)
        self.ports = {}
        self.procs = []
        self.log_files = []
        self.kill_group = False

    # certificates
    def pkifile(self, name):
        return os.path.join(self.pki, name)

    @property
    def server_chain(self):
        return self.pkifile(self.files["chain"])

    @property
    def server_key(self):
        return self.pkifile(self.files["key"])

    @property
    def ca_file(self):
        return self.pkifile(self.files["ca"])

    def cert(self, case):
        """(certificate, key) paths of a case's client identity, or None for "none"."""
        if case == "none":
            return None
        base = self.leaves[case]
        return base + ".pem", base + ".key"

    # files
    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, name, text, mode=0o644):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        # Postfix re-reads a file changed within the last second until it is older (~1.2 s)
        past = time.time() - 60
        os.utime(p, (past, past))
        return p

    def mkdir(self, name, owner=None, mode=0o755):
        p = self.path(name)
        os.makedirs(p, exist_ok=True)
        os.chmod(p, mode)
        if owner:
            pw = pwd.getpwnam(owner)
            os.chown(p, pw.pw_uid, pw.pw_gid)
        return p

    def openssl_conf(self):
        """An OPENSSL_CONF that pins the TLS version (for servers without a setting)."""
        v = "TLSv" + self.tls
        return self.write("openssl.cnf", "openssl_conf = init\n[init]\nssl_conf = ssl\n"
                          "[ssl]\nsystem_default = sysdef\n[sysdef]\n"
                          "MinProtocol = %s\nMaxProtocol = %s\n" % (v, v))

    def port(self, listener, fixed=None):
        self.ports[listener] = fixed or _free_port()
        return self.ports[listener]

    def url(self, listener, scheme=None):
        return "%s://%s:%d" % (scheme or listener, self.host, self.ports[listener])

    # processes
    def spawn(self, argv, label, env=None):
        out = self.path(label + ".out")
        self.log_files.append(out)
        with open(out, "w") as f:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                 cwd=self.dir, env=dict(os.environ, **(env or {})),
                                 start_new_session=True)
        self.procs.append(p)
        with open(self.path("pids"), "a") as f:	# for reap_orphans, should this run be killed
            f.write("%d\n" % p.pid)
        return p

    def wait_ready(self, timeout=STARTUP):
        """Every port accepts a connection; fails early when a process exits."""
        deadline = time.monotonic() + timeout
        for listener, port in self.ports.items():
            while True:
                try:
                    with socket.create_connection((self.host, port), timeout=0.5):
                        break
                except OSError as e:
                    seen = e
                for p in self.procs:
                    if p.poll() is not None:
                        raise PeerError("%s exited with %s before listening on %s (%d)\n%s"
                                        % (self.name, p.returncode, listener, port, self.logs()))
                if time.monotonic() >= deadline:
                    raise PeerError("%s: %s (%d) not listening after %g s: %s\n%s"
                                    % (self.name, listener, port, timeout, seen, self.logs()))
                time.sleep(0.02)

    @staticmethod
    def _signal(p, sig, group=True):
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(p.pid, sig)
            elif p.poll() is None:
                os.kill(p.pid, sig)

    def logs(self):
        out = []
        for f in self.log_files:
            try:
                with open(f, errors="replace") as g:
                    text = g.read()
            except OSError as e:
                text = "(%s)" % e
            out.append("---- %s %s\n%s" % (self.name, os.path.basename(f), text[-LOG_TAIL:]))
        return "\n".join(out)

    def stop(self):
        """SIGTERM to each main process (a master stops its children itself), then to what
        is left of its process group; SIGKILL past STOP seconds (at once with kill_group:
        Dovecot's master takes 1 to 5 s to stop its children). The directory is removed."""
        for p in self.procs:
            if self.kill_group:
                self._signal(p, signal.SIGKILL)
            self._signal(p, signal.SIGTERM, group=False)
        for p in self.procs:
            try:
                p.wait(timeout=STOP)
            except subprocess.TimeoutExpired:
                self._signal(p, signal.SIGKILL)
                p.wait(timeout=STOP)
            self._signal(p, signal.SIGTERM)  # children left in the group
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def _running(peer, start):
    try:
        start(peer)
        peer.wait_ready()
        yield peer
    finally:
        peer.stop()


# ---------------------------------------------------------------------------------- Postfix

POSTFIX_MAIN = """\
compatibility_level = 3.6
queue_directory = {d}/queue
data_directory = {d}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = {d}/maillog
maillog_file_prefixes = {d}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = localhost
mydomain = localdomain
myorigin = localhost
mydestination =
mynetworks = 127.0.0.1/32
relay_domains =
alias_maps =
alias_database =
local_recipient_maps =
default_transport = discard:certpick-test
smtpd_banner = $myhostname ESMTP certpick-test
smtpd_tls_chain_files = {key}, {chain}
smtpd_tls_CAfile = {ca}
smtpd_tls_security_level = may
smtpd_tls_ask_ccert = yes
smtpd_tls_req_ccert = no
smtpd_tls_fingerprint_digest = sha256
smtpd_tls_loglevel = 1
smtpd_tls_protocols = {protocols}
smtpd_tls_mandatory_protocols = {protocols}
relay_clientcerts = texthash:{d}/relay_clientcerts
smtpd_relay_restrictions = permit_tls_clientcerts, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_client_restrictions =
"""

# listener -> its smtpd options in master.cf
POSTFIX_LISTENERS = {
    "smtp": "",
    "smtps": "-o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt",
    "smtp_req": "-o smtpd_tls_security_level=encrypt -o smtpd_tls_req_ccert=yes",
    "smtp_all": "-o smtpd_relay_restrictions=permit_tls_all_clientcerts,"
                "reject_unauth_destination",
}

POSTFIX_MASTER = """\
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
"""

# what `postfix check` would create: sub-directory -> (owner, group, mode)
POSTFIX_QUEUE = dict({d: ("postfix", "root", 0o700) for d in (
    "active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private",
    "saved", "trace")}, maildrop=("postfix", "postdrop", 0o730),
    public=("postfix", "postdrop", 0o710), pid=("root", "root", 0o755))


def sha256_fingerprint(cert):
    """A certificate file's SHA-256 fingerprint, XX:XX:..., as relay_clientcerts lists it."""
    out = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-fingerprint", "-sha256"],
                         check=True, capture_output=True, text=True, timeout=60).stdout
    return out.strip().split("=", 1)[1]


@contextlib.contextmanager
def postfix(pki, tls="1.3", relay=("accepted",), listeners=POSTFIX_LISTENERS, files=None,
            ports=None):
    """Postfix smtpd (Debian 12: 3.7), its master run in the foreground (`master -d -c DIR`,
    queue, data and log under DIR). Listeners (Peer.ports):
      smtp      STARTTLS, smtpd_tls_ask_ccert=yes, relay by permit_tls_clientcerts
      smtps     the same in wrapper mode (implicit TLS, smtpd_tls_wrappermode=yes)
      smtp_req  STARTTLS mandatory (security_level=encrypt) with smtpd_tls_req_ccert=yes
      smtp_all  as smtp, relay by permit_tls_all_clientcerts (any certificate Postfix trusts)
    relay: the cases whose certificate's SHA-256 fingerprint relay_clientcerts lists
    (smtpd_tls_fingerprint_digest=sha256, a texthash: table). Nothing is delivered:
    default_transport = discard. No recipient domain is local: every RCPT is a relay.
    listeners: name -> smtpd options (default POSTFIX_LISTENERS, the four above); files:
    another PKI's {"chain", "key", "ca"} (relay then names certificate files in pki);
    ports: fixed ports by listener (else ephemeral). main() uses these for README.md.

    Observed (swaks --tls / curl --ssl-reqd --mail-from a@example.org --mail-rcpt
    b@example.net; TLS 1.2 and 1.3 alike):
      banner "220 localhost ESMTP certpick-test"; EHLO before TLS: 250-localhost,
        PIPELINING, SIZE 10240000, VRFY, ETRN, STARTTLS, ENHANCEDSTATUSCODES, 8BITMIME, DSN,
        SMTPUTF8, CHUNKING; STARTTLS -> "220 2.0.0 Ready to start TLS"; EHLO after TLS: the
        same without STARTTLS (no AUTH: no SASL configured, relay is by certificate only).
      all listeners: CertificateRequest with CA names O=certpick-test,CN=certpick Test Root A
        and ... Root B; every case completes the handshake (Postfix never fails it:
        ask_ccert and req_ccert both decide after it).
      smtp / smtps (permit_tls_clientcerts, relay=("accepted",)):
        accepted                   RCPT -> "250 2.1.5 Ok" (curl: DATA -> "250 2.0.0 Ok: queued
                                   as <id>", exit 0)
        none, untrusted, expired, wrongeku
                                   RCPT -> "554 5.7.1 <b@example.net>: Relay access denied"
                                   (curl exit 55 "RCPT failed: 554")
        Postfix matches the fingerprint only, trust is NOT required: with
        relay=("accepted", "untrusted", "expired", "wrongeku") all four relay (log
        "Untrusted TLS connection established from localhost[127.0.0.1]: TLSv1.3 ...",
        then "250 2.1.5 Ok").
      smtp_all (permit_tls_all_clientcerts): accepted -> 250 2.1.5 Ok; the others -> 554 5.7.1
        Relay access denied (wrong EKU and expiry make a certificate untrusted).
      smtp_req (smtpd_tls_req_ccert=yes): the handshake completes, then the answer to the
        EHLO after TLS is
          none                       "421 4.7.1 localhost Error: No client certificate presented"
          untrusted, expired, wrongeku "421 4.7.1 localhost Error: Client certificate not trusted"
          accepted                   the EHLO answer, and the message is relayed
        and the server closes the connection after the 421 (curl exit 56).
      Log (maillog): "Trusted TLS connection established from localhost[127.0.0.1]: TLSv1.3
        with cipher ..." for accepted, "Untrusted TLS connection ..." for the others,
        "Anonymous TLS connection ..." without a certificate.
    """
    def start(p):
        lines = ["127.0.0.1:%d inet n - n - - smtpd %s\n" % (
            p.port(k, (ports or {}).get(k)), opts) for k, opts in listeners.items()]
        protocols = ">=TLSv1.3" if p.tls == "1.3" else ">=TLSv1.2, <=TLSv1.2"
        p.write("main.cf", POSTFIX_MAIN.format(d=p.dir, key=p.server_key, chain=p.server_chain,
                                               ca=p.ca_file, protocols=protocols))
        p.write("master.cf", "".join(lines) + POSTFIX_MASTER)
        certs = [(p.leaves[c] + ".pem", c) if files is None else (p.pkifile(c), c)
                 for c in relay]
        p.write("relay_clientcerts", "".join("%s %s\n" % (sha256_fingerprint(cert), name)
                                             for cert, name in certs))
        p.mkdir("queue")
        for sub, (owner, group, mode) in POSTFIX_QUEUE.items():
            d = p.mkdir("queue/" + sub, mode=mode)
            os.chown(d, pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid)
        p.mkdir("data", owner="postfix", mode=0o700)
        p.log_files.append(p.path("maillog"))
        p.spawn(["/usr/lib/postfix/sbin/master", "-d", "-c", p.dir], "master")
    with _running(Peer("postfix", pki, tls, files), start) as p:
        yield p


# ---------------------------------------------------------------------------------- Dovecot

DOVECOT_CONF = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
instance_name = certpick-{name}
protocols = imap pop3
listen = 127.0.0.1
ssl = required
ssl_cert = <{chain}
ssl_key = <{key}
ssl_ca = <{ca}
ssl_verify_client_cert = yes
ssl_require_crl = no
ssl_min_protocol = TLSv{tls}
import_environment = TZ OPENSSL_CONF={openssl_conf}
auth_ssl_require_client_cert = {require}
auth_ssl_username_from_cert = yes
ssl_cert_username_field = commonName
auth_mechanisms = external
auth_verbose = yes
disable_plaintext_auth = yes
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:{d}/mail/%u
mail_uid = dovenull
mail_gid = nogroup
passdb {{
  driver = static
  args = nopassword=y
}}
userdb {{
  driver = static
  args = uid=dovenull gid=nogroup home={d}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3}
  }}
  inet_listener pop3s {{
    address = 127.0.0.1
    port = {pop3s}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
"""


@contextlib.contextmanager
def dovecot(pki, tls="1.3", require_cert=True):
    """Dovecot 2.3.19 IMAP and POP3, `dovecot -F -c DIR/dovecot.conf` (base_dir, state,
    log and mail under DIR; login processes as dovenull, mail as dovenull). Listeners:
    imap (STARTTLS), imaps (implicit), pop3 (STLS), pop3s (implicit). ssl = required,
    ssl_verify_client_cert = yes, auth_ssl_require_client_cert = require_cert,
    auth_ssl_username_from_cert = yes (commonName), auth_mechanisms = external, passdb
    static nopassword: the certificate's CN is the user, no password anywhere.

    Observed (curl --login-options AUTH=EXTERNAL -u <CN>: ; TLS 1.2 and 1.3 alike):
      every case completes the handshake (Dovecot asks, verifies, and only records the
      verdict for the SASL step); CertificateRequest CA names Root A and Root B.
      banner   "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+
               STARTTLS LOGINDISABLED AUTH=EXTERNAL] Dovecot (Debian) ready." (imaps: the
               same without STARTTLS) / "+OK Dovecot (Debian) ready."; CAPA lists
               "SASL EXTERNAL". EXTERNAL is offered before TLS too (and refused there).
      accepted IMAP "A004 AUTHENTICATE EXTERNAL cGVlci1vaw==" (base64 of the authzid
               "peer-ok") -> untagged "* CAPABILITY ..." then "A004 OK Logged in"
               POP3 "AUTH EXTERNAL" -> "+ " -> "cGVlci1vaw==" -> "+OK Logged in."
      none, untrusted, expired, wrongeku
               IMAP "A004 NO [ALERT] Client didn't present valid SSL certificate"
               POP3 "AUTH EXTERNAL" -> "-ERR [AUTH] Client didn't present valid SSL
               certificate" (at once, no "+ " continuation); curl exit 67.
               Log: auth "Client didn't present valid SSL certificate"; the login process
               says why: "Received invalid SSL certificate: unable to get local issuer
               certificate / certificate has expired / unsuitable certificate purpose", and
               "Disconnected: ... (client didn't send a cert)" / "(client sent an invalid cert)".
      curl's POP3 EXTERNAL without -u answers the "+ " continuation with "=", which Dovecot
      refuses: "-ERR [AUTH] Invalid base64 data in continued response" (give -u CN:).
      With an authzid other than the certificate's CN the login fails too.
    """
    def start(p):
        ports = {k: p.port(k) for k in ("imap", "imaps", "pop3", "pop3s")}
        p.mkdir("mail", owner="dovenull", mode=0o700)
        conf = p.write("dovecot.conf", DOVECOT_CONF.format(
            d=p.dir, name=os.path.basename(p.dir), chain=p.server_chain, key=p.server_key,
            ca=p.ca_file, tls=p.tls, openssl_conf=p.openssl_conf(),
            require="yes" if require_cert else "no", **ports))
        p.log_files.append(p.path("dovecot.log"))
        p.kill_group = True
        p.spawn(["dovecot", "-F", "-c", conf], "dovecot")
    with _running(Peer("dovecot", pki, tls), start) as p:
        yield p


# ---------------------------------------------------------------------------------- slapd

SLAPD_CONF = """\
include /etc/ldap/schema/core.schema
pidfile {d}/slapd.pid
argsfile {d}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile {ca}
TLSCertificateFile {chain}
TLSCertificateKeyFile {key}
TLSVerifyClient {verify}
TLSProtocolMin {proto_min}
TLSCipherSuite NORMAL:-VERS-ALL:+VERS-TLS{tls}
authz-regexp "^cn=([^,]+),o=certpick-test$" "uid=$1,ou=people,dc=certpick,dc=test"
database mdb
maxsize 10485760
suffix "dc=certpick,dc=test"
directory {d}/db
"""


@contextlib.contextmanager
def slapd(pki, tls="1.3", verify="demand"):
    """OpenLDAP slapd 2.5.13 (Debian: built with GnuTLS), `slapd -d 256 -f DIR/slapd.conf -h
    "ldap://127.0.0.1:P/ ldaps://127.0.0.1:Q/"` in the foreground as root, an empty mdb
    database in DIR. Listeners: ldap (StartTLS) and ldaps. TLSVerifyClient = verify
    (demand, try, allow, never); authz-regexp maps the certificate subject
    cn=<CN>,o=certpick-test to dn:uid=<CN>,ou=people,dc=certpick,dc=test (no entry needed).

    Observed with verify=demand (ldapwhoami -Y EXTERNAL [-ZZ], LDAPTLS_CERT/KEY/CACERT; the
    StartTLS extended operation itself always answers success, "RESULT oid= err=0"):
      accepted   "dn:uid=peer-ok,ou=people,dc=certpick,dc=test" (exit 0; log: BIND
                 authcid="cn=peer-ok,o=certpick-test" ... mech=EXTERNAL ... RESULT tag=97 err=0)
      wrongeku   ALSO accepted: "dn:uid=peer-servereku,ou=people,dc=certpick,dc=test"
                 (slapd with GnuTLS does not check the client certificate's EKU)
      none, untrusted, expired: slapd verifies after its side of the handshake and closes
        the connection WITHOUT an alert (openssl s_client -ign_eof: "New, TLSv1.x", then
        "unexpected eof while reading"); log "TLS: can't accept: <why>" then "closed (TLS
        negotiation failure)", <why> = none "No certificate was found." (1.2) / "Certificate
        is required." (1.3), expired "(unknown error code)". libldap does not even send
        peer-untrusted (its issuer is not among the CA names): untrusted = none for it.
        ldapwhoami says:
                   TLS 1.2 ldap -ZZ           TLS 1.2 ldaps / TLS 1.3 both
        none       ldap_start_tls: Connect    "Can't contact LDAP server (-1)", additional
                   error (-11), "The TLS       info "Error in the push function." (1.2);
                   connection was non-         1.3: "Unknown authentication method (-6)",
                   properly terminated."      "SASL(-4): no mechanism available:" (exit 250)
        untrusted  as none                    1.3: "Local error (-2)" (exit 254)
        expired    "SASL/EXTERNAL authentication started", "ldap_sasl_interactive_bind:
                   Can't contact LDAP server (-1)" (exit 255), both versions
    CertificateRequest CA names: Root A and Root B.
    With verify=try: no certificate -> the handshake completes, `ldapwhoami -x` says
    "anonymous"; accepted as above.
    """
    def start(p):
        ldap, ldaps = p.port("ldap"), p.port("ldaps")
        p.mkdir("db", mode=0o700)
        conf = p.write("slapd.conf", SLAPD_CONF.format(
            d=p.dir, ca=p.ca_file, chain=p.server_chain, key=p.server_key, verify=verify,
            tls=p.tls, proto_min="3.4" if p.tls == "1.3" else "3.3"))
        p.spawn(["slapd", "-d", "256", "-f", conf, "-h",
                 "ldap://127.0.0.1:%d/ ldaps://127.0.0.1:%d/" % (ldap, ldaps)], "slapd")
    with _running(Peer("slapd", pki, tls), start) as p:
        yield p


# ---------------------------------------------------------------------------------- vsftpd

VSFTPD_CONF = """\
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port={port}
background=NO
anonymous_enable=YES
no_anon_password=YES
anon_root={d}/anon
local_enable=NO
write_enable=NO
secure_chroot_dir={d}/empty
pasv_enable=YES
pasv_address=127.0.0.1
port_enable=NO
xferlog_enable=YES
xferlog_std_format=NO
vsftpd_log_file={d}/{label}.log
log_ftp_protocol=YES
syslog_enable=NO
seccomp_sandbox=NO
ssl_enable=YES
ssl_tlsv1=YES
ssl_sslv2=NO
ssl_sslv3=NO
rsa_cert_file={chain}
rsa_private_key_file={key}
ssl_ciphers=HIGH
allow_anon_ssl=YES
force_anon_logins_ssl=YES
force_anon_data_ssl=YES
require_ssl_reuse=NO
ssl_request_cert=YES
require_cert={require}
validate_cert={require}
ca_certs_file={ca}
debug_ssl=YES
implicit_ssl={implicit}
"""


@contextlib.contextmanager
def vsftpd(pki, tls="1.3", require_cert=True):
    """vsftpd 3.0.3, two processes (`vsftpd DIR/ftp.conf`, `vsftpd DIR/ftps.conf`, background=NO,
    TLS version pinned through OPENSSL_CONF). Listeners: ftp (explicit, AUTH TLS) and ftps
    (implicit_ssl=YES). ssl_enable, ssl_request_cert=YES, require_cert and validate_cert =
    require_cert, ca_certs_file = Root A + B. Login policy: anonymous only (no password,
    anon_root DIR/anon holding hello.txt with "hello\\n"); any other user is refused with
    "530 This FTP server is anonymous only." -- a login refusal, after TLS, that a
    certificate refusal (a TLS alert, before any login) cannot be confused with.

    Observed (curl -v --ssl-reqd ftp://.../hello.txt and ftps://...):
      explicit: "220 (vsFTPd 3.0.3)", curl's "AUTH SSL" -> "234 Proceed with negotiation.";
      then the handshake decides: vsftpd sends a fatal alert and closes the connection
      (log "SSL_accept failed: ... peer did not return a certificate" / "certificate verify
      failed"). What curl -v shows ("* TLSv1.x (IN), TLS alert, ...") and its exit status:
                   TLS 1.2 (in the handshake)       TLS 1.3 (on the first read after it)
        none       handshake failure (552), 35      unknown (628) = certificate_required, 56
        untrusted  unknown CA (560), 35             unknown CA (560), 56
        expired    certificate expired (557), 60    certificate expired (557), 56
                   (curl then says "SSL certificate verification failed", as if its own)
        wrongeku   unsupported certificate (555), 35  unsupported certificate (555), 56
        accepted   "230 Login successful." (anonymous), the file is transferred, exit 0
      accepted with -u someone:secret -> "530 This FTP server is anonymous only." (exit 67)
      implicit (ftps): the same alerts, no banner before TLS.
    CertificateRequest CA names: Root A and Root B.
    """
    def start(p):
        p.mkdir("empty")
        p.mkdir("anon")
        p.write("anon/hello.txt", "hello\n")
        env = {"OPENSSL_CONF": p.openssl_conf()}
        for label, implicit in (("ftp", "NO"), ("ftps", "YES")):
            conf = p.write(label + ".conf", VSFTPD_CONF.format(
                d=p.dir, port=p.port(label), label=label, chain=p.server_chain, key=p.server_key,
                ca=p.ca_file, implicit=implicit, require="YES" if require_cert else "NO"),
                mode=0o600)
            p.log_files.append(p.path(label + ".log"))
            p.spawn(["vsftpd", conf], label, env=env)
    with _running(Peer("vsftpd", pki, tls), start) as p:
        yield p


# ---------------------------------------------------------------------------------- Prosody

PROSODY_CONF = """\
pidfile = "{d}/prosody.pid"
data_path = "{d}/data"
run_as_root = true
log = {{ {{ levels = {{ min = "debug" }}, to = "file", filename = "{d}/prosody.log" }} }}
interfaces = {{ "127.0.0.1" }}
local_interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {port} }}
c2s_direct_tls_ports = {{ }}
legacy_ssl_ports = {{ }}
s2s_ports = {{ }}
component_ports = {{ }}
http_ports = {{ }}
https_ports = {{ }}
plugin_paths = {{ "/usr/lib/prosody/modules" }}
modules_enabled = {{ "roster"; "saslauth"; "tls"; "disco"; "ping" }}
modules_disabled = {{ "s2s"; "offline"; "c2s_limits" }}
c2s_require_encryption = true
authentication = "ccert"
certificate_match = "xmppaddr"
ssl = {{
  certificate = "{chain}";
  key = "{key}";
}}
c2s_ssl = {{
  certificate = "{chain}";
  key = "{key}";
  cafile = "{ca}";
  capath = false;
  verify = {{ "peer"; "client_once" }};
  verifyext = {{ lsec_ignore_purpose = false }};
  protocol = "tlsv{proto}";
}}
VirtualHost "localhost"
"""


@contextlib.contextmanager
def prosody(pki, tls="1.3"):
    """Prosody 0.12 with mod_auth_ccert (Debian package prosody-modules):
    `prosody -F --config DIR/prosody.cfg.lua`, data, pid and log in DIR, run_as_root.
    Listener: xmpp (c2s, STARTTLS, c2s_require_encryption), host "localhost".
    authentication = "ccert", certificate_match = "xmppaddr": the user is the
    certificate's xmppAddr otherName (pki.PEER_LEAVES: <name>@localhost).
    c2s_ssl verify = peer, client_once (asks, lsec_continue: never fails the handshake),
    verifyext lsec_ignore_purpose = false: Prosody's default verifies client certificates
    as server certificates (a clientAuth-only certificate then fails "unsuitable
    certificate purpose" and a serverAuth one passes); the module's README sets it false.
    Before TLS the features are only <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>
    <required/></starttls>, and an <auth> there gets <failure ...><encryption-required/>.

    Observed (openssl s_client -starttls xmpp -xmpphost localhost, then a new stream and
    <auth mechanism='EXTERNAL'>=</auth>; TLS 1.2 and 1.3):
      every case completes the handshake; the CertificateRequest names NO CA ("No client
      certificate CA names sent": LuaSec never sets a client CA list).
      features after TLS: <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>
        <mechanism>EXTERNAL</mechanism></mechanisms>  (EXTERNAL is the only mechanism)
      accepted   <success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>
      none       <failure ...><account-disabled/></failure>  (log "No certificate provided")
      untrusted  <failure ...><account-disabled/></failure>  (log "Invalid client
                 certificate chain", "unable to get local issuer certificate")
      wrongeku   <failure ...><account-disabled/></failure>  ("unsuitable certificate purpose")
      expired    <false xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>  (log "Client certificate
                 expired"; an invalid element: mod_auth_ccert returns "expired", which
                 util.sasl.external maps to the condition name "false")
    """
    def start(p):
        p.mkdir("data", mode=0o700)
        conf = p.write("prosody.cfg.lua", PROSODY_CONF.format(
            d=p.dir, port=p.port("xmpp"), chain=p.server_chain, key=p.server_key,
            ca=p.ca_file, proto=p.tls.replace(".", "_")))
        p.log_files.append(p.path("prosody.log"))
        p.spawn(["prosody", "-F", "--config", conf], "prosody")
    with _running(Peer("prosody", pki, tls), start) as p:
        yield p


PEERS = {"postfix": postfix, "dovecot": dovecot, "slapd": slapd, "vsftpd": vsftpd,
         "prosody": prosody}


# ---------------------------------------------------------------------------------- README

README_LISTENERS = {
    "noask": "-o smtpd_tls_ask_ccert=no",	# as Postfix is installed: it never asks
    "ask": "",					# smtpd_tls_ask_ccert = yes (main.cf)
}


def main(argv):
    """peers.py postfix ADDR:PORT ADDR:PORT2: a throwaway Postfix relay on the current
    folder's demo PKI (`certpick demo --keep`: server-chain.pem, server.key, root.pem),
    relaying only for alice.pem's certificate (permit_tls_clientcerts, its SHA-256
    fingerprint in relay_clientcerts). On PORT smtpd_tls_ask_ccert = no (Postfix's
    default: it never asks for a certificate), on PORT2 yes. Prints "ready" when both
    listen, runs until interrupted. README.md starts one."""
    import sys
    if len(argv) != 4 or argv[1] != "postfix" or not all(":" in a for a in argv[2:]):
        sys.exit("usage: peers.py postfix 127.0.0.1:PORT 127.0.0.1:PORT2   (as root, in a "
                 "certpick demo folder)")
    ports = dict(zip(README_LISTENERS, (int(a.rsplit(":", 1)[1]) for a in argv[2:])))
    with postfix(os.getcwd(), tls="1.3", relay=("alice.pem",), listeners=README_LISTENERS,
                 files={"chain": "server-chain.pem", "key": "server.key", "ca": "root.pem"},
                 ports=ports):
        serve_until_signal()


if __name__ == "__main__":
    import sys
    main(sys.argv)
