/* spectrogram.c — the clef_spectrogram handle: multitaper PSD per window, batch computation.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Convention (docs/spectrogram.md): per window, MNE's psd_array_multitaper(adaptive=False,
 * low_bias=True, normalization='full'): detrend, taper with periodic DPSS, rfft, one-sided
 * power 2 sum_j w_j |X_j|^2 / (fs sum_j w_j) with DC and Nyquist not doubled. */
#include "dsp_int.h"

#include <math.h>
#include <string.h>

/* ---- creation ---- */

static clef_status pick(clef_ctx *ctx, const char *key, const char *value, const char *const *names,
                        int n_names, int *out) {
    for (int i = 0; i < n_names; i++) {
        if (value != NULL && strcmp(value, names[i]) == 0) {
            *out = i;
            return CLEF_OK;
        }
    }
    return clefi_ctx_error(
        ctx, CLEF_ERR_INVALID_ARG, "spectrogram %s '%s' is not one of %s%s%s%s%s", key,
        value != NULL ? value : "(null)", names[0], n_names > 1 ? ", " : "",
        n_names > 1 ? names[1] : "", n_names > 2 ? ", " : "", n_names > 2 ? names[2] : "");
}

/* String-valued keys: detrend, scale, edge and weighting (1 = uniform). */
static const char *const k_detrend[] = {"none", "constant", "linear"};
static const char *const k_scale[] = {"db", "log1p", "linear"};
static const char *const k_edge[] = {"valid", "zero"};
static const char *const k_weight[] = {"eigen", "uniform"};

static clef_status parse_strings(clef_spectrogram *sg, const clef_params *p, int *uniform) {
    int edge = 0;
    clef_status rc;
    if ((rc = pick(sg->ctx, "detrend", clefi_params_str(p, CLEF_P_SPEC_DETREND), k_detrend, 3,
                   &sg->detrend)) != CLEF_OK ||
        (rc = pick(sg->ctx, "scale", clefi_params_str(p, CLEF_P_SPEC_SCALE), k_scale, 3,
                   &sg->scale)) != CLEF_OK ||
        (rc = pick(sg->ctx, "edge", clefi_params_str(p, CLEF_P_SPEC_EDGE), k_edge, 2, &edge)) !=
            CLEF_OK ||
        (rc = pick(sg->ctx, "weighting", clefi_params_str(p, CLEF_P_SPEC_WEIGHTING), k_weight, 2,
                   uniform)) != CLEF_OK)
        return rc;
    sg->pad = edge == 1 ? sg->win / 2 : 0;
    sg->edge = edge;
    sg->weighting = *uniform;
    return CLEF_OK;
}

