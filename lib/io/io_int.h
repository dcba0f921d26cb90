/*
 * io_int.h — libclef internal module 'io': EEG recording input: EDF/EDF+/BDF/BDF+ reader and
 * writer, EDF+ annotations, streaming input, safetensors and FHIR parsers. SPDX-License-Identifier:
 * BSD-3-Clause
 *
 * Private to the module (docs/ARCHITECTURE.md section 2): other modules use it through its
 * public API in include/clef.h only; tests/arch fails the build's tests when one includes this.
 * Also here: channel-label normalisation and montages, the polyphase resampler and the
 * canonical 19-channel pipeline shared by the reader and clef_stream.
 */
#ifndef CLEF_IO_INT_H
#define CLEF_IO_INT_H

#include "core_int.h"

/* ---- channel labels (channels.c) ---- */

/** Canonical index of a label (clef_channel_parse()), -1 if none; class/map as the public
 *  enums. name may be NULL. */
CLEFI_HIDDEN void clefi_channel_classify(const char *label, char *name, size_t cap, int32_t *cls,
                                         int32_t *canon, int32_t *map);
/** Factor from a unit string to microvolts; 0 when unknown. Accepts uV, µV (micro sign or Greek
 *  mu, UTF-8), mV, V, nV, and their all-upper/all-lower spellings ("UV", "mv") that exports which
 *  fold header case produce. */
CLEFI_HIDDEN double clefi_unit_uv_scale(const char *unit);

/* ---- polyphase resampler (resample.c) ---- */

/** Polyphase filter for a rate ratio up/down (reduced), scipy.signal.resample_poly's design:
 *  firwin(2*half+1, 1/max(up,down), window=("kaiser", 5.0)) * up, half = 10*max(up,down). */
typedef struct clefi_polyfilt {
    int32_t up, down;
    int32_t half;   /* half-length; taps = 2*half + 1 */
    int32_t n_poly; /* taps per phase: ceil((2*half+1)/up) */
    /* Polyphase bank: phase p (row p, n_poly taps) holds h[p + j*up] for j = n_poly-1 .. 0,
     * zero-padded at the front, h being the 2*half+1 taps centred at half. Output m uses
     * phase (m*down + half) mod up against contiguous inputs ending at (m*down + half) / up. */
    double *poly;
} clefi_polyfilt;

/** Largest max(up, down) after reduction accepted by the resampler (filter of 400,001 taps). */
#define CLEFI_RESAMPLE_MAX_FACTOR 20000

CLEFI_HIDDEN clef_status clefi_polyfilt_init(clefi_polyfilt *f, clef_ctx *ctx, clefi_err *err,
                                             int64_t up, int64_t down);
CLEFI_HIDDEN void clefi_polyfilt_free(clefi_polyfilt *f, clef_ctx *ctx);
/** Rate ratio out_rate/in_rate as a reduced fraction up/down, the input rate being
 *  num/den exactly when known (samples per record / record duration); CLEF_ERR_UNSUPPORTED when
 *  no fraction with max(up,down) <= CLEFI_RESAMPLE_MAX_FACTOR matches within 1e-9. */
CLEFI_HIDDEN clef_status clefi_rate_ratio(clef_ctx *ctx, clefi_err *err, double in_rate,
                                          double out_rate, int32_t *up, int32_t *down);

/** Streaming resampler of one channel: input samples are appended, output samples
 *  y[m] = sum_k x[k] h[m*down - k*up + half] (x = 0 outside the input) are produced as soon as
 *  every input they need exists, the rest at finish. Equal to resample_poly on the whole
 *  input whatever the chunking. */
typedef struct clefi_resampler {
    const clefi_polyfilt *f;
    double *buf;  /* input history: samples [base, base + n_buf) */
    int64_t base; /* absolute index of buf[0] */
    int64_t n_buf, cap_buf;
    int64_t n_in;   /* inputs seen */
    int64_t n_done; /* outputs produced */
    int finished;
} clefi_resampler;

CLEFI_HIDDEN void clefi_resampler_init(clefi_resampler *r, const clefi_polyfilt *f);
CLEFI_HIDDEN void clefi_resampler_free(clefi_resampler *r, clef_ctx *ctx);
/** Make room for n more inputs, so that pushing them cannot fail. */
CLEFI_HIDDEN clef_status clefi_resampler_reserve(clefi_resampler *r, clef_ctx *ctx, int64_t n);
/** Append n inputs (value = x[i] * scale, computed in double). */
CLEFI_HIDDEN clef_status clefi_resampler_push(clefi_resampler *r, clef_ctx *ctx, const float *x,
                                              int64_t n, double scale);
