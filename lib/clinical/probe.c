/* probe.c — L2-regularized logistic-regression linear probe. SPDX-License-Identifier: BSD-3-Clause
 *
 * Policy (matches scikit-learn make_pipeline(StandardScaler(), LogisticRegression(C=C)) with
 * solver lbfgs, penalty l2, fit_intercept=True):
 *  - features are standardized with the training mean and population standard deviation
 *    (ddof 0); a constant feature (sklearn _is_constant_feature) keeps scale 1;
 *  - minimize C * sum_i logloss(y_i, w.z_i + b) + 0.5 |w|^2: the intercept is not penalized;
 *  - solved by Newton's method: Hessian C Z'WZ + I (Cholesky, LAPACKE_dposv), gradient to
 *    machine precision, with a backtracking line search, so probabilities match sklearn's
 *    (with a tight tol) to 1e-6 or better. */
#include "clinical_int.h"

#include <cblas.h>
#include <float.h>
#include <limits.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

#define PROBE_MAX_ITER 100
#define PROBE_MAX_DIM  65536

/* Standardize x [n][d] into z [n][d] with the probe's mean/scale. */
static void standardize(const clef_probe *p, const double *x, size_t n, double *z) {
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p->d; j++)
            z[i * p->d + j] = (x[i * p->d + j] - p->mean[j]) / p->scale[j];
}

void clefi_probe_fit_scaler(clef_probe *p, const double *x, size_t n) {
    size_t d = p->d;
    double *m = p->mean, *v = p->scale;
    /* row by row (x is row-major), each column summed in row order as a column loop would */
    memset(m, 0, d * sizeof *m);
    memset(v, 0, d * sizeof *v);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            m[j] += x[i * d + j];
    for (size_t j = 0; j < d; j++)
        m[j] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            v[j] += (x[i * d + j] - m[j]) * (x[i * d + j] - m[j]);
    for (size_t j = 0; j < d; j++) {
        v[j] /= (double)n;
        /* sklearn.preprocessing._data._is_constant_feature: var within rounding of zero */
        double nm = (double)n * m[j] * DBL_EPSILON;
        int constant = v[j] <= (double)n * DBL_EPSILON * v[j] + nm * nm;
        v[j] = constant ? 1.0 : sqrt(v[j]);
    }
}

/* theta = [w (d), b]; eta = z.w + b per sample; objective value. */
static double objective(const clef_probe *p, const double *z, const int32_t *y, size_t n,
                        const double *theta, double *eta) {
    size_t d = p->d;
    double loss = 0.0, reg = 0.0;
    for (size_t i = 0; i < n; i++) {
        double t = theta[d];
        for (size_t j = 0; j < d; j++)
            t += z[i * d + j] * theta[j];
        eta[i] = t;
        loss += clefi_log1pexp(t) - (y[i] ? t : 0.0);
    }
    for (size_t j = 0; j < d; j++)
        reg += theta[j] * theta[j];
    return p->c * loss + 0.5 * reg;
}

typedef struct newton_ws {
    double *theta, *trial, *eta, *grad, *hess, *a, *step;
} newton_ws;

/* Gradient and Hessian (upper triangle, column-major (d+1)^2) at eta. */
static void grad_hess(const clef_probe *p, const double *z, const int32_t *y, size_t n,
                      newton_ws *ws) {
    size_t d = p->d, m = d + 1;
    memset(ws->grad, 0, m * sizeof *ws->grad);
    for (size_t i = 0; i < n; i++) {
        double pi = clefi_sigmoid(ws->eta[i]), r = pi - (y[i] ? 1.0 : 0.0);
        double sw = sqrt(pi * (1.0 - pi));
        for (size_t j = 0; j < d; j++) {
            ws->grad[j] += r * z[i * d + j];
            ws->a[i * m + j] = sw * z[i * d + j];
        }
        ws->grad[d] += r;
        ws->a[i * m + d] = sw;
    }
    for (size_t j = 0; j < m; j++)
        ws->grad[j] *= p->c;
    for (size_t j = 0; j < d; j++)
        ws->grad[j] += ws->theta[j];
    /* H = C A'A + diag(1..1, 0); A is [n][m] row-major = [m][n] column-major transposed */
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int)m, (int)n, p->c, ws->a, (int)m, 0.0,
                ws->hess, (int)m);
    for (size_t j = 0; j < d; j++)
        ws->hess[j * m + j] += 1.0;
}

