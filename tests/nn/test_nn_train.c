/* test_nn_train.c — training utilities end to end on tiny_model:
 * - a 1-block Transformer learns the toy task (predict the previous token) within 300 AdamW
 *   steps: held-out loss below 0.05 nats (chance: ln 8 = 2.08);
 * - the same 12 steps with 1, 2 and 3 threads give bit-identical parameters;
 * - gradient accumulation over 2 micro-batches equals one batch of twice the size;
 * - checkpoint resume: 10 steps, save, reload into a fresh model, 10 more steps is
 *   bit-identical to 20 uninterrupted steps (params, AdamW moments, EMA, step, data cursor). */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_test_util.h"
#include "tiny_model.h"
#include "weights_util.h"

static const tiny_cfg CFG = {
    .V = 8, .T = 8, .C = 16, .NH = 2, .F = 32, .L = 1, .B = 8, .n_threads = 1, .seed = 5};

static clef_ctx *new_ctx(void) {
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    return ctx;
}

static void test_train_converges(void **state) {
    (void)state;
    clef_ctx *ctx = new_ctx();
    tiny m;
    assert_int_equal(tiny_create(&m, ctx, &CFG), CLEF_OK);
    double first = tiny_train_step(&m, 1, 300), last = first;
    for (int s = 1; s < 300; s++)
        last = tiny_train_step(&m, 1, 300);
    m.data_pos = UINT64_C(1) << 40; /* held-out sequences */
    tiny_next_batch(&m);
    double held = tiny_batch(&m, 0, 1.f);
    print_message("tiny model: loss %.3f -> %.4f (held-out %.4f)\n", first, last, held);
    assert_true(first > 1.8);
    assert_true(held < 0.05);
    tiny_free(&m);
    clef_ctx_free(ctx);
}

static void test_train_thread_independent(void **state) {
    (void)state;
    clef_ctx *ctx = new_ctx();
    float *ref = NULL;
    tiny_cfg cfg = CFG;
    cfg.C = 32, cfg.NH = 4, cfg.F = 64, cfg.L = 2, cfg.T = 40, cfg.B = 16; /* 640-row GEMMs */
    for (int32_t nt = 1; nt <= 3; nt++) {
        cfg.n_threads = nt;
        tiny m;
        assert_int_equal(tiny_create(&m, ctx, &cfg), CLEF_OK);
        for (int s = 0; s < 12; s++)
            tiny_train_step(&m, 1, 12);
        if (ref == NULL) {
            ref = nt_zeros((int64_t)m.lay.total);
            memcpy(ref, m.params, m.lay.total * sizeof(float));
        } else if (memcmp(ref, m.params, m.lay.total * sizeof(float)) != 0) {
            print_error("parameters differ between 1 and %d threads\n", (int)nt);
            fail();
        }
        tiny_free(&m);
    }
    free(ref);
    clef_ctx_free(ctx);
}

static void test_grad_accumulation(void **state) {
    (void)state;
    clef_ctx *ctx = new_ctx();
    tiny a, b;
    tiny_cfg half = CFG;
    half.B = CFG.B / 2;
    assert_int_equal(tiny_create(&a, ctx, &CFG), CLEF_OK);
    assert_int_equal(tiny_create(&b, ctx, &half), CLEF_OK);
    tiny_next_batch(&a);
    double la = tiny_batch(&a, 1, 1.f), lb = 0.0;
    for (int k = 0; k < 2; k++) { /* same tokens: the data cursor counts tokens */
        tiny_next_batch(&b);
        lb += tiny_batch(&b, 1, 0.5f) / 2;
    }
    assert_true(fabs(la - lb) < 1e-6);
    test_assert_close_f32(b.grads, a.grads, a.lay.total, 1e-6, 1e-4, "accumulated grads");
    tiny_free(&a);
    tiny_free(&b);
    clef_ctx_free(ctx);
}

/* ---- checkpoint (clefi_ckpt_save / clefi_ckpt_load): params, AdamW moments, EMA, the RNG
 * state (the counter RNG's seed), step and data cursor ---- */
static void save_ckpt(tiny *m, clef_ctx *ctx, const char *path) {
    uint64_t seed = m->cfg.seed;
    clefi_ckpt ck = {m->params,
                     m->m,
                     m->v,
                     m->ema,
                     (unsigned char *)&seed,
                     sizeof seed,
                     m->step,
                     (int64_t)m->data_pos,
                     1};
    const char *meta[] = {"clef.test.model", "tiny"};
    assert_int_equal(clefi_ckpt_save(ctx, path, &m->lay, &ck, meta, 1, NULL), CLEF_OK);
}

static void load_ckpt(tiny *m, clef_ctx *ctx, const char *path) {
    clef_weights *w;
    assert_int_equal(clef_weights_open(&w, ctx, path), CLEF_OK);
    uint64_t seed = 0;
    clefi_ckpt ck = {m->params, m->m, m->v, m->ema, (unsigned char *)&seed, sizeof seed, 0, 0, 0};
    clef_status rc = clefi_ckpt_load(w, &m->lay, &ck, 1, NULL);
    if (rc != CLEF_OK)
        print_error("checkpoint load: %s\n", clef_weights_errmsg(w));
    assert_int_equal(rc, CLEF_OK);
    m->step = ck.step;
    m->data_pos = (uint64_t)ck.data_cursor;
    m->cfg.seed = seed;
    clef_weights_free(w);
}

static float **bufs_of(tiny *m, float *out[4]) {
    out[0] = m->params, out[1] = m->m, out[2] = m->v, out[3] = m->ema;
    return out;
}

static const char *BUFS[] = {"params", "adamw.m", "adamw.v", "ema"};

static void test_checkpoint_resume(void **state) {
    (void)state;
    clef_ctx *ctx = new_ctx();
    const char *dir = wt_tmpdir(), *path = wt_path(dir, "tiny.safetensors");
    tiny a, b;
    assert_int_equal(tiny_create(&a, ctx, &CFG), CLEF_OK);
    for (int s = 0; s < 20; s++)
        tiny_train_step(&a, 1, 20);
    assert_int_equal(tiny_create(&b, ctx, &CFG), CLEF_OK);
    for (int s = 0; s < 10; s++)
        tiny_train_step(&b, 1, 20);
    save_ckpt(&b, ctx, path);
    tiny_free(&b);
    tiny_cfg other = CFG;
    other.seed = 99; /* a different init and data seed, both restored from the checkpoint */
    assert_int_equal(tiny_create(&b, ctx, &other), CLEF_OK);
    load_ckpt(&b, ctx, path);
    for (int s = 0; s < 10; s++)
        tiny_train_step(&b, 1, 20);
    float *ba[4], *bb[4];
    bufs_of(&a, ba);
    bufs_of(&b, bb);
    for (int i = 0; i < 4; i++)
        if (memcmp(ba[i], bb[i], a.lay.total * sizeof(float)) != 0) {
            print_error("%s differs after resume\n", BUFS[i]);
            fail();
        }
    assert_int_equal(a.step, b.step);
    tiny_free(&a);
    tiny_free(&b);
    wt_rmdir(dir);
    clef_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_converges), cmocka_unit_test(test_train_thread_independent),
        cmocka_unit_test(test_grad_accumulation), cmocka_unit_test(test_checkpoint_resume)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
