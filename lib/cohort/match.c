/* match.c — matched negatives of one task: each positive session gets one negative of the same
 * sex with the nearest age, within MATCH_CALIPER_YEARS, taken without replacement; positives
 * are served in a seeded random order (CRNG_MATCH), ties go to the candidate earlier in a
 * seeded order. A positive with no candidate within the caliper is left out of the task (-1),
 * like every unmatched negative, so the task's positives and negatives have the same sex mix
 * and close ages. Where the greedy pairs still leave a standardized mean difference of age of
 * MATCH_SMD_MAX or more (small tasks of a narrow age range), the pairs that pull the means apart
 * most are dropped until it is below (the evaluation's balance bound is 0.1; docs/evaluation.md).
 * Nearest free candidates are found with two union-find "next free" maps over the candidates
 * of each sex sorted by age: O(n log n) per task. SPDX-License-Identifier: BSD-3-Clause */
#include "cohort_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MATCH_CALIPER_YEARS 5.0
#define MATCH_SMD_MAX       0.09 /* below the 0.1 bound: the manifest rounds ages */

typedef struct cand {
    double age;
    int64_t rank; /* position in the seeded order: the tie-break */
    int64_t id;   /* session */
} cand;

static int cand_cmp(const void *a, const void *b) {
    const cand *x = a, *y = b;
    if (x->age != y->age)
        return x->age < y->age ? -1 : 1;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/* Union-find with path halving: up[i] == i means i is free (or the sentinel). */
static int64_t find(int64_t *up, int64_t i) {
    while (up[i] != i) {
        up[i] = up[up[i]];
        i = up[i];
    }
    return i;
}

/* Index of the first candidate with age >= a in c[0, n). */
static int64_t lower_bound(const cand *c, int64_t n, double a) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (c[mid].age < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Standardized mean difference of age between the positives and negatives of the kept pairs
 * (sample variances); *sign is the sign of mean(positive) - mean(negative). */
static double smd_age(const double *age, const int64_t *pair, int64_t n_pairs, const int8_t *labels,
                      double *sign) {
    double s[2] = {0, 0}, q[2] = {0, 0};
    int64_t k = 0;
    for (int64_t i = 0; i < n_pairs; i++) {
        if (labels[pair[2 * i]] != 1)
            continue;
        k++;
        for (int g = 0; g < 2; g++)
            s[g] += age[pair[2 * i + g]];
    }
    if (k < 2)
        return 0.0;
    for (int64_t i = 0; i < n_pairs; i++)
        for (int g = 0; g < 2 && labels[pair[2 * i]] == 1; g++) {
            double d = age[pair[2 * i + g]] - s[g] / (double)k;
            q[g] += d * d;
        }
    double diff = (s[0] - s[1]) / (double)k, sd = sqrt((q[0] + q[1]) / (2.0 * (double)(k - 1)));
    *sign = diff < 0 ? -1.0 : 1.0;
    return sd > 0 ? fabs(diff) / sd : 0.0;
}

/* Drop the pair that pulls the means apart most until the age SMD is below MATCH_SMD_MAX. */
static void trim_pairs(const double *age, const int64_t *pair, int64_t n_pairs, int8_t *labels) {
    double sign = 1.0;
    while (smd_age(age, pair, n_pairs, labels, &sign) >= MATCH_SMD_MAX) {
        int64_t worst = -1;
        double w = -INFINITY;
        for (int64_t i = 0; i < n_pairs; i++) {
            double d = sign * (age[pair[2 * i]] - age[pair[2 * i + 1]]);
            if (labels[pair[2 * i]] == 1 && d > w) {
                w = d;
                worst = i;
            }
        }
        if (worst < 0)
            return;
        labels[pair[2 * worst]] = -2;
        labels[pair[2 * worst + 1]] = -1;
    }
}

clef_status clefi_cohort_match(clef_ctx *ctx, uint64_t seed, int32_t t, const double *age,
                               const int32_t *sex, int64_t n, int8_t *labels) {
    size_t nn = (size_t)(n > 0 ? n : 1);
    int64_t *order = clefi_calloc(ctx, nn, sizeof *order);
    cand *c = clefi_calloc(ctx, nn, sizeof *c);
    int64_t *right = clefi_calloc(ctx, nn + 3, sizeof *right); /* next free at >= i */
    int64_t *left = clefi_calloc(ctx, nn + 3, sizeof *left);   /* at <= i, shifted by one */
    int64_t *pair = clefi_calloc(ctx, 2 * nn, sizeof *pair);   /* (positive, negative) */
    int64_t n_pairs = 0;
    clef_status rc = CLEF_OK;
    if (order == NULL || c == NULL || right == NULL || left == NULL || pair == NULL) {
        rc = CLEF_ERR_NOMEM;
        goto done;
    }
    clefi_crng r;
    clefi_crng_init(&r, seed, (uint64_t)t, 0, CRNG_MATCH);
    for (int64_t i = 0; i < n; i++)
        order[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(clefi_crng_unif(&r) * (double)(i + 1));
        int64_t tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
    for (int32_t s = 0; s < 3; s++) { /* F, M, U: candidates of one sex at a time */
        int64_t m = 0;
        for (int64_t k = 0; k < n; k++)
            if (labels[order[k]] == -1 && sex[order[k]] == s)
                c[m++] = (cand){age[order[k]], k, order[k]};
        qsort(c, (size_t)m, sizeof *c, cand_cmp);
        for (int64_t i = 0; i <= m; i++) /* index m: the "none to the right" sentinel */
            right[i] = i;
        for (int64_t i = 0; i <= m; i++) /* left[i + 1] for candidate i; left[0]: none */
            left[i] = i;
        for (int64_t k = 0; k < n; k++) {
            int64_t p = order[k];
            if (labels[p] != 1 || sex[p] != s)
                continue;
            int64_t at = lower_bound(c, m, age[p]);
            int64_t ri = find(right, at), li = find(left, at) - 1; /* li: free at <= at - 1 */
            double dr = ri < m ? c[ri].age - age[p] : INFINITY;
            double dl = li >= 0 ? age[p] - c[li].age : INFINITY;
            int64_t best = dr < dl                                         ? ri
                           : dl < dr                                       ? li
                           : ri < m && (li < 0 || c[ri].rank < c[li].rank) ? ri
                                                                           : li;
            if (best < 0 || best >= m || fmin(dr, dl) > MATCH_CALIPER_YEARS) {
                labels[p] = -2; /* no match: out of the task */
                continue;
            }
            labels[c[best].id] = 0;
            pair[2 * n_pairs] = p;
            pair[2 * n_pairs++ + 1] = c[best].id;
            right[best] = best + 1;
            left[best + 1] = best;
        }
    }
    trim_pairs(age, pair, n_pairs, labels);
    for (int64_t i = 0; i < n; i++)
        if (labels[i] == -2)
            labels[i] = -1;
done:
    clefi_free(ctx, pair);
    clefi_free(ctx, order);
    clefi_free(ctx, c);
    clefi_free(ctx, right);
    clefi_free(ctx, left);
    return rc;
}