static clef_status newton(clef_probe *p, const double *z, const int32_t *y, size_t n,
                          newton_ws *ws) {
    size_t d = p->d, m = d + 1;
    double f = objective(p, z, y, n, ws->theta, ws->eta), prev_step = INFINITY;
    for (p->n_iter = 0; p->n_iter < PROBE_MAX_ITER; p->n_iter++) {
        grad_hess(p, z, y, n, ws);
        memcpy(ws->step, ws->grad, m * sizeof *ws->step);
        /* separable data with a huge C can make the intercept's curvature vanish: add the
         * smallest ridge that keeps the Cholesky factorization defined */
        double jitter = 0.0;
        int info;
        for (;;) {
            for (size_t j = 0; j < m; j++)
                ws->hess[j * m + j] += jitter;
            memcpy(ws->step, ws->grad, m * sizeof *ws->step);
            memcpy(ws->a, ws->hess, m * m * sizeof *ws->a);
            info = LAPACKE_dposv(LAPACK_COL_MAJOR, 'U', (lapack_int)m, 1, ws->a, (lapack_int)m,
                                 ws->step, (lapack_int)m);
            if (info <= 0 || jitter > 1e6)
                break;
            jitter = jitter == 0.0 ? 1e-10 : jitter * 100.0;
        }
        if (info != 0)
            return clefi_error(p->ctx, &p->err, CLEF_ERR_INTERNAL,
                               "probe Newton system not positive definite (LAPACK info %d)", info);
        double gdot = 0.0, smax = 0.0, tmax = 0.0;
        for (size_t j = 0; j < m; j++) {
            gdot += ws->grad[j] * ws->step[j];
            smax = fmax(smax, fabs(ws->step[j]));
            tmax = fmax(tmax, fabs(ws->theta[j]));
        }
        /* backtracking (Armijo, c1 = 1e-4; Nocedal & Wright alg. 3.1); a small full Newton step
         * is taken without it, since rounding of the objective hides its decrease */
        int small = smax <= 1e-6 * (1.0 + tmax);
        double t = 1.0, fnew = f;
        int accepted = 0;
        for (int ls = 0; ls < 60; ls++, t *= 0.5) {
            for (size_t j = 0; j < m; j++)
                ws->trial[j] = ws->theta[j] - t * ws->step[j];
            fnew = objective(p, z, y, n, ws->trial, ws->eta);
            if (fnew <= f - 1e-4 * t * gdot || (small && ls == 0)) {
                accepted = 1;
                break;
            }
        }
        if (accepted) {
            memcpy(ws->theta, ws->trial, m * sizeof *ws->theta);
            f = fnew;
        } else {
            objective(p, z, y, n, ws->theta, ws->eta); /* at the precision floor: stop */
            break;
        }
        /* done at a negligible step, or when small steps stop shrinking (the rounding floor) */
        if (t * smax <= 1e-14 * (1.0 + tmax) || (small && t * smax > 0.25 * prev_step))
            break;
        prev_step = t * smax;
    }
    memcpy(p->coef, ws->theta, d * sizeof *p->coef);
    p->intercept[0] = ws->theta[d];
    return CLEF_OK;
}

clef_status clefi_probe_fit(clef_probe *p, const double *x, const int32_t *y, size_t n) {
    size_t d = p->d, m = d + 1, nz, na, mm;
    if (clefi_mul_overflow(n, d, &nz) || clefi_mul_overflow(n, m, &na) ||
        clefi_mul_overflow(m, m, &mm))
        return clefi_error(p->ctx, &p->err, CLEF_ERR_OVERFLOW, "probe of %zu x %zu overflows", n,
                           d);
    if (mm > na)
        na = mm; /* a also holds the factorized Hessian */
    clefi_probe_fit_scaler(p, x, n);
    newton_ws ws = {0};
    double *z = clefi_calloc(p->ctx, nz, sizeof *z);
    ws.theta = clefi_calloc(p->ctx, m, sizeof(double));
    ws.trial = clefi_calloc(p->ctx, m, sizeof(double));
    ws.grad = clefi_calloc(p->ctx, m, sizeof(double));
    ws.step = clefi_calloc(p->ctx, m, sizeof(double));
    ws.eta = clefi_calloc(p->ctx, n, sizeof(double));
    ws.hess = clefi_calloc(p->ctx, mm, sizeof(double));
    ws.a = clefi_calloc(p->ctx, na, sizeof(double));
    clef_status rc;
    if (z == NULL || ws.theta == NULL || ws.trial == NULL || ws.grad == NULL || ws.step == NULL ||
        ws.eta == NULL || ws.hess == NULL || ws.a == NULL) {
        rc = clefi_error(p->ctx, &p->err, CLEF_ERR_NOMEM, "cannot allocate the probe workspace");
    } else {
        standardize(p, x, n, z);
        rc = newton(p, z, y, n, &ws);
    }
    clefi_free(p->ctx, z);
    clefi_free(p->ctx, ws.theta);
    clefi_free(p->ctx, ws.trial);
    clefi_free(p->ctx, ws.grad);
    clefi_free(p->ctx, ws.step);
    clefi_free(p->ctx, ws.eta);
    clefi_free(p->ctx, ws.hess);
    clefi_free(p->ctx, ws.a);
    return rc;
}

