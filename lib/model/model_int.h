/*
 * model_int.h — libclef internal module 'model': CLEF models on top of lib/nn: the VQGAN
 * spectrogram tokenizer and the Transformer session encoder, with their trainers.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Internal only: other modules use this module through the declarations below, never by
 * reaching into its source files. The module's public API lives in include/clef.h.
 */
#ifndef CLEF_MODEL_INT_H
#define CLEF_MODEL_INT_H

#include "../core/core_int.h"

/* ---- safetensors reader (tok_safetensors.c) ----
 * A whole-file reader for weights and golden files. It is here because lib/nn's weights
 * reader (issue 7, branch nn-weights) did not exist yet when the tokenizer was written; the
 * tokenizer switches to it once merged. */

enum clefi_st_dtype { CLEFI_ST_F32 = 1, CLEFI_ST_I32 = 2, CLEFI_ST_I64 = 3 };

#define CLEFI_ST_MAX_DIMS 8

typedef struct clefi_st_tensor {
    char *name;
    int32_t dtype; /* clefi_st_dtype */
    int32_t ndim;
    int64_t shape[CLEFI_ST_MAX_DIMS];
    size_t numel;
    const void *data; /* into the file buffer, 4-byte aligned; little-endian */
} clefi_st_tensor;

typedef struct clefi_st_file {
    clef_ctx *ctx;
    void *buf; /* whole file (aligned copy) */
    size_t size;
    clefi_st_tensor *tensors;
    size_t n_tensors;
    char **meta; /* key, value, key, value, ... */
    size_t n_meta;
} clefi_st_file;

/** Read and validate a safetensors file (header JSON, dtypes, shapes, offsets inside the data
 *  section). Errors are recorded on ctx and name the file and field. */
CLEFI_HIDDEN clef_status clefi_st_open(clefi_st_file **out, clef_ctx *ctx, const char *path);
CLEFI_HIDDEN void clefi_st_close(clefi_st_file *f);
/** Tensor by name, or NULL. */
CLEFI_HIDDEN const clefi_st_tensor *clefi_st_find(const clefi_st_file *f, const char *name);
/** __metadata__ value by key, or NULL. */
CLEFI_HIDDEN const char *clefi_st_meta(const clefi_st_file *f, const char *key);

/* ---- convolution-network kernels (tok_ops.c) ----
 * Forward passes over one image [C][H][W] (float32, contiguous). Written for the tokenizer
 * while lib/nn's layers (issue 7, branch nn-layers) were not yet available; they move behind
 * lib/nn/nn_int.h when it provides them. Parallel work runs on a clefi_pool with per-thread
 * scratch sized by clefi_conv_scratch(), so workers never allocate. */

typedef struct clefi_conv {
    const float *w; /* [cout][cin][kh][kw] (PyTorch Conv2d layout) */
    const float *b; /* [cout] */
    int32_t cin, cout, kh, kw, sh, sw, ph, pw;
} clefi_conv;

typedef struct clefi_gnorm {
    const float *g, *b; /* [c] affine */
    int32_t c, groups;
    float eps;
} clefi_gnorm;

/** Shared state of one forward pass: pool and per-thread scratch. */
typedef struct clefi_fwd {
    clefi_pool *pool;
    float *scratch;     /* n_threads * scratch_per floats */
    size_t scratch_per; /* floats per thread */
    size_t block_pos;   /* output positions per GEMM block */
} clefi_fwd;

/* A conv's im2col scratch is cin*kh*kw x (whole output rows of about block_pos positions):
 * at most cin*kh*kw * max(block_pos, wo) floats per thread. */
/** y [cout][ho][wo] = conv(x [cin][h][w]); ho, wo from the PyTorch formula. */
CLEFI_HIDDEN void clefi_conv_forward(clefi_fwd *fw, const clefi_conv *c, const float *x, int32_t h,
                                     int32_t w, float *y);
CLEFI_HIDDEN void clefi_conv_out_size(const clefi_conv *c, int32_t h, int32_t w, int32_t *ho,
                                      int32_t *wo);
/** y = SiLU(GroupNorm(x)) over x [c][hw]; y may equal x. */
CLEFI_HIDDEN void clefi_gnorm_silu_forward(clefi_fwd *fw, const clefi_gnorm *g, const float *x,
                                           size_t hw, float *y);
