/* test_aligner.c — the clinical aligner (lib/clinical/align_*.c): gradients by finite
 * differences, EHR tokens, learning a planted structure, bit-identical resume, save/load and
 * the inference calls' errors. Report states are synthetic here (clefi_al_trainer_add_states);
 * tests/cli/cli_align.sh runs the real text encoder. SPDX-License-Identifier: BSD-3-Clause */
#define _POSIX_C_SOURCE 200809L /* getpid */
#include "clinical/align_int.h"
#include "clef.h"
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A per-process scratch file name. */
static void test_tmp_path(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "/tmp/clef_test_%d_%s", (int)getpid(), name);
}

#define IN 6
#define TD 5

static clef_params *small_params(clef_ctx *ctx, int64_t steps, int learn_temp) {
    clef_params *p;
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_ALIGN), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_ALIGN_DIM, 8), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_ALIGN_WIDTH, 8), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_ALIGN_LAYERS, 1), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_ALIGN_HEADS, 2), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_ALIGN_EEG_HIDDEN, 12), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_ALIGN_BATCH, 16), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_ALIGN_STEPS, steps), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_ALIGN_LEARN_TEMPERATURE, learn_temp), CLEF_OK);
    assert_int_equal(clef_params_set_f64(p, CLEF_P_ALIGN_LR, 3e-3), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_ALIGN_CHECKPOINT_EVERY, 10), CLEF_OK);
    return p;
}

static double urand(uint64_t *s) { return (double)(clefi_splitmix64(s) >> 11) * 0x1.0p-53; }

/* n sessions of class i % 5: the embedding, the report states and the codes all carry the class
 * (with noise), so aligned views can find each other. Every 7th has no report. */
static void add_planted_as(clef_aligner_trainer *tr, int n, int32_t split, uint64_t seed,
                           int sentences) {
    uint64_t s = seed;
    for (int i = 0; i < n; i++) {
        int c = i % 5;
        float emb[IN], st[6 * TD];
        for (int k = 0; k < IN; k++)
            emb[k] = (float)((k == c ? 2.0 : 0.0) + 0.5 * (urand(&s) - 0.5));
        int nt = 3 + (int)(urand(&s) * 3.0);
        /* as sentences: the first two states, then one per sentence */
        int32_t sent[8] = {0, 2, 3, 4, 5, 6, 7, 8};
        sent[nt - 1] = nt;
        for (int t = 0; t < nt; t++)
            for (int k = 0; k < TD; k++)
                st[t * TD + k] = (float)((k == c % TD && t == 1 ? 1.5 : 0.0) + (urand(&s) - 0.5));
        char ehr[160];
        snprintf(ehr, sizeof ehr, "age %d\nsex %s\nrace white\nICD10CM/G4%d.%d\nATC/N03AX%02d",
                 20 + (int)(urand(&s) * 60), (i & 1) ? "F" : "M", c, i % 3, 10 + c);
        assert_int_equal(clefi_al_trainer_add_states(tr, emb, IN, i % 7 == 6 ? NULL : st, nt,
                                                     sentences ? sent : NULL, nt - 1, TD, ehr, NULL,
                                                     split),
                         CLEF_OK);
    }
}

static void add_planted(clef_aligner_trainer *tr, int n, int32_t split, uint64_t seed) {
    add_planted_as(tr, n, split, seed, 0);
}

static void test_ehr_tokens(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clefi_strs t = {0};
    assert_int_equal(clefi_al_ehr_tokens(ctx,
                                         "age 93.5\nsex F\nrace asian\nATC/N03AX14\nATC/N03AG01\n"
                                         "ICD10CM/G40.309\nICD10CM/G40.209\nICD10CM/E11.9\nbogus",
                                         2, 1, &t),
                     CLEF_OK);
    const char *want[] = {"AGE/9",       "SEX/F",          "RACE/asian",
                          "ATC/N03AX14", "ATC/N03A",       "ICD10CM/G40.309",
                          "ICD10CM/G40", "ICD10CM/G40.209"}; /* caps: 1 ATC, 2 ICD codes */
    assert_int_equal(t.n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < t.n; i++)
        assert_string_equal(t.s[i], want[i]);
    clefi_strs v = {0};
    assert_int_equal(clefi_al_vocab(ctx, &t, 1, &v), CLEF_OK);
    assert_string_equal(v.s[0], CLEFI_AL_UNK);
    assert_int_equal(v.n, t.n + 1);
    for (size_t i = 2; i < v.n; i++)
        assert_true(strcmp(v.s[i - 1], v.s[i]) < 0);
    assert_int_equal(clefi_al_vocab_id(v.s, (int32_t)v.n, "ICD10CM/G40"), 4);
    assert_string_equal(v.s[clefi_al_vocab_id(v.s, (int32_t)v.n, "SEX/F")], "SEX/F");
    assert_int_equal(clefi_al_vocab_id(v.s, (int32_t)v.n, "ICD10CM/Z99"), 0);
    clefi_strs_free(ctx, &t);
    clefi_strs_free(ctx, &v);
    clef_ctx_free(ctx);
}

