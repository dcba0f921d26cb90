/* test_nn_threads.c — the thread-count policy: conv2d, transposed conv, two GEMMs in one job
 * (clefi_sgemm2, also against two clefi_sgemm calls), attention, the VQ search and the
 * gradient norm give bit-identical results with 1, 2 and 3 threads, at shapes where every
 * GEMM is cut into several blocks; and conv2d's and the norms' fast paths give the bits of
 * their plain paths (test_conv_paths, test_norm_paths, and the training attention's tile kernels:
 * test_attention_paths); inference attention's two paths against an exact reference
 * (test_attention_infer_paths). (The Transformer block and AdamW are
 * covered by test_nn_train's 1/2/3-thread training run.) */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nn/nn_int.h"
#include "nn_test_util.h"

typedef struct outs {
    float *a, *b, *c, *d;
    int64_t na, nb, nc, nd;
} outs;

/* run one workload with n threads; results in o (allocated by the workload) */
typedef void (*workload)(clefi_pool *pool, int32_t nt, outs *o);

static void conv_work(clefi_pool *pool, int32_t nt, outs *o) {
    (void)nt;
    clefi_conv2d s;
    assert_int_equal(clefi_conv2d_init(&s, 2, 4, 24, 24, 16, 3, 1, 1), CLEF_OK);
    int64_t nx = 2 * 4 * 576, nw = 16 * 36, ny = 2 * 16 * 576;
    float *x = nt_zeros(nx), *w = nt_zeros(nw), *b = nt_zeros(16), *dy = nt_zeros(ny);
    float *col = nt_zeros((int64_t)clefi_conv2d_scratch(&s));
    nt_fill(x, nx, -1.f, 1.f, 1), nt_fill(w, nw, -1.f, 1.f, 2), nt_fill(dy, ny, -1.f, 1.f, 3);
    *o = (outs){nt_zeros(ny), nt_zeros(nx), nt_zeros(nw), nt_zeros(16), ny, nx, nw, 16};
    clefi_conv2d_forward(pool, o->a, x, w, b, &s, col);
    clefi_conv2d_backward(pool, o->b, o->c, o->d, dy, x, w, &s, col);
    free(x), free(w), free(b), free(dy), free(col);
}

static void convt_work(clefi_pool *pool, int32_t nt, outs *o) {
    (void)nt;
    clefi_conv2d s;
    assert_int_equal(clefi_conv_transpose2d_init(&s, 2, 8, 12, 12, 4, 4, 2, 1, 0), CLEF_OK);
    int64_t nx = 2 * 8 * 144, nw = 8 * 4 * 16, ny = 2 * 4 * 576;
    float *x = nt_zeros(nx), *w = nt_zeros(nw), *dy = nt_zeros(ny);
    float *col = nt_zeros((int64_t)clefi_conv2d_scratch(&s));
    nt_fill(x, nx, -1.f, 1.f, 4), nt_fill(w, nw, -1.f, 1.f, 5), nt_fill(dy, ny, -1.f, 1.f, 6);
    *o = (outs){nt_zeros(ny), nt_zeros(nx), nt_zeros(nw), NULL, ny, nx, nw, 0};
    clefi_conv_transpose2d_forward(pool, o->a, x, w, NULL, &s, col);
    clefi_conv_transpose2d_backward(pool, o->b, o->c, NULL, dy, x, w, &s, col);
    free(x), free(w), free(dy), free(col);
}

