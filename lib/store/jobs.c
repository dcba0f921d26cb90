/* jobs.c — resumable jobs: one row per item, claimed and completed in short transactions.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * A worker claims a pending item (state 0 -> 1, owner = its handle's random token) in one
 * short write transaction, computes, then in one transaction stores the result artifact and
 * marks the item done (1 -> 2) only if it still owns the claim. A process killed between the
 * two leaves the item claimed; clef_store_job_requeue() returns such claims to pending. A
 * result is therefore committed exactly once, with its state, or not at all. */
#include "store_int.h"

#include <string.h>

/* Unix time in seconds, computed by SQLite so no value is formatted into SQL. */
#define SQL_NOW "((julianday('now') - 2440587.5) * 86400.0)"

/* The argument checks every job function starts with. */
static clef_status check_job(clef_store *s, const char *job) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (job == NULL || job[0] == '\0')
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG, "job name is NULL or empty");
    return CLEF_OK;
}

/* Prepare a statement about one job: the job name is always bound to ?1. */
static clef_status prepare_for_job(clef_store *s, const char *job, const char *sql,
                                   sqlite3_stmt **st) {
    clef_status rc = clefi_store_prepare(s, sql, st);
    if (rc == CLEF_OK)
        clefi_bind_text(*st, 1, job);
    return rc;
}

static clef_status rollback(clef_store *s, clef_status rc) {
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

clef_status clef_store_job_add_item(clef_store *s, const char *job, const char *item) {
    clefi_reset(s);
    clef_status rc = check_job(s, job);
    if (rc != CLEF_OK)
        return rc;
    if (item == NULL || item[0] == '\0')
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG, "job item is NULL or empty");
    sqlite3_stmt *st;
    rc = prepare_for_job(s, job,
                         "INSERT INTO jobs(job, item) VALUES (?1, ?2) ON CONFLICT DO NOTHING", &st);
    if (rc != CLEF_OK)
        return rc;
    clefi_bind_text(st, 2, item);
    rc = clefi_store_step_done(s, st, "adding a job item");
    sqlite3_finalize(st);
    return rc;
}

clef_status clef_store_job_add_sessions(clef_store *s, const char *job, int64_t *n_added) {
    clefi_reset(s);
    if (n_added != NULL)
        *n_added = 0;
    clef_status rc = check_job(s, job);
    if (rc != CLEF_OK)
        return rc;
    sqlite3_stmt *st;
    rc = prepare_for_job(s, job,
                         "INSERT INTO jobs(job, item) SELECT ?1, session_id FROM sessions "
                         "WHERE true ON CONFLICT DO NOTHING",
                         &st);
    if (rc != CLEF_OK)
        return rc;
    rc = clefi_store_step_done(s, st, "adding sessions to a job");
    sqlite3_finalize(st);
    if (rc == CLEF_OK && n_added != NULL)
        *n_added = sqlite3_changes64(s->db);
    return rc;
}

/* Inside the claim transaction: pick the first pending item and mark it ours. */
static clef_status claim_one(clef_store *s, const char *job, char *item, size_t cap, size_t *needed,
                             int32_t *claimed) {
    sqlite3_stmt *st;
    clef_status rc = prepare_for_job(
        s, job,
        "UPDATE jobs SET state = 1, owner = ?2, claimed_at = " SQL_NOW ", attempts = attempts + 1"
        " WHERE job = ?1 AND item = (SELECT item FROM jobs WHERE job = ?1 AND state = 0"
        " ORDER BY item LIMIT 1) RETURNING item",
        &st);
    if (rc != CLEF_OK)
        return rc;
    clefi_bind_text(st, 2, s->owner);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        rc = clefi_copy_out_str(s, (const char *)sqlite3_column_text(st, 0), item, cap, needed);
        *claimed = rc == CLEF_OK;
        r = sqlite3_step(st);
    }
    if (rc == CLEF_OK && r != SQLITE_DONE)
        rc = clefi_store_sqlite_error(s, "claiming a job item");
    sqlite3_finalize(st);
    return rc;
}

