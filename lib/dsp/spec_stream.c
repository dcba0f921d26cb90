/* spec_stream.c — streaming spectrogram: chunks of any size in, frames out as windows complete.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Positions count the padded signal (pad leading zeros, then the samples). The buffer holds the
 * samples [pos - fill, pos) of every channel; frame k needs [k*step, k*step + win). The frame
 * kernel is the batch one on a buffer holding exactly the window, so output is bit-identical. */
#include "dsp_int.h"

#include <math.h>
#include <string.h>

struct clef_spectrogram_stream {
    clef_spectrogram *sg; /* a reference of its own (the handle is immutable; only refs change) */
    int64_t n_ch;
    float *buf; /* [n_ch][win] */
    void *scratch_mem;
    int64_t pos, fill, emitted;
    int finished;
    clefi_spec_scratch scratch;
    clefi_err err;
};

clef_status clef_spectrogram_stream_create(clef_spectrogram_stream **out, clef_session *s,
                                           const clef_spectrogram *sg, int64_t n_ch) {
    if (out == NULL || s == NULL)
        return CLEF_ERR_INVALID_ARG;
    *out = NULL;
    clefi_session_begin(s);
    if (sg == NULL)
        return clefi_session_error(s, CLEF_ERR_INVALID_ARG, "stream: spectrogram is NULL");
    if (n_ch < 1 || n_ch > INT32_MAX)
        return clefi_session_error(s, CLEF_ERR_INVALID_ARG,
                                   "stream: channel count %lld is not in [1, 2^31)",
                                   (long long)n_ch);
    clef_ctx *ctx = sg->ctx;
    clef_spectrogram_stream *st = clefi_calloc(ctx, 1, sizeof *st);
    size_t nbuf;
    if (st == NULL || clefi_mul_overflow((size_t)n_ch, (size_t)sg->win, &nbuf) ||
        (st->buf = clefi_calloc(ctx, nbuf, sizeof(float))) == NULL ||
        (st->scratch_mem = clefi_malloc_aligned(ctx, clefi_spec_scratch_bytes(sg))) == NULL) {
        if (st != NULL)
            clefi_free(ctx, st->buf);
        clefi_free(ctx, st);
        return clefi_session_error(s, CLEF_ERR_NOMEM,
                                   "stream: no memory for %lld channels of a %d-sample window",
                                   (long long)n_ch, (int)sg->win);
    }
    clefi_spec_scratch_carve(sg, &st->scratch, st->scratch_mem);
    st->sg = (clef_spectrogram *)sg; /* const: only the atomic reference count changes */
    atomic_fetch_add(&st->sg->refs, 1);
    st->n_ch = n_ch;
    /* the leading zero padding is already in the (zeroed) buffer */
    st->pos = st->fill = sg->pad; /* pad = win/2 < win */
    *out = st;
    return CLEF_OK;
}

void clef_spectrogram_stream_free(clef_spectrogram_stream *st) {
    if (st == NULL)
        return;
    clef_spectrogram *sg = st->sg;
    clefi_free_aligned(sg->ctx, st->scratch_mem);
    clefi_free(sg->ctx, st->buf);
    clefi_free(sg->ctx, st);
    clef_spectrogram_free(sg);
}

/* Frames complete once the padded signal reaches total samples. */
static int64_t frames_at(const clef_spectrogram *sg, int64_t total) {
    return total < sg->win ? 0 : (total - sg->win) / sg->step + 1;
}

int64_t clef_spectrogram_stream_pending(const clef_spectrogram_stream *st, int64_t n_samples) {
    if (st == NULL || n_samples < 0 || st->finished || n_samples > INT64_MAX - st->pos)
        return 0;
    return frames_at(st->sg, st->pos + n_samples) - st->emitted;
}

int64_t clef_spectrogram_stream_frames(const clef_spectrogram_stream *st) {
    return st != NULL ? st->emitted : 0;
}

const char *clef_spectrogram_stream_errmsg(const clef_spectrogram_stream *st) {
    return st != NULL ? st->err.msg : "";
}

clef_status clef_spectrogram_stream_errcode(const clef_spectrogram_stream *st) {
    return st != NULL ? st->err.code : CLEF_ERR_INVALID_ARG;
}

/* Consume n samples per channel (x NULL: zeros), writing new frames to out [n_ch][n_freq][n_new].
 */
