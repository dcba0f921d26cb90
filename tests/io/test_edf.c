/* test_edf.c — the EDF/BDF reader on the real files in tests/data against the facts pyedflib
 * 0.1.42 and MNE 1.13.2 report (tests/data/reference_facts.json, README.md tolerances), the
 * canonical reader against scipy (tools/ref/canonical_ref.py), and streaming == file. */
#include "test_npy.h"
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct chan_fact {
    const char *label;
    double fs;
    int64_t n;
    double pmin, pmax;
    int32_t dmin, dmax;
    double first5[5], last5[5];
    int32_t dfirst5[5];
    double mean, std;
} chan_fact;

/* Values copied from tests/data/reference_facts.json (pyedflib readSignal, ddof 0). */
static const chan_fact k_test_generator[] = {
    {"sine 5Hz",
     1000.0,
     30000,
     -3000.0,
     3000.0,
     -8388608,
     8388607,
     {31.410636389889834, 62.79033796729705, 94.1081699197397, 125.33301862079048,
      156.43412807191214},
     {-125.33301862078982, -94.10816991973903, -62.79033796729638, -31.410636389889167,
      0.00017881394531738047},
     {87830, 175574, 263145, 350456, 437421},
     3.3517911409338314e-13,
     707.1066471057247},
    {"square 13Hz",
     800.0,
     24000,
     -3000.0,
     3000.0,
     -8388608,
     8388607,
     {999.9996423721103, 999.9996423721103, 999.9996423721103, 999.9996423721103,
      999.9996423721103},
     {-999.9999999999995, -999.9999999999995, -999.9999999999995, -999.9999999999995,
      -999.9999999999995},
     {2796201, 2796201, 2796201, 2796201, 2796201},
     -500.2500893622686,
     865.8808632649965},
    {"ramp 7Hz",
     500.0,
     15000,
     -3000.0,
     3000.0,
     -8388608,
     8388607,
     {-962.6665093103946, -925.3330186207897, -887.9998855590749, -850.6663948694699,
      -813.333261807755},
     {-999.9999999999995, -999.9999999999995, -999.9999999999995, -999.9999999999995,
      -999.9999999999995},
     {-2691811, -2587419, -2483028, -2378636, -2274245},
     -249.6000012636182,
     661.5914583403439},
    {"pink noise",
     975.0,
     29250,
     -3000.0,
     3000.0,
     -8388608,
     8388607,
     {108.28310896653619, 38.95014756620843, 295.34288020985633, 395.69076273982336,
      165.8787230180936},
     {-495.60090873246804, -549.2998092949273, -404.5452716675559, -404.8070552830129,
      -332.2822649647152},
     {302781, 108912, 825838, 1106431, 463830},
     16.007296623763036,
     290.2497950812157},
    {"white noise",
     999.0,
     29970,
     -3000.0,
     3000.0,
     -8388608,
     8388607,
     {-627.7998463988209, 937.3897276753028, 849.589934920665, -62.14982641636257,
      506.4599219834761},
     {914.6599718725668, -141.81966434834354, -725.7598475074674, 61.53971323607676,
      -622.3799957263464},
     {-1755456, 2621131, 2375625, -173784, 1416164},
     -4.226732219572176,
     575.8618121370325},
};
static const chan_fact k_test_generator_datarec_generator_2[] = {
    {"sine 2.5Hz",
     500.0,
     15000,
     -3000.0,
     3000.0,
     -8388608,
     8388607,
     {31.410636389889834, 62.79033796729705, 94.1081699197397, 125.33301862079048,
      156.43412807191214},
     {-125.33301862078982, -94.10816991973903, -62.79033796729638, -31.410636389889167,
      0.00017881394531738047},
     {87830, 175574, 263145, 350456, 437421},
     3.3517911409338314e-13,
     707.1066471057247},
    {"square 6.5Hz",
     400.0,
     12000,
     -3000.0,
     3000.0,
     -8388608,
     8388607,
     {999.9996423721103, 999.9996423721103, 999.9996423721103, 999.9996423721103,
      999.9996423721103},
     {-999.9999999999995, -999.9999999999995, -999.9999999999995, -999.9999999999995,
      999.9996423721103},
     {2796201, 2796201, 2796201, 2796201, 2796201},
     -500.33342268070083,
     865.8327133193288},
    {"ramp 3.5Hz",
     250.0,
     7500,
     -3000.0,
     3000.0,
     -8388608,
     8388607,
     {-962.6665093103946, -925.3330186207897, -887.9998855590749, -850.6663948694699,
      -813.333261807755},
     {-999.9999999999995, -999.9999999999995, -999.9999999999995, -999.9999999999995,
      -999.9996423721096},
     {-2691811, -2587419, -2483028, -2378636, -2274245},
     -249.86666700045234,
     661.4907913696292},
    {"pink noise",
     487.5,
     14625,
     -3000.0,
     3000.0,
     -8388608,
     8388607,
     {-182.48052492621656, -16.443551566812154, 69.38428100253859, 58.70837323119514,
      -48.01315355379271},
     {70.65600577926703, 211.09612054205692, -58.20089925532899, 33.95265543178684,
      25.82162772546013},
     {-510253, -45980, 194012, 164160, -134255},
     -74.56933692205246,
     277.4824072709105},
    {"white noise",
     499.5,
     14985,
     -3000.0,
     3000.0,
     -8388608,
     8388607,
     {495.6799444961518, 568.0598955190122, 681.0198832166128, -463.19982190131043,
      -334.58968011079276},
     {-315.81993793367934, 395.0198528182422, 404.9197080683537, -108.98978167711353,
      -895.0097498303498},
     {1386021, 1588410, 1904269, -1295201, -935581},
     -6.334089906351119,
     577.6506301851783},
};
static const chan_fact k_test_subsecond[] = {
    {"Fp1",
     128.0,
     89344,
     8711.0,
     -8711.0,
     -32768,
     32767,
     {6.247302967879759, 7.576516365300984, 10.234943160143434, 9.96910048065919,
      6.778988326848249},
     {-0.13292133974212253, -0.13292133974212253, -0.13292133974212253, -0.13292133974212253,
      -0.13292133974212253},
     {-24, -29, -39, -38, -26},
     -0.29986449625115563,
     16.09744869433024},
};

