/* test_oom_model.c — OOM sweeps of the weights files, the tokenizer and the session encoder:
 * loading and saving, every encode and embed path, streams, both trainers and the store jobs
 * (oom_sweep.h says what each sweep checks). Models are the tiny ones of oom_sweep.c. */
#include "oom_sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static clef_status s_path(oom_fx *fx) {
    static unsigned serial;
    snprintf(fx->path, sizeof fx->path, "%s/m%u.safetensors", oom_tmpdir(), serial++);
    return CLEF_OK;
}

/* ---- weights files ---- */

static clef_status c_weights_write(oom_fx *fx) {
    static const float x[6] = {1, 2, 3, 4, 5, 6};
    static const uint8_t raw[4] = {1, 2, 3, 4};
    const int64_t shape[2] = {2, 3}, rshape[1] = {4};
    clef_weights_writer *wr = NULL;
    clef_status rc = clef_weights_writer_create(&wr, fx->ctx);
    if (rc == CLEF_OK)
        rc = clef_weights_writer_set_meta(wr, "clef.format", "1");
    if (rc == CLEF_OK)
        rc = clef_weights_writer_add_f32(wr, "a.weight", CLEF_DTYPE_F32, shape, 2, x, 6);
    if (rc == CLEF_OK)
        rc = clef_weights_writer_add_f32(wr, "a.half", CLEF_DTYPE_F16, shape, 2, x, 6);
    if (rc == CLEF_OK)
        rc = clef_weights_writer_add_raw(wr, "a.raw", CLEF_DTYPE_U8, rshape, 1, raw, 4);
    if (rc == CLEF_OK)
        rc = clef_weights_writer_write(wr, fx->path);
    clef_weights_writer_free(wr);
    return rc;
}

static clef_status c_weights_open(oom_fx *fx) {
    clef_weights *w = NULL;
    clef_status rc = clef_weights_open(&w, fx->ctx, oom_tok_path());
    clef_weights_free(w);
    w = NULL;
    size_t n = 0;
    void *data = test_read_file(oom_enc_path(), &n);
    assert_non_null(data);
    if (rc == CLEF_OK)
        rc = clef_weights_open_memory(&w, fx->ctx, data, n);
    clef_weights_free(w);
    free(data);
    return rc;
}

/* ---- tokenizer ---- */

static clef_status s_tok(oom_fx *fx) { return oom_tok_fixture(fx); }

static clef_status c_tok_load(oom_fx *fx) {
    clef_tokenizer *tok = NULL;
    clef_status rc = clef_tokenizer_load(&tok, fx->ctx, oom_tok_path());
    clef_tokenizer_free(tok);
    return rc;
}

static clef_status c_tok_create_save(oom_fx *fx) {
    clef_params *a = NULL;
    clef_tokenizer *tok = NULL, *crop = NULL;
    clef_status rc = clef_params_create(&a, fx->ctx, CLEF_PARAMS_TOKENIZER);
    if (rc == CLEF_OK)
        rc = clef_params_set_str(a, CLEF_P_TOK_CH_MULT, "1,1,1,1");
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(a, CLEF_P_TOK_CH, 8);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(a, CLEF_P_TOK_GN_GROUPS, 4);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(a, CLEF_P_TOK_CROP_T, 40);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_create(&tok, fx->ctx, a, 5);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_clone_crop(&crop, tok, fx->ctx, 20);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_save(crop, fx->ctx, fx->path);
    clef_tokenizer_free(crop);
    clef_tokenizer_free(tok);
    clef_params_free(a);
    return rc;
}

static clef_status c_tok_spectrogram(oom_fx *fx) {
    clef_spectrogram *sg = NULL;
    clef_status rc = clef_tokenizer_spectrogram_create(&sg, fx->ctx, fx->tok);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_check_spectrogram(fx->tok, fx->s, sg);
    clef_spectrogram_free(sg);
    return rc;
}

enum { NCH = 19, NF = 16, NT = 40, SCH = 2, SNF = 16 };

static float *spec_image(void) {
    static float spec[NCH * NF * NT];
    for (int i = 0; i < NCH * NF * NT; i++)
        spec[i] = (float)((i * 37) % 60) - 30.0f;
    return spec;
}

