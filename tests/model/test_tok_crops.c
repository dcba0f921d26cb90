/* test_tok_crops.c — the training pipeline's channel dropout (lib/model/tok_crops.c): what a
 * dropped crop keeps, the share of single-channel crops --channel-lone asks for, and that runs
 * without the option draw the batches they drew before it existed. */
#include "test_support.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "model/model_int.h"

enum { NCH = 19, PLANE = 6 };

static int popcount(uint32_t x) {
    int n = 0;
    for (; x != 0; x &= x - 1)
        n++;
    return n;
}

/* A crop whose value identifies channel and position. */
static void fill(float *crop) {
    for (int c = 0; c < NCH; c++)
        for (int i = 0; i < PLANE; i++)
            crop[c * PLANE + i] = (float)(c * 100 + i);
}

/* Kept channels hold their data, every other channel present before is blank throughout,
 * channels absent before stay absent. */
static void check_crop(const float *crop, uint32_t before, uint32_t after) {
    assert_int_equal(after & ~before, 0);
    for (int c = 0; c < NCH; c++)
        for (int i = 0; i < PLANE; i++) {
            float v = crop[c * PLANE + i];
            if (after >> c & 1u || !(before >> c & 1u))
                assert_float_equal(v, (float)(c * 100 + i), 0.0f);
            else
                assert_float_equal(v, -40.0f, 0.0f);
        }
}

static void test_dropout_keeps(void **state) {
    (void)state;
    float crop[NCH * PLANE];
    uint32_t all = (1u << NCH) - 1u, before = all & ~(1u << 4) & ~(1u << 11);
    uint64_t rng = 7;
    int sizes[NCH + 1] = {0};
    for (int k = 0; k < 2000; k++) { /* p = 1: every crop drops, keeping 1 .. n - 1 */
        fill(crop);
        uint32_t after = clefi_tok_drop_channels(&rng, 1.0, 0.0, NCH, PLANE, -40.0f, before, crop);
        check_crop(crop, before, after);
        int kept = popcount(after);
        assert_true(kept >= 1 && kept <= NCH - 3);
        sizes[kept]++;
    }
    for (int k = 1; k <= NCH - 3; k++) /* uniform over the 16 sizes: 125 each on average */
        assert_in_range(sizes[k], 70, 190);
    /* p = 0, or a single present channel: nothing changes */
    fill(crop);
    assert_int_equal(clefi_tok_drop_channels(&rng, 0.0, 1.0, NCH, PLANE, -40.0f, before, crop),
                     before);
    check_crop(crop, before, before);
    assert_int_equal(clefi_tok_drop_channels(&rng, 1.0, 1.0, NCH, PLANE, -40.0f, 1u << 3, crop),
                     1u << 3);
}

static void test_lone_share(void **state) {
    (void)state;
    float crop[NCH * PLANE];
    uint32_t all = (1u << NCH) - 1u;
    uint64_t rng = 11;
    int lone = 0, dropped = 0, n = 20000;
    for (int k = 0; k < n; k++) {
        fill(crop);
        uint32_t after = clefi_tok_drop_channels(&rng, 0.5, 0.5, NCH, PLANE, -40.0f, all, crop);
        check_crop(crop, all, after);
        dropped += after != all;
        lone += popcount(after) == 1;
    }
    /* half the crops drop; of those, 1/2 + 1/2 * 1/18 keep one channel (sd of the share 0.005) */
    assert_float_equal((double)dropped / n, 0.5, 0.02);
    assert_float_equal((double)lone / dropped, 0.5 + 0.5 / 18.0, 0.02);
    fill(crop);
    assert_int_equal(
        popcount(clefi_tok_drop_channels(&rng, 1.0, 1.0, NCH, PLANE, -40.0f, all, crop)), 1);
}

/* Without --channel-lone the generator advances exactly as before the option: 1 draw for the
 * coin, n - 1 for the shuffle, 1 for the count. */
static void test_no_lone_same_draws(void **state) {
    (void)state;
    float crop[NCH * PLANE];
    uint32_t all = (1u << NCH) - 1u;
    uint64_t rng = 3, ref = 3;
    fill(crop);
    (void)clefi_tok_drop_channels(&rng, 1.0, 0.0, NCH, PLANE, -40.0f, all, crop);
    for (int k = 0; k < 1 + (NCH - 1) + 1; k++)
        (void)clefi_splitmix64(&ref);
    assert_true(rng == ref);
    /* and the first splitmix64 output of state 0 is the published one */
    uint64_t z = 0;
    assert_true(clefi_splitmix64(&z) == 0xE220A8397B1DCDAFull);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dropout_keeps),
        cmocka_unit_test(test_lone_share),
        cmocka_unit_test(test_no_lone_same_draws),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
