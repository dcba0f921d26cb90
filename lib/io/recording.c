/* recording.c — getters of clef_recording: header, signals, record times, annotations,
 * warnings and the canonical channel map. SPDX-License-Identifier: BSD-3-Clause */
#include "io_int.h"

#include <math.h>

static const clefi_edf_signal *sig(const clef_recording *rec, int32_t i) {
    if (rec == NULL || i < 0 || i >= rec->n_sig)
        return NULL;
    return &rec->all[rec->data_idx[i]];
}

const char *clef_recording_errmsg(const clef_recording *rec) {
    return rec != NULL ? rec->err.msg : "";
}

clef_status clef_recording_errcode(const clef_recording *rec) {
    return rec != NULL ? rec->err.code : CLEF_ERR_INVALID_ARG;
}

int32_t clef_recording_file_type(const clef_recording *rec) {
    return rec != NULL ? rec->file_type : -1;
}

const char *clef_recording_header_field(const clef_recording *rec, int32_t field) {
    if (rec == NULL || field < CLEF_HDR_VERSION || field > CLEF_HDR_RESERVED)
        return NULL;
    return rec->fields[field];
}

const char *clef_recording_start_iso(const clef_recording *rec) {
    return rec != NULL ? rec->start_iso : NULL;
}

int64_t clef_recording_n_records(const clef_recording *rec) {
    return rec != NULL ? rec->n_records : 0;
}

double clef_recording_record_duration(const clef_recording *rec) {
    return rec != NULL ? rec->rec_dur : 0;
}

double clef_recording_duration(const clef_recording *rec) {
    return rec != NULL ? (double)rec->n_records * rec->rec_dur : 0;
}

int32_t clef_recording_n_signals(const clef_recording *rec) { return rec != NULL ? rec->n_sig : 0; }

const char *clef_recording_signal_label(const clef_recording *rec, int32_t i) {
    const clefi_edf_signal *s = sig(rec, i);
    return s ? s->label : NULL;
}

const char *clef_recording_signal_unit(const clef_recording *rec, int32_t i) {
    const clefi_edf_signal *s = sig(rec, i);
    return s ? s->unit : NULL;
}

const char *clef_recording_signal_transducer(const clef_recording *rec, int32_t i) {
    const clefi_edf_signal *s = sig(rec, i);
    return s ? s->transducer : NULL;
}

const char *clef_recording_signal_prefilter(const clef_recording *rec, int32_t i) {
    const clefi_edf_signal *s = sig(rec, i);
    return s ? s->prefilter : NULL;
}

double clef_recording_signal_rate(const clef_recording *rec, int32_t i) {
    const clefi_edf_signal *s = sig(rec, i);
    return s ? (double)s->spr / rec->rec_dur : 0;
}

int32_t clef_recording_signal_samples_per_record(const clef_recording *rec, int32_t i) {
    const clefi_edf_signal *s = sig(rec, i);
    return s ? s->spr : 0;
}

int64_t clef_recording_signal_n_samples(const clef_recording *rec, int32_t i) {
    const clefi_edf_signal *s = sig(rec, i);
    return s ? (int64_t)s->spr * rec->n_records : 0;
}

clef_status clef_recording_signal_range(const clef_recording *rec, int32_t i, double *phys_min,
                                        double *phys_max, int32_t *dig_min, int32_t *dig_max) {
    const clefi_edf_signal *s = sig(rec, i);
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (phys_min)
        *phys_min = s->phys_min;
    if (phys_max)
        *phys_max = s->phys_max;
    if (dig_min)
        *dig_min = s->dig_min;
    if (dig_max)
        *dig_max = s->dig_max;
    return CLEF_OK;
}

double clef_recording_signal_uv_scale(const clef_recording *rec, int32_t i) {
    const clefi_edf_signal *s = sig(rec, i);
    return s ? s->uv_scale : 0;
}

double clef_recording_record_onset(const clef_recording *rec, int64_t r) {
    if (rec == NULL || r < 0 || r >= rec->n_records)
        return NAN;
    return rec->rec_onset[r];
}

int64_t clef_recording_n_segments(const clef_recording *rec) {
    return rec != NULL ? rec->n_seg : 0;
}

clef_status clef_recording_segment(const clef_recording *rec, int64_t s, double *onset,
                                   int64_t *first_record, int64_t *n_records) {
    if (rec == NULL || s < 0 || s >= rec->n_seg)
        return CLEF_ERR_INVALID_ARG;
    int64_t a = rec->seg_first[s], b = rec->seg_first[s + 1];
    if (onset)
        *onset = rec->rec_onset[a];
    if (first_record)
        *first_record = a;
    if (n_records)
        *n_records = b - a;
    return CLEF_OK;
}

int64_t clef_recording_n_annotations(const clef_recording *rec) {
    return rec != NULL ? rec->n_ann : 0;
}

clef_status clef_recording_annotation(const clef_recording *rec, int64_t k, double *onset,
                                      double *duration, const char **text) {
    if (rec == NULL || k < 0 || k >= rec->n_ann)
        return CLEF_ERR_INVALID_ARG;
    if (onset)
        *onset = rec->ann_onset[k];
    if (duration)
        *duration = rec->ann_dur[k];
    if (text)
        *text = rec->ann_text + rec->ann_off[k];
    return CLEF_OK;
}

int32_t clef_recording_n_warnings(const clef_recording *rec) {
    return rec != NULL ? rec->n_warn : 0;
}

const char *clef_recording_warning(const clef_recording *rec, int32_t i) {
    if (rec == NULL || i < 0 || i >= rec->n_warn)
        return NULL;
    return rec->warn[i];
}

int32_t clef_recording_signal_class(const clef_recording *rec, int32_t i) {
    const clefi_edf_signal *s = sig(rec, i);
    return s ? s->cls : -1;
}

int32_t clef_recording_signal_map(const clef_recording *rec, int32_t i) {
    const clefi_edf_signal *s = sig(rec, i);
    return s ? s->map : -1;
}

int32_t clef_recording_signal_canonical(const clef_recording *rec, int32_t i) {
    const clefi_edf_signal *s = sig(rec, i);
    return s ? s->canon : -1;
}

int32_t clef_recording_canonical_signal(const clef_recording *rec, int32_t c) {
    if (rec == NULL || c < 0 || c >= CLEF_N_CANONICAL)
        return -1;
    return rec->canon_src[c];
}

uint32_t clef_recording_present_mask(const clef_recording *rec) {
    return rec != NULL ? rec->mask : 0;
}
