/*
 * core_int.h — libclef internal core: allocator, errors, logging, params, thread pool, RNG,
 * SHA-256, CSV reader, numbers as text whatever the host's locale.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Not API. Every module includes this header; nothing outside lib/ does.
 */
#ifndef CLEF_CORE_INT_H
#define CLEF_CORE_INT_H

#include "clef.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>

/* Internal symbols are hidden by -fvisibility=hidden; this makes the intent explicit. */
#if defined(__GNUC__)
#define CLEFI_HIDDEN       __attribute__((visibility("hidden")))
#define CLEFI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLEFI_HIDDEN
#define CLEFI_PRINTF(f, a)
#endif

/** Put before a hot, vectorizable loop nest: GCC compiles it for AVX-512F, AVX2 and baseline
 *  x86-64 and picks one when the library loads (function multiversioning via ifunc), since
 *  the library is built for the baseline. The clones do the same float operations in the same
 *  order (ISO C mode contracts no a*b+c into an FMA), so results do not depend on the CPU. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__) &&       \
    !defined(__SANITIZE_THREAD__) /* TSan instruments the resolver, which runs before its init */
#define CLEFI_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLEFI_SIMD_CLONES
#endif

#define CLEFI_ERRMSG_CAP 320

/** A handle's last error: a status and one line of text. */
typedef struct clefi_err {
    clef_status code;
    char msg[CLEFI_ERRMSG_CAP];
} clefi_err;

typedef struct clefi_alloc {
    clef_malloc_fn malloc_fn;
    clef_realloc_fn realloc_fn;
    clef_free_fn free_fn;
    void *user;
} clefi_alloc;

struct clef_ctx {
    clefi_alloc alloc;
    atomic_int refs; /* the caller's reference plus one per live handle */
    clef_log_fn log_fn;
    void *log_user;
    int32_t log_level;
    clefi_err err;
};

/* ---- context lifetime ---- */
CLEFI_HIDDEN clef_ctx *clefi_ctx_retain(clef_ctx *ctx);
CLEFI_HIDDEN void clefi_ctx_release(clef_ctx *ctx);
/** A new ctx with src's allocator and log callback, for work whose messages must not land on a
 *  ctx other threads may share (jobs, cohort generation). */
CLEFI_HIDDEN clef_status clefi_ctx_clone(clef_ctx **out, const clef_ctx *src);

/* ---- allocation: every byte the library owns comes from here ---- */
CLEFI_HIDDEN void *clefi_malloc(clef_ctx *ctx, size_t size);
/** Zeroed array of count*size bytes; NULL on overflow or failure. */
CLEFI_HIDDEN void *clefi_calloc(clef_ctx *ctx, size_t count, size_t size);
CLEFI_HIDDEN void *clefi_realloc(clef_ctx *ctx, void *ptr, size_t size);
/** Grow an array to at least count elements of size bytes; overflow-checked. */
CLEFI_HIDDEN void *clefi_realloc_array(clef_ctx *ctx, void *ptr, size_t count, size_t size);
CLEFI_HIDDEN void clefi_free(clef_ctx *ctx, void *ptr);
CLEFI_HIDDEN char *clefi_strdup(clef_ctx *ctx, const char *s);
/** 64-byte aligned block (SIMD/FFTW friendly) from the ctx allocator; free with
 *  clefi_free_aligned. */
CLEFI_HIDDEN void *clefi_malloc_aligned(clef_ctx *ctx, size_t size);
CLEFI_HIDDEN void clefi_free_aligned(clef_ctx *ctx, void *ptr);

/** a*b without overflow: returns 0 and sets *out, or returns 1 on overflow. */
static inline int clefi_mul_overflow(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a)
        return 1;
    *out = a * b;
    return 0;
}
static inline int clefi_add_overflow(size_t a, size_t b, size_t *out) {
    if (b > SIZE_MAX - a)
        return 1;
    *out = a + b;
    return 0;
}

/* ---- errors and logging ---- */
/** Record an error on err (may be NULL), log it at debug level, return status. */
CLEFI_HIDDEN clef_status clefi_error(clef_ctx *ctx, clefi_err *err, clef_status status,
                                     const char *fmt, ...) CLEFI_PRINTF(4, 5);
CLEFI_HIDDEN void clefi_err_clear(clefi_err *err);
/** The one error rule: every entry point starts by clearing its handle's last error (h may be
 *  NULL; any handle with an `err` member: ctx, recording, store, ...). */