static clef_status c_tok_encode_decode(oom_fx *fx) {
    int64_t n = clef_tokenizer_n_tokens(fx->tok);
    size_t cap = (size_t)NCH * NF * 1280; /* decode gives the full session image */
    int32_t *ids = calloc((size_t)n, sizeof *ids);
    float *out = malloc(sizeof(float) * cap);
    assert_true(ids != NULL && out != NULL);
    clef_status rc = clef_tokenizer_encode(fx->tok, fx->s, spec_image(), NCH, NF, NT, ids,
                                           (size_t)n, NULL, 0, NULL);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_decode(fx->tok, fx->s, ids, (size_t)n, out, cap, NULL);
    free(out);
    free(ids);
    return rc;
}

static const char *edf_path(int i) {
    static char path[600];
    snprintf(path, sizeof path, "%s/edf/S%03d_0.edf", oom_cohort_dir(), i);
    return path;
}

static clef_status s_tok_rec(oom_fx *fx) {
    clef_status rc = s_tok(fx);
    return rc == CLEF_OK ? clef_recording_open(&fx->rec, fx->ctx, edf_path(1), NULL) : rc;
}

static clef_status c_tok_encode_recording(oom_fx *fx) {
    int32_t ids[4096];
    assert_true(clef_tokenizer_n_tokens(fx->tok) <= 4096);
    return clef_tokenizer_encode_recording(fx->tok, fx->s, fx->sg, fx->rec, ids, 4096, NULL, NULL);
}

enum { NSIG = 200 * 30 };

static float *signal_19(void) {
    static float x[19 * NSIG];
    for (int i = 0; i < 19 * NSIG; i++)
        x[i] = (float)((i * 7919) % 200) - 100.0f;
    return x;
}

static clef_status c_tok_encode_signal(oom_fx *fx) {
    int32_t ids[4096];
    return clef_tokenizer_encode_signal(fx->tok, fx->s, fx->sg, signal_19(), NSIG, NSIG, ids, 4096,
                                        NULL);
}

/* ---- tokenizer trainer ---- */

/* oom_tok_arch() (for recordings) or, small, one of 2 channels of 16 bins (trainer steps,
 * session-mean fits and calibration on made-up data: much less arithmetic per sweep). */
static clef_status tiny_arch(clef_ctx *ctx, clef_params **out, int small) {
    clef_status rc = oom_tok_arch(ctx, out);
    if (rc == CLEF_OK && small)
        rc = clef_params_set_i64(*out, CLEF_P_TOK_IN_CHANNELS, SCH);
    if (rc == CLEF_OK && small)
        rc = clef_params_set_str(*out, CLEF_P_TOK_CH_MULT, "1,1");
    return rc;
}

/* One step on one crop, a 4-wide discriminator from the start, one session, no session-mean
 * tokens. */
static clef_status tiny_train(clef_ctx *ctx, clef_params **out) {
    clef_status rc = clef_params_create(out, ctx, CLEF_PARAMS_TRAIN);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_TOK_TRAIN_BATCH, 1);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_TOK_TRAIN_STEPS, 1);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_TOK_TRAIN_DISC_NDF, 4);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_TOK_TRAIN_DISC_START, 0);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_TOK_TRAIN_MEAN_TOKENS, 0);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_TOK_TRAIN_MAX_SESSIONS, 1);
    return rc;
}

static clef_status trainer_new(oom_fx *fx, clef_tokenizer_trainer **tr, int small) {
    clef_params *a = NULL;
    clef_status rc = tiny_arch(fx->ctx, &a, small);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_trainer_create(tr, fx->ctx, a, fx->p, 1);
    clef_params_free(a);
    return rc;
}

static clef_status s_train_params(oom_fx *fx) {
    clef_status rc = s_path(fx);
    return rc == CLEF_OK ? tiny_train(fx->ctx, &fx->p) : rc;
}

static clef_status c_ttr_create(oom_fx *fx) {
    clef_tokenizer_trainer *tr = NULL;
    clef_status rc = trainer_new(fx, &tr, 0);
    clef_tokenizer_trainer_free(tr);
    return rc;
}

