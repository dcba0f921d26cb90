/* embed_job.c — the band-power baseline embedding of every session of a store, as a resumable
 * job. SPDX-License-Identifier: BSD-3-Clause
 *
 * Uses the recording reader and the store only through the public API, run by the store-job
 * driver (lib/store/job_run.h). Each item (a session) is read as the 19 canonical channels in
 * uV at 200 Hz (first 20 min, the CLEF session length), embedded, and committed with its done
 * state in one transaction, so a killed run loses at most the item in flight. */
#include "clinical_int.h"

#include "job_run.h"

#define BP_JOB      "embed:bandpower"
#define BP_MODEL    "bandpower-v1"
#define BP_FS       200.0  /* CLEF_P_IO_TARGET_RATE default: the model input rate */
#define BP_LENGTH_S 1200.0 /* first 20 min (docs/ARCHITECTURE.md, length policy) */

const char *clef_bandpower_model_hash(void) { return BP_MODEL; }
const char *clef_bandpower_job_name(void) { return BP_JOB; }

/* Record the canonical channel map of a recording in the store. */
static clef_status put_channel_map(clef_store *s, const char *sid, clef_recording *rec) {
    for (int64_t c = 0; c < clef_canonical_n_channels(); c++) {
        int64_t sig = clef_recording_canonical_signal(rec, c);
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

typedef struct bp_job {
    float emb[CLEF_N_CANONICAL * CLEFI_N_BANDS];
} bp_job;

/* Read and embed one session and record its channel map; an unreadable file or a recording
 * without a channel fails the item. */
static clef_status embed_item(clefi_job_item *it, void *user) {
    bp_job *bj = user;
    clefi_job_session ses;
    clef_status rc = clefi_job_read_session(it, BP_LENGTH_S, &ses);
    if (rc == CLEF_OK && !it->failed) {
        rc = clef_bandpower_embed(it->ctx, ses.x, CLEF_N_CANONICAL, ses.n_out, (int64_t)ses.stride,
                                  BP_FS, bj->emb, sizeof bj->emb / sizeof bj->emb[0], NULL);
        if (rc != CLEF_OK)
            rc = clefi_job_item_fail(it, rc, clef_ctx_errmsg(it->ctx));
        else if ((rc = put_channel_map(it->s, it->id, ses.rec)) != CLEF_OK)
            rc = clefi_job_store_error(it, rc);
        else {
            it->data = bj->emb;
            it->n_bytes = sizeof bj->emb;
        }
    }
    clefi_job_session_free(it->ctx, &ses);
    return rc;
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
    bp_job *bj = clefi_calloc(ctx, 1, sizeof *bj);
    if (bj == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate a job item");
    const clefi_job_def def = {BP_JOB,   "band-power", CLEF_ARTIFACT_EMBEDDING,
                               BP_MODEL, embed_item,   bj};
    clef_status rc = clefi_job_run(ctx, s, &def, stale_s, max_items, n_processed, progress, user);
    clefi_free(ctx, bj);
    return rc;
}