/* Window, hop, FFT length, NW, frequency band and clip range. */
static clef_status parse_geometry(clef_spectrogram *sg, const clef_params *p) {
    clef_ctx *ctx = sg->ctx;
    sg->fs = clefi_params_f64(p, CLEF_P_SPEC_FS);
    double win = (double)clefi_params_i64(p, CLEF_P_SPEC_WINDOW_SAMPLES);
    double step = (double)clefi_params_i64(p, CLEF_P_SPEC_STEP_SAMPLES);
    if (win == 0)
        win = nearbyint(clefi_params_f64(p, CLEF_P_SPEC_WINDOW_S) * sg->fs);
    if (step == 0)
        step = nearbyint(clefi_params_f64(p, CLEF_P_SPEC_STEP_S) * sg->fs);
    if (win < 2 || win > CLEFI_DPSS_MAX_N)
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE,
                               "spectrogram window %.0f samples outside [2, %d]", win,
                               CLEFI_DPSS_MAX_N);
    if (step < 1 || step > 1e9)
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE,
                               "spectrogram step %.0f samples outside [1, 1e9]", step);
    sg->win = (int32_t)win;
    sg->step = (int32_t)step;
    sg->t2sum = win * (win * win - 1.0) / 12.0;
    int64_t nfft = clefi_params_i64(p, CLEF_P_SPEC_NFFT);
    sg->nfft = nfft == 0 ? sg->win : (int32_t)nfft;
    if (sg->nfft < sg->win)
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE, "spectrogram nfft %d < window %d",
                               (int)sg->nfft, (int)sg->win);
    double nw = clefi_params_f64(p, CLEF_P_SPEC_NW);
    /* MNE _compute_mt_params: half_nbw = bandwidth * n_times / (2 sfreq) */
    sg->nw = nw > 0 ? nw : clefi_params_f64(p, CLEF_P_SPEC_BANDWIDTH_HZ) * win / (2.0 * sg->fs);
    double fmin = clefi_params_f64(p, CLEF_P_SPEC_FMIN_HZ);
    double fmax = clefi_params_f64(p, CLEF_P_SPEC_FMAX_HZ);
    if (fmax > sg->fs / 2.0)
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE, "spectrogram fmax_hz %g above Nyquist %g", fmax,
                               sg->fs / 2.0);
    double df = sg->fs / sg->nfft;
    int64_t last = sg->nfft / 2 + 1;
    /* half-open band [fmin, fmax) on the grid b*df; the 1e-9 guards exact grid values */
    int64_t b0 = (int64_t)ceil(fmin / df - 1e-9);
    int64_t b1 = fmax == 0.0 ? last : (int64_t)ceil(fmax / df - 1e-9);
    if (b1 > last)
        b1 = last;
    if (b0 >= b1)
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE,
                               "spectrogram band [%g, %g) Hz holds no bin of %g Hz", fmin, fmax,
                               df);
    sg->bin0 = (int32_t)b0;
    sg->n_freq = (int32_t)(b1 - b0);
    sg->db_min = clefi_params_f64(p, CLEF_P_SPEC_DB_MIN);
    sg->db_max = clefi_params_f64(p, CLEF_P_SPEC_DB_MAX);
    if (!(sg->db_min < sg->db_max))
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE, "spectrogram db_min %g >= db_max %g",
                               sg->db_min, sg->db_max);
    sg->p_lo = (float)pow(10.0, sg->db_min / 10.0);
    sg->p_hi = (float)pow(10.0, sg->db_max / 10.0);
    return CLEF_OK;
}

