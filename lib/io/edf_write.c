/* edf_write.c — EDF, EDF+, BDF and BDF+ writer. SPDX-License-Identifier: BSD-3-Clause
 *
 * Header layout: EDF specification (Kemp et al. 1992) section "header record", EDF+ (Kemp &
 * Olivan 2003) sections 2.1 (patient, recording, reserved "EDF+C") and 2.2 (annotation signal,
 * TALs); BDF: BioSemi's 24-bit variant (version byte 0xFF + "BIOSEMI", reserved "24BIT").
 * Writer internals stay in this file (io_int.h belongs to the reader). */
#include "core_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EDFW_MAX_SIGNALS   512
#define EDFW_DEFAULT_ANNOT 120

enum { ST_SETUP = 0, ST_WRITING = 1, ST_CLOSED = 2 };

typedef struct edfw_signal {
    char label[17], unit[9], transducer[81], prefilter[81];
    char phys_min_s[9], phys_max_s[9];
    double phys_min, phys_max; /* as written in the header */
    int32_t dig_min, dig_max;
    int32_t spr;    /* samples per record */
    int32_t *queue; /* quantized samples not yet written: [q_head, q_len) */
    size_t q_head, q_len, q_cap;
} edfw_signal;

typedef struct edfw_annot {
    double onset, duration;
    char *text;
} edfw_annot;

struct clef_edf_writer {
    clef_ctx *ctx;
    clefi_err err;
    FILE *f;
    int32_t format;
    int plus, bytes_per_sample;
    int state;
    char patient[200], recording_tail[200]; /* truncated to 80 by put_field */
    int32_t year, month, day, hour, minute, second;
    double record_s;
    char record_s_str[9];
    int32_t annot_bytes;
    edfw_signal *sig;
    int32_t n_sig;
    edfw_annot *ann;
    size_t n_ann, cap_ann;
    uint8_t *rec; /* one data record */
    size_t rec_bytes, annot_offset;
    int64_t n_records;
};

static const char *const k_months[12] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                         "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

/* Copy s into dst (capacity cap incl. NUL) as printable ASCII; spaces become '_' when
 * underscore is set (EDF+ 2.1.3: subfields are separated by spaces). Empty/NULL -> "X". */
static void ascii_field(char *dst, size_t cap, const char *s, int underscore) {
    size_t n = 0;
    if (s == NULL || s[0] == '\0')
        s = "X";
    for (; *s != '\0' && n + 1 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == ' ' && underscore)
            c = '_';
        else if (c < 32 || c > 126)
            c = (c & 0xC0) == 0x80 ? 0 : '?'; /* one '?' per UTF-8 code point */
        if (c != 0)
            dst[n++] = (char)c;
    }
    dst[n] = '\0';
}

/* Shortest %g rendering of v that fits in 8 characters (EDF header numbers). */
static int format_num8(char out[9], double v) {
    for (int prec = 8; prec >= 1; prec--) {
        char tmp[40];
        int len = clefi_snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (len > 0 && len <= 8 && strchr(tmp, 'e') == NULL) {
            memcpy(out, tmp, (size_t)len + 1);
            return 0;
        }
    }
    return -1;
}

/* Write s into a field of width w, space padded (header fields are never NUL terminated). */
static void put_field(uint8_t *dst, size_t w, const char *s) {
    size_t n = strlen(s);
    if (n > w)
        n = w;
    memset(dst, ' ', w);
    memcpy(dst, s, n);
}

static clef_status wr_error_state(clef_edf_writer *w, const char *what) {
    return clefi_error(w->ctx, &w->err, CLEF_ERR_STATE,
                       "%s: the header is frozen or the writer "
                       "is closed",
                       what);
}

