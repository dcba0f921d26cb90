/* block.c — pre-LN Transformer block: x + attn(ln1(x)), then h + mlp(ln2(h)).
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * The composition of layers the session encoder and the aligner towers repeat; forward saves
 * what backward needs (LayerNorm statistics, qkv, attention output and log-sum-exp, MLP
 * pre-activation), never a T x T matrix. */
#include "nn_int.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

clef_status clefi_block_layout(clefi_layout *lay, const char *prefix, int64_t C, int64_t F) {
    char name[160];
    clef_status rc = CLEF_OK;
#define ADD_(field, tname, rank, ...)                                                              \
    if (rc == CLEF_OK) {                                                                           \
        snprintf(name, sizeof name, "%s%s", prefix, tname);                                        \
        rc = clefi_layout_add(lay, name, rank, (const int64_t[]){__VA_ARGS__});                    \
    }
    CLEFI_BLOCK_TENSORS(ADD_, C, F)
#undef ADD_
    return rc;
}

void clefi_block_params_at(clefi_block_params *p, float *base, const clefi_layout *lay,
                           size_t first) {
    size_t i = first;
#define AT_(field, tname, rank, ...) p->field = base + lay->t[i++].offset;
    CLEFI_BLOCK_TENSORS(AT_, 1, 1)
#undef AT_
}

/* Sizes of the activation buffers, in the order of the clefi_block_acts fields; the last six
 * are backward scratch (0 for a forward-only set). */
static void acts_sizes(const clefi_block_dims *d, int32_t n_threads, int backward, size_t sz[20]) {
    size_t bt = (size_t)(d->B * d->T), C = (size_t)d->C, F = (size_t)d->F;
    size_t v[20] = {bt * C, bt,
                    bt,     bt * 3 * C,
                    bt * C, (size_t)(d->B * d->NH * d->T),
                    bt * C, bt * C,
                    bt,     bt,
                    bt * F, bt * F,
                    bt * C, clefi_attention_scratch(d->T, d->C / d->NH, n_threads),
                    bt * C, bt * C,
                    bt * C, bt * 3 * C,
                    bt * F, bt * F};
    if (!backward)
        memset(v + 14, 0, 6 * sizeof v[0]);
    memcpy(sz, v, sizeof v);
}

size_t clefi_block_acts_floats(const clefi_block_dims *d, int32_t n_threads, int backward) {
    size_t sz[20], total = 0;
    acts_sizes(d, n_threads, backward, sz);
    for (int i = 0; i < 20; i++)
        if (clefi_add_overflow(total, sz[i], &total))
            return SIZE_MAX;
    return total;
}

void clefi_block_acts_at(clefi_block_acts *a, float *buf, const clefi_block_dims *d,
                         int32_t n_threads, int backward) {
    memset(a, 0, sizeof *a);
    size_t sz[20];
    acts_sizes(d, n_threads, backward, sz);
    float **f[20] = {&a->ln1, &a->ln1_mean, &a->ln1_rstd, &a->qkv,          &a->att,
                     &a->lse, &a->h,        &a->ln2,      &a->ln2_mean,     &a->ln2_rstd,
                     &a->fc1, &a->act,      &a->out,      &a->attn_scratch, &a->dh,
                     &a->dln, &a->datt,     &a->dqkv,     &a->dfc1,         &a->dact};
    float *q = buf;
    for (int i = 0; i < 20; i++) {
        *f[i] = sz[i] ? q : NULL;
        q += sz[i];
    }
    a->buf = buf;
}

clef_status clefi_block_acts_alloc(clefi_block_acts *a, clef_ctx *ctx, const clefi_block_dims *d,
                                   int32_t n_threads) {
    memset(a, 0, sizeof *a);
    size_t total = clefi_block_acts_floats(d, n_threads, 1);
    if (total == SIZE_MAX)
        return clefi_ctx_error(ctx, CLEF_ERR_OVERFLOW, "block activations overflow");
    float *buf = clefi_calloc(ctx, total, sizeof(float));
    if (buf == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate %zu floats of activations",
                               total);
    clefi_block_acts_at(a, buf, d, n_threads, 1);
    a->ctx = ctx;
    return CLEF_OK;
}

