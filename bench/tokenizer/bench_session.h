/* bench_session.h — helpers shared by the tokenizer benchmarks: a recording's spectrogram. */
#ifndef CLEF_BENCH_SESSION_H
#define CLEF_BENCH_SESSION_H

#include <stdint.h>

#include "clef.h"

enum { BENCH_NCH = 19 };

/** Print "prog: what: ctx's message" to stderr and exit(1). */
void bench_die(const char *prog, const char *what, clef_ctx *ctx);
/** The spectrogram [19][n_freqs][*frames] of a whole file (malloc'd); *present (may be NULL) =
 *  canonical channels present. Dies on failure. */
float *bench_session_spec(clef_ctx *ctx, const clef_spectrogram *sg, const char *path,
                          int64_t *frames, uint32_t *present);

#endif
