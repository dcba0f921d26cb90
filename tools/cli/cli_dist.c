/* cli_dist.c — --dist of the training commands (cli_dist.h). */
#include "cli_dist.h"

#ifdef CLEF_CLI_WITH_MPI
#include "cli.h"

int cli_dist_start(const char *what, int32_t *rank, int32_t *world) {
    clef_status rc = clef_dist_init();
    if (rc == CLEF_OK)
        rc = clef_dist_rank(rank);
    if (rc == CLEF_OK)
        rc = clef_dist_world_size(world);
    return rc == CLEF_OK ? 0 : cli_fail(what, rc, "MPI could not start");
}

clef_status cli_dist_reduce(float *g, size_t n, void *user) {
    (void)user;
    return clef_dist_allreduce_mean(g, n);
}

clef_status cli_dist_gather(const float *mine, size_t n, float *all, void *user) {
    (void)user;
    return clef_dist_allgather(mine, n, all);
}
#else
typedef int cli_dist_empty; /* ISO C: a translation unit is not empty */
#endif
