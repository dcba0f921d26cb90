/* resample.c — polyphase rational resampler, equal to scipy.signal.resample_poly.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Design (scipy/signal/_signaltools.py resample_poly, SciPy 1.x): reduce up/down by their gcd;
 * half = 10 * max(up, down); h = firwin(2*half + 1, 1/max(up, down), window=("kaiser", 5.0)),
 * i.e. cutoff*sinc(cutoff*(n - half)) times a symmetric Kaiser window, normalised to unit DC
 * gain, then times up. Output y[m] = sum_k x[k] h[m*down - k*up + half] with x = 0 outside
 * the input (padtype "constant"), m < ceil(n*up/down). */
#include "io_int.h"

#include <math.h>
#include <string.h>

#define KAISER_BETA 5.0 /* resample_poly's default window ("kaiser", 5.0) */

static const double k_pi = 3.14159265358979323846;

/* Modified Bessel function I0 by its power series (converges for all x; beta <= 5 here). */
static double bessel_i0(double x) {
    double sum = 1.0, term = 1.0, q = x * x / 4.0;
    for (int k = 1; k < 200; k++) {
        term *= q / ((double)k * (double)k);
        sum += term;
        if (term < sum * 1e-17)
            break;
    }
    return sum;
}

static int64_t gcd64(int64_t a, int64_t b) {
    while (b != 0) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

clef_status clefi_polyfilt_init(clefi_polyfilt *f, clef_ctx *ctx, clefi_err *err, int64_t up,
                                int64_t down) {
    memset(f, 0, sizeof *f);
    if (up < 1 || down < 1)
        return clefi_error(ctx, err, CLEF_ERR_INVALID_ARG, "resampling factors %lld/%lld < 1",
                           (long long)up, (long long)down);
    int64_t g = gcd64(up, down);
    up /= g;
    down /= g;
    int64_t mx = up > down ? up : down;
    if (mx > CLEFI_RESAMPLE_MAX_FACTOR)
        return clefi_error(ctx, err, CLEF_ERR_UNSUPPORTED,
                           "resampling ratio %lld/%lld: factor above %d", (long long)up,
                           (long long)down, CLEFI_RESAMPLE_MAX_FACTOR);
    f->up = (int32_t)up;
    f->down = (int32_t)down;
    f->half = up == 1 && down == 1 ? 0 : (int32_t)(10 * mx);
    int32_t nt = 2 * f->half + 1;
    f->n_poly = (int32_t)((nt + up - 1) / up);
    double *h = clefi_malloc(ctx, (size_t)nt * sizeof *h);
    f->poly = clefi_calloc(ctx, (size_t)up * (size_t)f->n_poly, sizeof *f->poly);
    if (h == NULL || f->poly == NULL) {
        clefi_free(ctx, h);
        clefi_polyfilt_free(f, ctx);
        return clefi_error(ctx, err, CLEF_ERR_NOMEM, "resampling filter of %d taps", (int)nt);
    }
    if (nt == 1) {
        h[0] = 1.0; /* up == down: pass-through, exact */
    } else {
        double fc = 1.0 / (double)mx, sum = 0, i0b = bessel_i0(KAISER_BETA);
        for (int32_t i = 0; i < nt; i++) {
            double x = fc * (double)(i - f->half);
            double sinc = x == 0 ? 1.0 : sin(k_pi * x) / (k_pi * x);
            double r = 2.0 * i / (nt - 1) - 1.0;
            double w = bessel_i0(KAISER_BETA * sqrt(fmax(0.0, 1.0 - r * r))) / i0b;
            h[i] = fc * sinc * w;
            sum += h[i];
        }
        for (int32_t i = 0; i < nt; i++)
            h[i] = h[i] / sum * (double)up;
    }
    for (int64_t p = 0; p < up; p++)
        for (int64_t j = 0; p + j * up < nt; j++)
            f->poly[p * f->n_poly + (f->n_poly - 1 - j)] = h[p + j * up];
    clefi_free(ctx, h);
    return CLEF_OK;
}

void clefi_polyfilt_free(clefi_polyfilt *f, clef_ctx *ctx) {
    if (f == NULL)
        return;
    clefi_free(ctx, f->poly);
    f->poly = NULL;
}

clef_status clefi_rate_ratio(clef_ctx *ctx, clefi_err *err, double in_rate, double out_rate,
                             int32_t *up, int32_t *down) {
    if (!(in_rate > 0) || !(out_rate > 0) || !isfinite(in_rate) || !isfinite(out_rate))
        return clefi_error(ctx, err, CLEF_ERR_INVALID_ARG, "sampling rates %g -> %g Hz", in_rate,
                           out_rate);
    /* continued-fraction convergents p/q of out/in until exact to 1e-9 */
    double x = out_rate / in_rate, r = x;
    int64_t p0 = 0, q0 = 1, p1 = 1, q1 = 0;
    for (int it = 0; it < 64; it++) {
        double a = floor(r);
        if (a > 1e9)
            break;
        int64_t p2 = (int64_t)a * p1 + p0, q2 = (int64_t)a * q1 + q0;
        if (p2 > CLEFI_RESAMPLE_MAX_FACTOR || q2 > CLEFI_RESAMPLE_MAX_FACTOR)
            break;
        p0 = p1;
        q0 = q1;
        p1 = p2;
        q1 = q2;
        if (fabs((double)p1 / (double)q1 - x) <= 1e-9 * x) {
            *up = (int32_t)p1;
            *down = (int32_t)q1;
            return CLEF_OK;
        }
        if (r - a < 1e-12)
            break;
        r = 1.0 / (r - a);
    }
    return clefi_error(ctx, err, CLEF_ERR_UNSUPPORTED,
                       "rate ratio %.9g/%.9g Hz is not a fraction with terms <= %d", out_rate,
                       in_rate, CLEFI_RESAMPLE_MAX_FACTOR);
}

/* ---- streaming resampler ---- */

static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

void clefi_resampler_init(clefi_resampler *r, const clefi_polyfilt *f) {
    memset(r, 0, sizeof *r);
    r->f = f;
}

void clefi_resampler_free(clefi_resampler *r, clef_ctx *ctx) {
    if (r == NULL)
        return;
    clefi_free(ctx, r->buf);
    r->buf = NULL;
}

clef_status clefi_resampler_reserve(clefi_resampler *r, clef_ctx *ctx, int64_t n) {
    if (n > 0 && r->n_buf + n > r->cap_buf) {
        int64_t cap = r->cap_buf ? r->cap_buf : 1024;
        while (cap < r->n_buf + n)
            cap *= 2;
        double *b = clefi_realloc_array(ctx, r->buf, (size_t)cap, sizeof *b);
        if (b == NULL)
            return CLEF_ERR_NOMEM;
        r->buf = b;
        r->cap_buf = cap;
    }
    return CLEF_OK;
}

clef_status clefi_resampler_push(clefi_resampler *r, clef_ctx *ctx, const float *x, int64_t n,
                                 double scale) {
    if (n <= 0)
        return CLEF_OK;
    clef_status rc = clefi_resampler_reserve(r, ctx, n);
    if (rc != CLEF_OK)
        return rc;
    double *o = r->buf + r->n_buf;
    for (int64_t i = 0; i < n; i++)
        o[i] = (double)x[i] * scale;
    r->n_buf += n;
    r->n_in += n;
    return CLEF_OK;
}

static int64_t total_out(const clefi_resampler *r) {
    int64_t t = r->n_in * r->f->up;
    return t / r->f->down + (t % r->f->down != 0);
}

int64_t clefi_resampler_ready(const clefi_resampler *r) {
    const clefi_polyfilt *f = r->f;
    if (r->finished)
        return total_out(r) - r->n_done;
    if (r->n_in == 0)
        return 0;
    /* output m is complete when its last input floor((m*down + half)/up) < n_in */
    int64_t m_max = floor_div(r->n_in * f->up - 1 - f->half, f->down);
    int64_t last = m_max + 1;
    int64_t tot = total_out(r);
    if (last > tot)
        last = tot;
    return last > r->n_done ? last - r->n_done : 0;
}

void clefi_resampler_finish(clefi_resampler *r) { r->finished = 1; }

/* Dot product of n taps and inputs; four partial sums (fixed order, so deterministic) let
 * the compiler keep several multiply-adds in flight. */
static double dot(const double *x, const double *t, int64_t n) {
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        a0 += x[i] * t[i];
        a1 += x[i + 1] * t[i + 1];
        a2 += x[i + 2] * t[i + 2];
        a3 += x[i + 3] * t[i + 3];
    }
    for (; i < n; i++)
        a0 += x[i] * t[i];
    return (a0 + a1) + (a2 + a3);
}