/* DPSS, selection by eigenvalue, weights, float copies. */
static clef_status make_tapers(clef_spectrogram *sg, const clef_params *p, int uniform) {
    clef_ctx *ctx = sg->ctx;
    int64_t kmax = clefi_params_i64(p, CLEF_P_SPEC_N_TAPERS);
    if (kmax == 0) /* MNE: n_tapers_max = int(2 * half_nbw), at least one */
        kmax = (int64_t)floor(2.0 * sg->nw) > 0 ? (int64_t)floor(2.0 * sg->nw) : 1;
    clef_status rc = clefi_dpss_check(ctx, &ctx->err, sg->win, sg->nw, kmax);
    if (rc != CLEF_OK)
        return rc;
    int sym = (int)clefi_params_i64(p, CLEF_P_SPEC_TAPER_SYM);
    sg->taper_d = clefi_calloc(ctx, (size_t)kmax * (size_t)sg->win, sizeof(double));
    sg->eig = clefi_calloc(ctx, (size_t)kmax, sizeof(double));
    sg->weight = clefi_calloc(ctx, (size_t)kmax, sizeof(double));
    sg->weight_f = clefi_calloc(ctx, (size_t)kmax, sizeof(float));
    if (sg->taper_d == NULL || sg->eig == NULL || sg->weight == NULL || sg->weight_f == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate %lld tapers", (long long)kmax);
    rc = clefi_dpss(ctx, &ctx->err, sg->win, sg->nw, kmax, sym, sg->taper_d, sg->eig);
    if (rc != CLEF_OK)
        return rc;
    /* MNE dpss_windows(low_bias=True): keep eigenvalues > 0.9 (eig_min), order preserved */
    double eig_min = clefi_params_f64(p, CLEF_P_SPEC_EIG_MIN), wsum = 0.0;
    sg->eig_min = eig_min;
    int32_t k = 0;
    for (int64_t j = 0; j < kmax; j++) {
        if (eig_min > 0 && !(sg->eig[j] > eig_min))
            continue;
        memmove(sg->taper_d + (size_t)k * sg->win, sg->taper_d + (size_t)j * sg->win,
                (size_t)sg->win * sizeof(double));
        sg->eig[k++] = sg->eig[j];
    }
    if (k == 0)
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE,
                               "no DPSS taper (N = %d, NW = %g) has an eigenvalue above %g",
                               (int)sg->win, sg->nw, eig_min);
    sg->n_tapers = k;
    for (int32_t j = 0; j < k; j++)
        wsum += uniform ? 1.0 : sg->eig[j];
    for (int32_t j = 0; j < k; j++) {
        sg->weight[j] = 2.0 * (uniform ? 1.0 : sg->eig[j]) / (sg->fs * wsum);
        sg->weight_f[j] = (float)sg->weight[j];
    }
    sg->taper_f = clefi_malloc_aligned(ctx, (size_t)k * (size_t)sg->win * sizeof(float));
    if (sg->taper_f == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate float tapers");
    for (size_t i = 0; i < (size_t)k * (size_t)sg->win; i++)
        sg->taper_f[i] = (float)sg->taper_d[i];
    return CLEF_OK;
}

static void spectrogram_destroy(clef_spectrogram *sg) {
    clef_ctx *ctx = sg->ctx;
    clefi_fft_free(sg->fft_f);
    clefi_fft_free(sg->fft_d);
    clefi_free_aligned(ctx, sg->taper_f);
    clefi_free(ctx, sg->taper_d);
    clefi_free(ctx, sg->eig);
    clefi_free(ctx, sg->weight);
    clefi_free(ctx, sg->weight_f);
    clefi_free(ctx, sg);
    clefi_ctx_release(ctx);
}

clef_status clef_spectrogram_create(clef_spectrogram **out, clef_ctx *ctx,
                                    const clef_params *params) {
    clefi_reset(ctx);
    if (out == NULL)
        return CLEF_ERR_INVALID_ARG;
    *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_params *defaults = NULL;
    if (params == NULL) {
        clef_status rc = clef_params_create(&defaults, ctx, CLEF_PARAMS_SPEC);
        if (rc != CLEF_OK)
            return rc;
        params = defaults;
    } else if (clef_params_kind(params) != CLEF_PARAMS_SPEC) {
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                               "spectrogram parameters have kind %d, not CLEF_PARAMS_SPEC",
                               (int)clef_params_kind(params));
    }
    clef_spectrogram *sg = clefi_calloc(ctx, 1, sizeof *sg);
    if (sg == NULL) {
        clef_params_free(defaults);
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate a spectrogram");
    }
    sg->ctx = clefi_ctx_retain(ctx);
    atomic_init(&sg->refs, 1);
    int uniform = 0;
    clef_status rc = parse_geometry(sg, params);
    if (rc == CLEF_OK)
        rc = parse_strings(sg, params, &uniform);
    if (rc == CLEF_OK)
        rc = make_tapers(sg, params, uniform);
    if (rc == CLEF_OK)
        rc = clefi_fft_create_r2c_f32(&sg->fft_f, ctx, sg->nfft, sg->n_tapers);
    if (rc == CLEF_OK)
        rc = clefi_fft_create_r2c_f64(&sg->fft_d, ctx, sg->nfft, sg->n_tapers);
    clef_params_free(defaults);
    if (rc != CLEF_OK) {
        spectrogram_destroy(sg);
        return rc;
    }
    *out = sg;
    return CLEF_OK;
}

void clef_spectrogram_free(clef_spectrogram *sg) {
    if (sg != NULL && atomic_fetch_sub(&sg->refs, 1) == 1)
        spectrogram_destroy(sg);
}

/* ---- parameters as built ---- */

