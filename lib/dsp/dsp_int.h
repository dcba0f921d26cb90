/*
 * dsp_int.h — libclef module 'dsp', private header: DPSS tapers and the multitaper spectrogram,
 * on top of its interface dsp_fft.h (the FFT backend). Other modules include dsp_fft.h only.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef CLEF_DSP_INT_H
#define CLEF_DSP_INT_H

#include "dsp_fft.h"

/* ---- DPSS (dpss.c) ---- */
#define CLEFI_DPSS_MAX_N 65536

/** Validate DPSS arguments (1 <= n <= CLEFI_DPSS_MAX_N, 1 <= k <= n, 0 < nw < n/2). */
CLEFI_HIDDEN clef_status clefi_dpss_check(clef_ctx *ctx, clefi_err *err, int64_t n, double nw,
                                          int64_t k);
/** scipy.signal.windows.dpss(n, nw, k, sym, norm=2, return_ratios=True) into tapers [k][n] and
 *  ratios [k] (may be NULL). */
CLEFI_HIDDEN clef_status clefi_dpss(clef_ctx *ctx, clefi_err *err, int64_t n, double nw, int64_t k,
                                    int sym, double *tapers, double *ratios);

/* ---- multitaper spectrogram (spectrogram.c, spec_stream.c) ---- */
enum clefi_detrend { CLEFI_DETREND_NONE, CLEFI_DETREND_CONSTANT, CLEFI_DETREND_LINEAR };
enum clefi_scale { CLEFI_SCALE_DB, CLEFI_SCALE_LOG1P, CLEFI_SCALE_LINEAR };

struct clef_spectrogram {
    clef_ctx *ctx;
    atomic_int refs; /* the caller's reference plus one per stream */
    double fs;
    int32_t win, step, nfft, pad;        /* pad: zeros before the first and after the last sample */
    int32_t n_tapers, bin0, n_freq;      /* kept bins: bin0 .. bin0 + n_freq - 1 */
    int detrend, scale, weighting, edge; /* indices into the key's names (spectrogram.c) */
    double eig_min;                      /* CLEF_P_SPEC_EIG_MIN as given (kept for getters) */
    double nw, db_min, db_max;
    double t2sum;     /* sum over the window of (i - (win-1)/2)^2: linear detrend */
    float p_lo, p_hi; /* db: power clamped to [10^(db_min/10), 10^(db_max/10)] before log */
    float *taper_f;   /* [n_tapers][win], aligned */
    double *taper_d;  /* [n_tapers][win] */
    double *eig;      /* [n_tapers] concentration ratios */
    double *weight;   /* [n_tapers]: 2 w_j / (fs sum w): one-sided, 'full' normalization */
    float *weight_f;  /* the same in float, for the hot path */
    clefi_fft *fft_f; /* r2c, nfft, howmany n_tapers */
    clefi_fft *fft_d; /* same in double: the reference path */
};

/** One thread's scratch for clefi_spec_frame: window, tapered batch, spectra, powers. */
typedef struct clefi_spec_scratch {
    float *xf;   /* [win] */
    float *in;   /* [n_tapers][nfft], aligned */
    float *spec; /* [n_tapers][nfft/2+1] complex, aligned */
    float *pow;  /* [n_freq] */
} clefi_spec_scratch;

/** Bytes of one thread's scratch (a 64-byte aligned block: clefi_spec_scratch_carve()). */
CLEFI_HIDDEN size_t clefi_spec_scratch_bytes(const clef_spectrogram *sg);
/** Lay s out in mem (clefi_spec_scratch_bytes(sg) bytes, 64-byte aligned). */
CLEFI_HIDDEN void clefi_spec_scratch_carve(const clef_spectrogram *sg, clefi_spec_scratch *s,
                                           void *mem);
/** One frame: window samples [start, start + win) of a row of n samples (zeros outside), written
 *  to out[b * out_stride], b < n_freq. Returns 0 if a sample read is not finite. */
CLEFI_HIDDEN int clefi_spec_frame(const clef_spectrogram *sg, clefi_spec_scratch *s,
                                  const float *row, int64_t n, int64_t start, float *out,
                                  size_t out_stride);
/** Double-precision reference of one window's PSD (linear uV^2/Hz, n_freq values), with the
 *  double FFT plan and tapers; for parity tests. Returns CLEF_ERR_NOMEM or CLEF_OK. */
CLEFI_HIDDEN clef_status clefi_spec_window_psd_f64(const clef_spectrogram *sg, const double *x,
                                                   double *psd);

#endif /* CLEF_DSP_INT_H */
