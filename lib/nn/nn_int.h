/*
 * nn_int.h — libclef module 'nn', private header: what only lib/nn's own files use, on top of
 * its interface nn.h (docs/ARCHITECTURE.md section 2). Other modules include nn.h, never this.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef CLEF_NN_INT_H
#define CLEF_NN_INT_H

#include "nn.h"

/* ---- GEMM and threading (gemm.c) ---- */

/** Make OpenBLAS single-threaded, once per process (pthread_once). Our pool does the threading:
 *  a threaded BLAS called from pool workers would oversubscribe the cores, and OpenBLAS's own
 *  split is not bit-stable across thread counts. Called by clefi_sgemm; idempotent. */
CLEFI_HIDDEN void clefi_nn_blas_init(void);

/* ---- convolution (conv.c) ---- */

/** For tests only (0 otherwise): nonzero makes clefi_conv2d_forward and _backward take their
 *  plain path, columns of the whole image and OpenBLAS for every product, which the blocked
 *  forward and the AVX-512 gradient kernels must match bit for bit (test_nn_threads). */
CLEFI_HIDDEN extern int clefi_conv_plain;
/** Rows [rb, re) of one image's (C,H,W) columns for output pixels [p0, p1): row r (c, kh, kw)
 *  at col + (r - rb) * (p1 - p0). */
CLEFI_HIDDEN void clefi_im2col_block(float *col, const float *img, const clefi_conv2d *s,
                                     int64_t rb, int64_t re, int64_t p0, int64_t p1);
/** One image's whole columns, col(C*KH*KW, OH*OW), split over the pool. */
CLEFI_HIDDEN void clefi_im2col(clefi_pool *pool, float *col, const float *img,
                               const clefi_conv2d *s);
/** conv2d backward's products for one image (conv_avx512.c): dW += g col^T (dw, B = col) and,
 *  when dx->M > 0, dcol = W^T g (dx, C = col + C*KH*KW*OH*OW), as clefi_sgemm2(dw, dx) after
 *  clefi_im2col would, with the same bits, on CPUs with AVX-512F. col is the whole
 *  clefi_conv2d_scratch; img the image. Returns 0, having done nothing, when its kernels do not
 *  apply (CPU, output channels). */
CLEFI_HIDDEN int clefi_conv2d_products_avx512(clefi_pool *pool, const clefi_conv2d *s,
                                              const clefi_gemm_args *dw, const clefi_gemm_args *dx,
                                              const float *img, float *col);

/* ---- OpenBLAS's summation order (SkylakeX sgemm) ----
 * Its level-3 driver cuts K into blocks of GEMM_Q = 448 (the last two split the rest evenly,
 * rounded up to GEMM_UNROLL_M = 16); the micro-kernel sums each block from zero, one FMA chain
 * per output in order of k, and adds the block's sum to C (after the beta pass). Kernels that
 * must give OpenBLAS's bits (conv_avx512.c, attn_infer.c) follow these blocks. */
enum { CLEFI_BLAS_Q = 448, CLEFI_BLAS_UNROLL = 16 };

/** Length of OpenBLAS's K block that starts at ls (< K). */
static inline int64_t clefi_blas_k_block(int64_t K, int64_t ls) {
    int64_t l = K - ls;
    if (l >= 2 * CLEFI_BLAS_Q)
        return CLEFI_BLAS_Q;
    if (l > CLEFI_BLAS_Q)
        return (l / 2 + CLEFI_BLAS_UNROLL - 1) / CLEFI_BLAS_UNROLL * CLEFI_BLAS_UNROLL;
    return l;
}

/** For tests only (0 otherwise): nonzero makes clefi_attention_infer and the training attention
 *  take their portable paths (OpenBLAS products), which the AVX-512 ones must match bit for bit
 *  with OpenBLAS's SkylakeX kernel and to rounding otherwise (test_nn_threads). */
CLEFI_HIDDEN extern int clefi_attn_plain;

/* ---- the training attention's tile products on AVX-512 (attn_avx512.c) ----
 * For full CLEFI_ATTN_QT x CLEFI_ATTN_KT tiles, with OpenBLAS's SkylakeX bits (K <= 256 is one
 * OpenBLAS block: one FMA chain per output from zero, then fma(sum, alpha, C)). */

/** 1 when the kernels below run here for head width hd (AVX-512F + FMA, hd 32, 48 or 64) and
 *  clefi_attn_plain is 0. */
CLEFI_HIDDEN int clefi_attn_tiles_fast(int64_t hd);
/** dst[r][0..hd) = src[r * ld ...], n rows: contiguous rows. */
CLEFI_HIDDEN void clefi_attn_pack_rows(float *dst, const float *src, int64_t ld, int64_t n,
                                       int64_t hd);
/** The transpose of n rows (ld apart, hd wide) in panels of 64 rows, [panel][d][64], zero past
 *  n: each panel of B^T for clefi_attn_abt. dst holds hd x n rounded up to 64. */