clef_status clef_spectrogram_param_f64(const clef_spectrogram *sg, int32_t key, double *out) {
    if (sg == NULL || out == NULL)
        return CLEF_ERR_INVALID_ARG;
    double df = sg->fs / sg->nfft;
    switch (key) {
    case CLEF_P_SPEC_FS:
        *out = sg->fs;
        break;
    case CLEF_P_SPEC_WINDOW_S:
        *out = sg->win / sg->fs;
        break;
    case CLEF_P_SPEC_STEP_S:
        *out = sg->step / sg->fs;
        break;
    case CLEF_P_SPEC_WINDOW_SAMPLES:
        *out = sg->win;
        break;
    case CLEF_P_SPEC_STEP_SAMPLES:
        *out = sg->step;
        break;
    case CLEF_P_SPEC_NFFT:
        *out = sg->nfft;
        break;
    case CLEF_P_SPEC_NW:
        *out = sg->nw;
        break;
    /* MNE _compute_mt_params inverted: bandwidth = 2 half_nbw sfreq / n_times */
    case CLEF_P_SPEC_BANDWIDTH_HZ:
        *out = 2.0 * sg->nw * sg->fs / sg->win;
        break;
    case CLEF_P_SPEC_N_TAPERS:
        *out = sg->n_tapers;
        break;
    case CLEF_P_SPEC_EIG_MIN:
        *out = sg->eig_min;
        break;
    case CLEF_P_SPEC_FMIN_HZ:
        *out = sg->bin0 * df;
        break;
    case CLEF_P_SPEC_FMAX_HZ:
        *out = (sg->bin0 + sg->n_freq) * df;
        break;
    case CLEF_P_SPEC_DB_MIN:
        *out = sg->db_min;
        break;
    case CLEF_P_SPEC_DB_MAX:
        *out = sg->db_max;
        break;
    default:
        return CLEF_ERR_INVALID_ARG;
    }
    return CLEF_OK;
}

const char *clef_spectrogram_param_str(const clef_spectrogram *sg, int32_t key) {
    if (sg == NULL)
        return NULL;
    switch (key) {
    case CLEF_P_SPEC_DETREND:
        return k_detrend[sg->detrend];
    case CLEF_P_SPEC_SCALE:
        return k_scale[sg->scale];
    case CLEF_P_SPEC_EDGE:
        return k_edge[sg->edge];
    case CLEF_P_SPEC_WEIGHTING:
        return k_weight[sg->weighting];
    default:
        return NULL;
    }
}

/* ---- per-window kernel ---- */

/* Scratch sub-buffers, each rounded up to 64 bytes so every one stays SIMD/FFTW aligned. */
static size_t round64(size_t n) { return (n + 63u) & ~(size_t)63u; }

size_t clefi_spec_scratch_bytes(const clef_spectrogram *sg) {
    size_t nc = (size_t)sg->nfft / 2 + 1, k = (size_t)sg->n_tapers;
    return round64((size_t)sg->win * sizeof(float)) +
           round64(k * (size_t)sg->nfft * sizeof(float)) + round64(k * nc * 2 * sizeof(float)) +
           round64((size_t)sg->n_freq * sizeof(float));
}

void clefi_spec_scratch_carve(const clef_spectrogram *sg, clefi_spec_scratch *s, void *mem) {
    size_t nc = (size_t)sg->nfft / 2 + 1, k = (size_t)sg->n_tapers;
    unsigned char *p = mem;
    s->xf = (float *)p;
    p += round64((size_t)sg->win * sizeof(float));
    s->in = (float *)p;
    p += round64(k * (size_t)sg->nfft * sizeof(float));
    s->spec = (float *)p;
    p += round64(k * nc * 2 * sizeof(float));
    s->pow = (float *)p;
    /* zero padding up to nfft: r2c out-of-place preserves its input, so it stays zero (the block
     * may have served another spectrogram before) */
    memset(s->in, 0, k * (size_t)sg->nfft * sizeof(float));
}

/* Remove the mean (MNE remove_dc) or the least-squares line (scipy.signal.detrend 'linear'). */
static void detrend(int mode, double *x, int32_t n) {
    if (mode == CLEFI_DETREND_NONE)
        return;
    double sum = 0.0;
    for (int32_t i = 0; i < n; i++)
        sum += x[i];
    double mean = sum / n, slope = 0.0, c = (n - 1) / 2.0;
    if (mode == CLEFI_DETREND_LINEAR) {
        double stx = 0.0, stt = 0.0;
        for (int32_t i = 0; i < n; i++) {
            double t = i - c;
            stx += t * x[i];
            stt += t * t;
        }
        slope = stx / stt;
    }
    for (int32_t i = 0; i < n; i++)
        x[i] -= mean + slope * (i - c);
}

