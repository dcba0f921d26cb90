/* bench_encoder.c — the session encoder's forward on one whole session, libclef vs PyTorch CPU
 * with the same weights in the same run.
 *
 * usage: bench_encoder [--python PYTHON] [--no-peer] [--threads 1,2] [--widths 256,512]
 *                      [--reps N]
 *
 * One session: 2,048 tokens (8 x 240 grid, 128 session-mean tokens; codebook 1,024, 1,024
 * levels), all columns valid. Architectures: the default (d 256, 4 layers, 4 heads, d_ff 1,024,
 * embed 512) and wider ones at the same head width 64 and d_ff 4d (--widths). For each width
 * the weights are written once (clef_encoder_save()); libclef's clef_encoder_embed() and
 * tools/ref/encoder_ref.py --bench (torch.set_num_threads(n), inference_mode) time the forward
 * of the same ids, best of --reps after a warm-up, one thread count at a time in turn (wall
 * time, and the process's CPU time, steadier on a shared machine; ratios = torch / libclef).
 * GFLOP/s counts the model FLOPs 24 n d^2 + 4 n^2 d per layer (QKV, projection, MLP, QK^T and PV).
 * Where the time goes: perf record on this program (docs/encoder.md "Speed"). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_machine.h"
#include "model/model_int.h"

enum { GRID_F = 8, GRID_T = 240, N_MEAN = 128, CODES = 1024, LEVELS = 1024 };

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *what, const char *msg) {
    fprintf(stderr, "bench_encoder: %s: %s\n", what, msg);
    exit(1);
}

static int parse_list(const char *s, int *out, int cap) {
    int n = 0;
    for (const char *p = s; p != NULL && *p != '\0' && n < cap; p = strchr(p, ',')) {
        p += *p == ',';
        out[n++] = atoi(p);
    }
    return n;
}

static clefi_enc_cfg arch(int d) {
    clefi_enc_cfg c;
    memset(&c, 0, sizeof c);
    c.d = d;
    c.n_layers = 4;
    c.n_heads = d / 64;
    c.d_ff = 4 * d;
    c.embed_dim = 512;
    c.grid_f = GRID_F;
    c.grid_t = GRID_T;
    c.n_mean = N_MEAN;
    c.codebook_size = CODES;
    c.mean_levels = LEVELS;
    memset(c.tok_sha, 'b', 64);
    return c;
}

/* A whole session's ids: random grid codes, random levels, the valid-columns token = 240. */
static void session_ids(int32_t *ids) {
    uint64_t st = 42;
    int g = GRID_F * GRID_T;
    for (int k = 0; k < g; k++)
        ids[k] = (int32_t)(clefi_splitmix64(&st) % CODES);
    for (int k = 0; k < N_MEAN; k++)
        ids[g + k] = CODES + (int32_t)(clefi_splitmix64(&st) % LEVELS);
    ids[g + N_MEAN - 1] = CODES + GRID_T;
}

typedef struct peer_row {
    int t;
    double s, cpu, emb0;
} peer_row;

/* The peer runs right after each libclef measurement, so both see the same machine load; its
 * torch-info line (version, CPU capability) is printed once (*info). */
static int run_peer(const char *python, const char *weights, const char *ids_path, int threads,
                    int reps, peer_row *row, int *info) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s --bench %s %s --threads %d --reps %d", python, CLEF_BENCH_PEER,
             weights, ids_path, threads, reps);
    FILE *f = popen(cmd, "r");
    if (f == NULL)
        return 0;
    int ok = 0;
    char line[512];
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "torch %d %lf %lf %lf", &row->t, &row->s, &row->cpu, &row->emb0) == 4)
            ok = 1;
        else if (strncmp(line, "torch-info", 10) == 0 && *info)
            fputs(line, stdout), *info = 0;
    }
    if (pclose(f) != 0)
        fprintf(stderr, "bench_encoder: peer exited with an error (%s)\n", cmd);
    return ok;
}

