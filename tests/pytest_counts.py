#!/usr/bin/env python3
"""Counts one pytest run for tests/run-all.sh, from its JUnit XML.

  pytest_counts.py RESULT.xml TESTDIR yes|no

Prints "PASSED FAILED SKIPPED" on standard output. On standard error: each skip
with its reason, and, when the third argument is yes (the whole suite was
asked for), every test function defined in TESTDIR/test_*.py that produced no
result at all: a module that failed to import, a test that was never
collected. Each of those counts as a failure, so a section cannot pass by
running fewer tests than the tree defines. Unreadable XML (pytest killed by
the time limit) is one failure.
"""
import ast
import collections
import os
import sys
import xml.etree.ElementTree as ET


def defined_tests(testdir):
    """{(module, function)} for every test function pytest would collect."""
    out = set()
    for f in sorted(os.listdir(testdir)):
        if not (f.startswith("test_") and f.endswith(".py")):
            continue
        mod = f[:-3]
        with open(os.path.join(testdir, f)) as fh:
            tree = ast.parse(fh.read(), f)
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                    node.name.startswith("test"):
                out.add((mod, node.name))
            elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                for m in node.body:
                    if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                            m.name.startswith("test"):
                        out.add((mod, m.name))
    return out


def ran_key(case):
    """(module, function) of one <testcase>, or None for a collection error."""
    parts = (case.get("classname") or "").split(".")
    mods = [p for p in parts if p.startswith("test_")]
    if not mods:
        return None
    return mods[-1], case.get("name", "").split("[")[0]


def main():
    xml, testdir, whole = sys.argv[1], sys.argv[2], sys.argv[3] == "yes"
    try:
        root = ET.parse(xml).getroot()
    except (OSError, ET.ParseError) as e:
        print("0 1 0")
        print("no result from pytest (%s): killed by its time limit?" % e, file=sys.stderr)
        return
    passed = failed = skipped = 0
    ran = set()
    reasons = collections.Counter()
    for case in root.iter("testcase"):
        key = ran_key(case)
        if key:
            ran.add(key)
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
            reasons[case.find("skipped").get("message", "no reason given")] += 1
        else:
            passed += 1
    for reason, n in sorted(reasons.items()):
        print("skipped %d: %s" % (n, reason), file=sys.stderr)
    if whole:
        missing = sorted(defined_tests(testdir) - ran)
        for mod, fn in missing:
            print("FAIL %s.py::%s: defined but never ran (collection error?)" % (mod, fn),
                  file=sys.stderr)
        failed += len(missing)
    print(passed, failed, skipped)


if __name__ == "__main__":
    main()
