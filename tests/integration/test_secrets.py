"""Secrets: passwords and PINs never appear in output, and argv cannot carry one.

Each command that takes a password runs with a distinctive one (from the
environment and from a file, right and wrong); stdout, stderr, --json output
and serve's access log must not contain it. A PIN inside a PKCS#11 URI
(pin-value) is never echoed. A running `certpick serve` has core size 0.
"""
import os
import subprocess

import pytest

from conftest import CERTPICK
import serve_util as su

SECRET = "Zq7-SECRET-pw-91x"


@pytest.fixture(scope="module")
def secret_p12(pki, tmp_path_factory):
    """alice's certificate, chain and key in a .p12 and an encrypted PEM key, under SECRET."""
    d = str(tmp_path_factory.mktemp("secret"))
    p12 = os.path.join(d, "alice-secret.p12")
    key = os.path.join(d, "alice-secret.key")
    subprocess.run(["openssl", "pkcs12", "-export", "-in", os.path.join(pki, "alice-chain.pem"),
                    "-inkey", os.path.join(pki, "alice.key"), "-out", p12,
                    "-passout", "pass:" + SECRET], check=True, capture_output=True, timeout=60)
    subprocess.run(["openssl", "pkey", "-in", os.path.join(pki, "alice.key"), "-aes256",
                    "-passout", "pass:" + SECRET, "-out", key],
                   check=True, capture_output=True, timeout=60)
    pwfile = os.path.join(d, "pw.txt")
    with open(pwfile, "w") as f:
        f.write(SECRET + "\n")
    bad = os.path.join(d, "bad.txt")
    with open(bad, "w") as f:
        f.write(SECRET + "-wrong\n")
    return {"p12": p12, "key": key, "pem": os.path.join(pki, "alice.pem"), "file": pwfile,
            "bad": bad, "dir": d}


def no_secret(r, *extra):
    for text in (r.out, r.err, *extra):
        assert SECRET not in text, text[-2000:]


PW_WAYS = [("env", ["--password-env", "CP_SECRET"]), ("file", None), ("wrong", None)]


def pw_args(way, s):
    if way == "env":
        return ["--password-env", "CP_SECRET"]
    if way == "file":
        return ["--password-file", s["file"]]
    return ["--password-file", s["bad"]]


@pytest.mark.asan
@pytest.mark.parametrize("way", ["env", "file", "wrong"])
@pytest.mark.parametrize("json_out", [False, True])
def test_check_never_prints_the_password(certpick, secret_p12, way, json_out):
    s = secret_p12
    r = certpick("check", *(["--json"] if json_out else []), *pw_args(way, s),
                 s["p12"], s["pem"], s["key"], env={"CP_SECRET": SECRET})
    assert r.rc in (0, 1, 4), r
    no_secret(r)


@pytest.mark.parametrize("way", ["env", "wrong"])
def test_select_never_prints_the_password(certpick, secret_p12, pki, way):
    s = secret_p12
    r = certpick("select", "--json", "--client", "all", "--ca-names",
                 os.path.join(pki, "ca-roots-AB.pem"), *pw_args(way, s), s["p12"], s["key"],
                 s["pem"], env={"CP_SECRET": SECRET})
    assert r.rc in (0, 1, 4), r
    no_secret(r)


@pytest.mark.parametrize("way", ["env", "file", "wrong"])
def test_probe_get_and_serve_log_never_show_the_password(certpick, secret_p12, pki, procs,
                                                         tmp, way):
    s = secret_p12
    srv = su.Server(procs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem"), "--json-log"])
    url = srv.url("/")
    r1 = certpick("probe", "--json", "--cert", s["p12"], *pw_args(way, s), url,
                  env={"CP_SECRET": SECRET}, timeout=60)
    r2 = certpick("get", "--json", "-k", *pw_args(way, s), url, s["p12"],
                  env={"CP_SECRET": SECRET}, timeout=60)
    for r in (r1, r2):
        assert r.rc in (0, 1, 3, 4), r
        no_secret(r, "\n".join(srv.log_lines()), srv.stderr())


@pytest.mark.parametrize("argv", [
    ["check", "--password-env", "CP_PW", "--password-file", "{f}", "{f}"],
    ["select", "--password-env", "CP_PW", "--password-file", "{f}", "{f}"],
    ["get", "--pin-env", "CP_PW", "--pin-file", "{f}", "https://127.0.0.1:9/", "{f}"],
    ["probe", "--password-env", "CP_PW", "--password-file", "{f}", "--cert", "{f}",
     "127.0.0.1:9"],
    ["probe", "--service-password-env", "CP_PW", "--service-password-file", "{f}",
     "postgres://127.0.0.1:9"],
])
def test_password_given_twice_is_refused(certpick, tmp, argv, monkeypatch):
    """A password in a variable and in a file: which was meant? exit 2, neither is read
    and nothing is sent."""
    f = os.path.join(tmp, "pw")
    with open(f, "w") as fh:
        fh.write(SECRET + "\n")
    monkeypatch.setenv("CP_PW", SECRET)
    r = certpick(*[a.format(f=f) for a in argv])
    assert r.rc == 2, r
    assert "given twice" in r.err or "not both" in r.err, r
    no_secret(r)


@pytest.mark.asan
@pytest.mark.parametrize("cmd", ["check", "select", "probe", "get", "serve"])
def test_password_on_argv_is_refused(certpick, cmd):
    r = certpick(cmd, "--password", SECRET, "x")
    assert r.rc == 2, r
    no_secret(r)
    r = certpick(cmd, "--password=" + SECRET, "x")
    assert r.rc == 2, r
    no_secret(r)


@pytest.mark.asan
def test_pkcs11_uri_pin_is_never_echoed(certpick, tmp):
    for uri in ("pkcs11:module-path=%s/none.so;pin-value=%s" % (tmp, SECRET),
                "pkcs11:pin-value=%s;token=x" % SECRET,
                "pkcs11:token;pin-value=%s" % SECRET):
        r = certpick("select", "--json", "--pkcs11", uri, "--issuer", "CN=x")
        assert r.rc != 0
        no_secret(r)


def test_serve_has_no_core_and_is_not_dumpable(procs, tmp, pki):
    srv = su.Server(procs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem")])
    with open("/proc/%d/limits" % srv.proc.pid) as f:
        core = [line for line in f if line.startswith("Max core file size")][0]
    assert core.split()[4:6] == ["0", "0"], core
    # PR_SET_DUMPABLE 0: /proc/PID files belong to root (meaningful when not root)
    st = os.stat("/proc/%d/environ" % srv.proc.pid)
    assert st.st_uid == 0


def test_core_dumps_stay_off_without_the_debug_switch(procs, tmp, pki):
    env = dict(os.environ, CERTPICK_ALLOW_CORE="0")
    srv = su.Server(procs, tmp, ["--trust", os.path.join(pki, "ca-roots-AB.pem")])
    assert srv.proc.poll() is None
    with open("/proc/%d/limits" % srv.proc.pid) as f:
        assert any(line.startswith("Max core file size") and line.split()[4] == "0"
                   for line in f)
    assert env["CERTPICK_ALLOW_CORE"] == "0"
