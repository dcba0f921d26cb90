/* test_edf_malformed.c — malformed and quirky EDF files made by mutating test_subsecond.edf in
 * memory (EDF+C, 2 signals: Fp1 128 samples/record + "EDF Annotations" 20 samples/record, 698
 * records of 296 bytes after a 768-byte header). Every malformed case must return its specific
 * status and message without a crash or leak (run under ASan); every tolerated quirk opens with
 * a warning. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR    768
#define RECB   296
#define ANN(r) (HDR + (r)*RECB + 256) /* annotation bytes of record r (40) */

typedef struct mutation {
    const char *name;
    size_t off; /* where to write bytes */
    const char *bytes;
    size_t len; /* 0: strlen(bytes); bytes may hold NULs when len is given */
    long size;  /* >= 0: truncate the image to this size */
    clef_status want;
    const char *msg; /* substring of the error or of a warning */
} mutation;

static uint8_t *g_file;
static size_t g_size;

static int setup(void **state) {
    (void)state;
    FILE *f = fopen(test_data_path("test_subsecond.edf"), "rb");
    if (f == NULL)
        return -1;
    g_file = malloc(300000);
    g_size = fread(g_file, 1, 300000, f);
    fclose(f);
    return g_size == 207376 ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    free(g_file);
    return 0;
}

static const mutation k_bad[] = {
    {"tiny file", 0, "", 0, 100, CLEF_ERR_FORMAT, "truncated header"},
    {"empty file", 0, "", 0, 0, CLEF_ERR_FORMAT, "truncated header"},
    {"header cut in signal table", 0, "", 0, 500, CLEF_ERR_FORMAT, "truncated header"},
    {"version", 0, "1       ", 0, -1, CLEF_ERR_FORMAT, "version field"},
    {"header bytes", 184, "999     ", 0, -1, CLEF_ERR_FORMAT, "header byte count"},
    {"header bytes text", 184, "7x8     ", 0, -1, CLEF_ERR_FORMAT, "header byte count"},
    {"zero signals", 252, "0   ", 0, -1, CLEF_ERR_RANGE, "number of signals"},
    {"negative signals", 252, "-3  ", 0, -1, CLEF_ERR_RANGE, "number of signals"},
    {"signals not a number", 252, "ab  ", 0, -1, CLEF_ERR_FORMAT, "number of signals"},
    {"gigabyte signal count", 184, "2560000 9999", 0, -1, CLEF_ERR_FORMAT, "truncated header"},
    {"negative records", 236, "-5      ", 0, -1, CLEF_ERR_RANGE, "number of data records"},
    {"records not a number", 236, "69a     ", 0, -1, CLEF_ERR_FORMAT, "number of data records"},
    {"absurd record count", 236, "99999999", 0, -1, CLEF_ERR_FORMAT, "truncated data"},
    {"truncated data", 0, "", 0, HDR + 100 * RECB, CLEF_ERR_FORMAT, "truncated data"},
    {"zero record duration", 244, "0       ", 0, -1, CLEF_ERR_RANGE, "record duration"},
    {"negative record duration", 244, "-1      ", 0, -1, CLEF_ERR_RANGE, "record duration"},
    {"duration not a number", 244, "1s      ", 0, -1, CLEF_ERR_FORMAT, "record duration"},
    {"NUL in label", 258, "\0", 1, -1, CLEF_ERR_FORMAT, "NUL byte 0x00 in label of signal 0"},
    {"control byte in patient", 10, "\t", 0, -1, CLEF_ERR_FORMAT, "patient identification"},
    {"zero samples per record", 688, "0       ", 0, -1, CLEF_ERR_RANGE, "samples per record"},
    {"negative samples per record", 688, "-128    ", 0, -1, CLEF_ERR_RANGE, "samples per record"},
    {"samples per record text", 696, "2O      ", 0, -1, CLEF_ERR_FORMAT, "samples per record"},
    {"digital min == max", 496, "32767   ", 0, -1, CLEF_ERR_RANGE, "digital range of signal 0"},
    {"digital min > max", 512, "-32769  ", 0, -1, CLEF_ERR_RANGE, "digital range of signal 0"},
    {"digital max beyond 16 bits", 512, "40000   ", 0, -1, CLEF_ERR_RANGE, "digital range"},
    {"physical min text", 464, "8711..  ", 0, -1, CLEF_ERR_FORMAT, "physical minimum"},
    {"physical max empty", 480, "        ", 0, -1, CLEF_ERR_FORMAT, "physical maximum"},
    {"bad start date", 168, "32.01.20", 0, -1, CLEF_ERR_FORMAT, "start date"},
    {"bad start time", 176, "25.05.56", 0, -1, CLEF_ERR_FORMAT, "start time"},
    {"reserved EDF+X", 192, "EDF+X", 0, -1, CLEF_ERR_FORMAT, "reserved field"},
    {"EDF+D without annotations", 192, "EDF+D", 0, -1, CLEF_ERR_FORMAT, "annotation signal"},
    {"TAL bad onset", ANN(0), "x0.3945312", 0, -1, CLEF_ERR_FORMAT, "bad TAL onset"},
    {"TAL onset without sign", ANN(3), "3.3945312", 0, -1, CLEF_ERR_FORMAT, "record 3"},
    {"TAL bad duration", ANN(1),
     "+1.3945312\x15"
     "ab\x14\x14",
     0, -1, CLEF_ERR_FORMAT, "bad TAL duration"},
    {"TAL unterminated", ANN(2), "+2.3945312\x14\x14XXXXXXXXXXXXXXXXXXXXXXXXXXX\x14", 40, -1,
     CLEF_ERR_FORMAT, "not terminated by 0x00"},
    {"TAL text without 0x14", ANN(0),
     "+0.3945312\x14\x14\0+2\x14"
     "abc\0",
     21, -1, CLEF_ERR_FORMAT, "not terminated by 0x14"},
    {"TAL without 0x14 after onset", ANN(5), "+5.3945312\x14\0", 12, -1, CLEF_ERR_FORMAT,
     "no 0x14 after its onset"},
    {"records out of order", ANN(1), "+0.3945312", 0, -1, CLEF_ERR_FORMAT, "before record 0"},
    {"signal table shifted one byte", 255, "2       Fp1", 0, -1, CLEF_ERR_FORMAT,
     "number of signals is not an integer"},
    {"field spilling into the next signal", 472, " -1    -", 0, -1, CLEF_ERR_FORMAT,
     "physical minimum of signal 1 is not a number"},
};