static clef_recording *open_data(clef_ctx *ctx, const char *name) {
    clef_recording *rec = NULL;
    clef_status rc = clef_recording_open(&rec, ctx, test_data_path(name), NULL);
    if (rc != CLEF_OK)
        fail_msg("open %s: %s", name, clef_ctx_errmsg(ctx));
    return rec;
}

static void check_channels(const char *file, const chan_fact *f, int32_t n, int32_t type,
                           double rec_dur) {
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_recording *rec = open_data(ctx, file);
    assert_int_equal(clef_recording_file_type(rec), type);
    assert_int_equal(clef_recording_n_signals(rec), n);
    assert_true(clef_recording_record_duration(rec) == rec_dur);
    for (int32_t i = 0; i < n; i++) {
        const chan_fact *c = &f[i];
        assert_string_equal(clef_recording_signal_label(rec, i), c->label);
        assert_string_equal(clef_recording_signal_unit(rec, i), "uV");
        assert_true(clef_recording_signal_rate(rec, i) == c->fs);
        assert_int_equal(clef_recording_signal_n_samples(rec, i), c->n);
        double pmin, pmax;
        int32_t dmin, dmax;
        assert_int_equal(clef_recording_signal_range(rec, i, &pmin, &pmax, &dmin, &dmax), 0);
        assert_true(pmin == c->pmin && pmax == c->pmax);
        assert_int_equal(dmin, c->dmin);
        assert_int_equal(dmax, c->dmax);
        int32_t d[5];
        assert_int_equal(clef_recording_read_digital(rec, i, 0, 5, d), CLEF_OK);
        for (int k = 0; k < 5; k++)
            assert_int_equal(d[k], c->dfirst5[k]);
        double *x = malloc((size_t)c->n * sizeof *x);
        assert_non_null(x);
        assert_int_equal(clef_recording_read_physical(rec, i, 0, c->n, x), CLEF_OK);
        double tol = 1e-9 * fmax(fabs(c->pmin), fabs(c->pmax)); /* README tolerance */
        test_assert_close_f64(x, c->first5, 5, tol, 0, "first 5 physical");
        test_assert_close_f64(x + c->n - 5, c->last5, 5, tol, 0, "last 5 physical");
        double sum = 0, ss = 0;
        for (int64_t k = 0; k < c->n; k++)
            sum += x[k];
        double mean = sum / (double)c->n;
        for (int64_t k = 0; k < c->n; k++)
            ss += (x[k] - mean) * (x[k] - mean);
        double std = sqrt(ss / (double)c->n);
        test_assert_close_f64(&mean, &c->mean, 1, tol, 1e-9, "mean");
        test_assert_close_f64(&std, &c->std, 1, 0, 1e-9, "std");
        /* a range read in the middle equals the whole read */
        double mid[300];
        assert_int_equal(clef_recording_read_physical(rec, i, c->n / 3, 300, mid), CLEF_OK);
        test_assert_close_f64(mid, x + c->n / 3, 300, 0, 0, "range read");
        free(x);
    }
    assert_int_equal(clef_recording_read_physical(rec, 0, f[0].n - 2, 5, (double[5]){0}),
                     CLEF_ERR_RANGE);
    assert_int_equal(clef_recording_read_physical(rec, n, 0, 1, (double[1]){0}),
                     CLEF_ERR_INVALID_ARG);
    clef_recording_free(rec);
    clef_ctx_free(ctx);
}

