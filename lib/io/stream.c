/* stream.c — clef_stream: pushed sample chunks in, canonical 19-channel microvolts out, through
 * the same pipeline as clef_recording_read_canonical(). SPDX-License-Identifier: BSD-3-Clause */
#include "io_int.h"

#include <math.h>
#include <string.h>

struct clef_stream {
    clef_ctx *ctx;
    clefi_err err;
    int32_t n_ch;
    int32_t same_rate;
    int32_t finished;
    clefi_pipeline pl;
    float *tmp; /* de-interleave scratch */
    int64_t tmp_cap;
};

static clef_status stream_setup(clef_stream *s, int32_t n, const char *const *labels,
                                const double *rates, const char *const *units, const clef_params *p,
                                double *scales) {
    clef_ctx *ctx = s->ctx;
    clefi_io_opts o;
    clef_status rc = clefi_io_opts_read(&o, ctx, &ctx->err, p);
    if (rc != CLEF_OK)
        return rc;
    int32_t src[CLEF_N_CANONICAL];
    for (int32_t c = 0; c < CLEF_N_CANONICAL; c++)
        src[c] = -1;
    s->same_rate = 1;
    for (int32_t k = 0; k < n; k++) {
        if (labels[k] == NULL || !(rates[k] > 0) || !isfinite(rates[k]))
            return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                                   "channel %d: NULL label or rate %g Hz", (int)k, rates[k]);
        s->same_rate &= rates[k] == rates[0];
        int32_t cls, canon, map;
        clefi_channel_classify(labels[k], NULL, 0, &cls, &canon, &map);
        scales[k] = clefi_unit_uv_scale(units[k]);
        if (scales[k] == 0)
            scales[k] = o.unknown_scale;
        if (canon < 0 || src[canon] >= 0)
            continue;
        if (scales[k] == 0)
            return clefi_ctx_error(ctx, CLEF_ERR_UNSUPPORTED,
                                   "channel %d ('%s') has unit '%s', not a voltage; set "
                                   "io.unknown_unit",
                                   (int)k, labels[k], units[k] ? units[k] : "(null)");
        src[canon] = k;
    }
    int any = 0;
    for (int32_t c = 0; c < CLEF_N_CANONICAL; c++)
        any |= src[c] >= 0;
    if (!any)
        return clefi_ctx_error(ctx, CLEF_ERR_NOT_FOUND,
                               "no declared channel maps to a canonical channel (Fp1 ... O2)");
    return clefi_pipeline_init(&s->pl, ctx, &ctx->err, src, rates, scales, o.target_rate,
                               o.reference);
}

clef_status clef_stream_create(clef_stream **out, clef_ctx *ctx, int64_t n_channels,
                               const char *const *labels, const double *rates,
                               const char *const *units, const clef_params *p) {
    clefi_reset(ctx);
    if (out != NULL)
        *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (out == NULL || labels == NULL || rates == NULL || units == NULL || n_channels < 1 ||
        n_channels > INT32_MAX)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                               "clef_stream_create: NULL labels, rates or units, or %lld channels",
                               (long long)n_channels);
    clef_stream *s = clefi_calloc(ctx, 1, sizeof *s);
    double *scales = clefi_calloc(ctx, (size_t)n_channels, sizeof *scales);
    if (s == NULL || scales == NULL) {
        clefi_free(ctx, s);
        clefi_free(ctx, scales);
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "stream handle");
    }
    s->ctx = clefi_ctx_retain(ctx);
    s->n_ch = (int32_t)n_channels;
    clef_status rc = stream_setup(s, s->n_ch, labels, rates, units, p, scales);
    clefi_free(ctx, scales);
    if (rc != CLEF_OK) {
        clefi_ctx_release(ctx);
        clefi_free(ctx, s);
        return rc;
    }
    *out = s;
    return CLEF_OK;
}

void clef_stream_free(clef_stream *s) {
    if (s == NULL)
        return;
    clef_ctx *ctx = s->ctx;
    clefi_pipeline_free(&s->pl);
    clefi_free(ctx, s->tmp);
    clefi_free(ctx, s);
    clefi_ctx_release(ctx);
}

const char *clef_stream_errmsg(const clef_stream *s) { return s != NULL ? s->err.msg : ""; }

uint32_t clef_stream_present_mask(const clef_stream *s) { return s != NULL ? s->pl.mask : 0; }

