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
#define CLEF_ABI_VERSION 1

#define CLEF_VERSION_NUMBER                                                                        \
    (CLEF_VERSION_MAJOR * 10000 + CLEF_VERSION_MINOR * 100 + CLEF_VERSION_PATCH)
#define CLEF_STRINGIFY_(x) #x
#define CLEF_STRINGIFY(x)  CLEF_STRINGIFY_(x)
#define CLEF_VERSION_STRING                                                                        \
    CLEF_STRINGIFY(CLEF_VERSION_MAJOR)                                                             \
    "." CLEF_STRINGIFY(CLEF_VERSION_MINOR) "." CLEF_STRINGIFY(CLEF_VERSION_PATCH)

/** Runtime package version string of the loaded library, e.g. "0.1.0". */
CLEF_API const char *clef_version(void);
/* (clef_version_string(): removed in ABI 1, a duplicate of clef_version().) */
/** Runtime twin of CLEF_VERSION_NUMBER: major*10000 + minor*100 + patch. */
CLEF_API int32_t clef_version_number(void);
/** Runtime twin of CLEF_ABI_VERSION. A binding refuses a library whose value differs. */
CLEF_API int32_t clef_abi_version(void);
/** Source revision the library was built from (git describe), or "unknown". */
CLEF_API const char *clef_source_id(void);
/** One line describing the build and the machine: compiler, build type, linked dependency
 *  versions, the CPU's instruction sets (clef_cpu_isa()) and the BLAS kernel in use
 *  (clef_blas_kernel()). */
CLEF_API const char *clef_build_info(void);
/** The CPU's instruction sets that the CPU and the OS support, from cpuid, e.g.
 *  "x86-64 SSE4.2 AVX AVX2 FMA AVX-512F AVX-512DQ AVX-512BW AVX-512VL". Static string. */
CLEF_API const char *clef_cpu_isa(void);
/** The kernel family OpenBLAS selected at load time (e.g. "Haswell", "SkylakeX", or "Prescott"
 *  when it did not recognise the CPU). When it is older than the CPU supports, the first log
 *  callback installed with warnings on (clef_ctx_set_log()) gets one warning naming the
 *  OPENBLAS_CORETYPE that fits (docs/NN.md). Static string. */
CLEF_API const char *clef_blas_kernel(void);
/** The OpenBLAS kernel family that fits this CPU's instruction sets (cpuid): "SkylakeX",
 *  "Haswell" or "Sandybridge"; NULL when none does (SSE only, not x86-64). The clef program and
 *  the bindings select it by default (OPENBLAS_CORETYPE, read when OpenBLAS loads); a host
 *  program that links libclef compares it with clef_blas_kernel() and, when they differ, sets
 *  OPENBLAS_CORETYPE to it before starting (docs/NN.md). Static string. */
CLEF_API const char *clef_blas_coretype(void);

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
/* Types: every handle and callback, declared once here (sections below use them in any order) */
/* ------------------------------------------------------------------------------------------ */

/** Library context. Reference counted internally: handles created from a ctx keep it alive, so
 *  clef_ctx_free() may be called before them (useful for garbage-collected bindings). */
typedef struct clef_ctx clef_ctx;

/** Call state of one thread: its worker threads (a pool started once), scratch memory reused
 *  from call to call, and the last error. Every compute entry point (spectrogram, stream,
 *  tokenizer, and the pipeline calls) takes a session beside the shared, immutable handles it
 *  uses, so one spectrogram or tokenizer serves many threads, each with its own session.
 *  One thread at a time. Resources rule (docs/C-STYLE.md): threads and scratch live here;
 *  hyperparameters and seeds in params; data are arguments. */
typedef struct clef_session clef_session;

/** An opaque, kind-tagged parameter set (clef_params_kind) created with every key at its
 *  default; typed, range-checked setters. One thread at a time. */
typedef struct clef_params clef_params;

/** An opened EEG file. Opening reads and validates the header and, for EDF+/BDF+ files, the
 *  annotation signal (time-keeping and annotations); samples are read on demand, record block by
 *  record block, so memory stays bounded for hours-long files. One thread at a time. */
typedef struct clef_recording clef_recording;

/** Incremental input for acquisition software: the caller declares its channels, pushes
 *  samples in chunks of any size and pulls the 19 canonical channels in microvolts at the
 *  target rate. The output equals clef_recording_read_canonical() over the same samples.
 *  One thread at a time. */
typedef struct clef_stream clef_stream;

/** A writer of EDF, EDF+, BDF and BDF+ files (EDF+ specification, Kemp & Olivan 2003; BDF:
 *  BioSemi 24-bit variant). Used by one thread at a time. Bytes are deterministic: the same calls
 *  give the same file. Life cycle: create, set header fields and add signals, write samples
 *  (the header is frozen by the first write), add annotations at any time, close. */
typedef struct clef_edf_writer clef_edf_writer;

/** Multitaper spectrogram: DPSS tapers, FFT plans and the frequency grid. Shared: immutable
 *  after creation and usable from several threads at once (clef.h thread contract).
 *
 *  Conventions (docs/spectrogram.md): input planar float32 [n_ch][n_samples] in uV with a row
 *  stride in floats. Frame k of a channel is the window of samples [k*step - pad,
 *  k*step - pad + window) (pad = window/2 zeros at both ends for edge "zero", else 0); it is
 *  detrended, multiplied by each taper, zero-padded to nfft and transformed. The one-sided PSD is
 *  P(f) = 2 * sum_j w_j |X_j(f)|^2 / (fs * sum_j w_j) in uV^2/Hz, with w_j the eigenvalues
 *  ("eigen") or 1 ("uniform"), except that the DC bin and (nfft even) the Nyquist bin are not
 *  doubled: exactly MNE's psd_array_multitaper(adaptive=False, normalization='full'). Kept bins:
 *  fmin <= b*fs/nfft < fmax (defaults: bins 0..127 = 0..31.75 Hz). Scales: "db" is 10 log10(P)
 *  clipped to [db_min, db_max] (zero power gives db_min, never NaN); "log1p" is ln(1 + P);
 *  "linear" is P. */
typedef struct clef_spectrogram clef_spectrogram;

/** Streaming spectrogram: pushes of any size; each frame is emitted as soon as its window is
 *  complete. The concatenated output equals clef_spectrogram_compute() on the whole recording
 *  bit for bit. One thread at a time; keeps a reference to its spectrogram. */
typedef struct clef_spectrogram_stream clef_spectrogram_stream;

/** An opened weights file: its header, metadata and (memory-mapped) tensor data. Used by one
 *  thread at a time; borrowed strings stay valid until clef_weights_free(). */
typedef struct clef_weights clef_weights;

/** Builds a safetensors file in memory and writes it atomically. One thread at a time. */
typedef struct clef_weights_writer clef_weights_writer;

/** VQGAN spectrogram tokenizer (docs/tokenizer.md): a session's spectrogram
 *  [channels x frequency x frames] (dB) to token ids and back: for the default weights and a
 *  20-minute session an 8 x 240 grid plus 128 session-mean tokens = 2,048 (8 x 256 without
 *  session-mean tokens). Shared: immutable after creation, usable from several threads at
 *  once; each compute call takes its own clef_session (threads, scratch, errors). */
typedef struct clef_tokenizer clef_tokenizer;

/** A cohort store: one SQLite connection to one store file (schema: docs/store.md). Used by one
 *  thread at a time; open one handle per thread or process: many may share a file (WAL
 *  journal, busy timeout). Every call records its failure in clef_store_errmsg(). */
typedef struct clef_store clef_store;

/** Tokenizer trainer (ARCHITECTURE.md section 6, stage 1; docs/tokenizer.md "Training"): L1
 *  reconstruction + commitment loss, EMA codebook updates with dead-code restarts, AdamW on the
 *  encoder and decoder, and from a start step a PatchGAN hinge loss with taming's adaptive
 *  weight. The pipeline (what `clef train-tokenizer` runs): create or resume, add the
 *  training sessions (clef_tokenizer_trainer_add_cohort(), _add_store()), then
 *  clef_tokenizer_trainer_run() and clef_tokenizer_save(). Hyperparameters and seeds come from
 *  the CLEF_PARAMS_TRAIN set, threads from n_threads. One thread at a time. */
typedef struct clef_tokenizer_trainer clef_tokenizer_trainer;

/** Session encoder (docs/encoder.md): a Transformer over a session's token ids (the
 *  tokenizer's 8 x 240 grid and 128 session-mean tokens by default) with token-type and 2-D
 *  (frequency row, time column) positions, padding columns masked; its embedding is the mean
 *  of the final states over the real tokens, projected (512-d by default). Weights name the
 *  SHA-256 of the tokenizer they were trained with. Shared: immutable after loading, usable
 *  from several threads at once; each compute call takes its own clef_session. */
typedef struct clef_encoder clef_encoder;

/** Embeddings during acquisition (docs/encoder.md "Streaming"): pushes of the 19 canonical
 *  channels of any size go through a spectrogram stream; tokens and the embedding of the
 *  session so far can be asked for at any time, and once the input has ended (finish) they
 *  equal the offline ones (clef_encoder_embed_signal()) bit for bit. Keeps pointers to its
 *  encoder, tokenizer and spectrogram, which must outlive it. One thread at a time. */
typedef struct clef_encoder_stream clef_encoder_stream;

/** Session-encoder pretraining by masked-token prediction (docs/encoder.md "Pretraining"):
 *  AdamW with warmup and cosine decay, gradient clipping, weight EMA, checkpoints with
 *  bit-identical resume, bit-identical results for any thread count, optional data-parallel
 *  gradient reduction (clef_encoder_trainer_set_reducer(); libclef_dist). The pipeline (what
 *  `clef pretrain` runs): create or resume, add sessions (clef_encoder_trainer_add_store(),
 *  _add_cohort(), _add_tokens()), clef_encoder_trainer_run(), then clef_encoder_save() of
 *  clef_encoder_trainer_encoder(). One thread at a time. */
typedef struct clef_encoder_trainer clef_encoder_trainer;

/** An L2-regularized logistic-regression linear probe. Policy (docs/evaluation.md): features
 *  standardized with the training mean and population standard deviation (a constant
 *  feature keeps scale 1), objective C * sum(log loss) + |w|^2 / 2 with an unpenalized
 *  intercept, solved by Newton's method to machine precision: the probabilities equal those
 *  of scikit-learn's StandardScaler + LogisticRegression(C, lbfgs) to 1e-6. Immutable after
 *  fitting; one thread at a time (predict records errors on the probe). */
typedef struct clef_probe clef_probe;

/** Evaluation harness: per task, a probe fitted on train with C chosen on val (default grid
 *  10^-4 .. 10^4), then the test AUROC with a percentile bootstrap CI (default 1000
 *  resamples, seed 0, level 0.95), and the mean over tasks. One thread at a time. */
typedef struct clef_eval clef_eval;

/** Log callback: level is a clef_log_level, msg one line without a trailing newline. */
typedef void (*clef_log_fn)(int32_t level, const char *msg, void *user);

/** Allocator hooks. malloc/realloc return NULL on failure; free accepts NULL.
 *  They must be thread-safe if handles of the ctx are used from several threads. */
typedef void *(*clef_malloc_fn)(size_t size, void *user);
typedef void *(*clef_realloc_fn)(void *ptr, size_t size, void *user);
typedef void (*clef_free_fn)(void *ptr, void *user);

/** Training progress: after each step, its number (1-based), the step count trained to, the
 *  step's mean L1 (dB), codebook perplexity and mean-power error (dB; 0 when
 *  CLEF_P_TOK_TRAIN_POWER_WEIGHT is 0). Return non-zero to stop (CLEF_ERR_CANCELLED). */
typedef int32_t (*clef_tokenizer_train_progress_fn)(int64_t step, int64_t total, double l1_db,
                                                    double perplexity, double power_db, void *user);

/** Pretraining progress after each step (1-based) of total: the step's mean masked-token
 *  cross-entropy (nats) and accuracy, throughput in tokens per second (all tokens of the step's
 *  sessions, masked or not), and the held-out loss and accuracy when the step ran a validation
 *  (NaN otherwise). Return non-zero to stop (CLEF_ERR_CANCELLED). */
typedef int32_t (*clef_encoder_progress_fn)(int64_t step, int64_t total, double loss,
                                            double accuracy, double tokens_per_s, double val_loss,
                                            double val_accuracy, void *user);

/** Gradient reduction hook for data-parallel training: replace grads[0..n) by the mean of the
 *  same buffer over all ranks (clef_dist_allreduce_mean() of libclef_dist has this contract).
 *  Return CLEF_OK or an error status. */
typedef clef_status (*clef_grad_reduce_fn)(float *grads, size_t n, void *user);

/** Progress of clef_eval_run_store(): done of total tasks, the last task's name; return
 *  non-zero to cancel (CLEF_ERR_CANCELLED). */
typedef int32_t (*clef_eval_progress_fn)(int64_t done, int64_t total, const char *task, void *user);

/** Progress callback of long store operations: done of total units (total -1 while unknown);
 *  return non-zero to cancel (the operation then rolls back and returns CLEF_ERR_CANCELLED). */
typedef int32_t (*clef_store_progress_fn)(int64_t done, int64_t total, void *user);

/** Progress of clef_cohort_generate(): done of total sessions. Called from the calling thread.
 *  Return non-zero to cancel (the call then returns CLEF_ERR_CANCELLED). */
typedef int32_t (*clef_cohort_progress_fn)(int64_t done, int64_t total, void *user);

/* ------------------------------------------------------------------------------------------ */
/* Context: allocator, log callback, defaults                                                 */
/* ------------------------------------------------------------------------------------------ */

enum clef_log_level {
    CLEF_LOG_ERROR = 1,
    CLEF_LOG_WARN = 2,
    CLEF_LOG_INFO = 3,
    CLEF_LOG_DEBUG = 4
};

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
/* (clef_ctx_set_n_threads / clef_ctx_get_n_threads: removed in ABI 1; threads are a
 *  clef_session's, see below.) */

/* ------------------------------------------------------------------------------------------ */
/* Session: one thread's call state                                             (lib/core)    */
/* ------------------------------------------------------------------------------------------ */

/** Create a session with n_threads threads (1 .. 1024: the calling thread plus n_threads - 1
 *  workers, started now and kept until clef_session_free()). Outputs never depend on
 *  n_threads. Errors on ctx. */
CLEF_API clef_status clef_session_create(clef_session **out, clef_ctx *ctx, int32_t n_threads);
/** Stop the workers and free the scratch. NULL-safe. */
CLEF_API void clef_session_free(clef_session *s);
/** Last error of a call on the session, "" after a call that succeeded (every call taking the
 *  session resets it). Valid until the next call on the session. */
CLEF_API const char *clef_session_errmsg(const clef_session *s);
/** Status of the last call's error, CLEF_OK after a call that succeeded. */
CLEF_API clef_status clef_session_errcode(const clef_session *s);
/** Threads of the session. 0 for NULL. */
CLEF_API int32_t clef_session_n_threads(const clef_session *s);
/** Bytes of scratch the session holds now (it grows to the largest call and is then reused:
 *  a warm session allocates nothing on the compute paths). */
CLEF_API int64_t clef_session_scratch_bytes(const clef_session *s);
/** Give the scratch back to the allocator (e.g. after a long session, before idling). */
CLEF_API clef_status clef_session_release_scratch(clef_session *s);

/* ------------------------------------------------------------------------------------------ */
/* Parameters: an opaque, kind-tagged parameter set with typed, range-checked setters          */
/* ------------------------------------------------------------------------------------------ */

/** Parameter-set kinds. Pinned, only appended. */
enum clef_params_kind {
    /* 1: CLEF_PARAMS_CORE, removed in ABI 1 (nothing read its keys) */
    CLEF_PARAMS_IO = 2,        /**< recording input: channel map, units, resampling */
    CLEF_PARAMS_SPEC = 3,      /**< multitaper spectrogram */
    CLEF_PARAMS_TOKENIZER = 4, /**< VQGAN tokenizer architecture */
    CLEF_PARAMS_TRAIN = 5,     /**< training: optimizer, schedule, batch */
    CLEF_PARAMS_COHORT = 6,    /**< synthetic cohort generation */
    CLEF_PARAMS_ENCODER = 7,   /**< session encoder architecture ("enc.*") */
    CLEF_PARAMS_PRETRAIN = 8,  /**< session encoder pretraining ("pretrain.*") */
    CLEF_PARAMS_ALIGN = 9      /**< clinical aligner ("align.*") */
};

/** Value types of parameters. */
enum clef_param_type { CLEF_PARAM_I64 = 1, CLEF_PARAM_F64 = 2, CLEF_PARAM_STR = 3 };

/** Parameter keys. Pinned, only appended; each module owns a range of 100 values and declares
 *  its keys in its own section below (core 1-99, io 100-199, dsp 200-299, nn 300-399,
 *  model 400-499, clinical 500-599, store 600-699, cohort 700-799). Experimental keys start at
 *  1000. */
/* (core keys 1 n_threads and 2 seed: removed in ABI 1; threads are a clef_session's, seeds
 *  are each module's own keys.) */

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
/** Status of the last error on the handle, CLEF_OK if none. */
CLEF_API clef_status clef_params_errcode(const clef_params *p);

/* ------------------------------------------------------------------------------------------ */
/* io: EEG recordings (EDF/EDF+/BDF/BDF+ reader), channel maps, resampling, streaming (lib/io) */
/* ------------------------------------------------------------------------------------------ */

/* ---- parameters of a CLEF_PARAMS_IO set (range 100-199) ---- */

/** Keys of a CLEF_PARAMS_IO parameter set (used by clef_recording_open() and
 *  clef_stream_create()). */
enum clef_param_key_io {
    /** str, "" (default), "uV", "mV", "V" or "nV": unit assumed for signals whose unit field is
     *  empty or not recognised. "" makes reading such a signal in microvolts an error. */
    CLEF_P_IO_UNKNOWN_UNIT = 100,
    /** i64, clef_io_reference: reference of the 19 canonical channels (default AS_RECORDED). */
    CLEF_P_IO_REFERENCE = 101,
    /** f64, Hz, 1 to 100000 (default 200): output rate of canonical reads and streams. */
    CLEF_P_IO_TARGET_RATE = 102,
    /** i64, 0 or 1 (default 0): let canonical reads of an EDF+D/BDF+D file run across record
     *  gaps by concatenating the records (a warning is added). 0: such a read fails. */
    CLEF_P_IO_JOIN_GAPS = 103
};

/** Reference of the canonical channels (CLEF_P_IO_REFERENCE). */
enum clef_io_reference {
    CLEF_IO_REF_AS_RECORDED = 0,   /**< keep the recorded reference */
    CLEF_IO_REF_COMMON_AVERAGE = 1 /**< subtract the mean of the present canonical channels */
};

/* ---- canonical channels and label normalisation ---- */

/** Number of canonical referential channels (the CLEF 10-20 set). */
#define CLEF_N_CANONICAL 19
/** Runtime twin of CLEF_N_CANONICAL. */
CLEF_API int64_t clef_canonical_n_channels(void);
/** Name of canonical channel i in the fixed order Fp1 Fp2 F7 F3 Fz F4 F8 T7 C3 Cz C4 T8 P7 P3
 *  Pz P4 P8 O1 O2; NULL outside [0, 19). Static string. */
CLEF_API const char *clef_canonical_channel_name(int64_t i);

/** Number of channels of the longitudinal bipolar ("double banana") montage. */
#define CLEF_N_BIPOLAR 18
/** Runtime twin of CLEF_N_BIPOLAR. */
CLEF_API int64_t clef_bipolar_n_channels(void);
/** Name of bipolar channel i ("Fp1-F7", ...); NULL outside [0, 18). Static string. */
CLEF_API const char *clef_bipolar_channel_name(int64_t i);

/** Kind of a signal, from its label (clef_channel_parse()). */
enum clef_channel_class {
    CLEF_CHAN_EEG = 0,       /**< scalp EEG electrode (10-20 / 10-10 name) */
    CLEF_CHAN_ECG = 1,       /**< ECG / EKG */
    CLEF_CHAN_EMG = 2,       /**< EMG */
    CLEF_CHAN_EOG = 3,       /**< EOG, LOC, ROC */
    CLEF_CHAN_RESP = 4,      /**< respiration, SpO2, airflow */
    CLEF_CHAN_OTHER = 5,     /**< anything else (photic, trigger, unknown) */
    CLEF_CHAN_ANNOTATION = 6 /**< an EDF+/BDF+ annotation signal */
};

