/* test_align_finetune.c — the clinical aligner fine-tuning a session encoder
 * (clef_aligner_trainer_finetune, docs/aligner.md "Joint fine-tuning"): the encoder's gradient
 * of report + EHR InfoNCE + recon_weight x its masked-token loss against central differences;
 * bit-identical results on another thread count and across a checkpoint resume; the encoder
 * written and named by the aligner; errors. The small encoder of the PyTorch parity test
 * (tests/data/golden/model: 4 x 12 grid + 6 session-mean tokens of which the last gives the
 * valid columns, codebook 16, 16 levels, d 32, 2 layers, embedding 24); synthetic report
 * states. SPDX-License-Identifier: BSD-3-Clause */
#define _POSIX_C_SOURCE 200809L /* getpid */
#include "clef.h"
#include "clinical/align_int.h"
#include "fd_layout.h"
#include "model/enc_tune.h"
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { GF = 4, GT = 12, NMEAN = 6, K = 16, LEVELS = 16, EMB = 24, TD = 5, NT = GF * GT + NMEAN };

static clef_encoder *load_encoder(clef_ctx *ctx) {
    clef_encoder *enc;
    assert_int_equal(
        clef_encoder_load(&enc, ctx,
                          CLEF_TEST_DATA_DIR "/golden/model/enc_parity_weights.safetensors", NULL),
        CLEF_OK);
    int64_t nt = 0, e = 0;
    assert_int_equal(clef_encoder_shape(enc, &nt, NULL, &e), CLEF_OK);
    assert_int_equal(nt, NT);
    assert_int_equal(e, EMB);
    return enc;
}

static clef_params *params(clef_ctx *ctx, int64_t steps) {
    clef_params *p;
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_ALIGN), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_ALIGN_DIM, 8), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_ALIGN_WIDTH, 8), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_ALIGN_HEADS, 2), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_ALIGN_EEG_HIDDEN, 12), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_ALIGN_BATCH, 6), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_ALIGN_STEPS, steps), CLEF_OK);
    assert_int_equal(clef_params_set_f64(p, CLEF_P_ALIGN_LR, 3e-3), CLEF_OK);
    assert_int_equal(clef_params_set_f64(p, CLEF_P_ALIGN_ENCODER_LR, 3e-3), CLEF_OK);
    assert_int_equal(clef_params_set_f64(p, CLEF_P_ALIGN_RECON_WEIGHT, 0.5), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_ALIGN_CHECKPOINT_EVERY, 0), CLEF_OK);
    return p;
}

/* n sessions of class i % 3: token ids, report states and codes carry the class; the stored
 * embedding is the encoder's own (only its statistics are used when fine-tuning). */
static void add_sessions(clef_aligner_trainer *tr, const clef_encoder *enc, int n, uint64_t seed) {
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *s;
    assert_int_equal(clef_session_create(&s, ctx, 1), CLEF_OK);
    uint64_t st = seed;
    for (int i = 0; i < n; i++) {
        int c = i % 3;
        int32_t ids[NT];
        for (int k = 0; k < GF * GT; k++)
            ids[k] = (int32_t)((clefi_splitmix64(&st) % 5) + (uint64_t)(5 * c)) % K;
        for (int k = 0; k < NMEAN - 1; k++)
            ids[GF * GT + k] = K + (int32_t)(clefi_splitmix64(&st) % LEVELS);
        ids[NT - 1] = K + GT - i % 2; /* valid columns: 12 or 11 */
        float emb[EMB], states[3 * TD];
        assert_int_equal(clef_encoder_embed(enc, s, ids, NT, 0, emb, EMB, NULL, 0, NULL), CLEF_OK);
        for (int k = 0; k < 3 * TD; k++)
            states[k] = (float)((k % TD == c ? 1.0 : 0.0) +
                                0.3 * clefi_rng_normal(seed, (uint64_t)(i * 16 + k)));
        char ehr[96];
        snprintf(ehr, sizeof ehr, "age %d\nsex F\nICD10CM/G4%d.1", 30 + i, c);
        assert_int_equal(clefi_al_trainer_add_states(tr, emb, EMB, states, 3, NULL, 0, TD, ehr, ids,
                                                     CLEF_SPLIT_TRAIN),
                         CLEF_OK);
    }
    clef_session_free(s);
    clef_ctx_free(ctx);
}

