/* test_session.c — clef_session: creation limits, the one error rule (every call taking the
 * session resets its error), scratch reuse, and one spectrogram and one tokenizer shared by
 * threads that each have their own session (ctest label tsan: run under ThreadSanitizer by
 * tools/test.d/40-tsan.sh). */
#include "test_support.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_CH = 19, N = 60 * 200, N_WORKERS = 4, ROUNDS = 2 };

/* N_CH x N EEG-like rows: a sine per channel plus a deterministic pseudo-random drift. */
static float *make_signal(uint32_t seed) {
    float *x = malloc((size_t)N_CH * N * sizeof *x);
    assert_non_null(x);
    uint32_t r = seed;
    for (int c = 0; c < N_CH; c++) {
        double drift = 0.0;
        for (int t = 0; t < N; t++) {
            r = r * 1664525u + 1013904223u;
            drift = 0.98 * drift + ((double)(r >> 8) / 16777216.0 - 0.5);
            x[(size_t)c * N + t] =
                (float)(20.0 * sin(2.0 * 3.14159265358979 * (6.0 + c) * t / 200.0) + 5.0 * drift);
        }
    }
    return x;
}

/* A small 19-channel, 128-bin tokenizer (CLEF's default spectrogram) with random weights. */
static clef_tokenizer *small_tok(clef_ctx *ctx) {
    clef_params *p = NULL;
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_TOKENIZER), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_CROP_T, 40), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_CH, 8), CLEF_OK);
    assert_int_equal(clef_params_set_str(p, CLEF_P_TOK_CH_MULT, "1,1"), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_GN_GROUPS, 4), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_CODEBOOK_SIZE, 16), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_CODE_DIM, 4), CLEF_OK);
    clef_tokenizer *tok = NULL;
    assert_int_equal(clef_tokenizer_create(&tok, ctx, p, 5), CLEF_OK);
    clef_params_free(p);
    return tok;
}

static void test_create_limits(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *s = (clef_session *)0x1;
    assert_int_equal(clef_session_create(&s, ctx, 0), CLEF_ERR_RANGE);
    assert_null(s);
    assert_int_equal(clef_ctx_errcode(ctx), CLEF_ERR_RANGE);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "n_threads 0"));
    s = (clef_session *)0x1;
    assert_int_equal(clef_session_create(&s, ctx, 1025), CLEF_ERR_RANGE);
    assert_null(s);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "n_threads 1025"));
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "1024"));
    assert_int_equal(clef_session_create(NULL, ctx, 1), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_session_create(&s, NULL, 1), CLEF_ERR_INVALID_ARG);
    assert_null(s);
    /* a success clears the ctx error; a fresh session holds none and no scratch */
    assert_int_equal(clef_session_create(&s, ctx, 3), CLEF_OK);
    assert_string_equal(clef_ctx_errmsg(ctx), "");
    assert_int_equal(clef_session_n_threads(s), 3);
    assert_string_equal(clef_session_errmsg(s), "");
    assert_int_equal(clef_session_errcode(s), CLEF_OK);
    assert_int_equal(clef_session_scratch_bytes(s), 0);
    assert_int_equal(clef_session_release_scratch(s), CLEF_OK);
    clef_session_free(s);
    /* NULL-safe getters */
    clef_session_free(NULL);
    assert_string_equal(clef_session_errmsg(NULL), "");
    assert_int_equal(clef_session_n_threads(NULL), 0);
    assert_int_equal(clef_session_scratch_bytes(NULL), 0);
    assert_int_equal(clef_session_release_scratch(NULL), CLEF_ERR_INVALID_ARG);
    /* the session keeps its ctx alive */
    assert_int_equal(clef_session_create(&s, ctx, 1), CLEF_OK);
    clef_ctx_free(ctx);
    assert_int_equal(clef_session_n_threads(s), 1);
    clef_session_free(s);
}

/* The one error rule: every call taking the session resets its error, so errmsg is "" after
 * any call that succeeded, also right after one that failed. */
