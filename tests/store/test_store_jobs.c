/* test_store_jobs.c — resumable jobs under kill -9, and the band-power baseline end to end on a
 * hand-made cohort of known truth (store -> job -> evaluation). */
#define _POSIX_C_SOURCE 200809L /* fork, kill, nanosleep */
#include "test_support.h"

#include "cohort_fixture.h"
#include "store/store_int.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* In the child: slow each item down so the parent can kill the job in the middle. */
static int32_t slow_progress(int64_t done, int64_t total, const char *task, void *user) {
    (void)done;
    (void)total;
    (void)task;
    (void)user;
    sleep_ms(40);
    return 0;
}

/* In a forked worker: its own context and connection to db; exit code 2 if they fail. */
static clef_store *child_open_store(const char *db, clef_ctx **cctx) {
    clef_store *cs;
    if (clef_ctx_create(cctx) != CLEF_OK || clef_store_open(&cs, *cctx, db) != CLEF_OK)
        _exit(2);
    return cs;
}

static int64_t job_count(clef_store *s, int32_t state) {
    int64_t n = -1;
    assert_int_equal(clef_store_job_count(s, clef_bandpower_job_name(), state, &n), CLEF_OK);
    return n;
}

static void test_kill9_resume(void **state) {
    (void)state;
    char dir[256], db[512];
    clef_ctx *ctx;
    clef_store *s;
    int n = fixture_open_store("kill9", 8, 3, 6.0, 5, dir, db, &ctx, &s);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* child: its own connection, runs the job until killed */
        clef_ctx *cctx;
        clef_store *cs = child_open_store(db, &cctx);
        clef_status rc = clef_bandpower_job_run(cctx, cs, -1.0, 0, NULL, slow_progress, NULL);
        _exit(rc == CLEF_OK ? 0 : 3);
    }
    /* parent: wait until a few items are done, then kill -9 the worker mid-job */
    int64_t done = 0;
    for (int k = 0; k < 3000 && done < 4; k++) {
        sleep_ms(5);
        int64_t nd = 0;
        if (clef_store_job_count(s, clef_bandpower_job_name(), CLEF_JOB_DONE, &nd) == CLEF_OK)
            done = nd;
    }
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    int64_t done_before = job_count(s, CLEF_JOB_DONE);
    int64_t artifacts_before;
    assert_int_equal(clef_store_count(s, CLEF_STORE_ARTIFACTS, &artifacts_before), CLEF_OK);
    print_message("killed after %lld of %d items\n", (long long)done_before, n);
    assert_true(done_before >= 4 && done_before < n); /* killed in the middle */
    assert_int_equal(artifacts_before, done_before);  /* each result committed with its state */
    assert_int_equal(job_count(s, CLEF_JOB_FAILED), 0);

    /* rerun: stale claims of the dead worker go back to pending; finished items are kept */
    int64_t processed = 0;
    assert_int_equal(clef_bandpower_job_run(ctx, s, 0.0, 0, &processed, NULL, NULL), CLEF_OK);
    assert_int_equal(processed, n - done_before); /* none redone, none lost */
    assert_int_equal(job_count(s, CLEF_JOB_DONE), n);
    assert_int_equal(job_count(s, -1), n);
    int64_t artifacts;
    assert_int_equal(clef_store_count(s, CLEF_STORE_ARTIFACTS, &artifacts), CLEF_OK);
    assert_int_equal(artifacts, n);
    assert_int_equal(clef_store_count(s, CLEF_STORE_CHANNEL_MAPS, &artifacts), CLEF_OK);
    assert_int_equal(artifacts, (int64_t)n * CLEF_N_CANONICAL);
    /* a third run finds nothing to do */
    assert_int_equal(clef_bandpower_job_run(ctx, s, 0.0, 0, &processed, NULL, NULL), CLEF_OK);
    assert_int_equal(processed, 0);

    /* every stored embedding equals a fresh computation from the file */
    char rp[1024], sid[64];
    float emb[CLEF_N_CANONICAL * 4], want[CLEF_N_CANONICAL * 4];
    size_t needed;
    for (int p = 0; p < 8; p++)
        for (int j = 0; j < 3; j++) {
            snprintf(sid, sizeof sid, "S%03d_%d", p, j);
            assert_int_equal(clef_store_artifact_get(s, sid, CLEF_ARTIFACT_EMBEDDING,
                                                     clef_bandpower_model_hash(), emb, sizeof emb,
                                                     &needed),
                             CLEF_OK);
            assert_int_equal(clef_store_recording_path(s, sid, rp, sizeof rp, &needed), CLEF_OK);
            clef_recording *rec;
            assert_int_equal(clef_recording_open(&rec, ctx, rp, NULL), CLEF_OK);
            int64_t len;
            assert_int_equal(clef_recording_canonical_length(rec, 0, -1, &len), CLEF_OK);
            float *x = malloc((size_t)len * CLEF_N_CANONICAL * sizeof *x);
            assert_int_equal(clef_recording_read_canonical(rec, 0, -1, x, (size_t)len,
                                                           (size_t)len * CLEF_N_CANONICAL, &len,
                                                           NULL),
                             CLEF_OK);
            assert_int_equal(clef_bandpower_embed(ctx, x, CLEF_N_CANONICAL, len, len, 200.0, want,
                                                  CLEF_N_CANONICAL * 4, NULL),
                             CLEF_OK);
            assert_memory_equal(emb, want, sizeof emb);
            free(x);
            clef_recording_free(rec);
        }
    fixture_close_store(dir, ctx, s);
}

