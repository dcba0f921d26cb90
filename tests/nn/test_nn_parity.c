/* test_nn_parity.c — every nn layer and loss against PyTorch (float64 reference computed from
 * the same float32 inputs; tools/ref/nn_ref.py writes tests/data/golden/nn/nn_*.safetensors).
 *
 * Tolerances (|c - ref| <= atol + rtol |ref|): elementwise layers and losses atol 1e-5,
 * rtol 1e-4; GEMM layers (sums of up to ~100 float32 products) atol 1e-5, rtol 1e-4; attention
 * (online softmax, fast exp) atol 2e-5, rtol 1e-4; AdamW after 5 steps atol 1e-6, rtol 1e-5. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "nn/nn_int.h"
#include "nn_test_util.h"

#define ATOL 1e-5
#define RTOL 1e-4

static float *get(clef_weights *w, const char *key, int64_t n) { return nt_gold(w, key, n, NULL); }

static void check_grad(clef_weights *w, const char *key, float *g, int64_t n, double atol,
                       double rtol) {
    nt_gold_check(w, key, g, n, atol, rtol);
    free(g);
}

static void test_parity_linear(void **state) {
    (void)state;
    clef_weights *w = nt_gold_open("linear");
    float *x = get(w, "x", 24), *wt = get(w, "w", 30), *b = get(w, "b", 5), *dy = get(w, "dy", 20);
    float *y = nt_zeros(20), *dx = nt_zeros(24), *dw = nt_zeros(30), *db = nt_zeros(5);
    clefi_linear_forward(NULL, y, x, wt, b, 4, 6, 5);
    nt_gold_check(w, "y", y, 20, ATOL, RTOL);
    clefi_linear_backward(NULL, dx, dw, db, dy, x, wt, 4, 6, 5);
    check_grad(w, "dx", dx, 24, ATOL, RTOL);
    check_grad(w, "dw", dw, 30, ATOL, RTOL);
    check_grad(w, "db", db, 5, ATOL, RTOL);
    free(x), free(wt), free(b), free(dy), free(y);
    clef_weights_free(w);
}

static void test_parity_embedding(void **state) {
    (void)state;
    clef_weights *w = nt_gold_open("embedding");
    float *idf = get(w, "ids", 5), *tab = get(w, "w", 28), *dy = get(w, "dy", 20);
    int32_t ids[5];
    for (int i = 0; i < 5; i++)
        ids[i] = (int32_t)idf[i];
    float *y = nt_zeros(20), *dw = nt_zeros(28);
    assert_int_equal(clefi_embedding_forward(y, ids, tab, 5, 4, 7), CLEF_OK);
    nt_gold_check(w, "y", y, 20, 0, 0);
    clefi_embedding_backward(dw, dy, ids, 5, 4);
    check_grad(w, "dw", dw, 28, ATOL, RTOL);
    free(idf), free(tab), free(dy), free(y);
    clef_weights_free(w);
}

/* conv2d and conv_transpose2d share the golden layout x, w, b, y, dy, dx, dw, db */
static void conv_parity(const char *name, const clefi_conv2d *s, int transposed) {
    clef_weights *w = nt_gold_open(name);
    int64_t nx, nw, nb, ny;
    float *x = nt_gold(w, "x", -1, &nx), *wt = nt_gold(w, "w", -1, &nw);
    float *b = nt_gold(w, "b", -1, &nb), *dy = nt_gold(w, "dy", -1, &ny);
    float *y = nt_zeros(ny), *dx = nt_zeros(nx), *dw = nt_zeros(nw), *db = nt_zeros(nb);
    float *col = nt_zeros((int64_t)clefi_conv2d_scratch(s));
    if (transposed) {
        clefi_conv_transpose2d_forward(NULL, y, x, wt, b, s, col);
        clefi_conv_transpose2d_backward(NULL, dx, dw, db, dy, x, wt, s, col);
    } else {
        clefi_conv2d_forward(NULL, y, x, wt, b, s, col);
        clefi_conv2d_backward(NULL, dx, dw, db, dy, x, wt, s, col);
    }
    nt_gold_check(w, "y", y, ny, ATOL, RTOL);
    check_grad(w, "dx", dx, nx, ATOL, RTOL);
    check_grad(w, "dw", dw, nw, ATOL, RTOL);
    check_grad(w, "db", db, nb, ATOL, RTOL);
    free(x), free(wt), free(b), free(dy), free(y), free(col);
    clef_weights_free(w);
}

