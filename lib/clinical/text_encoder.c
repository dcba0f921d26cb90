/* text_encoder.c — clef_text_encoder, the text tower's public API (docs/text-tower.md): load a
 * BERT safetensors file and its vocab.txt, tokenize, embed. SPDX-License-Identifier: BSD-3-Clause
 */
#include "clef.h"
#include "text_int.h"

#include <string.h>

void clef_text_encoder_free(clef_text_encoder *te) {
    if (te == NULL)
        return;
    clef_ctx *ctx = te->ctx;
    clefi_vocab_free(&te->vocab, ctx);
    clefi_layout_free(&te->lay);
    clefi_free_aligned(ctx, te->w);
    clefi_free_aligned(ctx, te->wbf);
    clefi_free(ctx, te);
    clefi_ctx_release(ctx);
}

clef_status clef_text_encoder_load(clef_text_encoder **out, clef_ctx *ctx, const char *weights_path,
                                   const char *vocab_path, int32_t n_heads) {
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_reset(ctx);
    if (out == NULL || weights_path == NULL || vocab_path == NULL || n_heads < 0)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "clef_text_encoder_load: bad argument");
    *out = NULL;
    clef_text_encoder *te = clefi_calloc(ctx, 1, sizeof *te);
    if (te == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "text encoder: out of memory");
    te->ctx = clefi_ctx_retain(ctx);
    clefi_layout_init(&te->lay, ctx);
    char *data = NULL;
    size_t n = 0;
    clef_status rc = clefi_read_file(ctx, vocab_path, &data, &n, &ctx->err);
    if (rc == CLEF_OK)
        rc = clefi_vocab_parse(&te->vocab, ctx, data, n, &ctx->err);
    clefi_free(ctx, data);
    clef_weights *w = NULL;
    if (rc == CLEF_OK) {
        rc = clef_weights_open(&w, ctx, weights_path);
        if (rc == CLEF_OK)
            rc = clefi_bert_load(te, w, n_heads);
        if (rc != CLEF_OK && w != NULL && ctx->err.code == CLEF_OK)
            clefi_ctx_error(ctx, rc, "text encoder: %s", clef_weights_errmsg(w));
        clef_weights_free(w);
    }
    if (rc == CLEF_OK && (int64_t)te->vocab.n != te->cfg.vocab)
        rc = clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                             "text encoder: vocab.txt has %zu tokens, the word embeddings %lld",
                             te->vocab.n, (long long)te->cfg.vocab);
    if (rc != CLEF_OK) {
        clef_text_encoder_free(te);
        return rc;
    }
    te->max_tokens =
        te->cfg.max_pos < CLEFI_TEXT_MAX_TOKENS ? (int32_t)te->cfg.max_pos : CLEFI_TEXT_MAX_TOKENS;
    *out = te;
    return CLEF_OK;
}

const char *clef_text_encoder_errmsg(const clef_text_encoder *te) {
    return te != NULL ? te->err.msg : "";
}
clef_status clef_text_encoder_errcode(const clef_text_encoder *te) {
    return te != NULL ? te->err.code : CLEF_ERR_INVALID_ARG;
}
int64_t clef_text_encoder_dim(const clef_text_encoder *te) { return te != NULL ? te->cfg.d : 0; }
int32_t clef_text_encoder_max_tokens(const clef_text_encoder *te) {
    return te != NULL ? te->max_tokens : 0;
}

clef_status clef_text_encoder_tokenize(clef_text_encoder *te, const char *text, int32_t *ids,
                                       size_t cap, size_t *n) {
    if (te == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_reset(te);
    if (text == NULL || n == NULL || (ids == NULL && cap > 0))
        return clefi_error(te->ctx, &te->err, CLEF_ERR_INVALID_ARG,
                           "clef_text_encoder_tokenize: bad argument");
    int32_t buf[CLEFI_TEXT_MAX_TOKENS];
    int32_t k = clefi_wordpiece(&te->vocab, text, strlen(text), buf, te->max_tokens);
    *n = (size_t)k;
    if (cap < (size_t)k)
        return clefi_error(te->ctx, &te->err, CLEF_ERR_BUFFER_TOO_SMALL,
                           "clef_text_encoder_tokenize: %d ids, room for %zu", (int)k, cap);
    memcpy(ids, buf, (size_t)k * sizeof *ids);
    return CLEF_OK;
}

clef_status clef_text_encoder_embed(const clef_text_encoder *te, clef_session *s, const char *text,
                                    float *out, size_t cap, size_t *needed) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    if (te == NULL || text == NULL || (out == NULL && cap > 0))
        return clefi_session_error(s, CLEF_ERR_INVALID_ARG,
                                   "clef_text_encoder_embed: bad argument");
    if (needed != NULL)
        *needed = (size_t)te->cfg.d;
    if (cap < (size_t)te->cfg.d)
        return clefi_session_error(s, CLEF_ERR_BUFFER_TOO_SMALL,
                                   "clef_text_encoder_embed: %lld floats, room for %zu",
                                   (long long)te->cfg.d, cap);
    int32_t ids[CLEFI_TEXT_MAX_TOKENS];
    int32_t n = clefi_wordpiece(&te->vocab, text, strlen(text), ids, te->max_tokens);
    return clefi_bert_embed(te, s, ids, n, out, NULL);
}

clef_status clef_text_encoder_set_precision(clef_text_encoder *te, int32_t precision) {
    if (te == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_reset(te);
    if (precision != CLEF_PRECISION_F32 && precision != CLEF_PRECISION_BF16)
        return clefi_error(te->ctx, &te->err, CLEF_ERR_INVALID_ARG,
                           "clef_text_encoder_set_precision: %d is not a clef_precision",
                           (int)precision);
    if (precision == CLEF_PRECISION_F32) {
        clefi_free_aligned(te->ctx, te->wbf);
        te->wbf = NULL;
        return CLEF_OK;
    }
    if (te->wbf != NULL)
        return CLEF_OK;
    if (!clefi_bf16_available())
        return clefi_error(te->ctx, &te->err, CLEF_ERR_UNSUPPORTED,
                           "text encoder: BF16 precision needs a CPU with AVX-512 BF16 (this "
                           "one: %s)",
                           clef_cpu_isa());
    size_t words = clefi_bert_bf16_words(&te->cfg);
    uint32_t *wbf = clefi_malloc_aligned(te->ctx, words * sizeof *wbf);
    if (wbf == NULL)
        return clefi_error(te->ctx, &te->err, CLEF_ERR_NOMEM,
                           "text encoder: out of memory for the BF16 weights (%zu bytes)",
                           words * sizeof *wbf);
    clefi_bert_bf16_pack(te, wbf);
    te->wbf = wbf;
    return CLEF_OK;
}

int32_t clef_text_encoder_precision(const clef_text_encoder *te) {
    return te != NULL && te->wbf != NULL ? CLEF_PRECISION_BF16 : CLEF_PRECISION_F32;
}