static void attn_work(clefi_pool *pool, int32_t nt, outs *o) {
    const int64_t B = 2, T = 300, C = 32, NH = 4;
    int64_t nq = B * T * 3 * C, ny = B * T * C;
    float *qkv = nt_zeros(nq), *dy = nt_zeros(ny), *lse = nt_zeros(B * NH * T);
    float *scr = nt_zeros((int64_t)clefi_attention_scratch(T, C / NH, nt));
    nt_fill(qkv, nq, -2.f, 2.f, 7), nt_fill(dy, ny, -1.f, 1.f, 8);
    uint8_t *pad = calloc((size_t)(B * T), 1);
    for (int64_t t = 250; t < T; t++)
        pad[T + t] = 1;
    *o = (outs){nt_zeros(ny), nt_zeros(nq), lse, NULL, ny, nq, B * NH * T, 0};
    clefi_attention_forward(pool, o->a, lse, qkv, pad, NULL, B, T, C, NH, scr);
    clefi_attention_backward(pool, o->b, dy, o->a, lse, qkv, pad, NULL, B, T, C, NH, scr);
    free(qkv), free(dy), free(scr), free(pad);
}

static void vq_work(clefi_pool *pool, int32_t nt, outs *o) {
    const int64_t N = 700, K = 1100, D = 8;
    float *z = nt_zeros(N * D), *cb = nt_zeros(K * D);
    float *scr = nt_zeros((int64_t)clefi_vq_scratch(K, nt));
    nt_fill(z, N * D, -1.f, 1.f, 9), nt_fill(cb, K * D, -1.f, 1.f, 10);
    int32_t *idx = calloc((size_t)N, sizeof(int32_t));
    *o = (outs){nt_zeros(N * D), nt_zeros(N), nt_zeros(1), NULL, N * D, N, 1, 0};
    o->c[0] = (float)clefi_vq_forward(pool, o->a, idx, z, cb, N, K, D, scr);
    for (int64_t i = 0; i < N; i++)
        o->b[i] = (float)idx[i];
    o->c[0] += (float)clefi_grad_norm(pool, z, N * D);
    free(z), free(cb), free(scr), free(idx);
}

/* clefi_sgemm2: a conv-backward-like pair (one GEMM of 3 column blocks, one of 2,200 blocks:
 * more than the item table holds unless grouped) gives the bits of two clefi_sgemm calls, and a
 * pair with an empty GEMM runs the other alone. Outputs: the pair's two results, then the
 * differences' count from the serial reference (must be 0). */
static void gemm2_work(clefi_pool *pool, int32_t nt, outs *o) {
    (void)nt;
    const int64_t M1 = 24, N1 = 600, K1 = 700, M2 = 8, N2 = 2200 * 256 / 8, K2 = 4;
    float *a1 = nt_zeros(M1 * K1), *b1 = nt_zeros(K1 * N1), *a2 = nt_zeros(M2 * K2),
          *b2 = nt_zeros(K2 * N2), *r1 = nt_zeros(M1 * N1), *r2 = nt_zeros(M2 * N2);
    nt_fill(a1, M1 * K1, -1.f, 1.f, 11), nt_fill(b1, K1 * N1, -1.f, 1.f, 12);
    nt_fill(a2, M2 * K2, -1.f, 1.f, 13), nt_fill(b2, K2 * N2, -1.f, 1.f, 14);
    *o = (outs){nt_zeros(M1 * N1), nt_zeros(M2 * N2), nt_zeros(1), NULL, M1 * N1, M2 * N2, 1, 0};
    nt_fill(o->a, M1 * N1, -1.f, 1.f, 15), memcpy(r1, o->a, (size_t)(M1 * N1) * sizeof(float));
    const clefi_gemm_args g1 = {0, 0, M1, N1, K1, 0.5f, a1, K1, b1, N1, 1.f, o->a, N1};
    const clefi_gemm_args g2 = {0, 0, M2, N2, K2, 1.f, a2, K2, b2, N2, 0.f, o->b, N2};
    clefi_sgemm2(pool, &g1, &g2);
    clefi_sgemm(NULL, 0, 0, M1, N1, K1, 0.5f, a1, K1, b1, N1, 1.f, r1, N1);
    clefi_sgemm(NULL, 0, 0, M2, N2, K2, 1.f, a2, K2, b2, N2, 0.f, r2, N2);
    float *again = nt_zeros(M2 * N2);
    const clefi_gemm_args none = {0, 0, 0, N1, K1, 1.f, a1, K1, b1, N1, 0.f, NULL, N1};
    const clefi_gemm_args g2b = {0, 0, M2, N2, K2, 1.f, a2, K2, b2, N2, 0.f, again, N2};
    clefi_sgemm2(pool, &none, &g2b);
    o->c[0] = (float)(memcmp(r1, o->a, (size_t)(M1 * N1) * sizeof(float)) != 0) +
              (float)(memcmp(r2, o->b, (size_t)(M2 * N2) * sizeof(float)) != 0) +
              (float)(memcmp(r2, again, (size_t)(M2 * N2) * sizeof(float)) != 0);
    assert_true(o->c[0] == 0.f);
    free(a1), free(b1), free(a2), free(b2), free(r1), free(r2), free(again);
}

