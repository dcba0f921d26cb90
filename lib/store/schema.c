/* schema.c — the cohort store schema and its forward migrations (docs/store.md).
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Migration k (1-based) takes a store from PRAGMA user_version k-1 to k. Each runs in one
 * transaction that ends by setting user_version, so a crash leaves the old or the new schema.
 * Migrations are only appended; a released one is never edited. */
#include "store_int.h"

static const char k_migration_1[] =
    "CREATE TABLE patients("
    " subject_id TEXT PRIMARY KEY NOT NULL,"
    " sex TEXT NOT NULL CHECK (sex IN ('F','M','U')),"
    " race TEXT NOT NULL) STRICT;"
    "CREATE TABLE sessions("
    " session_id TEXT PRIMARY KEY NOT NULL,"
    " subject_id TEXT NOT NULL REFERENCES patients(subject_id),"
    " start_time TEXT NOT NULL,"
    " duration_s REAL NOT NULL CHECK (duration_s >= 0),"
    " age_years REAL NOT NULL CHECK (age_years >= 0)) STRICT;"
    "CREATE INDEX sessions_subject ON sessions(subject_id);"
    "CREATE TABLE recording_files("
    " session_id TEXT PRIMARY KEY NOT NULL REFERENCES sessions(session_id),"
    " path TEXT NOT NULL,"
    " sha256 TEXT NOT NULL CHECK (length(sha256) = 64)) STRICT;"
    "CREATE TABLE channel_maps("
    " session_id TEXT NOT NULL REFERENCES sessions(session_id),"
    " channel TEXT NOT NULL,"
    " source_label TEXT NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('present','aliased','rereferenced','zero_filled')),"
    " PRIMARY KEY (session_id, channel)) STRICT;"
    "CREATE TABLE reports("
    " session_id TEXT PRIMARY KEY NOT NULL REFERENCES sessions(session_id),"
    " text TEXT NOT NULL) STRICT;"
    "CREATE TABLE ehr_events("
    " event_id INTEGER PRIMARY KEY,"
    " subject_id TEXT NOT NULL REFERENCES patients(subject_id),"
    " time TEXT NOT NULL,"
    " code TEXT NOT NULL,"
    " value TEXT NOT NULL,"
    " source TEXT NOT NULL CHECK (source IN ('events.csv','fhir')),"
    " UNIQUE (subject_id, time, code, value, source)) STRICT;"
    "CREATE TABLE tasks("
    " task_id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE) STRICT;"
    "CREATE TABLE labels("
    " task_id INTEGER NOT NULL REFERENCES tasks(task_id),"
    " session_id TEXT NOT NULL REFERENCES sessions(session_id),"
    " label INTEGER NOT NULL CHECK (label IN (-1, 0, 1)),"
    " PRIMARY KEY (task_id, session_id)) STRICT;"
    "CREATE TABLE splits("
    " subject_id TEXT PRIMARY KEY NOT NULL REFERENCES patients(subject_id),"
    " split TEXT NOT NULL CHECK (split IN ('train','val','test'))) STRICT;"
    "CREATE TABLE artifacts("
    " session_id TEXT NOT NULL REFERENCES sessions(session_id),"
    " kind INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 3),"
    " model_hash TEXT NOT NULL,"
    " data BLOB NOT NULL,"
    " PRIMARY KEY (session_id, kind, model_hash)) STRICT;"
    "CREATE TABLE jobs("
    " job TEXT NOT NULL,"
    " item TEXT NOT NULL,"
    " state INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 3),"
    " owner TEXT NOT NULL DEFAULT '',"
    " claimed_at REAL NOT NULL DEFAULT 0,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " message TEXT NOT NULL DEFAULT '',"
    " PRIMARY KEY (job, item)) STRICT;"
    "CREATE INDEX jobs_state ON jobs(job, state);"
    "PRAGMA user_version = 1;";

/* Files a quarantine import (CLEF_STORE_IMPORT_SKIP_BAD) left out, with the reason; a later
 * import that reads the file cleanly deletes its row. */
static const char k_migration_2[] = "CREATE TABLE import_skipped("
                                    " path TEXT PRIMARY KEY,"
                                    " reason TEXT NOT NULL) STRICT;"
                                    "PRAGMA user_version = 2;";

static const char *const k_migrations[] = {k_migration_1, k_migration_2};
#define N_MIGRATIONS ((int)(sizeof k_migrations / sizeof k_migrations[0]))
_Static_assert(sizeof k_migrations / sizeof k_migrations[0] == CLEFI_STORE_SCHEMA_VERSION,
               "one migration per schema version");

static clef_status read_user_version(clef_store *s, int *out) {
    sqlite3_stmt *st;
    clef_status rc = clefi_store_prepare(s, "PRAGMA user_version", &st);
    if (rc != CLEF_OK)
        return rc;
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = clefi_store_sqlite_error(s, "reading PRAGMA user_version");
        sqlite3_finalize(st);
        return rc;
    }
    *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return CLEF_OK;
}

clef_status clefi_store_migrate(clef_store *s) {
    for (;;) {
        /* BEGIN IMMEDIATE takes the write lock first, so two processes opening a new store
         * at once migrate it once: the second sees the new user_version. */
        clef_status rc = clefi_store_exec(s, "BEGIN IMMEDIATE");
        if (rc != CLEF_OK)
            return rc;
        int v = 0;
        rc = read_user_version(s, &v);
        if (rc == CLEF_OK && v > N_MIGRATIONS)
            rc = clefi_error(s->ctx, &s->err, CLEF_ERR_UNSUPPORTED,
                             "store schema version %d is newer than this library's (%d)", v,
                             N_MIGRATIONS);
        if (rc == CLEF_OK && v < 0)
            rc = clefi_error(s->ctx, &s->err, CLEF_ERR_FORMAT, "store user_version %d is negative",
                             v);
        if (rc == CLEF_OK && v < N_MIGRATIONS)
            rc = clefi_store_exec(s, k_migrations[v]);
        if (rc != CLEF_OK) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
        rc = clefi_store_exec(s, "COMMIT");
        if (rc != CLEF_OK) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
        if (v >= N_MIGRATIONS - 1)
            return CLEF_OK;
    }
}
