/* tok_job.c — the session tokens of every session of a store, as a resumable job.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Uses the recording reader, the spectrogram and the store only through the public API. The
 * job is named after the weights' model hash ("tokenize:<sha256 of the weights file>"), so
 * other weights make another job and other artifacts. Each item (a session) is claimed, read
 * as the 19 canonical channels at 200 Hz (only the start that the 1,280-frame session image
 * covers, plus a margin, so a long recording costs no more memory than 21 minutes), turned
 * into CLEF's spectrogram and encoded over that image (docs/tokenizer.md); its
 * 2,048 uint16 ids are committed with the done state in one transaction
 * (clef_store_job_complete), so a killed run loses at most the item in flight. */
#include "model_int.h"

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

typedef struct tok_item {
    clef_session *sess;
    clef_ctx *ctx; /* the session's: allocation and recording constructors */
    clef_store *s;
    clef_tokenizer *tok;
    clef_spectrogram *sg;
    int64_t n_tokens;
    int32_t *ids;
    uint16_t *u16;
    char path[4096];
    char why[CLEFI_ERRMSG_CAP]; /* data problem of this item (the job goes on) */
} tok_item;

/* Read, transform and encode one session into it->u16 (clef_tokenizer_encode_recording). A
 * data problem (unreadable file, recording shorter than one spectrogram window) sets it->why
 * and returns CLEF_OK; only store or memory failures are returned. */
static clef_status tokenize_one(tok_item *it, const char *sid) {
    size_t needed;
    clef_status rc = clef_store_recording_path(it->s, sid, it->path, sizeof it->path, &needed);
    if (rc != CLEF_OK)
        return rc;
    clef_recording *rec = NULL;
    rc = clef_recording_open(&rec, it->ctx, it->path, NULL);
    const char *m = clef_ctx_errmsg(it->ctx);
    if (rc == CLEF_OK) {
        rc = clef_tokenizer_encode_recording(it->tok, it->sess, it->sg, rec, it->ids,
                                             (size_t)it->n_tokens, NULL, NULL);
        m = clef_session_errmsg(it->sess);
    }
    if (rc != CLEF_OK && rc != CLEF_ERR_NOMEM) {
        snprintf(it->why, sizeof it->why, "%s: %s", clef_strerror(rc), m);
        rc = CLEF_OK;
    } else if (rc == CLEF_OK) {
        for (int64_t i = 0; i < it->n_tokens; i++)
            it->u16[i] = (uint16_t)it->ids[i]; /* ids < codebook + mean levels <= 65,536 */
    }
    clef_recording_free(rec);
    return rc;
}

/* The weights (loaded for whole-session images) and the spectrogram they were trained on. */
static clef_status job_setup(tok_item *it, const char *weights_path) {
    clef_spectrogram *sg = NULL;
    int64_t cb = 0;
    clef_status rc = clef_tokenizer_load(&it->tok, it->ctx, weights_path);
    if (rc != CLEF_OK)
        return clefi_session_error(it->sess, rc, "%s", clef_ctx_errmsg(it->ctx));
    rc = clef_tokenizer_codebook(it->tok, &cb, NULL);
    if (rc == CLEF_OK && cb > 65536)
        return clefi_session_error(it->sess, CLEF_ERR_UNSUPPORTED,
                                   "codebook of %lld codes: token artifacts are uint16",
                                   (long long)cb);
    rc = clef_tokenizer_spectrogram_create(&sg, it->ctx, it->tok);
    if (rc != CLEF_OK)
        return clefi_session_error(it->sess, rc, "%s", clef_ctx_errmsg(it->ctx));
    it->sg = sg;
    it->n_tokens = clef_tokenizer_n_tokens(it->tok);
    if ((it->ids = clefi_malloc(it->ctx, (size_t)it->n_tokens * sizeof *it->ids)) == NULL ||
        (it->u16 = clefi_malloc(it->ctx, (size_t)it->n_tokens * sizeof *it->u16)) == NULL)
        return clefi_session_error(it->sess, CLEF_ERR_NOMEM, "cannot allocate %lld token ids",
                                   (long long)it->n_tokens);
    return CLEF_OK;
}