/* A trainer for recordings (the architecture and spectrogram of oom_tok_path()). */
static clef_status s_ttr(oom_fx *fx) {
    clef_status rc = s_train_params(fx);
    if (rc == CLEF_OK)
        rc = trainer_new(fx, &fx->ttr, 0);
    if (rc == CLEF_OK)
        rc = oom_spec16(fx->ctx, &fx->sg);
    return rc == CLEF_OK ? clef_tokenizer_trainer_set_spectrogram(fx->ttr, fx->sg) : rc;
}

/* A small trainer for made-up data. */
static clef_status s_ttr_small(oom_fx *fx) {
    clef_status rc = s_train_params(fx);
    return rc == CLEF_OK ? trainer_new(fx, &fx->ttr, 1) : rc;
}

static clef_status c_ttr_step_save(oom_fx *fx) {
    static float crops[SCH * SNF * NT];
    for (int i = 0; i < SCH * SNF * NT; i++)
        crops[i] = (float)((i * 13) % 50) - 25.0f;
    double l1 = 0, perp = 0;
    clef_status rc = clef_tokenizer_trainer_step(fx->ttr, crops, NULL, NULL, 1, &l1, &perp);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_trainer_save(fx->ttr, fx->path);
    return rc;
}

/* A checkpoint made once (plain ctx) for the resume sweep. */
static const char *ttr_checkpoint(void) {
    static char path[512];
    if (path[0] != '\0')
        return path;
    snprintf(path, sizeof path, "%s/ttr.ckpt", oom_tmpdir());
    oom_fx fx;
    memset(&fx, 0, sizeof fx);
    assert_int_equal(clef_ctx_create(&fx.ctx), CLEF_OK);
    assert_int_equal(tiny_train(fx.ctx, &fx.p), CLEF_OK);
    assert_int_equal(trainer_new(&fx, &fx.ttr, 1), CLEF_OK);
    assert_int_equal(clef_tokenizer_trainer_save(fx.ttr, path), CLEF_OK);
    clef_tokenizer_trainer_free(fx.ttr);
    clef_params_free(fx.p);
    clef_ctx_free(fx.ctx);
    return path;
}

static clef_status s_ttr_resume(oom_fx *fx) {
    ttr_checkpoint();
    return tiny_train(fx->ctx, &fx->p);
}

static clef_status c_ttr_resume(oom_fx *fx) {
    clef_tokenizer_trainer *tr = NULL;
    clef_status rc = clef_tokenizer_trainer_resume(&tr, fx->ctx, ttr_checkpoint(), fx->p, 1);
    clef_tokenizer_trainer_free(tr);
    return rc;
}

static clef_status c_ttr_add_cohort(oom_fx *fx) {
    return clef_tokenizer_trainer_add_cohort(fx->ttr, oom_cohort_dir(), "train");
}

static clef_status s_ttr_store(oom_fx *fx) {
    clef_status rc = s_ttr(fx);
    return rc == CLEF_OK ? oom_open_store_copy(fx, 0) : rc;
}

static clef_status c_ttr_add_store(oom_fx *fx) {
    return clef_tokenizer_trainer_add_store(fx->ttr, fx->store, "train");
}

static clef_status s_ttr_sessions(oom_fx *fx) {
    clef_status rc = s_ttr(fx);
    return rc == CLEF_OK ? clef_tokenizer_trainer_add_cohort(fx->ttr, oom_cohort_dir(), "train")
                         : rc;
}

static clef_status c_ttr_run(oom_fx *fx) {
    return clef_tokenizer_trainer_run(fx->ttr, fx->path, NULL, NULL);
}

static clef_status c_ttr_set_spectrogram(oom_fx *fx) {
    clef_spectrogram *sg = NULL;
    clef_status rc = oom_spec16(fx->ctx, &sg);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_trainer_set_spectrogram(fx->ttr, sg);
    clef_spectrogram_free(sg);
    return rc;
}

enum { NMEAN = 4 };

static float *session_means(void) {
    static float means[NMEAN * SCH * SNF];
    for (int i = 0; i < NMEAN * SCH * SNF; i++)
        means[i] = (float)((i * 31) % 40) - 20.0f + (float)(i / (SCH * SNF));
    return means;
}