clef_status clef_edf_writer_create(clef_edf_writer **out, clef_ctx *ctx, const char *path,
                                   int32_t format) {
    clefi_reset(ctx);
    if (out == NULL)
        return CLEF_ERR_INVALID_ARG;
    *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (path == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "EDF writer path is NULL");
    if (format < CLEF_EDF_FORMAT_EDF || format > CLEF_EDF_FORMAT_BDFPLUS)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "EDF writer format %d is unknown",
                               (int)format);
    clef_edf_writer *w = clefi_calloc(ctx, 1, sizeof *w);
    if (w == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate an EDF writer");
    w->ctx = clefi_ctx_retain(ctx);
    w->format = format;
    w->plus = format == CLEF_EDF_FORMAT_EDFPLUS || format == CLEF_EDF_FORMAT_BDFPLUS;
    w->bytes_per_sample = format >= CLEF_EDF_FORMAT_BDF ? 3 : 2;
    w->year = 2000;
    w->month = 1;
    w->day = 1;
    w->record_s = 1.0;
    strcpy(w->record_s_str, "1");
    strcpy(w->patient, "X X X X");
    strcpy(w->recording_tail, "X X X");
    w->annot_bytes = EDFW_DEFAULT_ANNOT;
    w->f = fopen(path, "wb");
    if (w->f == NULL) {
        clef_edf_writer_free(w);
        return clefi_ctx_error(ctx, CLEF_ERR_IO, "cannot open '%s' for writing", path);
    }
    *out = w;
    return CLEF_OK;
}

void clef_edf_writer_free(clef_edf_writer *w) {
    if (w == NULL)
        return;
    clef_ctx *ctx = w->ctx;
    if (w->f != NULL)
        fclose(w->f);
    for (int32_t i = 0; i < w->n_sig; i++)
        clefi_free(ctx, w->sig[i].queue);
    for (size_t i = 0; i < w->n_ann; i++)
        clefi_free(ctx, w->ann[i].text);
    clefi_free(ctx, w->ann);
    clefi_free(ctx, w->sig);
    clefi_free(ctx, w->rec);
    clefi_free(ctx, w);
    clefi_ctx_release(ctx);
}

const char *clef_edf_writer_errmsg(const clef_edf_writer *w) { return w != NULL ? w->err.msg : ""; }

int64_t clef_edf_writer_n_records(const clef_edf_writer *w) { return w != NULL ? w->n_records : 0; }

clef_status clef_edf_writer_set_patient(clef_edf_writer *w, const char *code, const char *sex,
                                        int32_t birth_year, int32_t birth_month, int32_t birth_day,
                                        const char *name) {
    clefi_reset(w);
    if (w == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (w->state != ST_SETUP)
        return wr_error_state(w, "set_patient");
    if (sex != NULL && strcmp(sex, "M") != 0 && strcmp(sex, "F") != 0 && strcmp(sex, "X") != 0)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_INVALID_ARG,
                           "patient sex '%.8s' must be M, F or X", sex);
    char birth[16] = "X";
    if (birth_year != 0) {
        if (birth_year < 1800 || birth_year > 2999 || birth_month < 1 || birth_month > 12 ||
            birth_day < 1 || birth_day > 31)
            return clefi_error(w->ctx, &w->err, CLEF_ERR_RANGE, "birth date %d-%d-%d is invalid",
                               (int)birth_year, (int)birth_month, (int)birth_day);
        snprintf(birth, sizeof birth, "%02d-%s-%04d", (int)birth_day, k_months[birth_month - 1],
                 (int)birth_year);
    }
    char c[81], n[81];
    ascii_field(c, sizeof c, code, 1);
    ascii_field(n, sizeof n, name, 1);
    snprintf(w->patient, sizeof w->patient, "%.40s %s %s %.40s", c, sex != NULL ? sex : "X", birth,
             n);
    clefi_err_clear(&w->err);
    return CLEF_OK;
}

clef_status clef_edf_writer_errcode(const clef_edf_writer *w) {
    return w != NULL ? w->err.code : CLEF_ERR_INVALID_ARG;
}

