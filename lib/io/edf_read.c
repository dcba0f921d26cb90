/* edf_read.c — sample access of clef_recording: digital, physical, microvolts and the
 * canonical 19-channel model input. Records are read one block (about 256 KiB) at a time,
 * so memory stays bounded whatever the file length. SPDX-License-Identifier: BSD-3-Clause */
#include "io_int.h"

#include <math.h>
#include <string.h>

/* One selected signal's sample range [first, first + count) and where its samples go. */
typedef struct span {
    const clefi_edf_signal *s;
    int64_t first, count;
    void *out; /* int32_t*, double* or float* by mode */
    double scale;
    int32_t k; /* pipeline input index */
} span;

enum { MODE_DIGITAL, MODE_PHYSICAL, MODE_UV, MODE_PIPE };

typedef struct visit_ctx {
    int mode;
    clefi_pipeline *pl;
    float *pipe_buf; /* one record of one signal, MODE_PIPE */
    float *out;      /* canonical output, MODE_PIPE */
    size_t stride;
    int64_t n_written, n_out;
} visit_ctx;

/* Samples outside the declared digital range (EDF spec: they should not occur) are read as
 * stored, not clipped. They are found as records are read, so open stays cheap, and reported
 * once per signal, naming the first record seen (clef info reads every sample). */
static clef_status check_range(clef_recording *rec, const clefi_edf_signal *s, int32_t lo,
                               int32_t hi, int64_t record) {
    if (lo >= s->dig_min && hi <= s->dig_max)
        return CLEF_OK;
    clefi_edf_signal *m = &rec->all[s - rec->all];
    m->range_warned = 1;
    return clefi_rec_warn(rec,
                          "signal %d ('%s'): samples outside the digital range [%d, %d] (from "
                          "%d to %d in data record %lld); read as stored, not clipped",
                          (int)(s - rec->all), s->label, (int)s->dig_min, (int)s->dig_max, (int)lo,
                          (int)hi, (long long)record);
}

#define MINMAX(d)                                                                                  \
    do {                                                                                           \
        lo = (d) < lo ? (d) : lo;                                                                  \
        hi = (d) > hi ? (d) : hi;                                                                  \
    } while (0)

/* Convert samples [j0, j0 + n) of record r of span sp into its output at position pos. */
static clef_status convert(clef_recording *rec, visit_ctx *v, const span *sp, const uint8_t *record,
                           int64_t r, int64_t j0, int64_t n, int64_t pos) {
    const clefi_edf_signal *s = sp->s;
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    clef_status rc = CLEF_OK;
    switch (v->mode) {
    case MODE_DIGITAL: {
        int32_t *o = (int32_t *)sp->out + pos;
        for (int64_t j = 0; j < n; j++) {
            o[j] = clefi_rec_sample(rec, record, s, j0 + j);
            MINMAX(o[j]);
        }
        break;
    }
    case MODE_PHYSICAL: {
        double *o = (double *)sp->out + pos;
        for (int64_t j = 0; j < n; j++) {
            int32_t d = clefi_rec_sample(rec, record, s, j0 + j);
            MINMAX(d);
            o[j] = s->offset + s->gain * (double)d;
        }
        break;
    }
    case MODE_UV: {
        float *o = (float *)sp->out + pos;
        const double g = s->gain * sp->scale, off = s->offset * sp->scale;
        if (rec->bps == 2) {
            const uint8_t *p = record + s->rec_off + (size_t)j0 * 2;
            for (int64_t j = 0; j < n; j++) {
                int16_t d = (int16_t)(uint16_t)(p[2 * j] | (p[2 * j + 1] << 8));
                MINMAX(d);
                o[j] = (float)(off + g * (double)d);
            }
        } else {
            for (int64_t j = 0; j < n; j++) {
                int32_t d = clefi_rec_sample(rec, record, s, j0 + j);
                MINMAX(d);
                o[j] = (float)(off + g * (double)d);
            }
        }
        break;
    }
    default: { /* MODE_PIPE: physical as float, then the shared pipeline (scale inside) */
        for (int64_t j = 0; j < n; j++) {
            int32_t d = clefi_rec_sample(rec, record, s, j0 + j);
            MINMAX(d);
            v->pipe_buf[j] = (float)(s->offset + s->gain * (double)d);
        }
        rc = clefi_pipeline_push(v->pl, sp->k, v->pipe_buf, n);
    }
    }
    if (rc == CLEF_OK && !s->range_warned && n > 0)
        rc = check_range(rec, s, lo, hi, r);
    return rc;
}

