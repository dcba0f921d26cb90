/* bench_embed.c — issue 19 item 8: one 20-minute session embedded end to end (EDF ->
 * spectrogram -> tokens -> embedding) with the default architectures, wall time per stage and
 * peak RSS. Weights are random (speed does not depend on training): a default tokenizer and a
 * default encoder are created and saved by a child process (so that the trainer's buffers do
 * not count in the peak RSS), then loaded like trained ones.
 *   bench_embed EDF [THREADS] [REPEATS] [D_MODEL] [LAYERS] [HEADS] [D_FF] */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench_machine.h"
#include "clef.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *what, const char *msg) {
    fprintf(stderr, "bench_embed: %s: %s\n", what, msg);
    exit(1);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_embed EDF [THREADS] [REPEATS] [D] [LAYERS] [HEADS] [D_FF]\n");
        return 2;
    }
    int threads = argc > 2 ? atoi(argv[2]) : 2, reps = argc > 3 ? atoi(argv[3]) : 5;
    int64_t arch_v[4] = {argc > 4 ? atoi(argv[4]) : 256, argc > 5 ? atoi(argv[5]) : 4,
                         argc > 6 ? atoi(argv[6]) : 4, argc > 7 ? atoi(argv[7]) : 1024};
    if (strcmp(argv[1], "--make") != 0)
        bench_print_machine("bench_embed");
    char tpath[] = "/tmp/clef_bench_tok.safetensors", epath[] = "/tmp/clef_bench_enc.safetensors";
    if (strcmp(argv[1], "--make") != 0) { /* the weights, made by a child process */
        char cmd[4096];
        snprintf(cmd, sizeof cmd, "'%s' --make %lld %lld %lld %lld", argv[0], (long long)arch_v[0],
                 (long long)arch_v[1], (long long)arch_v[2], (long long)arch_v[3]);
        if (system(cmd) != 0)
            die("weights", "the child process failed");
    }
    clef_ctx *ctx;
    clef_ctx_create(&ctx);
    clef_tokenizer *tok = NULL;
    clef_encoder *enc = NULL;
    if (strcmp(argv[1], "--make") == 0) {
        for (int i = 0; i < 4; i++)
            arch_v[i] = atoi(argv[2 + i]);
        clef_tokenizer *made = NULL;
        if (clef_tokenizer_create(&made, ctx, NULL, 1) != CLEF_OK ||
            clef_tokenizer_save(made, ctx, tpath) != CLEF_OK ||
            clef_tokenizer_load(&tok, ctx, tpath) != CLEF_OK)
            die("tokenizer", clef_ctx_errmsg(ctx));
        clef_params *arch;
        clef_params_create(&arch, ctx, CLEF_PARAMS_ENCODER);
        const int32_t keys[4] = {CLEF_P_ENC_D_MODEL, CLEF_P_ENC_N_LAYERS, CLEF_P_ENC_N_HEADS,
                                 CLEF_P_ENC_D_FF};
        for (int i = 0; i < 4; i++)
            if (clef_params_set_i64(arch, keys[i], arch_v[i]) != CLEF_OK)
                die("arch", clef_params_errmsg(arch));
        clef_encoder_trainer *tr = NULL;
        if (clef_encoder_trainer_create(&tr, ctx, tok, arch, NULL, 1) != CLEF_OK ||
            clef_encoder_save(clef_encoder_trainer_encoder(tr, 0), ctx, epath) != CLEF_OK)
            die("encoder", clef_ctx_errmsg(ctx));
        return 0; /* a child: the OS frees */
    }
    if (clef_tokenizer_load(&tok, ctx, tpath) != CLEF_OK ||
        clef_encoder_load(&enc, ctx, epath, tok) != CLEF_OK)
        die("weights", clef_ctx_errmsg(ctx));
    clef_spectrogram *sg = NULL;
    clef_session *s = NULL;
    clef_tokenizer_spectrogram_create(&sg, ctx, tok);
    clef_session_create(&s, ctx, threads);
    int64_t nt = 0, d = 0, e = 0;
    clef_encoder_shape(enc, &nt, &d, &e);
    int32_t *ids = malloc((size_t)nt * sizeof *ids);
    float *emb = malloc((size_t)e * sizeof *emb);
    double best[3] = {1e30, 1e30, 1e30};
    for (int r = 0; r < reps + 1; r++) { /* the first run warms the session */
        clef_recording *rec = NULL;
        double t0 = now();
        if (clef_recording_open(&rec, ctx, argv[1], NULL) != CLEF_OK)
            die(argv[1], clef_ctx_errmsg(ctx));
        if (clef_tokenizer_encode_recording(tok, s, sg, rec, ids, (size_t)nt, NULL, NULL) !=
            CLEF_OK)
            die("tokenize", clef_session_errmsg(s));
        double t1 = now();
        if (clef_encoder_embed(enc, s, ids, (size_t)nt, 0, emb, (size_t)e, NULL, 0, NULL) !=
            CLEF_OK)
            die("embed", clef_session_errmsg(s));
        double t2 = now();
        clef_recording_free(rec);
        double v[3] = {t1 - t0, t2 - t1, t2 - t0};
        for (int k = 0; r > 0 && k < 3; k++)
            best[k] = v[k] < best[k] ? v[k] : best[k];
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double gf = 0.0;
    for (int64_t l = 0; l < arch_v[1]; l++)
        gf += (24.0 * (double)nt * (double)(d * d) + 4.0 * (double)(nt * nt) * (double)d) * 1e-9;
    printf("bench_embed: d %lld, %lld layers, %lld heads, MLP %lld, %lld tokens, %d threads, "
           "best of %d\n",
           (long long)d, (long long)arch_v[1], (long long)arch_v[2], (long long)arch_v[3],
           (long long)nt, threads, reps);
    printf("  EDF -> tokens        %.3f s\n", best[0]);
    printf("  tokens -> embedding  %.3f s  (%.1f GFLOP: %.1f GFLOP/s)\n", best[1], gf,
           gf / best[1]);
    printf("  end to end           %.3f s   (target <= 1 s on 2 threads)\n", best[2]);
    printf("  peak RSS             %.0f MB  (target <= 300 MB)\n", (double)ru.ru_maxrss / 1024.0);
    remove(tpath);
    remove(epath);
    free(ids);
    free(emb);
    clef_session_free(s);
    clef_spectrogram_free(sg);
    clef_encoder_free(enc);
    clef_tokenizer_free(tok);
    clef_ctx_free(ctx);
    return 0;
}