static void test_error_rule(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    clef_session *s = NULL;
    clef_spectrogram *sg = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(clef_session_create(&s, ctx, 2), CLEF_OK);
    assert_int_equal(clef_spectrogram_create(&sg, ctx, NULL), CLEF_OK);
    float *x = make_signal(3);
    size_t cap = (size_t)N_CH * 128 * 57;
    float *out = malloc(cap * sizeof *out);
    assert_int_equal(clef_spectrogram_compute(sg, s, x, N, N_CH, N, out, cap, NULL), CLEF_OK);
    assert_string_equal(clef_session_errmsg(s), "");
    assert_int_equal(clef_session_errcode(s), CLEF_OK);
    int64_t warm = clef_session_scratch_bytes(s);
    assert_true(warm > 0);
    /* fail (shorter than one window), then succeed */
    assert_int_equal(clef_spectrogram_compute(sg, s, x, N, N_CH, 700, out, cap, NULL),
                     CLEF_ERR_SHAPE);
    assert_int_equal(clef_session_errcode(s), CLEF_ERR_SHAPE);
    assert_non_null(strstr(clef_session_errmsg(s), "shorter than one window"));
    assert_int_equal(clef_spectrogram_compute(sg, s, x, N, N_CH, N, out, cap, NULL), CLEF_OK);
    assert_string_equal(clef_session_errmsg(s), "");
    assert_int_equal(clef_session_errcode(s), CLEF_OK);
    assert_int_equal(clef_session_scratch_bytes(s), warm); /* warm: nothing new */
    /* fail, then another kind of call on the session (a stream), which succeeds */
    assert_int_equal(clef_spectrogram_compute(sg, s, x, N, N_CH, N, out, 10, NULL),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_string_not_equal(clef_session_errmsg(s), "");
    clef_spectrogram_stream *st = NULL;
    assert_int_equal(clef_spectrogram_stream_create(&st, s, sg, N_CH), CLEF_OK);
    assert_string_equal(clef_session_errmsg(s), "");
    clef_spectrogram_stream_free(st);
    /* fail, then release_scratch */
    assert_int_equal(clef_spectrogram_stream_create(&st, s, sg, 0), CLEF_ERR_INVALID_ARG);
    assert_null(st);
    assert_string_not_equal(clef_session_errmsg(s), "");
    assert_int_equal(clef_session_release_scratch(s), CLEF_OK);
    assert_string_equal(clef_session_errmsg(s), "");
    assert_int_equal(clef_session_scratch_bytes(s), 0);
    /* a tokenizer call: fail, then succeed */
    clef_tokenizer *tok = small_tok(ctx);
    size_t n_tok = (size_t)clef_tokenizer_n_tokens(tok);
    int32_t *ids = malloc(n_tok * sizeof *ids);
    assert_int_equal(
        clef_tokenizer_encode(tok, s, out, N_CH, 128, 57, ids, n_tok - 1, NULL, 0, NULL),
        CLEF_ERR_BUFFER_TOO_SMALL);
    assert_string_not_equal(clef_session_errmsg(s), "");
    assert_int_equal(clef_tokenizer_check_spectrogram(tok, s, sg), CLEF_OK);
    assert_string_equal(clef_session_errmsg(s), "");
    assert_int_equal(clef_tokenizer_encode(tok, s, out, N_CH, 17, 57, ids, n_tok, NULL, 0, NULL),
                     CLEF_ERR_SHAPE);
    assert_string_not_equal(clef_session_errmsg(s), "");
    assert_int_equal(clef_tokenizer_encode(tok, s, out, N_CH, 128, 57, ids, n_tok, NULL, 0, NULL),
                     CLEF_OK);
    assert_string_equal(clef_session_errmsg(s), "");
    free(ids);
    clef_tokenizer_free(tok);
    free(out);
    free(x);
    clef_spectrogram_free(sg);
    clef_session_free(s);
    clef_ctx_free(ctx);
}

/* ---- one spectrogram and one tokenizer shared by threads, each with its own session ---- */

typedef struct worker {
    const clef_spectrogram *sg;
    const clef_tokenizer *tok;
    const float *x;
    const float *ref_spec; /* [N_CH][128][frames] */
    const int32_t *ref_ids;
    size_t n_spec, n_tok;
    int32_t n_threads;
    int ok;
    char why[256];
} worker;

static int fail_worker(worker *w, const char *what, const clef_session *s) {
    snprintf(w->why, sizeof w->why, "%s: %s", what, s != NULL ? clef_session_errmsg(s) : "");
    return 0;
}

static int worker_round(worker *w, clef_session *s, float *spec, float *chunk, int32_t *ids) {
    int64_t frames = (int64_t)(w->n_spec / ((size_t)N_CH * 128));
    if (clef_spectrogram_compute(w->sg, s, w->x, N, N_CH, N, spec, w->n_spec, NULL) != CLEF_OK)
        return fail_worker(w, "compute", s);
    if (memcmp(spec, w->ref_spec, w->n_spec * sizeof *spec) != 0)
        return fail_worker(w, "spectrogram differs", NULL);
    if (clef_tokenizer_encode(w->tok, s, spec, N_CH, 128, frames, ids, w->n_tok, NULL, 0, NULL) !=
        CLEF_OK)
        return fail_worker(w, "encode", s);
    if (memcmp(ids, w->ref_ids, w->n_tok * sizeof *ids) != 0)
        return fail_worker(w, "tokens differ", NULL);
    memset(ids, 0xff, w->n_tok * sizeof *ids);
    if (clef_tokenizer_encode_signal(w->tok, s, w->sg, w->x, N, N, ids, w->n_tok, NULL) != CLEF_OK)
        return fail_worker(w, "encode_signal", s);
    if (memcmp(ids, w->ref_ids, w->n_tok * sizeof *ids) != 0)
        return fail_worker(w, "encode_signal tokens differ", NULL);
    /* a stream over the shared spectrogram, pushed in uneven chunks */
    clef_spectrogram_stream *st = NULL;
    if (clef_spectrogram_stream_create(&st, s, w->sg, N_CH) != CLEF_OK)
        return fail_worker(w, "stream_create", s);
    int64_t done = 0, got = 0;
    size_t chunk_cap = w->n_spec;
    for (int64_t pos = 0; pos <= N;) {
        int64_t n = pos == N ? 0 : (pos + 1733 > N ? N - pos : 1733);
        clef_status rc = n == 0 ? clef_spectrogram_stream_finish(st, chunk, chunk_cap, NULL, &got)
                                : clef_spectrogram_stream_push(st, w->x + pos, N, n, chunk,
                                                               chunk_cap, NULL, &got);
        if (rc != CLEF_OK) {
            snprintf(w->why, sizeof w->why, "stream: %s", clef_spectrogram_stream_errmsg(st));
            clef_spectrogram_stream_free(st);
            return 0;
        }
        for (int64_t r = 0; r < (int64_t)N_CH * 128; r++)
            for (int64_t k = 0; k < got; k++)
                if (chunk[r * got + k] != w->ref_spec[r * frames + done + k]) {
                    clef_spectrogram_stream_free(st);
                    return fail_worker(w, "stream output differs", NULL);
                }
        done += got;
        if (n == 0)
            break;
        pos += n;
    }
    clef_spectrogram_stream_free(st);
    if (done != frames)
        return fail_worker(w, "stream frame count", NULL);
    return clef_session_errmsg(s)[0] == 0 ? 1 : fail_worker(w, "error left", s);
}

static void *run_worker(void *arg) {
    worker *w = arg;
    clef_ctx *ctx = NULL;
    clef_session *s = NULL;
    float *spec = malloc(w->n_spec * sizeof *spec), *chunk = malloc(w->n_spec * sizeof *chunk);
    int32_t *ids = malloc(w->n_tok * sizeof *ids);
    w->ok = spec != NULL && chunk != NULL && ids != NULL && clef_ctx_create(&ctx) == CLEF_OK &&
            clef_session_create(&s, ctx, w->n_threads) == CLEF_OK;
    if (!w->ok)
        snprintf(w->why, sizeof w->why, "setup");
    for (int r = 0; r < ROUNDS && w->ok; r++)
        w->ok = worker_round(w, s, spec, chunk, ids);
    clef_session_free(s);
    clef_ctx_free(ctx);
    free(spec);
    free(chunk);
    free(ids);
    return NULL;
}

static void test_shared_handles(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    clef_session *one = NULL;
    clef_spectrogram *sg = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(clef_session_create(&one, ctx, 1), CLEF_OK);
    assert_int_equal(clef_spectrogram_create(&sg, ctx, NULL), CLEF_OK);
    clef_tokenizer *tok = small_tok(ctx);
    float *x = make_signal(11);
    size_t n_spec = 0, n_tok = (size_t)clef_tokenizer_n_tokens(tok);
    assert_int_equal(clef_spectrogram_compute(sg, one, x, N, N_CH, N, NULL, 0, &n_spec),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n_spec, (size_t)N_CH * 128 * 57);
    float *ref_spec = malloc(n_spec * sizeof *ref_spec);
    int32_t *ref_ids = malloc(n_tok * sizeof *ref_ids);
    assert_int_equal(clef_spectrogram_compute(sg, one, x, N, N_CH, N, ref_spec, n_spec, NULL),
                     CLEF_OK);
    assert_int_equal(
        clef_tokenizer_encode(tok, one, ref_spec, N_CH, 128, 57, ref_ids, n_tok, NULL, 0, NULL),
        CLEF_OK);
    pthread_t th[N_WORKERS];
    worker ws[N_WORKERS];
    for (int i = 0; i < N_WORKERS; i++) {
        ws[i] = (worker){.sg = sg,
                         .tok = tok,
                         .x = x,
                         .ref_spec = ref_spec,
                         .ref_ids = ref_ids,
                         .n_spec = n_spec,
                         .n_tok = n_tok,
                         .n_threads = 1 + i % 3};
        assert_int_equal(pthread_create(&th[i], NULL, run_worker, &ws[i]), 0);
    }
    for (int i = 0; i < N_WORKERS; i++) {
        pthread_join(th[i], NULL);
        if (!ws[i].ok)
            fail_msg("worker %d (%d threads): %s", i, (int)ws[i].n_threads, ws[i].why);
    }
    free(ref_spec);
    free(ref_ids);
    free(x);
    clef_tokenizer_free(tok);
    clef_spectrogram_free(sg);
    clef_session_free(one);
    clef_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_limits),
        cmocka_unit_test(test_error_rule),
        cmocka_unit_test(test_shared_handles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
