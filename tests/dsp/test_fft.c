/* test_fft.c — the FFT backend against a direct DFT, in float and double. */
#include "test_support.h"

#include <math.h>

#include "dsp/dsp_int.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static void dft(const double *x, int n, double *re, double *im) {
    for (int k = 0; k <= n / 2; k++) {
        double sr = 0, si = 0;
        for (int t = 0; t < n; t++) {
            double a = -2.0 * M_PI * (double)k * t / n;
            sr += x[t] * cos(a);
            si += x[t] * sin(a);
        }
        re[k] = sr;
        im[k] = si;
    }
}

static void check_length(clef_ctx *ctx, int n, int howmany, int dbl) {
    clefi_fft *fft;
    clef_status rc = dbl ? clefi_fft_create_r2c_f64(&fft, ctx, n, howmany)
                         : clefi_fft_create_r2c_f32(&fft, ctx, n, howmany);
    assert_int_equal(rc, CLEF_OK);
    assert_int_equal(clefi_fft_length(fft), n);
    int nc = n / 2 + 1;
    size_t esz = dbl ? sizeof(double) : sizeof(float);
    void *in = clefi_malloc_aligned(ctx, (size_t)n * howmany * esz);
    void *out = clefi_malloc_aligned(ctx, (size_t)nc * howmany * 2 * esz);
    double *x = clefi_malloc(ctx, (size_t)n * howmany * sizeof(double));
    for (int i = 0; i < n * howmany; i++) {
        x[i] = sin(0.37 * i) + 0.25 * cos(1.3 * i * i);
        if (dbl)
            ((double *)in)[i] = x[i];
        else
            ((float *)in)[i] = (float)x[i];
    }
    clefi_fft_execute(fft, in, out);
    double *re = clefi_malloc(ctx, (size_t)nc * sizeof(double));
    double *im = clefi_malloc(ctx, (size_t)nc * sizeof(double));
    double *got = clefi_malloc(ctx, (size_t)nc * 2 * sizeof(double));
    double *want = clefi_malloc(ctx, (size_t)nc * 2 * sizeof(double));
    for (int b = 0; b < howmany; b++) {
        dft(x + (size_t)b * n, n, re, im);
        for (int k = 0; k < nc; k++) {
            size_t o = ((size_t)b * nc + k) * 2;
            got[2 * k] = dbl ? ((double *)out)[o] : ((float *)out)[o];
            got[2 * k + 1] = dbl ? ((double *)out)[o + 1] : ((float *)out)[o + 1];
            want[2 * k] = re[k];
            want[2 * k + 1] = im[k];
        }
        test_assert_close_f64(got, want, (size_t)nc * 2, dbl ? 1e-9 * n : 2e-5 * n, 0,
                              dbl ? "fft f64" : "fft f32");
    }
    clefi_free(ctx, re);
    clefi_free(ctx, im);
    clefi_free(ctx, got);
    clefi_free(ctx, want);
    clefi_free(ctx, x);
    clefi_free_aligned(ctx, in);
    clefi_free_aligned(ctx, out);
    clefi_fft_free(fft);
}

static void test_fft_vs_dft(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    int lengths[] = {1, 2, 7, 16, 100, 800};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        check_length(ctx, lengths[i], 3, 1);
        check_length(ctx, lengths[i], 3, 0);
    }
    clefi_fft *fft = (clefi_fft *)0x1;
    assert_int_equal(clefi_fft_create_r2c_f32(&fft, ctx, 0, 1), CLEF_ERR_INVALID_ARG);
    assert_null(fft);
    clef_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_fft_vs_dft)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
