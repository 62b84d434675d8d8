"""libcertpick as others link it: what `make install` installs (issue 17, item 5).

- The installed shared library has the soname libcertpick.so.MAJOR and exports
  exactly the functions declared in the installed include/certpick/*.h: none
  missing, nothing extra (nm -D --defined-only against a parse of the headers).
- Every one of those declarations says CERTPICK_API, and every fallible one
  (it takes a struct certpick_error *, or is a reverse lookup that fails on an
  unknown name) says CERTPICK_MUST_CHECK.
- tests/integration/linkdemo/linkdemo.c, copied out of the tree, builds with
  nothing but `pkg-config --cflags --libs certpick` pointed into DESTDIR, links
  the installed libcertpick.so.MAJOR, runs a selection and agrees with
  `certpick select --json`; with `pkg-config --static` it links libcertpick.a.
- The certpick binary (linked with the static library) calls only exported
  functions of the library.

Against the ASan build (CERTPICK=build-asan/certpick) the same checks run on
build-asan installed with `meson install` (`make install` installs build/ only),
and linkdemo is built with the same sanitizers, so it runs under LeakSanitizer.
"""
import glob
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import CERTPICK, DATA, ROOT, need, run_certpick

BUILD = os.path.dirname(os.path.abspath(CERTPICK))
LINKDEMO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "linkdemo", "linkdemo.c")
LEAF = os.path.join(DATA, "candidate", "leaf-with-key.pem")
ISSUER = "CN=Fixture int,O=certpick fixtures"


def build_option(name):
    """A meson option of the build under test (sanitize: '' or 'address,undefined')."""
    with open(os.path.join(BUILD, "meson-info", "intro-buildoptions.json")) as f:
        return next(o["value"] for o in json.load(f) if o["name"] == name)


SANITIZE = build_option("sanitize")


