/* store.c — the cohort store handle: open, pragmas, counts, artifacts, queries.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Every statement is a constant string with ? parameters: values are always bound, never
 * formatted into SQL. The store never calls sqlite3_config() (hosts such as Python share
 * SQLite) and uses one connection per handle. */
#include "store_int.h"

#include <string.h>

/* Wait this long for another connection's write lock before SQLITE_BUSY (ms). Long enough for
 * a worker's short claim/commit transactions, short enough to report a stuck writer. */
#define STORE_BUSY_TIMEOUT_MS 10000

clef_status clefi_store_sqlite_error(clef_store *s, const char *what) {
    int ext = sqlite3_extended_errcode(s->db);
    clef_status st = CLEF_ERR_IO;
    switch (ext & 0xff) {
    case SQLITE_NOMEM:
        st = CLEF_ERR_NOMEM;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        st = CLEF_ERR_BUSY;
        break;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
        st = CLEF_ERR_INVALID_ARG;
        break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        st = CLEF_ERR_FORMAT;
        break;
    case SQLITE_ERROR:
        st = CLEF_ERR_INTERNAL;
        break;
    default:
        break;
    }
    return clefi_error(s->ctx, &s->err, st, "%s: %s (SQLite %d)", what, sqlite3_errmsg(s->db), ext);
}

clef_status clefi_store_prepare(clef_store *s, const char *sql, sqlite3_stmt **out) {
    *out = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, out, NULL) != SQLITE_OK)
        return clefi_store_sqlite_error(s, "preparing a statement");
    return CLEF_OK;
}

clef_status clefi_store_exec(clef_store *s, const char *sql) {
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return clefi_store_sqlite_error(s, "executing SQL");
    return CLEF_OK;
}

int clefi_bind_text(sqlite3_stmt *st, int idx, const char *v) {
    if (v == NULL)
        return sqlite3_bind_null(st, idx);
    return sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT);
}

clef_status clefi_store_step_done(clef_store *s, sqlite3_stmt *st, const char *what) {
    int r = sqlite3_step(st);
    clef_status rc = CLEF_OK;
    if (r != SQLITE_DONE && r != SQLITE_ROW)
        rc = clefi_store_sqlite_error(s, what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

clef_status clefi_copy_out_str(clef_store *s, const char *v, char *buf, size_t cap,
                               size_t *needed) {
    size_t n = strlen(v) + 1;
    if (needed != NULL)
        *needed = n;
    if (buf == NULL || cap < n)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_BUFFER_TOO_SMALL,
                           "string of %zu bytes does not fit a buffer of %zu", n, cap);
    memcpy(buf, v, n);
    return CLEF_OK;
}

static clef_status store_configure(clef_store *s) {
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
    /* WAL: readers never block the writer; synchronous=NORMAL is durable against a killed
     * process (SQLite docs, "WAL mode"), which is what resumable jobs need. */
    sqlite3_stmt *st;
    clef_status rc = clefi_store_prepare(s, "PRAGMA journal_mode=WAL", &st);
    if (rc != CLEF_OK)
        return rc;
    int r = sqlite3_step(st);
    const unsigned char *mode = r == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    int is_wal = mode != NULL && strcmp((const char *)mode, "wal") == 0;
    sqlite3_finalize(st);
    if (r != SQLITE_ROW)
        return clefi_store_sqlite_error(s, "setting journal_mode=WAL");
    if (!is_wal)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_UNSUPPORTED,
                           "the store file system does not support WAL journaling");
    rc = clefi_store_exec(s, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL");
    if (rc != CLEF_OK)
        return rc;
    /* A random claim token tells this handle's job claims from other workers'. */
    unsigned char rnd[16];
    sqlite3_randomness((int)sizeof rnd, rnd);
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof rnd; i++) {
        s->owner[2 * i] = hex[rnd[i] >> 4];
        s->owner[2 * i + 1] = hex[rnd[i] & 15];
    }
    s->owner[32] = '\0';
    return clefi_store_migrate(s);
}

