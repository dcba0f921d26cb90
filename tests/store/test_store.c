/* test_store.c — cohort store: schema and pragmas, migrations, import (idempotent, atomic,
 * errors naming file/line/column), CSV and FHIR parsing, artifacts, task queries, jobs. */
#define _POSIX_C_SOURCE 200809L /* dup, dup2, fileno */
#include "test_support.h"

#include "cohort_fixture.h"
#include "store/store_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_dir[256]; /* a fixture cohort shared by the tests (written once) */
static int g_n_sessions;

static int setup(void **state) {
    (void)state;
    snprintf(g_dir, sizeof g_dir, "%s", fixture_tmpdir("cohort"));
    g_n_sessions = fixture_write_cohort(g_dir, 6, 2, 4.0, 99);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    fixture_rmtree(g_dir);
    return 0;
}

static clef_store *open_store(clef_ctx *ctx, char *path_out) {
    const char *d = fixture_tmpdir("store");
    snprintf(path_out, 512, "%s/store.db", d);
    clef_store *s = NULL;
    assert_int_equal(clef_store_open(&s, ctx, path_out), CLEF_OK);
    return s;
}

static int64_t count(clef_store *s, int32_t table) {
    int64_t n = -1;
    assert_int_equal(clef_store_count(s, table, &n), CLEF_OK);
    return n;
}

static int64_t pragma_int(clef_store *s, const char *sql) {
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void rm_store(const char *path) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    fixture_rmtree(dir);
}

static void test_open_schema(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    char path[512];
    clef_store *s = open_store(ctx, path);
    assert_int_equal(clef_store_schema_version(), 2);
    assert_int_equal(pragma_int(s, "PRAGMA user_version"), 2);
    assert_int_equal(pragma_int(s, "PRAGMA foreign_keys"), 1);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    assert_int_equal(count(s, CLEF_STORE_SESSIONS), 0);
    int64_t n;
    assert_int_equal(clef_store_count(s, 99, &n), CLEF_ERR_INVALID_ARG);
    assert_non_null(strstr(clef_store_errmsg(s), "table 99"));
    /* a foreign key is enforced: a session of an unknown patient is refused */
    assert_int_not_equal(sqlite3_exec(s->db,
                                      "INSERT INTO sessions VALUES ('s','nobody','t',1.0,1.0)",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    /* a store from a newer library is refused, not damaged */
    assert_int_equal(sqlite3_exec(s->db, "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
    clef_store_free(s);
    clef_store *s2 = (clef_store *)ctx;
    assert_int_equal(clef_store_open(&s2, ctx, path), CLEF_ERR_UNSUPPORTED);
    assert_null(s2);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "newer"));
    assert_int_equal(clef_store_open(&s2, ctx, ""), CLEF_ERR_INVALID_ARG);
    /* a file that is not a database is reported as such and left alone */
    char junk[600];
    snprintf(junk, sizeof junk, "%s.junk", path);
    FILE *jf = fopen(junk, "wb");
    assert_non_null(jf);
    for (int i = 0; i < 4096; i++)
        fputc('x', jf);
    fclose(jf);
    assert_int_equal(clef_store_open(&s2, ctx, junk), CLEF_ERR_FORMAT);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "junk"));
    assert_int_equal(clef_store_open(&s2, ctx, "/nonexistent/dir/x.db"), CLEF_ERR_IO);
    clef_store_free(NULL);
    rm_store(path);
    clef_ctx_free(ctx);
}

