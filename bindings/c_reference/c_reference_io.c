/* c_reference_io.c — recording and stream outputs computed by the C library directly, for the
 * bindings' parity tests. usage: c_reference_io FILE.bdf OUTDIR
 * Writes OUTDIR/io.txt (key<TAB>value) and raw little-endian arrays:
 *   phys0.f64      signal 0 of FILE, physical units (clef_recording_read_physical)
 *   stream_in.f32  the (4, 2560) planar input pushed into a stream
 *   stream_out.f32 the canonical (19, n) microvolt output pulled from it
 * SPDX-License-Identifier: BSD-3-Clause */
#include <clef.h>
#include <stdio.h>
#include <stdlib.h>

#include "c_reference_util.h"
#include <string.h>

enum { N_CH = 4, N_S = 2560 };

int main(int argc, char **argv) {
    if (argc != 3)
        return 2;
    char path[1024];
    snprintf(path, sizeof path, "%s/io.txt", argv[2]);
    FILE *txt = fopen(path, "w");
    clef_ctx *ctx = NULL;
    clef_recording *rec = NULL;
    if (txt == NULL || clef_ctx_create(&ctx) != CLEF_OK ||
        clef_recording_open(&rec, ctx, argv[1], NULL) != CLEF_OK)
        return 1;
    int64_t n = clef_recording_signal_n_samples(rec, 0);
    double *phys = malloc((size_t)n * sizeof *phys);
    if (phys == NULL || clef_recording_read_physical(rec, 0, 0, n, phys) != CLEF_OK ||
        dump(argv[2], "phys0.f64", phys, (size_t)n * sizeof *phys))
        return 1;
    fprintf(txt, "path\t%s\nn_signals\t%d\nphys0.n\t%lld\nlabel0\t%s\n", argv[1],
            (int)clef_recording_n_signals(rec), (long long)n, clef_recording_signal_label(rec, 0));
    free(phys);
    clef_recording_free(rec);

    /* A stream fed with exactly representable samples: channel names exercise the aliasing
     * (EEG prefix, -REF suffix, T3 -> T7), units the scaling. */
    static float in[N_CH * N_S];
    for (int c = 0; c < N_CH; c++)
        for (int t = 0; t < N_S; t++)
            in[c * N_S + t] = (float)((c * 131 + t * 17) % 1000 - 500) / 8.0f;
    const char *labels[N_CH] = {"EEG Fp1-REF", "T3", "O2", "ECG"};
    const char *units[N_CH] = {"uV", "mV", "uV", "uV"};
    double rates[N_CH] = {256, 256, 256, 256};
    clef_stream *st = NULL;
    if (clef_stream_create(&st, ctx, N_CH, labels, rates, units, NULL) != CLEF_OK)
        return 1;
    int64_t half[N_CH] = {N_S / 2, N_S / 2, N_S / 2, N_S / 2};
    if (clef_stream_push_planar(st, in, N_S, half) != CLEF_OK ||
        clef_stream_push_planar(st, in + N_S / 2, N_S, half) != CLEF_OK ||
        clef_stream_finish(st) != CLEF_OK)
        return 1;
    int64_t avail = clef_stream_available(st), got = 0;
    float *out = calloc((size_t)(19 * (avail > 0 ? avail : 1)), sizeof *out);
    if (out == NULL || clef_stream_pull(st, out, (size_t)avail, avail, &got) < 0)
        return 1;
    fprintf(txt, "stream.n_out\t%lld\nstream.mask\t%u\n", (long long)got,
            (unsigned)clef_stream_present_mask(st));
    if (dump(argv[2], "stream_in.f32", in, sizeof in) ||
        dump(argv[2], "stream_out.f32", out, (size_t)(19 * avail) * sizeof *out))
        return 1;
    free(out);
    clef_stream_free(st);
    clef_ctx_free(ctx);
    return fclose(txt) != 0;
}
