/* edf.c — EDF/EDF+/BDF/BDF+ header parsing, record access and annotation scan.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Specifications: EDF (Kemp et al. 1992, Electroenceph. clin. Neurophysiol. 82:391), EDF+ (Kemp
 * & Olivan 2003, Clin. Neurophysiol. 114:1755; edfplus.info/specs/edfplus.html, sections 2.1-2.3),
 * BDF (BioSemi: 24-bit samples, version byte 0xFF + "BIOSEMI"). Quirks tolerated as MNE's
 * mne/io/edf/edf.py _read_edf_header does, each reported as a warning. */
#define _POSIX_C_SOURCE 200809L
#include "io_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_FIXED   256 /* main header bytes; each signal adds 256 (EDF spec) */
#define BLOCK_BYTES ((size_t)64 * 1024)

/* ---- warnings ---- */

clef_status clefi_rec_warn(clef_recording *rec, const char *fmt, ...) {
    char line[CLEFI_ERRMSG_CAP];
    va_list ap;
    va_start(ap, fmt);
    clefi_vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (int32_t i = 0; i < rec->n_warn; i++)
        if (strcmp(rec->warn[i], line) == 0)
            return CLEF_OK;
    if (rec->n_warn == rec->cap_warn) {
        int32_t cap = rec->cap_warn ? rec->cap_warn * 2 : 8;
        char **w = clefi_realloc_array(rec->ctx, rec->warn, (size_t)cap, sizeof *w);
        if (w == NULL)
            return clefi_error(rec->ctx, &rec->err, CLEF_ERR_NOMEM, "cannot store a warning");
        rec->warn = w;
        rec->cap_warn = cap;
    }
    char *s = clefi_strdup(rec->ctx, line);
    if (s == NULL)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_NOMEM, "cannot store a warning");
    rec->warn[rec->n_warn++] = s;
    clefi_log(rec->ctx, CLEF_LOG_WARN, "%s", line);
    return CLEF_OK;
}

/* ---- raw access ---- */

static clef_status read_at(clef_recording *rec, uint64_t off, void *buf, size_t n) {
    if (rec->mem != NULL) {
        if (off > rec->file_size || n > rec->file_size - off)
            return clefi_error(rec->ctx, &rec->err, CLEF_ERR_FORMAT,
                               "file truncated: %zu bytes wanted at offset %llu", n,
                               (unsigned long long)off);
        memcpy(buf, rec->mem + off, n);
        return CLEF_OK;
    }
    size_t done = 0;
    while (done < n) {
        ssize_t k = pread(rec->fd, (uint8_t *)buf + done, n - done, (off_t)(off + done));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return clefi_error(rec->ctx, &rec->err, CLEF_ERR_IO, "read at offset %llu: %s",
                               (unsigned long long)(off + done), strerror(errno));
        if (k == 0)
            return clefi_error(rec->ctx, &rec->err, CLEF_ERR_FORMAT,
                               "file truncated: %zu bytes wanted at offset %llu", n,
                               (unsigned long long)off);
        done += (size_t)k;
    }
    return CLEF_OK;
}

int64_t clefi_rec_block_records(const clef_recording *rec) {
    size_t nb = rec->rec_bytes ? BLOCK_BYTES / rec->rec_bytes : 1;
    return nb < 1 ? 1 : (int64_t)nb;
}

clef_status clefi_rec_records(clef_recording *rec, int64_t r0, int64_t nr, const uint8_t **out) {
    return clefi_rec_span(rec, r0, 0, (size_t)nr * rec->rec_bytes, out);
}

clef_status clefi_rec_span(clef_recording *rec, int64_t r, size_t lo, size_t n,
                           const uint8_t **out) {
    uint64_t off = rec->hdr_bytes + (uint64_t)r * rec->rec_bytes + lo;
    if (rec->mem != NULL) {
        *out = rec->mem + off;
        return CLEF_OK;
    }
    if (n > rec->blk_cap) {
        uint8_t *b = clefi_realloc(rec->ctx, rec->blk, n);
        if (b == NULL)
            return clefi_error(rec->ctx, &rec->err, CLEF_ERR_NOMEM, "record buffer of %zu bytes",
                               n);
        rec->blk = b;
        rec->blk_cap = n;
    }
    *out = rec->blk;
    return read_at(rec, off, rec->blk, n);
}

/* ---- header text fields ---- */

