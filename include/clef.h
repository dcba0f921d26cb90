/*
 * clef.h — the public C API of libclef, a clinical EEG foundation model (CLEF).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * This is the only public header: nothing else under include/ or lib/ is API.
 *
 * Thread contract
 * ---------------
 * - Handles documented as "shared" (spectrogram, tokenizer, encoder, aligner) are immutable after
 *   creation and may be used from several threads at once.
 * - Every other handle (ctx, params, recording, stream, session, trainer, store) is used by one
 *   thread at a time; different handles may be used concurrently.
 * - The library starts no threads except those a caller requests through an explicit n_threads
 *   argument. It reads no environment variables, never prints, never calls exit() or abort().
 *
 * Error contract
 * --------------
 * - Fallible functions return a clef_status: CLEF_OK (0), a positive non-error outcome, or a
 *   negative CLEF_ERR_* code. Out-parameters come first; on failure *out is set to NULL.
 * - Each stateful handle keeps a one-line, human-readable message about its last failure
 *   (e.g. clef_ctx_errmsg()); constructors record theirs on the ctx they were given.
 * - On failure the handle is unchanged and still usable, and the caller's inputs are untouched.
 *
 * Memory contract
 * ---------------
 * - The caller owns output buffers; functions that fill one take its capacity and report the
 *   size needed (CLEF_ERR_BUFFER_TOO_SMALL).
 * - Handles are freed with their clef_<noun>_free(); every free function accepts NULL.
 * - All library allocations go through the ctx allocator (clef_ctx_create_with_allocator()).
 */
#ifndef CLEF_H
#define CLEF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Export macro                                                                               */
/* ------------------------------------------------------------------------------------------ */

#if defined(_WIN32)
#if defined(CLEF_BUILDING_LIBRARY)
#define CLEF_API __declspec(dllexport)
#elif defined(CLEF_STATIC)
#define CLEF_API
#else
#define CLEF_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#define CLEF_API __attribute__((visibility("default")))
#else
#define CLEF_API
#endif

#if defined(__GNUC__)
#define CLEF_DEPRECATED(hint) __attribute__((deprecated(hint)))
#else
#define CLEF_DEPRECATED(hint)
#endif

/* ------------------------------------------------------------------------------------------ */
/* Versions                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* Package version (semantic). CMake reads these three lines. */
#define CLEF_VERSION_MAJOR 0
#define CLEF_VERSION_MINOR 1
#define CLEF_VERSION_PATCH 0
/* ABI version: the SONAME is libclef.so.<CLEF_ABI_VERSION>. Bumped only on an incompatible
 * change of the binary interface (see docs/ABI.md). */
#define CLEF_ABI_VERSION 0

#define CLEF_VERSION_NUMBER                                                                        \
    (CLEF_VERSION_MAJOR * 10000 + CLEF_VERSION_MINOR * 100 + CLEF_VERSION_PATCH)
#define CLEF_STRINGIFY_(x) #x
#define CLEF_STRINGIFY(x)  CLEF_STRINGIFY_(x)
#define CLEF_VERSION_STRING                                                                        \
    CLEF_STRINGIFY(CLEF_VERSION_MAJOR)                                                             \
    "." CLEF_STRINGIFY(CLEF_VERSION_MINOR) "." CLEF_STRINGIFY(CLEF_VERSION_PATCH)

/** Runtime package version string of the loaded library, e.g. "0.1.0". */
CLEF_API const char *clef_version(void);
/** Runtime twin of CLEF_VERSION_STRING (same as clef_version()). */
CLEF_API const char *clef_version_string(void);
/** Runtime twin of CLEF_VERSION_NUMBER: major*10000 + minor*100 + patch. */
CLEF_API int32_t clef_version_number(void);
/** Runtime twin of CLEF_ABI_VERSION. A binding refuses a library whose value differs. */
CLEF_API int32_t clef_abi_version(void);
/** Source revision the library was built from (git describe), or "unknown". */
CLEF_API const char *clef_source_id(void);
/** One line describing the build: compiler, build type and linked dependency versions. */
CLEF_API const char *clef_build_info(void);

/* ------------------------------------------------------------------------------------------ */
/* Status codes                                                                               */
/* ------------------------------------------------------------------------------------------ */

/** Status returned by every fallible function. Values are pinned and only appended. */
typedef int32_t clef_status;