clef_status clef_edf_writer_set_recording(clef_edf_writer *w, const char *admin_code,
                                          const char *technician, const char *equipment) {
    clefi_reset(w);
    if (w == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (w->state != ST_SETUP)
        return wr_error_state(w, "set_recording");
    char a[81], t[81], e[81];
    ascii_field(a, sizeof a, admin_code, 1);
    ascii_field(t, sizeof t, technician, 1);
    ascii_field(e, sizeof e, equipment, 1);
    snprintf(w->recording_tail, sizeof w->recording_tail, "%.20s %.20s %.20s", a, t, e);
    clefi_err_clear(&w->err);
    return CLEF_OK;
}

clef_status clef_edf_writer_set_start(clef_edf_writer *w, int32_t year, int32_t month, int32_t day,
                                      int32_t hour, int32_t minute, int32_t second) {
    clefi_reset(w);
    if (w == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (w->state != ST_SETUP)
        return wr_error_state(w, "set_start");
    /* EDF 2-digit years: 85-99 mean 1985-1999, 00-84 mean 2000-2084 (EDF+ 2.1.3.2). */
    if (year < 1985 || year > 2084 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 ||
        hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_RANGE,
                           "start %d-%d-%d %d:%d:%d is outside 1985-2084 or invalid", (int)year,
                           (int)month, (int)day, (int)hour, (int)minute, (int)second);
    w->year = year;
    w->month = month;
    w->day = day;
    w->hour = hour;
    w->minute = minute;
    w->second = second;
    clefi_err_clear(&w->err);
    return CLEF_OK;
}

clef_status clef_edf_writer_set_record_duration(clef_edf_writer *w, double seconds) {
    clefi_reset(w);
    if (w == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (w->state != ST_SETUP || w->n_sig > 0)
        return wr_error_state(w, "set_record_duration (before add_signal)");
    char s[9];
    if (!(seconds > 0) || !isfinite(seconds) || format_num8(s, seconds) != 0 ||
        !(clefi_strtod(s, NULL) > 0))
        return clefi_error(w->ctx, &w->err, CLEF_ERR_RANGE, "record duration %g s is invalid",
                           seconds);
    memcpy(w->record_s_str, s, sizeof s);
    w->record_s = clefi_strtod(s, NULL);
    clefi_err_clear(&w->err);
    return CLEF_OK;
}

clef_status clef_edf_writer_set_annotation_bytes(clef_edf_writer *w, int32_t bytes) {
    clefi_reset(w);
    if (w == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (w->state != ST_SETUP)
        return wr_error_state(w, "set_annotation_bytes");
    if (bytes < 16 || bytes > 1 << 20)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_RANGE,
                           "annotation bytes %d outside [16, 1048576]", (int)bytes);
    w->annot_bytes = bytes;
    clefi_err_clear(&w->err);
    return CLEF_OK;
}

clef_status clef_edf_writer_add_signal(clef_edf_writer *w, const char *label, const char *unit,
                                       double sample_rate, double phys_min, double phys_max,
                                       int32_t dig_min, int32_t dig_max, const char *transducer,
                                       const char *prefilter, int32_t *index_out) {
    clefi_reset(w);
    if (w == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (w->state != ST_SETUP)
        return wr_error_state(w, "add_signal");
    if (label == NULL)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_INVALID_ARG, "signal label is NULL");
    if (w->n_sig >= EDFW_MAX_SIGNALS - 1)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_RANGE, "more than %d signals",
                           EDFW_MAX_SIGNALS - 1);
    double spr_d = sample_rate * w->record_s;
    if (!isfinite(spr_d) || spr_d < 1 || spr_d > 1e7 || fabs(spr_d - floor(spr_d + 0.5)) > 1e-9)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_INVALID_ARG,
                           "signal '%.16s': %g Hz x %g s is not a whole number of samples", label,
                           sample_rate, w->record_s);
    int32_t lim_lo = w->bytes_per_sample == 2 ? -32768 : -8388608;
    int32_t lim_hi = w->bytes_per_sample == 2 ? 32767 : 8388607;
    if (dig_min < lim_lo || dig_max > lim_hi || dig_min >= dig_max)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_RANGE,
                           "signal '%.16s': digital range [%d, %d] invalid for this format", label,
                           (int)dig_min, (int)dig_max);
    edfw_signal s;
    memset(&s, 0, sizeof s);
    if (!isfinite(phys_min) || !isfinite(phys_max) || format_num8(s.phys_min_s, phys_min) != 0 ||
        format_num8(s.phys_max_s, phys_max) != 0 ||
        (s.phys_min = clefi_strtod(s.phys_min_s, NULL)) ==
            (s.phys_max = clefi_strtod(s.phys_max_s, NULL)))
        return clefi_error(w->ctx, &w->err, CLEF_ERR_RANGE,
                           "signal '%.16s': physical range [%g, %g] invalid or not 8 characters",
                           label, phys_min, phys_max);
    ascii_field(s.label, sizeof s.label, label, 0);
    ascii_field(s.unit, sizeof s.unit, unit, 0);
    ascii_field(s.transducer, sizeof s.transducer, transducer, 0);
    ascii_field(s.prefilter, sizeof s.prefilter, prefilter, 0);
    if (unit == NULL || unit[0] == '\0')
        s.unit[0] = '\0';
    if (transducer == NULL || transducer[0] == '\0')
        s.transducer[0] = '\0';
    if (prefilter == NULL || prefilter[0] == '\0')
        s.prefilter[0] = '\0';
    s.dig_min = dig_min;
    s.dig_max = dig_max;
    s.spr = (int32_t)floor(spr_d + 0.5);
    edfw_signal *grown = clefi_realloc_array(w->ctx, w->sig, (size_t)w->n_sig + 1, sizeof *grown);
    if (grown == NULL)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_NOMEM, "cannot grow the signal table");
    w->sig = grown;
    w->sig[w->n_sig] = s;
    if (index_out != NULL)
        *index_out = w->n_sig;
    w->n_sig++;
    clefi_err_clear(&w->err);
    return CLEF_OK;
}

