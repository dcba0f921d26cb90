/*
 * nn_int.h — libclef internal module 'nn': neural-network core: layers as forward/backward pairs
 * over flat float32 buffers (OpenBLAS sgemm), losses, vector quantizer, AdamW, safetensors weights.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Internal only: other modules use this module through the declarations below, never by
 * reaching into its source files. The module's public API lives in include/clef.h.
 */
#ifndef CLEF_NN_INT_H
#define CLEF_NN_INT_H

#include "../core/core_int.h"

/* ---- weights: safetensors, checkpoints ---- */

/* Reader (safetensors_read.c). struct clef_weights is private to it; the functions below give
 * other files of the module direct access to validated tensors. */

/** One validated tensor of an opened file. data points into the mapping (nbytes bytes). */
typedef struct clefi_st_tensor {
    const char *name;
    int32_t dtype; /* enum clef_dtype */
    int32_t rank;
    int64_t shape[CLEF_WEIGHTS_MAX_RANK];
    size_t numel;
    size_t nbytes;
    const unsigned char *data;
} clefi_st_tensor;

/** Parse a safetensors image already in memory. buf must stay valid while the handle lives;
 *  release (may be NULL) is called on it by clef_weights_free (mapping or owned copy). */
typedef void (*clefi_st_release_fn)(clef_ctx *ctx, void *buf, size_t len);
CLEFI_HIDDEN clef_status clefi_weights_parse(clef_weights **out, clef_ctx *ctx, void *buf,
                                             size_t len, clefi_st_release_fn release);
/** Tensor i (0 <= i < n_tensors) or NULL. */
CLEFI_HIDDEN const clefi_st_tensor *clefi_weights_tensor(const clef_weights *w, size_t i);
/** Index of the tensor called name, or -1 (binary search). */
CLEFI_HIDDEN int64_t clefi_weights_lookup(const clef_weights *w, const char *name);
/** The handle's ctx and error slot, for functions of the module that report on it. */
CLEFI_HIDDEN clef_ctx *clefi_weights_ctx(const clef_weights *w);
CLEFI_HIDDEN clefi_err *clefi_weights_err(clef_weights *w);

/* Element types (safetensors_dtype.c). */
/** The clef_dtype of a safetensors dtype string, or 0. */
CLEFI_HIDDEN int32_t clefi_dtype_parse(const char *name);
/** 1 for F32, F16 and BF16 (the dtypes read as float32). */
CLEFI_HIDDEN int clefi_dtype_is_float(int32_t dtype);
/** Widen n elements of a float dtype (F32/F16/BF16, little-endian bytes) to float32. */
CLEFI_HIDDEN void clefi_dtype_to_f32(int32_t dtype, const void *src, float *dst, size_t n);
/** Narrow n float32 values to dtype (F32/F16/BF16) as little-endian bytes, rounding to nearest
 *  even (NaN stays NaN, overflow becomes infinity). */
CLEFI_HIDDEN void clefi_dtype_from_f32(int32_t dtype, const float *src, void *dst, size_t n);
CLEFI_HIDDEN uint16_t clefi_f32_to_f16(float f);
CLEFI_HIDDEN float clefi_f16_to_f32(uint16_t h);
CLEFI_HIDDEN uint16_t clefi_f32_to_bf16(float f);
CLEFI_HIDDEN float clefi_bf16_to_f32(uint16_t h);
/** Element count of a shape, checked: 0 and *numel set, or 1 on a negative dim or overflow. */
CLEFI_HIDDEN int clefi_shape_numel(const int64_t *shape, int32_t rank, size_t *numel);

/* Writer (safetensors_write.c). */
/** Add a float32 tensor WITHOUT copying: data must stay valid and unchanged until the writer
 *  is freed (checkpoints pass their flat buffers this way). Same checks as add_f32. */
CLEFI_HIDDEN clef_status clefi_weights_writer_add_f32_borrowed(clef_weights_writer *wr,
                                                               const char *name, int32_t dtype,
                                                               const int64_t *shape, int32_t rank,
                                                               const float *data, size_t n);

