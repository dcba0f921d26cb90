/* edf_annot.c — EDF+/BDF+ annotation scan at open: record onsets (time keeping), segments of
 * discontinuous files and the annotation list.
 * SPDX-License-Identifier: BSD-3-Clause */
#include "io_int.h"

#include <math.h>
#include <string.h>

CLEFI_HIDDEN clef_status clefi_rec_scan_annotations(clef_recording *rec);

typedef struct scan_state {
    clef_recording *rec;
    clef_status rc;
    int latin1; /* some text was not UTF-8 */
} scan_state;

/* Length of a valid UTF-8 sequence at s (RFC 3629), 0 if invalid. */
static size_t utf8_len(const uint8_t *s, size_t n) {
    if (s[0] < 0x80)
        return 1;
    size_t k = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (s[0] >= 0xF8 || k == 0 || k > n)
        return 0;
    for (size_t i = 1; i < k; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return k;
}

static void add_annotation(void *user, double onset, double dur, const char *text, size_t len) {
    scan_state *st = user;
    clef_recording *rec = st->rec;
    if (st->rc != CLEF_OK)
        return;
    if (rec->n_ann == rec->cap_ann) {
        int64_t cap = rec->cap_ann ? rec->cap_ann * 2 : 16;
        double *o = clefi_realloc_array(rec->ctx, rec->ann_onset, (size_t)cap, sizeof *o);
        if (o != NULL)
            rec->ann_onset = o;
        double *d = o ? clefi_realloc_array(rec->ctx, rec->ann_dur, (size_t)cap, sizeof *d) : NULL;
        if (d != NULL)
            rec->ann_dur = d;
        size_t *f = d ? clefi_realloc_array(rec->ctx, rec->ann_off, (size_t)cap, sizeof *f) : NULL;
        if (f == NULL) {
            st->rc = clefi_error(rec->ctx, &rec->err, CLEF_ERR_NOMEM, "annotation list");
            return;
        }
        rec->ann_off = f;
        rec->cap_ann = cap;
    }
    /* worst case: every byte Latin-1 decoded to 2 bytes, plus NUL */
    size_t need = rec->ann_text_n + 2 * len + 1;
    if (need > rec->ann_text_cap) {
        size_t cap = rec->ann_text_cap ? rec->ann_text_cap : 256;
        while (cap < need)
            cap *= 2;
        char *t = clefi_realloc(rec->ctx, rec->ann_text, cap);
        if (t == NULL) {
            st->rc = clefi_error(rec->ctx, &rec->err, CLEF_ERR_NOMEM, "annotation text");
            return;
        }
        rec->ann_text = t;
        rec->ann_text_cap = cap;
    }
    const uint8_t *u = (const uint8_t *)text;
    char *o = rec->ann_text + rec->ann_text_n;
    size_t w = 0;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_len(u + i, len - i);
        if (k == 0) { /* not UTF-8: take the byte as Latin-1 */
            st->latin1 = 1;
            o[w++] = (char)(0xC0 | (u[i] >> 6));
            o[w++] = (char)(0x80 | (u[i] & 0x3F));
            i++;
            continue;
        }
        memcpy(o + w, u + i, k);
        w += k;
        i += k;
    }
    o[w] = '\0';
    rec->ann_onset[rec->n_ann] = onset;
    rec->ann_dur[rec->n_ann] = dur;
    rec->ann_off[rec->n_ann] = rec->ann_text_n;
    rec->ann_text_n += w + 1;
    rec->n_ann++;
}

/* Group records into contiguous segments; a record starting before the previous one ends is
 * an error (EDF+ spec 2.2.4: data records are in chronological order). Records of duration 0
 * (an annotations-only EDF+ file) are instants: ordered, never gaps, one segment. */
static clef_status build_segments(clef_recording *rec) {
    const double tol = 1e-6 * (rec->rec_dur > 1 ? rec->rec_dur : 1); /* TALs carry 100 ns */
    const double gap_tol = rec->rec_dur > 0 ? tol : INFINITY;
    int64_t n_seg = rec->n_records > 0 ? 1 : 0;
    for (int64_t r = 1; r < rec->n_records; r++) {
        double end = rec->rec_onset[r - 1] + rec->rec_dur;
        if (rec->rec_onset[r] < end - tol)
            return clefi_error(rec->ctx, &rec->err, CLEF_ERR_FORMAT,
                               "data record %lld starts at %.7f s, before record %lld ends "
                               "(%.7f s)",
                               (long long)r, rec->rec_onset[r], (long long)(r - 1), end);
        n_seg += rec->rec_onset[r] > end + gap_tol;
    }
    rec->seg_first = clefi_calloc(rec->ctx, (size_t)n_seg + 1, sizeof *rec->seg_first);
    if (rec->seg_first == NULL)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_NOMEM, "segment table");
    rec->n_seg = n_seg;
    int64_t s = 1;
    for (int64_t r = 1; r < rec->n_records; r++)
        if (rec->rec_onset[r] > rec->rec_onset[r - 1] + rec->rec_dur + gap_tol)
            rec->seg_first[s++] = r;
    rec->seg_first[n_seg] = rec->n_records;
    if (n_seg > 1 && !rec->discontinuous)
        return clefi_rec_warn(rec, "%s file has %lld gaps between records (reported as segments)",
                              rec->fields[CLEF_HDR_RESERVED], (long long)(n_seg - 1));
    return CLEF_OK;
}

