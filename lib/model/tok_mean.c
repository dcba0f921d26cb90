/* tok_mean.c — session-mean tokens: the mean power spectrum of a session, transform-coded.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Why: the VQGAN's pixel loss fits each pixel's typical value, so a pattern that lasts the
 * whole session in a few channels of a minority of sessions (focal slowing) is dropped, and
 * band-power features, which average the session, lose it (docs/tokenizer.md "Downstream
 * check"). Coding each (channel, frequency) row's session power apart, as audio codecs code band
 * energies apart from their shape (gain-shape quantisation, e.g. Opus/CELT), keeps it.
 * M (in_ch * n_freq) is each row's mean power over the session's frames, in dB
 * (10 log10 mean 10^(x/10)). It is projected on the leading principal axes of the training
 * sessions' M (Karhunen-Loeve transform coding). Rare session-long patterns (a focal bump in one
 * channel) live in the trailing components and in the tails of the coefficients' distribution,
 * so the coder keeps many components and wide tails rather than fine steps: mean_full tokens
 * hold one coefficient each (mean_levels levels), the others two (sqrt(mean_levels) levels
 * each), and every coefficient u (in standard deviations of its component, stored as scale) is
 * quantised uniformly in asinh(u / ASINH_A) up to |u| = RANGE_FULL or RANGE_PAIR. Then
 * presence tokens, log2(mean_levels) channels each, flag the absent channels (a bit per
 * channel: an absent or flat electrode is blank in every bin), which decode gives back blank
 * rather than imputed; the last session token holds the number of valid token columns. Decode
 * shifts each row of the decoded residual so that its mean power over those columns' frames is
 * exactly M^: band power over the session is then kept up to the coder's error, whatever the grid
 * loses. */
#include "model_int.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

#define ASINH_A     0.5    /* companding knee, in standard deviations */
#define RANGE_FULL  1000.0 /* quantiser range of one-coefficient tokens, standard deviations */
#define RANGE_PAIR  20.0   /* and of two-coefficient tokens */
#define SCALE_FLOOR 1e-6f  /* for components without variance */

static void mean_free(clefi_tok_mean *m, clef_ctx *ctx) {
    clefi_free(ctx, m->buf);
    clefi_layout_free(&m->lay);
    memset(m, 0, sizeof *m);
}

void clefi_tok_mean_free(clef_tokenizer *tok, clef_ctx *ctx) { mean_free(&tok->mean, ctx); }

