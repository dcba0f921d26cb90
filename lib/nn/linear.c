/* linear.c — linear layer, embedding, residual add.
 * SPDX-License-Identifier: BSD-3-Clause */
#include "nn_int.h"

#include <string.h>

typedef struct bias_job {
    float *y;
    const float *x;
    int64_t N, OC;
} bias_job;

/* out(N,OC) rows = bias(OC): the GEMM then accumulates with beta = 1, which also spares
 * OpenBLAS its separate pass that zeroes C for beta = 0 */
static void bias_fill_rows(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const bias_job *j = arg;
    for (int64_t n = b; n < e; n++)
        memcpy(j->y + n * j->OC, j->x, (size_t)j->OC * sizeof(float));
}

/* dbias(OC) += column sums of dout(N,OC), split over columns so no sum is split */
static void bias_grad_cols(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const bias_job *j = arg;
    for (int64_t n = 0; n < j->N; n++) {
        const float *row = j->x + n * j->OC;
        for (int64_t o = b; o < e; o++)
            j->y[o] += row[o];
    }
}

void clefi_linear_forward(clefi_pool *pool, float *out, const float *inp, const float *weight,
                          const float *bias, int64_t N, int64_t C, int64_t OC) {
    if (bias != NULL) {
        bias_job j = {out, bias, N, OC};
        clefi_pool_for(pool, N, bias_fill_rows, &j);
    }
    clefi_sgemm(pool, 0, 1, N, OC, C, 1.f, inp, C, weight, C, bias != NULL ? 1.f : 0.f, out, OC);
}

void clefi_linear_backward(clefi_pool *pool, float *dinp, float *dweight, float *dbias,
                           const float *dout, const float *inp, const float *weight, int64_t N,
                           int64_t C, int64_t OC) {
    if (dinp != NULL)
        clefi_sgemm(pool, 0, 0, N, C, OC, 1.f, dout, OC, weight, C, 1.f, dinp, C);
    clefi_sgemm(pool, 1, 0, OC, C, N, 1.f, dout, OC, inp, C, 1.f, dweight, C);
    if (dbias != NULL) {
        bias_job j = {dbias, dout, N, OC};
        clefi_pool_for(pool, OC, bias_grad_cols, &j);
    }
}

clef_status clefi_embedding_forward(float *out, const int32_t *ids, const float *table, int64_t N,
                                    int64_t C, int64_t V) {
    for (int64_t n = 0; n < N; n++) {
        if (ids[n] < 0 || ids[n] >= V)
            return CLEF_ERR_RANGE;
        const float *row = table + (int64_t)ids[n] * C;
        for (int64_t c = 0; c < C; c++)
            out[n * C + c] = row[c];
    }
    return CLEF_OK;
}

void clefi_embedding_backward(float *dtable, const float *dout, const int32_t *ids, int64_t N,
                              int64_t C) {
    for (int64_t n = 0; n < N; n++) {
        float *row = dtable + (int64_t)ids[n] * C;
        for (int64_t c = 0; c < C; c++)
            row[c] += dout[n * C + c];
    }
}

typedef struct res_job {
    float *out;
    const float *a, *b;
} res_job;

static void residual_range(void *arg, int64_t b, int64_t e, int32_t tid) {
    (void)tid;
    const res_job *j = arg;
    for (int64_t i = b; i < e; i++)
        j->out[i] = j->a[i] + j->b[i];
}

void clefi_residual_forward(clefi_pool *pool, float *out, const float *a, const float *b,
                            int64_t n) {
    res_job j = {out, a, b};
    clefi_pool_for(pool, n, residual_range, &j);
}

void clefi_residual_backward(clefi_pool *pool, float *da, float *db, const float *dout, int64_t n) {
    if (da != NULL)
        clefi_add_inplace(pool, da, dout, n);
    if (db != NULL)
        clefi_add_inplace(pool, db, dout, n);
}
