/* probe_many.c — one probe for many label sets on shared features (clef_probe_fit_many).
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * The objective and standardization of probe.c, fitted for all tasks at once. A Hessian per
 * task and Newton step (C Z'DZ: 2 n d^2 flops) would cost more than all the rest, so:
 *  - x is standardized once and rotated into the eigenbasis of Z'Z = V diag(lam) V': A = Z V
 *    has orthogonal columns, and (Z being centred) they are orthogonal to the intercept;
 *  - each task runs inexact Newton: H s = -g, H = C [A 1]'D[A 1] + diag(1, 0), is solved by
 *    conjugate gradients preconditioned with H at D = mean(D) I, which is diagonal there:
 *    C mean(D) lam_j + 1 (C mean(D) n for the intercept);
 *  - the tasks in flight advance in lockstep rounds, so that their products A v and A'r, the
 *    cost that matters (2 n d flops each), are two GEMMs per round; a finished task's slot
 *    takes the next task, keeping the GEMMs wide until the last tasks;
 *  - the CG products, and the gradients while far from the optimum, run in float32 (half the
 *    cost); once a Newton step moves no logit by more than NEAR, the logits are recomputed from
 *    the coefficients and every later gradient is double, so float only steers the search;
 *  - Armijo backtracking on the exact objective (as probe.c), skipped for steps below NEAR
 *    where rounding of the objective hides the decrease; a task stops after a Newton step that
 *    leaves an error below STEP_TOL in every logit: step size x (CG residual, float floor, step
 *    size), the inexact-Newton and quadratic terms.
 * A task unconverged after MAX_PRODUCTS products is refitted by probe.c's exact Newton. */
#include "clinical_int.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_SLOTS    256   /* tasks in flight: GEMM width */
#define MAX_CG       1024  /* CG iterations per Newton step */
#define MAX_PRODUCTS 4000  /* products per task before the exact fallback */
#define STEP_TOL     1e-10 /* logit error after the last Newton step */
#define NEAR         1e-3  /* logit change from which gradients are double */
#define FLOAT_FLOOR  1e-5  /* relative accuracy of a step steered by float products */
#define DOUBLE_BATCH 48    /* double products wait for this many rows: A is packed per call */

typedef enum { SLOT_FREE, SLOT_GRAD, SLOT_CG } slot_state;

typedef struct slot {
    slot_state state;
    size_t task;
    const int32_t *y;
    double *theta, *g, *x, *r, *z, *p, *minv; /* [m]: u (rotated coef) and b; CG vectors */
    double *eta, *trial, *sig, *sig_trial;    /* [n]: logits and sigmoid, current and trial */
    double *qacc;                             /* [n]: [A 1] x, the Newton step in logits */
    float *cd;                                /* [n]: C D, the Hessian's sample weights */
    double f, rz, cg_tol, g0, gn, wsum;
    int newton, cg_it, products;
    int exact;     /* 0: logits accumulated from float steps; 1: recompute pending; 2: exact */
    int idle;      /* skips this round (a double row waiting for a batch) */
    int dbl;       /* this round's rows are double */
    size_t k1, k2; /* rows in this round's GEMM buffers (float or double ones) */
} slot;

typedef struct many_ws {
    size_t n, d, m, n_slots;
    double c;
    double *a, *v, *lam; /* rotated features [n][d], eigenvectors [d][d], eigenvalues */
    /* phase 1: [slots][d] -> [slots][n] = A v; phase 2: [slots][n] -> [slots][d] = A'r; in
     * float32 (fp, fq, fr, fs, on af) and double (pbuf, qbuf, rbuf, sbuf, on a); sbuf has
     * 2 x slots rows: the float results are copied to the first half */
    double *pbuf, *qbuf, *rbuf, *sbuf;
    float *af, *fp, *fq, *fr, *fs;
    double *slot_mem;
    float *slot_fmem;
    slot slots[MAX_SLOTS];
} many_ws;

static double dot(const double *a, const double *b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* The per-sample loops, vectorized (CLEFI_SIMD_CLONES). Sum in 8 lanes. */
CLEFI_SIMD_CLONES static double sum8(const double *a, size_t n) {
    double lane[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t l = 0; l < 8; l++)
            lane[l] += a[i + l];
    double s = 0.0;
    for (; i < n; i++)
        s += a[i];
    for (size_t l = 0; l < 8; l++)
        s += lane[l];
    return s;
}

/* out = a + t b */
CLEFI_SIMD_CLONES static void add_scaled(double *restrict out, const double *restrict a, double t,
                                         const double *restrict b, size_t n) {
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] + t * b[i];
}

