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
 *  model 400-499, clinical 500-599, store 600-699). Experimental keys start at 1000. */
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

/* (end of section) */

/* ------------------------------------------------------------------------------------------ */
/* dsp: DPSS tapers, multitaper spectrogram, spectrogram streaming            (lib/dsp)       */
/* ------------------------------------------------------------------------------------------ */

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

/** An opened weights file: its header, metadata and (memory-mapped) tensor data. Used by one
 *  thread at a time; borrowed strings stay valid until clef_weights_free(). */
typedef struct clef_weights clef_weights;

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

/** Builds a safetensors file in memory and writes it atomically. One thread at a time. */
typedef struct clef_weights_writer clef_weights_writer;

CLEF_API clef_status clef_weights_writer_create(clef_weights_writer **out, clef_ctx *ctx);
/** NULL-safe. */
CLEF_API void clef_weights_writer_free(clef_weights_writer *wr);
/** Last error on the writer, "" if none. */
CLEF_API const char *clef_weights_writer_errmsg(const clef_weights_writer *wr);
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
/* nn: layers, losses, optimizer, training utilities                           (lib/nn)       */
/* ------------------------------------------------------------------------------------------ */

/* (end of section) */

/* ------------------------------------------------------------------------------------------ */
/* model: tokenizer (VQGAN), session encoder                                   (lib/model)    */
/* ------------------------------------------------------------------------------------------ */

/** VQGAN spectrogram tokenizer (docs/tokenizer.md): a session's spectrogram
 *  [channels x frequency x frames] (dB) to grid_f x grid_t token ids (8 x 256 = 2,048 for the
 *  default weights and a 20-minute session) and back. Shared: immutable after creation, usable
 *  from several threads at once; each call takes its own ctx (errors, allocation) and
 *  n_threads. */
typedef struct clef_tokenizer clef_tokenizer;

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
    CLEF_P_TOK_TRAIN_DISC_WEIGHT = 429     /**< f64, default 0.8: adversarial weight factor */
};

/** Load a tokenizer from a safetensors weights file holding the "tok" component. Every
 *  clef.tok.* metadata key and every tensor must be present with the expected shape (F32);
 *  a mismatch fails with CLEF_ERR_FORMAT or CLEF_ERR_SHAPE and a message naming it (on ctx). */
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
 *  fully convolutional, so weights trained on short crops (e.g. 128 x 80 frames, an 8 x 16
 *  grid) serve whole sessions (crop_t 1280, 8 x 256 tokens). Errors go to ctx. */
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
/** Tokens per session: grid_f * grid_t (2,048 by default); 0 if tok is NULL. */
CLEF_API int64_t clef_tokenizer_n_tokens(const clef_tokenizer *tok);
/** Token columns holding real data for a session of n_frames frames: ceil(n_frames /
 *  time_stride), at most grid_t. Columns at or after it cover padding (mask them). */
CLEF_API int64_t clef_tokenizer_valid_columns(const clef_tokenizer *tok, int64_t n_frames);
/** Encode a spectrogram spec [n_channels][n_freq][n_frames] (dB, float32, contiguous) to token
 *  ids [grid_f][grid_t] (row-major, "f,t" order). n_channels and n_freq must match the
 *  tokenizer; n_frames >= 1: shorter sessions are zero-padded (0 dB), longer ones cut to their
 *  first crop_t frames. ids holds ids_cap entries (needs clef_tokenizer_n_tokens()); latents
 *  (may be NULL) receives the encoder output before quantisation [code_dim][grid_f][grid_t]
 *  and must then hold latents_cap >= n_tokens * code_dim floats. *needed (may be NULL) is set
 *  to n_tokens. Errors go to ctx. */
CLEF_API clef_status clef_tokenizer_encode(const clef_tokenizer *tok, clef_ctx *ctx,
                                           const float *spec, int64_t n_channels, int64_t n_freq,
                                           int64_t n_frames, int32_t n_threads, int32_t *ids,
                                           size_t ids_cap, float *latents, size_t latents_cap,
                                           size_t *needed);
