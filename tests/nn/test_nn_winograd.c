/* test_nn_winograd.c — Winograd F(4x4,3x3) convolution (row stride 1 and 2) and F(4,3) along H
 * (kernel (3, kw), stride (1, kw) through space-to-depth) against a direct convolution summed
 * in double, at sizes that are not multiples of the tile (partial tiles on
 * both image borders, several blocks of tiles), and bit-identical results for 1, 2 and 3
 * threads. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_int.h"
#include "nn_test_util.h"

/* Outputs are about 1 (inputs in [-1, 1), torch's default weight bound 1/sqrt(9 cin)). Largest
 * error against the double reference over the shapes below: F(4x4) 4.7e-6; lib/nn's float32
 * im2col convolution 4.9e-7 (both printed). The bound leaves a factor of 2. */
#define ATOL 1e-5

typedef struct shape {
    int64_t h, w, cin, cout, sh; /* output rows: (h - 1) / sh + 1 */
} shape;

static const shape SHAPES[] = {
    {1, 1, 1, 1, 1},   {2, 2, 2, 3, 1},    {5, 7, 3, 5, 1},    {6, 13, 17, 9, 1},
    {9, 70, 8, 16, 1}, {17, 129, 4, 6, 1}, {1, 3, 2, 2, 2},    {2, 5, 3, 4, 2},
    {9, 70, 8, 16, 2}, {16, 33, 12, 5, 2}, {17, 129, 4, 6, 2},
};

static int64_t out_h(const shape *s) { return (s->h - 1) / s->sh + 1; }

/* y(cout,ho,w) = conv3x3(x) + b in double, stride (sh, 1), zero padding 1 */
static void direct(double *y, const float *x, const float *w, const float *b, const shape *s) {
    for (int64_t co = 0; co < s->cout; co++)
        for (int64_t oy = 0; oy < out_h(s); oy++)
            for (int64_t ox = 0; ox < s->w; ox++) {
                double acc = b[co];
                for (int64_t ci = 0; ci < s->cin; ci++)
                    for (int64_t ky = 0; ky < 3; ky++)
                        for (int64_t kx = 0; kx < 3; kx++) {
                            int64_t iy = oy * s->sh + ky - 1, ix = ox + kx - 1;
                            if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w)
                                continue;
                            acc += (double)w[((co * s->cin + ci) * 3 + ky) * 3 + kx] *
                                   (double)x[(ci * s->h + iy) * s->w + ix];
                        }
                y[(co * out_h(s) + oy) * s->w + ox] = acc;
            }
}

/* Winograd output of shape s with a pool of n_threads (1: no pool). */
static float *run_wino(const shape *s, const float *x, const float *w, const float *b,
                       int32_t n_threads) {
    clef_ctx *ctx = NULL;
    clefi_pool *pool = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    if (n_threads > 1)
        assert_int_equal(clefi_pool_create(&pool, ctx, n_threads), CLEF_OK);
    float *u = nt_zeros((int64_t)clefi_wino_weights_size(s->cout, s->cin));
    clefi_wino_weights(u, w, s->cout, s->cin);
    size_t per = clefi_wino_scratch(s->cin, s->cout);
    float *scratch = nt_zeros((int64_t)(per * (size_t)n_threads));
    int64_t ny = s->cout * out_h(s) * s->w;
    float *y = nt_zeros(ny + 1);
    /* poison the output: every element must be written, and nothing after it */
    for (int64_t i = 0; i <= ny; i++)
        y[i] = NAN;
    clefi_wino_forward(pool, y, x, u, b, s->cin, s->cout, s->h, s->w, s->sh, scratch, per);
    assert_true(isnan(y[ny]));
    free(u);
    free(scratch);
    clefi_pool_free(pool);
    clef_ctx_free(ctx);
    return y;
}

/* max |y - ref| */
static double max_err(const float *y, const double *ref, int64_t n) {
    double err = 0.0;
    for (int64_t i = 0; i < n; i++)
        err = fmax(err, fabs((double)y[i] - ref[i]));
    return err;
}

