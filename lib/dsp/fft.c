/* fft.c — FFTW3 backend of the internal FFT interface. SPDX-License-Identifier: BSD-3-Clause
 *
 * FFTW is GPL-2.0-or-later: binaries linking it are covered by the GPL (see README). */
#include "dsp_int.h"

#include <fftw3.h>
#include <pthread.h>

/* FFTW's planner keeps global state: every plan creation and destruction is serialized. */
static pthread_mutex_t g_planner_mu = PTHREAD_MUTEX_INITIALIZER;

struct clefi_fft {
    clef_ctx *ctx;
    int32_t n;
    int32_t howmany;
    int is_double;
    fftwf_plan plan_f;
    fftw_plan plan_d;
};

static clef_status fft_create(clefi_fft **out, clef_ctx *ctx, int32_t n, int32_t howmany,
                              int is_double) {
    *out = NULL;
    if (n < 1 || howmany < 1)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "FFT length %d x %d must be positive",
                               (int)n, (int)howmany);
    size_t elem = is_double ? sizeof(double) : sizeof(float);
    size_t nc = (size_t)n / 2 + 1, in_bytes, out_bytes;
    if (clefi_mul_overflow((size_t)n * (size_t)howmany, elem, &in_bytes) ||
        clefi_mul_overflow(nc * (size_t)howmany, 2 * elem, &out_bytes))
        return clefi_ctx_error(ctx, CLEF_ERR_OVERFLOW, "FFT buffers %d x %d overflow", (int)n,
                               (int)howmany);
    clefi_fft *fft = clefi_calloc(ctx, 1, sizeof *fft);
    void *in = clefi_malloc_aligned(ctx, in_bytes);
    void *cout = clefi_malloc_aligned(ctx, out_bytes);
    if (fft == NULL || in == NULL || cout == NULL) {
        clefi_free(ctx, fft);
        clefi_free_aligned(ctx, in);
        clefi_free_aligned(ctx, cout);
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate FFT planning buffers");
    }
    fft->ctx = clefi_ctx_retain(ctx);
    fft->n = n;
    fft->howmany = howmany;
    fft->is_double = is_double;
    int len = n, inembed = n, onembed = (int)nc;
    /* FFTW_ESTIMATE: deterministic plans, no timing-dependent choice, instant creation. */
    pthread_mutex_lock(&g_planner_mu);
    if (is_double)
        fft->plan_d = fftw_plan_many_dft_r2c(1, &len, howmany, in, &inembed, 1, n, cout, &onembed,
                                             1, (int)nc, FFTW_ESTIMATE);
    else
        fft->plan_f = fftwf_plan_many_dft_r2c(1, &len, howmany, in, &inembed, 1, n, cout, &onembed,
                                              1, (int)nc, FFTW_ESTIMATE);
    pthread_mutex_unlock(&g_planner_mu);
    clefi_free_aligned(ctx, in);
    clefi_free_aligned(ctx, cout);
    if ((is_double && fft->plan_d == NULL) || (!is_double && fft->plan_f == NULL)) {
        clefi_fft_free(fft);
        return clefi_ctx_error(ctx, CLEF_ERR_INTERNAL, "FFTW could not plan length %d", (int)n);
    }
    *out = fft;
    return CLEF_OK;
}

clef_status clefi_fft_create_r2c_f32(clefi_fft **out, clef_ctx *ctx, int32_t n, int32_t howmany) {
    return fft_create(out, ctx, n, howmany, 0);
}

clef_status clefi_fft_create_r2c_f64(clefi_fft **out, clef_ctx *ctx, int32_t n, int32_t howmany) {
    return fft_create(out, ctx, n, howmany, 1);
}

void clefi_fft_free(clefi_fft *fft) {
    if (fft == NULL)
        return;
    pthread_mutex_lock(&g_planner_mu);
    if (fft->plan_f != NULL)
        fftwf_destroy_plan(fft->plan_f);
    if (fft->plan_d != NULL)
        fftw_destroy_plan(fft->plan_d);
    pthread_mutex_unlock(&g_planner_mu);
    clef_ctx *ctx = fft->ctx;
    clefi_free(ctx, fft);
    clefi_ctx_release(ctx);
}

void clefi_fft_execute(const clefi_fft *fft, void *in, void *out) {
    if (fft->is_double)
        fftw_execute_dft_r2c(fft->plan_d, in, out);
    else
        fftwf_execute_dft_r2c(fft->plan_f, in, out);
}

int32_t clefi_fft_length(const clefi_fft *fft) { return fft->n; }