enum clef_status_code {
    CLEF_OK = 0,                     /**< success */
    CLEF_MORE = 1,                   /**< not an error: a stream needs more input */
    CLEF_ERR_INVALID_ARG = -1,       /**< an argument is NULL, out of range or inconsistent */
    CLEF_ERR_NOMEM = -2,             /**< an allocation failed */
    CLEF_ERR_IO = -3,                /**< the operating system refused a read, write or open */
    CLEF_ERR_FORMAT = -4,            /**< input data are malformed */
    CLEF_ERR_UNSUPPORTED = -5,       /**< valid input using a feature libclef does not support */
    CLEF_ERR_STATE = -6,             /**< the handle is not in a state that allows the call */
    CLEF_ERR_SHAPE = -7,             /**< tensor or buffer shapes do not match */
    CLEF_ERR_BUSY = -8,              /**< the handle is still in use by another handle */
    CLEF_ERR_MISUSE = -9,            /**< the API was used against its contract */
    CLEF_ERR_INTERNAL = -10,         /**< a broken internal invariant (a bug: please report) */
    CLEF_ERR_BUFFER_TOO_SMALL = -11, /**< the caller's buffer is too small; size reported */
    CLEF_ERR_NOT_FOUND = -12,        /**< a named item (channel, tensor, key, row) does not exist */
    CLEF_ERR_RANGE = -13,            /**< a numeric value is outside its valid range */
    CLEF_ERR_CANCELLED = -14,        /**< a progress callback asked to stop */
    CLEF_ERR_OVERFLOW = -15          /**< a size computation would overflow */
};

/** A static, one-line English description of a status code (never NULL). */
CLEF_API const char *clef_strerror(clef_status status);

/* ------------------------------------------------------------------------------------------ */
/* Context: allocator, log callback, defaults                                                 */
/* ------------------------------------------------------------------------------------------ */

/** Library context. Reference counted internally: handles created from a ctx keep it alive, so
 *  clef_ctx_free() may be called before them (useful for garbage-collected bindings). */
typedef struct clef_ctx clef_ctx;

enum clef_log_level {
    CLEF_LOG_ERROR = 1,
    CLEF_LOG_WARN = 2,
    CLEF_LOG_INFO = 3,
    CLEF_LOG_DEBUG = 4
};

/** Log callback: level is a clef_log_level, msg one line without a trailing newline. */
typedef void (*clef_log_fn)(int32_t level, const char *msg, void *user);

/** Allocator hooks. malloc/realloc return NULL on failure; free accepts NULL.
 *  They must be thread-safe if handles of the ctx are used from several threads. */
typedef void *(*clef_malloc_fn)(size_t size, void *user);
typedef void *(*clef_realloc_fn)(void *ptr, size_t size, void *user);
typedef void (*clef_free_fn)(void *ptr, void *user);

/** Create a context with the C library allocator and logging off. */
CLEF_API clef_status clef_ctx_create(clef_ctx **out);
/** Create a context whose every allocation (the context included) goes through the given hooks.
 *  All three functions are required. */
CLEF_API clef_status clef_ctx_create_with_allocator(clef_ctx **out, clef_malloc_fn malloc_fn,
                                                    clef_realloc_fn realloc_fn,
                                                    clef_free_fn free_fn, void *user);
/** Release the caller's reference. NULL-safe. */
CLEF_API void clef_ctx_free(clef_ctx *ctx);
/** Last error recorded on the context, "" if none. Valid until the next call on the ctx. */
CLEF_API const char *clef_ctx_errmsg(const clef_ctx *ctx);
/** Status of the last error recorded on the context, CLEF_OK if none. */
CLEF_API clef_status clef_ctx_errcode(const clef_ctx *ctx);
/** Install a log callback (NULL turns logging off). Messages above max_level are not built. */
CLEF_API clef_status clef_ctx_set_log(clef_ctx *ctx, int32_t max_level, clef_log_fn fn, void *user);
/** Default worker-thread count for handles created from this ctx (>= 1; default 1). */
CLEF_API clef_status clef_ctx_set_n_threads(clef_ctx *ctx, int32_t n_threads);
CLEF_API int32_t clef_ctx_get_n_threads(const clef_ctx *ctx);

/* ------------------------------------------------------------------------------------------ */
/* Parameters: an opaque, kind-tagged parameter set with typed, range-checked setters          */
/* ------------------------------------------------------------------------------------------ */

typedef struct clef_params clef_params;

/** Parameter-set kinds. Pinned, only appended. */
enum clef_params_kind {
    CLEF_PARAMS_CORE = 1,      /**< generic settings (threads, seed) */
    CLEF_PARAMS_IO = 2,        /**< recording input: channel map, units, resampling */
    CLEF_PARAMS_SPEC = 3,      /**< multitaper spectrogram */
    CLEF_PARAMS_TOKENIZER = 4, /**< VQGAN tokenizer architecture */
    CLEF_PARAMS_TRAIN = 5,     /**< training: optimizer, schedule, batch */
    CLEF_PARAMS_COHORT = 6     /**< synthetic cohort generation */
};

