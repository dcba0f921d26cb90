/* cli_blas.c — select OpenBLAS's kernel family from cpuid by re-executing once (docs/NN.md).
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * OpenBLAS reads OPENBLAS_CORETYPE once, in its constructor, before main; a CPU newer than its
 * table gets the SSE3 (Prescott) kernels, 3-5x slower GEMM. Setting the variable and exec'ing
 * the same program again is the one way to change the kernel of a running program. */
#define _POSIX_C_SOURCE 200809L /* setenv, execv */
#include "cli_blas.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clef.h"

void cli_blas_select(char **argv) {
    const char *want = clef_blas_coretype(), *opt = getenv("CLEF_BLAS_SELECT");
    if (want == NULL || getenv("OPENBLAS_CORETYPE") != NULL ||
        (opt != NULL && strcmp(opt, "0") == 0))
        return;
    if (strcasecmp(clef_blas_kernel(), want) == 0)
        return;
    if (setenv("OPENBLAS_CORETYPE", want, 1) != 0)
        return;
#if defined(__linux__)
    execv("/proc/self/exe", argv);
#endif
    unsetenv("OPENBLAS_CORETYPE"); /* exec failed: children should not inherit a half-done choice */
}

#if defined(CLI_BLAS_AT_START) && defined(__GLIBC__)
/* The tests and the benchmarks link this in (CMake object library with CLI_BLAS_AT_START): they
 * run the kernels users get, and tests comparing the library with files the clef program wrote
 * need its GEMM rounding. glibc passes main's arguments to constructors; an executable's
 * constructors run after those of the libraries it loads, so OpenBLAS has chosen already. */
__attribute__((constructor)) static void cli_blas_at_start(int argc, char **argv, char **envp) {
    (void)argc;
    (void)envp;
    cli_blas_select(argv);
}
#endif
