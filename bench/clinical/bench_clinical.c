/* bench_clinical.c — linear probing at the paper's scale: one probe per task on shared session
 * embeddings, then the test AUROC of every task.
 *
 * usage: bench_clinical DIR [--n-train N] [--c C] [--reps R]
 *
 * Reads DIR/x.npy (float32 [sessions][d]) and DIR/y.npy (int32 [tasks][sessions]), written by
 * probe_sklearn.py gen; the first N sessions train (default 8000), the rest test. Timed, R
 * times (default 3; first and best are printed, wall and CPU; the first run, like the one
 * run of scikit-learn, is the one run.sh compares): clef_probe_fit_many on the training rows,
 * clef_probe_predict of the test rows and clef_auroc per task. Writes DIR/p_c.npy (float64
 * [tasks][test]) and DIR/auc_c.npy (float64 [tasks]) for probe_sklearn.py compare. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../tools/cli/cli_npy.h"
#include "bench_machine.h"

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(const char *what, const char *why) {
    fprintf(stderr, "bench_clinical: %s: %s\n", what, why);
    return 1;
}

int main(int argc, char **argv) {
    bench_print_machine("bench_clinical");
    if (argc < 2)
        return fail("usage", "bench_clinical DIR [--n-train N] [--c C] [--reps R]");
    const char *dir = argv[1];
    size_t n_train = 8000;
    double c = 1.0;
    int reps = 3;
    for (int a = 2; a + 1 < argc; a += 2) {
        if (strcmp(argv[a], "--n-train") == 0)
            n_train = (size_t)strtoull(argv[a + 1], NULL, 10);
        else if (strcmp(argv[a], "--c") == 0)
            c = strtod(argv[a + 1], NULL);
        else if (strcmp(argv[a], "--reps") == 0)
            reps = atoi(argv[a + 1]);
        else
            return fail(argv[a], "unknown option");
    }
    char path[4096];
    const char *why;
    cli_npy xa, ya;
    snprintf(path, sizeof path, "%s/x.npy", dir);
    if (cli_npy_read(path, &xa, &why) != 0 || xa.kind != 'f' || xa.itemsize != 4 || xa.ndim != 2)
        return fail(path, "not a float32 matrix");
    snprintf(path, sizeof path, "%s/y.npy", dir);
    if (cli_npy_read(path, &ya, &why) != 0 || ya.kind != 'i' || ya.itemsize != 4 || ya.ndim != 2)
        return fail(path, "not an int32 matrix");
    size_t n = (size_t)xa.shape[0], d = (size_t)xa.shape[1], n_tasks = (size_t)ya.shape[0];
    if ((size_t)ya.shape[1] != n || n_train >= n)
        return fail("shapes", "y must be [tasks][sessions] and --n-train below the sessions");
    size_t n_test = n - n_train;
    /* the library's input is double; the conversion is data loading, not probing */
    double *x = malloc(n * d * sizeof *x);
    int32_t *ytr = malloc(n_tasks * n_train * sizeof *ytr);
    int32_t *yte = malloc(n_tasks * n_test * sizeof *yte);
    double *prob = malloc(n_tasks * n_test * sizeof *prob), *auc = malloc(n_tasks * sizeof *auc);
    if (x == NULL || ytr == NULL || yte == NULL || prob == NULL || auc == NULL)
        return fail("memory", "out of memory");
    for (size_t i = 0; i < n * d; i++)
        x[i] = ((const float *)xa.data)[i];
    const int32_t *y = ya.data;
    for (size_t t = 0; t < n_tasks; t++) {
        memcpy(ytr + t * n_train, y + t * n, n_train * sizeof *ytr);
        memcpy(yte + t * n_test, y + t * n + n_train, n_test * sizeof *yte);
    }
    printf("bench_clinical: %zu tasks x %zu sessions (%zu train / %zu test) x %zu-d, C = %g\n",
           n_tasks, n, n_train, n_test, d, c);
    clef_ctx *ctx;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return fail("clef_ctx_create", "failed");
    /* wall and CPU time: on a shared machine the CPU time is the one thread's work */
    double first = 0.0, best = 1e30, t_fit = 0.0, cpu = 0.0, cpu_first = 0.0;
    int64_t n_iter = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        clef_probe *p;
        clef_status rc = clef_probe_fit_many(&p, ctx, x, ytr, n_train, d, n_tasks, c);
        double t1 = clock_s(CLOCK_MONOTONIC);
        if (rc == CLEF_OK)
            rc = clef_probe_predict(p, x + n_train * d, n_test, d, prob);
        for (size_t t = 0; t < n_tasks && rc == CLEF_OK; t++)
            rc = clef_auroc(ctx, prob + t * n_test, yte + t * n_test, n_test, &auc[t]);
        double t2 = clock_s(CLOCK_MONOTONIC), c2 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        if (rc != CLEF_OK)
            return fail("probing", p != NULL ? clef_probe_errmsg(p) : clef_ctx_errmsg(ctx));
        n_iter = clef_probe_n_iter(p);
        clef_probe_free(p);
        first = r == 0 ? t2 - t0 : first;
        cpu_first = r == 0 ? c2 - c0 : cpu_first;
        if (t2 - t0 < best)
            best = t2 - t0, t_fit = t1 - t0, cpu = c2 - c0;
    }
    double mean_auc = 0.0;
    for (size_t t = 0; t < n_tasks; t++)
        mean_auc += auc[t] / (double)n_tasks;
    printf("bench_clinical: libclef fit_many + predict + AUROC: first %.3f s, best of %d %.3f s "
           "(fit %.3f s; CPU %.3f s); Newton iterations <= %lld; mean test AUROC %.4f\n",
           first, reps, best, t_fit, cpu, (long long)n_iter, mean_auc);
    printf("CLEF_SECONDS %.6f %.6f\n", first, cpu_first);
    int64_t shape[2] = {(int64_t)n_tasks, (int64_t)n_test};
    snprintf(path, sizeof path, "%s/p_c.npy", dir);
    int bad = cli_npy_write(path, "<f8", 8, prob, shape, 2);
    snprintf(path, sizeof path, "%s/auc_c.npy", dir);
    bad |= cli_npy_write(path, "<f8", 8, auc, shape, 1);
    clef_ctx_free(ctx);
    cli_npy_free(&xa);
    cli_npy_free(&ya);
    free(x), free(ytr), free(yte), free(prob), free(auc);
    return bad ? fail(dir, "cannot write the outputs") : 0;
}
