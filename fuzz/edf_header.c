/* edf_header.c — libFuzzer harness: a whole EDF/EDF+/BDF/BDF+ image through
 * clef_recording_open_memory() (main header, signal headers, annotation scan), then every
 * getter and a short read of each signal. */
#include "clef.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    clef_ctx *ctx = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return 0;
    clef_recording *rec = NULL;
    if (clef_recording_open_memory(&rec, ctx, data, size, NULL) == CLEF_OK) {
        (void)clef_recording_start_iso(rec);
        for (int32_t f = 0; f <= CLEF_HDR_RESERVED; f++)
            (void)clef_recording_header_field(rec, f);
        for (int64_t i = 0; i < clef_recording_n_signals(rec); i++) {
            double x[4];
            int64_t n = clef_recording_signal_n_samples(rec, i);
            (void)clef_recording_read_physical(rec, i, 0, n < 4 ? n : 4, x);
            (void)clef_recording_signal_label(rec, i);
            (void)clef_recording_signal_map(rec, i);
        }
        for (int64_t k = 0; k < clef_recording_n_annotations(rec); k++)
            (void)clef_recording_annotation(rec, k, NULL, NULL, NULL);
        for (int64_t s = 0; s < clef_recording_n_segments(rec); s++)
            (void)clef_recording_segment(rec, s, NULL, NULL, NULL);
        clef_recording_free(rec);
    }
    clef_ctx_free(ctx);
    return 0;
}