static void drain(visit_ctx *v) {
    int64_t r = clefi_pipeline_ready(v->pl);
    if (r > v->n_out - v->n_written)
        r = v->n_out - v->n_written;
    if (r > 0) {
        clefi_pipeline_pull(v->pl, v->out + v->n_written, v->stride, r);
        v->n_written += r;
    }
}

/* Walk the records covering every span, block by block. */
static clef_status visit(clef_recording *rec, visit_ctx *v, const span *sp, int64_t n_sp) {
    int64_t r_lo = INT64_MAX, r_hi = -1;
    for (int64_t k = 0; k < n_sp; k++) {
        if (sp[k].count <= 0)
            continue;
        int64_t a = sp[k].first / sp[k].s->spr, b = (sp[k].first + sp[k].count - 1) / sp[k].s->spr;
        r_lo = a < r_lo ? a : r_lo;
        r_hi = b > r_hi ? b : r_hi;
    }
    int64_t bn = clefi_rec_block_records(rec);
    for (int64_t r0 = r_lo; r0 <= r_hi; r0 += bn) {
        int64_t nr = r_hi + 1 - r0 < bn ? r_hi + 1 - r0 : bn;
        const uint8_t *blk = NULL;
        clef_status rc = clefi_rec_records(rec, r0, nr, &blk);
        if (rc != CLEF_OK)
            return rc;
        for (int64_t r = r0; r < r0 + nr; r++) {
            const uint8_t *record = blk + (size_t)(r - r0) * rec->rec_bytes;
            for (int64_t k = 0; k < n_sp; k++) {
                int64_t spr = sp[k].s->spr, a = r * spr, b = a + spr;
                int64_t lo = sp[k].first > a ? sp[k].first : a;
                int64_t hi = sp[k].first + sp[k].count < b ? sp[k].first + sp[k].count : b;
                if (hi <= lo)
                    continue;
                rc = convert(rec, v, &sp[k], record, r, lo - a, hi - lo, lo - sp[k].first);
                if (rc != CLEF_OK)
                    return clefi_error(rec->ctx, &rec->err, rc, "reading record %lld",
                                       (long long)r);
            }
            if (v->mode == MODE_PIPE)
                drain(v);
        }
    }
    return CLEF_OK;
}

static clef_status check_signal(clef_recording *rec, int64_t i, int64_t first, int64_t n,
                                const void *out) {
    if (i < 0 || i >= rec->n_sig)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_INVALID_ARG,
                           "signal index %lld not in [0, %d)", (long long)i, (int)rec->n_sig);
    if (out == NULL && n > 0)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_INVALID_ARG, "NULL output buffer");
    int64_t ns = clef_recording_signal_n_samples(rec, i);
    if (first < 0 || n < 0 || first > ns || n > ns - first)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_RANGE,
                           "samples [%lld, +%lld) outside signal %d of %lld samples",
                           (long long)first, (long long)n, (int)i, (long long)ns);
    return CLEF_OK;
}

static clef_status read_one(clef_recording *rec, int mode, int64_t i, int64_t first, int64_t n,
                            void *out) {
    if (rec == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = check_signal(rec, i, first, n, out);
    if (rc != CLEF_OK)
        return rc;
    span sp = {&rec->all[rec->data_idx[i]], first, n, out, 1.0, 0};
    visit_ctx v = {mode, NULL, NULL, NULL, 0, 0, 0};
    return visit(rec, &v, &sp, 1);
}

clef_status clef_recording_read_digital(clef_recording *rec, int64_t i, int64_t first, int64_t n,
                                        int32_t *out) {
    clefi_reset(rec);
    return read_one(rec, MODE_DIGITAL, i, first, n, out);
}

clef_status clef_recording_read_physical(clef_recording *rec, int64_t i, int64_t first, int64_t n,
                                         double *out) {
    clefi_reset(rec);
    return read_one(rec, MODE_PHYSICAL, i, first, n, out);
}

/* Sample range of signal i for a time range in data seconds. */
static clef_status time_range(clef_recording *rec, int64_t i, double t0, double dur, int64_t *first,
                              int64_t *count) {
    double total = clef_recording_duration(rec);
    if (!(t0 >= 0) || t0 > total || isnan(dur))
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_RANGE,
                           "start time %g s outside the data [0, %g] s", t0, total);
    double fs = clef_recording_signal_rate(rec, i);
    int64_t ns = clef_recording_signal_n_samples(rec, i);
    int64_t a = llround(t0 * fs), b = ns;
    if (dur >= 0 && t0 + dur < total) {
        b = llround((t0 + dur) * fs);
        b = b < ns ? b : ns;
    }
    a = a < ns ? a : ns;
    *first = a;
    *count = b > a ? b - a : 0;
    return CLEF_OK;
}

