/* tok_ops.c — forward kernels of the tokenizer's convolutional network and its code search.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Convolutions are im2col + sgemm over blocks of whole output rows, one block per worker at a
 * time (static partition: results do not depend on the thread count); the 3x3 ones with
 * stride (1, 1) or (2, 1) use lib/nn's Winograd kernel (the handle holds their transformed
 * weights). Semantics follow
 * torch.nn.Conv2d, F.interpolate(scale_factor=(2, 1), mode="nearest") and ConvTranspose2d. */
#include "model_int.h"

#include <string.h>

static size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }
static size_t rows_per_block(size_t block_pos, int32_t wo);

void clefi_conv_out_size(const clefi_conv *c, int32_t h, int32_t w, int32_t *ho, int32_t *wo) {
    *ho = (h + 2 * c->ph - c->kh) / c->sh + 1;
    *wo = (w + 2 * c->pw - c->kw) / c->sw + 1;
}

static int conv_is_pointwise(const clefi_conv *c) {
    return c->kh == 1 && c->kw == 1 && c->sh == 1 && c->sw == 1 && c->ph == 0 && c->pw == 0;
}

typedef struct conv_job {
    const clefi_conv *c;
    const float *x;
    float *y;
    int32_t h, w, ho, wo;
    clefi_fwd *fw;
} conv_job;

/* Output rows per GEMM block: whole rows, about block_pos positions. */
static size_t rows_per_block(size_t block_pos, int32_t wo) {
    size_t r = block_pos / (size_t)wo;
    return r > 0 ? r : 1;
}

/* One im2col row: d[ox] = x_row[ox * sw - pw + kx] for ox in [0, wo), zero outside [0, w). */
static void gather_row(const float *src, int32_t w, int32_t wo, int32_t sw, int32_t off, float *d) {
    if (sw == 1) {
        int32_t lo = off < 0 ? -off : 0, hi = w - off < wo ? w - off : wo;
        if (hi < lo)
            hi = lo;
        memset(d, 0, (size_t)lo * sizeof *d);
        memcpy(d + lo, src + lo + off, (size_t)(hi - lo) * sizeof *d);
        memset(d + hi, 0, (size_t)(wo - hi) * sizeof *d);
        return;
    }
    for (int32_t ox = 0; ox < wo; ox++) {
        int32_t ix = ox * sw + off;
        d[ox] = ix >= 0 && ix < w ? src[ix] : 0.0f;
    }
}

/* col [cin*kh*kw][nr*wo] for output rows [oy0, oy0 + nr). */
static void im2col(const conv_job *j, int32_t oy0, int32_t nr, float *col) {
    const clefi_conv *c = j->c;
    size_t hw = (size_t)j->h * (size_t)j->w, np = (size_t)nr * (size_t)j->wo;
    float *dst = col;
    for (int32_t ci = 0; ci < c->cin; ci++) {
        const float *xc = j->x + (size_t)ci * hw;
        for (int32_t ky = 0; ky < c->kh; ky++) {
            for (int32_t kx = 0; kx < c->kw; kx++) {
                for (int32_t r = 0; r < nr; r++) {
                    int32_t iy = (oy0 + r) * c->sh - c->ph + ky;
                    float *d = dst + (size_t)r * (size_t)j->wo;
                    if (iy < 0 || iy >= j->h)
                        memset(d, 0, (size_t)j->wo * sizeof *d);
                    else
                        gather_row(xc + (size_t)iy * (size_t)j->w, j->w, j->wo, c->sw, kx - c->pw,
                                   d);
                }
                dst += np;
            }
        }
    }
}

static void conv_range(void *arg, int64_t begin, int64_t end, int32_t tid) {
    const conv_job *j = arg;
    const clefi_conv *c = j->c;
    size_t n_pos = (size_t)j->ho * (size_t)j->wo, rpb = rows_per_block(j->fw->block_pos, j->wo);
    size_t kdim = (size_t)c->cin * (size_t)c->kh * (size_t)c->kw;
    float *col = j->fw->scratch + (size_t)tid * j->fw->scratch_per;
    for (int64_t blk = begin; blk < end; blk++) {
        size_t oy0 = (size_t)blk * rpb, nr = (size_t)j->ho - oy0 < rpb ? (size_t)j->ho - oy0 : rpb;
        size_t p0 = oy0 * (size_t)j->wo, np = nr * (size_t)j->wo;
        const float *b = j->x + p0;
        size_t ldb = n_pos;
        if (!conv_is_pointwise(c)) {
            im2col(j, (int32_t)oy0, (int32_t)nr, col);
            b = col;
            ldb = np;
        }
        float *y = j->y + p0;
        /* serial GEMM inside a worker: the pool already splits the positions */
        clefi_sgemm_small(y, n_pos, c->w, b, ldb, c->cout, (int64_t)kdim, (int64_t)np);
        for (int32_t co = 0; co < c->cout; co++) {
            float *row = y + (size_t)co * n_pos, bias = c->b[co];
            for (size_t i = 0; i < np; i++)
                row[i] += bias;
        }
    }
}

