"""Restricted-grammar parser for include/clef.h (Python 3 standard library only).

clef.h keeps to a small, FFI-safe subset of C (docs/ARCHITECTURE.md section 7). This module
parses exactly that subset and raises GrammarError, naming the line, on anything else, so that a
construct the bindings cannot express is caught when the header changes, not in a user's
notebook. The accepted grammar:

Preprocessor
  - ``#define NAME <integer constant expression>`` outside conditionals (other than the include
    guard) becomes a constant; the expression may use integer literals, earlier constants,
    ``+ - * / % << >> | & ( )``. Any other ``#define`` (strings, function-like macros, the
    CLEF_API export macro) is not API and is skipped.
  - ``#if/#ifdef/#ifndef``: a block whose condition names ``__cplusplus`` is false; the include
    guard is true; any other conditional block may hold only preprocessor lines.
  - ``#include`` lines are skipped.

Top-level statements (after comments are removed), each ending in ``;``
  - ``typedef struct clef_x clef_x;``                  opaque handle type
  - ``typedef <int type> name;``                        integer alias (e.g. clef_status)
  - ``typedef <ret> (*name)(<params>);``                callback type
  - ``enum name { A = <int>, B = -<int>, ... };``       every enumerator with an explicit value
  - ``CLEF_API <ret> clef_name(<params>) [CLEF_DEPRECATED("...")];``   one function

Types (a parameter must be named; ``(void)`` is the empty list)
  - by value: int8_t .. int64_t, uint8_t .. uint64_t, size_t, float, double, integer aliases,
    callback types; ``void`` only as a return type
  - ``const char *``            UTF-8 string in (parameter) or static/borrowed string (return)
  - ``const char **``           out-parameter receiving a borrowed string
  - ``const char *const *``     array of strings in
  - ``char *``                  caller-owned text buffer (its capacity is the next size_t)
  - ``const T *``               numeric array in (T numeric)
  - ``T *``                     numeric out: a buffer when an integer capacity follows it
                                (named cap, capacity, *_cap, size, n_bytes; strides between are
                                skipped); otherwise one value when named needed/*_out or when
                                the function has no count argument (n, k, n_*, count, max_n);
                                anything else is ambiguous and needs a line in
                                annotations.txt ("function param in|out|inout|scalar size")
  - ``[const] clef_x *``        handle; as a return value: a borrowed handle
  - ``clef_x **``               out-parameter receiving a new handle
  - ``void *`` / ``const void *``  raw output buffer when a capacity follows, else opaque user
                                pointer / bytes in
  Input arrays are checked against annotations.txt's size or, failing that, against the
  integer argument right after them (a lower bound).
Rejected: struct/union bodies, by-value structs, bool, int/long/short/char/unsigned,
varargs, arrays, function pointers not behind a typedef, unnamed parameters, returned data
pointers, enums without explicit values.
"""

import os
import re
from dataclasses import dataclass, field

INT_TYPES = {
    "int8_t": (True, 8),
    "int16_t": (True, 16),
    "int32_t": (True, 32),
    "int64_t": (True, 64),
    "uint8_t": (False, 8),
    "uint16_t": (False, 16),
    "uint32_t": (False, 32),
    "uint64_t": (False, 64),
    "size_t": (False, 64),
}
FLOAT_TYPES = {"float", "double"}
NUMERIC_TYPES = set(INT_TYPES) | FLOAT_TYPES
FORBIDDEN_HINTS = {
    "int": "use int32_t",
    "long": "use int64_t",
    "short": "use int16_t",
    "unsigned": "use uint32_t",
    "signed": "use a fixed-width type",
    "bool": "use int32_t (0/1)",
    "_Bool": "use int32_t (0/1)",
    "char": "only 'const char *', 'char *', 'const char **' and 'const char *const *' are allowed",
    "struct": "pass opaque handles by pointer; no structs by value",
    "union": "no unions",
    "...": "no varargs",
}


class GrammarError(Exception):
    """A construct outside the restricted grammar; message names the header line."""


@dataclass
class CType:
    """One parameter or return type, classified for binding generation.

    kind: void | scalar | cstr | cstr_out | cstr_array | charbuf | array_in | ptr_out |
          handle | handle_out | callback | voidp | bytes_in
    base: numeric base type (after alias resolution), handle or callback name
    """

    kind: str
    base: str
    spelling: str
    const: bool = False