/* An identity coder (center 0, basis 0, scale 1) of c->n_mean - 1 components into m. */
static clef_status mean_new(clefi_tok_mean *m, clef_ctx *ctx, const clefi_tok_cfg *c) {
    memset(m, 0, sizeof *m);
    clefi_layout_init(&m->lay, ctx);
    if (c->n_mean <= 0)
        return CLEF_OK;
    m->dim = (size_t)c->in_ch * (size_t)c->n_freq;
    int64_t k = clefi_tok_mean_components(c);
    clef_status rc =
        clefi_layout_add(&m->lay, "mean.center", 2, (const int64_t[]){c->in_ch, c->n_freq});
    if (rc == CLEF_OK)
        rc = clefi_layout_add(&m->lay, "mean.scale", 1, (const int64_t[]){k});
    if (rc == CLEF_OK)
        rc = clefi_layout_add(&m->lay, "mean.basis", 3, (const int64_t[]){k, c->in_ch, c->n_freq});
    if (rc == CLEF_OK)
        rc = clefi_layout_add(&m->lay, "mean.bias", 2, (const int64_t[]){c->in_ch, c->n_freq});
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
    m->bias = m->buf + m->lay.t[3].offset;
    for (int64_t j = 0; j < k; j++)
        m->scale[j] = 1.0f;
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

/* Channels per presence token: floor(log2(levels)) bits. */
static int32_t presence_bits(int32_t levels) {
    int32_t b = 0;
    while (b < 30 && ((int64_t)1 << (b + 1)) <= levels)
        b++;
    return b > 0 ? b : 1;
}

int32_t clefi_tok_mean_presence(int32_t in_ch, int32_t levels) {
    int32_t b = presence_bits(levels);
    return (in_ch + b - 1) / b;
}

/* Coefficient tokens: all but the presence tokens and the valid-columns token. */
static int32_t coef_tokens(const clefi_tok_cfg *c) {
    int32_t n = c->n_mean - 1 - clefi_tok_mean_presence(c->in_ch, c->mean_levels);
    return n > 0 ? n : 0;
}

int32_t clefi_tok_mean_components(const clefi_tok_cfg *c) {
    return c->n_mean > 1 ? c->mean_full + 2 * (coef_tokens(c) - c->mean_full) : 0;
}

/* Levels per coefficient of a two-coefficient token: sqrt(mean_levels). */
static int32_t pair_levels(int32_t levels) {
    int32_t p = (int32_t)floor(sqrt((double)levels) + 0.5);
    return p * p == levels ? p : 0;
}

/* 10 log10 of the mean of 10^(x/10) over x [n], n >= 1. clefi_expf in float lanes summed in
 * double per chunk, so the loop vectorizes: 2.4 M exponentials per 20-min session encode. */
CLEFI_SIMD_CLONES static float power_db(const float *x, size_t n) {
    const float k = 0.230258509f; /* ln(10) / 10 */
    double total = 0.0;
    for (size_t t0 = 0; t0 < n; t0 += 256) {
        size_t t1 = n - t0 < 256 ? n : t0 + 256;
        float lane[8] = {0};
        size_t t = t0;
        for (; t + 8 <= t1; t += 8)
            for (int j = 0; j < 8; j++)
                lane[j] += clefi_expf(k * x[t + (size_t)j]);
        for (; t < t1; t++)
            lane[0] += clefi_expf(k * x[t]);
        for (int j = 0; j < 8; j++)
            total += (double)lane[j];
    }
    return (float)(10.0 * log10(total / (double)n));
}

void clefi_tok_mean_rows(const float *spec, size_t dim, size_t stride, size_t frames, float *m) {
    for (size_t r = 0; r < dim; r++)
        m[r] = frames > 0 ? power_db(spec + r * stride, frames) : 0.0f;
}

void clefi_tok_mean_apply(const float *mhat, size_t dim, size_t stride, size_t frames, float *out) {
    for (size_t r = 0; r < dim && frames > 0; r++) {
        float *x = out + r * stride;
        float shift = mhat[r] - power_db(x, frames);
        if (!isfinite(shift)) /* a decoded row of -inf or NaN: leave it to show */
            continue;
        for (size_t t = 0; t < stride; t++)
            x[t] += shift;
    }
}

/* Level of u (standard deviations) on a quantiser of levels levels up to |u| = range, uniform
 * in asinh(u / ASINH_A); NaN gives level 0. */
static int32_t quantise(double u, int32_t levels, double range) {
    double vmax = asinh(range / ASINH_A);
    double q = floor((asinh(u / ASINH_A) / vmax + 1.0) * 0.5 * (double)(levels - 1) + 0.5);
    return !(q >= 0.0) ? 0 : q > (double)(levels - 1) ? levels - 1 : (int32_t)q;
}

/* asinh(u / ASINH_A) of level q: the quantiser's uniform steps. */
static double level_companded(int32_t q, int32_t levels, double range) {
    return (2.0 * q / (double)(levels - 1) - 1.0) * asinh(range / ASINH_A);
}

/* u (standard deviations) of level q. */
static double level_value(int32_t q, int32_t levels, double range) {
    return ASINH_A * sinh(level_companded(q, levels, range));
}

int32_t clefi_tok_mean_pairs(const clefi_tok_cfg *c) {
    int32_t n = coef_tokens(c) - c->mean_full;
    return c->n_mean > 1 && n > 0 ? n : 0;
}

void clefi_tok_mean_token_values(int32_t j, int32_t q, int32_t full, int32_t pairs, int32_t levels,
                                 float v[2]) {
    int32_t pl = pair_levels(levels);
    v[0] = v[1] = 0.0f;
    if (j < 0 || q < 0 || q >= levels || levels < 2)
        return;
    if (j < full) {
        v[0] = (float)level_companded(q, levels, RANGE_FULL);
    } else if (j < full + pairs && pl >= 2) {
        v[0] = (float)level_companded(q / pl, pl, RANGE_PAIR);
        v[1] = (float)level_companded(q % pl, pl, RANGE_PAIR);
    }
}

/* mhat = center + sum_k chat[k] basis[k] - bias, one contiguous basis row at a time (float
 * sums of at most 1,024 terms: about 1e-5 dB, far below the quantiser step). */
static void synth(const clef_tokenizer *tok, const double *chat, float *mhat) {
    const clefi_tok_mean *m = &tok->mean;
    memcpy(mhat, m->center, m->dim * sizeof *mhat);
    for (int32_t k = 0; k < clefi_tok_mean_components(&tok->cfg); k++) {
        const float *b = m->basis + (size_t)k * m->dim;
        float ck = (float)chat[k];
        for (size_t r = 0; r < m->dim; r++)
            mhat[r] += ck * b[r];
    }
    for (size_t r = 0; r < m->dim; r++)
        mhat[r] -= m->bias[r];
}

/* Channels absent from the image: every bin of their time mean at the blank level (an absent
 * electrode's spectrogram is the dB floor everywhere). Bit c of the result; the count out. */
static uint64_t absent_channels(const clef_tokenizer *tok, const float *mrow, int32_t *n_absent) {
    const clefi_tok_cfg *c = &tok->cfg;
    uint64_t mask = 0;
    *n_absent = 0;
    float blank = (float)c->spec.db_min + 1e-4f;
    for (int32_t ch = 0; ch < c->in_ch && ch < 64; ch++) {
        int32_t f = 0;
        while (f < c->n_freq && mrow[(size_t)ch * (size_t)c->n_freq + (size_t)f] <= blank)
            f++;
        if (f == c->n_freq) {
            mask |= (uint64_t)1 << ch;
            (*n_absent)++;
        }
    }
    return mask;
}

/* Row r (of nf bins per channel) belongs to a channel of the absent mask. */
static int row_absent(uint64_t absent, size_t r, size_t nf) {
    return r / nf < 64 && (absent >> (r / nf) & 1u);
}

/* c = B (m - center): the coefficients of m with every channel present. */
static void project(const clef_tokenizer *tok, const float *mrow, double *c) {
    const clefi_tok_mean *m = &tok->mean;
    for (int32_t k = 0; k < clefi_tok_mean_components(&tok->cfg); k++) {
        const float *b = m->basis + (size_t)k * m->dim;
        double s = 0.0;
        for (size_t r = 0; r < m->dim; r++)
            s += (double)b[r] * ((double)mrow[r] - (double)m->center[r]);
        c[k] = s;
    }
}

/* Coefficients of m from its present channels alone: ridge least squares
 * (B_P B_P' + diag(NOISE_VAR / var_k)) c = B_P (m - center)_P, var_k the components' training
 * variances scale^2, so components the present channels do not pin down stay near 0
 * (their training mean). Plain projection (c = B (m - center)) if the solve fails. */
#define NOISE_VAR 0.01 /* (0.1 dB)^2 per value: the PCA truncation error of held-out means */
static clef_status masked_coefficients(const clef_tokenizer *tok, clef_ctx *ctx, const float *mrow,
                                       uint64_t absent, double *work, double *c) {
    const clefi_tok_mean *m = &tok->mean;
    size_t n = (size_t)clefi_tok_mean_components(&tok->cfg), nf = (size_t)tok->cfg.n_freq;
    double *g = work != NULL ? work : clefi_malloc(ctx, clefi_tok_mean_work(tok));
    if (g == NULL)
        return CLEF_ERR_NOMEM; /* the caller words it on its own handle: ctx may be shared */
    memset(g, 0, clefi_tok_mean_work(tok));
    double *rhs = g + n * n;
    for (size_t i = 0; i < n; i++) {
        const float *bi = m->basis + i * m->dim;
        for (size_t r = 0; r < m->dim; r++)
            if (!row_absent(absent, r, nf))
                rhs[i] += (double)bi[r] * ((double)mrow[r] - (double)m->center[r]);
        for (size_t j = 0; j <= i; j++) {
            const float *bj = m->basis + j * m->dim;
            double s = 0.0;
            for (size_t r = 0; r < m->dim; r++)
                if (!row_absent(absent, r, nf))
                    s += (double)bi[r] * (double)bj[r];
            g[i * n + j] = g[j * n + i] = s;
        }
        double sd = (double)m->scale[i];
        g[i * n + i] += NOISE_VAR / (sd * sd > 1e-12 ? sd * sd : 1e-12);
    }
    lapack_int info =
        LAPACKE_dposv(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, 1, g, (lapack_int)n, rhs, 1);
    if (info == 0)
        memcpy(c, rhs, n * sizeof *c);
    else /* not positive definite: project as if every channel were present */
        project(tok, mrow, c);
    if (work == NULL)
        clefi_free(ctx, g);
    return CLEF_OK;
}

size_t clefi_tok_mean_work(const clef_tokenizer *tok) {
    size_t n = (size_t)clefi_tok_mean_components(&tok->cfg);
    return (n * n + n) * sizeof(double);
}

clef_status clefi_tok_mean_encode(const clef_tokenizer *tok, clef_ctx *ctx, double *work,
                                  const float *mrow, int32_t cols, int32_t *ids, float *coef,
                                  float *mhat) {
    const clefi_tok_mean *m = &tok->mean;
    int32_t levels = tok->cfg.mean_levels, n_absent = 0;
    double c[2 * CLEFI_TOK_MAX_MEAN], chat[2 * CLEFI_TOK_MAX_MEAN];
    uint64_t absent = absent_channels(tok, mrow, &n_absent);
    if (n_absent > 0 && n_absent < tok->cfg.in_ch) {
        clef_status rc = masked_coefficients(tok, ctx, mrow, absent, work, c);
        if (rc != CLEF_OK)
            return rc;
    } else {
        project(tok, mrow, c);
    }
    int32_t nk = clefi_tok_mean_components(&tok->cfg), full = tok->cfg.mean_full;
    int32_t pl = pair_levels(levels), cb = tok->cfg.codebook_size, nt = coef_tokens(&tok->cfg);
    for (int32_t k = 0; k < nk; k++) {
        double u = c[k] / (double)m->scale[k];
        if (coef != NULL)
            coef[k] = (float)u;
        c[k] = u;
    }
    for (int32_t j = 0; j < nt; j++) {
        if (j < full) { /* one coefficient */
            int32_t q = quantise(c[j], levels, RANGE_FULL);
            ids[j] = cb + q;
            chat[j] = level_value(q, levels, RANGE_FULL) * (double)m->scale[j];
            continue;
        }
        int32_t k = full + 2 * (j - full), q0 = quantise(c[k], pl, RANGE_PAIR),
                q1 = quantise(c[k + 1], pl, RANGE_PAIR);
        ids[j] = cb + q0 * pl + q1;
        chat[k] = level_value(q0, pl, RANGE_PAIR) * (double)m->scale[k];
        chat[k + 1] = level_value(q1, pl, RANGE_PAIR) * (double)m->scale[k + 1];
    }
    int32_t bits = presence_bits(levels), np = clefi_tok_mean_presence(tok->cfg.in_ch, levels);
    for (int32_t j = 0; j < np; j++)
        ids[nt + j] =
            cb +
            (j * bits < 64 ? (int32_t)((absent >> (j * bits)) & (((uint64_t)1 << bits) - 1)) : 0);
    cols = cols < 1 ? 1 : cols > tok->cfg.grid_t ? tok->cfg.grid_t : cols;
    ids[tok->cfg.n_mean - 1] = cb + cols;
    if (coef != NULL)
        coef[nk] = (float)cols;
    if (mhat == NULL)
        return CLEF_OK;
    synth(tok, chat, mhat);
    /* absent channels: the network's image keeps them at 0 (their own level), the decoder
     * imputes them from the coefficients */
    size_t nf = (size_t)tok->cfg.n_freq;
    for (size_t r = 0; n_absent > 0 && n_absent < tok->cfg.in_ch && r < m->dim; r++)
        if (row_absent(absent, r, nf))
            mhat[r] = mrow[r];
    return CLEF_OK;
}

int32_t clefi_tok_mean_decode(const clef_tokenizer *tok, const int32_t *ids, float *mhat,
                              uint64_t *absent) {
    double chat[2 * CLEFI_TOK_MAX_MEAN];
    const float *sd = tok->mean.scale;
    int32_t full = tok->cfg.mean_full, levels = tok->cfg.mean_levels, pl = pair_levels(levels);
    int32_t cb = tok->cfg.codebook_size, nt = coef_tokens(&tok->cfg);
    for (int32_t j = 0; j < nt; j++) {
        int32_t q = ids[j] - cb;
        if (j < full) {
            chat[j] = level_value(q, levels, RANGE_FULL) * (double)sd[j];
            continue;
        }
        int32_t k = full + 2 * (j - full);
        chat[k] = level_value(q / pl, pl, RANGE_PAIR) * (double)sd[k];
        chat[k + 1] = level_value(q % pl, pl, RANGE_PAIR) * (double)sd[k + 1];
    }
    synth(tok, chat, mhat);
    int32_t bits = presence_bits(levels), np = clefi_tok_mean_presence(tok->cfg.in_ch, levels);
    *absent = 0;
    for (int32_t j = 0; j < np && j * bits < 64; j++)
        *absent |= (uint64_t)(ids[nt + j] - cb) << (j * bits);
    if (tok->cfg.in_ch < 64)
        *absent &= ((uint64_t)1 << tok->cfg.in_ch) - 1;
    int32_t cols = ids[tok->cfg.n_mean - 1] - cb;
    return cols < 1 ? 1 : cols > tok->cfg.grid_t ? tok->cfg.grid_t : cols;
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

int32_t clefi_tok_mean_full(int32_t in_ch, int32_t n_tokens, int32_t levels,
                            int64_t max_components) {
    int32_t nt = n_tokens - 1 - clefi_tok_mean_presence(in_ch, levels);
    int32_t full = pair_levels(levels) >= 2 ? nt / 2 : nt;
    while (full < nt && full + 2 * (nt - full) > max_components)
        full++;
    return full;
}

clef_status clefi_tok_mean_fit(clef_tokenizer *tok, clef_ctx *ctx, clefi_err *err,
                               const float *means, int64_t n_sessions, int32_t n_tokens,
                               int32_t levels) {
    /* Sessions with an absent channel are left out when enough complete ones remain: their
     * blank rows (-40 dB) would spend components on "this electrode is missing", which the
     * ridge fit of encode handles anyway. */
    size_t dim = (size_t)tok->cfg.in_ch * (size_t)tok->cfg.n_freq, ns = 0;
    for (int64_t i = 0; i < n_sessions; i++) {
        int32_t n_absent = 0;
        absent_channels(tok, means + (size_t)i * dim, &n_absent);
        ns += n_absent == 0;
    }
    int use_all = ns < (size_t)n_tokens;
    if (use_all)
        ns = (size_t)n_sessions;
    /* half the coefficient tokens hold two coefficients, fewer if the sessions do not support
     * that many components; the last token holds the valid columns */
    int64_t cap = (int64_t)ns - 1 < (int64_t)dim ? (int64_t)ns - 1 : (int64_t)dim;
    int32_t full = clefi_tok_mean_full(tok->cfg.in_ch, n_tokens, levels, cap);
    int32_t n = full + 2 * (n_tokens - 1 - clefi_tok_mean_presence(tok->cfg.in_ch, levels) - full);
    double *a = clefi_calloc(ctx, ns * dim, sizeof(double));
    double *center = clefi_calloc(ctx, dim, sizeof(double));
    double *var = clefi_calloc(ctx, (size_t)n, sizeof(double));
    float *basis = clefi_calloc(ctx, (size_t)n * dim, sizeof(float));
    clef_status rc = CLEF_OK;
    if (a == NULL || center == NULL || var == NULL || basis == NULL)
        rc = clefi_error(ctx, err, CLEF_ERR_NOMEM, "session-mean fit: no memory");
    for (size_t i = 0, j = 0; rc == CLEF_OK && i < (size_t)n_sessions; i++) {
        const float *row = means + i * dim;
        int32_t n_absent = 0;
        absent_channels(tok, row, &n_absent);
        if (!use_all && n_absent > 0)
            continue;
        for (size_t r = 0; r < dim; r++)
            a[j * dim + r] = (double)row[r];
        j++;
    }
    for (size_t i = 0; rc == CLEF_OK && i < ns; i++)
        for (size_t r = 0; r < dim; r++)
            center[r] += a[i * dim + r] / (double)ns;
    for (size_t i = 0; rc == CLEF_OK && i < ns; i++)
        for (size_t r = 0; r < dim; r++)
            a[i * dim + r] -= center[r];
    if (rc == CLEF_OK)
        rc = principal_axes(ctx, err, a, ns, dim, n, basis, var);
    clefi_tok_cfg cfg = tok->cfg;
    cfg.n_mean = n_tokens;
    cfg.mean_levels = levels;
    cfg.mean_full = full;
    clefi_tok_mean m = {0};
    if (rc == CLEF_OK && (rc = mean_new(&m, ctx, &cfg)) != CLEF_OK)
        clefi_error(ctx, err, rc, "session-mean fit: no memory for the coder");
    if (rc == CLEF_OK) {
        for (size_t r = 0; r < dim; r++)
            m.center[r] = (float)center[r];
        memcpy(m.basis, basis, (size_t)n * dim * sizeof(float));
        for (int32_t k = 0; k < n; k++) {
            float s = (float)sqrt(var[k]);
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