enum { Q_NONASCII = 1, Q_LEADING = 2, Q_COMMA = 4 };

/* Copy a space-padded header field as trimmed UTF-8 (bytes >= 0x80 decoded as Latin-1, as MNE
 * does). NUL and other control bytes are errors. */
static clef_status field_text(clef_recording *rec, const uint8_t *p, size_t w, char *out,
                              size_t cap, const char *what, int32_t sig, unsigned *quirks) {
    size_t a = 0, b = w;
    for (size_t i = 0; i < w; i++) {
        if (p[i] < 32 || p[i] == 127) {
            char where[48] = "";
            if (sig >= 0)
                snprintf(where, sizeof where, " of signal %d", (int)sig);
            return clefi_error(rec->ctx, &rec->err, CLEF_ERR_FORMAT,
                               "%s byte 0x%02x in %s%s (offset %zu)", p[i] == 0 ? "NUL" : "control",
                               p[i], what, where, i);
        }
    }
    while (a < b && p[a] == ' ')
        a++;
    while (b > a && p[b - 1] == ' ')
        b--;
    if (a > 0 && b > a)
        *quirks |= Q_LEADING;
    size_t o = 0;
    for (size_t i = a; i < b && o + 3 <= cap; i++) {
        if (p[i] < 0x80) {
            out[o++] = (char)p[i];
        } else {
            *quirks |= Q_NONASCII;
            out[o++] = (char)(0xC0 | (p[i] >> 6));
            out[o++] = (char)(0x80 | (p[i] & 0x3F));
        }
    }
    out[o] = '\0';
    return CLEF_OK;
}

/* Parse a decimal integer ("-1", "+30", "0012"); 0 on success. */
static int parse_i64(const char *s, int64_t *v) {
    int neg = 0;
    int64_t x = 0;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || x > (INT64_MAX - 9) / 10)
            return -1;
        x = x * 10 + (*s - '0');
    }
    *v = neg ? -x : x;
    return 0;
}

/* Parse a decimal number [+-]d*[.d*][(e|E)[+-]d+], locale-free and correctly rounded; a
 * decimal comma is taken as a point (seen in files from European locales; MNE accepts it). */
static int parse_f64(const char *s, double *v) {
    char t[96];
    size_t n = strlen(s);
    if (n >= sizeof t)
        return -1;
    for (size_t i = 0; i <= n; i++)
        t[i] = s[i] == ',' ? '.' : s[i];
    return clefi_parse_double(t, v);
}

/* The error for a header field whose text t does not parse as `kind`; sig < 0: a main-header
 * field. */
static clef_status not_parsed(clef_recording *rec, const char *what, int32_t sig, const char *kind,
                              const char *t) {
    if (sig >= 0)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_FORMAT, "%s of signal %d is not %s: '%s'",
                           what, (int)sig, kind, t);
    return clefi_error(rec->ctx, &rec->err, CLEF_ERR_FORMAT, "%s is not %s: '%s'", what, kind, t);
}

/* Numeric header field: text + parse, errors name the field. */
static clef_status field_i64(clef_recording *rec, const uint8_t *p, size_t w, const char *what,
                             int32_t sig, unsigned *quirks, int64_t *v) {
    char t[96];
    clef_status rc = field_text(rec, p, w, t, sizeof t, what, sig, quirks);
    if (rc != CLEF_OK)
        return rc;
    if (parse_i64(t, v) != 0) {
        double d = 0;
        /* "30.0" style integers are seen in the wild; accept whole numbers only */
        if (parse_f64(t, &d) == 0 && d == floor(d) && fabs(d) < 9e15) {
            *v = (int64_t)d;
            return CLEF_OK;
        }
        return not_parsed(rec, what, sig, "an integer", t);
    }
    return CLEF_OK;
}

static clef_status field_f64(clef_recording *rec, const uint8_t *p, size_t w, const char *what,
                             int32_t sig, unsigned *quirks, double *v) {
    char t[96];
    clef_status rc = field_text(rec, p, w, t, sizeof t, what, sig, quirks);
    if (rc != CLEF_OK)
        return rc;
    if (parse_f64(t, v) != 0) {
        return not_parsed(rec, what, sig, "a number", t);
    }
    if (strchr(t, ',') != NULL)
        *quirks |= Q_COMMA;
    return CLEF_OK;
}

/* ---- start date ---- */

