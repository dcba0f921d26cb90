/* test_nn_grad_losses.c — finite-difference gradient checks of every loss, the L2
 * normalisation and the vector quantizer's commitment term. Tolerances as in
 * test_nn_grad_layers.c (float32 forward, h = 1e-2, atol 2e-3 + rtol 1e-2). */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_int.h"
#include "nn_test_util.h"

typedef struct LS {
    nt_case c;
    int64_t N, V, D;
    float *x, *dx, *t, *dt, *y, *norm, *scratch, *ls, *dls;
    int32_t *tg, *idx;
    int64_t n_valid;
    clefi_gan kind;
    clefi_gan_term term;
} LS;

static LS *new_ls(const char *what, int64_t nx) {
    LS *l = calloc(1, sizeof *l);
    assert_non_null(l);
    l->x = nt_zeros(nx);
    l->dx = nt_zeros(nx);
    nt_fill(l->x, nx, -2.f, 2.f, 21);
    l->c = (nt_case){.what = what, .arg = l, .h = 1e-2, .atol = 2e-3, .rtol = 1e-2};
    l->c.buf[l->c.nb++] = (nt_buf){"x", l->x, l->dx, nx};
    return l;
}

static void run(LS *l, double (*loss)(void *), void (*bwd)(void *)) {
    l->c.loss = loss;
    l->c.bwd = bwd;
    nt_gradcheck(&l->c);
    float *ps[] = {l->x, l->dx, l->t, l->dt, l->y, l->norm, l->scratch, l->ls, l->dls};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        free(ps[i]);
    free(l->tg);
    free(l->idx);
    free(l);
}

/* ---- cross-entropy with ignore index ---- */
static double ce_l(void *a) {
    LS *l = a;
    double loss;
    assert_int_equal(
        clefi_cross_entropy_forward(NULL, &loss, l->y, l->x, l->tg, l->N, l->V, -100, &l->n_valid),
        CLEF_OK);
    return loss;
}
static void ce_b(void *a) {
    LS *l = a;
    clefi_cross_entropy_backward(NULL, l->dx, l->y, l->tg, l->N, l->V, -100, l->n_valid, 1.f);
}
static void test_grad_cross_entropy(void **state) {
    (void)state;
    LS *l = new_ls("cross_entropy", 5 * 4);
    l->N = 5, l->V = 4;
    l->y = nt_zeros(20);
    l->tg = calloc(5, sizeof(int32_t));
    int32_t tg[] = {1, -100, 3, 0, 3};
    memcpy(l->tg, tg, sizeof tg);
    ce_l(l);
    assert_int_equal(l->n_valid, 4);
    int32_t bad[] = {4};
    double loss;
    int64_t nv;
    assert_int_equal(clefi_cross_entropy_forward(NULL, &loss, l->y, l->x, bad, 1, 4, -100, &nv),
                     CLEF_ERR_RANGE);
    run(l, ce_l, ce_b);
}

/* ---- MSE, L1 (inputs kept 0.05 away from the L1 kink) ---- */
static double mse_l(void *a) {
    LS *l = a;
    return clefi_mse_forward(l->x, l->t, l->N);
}
static void mse_b(void *a) {
    LS *l = a;
    clefi_mse_backward(l->dx, l->x, l->t, l->N, 1.f);
}
static double l1_l(void *a) {
    LS *l = a;
    return clefi_l1_forward(l->x, l->t, l->N);
}
static void l1_b(void *a) {
    LS *l = a;
    clefi_l1_backward(l->dx, l->x, l->t, l->N, 1.f);
}
static void test_grad_regression(void **state) {
    (void)state;
    for (int k = 0; k < 2; k++) {
        LS *l = new_ls(k ? "l1" : "mse", 12);
        l->N = 12;
        l->t = nt_zeros(12);
        nt_fill_away(l->x, 12, 1.f, 0.05f, 5); /* x - t = the away values */
        for (int i = 0; i < 12; i++) {
            l->t[i] = 0.3f * (float)(i % 3);
            l->x[i] += l->t[i];
        }
        run(l, k ? l1_l : mse_l, k ? l1_b : mse_b);
    }
}

