/* test_nn_parity_models.c — a pre-LN Transformer block (MHA with key padding and an additive
 * mask, GELU MLP) and a small conv encoder (conv, GroupNorm, SiLU, strided conv, upsampling,
 * 1x1 conv) against PyTorch: output, input gradient and every parameter gradient.
 * Parameters are bound by name from the golden file with clefi_weights_bind_check/_copy.
 * Tolerance: atol 5e-5, rtol 1e-3 (float32 through ~10 layers vs a float64 reference). */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>

#include "nn/nn_int.h"
#include "nn_test_util.h"

#define ATOL 5e-5
#define RTOL 1e-3

/* params and grads flat buffers of a layout, params bound from tensors "p.<name>" */
static float *bind_params(clef_weights *w, clefi_layout *lay) {
    float *p = nt_zeros((int64_t)lay->total);
    clef_status rc = clefi_weights_bind_check(w, lay, "p.", NULL, NULL);
    if (rc != CLEF_OK)
        print_error("bind: %s\n", clef_weights_errmsg(w));
    assert_int_equal(rc, CLEF_OK);
    clefi_weights_bind_copy(w, lay, "p.", p);
    return p;
}

static void check_param_grads(clef_weights *w, const clefi_layout *lay, const float *g) {
    char key[200];
    for (size_t i = 0; i < lay->n; i++) {
        snprintf(key, sizeof key, "g.%s", lay->t[i].name);
        nt_gold_check(w, key, g + lay->t[i].offset, (int64_t)lay->t[i].numel, ATOL, RTOL);
    }
}

static void test_parity_block(void **state) {
    (void)state;
    clefi_block_dims d = {
        .B = 2, .T = 12, .C = 16, .NH = 4, .F = 32, .eps = 1e-5f, .act = CLEFI_ACT_GELU_ERF};
    int64_t n = d.B * d.T * d.C;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_weights *w = nt_gold_open("block");
    clefi_layout lay;
    clefi_layout_init(&lay, ctx);
    assert_int_equal(clefi_block_layout(&lay, "", d.C, d.F), CLEF_OK);
    float *params = bind_params(w, &lay), *grads = nt_zeros((int64_t)lay.total);
    clefi_block_params p, g;
    clefi_block_params_at(&p, params, &lay, 0);
    clefi_block_params_at(&g, grads, &lay, 0);
    float *x = nt_gold(w, "x", n, NULL), *dy = nt_gold(w, "dy", n, NULL), *dx = nt_zeros(n);
    float *kpf = nt_gold(w, "key_pad", d.B * d.T, NULL), *mask = nt_gold(w, "mask", 144, NULL);
    uint8_t kp[24];
    for (int i = 0; i < 24; i++)
        kp[i] = kpf[i] != 0.f;
    for (int32_t nt = 1; nt <= 2; nt++) {
        clefi_pool *pool;
        assert_int_equal(clefi_pool_create(&pool, ctx, nt), CLEF_OK);
        clefi_block_acts a;
        assert_int_equal(clefi_block_acts_alloc(&a, ctx, &d, nt), CLEF_OK);
        clefi_block_forward(pool, &a, &p, x, kp, mask, &d);
        nt_gold_check(w, "y", a.out, n, ATOL, RTOL);
        for (size_t i = 0; i < lay.total; i++)
            grads[i] = 0.f;
        for (int64_t i = 0; i < n; i++)
            dx[i] = 0.f;
        clefi_block_backward(pool, dx, &g, dy, &a, &p, x, kp, mask, &d);
        nt_gold_check(w, "dx", dx, n, ATOL, RTOL);
        check_param_grads(w, &lay, grads);
        clefi_block_acts_free(&a);
        clefi_pool_free(pool);
    }
    free(params), free(grads), free(x), free(dy), free(dx), free(kpf), free(mask);
    clefi_layout_free(&lay);
    clef_weights_free(w);
    clef_ctx_free(ctx);
}

/* ---- conv encoder: the torch ConvEncoder of tools/ref/nn_ref.py ---- */
#define ENC_TENSORS(X)                                                                             \
    X(c1w, "conv1.weight", 4, 8, 3, 3, 3)                                                          \
    X(c1b, "conv1.bias", 1, 8)                                                                     \
    X(g1w, "gn1.weight", 1, 8)                                                                     \
    X(g1b, "gn1.bias", 1, 8)                                                                       \
    X(c2w, "conv2.weight", 4, 8, 8, 4, 4)                                                          \
    X(c2b, "conv2.bias", 1, 8)                                                                     \
    X(g2w, "gn2.weight", 1, 8)                                                                     \
    X(g2b, "gn2.bias", 1, 8)                                                                       \
    X(c3w, "conv3.weight", 4, 4, 8, 1, 1)                                                          \
    X(c3b, "conv3.bias", 1, 4)

typedef struct enc_p {
#define FIELD_(f, name, rank, ...) float *f;
    ENC_TENSORS(FIELD_)
#undef FIELD_
} enc_p;

static void enc_at(enc_p *p, float *base, const clefi_layout *lay) {
    size_t i = 0;
#define AT_(f, name, rank, ...) p->f = base + lay->t[i++].offset;
    ENC_TENSORS(AT_)
#undef AT_
}

enum { B = 2, HH = 12, WW = 10, A1 = B * 8 * HH * WW, A2 = B * 8 * 6 * 5 };

