#!/usr/bin/env python3
"""Fail when a CLEF_API function of clef.h is neither swept for out-of-memory nor exempted.

usage: check_oom_api.py include/clef.h tests/oom

Every function declared CLEF_API (parsed by tools/gen_bindings/clefh.py, the bindings' parser)
must be either
  - covered: named in a COVERS("...") list of a case in tests/oom/*.c, and called (`name(`)
    in that same file, or
  - exempt: listed in tests/oom/oom_exempt.txt (one name per line, the reason in the comment
    of its group: it cannot allocate through the ctx).
A name in both, a name listed twice, or a listed name that clef.h does not declare fails too.
See docs/reliability.md ("Out of memory") for how to add a case.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "gen_bindings"))
import clefh  # noqa: E402

COVERS = re.compile(r'\bCOVERS\(((?:\s*"[^"]*")+)\s*\)')


def declared(header):
    with open(header, encoding="utf-8") as f:
        return [fn.name for fn in clefh.parse(f.read()).functions]


def covered(case_dir, errors):
    """name -> file, from every COVERS list; a name must also be called in its file."""
    names = {}
    for fn in sorted(os.listdir(case_dir)):
        if not fn.endswith(".c"):
            continue
        with open(os.path.join(case_dir, fn), encoding="utf-8") as f:
            text = f.read()
        body = COVERS.sub(" ", text)
        for m in COVERS.finditer(text):
            for name in "".join(re.findall(r'"([^"]*)"', m.group(1))).split():
                if not re.search(r"\b" + re.escape(name) + r"\s*\(", body):
                    errors.append(f"{fn}: COVERS names {name} but the file never calls it")
                names.setdefault(name, fn)
    return names


def exempt(path, errors):
    names = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            name = line.split("#", 1)[0].strip()
            if not name:
                continue
            if not re.fullmatch(r"clef_\w+", name):
                errors.append(f"oom_exempt.txt:{lineno}: not a function name: {name!r}")
            elif name in names:
                errors.append(f"oom_exempt.txt:{lineno}: {name} listed twice")
            names[name] = lineno
    return names


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    header, case_dir = sys.argv[1], sys.argv[2]
    errors = []
    api = declared(header)
    cov = covered(case_dir, errors)
    ex = exempt(os.path.join(case_dir, "oom_exempt.txt"), errors)
    for name in api:
        if name in cov and name in ex:
            errors.append(f"{name}: both swept ({cov[name]}) and exempted (oom_exempt.txt:{ex[name]})")
        elif name not in cov and name not in ex:
            errors.append(f"{name}: declared CLEF_API but neither swept by a case in tests/oom/*.c "
                          "(COVERS) nor exempted in tests/oom/oom_exempt.txt")
    known = set(api)
    for name in sorted(set(cov) | set(ex)):
        if name not in known:
            where = cov.get(name) or f"oom_exempt.txt:{ex[name]}"
            errors.append(f"{name} ({where}): not a CLEF_API function of clef.h")
    for e in errors:
        print("check_oom_api:", e)
    print(f"check_oom_api: {len(api)} functions: {len(set(cov) & known)} swept, "
          f"{len(set(ex) & known)} exempt, {len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
