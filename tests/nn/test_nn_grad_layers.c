/* test_nn_grad_layers.c — finite-difference gradient checks of every nn layer.
 *
 * Float32 forward, central differences with h = 1e-2 summed in double: the truncation error is
 * O(h^2) and the rounding noise about 1e-6 / h, so the stated tolerance is atol 2e-3 + rtol 1e-2
 * on tiny shapes, every element checked. Inputs avoid the kinks of ReLU-like functions. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>

#include "nn/nn_int.h"
#include "nn_test_util.h"

#define FD_H 1e-2
#define ATOL 2e-3
#define RTOL 1e-2

/* a generic layer under test: y = f(x; w, b), with saved statistics st1, st2 */
typedef struct L {
    nt_case c;
    int64_t N, C, OC, G, T, NH, HH, WW;
    clefi_conv2d s;
    clefi_act act;
    float slope;
    float *x, *w, *b, *y, *dx, *dw, *db, *st1, *st2, *scratch, *mask;
    int32_t *ids;
    uint8_t *pad;
} L;

static L *new_l(void) {
    L *l = calloc(1, sizeof *l);
    assert_non_null(l);
    return l;
}

static float *filled(int64_t n, float lo, float hi, uint64_t seed) {
    float *p = nt_zeros(n);
    nt_fill(p, n, lo, hi, seed);
    return p;
}

static void run(L *l, const char *what, void (*fwd)(void *), void (*bwd)(void *), int64_t nout) {
    nt_case *c = &l->c;
    c->what = what;
    c->arg = l;
    c->fwd = fwd;
    c->bwd = bwd;
    c->out = l->y;
    c->nout = nout;
    c->h = FD_H;
    c->atol = ATOL;
    c->rtol = RTOL;
    nt_gradcheck(c);
    float *ps[] = {l->x,  l->w,   l->b,   l->y,       l->dx,  l->dw,
                   l->db, l->st1, l->st2, l->scratch, l->mask};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        free(ps[i]);
    free(l->ids);
    free(l->pad);
    free(l);
}

static void add_buf(L *l, const char *name, float *x, float *g, int64_t n) {
    l->c.buf[l->c.nb++] = (nt_buf){name, x, g, n};
}

/* x, dx of n elements in [-1, 1) (or away from 0 by 0.05 when away) */
static void make_x(L *l, int64_t n, int away) {
    l->x = nt_zeros(n);
    if (away)
        nt_fill_away(l->x, n, 1.5f, 0.05f, 11);
    else
        nt_fill(l->x, n, -1.f, 1.f, 11);
    l->dx = nt_zeros(n);
    add_buf(l, "x", l->x, l->dx, n);
}

static void make_wb(L *l, int64_t nw, int64_t nb) {
    l->w = filled(nw, -0.5f, 0.5f, 12);
    l->dw = nt_zeros(nw);
    add_buf(l, "w", l->w, l->dw, nw);
    if (nb > 0) {
        l->b = filled(nb, -0.5f, 0.5f, 13);
        l->db = nt_zeros(nb);
        add_buf(l, "b", l->b, l->db, nb);
    }
}

/* ---- linear ---- */
static void lin_f(void *a) {
    L *l = a;
    clefi_linear_forward(NULL, l->y, l->x, l->w, l->b, l->N, l->C, l->OC);
}
static void lin_b(void *a) {
    L *l = a;
    clefi_linear_backward(NULL, l->dx, l->dw, l->db, l->c.R, l->x, l->w, l->N, l->C, l->OC);
}
static void test_grad_linear(void **state) {
    (void)state;
    L *l = new_l();
    l->N = 5, l->C = 7, l->OC = 3;
    make_x(l, l->N * l->C, 0);
    make_wb(l, l->OC * l->C, l->OC);
    l->y = nt_zeros(l->N * l->OC);
    run(l, "linear", lin_f, lin_b, l->N * l->OC);
}

