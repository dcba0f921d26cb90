/* test_edf_spec.c — EDF+ specification corners, on files built here byte by byte:
 * an annotations-only EDF+ file with data record duration 0 (EDF+ spec 2.1.2) opens and gives
 * its annotations, and duration 0 stays an error for a file with ordinary signals or a plain
 * EDF; the header start date "dd.mm.yy" with the literal "yy" (after 2084, spec 2.1.3 item 2)
 * takes its date from the recording field's Startdate, and is an error without one; samples
 * outside the declared digital range are reported once per signal as they are read; a clean
 * file has no warning. `test_edf_spec --write DIR` writes quirky files for the clef info test. */
#include "test_support.h"

#include "edf_known.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A one-signal file: header fields by name, then the data records. */
typedef struct spec_file {
    const char *patient, *recording, *date, *reserved, *duration;
    const char *label;             /* the one signal */
    const char *dig_min, *dig_max; /* its digital range */
    int spr, n_records;            /* samples per record, records */
    const char *const *records;    /* n_records byte strings (annotation signal), or NULL */
    const size_t *record_len;      /* their lengths, NULs included */
    const int16_t *samples;        /* spr * n_records samples (data signal), or NULL */
} spec_file;

static void put(uint8_t *b, size_t off, size_t w, const char *s) {
    memset(b + off, ' ', w);
    memcpy(b + off, s, strlen(s) < w ? strlen(s) : w);
}

/* The file image (malloc'd) and its size. */
static uint8_t *build(const spec_file *f, size_t *size) {
    size_t rec_bytes = (size_t)f->spr * 2;
    *size = 512 + rec_bytes * (size_t)f->n_records;
    uint8_t *b = calloc(*size, 1);
    char num[16];
    put(b, 0, 8, "0");
    put(b, 8, 80, f->patient);
    put(b, 88, 80, f->recording);
    put(b, 168, 8, f->date);
    put(b, 176, 8, "10.20.30");
    put(b, 184, 8, "512");
    put(b, 192, 44, f->reserved);
    snprintf(num, sizeof num, "%d", f->n_records);
    put(b, 236, 8, num);
    put(b, 244, 8, f->duration);
    put(b, 252, 4, "1");
    put(b, 256, 16, f->label);
    put(b, 272, 80, "");
    put(b, 352, 8, f->records != NULL ? "" : "uV");
    put(b, 360, 8, "-100");
    put(b, 368, 8, "100");
    put(b, 376, 8, f->dig_min);
    put(b, 384, 8, f->dig_max);
    put(b, 392, 80, "");
    snprintf(num, sizeof num, "%d", f->spr);
    put(b, 472, 8, num);
    put(b, 480, 32, "");
    for (int r = 0; r < f->n_records; r++) {
        uint8_t *rec = b + 512 + (size_t)r * rec_bytes;
        if (f->records != NULL) {
            memcpy(rec, f->records[r], f->record_len[r]); /* the rest stays 0x00 */
            continue;
        }
        for (int j = 0; j < f->spr; j++) {
            uint16_t u = (uint16_t)f->samples[r * f->spr + j];
            rec[2 * j] = (uint8_t)u;
            rec[2 * j + 1] = (uint8_t)(u >> 8);
        }
    }
    return b;
}

/* Sleep scores only (as the spec's example 3.3): each record's time keeping is followed, in
 * the same TAL, by the event that defines its start (spec 2.2.4). */
static const char k_r0[] = "+0\x14\x14Sleep stage W\x14",
                  k_r1[] = "+30\x14\x14Sleep stage 1\x14\0+45.5\x15"
                           "10\x14"
                           "Arousal\x14",
                  k_r2[] = "+90\x14\x14Sleep stage 2\x14";
static const char *const k_scores[] = {k_r0, k_r1, k_r2};
static const size_t k_scores_len[] = {sizeof k_r0, sizeof k_r1, sizeof k_r2};

static spec_file annot_only(void) {
    spec_file f = {.patient = "X X X X",
                   .recording = "Startdate 02-MAR-2002 X X X",
                   .date = "02.03.02",
                   .reserved = "EDF+C",
                   .duration = "0",
                   .label = "EDF Annotations",
                   .dig_min = "-32768",
                   .dig_max = "32767",
                   .spr = 30,
                   .n_records = 3,
                   .records = k_scores,
                   .record_len = k_scores_len};
    return f;
}