/** How a label was mapped onto the canonical set (the alias report). */
enum clef_channel_map {
    CLEF_MAP_EXACT = 0,             /**< the label is the canonical name (any case) */
    CLEF_MAP_ALIASED = 1,           /**< canonical after removing a prefix/suffix or renaming
                                         T3/T4/T5/T6 to T7/T8/P7/P8 */
    CLEF_MAP_DROPPED_NON_EEG = 2,   /**< not an EEG channel */
    CLEF_MAP_DROPPED_EXTRA = 3,     /**< EEG outside the 19 (e.g. A1, Fpz, Oz) or unknown */
    CLEF_MAP_DROPPED_DUPLICATE = 4, /**< a second signal for a canonical channel already taken */
    CLEF_MAP_DROPPED_BIPOLAR = 5    /**< a bipolar derivation such as "Fp1-F7" */
};

/** Parse one signal label: strip spaces, the type prefix (EEG, EKG, ECG, EMG, EOG) and the
 *  reference suffix (-REF, -LE, -RE, -AVG, -AV, -AR, -A1, -A2, -M1, -M2), fold case, rename
 *  T3/T4/T5/T6 to T7/T8/P7/P8. Writes the normalised name (canonical spelling when canonical)
 *  as a NUL-terminated string into name_out (capacity name_cap bytes; may be NULL with 0).
 *  class_out gets a clef_channel_class, canonical_out the canonical index or -1, map_out a
 *  clef_channel_map (never DROPPED_DUPLICATE); each may be NULL.
 *  @return CLEF_OK; CLEF_ERR_INVALID_ARG if label is NULL; CLEF_ERR_BUFFER_TOO_SMALL if the
 *  name does not fit (name_out then holds a truncated name). */
CLEF_API clef_status clef_channel_parse(const char *label, char *name_out, size_t name_cap,
                                        int32_t *class_out, int32_t *canonical_out,
                                        int32_t *map_out);

/** Re-reference in place to the common average of the canonical channels present in mask:
 *  data holds 19 rows of n samples, row i at data + i*stride; missing rows stay untouched.
 *  @return CLEF_ERR_INVALID_ARG on NULL data or stride < n. */
CLEF_API clef_status clef_montage_common_average(float *data, size_t stride, int64_t n,
                                                 uint32_t present_mask);
/** Longitudinal bipolar montage: out row j (out + j*out_stride) = in[a_j] - in[b_j] for the 18
 *  pairs named by clef_bipolar_channel_name(). *out_mask (may be NULL) gets bit j set when both
 *  electrodes are present in in_mask; other rows are zero.
 *  @return CLEF_ERR_INVALID_ARG on NULL buffers or strides < n. */
CLEF_API clef_status clef_montage_bipolar(const float *in, size_t in_stride, int64_t n,
                                          uint32_t in_mask, float *out, size_t out_stride,
                                          uint32_t *out_mask);

/* ---- recordings: EDF, EDF+C, EDF+D, BDF, BDF+C, BDF+D ---- */

/** File type of a recording. */
enum clef_file_type {
    CLEF_FILE_EDF = 0,       /**< EDF (1992) */
    CLEF_FILE_EDFPLUS_C = 1, /**< EDF+ continuous */
    CLEF_FILE_EDFPLUS_D = 2, /**< EDF+ discontinuous */
    CLEF_FILE_BDF = 3,       /**< BDF (BioSemi, 24-bit) */
    CLEF_FILE_BDFPLUS_C = 4, /**< BDF+ continuous */
    CLEF_FILE_BDFPLUS_D = 5  /**< BDF+ discontinuous */
};

/** Text fields of the main header (clef_recording_header_field()). */
enum clef_header_field {
    CLEF_HDR_VERSION = 0,   /**< version (8 bytes; "0" for EDF, "\xffBIOSEMI" shown as "BIOSEMI") */
    CLEF_HDR_PATIENT = 1,   /**< local patient identification (80 bytes) */
    CLEF_HDR_RECORDING = 2, /**< local recording identification (80 bytes) */
    CLEF_HDR_STARTDATE = 3, /**< dd.mm.yy */
    CLEF_HDR_STARTTIME = 4, /**< hh.mm.ss */
    CLEF_HDR_RESERVED = 5   /**< reserved field ("EDF+C", "BDF+D", ...) */
};

/** Open an EDF/EDF+/BDF/BDF+ file. p is a CLEF_PARAMS_IO set or NULL (defaults); it is copied.
 *  An annotations-only EDF+ file may have record duration 0; a start date "dd.mm.yy" with the
 *  letters yy (after 2084) takes its date from the recording field's Startdate.
 *  Tolerated quirks (record count -1, padding spaces, non-ASCII header bytes, EDF+C without an
 *  annotation signal, physical min == max, physical min > max, a truncated last record, EDF+
 *  patient or recording fields off the EDF+ subfield layout, a missing or disagreeing
 *  Startdate, "edf+c" in lower case, text in a plain EDF's reserved field; and, found as
 *  samples are read, samples outside the digital range) are accepted and listed by
 *  clef_recording_warning().
 *  @return CLEF_ERR_IO if the file cannot be opened or read; CLEF_ERR_FORMAT for a malformed
 *  header, record or annotation; CLEF_ERR_RANGE for counts, sizes or durations out of range;
 *  CLEF_ERR_OVERFLOW for sizes that do not fit in memory arithmetic; CLEF_ERR_UNSUPPORTED for
 *  valid but unsupported content; CLEF_ERR_NOMEM. The reason is on clef_ctx_errmsg(ctx). */
CLEF_API clef_status clef_recording_open(clef_recording **out, clef_ctx *ctx, const char *path,
                                         const clef_params *p);
/** Same as clef_recording_open() for a file image in memory. The bytes are borrowed: they must
 *  stay valid and unchanged until clef_recording_free(). */
CLEF_API clef_status clef_recording_open_memory(clef_recording **out, clef_ctx *ctx,
                                                const void *data, size_t size,
                                                const clef_params *p);
/** Close the file and free the handle. NULL-safe. */
CLEF_API void clef_recording_free(clef_recording *rec);
/** Last error on the recording, "" if none. */
CLEF_API const char *clef_recording_errmsg(const clef_recording *rec);
/** Status of the last error on the handle, CLEF_OK if none. */
CLEF_API clef_status clef_recording_errcode(const clef_recording *rec);

/** clef_file_type of the recording. */
CLEF_API int32_t clef_recording_file_type(const clef_recording *rec);
/** Header text field (a clef_header_field), trailing spaces removed, non-ASCII bytes kept as
 *  UTF-8 (Latin-1 decoded). NULL for an unknown field. Owned by the handle. */
CLEF_API const char *clef_recording_header_field(const clef_recording *rec, int32_t field);
/** Start of the recording as ISO 8601 "YYYY-MM-DDThh:mm:ss[.ffffff]" (EDF+ "Startdate"
 *  year and the first record's sub-second time-keeping offset included). Owned by the handle. */
CLEF_API const char *clef_recording_start_iso(const clef_recording *rec);
/** Number of data records (the count found in the file when the header said -1). */
CLEF_API int64_t clef_recording_n_records(const clef_recording *rec);
/** Duration of one data record in seconds. */
CLEF_API double clef_recording_record_duration(const clef_recording *rec);
/** Data duration in seconds: n_records * record duration (gaps of EDF+D excluded). */
CLEF_API double clef_recording_duration(const clef_recording *rec);

/** Number of data signals (annotation signals are not counted). Signals are indexed
 *  0..n-1 in file order, annotation signals skipped. */
CLEF_API int64_t clef_recording_n_signals(const clef_recording *rec);
/** Signal label as in the file (trimmed; UTF-8). NULL if i is out of range. */
CLEF_API const char *clef_recording_signal_label(const clef_recording *rec, int64_t i);
/** Physical dimension as in the file (trimmed; UTF-8). NULL if i is out of range. */
CLEF_API const char *clef_recording_signal_unit(const clef_recording *rec, int64_t i);
/** Transducer type (trimmed). NULL if i is out of range. */
CLEF_API const char *clef_recording_signal_transducer(const clef_recording *rec, int64_t i);
/** Prefiltering (trimmed). NULL if i is out of range. */
CLEF_API const char *clef_recording_signal_prefilter(const clef_recording *rec, int64_t i);
/** Sampling rate in Hz (samples per record / record duration); 0 if i is out of range. */
CLEF_API double clef_recording_signal_rate(const clef_recording *rec, int64_t i);
/** Samples per data record; 0 if i is out of range. */
CLEF_API int64_t clef_recording_signal_samples_per_record(const clef_recording *rec, int64_t i);
/** Total samples of the signal (n_records * samples per record); 0 if i is out of range. */
CLEF_API int64_t clef_recording_signal_n_samples(const clef_recording *rec, int64_t i);
/** Physical and digital ranges of signal i (any out-pointer may be NULL).
 *  @return CLEF_ERR_INVALID_ARG if i is out of range. */
CLEF_API clef_status clef_recording_signal_range(const clef_recording *rec, int64_t i,
                                                 double *phys_min, double *phys_max,
                                                 int32_t *dig_min, int32_t *dig_max);
/** Factor from the signal's unit to microvolts (1 for uV, 1000 for mV, ...), after the
 *  CLEF_P_IO_UNKNOWN_UNIT override; 0 when the unit is unknown and not overridden. */
CLEF_API double clef_recording_signal_uv_scale(const clef_recording *rec, int64_t i);

/** Read n samples of signal i from sample first as digital values (no scaling).
 *  @return CLEF_ERR_RANGE if [first, first+n) is outside the signal; CLEF_ERR_IO/FORMAT on a
 *  read failure. */
CLEF_API clef_status clef_recording_read_digital(clef_recording *rec, int64_t i, int64_t first,
                                                 int64_t n, int32_t *out);
/** Read n samples of signal i from sample first as physical values in the signal's own unit,
 *  computed in double: phys_min + (d - dig_min) * (phys_max - phys_min) / (dig_max - dig_min)
 *  (EDF spec; a physical min == max gives the constant phys_min). Errors as read_digital. */
CLEF_API clef_status clef_recording_read_physical(clef_recording *rec, int64_t i, int64_t first,
                                                  int64_t n, double *out);
/** Read a time range of selected signals in microvolts as float, at their native rates.
 *  signals: n_sel signal indices. The range [t_start, t_start + duration) in seconds of data
 *  time (records back to back; duration < 0: to the end) becomes, for each signal of rate fs,
 *  samples [round(t_start*fs), min(round((t_start+duration)*fs), n_samples)).
 *  Row k (signal signals[k]) is written at out + k*stride; counts (n_sel entries) receives each
 *  row's length. Reads only the records in the range, one block at a time.
 *  @return CLEF_ERR_BUFFER_TOO_SMALL (with *needed = the longest row) if out is NULL or
 *  stride < a row's length; CLEF_ERR_UNSUPPORTED for a signal of unknown unit (see
 *  CLEF_P_IO_UNKNOWN_UNIT); CLEF_ERR_RANGE for t_start outside the data or a bad index. */
CLEF_API clef_status clef_recording_read_uv(clef_recording *rec, const int64_t *signals,
                                            int64_t n_sel, double t_start, double duration,
                                            float *out, size_t stride, int64_t *counts,
                                            int64_t *needed);

/* ---- EDF+D record times ---- */

/** Onset of data record r in seconds from the start (from its time-keeping annotation; r times
 *  the record duration for EDF/BDF and files without annotations). NaN when r is out of range. */
CLEF_API double clef_recording_record_onset(const clef_recording *rec, int64_t r);
/** Number of contiguous segments (1 for continuous files; n_gaps + 1 for EDF+D). */
CLEF_API int64_t clef_recording_n_segments(const clef_recording *rec);
/** Segment s: onset in seconds, first data record and number of records (out-pointers may be
 *  NULL). @return CLEF_ERR_INVALID_ARG if s is out of range. */
CLEF_API clef_status clef_recording_segment(const clef_recording *rec, int64_t s, double *onset,
                                            int64_t *first_record, int64_t *n_records);

/* ---- annotations ---- */

/** Number of annotations (EDF+/BDF+ TALs; time-keeping entries excluded). */
CLEF_API int64_t clef_recording_n_annotations(const clef_recording *rec);
/** Annotation k: onset in seconds relative to the file start, duration in seconds (-1 when the
 *  TAL gives none, as pyedflib), UTF-8 text owned by the handle. Out-pointers may be NULL.
 *  @return CLEF_ERR_INVALID_ARG if k is out of range. */
CLEF_API clef_status clef_recording_annotation(const clef_recording *rec, int64_t k, double *onset,
                                               double *duration, const char **text);

/* ---- warnings (tolerated quirks) ---- */

/** Number of warnings raised while opening or reading (a read may add one: samples outside a
 *  signal's digital range are reported once per signal, when first read). */
CLEF_API int64_t clef_recording_n_warnings(const clef_recording *rec);
/** Warning i, one line, owned by the handle; NULL if out of range. */
CLEF_API const char *clef_recording_warning(const clef_recording *rec, int64_t i);

/* ---- canonical channel map of a recording (the alias report) ---- */

/** clef_channel_class of signal i; -1 if out of range. */
CLEF_API int32_t clef_recording_signal_class(const clef_recording *rec, int64_t i);
/** clef_channel_map of signal i (duplicates resolved: first signal in file order wins);
 *  -1 if out of range. */
CLEF_API int32_t clef_recording_signal_map(const clef_recording *rec, int64_t i);
/** Canonical index signal i feeds, or -1 (dropped or out of range). */
CLEF_API int64_t clef_recording_signal_canonical(const clef_recording *rec, int64_t i);
/** Signal that feeds canonical channel c, or -1 when the channel is missing. */
CLEF_API int64_t clef_recording_canonical_signal(const clef_recording *rec, int64_t c);
/** Bit c set when canonical channel c is present. */
CLEF_API uint32_t clef_recording_present_mask(const clef_recording *rec);

/* ---- the model input: 19 canonical channels, microvolts, target rate ---- */

/** Number of samples per channel that clef_recording_read_canonical() writes for a time range
 *  (same range rules; duration < 0: to the end). @return CLEF_ERR_RANGE as read_canonical. */
CLEF_API clef_status clef_recording_canonical_length(clef_recording *rec, double t_start,
                                                     double duration, int64_t *n_out);
/** Read a time range as the 19 canonical channels in microvolts at CLEF_P_IO_TARGET_RATE
 *  (200 Hz by default), planar float32: channel c at out + c*stride, c in the order of
 *  clef_canonical_channel_name(). Each present channel is converted to microvolts (double, then
 *  float), resampled with the polyphase filter of scipy.signal.resample_poly (Kaiser beta 5,
 *  half-length 10*max(up, down); rate ratio taken as an exact fraction), and re-referenced if
 *  CLEF_P_IO_REFERENCE says so; missing channels are zero. The result equals a clef_stream fed
 *  with the same samples.
 *  stride == 0 means stride = n. *n_out gets the samples per channel (may be NULL only when the
 *  buffer is known large enough); *present_mask (may be NULL) bit c = channel c present.
 *  @return CLEF_ERR_BUFFER_TOO_SMALL (with *n_out set) if out is NULL, stride < n or
 *  capacity (in floats) < 18*stride + n; CLEF_ERR_UNSUPPORTED for a canonical signal of unknown
 *  unit, a rate ratio that is not a small fraction, or a range crossing an EDF+D gap (unless
 *  CLEF_P_IO_JOIN_GAPS); CLEF_ERR_NOT_FOUND if no canonical channel is present; CLEF_ERR_RANGE
 *  if t_start is outside the data. */
CLEF_API clef_status clef_recording_read_canonical(clef_recording *rec, double t_start,
                                                   double duration, float *out, size_t stride,
                                                   size_t capacity, int64_t *n_out,
                                                   uint32_t *present_mask);

/* ---- resampling ---- */

/** Length of clef_resample() output: ceil(n * up / down). 0 on bad arguments. */
CLEF_API int64_t clef_resample_length(int64_t n, int32_t up, int32_t down);
/** Resample n floats by up/down as scipy.signal.resample_poly(x, up, down) (window
 *  ("kaiser", 5.0), zero padding): out receives clef_resample_length(n, up, down) values
 *  (out_cap is its capacity). up == down copies. Filter in double, output float.
 *  @return CLEF_ERR_INVALID_ARG for up or down < 1; CLEF_ERR_UNSUPPORTED when
 *  max(up, down)/gcd > 20000; CLEF_ERR_BUFFER_TOO_SMALL; CLEF_ERR_NOMEM. */
CLEF_API clef_status clef_resample(clef_ctx *ctx, const float *in, int64_t n, int32_t up,
                                   int32_t down, float *out, int64_t out_cap);

/* ---- streaming input ---- */

/** Create a stream of n_channels channels: labels (parsed as clef_channel_parse()), rates in Hz
 *  and units ("uV", "µV", "mV", "V", "nV"), all three required (units are never guessed; an
 *  unknown unit on a canonical channel needs CLEF_P_IO_UNKNOWN_UNIT). p is a CLEF_PARAMS_IO set
 *  or NULL.
 *  @return CLEF_ERR_INVALID_ARG, CLEF_ERR_UNSUPPORTED (unknown unit, unusable rate ratio),
 *  CLEF_ERR_NOT_FOUND (no canonical channel), CLEF_ERR_NOMEM. */
CLEF_API clef_status clef_stream_create(clef_stream **out, clef_ctx *ctx, int64_t n_channels,
                                        const char *const *labels, const double *rates,
                                        const char *const *units, const clef_params *p);
CLEF_API void clef_stream_free(clef_stream *s);
CLEF_API const char *clef_stream_errmsg(const clef_stream *s);
/** Status of the last error on the handle, CLEF_OK if none. */
CLEF_API clef_status clef_stream_errcode(const clef_stream *s);
/** Bit c set when canonical channel c is fed by a declared channel. */
CLEF_API uint32_t clef_stream_present_mask(const clef_stream *s);
/** Push n_frames frames of interleaved samples (frame f, channel k at data[f*n_channels + k]).
 *  All channels must have the same rate. @return CLEF_ERR_MISUSE for mixed rates,
 *  CLEF_ERR_STATE after clef_stream_finish(), CLEF_ERR_NOMEM. */
CLEF_API clef_status clef_stream_push_interleaved(clef_stream *s, const float *data,
                                                  int64_t n_frames);
/** Push planar samples: channel k has counts[k] samples at data + k*stride (channels may get
 *  different counts, e.g. at different rates). @return as push_interleaved, and
 *  CLEF_ERR_INVALID_ARG if a count exceeds stride or is negative. */
CLEF_API clef_status clef_stream_push_planar(clef_stream *s, const float *data, size_t stride,
                                             const int64_t *counts);
/** Declare the end of input: the resampler tails are flushed (zero padding, as resample_poly). */
CLEF_API clef_status clef_stream_finish(clef_stream *s);
/** Output samples per channel ready to pull. */
CLEF_API int64_t clef_stream_available(const clef_stream *s);
/** Move up to max_n ready output samples per channel into out (channel c at out + c*stride,
 *  stride >= max_n); *n_out gets the number moved (0 when none is ready).
 *  @return CLEF_OK; CLEF_MORE when nothing was ready and input is still expected;
 *  CLEF_ERR_INVALID_ARG on NULL buffers or stride < max_n. */
CLEF_API clef_status clef_stream_pull(clef_stream *s, float *out, size_t stride, int64_t max_n,
                                      int64_t *n_out);

/* (end of section) */

/* ------------------------------------------------------------------------------------------ */
/* io: EDF+/BDF writer                                                         (lib/io)       */
/* ------------------------------------------------------------------------------------------ */

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
/** Status of the last error on the handle, CLEF_OK if none. */
CLEF_API clef_status clef_edf_writer_errcode(const clef_edf_writer *w);

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
/* io: EHR records: FHIR R4 XML, HL7 CDA R2, MEDS events CSV                   (lib/io)       */
/* ------------------------------------------------------------------------------------------ */