static void test_bdf_generator(void **state) {
    (void)state;
    check_channels("test_generator.bdf", k_test_generator, 5, CLEF_FILE_BDFPLUS_C, 1.0);
}

static void test_bdf_generator_2s(void **state) {
    (void)state;
    check_channels("test_generator_datarec_generator_2.bdf", k_test_generator_datarec_generator_2,
                   5, CLEF_FILE_BDFPLUS_C, 2.0);
}

static void test_edf_subsecond(void **state) {
    (void)state;
    check_channels("test_subsecond.edf", k_test_subsecond, 1, CLEF_FILE_EDFPLUS_C, 1.0);
}

static void test_header_and_annotations(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_recording *rec = open_data(ctx, "test_subsecond.edf");
    assert_string_equal(clef_recording_header_field(rec, CLEF_HDR_VERSION), "0");
    assert_string_equal(clef_recording_header_field(rec, CLEF_HDR_PATIENT), "X F 20-JAN-1998 X,X");
    assert_string_equal(clef_recording_header_field(rec, CLEF_HDR_STARTDATE), "24.01.20");
    assert_string_equal(clef_recording_header_field(rec, CLEF_HDR_RESERVED), "EDF+C");
    assert_null(clef_recording_header_field(rec, 99));
    /* first record's time keeping is +0.3945312 s (EDF+ spec 2.2.4); pyedflib prints it as
     * .039453 (its 100-ns units divided by 1e2 too many), MNE drops it */
    assert_string_equal(clef_recording_start_iso(rec), "2020-01-24T04:05:56.394531");
    assert_int_equal(clef_recording_n_records(rec), 698);
    assert_true(clef_recording_duration(rec) == 698.0);
    static const double onsets[4] = {1.9511719, 3.4921875, 290.5019531, 583.5722656};
    static const char *const texts[4] = {"XLSpike", "Clip Note", "XLEvent", "XLSpike"};
    assert_int_equal(clef_recording_n_annotations(rec), 4);
    for (int64_t k = 0; k < 4; k++) {
        double on, du;
        const char *t;
        assert_int_equal(clef_recording_annotation(rec, k, &on, &du, &t), CLEF_OK);
        assert_true(fabs(on - onsets[k]) <= 1e-7);
        assert_true(du == -1.0);
        assert_string_equal(t, texts[k]);
    }
    assert_int_equal(clef_recording_annotation(rec, 4, NULL, NULL, NULL), CLEF_ERR_INVALID_ARG);
    /* the inverted physical range is tolerated and reported */
    assert_int_equal(clef_recording_n_warnings(rec), 1);
    assert_non_null(strstr(clef_recording_warning(rec, 0), "negative gain"));
    assert_null(clef_recording_warning(rec, 1));
    /* continuous: one segment, records 1 s apart */
    assert_int_equal(clef_recording_n_segments(rec), 1);
    assert_true(fabs(clef_recording_record_onset(rec, 697) - 697.0) < 1e-9);
    assert_true(isnan(clef_recording_record_onset(rec, 698)));
    /* channel map: Fp1 present and exact, everything else missing */
    assert_int_equal(clef_recording_present_mask(rec), 1u);
    assert_int_equal(clef_recording_canonical_signal(rec, 0), 0);
    assert_int_equal(clef_recording_canonical_signal(rec, 1), -1);
    assert_int_equal(clef_recording_signal_map(rec, 0), CLEF_MAP_EXACT);
    assert_int_equal(clef_recording_signal_class(rec, 0), CLEF_CHAN_EEG);
    clef_recording_free(rec);

    rec = open_data(ctx, "test_generator.bdf");
    assert_string_equal(clef_recording_header_field(rec, CLEF_HDR_VERSION), "BIOSEMI");
    assert_string_equal(clef_recording_start_iso(rec), "2000-01-01T00:00:00");
    assert_int_equal(clef_recording_n_annotations(rec), 0);
    assert_int_equal(clef_recording_n_warnings(rec), 0);
    assert_int_equal(clef_recording_present_mask(rec), 0);
    int64_t n = 0;
    assert_int_equal(clef_recording_read_canonical(rec, 0, -1, NULL, 0, 0, &n, NULL),
                     CLEF_ERR_NOT_FOUND);
    clef_recording_free(rec);
    clef_ctx_free(ctx);
}

