/* edf_records.c — libFuzzer harness for the data records: a fixed, valid EDF+C or BDF+C header
 * (record count -1, so the count comes from the input size) followed by the fuzz input as
 * records; the first input byte's low bit picks BDF (24-bit samples), the rest are the records.
 * Exercises the annotation scan of every record, digital/physical/uV reads and the canonical
 * 200 Hz path (resampler, pipeline, common average). */
#include "clef.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NS 4
/* Fp1 and T3 at 16 samples per 0.125 s record (128 Hz), an ECG, an annotation signal. */
static const char *const k_label[NS] = {"EEG Fp1-REF", "EEG T3-REF", "ECG", "EDF Annotations"};
static const char *const k_unit[NS] = {"uV", "mV", "mV", ""};
static const int k_spr[NS] = {16, 16, 4, 16};

static void field(uint8_t *h, size_t off, size_t w, const char *s) {
    memset(h + off, ' ', w);
    memcpy(h + off, s, strlen(s) < w ? strlen(s) : w);
}

static size_t make_header(uint8_t *h, int bdf) {
    char t[32];
    size_t hb = 256 * (NS + 1);
    if (bdf) {
        h[0] = 0xFF;
        memcpy(h + 1, "BIOSEMI", 7);
    } else {
        field(h, 0, 8, "0");
    }
    field(h, 8, 80, "X X X X");
    field(h, 88, 80, "Startdate 01-JAN-2020 X X X");
    field(h, 168, 8, "01.01.20");
    field(h, 176, 8, "10.00.00");
    snprintf(t, sizeof t, "%zu", hb);
    field(h, 184, 8, t);
    field(h, 192, 44, bdf ? "BDF+C" : "EDF+C");
    field(h, 236, 8, "-1");
    field(h, 244, 8, "0.125");
    field(h, 252, 4, "4");
    uint8_t *p = h + 256;
    for (int i = 0; i < NS; i++) {
        field(p, 16 * i, 16, bdf && i == NS - 1 ? "BDF Annotations" : k_label[i]);
        field(p, 16 * NS + 80 * i, 80, "");
        field(p, 96 * NS + 8 * i, 8, k_unit[i]);
        field(p, 104 * NS + 8 * i, 8, i == 1 ? "5" : "-3200");
        field(p, 112 * NS + 8 * i, 8, i == 1 ? "-5" : "3200");
        field(p, 120 * NS + 8 * i, 8, bdf ? "-8388608" : "-32768");
        field(p, 128 * NS + 8 * i, 8, bdf ? "8388607" : "32767");
        field(p, 136 * NS + 80 * i, 80, "");
        snprintf(t, sizeof t, "%d", k_spr[i]);
        field(p, 216 * NS + 8 * i, 8, t);
        field(p, 224 * NS + 32 * i, 32, "");
    }
    return hb;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > (1u << 20))
        return 0;
    int bdf = data[0] & 1;
    data++;
    size--;
    uint8_t *img = malloc(256 * (NS + 1) + size);
    if (img == NULL)
        return 0;
    size_t hb = make_header(img, bdf);
    memcpy(img + hb, data, size);
    clef_ctx *ctx = NULL;
    clef_params *p = NULL;
    clef_recording *rec = NULL;
    if (clef_ctx_create(&ctx) == CLEF_OK && clef_params_create(&p, ctx, CLEF_PARAMS_IO) == 0 &&
        clef_params_set_i64(p, CLEF_P_IO_REFERENCE, CLEF_IO_REF_COMMON_AVERAGE) == CLEF_OK &&
        clef_recording_open_memory(&rec, ctx, img, hb + size, p) == CLEF_OK) {
        int64_t n = 0;
        if (clef_recording_canonical_length(rec, 0, -1, &n) == CLEF_OK && n > 0) {
            float *out = malloc((size_t)n * 19 * sizeof *out);
            if (out != NULL)
                (void)clef_recording_read_canonical(rec, 0, -1, out, 0, (size_t)n * 19, &n, NULL);
            free(out);
        }
        int64_t ns = clef_recording_signal_n_samples(rec, 2);
        int32_t *d = malloc((size_t)(ns + 1) * sizeof *d);
        if (d != NULL)
            (void)clef_recording_read_digital(rec, 2, 0, ns, d);
        free(d);
    }
    clef_recording_free(rec);
    clef_params_free(p);
    clef_ctx_free(ctx);
    free(img);
    return 0;
}