void clefi_resampler_pull(clefi_resampler *r, float *out, int64_t n) {
    const clefi_polyfilt *f = r->f;
    const int64_t up = f->up, down = f->down, half = f->half, np = f->n_poly;
    const double *x = r->buf - r->base; /* x[k] for k in [base, base + n_buf) */
    for (int64_t j = 0; j < n; j++) {
        int64_t c = (r->n_done + j) * down + half;
        int64_t k_hi = c / up, k0 = k_hi - np + 1; /* inputs k0..k_hi meet taps 0..np-1 */
        const double *taps = f->poly + (c % up) * np;
        int64_t lo = k0 > 0 ? k0 : 0, hi = k_hi < r->n_in - 1 ? k_hi : r->n_in - 1;
        out[j] = hi >= lo ? (float)dot(x + lo, taps + (lo - k0), hi - lo + 1) : 0.0f;
    }
    r->n_done += n;
    /* drop inputs older than the first one the next output's tap row touches */
    int64_t keep = (r->n_done * down + half) / up - np + 1;
    if (keep > r->base + r->n_buf / 2 && keep > r->base) {
        int64_t drop = keep - r->base;
        if (drop > r->n_buf)
            drop = r->n_buf;
        memmove(r->buf, r->buf + drop, (size_t)(r->n_buf - drop) * sizeof *r->buf);
        r->n_buf -= drop;
        r->base += drop;
    }
}

