/* tok_mean.c — session-mean tokens: the time-mean spectrum of a session, transform-coded.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Why: the VQGAN's pixel loss fits each pixel's typical value, so a pattern that lasts the
 * whole session in a few channels of a minority of sessions (focal slowing) is dropped, and
 * band-power features, which average the session, lose it (docs/tokenizer.md "Downstream
 * check"). Coding each (channel, frequency) row's session mean apart, as audio codecs code band
 * energies apart from their shape (gain-shape quantisation), keeps it: M (in_ch * n_freq dB) is
 * projected on the n_mean leading principal axes of the training sessions' M (Karhunen-Loeve
 * transform coding) and each coefficient is quantised uniformly to mean_levels levels over
 * [-scale, scale], scale = 16 standard deviations of that component. */
#include "model_int.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

#define SCALE_SD    16.0  /* quantiser half-range in standard deviations of the component */
#define SCALE_FLOOR 1e-6f /* for components without variance */

static void mean_free(clefi_tok_mean *m, clef_ctx *ctx) {
    clefi_free(ctx, m->buf);
    clefi_layout_free(&m->lay);
    memset(m, 0, sizeof *m);
}

void clefi_tok_mean_free(clef_tokenizer *tok, clef_ctx *ctx) { mean_free(&tok->mean, ctx); }

/* An identity coder (center 0, basis 0, scale 1) of c->n_mean components into m. */
static clef_status mean_new(clefi_tok_mean *m, clef_ctx *ctx, const clefi_tok_cfg *c) {
    memset(m, 0, sizeof *m);
    clefi_layout_init(&m->lay, ctx);
    if (c->n_mean <= 0)
        return CLEF_OK;
    m->dim = (size_t)c->in_ch * (size_t)c->n_freq;
    clef_status rc =
        clefi_layout_add(&m->lay, "mean.center", 2, (const int64_t[]){c->in_ch, c->n_freq});
    if (rc == CLEF_OK)
        rc = clefi_layout_add(&m->lay, "mean.scale", 1, (const int64_t[]){c->n_mean});
    if (rc == CLEF_OK)
        rc = clefi_layout_add(&m->lay, "mean.basis", 3,
                              (const int64_t[]){c->n_mean, c->in_ch, c->n_freq});
    if (rc == CLEF_OK && (m->buf = clefi_calloc(ctx, m->lay.total, sizeof(float))) == NULL)
        rc =
            clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "tokenizer: no memory for the session-mean coder");
    if (rc != CLEF_OK) {
        mean_free(m, ctx);
        return rc;
    }
    m->center = m->buf + m->lay.t[0].offset;
    m->scale = m->buf + m->lay.t[1].offset;
    m->basis = m->buf + m->lay.t[2].offset;
    for (int32_t k = 0; k < c->n_mean; k++)
        m->scale[k] = 1.0f;
    return CLEF_OK;
}

clef_status clefi_tok_mean_alloc(clef_tokenizer *tok, clef_ctx *ctx) {
    clefi_tok_mean m;
    clef_status rc = mean_new(&m, ctx, &tok->cfg);
    if (rc == CLEF_OK) {
        mean_free(&tok->mean, ctx);
        tok->mean = m;
    }
    return rc;
}

void clefi_tok_mean_rows(const float *spec, size_t dim, size_t stride, size_t frames, float *m) {
    for (size_t r = 0; r < dim; r++) {
        double s = 0.0;
        for (size_t t = 0; t < frames; t++)
            s += spec[r * stride + t];
        m[r] = frames > 0 ? (float)(s / (double)frames) : 0.0f;
    }
}

/* Quantised coefficient of level q. */
static double level_value(int32_t q, int32_t levels, float scale) {
    return (2.0 * q / (double)(levels - 1) - 1.0) * scale;
}

static void synth(const clef_tokenizer *tok, const double *chat, float *mhat) {
    const clefi_tok_mean *m = &tok->mean;
    for (size_t r = 0; r < m->dim; r++) {
        double s = m->center[r];
        for (int32_t k = 0; k < tok->cfg.n_mean; k++)
            s += chat[k] * m->basis[(size_t)k * m->dim + r];
        mhat[r] = (float)s;
    }
}

void clefi_tok_mean_encode(const clef_tokenizer *tok, const float *mrow, int32_t *ids, float *coef,
                           float *mhat) {
    const clefi_tok_mean *m = &tok->mean;
    int32_t levels = tok->cfg.mean_levels;
    double chat[CLEFI_TOK_MAX_MEAN];
    for (int32_t k = 0; k < tok->cfg.n_mean; k++) {
        const float *b = m->basis + (size_t)k * m->dim;
        double c = 0.0;
        for (size_t r = 0; r < m->dim; r++)
            c += (double)b[r] * ((double)mrow[r] - (double)m->center[r]);
        double u = c / (double)m->scale[k];
        if (coef != NULL)
            coef[k] = (float)u;
        double q = floor((u + 1.0) * 0.5 * (double)(levels - 1) + 0.5);
        q = !(q >= 0.0) ? 0.0 : q > (double)(levels - 1) ? (double)(levels - 1) : q; /* NaN: 0 */
        ids[k] = tok->cfg.codebook_size + (int32_t)q;
        chat[k] = level_value((int32_t)q, levels, m->scale[k]);
    }
    if (mhat != NULL)
        synth(tok, chat, mhat);
}

