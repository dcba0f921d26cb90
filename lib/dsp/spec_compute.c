/* spec_compute.c — batch spectrogram over a recording, axes and getters.
 * SPDX-License-Identifier: BSD-3-Clause */
#include "dsp_int.h"

#include <math.h>

int64_t clef_spectrogram_n_freqs(const clef_spectrogram *sg) { return sg ? sg->n_freq : 0; }
int64_t clef_spectrogram_n_tapers(const clef_spectrogram *sg) { return sg ? sg->n_tapers : 0; }
int64_t clef_spectrogram_window(const clef_spectrogram *sg) { return sg ? sg->win : 0; }
int64_t clef_spectrogram_step(const clef_spectrogram *sg) { return sg ? sg->step : 0; }

int64_t clef_spectrogram_n_frames(const clef_spectrogram *sg, int64_t n_samples) {
    if (sg == NULL || n_samples < 0 || n_samples > INT64_MAX / 2)
        return 0;
    int64_t total = n_samples + 2 * (int64_t)sg->pad;
    return total < sg->win ? 0 : (total - sg->win) / sg->step + 1;
}

/* Shared size check of the axis/taper getters. */
static clef_status want(size_t need, size_t cap, const void *buf, size_t *needed) {
    if (needed != NULL)
        *needed = need;
    return (need > 0 && buf == NULL) || cap < need ? CLEF_ERR_BUFFER_TOO_SMALL : CLEF_OK;
}

