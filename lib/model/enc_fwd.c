/* enc_fwd.c — session encoder inference: token ids -> per-token states -> pooled, projected
 * embedding, and the pipeline calls (recording or signal -> tokens -> embedding) on a session.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Everything lives in the session's encoder slots (token window, two forward-only block
 * activation sets used in turn, states), so a warm session allocates nothing per call. */
#include "model_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

clefi_block_dims clefi_enc_dims(const clefi_enc_cfg *c, int64_t nt) {
    return (clefi_block_dims){.B = 1,
                              .T = nt,
                              .C = c->d,
                              .NH = c->n_heads,
                              .F = c->d_ff,
                              .eps = CLEFI_ENC_LN_EPS,
                              .act = CLEFI_ACT_GELU_ERF};
}

const float *clefi_enc_trunk(const clef_encoder *enc, clefi_pool *pool, clefi_block_acts *acts,
                             int32_t n_acts, const float *x, const uint8_t *key_pad,
                             const clefi_block_dims *dims) {
    const float *in = x;
    for (int32_t l = 0; l < enc->cfg.n_layers; l++) {
        clefi_block_acts *a = &acts[l % n_acts];
        clefi_block_forward(pool, a, &enc->blk[l], in, key_pad, NULL, dims);
        in = a->out;
    }
    return in;
}

void clefi_enc_pool(const clefi_enc_cfg *c, const float *y, const int32_t *wids,
                    const uint8_t *key_pad, int64_t nt, float *p) {
    const int64_t d = c->d;
    int64_t n = 0;
    /* double accumulation in token order: deterministic and accurate over 2,048 tokens */
    for (int64_t k = 0; k < d; k++) {
        double acc = 0.0;
        for (int64_t t = 0; t < nt; t++)
            if (!key_pad[t])
                acc += y[t * d + k];
        p[k] = (float)acc;
    }
    for (int64_t t = 0; t < nt; t++)
        n += !key_pad[t];
    for (int64_t k = 0; k < d; k++)
        p[k] = n > 0 ? p[k] / (float)n : 0.0f;
    if (!c->pool_values)
        return;
    /* The coefficients as the input embedding reads them: the mean over ~2,000 states gives
     * the 128 session-mean tokens 6 % of its weight and one shared direction for all of
     * them, so it cannot keep the per-channel spectrum; kept apart they can (docs/encoder.md
     * "Pooling with the coefficients"). */
    const int32_t *mean = wids + nt - c->n_mean;
    float *o = p + d;
    for (int32_t j = 0; j < clefi_enc_n_value(c); j++) {
        float v[2];
        clefi_tok_mean_token_values(j, mean[j] - c->codebook_size, c->mean_full, c->mean_pairs,
                                    c->mean_levels, v);
        *o++ = v[0];
        if (j >= c->mean_full)
            *o++ = v[1];
    }
}

/* ---- inference block ---- */

/* clefi_block_forward() (lib/nn/block.c) with clefi_attention_infer() (no log-sum-exp,
 * no mask: the window holds no padding) in place of the training attention; keep the two in
 * step. */
static void infer_block(clefi_pool *pool, clefi_block_acts *a, const clefi_block_params *p,
                        const float *x, const clefi_block_dims *d, float *scores) {
    int64_t N = d->T, C = d->C;
    clefi_layernorm_forward(pool, a->ln1, a->ln1_mean, a->ln1_rstd, x, p->ln1_w, p->ln1_b, N, C,
                            d->eps);
    clefi_linear_forward(pool, a->qkv, a->ln1, p->qkv_w, p->qkv_b, N, C, 3 * C);
    clefi_attention_infer(pool, a->att, a->qkv, N, C, d->NH, scores);
    clefi_linear_forward(pool, a->h, a->att, p->proj_w, p->proj_b, N, C, C);
    clefi_residual_forward(pool, a->h, a->h, x, N * C);
    clefi_layernorm_forward(pool, a->ln2, a->ln2_mean, a->ln2_rstd, a->h, p->ln2_w, p->ln2_b, N, C,
                            d->eps);
    clefi_linear_forward(pool, a->fc1, a->ln2, p->fc1_w, p->fc1_b, N, C, d->F);
    clefi_act_forward(pool, d->act, 0.f, a->act, a->fc1, N * d->F);
    clefi_linear_forward(pool, a->out, a->act, p->fc2_w, p->fc2_b, N, d->F, C);
    clefi_residual_forward(pool, a->out, a->out, a->h, N * C);
}