/** One patient's clinical record (docs/ehr.md): demographics, coded conditions, medications and
 *  encounters, and report texts, read from a FHIR R4 Bundle or an HL7 CDA R2 ClinicalDocument
 *  (XML), or from MEDS-style events (CSV). Immutable once read: any number of threads may read
 *  it at once. Strings are UTF-8, owned by the record. */
typedef struct clef_ehr clef_ehr;

/** Where a record was read from (clef_ehr_format()). Pinned. */
enum clef_ehr_format {
    CLEF_EHR_FORMAT_FHIR = 1, /**< FHIR R4 Bundle, XML (namespace http://hl7.org/fhir) */
    CLEF_EHR_FORMAT_CDA = 2,  /**< HL7 CDA R2 ClinicalDocument (namespace urn:hl7-org:v3) */
    CLEF_EHR_FORMAT_MEDS = 3  /**< events CSV: subject_id,time,code,value */
};

/** Patient fields (clef_ehr_patient()); "" when the source has none. Pinned. */
enum clef_ehr_field {
    CLEF_EHR_PATIENT_ID = 0, /**< Patient.id, CDA patientRole/id, or the CSV subject_id */
    CLEF_EHR_SEX = 1,        /**< "F", "M" or "U" */
    CLEF_EHR_BIRTH_DATE = 2, /**< ISO 8601 date, as precise as the source ("1980", "1980-03-14") */
    CLEF_EHR_RACE = 3,       /**< as the source states it (code or display) */
    CLEF_EHR_AGE_YEARS = 4   /**< decimal text; MEDS AGE events only (the last one) */
};

/** Kinds of items (clef_ehr_count(), clef_ehr_item()). Pinned. */
enum clef_ehr_kind {
    CLEF_EHR_CONDITION = 0,  /**< a coded diagnosis (FHIR Condition, CDA problem entry) */
    CLEF_EHR_MEDICATION = 1, /**< a coded medication (MedicationStatement/Request, CDA drug) */
    CLEF_EHR_ENCOUNTER = 2,  /**< an encounter (FHIR Encounter.class, CDA encounter code) */
    CLEF_EHR_REPORT = 3      /**< a report text (DiagnosticReport, CDA section narrative) */
};

/** Attributes of an item (clef_ehr_item()); "" when absent. Pinned. */
enum clef_ehr_attr {
    CLEF_EHR_SYSTEM = 0,  /**< code system as written: FHIR URI or HL7 OID */
    CLEF_EHR_CODE = 1,    /**< the code ("G40.909", "N03AX14", "AMB"; a report's LOINC code) */
    CLEF_EHR_DISPLAY = 2, /**< display text (a CDA section's title) */
    CLEF_EHR_TIME = 3,    /**< ISO 8601 time or date (CDA times converted) */
    CLEF_EHR_VOCAB = 4, /**< the system's vocabulary: ICD10CM, ICD10, ATC, RXNORM, SNOMED, LOINC */
    CLEF_EHR_TEXT = 5,  /**< report text (base64 presentedForm decoded; narrative flattened) */
    CLEF_EHR_SOURCE = 6 /**< the element it came from: "Condition", "entry", "section", ... */
};

/** Parse one patient's record from XML in memory: a FHIR R4 Bundle or a CDA R2
 *  ClinicalDocument (the root element decides). name labels messages (NULL: "(memory)").
 *  Nothing but data is read: libxml2 runs with no network, no DTD loading and no entity
 *  substitution. @return CLEF_ERR_UNSUPPORTED for a DOCTYPE (an external DTD, an external entity
 *  (XXE) or any entity declaration: billion laughs, quadratic blow-up), refused before any
 *  entity is used; CLEF_ERR_RANGE for more than 64 MiB or elements nested deeper than 100;
 *  CLEF_ERR_FORMAT for malformed XML (line, column), another root element, a FHIR resource whose
 *  subject is not the Bundle's one Patient, or undecodable presentedForm data; CLEF_ERR_NOMEM.
 *  Errors are recorded on ctx. */
CLEF_API clef_status clef_ehr_parse_xml(clef_ehr **out, clef_ctx *ctx, const void *data,
                                        size_t size, const char *name);
/** clef_ehr_parse_xml() of a file (its size checked before it is read); CLEF_ERR_NOT_FOUND or
 *  CLEF_ERR_IO when it cannot be read. */
CLEF_API clef_status clef_ehr_read_xml(clef_ehr **out, clef_ctx *ctx, const char *path);
/** The record of one subject in an events CSV (header subject_id,time,code[,value], RFC 4180):
 *  SEX, RACE, AGE, BIRTH rows give the patient fields, ICD10CM/ ICD10/ ATC/ RXNORM/ ENCOUNTER/
 *  codes the items. subject_id NULL: the file must hold one subject (CLEF_ERR_FORMAT at a
 *  second one). CLEF_ERR_NOT_FOUND when the subject has no row. Errors are recorded on ctx. */
CLEF_API clef_status clef_ehr_read_events(clef_ehr **out, clef_ctx *ctx, const char *path,
                                          const char *subject_id);
/** Free a record. NULL-safe. */
CLEF_API void clef_ehr_free(clef_ehr *e);
/** clef_ehr_format of the record, 0 for NULL. */
CLEF_API int32_t clef_ehr_format(const clef_ehr *e);
/** A patient field (clef_ehr_field): "" when absent, NULL for an unknown field. */
CLEF_API const char *clef_ehr_patient(const clef_ehr *e, int32_t field);
/** Number of items of a kind (clef_ehr_kind), in document order; 0 for an unknown kind. */
CLEF_API int64_t clef_ehr_count(const clef_ehr *e, int32_t kind);
/** Attribute attr (clef_ehr_attr) of item i of a kind: "" when absent, NULL when kind, i or attr
 *  is out of range. */
CLEF_API const char *clef_ehr_item(const clef_ehr *e, int32_t kind, int64_t i, int32_t attr);
/* (end of section) */

/* ------------------------------------------------------------------------------------------ */
/* dsp: DPSS tapers, multitaper spectrogram, spectrogram streaming            (lib/dsp)       */
/* ------------------------------------------------------------------------------------------ */

/** Keys of a CLEF_PARAMS_SPEC set (names "spec.*"; see docs/spectrogram.md). The defaults are
 *  CLEF's: 200 Hz, 4 s window, 1 s step, 2 Hz bandwidth (NW = 4), tapers with eigenvalue > 0.9
 *  (7 of floor(2 NW) = 8), mean removed, eigenvalue weighting, [0, 32) Hz (128 bins of
 *  0.25 Hz), 10 log10 dB clipped to [-40, 40], whole windows only. */
enum clef_param_key_dsp {
    CLEF_P_SPEC_FS = 200,             /**< f64 Hz, default 200: input sample rate */
    CLEF_P_SPEC_WINDOW_S = 201,       /**< f64 s, default 4: window (if window_samples is 0) */
    CLEF_P_SPEC_STEP_S = 202,         /**< f64 s, default 1: hop (if step_samples is 0); > 0 */
    CLEF_P_SPEC_WINDOW_SAMPLES = 203, /**< i64, default 0: window in samples (0: from seconds) */
    CLEF_P_SPEC_STEP_SAMPLES = 204,   /**< i64, default 0: hop in samples (0: from seconds) */
    CLEF_P_SPEC_BANDWIDTH_HZ = 205,   /**< f64 Hz, default 2: full bandwidth 2W, MNE's bandwidth */
    CLEF_P_SPEC_NW = 206,             /**< f64, default 0: NW; 0: bandwidth * window_s / 2 */
    CLEF_P_SPEC_N_TAPERS = 207,       /**< i64, default 0: tapers computed; 0: floor(2 NW) */
    CLEF_P_SPEC_EIG_MIN = 208,        /**< f64, default 0.9: keep tapers with eigenvalue > this */
    CLEF_P_SPEC_FMIN_HZ = 209,        /**< f64 Hz, default 0: lowest kept frequency (inclusive) */
    CLEF_P_SPEC_FMAX_HZ = 210,        /**< f64 Hz, default 32: kept f < fmax; 0: through fs/2 */
    CLEF_P_SPEC_NFFT = 211,           /**< i64, default 0: FFT length >= window; 0: window */
    CLEF_P_SPEC_DETREND = 212,        /**< str, default "constant": none, constant, linear */
    CLEF_P_SPEC_WEIGHTING = 213,      /**< str, default "eigen": eigen (MNE) or uniform */
    CLEF_P_SPEC_SCALE = 214,          /**< str, default "db": db, log1p or linear */
    CLEF_P_SPEC_DB_MIN = 215,         /**< f64 dB, default -40: lower clip and zero-power floor */
    CLEF_P_SPEC_DB_MAX = 216,         /**< f64 dB, default 40: upper clip */
    CLEF_P_SPEC_EDGE = 217,           /**< str, default "valid": valid or zero (pad window/2) */
    /* 218: spec_n_threads, removed in ABI 1 (threads are the clef_session's) */
    CLEF_P_SPEC_TAPER_SYM = 219 /**< i64, default 0: 1 symmetric DPSS, 0 periodic (MNE) */
};

/** DPSS (Slepian) tapers, as scipy.signal.windows.dpss(n, nw, k, sym, norm=2,
 *  return_ratios=True): k rows of n doubles, row j the taper of order j, unit energy (for
 *  sym = 0 the taper of length n+1 has unit energy and its last sample is dropped), SciPy's sign
 *  convention. ratios (k doubles, may be NULL) receives the concentration ratios (eigenvalues).
 *  Requires 1 <= n <= 65536, 1 <= k <= n, 0 < nw < n/2 (CLEF_ERR_RANGE otherwise).
 *  *needed (may be NULL) is set to n*k; CLEF_ERR_BUFFER_TOO_SMALL if tapers_cap is less.
 *  Errors are recorded on ctx. */
CLEF_API clef_status clef_dpss_compute(clef_ctx *ctx, int64_t n, double nw, int64_t k, int32_t sym,
                                       double *tapers, size_t tapers_cap, size_t *needed,
                                       double *ratios);

/** Build a spectrogram from a CLEF_PARAMS_SPEC set (NULL: all defaults). Errors (on ctx):
 *  CLEF_ERR_INVALID_ARG (wrong kind, unknown detrend/weighting/scale/edge string),
 *  CLEF_ERR_RANGE (window < 2 samples, step rounding to 0, nfft < window, NW >= window/2,
 *  fmax above fs/2, fmin >= fmax or an empty band, db_min >= db_max, no taper passing eig_min),
 *  CLEF_ERR_NOMEM. */
CLEF_API clef_status clef_spectrogram_create(clef_spectrogram **out, clef_ctx *ctx,
                                             const clef_params *params);
/** Release the caller's reference (streams keep their own). NULL-safe. */
CLEF_API void clef_spectrogram_free(clef_spectrogram *sg);
/** Frequency bins per frame (128 with the defaults); 0 if sg is NULL. */
CLEF_API int64_t clef_spectrogram_n_freqs(const clef_spectrogram *sg);
/** DPSS tapers kept (7 with the defaults); 0 if sg is NULL. */
CLEF_API int64_t clef_spectrogram_n_tapers(const clef_spectrogram *sg);
/** Window length in samples (800 with the defaults); 0 if sg is NULL. */
CLEF_API int64_t clef_spectrogram_window(const clef_spectrogram *sg);
/** Hop in samples (200 with the defaults); 0 if sg is NULL. */
CLEF_API int64_t clef_spectrogram_step(const clef_spectrogram *sg);
/** A numeric parameter of sg as built, by CLEF_P_SPEC_* key: FS; WINDOW_S and STEP_S (from the
 *  sample counts); WINDOW_SAMPLES; STEP_SAMPLES; NFFT; NW; BANDWIDTH_HZ (2 NW fs / window);
 *  N_TAPERS (kept); EIG_MIN; FMIN_HZ and FMAX_HZ (the kept band: first bin, last bin + fs/nfft);
 *  DB_MIN; DB_MAX. CLEF_ERR_INVALID_ARG for another key or a NULL argument. */
CLEF_API clef_status clef_spectrogram_param_f64(const clef_spectrogram *sg, int32_t key,
                                                double *out);
/** A string parameter of sg by key: DETREND, WEIGHTING, SCALE or EDGE (static string); NULL for
 *  another key or a NULL sg. */
CLEF_API const char *clef_spectrogram_param_str(const clef_spectrogram *sg, int32_t key);
/** Frames produced from n_samples samples per channel: floor((n + 2 pad - window) / step) + 1,
 *  or 0 when n + 2 pad < window (1,197 for 20 min at 200 Hz with the defaults). */
CLEF_API int64_t clef_spectrogram_n_frames(const clef_spectrogram *sg, int64_t n_samples);
/** Frequency axis in Hz (n_freqs values, b*fs/nfft). *needed (may be NULL) = n_freqs. */
CLEF_API clef_status clef_spectrogram_freqs(const clef_spectrogram *sg, double *out, size_t cap,
                                            size_t *needed);
/** Frame-centre times in s for a recording of n_samples: (k*step - pad + window/2) / fs, the
 *  middle of the window's time span (2.0 s for the first default frame). *needed = n_frames. */
CLEF_API clef_status clef_spectrogram_times(const clef_spectrogram *sg, int64_t n_samples,
                                            double *out, size_t cap, size_t *needed);
/** The kept tapers (n_tapers rows of window doubles) and, if eigenvalues is not NULL, their
 *  concentration ratios (n_tapers doubles). *needed = n_tapers * window. */
CLEF_API clef_status clef_spectrogram_tapers(const clef_spectrogram *sg, double *tapers, size_t cap,
                                             size_t *needed, double *eigenvalues);
/** Spectrogram of n_ch channels of n_samples float32 samples (uV), channel c starting at
 *  x + c*row_stride (row_stride >= n_samples). out receives float32 [n_ch][n_freqs][n_frames];
 *  *needed (may be NULL) = n_ch*n_freqs*n_frames. Runs on the session's threads; the output is
 *  bit-identical for every thread count. Working memory is the session's (reused across calls).
 *  Errors, on the session (clef_session_errmsg()): CLEF_ERR_SHAPE when the recording is shorter
 *  than one window (no frame), CLEF_ERR_FORMAT when a sample read by some frame is NaN or
 *  infinite (the message names channel and sample; the output is then unspecified),
 *  CLEF_ERR_BUFFER_TOO_SMALL, CLEF_ERR_INVALID_ARG, CLEF_ERR_NOMEM. */
CLEF_API clef_status clef_spectrogram_compute(const clef_spectrogram *sg, clef_session *s,
                                              const float *x, size_t row_stride, int64_t n_ch,
                                              int64_t n_samples, float *out, size_t cap,
                                              size_t *needed);

/** Start a stream of n_ch channels of sg (errors on the session s, which the stream does not
 *  keep: push and finish record theirs on the stream). */
CLEF_API clef_status clef_spectrogram_stream_create(clef_spectrogram_stream **out, clef_session *s,
                                                    const clef_spectrogram *sg, int64_t n_ch);
CLEF_API void clef_spectrogram_stream_free(clef_spectrogram_stream *st);
/** Frames that a push of n_samples would emit now (the capacity it needs is this times
 *  n_ch * n_freqs floats). */
CLEF_API int64_t clef_spectrogram_stream_pending(const clef_spectrogram_stream *st,
                                                 int64_t n_samples);
/** Push n_samples per channel (channel c at x + c*row_stride). The frames completed by this
 *  push are written to out as float32 [n_ch][n_freqs][*n_frames_out]; *needed (may be NULL)
 *  is the float count. On any error (CLEF_ERR_BUFFER_TOO_SMALL, CLEF_ERR_FORMAT for a NaN/Inf
 *  sample, CLEF_ERR_STATE after finish) nothing is consumed and the stream is unchanged. */
CLEF_API clef_status clef_spectrogram_stream_push(clef_spectrogram_stream *st, const float *x,
                                                  size_t row_stride, int64_t n_samples, float *out,
                                                  size_t cap, size_t *needed,
                                                  int64_t *n_frames_out);
/** End of input: emits the frames that the trailing zero padding completes (edge "zero"; none
 *  for "valid"), same layout as push. Later pushes fail with CLEF_ERR_STATE. */
CLEF_API clef_status clef_spectrogram_stream_finish(clef_spectrogram_stream *st, float *out,
                                                    size_t cap, size_t *needed,
                                                    int64_t *n_frames_out);
/** Frames emitted so far (index of the next frame). */
CLEF_API int64_t clef_spectrogram_stream_frames(const clef_spectrogram_stream *st);
/** Last error of the stream, "" after a call that succeeded. */
CLEF_API const char *clef_spectrogram_stream_errmsg(const clef_spectrogram_stream *st);
/** Status of the last error on the handle, CLEF_OK if none. */
CLEF_API clef_status clef_spectrogram_stream_errcode(const clef_spectrogram_stream *st);

/* (end of section) */

/* ------------------------------------------------------------------------------------------ */
/* nn: weights files (safetensors), checkpoints                                (lib/nn)       */
/* ------------------------------------------------------------------------------------------ */

/* A weights file is a standard safetensors file (docs/weights.md): an 8-byte little-endian header
 * length, a JSON header naming each tensor's dtype, shape and byte range, then the tensor data.
 * Its "__metadata__" string map carries the architecture and spectrogram hyperparameters
 * ("clef.*" keys, docs/ARCHITECTURE.md section 4), so a file describes itself. */

/** Element types of safetensors tensors (the format's dtype strings in comments). Pinned. */
enum clef_dtype {
    CLEF_DTYPE_F32 = 1,   /**< "F32": IEEE 754 binary32 */
    CLEF_DTYPE_F16 = 2,   /**< "F16": IEEE 754 binary16, widened to float32 when read */
    CLEF_DTYPE_BF16 = 3,  /**< "BF16": bfloat16, widened to float32 when read */
    CLEF_DTYPE_F64 = 4,   /**< "F64" (raw access only) */
    CLEF_DTYPE_I64 = 5,   /**< "I64" (raw access only) */
    CLEF_DTYPE_I32 = 6,   /**< "I32" (raw access only) */
    CLEF_DTYPE_I16 = 7,   /**< "I16" (raw access only) */
    CLEF_DTYPE_I8 = 8,    /**< "I8" (raw access only) */
    CLEF_DTYPE_U8 = 9,    /**< "U8" (raw access only) */
    CLEF_DTYPE_BOOL = 10, /**< "BOOL", one byte (raw access only) */
    CLEF_DTYPE_U16 = 11,  /**< "U16" (raw access only) */
    CLEF_DTYPE_U32 = 12,  /**< "U32" (raw access only) */
    CLEF_DTYPE_U64 = 13   /**< "U64" (raw access only) */
};

/** Largest tensor rank libclef reads or writes. */
#define CLEF_WEIGHTS_MAX_RANK 8
/** Runtime twin of CLEF_WEIGHTS_MAX_RANK. */
CLEF_API int32_t clef_weights_max_rank(void);

/** Size in bytes of one element of a clef_dtype; 0 for an unknown value. */
CLEF_API size_t clef_dtype_size(int32_t dtype);
/** The safetensors name of a clef_dtype ("F32", ...); "" for an unknown value. */
CLEF_API const char *clef_dtype_name(int32_t dtype);

/** Open a safetensors file read-only and memory-map it. Every header field is checked: header
 *  length against the file size, dtype names, shapes (product overflow), byte ranges (each equal
 *  to shape x dtype size, contiguous, covering the data exactly), duplicate names, metadata values
 *  being strings. Errors: CLEF_ERR_IO (cannot open or map), CLEF_ERR_FORMAT (malformed, message
 *  names the field), CLEF_ERR_UNSUPPORTED (unknown dtype, rank above CLEF_WEIGHTS_MAX_RANK). */
CLEF_API clef_status clef_weights_open(clef_weights **out, clef_ctx *ctx, const char *path);
/** Same as clef_weights_open(), from size bytes in memory (copied; the caller keeps data). */
CLEF_API clef_status clef_weights_open_memory(clef_weights **out, clef_ctx *ctx, const void *data,
                                              size_t size);
/** Unmap and free. NULL-safe. */
CLEF_API void clef_weights_free(clef_weights *w);
/** Last error on the handle, "" if none. Valid until the next call on the handle. */
CLEF_API const char *clef_weights_errmsg(const clef_weights *w);
/** Status of the last error on the handle, CLEF_OK if none. */
CLEF_API clef_status clef_weights_errcode(const clef_weights *w);

