/* text_bert.c — the text tower's BERT encoder (Devlin et al. 2019; Hugging Face BertModel) on
 * lib/nn, for inference: embeddings (word + position + token type 0, LayerNorm), post-LN
 * layers LN(x + attention(x)) then LN(h + GELU-erf MLP(h)), mean pooling over the tokens and
 * L2 normalization (sentence-transformers' Pooling and Normalize modules).
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Weights bind by name into one flat buffer. The layout lists each layer's query, key and
 * value weights (then their biases) back to back, so they form the (3C, C) matrix and 3C bias
 * of one fused QKV projection in the [q | k | v] order lib/nn's attention reads. */
#include "clef.h"
#include "text_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* HF BertModel's layer_norm_eps (config.json of every BERT and MiniLM). */
#define BERT_LN_EPS 1e-12f

#define BERT_LAYER_TENSORS(X)                                                                      \
    X("attention.self.query.weight", 2, d, d)                                                      \
    X("attention.self.key.weight", 2, d, d)                                                        \
    X("attention.self.value.weight", 2, d, d)                                                      \
    X("attention.self.query.bias", 1, d)                                                           \
    X("attention.self.key.bias", 1, d)                                                             \
    X("attention.self.value.bias", 1, d)                                                           \
    X("attention.output.dense.weight", 2, d, d)                                                    \
    X("attention.output.dense.bias", 1, d)                                                         \
    X("attention.output.LayerNorm.weight", 1, d)                                                   \
    X("attention.output.LayerNorm.bias", 1, d)                                                     \
    X("intermediate.dense.weight", 2, f, d)                                                        \
    X("intermediate.dense.bias", 1, f)                                                             \
    X("output.dense.weight", 2, d, f)                                                              \
    X("output.dense.bias", 1, d)                                                                   \
    X("output.LayerNorm.weight", 1, d)                                                             \
    X("output.LayerNorm.bias", 1, d)

/* Tensor order inside one layer (the X list above). */
enum {
    L_QKV_W = 0,
    L_QKV_B = 3,
    L_AO_W = 6,
    L_AO_B,
    L_ALN_W,
    L_ALN_B,
    L_I_W,
    L_I_B,
    L_O_W,
    L_O_B,
    L_OLN_W,
    L_OLN_B,
    L_COUNT
};
/* Embedding tensors come first in the layout. */
enum { E_WORD = 0, E_POS, E_TYPE, E_LN_W, E_LN_B, E_COUNT };

/* Shape of tensor prefix+name: rank-2 dims into r, c; CLEF_ERR_NOT_FOUND when absent. */
static clef_status shape2(clef_weights *w, const char *prefix, const char *name, int64_t *r,
                          int64_t *c) {
    char full[160];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    int64_t idx, shape[CLEF_WEIGHTS_MAX_RANK] = {0};
    size_t rank = 0;
    clef_status rc = clef_weights_tensor_index(w, full, &idx);
    if (rc == CLEF_OK)
        rc = clef_weights_tensor_shape(w, idx, shape, CLEF_WEIGHTS_MAX_RANK, &rank);
    *r = shape[0];
    *c = rank == 2 ? shape[1] : 0;
    return rc;
}

