/* test_edf_writer.c — EDF+/BDF+ writer: header bytes field by field, quantization with rounding
 * and clipping, TALs (time-keeping and annotations), deterministic bytes, golden files checked
 * by pyedflib (tools/ref/check_edf_with_pyedflib.py), argument and state errors, OOM sweep.
 * `test_edf_writer --write DIR` writes the known files for the pyedflib test stage. */
#define _POSIX_C_SOURCE 200809L
#include "test_support.h"

#include "edf_known.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_tmp[256];

static const char *tmp_path(const char *name) {
    snprintf(g_tmp, sizeof g_tmp, "/tmp/clef_edfw_%ld_%s", (long)getpid(), name);
    return g_tmp;
}

static unsigned char *slurp(const char *path, size_t *len) {
    unsigned char *b = test_read_file(path, len);
    assert_non_null(b);
    return b;
}

/* Field of width w at off must equal want, space padded. */
static void expect_field(const unsigned char *h, size_t off, size_t w, const char *want) {
    char buf[96];
    memset(buf, ' ', w);
    memcpy(buf, want, strlen(want));
    if (memcmp(h + off, buf, w) != 0) {
        fprintf(stderr, "field at %zu: got '%.*s' want '%.*s'\n", off, (int)w, h + off, (int)w,
                buf);
        fail();
    }
}

static int32_t get_sample(const unsigned char *p, int bps) {
    if (bps == 2)
        return (int16_t)(uint16_t)(p[0] | p[1] << 8);
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    return (int32_t)(u & 0x800000u ? u | 0xFF000000u : u);
}