/* Architecture binding (weights_bind.c).
 *
 * A component describes its parameters as a layout: an ordered list of named tensors with
 * shapes, packed into one flat float32 buffer (llm.c style). Shapes usually depend on
 * hyperparameters read from the file's metadata, so the layout is built at run time, typically
 * from an X-macro list:
 *
 *     #define ENC_BLOCK_TENSORS(X) X("attn.qkv.weight", 2, 3 * d, d) X("attn.qkv.bias", 1, 3 * d)
 *     clefi_layout lay;
 *     clefi_layout_init(&lay, ctx);
 *     for (int l = 0; l < n_layer; l++) {
 *         char name[96];
 *     #define X(suffix, rank, ...)                                                          \
 *         snprintf(name, sizeof name, "enc.blocks.%d." suffix, l);                          \
 *         rc = clefi_layout_add(&lay, name, rank, (const int64_t[]){__VA_ARGS__});
 *         ENC_BLOCK_TENSORS(X)
 *     #undef X
 *     }
 *     float *params = ...lay.total floats...;
 *     rc = clefi_weights_bind(w, &lay, params, lay.total, "enc.", 0, NULL);
 *
 * Each tensor's offset into the flat buffer is lay.t[i].offset (floats). */
typedef struct clefi_layout_entry {
    char *name;
    int32_t rank;
    int64_t shape[CLEF_WEIGHTS_MAX_RANK];
    size_t numel;
    size_t offset; /* in floats, into the flat buffer */
} clefi_layout_entry;

typedef struct clefi_layout {
    clef_ctx *ctx; /* not retained: the layout lives inside a handle that holds the ctx */
    clefi_layout_entry *t;
    size_t n, cap;
    size_t total; /* floats in the flat buffer */
} clefi_layout;

CLEFI_HIDDEN void clefi_layout_init(clefi_layout *lay, clef_ctx *ctx);
CLEFI_HIDDEN void clefi_layout_free(clefi_layout *lay);
/** Append a tensor (name copied) at offset lay->total. CLEF_ERR_INVALID_ARG for a duplicate or
 *  empty name, rank outside [0, CLEF_WEIGHTS_MAX_RANK] or a negative dim; CLEF_ERR_OVERFLOW;
 *  CLEF_ERR_NOMEM. Errors are recorded on lay->ctx. */
CLEFI_HIDDEN clef_status clefi_layout_add(clefi_layout *lay, const char *name, int32_t rank,
                                          const int64_t *shape);
/** Index of the entry called name, or -1. */
CLEFI_HIDDEN int64_t clefi_layout_find(const clefi_layout *lay, const char *name);

/** Bind flag: tensors in scope that the layout does not name are allowed (ignored). */
#define CLEFI_BIND_ALLOW_EXTRA 1u

/** Fill dst (dst_len floats, at least lay->total) from the file: every layout tensor must exist
 *  with the same shape and a float dtype (F16/BF16 widened). Unless CLEFI_BIND_ALLOW_EXTRA,
 *  a file tensor whose name starts with scope (NULL or "": every tensor) and that the layout
 *  does not name is an error. All checks run before the first write: on failure dst is
 *  untouched. Errors name the tensor and both shapes (CLEF_ERR_NOT_FOUND missing,
 *  CLEF_ERR_SHAPE shape, CLEF_ERR_UNSUPPORTED dtype, CLEF_ERR_FORMAT unexpected tensor) and
 *  are recorded on err, or on the weights handle when err is NULL. */
CLEFI_HIDDEN clef_status clefi_weights_bind(clef_weights *w, const clefi_layout *lay, float *dst,
                                            size_t dst_len, const char *scope, uint32_t flags,
                                            clefi_err *err);
/** The two halves of clefi_weights_bind, for loaders that bind several groups of one file
 *  (checkpoints: params, AdamW m and v, EMA). bind_check verifies that every layout tensor,
 *  looked up as prefix + name, exists with the right shape and a float dtype, and sets
 *  seen[i] = 1 for each matched file tensor i (seen: n_tensors bytes, may be NULL).
 *  bind_copy then fills dst and cannot fail. */