int main(int argc, char **argv) {
    bench_print_machine("bench_encoder");
    const char *python = "python3", *threads_s = "1,2", *widths_s = "256,512";
    int peer = 1, reps = 3, info = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--python") == 0 && i + 1 < argc)
            python = argv[++i];
        else if (strcmp(argv[i], "--no-peer") == 0)
            peer = 0;
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads_s = argv[++i];
        else if (strcmp(argv[i], "--widths") == 0 && i + 1 < argc)
            widths_s = argv[++i];
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_encoder [--python PYTHON] [--no-peer] [--threads 1,2] "
                            "[--widths 256,512] [--reps N]\n");
            return 2;
        }
    }
    int th[8], wd[8];
    int nth = parse_list(threads_s, th, 8), nwd = parse_list(widths_s, wd, 8);
    reps = reps < 1 ? 1 : reps;
    clef_ctx *ctx = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        die("ctx", "cannot create");
    enum { NT = GRID_F * GRID_T + N_MEAN };
    static int32_t ids[NT];
    session_ids(ids);
    char ids_path[64], w_path[64];
    snprintf(ids_path, sizeof ids_path, "/tmp/bench_encoder_%d.i32", (int)getpid());
    snprintf(w_path, sizeof w_path, "/tmp/bench_encoder_%d.safetensors", (int)getpid());
    FILE *f = fopen(ids_path, "wb");
    if (f == NULL || fwrite(ids, sizeof ids, 1, f) != 1 || fclose(f) != 0)
        die(ids_path, "cannot write");
    printf("bench_encoder: one session of %d tokens (%d x %d grid + %d session-mean), best of "
           "%d after a warm-up\n",
           NT, GRID_F, GRID_T, N_MEAN, reps);
    for (int wi = 0; wi < nwd; wi++) {
        clefi_enc_cfg c = arch(wd[wi]);
        clef_encoder *enc = NULL;
        if (clefi_enc_alloc(&enc, ctx, &c) != CLEF_OK)
            die("encoder", clef_ctx_errmsg(ctx));
        clefi_enc_init(enc, 7);
        if (clef_encoder_save(enc, ctx, w_path) != CLEF_OK)
            die("save", clef_ctx_errmsg(ctx));
        double n = NT, d = c.d;
        double gflop = c.n_layers * (24.0 * n * d * d + 4.0 * n * n * d) * 1e-9;
        printf("d %d, %d layers, %d heads, d_ff %d, embed %d: %.2f GFLOP per forward\n", c.d,
               c.n_layers, c.n_heads, c.d_ff, c.embed_dim, gflop);
        float *emb = malloc((size_t)c.embed_dim * sizeof *emb);
        for (int ti = 0; ti < nth; ti++) {
            clef_session *s = NULL;
            if (clef_session_create(&s, ctx, th[ti]) != CLEF_OK)
                die("session", clef_ctx_errmsg(ctx));
            double best = 1e30, best_cpu = 1e30;
            for (int r = 0; r <= reps; r++) {
                double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
                if (clef_encoder_embed(enc, s, ids, NT, 0, emb, (size_t)c.embed_dim, NULL, 0,
                                       NULL) != CLEF_OK)
                    die("embed", clef_session_errmsg(s));
                if (r > 0) {
                    best = fmin(best, clock_s(CLOCK_MONOTONIC) - t0);
                    best_cpu = fmin(best_cpu, clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0);
                }
            }
            peer_row pr = {0, NAN, NAN, NAN};
            int got = peer && run_peer(python, w_path, ids_path, th[ti], reps, &pr, &info);
            printf("  libclef %d thread%s: %7.1f ms (cpu %7.1f) %5.1f GFLOP/s", th[ti],
                   th[ti] > 1 ? "s" : " ", 1e3 * best, 1e3 * best_cpu, gflop / best);
            if (got) {
                double agree = fabs(pr.emb0 - (double)emb[0]) / (fabs((double)emb[0]) + 1e-6);
                printf("   torch %7.1f ms (cpu %7.1f) %5.1f GFLOP/s   libclef %.2fx torch (cpu "
                       "%.2fx)%s\n",
                       1e3 * pr.s, 1e3 * pr.cpu, gflop / pr.s, pr.s / best, pr.cpu / best_cpu,
                       agree < 1e-3 ? "" : "   (WARNING: embeddings differ)");
            } else {
                printf("%s\n", peer ? "   torch: not run (see stderr)" : "");
            }
            fflush(stdout);
            clef_session_free(s);
        }
        free(emb);
        clef_encoder_free(enc);
    }
    unlink(ids_path);
    unlink(w_path);
    clef_ctx_free(ctx);
    return 0;
}