/* ---- L1 / MSE of row log-mean-exps (a = 40 ln(10) / 10, the tokenizer's dB / 40) ---- */
#define LME_A (4.0 * 2.302585092994046)
static double lme_l(void *a) {
    LS *l = a;
    return clefi_lme_loss_forward((clefi_lme_dist)l->kind, l->x, l->t, l->N, l->D, LME_A);
}
static void lme_b(void *a) {
    LS *l = a;
    clefi_lme_loss_backward((clefi_lme_dist)l->kind, l->dx, l->x, l->t, l->N, l->D, LME_A, 1.f);
}
static void test_grad_lme(void **state) {
    (void)state;
    for (int k = 0; k < 2; k++) {
        LS *l = new_ls(k ? "lme mse" : "lme l1", 3 * 6);
        l->N = 3, l->D = 6, l->kind = (clefi_gan)k; /* kind holds the clefi_lme_dist here */
        l->t = nt_zeros(18);
        /* each target row is its pred row reversed (same LME) shifted by -+0.4: the rows' LME
         * differences are +-0.4, far from the L1 kink for the h = 1e-2 steps */
        for (int r = 0; r < 3; r++)
            for (int t = 0; t < 6; t++)
                l->t[r * 6 + t] = l->x[r * 6 + 5 - t] + (r % 2 ? 0.4f : -0.4f);
        assert_true(fabs(lme_l(l) - (k ? 0.16 : 0.4)) < 1e-5);
        run(l, lme_l, lme_b);
    }
    /* values: a constant row's LME is the constant; {0, 1} gives ln((1 + e^a) / 2) / a */
    float c3[4] = {0.7f, 0.7f, 0.7f, 0.7f}, zero[4] = {0}, two[2] = {0.f, 1.f}, z2[2] = {0};
    assert_true(fabs(clefi_lme_loss_forward(CLEFI_LME_L1, c3, zero, 1, 4, LME_A) - 0.7) < 1e-6);
    double want = log((1.0 + exp(LME_A)) / 2.0) / LME_A;
    assert_true(fabs(clefi_lme_loss_forward(CLEFI_LME_MSE, two, z2, 1, 2, LME_A) - want * want) <
                1e-6);
}

/* ---- GAN losses ---- */
static double gan_l(void *a) {
    LS *l = a;
    return clefi_gan_loss_forward(l->kind, l->term, l->x, l->N);
}
static void gan_b(void *a) {
    LS *l = a;
    clefi_gan_loss_backward(l->kind, l->term, l->dx, l->x, l->N, 1.f);
}
static void test_grad_gan(void **state) {
    (void)state;
    const char *names[2][3] = {{"ns d_real", "ns d_fake", "ns g"},
                               {"hinge d_real", "hinge d_fake", "hinge g"}};
    for (int k = 0; k < 2; k++)
        for (int t = 0; t < 3; t++) {
            LS *l = new_ls(names[k][t], 10);
            l->N = 10, l->kind = (clefi_gan)k, l->term = (clefi_gan_term)t;
            /* hinge kinks at x = +-1: keep |x| in (0, 0.9) or (1.1, 2) */
            for (int i = 0; i < 10; i++)
                l->x[i] = (i % 2 ? 1.f : -1.f) * (i < 5 ? 0.1f + 0.15f * (float)i : 1.2f);
            run(l, gan_l, gan_b);
        }
    /* values: NS D_REAL at 0 is log 2; hinge D_FAKE of -2 is 0 */
    float z = 0.f, m2 = -2.f;
    assert_true(fabs(clefi_gan_loss_forward(CLEFI_GAN_NS, CLEFI_GAN_D_REAL, &z, 1) - log(2.0)) <
                1e-12);
    assert_true(clefi_gan_loss_forward(CLEFI_GAN_HINGE, CLEFI_GAN_D_FAKE, &m2, 1) == 0.0);
}