/* q += qb; out = cd q, the weights of A'(.) in H p; returns their sum */
CLEFI_SIMD_CLONES static double hess_weights(float *restrict out, float *restrict q, float qb,
                                             const float *restrict cd, size_t n) {
    double lane[8] = {0}, s = 0.0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t l = 0; l < 8; l++) {
            q[i + l] += qb;
            out[i + l] = cd[i + l] * q[i + l];
            lane[l] += out[i + l];
        }
    for (; i < n; i++) {
        q[i] += qb;
        out[i] = cd[i] * q[i];
        s += out[i];
    }
    for (size_t l = 0; l < 8; l++)
        s += lane[l];
    return s;
}

/* out += t b */
CLEFI_SIMD_CLONES static void add_scaled_f32(double *restrict out, double t,
                                             const float *restrict b, size_t n) {
    for (size_t i = 0; i < n; i++)
        out[i] += t * b[i];
}

/* out = C (sigmoid - y), the gradient's weights */
CLEFI_SIMD_CLONES static void grad_weights(double *restrict out, double c,
                                           const double *restrict sig, const int32_t *y, size_t n) {
    for (size_t i = 0; i < n; i++)
        out[i] = c * (sig[i] - (y[i] ? 1.0 : 0.0));
}

/* out = C sigmoid (1 - sigmoid), the Hessian's; returns their sum */
CLEFI_SIMD_CLONES static double curv_weights(float *restrict out, double c,
                                             const double *restrict sig, size_t n) {
    double lane[8] = {0}, s = 0.0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t l = 0; l < 8; l++) {
            double v = c * sig[i + l] * (1.0 - sig[i + l]);
            out[i + l] = (float)v;
            lane[l] += v;
        }
    for (; i < n; i++) {
        double v = c * sig[i] * (1.0 - sig[i]);
        out[i] = (float)v;
        s += v;
    }
    for (size_t l = 0; l < 8; l++)
        s += lane[l];
    return s;
}

CLEFI_SIMD_CLONES static void to_f32(float *restrict out, const double *restrict in, size_t n) {
    for (size_t i = 0; i < n; i++)
        out[i] = (float)in[i];
}

CLEFI_SIMD_CLONES static void to_f64(double *restrict out, const float *restrict in, size_t n) {
    for (size_t i = 0; i < n; i++)
        out[i] = in[i];
}

/* z [n][d] standardized by p, then lam, v from Z'Z and a = Z V. z is freed here. */
static clef_status rotate(clef_probe *p, const double *x, many_ws *w, clefi_err *err) {
    size_t n = w->n, d = w->d;
    double *z = clefi_malloc(p->ctx, n * d * sizeof *z);
    if (z == NULL)
        return clefi_error(p->ctx, err, CLEF_ERR_NOMEM, "cannot allocate %zu x %zu features", n, d);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            z[i * d + j] = (x[i * d + j] - p->mean[j]) / p->scale[j];
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)n, 1.0, z, (int)d, 0.0, w->v,
                (int)d);
    lapack_int info =
        LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)d, w->v, (lapack_int)d, w->lam);
    if (info == 0) {
        for (size_t j = 0; j < d; j++)
            w->lam[j] = fmax(w->lam[j], 0.0); /* rounding of a singular Z'Z */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)d, (int)d, 1.0, z,
                    (int)d, w->v, (int)d, 0.0, w->a, (int)d);
        for (size_t i = 0; i < n * d; i++)
            w->af[i] = (float)w->a[i];
    }
    clefi_free(p->ctx, z);
    if (info != 0)
        return clefi_error(
            p->ctx, err, CLEF_ERR_INTERNAL,
            "eigendecomposition of the %zu x %zu Gram matrix failed (LAPACK info %d)", d, d,
            (int)info);
    return CLEF_OK;
}

/* sigmoid(e) into s, and C * sum(log loss) at logits e unless y is NULL (then 0). The
 * log1p(exp(-|t|)) terms are summed as logs of products of 256 factors in (1, 2], one log
 * per 256 samples: within ~1e-12 of the sum, ample for the Armijo test, its only use. */
