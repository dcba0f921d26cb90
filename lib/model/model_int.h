/*
 * model_int.h — libclef internal module 'model': CLEF models on clefi_top of lib/nn: the VQGAN
 * spectrogram tokenizer and the Transformer session encoder, with their trainers.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Private to the module (docs/ARCHITECTURE.md section 2): other modules use it through its
 * public API in include/clef.h only; tests/arch fails the build's tests when one includes this.
 */
#ifndef CLEF_MODEL_INT_H
#define CLEF_MODEL_INT_H

#include "core_int.h"
#include "nn.h"

/* ---- inference convolutions and the (1,5) transposed conv (tok_ops.c) ----
 * Forward passes over one image [C][H][W] (float32, contiguous). lib/nn's transposed conv
 * takes square kernels; the tokenizer's head is ConvTranspose (1,5)/(1,5) (docs/tokenizer.md),
 * so it lives here. The 3x3 convolutions of stride (1|2, 1) run as lib/nn's Winograd kernel
 * (clefi_conv.wu) and conv_in as its F(4,3)-along-H kernel (tok_run.c); the others block the
 * im2col by output rows, so the scratch is per-thread and small instead of C*KH*KW*OH*OW
 * (38 MB for one 3x3 layer at 128 x 256). Training uses lib/nn's clefi_conv2d (rectangular
 * geometry) for convolutions; GroupNorm, SiLU, the code search and the GEMM itself are lib/nn's
 * everywhere (inference fuses GroupNorm and SiLU). */