/* Every tensor's largest gradient entries against central differences of the loss. */
static void test_gradient_fd(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_params *p = small_params(ctx, 10, 1);
    clef_aligner_trainer *tr;
    assert_int_equal(clef_aligner_trainer_create(&tr, ctx, p, 1), CLEF_OK);
    add_planted(tr, 9, CLEF_SPLIT_TRAIN, 3);
    const int64_t idx[7] = {0, 1, 2, 3, 4, 5, 6}; /* 6 has no report: masked */
    double l0[2];
    assert_int_equal(clefi_al_trainer_loss_grad(tr, idx, 7, l0), CLEF_OK);
    assert_true(isfinite(l0[0]) && isfinite(l0[1]));
    clef_aligner *al = (clef_aligner *)clef_aligner_trainer_aligner(tr);
    /* a non-trivial starting point: random weights are tiny, so move them first */
    for (size_t k = 0; k < al->trained; k++)
        al->flat[k] += 0.3f * (float)clefi_rng_normal(99, k);
    assert_int_equal(clefi_al_trainer_loss_grad(tr, idx, 7, l0), CLEF_OK);
    size_t total = al->lay.total;
    float *g = malloc(total * sizeof *g);
    memcpy(g, clefi_al_trainer_grads(tr), total * sizeof *g);
    int checked = 0, bad = 0;
    double worst = 0.0;
    for (size_t t = 0; t < al->lay.n; t++) {
        const clefi_layout_entry *e = &al->lay.t[t];
        if (e->offset >= al->trained) { /* input statistics: never trained */
            for (size_t k = 0; k < e->numel; k++)
                assert_true(g[e->offset + k] == 0.0f);
            continue;
        }
        for (int r = 0; r < 2; r++) {
            size_t best = e->offset;
            for (size_t k = e->offset; k < e->offset + e->numel; k++)
                if (fabsf(g[k]) > fabsf(g[best]))
                    best = k;
            if (fabsf(g[best]) < 1e-4f)
                break;
            float keep = al->flat[best];
            const float h = 2e-3f;
            double lp[2], lm[2];
            al->flat[best] = keep + h;
            assert_int_equal(clefi_al_trainer_loss_grad(tr, idx, 7, lp), CLEF_OK);
            al->flat[best] = keep - h;
            assert_int_equal(clefi_al_trainer_loss_grad(tr, idx, 7, lm), CLEF_OK);
            al->flat[best] = keep;
            double fd = ((lp[0] + lp[1]) - (lm[0] + lm[1])) / (2.0 * (double)h);
            double err = fabs(fd - (double)g[best]) / (fabs(fd) + 1e-3);
            worst = err > worst ? err : worst;
            if (err > 0.05) {
                printf("  %s[%zu]: analytic %.6g, finite difference %.6g\n", e->name,
                       best - e->offset, (double)g[best], fd);
                bad++;
            }
            checked++;
            g[best] = 0.0f;
        }
    }
    printf("  %d gradient entries checked, worst relative error %.3g\n", checked, worst);
    assert_true(checked > 30);
    assert_int_equal(bad, 0);
    free(g);
    clef_aligner_trainer_free(tr);
    clef_params_free(p);
    clef_ctx_free(ctx);
}

