/* attention.c — memory-efficient multi-head self-attention (FlashAttention-2 schedule on CPU).
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Dao, "FlashAttention-2: Faster Attention with Better Parallelism and Work Partitioning"
 * (2023), Algorithms 1 and 2: scores are made one (QT x KT) tile at a time with an online
 * softmax (running max m and sum l per query); only the log-sum-exp per query (O(T) per head) is
 * kept for backward, which recomputes each tile. Per thread: one score tile, one dP tile, QT
 * floats and, for attn_avx512.c's kernels, one head's operands packed. Forward is split over
 * (batch, head, query tile); backward over (batch, head), so the dK and dV of a head have one
 * writer and one fixed summation order. Full 256 x 256 tiles take attn_avx512.c's kernels where
 * they run (AVX-512, head width 32, 48 or 64), the others OpenBLAS: the same bits with
 * OpenBLAS's SkylakeX kernel. */
#include "nn_int.h"

#include <math.h>
#include <string.h>

#define QT  CLEFI_ATTN_QT
#define KT  CLEFI_ATTN_KT
#define LDS CLEFI_ATTN_LDS

/* per thread: the S and dP tiles, QT floats, and (head widths the fast kernels take) one
 * head's K^T and V^T panels and K, Q and dO rows, 64-key padded */
static size_t per_thread(int64_t T, int64_t hd) {
    size_t pack =
        hd == 32 || hd == 48 || hd == 64 ? 5 * (size_t)((T + 63) & ~(int64_t)63) * (size_t)hd : 0;
    return 2 * (size_t)QT * LDS + QT + pack;
}

size_t clefi_attention_scratch(int64_t T, int64_t hd, int32_t n_threads) {
    return per_thread(T, hd) * (size_t)(n_threads < 1 ? 1 : n_threads);
}

typedef struct attn_job {
    float *out, *lse, *dqkv, *scratch;
    const float *qkv, *dout, *cout, *clse, *mask;
    const uint8_t *key_pad;
    int64_t B, T, Tp, C, NH, hd, n_qt;
    size_t per_thread;
    float scale;
    int fast; /* attn_avx512.c's kernels for full tiles */
} attn_job;

/* the masks on S(nq,nk), query rows q0.. and keys k0.. of batch b */
static void mask_tile(const attn_job *j, float *S, int64_t b, int64_t q0, int64_t nq, int64_t k0,
                      int64_t nk) {
    if (j->mask != NULL)
        for (int64_t i = 0; i < nq; i++)
            for (int64_t c = 0; c < nk; c++)
                S[i * LDS + c] += j->mask[(q0 + i) * j->T + k0 + c];
    if (j->key_pad != NULL)
        for (int64_t c = 0; c < nk; c++)
            if (j->key_pad[b * j->T + k0 + c])
                for (int64_t i = 0; i < nq; i++)
                    S[i * LDS + c] = -INFINITY;
}

/* S(nq,nk) = scale * Q K^T plus masks; q: Q's row q0 (lda apart), kt: K^T's panels of the head
 * (fast path) or NULL */
static void score_tile(const attn_job *j, float *S, const float *q, int64_t lda, const float *k,
                       const float *kt, int64_t b, int64_t q0, int64_t nq, int64_t k0, int64_t nk) {
    if (kt != NULL && nq == QT && nk == KT)
        clefi_attn_abt(S, LDS, q, lda, kt + k0 * j->hd, j->hd, j->scale);
    else
        clefi_sgemm(NULL, 0, 1, nq, nk, j->hd, j->scale, q, lda, k + k0 * 3 * j->C, 3 * j->C, 0.f,
                    S, LDS);
    mask_tile(j, S, b, q0, nq, k0, nk);
}

/* 1 if every key of the tile is padding: the tile contributes nothing and is skipped */
static int tile_all_padded(const attn_job *j, int64_t b, int64_t k0, int64_t nk) {
    if (j->key_pad == NULL)
        return 0;
    for (int64_t c = 0; c < nk; c++)
        if (!j->key_pad[b * j->T + k0 + c])
            return 0;
    return 1;
}

/* The per-row loops below are compiled for AVX-512F, AVX2 and baseline (CLEFI_SIMD_CLONES); the
 * clones do the same float operations in the same order, so the bits do not depend on the CPU. */