/** Tokenizer trainer (ARCHITECTURE.md section 6, stage 1): L1 reconstruction + commitment
 *  loss, EMA codebook updates with dead-code restarts, AdamW on the encoder and decoder, and
 *  from a start step a PatchGAN hinge loss with taming's adaptive weight. The caller feeds
 *  batches of crops. One thread at a time. */
typedef struct clef_tokenizer_trainer clef_tokenizer_trainer;

/** A trainer for a new tokenizer of architecture arch (CLEF_PARAMS_TOKENIZER, NULL: defaults)
 *  with settings train (CLEF_PARAMS_TRAIN, NULL: defaults), weights drawn from seed; it runs
 *  on n_threads threads. Errors go to ctx. */
CLEF_API clef_status clef_tokenizer_trainer_create(clef_tokenizer_trainer **out, clef_ctx *ctx,
                                                   const clef_params *arch,
                                                   const clef_params *train, uint64_t seed,
                                                   int32_t n_threads);
/** Free a trainer (and the tokenizer it trains). NULL-safe. */
CLEF_API void clef_tokenizer_trainer_free(clef_tokenizer_trainer *tr);
/** Last error of the trainer, "" if none. */
CLEF_API const char *clef_tokenizer_trainer_errmsg(const clef_tokenizer_trainer *tr);
/** One optimiser step on n_crops crops [n_crops][n_channels][n_freq][crop_t] (dB), 1 <= n_crops
 *  <= the batch setting. l1_db (may be NULL) gets the batch's mean absolute reconstruction
 *  error in dB, perplexity (may be NULL) the codebook perplexity of its tokens. */
CLEF_API clef_status clef_tokenizer_trainer_step(clef_tokenizer_trainer *tr, const float *crops,
                                                 int64_t n_crops, double *l1_db,
                                                 double *perplexity);
/** The tokenizer being trained: usable with encode/decode/save between steps; borrowed, valid
 *  until the next step or clef_tokenizer_trainer_free(). */
CLEF_API const clef_tokenizer *clef_tokenizer_trainer_tokenizer(const clef_tokenizer_trainer *tr);
/** Steps taken. */
CLEF_API int64_t clef_tokenizer_trainer_steps(const clef_tokenizer_trainer *tr);
/** Write a checkpoint (atomically): weights, EMA codebook statistics, discriminator, AdamW
 *  moments, step and seed, plus the clef.tok.* metadata. Errors on the trainer. */
CLEF_API clef_status clef_tokenizer_trainer_save(clef_tokenizer_trainer *tr, const char *path);
/** Resume training from a checkpoint of clef_tokenizer_trainer_save(): the architecture,
 *  seed, step and discriminator presence come from the file, the other settings from train
 *  (CLEF_PARAMS_TRAIN, NULL: defaults). Continuing gives the same weights as an uninterrupted
 *  run fed the same batches with the same n_threads. Errors go to ctx. */
CLEF_API clef_status clef_tokenizer_trainer_resume(clef_tokenizer_trainer **out, clef_ctx *ctx,
                                                   const char *path, const clef_params *train,
                                                   int32_t n_threads);

/** Decode n_ids = n_tokens token ids (each in [0, codebook_size)) to a spectrogram
 *  out [n_channels][n_freq][crop_t] in dB; out holds out_cap floats, *needed (may be NULL) is
 *  set to the floats required. Errors go to ctx. */
CLEF_API clef_status clef_tokenizer_decode(const clef_tokenizer *tok, clef_ctx *ctx,
                                           const int32_t *ids, size_t n_ids, int32_t n_threads,
                                           float *out, size_t out_cap, size_t *needed);

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

/* (end of section) */

#ifdef __cplusplus
}
#endif

#endif /* CLEF_H */
