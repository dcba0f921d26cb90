/* enc_stream.c — session embeddings during acquisition (docs/encoder.md "Streaming").
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Samples go through a spectrogram stream (bit-identical to the offline spectrogram) into the
 * session image, frame by frame. Tokens and the embedding are computed on request from the
 * frames so far: with session-mean tokens every grid token depends on the session's mean
 * spectrum, which changes as the session grows, so tokens of earlier columns are recomputed,
 * not frozen. The same frames give the same tokens as the offline pipeline, so after finish the
 * embedding is the offline one. */
#include "model_int.h"

#include <string.h>

struct clef_encoder_stream {
    clef_ctx *ctx;
    clefi_err err;
    const clef_encoder *enc;
    const clef_tokenizer *tok;
    clef_spectrogram_stream *sst;
    float *image;  /* [n_ch][n_freq][crop_t]: the frames so far */
    float *packed; /* [n_ch][n_freq][frames] for the tokenizer */
    float *chunk;  /* a push's frames */
    size_t chunk_cap;
    int32_t *ids;
    int64_t n_ch, n_freq, crop_t, frames;
    int finished;
};

clef_status clef_encoder_stream_create(clef_encoder_stream **out, clef_session *s,
                                       const clef_encoder *enc, const clef_tokenizer *tok,
                                       const clef_spectrogram *sg) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    if (out == NULL || enc == NULL || tok == NULL || sg == NULL)
        return clefi_session_error(s, CLEF_ERR_INVALID_ARG, "encoder stream: NULL argument");
    *out = NULL;
    clef_status rc = clefi_enc_check_tokenizer(s->ctx, &s->err, &enc->cfg, tok);
    if (rc == CLEF_OK)
        rc = clefi_tok_check_spec(tok, s, sg);
    if (rc != CLEF_OK)
        return rc;
    clef_ctx *ctx = s->ctx;
    clef_encoder_stream *st = clefi_calloc(ctx, 1, sizeof *st);
    if (st == NULL)
        return clefi_session_error(s, CLEF_ERR_NOMEM, "encoder stream: no memory");
    st->ctx = clefi_ctx_retain(ctx);
    st->enc = enc;
    st->tok = tok;
    st->n_ch = tok->cfg.in_ch;
    st->n_freq = tok->cfg.n_freq;
    st->crop_t = tok->cfg.crop_t;
    size_t plane = (size_t)(st->n_ch * st->n_freq * st->crop_t);
    rc = clef_spectrogram_stream_create(&st->sst, s, sg, st->n_ch);
    if (rc == CLEF_OK && ((st->image = clefi_malloc(ctx, plane * sizeof(float))) == NULL ||
                          (st->packed = clefi_malloc(ctx, plane * sizeof(float))) == NULL ||
                          (st->ids = clefi_malloc(ctx, (size_t)clefi_enc_n_tokens(&enc->cfg) *
                                                           sizeof(int32_t))) == NULL))
        rc = clefi_session_error(s, CLEF_ERR_NOMEM, "encoder stream: no memory for the image");
    if (rc != CLEF_OK) {
        clef_encoder_stream_free(st);
        return rc;
    }
    *out = st;
    return CLEF_OK;
}

void clef_encoder_stream_free(clef_encoder_stream *st) {
    if (st == NULL)
        return;
    clef_ctx *ctx = st->ctx;
    clef_spectrogram_stream_free(st->sst);
    clefi_free(ctx, st->image);
    clefi_free(ctx, st->packed);
    clefi_free(ctx, st->chunk);
    clefi_free(ctx, st->ids);
    clefi_free(ctx, st);
    clefi_ctx_release(ctx);
}

const char *clef_encoder_stream_errmsg(const clef_encoder_stream *st) {
    return st != NULL ? st->err.msg : "invalid handle (NULL)";
}

clef_status clef_encoder_stream_errcode(const clef_encoder_stream *st) {
    return st != NULL ? st->err.code : CLEF_ERR_INVALID_ARG;
}

int64_t clef_encoder_stream_frames(const clef_encoder_stream *st) {
    return st != NULL ? st->frames : 0;
}

/* Keep n frames of chunk [n_ch][n_freq][n] while the image has room. */
static void keep_frames(clef_encoder_stream *st, int64_t n) {
    int64_t room = st->crop_t - st->frames, k = n < room ? n : room;
    for (int64_t row = 0; k > 0 && row < st->n_ch * st->n_freq; row++)
        memcpy(st->image + row * st->crop_t + st->frames, st->chunk + row * n,
               (size_t)k * sizeof(float));
    st->frames += k > 0 ? k : 0;
}

