/* test_cli_args.c — the clef argument parser (tools/cli/cli_args.c): numbers, ranges, option
 * forms, required and positional arguments, exit codes and their one-line messages; and the
 * progress display (tools/cli/cli_progress.c) in its three modes. */
#define _POSIX_C_SOURCE 200809L /* dup, fileno */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "../../tools/cli/cli_args.h"
#include "../../tools/cli/cli_progress.h"

static void test_parse_i64(void **state) {
    (void)state;
    char why[160];
    int64_t v = -7;
    assert_int_equal(cli_parse_i64("42", 0, 100, &v, why, sizeof why), 0);
    assert_int_equal(v, 42);
    assert_int_equal(cli_parse_i64("-3", -5, 5, &v, why, sizeof why), 0);
    assert_int_equal(v, -3);
    assert_int_equal(cli_parse_i64("1e3", 0, 10000, &v, why, sizeof why), 0); /* 1000 */
    assert_int_equal(v, 1000);
    assert_int_equal(cli_parse_i64("9223372036854775807", 0, INT64_MAX, &v, why, sizeof why), 0);
    assert_int_equal(v, INT64_MAX);
    static const char *const not_int[] = {"abc", "12x", "",     " 5", "5 ",  "1.5",
                                          "nan", "inf", "0x10", "1e", "--3", "1,000"};
    for (size_t i = 0; i < sizeof not_int / sizeof not_int[0]; i++) {
        v = -7;
        assert_int_equal(cli_parse_i64(not_int[i], -100, 100, &v, why, sizeof why), -1);
        assert_int_equal(v, -7); /* untouched */
        assert_non_null(strstr(why, "is not an integer"));
        char quoted[32];
        snprintf(quoted, sizeof quoted, "\"%s\"", not_int[i]);
        assert_non_null(strstr(why, quoted));
    }
    assert_int_equal(cli_parse_i64("0", 1, 256, &v, why, sizeof why), -1);
    assert_string_equal(why, "\"0\" is outside [1, 256]");
    assert_int_equal(cli_parse_i64("257", 1, 256, &v, why, sizeof why), -1);
    assert_int_equal(cli_parse_i64("1e30", 0, INT64_MAX, &v, why, sizeof why), -1);
    assert_string_equal(why, "\"1e30\" is not >= 0");
    assert_int_equal(cli_parse_i64("99999999999999999999", 0, 10, &v, why, sizeof why), -1);
    assert_non_null(strstr(why, "outside [0, 10]"));
    assert_int_equal(cli_parse_i64("1", 1, 1, &v, why, sizeof why), 0); /* bounds inclusive */
}

static void test_parse_f64(void **state) {
    (void)state;
    char why[160];
    double x = -7;
    assert_int_equal(cli_parse_f64("1e3", 0, INFINITY, &x, why, sizeof why), 0);
    assert_true(x == 1000.0);
    assert_int_equal(cli_parse_f64("-0.25", -1, 1, &x, why, sizeof why), 0);
    assert_true(x == -0.25);
    assert_int_equal(cli_parse_f64("1", 0, 1, &x, why, sizeof why), 0); /* bounds inclusive */
    static const char *const not_num[] = {"abc", "12x", "", " 1", "1 ", "0x1p3", "1e", "."};
    for (size_t i = 0; i < sizeof not_num / sizeof not_num[0]; i++) {
        x = -7;
        assert_int_equal(cli_parse_f64(not_num[i], -1e9, 1e9, &x, why, sizeof why), -1);
        assert_true(x == -7);
        assert_non_null(strstr(why, "is not a number"));
    }
    static const char *const not_finite[] = {"nan", "inf", "-inf", "NaN", "infinity", "1e999"};
    for (size_t i = 0; i < sizeof not_finite / sizeof not_finite[0]; i++) {
        assert_int_equal(cli_parse_f64(not_finite[i], -INFINITY, INFINITY, &x, why, sizeof why),
                         -1);
        assert_non_null(strstr(why, "is not a finite number"));
    }
    assert_int_equal(cli_parse_f64("1.5", 0, 1, &x, why, sizeof why), -1);
    assert_string_equal(why, "\"1.5\" is outside [0, 1]");
    assert_int_equal(cli_parse_f64("-1", 0, INFINITY, &x, why, sizeof why), -1);
    assert_string_equal(why, "\"-1\" is not >= 0");
}

/* ---- cli_parse: exit codes, and stderr as one line ---- */

typedef struct opts {
    const char *in, *out, *mode, *extra[3];
    int64_t n;
    double lr;
    int quiet;
    cli_list extras;
} opts;

static char g_err[1024]; /* stderr of the last run() */

