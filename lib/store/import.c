/* import.c — cohort directory (docs/COHORT-FORMAT.md) -> store, in one transaction.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Idempotent: every insert is an upsert that writes only when a value differs, so importing
 * the same directory twice changes no row (rows_changed = 0). A failed import rolls back and
 * leaves the store as it was. Errors name the file, line and column. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "store_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct importer {
    clef_store *s;
    char dir[PATH_MAX];
    char path[PATH_MAX];
    char **sessions; /* session ids of manifest.csv, in file order */
    char **subjects; /* distinct subject ids of manifest.csv */
    size_t n_sessions, cap_sessions, n_subjects, cap_subjects;
    clef_store_progress_fn progress;
    void *user;
    sqlite3_stmt *st_event; /* ehr_events insert, shared by events.csv and FHIR */
    const char *event_source;
    const char *fhir_subject; /* subject of the FHIR file being read */
    uint32_t flags;           /* clef_store_import_flag */
    int64_t n_skipped;        /* files quarantined by this import */
    sqlite3_stmt *st_skip[2]; /* import_skipped: record a file, forget a file */
} importer;

static clef_status join(importer *im, const char *rel) {
    int w = snprintf(im->path, sizeof im->path, "%s/%s", im->dir, rel);
    if (w < 0 || (size_t)w >= sizeof im->path)
        return clefi_error(im->s->ctx, &im->s->err, CLEF_ERR_RANGE, "path '%s/%s' is too long",
                           im->dir, rel);
    return CLEF_OK;
}

static clef_status push_id(importer *im, char ***list, size_t *n, size_t *cap, const char *id) {
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        char **nl = clefi_realloc_array(im->s->ctx, *list, nc, sizeof *nl);
        if (nl == NULL)
            return clefi_error(im->s->ctx, &im->s->err, CLEF_ERR_NOMEM, "cannot grow an id list");
        *list = nl;
        *cap = nc;
    }
    char *d = clefi_strdup(im->s->ctx, id);
    if (d == NULL)
        return clefi_error(im->s->ctx, &im->s->err, CLEF_ERR_NOMEM, "cannot copy an id");
    (*list)[(*n)++] = d;
    return CLEF_OK;
}

static void free_ids(clef_ctx *ctx, char **list, size_t n) {
    for (size_t i = 0; i < n; i++)
        clefi_free(ctx, list[i]);
    clefi_free(ctx, list);
}

/* ---- field validation: each failure names file, line, column and header name ---- */

typedef struct field_ref {
    importer *im;
    clefi_csv *r;
    const size_t *idx;
    const char *const *names;
} field_ref;

static clef_status bad_field(const field_ref *f, size_t k, const char *why) {
    return clefi_error(f->im->s->ctx, &f->im->s->err, CLEF_ERR_FORMAT,
                       "%s line %lld, column %zu (%s): '%.40s' %s", clefi_csv_name(f->r),
                       (long long)clefi_csv_line(f->r), f->idx[k] + 1, f->names[k],
                       clefi_csv_get(f->r, f->idx[k]), why);
}

static clef_status need_id(const field_ref *f, size_t k) {
    const char *v = clefi_csv_get(f->r, f->idx[k]);
    size_t len = strlen(v);
    if (len == 0 || len > 128)
        return bad_field(f, k, "must be 1 to 128 characters");
    /* ids become file names (reports/<id>.txt): no separators, no dot-dot */
    if (strchr(v, '/') != NULL || strchr(v, '\\') != NULL || strcmp(v, ".") == 0 ||
        strcmp(v, "..") == 0)
        return bad_field(f, k, "is not a valid id (no '/', '\\', '.' or '..')");
    return CLEF_OK;
}

static clef_status need_real(const field_ref *f, size_t k, double lo, double hi, double *out) {
    const char *v = clefi_csv_get(f->r, f->idx[k]);
    char *end;
    errno = 0;
    double x = clefi_strtod(v, &end);
    if (v[0] == '\0' || *end != '\0' || errno != 0 || !isfinite(x))
        return bad_field(f, k, "is not a number");
    if (x < lo || x > hi)
        return bad_field(f, k, "is out of range");
    *out = x;
    return CLEF_OK;
}