static clef_recording *open_image(clef_ctx *ctx, const spec_file *f, uint8_t **img,
                                  clef_status want) {
    size_t size = 0;
    *img = build(f, &size);
    clef_recording *rec = NULL;
    clef_status rc = clef_recording_open_memory(&rec, ctx, *img, size, NULL);
    if (rc != want)
        fail_msg("open: status %d, want %d: %s", rc, want, clef_ctx_errmsg(ctx));
    return rec;
}

static int has_warning(const clef_recording *rec, const char *needle) {
    int n = 0;
    for (int64_t w = 0; w < clef_recording_n_warnings(rec); w++)
        n += strstr(clef_recording_warning(rec, w), needle) != NULL;
    return n;
}

static void test_annotations_only(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    spec_file f = annot_only();
    uint8_t *img = NULL;
    clef_recording *rec = open_image(ctx, &f, &img, CLEF_OK);
    assert_int_equal(clef_recording_file_type(rec), CLEF_FILE_EDFPLUS_C);
    assert_int_equal(clef_recording_n_signals(rec), 0);
    assert_int_equal(clef_recording_n_records(rec), 3);
    assert_true(clef_recording_record_duration(rec) == 0);
    assert_int_equal(clef_recording_n_segments(rec), 1); /* instants: no gaps */
    assert_true(clef_recording_record_onset(rec, 2) == 90);
    static const struct {
        double onset, dur;
        const char *text;
    } want[] = {{0, -1, "Sleep stage W"},
                {30, -1, "Sleep stage 1"},
                {45.5, 10, "Arousal"},
                {90, -1, "Sleep stage 2"}};
    assert_int_equal(clef_recording_n_annotations(rec), 4);
    for (int64_t k = 0; k < 4; k++) {
        double on, du;
        const char *t;
        assert_int_equal(clef_recording_annotation(rec, k, &on, &du, &t), CLEF_OK);
        assert_true(on == want[k].onset && du == want[k].dur);
        assert_string_equal(t, want[k].text);
    }
    assert_string_equal(clef_recording_start_iso(rec), "2002-03-02T10:20:30");
    assert_int_equal(has_warning(rec, "annotations only"), 1);
    assert_int_equal(clef_recording_n_warnings(rec), 1);
    clef_recording_free(rec);
    free(img);
    /* duration 0 stays an error for a plain EDF file and for ordinary signals */
    f.reserved = "";
    assert_null(open_image(ctx, &f, &img, CLEF_ERR_RANGE));
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "0 only in an EDF+ file of annotations only"));
    free(img);
    static const int16_t zeros[30 * 3] = {0};
    spec_file d = f;
    d.reserved = "EDF+C";
    d.label = "EEG Fp1";
    d.records = NULL;
    d.samples = zeros;
    assert_null(open_image(ctx, &d, &img, CLEF_ERR_RANGE));
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "duration 0 s with 1 ordinary signal"));
    free(img);
    clef_ctx_free(ctx);
}

static void test_year_after_2084(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    spec_file f = annot_only();
    f.date = "02.03.yy";
    f.recording = "Startdate 02-MAR-2091 EEG-17 tech_A amp_3";
    uint8_t *img = NULL;
    clef_recording *rec = open_image(ctx, &f, &img, CLEF_OK);
    assert_string_equal(clef_recording_start_iso(rec), "2091-03-02T10:20:30");
    assert_int_equal(has_warning(rec, "Startdate"), 0);
    clef_recording_free(rec);
    free(img);
    /* day and month disagreeing: the Startdate defines the date (item 2), with a warning */
    f.date = "03.03.yy";
    rec = open_image(ctx, &f, &img, CLEF_OK);
    assert_string_equal(clef_recording_start_iso(rec), "2091-03-02T10:20:30");
    assert_int_equal(has_warning(rec, "disagrees with the header start date '03.03.yy'; the "
                                      "Startdate date is used"),
                     1);
    clef_recording_free(rec);
    free(img);
    /* no usable Startdate: nothing gives the year */
    static const char *const no_date[] = {"Startdate X X X X", "EEG-17 tech_A amp_3",
                                          "Startdate 02-MAR-91 X X X"};
    for (int i = 0; i < 3; i++) {
        f.recording = no_date[i];
        assert_null(open_image(ctx, &f, &img, CLEF_ERR_FORMAT));
        assert_non_null(strstr(clef_ctx_errmsg(ctx), "a year after 2084"));
        free(img);
    }
    clef_ctx_free(ctx);
}

