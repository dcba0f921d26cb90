/* pool.c — a small persistent pthread pool with a static partition.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Static contiguous chunks (not work stealing) keep every reduction order fixed for a given
 * thread count, so outputs are reproducible run to run. */
#include "core_int.h"

#include <pthread.h>

struct clefi_pool {
    clef_ctx *ctx;
    int32_t n_threads;
    pthread_t *threads;
    struct worker_arg *args; /* one per worker, owned by the pool (workers never allocate) */
    int32_t n_started;
    pthread_mutex_t mu;
    pthread_cond_t work_cv;
    pthread_cond_t done_cv;
    uint64_t generation; /* bumped for each job */
    int32_t pending;     /* workers still running the current job */
    int stop;
    /* current job */
    clefi_range_fn fn;
    void *arg;
    int64_t n;
};

typedef struct worker_arg {
    clefi_pool *pool;
    int32_t tid;
} worker_arg;

static void chunk(int64_t n, int32_t parts, int32_t k, int64_t *b, int64_t *e) {
    int64_t base = n / parts, rem = n % parts;
    *b = k * base + (k < rem ? k : rem);
    *e = *b + base + (k < rem ? 1 : 0);
}

static void *worker_main(void *p) {
    worker_arg wa = *(worker_arg *)p;
    clefi_pool *pool = wa.pool;
    uint64_t seen = 0;
    pthread_mutex_lock(&pool->mu);
    for (;;) {
        while (!pool->stop && pool->generation == seen)
            pthread_cond_wait(&pool->work_cv, &pool->mu);
        if (pool->stop)
            break;
        seen = pool->generation;
        clefi_range_fn fn = pool->fn;
        void *arg = pool->arg;
        int64_t b, e;
        chunk(pool->n, pool->n_threads, wa.tid, &b, &e);
        pthread_mutex_unlock(&pool->mu);
        if (b < e)
            fn(arg, b, e, wa.tid);
        pthread_mutex_lock(&pool->mu);
        if (--pool->pending == 0)
            pthread_cond_signal(&pool->done_cv);
    }
    pthread_mutex_unlock(&pool->mu);
    return NULL;
}

clef_status clefi_pool_create(clefi_pool **out, clef_ctx *ctx, int32_t n_threads) {
    *out = NULL;
    if (n_threads < 1 || n_threads > 1024)
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE, "n_threads %d outside [1, 1024]",
                               (int)n_threads);
    clefi_pool *pool = clefi_calloc(ctx, 1, sizeof *pool);
    if (pool == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate a thread pool");
    pool->ctx = clefi_ctx_retain(ctx);
    pool->n_threads = n_threads;
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->work_cv, NULL);
    pthread_cond_init(&pool->done_cv, NULL);
    if (n_threads > 1) {
        pool->threads = clefi_calloc(ctx, (size_t)n_threads - 1, sizeof *pool->threads);
        pool->args = clefi_calloc(ctx, (size_t)n_threads - 1, sizeof *pool->args);
        if (pool->threads == NULL || pool->args == NULL) {
            clefi_pool_free(pool);
            return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate a thread pool");
        }
    }
    for (int32_t t = 1; t < n_threads; t++) {
        pool->args[t - 1] = (worker_arg){pool, t};
        if (pthread_create(&pool->threads[t - 1], NULL, worker_main, &pool->args[t - 1]) != 0) {
            clefi_pool_free(pool);
            return clefi_ctx_error(ctx, CLEF_ERR_INTERNAL, "cannot start worker thread %d", (int)t);
        }
        pool->n_started++;
    }
    *out = pool;
    return CLEF_OK;
}

void clefi_pool_free(clefi_pool *pool) {
    if (pool == NULL)
        return;
    pthread_mutex_lock(&pool->mu);
    pool->stop = 1;
    pthread_cond_broadcast(&pool->work_cv);
    pthread_mutex_unlock(&pool->mu);
    for (int32_t t = 0; t < pool->n_started; t++)
        pthread_join(pool->threads[t], NULL);
    pthread_mutex_destroy(&pool->mu);
    pthread_cond_destroy(&pool->work_cv);
    pthread_cond_destroy(&pool->done_cv);
    clef_ctx *ctx = pool->ctx;
    clefi_free(ctx, pool->threads);
    clefi_free(ctx, pool->args);
    clefi_free(ctx, pool);
    clefi_ctx_release(ctx);
}

int32_t clefi_pool_size(const clefi_pool *pool) { return pool != NULL ? pool->n_threads : 1; }

void clefi_pool_for(clefi_pool *pool, int64_t n, clefi_range_fn fn, void *arg) {
    if (n <= 0)
        return;
    if (pool == NULL || pool->n_threads == 1) {
        fn(arg, 0, n, 0);
        return;
    }
    pthread_mutex_lock(&pool->mu);
    pool->fn = fn;
    pool->arg = arg;
    pool->n = n;
    pool->pending = pool->n_threads - 1;
    pool->generation++;
    pthread_cond_broadcast(&pool->work_cv);
    pthread_mutex_unlock(&pool->mu);

    int64_t b, e;
    chunk(n, pool->n_threads, 0, &b, &e);
    if (b < e)
        fn(arg, b, e, 0);

    pthread_mutex_lock(&pool->mu);
    while (pool->pending > 0)
        pthread_cond_wait(&pool->done_cv, &pool->mu);
    pthread_mutex_unlock(&pool->mu);
}
