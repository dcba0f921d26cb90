/*
 * job_run.h — the driver of the library's resumable store jobs (job_run.c): one claim / compute /
 * complete-or-fail loop behind clef_bandpower_job_run, clef_tokenizer_job_run and the jobs to
 * come. SPDX-License-Identifier: BSD-3-Clause
 *
 * Internal: the interface of lib/store that the modules defining a job (lib/clinical,
 * lib/model) include. It uses the store and the recording reader through the public API only.
 */
#ifndef CLEF_STORE_JOB_RUN_H
#define CLEF_STORE_JOB_RUN_H

#include "core_int.h"

typedef struct clefi_job_def clefi_job_def;

/** One claimed item, handed to the job's callback. */
typedef struct clefi_job_item {
    const clefi_job_def *def;
    clef_ctx *ctx;
    clef_store *s;
    const char *id; /* the item: a session id */
    /* Set by the callback (the driver clears them before each item): */
    const void *data; /* the result artifact (kind and model hash of the def) */
    size_t n_bytes;
    int failed;                 /* set by clefi_job_item_fail */
    char why[CLEFI_ERRMSG_CAP]; /* the failure message stored with the item */
} clefi_job_item;

/** Compute one item: CLEF_OK with it->data set (the item is done) or with a failure recorded by
 *  clefi_job_item_fail (the item fails, the job goes on). Any other status stops the job; its
 *  message is then on it->ctx (clefi_job_item_fail and clefi_job_store_error record it). */
typedef clef_status (*clefi_job_item_fn)(clefi_job_item *it, void *user);

struct clefi_job_def {
    const char *name;       /* the job ("embed:bandpower", "tokenize:<hash>") */
    const char *what;       /* the job in messages: "band-power" -> "band-power job cancelled" */
    int32_t kind;           /* clef_artifact_kind of the results */
    const char *model_hash; /* the results' model hash */
    clefi_job_item_fn fn;
    void *user;
};

/** Run def over every session of the store: enqueue them, requeue claims older than stale_s
 *  (none if stale_s < 0), then claim and compute items until none is pending or max_items
 *  (> 0) are processed. Each result is committed with its done state in one transaction; a
 *  failed item keeps its message. *n_processed (may be NULL) counts this run's items;
 *  progress(done, total, item, user) follows each and cancels the run by returning nonzero
 *  (CLEF_ERR_CANCELLED). A store failure stops the run ("store: <message>" on ctx). */
CLEFI_HIDDEN clef_status clefi_job_run(clef_ctx *ctx, clef_store *s, const clefi_job_def *def,
                                       double stale_s, int64_t max_items, int64_t *n_processed,
                                       clef_eval_progress_fn progress, void *user);

/** A failure of the item's computation with status rc and msg, the text of the call that failed
 *  (NULL or "": the status alone). Out of memory stops the job (rc returned, recorded on ctx
 *  naming the job and item); any other status fails the item with "<status text>: <msg>" and
 *  returns CLEF_OK. */
CLEFI_HIDDEN clef_status clefi_job_item_fail(clefi_job_item *it, clef_status rc, const char *msg);
/** A store failure inside a callback: recorded on ctx as "store: <store message>", returned. */
CLEFI_HIDDEN clef_status clefi_job_store_error(clefi_job_item *it, clef_status rc);

/** A session's samples: its recording read as the 19 canonical channels at 200 Hz. */
typedef struct clefi_job_session {
    clef_recording *rec;
    float *x;      /* channel c at x + c * stride (zeroed beyond n_out) */
    size_t stride; /* samples per channel allocated */
    int64_t n_out; /* samples per channel read */
} clefi_job_session;

/** Read the item's recording (its path in the store) over [0, duration_s) (< 0: all) into *ses.
 *  An unreadable recording fails the item (clefi_job_item_fail: it->failed set, CLEF_OK);
 *  store and memory failures are returned. Free *ses with clefi_job_session_free either way. */
CLEFI_HIDDEN clef_status clefi_job_read_session(clefi_job_item *it, double duration_s,
                                                clefi_job_session *ses);
CLEFI_HIDDEN void clefi_job_session_free(clef_ctx *ctx, clefi_job_session *ses);

#endif /* CLEF_STORE_JOB_RUN_H */