static clef_status need_time(const field_ref *f, size_t k) {
    const char *v = clefi_csv_get(f->r, f->idx[k]);
    size_t n = strlen(v);
    /* ISO 8601 with a zone: YYYY-MM-DDThh:mm:ss[.f](Z|+hh:mm|-hh:mm) */
    int zoned = n >= 20 && (v[n - 1] == 'Z' ||
                            (n >= 25 && (v[n - 6] == '+' || v[n - 6] == '-') && v[n - 3] == ':'));
    if (!zoned || v[4] != '-' || v[7] != '-' || v[10] != 'T' || v[13] != ':')
        return bad_field(f, k, "is not an ISO 8601 time with a zone");
    return CLEF_OK;
}

static clef_status need_hex64(const field_ref *f, size_t k) {
    const char *v = clefi_csv_get(f->r, f->idx[k]);
    size_t n = strlen(v);
    for (size_t i = 0; i < n; i++)
        if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
            return bad_field(f, k, "is not lowercase hexadecimal");
    return n == 64 ? CLEF_OK : bad_field(f, k, "is not 64 hex digits (SHA-256)");
}

static clef_status need_relpath(const field_ref *f, size_t k) {
    const char *v = clefi_csv_get(f->r, f->idx[k]);
    if (v[0] == '\0' || v[0] == '/' || v[0] == '\\')
        return bad_field(f, k, "must be a path relative to the cohort directory");
    for (const char *p = v; *p != '\0'; p++)
        if ((p == v || p[-1] == '/') && p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
            return bad_field(f, k, "must not leave the cohort directory ('..')");
    return CLEF_OK;
}

static clef_status need_one_of(const field_ref *f, size_t k, const char *const *allowed, size_t n) {
    const char *v = clefi_csv_get(f->r, f->idx[k]);
    for (size_t i = 0; i < n; i++)
        if (strcmp(v, allowed[i]) == 0)
            return CLEF_OK;
    return bad_field(f, k, "is not an allowed value");
}

/* Step an insert, naming the CSV row on failure (e.g. a foreign key to an unknown id). */
static clef_status step_row(importer *im, sqlite3_stmt *st, const char *file, int64_t line) {
    int r = sqlite3_step(st);
    clef_status rc = CLEF_OK;
    if (r != SQLITE_DONE) {
        rc = clefi_store_sqlite_error(im->s, "insert");
        rc = clefi_error(im->s->ctx, &im->s->err, rc, "%s line %lld: %s", file, (long long)line,
                         sqlite3_errmsg(im->s->db));
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* Open dir/name as CSV with the given header columns; *data must be freed by the caller. */
static clef_status open_csv(importer *im, const char *name, const char *const *cols,
                            const int *optional, size_t n, size_t *idx, char **data,
                            clefi_csv **r) {
    *r = NULL;
    size_t len;
    clef_status rc = join(im, name);
    if (rc == CLEF_OK)
        rc = clefi_read_file(im->s->ctx, im->path, data, &len, &im->s->err);
    if (rc == CLEF_OK)
        rc = clefi_csv_open(r, im->s->ctx, *data, len, name, &im->s->err);
    if (rc == CLEF_OK)
        rc = clefi_csv_header(*r, cols, optional, n, idx, &im->s->err);
    return rc;
}

/* ---- manifest.csv: patients, sessions, recording files ---- */

enum { M_SESSION, M_SUBJECT, M_PATH, M_SHA, M_START, M_DUR, M_AGE, M_SEX, M_RACE, M_N };
static const char *const k_manifest_cols[M_N] = {"session_id", "subject_id", "path",
                                                 "sha256",     "start_time", "duration_s",
                                                 "age_years",  "sex",        "race"};

static const char k_sql_patient[] =
    "INSERT INTO patients(subject_id, sex, race) VALUES (?1, ?2, ?3) ON CONFLICT(subject_id) DO "
    "UPDATE SET sex = excluded.sex, race = excluded.race WHERE sex IS NOT excluded.sex OR race IS "
    "NOT excluded.race";
static const char k_sql_session[] =
    "INSERT INTO sessions(session_id, subject_id, start_time, duration_s, age_years) VALUES (?1, "
    "?2, ?3, ?4, ?5) ON CONFLICT(session_id) DO UPDATE SET subject_id = excluded.subject_id, "
    "start_time = excluded.start_time, duration_s = excluded.duration_s, age_years = "
    "excluded.age_years WHERE subject_id IS NOT excluded.subject_id OR start_time IS NOT "
    "excluded.start_time OR duration_s IS NOT excluded.duration_s OR age_years IS NOT "
    "excluded.age_years";
static const char k_sql_recording[] =
    "INSERT INTO recording_files(session_id, path, sha256) VALUES (?1, ?2, ?3) "
    "ON CONFLICT(session_id) DO UPDATE SET path = excluded.path, sha256 = excluded.sha256 "
    "WHERE path IS NOT excluded.path OR sha256 IS NOT excluded.sha256";

/* SHA-256 of the file at im->path into hex; CLEF_ERR_NOT_FOUND (no message) if it cannot be
 * opened, so the caller can name the manifest row. */
static clef_status hash_file(importer *im, char hex[65]) {
    clef_status rc = clefi_sha256_file_hex(im->path, hex);
    if (rc == CLEF_ERR_IO)
        return clefi_error(im->s->ctx, &im->s->err, CLEF_ERR_IO, "cannot read '%s'", im->path);
    return rc;
}

/* The recording must exist and its SHA-256 must equal the manifest's. */
static clef_status check_recording(importer *im, const field_ref *f) {
    clef_status rc = join(im, clefi_csv_get(f->r, f->idx[M_PATH]));
    if (rc != CLEF_OK)
        return rc;
    char hex[65];
    rc = hash_file(im, hex);
    if (rc == CLEF_ERR_NOT_FOUND)
        return bad_field(f, M_PATH, "names a file that cannot be opened");
    if (rc != CLEF_OK)
        return rc;
    if (strcmp(hex, clefi_csv_get(f->r, f->idx[M_SHA])) != 0)
        return bad_field(f, M_SHA, "differs from the file's SHA-256 (file changed or corrupt)");
    return CLEF_OK;
}

static int known_subject(const importer *im, const char *id) {
    for (size_t i = im->n_subjects; i-- > 0;)
        if (strcmp(im->subjects[i], id) == 0)
            return 1;
    return 0;
}

static clef_status manifest_row(importer *im, const field_ref *f, sqlite3_stmt *const st[3]) {
    static const char *const sexes[] = {"F", "M", "U"};
    double dur, age;
    clef_status rc = need_id(f, M_SESSION);
    if (rc == CLEF_OK)
        rc = need_id(f, M_SUBJECT);
    if (rc == CLEF_OK)
        rc = need_relpath(f, M_PATH);
    if (rc == CLEF_OK)
        rc = need_hex64(f, M_SHA);
    if (rc == CLEF_OK)
        rc = need_time(f, M_START);
    if (rc == CLEF_OK) /* a session is at most a few days long */
        rc = need_real(f, M_DUR, 0.0, 1e7, &dur);
    if (rc == CLEF_OK)
        rc = need_real(f, M_AGE, 0.0, 150.0, &age);
    if (rc == CLEF_OK)
        rc = need_one_of(f, M_SEX, sexes, 3);
    if (rc == CLEF_OK && clefi_csv_get(f->r, f->idx[M_RACE])[0] == '\0')
        rc = bad_field(f, M_RACE, "must not be empty");
    if (rc == CLEF_OK)
        rc = check_recording(im, f);
    if (rc != CLEF_OK)
        return rc;
    const char *sid = clefi_csv_get(f->r, f->idx[M_SESSION]);
    const char *subj = clefi_csv_get(f->r, f->idx[M_SUBJECT]);
    int64_t line = clefi_csv_line(f->r);
    clefi_bind_text(st[0], 1, subj);
    clefi_bind_text(st[0], 2, clefi_csv_get(f->r, f->idx[M_SEX]));
    clefi_bind_text(st[0], 3, clefi_csv_get(f->r, f->idx[M_RACE]));
    rc = step_row(im, st[0], "manifest.csv", line);
    if (rc != CLEF_OK)
        return rc;
    clefi_bind_text(st[1], 1, sid);
    clefi_bind_text(st[1], 2, subj);
    clefi_bind_text(st[1], 3, clefi_csv_get(f->r, f->idx[M_START]));
    sqlite3_bind_double(st[1], 4, dur);
    sqlite3_bind_double(st[1], 5, age);
    rc = step_row(im, st[1], "manifest.csv", line);
    if (rc != CLEF_OK)
        return rc;
    clefi_bind_text(st[2], 1, sid);
    clefi_bind_text(st[2], 2, im->path);
    clefi_bind_text(st[2], 3, clefi_csv_get(f->r, f->idx[M_SHA]));
    rc = step_row(im, st[2], "manifest.csv", line);
    if (rc == CLEF_OK)
        rc = push_id(im, &im->sessions, &im->n_sessions, &im->cap_sessions, sid);
    if (rc == CLEF_OK && !known_subject(im, subj))
        rc = push_id(im, &im->subjects, &im->n_subjects, &im->cap_subjects, subj);
    return rc;
}

/* Run fn over every data row of a CSV file with the given columns and prepared statements. */
typedef clef_status (*row_fn)(importer *im, const field_ref *f, sqlite3_stmt *const *st);

static clef_status each_row(importer *im, const char *file, const char *const *cols, size_t ncols,
                            const char *const *sql, size_t nsql, row_fn fn) {
    size_t idx[16];
    sqlite3_stmt *st[4] = {NULL, NULL, NULL, NULL};
    char *data = NULL;
    clefi_csv *r = NULL;
    clef_status rc = open_csv(im, file, cols, NULL, ncols, idx, &data, &r);
    for (size_t i = 0; i < nsql && rc == CLEF_OK; i++)
        rc = clefi_store_prepare(im->s, sql[i], &st[i]);
    field_ref f = {im, r, idx, cols};
    int has_row = 1;
    while (rc == CLEF_OK) {
        rc = clefi_csv_next(r, &has_row, &im->s->err);
        if (rc != CLEF_OK || !has_row)
            break;
        rc = clefi_csv_check_width(r, &im->s->err);
        if (rc == CLEF_OK)
            rc = fn(im, &f, st);
    }
    for (size_t i = 0; i < nsql; i++)
        sqlite3_finalize(st[i]);
    clefi_csv_free(r);
    clefi_free(im->s->ctx, data);
    return rc;
}

static int report_progress(importer *im, int64_t done, int64_t total);

static clef_status manifest_fn(importer *im, const field_ref *f, sqlite3_stmt *const *st) {
    clef_status rc = manifest_row(im, f, st);
    /* hashing the recordings is the slow part; their count is not known yet (-1) */
    if (rc == CLEF_OK && report_progress(im, (int64_t)im->n_sessions, -1))
        rc = clefi_error(im->s->ctx, &im->s->err, CLEF_ERR_CANCELLED, "import cancelled");
    return rc;
}

/* ---- events.csv and FHIR: MEDS events ---- */

enum { E_SUBJECT, E_TIME, E_CODE, E_VALUE, E_N };
static const char *const k_event_cols[E_N] = {"subject_id", "time", "code", "value"};
static const char k_sql_event[] =
    "INSERT INTO ehr_events(subject_id, time, code, value, source) VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT DO NOTHING";

static clef_status event_fn(importer *im, const field_ref *f, sqlite3_stmt *const *st) {
    clef_status rc = need_id(f, E_SUBJECT);
    if (rc == CLEF_OK && clefi_csv_get(f->r, f->idx[E_CODE])[0] == '\0')
        rc = bad_field(f, E_CODE, "must not be empty");
    if (rc == CLEF_OK && clefi_csv_get(f->r, f->idx[E_TIME])[0] != '\0')
        rc = need_time(f, E_TIME);
    if (rc != CLEF_OK)
        return rc;
    for (int k = 0; k < E_N; k++)
        clefi_bind_text(st[0], k + 1, clefi_csv_get(f->r, f->idx[k]));
    clefi_bind_text(st[0], 5, "events.csv");
    return step_row(im, st[0], "events.csv", clefi_csv_line(f->r));
}

static clef_status fhir_event(const char *subject, const char *time, const char *code,
                              const char *value, void *user) {
    importer *im = user;
    (void)subject; /* equal to im->fhir_subject: clefi_fhir_parse checked it */
    clefi_bind_text(im->st_event, 1, im->fhir_subject);
    clefi_bind_text(im->st_event, 2, time);
    clefi_bind_text(im->st_event, 3, code);
    clefi_bind_text(im->st_event, 4, value);
    clefi_bind_text(im->st_event, 5, "fhir");
    return step_row(im, im->st_event, "fhir", 0);
}

/* ---- reports/<session>.txt and fhir/<subject>.xml: optional per-id files ---- */

static int report_progress(importer *im, int64_t done, int64_t total) {
    return im->progress != NULL && im->progress(done, total, im->user) != 0;
}

static clef_status read_optional(importer *im, const char *sub, const char *id, const char *ext,
                                 char **data, size_t *n) {
    char rel[300];
    snprintf(rel, sizeof rel, "%s/%s%s", sub, id, ext);
    clef_status rc = join(im, rel);
    if (rc == CLEF_OK)
        rc = clefi_read_file(im->s->ctx, im->path, data, n, &im->s->err);
    if (rc == CLEF_ERR_NOT_FOUND) {
        clefi_err_clear(&im->s->err);
        return CLEF_OK; /* *data stays NULL */
    }
    return rc;
}

/* A file whose content (not the store) failed: quarantined under CLEF_STORE_IMPORT_SKIP_BAD. */
static int bad_file(clef_status rc) {
    return rc == CLEF_ERR_FORMAT || rc == CLEF_ERR_UNSUPPORTED || rc == CLEF_ERR_RANGE ||
           rc == CLEF_ERR_IO;
}

/* Close the per-file savepoint opened by file_begin. A clean file forgets an earlier
 * quarantine of rel; under CLEF_STORE_IMPORT_SKIP_BAD a bad one is rolled back to the savepoint
 * (none of its rows kept) and recorded with its reason, and the import goes on. */
static clef_status file_end(importer *im, const char *rel, clef_status rc) {
    if (rc == CLEF_OK) {
        clefi_bind_text(im->st_skip[1], 1, rel);
        rc = step_row(im, im->st_skip[1], "import_skipped", 0);
    } else if ((im->flags & CLEF_STORE_IMPORT_SKIP_BAD) && bad_file(rc)) {
        char reason[1024];
        snprintf(reason, sizeof reason, "%s", clef_store_errmsg(im->s));
        clefi_err_clear(&im->s->err);
        rc = clefi_store_exec(im->s, "ROLLBACK TO file");
        if (rc == CLEF_OK) {
            clefi_bind_text(im->st_skip[0], 1, rel);
            clefi_bind_text(im->st_skip[0], 2, reason);
            rc = step_row(im, im->st_skip[0], "import_skipped", 0);
            im->n_skipped++;
        }
    }
    return rc == CLEF_OK ? clefi_store_exec(im->s, "RELEASE file") : rc;
}

static clef_status import_reports_and_fhir(importer *im) {
    sqlite3_stmt *st_rep = NULL;
    clef_status rc = clefi_store_prepare(
        im->s,
        "INSERT INTO reports(session_id, text) VALUES (?1, ?2) ON CONFLICT(session_id) DO UPDATE "
        "SET text = excluded.text WHERE text IS NOT excluded.text",
        &st_rep);
    if (rc == CLEF_OK)
        rc = clefi_store_prepare(im->s, k_sql_event, &im->st_event);
    if (rc == CLEF_OK)
        rc = clefi_store_prepare(im->s,
                                 "INSERT INTO import_skipped(path, reason) VALUES (?1, ?2) ON "
                                 "CONFLICT(path) DO UPDATE SET reason = excluded.reason WHERE "
                                 "reason IS NOT excluded.reason",
                                 &im->st_skip[0]);
    if (rc == CLEF_OK)
        rc = clefi_store_prepare(im->s, "DELETE FROM import_skipped WHERE path = ?1",
                                 &im->st_skip[1]);
    int64_t total = (int64_t)(im->n_sessions + im->n_subjects), done = 0;
    for (size_t i = 0; i < im->n_sessions && rc == CLEF_OK; i++, done++) {
        char *text = NULL, rel[300];
        size_t n = 0;
        snprintf(rel, sizeof rel, "reports/%s.txt", im->sessions[i]);
        rc = clefi_store_exec(im->s, "SAVEPOINT file");
        if (rc == CLEF_OK)
            rc = read_optional(im, "reports", im->sessions[i], ".txt", &text, &n);
        if (rc == CLEF_OK && text != NULL) {
            if (strlen(text) != n)
                rc = clefi_error(im->s->ctx, &im->s->err, CLEF_ERR_FORMAT,
                                 "reports/%s.txt: NUL byte at offset %zu", im->sessions[i],
                                 strlen(text));
            clefi_bind_text(st_rep, 1, im->sessions[i]);
            clefi_bind_text(st_rep, 2, text);
            if (rc == CLEF_OK)
                rc = step_row(im, st_rep, "reports", 0);
            else
                sqlite3_reset(st_rep);
        }
        clefi_free(im->s->ctx, text);
        rc = file_end(im, rel, rc);
        if (rc == CLEF_OK && report_progress(im, done + 1, total))
            rc = clefi_error(im->s->ctx, &im->s->err, CLEF_ERR_CANCELLED, "import cancelled");
    }
    for (size_t i = 0; i < im->n_subjects && rc == CLEF_OK; i++, done++) {
        char *xml = NULL, name[300];
        size_t n = 0;
        snprintf(name, sizeof name, "fhir/%s.xml", im->subjects[i]);
        rc = clefi_store_exec(im->s, "SAVEPOINT file");
        if (rc == CLEF_OK)
            rc = read_optional(im, "fhir", im->subjects[i], ".xml", &xml, &n);
        if (rc == CLEF_OK && xml != NULL) {
            im->fhir_subject = im->subjects[i];
            rc = clefi_fhir_parse(im->s->ctx, xml, n, name, im->subjects[i], fhir_event, im,
                                  &im->s->err);
        }
        clefi_free(im->s->ctx, xml);
        rc = file_end(im, name, rc);
        if (rc == CLEF_OK && report_progress(im, done + 1, total))
            rc = clefi_error(im->s->ctx, &im->s->err, CLEF_ERR_CANCELLED, "import cancelled");
    }
    sqlite3_finalize(st_rep);
    sqlite3_finalize(im->st_event);
    sqlite3_finalize(im->st_skip[0]);
    sqlite3_finalize(im->st_skip[1]);
    im->st_event = NULL;
    return rc;
}

/* ---- tasks.csv and splits.csv ---- */

enum { T_TASK, T_SESSION, T_LABEL, T_N };
static const char *const k_task_cols[T_N] = {"task", "session_id", "label"};
static const char *const k_task_sql[2] = {
    "INSERT INTO tasks(name) VALUES (?1) ON CONFLICT(name) DO NOTHING",
    "INSERT INTO labels(task_id, session_id, label) SELECT task_id, ?2, ?3 FROM tasks WHERE name "
    "= ?1 ON CONFLICT(task_id, session_id) DO UPDATE SET label = excluded.label WHERE label IS "
    "NOT excluded.label"};

static clef_status task_fn(importer *im, const field_ref *f, sqlite3_stmt *const *st) {
    static const char *const labels[] = {"1", "0", "-1"};
    const char *task = clefi_csv_get(f->r, f->idx[T_TASK]);
    clef_status rc = need_id(f, T_TASK);
    if (rc == CLEF_OK)
        rc = need_id(f, T_SESSION);
    if (rc == CLEF_OK)
        rc = need_one_of(f, T_LABEL, labels, 3);
    if (rc != CLEF_OK)
        return rc;
    int64_t line = clefi_csv_line(f->r);
    clefi_bind_text(st[0], 1, task);
    rc = step_row(im, st[0], "tasks.csv", line);
    if (rc != CLEF_OK)
        return rc;
    clefi_bind_text(st[1], 1, task);
    clefi_bind_text(st[1], 2, clefi_csv_get(f->r, f->idx[T_SESSION]));
    sqlite3_bind_int(st[1], 3, atoi(clefi_csv_get(f->r, f->idx[T_LABEL])));
    return step_row(im, st[1], "tasks.csv", line);
}

enum { S_SUBJECT, S_SPLIT, S_N };
static const char *const k_split_cols[S_N] = {"subject_id", "split"};
static const char *const k_split_sql[1] = {
    "INSERT INTO splits(subject_id, split) VALUES (?1, ?2) ON CONFLICT(subject_id) DO UPDATE SET "
    "split = excluded.split WHERE split IS NOT excluded.split"};

static clef_status split_fn(importer *im, const field_ref *f, sqlite3_stmt *const *st) {
    static const char *const splits[] = {"train", "val", "test"};
    clef_status rc = need_id(f, S_SUBJECT);
    if (rc == CLEF_OK)
        rc = need_one_of(f, S_SPLIT, splits, 3);
    if (rc != CLEF_OK)
        return rc;
    clefi_bind_text(st[0], 1, clefi_csv_get(f->r, f->idx[S_SUBJECT]));
    clefi_bind_text(st[0], 2, clefi_csv_get(f->r, f->idx[S_SPLIT]));
    return step_row(im, st[0], "splits.csv", clefi_csv_line(f->r));
}

/* ---- entry point ---- */

static clef_status import_all(importer *im) {
    static const char *const m_sql[3] = {k_sql_patient, k_sql_session, k_sql_recording};
    static const char *const e_sql[1] = {k_sql_event};
    clef_status rc = each_row(im, "manifest.csv", k_manifest_cols, M_N, m_sql, 3, manifest_fn);
    if (rc == CLEF_OK && im->n_sessions == 0)
        rc = clefi_error(im->s->ctx, &im->s->err, CLEF_ERR_FORMAT, "manifest.csv has no sessions");
    if (rc == CLEF_OK)
        rc = each_row(im, "events.csv", k_event_cols, E_N, e_sql, 1, event_fn);
    if (rc == CLEF_OK)
        rc = each_row(im, "tasks.csv", k_task_cols, T_N, k_task_sql, 2, task_fn);
    if (rc == CLEF_OK)
        rc = each_row(im, "splits.csv", k_split_cols, S_N, k_split_sql, 1, split_fn);
    if (rc == CLEF_OK)
        rc = import_reports_and_fhir(im);
    return rc;
}

clef_status clef_store_import_cohort(clef_store *s, const char *dir, int64_t *rows_changed,
                                     clef_store_progress_fn progress, void *user) {
    return clef_store_import_cohort_flags(s, dir, 0, rows_changed, NULL, progress, user);
}

clef_status clef_store_import_cohort_flags(clef_store *s, const char *dir, uint32_t flags,
                                           int64_t *rows_changed, int64_t *n_skipped,
                                           clef_store_progress_fn progress, void *user) {
    clefi_reset(s);
    if (rows_changed != NULL)
        *rows_changed = 0;
    if (n_skipped != NULL)
        *n_skipped = 0;
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (dir == NULL || dir[0] == '\0')
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG, "cohort directory is empty");
    importer *im = clefi_calloc(s->ctx, 1, sizeof *im);
    if (im == NULL)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_NOMEM, "cannot allocate an importer");
    im->s = s;
    im->progress = progress;
    im->user = user;
    im->flags = flags;
    clef_status rc = CLEF_OK;
    /* stored paths are absolute, so a re-import from another working directory is a no-op */
    if (realpath(dir, im->dir) == NULL)
        rc = clefi_error(s->ctx, &s->err, errno == ENOENT ? CLEF_ERR_NOT_FOUND : CLEF_ERR_IO,
                         "cohort directory '%s': %s", dir, strerror(errno));
    int64_t before = sqlite3_total_changes64(s->db);
    if (rc == CLEF_OK)
        rc = clefi_store_exec(s, "BEGIN IMMEDIATE");
    if (rc == CLEF_OK) {
        rc = import_all(im);
        if (rc == CLEF_OK)
            rc = clefi_store_exec(s, "COMMIT");
        if (rc != CLEF_OK)
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
    if (rc == CLEF_OK && rows_changed != NULL)
        *rows_changed = sqlite3_total_changes64(s->db) - before;
    if (rc == CLEF_OK && n_skipped != NULL)
        *n_skipped = im->n_skipped;
    free_ids(s->ctx, im->sessions, im->n_sessions);
    free_ids(s->ctx, im->subjects, im->n_subjects);
    clefi_free(s->ctx, im);
    return rc;
}
