/* bench_machine.h — every benchmark's first line: the machine its numbers belong to (CPU model,
 * the instruction sets the CPU and OS support, the BLAS kernel in use). Machines of one cloud
 * kind differ, and Debian's OpenBLAS may run old kernels on a CPU it does not know. */
#ifndef CLEF_BENCH_MACHINE_H
#define CLEF_BENCH_MACHINE_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clef.h"

static inline void bench_print_machine(const char *prog) {
    char model[256] = "unknown CPU", line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "model name", 10) == 0 && strchr(line, ':') != NULL) {
            snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
            model[strcspn(model, "\n")] = '\0';
            break;
        }
    if (f != NULL)
        fclose(f);
    printf("%s: machine: %s, %ld CPUs online; ISA %s; BLAS kernel %s\n", prog, model,
           sysconf(_SC_NPROCESSORS_ONLN), clef_cpu_isa(), clef_blas_kernel());
}

#endif
