#!/usr/bin/env python3
"""Unit tests of the restricted-grammar parser and the emitters (stdlib unittest; pytest runs
them too). Good snippets must parse to the expected classification; bad ones must fail with a
message naming the problem."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clefh  # noqa: E402
import gen_bindings  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

PRELUDE = """
#ifndef CLEF_H
#define CLEF_H
#include <stdint.h>
#define CLEF_API __attribute__((visibility("default")))
#define CLEF_ABI_VERSION 3
#ifdef __cplusplus
extern "C" {
#endif
typedef int32_t clef_status;
typedef struct clef_ctx clef_ctx;
typedef struct clef_reader clef_reader;
typedef void (*clef_log_fn)(int32_t level, const char *msg, void *user);
CLEF_API void clef_ctx_free(clef_ctx *ctx);
CLEF_API const char *clef_ctx_errmsg(const clef_ctx *ctx);
"""
EPILOGUE = """
#ifdef __cplusplus
}
#endif
#endif
"""


def parse(body, annotations=None):
    return clefh.parse(PRELUDE + body + EPILOGUE, annotations)


def fn(hdr, name):
    return next(f for f in hdr.functions if f.name == name)


def kinds(f):
    return [(p.name, p.type.kind, p.type.base, p.length_param) for p in f.params]


class GoodSnippets(unittest.TestCase):
    def test_real_header_parses_and_binds_every_declaration(self):
        with open(os.path.join(ROOT, "include", "clef.h"), encoding="utf-8") as fh:
            text = fh.read()
        hdr = clefh.parse(text)
        # independent count: CLEF_API statements, as tests/abi/check_exports.py finds them
        sys.path.insert(0, os.path.join(ROOT, "tests", "abi"))
        import check_exports

        want = check_exports.declared(os.path.join(ROOT, "include", "clef.h"))
        self.assertEqual({f.name for f in hdr.functions}, want)
        self.assertIn("clef_ctx", hdr.handles)
        self.assertEqual(hdr.constant_value("CLEF_ERR_INVALID_ARG"), -1)

    def test_constants_and_expressions(self):
        hdr = parse("#define CLEF_A 2\n#define CLEF_B (CLEF_A * 100 + 3)\n"
                    "#define CLEF_S \"text\"\n#define CLEF_F(x) (x)\n")
        self.assertEqual(hdr.constant_value("CLEF_B"), 203)
        self.assertIsNone(hdr.constant_value("CLEF_S"))
        self.assertIsNone(hdr.constant_value("CLEF_F"))
        self.assertEqual(hdr.constant_value("CLEF_ABI_VERSION"), 3)

    def test_enum_negative_and_hex(self):
        hdr = parse("enum clef_e { CLEF_E_A = -1, CLEF_E_B = 0x10, CLEF_E_C = CLEF_E_B + 1 };")
        e = next(e for e in hdr.enums if e.name == "clef_e")
        self.assertEqual(e.members, [("CLEF_E_A", -1), ("CLEF_E_B", 16), ("CLEF_E_C", 17)])

    def test_plausible_additions(self):
        hdr = parse("""
        CLEF_API clef_status clef_reader_open(clef_reader **out, clef_ctx *ctx, const char *path);
        CLEF_API clef_status clef_reader_read(clef_reader *r, float *out, size_t cap,
                                              size_t *needed);
        CLEF_API clef_status clef_reader_stamps(const clef_reader *r, int64_t *out, size_t cap);
        CLEF_API clef_status clef_reader_label(const clef_reader *r, int32_t ch,
                                               const char **label);
        CLEF_API clef_status clef_reader_push(clef_reader *r, const float *x, size_t n,
                                              int32_t units);
        CLEF_API clef_status clef_reader_tokens(clef_reader *r, const uint16_t *t, size_t n);
        CLEF_API clef_status clef_reader_blob(clef_reader *r, const uint8_t *b, size_t n);
        CLEF_API clef_status clef_reader_bytes(clef_reader *r, const void *data, size_t n);
        CLEF_API clef_status clef_reader_raw(clef_reader *r, uint8_t *out, size_t cap);
        CLEF_API clef_status clef_reader_count(const clef_reader *r, int32_t *n_out);
        CLEF_API clef_status clef_reader_name(const clef_reader *r, char *buf, size_t cap,
                                              size_t *needed);
        CLEF_API clef_status clef_reader_map(clef_reader *r, const char *const *labels,
                                             size_t n_labels);
        CLEF_API clef_status clef_reader_watch(clef_reader *r, clef_log_fn fn, void *user);
        CLEF_API const clef_ctx *clef_reader_ctx(const clef_reader *r);
        CLEF_API double clef_reader_fs(const clef_reader *r) CLEF_DEPRECATED("use x");
        """)
        self.assertEqual(kinds(fn(hdr, "clef_reader_open")),
                         [("out", "handle_out", "clef_reader", ""),
                          ("ctx", "handle", "clef_ctx", ""), ("path", "cstr", "char", "")])
        self.assertEqual(kinds(fn(hdr, "clef_reader_read"))[1:],
                         [("out", "ptr_out", "float", "cap"), ("cap", "scalar", "size_t", ""),
                          ("needed", "ptr_out", "size_t", "")])
        self.assertEqual(kinds(fn(hdr, "clef_reader_stamps"))[1][1:], ("ptr_out", "int64_t",
                                                                       "cap"))
        self.assertEqual(kinds(fn(hdr, "clef_reader_label"))[2][1], "cstr_out")
        self.assertEqual(kinds(fn(hdr, "clef_reader_push"))[1][1:], ("array_in", "float", "n"))
        self.assertEqual(kinds(fn(hdr, "clef_reader_tokens"))[1][1:2], ("array_in",))
        self.assertEqual(kinds(fn(hdr, "clef_reader_bytes"))[1][1], "bytes_in")
        self.assertEqual(kinds(fn(hdr, "clef_reader_count"))[1], ("n_out", "ptr_out", "int32_t",
                                                                 ""))
        self.assertEqual(kinds(fn(hdr, "clef_reader_name"))[1][1:], ("charbuf", "char", "cap"))
        self.assertEqual(kinds(fn(hdr, "clef_reader_map"))[1][1:], ("cstr_array", "char",
                                                                   "n_labels"))
        self.assertEqual([k[1] for k in kinds(fn(hdr, "clef_reader_watch"))],
                         ["handle", "callback", "voidp"])
        self.assertEqual(fn(hdr, "clef_reader_ctx").ret.kind, "handle")
        self.assertTrue(fn(hdr, "clef_reader_fs").deprecated)
        # error messages: constructor -> ctx, method -> its handle when it has _errmsg
        self.assertEqual(hdr.error_source(fn(hdr, "clef_reader_open")), (1, "clef_ctx_errmsg"))
        self.assertIsNone(hdr.error_source(fn(hdr, "clef_reader_read")))

    def test_free_and_errmsg_detection(self):
        hdr = parse("CLEF_API void clef_reader_free(clef_reader *r);\n"
                    "CLEF_API const char *clef_reader_errmsg(const clef_reader *r);\n"
                    "CLEF_API clef_status clef_reader_go(clef_reader *r);\n"
                    "CLEF_API clef_status clef_reader_errcode(const clef_reader *r);\n")
        self.assertEqual(hdr.free_function("clef_reader"), "clef_reader_free")
        self.assertEqual(hdr.error_source(fn(hdr, "clef_reader_go")), (0, "clef_reader_errmsg"))
        self.assertFalse(hdr.returns_status(fn(hdr, "clef_reader_errcode")))

    def test_emitters_cover_every_function(self):
        text = PRELUDE + ("CLEF_API clef_status clef_reader_read(clef_reader *r, float *out, "
                          "size_t cap, size_t *needed);\n") + EPILOGUE
        files = gen_bindings.generate(text)
        py = files["bindings/python/clef/_ffi.py"]
        ns = {}
        exec(compile(py, "_ffi.py", "exec"), ns)  # the generated module must import cleanly
        self.assertEqual(ns["ABI_VERSION"], 3)
        self.assertIn("clef_reader_read", ns["FUNCTIONS"])
        self.assertIn("clef_ctx_free", ns["FUNCTIONS"])
        for path in ("bindings/r/src/clef_glue.c", "bindings/r/src/init.c",
                     "bindings/r/R/ffi.R", "bindings/r/man/clef_ffi.Rd"):
            self.assertIn("clef_reader_read", files[path], path)
            self.assertIn("Do not edit", files[path], path)
        self.assertIn("const double s_out = (double)(v_cap);", files[
            "bindings/r/src/clef_glue.c"])
        self.assertIn("clefr_out_buffer(CLEFR_F32, s_out", files["bindings/r/src/clef_glue.c"])
        self.assertIn("R_useDynamicSymbols(dll, FALSE)", files["bindings/r/src/init.c"])
        self.assertIn("CLEFR_IDIOM_CALL_METHODS", files["bindings/r/src/init.c"])

    def test_doc_comments_become_typed_docstrings(self):
        text = PRELUDE + """
