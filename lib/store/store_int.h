/*
 * store_int.h — libclef internal module 'store': the SQLite cohort store (schema, migrations,
 * resumable jobs) and the synthetic clinical cohort. SPDX-License-Identifier: BSD-3-Clause
 *
 * Private to the module (docs/ARCHITECTURE.md section 2): other modules use it through its
 * public API in include/clef.h only; tests/arch fails the build's tests when one includes this.
 */
#ifndef CLEF_STORE_INT_H
#define CLEF_STORE_INT_H

#include "core_int.h"

#include <sqlite3.h>

/** Schema version this library writes (PRAGMA user_version after all migrations). */
#define CLEFI_STORE_SCHEMA_VERSION 2

struct clef_store {
    clef_ctx *ctx;
    sqlite3 *db;
    clefi_err err;
    char owner[33]; /* random claim token of this handle (hex), for the jobs table */
};

/* ---- SQLite helpers (store.c) ---- */
/** Prepare a constant SQL statement; on failure record the SQLite message on s. */
CLEFI_HIDDEN clef_status clefi_store_prepare(clef_store *s, const char *sql, sqlite3_stmt **out);
/** Run constant SQL without parameters (DDL, BEGIN/COMMIT). */
CLEFI_HIDDEN clef_status clefi_store_exec(clef_store *s, const char *sql);
/** Record the connection's last SQLite error on s, prefixed with what. */
CLEFI_HIDDEN clef_status clefi_store_sqlite_error(clef_store *s, const char *what);
/** Bind a UTF-8 string (SQLITE_TRANSIENT); NULL binds SQL NULL. */
CLEFI_HIDDEN int clefi_bind_text(sqlite3_stmt *st, int idx, const char *v);
/** Step a statement that returns no row, reset it; CLEF_OK or the recorded error. */
CLEFI_HIDDEN clef_status clefi_store_step_done(clef_store *s, sqlite3_stmt *st, const char *what);
/** Copy a NUL-terminated string into a caller buffer with the needed-size convention. */
CLEFI_HIDDEN clef_status clefi_copy_out_str(clef_store *s, const char *v, char *buf, size_t cap,
                                            size_t *needed);

/** Apply the forward migrations up to CLEFI_STORE_SCHEMA_VERSION (schema.c). */
CLEFI_HIDDEN clef_status clefi_store_migrate(clef_store *s);

/** Upsert an artifact without argument checks (store.c; also used inside job transactions). */
CLEFI_HIDDEN clef_status clefi_store_put_artifact(clef_store *s, const char *session_id,
                                                  int32_t kind, const char *model_hash,
                                                  const void *data, size_t n_bytes);

/* The CSV reader (clefi_csv_*) is lib/core's (core_int.h). */

/* ---- FHIR R4 Bundle (XML) -> MEDS events (fhir.c) ---- */
/** One event found in a FHIR Bundle: code "ICD10CM/G40.909", "ATC/N03AX14", "SEX", ...
 *  time "" when the resource has none. Strings are valid during the callback only. */
typedef clef_status (*clefi_fhir_event_fn)(const char *subject, const char *time, const char *code,
                                           const char *value, void *user);
/** Parse a FHIR R4 Bundle in XML with libxml2 (no network, no entity substitution, no DTD
 *  loading) and call fn for each event. name is used in error messages; expected_subject
 *  (or NULL) is the Patient id the bundle must describe. */
CLEFI_HIDDEN clef_status clefi_fhir_parse(clef_ctx *ctx, const char *data, size_t n,
                                          const char *name, const char *expected_subject,
                                          clefi_fhir_event_fn fn, void *user, clefi_err *err);

#endif /* CLEF_STORE_INT_H */