/* activations: c1 g1 s1 (A1), c2 g2 s2 (A2), up (A1), stats, col scratch */
typedef struct enc_a {
    clefi_conv2d s1, s2, s3;
    float c1[A1], g1[A1], s1a[A1], c2[A2], g2[A2], s2a[A2], up[A1];
    float m1[8], r1[8], m2[4], r2[4];
    float col[8 * 16 * 30 + 27 * 120 + 8 * 120 + 8 * (30 + 8 * 16)]; /* >= each scratch */
} enc_a;

static void enc_forward(enc_a *a, const enc_p *p, const float *x, float *y) {
    clefi_conv2d_forward(NULL, a->c1, x, p->c1w, p->c1b, &a->s1, a->col);
    clefi_groupnorm_forward(NULL, a->g1, a->m1, a->r1, a->c1, p->g1w, p->g1b, B, 8, HH * WW, 4,
                            1e-5f);
    clefi_act_forward(NULL, CLEFI_ACT_SILU, 0.f, a->s1a, a->g1, A1);
    clefi_conv2d_forward(NULL, a->c2, a->s1a, p->c2w, p->c2b, &a->s2, a->col);
    clefi_groupnorm_forward(NULL, a->g2, a->m2, a->r2, a->c2, p->g2w, p->g2b, B, 8, 30, 2, 1e-5f);
    clefi_act_forward(NULL, CLEFI_ACT_SILU, 0.f, a->s2a, a->g2, A2);
    clefi_upsample2x_forward(NULL, a->up, a->s2a, B, 8, 6, 5);
    clefi_conv2d_forward(NULL, y, a->up, p->c3w, p->c3b, &a->s3, a->col);
}

static void enc_backward(enc_a *a, const enc_p *p, const enc_p *g, const float *x, const float *dy,
                         float *dx) {
    float *d1 = nt_zeros(A1), *d2 = nt_zeros(A1), *e1 = nt_zeros(A2), *e2 = nt_zeros(A2);
    clefi_conv2d_backward(NULL, d1, g->c3w, g->c3b, dy, a->up, p->c3w, &a->s3, a->col);
    clefi_upsample2x_backward(NULL, e1, d1, B, 8, 6, 5);
    clefi_act_backward(NULL, CLEFI_ACT_SILU, 0.f, e2, a->g2, e1, A2);
    for (int i = 0; i < A2; i++)
        e1[i] = 0.f;
    clefi_groupnorm_backward(NULL, e1, g->g2w, g->g2b, e2, a->c2, p->g2w, a->m2, a->r2, B, 8, 30,
                             2);
    for (int i = 0; i < A1; i++)
        d1[i] = 0.f;
    clefi_conv2d_backward(NULL, d1, g->c2w, g->c2b, e1, a->s1a, p->c2w, &a->s2, a->col);
    clefi_act_backward(NULL, CLEFI_ACT_SILU, 0.f, d2, a->g1, d1, A1);
    for (int i = 0; i < A1; i++)
        d1[i] = 0.f;
    clefi_groupnorm_backward(NULL, d1, g->g1w, g->g1b, d2, a->c1, p->g1w, a->m1, a->r1, B, 8,
                             HH * WW, 4);
    clefi_conv2d_backward(NULL, dx, g->c1w, g->c1b, d1, x, p->c1w, &a->s1, a->col);
    free(d1), free(d2), free(e1), free(e2);
}

static void test_parity_conv_encoder(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_weights *w = nt_gold_open("conv_encoder");
    clefi_layout lay;
    clefi_layout_init(&lay, ctx);
#define ADD_(f, name, rank, ...)                                                                   \
    assert_int_equal(clefi_layout_add(&lay, name, rank, (const int64_t[]){__VA_ARGS__}), CLEF_OK);
    ENC_TENSORS(ADD_)
#undef ADD_
    float *params = bind_params(w, &lay), *grads = nt_zeros((int64_t)lay.total);
    enc_p p, g;
    enc_at(&p, params, &lay);
    enc_at(&g, grads, &lay);
    enc_a *a = calloc(1, sizeof *a);
    assert_non_null(a);
    assert_int_equal(clefi_conv2d_init(&a->s1, B, 3, HH, WW, 8, 3, 1, 1), CLEF_OK);
    assert_int_equal(clefi_conv2d_init(&a->s2, B, 8, HH, WW, 8, 4, 2, 1), CLEF_OK);
    assert_int_equal(clefi_conv2d_init(&a->s3, B, 8, HH, WW, 4, 1, 1, 0), CLEF_OK);
    assert_true(clefi_conv2d_scratch(&a->s2) <= sizeof a->col / sizeof(float));
    float *x = nt_gold(w, "x", B * 3 * HH * WW, NULL),
          *dy = nt_gold(w, "dy", B * 4 * HH * WW, NULL);
    float *y = nt_zeros(B * 4 * HH * WW), *dx = nt_zeros(B * 3 * HH * WW);
    enc_forward(a, &p, x, y);
    nt_gold_check(w, "y", y, B * 4 * HH * WW, ATOL, RTOL);
    enc_backward(a, &p, &g, x, dy, dx);
    nt_gold_check(w, "dx", dx, B * 3 * HH * WW, ATOL, RTOL);
    check_param_grads(w, &lay, grads);
    free(a), free(params), free(grads), free(x), free(dy), free(y), free(dx);
    clefi_layout_free(&lay);
    clef_weights_free(w);
    clef_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_parity_block),
                                       cmocka_unit_test(test_parity_conv_encoder)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