static clef_status c_ttr_means(oom_fx *fx) {
    clef_status rc = clef_tokenizer_trainer_add_means(fx->ttr, session_means(), NMEAN);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_trainer_fit_mean(fx->ttr, session_means(), NMEAN, 5, 64);
    return rc;
}

static clef_status s_ttr_fitted(oom_fx *fx) {
    clef_status rc = s_ttr_small(fx);
    return rc == CLEF_OK ? clef_tokenizer_trainer_fit_mean(fx->ttr, session_means(), NMEAN, 5, 64)
                         : rc;
}

static clef_status c_ttr_calibrate(oom_fx *fx) {
    return clef_tokenizer_trainer_calibrate_mean(fx->ttr, spec_image(), SCH, SNF, NT, 1);
}

/* ---- store jobs ---- */

static clef_status s_job(oom_fx *fx) {
    clef_status rc = oom_session(fx);
    return rc == CLEF_OK ? oom_open_store_copy(fx, 0) : rc;
}

static clef_status c_tok_job(oom_fx *fx) {
    return clef_tokenizer_job_run(fx->s, fx->store, oom_tok_path(), 0.0, 1, NULL, NULL, NULL);
}

static clef_status c_enc_job(oom_fx *fx) {
    return clef_encoder_job_run(fx->s, fx->store, oom_tok_path(), oom_enc_path(), 0.0, 1, NULL,
                                NULL, NULL);
}

/* ---- session encoder ---- */

static clef_status s_enc(oom_fx *fx) {
    clef_status rc = s_tok(fx);
    return rc == CLEF_OK ? clef_encoder_load(&fx->enc, fx->ctx, oom_enc_path(), fx->tok) : rc;
}

static clef_status c_enc_load_save(oom_fx *fx) {
    clef_encoder *enc = NULL;
    clef_status rc = clef_encoder_load(&enc, fx->ctx, oom_enc_path(), fx->tok);
    if (rc == CLEF_OK)
        rc = clef_encoder_save(enc, fx->ctx, fx->path);
    clef_encoder_free(enc);
    return rc;
}

static clef_status s_enc_path(oom_fx *fx) {
    clef_status rc = s_path(fx);
    return rc == CLEF_OK ? s_tok(fx) : rc;
}

static clef_status c_enc_embed(oom_fx *fx) {
    int64_t n = clef_tokenizer_n_tokens(fx->tok);
    int32_t *ids = calloc((size_t)n, sizeof *ids);
    assert_non_null(ids);
    float emb[64];
    clef_status rc = clef_encoder_embed(fx->enc, fx->s, ids, (size_t)n, 4, emb, 64, NULL, 0, NULL);
    free(ids);
    return rc;
}

static clef_status s_enc_rec(oom_fx *fx) {
    clef_status rc = s_enc(fx);
    return rc == CLEF_OK ? clef_recording_open(&fx->rec, fx->ctx, edf_path(2), NULL) : rc;
}

static clef_status c_enc_embed_recording(oom_fx *fx) {
    float emb[64];
    return clef_encoder_embed_recording(fx->enc, fx->tok, fx->s, fx->sg, fx->rec, emb, 64, NULL,
                                        NULL);
}

static clef_status c_enc_embed_signal(oom_fx *fx) {
    float emb[64];
    return clef_encoder_embed_signal(fx->enc, fx->tok, fx->s, fx->sg, signal_19(), NSIG, NSIG, emb,
                                     64, NULL);
}

static clef_status c_enc_stream(oom_fx *fx) {
    clef_encoder_stream *st = NULL;
    int32_t ids[4096];
    float emb[64];
    const float *x = signal_19();
    clef_status rc = clef_encoder_stream_create(&st, fx->s, fx->enc, fx->tok, fx->sg);
    if (rc == CLEF_OK)
        rc = clef_encoder_stream_push(st, x, NSIG, NSIG / 2);
    if (rc == CLEF_OK)
        rc = clef_encoder_stream_push(st, x + NSIG / 2, NSIG, NSIG / 2);
    if (rc == CLEF_OK)
        rc = clef_encoder_stream_finish(st);
    if (rc == CLEF_OK)
        rc = clef_encoder_stream_tokens(st, fx->s, ids, 4096, NULL);
    if (rc == CLEF_OK)
        rc = clef_encoder_stream_embed(st, fx->s, emb, 64, NULL);
    clef_encoder_stream_free(st);
    return rc;
}