/* Header: 256 bytes + 256 per signal, fields in the order of the EDF specification. */
static clef_status write_header(clef_edf_writer *w) {
    int32_t ns = w->n_sig + (w->plus ? 1 : 0);
    size_t hdr_len = 256u * (size_t)(ns + 1);
    uint8_t *h = clefi_malloc(w->ctx, hdr_len);
    if (h == NULL)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_NOMEM, "cannot allocate the EDF header");
    char tmp[300];
    if (w->bytes_per_sample == 3) {
        h[0] = 0xFF;
        memcpy(h + 1, "BIOSEMI", 7);
    } else {
        put_field(h, 8, "0");
    }
    put_field(h + 8, 80, w->patient);
    snprintf(tmp, sizeof tmp, "Startdate %02d-%s-%04d %s", (int)w->day, k_months[w->month - 1],
             (int)w->year, w->recording_tail);
    put_field(h + 88, 80, tmp);
    snprintf(tmp, sizeof tmp, "%02d.%02d.%02d", (int)w->day, (int)w->month, (int)(w->year % 100));
    put_field(h + 168, 8, tmp);
    snprintf(tmp, sizeof tmp, "%02d.%02d.%02d", (int)w->hour, (int)w->minute, (int)w->second);
    put_field(h + 176, 8, tmp);
    snprintf(tmp, sizeof tmp, "%zu", hdr_len);
    put_field(h + 184, 8, tmp);
    const char *reserved = w->format == CLEF_EDF_FORMAT_EDFPLUS   ? "EDF+C"
                           : w->format == CLEF_EDF_FORMAT_BDFPLUS ? "BDF+C"
                           : w->format == CLEF_EDF_FORMAT_BDF     ? "24BIT"
                                                                  : "";
    put_field(h + 192, 44, reserved);
    put_field(h + 236, 8, "-1"); /* record count: set by close() */
    put_field(h + 244, 8, w->record_s_str);
    snprintf(tmp, sizeof tmp, "%d", (int)ns);
    put_field(h + 252, 4, tmp);
    /* Per-signal fields are stored field by field for all signals (EDF 1992 table). */
    static const size_t widths[10] = {16, 80, 8, 8, 8, 8, 8, 80, 8, 32};
    uint8_t *p = h + 256;
    int32_t annot_spr = (w->annot_bytes + w->bytes_per_sample - 1) / w->bytes_per_sample;
    for (int fld = 0; fld < 10; fld++) {
        for (int32_t i = 0; i < ns; i++, p += widths[fld]) {
            if (i == w->n_sig) { /* the annotation signal (EDF+ 2.2.1) */
                const char *lab = w->bytes_per_sample == 3 ? "BDF Annotations" : "EDF Annotations";
                const char *vals[10] = {lab, "", "", "-1", "1", "", "", "", "", ""};
                snprintf(tmp, sizeof tmp, "%d", w->bytes_per_sample == 3 ? -8388608 : -32768);
                if (fld == 5)
                    vals[5] = tmp;
                else if (fld == 6)
                    vals[6] = w->bytes_per_sample == 3 ? "8388607" : "32767";
                if (fld == 8) {
                    snprintf(tmp, sizeof tmp, "%d", (int)annot_spr);
                    vals[8] = tmp;
                }
                put_field(p, widths[fld], vals[fld]);
                continue;
            }
            const edfw_signal *s = &w->sig[i];
            switch (fld) {
            case 0:
                put_field(p, 16, s->label);
                break;
            case 1:
                put_field(p, 80, s->transducer);
                break;
            case 2:
                put_field(p, 8, s->unit);
                break;
            case 3:
                put_field(p, 8, s->phys_min_s);
                break;
            case 4:
                put_field(p, 8, s->phys_max_s);
                break;
            case 5:
                snprintf(tmp, sizeof tmp, "%d", (int)s->dig_min);
                put_field(p, 8, tmp);
                break;
            case 6:
                snprintf(tmp, sizeof tmp, "%d", (int)s->dig_max);
                put_field(p, 8, tmp);
                break;
            case 7:
                put_field(p, 80, s->prefilter);
                break;
            case 8:
                snprintf(tmp, sizeof tmp, "%d", (int)s->spr);
                put_field(p, 8, tmp);
                break;
            default:
                put_field(p, 32, "");
                break;
            }
        }
    }
    size_t wrote = fwrite(h, 1, hdr_len, w->f);
    clefi_free(w->ctx, h);
    if (wrote != hdr_len)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_IO, "cannot write the EDF header");
    return CLEF_OK;
}

