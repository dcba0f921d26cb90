/* test_clinical.c — AUROC, bootstrap CI, logistic probe, band-power embedding, evaluation
 * harness. Parity against tools/ref/eval_ref.py (sklearn roc_auc_score, StandardScaler +
 * LogisticRegression lbfgs, scipy.signal.welch): AUROC to 1e-12, probabilities to 1e-6. */
#include "test_support.h"

#include "clinical/clinical_int.h"
#include "golden_txt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int32_t *to_i32(const double *v, size_t n) {
    int32_t *o = malloc((n ? n : 1) * sizeof *o);
    for (size_t i = 0; i < n; i++)
        o[i] = (int32_t)v[i];
    return o;
}

static float *to_f32(const double *v, size_t n) {
    float *o = malloc((n ? n : 1) * sizeof *o);
    for (size_t i = 0; i < n; i++)
        o[i] = (float)v[i];
    return o;
}

static const double *getk(const golden_txt *g, const char *stem, int k, size_t *n) {
    char key[64];
    snprintf(key, sizeof key, "%s_%d", stem, k);
    return golden_txt_get(g, key, n);
}

static void test_auroc_golden(void **state) {
    (void)state;
    golden_txt *g = golden_txt_load("golden/clinical/auroc.txt");
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    int n_cases = (int)golden_txt_get(g, "n_cases", NULL)[0];
    assert_true(n_cases >= 8);
    for (int k = 0; k < n_cases; k++) {
        size_t n, m;
        const double *s = getk(g, "scores", k, &n);
        const double *lab = getk(g, "labels", k, &m);
        int32_t *y = to_i32(lab, m);
        assert_int_equal(n, m);
        double got = -1.0;
        assert_int_equal(clef_auroc(ctx, s, y, n, &got), CLEF_OK);
        char what[32];
        snprintf(what, sizeof what, "auroc case %d", k);
        test_assert_close_f64(&got, getk(g, "auroc", k, NULL), 1, 1e-12, 0.0, what);
        free(y);
    }
    clef_ctx_free(ctx);
    golden_txt_free(g);
}

/* One evaluation of the golden tasks of mean_ci.txt with test features test_<which>_k
 * (tasks named by k; the last task of B is left out, to be matched by name). */
static clef_eval *golden_eval(clef_ctx *ctx, const golden_txt *g, const char *which, int n_tasks) {
    static const char *const names[] = {"dis_a", "dis_b", "feat_a", "feat_b", "feat_c", "med_a"};
    clef_eval *ev;
    assert_int_equal(clef_eval_create(&ev, ctx), CLEF_OK);
    const double *bt = golden_txt_get(g, "boot", NULL);
    assert_int_equal(clef_eval_set_bootstrap(ev, (int64_t)bt[0], (uint64_t)bt[1], bt[2]), CLEF_OK);
    const char *split[3][2] = {{"train_x", "train_y"}, {"val_x", "val_y"}, {NULL, "test_y"}};
    for (int k = 0; k < n_tasks; k++) {
        float *x[3];
        int32_t *y[3];
        size_t n[3];
        for (int j = 0; j < 3; j++) {
            size_t m;
            char key[16];
            snprintf(key, sizeof key, "test_%s", which);
            const double *xd = getk(g, j < 2 ? split[j][0] : key, k, &n[j]);
            const double *yd = getk(g, split[j][1], k, &m);
            assert_int_equal(m, n[j]);
            x[j] = malloc(n[j] * sizeof *x[j]);
            for (size_t i = 0; i < n[j]; i++)
                x[j][i] = (float)xd[i];
            y[j] = to_i32(yd, m);
        }
        assert_int_equal(clef_eval_add_task(ev, names[k], x[0], y[0], n[0], x[1], y[1], n[1], x[2],
                                            y[2], n[2], 1),
                         CLEF_OK);
        for (int j = 0; j < 3; j++) {
            free(x[j]);
            free(y[j]);
        }
    }
    return ev;
}

/* clef_eval_mean_ci and clef_eval_compare against tools/ref/eval_mean_ref.py: one feature per
 * task, so each probe ranks the test sessions as the feature does and the reference scores the
 * feature itself (sklearn's weighted AUROC per resample, numpy's percentile). */
