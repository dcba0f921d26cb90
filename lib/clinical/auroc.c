/* auroc.c — AUROC (Mann-Whitney U with midranks) and percentile bootstrap intervals.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * AUROC = P(score_pos > score_neg) + 0.5 P(score_pos == score_neg), which equals
 * sklearn.metrics.roc_auc_score (trapezoidal ROC area) including ties. Scores are sorted
 * once; an AUROC over multiplicities w is then one pass over tie groups, so a bootstrap
 * resample costs O(n). */
#include "clinical_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* qsort has no context argument: sort (score, index) pairs instead. */
typedef struct scored {
    double s;
    size_t i;
} scored;

static int cmp_scored(const void *a, const void *b) {
    const scored *x = a, *y = b;
    if (x->s < y->s)
        return -1;
    if (x->s > y->s)
        return 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

clef_status clefi_roc_init(clefi_roc *roc, clef_ctx *ctx, clefi_err *err, const double *scores,
                           const int32_t *labels, size_t n) {
    memset(roc, 0, sizeof *roc);
    if (scores == NULL || labels == NULL || n == 0)
        return clefi_error(ctx, err, CLEF_ERR_INVALID_ARG, "AUROC needs n > 0 scores and labels");
    for (size_t i = 0; i < n; i++) {
        if (labels[i] != 0 && labels[i] != 1)
            return clefi_error(ctx, err, CLEF_ERR_INVALID_ARG, "label[%zu] = %d is not 0 or 1", i,
                               (int)labels[i]);
        if (!isfinite(scores[i]))
            return clefi_error(ctx, err, CLEF_ERR_INVALID_ARG, "score[%zu] is not finite", i);
        roc->n_pos += labels[i] == 1;
    }
    roc->n_neg = n - roc->n_pos;
    scored *tmp = clefi_calloc(ctx, n, sizeof *tmp);
    roc->order = clefi_calloc(ctx, n, sizeof *roc->order);
    roc->group_end = clefi_calloc(ctx, n, sizeof *roc->group_end);
    roc->labels = clefi_calloc(ctx, n, sizeof *roc->labels);
    if (tmp == NULL || roc->order == NULL || roc->group_end == NULL || roc->labels == NULL) {
        clefi_free(ctx, tmp);
        clefi_roc_free(roc, ctx);
        return clefi_error(ctx, err, CLEF_ERR_NOMEM, "cannot allocate AUROC buffers for n=%zu", n);
    }
    for (size_t i = 0; i < n; i++)
        tmp[i] = (scored){scores[i], i};
    qsort(tmp, n, sizeof *tmp, cmp_scored);
    for (size_t i = 0; i < n; i++)
        roc->order[i] = tmp[i].i;
    for (size_t i = n; i-- > 0;)
        roc->group_end[i] = (i + 1 < n && tmp[i + 1].s == tmp[i].s) ? roc->group_end[i + 1] : i + 1;
    memcpy(roc->labels, labels, n * sizeof *labels);
    roc->n = n;
    clefi_free(ctx, tmp);
    return CLEF_OK;
}

void clefi_roc_free(clefi_roc *roc, clef_ctx *ctx) {
    clefi_free(ctx, roc->order);
    clefi_free(ctx, roc->group_end);
    clefi_free(ctx, roc->labels);
    memset(roc, 0, sizeof *roc);
}

double clefi_roc_auc(const clefi_roc *roc, const uint32_t *w) {
    /* U = sum over positives of (negatives below) + 0.5 (negatives tied), by tie group. */
    double neg_below = 0.0, u = 0.0, tot_pos = 0.0;
    for (size_t g = 0; g < roc->n;) {
        size_t end = roc->group_end[g];
        double wp = 0.0, wn = 0.0;
        for (size_t k = g; k < end; k++) {
            size_t i = roc->order[k];
            double wi = w != NULL ? (double)w[i] : 1.0;
            if (roc->labels[i])
                wp += wi;
            else
                wn += wi;
        }
        u += wp * (neg_below + 0.5 * wn);
        neg_below += wn;
        tot_pos += wp;
        g = end;
    }
    if (tot_pos == 0.0 || neg_below == 0.0)
        return NAN;
    return u / (tot_pos * neg_below);
}

int clefi_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double clefi_percentile_sorted(const double *v, size_t n, double q) {
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    double frac = pos - (double)lo;
    return v[lo] + (v[hi] - v[lo]) * frac;
}

clef_status clefi_roc_bootstrap(const clefi_roc *roc, clef_ctx *ctx, clefi_err *err, int64_t n_boot,
                                uint64_t seed, double level, double *lo, double *hi) {
    *lo = *hi = NAN;
    if (n_boot < 2 || n_boot > 1000000)
        return clefi_error(ctx, err, CLEF_ERR_RANGE, "n_boot %lld outside [2, 1000000]",
                           (long long)n_boot);
    if (!(level > 0.0 && level < 1.0))
        return clefi_error(ctx, err, CLEF_ERR_RANGE, "CI level %g outside (0, 1)", level);
    if (roc->n_pos == 0 || roc->n_neg == 0)
        return clefi_error(ctx, err, CLEF_ERR_INVALID_ARG,
                           "bootstrap needs both classes (%zu positive, %zu negative)", roc->n_pos,
                           roc->n_neg);
    uint32_t *w = clefi_calloc(ctx, roc->n, sizeof *w);
    double *aucs = clefi_calloc(ctx, (size_t)n_boot, sizeof *aucs);
    if (w == NULL || aucs == NULL) {
        clefi_free(ctx, w);
        clefi_free(ctx, aucs);
        return clefi_error(ctx, err, CLEF_ERR_NOMEM, "cannot allocate bootstrap buffers");
    }
    uint64_t state = seed;
    for (int64_t b = 0; b < n_boot; b++) {
        double a;
        do { /* a resample without both classes has no AUROC: draw again */
            memset(w, 0, roc->n * sizeof *w);
            for (size_t k = 0; k < roc->n; k++)
                w[clefi_rand_below(&state, roc->n)]++;
            a = clefi_roc_auc(roc, w);
        } while (isnan(a));
        aucs[b] = a;
    }
    qsort(aucs, (size_t)n_boot, sizeof *aucs, clefi_cmp_double);
    double alpha = 1.0 - level;
    *lo = clefi_percentile_sorted(aucs, (size_t)n_boot, alpha / 2.0);
    *hi = clefi_percentile_sorted(aucs, (size_t)n_boot, 1.0 - alpha / 2.0);
    clefi_free(ctx, w);
    clefi_free(ctx, aucs);
    return CLEF_OK;
}

clef_status clef_auroc(clef_ctx *ctx, const double *scores, const int32_t *labels, size_t n,
                       double *out) {
    clefi_reset(ctx);
    if (out != NULL)
        *out = NAN;
    if (ctx == NULL || out == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_roc roc;
    clef_status rc = clefi_roc_init(&roc, ctx, &ctx->err, scores, labels, n);
    if (rc != CLEF_OK)
        return rc;
    if (roc.n_pos == 0 || roc.n_neg == 0)
        rc = clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                             "AUROC needs both classes (%zu positive, %zu negative)", roc.n_pos,
                             roc.n_neg);
    else
        *out = clefi_roc_auc(&roc, NULL);
    clefi_roc_free(&roc, ctx);
    return rc;
}

clef_status clef_auroc_ci(clef_ctx *ctx, const double *scores, const int32_t *labels, size_t n,
                          int64_t n_boot, uint64_t seed, double level, double *lo, double *hi) {
    clefi_reset(ctx);
    if (lo != NULL)
        *lo = NAN;
    if (hi != NULL)
        *hi = NAN;
    if (ctx == NULL || lo == NULL || hi == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_roc roc;
    clef_status rc = clefi_roc_init(&roc, ctx, &ctx->err, scores, labels, n);
    if (rc != CLEF_OK)
        return rc;
    rc = clefi_roc_bootstrap(&roc, ctx, &ctx->err, n_boot, seed, level, lo, hi);
    clefi_roc_free(&roc, ctx);
    return rc;
}
