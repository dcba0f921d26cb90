#!/usr/bin/env python3
"""check_modules.py can fail: on a scratch tree of two modules a and b (b offers b.h, keeps
b_int.h private) it must accept the allowed includes and calls and reject each kind of breach.
usage: test_check_modules.py CHECKER C_COMPILER NM"""
import os
import subprocess
import sys
import tempfile

checker, cc, nm = sys.argv[1:4]
failures = []


def case(label, a_src, a_deps, b_deps="", want=None, symbols=False, test_src=""):
    """Run the checker on a tree where lib/a/a.c is a_src; want: None for success, else a
    fragment of the expected error line."""
    with tempfile.TemporaryDirectory() as t:
        for d in ("lib/a", "lib/b", "include", "tests/a"):
            os.makedirs(os.path.join(t, d))
        files = {"include/clef.h": "", "lib/a/a_int.h": "", "lib/b/b_int.h": "",
                 "lib/b/b.h": "int b_fn(void);\n", "lib/a/a.c": a_src,
                 "lib/b/b.c": "int b_fn(void) { return 1; }\n", "tests/a/test_a.c": test_src}
        for p, s in files.items():
            with open(os.path.join(t, p), "w") as f:
                f.write(s)
        objs = {}
        for m in ("a", "b"):
            objs[m] = os.path.join(t, f"{m}.o")
            if symbols:
                subprocess.run([cc, "-c", "-I", os.path.join(t, "lib/b"), "-o", objs[m],
                                os.path.join(t, f"lib/{m}/{m}.c")], check=True)
        with open(os.path.join(t, "table.txt"), "w") as f:
            f.write(f"a|{a_deps}||{t}/lib/a|{objs['a'] if symbols else ''}\n")
            f.write(f"b|{b_deps}|b.h|{t}/lib/b|{objs['b'] if symbols else ''}\n")
        r = subprocess.run([sys.executable, checker, os.path.join(t, "table.txt"),
                            os.path.join(t, "include"), "--nm", nm,
                            "--tests", os.path.join(t, "tests")], capture_output=True,
                           text=True)
        out = r.stdout + r.stderr
        ok = r.returncode == 0 if want is None else (r.returncode == 1 and want in out)
        print(f"{'ok' if ok else 'FAILED'}: {label}" + ("" if ok else f"\n{out}"))
        if not ok:
            failures.append(label)


good = '#include "a_int.h"\n#include "clef.h"\n#include "b.h"\n#include <stdio.h>\n'
case("own, public and declared interface headers", good, "b")
case("another module's private header", '#include "b_int.h"\n', "b", want="private to module b")
case("an undeclared module's interface", '#include "b.h"\n', "", want="which a does not declare")
case("a path into another directory", '#include "../b/b.h"\n', "b", want="reaches into")
case("an angle include of a private header", "#include <b_int.h>\n", "b", want="private to")
case("a header no module has", '#include "zz.h"\n', "", want="no module")
case("a DEPS entry that is no module", "", "zz", want="not a module")
case("a dependency cycle", "", "b", b_deps="a", want="dependency cycle")
call = '#include "b.h"\nint a_fn(void) { return b_fn(); }\n'
case("a declared call", call, "b", symbols=True)
case("a call into an undeclared module", "int b_fn(void);\nint a_fn(void) { return b_fn(); }\n",
     "", symbols=True, want="calls module b (b_fn)")
case("a test of a including a's private and b's interface header", "", "",
     test_src='#include "a/a_int.h"\n#include "b/b.h"\n')
case("a test of a including b's private header", "", "", test_src='#include "b/b_int.h"\n',
     want="belongs in tests/b/")
sys.exit(1 if failures else 0)
