/* test_edf_roundtrip.c — the EDF+/BDF+ writer against the reader: labels, units, rates, every
 * sample within half a digital step, annotations (onset, duration, text). */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "edf_known.h"

static void roundtrip(int32_t format, const char *name) {
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    char path[256];
    snprintf(path, sizeof path, "roundtrip_%s_%ld", name, (long)getpid());
    assert_int_equal(edf_known_write(ctx, path, format), CLEF_OK);

    clef_recording *rec;
    clef_status rc = clef_recording_open(&rec, ctx, path, NULL);
    if (rc != CLEF_OK)
        fail_msg("open %s: %s", path, clef_ctx_errmsg(ctx));
    assert_int_equal(clef_recording_n_signals(rec), EDF_KNOWN_N_SIGNALS);
    assert_int_equal(clef_recording_n_records(rec), EDF_KNOWN_N_RECORDS);
    assert_int_equal(clef_recording_n_warnings(rec), 0);
    double half_step = 0.5 * edf_known_step(format) * (1 + 1e-9);
    for (int i = 0; i < EDF_KNOWN_N_SIGNALS; i++) {
        assert_string_equal(clef_recording_signal_label(rec, i), edf_known_labels[i]);
        assert_string_equal(clef_recording_signal_unit(rec, i), edf_known_units[i]);
        assert_true(fabs(clef_recording_signal_rate(rec, i) - edf_known_rates[i]) < 1e-12);
        /* only the written part: the last record is padded with physical zero */
        int64_t n = (int64_t)llround(EDF_KNOWN_SECONDS * edf_known_rates[i]);
        double *got = test_malloc((size_t)n * sizeof *got);
        double *want = test_malloc((size_t)n * sizeof *want);
        assert_int_equal(clef_recording_read_physical(rec, i, 0, n, got), CLEF_OK);
        double lo, hi; /* the writer clips to the physical range */
        assert_int_equal(clef_recording_signal_range(rec, i, &lo, &hi, NULL, NULL), CLEF_OK);
        for (int64_t k = 0; k < n; k++) {
            double v = edf_known_value(i, k);
            want[k] = v < lo ? lo : v > hi ? hi : v;
        }
        test_assert_close_f64(got, want, (size_t)n, half_step, 0, edf_known_labels[i]);
        test_free(got);
        test_free(want);
    }
    assert_int_equal(clef_recording_n_annotations(rec), EDF_KNOWN_N_ANNOT);
    for (int k = 0; k < EDF_KNOWN_N_ANNOT; k++) {
        double onset, duration;
        const char *text;
        assert_int_equal(clef_recording_annotation(rec, k, &onset, &duration, &text), CLEF_OK);
        assert_true(fabs(onset - edf_known_annot_onset[k]) < 1e-7);
        if (edf_known_annot_duration[k] < 0)
            assert_true(duration < 0);
        else
            assert_true(fabs(duration - edf_known_annot_duration[k]) < 1e-7);
        assert_string_equal(text, edf_known_annot_text[k]);
    }
    clef_recording_free(rec);
    clef_ctx_free(ctx);
    unlink(path);
}

static void test_roundtrip_edfplus(void **state) {
    (void)state;
    roundtrip(CLEF_EDF_FORMAT_EDFPLUS, "edf");
}

static void test_roundtrip_bdfplus(void **state) {
    (void)state;
    roundtrip(CLEF_EDF_FORMAT_BDFPLUS, "bdf");
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_roundtrip_edfplus),
                                       cmocka_unit_test(test_roundtrip_bdfplus)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
