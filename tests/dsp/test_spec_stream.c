/* test_spec_stream.c — streaming spectrogram: random chunk sizes give the batch output bit for
 * bit; failed pushes change nothing. */
#include "dsp_test_util.h"

enum { N_CH = 3, N = 9000 };

/* Push x in chunks drawn from [0, max_chunk], then finish; returns [n_ch][n_freq][frames]. */
static float *stream_all(clef_session *sess, const clef_spectrogram *sg, const float *x,
                         uint64_t seed, int max_chunk, int64_t *frames) {
    clef_spectrogram_stream *st = NULL;
    assert_int_equal(clef_spectrogram_stream_create(&st, sess, sg, N_CH), CLEF_OK);
    int64_t nf = clef_spectrogram_n_freqs(sg), total = clef_spectrogram_n_frames(sg, N);
    float *all = malloc((size_t)(N_CH * nf * (total + 1)) * sizeof(float));
    float *chunk_out = malloc((size_t)(N_CH * nf * (total + 1)) * sizeof(float));
    int64_t done = 0, pos = 0;
    for (int last = 0; !last;) {
        int64_t n = (int64_t)(dt_uniform(&seed) * (max_chunk + 1));
        if (n > N - pos)
            n = N - pos;
        int64_t got = -1, pending = clef_spectrogram_stream_pending(st, n);
        size_t needed = 0;
        clef_status rc;
        if (pos == N) {
            rc = clef_spectrogram_stream_finish(st, chunk_out, (size_t)(N_CH * nf * (total + 1)),
                                                &needed, &got);
            last = 1;
        } else {
            rc = clef_spectrogram_stream_push(st, x + pos, N, n, chunk_out,
                                              (size_t)(N_CH * nf * (total + 1)), &needed, &got);
            assert_int_equal(got, pending);
        }
        assert_int_equal(rc, CLEF_OK);
        assert_int_equal(needed, (size_t)(N_CH * nf * got));
        for (int64_t c = 0; c < N_CH * nf; c++)
            for (int64_t k = 0; k < got; k++)
                all[c * total + done + k] = chunk_out[c * got + k];
        done += got;
        pos += n;
        assert_int_equal(clef_spectrogram_stream_frames(st), done);
    }
    clef_spectrogram_stream_free(st);
    free(chunk_out);
    *frames = done;
    return all;
}

