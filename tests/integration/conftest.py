"""Shared fixtures for the integration suite.

Every test talks to real programs (certpick itself, nginx, apache2, openssl
s_server/s_client, gnutls-serv/gnutls-cli, curl, NSS tools, Go, Java,
Chromium) on 127.0.0.1 / ::1 only, on ephemeral ports, bounded in time, and
cleans up after itself. Nothing here mocks a peer.

No test relies on timing: what a test needs to have happened (a port open, N
connections accepted, a log line written, a process gone) it waits for with
wait_for, which polls that state and, past its deadline, fails saying what it
waited for and what it last saw. A sleep is only ever the pause of such a poll,
or a hostile peer's deliberate idling. Every program the tests use is installed
by scripts/deps.sh: a missing one fails the test (need), it is never skipped.

Markers:
  asan   also run against the ASan+UBSan build (tests/run-all.sh asan)
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest

ROOT = os.environ.get("CERTPICK_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
CERTPICK = os.environ.get("CERTPICK") or os.path.join(ROOT, "build", "certpick")
DATA = os.path.join(ROOT, "tests", "data")


def pytest_configure(config):
    config.addinivalue_line("markers", "asan: also run against the sanitizer build")
    config.addinivalue_line("markers", "slow: long-running test")
    # A run stopped by SIGTERM (kill, timeout(1), CI) ends like Ctrl-C: the fixtures'
    # teardowns stop the servers and clients they started (each in its own session).
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    """An ephemeral port that is free right now on host."""
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _shown(v, n=2000):
    r = repr(v)
    return r if len(r) <= n else r[:n // 2] + " ... " + r[-n // 2:]


def serve_until_signal():
    """A runnable peer script (peers.py, db_peers.py), its servers up: say "ready" on stdout
    (what test_readme.py waits for) and keep them until SIGTERM or Ctrl-C."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print("ready", flush=True)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass


def wait_for(what, get, until=bool, timeout=30.0, interval=0.05, proc=None):
    """Poll get() until until(value) holds and return that value. No test waits
    by sleeping "long enough": it waits for the state it needs, here. The
    deadline only bounds a hang: past it (or once proc has exited) this raises
    an AssertionError that names what was awaited and the last value seen. An
    OSError from get() is a value seen (a port that refuses, a /proc entry gone)."""
    __tracebackhide__ = True
    deadline = time.monotonic() + timeout
    while True:
        try:
            seen = get()
        except OSError as e:
            seen = e
        else:
            if until(seen):
                return seen
        if proc is not None and proc.poll() is not None:
            raise AssertionError("waiting for %s: the process exited with %s; last seen: %s"
                                 % (what, proc.returncode, _shown(seen)))
        if time.monotonic() >= deadline:
            raise AssertionError("waited %g s for %s; last seen: %s"
                                 % (timeout, what, _shown(seen)))
        time.sleep(interval)


def wait_port(port, host="127.0.0.1", timeout=30.0, proc=None):
    """Wait until something accepts TCP connections on host:port."""
    def connect():
        with socket.create_connection((host, port), timeout=0.5):
            return True
    wait_for("something to listen on %s:%d" % (host, port), connect, timeout=timeout, proc=proc)


def other_policy_files(policy_dir, own):
    """The files in Chromium's (machine-global) policy folder other than own. A test
    run killed before its teardown leaves its file behind; such a file names its
    run's PID (certpick-select-PID, certpick-test-PID-N): when that process is gone,
    the file is removed here instead of blocking every later run."""
    out = []
    for f in sorted(os.listdir(policy_dir)):
        path = os.path.join(policy_dir, f)
        if path == own:
            continue
        m = re.search(r"certpick-(?:select|test)-(\d+)", f)
        if m and not _alive(int(m.group(1))):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            continue
        out.append(path)
    return out


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def need(*progs):
    """Fail, not skip, when a program (or file, given by absolute path) the tests
    use is missing: scripts/deps.sh installs every one of them."""
    missing = [p for p in progs
               if not (os.path.exists(p) if os.path.isabs(p) else shutil.which(p))]
    if missing:
        pytest.fail("missing: %s; scripts/deps.sh installs everything the tests use "
                    "(`scripts/deps.sh check` says what is absent)" % ", ".join(missing),
                    pytrace=False)