static void test_import_idempotent(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    char path[512];
    clef_store *s = open_store(ctx, path);
    int64_t changed = -1;
    assert_int_equal(clef_store_import_cohort(s, g_dir, &changed, NULL, NULL), CLEF_OK);
    assert_true(changed > 0);
    assert_int_equal(count(s, CLEF_STORE_PATIENTS), 6);
    assert_int_equal(count(s, CLEF_STORE_SESSIONS), g_n_sessions);
    assert_int_equal(count(s, CLEF_STORE_RECORDING_FILES), g_n_sessions);
    assert_int_equal(count(s, CLEF_STORE_REPORTS), g_n_sessions);
    assert_int_equal(count(s, CLEF_STORE_TASKS), 2);
    assert_int_equal(count(s, CLEF_STORE_LABELS), 2 * g_n_sessions);
    assert_int_equal(count(s, CLEF_STORE_SPLITS), 6);
    int64_t events = count(s, CLEF_STORE_EHR_EVENTS);
    /* FHIR: SEX, BIRTH, ICD10CM/G40.909, ENCOUNTER/AMB per patient (+ ATC when benzo) */
    assert_true(pragma_int(s, "SELECT count(*) FROM ehr_events WHERE source = 'fhir' AND code = "
                              "'ICD10CM/G40.909' AND time = '2020-02-01T00:00:00Z'") == 6);
    assert_true(pragma_int(s, "SELECT count(*) FROM ehr_events WHERE source = 'fhir' AND code = "
                              "'ENCOUNTER/AMB'") == 6);
    assert_true(pragma_int(s, "SELECT count(*) FROM ehr_events WHERE code = 'SEX' AND value = "
                              "'F' AND source = 'fhir'") == 3);
    /* RFC 4180: a quoted value with a comma and doubled quotes */
    assert_true(pragma_int(s, "SELECT count(*) FROM ehr_events WHERE source = 'events.csv' AND "
                              "value = 'dose, \"1 mg\"'") >= 1);
    char rp[1024];
    size_t needed;
    assert_int_equal(clef_store_recording_path(s, "S000_0", rp, sizeof rp, &needed), CLEF_OK);
    assert_non_null(strstr(rp, "/edf/S000_0.edf"));
    assert_true(rp[0] == '/');
    assert_int_equal(clef_store_recording_path(s, "S000_0", rp, 3, &needed),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(needed, strlen(rp) + 1);
    /* again: nothing changes */
    assert_int_equal(clef_store_import_cohort(s, g_dir, &changed, NULL, NULL), CLEF_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(count(s, CLEF_STORE_EHR_EVENTS), events);
    assert_int_equal(count(s, CLEF_STORE_LABELS), 2 * g_n_sessions);
    /* the same directory reached through another path is the same cohort */
    char alt[600];
    snprintf(alt, sizeof alt, "%s/./edf/..", g_dir);
    assert_int_equal(clef_store_import_cohort(s, alt, &changed, NULL, NULL), CLEF_OK);
    assert_int_equal(changed, 0);
    char name[64];
    assert_int_equal(clef_store_task_name(s, 0, name, sizeof name, &needed), CLEF_OK);
    assert_string_equal(name, "dis_random");
    assert_int_equal(clef_store_task_name(s, 2, name, sizeof name, &needed), CLEF_ERR_RANGE);
    /* sessions by split (subject p is train, train, train, val, test for p % 5 = 0..4) */
    int64_t n_split[3];
    for (int32_t sp = CLEF_SPLIT_TRAIN; sp <= CLEF_SPLIT_TEST; sp++)
        assert_int_equal(clef_store_split_count(s, sp, &n_split[sp - 1]), CLEF_OK);
    assert_int_equal(n_split[0], 8);
    assert_int_equal(n_split[1], 2);
    assert_int_equal(n_split[2], 2);
    assert_int_equal(clef_store_split_session(s, CLEF_SPLIT_VAL, 1, name, sizeof name, &needed),
                     CLEF_OK);
    assert_string_equal(name, "S003_1");
    assert_int_equal(needed, 7);
    assert_int_equal(clef_store_split_session(s, CLEF_SPLIT_TRAIN, 6, name, sizeof name, NULL),
                     CLEF_OK);
    assert_string_equal(name, "S005_0");
    assert_int_equal(clef_store_split_session(s, CLEF_SPLIT_TEST, 2, name, sizeof name, NULL),
                     CLEF_ERR_RANGE);
    assert_int_equal(clef_store_split_session(s, CLEF_SPLIT_TEST, -1, name, sizeof name, NULL),
                     CLEF_ERR_RANGE);
    assert_int_equal(clef_store_split_session(s, 0, 0, name, sizeof name, NULL),
                     CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_store_split_count(s, 4, &n_split[0]), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_store_split_session(s, CLEF_SPLIT_VAL, 0, name, 3, &needed),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    clef_store_free(s);
    rm_store(path);
    clef_ctx_free(ctx);
}

/* Copy the fixture's CSVs into a scratch cohort that shares its edf/ files by path. */
static void copy_file(const char *from_dir, const char *to_dir, const char *rel) {
    char a[1024];
    snprintf(a, sizeof a, "%s/%s", from_dir, rel);
    FILE *f = fopen(a, "rb");
    assert_non_null(f);
    static char data[1 << 20];
    size_t n = fread(data, 1, sizeof data - 1, f);
    fclose(f);
    data[n] = '\0';
    fixture_write_file(to_dir, rel, data);
}

/* Import a scratch copy of the fixture with one file replaced; expect the error and an
 * unchanged (empty) store. */
static void expect_import_error(const char *rel, const char *text, clef_status want,
                                const char *msg_part) {
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    char dir[256];
    snprintf(dir, sizeof dir, "%s", fixture_tmpdir("bad"));
    char sub[600];
    snprintf(sub, sizeof sub, "%s/fhir", dir);
    assert_int_equal(mkdir_for_test(sub), 0);
    for (const char *f = "manifest.csv\0events.csv\0tasks.csv\0splits.csv\0"; *f;
         f += strlen(f) + 1)
        copy_file(g_dir, dir, f);
    /* the manifest paths are relative: link edf/ to the fixture's */
    char link_from[600], link_to[600];
    snprintf(link_from, sizeof link_from, "%s/edf", g_dir);
    snprintf(link_to, sizeof link_to, "%s/edf", dir);
    assert_int_equal(symlink_for_test(link_from, link_to), 0);
    if (text != NULL)
        fixture_write_file(dir, rel, text);
    char path[512];
    clef_store *s = open_store(ctx, path);
    int64_t changed = -1;
    clef_status rc = clef_store_import_cohort(s, dir, &changed, NULL, NULL);
    if (rc != want || strstr(clef_store_errmsg(s), msg_part) == NULL)
        fail_msg("%s: got %s '%s', want %s containing '%s'", rel, clef_strerror(rc),
                 clef_store_errmsg(s), clef_strerror(want), msg_part);
    assert_int_equal(changed, 0);
    assert_int_equal(count(s, CLEF_STORE_SESSIONS), 0); /* rolled back */
    assert_int_equal(count(s, CLEF_STORE_PATIENTS), 0);
    if (strncmp(rel, "fhir/", 5) == 0 || strncmp(rel, "reports/", 8) == 0) {
        /* quarantine mode: that file skipped with the same reason, the rest imported */
        int64_t skipped = -1;
        assert_int_equal(clef_store_import_cohort_flags(s, dir, CLEF_STORE_IMPORT_SKIP_BAD,
                                                        &changed, &skipped, NULL, NULL),
                         CLEF_OK);
        assert_int_equal(skipped, 1);
        assert_true(count(s, CLEF_STORE_SESSIONS) > 0);
        char rec[1024];
        size_t need = 0;
        assert_int_equal(clef_store_skipped_file(s, 0, rec, sizeof rec, &need), CLEF_OK);
        assert_int_equal(need, strlen(rec) + 1);
        assert_true(strncmp(rec, rel, strlen(rel)) == 0 && strstr(rec, msg_part) != NULL);
        assert_int_equal(clef_store_skipped_file(s, 1, rec, sizeof rec, &need), CLEF_ERR_RANGE);
    }
    clef_store_free(s);
    rm_store(path);
    fixture_rmtree(dir);
    clef_ctx_free(ctx);
}

static const char *manifest_head =
    "session_id,subject_id,path,sha256,start_time,duration_s,age_years,sex,race\n";

static void test_import_errors(void **state) {
    (void)state;
    char m[4096];
    const char *zeros = "0000000000000000000000000000000000000000000000000000000000000000";
    snprintf(m, sizeof m, "%sS000_0,P000,edf/S000_0.edf,%s,2024-03-01T09:30:00Z,4,30,F,r\n",
             manifest_head, zeros);
    expect_import_error("manifest.csv", m, CLEF_ERR_FORMAT,
                        "manifest.csv line 2, column 4 (sha256)");
    snprintf(m, sizeof m, "%sS000_0,P000,../edf/S000_0.edf,%s,2024-03-01T09:30:00Z,4,30,F,r\n",
             manifest_head, zeros);
    expect_import_error("manifest.csv", m, CLEF_ERR_FORMAT, "column 3 (path)");
    snprintf(m, sizeof m, "%sS000_0,P000,edf/S000_0.edf,%s,2024-03-01 09:30,4,30,F,r\n",
             manifest_head, zeros);
    expect_import_error("manifest.csv", m, CLEF_ERR_FORMAT, "column 5 (start_time)");
    snprintf(m, sizeof m, "%sS000_0,P000,edf/S000_0.edf,%s,2024-03-01T09:30:00Z,4,30,X,r\n",
             manifest_head, zeros);
    expect_import_error("manifest.csv", m, CLEF_ERR_FORMAT, "column 8 (sex)");
    expect_import_error("manifest.csv", "session_id,subject_id\nS1,P1\n", CLEF_ERR_FORMAT,
                        "manifest.csv line 1: header has no column 'path'");
    expect_import_error("events.csv", "subject_id,time,code,value\nP000,,SEX,\"F\n",
                        CLEF_ERR_FORMAT, "events.csv line 2, column 11: quoted field not closed");
    expect_import_error("events.csv", "subject_id,time,code,value\nP000,,S\"EX,F\n",
                        CLEF_ERR_FORMAT, "events.csv line 2, column 8: quote inside");
    expect_import_error("events.csv", "subject_id,time,code,value\nP000,,SEX\n", CLEF_ERR_FORMAT,
                        "events.csv line 2: 3 fields, the header has 4");
    expect_import_error("events.csv", "subject_id,time,code,value\nNOBODY,,SEX,F\n",
                        CLEF_ERR_INVALID_ARG, "events.csv line 2: FOREIGN KEY");
    expect_import_error("tasks.csv", "task,session_id,label\nmed_x,S000_0,2\n", CLEF_ERR_FORMAT,
                        "tasks.csv line 2, column 3 (label)");
    expect_import_error("splits.csv", "subject_id,split\nP000,dev\n", CLEF_ERR_FORMAT,
                        "splits.csv line 2, column 2 (split)");
    expect_import_error("fhir/P000.xml",
                        "<?xml version=\"1.0\"?>\n<!DOCTYPE Bundle [<!ENTITY x SYSTEM "
                        "\"file:///etc/passwd\">]>\n<Bundle xmlns=\"http://hl7.org/fhir\">&x;"
                        "</Bundle>\n",
                        CLEF_ERR_UNSUPPORTED, "external entity 'x'");
    expect_import_error("fhir/P000.xml", "<Bundle xmlns=\"http://hl7.org/fhir\"><entry>\n",
                        CLEF_ERR_FORMAT, "fhir/P000.xml line 2");
    expect_import_error("fhir/P000.xml",
                        "<Bundle xmlns=\"http://hl7.org/fhir\"><entry><resource><Patient><id "
                        "value=\"P001\"/></Patient></resource></entry></Bundle>",
                        CLEF_ERR_FORMAT, "not the file's subject");
    expect_import_error("fhir/P000.xml",
                        "<Bundle xmlns=\"http://hl7.org/fhir\"><entry><resource><Patient><id "
                        "value=\"P000\"/></Patient></resource></entry><entry><resource>"
                        "<Condition><subject><reference value=\"Patient/P9\"/></subject>"
                        "</Condition></resource></entry></Bundle>",
                        CLEF_ERR_FORMAT, "Condition.subject 'Patient/P9'");
    expect_import_error("fhir/P000.xml", "<Bundle xmlns=\"urn:other\"/>", CLEF_ERR_FORMAT,
                        "not a FHIR Bundle");
}

/* ---- the CSV reader on its own ---- */

static void csv_rows(const char *text, const char *want_joined, size_t want_rows) {
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clefi_csv *r;
    clefi_err err;
    assert_int_equal(clefi_csv_open(&r, ctx, text, strlen(text), "t.csv", &err), CLEF_OK);
    char got[1024] = "";
    size_t rows = 0;
    int has;
    while (clefi_csv_next(r, &has, &err) == CLEF_OK && has) {
        rows++;
        for (size_t i = 0; i < clefi_csv_nfields(r); i++) {
            strcat(got, clefi_csv_field(r, i));
            strcat(got, i + 1 < clefi_csv_nfields(r) ? "|" : ";");
        }
    }
    assert_string_equal(got, want_joined);
    assert_int_equal(rows, want_rows);
    clefi_csv_free(r);
    clef_ctx_free(ctx);
}

static void test_csv_parser(void **state) {
    (void)state;
    csv_rows("a,b\r\n1,2\n", "a|b;1|2;", 2);
    csv_rows("\xEF\xBB\xBFx,y\n\n\n3,\"4,5\"\n", "x|y;3|4,5;", 2);
    csv_rows("q\n\"he said \"\"hi\"\"\"\n", "q;he said \"hi\";", 2);
    csv_rows("a,b\n\"multi\nline\",z", "a|b;multi\nline|z;", 2);
    csv_rows(",\n", "|;", 1);
    csv_rows("a\rb,c\n", "a\rb|c;", 1); /* a lone CR is data */
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    const char *bad[] = {"a,\"b\"x\n", "\"open\n", "a\"b\n"};
    const char *msg[] = {"line 1, column 6: character after", "line 1, column 1: quoted field",
                         "line 1, column 2: quote inside"};
    for (int k = 0; k < 3; k++) {
        clefi_csv *r;
        clefi_err err;
        int has;
        assert_int_equal(clefi_csv_open(&r, ctx, bad[k], strlen(bad[k]), "b.csv", &err), CLEF_OK);
        assert_int_equal(clefi_csv_next(r, &has, &err), CLEF_ERR_FORMAT);
        if (strstr(err.msg, msg[k]) == NULL)
            fail_msg("case %d: '%s' lacks '%s'", k, err.msg, msg[k]);
        clefi_csv_free(r);
    }
    clef_ctx_free(ctx);
}

static void test_artifacts_and_task_data(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    char path[512];
    clef_store *s = open_store(ctx, path);
    assert_int_equal(clef_store_import_cohort(s, g_dir, NULL, NULL, NULL), CLEF_OK);
    float v[3] = {1.5f, -2.0f, 3.25f}, back[3];
    size_t needed;
    assert_int_equal(clef_store_artifact_get(s, "S000_0", CLEF_ARTIFACT_EMBEDDING, "m", back,
                                             sizeof back, &needed),
                     CLEF_ERR_NOT_FOUND);
    assert_int_equal(
        clef_store_artifact_put(s, "S000_0", CLEF_ARTIFACT_EMBEDDING, "m", v, sizeof v), CLEF_OK);
    assert_int_equal(
        clef_store_artifact_get(s, "S000_0", CLEF_ARTIFACT_EMBEDDING, "m", back, 4, &needed),
        CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(needed, sizeof v);
    assert_int_equal(clef_store_artifact_get(s, "S000_0", CLEF_ARTIFACT_EMBEDDING, "m", back,
                                             sizeof back, &needed),
                     CLEF_OK);
    assert_memory_equal(back, v, sizeof v);
    assert_int_equal(clef_store_artifact_put(s, "S000_0", 9, "m", v, sizeof v),
                     CLEF_ERR_INVALID_ARG);
    assert_int_equal(
        clef_store_artifact_put(s, "nosuch", CLEF_ARTIFACT_EMBEDDING, "m", v, sizeof v),
        CLEF_ERR_INVALID_ARG); /* foreign key */
    /* task data: a labelled session without an artifact is an error, then all present */
    int64_t n, dim;
    assert_int_equal(clef_store_task_data(s, "med_benzodiazepine", CLEF_SPLIT_TRAIN,
                                          CLEF_ARTIFACT_EMBEDDING, "m", NULL, 0, NULL, 0, &n, &dim),
                     CLEF_ERR_NOT_FOUND);
    char sid[32];
    for (int p = 0; p < 6; p++)
        for (int j = 0; j < 2; j++) {
            snprintf(sid, sizeof sid, "S%03d_%d", p, j);
            float e[3] = {(float)p, (float)j, 7.0f};
            assert_int_equal(
                clef_store_artifact_put(s, sid, CLEF_ARTIFACT_EMBEDDING, "m", e, sizeof e),
                CLEF_OK);
        }
    assert_int_equal(clef_store_task_data(s, "med_benzodiazepine", CLEF_SPLIT_TRAIN,
                                          CLEF_ARTIFACT_EMBEDDING, "m", NULL, 0, NULL, 0, &n, &dim),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 8); /* patients 0, 1, 2, 5 are train (p % 5 < 3), two sessions each */
    assert_int_equal(dim, 3);
    float x[24];
    int32_t y[8];
    assert_int_equal(clef_store_task_data(s, "med_benzodiazepine", CLEF_SPLIT_TRAIN,
                                          CLEF_ARTIFACT_EMBEDDING, "m", x, 23, y, 8, &n, &dim),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(clef_store_task_data(s, "med_benzodiazepine", CLEF_SPLIT_TRAIN,
                                          CLEF_ARTIFACT_EMBEDDING, "m", x, 24, y, 8, &n, &dim),
                     CLEF_OK);
    assert_true(x[0] == 0.0f && x[3] == 0.0f && x[4] == 1.0f && x[6] == 1.0f && x[21] == 5.0f);
    for (int i = 0; i < 8; i++)
        assert_true(y[i] == 0 || y[i] == 1);
    /* per-session labels, walked in split order, give the task data's labels in its order */
    int64_t n_split = 0, k = 0;
    assert_int_equal(clef_store_split_count(s, CLEF_SPLIT_TRAIN, &n_split), CLEF_OK);
    for (int64_t i = 0; i < n_split; i++) {
        int32_t lab = 7;
        assert_int_equal(clef_store_split_session(s, CLEF_SPLIT_TRAIN, i, sid, sizeof sid, NULL),
                         CLEF_OK);
        clef_status lrc = clef_store_session_label(s, sid, "med_benzodiazepine", &lab);
        assert_true(lrc == CLEF_OK || lrc == CLEF_ERR_NOT_FOUND);
        if (lrc == CLEF_OK && (lab == 0 || lab == 1))
            assert_int_equal(lab, y[k++]);
    }
    assert_int_equal(k, 8);
    int32_t lab;
    assert_int_equal(clef_store_session_label(s, "S000_0", "no_such_task", &lab),
                     CLEF_ERR_NOT_FOUND);
    assert_non_null(strstr(clef_store_errmsg(s), "no_such_task"));
    assert_int_equal(clef_store_session_label(s, "S000_0", NULL, &lab), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_store_task_data(s, "med_benzodiazepine", CLEF_SPLIT_TEST,
                                          CLEF_ARTIFACT_EMBEDDING, "m", x, 24, y, 8, &n, &dim),
                     CLEF_OK);
    assert_int_equal(n, 2); /* patient 4 */
    assert_int_equal(clef_store_task_data(s, "med_benzodiazepine", 7, CLEF_ARTIFACT_EMBEDDING, "m",
                                          x, 24, y, 8, &n, &dim),
                     CLEF_ERR_INVALID_ARG);
    float odd[2] = {1, 2};
    assert_int_equal(
        clef_store_artifact_put(s, "S000_1", CLEF_ARTIFACT_EMBEDDING, "m", odd, sizeof odd),
        CLEF_OK);
    assert_int_equal(clef_store_task_data(s, "med_benzodiazepine", CLEF_SPLIT_TRAIN,
                                          CLEF_ARTIFACT_EMBEDDING, "m", x, 24, y, 8, &n, &dim),
                     CLEF_ERR_SHAPE);
    assert_int_equal(clef_store_channel_map_put(s, "S000_0", "Fp1", "EEG Fp1-REF", "aliased"),
                     CLEF_OK);
    assert_int_equal(clef_store_channel_map_put(s, "S000_0", "Fp1", "EEG Fp1-REF", "weird"),
                     CLEF_ERR_INVALID_ARG);
    assert_int_equal(count(s, CLEF_STORE_CHANNEL_MAPS), 1);
    clef_store_free(s);
    rm_store(path);
    clef_ctx_free(ctx);
}

/* clef_store_task_balance against a generated cohort's own CSV files: for every task, the SMD
 * of age and of sex (female) between label 1 and label 0 computed here from manifest.csv and
 * tasks.csv. */
static void test_task_balance(void **state) {
    (void)state;
    enum { MAXS = 64 };
    static char sid[MAXS][32];
    char line[1024], path[600], dir[256];
    double age[MAXS], fem[MAXS];
    int ns = 0;
    snprintf(dir, sizeof dir, "%s", fixture_tmpdir("balance"));
    {
        clef_ctx *gctx;
        clef_session *gs;
        clef_params *gp;
        assert_int_equal(clef_ctx_create(&gctx), CLEF_OK);
        assert_int_equal(clef_session_create(&gs, gctx, 1), CLEF_OK);
        assert_int_equal(clef_params_create(&gp, gctx, CLEF_PARAMS_COHORT), CLEF_OK);
        assert_int_equal(clef_params_set_i64(gp, CLEF_P_COHORT_N_PATIENTS, 60), CLEF_OK);
        assert_int_equal(clef_params_set_i64(gp, CLEF_P_COHORT_MAX_SESSIONS, 1), CLEF_OK);
        assert_int_equal(clef_params_set_f64(gp, CLEF_P_COHORT_DURATION_S, 4.0), CLEF_OK);
        assert_int_equal(clef_cohort_generate(gs, gp, dir, NULL, NULL), CLEF_OK);
        clef_params_free(gp);
        clef_session_free(gs);
        clef_ctx_free(gctx);
    }
    snprintf(path, sizeof path, "%s/manifest.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (ns < MAXS && fgets(line, sizeof line, f) != NULL) {
        char *col[9], *save = NULL;
        int k = 0;
        for (char *t = strtok_r(line, ",\n", &save); t != NULL && k < 9;
             t = strtok_r(NULL, ",\n", &save))
            col[k++] = t;
        assert_int_equal(k, 9);
        snprintf(sid[ns], sizeof sid[ns], "%s", col[0]);
        age[ns] = strtod(col[6], NULL);
        fem[ns++] = strcmp(col[7], "F") == 0;
    }
    fclose(f);
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    char spath[512];
    clef_store *s = open_store(ctx, spath);
    assert_int_equal(clef_store_import_cohort(s, dir, NULL, NULL, NULL), CLEF_OK);
    int compared = 0;
    for (int32_t t = 0; t < clef_cohort_n_tasks(); t++) {
        double sum[2][2] = {{0}}, sq[2][2] = {{0}};
        int64_t cnt[2] = {0, 0};
        snprintf(path, sizeof path, "%s/tasks.csv", dir);
        f = fopen(path, "r");
        assert_non_null(f);
        while (fgets(line, sizeof line, f) != NULL) {
            char task[64], ses[32];
            int label;
            if (sscanf(line, "%63[^,],%31[^,],%d", task, ses, &label) != 3 ||
                strcmp(task, clef_cohort_task_name(t)) != 0 || (label != 0 && label != 1))
                continue;
            for (int i = 0; i < ns; i++)
                if (strcmp(sid[i], ses) == 0) {
                    double v[2] = {age[i], fem[i]};
                    for (int q = 0; q < 2; q++) {
                        sum[label][q] += v[q];
                        sq[label][q] += v[q] * v[q];
                    }
                    cnt[label]++;
                }
        }
        fclose(f);
        double want[2] = {NAN, NAN}, got[2];
        for (int q = 0; q < 2 && cnt[0] > 1 && cnt[1] > 1; q++) {
            double m[2], var[2];
            for (int g = 0; g < 2; g++) {
                m[g] = sum[g][q] / (double)cnt[g];
                var[g] = (sq[g][q] - (double)cnt[g] * m[g] * m[g]) / (double)(cnt[g] - 1);
            }
            double sd = sqrt((var[0] + var[1]) / 2.0), d = fabs(m[1] - m[0]);
            want[q] = sd > 0 ? d / sd : d > 0 ? INFINITY : 0.0;
        }
        int64_t np = -1, nn = -1;
        clef_status rc =
            clef_store_task_balance(s, clef_cohort_task_name(t), &got[0], &got[1], &np, &nn);
        if (cnt[0] + cnt[1] == 0) {
            assert_int_equal(rc, CLEF_ERR_NOT_FOUND);
            continue;
        }
        assert_int_equal(rc, CLEF_OK);
        assert_int_equal(np, cnt[1]);
        assert_int_equal(nn, cnt[0]);
        for (int q = 0; q < 2; q++) {
            if (isnan(want[q]))
                assert_true(isnan(got[q]));
            else
                assert_true(fabs(got[q] - want[q]) <= 1e-9 * (1.0 + want[q]));
        }
        compared += !isnan(want[0]);
    }
    assert_true(compared >= 2); /* tasks with >= 2 sessions on each side */
    double a, x;
    assert_int_equal(clef_store_task_balance(s, "no_such_task", &a, &x, NULL, NULL),
                     CLEF_ERR_NOT_FOUND);
    assert_int_equal(clef_store_task_balance(s, NULL, &a, &x, NULL, NULL), CLEF_ERR_INVALID_ARG);
    clef_store_free(s);
    rm_store(spath);
    fixture_rmtree(dir);
    clef_ctx_free(ctx);
}

static void test_jobs_api(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    char path[512];
    clef_store *a = open_store(ctx, path), *b;
    assert_int_equal(clef_store_open(&b, ctx, path), CLEF_OK);
    assert_int_equal(clef_store_import_cohort(a, g_dir, NULL, NULL, NULL), CLEF_OK);
    int64_t added, n;
    assert_int_equal(clef_store_job_add_sessions(a, "j", &added), CLEF_OK);
    assert_int_equal(added, g_n_sessions);
    assert_int_equal(clef_store_job_add_sessions(a, "j", &added), CLEF_OK);
    assert_int_equal(added, 0);
    char item[64];
    size_t needed;
    int32_t claimed;
    assert_int_equal(clef_store_job_claim(a, "j", item, sizeof item, &needed, &claimed), CLEF_OK);
    assert_int_equal(claimed, 1);
    assert_string_equal(item, "S000_0");
    /* another handle cannot complete a claim it does not hold; it gets the next item */
    float e = 1.0f;
    assert_int_equal(clef_store_job_complete(b, "j", item, CLEF_ARTIFACT_EMBEDDING, "m", &e, 4),
                     CLEF_ERR_STATE);
    char item_b[64];
    assert_int_equal(clef_store_job_claim(b, "j", item_b, sizeof item_b, &needed, &claimed),
                     CLEF_OK);
    assert_string_equal(item_b, "S000_1");
    assert_int_equal(clef_store_job_claim(b, "j", item_b, 2, &needed, &claimed),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(claimed, 0); /* rolled back: the item stays pending */
    assert_int_equal(clef_store_job_count(a, "j", CLEF_JOB_CLAIMED, &n), CLEF_OK);
    assert_int_equal(n, 2);
    assert_int_equal(clef_store_job_complete(a, "j", item, CLEF_ARTIFACT_EMBEDDING, "m", &e, 4),
                     CLEF_OK);
    assert_int_equal(clef_store_job_complete(a, "j", item, CLEF_ARTIFACT_EMBEDDING, "m", &e, 4),
                     CLEF_ERR_STATE); /* done once only */
    assert_int_equal(count(a, CLEF_STORE_ARTIFACTS), 1);
    assert_int_equal(clef_store_job_fail(b, "j", "S000_1", "bad file"), CLEF_OK);
    assert_int_equal(clef_store_job_count(a, "j", CLEF_JOB_FAILED, &n), CLEF_OK);
    assert_int_equal(n, 1);
    /* requeue: a recent claim survives a positive age limit, any goes with 0 */
    assert_int_equal(clef_store_job_claim(b, "j", item_b, sizeof item_b, &needed, &claimed),
                     CLEF_OK);
    assert_int_equal(clef_store_job_requeue(a, "j", 3600.0, 0, &n), CLEF_OK);
    assert_int_equal(n, 0);
    assert_int_equal(clef_store_job_requeue(a, "j", 0.0, 1, &n), CLEF_OK);
    assert_int_equal(n, 2); /* the claimed and the failed item */
    assert_int_equal(clef_store_job_count(a, "j", CLEF_JOB_DONE, &n), CLEF_OK);
    assert_int_equal(n, 1);
    assert_int_equal(clef_store_job_count(a, "j", CLEF_JOB_PENDING, &n), CLEF_OK);
    assert_int_equal(n, g_n_sessions - 1);
    assert_int_equal(clef_store_job_count(a, "j", 9, &n), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_store_job_add_item(a, "", "x"), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_store_job_requeue(a, "j", -1.0, 0, &n), CLEF_ERR_RANGE);
    clef_store_free(b);
    clef_store_free(a);
    rm_store(path);
    clef_ctx_free(ctx);
}

/* libxml2 would print some errors (encoding) on stderr: the library must stay silent. */
static clef_status no_event(const char *a, const char *b, const char *c, const char *d, void *u) {
    (void)a;
    (void)b;
    (void)c;
    (void)d;
    (void)u;
    return CLEF_OK;
}

static void test_fhir_silent(void **state) {
    (void)state;
    static const char bad[] = "<?xml version=\"1.0\" encoding=\"EUC-JP\"?><Bundle "
                              "xmlns=\"http://hl7.org/fhir\">\xff\xfe\0\0\0\0</Bundle>";
    char log[300];
    snprintf(log, sizeof log, "%s/stderr.txt", fixture_tmpdir("silent"));
    fflush(stderr);
    int saved = dup(2);
    FILE *f = fopen(log, "w");
    assert_non_null(f);
    dup2(fileno(f), 2);
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clefi_err err = {0};
    clef_status rc =
        clefi_fhir_parse(ctx, bad, sizeof bad - 1, "bad.xml", NULL, no_event, NULL, &err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fclose(f);
    assert_int_equal(rc, CLEF_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "bad.xml"));
    f = fopen(log, "r");
    assert_non_null(f);
    assert_int_equal(fgetc(f), EOF); /* nothing was printed */
    fclose(f);
    clef_ctx_free(ctx);
    rm_store(log);
}

/* ---- out of memory: every library allocation of open + import + close ---- */

static clef_status oom_import(clef_ctx *ctx, void *arg) {
    const char *path = arg;
    remove(path);
    clef_store *s;
    clef_status rc = clef_store_open(&s, ctx, path);
    if (rc != CLEF_OK)
        return rc;
    rc = clef_store_import_cohort(s, g_dir, NULL, NULL, NULL);
    clef_store_free(s);
    return rc;
}

static void test_oom(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/oom.db", fixture_tmpdir("oom"));
    assert_true(test_oom_sweep(oom_import, path, 0) > 0);
    rm_store(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_schema),
        cmocka_unit_test(test_import_idempotent),
        cmocka_unit_test(test_import_errors),
        cmocka_unit_test(test_csv_parser),
        cmocka_unit_test(test_artifacts_and_task_data),
        cmocka_unit_test(test_task_balance),
        cmocka_unit_test(test_jobs_api),
        cmocka_unit_test(test_fhir_silent),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
