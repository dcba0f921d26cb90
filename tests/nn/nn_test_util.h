/* nn_test_util.h — shared helpers of the nn tests: random fills and a finite-difference
 * gradient checker. */
#ifndef CLEF_NN_TEST_UTIL_H
#define CLEF_NN_TEST_UTIL_H

#include <stdint.h>

/* Fill x(n) with uniform values in [lo, hi), deterministic in seed. */
void nt_fill(float *x, int64_t n, float lo, float hi, uint64_t seed);
/* Uniform values whose magnitude is at least gap (keeps inputs off ReLU/L1/hinge kinks). */
void nt_fill_away(float *x, int64_t n, float hi, float gap, uint64_t seed);
/* calloc that fails the test on NULL */
float *nt_zeros(int64_t n);

/* One tensor the checker perturbs, with the gradient buffer its backward accumulates into. */
typedef struct nt_buf {
    const char *name;
    float *x, *g;
    int64_t n;
} nt_buf;

#define NT_MAX_BUFS 6

/* A layer or loss under test. The scalar checked is <out, R> (R random, passed to backward as
 * dout) when out != NULL, else the value loss() returns. */
typedef struct nt_case {
    const char *what;
    void *arg;
    void (*fwd)(void *arg);
    double (*loss)(void *arg);
    void (*bwd)(void *arg);
    float *out, *R;
    int64_t nout;
    nt_buf buf[NT_MAX_BUFS];
    int nb;
    double h, atol, rtol;
} nt_case;

/* Central differences with step h on every element of every buffer, compared with the
 * analytic gradient: fails (printing the worst element) if |num - ana| > atol + rtol |num|.
 * Also checks that backward accumulates: a second backward doubles the gradient. */
void nt_gradcheck(nt_case *c);

/* ---- golden files (tools/ref/nn_ref.py) ---- */
typedef struct clef_weights clef_weights;
/* Open tests/data/golden/nn/nn_<name>.safetensors (fails the test if it cannot). */
clef_weights *nt_gold_open(const char *name);
/* Tensor key as a malloc'd float32 array; asserts its element count when n >= 0; *got (may be
 * NULL) receives the count. */
float *nt_gold(clef_weights *w, const char *key, int64_t n, int64_t *got);
/* Compare y(n) with golden tensor key: |y - ref| <= atol + rtol |ref| (first bad index and
 * max error printed on failure). */
void nt_gold_check(clef_weights *w, const char *key, const float *y, int64_t n, double atol,
                   double rtol);

#endif