/* Scan record r's annotation signals (p points at byte lo of the record): its onset and its
 * annotations. */
static clef_status scan_record(clef_recording *rec, scan_state *st, int64_t r, const uint8_t *p,
                               size_t lo, int64_t *missing_tk) {
    int first = 1;
    double tk = NAN;
    for (int32_t i = 0; i < rec->n_all; i++) {
        const clefi_edf_signal *s = &rec->all[i];
        if (!s->is_annot)
            continue;
        clef_status rc = clefi_tal_parse(rec->ctx, &rec->err, p + (s->rec_off - lo),
                                         (size_t)s->spr * (size_t)rec->bps, r, first,
                                         first ? &tk : NULL, add_annotation, st);
        if (rc == CLEF_OK)
            rc = st->rc;
        if (rc != CLEF_OK)
            return rc;
        first = 0;
    }
    if (isnan(tk)) {
        (*missing_tk)++;
        tk = r > 0 ? rec->rec_onset[r - 1] + rec->rec_dur : 0.0;
    }
    rec->rec_onset[r] = tk;
    return CLEF_OK;
}

/* All records: whole blocks, or, for a file whose annotation signals are a small part of each
 * record, only their byte span per record (open then reads a few bytes per record instead of
 * the whole file). */
static clef_status scan_records(clef_recording *rec, scan_state *st, int64_t *missing_tk) {
    size_t lo = rec->rec_bytes, hi = 0;
    for (int32_t i = 0; i < rec->n_all; i++) {
        const clefi_edf_signal *s = &rec->all[i];
        if (!s->is_annot)
            continue;
        lo = s->rec_off < lo ? s->rec_off : lo;
        size_t end = s->rec_off + (size_t)s->spr * (size_t)rec->bps;
        hi = end > hi ? end : hi;
    }
    clef_status rc = CLEF_OK;
    if (rec->mem == NULL && (hi - lo) * 8 <= rec->rec_bytes) {
        for (int64_t r = 0; r < rec->n_records && rc == CLEF_OK; r++) {
            const uint8_t *p = NULL;
            rc = clefi_rec_span(rec, r, lo, hi - lo, &p);
            if (rc == CLEF_OK)
                rc = scan_record(rec, st, r, p, lo, missing_tk);
        }
        return rc;
    }
    int64_t bn = clefi_rec_block_records(rec);
    for (int64_t r0 = 0; r0 < rec->n_records && rc == CLEF_OK; r0 += bn) {
        int64_t nr = rec->n_records - r0 < bn ? rec->n_records - r0 : bn;
        const uint8_t *blk = NULL;
        rc = clefi_rec_records(rec, r0, nr, &blk);
        for (int64_t r = r0; r < r0 + nr && rc == CLEF_OK; r++)
            rc = scan_record(rec, st, r, blk + (size_t)(r - r0) * rec->rec_bytes, 0, missing_tk);
    }
    return rc;
}

clef_status clefi_rec_scan_annotations(clef_recording *rec) {
    int has_annot = 0;
    for (int32_t i = 0; i < rec->n_all; i++)
        has_annot |= rec->all[i].is_annot;
    size_t n = rec->n_records > 0 ? (size_t)rec->n_records : 1;
    rec->rec_onset = clefi_calloc(rec->ctx, n, sizeof *rec->rec_onset);
    if (rec->rec_onset == NULL)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_NOMEM, "record onsets");
    rec->start_sub = 0;
    if (!has_annot) {
        for (int64_t r = 0; r < rec->n_records; r++)
            rec->rec_onset[r] = (double)r * rec->rec_dur;
        return build_segments(rec);
    }
    scan_state st = {rec, CLEF_OK, 0};
    int64_t missing_tk = 0;
    clef_status rc = scan_records(rec, &st, &missing_tk);
    if (rc != CLEF_OK)
        return rc;
    if (missing_tk > 0 &&
        (rc = clefi_rec_warn(rec,
                             "%lld data records without a time-keeping annotation (taken "
                             "as contiguous)",
                             (long long)missing_tk)) != CLEF_OK)
        return rc;
    if (st.latin1 && (rc = clefi_rec_warn(rec, "annotation text that is not UTF-8 (decoded as "
                                               "Latin-1)")) != CLEF_OK)
        return rc;
    /* Onsets are relative to the header start time; the first record's time keeping holds the
     * sub-second start (EDF+ spec 2.2.4). Report everything relative to the first record. */
    double t0 = rec->n_records > 0 ? rec->rec_onset[0] : 0.0;
    rec->start_sub = t0;
    for (int64_t r = 0; r < rec->n_records; r++)
        rec->rec_onset[r] -= t0;
    for (int64_t k = 0; k < rec->n_ann; k++)
        rec->ann_onset[k] -= t0;
    return build_segments(rec);
}
