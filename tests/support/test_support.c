/* test_support.c — shared helpers for libclef's CMocka tests. */
#include "test_support.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each block carries its size in a header so live_bytes can be tracked. */
typedef struct block_hdr {
    size_t size;
    size_t pad; /* keep 16-byte alignment of the payload */
} block_hdr;

/* The hooks must be thread-safe (clef.h): library worker threads may allocate and free. */
static pthread_mutex_t g_ta_mu = PTHREAD_MUTEX_INITIALIZER;

static void *ta_malloc(size_t size, void *user) {
    test_alloc *ta = user;
    pthread_mutex_lock(&g_ta_mu);
    long idx = ta->n_allocs++;
    block_hdr *h = NULL;
    if (!(ta->fail_at >= 0 && idx == ta->fail_at) && (h = malloc(sizeof *h + size)) != NULL) {
        h->size = size;
        ta->live++;
        ta->live_bytes += size;
    }
    pthread_mutex_unlock(&g_ta_mu);
    return h != NULL ? h + 1 : NULL;
}

static void ta_free(void *ptr, void *user) {
    test_alloc *ta = user;
    if (ptr == NULL)
        return;
    block_hdr *h = (block_hdr *)ptr - 1;
    pthread_mutex_lock(&g_ta_mu);
    ta->live--;
    ta->live_bytes -= h->size;
    pthread_mutex_unlock(&g_ta_mu);
    free(h);
}

static void *ta_realloc(void *ptr, size_t size, void *user) {
    test_alloc *ta = user;
    if (ptr == NULL)
        return ta_malloc(size, user);
    pthread_mutex_lock(&g_ta_mu);
    long idx = ta->n_allocs++;
    block_hdr *h = (block_hdr *)ptr - 1, *n = NULL;
    size_t old = h->size;
    if (!(ta->fail_at >= 0 && idx == ta->fail_at) && (n = realloc(h, sizeof *n + size)) != NULL) {
        n->size = size;
        ta->live_bytes = ta->live_bytes - old + size;
    }
    pthread_mutex_unlock(&g_ta_mu);
    return n != NULL ? n + 1 : NULL;
}

clef_ctx *test_ctx_with_alloc(test_alloc *ta, long fail_at) {
    memset(ta, 0, sizeof *ta);
    ta->fail_at = -1; /* the ctx itself must be created */
    clef_ctx *ctx = NULL;
    if (clef_ctx_create_with_allocator(&ctx, ta_malloc, ta_realloc, ta_free, ta) != CLEF_OK)
        return NULL;
    ta->n_allocs = 0;
    ta->fail_at = fail_at;
    return ctx;
}

long test_oom_sweep(test_oom_body body, void *arg, int allowed_other) {
    for (long k = 0; k < 1000000; k++) {
        test_alloc ta;
        clef_ctx *ctx = test_ctx_with_alloc(&ta, k);
        assert_non_null(ctx);
        clef_status rc = body(ctx, arg);
        clef_ctx_free(ctx);
        if (ta.live != 0)
            fail_msg("OOM sweep: allocation %ld failed, %ld block(s) (%zu bytes) leaked", k,
                     ta.live, ta.live_bytes);
        if (rc == CLEF_OK) {
            if (k < ta.n_allocs)
                fail_msg("OOM sweep: allocation %ld failed but the call succeeded", k);
            return ta.n_allocs;
        }
        if (rc != CLEF_ERR_NOMEM && !allowed_other)
            fail_msg("OOM sweep: allocation %ld failed, got %s instead of NOMEM", k,
                     clef_strerror(rc));
    }
    fail_msg("OOM sweep did not terminate");
    return -1;
}

const char *test_data_path(const char *name) {
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", CLEF_TEST_DATA_DIR, name);
    return buf;
}

void *test_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

static void close_report(size_t n, size_t first_bad, size_t n_bad, double max_err, size_t at,
                         double got, double want, const char *what) {
    if (n_bad == 0)
        return;
    fail_msg("%s: %zu of %zu values out of tolerance; first bad index %zu (got %.10g, want "
             "%.10g); max error %.3g at %zu",
             what, n_bad, n, first_bad, got, want, max_err, at);
}

#define CLOSE_BODY(a, b)                                                                           \
    size_t n_bad = 0, first_bad = 0, at = 0;                                                       \
    double max_err = 0.0, got = 0.0, want = 0.0;                                                   \
    for (size_t i = 0; i < n; i++) {                                                               \
        double x = (double)(a)[i], y = (double)(b)[i];                                             \
        double err = fabs(x - y);                                                                  \
        if (isnan(x) != isnan(y))                                                                  \
            err = INFINITY;                                                                        \
        else if (isnan(x))                                                                         \
            err = 0.0;                                                                             \
        if (err > max_err) {                                                                       \
            max_err = err;                                                                         \
            at = i;                                                                                \
        }                                                                                          \
        if (!(err <= atol + rtol * fabs(y))) {                                                     \
            if (n_bad++ == 0) {                                                                    \
                first_bad = i;                                                                     \
                got = x;                                                                           \
                want = y;                                                                          \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    close_report(n, first_bad, n_bad, max_err, at, got, want, what)

void test_assert_close_f64(const double *a, const double *b, size_t n, double atol, double rtol,
                           const char *what) {
    CLOSE_BODY(a, b);
}

void test_assert_close_f32(const float *a, const float *b, size_t n, double atol, double rtol,
                           const char *what) {
    CLOSE_BODY(a, b);
}

clef_status test_trainer_create(clef_tokenizer_trainer **out, clef_ctx *ctx,
                                const clef_params *arch, const clef_params *train, uint64_t seed) {
    clef_params *tp = NULL;
    clef_status rc = train != NULL ? clef_params_clone(&tp, train)
                                   : clef_params_create(&tp, ctx, CLEF_PARAMS_TRAIN);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(tp, CLEF_P_TOK_TRAIN_SEED, (int64_t)seed);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_trainer_create(out, ctx, arch, tp, 1);
    clef_params_free(tp);
    return rc;
}

int test_comma_locale(void) {
    if (setlocale(LC_ALL, "de_DE.UTF-8") == NULL) {
        fprintf(stderr, "SKIP: locale de_DE.UTF-8 is not installed (tools/install_deps.sh "
                        "generates it)\n");
        return 0;
    }
    char b[16];
    snprintf(b, sizeof b, "%.1f", 0.5);
    if (strcmp(b, "0,5") != 0) {
        fprintf(stderr, "SKIP: locale de_DE.UTF-8 formats 0.5 as '%s', not '0,5'\n", b);
        test_c_locale();
        return 0;
    }
    return 1;
}

void test_c_locale(void) { setlocale(LC_ALL, "C"); }
