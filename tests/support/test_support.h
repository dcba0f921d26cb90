/* test_support.h — shared helpers for libclef's CMocka tests. */
#ifndef CLEF_TEST_SUPPORT_H
#define CLEF_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "clef.h"

/* A counting allocator that can fail the N-th allocation, for out-of-memory tests.
 * Tracks live blocks so a test can assert that nothing leaked. */
typedef struct test_alloc {
    long fail_at;  /* 0-based index of the allocation to fail; -1: never fail */
    long n_allocs; /* allocations attempted so far */
    long live;     /* blocks currently allocated */
    size_t live_bytes;
} test_alloc;

/* A ctx whose every allocation goes through ta. */
clef_ctx *test_ctx_with_alloc(test_alloc *ta, long fail_at);

/* Out-of-memory sweep: run body(ctx, arg) with allocation k failing, for k = 0, 1, ...,
 * until body succeeds. Each failing run must return CLEF_ERR_NOMEM (or clean up and return
 * another error when allowed_other is set) and leave no live block. Returns the number of
 * allocations the successful run made. body must free everything it created. */
typedef clef_status (*test_oom_body)(clef_ctx *ctx, void *arg);
long test_oom_sweep(test_oom_body body, void *arg, int allowed_other);

/* clef_tokenizer_trainer_create on one thread with train (NULL: defaults) and its
 * CLEF_P_TOK_TRAIN_SEED set to seed. */
clef_status test_trainer_create(clef_tokenizer_trainer **out, clef_ctx *ctx,
                                const clef_params *arch, const clef_params *train, uint64_t seed);

/* Path of a file under tests/data (static buffer). */
const char *test_data_path(const char *name);

/* Whole file at path into a malloc'd buffer with a NUL appended (*len excludes it); NULL when
 * the file cannot be opened. */
void *test_read_file(const char *path, size_t *len);

/* Assert |a - b| <= atol + rtol*|b| elementwise; on failure print the first bad index and
 * the max error, then fail the test. */
void test_assert_close_f64(const double *a, const double *b, size_t n, double atol, double rtol,
                           const char *what);
void test_assert_close_f32(const float *a, const float *b, size_t n, double atol, double rtol,
                           const char *what);

/* Switch the whole process to de_DE.UTF-8 (setlocale(LC_ALL, ...), decimal comma), as a host
 * that called setlocale(LC_ALL, "") in Germany would: 1 when done and printf really writes
 * "0,5"; else 0 after printing why (the caller skips: tools/install_deps.sh installs it). */
int test_comma_locale(void);
/* Back to the "C" locale. */
void test_c_locale(void);

#endif
