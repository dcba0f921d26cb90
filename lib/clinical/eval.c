/* eval.c — evaluation harness: per task, a linear probe fitted on train with C chosen on val,
 * then the test AUROC with a bootstrap CI; the mean over evaluated tasks.
 * SPDX-License-Identifier: BSD-3-Clause */
#include "clinical_int.h"

#include <math.h>
#include <string.h>

/* Default C grid: 10^-4 .. 10^4, one value per decade (as sklearn LogisticRegressionCV's
 * default Cs=10 spans 1e-4..1e4 on a log scale). */
static const double k_default_c[] = {1e-4, 1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2, 1e3, 1e4};
#define N_DEFAULT_C (sizeof k_default_c / sizeof k_default_c[0])

clef_status clef_eval_create(clef_eval **out, clef_ctx *ctx) {
    clefi_reset(ctx);
    if (out == NULL)
        return CLEF_ERR_INVALID_ARG;
    *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_eval *ev = clefi_calloc(ctx, 1, sizeof *ev);
    double *grid = clefi_calloc(ctx, N_DEFAULT_C, sizeof *grid);
    if (ev == NULL || grid == NULL) {
        clefi_free(ctx, ev);
        clefi_free(ctx, grid);
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate an evaluator");
    }
    memcpy(grid, k_default_c, sizeof k_default_c);
    ev->ctx = clefi_ctx_retain(ctx);
    ev->c_grid = grid;
    ev->n_c = N_DEFAULT_C;
    ev->n_boot = 1000;
    ev->level = 0.95;
    *out = ev;
    return CLEF_OK;
}

void clef_eval_free(clef_eval *ev) {
    if (ev == NULL)
        return;
    clef_ctx *ctx = ev->ctx;
    for (size_t i = 0; i < ev->n_tasks; i++) {
        clefi_free(ctx, ev->tasks[i].name);
        clefi_free(ctx, ev->tasks[i].prob);
        clefi_free(ctx, ev->tasks[i].y);
    }
    clefi_free(ctx, ev->tasks);
    clefi_free(ctx, ev->c_grid);
    clefi_free(ctx, ev);
    clefi_ctx_release(ctx);
}

const char *clef_eval_errmsg(const clef_eval *ev) { return ev != NULL ? ev->err.msg : ""; }