/* Days since 1970-01-01 of a civil date (H. Hinnant, "chrono-compatible low-level date
 * algorithms", days_from_civil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* civil_from_days of the same paper. */
static void civil_from_days(int64_t z, int *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Header start plus the first record's time-keeping offset (EDF+ spec 2.2.4), microseconds. */
static void format_start(clef_recording *rec, const int *v) {
    double sub = isfinite(rec->start_sub) && fabs(rec->start_sub) < 1e9 ? rec->start_sub : 0;
    int64_t us = (int64_t)v[3] * 3600000000LL + (int64_t)v[4] * 60000000LL +
                 (int64_t)v[5] * 1000000LL + (int64_t)llround(sub * 1e6);
    int64_t days = days_from_civil(v[0], v[1], v[2]) + us / 86400000000LL;
    us %= 86400000000LL;
    if (us < 0) {
        us += 86400000000LL;
        days--;
    }
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    int64_t secs = us / 1000000;
    int frac = (int)(us % 1000000);
    int n = snprintf(rec->start_iso, sizeof rec->start_iso, "%04d-%02d-%02dT%02d:%02d:%02d", y, m,
                     d, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
    if (frac != 0 && n > 0)
        snprintf(rec->start_iso + n, sizeof rec->start_iso - (size_t)n, ".%06d", frac);
}

/* ---- main header (first 256 bytes) ---- */

static clef_status parse_main(clef_recording *rec, const uint8_t *h, int64_t *ns_out,
                              unsigned *quirks) {
    static const struct {
        int field;
        size_t off, w;
        const char *name;
    } text[] = {{CLEF_HDR_PATIENT, 8, 80, "patient identification"},
                {CLEF_HDR_RECORDING, 88, 80, "recording identification"},
                {CLEF_HDR_STARTDATE, 168, 8, "start date"},
                {CLEF_HDR_STARTTIME, 176, 8, "start time"},
                {CLEF_HDR_RESERVED, 192, 44, "reserved field"}};
    clef_status rc;
    if (h[0] == 0xFF && memcmp(h + 1, "BIOSEMI", 7) == 0) {
        rec->bps = 3;
        strcpy(rec->fields[CLEF_HDR_VERSION], "BIOSEMI");
    } else {
        rc = field_text(rec, h, 8, rec->fields[CLEF_HDR_VERSION], 17, "version field", -1, quirks);
        if (rc != CLEF_OK)
            return rc;
        if (strcmp(rec->fields[CLEF_HDR_VERSION], "0") != 0)
            return clefi_error(rec->ctx, &rec->err, CLEF_ERR_FORMAT,
                               "version field is '%s', not '0' (EDF) or 0xFF BIOSEMI (BDF)",
                               rec->fields[CLEF_HDR_VERSION]);
        rec->bps = 2;
    }
    for (size_t i = 0; i < sizeof text / sizeof text[0]; i++) {
        rc = field_text(rec, h + text[i].off, text[i].w, rec->fields[text[i].field], 161,
                        text[i].name, -1, quirks);
        if (rc != CLEF_OK)
            return rc;
    }
    const char *res = rec->fields[CLEF_HDR_RESERVED];
    /* "edf+c" in lower case is read as EDF+C (with a warning at the end of open) */
    char up[6] = {0};
    for (int i = 0; i < 5 && res[i] != '\0'; i++)
        up[i] = clefi_ascii_upper(res[i]);
    int plus = strncmp(up, "EDF+", 4) == 0 || strncmp(up, "BDF+", 4) == 0;
    char kind = up[4];
    if (plus && kind != 'C' && kind != 'D')
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_FORMAT,
                           "reserved field '%s' is neither EDF+C nor EDF+D", res);
    rec->plus = plus;
    rec->discontinuous = plus && kind == 'D';
    int64_t hb = 0, nr = 0, ns = 0;
    double dur = 0;
    if ((rc = field_i64(rec, h + 184, 8, "header byte count", -1, quirks, &hb)) != CLEF_OK ||
        (rc = field_i64(rec, h + 236, 8, "number of data records", -1, quirks, &nr)) != CLEF_OK ||
        (rc = field_f64(rec, h + 244, 8, "data record duration", -1, quirks, &dur)) != CLEF_OK ||
        (rc = field_i64(rec, h + 252, 4, "number of signals", -1, quirks, &ns)) != CLEF_OK)
        return rc;
    if (ns < 1)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_RANGE,
                           "number of signals is %lld (must be >= 1)", (long long)ns);
    /* 4 digits: at most 9999 signals; the header must hold 256 bytes per signal */
    if (hb != HDR_FIXED * (ns + 1))
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_FORMAT,
                           "header byte count %lld != 256 * (1 + %lld signals)", (long long)hb,
                           (long long)ns);
    if ((uint64_t)hb > rec->file_size)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_FORMAT,
                           "truncated header: %lld signals need %lld bytes, file has %llu",
                           (long long)ns, (long long)hb, (unsigned long long)rec->file_size);
    if (nr < -1)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_RANGE, "number of data records is %lld",
                           (long long)nr);
    /* 0 is allowed for EDF+ files without ordinary signals (EDF+ spec 2.1.2; checked once the
     * signals are known) */
    if (!(dur >= 0) || dur > 1e7 || (dur == 0 && !plus))
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_RANGE,
                           "data record duration %g s is not in (0, 1e7]%s", dur,
                           dur == 0 ? " (0 only in an EDF+ file of annotations only)" : "");
    rec->hdr_bytes = (uint64_t)hb;
    rec->n_records = nr;
    rec->rec_dur = dur;
    *ns_out = ns;
    return CLEF_OK;
}

