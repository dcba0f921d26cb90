/* test_oom_store.c — OOM sweeps of the cohort store, the evaluation harness (AUROC, probes,
 * band-power baseline, store evaluation), synthetic cohorts, reports and the text tower
 * (oom_sweep.h says what each sweep checks). Store queries and job bookkeeping run on
 * SQLite's own memory and are exempt (oom_exempt.txt). */
#include "oom_sweep.h"

#include "cohort_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- store ---- */

static clef_status s_db_path(oom_fx *fx) {
    static unsigned serial;
    snprintf(fx->path, sizeof fx->path, "%s/new%u.db", oom_tmpdir(), serial++);
    return CLEF_OK;
}

static clef_status c_store_open(oom_fx *fx) {
    clef_store *s = NULL;
    clef_status rc = clef_store_open(&s, fx->ctx, fx->path);
    clef_store_free(s);
    return rc;
}

static clef_status s_store_new(oom_fx *fx) {
    clef_status rc = s_db_path(fx);
    return rc == CLEF_OK ? clef_store_open(&fx->store, fx->ctx, fx->path) : rc;
}

static clef_status c_store_import(oom_fx *fx) {
    return clef_store_import_cohort(fx->store, oom_cohort_small_dir(), NULL, NULL, NULL);
}

static clef_status c_store_import_flags(oom_fx *fx) {
    int64_t rows = 0, skipped = -1;
    clef_status rc = clef_store_import_cohort_flags(
        fx->store, oom_cohort_small_dir(), CLEF_STORE_IMPORT_SKIP_BAD, &rows, &skipped, NULL, NULL);
    if (rc == CLEF_OK)
        assert_int_equal(skipped, 0);
    return rc;
}

/* Every row of an import, once: a failed import kept nothing (it is one transaction). */
static void check_imported(oom_fx *fx) {
    int64_t n = 0;
    assert_int_equal(clef_store_count(fx->store, CLEF_STORE_SESSIONS, &n), CLEF_OK);
    assert_int_equal(n, 3);
    assert_int_equal(clef_store_count(fx->store, CLEF_STORE_PATIENTS, &n), CLEF_OK);
    assert_int_equal(n, 3);
}

/* ---- AUROC, probes, band power ---- */

enum { N = 40, D = 3 };
static double g_x[N * D];
static int32_t g_y[N];

static void probe_data(void) {
    for (int i = 0; i < N; i++) {
        g_y[i] = i % 2;
        for (int j = 0; j < D; j++)
            g_x[i * D + j] = (double)((i * 7 + j * 3) % 11) / 11.0 + (j == 0 ? 0.8 * g_y[i] : 0.0);
    }
}

static clef_status c_auroc(oom_fx *fx) {
    probe_data();
    double a = 0, lo = 0, hi = 0;
    clef_status rc = clef_auroc(fx->ctx, g_x, g_y, N, &a);
    if (rc == CLEF_OK)
        rc = clef_auroc_ci(fx->ctx, g_x, g_y, N, 50, 1, 0.95, &lo, &hi);
    return rc;
}

static clef_status c_probe_fit(oom_fx *fx) {
    probe_data();
    clef_probe *p = NULL;
    clef_status rc = clef_probe_fit(&p, fx->ctx, g_x, g_y, N, D, 1.0);
    clef_probe_free(p);
    return rc;
}

static clef_status c_probe_fit_many(oom_fx *fx) {
    probe_data();
    static int32_t y2[N * 2];
    for (int i = 0; i < N; i++) {
        y2[i * 2] = g_y[i];
        y2[i * 2 + 1] = (i / 2) % 2;
    }
    clef_probe *p = NULL;
    clef_status rc = clef_probe_fit_many(&p, fx->ctx, g_x, y2, N, D, 2, 1.0);
    clef_probe_free(p);
    return rc;
}

static clef_status c_probe_fit_select(oom_fx *fx) {
    probe_data();
    static const double grid[3] = {0.1, 1.0, 10.0};
    clef_probe *p = NULL;
    clef_status rc = clef_probe_fit_select(&p, fx->ctx, g_x, g_y, N / 2, g_x + N / 2 * D,
                                           g_y + N / 2, N / 2, D, grid, 3);
    clef_probe_free(p);
    return rc;
}

static clef_status s_probe(oom_fx *fx) {
    probe_data();
    return clef_probe_fit(&fx->probe, fx->ctx, g_x, g_y, N, D, 1.0);
}

static clef_status c_probe_predict(oom_fx *fx) {
    double prob[N];
    return clef_probe_predict(fx->probe, g_x, N, D, prob);
}

