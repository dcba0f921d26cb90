/* attn_infer.c — self-attention of one unpadded sequence for inference, float32.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Training's attention (attention.c: FlashAttention-2 tiles, online softmax) keeps the
 * log-sum-exp its backward needs. Inference needs neither, and the scores of a block of
 * ATTN_QB queries over a whole session (ATTN_QB x 2,048 floats) fit in L2, so each (head,
 * query block) is: the scores, a plain softmax per row, the output. One thread per item and
 * fixed shapes: the same bits for any thread count.
 *
 * Two paths (docs/NN.md "Inference attention"), with the same bits:
 * - AVX-512F with FMA, head width 32, 48 or 64, at least 64 tokens: K^T and V of each head are
 *   packed once per call, then register-blocked kernels compute Q K^T (4 queries x 64 keys)
 *   and P V (4 or 8 queries x the head width) in OpenBLAS's SkylakeX order (nn_int.h
 *   "OpenBLAS's summation order"), the kernel libclef selects on such CPUs and the shipped
 *   models' bits rest on. One OpenBLAS GEMM per item repacked K or V every time: about a fifth
 *   of the session encoder's forward. A short last block of queries stays on OpenBLAS, which
 *   sums fewer than 64 rows in another order.
 * - otherwise one OpenBLAS GEMM for the scores and one for the output per item.
 * The softmax is the same function on both. */
#include "nn_int.h"

#include <math.h>
#include <string.h>

enum { ATTN_QB = 64 }; /* queries per item */

int clefi_attn_plain = 0;

static int64_t up64(int64_t n) { return (n + 63) & ~(int64_t)63; }

/* ---- the portable path: OpenBLAS for both products ---- */

typedef struct ia_job {
    const float *qkv;
    float *out, *scratch; /* scratch: ATTN_QB x T floats per thread */
    const float *kt, *v;  /* the AVX-512 path's packed K^T and V (per head: hd x Tp, Tp x hd) */
    int64_t T, Tp, C, hd, n_qb;
    float scale;
} ia_job;

/* s = exp(s - max s) over n (>= 1) scores; returns the sum, over 16 fixed partial sums */
CLEFI_SIMD_CLONES
static float softmax_row(float *restrict s, int64_t n) {
    float mx[16], acc[16];
    for (int k = 0; k < 16; k++)
        mx[k] = s[0], acc[k] = 0.f;
    int64_t n16 = n - n % 16;
    for (int64_t c = 0; c < n16; c += 16)
        for (int k = 0; k < 16; k++)
            mx[k] = s[c + k] > mx[k] ? s[c + k] : mx[k];
    for (int64_t c = n16; c < n; c++)
        mx[0] = s[c] > mx[0] ? s[c] : mx[0];
    float m = mx[0];
    for (int k = 1; k < 16; k++)
        m = mx[k] > m ? mx[k] : m;
    for (int64_t c = 0; c < n; c++)
        s[c] = clefi_expf(s[c] - m);
    for (int64_t c = 0; c < n16; c += 16)
        for (int k = 0; k < 16; k++)
            acc[k] += s[c + k];
    float sum = 0.f;
    for (int64_t c = n16; c < n; c++)
        sum += s[c];
    for (int k = 0; k < 16; k++)
        sum += acc[k];
    return sum;
}

/* rows [0, nq) of S (lds apart, n scores each) to exp(s - max); inv[i] = 1 / their sum */
static void softmax_rows(float *S, int64_t lds, int64_t n, int64_t nq, float *inv) {
    for (int64_t i = 0; i < nq; i++)
        inv[i] = 1.f / softmax_row(S + i * lds, n);
}

/* the unnormalized output rows (ldo apart, hd wide) times inv: the softmax's division */
static void scale_rows(float *o, int64_t ldo, const float *inv, int64_t nq, int64_t hd) {
    for (int64_t i = 0; i < nq; i++)
        for (int64_t d = 0; d < hd; d++)
            o[i * ldo + d] *= inv[i];
}

/* queries [q0, q0 + nq) of head h; S: nq x T floats */
static void plain_item(const ia_job *j, float *S, int64_t h, int64_t q0, int64_t nq) {
    const int64_t ld = 3 * j->C, T = j->T;
    const float *q = j->qkv + q0 * ld + h * j->hd;
    clefi_sgemm(NULL, 0, 1, nq, T, j->hd, j->scale, q, ld, j->qkv + j->C + h * j->hd, ld, 0.f, S,
                T);
    float inv[ATTN_QB];
    softmax_rows(S, T, T, nq, inv);
    float *o = j->out + q0 * j->C + h * j->hd;
    clefi_sgemm(NULL, 0, 0, nq, j->hd, T, 1.f, S, T, j->qkv + 2 * j->C + h * j->hd, ld, 0.f, o,
                j->C);
    scale_rows(o, j->C, inv, nq, j->hd);
}