/** Read samples into out (cap floats); *needed (may be NULL) gets the count.
 *  Second line. */
CLEF_API clef_status clef_reader_read(clef_reader *r, float *out, size_t cap, size_t *needed);
CLEF_API clef_status clef_reader_read2(clef_reader *r, float *out, size_t cap);

/** Latents: lat (n floats, may be NULL) gets them; a string in. */
CLEF_API clef_status clef_reader_lat(clef_reader *r, const char *in, float *lat, size_t lat_cap);
/**< a trailing member comment, not documentation */
CLEF_API void clef_reader_free(clef_reader *r);
""" + EPILOGUE
        hdr = clefh.parse(text)
        self.assertEqual(fn(hdr, "clef_reader_read").doc, "Read samples into out (cap floats); "
                         "*needed (may be NULL) gets the count.\nSecond line.")
        # no blank line: the group shares the comment; a _free function gets its own
        self.assertEqual(fn(hdr, "clef_reader_read2").doc, fn(hdr, "clef_reader_read").doc)
        self.assertEqual(hdr.doc(fn(hdr, "clef_reader_free")),
                         "Free a clef_reader (NULL is accepted).")
        self.assertEqual(gen_bindings.optional_outs(fn(hdr, "clef_reader_lat")), ("lat",))
        self.assertEqual(gen_bindings.optional_outs(fn(hdr, "clef_reader_read")), ())
        ll = gen_bindings.generate(text)["bindings/python/clef/_lowlevel.py"]
        compile(ll, "_lowlevel.py", "exec")
        self.assertIn("def clef_reader_read(r: Optional[Handle], cap: int) -> "
                      "Tuple[np.ndarray, int]:\n"
                      '    """Read samples into out (cap floats); *needed (may be NULL) gets '
                      "the count.\n    Second line.\n\n    C: clef_status clef_reader_read("
                      "clef_reader *r, float *out, size_t cap, size_t *needed)\n", ll)
        # a Python keyword as a parameter name; an optional output is Optional
        self.assertIn("def clef_reader_lat(r: Optional[Handle], in_: Optional[CStr], lat_cap: "
                      "int) -> Optional[np.ndarray]:", ll)
        self.assertIn("'clef_reader_lat': ('lat',),",
                      gen_bindings.generate(text)["bindings/python/clef/_ffi.py"])

    def test_enums_become_intenum_classes(self):
        text = PRELUDE + """
enum clef_split { CLEF_SPLIT_TRAIN = 0, CLEF_SPLIT_VAL = 1 };
enum clef_one { CLEF_ONE_FLAG = 4 };
CLEF_API clef_status clef_reader_x(clef_reader *r);
""" + EPILOGUE
        src = gen_bindings.generate(text)["bindings/python/clef/enums.py"]
        ns = {}
        exec(compile(src, "enums.py", "exec"), ns)
        self.assertEqual(ns["Split"].VAL, 1)
        self.assertEqual(ns["One"].ONE_FLAG, 4)  # one member: only CLEF_ comes off
        self.assertIs(ns["ENUM_CLASSES"]["clef_split"], ns["Split"])

    def test_deterministic(self):
        with open(os.path.join(ROOT, "include", "clef.h"), encoding="utf-8") as fh:
            text = fh.read()
        self.assertEqual(gen_bindings.generate(text), gen_bindings.generate(text))