/* ---- encoder trainer ---- */

static clef_status pretrain_params(clef_ctx *ctx, clef_params **out) {
    clef_status rc = clef_params_create(out, ctx, CLEF_PARAMS_PRETRAIN);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_PRETRAIN_STEPS, 2);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_PRETRAIN_BATCH, 2);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_PRETRAIN_VAL_EVERY, 1);
    return rc;
}

static clef_status etr_new(oom_fx *fx, clef_encoder_trainer **tr) {
    clef_params *a = NULL;
    clef_status rc = clef_params_create(&a, fx->ctx, CLEF_PARAMS_ENCODER);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(a, CLEF_P_ENC_D_MODEL, 16);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(a, CLEF_P_ENC_N_LAYERS, 1);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(a, CLEF_P_ENC_D_FF, 16);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(a, CLEF_P_ENC_EMBED_DIM, 8);
    if (rc == CLEF_OK)
        rc = clef_encoder_trainer_create(tr, fx->ctx, fx->tok, a, fx->p, 1);
    clef_params_free(a);
    return rc;
}

static clef_status s_etr_params(oom_fx *fx) {
    clef_status rc = s_path(fx);
    if (rc == CLEF_OK)
        rc = s_tok(fx);
    return rc == CLEF_OK ? pretrain_params(fx->ctx, &fx->p) : rc;
}

static clef_status c_etr_create(oom_fx *fx) {
    clef_encoder_trainer *tr = NULL;
    clef_status rc = etr_new(fx, &tr);
    clef_encoder_trainer_free(tr);
    return rc;
}

static clef_status s_etr(oom_fx *fx) {
    clef_status rc = s_etr_params(fx);
    return rc == CLEF_OK ? etr_new(fx, &fx->etr) : rc;
}

/* Ids of n sessions: codes below the codebook, then the session-mean tokens the tokenizer has
 * (none here). */
static int32_t *session_ids(const clef_tokenizer *tok, int n) {
    static int32_t ids[8 * 4096];
    int64_t nt = clef_tokenizer_n_tokens(tok);
    assert_true(nt * n <= 8 * 4096);
    for (int64_t i = 0; i < nt * n; i++)
        ids[i] = (int32_t)((i * 7) % 32);
    return ids;
}

static clef_status c_etr_tokens(oom_fx *fx) {
    double loss = 0, acc = 0, base[2] = {0, 0};
    clef_status rc =
        clef_encoder_trainer_add_tokens(fx->etr, session_ids(fx->tok, 4), 4, CLEF_SPLIT_TRAIN);
    if (rc == CLEF_OK)
        rc = clef_encoder_trainer_add_tokens(fx->etr, session_ids(fx->tok, 2), 2, CLEF_SPLIT_VAL);
    if (rc == CLEF_OK)
        rc = clef_encoder_trainer_step(fx->etr, session_ids(fx->tok, 2), 2, &loss, &acc);
    if (rc == CLEF_OK)
        rc = clef_encoder_trainer_validate(fx->etr, 1, &loss, &acc, base);
    if (rc == CLEF_OK)
        rc = clef_encoder_trainer_save(fx->etr, fx->path);
    return rc;
}

static clef_status s_etr_data(oom_fx *fx) {
    clef_status rc = s_etr(fx);
    if (rc == CLEF_OK)
        rc = clef_encoder_trainer_add_tokens(fx->etr, session_ids(fx->tok, 4), 4, CLEF_SPLIT_TRAIN);
    return rc == CLEF_OK ? clef_encoder_trainer_add_tokens(fx->etr, session_ids(fx->tok, 2), 2,
                                                           CLEF_SPLIT_VAL)
                         : rc;
}

/* Two emulated ranks (no reducer): the trainer keeps a gradient buffer for them. */
static clef_status c_etr_set_reducer(oom_fx *fx) {
    return clef_encoder_trainer_set_reducer(fx->etr, NULL, NULL, 0, 2);
}