static void check_config(const char *const *kv) {
    clef_ctx *ctx = NULL;
    clef_spectrogram *sg = NULL;
    clef_session *sess = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(clef_session_create(&sess, ctx, 2), CLEF_OK);
    assert_int_equal(dt_spec(&sg, ctx, kv), CLEF_OK);
    float *x = dt_signal(N_CH, N, 5);
    size_t total = 0;
    assert_int_equal(clef_spectrogram_compute(sg, sess, x, N, N_CH, N, NULL, 0, &total),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_string_not_equal(clef_session_errmsg(sess), "");
    float *ref = malloc(total * sizeof(float));
    assert_int_equal(clef_spectrogram_compute(sg, sess, x, N, N_CH, N, ref, total, NULL), CLEF_OK);
    assert_string_equal(clef_session_errmsg(sess), "");
    static const int max_chunks[] = {1, 7, 199, 801, 5000, 9000};
    for (int i = 0; i < 6; i++) {
        int64_t frames = 0;
        float *got = stream_all(sess, sg, x, 1000 + (uint64_t)i, max_chunks[i], &frames);
        assert_int_equal(frames, clef_spectrogram_n_frames(sg, N));
        assert_memory_equal(got, ref, total * sizeof(float));
        free(got);
    }
    free(ref);
    free(x);
    clef_spectrogram_free(sg);
    clef_session_free(sess);
    clef_ctx_free(ctx);
}

static void test_stream_defaults(void **state) {
    (void)state;
    check_config(NULL);
}

static void test_stream_zero_edges(void **state) {
    (void)state;
    const char *kv[] = {"edge=zero", "detrend=linear", NULL};
    check_config(kv);
}

static void test_stream_step_beyond_window(void **state) {
    (void)state;
    const char *kv[] = {
        "window_samples=100", "step_samples=333", "nfft=128", "nw=2", "fmax_hz=0", NULL};
    check_config(kv);
}

/* Failed pushes leave the stream as it was; the spectrogram outlives its caller reference. */
static void test_stream_errors(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    clef_spectrogram *sg = NULL;
    clef_spectrogram_stream *st = NULL;
    clef_session *sess = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(clef_session_create(&sess, ctx, 1), CLEF_OK);
    assert_int_equal(clef_spectrogram_create(&sg, ctx, NULL), CLEF_OK);
    assert_int_equal(clef_spectrogram_stream_create(&st, sess, sg, 0), CLEF_ERR_INVALID_ARG);
    assert_null(st);
    assert_int_equal(clef_session_errcode(sess), CLEF_ERR_INVALID_ARG);
    assert_string_not_equal(clef_session_errmsg(sess), "");
    assert_int_equal(clef_spectrogram_stream_create(&st, sess, sg, 1), CLEF_OK);
    assert_string_equal(clef_session_errmsg(sess), "");
    float *x = dt_signal(1, 2000, 9);
    clef_spectrogram_free(sg); /* the stream keeps it alive */
    float out[128 * 8], ref[128 * 7];
    size_t needed = 0;
    int64_t got = 0;
    assert_int_equal(clef_spectrogram_stream_push(st, x, 2000, 1000, out, 10, &needed, &got),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(needed, 128 * 2);
    assert_int_equal(clef_spectrogram_stream_frames(st), 0);
    x[1500] = NAN;
    assert_int_equal(
        clef_spectrogram_stream_push(st, x + 1000, 2000, 1000, out, 128 * 8, NULL, &got),
        CLEF_ERR_FORMAT);
    assert_non_null(strstr(clef_spectrogram_stream_errmsg(st), "sample 500"));
    x[1500] = 1.0f;
    assert_int_equal(clef_spectrogram_stream_push(st, x, 2000, 2000, out, 128 * 8, NULL, &got),
                     CLEF_OK);
    assert_int_equal(got, 7);
    /* same as the batch output of those 2000 samples */
    clef_spectrogram *sg2 = NULL;
    assert_int_equal(clef_spectrogram_create(&sg2, ctx, NULL), CLEF_OK);
    assert_int_equal(clef_spectrogram_compute(sg2, sess, x, 2000, 1, 2000, ref, 128 * 7, NULL),
                     CLEF_OK);
    assert_memory_equal(out, ref, sizeof ref);
    assert_int_equal(clef_spectrogram_stream_finish(st, out, 0, NULL, &got), CLEF_OK);
    assert_int_equal(got, 0);
    assert_int_equal(clef_spectrogram_stream_push(st, x, 2000, 10, out, 128 * 8, NULL, &got),
                     CLEF_ERR_STATE);
    assert_int_equal(clef_spectrogram_stream_finish(st, out, 0, NULL, &got), CLEF_ERR_STATE);
    clef_spectrogram_stream_free(st);
    clef_spectrogram_stream_free(NULL);
    clef_spectrogram_free(sg2);
    free(x);
    clef_session_free(sess);
    clef_ctx_free(ctx);
}

static clef_status oom_body(clef_ctx *ctx, void *arg) {
    (void)arg;
    clef_spectrogram *sg = NULL;
    clef_spectrogram_stream *st = NULL;
    clef_session *sess = NULL;
    clef_status rc = clef_session_create(&sess, ctx, 1);
    if (rc == CLEF_OK)
        rc = clef_spectrogram_create(&sg, ctx, NULL);
    if (rc == CLEF_OK)
        rc = clef_spectrogram_stream_create(&st, sess, sg, 2);
    clef_spectrogram_stream_free(st);
    clef_spectrogram_free(sg);
    clef_session_free(sess);
    return rc;
}

static void test_stream_oom(void **state) {
    (void)state;
    assert_true(test_oom_sweep(oom_body, NULL, 0) > 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_defaults),
        cmocka_unit_test(test_stream_zero_edges),
        cmocka_unit_test(test_stream_step_beyond_window),
        cmocka_unit_test(test_stream_errors),
        cmocka_unit_test(test_stream_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
