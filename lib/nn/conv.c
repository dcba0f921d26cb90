/* conv.c — conv2d (im2col + GEMM), transposed conv2d (its adjoint), nearest 2x upsampling.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Images are NCHW. For one image, col(C*KH*KW, OH*OW) holds the input patches, so the
 * convolution is out(OC, OH*OW) = weight(OC, C*KH*KW) @ col. The batch loop is serial (weight
 * gradients sum over images in a fixed order); each GEMM and im2col is split over the pool. */
#include "nn_int.h"

#include <string.h>

int clefi_conv_plain = 0;

clef_status clefi_conv2d_init_rect(clefi_conv2d *s, int64_t B, int64_t C, int64_t H, int64_t W,
                                   int64_t OC, int64_t KH, int64_t KW, int64_t SH, int64_t SW,
                                   int64_t PH, int64_t PW) {
    if (B < 1 || C < 1 || H < 1 || W < 1 || OC < 1 || KH < 1 || KW < 1 || SH < 1 || SW < 1 ||
        PH < 0 || PW < 0 || H + 2 * PH < KH || W + 2 * PW < KW)
        return CLEF_ERR_SHAPE;
    *s = (clefi_conv2d){.B = B,
                        .C = C,
                        .H = H,
                        .W = W,
                        .OC = OC,
                        .KH = KH,
                        .KW = KW,
                        .SH = SH,
                        .SW = SW,
                        .PH = PH,
                        .PW = PW,
                        .OH = (H + 2 * PH - KH) / SH + 1,
                        .OW = (W + 2 * PW - KW) / SW + 1};
    return CLEF_OK;
}

clef_status clefi_conv2d_init(clefi_conv2d *s, int64_t B, int64_t C, int64_t H, int64_t W,
                              int64_t OC, int64_t K, int64_t stride, int64_t pad) {
    return clefi_conv2d_init_rect(s, B, C, H, W, OC, K, K, stride, stride, pad, pad);
}

clef_status clefi_conv_transpose2d_init(clefi_conv2d *s, int64_t B, int64_t Cin, int64_t H,
                                        int64_t W, int64_t Cout, int64_t K, int64_t stride,
                                        int64_t pad, int64_t output_padding) {
    if (output_padding < 0 || output_padding >= stride)
        return CLEF_ERR_SHAPE;
    int64_t OH = (H - 1) * stride - 2 * pad + K + output_padding;
    int64_t OW = (W - 1) * stride - 2 * pad + K + output_padding;
    clef_status rc = clefi_conv2d_init(s, B, Cout, OH, OW, Cin, K, stride, pad);
    if (rc == CLEF_OK && (s->OH != H || s->OW != W))
        return CLEF_ERR_SHAPE;
    return rc;
}

size_t clefi_conv2d_scratch(const clefi_conv2d *s) {
    /* two columns buffers: backward's input columns and input-gradient columns side by side;
     * then the transposed output gradient and weight gradient of the AVX-512 kernels */
    size_t ckk = (size_t)(s->C * s->KH * s->KW), ohw = (size_t)(s->OH * s->OW);
    return 2 * ckk * ohw + (size_t)s->OC * (ohw + ckk);
}

typedef struct col_job {
    const clefi_conv2d *s;
    float *col, *img;
    const float *ccol, *cimg;
} col_job;

/* Outputs o in [lo, hi) of [0, n_out) whose input index o * stride + off lies in [0, n_in):
 * the loops below run branch-free over that range and zero (or skip) the rest. */
static void valid_range(int64_t n_out, int64_t stride, int64_t off, int64_t n_in, int64_t *lo,
                        int64_t *hi) {
    int64_t l = off >= 0 ? 0 : (-off + stride - 1) / stride;
    int64_t h = n_in - off <= 0 ? 0 : (n_in - off + stride - 1) / stride;
    h = h < n_out ? h : n_out;
    *lo = l < h ? l : h;
    *hi = h;
}

