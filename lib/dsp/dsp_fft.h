/*
 * dsp_fft.h — libclef module 'dsp', interface header: the FFT backend, for other modules that
 * declare dsp among their DEPS (lib/clinical's Welch band power). docs/ARCHITECTURE.md section 2.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef CLEF_DSP_FFT_H
#define CLEF_DSP_FFT_H

#include "core_int.h"

/* ---- FFT backend ----
 * The only place that includes fftw3.h. Other backends (e.g. pocketfft, cuFFT) can be added
 * behind this interface without touching callers.
 *
 * A plan is made once (the FFTW planner is not thread-safe: creation and destruction take a
 * global planner mutex) and executed from any number of threads on new arrays. Arrays passed
 * to execute must be 64-byte aligned (clefi_malloc_aligned) like the ones used for planning. */
typedef struct clefi_fft clefi_fft;

/** Batched real-to-complex forward transform of length n, howmany transforms.
 *  Input: howmany rows of n reals (row stride n). Output: howmany rows of n/2+1 complex values
 *  (interleaved re, im; row stride n/2+1 complex). */
CLEFI_HIDDEN clef_status clefi_fft_create_r2c_f32(clefi_fft **out, clef_ctx *ctx, int32_t n,
                                                  int32_t howmany);
CLEFI_HIDDEN clef_status clefi_fft_create_r2c_f64(clefi_fft **out, clef_ctx *ctx, int32_t n,
                                                  int32_t howmany);
CLEFI_HIDDEN void clefi_fft_free(clefi_fft *fft);
/** in is float* or double* (matching the plan), out the complex buffer; both aligned. */
CLEFI_HIDDEN void clefi_fft_execute(const clefi_fft *fft, void *in, void *out);
CLEFI_HIDDEN int32_t clefi_fft_length(const clefi_fft *fft);

#endif /* CLEF_DSP_FFT_H */