static clef_status need_uv(clef_recording *rec, int64_t i) {
    const clefi_edf_signal *s = &rec->all[rec->data_idx[i]];
    if (s->uv_scale == 0)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_UNSUPPORTED,
                           "signal %d ('%s') has unit '%s', not a voltage; set io.unknown_unit "
                           "to read it in uV",
                           (int)i, s->label, s->unit);
    return CLEF_OK;
}

clef_status clef_recording_read_uv(clef_recording *rec, const int64_t *signals, int64_t n_sel,
                                   double t_start, double duration, float *out, size_t stride,
                                   int64_t *counts, int64_t *needed) {
    clefi_reset(rec);
    if (rec == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (signals == NULL || counts == NULL || n_sel < 1)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_INVALID_ARG,
                           "clef_recording_read_uv: no signals selected");
    span *sp = (uint64_t)n_sel <= SIZE_MAX / sizeof *sp
                   ? clefi_calloc(rec->ctx, (size_t)n_sel, sizeof *sp)
                   : NULL;
    if (sp == NULL)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_NOMEM, "%lld spans", (long long)n_sel);
    clef_status rc = CLEF_OK;
    int64_t longest = 0;
    for (int64_t k = 0; k < n_sel && rc == CLEF_OK; k++) {
        rc = check_signal(rec, signals[k], 0, 0, NULL);
        if (rc == CLEF_OK)
            rc = need_uv(rec, signals[k]);
        if (rc == CLEF_OK)
            rc = time_range(rec, signals[k], t_start, duration, &sp[k].first, &sp[k].count);
        if (rc == CLEF_OK) {
            const clefi_edf_signal *s = &rec->all[rec->data_idx[signals[k]]];
            sp[k].s = s;
            sp[k].scale = s->uv_scale;
            sp[k].out = out + (size_t)k * stride;
            longest = sp[k].count > longest ? sp[k].count : longest;
        }
    }
    if (needed != NULL)
        *needed = longest;
    if (rc == CLEF_OK && (out == NULL || stride < (size_t)longest))
        rc = clefi_error(rec->ctx, &rec->err, CLEF_ERR_BUFFER_TOO_SMALL,
                         "rows need %lld samples, stride is %zu", (long long)longest, stride);
    if (rc == CLEF_OK) {
        visit_ctx v = {MODE_UV, NULL, NULL, NULL, 0, 0, 0};
        rc = visit(rec, &v, sp, n_sel);
    }
    if (rc == CLEF_OK)
        for (int64_t k = 0; k < n_sel; k++)
            counts[k] = sp[k].count;
    clefi_free(rec->ctx, sp);
    return rc;
}

/* Spans of the canonical channels for a time range, and the output length. */
static clef_status canonical_spans(clef_recording *rec, double t0, double dur, span *sp,
                                   int64_t *n_out) {
    if (rec->mask == 0)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_NOT_FOUND,
                           "no signal maps to a canonical channel (Fp1 ... O2)");
    int64_t n = -1;
    for (int32_t c = 0; c < CLEF_N_CANONICAL; c++) {
        int32_t i = rec->canon_src[c];
        sp[c].s = NULL;
        if (i < 0)
            continue;
        int32_t up = 1, down = 1;
        clef_status rc = need_uv(rec, i);
        if (rc == CLEF_OK)
            rc = time_range(rec, i, t0, dur, &sp[c].first, &sp[c].count);
        if (rc == CLEF_OK)
            rc = clefi_rate_ratio(rec->ctx, &rec->err, clef_recording_signal_rate(rec, i),
                                  rec->opt.target_rate, &up, &down);
        if (rc != CLEF_OK)
            return rc;
        sp[c].s = &rec->all[rec->data_idx[i]];
        sp[c].k = i;
        int64_t m = clef_resample_length(sp[c].count, up, down);
        n = n < 0 || m < n ? m : n;
    }
    *n_out = n;
    return CLEF_OK;
}