static clef_aligner_trainer *new_trainer(clef_ctx *ctx, const clef_params *p, int threads,
                                         const clef_encoder *enc) {
    clef_aligner_trainer *tr;
    assert_int_equal(clef_aligner_trainer_create(&tr, ctx, p, threads), CLEF_OK);
    assert_int_equal(clef_aligner_trainer_finetune(tr, enc), CLEF_OK);
    add_sessions(tr, enc, 12, 5);
    return tr;
}

typedef struct joint {
    clef_aligner_trainer *tr;
    const int64_t *idx;
    int64_t B;
    double recon_w;
} joint;

/* report + EHR InfoNCE + recon_weight x the masked-token loss of the batch */
static double joint_loss(void *a) {
    joint *j = a;
    double l[2];
    assert_int_equal(clefi_al_trainer_loss_grad(j->tr, j->idx, j->B, l), CLEF_OK);
    clef_encoder_trainer *etr = clefi_al_trainer_etr(j->tr);
    return l[0] + l[1] +
           j->recon_w * (double)clefi_enc_trainer_gbuf(etr)[clefi_enc_trainer_n_weights(etr)];
}

/* The encoder's gradient of the joint loss (the InfoNCE terms through the EEG tower's input and
 * the standardization, plus the masked-token term) against central differences. The loss is
 * steep in the encoder's weights (unit-norm outputs, logit scale 14.3), so the step is small. */
static void test_joint_gradient_fd(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_encoder *src = load_encoder(ctx);
    clef_params *p = params(ctx, 10);
    clef_aligner_trainer *tr = new_trainer(ctx, p, 1, src);
    const int64_t idx[6] = {0, 1, 2, 3, 4, 5};
    joint j = {tr, idx, 6, 0.5};
    double l0 = joint_loss(&j);
    assert_true(isfinite(l0));
    /* move the aligner off its small initial weights so the InfoNCE gradient is not tiny */
    clef_aligner *al = (clef_aligner *)clef_aligner_trainer_aligner(tr);
    for (size_t k = 0; k < al->trained; k++)
        al->flat[k] += 0.1f * (float)clefi_rng_normal(99, k);
    l0 = joint_loss(&j);
    assert_true(isfinite(l0));
    clef_encoder_trainer *etr = clefi_al_trainer_etr(tr);
    const clefi_layout *lay = NULL;
    float *w = clefi_enc_trainer_weights(etr, &lay);
    size_t total = clefi_enc_trainer_n_weights(etr);
    float *g = malloc(total * sizeof *g);
    memcpy(g, clefi_enc_trainer_gbuf(etr), total * sizeof *g);
    int bad = 0;
    int checked = fd_layout_check(w, lay, g, joint_loss, &j, 2e-3f, 3, 0.05, NULL, &bad);
    assert_true(checked > 30);
    assert_int_equal(bad, 0);
    free(g);
    clef_aligner_trainer_free(tr);
    clef_params_free(p);
    clef_encoder_free(src);
    clef_ctx_free(ctx);
}

static void tmp_path(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "/tmp/clef_test_%d_%s", (int)getpid(), name);
}

static int32_t stop_at_4(int64_t step, int64_t total, double lr, double le, double ar, double ae,
                         void *user) {
    (void)total, (void)lr, (void)le, (void)ar, (void)ae, (void)user;
    return step == 4;
}

/* 8 steps straight (2 threads) equal 4 steps (1 thread), a checkpoint, resume, 4 more: aligner
 * and encoder bit for bit; the encoder moved; save_encoder names it in the aligner. */