static void test_read_uv(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_recording *rec = open_data(ctx, "test_generator.bdf");
    const int32_t sel[2] = {4, 0};
    int64_t counts[2], needed = 0;
    /* size query, then 2.5 s from t = 10.25 s: 2497.5 -> round() samples at 999 Hz */
    assert_int_equal(clef_recording_read_uv(rec, sel, 2, 10.25, 2.5, NULL, 0, counts, &needed),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(needed, 2500);
    float *buf = calloc(2 * 2500, sizeof *buf);
    assert_int_equal(clef_recording_read_uv(rec, sel, 2, 10.25, 2.5, buf, 2500, counts, &needed),
                     CLEF_OK);
    assert_int_equal(counts[0], llround(12.75 * 999) - llround(10.25 * 999));
    assert_int_equal(counts[1], 2500);
    double ref[2500];
    assert_int_equal(clef_recording_read_physical(rec, 0, 10250, 2500, ref), CLEF_OK);
    for (int k = 0; k < 2500; k++)
        assert_true(fabs(buf[2500 + k] - ref[k]) <= 1e-4 * fabs(ref[k]) + 1e-3);
    assert_int_equal(clef_recording_read_uv(rec, sel, 2, -1.0, 1, buf, 2500, counts, NULL),
                     CLEF_ERR_RANGE);
    free(buf);
    clef_recording_free(rec);
    clef_ctx_free(ctx);
}

static void test_canonical_vs_scipy(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_recording *rec = open_data(ctx, "test_subsecond.edf");
    int64_t n = 0;
    uint32_t mask = 0;
    assert_int_equal(clef_recording_canonical_length(rec, 0, -1, &n), CLEF_OK);
    assert_int_equal(n, 139600); /* 89344 * 25 / 16 */
    size_t stride = (size_t)n + 7;
    float *out = malloc(19 * stride * sizeof *out);
    assert_int_equal(
        clef_recording_read_canonical(rec, 0, -1, out, stride, 18 * stride + n - 1, &n, &mask),
        CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(clef_recording_read_canonical(rec, 0, -1, out, stride, 19 * stride, &n, &mask),
                     CLEF_OK);
    assert_int_equal(mask, 1u);
    size_t nh, nt;
    float *head = test_npy_data_f32("golden/io/subsecond_fp1_200hz_head.npy", &nh);
    float *tail = test_npy_data_f32("golden/io/subsecond_fp1_200hz_tail.npy", &nt);
    /* 1e-6 of the +-200 uV signal scale: the path rounds samples to float32 before filtering
     * (as a streaming caller would), the reference stays in double */
    test_assert_close_f32(out, head, nh, 2e-4, 1e-6, "Fp1 200 Hz head");
    test_assert_close_f32(out + n - (int64_t)nt, tail, nt, 2e-4, 1e-6, "Fp1 200 Hz tail");
    for (int c = 1; c < 19; c++)
        for (int64_t k = 0; k < n; k += 997)
            assert_true(out[(size_t)c * stride + (size_t)k] == 0.0f);
    /* a time range equals resample_poly of that range alone: 100 s + 10 s at 128 Hz */
    double seg[1280];
    float segf[1280], want[2000];
    assert_int_equal(clef_recording_read_physical(rec, 0, 12800, 1280, seg), CLEF_OK);
    for (int k = 0; k < 1280; k++)
        segf[k] = (float)seg[k];
    assert_int_equal(clef_resample(ctx, segf, 1280, 25, 16, want, 2000), CLEF_OK);
    assert_int_equal(
        clef_recording_read_canonical(rec, 100.0, 10.0, out, 2000, 19 * 2000, &n, NULL), CLEF_OK);
    assert_int_equal(n, 2000);
    assert_memory_equal(out, want, sizeof want);
    assert_int_equal(clef_recording_read_canonical(rec, 699.0, 1.0, out, 2000, 19 * 2000, &n, NULL),
                     CLEF_ERR_RANGE);
    free(head);
    free(tail);
    free(out);
    clef_recording_free(rec);
    clef_ctx_free(ctx);
}

/* Push the file's physical samples (float, native unit) in random chunk sizes through a
 * clef_stream; the output must equal read_canonical bit for bit. */
static void test_stream_equals_file(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_recording *rec = open_data(ctx, "test_subsecond.edf");
    int64_t n = 0, ns = clef_recording_signal_n_samples(rec, 0);
    assert_int_equal(clef_recording_canonical_length(rec, 0, -1, &n), CLEF_OK);
    float *ref = malloc(19 * (size_t)n * sizeof *ref);
    assert_int_equal(clef_recording_read_canonical(rec, 0, -1, ref, 0, 19 * (size_t)n, &n, NULL),
                     CLEF_OK);
    double *x = malloc((size_t)ns * sizeof *x);
    float *xf = malloc((size_t)ns * 2 * sizeof *xf);
    assert_int_equal(clef_recording_read_physical(rec, 0, 0, ns, x), CLEF_OK);
    /* channel 0: "EEG FP1-REF" in uV; channel 1: an ECG lead (dropped) */
    for (int64_t k = 0; k < ns; k++) {
        xf[2 * k] = (float)x[k];
        xf[2 * k + 1] = 1.0f;
    }
    const char *labels[2] = {"EEG FP1-REF", "ECG"};
    const double rates[2] = {128.0, 128.0};
    const char *units[2] = {"uV", "mV"};
    for (int mode = 0; mode < 2; mode++) {
        clef_stream *s = NULL;
        assert_int_equal(clef_stream_create(&s, ctx, 2, labels, rates, units, NULL), CLEF_OK);
        assert_int_equal(clef_stream_present_mask(s), 1u);
        float *got = calloc(19 * (size_t)n, sizeof *got);
        float *chunk = malloc(19 * 4096 * sizeof *chunk);
        int64_t pos = 0, w = 0;
        unsigned seed = 12345u + (unsigned)mode;
        while (pos < ns) {
            seed = seed * 1103515245u + 12345u;
            int64_t c = 1 + (int64_t)((seed >> 8) % 700);
            c = c < ns - pos ? c : ns - pos;
            if (mode == 0) {
                assert_int_equal(clef_stream_push_interleaved(s, xf + 2 * pos, c), CLEF_OK);
            } else {
                float planar[2 * 700];
                for (int64_t k = 0; k < c; k++) {
                    planar[k] = xf[2 * (pos + k)];
                    planar[700 + k] = 1.0f;
                }
                const int64_t counts[2] = {c, c};
                assert_int_equal(clef_stream_push_planar(s, planar, 700, counts), CLEF_OK);
            }
            pos += c;
            int64_t got_n = 0;
            clef_status rc;
            while ((rc = clef_stream_pull(s, chunk, 4096, 4096, &got_n)) == CLEF_OK && got_n) {
                for (int ch = 0; ch < 19; ch++)
                    memcpy(got + (size_t)ch * (size_t)n + w, chunk + (size_t)ch * 4096,
                           (size_t)got_n * sizeof *chunk);
                w += got_n;
            }
            assert_true(rc == CLEF_OK || rc == CLEF_MORE);
        }
        assert_int_equal(clef_stream_finish(s), CLEF_OK);
        assert_int_equal(clef_stream_push_interleaved(s, xf, 1), CLEF_ERR_STATE);
        int64_t got_n = 0;
        while (clef_stream_pull(s, chunk, 4096, 4096, &got_n) == CLEF_OK && got_n) {
            for (int ch = 0; ch < 19; ch++)
                memcpy(got + (size_t)ch * (size_t)n + w, chunk + (size_t)ch * 4096,
                       (size_t)got_n * sizeof *chunk);
            w += got_n;
        }
        assert_int_equal(w, n);
        assert_memory_equal(got, ref, 19 * (size_t)n * sizeof *ref);
        free(chunk);
        free(got);
        clef_stream_free(s);
    }
    free(x);
    free(xf);
    free(ref);
    clef_recording_free(rec);
    clef_ctx_free(ctx);
}

static clef_status oom_open_read(clef_ctx *ctx, void *arg) {
    clef_recording *rec = NULL;
    clef_status rc = clef_recording_open(&rec, ctx, test_data_path(arg), NULL);
    if (rc != CLEF_OK)
        return rc;
    int64_t n = 0;
    rc = clef_recording_canonical_length(rec, 0, 30, &n);
    float *out = rc == CLEF_OK ? calloc(19 * (size_t)(n + 1), sizeof *out) : NULL;
    if (rc == CLEF_OK)
        rc = clef_recording_read_canonical(rec, 0, 30, out, 0, 19 * (size_t)(n + 1), &n, NULL);
    free(out);
    clef_recording_free(rec);
    return rc;
}

/* Mixed rates and units through planar pushes: each canonical row equals clef_resample of its
 * input (uV), a mV channel at 200 Hz is copied times 1000; common average sums to ~0. */
static void test_stream_mixed_rates(void **state) {
    (void)state;
    enum { N256 = 2560, N500 = 5000, N200 = 2000, CAP = 5000 };
    const char *labels[4] = {"EEG Fp1-REF", "EEG FP2-REF", "Cz", "Photic"};
    const double rates[4] = {256, 500, 200, 1};
    const char *units[4] = {"uV", "\xc2\xb5V", "mV", "counts"};
    float *in = calloc(4 * CAP, sizeof *in);
    for (int k = 0; k < N256; k++)
        in[k] = (float)(30 * sin(0.05 * k) + 0.01 * k);
    for (int k = 0; k < N500; k++)
        in[CAP + k] = (float)(20 * cos(0.013 * k));
    for (int k = 0; k < N200; k++)
        in[2 * CAP + k] = (float)(0.05 * sin(0.1 * k));
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    float ref[2][N200];
    assert_int_equal(clef_resample(ctx, in, N256, 200, 256, ref[0], N200), CLEF_OK);
    assert_int_equal(clef_resample(ctx, in + CAP, N500, 200, 500, ref[1], N200), CLEF_OK);
    for (int car = 0; car < 2; car++) {
        clef_params *p = NULL;
        assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_IO), CLEF_OK);
        assert_int_equal(clef_params_set_i64(p, CLEF_P_IO_REFERENCE, car), CLEF_OK);
        clef_stream *s = NULL;
        assert_int_equal(clef_stream_create(&s, ctx, 4, labels, rates, units, p), CLEF_OK);
        assert_int_equal(clef_stream_present_mask(s), (1u << 0) | (1u << 1) | (1u << 9));
        assert_int_equal(clef_stream_push_interleaved(s, in, 1), CLEF_ERR_MISUSE);
        float *out = calloc(19 * N200, sizeof *out);
        int64_t done[4] = {0, 0, 0, 0}, w = 0, got = 0;
        const int64_t total[4] = {N256, N500, N200, 0};
        float buf[4 * 300], pull[19 * 64];
        for (int step = 0; done[0] < N256 || done[1] < N500 || done[2] < N200; step++) {
            int64_t cnt[4] = {0, 0, 0, 0};
            for (int c = 0; c < 3; c++) {
                cnt[c] = (step * 37 + c * 11) % 300;
                cnt[c] = cnt[c] < total[c] - done[c] ? cnt[c] : total[c] - done[c];
                memcpy(buf + c * 300, in + c * CAP + done[c], (size_t)cnt[c] * sizeof *buf);
                done[c] += cnt[c];
            }
            assert_int_equal(clef_stream_push_planar(s, buf, 300, cnt), CLEF_OK);
            while (clef_stream_pull(s, pull, 64, 64, &got) == CLEF_OK && got > 0) {
                for (int c = 0; c < 19; c++)
                    memcpy(out + c * N200 + w, pull + c * 64, (size_t)got * sizeof *out);
                w += got;
            }
        }
        assert_int_equal(clef_stream_finish(s), CLEF_OK);
        while (clef_stream_pull(s, pull, 64, 64, &got) == CLEF_OK && got > 0) {
            for (int c = 0; c < 19; c++)
                memcpy(out + c * N200 + w, pull + c * 64, (size_t)got * sizeof *out);
            w += got;
        }
        assert_int_equal(w, N200);
        if (car == 0) {
            assert_memory_equal(out, ref[0], sizeof ref[0]);
            assert_memory_equal(out + N200, ref[1], sizeof ref[1]);
            for (int k = 0; k < N200; k++)
                assert_true(out[9 * N200 + k] == (float)((double)in[2 * CAP + k] * 1000.0));
        } else {
            for (int k = 0; k < N200; k++) {
                double sum = (double)out[k] + out[N200 + k] + out[9 * N200 + k];
                assert_true(fabs(sum) < 1e-3);
            }
        }
        free(out);
        clef_stream_free(s);
        clef_params_free(p);
    }
    /* an unknown unit on a canonical channel needs io.unknown_unit */
    const char *bad_units[4] = {"counts", "uV", "uV", "uV"};
    clef_stream *s = NULL;
    assert_int_equal(clef_stream_create(&s, ctx, 4, labels, rates, bad_units, NULL),
                     CLEF_ERR_UNSUPPORTED);
    assert_null(s);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "counts"));
    const char *none[1] = {"EKG"};
    assert_int_equal(clef_stream_create(&s, ctx, 1, none, rates, units, NULL), CLEF_ERR_NOT_FOUND);
    assert_int_equal(clef_stream_create(&s, ctx, 4, labels, rates, NULL, NULL),
                     CLEF_ERR_INVALID_ARG); /* units are required */
    free(in);
    clef_ctx_free(ctx);
}