/* Training finds the planted pairing: held-out EEG -> report retrieval far above chance. */
static void test_learns_planted(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_params *p = small_params(ctx, 150, 0);
    clef_aligner_trainer *tr;
    assert_int_equal(clef_aligner_trainer_create(&tr, ctx, p, 2), CLEF_OK);
    add_planted(tr, 100, CLEF_SPLIT_TRAIN, 5);
    add_planted(tr, 40, CLEF_SPLIT_VAL, 6);
    assert_int_equal(clef_aligner_trainer_sessions(tr, CLEF_SPLIT_VAL), 40);
    double before, after, r1, r10;
    assert_int_equal(clef_aligner_trainer_validate(tr, &before, NULL, NULL), CLEF_OK);
    assert_int_equal(clef_aligner_trainer_run(tr, NULL, NULL, NULL), CLEF_OK);
    assert_int_equal(clef_aligner_trainer_steps(tr), 150);
    assert_int_equal(clef_aligner_trainer_validate(tr, &after, &r1, &r10), CLEF_OK);
    printf("  held-out report loss %.3f -> %.3f; R@1 %.2f, R@10 %.2f\n", before, after, r1, r10);
    /* 5 classes among ~34 reports: a perfect class match ranks the own report in the first 7 */
    assert_true(after < before - 0.5);
    assert_true(r10 > 0.9);
    /* the EHR tower agrees: a record of class c is nearest the EEG of class c */
    const clef_aligner *al = clef_aligner_trainer_aligner(tr);
    clef_session *s;
    assert_int_equal(clef_session_create(&s, ctx, 1), CLEF_OK);
    float z_e[8], z_eeg[5 * 8], emb[5 * IN] = {0};
    for (int c = 0; c < 5; c++)
        emb[c * IN + c] = 2.f;
    assert_int_equal(clef_aligner_embed_eeg(al, s, emb, 5, IN, z_eeg, 40), CLEF_OK);
    int right = 0;
    for (int c = 0; c < 5; c++) {
        char ehr[96];
        snprintf(ehr, sizeof ehr, "age 40\nsex F\nrace white\nICD10CM/G4%d.1\nATC/N03AX%02d", c,
                 10 + c);
        assert_int_equal(clef_aligner_embed_ehr(al, s, ehr, z_e, 8), CLEF_OK);
        int best = 0;
        double bv = -2;
        for (int k = 0; k < 5; k++) {
            double d = 0;
            for (int j = 0; j < 8; j++)
                d += z_e[j] * z_eeg[k * 8 + j];
            if (d > bv) {
                bv = d;
                best = k;
            }
        }
        right += best == c;
    }
    assert_true(right >= 4);
    clef_session_free(s);
    clef_aligner_trainer_free(tr);
    clef_params_free(p);
    clef_ctx_free(ctx);
}

static int32_t stop_at_10(int64_t step, int64_t total, double lr, double le, double ar, double ae,
                          void *user) {
    (void)total, (void)lr, (void)le, (void)ar, (void)ae, (void)user;
    return step == 10;
}

/* 20 steps straight equal 10 steps, a checkpoint, resume, 10 more: bit for bit (and on another
 * thread count). */
static void test_resume_bit_identical(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    char ck[256], ck2[256];
    test_tmp_path(ck, sizeof ck, "align_resume.ckpt");
    test_tmp_path(ck2, sizeof ck2, "align_resume_full.ckpt");
    clef_params *p20 = small_params(ctx, 20, 1);
    clef_aligner_trainer *a, *b, *c;
    assert_int_equal(clef_aligner_trainer_create(&a, ctx, p20, 2), CLEF_OK);
    add_planted(a, 40, CLEF_SPLIT_TRAIN, 8);
    assert_int_equal(clef_aligner_trainer_run(a, ck2, NULL, NULL), CLEF_OK);
    assert_int_equal(clef_aligner_trainer_create(&b, ctx, p20, 1), CLEF_OK);
    add_planted(b, 40, CLEF_SPLIT_TRAIN, 8);
    assert_int_equal(clef_aligner_trainer_run(b, NULL, stop_at_10, NULL), CLEF_ERR_CANCELLED);
    assert_int_equal(clef_aligner_trainer_save(b, ck), CLEF_OK);
    clef_aligner_trainer_free(b);
    assert_int_equal(clef_aligner_trainer_resume(&c, ctx, ck, p20, 1), CLEF_OK);
    assert_int_equal(clef_aligner_trainer_steps(c), 10);
    add_planted(c, 40, CLEF_SPLIT_TRAIN, 8);
    assert_int_equal(clef_aligner_trainer_run(c, NULL, NULL, NULL), CLEF_OK);
    const clef_aligner *x = clef_aligner_trainer_aligner(a), *y = clef_aligner_trainer_aligner(c);
    assert_int_equal(x->lay.total, y->lay.total);
    assert_memory_equal(x->flat, y->flat, x->lay.total * sizeof(float));
    /* a checkpoint loads as an aligner */
    clef_aligner *l;
    assert_int_equal(clef_aligner_load(&l, ctx, ck2), CLEF_OK);
    assert_memory_equal(l->flat, x->flat, x->lay.total * sizeof(float));
    clef_aligner_free(l);
    clef_aligner_trainer_free(a);
    clef_aligner_trainer_free(c);
    clef_params_free(p20);
    remove(ck);
    remove(ck2);
    clef_ctx_free(ctx);
}

