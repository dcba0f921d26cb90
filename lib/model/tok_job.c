/* tok_job.c — the session tokens of every session of a store, as a resumable job.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Uses the recording reader, the spectrogram and the store only through the public API. The
 * job is named after the weights' model hash ("tokenize:<sha256 of the weights file>"), so
 * other weights make another job and other artifacts. Each item (a session) is claimed, read
 * as the 19 canonical channels at 200 Hz (only the start that the 1,280-frame session image
 * covers, plus a margin, so a long recording costs no more memory than 21 minutes), turned
 * into CLEF's spectrogram and encoded over that image (docs/tokenizer.md); its
 * 2,048 uint16 ids are committed with the done state in one transaction by the store-job
 * driver (lib/store/job_run.h), so a killed run loses at most the item in flight. */
#include "model_int.h"

#include "job_run.h"

#include <stdio.h>
#include <string.h>

#define TOK_JOB_PREFIX "tokenize:"
#define HASH_HEX       65 /* 64 hex digits + NUL */

/* SHA-256 of a file as lowercase hex. */
static clef_status file_sha256(clef_ctx *ctx, const char *path, char hex[HASH_HEX]) {
    clef_status rc = clefi_sha256_file_hex(path, hex);
    if (rc == CLEF_ERR_NOT_FOUND)
        return clefi_ctx_error(ctx, CLEF_ERR_IO, "weights '%s': cannot open", path);
    if (rc != CLEF_OK)
        return clefi_ctx_error(ctx, CLEF_ERR_IO, "weights '%s': read error", path);
    return CLEF_OK;
}

clef_status clef_tokenizer_model_hash(clef_ctx *ctx, const char *weights_path, char *buf,
                                      size_t cap, size_t *needed) {
    clefi_reset(ctx);
    if (needed != NULL)
        *needed = HASH_HEX;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (weights_path == NULL || (buf == NULL && cap > 0))
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "weights_path or buf is NULL");
    if (cap < HASH_HEX)
        return clefi_ctx_error(ctx, CLEF_ERR_BUFFER_TOO_SMALL, "model hash: cap %zu < %d bytes",
                               cap, HASH_HEX);
    char hex[HASH_HEX];
    clef_status rc = file_sha256(ctx, weights_path, hex);
    if (rc == CLEF_OK)
        memcpy(buf, hex, HASH_HEX);
    return rc;
}

typedef struct tok_job {
    clef_session *sess; /* threads and scratch of every item */
    clef_ctx *ctx;      /* the session's: allocation and the driver's messages */
    clef_tokenizer *tok;
    clef_spectrogram *sg;
    int64_t n_tokens;
    double read_s; /* seconds of each recording read: the session image's span + margin */
    int32_t *ids;
    uint16_t *u16;
} tok_job;

/* A session's samples to tj->u16 with the library pipeline (clef_tokenizer_encode_signal): a
 * recording shorter than one spectrogram window fails the item with the session's message. */
static clef_status encode_session(tok_job *tj, clefi_job_item *it, const clefi_job_session *ses) {
    clef_status rc =
        ses->n_out < 1
            ? CLEF_ERR_SHAPE
            : clef_tokenizer_encode_signal(tj->tok, tj->sess, tj->sg, ses->x, ses->stride,
                                           ses->n_out, tj->ids, (size_t)tj->n_tokens, NULL);
    if (rc != CLEF_OK)
        return clefi_job_item_fail(it, rc,
                                   ses->n_out < 1 ? "no samples" : clef_session_errmsg(tj->sess));
    for (int64_t i = 0; i < tj->n_tokens; i++)
        tj->u16[i] = (uint16_t)tj->ids[i]; /* ids < codebook + mean levels <= 65,536 */
    it->data = tj->u16;
    it->n_bytes = (size_t)tj->n_tokens * sizeof *tj->u16;
    return CLEF_OK;
}