/* Freeze the header: size one record, write the header. */
static clef_status begin_writing(clef_edf_writer *w) {
    if (w->n_sig == 0)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_STATE, "no signal was added");
    size_t samples = 0;
    for (int32_t i = 0; i < w->n_sig; i++)
        samples += (size_t)w->sig[i].spr;
    int32_t annot_spr =
        w->plus ? (w->annot_bytes + w->bytes_per_sample - 1) / w->bytes_per_sample : 0;
    size_t bytes = 0;
    if (clefi_mul_overflow(samples + (size_t)annot_spr, (size_t)w->bytes_per_sample, &bytes))
        return clefi_error(w->ctx, &w->err, CLEF_ERR_OVERFLOW, "record size overflows");
    w->rec = clefi_malloc(w->ctx, bytes);
    if (w->rec == NULL)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_NOMEM, "cannot allocate a data record");
    w->rec_bytes = bytes;
    w->annot_offset = samples * (size_t)w->bytes_per_sample;
    clef_status rc = write_header(w);
    if (rc != CLEF_OK) {
        clefi_free(w->ctx, w->rec);
        w->rec = NULL;
        return rc;
    }
    w->state = ST_WRITING;
    return CLEF_OK;
}

/* Onset text of a TAL: sign, integer part, fraction without trailing zeros (EDF+ 2.2.2). */
static void format_onset(char *out, size_t cap, double t) {
    int len = clefi_snprintf(out, cap, "%+.7f", t);
    while (len > 2 && out[len - 1] == '0')
        out[--len] = '\0';
    if (len > 1 && out[len - 1] == '.')
        out[--len] = '\0';
}

static void put_sample(uint8_t *p, int32_t v, int bps) {
    uint32_t u = (uint32_t)v;
    p[0] = (uint8_t)u;
    p[1] = (uint8_t)(u >> 8);
    if (bps == 3)
        p[2] = (uint8_t)(u >> 16);
}