/* Two worker processes on one job: every item is processed exactly once. */
static void test_two_workers(void **state) {
    (void)state;
    char dir[256], db[512];
    clef_ctx *ctx;
    clef_store *s;
    int n = fixture_open_store("workers", 6, 3, 3.0, 12, dir, db, &ctx, &s);
    pid_t pids[2];
    for (int w = 0; w < 2; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0) {
            clef_ctx *cctx;
            int64_t mine = 0;
            clef_store *cs = child_open_store(db, &cctx);
            /* stale_s < 0: never take over the other live worker's claims */
            clef_status rc = clef_bandpower_job_run(cctx, cs, -1.0, 0, &mine, slow_progress, NULL);
            _exit(rc == CLEF_OK && mine > 0 ? 0 : 3);
        }
    }
    for (int w = 0; w < 2; w++) {
        int status;
        assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) != 0)
            fail_msg("worker %d exited with %d", w, WEXITSTATUS(status));
    }
    assert_int_equal(job_count(s, CLEF_JOB_DONE), n);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(s->db,
                                        "SELECT max(attempts), count(DISTINCT owner) FROM jobs", -1,
                                        &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1); /* no item claimed twice */
    assert_int_equal(sqlite3_column_int(st, 1), 2); /* both workers took part */
    sqlite3_finalize(st);
    int64_t artifacts;
    assert_int_equal(clef_store_count(s, CLEF_STORE_ARTIFACTS, &artifacts), CLEF_OK);
    assert_int_equal(artifacts, n);
    fixture_close_store(dir, ctx, s);
}

/* A session whose file is unreadable is marked failed; the job goes on. */
static void test_job_failed_item(void **state) {
    (void)state;
    char dir[256], db[512];
    clef_ctx *ctx;
    clef_store *s;
    int n = fixture_open_store("jobfail", 2, 2, 3.0, 8, dir, db, &ctx, &s);
    fixture_write_file(dir, "edf/S001_0.edf", "not an EDF file");
    int64_t processed;
    assert_int_equal(clef_bandpower_job_run(ctx, s, 0.0, 0, &processed, NULL, NULL), CLEF_OK);
    assert_int_equal(processed, n);
    assert_int_equal(job_count(s, CLEF_JOB_DONE), n - 1);
    assert_int_equal(job_count(s, CLEF_JOB_FAILED), 1);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(s->db, "SELECT item, message FROM jobs WHERE state = 3", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "S001_0");
    assert_true(strlen((const char *)sqlite3_column_text(st, 1)) > 0);
    sqlite3_finalize(st);
    fixture_close_store(dir, ctx, s);
}

/* Known truth on the hand-made cohort: the baseline recovers the injected beta of the
 * benzodiazepine task and is near chance on a label independent of the EEG. */
static void test_known_truth_fixture(void **state) {
    (void)state;
    char dir[256], db[512];
    clef_ctx *ctx;
    clef_store *s;
    fixture_open_store("truth", 80, 3, 4.0, 2026, dir, db, &ctx, &s);
    assert_int_equal(clef_bandpower_job_run(ctx, s, 0.0, 0, NULL, NULL, NULL), CLEF_OK);
    clef_eval *ev;
    assert_int_equal(clef_eval_create(&ev, ctx), CLEF_OK);
    assert_int_equal(clef_eval_set_bootstrap(ev, 300, 7, 0.95), CLEF_OK);
    assert_int_equal(clef_eval_run_store(ev, s, CLEF_ARTIFACT_EMBEDDING,
                                         clef_bandpower_model_hash(), NULL, NULL),
                     CLEF_OK);
    assert_int_equal(clef_eval_n_tasks(ev), 2);
    double auc[2], lo[2], hi[2];
    int32_t status[2];
    int64_t n_test[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(clef_eval_task_result(ev, i, &status[i], NULL, NULL, &n_test[i], &auc[i],
                                               &lo[i], &hi[i], NULL),
                         CLEF_OK);
    /* tasks sorted by name: dis_random, med_benzodiazepine */
    assert_int_equal(status[0], CLEF_OK);
    assert_int_equal(status[1], CLEF_OK);
    assert_int_equal(n_test[1], 48); /* patients p % 5 == 4: 16 of 80, 3 sessions each */
    print_message("med_benzodiazepine AUROC %.3f [%.3f, %.3f]; dis_random AUROC %.3f [%.3f, "
                  "%.3f]\n",
                  auc[1], lo[1], hi[1], auc[0], lo[0], hi[0]);
    if (!(auc[1] > 0.9))
        fail_msg("benzodiazepine/beta AUROC %.3f, expected > 0.9", auc[1]);
    if (!(fabs(auc[0] - 0.5) < 0.25 && lo[0] < 0.5 && hi[0] > 0.5))
        fail_msg("random-label AUROC %.3f [%.3f, %.3f], expected near 0.5", auc[0], lo[0], hi[0]);
    clef_eval_free(ev);
    fixture_close_store(dir, ctx, s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_resume),
        cmocka_unit_test(test_two_workers),
        cmocka_unit_test(test_job_failed_item),
        cmocka_unit_test(test_known_truth_fixture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