/* 1 when OpenBLAS runs its SkylakeX-family sgemm kernel, whose summation order the AVX-512 fast
 * paths keep (nn_int.h "OpenBLAS's summation order"): only then are their bits compared */
static int blas_skylakex(void) {
    const char *kern = clef_blas_kernel();
    return strncasecmp(kern, "skylakex", 8) == 0 || strncasecmp(kern, "cooperlake", 10) == 0 ||
           strncasecmp(kern, "sapphirerapids", 14) == 0;
}

/* Compares a[k] with b[k] (len[k] floats) where cmp[k], frees both; returns how many differ. */
static int64_t differ_free(const char *what, int64_t shape, float **a, float **b,
                           const int64_t *len, const int *cmp, int n) {
    int64_t differ = 0;
    for (int k = 0; k < n; k++) {
        if (cmp[k] && memcmp(a[k], b[k], (size_t)len[k] * sizeof(float)) != 0) {
            print_error("%s: shape %d output %d differs\n", what, (int)shape, k);
            differ++;
        }
        free(a[k]), free(b[k]);
    }
    return differ;
}

/* The blocked forward and the AVX-512 input- and weight-gradient kernels against the plain path
 * (whole-image columns, OpenBLAS): the same bits at shapes with partial pixel panels, rows not
 * a multiple of 4, more than 128 output channels (two k chunks), strides, rectangular kernels,
 * and 64 or 128 output channels over more than 2 x 448 pixels (OpenBLAS's K blocks). */