/* Emit one record from the queues (the first spr samples of each). */
static clef_status flush_record(clef_edf_writer *w) {
    uint8_t *p = w->rec;
    for (int32_t i = 0; i < w->n_sig; i++) {
        edfw_signal *s = &w->sig[i];
        for (int32_t k = 0; k < s->spr; k++, p += w->bytes_per_sample)
            put_sample(p, s->queue[s->q_head + (size_t)k], w->bytes_per_sample);
        s->q_head += (size_t)s->spr;
        if (s->q_head == s->q_len)
            s->q_head = s->q_len = 0;
    }
    if (w->plus) { /* time-keeping TAL first in every record (EDF+ 2.2.4) */
        size_t nb = w->rec_bytes - w->annot_offset;
        char tal[64];
        format_onset(tal, sizeof tal, (double)w->n_records * w->record_s);
        size_t n = strlen(tal);
        memset(p, 0, nb);
        memcpy(p, tal, n);
        p[n] = 0x14;
        p[n + 1] = 0x14;
    }
    if (fwrite(w->rec, 1, w->rec_bytes, w->f) != w->rec_bytes)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_IO, "cannot write data record %lld",
                           (long long)w->n_records);
    w->n_records++;
    return CLEF_OK;
}

static int records_ready(const clef_edf_writer *w) {
    for (int32_t i = 0; i < w->n_sig; i++)
        if (w->sig[i].q_len - w->sig[i].q_head < (size_t)w->sig[i].spr)
            return 0;
    return 1;
}

static int32_t quantize(const edfw_signal *s, double x) {
    double g = ((double)s->dig_max - s->dig_min) / (s->phys_max - s->phys_min);
    double d = floor((x - s->phys_min) * g + s->dig_min + 0.5);
    if (d < s->dig_min)
        d = s->dig_min;
    if (d > s->dig_max)
        d = s->dig_max;
    return (int32_t)d;
}

/* Room for n more samples in s's queue (compacting consumed samples first). */
static clef_status queue_reserve(clef_edf_writer *w, edfw_signal *s, size_t n) {
    if (s->q_head > 0) {
        memmove(s->queue, s->queue + s->q_head, (s->q_len - s->q_head) * sizeof *s->queue);
        s->q_len -= s->q_head;
        s->q_head = 0;
    }
    size_t need;
    if (clefi_add_overflow(s->q_len, n, &need))
        return clefi_error(w->ctx, &w->err, CLEF_ERR_OVERFLOW, "sample queue overflows");
    if (need > s->q_cap) {
        size_t cap = s->q_cap * 2 > need ? s->q_cap * 2 : need;
        int32_t *q = clefi_realloc_array(w->ctx, s->queue, cap, sizeof *q);
        if (q == NULL)
            return clefi_error(w->ctx, &w->err, CLEF_ERR_NOMEM, "cannot grow the sample queue");
        s->queue = q;
        s->q_cap = cap;
    }
    return CLEF_OK;
}

