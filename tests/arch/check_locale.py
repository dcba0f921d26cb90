#!/usr/bin/env python3
"""Fail when lib/ formats or parses a number through the host's locale (docs/C-STYLE.md rule 24).

A host that called setlocale(LC_ALL, "") with a comma-decimal locale changes what printf("%g")
writes and what strtod accepts; the library's files must not change with it. Every such call
goes through lib/core/numtext.c (clefi_snprintf, clefi_vsnprintf, clefi_strtod,
clefi_parse_double, clefi_fmt_double). Flagged anywhere else in lib/:
  - a printf-family call (printf, fprintf, sprintf, snprintf, dprintf and their v- forms) whose
    format has a floating-point conversion (%f %F %e %E %g %G %a %A), or whose format is not a
    string literal (it could carry one);
  - a scanf-family call with a floating-point conversion or a non-literal format;
  - atof, strtod, strtof, strtold, and jansson's locale-patched json_real/json_number_value.
Calls of the library's own wrappers (clefi_error, clefi_sbuf_printf, ...) are fine: they format
through clefi_vsnprintf.

usage: check_locale.py LIB_DIR [--allow FILE]...   (exit 1 and one line per finding)
       check_locale.py --selftest
"""
import os
import re
import sys

PRINTF = r"(?:v?f|v?s|v?sn|v?d|v?as)?printf"
SCANF = r"v?[fs]?scanf"
CALL = re.compile(r"(?<![\w.>])(" + PRINTF + r"|" + SCANF + r")\s*\(")
BANNED = re.compile(r"(?<![\w.>])(atof|strtod|strtof|strtold|json_real|json_real_value|"
                    r"json_number_value)\s*\(")
FLOAT_CONV = re.compile(r"%[-+ #0'I]*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:L|l|ll|h|hh|q|j|z|t)?[fFeEgGaA]")
STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def strip_comments(src):
    """Blank out comments and character literals, keeping offsets and string literals."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(ch if ch == "\n" else " " for ch in src[i:j]))
            i = j
        elif src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c == '"':
            m = STRING.match(src, i)
            j = m.end() if m else i + 1
            out.append(src[i:j])
            i = j
        elif c == "'":
            m = re.compile(r"'(?:[^'\\\n]|\\.)*'").match(src, i)
            j = m.end() if m else i + 1
            out.append(" " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def call_args(src, start):
    """Text of the argument list of a call whose '(' is at start-1, up to its ')'."""
    depth, i = 1, start
    while i < len(src) and depth:
        if src[i] == '"':
            m = STRING.match(src, i)
            i = m.end() if m else i + 1
            continue
        depth += {"(": 1, ")": -1}.get(src[i], 0)
        i += 1
    return src[start:i - 1]


def split_top(args):
    """Top-level comma split of an argument list (strings and parentheses respected)."""
    parts, depth, cur, i = [], 0, [], 0
    while i < len(args):
        c = args[i]
        if c == '"':
            m = STRING.match(args, i)
            j = m.end() if m else i + 1
            cur.append(args[i:j])
            i = j
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def format_arg(name, parts):
    """The format argument of a printf/scanf call (None when the call has too few arguments)."""
    base = name.lstrip("v")
    idx = {"printf": 0, "scanf": 0, "fprintf": 1, "sprintf": 1, "dprintf": 1, "asprintf": 1,
           "fscanf": 1, "sscanf": 1, "snprintf": 2}.get(base)
    return parts[idx] if idx is not None and idx < len(parts) else None


def findings(path, src):
    text = strip_comments(src)
    out = []

    def line(pos):
        return text.count("\n", 0, pos) + 1

    for m in CALL.finditer(text):
        name = m.group(1)
        parts = split_top(call_args(text, m.end()))
        fmt = format_arg(name, parts)
        if fmt is None:
            continue
        rest = re.sub(r"\bPRI\w+\b", "", STRING.sub("", fmt)).strip()
        # literals, <inttypes.h> PRI macros, or `cond ? "lit" : "lit"`
        literal = STRING.search(fmt) and (rest == "" or re.fullmatch(r"[^?\"]*\?\s*:", rest))
        if not literal:
            out.append(f"{path}:{line(m.start())}: {name} with a non-literal format (use "
                       "clefi_vsnprintf)")
        elif FLOAT_CONV.search("".join(STRING.findall(fmt))):
            out.append(f"{path}:{line(m.start())}: {name} formats a floating-point number in "
                       "the host's locale (use clefi_snprintf)")
    for m in BANNED.finditer(STRING.sub(lambda s: '"' + " " * (len(s.group(0)) - 2) + '"', text)):
        out.append(f"{path}:{line(m.start())}: {m.group(1)} depends on the host's locale (use "
                   "clefi_parse_double or clefi_strtod)")
    return out


def check(lib_dir, allow):
    problems = []
    for root, _, files in os.walk(lib_dir):
        for f in sorted(files):
            if not f.endswith((".c", ".h")):
                continue
            p = os.path.join(root, f)
            rel = os.path.relpath(p, lib_dir)
            if rel in allow:
                continue
            with open(p, encoding="utf-8", errors="replace") as fh:
                problems += findings(rel, fh.read())
    return problems


SELFTEST = [
    ('snprintf(b, n, "%d items", k);', 0),
    ('snprintf(b, n, "%.9g", x);', 1),
    ('snprintf(b, n,\n  "a %s "\n  "%8.3f s", s, x);', 1),
    ('fprintf(f, "%lld,%e\\n", a, b);', 1),
    ('vsnprintf(b, n, fmt, ap);', 1),
    ('clefi_snprintf(b, n, "%g", x);', 0),
    ('clefi_error(c, e, r, "%g s", x);', 0),
    ('double x = atof(s);', 1),
    ('x = strtod(s, &e);', 1),
    ('x = clefi_strtod(s, &e);', 0),
    ('/* strtod(s) in a comment */ int a;', 0),
    ('snprintf(b, n, "100%% of %s", s);', 0),
    ('sscanf(s, "%lf", &x);', 1),
    ('sscanf(s, "%d", &k);', 0),
    ('const char *t = "strtod(";', 0),
    ('v = json_number_value(j);', 1),
    ('snprintf(b, n, i ? ",%d" : "%d", k);', 0),
    ('snprintf(b, n, i ? ",%g" : "%g", x);', 1),
    ('snprintf(b, n, "%" PRId64, v);', 0),
    ('snprintf(b, n, pick(i), v);', 1),
]


def selftest():
    bad = 0
    for src, want in SELFTEST:
        got = len(findings("t.c", src))
        if got != want:
            print(f"selftest: {src!r}: {got} findings, want {want}")
            bad += 1
    print("check_locale selftest:", "FAILED" if bad else f"{len(SELFTEST)} cases pass")
    return 1 if bad else 0


def main(argv):
    if argv[1:] == ["--selftest"]:
        return selftest()
    if len(argv) < 2:
        print(__doc__)
        return 2
    allow = set()
    args = argv[2:]
    while args:
        if args[0] == "--allow" and len(args) > 1:
            allow.add(args[1])
            args = args[2:]
        else:
            print(f"check_locale: unknown argument {args[0]}")
            return 2
    problems = check(argv[1], allow)
    for p in problems:
        print(p)
    if problems:
        print(f"check_locale: {len(problems)} locale-dependent number call(s) in lib/; route them "
              "through lib/core/numtext.c (docs/C-STYLE.md rule 24)")
        return 1
    print("check_locale: no locale-dependent number formatting or parsing in lib/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