clef_status clef_spectrogram_freqs(const clef_spectrogram *sg, double *out, size_t cap,
                                   size_t *needed) {
    if (sg == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = want((size_t)sg->n_freq, cap, out, needed);
    if (rc != CLEF_OK)
        return rc;
    for (int32_t b = 0; b < sg->n_freq; b++)
        out[b] = (double)(sg->bin0 + b) * sg->fs / sg->nfft;
    return CLEF_OK;
}

clef_status clef_spectrogram_times(const clef_spectrogram *sg, int64_t n_samples, double *out,
                                   size_t cap, size_t *needed) {
    if (sg == NULL || n_samples < 0)
        return CLEF_ERR_INVALID_ARG;
    int64_t nfr = clef_spectrogram_n_frames(sg, n_samples);
    clef_status rc = want((size_t)nfr, cap, out, needed);
    if (rc != CLEF_OK)
        return rc;
    for (int64_t k = 0; k < nfr; k++)
        out[k] = ((double)k * sg->step - sg->pad + sg->win / 2.0) / sg->fs;
    return CLEF_OK;
}

clef_status clef_spectrogram_tapers(const clef_spectrogram *sg, double *tapers, size_t cap,
                                    size_t *needed, double *eigenvalues) {
    if (sg == NULL)
        return CLEF_ERR_INVALID_ARG;
    size_t need = (size_t)sg->n_tapers * (size_t)sg->win;
    clef_status rc = want(need, cap, tapers, needed);
    if (rc != CLEF_OK)
        return rc;
    for (size_t i = 0; i < need; i++)
        tapers[i] = sg->taper_d[i];
    for (int32_t j = 0; eigenvalues != NULL && j < sg->n_tapers; j++)
        eigenvalues[j] = sg->eig[j];
    return CLEF_OK;
}

/* ---- batch ---- */

typedef struct batch_job {
    const clef_spectrogram *sg;
    const float *x;
    size_t stride;
    int64_t n, n_frames;
    float *out;
    clefi_spec_scratch *scratch; /* one per worker */
    int *bad;                    /* one flag per worker */
} batch_job;

/* Items are (channel, frame) pairs in output order; the static partition of the pool and a
 * thread-independent kernel make the output the same for any thread count. */
static void batch_range(void *arg, int64_t begin, int64_t end, int32_t tid) {
    batch_job *j = arg;
    const clef_spectrogram *sg = j->sg;
    for (int64_t i = begin; i < end; i++) {
        int64_t ch = i / j->n_frames, k = i % j->n_frames;
        float *o = j->out + (size_t)ch * (size_t)sg->n_freq * (size_t)j->n_frames + (size_t)k;
        if (!clefi_spec_frame(sg, &j->scratch[tid], j->x + (size_t)ch * j->stride, j->n,
                              k * sg->step - sg->pad, o, (size_t)j->n_frames))
            j->bad[tid] = 1;
    }
}

/* Name the first non-finite sample that a frame reads (error path only). */
static clef_status report_nonfinite(clef_session *s, const batch_job *j, int64_t n_ch) {
    const clef_spectrogram *sg = j->sg;
    for (int64_t ch = 0; ch < n_ch; ch++) {
        const float *row = j->x + (size_t)ch * j->stride;
        for (int64_t k = 0; k < j->n_frames; k++) {
            int64_t st = k * sg->step - sg->pad;
            for (int64_t t = st < 0 ? 0 : st; t < st + sg->win && t < j->n; t++)
                if (!isfinite(row[t]))
                    return clefi_session_error(s, CLEF_ERR_FORMAT,
                                               "spectrogram input channel %lld sample %lld is %g",
                                               (long long)ch, (long long)t, (double)row[t]);
        }
    }
    return clefi_session_error(s, CLEF_ERR_FORMAT, "spectrogram input is not finite");
}

static clef_status check_args(clef_session *s, const clef_spectrogram *sg, const float *x,
                              size_t row_stride, int64_t n_ch, int64_t n_samples, size_t *need) {
    if (x == NULL || n_ch < 1 || n_samples < 1 || row_stride < (size_t)n_samples ||
        (n_ch > 1 && row_stride > SIZE_MAX / (size_t)n_ch))
        return clefi_session_error(
            s, CLEF_ERR_INVALID_ARG,
            "spectrogram input %s, %lld channels, %lld samples, row stride %zu (need data, "
            ">= 1 channel, >= 1 sample, stride >= samples)",
            x == NULL ? "NULL" : "given", (long long)n_ch, (long long)n_samples, row_stride);
    int64_t nfr = clef_spectrogram_n_frames(sg, n_samples);
    if (nfr == 0)
        return clefi_session_error(
            s, CLEF_ERR_SHAPE, "spectrogram input of %lld samples is shorter than one window (%d)",
            (long long)n_samples, (int)sg->win);
    size_t a;
    if (clefi_mul_overflow((size_t)n_ch, (size_t)sg->n_freq, &a) ||
        clefi_mul_overflow(a, (size_t)nfr, need))
        return clefi_session_error(s, CLEF_ERR_OVERFLOW, "spectrogram output size overflows");
    return CLEF_OK;
}

static clef_status run(clef_session *s, const clef_spectrogram *sg, const float *x,
                       size_t row_stride, int64_t n_ch, int64_t n_samples, float *out, size_t cap,
                       size_t *needed) {
    size_t need = 0;
    clef_status rc = check_args(s, sg, x, row_stride, n_ch, n_samples, &need);
    if (rc != CLEF_OK)
        return rc;
    if (needed != NULL)
        *needed = need;
    if (out == NULL || cap < need)
        return clefi_session_error(s, CLEF_ERR_BUFFER_TOO_SMALL,
                                   "spectrogram output needs %zu floats, capacity %zu", need, cap);
    int64_t n_frames = clef_spectrogram_n_frames(sg, n_samples);
    int32_t nt = clefi_pool_size(s->pool);
    /* per-thread frame scratch, then the thread table and flags: all in one session slot */
    size_t per = clefi_spec_scratch_bytes(sg), head = (size_t)nt * sizeof(clefi_spec_scratch),
           flags = (size_t)nt * sizeof(int), bytes;
    head = (head + 63u) & ~(size_t)63u;
    if (clefi_mul_overflow(per, (size_t)nt, &bytes) || clefi_add_overflow(bytes, head, &bytes) ||
        clefi_add_overflow(bytes, flags, &bytes))
        return clefi_session_error(s, CLEF_ERR_OVERFLOW, "spectrogram scratch size overflows");
    unsigned char *mem = clefi_session_slot(s, CLEFI_SLOT_SPEC, bytes);
    if (mem == NULL)
        return CLEF_ERR_NOMEM; /* message on the session */
    clefi_spec_scratch *scratch = (clefi_spec_scratch *)mem;
    int *bad = (int *)(mem + head + (size_t)nt * per);
    for (int32_t t = 0; t < nt; t++) {
        clefi_spec_scratch_carve(sg, &scratch[t], mem + head + (size_t)t * per);
        bad[t] = 0;
    }
    batch_job job = {sg, x, row_stride, n_samples, n_frames, out, scratch, bad};
    clefi_pool_for(s->pool, n_ch * n_frames, batch_range, &job);
    for (int32_t t = 0; t < nt; t++)
        if (bad[t])
            return report_nonfinite(s, &job, n_ch);
    return CLEF_OK;
}

clef_status clef_spectrogram_compute(const clef_spectrogram *sg, clef_session *s, const float *x,
                                     size_t row_stride, int64_t n_ch, int64_t n_samples, float *out,
                                     size_t cap, size_t *needed) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    if (sg == NULL)
        return clefi_session_error(s, CLEF_ERR_INVALID_ARG, "spectrogram is NULL");
    return run(s, sg, x, row_stride, n_ch, n_samples, out, cap, needed);
}
