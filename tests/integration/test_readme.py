"""Every example in README.md runs, and prints what the README shows.

The README's setup block (the one that starts `certpick serve`) is replayed:
the demo PKI is made with `certpick demo --keep`, and each `certpick serve`
line is started on an ephemeral port standing in for the README's port, as
are the throwaway peers (`db_peers.py postgres`, `peers.py postfix`). Then
each ```sh block followed by an output block runs in that folder (stdout and
stderr together) and its output is compared after masking what changes from
run to run: hashes, dates, ports, temporary paths.

Regenerate the outputs after a deliberate change:
  /usr/bin/python3 tests/integration/test_readme.py   (rewrites README.md)
"""
import os
import re
import select
import shlex
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conftest import CERTPICK, ROOT, Procs, free_port, wait_port  # noqa: E402

README = os.path.join(ROOT, "README.md")
BLOCK = re.compile(r"```(\w*)\n(.*?)```\n", re.S)


def blocks(text):
    """[(lang, body, start, end)] of every fenced block."""
    return [(m.group(1), m.group(2), m.start(2), m.end(2)) for m in BLOCK.finditer(text)]


def examples(text):
    """(command, expected, (start, end) of the expected text) for sh blocks with output."""
    bl = blocks(text)
    out = []
    for i, (lang, body, _, _) in enumerate(bl[:-1]):
        nxt = bl[i + 1]
        between = text[bl[i][3]:nxt[2]]
        if lang == "sh" and nxt[0] == "text" and between.strip() == "```\n\n```text".strip():
            out.append((body, nxt[1], (nxt[2], nxt[3])))
    return out


def setup_block(text):
    for lang, body, _, _ in blocks(text):
        if lang == "sh" and "certpick serve" in body:
            return body
    raise AssertionError("README has no setup block starting certpick serve")


class Env:
    """The demo PKI and the README's servers on ephemeral ports."""

    def __init__(self, tmp, procs):
        self.dir = os.path.join(tmp, "pki")
        self.ports = {}
        subprocess.run([CERTPICK, "demo", "--keep", self.dir], check=True, timeout=120,
                       stdout=subprocess.DEVNULL, env=dict(os.environ, NO_COLOR="1"))
        for line in setup_block(open(README).read()).splitlines():
            if re.search(r"\b(db_)?peers\.py ", line):
                self.start_peer(line, procs)
                continue
            if "user_pc.py" in line:
                self.make_user_capture(line)
                continue
            if not line.startswith("certpick serve"):
                continue
            line = line.replace("2>/dev/null", "").rstrip(" &")
            readme_port = re.search(r"127\.0\.0\.1:(\d+)", line).group(1)
            port = self.ports.setdefault(readme_port, str(free_port()))
            argv = shlex.split(line.replace("127.0.0.1:" + readme_port, "127.0.0.1:" + port))
            p = procs.start([CERTPICK] + argv[1:], cwd=self.dir)
            wait_port(int(port), proc=p)

    def start_peer(self, line, procs):
        """A throwaway peer of the README (db_peers.py postgres, peers.py postfix), each of
        its 127.0.0.1:PORT on an ephemeral port; it prints "ready" when usable."""
        argv = shlex.split(line.replace("2>/dev/null", "").rstrip(" &"))
        for i, arg in enumerate(argv):
            m = re.fullmatch(r"127\.0\.0\.1:(\d+)", arg)
            if m:
                argv[i] = "127.0.0.1:" + self.ports.setdefault(m.group(1), str(free_port()))
        script = os.path.join(ROOT, "tests", "integration", os.path.basename(argv[1]))
        p = procs.start(["/usr/bin/python3", script] + argv[2:], cwd=self.dir,
                        stdout=subprocess.PIPE)
        ready, _, _ = select.select([p.stdout], [], [], 120)
        assert ready and p.stdout.readline().strip() == b"ready", "%s: not ready" % line

    def make_user_capture(self, line):
        """The README's stand-in for a user's PC (user_pc.py, after the servers):
        user-pc.pcapng and keys.log of one request to the server it names."""
        readme_port = re.search(r"127\.0\.0\.1:(\d+)", line).group(1)
        port = self.ports[readme_port]
        p = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests", "integration",
                                                             "user_pc.py"),
                            "127.0.0.1:" + port], cwd=self.dir, capture_output=True,
                           timeout=180, env=dict(os.environ, CERTPICK=CERTPICK))
        assert p.stdout.strip() == b"ready", "user_pc.py: " + p.stderr.decode()

    def run(self, cmd):
        for readme_port, port in self.ports.items():
            cmd = cmd.replace(":" + readme_port, ":" + port)
        env = dict(os.environ, NO_COLOR="1",
                   PATH=os.path.dirname(CERTPICK) + os.pathsep + os.environ["PATH"])
        p = subprocess.run(["sh", "-c", cmd], cwd=self.dir, env=env, capture_output=True,
                           text=True, timeout=120)
        out = p.stdout + p.stderr
        for readme_port, port in self.ports.items():
            out = out.replace(":" + port, ":" + readme_port)
        return out


def normalize(s):
    s = re.sub(r"\b[0-9a-f]{16,}\b", "HEX", s)
    s = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "DATE", s)
    s = re.sub(r"/tmp/[\w./-]+", "TMP", s)
    s = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", s)
    return "\n".join(ln.rstrip() for ln in s.strip().splitlines())


README_TEXT = open(README).read()
EXAMPLES = examples(README_TEXT)


def test_readme_has_examples():
    assert len(EXAMPLES) >= 6


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    procs = Procs()
    try:
        yield Env(str(tmp_path_factory.mktemp("readme")), procs)
    finally:
        procs.stop_all()


@pytest.mark.parametrize("cmd,expected", [(c, e) for c, e, _ in EXAMPLES],
                         ids=[c.splitlines()[-1][:60] for c, _, _ in EXAMPLES])
def test_example(env, cmd, expected):
    assert normalize(env.run(cmd)) == normalize(expected)


def test_quick_start_is_two_commands():
    qs = README_TEXT.split("## Quick start", 1)[1].split("## ", 1)[0]
    cmds = [b for lang, b, _, _ in blocks(qs) if lang == "sh"]
    assert len(cmds) == 1
    assert [ln.split("#")[0].strip() for ln in cmds[0].strip().splitlines()] == [
        "make demo", "make check"]


def regenerate():
    import tempfile
    procs = Procs()
    try:
        env = Env(tempfile.mkdtemp(prefix="readme-"), procs)
        text = README_TEXT
        for cmd, _, (start, end) in reversed(EXAMPLES):
            text = text[:start] + env.run(cmd) + text[end:]
        with open(README, "w") as f:
            f.write(text)
    finally:
        procs.stop_all()


if __name__ == "__main__":
    regenerate()
