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

#include "../store/job_run.h"

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
    clef_ctx *ctx;
    clef_tokenizer *tok;
    clef_spectrogram *sg;
    int32_t n_threads;
    int64_t n_ch, n_freq, n_tokens;
    double read_s; /* seconds of each recording read: the session image's span + margin */
    int32_t *ids;
    uint16_t *u16;
} tok_job;

/* The spectrogram of a session's samples, encoded into tj->u16 (the one place that computes
 * spectrograms and tokens). A recording shorter than one spectrogram window fails the item. */
static clef_status encode_session(tok_job *tj, clefi_job_item *it, const clefi_job_session *ses) {
    int64_t frames = clef_spectrogram_n_frames(tj->sg, ses->n_out);
    if (frames < 1) {
        char m[96];
        snprintf(m, sizeof m, "%lld samples at 200 Hz: shorter than one spectrogram window",
                 (long long)ses->n_out);
        return clefi_job_item_fail(it, CLEF_ERR_SHAPE, m);
    }
    size_t spec_cap;
    if (clefi_mul_overflow((size_t)tj->n_ch, (size_t)tj->n_freq, &spec_cap) ||
        clefi_mul_overflow(spec_cap, (size_t)frames, &spec_cap))
        return clefi_job_item_fail(it, CLEF_ERR_OVERFLOW, "spectrogram size overflows");
    float *spec = clefi_malloc(tj->ctx, spec_cap * sizeof *spec);
    if (spec == NULL)
        return clefi_job_item_fail(it, CLEF_ERR_NOMEM, "cannot allocate the spectrogram");
    clef_status rc = clef_spectrogram_compute(tj->sg, ses->x, ses->stride, tj->n_ch, ses->n_out,
                                              spec, spec_cap, NULL);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_encode(tj->tok, tj->ctx, spec, tj->n_ch, tj->n_freq, frames,
                                   tj->n_threads, tj->ids, (size_t)tj->n_tokens, NULL, 0, NULL);
    clefi_free(tj->ctx, spec);
    if (rc != CLEF_OK)
        return clefi_job_item_fail(it, rc, clef_ctx_errmsg(tj->ctx));
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

/* The weights as a session tokenizer (clef_tokenizer_session_frames()) and the spectrogram
 * they were trained on. */
static clef_status job_setup(tok_job *tj, const char *weights_path) {
    clef_tokenizer *w = NULL, *tok = NULL;
    clef_params *p = NULL;
    clef_spectrogram *sg = NULL;
    int64_t crop_t = 0, cb = 0;
    clef_status rc = clef_tokenizer_load(&w, tj->ctx, weights_path);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_shape(w, &tj->n_ch, &tj->n_freq, &crop_t, NULL, NULL);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_codebook(w, &cb, NULL);
    if (rc == CLEF_OK && cb > 65536)
        rc = clefi_ctx_error(tj->ctx, CLEF_ERR_UNSUPPORTED,
                             "codebook of %lld codes: token artifacts are uint16", (long long)cb);
    int64_t session_t = clef_tokenizer_session_frames(w);
    if (rc == CLEF_OK && crop_t != session_t)
        rc = clef_tokenizer_clone_crop(&tok, w, tj->ctx, session_t);
    else if (rc == CLEF_OK) {
        tok = w;
        w = NULL;
    }
    clef_tokenizer_free(w);
    if (rc == CLEF_OK)
        rc = clef_params_create(&p, tj->ctx, CLEF_PARAMS_SPEC);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(p, CLEF_P_SPEC_N_THREADS, tj->n_threads);
    if (rc == CLEF_OK)
        rc = clef_spectrogram_create(&sg, tj->ctx, p);
    clef_params_free(p);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_check_spectrogram(tok, tj->ctx, sg);
    tj->read_s = clef_tokenizer_read_seconds(tok, sg);
    tj->n_tokens = clef_tokenizer_n_tokens(tok);
    if (rc == CLEF_OK &&
        ((tj->ids = clefi_malloc(tj->ctx, (size_t)tj->n_tokens * sizeof *tj->ids)) == NULL ||
         (tj->u16 = clefi_malloc(tj->ctx, (size_t)tj->n_tokens * sizeof *tj->u16)) == NULL))
        rc = clefi_ctx_error(tj->ctx, CLEF_ERR_NOMEM, "cannot allocate %lld token ids",
                             (long long)tj->n_tokens);
    tj->tok = tok;
    tj->sg = sg;
    return rc;
}

clef_status clef_tokenizer_job_run(clef_ctx *ctx, clef_store *s, const char *weights_path,
                                   int32_t n_threads, double stale_s, int64_t max_items,
                                   int64_t *n_processed, clef_eval_progress_fn progress,
                                   void *user) {
    if (n_processed != NULL)
        *n_processed = 0;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (s == NULL || weights_path == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "store or weights_path is NULL");
    if (n_threads < 1)
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE, "n_threads %d < 1", (int)n_threads);
    char job[sizeof TOK_JOB_PREFIX + HASH_HEX];
    memcpy(job, TOK_JOB_PREFIX, sizeof TOK_JOB_PREFIX - 1);
    const char *hash = job + sizeof TOK_JOB_PREFIX - 1;
    clef_status rc = file_sha256(ctx, weights_path, job + sizeof TOK_JOB_PREFIX - 1);
    if (rc != CLEF_OK)
        return rc;
    tok_job *tj = clefi_calloc(ctx, 1, sizeof *tj);
    if (tj == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate a job item");
    tj->ctx = ctx;
    tj->n_threads = n_threads;
    rc = job_setup(tj, weights_path);
    const clefi_job_def def = {job, "tokenize", CLEF_ARTIFACT_TOKENS, hash, tokenize_item, tj};
    if (rc == CLEF_OK)
        rc = clefi_job_run(ctx, s, &def, stale_s, max_items, n_processed, progress, user);
    clefi_free(ctx, tj->u16);
    clefi_free(ctx, tj->ids);
    clef_spectrogram_free(tj->sg);
    clef_tokenizer_free(tj->tok);
    clefi_free(ctx, tj);
    return rc;
}
