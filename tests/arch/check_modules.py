#!/usr/bin/env python3
"""Module boundaries (docs/ARCHITECTURE.md section 2, docs/C-STYLE.md rule 20), checked against
the table that cmake/ClefModule.cmake writes from each clef_module(<m> DEPS ... INTERFACE ...):

 1. DEPS name modules, and the dependency graph has no cycle;
 2. every #include in lib/<m>/*.c|h names, by name and never by a path into another directory,
    a header of <m> itself, a public header of include/, or an INTERFACE header of a module
    among <m>'s DEPS (never another module's private header);
 3. unless --no-symbols: every symbol that <m>'s objects take from another module's objects
    (clefi_* and public clef_* alike) belongs to a module among <m>'s DEPS;
 4. with --tests DIR: a test in DIR/<t>/ includes "<m>/<header>" only for an interface header
    or for <t> == <m>: a white-box test lives under the module it tests (DIR/support, DIR/cli
    and the like, no module's, include interface headers only).

usage: check_modules.py TABLE PUBLIC_INCLUDE_DIR [--nm NM] [--no-symbols] [--tests DIR]
Prints one line per violation and exits 1 if there is any.
"""
import argparse
import os
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def read_table(path):
    mods = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            name, deps, ifaces, src, objs = line.split("|")
            split = lambda s: [x for x in s.split(",") if x]
            mods[name] = {"deps": split(deps), "iface": split(ifaces), "dir": src,
                          "objs": split(objs)}
    return mods


def check_graph(mods):
    errs = []
    for m, d in sorted(mods.items()):
        errs += [f"module {m}: DEPS names {x}, which is not a module" for x in d["deps"]
                 if x not in mods]
    state = {}

    def visit(m, path):
        if state.get(m) == "done":
            return
        if state.get(m) == "open":
            cyc = path[path.index(m):] + [m]
            errs.append("dependency cycle: " + " -> ".join(cyc))
            return
        state[m] = "open"
        for x in mods[m]["deps"]:
            if x in mods:
                visit(x, path + [m])
        state[m] = "done"

    for m in sorted(mods):
        visit(m, [])
    return errs


def check_includes(mods, public_dir):
    owner = {}  # header name -> module
    for m, d in mods.items():
        for h in os.listdir(d["dir"]):
            if h.endswith((".h", ".def")):
                owner[h] = m
    public = set(os.listdir(public_dir))
    errs = []
    for m, d in sorted(mods.items()):
        own = set(os.listdir(d["dir"]))
        for fn in sorted(own):
            if not fn.endswith((".c", ".h")):
                continue
            path = os.path.join(d["dir"], fn)
            with open(path, encoding="utf-8", errors="replace") as f:
                for no, line in enumerate(f, 1):
                    r = INCLUDE.match(line)
                    if not r:
                        continue
                    quote, name = r.groups()
                    base = os.path.basename(name)
                    if quote == "<" and base not in owner:
                        continue  # a system header
                    where = f"lib/{m}/{fn}:{no}: #include {quote}{name}{'>' if quote == '<' else quote}"
                    if "/" in name:
                        errs.append(f"{where} reaches into a directory; include a header by its "
                                    f"name (lib/{m}'s include path holds lib/{m}/ and the "
                                    f"interface headers of its DEPS)")
                    elif name in own or name in public:
                        continue
                    elif name not in owner:
                        errs.append(f"{where}: no module and no public header has this name")
                    else:
                        o = owner[name]
                        if name not in mods[o]["iface"]:
                            offer = ", ".join(mods[o]["iface"]) or "none; use include/clef.h"
                            errs.append(f"{where}: {name} is private to module {o} "
                                        f"(its interface headers: {offer})")
                        elif o not in d["deps"]:
                            errs.append(f"{where}: {name} is the interface of module {o}, which "
                                        f"{m} does not declare (DEPS {' '.join(d['deps']) or '-'}"
                                        f" in lib/{m}/CMakeLists.txt)")
    return errs


def check_tests(mods, tests_dir):
    errs = []
    for t in sorted(os.listdir(tests_dir)):
        tdir = os.path.join(tests_dir, t)
        if not os.path.isdir(tdir):
            continue
        for fn in sorted(os.listdir(tdir)):
            if not fn.endswith((".c", ".h")):
                continue
            with open(os.path.join(tdir, fn), encoding="utf-8", errors="replace") as f:
                for no, line in enumerate(f, 1):
                    r = INCLUDE.match(line)
                    m, _, h = r.group(2).partition("/") if r else ("", "", "")
                    if m in mods and h and m != t and h not in mods[m]["iface"]:
                        errs.append(f"tests/{t}/{fn}:{no}: #include \"{m}/{h}\": {h} is private "
                                    f"to module {m}; a test of {m}'s internals belongs in "
                                    f"tests/{m}/")
    return errs


def nm_symbols(nm, objs):
    """(defined, undefined) global symbol sets of the objects."""
    defined, undefined = set(), set()
    if not objs:
        return defined, undefined
    out = subprocess.run([nm, "-P", "-g"] + objs, check=True, capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        p = line.split()
        if len(p) < 2 or p[0].endswith(":"):
            continue
        (undefined if p[1] == "U" else defined).add(p[0])
    return defined, undefined


def check_symbols(mods, nm):
    syms = {m: nm_symbols(nm, d["objs"]) for m, d in mods.items()}
    owner = {s: m for m, (defined, _) in syms.items() for s in defined}
    errs = []
    for m, (_, undefined) in sorted(syms.items()):
        used = {}
        for s in undefined:
            o = owner.get(s)
            if o is not None and o != m:
                used.setdefault(o, []).append(s)
        for o, ss in sorted(used.items()):
            if o not in mods[m]["deps"]:
                ss.sort()
                more = f" and {len(ss) - 3} more" if len(ss) > 3 else ""
                errs.append(f"module {m} calls module {o} ({', '.join(ss[:3])}{more}) without "
                            f"declaring it (DEPS {' '.join(mods[m]['deps']) or '-'} in "
                            f"lib/{m}/CMakeLists.txt)")
    return errs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("table")
    ap.add_argument("public_include_dir")
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--no-symbols", action="store_true")
    ap.add_argument("--tests")
    a = ap.parse_args()
    mods = read_table(a.table)
    errs = check_graph(mods) + check_includes(mods, a.public_include_dir)
    if not a.no_symbols:
        errs += check_symbols(mods, a.nm)
    if a.tests:
        errs += check_tests(mods, a.tests)
    for e in errs:
        print(e)
    if errs:
        return 1
    graph = "; ".join(f"{m} -> {' '.join(d['deps']) or '-'}" for m, d in sorted(mods.items()))
    print(f"module boundaries hold: {graph}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