static void conv_paths_work(clefi_pool *pool, int32_t nt, outs *o) {
    static const int64_t shapes[][9] = {
        /* C, H, W, OC, KH, KW, stride, pad, batch */
        {4, 24, 24, 16, 3, 3, 1, 1, 2},  {3, 13, 11, 5, 3, 3, 1, 1, 1},
        {6, 20, 18, 130, 3, 3, 1, 1, 1}, {8, 32, 32, 12, 4, 4, 2, 1, 1},
        {5, 16, 40, 7, 3, 1, 1, 1, 1},   {2, 30, 70, 9, 1, 3, 1, 0, 1},
        {4, 40, 40, 64, 3, 3, 1, 1, 1},  {3, 23, 29, 128, 3, 3, 1, 1, 2},
        {5, 10, 9, 64, 3, 3, 1, 1, 1},   {6, 48, 40, 64, 4, 4, 2, 1, 1}};
    int64_t nshape = (int64_t)(sizeof shapes / sizeof shapes[0]), differ = 0;
    /* the gradient kernels sum as OpenBLAS's SkylakeX-family sgemm kernel does; other
     * kernel families (Haswell forced on an AVX-512 CPU) round differently */
    int skx = blas_skylakex();
    if (!skx && nt == 1 && pool == NULL)
        print_message("conv paths: OpenBLAS kernel %s: gradients not compared\n",
                      clef_blas_kernel());
    for (int64_t i = 0; i < nshape; i++) {
        const int64_t *h = shapes[i];
        clefi_conv2d s;
        assert_int_equal(clefi_conv2d_init_rect(&s, h[8], h[0], h[1], h[2], h[3], h[4], h[5], h[6],
                                                h[6], h[7], h[7]),
                         CLEF_OK);
        int64_t nx = s.B * s.C * s.H * s.W, nw = s.OC * s.C * s.KH * s.KW,
                ny = s.B * s.OC * s.OH * s.OW;
        float *x = nt_zeros(nx), *w = nt_zeros(nw), *b = nt_zeros(s.OC), *dy = nt_zeros(ny);
        float *col = nt_zeros((int64_t)clefi_conv2d_scratch(&s)), *out[2][3];
        nt_fill(x, nx, -1.f, 1.f, 20 + (uint64_t)i), nt_fill(w, nw, -1.f, 1.f, 30 + (uint64_t)i);
        nt_fill(b, s.OC, -1.f, 1.f, 40), nt_fill(dy, ny, -1.f, 1.f, 50 + (uint64_t)i);
        for (int plain = 0; plain < 2; plain++) {
            clefi_conv_plain = plain;
            out[plain][0] = nt_zeros(ny), out[plain][1] = nt_zeros(nx),
            out[plain][2] = nt_zeros(nw);
            clefi_conv2d_forward(pool, out[plain][0], x, w, b, &s, col);
            clefi_conv2d_backward(pool, out[plain][1], out[plain][2], NULL, dy, x, w, &s, col);
        }
        clefi_conv_plain = 0;
        const int64_t n[3] = {ny, nx, nw};
        const int cmp[3] = {1, skx, skx};
        differ += differ_free("conv paths", i, out[0], out[1], n, cmp, 3);
        free(x), free(w), free(b), free(dy), free(col);
    }
    assert_int_equal(differ, 0);
    *o = (outs){nt_zeros(1), NULL, NULL, NULL, 1, 0, 0, 0};
}

/* The training attention's AVX-512 tile kernels (attn_avx512.c) against its OpenBLAS path,
 * forward and backward: the same bits with OpenBLAS's SkylakeX kernel, within 1e-5 of the
 * largest value otherwise. Head widths 32, 48 and 64; partial tiles (600, 777 tokens), key
 * padding (a whole key tile of it in one batch), an additive mask, 256 tokens (one tile). */
static void attn_paths_work(clefi_pool *pool, int32_t nt, outs *o) {
    (void)nt;
    static const int64_t shapes[][5] = {/* B, T, C, NH, masks (1 pad, 2 mask) */
                                        {1, 512, 64, 2, 0},
                                        {2, 600, 96, 2, 1},
                                        {1, 777, 128, 2, 2},
                                        {2, 512, 128, 2, 1},
                                        {1, 256, 256, 4, 0}};
    int skx = blas_skylakex();
    int64_t differ = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        int64_t B = shapes[i][0], T = shapes[i][1], C = shapes[i][2], NH = shapes[i][3];
        int64_t nq = B * T * 3 * C, ny = B * T * C;
        float *qkv = nt_zeros(nq), *dy = nt_zeros(ny), *mask = NULL, *r[2][3];
        float *scr = nt_zeros((int64_t)clefi_attention_scratch(T, C / NH, clefi_pool_size(pool)));
        nt_fill(qkv, nq, -2.f, 2.f, 120 + i), nt_fill(dy, ny, -1.f, 1.f, 130 + i);
        uint8_t *pad = shapes[i][4] == 1 ? calloc((size_t)(B * T), 1) : NULL;
        for (int64_t t = T / 2; pad != NULL && t < T; t++)
            pad[(B - 1) * T + t] = 1;
        if (shapes[i][4] == 2) { /* a band of 300 keys around each query */
            mask = nt_zeros(T * T);
            for (int64_t a = 0; a < T; a++)
                for (int64_t b = 0; b < T; b++)
                    mask[a * T + b] =
                        a - b > 150 || b - a > 150 ? -INFINITY : 0.01f * (float)(a % 7);
        }
        for (int plain = 0; plain < 2; plain++) {
            clefi_attn_plain = plain;
            r[plain][0] = nt_zeros(ny), r[plain][1] = nt_zeros(B * NH * T),
            r[plain][2] = nt_zeros(nq);
            clefi_attention_forward(pool, r[plain][0], r[plain][1], qkv, pad, mask, B, T, C, NH,
                                    scr);
            clefi_attention_backward(pool, r[plain][2], dy, r[plain][0], r[plain][1], qkv, pad,
                                     mask, B, T, C, NH, scr);
        }
        clefi_attn_plain = 0;
        const int64_t n[3] = {ny, B * NH * T, nq};
        for (int k = 0; !skx && k < 3; k++) {
            double worst = 0.0, big = 0.0;
            for (int64_t e = 0; e < n[k]; e++) {
                double d = fabs((double)r[0][k][e] - r[1][k][e]), a = fabs((double)r[1][k][e]);
                worst = d > worst ? d : worst, big = a > big ? a : big;
            }
            if (!(worst <= 1e-5 * big)) {
                print_error("attention paths: shape %d output %d: %.3g of %.3g\n", (int)i, k, worst,
                            big);
                differ++;
            }
        }
        const int cmp[3] = {skx, skx, skx};
        differ += differ_free("attention paths", (int64_t)i, r[0], r[1], n, cmp, 3);
        free(qkv), free(dy), free(mask), free(scr), free(pad);
    }
    assert_int_equal(differ, 0);
    *o = (outs){nt_zeros(1), NULL, NULL, NULL, 1, 0, 0, 0};
}