/* cli_parse over a NULL-terminated argument list (after the command name); stderr captured. */
static int run(opts *o, int *code, ...) {
    char *argv[32] = {"demo"};
    int argc = 1;
    va_list ap;
    va_start(ap, code);
    for (char *a; (a = va_arg(ap, char *)) != NULL;)
        argv[argc++] = a;
    va_end(ap);
    *o = (opts){.mode = "a", .n = 5, .lr = 0.1};
    o->extras = (cli_list){o->extra, 0, 3};
    const cli_opt table[] = {CLI_POS("IN", &o->in, 1),
                             CLI_OUT(&o->out, 1),
                             CLI_CHOICE("--mode", &o->mode, "a|bb|c"),
                             CLI_I64("--n", &o->n, 1, 10),
                             CLI_F64("--lr", &o->lr, 0.0, 1.0),
                             CLI_FLAG("--quiet", "-q", &o->quiet),
                             CLI_STRS("--extra", &o->extras),
                             CLI_END};
    const cli_cmd cmd = {"demo", "usage: demo IN -o OUT\n", table};
    fflush(stderr);
    int saved = dup(fileno(stderr));
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    dup2(fileno(tmp), fileno(stderr));
    int r = cli_parse(&cmd, argc, argv, code);
    fflush(stderr);
    dup2(saved, fileno(stderr));
    close(saved);
    rewind(tmp);
    size_t n = fread(g_err, 1, sizeof g_err - 1, tmp);
    g_err[n] = '\0';
    fclose(tmp);
    return r;
}

/* A usage error: exit 2, and stderr one line starting "clef demo: " holding each of needles. */
static void assert_usage_error(int r, int code, const char *n1, const char *n2) {
    assert_int_equal(r, 1);
    assert_int_equal(code, 2);
    assert_true(strncmp(g_err, "clef demo: ", 11) == 0);
    char *nl = strchr(g_err, '\n');
    assert_non_null(nl);
    assert_true(nl[1] == '\0');
    assert_non_null(strstr(g_err, n1));
    if (n2 != NULL)
        assert_non_null(strstr(g_err, n2));
}

static void test_parse_ok(void **state) {
    (void)state;
    opts o;
    int code = -1;
    assert_int_equal(run(&o, &code, "x.edf", "-o", "y", "--n", "7", "--lr=1e-3", "-q", "--extra",
                         "e1", "--extra", "e2", "--mode", "bb", NULL),
                     0);
    assert_int_equal(code, 0);
    assert_string_equal(g_err, "");
    assert_string_equal(o.in, "x.edf");
    assert_string_equal(o.out, "y");
    assert_int_equal(o.n, 7);
    assert_true(o.lr == 1e-3);
    assert_int_equal(o.quiet, 1);
    assert_int_equal(o.extras.n, 2);
    assert_string_equal(o.extra[1], "e2");
    assert_string_equal(o.mode, "bb");
    /* --out is -o; "--" ends the options; defaults stay when absent */
    assert_int_equal(run(&o, &code, "--out", "z", "--", "-in-", NULL), 0);
    assert_string_equal(o.out, "z");
    assert_string_equal(o.in, "-in-");
    assert_int_equal(o.n, 5);
    assert_string_equal(o.mode, "a");
    assert_int_equal(o.quiet, 0);
}

static void test_parse_help(void **state) {
    (void)state;
    opts o;
    int code = -1;
    /* --help wins over anything else, even errors and missing arguments */
    assert_int_equal(run(&o, &code, "--bogus", "--help", NULL), 1);
    assert_int_equal(code, 0);
    assert_int_equal(run(&o, &code, "-h", NULL), 1);
    assert_int_equal(code, 0);
    assert_string_equal(g_err, "");
}

