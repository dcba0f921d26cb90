#!/usr/bin/env python3
"""Fail when libclef's dynamic exports differ from the CLEF_API declarations in clef.h.

usage: check_exports.py include/clef.h libclef.so ABI_VERSION
Checks: every CLEF_API function is exported; nothing else is exported; every export carries the
version node CLEF_<ABI_VERSION> of the linker script.
"""
import re
import subprocess
import sys


def declared(header_path):
    text = open(header_path, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"#[^\n]*(\\\n[^\n]*)*", " ", text)  # macros (CLEF_API's own definition)
    names = set()
    for stmt in text.split(";"):
        if "CLEF_API" not in stmt:
            continue
        m = re.search(r"\b(clef_\w+)\s*\(", stmt)
        if not m:
            sys.exit(f"cannot parse CLEF_API declaration: {stmt.strip()[:120]}")
        names.add(m.group(1))
    return names


def exported(lib_path):
    out = subprocess.run(["nm", "-D", "--defined-only", lib_path], check=True,
                         capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 3 or parts[1] not in "TDBRWiV":
            continue
        name, _, version = parts[2].partition("@")
        version = version.lstrip("@")
        if name == version:  # the version-node definition symbol itself
            continue
        syms[name] = version
    return syms


def main():
    header, lib, abi = sys.argv[1], sys.argv[2], sys.argv[3]
    want = declared(header)
    have = exported(lib)
    errors = []
    for n in sorted(want - set(have)):
        errors.append(f"declared CLEF_API but not exported: {n}")
    for n in sorted(set(have) - want):
        errors.append(f"exported but not declared CLEF_API in clef.h: {n}")
    for n, v in sorted(have.items()):
        if v != f"CLEF_{abi}":
            errors.append(f"export {n} has version node '{v}', expected CLEF_{abi}")
    if not want:
        errors.append("no CLEF_API declarations found in clef.h")
    for e in errors:
        print(e)
    print(f"{len(want)} declared, {len(have)} exported, {len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
