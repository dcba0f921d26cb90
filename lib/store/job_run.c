/* job_run.c — the driver of resumable store jobs (job_run.h). SPDX-License-Identifier: BSD-3-Clause
 *
 * Each item is claimed, computed by the job's callback and committed: its artifact with the done
 * state in one transaction (clef_store_job_complete), or its failure message. A killed run thus
 * loses at most the item in flight. Error text is taken from the call that failed, at the time
 * it failed: the ctx's last error is cleared before each item, so a message read from it later
 * is this item's or empty, never an older one's. */
#include "job_run.h"

#include <stdio.h>
#include <string.h>

clef_status clefi_job_store_error(clefi_job_item *it, clef_status rc) {
    return clefi_ctx_error(it->ctx, rc, "store: %s", clef_store_errmsg(it->s));
}

clef_status clefi_job_item_fail(clefi_job_item *it, clef_status rc, const char *msg) {
    if (msg == NULL)
        msg = "";
    if (rc == CLEF_ERR_NOMEM) {
        char m[CLEFI_ERRMSG_CAP];
        snprintf(m, sizeof m, "%s", msg[0] != '\0' ? msg : clef_strerror(rc)); /* may be ctx's */
        return clefi_ctx_error(it->ctx, rc, "%s job, item '%s': %s", it->def->what, it->id, m);
    }
    it->failed = 1;
    snprintf(it->why, sizeof it->why, "%s%s%s", clef_strerror(rc), msg[0] != '\0' ? ": " : "", msg);
    return CLEF_OK;
}

void clefi_job_session_free(clef_ctx *ctx, clefi_job_session *ses) {
    clefi_free(ctx, ses->x);
    clef_recording_free(ses->rec);
    memset(ses, 0, sizeof *ses);
}

clef_status clefi_job_read_session(clefi_job_item *it, double duration_s, clefi_job_session *ses) {
    memset(ses, 0, sizeof *ses);
    char path[4096];
    size_t needed;
    clef_status rc = clef_store_recording_path(it->s, it->id, path, sizeof path, &needed);
    if (rc != CLEF_OK)
        return clefi_job_store_error(it, rc);
    rc = clef_recording_open(&ses->rec, it->ctx, path, NULL);
    if (rc != CLEF_OK)
        return clefi_job_item_fail(it, rc, clef_ctx_errmsg(it->ctx));
    int64_t n = 0;
    rc = clef_recording_canonical_length(ses->rec, 0.0, duration_s, &n);
    if (rc != CLEF_OK)
        return clefi_job_item_fail(it, rc, clef_recording_errmsg(ses->rec));
    size_t cap;
    if (clefi_mul_overflow((size_t)n, CLEF_N_CANONICAL, &cap)) {
        char m[96];
        snprintf(m, sizeof m, "%lld samples x %d channels overflow", (long long)n,
                 CLEF_N_CANONICAL);
        return clefi_job_item_fail(it, CLEF_ERR_OVERFLOW, m);
    }
    if ((ses->x = clefi_calloc(it->ctx, cap ? cap : 1, sizeof *ses->x)) == NULL) {
        char m[96];
        snprintf(m, sizeof m, "cannot allocate %zu samples", cap);
        return clefi_job_item_fail(it, CLEF_ERR_NOMEM, m);
    }
    ses->stride = (size_t)n;
    rc = clef_recording_read_canonical(ses->rec, 0.0, duration_s, ses->x, ses->stride, cap,
                                       &ses->n_out, NULL);
    if (rc != CLEF_OK)
        return clefi_job_item_fail(it, rc, clef_recording_errmsg(ses->rec));
    return CLEF_OK;
}

/* Compute and commit one claimed item; store failures and the callback's fatal ones are
 * returned with their message on ctx. */
static clef_status run_item(clefi_job_item *it) {
    const clefi_job_def *def = it->def;
    it->data = NULL;
    it->n_bytes = 0;
    it->failed = 0;
    it->why[0] = '\0';
    clefi_err_clear(&it->ctx->err);
    clef_status rc = def->fn(it, def->user);
    if (rc != CLEF_OK) {
        if (clef_ctx_errmsg(it->ctx)[0] == '\0')
            clefi_ctx_error(it->ctx, rc, "%s job, item '%s': %s", def->what, it->id,
                            clef_strerror(rc));
        return rc;
    }
    if (it->failed)
        rc = clef_store_job_fail(it->s, def->name, it->id, it->why);
    else if (it->data == NULL && it->n_bytes == 0)
        return clefi_ctx_error(it->ctx, CLEF_ERR_INTERNAL,
                               "%s job, item '%s': neither a result nor a failure", def->what,
                               it->id);
    else
        rc = clef_store_job_complete(it->s, def->name, it->id, def->kind, def->model_hash, it->data,
                                     it->n_bytes);
    return rc != CLEF_OK ? clefi_job_store_error(it, rc) : CLEF_OK;
}

clef_status clefi_job_run(clef_ctx *ctx, clef_store *s, const clefi_job_def *def, double stale_s,
                          int64_t max_items, int64_t *n_processed, clef_eval_progress_fn progress,
                          void *user) {
    if (n_processed != NULL)
        *n_processed = 0;
    clefi_job_item it = {.def = def, .ctx = ctx, .s = s};
    clef_status rc = clef_store_job_add_sessions(s, def->name, NULL);
    if (rc == CLEF_OK && stale_s >= 0.0)
        rc = clef_store_job_requeue(s, def->name, stale_s, 0, NULL);
    int64_t total = 0, done = 0;
    if (rc == CLEF_OK)
        rc = clef_store_job_count(s, def->name, -1, &total);
    if (rc == CLEF_OK)
        rc = clef_store_job_count(s, def->name, CLEF_JOB_DONE, &done);
    if (rc != CLEF_OK)
        return clefi_job_store_error(&it, rc);
    char id[256];
    for (int64_t k = 0; max_items <= 0 || k < max_items; k++) {
        int32_t claimed = 0;
        size_t needed;
        rc = clef_store_job_claim(s, def->name, id, sizeof id, &needed, &claimed);
        if (rc != CLEF_OK)
            return clefi_job_store_error(&it, rc);
        if (!claimed)
            break;
        it.id = id;
        if ((rc = run_item(&it)) != CLEF_OK)
            return rc;
        done++;
        if (n_processed != NULL)
            (*n_processed)++;
        if (progress != NULL && progress(done, total, id, user) != 0)
            return clefi_ctx_error(ctx, CLEF_ERR_CANCELLED, "%s job cancelled", def->what);
    }
    return CLEF_OK;
}
