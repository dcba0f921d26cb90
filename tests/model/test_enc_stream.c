/* test_enc_stream.c — embeddings during acquisition (clef_encoder_stream): samples pushed in
 * uneven chunks give, at any point, the offline embedding of the samples so far, and after
 * finish the offline embedding of the whole recording, bit for bit; on the session-mean
 * tokenizer and cohort of the tests/cli fixtures (CLI_TOK_DIR). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#include "clef.h"

static void test_stream_equals_offline(void **state) {
    (void)state;
    char tok_path[1024], edf[1024];
    snprintf(tok_path, sizeof tok_path, "%s/wm.safetensors", CLI_TOK_DIR);
    snprintf(edf, sizeof edf, "%s/coh_mean/edf/P000003_S01.edf", CLI_TOK_DIR);
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_tokenizer *tok = NULL;
    assert_int_equal(clef_tokenizer_load(&tok, ctx, tok_path), CLEF_OK);
    clef_params *arch;
    assert_int_equal(clef_params_create(&arch, ctx, CLEF_PARAMS_ENCODER), CLEF_OK);
    const int32_t keys[] = {CLEF_P_ENC_D_MODEL, CLEF_P_ENC_N_LAYERS, CLEF_P_ENC_N_HEADS,
                            CLEF_P_ENC_D_FF, CLEF_P_ENC_EMBED_DIM};
    const int64_t vals[] = {16, 2, 2, 32, 10};
    for (int i = 0; i < 5; i++)
        assert_int_equal(clef_params_set_i64(arch, keys[i], vals[i]), CLEF_OK);
    clef_encoder_trainer *tr = NULL; /* random initial weights: enough for equality */
    assert_int_equal(clef_encoder_trainer_create(&tr, ctx, tok, arch, NULL, 1), CLEF_OK);
    const clef_encoder *enc = clef_encoder_trainer_encoder(tr, 0);
    clef_spectrogram *sg = NULL;
    assert_int_equal(clef_tokenizer_spectrogram_create(&sg, ctx, tok), CLEF_OK);
    clef_session *s;
    assert_int_equal(clef_session_create(&s, ctx, 2), CLEF_OK);

    clef_recording *rec = NULL;
    assert_int_equal(clef_recording_open(&rec, ctx, edf, NULL), CLEF_OK);
    int64_t n = 0, n_out = 0;
    assert_int_equal(clef_recording_canonical_length(rec, 0.0, -1.0, &n), CLEF_OK);
    float *x = malloc((size_t)(19 * n) * sizeof *x);
    assert_int_equal(
        clef_recording_read_canonical(rec, 0.0, -1.0, x, (size_t)n, (size_t)(19 * n), &n_out, NULL),
        CLEF_OK);
    clef_recording_free(rec);

    clef_encoder_stream *st = NULL;
    assert_int_equal(clef_encoder_stream_create(&st, s, enc, tok, sg), CLEF_OK);
    float emb[10], ref[10], *chunk = malloc((size_t)(19 * 997) * sizeof *chunk);
    assert_int_equal(clef_encoder_stream_embed(st, s, emb, 10, NULL), CLEF_ERR_STATE);
    int64_t pos = 0, half = n_out / 2, checked_mid = 0;
    uint64_t rng = 3;
    while (pos < n_out) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        int64_t len = 1 + (int64_t)((rng >> 33) % 997);
        if (len > n_out - pos)
            len = n_out - pos;
        for (int c = 0; c < 19; c++)
            memcpy(chunk + c * len, x + c * n + pos, (size_t)len * sizeof(float));
        assert_int_equal(clef_encoder_stream_push(st, chunk, (size_t)len, len), CLEF_OK);
        pos += len;
        if (!checked_mid && pos >= half) { /* the session so far = offline on its samples */
            assert_int_equal(clef_encoder_stream_embed(st, s, emb, 10, NULL), CLEF_OK);
            assert_int_equal(
                clef_encoder_embed_signal(enc, tok, s, sg, x, (size_t)n, pos, ref, 10, NULL),
                CLEF_OK);
            assert_memory_equal(emb, ref, sizeof emb);
            checked_mid = 1;
        }
    }
    assert_int_equal(clef_encoder_stream_finish(st), CLEF_OK);
    assert_int_equal(clef_encoder_stream_push(st, chunk, 1, 1), CLEF_ERR_STATE);
    assert_non_null(strstr(clef_encoder_stream_errmsg(st), "after finish"));
    assert_int_equal(clef_encoder_stream_embed(st, s, emb, 10, NULL), CLEF_OK);
    assert_int_equal(clef_encoder_embed_signal(enc, tok, s, sg, x, (size_t)n, n_out, ref, 10, NULL),
                     CLEF_OK);
    assert_memory_equal(emb, ref, sizeof emb);
    printf("  %lld frames streamed: embedding equals the offline one\n",
           (long long)clef_encoder_stream_frames(st));
    /* a NaN sample is refused and consumes nothing */
    clef_encoder_stream *st2 = NULL;
    assert_int_equal(clef_encoder_stream_create(&st2, s, enc, tok, sg), CLEF_OK);
    chunk[5] = 0.0f / 0.0f;
    assert_int_equal(clef_encoder_stream_push(st2, chunk, 10, 10), CLEF_ERR_FORMAT);
    assert_int_equal(clef_encoder_stream_frames(st2), 0);
    clef_encoder_stream_free(st2);
    clef_encoder_stream_free(st);
    free(chunk);
    free(x);
    clef_session_free(s);
    clef_spectrogram_free(sg);
    clef_encoder_trainer_free(tr);
    clef_params_free(arch);
    clef_tokenizer_free(tok);
    clef_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_stream_equals_offline)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
