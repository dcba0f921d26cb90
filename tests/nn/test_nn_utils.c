/* test_nn_utils.c — RNG, dropout reproducibility, learning-rate schedules, weight EMA, VQ
 * straight-through / dead-code restarts / perplexity, fast exp accuracy, block activation
 * allocation under OOM. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_int.h"
#include "nn_test_util.h"

static void test_rng(void **state) {
    (void)state;
    double su = 0, sn = 0, sn2 = 0;
    const int n = 100000;
    for (int i = 0; i < n; i++) {
        float u = clefi_rng_uniform(3, (uint64_t)i);
        assert_true(u >= 0.f && u < 1.f);
        su += u;
        double z = clefi_rng_normal(3, (uint64_t)i);
        sn += z, sn2 += z * z;
    }
    /* 5-sigma bounds: sd(mean of U) = 0.289/sqrt(n), sd(mean of N) = 1/sqrt(n) */
    assert_true(fabs(su / n - 0.5) < 5 * 0.289 / sqrt(n));
    assert_true(fabs(sn / n) < 5 / sqrt(n));
    assert_true(fabs(sn2 / n - 1.0) < 5 * sqrt(2.0 / n));
    assert_true(clefi_rng_u64(1, 0) != clefi_rng_u64(2, 0));
    assert_true(clefi_rng_u64(1, 0) != clefi_rng_u64(1, 1));
    assert_true(clefi_rng_u64(7, 42) == clefi_rng_u64(7, 42));
}

/* dropout masks depend on (seed, offset + i) only: a split call equals one call */
static void test_dropout_reproducible(void **state) {
    (void)state;
    clef_ctx *ctx;
    clefi_pool *pool;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(clefi_pool_create(&pool, ctx, 3), CLEF_OK);
    float x[1000], a[1000], b[1000];
    nt_fill(x, 1000, -1.f, 1.f, 1);
    clefi_dropout_forward(NULL, a, x, 1000, 0.25f, 9, 500);
    clefi_dropout_forward(pool, b, x, 600, 0.25f, 9, 500);
    clefi_dropout_forward(pool, b + 600, x + 600, 400, 0.25f, 9, 1100);
    assert_memory_equal(a, b, sizeof a);
    clefi_dropout_forward(NULL, b, x, 1000, 0.25f, 10, 500);
    assert_true(memcmp(a, b, sizeof a) != 0);
    clefi_pool_free(pool);
    clef_ctx_free(ctx);
}

static void test_lr_schedule(void **state) {
    (void)state;
    /* warmup 10 steps to 1e-3, cosine to 1e-5 at step 110 */
    assert_true(fabs(clefi_lr_at(CLEFI_SCHED_COSINE, 0, 10, 110, 1e-3, 1e-5) - 1e-4) < 1e-15);
    assert_true(fabs(clefi_lr_at(CLEFI_SCHED_COSINE, 9, 10, 110, 1e-3, 1e-5) - 1e-3) < 1e-15);
    assert_true(fabs(clefi_lr_at(CLEFI_SCHED_COSINE, 10, 10, 110, 1e-3, 1e-5) - 1e-3) < 1e-15);
    double mid = 1e-5 + 0.5 * (1e-3 - 1e-5);
    assert_true(fabs(clefi_lr_at(CLEFI_SCHED_COSINE, 60, 10, 110, 1e-3, 1e-5) - mid) < 1e-15);
    assert_true(fabs(clefi_lr_at(CLEFI_SCHED_COSINE, 110, 10, 110, 1e-3, 1e-5) - 1e-5) < 1e-15);
    assert_true(fabs(clefi_lr_at(CLEFI_SCHED_COSINE, 500, 10, 110, 1e-3, 1e-5) - 1e-5) < 1e-15);
    assert_true(fabs(clefi_lr_at(CLEFI_SCHED_CONSTANT, 4, 10, 110, 1e-3, 0) - 5e-4) < 1e-15);
    assert_true(clefi_lr_at(CLEFI_SCHED_CONSTANT, 80, 10, 110, 1e-3, 0) == 1e-3);
}

static void test_ema(void **state) {
    (void)state;
    float ema[3] = {1.f, 2.f, 3.f}, p[3] = {3.f, 2.f, 1.f};
    clefi_ema_update(NULL, ema, p, 3, 0.75f);
    float want[3] = {1.5f, 2.f, 2.5f};
    test_assert_close_f32(ema, want, 3, 1e-7, 0, "ema");
}

static void test_vq_utilities(void **state) {
    (void)state;
    /* straight-through: dz = dzq when beta = 0 */
    float z[4] = {1, 2, 3, 4}, zq[4] = {0, 0, 0, 0}, dzq[4] = {.5f, -1, 2, 0}, dz[4] = {0};
    clefi_vq_backward(NULL, dz, dzq, z, zq, 2, 2, 0.f);
    assert_memory_equal(dz, dzq, sizeof dz);
    /* perplexity: uniform use of 4 codes gives 4; one code gives 1 */
    int32_t idx[8] = {0, 1, 2, 3, 3, 2, 1, 0}, one[8] = {0};
    float counts[6];
    assert_true(fabs(clefi_vq_perplexity(idx, 8, 6, counts) - 4.0) < 1e-12);
    assert_true(fabs(clefi_vq_perplexity(one, 8, 6, counts) - 1.0) < 1e-12);
    /* restart: codes below the threshold take batch vectors */
    float cb[6] = {9, 9, 8, 8, 7, 7}, cs[3] = {5.f, 0.001f, 0.5f}, es[6] = {0};
    float zz[8] = {1, 1, 2, 2, 3, 3, 4, 4};
    assert_int_equal(clefi_vq_restart_dead(cb, cs, es, zz, 4, 3, 2, 0.01f, 1, 0), 1);
    assert_true(cb[0] == 9.f && cb[4] == 7.f && cs[1] == 1.f);
    assert_true(cb[2] == cb[3] && cb[2] >= 1.f && cb[2] <= 4.f && es[2] == cb[2]);
}

static void test_fast_exp(void **state) {
    (void)state;
    double worst = 0;
    for (float x = -87.f; x < 88.f; x += 0.01f) {
        double r = fabs((double)clefi_expf(x) / exp((double)x) - 1.0);
        worst = r > worst ? r : worst;
    }
    assert_true(worst < 5e-7);
    assert_true(clefi_expf(-INFINITY) == 0.f);
    assert_true(clefi_expf(-100.f) == 0.f);
    assert_true(clefi_expf(0.f) == 1.f);
}

static clef_status oom_acts(clef_ctx *ctx, void *arg) {
    (void)arg;
    clefi_block_dims d = {2, 8, 16, 2, 32, 1e-5f, CLEFI_ACT_GELU_ERF};
    clefi_block_acts a;
    clef_status rc = clefi_block_acts_alloc(&a, ctx, &d, 2);
    if (rc == CLEF_OK)
        clefi_block_acts_free(&a);
    return rc;
}

static void test_block_acts_oom(void **state) {
    (void)state;
    test_oom_sweep(oom_acts, NULL, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng),           cmocka_unit_test(test_dropout_reproducible),
        cmocka_unit_test(test_lr_schedule),   cmocka_unit_test(test_ema),
        cmocka_unit_test(test_vq_utilities),  cmocka_unit_test(test_fast_exp),
        cmocka_unit_test(test_block_acts_oom)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