/* Byte offsets of the pieces of the encoder slot for nt tokens. */
typedef struct enc_slot {
    size_t ids, type, pad, pos_a, pos_b, x, acts, y, stats, pooled, scores, total;
    size_t acts_floats;
} enc_slot;

static size_t up64(size_t n) { return (n + 63) & ~(size_t)63; }

static int slot_plan(const clefi_enc_cfg *c, int64_t nt, int32_t n_threads, enc_slot *p) {
    clefi_block_dims dims = clefi_enc_dims(c, nt);
    p->acts_floats = clefi_block_acts_floats(&dims, n_threads, 0);
    if (p->acts_floats == SIZE_MAX || p->acts_floats > SIZE_MAX / 16)
        return 0;
    size_t n = (size_t)nt, d = (size_t)c->d, off = 0;
    size_t sizes[11] = {n * 4,
                        n,
                        n,
                        n * 4,
                        n * 4,
                        n * d * 4,
                        2 * p->acts_floats * 4,
                        n * d * 4,
                        2 * n * 4,
                        (size_t)clefi_enc_pool_dim(c) * 4,
                        clefi_attention_infer_floats(nt, c->d, n_threads) * 4};
    size_t *at[11] = {&p->ids,  &p->type, &p->pad,   &p->pos_a,  &p->pos_b, &p->x,
                      &p->acts, &p->y,    &p->stats, &p->pooled, &p->scores};
    for (int i = 0; i < 11; i++) {
        *at[i] = off;
        off += up64(sizes[i]);
    }
    p->total = off;
    return 1;
}

/* y (window rows: grid f-major over valid columns, then the mean tokens) into states [n_tokens]
 * [d] in the ids' layout. */
static void scatter_states(const clefi_enc_cfg *c, int32_t valid, const float *y, float *states) {
    size_t d = (size_t)c->d, k = 0;
    memset(states, 0, (size_t)clefi_enc_n_tokens(c) * d * sizeof(float));
    for (int32_t r = 0; r < c->grid_f; r++)
        for (int32_t j = 0; j < valid; j++, k++)
            memcpy(states + ((size_t)r * (size_t)c->grid_t + (size_t)j) * d, y + k * d,
                   d * sizeof(float));
    size_t g = (size_t)c->grid_f * (size_t)c->grid_t;
    memcpy(states + g * d, y + k * d, (size_t)c->n_mean * d * sizeof(float));
}