static void test_mean_ci_golden(void **state) {
    (void)state;
    golden_txt *g = golden_txt_load("golden/clinical/mean_ci.txt");
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    int n_tasks = (int)golden_txt_get(g, "n_tasks", NULL)[0];
    clef_eval *a = golden_eval(ctx, g, "a", n_tasks), *b = golden_eval(ctx, g, "b", n_tasks);
    for (int p = 0; p < 2; p++) {
        const char *prefix = p == 0 ? NULL : "feat_";
        char key[32];
        double got[3];
        int64_t nt = 0;
        assert_int_equal(clef_eval_mean_ci(a, prefix, &got[0], &got[1], &got[2], &nt), CLEF_OK);
        assert_int_equal(nt, p == 0 ? n_tasks : 3);
        snprintf(key, sizeof key, "mean_%s", p == 0 ? "all" : "feat_");
        test_assert_close_f64(got, golden_txt_get(g, key, NULL), 3, 1e-12, 0.0, key);
        assert_int_equal(clef_eval_compare(a, b, prefix, &got[0], &got[1], &got[2], &nt), CLEF_OK);
        snprintf(key, sizeof key, "diff_%s", p == 0 ? "all" : "feat_");
        test_assert_close_f64(got, golden_txt_get(g, key, NULL), 3, 1e-12, 0.0, key);
    }
    /* the same evaluation against itself: a difference of exactly 0 in every resample */
    double d, lo, hi;
    assert_int_equal(clef_eval_compare(a, a, "", &d, &lo, &hi, NULL), CLEF_OK);
    assert_true(d == 0.0 && lo == 0.0 && hi == 0.0);
    /* tasks are matched by name: B without its last task compares over the others */
    clef_eval *b5 = golden_eval(ctx, g, "b", n_tasks - 1);
    int64_t nt = 0;
    assert_int_equal(clef_eval_compare(a, b5, NULL, &d, &lo, &hi, &nt), CLEF_OK);
    assert_int_equal(nt, n_tasks - 1);
    assert_true(lo <= d && d <= hi);
    /* no such task; other test sessions; NULL outputs */
    assert_int_equal(clef_eval_mean_ci(a, "xyz_", &d, &lo, &hi, &nt), CLEF_ERR_NOT_FOUND);
    assert_int_equal(nt, 0);
    assert_non_null(strstr(clef_eval_errmsg(a), "xyz_"));
    assert_true(isnan(d) && isnan(lo) && isnan(hi));
    clef_eval *other;
    assert_int_equal(clef_eval_create(&other, ctx), CLEF_OK);
    float xs[6] = {0, 1, 2, 3, 4, 5};
    int32_t ys[6] = {0, 1, 0, 1, 0, 1};
    assert_int_equal(clef_eval_add_task(other, "feat_a", xs, ys, 6, xs, ys, 6, xs, ys, 6, 1),
                     CLEF_OK);
    assert_int_equal(clef_eval_compare(a, other, NULL, &d, &lo, &hi, NULL), CLEF_ERR_INVALID_ARG);
    assert_non_null(strstr(clef_eval_errmsg(a), "feat_a"));
    assert_int_equal(clef_eval_compare(a, NULL, NULL, &d, &lo, &hi, NULL), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_eval_mean_ci(a, NULL, NULL, &lo, &hi, NULL), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_eval_mean_ci(NULL, NULL, &d, &lo, &hi, NULL), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_eval_mean_ci(a, NULL, &d, &lo, &hi, NULL), CLEF_OK);
    assert_string_equal(clef_eval_errmsg(a), "");
    clef_eval_free(other);
    clef_eval_free(b5);
    clef_eval_free(a);
    clef_eval_free(b);
    clef_ctx_free(ctx);
    golden_txt_free(g);
}

static void test_auroc_errors(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    double s[4] = {0.1, 0.2, 0.3, 0.4}, out;
    int32_t one_class[4] = {1, 1, 1, 1}, bad[4] = {0, 1, 2, 0}, ok[4] = {0, 1, 0, 1};
    assert_int_equal(clef_auroc(ctx, s, one_class, 4, &out), CLEF_ERR_INVALID_ARG);
    assert_true(isnan(out));
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "both classes"));
    assert_int_equal(clef_auroc(ctx, s, bad, 4, &out), CLEF_ERR_INVALID_ARG);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "label[2]"));
    s[1] = NAN;
    assert_int_equal(clef_auroc(ctx, s, ok, 4, &out), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_auroc(ctx, NULL, ok, 4, &out), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_auroc(NULL, s, ok, 4, &out), CLEF_ERR_INVALID_ARG);
    clef_ctx_free(ctx);
}