/** y [c][2h][w] = nearest x [c][h][w] doubled along h (F.interpolate scale (2,1)). */
CLEFI_HIDDEN void clefi_upsample_h2(const float *x, int32_t c, int32_t h, int32_t w, float *y);
/** ConvTranspose2d with kernel (1,k) = stride (1,k): x [cin][h][w] -> y [cout][h][w*k].
 *  c->w is [cin][cout][1][k] (PyTorch layout); c->kw = c->sw = k. */
CLEFI_HIDDEN void clefi_convt_time_forward(clefi_fwd *fw, const clefi_conv *c, const float *x,
                                           int32_t h, int32_t w, float *y);
/** Scratch floats per thread that clefi_convt_time_forward needs. */
CLEFI_HIDDEN size_t clefi_convt_time_scratch(const clefi_conv *c, size_t block_pos);

/* ---- vector quantiser: nearest code (tok_ops.c) ---- */
/** ids[n] = argmin_k ||z[:,n] - e_k||^2 for z [d][n_pos] (channel-major), codebook e [k][d],
 *  e_sq[k] = ||e_k||^2. Chunked GEMM with a running argmin: the n_pos x k matrix is never
 *  formed. Ties go to the lower index (torch.argmin). */
CLEFI_HIDDEN void clefi_vq_nearest(clefi_fwd *fw, const float *z, size_t n_pos, int32_t d,
                                   const float *e, const float *e_sq, int32_t k, int32_t *ids);
/** Scratch floats per thread of clefi_vq_nearest. */
CLEFI_HIDDEN size_t clefi_vq_scratch(void);

/* ---- tokenizer handle (tokenizer.c: architecture, load, create; tok_run.c: encode, decode) */

#define CLEFI_TOK_MAX_LEVELS 6
#define CLEFI_TOK_MAX_RES    4
#define CLEFI_TOK_NAME_CAP   64

/** Architecture hyperparameters (docs/tokenizer.md; clef.tok.* metadata). */
typedef struct clefi_tok_cfg {
    int32_t in_ch, n_freq, crop_t, time_stride, ch, n_levels, mult[CLEFI_TOK_MAX_LEVELS], n_res;
    int32_t gn_groups, codebook_size, code_dim;
    float gn_eps, db_scale;
    int32_t grid_f, grid_t; /* derived: n_freq >> n_levels, crop_t / time_stride */
} clefi_tok_cfg;

typedef struct clefi_resblock {
    clefi_gnorm n1, n2;
    clefi_conv c1, c2, nin;
    int32_t has_nin;
} clefi_resblock;

/** One weight tensor: name, shape and offset in the flat parameter buffer. */
typedef struct clefi_tok_tensor {
    char name[CLEFI_TOK_NAME_CAP];
    int32_t ndim;
    int64_t shape[4];
    size_t offset, numel;
    int32_t init;  /* tok_init_kind in tokenizer.c */
    size_t fan_in; /* for the default initialisation */
    const float **slot;
} clefi_tok_tensor;

struct clef_tokenizer {
    clef_ctx *ctx;
    clefi_tok_cfg cfg;
    clefi_tok_tensor *tensors; /* the one list of weights, in declaration order */
    size_t n_tensors;
    float *flat; /* all weights (aligned) */
    size_t n_flat;
    /* encoder */
    clefi_conv e_conv_in, e_down[CLEFI_TOK_MAX_LEVELS], e_conv_out;
    clefi_resblock e_blk[CLEFI_TOK_MAX_LEVELS][CLEFI_TOK_MAX_RES], e_mid;
    clefi_gnorm e_norm_out;
    /* quantiser */
    const float *codebook; /* [codebook_size][code_dim] */
    float *code_sq;        /* ||e_k||^2 */
    /* decoder */
    clefi_conv d_conv_in, d_up[CLEFI_TOK_MAX_LEVELS], d_conv_out;
    clefi_resblock d_blk[CLEFI_TOK_MAX_LEVELS][CLEFI_TOK_MAX_RES], d_mid;
    clefi_gnorm d_norm_out;
    /* run-time sizes */
    size_t max_act;     /* floats of the largest feature map */
    size_t scratch_per; /* per-thread scratch floats */
};

/** Positions per convolution GEMM block (the N of each sgemm). */
#define CLEFI_TOK_BLOCK_POS 256

#endif /* CLEF_MODEL_INT_H */