static clef_status oom_stream(clef_ctx *ctx, void *arg) {
    (void)arg;
    const char *labels[3] = {"T3", "T4", "O1"};
    const double rates[3] = {256, 250, 512};
    const char *units[3] = {"uV", "mV", "V"};
    clef_stream *s = NULL;
    clef_status rc = clef_stream_create(&s, ctx, 3, labels, rates, units, NULL);
    float x[3 * 600] = {0}, out[19 * 100];
    const int64_t counts[3] = {512, 500, 600};
    int64_t got = 0;
    if (rc == CLEF_OK)
        rc = clef_stream_push_planar(s, x, 600, counts);
    if (rc == CLEF_OK)
        rc = clef_stream_finish(s);
    if (rc == CLEF_OK)
        rc = clef_stream_pull(s, out, 100, 100, &got);
    clef_stream_free(s);
    return rc;
}

static clef_status oom_read_uv(clef_ctx *ctx, void *arg) {
    clef_recording *rec = NULL;
    clef_status rc = clef_recording_open(&rec, ctx, test_data_path(arg), NULL);
    const int32_t sel[3] = {0, 3, 4};
    int64_t counts[3];
    float *out = malloc(3 * 2000 * sizeof *out);
    if (rc == CLEF_OK)
        rc = clef_recording_read_uv(rec, sel, 3, 1.0, 2.0, out, 2000, counts, NULL);
    free(out);
    clef_recording_free(rec);
    return rc;
}