/** Value types of parameters. */
enum clef_param_type { CLEF_PARAM_I64 = 1, CLEF_PARAM_F64 = 2, CLEF_PARAM_STR = 3 };

/** Parameter keys. Pinned, only appended; each module owns a range of 100 values and declares
 *  its keys in its own section below (core 1-99, io 100-199, dsp 200-299, nn 300-399,
 *  model 400-499, clinical 500-599, store 600-699, cohort 700-799). Experimental keys start at
 *  1000. */
enum clef_param_key {
    CLEF_P_N_THREADS = 1, /**< i64, >= 1: worker threads */
    CLEF_P_SEED = 2       /**< i64, >= 0: random seed */
};

/** Create a parameter set of the given kind with every key at its default. */
CLEF_API clef_status clef_params_create(clef_params **out, clef_ctx *ctx, int32_t kind);
CLEF_API void clef_params_free(clef_params *p);
/** Copy all values of src into a new set. */
CLEF_API clef_status clef_params_clone(clef_params **out, const clef_params *src);
CLEF_API int32_t clef_params_kind(const clef_params *p);
/** Set a key; CLEF_ERR_NOT_FOUND if the key does not belong to the set's kind,
 *  CLEF_ERR_INVALID_ARG on a type mismatch, CLEF_ERR_RANGE outside clef_param_bounds(). */
CLEF_API clef_status clef_params_set_i64(clef_params *p, int32_t key, int64_t value);
CLEF_API clef_status clef_params_set_f64(clef_params *p, int32_t key, double value);
CLEF_API clef_status clef_params_set_str(clef_params *p, int32_t key, const char *value);
CLEF_API clef_status clef_params_get_i64(const clef_params *p, int32_t key, int64_t *out);
CLEF_API clef_status clef_params_get_f64(const clef_params *p, int32_t key, double *out);
/** The string stays valid until the key is set again or the set is freed. */
CLEF_API clef_status clef_params_get_str(const clef_params *p, int32_t key, const char **out);
/** Find a key by its stable name (e.g. "n_threads"), for bindings and config files. */
CLEF_API clef_status clef_param_lookup(const char *name, int32_t *key_out);
/** Describe a key: name, type (clef_param_type), kind and a one-line doc (static strings). */
CLEF_API clef_status clef_param_info(int32_t key, const char **name, int32_t *type, int32_t *kind,
                                     const char **doc);
/** Inclusive bounds of a numeric key (as doubles). */
CLEF_API clef_status clef_param_bounds(int32_t key, double *min_out, double *max_out);
/** Last error of the parameter set (set by a failed setter), "" if none. */
CLEF_API const char *clef_params_errmsg(const clef_params *p);

/* ------------------------------------------------------------------------------------------ */
/* io: EEG recordings (EDF/EDF+/BDF/BDF+ reader), channel maps, resampling, streaming (lib/io) */
/* ------------------------------------------------------------------------------------------ */

/* (end of section) */

/* ------------------------------------------------------------------------------------------ */
/* io: EDF+/BDF writer                                                         (lib/io)       */
/* ------------------------------------------------------------------------------------------ */

/** A writer of EDF, EDF+, BDF and BDF+ files (EDF+ specification, Kemp & Olivan 2003; BDF:
 *  BioSemi 24-bit variant). Used by one thread at a time. Bytes are deterministic: the same calls
 *  give the same file. Life cycle: create, set header fields and add signals, write samples
 *  (the header is frozen by the first write), add annotations at any time, close. */
typedef struct clef_edf_writer clef_edf_writer;

/** File formats of clef_edf_writer_create(). Pinned. */
enum clef_edf_format {
    CLEF_EDF_FORMAT_EDF = 1,     /**< EDF, 16-bit samples, no annotation signal */
    CLEF_EDF_FORMAT_EDFPLUS = 2, /**< EDF+C, 16-bit samples plus an "EDF Annotations" signal */
    CLEF_EDF_FORMAT_BDF = 3,     /**< BDF ("24BIT"), 24-bit samples, no annotation signal */
    CLEF_EDF_FORMAT_BDFPLUS = 4  /**< BDF+C, 24-bit samples plus a "BDF Annotations" signal */
};

/** Open path for writing (truncating it) in one of the clef_edf_format formats. Defaults: record
 *  duration 1 s, start 2000-01-01 00:00:00, patient and recording fields unknown ("X"),
 *  annotation space 120 bytes per record. Errors are recorded on ctx. */