/** Number of outputs computable now (all remaining ones once finished). */
CLEFI_HIDDEN int64_t clefi_resampler_ready(const clefi_resampler *r);
/** Compute the next n (<= ready) outputs into out and drop history no longer needed. */
CLEFI_HIDDEN void clefi_resampler_pull(clefi_resampler *r, float *out, int64_t n);
CLEFI_HIDDEN void clefi_resampler_finish(clefi_resampler *r);

/* ---- canonical pipeline shared by the file reader and clef_stream (pipeline.c) ---- */

/** Settings of a CLEF_PARAMS_IO set, shared by clef_recording and clef_stream. */
typedef struct clefi_io_opts {
    double unknown_scale; /* CLEF_P_IO_UNKNOWN_UNIT as a factor to uV, 0 none */
    int32_t reference;    /* clef_io_reference */
    double target_rate;   /* Hz */
    int32_t join_gaps;
} clefi_io_opts;

/** Read p (NULL: defaults) into *o; CLEF_ERR_INVALID_ARG on a wrong kind or unknown unit. */
CLEFI_HIDDEN clef_status clefi_io_opts_read(clefi_io_opts *o, clef_ctx *ctx, clefi_err *err,
                                            const clef_params *p);

/** Per canonical channel: a source (input channel index), its uV scale and resampler. */
typedef struct clefi_pipeline {
    clef_ctx *ctx;
    int32_t n_filt;
    clefi_polyfilt filt[CLEF_N_CANONICAL]; /* distinct ratios, at most one per channel */
    clefi_resampler rs[CLEF_N_CANONICAL];
    int32_t src[CLEF_N_CANONICAL]; /* input channel feeding canonical c, -1 missing */
    double scale[CLEF_N_CANONICAL];
    uint32_t mask;
    int32_t reference; /* clef_io_reference */
} clefi_pipeline;

/** rates[k], scales[k] of input channel k; src[c] the input feeding canonical c or -1. */
CLEFI_HIDDEN clef_status clefi_pipeline_init(clefi_pipeline *pl, clef_ctx *ctx, clefi_err *err,
                                             const int32_t *src, const double *rates,
                                             const double *scales, double out_rate,
                                             int32_t reference);
CLEFI_HIDDEN void clefi_pipeline_free(clefi_pipeline *pl);
/** Feed n samples of input channel k (ignored when k feeds no canonical channel). */
CLEFI_HIDDEN clef_status clefi_pipeline_push(clefi_pipeline *pl, int32_t k, const float *x,
                                             int64_t n);
/** Make room for counts[k] more samples of every input channel k < n_ch (NULL: n each), so
 *  that the pushes that follow cannot fail half way: a failed push then consumes nothing. */
CLEFI_HIDDEN clef_status clefi_pipeline_reserve(clefi_pipeline *pl, int32_t n_ch,
                                                const int64_t *counts, int64_t n);
CLEFI_HIDDEN void clefi_pipeline_finish(clefi_pipeline *pl);
/** Outputs ready on every present channel. */
CLEFI_HIDDEN int64_t clefi_pipeline_ready(const clefi_pipeline *pl);
/** Move n (<= ready) outputs per channel to out (row c at out + c*stride), zero rows for
 *  missing channels, common average applied if configured. */
CLEFI_HIDDEN void clefi_pipeline_pull(clefi_pipeline *pl, float *out, size_t stride, int64_t n);

/* ---- EDF+ annotations (tal.c) ---- */

/** One TAL annotation as parsed: onset and duration (-1 if absent) in seconds, text span. */
typedef void (*clefi_tal_fn)(void *user, double onset, double duration, const char *text,
                             size_t len);
/** Parse the bytes of one annotation signal of one data record. time_keeping receives the
 *  record's time-keeping onset (first TAL with an empty first text), or stays NaN.
 *  Errors (CLEF_ERR_FORMAT) name the record and byte offset. */
CLEFI_HIDDEN clef_status clefi_tal_parse(clef_ctx *ctx, clefi_err *err, const uint8_t *p, size_t n,
                                         int64_t record, int want_time_keeping,
                                         double *time_keeping, clefi_tal_fn fn, void *user);

#endif /* CLEF_IO_INT_H */

/* ---- the recording handle (edf.c: open, header, annotations; edf_read.c: samples) ---- */

