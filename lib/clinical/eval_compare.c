/* eval_compare.c — the mean test AUROC over a set of tasks with a bootstrap CI, and the paired
 * difference of two evaluations of the same sessions (docs/evaluation.md "Means and paired
 * comparisons").
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * A mean over tasks varies with every task's test sessions, so its interval resamples them all:
 * resample b draws each task's test rows with replacement (in task order, from one splitmix64
 * stream seeded by clefi_rng_u64(seed, b); a draw lacking a class is drawn again) and averages
 * the tasks' AUROCs. A comparison draws the same rows for both evaluations, so what the two
 * share (which sessions happen to be hard) cancels in the difference. */
#include "clinical_int.h"

#include <stdlib.h>
#include <string.h>

/* One task entering the mean: its ROC in ev and, for a comparison, in base. */
typedef struct boot_task {
    clefi_roc roc[2];
    double auc[2];
} boot_task;

static int has_prefix(const char *name, const char *prefix) {
    return prefix == NULL || strncmp(name, prefix, strlen(prefix)) == 0;
}

/* base's evaluated task named name, or NULL. */
static const clefi_eval_task *find_task(const clef_eval *base, const char *name) {
    for (size_t i = 0; i < base->n_tasks; i++)
        if (base->tasks[i].status == CLEF_OK && strcmp(base->tasks[i].name, name) == 0)
            return &base->tasks[i];
    return NULL;
}

static void free_tasks(clef_ctx *ctx, boot_task *bt, size_t n) {
    for (size_t j = 0; bt != NULL && j < n; j++)
        for (int k = 0; k < 2; k++)
            clefi_roc_free(&bt[j].roc[k], ctx);
    clefi_free(ctx, bt);
}

/* The tasks of the mean, in ev's order; *n_out of them. */
static clef_status collect(clef_eval *ev, const clef_eval *base, const char *prefix,
                           boot_task **out, size_t *n_out, size_t *n_max) {
    clef_ctx *ctx = ev->ctx;
    boot_task *bt = clefi_calloc(ctx, ev->n_tasks ? ev->n_tasks : 1, sizeof *bt);
    if (bt == NULL)
        return clefi_error(ctx, &ev->err, CLEF_ERR_NOMEM, "cannot allocate the task list");
    size_t n = 0;
    clef_status rc = CLEF_OK;
    for (size_t i = 0; i < ev->n_tasks && rc == CLEF_OK; i++) {
        const clefi_eval_task *t = &ev->tasks[i], *u = NULL;
        if (t->status != CLEF_OK || !has_prefix(t->name, prefix))
            continue;
        if (base != NULL && (u = find_task(base, t->name)) == NULL)
            continue;
        if (u != NULL &&
            (u->n[2] != t->n[2] || memcmp(u->y, t->y, (size_t)t->n[2] * sizeof *t->y) != 0))
            rc = clefi_error(ctx, &ev->err, CLEF_ERR_INVALID_ARG,
                             "task '%s': the two evaluations have different test sessions (%lld "
                             "and %lld, or other labels): compare evaluations of one store",
                             t->name, (long long)t->n[2], (long long)u->n[2]);
        for (int k = 0; k < (u != NULL ? 2 : 1) && rc == CLEF_OK; k++) {
            const clefi_eval_task *s = k == 0 ? t : u;
            rc = clefi_roc_init(&bt[n].roc[k], ctx, &ev->err, s->prob, s->y, (size_t)s->n[2]);
            bt[n].auc[k] = s->auroc;
        }
        *n_max = (size_t)t->n[2] > *n_max ? (size_t)t->n[2] : *n_max;
        n++;
    }
    if (rc != CLEF_OK) { /* the failed task's first ROC may be set: free every slot */
        free_tasks(ctx, bt, ev->n_tasks);
        return rc;
    }
    *out = bt;
    *n_out = n;
    return CLEF_OK;
}

/* The mean AUROC of ev's evaluated tasks named prefix* (with base: mean(ev) - mean(base) over
 * the tasks evaluated in both) into *est, its percentile interval into [lo, hi]. */