static void test_resume_and_threads(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_encoder *src = load_encoder(ctx);
    const clef_encoder *e0 = src;
    clef_params *p = params(ctx, 8);
    char ck[256], encp[256], alp[256];
    tmp_path(ck, sizeof ck, "ft.ckpt");
    tmp_path(encp, sizeof encp, "ft_enc.safetensors");
    tmp_path(alp, sizeof alp, "ft_al.safetensors");
    clef_aligner_trainer *a = new_trainer(ctx, p, 2, e0);
    assert_int_equal(clef_aligner_trainer_run(a, NULL, NULL, NULL), CLEF_OK);
    clef_aligner_trainer *b = new_trainer(ctx, p, 1, e0);
    assert_int_equal(clef_aligner_trainer_run(b, NULL, stop_at_4, NULL), CLEF_ERR_CANCELLED);
    assert_int_equal(clef_aligner_trainer_save(b, ck), CLEF_OK);
    clef_aligner_trainer_free(b);
    clef_aligner_trainer *c;
    assert_int_equal(clef_aligner_trainer_resume(&c, ctx, ck, p, 1), CLEF_OK);
    assert_non_null(clef_aligner_trainer_encoder(c));
    add_sessions(c, e0, 12, 5);
    assert_int_equal(clef_aligner_trainer_run(c, NULL, NULL, NULL), CLEF_OK);
    const clef_aligner *x = clef_aligner_trainer_aligner(a), *y = clef_aligner_trainer_aligner(c);
    assert_memory_equal(x->flat, y->flat, x->lay.total * sizeof(float));
    const clefi_layout *lay = NULL;
    const float *wa = clefi_enc_trainer_weights(clefi_al_trainer_etr(a), &lay);
    const float *wc = clefi_enc_trainer_weights(clefi_al_trainer_etr(c), &lay);
    assert_memory_equal(wa, wc, lay->total * sizeof(float));
    assert_non_null(clef_aligner_trainer_encoder(a));
    /* the encoder written, loadable, and named by the aligner */
    assert_int_equal(clef_aligner_trainer_save_encoder(a, encp), CLEF_OK);
    char sha[65];
    assert_int_equal(clef_encoder_model_hash(ctx, encp, sha, sizeof sha, NULL), CLEF_OK);
    assert_int_equal(clef_aligner_save(x, ctx, alp), CLEF_OK);
    clef_aligner *l;
    assert_int_equal(clef_aligner_load(&l, ctx, alp), CLEF_OK);
    assert_string_equal(l->enc_sha, sha);
    clef_aligner_free(l);
    /* and it moved: another embedding of the same session than the original encoder's */
    clef_encoder *tuned;
    assert_int_equal(clef_encoder_load(&tuned, ctx, encp, NULL), CLEF_OK);
    clef_session *s;
    assert_int_equal(clef_session_create(&s, ctx, 1), CLEF_OK);
    int32_t ids[NT] = {0};
    for (int k = GF * GT; k < NT; k++)
        ids[k] = K + 3;
    ids[NT - 1] = K + GT;
    float before[EMB], after[EMB];
    assert_int_equal(clef_encoder_embed(e0, s, ids, NT, 0, before, EMB, NULL, 0, NULL), CLEF_OK);
    assert_int_equal(clef_encoder_embed(tuned, s, ids, NT, 0, after, EMB, NULL, 0, NULL), CLEF_OK);
    assert_true(memcmp(before, after, sizeof before) != 0);
    clef_session_free(s);
    clef_encoder_free(tuned);
    clef_aligner_trainer_free(a);
    clef_aligner_trainer_free(c);
    char ep[300];
    snprintf(ep, sizeof ep, "%s.encoder", ck);
    remove(ck), remove(ep), remove(encp), remove(alp);
    clef_params_free(p);
    clef_encoder_free(src);
    clef_ctx_free(ctx);
}

static void test_errors(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_encoder *src = load_encoder(ctx);
    const clef_encoder *e0 = src;
    clef_params *p = params(ctx, 2);
    clef_aligner_trainer *tr;
    assert_int_equal(clef_aligner_trainer_create(&tr, ctx, p, 1), CLEF_OK);
    assert_null(clef_aligner_trainer_encoder(tr));
    assert_int_equal(clef_aligner_trainer_save_encoder(tr, "/tmp/x"), CLEF_ERR_STATE);
    assert_int_equal(clef_aligner_trainer_finetune(tr, NULL), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_aligner_trainer_finetune(tr, e0), CLEF_OK);
    assert_int_equal(clef_aligner_trainer_finetune(tr, e0), CLEF_ERR_STATE); /* once */
    float emb[EMB] = {0};
    /* sessions need their tokens now */
    assert_int_equal(
        clef_aligner_trainer_add_session(tr, NULL, emb, EMB, NULL, NULL, CLEF_SPLIT_TRAIN),
        CLEF_ERR_STATE);
    assert_non_null(strstr(clef_aligner_trainer_errmsg(tr), "tokens"));
    int32_t ids[NT] = {0};
    ids[NT - 1] = K + GT;
    ids[0] = K + 50; /* out of range */
    assert_int_equal(clefi_al_trainer_add_states(tr, emb, EMB, NULL, 0, NULL, 0, TD, NULL, ids,
                                                 CLEF_SPLIT_TRAIN),
                     CLEF_ERR_RANGE);
    clef_aligner_trainer_free(tr);
    clef_params_free(p);
    clef_encoder_free(src);
    clef_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_joint_gradient_fd),
        cmocka_unit_test(test_resume_and_threads),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