/* One session: read only as far as the session image covers, then encoded. */
static clef_status tokenize_item(clefi_job_item *it, void *user) {
    tok_job *tj = user;
    clefi_job_session ses;
    clef_status rc = clefi_job_read_session(it, tj->read_s, &ses);
    if (rc == CLEF_OK && !it->failed)
        rc = encode_session(tj, it, &ses);
    clefi_job_session_free(tj->ctx, &ses);
    return rc;
}

/* The weights (loaded for whole-session images) and the spectrogram they were trained on. */
static clef_status job_setup(tok_job *tj, const char *weights_path) {
    int64_t cb = 0;
    clef_status rc = clef_tokenizer_load(&tj->tok, tj->ctx, weights_path);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_codebook(tj->tok, &cb, NULL);
    if (rc == CLEF_OK && cb > 65536)
        rc = clefi_ctx_error(tj->ctx, CLEF_ERR_UNSUPPORTED,
                             "codebook of %lld codes: token artifacts are uint16", (long long)cb);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_spectrogram_create(&tj->sg, tj->ctx, tj->tok);
    if (rc != CLEF_OK)
        return rc;
    tj->read_s = clef_tokenizer_read_seconds(tj->tok, tj->sg);
    tj->n_tokens = clef_tokenizer_n_tokens(tj->tok);
    if ((tj->ids = clefi_malloc(tj->ctx, (size_t)tj->n_tokens * sizeof *tj->ids)) == NULL ||
        (tj->u16 = clefi_malloc(tj->ctx, (size_t)tj->n_tokens * sizeof *tj->u16)) == NULL)
        rc = clefi_ctx_error(tj->ctx, CLEF_ERR_NOMEM, "cannot allocate %lld token ids",
                             (long long)tj->n_tokens);
    return rc;
}

/* The job on a private ctx (same allocator and log): the driver and the constructors record
 * their messages there, never on a ctx that other threads may share. */
static clef_status run(clef_session *sess, clef_ctx *ctx, clef_store *s, const char *weights_path,
                       double stale_s, int64_t max_items, int64_t *n_processed,
                       clef_eval_progress_fn progress, void *user) {
    char job[sizeof TOK_JOB_PREFIX + HASH_HEX];
    memcpy(job, TOK_JOB_PREFIX, sizeof TOK_JOB_PREFIX - 1);
    const char *hash = job + sizeof TOK_JOB_PREFIX - 1;
    clef_status rc = file_sha256(ctx, weights_path, job + sizeof TOK_JOB_PREFIX - 1);
    if (rc != CLEF_OK)
        return rc;
    tok_job tj = {.sess = sess, .ctx = ctx};
    rc = job_setup(&tj, weights_path);
    const clefi_job_def def = {job, "tokenize", CLEF_ARTIFACT_TOKENS, hash, tokenize_item, &tj};
    if (rc == CLEF_OK)
        rc = clefi_job_run(ctx, s, &def, stale_s, max_items, n_processed, progress, user);
    clefi_free(ctx, tj.u16);
    clefi_free(ctx, tj.ids);
    clef_spectrogram_free(tj.sg);
    clef_tokenizer_free(tj.tok);
    return rc;
}

clef_status clef_tokenizer_job_run(clef_session *sess, clef_store *s, const char *weights_path,
                                   double stale_s, int64_t max_items, int64_t *n_processed,
                                   clef_eval_progress_fn progress, void *user) {
    if (n_processed != NULL)
        *n_processed = 0;
    if (sess == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(sess);
    if (s == NULL || weights_path == NULL)
        return clefi_session_error(sess, CLEF_ERR_INVALID_ARG, "store or weights_path is NULL");
    clef_ctx *ctx = NULL;
    clef_status rc = clefi_ctx_clone(&ctx, sess->ctx);
    if (rc != CLEF_OK)
        return clefi_session_error(sess, rc, "tokenize job: cannot create a context");
    rc = run(sess, ctx, s, weights_path, stale_s, max_items, n_processed, progress, user);
    if (rc != CLEF_OK)
        clefi_session_error(sess, rc, "%s",
                            clef_ctx_errmsg(ctx)[0] ? clef_ctx_errmsg(ctx) : clef_strerror(rc));
    clef_ctx_free(ctx);
    return rc;
}