static void test_vs_direct(void **state) {
    (void)state;
    for (size_t k = 0; k < sizeof SHAPES / sizeof *SHAPES; k++) {
        const shape *s = &SHAPES[k];
        int64_t nx = s->cin * s->h * s->w, nw = s->cout * s->cin * 9;
        int64_t ny = s->cout * out_h(s) * s->w;
        float *x = nt_zeros(nx), *w = nt_zeros(nw), *b = nt_zeros(s->cout);
        float bound = 1.0f / sqrtf(9.0f * (float)s->cin);
        nt_fill(x, nx, -1.f, 1.f, 10 + k);
        nt_fill(w, nw, -bound, bound, 20 + k);
        nt_fill(b, s->cout, -bound, bound, 30 + k);
        double *ref = malloc((size_t)ny * sizeof *ref);
        assert_non_null(ref);
        direct(ref, x, w, b, s);
        float *reff = nt_zeros(ny);
        for (int64_t i = 0; i < ny; i++)
            reff[i] = (float)ref[i];
        /* lib/nn's im2col convolution, for scale */
        clefi_conv2d cs;
        assert_int_equal(
            clefi_conv2d_init_rect(&cs, 1, s->cin, s->h, s->w, s->cout, 3, 3, s->sh, 1, 1, 1),
            CLEF_OK);
        float *col = nt_zeros((int64_t)clefi_conv2d_scratch(&cs)), *yd = nt_zeros(ny);
        clefi_conv2d_forward(NULL, yd, x, w, b, &cs, col);
        float *y = run_wino(s, x, w, b, 1);
        print_message("%lldx%lld cin %lld cout %lld stride %lld: max error Winograd %.3g, "
                      "im2col %.3g\n",
                      (long long)s->h, (long long)s->w, (long long)s->cin, (long long)s->cout,
                      (long long)s->sh, max_err(y, ref, ny), max_err(yd, ref, ny));
        test_assert_close_f32(y, reff, (size_t)ny, ATOL, 0.0, "winograd vs direct");
        /* without bias */
        float *y0 = run_wino(s, x, w, NULL, 1);
        for (int64_t i = 0; i < ny; i++)
            reff[i] = (float)(ref[i] - (double)b[i / (out_h(s) * s->w)]);
        test_assert_close_f32(y0, reff, (size_t)ny, ATOL, 0.0, "winograd without bias");
        free(x), free(w), free(b), free(ref), free(reff), free(y), free(y0), free(col), free(yd);
    }
}

/* Several blocks of tiles per image: the pool must not change a bit. */
static void test_threads(void **state) {
    (void)state;
    for (int64_t sh = 1; sh <= 2; sh++) {
        const shape s = {19, 150, 12, 7, sh};
        int64_t nx = s.cin * s.h * s.w, nw = s.cout * s.cin * 9, ny = s.cout * out_h(&s) * s.w;
        float *x = nt_zeros(nx), *w = nt_zeros(nw), *b = nt_zeros(s.cout);
        nt_fill(x, nx, -1.f, 1.f, 41), nt_fill(w, nw, -0.1f, 0.1f, 42);
        nt_fill(b, s.cout, -1, 1, 43);
        float *y1 = run_wino(&s, x, w, b, 1);
        for (int32_t nt = 2; nt <= 3; nt++) {
            float *yn = run_wino(&s, x, w, b, nt);
            assert_memory_equal(y1, yn, (size_t)ny * sizeof *y1);
            free(yn);
        }
        free(y1), free(x), free(w), free(b);
    }
}

/* ---- F(4, 3) along H: conv (3, kw), stride (1, kw), padding (1, 0) via space-to-depth ---- */

typedef struct hshape {
    int64_t h, w, cin, cout, kw; /* w: output columns; the input is w * kw wide */
} hshape;

static const hshape HSHAPES[] = {
    {1, 1, 1, 1, 1},   {5, 7, 3, 4, 1},    {6, 13, 2, 5, 5},
    {17, 33, 4, 3, 5}, {9, 20, 19, 32, 5}, {7, 128, 5, 6, 5}, /* 64-column panels */
};

/* out(cout, h, w) with the clefi_wino_h kernel; x (cin, h, w*kw) is rearranged here */
static float *run_wino_h(const hshape *s, const float *x, const float *w, const float *b,
                         int32_t n_threads) {
    clef_ctx *ctx = NULL;
    clefi_pool *pool = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    if (n_threads > 1)
        assert_int_equal(clefi_pool_create(&pool, ctx, n_threads), CLEF_OK);
    int64_t c2 = s->cin * s->kw, win = s->w * s->kw;
    float *xs = nt_zeros(c2 * s->h * s->w);
    for (int64_t ci = 0; ci < s->cin; ci++)
        for (int64_t kx = 0; kx < s->kw; kx++)
            for (int64_t y = 0; y < s->h; y++)
                for (int64_t ox = 0; ox < s->w; ox++)
                    xs[((ci * s->kw + kx) * s->h + y) * s->w + ox] =
                        x[(ci * s->h + y) * win + ox * s->kw + kx];
    float *u = nt_zeros((int64_t)clefi_wino_h_weights_size(s->cout, s->cin, s->kw));
    clefi_wino_h_weights(u, w, s->cout, s->cin, s->kw);
    size_t per = clefi_wino_h_scratch(c2, s->cout, s->w);
    float *scratch = nt_zeros((int64_t)(per * (size_t)n_threads));
    int64_t ny = s->cout * s->h * s->w;
    float *y = nt_zeros(ny + 1);
    for (int64_t i = 0; i <= ny; i++)
        y[i] = NAN;
    clefi_wino_h_forward(pool, y, xs, u, b, c2, s->cout, s->h, s->w, scratch, per);
    assert_true(isnan(y[ny]));
    free(xs), free(u), free(scratch);
    clefi_pool_free(pool);
    clef_ctx_free(ctx);
    return y;
}

