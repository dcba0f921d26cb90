/* vq.c — vector quantizer: chunked nearest-code search, straight-through estimator,
 * commitment loss, EMA codebook, dead-code restarts, usage perplexity.
 * SPDX-License-Identifier: BSD-3-Clause */
#include "nn_int.h"

#include <math.h>
#include <string.h>

#define ZT CLEFI_VQ_ZT
#define KT CLEFI_VQ_KT

size_t clefi_vq_scratch(int64_t K, int32_t n_threads) {
    return (size_t)K + (size_t)ZT * KT * (size_t)(n_threads < 1 ? 1 : n_threads);
}

typedef struct vq_job {
    float *zq, *tiles, *enorm, *cluster_size, *embed_sum, *counts;
    int32_t *idx;
    const float *z, *cb;
    const int32_t *cidx;
    int64_t N, K, D;
    float decay;
} vq_job;

static void code_norms(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const vq_job *j = arg;
    for (int64_t k = b; k < e; k++) {
        float s = 0.f;
        for (int64_t d = 0; d < j->D; d++)
            s += j->cb[k * j->D + d] * j->cb[k * j->D + d];
        j->enorm[k] = s;
    }
}

/* one tile of ZT rows of z against every code, KT codes at a time, keeping a running argmin of
 * |e|^2 - 2 z.e (|z|^2 is the same for every code of a row) */
static void nearest_tile(const vq_job *j, int64_t t, float *S) {
    int64_t r0 = t * ZT, nr = j->N - r0 < ZT ? j->N - r0 : ZT;
    float best[ZT];
    for (int64_t r = 0; r < nr; r++) {
        best[r] = INFINITY;
        j->idx[r0 + r] = 0;
    }
    for (int64_t k0 = 0; k0 < j->K; k0 += KT) {
        int64_t nk = j->K - k0 < KT ? j->K - k0 : KT;
        clefi_sgemm(NULL, 0, 1, nr, nk, j->D, -2.f, j->z + r0 * j->D, j->D, j->cb + k0 * j->D, j->D,
                    0.f, S, KT);
        for (int64_t r = 0; r < nr; r++)
            for (int64_t c = 0; c < nk; c++) {
                float dist = S[r * KT + c] + j->enorm[k0 + c];
                if (dist < best[r]) { /* strict: ties keep the lowest index */
                    best[r] = dist;
                    j->idx[r0 + r] = (int32_t)(k0 + c);
                }
            }
    }
    for (int64_t r = r0; r < r0 + nr; r++)
        memcpy(j->zq + r * j->D, j->cb + (int64_t)j->idx[r] * j->D, (size_t)j->D * sizeof(float));
}

static void nearest_tiles(void *arg, int64_t b, int64_t e, int32_t tid) {
    const vq_job *j = arg;
    for (int64_t t = b; t < e; t++)
        nearest_tile(j, t, j->tiles + (size_t)tid * ZT * KT);
}

double clefi_vq_forward(clefi_pool *pool, float *zq, int32_t *idx, const float *z,
                        const float *codebook, int64_t N, int64_t K, int64_t D, float *scratch) {
    vq_job j = {.zq = zq,
                .tiles = scratch + K,
                .idx = idx,
                .z = z,
                .cb = codebook,
                .enorm = scratch,
                .N = N,
                .K = K,
                .D = D};
    clefi_nn_blas_init();
    clefi_pool_for(pool, K, code_norms, &j);
    clefi_pool_for(pool, (N + ZT - 1) / ZT, nearest_tiles, &j);
    return clefi_mse_forward(z, zq, N * D);
}

typedef struct st_job {
    float *dz;
    const float *dzq, *z, *zq;
    float c;
} st_job;

static void st_range(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const st_job *j = arg;
    for (int64_t i = b; i < e; i++)
        j->dz[i] += j->dzq[i] + j->c * (j->z[i] - j->zq[i]);
}

void clefi_vq_backward(clefi_pool *pool, float *dz, const float *dzq, const float *z,
                       const float *zq, int64_t N, int64_t D, float beta) {
    st_job j = {dz, dzq, z, zq, 2.f * beta / (float)(N * D)};
    clefi_pool_for(pool, N * D, st_range, &j);
}

/* codes [b, e): decay the statistics, then add this batch's counts and sums in index order */
static void ema_codes(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const vq_job *j = arg;
    float w = 1.f - j->decay;
    for (int64_t k = b; k < e; k++) {
        j->counts[k] = 0.f;
        for (int64_t d = 0; d < j->D; d++)
            j->embed_sum[k * j->D + d] *= j->decay;
    }
    for (int64_t n = 0; n < j->N; n++) {
        int64_t k = j->cidx[n];
        if (k < b || k >= e)
            continue;
        j->counts[k] += 1.f;
        for (int64_t d = 0; d < j->D; d++)
            j->embed_sum[k * j->D + d] += w * j->z[n * j->D + d];
    }
    for (int64_t k = b; k < e; k++)
        j->cluster_size[k] = j->decay * j->cluster_size[k] + w * j->counts[k];
}

void clefi_vq_ema_update(clefi_pool *pool, float *codebook, float *cluster_size, float *embed_sum,
                         const float *z, const int32_t *idx, int64_t N, int64_t K, int64_t D,
                         float decay, float eps, float *counts) {
    vq_job j = {.cluster_size = cluster_size,
                .embed_sum = embed_sum,
                .counts = counts,
                .z = z,
                .cidx = idx,
                .N = N,
                .K = K,
                .D = D,
                .decay = decay};
    clefi_pool_for(pool, K, ema_codes, &j);
    double n = 0.0;
    for (int64_t k = 0; k < K; k++)
        n += cluster_size[k];
    /* Laplace smoothing keeps unused codes finite: (c + eps) / (n + K eps) * n */
    for (int64_t k = 0; k < K; k++) {
        float cs = (float)(((double)cluster_size[k] + eps) / (n + (double)K * eps) * n);
        for (int64_t d = 0; d < D; d++)
            codebook[k * D + d] = embed_sum[k * D + d] / cs;
    }
}

int64_t clefi_vq_restart_dead(float *codebook, float *cluster_size, float *embed_sum,
                              const float *z, int64_t N, int64_t K, int64_t D, float threshold,
                              uint64_t seed, uint64_t offset) {
    int64_t restarted = 0;
    for (int64_t k = 0; k < K; k++) {
        if (cluster_size[k] >= threshold)
            continue;
        int64_t r = (int64_t)(clefi_rng_u64(seed, offset + (uint64_t)k) % (uint64_t)N);
        memcpy(codebook + k * D, z + r * D, (size_t)D * sizeof(float));
        memcpy(embed_sum + k * D, z + r * D, (size_t)D * sizeof(float));
        cluster_size[k] = 1.f;
        restarted++;
    }
    return restarted;
}

double clefi_vq_perplexity(const int32_t *idx, int64_t N, int64_t K, float *counts) {
    for (int64_t k = 0; k < K; k++)
        counts[k] = 0.f;
    for (int64_t n = 0; n < N; n++)
        counts[idx[n]] += 1.f;
    double h = 0.0;
    for (int64_t k = 0; k < K; k++)
        if (counts[k] > 0.f) {
            double p = counts[k] / (double)N;
            h -= p * log(p);
        }
    return exp(h);
}