clef_status clef_resample(clef_ctx *ctx, const float *in, int64_t n, int32_t up, int32_t down,
                          float *out, int64_t out_cap) {
    clefi_reset(ctx);
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if ((in == NULL && n > 0) || n < 0 || up < 1 || down < 1)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "clef_resample: bad argument");
    clefi_polyfilt f;
    clef_status rc = clefi_polyfilt_init(&f, ctx, &ctx->err, up, down);
    if (rc != CLEF_OK)
        return rc;
    clefi_resampler r;
    clefi_resampler_init(&r, &f);
    int64_t need = clef_resample_length(n, f.up, f.down);
    if (out == NULL || out_cap < need) {
        clefi_polyfilt_free(&f, ctx);
        return clefi_ctx_error(ctx, CLEF_ERR_BUFFER_TOO_SMALL,
                               "clef_resample: output needs %lld samples, capacity %lld",
                               (long long)need, (long long)out_cap);
    }
    rc = clefi_resampler_push(&r, ctx, in, n, 1.0);
    if (rc == CLEF_OK) {
        clefi_resampler_finish(&r);
        clefi_resampler_pull(&r, out, clefi_resampler_ready(&r));
    } else {
        clefi_ctx_error(ctx, rc, "clef_resample: %lld input samples", (long long)n);
    }
    clefi_resampler_free(&r, ctx);
    clefi_polyfilt_free(&f, ctx);
    return rc;
}

int64_t clef_resample_length(int64_t n, int32_t up, int32_t down) {
    if (n < 0 || up < 1 || down < 1 || n > INT64_MAX / up)
        return 0;
    int64_t t = n * up;
    return t / down + (t % down != 0);
}