void clefi_block_acts_free(clefi_block_acts *a) {
    if (a != NULL && a->ctx != NULL)
        clefi_free(a->ctx, a->buf);
    if (a != NULL)
        memset(a, 0, sizeof *a);
}

void clefi_block_forward(clefi_pool *pool, clefi_block_acts *a, const clefi_block_params *p,
                         const float *x, const uint8_t *key_pad, const float *attn_mask,
                         const clefi_block_dims *d) {
    int64_t N = d->B * d->T, C = d->C;
    clefi_layernorm_forward(pool, a->ln1, a->ln1_mean, a->ln1_rstd, x, p->ln1_w, p->ln1_b, N, C,
                            d->eps);
    clefi_linear_forward(pool, a->qkv, a->ln1, p->qkv_w, p->qkv_b, N, C, 3 * C);
    clefi_attention_forward(pool, a->att, a->lse, a->qkv, key_pad, attn_mask, d->B, d->T, C, d->NH,
                            a->attn_scratch);
    clefi_linear_forward(pool, a->h, a->att, p->proj_w, p->proj_b, N, C, C);
    clefi_residual_forward(pool, a->h, a->h, x, N * C);
    clefi_layernorm_forward(pool, a->ln2, a->ln2_mean, a->ln2_rstd, a->h, p->ln2_w, p->ln2_b, N, C,
                            d->eps);
    clefi_linear_forward(pool, a->fc1, a->ln2, p->fc1_w, p->fc1_b, N, C, d->F);
    clefi_act_forward(pool, d->act, 0.f, a->act, a->fc1, N * d->F);
    clefi_linear_forward(pool, a->out, a->act, p->fc2_w, p->fc2_b, N, d->F, C);
    clefi_residual_forward(pool, a->out, a->out, a->h, N * C);
}

void clefi_block_backward(clefi_pool *pool, float *dx, const clefi_block_params *g,
                          const float *dout, clefi_block_acts *a, const clefi_block_params *p,
                          const float *x, const uint8_t *key_pad, const float *attn_mask,
                          const clefi_block_dims *d) {
    int64_t N = d->B * d->T, C = d->C, F = d->F;
    float *bufs[] = {a->dln, a->datt, a->dqkv, a->dfc1, a->dact};
    int64_t lens[] = {N * C, N * C, N * 3 * C, N * F, N * F};
    for (int i = 0; i < 5; i++)
        memset(bufs[i], 0, (size_t)lens[i] * sizeof(float));
    /* MLP branch; dh starts as the residual path's dout */
    memcpy(a->dh, dout, (size_t)(N * C) * sizeof(float));
    clefi_linear_backward(pool, a->dact, g->fc2_w, g->fc2_b, dout, a->act, p->fc2_w, N, F, C);
    clefi_act_backward(pool, d->act, 0.f, a->dfc1, a->fc1, a->dact, N * F);
    clefi_linear_backward(pool, a->dln, g->fc1_w, g->fc1_b, a->dfc1, a->ln2, p->fc1_w, N, C, F);
    clefi_layernorm_backward(pool, a->dh, g->ln2_w, g->ln2_b, a->dln, a->h, p->ln2_w, a->ln2_mean,
                             a->ln2_rstd, N, C);
    /* attention branch */
    memset(a->dln, 0, (size_t)(N * C) * sizeof(float));
    clefi_linear_backward(pool, a->datt, g->proj_w, g->proj_b, a->dh, a->att, p->proj_w, N, C, C);
    clefi_attention_backward(pool, a->dqkv, a->datt, a->att, a->lse, a->qkv, key_pad, attn_mask,
                             d->B, d->T, C, d->NH, a->attn_scratch);
    clefi_linear_backward(pool, a->dln, g->qkv_w, g->qkv_b, a->dqkv, a->ln1, p->qkv_w, N, C, 3 * C);
    if (dx != NULL) {
        clefi_layernorm_backward(pool, dx, NULL, NULL, a->dln, x, p->ln1_w, a->ln1_mean,
                                 a->ln1_rstd, N, C);
        clefi_residual_backward(pool, dx, NULL, a->dh, N * C);
    }
    clefi_layernorm_backward(pool, NULL, g->ln1_w, g->ln1_b, a->dln, x, p->ln1_w, a->ln1_mean,
                             a->ln1_rstd, N, C);
}
