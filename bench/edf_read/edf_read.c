/* edf_read.c — benchmark: read a generated 20-min, 21-channel, 256 Hz EDF+ file (warm page
 * cache) with libclef, fully as float microvolts (clef_recording_read_uv), as the model input
 * (clef_recording_read_canonical: 19 channels, 200 Hz) and through the streaming path
 * (1-s chunks pushed into a clef_stream); then the Python peers (edfio, pyedflib, MNE) in the
 * same run. Each measurement runs in a forked child so that its peak RSS is its own.
 *
 * usage: bench_edf_read [--file PATH] [--python PY] [--reps N]
 * (PY defaults to build/refvenv/bin/python when it exists; --python none skips the peers) */
#define _POSIX_C_SOURCE 200809L
#include <clef.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "edf_write_min.h"
#include "bench_machine.h"

#define N_SIG 21
#define FS    256
#define N_REC 1200 /* 20 min of 1 s records */

static const char *const k_labels[N_SIG] = {
    "EEG FP1-REF", "EEG FP2-REF", "EEG F7-REF", "EEG F3-REF", "EEG FZ-REF", "EEG F4-REF",
    "EEG F8-REF",  "EEG T3-REF",  "EEG C3-REF", "EEG CZ-REF", "EEG C4-REF", "EEG T4-REF",
    "EEG T5-REF",  "EEG P3-REF",  "EEG PZ-REF", "EEG P4-REF", "EEG T6-REF", "EEG O1-REF",
    "EEG O2-REF",  "EEG A1-REF",  "EKG"};

static double gen(int sig, int64_t t, void *user) {
    (void)user;
    double x = (double)t / FS;
    uint32_t h = (uint32_t)(t * 2654435761u) ^ (uint32_t)(sig * 40503u);
    return 40.0 * sin(2 * 3.14159265358979 * (8.0 + sig * 0.5) * x) + (double)(h % 2000) / 100.0;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static long peak_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

typedef struct result {
    double best_s;
    long rss_kb;
    double samples;
    int ok;
} result;

/* One libclef measurement; returns samples read (input samples) or -1. */
typedef double (*bench_fn)(const char *path);

static double run_read_uv(const char *path) {
    clef_ctx *ctx = NULL;
    clef_recording *rec = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK || clef_recording_open(&rec, ctx, path, NULL) != 0)
        return -1;
    int64_t sel[N_SIG];
    int64_t counts[N_SIG], n = clef_recording_signal_n_samples(rec, 0);
    for (int i = 0; i < N_SIG; i++)
        sel[i] = i;
    float *out = malloc((size_t)N_SIG * (size_t)n * sizeof *out);
    clef_status rc =
        out ? clef_recording_read_uv(rec, sel, N_SIG, 0, -1, out, (size_t)n, counts, NULL)
            : CLEF_ERR_NOMEM;
    free(out);
    clef_recording_free(rec);
    clef_ctx_free(ctx);
    return rc == CLEF_OK ? (double)N_SIG * (double)n : -1;
}

static double run_canonical(const char *path) {
    clef_ctx *ctx = NULL;
    clef_recording *rec = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK || clef_recording_open(&rec, ctx, path, NULL) != 0)
        return -1;
    int64_t n = 0;
    clef_status rc = clef_recording_canonical_length(rec, 0, -1, &n);
    float *out = malloc((size_t)CLEF_N_CANONICAL * (size_t)n * sizeof *out);
    if (rc == CLEF_OK)
        rc = out ? clef_recording_read_canonical(rec, 0, -1, out, 0,
                                                 (size_t)CLEF_N_CANONICAL * (size_t)n, &n, NULL)
                 : CLEF_ERR_NOMEM;
    free(out);
    clef_recording_free(rec);
    clef_ctx_free(ctx);
    return rc == CLEF_OK ? 19.0 * FS * N_REC : -1;
}

/* Acquisition-style: 1 s of all 21 channels at a time into a clef_stream. */
static double run_stream(const char *path) {
    clef_ctx *ctx = NULL;
    clef_recording *rec = NULL;
    clef_stream *s = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK || clef_recording_open(&rec, ctx, path, NULL) != 0)
        return -1;
    double rates[N_SIG];
    int64_t sel[N_SIG];
    const char *units[N_SIG];
    for (int i = 0; i < N_SIG; i++) {
        rates[i] = FS;
        sel[i] = i;
        units[i] = "uV"; /* read_uv output */
    }
    clef_status rc = clef_stream_create(&s, ctx, N_SIG, k_labels, rates, units, NULL);
    int64_t total = (int64_t)N_REC * 200, w = 0, got = 0, counts[N_SIG];
    float *out = malloc((size_t)CLEF_N_CANONICAL * (size_t)total * sizeof *out);
    float chunk[N_SIG * FS];
    float pull[CLEF_N_CANONICAL * 256];
    for (int sec = 0; rc == CLEF_OK && sec <= N_REC; sec++) {
        if (sec < N_REC) {
            rc = clef_recording_read_uv(rec, sel, N_SIG, sec, 1, chunk, FS, counts, NULL);
            if (rc == CLEF_OK)
                rc = clef_stream_push_planar(s, chunk, FS, counts);
        } else {
            rc = clef_stream_finish(s);
        }
        while (rc == CLEF_OK && clef_stream_pull(s, pull, 256, 256, &got) == CLEF_OK && got) {
            for (int c = 0; c < CLEF_N_CANONICAL; c++)
                memcpy(out + (size_t)c * (size_t)total + w, pull + c * 256,
                       (size_t)got * sizeof *out);
            w += got;
        }
    }
    free(out);
    clef_stream_free(s);
    clef_recording_free(rec);
    clef_ctx_free(ctx);
    return rc == CLEF_OK && w == total ? (double)N_SIG * FS * N_REC : -1;
}