static clef_status c_bandpower(oom_fx *fx) {
    enum { NS = 200 * 8 };
    static float x[19 * NS];
    for (int i = 0; i < 19 * NS; i++)
        x[i] = (float)((i * 7919) % 200) - 100.0f;
    float out[512];
    return clef_bandpower_embed(fx->ctx, x, 19, NS, NS, 200.0, out, 512, NULL);
}

/* ---- evaluation ---- */

/* 24 sessions of 2 features and alternating labels: train, val, test of 8 each. */
enum { EVAL_M = 24 };
static float k_eval_x[EVAL_M * 2];
static int32_t k_eval_y[EVAL_M];
static void eval_data(void) {
    for (int i = 0; i < EVAL_M; i++) {
        k_eval_y[i] = i % 2;
        k_eval_x[i * 2] = (float)k_eval_y[i] + 0.1f * (float)(i % 5);
        k_eval_x[i * 2 + 1] = (float)(i % 7);
    }
}

static clef_status add_eval_task(clef_eval *ev, const char *name) {
    const float *x = k_eval_x;
    const int32_t *y = k_eval_y;
    return clef_eval_add_task(ev, name, x, y, 8, x + 16, y + 8, 8, x + 32, y + 16, 8, 2);
}

static clef_status c_eval(oom_fx *fx) {
    eval_data();
    static const double grid[2] = {0.5, 2.0};
    clef_eval *ev = NULL;
    clef_status rc = clef_eval_create(&ev, fx->ctx);
    if (rc == CLEF_OK)
        rc = clef_eval_set_c_grid(ev, grid, 2);
    if (rc == CLEF_OK)
        rc = add_eval_task(ev, "t");
    clef_eval_free(ev);
    return rc;
}

/* An evaluation of two tasks, for the means over tasks. */
static clef_status s_eval_tasks(oom_fx *fx) {
    eval_data();
    clef_status rc = clef_eval_create(&fx->ev, fx->ctx);
    if (rc == CLEF_OK)
        rc = clef_eval_set_bootstrap(fx->ev, 20, 1, 0.95);
    for (int t = 0; t < 2 && rc == CLEF_OK; t++)
        rc = add_eval_task(fx->ev, t == 0 ? "feat_a" : "feat_b");
    return rc;
}

static clef_status c_eval_means(oom_fx *fx) {
    double m, lo, hi;
    clef_status rc = clef_eval_mean_ci(fx->ev, "feat_", &m, &lo, &hi, NULL);
    return rc == CLEF_OK ? clef_eval_compare(fx->ev, fx->ev, NULL, &m, &lo, &hi, NULL) : rc;
}

static clef_status s_eval_store(oom_fx *fx) {
    clef_status rc = clef_eval_create(&fx->ev, fx->ctx);
    if (rc == CLEF_OK)
        rc = clef_eval_set_bootstrap(fx->ev, 20, 1, 0.95);
    return rc == CLEF_OK ? oom_open_store_copy(fx, 1) : rc;
}

static clef_status c_eval_run_store(oom_fx *fx) {
    return clef_eval_run_store(fx->ev, fx->store, CLEF_ARTIFACT_EMBEDDING,
                               clef_bandpower_model_hash(), NULL, NULL);
}

static clef_status s_store_copy(oom_fx *fx) { return oom_open_store_copy(fx, 0); }

static clef_status c_bandpower_job(oom_fx *fx) {
    return clef_bandpower_job_run(fx->ctx, fx->store, 0.0, 2, NULL, NULL, NULL);
}

/* ---- synthetic cohort ---- */

static clef_status s_cohort(oom_fx *fx) {
    static unsigned serial;
    snprintf(fx->dir, sizeof fx->dir, "%s/gen%u", oom_tmpdir(), serial++);
    clef_status rc = oom_session(fx);
    if (rc == CLEF_OK)
        rc = clef_params_create(&fx->p, fx->ctx, CLEF_PARAMS_COHORT);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(fx->p, CLEF_P_COHORT_N_PATIENTS, 2);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(fx->p, CLEF_P_COHORT_MAX_SESSIONS, 1);
    if (rc == CLEF_OK)
        rc = clef_params_set_f64(fx->p, CLEF_P_COHORT_DURATION_S, 1);
    return rc;
}

static clef_status c_cohort(oom_fx *fx) {
    return clef_cohort_generate(fx->s, fx->p, fx->dir, NULL, NULL);
}

/* ---- reports ---- */