static double loss_sig(double c, const double *e, const int32_t *y, size_t n, double *s) {
    double loss = 0.0, prod = 1.0;
    for (size_t i = 0; i < n; i++) {
        double t = e[i], q = exp(-fabs(t));
        s[i] = t >= 0 ? 1.0 / (1.0 + q) : q / (1.0 + q);
        if (y == NULL)
            continue;
        loss += (t > 0 ? t : 0.0) - (y[i] ? t : 0.0);
        prod *= 1.0 + q;
        if (i % 256 == 255)
            loss += log(prod), prod = 1.0;
    }
    return y != NULL ? c * (loss + log(prod)) : 0.0;
}

/* Start task t in slot s: w = 0 and the intercept at its optimum for w = 0 (the log odds). */
static void slot_load(many_ws *w, slot *s, size_t t, const int32_t *y) {
    size_t n = w->n, n1 = 0;
    for (size_t i = 0; i < n; i++)
        n1 += y[i] != 0;
    double b = log((double)n1 / (double)(n - n1));
    memset(s->theta, 0, w->m * sizeof *s->theta);
    s->theta[w->d] = b;
    for (size_t i = 0; i < n; i++)
        s->eta[i] = b;
    s->f = loss_sig(w->c, s->eta, y, n, s->sig);
    s->state = SLOT_GRAD;
    s->task = t;
    s->y = y;
    s->newton = s->products = s->exact = 0;
    s->g0 = -1.0;
}

/* Gradient known: set up the preconditioned CG solve of H x = -g (x = 0). */
static void cg_start(many_ws *w, slot *s) {
    size_t n = w->n, d = w->d, m = w->m;
    double dm = curv_weights(s->cd, w->c, s->sig, n) / (w->c * (double)n);
    for (size_t j = 0; j < d; j++)
        s->minv[j] = 1.0 / (w->c * dm * w->lam[j] + 1.0);
    s->minv[d] = w->c * dm * (double)n > 0.0 ? 1.0 / (w->c * dm * (double)n) : 1.0;
    double gn = sqrt(dot(s->g, s->g, m));
    if (s->g0 < 0.0)
        s->g0 = gn;
    /* forcing term: loose far away, superlinear ((|g| / |g0|)^0.75) near the optimum; the
     * fewest products on the benchmark of bench/clinical among exponents 0.5 .. 1.5 */
    s->gn = gn;
    s->cg_tol = fmin(0.3, pow(gn / s->g0, 0.75)) * gn;
    memset(s->x, 0, m * sizeof *s->x);
    memset(s->qacc, 0, n * sizeof *s->qacc);
    for (size_t j = 0; j < m; j++) {
        s->r[j] = -s->g[j];
        s->p[j] = s->z[j] = s->minv[j] * s->r[j];
    }
    s->rz = dot(s->r, s->z, m);
    s->cg_it = 0;
    s->state = SLOT_CG;
}

/* Armijo backtracking along x; returns 1 when the task is done. */
static int line_search(many_ws *w, slot *s) {
    size_t n = w->n, d = w->d, m = w->m;
    double gdot = dot(s->g, s->x, m), uu = dot(s->theta, s->theta, d);
    double ux = dot(s->theta, s->x, d), xx = dot(s->x, s->x, d), qmax = 0.0;
    double rel = sqrt(dot(s->r, s->r, m)) / s->gn;
    for (size_t i = 0; i < n; i++)
        qmax = fmax(qmax, fabs(s->qacc[i]));
    if (!(gdot < 0.0))
        return 1; /* no descent left at the precision floor */
    double t = 1.0;
    for (int ls = 0; ls < 60; ls++, t *= 0.5) {
        add_scaled(s->trial, s->eta, t, s->qacc, n);
        /* below NEAR the step is taken whole and the objective is not needed again */
        double f = loss_sig(w->c, s->trial, qmax <= NEAR ? NULL : s->y, n, s->sig_trial) +
                   0.5 * (uu + 2.0 * t * ux + t * t * xx);
        if (qmax <= NEAR || f <= s->f + 1e-4 * t * gdot) {
            double *e = s->eta, *g = s->sig;
            s->eta = s->trial, s->trial = e;
            s->sig = s->sig_trial, s->sig_trial = g;
            for (size_t j = 0; j < m; j++)
                s->theta[j] += t * s->x[j];
            s->f = f;
            s->newton++;
            /* the gradient of this step was double: done if the error left is below tol */
            if (s->exact == 2 && t == 1.0 && qmax * fmax(fmax(rel, FLOAT_FLOOR), qmax) <= STEP_TOL)
                return 1;
            if (s->exact == 0 && t * qmax <= NEAR)
                s->exact = 1;
            return 0;
        }
    }
    return 1;
}

