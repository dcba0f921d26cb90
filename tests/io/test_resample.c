/* test_resample.c — polyphase resampler against scipy.signal.resample_poly golden vectors
 * (tools/ref/resample_ref.py), chunk invariance of the streaming form, channel labels and
 * montages. */
#include "io/io_int.h"
#include "test_npy.h"
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_case(const char *tag, int32_t up, int32_t down) {
    char nx[96], ny[96];
    snprintf(nx, sizeof nx, "golden/io/resample_%s_x.npy", tag);
    snprintf(ny, sizeof ny, "golden/io/resample_%s_y.npy", tag);
    size_t n, m;
    float *x = test_npy_data_f32(nx, &n);
    float *y = test_npy_data_f32(ny, &m);
    assert_int_equal(clef_resample_length((int64_t)n, up, down), (int64_t)m);
    float *out = malloc(m * sizeof *out);
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(clef_resample(ctx, x, (int64_t)n, up, down, out, (int64_t)m - 1),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(clef_resample(ctx, x, (int64_t)n, up, down, out, (int64_t)m), CLEF_OK);
    double peak = 0;
    for (size_t i = 0; i < m; i++)
        peak = fmax(peak, fabs(y[i]));
    /* The issue asks for 1e-4 relative; float32 output of a double filter achieves ~6e-8, so
     * check 1e-6 (per element, plus the signal peak near zero crossings) to catch any drift in
     * the filter design. */
    test_assert_close_f32(out, y, m, 1e-6 * peak, 1e-6, tag);
    if (up == down)
        assert_memory_equal(out, x, n * sizeof *x); /* exact pass-through */
    /* the streaming form gives the same output for any chunking */
    clefi_polyfilt f;
    assert_int_equal(clefi_polyfilt_init(&f, ctx, NULL, up, down), CLEF_OK);
    clefi_resampler r;
    clefi_resampler_init(&r, &f);
    float *s = malloc(m * sizeof *s);
    size_t pos = 0, w = 0;
    unsigned seed = 7;
    while (pos < n) {
        seed = seed * 1664525u + 1013904223u;
        size_t c = 1 + (seed >> 20) % 97;
        c = c < n - pos ? c : n - pos;
        assert_int_equal(clefi_resampler_push(&r, ctx, x + pos, (int64_t)c, 1.0), CLEF_OK);
        pos += c;
        int64_t k = clefi_resampler_ready(&r);
        clefi_resampler_pull(&r, s + w, k);
        w += (size_t)k;
    }
    clefi_resampler_finish(&r);
    int64_t k = clefi_resampler_ready(&r);
    clefi_resampler_pull(&r, s + w, k);
    w += (size_t)k;
    assert_int_equal(w, m);
    assert_memory_equal(s, out, m * sizeof *s);
    clefi_resampler_free(&r, ctx);
    clefi_polyfilt_free(&f, ctx);
    clef_ctx_free(ctx);
    free(s);
    free(out);
    free(x);
    free(y);
}

static void test_golden(void **state) {
    (void)state;
    check_case("256_200", 25, 32);
    check_case("250_200", 4, 5);
    check_case("500_200", 2, 5);
    check_case("512_200", 25, 64);
    check_case("1000_200", 1, 5);
    check_case("200_200", 1, 1);
    check_case("487p5_200", 16, 39);
    check_case("999_200", 200, 999);
    check_case("128_200", 25, 16);
}

static void test_rate_ratio(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    int32_t up = 0, down = 0;
    assert_int_equal(clefi_rate_ratio(ctx, NULL, 256, 200, &up, &down), CLEF_OK);
    assert_true(up == 25 && down == 32);
    assert_int_equal(clefi_rate_ratio(ctx, NULL, 487.5, 200, &up, &down), CLEF_OK);
    assert_true(up == 16 && down == 39);
    assert_int_equal(clefi_rate_ratio(ctx, NULL, 200, 200, &up, &down), CLEF_OK);
    assert_true(up == 1 && down == 1);
    assert_int_equal(clefi_rate_ratio(ctx, NULL, 200 * 1.41421356237309515, 200, &up, &down),
                     CLEF_ERR_UNSUPPORTED);
    assert_int_equal(clef_resample(ctx, NULL, 0, 0, 1, NULL, 0), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_resample(ctx, (float[1]){1}, 1, 20001, 1, (float[1]){0}, 1),
                     CLEF_ERR_UNSUPPORTED);
    clef_ctx_free(ctx);
}

static void test_labels(void **state) {
    (void)state;
    static const struct {
        const char *label, *name;
        int32_t cls, canon, map;
    } k[] = {
        {"Fp1", "Fp1", CLEF_CHAN_EEG, 0, CLEF_MAP_EXACT},
        {"FP1", "Fp1", CLEF_CHAN_EEG, 0, CLEF_MAP_EXACT},
        {"EEG FP1-REF", "Fp1", CLEF_CHAN_EEG, 0, CLEF_MAP_ALIASED},
        {"Fp2-LE", "Fp2", CLEF_CHAN_EEG, 1, CLEF_MAP_ALIASED},
        {" EEG T3-AVG ", "T7", CLEF_CHAN_EEG, 7, CLEF_MAP_ALIASED},
        {"T4", "T8", CLEF_CHAN_EEG, 11, CLEF_MAP_ALIASED},
        {"t5-A1", "P7", CLEF_CHAN_EEG, 12, CLEF_MAP_ALIASED},
        {"EEG T6-M1", "P8", CLEF_CHAN_EEG, 16, CLEF_MAP_ALIASED},
        {"O2", "O2", CLEF_CHAN_EEG, 18, CLEF_MAP_EXACT},
        {"CZ", "Cz", CLEF_CHAN_EEG, 9, CLEF_MAP_EXACT},
        {"EEG A1-REF", "A1", CLEF_CHAN_EEG, -1, CLEF_MAP_DROPPED_EXTRA},
        {"Fpz", "Fpz", CLEF_CHAN_EEG, -1, CLEF_MAP_DROPPED_EXTRA},
        {"EKG", "EKG", CLEF_CHAN_ECG, -1, CLEF_MAP_DROPPED_NON_EEG},
        {"EEG EKG1-REF", "EKG1-REF", CLEF_CHAN_ECG, -1, CLEF_MAP_DROPPED_NON_EEG},
        {"ECG II", "ECG II", CLEF_CHAN_ECG, -1, CLEF_MAP_DROPPED_NON_EEG},
        {"EMG chin", "EMG chin", CLEF_CHAN_EMG, -1, CLEF_MAP_DROPPED_NON_EEG},
        {"LOC", "LOC", CLEF_CHAN_EOG, -1, CLEF_MAP_DROPPED_NON_EEG},
        {"Resp nasal", "Resp nasal", CLEF_CHAN_RESP, -1, CLEF_MAP_DROPPED_NON_EEG},
        {"Photic", "Photic", CLEF_CHAN_OTHER, -1, CLEF_MAP_DROPPED_NON_EEG},
        {"Fp1-F7", "Fp1-F7", CLEF_CHAN_EEG, -1, CLEF_MAP_DROPPED_BIPOLAR},
        {"sine 5Hz", "sine 5Hz", CLEF_CHAN_OTHER, -1, CLEF_MAP_DROPPED_NON_EEG},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        char name[32];
        int32_t cls, canon, map;
        assert_int_equal(clef_channel_parse(k[i].label, name, sizeof name, &cls, &canon, &map),
                         CLEF_OK);
        if (strcmp(name, k[i].name) != 0 || cls != k[i].cls || canon != k[i].canon ||
            map != k[i].map)
            fail_msg("'%s' -> '%s' class %d canon %d map %d", k[i].label, name, cls, canon, map);
    }
    char small[4];
    assert_int_equal(clef_channel_parse("EEG FP1-REF", small, sizeof small, NULL, NULL, NULL),
                     CLEF_OK);
    assert_int_equal(clef_channel_parse("Photic", small, sizeof small, NULL, NULL, NULL),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_string_equal(small, "Pho");
    assert_int_equal(clef_channel_parse(NULL, NULL, 0, NULL, NULL, NULL), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_canonical_n_channels(), 19);
    assert_string_equal(clef_canonical_channel_name(7), "T7");
    assert_null(clef_canonical_channel_name(19));
    assert_int_equal(clef_bipolar_n_channels(), 18);
    assert_string_equal(clef_bipolar_channel_name(17), "Cz-Pz");
    assert_null(clef_bipolar_channel_name(-1));
}

static void test_montages(void **state) {
    (void)state;
    enum { N = 5 };
    float x[19 * N], b[18 * N];
    for (int c = 0; c < 19; c++)
        for (int t = 0; t < N; t++)
            x[c * N + t] = (float)(c * 10 + t);
    uint32_t mask = (1u << 19) - 1 - (1u << 2); /* F7 missing */
    uint32_t om = 0;
    assert_int_equal(clef_montage_bipolar(x, N, N, mask, b, N, &om), CLEF_OK);
    assert_int_equal(om, ((1u << 18) - 1) & ~3u); /* Fp1-F7 and F7-T7 need F7 */
    assert_true(b[0] == 0.0f && b[N] == 0.0f);
    assert_true(b[16 * N + 3] == x[4 * N + 3] - x[9 * N + 3]); /* Fz-Cz */
    assert_true(b[8 * N] == x[0] - x[3 * N]);                  /* Fp1-F3 */
    assert_int_equal(clef_montage_common_average(x, N, N, mask), CLEF_OK);
    for (int t = 0; t < N; t++) {
        double s = 0;
        for (int c = 0; c < 19; c++)
            if (c != 2)
                s += x[c * N + t];
        assert_true(fabs(s) < 1e-3);
        assert_true(x[2 * N + t] == (float)(20 + t)); /* missing row untouched */
    }
    assert_int_equal(clef_montage_bipolar(x, N - 1, N, mask, b, N, NULL), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_montage_common_average(NULL, N, N, mask), CLEF_ERR_INVALID_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_rate_ratio),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_montages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