clef_status clef_store_open(clef_store **out, clef_ctx *ctx, const char *path) {
    clefi_reset(ctx);
    if (out == NULL)
        return CLEF_ERR_INVALID_ARG;
    *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (path == NULL || path[0] == '\0')
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "store path is NULL or empty");
    clef_store *s = clefi_calloc(ctx, 1, sizeof *s);
    if (s == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate a store handle");
    s->ctx = clefi_ctx_retain(ctx);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    clef_status rc;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        rc = s->db != NULL ? clefi_store_sqlite_error(s, "opening the store")
                           : clefi_error(ctx, &s->err, CLEF_ERR_NOMEM, "SQLite out of memory");
    } else {
        rc = store_configure(s);
    }
    if (rc != CLEF_OK) {
        clefi_ctx_error(ctx, rc, "store '%s': %s", path, s->err.msg);
        clef_store_free(s);
        return rc;
    }
    *out = s;
    return CLEF_OK;
}

void clef_store_free(clef_store *s) {
    if (s == NULL)
        return;
    sqlite3_close_v2(s->db);
    clef_ctx *ctx = s->ctx;
    clefi_free(ctx, s);
    clefi_ctx_release(ctx);
}

const char *clef_store_errmsg(const clef_store *s) { return s != NULL ? s->err.msg : ""; }

int32_t clef_store_schema_version(void) { return CLEFI_STORE_SCHEMA_VERSION; }

/* One constant statement per table: table names cannot be bound, and a fixed list keeps the
 * "no SQL built from values" rule. */
static const char *const k_count_sql[] = {
    NULL,
    "SELECT count(*) FROM patients",
    "SELECT count(*) FROM sessions",
    "SELECT count(*) FROM recording_files",
    "SELECT count(*) FROM channel_maps",
    "SELECT count(*) FROM reports",
    "SELECT count(*) FROM ehr_events",
    "SELECT count(*) FROM tasks",
    "SELECT count(*) FROM labels",
    "SELECT count(*) FROM splits",
    "SELECT count(*) FROM artifacts",
    "SELECT count(*) FROM jobs",
};

clef_status clef_store_count(clef_store *s, int32_t table, int64_t *out) {
    clefi_reset(s);
    if (out != NULL)
        *out = 0;
    if (s == NULL || out == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (table < CLEF_STORE_PATIENTS || table > CLEF_STORE_JOBS)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG, "table %d is not a store table",
                           (int)table);
    sqlite3_stmt *st;
    clef_status rc = clefi_store_prepare(s, k_count_sql[table], &st);
    if (rc != CLEF_OK)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        rc = clefi_store_sqlite_error(s, "counting rows");
    sqlite3_finalize(st);
    return rc;
}

clef_status clef_store_errcode(const clef_store *s) {
    return s != NULL ? s->err.code : CLEF_ERR_INVALID_ARG;
}

static clef_status check_artifact_args(clef_store *s, const char *session_id, int32_t kind,
                                       const char *model_hash) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (session_id == NULL || model_hash == NULL)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG,
                           "session_id and model_hash are required");
    if (kind < CLEF_ARTIFACT_SPECTROGRAM || kind > CLEF_ARTIFACT_EMBEDDING)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG,
                           "artifact kind %d is not a clef_artifact_kind", (int)kind);
    return CLEF_OK;
}

/* Prepare sql with an artifact's key (session, kind, model hash) bound to ?1, ?2, ?3. */
static clef_status prepare_artifact(clef_store *s, const char *sql, const char *session_id,
                                    int32_t kind, const char *model_hash, sqlite3_stmt **st) {
    clef_status rc = clefi_store_prepare(s, sql, st);
    if (rc != CLEF_OK)
        return rc;
    clefi_bind_text(*st, 1, session_id);
    sqlite3_bind_int(*st, 2, kind);
    clefi_bind_text(*st, 3, model_hash);
    return CLEF_OK;
}