/* log2 of a positive normal float to ~1e-7: exponent plus the atanh series of the mantissa
 * (ln m = 2 atanh((m-1)/(m+1)), m in [0.707, 1.414)); vectorizable, no libm call per bin. */
static inline float log2_pos(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    int32_t e = (int32_t)((u >> 23) & 0xffu) - 127;
    u = (u & 0x7fffffu) | 0x3f800000u;
    float m;
    memcpy(&m, &u, sizeof m);
    /* m > sqrt(2): halve it through its exponent bits; branch-free so the loop vectorizes */
    int32_t big = -(int32_t)(m > 1.41421356f);
    u -= (uint32_t)big & 0x00800000u;
    memcpy(&m, &u, sizeof m);
    e -= big;
    float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
    float series = 1.0f + s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7 + s2 * (1.0f / 9))));
    return (float)e + 2.0f * s * series * 1.4426950408889634f;
}

/* Power (n values) to the output scale, written with a stride. */
static void scale_out(const clef_spectrogram *sg, float *p, int32_t n, float *out, size_t stride) {
    if (sg->scale == CLEFI_SCALE_DB) {
        /* clamping first makes zero power db_min and keeps the log argument normal */
        const float lo = sg->p_lo, hi = sg->p_hi, dlo = (float)sg->db_min;
        const float dhi = (float)sg->db_max;
        for (int32_t b = 0; b < n; b++) {
            float v = p[b];
            v = v < lo ? lo : v;
            v = v > hi ? hi : v;
            float db = 3.0102999566398120f * log2_pos(v); /* 10 log10(2) log2(v) */
            db = db < dlo ? dlo : db;
            p[b] = db > dhi ? dhi : db;
        }
    } else if (sg->scale == CLEFI_SCALE_LOG1P) {
        for (int32_t b = 0; b < n; b++)
            p[b] = (float)log1p((double)p[b]);
    }
    for (int32_t b = 0; b < n; b++)
        out[(size_t)b * stride] = p[b];
}

/* One-sided doubling is in the weights; undo it at DC and, for even nfft, at Nyquist (MNE
 * _mt_spectra divides those bins by sqrt(2)). */
static double edge_factor(const clef_spectrogram *sg, int32_t bin) {
    return (bin == 0 || (sg->nfft % 2 == 0 && bin == sg->nfft / 2)) ? 0.5 : 1.0;
}

/* Sum of x[i] * (i - c)^p for p = 0 or 1, in double with four fixed partial sums: independent
 * add chains (fast) in a fixed order (deterministic). */
static double moment_f(const float *x, int32_t n, double c, int p) {
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int32_t i = 0;
    if (p == 0) {
        for (; i + 4 <= n; i += 4) {
            a0 += x[i];
            a1 += x[i + 1];
            a2 += x[i + 2];
            a3 += x[i + 3];
        }
        for (; i < n; i++)
            a0 += x[i];
    } else {
        for (; i + 4 <= n; i += 4) {
            a0 += (i - c) * x[i];
            a1 += (i + 1 - c) * x[i + 1];
            a2 += (i + 2 - c) * x[i + 2];
            a3 += (i + 3 - c) * x[i + 3];
        }
        for (; i < n; i++)
            a0 += (i - c) * x[i];
    }
    return (a0 + a1) + (a2 + a3);
}