static clef_status bert_cfg(clef_text_encoder *te, clef_weights *w, const char **prefix,
                            int32_t n_heads) {
    clefi_bert_cfg *c = &te->cfg;
    int64_t unused;
    *prefix = "";
    if (clef_weights_tensor_index(w, "bert.embeddings.word_embeddings.weight", &unused) == CLEF_OK)
        *prefix = "bert.";
    if (shape2(w, *prefix, "embeddings.word_embeddings.weight", &c->vocab, &c->d) != CLEF_OK ||
        shape2(w, *prefix, "embeddings.position_embeddings.weight", &c->max_pos, &unused) !=
            CLEF_OK ||
        shape2(w, *prefix, "embeddings.token_type_embeddings.weight", &c->n_types, &unused) !=
            CLEF_OK ||
        shape2(w, *prefix, "encoder.layer.0.intermediate.dense.weight", &c->d_ff, &unused) !=
            CLEF_OK)
        return clefi_error(te->ctx, &te->ctx->err, CLEF_ERR_NOT_FOUND,
                           "text encoder: not a BERT safetensors file (no %sembeddings.* or "
                           "encoder.layer.0.* tensors)",
                           *prefix);
    for (c->n_layers = 0;; c->n_layers++) {
        char name[96];
        snprintf(name, sizeof name, "%sencoder.layer.%d.attention.self.query.weight", *prefix,
                 (int)c->n_layers);
        if (clef_weights_tensor_index(w, name, &unused) != CLEF_OK)
            break;
    }
    c->n_heads = n_heads > 0 ? n_heads : 12;
    if (c->d <= 0 || c->d % c->n_heads != 0 || c->n_layers < 1 || c->max_pos < 2 ||
        c->n_types < 1 || c->d_ff <= 0)
        return clefi_error(te->ctx, &te->ctx->err, CLEF_ERR_SHAPE,
                           "text encoder: width %lld, %lld heads, %lld layers, %lld positions: "
                           "not a usable BERT",
                           (long long)c->d, (long long)c->n_heads, (long long)c->n_layers,
                           (long long)c->max_pos);
    return CLEF_OK;
}

clef_status clefi_bert_load(clef_text_encoder *te, clef_weights *w, int32_t n_heads) {
    const char *prefix;
    clef_status rc = bert_cfg(te, w, &prefix, n_heads);
    if (rc != CLEF_OK)
        return rc;
    const int64_t d = te->cfg.d, f = te->cfg.d_ff;
    clefi_layout *lay = &te->lay;
    clefi_layout_init(lay, te->ctx);
    rc = clefi_layout_add(lay, "embeddings.word_embeddings.weight", 2,
                          (const int64_t[]){te->cfg.vocab, d});
    if (rc == CLEF_OK)
        rc = clefi_layout_add(lay, "embeddings.position_embeddings.weight", 2,
                              (const int64_t[]){te->cfg.max_pos, d});
    if (rc == CLEF_OK)
        rc = clefi_layout_add(lay, "embeddings.token_type_embeddings.weight", 2,
                              (const int64_t[]){te->cfg.n_types, d});
    if (rc == CLEF_OK)
        rc = clefi_layout_add(lay, "embeddings.LayerNorm.weight", 1, (const int64_t[]){d});
    if (rc == CLEF_OK)
        rc = clefi_layout_add(lay, "embeddings.LayerNorm.bias", 1, (const int64_t[]){d});
    for (int64_t l = 0; l < te->cfg.n_layers && rc == CLEF_OK; l++) {
        char name[128];
#define X(suffix, rank, ...)                                                                       \
    snprintf(name, sizeof name, "encoder.layer.%d.%s", (int)l, suffix);                            \
    if (rc == CLEF_OK)                                                                             \
        rc = clefi_layout_add(lay, name, rank, (const int64_t[]){__VA_ARGS__});
        BERT_LAYER_TENSORS(X)
#undef X
    }
    if (rc != CLEF_OK)
        return rc;
    te->w = clefi_malloc_aligned(te->ctx, lay->total * sizeof(float));
    if (te->w == NULL)
        return clefi_error(te->ctx, &te->ctx->err, CLEF_ERR_NOMEM, "text encoder: out of memory");
    /* pooler, position_ids and any head stay unread: only the layout's tensors are needed */
    rc = clefi_weights_bind_check(w, lay, prefix, NULL, &te->ctx->err);
    if (rc == CLEF_OK)
        clefi_weights_bind_copy(w, lay, prefix, te->w);
    return rc;
}

static const float *tens(const clef_text_encoder *te, size_t i) {
    return te->w + te->lay.t[i].offset;
}

/* The four linear layers of a block: QKV (d -> 3d), attention output (d -> d), intermediate
 * (d -> d_ff), output (d_ff -> d); their weight and bias tensors in a layer. */
enum { LIN_QKV, LIN_AO, LIN_I, LIN_O, LIN_COUNT };
static const int k_lin_w[LIN_COUNT] = {L_QKV_W, L_AO_W, L_I_W, L_O_W};
static const int k_lin_b[LIN_COUNT] = {L_QKV_B, L_AO_B, L_I_B, L_O_B};