/** Number of tensors (metadata excluded); 0 for NULL. Index order is data order in the file. */
CLEF_API int64_t clef_weights_n_tensors(const clef_weights *w);
/** Index of the tensor called name; CLEF_ERR_NOT_FOUND if there is none. */
CLEF_API clef_status clef_weights_tensor_index(clef_weights *w, const char *name,
                                               int64_t *index_out);
/** Describe tensor index: its name (borrowed), clef_dtype, rank and element count. Any output
 *  pointer may be NULL. CLEF_ERR_RANGE for an index outside [0, n_tensors). */
CLEF_API clef_status clef_weights_tensor_info(clef_weights *w, int64_t index, const char **name,
                                              int32_t *dtype, int32_t *rank, int64_t *numel);
/** Copy the shape of tensor index into shape[0..rank); needed gets the rank.
 *  CLEF_ERR_BUFFER_TOO_SMALL if cap < rank. */
CLEF_API clef_status clef_weights_tensor_shape(clef_weights *w, int64_t index, int64_t *shape,
                                               size_t cap, size_t *needed);
/** Copy tensor name as float32 into out (cap floats; F16 and BF16 are widened exactly); needed
 *  (may be NULL) gets the element count. CLEF_ERR_BUFFER_TOO_SMALL if cap is smaller,
 *  CLEF_ERR_UNSUPPORTED for a non-float dtype, CLEF_ERR_NOT_FOUND for an unknown name. */
CLEF_API clef_status clef_weights_read_f32(clef_weights *w, const char *name, float *out,
                                           size_t cap, size_t *needed);
/** Copy the stored bytes (little-endian) of tensor name into out (cap bytes); needed (may be
 *  NULL) gets the byte count. For integer tensors such as vocabulary offsets. */
CLEF_API clef_status clef_weights_read_raw(clef_weights *w, const char *name, void *out, size_t cap,
                                           size_t *needed);

/** Number of "__metadata__" entries. */
CLEF_API int64_t clef_weights_meta_count(const clef_weights *w);
/** Value of metadata key (borrowed); CLEF_ERR_NOT_FOUND if absent. */
CLEF_API clef_status clef_weights_meta_get(clef_weights *w, const char *key, const char **value);
/** Metadata entry index (file order): key and value, both borrowed; CLEF_ERR_RANGE if out of
 *  range. */
CLEF_API clef_status clef_weights_meta_at(clef_weights *w, int64_t index, const char **key,
                                          const char **value);

CLEF_API clef_status clef_weights_writer_create(clef_weights_writer **out, clef_ctx *ctx);
/** NULL-safe. */
CLEF_API void clef_weights_writer_free(clef_weights_writer *wr);
/** Last error on the writer, "" if none. */
CLEF_API const char *clef_weights_writer_errmsg(const clef_weights_writer *wr);
/** Status of the last error on the handle, CLEF_OK if none. */
CLEF_API clef_status clef_weights_writer_errcode(const clef_weights_writer *wr);
/** Set (or replace) a "__metadata__" entry; key and value are UTF-8 strings, key not empty. */
CLEF_API clef_status clef_weights_writer_set_meta(clef_weights_writer *wr, const char *key,
                                                  const char *value);
/** Add a tensor from n float32 values (n must equal the shape's product; rank 0 is a scalar),
 *  stored as dtype CLEF_DTYPE_F32, _F16 or _BF16 (rounded to nearest even). The data are
 *  copied. A second tensor with the same name is CLEF_ERR_INVALID_ARG. */
CLEF_API clef_status clef_weights_writer_add_f32(clef_weights_writer *wr, const char *name,
                                                 int32_t dtype, const int64_t *shape, int32_t rank,
                                                 const float *data, size_t n);
/** Add a tensor of any dtype from its little-endian bytes (n_bytes = product x dtype size). */
CLEF_API clef_status clef_weights_writer_add_raw(clef_weights_writer *wr, const char *name,
                                                 int32_t dtype, const int64_t *shape, int32_t rank,
                                                 const void *data, size_t n_bytes);
/** Write the file: tensors in the order added, header padded with spaces so that the data
 *  start on a 64-byte boundary. Written to a temporary file in the same directory, flushed,
 *  then renamed over path, so a crash never leaves a partial file at path. The writer keeps its
 *  contents and may write again. */
CLEF_API clef_status clef_weights_writer_write(clef_weights_writer *wr, const char *path);

/* (end of section) */

/* ------------------------------------------------------------------------------------------ */
/* model: tokenizer (VQGAN), session encoder                                   (lib/model)    */
/* ------------------------------------------------------------------------------------------ */

/** Keys of CLEF_PARAMS_TOKENIZER sets: the architecture of a new tokenizer
 *  (clef_tokenizer_create()). A loaded tokenizer takes them from its weights' metadata. */
enum clef_param_key_model {
    CLEF_P_TOK_IN_CHANNELS = 400,   /**< i64, default 19: input image channels (EEG channels) */
    CLEF_P_TOK_N_FREQ = 401,        /**< i64, default 128: frequency bins */
    CLEF_P_TOK_CROP_T = 402,        /**< i64, default 1280: frames per session image */
    CLEF_P_TOK_TIME_STRIDE = 403,   /**< i64, default 5: frames per token column */
    CLEF_P_TOK_CH = 404,            /**< i64, default 32: base width */
    CLEF_P_TOK_CH_MULT = 405,       /**< str, default "1,1,2,4": width multipliers, one
                                         frequency halving each */
    CLEF_P_TOK_N_RES_BLOCKS = 406,  /**< i64, default 1: residual blocks per level */
    CLEF_P_TOK_GN_GROUPS = 407,     /**< i64, default 8: GroupNorm groups */
    CLEF_P_TOK_CODEBOOK_SIZE = 408, /**< i64, default 1024: codes */
    CLEF_P_TOK_CODE_DIM = 409,      /**< i64, default 32: code width */
    /* CLEF_PARAMS_TRAIN keys of clef_tokenizer_trainer_create() */
    CLEF_P_TOK_TRAIN_BATCH = 420,          /**< i64, default 8: crops per step (at most) */
    CLEF_P_TOK_TRAIN_LR = 421,             /**< f64, default 1e-3: AdamW learning rate */
    CLEF_P_TOK_TRAIN_WEIGHT_DECAY = 422,   /**< f64, default 0: AdamW weight decay */
    CLEF_P_TOK_TRAIN_GRAD_CLIP = 423,      /**< f64, default 5: gradient-norm clip */
    CLEF_P_TOK_TRAIN_COMMITMENT = 424,     /**< f64, default 0.1: VQ commitment weight */
    CLEF_P_TOK_TRAIN_EMA_DECAY = 425,      /**< f64, default 0.99: codebook EMA decay */
    CLEF_P_TOK_TRAIN_DEAD_THRESHOLD = 426, /**< f64, default 0.05: dead-code restart count */
    CLEF_P_TOK_TRAIN_DISC_NDF = 427,       /**< i64, default 16: PatchGAN width, 0: none */
    CLEF_P_TOK_TRAIN_DISC_START = 428,     /**< i64, default 2000: first adversarial step */
    CLEF_P_TOK_TRAIN_DISC_WEIGHT = 429,    /**< f64, default 0.8: adversarial weight factor */
    CLEF_P_TOK_TRAIN_WARMUP = 430,         /**< i64, default 0: linear lr warmup steps */
    CLEF_P_TOK_TRAIN_COSINE_STEPS = 431,   /**< i64, default 0: cosine lr decay from lr to
                                                lr_min at this step (0: constant lr) */
    CLEF_P_TOK_TRAIN_LR_MIN = 432,         /**< f64, default 1e-5: lr after the cosine decay */
    CLEF_P_TOK_TRAIN_POWER_WEIGHT = 433,   /**< f64, default 0: weight of the squared error of
                                                each (channel, frequency) row's time-mean power
                                                in dB beside the pixel L1 (docs/tokenizer.md) */
    /* CLEF_PARAMS_TRAIN keys of the training pipeline (clef_tokenizer_trainer_run()) */
    CLEF_P_TOK_TRAIN_STEPS = 434,            /**< i64, default 2000: the step count run() trains
                                                  to (a resumed trainer's steps count) */
    CLEF_P_TOK_TRAIN_SEED = 435,             /**< i64, default 1: a new tokenizer's weights and
                                                  the crop draws (a resumed one keeps its own) */
    CLEF_P_TOK_TRAIN_CHANNEL_DROPOUT = 436,  /**< f64, default 0: share of crops keeping a
                                                  random 1 .. n-1 of their n channels */
    CLEF_P_TOK_TRAIN_CHANNEL_LONE = 437,     /**< f64, default 0: of those, share keeping one */
    CLEF_P_TOK_TRAIN_MEAN_TOKENS = 438,      /**< i64, default 128: session-mean tokens fitted
                                                  by run() when the tokenizer has none (0: none) */
    CLEF_P_TOK_TRAIN_MEAN_LEVELS = 439,      /**< i64, default 1024: their levels */
    CLEF_P_TOK_TRAIN_CHECKPOINT_EVERY = 440, /**< i64, default 500: steps between checkpoints */
    CLEF_P_TOK_TRAIN_MAX_SESSIONS = 441      /**< i64, default 0 (all): recordings of a split
                                                  each add_cohort() / add_store() reads */
};

/** Load a tokenizer from a safetensors weights file holding the "tok" component, ready for
 *  whole sessions: its image is the session image (clef_tokenizer_session_frames(): 1,200
 *  frames = 8 x 240 grid tokens + 128 session-mean tokens = 2,048 for the default weights),
 *  whatever crop the weights were trained on. Every clef.tok.* metadata key and every tensor
 *  must be present with the expected shape (F32, or F16/BF16 widened); a mismatch fails with
 *  CLEF_ERR_FORMAT or CLEF_ERR_SHAPE and a message naming it (on ctx). path NULL: the default
 *  model (clef_default_model_path()). */
CLEF_API clef_status clef_tokenizer_load(clef_tokenizer **out, clef_ctx *ctx, const char *path);
/** A tokenizer with the architecture of params (a CLEF_PARAMS_TOKENIZER set; NULL: defaults)
 *  and PyTorch-default random weights drawn from seed: the starting point of training. */
CLEF_API clef_status clef_tokenizer_create(clef_tokenizer **out, clef_ctx *ctx,
                                           const clef_params *params, uint64_t seed);
/** Write the tokenizer's weights and clef.tok.* metadata to a safetensors file (atomically),
 *  loadable with clef_tokenizer_load(). Errors go to ctx. */
CLEF_API clef_status clef_tokenizer_save(const clef_tokenizer *tok, clef_ctx *ctx,
                                         const char *path);
/** A copy of tok for images of crop_t frames (a multiple of the time stride): the network is
 *  fully convolutional, so the same weights serve training crops (e.g. 128 x 80 frames, an
 *  8 x 16 grid) and whole sessions (clef_tokenizer_load() already returns the session image).
 *  Errors go to ctx. */
CLEF_API clef_status clef_tokenizer_clone_crop(clef_tokenizer **out, const clef_tokenizer *tok,
                                               clef_ctx *ctx, int64_t crop_t);
/** Free a tokenizer. NULL-safe. */
CLEF_API void clef_tokenizer_free(clef_tokenizer *tok);
/** Input and grid shape: channels, frequency bins, frames per image (crop_t), token rows and
 *  columns. Any out pointer may be NULL. */
CLEF_API clef_status clef_tokenizer_shape(const clef_tokenizer *tok, int64_t *n_channels,
                                          int64_t *n_freq, int64_t *crop_t, int64_t *grid_f,
                                          int64_t *grid_t);
/** Codebook size and code width. Any out pointer may be NULL. */
CLEF_API clef_status clef_tokenizer_codebook(const clef_tokenizer *tok, int64_t *codebook_size,
                                             int64_t *code_dim);
/** Tokens per image: grid_f * grid_t grid tokens, then the session-mean tokens (2,048 for a
 *  session image, clef_tokenizer_session_frames()); 0 if tok is NULL. */
CLEF_API int64_t clef_tokenizer_n_tokens(const clef_tokenizer *tok);
/** Session-mean tokens (docs/tokenizer.md "Session-mean tokens"): the mean power spectrum of
 *  the session (clef_tokenizer_session_mean()), coded apart from the grid as tokens of
 *  principal-component coefficients (clef_tokenizer_mean_coefficients()), then presence tokens
 *  (a bit per channel blank in every bin, floor(log2(n_levels)) channels each: 2 for 19
 *  channels), then one token holding the number of valid token columns
 *  (clef_tokenizer_valid_columns()); ids are
 *  codebook_size + level, level < n_levels (so the vocabulary has codebook_size + n_levels
 *  ids). Decode gives each (channel,
 *  frequency) row exactly the coded mean power over the valid columns, so band power over the
 *  session survives the tokens. Both 0 for a tokenizer without them. Any out pointer may be
 *  NULL. */
CLEF_API clef_status clef_tokenizer_mean_tokens(const clef_tokenizer *tok, int64_t *n_tokens,
                                                int64_t *n_levels);
/** Coefficients the session-mean tokens hold (docs/tokenizer.md "Session-mean tokens"): the
 *  first tokens hold one each (n_levels levels), the others two (sqrt(n_levels) levels each);
 *  188 for the default 128 tokens. 0 without session-mean tokens or if tok is NULL. */
CLEF_API int64_t clef_tokenizer_mean_coefficients(const clef_tokenizer *tok);
/** The session-mean spectrum that session-mean tokens code, for
 *  clef_tokenizer_trainer_fit_mean() and the means of clef_tokenizer_trainer_step(): mean
 *  [n_channels][n_freq] = each row of spec [n_channels][n_freq][n_frames] (dB) as its mean
 *  power over the n_frames frames, in dB: 10 log10 of the time mean of 10^(x / 10). A channel
 *  at the blank level everywhere stays at it. CLEF_ERR_INVALID_ARG for a NULL pointer or a
 *  size < 1. */
CLEF_API clef_status clef_tokenizer_session_mean(const float *spec, int64_t n_channels,
                                                 int64_t n_freq, int64_t n_frames, float *mean);
/** Frames of the whole-session image (pass to clef_tokenizer_clone_crop()): 1,280 for a
 *  tokenizer without session-mean tokens (8 x 256 = 2,048 tokens by default); with them, their
 *  ceil(n_mean / grid_f) columns come off: 1,200 frames = 20 minutes for the default 128
 *  (8 x 240 + 128 = 2,048 tokens). 0 if tok is NULL. */
CLEF_API int64_t clef_tokenizer_session_frames(const clef_tokenizer *tok);
/** Token columns holding real data for a session of n_frames frames: ceil(n_frames /
 *  time_stride), at most grid_t. Columns at or after it cover padding (mask them). */
CLEF_API int64_t clef_tokenizer_valid_columns(const clef_tokenizer *tok, int64_t n_frames);
/** Seconds of a recording that tok's image (crop_t frames of sg) covers, plus a 2 s margin
 *  beyond the polyphase resampler's reach: reading clef_recording_read_canonical() over
 *  [0, this) gives the same tokens as reading the whole file, with bounded memory (1,285 s for
 *  the 1,280-frame session image and CLEF's spectrogram). 0.0 if an argument is NULL. */
CLEF_API double clef_tokenizer_read_seconds(const clef_tokenizer *tok, const clef_spectrogram *sg);
/** Encode a spectrogram spec [n_channels][n_freq][n_frames] (dB, float32, contiguous) to token
 *  ids [grid_f][grid_t] (row-major, "f,t" order) followed by the n_mean session-mean tokens.
 *  n_channels and n_freq must match the tokenizer; n_frames >= 1: longer sessions are cut to
 *  their first crop_t frames, shorter ones padded: with zeros (0 dB), or with session-mean
 *  tokens at the session mean (the mean is over the real frames, which the last session-mean
 *  token counts in columns). ids holds ids_cap entries
 *  (needs clef_tokenizer_n_tokens()); latents (may be NULL) receives the encoder output before
 *  quantisation [code_dim][grid_f][grid_t], then (with session-mean tokens) the
 *  clef_tokenizer_mean_coefficients() session-mean coefficients before quantisation (in
 *  standard deviations of their component) and the valid columns, and must then hold
 *  latents_cap >= grid_f * grid_t * code_dim + that + 1 floats. *needed (may be NULL) is set to
 *  n_tokens. Runs on the session's threads and scratch; errors on the session. */
CLEF_API clef_status clef_tokenizer_encode(const clef_tokenizer *tok, clef_session *s,
                                           const float *spec, int64_t n_channels, int64_t n_freq,
                                           int64_t n_frames, int32_t *ids, size_t ids_cap,
                                           float *latents, size_t latents_cap, size_t *needed);
/** The spectrogram tok's weights were trained on (their clef.spec.* metadata), as a new
 *  handle: what clef_tokenizer_encode_recording() needs. Errors on ctx. */
CLEF_API clef_status clef_tokenizer_spectrogram_create(clef_spectrogram **out, clef_ctx *ctx,
                                                       const clef_tokenizer *tok);
/** The pipeline in one call: the first clef_tokenizer_read_seconds() of rec read as the 19
 *  canonical channels (clef_recording_read_canonical()), transformed by sg (checked against the
 *  weights: clef_tokenizer_check_spectrogram()) and encoded over tok's image
 *  (clef_tokenizer_encode()) into ids (clef_tokenizer_n_tokens() entries; *needed, may be NULL,
 *  gets that count). present_mask (may be NULL) gets the canonical channels present. A warm
 *  session allocates nothing. Errors on the session, naming the recording's cause. */
CLEF_API clef_status clef_tokenizer_encode_recording(const clef_tokenizer *tok, clef_session *s,
                                                     const clef_spectrogram *sg,
                                                     clef_recording *rec, int32_t *ids,
                                                     size_t ids_cap, size_t *needed,
                                                     uint32_t *present_mask);
/** As clef_tokenizer_encode_recording() from samples already read: the 19 canonical channels
 *  in microvolts at sg's rate, channel c at x + c*row_stride (e.g. what a clef_stream
 *  produced, or an MNE array), n_samples per channel; only the span the image covers is
 *  transformed. */
CLEF_API clef_status clef_tokenizer_encode_signal(const clef_tokenizer *tok, clef_session *s,
                                                  const clef_spectrogram *sg, const float *x,
                                                  size_t row_stride, int64_t n_samples,
                                                  int32_t *ids, size_t ids_cap, size_t *needed);
/** Check that sg computes the spectrogram tok's weights were trained on (clef.spec.*
 *  metadata: fs, window_s, step_s, bandwidth_hz, eig_min, fmin_hz, fmax_hz, df_hz, db_min,
 *  db_max, n_tapers, norm = the scale, and the number of frequency bins). Call it before
 *  encoding spectrograms of sg. A difference fails with CLEF_ERR_INVALID_ARG (CLEF_ERR_SHAPE for
 *  the bins) and a message on the session naming the parameter and both values. */
CLEF_API clef_status clef_tokenizer_check_spectrogram(const clef_tokenizer *tok, clef_session *s,
                                                      const clef_spectrogram *sg);

/** A trainer for a new tokenizer of architecture arch (CLEF_PARAMS_TOKENIZER, NULL: defaults:
 *  with the default 128 session-mean tokens, 8 x 240 grid + 128 = 2,048 tokens per 20-minute
 *  session) with settings train (CLEF_PARAMS_TRAIN, NULL: defaults; weights drawn from
 *  CLEF_P_TOK_TRAIN_SEED); it runs on n_threads threads. Errors go to ctx. */
CLEF_API clef_status clef_tokenizer_trainer_create(clef_tokenizer_trainer **out, clef_ctx *ctx,
                                                   const clef_params *arch,
                                                   const clef_params *train, int32_t n_threads);
/** Resume training from a checkpoint of clef_tokenizer_trainer_save(): the architecture,
 *  seed, step and discriminator presence come from the file, the other settings from train
 *  (CLEF_PARAMS_TRAIN, NULL: defaults). Continuing gives the same weights as an uninterrupted
 *  run fed the same batches with the same n_threads. Errors go to ctx. */
