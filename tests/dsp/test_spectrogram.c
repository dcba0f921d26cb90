/* test_spectrogram.c — the multitaper spectrogram: CLEF defaults, parity with MNE's
 * psd_array_multitaper (golden files from tools/ref/multitaper_ref.py), white-noise level,
 * thread-count invariance, bad input, OOM. */
#include "dsp_test_util.h"

#include "dsp/dsp_int.h"

/* ---- defaults ---- */

static void test_defaults(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    clef_spectrogram *sg = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(clef_spectrogram_create(&sg, ctx, NULL), CLEF_OK);
    assert_int_equal(clef_spectrogram_window(sg), 800);
    assert_int_equal(clef_spectrogram_step(sg), 200);
    assert_int_equal(clef_spectrogram_n_tapers(sg), 7); /* 8 computed, eigenvalue > 0.9 */
    assert_int_equal(clef_spectrogram_n_freqs(sg), 128);
    assert_int_equal(clef_spectrogram_n_frames(sg, 20 * 60 * 200), 1197);
    assert_int_equal(clef_spectrogram_n_frames(sg, 799), 0);
    assert_int_equal(clef_spectrogram_n_frames(sg, 800), 1);
    double f[128], t[3], eig[7];
    size_t needed = 0;
    assert_int_equal(clef_spectrogram_freqs(sg, f, 127, &needed), CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(needed, 128);
    assert_int_equal(clef_spectrogram_freqs(sg, f, 128, NULL), CLEF_OK);
    assert_true(f[0] == 0.0 && f[1] == 0.25 && f[127] == 31.75);
    assert_int_equal(clef_spectrogram_times(sg, 1200, t, 3, &needed), CLEF_OK);
    assert_int_equal(needed, 3);
    assert_true(t[0] == 2.0 && t[1] == 3.0 && t[2] == 4.0);
    double *tap = malloc(7 * 800 * sizeof(double));
    assert_int_equal(clef_spectrogram_tapers(sg, tap, 7 * 800, &needed, eig), CLEF_OK);
    for (int j = 0; j < 7; j++)
        assert_true(eig[j] > 0.9 && eig[j] < 1.0);
    /* the tapers are SciPy's periodic DPSS (first rows of the golden N=800 sym=0 case) */
    size_t bsize = 0;
    double *ref = dt_read("golden/dsp/dpss.f64", &bsize);
    test_assert_close_f64(tap, ref, 7 * 800, 1e-9, 0.0, "spectrogram tapers");
    test_assert_close_f64(eig, ref + 8 * 800, 7, 1e-9, 0.0, "spectrogram eigenvalues");
    free(ref);
    free(tap);
    clef_spectrogram_free(sg);
    clef_ctx_free(ctx);
}

/* ---- MNE parity ---- */

typedef struct mt_case {
    char name[32], detrend[16], weighting[16];
    double win_s, step_s, bw, fmin, fmax;
    int n_frames, n_freqs;
} mt_case;

static int next_case(char **cursor, mt_case *c) {
    for (char *line = dt_line(cursor); line != NULL; line = dt_line(cursor)) {
        if (line[0] != '#' && sscanf(line, "%31s %lf %lf %lf %lf %lf %15s %15s %d %d", c->name,
                                     &c->win_s, &c->step_s, &c->bw, &c->fmin, &c->fmax, c->detrend,
                                     c->weighting, &c->n_frames, &c->n_freqs) == 10)
            return 1;
    }
    return 0;
}

static void make_case(clef_spectrogram **sg, clef_ctx *ctx, const mt_case *c, const char *scale) {
    char kv[8][48];
    snprintf(kv[0], 48, "window_s=%.17g", c->win_s);
    snprintf(kv[1], 48, "step_s=%.17g", c->step_s);
    snprintf(kv[2], 48, "bandwidth_hz=%.17g", c->bw);
    snprintf(kv[3], 48, "fmin_hz=%.17g", c->fmin);
    snprintf(kv[4], 48, "fmax_hz=%.17g", c->fmax);
    snprintf(kv[5], 48, "detrend=%s", c->detrend);
    snprintf(kv[6], 48, "weighting=%s", c->weighting);
    snprintf(kv[7], 48, "scale=%s", scale);
    const char *args[] = {kv[0], kv[1], kv[2], kv[3], kv[4], kv[5], kv[6], kv[7], NULL};
    assert_int_equal(dt_spec(sg, ctx, args), CLEF_OK);
}

/* Per window: the double path to 1e-5 relative (MNE computes in float64), the float32 dB
 * output within 1e-3 dB of 10 log10(MNE) clipped to [-40, 40]. */
static void test_mne_parity(void **state) {
    (void)state;
    enum { N_CH = 6, N = 6000 };
    size_t sz = 0;
    char *txt = dt_read("golden/dsp/mt_cases.txt", &sz);
    float *x = dt_read("golden/dsp/mt_signals.f32", &sz);
    assert_int_equal(sz, N_CH * N * sizeof(float));
    size_t psd_size = 0;
    double *ref = dt_read("golden/dsp/mt_psd.f64", &psd_size);
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 2), CLEF_OK);
    char *cursor = txt;
    mt_case c;
    size_t off = 0;
    int n_cases = 0;
    while (next_case(&cursor, &c)) {
        clef_spectrogram *lin = NULL, *db = NULL;
        make_case(&lin, ctx, &c, "linear");
        make_case(&db, ctx, &c, "db");
        assert_int_equal(clef_spectrogram_n_frames(db, N), c.n_frames);
        assert_int_equal(clef_spectrogram_n_freqs(db), c.n_freqs);
        size_t per = (size_t)c.n_frames * (size_t)c.n_freqs, total = N_CH * per;
        assert_true((off + total) * sizeof(double) <= psd_size);
        const double *want = ref + off;
        double *got = malloc(total * sizeof(double)), *win = malloc(N * sizeof(double));
        int32_t w = (int32_t)clef_spectrogram_window(lin),
                step = (int32_t)clef_spectrogram_step(lin);
        for (int ch = 0; ch < N_CH; ch++)
            for (int k = 0; k < c.n_frames; k++) {
                for (int i = 0; i < w; i++)
                    win[i] = x[ch * N + k * step + i];
                double *g = got + ((size_t)ch * c.n_frames + k) * c.n_freqs;
                assert_int_equal(clefi_spec_window_psd_f64(lin, win, g), CLEF_OK);
            }
        char what[64];
        snprintf(what, sizeof what, "MNE parity f64, case %s", c.name);
        double scale = 0;
        for (size_t i = 0; i < total; i++)
            scale = fmax(scale, want[i]);
        test_assert_close_f64(got, want, total, 1e-13 * scale, 1e-5, what);
        /* float32 batch output in dB, layout [ch][freq][frame] */
        float *out = malloc(total * sizeof(float)), *got_db = malloc(total * sizeof(float));
        float *want_db = malloc(total * sizeof(float));
        assert_int_equal(clef_spectrogram_compute(db, ss, x, N, N_CH, N, out, total, NULL),
                         CLEF_OK);
        for (int ch = 0; ch < N_CH; ch++)
            for (int k = 0; k < c.n_frames; k++)
                for (int b = 0; b < c.n_freqs; b++) {
                    size_t i = ((size_t)ch * c.n_frames + k) * c.n_freqs + b;
                    got_db[i] = out[((size_t)ch * c.n_freqs + b) * c.n_frames + k];
                    want_db[i] = (float)fmin(40.0, fmax(-40.0, 10.0 * log10(want[i])));
                }
        snprintf(what, sizeof what, "MNE parity f32 dB, case %s", c.name);
        test_assert_close_f32(got_db, want_db, total, 1e-3, 0.0, what);
        free(out);
        free(got_db);
        free(want_db);
        free(got);
        free(win);
        clef_spectrogram_free(lin);
        clef_spectrogram_free(db);
        off += total;
        n_cases++;
    }
    assert_int_equal(n_cases, 4);
    assert_int_equal(off * sizeof(double), psd_size);
    clef_session_free(ss);
    clef_ctx_free(ctx);
    free(txt);
    free(x);
    free(ref);
}

