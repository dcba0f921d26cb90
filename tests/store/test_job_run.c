/* test_job_run.c — the store-job driver (lib/store/job_run.h) with a test job: each item's
 * result or failure is committed with exactly the message of that item's failure (never an
 * older one), max_items stops early, progress cancels, out of memory stops the run. */
#include "test_support.h"

#include "cohort_fixture.h"
#include "store/job_run.h"
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

#define JOB  "test:job"
#define HASH "test-v1"

/* Sessions S000_0, S000_1, S001_0, S001_1; the test job reacts to the item id. */
typedef struct test_job {
    char result[64];
    int calls;
    const char *nomem_item; /* this item runs out of memory */
} test_job;

static clef_status test_item(clefi_job_item *it, void *user) {
    test_job *tj = user;
    tj->calls++;
    if (strcmp(it->id, "S000_0") == 0) {
        /* an error recorded and then recovered from: it must not reach another item */
        clefi_ctx_error(it->ctx, CLEF_ERR_IO, "stale text of item S000_0");
    } else if (strcmp(it->id, "S000_1") == 0) {
        /* a failure whose status carries no text: the item gets the status alone */
        return clefi_job_item_fail(it, CLEF_ERR_SHAPE, clef_ctx_errmsg(it->ctx));
    } else if (strcmp(it->id, "S001_0") == 0) {
        return clefi_job_item_fail(it, CLEF_ERR_FORMAT, "bad header of S001_0");
    }
    if (tj->nomem_item != NULL && strcmp(it->id, tj->nomem_item) == 0)
        return clefi_job_item_fail(it, CLEF_ERR_NOMEM, "cannot allocate 7 bytes");
    snprintf(tj->result, sizeof tj->result, "result of %s", it->id);
    it->data = tj->result;
    it->n_bytes = strlen(tj->result);
    return CLEF_OK;
}

/* A fresh store holding the four sessions of a small cohort. */
static void open_store(char *dir, clef_ctx **ctx, clef_store **s) {
    char db[512];
    assert_int_equal(fixture_open_store("jobrun", 2, 2, 3.0, 5, dir, db, ctx, s), 4);
}