/* A fresh copy of the file with mutation m applied. */
static uint8_t *mutate(const mutation *m, size_t *size) {
    uint8_t *b = calloc(g_size + 4096, 1); /* room for trailing bytes */
    memcpy(b, g_file, g_size);
    size_t len = m->len ? m->len : strlen(m->bytes);
    memcpy(b + m->off, m->bytes, len);
    *size = m->size >= 0 ? (size_t)m->size : g_size;
    if (m->name != NULL && strstr(m->name, "gigabyte") != NULL) {
        b[196 - 4] = ' '; /* keep the 4-char signal count field alone */
        memcpy(b + 252, "9999", 4);
    }
    if (m->name != NULL && strstr(m->name, "EDF+D without") != NULL)
        memcpy(b + 272, "EEG Fp2-REF     ", 16); /* the annotation signal becomes data */
    return b;
}

static void test_malformed(void **state) {
    (void)state;
    size_t n_cases = sizeof k_bad / sizeof k_bad[0];
    assert_true(n_cases >= 30);
    for (size_t i = 0; i < n_cases; i++) {
        const mutation *m = &k_bad[i];
        test_alloc ta;
        clef_ctx *ctx = test_ctx_with_alloc(&ta, -1);
        size_t size;
        uint8_t *b = mutate(m, &size);
        clef_recording *rec = (clef_recording *)1;
        clef_status rc = clef_recording_open_memory(&rec, ctx, b, size, NULL);
        const char *msg = clef_ctx_errmsg(ctx);
        int bad = rc != m->want || rec != NULL || strstr(msg, m->msg) == NULL;
        if (bad)
            print_error("case '%s': status %d (want %d), message '%s' (want '%s')", m->name, rc,
                        m->want, msg, m->msg);
        clef_ctx_free(ctx);
        free(b);
        assert_false(bad);
        assert_int_equal(ta.live, 0);
    }
}

