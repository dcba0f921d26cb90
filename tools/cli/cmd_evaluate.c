/* cmd_evaluate.c — clef evaluate --store PATH [--model M] [--versus M] [--out results.csv]: a
 * linear probe per task on a stored embedding kind (the band-power baseline, computed first as
 * a resumable job, or an encoder's: clef embed --store) with the test AUROC and its bootstrap
 * 95 % CI; the means over tasks with theirs, and paired differences against a second kind. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_category.h"

#include <math.h>

/* The task categories of ev (dis_, med_, feat_). */
static cli_categories categories(clef_eval *ev) {
    cli_categories c = {.n = 0};
    for (int64_t i = 0; i < clef_eval_n_tasks(ev); i++) {
        char name[256];
        if (clef_eval_task_name(ev, i, name, sizeof name, NULL) == CLEF_OK)
            cli_categories_add(&c, name);
    }
    return c;
}

/* Paired differences ev - base over all tasks and each category, with their CIs. */
static void report_versus(clef_eval *ev, clef_eval *base, const char *base_name) {
    cli_categories cat = categories(ev);
    printf("\ndifference in mean AUROC against %s (the same test sessions, paired bootstrap 95%% "
           "CI):\n",
           base_name);
    for (int64_t j = -1; j < cat.n; j++) {
        const char *pre = j < 0 ? NULL : cat.name[j];
        double d, lo, hi;
        int64_t k;
        clef_status rc = clef_eval_compare(ev, base, pre, &d, &lo, &hi, &k);
        if (rc == CLEF_OK)
            printf("  %-30s %6lld %+7.3f  [%+.3f, %+.3f]%s\n", j < 0 ? "all" : pre, (long long)k, d,
                   lo, hi,
                   lo > 0.0   ? "  higher"
                   : hi < 0.0 ? "  lower"
                              : "");
        else
            printf("  %-30s %s\n", j < 0 ? "all" : pre, clef_eval_errmsg(ev));
    }
}

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
    double mean, lo, hi;
    int64_t k;
    if (clef_eval_mean_ci(ev, NULL, &mean, &lo, &hi, &k) == CLEF_OK) {
        printf("%-32s %6lld %7.3f  [%.3f, %.3f]    (tasks evaluated)\n", "mean", (long long)k, mean,
               lo, hi);
        if (csv != NULL)
            cli_fprintf_c(csv, "mean,,,%lld,%.6f,%.6f,%.6f,,ok,,\n", (long long)k, mean, lo, hi);
        cli_categories cat = categories(ev);
        for (int64_t j = 0; j < cat.n; j++)
            if (clef_eval_mean_ci(ev, cat.name[j], &mean, &lo, &hi, &k) == CLEF_OK)
                printf("mean %-27s %6lld %7.3f  [%.3f, %.3f]\n", cat.name[j], (long long)k, mean,
                       lo, hi);
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
    "                     [--versus bandpower|WEIGHTS|HASH] [--bootstrap N] [--seed S]\n\n"
    "Fit a linear probe per task on the train split of a stored embedding kind with C\n"
    "chosen on val, and print the test AUROC with a bootstrap 95% CI (default 1000\n"
    "resamples, seed 0); --out also writes the table as CSV. --model bandpower (the\n"
    "default) first computes the band-power baseline embedding of every session (a\n"
    "resumable job: rerun after an interruption to finish it); --model WEIGHTS probes\n"
    "the embeddings of an encoder weights file (clef embed --store, keyed by its\n"
    "SHA-256), --model HASH those stored under a model hash. The mean over tasks and\n"
    "over each category (dis_, med_, feat_) is printed with a bootstrap 95% CI that\n"
    "resamples every task's test sessions. --versus M evaluates M too and prints the\n"
    "difference in mean AUROC (--model minus M) with a paired bootstrap CI: the same\n"
    "test sessions drawn for both (docs/evaluation.md).\n";

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

/* Evaluate the embeddings stored under model (band power first computed as a job). */
static int evaluate(clef_ctx *ctx, clef_store *s, const char *model, int64_t n_boot, int64_t seed,
                    clef_eval **out) {
    char hash[65];
    int r = model_hash(ctx, model, hash);
    if (r != 0)
        return r;
    int bandpower = strcmp(hash, clef_bandpower_model_hash()) == 0;
    /* one worker: claims left by an interrupted run are taken over at once */
    cli_progress bar;
    cli_progress_begin(&bar, "clef evaluate: band-power embeddings", 0);
    clef_status rc = bandpower
                         ? clef_bandpower_job_run(ctx, s, 0.0, 0, NULL, cli_progress_item_cb, &bar)
                         : CLEF_OK;
    cli_progress_end(&bar);
    if (rc != CLEF_OK)
        return cli_fail("evaluate: embedding", rc, clef_ctx_errmsg(ctx));
    int64_t failed = 0;
    if (bandpower &&
        clef_store_job_count(s, clef_bandpower_job_name(), CLEF_JOB_FAILED, &failed) == CLEF_OK &&
        failed > 0)
        fprintf(stderr,
                "clef evaluate: warning: %lld session(s) could not be read (see the "
                "jobs table)\n",
                (long long)failed);
    clef_eval *ev = NULL;
    rc = clef_eval_create(&ev, ctx);
    if (rc == CLEF_OK)
        rc = clef_eval_set_bootstrap(ev, n_boot, (uint64_t)seed, 0.95);
    cli_progress_begin(&bar, "clef evaluate: probes", 0);
    if (rc == CLEF_OK)
        rc = clef_eval_run_store(ev, s, CLEF_ARTIFACT_EMBEDDING, hash, cli_progress_item_cb, &bar);
    cli_progress_end(&bar);
    if (rc != CLEF_OK) {
        r = cli_fail("evaluate", rc, ev != NULL ? clef_eval_errmsg(ev) : clef_ctx_errmsg(ctx));
        clef_eval_free(ev);
        return r;
    }
    *out = ev;
    return 0;
}

int cmd_evaluate(int argc, char **argv) {
    const char *store = NULL, *out = NULL, *model = "bandpower", *versus = NULL;
    int64_t n_boot = 1000, seed = 0;
    const cli_opt opts[] = {CLI_STR("--store", NULL, &store, 1),
                            CLI_OUT(&out, 0),
                            CLI_STR("--model", NULL, &model, 0),
                            CLI_STR("--versus", NULL, &versus, 0),
                            CLI_I64("--bootstrap", &n_boot, 2, 1000000),
                            CLI_I64("--seed", &seed, 0, INT64_MAX),
                            CLI_END};
    const cli_cmd cmd = {"evaluate", k_usage, opts};
    int r = 0;
    if (cli_parse(&cmd, argc, argv, &r) != 0)
        return r;
    clef_ctx *ctx;
    clef_status rc = clef_ctx_create(&ctx);
    if (rc != CLEF_OK)
        return cli_fail("evaluate", rc, NULL);
    clef_store *s = NULL;
    clef_eval *ev = NULL, *base = NULL;
    rc = clef_store_open(&s, ctx, store);
    if (rc != CLEF_OK) {
        r = cli_fail("evaluate", rc, clef_ctx_errmsg(ctx));
        goto done;
    }
    if ((r = evaluate(ctx, s, model, n_boot, seed, &ev)) != 0)
        goto done;
    if (versus != NULL && (r = evaluate(ctx, s, versus, n_boot, seed, &base)) != 0)
        goto done;
    r = report(ev, out);
    if (r == 0 && base != NULL)
        report_versus(ev, base, versus);
done:
    clef_eval_free(base);
    clef_eval_free(ev);
    clef_store_free(s);
    clef_ctx_free(ctx);
    return r;
}