clef_status clefi_store_put_artifact(clef_store *s, const char *session_id, int32_t kind,
                                     const char *model_hash, const void *data, size_t n_bytes) {
    if (n_bytes > (size_t)INT32_MAX)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_RANGE,
                           "artifact of %zu bytes exceeds the 2 GiB blob limit", n_bytes);
    sqlite3_stmt *st;
    clef_status rc = prepare_artifact(
        s,
        "INSERT INTO artifacts(session_id, kind, model_hash, data) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT(session_id, kind, model_hash) DO UPDATE SET data = excluded.data "
        "WHERE data IS NOT excluded.data",
        session_id, kind, model_hash, &st);
    if (rc != CLEF_OK)
        return rc;
    sqlite3_bind_blob(st, 4, n_bytes ? data : "", (int)n_bytes, SQLITE_STATIC);
    rc = clefi_store_step_done(s, st, "storing an artifact");
    sqlite3_finalize(st);
    return rc;
}

clef_status clef_store_artifact_put(clef_store *s, const char *session_id, int32_t kind,
                                    const char *model_hash, const void *data, size_t n_bytes) {
    clefi_reset(s);
    clef_status rc = check_artifact_args(s, session_id, kind, model_hash);
    if (rc != CLEF_OK)
        return rc;
    if (data == NULL && n_bytes > 0)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG, "artifact data is NULL");
    return clefi_store_put_artifact(s, session_id, kind, model_hash, data, n_bytes);
}

clef_status clef_store_artifact_get(clef_store *s, const char *session_id, int32_t kind,
                                    const char *model_hash, void *buf, size_t cap, size_t *needed) {
    clefi_reset(s);
    if (needed != NULL)
        *needed = 0;
    clef_status rc = check_artifact_args(s, session_id, kind, model_hash);
    if (rc != CLEF_OK)
        return rc;
    sqlite3_stmt *st;
    rc = prepare_artifact(s,
                          "SELECT data FROM artifacts WHERE session_id = ?1 AND kind = ?2 "
                          "AND model_hash = ?3",
                          session_id, kind, model_hash, &st);
    if (rc != CLEF_OK)
        return rc;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        const void *blob = sqlite3_column_blob(st, 0);
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        if (needed != NULL)
            *needed = n;
        if (n > cap || (buf == NULL && n > 0))
            rc = clefi_error(s->ctx, &s->err, CLEF_ERR_BUFFER_TOO_SMALL,
                             "artifact of %zu bytes does not fit a buffer of %zu", n, cap);
        else if (n > 0)
            memcpy(buf, blob, n);
    } else if (r == SQLITE_DONE) {
        rc = clefi_error(s->ctx, &s->err, CLEF_ERR_NOT_FOUND,
                         "no artifact of kind %d for session '%s' and model '%s'", (int)kind,
                         session_id, model_hash);
    } else {
        rc = clefi_store_sqlite_error(s, "reading an artifact");
    }
    sqlite3_finalize(st);
    return rc;
}

/* Run a query whose first column is text, its ?1 bound to key_text (or key_int when key_text
 * is NULL), and copy the first row's value out; *found stays 0 (and CLEF_OK is returned) when
 * there is no row, so the caller words the miss. */
static clef_status query_first_str(clef_store *s, const char *sql, const char *key_text,
                                   int64_t key_int, char *buf, size_t cap, size_t *needed,
                                   const char *what, int *found) {
    sqlite3_stmt *st;
    clef_status rc = clefi_store_prepare(s, sql, &st);
    if (rc != CLEF_OK)
        return rc;
    if (key_text != NULL)
        clefi_bind_text(st, 1, key_text);
    else
        sqlite3_bind_int64(st, 1, key_int);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        *found = 1;
        rc = clefi_copy_out_str(s, (const char *)sqlite3_column_text(st, 0), buf, cap, needed);
    } else if (r != SQLITE_DONE) {
        rc = clefi_store_sqlite_error(s, what);
    }
    sqlite3_finalize(st);
    return rc;
}