static void test_parse_errors(void **state) {
    (void)state;
    opts o;
    int code = -1, r;
    r = run(&o, &code, "x", "-o", "y", "--bogus", NULL);
    assert_usage_error(r, code, "--bogus: unknown option", NULL);
    r = run(&o, &code, "x", "-o", "y", "--bogus=3", NULL);
    assert_usage_error(r, code, "--bogus: unknown option", NULL);
    r = run(&o, &code, "x", "-o", "y", "--lr", "abc", NULL);
    assert_usage_error(r, code, "--lr: \"abc\" is not a number", NULL);
    r = run(&o, &code, "x", "-o", "y", "--lr", "nan", NULL);
    assert_usage_error(r, code, "--lr", "not a finite number");
    r = run(&o, &code, "x", "-o", "y", "--lr=2", NULL);
    assert_usage_error(r, code, "--lr: \"2\" is outside [0, 1]", NULL);
    r = run(&o, &code, "x", "-o", "y", "--n", "12x", NULL);
    assert_usage_error(r, code, "--n: \"12x\" is not an integer", NULL);
    r = run(&o, &code, "x", "-o", "y", "--n", "", NULL);
    assert_usage_error(r, code, "--n: \"\" is not an integer", NULL);
    r = run(&o, &code, "x", "-o", "y", "--n", NULL);
    assert_usage_error(r, code, "--n: missing value", NULL);
    r = run(&o, &code, "x", "-o", NULL);
    assert_usage_error(r, code, "-o: missing value", NULL);
    r = run(&o, &code, "x", NULL);
    assert_usage_error(r, code, "--out: missing", NULL);
    r = run(&o, &code, "-o", "y", NULL);
    assert_usage_error(r, code, "IN: missing", NULL);
    r = run(&o, &code, "x", "y", "-o", "z", NULL);
    assert_usage_error(r, code, "\"y\": unexpected argument", NULL);
    r = run(&o, &code, "x", "-o", "y", "--mode", "b", NULL);
    assert_usage_error(r, code, "--mode: \"b\" is not one of a|bb|c", NULL);
    r = run(&o, &code, "x", "-o", "y", "--quiet=1", NULL);
    assert_usage_error(r, code, "--quiet: takes no value", NULL);
    r = run(&o, &code, "x", "-o", "y", "--extra", "1", "--extra", "2", "--extra", "3", "--extra",
            "4", NULL);
    assert_usage_error(r, code, "--extra: \"4\": at most 3 values", NULL);
}

/* ---- progress ---- */

/* steps updates of done = 1..steps; force: draw every one (as if time had passed), with the
 * run started 10 s earlier, so rates and ETAs are fixed. Returns what was written. */
static char *progress_run(cli_progress_mode mode, int64_t total, int steps, int force) {
    cli_progress p;
    cli_progress_begin(&p, "clef demo: items", mode == CLI_PROGRESS_QUIET);
    p.mode = mode;
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    p.f = tmp;
    p.t0 -= force ? 10.0 : 0.0;
    for (int i = 1; i <= steps; i++) {
        p.t_last -= force ? 1e6 : 0.0;
        cli_progress_update(&p, i, total, i == 2 ? "session-two" : NULL);
    }
    cli_progress_end(&p);
    static char buf[1 << 16];
    rewind(tmp);
    size_t n = fread(buf, 1, sizeof buf - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
    return buf;
}

static int count(const char *s, char c) {
    int n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

static void test_progress(void **state) {
    (void)state;
    /* a terminal: one line redrawn, with count/total, rate, ETA, the item */
    char *s = progress_run(CLI_PROGRESS_BAR, 8, 8, 1);
    assert_non_null(strstr(s, "\rclef demo: items [######                  ]  2/8  25%  "
                              "5.0 s each  ETA 0:30  session-two\033[K"));
    assert_non_null(strstr(s, "\rclef demo: items [########################]  8/8  100%  "
                              "1.3 s each  in 0:10\033[K\n"));
    assert_int_equal(count(s, '\r'), 8);
    assert_int_equal(count(s, '\n'), 1);
    assert_int_equal(s[strlen(s) - 1], '\n');
    /* redrawn at a bounded rate: 1000 quick updates draw the last and few others */
    s = progress_run(CLI_PROGRESS_BAR, 1000, 1000, 0);
    assert_true(count(s, '\r') >= 1 && count(s, '\r') < 100);
    assert_non_null(strstr(s, "1000/1000  100%"));
    /* not a terminal: plain lines, none faster than CLI_PROGRESS_LINE_S apart but the last */
    s = progress_run(CLI_PROGRESS_LINES, 1000, 1000, 0);
    assert_null(strchr(s, '\r'));
    assert_true(strncmp(s, "clef demo: items 1000/1000  100%", 32) == 0);
    assert_int_equal(count(s, '\n'), 1);
    s = progress_run(CLI_PROGRESS_LINES, 8, 8, 1);
    assert_int_equal(count(s, '\n'), 8);
    assert_non_null(strstr(s, "clef demo: items 2/8  25%  5.0 s each  ETA 0:30  session-two\n"));
    /* unknown total: the count and rate, no percentage, no ETA; an open bar ends its line */
    s = progress_run(CLI_PROGRESS_BAR, -1, 30, 1);
    assert_non_null(strstr(s, "\rclef demo: items  30  3.0/s\033[K\n"));
    assert_null(strstr(s, "%"));
    assert_null(strstr(s, "ETA"));
    s = progress_run(CLI_PROGRESS_QUIET, 8, 3, 1);
    assert_string_equal(s, "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_i64),    cmocka_unit_test(test_parse_f64),
        cmocka_unit_test(test_parse_ok),     cmocka_unit_test(test_parse_help),
        cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_progress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
