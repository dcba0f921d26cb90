/* edf_write_min.h — a minimal EDF+C writer for the benchmark only (int16 samples, one
 * annotation signal with time keeping). Not the library's writer. */
#ifndef BENCH_EDF_WRITE_MIN_H
#define BENCH_EDF_WRITE_MIN_H

#include <stdint.h>

/* Write an EDF+C file of n_sig signals (labels[i], uV, phys range +-3276.7 uV over the int16
 * range), spr samples per 1 s record, n_rec records; gen(sig, t, user) gives sample t of
 * signal sig in uV. Returns 0 on success. */
int bench_edf_write(const char *path, int n_sig, const char *const *labels, int spr, int n_rec,
                    double (*gen)(int sig, int64_t t, void *user), void *user);

#endif