#define clefi_reset(h)                                                                             \
    do {                                                                                           \
        if ((h) != NULL)                                                                           \
            clefi_err_clear(&(h)->err);                                                            \
    } while (0)
/** Same as clefi_error, recording on ctx->err. */
#define clefi_ctx_error(ctx, status, ...) clefi_error((ctx), &(ctx)->err, (status), __VA_ARGS__)
CLEFI_HIDDEN void clefi_log(const clef_ctx *ctx, int32_t level, const char *fmt, ...)
    CLEFI_PRINTF(3, 4);
CLEFI_HIDDEN void clefi_vlog(const clef_ctx *ctx, int32_t level, const char *fmt, va_list ap)
    CLEFI_PRINTF(3, 0);

/* ---- numbers as text, whatever the host's locale (numtext.c) ----
 * Every printf-style formatting and every decimal parse in lib/ goes through these (ctest
 * check_locale): they run the C library under a "C" locale object on the calling thread only. */
/** vsnprintf/snprintf with '.' as the decimal point and no grouping, always. */
CLEFI_HIDDEN int clefi_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap)
    CLEFI_PRINTF(3, 0);
CLEFI_HIDDEN int clefi_snprintf(char *buf, size_t cap, const char *fmt, ...) CLEFI_PRINTF(3, 4);
/** strtod in the "C" locale (same accepted text, same errno). */
CLEFI_HIDDEN double clefi_strtod(const char *s, char **end);
/** Shortest "%.{1..17}g" text of a finite v that reads back as exactly v; its length, or -1
 *  (not finite, or cap too small; 25 bytes always suffice). */
CLEFI_HIDDEN int clefi_fmt_double(char *buf, size_t cap, double v);
/** The whole of s as a finite decimal [+-](d+[.d*]|.d+)[(e|E)[+-]d+], correctly rounded:
 *  0, or -1 (blanks, hex, inf, nan, trailing text, overflow). */
CLEFI_HIDDEN int clefi_parse_double(const char *s, double *v);

/* ---- parameters ---- */
/** Typed value of a parameter in a set; modules read their handles' settings with these. */
CLEFI_HIDDEN int64_t clefi_params_i64(const clef_params *p, int32_t key);
CLEFI_HIDDEN double clefi_params_f64(const clef_params *p, int32_t key);
CLEFI_HIDDEN const char *clefi_params_str(const clef_params *p, int32_t key);

/* ---- thread pool: static partition, so results never depend on scheduling ---- */
typedef struct clefi_pool clefi_pool;
/** Work over [begin, end) by worker tid (0 = the calling thread). */
typedef void (*clefi_range_fn)(void *arg, int64_t begin, int64_t end, int32_t tid);

/** A pool of n_threads - 1 workers plus the caller. n_threads == 1 starts no thread. */
CLEFI_HIDDEN clef_status clefi_pool_create(clefi_pool **out, clef_ctx *ctx, int32_t n_threads);
CLEFI_HIDDEN void clefi_pool_free(clefi_pool *pool);
CLEFI_HIDDEN int32_t clefi_pool_size(const clefi_pool *pool);
/** Split [0, n) into clefi_pool_size() contiguous chunks, run fn on each, wait for all.
 *  pool may be NULL (runs serially). Not reentrant: one clefi_pool_for per pool at a time. */
CLEFI_HIDDEN void clefi_pool_for(clefi_pool *pool, int64_t n, clefi_range_fn fn, void *arg);

/* ---- the machine (cpu.c): instruction sets from cpuid (with OS support), BLAS kernel ---- */
enum clefi_isa {
    CLEFI_ISA_SSE42 = 1u << 0,
    CLEFI_ISA_AVX = 1u << 1,
    CLEFI_ISA_AVX2 = 1u << 2,
    CLEFI_ISA_FMA = 1u << 3,
    CLEFI_ISA_AVX512F = 1u << 4,
    CLEFI_ISA_AVX512DQ = 1u << 5,
    CLEFI_ISA_AVX512BW = 1u << 6,
    CLEFI_ISA_AVX512VL = 1u << 7,
    CLEFI_ISA_AVX512VBMI = 1u << 8,
    CLEFI_ISA_AMX = 1u << 9,
    CLEFI_ISA_AVX512BF16 = 1u << 10
};
/** The CPU's usable instruction sets (clefi_isa bits), detected once. */
CLEFI_HIDDEN uint32_t clefi_cpu_isa(void);
/** When an OpenBLAS kernel family is older than what the CPU (isa bits) runs: a one-line
 *  message naming the kernel that fits and how to select it, written to buf; else NULL.
 *  env: OPENBLAS_CORETYPE's value (NULL if unset); when set, the message names it as the cause. */