CLEFI_HIDDEN void clefi_attn_pack_panels(float *dst, const float *src, int64_t ld, int64_t n,
                                         int64_t hd);
/** S (tile, rows lds apart) = alpha * A B^T: A's 256 rows lda apart, bt its 4 panels of B^T. */
CLEFI_HIDDEN void clefi_attn_abt(float *S, int64_t lds, const float *a, int64_t lda,
                                 const float *bt, int64_t hd, float alpha);
/** o (256 rows ldo apart, hd wide) += alpha * T B: T a tile (rows lds apart), B 256 rows. */
CLEFI_HIDDEN void clefi_attn_ab(float *o, int64_t ldo, const float *t, int64_t lds, const float *b,
                                int64_t hd, float alpha);
/** o (256 rows ldo apart, hd wide) += alpha * T^T B. */
CLEFI_HIDDEN void clefi_attn_atb(float *o, int64_t ldo, const float *t, int64_t lds, const float *b,
                                 int64_t hd, float alpha);

/* ---- normalisation (norm.c) ---- */

/** For tests only (0 otherwise): nonzero makes the LayerNorm/GroupNorm statistics take their
 *  scalar loops, which the AVX-512 ones must match bit for bit (test_nn_threads). */
CLEFI_HIDDEN extern int clefi_norm_plain;

/** out[r - rb] += (float) the sum of row r of x(rows, len), rows [rb, re): one chained double
 *  sum per row in order of k (the norms' statistics kernel; conv2d's bias gradient). */
CLEFI_HIDDEN void clefi_add_row_sums(float *out, const float *x, int64_t rb, int64_t re,
                                     int64_t len);

/* ---- weights: the safetensors reader's internals, element types ---- */

/* Reader (safetensors_read.c). struct clef_weights is private to it; the functions below give
 * other files of the module direct access to validated tensors. */

/** One validated tensor of an opened file. data points into the mapping (nbytes bytes). */
typedef struct clefi_st_tensor {
    const char *name;
    int32_t dtype; /* enum clef_dtype */
    int32_t rank;
    int64_t shape[CLEF_WEIGHTS_MAX_RANK];
    size_t numel;
    size_t nbytes;
    const unsigned char *data;
} clefi_st_tensor;

/** Parse a safetensors image already in memory. buf must stay valid while the handle lives;
 *  release (may be NULL) is called on it by clef_weights_free (mapping or owned copy). */
typedef void (*clefi_st_release_fn)(clef_ctx *ctx, void *buf, size_t len);
CLEFI_HIDDEN clef_status clefi_weights_parse(clef_weights **out, clef_ctx *ctx, void *buf,
                                             size_t len, clefi_st_release_fn release);
/** Tensor i (0 <= i < n_tensors) or NULL. */
CLEFI_HIDDEN const clefi_st_tensor *clefi_weights_tensor(const clef_weights *w, size_t i);
/** Index of the tensor called name, or -1 (binary search). */
CLEFI_HIDDEN int64_t clefi_weights_lookup(const clef_weights *w, const char *name);
/** The handle's ctx and error slot, for functions of the module that report on it. */
CLEFI_HIDDEN clef_ctx *clefi_weights_ctx(const clef_weights *w);
CLEFI_HIDDEN clefi_err *clefi_weights_err(clef_weights *w);

/* Element types (safetensors_dtype.c). */
/** The clef_dtype of a safetensors dtype string, or 0. */
CLEFI_HIDDEN int32_t clefi_dtype_parse(const char *name);
/** 1 for F32, F16 and BF16 (the dtypes read as float32). */
CLEFI_HIDDEN int clefi_dtype_is_float(int32_t dtype);
/** Widen n elements of a float dtype (F32/F16/BF16, little-endian bytes) to float32. */
CLEFI_HIDDEN void clefi_dtype_to_f32(int32_t dtype, const void *src, float *dst, size_t n);
/** Narrow n float32 values to dtype (F32/F16/BF16) as little-endian bytes, rounding to nearest
 *  even (NaN stays NaN, overflow becomes infinity). */
CLEFI_HIDDEN void clefi_dtype_from_f32(int32_t dtype, const float *src, void *dst, size_t n);
CLEFI_HIDDEN uint16_t clefi_f32_to_f16(float f);
CLEFI_HIDDEN float clefi_f16_to_f32(uint16_t h);
CLEFI_HIDDEN uint16_t clefi_f32_to_bf16(float f);
CLEFI_HIDDEN float clefi_bf16_to_f32(uint16_t h);
/** Element count of a shape, checked: 0 and *numel set, or 1 on a negative dim or overflow. */
CLEFI_HIDDEN int clefi_shape_numel(const int64_t *shape, int32_t rank, size_t *numel);

#endif /* CLEF_NN_INT_H */