static const mutation k_quirks[] = {
    {"record count -1", 236, "-1      ", 0, -1, CLEF_OK, "number of data records is -1"},
    {"truncated last record", 0, "", 0, (long)(207376 - 100), CLEF_OK, "last data record"},
    {"non-ASCII patient", 8, "J\xfcrgen", 0, -1, CLEF_OK, "non-ASCII"},
    {"leading spaces", 236, "     698", 0, -1, CLEF_OK, "leading spaces"},
    {"physical min == max", 464, "-8711   ", 0, -1, CLEF_OK, "minimum == maximum"},
    {"EDF+C without annotation signal", 272, "EEG Fp2-REF     ", 0, -1, CLEF_OK,
     "without an annotation signal"},
    {"comma decimal", 244, "1,0     ", 0, -1, CLEF_OK, "decimal comma"},
    {"trailing bytes", 0, "", 0, 207376 + 50, CLEF_OK, "50 bytes after the last data record"},
    /* EDF+ spec 2.1.3 items 3 and 4 (patient "X F 20-JAN-1998 X,X", recording "Startdate
     * 24-JAN-2020 X X X", header date 24.01.20) and the reserved field */
    {"patient: 3 subfields", 8, "X F 20-JAN-1998_X,X", 0, -1, CLEF_OK,
     "patient identification does not follow 'code sex birthdate name' (EDF+ spec 2.1.3 item 3): "
     "fewer than 4 subfields"},
    {"patient: sex", 8, "X Q", 0, -1, CLEF_OK, "the sex subfield is not F, M or X"},
    {"patient: birthdate", 8, "X F 20-Jan-1998", 0, -1, CLEF_OK,
     "the birthdate subfield is not dd-MMM-yyyy or X"},
    {"recording: 4 subfields", 88, "Startdate 24-JAN-2020 X_X X", 0, -1, CLEF_OK,
     "recording identification does not follow 'Startdate dd-MMM-yyyy code technician "
     "equipment' (EDF+ spec 2.1.3 item 4): fewer than 5 subfields"},
    {"recording: Startdate not a date", 88, "Startdate 24/JAN/2020", 0, -1, CLEF_OK,
     "the Startdate subfield is not dd-MMM-yyyy or X"},
    {"recording: no Startdate", 88, "StartDate", 0, -1, CLEF_OK,
     "recording identification has no Startdate subfield"},
    {"Startdate disagrees", 88, "Startdate 25-JAN-2020", 0, -1, CLEF_OK,
     "recording-field Startdate 25-JAN-2020 disagrees with the header start date '24.01.20'; "
     "the header date is used"},
    {"reserved in lower case", 192, "edf+c", 0, -1, CLEF_OK,
     "reserved field 'edf+c' is not in capitals; read as EDF+C"},
    {"reserved garbage in plain EDF", 192, "ACME v2", 0, -1, CLEF_OK,
     "reserved field of a plain EDF file holds 'ACME v2' (should be blank); ignored"},
};