/* Signal of 3 records x 4 samples, digital range [-100, 100]; records 1 and 2 exceed it. */
static const int16_t k_wild[] = {0, 10, -10, 100, -100, 250, 3, 4, 5, -300, 6, 7};

static spec_file wild(void) {
    spec_file f = {.patient = "X F 02-MAY-1951 X",
                   .recording = "Startdate 02-MAR-2002 X X X",
                   .date = "02.03.02",
                   .reserved = "",
                   .duration = "1",
                   .label = "EEG Fp1",
                   .dig_min = "-100",
                   .dig_max = "100",
                   .spr = 4,
                   .n_records = 3,
                   .samples = k_wild};
    return f;
}

static void test_digital_range(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    spec_file f = wild();
    uint8_t *img = NULL;
    clef_recording *rec = open_image(ctx, &f, &img, CLEF_OK);
    const char *msg = "signal 0 ('EEG Fp1'): samples outside the digital range [-100, 100]";
    assert_int_equal(clef_recording_n_warnings(rec), 0); /* open reads no sample */
    int32_t d[12];
    assert_int_equal(clef_recording_read_digital(rec, 0, 0, 4, d), CLEF_OK); /* record 0: fine */
    assert_int_equal(clef_recording_n_warnings(rec), 0);
    double x[12];
    assert_int_equal(clef_recording_read_physical(rec, 0, 0, 12, x), CLEF_OK);
    assert_int_equal(has_warning(rec, msg), 1);
    assert_int_equal(has_warning(rec, "(from -100 to 250 in data record 1)"), 1);
    assert_true(x[5] == 250); /* read as stored, not clipped (gain 1) */
    assert_int_equal(clef_recording_read_digital(rec, 0, 0, 12, d), CLEF_OK);
    assert_int_equal(clef_recording_n_warnings(rec), 1); /* once per signal */
    assert_int_equal(d[9], -300);
    clef_recording_free(rec);
    free(img);
    /* the microvolt path finds it as well */
    rec = open_image(ctx, &f, &img, CLEF_OK);
    float uv[12];
    int64_t sel = 0, count = 0;
    assert_int_equal(clef_recording_read_uv(rec, &sel, 1, 0, -1, uv, 12, &count, NULL), CLEF_OK);
    assert_int_equal(has_warning(rec, msg), 1);
    clef_recording_free(rec);
    free(img);
    clef_ctx_free(ctx);
}

/* The writer's own files follow the layout: no warning at all, data read included. */
static void test_clean_file(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    char path[128];
    snprintf(path, sizeof path, "/tmp/clef_edfspec_%ld.edf", (long)getpid());
    assert_int_equal(edf_known_write(ctx, path, CLEF_EDF_FORMAT_EDFPLUS), CLEF_OK);
    clef_recording *rec = NULL;
    assert_int_equal(clef_recording_open(&rec, ctx, path, NULL), CLEF_OK);
    double x[1024];
    int64_t n = clef_recording_signal_n_samples(rec, 0);
    assert_true(n <= 1024);
    assert_int_equal(clef_recording_read_physical(rec, 0, 0, n, x), CLEF_OK);
    for (int64_t w = 0; w < clef_recording_n_warnings(rec); w++)
        fail_msg("clean file warns: %s", clef_recording_warning(rec, w));
    clef_recording_free(rec);
    unlink(path);
    clef_ctx_free(ctx);
}

static int write_file(const char *dir, const char *name, const spec_file *f) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t size = 0;
    uint8_t *b = build(f, &size);
    FILE *out = fopen(path, "wb");
    int ok = out != NULL && fwrite(b, 1, size, out) == size;
    ok = out != NULL && fclose(out) == 0 && ok;
    free(b);
    return ok ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--write") == 0) {
        spec_file a = annot_only(), w = wild();
        a.date = "02.03.yy";
        a.recording = "Startdate 02-MAR-2091";
        w.reserved = "ACME v2";
        return write_file(argv[2], "annot_only.edf", &a) | write_file(argv[2], "wild.edf", &w);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_annotations_only),
        cmocka_unit_test(test_year_after_2084),
        cmocka_unit_test(test_digital_range),
        cmocka_unit_test(test_clean_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