/* After phase 2: one CG iteration; returns 1 when the task is done. */
static int cg_step(many_ws *w, slot *s, const float *q, const double *hs) {
    size_t n = w->n, d = w->d, m = w->m;
    double *hp = s->z; /* z is recomputed below, so it holds H p meanwhile */
    for (size_t j = 0; j < d; j++)
        hp[j] = hs[j] + s->p[j];
    hp[d] = s->wsum;
    double php = dot(s->p, hp, m);
    int stop = !(php > 0.0);
    if (!stop) {
        double alpha = s->rz / php;
        for (size_t j = 0; j < m; j++) {
            s->x[j] += alpha * s->p[j];
            s->r[j] -= alpha * hp[j];
        }
        add_scaled_f32(s->qacc, alpha, q, n);
        s->cg_it++;
        stop = sqrt(dot(s->r, s->r, m)) <= s->cg_tol || s->cg_it >= MAX_CG;
    }
    if (stop) {
        s->state = SLOT_GRAD;
        return line_search(w, s);
    }
    for (size_t j = 0; j < m; j++)
        s->z[j] = s->minv[j] * s->r[j];
    double rz = dot(s->r, s->z, m), beta = rz / s->rz;
    s->rz = rz;
    for (size_t j = 0; j < m; j++)
        s->p[j] = s->z[j] + beta * s->p[j];
    return 0;
}

/* Task done: coef = V u in standardized units; an unconverged task is refitted exactly. */
static clef_status slot_finish(many_ws *w, slot *s, clef_probe *p, const double *x) {
    size_t d = w->d, t = s->task;
    if (s->products >= MAX_PRODUCTS) {
        clef_probe *one;
        clef_status rc = clefi_probe_new(&one, p->ctx, d, p->c, 1);
        if (rc == CLEF_OK)
            rc = clefi_probe_fit(one, x, s->y, w->n);
        if (rc == CLEF_OK) {
            memcpy(p->coef + t * d, one->coef, d * sizeof *p->coef);
            p->intercept[t] = one->intercept[0];
            p->n_iter = one->n_iter > p->n_iter ? one->n_iter : p->n_iter;
        } else if (one != NULL) {
            clefi_error(p->ctx, &p->err, rc, "%s", one->err.msg);
        }
        clef_probe_free(one);
        return rc;
    }
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)d, (int)d, 1.0, w->v, (int)d, s->theta, 1, 0.0,
                p->coef + t * d, 1);
    p->intercept[t] = s->theta[d];
    p->n_iter = s->newton > p->n_iter ? s->newton : p->n_iter;
    return CLEF_OK;
}

/* k rows through A: fwd, q[k][n] = p[k][d] A'; else s[k][d] = r[k][n] A; float32 or double */
static void product(many_ws *w, int fwd, int single, size_t k) {
    int n = (int)w->n, d = (int)w->d;
    if (k == 0)
        return;
    enum CBLAS_TRANSPOSE tr = fwd ? CblasTrans : CblasNoTrans;
    int cols = fwd ? n : d, inner = fwd ? d : n;
    if (single)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, tr, (int)k, cols, inner, 1.0f, fwd ? w->fp : w->fr,
                    inner, w->af, d, 0.0f, fwd ? w->fq : w->fs, cols);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, tr, (int)k, cols, inner, 1.0,
                    fwd ? w->pbuf : w->rbuf, inner, w->a, d, 0.0,
                    fwd ? w->qbuf : w->sbuf + w->n_slots * w->d, cols);
}

/* Phase 1 rows: CG directions (float), coefficients whose logits are recomputed (double). */
static void pack_fwd(many_ws *w, size_t *kf, size_t *kd) {
    size_t d = w->d;
    *kf = *kd = 0;
    for (size_t j = 0; j < w->n_slots; j++) {
        slot *s = &w->slots[j];
        if (s->idle)
            continue;
        if (s->state == SLOT_CG) {
            to_f32(w->fp + *kf * d, s->p, d);
            s->k1 = (*kf)++;
        } else if (s->state == SLOT_GRAD && s->exact == 1) {
            memcpy(w->pbuf + *kd * d, s->theta, d * sizeof *s->theta);
            s->k1 = (*kd)++;
        }
    }
}