static void plain_items(void *arg, int64_t b, int64_t e, int32_t tid) {
    const ia_job *j = arg;
    float *S = j->scratch + (size_t)tid * ATTN_QB * (size_t)j->T;
    for (int64_t it = b; it < e; it++) {
        int64_t h = it / j->n_qb, q0 = (it % j->n_qb) * ATTN_QB;
        plain_item(j, S, h, q0, j->T - q0 < ATTN_QB ? j->T - q0 : ATTN_QB);
    }
}

/* ---- the AVX-512 path ---- */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define ATTN_X86 1
#include <immintrin.h>

enum { KT_CHUNK = 64, PV_CHUNK = 128 }; /* keys per K^T panel; keys per pass of P V */

/* K^T and V of head h, keys [k0, k0 + 64): kt in panels of 64 keys, [panel][d][64] (zero past
 * T; a panel is one score tile's operand, contiguous: rows Tp apart would share L1 sets), and
 * v[k][d] */
static void pack_items(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const ia_job *j = arg;
    const int64_t nchunk = j->Tp / KT_CHUNK, ld = 3 * j->C, hd = j->hd;
    for (int64_t it = b; it < e; it++) {
        int64_t h = it / nchunk, k0 = (it % nchunk) * KT_CHUNK;
        int64_t n = j->T - k0 < KT_CHUNK ? j->T - k0 : KT_CHUNK;
        const float *src = j->qkv + j->C + h * hd + k0 * ld;
        clefi_attn_pack_panels((float *)j->kt + h * hd * j->Tp + k0 * hd, src, ld, n, hd);
        clefi_attn_pack_rows((float *)j->v + (h * j->Tp + k0) * hd, src + j->C, ld, n, hd);
    }
}

/* S[i][0..64) = scale * sum_d q_i[d] kt[d][0..64), for 4 query rows ldq apart: one FMA chain
 * per score over d, from zero */
__attribute__((target("avx512f,fma"), always_inline)) static inline void
score_tile(float *S, int64_t lds, const float *q, int64_t ldq, const float *kt, int64_t ldk,
           int64_t hd, __m512 scale) {
    __m512 acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int x = 0; x < 4; x++)
            acc[i][x] = _mm512_setzero_ps();
    for (int64_t d = 0; d < hd; d++) {
        __m512 k[4];
        for (int x = 0; x < 4; x++)
            k[x] = _mm512_loadu_ps(kt + d * ldk + 16 * x);
        for (int i = 0; i < 4; i++) {
            __m512 a = _mm512_set1_ps(q[i * ldq + d]);
            for (int x = 0; x < 4; x++)
                acc[i][x] = _mm512_fmadd_ps(a, k[x], acc[i][x]);
        }
    }
    for (int i = 0; i < 4; i++)
        for (int x = 0; x < 4; x++)
            _mm512_storeu_ps(S + i * lds + 16 * x, _mm512_mul_ps(acc[i][x], scale));
}

/* R rows of one head's P V over keys [k0, k1) of OpenBLAS's K block [ls, le):
 * one FMA chain per output in key order, from zero at ls, carried between passes in part
 * (rows ldp apart); at le the block's sum is added to o (to 0 for the first block, as
 * after OpenBLAS's beta = 0 pass) */
__attribute__((target("avx512f,fma"), always_inline)) static inline void
pv_tile(float *o, int64_t ldo, float *part, int64_t ldp, const float *S, int64_t lds,
        const float *v, int64_t ls, int64_t le, int64_t k0, int64_t k1, const int R, const int NV) {
    __m512 acc[8][4];
    for (int i = 0; i < 8; i++) /* the unused ones are optimized out; GCC cannot always tell */
        for (int x = 0; x < 4; x++)
            acc[i][x] = _mm512_setzero_ps();
    if (k0 > ls)
        for (int i = 0; i < R; i++)
            for (int x = 0; x < NV; x++)
                acc[i][x] = _mm512_loadu_ps(part + i * ldp + 16 * x);
    for (int64_t k = k0; k < k1; k++) {
        __m512 w[4];
        for (int x = 0; x < NV; x++)
            w[x] = _mm512_loadu_ps(v + k * 16 * NV + 16 * x);
        for (int i = 0; i < R; i++) {
            __m512 a = _mm512_set1_ps(S[i * lds + k]);
            for (int x = 0; x < NV; x++)
                acc[i][x] = _mm512_fmadd_ps(a, w[x], acc[i][x]);
        }
    }
    for (int i = 0; i < R; i++)
        for (int x = 0; x < NV; x++) {
            if (k1 < le)
                _mm512_storeu_ps(part + i * ldp + 16 * x, acc[i][x]);
            else
                _mm512_storeu_ps(o + i * ldo + 16 * x,
                                 _mm512_add_ps(ls > 0 ? _mm512_loadu_ps(o + i * ldo + 16 * x)
                                                      : _mm512_setzero_ps(),
                                               acc[i][x]));
        }
}