/* Noisy scores: positive class shifted by delta. */
static void make_scores(size_t n, double delta, uint64_t seed, double *s, int32_t *y) {
    uint64_t st = seed;
    for (size_t i = 0; i < n; i++) {
        y[i] = (int32_t)(i % 3 == 0);
        double u = (double)(clefi_splitmix64(&st) >> 11) / 9007199254740992.0;
        s[i] = u + (y[i] ? delta : 0.0);
    }
}

static void test_bootstrap_ci(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    enum { N = 600 };
    double s[N], auc, lo, hi, lo2, hi2, lo3, hi3, los, his;
    int32_t y[N];
    make_scores(N, 0.3, 7, s, y);
    assert_int_equal(clef_auroc(ctx, s, y, N, &auc), CLEF_OK);
    assert_int_equal(clef_auroc_ci(ctx, s, y, N, 500, 42, 0.95, &lo, &hi), CLEF_OK);
    assert_true(lo < auc && auc < hi);
    assert_true(hi - lo > 0.02 && hi - lo < 0.2);
    /* seeded: the same seed repeats, another seed moves the interval slightly */
    assert_int_equal(clef_auroc_ci(ctx, s, y, N, 500, 42, 0.95, &lo2, &hi2), CLEF_OK);
    assert_true(lo2 == lo && hi2 == hi);
    assert_int_equal(clef_auroc_ci(ctx, s, y, N, 500, 43, 0.95, &lo3, &hi3), CLEF_OK);
    assert_true(lo3 != lo || hi3 != hi);
    assert_true(fabs(lo3 - lo) < 0.03 && fabs(hi3 - hi) < 0.03);
    /* fewer samples: a wider interval */
    assert_int_equal(clef_auroc_ci(ctx, s, y, 90, 500, 42, 0.95, &los, &his), CLEF_OK);
    assert_true(his - los > hi - lo);
    /* a lower level: a narrower interval */
    assert_int_equal(clef_auroc_ci(ctx, s, y, N, 500, 42, 0.5, &lo2, &hi2), CLEF_OK);
    assert_true(hi2 - lo2 < hi - lo);
    assert_int_equal(clef_auroc_ci(ctx, s, y, N, 1, 42, 0.95, &lo2, &hi2), CLEF_ERR_RANGE);
    assert_int_equal(clef_auroc_ci(ctx, s, y, N, 100, 42, 1.0, &lo2, &hi2), CLEF_ERR_RANGE);
    clef_ctx_free(ctx);
}

static void test_probe_golden(void **state) {
    (void)state;
    golden_txt *g = golden_txt_load("golden/clinical/probe.txt");
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    int n_cases = (int)golden_txt_get(g, "n_cases", NULL)[0];
    assert_true(n_cases >= 5);
    for (int k = 0; k < n_cases; k++) {
        const double *dims = getk(g, "dims", k, NULL);
        size_t ntr = (size_t)dims[0], nte = (size_t)dims[1], d = (size_t)dims[2], ny;
        const double *yd = getk(g, "y_train", k, &ny);
        int32_t *y = to_i32(yd, ny);
        assert_int_equal(ny, ntr);
        clef_probe *p;
        assert_int_equal(clef_probe_fit(&p, ctx, getk(g, "x_train", k, NULL), y, ntr, d,
                                        getk(g, "c", k, NULL)[0]),
                         CLEF_OK);
        double *prob = malloc(nte * sizeof *prob);
        assert_int_equal(clef_probe_predict(p, getk(g, "x_test", k, NULL), nte, d, prob), CLEF_OK);
        char what[48];
        snprintf(what, sizeof what, "probe case %d probabilities", k);
        test_assert_close_f64(prob, getk(g, "prob", k, NULL), nte, 1e-6, 0.0, what);
        assert_true(clef_probe_n_iter(p) > 0);
        assert_int_equal(clef_probe_predict(p, getk(g, "x_test", k, NULL), nte, d + 1, prob),
                         CLEF_ERR_SHAPE);
        assert_non_null(strstr(clef_probe_errmsg(p), "features"));
        clef_probe_free(p);
        free(prob);
        free(y);
    }
    clef_ctx_free(ctx);
    golden_txt_free(g);
}