/* Row r = (c, kh, kw) of the columns of output pixels [p0, p1) (p = oh * OW + ow) from one
 * image (C,H,W), written to d[0, p1 - p0). Divisions are hoisted: a block's rows cost a few
 * cycles each beside their copies. */
static void im2col_row(float *d, const float *img, const clefi_conv2d *s, int64_t c, int64_t kh,
                       int64_t kw, int64_t p0, int64_t p1) {
    int64_t lo, hi, off = kw - s->PW;
    valid_range(s->OW, s->SW, off, s->W, &lo, &hi);
    const float *plane = img + c * s->H * s->W;
    int64_t oh = p0 / s->OW, a = p0 % s->OW;
    for (int64_t p = p0; p < p1; oh++, a = 0) {
        /* output row oh, its columns [a, e): d[p - p0 + (ow - a)] */
        int64_t e = s->OW < a + p1 - p ? s->OW : a + p1 - p;
        int64_t ih = oh * s->SH - s->PH + kh;
        float *dr = d + (p - p0);
        p += e - a;
        int64_t l = lo > a ? lo : a, h = hi < e ? hi : e;
        if (ih < 0 || ih >= s->H || h < l)
            l = h = e;
        for (int64_t k = 0; k < l - a; k++)
            dr[k] = 0.f;
        if (h > l) {
            const float *src = plane + ih * s->W + l * s->SW + off; /* input of column l */
            if (s->SW == 1)
                memcpy(dr + (l - a), src, (size_t)(h - l) * sizeof *dr);
            else
                for (int64_t ow = l; ow < h; ow++)
                    dr[ow - a] = src[(ow - l) * s->SW];
        }
        for (int64_t k = h - a; k < e - a; k++)
            dr[k] = 0.f;
    }
}

void clefi_im2col_block(float *col, const float *img, const clefi_conv2d *s, int64_t rb, int64_t re,
                        int64_t p0, int64_t p1) {
    int64_t kk = s->KH * s->KW;
    for (int64_t c = rb / kk, r = c * kk; r < re; c++)
        for (int64_t kh = 0; kh < s->KH; kh++)
            for (int64_t kw = 0; kw < s->KW; kw++, r++)
                if (r >= rb && r < re)
                    im2col_row(col + (r - rb) * (p1 - p0), img, s, c, kh, kw, p0, p1);
}

/* rows (c, kh, kw) of col from one image (C,H,W), all output pixels */
static void im2col_rows(void *arg, int64_t rb, int64_t re, int32_t tid) {
    (void)tid;
    const col_job *j = arg;
    int64_t ohw = j->s->OH * j->s->OW;
    clefi_im2col_block(j->col + rb * ohw, j->cimg, j->s, rb, re, 0, ohw);
}

/* dst[k * stride] += g[k], k < n; stride 1 (most convolutions) vectorizes */
CLEFI_SIMD_CLONES static void add_strided(float *restrict dst, const float *restrict g, int64_t n,
                                          int64_t stride) {
    if (stride == 1)
        for (int64_t k = 0; k < n; k++)
            dst[k] += g[k];
    else
        for (int64_t k = 0; k < n; k++)
            dst[k * stride] += g[k];
}

/* img(C,H,W) += col2im(col), split over channels so each image plane has one writer */
static void col2im_channels(void *arg, int64_t cb, int64_t ce, int32_t tid) {
    (void)tid;
    const col_job *j = arg;
    const clefi_conv2d *s = j->s;
    for (int64_t c = cb; c < ce; c++) {
        float *plane = j->img + c * s->H * s->W;
        for (int64_t kh = 0; kh < s->KH; kh++) {
            for (int64_t kw = 0; kw < s->KW; kw++) {
                const float *src = j->ccol + ((c * s->KH + kh) * s->KW + kw) * s->OH * s->OW;
                int64_t lo, hi, off = kw - s->PW;
                valid_range(s->OW, s->SW, off, s->W, &lo, &hi);
                for (int64_t oh = 0; oh < s->OH; oh++) {
                    int64_t ih = oh * s->SH - s->PH + kh;
                    if (ih < 0 || ih >= s->H)
                        continue;
                    add_strided(plane + ih * s->W + lo * s->SW + off, src + oh * s->OW + lo,
                                hi - lo, s->SW);
                }
            }
        }
    }
}