/* Unit-variance white noise: one-sided PSD 2 sigma^2 / fs = 0.01 uV^2/Hz at 200 Hz (DC is half
 * of that by convention). Mean over 5 min and bins 1..127 within 3 %. */
static void test_white_noise_level(void **state) {
    (void)state;
    enum { N = 5 * 60 * 200 };
    float *x = malloc(N * sizeof(float));
    uint64_t s = 12345;
    for (int i = 0; i < N; i++)
        x[i] = (float)dt_normal(&s);
    clef_ctx *ctx = NULL;
    clef_spectrogram *sg = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 2), CLEF_OK);
    const char *kv[] = {"scale=linear", "fmax_hz=0", NULL};
    assert_int_equal(dt_spec(&sg, ctx, kv), CLEF_OK);
    int64_t nf = clef_spectrogram_n_freqs(sg), nt = clef_spectrogram_n_frames(sg, N);
    assert_int_equal(nf, 401);
    float *out = malloc((size_t)(nf * nt) * sizeof(float));
    assert_int_equal(clef_spectrogram_compute(sg, ss, x, N, 1, N, out, (size_t)(nf * nt), NULL),
                     CLEF_OK);
    double acc = 0;
    for (int64_t b = 1; b < nf - 1; b++)
        for (int64_t k = 0; k < nt; k++)
            acc += out[b * nt + k];
    double level = acc / (double)((nf - 2) * nt);
    if (fabs(level / 0.01 - 1.0) > 0.03)
        fail_msg("white-noise PSD level %g, expected 0.01 uV^2/Hz", level);
    free(out);
    free(x);
    clef_spectrogram_free(sg);
    clef_session_free(ss);
    clef_ctx_free(ctx);
}