class Installed:
    def __init__(self, dest):
        self.dest = dest
        pcs = glob.glob(os.path.join(dest, "**", "pkgconfig", "certpick.pc"), recursive=True)
        assert len(pcs) == 1, "certpick.pc installed %d times: %s" % (len(pcs), pcs)
        self.pcdir = os.path.dirname(pcs[0])
        self.libdir = os.path.dirname(self.pcdir)
        incs = glob.glob(os.path.join(dest, "**", "include", "certpick"), recursive=True)
        assert len(incs) == 1, incs
        self.incdir = incs[0]
        self.so = os.path.join(self.libdir, "libcertpick.so")
        self.a = os.path.join(self.libdir, "libcertpick.a")

    def pkg_config(self, *args):
        """pkg-config as a program built against DESTDIR runs it: the installed
        certpick.pc first, the system's .pc files for its dependencies, every path
        under DESTDIR (PKG_CONFIG_SYSROOT_DIR)."""
        system = subprocess.run(["pkg-config", "--variable", "pc_path", "pkg-config"],
                                capture_output=True, text=True, check=True, timeout=30)
        env = dict(os.environ, PKG_CONFIG_SYSROOT_DIR=self.dest,
                   PKG_CONFIG_LIBDIR=self.pcdir + ":" + system.stdout.strip())
        env.pop("PKG_CONFIG_PATH", None)
        r = subprocess.run(["pkg-config", *args, "certpick"], capture_output=True, text=True,
                           env=env, timeout=30)
        assert r.returncode == 0, r.stderr
        return r.stdout.split()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    need("pkg-config", "nm", "objdump", "cc", "clang")
    dest = str(tmp_path_factory.mktemp("destdir"))
    if BUILD == os.path.join(ROOT, "build"):
        # what a user runs (prefix /usr/local, as build/ is configured by `make`)
        r = subprocess.run(["make", "-C", ROOT, "install", "DESTDIR=%s" % dest],
                           capture_output=True, text=True, timeout=900)
    else:
        # the ASan build: `make install` installs build/ only; install the one under test
        r = subprocess.run(["meson", "install", "-C", BUILD, "--destdir", dest, "--quiet"],
                           capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return Installed(dest)


def strip_c(text):
    """Comments, line continuations and preprocessor lines removed; the bodies of
    #ifdef __cplusplus (extern "C" {) left out."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"\\\n", " ", text)
    out, skip = [], 0
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("#"):
            if skip and re.match(r"#\s*if", s):
                skip += 1
            elif skip and re.match(r"#\s*endif", s):
                skip -= 1
            elif not skip and re.match(r"#\s*ifdef\s+__cplusplus\b", s):
                skip = 1
            continue
        if not skip:
            out.append(line)
    return "\n".join(out)


def declared_functions(incdir):
    """{name: declaration} of every function declared at file scope in incdir/*.h
    (struct and enum bodies, typedefs and macros are not declarations of functions)."""
    decls = {}
    for path in sorted(glob.glob(os.path.join(incdir, "*.h"))):
        with open(path, encoding="utf-8") as f:
            text = strip_c(f.read())
        depth, cur = 0, []
        for ch in text:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif depth == 0 and ch == ";":
                d = " ".join("".join(cur).split())
                cur = []
                m = re.search(r"\b(certpick_\w+)\s*\(", d)
                if m and not d.startswith("typedef"):
                    assert m.group(1) not in decls, "%s declared twice" % m.group(1)
                    decls[m.group(1)] = "%s: %s" % (os.path.basename(path), d)
            elif depth == 0:
                cur.append(ch)
        assert depth == 0, "%s: unbalanced braces" % path
    return decls


def exported(so):
    """Names the shared library exports (nm -D --defined-only), versions stripped;
    the version node itself (an absolute symbol, CERTPICK_0) is not a function."""
    r = subprocess.run(["nm", "-D", "--defined-only", so], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    names = {}
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] != "A":
            names[parts[2].split("@")[0]] = parts[1]
    return names


def soname(so):
    r = subprocess.run(["objdump", "-p", so], capture_output=True, text=True, timeout=60)
    m = re.search(r"^\s*SONAME\s+(\S+)", r.stdout, re.M)
    return m.group(1) if m else None


def needed(path):
    r = subprocess.run(["objdump", "-p", path], capture_output=True, text=True, timeout=60)
    return re.findall(r"^\s*NEEDED\s+(\S+)", r.stdout, re.M)


def major_version(incdir):
    with open(os.path.join(incdir, "certpick.h")) as f:
        return re.search(r"#define CERTPICK_VERSION_MAJOR (\d+)", f.read()).group(1)


@pytest.mark.asan
def test_shared_and_static_installed(installed):
    assert os.path.isfile(installed.a)
    major = major_version(installed.incdir)
    assert soname(installed.so) == "libcertpick.so." + major
    assert os.path.realpath(installed.so) != installed.so, "libcertpick.so is the dev symlink"
    assert os.path.exists(os.path.join(installed.libdir, "libcertpick.so." + major))
    flags = installed.pkg_config("--libs")
    assert "-lcertpick" in flags
    static = installed.pkg_config("--static", "--libs")
    for lib in ["-lssl", "-lcrypto", "-levent", "-ljansson", "-lhttp_parser"]:
        assert lib in static, "pkg-config --static --libs lacks %s: %s" % (lib, static)


@pytest.mark.asan
def test_exports_are_exactly_the_public_functions(installed):
    public = declared_functions(installed.incdir)
    assert len(public) > 100, "the header parser found only %d functions" % len(public)
    got = exported(installed.so)
    missing = sorted(set(public) - set(got))
    extra = sorted(set(got) - set(public))
    assert not missing, "declared in include/certpick but not exported by libcertpick.so " \
        "(CERTPICK_API on the declaration? listed in src/lib/certpick.map?):\n  " + \
        "\n  ".join(public[n] for n in missing)
    assert not extra, "exported by libcertpick.so but declared in no public header " \
        "(remove it from src/lib/certpick.map, or declare it in include/certpick):\n  " + \
        "\n  ".join("%s (%s)" % (n, got[n]) for n in extra)
    assert all(t == "T" for t in got.values()), got


@pytest.mark.asan
def test_declarations_carry_api_and_must_check(installed):
    public = declared_functions(installed.incdir)
    no_api = [d for d in public.values() if not re.search(r"(^|: )CERTPICK_API\b", d)]
    assert not no_api, "public functions without CERTPICK_API:\n  " + "\n  ".join(no_api)
    def returns(name, d):
        head = d.split(": ", 1)[1].split(name + "(")[0]
        return " ".join(w for w in head.split() if not w.startswith("CERTPICK_"))

    fallible = {n: d for n, d in public.items() if returns(n, d) != "void" and (
        "struct certpick_error *" in d or re.search(r"_from_(name|id)$", n))}
    assert len(fallible) >= 40
    unchecked = [d for d in fallible.values() if "CERTPICK_MUST_CHECK" not in d]
    assert not unchecked, "fallible public functions without CERTPICK_MUST_CHECK:\n  " + \
        "\n  ".join(unchecked)


def build_linkdemo(installed, tmp_path, flags, name):
    """linkdemo.c copied out of the tree, compiled with the given pkg-config flags
    (and the sanitizers of the build under test), strictly."""
    src = tmp_path / "linkdemo.c"
    shutil.copyfile(LINKDEMO, src)
    out = str(tmp_path / name)
    cc = ["clang", "-fsanitize=" + SANITIZE] if SANITIZE else ["cc"]
    r = subprocess.run([*cc, "-std=c17", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-o", out,
                        str(src), *flags], capture_output=True, text=True, cwd=str(tmp_path),
                       timeout=300)
    assert r.returncode == 0, "%s\n%s" % (" ".join(r.args), r.stderr)
    return out


def expected(ca_dn):
    """What the certpick binary says for the same selection."""
    r = run_certpick("select", "--client", "go", "--issuer", ca_dn, "--json", LEAF)
    assert r.rc in (0, 1), r
    doc = json.loads(r.out)
    chosen = doc["chosen"]
    return {"client": "go", "candidates": "1", "outcome": doc["outcome"]["kind"],
            "chosen": "%s %s" % (chosen["sha256"], chosen["subject"]) if chosen else "none"}


def run_linkdemo(exe, ca_dn, env=None):
    r = subprocess.run([exe, "go", ca_dn, LEAF], capture_output=True, text=True,
                       env=dict(os.environ, **(env or {})), timeout=120)
    assert r.returncode == 0, r.stderr
    return dict(line.split(": ", 1) for line in r.stdout.splitlines())


@pytest.mark.asan
def test_linkdemo_links_the_installed_shared_library(installed, tmp_path):
    flags = installed.pkg_config("--cflags", "--libs")
    assert not [f for f in flags if f.startswith("-I") and ROOT in f], flags
    exe = build_linkdemo(installed, tmp_path, flags, "linkdemo")
    major = major_version(installed.incdir)
    assert "libcertpick.so." + major in needed(exe)
    env = {"LD_LIBRARY_PATH": installed.libdir}
    ldd = subprocess.run(["ldd", exe], capture_output=True, text=True, env=dict(os.environ, **env),
                         timeout=60).stdout
    assert os.path.join(installed.libdir, "libcertpick.so." + major) in ldd, ldd
    got = run_linkdemo(exe, ISSUER, env)
    assert got["outcome"] == "sends"
    assert got == expected(ISSUER)
    got = run_linkdemo(exe, "CN=Nobody", env)
    assert got["outcome"] == "sends-nothing" and got["chosen"] == "none"
    assert got == expected("CN=Nobody")


@pytest.mark.asan
def test_linkdemo_links_the_installed_static_library(installed, tmp_path):
    flags = installed.pkg_config("--static", "--cflags", "--libs")
    # the same -L finds libcertpick.so first: ask for the archive by name
    flags = ["-l:libcertpick.a" if f == "-lcertpick" else f for f in flags]
    exe = build_linkdemo(installed, tmp_path, flags, "linkdemo-static")
    assert not [n for n in needed(exe) if "certpick" in n]
    got = run_linkdemo(exe, ISSUER)
    assert got["outcome"] == "sends"
    assert got == expected(ISSUER)


@pytest.mark.asan
def test_cli_calls_only_the_public_api(installed):
    """certpick links libcertpick.a, where every cp_* helper is reachable: what its
    own objects take from the library must all be exported functions."""
    objs = sorted(glob.glob(os.path.join(BUILD, "certpick.p", "*.o")))
    assert objs, "no object files of the certpick binary in %s" % BUILD
    lib = subprocess.run(["nm", "-g", "--defined-only", os.path.join(BUILD, "libcertpick.a")],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    in_lib = {p.split()[-1] for p in lib.splitlines() if len(p.split()) == 3}
    undef = subprocess.run(["nm", "-u", *objs], capture_output=True, text=True, check=True,
                           timeout=60).stdout
    used = {p.split()[-1] for p in undef.splitlines() if p.strip().startswith("U ")}
    taken = used & in_lib
    assert len(taken) > 50, "the CLI takes only %d symbols from the library?" % len(taken)
    private = sorted(taken - set(exported(installed.so)))
    assert not private, "the certpick binary calls library functions outside the public " \
        "API: %s" % ", ".join(private)