CLEF_API clef_status clef_tokenizer_trainer_resume(clef_tokenizer_trainer **out, clef_ctx *ctx,
                                                   const char *path, const clef_params *train,
                                                   int32_t n_threads);
/** Free a trainer (and the tokenizer and sessions it holds). NULL-safe. */
CLEF_API void clef_tokenizer_trainer_free(clef_tokenizer_trainer *tr);
/** Last error of the trainer, "" if none. */
CLEF_API const char *clef_tokenizer_trainer_errmsg(const clef_tokenizer_trainer *tr);
/** Status of the last error on the handle, CLEF_OK if none. */
CLEF_API clef_status clef_tokenizer_trainer_errcode(const clef_tokenizer_trainer *tr);
/** Record sg's parameters as the clef.spec.* metadata of the tokenizer being trained (saved
 *  with it) and compute the spectrograms of the sessions added from now on with it (borrowed:
 *  keep it alive until the last add call). Without it they use CLEF's default spectrogram on
 *  the trainer's threads. sg must have n_freq bins (CLEF_ERR_SHAPE). Errors on the trainer. */
CLEF_API clef_status clef_tokenizer_trainer_set_spectrogram(clef_tokenizer_trainer *tr,
                                                            const clef_spectrogram *sg);
/** Add the sessions of a cohort directory (docs/COHORT-FORMAT.md: manifest.csv, splits.csv)
 *  whose subject is in split (e.g. "train"): each recording's 19 canonical channels, its
 *  spectrogram and session mean, at most CLEF_P_TOK_TRAIN_MAX_SESSIONS recordings (0: all).
 *  Recordings shorter than a crop or without a canonical channel are skipped (logged at
 *  CLEF_LOG_WARN). CLEF_ERR_IO for a missing file, CLEF_ERR_FORMAT for a malformed CSV,
 *  CLEF_ERR_NOT_FOUND when the split yields no usable session, CLEF_ERR_SHAPE unless the
 *  tokenizer takes 19 channels of the spectrogram's bins; errors on the trainer. */
CLEF_API clef_status clef_tokenizer_trainer_add_cohort(clef_tokenizer_trainer *tr, const char *dir,
                                                       const char *split);
/** As clef_tokenizer_trainer_add_cohort() for the sessions of split "train", "val" or "test"
 *  of a store (clef_store_open(); CLEF_ERR_INVALID_ARG for another split name). */
CLEF_API clef_status clef_tokenizer_trainer_add_store(clef_tokenizer_trainer *tr, clef_store *store,
                                                      const char *split);
/** Add n_sessions more sessions' mean power spectra means [n_sessions][n_channels][n_freq]
 *  (clef_tokenizer_session_mean(); `clef session-means`) to the session-mean coder's fit only:
 *  its principal axes want many more sessions than the network does. Copied. Errors on the
 *  trainer. */
CLEF_API clef_status clef_tokenizer_trainer_add_means(clef_tokenizer_trainer *tr,
                                                      const float *means, int64_t n_sessions);
/** Sessions added and their frames in all. Either pointer may be NULL. */
CLEF_API clef_status clef_tokenizer_trainer_sessions(const clef_tokenizer_trainer *tr,
                                                     int64_t *n_sessions, int64_t *n_frames);
/** The training pipeline on the added sessions: when the tokenizer has no session-mean tokens
 *  and CLEF_P_TOK_TRAIN_MEAN_TOKENS > 0, fit them on the sessions' means (and those of
 *  clef_tokenizer_trainer_add_means(); a trainer that has them keeps its own); then until
 *  CLEF_P_TOK_TRAIN_STEPS steps, batches of CLEF_P_TOK_TRAIN_BATCH random crops of random
 *  sessions drawn from (seed, step) only (so a resumed run draws what an uninterrupted one
 *  does), with channel dropout (CLEF_P_TOK_TRAIN_CHANNEL_DROPOUT, _LONE), each step reported
 *  to progress (may be NULL) and a checkpoint written to checkpoint_path (NULL: none) every
 *  CLEF_P_TOK_TRAIN_CHECKPOINT_EVERY steps; then session-mean decoding is calibrated on every
 *  added session and the final checkpoint written. Save the result with clef_tokenizer_save()
 *  of clef_tokenizer_trainer_tokenizer(). CLEF_ERR_STATE without sessions; CLEF_ERR_RANGE when
 *  the sessions cannot carry the session-mean tokens; CLEF_ERR_CANCELLED when progress asked to
 *  stop (the trainer stays usable). Errors on the trainer. */
CLEF_API clef_status clef_tokenizer_trainer_run(clef_tokenizer_trainer *tr,
                                                const char *checkpoint_path,
                                                clef_tokenizer_train_progress_fn progress,
                                                void *user);
/** One optimiser step on n_crops crops [n_crops][n_channels][n_freq][crop_t] (dB), 1 <= n_crops
 *  <= CLEF_P_TOK_TRAIN_BATCH (clef_tokenizer_trainer_run() draws them for you). present (may be
 *  NULL: every channel) holds a mask per crop, bit c set when channel c holds data: the L1 loss
 *  of a crop covers its present channels only, so crops of recordings with missing electrodes
 *  (blanked to the dB floor) train the network without the tokens reproducing the blank planes.
 *  means (may be NULL) [n_crops][n_channels][n_freq] (dB): each crop's whole-session mean
 *  (clef_tokenizer_session_mean()), which session-mean tokens code apart; NULL uses each crop's
 *  own mean (fine for tests). l1_db (may be NULL) gets the batch's mean absolute
 *  reconstruction error in dB, perplexity (may be NULL) the codebook perplexity of its tokens.
 *  CLEF_ERR_INVALID_ARG for a mask without a channel of the tokenizer or a non-finite mean,
 *  CLEF_ERR_UNSUPPORTED with masks for more than 32 input channels. */
CLEF_API clef_status clef_tokenizer_trainer_step(clef_tokenizer_trainer *tr, const float *crops,
                                                 const uint32_t *present, const float *means,
                                                 int64_t n_crops, double *l1_db,
                                                 double *perplexity);
/** The tokenizer being trained: usable with encode/decode/save between steps; borrowed, valid
 *  until the next step or clef_tokenizer_trainer_free(). */
CLEF_API const clef_tokenizer *clef_tokenizer_trainer_tokenizer(const clef_tokenizer_trainer *tr);
/** Steps taken. */
CLEF_API int64_t clef_tokenizer_trainer_steps(const clef_tokenizer_trainer *tr);
/** The mean-power term of the last step, as an error in dB: the root mean square over its
 *  crops' present (channel, frequency) rows of time-mean power decoded minus true. 0 before
 *  the first step and when CLEF_P_TOK_TRAIN_POWER_WEIGHT is 0 (the term is not computed). */
CLEF_API double clef_tokenizer_trainer_power_db(const clef_tokenizer_trainer *tr);
/** Write a checkpoint (atomically): weights, EMA codebook statistics, discriminator, AdamW
 *  moments, step and seed, plus the clef.tok.* metadata. Errors on the trainer. */
CLEF_API clef_status clef_tokenizer_trainer_save(clef_tokenizer_trainer *tr, const char *path);

/* Experimental: the session-mean steps clef_tokenizer_trainer_run() takes, for experiments that
 * drive the trainer by hand (tests, tools/ref). They may change without an ABI bump notice. */

/** Give the tokenizer being trained n_tokens session-mean tokens of n_levels levels, fitted to
 *  the session-mean spectra (clef_tokenizer_session_mean()) of n_sessions training sessions,
 *  means [n_sessions][n_channels][n_freq] (dB): their mean and leading principal axes
 *  (LAPACK), half the coefficient tokens holding two coefficients each when n_levels is a
 *  square and the sessions support that many components (clef_tokenizer_mean_coefficients());
 *  the last token counts valid columns. Call it before the first step (or to add the tokens to,
 *  or refit them on, a resumed tokenizer); from then on the network codes each crop minus the
 *  coded mean (the means of clef_tokenizer_trainer_step()). CLEF_ERR_RANGE unless 2 <=
 *  n_tokens <= min(1024, n_sessions, n_channels * n_freq + 1) and 1280 / time_stride < n_levels
 *  <= 65536 - codebook_size; CLEF_ERR_INVALID_ARG for a non-finite mean. Errors on the trainer;
 *  on failure the tokenizer is unchanged. */
CLEF_API clef_status clef_tokenizer_trainer_fit_mean(clef_tokenizer_trainer *tr, const float *means,
                                                     int64_t n_sessions, int64_t n_tokens,
                                                     int64_t n_levels);
/** Calibrate session-mean decoding on a training session spec [n_channels][n_freq][n_frames]
 *  (dB; n_channels and n_freq must match the tokenizer, CLEF_ERR_SHAPE; absent channels at the
 *  blank level): encode and decode it as a whole-session image, and set the coder's per-row
 *  bias (tensor mean.bias) to the average, over the sessions calibrated so far, of decoded
 *  minus true mean dB (absent channels left out). first nonzero starts a new average. Decode
 *  makes each row's mean power the coded one minus this bias (docs/tokenizer.md "Session-mean
 *  tokens"). A fit or refit (clef_tokenizer_trainer_fit_mean()) starts from bias 0.
 *  CLEF_ERR_STATE without session-mean tokens; errors on the trainer. */
CLEF_API clef_status clef_tokenizer_trainer_calibrate_mean(clef_tokenizer_trainer *tr,
                                                           const float *spec, int64_t n_channels,
                                                           int64_t n_freq, int64_t n_frames,
                                                           int32_t first);

/** Decode n_ids = n_tokens token ids (grid ids in [0, codebook_size), session-mean ids in
 *  [codebook_size, codebook_size + n_levels)) to a spectrogram
 *  out [n_channels][n_freq][crop_t] in dB; with session-mean tokens, each row is shifted so
 *  that its mean power over the valid columns' frames is the coded session mean less the
 *  calibrated bias (clef_tokenizer_trainer_calibrate_mean()), and channels that were blank
 *  in every bin (absent or flat electrodes, flagged by its presence tokens) come back at the
 *  dB floor (without session-mean tokens, channels absent from the encoded recording are not
 *  reconstructed meaningfully: mask them with its present mask); out holds out_cap
 * floats, *needed (may be NULL) is set to the floats required. Runs on the session's threads
 * and scratch; errors on the session. */
CLEF_API clef_status clef_tokenizer_decode(const clef_tokenizer *tok, clef_session *s,
                                           const int32_t *ids, size_t n_ids, float *out,
                                           size_t out_cap, size_t *needed);

/* ---- session tokens over a store ---- */

/** Model hash under which clef_tokenizer_job_run() stores a weights file's tokens: the
 *  lowercase hex SHA-256 of the file (64 characters + NUL) into buf; *needed (may be NULL) =
 *  65. CLEF_ERR_BUFFER_TOO_SMALL if cap < 65, CLEF_ERR_IO if the file cannot be read. */
CLEF_API clef_status clef_tokenizer_model_hash(clef_ctx *ctx, const char *weights_path, char *buf,
                                               size_t cap, size_t *needed);
/** Tokenize every session of a store as the resumable job "tokenize:<model hash>" (one job per
 *  weights file): each session is claimed, tokenized by clef_tokenizer_encode_recording() with
 *  the weights loaded for whole sessions and the spectrogram they were trained on
 *  (clef_tokenizer_spectrogram_create()), and its n_tokens ids (2,048 by default) committed as a
 *  uint16 artifact (CLEF_ARTIFACT_TOKENS, model hash of clef_tokenizer_model_hash()) with its
 *  done state in one transaction: a killed run resumes without redoing or duplicating a
 *  session, and a rerun adds nothing. stale_s, max_items, n_processed, progress and user as in
 *  clef_bandpower_job_run(). A session whose file cannot be read is marked failed with the
 *  reason and the job goes on. CLEF_ERR_UNSUPPORTED for a codebook of more than 65,536 codes.
 *  Runs on the session's threads; errors on the session. */
CLEF_API clef_status clef_tokenizer_job_run(clef_session *sess, clef_store *s,
                                            const char *weights_path, double stale_s,
                                            int64_t max_items, int64_t *n_processed,
                                            clef_eval_progress_fn progress, void *user);

/** SHA-256 (lowercase hex, 64 characters + NUL) of the weights file tok was loaded from
 *  (clef_tokenizer_load(); equal to clef_tokenizer_model_hash() of that file) into buf;
 *  *needed (may be NULL) = 65. CLEF_ERR_STATE for a tokenizer not loaded from a file
 *  (created, or a trainer's), CLEF_ERR_BUFFER_TOO_SMALL if cap < 65. */
CLEF_API clef_status clef_tokenizer_sha256(const clef_tokenizer *tok, char *buf, size_t cap,
                                           size_t *needed);

/* ---- shipped default models (docs/models.md) ---- */

/** The default models that ship with libclef (trained on the synthetic cohort; model cards in
 *  docs/models.md). Pinned. */
enum clef_default_model {
    CLEF_MODEL_TOKENIZER = 1,         /**< tokenizer.safetensors */
    CLEF_MODEL_ENCODER = 2,           /**< encoder.safetensors (on that tokenizer's tokens:
                                           masked-token pretraining, then fine-tuned during
                                           alignment) */
    CLEF_MODEL_ALIGNER = 3,           /**< aligner.safetensors (trained with that encoder) */
    CLEF_MODEL_ENCODER_PRETRAINED = 4 /**< encoder-pretrained.safetensors: the same encoder
                                           before alignment (masked-token pretraining only,
                                           the paper's "recon-only") */
};
/** Path of a default model into buf (NUL-terminated; *needed = bytes with the NUL): the first
 *  that exists of $CLEF_MODELS_DIR/<file>, the models directory installed with this libclef
 *  (<prefix>/share/clef/models) and the source tree it was built from (models/).
 *  clef_tokenizer_load(), clef_encoder_load() and clef_aligner_load() load it when given a NULL
 *  path. CLEF_ERR_NOT_FOUND naming the places tried. Errors go to ctx. */
CLEF_API clef_status clef_default_model_path(clef_ctx *ctx, int32_t which, char *buf, size_t cap,
                                             size_t *needed);

/* ---- session encoder (docs/encoder.md) ---- */

/** Keys of CLEF_PARAMS_ENCODER sets (names "enc.*"): the architecture of a new encoder
 *  (clef_encoder_trainer_create()). A loaded encoder takes them from its weights' metadata.
 *  Forward FLOPs per layer for n tokens: about 24 n d^2 + 4 n^2 d (docs/encoder.md). */
enum clef_param_key_encoder {
    CLEF_P_ENC_D_MODEL = 450,   /**< i64, default 256: width d */
    CLEF_P_ENC_N_LAYERS = 451,  /**< i64, default 4: pre-LN Transformer blocks */
    CLEF_P_ENC_N_HEADS = 452,   /**< i64, default 4: attention heads (divide d) */
    CLEF_P_ENC_D_FF = 453,      /**< i64, default 1024: MLP width */
    CLEF_P_ENC_EMBED_DIM = 454, /**< i64, default 512: session embedding width */
    /** i64 0 or 1, default 1: the projection reads the pooled state and, beside it, the
     *  session-mean tokens' coefficients (docs/encoder.md "Outputs"); 0: the state alone */
    CLEF_P_ENC_POOL_VALUES = 455
};

/** Keys of CLEF_PARAMS_PRETRAIN sets (names "pretrain.*"; docs/encoder.md "Pretraining"). */
enum clef_param_key_pretrain {
    CLEF_P_PRETRAIN_BATCH = 460,            /**< i64, default 8: sessions per step (global) */
    CLEF_P_PRETRAIN_STEPS = 461,            /**< i64, default 2000: steps to train to */
    CLEF_P_PRETRAIN_LR = 462,               /**< f64, default 5e-4: peak AdamW learning rate
                                                 (the paper: 1e-3 x batch / 256) */
    CLEF_P_PRETRAIN_LR_MIN_FRAC = 463,      /**< f64, default 0.1: cosine decay to lr x this */
    CLEF_P_PRETRAIN_WARMUP_FRAC = 464,      /**< f64, default 0.05: linear warmup share of steps */
    CLEF_P_PRETRAIN_WEIGHT_DECAY = 465,     /**< f64, default 0.1: AdamW decoupled weight decay */
    CLEF_P_PRETRAIN_BETA1 = 466,            /**< f64, default 0.9 */
    CLEF_P_PRETRAIN_BETA2 = 467,            /**< f64, default 0.95 */
    CLEF_P_PRETRAIN_EPS = 468,              /**< f64, default 1e-8 */
    CLEF_P_PRETRAIN_GRAD_CLIP = 469,        /**< f64, default 5: global gradient-norm clip */
    CLEF_P_PRETRAIN_EMA_DECAY = 470,        /**< f64, default 0.9999: weight EMA (0: none) */
    CLEF_P_PRETRAIN_MASK_MIN = 471,         /**< f64, default 0.15: lowest per-session mask rate */
    CLEF_P_PRETRAIN_MASK_MAX = 472,         /**< f64, default 0.85: highest per-session mask rate */
    CLEF_P_PRETRAIN_CROP_COLS = 473,        /**< i64, default 0: train on windows of this many
                                                 grid columns (0: whole sessions) */
    CLEF_P_PRETRAIN_SEED = 474,             /**< i64, default 1: initial weights, batches, masks */
    CLEF_P_PRETRAIN_CHECKPOINT_EVERY = 475, /**< i64, default 500: steps between checkpoints */
    CLEF_P_PRETRAIN_VAL_EVERY = 476,        /**< i64, default 100: steps between validations
                                                 (0: none) */
    CLEF_P_PRETRAIN_MAX_SESSIONS = 477,     /**< i64, default 0 (all): sessions of a split each
                                                 add_store() / add_cohort() reads */
    CLEF_P_PRETRAIN_MEAN_WEIGHT = 478       /**< f64, default 1: weight of the masked
                                                 session-mean coefficients' squared error
                                                 (0: never mask them) */
};

/** Load an encoder from a safetensors weights file holding the "enc" component. With tok
 *  (may be NULL) the weights must name its SHA-256 (clef_tokenizer_sha256()) and its token
 *  layout: a mismatch is CLEF_ERR_INVALID_ARG naming both. CLEF_ERR_FORMAT for malformed
 *  metadata or non-finite weights, CLEF_ERR_SHAPE for a tensor of the wrong shape,
 *  CLEF_ERR_NOT_FOUND for a missing one. path NULL: the default model
 *  (clef_default_model_path()). Errors go to ctx. */
CLEF_API clef_status clef_encoder_load(clef_encoder **out, clef_ctx *ctx, const char *path,
                                       const clef_tokenizer *tok);
/** Write the encoder's weights (float32) and metadata atomically; loadable with
 *  clef_encoder_load(). Errors go to ctx. */
CLEF_API clef_status clef_encoder_save(const clef_encoder *enc, clef_ctx *ctx, const char *path);
/** Free an encoder. NULL-safe. */
CLEF_API void clef_encoder_free(clef_encoder *enc);
/** Token ids per session, width d and embedding width. Any pointer may be NULL. */
CLEF_API clef_status clef_encoder_shape(const clef_encoder *enc, int64_t *n_tokens,
                                        int64_t *d_model, int64_t *embed_dim);
/** SHA-256 of the tokenizer the encoder was trained with (64 hex characters + NUL) into buf;
 *  *needed (may be NULL) = 65. */
CLEF_API clef_status clef_encoder_tokenizer_sha256(const clef_encoder *enc, char *buf, size_t cap,
                                                   size_t *needed);
/** Embed one session's n_ids = n_tokens token ids (grid ids in [0, codebook_size),
 *  session-mean ids in [codebook_size, codebook_size + mean_levels)): emb receives embed_dim
 *  floats. valid_cols > 0 keeps the grid columns [0, valid_cols) and masks the rest (streams:
 *  the columns so far); 0 takes them from the ids' valid-columns token (all columns for a
 *  tokenizer without session-mean tokens). states (may be NULL) receives the final per-token
 *  states [n_tokens][d_model] in the layout of the ids (padding columns' rows 0: padding is
 *  left out of the computation). *needed (may be NULL) = embed_dim.
 *  CLEF_ERR_RANGE for an id out of range or valid_cols past the grid, CLEF_ERR_SHAPE for a
 *  wrong n_ids, CLEF_ERR_BUFFER_TOO_SMALL for short buffers. Runs on the session's threads and
 *  scratch; errors on the session. */
