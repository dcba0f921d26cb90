/* nn_test_util.c — helpers of the nn tests. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_int.h"
#include "nn_test_util.h"

#include <stdio.h>

void nt_fill(float *x, int64_t n, float lo, float hi, uint64_t seed) {
    for (int64_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * clefi_rng_uniform(seed, (uint64_t)i);
}

void nt_fill_away(float *x, int64_t n, float hi, float gap, uint64_t seed) {
    for (int64_t i = 0; i < n; i++) {
        float u = clefi_rng_uniform(seed, (uint64_t)i);
        float mag = gap + (hi - gap) * clefi_rng_uniform(seed + 1, (uint64_t)i);
        x[i] = u < 0.5f ? -mag : mag;
    }
}

float *nt_zeros(int64_t n) {
    float *p = calloc((size_t)(n > 0 ? n : 1), sizeof(float));
    assert_non_null(p);
    return p;
}

static double eval(nt_case *c) {
    if (c->out == NULL)
        return c->loss(c->arg);
    c->fwd(c->arg);
    double s = 0.0;
    for (int64_t i = 0; i < c->nout; i++)
        s += (double)c->out[i] * c->R[i];
    return s;
}

void nt_gradcheck(nt_case *c) {
    if (c->out != NULL) {
        c->R = nt_zeros(c->nout);
        nt_fill(c->R, c->nout, -1.f, 1.f, 777);
    }
    for (int b = 0; b < c->nb; b++)
        memset(c->buf[b].g, 0, (size_t)c->buf[b].n * sizeof(float));
    eval(c);
    c->bwd(c->arg);
    for (int b = 0; b < c->nb; b++) {
        nt_buf *bf = &c->buf[b];
        double worst = 0.0, wnum = 0.0, wana = 0.0;
        int64_t wi = -1;
        for (int64_t i = 0; i < bf->n; i++) {
            float x0 = bf->x[i];
            bf->x[i] = x0 + (float)c->h;
            double fp = eval(c);
            bf->x[i] = x0 - (float)c->h;
            double fm = eval(c);
            bf->x[i] = x0;
            double num = (fp - fm) / (2.0 * c->h), ana = bf->g[i];
            double excess = fabs(num - ana) - (c->atol + c->rtol * fabs(num));
            if (wi < 0 || excess > worst) {
                worst = excess;
                wi = i;
                wnum = num;
                wana = ana;
            }
        }
        if (worst > 0.0) {
            print_error("%s: d%s[%lld] numeric %.6g analytic %.6g (atol %g rtol %g)\n", c->what,
                        bf->name, (long long)wi, wnum, wana, c->atol, c->rtol);
            fail();
        }
    }
    /* backward accumulates: a second call adds the same gradient again */
    eval(c);
    float *first = nt_zeros(c->buf[0].n);
    memcpy(first, c->buf[0].g, (size_t)c->buf[0].n * sizeof(float));
    c->bwd(c->arg);
    for (int64_t i = 0; i < c->buf[0].n; i++)
        first[i] *= 2.f;
    test_assert_close_f32(c->buf[0].g, first, (size_t)c->buf[0].n, 1e-5, 1e-5, c->what);
    free(first);
    free(c->R);
}

clef_weights *nt_gold_open(const char *name) {
    static clef_ctx *ctx;
    if (ctx == NULL)
        assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    char rel[256];
    snprintf(rel, sizeof rel, "golden/nn/nn_%s.safetensors", name);
    clef_weights *w = NULL;
    clef_status rc = clef_weights_open(&w, ctx, test_data_path(rel));
    if (rc != CLEF_OK)
        print_error("%s: %s\n", rel, clef_ctx_errmsg(ctx));
    assert_int_equal(rc, CLEF_OK);
    return w;
}

float *nt_gold(clef_weights *w, const char *key, int64_t n, int64_t *got) {
    size_t need = 0;
    clef_status rc = clef_weights_read_f32(w, key, NULL, 0, &need);
    if (rc != CLEF_ERR_BUFFER_TOO_SMALL && rc != CLEF_OK) {
        print_error("golden tensor %s: %s\n", key, clef_weights_errmsg(w));
        fail();
    }
    if (n >= 0)
        assert_int_equal((int64_t)need, n);
    float *p = nt_zeros((int64_t)need);
    assert_int_equal(clef_weights_read_f32(w, key, p, need, NULL), CLEF_OK);
    if (got != NULL)
        *got = (int64_t)need;
    return p;
}

void nt_gold_check(clef_weights *w, const char *key, const float *y, int64_t n, double atol,
                   double rtol) {
    float *ref = nt_gold(w, key, n, NULL);
    test_assert_close_f32(y, ref, (size_t)n, atol, rtol, key);
    free(ref);
}
