/* tiny_model.h — a tiny Transformer classifier trained by the nn tests and used as the
 * reference workload of the training utilities: token + position embeddings, pre-LN blocks,
 * final LayerNorm, linear head, cross-entropy; AdamW with warmup + cosine, global-norm clipping,
 * EMA of weights. Toy task: predict the previous token of a random sequence (needs attention). */
#ifndef CLEF_TINY_MODEL_H
#define CLEF_TINY_MODEL_H

#include "nn/nn_int.h"

typedef struct tiny_cfg {
    int64_t V, T, C, NH, F, L, B; /* vocabulary, tokens, width, heads, MLP, layers, batch */
    int32_t n_threads;
    uint64_t seed;
} tiny_cfg;

typedef struct tiny {
    tiny_cfg cfg;
    clef_ctx *ctx;
    clefi_pool *pool;
    clefi_layout lay;
    float *params, *grads, *m, *v, *ema;
    float *wte, *wpe, *lnf_w, *lnf_b, *head_w, *head_b; /* into params */
    clefi_block_params bp[4], bg[4];
    clefi_block_acts acts[4];
    clefi_block_dims dims;
    float *x0, *lnf, *lnf_mean, *lnf_rstd, *logits, *probs, *dx, *dlnf, *dlogits;
    int32_t *ids, *targets;
    int64_t step;      /* optimizer steps taken */
    uint64_t data_pos; /* data cursor (counter of the data RNG) */
} tiny;

clef_status tiny_create(tiny *m, clef_ctx *ctx, const tiny_cfg *cfg);
void tiny_free(tiny *m);
/* Loss of one batch; with backward != 0 also accumulates gradients (scaled by grad_scale). */
double tiny_batch(tiny *m, int backward, float grad_scale);
/* Fill ids/targets with the next batch of the toy task and advance the data cursor. */
void tiny_next_batch(tiny *m);
/* One optimizer step over accum micro-batches; returns the mean loss. */
double tiny_train_step(tiny *m, int accum, int64_t total_steps);

#endif