CLEF_API clef_status clef_encoder_embed(const clef_encoder *enc, clef_session *s,
                                        const int32_t *ids, size_t n_ids, int64_t valid_cols,
                                        float *emb, size_t emb_cap, float *states,
                                        size_t states_cap, size_t *needed);
/** The pipeline in one call: rec -> spectrogram -> tokens (clef_tokenizer_encode_recording())
 *  -> embedding. tok must be the tokenizer the encoder was trained with (its SHA-256:
 *  CLEF_ERR_INVALID_ARG otherwise); sg the spectrogram its weights were trained on
 *  (clef_tokenizer_spectrogram_create()). present_mask (may be NULL) as in
 *  clef_tokenizer_encode_recording(). Errors on the session. */
CLEF_API clef_status clef_encoder_embed_recording(const clef_encoder *enc,
                                                  const clef_tokenizer *tok, clef_session *s,
                                                  const clef_spectrogram *sg, clef_recording *rec,
                                                  float *emb, size_t emb_cap, size_t *needed,
                                                  uint32_t *present_mask);
/** As clef_encoder_embed_recording() from the 19 canonical channels already read, planar
 *  x [19][row_stride] (uV at the spectrogram's rate), n_samples per channel. */
CLEF_API clef_status clef_encoder_embed_signal(const clef_encoder *enc, const clef_tokenizer *tok,
                                               clef_session *s, const clef_spectrogram *sg,
                                               const float *x, size_t row_stride, int64_t n_samples,
                                               float *emb, size_t emb_cap, size_t *needed);

/** Start a stream for enc over tok (its tokenizer: CLEF_ERR_INVALID_ARG otherwise) and sg (the
 *  spectrogram tok was trained on: clef_tokenizer_spectrogram_create()). Errors on the session
 *  s (not kept). */
CLEF_API clef_status clef_encoder_stream_create(clef_encoder_stream **out, clef_session *s,
                                                const clef_encoder *enc, const clef_tokenizer *tok,
                                                const clef_spectrogram *sg);
/** Free a stream. NULL-safe. */
CLEF_API void clef_encoder_stream_free(clef_encoder_stream *st);
/** Last error of the stream's own calls (push, finish), "" if none. */
CLEF_API const char *clef_encoder_stream_errmsg(const clef_encoder_stream *st);
/** Status of the last error on the handle, CLEF_OK if none. */
CLEF_API clef_status clef_encoder_stream_errcode(const clef_encoder_stream *st);
/** Push n_samples per channel of the 19 canonical channels (uV at the spectrogram's rate;
 *  channel c at x + c * row_stride). Frames past the session image
 *  (clef_tokenizer_session_frames()) are not kept. CLEF_ERR_FORMAT for a NaN or infinite
 *  sample (nothing consumed), CLEF_ERR_STATE after finish. Errors on the stream. */
CLEF_API clef_status clef_encoder_stream_push(clef_encoder_stream *st, const float *x,
                                              size_t row_stride, int64_t n_samples);
/** End of input (the spectrogram's trailing frames, if its edge policy has any). */
CLEF_API clef_status clef_encoder_stream_finish(clef_encoder_stream *st);
/** Spectrogram frames kept so far (at most the session image's). */
CLEF_API int64_t clef_encoder_stream_frames(const clef_encoder_stream *st);
/** Token ids of the session so far (clef_tokenizer_n_tokens() entries) into ids; the session's
 *  threads and scratch. CLEF_ERR_STATE before the first complete frame. Errors on s. */
CLEF_API clef_status clef_encoder_stream_tokens(clef_encoder_stream *st, clef_session *s,
                                                int32_t *ids, size_t ids_cap, size_t *needed);
/** The embedding of the session so far (embed_dim floats): its tokens, then
 *  clef_encoder_embed() over the columns they cover. Errors on s. */
CLEF_API clef_status clef_encoder_stream_embed(clef_encoder_stream *st, clef_session *s, float *emb,
                                               size_t emb_cap, size_t *needed);

/** A trainer for a new encoder of architecture arch (CLEF_PARAMS_ENCODER, NULL: defaults) over
 *  the token layout of tok, which must have been loaded from a weights file (its SHA-256 is
 *  recorded: CLEF_ERR_STATE otherwise); settings train (CLEF_PARAMS_PRETRAIN, NULL: defaults;
 *  weights drawn from CLEF_P_PRETRAIN_SEED); n_threads threads. tok is not retained. Errors
 *  go to ctx. */
CLEF_API clef_status clef_encoder_trainer_create(clef_encoder_trainer **out, clef_ctx *ctx,
                                                 const clef_tokenizer *tok, const clef_params *arch,
                                                 const clef_params *train, int32_t n_threads);
/** Resume from a checkpoint of clef_encoder_trainer_save(): architecture, token layout,
 *  tokenizer SHA-256, seed, step and EMA from the file, the other settings from train (NULL:
 *  defaults). Continuing gives the same weights as an uninterrupted run. Sessions are not in
 *  the checkpoint: add them again. Errors go to ctx. */
CLEF_API clef_status clef_encoder_trainer_resume(clef_encoder_trainer **out, clef_ctx *ctx,
                                                 const char *path, const clef_params *train,
                                                 int32_t n_threads);
/** Free a trainer. NULL-safe. */
CLEF_API void clef_encoder_trainer_free(clef_encoder_trainer *tr);
/** Last error of the trainer, "" if none. */
CLEF_API const char *clef_encoder_trainer_errmsg(const clef_encoder_trainer *tr);
/** Status of the last error on the handle, CLEF_OK if none. */
CLEF_API clef_status clef_encoder_trainer_errcode(const clef_encoder_trainer *tr);
/** Add n_sessions sessions' token ids ids [n_sessions][n_tokens] (copied) to split
 *  CLEF_SPLIT_TRAIN or CLEF_SPLIT_VAL (held out: validation only). Ids are checked
 *  (CLEF_ERR_RANGE naming the session and position). Errors on the trainer. */
CLEF_API clef_status clef_encoder_trainer_add_tokens(clef_encoder_trainer *tr, const int32_t *ids,
                                                     int64_t n_sessions, int32_t split);
/** Add the sessions of a store split ("train" or "val") from their token artifacts under the
 *  trainer's tokenizer SHA-256 (`clef tokenize --store`, clef_tokenizer_job_run()), at most
 *  CLEF_P_PRETRAIN_MAX_SESSIONS. "train" and "val" go to the matching split of the trainer.
 *  CLEF_ERR_NOT_FOUND when the split has no tokenized session (the message says how to
 *  tokenize). Errors on the trainer. */
CLEF_API clef_status clef_encoder_trainer_add_store(clef_encoder_trainer *tr, clef_store *store,
                                                    const char *split);
/** Add the sessions of a cohort directory's split ("train" or "val"; docs/COHORT-FORMAT.md),
 *  tokenized on the trainer's threads by tok (clef_tokenizer_encode_recording() with the
 *  spectrogram its weights were trained on), at most CLEF_P_PRETRAIN_MAX_SESSIONS. tok must be
 *  the trainer's tokenizer (its SHA-256: CLEF_ERR_INVALID_ARG otherwise). A recording that
 *  cannot be read or tokenized is skipped with a warning; CLEF_ERR_NOT_FOUND when none is
 *  usable. Errors on the trainer. */
CLEF_API clef_status clef_encoder_trainer_add_cohort(clef_encoder_trainer *tr,
                                                     const clef_tokenizer *tok, const char *dir,
                                                     const char *split);
/** Sessions added to a split (CLEF_SPLIT_TRAIN or CLEF_SPLIT_VAL); -1 for another split. */
CLEF_API int64_t clef_encoder_trainer_sessions(const clef_encoder_trainer *tr, int32_t split);
/** Data-parallel training: this trainer is rank of world ranks; each step's global batch
 *  (CLEF_P_PRETRAIN_BATCH sessions, drawn identically on every rank) is shared out by
 *  position (rank, rank + world, ...) and the gradient summed over ranks through reduce
 *  (clef_dist_allreduce_mean() of libclef_dist). Every rank must add the same sessions.
 *  reduce NULL (rank 0): one process computes all world ranks' shares and combines them as
 *  clef_dist_allreduce_mean() would (in rank order), reproducing a world-rank run bit for bit
 *  when world is 2 (docs/distributed.md); world 1 restores plain single-process training.
 *  Checkpoints record world. Errors on the trainer. */
CLEF_API clef_status clef_encoder_trainer_set_reducer(clef_encoder_trainer *tr,
                                                      clef_grad_reduce_fn reduce, void *user,
                                                      int32_t rank, int32_t world);
/** Pretraining on the added sessions until CLEF_P_PRETRAIN_STEPS steps: batches and masks
 *  drawn from (seed, step) only (a resumed run draws what an uninterrupted one does), every
 *  step reported to progress (may be NULL), the held-out sessions evaluated every
 *  CLEF_P_PRETRAIN_VAL_EVERY steps and at the end (with fixed masks), a checkpoint written to
 *  checkpoint_path (NULL: none) every CLEF_P_PRETRAIN_CHECKPOINT_EVERY steps and at the end.
 *  CLEF_ERR_STATE without training sessions; CLEF_ERR_CANCELLED when progress asked to stop
 *  (the trainer stays usable). Errors on the trainer. */
CLEF_API clef_status clef_encoder_trainer_run(clef_encoder_trainer *tr, const char *checkpoint_path,
                                              clef_encoder_progress_fn progress, void *user);
/** One optimiser step on n_sessions sessions' ids [n_sessions][n_tokens] (world > 1: this
 *  rank's share of the global batch, whose size is then CLEF_P_PRETRAIN_BATCH; with emulated
 *  ranks the whole global batch, in order). loss and
 *  accuracy (may be NULL) get this rank's mean masked-token cross-entropy and accuracy. Masks
 *  come from (seed, step, position in the global batch). Errors on the trainer. */
CLEF_API clef_status clef_encoder_trainer_step(clef_encoder_trainer *tr, const int32_t *ids,
                                               int64_t n_sessions, double *loss, double *accuracy);
/** Mean masked-token cross-entropy and accuracy of the current weights (ema nonzero: the EMA
 *  weights) on the held-out sessions, masks drawn from a fixed seed (comparable across steps),
 *  and of two baselines on the same masks (either may be NULL): the unigram frequency of the
 *  training sessions' codes (baseline_acc[0]) and copying the nearest unmasked token of the
 *  same row in time (baseline_acc[1]). CLEF_ERR_STATE without held-out sessions. */
CLEF_API clef_status clef_encoder_trainer_validate(clef_encoder_trainer *tr, int32_t ema,
                                                   double *loss, double *accuracy,
                                                   double *baseline_acc);
/** The encoder being trained, with its current weights (ema 0) or their EMA (ema nonzero; the
 *  current weights when the run keeps no EMA): borrowed, valid until the next step or
 *  clef_encoder_trainer_free(). */
CLEF_API const clef_encoder *clef_encoder_trainer_encoder(clef_encoder_trainer *tr, int32_t ema);
/** Steps taken. */
CLEF_API int64_t clef_encoder_trainer_steps(const clef_encoder_trainer *tr);
/** Token ids per session of the trainer's encoder (0 if tr is NULL). */
CLEF_API int64_t clef_encoder_trainer_n_tokens(const clef_encoder_trainer *tr);
/** Write a checkpoint (atomically): weights, EMA, AdamW moments, step, seed, world size and the
 *  encoder metadata. Errors on the trainer. */
CLEF_API clef_status clef_encoder_trainer_save(clef_encoder_trainer *tr, const char *path);

/** Model hash under which clef_encoder_job_run() stores an encoder's embeddings: the SHA-256
 *  of its weights file, as clef_tokenizer_model_hash(). */
CLEF_API clef_status clef_encoder_model_hash(clef_ctx *ctx, const char *weights_path, char *buf,
                                             size_t cap, size_t *needed);
/** Embed every session of a store as the resumable job "embed:<encoder hash>": each session's
 *  tokens come from its token artifact under the tokenizer's SHA-256 when present, else from
 *  its recording (clef_encoder_embed_recording()); its embedding (embed_dim float32) is
 *  committed as a CLEF_ARTIFACT_EMBEDDING artifact under the encoder's model hash with its done
 *  state in one transaction (a killed run resumes; a rerun adds nothing). Arguments after the
 *  weights paths as in clef_tokenizer_job_run(). Errors on the session. */
CLEF_API clef_status clef_encoder_job_run(clef_session *sess, clef_store *s,
                                          const char *tokenizer_path, const char *encoder_path,
                                          double stale_s, int64_t max_items, int64_t *n_processed,
                                          clef_eval_progress_fn progress, void *user);

/* (end of section) */

/* ------------------------------------------------------------------------------------------ */
/* clinical: evaluation harness, probes, AUROC, aligner                        (lib/clinical) */
/* ------------------------------------------------------------------------------------------ */

/** AUROC of scores against labels (0/1), n values: the Mann-Whitney U statistic with
 *  midranks, so tied scores count one half (equals sklearn.metrics.roc_auc_score).
 *  CLEF_ERR_INVALID_ARG if a label is not 0/1, a score is not finite or a class is absent. */
CLEF_API clef_status clef_auroc(clef_ctx *ctx, const double *scores, const int32_t *labels,
                                size_t n, double *out);
/** Percentile bootstrap confidence interval of the AUROC: n_boot resamples of the n pairs
 *  with replacement (a resample missing a class is redrawn), seeded by seed (the same seed
 *  gives the same interval), at the given level (e.g. 0.95). */
CLEF_API clef_status clef_auroc_ci(clef_ctx *ctx, const double *scores, const int32_t *labels,
                                   size_t n, int64_t n_boot, uint64_t seed, double level,
                                   double *lo, double *hi);

/** Fit a probe on x [n][d] (row-major) and labels y (0/1) with regularization C > 0. */
CLEF_API clef_status clef_probe_fit(clef_probe **out, clef_ctx *ctx, const double *x,
                                    const int32_t *y, size_t n, size_t d, double c);
/** Fit n_tasks probes at once on shared features: x [n][d] and labels y [n_tasks][n] (task t's
 *  at y + t * n), one C. The result is one probe with clef_probe_n_tasks() = n_tasks outputs,
 *  task t as clef_probe_fit(x, y + t * n, n, d, c) fits it (the same standardization and
 *  optimum: probabilities within 1e-10 on the tests), in a fraction of the time: batched
 *  inexact Newton-CG in the eigenbasis of the standardized x (docs/evaluation.md). Errors on
 *  ctx; CLEF_ERR_INVALID_ARG names the first task whose labels are not 0/1 or lack a class. */
CLEF_API clef_status clef_probe_fit_many(clef_probe **out, clef_ctx *ctx, const double *x,
                                         const int32_t *y, size_t n, size_t d, size_t n_tasks,
                                         double c);
/** Fit one probe per C of c_grid on the training set and keep the one with the best
 *  validation AUROC (on ties, the earliest C in the grid). */
CLEF_API clef_status clef_probe_fit_select(clef_probe **out, clef_ctx *ctx, const double *x_train,
                                           const int32_t *y_train, size_t n_train,
                                           const double *x_val, const int32_t *y_val, size_t n_val,
                                           size_t d, const double *c_grid, size_t n_c);
/** Probabilities of class 1 for x [n][d] into prob [n_tasks][n] (task t's at prob + t * n;
 *  n_tasks = clef_probe_n_tasks(p), 1 unless fitted by clef_probe_fit_many). */
CLEF_API clef_status clef_probe_predict(clef_probe *p, const double *x, size_t n, size_t d,
                                        double *prob);
/** The probe's regularization C (NaN for NULL). */
CLEF_API double clef_probe_c(const clef_probe *p);
/** Newton iterations the fit took (the most of any task). */
CLEF_API int64_t clef_probe_n_iter(const clef_probe *p);
/** Label sets (outputs) the probe was fitted on: 1, or n_tasks of clef_probe_fit_many (0 for
 *  NULL). */
CLEF_API int64_t clef_probe_n_tasks(const clef_probe *p);
/** Last error on the probe, "" if none. */
CLEF_API const char *clef_probe_errmsg(const clef_probe *p);
/** Status of the last error on the handle, CLEF_OK if none. */
CLEF_API clef_status clef_probe_errcode(const clef_probe *p);
/** NULL-safe. */
CLEF_API void clef_probe_free(clef_probe *p);

/** Band-power baseline embedding of one session: for each of n_ch channels (planar float32 uV,
 *  channel c at x + c * stride, n_samples at fs Hz), log10 of the power in delta (1-4 Hz),
 *  theta (4-8), alpha (8-13) and beta (13-30) from a Welch periodogram (2 s Hann segments,
 *  50 % overlap, as scipy.signal.welch), plus 1e-6 uV^2. out [n_ch][4]; *needed = n_ch * 4.
 *  Needs at least 2 s of signal. */
CLEF_API clef_status clef_bandpower_embed(clef_ctx *ctx, const float *x, int64_t n_ch,
                                          int64_t n_samples, int64_t stride, double fs, float *out,
                                          size_t cap, size_t *needed);

CLEF_API clef_status clef_eval_create(clef_eval **out, clef_ctx *ctx);
/** NULL-safe. */
CLEF_API void clef_eval_free(clef_eval *ev);
/** Last error on the evaluator, "" if none. */
CLEF_API const char *clef_eval_errmsg(const clef_eval *ev);
/** Status of the last error on the handle, CLEF_OK if none. */
CLEF_API clef_status clef_eval_errcode(const clef_eval *ev);
/** Replace the grid of C values tried on the validation split (n in [1, 1000], each > 0). */
CLEF_API clef_status clef_eval_set_c_grid(clef_eval *ev, const double *c, size_t n);
/** Bootstrap resamples (>= 2), seed and confidence level in (0, 1). */
CLEF_API clef_status clef_eval_set_bootstrap(clef_eval *ev, int64_t n_boot, uint64_t seed,
                                             double level);
/** Evaluate one task from arrays: x_* [n_*][dim] float32 embeddings, y_* labels 0/1. A task
 *  whose train, val or test split lacks a class is kept with status CLEF_ERR_INVALID_ARG and
 *  a NaN AUROC (the call still returns CLEF_OK). */
CLEF_API clef_status clef_eval_add_task(clef_eval *ev, const char *name, const float *x_train,
                                        const int32_t *y_train, size_t n_train, const float *x_val,
                                        const int32_t *y_val, size_t n_val, const float *x_test,
                                        const int32_t *y_test, size_t n_test, size_t dim);
/** Number of tasks evaluated or skipped so far. */
CLEF_API int64_t clef_eval_n_tasks(const clef_eval *ev);
/** Name of task i into buf (NUL-terminated); *needed = bytes including the NUL. */
CLEF_API clef_status clef_eval_task_name(clef_eval *ev, int64_t i, char *buf, size_t cap,
                                         size_t *needed);
/** Result of task i: status (CLEF_OK or why it was skipped), split sizes, test AUROC, its CI
 *  and the chosen C. Any out-pointer may be NULL. */
CLEF_API clef_status clef_eval_task_result(clef_eval *ev, int64_t i, int32_t *status,
                                           int64_t *n_train, int64_t *n_val, int64_t *n_test,
                                           double *auroc, double *ci_lo, double *ci_hi, double *c);
/** Test-split scores of task i: the chosen probe's probabilities of class 1 for the task's
 *  test sessions, in the order they were given (session-id order for clef_eval_run_store(), as
 *  clef_store_task_data()), into prob, and their labels (0/1) into labels; n_test values each
 *  (either output may be NULL, not both). *needed (may be NULL) = n_test. For ROC curves and
 *  per-session predictions. CLEF_ERR_NOT_FOUND for a skipped task, CLEF_ERR_BUFFER_TOO_SMALL
 *  if cap < n_test. */
CLEF_API clef_status clef_eval_task_scores(clef_eval *ev, int64_t i, double *prob, int32_t *labels,
                                           size_t cap, size_t *needed);
/** Balance of task i's design (clef_store_task_balance()): the standardized mean difference of
 *  age and of sex between its positives and negatives; NaN for tasks added from arrays or
 *  without it. Any out-pointer may be NULL. */
CLEF_API clef_status clef_eval_task_balance(clef_eval *ev, int64_t i, double *smd_age,
                                            double *smd_sex);
