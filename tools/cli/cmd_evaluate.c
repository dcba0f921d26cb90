/* cmd_evaluate.c — clef evaluate --store PATH [--model M] [--out results.csv]: a linear probe
 * per task on a stored embedding kind (the band-power baseline, computed first as a resumable
 * job, or an encoder's: clef embed --store) with the test AUROC and its bootstrap 95 % CI. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#include <math.h>

/* Print the table and write the CSV; returns the exit code. */
static int report(clef_eval *ev, const char *out_path) {
    FILE *csv = NULL;
    if (out_path != NULL && (csv = fopen(out_path, "w")) == NULL) {
        fprintf(stderr, "clef evaluate: cannot write %s\n", out_path);
        return 1;
    }
    if (csv != NULL)
        fprintf(csv, "task,n_train,n_val,n_test,auroc,ci_low,ci_high,c,status,smd_age,smd_sex\n");
    printf("%-32s %6s %7s  %-17s %7s %7s\n", "task", "n", "AUROC", "95% CI", "SMD age", "sex");
    int64_t n_unbalanced = 0;
    for (int64_t i = 0; i < clef_eval_n_tasks(ev); i++) {
        char name[256];
        size_t needed;
        int32_t status;
        int64_t ntr, nva, nte;
        double auc, lo, hi, c;
        if (clef_eval_task_name(ev, i, name, sizeof name, &needed) != CLEF_OK ||
            clef_eval_task_result(ev, i, &status, &ntr, &nva, &nte, &auc, &lo, &hi, &c) != CLEF_OK)
            continue;
        double sa = NAN, sx = NAN;
        (void)clef_eval_task_balance(ev, i, &sa, &sx);
        /* the matched design's bound: a probe may partly learn age or sex beyond it */
        int unbalanced = ntr + nva + nte >= 20 && (sa >= 0.1 || sx >= 0.1);
        n_unbalanced += unbalanced;
        if (status == CLEF_OK)
            printf("%-32s %6lld %7.3f  [%.3f, %.3f]    %7.3f %7.3f%s\n", name, (long long)nte, auc,
                   lo, hi, sa, sx, unbalanced ? "  UNBALANCED" : "");
        else
            printf("%-32s %6lld %7s  (skipped: a split lacks a class)\n", name, (long long)nte,
                   "-");
        if (csv != NULL)
            cli_fprintf_c(csv, "%s,%lld,%lld,%lld,%.6f,%.6f,%.6f,%g,%s,%.4f,%.4f\n", name,
                          (long long)ntr, (long long)nva, (long long)nte, auc, lo, hi, c,
                          status == CLEF_OK ? "ok" : "skipped", sa, sx);
    }
    double mean;
    int64_t k;
    if (clef_eval_mean_auroc(ev, &mean, &k) == CLEF_OK) {
        printf("%-32s %6lld %7.3f  (tasks evaluated)\n", "mean", (long long)k, mean);
        if (csv != NULL)
            cli_fprintf_c(csv, "mean,,,%lld,%.6f,,,,ok,,\n", (long long)k, mean);
    }
    if (n_unbalanced > 0)
        printf("%lld task(s) UNBALANCED: positives and negatives differ in age or sex by a "
               "standardized mean difference >= 0.1\n",
               (long long)n_unbalanced);
    if (csv != NULL && fclose(csv) != 0) {
        fprintf(stderr, "clef evaluate: cannot write %s\n", out_path);
        return 1;
    }
    return 0;
}

static const char k_usage[] =
    "usage: clef evaluate --store PATH [--model bandpower|WEIGHTS|HASH] [-o|--out results.csv]\n"
    "                     [--bootstrap N] [--seed S]\n\n"
    "Fit a linear probe per task on the train split of a stored embedding kind with C\n"
    "chosen on val, and print the test AUROC with a bootstrap 95% CI (default 1000\n"
    "resamples, seed 0); --out also writes the table as CSV. --model bandpower (the\n"
    "default) first computes the band-power baseline embedding of every session (a\n"
    "resumable job: rerun after an interruption to finish it); --model WEIGHTS probes\n"
    "the embeddings of an encoder weights file (clef embed --store, keyed by its\n"
    "SHA-256), --model HASH those stored under a model hash.\n";