clef_status clef_edf_writer_write_signal_f32(clef_edf_writer *w, int32_t signal, const float *x,
                                             size_t n) {
    clefi_reset(w);
    if (w == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (w->state == ST_CLOSED)
        return wr_error_state(w, "write");
    if (signal < 0 || signal >= w->n_sig || (x == NULL && n > 0))
        return clefi_error(w->ctx, &w->err, CLEF_ERR_INVALID_ARG,
                           "signal index %d invalid or data NULL", (int)signal);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return clefi_error(w->ctx, &w->err, CLEF_ERR_INVALID_ARG,
                               "signal %d sample %zu is not finite", (int)signal, i);
    clef_status rc;
    if (w->state == ST_SETUP && (rc = begin_writing(w)) != CLEF_OK)
        return rc;
    edfw_signal *s = &w->sig[signal];
    if ((rc = queue_reserve(w, s, n)) != CLEF_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        s->queue[s->q_len + i] = quantize(s, x[i]);
    s->q_len += n;
    while (records_ready(w))
        if ((rc = flush_record(w)) != CLEF_OK)
            return rc;
    clefi_err_clear(&w->err);
    return CLEF_OK;
}

clef_status clef_edf_writer_write_f32(clef_edf_writer *w, const float *data, size_t n,
                                      size_t stride) {
    clefi_reset(w);
    if (w == NULL)
        return CLEF_ERR_INVALID_ARG;
    if ((data == NULL && n > 0) || stride < n)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_INVALID_ARG,
                           "planar data NULL or stride %zu < n %zu", stride, n);
    size_t total;
    if (clefi_mul_overflow((size_t)w->n_sig, stride, &total))
        return clefi_error(w->ctx, &w->err, CLEF_ERR_OVERFLOW, "planar buffer size overflows");
    for (size_t i = 0; i < (size_t)w->n_sig * n; i++) /* reject before appending anything */
        if (!isfinite(data[i / n * stride + i % n]))
            return clefi_error(w->ctx, &w->err, CLEF_ERR_INVALID_ARG,
                               "signal %zu sample %zu is not finite", i / n, i % n);
    for (int32_t sidx = 0; sidx < w->n_sig; sidx++) {
        clef_status rc = clef_edf_writer_write_signal_f32(w, sidx, data + (size_t)sidx * stride, n);
        if (rc != CLEF_OK)
            return rc;
    }
    return CLEF_OK;
}

clef_status clef_edf_writer_add_annotation(clef_edf_writer *w, double onset_s, double duration_s,
                                           const char *text) {
    clefi_reset(w);
    if (w == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (w->state == ST_CLOSED)
        return wr_error_state(w, "add_annotation");
    if (!w->plus)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_UNSUPPORTED, "annotations need EDF+ or BDF+");
    if (text == NULL || !isfinite(onset_s) || onset_s < 0 || !isfinite(duration_s))
        return clefi_error(w->ctx, &w->err, CLEF_ERR_INVALID_ARG,
                           "annotation onset %g / duration %g / text invalid", onset_s, duration_s);
    if (w->n_ann == w->cap_ann) {
        size_t cap = w->cap_ann ? 2 * w->cap_ann : 16;
        edfw_annot *a = clefi_realloc_array(w->ctx, w->ann, cap, sizeof *a);
        if (a == NULL)
            return clefi_error(w->ctx, &w->err, CLEF_ERR_NOMEM, "cannot grow the annotation list");
        w->ann = a;
        w->cap_ann = cap;
    }
    char *t = clefi_strdup(w->ctx, text);
    if (t == NULL)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_NOMEM, "cannot copy annotation text");
    for (char *c = t; *c; c++) /* 0x14, 0x15 delimit TALs: no control characters in text */
        if ((unsigned char)*c < 32)
            *c = ' ';
    w->ann[w->n_ann].onset = onset_s;
    w->ann[w->n_ann].duration = duration_s;
    w->ann[w->n_ann].text = t;
    w->n_ann++;
    clefi_err_clear(&w->err);
    return CLEF_OK;
}

/* Stable order by onset (insertion sort keeps equal onsets in call order). */
static void sort_annotations(edfw_annot *a, size_t n) {
    for (size_t i = 1; i < n; i++) {
        edfw_annot x = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1].onset > x.onset; j--)
            a[j] = a[j - 1];
        a[j] = x;
    }
}

/* Place TALs after each record's time-keeping TAL, in the record holding their onset or a
 * later one with space, and rewrite those annotation slots in place. */
