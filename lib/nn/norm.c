/* norm.c — LayerNorm and GroupNorm through one shared kernel.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Both normalise groups of a tensor viewed as (I, C, S): instance i, channel c, position s.
 * LayerNorm(N, C) is I = N, S = 1, one group per row; GroupNorm(B, C, HW, G) is I = B, S = HW,
 * G groups of C/G channels. Statistics are two-pass in double; weight and bias are per channel. */
#include "nn_int.h"

#include <math.h>

int clefi_norm_plain = 0;

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

/* The chains themselves. Each adds lane q's terms in order of k; on CPUs with AVX-512F, 8
 * terms of each of the 8 lanes at a time: converted to double, the 8 x 8 block transposed so
 * that step t holds every lane's k + t, and added step by step: the same additions in the
 * same order, 8 lanes per instruction. The scalar loops finish the last k < 8 (and run alone
 * elsewhere). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#include <immintrin.h>
#define NORM_AVX512 1
#define NORM_TGT    __attribute__((target("avx512f")))

static int norm_avx512(void) { return !clefi_norm_plain && __builtin_cpu_supports("avx512f"); }

/* v[q][t] -> v[t][q] */
NORM_TGT static inline void tr8(__m512d v[8]) {
    __m512d a[8], b[8];
    for (int i = 0; i < 4; i++) {
        a[2 * i] = _mm512_unpacklo_pd(v[2 * i], v[2 * i + 1]);     /* t = 0 2 4 6 */
        a[2 * i + 1] = _mm512_unpackhi_pd(v[2 * i], v[2 * i + 1]); /* t = 1 3 5 7 */
    }
    const __m512i lo = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
    const __m512i hi = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    for (int h = 0; h < 2; h++) /* rows 4h .. 4h + 3 */
        for (int u = 0; u < 2; u++) {
            b[4 * h + u] = _mm512_permutex2var_pd(a[4 * h + u], lo, a[4 * h + u + 2]);
            b[4 * h + u + 2] = _mm512_permutex2var_pd(a[4 * h + u], hi, a[4 * h + u + 2]);
        }
    /* b[4h + 0]: t 0|4, b[4h + 1]: t 1|5, b[4h + 2]: t 2|6, b[4h + 3]: t 3|7 (rows 4h..4h+3) */
    const __m512i c0 = _mm512_set_epi64(11, 10, 9, 8, 3, 2, 1, 0);
    const __m512i c1 = _mm512_set_epi64(15, 14, 13, 12, 7, 6, 5, 4);
    for (int t = 0; t < 4; t++) {
        v[t] = _mm512_permutex2var_pd(b[t], c0, b[4 + t]);
        v[t + 4] = _mm512_permutex2var_pd(b[t], c1, b[4 + t]);
    }
}

/* terms k .. k + 7 of each lane, as doubles, step t in v[t] */
NORM_TGT static inline void load8(__m512d v[8], const float *const x[NORM_LANES], int64_t k) {
    for (int q = 0; q < 8; q++)
        v[q] = _mm512_cvtps_pd(_mm256_loadu_ps(x[q] + k));
    tr8(v);
}

NORM_TGT static int64_t sum_lanes_avx512(const float *const x[NORM_LANES], int64_t len,
                                         double s[NORM_LANES]) {
    __m512d acc = _mm512_loadu_pd(s), v[8];
    int64_t k = 0;
    for (; k + 8 <= len; k += 8) {
        load8(v, x, k);
        for (int t = 0; t < 8; t++)
            acc = _mm512_add_pd(acc, v[t]);
    }
    _mm512_storeu_pd(s, acc);
    return k;
}

NORM_TGT static int64_t sqdev_lanes_avx512(const float *const x[NORM_LANES], int64_t len,
                                           const double mu[NORM_LANES], double ss[NORM_LANES]) {
    __m512d acc = _mm512_loadu_pd(ss), m = _mm512_loadu_pd(mu), v[8];
    int64_t k = 0;
    for (; k + 8 <= len; k += 8) {
        load8(v, x, k);
        for (int t = 0; t < 8; t++) {
            __m512d d = _mm512_sub_pd(v[t], m);
            acc = _mm512_add_pd(acc, _mm512_mul_pd(d, d));
        }
    }
    _mm512_storeu_pd(ss, acc);
    return k;
}

/* terms a[q][k] = (f[q] * u[q][k]) and b[q][k] = (a * (v[q][k] - m[q])) * r[q] in float, summed
 * in double: sa += a, sb += b (the backward's dn and dn * n, the parameters' dy and dy * n);
 * f NULL: a = u. Over k in [0, n); returns the k reached. */