static void test_probe_select_golden(void **state) {
    (void)state;
    golden_txt *g = golden_txt_load("golden/clinical/probe.txt");
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    const double *dims = golden_txt_get(g, "sel_dims", NULL);
    size_t ntr = (size_t)dims[0], nva = (size_t)dims[1], nte = (size_t)dims[2];
    size_t d = (size_t)dims[3], n_c;
    const double *grid = golden_txt_get(g, "sel_grid", &n_c);
    int32_t *ytr = to_i32(golden_txt_get(g, "sel_y_train", NULL), ntr);
    int32_t *yva = to_i32(golden_txt_get(g, "sel_y_val", NULL), nva);
    int32_t *yte = to_i32(golden_txt_get(g, "sel_y_test", NULL), nte);
    clef_probe *p;
    assert_int_equal(clef_probe_fit_select(&p, ctx, golden_txt_get(g, "sel_x_train", NULL), ytr,
                                           ntr, golden_txt_get(g, "sel_x_val", NULL), yva, nva, d,
                                           grid, n_c),
                     CLEF_OK);
    assert_true(clef_probe_c(p) == golden_txt_get(g, "sel_c", NULL)[0]);
    double *prob = malloc(nte * sizeof *prob), auc;
    assert_int_equal(clef_probe_predict(p, golden_txt_get(g, "sel_x_test", NULL), nte, d, prob),
                     CLEF_OK);
    test_assert_close_f64(prob, golden_txt_get(g, "sel_prob", NULL), nte, 1e-6, 0.0,
                          "selected probe probabilities");
    assert_int_equal(clef_auroc(ctx, prob, yte, nte, &auc), CLEF_OK);
    test_assert_close_f64(&auc, golden_txt_get(g, "sel_auroc", NULL), 1, 1e-6, 0.0,
                          "selected probe test AUROC");
    clef_probe_free(p);
    /* the harness on the same arrays picks the same C and AUROC */
    clef_eval *ev;
    assert_int_equal(clef_eval_create(&ev, ctx), CLEF_OK);
    assert_int_equal(clef_eval_set_c_grid(ev, grid, n_c), CLEF_OK);
    assert_int_equal(clef_eval_set_bootstrap(ev, 200, 1, 0.95), CLEF_OK);
    float *xf[3] = {to_f32(golden_txt_get(g, "sel_x_train", NULL), ntr * d),
                    to_f32(golden_txt_get(g, "sel_x_val", NULL), nva * d),
                    to_f32(golden_txt_get(g, "sel_x_test", NULL), nte * d)};
    assert_int_equal(
        clef_eval_add_task(ev, "sel", xf[0], ytr, ntr, xf[1], yva, nva, xf[2], yte, nte, d),
        CLEF_OK);
    int32_t status;
    double eauc, lo, hi, c;
    int64_t n_test;
    assert_int_equal(
        clef_eval_task_result(ev, 0, &status, NULL, NULL, &n_test, &eauc, &lo, &hi, &c), CLEF_OK);
    assert_int_equal(status, CLEF_OK);
    assert_int_equal(n_test, (int64_t)nte);
    /* the golden features are short decimals: float32 changes them by < 1e-7 relative */
    assert_true(fabs(eauc - auc) < 1e-3 && lo < eauc && eauc < hi);
    clef_eval_free(ev);
    for (int k = 0; k < 3; k++)
        free(xf[k]);
    free(prob);
    free(ytr);
    free(yva);
    free(yte);
    clef_ctx_free(ctx);
    golden_txt_free(g);
}

/* clef_probe_fit_many: golden probabilities and AUROCs of scikit-learn's exact optimum
 * (tools/ref/probe_many_ref.py, newton-cholesky at tol 1e-12) to 1e-10, and each task as
 * clef_probe_fit fits it alone. */
