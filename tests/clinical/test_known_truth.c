/* test_known_truth.c — the band-power baseline on a cohort from the synthetic generator
 * (clef_cohort_generate, lib/cohort), through the real path: EDF+/BDF+ files -> import ->
 * resumable embedding job -> linear probe. The generator injects diffuse beta with
 * benzodiazepines (med_benzodiazepine: AUROC must exceed 0.9) and draws cholecalciferol
 * independently of everything (med_cholecalciferol: the null task, AUROC near 0.5). */
#include "test_support.h"

#include "cohort_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Cohort size: small enough for the ASan run, large enough for a stable test split. */
#define KT_PATIENTS   300
#define KT_SESSIONS   2
#define KT_DURATION_S 12.0
#define KT_SEED       3

typedef struct split {
    float *x;
    int32_t *y;
    int64_t n, dim;
} split;

static void load(clef_store *s, const char *task, int32_t which, split *d) {
    clef_status rc =
        clef_store_task_data(s, task, which, CLEF_ARTIFACT_EMBEDDING, clef_bandpower_model_hash(),
                             NULL, 0, NULL, 0, &d->n, &d->dim);
    assert_int_equal(rc, CLEF_ERR_BUFFER_TOO_SMALL);
    d->x = malloc((size_t)(d->n * d->dim) * sizeof *d->x);
    d->y = malloc((size_t)d->n * sizeof *d->y);
    assert_int_equal(
        clef_store_task_data(s, task, which, CLEF_ARTIFACT_EMBEDDING, clef_bandpower_model_hash(),
                             d->x, (size_t)(d->n * d->dim), d->y, (size_t)d->n, &d->n, &d->dim),
        CLEF_OK);
}

static void eval_task(clef_eval *ev, clef_store *s, const char *task) {
    split d[3];
    for (int k = 0; k < 3; k++)
        load(s, task, CLEF_SPLIT_TRAIN + k, &d[k]);
    assert_int_equal(clef_eval_add_task(ev, task, d[0].x, d[0].y, (size_t)d[0].n, d[1].x, d[1].y,
                                        (size_t)d[1].n, d[2].x, d[2].y, (size_t)d[2].n,
                                        (size_t)d[0].dim),
                     CLEF_OK);
    for (int k = 0; k < 3; k++) {
        free(d[k].x);
        free(d[k].y);
    }
}

static void test_generated_cohort(void **state) {
    (void)state;
    char dir[256], cohort[300], db[300];
    snprintf(dir, sizeof dir, "%s", fixture_tmpdir("truth_gen"));
    snprintf(cohort, sizeof cohort, "%s/cohort", dir);
    snprintf(db, sizeof db, "%s/store.db", dir);
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_params *p;
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_COHORT), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_COHORT_SEED, KT_SEED), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_COHORT_N_PATIENTS, KT_PATIENTS), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_COHORT_MAX_SESSIONS, KT_SESSIONS), CLEF_OK);
    assert_int_equal(clef_params_set_f64(p, CLEF_P_COHORT_DURATION_S, KT_DURATION_S), CLEF_OK);
    clef_session *sess;
    assert_int_equal(clef_session_create(&sess, ctx, 2), CLEF_OK);
    assert_int_equal(clef_cohort_generate(sess, p, cohort, NULL, NULL), CLEF_OK);
    clef_session_free(sess);
    clef_params_free(p);

    clef_store *s;
    assert_int_equal(clef_store_open(&s, ctx, db), CLEF_OK);
    assert_int_equal(clef_store_import_cohort(s, cohort, NULL, NULL, NULL), CLEF_OK);
    int64_t n_tasks, n_sessions, failed;
    assert_int_equal(clef_store_count(s, CLEF_STORE_TASKS, &n_tasks), CLEF_OK);
    assert_int_equal(n_tasks, clef_cohort_n_tasks());
    assert_int_equal(clef_bandpower_job_run(ctx, s, 0.0, 0, NULL, NULL, NULL), CLEF_OK);
    assert_int_equal(clef_store_count(s, CLEF_STORE_SESSIONS, &n_sessions), CLEF_OK);
    assert_int_equal(clef_store_job_count(s, clef_bandpower_job_name(), CLEF_JOB_FAILED, &failed),
                     CLEF_OK);
    assert_int_equal(failed, 0); /* every generated file (EDF+/BDF+, mV, missing channels) reads */

    clef_eval *ev;
    assert_int_equal(clef_eval_create(&ev, ctx), CLEF_OK);
    assert_int_equal(clef_eval_set_bootstrap(ev, 500, 11, 0.95), CLEF_OK);
    eval_task(ev, s, "med_benzodiazepine");
    eval_task(ev, s, "med_cholecalciferol");
    double auc[2], lo[2], hi[2];
    int32_t status[2];
    int64_t n_test[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(clef_eval_task_result(ev, i, &status[i], NULL, NULL, &n_test[i], &auc[i],
                                               &lo[i], &hi[i], NULL),
                         CLEF_OK);
        assert_int_equal(status[i], CLEF_OK);
    }
    print_message("%lld sessions; med_benzodiazepine AUROC %.3f [%.3f, %.3f] (n=%lld); "
                  "med_cholecalciferol AUROC %.3f [%.3f, %.3f] (n=%lld)\n",
                  (long long)n_sessions, auc[0], lo[0], hi[0], (long long)n_test[0], auc[1], lo[1],
                  hi[1], (long long)n_test[1]);
    if (!(auc[0] > 0.9))
        fail_msg("benzodiazepine/beta AUROC %.3f, expected > 0.9", auc[0]);
    if (!(fabs(auc[1] - 0.5) < 0.2 && lo[1] < 0.5 && hi[1] > 0.5))
        fail_msg("null-task AUROC %.3f [%.3f, %.3f], expected near 0.5", auc[1], lo[1], hi[1]);
    clef_eval_free(ev);
    clef_store_free(s);
    clef_ctx_free(ctx);
    fixture_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_generated_cohort)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
