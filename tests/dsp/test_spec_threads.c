/* test_spec_threads.c — one spectrogram handle shared by several threads computing at once
 * (each with its own session and worker pool); every result equals the single-threaded one bit
 * for bit.
 * Run under -DCLEF_SANITIZE=thread for the TSan check (ctest label tsan). */
#include "dsp_test_util.h"

#include <pthread.h>

enum { N_CH = 4, N = 20 * 200, N_CALLERS = 4, ROUNDS = 3 };

typedef struct caller {
    const clef_spectrogram *sg;
    clef_session *sess;
    const float *x;
    const float *ref;
    size_t total;
    int ok;
} caller;

static void *run_caller(void *arg) {
    caller *c = arg;
    float *out = malloc(c->total * sizeof(float));
    c->ok = out != NULL;
    for (int r = 0; r < ROUNDS && c->ok; r++)
        c->ok = clef_spectrogram_compute(c->sg, c->sess, c->x, N, N_CH, N, out, c->total, NULL) ==
                    CLEF_OK &&
                memcmp(out, c->ref, c->total * sizeof(float)) == 0 &&
                clef_session_errmsg(c->sess)[0] == 0;
    free(out);
    return NULL;
}

static void test_shared_handle(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    clef_spectrogram *sg = NULL;
    clef_session *one = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(dt_spec(&sg, ctx, NULL), CLEF_OK);
    assert_int_equal(clef_session_create(&one, ctx, 1), CLEF_OK);
    float *x = dt_signal(N_CH, N, 21);
    size_t total = 0;
    clef_spectrogram_compute(sg, one, x, N, N_CH, N, NULL, 0, &total);
    float *ref = malloc(total * sizeof(float));
    assert_int_equal(clef_spectrogram_compute(sg, one, x, N, N_CH, N, ref, total, NULL), CLEF_OK);
    pthread_t th[N_CALLERS];
    caller cs[N_CALLERS];
    clef_session *sess[N_CALLERS];
    for (int i = 0; i < N_CALLERS; i++) {
        /* sessions of 1, 2, 1, 2 threads over the one handle */
        assert_int_equal(clef_session_create(&sess[i], ctx, 1 + i % 2), CLEF_OK);
        cs[i] = (caller){sg, sess[i], x, ref, total, 0};
        assert_int_equal(pthread_create(&th[i], NULL, run_caller, &cs[i]), 0);
    }
    for (int i = 0; i < N_CALLERS; i++) {
        pthread_join(th[i], NULL);
        assert_true(cs[i].ok);
        clef_session_free(sess[i]);
    }
    free(ref);
    free(x);
    clef_session_free(one);
    clef_spectrogram_free(sg);
    clef_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_shared_handle)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
