/* pipeline.c — the canonical-input pipeline shared by clef_recording_read_canonical() and
 * clef_stream: per canonical channel a unit scale and a streaming resampler, then the optional
 * common-average reference. Both paths push the same float samples, so they agree bit for bit.
 * SPDX-License-Identifier: BSD-3-Clause */
#include "io_int.h"

#include <string.h>

clef_status clefi_io_opts_read(clefi_io_opts *o, clef_ctx *ctx, clefi_err *err,
                               const clef_params *p) {
    o->unknown_scale = 0;
    o->reference = CLEF_IO_REF_AS_RECORDED;
    o->target_rate = 200.0; /* CLEF: 19 channels at 200 Hz (arXiv 2605.10817) */
    o->join_gaps = 0;
    if (p == NULL)
        return CLEF_OK;
    if (clef_params_kind(p) != CLEF_PARAMS_IO)
        return clefi_error(ctx, err, CLEF_ERR_INVALID_ARG,
                           "parameter set of kind %d, expected CLEF_PARAMS_IO",
                           (int)clef_params_kind(p));
    const char *u = clefi_params_str(p, CLEF_P_IO_UNKNOWN_UNIT);
    if (u != NULL && u[0] != '\0' && (o->unknown_scale = clefi_unit_uv_scale(u)) == 0)
        return clefi_error(ctx, err, CLEF_ERR_INVALID_ARG,
                           "io.unknown_unit '%s' is not uV, mV, V or nV", u);
    o->reference = (int32_t)clefi_params_i64(p, CLEF_P_IO_REFERENCE);
    o->target_rate = clefi_params_f64(p, CLEF_P_IO_TARGET_RATE);
    o->join_gaps = (int32_t)clefi_params_i64(p, CLEF_P_IO_JOIN_GAPS);
    return CLEF_OK;
}

clef_status clefi_pipeline_init(clefi_pipeline *pl, clef_ctx *ctx, clefi_err *err,
                                const int32_t *src, const double *rates, const double *scales,
                                double out_rate, int32_t reference) {
    memset(pl, 0, sizeof *pl);
    pl->ctx = ctx;
    pl->reference = reference;
    int32_t filt_of[CLEF_N_CANONICAL];
    for (int32_t c = 0; c < CLEF_N_CANONICAL; c++) {
        pl->src[c] = src[c];
        filt_of[c] = -1;
        if (src[c] < 0)
            continue;
        int32_t up = 1, down = 1;
        clef_status rc = clefi_rate_ratio(ctx, err, rates[src[c]], out_rate, &up, &down);
        if (rc != CLEF_OK) {
            clefi_pipeline_free(pl);
            return rc;
        }
        for (int32_t j = 0; j < pl->n_filt; j++)
            if (pl->filt[j].up == up && pl->filt[j].down == down)
                filt_of[c] = j;
        if (filt_of[c] < 0) {
            rc = clefi_polyfilt_init(&pl->filt[pl->n_filt], ctx, err, up, down);
            if (rc != CLEF_OK) {
                clefi_pipeline_free(pl);
                return rc;
            }
            filt_of[c] = pl->n_filt++;
        }
        pl->scale[c] = scales[src[c]];
        pl->mask |= 1u << c;
    }
    for (int32_t c = 0; c < CLEF_N_CANONICAL; c++)
        if (filt_of[c] >= 0)
            clefi_resampler_init(&pl->rs[c], &pl->filt[filt_of[c]]);
    return CLEF_OK;
}

void clefi_pipeline_free(clefi_pipeline *pl) {
    if (pl == NULL || pl->ctx == NULL)
        return;
    for (int32_t c = 0; c < CLEF_N_CANONICAL; c++)
        clefi_resampler_free(&pl->rs[c], pl->ctx);
    for (int32_t j = 0; j < pl->n_filt; j++)
        clefi_polyfilt_free(&pl->filt[j], pl->ctx);
    pl->n_filt = 0;
}

clef_status clefi_pipeline_push(clefi_pipeline *pl, int32_t k, const float *x, int64_t n) {
    for (int32_t c = 0; c < CLEF_N_CANONICAL; c++) {
        if (pl->src[c] != k)
            continue;
        clef_status rc = clefi_resampler_push(&pl->rs[c], pl->ctx, x, n, pl->scale[c]);
        if (rc != CLEF_OK)
            return rc;
    }
    return CLEF_OK;
}

clef_status clefi_pipeline_reserve(clefi_pipeline *pl, int32_t n_ch, const int64_t *counts,
                                   int64_t n) {
    for (int32_t c = 0; c < CLEF_N_CANONICAL; c++) {
        int32_t k = pl->src[c];
        if (k < 0 || k >= n_ch)
            continue;
        clef_status rc = clefi_resampler_reserve(&pl->rs[c], pl->ctx, counts ? counts[k] : n);
        if (rc != CLEF_OK)
            return rc;
    }
    return CLEF_OK;
}

void clefi_pipeline_finish(clefi_pipeline *pl) {
    for (int32_t c = 0; c < CLEF_N_CANONICAL; c++)
        if (pl->src[c] >= 0)
            clefi_resampler_finish(&pl->rs[c]);
}

int64_t clefi_pipeline_ready(const clefi_pipeline *pl) {
    int64_t n = -1;
    for (int32_t c = 0; c < CLEF_N_CANONICAL; c++) {
        if (pl->src[c] < 0)
            continue;
        int64_t r = clefi_resampler_ready(&pl->rs[c]);
        if (n < 0 || r < n)
            n = r;
    }
    return n < 0 ? 0 : n;
}

void clefi_pipeline_pull(clefi_pipeline *pl, float *out, size_t stride, int64_t n) {
    for (int32_t c = 0; c < CLEF_N_CANONICAL; c++) {
        float *o = out + (size_t)c * stride;
        if (pl->src[c] >= 0)
            clefi_resampler_pull(&pl->rs[c], o, n);
        else
            memset(o, 0, (size_t)n * sizeof *o);
    }
    if (pl->reference == CLEF_IO_REF_COMMON_AVERAGE)
        clef_montage_common_average(out, stride, n, pl->mask);
}
