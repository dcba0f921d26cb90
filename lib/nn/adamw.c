/* adamw.c — AdamW, global-norm clipping, learning-rate schedules, EMA of weights.
 * SPDX-License-Identifier: BSD-3-Clause */
#include "nn_int.h"

#include <math.h>

typedef struct adam_job {
    const clefi_adamw *h;
    float *p, *m, *v;
    const float *g;
    float step_size, bc2_sqrt;
} adam_job;

/* torch/optim/adamw.py _single_tensor_adamw (foreach=False), operation for operation:
 * p *= 1 - lr wd; m = lerp(m, g, 1 - b1); v = b2 v + (1 - b2) g^2;
 * p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps) */
static void adam_range(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const adam_job *j = arg;
    const clefi_adamw *h = j->h;
    float decay = 1.f - h->lr * h->weight_decay;
    for (int64_t i = b; i < e; i++) {
        float g = j->g[i];
        j->p[i] *= decay;
        j->m[i] += (g - j->m[i]) * (1.f - h->beta1);
        j->v[i] = j->v[i] * h->beta2 + (1.f - h->beta2) * g * g;
        float denom = sqrtf(j->v[i]) / j->bc2_sqrt + h->eps;
        j->p[i] += -j->step_size * (j->m[i] / denom);
    }
}

void clefi_adamw_step(clefi_pool *pool, const clefi_adamw *h, float *params, const float *grads,
                      float *m, float *v, int64_t n, int64_t step) {
    double bc1 = 1.0 - pow(h->beta1, (double)step), bc2 = 1.0 - pow(h->beta2, (double)step);
    adam_job j = {h, params, m, v, grads, (float)(h->lr / bc1), (float)sqrt(bc2)};
    clefi_pool_for(pool, n, adam_range, &j);
}

/* Fixed block count: the partial sums and their order depend on n only, never on threads. */
#define NORM_BLOCKS 64

typedef struct norm_job {
    const float *g;
    int64_t n;
    double part[NORM_BLOCKS];
} norm_job;

static void norm_blocks(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    norm_job *j = arg;
    for (int64_t blk = b; blk < e; blk++) {
        int64_t lo = j->n * blk / NORM_BLOCKS, hi = j->n * (blk + 1) / NORM_BLOCKS;
        double s = 0.0;
        for (int64_t i = lo; i < hi; i++)
            s += (double)j->g[i] * j->g[i];
        j->part[blk] = s;
    }
}

double clefi_grad_norm(clefi_pool *pool, const float *g, int64_t n) {
    norm_job j = {.g = g, .n = n};
    clefi_pool_for(pool, NORM_BLOCKS, norm_blocks, &j);
    double s = 0.0;
    for (int b = 0; b < NORM_BLOCKS; b++)
        s += j.part[b];
    return sqrt(s);
}

double clefi_grad_clip(clefi_pool *pool, float *g, int64_t n, double max_norm) {
    double norm = clefi_grad_norm(pool, g, n);
    double coef = max_norm / (norm + 1e-6); /* torch.nn.utils.clip_grad_norm_ */
    if (coef < 1.0)
        clefi_scale(pool, g, n, (float)coef);
    return norm;
}

double clefi_lr_at(clefi_sched kind, int64_t step, int64_t warmup, int64_t total_steps,
                   double base_lr, double min_lr) {
    if (step < warmup)
        return base_lr * (double)(step + 1) / (double)warmup;
    if (kind == CLEFI_SCHED_CONSTANT || total_steps <= warmup)
        return base_lr;
    double t = (double)(step - warmup) / (double)(total_steps - warmup);
    t = t > 1.0 ? 1.0 : t;
    return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + cos(3.141592653589793 * t));
}

typedef struct ema_job {
    float *ema;
    const float *p;
    float decay;
} ema_job;

static void ema_range(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const ema_job *j = arg;
    for (int64_t i = b; i < e; i++)
        j->ema[i] = j->decay * j->ema[i] + (1.f - j->decay) * j->p[i];
}

void clefi_ema_update(clefi_pool *pool, float *ema, const float *params, int64_t n, float decay) {
    ema_job j = {ema, params, decay};
    clefi_pool_for(pool, n, ema_range, &j);
}
