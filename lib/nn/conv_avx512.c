/* conv_avx512.c — conv2d backward's two products on CPUs with AVX-512F, in OpenBLAS's
 * summation order (docs/NN.md "Convolutions on AVX-512, same bits").
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * The trained models' bits rest on OpenBLAS's SkylakeX sgemm kernel: one FMA chain per
 * output over k, from zero, in K blocks of GEMM_Q = 448, each block's sum added to C. The
 * kernels here keep that order and skip what OpenBLAS spends around its micro-kernel (the
 * zeroing pass, repacking per block of 256, the whole image's columns). test_nn_threads
 * test_conv_paths compares them with the plain path bit for bit. */
#include "nn_int.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#include <immintrin.h>

/* ---- the input gradient's columns, dcol = W^T g, on CPUs with AVX-512F ----
 * dcol(C*KH*KW, OH*OW) has K = OC: OpenBLAS zeroes dcol first (beta = 0), repacks W^T and g
 * for every block of 256 pixels, and its micro-kernel runs only OC steps per tile. Here g is
 * packed once per panel of 64 pixels (rows OH*OW apart sit in one cache set: unpacked, they
 * evict each other) and a 4-row x 64-pixel register block sums k = 0, 1, ... with one FMA each,
 * from zero, and stores sum + 0: the order and roundings of OpenBLAS's SkylakeX-family kernel
 * for K within one of its blocks, so the bits are the same (test_nn_threads test_conv_paths,
 * bench/nn/trained_bits.sh). Other kernel families round differently; on an AVX-512 CPU
 * libclef selects SkylakeX (docs/NN.md), whose bits the shipped models were trained with. */
enum { DCOL_PX = 64, DCOL_KC = 128 }; /* pixels per panel, k per packed chunk (32 KB) */
/* OpenBLAS sums K in blocks of at most GEMM_Q (448 SkylakeX, 320 Sapphire Rapids), each from
 * zero: one chain matches it for K up to the smallest of those */
enum { DCOL_MAX_K = 256 };

/* 4 rows (nr <= 4) of one panel: acc += w[k * ldw + i] * v[k], k < kc, from acc0 or zero */
__attribute__((target("avx512f,fma"), always_inline)) static inline void
dcol_rows(float *d, int64_t ldd, const float *w, int64_t ldw, const float *v, int64_t kc, int nr,
          const __mmask16 m[4], int first, int last) {
    __m512 acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int q = 0; q < 4; q++)
            acc[i][q] = first || i >= nr ? _mm512_setzero_ps()
                                         : _mm512_maskz_loadu_ps(m[q], d + i * ldd + 16 * q);
    for (int64_t k = 0; k < kc; k++) {
        __m512 x[4];
        for (int q = 0; q < 4; q++)
            x[q] = _mm512_load_ps(v + k * DCOL_PX + 16 * q);
        for (int i = 0; i < 4; i++) {
            __m512 sw = _mm512_set1_ps(w[k * ldw + (i < nr ? i : 0)]);
            for (int q = 0; q < 4; q++)
                acc[i][q] = _mm512_fmadd_ps(sw, x[q], acc[i][q]);
        }
    }
    for (int i = 0; i < nr; i++)
        for (int q = 0; q < 4; q++) {
            __m512 o = last ? _mm512_add_ps(acc[i][q], _mm512_setzero_ps()) : acc[i][q];
            _mm512_mask_storeu_ps(d + i * ldd + 16 * q, m[q], o);
        }
}

typedef struct dcol_job {
    const clefi_conv2d *s;
    float *dcol;
    const float *w, *g;
} dcol_job;