int clefi_spec_frame(const clef_spectrogram *sg, clefi_spec_scratch *s, const float *row, int64_t n,
                     int64_t start, float *out, size_t out_stride) {
    const int32_t win = sg->win, nfft = sg->nfft, k_count = sg->n_tapers, nf = sg->n_freq;
    const int32_t nc = nfft / 2 + 1;
    const float *src = row + start;
    if (start < 0 || start + win > n) { /* crosses an edge: gather with zero padding */
        for (int32_t i = 0; i < win; i++) {
            int64_t t = start + i;
            s->xf[i] = (t >= 0 && t < n) ? row[t] : 0.0f;
        }
        src = s->xf;
    }
    double sum = moment_f(src, win, 0.0, 0), c = (win - 1) / 2.0, mean = 0.0, slope = 0.0;
    if (!isfinite(sum)) {
        for (int32_t b = 0; b < nf; b++)
            out[(size_t)b * out_stride] = 0.0f;
        return 0;
    }
    /* detrend as MNE remove_dc (mean) or scipy.signal.detrend 'linear' (least-squares line) */
    if (sg->detrend != CLEFI_DETREND_NONE)
        mean = sum / win;
    if (sg->detrend == CLEFI_DETREND_LINEAR)
        slope = moment_f(src, win, c, 1) / sg->t2sum;
    for (int32_t i = 0; i < win; i++)
        s->xf[i] = (float)((double)src[i] - (mean + slope * (i - c)));
    /* taper-major batch: each FFT input row is contiguous, the window stays in L1 */
    for (int32_t k = 0; k < k_count; k++) {
        const float *tp = sg->taper_f + (size_t)k * win;
        float *dst = s->in + (size_t)k * nfft;
        for (int32_t i = 0; i < win; i++)
            dst[i] = s->xf[i] * tp[i];
    }
    clefi_fft_execute(sg->fft_f, s->in, s->spec);
    float *pw = s->pow;
    for (int32_t b = 0; b < nf; b++)
        pw[b] = 0.0f;
    for (int32_t k = 0; k < k_count; k++) {
        const float *cx = s->spec + ((size_t)k * nc + (size_t)sg->bin0) * 2;
        const float wk = sg->weight_f[k];
        for (int32_t b = 0; b < nf; b++)
            pw[b] += wk * (cx[2 * b] * cx[2 * b] + cx[2 * b + 1] * cx[2 * b + 1]);
    }
    pw[0] *= (float)edge_factor(sg, sg->bin0);
    if (nf > 1)
        pw[nf - 1] *= (float)edge_factor(sg, sg->bin0 + nf - 1);
    scale_out(sg, pw, nf, out, out_stride);
    return 1;
}

clef_status clefi_spec_window_psd_f64(const clef_spectrogram *sg, const double *x, double *psd) {
    clef_ctx *ctx = sg->ctx;
    size_t nc = (size_t)sg->nfft / 2 + 1, k_count = (size_t)sg->n_tapers;
    double *xd = clefi_malloc(ctx, (size_t)sg->win * sizeof(double));
    double *in = clefi_malloc_aligned(ctx, k_count * (size_t)sg->nfft * sizeof(double));
    double *spec = clefi_malloc_aligned(ctx, k_count * nc * 2 * sizeof(double));
    clef_status rc = CLEF_ERR_NOMEM;
    if (xd != NULL && in != NULL && spec != NULL) {
        memcpy(xd, x, (size_t)sg->win * sizeof(double));
        detrend(sg->detrend, xd, sg->win);
        memset(in, 0, k_count * (size_t)sg->nfft * sizeof(double));
        for (size_t k = 0; k < k_count; k++)
            for (int32_t i = 0; i < sg->win; i++)
                in[k * sg->nfft + i] = xd[i] * sg->taper_d[k * sg->win + i];
        clefi_fft_execute(sg->fft_d, in, spec);
        for (int32_t b = 0; b < sg->n_freq; b++) {
            double acc = 0.0;
            for (size_t k = 0; k < k_count; k++) {
                const double *c = spec + (k * nc + (size_t)(sg->bin0 + b)) * 2;
                acc += sg->weight[k] * (c[0] * c[0] + c[1] * c[1]);
            }
            psd[b] = acc * edge_factor(sg, sg->bin0 + b);
        }
        rc = CLEF_OK;
    }
    clefi_free(ctx, xd);
    clefi_free_aligned(ctx, in);
    clefi_free_aligned(ctx, spec);
    return rc;
}