class BufferSizes(unittest.TestCase):
    def test_capacity_after_stride_and_raw_void_buffer(self):
        hdr = parse("""
        CLEF_API clef_status clef_reader_canon(clef_reader *r, float *out, size_t stride,
                                               size_t capacity, int64_t *n_out);
        CLEF_API clef_status clef_reader_blob(clef_reader *r, void *buf, size_t cap,
                                              size_t *needed);
        CLEF_API clef_status clef_reader_pos(clef_reader *r, int64_t i, double *onset);
        """, {})
        out = fn(hdr, "clef_reader_canon").params[1]
        self.assertEqual((out.length_param, out.role), ("capacity", "out"))
        self.assertEqual(fn(hdr, "clef_reader_canon").params[4].role, "scalar")
        blob = fn(hdr, "clef_reader_blob").params[1]
        self.assertEqual((blob.type.kind, blob.type.base, blob.length_param),
                         ("ptr_out", "uint8_t", "cap"))
        self.assertEqual(fn(hdr, "clef_reader_pos").params[2].role, "scalar")

    def test_ambiguous_out_pointer_needs_an_annotation(self):
        body = ("CLEF_API clef_status clef_reader_digital(clef_reader *r, int64_t first, "
                "int64_t n, int32_t *out);\n")
        with self.assertRaises(clefh.GrammarError) as cm:
            parse(body + "CLEF_API int32_t clef_reader_n_ch(const clef_reader *r);", {})
        self.assertIn("one value or an array of n elements", str(cm.exception))
        hdr = clefh.parse(PRELUDE + body + EPILOGUE,
                          {("clef_reader_digital", "out"): ("out", "n")})
        p = fn(hdr, "clef_reader_digital").params[3]
        self.assertEqual((p.length_param, p.role), ("n", "out"))

    def test_annotation_expressions_are_checked(self):
        body = ("CLEF_API clef_status clef_reader_sum(clef_reader *r, const float *x, "
                "int64_t n_ch, size_t stride, double *out);\n"
                "CLEF_API int32_t clef_reader_n_ch(const clef_reader *r);\n")
        ok = {("clef_reader_sum", "x"): ("in", "clef_reader_n_ch(r)*stride"),
              ("clef_reader_sum", "out"): ("scalar", "")}
        hdr = clefh.parse(PRELUDE + body + EPILOGUE, ok)
        self.assertEqual(fn(hdr, "clef_reader_sum").params[1].length_param,
                         "clef_reader_n_ch(r)*stride")
        for bad, needle in [({("clef_reader_sum", "x"): ("in", "bogus*2")}, "bogus"),
                            ({("clef_reader_sum", "nope"): ("in", "2")}, "no parameter"),
                            ({("clef_reader_sum", "x"): ("out", "2")}, "does not fit")]:
            with self.subTest(bad=bad):
                with self.assertRaises(clefh.GrammarError) as cm:
                    clefh.parse(PRELUDE + body + EPILOGUE, bad)
                self.assertIn(needle, str(cm.exception))

    def test_annotation_file_is_well_formed(self):
        ann = clefh.load_annotations()
        self.assertTrue(ann)
        for (f, p), (role, size) in ann.items():
            self.assertTrue(f.startswith("clef_"), f)
            self.assertIn(role, ("in", "out", "inout", "scalar"))