/* Bit-identical output for 1, 2, 3 and 5 threads, with a row stride larger than the rows. */
static void test_thread_count_invariance(void **state) {
    (void)state;
    enum { N_CH = 5, N = 30 * 200, STRIDE = N + 17 };
    float *sig = dt_signal(N_CH, N, 7), *x = calloc(N_CH * STRIDE, sizeof(float));
    for (int c = 0; c < N_CH; c++)
        memcpy(x + c * STRIDE, sig + c * N, N * sizeof(float));
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    float *ref = NULL;
    size_t total = 0;
    const int32_t threads[] = {1, 2, 3, 5};
    clef_spectrogram *sg = NULL;
    assert_int_equal(clef_spectrogram_create(&sg, ctx, NULL), CLEF_OK);
    for (int i = 0; i < 4; i++) {
        clef_session *ss = NULL;
        assert_int_equal(clef_session_create(&ss, ctx, threads[i]), CLEF_OK);
        assert_int_equal(clef_session_n_threads(ss), threads[i]);
        assert_int_equal(clef_spectrogram_compute(sg, ss, x, STRIDE, N_CH, N, NULL, 0, &total),
                         CLEF_ERR_BUFFER_TOO_SMALL);
        assert_int_equal(total, N_CH * 128 * 27);
        float *out = malloc(total * sizeof(float));
        assert_int_equal(clef_spectrogram_compute(sg, ss, x, STRIDE, N_CH, N, out, total, NULL),
                         CLEF_OK);
        for (size_t j = 0; j < total; j++)
            assert_true(out[j] >= -40.0f && out[j] <= 40.0f);
        if (ref == NULL)
            ref = out;
        else {
            assert_memory_equal(out, ref, total * sizeof(float));
            free(out);
        }
        /* a second call on the warm session: same output, no new scratch */
        int64_t warm = clef_session_scratch_bytes(ss);
        assert_true(warm > 0);
        out = malloc(total * sizeof(float));
        assert_int_equal(clef_spectrogram_compute(sg, ss, x, STRIDE, N_CH, N, out, total, NULL),
                         CLEF_OK);
        assert_memory_equal(out, ref, total * sizeof(float));
        assert_int_equal(clef_session_scratch_bytes(ss), warm);
        free(out);
        clef_session_free(ss);
    }
    clef_spectrogram_free(sg);
    free(ref);
    free(sig);
    free(x);
    clef_ctx_free(ctx);
}

