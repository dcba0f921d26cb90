/* attn_avx512.c — the training attention's tile products on AVX-512, in OpenBLAS's order.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * attention.c (FlashAttention-2 tiles) makes seven products per 256 x 256 tile: Q K^T and P V
 * in forward; Q K^T again, dO V^T, P^T dO, dS K and dS^T Q in backward. Through OpenBLAS each
 * call repacks both operands, the 256 x 256 score tiles among them: about a tenth of the
 * attention's time (docs/NN.md "Training attention"). Here K^T and V^T are packed once per head
 * in panels of 64 keys, Q, K, V and dO once per head as contiguous rows, and the tiles are read
 * where they lie (rows CLEFI_ATTN_LDS floats apart: 256 would put a tile's column in four L1
 * sets). Register blocks: 4 rows x 64 keys for the scores, 8 rows x 32 (or 48) columns for the
 * others.
 *
 * The bits are OpenBLAS's SkylakeX kernel's (nn_int.h "OpenBLAS's summation order"), the kernel
 * libclef selects on AVX-512 CPUs and the shipped models were trained with: K is at most 256,
 * one OpenBLAS block, so each output is one FMA chain over k from zero, ended with
 * fma(sum, alpha, C) (C = 0 after the beta = 0 pass). test_nn_threads test_attention_paths
 * compares them with the OpenBLAS path bit for bit. */
#include "nn_int.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define AT_X86 1
#include <immintrin.h>
#endif

enum { AT_N = CLEFI_ATTN_QT, AT_PANEL = 64 };
_Static_assert(CLEFI_ATTN_QT == CLEFI_ATTN_KT, "square tiles");

int clefi_attn_tiles_fast(int64_t hd) {
#ifdef AT_X86
    return !clefi_attn_plain && (hd == 32 || hd == 48 || hd == 64) &&
           __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#else
    (void)hd;
    return 0;
#endif
}

void clefi_attn_pack_rows(float *dst, const float *src, int64_t ld, int64_t n, int64_t hd) {
    for (int64_t r = 0; r < n; r++)
        memcpy(dst + r * hd, src + r * ld, (size_t)hd * sizeof(float));
}

void clefi_attn_pack_panels(float *dst, const float *src, int64_t ld, int64_t n, int64_t hd) {
    for (int64_t p0 = 0; p0 < n; p0 += AT_PANEL) {
        float *pan = dst + p0 * hd;
        for (int64_t c = 0; c < AT_PANEL; c++) {
            if (p0 + c < n)
                for (int64_t d = 0; d < hd; d++)
                    pan[d * AT_PANEL + c] = src[(p0 + c) * ld + d];
            else
                for (int64_t d = 0; d < hd; d++)
                    pan[d * AT_PANEL + c] = 0.f;
        }
    }
}

#ifdef AT_X86
#define AT_TARGET __attribute__((target("avx512f,fma")))

/* S[i][0..64) = fma(sum_d a_i[d] bt[d][0..64), alpha, 0) for 4 rows lda apart */
AT_TARGET __attribute__((always_inline)) static inline void abt_block(float *S, int64_t lds,
                                                                      const float *a, int64_t lda,
                                                                      const float *bt, int64_t hd,
                                                                      __m512 alpha) {
    __m512 acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int x = 0; x < 4; x++)
            acc[i][x] = _mm512_setzero_ps();
    for (int64_t d = 0; d < hd; d++) {
        __m512 k[4];
        for (int x = 0; x < 4; x++)
            k[x] = _mm512_loadu_ps(bt + d * AT_PANEL + 16 * x);
        for (int i = 0; i < 4; i++) {
            __m512 ai = _mm512_set1_ps(a[i * lda + d]);
            for (int x = 0; x < 4; x++)
                acc[i][x] = _mm512_fmadd_ps(ai, k[x], acc[i][x]);
        }
    }
    const __m512 zero = _mm512_setzero_ps();
    for (int i = 0; i < 4; i++)
        for (int x = 0; x < 4; x++)
            _mm512_storeu_ps(S + i * lds + 16 * x, _mm512_fmadd_ps(acc[i][x], alpha, zero));
}

