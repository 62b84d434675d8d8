"""certpick demo: the whole story offline, exit 0; two at once both work."""
import json
import os
import subprocess

import pytest

from conftest import certpick_argv


def start_demo(*args):
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.Popen(certpick_argv("demo", *args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def check_story(out):
    for n in range(1, 7):
        assert "\nStep %d. " % n in out
    assert "HTTP 200 OK" in out
    assert "HTTP 403 Forbidden" in out
    assert "expired" in out
    assert "demo ran as expected" in out


@pytest.mark.asan
def test_two_demos_at_once():
    a, b = start_demo(), start_demo()
    outs = [p.communicate(timeout=120) for p in (a, b)]
    assert a.returncode == 0, outs[0]
    assert b.returncode == 0, outs[1]
    for out, _ in outs:
        check_story(out)
    # each picked its own port
    ports = [o.split("serving https://127.0.0.1:", 1)[1].split("/", 1)[0] for o, _ in outs]
    assert ports[0] != ports[1]


def test_keep_and_cleanup(tmp):
    keep = os.path.join(tmp, "pki")
    p = start_demo("--keep", keep)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert "files kept in " + keep in out
    for f in ("root.pem", "alice.key", "erin-expired-chain.pem", "server.pem"):
        assert os.path.exists(os.path.join(keep, f))
    # without --keep the temporary folder is gone
    p = start_demo()
    out, err = p.communicate(timeout=120)
    d = out.split("throwaway PKI in ", 1)[1].split("\n", 1)[0]
    assert not os.path.exists(d)


def test_json_steps():
    p = start_demo("--json")
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    lines = [json.loads(ln) for ln in out.splitlines()]
    assert all(o["schema"] == 1 for o in lines)
    titles = [o["title"] for o in lines[:-1]]
    assert titles == ["check", "serve", "probe", "select", "get", "get"]
    assert lines[2]["result"]["client_auth"] == "required"
    assert lines[4]["result"]["status"] == 200
    assert lines[5]["result"]["status"] == 403
    assert lines[-1] == {"schema": 1, "step": "summary", "ok": True, "kept": None}


def test_usage(certpick):
    assert certpick("demo", "--bogus").rc == 2
    assert certpick("demo", "extra").rc == 2
    r = certpick("demo", "--help")
    assert r.rc == 0 and r.out.startswith("usage: certpick demo")