static void test_parity_conv(void **state) {
    (void)state;
    clefi_conv2d s;
    assert_int_equal(clefi_conv2d_init(&s, 2, 3, 9, 8, 4, 3, 2, 1), CLEF_OK);
    conv_parity("conv2d", &s, 0);
    assert_int_equal(clefi_conv2d_init_rect(&s, 2, 3, 9, 8, 4, 3, 1, 2, 1, 1, 0), CLEF_OK);
    conv_parity("conv2d_rect", &s, 0);
    assert_int_equal(clefi_conv_transpose2d_init(&s, 2, 3, 4, 5, 2, 3, 2, 1, 1), CLEF_OK);
    conv_parity("conv_transpose2d", &s, 1);
}

static void test_parity_upsample(void **state) {
    (void)state;
    clef_weights *w = nt_gold_open("upsample2x");
    float *x = get(w, "x", 120), *dy = get(w, "dy", 480), *y = nt_zeros(480), *dx = nt_zeros(120);
    clefi_upsample2x_forward(NULL, y, x, 2, 3, 4, 5);
    nt_gold_check(w, "y", y, 480, 0, 0);
    clefi_upsample2x_backward(NULL, dx, dy, 2, 3, 4, 5);
    check_grad(w, "dx", dx, 120, ATOL, RTOL);
    free(x), free(dy), free(y);
    clef_weights_free(w);

    w = nt_gold_open("upsample21"); /* scale_factor (2, 1), as the tokenizer's frequency axis */
    x = get(w, "x", 120), dy = get(w, "dy", 240), y = nt_zeros(240), dx = nt_zeros(120);
    clefi_upsample_forward(NULL, y, x, 2, 3, 4, 5, 2, 1);
    nt_gold_check(w, "y", y, 240, 0, 0);
    clefi_upsample_backward(NULL, dx, dy, 2, 3, 4, 5, 2, 1);
    check_grad(w, "dx", dx, 120, ATOL, RTOL);
    free(x), free(dy), free(y);
    clef_weights_free(w);
}

static void norm_parity(const char *name, int64_t I, int64_t C, int64_t S, int64_t G) {
    clef_weights *w = nt_gold_open(name);
    int64_t n = I * C * S;
    float *x = get(w, "x", n), *wt = get(w, "w", C), *b = get(w, "b", C), *dy = get(w, "dy", n);
    float *y = nt_zeros(n), *m = nt_zeros(I * G), *r = nt_zeros(I * G);
    float *dx = nt_zeros(n), *dw = nt_zeros(C), *db = nt_zeros(C);
    if (S == 1) {
        clefi_layernorm_forward(NULL, y, m, r, x, wt, b, I, C, 1e-5f);
        clefi_layernorm_backward(NULL, dx, dw, db, dy, x, wt, m, r, I, C);
    } else {
        clefi_groupnorm_forward(NULL, y, m, r, x, wt, b, I, C, S, G, 1e-5f);
        clefi_groupnorm_backward(NULL, dx, dw, db, dy, x, wt, m, r, I, C, S, G);
    }
    nt_gold_check(w, "y", y, n, ATOL, RTOL);
    check_grad(w, "dx", dx, n, ATOL, RTOL);
    check_grad(w, "dw", dw, C, ATOL, RTOL);
    check_grad(w, "db", db, C, ATOL, RTOL);
    free(x), free(wt), free(b), free(dy), free(y), free(m), free(r);
    clef_weights_free(w);
}

static void test_parity_norms(void **state) {
    (void)state;
    norm_parity("layernorm", 5, 8, 1, 1);
    norm_parity("groupnorm", 2, 6, 20, 3);
}