typedef struct clefi_edf_signal {
    char label[33];       /* 16 Latin-1 bytes as UTF-8 */
    char unit[17];        /* 8 bytes */
    char transducer[161]; /* 80 bytes */
    char prefilter[161];  /* 80 bytes */
    double phys_min, phys_max;
    double gain, offset; /* physical = offset + gain * digital */
    double uv_scale;     /* unit -> uV after the override; 0 unknown */
    int32_t dig_min, dig_max;
    int32_t spr;    /* samples per record */
    size_t rec_off; /* byte offset of the signal inside a record */
    int32_t is_annot, cls, map, canon;
    int32_t range_warned; /* a sample outside [dig_min, dig_max] was reported (edf_read.c) */
} clefi_edf_signal;

struct clef_recording {
    clef_ctx *ctx;
    clefi_err err;
    int fd;             /* -1 for a memory image */
    const uint8_t *mem; /* memory image, or NULL */
    uint64_t file_size;
    int32_t file_type; /* clef_file_type */
    int32_t bps;       /* bytes per sample: 2 (EDF) or 3 (BDF) */
    int32_t plus, discontinuous;
    char fields[6][161]; /* clef_header_field texts */
    char start_iso[48];
    int64_t start_days; /* for the ISO string */
    double start_sub;   /* sub-second offset of record 0 (EDF+ time keeping) */
    int64_t n_records;
    double rec_dur;
    size_t rec_bytes;
    uint64_t hdr_bytes;
    int32_t n_all; /* signals in the header, annotation signals included */
    clefi_edf_signal *all;
    int32_t n_sig;     /* data signals */
    int32_t *data_idx; /* data signal -> index in all */
    double *rec_onset; /* n_records onsets (s from start), NULL for plain EDF/BDF */
    int64_t n_seg;
    int64_t *seg_first; /* n_seg + 1 record boundaries */
    int64_t n_ann, cap_ann;
    double *ann_onset, *ann_dur;
    size_t *ann_off; /* text offsets into ann_text */
    char *ann_text;
    size_t ann_text_n, ann_text_cap;
    int32_t n_warn, cap_warn;
    char **warn;
    int32_t canon_src[CLEF_N_CANONICAL];
    uint32_t mask;
    clefi_io_opts opt;
    uint8_t *blk; /* record block buffer (file mode) */
    size_t blk_cap;
};

/** ASCII upper case, whatever the host's locale (toupper() follows LC_CTYPE). */
static inline char clefi_ascii_upper(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 32) : c; }
/** Append a warning (one line) to the recording; NOMEM is reported. */
CLEFI_HIDDEN clef_status clefi_rec_warn(clef_recording *rec, const char *fmt, ...)
    CLEFI_PRINTF(2, 3);
/** Start date and time of the header as {y, m, d, h, min, s}: dd.mm.yy (or "yy" after 2084,
 *  resolved from the EDF+ recording field's Startdate) and hh.mm.ss (edf_ident.c). */
CLEFI_HIDDEN clef_status clefi_rec_parse_start(clef_recording *rec, int *ymdhms);
/** Warnings for EDF+ patient and recording fields off the EDF+ subfield layout. */
CLEFI_HIDDEN clef_status clefi_rec_check_ident(clef_recording *rec);
/** Records [r0, r0+nr) as bytes: a pointer into the memory image or into rec->blk.
 *  nr * rec_bytes must fit the block buffer (clefi_rec_block_records()). */
CLEFI_HIDDEN clef_status clefi_rec_records(clef_recording *rec, int64_t r0, int64_t nr,
                                           const uint8_t **out);
/** Bytes [lo, lo+n) of record r (n <= rec_bytes), as clefi_rec_records(). */
CLEFI_HIDDEN clef_status clefi_rec_span(clef_recording *rec, int64_t r, size_t lo, size_t n,
                                        const uint8_t **out);
/** Records per block read (>= 1), sized to about 64 KiB. */
CLEFI_HIDDEN int64_t clefi_rec_block_records(const clef_recording *rec);
/** Decode digital sample j of signal s from a record's bytes. */
static inline int32_t clefi_rec_sample(const clef_recording *rec, const uint8_t *record,
                                       const clefi_edf_signal *s, int64_t j) {
    const uint8_t *p = record + s->rec_off + (size_t)j * (size_t)rec->bps;
    if (rec->bps == 2)
        return (int32_t)(int16_t)(uint16_t)(p[0] | (p[1] << 8));
    uint32_t u = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16);
    return (int32_t)(u ^ 0x800000u) - 0x800000;
}