static void test_probe_many_golden(void **state) {
    (void)state;
    golden_txt *g = golden_txt_load("golden/clinical/probe_many.txt");
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    int n_cases = (int)golden_txt_get(g, "n_cases", NULL)[0];
    assert_true(n_cases >= 3);
    for (int k = 0; k < n_cases; k++) {
        const double *dims = getk(g, "dims", k, NULL), *x = getk(g, "x", k, NULL);
        size_t ntr = (size_t)dims[0], nte = (size_t)dims[1], d = (size_t)dims[2];
        size_t nt = (size_t)dims[3], n = ntr + nte;
        double c = getk(g, "c", k, NULL)[0];
        int32_t *y = to_i32(getk(g, "y", k, NULL), nt * n);
        int32_t *ytr = malloc(nt * ntr * sizeof *ytr), *yte = malloc(nt * nte * sizeof *yte);
        for (size_t t = 0; t < nt; t++) {
            memcpy(ytr + t * ntr, y + t * n, ntr * sizeof *y);
            memcpy(yte + t * nte, y + t * n + ntr, nte * sizeof *y);
        }
        clef_probe *p, *one;
        assert_int_equal(clef_probe_fit_many(&p, ctx, x, ytr, ntr, d, nt, c), CLEF_OK);
        assert_int_equal(clef_probe_n_tasks(p), (int64_t)nt);
        assert_true(clef_probe_c(p) == c && clef_probe_n_iter(p) > 0);
        double *prob = malloc(nt * nte * sizeof *prob), *alone = malloc(nte * sizeof *alone);
        assert_int_equal(clef_probe_predict(p, x + ntr * d, nte, d, prob), CLEF_OK);
        char what[96];
        snprintf(what, sizeof what, "fit_many case %d vs sklearn", k);
        test_assert_close_f64(prob, getk(g, "prob", k, NULL), nt * nte, 1e-10, 0.0, what);
        for (size_t t = 0; t < nt; t++) {
            double auc;
            assert_int_equal(clef_auroc(ctx, prob + t * nte, yte + t * nte, nte, &auc), CLEF_OK);
            snprintf(what, sizeof what, "fit_many case %d task %zu AUROC", k, t);
            test_assert_close_f64(&auc, getk(g, "auroc", k, NULL) + t, 1, 1e-12, 0.0, what);
            assert_int_equal(clef_probe_fit(&one, ctx, x, ytr + t * ntr, ntr, d, c), CLEF_OK);
            assert_int_equal(clef_probe_predict(one, x + ntr * d, nte, d, alone), CLEF_OK);
            snprintf(what, sizeof what, "fit_many case %d task %zu vs clef_probe_fit", k, t);
            test_assert_close_f64(prob + t * nte, alone, nte, 1e-10, 0.0, what);
            clef_probe_free(one);
        }
        clef_probe_free(p);
        free(prob), free(alone), free(y), free(ytr), free(yte);
    }
    clef_ctx_free(ctx);
    golden_txt_free(g);
}

/* More tasks than the solver keeps in flight: finished tasks hand their slots on. */
static void test_probe_many_slots(void **state) {
    (void)state;
    enum { N = 80, D = 3, T = 300 };
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    double *x = malloc(N * D * sizeof *x), *prob = malloc(T * N * sizeof *prob), alone[N];
    int32_t *y = malloc(T * N * sizeof *y);
    for (size_t i = 0; i < N * D; i++)
        x[i] = 2.0 * clefi_rng_uniform(7, i) - 1.0 + (i % D == 2 ? 10.0 : 0.0);
    for (size_t t = 0; t < T; t++)
        for (size_t i = 0; i < N; i++) {
            double logit = (double)(t % 5) * x[i * D + t % D] + 0.3 * (double)(t % 3) - 0.5;
            y[t * N + i] = clefi_rng_uniform(8, t * N + i) < 1.0 / (1.0 + exp(-logit));
        }
    for (size_t t = 0; t < T; t++) /* both classes in every task */
        y[t * N] = 0, y[t * N + 1] = 1;
    clef_probe *p, *one;
    assert_int_equal(clef_probe_fit_many(&p, ctx, x, y, N, D, T, 3.0), CLEF_OK);
    assert_int_equal(clef_probe_predict(p, x, N, D, prob), CLEF_OK);
    for (size_t t = 0; t < T; t++) {
        assert_int_equal(clef_probe_fit(&one, ctx, x, y + t * N, N, D, 3.0), CLEF_OK);
        assert_int_equal(clef_probe_predict(one, x, N, D, alone), CLEF_OK);
        test_assert_close_f64(prob + t * N, alone, N, 1e-10, 0.0, "fit_many task vs alone");
        clef_probe_free(one);
    }
    clef_probe_free(p);
    free(x), free(prob), free(y);
    clef_ctx_free(ctx);
}