AT_TARGET void clefi_attn_abt(float *S, int64_t lds, const float *a, int64_t lda, const float *bt,
                              int64_t hd, float alpha) {
    const __m512 al = _mm512_set1_ps(alpha);
    for (int64_t p0 = 0; p0 < AT_N; p0 += AT_PANEL) /* the panel (hd x 64) stays in L1 */
        for (int64_t r = 0; r < AT_N; r += 4)
            abt_block(S + r * lds + p0, lds, a + r * lda, lda, bt + p0 * hd, hd, al);
}

/* o[i][col..col+16 NV) = fma(sum_k t(i, k) b[k][col..), alpha, o) for 8 rows i, k over the tile,
 * t(i, k) = t[i * ti + k * tk]: P B (ti = lds, tk = 1) or P^T B (ti = 1, tk = lds) */
AT_TARGET __attribute__((always_inline)) static inline void
tb_block(float *o, int64_t ldo, const float *t, int64_t ti, int64_t tk, const float *b, int64_t hd,
         int64_t col, __m512 alpha, const int NV) {
    __m512 acc[8][3];
    for (int i = 0; i < 8; i++) /* the unused ones are optimized out */
        for (int x = 0; x < 3; x++)
            acc[i][x] = _mm512_setzero_ps();
    for (int64_t k = 0; k < AT_N; k++) {
        __m512 w[3];
        for (int x = 0; x < NV; x++)
            w[x] = _mm512_loadu_ps(b + k * hd + col + 16 * x);
        for (int i = 0; i < 8; i++) {
            __m512 ai = _mm512_set1_ps(t[i * ti + k * tk]);
            for (int x = 0; x < NV; x++)
                acc[i][x] = _mm512_fmadd_ps(ai, w[x], acc[i][x]);
        }
    }
    for (int i = 0; i < 8; i++)
        for (int x = 0; x < NV; x++) {
            float *oi = o + i * ldo + col + 16 * x;
            _mm512_storeu_ps(oi, _mm512_fmadd_ps(acc[i][x], alpha, _mm512_loadu_ps(oi)));
        }
}

/* the 256 rows of o, 8 at a time, in column slices whose rows of b (256 x 32 or 48 floats)
 * stay in L1 */
AT_TARGET static void tb_rows(float *o, int64_t ldo, const float *t, int64_t ti, int64_t tk,
                              const float *b, int64_t hd, float alpha) {
    const __m512 al = _mm512_set1_ps(alpha);
    const int64_t step = hd == 48 ? 48 : 32;
    for (int64_t col = 0; col < hd; col += step)
        for (int64_t r = 0; r < AT_N; r += 8) {
            float *orow = o + r * ldo;
            const float *trow = t + r * ti;
            if (hd == 48)
                tb_block(orow, ldo, trow, ti, tk, b, hd, col, al, 3);
            else
                tb_block(orow, ldo, trow, ti, tk, b, hd, col, al, 2);
        }
}

void clefi_attn_ab(float *o, int64_t ldo, const float *t, int64_t lds, const float *b, int64_t hd,
                   float alpha) {
    tb_rows(o, ldo, t, lds, 1, b, hd, alpha);
}

void clefi_attn_atb(float *o, int64_t ldo, const float *t, int64_t lds, const float *b, int64_t hd,
                    float alpha) {
    tb_rows(o, ldo, t, 1, lds, b, hd, alpha);
}
#else
void clefi_attn_abt(float *S, int64_t lds, const float *a, int64_t lda, const float *bt, int64_t hd,
                    float alpha) {
    (void)S, (void)lds, (void)a, (void)lda, (void)bt, (void)hd, (void)alpha;
}
void clefi_attn_ab(float *o, int64_t ldo, const float *t, int64_t lds, const float *b, int64_t hd,
                   float alpha) {
    (void)o, (void)ldo, (void)t, (void)lds, (void)b, (void)hd, (void)alpha;
}
void clefi_attn_atb(float *o, int64_t ldo, const float *t, int64_t lds, const float *b, int64_t hd,
                    float alpha) {
    (void)o, (void)ldo, (void)t, (void)lds, (void)b, (void)hd, (void)alpha;
}
#endif
