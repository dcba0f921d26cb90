/* test_pool.c — the thread pool covers every index once, with a fixed partition; jobs are
 * handed off without loss whether workers and caller spin or sleep (test_pool_handoff). */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include "test_support.h"

#include <string.h>
#include <time.h>

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

typedef struct count_job {
    int64_t *sum; /* per thread */
    int slow_tid; /* this thread sleeps before its chunk (-1: none) */
} count_job;

static void nap_ms(long ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void count(void *arg, int64_t b, int64_t e, int32_t tid) {
    count_job *j = arg;
    if (tid == j->slow_tid)
        nap_ms(3); /* longer than the spins: the others go to sleep */
    for (int64_t i = b; i < e; i++)
        j->sum[tid] += i;
}

/* many short jobs back to back (workers and caller spinning), jobs after pauses longer than a
 * spin (workers asleep, woken), and jobs with one slow chunk (the caller asleep, woken) */
static void test_pool_handoff(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    for (int32_t nt = 2; nt <= 4; nt++) {
        clefi_pool *pool;
        assert_int_equal(clefi_pool_create(&pool, ctx, nt), CLEF_OK);
        for (int rep = 0; rep < 3000; rep++) {
            int64_t sum[4] = {0}, n = 1 + rep % 97, total = 0;
            count_job j = {sum, rep % 500 == 7 ? (int)(rep % nt) : -1};
            if (rep % 500 == 250)
                nap_ms(3);
            clefi_pool_for(pool, n, count, &j);
            for (int32_t t = 0; t < nt; t++)
                total += sum[t];
            assert_int_equal(total, n * (n - 1) / 2);
        }
        clefi_pool_free(pool);
    }
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
                                       cmocka_unit_test(test_pool_handoff),
                                       cmocka_unit_test(test_pool_oom)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