/* pixels [CLEFI_GEMM_BLOCK * bb, CLEFI_GEMM_BLOCK * be) of dcol, a panel at a time */
__attribute__((target("avx512f,fma"))) static void dcol_blocks(void *arg, int64_t bb, int64_t be,
                                                               int32_t tid) {
    (void)tid;
    const dcol_job *j = arg;
    const clefi_conv2d *s = j->s;
    int64_t R = s->C * s->KH * s->KW, K = s->OC, n = s->OH * s->OW;
    int64_t p_end = be * CLEFI_GEMM_BLOCK < n ? be * CLEFI_GEMM_BLOCK : n;
    _Alignas(64) float pk[DCOL_KC * DCOL_PX];
    const __mmask16 full[4] = {0xffff, 0xffff, 0xffff, 0xffff};
    for (int64_t p = bb * CLEFI_GEMM_BLOCK; p < p_end; p += DCOL_PX) {
        int64_t np = p_end - p < DCOL_PX ? p_end - p : DCOL_PX;
        __mmask16 m[4];
        for (int q = 0; q < 4; q++) {
            int64_t left = np - 16 * q;
            m[q] = left >= 16  ? (__mmask16)0xffff
                   : left <= 0 ? (__mmask16)0
                               : (__mmask16)((1u << left) - 1u);
        }
        for (int64_t k0 = 0; k0 < K; k0 += DCOL_KC) {
            int64_t kc = K - k0 < DCOL_KC ? K - k0 : DCOL_KC;
            for (int64_t k = 0; k < kc; k++)
                for (int q = 0; q < 4; q++)
                    _mm512_store_ps(pk + k * DCOL_PX + 16 * q,
                                    _mm512_maskz_loadu_ps(m[q], j->g + (k0 + k) * n + p + 16 * q));
            int64_t r = 0;
            if (np == DCOL_PX && K <= DCOL_KC) /* the common case, specialised */
                for (; r + 4 <= R; r += 4)
                    dcol_rows(j->dcol + r * n + p, n, j->w + r, R, pk, kc, 4, full, 1, 1);
            for (; r < R; r += 4)
                dcol_rows(j->dcol + r * n + p, n, j->w + k0 * R + r, R, pk, kc,
                          R - r < 4 ? (int)(R - r) : 4, m, k0 == 0, k0 + kc == K);
        }
    }
}

/* ---- the weight gradient, dW += g col^T (K = OH*OW pixels), on CPUs with AVX-512F ----
 * OpenBLAS's level-3 driver cuts K into blocks of GEMM_Q = 448 (SkylakeX; the last two blocks
 * split the rest evenly, rounded up to 16), sums each block from zero with one FMA per k and
 * adds the block's sum to dW. The kernel below keeps exactly that order, so the bits are the
 * same (test_conv_paths), without OpenBLAS repacking g for every 256 columns of dW: g is
 * transposed once to gT (pixels x OC), dW to dWT (C*KH*KW x OC), and a register block of 4
 * rows of col x 64 output channels runs over each K block. Used for 64 output channels, and for
 * multiples of 64 at stride 1 (strided ones measured slower: short column segments). */
enum { DW_Q = CLEFI_BLAS_Q, DW_ROWS = 64 }; /* DW_ROWS: rows of col per work block */

typedef struct dw_job {
    const clefi_conv2d *s;
    const float *col, *gT, *img; /* col: the image's columns, or NULL: built per K block */
    float *dWT, *cbuf;           /* cbuf: DW_ROWS x DW_Q floats per thread when col is NULL */
} dw_job;

/* 4 rows (nr <= 4) of col (row stride ldc) against 64 channels of gT over l pixels: dWT += sum */
__attribute__((target("avx512f,fma"), always_inline)) static inline void
dw_rows(float *dwt, int64_t oc, const float *col, int64_t ldc, const float *gT, int64_t l, int nr) {
    __m512 acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int q = 0; q < 4; q++)
            acc[i][q] = _mm512_setzero_ps();
    for (int64_t p = 0; p < l; p++) {
        __m512 x[4];
        for (int q = 0; q < 4; q++)
            x[q] = _mm512_loadu_ps(gT + p * oc + 16 * q);
        for (int i = 0; i < 4; i++) {
            __m512 b = _mm512_set1_ps(col[(i < nr ? i : 0) * ldc + p]);
            for (int q = 0; q < 4; q++)
                acc[i][q] = _mm512_fmadd_ps(b, x[q], acc[i][q]);
        }
    }
    for (int i = 0; i < nr; i++)
        for (int q = 0; q < 4; q++)
            _mm512_storeu_ps(dwt + i * oc + 16 * q,
                             _mm512_add_ps(_mm512_loadu_ps(dwt + i * oc + 16 * q), acc[i][q]));
}

/* blocks [bb, be) of DW_ROWS rows of dWT, K block by K block; without the image's columns,
 * each K block's columns of the block's rows are built in the thread's cbuf slice (L2) */
