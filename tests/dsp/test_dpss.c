/* test_dpss.c — DPSS tapers and ratios against scipy.signal.windows.dpss (golden files from
 * tools/ref/dpss_ref.py), argument errors, OOM. */
#include "dsp_test_util.h"

#include "dsp/dsp_int.h"

/* Every case of dpss.txt: tapers and ratios to 1e-9 absolute (unit-energy rows). */
static void test_dpss_scipy_parity(void **state) {
    (void)state;
    size_t tsize = 0, bsize = 0;
    char *txt = dt_read("golden/dsp/dpss.txt", &tsize);
    double *ref = dt_read("golden/dsp/dpss.f64", &bsize);
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    size_t off = 0;
    int cases = 0;
    char *cursor = txt;
    for (char *line = dt_line(&cursor); line != NULL; line = dt_line(&cursor)) {
        long long n, k;
        double nw;
        int sym;
        if (line[0] == '#' || sscanf(line, "%lld %lf %lld %d", &n, &nw, &k, &sym) != 4)
            continue;
        size_t nt = (size_t)(n * k), needed = 0;
        double *tap = malloc(nt * sizeof(double)), *rat = malloc((size_t)k * sizeof(double));
        assert_int_equal(clef_dpss_compute(ctx, n, nw, k, sym, tap, nt, &needed, rat), CLEF_OK);
        assert_int_equal(needed, nt);
        assert_true((off + nt + (size_t)k) * sizeof(double) <= bsize);
        char what[96];
        snprintf(what, sizeof what, "dpss tapers N=%lld NW=%g K=%lld sym=%d", n, nw, k, sym);
        test_assert_close_f64(tap, ref + off, nt, 1e-9, 0.0, what);
        snprintf(what, sizeof what, "dpss ratios N=%lld NW=%g K=%lld sym=%d", n, nw, k, sym);
        test_assert_close_f64(rat, ref + off + nt, (size_t)k, 1e-9, 0.0, what);
        off += nt + (size_t)k;
        cases++;
        free(tap);
        free(rat);
    }
    assert_int_equal(off * sizeof(double), bsize);
    assert_true(cases >= 8);
    clef_ctx_free(ctx);
    free(txt);
    free(ref);
}

/* Unit energy for sym=1 and orthogonality of the tapers: a property check independent of the
 * golden files. */
static void test_dpss_orthonormal(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    enum { N = 300, K = 6 };
    static double tap[N * K];
    assert_int_equal(clef_dpss_compute(ctx, N, 3.5, K, 1, tap, N * K, NULL, NULL), CLEF_OK);
    for (int a = 0; a < K; a++)
        for (int b = 0; b < K; b++) {
            double dot = 0;
            for (int i = 0; i < N; i++)
                dot += tap[a * N + i] * tap[b * N + i];
            assert_true(fabs(dot - (a == b)) < 1e-12);
        }
    clef_ctx_free(ctx);
}

static void test_dpss_errors(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    double buf[64], one = 0;
    size_t needed = 0;
    assert_int_equal(clef_dpss_compute(NULL, 8, 2, 2, 1, buf, 64, NULL, NULL),
                     CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_dpss_compute(ctx, 0, 2, 2, 1, buf, 64, NULL, NULL), CLEF_ERR_RANGE);
    assert_int_equal(clef_dpss_compute(ctx, 8, 4.0, 2, 1, buf, 64, NULL, NULL), CLEF_ERR_RANGE);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "NW"));
    assert_int_equal(clef_dpss_compute(ctx, 8, 0.0, 2, 1, buf, 64, NULL, NULL), CLEF_ERR_RANGE);
    assert_int_equal(clef_dpss_compute(ctx, 8, 2, 9, 1, buf, 64, NULL, NULL), CLEF_ERR_RANGE);
    assert_int_equal(clef_dpss_compute(ctx, 8, 2, 2, 2, buf, 64, NULL, NULL), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_dpss_compute(ctx, 16, 2, 4, 1, buf, 63, &needed, NULL),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(needed, 64);
    /* a single sample is the window [1] with ratio 1 (SciPy _len_guards) */
    assert_int_equal(clef_dpss_compute(ctx, 1, 0.25, 1, 0, buf, 1, NULL, &one), CLEF_OK);
    assert_true(buf[0] == 1.0 && one == 1.0);
    clef_ctx_free(ctx);
}

static clef_status oom_body(clef_ctx *ctx, void *arg) {
    (void)arg;
    double tap[128 * 4];
    return clef_dpss_compute(ctx, 128, 2.5, 4, 0, tap, 128 * 4, NULL, NULL);
}

static void test_dpss_oom(void **state) {
    (void)state;
    assert_true(test_oom_sweep(oom_body, NULL, 0) >= 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dpss_scipy_parity),
        cmocka_unit_test(test_dpss_orthonormal),
        cmocka_unit_test(test_dpss_errors),
        cmocka_unit_test(test_dpss_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