/* State and message of one item of the job. */
static int item_state(clef_store *s, const char *item, char *msg, size_t cap) {
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(s->db,
                                        "SELECT state, message FROM jobs WHERE job = ?1 AND "
                                        "item = ?2",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, JOB, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, item, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int state = sqlite3_column_int(st, 0);
    const unsigned char *m = sqlite3_column_text(st, 1);
    snprintf(msg, cap, "%s", m != NULL ? (const char *)m : "");
    sqlite3_finalize(st);
    return state;
}

static int64_t count(clef_store *s, int32_t state) {
    int64_t n = -1;
    assert_int_equal(clef_store_job_count(s, JOB, state, &n), CLEF_OK);
    return n;
}

static int32_t cancel_after_first(int64_t done, int64_t total, const char *item, void *user) {
    (void)done;
    (void)item;
    (void)user;
    assert_int_equal(total, 4);
    return 1;
}

static void test_messages_and_limits(void **state) {
    (void)state;
    char dir[256], msg[CLEFI_ERRMSG_CAP];
    clef_ctx *ctx;
    clef_store *s;
    open_store(dir, &ctx, &s);
    test_job tj = {0};
    const clefi_job_def def = {JOB, "test", CLEF_ARTIFACT_EMBEDDING, HASH, test_item, &tj};
    int64_t n = -1;
    /* max_items: one item, then a progress callback that cancels after the next */
    assert_int_equal(clefi_job_run(ctx, s, &def, 0.0, 1, &n, NULL, NULL), CLEF_OK);
    assert_int_equal(n, 1);
    assert_int_equal(clefi_job_run(ctx, s, &def, 0.0, 0, &n, cancel_after_first, NULL),
                     CLEF_ERR_CANCELLED);
    assert_string_equal(clef_ctx_errmsg(ctx), "test job cancelled");
    assert_int_equal(n, 1);
    assert_int_equal(tj.calls, 2);
    assert_int_equal(count(s, CLEF_JOB_PENDING), 2);
    /* the rest */
    assert_int_equal(clefi_job_run(ctx, s, &def, 0.0, 0, &n, NULL, NULL), CLEF_OK);
    assert_int_equal(n, 2);
    assert_int_equal(tj.calls, 4);
    assert_int_equal(count(s, CLEF_JOB_DONE), 2);
    assert_int_equal(count(s, CLEF_JOB_FAILED), 2);
    /* each failure carries its own message, exactly */
    assert_int_equal(item_state(s, "S000_1", msg, sizeof msg), CLEF_JOB_FAILED);
    assert_string_equal(msg, clef_strerror(CLEF_ERR_SHAPE));
    assert_int_equal(item_state(s, "S001_0", msg, sizeof msg), CLEF_JOB_FAILED);
    char want[CLEFI_ERRMSG_CAP];
    snprintf(want, sizeof want, "%s: bad header of S001_0", clef_strerror(CLEF_ERR_FORMAT));
    assert_string_equal(msg, want);
    assert_int_equal(item_state(s, "S000_0", msg, sizeof msg), CLEF_JOB_DONE);
    assert_string_equal(msg, "");
    /* the results are the artifacts */
    char buf[64] = {0};
    size_t needed = 0;
    assert_int_equal(clef_store_artifact_get(s, "S001_1", CLEF_ARTIFACT_EMBEDDING, HASH, buf,
                                             sizeof buf, &needed),
                     CLEF_OK);
    assert_int_equal(needed, strlen("result of S001_1"));
    assert_memory_equal(buf, "result of S001_1", needed);
    /* a finished job: nothing to do */
    assert_int_equal(clefi_job_run(ctx, s, &def, 0.0, 0, &n, NULL, NULL), CLEF_OK);
    assert_int_equal(n, 0);
    assert_int_equal(tj.calls, 4);
    fixture_close_store(dir, ctx, s);
}

/* Out of memory stops the run with the job and item named; the item stays claimed and a rerun
 * that requeues stale claims finishes it. */
static void test_nomem_stops(void **state) {
    (void)state;
    char dir[256];
    clef_ctx *ctx;
    clef_store *s;
    open_store(dir, &ctx, &s);
    test_job tj = {.nomem_item = "S001_1"};
    const clefi_job_def def = {JOB, "test", CLEF_ARTIFACT_EMBEDDING, HASH, test_item, &tj};
    int64_t n = -1;
    assert_int_equal(clefi_job_run(ctx, s, &def, -1.0, 0, &n, NULL, NULL), CLEF_ERR_NOMEM);
    assert_string_equal(clef_ctx_errmsg(ctx), "test job, item 'S001_1': cannot allocate 7 bytes");
    assert_int_equal(n, 3);
    assert_int_equal(count(s, CLEF_JOB_CLAIMED), 1);
    tj.nomem_item = NULL;
    assert_int_equal(clefi_job_run(ctx, s, &def, -1.0, 0, &n, NULL, NULL), CLEF_OK);
    assert_int_equal(n, 0); /* still claimed: no requeue asked */
    assert_int_equal(clefi_job_run(ctx, s, &def, 0.0, 0, &n, NULL, NULL), CLEF_OK);
    assert_int_equal(n, 1);
    assert_int_equal(count(s, CLEF_JOB_DONE), 2);
    fixture_close_store(dir, ctx, s);
}

/* A callback that gives neither a result nor a failure is a bug: CLEF_ERR_INTERNAL. */
static clef_status empty_item(clefi_job_item *it, void *user) {
    (void)it;
    (void)user;
    return CLEF_OK;
}

static void test_no_result(void **state) {
    (void)state;
    char dir[256];
    clef_ctx *ctx;
    clef_store *s;
    open_store(dir, &ctx, &s);
    const clefi_job_def def = {JOB, "test", CLEF_ARTIFACT_EMBEDDING, HASH, empty_item, NULL};
    assert_int_equal(clefi_job_run(ctx, s, &def, 0.0, 0, NULL, NULL, NULL), CLEF_ERR_INTERNAL);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "item 'S000_0': neither a result nor a failure"));
    fixture_close_store(dir, ctx, s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages_and_limits),
        cmocka_unit_test(test_nomem_stops),
        cmocka_unit_test(test_no_result),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
