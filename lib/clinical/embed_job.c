/* embed_job.c — the band-power baseline embedding of every session of a store, as a resumable
 * job. SPDX-License-Identifier: BSD-3-Clause
 *
 * Uses the recording reader and the store only through the public API. Each item (a session)
 * is claimed, read as the 19 canonical channels in uV at 200 Hz (first 20 min, the CLEF
 * session length), embedded, and committed with its done state in one transaction
 * (clef_store_job_complete), so a killed run loses at most the items in flight. */
#include "clinical_int.h"

#include <stdio.h>
#include <string.h>

#define BP_JOB      "embed:bandpower"
#define BP_MODEL    "bandpower-v1"
#define BP_FS       200.0  /* CLEF_P_IO_TARGET_RATE default: the model input rate */
#define BP_LENGTH_S 1200.0 /* first 20 min (docs/ARCHITECTURE.md, length policy) */

const char *clef_bandpower_model_hash(void) { return BP_MODEL; }
const char *clef_bandpower_job_name(void) { return BP_JOB; }

/* Record the canonical channel map of a recording in the store. */
static clef_status put_channel_map(clef_store *s, const char *sid, clef_recording *rec) {
    for (int32_t c = 0; c < clef_canonical_n_channels(); c++) {
        int32_t sig = clef_recording_canonical_signal(rec, c);
        const char *label = sig >= 0 ? clef_recording_signal_label(rec, sig) : "";
        const char *status = sig < 0                                                 ? "zero_filled"
                             : clef_recording_signal_map(rec, sig) == CLEF_MAP_EXACT ? "present"
                                                                                     : "aliased";
        clef_status rc = clef_store_channel_map_put(s, sid, clef_canonical_channel_name(c),
                                                    label != NULL ? label : "", status);
        if (rc != CLEF_OK)
            return rc;
    }
    return CLEF_OK;
}

typedef struct bp_item {
    clef_ctx *ctx;
    clef_store *s;
    const char *sid;
    char path[4096];
    char why[CLEFI_ERRMSG_CAP]; /* data problem of this item (the job goes on) */
    float emb[CLEF_N_CANONICAL * CLEFI_N_BANDS];
} bp_item;

/* Read and embed one session. A data problem (unreadable file, no channel) sets it->why and
 * returns CLEF_OK; only store or memory failures are returned. */
static clef_status embed_one(bp_item *it) {
    size_t needed;
    clef_status rc = clef_store_recording_path(it->s, it->sid, it->path, sizeof it->path, &needed);
    if (rc != CLEF_OK)
        return rc;
    clef_recording *rec = NULL;
    float *buf = NULL;
    int64_t n = 0;
    rc = clef_recording_open(&rec, it->ctx, it->path, NULL);
    if (rc == CLEF_OK)
        rc = clef_recording_canonical_length(rec, 0.0, BP_LENGTH_S, &n);
    size_t cap = 0;
    if (rc == CLEF_OK && clefi_mul_overflow((size_t)n, CLEF_N_CANONICAL, &cap))
        rc = CLEF_ERR_OVERFLOW;
    if (rc == CLEF_OK && (buf = clefi_calloc(it->ctx, cap ? cap : 1, sizeof *buf)) == NULL)
        rc = CLEF_ERR_NOMEM;
    int64_t n_out = 0;
    if (rc == CLEF_OK)
        rc =
            clef_recording_read_canonical(rec, 0.0, BP_LENGTH_S, buf, (size_t)n, cap, &n_out, NULL);
    if (rc == CLEF_OK)
        rc = clef_bandpower_embed(it->ctx, buf, CLEF_N_CANONICAL, n_out, n, BP_FS, it->emb,
                                  sizeof it->emb / sizeof it->emb[0], NULL);
    if (rc != CLEF_OK && rc != CLEF_ERR_NOMEM) {
        const char *m = rec != NULL && clef_recording_errmsg(rec)[0] ? clef_recording_errmsg(rec)
                                                                     : clef_ctx_errmsg(it->ctx);
        snprintf(it->why, sizeof it->why, "%s: %s", clef_strerror(rc), m);
        rc = CLEF_OK;
    } else if (rc == CLEF_OK) {
        rc = put_channel_map(it->s, it->sid, rec);
    }
    clefi_free(it->ctx, buf);
    clef_recording_free(rec);
    return rc;
}

static clef_status store_err(clef_ctx *ctx, clef_store *s, clef_status rc) {
    return clefi_ctx_error(ctx, rc, "store: %s", clef_store_errmsg(s));
}

clef_status clef_bandpower_job_run(clef_ctx *ctx, clef_store *s, double stale_s, int64_t max_items,
                                   int64_t *n_processed, clef_eval_progress_fn progress,
                                   void *user) {
    clefi_reset(ctx);
    if (n_processed != NULL)
        *n_processed = 0;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (s == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "store is NULL");
    clef_status rc = clef_store_job_add_sessions(s, BP_JOB, NULL);
    if (rc == CLEF_OK && stale_s >= 0.0)
        rc = clef_store_job_requeue(s, BP_JOB, stale_s, 0, NULL);
    int64_t total = 0, done = 0;
    if (rc == CLEF_OK)
        rc = clef_store_job_count(s, BP_JOB, -1, &total);
    if (rc == CLEF_OK)
        rc = clef_store_job_count(s, BP_JOB, CLEF_JOB_DONE, &done);
    if (rc != CLEF_OK)
        return store_err(ctx, s, rc);
    bp_item *it = clefi_calloc(ctx, 1, sizeof *it);
    if (it == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate a job item");
    it->ctx = ctx;
    it->s = s;
    char sid[256];
    for (int64_t k = 0; max_items <= 0 || k < max_items; k++) {
        int32_t claimed = 0;
        size_t needed;
        rc = clef_store_job_claim(s, BP_JOB, sid, sizeof sid, &needed, &claimed);
        if (rc != CLEF_OK || !claimed)
            break;
        it->sid = sid;
        it->why[0] = '\0';
        rc = embed_one(it);
        if (rc == CLEF_OK && it->why[0] != '\0')
            rc = clef_store_job_fail(s, BP_JOB, sid, it->why);
        else if (rc == CLEF_OK)
            rc = clef_store_job_complete(s, BP_JOB, sid, CLEF_ARTIFACT_EMBEDDING, BP_MODEL, it->emb,
                                         sizeof it->emb);
        if (rc != CLEF_OK)
            break;
        done++;
        if (n_processed != NULL)
            (*n_processed)++;
        if (progress != NULL && progress(done, total, sid, user) != 0) {
            rc = clefi_ctx_error(ctx, CLEF_ERR_CANCELLED, "band-power job cancelled");
            break;
        }
    }
    clefi_free(ctx, it);
    if (rc != CLEF_OK && rc != CLEF_ERR_CANCELLED && rc != CLEF_ERR_NOMEM)
        return store_err(ctx, s, rc);
    return rc;
}