/* Trains 20 steps on the planted sessions, as sentences or not, with sentence dropout p;
 * stops at step 10, saves and resumes when split. The trainer's aligner weights are copied
 * to w (n floats). */
static size_t train_sentences(clef_ctx *ctx, int sentences, double p, int split, float *w,
                              size_t cap) {
    clef_params *par = small_params(ctx, 20, 0);
    assert_int_equal(clef_params_set_f64(par, CLEF_P_ALIGN_SENTENCE_DROPOUT, p), CLEF_OK);
    clef_aligner_trainer *t;
    assert_int_equal(clef_aligner_trainer_create(&t, ctx, par, split ? 1 : 2), CLEF_OK);
    add_planted_as(t, 40, CLEF_SPLIT_TRAIN, 8, sentences);
    if (split) {
        char ck[256];
        test_tmp_path(ck, sizeof ck, "align_sent.ckpt");
        assert_int_equal(clef_aligner_trainer_run(t, NULL, stop_at_10, NULL), CLEF_ERR_CANCELLED);
        assert_int_equal(clef_aligner_trainer_save(t, ck), CLEF_OK);
        clef_aligner_trainer_free(t);
        assert_int_equal(clef_aligner_trainer_resume(&t, ctx, ck, par, 2), CLEF_OK);
        add_planted_as(t, 40, CLEF_SPLIT_TRAIN, 8, sentences);
        remove(ck);
    }
    assert_int_equal(clef_aligner_trainer_run(t, NULL, NULL, NULL), CLEF_OK);
    const clef_aligner *a = clef_aligner_trainer_aligner(t);
    assert_true(a->lay.total <= cap);
    memcpy(w, a->flat, a->lay.total * sizeof *w);
    size_t n = a->lay.total;
    clef_aligner_trainer_free(t);
    clef_params_free(par);
    return n;
}

/* Sentence dropout: drawn from (seed, step, session) only, so a resumed run on another thread
 * count is bit-identical; with chance 0 it equals training on whole reports; with 0.5 it
 * changes what is learned (so it is not a no-op). */
static void test_sentence_dropout(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    enum { CAP = 1 << 16 };
    float *w0 = malloc(CAP * sizeof *w0), *w1 = malloc(CAP * sizeof *w1);
    assert_non_null(w0);
    assert_non_null(w1);
    size_t n = train_sentences(ctx, 1, 0.5, 0, w0, CAP);
    assert_int_equal(train_sentences(ctx, 1, 0.5, 1, w1, CAP), n);
    assert_memory_equal(w0, w1, n * sizeof *w0);
    train_sentences(ctx, 1, 0.0, 0, w0, CAP);
    train_sentences(ctx, 0, 0.5, 0, w1, CAP);
    assert_memory_equal(w0, w1, n * sizeof *w0);
    train_sentences(ctx, 1, 0.5, 0, w1, CAP);
    assert_memory_not_equal(w0, w1, n * sizeof *w0);
    /* the whole-text mode is kept in the weights too */
    clef_params *par = small_params(ctx, 2, 0);
    assert_int_equal(clef_params_set_i64(par, CLEF_P_ALIGN_TEXT_SENTENCES, 0), CLEF_OK);
    clef_aligner_trainer *t;
    assert_int_equal(clef_aligner_trainer_create(&t, ctx, par, 1), CLEF_OK);
    add_planted(t, 20, CLEF_SPLIT_TRAIN, 3);
    assert_int_equal(clef_aligner_trainer_run(t, NULL, NULL, NULL), CLEF_OK);
    char path[256];
    test_tmp_path(path, sizeof path, "align_whole.safetensors");
    assert_int_equal(clef_aligner_save(clef_aligner_trainer_aligner(t), ctx, path), CLEF_OK);
    clef_aligner *l;
    assert_int_equal(clef_aligner_load(&l, ctx, path), CLEF_OK);
    assert_int_equal(l->cfg.text_sentences, 0);
    clef_aligner_free(l);
    clef_aligner_trainer_free(t);
    clef_params_free(par);
    remove(path);
    free(w0);
    free(w1);
    clef_ctx_free(ctx);
}