static clef_status chunk_room(clef_encoder_stream *st, int64_t frames) {
    size_t need = (size_t)(frames * st->n_ch * st->n_freq);
    if (need <= st->chunk_cap)
        return CLEF_OK;
    float *p = clefi_realloc_array(st->ctx, st->chunk, need, sizeof(float));
    if (p == NULL)
        return clefi_error(st->ctx, &st->err, CLEF_ERR_NOMEM, "encoder stream: no memory");
    st->chunk = p;
    st->chunk_cap = need;
    return CLEF_OK;
}

clef_status clef_encoder_stream_push(clef_encoder_stream *st, const float *x, size_t row_stride,
                                     int64_t n_samples) {
    clefi_reset(st);
    if (st == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (st->finished)
        return clefi_error(st->ctx, &st->err, CLEF_ERR_STATE, "encoder stream: push after finish");
    if (x == NULL || n_samples < 0 || row_stride < (size_t)n_samples)
        return clefi_error(st->ctx, &st->err, CLEF_ERR_INVALID_ARG,
                           "encoder stream: push of %lld samples with row stride %zu",
                           (long long)n_samples, row_stride);
    clef_status rc = chunk_room(st, clef_spectrogram_stream_pending(st->sst, n_samples));
    int64_t n = 0;
    if (rc == CLEF_OK &&
        (rc = clef_spectrogram_stream_push(st->sst, x, row_stride, n_samples, st->chunk,
                                           st->chunk_cap, NULL, &n)) != CLEF_OK)
        return clefi_error(st->ctx, &st->err, rc, "encoder stream: %s",
                           clef_spectrogram_stream_errmsg(st->sst));
    if (rc == CLEF_OK)
        keep_frames(st, n);
    return rc;
}

clef_status clef_encoder_stream_finish(clef_encoder_stream *st) {
    clefi_reset(st);
    if (st == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (st->finished)
        return CLEF_OK;
    size_t need = 0;
    int64_t n = 0;
    clef_status rc = clef_spectrogram_stream_finish(st->sst, NULL, 0, &need, &n);
    if (rc == CLEF_ERR_BUFFER_TOO_SMALL) /* trailing frames (edge "zero") */
        rc = chunk_room(st, (int64_t)(need / (size_t)(st->n_ch * st->n_freq)));
    if (rc == CLEF_OK && need > 0)
        rc = clef_spectrogram_stream_finish(st->sst, st->chunk, st->chunk_cap, NULL, &n);
    if (rc != CLEF_OK)
        return clefi_error(st->ctx, &st->err, rc, "encoder stream: %s",
                           clef_spectrogram_stream_errmsg(st->sst));
    keep_frames(st, n);
    st->finished = 1;
    return CLEF_OK;
}

clef_status clef_encoder_stream_tokens(clef_encoder_stream *st, clef_session *s, int32_t *ids,
                                       size_t ids_cap, size_t *needed) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    if (st == NULL || ids == NULL)
        return clefi_session_error(s, CLEF_ERR_INVALID_ARG, "encoder stream: NULL argument");
    if (st->frames < 1)
        return clefi_session_error(s, CLEF_ERR_STATE,
                                   "encoder stream: no complete spectrogram frame yet");
    int64_t f = st->frames;
    for (int64_t row = 0; row < st->n_ch * st->n_freq; row++)
        memcpy(st->packed + row * f, st->image + row * st->crop_t, (size_t)f * sizeof(float));
    return clefi_tok_encode_run(st->tok, s, st->packed, st->n_ch, st->n_freq, f, ids, ids_cap, NULL,
                                0, needed);
}

clef_status clef_encoder_stream_embed(clef_encoder_stream *st, clef_session *s, float *emb,
                                      size_t emb_cap, size_t *needed) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    size_t nt = st != NULL ? (size_t)clefi_enc_n_tokens(&st->enc->cfg) : 0;
    clef_status rc = clef_encoder_stream_tokens(st, s, st != NULL ? st->ids : NULL, nt, NULL);
    if (rc == CLEF_OK) /* a nested public call: the session's error is clear */
        rc = clef_encoder_embed(st->enc, s, st->ids, nt, 0, emb, emb_cap, NULL, 0, needed);
    return rc;
}