clef_status clef_store_recording_path(clef_store *s, const char *session_id, char *buf, size_t cap,
                                      size_t *needed) {
    clefi_reset(s);
    if (needed != NULL)
        *needed = 0;
    if (s == NULL || session_id == NULL)
        return CLEF_ERR_INVALID_ARG;
    int found = 0;
    clef_status rc =
        query_first_str(s, "SELECT path FROM recording_files WHERE session_id = ?1", session_id, 0,
                        buf, cap, needed, "reading a recording path", &found);
    if (rc == CLEF_OK && !found)
        rc = clefi_error(s->ctx, &s->err, CLEF_ERR_NOT_FOUND, "session '%s' has no recording file",
                         session_id);
    return rc;
}

/* One text column of a session's row (sql binds the session id at ?1); CLEF_ERR_NOT_FOUND
 * naming `what` when the session has none. */
static clef_status session_str(clef_store *s, const char *sql, const char *session_id, char *buf,
                               size_t cap, size_t *needed, const char *what) {
    clefi_reset(s);
    if (needed != NULL)
        *needed = 0;
    if (s == NULL || session_id == NULL)
        return CLEF_ERR_INVALID_ARG;
    int found = 0;
    clef_status rc = query_first_str(s, sql, session_id, 0, buf, cap, needed, what, &found);
    if (rc == CLEF_OK && !found)
        rc = clefi_error(s->ctx, &s->err, CLEF_ERR_NOT_FOUND, "session '%s' has no %s", session_id,
                         what);
    return rc;
}

clef_status clef_store_report_text(clef_store *s, const char *session_id, char *buf, size_t cap,
                                   size_t *needed) {
    return session_str(s, "SELECT text FROM reports WHERE session_id = ?1", session_id, buf, cap,
                       needed, "report");
}

/* Codes recorded at or before the session's start (ISO-8601 UTC strings compare as times):
 * what was known of the patient when the EEG was read. */
clef_status clef_store_session_ehr(clef_store *s, const char *session_id, char *buf, size_t cap,
                                   size_t *needed) {
    return session_str(
        s,
        "SELECT 'age ' || s.age_years || char(10) || 'sex ' || p.sex || char(10) ||"
        " 'race ' || p.race || coalesce((SELECT group_concat(char(10) || code, '') FROM"
        " (SELECT DISTINCT code FROM ehr_events e WHERE e.subject_id = s.subject_id"
        "  AND e.time <= s.start_time AND (code LIKE 'ICD10%' OR code LIKE 'ATC/%')"
        "  ORDER BY code)), '')"
        " FROM sessions s JOIN patients p ON p.subject_id = s.subject_id"
        " WHERE s.session_id = ?1",
        session_id, buf, cap, needed, "session record");
}

/* Row `index` of a one-column, ordered query (LIMIT 1 OFFSET ?1) into buf; CLEF_ERR_RANGE
 * naming `what` past the last row. */
static clef_status indexed_str(clef_store *s, const char *sql, const char *what, int64_t index,
                               char *buf, size_t cap, size_t *needed) {
    clefi_reset(s);
    if (needed != NULL)
        *needed = 0;
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (index < 0)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_RANGE, "%s index %lld is negative", what,
                           (long long)index);
    int found = 0;
    clef_status rc = query_first_str(s, sql, NULL, index, buf, cap, needed, what, &found);
    if (rc == CLEF_OK && !found)
        rc = clefi_error(s->ctx, &s->err, CLEF_ERR_RANGE, "%s index %lld is past the last one",
                         what, (long long)index);
    return rc;
}

clef_status clef_store_task_name(clef_store *s, int64_t index, char *buf, size_t cap,
                                 size_t *needed) {
    return indexed_str(s, "SELECT name FROM tasks ORDER BY name LIMIT 1 OFFSET ?1", "task", index,
                       buf, cap, needed);
}