static void test_oom_open(void **state) {
    (void)state;
    assert_true(test_oom_sweep(oom_open_read, "test_subsecond.edf", 0) > 3);
    assert_true(test_oom_sweep(oom_read_uv, "test_generator.bdf", 0) > 3);
    assert_true(test_oom_sweep(oom_stream, NULL, 0) > 3);
}

/* Getters are NULL-safe and return neutral values; constructors reject bad arguments. */
static void test_null_safety(void **state) {
    (void)state;
    assert_string_equal(clef_recording_errmsg(NULL), "");
    assert_int_equal(clef_recording_n_signals(NULL), 0);
    assert_null(clef_recording_signal_label(NULL, 0));
    assert_null(clef_recording_header_field(NULL, 0));
    assert_null(clef_recording_start_iso(NULL));
    assert_int_equal(clef_recording_n_records(NULL), 0);
    assert_int_equal(clef_recording_n_annotations(NULL), 0);
    assert_int_equal(clef_recording_n_warnings(NULL), 0);
    assert_int_equal(clef_recording_present_mask(NULL), 0);
    assert_int_equal(clef_recording_canonical_signal(NULL, 0), -1);
    assert_int_equal(clef_recording_signal_class(NULL, 0), -1);
    assert_true(isnan(clef_recording_record_onset(NULL, 0)));
    assert_int_equal(clef_recording_read_physical(NULL, 0, 0, 1, NULL), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_recording_read_canonical(NULL, 0, -1, NULL, 0, 0, NULL, NULL),
                     CLEF_ERR_INVALID_ARG);
    clef_recording_free(NULL);
    clef_stream_free(NULL);
    assert_string_equal(clef_stream_errmsg(NULL), "");
    assert_int_equal(clef_stream_available(NULL), 0);
    assert_int_equal(clef_stream_push_planar(NULL, NULL, 0, NULL), CLEF_ERR_INVALID_ARG);
    clef_recording *rec = (clef_recording *)1;
    assert_int_equal(clef_recording_open(&rec, NULL, "x.edf", NULL), CLEF_ERR_INVALID_ARG);
    assert_null(rec);
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_params *p = NULL;
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_COHORT), CLEF_OK);
    assert_int_equal(clef_recording_open(&rec, ctx, test_data_path("test_subsecond.edf"), p),
                     CLEF_ERR_INVALID_ARG);
    clef_params_free(p);
    clef_stream *s = (clef_stream *)1;
    assert_int_equal(clef_stream_create(&s, ctx, 0, NULL, NULL, NULL, NULL), CLEF_ERR_INVALID_ARG);
    assert_null(s);
    clef_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bdf_generator),
        cmocka_unit_test(test_bdf_generator_2s),
        cmocka_unit_test(test_edf_subsecond),
        cmocka_unit_test(test_header_and_annotations),
        cmocka_unit_test(test_read_uv),
        cmocka_unit_test(test_canonical_vs_scipy),
        cmocka_unit_test(test_stream_equals_file),
        cmocka_unit_test(test_stream_mixed_rates),
        cmocka_unit_test(test_oom_open),
        cmocka_unit_test(test_null_safety),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
