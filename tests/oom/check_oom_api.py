#!/usr/bin/env python3
"""Fail when a CLEF_API function of clef.h is neither swept for out-of-memory nor exempted.

usage: check_oom_api.py [--selftest] include/clef.h tests/oom

Every function declared CLEF_API (parsed by tools/gen_bindings/clefh.py, the bindings' parser)
must be either
  - covered: named in a COVERS("...") list of a case in tests/oom/*.c, and called (`name(`)
    in that same file, or
  - exempt: listed in tests/oom/oom_exempt.txt (one name per line, the reason in the comment
    of its group: it cannot allocate through the ctx).
A name in both, a name listed twice, or a listed name that clef.h does not declare fails too.
Exempt functions may also be named in a NOALLOC("...") list of a .none case (test_oom_exempt.c),
which shows that they attempt no allocation; a NOALLOC name must be exempt.
See docs/reliability.md ("Out of memory") for how to add a case.
--selftest: check that a function added to a copy of clef.h, and a name exempted but not
declared, each fail the check (so that the check can fail), and that the real header passes.
"""
import io
import os
import re
import shutil
import sys
import tempfile
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "gen_bindings"))
import clefh  # noqa: E402

COVERS = re.compile(r'\bCOVERS\(((?:\s*"[^"]*")+)\s*\)')
NOALLOC = re.compile(r'\bNOALLOC\(((?:\s*"[^"]*")+)\s*\)')


def declared(header):
    with open(header, encoding="utf-8") as f:
        return [fn.name for fn in clefh.parse(f.read()).functions]


def listed(case_dir, marker, errors):
    """name -> file, from every marker list (COVERS or NOALLOC) of tests/oom/*.c; a name must
    also be called in its file."""
    names = {}
    for fn in sorted(os.listdir(case_dir)):
        if not fn.endswith(".c"):
            continue
        with open(os.path.join(case_dir, fn), encoding="utf-8") as f:
            text = f.read()
        body = NOALLOC.sub(" ", COVERS.sub(" ", text))
        for m in marker.finditer(text):
            for name in "".join(re.findall(r'"([^"]*)"', m.group(1))).split():
                if not re.search(r"\b" + re.escape(name) + r"\s*\(", body):
                    errors.append(f"{fn}: a list names {name} but the file never calls it")
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


def check(header, case_dir):
    errors = []
    api = declared(header)
    cov = listed(case_dir, COVERS, errors)
    ex = exempt(os.path.join(case_dir, "oom_exempt.txt"), errors)
    noalloc = listed(case_dir, NOALLOC, errors)
    for name in sorted(noalloc):
        if name not in ex:
            errors.append(f"{noalloc[name]}: NOALLOC names {name}, which oom_exempt.txt lacks")
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
          f"{len(set(ex) & known)} exempt ({len(set(noalloc) & set(ex))} of them shown to "
          f"attempt no allocation), {len(errors)} error(s)")
    return 1 if errors else 0


def run_quiet(header, case_dir):
    out = io.StringIO()
    with redirect_stdout(out):
        rc = check(header, case_dir)
    return rc, out.getvalue()


def selftest(header, case_dir):
    failures = []
    rc, out = run_quiet(header, case_dir)
    if rc != 0:
        failures.append("the real clef.h fails:\n" + out)
    with tempfile.TemporaryDirectory() as tmp:
        with open(header, encoding="utf-8") as f:
            text = f.read()
        anchor = "CLEF_API const char *clef_version(void);"
        probe = "CLEF_API int32_t clef_oom_selftest_probe(void);"
        h2 = os.path.join(tmp, "clef.h")
        with open(h2, "w", encoding="utf-8") as f:
            f.write(text.replace(anchor, anchor + "\n" + probe, 1))
        rc, out = run_quiet(h2, case_dir)
        if rc == 0 or "clef_oom_selftest_probe: declared CLEF_API but neither" not in out:
            failures.append("a new function neither swept nor exempted passes:\n" + out)
        d2 = os.path.join(tmp, "cases")
        shutil.copytree(case_dir, d2)
        with open(os.path.join(d2, "oom_exempt.txt"), "a", encoding="utf-8") as f:
            f.write("clef_oom_selftest_gone\n")
        rc, out = run_quiet(header, d2)
        if rc == 0 or "clef_oom_selftest_gone" not in out:
            failures.append("an exempted name clef.h lacks passes:\n" + out)
    for f in failures:
        print("check_oom_api --selftest:", f)
    print(f"check_oom_api --selftest: {len(failures)} failure(s)")
    return 1 if failures else 0


def main():
    args = sys.argv[1:]
    mode = check
    if args and args[0] == "--selftest":
        mode = selftest
        args = args[1:]
    if len(args) != 2:
        sys.exit(__doc__)
    return mode(args[0], args[1])


if __name__ == "__main__":
    sys.exit(main())
