/* test_oom_align.c — OOM sweeps of the clinical aligner: trainer (sessions from arrays and from
 * a store, steps, validation, checkpoints, resume), loading and saving, and every embedding
 * call (oom_sweep.h says what each sweep checks). A tiny aligner (width 8) over oom_sweep.c's
 * tiny BERT and encoder. */
#include "oom_sweep.h"

#include <stdio.h>
#include <string.h>

enum { EEG = 8 }; /* the embed_dim of oom_enc_path() */

static clef_status align_params(clef_ctx *ctx, clef_params **out) {
    clef_status rc = clef_params_create(out, ctx, CLEF_PARAMS_ALIGN);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_ALIGN_DIM, 8);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_ALIGN_WIDTH, 8);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_ALIGN_LAYERS, 1);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_ALIGN_HEADS, 2);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_ALIGN_EEG_HIDDEN, 8);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_ALIGN_MAX_TEXT, 16);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_ALIGN_BATCH, 4);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_ALIGN_STEPS, 1);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_ALIGN_CHECKPOINT_EVERY, 1);
    return rc;
}

static const char k_report[] = "IMPRESSION: Abnormal EEG with sharp waves. No slowing.";

static void session_data(int i, float emb[EEG], char ehr[128]) {
    for (int k = 0; k < EEG; k++)
        emb[k] = (float)((k == i % EEG ? 2.0 : 0.0) + 0.1 * (double)((i * 3 + k) % 5));
    snprintf(ehr, 128, "age %d\nsex %s\nrace white\nICD10CM/G4%d.9\nATC/N03AX1%d", 30 + i,
             i % 2 ? "F" : "M", i % 3, i % 4);
}

/* Four training and two held-out sessions. */
static clef_status add_sessions(clef_aligner_trainer *tr, const clef_text_encoder *te) {
    clef_status rc = CLEF_OK;
    for (int i = 0; i < 6 && rc == CLEF_OK; i++) {
        float emb[EEG];
        char ehr[128];
        session_data(i, emb, ehr);
        rc = clef_aligner_trainer_add_session(tr, te, emb, EEG, k_report, ehr,
                                              i < 4 ? CLEF_SPLIT_TRAIN : CLEF_SPLIT_VAL);
    }
    return rc;
}

static clef_status text_encoder(oom_fx *fx) {
    const char *vocab = NULL, *st = oom_text_paths(&vocab);
    return clef_text_encoder_load(&fx->te, fx->ctx, st, vocab, 2);
}

/* An aligner trained one step and its checkpoint, made once with a plain ctx. */
static const char *align_file(int ckpt) {
    static char path[2][512];
    if (path[0][0] != '\0')
        return path[ckpt];
    snprintf(path[0], sizeof path[0], "%s/align.safetensors", oom_tmpdir());
    snprintf(path[1], sizeof path[1], "%s/align.ckpt", oom_tmpdir());
    oom_fx fx;
    memset(&fx, 0, sizeof fx);
    assert_int_equal(clef_ctx_create(&fx.ctx), CLEF_OK);
    assert_int_equal(text_encoder(&fx), CLEF_OK);
    assert_int_equal(align_params(fx.ctx, &fx.p), CLEF_OK);
    assert_int_equal(clef_aligner_trainer_create(&fx.atr, fx.ctx, fx.p, 1), CLEF_OK);
    assert_int_equal(add_sessions(fx.atr, fx.te), CLEF_OK);
    assert_int_equal(clef_aligner_trainer_run(fx.atr, path[1], NULL, NULL), CLEF_OK);
    assert_int_equal(clef_aligner_save(clef_aligner_trainer_aligner(fx.atr), fx.ctx, path[0]),
                     CLEF_OK);
    clef_aligner_trainer_free(fx.atr);
    clef_text_encoder_free(fx.te);
    clef_params_free(fx.p);
    clef_ctx_free(fx.ctx);
    return path[ckpt];
}

static const char *encoder_hash(void) {
    static char hex[65];
    if (hex[0] == '\0') {
        clef_ctx *ctx;
        assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
        assert_int_equal(clef_encoder_model_hash(ctx, oom_enc_path(), hex, sizeof hex, NULL),
                         CLEF_OK);
        clef_ctx_free(ctx);
    }
    return hex;
}

static clef_status s_path(oom_fx *fx) {
    static unsigned serial;
    snprintf(fx->path, sizeof fx->path, "%s/a%u.safetensors", oom_tmpdir(), serial++);
    return CLEF_OK;
}

