/* norm.c — LayerNorm and GroupNorm through one shared kernel.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Both normalise groups of a tensor viewed as (I, C, S): instance i, channel c, position s.
 * LayerNorm(N, C) is I = N, S = 1, one group per row; GroupNorm(B, C, HW, G) is I = B, S = HW,
 * G groups of C/G channels. Statistics are two-pass in double; weight and bias are per channel. */
#include "nn_int.h"

#include <math.h>

typedef struct norm_job {
    int64_t I, C, S, G;
    float eps;
    float *out, *mean, *rstd, *dw, *db;
    const float *inp, *dout, *w, *b;
    const float *cmean, *crstd;
} norm_job;

/* The statistics are chained double sums, one chain per group (per channel for the parameter
 * gradients): that order is what the trained models' bits rest on, so it stays. A chain is
 * latency-bound (about 4 cycles an element), so NORM_LANES groups run side by side, each in its
 * own chain; a block of fewer groups repeats its last one in the spare lanes and drops them. */
enum { NORM_LANES = 8 };

/* lane pointers: base + (first + q) * stride for the n groups of the block, repeated after */
static void lane_ptrs(const float *p[NORM_LANES], const float *base, int64_t first, int64_t n,
                      int64_t stride) {
    for (int q = 0; q < NORM_LANES; q++)
        p[q] = base + (first + (q < n ? q : n - 1)) * stride;
}

/* y = (x - m) * r * w + b over one group's channels */
CLEFI_SIMD_CLONES static void norm_apply(float *restrict y, const float *restrict x,
                                         const norm_job *j, int64_t c0, int64_t cpg, float m,
                                         float r) {
    for (int64_t c = 0; c < cpg; c++) {
        float wc = j->w ? j->w[c0 + c] : 1.f, bc = j->b ? j->b[c0 + c] : 0.f;
        const float *xc = x + c * j->S;
        float *yc = y + c * j->S;
        for (int64_t s2 = 0; s2 < j->S; s2++)
            yc[s2] = (xc[s2] - m) * r * wc + bc;
    }
}

static void norm_fwd_groups(void *arg, int64_t gb, int64_t ge, int32_t tid) {
    (void)tid;
    const norm_job *j = arg;
    int64_t cpg = j->C / j->G, len = cpg * j->S;
    for (int64_t g0 = gb; g0 < ge; g0 += NORM_LANES) {
        int64_t n = ge - g0 < NORM_LANES ? ge - g0 : NORM_LANES;
        const float *x[NORM_LANES]; /* groups are contiguous: (i*G + g) * len */
        lane_ptrs(x, j->inp, g0, n, len);
        double s[NORM_LANES] = {0}, ss[NORM_LANES] = {0}, mu[NORM_LANES];
        for (int64_t k = 0; k < len; k++)
            for (int q = 0; q < NORM_LANES; q++)
                s[q] += x[q][k];
        for (int q = 0; q < NORM_LANES; q++)
            mu[q] = s[q] / (double)len;
        for (int64_t k = 0; k < len; k++)
            for (int q = 0; q < NORM_LANES; q++)
                ss[q] += (x[q][k] - mu[q]) * (x[q][k] - mu[q]);
        for (int q = 0; q < n; q++) {
            int64_t ig = g0 + q;
            float m = (float)mu[q], r = (float)(1.0 / sqrt(ss[q] / (double)len + j->eps));
            j->mean[ig] = m;
            j->rstd[ig] = r;
            norm_apply(j->out + ig * len, x[q], j, (ig % j->G) * cpg, cpg, m, r);
        }
    }
}

/* dx += r * (w * dy - mdn - (x - m) * r * mdnn) over one group's channels */
CLEFI_SIMD_CLONES static void norm_apply_bwd(float *restrict dx, const float *restrict x,
                                             const float *restrict dy, const norm_job *j,
                                             int64_t c0, int64_t cpg, float m, float r, float mdn,
                                             float mdnn) {
    for (int64_t c = 0; c < cpg; c++) {
        float wc = j->w ? j->w[c0 + c] : 1.f;
        for (int64_t s2 = 0; s2 < j->S; s2++) {
            int64_t k = c * j->S + s2;
            dx[k] += r * (wc * dy[k] - mdn - (x[k] - m) * r * mdnn);
        }
    }
}