/* ---- signal headers ---- */

static int is_annotation_label(const char *l) {
    return strcmp(l, "EDF Annotations") == 0 || strcmp(l, "BDF Annotations") == 0;
}

static clef_status parse_signals(clef_recording *rec, const uint8_t *h, int32_t ns,
                                 unsigned *quirks) {
    /* Field widths and the order of the per-signal arrays: EDF spec table 2. */
    const uint8_t *p = h + HDR_FIXED;
    const uint8_t *lab = p, *tra = p + 16 * ns, *dim = p + 96 * ns, *pmn = p + 104 * ns,
                  *pmx = p + 112 * ns, *dmn = p + 120 * ns, *dmx = p + 128 * ns,
                  *pre = p + 136 * ns, *spr = p + 216 * ns;
    const int64_t dlo = rec->bps == 2 ? -32768 : -8388608, dhi = rec->bps == 2 ? 32767 : 8388607;
    size_t off = 0;
    clef_status rc;
    for (int32_t i = 0; i < ns; i++) {
        clefi_edf_signal *s = &rec->all[i];
        int64_t a = 0, b = 0, n = 0;
        if ((rc = field_text(rec, lab + 16 * i, 16, s->label, sizeof s->label, "label", i,
                             quirks)) != CLEF_OK ||
            (rc = field_text(rec, tra + 80 * i, 80, s->transducer, sizeof s->transducer,
                             "transducer", i, quirks)) != CLEF_OK ||
            (rc = field_text(rec, dim + 8 * i, 8, s->unit, sizeof s->unit, "physical dimension", i,
                             quirks)) != CLEF_OK ||
            (rc = field_f64(rec, pmn + 8 * i, 8, "physical minimum", i, quirks, &s->phys_min)) !=
                CLEF_OK ||
            (rc = field_f64(rec, pmx + 8 * i, 8, "physical maximum", i, quirks, &s->phys_max)) !=
                CLEF_OK ||
            (rc = field_i64(rec, dmn + 8 * i, 8, "digital minimum", i, quirks, &a)) != CLEF_OK ||
            (rc = field_i64(rec, dmx + 8 * i, 8, "digital maximum", i, quirks, &b)) != CLEF_OK ||
            (rc = field_text(rec, pre + 80 * i, 80, s->prefilter, sizeof s->prefilter,
                             "prefiltering", i, quirks)) != CLEF_OK ||
            (rc = field_i64(rec, spr + 8 * i, 8, "samples per record", i, quirks, &n)) != CLEF_OK)
            return rc;
        s->is_annot = is_annotation_label(s->label);
        if (n < 1 || n > 100000000)
            return clefi_error(rec->ctx, &rec->err, CLEF_ERR_RANGE,
                               "samples per record of signal %d is %lld (must be 1..1e8)", (int)i,
                               (long long)n);
        if (a < dlo || b > dhi || a >= b)
            return clefi_error(rec->ctx, &rec->err, CLEF_ERR_RANGE,
                               "digital range of signal %d is [%lld, %lld] (must be increasing "
                               "within [%lld, %lld])",
                               (int)i, (long long)a, (long long)b, (long long)dlo, (long long)dhi);
        s->dig_min = (int32_t)a;
        s->dig_max = (int32_t)b;
        s->spr = (int32_t)n;
        s->rec_off = off;
        size_t bytes;
        if (clefi_mul_overflow((size_t)n, (size_t)rec->bps, &bytes) ||
            clefi_add_overflow(off, bytes, &off))
            return clefi_error(rec->ctx, &rec->err, CLEF_ERR_OVERFLOW,
                               "data record size overflows at signal %d", (int)i);
        if (s->is_annot) {
            s->cls = CLEF_CHAN_ANNOTATION;
            s->map = CLEF_MAP_DROPPED_NON_EEG;
            s->canon = -1;
            continue;
        }
        /* physical = phys_min + (d - dig_min) * (phys_max - phys_min) / (dig_max - dig_min) */
        s->gain = (s->phys_max - s->phys_min) / ((double)b - (double)a);
        s->offset = s->phys_min - s->gain * (double)a;
        if (s->phys_min == s->phys_max &&
            (rc = clefi_rec_warn(rec,
                                 "signal %d ('%s'): physical minimum == maximum (%g); "
                                 "values are constant",
                                 (int)i, s->label, s->phys_min)) != CLEF_OK)
            return rc;
        if (s->phys_min > s->phys_max &&
            (rc = clefi_rec_warn(rec,
                                 "signal %d ('%s'): physical minimum %g > maximum %g "
                                 "(negative gain, inverted polarity)",
                                 (int)i, s->label, s->phys_min, s->phys_max)) != CLEF_OK)
            return rc;
        s->uv_scale = clefi_unit_uv_scale(s->unit);
        if (s->uv_scale == 0)
            s->uv_scale = rec->opt.unknown_scale;
        clefi_channel_classify(s->label, NULL, 0, &s->cls, &s->canon, &s->map);
    }
    rec->rec_bytes = off;
    return CLEF_OK;
}