static clef_status write_annotations(clef_edf_writer *w) {
    if (!w->plus || w->n_ann == 0 || w->n_records == 0)
        return w->n_ann == 0 || !w->plus
                   ? CLEF_OK
                   : clefi_error(w->ctx, &w->err, CLEF_ERR_STATE, "annotations but no data record");
    sort_annotations(w->ann, w->n_ann);
    size_t nb = w->rec_bytes - w->annot_offset;
    uint8_t *slot = w->rec + w->annot_offset; /* reuse the record buffer's tail */
    size_t next = 0;
    for (int64_t r = 0; r < w->n_records && next < w->n_ann; r++) {
        double rec_end = (double)(r + 1) * w->record_s;
        if (w->ann[next].onset >= rec_end && r + 1 < w->n_records)
            continue;
        char tal[64];
        format_onset(tal, sizeof tal, (double)r * w->record_s);
        memset(slot, 0, nb);
        size_t used = strlen(tal);
        memcpy(slot, tal, used);
        slot[used++] = 0x14;
        slot[used++] = 0x14;
        slot[used++] = 0;
        while (next < w->n_ann && (w->ann[next].onset < rec_end || r + 1 == w->n_records)) {
            char head[96], dur[64] = "";
            format_onset(head, sizeof head, w->ann[next].onset);
            if (w->ann[next].duration >= 0) {
                format_onset(dur, sizeof dur, w->ann[next].duration);
                dur[0] = 0x15; /* duration follows 0x15 without a sign */
            }
            size_t tl = strlen(w->ann[next].text), hl = strlen(head), dl = strlen(dur);
            size_t need = hl + dl + 1 + tl + 2;
            if (used + need >= nb) /* keep one zero byte after the last TAL */
                break;
            memcpy(slot + used, head, hl);
            memcpy(slot + used + hl, dur, dl);
            used += hl + dl;
            slot[used++] = 0x14;
            memcpy(slot + used, w->ann[next].text, tl);
            used += tl;
            slot[used++] = 0x14;
            slot[used++] = 0;
            next++;
        }
        long off =
            (long)(256 * (w->n_sig + 2)) + (long)r * (long)w->rec_bytes + (long)w->annot_offset;
        if (fseek(w->f, off, SEEK_SET) != 0 || fwrite(slot, 1, nb, w->f) != nb)
            return clefi_error(w->ctx, &w->err, CLEF_ERR_IO,
                               "cannot rewrite annotations of "
                               "record %lld",
                               (long long)r);
    }
    if (next < w->n_ann)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_RANGE,
                           "%zu annotations do not fit in %d bytes per record", w->n_ann - next,
                           (int)w->annot_bytes);
    return CLEF_OK;
}

clef_status clef_edf_writer_close(clef_edf_writer *w) {
    clefi_reset(w);
    if (w == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (w->state == ST_CLOSED)
        return wr_error_state(w, "close");
    clef_status rc = CLEF_OK;
    if (w->state == ST_SETUP)
        rc = begin_writing(w);
    /* Pad a partial last record with physical zero so every record is complete. */
    int partial = 0;
    for (int32_t i = 0; rc == CLEF_OK && i < w->n_sig; i++)
        partial |= w->sig[i].q_len > w->sig[i].q_head;
    for (int32_t i = 0; rc == CLEF_OK && partial && i < w->n_sig; i++) {
        edfw_signal *s = &w->sig[i];
        size_t have = s->q_len - s->q_head;
        if ((rc = queue_reserve(w, s, (size_t)s->spr - have)) != CLEF_OK)
            break;
        int32_t z = quantize(s, 0.0);
        for (; s->q_len < (size_t)s->spr; s->q_len++)
            s->queue[s->q_len] = z;
    }
    if (rc == CLEF_OK && partial)
        rc = flush_record(w);
    if (rc == CLEF_OK)
        rc = write_annotations(w);
    if (rc == CLEF_OK) {
        char tmp[16];
        snprintf(tmp, sizeof tmp, "%lld", (long long)w->n_records);
        uint8_t field[8];
        put_field(field, 8, tmp);
        if (fseek(w->f, 236, SEEK_SET) != 0 || fwrite(field, 1, 8, w->f) != 8)
            rc = clefi_error(w->ctx, &w->err, CLEF_ERR_IO, "cannot write the record count");
    }
    int close_rc = fclose(w->f);
    w->f = NULL;
    w->state = ST_CLOSED;
    if (rc == CLEF_OK && close_rc != 0)
        rc = clefi_error(w->ctx, &w->err, CLEF_ERR_IO, "cannot close the EDF file");
    if (rc == CLEF_OK)
        clefi_err_clear(&w->err);
    return rc;
}
