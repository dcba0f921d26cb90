/* bandpower.c — band-power baseline embedding: log10 power per channel in the delta, theta,
 * alpha and beta bands from a Welch periodogram. SPDX-License-Identifier: BSD-3-Clause
 *
 * Welch's method as scipy.signal.welch(x, fs, window='hann', nperseg=2*fs, noverlap=fs,
 * detrend='constant', scaling='density', average='mean'): 2 s periodic-Hann segments with
 * 50 % overlap, each mean-removed; one-sided PSD in uV^2/Hz. Band power = sum of PSD bins with
 * lo <= f < hi, times the bin width. Bands after the IFCN glossary (Kane et al., Clin
 * Neurophysiol Pract 2017): delta 1-4, theta 4-8, alpha 8-13, beta 13-30 Hz. */
#include "clinical_int.h"

#include "dsp_fft.h"

#include <math.h>
#include <string.h>

static const double k_bands[CLEFI_N_BANDS][2] = {{1.0, 4.0}, {4.0, 8.0}, {8.0, 13.0}, {13.0, 30.0}};

/* Floor added before the log so a flat (zero-filled) channel gives a finite feature (uV^2). */
#define BANDPOWER_FLOOR 1e-6

typedef struct welch {
    clefi_fft *fft;
    int32_t nseg;
    double *win, *seg, *spec, *psd; /* seg and spec are FFT-aligned */
    double win_norm;                /* 1 / (fs * sum w^2) */
} welch;

static void welch_free(clef_ctx *ctx, welch *w) {
    clefi_fft_free(w->fft);
    clefi_free(ctx, w->win);
    clefi_free_aligned(ctx, w->seg);
    clefi_free_aligned(ctx, w->spec);
    clefi_free(ctx, w->psd);
}

static clef_status welch_init(clef_ctx *ctx, welch *w, int32_t nseg, double fs) {
    memset(w, 0, sizeof *w);
    w->nseg = nseg;
    size_t nb = (size_t)nseg / 2 + 1;
    clef_status rc = clefi_fft_create_r2c_f64(&w->fft, ctx, nseg, 1);
    if (rc != CLEF_OK)
        return rc;
    w->win = clefi_calloc(ctx, (size_t)nseg, sizeof *w->win);
    w->seg = clefi_malloc_aligned(ctx, (size_t)nseg * sizeof *w->seg);
    w->spec = clefi_malloc_aligned(ctx, 2 * nb * sizeof *w->spec);
    w->psd = clefi_calloc(ctx, nb, sizeof *w->psd);
    if (w->win == NULL || w->seg == NULL || w->spec == NULL || w->psd == NULL) {
        welch_free(ctx, w);
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate Welch buffers");
    }
    const double pi = 3.14159265358979323846;
    double s2 = 0.0;
    for (int32_t i = 0; i < nseg; i++) { /* periodic Hann (scipy.signal.get_window) */
        w->win[i] = 0.5 - 0.5 * cos(2.0 * pi * i / nseg);
        s2 += w->win[i] * w->win[i];
    }
    w->win_norm = 1.0 / (fs * s2);
    return CLEF_OK;
}

/* Averaged one-sided PSD of one channel into w->psd. */
static void welch_channel(welch *w, const float *x, int64_t n) {
    int32_t L = w->nseg, step = L / 2;
    size_t nb = (size_t)L / 2 + 1;
    int64_t k_segs = 1 + (n - L) / step;
    memset(w->psd, 0, nb * sizeof *w->psd);
    for (int64_t k = 0; k < k_segs; k++) {
        const float *s = x + k * step;
        double mean = 0.0;
        for (int32_t i = 0; i < L; i++)
            mean += s[i];
        mean /= L;
        for (int32_t i = 0; i < L; i++)
            w->seg[i] = ((double)s[i] - mean) * w->win[i];
        clefi_fft_execute(w->fft, w->seg, w->spec);
        for (size_t b = 0; b < nb; b++) {
            double re = w->spec[2 * b], im = w->spec[2 * b + 1];
            w->psd[b] += re * re + im * im;
        }
    }
    for (size_t b = 0; b < nb; b++) {
        /* one-sided: double every bin but DC and (even L) Nyquist */
        double one_sided = (b == 0 || (L % 2 == 0 && b == nb - 1)) ? 1.0 : 2.0;
        w->psd[b] *= one_sided * w->win_norm / (double)k_segs;
    }
}

clef_status clef_bandpower_embed(clef_ctx *ctx, const float *x, int64_t n_ch, int64_t n_samples,
                                 int64_t stride, double fs, float *out, size_t cap,
                                 size_t *needed) {
    clefi_reset(ctx);
    if (needed != NULL)
        *needed = 0;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (n_ch < 1 || n_ch > 4096)
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE, "n_ch %lld outside [1, 4096]", (long long)n_ch);
    size_t dim = (size_t)n_ch * CLEFI_N_BANDS;
    if (needed != NULL)
        *needed = dim;
    if (!(fs >= 64.0 && fs <= 100000.0))
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE,
                               "fs %g Hz outside [64, 100000] (beta reaches 30 Hz)", fs);
    int32_t nseg = (int32_t)lround(2.0 * fs);
    if (x == NULL || n_samples < nseg || stride < n_samples)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                               "bandpower needs >= %d samples (2 s) and stride >= n_samples "
                               "(got %lld, stride %lld)",
                               (int)nseg, (long long)n_samples, (long long)stride);
    if (out == NULL || cap < dim)
        return clefi_ctx_error(ctx, CLEF_ERR_BUFFER_TOO_SMALL,
                               "bandpower output needs %zu floats, capacity %zu", dim, cap);
    welch w;
    clef_status rc = welch_init(ctx, &w, nseg, fs);
    if (rc != CLEF_OK)
        return rc;
    double df = fs / nseg;
    size_t nb = (size_t)nseg / 2 + 1;
    for (int64_t c = 0; c < n_ch; c++) {
        welch_channel(&w, x + (size_t)c * (size_t)stride, n_samples);
        for (int b = 0; b < CLEFI_N_BANDS; b++) {
            double p = 0.0;
            for (size_t k = 0; k < nb; k++) {
                double f = (double)k * df;
                if (f >= k_bands[b][0] && f < k_bands[b][1])
                    p += w.psd[k];
            }
            out[(size_t)c * CLEFI_N_BANDS + (size_t)b] = (float)log10(p * df + BANDPOWER_FLOOR);
        }
    }
    welch_free(ctx, &w);
    return CLEF_OK;
}