@dataclass
class Param:
    name: str
    type: CType
    # Element count of a buffer: an expression over the function's integer and handle
    # arguments and header functions (e.g. "cap", "n_ch*row_stride"); "" when unknown.
    length_param: str = ""
    # For ptr_out: "out" (a buffer of length_param elements), "scalar" (one value) or "inout"
    # (a buffer read and written in place).
    role: str = ""


@dataclass
class Function:
    name: str
    ret: CType
    params: list
    line: int
    deprecated: bool = False
    doc: str = ""


@dataclass
class Callback:
    name: str
    ret: CType
    params: list
    line: int


@dataclass
class Enum:
    name: str
    members: list  # [(name, value)]
    line: int


@dataclass
class Header:
    constants: list = field(default_factory=list)  # [(name, value)] from #define
    enums: list = field(default_factory=list)
    handles: list = field(default_factory=list)  # names, declaration order
    aliases: dict = field(default_factory=dict)  # name -> base int type
    callbacks: list = field(default_factory=list)
    functions: list = field(default_factory=list)

    def constant_value(self, name):
        for n, v in self.constants:
            if n == name:
                return v
        for e in self.enums:
            for n, v in e.members:
                if n == name:
                    return v
        return None

    def doc(self, fn):
        """fn's documentation: its clef.h comment, or one for an undocumented free, _errmsg or
        _errcode function of a handle."""
        if fn.doc:
            return fn.doc
        h = fn.params[0].type.base if len(fn.params) == 1 else ""
        if fn.name == self.free_function(h):
            return f"Free a {h} (NULL is accepted)."
        if fn.name == self.errmsg_function(h):
            return f"The message of the last failure recorded on a {h} (\"\" if none)."
        if fn.name.endswith("_errcode") and h:
            return f"The status of the last failure recorded on a {h} (CLEF_OK if none)."
        if fn.name.endswith("_create") and fn.params and fn.params[0].type.kind == "handle_out":
            return (f"Create a {fn.params[0].type.base}, freed by its _free function; errors "
                    "are recorded on ctx.")
        return "(No comment in clef.h.)"

    def free_function(self, handle):
        """clef_x_free(clef_x *) returning void, if declared."""
        for f in self.functions:
            if (
                f.name == handle + "_free"
                and f.ret.kind == "void"
                and len(f.params) == 1
                and f.params[0].type.kind == "handle"
                and f.params[0].type.base == handle
            ):
                return f.name
        return None

    def errmsg_function(self, handle):
        """const char *clef_x_errmsg(const clef_x *), if declared."""
        for f in self.functions:
            if (
                f.name == handle + "_errmsg"
                and f.ret.kind == "cstr"
                and len(f.params) == 1
                and f.params[0].type.kind == "handle"
                and f.params[0].type.base == handle
            ):
                return f.name
        return None

    @staticmethod
    def returns_status(fn):
        """True when the return value is the call's outcome: a clef_status, except from
        clef_<noun>_errcode() getters, which report a handle's last error as a value."""
        return fn.ret.spelling == "clef_status" and not fn.name.endswith("_errcode")

    def error_source(self, fn):
        """(param index, errmsg function) that explains a failed status of fn, or None.

        Constructors (a handle out-parameter) record their errors on the ctx they were given
        (docs/C-STYLE.md rule 4); other calls on the first handle argument that has an
        _errmsg function."""
        if not self.returns_status(fn):
            return None
        handles = [(i, p) for i, p in enumerate(fn.params) if p.type.kind == "handle"]
        if any(p.type.kind == "handle_out" for p in fn.params):
            for i, p in handles:
                if p.type.base == "clef_ctx" and self.errmsg_function("clef_ctx"):
                    return i, self.errmsg_function("clef_ctx")
        for i, p in handles:
            em = self.errmsg_function(p.type.base)
            if em:
                return i, em
        return None


# ---------------------------------------------------------------------------------------------
# Lexing helpers