static void test_quirks(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof k_quirks / sizeof k_quirks[0]; i++) {
        const mutation *m = &k_quirks[i];
        clef_ctx *ctx = NULL;
        assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
        size_t size;
        uint8_t *b = mutate(m, &size);
        clef_recording *rec = NULL;
        clef_status rc = clef_recording_open_memory(&rec, ctx, b, size, NULL);
        if (rc != CLEF_OK)
            fail_msg("quirk '%s': %s", m->name, clef_ctx_errmsg(ctx));
        int found = 0;
        for (int64_t w = 0; w < clef_recording_n_warnings(rec); w++)
            found |= strstr(clef_recording_warning(rec, w), m->msg) != NULL;
        if (!found)
            fail_msg("quirk '%s': no warning containing '%s'", m->name, m->msg);
        assert_true(clef_recording_n_records(rec) >= 697);
        double x[4];
        assert_int_equal(clef_recording_read_physical(rec, 0, 0, 4, x), CLEF_OK);
        clef_recording_free(rec);
        clef_ctx_free(ctx);
        free(b);
    }
    /* physical min == max: constant phys_min */
    size_t size;
    uint8_t *b = mutate(&k_quirks[4], &size);
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_recording *rec = NULL;
    assert_int_equal(clef_recording_open_memory(&rec, ctx, b, size, NULL), CLEF_OK);
    double x[3];
    assert_int_equal(clef_recording_read_physical(rec, 0, 0, 3, x), CLEF_OK);
    assert_true(x[0] == -8711.0 && x[2] == -8711.0);
    clef_recording_free(rec);
    free(b);
    /* a file that is not there, a directory */
    assert_int_equal(clef_recording_open(&rec, ctx, "/nonexistent/x.edf", NULL), CLEF_ERR_IO);
    assert_null(rec);
    assert_int_equal(clef_recording_open(&rec, ctx, CLEF_TEST_DATA_DIR, NULL), CLEF_ERR_IO);
    assert_int_equal(clef_recording_open(&rec, ctx, NULL, NULL), CLEF_ERR_INVALID_ARG);
    clef_ctx_free(ctx);
}

/* EDF+D: records 0-9, a 5 s gap, records 10-697; canonical reads stop at the gap. */
static void test_discontinuous(void **state) {
    (void)state;
    uint8_t *b = malloc(g_size);
    memcpy(b, g_file, g_size);
    memcpy(b + 192, "EDF+D", 5);
    for (int r = 10; r < 698; r++) {
        char tk[41];
        memset(tk, 0, sizeof tk);
        int n = snprintf(tk, sizeof tk, "+%d.3945312\x14\x14", r + 5);
        memcpy(b + ANN(r), tk, (size_t)n + 1);
        memset(b + ANN(r) + n + 1, 0, (size_t)(40 - n - 1));
    }
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_recording *rec = NULL;
    assert_int_equal(clef_recording_open_memory(&rec, ctx, b, g_size, NULL), CLEF_OK);
    assert_int_equal(clef_recording_file_type(rec), CLEF_FILE_EDFPLUS_D);
    assert_int_equal(clef_recording_n_segments(rec), 2);
    double on;
    int64_t first, nrec;
    assert_int_equal(clef_recording_segment(rec, 1, &on, &first, &nrec), CLEF_OK);
    assert_true(on > 14.999 && on < 15.001);
    assert_int_equal(first, 10);
    assert_int_equal(nrec, 688);
    assert_int_equal(clef_recording_segment(rec, 2, NULL, NULL, NULL), CLEF_ERR_INVALID_ARG);
    float out[19 * 2000];
    int64_t n;
    assert_int_equal(clef_recording_read_canonical(rec, 5, 10, out, 2000, 19 * 2000, &n, NULL),
                     CLEF_ERR_UNSUPPORTED);
    assert_non_null(strstr(clef_recording_errmsg(rec), "gap"));
    assert_int_equal(clef_recording_read_canonical(rec, 0, 10, out, 2000, 19 * 2000, &n, NULL),
                     CLEF_OK);
    assert_int_equal(n, 2000);
    clef_recording_free(rec);
    /* io.join_gaps lets the read through, with a warning */
    clef_params *p = NULL;
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_IO), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_IO_JOIN_GAPS, 1), CLEF_OK);
    assert_int_equal(clef_recording_open_memory(&rec, ctx, b, g_size, p), CLEF_OK);
    assert_int_equal(clef_recording_read_canonical(rec, 5, 10, out, 2000, 19 * 2000, &n, NULL),
                     CLEF_OK);
    int found = 0;
    for (int64_t w = 0; w < clef_recording_n_warnings(rec); w++)
        found |= strstr(clef_recording_warning(rec, w), "gap") != NULL;
    assert_true(found);
    clef_recording_free(rec);
    clef_params_free(p);
    clef_ctx_free(ctx);
    free(b);
}