static void test_probe_many_errors(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    double x[4] = {0, 1, 2, 3};
    int32_t y[8] = {0, 1, 0, 1, 1, 1, 1, 1};
    clef_probe *p = (clef_probe *)&x;
    assert_int_equal(clef_probe_fit_many(NULL, ctx, x, y, 4, 1, 1, 1.0), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_probe_fit_many(&p, NULL, x, y, 4, 1, 1, 1.0), CLEF_ERR_INVALID_ARG);
    assert_null(p);
    assert_int_equal(clef_probe_fit_many(&p, ctx, x, y, 4, 1, 0, 1.0), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_probe_fit_many(&p, ctx, x, y, 4, 1, 2, 1.0), CLEF_ERR_INVALID_ARG);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "task 1"));
    assert_null(p);
    y[5] = 2;
    assert_int_equal(clef_probe_fit_many(&p, ctx, x, y, 4, 1, 2, 1.0), CLEF_ERR_INVALID_ARG);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "is not 0 or 1"));
    assert_int_equal(clef_probe_fit_many(&p, ctx, x, y, 4, 1, 1, -1.0), CLEF_ERR_RANGE);
    x[1] = NAN;
    assert_int_equal(clef_probe_fit_many(&p, ctx, x, y, 4, 1, 1, 1.0), CLEF_ERR_INVALID_ARG);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "not finite"));
    assert_int_equal(clef_probe_n_tasks(NULL), 0);
    x[1] = 1.0;
    assert_int_equal(clef_probe_fit_many(&p, ctx, x, y, 4, 1, 1, 1.0), CLEF_OK);
    assert_string_equal(clef_ctx_errmsg(ctx), "");
    clef_probe_free(p);
    clef_ctx_free(ctx);
}

static void test_probe_errors(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    double x[4] = {0, 1, 2, 3};
    int32_t y1[4] = {1, 1, 1, 1}, y[4] = {0, 1, 0, 1};
    clef_probe *p = (clef_probe *)&x;
    assert_int_equal(clef_probe_fit(&p, ctx, x, y1, 4, 1, 1.0), CLEF_ERR_INVALID_ARG);
    assert_null(p);
    assert_int_equal(clef_probe_fit(&p, ctx, x, y, 4, 1, 0.0), CLEF_ERR_RANGE);
    assert_int_equal(clef_probe_fit(&p, ctx, x, y, 4, 0, 1.0), CLEF_ERR_RANGE);
    x[2] = INFINITY;
    assert_int_equal(clef_probe_fit(&p, ctx, x, y, 4, 1, 1.0), CLEF_ERR_INVALID_ARG);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "not finite"));
    clef_probe_free(NULL);
    assert_true(isnan(clef_probe_c(NULL)));
    clef_ctx_free(ctx);
}

static void test_bandpower_golden(void **state) {
    (void)state;
    golden_txt *g = golden_txt_load("golden/clinical/bandpower.txt");
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    int n_cases = (int)golden_txt_get(g, "n_cases", NULL)[0];
    for (int k = 0; k < n_cases; k++) {
        const double *shape = getk(g, "shape", k, NULL);
        int64_t nch = (int64_t)shape[0];
        int64_t ns = (int64_t)shape[1];
        float *x = to_f32(getk(g, "x", k, NULL), (size_t)nch * (size_t)ns);
        size_t dim = (size_t)nch * 4, needed = 0;
        float *out = malloc(dim * sizeof *out);
        double fs = getk(g, "fs", k, NULL)[0];
        assert_int_equal(clef_bandpower_embed(ctx, x, nch, ns, ns, fs, out, dim - 1, &needed),
                         CLEF_ERR_BUFFER_TOO_SMALL);
        assert_int_equal(needed, dim);
        assert_int_equal(clef_bandpower_embed(ctx, x, nch, ns, ns, fs, out, dim, &needed), CLEF_OK);
        double *got = malloc(dim * sizeof *got);
        for (size_t i = 0; i < dim; i++)
            got[i] = out[i];
        char what[48];
        snprintf(what, sizeof what, "bandpower case %d (log10 uV^2)", k);
        test_assert_close_f64(got, getk(g, "expected", k, NULL), dim, 2e-6, 1e-6, what);
        free(got);
        free(out);
        free(x);
    }
    float sig[300] = {0}, o[4];
    assert_int_equal(clef_bandpower_embed(ctx, sig, 1, 300, 300, 200.0, o, 4, NULL),
                     CLEF_ERR_INVALID_ARG); /* < 2 s */
    assert_int_equal(clef_bandpower_embed(ctx, sig, 1, 300, 300, 20.0, o, 4, NULL), CLEF_ERR_RANGE);
    clef_ctx_free(ctx);
    golden_txt_free(g);
}