/* ---- trainer ---- */

static clef_status s_params(oom_fx *fx) {
    clef_status rc = s_path(fx);
    return rc == CLEF_OK ? align_params(fx->ctx, &fx->p) : rc;
}

static clef_status c_trainer_create(oom_fx *fx) {
    clef_aligner_trainer *tr = NULL;
    clef_status rc = clef_aligner_trainer_create(&tr, fx->ctx, fx->p, 1);
    clef_aligner_trainer_free(tr);
    return rc;
}

static clef_status s_trainer(oom_fx *fx) {
    clef_status rc = s_params(fx);
    if (rc == CLEF_OK)
        rc = text_encoder(fx);
    return rc == CLEF_OK ? clef_aligner_trainer_create(&fx->atr, fx->ctx, fx->p, 1) : rc;
}

static clef_status c_add_session(oom_fx *fx) {
    float emb[EEG];
    char ehr[128];
    session_data(1, emb, ehr);
    return clef_aligner_trainer_add_session(fx->atr, fx->te, emb, EEG, k_report, ehr,
                                            CLEF_SPLIT_TRAIN);
}

/* A failed add added nothing: the one successful add is the only session. */
static void check_one_session(oom_fx *fx) {
    assert_int_equal(clef_aligner_trainer_sessions(fx->atr, CLEF_SPLIT_TRAIN), 1);
}

static clef_status s_trainer_store(oom_fx *fx) {
    clef_status rc = s_trainer(fx);
    return rc == CLEF_OK ? oom_open_store_copy(fx, 1) : rc;
}

static clef_status c_add_store(oom_fx *fx) {
    return clef_aligner_trainer_add_store(fx->atr, fx->te, fx->store, encoder_hash(), "train");
}

static clef_status s_trainer_data(oom_fx *fx) {
    clef_status rc = s_trainer(fx);
    return rc == CLEF_OK ? add_sessions(fx->atr, fx->te) : rc;
}

static clef_status c_run(oom_fx *fx) {
    double loss = 0, r1 = 0, r10 = 0;
    clef_status rc = clef_aligner_trainer_run(fx->atr, fx->path, NULL, NULL);
    if (rc == CLEF_OK)
        rc = clef_aligner_trainer_validate(fx->atr, &loss, &r1, &r10);
    if (rc == CLEF_OK)
        rc = clef_aligner_trainer_save(fx->atr, fx->path);
    return rc;
}

static clef_status c_resume(oom_fx *fx) {
    clef_aligner_trainer *tr = NULL;
    clef_status rc = clef_aligner_trainer_resume(&tr, fx->ctx, align_file(1), fx->p, 1);
    clef_aligner_trainer_free(tr);
    return rc;
}

/* fine-tuning: the trainer takes a copy of the store's encoder, then reads tokens with the
 * sessions, trains a step with the encoder and writes it */
static clef_status s_trainer_enc(oom_fx *fx) {
    clef_status rc = s_trainer_store(fx);
    return rc == CLEF_OK ? clef_encoder_load(&fx->enc, fx->ctx, oom_enc_path(), NULL) : rc;
}

static clef_status c_finetune(oom_fx *fx) {
    return clef_aligner_trainer_finetune(fx->atr, fx->enc);
}

static clef_status s_finetune_data(oom_fx *fx) {
    clef_status rc = s_trainer_enc(fx);
    if (rc == CLEF_OK)
        rc = clef_aligner_trainer_finetune(fx->atr, fx->enc);
    return rc == CLEF_OK ? c_add_store(fx) : rc;
}

static clef_status c_finetune_run(oom_fx *fx) {
    clef_status rc = clef_aligner_trainer_run(fx->atr, fx->path, NULL, NULL);
    return rc == CLEF_OK ? clef_aligner_trainer_save_encoder(fx->atr, fx->path) : rc;
}

/* ---- aligner ---- */

static clef_status c_load_save(oom_fx *fx) {
    clef_aligner *al = NULL;
    clef_status rc = clef_aligner_load(&al, fx->ctx, align_file(0));
    if (rc == CLEF_OK)
        rc = clef_aligner_save(al, fx->ctx, fx->path);
    clef_aligner_free(al);
    return rc;
}

static clef_status s_aligner(oom_fx *fx) {
    clef_status rc = oom_session(fx);
    if (rc == CLEF_OK)
        rc = text_encoder(fx);
    return rc == CLEF_OK ? clef_aligner_load(&fx->al, fx->ctx, align_file(0)) : rc;
}