static result measure(bench_fn fn, const char *path, int reps) {
    result r = {0, 0, 0, 0};
    int fd[2];
    if (pipe(fd) != 0)
        return r;
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        result c = {INFINITY, 0, fn(path), 1}; /* warm-up run */
        for (int i = 0; i < reps && c.samples > 0; i++) {
            double t = now();
            c.samples = fn(path);
            double dt = now() - t;
            c.best_s = dt < c.best_s ? dt : c.best_s;
        }
        c.rss_kb = peak_rss_kb();
        c.ok = c.samples > 0;
        ssize_t wr = write(fd[1], &c, sizeof c);
        _exit(wr == (ssize_t)sizeof c ? 0 : 1);
    }
    close(fd[1]);
    if (pid > 0 && read(fd[0], &r, sizeof r) != (ssize_t)sizeof r)
        r.ok = 0;
    close(fd[0]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return r;
}

/* The child's own footprint (program, libraries) without any read. */
static double run_nothing(const char *path) {
    (void)path;
    return 1;
}

int main(int argc, char **argv) {
    bench_print_machine("bench_edf_read");
    const char *path = "/tmp/clef_bench_edf_read.edf", *py = "build/refvenv/bin/python";
    int reps = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--file") == 0)
            path = argv[i + 1];
        else if (strcmp(argv[i], "--python") == 0)
            py = argv[i + 1];
        else if (strcmp(argv[i], "--reps") == 0)
            reps = atoi(argv[i + 1]);
    }
    if (access(path, R_OK) != 0) {
        printf("writing %s (20 min, 21 channels, 256 Hz, EDF+C)\n", path);
        if (bench_edf_write(path, N_SIG, k_labels, FS, N_REC, gen, NULL) != 0) {
            fprintf(stderr, "cannot write %s\n", path);
            return 1;
        }
    }
    /* warm the page cache */
    FILE *f = fopen(path, "rb");
    char buf[1 << 16];
    while (f != NULL && fread(buf, 1, sizeof buf, f) > 0) {
    }
    if (f != NULL)
        fclose(f);
    double load[3] = {0, 0, 0};
    FILE *la = fopen("/proc/loadavg", "r");
    if (la != NULL && fscanf(la, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
        load[0] = -1;
    if (la != NULL)
        fclose(la);
    long base_kb = measure(run_nothing, path, 0).rss_kb;
    printf("libclef %s, file %s, load average %.2f %.2f %.2f, best of %d\n", clef_version(), path,
           load[0], load[1], load[2], reps);
    double out_mb = (double)N_SIG * FS * N_REC * 4 / 1048576.0;
    printf("output array (21 x 307200 float32) %.1f MiB; process baseline %.1f MiB\n\n", out_mb,
           base_kb / 1024.0);
    printf("%-28s %10s %14s %12s %10s\n", "reader", "time ms", "samples/s", "peak RSS MiB",
           "vs clef");
    static const struct {
        const char *name;
        bench_fn fn;
    } k_runs[] = {{"clef read_uv (float uV)", run_read_uv},
                  {"clef canonical 19ch 200 Hz", run_canonical},
                  {"clef stream (1 s chunks)", run_stream}};
    double clef_t = 0;
    for (size_t i = 0; i < sizeof k_runs / sizeof k_runs[0]; i++) {
        result r = measure(k_runs[i].fn, path, reps);
        if (!r.ok) {
            printf("%-28s failed\n", k_runs[i].name);
            continue;
        }
        if (i == 0)
            clef_t = r.best_s;
        printf("%-28s %10.2f %14.3e %12.1f %9.2fx\n", k_runs[i].name, r.best_s * 1e3,
               r.samples / r.best_s, r.rss_kb / 1024.0, r.best_s / clef_t);
    }
    if (strcmp(py, "none") == 0 || access(py, X_OK) != 0)
        return 0;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s %s %d", py, CLEF_BENCH_PEERS, path, reps < 3 ? reps : 3);
    FILE *p = popen(cmd, "r");
    char line[512];
    while (p != NULL && fgets(line, sizeof line, p) != NULL) {
        char name[64];
        double t, n;
        long rss;
        if (sscanf(line, "peer %63s %lf %ld %lf", name, &t, &rss, &n) == 4)
            printf("%-28s %10.2f %14.3e %12.1f %9.2fx  (clef read_uv is %.1fx faster)\n", name,
                   t * 1e3, n / t, rss / 1024.0, t / clef_t, t / clef_t);
        else if (sscanf(line, "baseline %63s %lf %ld", name, &t, &rss) == 3)
            printf("(python peers' baseline: %s %.1f MiB)\n", name, rss / 1024.0);
    }
    if (p != NULL)
        pclose(p);
    return 0;
}