static void consume(clef_spectrogram_stream *st, const float *x, size_t stride, int64_t n,
                    float *out, int64_t n_new) {
    const clef_spectrogram *sg = st->sg;
    const int64_t win = sg->win;
    int64_t i = 0, j = 0;
    while (i < n) {
        int64_t s = st->emitted * sg->step; /* start of the next frame */
        if (st->pos < s) {                  /* step > win: skip samples no frame reads */
            int64_t skip = s - st->pos < n - i ? s - st->pos : n - i;
            i += skip;
            st->pos += skip;
            st->fill = 0;
            continue;
        }
        int64_t drop = (st->pos - st->fill) < s ? s - (st->pos - st->fill) : 0;
        if (drop > 0) {
            for (int64_t c = 0; c < st->n_ch; c++)
                memmove(st->buf + c * win, st->buf + c * win + drop,
                        (size_t)(st->fill - drop) * sizeof(float));
            st->fill -= drop;
        }
        int64_t take = s + win - st->pos < n - i ? s + win - st->pos : n - i;
        for (int64_t c = 0; c < st->n_ch; c++) {
            float *dst = st->buf + c * win + st->fill;
            if (x != NULL)
                memcpy(dst, x + (size_t)c * stride + (size_t)i, (size_t)take * sizeof(float));
            else
                memset(dst, 0, (size_t)take * sizeof(float));
        }
        i += take;
        st->pos += take;
        st->fill += take;
        if (st->pos == s + win) {
            for (int64_t c = 0; c < st->n_ch; c++)
                clefi_spec_frame(sg, &st->scratch, st->buf + c * win, win, 0,
                                 out + (size_t)c * (size_t)sg->n_freq * (size_t)n_new + (size_t)j,
                                 (size_t)n_new);
            j++;
            st->emitted++;
        }
    }
}

/* Validate, size, then consume: nothing changes on failure. */
static clef_status push(clef_spectrogram_stream *st, const float *x, size_t stride, int64_t n,
                        float *out, size_t cap, size_t *needed, int64_t *n_frames_out) {
    const clef_spectrogram *sg = st->sg;
    int64_t n_new = frames_at(sg, st->pos + n) - st->emitted;
    size_t need = (size_t)st->n_ch * (size_t)sg->n_freq; /* fits: the buffer was allocated */
    if (clefi_mul_overflow(need, (size_t)n_new, &need))
        return clefi_error(sg->ctx, &st->err, CLEF_ERR_OVERFLOW, "stream output size overflows");
    if (needed != NULL)
        *needed = need;
    if (need > 0 && (out == NULL || cap < need))
        return clefi_error(sg->ctx, &st->err, CLEF_ERR_BUFFER_TOO_SMALL,
                           "stream push emits %lld frames: needs %zu floats, capacity %zu",
                           (long long)n_new, need, cap);
    consume(st, x, stride, n, out, n_new);
    *n_frames_out = n_new;
    return CLEF_OK;
}

clef_status clef_spectrogram_stream_push(clef_spectrogram_stream *st, const float *x,
                                         size_t row_stride, int64_t n_samples, float *out,
                                         size_t cap, size_t *needed, int64_t *n_frames_out) {
    if (st == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_err_clear(&st->err);
    if (n_frames_out == NULL)
        return clefi_error(st->sg->ctx, &st->err, CLEF_ERR_INVALID_ARG, "n_frames_out is NULL");
    *n_frames_out = 0;
    clef_ctx *ctx = st->sg->ctx;
    if (st->finished)
        return clefi_error(ctx, &st->err, CLEF_ERR_STATE, "stream push after finish");
    if (n_samples < 0 || (n_samples > 0 && x == NULL) || row_stride < (size_t)n_samples ||
        n_samples > INT64_MAX / 2 - st->pos ||
        (st->n_ch > 1 && row_stride > SIZE_MAX / (size_t)st->n_ch))
        return clefi_error(ctx, &st->err, CLEF_ERR_INVALID_ARG,
                           "stream push of %lld samples, stride %zu", (long long)n_samples,
                           row_stride);
    for (int64_t c = 0; c < st->n_ch; c++)
        for (int64_t t = 0; t < n_samples; t++)
            if (!isfinite(x[(size_t)c * row_stride + (size_t)t]))
                return clefi_error(ctx, &st->err, CLEF_ERR_FORMAT,
                                   "stream input channel %lld sample %lld of the chunk is %g",
                                   (long long)c, (long long)t,
                                   (double)x[(size_t)c * row_stride + (size_t)t]);
    return push(st, x, row_stride, n_samples, out, cap, needed, n_frames_out);
}

clef_status clef_spectrogram_stream_finish(clef_spectrogram_stream *st, float *out, size_t cap,
                                           size_t *needed, int64_t *n_frames_out) {
    if (st == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_err_clear(&st->err);
    if (n_frames_out == NULL)
        return clefi_error(st->sg->ctx, &st->err, CLEF_ERR_INVALID_ARG, "n_frames_out is NULL");
    *n_frames_out = 0;
    if (st->finished)
        return clefi_error(st->sg->ctx, &st->err, CLEF_ERR_STATE, "stream finished twice");
    clef_status rc = push(st, NULL, 0, st->sg->pad, out, cap, needed, n_frames_out);
    if (rc == CLEF_OK)
        st->finished = 1;
    return rc;
}
