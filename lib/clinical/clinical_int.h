/*
 * clinical_int.h — libclef internal module 'clinical': clinical alignment and evaluation: text and
 * EHR towers, InfoNCE, zero-shot scoring, logistic-regression probes, AUROC with bootstrap
 * confidence intervals. SPDX-License-Identifier: BSD-3-Clause
 *
 * Private to the module (docs/ARCHITECTURE.md section 2): other modules use it through its
 * public API in include/clef.h only; tests/arch fails the build's tests when one includes this.
 */
#ifndef CLEF_CLINICAL_INT_H
#define CLEF_CLINICAL_INT_H

#include "core_int.h"

#include <math.h>

/* ---- AUROC (auroc.c) ---- */

/** Scores sorted once, so that bootstrap resamples cost O(n) each. */
typedef struct clefi_roc {
    size_t n;
    size_t *order;     /* indices sorted by ascending score */
    size_t *group_end; /* for each sorted position, end of its tie group */
    int32_t *labels;   /* copy of labels (0/1) */
    size_t n_pos, n_neg;
} clefi_roc;

/** Validate labels (0/1), scores (finite) and sort; CLEF_ERR_INVALID_ARG on bad input. */
CLEFI_HIDDEN clef_status clefi_roc_init(clefi_roc *roc, clef_ctx *ctx, clefi_err *err,
                                        const double *scores, const int32_t *labels, size_t n);
CLEFI_HIDDEN void clefi_roc_free(clefi_roc *roc, clef_ctx *ctx);
/** AUROC with sample multiplicities w[i] (NULL: all 1): Mann-Whitney U with midranks (ties
 *  count one half). NaN when one class has zero weight. */
CLEFI_HIDDEN double clefi_roc_auc(const clefi_roc *roc, const uint32_t *w);
/** Percentile bootstrap interval of the AUROC: n_boot resamples with replacement (a
 *  resample missing a class is redrawn), seeded; [lo, hi] at the given level. */
CLEFI_HIDDEN clef_status clefi_roc_bootstrap(const clefi_roc *roc, clef_ctx *ctx, clefi_err *err,
                                             int64_t n_boot, uint64_t seed, double level,
                                             double *lo, double *hi);

/** numpy.percentile's default ("linear") interpolation at q in [0, 1] of n sorted values. */
CLEFI_HIDDEN double clefi_percentile_sorted(const double *v, size_t n, double q);
/** qsort comparator of doubles, ascending. */
CLEFI_HIDDEN int clefi_cmp_double(const void *a, const void *b);

/* ---- evaluation harness (eval.c, eval_compare.c) ---- */
typedef struct clefi_eval_task {
    char *name;
    int32_t status; /* CLEF_OK, or why the task was skipped */
    int64_t n[3];   /* train, val, test */
    double auroc, lo, hi, c;
    double smd_age, smd_sex; /* the task design's balance (store runs), NaN if unknown */
    double *prob;            /* [n[2]] test probabilities of the chosen probe (status CLEF_OK) */
    int32_t *y;              /* [n[2]] their labels */
} clefi_eval_task;

struct clef_eval {
    clef_ctx *ctx;
    clefi_err err;
    double *c_grid;
    size_t n_c;
    int32_t n_boot;
    uint64_t seed;
    double level;
    clefi_eval_task *tasks;
    size_t n_tasks, cap_tasks;
};

/* ---- logistic-regression probe (probe.c) ---- */
struct clef_probe {
    clef_ctx *ctx;
    clefi_err err;
    size_t d, n_tasks; /* n_tasks label sets fitted on the same x (1 for clef_probe_fit) */
    double c;
    double *mean, *scale; /* standardization fitted on the training set */
    double *coef;         /* [n_tasks][d] in standardized units */
    double *intercept;    /* [n_tasks] */
    int32_t n_iter;       /* the most Newton iterations of any task */
};

static inline double clefi_log1pexp(double t) { return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t)); }
static inline double clefi_sigmoid(double t) {
    if (t >= 0)
        return 1.0 / (1.0 + exp(-t));
    double e = exp(t);
    return e / (1.0 + e);
}
/** A probe of dimension d, regularization c and n_tasks outputs, unfitted; errors on ctx. */
CLEFI_HIDDEN clef_status clefi_probe_new(clef_probe **out, clef_ctx *ctx, size_t d, double c,
                                         size_t n_tasks);
/** x [n][d] non-empty and finite; labels 0/1 with both classes; errors on ctx name `what`. */
CLEFI_HIDDEN clef_status clefi_probe_check_x(clef_ctx *ctx, const char *what, const double *x,
                                             size_t n, size_t d);
CLEFI_HIDDEN clef_status clefi_probe_check_y(clef_ctx *ctx, const char *what, const int32_t *y,
                                             size_t n);
/** p's mean and scale from x [n][p->d] (population std; a constant feature keeps scale 1). */
CLEFI_HIDDEN void clefi_probe_fit_scaler(clef_probe *p, const double *x, size_t n);
/** Fit in place on standardized data; p's mean/scale are set from x. */
CLEFI_HIDDEN clef_status clefi_probe_fit(clef_probe *p, const double *x, const int32_t *y,
                                         size_t n);

/* ---- band-power baseline (bandpower.c) ---- */
/** Bands of the baseline embedding, Hz, [lo, hi): delta, theta, alpha, beta. */
#define CLEFI_N_BANDS 4

#endif /* CLEF_CLINICAL_INT_H */