static void test_parity_activations(void **state) {
    (void)state;
    clef_weights *w = nt_gold_open("activations");
    const char *names[] = {"relu", "leaky_relu", "gelu_erf", "gelu_tanh", "silu"};
    float *x = get(w, "x", 64), *y = nt_zeros(64);
    char key[64];
    for (int k = 0; k <= CLEFI_ACT_SILU; k++) {
        clefi_act_forward(NULL, (clefi_act)k, 0.2f, y, x, 64);
        snprintf(key, sizeof key, "%s.y", names[k]);
        nt_gold_check(w, key, y, 64, ATOL, RTOL);
        snprintf(key, sizeof key, "%s.dy", names[k]);
        float *dy = get(w, key, 64), *dx = nt_zeros(64);
        clefi_act_backward(NULL, (clefi_act)k, 0.2f, dx, x, dy, 64);
        snprintf(key, sizeof key, "%s.dx", names[k]);
        check_grad(w, key, dx, 64, ATOL, RTOL);
        free(dy);
    }
    free(x), free(y);
    clef_weights_free(w);

    w = nt_gold_open("softmax");
    x = get(w, "x", 28), y = nt_zeros(28);
    float *dy = get(w, "dy", 28), *dx = nt_zeros(28);
    clefi_softmax_forward(NULL, y, x, 4, 7);
    nt_gold_check(w, "y", y, 28, ATOL, RTOL);
    clefi_softmax_backward(NULL, dx, y, dy, 4, 7);
    check_grad(w, "dx", dx, 28, ATOL, RTOL);
    free(x), free(y), free(dy);
    clef_weights_free(w);
}

static void attention_parity(const char *name, int64_t B, int64_t T, int64_t C) {
    clef_weights *w = nt_gold_open(name);
    float *nhf = get(w, "nh", 1);
    int64_t NH = (int64_t)nhf[0];
    float *qkv = get(w, "qkv", B * T * 3 * C), *kpf = get(w, "key_pad", B * T);
    float *mask = get(w, "mask", T * T), *dy = get(w, "dy", B * T * C);
    uint8_t *kp = calloc((size_t)(B * T), 1);
    for (int64_t i = 0; i < B * T; i++)
        kp[i] = kpf[i] != 0.f;
    float *y = nt_zeros(B * T * C), *lse = nt_zeros(B * NH * T), *dqkv = nt_zeros(B * T * 3 * C);
    clefi_pool *pool;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(clefi_pool_create(&pool, ctx, 2), CLEF_OK);
    float *scr = nt_zeros((int64_t)clefi_attention_scratch(T, C / NH, 2));
    clefi_attention_forward(pool, y, lse, qkv, kp, mask, B, T, C, NH, scr);
    nt_gold_check(w, "y", y, B * T * C, 2e-5, RTOL);
    clefi_attention_backward(pool, dqkv, dy, y, lse, qkv, kp, mask, B, T, C, NH, scr);
    check_grad(w, "dqkv", dqkv, B * T * 3 * C, 2e-5, RTOL);
    clefi_pool_free(pool);
    clef_ctx_free(ctx);
    free(nhf), free(qkv), free(kpf), free(mask), free(dy), free(kp), free(y), free(lse), free(scr);
    clef_weights_free(w);
}

static void test_parity_attention(void **state) {
    (void)state;
    attention_parity("attention", 2, 9, 8);
    attention_parity("attention_tiled", 1, 140, 8);
}

static void expect_scalar(clef_weights *w, const char *key, double v, double tol) {
    float *ref = get(w, key, 1);
    if (fabs(v - ref[0]) > tol * (1.0 + fabs(ref[0]))) {
        print_error("%s: %.8g, reference %.8g\n", key, v, (double)ref[0]);
        fail();
    }
    free(ref);
}