/** Mean test AUROC over the evaluated tasks; *n_evaluated counts them (may be NULL). */
CLEF_API clef_status clef_eval_mean_auroc(clef_eval *ev, double *out, int64_t *n_evaluated);
/** Mean test AUROC over the evaluated tasks whose names start with prefix (NULL or "": all;
 *  e.g. "feat_") with a percentile bootstrap CI at ev's settings (clef_eval_set_bootstrap()):
 *  resample b draws every task's test sessions with replacement (a draw that lacks a class is
 *  drawn again) and averages the tasks' AUROCs (docs/evaluation.md). *n_tasks (may be NULL)
 *  counts the tasks; CLEF_ERR_NOT_FOUND if there are none. Errors on ev. */
CLEF_API clef_status clef_eval_mean_ci(clef_eval *ev, const char *prefix, double *mean, double *lo,
                                       double *hi, int64_t *n_tasks);
/** Paired comparison of two evaluations of the same sessions (two embeddings of one store):
 *  *diff = mean test AUROC of ev minus that of base over the tasks evaluated in both (matched
 *  by name, names starting with prefix), with a percentile bootstrap CI whose resamples draw
 *  the same test sessions for both (ev's settings), so the sessions' own difficulty cancels.
 *  CLEF_ERR_INVALID_ARG naming a task whose test rows differ (count or labels);
 *  CLEF_ERR_NOT_FOUND if no task is in both. Errors on ev. */
CLEF_API clef_status clef_eval_compare(clef_eval *ev, const clef_eval *base, const char *prefix,
                                       double *diff, double *lo, double *hi, int64_t *n_tasks);

/* ---- evaluation over a store ---- */

/** Evaluate every task of a store (sorted by name) on the sessions' artifacts of the given
 *  kind (clef_artifact_kind, float32) and model hash; splits from the store. */
CLEF_API clef_status clef_eval_run_store(clef_eval *ev, clef_store *s, int32_t kind,
                                         const char *model_hash, clef_eval_progress_fn progress,
                                         void *user);

/** Model hash under which the band-power embedding is stored ("bandpower-v1"). */
CLEF_API const char *clef_bandpower_model_hash(void);
/** Name of the store job that computes it ("embed:bandpower"). */
CLEF_API const char *clef_bandpower_job_name(void);
/** Compute the band-power embedding of every session of a store as a resumable job: each
 *  session is claimed, read (clef_recording_read_canonical(), 19 channels, 200 Hz, first
 *  20 min), embedded (clef_bandpower_embed()) and committed with its done state in one
 *  transaction, with its canonical channel map. Claims older than stale_s seconds are first
 *  returned to pending (0 after a killed single-worker run; < 0: none, when other workers may
 *  be running). A session whose file cannot be read is marked failed with the reason and the
 *  job goes on. max_items > 0 stops after that many items; *n_processed (may be NULL) counts
 *  the items this call finished. */
CLEF_API clef_status clef_bandpower_job_run(clef_ctx *ctx, clef_store *s, double stale_s,
                                            int64_t max_items, int64_t *n_processed,
                                            clef_eval_progress_fn progress, void *user);

/* (end of section) */

/* ------------------------------------------------------------------------------------------ */
/* store: SQLite cohort store, importers, resumable jobs                       (lib/store)    */
/* ------------------------------------------------------------------------------------------ */

/* (clef_store: declared before the tokenizer trainer, which reads stores) */

/** Tables counted by clef_store_count(). Pinned, only appended. */
enum clef_store_table {
    CLEF_STORE_PATIENTS = 1,
    CLEF_STORE_SESSIONS = 2,
    CLEF_STORE_RECORDING_FILES = 3,
    CLEF_STORE_CHANNEL_MAPS = 4,
    CLEF_STORE_REPORTS = 5,
    CLEF_STORE_EHR_EVENTS = 6,
    CLEF_STORE_TASKS = 7,
    CLEF_STORE_LABELS = 8,
    CLEF_STORE_SPLITS = 9,
    CLEF_STORE_ARTIFACTS = 10,
    CLEF_STORE_JOBS = 11
};

/** Kinds of derived artifacts kept per session (blobs keyed by session, kind and model hash). */
enum clef_artifact_kind {
    CLEF_ARTIFACT_SPECTROGRAM = 1, /**< float32 [19 x 128 x T] */
    CLEF_ARTIFACT_TOKENS = 2,      /**< uint16 token ids */
    CLEF_ARTIFACT_EMBEDDING = 3    /**< float32 vector */
};

/** Patient-level splits. */
enum clef_split { CLEF_SPLIT_TRAIN = 1, CLEF_SPLIT_VAL = 2, CLEF_SPLIT_TEST = 3 };

/** States of a job item. */
enum clef_job_state {
    CLEF_JOB_PENDING = 0, /**< not claimed yet (or requeued) */
    CLEF_JOB_CLAIMED = 1, /**< claimed by a worker that has not finished it */
    CLEF_JOB_DONE = 2,    /**< result committed */
    CLEF_JOB_FAILED = 3   /**< the worker reported a failure */
};

/** Schema version (PRAGMA user_version) this library creates and migrates stores to. */
CLEF_API int32_t clef_store_schema_version(void);
/** Open (creating if needed) the store file at path and migrate it forward to the current
 *  schema. CLEF_ERR_UNSUPPORTED if the file's schema is newer than this library's. */
CLEF_API clef_status clef_store_open(clef_store **out, clef_ctx *ctx, const char *path);
/** Close the connection. NULL-safe. */
CLEF_API void clef_store_free(clef_store *s);
/** Last error on the store, "" if none. Valid until the next call on the handle. */
CLEF_API const char *clef_store_errmsg(const clef_store *s);
/** Status of the last error on the handle, CLEF_OK if none. */
CLEF_API clef_status clef_store_errcode(const clef_store *s);

/** Import a cohort directory (docs/COHORT-FORMAT.md: manifest.csv, events.csv, tasks.csv,
 *  splits.csv, optional reports/<session>.txt and fhir/<subject>.xml) in one transaction.
 *  Idempotent: a repeated import changes nothing (*rows_changed = 0). On error nothing is
 *  written and the message names the file, line and column. rows_changed and progress may
 *  be NULL. */
CLEF_API clef_status clef_store_import_cohort(clef_store *s, const char *dir, int64_t *rows_changed,
                                              clef_store_progress_fn progress, void *user);
/** Flags of clef_store_import_cohort_flags. */
enum clef_store_import_flag {
    /** Quarantine mode: a report or FHIR file that cannot be read or parsed is skipped (none of
     *  its rows kept), recorded with its reason (clef_store_skipped_file), and the rest is
     *  imported. The four CSV files are still all-or-nothing. */
    CLEF_STORE_IMPORT_SKIP_BAD = 1
};
/** clef_store_import_cohort with flags (clef_store_import_flag; 0 = all-or-nothing).
 *  *n_skipped = files this import skipped (may be NULL). A file imported cleanly loses its
 *  earlier quarantine record, so a rerun after fixing a file imports just that file. */
CLEF_API clef_status clef_store_import_cohort_flags(clef_store *s, const char *dir, uint32_t flags,
                                                    int64_t *rows_changed, int64_t *n_skipped,
                                                    clef_store_progress_fn progress, void *user);
/** Quarantined file at index (0-based, sorted by path) as "relative/path: reason" into buf
 *  (NUL-terminated); *needed = bytes including the NUL. CLEF_ERR_RANGE past the last one. */
CLEF_API clef_status clef_store_skipped_file(clef_store *s, int64_t index, char *buf, size_t cap,
                                             size_t *needed);
/** Number of rows of a table (a clef_store_table). */
CLEF_API clef_status clef_store_count(clef_store *s, int32_t table, int64_t *out);
/** Name of the task at index (0-based, tasks sorted by name) into buf (NUL-terminated);
 *  *needed = bytes including the NUL. CLEF_ERR_RANGE past the last task. */
CLEF_API clef_status clef_store_task_name(clef_store *s, int64_t index, char *buf, size_t cap,
                                          size_t *needed);
/** Absolute path of a session's recording file into buf (NUL-terminated). */
CLEF_API clef_status clef_store_recording_path(clef_store *s, const char *session_id, char *buf,
                                               size_t cap, size_t *needed);
/** A session's report text (as imported, not de-identified: pass it through
 *  clef_report_summarize() before it is shown or stored elsewhere) into buf (NUL-terminated);
 *  *needed = bytes including the NUL. CLEF_ERR_NOT_FOUND when the session has no report. */
CLEF_API clef_status clef_store_report_text(clef_store *s, const char *session_id, char *buf,
                                            size_t cap, size_t *needed);
/** What the EHR held of a session's patient when it was recorded, one fact per line:
 *  "age <years>", "sex <F|M|U>", "race <text>", then the distinct diagnosis (ICD10*) and
 *  medication (ATC/) codes dated at or before the session's start, sorted (e.g.
 *  "ICD10CM/G40.309", "ATC/N03AX14"). CLEF_ERR_NOT_FOUND for an unknown session. */
CLEF_API clef_status clef_store_session_ehr(clef_store *s, const char *session_id, char *buf,
                                            size_t cap, size_t *needed);
/** Number of sessions whose patient is in split (a clef_split). */
CLEF_API clef_status clef_store_split_count(clef_store *s, int32_t split, int64_t *out);
/** Session id at index (0-based, in session-id order) among the sessions whose patient is in
 *  split (a clef_split), into buf (NUL-terminated); *needed = bytes including the NUL.
 *  CLEF_ERR_RANGE past the last session, CLEF_ERR_INVALID_ARG for an unknown split. */
CLEF_API clef_status clef_store_split_session(clef_store *s, int32_t split, int64_t index,
                                              char *buf, size_t cap, size_t *needed);
/** Balance of a task's design over all splits: the standardized mean difference, between its
 *  positives (label 1) and matched negatives (label 0), of age (the session's) and of sex
 *  (female 0/1): |mean1 - mean0| / sqrt((var1 + var0) / 2) with sample variances. NaN when a
 *  side has fewer than 2 sessions. n_pos, n_neg (may be NULL) receive the counts.
 *  CLEF_ERR_NOT_FOUND for a task without labelled sessions. A probe on a task with an SMD of
 *  0.1 or more may partly learn age or sex (docs/evaluation.md). */
CLEF_API clef_status clef_store_task_balance(clef_store *s, const char *task, double *smd_age,
                                             double *smd_sex, int64_t *n_pos, int64_t *n_neg);
/** A session's label on a task into *label: 1 positive, 0 (matched) negative, -1 excluded.
 *  CLEF_ERR_NOT_FOUND when the task does not list the session (or either is unknown). */
CLEF_API clef_status clef_store_session_label(clef_store *s, const char *session_id,
                                              const char *task, int32_t *label);
/** The labelled (0/1) sessions of a task in a split (clef_split), ordered by session id, with
 *  their float32 artifact of the given kind and model: x is [n][dim] row-major, y [n].
 *  Sessions labelled -1 and sessions of a patient without a split are not included.
 *  *n_out and *dim_out are always set; CLEF_ERR_BUFFER_TOO_SMALL if x_cap < n*dim or
 *  y_cap < n (pass NULL, 0 to query). CLEF_ERR_NOT_FOUND if a labelled session has no such
 *  artifact, CLEF_ERR_SHAPE if the artifacts differ in length. */
CLEF_API clef_status clef_store_task_data(clef_store *s, const char *task, int32_t split,
                                          int32_t kind, const char *model_hash, float *x,
                                          size_t x_cap, int32_t *y, size_t y_cap, int64_t *n_out,
                                          int64_t *dim_out);

/** Record how canonical channel `channel` of a session was obtained: source_label is the
 *  file's label ("" when missing), status one of "present", "aliased", "rereferenced",
 *  "zero_filled". Insert or replace. */
CLEF_API clef_status clef_store_channel_map_put(clef_store *s, const char *session_id,
                                                const char *channel, const char *source_label,
                                                const char *status);
/** Store (insert or replace) a session's artifact blob. */
CLEF_API clef_status clef_store_artifact_put(clef_store *s, const char *session_id, int32_t kind,
                                             const char *model_hash, const void *data,
                                             size_t n_bytes);
/** Copy a session's artifact into buf; *needed = its size in bytes. CLEF_ERR_NOT_FOUND if
 *  absent, CLEF_ERR_BUFFER_TOO_SMALL if cap < size. */
CLEF_API clef_status clef_store_artifact_get(clef_store *s, const char *session_id, int32_t kind,
                                             const char *model_hash, void *buf, size_t cap,
                                             size_t *needed);

/** Add one item to a job (no-op if present). Jobs are named by the caller, e.g.
 *  "embed:bandpower". */
CLEF_API clef_status clef_store_job_add_item(clef_store *s, const char *job, const char *item);
/** Add every session of the store as an item of the job; *n_added counts the new ones. */
CLEF_API clef_status clef_store_job_add_sessions(clef_store *s, const char *job, int64_t *n_added);
/** Claim the next pending item (by item order) in one short transaction: *claimed = 1 and
 *  the item name in buf, or *claimed = 0 when no item is pending. */
CLEF_API clef_status clef_store_job_claim(clef_store *s, const char *job, char *buf, size_t cap,
                                          size_t *needed, int32_t *claimed);
/** Commit an item's result and its done state in one transaction. kind 0 stores no result;
 *  otherwise the item must be a session id and data becomes its artifact (kind, model_hash).
 *  CLEF_ERR_STATE if this handle does not hold the item's claim. */
CLEF_API clef_status clef_store_job_complete(clef_store *s, const char *job, const char *item,
                                             int32_t kind, const char *model_hash, const void *data,
                                             size_t n_bytes);
/** Mark a claimed item failed with a one-line message. */
CLEF_API clef_status clef_store_job_fail(clef_store *s, const char *job, const char *item,
                                         const char *message);
/** Return claims older than older_than_s seconds (0: all) to pending, e.g. those of a killed
 *  worker, and failed items too if include_failed. Done items are never touched. */
CLEF_API clef_status clef_store_job_requeue(clef_store *s, const char *job, double older_than_s,
                                            int32_t include_failed, int64_t *n_requeued);
/** Number of items of a job in a state (clef_job_state), or of all states for -1. */
CLEF_API clef_status clef_store_job_count(clef_store *s, const char *job, int32_t state,
                                          int64_t *out);

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
    /* 704: cohort.n_threads, removed in ABI 1 (the clef_session's threads) */
    CLEF_P_COHORT_FRAC_MISSING = 705, /**< f64 0-1: sessions with 1-2 missing channels */
    CLEF_P_COHORT_FRAC_MV = 706,      /**< f64 0-1: sessions stored in mV instead of uV */
    CLEF_P_COHORT_FRAC_BDF = 707,     /**< f64 0-1: sessions stored as BDF+ instead of EDF+ */
    CLEF_P_COHORT_FRAC_ARTIFACT =
        708 /**< f64 0-1: rate of muscle, line-noise, pop, flat artifacts */
};

/** Generate a synthetic clinical cohort with known ground truth into out_dir (created if
 *  missing; its parent must exist), in the export format of docs/COHORT-FORMAT.md: EDF+/BDF+
 *  recordings, reports, FHIR R4 bundles, MEDS events, tasks, splits, truth, cohort.json and,
 *  written last, manifest.csv. Every file is written to a temporary name and renamed when
 *  complete; an existing manifest.csv is removed first, so a cohort without manifest.csv is
 *  incomplete. params: a CLEF_PARAMS_COHORT set or NULL for the defaults. Deterministic: the
 *  same parameters give byte-identical files, whatever the session's thread count. With more
 *  than one thread the ctx allocator hooks must be thread-safe. progress may be NULL. Errors
 *  are recorded on the session. */
CLEF_API clef_status clef_cohort_generate(clef_session *s, const clef_params *params,
                                          const char *out_dir, clef_cohort_progress_fn progress,
                                          void *user);
/** Number of binary tasks a generated cohort defines (tasks.csv). */
CLEF_API int64_t clef_cohort_n_tasks(void);
/** Name of task i (0 <= i < clef_cohort_n_tasks()), e.g. "med_benzodiazepine"; NULL if out of
 *  range. Static string. */
CLEF_API const char *clef_cohort_task_name(int64_t i);

/* (end of section) */

/* ==== Reports: de-identification, sections, findings summary (docs/reports.md) ==== */

/** Status of one finding in a report (clef_report_summarize()). */
enum clef_report_finding_status {
    CLEF_FINDING_NOT_MENTIONED = 0, /**< the report does not mention it */
    CLEF_FINDING_PRESENT = 1,       /**< at least one affirmed mention */
    CLEF_FINDING_NEGATED = 2,       /**< only negated mentions ("no focal slowing") */
    CLEF_FINDING_UNCERTAIN = 3      /**< hedged mentions ("possible sharp waves"), none affirmed */
};
/** Number of findings of the lexicon: the synthetic cohort's truth.csv findings, same order. */
CLEF_API int32_t clef_report_n_findings(void);
/** Name of finding i (e.g. "focal_slowing", as in truth.csv); NULL if out of range. Static. */
CLEF_API const char *clef_report_finding_name(int32_t i);
/** Replace the protected health information of a report by tags: names ([NAME]), record and
 *  accession numbers ([ID]), dates and times ([DATE]), phone numbers ([PHONE]), street
 *  addresses ([ADDRESS]), e-mail addresses ([EMAIL]) and ages over 89 ([AGE 90+]). text: len
 *  bytes (UTF-8, need not be NUL-terminated). Writes the NUL-terminated result to out (cap
 *  bytes); *needed (may be NULL) = its size including the NUL; CLEF_ERR_BUFFER_TOO_SMALL when
 *  cap is less (out may be NULL then). No part of the text ever reaches the log or an error
 *  message. */
CLEF_API clef_status clef_report_deidentify(clef_ctx *ctx, const char *text, size_t len, char *out,
                                            size_t cap, size_t *needed);
/** The body of section name (case-insensitive, e.g. "IMPRESSION"; aliases: FINDINGS and
 *  DESCRIPTION OF THE RECORD = DESCRIPTION, INTERPRETATION = IMPRESSION) as byte offsets
 *  [*begin, *end) into text; CLEF_ERR_NOT_FOUND if the report has no such section. */
CLEF_API clef_status clef_report_section(clef_ctx *ctx, const char *text, size_t len,
                                         const char *name, size_t *begin, size_t *end);
/** An external summarizer (e.g. a language model) with the built-in one's contract: it gets
 *  the de-identified report only, writes a NUL-terminated summary into summary (cap bytes) and
 *  one enum clef_report_finding_status per finding into status[n_findings] (prefilled with
 *  CLEF_FINDING_NOT_MENTIONED). Return CLEF_OK, or an error status to fail the call. */
typedef clef_status (*clef_report_summarizer_fn)(const char *deid_text, size_t len, char *summary,
                                                 size_t cap, int32_t *status, int32_t n_findings,
                                                 void *user);
/** Summarize a report: de-identify it, then run fn (NULL: the built-in extractive summarizer:
 *  the sentences of the electrographic sections that mention a finding, with NegEx-style
 *  negation and uncertainty scopes). The summary is de-identified again before it is
 *  returned, whoever wrote it. Writes the NUL-terminated summary to summary (cap bytes;
 *  *needed as clef_report_deidentify(); CLEF_ERR_BUFFER_TOO_SMALL) and the statuses to
 *  status[n_status] (n_status >= clef_report_n_findings()); status is filled even when the
 *  summary buffer is too small. */
CLEF_API clef_status clef_report_summarize(clef_ctx *ctx, const char *text, size_t len,
                                           clef_report_summarizer_fn fn, void *user, char *summary,
                                           size_t cap, size_t *needed, int32_t *status,
                                           int32_t n_status);

/* ------------------------------------------------------------------------------------------ */
/* text tower: frozen pretrained sentence encoder (docs/text-tower.md)       (lib/clinical)   */
/* ------------------------------------------------------------------------------------------ */

/** A BERT-family sentence encoder (default all-MiniLM-L6-v2) with its WordPiece vocabulary:
 *  uncased tokenization, the encoder, mean pooling over the tokens and L2 normalization, as
 *  sentence-transformers. Read-only after loading: usable from several threads at once; each
 *  embed call takes its own clef_session. */