static void lin_shape(const clefi_bert_cfg *c, int which, int64_t *in, int64_t *out) {
    *in = which == LIN_O ? c->d_ff : c->d;
    *out = which == LIN_QKV ? 3 * c->d : which == LIN_I ? c->d_ff : c->d;
}

/* where linear `which` of layer l starts in the packed BF16 weights; the end of all when l is
 * n_layers and which 0 */
static size_t bf16_at(const clefi_bert_cfg *c, int64_t l, int which) {
    size_t per = 0, before = 0;
    for (int k = 0; k < LIN_COUNT; k++) {
        int64_t in, out;
        lin_shape(c, k, &in, &out);
        size_t words = clefi_bf16_packed_words(in, out);
        before += k < which ? words : 0;
        per += words;
    }
    return (size_t)l * per + before;
}

size_t clefi_bert_bf16_words(const clefi_bert_cfg *c) { return bf16_at(c, c->n_layers, 0); }

void clefi_bert_bf16_pack(const clef_text_encoder *te, uint32_t *dst) {
    for (int64_t l = 0; l < te->cfg.n_layers; l++)
        for (int k = 0; k < LIN_COUNT; k++) {
            int64_t in, out;
            lin_shape(&te->cfg, k, &in, &out);
            size_t L = E_COUNT + (size_t)l * L_COUNT;
            clefi_bf16_pack(dst + bf16_at(&te->cfg, l, k), tens(te, L + (size_t)k_lin_w[k]), in,
                            out);
        }
}

/* The floats of activations for T tokens, laid out by bert_bufs. */
typedef struct bert_bufs {
    float *x, *h, *tmp, *qkv, *att, *ff, *mean, *rstd, *lse, *scratch, *act, *att16;
} bert_bufs;

static size_t bert_bufs_at(bert_bufs *b, float *base, const clef_text_encoder *te, int64_t T,
                           int32_t n_threads) {
    const clefi_bert_cfg *c = &te->cfg;
    const int bf = te->wbf != NULL;
    size_t sizes[12] = {(size_t)(T * c->d),
                        (size_t)(T * c->d),
                        (size_t)(T * c->d),
                        (size_t)(T * 3 * c->d),
                        (size_t)(T * c->d),
                        (size_t)(T * c->d_ff),
                        (size_t)T,
                        (size_t)T,
                        (size_t)(c->n_heads * T),
                        clefi_attention_scratch(T, c->d / c->n_heads, n_threads),
                        bf ? clefi_bf16_act_words(T, c->d > c->d_ff ? c->d : c->d_ff) : 0,
                        bf ? (size_t)n_threads * clefi_bf16_attn_words(T, c->d, c->n_heads) : 0};
    float **slots[12] = {&b->x,    &b->h,    &b->tmp, &b->qkv,     &b->att, &b->ff,
                         &b->mean, &b->rstd, &b->lse, &b->scratch, &b->act, &b->att16};
    size_t off = 0;
    for (int i = 0; i < 12; i++) {
        if (base != NULL)
            *slots[i] = base + off;
        off += (sizes[i] + 15) & ~(size_t)15; /* 64-byte aligned */
    }
    return off;
}

/* y = x W^T + b for linear `which` of layer l: in BF16 mode through the packed weights */
static void lin(const clef_text_encoder *te, clefi_pool *pool, const bert_bufs *b, float *y,
                const float *x, int64_t l, int which, int64_t T) {
    int64_t in, out;
    lin_shape(&te->cfg, which, &in, &out);
    size_t L = E_COUNT + (size_t)l * L_COUNT;
    const float *bias = tens(te, L + (size_t)k_lin_b[which]);
    if (te->wbf != NULL &&
        clefi_linear_forward_bf16(pool, y, x, te->wbf + bf16_at(&te->cfg, l, which), bias, T, in,
                                  out, (uint32_t *)(void *)b->act))
        return;
    clefi_linear_forward(pool, y, x, tens(te, L + (size_t)k_lin_w[which]), bias, T, in, out);
}

/* LayerNorm; in BF16 mode the vectorized inference one (float32 mode keeps the bits the
 * aligner's training saw) */
