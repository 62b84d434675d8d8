"""The command table, global flags, exit codes."""
import pytest


@pytest.mark.asan
def test_version(certpick):
    r = certpick("--version")
    assert r.rc == 0
    assert r.out.startswith("certpick ")


@pytest.mark.asan
def test_help_lists_commands(certpick):
    r = certpick("--help")
    assert r.rc == 0
    assert "check" in r.out


def test_no_command_is_usage(certpick):
    r = certpick()
    assert r.rc == 2
    assert "usage:" in r.err


def test_unknown_command(certpick):
    r = certpick("frobnicate")
    assert r.rc == 2
    assert "unknown command 'frobnicate'" in r.err


def test_unknown_global_option(certpick):
    r = certpick("--bogus")
    assert r.rc == 2
    assert "unknown option '--bogus'" in r.err


def test_help_command(certpick):
    r = certpick("help", "check")
    assert r.rc == 0
    assert r.out.startswith("usage: certpick check")


NEAR_MISSES = ["--passw=hunter2", "--passwd=hunter2", "--pasword=hunter2", "--Password=hunter2",
               "--password-=hunter2", "--pi=1234"]


@pytest.mark.asan
@pytest.mark.parametrize("command", ["check", "get", "select", "probe", "serve", "demo", None])
def test_unknown_option_value_not_echoed(certpick, command):
    """F18: an unknown option is named without what follows '=': a near miss of
    --password=VALUE must not put the value into a CI log."""
    for opt in NEAR_MISSES:
        args = [opt, "check"] if command is None else [command, opt, "x"]
        r = certpick(*args)
        assert r.rc == 2, r
        name, value = opt.split("=", 1)
        assert "unknown option '%s'" % name in r.err, r
        assert value not in r.err + r.out, r


@pytest.mark.asan
def test_option_missing_value_named(certpick):
    r = certpick("get", "https://localhost/", "--timeout")
    assert r.rc == 2 and "option '--timeout' needs a value" in r.err, r


@pytest.mark.asan
@pytest.mark.parametrize("listen", ["127.0.0.1:99999", "127.0.0.1:65536", "[::1]:100000",
                                    "127.0.0.1:-1", "127.0.0.1:", "127.0.0.1:8x"])
def test_serve_listen_port_range(certpick, listen):
    """F19: a port out of range is a usage error, not a listener on port % 65536."""
    r = certpick("serve", "--listen", listen)
    assert r.rc == 2, r
    assert "bad --listen" in r.err


@pytest.mark.asan
@pytest.mark.parametrize("at", ["2030-02-30", "2031-02-29", "2030-04-31", "2030-06-31T00:00:00Z",
                                "2030-13-01", "2030-01-32"])
def test_at_date_that_does_not_exist(certpick, pki, at):
    """F19: timegm would make 2030-02-30 March 2; a date that does not exist is refused."""
    cert = pki + "/alice.pem"
    r = certpick("check", "--at", at, cert)
    assert r.rc == 2, r
    assert "bad --at" in r.err
    r = certpick("select", "--at", at, "--ca-names", cert, cert)
    assert r.rc == 2, r


@pytest.mark.asan
def test_at_date_that_exists(certpick, pki):
    assert certpick("check", "--at", "2028-02-29", pki + "/alice.pem").rc in (0, 1)


@pytest.mark.asan
def test_select_url_timeout(certpick, pki):
    """F19: select URL takes --timeout like probe and get (it had a fixed 10 s per phase);
    a server that accepts and never answers ends the probe with a timeout (exit 3)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        url = "https://127.0.0.1:%d/" % s.getsockname()[1]
        r = certpick("select", "--timeout", "0.5", url, pki + "/alice.pem")
    assert r.rc == 3, r
    assert "timed out" in r.err, r
    assert certpick("select", "--timeout", "0", url, pki + "/alice.pem").rc == 2


def test_bash_completion_select_timeout():
    import os
    import subprocess
    from conftest import CERTPICK
    script = os.path.join(os.path.dirname(__file__), "..", "..", "completions", "certpick.bash")
    prog = ("source %s; COMP_WORDS=(%s select --ti); COMP_CWORD=2; _certpick; "
            "echo \"${COMPREPLY[@]}\"" % (script, CERTPICK))
    r = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, timeout=30)
    assert "--timeout" in r.stdout.split()
