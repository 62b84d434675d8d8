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