typedef struct clef_text_encoder clef_text_encoder;

/** Load a BERT encoder from a safetensors file (Hugging Face BertModel tensor names, with or
 *  without a "bert." prefix; width, layers, MLP width and vocabulary size read from the tensor
 *  shapes) and its vocab.txt (one token per line, id = line number; [UNK], [CLS] and [SEP]
 *  required). n_heads: attention heads (0: 12, as all-MiniLM-L6-v2 and BERT-base). Texts are
 *  cut to 256 tokens ([CLS] and [SEP] included), or the model's position count if smaller.
 *  Errors on ctx: CLEF_ERR_NOT_FOUND (a file or tensor), CLEF_ERR_SHAPE, CLEF_ERR_FORMAT (the
 *  vocabulary, or its size differs from the word embeddings'). */
CLEF_API clef_status clef_text_encoder_load(clef_text_encoder **out, clef_ctx *ctx,
                                            const char *weights_path, const char *vocab_path,
                                            int32_t n_heads);
/** NULL-safe. */
CLEF_API void clef_text_encoder_free(clef_text_encoder *te);
/** Last error of te (empty string when none); the one error rule applies. */
CLEF_API const char *clef_text_encoder_errmsg(const clef_text_encoder *te);
CLEF_API clef_status clef_text_encoder_errcode(const clef_text_encoder *te);
/** Embedding width (384 for all-MiniLM-L6-v2); 0 for NULL. */
CLEF_API int64_t clef_text_encoder_dim(const clef_text_encoder *te);
/** Most tokens of one text, [CLS] and [SEP] included (256); 0 for NULL. */
CLEF_API int32_t clef_text_encoder_max_tokens(const clef_text_encoder *te);
/** Token ids of NUL-terminated UTF-8 text: [CLS] wordpieces [SEP], truncated to
 *  clef_text_encoder_max_tokens(). *n = the count; CLEF_ERR_BUFFER_TOO_SMALL when cap < *n
 *  (nothing written). Errors on te. */
CLEF_API clef_status clef_text_encoder_tokenize(clef_text_encoder *te, const char *text,
                                                int32_t *ids, size_t cap, size_t *n);
/** The unit-norm embedding of NUL-terminated UTF-8 text into out (cap floats); *needed =
 *  clef_text_encoder_dim() (may be NULL); CLEF_ERR_BUFFER_TOO_SMALL when cap is smaller.
 *  Errors on the session. */
CLEF_API clef_status clef_text_encoder_embed(const clef_text_encoder *te, clef_session *s,
                                             const char *text, float *out, size_t cap,
                                             size_t *needed);

/** Arithmetic of the text encoder's linear layers. Pinned. */
enum clef_precision {
    CLEF_PRECISION_F32 = 0, /**< float32 throughout (the default; parity with PyTorch) */
    CLEF_PRECISION_BF16 = 1 /**< inputs and weights of the linear layers rounded to bfloat16,
                                 float32 sums (AVX-512 BF16); about 2x faster, embeddings within
                                 cosine 0.9999 of float32 (docs/text-tower.md "BF16 mode") */
};
/** Choose te's precision. BF16 packs a bfloat16 copy of the linear weights (about 2 bytes per
 *  parameter of its layers); F32 frees it. Call it before sharing te with other threads, not
 *  while another thread embeds with it. CLEF_ERR_UNSUPPORTED when the CPU lacks AVX-512 BF16
 *  (te unchanged), CLEF_ERR_INVALID_ARG for another value, CLEF_ERR_NOMEM. Errors on te. */
CLEF_API clef_status clef_text_encoder_set_precision(clef_text_encoder *te, int32_t precision);
/** te's precision (clef_precision); CLEF_PRECISION_F32 for NULL. */
CLEF_API int32_t clef_text_encoder_precision(const clef_text_encoder *te);

/* (end of section) */

/* ------------------------------------------------------------------------------------------ */
/* clinical aligner: EEG, reports and EHR in one space; zero-shot (docs/aligner.md) (lib/clinical)
 */
/* ------------------------------------------------------------------------------------------ */

/** The second stage of CLEF: an EEG tower over the session encoder's embeddings, a report tower
 *  over a frozen text encoder's token states (clef_text_encoder) and an EHR tower over a
 *  patient's codes, trained so that a session lies near its own report and record (symmetric
 *  InfoNCE). Immutable after loading: usable from several threads at once; each compute call
 *  takes its own clef_session. */
typedef struct clef_aligner clef_aligner;
/** Contrastive training of an aligner (docs/aligner.md "Training"). One thread at a time. */
typedef struct clef_aligner_trainer clef_aligner_trainer;

/** Keys of CLEF_PARAMS_ALIGN sets (names "align.*"; docs/aligner.md). */
enum clef_param_key_align {
    CLEF_P_ALIGN_DIM = 500,               /**< i64, default 512: shared space width */
    CLEF_P_ALIGN_WIDTH = 501,             /**< i64, default 128: report and EHR tower width */
    CLEF_P_ALIGN_LAYERS = 502,            /**< i64, default 1: blocks per token tower */
    CLEF_P_ALIGN_HEADS = 503,             /**< i64, default 4: attention heads */
    CLEF_P_ALIGN_EEG_HIDDEN = 504,        /**< i64, default 512: EEG MLP hidden width */
    CLEF_P_ALIGN_MAX_TEXT = 505,          /**< i64, default 256: report tokens kept */
    CLEF_P_ALIGN_MAX_ICD = 506,           /**< i64, default 30: diagnosis codes kept */
    CLEF_P_ALIGN_MAX_ATC = 507,           /**< i64, default 50: medication codes kept */
    CLEF_P_ALIGN_TEXT_SENTENCES = 508,    /**< i64, default 1: each report sentence through
                                               the text encoder on its own (0: whole text) */
    CLEF_P_ALIGN_BATCH = 520,             /**< i64, default 64: sessions per step */
    CLEF_P_ALIGN_STEPS = 521,             /**< i64, default 600: steps to train to */
    CLEF_P_ALIGN_LR = 522,                /**< f64, default 5e-4: peak AdamW learning rate */
    CLEF_P_ALIGN_LR_MIN_FRAC = 523,       /**< f64, default 0.1: cosine decay to lr x this */
    CLEF_P_ALIGN_WARMUP_FRAC = 524,       /**< f64, default 0.05: linear warmup share */
    CLEF_P_ALIGN_WEIGHT_DECAY = 525,      /**< f64, default 0.05: AdamW weight decay */
    CLEF_P_ALIGN_GRAD_CLIP = 526,         /**< f64, default 1: gradient-norm clip (0: none) */
    CLEF_P_ALIGN_TEMPERATURE = 527,       /**< f64, default 0.07: InfoNCE temperature */
    CLEF_P_ALIGN_LEARN_TEMPERATURE = 528, /**< i64, default 0: 1 learns it (CLIP) */
    CLEF_P_ALIGN_REPORT_WEIGHT = 529,     /**< f64, default 1: EEG-report term weight */
    CLEF_P_ALIGN_EHR_WEIGHT = 530,        /**< f64, default 1: EEG-EHR term weight */
    CLEF_P_ALIGN_SEED = 531,              /**< i64, default 1: weights and batches */
    CLEF_P_ALIGN_CHECKPOINT_EVERY = 532,  /**< i64, default 200: steps between checkpoints */
    CLEF_P_ALIGN_DROP_WORDS = 533,        /**< str, default "": phrases blanked out of every
                                               report summary (held-out concept checks) */
    CLEF_P_ALIGN_SENTENCE_DROPOUT = 534,  /**< f64, default 0.5: chance that a training report
                                               enters a step as a random subset of its
                                               sentences (with TEXT_SENTENCES) */
    CLEF_P_ALIGN_RECON_WEIGHT = 535,      /**< f64, default 1: with a fine-tuned encoder
                                               (clef_aligner_trainer_finetune()), the weight of
                                               its masked-token loss beside the InfoNCE terms */
    CLEF_P_ALIGN_ENCODER_LR = 536         /**< f64, default 1e-4: the fine-tuned encoder's peak
                                               learning rate (the aligner's schedule) */
};

/** Training progress after each step (1-based) of total: the step's report and EHR InfoNCE
 *  losses and in-batch EEG-to-report and EEG-to-EHR top-1 retrieval accuracies (NaN for a term
 *  the batch could not form). Return non-zero to stop (CLEF_ERR_CANCELLED). */
typedef int32_t (*clef_aligner_progress_fn)(int64_t step, int64_t total, double loss_report,
                                            double loss_ehr, double acc_report, double acc_ehr,
                                            void *user);

/** All-gather hook for data-parallel alignment: every rank passes n floats (mine) and receives
 *  all ranks' blocks in rank order into all (world x n floats); clef_dist_allgather() of
 *  libclef_dist has this contract. Return CLEF_OK or an error status. */
typedef clef_status (*clef_gather_fn)(const float *mine, size_t n, float *all, void *user);

/** Load an aligner written by clef_aligner_save() (or a trainer checkpoint); path NULL: the
 *  default model (clef_default_model_path()). CLEF_ERR_NOT_FOUND
 *  for a missing tensor or key, CLEF_ERR_FORMAT for bad metadata, CLEF_ERR_SHAPE for a tensor
 *  of the wrong shape. Errors go to ctx. */
CLEF_API clef_status clef_aligner_load(clef_aligner **out, clef_ctx *ctx, const char *path);
/** Write the aligner's weights (float32), architecture and EHR vocabulary atomically. Errors go
 *  to ctx. */
CLEF_API clef_status clef_aligner_save(const clef_aligner *al, clef_ctx *ctx, const char *path);
/** NULL-safe. */
CLEF_API void clef_aligner_free(clef_aligner *al);
/** SHA-256 (64 hex digits + NUL) of the encoder weights file whose embeddings the aligner was
 *  trained on (recorded by clef_aligner_trainer_add_store()), or "" when unknown; *needed (may
 *  be NULL) = its size with the NUL. CLEF_ERR_BUFFER_TOO_SMALL when cap is less. */
CLEF_API clef_status clef_aligner_encoder_sha256(const clef_aligner *al, char *buf, size_t cap,
                                                 size_t *needed);
/** Width of the session embeddings it takes (its encoder's embed_dim) and of the shared space.
 *  Either pointer may be NULL. */
CLEF_API clef_status clef_aligner_dims(const clef_aligner *al, int64_t *eeg_dim, int64_t *dim);
/** Session embeddings emb [n][eeg_dim] (clef_encoder_embed(), or the store's embedding
 *  artifacts) into the shared space: out [n][dim] unit rows (cap floats). CLEF_ERR_SHAPE for
 *  another eeg_dim, CLEF_ERR_BUFFER_TOO_SMALL when cap < n * dim. Errors on the session. */
CLEF_API clef_status clef_aligner_embed_eeg(const clef_aligner *al, clef_session *s,
                                            const float *emb, int64_t n, int64_t eeg_dim,
                                            float *out, size_t cap);
/** NUL-terminated text into the shared space (out: dim floats, unit norm) through te (the text
 *  encoder the aligner was trained with) and the report tower. summarize nonzero: the text is a
 *  whole report, summarized first as in training (clef_report_summarize()); 0: a prompt or
 *  summary used as it is. Errors on the session. */
CLEF_API clef_status clef_aligner_embed_text(const clef_aligner *al, clef_session *s,
                                             const clef_text_encoder *te, const char *text,
                                             int32_t summarize, float *out, size_t cap);
/** An EHR record in clef_store_session_ehr()'s format (one fact per line) into the shared
 *  space (dim floats); codes the training data never held map to the unknown token.
 *  CLEF_ERR_NOT_FOUND when no line is a fact. Errors on the session. */
CLEF_API clef_status clef_aligner_embed_ehr(const clef_aligner *al, clef_session *s,
                                            const char *ehr, float *out, size_t cap);
/** Zero-shot: the cosine between each session's aligned embedding (emb [n][eeg_dim]) and the
 *  prompt's (e.g. "diffuse beta activity"), into scores [n] (cap floats). Errors on the
 *  session. */
CLEF_API clef_status clef_aligner_score_text(const clef_aligner *al, clef_session *s,
                                             const clef_text_encoder *te, const float *emb,
                                             int64_t n, int64_t eeg_dim, const char *prompt,
                                             float *scores, size_t cap);

/** Aligned embeddings of every session of a store (train, val and test splits): its embedding
 *  artifact under encoder_hash through the EEG tower, stored (insert or replace) as a
 *  CLEF_ARTIFACT_EMBEDDING artifact under aligner_hash (clef_encoder_model_hash() of the
 *  aligner's file), which clef_eval_run_store() then probes. *n_done (may be NULL) = sessions
 *  written. CLEF_ERR_NOT_FOUND naming the first session without an encoder embedding.
 *  progress (may be NULL) after each session. Errors on the session. */
CLEF_API clef_status clef_aligner_embed_store(const clef_aligner *al, clef_session *s,
                                              clef_store *store, const char *encoder_hash,
                                              const char *aligner_hash, int64_t *n_done,
                                              clef_eval_progress_fn progress, void *user);

/** A trainer with settings p (CLEF_PARAMS_ALIGN, NULL: defaults) on n_threads threads. The
 *  architecture's input widths come from the first session added; the EHR vocabulary and the
 *  embedding standardization from the training sessions, at the first step. Errors go to ctx. */
CLEF_API clef_status clef_aligner_trainer_create(clef_aligner_trainer **out, clef_ctx *ctx,
                                                 const clef_params *p, int32_t n_threads);
/** Resume from a clef_aligner_trainer_save() checkpoint: architecture, vocabulary, weights,
 *  AdamW moments, step and seed from the file, the other settings from p. Continuing (after
 *  adding the same sessions again) gives the same weights as an uninterrupted run. Errors go to
 *  ctx. */
CLEF_API clef_status clef_aligner_trainer_resume(clef_aligner_trainer **out, clef_ctx *ctx,
                                                 const char *path, const clef_params *p,
                                                 int32_t n_threads);
/** NULL-safe. */
CLEF_API void clef_aligner_trainer_free(clef_aligner_trainer *tr);
/** Last error of the trainer, "" if none. */
CLEF_API const char *clef_aligner_trainer_errmsg(const clef_aligner_trainer *tr);
/** Status of the last error on the handle, CLEF_OK if none. */
CLEF_API clef_status clef_aligner_trainer_errcode(const clef_aligner_trainer *tr);
/** Add one session to split (CLEF_SPLIT_TRAIN or CLEF_SPLIT_VAL): its embedding emb
 *  [eeg_dim] (copied), its report (may be NULL: masked out of the report loss; summarized,
 *  with CLEF_P_ALIGN_DROP_WORDS blanked out, and encoded by te now, so te is not retained) and
 *  its EHR record in clef_store_session_ehr()'s format (may be NULL). Errors on the trainer. */
CLEF_API clef_status clef_aligner_trainer_add_session(clef_aligner_trainer *tr,
                                                      const clef_text_encoder *te, const float *emb,
                                                      int64_t eeg_dim, const char *report,
                                                      const char *ehr, int32_t split);
/** Fine-tune a copy of enc during alignment (docs/aligner.md "Joint fine-tuning"): the EEG
 *  tower then reads enc's embedding of each session's tokens, recomputed every step, and the
 *  loss is report + EHR InfoNCE + CLEF_P_ALIGN_RECON_WEIGHT x enc's masked-token loss (its
 *  pretraining objective and settings), back-propagated into enc's weights (AdamW at
 *  CLEF_P_ALIGN_ENCODER_LR on the aligner's schedule). Call before adding sessions; they must
 *  then come from clef_aligner_trainer_add_store(), which reads their tokens too
 *  (clef_aligner_trainer_add_session() gives CLEF_ERR_STATE). Checkpoints write the encoder's
 *  state beside them (PATH.encoder) and resume reads it. With set_dist the encoder's gradient
 *  is all-reduced too, and the batch must be divisible by world (CLEF_ERR_UNSUPPORTED at the
 *  first step otherwise). CLEF_ERR_STATE once sessions were added or a step taken. Errors on
 *  the trainer. */
CLEF_API clef_status clef_aligner_trainer_finetune(clef_aligner_trainer *tr,
                                                   const clef_encoder *enc);
/** The fine-tuned encoder (NULL when not fine-tuning): borrowed, valid until the next step or
 *  clef_aligner_trainer_free(). */
CLEF_API const clef_encoder *clef_aligner_trainer_encoder(const clef_aligner_trainer *tr);
/** Write the fine-tuned encoder (atomically) and record its file's SHA-256 as the encoder of
 *  the aligner being trained, so that clef_aligner_save() and checkpoints name it; embed with
 *  it (clef embed --store) before using the aligner. CLEF_ERR_STATE when not fine-tuning.
 *  Errors on the trainer. */
CLEF_API clef_status clef_aligner_trainer_save_encoder(clef_aligner_trainer *tr, const char *path);
/** Add every session of a store split ("train" or "val") with its embedding artifact under
 *  encoder_hash (clef_encoder_model_hash(); `clef embed --store` makes them), report and EHR
 *  record. CLEF_ERR_NOT_FOUND naming the session when one has no embedding. Errors on the
 *  trainer. */
CLEF_API clef_status clef_aligner_trainer_add_store(clef_aligner_trainer *tr,
                                                    const clef_text_encoder *te, clef_store *store,
                                                    const char *encoder_hash, const char *split);
/** Sessions added to a split (CLEF_SPLIT_TRAIN or CLEF_SPLIT_VAL); -1 for another split. */
CLEF_API int64_t clef_aligner_trainer_sessions(const clef_aligner_trainer *tr, int32_t split);
/** Data-parallel training: this trainer is rank of world ranks. Each step's global batch
 *  (CLEF_P_ALIGN_BATCH sessions, drawn identically on every rank) is shared out by position
 *  (rank, rank + world, ...); every rank embeds its share, gather exchanges the embeddings so
 *  both InfoNCE terms (and their negatives) span the global batch, each rank back-propagates
 *  its own rows and reduce averages the gradients (docs/distributed.md). Every rank must add
 *  the same sessions. world 1 (reduce, gather NULL): one process. The result equals one
 *  process with the same global batch up to float summation order. Errors on the trainer. */
CLEF_API clef_status clef_aligner_trainer_set_dist(clef_aligner_trainer *tr,
                                                   clef_grad_reduce_fn reduce,
                                                   clef_gather_fn gather, void *user, int32_t rank,
                                                   int32_t world);
/** Train until CLEF_P_ALIGN_STEPS steps, each reported to progress (may be NULL), a checkpoint
 *  written to checkpoint_path (NULL: none) every CLEF_P_ALIGN_CHECKPOINT_EVERY steps and at
 *  the end. CLEF_ERR_STATE with fewer than 2 training sessions; CLEF_ERR_CANCELLED when
 *  progress asked to stop (the trainer stays usable). Errors on the trainer. */
CLEF_API clef_status clef_aligner_trainer_run(clef_aligner_trainer *tr, const char *checkpoint_path,
                                              clef_aligner_progress_fn progress, void *user);
/** On the held-out sessions: the report InfoNCE loss over all of them at once, and the share
 *  whose own report ranks first (r_at_1) and in the first ten (r_at_10) among all held-out
 *  reports, EEG to report (chance: 1/n and 10/n). Any pointer may be NULL. CLEF_ERR_STATE with
 *  fewer than 2 held-out sessions with reports. Errors on the trainer. */
CLEF_API clef_status clef_aligner_trainer_validate(clef_aligner_trainer *tr, double *loss,
                                                   double *r_at_1, double *r_at_10);
/** The aligner being trained (NULL before the first step): borrowed, valid until the next step
 *  or clef_aligner_trainer_free(). */
CLEF_API const clef_aligner *clef_aligner_trainer_aligner(const clef_aligner_trainer *tr);
/** Steps taken. */
CLEF_API int64_t clef_aligner_trainer_steps(const clef_aligner_trainer *tr);
/** Write a checkpoint (atomically): weights, AdamW moments, step, seed, architecture and
 *  vocabulary; it also loads as an aligner (clef_aligner_load()). Errors on the trainer. */
CLEF_API clef_status clef_aligner_trainer_save(clef_aligner_trainer *tr, const char *path);

/* (end of section) */

#ifdef __cplusplus
}
#endif

#endif /* CLEF_H */