/* dx = rstd * (dn - mean(dn) - n * mean(dn * n)), dn = w * dout, n = normalised input */
static void norm_bwd_groups(void *arg, int64_t gb, int64_t ge, int32_t tid) {
    (void)tid;
    const norm_job *j = arg;
    int64_t cpg = j->C / j->G, len = cpg * j->S;
    for (int64_t g0 = gb; g0 < ge; g0 += NORM_LANES) {
        int64_t n = ge - g0 < NORM_LANES ? ge - g0 : NORM_LANES;
        const float *x[NORM_LANES], *dy[NORM_LANES];
        lane_ptrs(x, j->inp, g0, n, len);
        lane_ptrs(dy, j->dout, g0, n, len);
        float m[NORM_LANES], r[NORM_LANES];
        const float *wq[NORM_LANES];
        for (int q = 0; q < NORM_LANES; q++) {
            int64_t ig = g0 + (q < n ? q : n - 1);
            m[q] = j->cmean[ig], r[q] = j->crstd[ig];
            wq[q] = j->w ? j->w + (ig % j->G) * cpg : NULL;
        }
        double sdn[NORM_LANES] = {0}, sdnn[NORM_LANES] = {0};
        for (int64_t c = 0; c < cpg; c++)
            for (int64_t s2 = 0; s2 < j->S; s2++) {
                int64_t k = c * j->S + s2;
                for (int q = 0; q < NORM_LANES; q++) {
                    float dn = (wq[q] ? wq[q][c] : 1.f) * dy[q][k];
                    sdn[q] += dn;
                    sdnn[q] += dn * (x[q][k] - m[q]) * r[q];
                }
            }
        for (int q = 0; q < n; q++) {
            int64_t ig = g0 + q;
            float mdn = (float)(sdn[q] / (double)len), mdnn = (float)(sdnn[q] / (double)len);
            norm_apply_bwd(j->out + ig * len, x[q], dy[q], j, (ig % j->G) * cpg, cpg, m[q], r[q],
                           mdn, mdnn);
        }
    }
}

/* dw[c] += sum dout * n, db[c] += sum dout over instances and positions: split over channels */
static void norm_param_grads(void *arg, int64_t cb, int64_t ce, int32_t tid) {
    (void)tid;
    const norm_job *j = arg;
    int64_t cpg = j->C / j->G;
    for (int64_t c0 = cb; c0 < ce; c0 += NORM_LANES) {
        int64_t n = ce - c0 < NORM_LANES ? ce - c0 : NORM_LANES;
        double sw[NORM_LANES] = {0}, sb[NORM_LANES] = {0};
        for (int64_t i = 0; i < j->I; i++) {
            const float *x[NORM_LANES], *dy[NORM_LANES];
            lane_ptrs(x, j->inp + i * j->C * j->S, c0, n, j->S);
            lane_ptrs(dy, j->dout + i * j->C * j->S, c0, n, j->S);
            float m[NORM_LANES], r[NORM_LANES];
            for (int q = 0; q < NORM_LANES; q++) {
                int64_t st = i * j->G + (c0 + (q < n ? q : n - 1)) / cpg;
                m[q] = j->cmean[st], r[q] = j->crstd[st];
            }
            for (int64_t s2 = 0; s2 < j->S; s2++)
                for (int q = 0; q < NORM_LANES; q++) {
                    sw[q] += dy[q][s2] * (x[q][s2] - m[q]) * r[q];
                    sb[q] += dy[q][s2];
                }
        }
        for (int q = 0; q < n; q++) {
            if (j->dw != NULL)
                j->dw[c0 + q] += (float)sw[q];
            if (j->db != NULL)
                j->db[c0 + q] += (float)sb[q];
        }
    }
}

