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
#include <stdatomic.h>
#include <string.h>

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
#define GEMM_BLOCK CLEFI_GEMM_BLOCK

void clefi_sgemm_call(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                      const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                      float *C, int64_t ldc) {
    clefi_nn_blas_init();
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, alpha, A, (int)lda, B,
                (int)ldb, beta, C, (int)ldc);
}

static void gemm_one(const gemm_job *j, int64_t lo, int64_t hi) {
    if (j->split_rows) {
        /* rows lo..hi of op(A): row r starts at A + r*lda (no trans) or at column r (trans) */
        const float *a = j->A + (j->ta ? lo : lo * j->lda);
        clefi_sgemm_call(j->ta, j->tb, hi - lo, j->N, j->K, j->alpha, a, j->lda, j->B, j->ldb,
                         j->beta, j->C + lo * j->ldc, j->ldc);
    } else {
        const float *bm = j->B + (j->tb ? lo * j->ldb : lo);
        clefi_sgemm_call(j->ta, j->tb, j->M, hi - lo, j->K, j->alpha, j->A, j->lda, bm, j->ldb,
                         j->beta, j->C + lo, j->ldc);
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

/* ---- two kinds of work in one job (clefi_pool_pair, clefi_sgemm_beside, clefi_sgemm2) ---- */

enum { PAIR_MAX_ITEMS = 512 };

typedef struct pair_item {
    int g;          /* which work */
    int64_t b0, b1; /* its blocks [b0, b1) */
} pair_item;

typedef struct pair_job {
    clefi_side_work w[2];
    pair_item item[PAIR_MAX_ITEMS];
    int64_t n_items;
    _Atomic int64_t next; /* the next item to take */
} pair_job;

static gemm_job job_of(const clefi_gemm_args *a) {
    gemm_job j = {a->trans_a, a->trans_b, a->M >= a->N, a->M,    a->N, a->K, a->lda,
                  a->ldb,     a->ldc,     a->alpha,     a->beta, a->A, a->B, a->C};
    return j;
}

/* a GEMM's blocks as work: n_blocks blocks of block_cost multiply-adds */
static clefi_side_work gemm_work(gemm_job *j) {
    clefi_side_work w = {0, 0.0, gemm_blocks, j};
    if (j->M > 0 && j->N > 0) {
        w.n_blocks = ((j->split_rows ? j->M : j->N) + GEMM_BLOCK - 1) / GEMM_BLOCK;
        w.block_cost = (double)GEMM_BLOCK * (double)(j->split_rows ? j->N : j->M) * (double)j->K;
    }
    return w;
}

/* each thread takes the next item until none is left: the blocks are independent and compute
 * the same whichever thread runs them, so the bits do not depend on who takes what */
static void pair_items(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)b, (void)e;
    pair_job *p = arg;
    for (int64_t i; (i = atomic_fetch_add(&p->next, 1)) < p->n_items;) {
        const pair_item *it = &p->item[i];
        p->w[it->g].fn(p->w[it->g].arg, it->b0, it->b1, tid);
    }
}

void clefi_pool_pair(clefi_pool *pool, const clefi_side_work *a, const clefi_side_work *b) {
    pair_job p = {.w = {*a, *b}, .n_items = 0};
    atomic_init(&p.next, 0);
    /* the costlier blocks first, then the cheaper ones fill in (longest first balances best);
     * one block an item unless a kind has more than half the table */
    int first = p.w[1].block_cost > p.w[0].block_cost;
    for (int k = 0; k < 2; k++) {
        int g = k == 0 ? first : 1 - first;
        int64_t nb = p.w[g].n_blocks, per = 1;
        if (nb <= 0)
            continue;
        while ((nb + per - 1) / per > PAIR_MAX_ITEMS / 2)
            per++;
        for (int64_t b0 = 0; b0 < nb; b0 += per)
            p.item[p.n_items++] = (pair_item){g, b0, b0 + per < nb ? b0 + per : nb};
    }
    if (p.n_items > 0)
        clefi_pool_for(pool, clefi_pool_size(pool), pair_items, &p);
}

void clefi_sgemm_beside(clefi_pool *pool, const clefi_gemm_args *a, const clefi_side_work *w) {
    gemm_job ja = job_of(a);
    clefi_side_work wa = gemm_work(&ja);
    clefi_pool_pair(pool, &wa, w);
}

void clefi_sgemm2(clefi_pool *pool, const clefi_gemm_args *a, const clefi_gemm_args *b) {
    gemm_job jb = job_of(b);
    clefi_side_work w = gemm_work(&jb);
    clefi_sgemm_beside(pool, a, &w);
}

/* ---- small GEMMs of the inference kernels (clefi_sgemm_small) ----
 * M and K of 19 to 128 (the Winograd point GEMMs, 1x1 convolutions): OpenBLAS spends more time
 * packing and dispatching such calls than multiplying (measured on the tokenizer's encode: 38 ->
 * 25 ms with the kernel below). On x86-64 with AVX-512F the product runs in register blocks of
 * 4 rows x 64 columns (16 zmm accumulators), summing k = 0, 1, ... with a separate multiply and
 * add (ISO C: no FMA contraction); elsewhere, or when N is not a multiple of 64, through
 * clefi_sgemm. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define SMALL_AVX512 1
typedef float wv16 __attribute__((vector_size(64)));

/* acc[r][q] += s_r * v[q], the four 16-float column groups q of one 64-column panel */
#define WV_LOAD(x, p)  memcpy(&(x), (p), sizeof(x))
#define WV_STORE(p, x) memcpy((p), &(x), sizeof(x))

__attribute__((target("avx512f"))) static void gemm64_avx512(float *restrict c, size_t ldc,
                                                             const float *restrict u,
                                                             const float *restrict v, size_t ldv,
                                                             int64_t M, int64_t K) {
    int64_t m0 = 0;
    for (; m0 + 4 <= M; m0 += 4) {
        wv16 a[4][4] = {{{0}}};
        const float *ur = u + m0 * K;
        for (int64_t k = 0; k < K; k++) {
            wv16 x[4];
            for (int q = 0; q < 4; q++)
                WV_LOAD(x[q], v + (size_t)k * ldv + 16 * q);
            for (int r = 0; r < 4; r++) {
                float sr = ur[r * K + k];
                for (int q = 0; q < 4; q++)
                    a[r][q] += sr * x[q];
            }
        }
        for (int r = 0; r < 4; r++)
            for (int q = 0; q < 4; q++)
                WV_STORE(c + (size_t)(m0 + r) * ldc + 16 * q, a[r][q]);
    }
    for (; m0 < M; m0++) {
        wv16 a[4] = {{0}};
        for (int64_t k = 0; k < K; k++) {
            float sr = u[m0 * K + k];
            for (int q = 0; q < 4; q++) {
                wv16 x;
                WV_LOAD(x, v + (size_t)k * ldv + 16 * q);
                a[q] += sr * x;
            }
        }
        for (int q = 0; q < 4; q++)
            WV_STORE(c + (size_t)m0 * ldc + 16 * q, a[q]);
    }
}
#endif

void clefi_sgemm_small(float *c, size_t ldc, const float *u, const float *v, size_t ldv, int64_t M,
                       int64_t K, int64_t n) {
#ifdef SMALL_AVX512
    if (n % 64 == 0 && __builtin_cpu_supports("avx512f")) {
        for (int64_t x = 0; x < n; x += 64)
            gemm64_avx512(c + x, ldc, u, v + x, ldv, M, K);
        return;
    }
#endif
    clefi_sgemm(NULL, 0, 0, M, n, K, 1.0f, u, K, v, (int64_t)ldv, 0.0f, c, (int64_t)ldc);
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