clef_status clef_store_job_claim(clef_store *s, const char *job, char *item, size_t cap,
                                 size_t *needed, int32_t *claimed) {
    clefi_reset(s);
    if (needed != NULL)
        *needed = 0;
    if (claimed != NULL)
        *claimed = 0;
    if (s == NULL || claimed == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = check_job(s, job);
    if (rc != CLEF_OK)
        return rc;
    rc = clefi_store_exec(s, "BEGIN IMMEDIATE");
    if (rc != CLEF_OK)
        return rc;
    rc = claim_one(s, job, item, cap, needed, claimed);
    if (rc != CLEF_OK) {
        *claimed = 0;
        return rollback(s, rc);
    }
    rc = clefi_store_exec(s, "COMMIT");
    if (rc != CLEF_OK) {
        *claimed = 0;
        return rollback(s, rc);
    }
    return CLEF_OK;
}

/* Move an item we own from claimed to state, with a message; 0 rows means we lost it. */
static clef_status finish_item(clef_store *s, const char *job, const char *item, int32_t state,
                               const char *message) {
    sqlite3_stmt *st;
    clef_status rc = prepare_for_job(s, job,
                                     "UPDATE jobs SET state = ?3, message = ?4 WHERE job = ?1 "
                                     "AND item = ?2 AND state = 1 AND owner = ?5",
                                     &st);
    if (rc != CLEF_OK)
        return rc;
    clefi_bind_text(st, 2, item);
    sqlite3_bind_int(st, 3, state);
    clefi_bind_text(st, 4, message);
    clefi_bind_text(st, 5, s->owner);
    rc = clefi_store_step_done(s, st, "finishing a job item");
    sqlite3_finalize(st);
    if (rc == CLEF_OK && sqlite3_changes(s->db) != 1)
        rc = clefi_error(s->ctx, &s->err, CLEF_ERR_STATE,
                         "item '%s' of job '%s' is not claimed by this store handle", item, job);
    return rc;
}

clef_status clef_store_job_complete(clef_store *s, const char *job, const char *item, int32_t kind,
                                    const char *model_hash, const void *data, size_t n_bytes) {
    clefi_reset(s);
    clef_status rc = check_job(s, job);
    if (rc != CLEF_OK)
        return rc;
    if (item == NULL)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG, "job item is NULL");
    if (kind != 0 && (kind < CLEF_ARTIFACT_SPECTROGRAM || kind > CLEF_ARTIFACT_EMBEDDING ||
                      model_hash == NULL || (data == NULL && n_bytes > 0)))
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG,
                           "job result: kind %d needs a model hash and data", (int)kind);
    rc = clefi_store_exec(s, "BEGIN IMMEDIATE");
    if (rc != CLEF_OK)
        return rc;
    rc = finish_item(s, job, item, CLEF_JOB_DONE, "");
    if (rc == CLEF_OK && kind != 0)
        rc = clefi_store_put_artifact(s, item, kind, model_hash, data, n_bytes);
    if (rc == CLEF_OK)
        rc = clefi_store_exec(s, "COMMIT");
    return rc != CLEF_OK ? rollback(s, rc) : CLEF_OK;
}

clef_status clef_store_job_fail(clef_store *s, const char *job, const char *item,
                                const char *message) {
    clefi_reset(s);
    clef_status rc = check_job(s, job);
    if (rc != CLEF_OK)
        return rc;
    if (item == NULL)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG, "job item is NULL");
    return finish_item(s, job, item, CLEF_JOB_FAILED, message != NULL ? message : "");
}

clef_status clef_store_job_requeue(clef_store *s, const char *job, double older_than_s,
                                   int32_t include_failed, int64_t *n_requeued) {
    clefi_reset(s);
    if (n_requeued != NULL)
        *n_requeued = 0;
    clef_status rc = check_job(s, job);
    if (rc != CLEF_OK)
        return rc;
    if (!(older_than_s >= 0.0))
        return clefi_error(s->ctx, &s->err, CLEF_ERR_RANGE, "older_than_s %g is negative",
                           older_than_s);
    sqlite3_stmt *st;
    rc = prepare_for_job(s, job,
                         "UPDATE jobs SET state = 0, owner = '' WHERE job = ?1 AND"
                         " ((state = 1 AND claimed_at <= " SQL_NOW " - ?2)"
                         " OR (state = 3 AND ?3 <> 0))",
                         &st);
    if (rc != CLEF_OK)
        return rc;
    sqlite3_bind_double(st, 2, older_than_s);
    sqlite3_bind_int(st, 3, include_failed);
    rc = clefi_store_step_done(s, st, "requeueing job items");
    sqlite3_finalize(st);
    if (rc == CLEF_OK && n_requeued != NULL)
        *n_requeued = sqlite3_changes64(s->db);
    return rc;
}

clef_status clef_store_job_count(clef_store *s, const char *job, int32_t state, int64_t *out) {
    clefi_reset(s);
    if (out != NULL)
        *out = 0;
    if (s == NULL || out == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = check_job(s, job);
    if (rc != CLEF_OK)
        return rc;
    if (state < -1 || state > CLEF_JOB_FAILED)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG,
                           "job state %d is not a clef_job_state or -1", (int)state);
    sqlite3_stmt *st;
    rc = prepare_for_job(
        s, job, "SELECT count(*) FROM jobs WHERE job = ?1 AND (?2 < 0 OR state = ?2)", &st);
    if (rc != CLEF_OK)
        return rc;
    sqlite3_bind_int(st, 2, state);
    if (sqlite3_step(st) == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        rc = clefi_store_sqlite_error(s, "counting job items");
    sqlite3_finalize(st);
    return rc;
}