/* ---- embedding ---- */
static void emb_f(void *a) {
    L *l = a;
    assert_int_equal(clefi_embedding_forward(l->y, l->ids, l->w, l->N, l->C, l->OC), CLEF_OK);
}
static void emb_b(void *a) {
    L *l = a;
    clefi_embedding_backward(l->dw, l->c.R, l->ids, l->N, l->C);
}
static void test_grad_embedding(void **state) {
    (void)state;
    L *l = new_l();
    l->N = 6, l->C = 4, l->OC = 5; /* OC = vocabulary */
    l->ids = calloc(6, sizeof(int32_t));
    int32_t ids[] = {0, 3, 3, 4, 1, 3};
    for (int i = 0; i < 6; i++)
        l->ids[i] = ids[i];
    make_wb(l, l->OC * l->C, 0);
    l->y = nt_zeros(l->N * l->C);
    int32_t bad = 5;
    assert_int_equal(clefi_embedding_forward(l->y, &bad, l->w, 1, l->C, l->OC), CLEF_ERR_RANGE);
    run(l, "embedding", emb_f, emb_b, l->N * l->C);
}

/* ---- residual ---- */
static void res_f(void *a) {
    L *l = a;
    clefi_residual_forward(NULL, l->y, l->x, l->w, l->N);
}
static void res_b(void *a) {
    L *l = a;
    clefi_residual_backward(NULL, l->dx, l->dw, l->c.R, l->N);
}
static void test_grad_residual(void **state) {
    (void)state;
    L *l = new_l();
    l->N = 9;
    make_x(l, l->N, 0);
    make_wb(l, l->N, 0);
    l->y = nt_zeros(l->N);
    run(l, "residual", res_f, res_b, l->N);
}

/* ---- activations ---- */
static void act_f(void *a) {
    L *l = a;
    clefi_act_forward(NULL, l->act, l->slope, l->y, l->x, l->N);
}
static void act_b(void *a) {
    L *l = a;
    clefi_act_backward(NULL, l->act, l->slope, l->dx, l->x, l->c.R, l->N);
}
static void test_grad_activations(void **state) {
    (void)state;
    const char *names[] = {"relu", "leaky_relu", "gelu_erf", "gelu_tanh", "silu"};
    for (int k = 0; k <= CLEFI_ACT_SILU; k++) {
        L *l = new_l();
        l->N = 40, l->act = (clefi_act)k, l->slope = 0.2f;
        make_x(l, l->N, 1);
        l->y = nt_zeros(l->N);
        run(l, names[k], act_f, act_b, l->N);
    }
}

/* ---- softmax ---- */
static void sm_f(void *a) {
    L *l = a;
    clefi_softmax_forward(NULL, l->y, l->x, l->N, l->C);
}
static void sm_b(void *a) {
    L *l = a;
    clefi_softmax_backward(NULL, l->dx, l->y, l->c.R, l->N, l->C);
}
static void test_grad_softmax(void **state) {
    (void)state;
    L *l = new_l();
    l->N = 3, l->C = 6;
    make_x(l, l->N * l->C, 0);
    l->y = nt_zeros(l->N * l->C);
    run(l, "softmax", sm_f, sm_b, l->N * l->C);
}

/* ---- dropout ---- */
static void do_f(void *a) {
    L *l = a;
    clefi_dropout_forward(NULL, l->y, l->x, l->N, 0.3f, 42, 1000);
}
static void do_b(void *a) {
    L *l = a;
    clefi_dropout_backward(NULL, l->dx, l->c.R, l->N, 0.3f, 42, 1000);
}
static void test_grad_dropout(void **state) {
    (void)state;
    L *l = new_l();
    l->N = 2000;
    make_x(l, l->N, 0);
    l->y = nt_zeros(l->N);
    do_f(l);
    int64_t kept = 0;
    for (int64_t i = 0; i < l->N; i++) {
        if (l->y[i] != 0.f) {
            kept++;
            assert_true(fabsf(l->y[i] - l->x[i] / 0.7f) < 1e-6f);
        }
    }
    /* keep rate 0.7 within 4 binomial standard deviations (sd = sqrt(2000 * 0.21) = 20.5) */
    assert_true(llabs(kept - 1400) < 82);
    l->N = 50;
    l->c.buf[0].n = 50;
    run(l, "dropout", do_f, do_b, l->N);
}

/* ---- layernorm, groupnorm ---- */
static void ln_f(void *a) {
    L *l = a;
    clefi_layernorm_forward(NULL, l->y, l->st1, l->st2, l->x, l->w, l->b, l->N, l->C, 1e-5f);
}
static void ln_b(void *a) {
    L *l = a;
    clefi_layernorm_backward(NULL, l->dx, l->dw, l->db, l->c.R, l->x, l->w, l->st1, l->st2, l->N,
                             l->C);
}
static void test_grad_layernorm(void **state) {
    (void)state;
    L *l = new_l();
    l->N = 4, l->C = 8;
    make_x(l, l->N * l->C, 0);
    make_wb(l, l->C, l->C);
    l->y = nt_zeros(l->N * l->C);
    l->st1 = nt_zeros(l->N);
    l->st2 = nt_zeros(l->N);
    run(l, "layernorm", ln_f, ln_b, l->N * l->C);
}