/* Index data signals, resolve duplicates (first in file order wins) and the present mask. */
static clef_status map_channels(clef_recording *rec) {
    int32_t nd = 0;
    for (int32_t i = 0; i < rec->n_all; i++)
        nd += !rec->all[i].is_annot;
    rec->n_sig = nd;
    rec->data_idx = clefi_calloc(rec->ctx, (size_t)(nd ? nd : 1), sizeof *rec->data_idx);
    if (rec->data_idx == NULL)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_NOMEM, "signal index");
    for (int32_t c = 0; c < CLEF_N_CANONICAL; c++)
        rec->canon_src[c] = -1;
    rec->mask = 0;
    for (int32_t i = 0, k = 0; i < rec->n_all; i++) {
        clefi_edf_signal *s = &rec->all[i];
        if (s->is_annot)
            continue;
        rec->data_idx[k] = i;
        if (s->canon >= 0) {
            if (rec->canon_src[s->canon] >= 0) {
                s->map = CLEF_MAP_DROPPED_DUPLICATE;
                s->canon = -1;
            } else {
                rec->canon_src[s->canon] = k;
                rec->mask |= 1u << s->canon;
            }
        }
        k++;
    }
    return CLEF_OK;
}

/* Number of records: the header's, or counted from the file size (-1, MNE tolerates); a
 * partial last record is dropped with a warning. */
static clef_status count_records(clef_recording *rec) {
    uint64_t data = rec->file_size - rec->hdr_bytes;
    if (rec->rec_bytes == 0)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_FORMAT, "data records have no bytes");
    uint64_t have = data / rec->rec_bytes, rest = data % rec->rec_bytes;
    clef_status rc = CLEF_OK;
    if (rec->n_records == -1) {
        rec->n_records = (int64_t)have;
        rc = clefi_rec_warn(rec, "number of data records is -1; %llu found from the file size",
                            (unsigned long long)have);
    } else if ((uint64_t)rec->n_records > have) {
        if ((uint64_t)rec->n_records > have + 1)
            return clefi_error(rec->ctx, &rec->err, CLEF_ERR_FORMAT,
                               "truncated data: header says %lld records of %zu bytes, file "
                               "holds %llu",
                               (long long)rec->n_records, rec->rec_bytes, (unsigned long long)have);
        rc = clefi_rec_warn(rec, "last data record truncated (%llu of %zu bytes); dropped",
                            (unsigned long long)rest, rec->rec_bytes);
        rec->n_records = (int64_t)have;
    } else if ((uint64_t)rec->n_records < have || rest != 0) {
        rc = clefi_rec_warn(rec, "%llu bytes after the last data record ignored",
                            (unsigned long long)(data - (uint64_t)rec->n_records * rec->rec_bytes));
    }
    if (rc == CLEF_OK && rec->n_records == 0)
        rc = clefi_rec_warn(rec, "file holds no data records");
    return rc;
}

