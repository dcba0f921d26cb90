/* mpi_check.h — checks of tests run under mpirun: a failed check is counted and reported, never
 * aborts (a rank leaving early would leave the others waiting in a collective); main sums the
 * counts over ranks for its exit status. */
#ifndef CLEF_TEST_MPI_CHECK_H
#define CLEF_TEST_MPI_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

#endif /* CLEF_TEST_MPI_CHECK_H */