/* After phase 1: the slot's row of phase 2, C D q (CG) or C (sigmoid - y) (gradient: float
 * far from the optimum, double near it). */
static void fill_bwd(many_ws *w, slot *s, size_t *kf, size_t *kd) {
    size_t n = w->n, d = w->d;
    if (s->state == SLOT_CG) {
        s->wsum = hess_weights(w->fr + *kf * n, w->fq + s->k1 * n, (float)s->p[d], s->cd, n);
        s->dbl = 0;
        s->k2 = (*kf)++;
        s->products += 2;
        return;
    }
    if (s->exact == 1) { /* logits from the coefficients, in double */
        const double *q = w->qbuf + s->k1 * n;
        for (size_t i = 0; i < n; i++)
            s->eta[i] = q[i] + s->theta[d];
        s->f = loss_sig(w->c, s->eta, s->y, n, s->sig) + 0.5 * dot(s->theta, s->theta, d);
        s->exact = 2;
        s->products++;
    }
    s->dbl = s->exact == 2;
    double *rr = s->dbl ? w->rbuf + *kd * n : s->trial; /* trial is free until the line search */
    grad_weights(rr, w->c, s->sig, s->y, n);
    s->wsum = sum8(rr, n);
    if (!s->dbl)
        to_f32(w->fr + *kf * n, rr, n);
    s->k2 = s->dbl ? (*kd)++ : (*kf)++;
    s->products++;
}

/* The lockstep rounds over all tasks. */
static clef_status run_tasks(many_ws *w, clef_probe *p, const double *x, const int32_t *y) {
    size_t n = w->n, d = w->d, next = 0, n_tasks = p->n_tasks;
    for (size_t k = 0; k < w->n_slots; k++)
        slot_load(w, &w->slots[k], next, y + next * n), next++;
    for (;;) {
        size_t k1f, k1d, k2f = 0, k2d = 0, n_active = 0, n_double = 0;
        for (size_t k = 0; k < w->n_slots; k++) {
            slot *s = &w->slots[k];
            n_active += s->state != SLOT_FREE;
            n_double += s->state == SLOT_GRAD && s->exact > 0;
        }
        for (size_t k = 0; k < w->n_slots; k++) {
            slot *s = &w->slots[k];
            s->idle = s->state == SLOT_GRAD && s->exact > 0 && n_double < DOUBLE_BATCH &&
                      n_double < n_active;
        }
        pack_fwd(w, &k1f, &k1d);
        product(w, 1, 1, k1f);
        product(w, 1, 0, k1d);
        for (size_t k = 0; k < w->n_slots; k++)
            if (w->slots[k].state != SLOT_FREE && !w->slots[k].idle)
                fill_bwd(w, &w->slots[k], &k2f, &k2d);
        if (k2f + k2d == 0)
            return CLEF_OK;
        product(w, 0, 1, k2f);
        product(w, 0, 0, k2d);
        to_f64(w->sbuf, w->fs, k2f * d);
        for (size_t k = 0; k < w->n_slots; k++) {
            slot *s = &w->slots[k];
            const double *hs = w->sbuf + (s->dbl ? w->n_slots + s->k2 : s->k2) * d;
            int done;
            if (s->state == SLOT_FREE || s->idle)
                continue;
            if (s->state == SLOT_CG) {
                done = cg_step(w, s, w->fq + s->k1 * n, hs);
            } else {
                for (size_t j = 0; j < d; j++)
                    s->g[j] = hs[j] + s->theta[j];
                s->g[d] = s->wsum;
                done = dot(s->g, s->g, w->m) == 0.0;
                if (!done)
                    cg_start(w, s);
            }
            done = done || s->products >= MAX_PRODUCTS;
            if (done) {
                clef_status rc = slot_finish(w, s, p, x);
                if (rc != CLEF_OK)
                    return rc;
                s->state = SLOT_FREE;
                if (next < n_tasks)
                    slot_load(w, s, next, y + next * n), next++;
            }
        }
    }
}