/* The forward pass of one whole session (ids checked), on the session. */
static clef_status embed_run(const clef_encoder *enc, clef_session *s, const int32_t *ids,
                             int32_t valid, float *emb, float *states) {
    const clefi_enc_cfg *c = &enc->cfg;
    /* the real columns and the session-mean tokens: padding columns change nothing (they are
     * masked keys) and cost a full session's work, so they are left out */
    int64_t nt = (int64_t)c->grid_f * valid + c->n_mean;
    enc_slot p;
    if (!slot_plan(c, nt, s->n_threads, &p))
        return clefi_session_error(s, CLEF_ERR_OVERFLOW, "encoder: activation size overflows");
    char *m = clefi_session_slot(s, CLEFI_SLOT_ENC, p.total);
    if (m == NULL)
        return CLEF_ERR_NOMEM;
    clefi_enc_input in = {.ids = (int32_t *)(void *)(m + p.ids),
                          .type = (uint8_t *)(m + p.type),
                          .key_pad = (uint8_t *)(m + p.pad),
                          .pos_a = (int32_t *)(void *)(m + p.pos_a),
                          .pos_b = (int32_t *)(void *)(m + p.pos_b),
                          .nt = nt};
    clefi_enc_window(c, ids, 0, valid, valid, (int32_t *)(void *)(m + p.ids),
                     (uint8_t *)(m + p.type), (uint8_t *)(m + p.pad),
                     (int32_t *)(void *)(m + p.pos_a), (int32_t *)(void *)(m + p.pos_b));
    float *x = (float *)(void *)(m + p.x);
    clefi_enc_embed_input(enc, &in, x);
    clefi_block_dims dims = clefi_enc_dims(c, nt);
    clefi_block_acts acts[2];
    float *abuf = (float *)(void *)(m + p.acts);
    clefi_block_acts_at(&acts[0], abuf, &dims, s->n_threads, 0);
    clefi_block_acts_at(&acts[1], abuf + p.acts_floats, &dims, s->n_threads, 0);
    const float *h = x;
    for (int32_t l = 0; l < c->n_layers; l++) {
        infer_block(s->pool, &acts[l % 2], &enc->blk[l], h, &dims, (float *)(void *)(m + p.scores));
        h = acts[l % 2].out;
    }
    float *y = (float *)(void *)(m + p.y);
    float *stats = (float *)(void *)(m + p.stats);
    clefi_layernorm_forward(s->pool, y, stats, stats + nt, h, enc->lnf_w, enc->lnf_b, nt, c->d,
                            CLEFI_ENC_LN_EPS);
    float *pooled = (float *)(void *)(m + p.pooled);
    clefi_enc_pool(c, y, in.ids, in.key_pad, nt, pooled);
    clefi_linear_forward(NULL, emb, pooled, enc->proj_w, enc->proj_b, 1, clefi_enc_pool_dim(c),
                         c->embed_dim);
    if (states != NULL) /* back to the layout of the ids; padding columns' rows 0 */
        scatter_states(c, valid, y, states);
    return CLEF_OK;
}

/* Buffer checks shared by the entry points; valid_cols resolved into *valid. */
static clef_status check_out(const clef_encoder *enc, clef_session *s, size_t emb_cap,
                             size_t *needed) {
    if (needed != NULL)
        *needed = (size_t)enc->cfg.embed_dim;
    if (emb_cap < (size_t)enc->cfg.embed_dim)
        return clefi_session_error(s, CLEF_ERR_BUFFER_TOO_SMALL,
                                   "encoder: the embedding needs %d floats, capacity %zu",
                                   (int)enc->cfg.embed_dim, emb_cap);
    return CLEF_OK;
}

clef_status clef_encoder_embed(const clef_encoder *enc, clef_session *s, const int32_t *ids,
                               size_t n_ids, int64_t valid_cols, float *emb, size_t emb_cap,
                               float *states, size_t states_cap, size_t *needed) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    if (enc == NULL || ids == NULL || emb == NULL)
        return clefi_session_error(s, CLEF_ERR_INVALID_ARG,
                                   "encoder_embed: encoder, ids and emb must not be NULL");
    const clefi_enc_cfg *c = &enc->cfg;
    size_t nt = (size_t)clefi_enc_n_tokens(c);
    clef_status rc = check_out(enc, s, emb_cap, needed);
    if (rc != CLEF_OK)
        return rc;
    if (n_ids != nt)
        return clefi_session_error(s, CLEF_ERR_SHAPE,
                                   "encoder_embed: %zu ids, the encoder takes %zu (%d x %d grid "
                                   "+ %d session-mean tokens)",
                                   n_ids, nt, (int)c->grid_f, (int)c->grid_t, (int)c->n_mean);
    if (states != NULL && states_cap < nt * (size_t)c->d)
        return clefi_session_error(s, CLEF_ERR_BUFFER_TOO_SMALL,
                                   "encoder_embed: states need %zu floats, capacity %zu",
                                   nt * (size_t)c->d, states_cap);
    if (valid_cols < 0 || valid_cols > c->grid_t)
        return clefi_session_error(s, CLEF_ERR_RANGE,
                                   "encoder_embed: valid_cols %lld is not in [0, %d]",
                                   (long long)valid_cols, (int)c->grid_t);
    char why[128];
    if (clefi_enc_check_ids(c, ids, why, sizeof why) != CLEF_OK)
        return clefi_session_error(s, CLEF_ERR_RANGE, "encoder_embed: %s", why);
    int32_t valid = valid_cols > 0 ? (int32_t)valid_cols : clefi_enc_valid_cols(c, ids);
    return embed_run(enc, s, ids, valid, emb, states);
}

