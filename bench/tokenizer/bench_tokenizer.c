/* bench_tokenizer.c — time clef_tokenizer_encode/decode on one 20-minute session.
 *
 * Usage: bench_tokenizer WEIGHTS INPUT_F32 N_FRAMES N_THREADS REPS [TORCH_IDS]
 * (weights trained on crops run on their session image, clef_tokenizer_session_frames())
 * INPUT_F32 is raw float32 [19][128][N_FRAMES] (written by tokenizer_ref.py --bench); when
 * TORCH_IDS (raw int32) is given, token agreement with PyTorch is printed. */
#define _POSIX_C_SOURCE 200809L
#include "clef.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include "bench_machine.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *read_all(const char *path, size_t want) {
    FILE *fp = fopen(path, "rb");
    void *buf = malloc(want);
    if (fp == NULL || buf == NULL || fread(buf, 1, want, fp) != want) {
        fprintf(stderr, "cannot read %zu bytes from %s\n", want, path);
        exit(1);
    }
    fclose(fp);
    return buf;
}

int main(int argc, char **argv) {
    bench_print_machine("bench_tokenizer");
    if (argc < 6) {
        fprintf(stderr, "usage: %s WEIGHTS INPUT_F32 N_FRAMES N_THREADS REPS [TORCH_IDS]\n",
                argv[0]);
        return 2;
    }
    int64_t n_frames = atoll(argv[3]);
    int32_t n_threads = atoi(argv[4]);
    int reps = atoi(argv[5]);
    clef_ctx *ctx = NULL;
    clef_tokenizer *tok = NULL; /* loaded for the whole-session image */
    clef_session *s = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK || clef_tokenizer_load(&tok, ctx, argv[1]) != CLEF_OK ||
        clef_session_create(&s, ctx, n_threads) != CLEF_OK) {
        fprintf(stderr, "load: %s\n", clef_ctx_errmsg(ctx));
        return 1;
    }
    int64_t n_ch, n_freq, crop_t;
    clef_tokenizer_shape(tok, &n_ch, &n_freq, &crop_t, NULL, NULL);
    size_t n_tok = (size_t)clef_tokenizer_n_tokens(tok), n_in = (size_t)(n_ch * n_freq * n_frames);
    float *spec = read_all(argv[2], n_in * sizeof(float));
    int32_t *ids = malloc(n_tok * sizeof *ids);
    float *out = malloc((size_t)(n_ch * n_freq * crop_t) * sizeof *out);
    double best_enc = 1e9, best_dec = 1e9;
    for (int r = 0; r <= reps; r++) { /* the first run warms up */
        double t0 = now();
        if (clef_tokenizer_encode(tok, s, spec, n_ch, n_freq, n_frames, ids, n_tok, NULL, 0,
                                  NULL) != CLEF_OK) {
            fprintf(stderr, "encode: %s\n", clef_session_errmsg(s));
            return 1;
        }
        double t1 = now();
        clef_tokenizer_decode(tok, s, ids, n_tok, out, (size_t)(n_ch * n_freq * crop_t), NULL);
        double t2 = now();
        if (r > 0 && t1 - t0 < best_enc)
            best_enc = t1 - t0;
        if (r > 0 && t2 - t1 < best_dec)
            best_dec = t2 - t1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("libclef encode 20-min session: %.4f s (%d threads, best of %d); decode %.4f s; "
           "peak RSS %.1f MB\n",
           best_enc, (int)n_threads, reps, best_dec, (double)ru.ru_maxrss / 1024.0);
    printf("encode_s=%.6f\n", best_enc);
    if (argc > 6) {
        int32_t *ref = read_all(argv[6], n_tok * sizeof *ref);
        size_t same = 0;
        for (size_t i = 0; i < n_tok; i++)
            same += ids[i] == ref[i];
        printf("token agreement with PyTorch: %zu / %zu\n", same, n_tok);
        free(ref);
    }
    free(spec);
    free(ids);
    free(out);
    clef_tokenizer_free(tok);
    clef_ctx_free(ctx);
    return 0;
}
