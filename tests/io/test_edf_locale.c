/* test_edf_locale.c — the EDF+ writer and reader do not follow the host's locale: after
 * setlocale(LC_ALL, "de_DE.UTF-8") in this process (decimal comma), the known EDF+ file
 * (physical range -3276.8 .. 3276.7, fractional TAL onsets) is byte-identical to the one
 * written in the "C" locale, and reads back with the same ranges and annotations. Skipped,
 * saying so, when the locale is not installed. */
#define _POSIX_C_SOURCE 200809L
#include "test_support.h"

#include "edf_known.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned char *write_known(const char *name, size_t *len) {
    char path[256];
    snprintf(path, sizeof path, "/tmp/clef_edfloc_%ld_%s", (long)getpid(), name);
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(edf_known_write(ctx, path, CLEF_EDF_FORMAT_EDFPLUS), CLEF_OK);
    unsigned char *b = test_read_file(path, len);
    assert_non_null(b);
    clef_recording *rec = NULL;
    assert_int_equal(clef_recording_open(&rec, ctx, path, NULL), CLEF_OK);
    double lo = 0, hi = 0;
    assert_int_equal(clef_recording_signal_range(rec, 0, &lo, &hi, NULL, NULL), CLEF_OK);
    assert_true(lo == -3276.8 && hi == 3276.7);
    assert_int_equal(clef_recording_n_annotations(rec), EDF_KNOWN_N_ANNOT);
    for (int64_t k = 0; k < EDF_KNOWN_N_ANNOT; k++) {
        double on = 0;
        assert_int_equal(clef_recording_annotation(rec, k, &on, NULL, NULL), CLEF_OK);
        assert_true(on == edf_known_annot_onset[k]);
    }
    clef_recording_free(rec);
    clef_ctx_free(ctx);
    unlink(path);
    return b;
}

static void test_edf_comma_locale(void **state) {
    (void)state;
    size_t n_c = 0, n_de = 0;
    unsigned char *c = write_known("c.edf", &n_c);
    if (!test_comma_locale()) {
        free(c);
        skip();
    }
    unsigned char *de = write_known("de.edf", &n_de);
    test_c_locale();
    assert_int_equal(n_c, n_de);
    for (size_t i = 0; i < n_c; i++)
        if (c[i] != de[i])
            fail_msg("byte %zu differs: '%c' (C) vs '%c' (de_DE)", i, c[i], de[i]);
    free(c);
    free(de);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_edf_comma_locale)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