static void test_h_vs_direct(void **state) {
    (void)state;
    for (size_t k = 0; k < sizeof HSHAPES / sizeof *HSHAPES; k++) {
        const hshape *s = &HSHAPES[k];
        int64_t win = s->w * s->kw, nx = s->cin * s->h * win, nw = s->cout * s->cin * 3 * s->kw;
        int64_t ny = s->cout * s->h * s->w;
        float *x = nt_zeros(nx), *w = nt_zeros(nw), *b = nt_zeros(s->cout);
        float bound = 1.0f / sqrtf(3.0f * (float)(s->cin * s->kw));
        nt_fill(x, nx, -1.f, 1.f, 50 + k);
        nt_fill(w, nw, -bound, bound, 60 + k);
        nt_fill(b, s->cout, -bound, bound, 70 + k);
        double *ref = malloc((size_t)ny * sizeof *ref);
        float *reff = nt_zeros(ny);
        assert_non_null(ref);
        for (int64_t co = 0; co < s->cout; co++)
            for (int64_t oy = 0; oy < s->h; oy++)
                for (int64_t ox = 0; ox < s->w; ox++) {
                    double acc = b[co];
                    for (int64_t ci = 0; ci < s->cin; ci++)
                        for (int64_t ky = 0; ky < 3; ky++)
                            for (int64_t kx = 0; kx < s->kw; kx++) {
                                int64_t iy = oy + ky - 1;
                                if (iy >= 0 && iy < s->h)
                                    acc += (double)w[((co * s->cin + ci) * 3 + ky) * s->kw + kx] *
                                           (double)x[(ci * s->h + iy) * win + ox * s->kw + kx];
                            }
                    ref[(co * s->h + oy) * s->w + ox] = acc;
                    reff[(co * s->h + oy) * s->w + ox] = (float)acc;
                }
        clefi_conv2d cs;
        assert_int_equal(
            clefi_conv2d_init_rect(&cs, 1, s->cin, s->h, win, s->cout, 3, s->kw, 1, s->kw, 1, 0),
            CLEF_OK);
        float *col = nt_zeros((int64_t)clefi_conv2d_scratch(&cs)), *yd = nt_zeros(ny);
        clefi_conv2d_forward(NULL, yd, x, w, b, &cs, col);
        float *y = run_wino_h(s, x, w, b, 1);
        print_message("H only: %lldx%lld cin %lld cout %lld kw %lld: max error Winograd %.3g, "
                      "im2col %.3g\n",
                      (long long)s->h, (long long)s->w, (long long)s->cin, (long long)s->cout,
                      (long long)s->kw, max_err(y, ref, ny), max_err(yd, ref, ny));
        test_assert_close_f32(y, reff, (size_t)ny, ATOL, 0.0, "winograd (H) vs direct");
        free(x), free(w), free(b), free(ref), free(reff), free(col), free(yd), free(y);
    }
}

static void test_h_threads(void **state) {
    (void)state;
    const hshape s = {19, 64, 6, 5, 5};
    int64_t nx = s.cin * s.h * s.w * s.kw, nw = s.cout * s.cin * 3 * s.kw;
    int64_t ny = s.cout * s.h * s.w;
    float *x = nt_zeros(nx), *w = nt_zeros(nw), *b = nt_zeros(s.cout);
    nt_fill(x, nx, -1.f, 1.f, 81), nt_fill(w, nw, -0.1f, 0.1f, 82), nt_fill(b, s.cout, -1, 1, 83);
    float *y1 = run_wino_h(&s, x, w, b, 1);
    for (int32_t nt = 2; nt <= 3; nt++) {
        float *yn = run_wino_h(&s, x, w, b, nt);
        assert_memory_equal(y1, yn, (size_t)ny * sizeof *y1);
        free(yn);
    }
    free(y1), free(x), free(w), free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vs_direct),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_h_vs_direct),
        cmocka_unit_test(test_h_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