clef_status clefi_probe_check_x(clef_ctx *ctx, const char *what, const double *x, size_t n,
                                size_t d) {
    if (x == NULL || n == 0)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "%s set is empty or NULL", what);
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(x[i]))
            return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "%s x[%zu][%zu] is not finite", what,
                                   i / d, i % d);
    return CLEF_OK;
}

clef_status clefi_probe_check_y(clef_ctx *ctx, const char *what, const int32_t *y, size_t n) {
    if (y == NULL || n == 0)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "%s labels are empty or NULL", what);
    int seen[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        if (y[i] != 0 && y[i] != 1)
            return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "%s label[%zu] = %d is not 0 or 1",
                                   what, i, (int)y[i]);
        seen[y[i]] = 1;
    }
    if (!seen[0] || !seen[1])
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "%s set has only one class", what);
    return CLEF_OK;
}

static clef_status check_xy(clef_ctx *ctx, const char *what, const double *x, const int32_t *y,
                            size_t n, size_t d) {
    clef_status rc = clefi_probe_check_y(ctx, what, y, n);
    return rc == CLEF_OK ? clefi_probe_check_x(ctx, what, x, n, d) : rc;
}

clef_status clefi_probe_new(clef_probe **out, clef_ctx *ctx, size_t d, double c, size_t n_tasks) {
    *out = NULL;
    size_t n_coef;
    if (n_tasks == 0 || clefi_mul_overflow(n_tasks, d, &n_coef))
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE, "probe of %zu tasks x %zu features", n_tasks,
                               d);
    if (d == 0 || d > PROBE_MAX_DIM)
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE, "probe dimension %zu outside [1, %d]", d,
                               PROBE_MAX_DIM);
    if (!(c > 0.0) || !isfinite(c))
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE, "probe C %g must be positive and finite", c);
    clef_probe *p = clefi_calloc(ctx, 1, sizeof *p);
    if (p == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate a probe");
    p->ctx = clefi_ctx_retain(ctx);
    p->d = d;
    p->n_tasks = n_tasks;
    p->c = c;
    p->mean = clefi_calloc(ctx, d, sizeof *p->mean);
    p->scale = clefi_calloc(ctx, d, sizeof *p->scale);
    p->coef = clefi_calloc(ctx, n_coef, sizeof *p->coef);
    p->intercept = clefi_calloc(ctx, n_tasks, sizeof *p->intercept);
    if (p->mean == NULL || p->scale == NULL || p->coef == NULL || p->intercept == NULL) {
        clef_probe_free(p);
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate a probe of dimension %zu", d);
    }
    *out = p;
    return CLEF_OK;
}

clef_status clef_probe_fit(clef_probe **out, clef_ctx *ctx, const double *x, const int32_t *y,
                           size_t n, size_t d, double c) {
    clefi_reset(ctx);
    if (out == NULL)
        return CLEF_ERR_INVALID_ARG;
    *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = check_xy(ctx, "training", x, y, n, d);
    clef_probe *p = NULL;
    if (rc == CLEF_OK)
        rc = clefi_probe_new(&p, ctx, d, c, 1);
    if (rc == CLEF_OK) {
        rc = clefi_probe_fit(p, x, y, n);
        if (rc != CLEF_OK) {
            clefi_ctx_error(ctx, rc, "%s", p->err.msg);
            clef_probe_free(p);
            return rc;
        }
        *out = p;
    }
    return rc;
}

