/* act.c — elementwise activations, row softmax, dropout.
 * SPDX-License-Identifier: BSD-3-Clause */
#include "nn_int.h"

#include <math.h>

/* sqrt(2/pi) and the cubic coefficient of the tanh GELU (Hendrycks & Gimpel 2016, eq. 2). */
#define GELU_K  0.7978845608028654f
#define GELU_C3 0.044715f
/* 1/sqrt(2) and 1/sqrt(2 pi) for the exact GELU x * Phi(x) */
#define INV_SQRT2   0.7071067811865476f
#define INV_SQRT2PI 0.3989422804014327f

/* erf(x) by Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7, below float32 rounding of
 * GELU's 0.5 x (1 + erf)), through clefi_expf so the GELU loops vectorize; erff is a scalar
 * libm call. */
static inline float erf_fast(float x) {
    float a = x < 0.f ? -x : x;
    float t = 1.f / (1.f + 0.3275911f * a);
    float poly =
        t * (0.254829592f +
             t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
    float y = 1.f - poly * clefi_expf(-a * a);
    return x < 0.f ? -y : y;
}

/* tanh(u) = 1 - 2 / (1 + e^(2u)); clefi_expf saturates, giving +-1 for large |u| */
static inline float tanh_fast(float u) { return 1.f - 2.f / (1.f + clefi_expf(2.f * u)); }

static inline float act_value(clefi_act act, float slope, float x) {
    switch (act) {
    case CLEFI_ACT_RELU:
        return x > 0.f ? x : 0.f;
    case CLEFI_ACT_LEAKY_RELU:
        return x > 0.f ? x : slope * x;
    case CLEFI_ACT_GELU_ERF:
        return 0.5f * x * (1.f + erf_fast(x * INV_SQRT2));
    case CLEFI_ACT_GELU_TANH:
        return 0.5f * x * (1.f + tanh_fast(GELU_K * (x + GELU_C3 * x * x * x)));
    case CLEFI_ACT_SILU:
        return x / (1.f + clefi_expf(-x));
    }
    return 0.f;
}

static inline float act_grad(clefi_act act, float slope, float x) {
    switch (act) {
    case CLEFI_ACT_RELU:
        return x > 0.f ? 1.f : 0.f;
    case CLEFI_ACT_LEAKY_RELU:
        return x > 0.f ? 1.f : slope;
    case CLEFI_ACT_GELU_ERF:
        return 0.5f * (1.f + erf_fast(x * INV_SQRT2)) + x * INV_SQRT2PI * clefi_expf(-0.5f * x * x);
    case CLEFI_ACT_GELU_TANH: {
        float u = GELU_K * (x + GELU_C3 * x * x * x);
        float t = tanh_fast(u);
        return 0.5f * (1.f + t) + 0.5f * x * (1.f - t * t) * GELU_K * (1.f + 3.f * GELU_C3 * x * x);
    }
    case CLEFI_ACT_SILU: {
        float s = 1.f / (1.f + clefi_expf(-x));
        return s * (1.f + x * (1.f - s));
    }
    }
    return 0.f;
}

typedef struct act_job {
    clefi_act act;
    float slope;
    float *out;
    const float *inp, *dout;
} act_job;

/* One loop per activation (the switch is hoisted, so each loop can vectorize). */
#define ACT_LOOPS(body)                                                                            \
    switch (j->act) {                                                                              \
    case CLEFI_ACT_RELU:                                                                           \
        body(CLEFI_ACT_RELU);                                                                      \
        break;                                                                                     \
    case CLEFI_ACT_LEAKY_RELU:                                                                     \
        body(CLEFI_ACT_LEAKY_RELU);                                                                \
        break;                                                                                     \
    case CLEFI_ACT_GELU_ERF:                                                                       \
        body(CLEFI_ACT_GELU_ERF);                                                                  \
        break;                                                                                     \
    case CLEFI_ACT_GELU_TANH:                                                                      \
        body(CLEFI_ACT_GELU_TANH);                                                                 \
        break;                                                                                     \
    case CLEFI_ACT_SILU:                                                                           \
        body(CLEFI_ACT_SILU);                                                                      \
        break;                                                                                     \
    }

CLEFI_SIMD_CLONES static void act_fwd_range(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const act_job *j = arg;
    float *restrict out = j->out;
    const float *restrict inp = j->inp;
#define FWD_(kind)                                                                                 \
    for (int64_t i = b; i < e; i++)                                                                \
    out[i] = act_value(kind, j->slope, inp[i])
    ACT_LOOPS(FWD_)
#undef FWD_
}

CLEFI_SIMD_CLONES static void act_bwd_range(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const act_job *j = arg;
    float *restrict dinp = j->out;
    const float *restrict inp = j->inp, *restrict dout = j->dout;
#define BWD_(kind)                                                                                 \
    for (int64_t i = b; i < e; i++)                                                                \
    dinp[i] += act_grad(kind, j->slope, inp[i]) * dout[i]
    ACT_LOOPS(BWD_)
#undef BWD_
}

void clefi_act_forward(clefi_pool *pool, clefi_act act, float slope, float *out, const float *inp,
                       int64_t n) {
    act_job j = {act, slope, out, inp, NULL};
    clefi_pool_for(pool, n, act_fwd_range, &j);
}

void clefi_act_backward(clefi_pool *pool, clefi_act act, float slope, float *dinp, const float *inp,
                        const float *dout, int64_t n) {
    act_job j = {act, slope, dinp, inp, dout};
    clefi_pool_for(pool, n, act_bwd_range, &j);
}

typedef struct softmax_job {
    float *out;
    const float *a, *b;
    int64_t C;
} softmax_job;

static void softmax_fwd_rows(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const softmax_job *j = arg;
    for (int64_t r = b; r < e; r++) {
        const float *x = j->a + r * j->C;
        float *y = j->out + r * j->C;
        float mx = -INFINITY;
        for (int64_t c = 0; c < j->C; c++)
            mx = x[c] > mx ? x[c] : mx;
        float sum = 0.f;
        for (int64_t c = 0; c < j->C; c++) {
            y[c] = clefi_expf(x[c] - mx);
            sum += y[c];
        }
        float inv = 1.f / sum;
        for (int64_t c = 0; c < j->C; c++)
            y[c] *= inv;
    }
}

static void softmax_bwd_rows(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const softmax_job *j = arg;
    for (int64_t r = b; r < e; r++) {
        const float *y = j->a + r * j->C, *dy = j->b + r * j->C;
        float *dx = j->out + r * j->C;
        float dot = 0.f;
        for (int64_t c = 0; c < j->C; c++)
            dot += y[c] * dy[c];
        for (int64_t c = 0; c < j->C; c++)
            dx[c] += y[c] * (dy[c] - dot);
    }
}

void clefi_softmax_forward(clefi_pool *pool, float *out, const float *inp, int64_t N, int64_t C) {
    softmax_job j = {out, inp, NULL, C};
    clefi_pool_for(pool, N, softmax_fwd_rows, &j);
}

void clefi_softmax_backward(clefi_pool *pool, float *dinp, const float *out, const float *dout,
                            int64_t N, int64_t C) {
    softmax_job j = {dinp, out, dout, C};
    clefi_pool_for(pool, N, softmax_bwd_rows, &j);
}

typedef struct dropout_job {
    float *out;
    const float *inp;
    float p, scale;
    uint64_t seed, offset;
    int accumulate;
} dropout_job;

static void dropout_range(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const dropout_job *j = arg;
    for (int64_t i = b; i < e; i++) {
        float keep = clefi_rng_uniform(j->seed, j->offset + (uint64_t)i) >= j->p ? j->scale : 0.f;
        float v = j->inp[i] * keep;
        j->out[i] = j->accumulate ? j->out[i] + v : v;
    }
}

static void dropout_run(clefi_pool *pool, float *out, const float *inp, int64_t n, float p,
                        uint64_t seed, uint64_t offset, int accumulate) {
    dropout_job j = {out, inp, p, 1.f / (1.f - p), seed, offset, accumulate};
    clefi_pool_for(pool, n, dropout_range, &j);
}

void clefi_dropout_forward(clefi_pool *pool, float *out, const float *inp, int64_t n, float p,
                           uint64_t seed, uint64_t offset) {
    dropout_run(pool, out, inp, n, p, seed, offset, 0);
}

void clefi_dropout_backward(clefi_pool *pool, float *dinp, const float *dout, int64_t n, float p,
                            uint64_t seed, uint64_t offset) {
    dropout_run(pool, dinp, dout, n, p, seed, offset, 1);
}