/* out rows of a block of ATTN_QB queries of one head = S V: OpenBLAS's K blocks, each in passes
 * of PV_CHUNK keys (that slice of V stays in L1 for every row block); part: ATTN_QB x hd */
__attribute__((target("avx512f,fma"))) static void pv_rows(float *o, int64_t ldo, float *part,
                                                           const float *S, int64_t lds,
                                                           const float *v, int64_t T, int64_t hd) {
    const int R = hd == 32 ? 8 : 4;
    for (int64_t ls = 0, le; ls < T; ls = le) {
        le = ls + clefi_blas_k_block(T, ls);
        for (int64_t k0 = ls; k0 < le; k0 += PV_CHUNK) {
            int64_t k1 = le - k0 < PV_CHUNK ? le : k0 + PV_CHUNK;
            for (int64_t r = 0; r < ATTN_QB; r += R) {
                float *orow = o + r * ldo, *prow = part + r * hd;
                const float *srow = S + r * lds;
#define PV(R_, NV_) pv_tile(orow, ldo, prow, hd, srow, lds, v, ls, le, k0, k1, R_, NV_)
                switch (hd) {
                case 32:
                    PV(8, 2);
                    break;
                case 48:
                    PV(4, 3);
                    break;
                default:
                    PV(4, 4);
                    break;
                }
#undef PV
            }
        }
    }
}

__attribute__((target("avx512f,fma"))) static void fast_items(void *arg, int64_t b, int64_t e,
                                                              int32_t tid) {
    const ia_job *j = arg;
    const int64_t T = j->T, Tp = j->Tp, hd = j->hd, ld = 3 * j->C;
    float *S = j->scratch + (size_t)tid * ATTN_QB * (size_t)(Tp + hd);
    float *part = S + ATTN_QB * Tp;
    const __m512 scale = _mm512_set1_ps(j->scale);
    for (int64_t it = b; it < e; it++) {
        int64_t h = it / j->n_qb, q0 = (it % j->n_qb) * ATTN_QB;
        if (T - q0 < ATTN_QB) { /* OpenBLAS sums a short block of rows in another order */
            plain_item(j, S, h, q0, T - q0);
            continue;
        }
        const float *q = j->qkv + q0 * ld + h * hd, *kt = j->kt + h * hd * Tp;
        /* a panel of 64 keys for every query: the panel (hd x 64) stays in L1 */
        for (int64_t k0 = 0; k0 < Tp; k0 += KT_CHUNK)
            for (int64_t r = 0; r < ATTN_QB; r += 4)
                score_tile(S + r * Tp + k0, Tp, q + r * ld, ld, kt + k0 * hd, KT_CHUNK, hd, scale);
        float inv[ATTN_QB];
        softmax_rows(S, Tp, T, ATTN_QB, inv);
        float *o = j->out + q0 * j->C + h * hd;
        pv_rows(o, j->C, part, S, Tp, j->v + h * Tp * hd, T, hd);
        scale_rows(o, j->C, inv, ATTN_QB, hd);
    }
}
#endif

static int use_fast(int64_t hd) {
#ifdef ATTN_X86
    return !clefi_attn_plain && hd % 16 == 0 && hd >= 32 && hd <= 64 &&
           __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#else
    (void)hd;
    return 0;
#endif
}

size_t clefi_attention_infer_floats(int64_t T, int64_t C, int32_t n_threads) {
    size_t tp = (size_t)up64(T);
    /* per thread and query row: the portable path T, the fast one Tp and a row of partial
     * sums (at most 64 wide); the fast one also the packed K^T and V */
    return (size_t)n_threads * ATTN_QB * (tp + 64) + 2 * (size_t)C * tp;
}

void clefi_attention_infer(clefi_pool *pool, float *out, const float *qkv, int64_t T, int64_t C,
                           int64_t NH, float *scratch) {
    const int64_t hd = C / NH;
    ia_job j = {.qkv = qkv,
                .out = out,
                .T = T,
                .Tp = up64(T),
                .C = C,
                .hd = hd,
                .n_qb = (T + ATTN_QB - 1) / ATTN_QB,
                .scale = 1.f / sqrtf((float)hd)};
#ifdef ATTN_X86
    if (T >= ATTN_QB && use_fast(hd)) { /* below 64 tokens every block is short */
        j.kt = scratch;
        j.v = scratch + C * j.Tp;
        j.scratch = scratch + 2 * C * j.Tp;
        clefi_pool_for(pool, NH * (j.Tp / KT_CHUNK), pack_items, &j);
        clefi_pool_for(pool, NH * j.n_qb, fast_items, &j);
        return;
    }
#endif
    j.scratch = scratch;
    clefi_pool_for(pool, NH * j.n_qb, plain_items, &j);
}
