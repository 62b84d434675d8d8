#!/usr/bin/python3
"""Fail when the library's modules depend on each other in a cycle.

The graph. A node is a module: one src/lib/*.c file together with the
declarations it defines, wherever they are declared (its public header in
include/certpick/, its section of src/lib/internal.h or of a private header
such as serve_internal.h). Module A depends on module B when a file of A
includes, directly or through other headers, a header that declares a
function B defines, and A uses that function. A file including its own
header, or using its own functions, is no edge. Headers alone are also
checked: the plain `#include "..."` graph of src/lib/*.h and
include/certpick/*.h must have no cycle either.

Why not the plain include graph of the .c files: every library file
includes the one internal.h, so two files that call each other (the encoder
in one, the parser in the other, each needing the other) show no cycle
there. Resolving an include to the module that defines what was used is
what makes such a pair visible, and it needs nothing but the sources (no
build): a function is "defined" by a line that starts with its name and "("
(the house style puts the return type on the line before), "declared" by a
header mentioning `name(` outside a #define, and a function-like macro of a
header stands for the functions its body calls.
"""
import glob
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
IDENT_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "defined", "__attribute__",
            "_Static_assert", "typeof", "offsetof"}


def strip(text):
    """Comments and string/char literals out, line structure kept."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def logical_lines(text):
    return re.sub(r"\\\n", " ", text).split("\n")


def resolve(name, including):
    if name.startswith("certpick/"):
        path = os.path.join(ROOT, "include", name)
    else:
        path = os.path.join(os.path.dirname(including), name)
    path = os.path.normpath(path)
    return path if os.path.exists(path) else None


def main():
    headers = sorted(os.path.normpath(p) for p in
                     glob.glob(os.path.join(ROOT, "src/lib/*.h")) +
                     glob.glob(os.path.join(ROOT, "include/certpick/*.h")))
    sources = sorted(os.path.normpath(p) for p in glob.glob(os.path.join(ROOT, "src/lib/*.c")))
    files = [os.path.normpath(p) for p in headers + sources]
    raw = {p: open(p, encoding="utf-8").read() for p in files}
    text = {p: strip(raw[p]) for p in files}
    includes = {p: [] for p in files}
    for p in files:
        for m in re.finditer(r'^\s*#\s*include\s+"([^"]+)"', raw[p], re.M):
            r = resolve(m.group(1), p)
            if r is not None and r in text:
                includes[p].append(r)

    def rel(p):
        return os.path.relpath(p, ROOT)

    failed = False
    # 1. headers: the plain include graph
    hdr_graph = {p: [q for q in includes[p] if q.endswith(".h")] for p in files
                 if p.endswith(".h")}
    for cyc in cycles(hdr_graph):
        print("include cycle between headers: " + " -> ".join(rel(x) for x in cyc))
        failed = True

    # 2. modules: includes resolved to the module that defines what is used
    defined = {}
    for p in sources:
        prev = ""
        for line in text[p].split("\n"):
            m = re.match(r"([A-Za-z_]\w*)\(", line)
            if m and not prev.startswith("static"):
                defined.setdefault(m.group(1), p)
            if line.strip():
                prev = line
    declares = {}
    for h in headers:
        names = set()
        for line in logical_lines(text[h]):
            s = line.strip()
            m = re.match(r"#\s*define\s+(\w+)\(", s)
            if m:
                body = s[m.end():]
                targets = {x for x in IDENT_CALL.findall(body) if x in defined}
                if targets:
                    names.add((m.group(1), frozenset(targets)))
                continue
            if s.startswith("#"):
                continue
            for x in IDENT_CALL.findall(s):
                if x not in KEYWORDS and x in defined:
                    names.add((x, frozenset([x])))
        declares[h] = names

    def reach(p, seen):
        for q in includes[p]:
            if q not in seen and q.endswith(".h"):
                seen.add(q)
                reach(q, seen)
        return seen

    graph = {p: set() for p in sources}
    why = {}
    for p in sources:
        used = set(IDENT_CALL.findall(text[p]))
        for h in sorted(reach(p, set())):
            for name, targets in declares[h]:
                if name not in used:
                    continue
                for t in targets:
                    q = defined[t]
                    if q != p:
                        graph[p].add(q)
                        why.setdefault((p, q), (t, h))
    for cyc in cycles(graph):
        steps = []
        for a, b in zip(cyc, cyc[1:]):
            fn, h = why[(a, b)]
            steps.append("%s uses %s() (%s) from %s" % (rel(a), fn, rel(h), rel(b)))
        print("module cycle: " + " -> ".join(rel(x) for x in cyc))
        for s in steps:
            print("  " + s)
        failed = True
    if failed:
        print("include_cycles: the module graph must have no cycle "
              "(see tests/include_cycles.py for the graph)")
        return 1
    print("include_cycles: %d modules, %d headers, no cycle" % (len(sources), len(headers)))
    return 0


def cycles(graph):
    """One cycle (first node repeated at the end) per strongly connected component."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(path_in(graph, set(comp), v))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def path_in(graph, comp, start):
    """A cycle through start inside comp (breadth-first back to start)."""
    prev, queue = {start: None}, [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph.get(v, ())):
            if w not in comp:
                continue
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    return [start, start]


if __name__ == "__main__":
    sys.exit(main())