static clef_status c_embed(oom_fx *fx) {
    float emb[2 * EEG], out[2 * 8], scores[2];
    char ehr[128];
    session_data(0, emb, ehr);
    session_data(1, emb + EEG, ehr);
    clef_status rc = clef_aligner_embed_eeg(fx->al, fx->s, emb, 2, EEG, out, 16);
    if (rc == CLEF_OK)
        rc = clef_aligner_embed_text(fx->al, fx->s, fx->te, k_report, 1, out, 8);
    if (rc == CLEF_OK)
        rc = clef_aligner_embed_text(fx->al, fx->s, fx->te, "sharp waves", 0, out, 8);
    if (rc == CLEF_OK)
        rc = clef_aligner_embed_ehr(fx->al, fx->s, ehr, out, 8);
    if (rc == CLEF_OK)
        rc = clef_aligner_score_text(fx->al, fx->s, fx->te, emb, 2, EEG, "slowing", scores, 2);
    return rc;
}

static clef_status s_aligner_store(oom_fx *fx) {
    clef_status rc = s_aligner(fx);
    return rc == CLEF_OK ? oom_open_store_copy(fx, 1) : rc;
}

static clef_status c_embed_store(oom_fx *fx) {
    int64_t n = 0;
    return clef_aligner_embed_store(fx->al, fx->s, fx->store, encoder_hash(), "aligned", &n, NULL,
                                    NULL);
}

/* BF16 precision packs a copy of the weights; a CPU without AVX-512 BF16 refuses at once (no
 * allocation), which counts as the undisturbed outcome there. */
static clef_status c_precision(oom_fx *fx) {
    clef_status rc = clef_text_encoder_set_precision(fx->te, CLEF_PRECISION_BF16);
    return rc == CLEF_ERR_UNSUPPORTED ? CLEF_OK : rc;
}

static void check_precision(oom_fx *fx) {
    int bf16 = strstr(clef_cpu_isa(), "AVX-512BF16") != NULL;
    assert_int_equal(clef_text_encoder_precision(fx->te),
                     bf16 ? CLEF_PRECISION_BF16 : CLEF_PRECISION_F32);
}

static const oom_case k_cases[] = {
    {.name = "text_encoder_precision",
     .covers = COVERS("clef_text_encoder_set_precision"),
     .setup = text_encoder,
     .call = c_precision,
     .check = check_precision},
    {.name = "aligner_trainer_create",
     .covers = COVERS("clef_aligner_trainer_create"),
     .setup = s_params,
     .call = c_trainer_create},
    {.name = "aligner_trainer_add_session",
     .covers = COVERS("clef_aligner_trainer_add_session"),
     .setup = s_trainer,
     .call = c_add_session,
     .check = check_one_session},
    {.name = "aligner_trainer_add_store",
     .covers = COVERS("clef_aligner_trainer_add_store"),
     .setup = s_trainer_store,
     .call = c_add_store},
    {.name = "aligner_trainer_run",
     .covers = COVERS("clef_aligner_trainer_run clef_aligner_trainer_validate "
                      "clef_aligner_trainer_save"),
     .setup = s_trainer_data,
     .call = c_run},
    {.name = "aligner_trainer_finetune",
     .covers = COVERS("clef_aligner_trainer_finetune"),
     .setup = s_trainer_enc,
     .call = c_finetune},
    {.name = "aligner_trainer_finetune_run",
     .covers = COVERS("clef_aligner_trainer_save_encoder"),
     .setup = s_finetune_data,
     .call = c_finetune_run},
    {.name = "aligner_trainer_resume",
     .covers = COVERS("clef_aligner_trainer_resume"),
     .setup = s_params,
     .call = c_resume},
    {.name = "aligner_load_save",
     .covers = COVERS("clef_aligner_load clef_aligner_save"),
     .setup = s_path,
     .call = c_load_save},
    {.name = "aligner_embed",
     .covers = COVERS("clef_aligner_embed_eeg clef_aligner_embed_text clef_aligner_embed_ehr "
                      "clef_aligner_score_text"),
     .setup = s_aligner,
     .call = c_embed},
    {.name = "aligner_embed_store",
     .covers = COVERS("clef_aligner_embed_store"),
     .setup = s_aligner_store,
     .call = c_embed_store},
};

int main(int argc, char **argv) {
    return oom_run(argc, argv, "oom_align", k_cases, sizeof k_cases / sizeof *k_cases);
}