void clefi_tok_mean_decode(const clef_tokenizer *tok, const int32_t *ids, float *mhat) {
    double chat[CLEFI_TOK_MAX_MEAN];
    for (int32_t k = 0; k < tok->cfg.n_mean; k++)
        chat[k] =
            level_value(ids[k] - tok->cfg.codebook_size, tok->cfg.mean_levels, tok->mean.scale[k]);
    synth(tok, chat, mhat);
}

/* Principal axes of the rows of a [n][dim] (centred, double): the k leading eigenvectors of
 * a'a / (n - 1), largest first, into basis [k][dim] with their variances. */
static clef_status principal_axes(clef_ctx *ctx, clefi_err *err, const double *a, size_t n,
                                  size_t dim, int32_t k, float *basis, double *var) {
    double *cov = clefi_calloc(ctx, dim * dim, sizeof(double));
    double *w = clefi_calloc(ctx, dim, sizeof(double));
    double *z = clefi_calloc(ctx, dim * (size_t)k, sizeof(double));
    lapack_int *isuppz = clefi_calloc(ctx, 2 * (size_t)k, sizeof(lapack_int));
    clef_status rc = CLEF_OK;
    if (cov == NULL || w == NULL || z == NULL || isuppz == NULL)
        rc = clefi_error(ctx, err, CLEF_ERR_NOMEM,
                         "session-mean fit: no memory for a %zu x %zu "
                         "covariance",
                         dim, dim);
    if (rc == CLEF_OK) {
        /* a is row-major [n][dim] = column-major [dim][n]: cov (upper) = a' a / (n - 1) */
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int)dim, (int)n,
                    1.0 / (double)(n - 1), a, (int)dim, 0.0, cov, (int)dim);
        lapack_int found = 0;
        lapack_int il = (lapack_int)(dim - (size_t)k + 1), iu = (lapack_int)dim;
        lapack_int info =
            LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'V', 'I', 'U', (lapack_int)dim, cov, (lapack_int)dim,
                           0.0, 0.0, il, iu, 0.0, &found, w, z, (lapack_int)dim, isuppz);
        if (info != 0 || found != k)
            rc = clefi_error(ctx, err, CLEF_ERR_INTERNAL,
                             "session-mean fit: LAPACK dsyevr failed (info %d, %d of %d axes)",
                             (int)info, (int)found, (int)k);
    }
    for (int32_t j = 0; rc == CLEF_OK && j < k; j++) {
        const double *v = z + (size_t)(k - 1 - j) * dim; /* ascending -> largest first */
        size_t big = 0;
        for (size_t r = 1; r < dim; r++)
            if (fabs(v[r]) > fabs(v[big]))
                big = r;
        double sign = v[big] < 0.0 ? -1.0 : 1.0; /* a fixed sign, as tools/ref does */
        for (size_t r = 0; r < dim; r++)
            basis[(size_t)j * dim + r] = (float)(sign * v[r]);
        var[j] = w[k - 1 - j] > 0.0 ? w[k - 1 - j] : 0.0;
    }
    clefi_free(ctx, cov);
    clefi_free(ctx, w);
    clefi_free(ctx, z);
    clefi_free(ctx, isuppz);
    return rc;
}

clef_status clefi_tok_mean_fit(clef_tokenizer *tok, clef_ctx *ctx, clefi_err *err,
                               const float *means, int64_t n_sessions, int32_t n, int32_t levels) {
    size_t dim = (size_t)tok->cfg.in_ch * (size_t)tok->cfg.n_freq, ns = (size_t)n_sessions;
    double *a = clefi_calloc(ctx, ns * dim, sizeof(double));
    double *center = clefi_calloc(ctx, dim, sizeof(double));
    double *var = clefi_calloc(ctx, (size_t)n, sizeof(double));
    float *basis = clefi_calloc(ctx, (size_t)n * dim, sizeof(float));
    clef_status rc = CLEF_OK;
    if (a == NULL || center == NULL || var == NULL || basis == NULL)
        rc = clefi_error(ctx, err, CLEF_ERR_NOMEM, "session-mean fit: no memory");
    for (size_t i = 0; rc == CLEF_OK && i < ns; i++)
        for (size_t r = 0; r < dim; r++)
            center[r] += (double)means[i * dim + r] / (double)ns;
    for (size_t i = 0; rc == CLEF_OK && i < ns; i++)
        for (size_t r = 0; r < dim; r++)
            a[i * dim + r] = (double)means[i * dim + r] - center[r];
    if (rc == CLEF_OK)
        rc = principal_axes(ctx, err, a, ns, dim, n, basis, var);
    clefi_tok_cfg cfg = tok->cfg;
    cfg.n_mean = n;
    cfg.mean_levels = levels;
    clefi_tok_mean m = {0};
    if (rc == CLEF_OK && (rc = mean_new(&m, ctx, &cfg)) != CLEF_OK)
        clefi_error(ctx, err, rc, "session-mean fit: no memory for the coder");
    if (rc == CLEF_OK) {
        for (size_t r = 0; r < dim; r++)
            m.center[r] = (float)center[r];
        memcpy(m.basis, basis, (size_t)n * dim * sizeof(float));
        for (int32_t k = 0; k < n; k++) {
            float s = (float)(SCALE_SD * sqrt(var[k]));
            m.scale[k] = s > SCALE_FLOOR ? s : SCALE_FLOOR;
        }
        /* only a complete new coder replaces the old one */
        mean_free(&tok->mean, ctx);
        tok->mean = m;
        tok->cfg = cfg;
    }
    clefi_free(ctx, a);
    clefi_free(ctx, center);
    clefi_free(ctx, var);
    clefi_free(ctx, basis);
    return rc;
}