static void norm_forward(clefi_pool *pool, norm_job *j) {
    clefi_pool_for(pool, j->I * j->G, norm_fwd_groups, j);
}

static void norm_backward(clefi_pool *pool, norm_job *j) {
    if (j->out != NULL)
        clefi_pool_for(pool, j->I * j->G, norm_bwd_groups, j);
    if (j->dw != NULL || j->db != NULL)
        clefi_pool_for(pool, j->C, norm_param_grads, j);
}

void clefi_groupnorm_forward(clefi_pool *pool, float *out, float *mean, float *rstd,
                             const float *inp, const float *weight, const float *bias, int64_t B,
                             int64_t C, int64_t HW, int64_t G, float eps) {
    norm_job j = {.I = B,
                  .C = C,
                  .S = HW,
                  .G = G,
                  .eps = eps,
                  .out = out,
                  .mean = mean,
                  .rstd = rstd,
                  .inp = inp,
                  .w = weight,
                  .b = bias};
    norm_forward(pool, &j);
}

void clefi_groupnorm_backward(clefi_pool *pool, float *dinp, float *dweight, float *dbias,
                              const float *dout, const float *inp, const float *weight,
                              const float *mean, const float *rstd, int64_t B, int64_t C,
                              int64_t HW, int64_t G) {
    norm_job j = {.I = B,
                  .C = C,
                  .S = HW,
                  .G = G,
                  .out = dinp,
                  .dw = dweight,
                  .db = dbias,
                  .inp = inp,
                  .dout = dout,
                  .w = weight,
                  .cmean = mean,
                  .crstd = rstd};
    norm_backward(pool, &j);
}

/* LayerNorm(N, C) is GroupNorm with one group and one position per row (see the header). */
void clefi_layernorm_forward(clefi_pool *pool, float *out, float *mean, float *rstd,
                             const float *inp, const float *weight, const float *bias, int64_t N,
                             int64_t C, float eps) {
    clefi_groupnorm_forward(pool, out, mean, rstd, inp, weight, bias, N, C, 1, 1, eps);
}

void clefi_layernorm_backward(clefi_pool *pool, float *dinp, float *dweight, float *dbias,
                              const float *dout, const float *inp, const float *weight,
                              const float *mean, const float *rstd, int64_t N, int64_t C) {
    clefi_groupnorm_backward(pool, dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C, 1, 1);
}

/* ---- inference: LayerNorm with lane-wise sums ---- */

/* The chained double sums above are latency-bound (about 4 cycles an element); here each row's
 * sums run in 8 independent double lanes (combined in a fixed order), which vectorize. Other
 * rounding than clefi_layernorm_forward, so for inference paths that do not promise its bits. */
enum { LN_LANES = 8 };
typedef struct ln_fast_job {
    float *out;
    const float *inp, *w, *b;
    int64_t C;
    float eps;
} ln_fast_job;

CLEFI_SIMD_CLONES static void ln_fast_rows(void *arg, int64_t rb, int64_t re, int32_t tid) {
    (void)tid;
    const ln_fast_job *j = arg;
    const int64_t C = j->C, body = C - C % LN_LANES;
    for (int64_t i = rb; i < re; i++) {
        const float *x = j->inp + i * C;
        float *y = j->out + i * C;
        double s[LN_LANES] = {0}, ss[LN_LANES] = {0};
        for (int64_t k = 0; k < body; k += LN_LANES)
            for (int l = 0; l < LN_LANES; l++)
                s[l] += x[k + l];
        double sum = 0.0;
        for (int l = 0; l < LN_LANES; l++)
            sum += s[l];
        for (int64_t k = body; k < C; k++)
            sum += x[k];
        const double mu = sum / (double)C;
        for (int64_t k = 0; k < body; k += LN_LANES)
            for (int l = 0; l < LN_LANES; l++)
                ss[l] += (x[k + l] - mu) * (x[k + l] - mu);
        double var = 0.0;
        for (int l = 0; l < LN_LANES; l++)
            var += ss[l];
        for (int64_t k = body; k < C; k++)
            var += (x[k] - mu) * (x[k] - mu);
        const float m = (float)mu, r = (float)(1.0 / sqrt(var / (double)C + j->eps));
        for (int64_t k = 0; k < C; k++)
            y[k] = (x[k] - m) * r * j->w[k] + j->b[k];
    }
}