/* GroupNorm and LayerNorm forward and backward: the AVX-512 statistics against the scalar
 * ones, bit for bit, at positions per channel that are not multiples of 8 and group counts
 * that leave lanes empty. */
static void norm_paths_work(clefi_pool *pool, int32_t nt, outs *o) {
    (void)nt;
    static const int64_t shapes[][4] = {/* B, C, S, G (S = 1: LayerNorm) */
                                        {2, 64, 37, 32},
                                        {1, 24, 64, 3},
                                        {3, 12, 9, 4},
                                        {5, 40, 1, 1},
                                        {1, 16, 130, 16}};
    int64_t differ = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        int64_t B = shapes[i][0], C = shapes[i][1], S = shapes[i][2], G = shapes[i][3];
        int64_t n = B * C * S;
        float *x = nt_zeros(n), *dy = nt_zeros(n), *w = nt_zeros(C), *b = nt_zeros(C);
        nt_fill(x, n, -2.f, 3.f, 60 + i), nt_fill(dy, n, -1.f, 1.f, 70 + i);
        nt_fill(w, C, 0.5f, 1.5f, 80 + i), nt_fill(b, C, -1.f, 1.f, 90 + i);
        float *r[2][6];
        for (int plain = 0; plain < 2; plain++) {
            clefi_norm_plain = plain;
            float *y = nt_zeros(n), *mean = nt_zeros(B * G), *rstd = nt_zeros(B * G),
                  *dx = nt_zeros(n), *dw = nt_zeros(C), *db = nt_zeros(C);
            clefi_groupnorm_forward(pool, y, mean, rstd, x, w, b, B, C, S, G, 1e-5f);
            clefi_groupnorm_backward(pool, dx, dw, db, dy, x, w, mean, rstd, B, C, S, G);
            r[plain][0] = y, r[plain][1] = mean, r[plain][2] = rstd, r[plain][3] = dx;
            r[plain][4] = dw, r[plain][5] = db;
        }
        clefi_norm_plain = 0;
        const int64_t len[6] = {n, B * G, B * G, n, C, C};
        const int cmp[6] = {1, 1, 1, 1, 1, 1};
        differ += differ_free("norm paths", (int64_t)i, r[0], r[1], len, cmp, 6);
        free(x), free(dy), free(w), free(b);
    }
    assert_int_equal(differ, 0);
    *o = (outs){nt_zeros(1), NULL, NULL, NULL, 1, 0, 0, 0};
}