/* max of s[0..n), four independent chains (the scalar max is latency bound) */
CLEFI_SIMD_CLONES static float row_max(const float *s, int64_t n, float init) {
    float m0 = init, m1 = init, m2 = init, m3 = init;
    int64_t c = 0;
    for (; c + 4 <= n; c += 4) {
        m0 = s[c] > m0 ? s[c] : m0;
        m1 = s[c + 1] > m1 ? s[c + 1] : m1;
        m2 = s[c + 2] > m2 ? s[c + 2] : m2;
        m3 = s[c + 3] > m3 ? s[c + 3] : m3;
    }
    for (; c < n; c++)
        m0 = s[c] > m0 ? s[c] : m0;
    m0 = m1 > m0 ? m1 : m0;
    m2 = m3 > m2 ? m3 : m2;
    return m2 > m0 ? m2 : m0;
}

/* s = exp(s - mx) (a vectorized loop), then its sum over eight fixed partial sums */
CLEFI_SIMD_CLONES static float exp_sum(float *restrict s, int64_t n, float mx) {
    for (int64_t c = 0; c < n; c++)
        s[c] = clefi_expf(s[c] - mx);
    float acc[8] = {0.f};
    int64_t c = 0;
    for (; c + 8 <= n; c += 8)
        for (int k = 0; k < 8; k++)
            acc[k] += s[c + k];
    float sum = 0.f;
    for (; c < n; c++)
        sum += s[c];
    for (int k = 0; k < 8; k++)
        sum += acc[k];
    return sum;
}

/* Online softmax update of one row: returns the factor by which the old output row is scaled. */
static float online_row(float *s, int64_t nk, float *m, float *l) {
    float mx = row_max(s, nk, *m);
    if (mx == -INFINITY) { /* nothing visible yet: p = 0 */
        memset(s, 0, (size_t)nk * sizeof *s);
        return 1.f;
    }
    float alpha = clefi_expf(*m - mx);
    *l = *l * alpha + exp_sum(s, nk, mx);
    *m = mx;
    return alpha;
}

/* one head's operands for the fast kernels, rows Tp (64-key padded) each: K^T and V^T panels,
 * then K, Q and dO rows (forward uses K^T and V^T's place for V rows) */
typedef struct head_pack {
    float *kt, *vt, *k, *q, *dout;
} head_pack;

static head_pack head_pack_at(const attn_job *j, int32_t tid) {
    float *p = j->scratch + (size_t)tid * j->per_thread + 2 * (size_t)QT * LDS + QT;
    size_t n = (size_t)(j->Tp * j->hd);
    return (head_pack){p, p + n, p + 2 * n, p + 3 * n, p + 4 * n};
}

static void fwd_tile(const attn_job *j, int64_t item, float *S, float *ml, const head_pack *hp) {
    int64_t qt = item % j->n_qt, bh = item / j->n_qt, b = bh / j->NH, h = bh % j->NH;
    int64_t q0 = qt * QT, nq = j->T - q0 < QT ? j->T - q0 : QT, ld = 3 * j->C, hd = j->hd;
    const float *q = j->qkv + b * j->T * ld + h * hd, *k = q + j->C, *v = q + 2 * j->C;
    float *o = j->out + (b * j->T + q0) * j->C + h * hd, *m = ml, *l = ml + QT;
    for (int64_t i = 0; i < nq; i++) {
        m[i] = -INFINITY;
        l[i] = 0.f;
        for (int64_t d = 0; d < hd; d++)
            o[i * j->C + d] = 0.f;
    }
    for (int64_t k0 = 0; k0 < j->T; k0 += KT) {
        int64_t nk = j->T - k0 < KT ? j->T - k0 : KT;
        if (tile_all_padded(j, b, k0, nk))
            continue;
        score_tile(j, S, q + q0 * ld, ld, k, hp ? hp->kt : NULL, b, q0, nq, k0, nk);
        for (int64_t i = 0; i < nq; i++) {
            float alpha = online_row(S + i * LDS, nk, &m[i], &l[i]);
            if (alpha != 1.f)
                for (int64_t d = 0; d < hd; d++)
                    o[i * j->C + d] *= alpha;
        }
        if (hp != NULL && nq == QT && nk == KT)
            clefi_attn_ab(o, j->C, S, LDS, hp->vt + k0 * hd, hd, 1.f);
        else
            clefi_sgemm(NULL, 0, 0, nq, hd, nk, 1.f, S, LDS, v + k0 * ld, ld, 1.f, o, j->C);
    }
    float *lse = j->lse + bh * j->T + q0;
    for (int64_t i = 0; i < nq; i++) {
        float inv = l[i] > 0.f ? 1.f / l[i] : 0.f;
        for (int64_t d = 0; d < hd; d++)
            o[i * j->C + d] *= inv;
        /* +inf for a query that sees no key: backward then gets p = exp(s - inf) = 0 */
        lse[i] = l[i] > 0.f ? m[i] + logf(l[i]) : INFINITY;
    }
}