CLEFI_HIDDEN const char *clefi_blas_advice(const char *kernel, uint32_t isa, const char *env,
                                           char *buf, size_t cap);
/** Log that advice once per process through ctx's callback, if it takes warnings. */
CLEFI_HIDDEN void clefi_blas_warn_once(const clef_ctx *ctx);

/* ---- clef_session: one thread's call state (session.c) ---- */
#define CLEFI_MAX_THREADS 1024

/** Scratch slots of a session: one grow-only, 64-byte aligned block per use, so calls that nest
 *  (the pipeline's signal and spectrogram around the tokenizer's activations) never share one. */
enum clefi_slot_id {
    CLEFI_SLOT_SPEC = 0,      /* spectrogram per-thread frame scratch */
    CLEFI_SLOT_TOK = 1,       /* tokenizer activations and conv/VQ scratch */
    CLEFI_SLOT_PIPE_X = 2,    /* pipeline: canonical signal */
    CLEFI_SLOT_PIPE_SPEC = 3, /* pipeline: spectrogram */
    CLEFI_SLOT_PIPE_IDS = 4,  /* pipeline: token ids */
    CLEFI_SLOT_TOK_MEAN = 5,  /* tokenizer: the session-mean ridge solve */
    CLEFI_SLOT_ENC = 6,       /* encoder: token window, activations, states */
    CLEFI_SLOT_ENC_IDS = 7,   /* encoder pipeline: the session's token ids */
    CLEFI_SLOT_TEXT = 8,      /* text encoder: token ids, activations */
    CLEFI_SLOT_COUNT = 9
};

typedef struct clefi_slot {
    void *mem;
    size_t size;
} clefi_slot;

struct clef_session {
    clef_ctx *ctx;
    int32_t n_threads;
    clefi_pool *pool; /* n_threads - 1 workers, started once */
    clefi_slot slot[CLEFI_SLOT_COUNT];
    clefi_err err;
};

/** Start of every entry point that takes a session: the one error rule (clear the last error). */
static inline void clefi_session_begin(clef_session *s) { clefi_err_clear(&s->err); }
/** Record an error on the session (and the debug log); returns status. */
CLEFI_HIDDEN clef_status clefi_session_error(clef_session *s, clef_status status, const char *fmt,
                                             ...) CLEFI_PRINTF(3, 4);
/** Slot `slot` with at least bytes bytes (contents unspecified); NULL after recording
 *  CLEF_ERR_NOMEM on the session. The block stays valid until the slot is asked for more. */
CLEFI_HIDDEN void *clefi_session_slot(clef_session *s, int32_t slot, size_t bytes);

/* ---- default models (models.c) ---- */
/** *out = path, or when path is NULL the default model which (clef_default_model_path()) in
 *  buf (cap bytes); errors on ctx. */
CLEFI_HIDDEN clef_status clefi_model_path_or_default(clef_ctx *ctx, const char *path, int32_t which,
                                                     char *buf, size_t cap, const char **out);

/* ---- random numbers (rng.c): splitmix64 (Steele, Lea, Flood, "Fast splittable pseudorandom
 * number generators", OOPSLA 2014), the library's one generator ---- */

/** Sequential: advance *state by the golden-ratio increment and return its splitmix64 mix. */
CLEFI_HIDDEN uint64_t clefi_splitmix64(uint64_t *state);
/** Sequential uniform integer in [0, n), n >= 1, unbiased (rejection). */
CLEFI_HIDDEN uint64_t clefi_rand_below(uint64_t *state, uint64_t n);
/** Stateless: random 64 bits for (seed, counter), the splitmix64 finaliser applied twice.
 *  Element i of a dropout mask is drawn from counter offset + i, so any thread may draw any
 *  element and a checkpoint stores only (seed, offset). */