static clef_status check_push(clef_stream *s) {
    if (s->finished)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_STATE, "push after clef_stream_finish");
    return CLEF_OK;
}

clef_status clef_stream_errcode(const clef_stream *s) {
    return s != NULL ? s->err.code : CLEF_ERR_INVALID_ARG;
}

clef_status clef_stream_push_interleaved(clef_stream *s, const float *data, int64_t n_frames) {
    clefi_reset(s);
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = check_push(s);
    if (rc != CLEF_OK)
        return rc;
    if ((data == NULL && n_frames > 0) || n_frames < 0)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG,
                           "interleaved push of %lld "
                           "frames from NULL",
                           (long long)n_frames);
    if (!s->same_rate)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_MISUSE,
                           "interleaved push needs equal channel rates; use push_planar");
    /* room first: a push that fails for memory consumes nothing (channels stay aligned) */
    if ((rc = clefi_pipeline_reserve(&s->pl, s->n_ch, NULL, n_frames)) != CLEF_OK)
        return clefi_error(s->ctx, &s->err, rc, "%lld frames", (long long)n_frames);
    if (n_frames > s->tmp_cap) {
        float *t = clefi_realloc_array(s->ctx, s->tmp, (size_t)n_frames, sizeof *t);
        if (t == NULL)
            return clefi_error(s->ctx, &s->err, CLEF_ERR_NOMEM, "%lld frames", (long long)n_frames);
        s->tmp = t;
        s->tmp_cap = n_frames;
    }
    for (int32_t c = 0; c < CLEF_N_CANONICAL; c++) {
        int32_t k = s->pl.src[c];
        if (k < 0)
            continue;
        for (int64_t f = 0; f < n_frames; f++)
            s->tmp[f] = data[(size_t)f * (size_t)s->n_ch + (size_t)k];
        if ((rc = clefi_resampler_push(&s->pl.rs[c], s->ctx, s->tmp, n_frames, s->pl.scale[c])) !=
            CLEF_OK)
            return clefi_error(s->ctx, &s->err, rc, "%lld frames", (long long)n_frames);
    }
    return CLEF_OK;
}

clef_status clef_stream_push_planar(clef_stream *s, const float *data, size_t stride,
                                    const int64_t *counts) {
    clefi_reset(s);
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = check_push(s);
    if (rc != CLEF_OK)
        return rc;
    if (data == NULL || counts == NULL)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG, "planar push from NULL");
    for (int32_t k = 0; k < s->n_ch; k++)
        if (counts[k] < 0 || (size_t)counts[k] > stride)
            return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG,
                               "channel %d: count %lld outside [0, stride %zu]", (int)k,
                               (long long)counts[k], stride);
    if ((rc = clefi_pipeline_reserve(&s->pl, s->n_ch, counts, 0)) != CLEF_OK)
        return clefi_error(s->ctx, &s->err, rc, "planar push");
    for (int32_t k = 0; k < s->n_ch; k++)
        if ((rc = clefi_pipeline_push(&s->pl, k, data + (size_t)k * stride, counts[k])) != CLEF_OK)
            return clefi_error(s->ctx, &s->err, rc, "channel %d: %lld samples", (int)k,
                               (long long)counts[k]);
    return CLEF_OK;
}

clef_status clef_stream_finish(clef_stream *s) {
    clefi_reset(s);
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    s->finished = 1;
    clefi_pipeline_finish(&s->pl);
    return CLEF_OK;
}

int64_t clef_stream_available(const clef_stream *s) {
    return s != NULL ? clefi_pipeline_ready(&s->pl) : 0;
}

clef_status clef_stream_pull(clef_stream *s, float *out, size_t stride, int64_t max_n,
                             int64_t *n_out) {
    clefi_reset(s);
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (n_out != NULL)
        *n_out = 0;
    if (out == NULL || n_out == NULL || max_n < 0 || stride < (size_t)max_n)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG,
                           "pull: NULL buffer or stride %zu < %lld", stride, (long long)max_n);
    int64_t n = clefi_pipeline_ready(&s->pl);
    n = n < max_n ? n : max_n;
    if (n == 0)
        return s->finished ? CLEF_OK : CLEF_MORE;
    clefi_pipeline_pull(&s->pl, out, stride, n);
    *n_out = n;
    return CLEF_OK;
}