def _strip_comments(text):
    """Replace comments by spaces, keeping newlines so line numbers stay right."""
    out = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise GrammarError("unterminated comment")
            out.append(re.sub(r"[^\n]", " ", text[i : j + 2]))
            i = j + 2
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _join_continuations(lines):
    """Physical lines -> [(first line number, logical line)]."""
    res, buf, start = [], "", None
    for no, line in enumerate(lines, 1):
        if start is None:
            start = no
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        res.append((start, buf + line))
        buf, start = "", None
    if start is not None:
        res.append((start, buf))
    return res


_INT_LIT = re.compile(r"(0[xX][0-9a-fA-F]+|\d+)[uUlL]*")


def _eval_int_expr(expr, known):
    """Evaluate a C integer constant expression over literals and known names, or None."""
    toks = re.findall(r"0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_]\w*|<<|>>|[-+*/%()|&~^]|\S", expr)
    py = []
    for t in toks:
        m = _INT_LIT.fullmatch(t)
        if m:
            py.append(str(int(m.group(1), 0)))
        elif re.fullmatch(r"[A-Za-z_]\w*", t):
            if t not in known:
                return None
            py.append(str(known[t]))
        elif t in ("+", "-", "*", "%", "(", ")", "<<", ">>", "|", "&", "~", "^"):
            py.append(t)
        elif t == "/":
            py.append("//")  # operands are non-negative in practice; C truncates
        else:
            return None
    if not py:
        return None
    try:
        val = eval(" ".join(py), {"__builtins__": {}}, {})  # only digits and operators reach here
    except Exception:
        return None
    return val if isinstance(val, int) else None


def _preprocess(text, hdr):
    """Handle directives; return the text of active, non-directive lines (line numbers kept)."""
    lines = text.split("\n")
    out = [""] * len(lines)
    stack = []  # entries: (active, kind) kind in guard|cplusplus|other
    known = {}
    guard_seen = False
    for no, line in _join_continuations(lines):
        s = line.strip()
        active = all(a for a, _ in stack)
        if s.startswith("#"):
            d = s[1:].strip()
            word = re.match(r"\w*", d).group(0)
            rest = d[len(word) :].strip()
            if word in ("if", "ifdef", "ifndef"):
                if "__cplusplus" in rest:
                    stack.append((False, "cplusplus"))
                elif word == "ifndef" and not guard_seen and not stack:
                    guard_seen = True
                    stack.append((True, "guard"))
                else:
                    stack.append((True, "other"))
            elif word in ("elif", "else"):
                if not stack:
                    raise GrammarError(f"line {no}: #{word} without #if")
                a, kind = stack.pop()
                stack.append((not a if kind == "cplusplus" else True, kind))
            elif word == "endif":
                if not stack:
                    raise GrammarError(f"line {no}: #endif without #if")
                stack.pop()
            elif word == "define":
                m = re.match(r"([A-Za-z_]\w*)(\(?)\s*(.*)$", rest)
                if not m:
                    raise GrammarError(f"line {no}: cannot parse #define")
                name, fnlike, body = m.group(1), m.group(2), m.group(3).strip()
                in_plain = all(kind == "guard" for _, kind in stack)
                if active and in_plain and not fnlike and body:
                    val = _eval_int_expr(body, known)
                    if val is not None:
                        known[name] = val
                        hdr.constants.append((name, val))
            elif word in ("include", "undef", "pragma", "error", "warning", ""):
                pass
            else:
                raise GrammarError(f"line {no}: unsupported directive #{word}")
            continue
        if not active:
            continue
        if s and any(kind == "other" for _, kind in stack):
            raise GrammarError(
                f"line {no}: declarations inside #if blocks are not supported: {s[:60]}")
        out[no - 1] = line
    if stack:
        raise GrammarError("unterminated #if block")
    return "\n".join(out)


def _statements(text):
    """Split into (line, statement) at top-level ';' (brace-aware)."""
    stmts, buf, depth, start = [], [], 0, None
    line = 1
    for ch in text:
        if ch == "\n":
            line += 1
        if start is None and not ch.isspace():
            start = line
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                raise GrammarError(f"line {line}: unbalanced '}}'")
        if ch == ";" and depth == 0:
            stmts.append((start, " ".join("".join(buf).split())))
            buf, start = [], None
            continue
        buf.append(ch)
    rest = "".join(buf).strip()
    if rest:
        raise GrammarError(f"line {start}: statement without ';': {rest[:60]}")
    return stmts


# ---------------------------------------------------------------------------------------------
# Types