static clef_status boot_mean(clef_eval *ev, const clef_eval *base, const char *prefix, double *est,
                             double *lo, double *hi, int64_t *n_tasks) {
    clef_ctx *ctx = ev->ctx;
    boot_task *bt = NULL;
    size_t n = 0, n_max = 0;
    clef_status rc = collect(ev, base, prefix, &bt, &n, &n_max);
    if (rc != CLEF_OK)
        return rc;
    if (n_tasks != NULL)
        *n_tasks = (int64_t)n;
    if (n == 0) {
        free_tasks(ctx, bt, n);
        return clefi_error(ctx, &ev->err, CLEF_ERR_NOT_FOUND, "no evaluated task named '%s*'%s",
                           prefix != NULL ? prefix : "",
                           base != NULL ? " in both evaluations" : "");
    }
    const int paired = base != NULL;
    uint32_t *w = clefi_calloc(ctx, n_max, sizeof *w);
    double *v = clefi_calloc(ctx, (size_t)ev->n_boot, sizeof *v);
    if (w == NULL || v == NULL) {
        clefi_free(ctx, w);
        clefi_free(ctx, v);
        free_tasks(ctx, bt, n);
        return clefi_error(ctx, &ev->err, CLEF_ERR_NOMEM, "cannot allocate bootstrap buffers");
    }
    double sum[2] = {0.0, 0.0};
    for (size_t j = 0; j < n; j++)
        for (int k = 0; k <= paired; k++)
            sum[k] += bt[j].auc[k];
    *est = sum[0] / (double)n - (paired ? sum[1] / (double)n : 0.0);
    for (int64_t b = 0; b < ev->n_boot; b++) {
        uint64_t state = clefi_rng_u64(ev->seed, (uint64_t)b);
        double s[2] = {0.0, 0.0};
        for (size_t j = 0; j < n; j++) {
            const clefi_roc *r = &bt[j].roc[0];
            double a;
            do { /* both evaluations share labels: a draw lacking a class lacks it in both */
                memset(w, 0, r->n * sizeof *w);
                for (size_t k = 0; k < r->n; k++)
                    w[clefi_rand_below(&state, r->n)]++;
                a = clefi_roc_auc(r, w);
            } while (isnan(a));
            s[0] += a;
            if (paired)
                s[1] += clefi_roc_auc(&bt[j].roc[1], w);
        }
        v[b] = s[0] / (double)n - (paired ? s[1] / (double)n : 0.0);
    }
    qsort(v, (size_t)ev->n_boot, sizeof *v, clefi_cmp_double);
    double alpha = 1.0 - ev->level;
    *lo = clefi_percentile_sorted(v, (size_t)ev->n_boot, alpha / 2.0);
    *hi = clefi_percentile_sorted(v, (size_t)ev->n_boot, 1.0 - alpha / 2.0);
    clefi_free(ctx, w);
    clefi_free(ctx, v);
    free_tasks(ctx, bt, n);
    return CLEF_OK;
}

/* The shared checks of the two entry points; NaN outputs until a result. */
static clef_status begin(clef_eval *ev, double *est, double *lo, double *hi, int64_t *n_tasks) {
    if (n_tasks != NULL)
        *n_tasks = 0;
    if (est != NULL)
        *est = NAN;
    if (lo != NULL)
        *lo = NAN;
    if (hi != NULL)
        *hi = NAN;
    if (ev == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (est == NULL || lo == NULL || hi == NULL)
        return clefi_error(ev->ctx, &ev->err, CLEF_ERR_INVALID_ARG,
                           "mean, lo and hi must not be NULL");
    return CLEF_OK;
}

clef_status clef_eval_mean_ci(clef_eval *ev, const char *prefix, double *mean, double *lo,
                              double *hi, int64_t *n_tasks) {
    clefi_reset(ev);
    clef_status rc = begin(ev, mean, lo, hi, n_tasks);
    return rc != CLEF_OK ? rc : boot_mean(ev, NULL, prefix, mean, lo, hi, n_tasks);
}

clef_status clef_eval_compare(clef_eval *ev, const clef_eval *base, const char *prefix,
                              double *diff, double *lo, double *hi, int64_t *n_tasks) {
    clefi_reset(ev);
    clef_status rc = begin(ev, diff, lo, hi, n_tasks);
    if (rc == CLEF_OK && base == NULL)
        rc = clefi_error(ev->ctx, &ev->err, CLEF_ERR_INVALID_ARG, "compare: base is NULL");
    return rc != CLEF_OK ? rc : boot_mean(ev, base, prefix, diff, lo, hi, n_tasks);
}