static void gn_f(void *a) {
    L *l = a;
    clefi_groupnorm_forward(NULL, l->y, l->st1, l->st2, l->x, l->w, l->b, l->N, l->C, l->T, l->G,
                            1e-5f);
}
static void gn_b(void *a) {
    L *l = a;
    clefi_groupnorm_backward(NULL, l->dx, l->dw, l->db, l->c.R, l->x, l->w, l->st1, l->st2, l->N,
                             l->C, l->T, l->G);
}
static void test_grad_groupnorm(void **state) {
    (void)state;
    L *l = new_l();
    l->N = 2, l->C = 6, l->T = 5, l->G = 3; /* T = H*W */
    make_x(l, l->N * l->C * l->T, 0);
    make_wb(l, l->C, l->C);
    l->y = nt_zeros(l->N * l->C * l->T);
    l->st1 = nt_zeros(l->N * l->G);
    l->st2 = nt_zeros(l->N * l->G);
    run(l, "groupnorm", gn_f, gn_b, l->N * l->C * l->T);
}

/* ---- conv2d, transposed conv2d, upsampling ---- */
static void conv_f(void *a) {
    L *l = a;
    clefi_conv2d_forward(NULL, l->y, l->x, l->w, l->b, &l->s, l->scratch);
}
static void conv_b(void *a) {
    L *l = a;
    clefi_conv2d_backward(NULL, l->dx, l->dw, l->db, l->c.R, l->x, l->w, &l->s, l->scratch);
}
static void conv_case(int64_t KH, int64_t KW, int64_t SH, int64_t SW, int64_t PH, int64_t PW,
                      const char *what) {
    L *l = new_l();
    assert_int_equal(clefi_conv2d_init_rect(&l->s, 2, 3, 7, 6, 4, KH, KW, SH, SW, PH, PW), CLEF_OK);
    const clefi_conv2d *s = &l->s;
    make_x(l, s->B * s->C * s->H * s->W, 0);
    make_wb(l, s->OC * s->C * s->KH * s->KW, s->OC);
    l->scratch = nt_zeros((int64_t)clefi_conv2d_scratch(s));
    l->y = nt_zeros(s->B * s->OC * s->OH * s->OW);
    run(l, what, conv_f, conv_b, s->B * s->OC * s->OH * s->OW);
}
static void test_grad_conv2d(void **state) {
    (void)state;
    conv_case(3, 3, 1, 1, 1, 1, "conv2d k3 s1 p1");
    /* stride 1: the input gradient as a full convolution (conv.c), other paddings and shapes */
    conv_case(3, 2, 1, 1, 0, 1, "conv2d k3x2 s1 p0x1");
    conv_case(1, 1, 1, 1, 0, 0, "conv2d k1 s1 p0");
    conv_case(3, 3, 2, 2, 1, 1, "conv2d k3 s2 p1");
    conv_case(4, 4, 2, 2, 0, 0, "conv2d k4 s2 p0");
    conv_case(3, 1, 2, 1, 1, 0, "conv2d k3x1 s2x1 p1x0");
    clefi_conv2d s;
    assert_int_equal(clefi_conv2d_init(&s, 1, 1, 2, 2, 1, 5, 1, 0), CLEF_ERR_SHAPE);
}

static void convt_f(void *a) {
    L *l = a;
    clefi_conv_transpose2d_forward(NULL, l->y, l->x, l->w, l->b, &l->s, l->scratch);
}
static void convt_b(void *a) {
    L *l = a;
    clefi_conv_transpose2d_backward(NULL, l->dx, l->dw, l->db, l->c.R, l->x, l->w, &l->s,
                                    l->scratch);
}
static void test_grad_conv_transpose2d(void **state) {
    (void)state;
    L *l = new_l();
    /* ConvTranspose2d(3, 2, 3, stride 2, padding 1, output_padding 1): 4x5 -> 8x10 */
    assert_int_equal(clefi_conv_transpose2d_init(&l->s, 2, 3, 4, 5, 2, 3, 2, 1, 1), CLEF_OK);
    const clefi_conv2d *s = &l->s;
    assert_int_equal(s->H, 8);
    assert_int_equal(s->W, 10);
    make_x(l, s->B * s->OC * s->OH * s->OW, 0);
    make_wb(l, s->OC * s->C * s->KH * s->KW, s->C);
    l->scratch = nt_zeros((int64_t)clefi_conv2d_scratch(s));
    l->y = nt_zeros(s->B * s->C * s->H * s->W);
    run(l, "conv_transpose2d", convt_f, convt_b, s->B * s->C * s->H * s->W);
}

