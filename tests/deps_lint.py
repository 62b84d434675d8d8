#!/usr/bin/env python3
"""Every program, Python module, C header and system file the tests use is
installed by scripts/deps.sh (issue: a newcomer's machine lacks what the
developers' have). Run by tests/lint.sh.

What the tests use is derived from their sources, not listed by hand:
  - Python (tests/integration/**/*.py): imports that are neither the standard
    library nor the suite's own modules; the program of every call whose
    first argument is an argv list/tuple literal ("subprocess.run(["curl",
    ...])", "procs.start(["nginx", ...])") or a program name given directly
    ("shutil.which("tstclnt")", "run("softhsm2-util", ...)"); every string
    that is an absolute path under /usr, /lib or /etc.
  - C helpers (tests/integration/**/*.c): their #include <...> headers.
  - Shell (tests/*.sh, fuzz/run.sh): the first word of each command line.
Each is resolved on this machine (shutil.which, importlib, the header search
path) and mapped to its Debian package with dpkg -S. A package is covered
when it is in `scripts/deps.sh list check`, is pulled in by those packages'
Depends/Pre-Depends, or is in a Debian minbase (Priority required, Essential,
plus git and make, which the README assumes). Anything else is a finding:
  deps-lint: tests/integration/x.py:12: program 'time' (/usr/bin/time) comes
  from Debian package 'time', which scripts/deps.sh does not install
Exit 0 when everything is covered, 1 otherwise.
  --list         also print every use, the file it resolved to and its package
  --without PKG  pretend scripts/deps.sh does not list PKG (lint.sh proves the check
                 can fail: without 'time', the tests' /usr/bin/time is a finding)
"""
import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PY_DIRS = ["tests/integration"]
C_DIRS = ["tests/integration"]
SHELL_FILES = ["tests/run-all.sh", "tests/lint.sh", "fuzz/run.sh"]
# what a fresh Debian 12 has beyond minbase before the README's commands
ASSUMED = {"git", "make"}
# calls whose first string argument names a program
PROGRAM_CALLS = {"which", "run", "Popen", "call", "check_call", "check_output", "start",
                 "execvp", "execv", "spawnvp"}
SYSTEM_PREFIXES = ("/usr/", "/lib/", "/etc/")
# programs are looked up where Debian's packages put them, not in this machine's extras
DEBIAN_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
SHELL_WORDS = {"if", "then", "else", "elif", "fi", "for", "in", "do", "done", "while", "case",
               "esac", "until", "function", "return", "exit", "set", "cd", "echo", "read",
               "local", "export", "shift", "trap", "eval", "exec", "true", "false", "test",
               "[", "[[", "]", "]]", "{", "}", "!", "break", "continue", "wait", "printf",
               "unset", "command", "type", "umask", ":", "."}


def walk_files(dirs, suffix):
    for d in dirs:
        for base, subdirs, files in os.walk(os.path.join(ROOT, d)):
            subdirs[:] = sorted(s for s in subdirs if s != "__pycache__")
            for f in sorted(files):
                if f.endswith(suffix):
                    yield os.path.join(base, f)


def rel(path):
    return os.path.relpath(path, ROOT)


class PyUses(ast.NodeVisitor):
    """Collects (kind, name, line) from one test module."""

    def __init__(self):
        self.uses = []

    def add(self, kind, name, node):
        self.uses.append((kind, name, node.lineno))

    def visit_Import(self, node):
        for a in node.names:
            self.add("module", a.name.split(".")[0], node)

    def visit_ImportFrom(self, node):
        if node.level == 0 and node.module:
            self.add("module", node.module.split(".")[0], node)

    def visit_Call(self, node):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
            node.func, "id", "")
        if node.args:
            first = node.args[0]
            if isinstance(first, (ast.List, ast.Tuple)) and first.elts:
                first = first.elts[0]
            if name in PROGRAM_CALLS and isinstance(first, ast.Constant) and isinstance(
                    first.value, str) and not first.value.startswith(("-", "127.", "::")):
                self.add("program", first.value, node)
        self.generic_visit(node)

    def visit_List(self, node):
        """An argv literal anywhere (built, then passed on): its first word, when it is a
        program Debian's PATH has; argv literals given to PROGRAM_CALLS are checked even
        when it has not (visit_Call)."""
        first = node.elts[0] if node.elts else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and \
                re.fullmatch(r"[\w.+-]+|/[\w./+-]+", first.value) and \
                shutil.which(first.value, path=DEBIAN_PATH):
            self.add("program", first.value, node)
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and node.value.startswith(SYSTEM_PREFIXES) and \
                re.fullmatch(r"[\w./+-]+", node.value):
            self.add("file", node.value, node)