CLEF_API clef_status clef_edf_writer_create(clef_edf_writer **out, clef_ctx *ctx, const char *path,
                                            int32_t format);
/** Close the file without finalizing it (if clef_edf_writer_close() was not called, the header
 *  keeps a record count of -1) and free the writer. NULL-safe. */
CLEF_API void clef_edf_writer_free(clef_edf_writer *w);
/** Last error of the writer, "" if none. */
CLEF_API const char *clef_edf_writer_errmsg(const clef_edf_writer *w);

/** EDF+ patient identification: code (e.g. an MRN), sex ("M", "F" or NULL/"X" unknown), birth
 *  date (birth_year 0: unknown) and name. Spaces become '_' and non-ASCII bytes '?' (the header
 *  is ASCII). For EDF/BDF the same text fills the free-form field. Before the first write. */
CLEF_API clef_status clef_edf_writer_set_patient(clef_edf_writer *w, const char *code,
                                                 const char *sex, int32_t birth_year,
                                                 int32_t birth_month, int32_t birth_day,
                                                 const char *name);
/** EDF+ recording identification after "Startdate dd-MMM-yyyy": admin code, technician,
 *  equipment (NULL: "X"). Before the first write. */
CLEF_API clef_status clef_edf_writer_set_recording(clef_edf_writer *w, const char *admin_code,
                                                   const char *technician, const char *equipment);
/** Start date and time of the recording (year 1985-2084: the header's two-digit year range).
 *  Before the first write. */
CLEF_API clef_status clef_edf_writer_set_start(clef_edf_writer *w, int32_t year, int32_t month,
                                               int32_t day, int32_t hour, int32_t minute,
                                               int32_t second);
/** Duration of one data record in seconds (> 0, at most 8 header characters). Before the first
 *  write and before adding signals. */
CLEF_API clef_status clef_edf_writer_set_record_duration(clef_edf_writer *w, double seconds);
/** Bytes reserved per data record for annotations (EDF+/BDF+; rounded up to whole samples,
 *  >= 16). Annotations that do not fit in their own record spill into later ones; close()
 *  fails with CLEF_ERR_RANGE if space runs out. Before the first write. */
CLEF_API clef_status clef_edf_writer_set_annotation_bytes(clef_edf_writer *w, int32_t bytes);
/** Add a signal. sample_rate * record duration must be a whole number of samples. Physical
 *  range in unit (e.g. "uV"), digital range within the format's (EDF -32768..32767, BDF
 *  -8388608..8388607). Header text fields are truncated to their width (label 16, unit 8,
 *  transducer and prefilter 80); numbers are written in 8 characters and scaling uses the values
 *  as written. index_out (may be NULL) receives the signal's index. Before the first write. */
CLEF_API clef_status clef_edf_writer_add_signal(clef_edf_writer *w, const char *label,
                                                const char *unit, double sample_rate,
                                                double phys_min, double phys_max, int32_t dig_min,
                                                int32_t dig_max, const char *transducer,
                                                const char *prefilter, int32_t *index_out);
/** Append n physical samples (in the signal's unit) to one signal. Values are quantized with
 *  rounding to nearest and clipped to the digital range; non-finite values are rejected
 *  (CLEF_ERR_INVALID_ARG, nothing appended). Records are written as soon as every signal has
 *  one; chunks may have any length. */
CLEF_API clef_status clef_edf_writer_write_signal_f32(clef_edf_writer *w, int32_t signal,
                                                      const float *x, size_t n);
/** Append n samples to every signal from a planar buffer: signal s reads data[s * stride + i],
 *  i < n (stride >= n). For signals of equal sample rate. */
CLEF_API clef_status clef_edf_writer_write_f32(clef_edf_writer *w, const float *data, size_t n,
                                               size_t stride);
/** Add an annotation (EDF+/BDF+ only): onset in seconds from the start (>= 0), duration in
 *  seconds (< 0: none), UTF-8 text (control characters become spaces). Written as a TAL at
 *  close, in the record holding its onset or the next one with space. */
CLEF_API clef_status clef_edf_writer_add_annotation(clef_edf_writer *w, double onset_s,
                                                    double duration_s, const char *text);
/** Finish: pad the last partial record with physical zeros (clipped), write annotations, set
 *  the record count in the header and close the file. The writer accepts no further call but
 *  clef_edf_writer_errmsg() and clef_edf_writer_free(). */
CLEF_API clef_status clef_edf_writer_close(clef_edf_writer *w);
/** Number of data records written so far. */
CLEF_API int64_t clef_edf_writer_n_records(const clef_edf_writer *w);