/* Unknown unit: an error in uV unless io.unknown_unit says what it is. */
static void test_unknown_unit(void **state) {
    (void)state;
    uint8_t *b = malloc(g_size);
    memcpy(b, g_file, g_size);
    memcpy(b + 448, "counts  ", 8);
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_recording *rec = NULL;
    assert_int_equal(clef_recording_open_memory(&rec, ctx, b, g_size, NULL), CLEF_OK);
    assert_true(clef_recording_signal_uv_scale(rec, 0) == 0);
    int64_t n = 0;
    assert_int_equal(clef_recording_canonical_length(rec, 0, -1, &n), CLEF_ERR_UNSUPPORTED);
    assert_non_null(strstr(clef_recording_errmsg(rec), "counts"));
    clef_recording_free(rec);
    clef_params *p = NULL;
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_IO), CLEF_OK);
    assert_int_equal(clef_params_set_str(p, CLEF_P_IO_UNKNOWN_UNIT, "mV"), CLEF_OK);
    assert_int_equal(clef_recording_open_memory(&rec, ctx, b, g_size, p), CLEF_OK);
    assert_true(clef_recording_signal_uv_scale(rec, 0) == 1000.0);
    assert_int_equal(clef_recording_canonical_length(rec, 0, -1, &n), CLEF_OK);
    clef_recording_free(rec);
    assert_int_equal(clef_params_set_str(p, CLEF_P_IO_UNKNOWN_UNIT, "furlong"), CLEF_OK);
    assert_int_equal(clef_recording_open_memory(&rec, ctx, b, g_size, p), CLEF_ERR_INVALID_ARG);
    clef_params_free(p);
    clef_ctx_free(ctx);
    free(b);
}

/* BDF (24-bit) header mutations of test_generator.bdf (6 signals, 1792-byte header). */
static void test_bdf_malformed(void **state) {
    (void)state;
    static const mutation k_bdf[] = {
        {"BDF version text", 1, "BIOSEMX", 0, -1, CLEF_ERR_FORMAT, "version field"},
        {"BDF digital max beyond 24 bits", 256 + 128 * 6, "8388608 ", 0, -1, CLEF_ERR_RANGE,
         "digital range of signal 0"},
        {"BDF truncated data", 0, "", 0, 1792 + 5 * 12990, CLEF_ERR_FORMAT, "truncated data"},
    };
    FILE *f = fopen(test_data_path("test_generator.bdf"), "rb");
    assert_non_null(f);
    uint8_t *img = malloc(389872);
    assert_int_equal(fread(img, 1, 389872, f), 389872);
    fclose(f);
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    for (size_t i = 0; i < sizeof k_bdf / sizeof k_bdf[0]; i++) {
        uint8_t *b = malloc(389872);
        memcpy(b, img, 389872);
        memcpy(b + k_bdf[i].off, k_bdf[i].bytes, strlen(k_bdf[i].bytes));
        size_t size = k_bdf[i].size >= 0 ? (size_t)k_bdf[i].size : 389872;
        clef_recording *rec = NULL;
        clef_status rc = clef_recording_open_memory(&rec, ctx, b, size, NULL);
        int bad = rc != k_bdf[i].want || strstr(clef_ctx_errmsg(ctx), k_bdf[i].msg) == NULL;
        if (bad)
            print_error("case '%s': status %d, message '%s'\n", k_bdf[i].name, rc,
                        clef_ctx_errmsg(ctx));
        clef_recording_free(rec);
        free(b);
        assert_false(bad);
    }
    free(img);
    clef_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed),     cmocka_unit_test(test_quirks),
        cmocka_unit_test(test_discontinuous), cmocka_unit_test(test_unknown_unit),
        cmocka_unit_test(test_bdf_malformed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