/* ---- bad input ---- */

static void test_bad_samples(void **state) {
    (void)state;
    enum { N = 2000 };
    float *x = dt_signal(2, N, 3);
    float out[2 * 128 * 7];
    clef_ctx *ctx = NULL;
    clef_spectrogram *sg = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 2), CLEF_OK);
    assert_int_equal(clef_spectrogram_create(&sg, ctx, NULL), CLEF_OK);
    assert_int_equal(clef_spectrogram_compute(sg, ss, x, N, 2, N, out, sizeof out / 4, NULL),
                     CLEF_OK);
    assert_string_equal(clef_session_errmsg(ss), "");
    x[N + 1234] = NAN;
    assert_int_equal(clef_spectrogram_compute(sg, ss, x, N, 2, N, out, sizeof out / 4, NULL),
                     CLEF_ERR_FORMAT);
    assert_int_equal(clef_session_errcode(ss), CLEF_ERR_FORMAT);
    assert_non_null(strstr(clef_session_errmsg(ss), "channel 1 sample 1234"));
    x[N + 1234] = INFINITY;
    assert_int_equal(clef_spectrogram_compute(sg, ss, x, N, 2, N, out, sizeof out / 4, NULL),
                     CLEF_ERR_FORMAT);
    x[N + 1234] = 0.0f;
    /* shorter than one window, bad shapes */
    size_t needed = 99;
    assert_int_equal(clef_spectrogram_compute(sg, ss, x, N, 2, 799, out, sizeof out / 4, &needed),
                     CLEF_ERR_SHAPE);
    assert_non_null(strstr(clef_session_errmsg(ss), "shorter than one window"));
    assert_int_equal(clef_spectrogram_compute(sg, ss, x, 10, 2, N, out, sizeof out / 4, NULL),
                     CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_spectrogram_compute(sg, ss, NULL, N, 2, N, out, sizeof out / 4, NULL),
                     CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_spectrogram_compute(sg, ss, x, N, 0, N, out, sizeof out / 4, NULL),
                     CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_spectrogram_compute(sg, ss, x, N, 2, N, out, 100, &needed),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(needed, 2 * 128 * 7);
    assert_non_null(strstr(clef_session_errmsg(ss), "capacity 100"));
    assert_int_equal(clef_spectrogram_compute(NULL, ss, x, N, 2, N, out, sizeof out / 4, NULL),
                     CLEF_ERR_INVALID_ARG);
    assert_string_not_equal(clef_session_errmsg(ss), "");
    assert_int_equal(clef_spectrogram_compute(sg, NULL, x, N, 2, N, out, sizeof out / 4, NULL),
                     CLEF_ERR_INVALID_ARG);
    /* a constant channel has zero power after mean removal: db_min, never NaN */
    for (int i = 0; i < N; i++)
        x[i] = 42.0f;
    assert_int_equal(clef_spectrogram_compute(sg, ss, x, N, 2, N, out, sizeof out / 4, NULL),
                     CLEF_OK);
    for (int i = 0; i < 128 * 7; i++)
        assert_true(out[i] == -40.0f);
    for (int i = 128 * 7; i < 2 * 128 * 7; i++)
        assert_true(out[i] > -40.0f);
    clef_spectrogram_free(sg);
    const char *lin[] = {"scale=linear", NULL}, *l1p[] = {"scale=log1p", NULL};
    for (int v = 0; v < 2; v++) {
        assert_int_equal(dt_spec(&sg, ctx, v ? l1p : lin), CLEF_OK);
        assert_int_equal(clef_spectrogram_compute(sg, ss, x, N, 1, N, out, 128 * 7, NULL), CLEF_OK);
        for (int i = 0; i < 128 * 7; i++)
            assert_true(out[i] == 0.0f);
        clef_spectrogram_free(sg);
    }
    /* zero edge padding: a recording shorter than a window still has frames */
    const char *zero[] = {"edge=zero", NULL};
    assert_int_equal(dt_spec(&sg, ctx, zero), CLEF_OK);
    assert_int_equal(clef_spectrogram_n_frames(sg, 300), 2);
    double t[2];
    assert_int_equal(clef_spectrogram_times(sg, 300, t, 2, NULL), CLEF_OK);
    assert_true(t[0] == 0.0 && t[1] == 1.0);
    assert_int_equal(clef_spectrogram_compute(sg, ss, x + N, N, 1, 300, out, 256, NULL), CLEF_OK);
    clef_spectrogram_free(sg);
    free(x);
    clef_session_free(ss);
    clef_ctx_free(ctx);
}