/* (end of section) */

/* ------------------------------------------------------------------------------------------ */
/* dsp: DPSS tapers, multitaper spectrogram, spectrogram streaming            (lib/dsp)       */
/* ------------------------------------------------------------------------------------------ */

/* (end of section) */

/* ------------------------------------------------------------------------------------------ */
/* nn: weights files (safetensors), checkpoints                                (lib/nn)       */
/* ------------------------------------------------------------------------------------------ */

/* (end of section) */

/* ------------------------------------------------------------------------------------------ */
/* nn: layers, losses, optimizer, training utilities                           (lib/nn)       */
/* ------------------------------------------------------------------------------------------ */

/* (end of section) */

/* ------------------------------------------------------------------------------------------ */
/* model: tokenizer (VQGAN), session encoder                                   (lib/model)    */
/* ------------------------------------------------------------------------------------------ */

/* (end of section) */

/* ------------------------------------------------------------------------------------------ */
/* clinical: evaluation harness, probes, AUROC, aligner                        (lib/clinical) */
/* ------------------------------------------------------------------------------------------ */

/* (end of section) */

/* ------------------------------------------------------------------------------------------ */
/* store: SQLite cohort store, importers, resumable jobs                       (lib/store)    */
/* ------------------------------------------------------------------------------------------ */

/* (end of section) */

/* ------------------------------------------------------------------------------------------ */
/* cohort: synthetic clinical cohort generator                                 (lib/cohort)   */
/* ------------------------------------------------------------------------------------------ */

/** Keys of CLEF_PARAMS_COHORT sets (range 700-799). */
enum clef_param_key_cohort {
    CLEF_P_COHORT_SEED = 700,         /**< i64 >= 0: seed; the same seed gives identical files */
    CLEF_P_COHORT_N_PATIENTS = 701,   /**< i64 >= 1: number of patients (default 100) */
    CLEF_P_COHORT_MAX_SESSIONS = 702, /**< i64 >= 1: sessions per patient, 1..this (default 2) */
    CLEF_P_COHORT_DURATION_S = 703,   /**< f64: session length, whole seconds (default 1200) */
    CLEF_P_COHORT_N_THREADS = 704,    /**< i64 >= 1: worker threads (never changes the output) */
    CLEF_P_COHORT_FRAC_MISSING = 705, /**< f64 0-1: sessions with 1-2 missing channels */
    CLEF_P_COHORT_FRAC_MV = 706,      /**< f64 0-1: sessions stored in mV instead of uV */
    CLEF_P_COHORT_FRAC_BDF = 707,     /**< f64 0-1: sessions stored as BDF+ instead of EDF+ */
    CLEF_P_COHORT_FRAC_ARTIFACT =
        708 /**< f64 0-1: rate of muscle, line-noise, pop, flat artifacts */
};

/** Progress of clef_cohort_generate(): done of total sessions. Called from the calling thread.
 *  Return non-zero to cancel (the call then returns CLEF_ERR_CANCELLED). */
typedef int32_t (*clef_cohort_progress_fn)(int64_t done, int64_t total, void *user);

/** Generate a synthetic clinical cohort with known ground truth into out_dir (created if
 *  missing; its parent must exist), in the export format of docs/COHORT-FORMAT.md: EDF+/BDF+
 *  recordings, reports, FHIR R4 bundles, MEDS events, tasks, splits, truth, cohort.json and,
 *  written last, manifest.csv. Every file is written to a temporary name and renamed when
 *  complete; an existing manifest.csv is removed first, so a cohort without manifest.csv is
 *  incomplete. params: a CLEF_PARAMS_COHORT set or NULL for the defaults. Deterministic: the
 *  same parameters give byte-identical files, whatever the thread count. With n_threads > 1
 *  the ctx allocator hooks must be thread-safe. progress may be NULL. Errors are recorded on
 *  ctx. */
CLEF_API clef_status clef_cohort_generate(clef_ctx *ctx, const clef_params *params,
                                          const char *out_dir, clef_cohort_progress_fn progress,
                                          void *user);
/** Number of binary tasks a generated cohort defines (tasks.csv). */
CLEF_API int32_t clef_cohort_n_tasks(void);
/** Name of task i (0 <= i < clef_cohort_n_tasks()), e.g. "med_benzodiazepine"; NULL if out of
 *  range. Static string. */
CLEF_API const char *clef_cohort_task_name(int32_t i);

/* (end of section) */

#ifdef __cplusplus
}
#endif

#endif /* CLEF_H */