/* clefi_attention_infer at head widths 32, 48, 64 (the AVX-512 path) and 16, 128 (portable
 * only), T not a multiple of the 64-key panels or of the 64-query blocks (a short last block
 * takes the portable path), more than 448 keys (OpenBLAS's K blocks), the shipped encoder's
 * shape for a 5-minute session (608 tokens, 4 heads of 32), and one token. Its outputs, all shapes
 * side by side, for the thread check; and both paths against softmax(Q K^T / sqrt(hd)) V in double:
 * their sums run in other orders, so to rounding, not bit for bit. */
static const int64_t k_infer_shapes[][3] = {/* T, C, NH */
                                            {333, 256, 4}, {130, 48, 1},  {70, 32, 2},
                                            {200, 96, 3},  {1, 64, 1},    {90, 128, 1},
                                            {1000, 64, 1}, {608, 128, 4}, {136, 64, 1},
                                            {608, 32, 2}};
enum { N_INFER = sizeof k_infer_shapes / sizeof k_infer_shapes[0] };

static float *infer_run(clefi_pool *pool, int32_t nt, const float *qkv, int64_t T, int64_t C,
                        int64_t NH) {
    float *out = nt_zeros(T * C), *scr = nt_zeros((int64_t)clefi_attention_infer_floats(T, C, nt));
    clefi_attention_infer(pool, out, qkv, T, C, NH, scr);
    free(scr);
    return out;
}

/* the largest |out - exact| over the shape, exact in double */
static double infer_error(const float *out, const float *qkv, int64_t T, int64_t C, int64_t NH) {
    const int64_t hd = C / NH;
    double worst = 0.0, *p = malloc((size_t)T * sizeof(double));
    for (int64_t h = 0; h < NH; h++)
        for (int64_t i = 0; i < T; i++) {
            double mx = -1e300, sum = 0.0;
            for (int64_t k = 0; k < T; k++) {
                double d = 0.0;
                for (int64_t c = 0; c < hd; c++)
                    d += (double)qkv[i * 3 * C + h * hd + c] * qkv[k * 3 * C + C + h * hd + c];
                p[k] = d / sqrt((double)hd);
                mx = p[k] > mx ? p[k] : mx;
            }
            for (int64_t k = 0; k < T; k++)
                sum += p[k] = exp(p[k] - mx);
            for (int64_t c = 0; c < hd; c++) {
                double o = 0.0;
                for (int64_t k = 0; k < T; k++)
                    o += p[k] * qkv[k * 3 * C + 2 * C + h * hd + c];
                double e = fabs(out[i * C + h * hd + c] - o / sum);
                worst = e > worst ? e : worst;
            }
        }
    free(p);
    return worst;
}

static void infer_work(clefi_pool *pool, int32_t nt, outs *o) {
    int64_t total = 0;
    for (int i = 0; i < N_INFER; i++)
        total += k_infer_shapes[i][0] * k_infer_shapes[i][1];
    *o = (outs){nt_zeros(total), NULL, NULL, NULL, total, 0, 0, 0};
    float *at = o->a;
    for (int i = 0; i < N_INFER; i++) {
        int64_t T = k_infer_shapes[i][0], C = k_infer_shapes[i][1], NH = k_infer_shapes[i][2];
        float *qkv = nt_zeros(T * 3 * C);
        nt_fill(qkv, T * 3 * C, -2.f, 2.f, 110 + (uint64_t)i);
        float *out = infer_run(pool, nt, qkv, T, C, NH);
        memcpy(at, out, (size_t)(T * C) * sizeof(float));
        at += T * C;
        free(out), free(qkv);
    }
}

static void same_for_threads(workload fn, const char *what);

static void test_threads_attention_infer(void **state) {
    (void)state;
    same_for_threads(infer_work, "inference attention");
}

/* Both paths within 2e-5 of the exact result; with OpenBLAS's SkylakeX-family kernel (the one
 * libclef selects on AVX-512 CPUs), the same bits, as the AVX-512 kernels sum in its order. */