def python_uses():
    local = {os.path.splitext(os.path.basename(p))[0] for p in walk_files(PY_DIRS, ".py")}
    stdlib = set(sys.stdlib_module_names)
    for path in walk_files(PY_DIRS, ".py"):
        v = PyUses()
        with open(path) as f:
            v.visit(ast.parse(f.read(), path))
        for kind, name, line in v.uses:
            if kind == "module" and (name in stdlib or name in local or name == "__future__"):
                continue
            if kind == "program" and not re.fullmatch(r"/?[\w./+-]+", name):
                continue
            yield rel(path), line, kind, name


def c_uses():
    for path in walk_files(C_DIRS, ".c"):
        with open(path) as f:
            for n, text in enumerate(f, 1):
                m = re.match(r"\s*#\s*include\s*<([^>]+)>", text)
                if m:
                    yield rel(path), n, "header", m.group(1)


def shell_commands(text):
    """The command words of one shell script: comments, quoted strings, here-documents,
    arithmetic and assignments removed; functions the script defines left out."""
    funcs = set(re.findall(r"^\s*([\w-]+)\s*\(\)", text, re.M))
    heredoc = None
    for n, line in enumerate(text.splitlines(), 1):
        if heredoc:
            heredoc = None if line.strip() == heredoc else heredoc
            continue
        m = re.search(r"<<-?\s*'?(\w+)'?", line)
        if m:
            heredoc = m.group(1)
        line = re.sub(r"'[^']*'|\"(\\.|[^\"\\])*\"|\$\(\([^)]*\)\)|\$\{[^}]*\}", " Q ", line)
        line = re.sub(r"(^|\s)#.*", "", line)
        for cmd in re.split(r"\|\||&&|[|;&]|\$\(|`|\bthen\b|\bdo\b|\belse\b", line):
            words = cmd.strip().lstrip("(!{ ").split()
            while words and re.fullmatch(r"\w+=\S*", words[0]):
                words.pop(0)
            while words and words[0] in ("timeout", "nice", "env", "exec", "command"):
                words = words[1:]
                while words and re.fullmatch(r"[\d.]+[smh]?|-\S+|\w+=\S*", words[0]):
                    words.pop(0)
            if words and re.fullmatch(r"[a-z][\w.+-]*", words[0]) and \
                    words[0] not in SHELL_WORDS and words[0] not in funcs:
                yield n, words[0]


def shell_uses():
    for name in SHELL_FILES:
        path = os.path.join(ROOT, name)
        if os.path.exists(path):
            with open(path) as f:
                for n, word in shell_commands(f.read()):
                    yield name, n, "program", word


def header_path(header):
    cc = shutil.which("cc") or shutil.which("gcc")
    out = subprocess.run([cc, "-E", "-Wp,-v", "-xc", "/dev/null"], capture_output=True,
                         text=True).stderr
    dirs = [l.strip() for l in out.splitlines() if l.startswith(" /")]
    for d in dirs:
        p = os.path.join(d, header)
        if os.path.exists(p):
            return p
    return None


def resolve(kind, name):
    """The file on this machine that provides the use, or None."""
    if kind == "program":
        p = name if name.startswith("/") else shutil.which(name, path=DEBIAN_PATH)
        return p if p and os.path.exists(p) else None
    if kind == "module":
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            return None
        if spec is None:
            return None
        if spec.origin and spec.origin not in ("built-in", "frozen"):
            return spec.origin
        locs = list(spec.submodule_search_locations or [])
        return locs[0] if locs else "built-in"
    if kind == "header":
        return header_path(name)
    if os.path.exists(name):
        return name
    # a test may write its own configuration under /etc (a browser policy folder)
    return "built-in" if name.startswith("/etc/") else None