static clef_status store_err(clef_session *sess, clef_store *s, clef_status rc) {
    return clefi_session_error(sess, rc, "store: %s", clef_store_errmsg(s));
}

clef_status clef_tokenizer_job_run(clef_session *sess, clef_store *s, const char *weights_path,
                                   double stale_s, int64_t max_items, int64_t *n_processed,
                                   clef_eval_progress_fn progress, void *user) {
    if (n_processed != NULL)
        *n_processed = 0;
    if (sess == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(sess);
    clef_ctx *ctx = sess->ctx;
    if (s == NULL || weights_path == NULL)
        return clefi_session_error(sess, CLEF_ERR_INVALID_ARG, "store or weights_path is NULL");
    char job[sizeof TOK_JOB_PREFIX + HASH_HEX];
    memcpy(job, TOK_JOB_PREFIX, sizeof TOK_JOB_PREFIX - 1);
    const char *hash = job + sizeof TOK_JOB_PREFIX - 1;
    clef_status rc = clefi_sha256_file_hex(weights_path, job + sizeof TOK_JOB_PREFIX - 1);
    if (rc != CLEF_OK)
        return clefi_session_error(sess, CLEF_ERR_IO, "weights '%s': %s", weights_path,
                                   rc == CLEF_ERR_NOT_FOUND ? "cannot open" : "read error");
    tok_item *it = clefi_calloc(ctx, 1, sizeof *it);
    if (it == NULL)
        return clefi_session_error(sess, CLEF_ERR_NOMEM, "cannot allocate a job item");
    it->sess = sess;
    it->ctx = ctx;
    it->s = s;
    rc = job_setup(it, weights_path);
    int64_t total = 0, done = 0;
    clef_status src = CLEF_OK; /* store failures */
    if (rc == CLEF_OK)
        src = clef_store_job_add_sessions(s, job, NULL);
    if (rc == CLEF_OK && src == CLEF_OK && stale_s >= 0.0)
        src = clef_store_job_requeue(s, job, stale_s, 0, NULL);
    if (rc == CLEF_OK && src == CLEF_OK)
        src = clef_store_job_count(s, job, -1, &total);
    if (rc == CLEF_OK && src == CLEF_OK)
        src = clef_store_job_count(s, job, CLEF_JOB_DONE, &done);
    char sid[256];
    for (int64_t k = 0; rc == CLEF_OK && src == CLEF_OK && (max_items <= 0 || k < max_items); k++) {
        int32_t claimed = 0;
        size_t needed;
        src = clef_store_job_claim(s, job, sid, sizeof sid, &needed, &claimed);
        if (src != CLEF_OK || !claimed)
            break;
        it->why[0] = '\0';
        src = tokenize_one(it, sid);
        if (src == CLEF_OK && it->why[0] != '\0')
            src = clef_store_job_fail(s, job, sid, it->why);
        else if (src == CLEF_OK)
            src = clef_store_job_complete(s, job, sid, CLEF_ARTIFACT_TOKENS, hash, it->u16,
                                          (size_t)it->n_tokens * sizeof *it->u16);
        if (src != CLEF_OK)
            break;
        done++;
        if (n_processed != NULL)
            (*n_processed)++;
        if (progress != NULL && progress(done, total, sid, user) != 0)
            rc = clefi_session_error(sess, CLEF_ERR_CANCELLED,
                                     "tokenize job cancelled after %lld of %lld sessions",
                                     (long long)done, (long long)total);
    }
    if (rc == CLEF_OK && src == CLEF_ERR_NOMEM)
        rc = clefi_session_error(sess, src, "out of memory in the tokenize job");
    else if (rc == CLEF_OK && src != CLEF_OK)
        rc = store_err(sess, s, src);
    clefi_free(ctx, it->u16);
    clefi_free(ctx, it->ids);
    clef_spectrogram_free(it->sg);
    clef_tokenizer_free(it->tok);
    clefi_free(ctx, it);
    return rc;
}