static void norm(const clef_text_encoder *te, clefi_pool *pool, const bert_bufs *b, float *y,
                 const float *x, size_t w, size_t bias, int64_t T) {
    if (te->wbf != NULL)
        clefi_layernorm_infer(pool, y, x, tens(te, w), tens(te, bias), T, te->cfg.d, BERT_LN_EPS);
    else
        clefi_layernorm_forward(pool, y, b->mean, b->rstd, x, tens(te, w), tens(te, bias), T,
                                te->cfg.d, BERT_LN_EPS);
}

clef_status clefi_bert_embed(const clef_text_encoder *te, clef_session *s, const int32_t *ids,
                             int32_t n, float *out, float *states) {
    const clefi_bert_cfg *c = &te->cfg;
    const int64_t T = n, d = c->d;
    clefi_pool *pool = s->pool;
    bert_bufs b;
    size_t floats = bert_bufs_at(&b, NULL, te, T, clefi_pool_size(pool));
    float *base = clefi_session_slot(s, CLEFI_SLOT_TEXT, floats * sizeof(float) + 64);
    if (base == NULL)
        return CLEF_ERR_NOMEM;
    base = (float *)(((uintptr_t)base + 63) & ~(uintptr_t)63);
    bert_bufs_at(&b, base, te, T, clefi_pool_size(pool));

    clef_status rc = clefi_embedding_forward(b.tmp, ids, tens(te, E_WORD), T, d, c->vocab);
    if (rc != CLEF_OK)
        return clefi_session_error(s, rc, "text encoder: token id outside the vocabulary");
    for (int64_t t = 0; t < T; t++) {
        const float *pos = tens(te, E_POS) + t * d, *typ = tens(te, E_TYPE);
        for (int64_t k = 0; k < d; k++)
            b.tmp[t * d + k] += pos[k] + typ[k];
    }
    norm(te, pool, &b, b.x, b.tmp, E_LN_W, E_LN_B, T);
    for (int64_t l = 0; l < c->n_layers; l++) {
        size_t L = E_COUNT + (size_t)l * L_COUNT;
        lin(te, pool, &b, b.qkv, b.x, l, LIN_QKV, T);
        if (te->wbf == NULL || !clefi_attention_forward_bf16(pool, b.att, b.qkv, T, d, c->n_heads,
                                                             (uint32_t *)(void *)b.att16))
            clefi_attention_forward(pool, b.att, b.lse, b.qkv, NULL, NULL, 1, T, d, c->n_heads,
                                    b.scratch);
        lin(te, pool, &b, b.tmp, b.att, l, LIN_AO, T);
        clefi_add_inplace(pool, b.tmp, b.x, T * d);
        norm(te, pool, &b, b.h, b.tmp, L + L_ALN_W, L + L_ALN_B, T);
        lin(te, pool, &b, b.ff, b.h, l, LIN_I, T);
        clefi_act_forward(pool, CLEFI_ACT_GELU_ERF, 0.f, b.ff, b.ff, T * c->d_ff);
        lin(te, pool, &b, b.tmp, b.ff, l, LIN_O, T);
        clefi_add_inplace(pool, b.tmp, b.h, T * d);
        norm(te, pool, &b, b.x, b.tmp, L + L_OLN_W, L + L_OLN_B, T);
    }
    if (states != NULL)
        memcpy(states, b.x, (size_t)(T * d) * sizeof *states);
    if (out == NULL)
        return CLEF_OK;
    /* mean over the tokens (one text: no padding), then x / max(|x|, 1e-12) */
    double norm2 = 0.0;
    for (int64_t k = 0; k < d; k++) {
        double acc = 0.0;
        for (int64_t t = 0; t < T; t++)
            acc += b.x[t * d + k];
        out[k] = (float)(acc / (double)T);
        norm2 += (double)out[k] * out[k];
    }
    double nrm = sqrt(norm2);
    float inv = (float)(1.0 / (nrm > 1e-12 ? nrm : 1e-12));
    for (int64_t k = 0; k < d; k++)
        out[k] *= inv;
    return CLEF_OK;
}