/* ---- L2 normalisation (as a layer: <out, R>) ---- */
static void l2_f(void *a) {
    LS *l = a;
    clefi_l2norm_forward(l->y, l->norm, l->x, l->N, l->D, 1e-12f);
}
static void l2_b(void *a) {
    LS *l = a;
    clefi_l2norm_backward(l->dx, l->c.R, l->y, l->norm, l->N, l->D, 1e-12f);
}
static void test_grad_l2norm(void **state) {
    (void)state;
    LS *l = new_ls("l2norm", 4 * 5);
    l->N = 4, l->D = 5;
    l->y = nt_zeros(20);
    l->norm = nt_zeros(4);
    l->c.fwd = l2_f;
    l->c.out = l->y;
    l->c.nout = 20;
    run(l, NULL, l2_b);
}

/* ---- symmetric InfoNCE with learnable temperature ---- */
static double nce_l(void *a) {
    LS *l = a;
    return clefi_infonce_forward(NULL, l->x, l->t, l->ls[0], l->N, l->D, l->scratch);
}
static void nce_b(void *a) {
    LS *l = a;
    clefi_infonce_backward(NULL, l->dx, l->dt, l->dls, l->x, l->t, l->ls[0], l->N, l->D, 1.f,
                           l->scratch);
}
static void test_grad_infonce(void **state) {
    (void)state;
    LS *l = new_ls("infonce", 5 * 3);
    l->N = 5, l->D = 3;
    l->t = nt_zeros(15);
    l->dt = nt_zeros(15);
    nt_fill(l->t, 15, -1.f, 1.f, 22);
    nt_fill(l->x, 15, -1.f, 1.f, 23);
    l->ls = nt_zeros(1);
    l->dls = nt_zeros(1);
    l->ls[0] = 0.5f;
    l->scratch = nt_zeros(2 * 25);
    l->c.buf[l->c.nb++] = (nt_buf){"b", l->t, l->dt, 15};
    l->c.buf[l->c.nb++] = (nt_buf){"log_scale", l->ls, l->dls, 1};
    run(l, nce_l, nce_b);
}

/* ---- vector quantizer: commitment term (codes fixed under small steps) ---- */
static double vq_l(void *a) {
    LS *l = a;
    return 0.25 * clefi_vq_forward(NULL, l->y, l->idx, l->x, l->t, l->N, l->V, l->D, l->scratch);
}
static void vq_b(void *a) {
    LS *l = a;
    float *zero = nt_zeros(l->N * l->D);
    clefi_vq_backward(NULL, l->dx, zero, l->x, l->y, l->N, l->D, 0.25f);
    free(zero);
}
static void test_grad_vq_commitment(void **state) {
    (void)state;
    LS *l = new_ls("vq commitment", 6 * 3);
    l->N = 6, l->V = 4, l->D = 3; /* V = codebook size */
    l->t = nt_zeros(12);
    l->y = nt_zeros(18);
    l->idx = calloc(6, sizeof(int32_t));
    l->scratch = nt_zeros((int64_t)clefi_vq_scratch(4, 1));
    for (int k = 0; k < 4; k++)
        for (int d = 0; d < 3; d++)
            l->t[k * 3 + d] = (float)(3 * (k == d) - 3 * (k == 3)); /* well separated codes */
    run(l, vq_l, vq_b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grad_cross_entropy), cmocka_unit_test(test_grad_regression),
        cmocka_unit_test(test_grad_gan),           cmocka_unit_test(test_grad_l2norm),
        cmocka_unit_test(test_grad_infonce),       cmocka_unit_test(test_grad_vq_commitment),
        cmocka_unit_test(test_grad_lme),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