/* The harness on synthetic embeddings: a learnable task, a pure-noise task, a skipped one. */
static void fill_task(size_t n, size_t d, double signal, uint64_t seed, float *x, int32_t *y) {
    uint64_t st = seed;
    for (size_t i = 0; i < n; i++) {
        y[i] = (int32_t)(clefi_splitmix64(&st) & 1);
        for (size_t j = 0; j < d; j++) {
            double u = (double)(clefi_splitmix64(&st) >> 11) / 9007199254740992.0 - 0.5;
            x[i * d + j] = (float)(u + (j == 0 && y[i] ? signal : 0.0));
        }
    }
}

static void test_eval_arrays(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_eval *ev;
    assert_int_equal(clef_eval_create(&ev, ctx), CLEF_OK);
    assert_int_equal(clef_eval_set_bootstrap(ev, 100, 3, 0.95), CLEF_OK);
    enum { N = 200, D = 6 };
    static float x[3][N * D];
    static int32_t y[3][N];
    for (int k = 0; k < 3; k++)
        fill_task(N, D, 0.8, 11 + (uint64_t)k, x[k], y[k]);
    assert_int_equal(
        clef_eval_add_task(ev, "feat_signal", x[0], y[0], N, x[1], y[1], N, x[2], y[2], N, D),
        CLEF_OK);
    for (int k = 0; k < 3; k++)
        fill_task(N, D, 0.0, 21 + (uint64_t)k, x[k], y[k]);
    assert_int_equal(
        clef_eval_add_task(ev, "dis_noise", x[0], y[0], N, x[1], y[1], N, x[2], y[2], N, D),
        CLEF_OK);
    for (size_t i = 0; i < N; i++)
        y[2][i] = 0;
    assert_int_equal(
        clef_eval_add_task(ev, "med_skipped", x[0], y[0], N, x[1], y[1], N, x[2], y[2], N, D),
        CLEF_OK);
    assert_int_equal(clef_eval_n_tasks(ev), 3);
    int32_t status;
    double auc, lo, hi, mean;
    assert_int_equal(clef_eval_task_result(ev, 0, &status, NULL, NULL, NULL, &auc, &lo, &hi, NULL),
                     CLEF_OK);
    assert_int_equal(status, CLEF_OK);
    assert_true(auc > 0.85 && lo < auc && auc < hi);
    assert_int_equal(clef_eval_task_result(ev, 1, &status, NULL, NULL, NULL, &auc, &lo, &hi, NULL),
                     CLEF_OK);
    assert_true(fabs(auc - 0.5) < 0.12);
    assert_true(lo < 0.5 + 0.12 && hi > 0.5 - 0.12);
    assert_int_equal(
        clef_eval_task_result(ev, 2, &status, NULL, NULL, NULL, &auc, NULL, NULL, NULL), CLEF_OK);
    assert_int_equal(status, CLEF_ERR_INVALID_ARG);
    assert_true(isnan(auc));
    int64_t n_eval;
    assert_int_equal(clef_eval_mean_auroc(ev, &mean, &n_eval), CLEF_OK);
    assert_int_equal(n_eval, 2);
    char name[8];
    size_t needed;
    assert_int_equal(clef_eval_task_name(ev, 0, name, 4, &needed), CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(needed, strlen("feat_signal") + 1);
    assert_int_equal(
        clef_eval_task_result(ev, 3, &status, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
        CLEF_ERR_RANGE);
    /* test scores: the noise task's labels as given (seed 23 again) and the AUROC it reported */
    static double prob[N];
    static int32_t lab[N];
    fill_task(N, D, 0.0, 23, x[2], y[2]);
    assert_int_equal(clef_eval_task_scores(ev, 1, prob, lab, 10, &needed),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(needed, N);
    assert_int_equal(clef_eval_task_scores(ev, 1, prob, lab, N, &needed), CLEF_OK);
    assert_memory_equal(lab, y[2], sizeof lab);
    double auc2;
    assert_int_equal(clef_eval_task_result(ev, 1, NULL, NULL, NULL, NULL, &auc, NULL, NULL, NULL),
                     CLEF_OK);
    assert_int_equal(clef_auroc(ctx, prob, lab, N, &auc2), CLEF_OK);
    assert_true(auc2 == auc);
    for (size_t i = 0; i < N; i++)
        assert_true(prob[i] > 0.0 && prob[i] < 1.0);
    assert_int_equal(clef_eval_task_scores(ev, 2, prob, NULL, N, NULL), CLEF_ERR_NOT_FOUND);
    assert_non_null(strstr(clef_eval_errmsg(ev), "med_skipped"));
    clef_eval_free(ev);
    clef_ctx_free(ctx);
}

/* ---- out-of-memory sweeps ---- */

static clef_status oom_probe(clef_ctx *ctx, void *arg) {
    (void)arg;
    double x[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, prob[6];
    int32_t y[6] = {0, 1, 0, 1, 1, 0};
    clef_probe *p;
    clef_status rc = clef_probe_fit(&p, ctx, x, y, 6, 2, 1.0);
    if (rc != CLEF_OK)
        return rc;
    rc = clef_probe_predict(p, x, 6, 2, prob);
    clef_probe_free(p);
    double auc, lo, hi;
    if (rc == CLEF_OK)
        rc = clef_auroc(ctx, prob, y, 6, &auc);
    if (rc == CLEF_OK)
        rc = clef_auroc_ci(ctx, prob, y, 6, 20, 1, 0.9, &lo, &hi);
    return rc;
}

static clef_status oom_probe_many(clef_ctx *ctx, void *arg) {
    (void)arg;
    double x[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, prob[12];
    int32_t y[12] = {0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 0};
    clef_probe *p;
    clef_status rc = clef_probe_fit_many(&p, ctx, x, y, 6, 2, 2, 1.0);
    if (rc != CLEF_OK)
        return rc;
    rc = clef_probe_predict(p, x, 6, 2, prob);
    clef_probe_free(p);
    return rc;
}

static clef_status oom_eval(clef_ctx *ctx, void *arg) {
    (void)arg;
    float x[16] = {0, 1, 2, 3, 4, 5, 6, 7, 1, 0, 3, 2, 5, 4, 7, 6};
    int32_t y[8] = {0, 1, 0, 1, 0, 1, 0, 1};
    float sig[800];
    for (int i = 0; i < 800; i++)
        sig[i] = (float)(i % 7);
    float bp[8];
    clef_status rc = clef_bandpower_embed(ctx, sig, 2, 400, 400, 200.0, bp, 8, NULL);
    if (rc != CLEF_OK)
        return rc;
    clef_eval *ev;
    rc = clef_eval_create(&ev, ctx);
    if (rc != CLEF_OK)
        return rc;
    double grid[2] = {0.1, 1.0};
    rc = clef_eval_set_c_grid(ev, grid, 2);
    if (rc == CLEF_OK)
        rc = clef_eval_set_bootstrap(ev, 10, 1, 0.9);
    if (rc == CLEF_OK)
        rc = clef_eval_add_task(ev, "t", x, y, 8, x, y, 8, x, y, 8, 2);
    int32_t status = CLEF_OK;
    if (rc == CLEF_OK)
        rc = clef_eval_task_result(ev, 0, &status, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    clef_eval_free(ev);
    /* a failed allocation inside a task is reported as that task's status */
    return rc != CLEF_OK ? rc : status;
}

static void test_oom(void **state) {
    (void)state;
    assert_true(test_oom_sweep(oom_probe, NULL, 0) > 0);
    assert_true(test_oom_sweep(oom_eval, NULL, 0) > 0);
    assert_true(test_oom_sweep(oom_probe_many, NULL, 0) > 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auroc_golden),
        cmocka_unit_test(test_auroc_errors),
        cmocka_unit_test(test_bootstrap_ci),
        cmocka_unit_test(test_probe_golden),
        cmocka_unit_test(test_probe_select_golden),
        cmocka_unit_test(test_probe_errors),
        cmocka_unit_test(test_probe_many_golden),
        cmocka_unit_test(test_probe_many_slots),
        cmocka_unit_test(test_probe_many_errors),
        cmocka_unit_test(test_bandpower_golden),
        cmocka_unit_test(test_eval_arrays),
        cmocka_unit_test(test_mean_ci_golden),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
