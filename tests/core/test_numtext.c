/* test_numtext.c — lib/core/numtext.c: numbers as text are the same whatever locale the host
 * set. The pair clefi_fmt_double/clefi_parse_double round-trips exactly (fixed values, then
 * 20,000 random bit patterns), the accepted grammar is pinned, and everything is run again
 * after setlocale(LC_ALL, "de_DE.UTF-8") in this process (skipped, saying so, when that locale
 * is not installed), from the main thread and from a second thread; the host's locale is left
 * as it was after each call. */
#define _POSIX_C_SOURCE 200809L
#include "test_support.h"

#include "core_int.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static void expect_fmt(double v, const char *want) {
    char b[32];
    assert_int_equal(clefi_fmt_double(b, sizeof b, v), (int)strlen(want));
    if (strcmp(b, want) != 0)
        fail_msg("clefi_fmt_double(%.17g) = '%s', want '%s'", v, b, want);
}

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Every check of this file, in whatever locale the thread runs. */
static void *check_all(void *unused) {
    (void)unused;
    expect_fmt(0.5, "0.5");
    expect_fmt(0.1, "0.1");
    expect_fmt(-3276.8, "-3276.8");
    expect_fmt(1e-7, "1e-07");
    expect_fmt(1.0 / 3.0, "0.3333333333333333");
    expect_fmt(0.0, "0");
    char b[48];
    assert_int_equal(clefi_fmt_double(b, sizeof b, NAN), -1);
    assert_int_equal(clefi_fmt_double(b, 3, 0.125), -1); /* "0.125" does not fit */
    clefi_snprintf(b, sizeof b, "%.9g|%.1f|%+.7f|%e", 0.25, 2.5, -1.5, 1e3);
    assert_string_equal(b, "0.25|2.5|-1.5000000|1.000000e+03");

    static const struct {
        const char *s;
        double v; /* NAN: refused */
    } cases[] = {{"0.5", 0.5},  {"-1e-3", -1e-3}, {"1E+2", 100},  {"5.", 5},      {".5", 0.5},
                 {"+7", 7},     {"0.1", 0.1},     {"0,5", NAN},   {" 1", NAN},    {"1 ", NAN},
                 {"0x10", NAN}, {"inf", NAN},     {"nan", NAN},   {"1e", NAN},    {"", NAN},
                 {"+", NAN},    {".", NAN},       {"1e999", NAN}, {"1.2.3", NAN}, {"e5", NAN}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -42;
        int rc = clefi_parse_double(cases[i].s, &v);
        if (isnan(cases[i].v) ? rc != -1 : rc != 0 || v != cases[i].v)
            fail_msg("clefi_parse_double('%s'): rc %d, value %.17g", cases[i].s, rc, v);
    }
    char *end = NULL;
    assert_true(clefi_strtod("2.5 s", &end) == 2.5);
    assert_string_equal(end, " s");

    uint64_t seed = 23;
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = splitmix(&seed);
        double v;
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v))
            continue;
        double back = 0;
        assert_true(clefi_fmt_double(b, sizeof b, v) > 0);
        if (clefi_parse_double(b, &back) != 0 || memcmp(&back, &v, sizeof v) != 0)
            fail_msg("%.17g formatted as '%s' reads back as %.17g", v, b, back);
    }
    return NULL;
}

static void test_c_locale_pair(void **state) {
    (void)state;
    check_all(NULL);
}

static void test_comma_locale_pair(void **state) {
    (void)state;
    if (!test_comma_locale())
        skip();
    check_all(NULL);
    /* the host's locale is untouched: its own printf still writes a comma */
    char b[16];
    snprintf(b, sizeof b, "%.1f", 0.5);
    assert_string_equal(b, "0,5");
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, check_all, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    snprintf(b, sizeof b, "%.1f", 0.5);
    assert_string_equal(b, "0,5");
    test_c_locale();
}

/* `test_numtext --de` runs the de_DE.UTF-8 case alone (its own ctest, which reports SKIP when
 * the locale is missing without hiding the "C" case). */
int main(int argc, char **argv) {
    const struct CMUnitTest c_tests[] = {cmocka_unit_test(test_c_locale_pair)};
    const struct CMUnitTest de_tests[] = {cmocka_unit_test(test_comma_locale_pair)};
    if (argc == 2 && strcmp(argv[1], "--de") == 0)
        return cmocka_run_group_tests(de_tests, NULL, NULL);
    return cmocka_run_group_tests(c_tests, NULL, NULL);
}