void clefi_im2col(clefi_pool *pool, float *col, const float *img, const clefi_conv2d *s) {
    col_job j = {s, col, NULL, NULL, img};
    clefi_pool_for(pool, s->C * s->KH * s->KW, im2col_rows, &j);
}

static void col2im_add(clefi_pool *pool, float *img, const float *col, const clefi_conv2d *s) {
    col_job j = {s, NULL, img, col, NULL};
    clefi_pool_for(pool, s->C, col2im_channels, &j);
}

typedef struct chan_job {
    float *x;
    const float *bias;
    int64_t HW;
} chan_job;

static void chan_bias_add(void *arg, int64_t cb, int64_t ce, int32_t tid) {
    (void)tid;
    const chan_job *j = arg;
    for (int64_t c = cb; c < ce; c++)
        for (int64_t k = 0; k < j->HW; k++)
            j->x[c * j->HW + k] += j->bias[c];
}

static void chan_bias_fill(void *arg, int64_t cb, int64_t ce, int32_t tid) {
    (void)tid;
    const chan_job *j = arg;
    for (int64_t c = cb; c < ce; c++)
        for (int64_t k = 0; k < j->HW; k++)
            j->x[c * j->HW + k] = j->bias[c];
}

static void chan_sum(void *arg, int64_t cb, int64_t ce, int32_t tid) {
    (void)tid;
    const chan_job *j = arg;
    clefi_add_row_sums(j->x + cb, j->bias, cb, ce, j->HW);
}

/* x(C,HW) += bias(C) */
static void bias_add(clefi_pool *pool, float *x, const float *bias, int64_t C, int64_t HW) {
    chan_job j = {x, bias, HW};
    clefi_pool_for(pool, C, chan_bias_add, &j);
}

/* x(C,HW) = bias(C), before a GEMM that accumulates with beta = 1 */
static void bias_fill(clefi_pool *pool, float *x, const float *bias, int64_t C, int64_t HW) {
    chan_job j = {x, bias, HW};
    clefi_pool_for(pool, C, chan_bias_fill, &j);
}

/* dbias(C) += sum over HW of g(C,HW) */
static void bias_grad(clefi_pool *pool, float *dbias, const float *g, int64_t C, int64_t HW) {
    chan_job j = {dbias, g, HW};
    clefi_pool_for(pool, C, chan_sum, &j);
}

/* Forward by blocks of output pixels: each pool thread builds a block's columns in its own
 * slice of the scratch (C*KH*KW x CLEFI_GEMM_BLOCK floats, cache-resident) and multiplies at
 * once. The blocks and sgemm calls are those clefi_sgemm makes on the full columns (it cuts
 * N = OH*OW into the same blocks when N > OC), so the bits are the same; but the columns of
 * a whole image (9x the input for a 3x3 kernel) never go through memory. */
typedef struct fwd_job {
    const clefi_conv2d *s;
    const float *img, *weight;
    float *out, *col;
    float beta;
} fwd_job;

static void fwd_blocks(void *arg, int64_t bb, int64_t be, int32_t tid) {
    const fwd_job *j = arg;
    const clefi_conv2d *s = j->s;
    int64_t ckk = s->C * s->KH * s->KW, ohw = s->OH * s->OW;
    float *col = j->col + (int64_t)tid * ckk * CLEFI_GEMM_BLOCK;
    for (int64_t blk = bb; blk < be; blk++) {
        int64_t p0 = blk * CLEFI_GEMM_BLOCK,
                p1 = p0 + CLEFI_GEMM_BLOCK < ohw ? p0 + CLEFI_GEMM_BLOCK : ohw;
        clefi_im2col_block(col, j->img, s, 0, ckk, p0, p1);
        clefi_sgemm_call(0, 0, s->OC, p1 - p0, ckk, 1.f, j->weight, ckk, col, p1 - p0, j->beta,
                         j->out + p0, ohw);
    }
}