def owners(paths):
    """path -> Debian package, trying the path as written and its real path."""
    cands = {}
    for p in paths:
        cands[p] = [p, os.path.realpath(p)]
        if p.startswith("/usr/"):
            cands[p].append(p[4:])  # usrmerge: dpkg may know /bin/x for /usr/bin/x
        elif p.startswith(("/bin/", "/sbin/", "/lib/")):
            cands[p].append("/usr" + p)
    every = sorted({c for cs in cands.values() for c in cs})
    out = subprocess.run(["dpkg", "-S"] + every, capture_output=True, text=True).stdout
    owner = {}
    for line in out.splitlines():
        pkgs, _, path = line.partition(": ")
        if path and not line.startswith("diversion"):
            owner.setdefault(path, pkgs.split(",")[0].split(":")[0].strip())
    return {p: next((owner[c] for c in cs if c in owner), None) for p, cs in cands.items()}


def covered_packages(without):
    listed = subprocess.run([os.path.join(ROOT, "scripts/deps.sh"), "list", "check"],
                            capture_output=True, text=True, check=True).stdout.split()
    listed = [p for p in listed if p not in without]
    out = subprocess.run(["apt-cache", "depends", "--recurse", "--installed", "--no-recommends",
                          "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces",
                          "--no-enhances"] + listed + sorted(ASSUMED),
                         capture_output=True, text=True).stdout
    closure = set(listed) | ASSUMED
    for line in out.splitlines():
        m = re.match(r"\s*\|?(?:Depends|PreDepends):\s*<?([^>\s:]+)", line)
        if m:
            closure.add(m.group(1))
        elif line and not line.startswith(" "):
            closure.add(line.strip().split(":")[0])
    q = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Priority} ${Essential}\n"],
                       capture_output=True, text=True).stdout
    for line in q.splitlines():
        pkg, prio, ess = (line.split() + ["", ""])[:3]
        if prio == "required" or ess == "yes":
            closure.add(pkg)
    return listed, closure


def main():
    uses = list(python_uses()) + list(c_uses()) + list(shell_uses())
    found = {}
    problems = []
    for where, line, kind, name in uses:
        key = (kind, name)
        if key not in found:
            found[key] = resolve(kind, name)
    paths = sorted({p for p in found.values() if p and p != "built-in"})
    owner = owners(paths)
    without = [sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == "--without"]
    listed, closure = covered_packages(without)
    seen = set()
    for where, line, kind, name in uses:
        if name in seen:
            continue
        seen.add(name)
        p = found[(kind, name)]
        if p is None:
            problems.append("%s:%d: %s '%s' is not on this machine (install it through "
                            "scripts/deps.sh)" % (where, line, kind, name))
            continue
        if p == "built-in":
            continue
        pkg = owner.get(p)
        if pkg is None:
            if p.startswith(ROOT) or p.startswith("/etc/"):
                continue  # the project's own files, configuration a test writes
            problems.append("%s:%d: %s '%s' (%s) belongs to no Debian package; use one that does"
                            % (where, line, kind, name, p))
            continue
        if pkg not in closure:
            problems.append("%s:%d: %s '%s' (%s) comes from Debian package '%s', which "
                            "scripts/deps.sh does not install" % (where, line, kind, name, p, pkg))
    if "--list" in sys.argv:
        for (kind, name), p in sorted(found.items()):
            print("  %-8s %-28s %-60s %s" % (kind, name, p, owner.get(p, "-")))
    for msg in problems:
        print("deps-lint: " + msg)
    print("deps-lint: %d uses checked (%d distinct), %d packages listed, %d covered with their "
          "dependencies, %d problems" % (len(uses), len(seen), len(listed), len(closure),
                                         len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