static void test_parity_cross_entropy(void **state) {
    (void)state;
    clef_weights *w = nt_gold_open("cross_entropy");
    float *lg = get(w, "logits", 30), *tf = get(w, "targets", 6), *p = nt_zeros(30);
    float *dl = nt_zeros(30);
    int32_t tg[6];
    for (int i = 0; i < 6; i++)
        tg[i] = (int32_t)tf[i];
    double loss;
    int64_t nv;
    assert_int_equal(clefi_cross_entropy_forward(NULL, &loss, p, lg, tg, 6, 5, -100, &nv), CLEF_OK);
    expect_scalar(w, "loss", loss, 1e-6);
    clefi_cross_entropy_backward(NULL, dl, p, tg, 6, 5, -100, nv, 1.f);
    check_grad(w, "dlogits", dl, 30, ATOL, RTOL);
    free(lg), free(tf), free(p);
    clef_weights_free(w);
}

static void test_parity_regression_gan(void **state) {
    (void)state;
    clef_weights *w = nt_gold_open("regression");
    float *pr = get(w, "pred", 20), *tg = get(w, "target", 20);
    float *g = nt_zeros(20);
    expect_scalar(w, "mse.loss", clefi_mse_forward(pr, tg, 20), 1e-6);
    clefi_mse_backward(g, pr, tg, 20, 1.f);
    check_grad(w, "mse.dpred", g, 20, ATOL, RTOL);
    g = nt_zeros(20);
    expect_scalar(w, "l1.loss", clefi_l1_forward(pr, tg, 20), 1e-6);
    clefi_l1_backward(g, pr, tg, 20, 1.f);
    check_grad(w, "l1.dpred", g, 20, ATOL, RTOL);
    free(pr), free(tg);
    clef_weights_free(w);

    w = nt_gold_open("gan");
    float *x = get(w, "x", 12);
    const char *kinds[] = {"ns", "hinge"}, *terms[] = {"d_real", "d_fake", "g"};
    char key[64];
    for (int k = 0; k < 2; k++)
        for (int t = 0; t < 3; t++) {
            snprintf(key, sizeof key, "%s.%s.loss", kinds[k], terms[t]);
            expect_scalar(w, key, clefi_gan_loss_forward((clefi_gan)k, (clefi_gan_term)t, x, 12),
                          1e-6);
            g = nt_zeros(12);
            clefi_gan_loss_backward((clefi_gan)k, (clefi_gan_term)t, g, x, 12, 1.f);
            snprintf(key, sizeof key, "%s.%s.dx", kinds[k], terms[t]);
            check_grad(w, key, g, 12, ATOL, RTOL);
        }
    free(x);
    clef_weights_free(w);
}

/* the tokenizer's mean-power loss: L1 and MSE of row log-mean-exps (torch.logsumexp) */
static void test_parity_lme(void **state) {
    (void)state;
    clef_weights *w = nt_gold_open("lme");
    float *pr = get(w, "pred", 36), *tg = get(w, "target", 36), *a = get(w, "a", 1);
    const char *names[2] = {"l1", "mse"};
    char key[32];
    for (int k = 0; k < 2; k++) {
        snprintf(key, sizeof key, "%s.loss", names[k]);
        expect_scalar(w, key, clefi_lme_loss_forward((clefi_lme_dist)k, pr, tg, 4, 9, (double)a[0]),
                      1e-6);
        float *g = nt_zeros(36);
        /* backward returns the loss too */
        expect_scalar(
            w, key, clefi_lme_loss_backward((clefi_lme_dist)k, g, pr, tg, 4, 9, (double)a[0], 1.f),
            1e-6);
        snprintf(key, sizeof key, "%s.dpred", names[k]);
        check_grad(w, key, g, 36, ATOL, RTOL);
    }
    free(pr), free(tg), free(a);
    clef_weights_free(w);
}