/* Tokens of the pipeline in the session's ids slot, after the tokenizer check. */
static clef_status pipeline_begin(const clef_encoder *enc, const clef_tokenizer *tok,
                                  clef_session *s, const void *sg, const void *data,
                                  const float *emb, size_t emb_cap, size_t *needed, int32_t **ids) {
    if (enc == NULL || tok == NULL || sg == NULL || data == NULL || emb == NULL)
        return clefi_session_error(s, CLEF_ERR_INVALID_ARG,
                                   "encoder: encoder, tokenizer, spectrogram, input and emb "
                                   "must not be NULL");
    clef_status rc = check_out(enc, s, emb_cap, needed);
    if (rc == CLEF_OK)
        rc = clefi_enc_check_tokenizer(s->ctx, &s->err, &enc->cfg, tok);
    if (rc != CLEF_OK)
        return rc;
    *ids = clefi_session_slot(s, CLEFI_SLOT_ENC_IDS,
                              (size_t)clefi_enc_n_tokens(&enc->cfg) * sizeof(int32_t));
    return *ids != NULL ? CLEF_OK : CLEF_ERR_NOMEM;
}

clef_status clef_encoder_embed_recording(const clef_encoder *enc, const clef_tokenizer *tok,
                                         clef_session *s, const clef_spectrogram *sg,
                                         clef_recording *rec, float *emb, size_t emb_cap,
                                         size_t *needed, uint32_t *present_mask) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    int32_t *ids = NULL;
    clef_status rc = pipeline_begin(enc, tok, s, sg, rec, emb, emb_cap, needed, &ids);
    size_t nt = rc == CLEF_OK ? (size_t)clefi_enc_n_tokens(&enc->cfg) : 0;
    if (rc == CLEF_OK) /* a nested public call: its errors stay on the session */
        rc = clef_tokenizer_encode_recording(tok, s, sg, rec, ids, nt, NULL, present_mask);
    if (rc == CLEF_OK)
        rc = embed_run(enc, s, ids, clefi_enc_valid_cols(&enc->cfg, ids), emb, NULL);
    return rc;
}

clef_status clef_encoder_embed_signal(const clef_encoder *enc, const clef_tokenizer *tok,
                                      clef_session *s, const clef_spectrogram *sg, const float *x,
                                      size_t row_stride, int64_t n_samples, float *emb,
                                      size_t emb_cap, size_t *needed) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    int32_t *ids = NULL;
    clef_status rc = pipeline_begin(enc, tok, s, sg, x, emb, emb_cap, needed, &ids);
    size_t nt = rc == CLEF_OK ? (size_t)clefi_enc_n_tokens(&enc->cfg) : 0;
    if (rc == CLEF_OK)
        rc = clef_tokenizer_encode_signal(tok, s, sg, x, row_stride, n_samples, ids, nt, NULL);
    if (rc == CLEF_OK)
        rc = embed_run(enc, s, ids, clefi_enc_valid_cols(&enc->cfg, ids), emb, NULL);
    return rc;
}