void clefi_conv_forward(clefi_fwd *fw, const clefi_conv *c, const float *x, int32_t h, int32_t w,
                        float *y) {
    if (c->wu != NULL) {
        clefi_wino_forward(fw->pool, y, x, c->wu, c->b, c->cin, c->cout, h, w, c->sh, fw->scratch,
                           fw->scratch_per);
        return;
    }
    conv_job j = {.c = c, .x = x, .y = y, .h = h, .w = w, .fw = fw};
    clefi_conv_out_size(c, h, w, &j.ho, &j.wo);
    size_t n_blocks = ceil_div((size_t)j.ho, rows_per_block(fw->block_pos, j.wo));
    clefi_pool_for(fw->pool, (int64_t)n_blocks, conv_range, &j);
}

size_t clefi_convt_time_scratch(const clefi_conv *c, size_t block_pos) {
    return (size_t)c->cout * (size_t)c->kw * block_pos;
}

static void convt_range(void *arg, int64_t begin, int64_t end, int32_t tid) {
    const conv_job *j = arg;
    const clefi_conv *c = j->c;
    size_t n_pos = (size_t)j->h * (size_t)j->w, bp = j->fw->block_pos, k = (size_t)c->kw;
    size_t m = (size_t)c->cout * k;
    float *tmp = j->fw->scratch + (size_t)tid * j->fw->scratch_per;
    for (int64_t blk = begin; blk < end; blk++) {
        size_t p0 = (size_t)blk * bp, np = n_pos - p0 < bp ? n_pos - p0 : bp;
        /* tmp [cout*k][np] = W^T x: W is [cin][cout*k] */
        clefi_sgemm(NULL, 1, 0, (int64_t)m, (int64_t)np, c->cin, 1.0f, c->w, (int64_t)m, j->x + p0,
                    (int64_t)n_pos, 0.0f, tmp, (int64_t)np);
        for (size_t co = 0; co < (size_t)c->cout; co++) {
            float *yc = j->y + co * n_pos * k, bias = c->b[co];
            for (size_t kk = 0; kk < k; kk++) {
                const float *t = tmp + (co * k + kk) * np;
                for (size_t i = 0; i < np; i++)
                    yc[(p0 + i) * k + kk] = t[i] + bias;
            }
        }
    }
}

void clefi_convt_time_forward(clefi_fwd *fw, const clefi_conv *c, const float *x, int32_t h,
                              int32_t w, float *y) {
    conv_job j = {.c = c, .x = x, .y = y, .h = h, .w = w, .fw = fw};
    size_t n_blocks = ceil_div((size_t)h * (size_t)w, fw->block_pos);
    clefi_pool_for(fw->pool, (int64_t)n_blocks, convt_range, &j);
}

/* ---- backward (training) ---- */

void clefi_convt_time_backward(clefi_fwd *fw, const clefi_conv *c, const float *x, int32_t h,
                               int32_t w, const float *dy, float *dx, float *dw, float *db) {
    size_t n_pos = (size_t)h * (size_t)w, k = (size_t)c->kw, m = (size_t)c->cout * k;
    float *tmp = fw->scratch; /* [cout*k][n_pos] */
    for (size_t co = 0; co < (size_t)c->cout; co++) {
        const float *d = dy + co * n_pos * k;
        float s = 0.0f;
        for (size_t p = 0; p < n_pos; p++)
            for (size_t kk = 0; kk < k; kk++) {
                tmp[(co * k + kk) * n_pos + p] = d[p * k + kk];
                s += d[p * k + kk];
            }
        if (db != NULL)
            db[co] += s;
    }
    /* forward: y = W^T x with W (cin, cout*k); so dx += W tmp, dW += x tmp^T */
    if (dx != NULL)
        clefi_sgemm(fw->pool, 0, 0, c->cin, (int64_t)n_pos, (int64_t)m, 1.0f, c->w, (int64_t)m, tmp,
                    (int64_t)n_pos, 1.0f, dx, (int64_t)n_pos);
    clefi_sgemm(fw->pool, 0, 1, c->cin, (int64_t)m, (int64_t)n_pos, 1.0f, x, (int64_t)n_pos, tmp,
                (int64_t)n_pos, 1.0f, dw, (int64_t)m);
}
