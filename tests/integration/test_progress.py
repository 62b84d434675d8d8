"""The progress line of select and check, and probe --targets' bar (issue 16):
on standard error only when it is a terminal, never when it is piped, never
on standard output.
CERTPICK_PROGRESS_AFTER_MS=0 shows it from the first file instead of after a
second, so no test depends on how long loading takes."""
import json
import os
import pty
import shutil
import subprocess

from conftest import DATA, certpick_argv

PROGRESS = b"certpick: loading:"


def _folder(tmp_path):
    d = tmp_path / "ids"
    d.mkdir()
    for f in ("leaf-chain.pem", "int.pem"):
        shutil.copy(os.path.join(DATA, "candidate", f), d / f)
    return str(d)


def _env():
    return dict(os.environ, NO_COLOR="1", CERTPICK_PROGRESS_AFTER_MS="0")


def _commands(d):
    return [["check", "--json", "--trust", os.path.join(DATA, "candidate", "int.pem"), d],
            ["select", "--client", "chrome", "--json", d]]


def _on_a_terminal(argv):
    """Run with standard error on a pseudo-terminal; (exit code, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL,
                           env=_env(), timeout=60)
    finally:
        os.close(slave)
    seen = b""
    try:
        while True:
            chunk = os.read(master, 65536)  # EIO once the child's side is closed and drained
            if not chunk:
                break
            seen += chunk
    except OSError:
        pass
    finally:
        os.close(master)
    return p.returncode, p.stdout, seen


def test_no_progress_line_when_stderr_is_piped(tmp_path):
    d = _folder(tmp_path)
    for args in _commands(d):
        p = subprocess.run(certpick_argv(*args), capture_output=True, env=_env(), timeout=60)
        assert PROGRESS not in p.stderr, (args, p.stderr)
        assert b"\r" not in p.stderr and b"\x1b[" not in p.stderr, (args, p.stderr)
        assert json.loads(p.stdout)["schema"] == 1, args


def test_progress_line_on_a_terminal_only_on_stderr_and_cleared(tmp_path):
    d = _folder(tmp_path)
    for args in _commands(d):
        rc, out, tty = _on_a_terminal(certpick_argv(*args))
        assert PROGRESS in tty, (args, tty)
        assert tty.endswith(b"\r\x1b[K"), (args, tty)  # the line is erased at the end
        assert PROGRESS not in out and b"\x1b[" not in out, args
        doc = json.loads(out)
        assert doc["schema"] == 1, args
        piped = subprocess.run(certpick_argv(*args), capture_output=True, env=_env(), timeout=60)
        assert rc == piped.returncode, (args, rc, piped.returncode)
        if args[0] == "select":
            assert out == piped.stdout, args


def _targets(tmp_path):
    """Targets that fail at once, without a server: closed ports on loopback."""
    f = tmp_path / "targets.txt"
    f.write_text("# nothing listens on these\n127.0.0.1:1\n127.0.0.1:2\n[::1]:3\n")
    return certpick_argv("probe", "--targets", str(f), "--json", "--order", "input", "-j", "2",
                         "--timeout", "5")


def _probed(out):
    return [json.loads(line)["target"] for line in out.decode().splitlines()]


def test_probe_targets_progress_on_a_terminal_only(tmp_path):
    """probe --targets: the bar ("[###...] done/total  N failed") goes to a terminal
    on stderr and is erased at the end; piped, stderr has none of it, and the
    JSON lines on stdout are the same either way."""
    argv = _targets(tmp_path)
    piped = subprocess.run(argv, capture_output=True, env=_env(), timeout=60)
    assert b"\r" not in piped.stderr and b"\x1b[" not in piped.stderr, piped.stderr
    assert _probed(piped.stdout) == ["127.0.0.1:1", "127.0.0.1:2", "[::1]:3"]
    rc, out, tty = _on_a_terminal(argv)
    assert b"] 3/3  3 failed" in tty, tty
    assert tty.endswith(b"\r\x1b[K"), tty
    assert b"\x1b[" not in out and b"\r" not in out
    assert _probed(out) == _probed(piped.stdout)
    assert rc == piped.returncode == 3