__attribute__((target("avx512f,fma"))) static void dw_blocks(void *arg, int64_t bb, int64_t be,
                                                             int32_t tid) {
    const dw_job *j = arg;
    const clefi_conv2d *s = j->s;
    int64_t R = s->C * s->KH * s->KW, OC = s->OC, K = s->OH * s->OW;
    float *cb = j->cbuf != NULL ? j->cbuf + (int64_t)tid * DW_ROWS * DW_Q : NULL;
    for (int64_t blk = bb; blk < be; blk++) {
        int64_t r0 = blk * DW_ROWS, r1 = r0 + DW_ROWS < R ? r0 + DW_ROWS : R;
        for (int64_t ls = 0, l; ls < K; ls += l) {
            l = clefi_blas_k_block(K, ls);
            const float *c0 = j->col != NULL ? j->col + r0 * K + ls : cb;
            int64_t ldc = j->col != NULL ? K : l;
            if (j->col == NULL)
                clefi_im2col_block(cb, j->img, s, r0, r1, ls, ls + l);
            for (int64_t o0 = 0; o0 < OC; o0 += 64) {
                const float *g0 = j->gT + ls * OC + o0;
                int64_t r = r0;
                for (; r + 4 <= r1; r += 4)
                    dw_rows(j->dWT + r * OC + o0, OC, c0 + (r - r0) * ldc, ldc, g0, l, 4);
                for (; r < r1; r += 4)
                    dw_rows(j->dWT + r * OC + o0, OC, c0 + (r - r0) * ldc, ldc, g0, l,
                            r1 - r < 4 ? (int)(r1 - r) : 4);
            }
        }
    }
}

typedef struct tr_job {
    float *dst;
    const float *src;
    int64_t rows, cols; /* of src */
} tr_job;

/* dst(cols, rows) = src(rows, cols)^T, source columns [64 * cb, 64 * ce) */
static void transpose_cols(void *arg, int64_t cb, int64_t ce, int32_t tid) {
    (void)tid;
    const tr_job *j = arg;
    int64_t c1 = ce * 64 < j->cols ? ce * 64 : j->cols;
    for (int64_t c0 = cb * 64; c0 < c1; c0 += 64) {
        int64_t n = c1 - c0 < 64 ? c1 - c0 : 64;
        for (int64_t r = 0; r < j->rows; r++)
            for (int64_t c = 0; c < n; c++)
                j->dst[(c0 + c) * j->rows + r] = j->src[r * j->cols + c0 + c];
    }
}

static void transpose(clefi_pool *pool, float *dst, const float *src, int64_t rows, int64_t cols) {
    tr_job j = {dst, src, rows, cols};
    clefi_pool_for(pool, (cols + 63) / 64, transpose_cols, &j);
}

int clefi_conv2d_products_avx512(clefi_pool *pool, const clefi_conv2d *s, const clefi_gemm_args *dw,
                                 const clefi_gemm_args *dx, const float *img, float *col) {
    int64_t ckk = s->C * s->KH * s->KW, ohw = s->OH * s->OW;
    int fast_dx = dx->M > 0 && s->OC <= DCOL_MAX_K,
        fast_dw = s->OC == 64 || (s->OC % 64 == 0 && s->SH == 1 && s->SW == 1);
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("fma") ||
        (!fast_dx && !fast_dw))
        return 0;
    /* the weight-gradient kernel builds its columns per K block when the slices fit */
    int cols_per_block = fast_dw && (int64_t)clefi_pool_size(pool) * DW_ROWS * DW_Q <= ckk * ohw;
    if (!cols_per_block)
        clefi_im2col(pool, col, img, s);
    dcol_job dj = {s, dx->C, dx->A, dx->B};
    clefi_side_work dxw = {fast_dx ? (ohw + CLEFI_GEMM_BLOCK - 1) / CLEFI_GEMM_BLOCK : 0,
                           (double)CLEFI_GEMM_BLOCK * (double)ckk * (double)s->OC, dcol_blocks,
                           &dj};
    if (!fast_dw) {
        clefi_sgemm_beside(pool, dw, &dxw);
        return 1;
    }
    float *gT = col + 2 * ckk * ohw, *dWT = gT + s->OC * ohw;
    transpose(pool, gT, dw->A, s->OC, ohw);
    transpose(pool, dWT, dw->C, s->OC, ckk);
    dw_job wj = {s, cols_per_block ? NULL : col, gT, img, dWT, cols_per_block ? col : NULL};
    clefi_side_work dww = {(ckk + DW_ROWS - 1) / DW_ROWS,
                           (double)DW_ROWS * (double)s->OC * (double)ohw, dw_blocks, &wj};
    if (fast_dx || dx->M == 0)
        clefi_pool_pair(pool, &dww, &dxw);
    else
        clefi_sgemm_beside(pool, dx, &dww);
    transpose(pool, dw->C, dWT, ckk, s->OC);
    return 1;
}
#else
int clefi_conv2d_products_avx512(clefi_pool *pool, const clefi_conv2d *s, const clefi_gemm_args *dw,
                                 const clefi_gemm_args *dx, const float *img, float *col) {
    (void)pool, (void)s, (void)dw, (void)dx, (void)img, (void)col;
    return 0;
}
#endif