static void test_attention_infer_paths(void **state) {
    (void)state;
    int skx = blas_skylakex();
    if (!skx)
        print_message("inference attention: OpenBLAS kernel %s: bits not compared\n",
                      clef_blas_kernel());
    for (int i = 0; i < N_INFER; i++) {
        int64_t T = k_infer_shapes[i][0], C = k_infer_shapes[i][1], NH = k_infer_shapes[i][2];
        float *qkv = nt_zeros(T * 3 * C), *out[2];
        nt_fill(qkv, T * 3 * C, -2.f, 2.f, 110 + (uint64_t)i);
        for (int plain = 0; plain < 2; plain++) {
            clefi_attn_plain = plain;
            out[plain] = infer_run(NULL, 1, qkv, T, C, NH);
            clefi_attn_plain = 0;
            /* outputs are averages of values in [-2, 2]: float rounding of sums over <= 1,000
             * keys stays far below 2e-5 */
            double e = infer_error(out[plain], qkv, T, C, NH);
            if (!(e < 2e-5)) {
                print_error("inference attention (%s path), shape %d: error %.3g\n",
                            plain ? "portable" : "fast", i, e);
                fail();
            }
        }
        if (skx && memcmp(out[0], out[1], (size_t)(T * C) * sizeof(float)) != 0) {
            print_error("inference attention: shape %d: the paths' bits differ\n", i);
            fail();
        }
        free(out[0]), free(out[1]), free(qkv);
    }
}

static void free_outs(outs *o) { free(o->a), free(o->b), free(o->c), free(o->d); }

static void same_for_threads(workload fn, const char *what) {
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    outs ref;
    fn(NULL, 1, &ref);
    for (int32_t nt = 1; nt <= 3; nt++) {
        clefi_pool *pool;
        assert_int_equal(clefi_pool_create(&pool, ctx, nt), CLEF_OK);
        outs o;
        fn(pool, nt, &o);
        const float *r[] = {ref.a, ref.b, ref.c, ref.d}, *g[] = {o.a, o.b, o.c, o.d};
        int64_t n[] = {ref.na, ref.nb, ref.nc, ref.nd};
        for (int k = 0; k < 4; k++)
            if (n[k] > 0 && memcmp(r[k], g[k], (size_t)n[k] * sizeof(float)) != 0) {
                print_error("%s: output %d differs with %d threads\n", what, k, (int)nt);
                fail();
            }
        free_outs(&o);
        clefi_pool_free(pool);
    }
    free_outs(&ref);
    clef_ctx_free(ctx);
}

static void test_threads_conv(void **state) {
    (void)state;
    same_for_threads(conv_work, "conv2d");
    same_for_threads(convt_work, "conv_transpose2d");
}

static void test_conv_paths(void **state) {
    (void)state;
    same_for_threads(conv_paths_work, "conv paths");
}

static void test_norm_paths(void **state) {
    (void)state;
    same_for_threads(norm_paths_work, "norm paths");
}

static void test_attention_paths(void **state) {
    (void)state;
    same_for_threads(attn_paths_work, "attention paths");
}

static void test_threads_gemm2(void **state) {
    (void)state;
    same_for_threads(gemm2_work, "sgemm2");
}

static void test_threads_attention(void **state) {
    (void)state;
    same_for_threads(attn_work, "attention");
}

static void test_threads_vq(void **state) {
    (void)state;
    same_for_threads(vq_work, "vq");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_conv),         cmocka_unit_test(test_conv_paths),
        cmocka_unit_test(test_norm_paths),           cmocka_unit_test(test_threads_gemm2),
        cmocka_unit_test(test_threads_attention),    cmocka_unit_test(test_attention_paths),
        cmocka_unit_test(test_threads_vq),           cmocka_unit_test(test_threads_attention_infer),
        cmocka_unit_test(test_attention_infer_paths)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