static clef_status ws_alloc(many_ws *w, clef_ctx *ctx) {
    size_t n = w->n, d = w->d, m = w->m, k = w->n_slots, per = 7 * m + 5 * n, total;
    if (clefi_mul_overflow(per, k, &total))
        return CLEF_ERR_OVERFLOW;
    struct {
        void **p;
        size_t bytes;
    } bufs[] = {{(void **)&w->a, n * d * 8},        {(void **)&w->v, d * d * 8},
                {(void **)&w->lam, d * 8},          {(void **)&w->pbuf, k * d * 8},
                {(void **)&w->qbuf, k * n * 8},     {(void **)&w->rbuf, k * n * 8},
                {(void **)&w->sbuf, 2 * k * d * 8}, {(void **)&w->slot_mem, total * 8},
                {(void **)&w->af, n * d * 4},       {(void **)&w->fp, k * d * 4},
                {(void **)&w->fq, k * n * 4},       {(void **)&w->fr, k * n * 4},
                {(void **)&w->fs, k * d * 4},       {(void **)&w->slot_fmem, k * n * 4}};
    for (size_t j = 0; j < sizeof bufs / sizeof *bufs; j++)
        if ((*bufs[j].p = clefi_malloc(ctx, bufs[j].bytes)) == NULL)
            return CLEF_ERR_NOMEM;
    double *mem = w->slot_mem;
    for (size_t j = 0; j < k; j++) {
        slot *s = &w->slots[j];
        double **mv[] = {&s->theta, &s->g, &s->x, &s->r, &s->z, &s->p, &s->minv};
        double **nv[] = {&s->eta, &s->trial, &s->sig, &s->sig_trial, &s->qacc};
        for (size_t i = 0; i < sizeof mv / sizeof *mv; i++, mem += m)
            *mv[i] = mem;
        for (size_t i = 0; i < sizeof nv / sizeof *nv; i++, mem += n)
            *nv[i] = mem;
        s->cd = w->slot_fmem + j * n;
        s->state = SLOT_FREE;
    }
    return CLEF_OK;
}

static void ws_free(many_ws *w, clef_ctx *ctx) {
    void *bufs[] = {w->a,        w->v,  w->lam, w->pbuf, w->qbuf, w->rbuf, w->sbuf,
                    w->slot_mem, w->af, w->fp,  w->fq,   w->fr,   w->fs,   w->slot_fmem};
    for (size_t k = 0; k < sizeof bufs / sizeof *bufs; k++)
        clefi_free(ctx, bufs[k]);
}

clef_status clef_probe_fit_many(clef_probe **out, clef_ctx *ctx, const double *x, const int32_t *y,
                                size_t n, size_t d, size_t n_tasks, double c) {
    clefi_reset(ctx);
    if (out == NULL)
        return CLEF_ERR_INVALID_ARG;
    *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (n_tasks == 0)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "no tasks to fit");
    if (n > INT_MAX / 2)
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE, "%zu training rows exceed the BLAS limit", n);
    clef_status rc = clefi_probe_check_x(ctx, "training", x, n, d);
    for (size_t t = 0; t < n_tasks && rc == CLEF_OK; t++) {
        char what[64];
        snprintf(what, sizeof what, "task %zu training", t);
        rc = clefi_probe_check_y(ctx, what, y + t * n, n);
    }
    clef_probe *p = NULL;
    if (rc == CLEF_OK)
        rc = clefi_probe_new(&p, ctx, d, c, n_tasks);
    if (rc != CLEF_OK)
        return rc;
    clefi_probe_fit_scaler(p, x, n);
    many_ws w = {.n = n, .d = d, .m = d + 1, .c = c};
    w.n_slots = n_tasks < MAX_SLOTS ? n_tasks : MAX_SLOTS;
    rc = ws_alloc(&w, ctx);
    if (rc != CLEF_OK)
        clefi_error(ctx, &p->err, rc, "cannot allocate the workspace of %zu tasks x %zu x %zu",
                    n_tasks, n, d);
    if (rc == CLEF_OK)
        rc = rotate(p, x, &w, &p->err);
    if (rc == CLEF_OK)
        rc = run_tasks(&w, p, x, y);
    ws_free(&w, ctx);
    if (rc != CLEF_OK) {
        clefi_ctx_error(ctx, rc, "%s", p->err.msg);
        clef_probe_free(p);
        return rc;
    }
    *out = p;
    return CLEF_OK;
}