typedef struct clefi_conv {
    const float *w;  /* [cout][cin][kh][kw] (PyTorch Conv2d layout) */
    const float *b;  /* [cout] */
    const float *wu; /* Winograd weights of a 3x3 pad-1 conv of stride (1 or 2, 1)
                      * (clefi_wino_weights), or NULL: im2col */
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
/** ConvTranspose2d with kernel (1,k) = stride (1,k): x [cin][h][w] -> y [cout][h][w*k].
 *  c->w is [cin][cout][1][k] (PyTorch layout); c->kw = c->sw = k. */
CLEFI_HIDDEN void clefi_convt_time_forward(clefi_fwd *fw, const clefi_conv *c, const float *x,
                                           int32_t h, int32_t w, float *y);
/** Backward of clefi_convt_time_forward: dx [cin][h][w] and db may be NULL; dw, dx, db += ...;
 *  uses scratch of
 *  cout*k*h*w floats at fw->scratch (the trainer sizes it). */
CLEFI_HIDDEN void clefi_convt_time_backward(clefi_fwd *fw, const clefi_conv *c, const float *x,
                                            int32_t h, int32_t w, const float *dy, float *dx,
                                            float *dw, float *db);
/** Scratch floats per thread that clefi_convt_time_forward needs. */
CLEFI_HIDDEN size_t clefi_convt_time_scratch(const clefi_conv *c, size_t block_pos);

/* ---- tokenizer handle (tokenizer.c: architecture, load, create; tok_run.c: encode, decode) */

#define CLEFI_TOK_MAX_LEVELS     6
#define CLEFI_TOK_MAX_RES        4
#define CLEFI_TOK_NAME_CAP       64
#define CLEFI_TOK_MAX_MEAN       1024 /* session-mean tokens */
#define CLEFI_TOK_SESSION_FRAMES 1280 /* session image without session-mean tokens: 8 x 256 */

/** The spectrogram a tokenizer's weights were trained on (clef.spec.* metadata,
 *  ARCHITECTURE.md section 4; tok_spec.c). */
typedef struct clefi_tok_spec {
    double fs, window_s, step_s, bandwidth_hz, eig_min, fmin_hz, fmax_hz, df_hz, db_min, db_max;
    int32_t n_tapers;
    char norm[16];      /* CLEF_P_SPEC_SCALE: "db" */
    char channels[256]; /* comma list, the image channels in order */
} clefi_tok_spec;

/** Architecture hyperparameters (docs/tokenizer.md; clef.tok.* metadata). */
typedef struct clefi_tok_cfg {
    int32_t in_ch, n_freq, crop_t, time_stride, ch, n_levels, mult[CLEFI_TOK_MAX_LEVELS], n_res;
    int32_t gn_groups, codebook_size, code_dim;
    int32_t n_mean, mean_levels; /* session-mean tokens and their levels; 0: none (tok_mean.c) */
    int32_t mean_full;           /* of them, tokens holding one coefficient (the rest hold two) */
    float gn_eps, db_scale;
    int32_t grid_f, grid_t; /* derived: n_freq >> n_levels, crop_t / time_stride */
    clefi_tok_spec spec;
} clefi_tok_cfg;

/** CLEF's default spectrogram (clef_spectrogram_create(NULL)) over the first in_ch canonical
 *  channels. */
CLEFI_HIDDEN void clefi_tok_spec_default(clefi_tok_spec *s, int32_t in_ch);
/** Read the clef.spec.* keys of a weights file; errors on ctx naming the key. */
CLEFI_HIDDEN clef_status clefi_tok_spec_from_weights(clef_ctx *ctx, clef_weights *w,
                                                     const char *path, clefi_tok_spec *s);
/** The parameters of a spectrogram handle (channels left empty). */
CLEFI_HIDDEN void clefi_tok_spec_from_sg(const clef_spectrogram *sg, clefi_tok_spec *s);

/* ---- session-mean tokens (tok_mean.c; docs/tokenizer.md "Session-mean tokens") ----
 * A gain-shape split of the image: each (channel, frequency) row's mean power over the session,
 * M (dB), is transform-coded apart from the VQGAN grid on the leading principal components of
 * the training sessions' M: mean_full tokens of one coefficient (mean_levels levels), then
 * tokens of two (sqrt(mean_levels) levels each), each coefficient quantised uniformly in
 * asinh(u / 0.5) (u in standard deviations of its component: fine near 0, and rare large values
 * kept), then presence tokens (a bit per absent channel), then one token holding the valid
 * token columns (id codebook_size + columns). The
 * convolutional path codes the residual X - M^; decode shifts each residual row so that its mean
 * power over the valid columns is M^. */
typedef struct clefi_tok_mean {
    float *buf;    /* center [dim], scale [k], basis [k][dim], bias [dim]; k coefficients */
    float *center; /* mean of the training sessions' M */
    float *scale;  /* per component: half the quantiser range */
    float *basis;  /* orthonormal rows, largest-magnitude entry positive */
    float *bias; /* [dim] dB taken off the decoded power (clef_tokenizer_trainer_calibrate_mean) */
    size_t dim;  /* in_ch * n_freq */
    clefi_layout lay; /* "mean.center", "mean.scale", "mean.basis" */
} clefi_tok_mean;

typedef struct clefi_resblock {
    clefi_gnorm n1, n2;
    clefi_conv c1, c2, nin;
    int32_t has_nin;
} clefi_resblock;

/** Per-tensor extras beside the clefi_layout entry of the same index: the layer field the
 *  tensor feeds and its default initialisation. */
typedef struct clefi_tok_param {
    const float **slot;
    int32_t init;  /* tok_init_kind in tokenizer.c */
    size_t fan_in; /* for the default initialisation */
} clefi_tok_param;

struct clef_tokenizer {
    clef_ctx *ctx;
    clefi_tok_cfg cfg;
    clefi_layout lay;        /* the one list of weights (names, shapes, offsets) */
    clefi_tok_param *params; /* lay.n entries */
    float *flat;             /* all weights (aligned), lay.total floats */
    /* encoder */
    clefi_conv e_conv_in, e_down[CLEFI_TOK_MAX_LEVELS], e_conv_out;
    clefi_resblock e_blk[CLEFI_TOK_MAX_LEVELS][CLEFI_TOK_MAX_RES], e_mid;
    clefi_gnorm e_norm_out;
    /* quantiser */
    const float *codebook; /* [codebook_size][code_dim] */
    clefi_tok_mean mean;   /* session-mean tokens (cfg.n_mean > 0) */
    /* decoder */
    clefi_conv d_conv_in, d_up[CLEFI_TOK_MAX_LEVELS], d_conv_out;
    clefi_resblock d_blk[CLEFI_TOK_MAX_LEVELS][CLEFI_TOK_MAX_RES], d_mid;
    clefi_gnorm d_norm_out;
    /* Winograd weights of the 3x3 stride-(1|2, 1) convolutions and conv_in, derived from flat
     * by clefi_tok_wino_refresh */
    clefi_conv **wino_convs; /* n_wino convolutions that use them */
    size_t n_wino;
    float *wino; /* wino_total floats (aligned) */
    size_t wino_total;
    float *e_in_wu; /* e_conv_in as clefi_wino_h weights (in wino) */
    /* run-time sizes */
    size_t max_act;     /* floats of the largest feature map */
    size_t scratch_per; /* per-thread scratch floats */
    char sha256[65];    /* of the weights file it was loaded from; "" if none */
};

/** Replace tok->mean by an identity coder (center 0, basis 0, scale 1) of tok->cfg.n_mean
 *  components (0: none), with its layout; on failure the old one is kept. */
CLEFI_HIDDEN clef_status clefi_tok_mean_alloc(clef_tokenizer *tok, clef_ctx *ctx);
CLEFI_HIDDEN void clefi_tok_mean_free(clef_tokenizer *tok, clef_ctx *ctx);
/** Principal components (coefficients) of the coder: mean_full + 2 (n_mean - 1 - mean_full);
 *  0 without session-mean tokens. */
CLEFI_HIDDEN int32_t clefi_tok_mean_components(const clefi_tok_cfg *c);
/** m [dim] = mean power of each row of spec [dim][stride] over its first frames, in dB:
 *  10 log10 of the time mean of 10^(x/10). */
CLEFI_HIDDEN void clefi_tok_mean_rows(const float *spec, size_t dim, size_t stride, size_t frames,
                                      float *m);
/** Shift each row of out [dim][stride] (all stride frames) so that its mean power over the
 *  first frames is mhat [dim] dB; rows whose shift is not finite are left as they are. */
CLEFI_HIDDEN void clefi_tok_mean_apply(const float *mhat, size_t dim, size_t stride, size_t frames,
                                       float *out);
/** Code m [dim] and the valid token columns cols (clamped to [1, grid_t]): ids [n_mean]
 *  (codebook_size + level; the last codebook_size + cols), coef (may be NULL) [components + 1]
 *  the unquantised coefficients in standard deviations then cols, mhat (may be NULL) the M^ [dim]
 * to subtract from the image. Channels whose mean is the blank level everywhere (absent electrodes)
 * are left out of the fit (ridge least squares on the present ones) and keep their own level in
 * mhat (a zero residual), solved in work (clefi_tok_mean_work() bytes: a session's slot) or, with
 * work NULL, in memory allocated from ctx (CLEF_ERR_NOMEM then possible; no message: the caller
 * words it on its own handle). */
CLEFI_HIDDEN clef_status clefi_tok_mean_encode(const clef_tokenizer *tok, clef_ctx *ctx,
                                               double *work, const float *m, int32_t cols,
                                               int32_t *ids, float *coef, float *mhat);
/** Bytes of clefi_tok_mean_encode()'s work space. */
CLEFI_HIDDEN size_t clefi_tok_mean_work(const clef_tokenizer *tok);
/** M^ [dim] of n_mean ids, each in [codebook_size, codebook_size + mean_levels), and the
 *  absent channels of the presence tokens (bit c: channel c); returns the valid token columns
 *  of the last id, clamped to [1, grid_t]. */
CLEFI_HIDDEN int32_t clefi_tok_mean_decode(const clef_tokenizer *tok, const int32_t *ids,
                                           float *mhat, uint64_t *absent);
/** Presence tokens of a coder: ceil(in_ch / floor(log2(levels))). */
CLEFI_HIDDEN int32_t clefi_tok_mean_presence(int32_t in_ch, int32_t levels);
/** Tokens holding two coefficients (after the mean_full one-coefficient tokens). */
CLEFI_HIDDEN int32_t clefi_tok_mean_pairs(const clefi_tok_cfg *c);
/** The coefficients session-mean token j (of a coder with full one-coefficient tokens and
 *  levels levels) holds, as companded values asinh(u / 0.5) in [-asinh(range / 0.5), +...]:
 *  v[0] (and v[1] for a two-coefficient token) from q = id - codebook_size; 0 where the token
 *  holds none (presence, valid columns) or q is out of range. The session encoder reads them
 *  as numbers (docs/encoder.md "Input"). */
CLEFI_HIDDEN void clefi_tok_mean_token_values(int32_t j, int32_t q, int32_t full, int32_t pairs,
                                              int32_t levels, float v[2]);
/** One-coefficient tokens of a coder of n_tokens tokens and levels levels with at most
 *  max_components components: half the coefficient tokens (all if levels is not a square),
 *  more when the two-coefficient ones would need more components. */
CLEFI_HIDDEN int32_t clefi_tok_mean_full(int32_t in_ch, int32_t n_tokens, int32_t levels,
                                         int64_t max_components);
/** Fit a coder of n_tokens session tokens (clefi_tok_mean_full()), levels levels to
 *  n_sessions rows M [n_sessions][dim] (dB): center, the leading principal axes, scale = sd;
 *  it replaces tok's (and sets cfg.n_mean, mean_levels, mean_full) only on success. Arguments are
 *  checked by the caller. */
CLEFI_HIDDEN clef_status clefi_tok_mean_fit(clef_tokenizer *tok, clef_ctx *ctx, clefi_err *err,
                                            const float *means, int64_t n_sessions,
                                            int32_t n_tokens, int32_t levels);

/** Recompute the Winograd weights from the flat weights: after they are loaded or changed
 *  (load, create, clone, each trainer step, resume). */
CLEFI_HIDDEN void clefi_tok_wino_refresh(clef_tokenizer *tok);

/** Architecture from a CLEF_PARAMS_TOKENIZER set (NULL: defaults) or from a weights file's
 *  clef.tok.* metadata; errors on ctx. */
CLEFI_HIDDEN clef_status clefi_tok_cfg_from_params(clef_ctx *ctx, const clef_params *params,
                                                   clefi_tok_cfg *cfg);
CLEFI_HIDDEN clef_status clefi_tok_cfg_from_weights(clef_ctx *ctx, clef_weights *w,
                                                    const char *path, clefi_tok_cfg *cfg);
/** clef_tokenizer_load() of an open weights file (path names it in messages); the fuzzer's
 *  entry point (fuzz/tok_weights.c). */
CLEFI_HIDDEN clef_status clefi_tok_load_weights(clef_tokenizer **out, clef_ctx *ctx,
                                                clef_weights *w, const char *path);
/** A tokenizer of architecture cfg with PyTorch-default random weights from seed. */
CLEFI_HIDDEN clef_status clefi_tokenizer_new(clef_tokenizer **out, clef_ctx *ctx,
                                             const clefi_tok_cfg *cfg, uint64_t seed);

/** The clef.tok.* (and clef.format, clef.components) metadata of an architecture as key,
 *  value string pairs kv[2i], kv[2i+1], i < n (values stored in val). */
typedef struct clefi_tok_meta {
    const char *kv[2 * 43];
    char val[19][64];
    char spec_val[12][32]; /* clef.spec.* numbers */
    size_t n;
} clefi_tok_meta;
CLEFI_HIDDEN void clefi_tok_meta_fill(const clefi_tok_cfg *cfg, clefi_tok_meta *m);
/** Append the clef.spec.* pairs of s to m (numbers in m->spec_val; norm, channels borrowed). */
CLEFI_HIDDEN void clefi_tok_spec_meta_fill(const clefi_tok_spec *s, clefi_tok_meta *m);

/** Positions per convolution GEMM block (the N of each sgemm). */
#define CLEFI_TOK_BLOCK_POS 256

/* ---- PatchGAN discriminator (tok_disc.c) ---- */

#define CLEFI_DISC_LAYERS 4

typedef struct clefi_tok_disc {
    clef_ctx *ctx; /* not retained: owned by a trainer that holds it */
    clefi_conv2d geo[CLEFI_DISC_LAYERS];
    size_t w_off[CLEFI_DISC_LAYERS], b_off[CLEFI_DISC_LAYERS];
    float *params; /* n_params floats */
    size_t n_params, n_logits;
    float *in[CLEFI_DISC_LAYERS], *pre[CLEFI_DISC_LAYERS]; /* saved activations */
    float *g_in[CLEFI_DISC_LAYERS], *g_pre[CLEFI_DISC_LAYERS];
    float *col; /* im2col scratch of lib/nn's conv2d */
} clefi_tok_disc;

/** Discriminator for images [in_ch][h][w] with base width ndf, weights drawn from seed. */
CLEFI_HIDDEN clef_status clefi_tok_disc_create(clefi_tok_disc **out, clef_ctx *ctx, int32_t in_ch,
                                               int32_t h, int32_t w, int32_t ndf, uint64_t seed);
CLEFI_HIDDEN void clefi_tok_disc_free(clefi_tok_disc *d);
/** Patch logits (n_logits floats, owned by d) of image x; activations kept for backward. */
CLEFI_HIDDEN const float *clefi_tok_disc_forward(clefi_tok_disc *d, clefi_pool *pool,
                                                 const float *x);
/** Backward of the last forward: dx (may be NULL) and dparams (n_params) += ... */
CLEFI_HIDDEN void clefi_tok_disc_backward(clefi_tok_disc *d, clefi_pool *pool, const float *dlogits,
                                          float *dx, float *dparams);

/* ---- training (tok_train.c): L1 + commitment, EMA codebook, AdamW, PatchGAN ---- */

typedef struct clefi_tok_train_cfg {
    int32_t batch, n_threads;
    uint64_t seed;
    float lr, weight_decay, grad_clip;
    float commitment;     /* 0.1 (issue 8) */
    float ema_decay;      /* 0.99 (VQ-VAE-2) */
    float dead_threshold; /* restart codes whose EMA count falls below this */
    int32_t bypass_vq;    /* gradient checks only: zq = z, so straight-through is exact */
    int32_t disc_ndf;     /* PatchGAN base width; 0: no adversarial loss */
    int64_t disc_start;   /* first step with the adversarial loss (taming: disc_start) */
    float disc_weight;    /* factor on the adaptive weight (taming: disc_weight) */
    int64_t warmup;       /* linear lr warmup steps */
    int64_t cosine_steps; /* cosine lr decay to lr_min at this step; 0: constant lr */
    float lr_min;
    double power_weight; /* weight of the rows' mean-power squared error; 0: none */
    /* the pipeline (clef_tokenizer_trainer_run; tok_pipeline.c) */
    int64_t steps, checkpoint_every, max_sessions;
    double channel_dropout, channel_lone;
    int32_t mean_tokens, mean_levels;
} clefi_tok_train_cfg;

/* ---- training data (tok_data.c): the sessions of clef_tokenizer_trainer_add_* ---- */
typedef struct clefi_tok_data {
    float **spec;      /* [n][in_ch][n_freq][frames[i]] (dB) */
    float *means;      /* [n][in_ch * n_freq]: each session's mean power spectrum (dB) */
    int64_t *frames;   /* [n] */
    uint32_t *present; /* [n]: channels each recording holds (bit c) */
    size_t n, cap;
    int64_t total_frames;
    float *extra; /* [n_extra][in_ch * n_freq]: clef_tokenizer_trainer_add_means */
    int64_t n_extra;
    float blank_db; /* an absent channel's spectrogram value (the dB floor) */
} clefi_tok_data;

CLEFI_HIDDEN void clefi_tok_data_free(clef_ctx *ctx, clefi_tok_data *d);
/** Crops b < batch of step step [batch][in_ch][n_freq][crop_t], their present channels and
 *  session means [batch][in_ch * n_freq], drawn from (seed, step) only: splitmix64 picks a
 *  session and an offset, then channel dropout (clefi_tok_drop_channels); a dropped channel's
 *  mean is the blank level, as a missing electrode's would be. */
CLEFI_HIDDEN void clefi_tok_draw_batch(const clefi_tok_data *d, const clefi_tok_train_cfg *cfg,
                                       int64_t n_ch, int64_t n_freq, int64_t step, int64_t batch,
                                       int64_t crop_t, float *crops, uint32_t *present,
                                       float *means);
/** With probability p, keep a random 1 .. n - 1 of the n channels present in crop (channel c at
 *  crop + c * plane, n_ch channels, at most 32) and set every value of the others to blank_db;
 *  of those crops a share lone keeps exactly one. Returns the channels left present. With
 *  lone = 0 the draws are those of a dropout without the option. */
CLEFI_HIDDEN uint32_t clefi_tok_drop_channels(uint64_t *rng, double p, double lone, int64_t n_ch,
                                              int64_t plane, float blank_db, uint32_t present,
                                              float *crop);

/* The public clef_tokenizer_trainer handle is this trainer. */
typedef struct clef_tokenizer_trainer clefi_tok_trainer;

/** A trainer owning a new tokenizer of architecture arch (random weights from cfg->seed). */
CLEFI_HIDDEN clef_status clefi_tok_trainer_create(clefi_tok_trainer **out, clef_ctx *ctx,
                                                  const clefi_tok_cfg *arch,
                                                  const clefi_tok_train_cfg *cfg);
CLEFI_HIDDEN void clefi_tok_trainer_free(clefi_tok_trainer *tr);
/** Training settings from a CLEF_PARAMS_TRAIN set (NULL: defaults); errors on ctx. */
CLEFI_HIDDEN clef_status clefi_tok_train_cfg_from_params(clef_ctx *ctx, const clef_params *train,
                                                         int32_t n_threads,
                                                         clefi_tok_train_cfg *cfg);
/** The tokenizer being trained (valid for encode/decode between steps). */
CLEFI_HIDDEN const clef_tokenizer *clefi_tok_trainer_model(const clefi_tok_trainer *tr);
/** One step on n crops [n][in_ch][n_freq][crop_t] (dB), 1 <= n <= cfg.batch, the L1 loss of
 *  crop b over the channels of present[b] (NULL: all; each mask non-empty). With session-mean
 *  tokens, crop b's network image is the crop minus the coded M^ of means_db[b] [in_ch][n_freq]
 *  (its session's mean; means_db NULL: the crop's own time mean). Mean L1 (dB) and
 *  codebook perplexity of the batch out. */
CLEFI_HIDDEN clef_status clefi_tok_trainer_step(clefi_tok_trainer *tr, const float *crops_db,
                                                const uint32_t *present, const float *means_db,
                                                int32_t n, double *l1_db, double *perplexity);
/** Loss of one crop (L1 in [-1, 1] units + commitment * MSE(z, zq)); with_grad sets the
 *  gradients (clefi_tok_trainer_grads) to its gradient. For gradient checks. */
CLEFI_HIDDEN double clefi_tok_trainer_loss(clefi_tok_trainer *tr, const float *crop_db,
                                           int with_grad, double *l1_db);
CLEFI_HIDDEN float *clefi_tok_trainer_params(clefi_tok_trainer *tr);
/** Adversarial statistics of the last step: generator loss, discriminator loss and adaptive
 *  weight (0 before disc_start or without a discriminator). */
CLEFI_HIDDEN void clefi_tok_trainer_gan_stats(const clefi_tok_trainer *tr, double *g_loss,
                                              double *d_loss, double *adaptive_weight);
CLEFI_HIDDEN const float *clefi_tok_trainer_grads(const clefi_tok_trainer *tr);

/* Trainer internals (tok_train.c builds and runs them; tok_ckpt.c saves and restores). */
enum clefi_top_kind {
    CLEFI_OP_CONV = 1,
    CLEFI_OP_CONVT,
    CLEFI_OP_GN,
    CLEFI_OP_SILU,
    CLEFI_OP_UP,
    CLEFI_OP_ADD,
    CLEFI_OP_VQ
};

typedef struct clefi_tbuf {
    float *v, *g; /* value and gradient */
    size_t n;
} clefi_tbuf;

typedef struct clefi_top {
    int32_t kind;
    const clefi_conv *conv;
    const clefi_gnorm *gn;
    int32_t in, in2, out; /* buffer ids */
    int32_t c, h, w;      /* input channels and size */
    float *mean, *rstd;   /* CLEFI_OP_GN statistics */
    clefi_conv2d geo;     /* CLEFI_OP_CONV: lib/nn geometry */
} clefi_top;

struct clef_tokenizer_trainer {
    clef_ctx *ctx;
    clefi_err err;       /* last error of the public calls */
    clef_tokenizer *tok; /* weights being trained (owned) */
    clefi_tok_train_cfg cfg;
    uint32_t present;   /* channels of the current image in its L1 loss (bit c) */
    double power_sum;   /* this step's mean-power term (scaled units), summed over its crops */
    double power_last;  /* the last step's mean of it (clef_tokenizer_trainer_power_db) */
    int32_t wino_stale; /* weights changed since the Winograd copy was made (see tok_model) */
    float *mean_m, *mean_hat;   /* in_ch * n_freq each: a crop's session mean and its M^ */
    double *calib;              /* [2][in_ch * n_freq]: calibration sums and counts, or NULL */
    clefi_tok_data data;        /* sessions of clef_tokenizer_trainer_add_* */
    const clef_spectrogram *sg; /* of the added sessions: set_spectrogram's or sg_own */
    clef_spectrogram *sg_own;   /* CLEF's default, made by the first add call without one */
    clef_session *sess;         /* the trainer's threads (n_threads) and spectrogram scratch */
    clefi_pool *pool;           /* sess's */
    clefi_fwd fw;
    clefi_tbuf *buf;
    size_t n_buf, cap_buf;
    clefi_top *op;
    size_t n_op, cap_op;
    int32_t img, z, zq_buf, y; /* input, latents, quantised latents, output buffers */
    float *grads, *m, *v, *cluster, *embed_sum, *counts, *zbatch, *zq, *zt, *vq_scratch;
    float *col;     /* im2col scratch of lib/nn's conv2d (largest CLEFI_OP_CONV) */
    size_t col_len; /* floats */
    int32_t *idx;
    size_t cb_off, cb_len; /* codebook range of the flat buffer: EMA, not AdamW */
    int64_t step;
    clef_status rc; /* first build error */
    /* adversarial part (cfg.disc_ndf > 0) */
    clefi_tok_disc *disc;
    float *d_grads, *d_junk, *d_m, *d_v, *dlog, *dy_gan, *gw_rec, *gw_gan;
    double g_loss, d_loss, lambda; /* last step's means */
};

/** clef_tokenizer_encode() on a session whose error was already reset (pipeline calls). */
CLEFI_HIDDEN clef_status clefi_tok_encode_run(const clef_tokenizer *tok, clef_session *s,
                                              const float *spec, int64_t n_channels, int64_t n_freq,
                                              int64_t n_frames, int32_t *ids, size_t ids_cap,
                                              float *latents, size_t latents_cap, size_t *needed);

/** clef_tokenizer_check_spectrogram() without resetting the session's error. */
CLEFI_HIDDEN clef_status clefi_tok_check_spec(const clef_tokenizer *tok, clef_session *s,
                                              const clef_spectrogram *sg);

/* ---- cohort directories (cohort_paths.c) ---- */

typedef struct clefi_path_list {
    char **s;
    size_t n, cap;
} clefi_path_list;

/** Append a copy of s; CLEF_ERR_NOMEM (no message). */
CLEFI_HIDDEN clef_status clefi_path_list_add(clef_ctx *ctx, clefi_path_list *l, const char *s);
CLEFI_HIDDEN void clefi_path_list_free(clef_ctx *ctx, clefi_path_list *l);
/** Append to paths the recording paths (dir/manifest path) of the subjects in split; errors
 *  recorded on err naming the cohort, file and line. */
CLEFI_HIDDEN clef_status clefi_cohort_split_paths(clef_ctx *ctx, clefi_err *err, const char *dir,
                                                  const char *split, clefi_path_list *paths);

/* ---- session encoder (enc_model.c, enc_fwd.c, enc_train.c; docs/encoder.md) ---- */

#define CLEFI_ENC_MAX_LAYERS 64
#define CLEFI_ENC_LN_EPS     1e-5f

/** Architecture and token layout (clef.enc.* metadata). */
typedef struct clefi_enc_cfg {
    int32_t d, n_layers, n_heads, d_ff, embed_dim;
    /* the tokenizer's layout: grid_f x grid_t grid ids in [0, codebook_size), then n_mean
     * session-mean ids in [codebook_size, codebook_size + mean_levels) */
    int32_t grid_f, grid_t, n_mean, codebook_size, mean_levels;
    /* of the session-mean tokens, the first mean_full hold one coefficient, the next
     * mean_pairs two (clefi_tok_mean_token_values) */
    int32_t mean_full, mean_pairs;
    /* 1: the pooled vector carries the session-mean coefficients beside the mean state (the
     * "mean+values" pooling, docs/encoder.md "Outputs"); 0: the mean state alone */
    int32_t pool_values;
    char tok_sha[65];
} clefi_enc_cfg;

/** Ids per session, and the input vocabulary: every id plus the [MASK] id (the last). */
static inline int32_t clefi_enc_n_tokens(const clefi_enc_cfg *c) {
    return c->grid_f * c->grid_t + c->n_mean;
}
static inline int32_t clefi_enc_mask_id(const clefi_enc_cfg *c) {
    return c->codebook_size + c->mean_levels;
}
/** Session-mean tokens that hold coefficients (the first ones). */
static inline int32_t clefi_enc_n_value(const clefi_enc_cfg *c) {
    return c->mean_full + c->mean_pairs;
}
/** Width of the pooled vector the projection reads: d, then with pool_values one number per
 *  coefficient (mean_full + 2 mean_pairs). */
static inline int32_t clefi_enc_pool_dim(const clefi_enc_cfg *c) {
    return c->d + (c->pool_values ? c->mean_full + 2 * c->mean_pairs : 0);
}

struct clef_encoder {
    clef_ctx *ctx;
    clefi_enc_cfg cfg;
    clefi_layout lay; /* names, shapes, offsets; the order of the flat buffer */
    float *flat;      /* lay.total floats */
    float *tok_emb, *type_emb, *row_emb, *col_emb;
    float *mean_pos, *mean_val; /* NULL if n_mean 0; mean_val [2 (mean_full + mean_pairs)][d] */
    clefi_block_params blk[CLEFI_ENC_MAX_LAYERS];
    float *lnf_w, *lnf_b, *head_w, *head_b, *proj_w, *proj_b;
    float *vhead_w, *vhead_b; /* [2][d], [2]: session-mean values (NULL without value tokens) */
    size_t trained; /* floats of flat that pretraining updates: all but the projection (last) */
};

/** An encoder of architecture cfg with its layout and zeroed weights. */
CLEFI_HIDDEN clef_status clefi_enc_alloc(clef_encoder **out, clef_ctx *ctx,
                                         const clefi_enc_cfg *cfg);
/** Initial weights from seed: N(0, 0.02) for embeddings and linear weights, zero biases,
 *  LayerNorm weight 1 (BERT / GPT-2 initialisation). */
CLEFI_HIDDEN void clefi_enc_init(clef_encoder *enc, uint64_t seed);
/** Architecture from a CLEF_PARAMS_ENCODER set (NULL: defaults) and a tokenizer's layout. */
CLEFI_HIDDEN clef_status clefi_enc_cfg_from(clef_ctx *ctx, const clef_params *arch,
                                            const clef_tokenizer *tok, clefi_enc_cfg *cfg);
/** Architecture from a weights file's clef.enc.* metadata; errors on ctx naming the key. */
CLEFI_HIDDEN clef_status clefi_enc_cfg_from_weights(clef_ctx *ctx, clef_weights *w,
                                                    const char *path, clefi_enc_cfg *cfg);
/** clef_encoder_load() of an open weights file (the fuzzer's entry point). */
CLEFI_HIDDEN clef_status clefi_enc_load_weights(clef_encoder **out, clef_ctx *ctx, clef_weights *w,
                                                const char *path, const clef_tokenizer *tok);
/** Metadata of an encoder as key, value pairs. */
typedef struct clefi_enc_meta {
    const char *kv[2 * 24];
    char val[16][72];
    size_t n;
} clefi_enc_meta;
CLEFI_HIDDEN void clefi_enc_meta_fill(const clefi_enc_cfg *cfg, clefi_enc_meta *m);
/** CLEF_ERR_INVALID_ARG (recorded on err) unless tok is the tokenizer of cfg (SHA-256 and
 *  token layout). */
CLEFI_HIDDEN clef_status clefi_enc_check_tokenizer(clef_ctx *ctx, clefi_err *err,
                                                   const clefi_enc_cfg *cfg,
                                                   const clef_tokenizer *tok);

/** One forward pass over a token window: nt tokens ids[nt] with their types (0 grid, 1 mean)
 *  and position rows into row_emb/col_emb (grid) or mean_pos (mean: pos_a = index,
 *  pos_b unused), key_pad[nt] (1: padding). */
typedef struct clefi_enc_input {
    const int32_t *ids;
    const uint8_t *type, *key_pad;
    const int32_t *pos_a, *pos_b; /* grid: row, column; mean: index, - */
    int64_t nt;
} clefi_enc_input;

/** x(nt, d) = tok_emb[ids] + type_emb[type] + positions. */
CLEFI_HIDDEN void clefi_enc_embed_input(const clef_encoder *enc, const clefi_enc_input *in,
                                        float *x);
/** Gradients of clefi_enc_embed_input into g (an encoder-shaped gradient buffer) from dx. */
CLEFI_HIDDEN void clefi_enc_embed_input_backward(const clef_encoder *enc, clef_encoder *g,
                                                 const clefi_enc_input *in, const float *dx);
/** Point the tensor fields of enc at base (a buffer of enc->lay.total floats). */
CLEFI_HIDDEN void clefi_enc_bind(clef_encoder *enc, float *base);
/** Fill in (ids, types, positions, padding) for a whole session's ids, the grid's columns
 *  [c0, c0 + w) only (w = grid_t, c0 = 0: all), with grid columns >= valid padded.
 *  Arrays hold grid_f * w + n_mean entries. Returns the token count. */
CLEFI_HIDDEN int64_t clefi_enc_window(const clefi_enc_cfg *c, const int32_t *ids, int32_t c0,
                                      int32_t w, int32_t valid, int32_t *wids, uint8_t *type,
                                      uint8_t *key_pad, int32_t *pos_a, int32_t *pos_b);
/** Valid grid columns of a session's ids: the valid-columns token, clamped to [1, grid_t]
 *  (grid_t without session-mean tokens). */
CLEFI_HIDDEN int32_t clefi_enc_valid_cols(const clefi_enc_cfg *c, const int32_t *ids);
/** Block sizes of a window of nt tokens. */
CLEFI_HIDDEN clefi_block_dims clefi_enc_dims(const clefi_enc_cfg *c, int64_t nt);
/** The blocks over x(nt, d): block l saves into acts[l % n_acts]; returns the last output. */
CLEFI_HIDDEN const float *clefi_enc_trunk(const clef_encoder *enc, clefi_pool *pool,
                                          clefi_block_acts *acts, int32_t n_acts, const float *x,
                                          const uint8_t *key_pad, const clefi_block_dims *dims);
/** p(clefi_enc_pool_dim) = the mean of y(nt, d) over the tokens that are not padding, then
 *  with pool_values the companded coefficients of the window's session-mean ids (its last
 *  n_mean of wids, none masked). */
CLEFI_HIDDEN void clefi_enc_pool(const clefi_enc_cfg *c, const float *y, const int32_t *wids,
                                 const uint8_t *key_pad, int64_t nt, float *p);
/** A trainer of architecture cfg (tests: layouts no tokenizer has), weights from its seed. */
CLEFI_HIDDEN clef_status clefi_enc_trainer_new(clef_encoder_trainer **out, clef_ctx *ctx,
                                               const clefi_enc_cfg *cfg, const clef_params *train,
                                               int32_t n_threads);
/** Initial weights (and EMA) from the trainer's seed. */
CLEFI_HIDDEN void clefi_enc_trainer_init(clef_encoder_trainer *tr);
/** CLEF_ERR_RANGE (message in buf) for an id outside the layout's ranges. */
CLEFI_HIDDEN clef_status clefi_enc_check_ids(const clefi_enc_cfg *c, const int32_t *ids, char *why,
                                             size_t cap);

#include "enc_tune.h"

#endif /* CLEF_MODEL_INT_H */