void clefi_conv2d_forward(clefi_pool *pool, float *out, const float *inp, const float *weight,
                          const float *bias, const clefi_conv2d *s, float *col) {
    int64_t ckk = s->C * s->KH * s->KW, ohw = s->OH * s->OW;
    /* blocked when clefi_sgemm would cut columns and every thread's slice fits the scratch */
    int blocked = !clefi_conv_plain && ohw > s->OC &&
                  (int64_t)clefi_pool_size(pool) * CLEFI_GEMM_BLOCK <= 2 * ohw;
    for (int64_t b = 0; b < s->B; b++) {
        float *o = out + b * s->OC * ohw;
        const float *img = inp + b * s->C * s->H * s->W;
        if (bias != NULL)
            bias_fill(pool, o, bias, s->OC, ohw);
        float beta = bias != NULL ? 1.f : 0.f;
        if (blocked) {
            fwd_job j = {s, img, weight, o, col, beta};
            clefi_pool_for(pool, (ohw + CLEFI_GEMM_BLOCK - 1) / CLEFI_GEMM_BLOCK, fwd_blocks, &j);
            continue;
        }
        clefi_im2col(pool, col, img, s);
        clefi_sgemm(pool, 0, 0, s->OC, ohw, ckk, 1.f, weight, ckk, col, ohw, beta, o, ohw);
    }
}

void clefi_conv2d_backward(clefi_pool *pool, float *dinp, float *dweight, float *dbias,
                           const float *dout, const float *inp, const float *weight,
                           const clefi_conv2d *s, float *col) {
    int64_t ckk = s->C * s->KH * s->KW, ohw = s->OH * s->OW;
    for (int64_t b = 0; b < s->B; b++) {
        const float *g = dout + b * s->OC * ohw;
        const float *img = inp + b * s->C * s->H * s->W;
        /* dW += g col^T and dcol = W^T g in one job: dW alone is 1-5 blocks (K is the pixels) */
        const clefi_gemm_args dw = {.trans_b = 1,
                                    .M = s->OC,
                                    .N = ckk,
                                    .K = ohw,
                                    .alpha = 1.f,
                                    .A = g,
                                    .lda = ohw,
                                    .B = col,
                                    .ldb = ohw,
                                    .beta = 1.f,
                                    .C = dweight,
                                    .ldc = ckk};
        const clefi_gemm_args dx = {.trans_a = 1,
                                    .M = dinp != NULL ? ckk : 0,
                                    .N = ohw,
                                    .K = s->OC,
                                    .alpha = 1.f,
                                    .A = weight,
                                    .lda = ckk,
                                    .B = g,
                                    .ldb = ohw,
                                    .beta = 0.f,
                                    .C = col + ckk * ohw,
                                    .ldc = ohw};
        if (clefi_conv_plain || !clefi_conv2d_products_avx512(pool, s, &dw, &dx, img, col)) {
            clefi_im2col(pool, col, img, s);
            clefi_sgemm2(pool, &dw, &dx); /* without dinp, dx is empty: dW alone */
        }
        if (dbias != NULL)
            bias_grad(pool, dbias, g, s->OC, ohw);
        if (dinp != NULL)
            col2im_add(pool, dinp + b * s->C * s->H * s->W, col + ckk * ohw, s);
    }
}

void clefi_conv_transpose2d_forward(clefi_pool *pool, float *out, const float *inp,
                                    const float *weight, const float *bias, const clefi_conv2d *s,
                                    float *col) {
    int64_t ckk = s->C * s->KH * s->KW, ohw = s->OH * s->OW, hw = s->H * s->W;
    for (int64_t b = 0; b < s->B; b++) {
        float *o = out + b * s->C * hw;
        clefi_sgemm(pool, 1, 0, ckk, ohw, s->OC, 1.f, weight, ckk, inp + b * s->OC * ohw, ohw, 0.f,
                    col, ohw);
        for (int64_t k = 0; k < s->C * hw; k++)
            o[k] = 0.f;
        col2im_add(pool, o, col, s);
        if (bias != NULL)
            bias_add(pool, o, bias, s->C, hw);
    }
}