static void up_f(void *a) {
    L *l = a;
    clefi_upsample2x_forward(NULL, l->y, l->x, l->N, l->C, l->HH, l->WW);
}
static void up_b(void *a) {
    L *l = a;
    clefi_upsample2x_backward(NULL, l->dx, l->c.R, l->N, l->C, l->HH, l->WW);
}
static void upr_f(void *a) {
    L *l = a;
    clefi_upsample_forward(NULL, l->y, l->x, l->N, l->C, l->HH, l->WW, 2, 1);
}
static void upr_b(void *a) {
    L *l = a;
    clefi_upsample_backward(NULL, l->dx, l->c.R, l->N, l->C, l->HH, l->WW, 2, 1);
}
static void test_grad_upsample(void **state) {
    (void)state;
    L *l = new_l();
    l->N = 2, l->C = 2, l->HH = 3, l->WW = 4;
    make_x(l, 48, 0);
    l->y = nt_zeros(4 * 48);
    run(l, "upsample2x", up_f, up_b, 4 * 48);
    l = new_l();
    l->N = 2, l->C = 2, l->HH = 3, l->WW = 4;
    make_x(l, 48, 0);
    l->y = nt_zeros(2 * 48);
    run(l, "upsample (2,1)", upr_f, upr_b, 2 * 48);
}

/* ---- attention ---- */
static void at_f(void *a) {
    L *l = a;
    clefi_attention_forward(NULL, l->y, l->st1, l->x, l->pad, l->mask, l->N, l->T, l->C, l->NH,
                            l->scratch);
}
static void at_b(void *a) {
    L *l = a;
    clefi_attention_backward(NULL, l->dx, l->c.R, l->y, l->st1, l->x, l->pad, l->mask, l->N, l->T,
                             l->C, l->NH, l->scratch);
}
/* T spans two query tiles and two key tiles when large: tiling and the online softmax are
 * exercised; key padding and an additive mask (a causal band) are applied. */
static void attention_case(int64_t N, int64_t T, int64_t C, int masks, const char *what) {
    L *l = new_l();
    l->N = N, l->T = T, l->C = C, l->NH = 2;
    make_x(l, l->N * T * 3 * l->C, 0);
    l->st1 = nt_zeros(l->N * l->NH * T);
    l->scratch = nt_zeros((int64_t)clefi_attention_scratch(T, C / 2, 1));
    l->y = nt_zeros(l->N * T * l->C);
    if (masks) {
        l->pad = calloc((size_t)(l->N * T), 1);
        l->mask = nt_zeros(T * T);
        for (int64_t t = T - 3; t < T; t++)
            l->pad[(N - 1) * T + t] = 1; /* last batch: last 3 keys are padding */
        for (int64_t i = 0; i < T; i++)
            for (int64_t j = 0; j < T; j++)
                l->mask[i * T + j] = j > i + 1 ? -INFINITY : 0.1f * (float)((i + j) % 3);
    }
    run(l, what, at_f, at_b, l->N * T * l->C);
}
static void test_grad_attention(void **state) {
    (void)state;
    attention_case(2, 5, 8, 0, "attention");
    attention_case(2, 6, 8, 1, "attention masked");
    attention_case(1, CLEFI_ATTN_KT + 9, 4, 1, "attention tiled masked");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grad_linear),    cmocka_unit_test(test_grad_embedding),
        cmocka_unit_test(test_grad_residual),  cmocka_unit_test(test_grad_activations),
        cmocka_unit_test(test_grad_softmax),   cmocka_unit_test(test_grad_dropout),
        cmocka_unit_test(test_grad_layernorm), cmocka_unit_test(test_grad_groupnorm),
        cmocka_unit_test(test_grad_conv2d),    cmocka_unit_test(test_grad_conv_transpose2d),
        cmocka_unit_test(test_grad_upsample),  cmocka_unit_test(test_grad_attention),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