static clef_status c_etr_run(oom_fx *fx) {
    return clef_encoder_trainer_run(fx->etr, fx->path, NULL, NULL);
}

static clef_status c_etr_add_cohort(oom_fx *fx) {
    return clef_encoder_trainer_add_cohort(fx->etr, fx->tok, oom_cohort_dir(), "train");
}

static clef_status s_etr_store(oom_fx *fx) {
    clef_status rc = s_etr(fx);
    return rc == CLEF_OK ? oom_open_store_copy(fx, 1) : rc;
}

static clef_status c_etr_add_store(oom_fx *fx) {
    return clef_encoder_trainer_add_store(fx->etr, fx->store, "train");
}

static const char *etr_checkpoint(void) {
    static char path[512];
    if (path[0] != '\0')
        return path;
    snprintf(path, sizeof path, "%s/etr.ckpt", oom_tmpdir());
    oom_fx fx;
    memset(&fx, 0, sizeof fx);
    assert_int_equal(clef_ctx_create(&fx.ctx), CLEF_OK);
    assert_int_equal(clef_tokenizer_load(&fx.tok, fx.ctx, oom_tok_path()), CLEF_OK);
    assert_int_equal(pretrain_params(fx.ctx, &fx.p), CLEF_OK);
    assert_int_equal(etr_new(&fx, &fx.etr), CLEF_OK);
    assert_int_equal(clef_encoder_trainer_save(fx.etr, path), CLEF_OK);
    clef_encoder_trainer_free(fx.etr);
    clef_tokenizer_free(fx.tok);
    clef_params_free(fx.p);
    clef_ctx_free(fx.ctx);
    return path;
}

static clef_status s_etr_resume(oom_fx *fx) {
    etr_checkpoint();
    return pretrain_params(fx->ctx, &fx->p);
}

static clef_status c_etr_resume(oom_fx *fx) {
    clef_encoder_trainer *tr = NULL;
    clef_status rc = clef_encoder_trainer_resume(&tr, fx->ctx, etr_checkpoint(), fx->p, 1);
    clef_encoder_trainer_free(tr);
    return rc;
}