CLEFI_HIDDEN clef_status clefi_rec_scan_annotations(clef_recording *rec);

/* The reserved field: EDF+/BDF+ spelled in lower case, or text in a plain file's (the EDF spec
 * leaves it blank; BioSemi writes "24BIT" in BDF). */
static clef_status reserved_quirks(clef_recording *rec) {
    const char *res = rec->fields[CLEF_HDR_RESERVED];
    if (rec->plus && strncmp(res, "EDF+", 4) != 0 && strncmp(res, "BDF+", 4) != 0)
        return clefi_rec_warn(rec, "reserved field '%.44s' is not in capitals; read as %s+%c", res,
                              rec->bps == 3 ? "BDF" : "EDF", rec->discontinuous ? 'D' : 'C');
    if (!rec->plus && res[0] != '\0' && !(rec->bps == 3 && strcmp(res, "24BIT") == 0))
        return clefi_rec_warn(rec,
                              "reserved field of a plain %s file holds '%.44s' (should be blank); "
                              "ignored",
                              rec->bps == 3 ? "BDF" : "EDF", res);
    return CLEF_OK;
}

static clef_status open_common(clef_recording *rec, const clef_params *p) {
    uint8_t h0[HDR_FIXED];
    unsigned quirks = 0;
    int64_t ns = 0;
    int ymdhms[6] = {0, 0, 0, 0, 0, 0};
    clef_status rc = clefi_io_opts_read(&rec->opt, rec->ctx, &rec->err, p);
    if (rc == CLEF_OK && rec->file_size < HDR_FIXED)
        rc = clefi_error(rec->ctx, &rec->err, CLEF_ERR_FORMAT,
                         "truncated header: file has %llu bytes, the fixed header 256",
                         (unsigned long long)rec->file_size);
    if (rc == CLEF_OK)
        rc = read_at(rec, 0, h0, HDR_FIXED);
    if (rc == CLEF_OK)
        rc = parse_main(rec, h0, &ns, &quirks);
    if (rc != CLEF_OK)
        return rc;
    rec->n_all = (int32_t)ns;
    uint8_t *h = clefi_malloc(rec->ctx, (size_t)rec->hdr_bytes);
    rec->all = clefi_calloc(rec->ctx, (size_t)ns, sizeof *rec->all);
    if (h == NULL || rec->all == NULL) {
        clefi_free(rec->ctx, h);
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_NOMEM, "header of %d signals", (int)ns);
    }
    rc = read_at(rec, 0, h, (size_t)rec->hdr_bytes);
    if (rc == CLEF_OK)
        rc = parse_signals(rec, h, (int32_t)ns, &quirks);
    clefi_free(rec->ctx, h);
    if (rc == CLEF_OK)
        rc = map_channels(rec);
    if (rc == CLEF_OK && rec->rec_dur == 0 && rec->n_sig > 0)
        rc = clefi_error(rec->ctx, &rec->err, CLEF_ERR_RANGE,
                         "data record duration 0 s with %d ordinary signal(s): 0 is allowed only "
                         "in an EDF+ file of annotations only (EDF+ spec 2.1.2)",
                         (int)rec->n_sig);
    if (rc == CLEF_OK)
        rc = count_records(rec);
    if (rc == CLEF_OK)
        rc = clefi_rec_check_ident(rec);
    if (rc == CLEF_OK)
        rc = reserved_quirks(rec);
    if (rc == CLEF_OK)
        rc = clefi_rec_parse_start(rec, ymdhms);
    if (rc != CLEF_OK)
        return rc;
    int has_annot = 0;
    for (int32_t i = 0; i < rec->n_all; i++)
        has_annot |= rec->all[i].is_annot;
    if (rec->discontinuous && !has_annot)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_FORMAT,
                           "%s file without an annotation signal (record times unknown)",
                           rec->fields[CLEF_HDR_RESERVED]);
    if (rec->plus && !has_annot &&
        (rc = clefi_rec_warn(rec, "%s file without an annotation signal",
                             rec->fields[CLEF_HDR_RESERVED])) != CLEF_OK)
        return rc;
    if (rec->n_sig == 0 &&
        (rc = clefi_rec_warn(rec, "file holds annotations only (no data signal)")) != CLEF_OK)
        return rc;
    if ((quirks & Q_NONASCII) &&
        (rc = clefi_rec_warn(rec, "non-ASCII bytes in header text (decoded as Latin-1)")) !=
            CLEF_OK)
        return rc;
    if ((quirks & Q_COMMA) &&
        (rc = clefi_rec_warn(rec, "decimal comma in numeric header fields")) != CLEF_OK)
        return rc;
    if ((quirks & Q_LEADING) &&
        (rc = clefi_rec_warn(rec, "header fields with leading spaces")) != CLEF_OK)
        return rc;
    rec->file_type = (rec->bps == 3 ? CLEF_FILE_BDF : CLEF_FILE_EDF) +
                     (rec->plus ? (rec->discontinuous ? 2 : 1) : 0);
    if ((rc = clefi_rec_scan_annotations(rec)) != CLEF_OK)
        return rc;
    format_start(rec, ymdhms);
    return CLEF_OK;
}

