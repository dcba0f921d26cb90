/* test_pool.c — the thread pool covers every index once, with a fixed partition. */
#include "test_support.h"

#include <string.h>

#include "core/core_int.h"

typedef struct job {
    int *hits;
    int32_t *owner;
} job;

static void mark(void *arg, int64_t b, int64_t e, int32_t tid) {
    job *j = arg;
    for (int64_t i = b; i < e; i++) {
        j->hits[i]++;
        j->owner[i] = tid;
    }
}

static void test_pool_covers(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    for (int32_t nt = 1; nt <= 4; nt++) {
        clefi_pool *pool;
        assert_int_equal(clefi_pool_create(&pool, ctx, nt), CLEF_OK);
        assert_int_equal(clefi_pool_size(pool), nt);
        for (int64_t n = 0; n < 50; n += 7) {
            for (int rep = 0; rep < 20; rep++) {
                int hits[64] = {0};
                int32_t owner[64];
                memset(owner, -1, sizeof owner);
                job j = {hits, owner};
                clefi_pool_for(pool, n, mark, &j);
                for (int64_t i = 0; i < n; i++) {
                    assert_int_equal(hits[i], 1);
                    /* contiguous, ordered chunks: owners never decrease */
                    if (i > 0)
                        assert_true(owner[i] >= owner[i - 1]);
                }
            }
        }
        clefi_pool_free(pool);
    }
    clefi_pool *pool;
    assert_int_equal(clefi_pool_create(&pool, ctx, 0), CLEF_ERR_RANGE);
    clef_ctx_free(ctx);
}

static clef_status oom_pool_body(clef_ctx *ctx, void *arg) {
    (void)arg;
    clefi_pool *pool;
    clef_status rc = clefi_pool_create(&pool, ctx, 3);
    clefi_pool_free(rc == CLEF_OK ? pool : NULL);
    return rc;
}

static void test_pool_oom(void **state) {
    (void)state;
    test_oom_sweep(oom_pool_body, NULL, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_pool_covers),
                                       cmocka_unit_test(test_pool_oom)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
