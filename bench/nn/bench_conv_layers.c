/* bench_conv_layers.c — forward and backward of each convolution of bench_nn's conv stack alone
 * (docs/NN.md "Convolutions on AVX-512, same bits"), best of 15, with GFLOP/s: where the stack's
 * time goes, layer by layer.
 *   usage: bench_conv_layers [THREADS]   (default 1)
 * SPDX-License-Identifier: BSD-3-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_machine.h"
#include "nn/nn_int.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float *filled(int64_t n, unsigned seed) {
    float *p = malloc((size_t)n * sizeof *p);
    for (int64_t i = 0; p != NULL && i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (float)(seed >> 8) / 16777216.f - 0.5f;
    }
    return p;
}

int main(int argc, char **argv) {
    int32_t th = argc > 1 ? (int32_t)atoi(argv[1]) : 1;
    bench_print_machine("bench_conv_layers");
    clef_ctx *ctx;
    clefi_pool *pool;
    if (clef_ctx_create(&ctx) != CLEF_OK || clefi_pool_create(&pool, ctx, th) != CLEF_OK) {
        fprintf(stderr, "usage: bench_conv_layers [THREADS]\n");
        return 2;
    }
    /* bench_nn's stack: 3x3 19->64, 3x3 64->64, 4x4/2 64->128, 3x3 128->128 */
    static const int64_t L[4][6] = {{19, 128, 64, 3, 1, 1},
                                    {64, 128, 64, 3, 1, 1},
                                    {64, 128, 128, 4, 2, 1},
                                    {128, 64, 128, 3, 1, 1}};
    printf("threads %d; forward, backward (input gradient except for the first layer)\n", (int)th);
    double tf = 0, tb = 0;
    for (int i = 0; i < 4; i++) {
        clefi_conv2d s;
        clefi_conv2d_init(&s, 1, L[i][0], L[i][1], L[i][1], L[i][2], L[i][3], L[i][4], L[i][5]);
        int64_t nin = s.C * s.H * s.W, nout = s.OC * s.OH * s.OW, nw = s.OC * s.C * s.KH * s.KW;
        float *x = filled(nin, 1), *y = filled(nout, 2), *w = filled(nw, 3), *b = filled(s.OC, 4);
        float *dx = filled(nin, 5), *dw = filled(nw, 6), *db = filled(s.OC, 7);
        float *col = filled((int64_t)clefi_conv2d_scratch(&s), 8);
        if (!x || !y || !w || !b || !dx || !dw || !db || !col)
            return 1;
        double bf = 1e30, bb = 1e30;
        for (int r = 0; r < 15; r++) {
            double t0 = now();
            clefi_conv2d_forward(pool, y, x, w, b, &s, col);
            double t1 = now();
            clefi_conv2d_backward(pool, i > 0 ? dx : NULL, dw, db, y, x, w, &s, col);
            double t2 = now();
            bf = t1 - t0 < bf ? t1 - t0 : bf;
            bb = t2 - t1 < bb ? t2 - t1 : bb;
        }
        double fl = 2.0 * (double)nw * (double)(s.OH * s.OW);
        printf("conv%d %3d->%3d k%d/%d: forward %6.2f ms (%3.0f GFLOP/s), backward %6.2f ms "
               "(%3.0f GFLOP/s)\n",
               i, (int)s.C, (int)s.OC, (int)s.KH, (int)s.SH, bf * 1e3, fl / bf * 1e-9, bb * 1e3,
               (i > 0 ? 2 : 1) * fl / bb * 1e-9);
        tf += bf, tb += bb;
        free(x), free(y), free(w), free(b), free(dx), free(dw), free(db), free(col);
    }
    printf("total forward %.2f ms, backward %.2f ms\n", tf * 1e3, tb * 1e3);
    clefi_pool_free(pool);
    clef_ctx_free(ctx);
    return 0;
}