static clef_status finish_open(clef_recording **out, clef_recording *rec, const clef_params *p) {
    clef_status rc = open_common(rec, p);
    if (rc != CLEF_OK) {
        clef_ctx *ctx = rec->ctx;
        clefi_error(ctx, &ctx->err, rc, "%s", rec->err.msg);
        clef_recording_free(rec);
        return rc;
    }
    *out = rec;
    return CLEF_OK;
}

static clef_recording *rec_new(clef_ctx *ctx) {
    clef_recording *rec = clefi_calloc(ctx, 1, sizeof *rec);
    if (rec == NULL)
        return NULL;
    rec->ctx = clefi_ctx_retain(ctx);
    rec->fd = -1;
    return rec;
}

clef_status clef_recording_open(clef_recording **out, clef_ctx *ctx, const char *path,
                                const clef_params *p) {
    clefi_reset(ctx);
    if (out != NULL)
        *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (out == NULL || path == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "clef_recording_open: NULL argument");
    clef_recording *rec = rec_new(ctx);
    if (rec == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "recording handle");
    rec->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (rec->fd < 0 || fstat(rec->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = rec->fd < 0 ? errno : (S_ISREG(st.st_mode) ? errno : EISDIR);
        clefi_ctx_error(ctx, CLEF_ERR_IO, "cannot open '%s': %s", path, strerror(e));
        clef_recording_free(rec);
        return CLEF_ERR_IO;
    }
    rec->file_size = (uint64_t)st.st_size;
    return finish_open(out, rec, p);
}

clef_status clef_recording_open_memory(clef_recording **out, clef_ctx *ctx, const void *data,
                                       size_t size, const clef_params *p) {
    clefi_reset(ctx);
    if (out != NULL)
        *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (out == NULL || (data == NULL && size > 0))
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                               "clef_recording_open_memory: NULL argument");
    clef_recording *rec = rec_new(ctx);
    if (rec == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "recording handle");
    static const uint8_t empty[1] = {0};
    rec->mem = data != NULL ? data : empty;
    rec->file_size = size;
    return finish_open(out, rec, p);
}

void clef_recording_free(clef_recording *rec) {
    if (rec == NULL)
        return;
    clef_ctx *ctx = rec->ctx;
    if (rec->fd >= 0)
        close(rec->fd);
    for (int32_t i = 0; i < rec->n_warn; i++)
        clefi_free(ctx, rec->warn[i]);
    clefi_free(ctx, rec->warn);
    clefi_free(ctx, rec->all);
    clefi_free(ctx, rec->data_idx);
    clefi_free(ctx, rec->rec_onset);
    clefi_free(ctx, rec->seg_first);
    clefi_free(ctx, rec->ann_onset);
    clefi_free(ctx, rec->ann_dur);
    clefi_free(ctx, rec->ann_off);
    clefi_free(ctx, rec->ann_text);
    clefi_free(ctx, rec->blk);
    clefi_free(ctx, rec);
    clefi_ctx_release(ctx);
}