def _tokens(decl):
    return re.findall(r"[A-Za-z_]\w*|\*|\.\.\.|\S", decl)


def _forbidden(words, where):
    for w in words:
        if w in FORBIDDEN_HINTS:
            raise GrammarError(f"{where}: type '{w}' is outside the binding grammar "
                               f"({FORBIDDEN_HINTS[w]})")


class _Parser:
    def __init__(self, hdr):
        self.hdr = hdr

    def classify(self, toks, where, is_return=False, callback_return=False):
        """Classify a type given as tokens (no name)."""
        spelling = re.sub(r"\s*\*\s*", " *", " ".join(toks)).replace("* *", "**").strip()
        stars = toks.count("*")
        # position of const relative to stars
        words = [t for t in toks if t != "*"]
        if any(not re.fullmatch(r"[A-Za-z_]\w*", t) for t in words):
            _forbidden(words, where)
            raise GrammarError(f"{where}: cannot parse type '{' '.join(toks)}'")
        base_words = [w for w in words if w != "const"]
        if len(base_words) != 1:
            _forbidden(base_words, where)
            raise GrammarError(f"{where}: type '{' '.join(toks)}' must name exactly one base type")
        base = base_words[0]
        lead_const = toks[0] == "const" or (len(toks) > 1 and toks[1] == "const" and toks[0] == base)
        # const after the first star (e.g. const char *const *)
        inner_const = False
        if stars >= 1:
            first_star = toks.index("*")
            inner_const = "const" in toks[first_star + 1 :]
        mk = lambda kind, b=base: CType(kind, b, spelling, lead_const)  # noqa: E731
        if base == "char":
            if stars == 1 and lead_const:
                return mk("cstr")
            if stars == 1 and not lead_const and not is_return:
                return mk("charbuf")
            if stars == 2 and lead_const and not inner_const and not is_return:
                return mk("cstr_out")
            if stars == 2 and lead_const and inner_const and not is_return:
                return mk("cstr_array")
            raise GrammarError(f"{where}: '{spelling}' is outside the binding grammar "
                               f"({FORBIDDEN_HINTS['char']})")
        _forbidden([base], where)
        if base == "void":
            if stars == 0:
                if not is_return:
                    raise GrammarError(f"{where}: 'void' parameter")
                return mk("void")
            if stars == 1 and (not is_return or (callback_return and not lead_const)):
                return mk("bytes_in" if lead_const else "voidp")
            raise GrammarError(f"{where}: '{spelling}' is outside the binding grammar "
                               "(void * only as a parameter: user pointer or bytes in)")
        if inner_const and base != "char":
            raise GrammarError(f"{where}: '{spelling}': const after '*' is only allowed in "
                               "'const char *const *'")
        num = base if base in NUMERIC_TYPES else self.hdr.aliases.get(base)
        if num is not None:
            if stars == 0:
                return CType("scalar", num, spelling, lead_const)
            if is_return:
                raise GrammarError(f"{where}: returning '{spelling}' is outside the binding "
                                   "grammar (fill a caller-owned buffer instead)")
            if stars == 1:
                return CType("array_in" if lead_const else "ptr_out", num, spelling, lead_const)
            raise GrammarError(f"{where}: '{spelling}': at most one '*' on a number")
        if base in self.hdr.handles:
            if stars == 1:
                return mk("handle")
            if stars == 2 and not lead_const and not is_return:
                return mk("handle_out")
            raise GrammarError(f"{where}: '{spelling}': a handle is passed as '{base} *' or "
                               f"returned through '{base} **out'")
        if base in {c.name for c in self.hdr.callbacks}:
            if stars == 0 and not is_return:
                return mk("callback")
            raise GrammarError(f"{where}: callback type '{base}' only by value as a parameter")
        if base in {e.name for e in self.hdr.enums}:
            raise GrammarError(f"{where}: enum type '{base}' in a signature (use int32_t)")
        raise GrammarError(f"{where}: unknown type '{base}' (declare handles as "
                           f"'typedef struct {base} {base};' before use)")

    def params(self, text, where):
        text = text.strip()
        if text == "void":
            return []
        if text == "":
            raise GrammarError(f"{where}: empty parameter list, write (void)")
        res = []
        for k, ptxt in enumerate(text.split(",")):
            toks = _tokens(ptxt)
            pw = f"{where}, parameter {k + 1}"
            if "..." in toks:
                raise GrammarError(f"{pw}: varargs are outside the binding grammar")
            if "[" in toks or "(" in toks:
                raise GrammarError(f"{pw}: arrays and inline function pointers are outside the "
                                   "binding grammar (use a pointer and length, or a callback "
                                   "typedef)")
            if len(toks) < 2 or toks[-1] in ("*", "const") or not re.fullmatch(r"[A-Za-z_]\w*", toks[-1]):
                raise GrammarError(f"{pw}: every parameter needs a name: '{ptxt.strip()}'")
            name = toks[-1]
            if name in NUMERIC_TYPES or name in self.hdr.handles or name in self.hdr.aliases:
                raise GrammarError(f"{pw}: every parameter needs a name: '{ptxt.strip()}'")
            ct = self.classify(toks[:-1], f"{pw} '{name}'")
            res.append(Param(name, ct))
        names = [p.name for p in res]
        if len(set(names)) != len(names):
            raise GrammarError(f"{where}: duplicate parameter names")
        return res

    def statement(self, line, s):
        where = f"line {line}"
        if s.startswith('extern "C"'):
            raise GrammarError(f"{where}: extern \"C\" outside '#ifdef __cplusplus'")
        m = re.fullmatch(r"typedef struct (\w+) (\w+)", s)
        if m:
            if m.group(1) != m.group(2):
                raise GrammarError(f"{where}: handle typedef must repeat its tag: {s}")
            if m.group(1) not in self.hdr.handles:  # C11 allows a repeated typedef
                self.hdr.handles.append(m.group(1))
            return
        if s.startswith("typedef struct") or s.startswith("struct") or "union" in s.split():
            raise GrammarError(f"{where}: struct/union definitions are outside the binding "
                               f"grammar (use an opaque handle): {s[:60]}")
        m = re.fullmatch(r"typedef (.+?)\(\s*\*\s*(\w+)\s*\)\s*\((.*)\)", s)
        if m:
            name = m.group(2)
            w = f"{where} callback {name}"
            ret = self.classify(_tokens(m.group(1)), w + " return", is_return=True,
                                callback_return=True)
            params = self.params(m.group(3), w)
            if not any(p.type.kind == "voidp" for p in params) or params[-1].type.kind != "voidp":
                raise GrammarError(f"{w}: a callback takes 'void *user' as its last parameter")
            self.hdr.callbacks.append(Callback(name, ret, params, line))
            return
        m = re.fullmatch(r"typedef (\w+) (\w+)", s)
        if m:
            if m.group(1) not in INT_TYPES:
                _forbidden([m.group(1)], where)
                raise GrammarError(f"{where}: only fixed-width integer aliases allowed: {s}")
            self.hdr.aliases[m.group(2)] = m.group(1)
            return
        m = re.fullmatch(r"enum (\w+) \{(.*)\}", s)
        if m:
            self.enum(m.group(1), m.group(2), line)
            return
        if s.startswith("typedef enum") or s.startswith("enum"):
            raise GrammarError(f"{where}: enums are written 'enum name {{ A = 1, ... }};' "
                               f"(no typedef, no anonymous enum): {s[:60]}")
        if s.startswith("CLEF_API "):
            self.function(s[len("CLEF_API ") :], line)
            return
        if s.startswith("typedef"):
            raise GrammarError(f"{where}: unsupported typedef: {s[:80]}")
        raise GrammarError(f"{where}: not a CLEF_API declaration, handle typedef, callback "
                           f"typedef, integer alias or enum: {s[:80]}")

    def enum(self, name, body, line):
        members = []
        known = dict(self.hdr.constants)
        for e in self.hdr.enums:
            known.update(e.members)
        items = [x.strip() for x in body.split(",")]
        if items and items[-1] == "":
            items.pop()
        for it in items:
            m = re.fullmatch(r"(\w+)\s*=\s*(.+)", it)
            if not m:
                raise GrammarError(f"line {line}: enum {name}: '{it}' needs an explicit value")
            known.update(members)
            val = _eval_int_expr(m.group(2), known)
            if val is None:
                raise GrammarError(f"line {line}: enum {name}: value of {m.group(1)} is not an "
                                   f"integer constant: '{m.group(2)}'")
            if not -(2**31) <= val < 2**31:
                raise GrammarError(f"line {line}: enum {name}: {m.group(1)} = {val} outside int32")
            members.append((m.group(1), val))
        if not members:
            raise GrammarError(f"line {line}: enum {name} is empty")
        self.hdr.enums.append(Enum(name, members, line))

    def function(self, s, line):
        deprecated = False
        m = re.search(r"\s*CLEF_DEPRECATED\s*\(\s*\"(?:[^\"\\]|\\.)*\"\s*\)\s*$", s)
        if m:
            deprecated = True
            s = s[: m.start()]
        m = re.fullmatch(r"(.+?)\b(clef_\w+)\s*\((.*)\)", s)
        if not m:
            raise GrammarError(f"line {line}: cannot parse CLEF_API declaration (one prototype "
                               f"per statement, name clef_*): {s[:80]}")
        name = m.group(2)
        if "(" in m.group(3) or ")" in m.group(3):
            raise GrammarError(f"line {line}: {name}: inline function pointers are outside the "
                               "binding grammar (use a callback typedef)")
        where = f"line {line}: {name}"
        ret = self.classify(_tokens(m.group(1)), where + " return", is_return=True)
        if ret.kind in ("bytes_in", "voidp"):
            raise GrammarError(f"{where}: returning void * is outside the binding grammar")
        params = self.params(m.group(3), where)
        if any(f.name == name for f in self.hdr.functions):
            raise GrammarError(f"{where}: declared twice")
        self.hdr.functions.append(Function(name, ret, params, line, deprecated))