CLEFI_HIDDEN clef_status clefi_weights_bind_check(clef_weights *w, const clefi_layout *lay,
                                                  const char *prefix, unsigned char *seen,
                                                  clefi_err *err);
CLEFI_HIDDEN void clefi_weights_bind_copy(const clef_weights *w, const clefi_layout *lay,
                                          const char *prefix, float *dst);
/** Fail (CLEF_ERR_FORMAT, naming the tensor and its shape) on the first tensor in scope not
 *  marked in seen. */
CLEFI_HIDDEN clef_status clefi_weights_check_extra(clef_weights *w, const unsigned char *seen,
                                                   const char *scope, clefi_err *err);
/** Format a shape as "[2, 3]" into buf (always terminated). */
CLEFI_HIDDEN void clefi_shape_str(char *buf, size_t cap, const int64_t *shape, int32_t rank);

/* Typed metadata (weights_bind.c): a decimal integer or real stored as a metadata string.
 * CLEF_ERR_NOT_FOUND if absent, CLEF_ERR_FORMAT if not a complete number in range; recorded on
 * err, or on the handle when err is NULL. */
CLEFI_HIDDEN clef_status clefi_weights_meta_i64(clef_weights *w, const char *key, int64_t *out,
                                                clefi_err *err);
CLEFI_HIDDEN clef_status clefi_weights_meta_f64(clef_weights *w, const char *key, double *out,
                                                clefi_err *err);

/* Checkpoints (checkpoint.c).
 *
 * A checkpoint is a safetensors file with metadata clef.kind = "checkpoint". Tensors: the model
 * parameters under their layout names (so a checkpoint also binds as a weights file), AdamW
 * moments as "optim.m.<name>" and "optim.v.<name>", optional EMA weights as "ema.<name>", all
 * F32 (bit-exact), and the opaque RNG state as the U8 tensor "train.rng". Metadata:
 * clef.ckpt.step, clef.ckpt.data_cursor, clef.ckpt.world_size, clef.ckpt.has_ema ("0"/"1"),
 * clef.ckpt.n_params (layout total), plus the caller's architecture keys. */
typedef struct clefi_ckpt {
    float *params; /* lay->total floats each */
    float *adam_m;
    float *adam_v;
    float *ema;          /* NULL when the run keeps no EMA */
    unsigned char *rng;  /* RNG state bytes (opaque to this module) */
    size_t rng_len;      /* >= 1 */
    int64_t step;        /* >= 0: optimizer steps taken */
    int64_t data_cursor; /* >= 0: position in the (per-rank) data order */
    int32_t world_size;  /* >= 1: ranks that trained */
} clefi_ckpt;

/** Write ck atomically to path. meta_kv holds n_meta key, value pairs (architecture and
 *  spectrogram hyperparameters) written as they are; "clef.kind" and "clef.ckpt.*" keys are
 *  reserved (CLEF_ERR_INVALID_ARG). The buffers are not copied. Errors recorded on err (or the
 *  ctx when err is NULL). */
CLEFI_HIDDEN clef_status clefi_ckpt_save(clef_ctx *ctx, const char *path, const clefi_layout *lay,
                                         const clefi_ckpt *ck, const char *const *meta_kv,
                                         size_t n_meta, clefi_err *err);
/** Resume from an opened checkpoint into ck's buffers (params, adam_m, adam_v: lay->total floats;
 *  ema: the file must hold EMA weights exactly when ck->ema is not NULL; rng: ck->rng_len must
 *  equal the stored length) and set step, data_cursor and world_size. expect_world > 0 requires
 *  the stored world size to equal it (CLEF_ERR_STATE otherwise). Every tensor is checked
 *  (shapes against lay, no unknown tensor) before the first buffer is written: on failure ck is
 *  unchanged. */
CLEFI_HIDDEN clef_status clefi_ckpt_load(clef_weights *w, const clefi_layout *lay, clefi_ckpt *ck,
                                         int32_t expect_world, clefi_err *err);

#endif /* CLEF_NN_INT_H */