static const char k_report[] =
    "PATIENT: John Smith, MRN 1234567, DOB 01/02/1960.\n"
    "HISTORY: 64-year-old man with spells. Seen by Dr. Jane Doe on 03/04/2024.\n"
    "DESCRIPTION OF THE RECORD: Posterior dominant rhythm of 9 Hz. No focal slowing. Possible "
    "sharp waves over the left temporal region.\n"
    "IMPRESSION: Abnormal EEG due to left temporal sharp waves. No electrographic seizures.\n";

static clef_status c_report_deid(oom_fx *fx) {
    char out[1024];
    return clef_report_deidentify(fx->ctx, k_report, strlen(k_report), out, sizeof out, NULL);
}

static clef_status c_report_summarize(oom_fx *fx) {
    char out[1024];
    int32_t status[64];
    assert_true(clef_report_n_findings() <= 64);
    return clef_report_summarize(fx->ctx, k_report, strlen(k_report), NULL, NULL, out, sizeof out,
                                 NULL, status, 64);
}

/* ---- text tower ---- */

static clef_status c_text_load(oom_fx *fx) {
    const char *vocab = NULL, *st = oom_text_paths(&vocab);
    clef_text_encoder *te = NULL;
    clef_status rc = clef_text_encoder_load(&te, fx->ctx, st, vocab, 2);
    clef_text_encoder_free(te);
    return rc;
}

static clef_status s_text(oom_fx *fx) {
    const char *vocab = NULL, *st = oom_text_paths(&vocab);
    clef_status rc = oom_session(fx);
    return rc == CLEF_OK ? clef_text_encoder_load(&fx->te, fx->ctx, st, vocab, 2) : rc;
}

static const char k_text[] = "The normal EEGs, no sharp waves. Slowing alpha.";

static clef_status c_text_embed(oom_fx *fx) {
    float out[8];
    return clef_text_encoder_embed(fx->te, fx->s, k_text, out, 8, NULL);
}

static const oom_case k_cases[] = {
    {.name = "store_open",
     .covers = COVERS("clef_store_open"),
     .setup = s_db_path,
     .call = c_store_open},
    {.name = "store_import",
     .covers = COVERS("clef_store_import_cohort"),
     .setup = s_store_new,
     .call = c_store_import,
     .check = check_imported},
    {.name = "store_import_flags",
     .covers = COVERS("clef_store_import_cohort_flags"),
     .setup = s_store_new,
     .call = c_store_import_flags,
     .check = check_imported},
    {.name = "auroc", .covers = COVERS("clef_auroc clef_auroc_ci"), .call = c_auroc},
    {.name = "probe_fit", .covers = COVERS("clef_probe_fit"), .call = c_probe_fit},
    {.name = "probe_fit_many", .covers = COVERS("clef_probe_fit_many"), .call = c_probe_fit_many},
    {.name = "probe_fit_select",
     .covers = COVERS("clef_probe_fit_select"),
     .call = c_probe_fit_select},
    {.name = "probe_predict",
     .covers = COVERS("clef_probe_predict"),
     .setup = s_probe,
     .call = c_probe_predict},
    {.name = "bandpower_embed", .covers = COVERS("clef_bandpower_embed"), .call = c_bandpower},
    {.name = "eval",
     .covers = COVERS("clef_eval_create clef_eval_set_c_grid clef_eval_add_task"),
     .call = c_eval},
    {.name = "eval_means",
     .covers = COVERS("clef_eval_mean_ci clef_eval_compare"),
     .setup = s_eval_tasks,
     .call = c_eval_means},
    {.name = "eval_run_store",
     .covers = COVERS("clef_eval_run_store"),
     .setup = s_eval_store,
     .call = c_eval_run_store},
    {.name = "bandpower_job",
     .covers = COVERS("clef_bandpower_job_run"),
     .setup = s_store_copy,
     .call = c_bandpower_job},
    {.name = "cohort_generate",
     .covers = COVERS("clef_cohort_generate"),
     .setup = s_cohort,
     .call = c_cohort},
    {.name = "report_deidentify",
     .covers = COVERS("clef_report_deidentify"),
     .call = c_report_deid},
    {.name = "report_summarize",
     .covers = COVERS("clef_report_summarize"),
     .call = c_report_summarize},
    {.name = "text_encoder_load", .covers = COVERS("clef_text_encoder_load"), .call = c_text_load},
    {.name = "text_encoder_embed",
     .covers = COVERS("clef_text_encoder_embed"),
     .setup = s_text,
     .call = c_text_embed},
};

int main(int argc, char **argv) {
    return oom_run(argc, argv, "oom_store", k_cases, sizeof k_cases / sizeof *k_cases);
}
