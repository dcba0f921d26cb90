/* dpss.c — discrete prolate spheroidal sequences (Slepian tapers) and their concentration ratios.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Same construction as scipy.signal.windows.dpss(M, NW, Kmax, sym, norm=2, return_ratios=True):
 * the tridiagonal form of Slepian (1978), the top Kmax eigenvectors (LAPACK dstevr), SciPy's
 * sign convention, ratios from the autocorrelation of each taper, and periodic tapers made as
 * the symmetric taper of length M+1 with its last sample dropped. */
#include "dsp_int.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* SciPy's sign convention: even-order tapers have a positive sum; odd-order tapers start
 * positive, judged at the first sample whose square exceeds max(1e-7, 1/M). */
static void fix_signs(double *w, int64_t m, int64_t k_count) {
    double thresh = fmax(1e-7, 1.0 / (double)m);
    for (int64_t k = 0; k < k_count; k++) {
        double *row = w + k * m;
        int flip = 0;
        if (k % 2 == 0) {
            double s = 0.0;
            for (int64_t i = 0; i < m; i++)
                s += row[i];
            flip = s < 0.0;
        } else {
            for (int64_t i = 0; i < m; i++) {
                if (row[i] * row[i] > thresh) {
                    flip = row[i] < 0.0;
                    break;
                }
            }
        }
        if (flip)
            for (int64_t i = 0; i < m; i++)
                row[i] = -row[i];
    }
}

/* Concentration in [-W, W]: sum over lags of the taper autocorrelation times the kernel
 * r[0] = 2W, r[n] = 4W sinc(2Wn) (SciPy's _fftautocorr route, computed directly). */
static double ratio_of(const double *row, int64_t m, double wband) {
    double acc = 0.0;
    for (int64_t lag = 0; lag < m; lag++) {
        double rxx = 0.0;
        for (int64_t i = 0; i + lag < m; i++)
            rxx += row[i] * row[i + lag];
        double x = 2.0 * wband * (double)lag;
        double r = lag == 0 ? 2.0 * wband : 4.0 * wband * sin(M_PI * x) / (M_PI * x);
        acc += rxx * r;
    }
    return acc;
}

clef_status clefi_dpss_check(clef_ctx *ctx, clefi_err *err, int64_t n, double nw, int64_t k) {
    if (n < 1 || n > CLEFI_DPSS_MAX_N)
        return clefi_error(ctx, err, CLEF_ERR_RANGE, "DPSS length %lld outside [1, %d]",
                           (long long)n, CLEFI_DPSS_MAX_N);
    if (!(nw > 0.0) || !(nw < (double)n / 2.0))
        return clefi_error(ctx, err, CLEF_ERR_RANGE,
                           "DPSS half-bandwidth NW = %g must be in (0, N/2 = %g)", nw,
                           (double)n / 2.0);
    if (k < 1 || k > n)
        return clefi_error(ctx, err, CLEF_ERR_RANGE, "DPSS count %lld outside [1, %lld]",
                           (long long)k, (long long)n);
    return CLEF_OK;
}

clef_status clefi_dpss(clef_ctx *ctx, clefi_err *err, int64_t n, double nw, int64_t k, int sym,
                       double *tapers, double *ratios) {
    clef_status rc = clefi_dpss_check(ctx, err, n, nw, k);
    if (rc != CLEF_OK)
        return rc;
    if (n == 1) { /* SciPy's _len_guards: a single sample is the window [1] */
        tapers[0] = 1.0;
        if (ratios != NULL)
            ratios[0] = 1.0;
        return CLEF_OK;
    }
    int64_t m = sym ? n : n + 1;
    double wband = nw / (double)m;
    /* workspace: d, e, eigenvalues (m each), z (m*k), ratios (k), work (20m), rows (m*k) */
    size_t nd = (size_t)m * 23 + 2 * (size_t)m * (size_t)k + (size_t)k;
    double *d = clefi_calloc(ctx, nd, sizeof(double));
    lapack_int *iwork = clefi_calloc(ctx, (size_t)m * 10 + 2 * (size_t)k + 2, sizeof(lapack_int));
    if (d == NULL || iwork == NULL) {
        clefi_free(ctx, d);
        clefi_free(ctx, iwork);
        return clefi_error(ctx, err, CLEF_ERR_NOMEM, "cannot allocate DPSS workspace (N = %lld)",
                           (long long)n);
    }
    double *e = d + m, *ev = e + m, *z = ev + m, *rat = z + (size_t)m * (size_t)k;
    double *work = rat + k;
    lapack_int *isuppz = iwork + (size_t)m * 10;
    double c = cos(2.0 * M_PI * wband);
    for (int64_t i = 0; i < m; i++) {
        double h = ((double)(m - 1) - 2.0 * (double)i) / 2.0;
        d[i] = h * h * c;
        if (i > 0)
            e[i - 1] = (double)i * (double)(m - i) / 2.0;
    }
    lapack_int found = 0;
    lapack_int info = LAPACKE_dstevr_work(LAPACK_COL_MAJOR, 'V', 'I', (lapack_int)m, d, e, 0.0, 0.0,
                                          (lapack_int)(m - k + 1), (lapack_int)m, 0.0, &found, ev,
                                          z, (lapack_int)m, isuppz, work, (lapack_int)(20 * m),
                                          iwork, (lapack_int)(10 * m));
    if (info != 0 || found != k) {
        clefi_free(ctx, d);
        clefi_free(ctx, iwork);
        return clefi_error(ctx, err, CLEF_ERR_INTERNAL,
                           "LAPACK dstevr failed (info %d) for N = %lld", (int)info, (long long)n);
    }
    /* eigenvalues ascend: taper j is column k-1-j */
    double *rows = work + (size_t)m * 20;
    for (int64_t j = 0; j < k; j++)
        memcpy(rows + j * m, z + (k - 1 - j) * m, (size_t)m * sizeof(double));
    fix_signs(rows, m, k);
    for (int64_t j = 0; j < k; j++) {
        if (ratios != NULL)
            ratios[j] = ratio_of(rows + j * m, m, wband);
        memcpy(tapers + j * n, rows + j * m, (size_t)n * sizeof(double)); /* drops sample M */
    }
    clefi_free(ctx, d);
    clefi_free(ctx, iwork);
    return CLEF_OK;
}

clef_status clef_dpss_compute(clef_ctx *ctx, int64_t n, double nw, int64_t k, int32_t sym,
                              double *tapers, size_t tapers_cap, size_t *needed, double *ratios) {
    clefi_reset(ctx);
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = clefi_dpss_check(ctx, &ctx->err, n, nw, k);
    if (rc != CLEF_OK)
        return rc;
    if (sym != 0 && sym != 1)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "DPSS sym = %d must be 0 or 1", (int)sym);
    size_t need = (size_t)n * (size_t)k; /* both <= CLEFI_DPSS_MAX_N: no overflow */
    if (needed != NULL)
        *needed = need;
    if (tapers == NULL || tapers_cap < need)
        return clefi_ctx_error(ctx, CLEF_ERR_BUFFER_TOO_SMALL,
                               "DPSS output needs %zu doubles, capacity %zu", need, tapers_cap);
    return clefi_dpss(ctx, &ctx->err, n, nw, k, sym, tapers, ratios);
}
