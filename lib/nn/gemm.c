/* gemm.c — GEMM over the thread pool, and small parallel vector helpers.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Threading policy (docs/NN.md): OpenBLAS runs single-threaded; clefi_sgemm cuts the output C
 * into blocks of GEMM_BLOCK rows (or columns, whichever dimension is larger) and makes one
 * cblas_sgemm call per block; pool threads take contiguous runs of blocks. The cut depends on
 * the shape only, never on the thread count, so the same sgemm calls run for any n_threads and
 * results are bit-identical. (Splitting by thread count is not: OpenBLAS's Haswell sgemm gives
 * an element a different rounding depending on which micro-kernel tile it falls in.) */
#define _POSIX_C_SOURCE 200809L
#include "nn_int.h"

#include <cblas.h>
#include <pthread.h>

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

static void blas_serial(void) { openblas_set_num_threads(1); }

void clefi_nn_blas_init(void) { pthread_once(&blas_once, blas_serial); }

typedef struct gemm_job {
    int ta, tb, split_rows;
    int64_t M, N, K, lda, ldb, ldc;
    float alpha, beta;
    const float *A, *B;
    float *C;
} gemm_job;

/* Rows or columns per sgemm call: large enough that packing costs stay small (B is repacked
 * once per block: K*N floats against 2*GEMM_BLOCK*K*N flops), small enough to give 2-4 threads
 * work at a batch of 2,048 tokens. */
#define GEMM_BLOCK 256

static void gemm_one(const gemm_job *j, int64_t lo, int64_t hi) {
    enum CBLAS_TRANSPOSE ta = j->ta ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = j->tb ? CblasTrans : CblasNoTrans;
    if (j->split_rows) {
        /* rows lo..hi of op(A): row r starts at A + r*lda (no trans) or at column r (trans) */
        const float *a = j->A + (j->ta ? lo : lo * j->lda);
        cblas_sgemm(CblasRowMajor, ta, tb, (int)(hi - lo), (int)j->N, (int)j->K, j->alpha, a,
                    (int)j->lda, j->B, (int)j->ldb, j->beta, j->C + lo * j->ldc, (int)j->ldc);
    } else {
        const float *bm = j->B + (j->tb ? lo * j->ldb : lo);
        cblas_sgemm(CblasRowMajor, ta, tb, (int)j->M, (int)(hi - lo), (int)j->K, j->alpha, j->A,
                    (int)j->lda, bm, (int)j->ldb, j->beta, j->C + lo, (int)j->ldc);
    }
}

static void gemm_blocks(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const gemm_job *j = arg;
    for (int64_t blk = b; blk < e; blk++) {
        int64_t lo = blk * GEMM_BLOCK, hi = lo + GEMM_BLOCK, lim = j->split_rows ? j->M : j->N;
        gemm_one(j, lo, hi < lim ? hi : lim);
    }
}

void clefi_sgemm(clefi_pool *pool, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                 float alpha, const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                 float *C, int64_t ldc) {
    if (M <= 0 || N <= 0)
        return;
    clefi_nn_blas_init();
    gemm_job j = {trans_a, trans_b, M >= N, M, N, K, lda, ldb, ldc, alpha, beta, A, B, C};
    int64_t dim = j.split_rows ? M : N;
    clefi_pool_for(pool, (dim + GEMM_BLOCK - 1) / GEMM_BLOCK, gemm_blocks, &j);
}

typedef struct vec_job {
    float *y;
    const float *x;
    float s;
} vec_job;

static void scale_range(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const vec_job *j = arg;
    for (int64_t i = b; i < e; i++)
        j->y[i] *= j->s;
}

static void add_range(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const vec_job *j = arg;
    for (int64_t i = b; i < e; i++)
        j->y[i] += j->x[i];
}

void clefi_scale(clefi_pool *pool, float *x, int64_t n, float s) {
    vec_job j = {x, NULL, s};
    clefi_pool_for(pool, n, scale_range, &j);
}

void clefi_add_inplace(clefi_pool *pool, float *y, const float *x, int64_t n) {
    vec_job j = {y, x, 0.f};
    clefi_pool_for(pool, n, add_range, &j);
}
