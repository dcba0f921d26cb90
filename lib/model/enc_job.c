/* enc_job.c — the session embeddings of every session of a store, as a resumable job
 * ("embed:<encoder sha256>"). SPDX-License-Identifier: BSD-3-Clause
 *
 * Each session's tokens come from its token artifact of the encoder's tokenizer when the store
 * has one (clef_tokenizer_job_run), else from its recording through the tokenizer; the
 * embedding is committed with the done state in one transaction by the store-job driver. */
#include "model_int.h"

#include "job_run.h"

#include <stdio.h>
#include <string.h>

#define ENC_JOB_PREFIX "embed:"
#define HASH_HEX       65

clef_status clef_encoder_model_hash(clef_ctx *ctx, const char *weights_path, char *buf, size_t cap,
                                    size_t *needed) {
    return clef_tokenizer_model_hash(ctx, weights_path, buf, cap, needed); /* one rule */
}

typedef struct enc_job {
    clef_session *sess;
    clef_ctx *ctx;
    clef_tokenizer *tok;
    clef_encoder *enc;
    clef_spectrogram *sg;
    int64_t n_tokens;
    double read_s;
    int32_t *ids;
    uint16_t *u16;
    float *emb;
} enc_job;

/* The session's ids: its token artifact, or its recording tokenized. */
static clef_status session_ids(enc_job *ej, clefi_job_item *it) {
    size_t got = 0, bytes = (size_t)ej->n_tokens * sizeof *ej->u16;
    clef_status rc = clef_store_artifact_get(it->s, it->id, CLEF_ARTIFACT_TOKENS,
                                             ej->enc->cfg.tok_sha, ej->u16, bytes, &got);
    if (rc == CLEF_OK && got == bytes) {
        for (int64_t i = 0; i < ej->n_tokens; i++)
            ej->ids[i] = ej->u16[i];
        return CLEF_OK;
    }
    if (rc != CLEF_OK && rc != CLEF_ERR_NOT_FOUND && rc != CLEF_ERR_BUFFER_TOO_SMALL)
        return clefi_job_store_error(it, rc);
    clefi_job_session ses;
    rc = clefi_job_read_session(it, ej->read_s, &ses);
    if (rc == CLEF_OK && !it->failed) {
        clef_status e =
            ses.n_out < 1
                ? CLEF_ERR_SHAPE
                : clef_tokenizer_encode_signal(ej->tok, ej->sess, ej->sg, ses.x, ses.stride,
                                               ses.n_out, ej->ids, (size_t)ej->n_tokens, NULL);
        if (e != CLEF_OK)
            rc = clefi_job_item_fail(it, e,
                                     ses.n_out < 1 ? "no samples" : clef_session_errmsg(ej->sess));
    }
    clefi_job_session_free(ej->ctx, &ses);
    return rc;
}

static clef_status embed_item(clefi_job_item *it, void *user) {
    enc_job *ej = user;
    clef_status rc = session_ids(ej, it);
    if (rc != CLEF_OK || it->failed)
        return rc;
    clef_status e = clef_encoder_embed(ej->enc, ej->sess, ej->ids, (size_t)ej->n_tokens, 0, ej->emb,
                                       (size_t)ej->enc->cfg.embed_dim, NULL, 0, NULL);
    if (e != CLEF_OK)
        return clefi_job_item_fail(it, e, clef_session_errmsg(ej->sess));
    it->data = ej->emb;
    it->n_bytes = (size_t)ej->enc->cfg.embed_dim * sizeof *ej->emb;
    return CLEF_OK;
}

static clef_status job_setup(enc_job *ej, const char *tok_path, const char *enc_path) {
    clef_status rc = clef_tokenizer_load(&ej->tok, ej->ctx, tok_path);
    if (rc == CLEF_OK)
        rc = clef_encoder_load(&ej->enc, ej->ctx, enc_path, ej->tok);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_spectrogram_create(&ej->sg, ej->ctx, ej->tok);
    if (rc != CLEF_OK)
        return rc;
    ej->read_s = clef_tokenizer_read_seconds(ej->tok, ej->sg);
    ej->n_tokens = clefi_enc_n_tokens(&ej->enc->cfg);
    if ((ej->ids = clefi_malloc(ej->ctx, (size_t)ej->n_tokens * sizeof *ej->ids)) == NULL ||
        (ej->u16 = clefi_malloc(ej->ctx, (size_t)ej->n_tokens * sizeof *ej->u16)) == NULL ||
        (ej->emb = clefi_malloc(ej->ctx, (size_t)ej->enc->cfg.embed_dim * sizeof *ej->emb)) == NULL)
        rc = clefi_ctx_error(ej->ctx, CLEF_ERR_NOMEM, "embed job: no memory");
    return rc;
}

static clef_status run(clef_session *sess, clef_ctx *ctx, clef_store *s, const char *tok_path,
                       const char *enc_path, double stale_s, int64_t max_items,
                       int64_t *n_processed, clef_eval_progress_fn progress, void *user) {
    char job[sizeof ENC_JOB_PREFIX + HASH_HEX];
    memcpy(job, ENC_JOB_PREFIX, sizeof ENC_JOB_PREFIX - 1);
    char *hash = job + sizeof ENC_JOB_PREFIX - 1;
    clef_status rc = clef_encoder_model_hash(ctx, enc_path, hash, HASH_HEX, NULL);
    if (rc != CLEF_OK)
        return rc;
    enc_job ej = {.sess = sess, .ctx = ctx};
    rc = job_setup(&ej, tok_path, enc_path);
    const clefi_job_def def = {job, "embed", CLEF_ARTIFACT_EMBEDDING, hash, embed_item, &ej};
    if (rc == CLEF_OK)
        rc = clefi_job_run(ctx, s, &def, stale_s, max_items, n_processed, progress, user);
    clefi_free(ctx, ej.emb);
    clefi_free(ctx, ej.u16);
    clefi_free(ctx, ej.ids);
    clef_spectrogram_free(ej.sg);
    clef_encoder_free(ej.enc);
    clef_tokenizer_free(ej.tok);
    return rc;
}

clef_status clef_encoder_job_run(clef_session *sess, clef_store *s, const char *tokenizer_path,
                                 const char *encoder_path, double stale_s, int64_t max_items,
                                 int64_t *n_processed, clef_eval_progress_fn progress, void *user) {
    if (n_processed != NULL)
        *n_processed = 0;
    if (sess == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(sess);
    if (s == NULL || tokenizer_path == NULL || encoder_path == NULL)
        return clefi_session_error(sess, CLEF_ERR_INVALID_ARG,
                                   "store, tokenizer_path or encoder_path is NULL");
    clef_ctx *ctx = NULL; /* private: see tok_job.c */
    clef_status rc = clefi_ctx_clone(&ctx, sess->ctx);
    if (rc != CLEF_OK)
        return clefi_session_error(sess, rc, "embed job: cannot create a context");
    rc = run(sess, ctx, s, tokenizer_path, encoder_path, stale_s, max_items, n_processed, progress,
             user);
    if (rc != CLEF_OK)
        clefi_session_error(sess, rc, "%s",
                            clef_ctx_errmsg(ctx)[0] ? clef_ctx_errmsg(ctx) : clef_strerror(rc));
    clef_ctx_free(ctx);
    return rc;
}