/* Each absurd parameter gets a specific error naming it. */
static void test_bad_params(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    clef_spectrogram *sg = NULL;
    clef_params *p = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    static const struct {
        const char *kv;
        clef_status rc;
        const char *msg;
    } cases[] = {
        {"nw=400", CLEF_ERR_RANGE, "NW"},           /* NW = N/2 */
        {"bandwidth_hz=250", CLEF_ERR_RANGE, "NW"}, /* NW = 500 > N/2 */
        {"fmax_hz=150", CLEF_ERR_RANGE, "Nyquist"}, /* above fs/2 */
        {"fmin_hz=40", CLEF_ERR_RANGE, "band"},     /* fmin >= fmax */
        {"step_s=0.001", CLEF_ERR_RANGE, "step"},   /* rounds to 0 samples */
        {"window_samples=1", CLEF_ERR_RANGE, "window"},
        {"nfft=400", CLEF_ERR_RANGE, "nfft"},
        {"detrend=quadratic", CLEF_ERR_INVALID_ARG, "detrend"},
        {"scale=dB", CLEF_ERR_INVALID_ARG, "scale"},
        {"edge=reflect", CLEF_ERR_INVALID_ARG, "edge"},
        {"weighting=adaptive", CLEF_ERR_INVALID_ARG, "weighting"},
        {"db_min=40", CLEF_ERR_RANGE, "db_min"},
        {"nw=0.2", CLEF_ERR_RANGE, "eigenvalue"}, /* no taper concentrated above 0.9 */
        {"n_tapers=801", CLEF_ERR_RANGE, "DPSS count"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *kv[] = {cases[i].kv, NULL};
        clef_status rc = dt_spec(&sg, ctx, kv);
        if (rc != cases[i].rc || strstr(clef_ctx_errmsg(ctx), cases[i].msg) == NULL)
            fail_msg("%s: got %s (%s)", cases[i].kv, clef_strerror(rc), clef_ctx_errmsg(ctx));
        assert_null(sg);
    }
    /* a zero step is refused by the setter already; a wrong kind by the constructor */
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_SPEC), CLEF_OK);
    assert_int_equal(clef_params_set_f64(p, CLEF_P_SPEC_STEP_S, 0.0), CLEF_ERR_RANGE);
    clef_params_free(p);
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_COHORT), CLEF_OK);
    assert_int_equal(clef_spectrogram_create(&sg, ctx, p), CLEF_ERR_INVALID_ARG);
    clef_params_free(p);
    assert_int_equal(clef_spectrogram_create(NULL, ctx, NULL), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_spectrogram_create(&sg, NULL, NULL), CLEF_ERR_INVALID_ARG);
    clef_spectrogram_free(NULL);
    assert_int_equal(clef_spectrogram_n_freqs(NULL), 0);
    clef_ctx_free(ctx);
}

