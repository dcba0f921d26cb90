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

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__) &&       \
    (__GNUC__ >= 10)
#define BF16_X86 1
#include <immintrin.h>
#endif

enum { BF_NR = 32, BF_MR = 12 };

static int64_t kpairs(int64_t in) { return (in + 1) / 2; }
static int64_t panels(int64_t out) { return (out + BF_NR - 1) / BF_NR; }

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

size_t clefi_bf16_act_words(int64_t T, int64_t in) {
    return (size_t)(((T + BF_MR - 1) / BF_MR) * BF_MR * kpairs(in));
}

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

static void bf_panels(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const bf_job *j = arg;
    for (int64_t p = b; p < e; p++) {
        int64_t n0 = p * BF_NR, cols = j->out - n0 < BF_NR ? j->out - n0 : BF_NR;
        for (int64_t m0 = 0; m0 < j->T; m0 += BF_MR) {
            int64_t rows = j->T - m0 < BF_MR ? j->T - m0 : BF_MR;
            bf_block(j->y + m0 * j->out + n0, j->out, j->xa + m0 * j->kp, j->kp,
                     j->wp + p * j->kp * BF_NR, j->bias ? j->bias + n0 : NULL, (int)rows,
                     (int)cols);
        }
    }
}

/* x (T x in) -> rows of k-pairs, zero-padded to a multiple of 12 rows and an even width */
__attribute__((target("avx512f,avx512bf16"))) static void bf_round(uint32_t *xa, const float *x,
                                                                   int64_t T, int64_t in) {
    const int64_t kp = kpairs(in), tp = ((T + BF_MR - 1) / BF_MR) * BF_MR;
    for (int64_t t = 0; t < T; t++) {
        const float *xr = x + t * in;
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
#endif

int clefi_linear_forward_bf16(clefi_pool *pool, float *y, const float *x, const uint32_t *wp,
                              const float *bias, int64_t T, int64_t in, int64_t out,
                              uint32_t *act) {
#ifdef BF16_X86
    if (!clefi_bf16_available())
        return 0;
    bf_round(act, x, T, in);
    bf_job j = {y, act, wp, bias, T, kpairs(in), out};
    clefi_pool_for(pool, panels(out), bf_panels, &j);
    return 1;
#else
    (void)pool, (void)y, (void)x, (void)wp, (void)bias, (void)T, (void)in, (void)out, (void)act;
    return 0;
#endif
}