/* save -> load gives the same embeddings; bad calls name their problem. */
static void test_save_load_errors(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_params *p = small_params(ctx, 5, 0);
    clef_aligner_trainer *tr;
    assert_int_equal(clef_aligner_trainer_create(&tr, ctx, p, 1), CLEF_OK);
    assert_null(clef_aligner_trainer_aligner(tr));
    assert_int_equal(clef_aligner_trainer_run(tr, NULL, NULL, NULL), CLEF_ERR_STATE);
    assert_non_null(strstr(clef_aligner_trainer_errmsg(tr), "training sessions"));
    add_planted(tr, 20, CLEF_SPLIT_TRAIN, 9);
    float bad[IN + 1] = {0};
    assert_int_equal(clefi_al_trainer_add_states(tr, bad, IN + 1, NULL, 0, NULL, 0, TD, NULL, NULL,
                                                 CLEF_SPLIT_TRAIN),
                     CLEF_ERR_SHAPE);
    assert_int_equal(clef_aligner_trainer_run(tr, NULL, NULL, NULL), CLEF_OK);
    char path[256];
    test_tmp_path(path, sizeof path, "aligner.safetensors");
    const clef_aligner *al = clef_aligner_trainer_aligner(tr);
    assert_int_equal(clef_aligner_save(al, ctx, path), CLEF_OK);
    clef_aligner *l;
    assert_int_equal(clef_aligner_load(&l, ctx, path), CLEF_OK);
    int64_t in, dim;
    assert_int_equal(clef_aligner_dims(l, &in, &dim), CLEF_OK);
    assert_int_equal(in, IN);
    assert_int_equal(dim, 8);
    assert_int_equal(l->cfg.text_sentences, 1); /* the default, kept in the metadata */
    clef_session *s;
    assert_int_equal(clef_session_create(&s, ctx, 1), CLEF_OK);
    float emb[2 * IN] = {1, 2, 3, 4, 5, 6, -1, 0, 1, 0, -1, 0}, z1[16], z2[16];
    assert_int_equal(clef_aligner_embed_eeg(al, s, emb, 2, IN, z1, 16), CLEF_OK);
    assert_int_equal(clef_aligner_embed_eeg(l, s, emb, 2, IN, z2, 16), CLEF_OK);
    assert_memory_equal(z1, z2, sizeof z1);
    double n2 = 0;
    for (int k = 0; k < 8; k++)
        n2 += z1[k] * z1[k];
    assert_true(fabs(n2 - 1.0) < 1e-5);
    assert_int_equal(clef_aligner_embed_eeg(l, s, emb, 2, IN - 1, z2, 16), CLEF_ERR_SHAPE);
    assert_non_null(strstr(clef_session_errmsg(s), "embed_dim"));
    assert_int_equal(clef_aligner_embed_eeg(l, s, emb, 2, IN, z2, 15), CLEF_ERR_BUFFER_TOO_SMALL);
    emb[3] = NAN;
    assert_int_equal(clef_aligner_embed_eeg(l, s, emb, 2, IN, z2, 16), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_aligner_embed_ehr(l, s, "nothing useful", z2, 16), CLEF_ERR_NOT_FOUND);
    assert_int_equal(clef_aligner_embed_ehr(l, s, "sex F\nICD10CM/Q99.9", z2, 16), CLEF_OK);
    clef_aligner_free(l);
    /* a file that is not an aligner */
    FILE *f = fopen(path, "wb");
    fputs("not safetensors", f);
    fclose(f);
    assert_int_not_equal(clef_aligner_load(&l, ctx, path), CLEF_OK);
    assert_true(clef_ctx_errmsg(ctx)[0] != '\0');
    clef_aligner_free(l);
    remove(path);
    clef_session_free(s);
    clef_aligner_trainer_free(tr);
    clef_params_free(p);
    clef_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ehr_tokens),       cmocka_unit_test(test_gradient_fd),
        cmocka_unit_test(test_learns_planted),   cmocka_unit_test(test_resume_bit_identical),
        cmocka_unit_test(test_sentence_dropout), cmocka_unit_test(test_save_load_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