/* EDF+D: a read must stay inside one segment (gaps are never joined silently). */
static clef_status check_gaps(clef_recording *rec, const span *sp) {
    if (rec->n_seg <= 1)
        return CLEF_OK;
    int64_t r_lo = INT64_MAX, r_hi = -1;
    for (int32_t c = 0; c < CLEF_N_CANONICAL; c++) {
        if (sp[c].s == NULL || sp[c].count == 0)
            continue;
        int64_t a = sp[c].first / sp[c].s->spr, b = (sp[c].first + sp[c].count - 1) / sp[c].s->spr;
        r_lo = a < r_lo ? a : r_lo;
        r_hi = b > r_hi ? b : r_hi;
    }
    for (int64_t s = 1; s < rec->n_seg; s++) {
        int64_t g = rec->seg_first[s];
        if (r_lo < g && r_hi >= g) {
            if (rec->opt.join_gaps)
                return clefi_rec_warn(rec, "canonical read joins records across %lld gap(s)",
                                      (long long)(rec->n_seg - 1));
            return clefi_error(rec->ctx, &rec->err, CLEF_ERR_UNSUPPORTED,
                               "time range crosses the gap before record %lld (%.3f s); read "
                               "segments separately or set io.join_gaps",
                               (long long)g, rec->rec_onset[g]);
        }
    }
    return CLEF_OK;
}

clef_status clef_recording_canonical_length(clef_recording *rec, double t_start, double duration,
                                            int64_t *n_out) {
    clefi_reset(rec);
    if (rec == NULL || n_out == NULL)
        return rec ? clefi_error(rec->ctx, &rec->err, CLEF_ERR_INVALID_ARG, "NULL n_out")
                   : CLEF_ERR_INVALID_ARG;
    span sp[CLEF_N_CANONICAL];
    return canonical_spans(rec, t_start, duration, sp, n_out);
}

clef_status clef_recording_read_canonical(clef_recording *rec, double t_start, double duration,
                                          float *out, size_t stride, size_t capacity,
                                          int64_t *n_out, uint32_t *present_mask) {
    clefi_reset(rec);
    if (rec == NULL)
        return CLEF_ERR_INVALID_ARG;
    span sp[CLEF_N_CANONICAL];
    int64_t n = 0;
    clef_status rc = canonical_spans(rec, t_start, duration, sp, &n);
    if (rc == CLEF_OK)
        rc = check_gaps(rec, sp);
    if (rc != CLEF_OK)
        return rc;
    if (n_out != NULL)
        *n_out = n;
    if (present_mask != NULL)
        *present_mask = rec->mask;
    size_t st = stride ? stride : (size_t)n, need;
    if (out == NULL || st < (size_t)n || clefi_mul_overflow(st, CLEF_N_CANONICAL - 1, &need) ||
        clefi_add_overflow(need, (size_t)n, &need) || capacity < need)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_BUFFER_TOO_SMALL,
                           "canonical read needs 19 rows of %lld samples (stride %zu), "
                           "capacity %zu floats",
                           (long long)n, st, capacity);
    double *r_all = clefi_calloc(rec->ctx, (size_t)rec->n_sig, sizeof *r_all);
    double *s_all = clefi_calloc(rec->ctx, (size_t)rec->n_sig, sizeof *s_all);
    int32_t max_spr = 1;
    for (int32_t i = 0; i < rec->n_sig && r_all && s_all; i++) {
        r_all[i] = clef_recording_signal_rate(rec, i);
        s_all[i] = rec->all[rec->data_idx[i]].uv_scale;
        max_spr =
            rec->all[rec->data_idx[i]].spr > max_spr ? rec->all[rec->data_idx[i]].spr : max_spr;
    }
    float *pbuf = clefi_malloc(rec->ctx, (size_t)max_spr * sizeof *pbuf);
    clefi_pipeline pl;
    memset(&pl, 0, sizeof pl);
    if (r_all == NULL || s_all == NULL || pbuf == NULL)
        rc = clefi_error(rec->ctx, &rec->err, CLEF_ERR_NOMEM, "canonical read buffers");
    if (rc == CLEF_OK)
        rc = clefi_pipeline_init(&pl, rec->ctx, &rec->err, rec->canon_src, r_all, s_all,
                                 rec->opt.target_rate, rec->opt.reference);
    if (rc == CLEF_OK) {
        span used[CLEF_N_CANONICAL];
        int32_t nu = 0;
        for (int32_t c = 0; c < CLEF_N_CANONICAL; c++)
            if (sp[c].s != NULL)
                used[nu++] = sp[c];
        visit_ctx v = {MODE_PIPE, &pl, pbuf, out, st, 0, n};
        rc = visit(rec, &v, used, nu);
        if (rc == CLEF_OK) {
            clefi_pipeline_finish(&pl);
            drain(&v);
            if (v.n_written != n)
                rc = clefi_error(rec->ctx, &rec->err, CLEF_ERR_INTERNAL,
                                 "canonical read produced %lld of %lld samples",
                                 (long long)v.n_written, (long long)n);
        }
    }
    clefi_pipeline_free(&pl);
    clefi_free(rec->ctx, pbuf);
    clefi_free(rec->ctx, r_all);
    clefi_free(rec->ctx, s_all);
    return rc;
}