# ---------------------------------------------------------------------------------------------
# Buffer sizes

CAP_NAME = re.compile(r"(cap|capacity|size|n_bytes|\w+_cap|\w+_capacity|\w+_size)")
COUNT_NAME = re.compile(r"(n|k|count|max_n|n_\w+|\w+_n|num_\w+)")
SCALAR_OUT_NAME = re.compile(r"(needed|\w+_needed|\w+_out)")
ANNOTATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "annotations.txt")


def load_annotations(path=ANNOTATIONS):
    """{(function, param): (role, size expression)} from annotations.txt."""
    res = {}
    if not os.path.exists(path):
        return res
    with open(path, encoding="utf-8") as fh:
        for no, line in enumerate(fh, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split(None, 3)
            if len(parts) < 3 or parts[2] not in ("in", "out", "inout", "scalar"):
                raise GrammarError(f"annotations.txt line {no}: expected "
                                   "'function param in|out|inout|scalar [size]'")
            size = parts[3].replace(" ", "") if len(parts) > 3 else ""
            if parts[2] != "scalar" and not size:
                raise GrammarError(f"annotations.txt line {no}: a buffer needs a size")
            res[(parts[0], parts[1])] = (parts[2], size)
    return res


def _is_int(p):
    return p.type.kind == "scalar" and p.type.base in INT_TYPES


def _capacity_after(params, i):
    """Name of the integer capacity that follows params[i] (strides skipped), or ""."""
    for q in params[i + 1 :]:
        if _is_int(q) and "stride" in q.name:
            continue
        return q.name if _is_int(q) and CAP_NAME.fullmatch(q.name) else ""
    return ""


def _check_size_expr(hdr, f, expr, where):
    names = {p.name: p for p in f.params}
    funcs = {g.name for g in hdr.functions}
    for tok in re.findall(r"[A-Za-z_]\w*|\d+|\S", expr):
        if re.fullmatch(r"\d+|[-+*/(),]", tok):
            continue
        if tok in funcs:
            continue
        p = names.get(tok)
        if p is None or not (_is_int(p) or p.type.kind == "handle"):
            raise GrammarError(f"{where}: size '{expr}' uses '{tok}', which is neither an "
                               "integer or handle argument nor a clef function")


def _resolve_sizes(hdr, annotations):
    """Give every buffer parameter its element count and every numeric out-pointer its role."""
    fnames = {f.name for f in hdr.functions}
    for (fname, pname) in annotations:
        if fname in fnames and pname not in {p.name for p in next(
                f for f in hdr.functions if f.name == fname).params}:
            raise GrammarError(f"annotations.txt: {fname} has no parameter '{pname}'")
    for f in hdr.functions:
        where = f"line {f.line}: {f.name}"
        counts = [p.name for p in f.params if _is_int(p) and COUNT_NAME.fullmatch(p.name)]
        for i, p in enumerate(f.params):
            k = p.type.kind
            ann = annotations.get((f.name, p.name))
            if k == "voidp" and _capacity_after(f.params, i):  # a raw output buffer
                p.type = CType("ptr_out", "uint8_t", p.type.spelling)
                k = "ptr_out"
            if ann is not None:
                role, size = ann
                ok = {"in": ("array_in", "bytes_in", "cstr_array"), "out": ("ptr_out",),
                      "inout": ("ptr_out",), "scalar": ("ptr_out",)}[role]
                if k not in ok:
                    raise GrammarError(f"{where}: annotation '{role}' does not fit "
                                       f"'{p.type.spelling}{p.name}'")
                _check_size_expr(hdr, f, size, where)
                p.length_param, p.role = size, (role if k == "ptr_out" else "")
                continue
            if k in ("ptr_out", "charbuf"):
                cap = _capacity_after(f.params, i)
                if cap:
                    p.length_param, p.role = cap, "out"
                elif k == "charbuf":
                    raise GrammarError(f"{where}: 'char *{p.name}' must be followed by its "
                                       "capacity (cap, capacity, *_cap)")
                elif SCALAR_OUT_NAME.fullmatch(p.name) or not counts:
                    p.role = "scalar"
                else:
                    raise GrammarError(
                        f"{where}: is '{p.type.spelling}{p.name}' one value or an array of "
                        f"{'/'.join(counts)} elements? Follow it with its capacity (cap) or add "
                        f"a line to tools/gen_bindings/annotations.txt")
            elif k in ("array_in", "bytes_in", "cstr_array"):
                nxt = f.params[i + 1] if i + 1 < len(f.params) else None
                if nxt is not None and _is_int(nxt):
                    p.length_param = nxt.name  # a lower bound: an array holds at least this


_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_DECL = re.compile(r"^CLEF_API\b[^;]*?\b(clef_\w+)\s*\([^;]*;", re.S | re.M)


def _doc_text(comment):
    body = comment[3:-2]
    lines = [re.sub(r"^\s*\*?\s?", "", ln).strip() for ln in body.split("\n")]
    return "\n".join(lines).strip()


def doc_comments(text):
    """{function name: its documentation}: the ``/** ... */`` comment right before a CLEF_API
    declaration (markers and leading ``*`` removed, one line per source line). A declaration
    that directly follows a documented one, with no blank line between, shares its comment
    (e.g. clef_params_set_i64 and clef_params_set_f64), except a _free, _errmsg or _errcode
    function (Header.doc() describes those)."""
    ends = {m.end(): m.group(0) for m in _COMMENT.finditer(text)}
    res, prev_end, prev_doc = {}, -1, ""
    for m in _DECL.finditer(text):
        before = text[: m.start()].rstrip()
        gap = text[len(before) : m.start()]
        doc = ""
        c = ends.get(len(before))
        if c is not None and c.startswith("/**") and not c.startswith("/**<"):
            doc = _doc_text(c)
        elif (len(before) == prev_end and gap.count("\n") <= 1
              and not re.search(r"_(free|errmsg|errcode)$", m.group(1))):
            doc = prev_doc
        res[m.group(1)] = doc
        prev_end, prev_doc = m.end(), doc
    return res


def parse(text, annotations=None):
    """Parse clef.h text into a Header, or raise GrammarError. annotations: see
    load_annotations() (default: tools/gen_bindings/annotations.txt)."""
    hdr = Header()
    code = _preprocess(_strip_comments(text), hdr)
    p = _Parser(hdr)
    for line, s in _statements(code):
        if s:
            p.statement(line, s)
    docs = doc_comments(text)
    for f in hdr.functions:
        f.doc = docs.get(f.name, "")
    if not hdr.functions:
        raise GrammarError("no CLEF_API functions found")
    # handle names must follow clef_<noun>
    for h in hdr.handles:
        if not h.startswith("clef_"):
            raise GrammarError(f"handle type '{h}' must be named clef_<noun>")
    _resolve_sizes(hdr, load_annotations() if annotations is None else annotations)
    return hdr