clef_status clef_probe_fit_select(clef_probe **out, clef_ctx *ctx, const double *x_train,
                                  const int32_t *y_train, size_t n_train, const double *x_val,
                                  const int32_t *y_val, size_t n_val, size_t d,
                                  const double *c_grid, size_t n_c) {
    clefi_reset(ctx);
    if (out == NULL)
        return CLEF_ERR_INVALID_ARG;
    *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (c_grid == NULL || n_c == 0)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "the C grid is empty");
    clef_status rc = check_xy(ctx, "validation", x_val, y_val, n_val, d);
    double *prob = rc == CLEF_OK ? clefi_calloc(ctx, n_val, sizeof *prob) : NULL;
    if (rc == CLEF_OK && prob == NULL)
        rc = clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate validation scores");
    clef_probe *best = NULL;
    double best_auc = -1.0;
    for (size_t k = 0; k < n_c && rc == CLEF_OK; k++) {
        clef_probe *p;
        rc = clef_probe_fit(&p, ctx, x_train, y_train, n_train, d, c_grid[k]);
        double auc = NAN;
        if (rc == CLEF_OK)
            rc = clef_probe_predict(p, x_val, n_val, d, prob);
        if (rc == CLEF_OK)
            rc = clef_auroc(ctx, prob, y_val, n_val, &auc);
        /* strictly better only: among equal validation AUROCs the first C of the grid wins */
        if (rc == CLEF_OK && auc > best_auc) {
            clef_probe_free(best);
            best = p;
            best_auc = auc;
        } else {
            clef_probe_free(p);
        }
    }
    clefi_free(ctx, prob);
    if (rc != CLEF_OK) {
        clef_probe_free(best);
        return rc;
    }
    *out = best;
    return CLEF_OK;
}

clef_status clef_probe_predict(clef_probe *p, const double *x, size_t n, size_t d, double *prob) {
    clefi_reset(p);
    if (p == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (x == NULL || prob == NULL)
        return clefi_error(p->ctx, &p->err, CLEF_ERR_INVALID_ARG, "x or prob is NULL");
    if (d != p->d)
        return clefi_error(p->ctx, &p->err, CLEF_ERR_SHAPE,
                           "x has %zu features, the probe was fitted on %zu", d, p->d);
    if (n == 0)
        return CLEF_OK;
    if (n > INT_MAX)
        return clefi_error(p->ctx, &p->err, CLEF_ERR_RANGE, "%zu rows exceed the BLAS limit %d", n,
                           INT_MAX);
    /* standardize a block of rows, then every task's logits of the block in one GEMM written
     * straight into prob [task][n] */
    size_t rows = (size_t)1 << 16 > d ? ((size_t)1 << 16) / d : 1;
    rows = rows < n ? rows : n;
    double *z = clefi_malloc(p->ctx, rows * d * sizeof *z);
    if (z == NULL)
        return clefi_error(p->ctx, &p->err, CLEF_ERR_NOMEM,
                           "cannot allocate %zu standardized rows of %zu features", rows, d);
    for (size_t i0 = 0; i0 < n; i0 += rows) {
        size_t nb = n - i0 < rows ? n - i0 : rows;
        for (size_t i = 0; i < nb; i++)
            for (size_t j = 0; j < d; j++)
                z[i * d + j] = (x[(i0 + i) * d + j] - p->mean[j]) / p->scale[j];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)p->n_tasks, (int)nb, (int)d, 1.0,
                    p->coef, (int)d, z, (int)d, 0.0, prob + i0, (int)n);
    }
    for (size_t t = 0; t < p->n_tasks; t++)
        for (size_t i = 0; i < n; i++)
            prob[t * n + i] = clefi_sigmoid(prob[t * n + i] + p->intercept[t]);
    clefi_free(p->ctx, z);
    return CLEF_OK;
}

double clef_probe_c(const clef_probe *p) { return p != NULL ? p->c : NAN; }

int64_t clef_probe_n_iter(const clef_probe *p) { return p != NULL ? p->n_iter : 0; }

int64_t clef_probe_n_tasks(const clef_probe *p) { return p != NULL ? (int64_t)p->n_tasks : 0; }

const char *clef_probe_errmsg(const clef_probe *p) { return p != NULL ? p->err.msg : ""; }

void clef_probe_free(clef_probe *p) {
    if (p == NULL)
        return;
    clef_ctx *ctx = p->ctx;
    clefi_free(ctx, p->mean);
    clefi_free(ctx, p->scale);
    clefi_free(ctx, p->coef);
    clefi_free(ctx, p->intercept);
    clefi_free(ctx, p);
    clefi_ctx_release(ctx);
}

clef_status clef_probe_errcode(const clef_probe *p) {
    return p != NULL ? p->err.code : CLEF_ERR_INVALID_ARG;
}