clef_status clef_eval_set_c_grid(clef_eval *ev, const double *c, size_t n) {
    clefi_reset(ev);
    if (ev == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (c == NULL || n == 0 || n > 1000)
        return clefi_error(ev->ctx, &ev->err, CLEF_ERR_INVALID_ARG, "C grid of %zu values", n);
    for (size_t i = 0; i < n; i++)
        if (!(c[i] > 0.0) || !isfinite(c[i]))
            return clefi_error(ev->ctx, &ev->err, CLEF_ERR_RANGE, "C[%zu] = %g is not positive", i,
                               c[i]);
    double *g = clefi_calloc(ev->ctx, n, sizeof *g);
    if (g == NULL)
        return clefi_error(ev->ctx, &ev->err, CLEF_ERR_NOMEM, "cannot allocate the C grid");
    memcpy(g, c, n * sizeof *g);
    clefi_free(ev->ctx, ev->c_grid);
    ev->c_grid = g;
    ev->n_c = n;
    return CLEF_OK;
}

clef_status clef_eval_errcode(const clef_eval *ev) {
    return ev != NULL ? ev->err.code : CLEF_ERR_INVALID_ARG;
}

clef_status clef_eval_set_bootstrap(clef_eval *ev, int64_t n_boot, uint64_t seed, double level) {
    clefi_reset(ev);
    if (ev == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (n_boot < 2 || n_boot > 1000000)
        return clefi_error(ev->ctx, &ev->err, CLEF_ERR_RANGE, "n_boot %lld outside [2, 1000000]",
                           (long long)n_boot);
    if (!(level > 0.0 && level < 1.0))
        return clefi_error(ev->ctx, &ev->err, CLEF_ERR_RANGE, "CI level %g outside (0, 1)", level);
    ev->n_boot = (int32_t)n_boot;
    ev->seed = seed;
    ev->level = level;
    return CLEF_OK;
}

static int has_both(const int32_t *y, size_t n) {
    int seen[2] = {0, 0};
    for (size_t i = 0; i < n; i++)
        if (y[i] == 0 || y[i] == 1)
            seen[y[i]] = 1;
    return seen[0] && seen[1];
}

static double *widen(clef_ctx *ctx, const float *x, size_t n, size_t d) {
    size_t total;
    if (clefi_mul_overflow(n, d, &total))
        return NULL;
    double *o = clefi_calloc(ctx, total ? total : 1, sizeof *o);
    for (size_t i = 0; o != NULL && i < total; i++)
        o[i] = (double)x[i];
    return o;
}

/* Fit, select C, score the test split; fills t (status CLEF_OK). */
static clef_status eval_fit(clef_eval *ev, clefi_eval_task *t, const float *const x[3],
                            const int32_t *const y[3], const size_t n[3], size_t d) {
    clef_ctx *ctx = ev->ctx;
    double *xd[3] = {NULL, NULL, NULL}, *prob = NULL;
    clef_status rc = CLEF_OK;
    for (int k = 0; k < 3 && rc == CLEF_OK; k++)
        if ((xd[k] = widen(ctx, x[k], n[k], d)) == NULL)
            rc = clefi_error(ctx, &ev->err, CLEF_ERR_NOMEM, "cannot allocate task features");
    if (rc == CLEF_OK && (prob = clefi_calloc(ctx, n[2], sizeof *prob)) == NULL)
        rc = clefi_error(ctx, &ev->err, CLEF_ERR_NOMEM, "cannot allocate test scores");
    clef_probe *p = NULL;
    if (rc == CLEF_OK)
        rc = clef_probe_fit_select(&p, ctx, xd[0], y[0], n[0], xd[1], y[1], n[1], d, ev->c_grid,
                                   ev->n_c);
    if (rc == CLEF_OK)
        rc = clef_probe_predict(p, xd[2], n[2], d, prob);
    clefi_roc roc;
    if (rc == CLEF_OK && (t->y = clefi_calloc(ctx, n[2], sizeof *t->y)) == NULL)
        rc = clefi_error(ctx, &ev->err, CLEF_ERR_NOMEM, "cannot allocate test labels");
    if (rc == CLEF_OK)
        rc = clefi_roc_init(&roc, ctx, &ev->err, prob, y[2], n[2]);
    if (rc == CLEF_OK) {
        t->auroc = clefi_roc_auc(&roc, NULL);
        t->c = p->c;
        rc = clefi_roc_bootstrap(&roc, ctx, &ev->err, ev->n_boot, ev->seed, ev->level, &t->lo,
                                 &t->hi);
        clefi_roc_free(&roc, ctx);
    } else if (ctx->err.code == rc) { /* the probe recorded why on the ctx */
        clefi_error(ctx, &ev->err, rc, "%s", ctx->err.msg);
    }
    clef_probe_free(p);
    if (rc == CLEF_OK) { /* kept for clef_eval_task_scores() */
        memcpy(t->y, y[2], n[2] * sizeof *t->y);
        t->prob = prob;
        prob = NULL;
    } else {
        clefi_free(ctx, t->y);
        t->y = NULL;
    }
    clefi_free(ctx, prob);
    for (int k = 0; k < 3; k++)
        clefi_free(ctx, xd[k]);
    return rc;
}

clef_status clef_eval_add_task(clef_eval *ev, const char *name, const float *x_train,
                               const int32_t *y_train, size_t n_train, const float *x_val,
                               const int32_t *y_val, size_t n_val, const float *x_test,
                               const int32_t *y_test, size_t n_test, size_t dim) {
    clefi_reset(ev);
    if (ev == NULL)
        return CLEF_ERR_INVALID_ARG;
    const float *x[3] = {x_train, x_val, x_test};
    const int32_t *y[3] = {y_train, y_val, y_test};
    size_t n[3] = {n_train, n_val, n_test};
    if (name == NULL || dim == 0)
        return clefi_error(ev->ctx, &ev->err, CLEF_ERR_INVALID_ARG,
                           "a task needs a name and dim > 0");
    for (int k = 0; k < 3; k++)
        if (n[k] > 0 && (x[k] == NULL || y[k] == NULL))
            return clefi_error(ev->ctx, &ev->err, CLEF_ERR_INVALID_ARG,
                               "task '%s': split %d has n = %zu but NULL data", name, k, n[k]);
    if (ev->n_tasks == ev->cap_tasks) {
        size_t cap = ev->cap_tasks ? ev->cap_tasks * 2 : 16;
        clefi_eval_task *nt = clefi_realloc_array(ev->ctx, ev->tasks, cap, sizeof *nt);
        if (nt == NULL)
            return clefi_error(ev->ctx, &ev->err, CLEF_ERR_NOMEM, "cannot grow the task list");
        ev->tasks = nt;
        ev->cap_tasks = cap;
    }
    clefi_eval_task t = {
        clefi_strdup(ev->ctx, name), CLEF_OK, {0, 0, 0}, NAN, NAN, NAN, NAN, NAN, NAN, NULL, NULL};
    if (t.name == NULL)
        return clefi_error(ev->ctx, &ev->err, CLEF_ERR_NOMEM, "cannot copy a task name");
    for (int k = 0; k < 3; k++)
        t.n[k] = (int64_t)n[k];
    /* a split without both classes cannot be fitted or scored: the task is skipped */
    if (!has_both(y[0], n[0]) || !has_both(y[1], n[1]) || !has_both(y[2], n[2])) {
        t.status = CLEF_ERR_INVALID_ARG;
    } else {
        clef_status rc = eval_fit(ev, &t, x, y, n, dim);
        if (rc == CLEF_ERR_NOMEM || rc == CLEF_ERR_INTERNAL) {
            clefi_free(ev->ctx, t.name);
            return rc;
        }
        t.status = rc;
    }
    ev->tasks[ev->n_tasks++] = t;
    return CLEF_OK;
}

int64_t clef_eval_n_tasks(const clef_eval *ev) { return ev != NULL ? (int64_t)ev->n_tasks : 0; }

/* The argument checks shared by the per-task getters. */
static clef_status task_at(clef_eval *ev, int64_t i, clefi_eval_task **t) {
    if (ev == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (i < 0 || (uint64_t)i >= ev->n_tasks)
        return clefi_error(ev->ctx, &ev->err, CLEF_ERR_RANGE, "task index %lld outside [0, %zu)",
                           (long long)i, ev->n_tasks);
    *t = &ev->tasks[i];
    return CLEF_OK;
}

clef_status clef_eval_task_name(clef_eval *ev, int64_t i, char *buf, size_t cap, size_t *needed) {
    clefi_reset(ev);
    if (needed != NULL)
        *needed = 0;
    clefi_eval_task *t = NULL;
    clef_status rc = task_at(ev, i, &t);
    if (rc != CLEF_OK)
        return rc;
    size_t len = strlen(t->name) + 1;
    if (needed != NULL)
        *needed = len;
    if (buf == NULL || cap < len)
        return clefi_error(ev->ctx, &ev->err, CLEF_ERR_BUFFER_TOO_SMALL,
                           "task name needs %zu bytes", len);
    memcpy(buf, t->name, len);
    return CLEF_OK;
}

clef_status clef_eval_task_result(clef_eval *ev, int64_t i, int32_t *status, int64_t *n_train,
                                  int64_t *n_val, int64_t *n_test, double *auroc, double *ci_lo,
                                  double *ci_hi, double *c) {
    clefi_reset(ev);
    clefi_eval_task *t = NULL;
    clef_status rc = task_at(ev, i, &t);
    if (rc != CLEF_OK)
        return rc;
    if (status != NULL)
        *status = t->status;
    if (n_train != NULL)
        *n_train = t->n[0];
    if (n_val != NULL)
        *n_val = t->n[1];
    if (n_test != NULL)
        *n_test = t->n[2];
    if (auroc != NULL)
        *auroc = t->auroc;
    if (ci_lo != NULL)
        *ci_lo = t->lo;
    if (ci_hi != NULL)
        *ci_hi = t->hi;
    if (c != NULL)
        *c = t->c;
    return CLEF_OK;
}

clef_status clef_eval_task_scores(clef_eval *ev, int64_t i, double *prob, int32_t *labels,
                                  size_t cap, size_t *needed) {
    clefi_reset(ev);
    if (needed != NULL)
        *needed = 0;
    clefi_eval_task *t = NULL;
    clef_status rc = task_at(ev, i, &t);
    if (rc != CLEF_OK)
        return rc;
    if (t->status != CLEF_OK || t->prob == NULL)
        return clefi_error(ev->ctx, &ev->err, CLEF_ERR_NOT_FOUND,
                           "task '%s' was skipped: it has no test scores", t->name);
    size_t n = (size_t)t->n[2];
    if (needed != NULL)
        *needed = n;
    if ((prob == NULL && labels == NULL) || cap < n)
        return clefi_error(ev->ctx, &ev->err, CLEF_ERR_BUFFER_TOO_SMALL,
                           "task '%s' has %zu test scores", t->name, n);
    if (prob != NULL)
        memcpy(prob, t->prob, n * sizeof *prob);
    if (labels != NULL)
        memcpy(labels, t->y, n * sizeof *labels);
    return CLEF_OK;
}

clef_status clef_eval_task_balance(clef_eval *ev, int64_t i, double *smd_age, double *smd_sex) {
    clefi_reset(ev);
    clefi_eval_task *t = NULL;
    clef_status rc = task_at(ev, i, &t);
    if (rc != CLEF_OK)
        return rc;
    if (smd_age != NULL)
        *smd_age = t->smd_age;
    if (smd_sex != NULL)
        *smd_sex = t->smd_sex;
    return CLEF_OK;
}

clef_status clef_eval_mean_auroc(clef_eval *ev, double *out, int64_t *n_evaluated) {
    clefi_reset(ev);
    if (out != NULL)
        *out = NAN;
    if (n_evaluated != NULL)
        *n_evaluated = 0;
    if (ev == NULL || out == NULL)
        return CLEF_ERR_INVALID_ARG;
    double sum = 0.0;
    int64_t k = 0;
    for (size_t i = 0; i < ev->n_tasks; i++)
        if (ev->tasks[i].status == CLEF_OK) {
            sum += ev->tasks[i].auroc;
            k++;
        }
    if (n_evaluated != NULL)
        *n_evaluated = k;
    if (k == 0)
        return clefi_error(ev->ctx, &ev->err, CLEF_ERR_NOT_FOUND, "no task was evaluated");
    *out = sum / (double)k;
    return CLEF_OK;
}

/* ---- over a cohort store (public store API only) ---- */

typedef struct split_data {
    float *x;
    int32_t *y;
    int64_t n, dim;
} split_data;

static clef_status store_fail(clef_eval *ev, clef_store *s, clef_status rc) {
    return clefi_error(ev->ctx, &ev->err, rc, "%s", clef_store_errmsg(s));
}

static clef_status load_split(clef_eval *ev, clef_store *s, const char *task, int32_t split,
                              int32_t kind, const char *model_hash, split_data *d) {
    memset(d, 0, sizeof *d);
    clef_status rc =
        clef_store_task_data(s, task, split, kind, model_hash, NULL, 0, NULL, 0, &d->n, &d->dim);
    if (rc == CLEF_OK) /* no labelled session in this split */
        return CLEF_OK;
    if (rc != CLEF_ERR_BUFFER_TOO_SMALL)
        return store_fail(ev, s, rc);
    size_t nx;
    if (clefi_mul_overflow((size_t)d->n, (size_t)d->dim, &nx))
        return clefi_error(ev->ctx, &ev->err, CLEF_ERR_OVERFLOW, "task '%s' is too large", task);
    d->x = clefi_calloc(ev->ctx, nx, sizeof *d->x);
    d->y = clefi_calloc(ev->ctx, (size_t)d->n, sizeof *d->y);
    if (d->x == NULL || d->y == NULL)
        return clefi_error(ev->ctx, &ev->err, CLEF_ERR_NOMEM, "cannot allocate task '%s'", task);
    rc = clef_store_task_data(s, task, split, kind, model_hash, d->x, nx, d->y, (size_t)d->n, &d->n,
                              &d->dim);
    return rc == CLEF_OK ? CLEF_OK : store_fail(ev, s, rc);
}

static clef_status eval_store_task(clef_eval *ev, clef_store *s, const char *task, int32_t kind,
                                   const char *model_hash) {
    split_data d[3];
    memset(d, 0, sizeof d);
    clef_status rc = CLEF_OK;
    for (int k = 0; k < 3 && rc == CLEF_OK; k++)
        rc = load_split(ev, s, task, CLEF_SPLIT_TRAIN + k, kind, model_hash, &d[k]);
    int64_t dim = d[0].dim > 0 ? d[0].dim : (d[1].dim > 0 ? d[1].dim : d[2].dim);
    for (int k = 0; k < 3 && rc == CLEF_OK; k++)
        if (d[k].n > 0 && d[k].dim != dim)
            rc = clefi_error(ev->ctx, &ev->err, CLEF_ERR_SHAPE,
                             "task '%s': embeddings of %lld and %lld values", task,
                             (long long)d[k].dim, (long long)dim);
    if (rc == CLEF_OK)
        rc = clef_eval_add_task(ev, task, d[0].x, d[0].y, (size_t)d[0].n, d[1].x, d[1].y,
                                (size_t)d[1].n, d[2].x, d[2].y, (size_t)d[2].n,
                                dim > 0 ? (size_t)dim : 1);
    for (int k = 0; k < 3; k++) {
        clefi_free(ev->ctx, d[k].x);
        clefi_free(ev->ctx, d[k].y);
    }
    if (rc == CLEF_OK) { /* the task design's balance, beside its AUROC */
        clefi_eval_task *t = &ev->tasks[ev->n_tasks - 1];
        if (clef_store_task_balance(s, task, &t->smd_age, &t->smd_sex, NULL, NULL) != CLEF_OK)
            t->smd_age = t->smd_sex = NAN;
    }
    return rc;
}

clef_status clef_eval_run_store(clef_eval *ev, clef_store *s, int32_t kind, const char *model_hash,
                                clef_eval_progress_fn progress, void *user) {
    clefi_reset(ev);
    if (ev == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (s == NULL || model_hash == NULL)
        return clefi_error(ev->ctx, &ev->err, CLEF_ERR_INVALID_ARG,
                           "evaluation needs a store and a model hash");
    int64_t n_tasks = 0;
    clef_status rc = clef_store_count(s, CLEF_STORE_TASKS, &n_tasks);
    if (rc != CLEF_OK)
        return store_fail(ev, s, rc);
    char name[256];
    for (int64_t i = 0; i < n_tasks; i++) {
        size_t needed;
        rc = clef_store_task_name(s, i, name, sizeof name, &needed);
        if (rc != CLEF_OK)
            return store_fail(ev, s, rc);
        rc = eval_store_task(ev, s, name, kind, model_hash);
        if (rc != CLEF_OK)
            return rc;
        if (progress != NULL && progress(i + 1, n_tasks, name, user) != 0)
            return clefi_error(ev->ctx, &ev->err, CLEF_ERR_CANCELLED, "evaluation cancelled");
    }
    return CLEF_OK;
}