/* a thread's items are consecutive query tiles: it packs K^T and V when the head changes */
static void fwd_items(void *arg, int64_t b, int64_t e, int32_t tid) {
    const attn_job *j = arg;
    float *S = j->scratch + (size_t)tid * j->per_thread;
    float ml[2 * QT];
    head_pack hp = head_pack_at(j, tid);
    int64_t packed = -1, ld = 3 * j->C;
    for (int64_t it = b; it < e; it++) {
        int64_t bh = it / j->n_qt;
        if (j->fast && bh != packed) {
            const float *k = j->qkv + (bh / j->NH) * j->T * ld + j->C + (bh % j->NH) * j->hd;
            clefi_attn_pack_panels(hp.kt, k, ld, j->T, j->hd);
            clefi_attn_pack_rows(hp.vt, k + j->C, ld, j->T, j->hd);
            packed = bh;
        }
        fwd_tile(j, it, S, ml, j->fast ? &hp : NULL);
    }
}

static void attn_job_init(attn_job *j, const float *qkv, const uint8_t *key_pad,
                          const float *attn_mask, int64_t B, int64_t T, int64_t C, int64_t NH,
                          float *scratch) {
    *j = (attn_job){.qkv = qkv,
                    .key_pad = key_pad,
                    .mask = attn_mask,
                    .B = B,
                    .T = T,
                    .Tp = (T + 63) & ~(int64_t)63,
                    .C = C,
                    .NH = NH,
                    .hd = C / NH,
                    .n_qt = (T + QT - 1) / QT,
                    .scratch = scratch};
    j->scale = 1.f / sqrtf((float)j->hd);
    j->per_thread = per_thread(T, j->hd);
    j->fast = T >= QT && clefi_attn_tiles_fast(j->hd); /* below QT no tile is full */
}

void clefi_attention_forward(clefi_pool *pool, float *out, float *lse, const float *qkv,
                             const uint8_t *key_pad, const float *attn_mask, int64_t B, int64_t T,
                             int64_t C, int64_t NH, float *scratch) {
    attn_job j;
    attn_job_init(&j, qkv, key_pad, attn_mask, B, T, C, NH, scratch);
    j.out = out;
    j.lse = lse;
    clefi_nn_blas_init();
    clefi_pool_for(pool, B * NH * j.n_qt, fwd_items, &j);
}

/* P = exp(S - lse) in place; then dP -> dS = P * (dP - D) in place */
CLEFI_SIMD_CLONES static void bwd_softmax_tile(float *restrict S, float *restrict dP,
                                               const float *restrict lse, const float *restrict D,
                                               int64_t nq, int64_t nk) {
    for (int64_t i = 0; i < nq; i++) {
        float *restrict s = S + i * LDS, *restrict dp = dP + i * LDS;
        float li = lse[i], di = D[i];
        for (int64_t c = 0; c < nk; c++) {
            s[c] = clefi_expf(s[c] - li);
            dp[c] = s[c] * (dp[c] - di);
        }
    }
}