/* nfft zero padding and a symmetric-taper, uniform, linear-detrend variant against the double
 * path (the float path agrees with its own reference to 1e-3 dB). */
static void test_variants_match_f64(void **state) {
    (void)state;
    enum { N = 3000 };
    float *x = dt_signal(1, N, 11);
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 2), CLEF_OK);
    const char *a[] = {"nfft=1024", "fmin_hz=0.5", "fmax_hz=0", NULL};
    const char *b[] = {"taper_sym=1", "weighting=uniform", "detrend=linear",
                       "nw=3",        "n_tapers=5",        "eig_min=0",
                       NULL};
    const char *c[] = {"window_samples=257", "step_samples=300", "detrend=none",
                       "fmin_hz=3",          "fmax_hz=60",       NULL};
    const char *const *variants[] = {a, b, c};
    for (int v = 0; v < 3; v++) {
        clef_spectrogram *sg = NULL;
        assert_int_equal(dt_spec(&sg, ctx, variants[v]), CLEF_OK);
        int64_t nf = clef_spectrogram_n_freqs(sg), nt = clef_spectrogram_n_frames(sg, N);
        int64_t w = clef_spectrogram_window(sg), st = clef_spectrogram_step(sg);
        float *out = malloc((size_t)(nf * nt) * sizeof(float));
        float *want = malloc((size_t)(nf * nt) * sizeof(float));
        double *win = malloc((size_t)w * sizeof(double)),
               *psd = malloc((size_t)nf * sizeof(double));
        assert_int_equal(clef_spectrogram_compute(sg, ss, x, N, 1, N, out, (size_t)(nf * nt), NULL),
                         CLEF_OK);
        for (int64_t k = 0; k < nt; k++) {
            for (int64_t i = 0; i < w; i++)
                win[i] = x[k * st + i];
            assert_int_equal(clefi_spec_window_psd_f64(sg, win, psd), CLEF_OK);
            for (int64_t f = 0; f < nf; f++)
                want[f * nt + k] = (float)fmin(40.0, fmax(-40.0, 10.0 * log10(psd[f])));
        }
        test_assert_close_f32(out, want, (size_t)(nf * nt), 1e-3, 0.0, "variant vs f64 path");
        free(out);
        free(want);
        free(win);
        free(psd);
        clef_spectrogram_free(sg);
    }
    free(x);
    clef_session_free(ss);
    clef_ctx_free(ctx);
}

static clef_status oom_body(clef_ctx *ctx, void *arg) {
    (void)arg;
    clef_spectrogram *sg = NULL;
    clef_session *ss = NULL;
    clef_status rc = clef_session_create(&ss, ctx, 2);
    if (rc != CLEF_OK)
        return rc;
    rc = dt_spec(&sg, ctx, NULL);
    if (rc != CLEF_OK) {
        clef_session_free(ss);
        return rc;
    }
    static float x[2 * 1200], out[2 * 128 * 3];
    for (int i = 0; i < 2 * 1200; i++)
        x[i] = (float)sin(0.1 * i);
    rc = clef_spectrogram_compute(sg, ss, x, 1200, 2, 1200, out, 2 * 128 * 3, NULL);
    clef_spectrogram_free(sg);
    clef_session_free(ss);
    return rc;
}

static void test_oom(void **state) {
    (void)state;
    assert_true(test_oom_sweep(oom_body, NULL, 0) > 5);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),           cmocka_unit_test(test_mne_parity),
        cmocka_unit_test(test_white_noise_level),  cmocka_unit_test(test_thread_count_invariance),
        cmocka_unit_test(test_bad_samples),        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_variants_match_f64), cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