CLEFI_HIDDEN uint64_t clefi_rng_u64(uint64_t seed, uint64_t counter);
/** Stateless uniform in [0, 1) with 24 random bits. */
CLEFI_HIDDEN float clefi_rng_uniform(uint64_t seed, uint64_t counter);
/** Stateless standard normal (Box-Muller on counters 2*counter and 2*counter+1). */
CLEFI_HIDDEN float clefi_rng_normal(uint64_t seed, uint64_t counter);

/* ---- SHA-256 (FIPS 180-4): recording fingerprints in cohort manifests and the store ---- */
typedef struct clefi_sha256_ctx {
    uint32_t h[8];
    uint64_t n_bytes;
    uint8_t buf[64];
    size_t fill;
} clefi_sha256_ctx;

CLEFI_HIDDEN void clefi_sha256_init(clefi_sha256_ctx *s);
CLEFI_HIDDEN void clefi_sha256_update(clefi_sha256_ctx *s, const void *data, size_t len);
CLEFI_HIDDEN void clefi_sha256_final(clefi_sha256_ctx *s, uint8_t digest[32]);
/** One-shot digest of len bytes. */
CLEFI_HIDDEN void clefi_sha256(const void *data, size_t len, uint8_t digest[32]);
/** Lowercase hex of a digest, NUL-terminated (65 bytes). */
CLEFI_HIDDEN void clefi_sha256_hex(const uint8_t digest[32], char hex[65]);
/** Lowercase hex SHA-256 of the file at path, streamed. Returns CLEF_OK, CLEF_ERR_NOT_FOUND
 *  when the file cannot be opened or CLEF_ERR_IO on a read error; records no message (callers
 *  word their own, naming what the file is). */
CLEFI_HIDDEN clef_status clefi_sha256_file_hex(const char *path, char hex[65]);

/* ---- files (file.c) ---- */
/** Read a whole file into a NUL-terminated buffer from the ctx allocator; *n excludes the NUL.
 *  CLEF_ERR_NOT_FOUND or CLEF_ERR_IO (message on err naming the path), CLEF_ERR_NOMEM. */
CLEFI_HIDDEN clef_status clefi_read_file(clef_ctx *ctx, const char *path, char **data, size_t *n,
                                         clefi_err *err);

/* ---- CSV reader (csv.c): RFC 4180 over a memory buffer; the library's one CSV parser (the
 * store's importers, cohort directories) ---- */
typedef struct clefi_csv clefi_csv;

/** A reader over data[0..n) (not copied: it must outlive the reader). name is used in
 *  messages ("manifest.csv line 3, column 2: ..."). A UTF-8 byte-order mark is skipped. */
CLEFI_HIDDEN clef_status clefi_csv_open(clefi_csv **out, clef_ctx *ctx, const char *data, size_t n,
                                        const char *name, clefi_err *err);
CLEFI_HIDDEN void clefi_csv_free(clefi_csv *r);
/** Read the next record: *has_row = 1 and CLEF_OK, or *has_row = 0 at the end. Syntax errors
 *  give CLEF_ERR_FORMAT naming the file, line and column. Empty lines are skipped. */
CLEFI_HIDDEN clef_status clefi_csv_next(clefi_csv *r, int *has_row, clefi_err *err);
CLEFI_HIDDEN size_t clefi_csv_nfields(const clefi_csv *r);
/** Field i of the current record (NUL-terminated; valid until the next clefi_csv_next). */
CLEFI_HIDDEN const char *clefi_csv_field(const clefi_csv *r, size_t i);
/** Physical line number (1-based) where the current record starts. */
CLEFI_HIDDEN int64_t clefi_csv_line(const clefi_csv *r);
CLEFI_HIDDEN const char *clefi_csv_name(const clefi_csv *r);
/** Read the header record and map each of names[0..n) to its column (idx[i]); a missing column
 *  is CLEF_ERR_FORMAT unless optional[i] is set (then idx[i] = SIZE_MAX). */
CLEFI_HIDDEN clef_status clefi_csv_header(clefi_csv *r, const char *const *names,
                                          const int *optional, size_t n, size_t *idx,
                                          clefi_err *err);
/** Field by header index, "" for an optional column that is absent. */
CLEFI_HIDDEN const char *clefi_csv_get(const clefi_csv *r, size_t idx);
/** Require the current record to have exactly the header's field count. */
CLEFI_HIDDEN clef_status clefi_csv_check_width(const clefi_csv *r, clefi_err *err);

#endif /* CLEF_CORE_INT_H */
