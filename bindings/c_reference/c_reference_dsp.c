/* c_reference_dsp.c — a spectrogram computed by the C library directly, for the bindings'
 * parity tests. usage: c_reference_dsp OUTDIR
 * Writes OUTDIR/dsp.txt (key<TAB>value), spec_in.f32 (3 x 6000 planar input, exactly
 * representable values) and spec_out.f32 (clef_spectrogram_compute with default parameters).
 * SPDX-License-Identifier: BSD-3-Clause */
#include <clef.h>
#include <stdio.h>
#include <stdlib.h>

#include "c_reference_util.h"

enum { N_CH = 3, N_S = 6000 };

int main(int argc, char **argv) {
    if (argc != 2)
        return 2;
    static float in[N_CH * N_S];
    for (int c = 0; c < N_CH; c++)
        for (int t = 0; t < N_S; t++)
            in[c * N_S + t] = (float)((c * 7919 + t * 104729) % 2001 - 1000) / 16.0f;
    clef_ctx *ctx = NULL;
    clef_spectrogram *sg = NULL;
    clef_session *sess = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK || clef_spectrogram_create(&sg, ctx, NULL) != CLEF_OK ||
        clef_session_create(&sess, ctx, 1) != CLEF_OK)
        return 1;
    int64_t nf = clef_spectrogram_n_freqs(sg), nt = clef_spectrogram_n_frames(sg, N_S);
    size_t cap = (size_t)(N_CH * nf * nt), needed = 0;
    float *out = malloc(cap * sizeof *out);
    if (out == NULL ||
        clef_spectrogram_compute(sg, sess, in, N_S, N_CH, N_S, out, cap, &needed) != CLEF_OK)
        return 1;
    char path[1024];
    snprintf(path, sizeof path, "%s/dsp.txt", argv[1]);
    FILE *txt = fopen(path, "w");
    if (txt == NULL)
        return 1;
    fprintf(txt, "spec.n_ch\t%d\nspec.n_samples\t%d\nspec.n_freqs\t%lld\nspec.n_frames\t%lld\n",
            N_CH, N_S, (long long)nf, (long long)nt);
    if (dump(argv[1], "spec_in.f32", in, sizeof in) ||
        dump(argv[1], "spec_out.f32", out, cap * sizeof *out))
        return 1;
    free(out);
    clef_session_free(sess);
    clef_spectrogram_free(sg);
    clef_ctx_free(ctx);
    return fclose(txt) != 0;
}
