/* dist.c — libclef_dist: mean all-reduce of flat gradient buffers, rank helpers and rank-strided
 * sharding over MPI (docs/ARCHITECTURE.md section 6). Linked into libclef_dist only; libclef
 * never sees MPI. SPDX-License-Identifier: BSD-3-Clause */
#include "clef_dist.h"

#include <limits.h>
#include <mpi.h>

/* Process-wide, like MPI itself: 0 before init, 1 while up, 2 after finalize. */
static int dist_state;
static int dist_started_mpi;
static MPI_Comm dist_comm = MPI_COMM_NULL;

clef_status clef_dist_init(void) {
    if (dist_state == 1)
        return CLEF_OK;
    if (dist_state == 2)
        return CLEF_ERR_STATE;
    int up = 0, down = 0;
    MPI_Initialized(&up);
    MPI_Finalized(&down);
    if (down)
        return CLEF_ERR_STATE;
    if (!up) {
        int provided;
        if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            return CLEF_ERR_IO;
        dist_started_mpi = 1;
    }
    /* a private communicator: our collectives never match the host's messages, and its errors
     * return codes (MPI_COMM_WORLD's default handler aborts the process) */
    if (MPI_Comm_dup(MPI_COMM_WORLD, &dist_comm) != MPI_SUCCESS)
        return CLEF_ERR_IO;
    MPI_Comm_set_errhandler(dist_comm, MPI_ERRORS_RETURN);
    dist_state = 1;
    return CLEF_OK;
}

clef_status clef_dist_finalize(void) {
    if (dist_state != 1)
        return CLEF_ERR_STATE;
    MPI_Comm_free(&dist_comm);
    dist_state = 2;
    if (dist_started_mpi && MPI_Finalize() != MPI_SUCCESS)
        return CLEF_ERR_IO;
    return CLEF_OK;
}

clef_status clef_dist_rank(int32_t *rank_out) {
    if (rank_out == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (dist_state != 1)
        return CLEF_ERR_STATE;
    int r;
    if (MPI_Comm_rank(dist_comm, &r) != MPI_SUCCESS)
        return CLEF_ERR_IO;
    *rank_out = r;
    return CLEF_OK;
}

clef_status clef_dist_world_size(int32_t *world_out) {
    if (world_out == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (dist_state != 1)
        return CLEF_ERR_STATE;
    int w;
    if (MPI_Comm_size(dist_comm, &w) != MPI_SUCCESS)
        return CLEF_ERR_IO;
    *world_out = w;
    return CLEF_OK;
}

clef_status clef_dist_allreduce_mean(float *buf, size_t n) {
    if (buf == NULL && n > 0)
        return CLEF_ERR_INVALID_ARG;
    int32_t world;
    clef_status rc = clef_dist_world_size(&world);
    if (rc != CLEF_OK)
        return rc;
    /* MPI counts are int: one call per INT_MAX elements (a single call for any real model) */
    for (size_t off = 0; off < n; off += (size_t)INT_MAX) {
        size_t k = n - off < (size_t)INT_MAX ? n - off : (size_t)INT_MAX;
        if (MPI_Allreduce(MPI_IN_PLACE, buf + off, (int)k, MPI_FLOAT, MPI_SUM, dist_comm) !=
            MPI_SUCCESS)
            return CLEF_ERR_IO;
    }
    const float scale = 1.0f / (float)world;
    for (size_t i = 0; i < n; i++)
        buf[i] *= scale;
    return CLEF_OK;
}

clef_status clef_dist_allgather(const float *mine, size_t n, float *all) {
    if ((mine == NULL || all == NULL) && n > 0)
        return CLEF_ERR_INVALID_ARG;
    if (n > (size_t)INT_MAX)
        return CLEF_ERR_OVERFLOW;
    int32_t world;
    clef_status rc = clef_dist_world_size(&world);
    if (rc != CLEF_OK)
        return rc;
    if (MPI_Allgather(mine, (int)n, MPI_FLOAT, all, (int)n, MPI_FLOAT, dist_comm) != MPI_SUCCESS)
        return CLEF_ERR_IO;
    return CLEF_OK;
}

clef_status clef_dist_shard(int32_t rank, int32_t world, const int64_t *ids, size_t n,
                            int32_t equal_size, int64_t *out, size_t cap, size_t *needed) {
    if (world < 1 || rank < 0 || rank >= world || (ids == NULL && n > 0) ||
        (out == NULL && cap > 0))
        return CLEF_ERR_INVALID_ARG;
    size_t w = (size_t)world, r = (size_t)rank;
    size_t count = equal_size ? n / w : n / w + (r < n % w);
    if (needed != NULL)
        *needed = count;
    if (cap < count)
        return CLEF_ERR_BUFFER_TOO_SMALL;
    for (size_t j = 0; j < count; j++)
        out[j] = ids[r + j * w];
    return CLEF_OK;
}
