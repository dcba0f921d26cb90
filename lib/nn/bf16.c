/* bf16.c — inference-only linear layers with bfloat16 inputs and float32 sums, for frozen weights
 * (the text tower's optional BF16 mode, docs/text-tower.md "BF16 mode").
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * VDPBF16PS (AVX-512 BF16) multiplies pairs of bfloat16 values and adds both products to a float
 * lane: twice the multiply-adds of an FMA per instruction. The weights are rounded to bfloat16
 * once and packed in panels of 32 output columns, each k-pair of a column one 32-bit word, so a
 * panel row is two zmm loads; the activations are rounded per call, row-major, so a k-pair of a
 * row is one broadcast word. A register block is 12 rows x 32 columns (24 zmm sums). Every sum
 * runs over k-pairs 0, 1, ... in order whatever the thread count: pool threads take whole panels,
 * so results are bit-identical for any n_threads. */
#define _POSIX_C_SOURCE 200809L
#include "nn_int.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__) &&       \
    (__GNUC__ >= 10)
#define BF16_X86 1
#include <immintrin.h>
#endif

enum { BF_NR = 32, BF_MR = 12 };

static int64_t kpairs(int64_t in) { return (in + 1) / 2; }
static int64_t panels(int64_t out) { return (out + BF_NR - 1) / BF_NR; }
/* rows rounded up to whole register blocks */
static int64_t padded_rows(int64_t T) { return (T + BF_MR - 1) / BF_MR * BF_MR; }
/* columns of panel p of an n-column output */
static int64_t panel_cols(int64_t n, int64_t p) {
    return n - p * BF_NR < BF_NR ? n - p * BF_NR : BF_NR;
}

int clefi_bf16_available(void) {
    const uint32_t need = CLEFI_ISA_AVX512F | CLEFI_ISA_AVX512BF16;
#ifdef BF16_X86
    return (clefi_cpu_isa() & need) == need;
#else
    (void)need;
    return 0;
#endif
}

size_t clefi_bf16_packed_words(int64_t in, int64_t out) {
    return (size_t)(panels(out) * kpairs(in) * BF_NR);
}

size_t clefi_bf16_act_words(int64_t T, int64_t in) { return (size_t)(padded_rows(T) * kpairs(in)); }

/* float -> bfloat16, round to nearest even (as VCVTNE2PS2BF16 for normal numbers); NaN stays NaN */
static uint32_t to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (u >> 16) | 0x40u;
    return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}

void clefi_bf16_pack(uint32_t *dst, const float *w, int64_t in, int64_t out) {
    const int64_t kp = kpairs(in);
    for (int64_t p = 0; p < panels(out); p++)
        for (int64_t kk = 0; kk < kp; kk++)
            for (int64_t j = 0; j < BF_NR; j++) {
                int64_t n = p * BF_NR + j, k = 2 * kk;
                uint32_t lo = n < out ? to_bf16(w[n * in + k]) : 0;
                uint32_t hi = n < out && k + 1 < in ? to_bf16(w[n * in + k + 1]) : 0;
                dst[(p * kp + kk) * BF_NR + j] = lo | hi << 16;
            }
}

#ifdef BF16_X86
typedef struct bf_job {
    float *y;
    const uint32_t *xa, *wp;
    const float *bias;
    int64_t T, kp, out;
} bf_job;

/* rows of x, 12 at a time (zero rows pad the last block), times one panel; the first `rows` rows
 * and `cols` columns are written */
__attribute__((target("avx512f,avx512bf16"))) static void
bf_block(float *y, int64_t ldy, const uint32_t *xa, int64_t kp, const uint32_t *wp,
         const float *bias, int rows, int cols) {
    __m512 acc[BF_MR][2];
    for (int r = 0; r < BF_MR; r++)
        acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (int64_t kk = 0; kk < kp; kk++) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(wp + kk * BF_NR);
        __m512bh b1 = (__m512bh)_mm512_loadu_si512(wp + kk * BF_NR + 16);
#pragma GCC unroll 12
        for (int r = 0; r < BF_MR; r++) {
            __m512bh a = (__m512bh)_mm512_set1_epi32((int)xa[r * kp + kk]);
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], a, b0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], a, b1);
        }
    }
    __mmask16 m0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1u);
    __mmask16 m1 = cols >= 32 ? 0xffff : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1u);
    __m512 c0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : _mm512_setzero_ps();
    __m512 c1 = bias ? _mm512_maskz_loadu_ps(m1, bias + 16) : _mm512_setzero_ps();
    for (int r = 0; r < rows; r++) {
        _mm512_mask_storeu_ps(y + r * ldy, m0, _mm512_add_ps(acc[r][0], c0));
        _mm512_mask_storeu_ps(y + r * ldy + 16, m1, _mm512_add_ps(acc[r][1], c1));
    }
}

/* all T rows of xa (kp words each) times one panel wpanel into cols columns of y */
static void bf_panel(float *y, int64_t ldy, const uint32_t *xa, int64_t kp, const uint32_t *wpanel,
                     const float *bias, int64_t T, int64_t cols) {
    for (int64_t m0 = 0; m0 < T; m0 += BF_MR)
        bf_block(y + m0 * ldy, ldy, xa + m0 * kp, kp, wpanel, bias,
                 (int)(T - m0 < BF_MR ? T - m0 : BF_MR), (int)cols);
}

