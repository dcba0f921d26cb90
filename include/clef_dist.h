/*
 * clef_dist.h — libclef_dist: optional data-parallel training helpers over MPI.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Built only when CMake finds MPI (CLEF_WITH_MPI=AUTO|ON|OFF); link with -lclef_dist -lclef.
 * libclef itself never links MPI. See docs/distributed.md.
 *
 * MPI state is process-wide, so this API has no handle: clef_dist_init() joins (or starts) MPI
 * and duplicates MPI_COMM_WORLD into a private communicator whose errors return codes instead
 * of aborting; every collective below runs on it. Call init, the collectives and finalize from
 * one thread (MPI_THREAD_FUNNELED), in the same order on every rank.
 */
#ifndef CLEF_DIST_H
#define CLEF_DIST_H

#include "clef.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Start MPI if the host has not (MPI_Init_thread, MPI_THREAD_FUNNELED) and create the private
 *  communicator. Idempotent. CLEF_ERR_STATE after clef_dist_finalize(); CLEF_ERR_IO if MPI
 *  fails. */
CLEF_API clef_status clef_dist_init(void);
/** Free the private communicator; finalize MPI only if clef_dist_init() started it. */
CLEF_API clef_status clef_dist_finalize(void);
/** This process's rank in [0, world size). CLEF_ERR_STATE before clef_dist_init(). */
CLEF_API clef_status clef_dist_rank(int32_t *rank_out);
/** Number of ranks. CLEF_ERR_STATE before clef_dist_init(). */
CLEF_API clef_status clef_dist_world_size(int32_t *world_out);
/** Replace buf[0..n) on every rank by its mean over ranks: one in-place MPI_Allreduce (sum) per
 *  2^31-1 elements, then a scale by 1/world. Every rank must call it with the same n. All
 *  ranks receive identical values. */
CLEF_API clef_status clef_dist_allreduce_mean(float *buf, size_t n);
/** Every rank's n floats (mine), in rank order, into all (world x n floats) on every rank: one
 *  MPI_Allgather. Every rank must call it with the same n (at most 2^31-1: CLEF_ERR_OVERFLOW).
 *  The aligner's all-gather hook (clef_aligner_trainer_set_dist()). */
CLEF_API clef_status clef_dist_allgather(const float *mine, size_t n, float *all);
/** Rank-strided shard of a list of patient ids: ids[i] for i = rank, rank + world, ... (order
 *  kept). With equal_size != 0 every rank gets floor(n / world) ids (the remainder is dropped),
 *  so all ranks take the same number of steps; otherwise shard sizes differ by at most one.
 *  needed (may be NULL) gets the shard size; CLEF_ERR_BUFFER_TOO_SMALL if cap is smaller.
 *  Pure function: needs no MPI. */
CLEF_API clef_status clef_dist_shard(int32_t rank, int32_t world, const int64_t *ids, size_t n,
                                     int32_t equal_size, int64_t *out, size_t cap, size_t *needed);

#ifdef __cplusplus
}
#endif

#endif /* CLEF_DIST_H */