static const oom_case k_cases[] = {
    {.name = "weights_write",
     .covers = COVERS("clef_weights_writer_create clef_weights_writer_set_meta "
                      "clef_weights_writer_add_f32 clef_weights_writer_add_raw "
                      "clef_weights_writer_write"),
     .setup = s_path,
     .call = c_weights_write},
    {.name = "weights_open",
     .covers = COVERS("clef_weights_open clef_weights_open_memory"),
     .call = c_weights_open},
    {.name = "tokenizer_load", .covers = COVERS("clef_tokenizer_load"), .call = c_tok_load},
    {.name = "tokenizer_create_save",
     .covers = COVERS("clef_tokenizer_create clef_tokenizer_clone_crop clef_tokenizer_save"),
     .setup = s_path,
     .call = c_tok_create_save},
    {.name = "tokenizer_spectrogram",
     .covers = COVERS("clef_tokenizer_spectrogram_create clef_tokenizer_check_spectrogram"),
     .setup = s_tok,
     .call = c_tok_spectrogram},
    {.name = "tokenizer_encode_decode",
     .covers = COVERS("clef_tokenizer_encode clef_tokenizer_decode"),
     .setup = s_tok,
     .call = c_tok_encode_decode},
    {.name = "tokenizer_encode_recording",
     .covers = COVERS("clef_tokenizer_encode_recording"),
     .setup = s_tok_rec,
     .call = c_tok_encode_recording},
    {.name = "tokenizer_encode_signal",
     .covers = COVERS("clef_tokenizer_encode_signal"),
     .setup = s_tok,
     .call = c_tok_encode_signal},
    {.name = "tokenizer_trainer_create",
     .covers = COVERS("clef_tokenizer_trainer_create"),
     .setup = s_train_params,
     .call = c_ttr_create},
    {.name = "tokenizer_trainer_step_save",
     .covers = COVERS("clef_tokenizer_trainer_step clef_tokenizer_trainer_save"),
     .setup = s_ttr_small,
     .call = c_ttr_step_save},
    {.name = "tokenizer_trainer_resume",
     .covers = COVERS("clef_tokenizer_trainer_resume"),
     .setup = s_ttr_resume,
     .call = c_ttr_resume},
    {.name = "tokenizer_trainer_set_spectrogram",
     .covers = COVERS("clef_tokenizer_trainer_set_spectrogram"),
     .setup = s_ttr,
     .call = c_ttr_set_spectrogram},
    {.name = "tokenizer_trainer_add_cohort",
     .covers = COVERS("clef_tokenizer_trainer_add_cohort"),
     .setup = s_ttr,
     .call = c_ttr_add_cohort},
    {.name = "tokenizer_trainer_add_store",
     .covers = COVERS("clef_tokenizer_trainer_add_store"),
     .setup = s_ttr_store,
     .call = c_ttr_add_store},
    {.name = "tokenizer_trainer_run",
     .covers = COVERS("clef_tokenizer_trainer_run"),
     .setup = s_ttr_sessions,
     .call = c_ttr_run},
    {.name = "tokenizer_trainer_means",
     .covers = COVERS("clef_tokenizer_trainer_add_means clef_tokenizer_trainer_fit_mean"),
     .setup = s_ttr_small,
     .call = c_ttr_means},
    {.name = "tokenizer_trainer_calibrate_mean",
     .covers = COVERS("clef_tokenizer_trainer_calibrate_mean"),
     .setup = s_ttr_fitted,
     .call = c_ttr_calibrate},
    {.name = "tokenizer_job",
     .covers = COVERS("clef_tokenizer_job_run"),
     .setup = s_job,
     .call = c_tok_job},
    {.name = "encoder_load_save",
     .covers = COVERS("clef_encoder_load clef_encoder_save"),
     .setup = s_enc_path,
     .call = c_enc_load_save},
    {.name = "encoder_embed",
     .covers = COVERS("clef_encoder_embed"),
     .setup = s_enc,
     .call = c_enc_embed},
    {.name = "encoder_embed_recording",
     .covers = COVERS("clef_encoder_embed_recording"),
     .setup = s_enc_rec,
     .call = c_enc_embed_recording},
    {.name = "encoder_embed_signal",
     .covers = COVERS("clef_encoder_embed_signal"),
     .setup = s_enc,
     .call = c_enc_embed_signal},
    {.name = "encoder_stream",
     .covers = COVERS("clef_encoder_stream_create clef_encoder_stream_push "
                      "clef_encoder_stream_finish clef_encoder_stream_tokens "
                      "clef_encoder_stream_embed"),
     .setup = s_enc,
     .call = c_enc_stream},
    {.name = "encoder_trainer_create",
     .covers = COVERS("clef_encoder_trainer_create"),
     .setup = s_etr_params,
     .call = c_etr_create},
    {.name = "encoder_trainer_tokens",
     .covers = COVERS("clef_encoder_trainer_add_tokens clef_encoder_trainer_step "
                      "clef_encoder_trainer_validate clef_encoder_trainer_save"),
     .setup = s_etr,
     .call = c_etr_tokens},
    {.name = "encoder_trainer_set_reducer",
     .covers = COVERS("clef_encoder_trainer_set_reducer"),
     .setup = s_etr,
     .call = c_etr_set_reducer},
    {.name = "encoder_trainer_run",
     .covers = COVERS("clef_encoder_trainer_run"),
     .setup = s_etr_data,
     .call = c_etr_run},
    {.name = "encoder_trainer_add_cohort",
     .covers = COVERS("clef_encoder_trainer_add_cohort"),
     .setup = s_etr,
     .call = c_etr_add_cohort},
    {.name = "encoder_trainer_add_store",
     .covers = COVERS("clef_encoder_trainer_add_store"),
     .setup = s_etr_store,
     .call = c_etr_add_store},
    {.name = "encoder_trainer_resume",
     .covers = COVERS("clef_encoder_trainer_resume"),
     .setup = s_etr_resume,
     .call = c_etr_resume},
    {.name = "encoder_job",
     .covers = COVERS("clef_encoder_job_run"),
     .setup = s_job,
     .call = c_enc_job},
};

int main(int argc, char **argv) {
    return oom_run(argc, argv, "oom_model", k_cases, sizeof k_cases / sizeof *k_cases);
}
