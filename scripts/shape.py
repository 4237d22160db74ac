#!/usr/bin/env python3
"""Checks the house shape of the Rust sources: no file over 400 lines and no function over 60 lines,
outside tests (files under tests/, examples/, fuzz/ and `#[cfg(test)]` modules are not counted)
and outside vendor/ (an upstream crate, patched, not ours).
Prints each offender; exits 1 when there is one.  Usage: scripts/shape.py [--report]"""
import os, re, sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MAX_FILE, MAX_FN = 400, 60
SKIP_DIRS = {"target", "node_modules", "tests", "examples", "fuzz", ".git", "end2end", "vendor"}
FN = re.compile(r"^(\s*)(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?(extern\s+\"C\"\s+)?fn\s+(\w+)")

def source_files():
    for top in ("app", "server", "frontend"):
        for d, dirs, files in os.walk(os.path.join(ROOT, top)):
            dirs[:] = [x for x in dirs if x not in SKIP_DIRS]
            for f in files:
                if f.endswith(".rs") and f != "tests.rs":
                    yield os.path.join(d, f)

def strip_tests(lines):
    """The lines before a `#[cfg(test)]` module (test modules sit at the end of a file here)."""
    for i, l in enumerate(lines):
        if l.strip() == "#[cfg(test)]" and i + 1 < len(lines) and lines[i + 1].lstrip().startswith("mod "):
            return lines[:i]
    return lines

def long_functions(lines):
    out = []
    i = 0
    while i < len(lines):
        m = FN.match(lines[i])
        if m:
            indent = m.group(1)
            # A declaration without a body (a trait's) ends with `;` before any `{`.
            k = i
            while k < len(lines) and "{" not in lines[k] and not lines[k].rstrip().endswith(";"):
                k += 1
            if k < len(lines) and "{" not in lines[k]:
                i = k + 1
                continue
            # The body ends at the first line that is `}` at the fn's own indentation.
            for j in range(i, len(lines)):
                if lines[j].rstrip() == indent + "}" or (j == i and lines[j].rstrip().endswith(";")):
                    break
                if j > i and lines[j].startswith(indent + "}") and lines[j].strip() in ("}", "};"):
                    break
            length = j - i + 1
            if length > MAX_FN:
                out.append((m.group(8), i + 1, length))
        i += 1
    return out

def main():
    bad = 0
    for path in sorted(source_files()):
        rel = os.path.relpath(path, ROOT)
        lines = strip_tests(open(path, encoding="utf-8").read().split("\n"))
        n = len(lines)
        if n > MAX_FILE:
            print(f"{rel}: {n} lines (at most {MAX_FILE})"); bad += 1
        for name, at, length in long_functions(lines):
            print(f"{rel}:{at}: fn {name} is {length} lines (at most {MAX_FN})"); bad += 1
    if bad:
        print(f"{bad} shape problem(s)"); sys.exit(1)
    print("shape: every file <= 400 lines, every function <= 60 lines")

main()
