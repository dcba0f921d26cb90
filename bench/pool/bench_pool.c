/* bench_pool.c — microseconds per empty clefi_pool_for job, back to back, for 2, 3 and 4
 * threads (docs/NN.md "Job hand-off"): the hand-off cost every short training job pays. A pool
 * with more threads than CPUs does not spin, so its rows show the sleeping path.
 *   usage: bench_pool [JOBS]   (default 20000)
 * SPDX-License-Identifier: BSD-3-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_machine.h"
#include "core/core_int.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void nothing(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)arg, (void)b, (void)e, (void)tid;
}

int main(int argc, char **argv) {
    long jobs = argc > 1 ? atol(argv[1]) : 20000;
    if (jobs < 1) {
        fprintf(stderr, "usage: bench_pool [JOBS]\n");
        return 2;
    }
    bench_print_machine("bench_pool");
    clef_ctx *ctx;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return 1;
    for (int32_t nt = 2; nt <= 4; nt++) {
        clefi_pool *pool;
        if (clefi_pool_create(&pool, ctx, nt) != CLEF_OK)
            return 1;
        clefi_pool_for(pool, 100, nothing, NULL); /* threads started */
        double t0 = now();
        for (long i = 0; i < jobs; i++)
            clefi_pool_for(pool, 100, nothing, NULL);
        printf("threads %d: %.2f us a job (%ld jobs)\n", (int)nt, (now() - t0) / (double)jobs * 1e6,
               jobs);
        clefi_pool_free(pool);
    }
    clef_ctx_free(ctx);
    return 0;
}