/* The model hash of --model: band-power's, a 64-hex-digit hash, or a weights file's. */
static int model_hash(clef_ctx *ctx, const char *model, char hash[65]) {
    size_t n = strlen(model);
    if (strcmp(model, "bandpower") == 0) {
        snprintf(hash, 65, "%s", clef_bandpower_model_hash());
        return 0;
    }
    if (n == 64 && strspn(model, "0123456789abcdef") == 64) {
        memcpy(hash, model, 65);
        return 0;
    }
    clef_status rc = clef_encoder_model_hash(ctx, model, hash, 65, NULL);
    return rc != CLEF_OK ? cli_fail(model, rc, clef_ctx_errmsg(ctx)) : 0;
}

int cmd_evaluate(int argc, char **argv) {
    const char *store = NULL, *out = NULL, *model = "bandpower";
    int64_t n_boot = 1000, seed = 0;
    const cli_opt opts[] = {
        CLI_STR("--store", NULL, &store, 1),    CLI_OUT(&out, 0),
        CLI_STR("--model", NULL, &model, 0),    CLI_I64("--bootstrap", &n_boot, 2, 1000000),
        CLI_I64("--seed", &seed, 0, INT64_MAX), CLI_END};
    const cli_cmd cmd = {"evaluate", k_usage, opts};
    int r = 0;
    if (cli_parse(&cmd, argc, argv, &r) != 0)
        return r;
    clef_ctx *ctx;
    clef_status rc = clef_ctx_create(&ctx);
    if (rc != CLEF_OK)
        return cli_fail("evaluate", rc, NULL);
    clef_store *s = NULL;
    clef_eval *ev = NULL;
    rc = clef_store_open(&s, ctx, store);
    if (rc != CLEF_OK) {
        r = cli_fail("evaluate", rc, clef_ctx_errmsg(ctx));
        goto done;
    }
    char hash[65];
    if ((r = model_hash(ctx, model, hash)) != 0)
        goto done;
    int bandpower = strcmp(hash, clef_bandpower_model_hash()) == 0;
    /* one worker: claims left by an interrupted run are taken over at once */
    cli_progress bar;
    cli_progress_begin(&bar, "clef evaluate: band-power embeddings", 0);
    rc = bandpower ? clef_bandpower_job_run(ctx, s, 0.0, 0, NULL, cli_progress_item_cb, &bar)
                   : CLEF_OK;
    cli_progress_end(&bar);
    if (rc != CLEF_OK) {
        r = cli_fail("evaluate: embedding", rc, clef_ctx_errmsg(ctx));
        goto done;
    }
    int64_t failed = 0;
    if (bandpower &&
        clef_store_job_count(s, clef_bandpower_job_name(), CLEF_JOB_FAILED, &failed) == CLEF_OK &&
        failed > 0)
        fprintf(stderr,
                "clef evaluate: warning: %lld session(s) could not be read (see the "
                "jobs table)\n",
                (long long)failed);
    rc = clef_eval_create(&ev, ctx);
    if (rc == CLEF_OK)
        rc = clef_eval_set_bootstrap(ev, n_boot, (uint64_t)seed, 0.95);
    cli_progress_begin(&bar, "clef evaluate: probes", 0);
    if (rc == CLEF_OK)
        rc = clef_eval_run_store(ev, s, CLEF_ARTIFACT_EMBEDDING, hash, cli_progress_item_cb, &bar);
    cli_progress_end(&bar);
    if (rc != CLEF_OK) {
        r = cli_fail("evaluate", rc, ev != NULL ? clef_eval_errmsg(ev) : clef_ctx_errmsg(ctx));
        goto done;
    }
    r = report(ev, out);
done:
    clef_eval_free(ev);
    clef_store_free(s);
    clef_ctx_free(ctx);
    return r;
}
