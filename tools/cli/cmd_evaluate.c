/* cmd_evaluate.c — clef evaluate --store PATH [--out results.csv]: band-power baseline
 * embedding of every session (a resumable job), then a linear probe per task with the test
 * AUROC and its bootstrap 95 % CI. */
#define _POSIX_C_SOURCE 200809L /* isatty */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "cli.h"

/* On a terminal the progress line is redrawn; otherwise one line per 10 %. */
static int quiet_step(int64_t done, int64_t total) {
    return !isatty(STDERR_FILENO) &&
           !(total > 0 && (done == total || (done * 10) / total != ((done - 1) * 10) / total));
}

static int32_t embed_progress(int64_t done, int64_t total, const char *item, void *user) {
    (void)item;
    (void)user;
    if (quiet_step(done, total))
        return 0;
    fprintf(stderr, "%sclef evaluate: band-power embeddings %lld/%lld%s",
            isatty(STDERR_FILENO) ? "\r" : "", (long long)done, (long long)total,
            isatty(STDERR_FILENO) ? "" : "\n");
    fflush(stderr);
    return 0;
}

static int32_t eval_progress(int64_t done, int64_t total, const char *task, void *user) {
    (void)user;
    if (quiet_step(done, total))
        return 0;
    fprintf(stderr, "%sclef evaluate: probes %lld/%lld %-40.40s%s",
            isatty(STDERR_FILENO) ? "\r" : "", (long long)done, (long long)total, task,
            isatty(STDERR_FILENO) ? "" : "\n");
    fflush(stderr);
    return 0;
}

typedef struct eval_opts {
    const char *store, *out;
    int32_t n_boot;
    uint64_t seed;
} eval_opts;

static int parse_args(int argc, char **argv, eval_opts *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 < argc && strcmp(a, "--store") == 0)
            o->store = argv[++i];
        else if (i + 1 < argc && strcmp(a, "--out") == 0)
            o->out = argv[++i];
        else if (i + 1 < argc && strcmp(a, "--bootstrap") == 0)
            o->n_boot = (int32_t)strtol(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(a, "--seed") == 0)
            o->seed = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "clef evaluate: unexpected argument '%s' (see --help)\n", a);
            return 2;
        }
    }
    if (o->store == NULL) {
        fprintf(stderr, "usage: clef evaluate --store PATH [--out results.csv]\n");
        return 2;
    }
    return 0;
}

/* Print the table and write the CSV; returns the exit code. */
static int report(clef_eval *ev, const char *out_path) {
    FILE *csv = NULL;
    if (out_path != NULL && (csv = fopen(out_path, "w")) == NULL) {
        fprintf(stderr, "clef evaluate: cannot write %s\n", out_path);
        return 1;
    }
    if (csv != NULL)
        fprintf(csv, "task,n_train,n_val,n_test,auroc,ci_low,ci_high,c,status\n");
    printf("%-32s %6s %7s  %-17s\n", "task", "n", "AUROC", "95% CI");
    for (int64_t i = 0; i < clef_eval_n_tasks(ev); i++) {
        char name[256];
        size_t needed;
        int32_t status;
        int64_t ntr, nva, nte;
        double auc, lo, hi, c;
        if (clef_eval_task_name(ev, i, name, sizeof name, &needed) != CLEF_OK ||
            clef_eval_task_result(ev, i, &status, &ntr, &nva, &nte, &auc, &lo, &hi, &c) != CLEF_OK)
            continue;
        if (status == CLEF_OK)
            printf("%-32s %6lld %7.3f  [%.3f, %.3f]\n", name, (long long)nte, auc, lo, hi);
        else
            printf("%-32s %6lld %7s  (skipped: a split lacks a class)\n", name, (long long)nte,
                   "-");
        if (csv != NULL)
            fprintf(csv, "%s,%lld,%lld,%lld,%.6f,%.6f,%.6f,%g,%s\n", name, (long long)ntr,
                    (long long)nva, (long long)nte, auc, lo, hi, c,
                    status == CLEF_OK ? "ok" : "skipped");
    }
    double mean;
    int64_t k;
    if (clef_eval_mean_auroc(ev, &mean, &k) == CLEF_OK) {
        printf("%-32s %6lld %7.3f  (tasks evaluated)\n", "mean", (long long)k, mean);
        if (csv != NULL)
            fprintf(csv, "mean,,,%lld,%.6f,,,,ok\n", (long long)k, mean);
    }
    if (csv != NULL && fclose(csv) != 0) {
        fprintf(stderr, "clef evaluate: cannot write %s\n", out_path);
        return 1;
    }
    return 0;
}

int cmd_evaluate(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        printf("usage: clef evaluate --store PATH [--out results.csv] [--bootstrap N] "
               "[--seed S]\n\n"
               "Compute the band-power baseline embedding of every session of the store (a\n"
               "resumable job: rerun after an interruption to finish it), then fit a linear\n"
               "probe per task on the train split with C chosen on val, and print the test\n"
               "AUROC with a bootstrap 95%% CI (default 1000 resamples, seed 0).\n");
        return 0;
    }
    eval_opts o = {NULL, NULL, 1000, 0};
    int r = parse_args(argc, argv, &o);
    if (r != 0)
        return r;
    clef_ctx *ctx;
    clef_status rc = clef_ctx_create(&ctx);
    if (rc != CLEF_OK)
        return cli_fail("evaluate", rc, NULL);
    clef_store *s = NULL;
    clef_eval *ev = NULL;
    rc = clef_store_open(&s, ctx, o.store);
    if (rc != CLEF_OK) {
        r = cli_fail("evaluate", rc, clef_ctx_errmsg(ctx));
        goto done;
    }
    /* one worker: claims left by an interrupted run are taken over at once */
    rc = clef_bandpower_job_run(ctx, s, 0.0, 0, NULL, embed_progress, NULL);
    fprintf(stderr, "\n");
    if (rc != CLEF_OK) {
        r = cli_fail("evaluate: embedding", rc, clef_ctx_errmsg(ctx));
        goto done;
    }
    int64_t failed = 0;
    if (clef_store_job_count(s, clef_bandpower_job_name(), CLEF_JOB_FAILED, &failed) == CLEF_OK &&
        failed > 0)
        fprintf(stderr,
                "clef evaluate: warning: %lld session(s) could not be read (see the "
                "jobs table)\n",
                (long long)failed);
    rc = clef_eval_create(&ev, ctx);
    if (rc == CLEF_OK)
        rc = clef_eval_set_bootstrap(ev, o.n_boot, o.seed, 0.95);
    if (rc == CLEF_OK)
        rc = clef_eval_run_store(ev, s, CLEF_ARTIFACT_EMBEDDING, clef_bandpower_model_hash(),
                                 eval_progress, NULL);
    fprintf(stderr, "\n");
    if (rc != CLEF_OK) {
        r = cli_fail("evaluate", rc, ev != NULL ? clef_eval_errmsg(ev) : clef_ctx_errmsg(ctx));
        goto done;
    }
    r = report(ev, o.out);
done:
    clef_eval_free(ev);
    clef_store_free(s);
    clef_ctx_free(ctx);
    return r;
}