/* CLIP loss: L2-normalise both towers, then symmetric InfoNCE with a learnable scale */
static void test_parity_infonce(void **state) {
    (void)state;
    clef_weights *w = nt_gold_open("infonce");
    float *a = get(w, "a", 24), *b = get(w, "b", 24), *ls = get(w, "log_scale", 1);
    float an[24], bn[24], na[6], nb[6], dan[24] = {0}, dbn[24] = {0}, dls = 0.f;
    float *da = nt_zeros(24), *db = nt_zeros(24), scr[72];
    clefi_l2norm_forward(an, na, a, 6, 4, 1e-12f);
    clefi_l2norm_forward(bn, nb, b, 6, 4, 1e-12f);
    expect_scalar(w, "loss", clefi_infonce_forward(NULL, an, bn, ls[0], 6, 4, scr), 1e-5);
    clefi_infonce_backward(NULL, dan, dbn, &dls, an, bn, ls[0], 6, 4, 1.f, scr);
    clefi_l2norm_backward(da, dan, an, na, 6, 4, 1e-12f);
    clefi_l2norm_backward(db, dbn, bn, nb, 6, 4, 1e-12f);
    check_grad(w, "da", da, 24, 1e-5, 1e-4);
    check_grad(w, "db", db, 24, 1e-5, 1e-4);
    expect_scalar(w, "dlog_scale", dls, 1e-4);
    free(a), free(b), free(ls);
    clef_weights_free(w);
}

static void test_parity_vq(void **state) {
    (void)state;
    const int64_t N = 50, K = 16, D = 4;
    clef_weights *w = nt_gold_open("vq");
    float *z = get(w, "z", N * D), *cb = get(w, "codebook", K * D), *idf = get(w, "idx", N);
    float *zq = nt_zeros(N * D), *scr = nt_zeros((int64_t)clefi_vq_scratch(K, 1));
    int32_t idx[50];
    double commit = clefi_vq_forward(NULL, zq, idx, z, cb, N, K, D, scr);
    for (int64_t i = 0; i < N; i++)
        assert_int_equal(idx[i], (int32_t)idf[i]);
    nt_gold_check(w, "zq", zq, N * D, 0, 0);
    expect_scalar(w, "commit", commit, 1e-6);
    float *cs = get(w, "cluster_size0", K), *es = get(w, "embed_sum0", K * D);
    float counts[16];
    clefi_vq_ema_update(NULL, cb, cs, es, z, idx, N, K, D, 0.9f, 1e-5f, counts);
    nt_gold_check(w, "cluster_size", cs, K, ATOL, RTOL);
    nt_gold_check(w, "embed_sum", es, K * D, ATOL, RTOL);
    nt_gold_check(w, "codebook_ema", cb, K * D, ATOL, RTOL);
    expect_scalar(w, "perplexity", clefi_vq_perplexity(idx, N, K, counts), 1e-6);
    free(z), free(cb), free(idf), free(zq), free(scr), free(cs), free(es);
    clef_weights_free(w);
}

static void test_parity_adamw(void **state) {
    (void)state;
    clef_weights *w = nt_gold_open("adamw");
    float *p = get(w, "p0", 37), *gr = get(w, "grads", 5 * 37), *m = nt_zeros(37),
          *v = nt_zeros(37);
    clefi_adamw h = {1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f};
    for (int s = 0; s < 5; s++)
        clefi_adamw_step(NULL, &h, p, gr + s * 37, m, v, 37, s + 1);
    nt_gold_check(w, "p", p, 37, 1e-6, 1e-5);
    nt_gold_check(w, "m", m, 37, 1e-6, 1e-5);
    nt_gold_check(w, "v", v, 37, 1e-7, 1e-5);
    float *g = get(w, "clip_g", 37);
    expect_scalar(w, "clip_norm", clefi_grad_clip(NULL, g, 37, 5.0), 1e-6);
    nt_gold_check(w, "clip_out", g, 37, 1e-6, 1e-5);
    free(p), free(gr), free(m), free(v), free(g);
    clef_weights_free(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parity_linear),
        cmocka_unit_test(test_parity_embedding),
        cmocka_unit_test(test_parity_conv),
        cmocka_unit_test(test_parity_upsample),
        cmocka_unit_test(test_parity_norms),
        cmocka_unit_test(test_parity_activations),
        cmocka_unit_test(test_parity_attention),
        cmocka_unit_test(test_parity_cross_entropy),
        cmocka_unit_test(test_parity_regression_gan),
        cmocka_unit_test(test_parity_infonce),
        cmocka_unit_test(test_parity_lme),
        cmocka_unit_test(test_parity_vq),
        cmocka_unit_test(test_parity_adamw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