class BadSnippets(unittest.TestCase):
    BAD = [
        ("CLEF_API int clef_a(void);", "int"),
        ("CLEF_API clef_status clef_a(long n);", "long"),
        ("CLEF_API clef_status clef_a(bool b);", "bool"),
        ("CLEF_API clef_status clef_a(unsigned n);", "unsigned"),
        ("CLEF_API clef_status clef_a(const char *fmt, ...);", "varargs"),
        ("CLEF_API clef_status clef_a(struct clef_x x);", "struct"),
        ("typedef struct clef_y { int32_t a; } clef_y;", "struct"),
        ("union clef_u { int32_t a; float b; };", "union"),
        ("CLEF_API clef_status clef_a(float x[4]);", "arrays"),
        ("CLEF_API clef_status clef_a(int32_t);", "name"),
        ("CLEF_API clef_status clef_a();", "(void)"),
        ("CLEF_API const float *clef_a(const clef_ctx *c);", "caller-owned"),
        ("CLEF_API void *clef_a(const clef_ctx *c);", "void"),
        ("CLEF_API clef_status clef_a(float **x);", "at most one"),
        ("CLEF_API clef_status clef_a(clef_nope *x);", "unknown type"),
        ("CLEF_API clef_status clef_a(void (*cb)(void *), void *user);", "function pointers"),
        ("enum clef_e { CLEF_E_A, CLEF_E_B = 2 };", "explicit value"),
        ("typedef enum { CLEF_E_A = 1 } clef_e;", "enums"),
        ("enum clef_e { CLEF_E_A = 1 };\nCLEF_API clef_status clef_a(enum clef_e e);", "enum"),
        ("typedef void (*clef_cb)(int32_t x);", "void *user"),
        ("CLEF_API clef_status clef_a(char *buf);", "capacity"),
        ("CLEF_API clef_status clef_a(const clef_ctx **out);", "handle"),
        ("CLEF_API clef_status clef_a(void); CLEF_API clef_status clef_a(void);", "twice"),
        ("#if defined(FOO)\nCLEF_API clef_status clef_a(void);\n#endif", "#if"),
        ("typedef float clef_real;", "integer aliases"),
        ("static int x;", "not a CLEF_API"),
        ("CLEF_API clef_status clef_a(int32_t n)", "without ';'"),
        ("CLEF_API clef_status clef_a(char c);", "char"),
        ("CLEF_API clef_status clef_a(const int32_t *const p);", "const after"),
    ]

    def test_each_bad_snippet_fails_with_a_message(self):
        for snippet, needle in self.BAD:
            with self.subTest(snippet=snippet):
                with self.assertRaises(clefh.GrammarError) as cm:
                    parse(snippet)
                self.assertIn(needle, str(cm.exception))
                self.assertRegex(str(cm.exception), r"line \d+|no |unterminated")

    def test_cli_exit_code_and_message(self):
        import subprocess
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            h = os.path.join(d, "clef.h")
            with open(h, "w") as fh:
                fh.write(PRELUDE + "CLEF_API long clef_bad(void);\n" + EPILOGUE)
            r = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__),
                                                             "gen_bindings.py"),
                                "--header", h, "--out-dir", d], capture_output=True, text=True)
            self.assertEqual(r.returncode, 2)
            self.assertIn("long", r.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, "bindings")))


if __name__ == "__main__":
    unittest.main()
