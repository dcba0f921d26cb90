/* cli_dist.h — --dist of the training commands (pretrain, align): start MPI through
 * libclef_dist and the trainers' hooks over it. Only in a build with MPI (CLEF_CLI_WITH_MPI). */
#ifndef CLEF_CLI_DIST_H
#define CLEF_CLI_DIST_H

#ifdef CLEF_CLI_WITH_MPI
#include "clef.h"
#include "clef_dist.h"

/* Start MPI and read this rank and the world size; 0, or an exit code after a message naming
 * what (e.g. "pretrain --dist"). */
int cli_dist_start(const char *what, int32_t *rank, int32_t *world);
/* clef_grad_reduce_fn and clef_gather_fn over libclef_dist (user unused). */
clef_status cli_dist_reduce(float *g, size_t n, void *user);
clef_status cli_dist_gather(const float *mine, size_t n, float *all, void *user);
#endif

#endif
