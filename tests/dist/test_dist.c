/* test_dist.c — libclef_dist on 2 MPI ranks: mean all-reduce (values, identical on every rank),
 * rank/world helpers, rank-strided shards, init/finalize state. Exit status 0 on success. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clef_dist.h"
#include "mpi_check.h"

static void test_shard(void) {
    const int64_t ids[7] = {10, 11, 12, 13, 14, 15, 16};
    int64_t out[8];
    size_t n;
    CHECK(clef_dist_shard(0, 2, ids, 7, 0, out, 8, &n) == CLEF_OK && n == 4);
    CHECK(out[0] == 10 && out[1] == 12 && out[2] == 14 && out[3] == 16);
    CHECK(clef_dist_shard(1, 2, ids, 7, 0, out, 8, &n) == CLEF_OK && n == 3);
    CHECK(out[0] == 11 && out[1] == 13 && out[2] == 15);
    CHECK(clef_dist_shard(0, 2, ids, 7, 1, out, 8, &n) == CLEF_OK && n == 3); /* equal sizes */
    CHECK(clef_dist_shard(2, 3, ids, 7, 0, out, 1, &n) == CLEF_ERR_BUFFER_TOO_SMALL && n == 2);
    CHECK(clef_dist_shard(3, 3, ids, 7, 0, out, 8, &n) == CLEF_ERR_INVALID_ARG);
    CHECK(clef_dist_shard(0, 0, ids, 7, 0, out, 8, &n) == CLEF_ERR_INVALID_ARG);
    CHECK(clef_dist_shard(0, 4, ids, 0, 0, NULL, 0, &n) == CLEF_OK && n == 0);
    /* every id lands on exactly one rank */
    for (int32_t world = 1; world <= 5; world++) {
        int seen[7] = {0};
        for (int32_t r = 0; r < world; r++) {
            CHECK(clef_dist_shard(r, world, ids, 7, 0, out, 8, &n) == CLEF_OK);
            for (size_t j = 0; j < n; j++)
                seen[out[j] - 10]++;
        }
        for (int i = 0; i < 7; i++)
            CHECK(seen[i] == 1);
    }
}

static void test_allreduce(int32_t rank, int32_t world) {
    enum { N = 100003 };
    float *g = malloc(N * sizeof *g), *ref = malloc(N * sizeof *ref);
    for (int i = 0; i < N; i++)
        g[i] = (float)(rank * 1000) + (float)(i % 997) * 0.25f;
    CHECK(clef_dist_allreduce_mean(g, N) == CLEF_OK);
    for (int i = 0; i < N; i++) {
        float want = (float)(1000 * (world - 1)) / 2.0f + (float)(i % 997) * 0.25f;
        if (g[i] != want) {
            fprintf(stderr, "rank %d: index %d: got %g want %g\n", (int)rank, i, (double)g[i],
                    (double)want);
            failures++;
            break;
        }
    }
    /* identical bits on every rank (EMA weights and checkpoints depend on it) */
    memcpy(ref, g, N * sizeof *g);
    MPI_Bcast(ref, N, MPI_FLOAT, 0, MPI_COMM_WORLD);
    CHECK(memcmp(ref, g, N * sizeof *g) == 0);
    CHECK(clef_dist_allreduce_mean(NULL, 0) == CLEF_OK);
    CHECK(clef_dist_allreduce_mean(NULL, 5) == CLEF_ERR_INVALID_ARG);
    free(g);
    free(ref);
}

/* Every rank's block, in rank order, on every rank. */
static void test_allgather(int32_t rank, int32_t world) {
    float mine[3] = {(float)rank, (float)rank + 0.5f, -(float)rank}, all[3 * 2];
    CHECK(world == 2);
    CHECK(clef_dist_allgather(mine, 3, all) == CLEF_OK);
    for (int r = 0; r < 2; r++)
        CHECK(all[3 * r] == (float)r && all[3 * r + 1] == (float)r + 0.5f &&
              all[3 * r + 2] == -(float)r);
    CHECK(clef_dist_allgather(NULL, 3, all) == CLEF_ERR_INVALID_ARG);
    CHECK(clef_dist_allgather(NULL, 0, NULL) == CLEF_OK);
}

int main(void) {
    int32_t rank = -1, world = -1;
    CHECK(clef_dist_rank(&rank) == CLEF_ERR_STATE);
    CHECK(clef_dist_init() == CLEF_OK);
    CHECK(clef_dist_init() == CLEF_OK); /* idempotent */
    CHECK(clef_dist_rank(&rank) == CLEF_OK && clef_dist_world_size(&world) == CLEF_OK);
    CHECK(world == 2 && rank >= 0 && rank < 2);
    CHECK(clef_dist_rank(NULL) == CLEF_ERR_INVALID_ARG);
    test_shard();
    test_allreduce(rank, world);
    test_allgather(rank, world);
    /* every rank's failures count */
    int local = failures, total = 0;
    MPI_Allreduce(&local, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    CHECK(clef_dist_finalize() == CLEF_OK);
    CHECK(clef_dist_finalize() == CLEF_ERR_STATE);
    CHECK(clef_dist_init() == CLEF_ERR_STATE);
    if (rank == 0)
        printf("test_dist: %d rank(s), %d failure(s)\n", (int)world, total + failures);
    return total + failures ? 1 : 0;
}
