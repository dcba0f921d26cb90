/* bench_session.c — helpers shared by the tokenizer benchmarks (bench_session.h). */
#include "bench_session.h"

#include <stdio.h>
#include <stdlib.h>

void bench_die(const char *prog, const char *what, clef_ctx *ctx) {
    fprintf(stderr, "%s: %s: %s\n", prog, what, ctx ? clef_ctx_errmsg(ctx) : "");
    exit(1);
}

float *bench_session_spec(clef_ctx *ctx, const clef_spectrogram *sg, const char *path,
                          int64_t *frames, uint32_t *present) {
    clef_recording *rec = NULL;
    if (clef_recording_open(&rec, ctx, path, NULL) != CLEF_OK)
        bench_die("bench", path, ctx);
    int64_t n = 0;
    if (clef_recording_canonical_length(rec, 0, -1, &n) != CLEF_OK)
        bench_die("bench", path, ctx);
    float *x = malloc((size_t)(BENCH_NCH * n) * sizeof *x);
    if (x == NULL || clef_recording_read_canonical(rec, 0, -1, x, (size_t)n,
                                                   (size_t)(BENCH_NCH * n), &n, present) != CLEF_OK)
        bench_die("bench", path, ctx);
    clef_recording_free(rec);
    *frames = clef_spectrogram_n_frames(sg, n);
    size_t need = (size_t)(BENCH_NCH * clef_spectrogram_n_freqs(sg) * *frames);
    float *s = malloc(need * sizeof *s);
    clef_session *sess = NULL;
    if (s == NULL || clef_session_create(&sess, ctx, 2) != CLEF_OK ||
        clef_spectrogram_compute(sg, sess, x, (size_t)n, BENCH_NCH, n, s, need, NULL) != CLEF_OK)
        bench_die("bench", path, ctx);
    clef_session_free(sess);
    free(x);
    return s;
}