static void check_known(int32_t format) {
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    const char *path = tmp_path(format == CLEF_EDF_FORMAT_BDFPLUS ? "k.bdf" : "k.edf");
    assert_int_equal(edf_known_write(ctx, path, format), CLEF_OK);
    size_t len = 0;
    unsigned char *b = slurp(path, &len);
    int bdf = format == CLEF_EDF_FORMAT_BDFPLUS, bps = bdf ? 3 : 2;
    /* Fixed header (EDF 1992; EDF+ 2.1; BDF version byte 0xFF "BIOSEMI"). */
    if (bdf) {
        assert_int_equal(b[0], 0xFF);
        assert_memory_equal(b + 1, "BIOSEMI", 7);
    } else {
        expect_field(b, 0, 8, "0");
    }
    expect_field(b, 8, 80, "MRN123 F 02-MAR-1961 Jane_Doe");
    expect_field(b, 88, 80, "Startdate 14-NOV-2023 ADM1 tech_A CLEF_synth");
    expect_field(b, 168, 8, "14.11.23");
    expect_field(b, 176, 8, "09.30.05");
    expect_field(b, 184, 8, "1280");
    expect_field(b, 192, 44, bdf ? "BDF+C" : "EDF+C");
    expect_field(b, 236, 8, "3");
    expect_field(b, 244, 8, "1");
    expect_field(b, 252, 4, "4");
    /* Per-signal fields, 4 signals (3 + annotations), stored field-major. */
    const unsigned char *s = b + 256;
    expect_field(s, 0, 16, "EEG Fp1-REF");
    expect_field(s, 32, 16, "ECG");
    expect_field(s, 48, 16, bdf ? "BDF Annotations" : "EDF Annotations");
    expect_field(s, 64, 80, "AgAgCl cup");
    expect_field(s, 64 + 240, 80, "");
    expect_field(s, 384, 8, "uV");
    expect_field(s, 400, 8, "mV");
    expect_field(s, 416, 8, bdf ? "-8388608" : "-3276.8");
    expect_field(s, 440, 8, "-1");
    expect_field(s, 448, 8, bdf ? "8388607" : "3276.7");
    expect_field(s, 472, 8, "1");
    expect_field(s, 480, 8, bdf ? "-8388608" : "-32768");
    expect_field(s, 512, 8, bdf ? "8388607" : "32767");
    expect_field(s, 544, 80, "HP:0.1Hz LP:75Hz");
    expect_field(s, 544 + 240, 80, "");
    int annot_spr = bdf ? 40 : 60; /* 120 bytes */
    expect_field(s, 864, 8, "256");
    expect_field(s, 880, 8, "100");
    expect_field(s, 888, 8, bdf ? "40" : "60");
    expect_field(s, 896, 32, "");
    size_t rec = (size_t)(256 + 256 + 100 + annot_spr) * (size_t)bps;
    assert_int_equal(len, 1280 + 3 * rec);
    /* Samples: rounding, clipping and zero padding of the last half record. */
    double step = edf_known_step(format);
    for (int r = 0; r < 3; r++) {
        const unsigned char *p = b + 1280 + (size_t)r * rec;
        for (int sig = 0; sig < 3; sig++) {
            int spr = (int)edf_known_rates[sig];
            for (int k = 0; k < spr; k++, p += bps) {
                long idx = (long)r * spr + k;
                double x = idx < (long)(EDF_KNOWN_SECONDS * spr)
                               ? (double)(float)edf_known_value(sig, idx)
                               : 0.0;
                double want = floor(x / step + 0.5);
                double lim = bdf ? 8388607 : 32767;
                want = want > lim ? lim : want < -lim - 1 ? -lim - 1 : want;
                if (get_sample(p, bps) != (int32_t)want) {
                    fprintf(stderr, "record %d signal %d sample %d: %d != %g\n", r, sig, k,
                            (int)get_sample(p, bps), want);
                    fail();
                }
            }
        }
        /* TALs: time keeping first (EDF+ 2.2.4), then the annotations of this record. */
        static const char *const tals[3] = {"+0\x14\x14\0+0.5\x15"
                                            "1\x14"
                                            "Eyes closed\x14\0",
                                            "+1\x14\x14\0+1.25\x14Spike \xc3\xa9t\xc3\xa9\x14\0",
                                            "+2\x14\x14\0+2\x15"
                                            "0.5\x14Photic\x14\0"};
        size_t tl[3] = {25, 24, 20};
        assert_memory_equal(p, tals[r], tl[r]);
        for (size_t z = tl[r]; z < (size_t)annot_spr * (size_t)bps; z++)
            assert_int_equal(p[z], 0);
    }
    /* Same calls, same bytes; and the golden file that pyedflib read at dev time. */
    const char *path2 = tmp_path(bdf ? "k2.bdf" : "k2.edf");
    assert_int_equal(edf_known_write(ctx, path2, format), CLEF_OK);
    size_t len2 = 0;
    unsigned char *b2 = slurp(path2, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(b, b2, len);
    size_t glen = 0;
    unsigned char *g = slurp(
        test_data_path(bdf ? "golden/io/writer_known.bdf" : "golden/io/writer_known.edf"), &glen);
    assert_int_equal(glen, len);
    assert_memory_equal(b, g, len);
    free(g);
    free(b2);
    free(b);
    remove(path);
    remove(path2);
    clef_ctx_free(ctx);
}

static void test_known_edfplus(void **state) {
    (void)state;
    check_known(CLEF_EDF_FORMAT_EDFPLUS);
}

static void test_known_bdfplus(void **state) {
    (void)state;
    check_known(CLEF_EDF_FORMAT_BDFPLUS);
}

static void test_plain_bdf_and_errors(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_edf_writer *w = NULL;
    assert_int_equal(clef_edf_writer_create(&w, ctx, tmp_path("x.bdf"), 7), CLEF_ERR_INVALID_ARG);
    assert_null(w);
    assert_int_equal(clef_edf_writer_create(&w, ctx, "/nonexistent-dir/x.edf", CLEF_EDF_FORMAT_EDF),
                     CLEF_ERR_IO);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "nonexistent"));
    assert_int_equal(clef_edf_writer_create(&w, ctx, tmp_path("x.bdf"), CLEF_EDF_FORMAT_BDF),
                     CLEF_OK);
    assert_int_equal(clef_edf_writer_set_start(w, 1970, 1, 1, 0, 0, 0), CLEF_ERR_RANGE);
    assert_int_equal(clef_edf_writer_set_patient(w, "a", "Q", 0, 0, 0, "b"), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_edf_writer_set_record_duration(w, 0.5), CLEF_OK);
    /* 255 Hz x 0.5 s is not a whole number of samples. */
    assert_int_equal(
        clef_edf_writer_add_signal(w, "C3", "uV", 255, -1, 1, -10, 10, NULL, NULL, NULL),
        CLEF_ERR_INVALID_ARG);
    assert_int_equal(
        clef_edf_writer_add_signal(w, "C3", "uV", 256, -1, 1, -9000000, 10, NULL, NULL, NULL),
        CLEF_ERR_RANGE);
    assert_int_equal(
        clef_edf_writer_add_signal(w, "C3", "uV", 256, 1e12, 1, -10, 10, NULL, NULL, NULL),
        CLEF_ERR_RANGE);
    int32_t idx = -1;
    assert_int_equal(clef_edf_writer_add_signal(w, "C3 \xc3\xa9", "uV", 256, -100, 100, -8388608,
                                                8388607, NULL, NULL, &idx),
                     CLEF_OK);
    assert_int_equal(idx, 0);
    assert_int_equal(clef_edf_writer_add_annotation(w, 0, -1, "x"), CLEF_ERR_UNSUPPORTED);
    float x[128];
    for (int i = 0; i < 128; i++)
        x[i] = (float)i;
    x[5] = NAN;
    assert_int_equal(clef_edf_writer_write_f32(w, x, 128, 128), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_edf_writer_n_records(w), 0);
    x[5] = 0;
    assert_int_equal(clef_edf_writer_write_f32(w, x, 128, 128), CLEF_OK);
    assert_int_equal(clef_edf_writer_n_records(w), 1);
    assert_int_equal(clef_edf_writer_add_signal(w, "C4", "uV", 256, -1, 1, -1, 1, NULL, NULL, NULL),
                     CLEF_ERR_STATE);
    assert_int_equal(clef_edf_writer_close(w), CLEF_OK);
    assert_int_equal(clef_edf_writer_close(w), CLEF_ERR_STATE);
    clef_edf_writer_free(w);
    size_t len = 0;
    unsigned char *b = slurp(tmp_path("x.bdf"), &len);
    assert_int_equal(len, 512 + 128 * 3);
    expect_field(b, 192, 44, "24BIT");
    expect_field(b, 244, 8, "0.5");
    expect_field(b, 252, 4, "1");
    expect_field(b, 256, 16, "C3 ?");
    /* 127 uV clips to the digital maximum; 1 uV is 83886.07 steps -> 83886. */
    assert_int_equal(get_sample(b + 512 + 3 * 127, 3), 8388607);
    assert_int_equal(get_sample(b + 512 + 3 * 1, 3), 83886);
    free(b);
    remove(tmp_path("x.bdf"));
    clef_ctx_free(ctx);
}