clef_status clef_store_skipped_file(clef_store *s, int64_t index, char *buf, size_t cap,
                                    size_t *needed) {
    return indexed_str(s,
                       "SELECT path || ': ' || reason FROM import_skipped ORDER BY path LIMIT 1 "
                       "OFFSET ?1",
                       "skipped file", index, buf, cap, needed);
}

/* The sessions of a split, ordered by session id: SQL per split name (index 0 = CLEF_SPLIT_TRAIN;
 * the names are the schema's CHECK values). */
#define SPLIT_SESSIONS(name, what)                                                                 \
    "SELECT " what                                                                                 \
    " FROM sessions s JOIN splits p ON p.subject_id = s.subject_id WHERE p.split = '" name "'"
#define SPLIT_SQL(name)                                                                            \
    {                                                                                              \
        SPLIT_SESSIONS(name, "s.session_id")                                                       \
        " ORDER BY s.session_id LIMIT 1 OFFSET ?1", SPLIT_SESSIONS(name, "count(*)")               \
    }
static const char *const k_split_sql[3][2] = {SPLIT_SQL("train"), SPLIT_SQL("val"),
                                              SPLIT_SQL("test")};

static clef_status check_split(clef_store *s, int32_t split) {
    if (split < CLEF_SPLIT_TRAIN || split > CLEF_SPLIT_TEST)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG, "split %d is not a clef_split",
                           (int)split);
    return CLEF_OK;
}

clef_status clef_store_split_count(clef_store *s, int32_t split, int64_t *out) {
    clefi_reset(s);
    if (out != NULL)
        *out = 0;
    if (s == NULL || out == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = check_split(s, split);
    sqlite3_stmt *st = NULL;
    if (rc == CLEF_OK)
        rc = clefi_store_prepare(s, k_split_sql[split - 1][1], &st);
    if (rc != CLEF_OK)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        rc = clefi_store_sqlite_error(s, "counting a split's sessions");
    sqlite3_finalize(st);
    return rc;
}

clef_status clef_store_split_session(clef_store *s, int32_t split, int64_t index, char *buf,
                                     size_t cap, size_t *needed) {
    clefi_reset(s);
    if (needed != NULL)
        *needed = 0;
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = check_split(s, split);
    if (rc != CLEF_OK)
        return rc;
    if (index < 0)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_RANGE, "session index %lld is negative",
                           (long long)index);
    int found = 0;
    rc = query_first_str(s, k_split_sql[split - 1][0], NULL, index, buf, cap, needed,
                         "reading a split's session", &found);
    if (rc == CLEF_OK && !found)
        rc = clefi_error(s->ctx, &s->err, CLEF_ERR_RANGE,
                         "session index %lld is past the last session of the split",
                         (long long)index);
    return rc;
}

clef_status clef_store_channel_map_put(clef_store *s, const char *session_id, const char *channel,
                                       const char *source_label, const char *status) {
    clefi_reset(s);
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (session_id == NULL || channel == NULL || source_label == NULL || status == NULL)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG,
                           "channel map entry needs session, channel, source label and status");
    sqlite3_stmt *st;
    clef_status rc = clefi_store_prepare(
        s,
        "INSERT INTO channel_maps(session_id, channel, source_label, status) VALUES (?1, ?2, ?3, "
        "?4) ON CONFLICT(session_id, channel) DO UPDATE SET source_label = excluded.source_label, "
        "status = excluded.status WHERE source_label IS NOT excluded.source_label OR status IS NOT "
        "excluded.status",
        &st);
    if (rc != CLEF_OK)
        return rc;
    clefi_bind_text(st, 1, session_id);
    clefi_bind_text(st, 2, channel);
    clefi_bind_text(st, 3, source_label);
    clefi_bind_text(st, 4, status);
    rc = clefi_store_step_done(s, st, "storing a channel map entry");
    sqlite3_finalize(st);
    return rc;
}
