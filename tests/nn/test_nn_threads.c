/* test_nn_threads.c — the thread-count policy: conv2d, transposed conv, two GEMMs in one job
 * (clefi_sgemm2, also against two clefi_sgemm calls), attention, the VQ search and the
 * gradient norm give bit-identical results with 1, 2 and 3 threads, at shapes
 * where every GEMM is cut into several blocks. (The Transformer block and AdamW are covered
 * by test_nn_train's 1/2/3-thread training run.) */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

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
    float *scr = nt_zeros((int64_t)clefi_attention_scratch(nt));
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
        cmocka_unit_test(test_threads_conv), cmocka_unit_test(test_threads_gemm2),
        cmocka_unit_test(test_threads_attention), cmocka_unit_test(test_threads_vq)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
