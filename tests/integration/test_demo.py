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
    for n in range(1, 8):
        assert "\nStep %d. " % n in out
    assert "HTTP 200 OK" in out
    # the story real clients tell against this server (TLS 1.3 PHA on /secure):
    # browsers, Go, Java, NSS, GnuTLS, s_client are never asked; curl, Python are
    rows = {ln.split()[1] if ln.startswith("*") else ln.split()[0]: ln
            for ln in out.split("client     asked", 1)[1].split("\n\n", 1)[0].splitlines()[1:]}
    for c in ("windows", "chrome", "chrome-mac", "chrome-win", "firefox", "nss", "java",
              "java-pkix", "go", "gnutls", "openssl"):
        assert "never: no PHA" in rows[c] and "nothing (never asked)" in rows[c], rows[c]
    for c in ("curl", "python"):
        assert rows[c].split()[2] == "yes" and "CN=alice" in rows[c], rows[c]
    assert "get as Chrome: a browser is never asked" in out
    assert "chrome sent no certificate: never asked" in out
    assert "never-asked-pha" in out
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
    assert titles == ["check", "serve", "probe", "select", "get", "get", "get"]
    assert lines[2]["result"]["client_auth"] == "required"
    by = {c["client"]: c for c in lines[3]["result"]}
    assert by["chrome"]["request"]["phase"] == "post_handshake"
    assert not by["chrome"]["asked"]["receives"]
    assert by["chrome"]["outcome"]["kind"] == "never-asked"
    assert by["chrome"]["outcome"]["id"] == "never-asked-pha"
    assert by["chrome"]["if_asked"]["subject"] == "CN=alice,O=certpick test"
    assert by["curl"]["outcome"]["kind"] == "sends" and by["curl"]["asked"]["receives"]
    # as Chrome: never asked, 403.7; as curl: 200; expired: 403.17
    assert lines[4]["result"]["status"] == 403
    assert lines[4]["result"]["selection"]["outcome"]["kind"] == "never-asked"
    assert lines[5]["result"]["status"] == 200
    assert lines[6]["result"]["status"] == 403
    assert lines[-1] == {"schema": 1, "step": "summary", "ok": True, "kept": None}


def test_usage(certpick):
    assert certpick("demo", "--bogus").rc == 2
    assert certpick("demo", "extra").rc == 2
    r = certpick("demo", "--help")
    assert r.rc == 0 and r.out.startswith("usage: certpick demo")