static void bf_panels(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const bf_job *j = arg;
    for (int64_t p = b; p < e; p++)
        bf_panel(j->y + p * BF_NR, j->out, j->xa, j->kp, j->wp + p * j->kp * BF_NR,
                 j->bias ? j->bias + p * BF_NR : NULL, j->T, panel_cols(j->out, p));
}

/* x (T rows of in, row stride ldx) -> rows of k-pairs, zero-padded to a multiple of 12 rows and
 * an even width */
__attribute__((target("avx512f,avx512bf16"))) static void
bf_round(uint32_t *xa, const float *x, int64_t T, int64_t in, int64_t ldx) {
    const int64_t kp = kpairs(in), tp = padded_rows(T);
    for (int64_t t = 0; t < T; t++) {
        const float *xr = x + t * ldx;
        uint32_t *dr = xa + t * kp;
        int64_t k = 0;
        for (; k + 32 <= in; k += 32) {
            __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(xr + k + 16), _mm512_loadu_ps(xr + k));
            _mm512_storeu_si512(dr + k / 2, (__m512i)v);
        }
        for (; k < in; k += 2)
            dr[k / 2] = to_bf16(xr[k]) | (k + 1 < in ? to_bf16(xr[k + 1]) << 16 : 0u);
    }
    memset(xa + T * kp, 0, (size_t)((tp - T) * kp) * sizeof *xa);
}

/* ---- attention of one sequence ---- */

typedef struct bf_attn_job {
    float *out;
    const float *qkv;
    uint32_t *scratch;
    int64_t T, C, NH, words;
} bf_attn_job;

size_t clefi_bf16_attn_words(int64_t T, int64_t C, int64_t NH) {
    const int64_t dh = C / NH, tp = padded_rows(T);
    return (size_t)(tp * kpairs(dh) + T * kpairs(dh) + panels(T) * kpairs(dh) * BF_NR + tp * T +
                    tp * kpairs(T) + panels(dh) * kpairs(T) * BF_NR);
}

/* rows of k-pairs kt (n rows of kp words) -> panels of 32 rows (clefi_bf16_pack's layout) */
static void bf_panelize(uint32_t *dst, const uint32_t *kt, int64_t n, int64_t kp) {
    for (int64_t p = 0; p < panels(n); p++)
        for (int64_t kk = 0; kk < kp; kk++)
            for (int64_t j = 0; j < BF_NR; j++) {
                int64_t r = p * BF_NR + j;
                dst[(p * kp + kk) * BF_NR + j] = r < n ? kt[r * kp + kk] : 0u;
            }
}

/* exp(x) for x <= 0 (softmax arguments): clefi_expf's Cephes polynomial with FMAs and VSCALEFPS,
 * no selects; below -87.3 it gives about 1e-38 instead of 0. About 2x faster here than the
 * compiler's vectorized clefi_expf (docs/NN.md). */
__attribute__((target("avx512f,avx512bf16"))) static inline __m512 bf_exp(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.3f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.f)));
    return _mm512_scalef_ps(p, n);
}

/* softmax of each of the T rows of s (T wide) after the scale, written as rows of k-pairs of
 * bfloat16 into pb (zero rows pad to a multiple of 12) */
__attribute__((target("avx512f,avx512bf16"))) static void bf_softmax_rows(uint32_t *pb, float *s,
                                                                          int64_t T, float scale) {
    const int64_t kt = kpairs(T), tp = padded_rows(T);
    for (int64_t i = 0; i < T; i++) {
        float *r = s + i * T, mx = r[0], sum = 0.f, lane[16];
        int64_t c = 0;
        /* 16 independent maxima and sums (vectorized), combined in a fixed order */
        for (int k = 0; k < 16; k++)
            lane[k] = r[0];
        for (; c + 16 <= T; c += 16)
            for (int k = 0; k < 16; k++)
                lane[k] = r[c + k] > lane[k] ? r[c + k] : lane[k];
        for (; c < T; c++)
            mx = r[c] > mx ? r[c] : mx;
        for (int k = 0; k < 16; k++)
            mx = lane[k] > mx ? lane[k] : mx;
        const __m512 vmx = _mm512_set1_ps(mx), vsc = _mm512_set1_ps(scale);
        __m512 acc = _mm512_setzero_ps();
        for (c = 0; c + 16 <= T; c += 16) {
            __m512 e = bf_exp(_mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(r + c), vmx), vsc));
            _mm512_storeu_ps(r + c, e);
            acc = _mm512_add_ps(acc, e);
        }
        for (; c < T; c++) {
            r[c] = clefi_expf((r[c] - mx) * scale);
            sum += r[c];
        }
        _mm512_storeu_ps(lane, acc);
        for (int k = 0; k < 16; k++)
            sum += lane[k];
        const __m512 inv = _mm512_set1_ps(1.f / sum);
        uint32_t *dr = pb + i * kt;
        for (c = 0; c + 32 <= T; c += 32) {
            __m512 lo = _mm512_mul_ps(_mm512_loadu_ps(r + c), inv);
            __m512 hi = _mm512_mul_ps(_mm512_loadu_ps(r + c + 16), inv);
            _mm512_storeu_si512(dr + c / 2, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
        }
        const float sinv = 1.f / sum;
        for (; c < T; c += 2)
            dr[c / 2] = to_bf16(r[c] * sinv) | (c + 1 < T ? to_bf16(r[c + 1] * sinv) << 16 : 0u);
    }
    memset(pb + T * kt, 0, (size_t)((tp - T) * kt) * sizeof *pb);
}

