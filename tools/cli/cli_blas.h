/* cli_blas.h — run OpenBLAS's kernel family for this CPU (issue 18): the clef program, the tests
 * and the benchmarks call this first. */
#ifndef CLEF_CLI_BLAS_H
#define CLEF_CLI_BLAS_H

/* When OpenBLAS loaded a kernel family other than clef_blas_coretype() and neither
 * OPENBLAS_CORETYPE nor CLEF_BLAS_SELECT=0 is in the environment: set OPENBLAS_CORETYPE and
 * re-execute the program (/proc/self/exe, same argv) so that OpenBLAS loads again with it.
 * The variable it sets stops a second re-exec. Returns only when nothing is to be done or the
 * exec failed (the program then goes on with the kernel it has; libclef's log warns). */
void cli_blas_select(char **argv);

#endif