class Run:
    """Result of running certpick: rc, out, err."""

    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def __repr__(self):
        return "Run(rc=%r, out=%r, err=%r)" % (self.rc, self.out[:2000], self.err[:2000])


VALGRIND = os.environ.get("CERTPICK_VALGRIND") == "1"
# Under ASan+UBSan, RSS includes shadow memory and the free quarantine: memory
# bounds asserted by tests are scaled by this factor (still bounded).
ASAN = "build-asan" in CERTPICK
MEM_FACTOR = 8 if ASAN else 1
VALGRIND_ERROR = 99


def certpick_argv(*args):
    """argv that runs the certpick under test (under valgrind for make check-valgrind)."""
    if VALGRIND:
        return ["valgrind", "-q", "--error-exitcode=%d" % VALGRIND_ERROR, "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect", "--show-leak-kinds=definite,indirect",
                CERTPICK, *args]
    return [CERTPICK, *args]


def run_certpick(*args, env=None, input=None, timeout=60, cwd=None):
    """Run the certpick binary under test; never hangs past timeout."""
    e = dict(os.environ)
    e["NO_COLOR"] = "1"
    if env:
        e.update(env)
    if VALGRIND:
        timeout *= 10
    p = subprocess.run(certpick_argv(*args), capture_output=True, text=True, env=e,
                       input=input, timeout=timeout, cwd=cwd)
    assert p.returncode != VALGRIND_ERROR or not VALGRIND, "valgrind: " + p.stderr[-3000:]
    return Run(p.returncode, p.stdout, p.stderr)


@pytest.fixture
def certpick():
    return run_certpick


class Procs:
    """Starts background programs and kills their process groups at teardown."""

    def __init__(self):
        self.procs = []

    def start(self, argv, **kw):
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.DEVNULL)
        kw.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.Popen(argv, start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(timeout=5)


@pytest.fixture
def procs():
    ps = Procs()
    yield ps
    ps.stop_all()


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"


def softhsm_token(tmp, pki):
    """A SoftHSM2 token 'cptest' (PIN 1234) under tmp: alice's key and
    certificate (id 01), carol's certificate without its key (id 02).
    Returns (SOFTHSM2_CONF path, PKCS#11 URI with the module path)."""
    need(SOFTHSM, "softhsm2-util", "p11tool")
    conf = os.path.join(tmp, "softhsm2.conf")
    os.makedirs(os.path.join(tmp, "tokens"))
    with open(conf, "w") as f:
        f.write("directories.tokendir = %s/tokens\nobjectstore.backend = file\n" % tmp)
    env = dict(os.environ, SOFTHSM2_CONF=conf, GNUTLS_PIN="1234")

    def run(*argv):
        subprocess.run(argv, check=True, capture_output=True, env=env, timeout=60)

    run("softhsm2-util", "--init-token", "--free", "--label", "cptest", "--pin", "1234",
        "--so-pin", "5678")
    key8 = os.path.join(tmp, "alice.p8")
    run("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", os.path.join(pki, "alice.key"),
        "-out", key8)
    run("softhsm2-util", "--import", key8, "--token", "cptest", "--label", "alice", "--id", "01",
        "--pin", "1234")
    for name, oid in [("alice", "01"), ("carol", "02")]:
        run("p11tool", "--provider", SOFTHSM, "--login", "--write", "--load-certificate",
            os.path.join(pki, name + ".pem"), "--label", name, "--id", oid, "pkcs11:token=cptest")
    return conf, "pkcs11:token=cptest;module-path=" + SOFTHSM


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """One test PKI per test session (tests/integration/pki.py)."""
    import pki as pkimod
    d = str(tmp_path_factory.mktemp("pki"))
    pkimod.make_pki(d)
    return d