/* V^T as a weight (dh x T) in panels of 32 columns: word (column c, key pair kk) holds v[2kk][c]
 * and v[2kk+1][c] (rows ldv apart) */
__attribute__((target("avx512f,avx512bf16"))) static void
bf_pack_vt(uint32_t *vpan, const float *v, int64_t ldv, int64_t T, int64_t dh) {
    const int64_t kt = kpairs(T);
    for (int64_t kk = 0; kk < kt; kk++) {
        const float *r0 = v + 2 * kk * ldv, *r1 = r0 + ldv;
        int has1 = 2 * kk + 1 < T;
        int64_t c = 0;
        for (; c + 16 <= dh && has1; c += 16) {
            __m512i lo =
                _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(r0 + c)));
            __m512i hi =
                _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(r1 + c)));
            int64_t pp = c / BF_NR, jj = c % BF_NR;
            _mm512_storeu_si512(vpan + (pp * kt + kk) * BF_NR + jj,
                                _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16)));
        }
        for (; c < panels(dh) * BF_NR; c++) {
            uint32_t w = c < dh ? to_bf16(r0[c]) | (has1 ? to_bf16(r1[c]) << 16 : 0u) : 0u;
            vpan[((c / BF_NR) * kt + kk) * BF_NR + c % BF_NR] = w;
        }
    }
}

/* one head: S = Q K^T, softmax, O = P V, each product on bfloat16 inputs with float sums */
static void bf_attn_heads(void *arg, int64_t hb, int64_t he, int32_t tid) {
    const bf_attn_job *j = arg;
    const int64_t T = j->T, C = j->C, dh = C / j->NH, kd = kpairs(dh), kt = kpairs(T);
    const int64_t tp = padded_rows(T);
    uint32_t *qb = j->scratch + (size_t)tid * (size_t)j->words, *krows = qb + tp * kd;
    uint32_t *kpan = krows + T * kd, *pb = kpan + panels(T) * kd * BF_NR;
    float *sc = (float *)(void *)(pb + tp * kt);
    uint32_t *vpan = (uint32_t *)(void *)(sc + tp * T);
    for (int64_t h = hb; h < he; h++) {
        const float *q = j->qkv + h * dh, *k = q + C, *v = q + 2 * C;
        bf_round(qb, q, T, dh, 3 * C);
        bf_round(krows, k, T, dh, 3 * C);
        bf_panelize(kpan, krows, T, kd);
        for (int64_t p = 0; p < panels(T); p++)
            bf_panel(sc + p * BF_NR, T, qb, kd, kpan + p * kd * BF_NR, NULL, T, panel_cols(T, p));
        bf_softmax_rows(pb, sc, T, 1.f / sqrtf((float)dh));
        bf_pack_vt(vpan, v, 3 * C, T, dh);
        for (int64_t p = 0; p < panels(dh); p++)
            bf_panel(j->out + h * dh + p * BF_NR, C, pb, kt, vpan + p * kt * BF_NR, NULL, T,
                     panel_cols(dh, p));
    }
}
#endif

int clefi_attention_forward_bf16(clefi_pool *pool, float *out, const float *qkv, int64_t T,
                                 int64_t C, int64_t NH, uint32_t *scratch) {
#ifdef BF16_X86
    if (!clefi_bf16_available() || NH < 1 || C % NH != 0)
        return 0;
    bf_attn_job j = {out, qkv, scratch, T, C, NH, (int64_t)clefi_bf16_attn_words(T, C, NH)};
    clefi_pool_for(pool, NH, bf_attn_heads, &j);
    return 1;
#else
    (void)pool, (void)out, (void)qkv, (void)T, (void)C, (void)NH, (void)scratch;
    return 0;
#endif
}

int clefi_linear_forward_bf16(clefi_pool *pool, float *y, const float *x, const uint32_t *wp,
                              const float *bias, int64_t T, int64_t in, int64_t out,
                              uint32_t *act) {
#ifdef BF16_X86
    if (!clefi_bf16_available())
        return 0;
    bf_round(act, x, T, in, in);
    bf_job j = {y, act, wp, bias, T, kpairs(in), out};
    clefi_pool_for(pool, panels(out), bf_panels, &j);
    return 1;
#else
    (void)pool, (void)y, (void)x, (void)wp, (void)bias, (void)T, (void)in, (void)out, (void)act;
    return 0;
#endif
}