static void test_annotation_overflow(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_edf_writer *w = NULL;
    const char *path = tmp_path("ov.edf");
    assert_int_equal(clef_edf_writer_create(&w, ctx, path, CLEF_EDF_FORMAT_EDFPLUS), CLEF_OK);
    assert_int_equal(clef_edf_writer_set_annotation_bytes(w, 8), CLEF_ERR_RANGE);
    assert_int_equal(clef_edf_writer_set_annotation_bytes(w, 40), CLEF_OK);
    assert_int_equal(
        clef_edf_writer_add_signal(w, "Cz", "uV", 10, -100, 100, -100, 100, NULL, NULL, NULL),
        CLEF_OK);
    float x[20] = {0};
    assert_int_equal(clef_edf_writer_write_f32(w, x, 20, 20), CLEF_OK);
    /* Two records of 40 bytes hold at most three short TALs each: the seventh cannot fit. */
    for (int i = 0; i < 7; i++)
        assert_int_equal(clef_edf_writer_add_annotation(w, 0.1 * i, -1, "event"), CLEF_OK);
    assert_int_equal(clef_edf_writer_close(w), CLEF_ERR_RANGE);
    assert_non_null(strstr(clef_edf_writer_errmsg(w), "do not fit"));
    clef_edf_writer_free(w);
    remove(path);
    clef_ctx_free(ctx);
}

static clef_status oom_body(clef_ctx *ctx, void *arg) {
    (void)arg;
    return edf_known_write(ctx, tmp_path("oom.edf"), CLEF_EDF_FORMAT_EDFPLUS);
}

static void test_oom(void **state) {
    (void)state;
    assert_true(test_oom_sweep(oom_body, NULL, 0) > 5);
    remove(tmp_path("oom.edf"));
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--write") == 0) {
        /* Used by tools/test.d/30-edf-writer-pyedflib.sh and to refresh the golden files. */
        clef_ctx *ctx = NULL;
        char p1[512], p2[512];
        snprintf(p1, sizeof p1, "%s/writer_known.edf", argv[2]);
        snprintf(p2, sizeof p2, "%s/writer_known.bdf", argv[2]);
        int bad = clef_ctx_create(&ctx) != CLEF_OK ||
                  edf_known_write(ctx, p1, CLEF_EDF_FORMAT_EDFPLUS) != CLEF_OK ||
                  edf_known_write(ctx, p2, CLEF_EDF_FORMAT_BDFPLUS) != CLEF_OK;
        clef_ctx_free(ctx);
        return bad;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_edfplus),
        cmocka_unit_test(test_known_bdfplus),
        cmocka_unit_test(test_plain_bdf_and_errors),
        cmocka_unit_test(test_annotation_overflow),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