void clefi_conv_transpose2d_backward(clefi_pool *pool, float *dinp, float *dweight, float *dbias,
                                     const float *dout, const float *inp, const float *weight,
                                     const clefi_conv2d *s, float *col) {
    int64_t ckk = s->C * s->KH * s->KW, ohw = s->OH * s->OW, hw = s->H * s->W;
    for (int64_t b = 0; b < s->B; b++) {
        const float *g = dout + b * s->C * hw;
        clefi_im2col(pool, col, g, s);
        clefi_sgemm(pool, 0, 1, s->OC, ckk, ohw, 1.f, inp + b * s->OC * ohw, ohw, col, ohw, 1.f,
                    dweight, ckk);
        if (dinp != NULL)
            clefi_sgemm(pool, 0, 0, s->OC, ohw, ckk, 1.f, weight, ckk, col, ohw, 1.f,
                        dinp + b * s->OC * ohw, ohw);
        if (dbias != NULL)
            bias_grad(pool, dbias, g, s->C, hw);
    }
}

typedef struct up_job {
    float *dst;
    const float *src;
    int64_t H, W, FH, FW;
} up_job;

static void up_fwd_planes(void *arg, int64_t pb, int64_t pe, int32_t tid) {
    (void)tid;
    const up_job *j = arg;
    int64_t OW = j->FW * j->W, OH = j->FH * j->H;
    for (int64_t p = pb; p < pe; p++) {
        const float *x = j->src + p * j->H * j->W;
        float *y = j->dst + p * OH * OW;
        for (int64_t h = 0; h < OH; h++) {
            const float *xr = x + (h / j->FH) * j->W;
            if (j->FW == 1) /* (FH, 1): whole rows */
                memcpy(y + h * OW, xr, (size_t)OW * sizeof *y);
            else
                for (int64_t w = 0; w < OW; w++)
                    y[h * OW + w] = xr[w / j->FW];
        }
    }
}

/* each input pixel sums its FH x FW block of dout, in row-major order */
static void up_bwd_planes(void *arg, int64_t pb, int64_t pe, int32_t tid) {
    (void)tid;
    const up_job *j = arg;
    int64_t OW = j->FW * j->W, OH = j->FH * j->H;
    for (int64_t p = pb; p < pe; p++) {
        const float *g = j->src + p * OH * OW;
        float *dx = j->dst + p * j->H * j->W;
        for (int64_t h = 0; h < j->H; h++)
            for (int64_t w = 0; w < j->W; w++) {
                float acc = 0.f;
                for (int64_t a = 0; a < j->FH; a++)
                    for (int64_t b = 0; b < j->FW; b++)
                        acc += g[(h * j->FH + a) * OW + w * j->FW + b];
                dx[h * j->W + w] += acc;
            }
    }
}

void clefi_upsample_forward(clefi_pool *pool, float *out, const float *inp, int64_t B, int64_t C,
                            int64_t H, int64_t W, int64_t FH, int64_t FW) {
    up_job j = {out, inp, H, W, FH, FW};
    clefi_pool_for(pool, B * C, up_fwd_planes, &j);
}

void clefi_upsample_backward(clefi_pool *pool, float *dinp, const float *dout, int64_t B, int64_t C,
                             int64_t H, int64_t W, int64_t FH, int64_t FW) {
    up_job j = {dinp, dout, H, W, FH, FW};
    clefi_pool_for(pool, B * C, up_bwd_planes, &j);
}

void clefi_upsample2x_forward(clefi_pool *pool, float *out, const float *inp, int64_t B, int64_t C,
                              int64_t H, int64_t W) {
    clefi_upsample_forward(pool, out, inp, B, C, H, W, 2, 2);
}

void clefi_upsample2x_backward(clefi_pool *pool, float *dinp, const float *dout, int64_t B,
                               int64_t C, int64_t H, int64_t W) {
    clefi_upsample_backward(pool, dinp, dout, B, C, H, W, 2, 2);
}