static void bwd_head(const attn_job *j, int64_t bh, float *S, float *dP, float *D,
                     const head_pack *hp) {
    int64_t b = bh / j->NH, h = bh % j->NH, ld = 3 * j->C, hd = j->hd;
    int64_t base = b * j->T * ld + h * hd;
    const float *q = j->qkv + base, *k = q + j->C, *v = q + 2 * j->C;
    float *dq = j->dqkv + base, *dk = dq + j->C, *dv = dq + 2 * j->C;
    const float *go = j->dout + b * j->T * j->C + h * hd, *o = j->cout + b * j->T * j->C + h * hd;
    if (hp != NULL) {
        clefi_attn_pack_panels(hp->kt, k, ld, j->T, hd);
        clefi_attn_pack_panels(hp->vt, v, ld, j->T, hd);
        clefi_attn_pack_rows(hp->k, k, ld, j->T, hd);
        clefi_attn_pack_rows(hp->q, q, ld, j->T, hd);
        clefi_attn_pack_rows(hp->dout, go, j->C, j->T, hd);
    }
    for (int64_t q0 = 0; q0 < j->T; q0 += QT) {
        int64_t nq = j->T - q0 < QT ? j->T - q0 : QT;
        const float *lse = j->clse + bh * j->T + q0, *goi = go + q0 * j->C;
        for (int64_t i = 0; i < nq; i++) {
            float acc = 0.f;
            for (int64_t d = 0; d < hd; d++)
                acc += goi[i * j->C + d] * o[(q0 + i) * j->C + d];
            D[i] = acc;
        }
        for (int64_t k0 = 0; k0 < j->T; k0 += KT) {
            int64_t nk = j->T - k0 < KT ? j->T - k0 : KT;
            if (tile_all_padded(j, b, k0, nk))
                continue;
            if (hp != NULL && nq == QT && nk == KT) {
                const float *qp = hp->q + q0 * hd, *gp = hp->dout + q0 * hd;
                score_tile(j, S, qp, hd, k, hp->kt, b, q0, nq, k0, nk);
                clefi_attn_abt(dP, LDS, gp, hd, hp->vt + k0 * hd, hd, 1.f);
                bwd_softmax_tile(S, dP, lse, D, nq, nk);
                clefi_attn_atb(dv + k0 * ld, ld, S, LDS, gp, hd, 1.f);
                clefi_attn_ab(dq + q0 * ld, ld, dP, LDS, hp->k + k0 * hd, hd, j->scale);
                clefi_attn_atb(dk + k0 * ld, ld, dP, LDS, qp, hd, j->scale);
                continue;
            }
            score_tile(j, S, q + q0 * ld, ld, k, NULL, b, q0, nq, k0, nk);
            clefi_sgemm(NULL, 0, 1, nq, nk, hd, 1.f, goi, j->C, v + k0 * ld, ld, 0.f, dP, LDS);
            bwd_softmax_tile(S, dP, lse, D, nq, nk);
            clefi_sgemm(NULL, 1, 0, nk, hd, nq, 1.f, S, LDS, goi, j->C, 1.f, dv + k0 * ld, ld);
            clefi_sgemm(NULL, 0, 0, nq, hd, nk, j->scale, dP, LDS, k + k0 * ld, ld, 1.f,
                        dq + q0 * ld, ld);
            clefi_sgemm(NULL, 1, 0, nk, hd, nq, j->scale, dP, LDS, q + q0 * ld, ld, 1.f,
                        dk + k0 * ld, ld);
        }
    }
}

static void bwd_items(void *arg, int64_t b, int64_t e, int32_t tid) {
    const attn_job *j = arg;
    float *S = j->scratch + (size_t)tid * j->per_thread, *dP = S + QT * LDS, *D = dP + QT * LDS;
    head_pack hp = head_pack_at(j, tid);
    for (int64_t bh = b; bh < e; bh++)
        bwd_head(j, bh, S, dP, D, j->fast ? &hp : NULL);
}

void clefi_attention_backward(clefi_pool *pool, float *dqkv, const float *dout, const float *out,
                              const float *lse, const float *qkv, const uint8_t *key_pad,
                              const float *attn_mask, int64_t B, int64_t T, int64_t C, int64_t NH,
                              float *scratch) {
    attn_job j;
    attn_job_init(&j, qkv, key_pad, attn_mask, B, T, C, NH, scratch);
    j.dqkv = dqkv;
    j.dout = dout;
    j.cout = out;
    j.clse = lse;
    clefi_nn_blas_init();
    clefi_pool_for(pool, B * NH, bwd_items, &j);
}