void clefi_layernorm_infer(clefi_pool *pool, float *out, const float *inp, const float *weight,
                           const float *bias, int64_t N, int64_t C, float eps) {
    ln_fast_job j = {out, inp, weight, bias, C, eps};
    clefi_pool_for(pool, N, ln_fast_rows, &j);
}

/* ---- inference: GroupNorm + SiLU in one pass over the output ---- */

/* Floats per chunk of the statistics: each chunk is summed in GN_LANES float partial sums
 * (a vectorizable order) and the chunk sums are added in double, so the float error is that
 * of a sum of GN_CHUNK / GN_LANES terms. */
#define GN_CHUNK 256
#define GN_LANES 16

/* sum of (x[k] - c)^sq over k < n, sq = 1 or 2 */
CLEFI_SIMD_CLONES static double chunked_sum(const float *restrict x, int64_t n, float c, int sq) {
    double s = 0.0;
    for (int64_t k0 = 0; k0 < n; k0 += GN_CHUNK) {
        int64_t len = n - k0 < GN_CHUNK ? n - k0 : GN_CHUNK, k = 0;
        const float *xc = x + k0;
        float acc[GN_LANES] = {0};
        if (sq == 1)
            for (; k + GN_LANES <= len; k += GN_LANES)
                for (int l = 0; l < GN_LANES; l++)
                    acc[l] += xc[k + l] - c;
        else
            for (; k + GN_LANES <= len; k += GN_LANES)
                for (int l = 0; l < GN_LANES; l++)
                    acc[l] += (xc[k + l] - c) * (xc[k + l] - c);
        for (; k < len; k++)
            acc[0] += sq == 1 ? xc[k] - c : (xc[k] - c) * (xc[k] - c);
        for (int l = 0; l < GN_LANES; l++)
            s += acc[l];
    }
    return s;
}

/* y = SiLU(x * a + b) = v / (1 + exp(-v)) (torch.nn.SiLU) */
CLEFI_SIMD_CLONES static void affine_silu(float *restrict y, const float *restrict x, int64_t n,
                                          float a, float b) {
    for (int64_t k = 0; k < n; k++) {
        float v = x[k] * a + b;
        y[k] = v / (1.0f + clefi_expf(-v));
    }
}

static void norm_silu_groups(void *arg, int64_t gb, int64_t ge, int32_t tid) {
    (void)tid;
    const norm_job *j = arg;
    int64_t cpg = j->C / j->G, len = cpg * j->S;
    for (int64_t g = gb; g < ge; g++) {
        const float *x = j->inp + g * len;
        float *y = j->out + g * len;
        double mu = chunked_sum(x, len, 0.0f, 1) / (double)len;
        double var = chunked_sum(x, len, (float)mu, 2) / (double)len;
        float m = (float)mu, r = (float)(1.0 / sqrt(var + j->eps));
        for (int64_t c = 0; c < cpg; c++) {
            int64_t ch = g * cpg + c;
            float a = r * (j->w != NULL ? j->w[ch] : 1.0f);
            float b = (j->b != NULL ? j->b[ch] : 0.0f) - m * a;
            affine_silu(y + c * j->S, x + c * j->S, j->S, a, b);
        }
    }
}

void clefi_groupnorm_silu_forward(clefi_pool *pool, float *out, const float *inp,
                                  const float *weight, const float *bias, int64_t C, int64_t HW,
                                  int64_t G, float eps) {
    norm_job j = {.I = 1,
                  .C = C,
                  .S = HW,
                  .G = G,
                  .eps = eps,
                  .out = out,
                  .inp = inp,
                  .w = weight,
                  .b = bias};
    clefi_pool_for(pool, G, norm_silu_groups, &j);
}