NORM_TGT static int64_t dot_lanes_avx512(const float *const u[NORM_LANES],
                                         const float *const v[NORM_LANES], int64_t off, int64_t n,
                                         const float *f, const float m[NORM_LANES],
                                         const float r[NORM_LANES], double sa[NORM_LANES],
                                         double sb[NORM_LANES]) {
    __m512d acca = _mm512_loadu_pd(sa), accb = _mm512_loadu_pd(sb), ta[8], tb[8];
    int64_t k = 0;
    for (; k + 8 <= n; k += 8) {
        for (int q = 0; q < 8; q++) {
            __m256 a = _mm256_loadu_ps(u[q] + off + k);
            if (f != NULL)
                a = _mm256_mul_ps(_mm256_set1_ps(f[q]), a);
            __m256 d = _mm256_sub_ps(_mm256_loadu_ps(v[q] + off + k), _mm256_set1_ps(m[q]));
            __m256 b = _mm256_mul_ps(_mm256_mul_ps(a, d), _mm256_set1_ps(r[q]));
            ta[q] = _mm512_cvtps_pd(a);
            tb[q] = _mm512_cvtps_pd(b);
        }
        tr8(ta);
        tr8(tb);
        for (int t = 0; t < 8; t++) {
            acca = _mm512_add_pd(acca, ta[t]);
            accb = _mm512_add_pd(accb, tb[t]);
        }
    }
    _mm512_storeu_pd(sa, acca);
    _mm512_storeu_pd(sb, accb);
    return k;
}
#endif

/* s[q] += x[q][k], k < len */
static void sum_lanes(const float *const x[NORM_LANES], int64_t len, double s[NORM_LANES]) {
    int64_t k = 0;
#ifdef NORM_AVX512
    if (norm_avx512())
        k = sum_lanes_avx512(x, len, s);
#endif
    for (; k < len; k++)
        for (int q = 0; q < NORM_LANES; q++)
            s[q] += x[q][k];
}

void clefi_add_row_sums(float *out, const float *x, int64_t rb, int64_t re, int64_t len) {
    for (int64_t r0 = rb; r0 < re; r0 += NORM_LANES) {
        int64_t n = re - r0 < NORM_LANES ? re - r0 : NORM_LANES;
        const float *rows[NORM_LANES];
        lane_ptrs(rows, x, r0, n, len);
        double s[NORM_LANES] = {0};
        sum_lanes(rows, len, s);
        for (int q = 0; q < n; q++)
            out[r0 - rb + q] += (float)s[q];
    }
}

/* ss[q] += (x[q][k] - mu[q])^2, k < len */
static void sqdev_lanes(const float *const x[NORM_LANES], int64_t len, const double mu[NORM_LANES],
                        double ss[NORM_LANES]) {
    int64_t k = 0;
#ifdef NORM_AVX512
    if (norm_avx512())
        k = sqdev_lanes_avx512(x, len, mu, ss);
#endif
    for (; k < len; k++)
        for (int q = 0; q < NORM_LANES; q++)
            ss[q] += (x[q][k] - mu[q]) * (x[q][k] - mu[q]);
}

/* dot_lanes_avx512's sums over k in [off, off + n), any CPU */
static void dot_lanes(const float *const u[NORM_LANES], const float *const v[NORM_LANES],
                      int64_t off, int64_t n, const float *f, const float m[NORM_LANES],
                      const float r[NORM_LANES], double sa[NORM_LANES], double sb[NORM_LANES]) {
    int64_t k = 0;
#ifdef NORM_AVX512
    if (norm_avx512())
        k = dot_lanes_avx512(u, v, off, n, f, m, r, sa, sb);
#endif
    for (; k < n; k++)
        for (int q = 0; q < NORM_LANES; q++) {
            float a = f != NULL ? f[q] * u[q][off + k] : u[q][off + k];
            sa[q] += a;
            sb[q] += a * (v[q][off + k] - m[q]) * r[q];
        }
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
        sum_lanes(x, len, s);
        for (int q = 0; q < NORM_LANES; q++)
            mu[q] = s[q] / (double)len;
        sqdev_lanes(x, len, mu, ss);
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
        for (int64_t c = 0; c < cpg; c++) { /* dn = w * dout, then sums of dn and dn * n */
            float f[NORM_LANES];
            for (int q = 0; q < NORM_LANES; q++)
                f[q] = wq[q] ? wq[q][c] : 1.f;
            dot_lanes(dy, x, c * j->S, j->S, j->w ? f : NULL, m, r, sdn, sdnn);
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
            dot_lanes(dy, x, 0, j->S, NULL, m, r, sb, sw);
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
