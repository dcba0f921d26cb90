/* loss.c — cross-entropy, MSE, L1, GAN losses, L2 normalisation, symmetric InfoNCE.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Every loss is a mean; sums run serially in double in index order, so they do not depend on
 * the thread count. */
#include "nn_int.h"

#include <math.h>

clef_status clefi_cross_entropy_forward(clefi_pool *pool, double *loss, float *probs,
                                        const float *logits, const int32_t *targets, int64_t N,
                                        int64_t V, int32_t ignore_index, int64_t *n_valid) {
    for (int64_t n = 0; n < N; n++)
        if (targets[n] != ignore_index && (targets[n] < 0 || targets[n] >= V))
            return CLEF_ERR_RANGE;
    clefi_softmax_forward(pool, probs, logits, N, V);
    double acc = 0.0;
    int64_t cnt = 0;
    for (int64_t n = 0; n < N; n++) {
        if (targets[n] == ignore_index)
            continue;
        /* -log p from the logits (log-sum-exp), not from the rounded probability */
        const float *x = logits + n * V;
        float mx = x[0];
        for (int64_t v = 1; v < V; v++)
            mx = x[v] > mx ? x[v] : mx;
        double s = 0.0;
        for (int64_t v = 0; v < V; v++)
            s += exp((double)x[v] - mx);
        acc += log(s) + mx - x[targets[n]];
        cnt++;
    }
    *loss = cnt > 0 ? acc / (double)cnt : 0.0;
    *n_valid = cnt;
    return CLEF_OK;
}

void clefi_cross_entropy_backward(clefi_pool *pool, float *dlogits, const float *probs,
                                  const int32_t *targets, int64_t N, int64_t V,
                                  int32_t ignore_index, int64_t n_valid, float dloss) {
    (void)pool;
    if (n_valid <= 0)
        return;
    float s = dloss / (float)n_valid;
    for (int64_t n = 0; n < N; n++) {
        if (targets[n] == ignore_index)
            continue;
        for (int64_t v = 0; v < V; v++)
            dlogits[n * V + v] += s * (probs[n * V + v] - (v == targets[n] ? 1.f : 0.f));
    }
}

double clefi_mse_forward(const float *pred, const float *target, int64_t n) {
    double acc = 0.0;
    for (int64_t i = 0; i < n; i++)
        acc += ((double)pred[i] - target[i]) * ((double)pred[i] - target[i]);
    return acc / (double)n;
}

void clefi_mse_backward(float *dpred, const float *pred, const float *target, int64_t n,
                        float dloss) {
    float s = 2.f * dloss / (float)n;
    for (int64_t i = 0; i < n; i++)
        dpred[i] += s * (pred[i] - target[i]);
}

double clefi_l1_forward(const float *pred, const float *target, int64_t n) {
    double acc = 0.0;
    for (int64_t i = 0; i < n; i++)
        acc += fabs((double)pred[i] - target[i]);
    return acc / (double)n;
}

void clefi_l1_backward(float *dpred, const float *pred, const float *target, int64_t n,
                       float dloss) {
    float s = dloss / (float)n;
    for (int64_t i = 0; i < n; i++) {
        float d = pred[i] - target[i];
        dpred[i] += d > 0.f ? s : (d < 0.f ? -s : 0.f);
    }
}

/* ln(mean_t exp(a v_t)) / a of one row, with the maximum taken out so exp cannot overflow. */
static double row_lme(const float *v, int64_t len, double a) {
    double m = v[0];
    for (int64_t t = 1; t < len; t++)
        m = v[t] > m ? v[t] : m;
    double s = 0.0;
    for (int64_t t = 0; t < len; t++)
        s += exp(a * ((double)v[t] - m));
    return m + log(s / (double)len) / a;
}

double clefi_lme_loss_forward(clefi_lme_dist dist, const float *pred, const float *target,
                              int64_t rows, int64_t len, double a) {
    double acc = 0.0;
    for (int64_t r = 0; r < rows; r++) {
        double d = row_lme(pred + r * len, len, a) - row_lme(target + r * len, len, a);
        acc += dist == CLEFI_LME_MSE ? d * d : fabs(d);
    }
    return acc / (double)rows;
}

double clefi_lme_loss_backward(clefi_lme_dist dist, float *dpred, const float *pred,
                               const float *target, int64_t rows, int64_t len, double a,
                               float dloss) {
    double acc = 0.0;
    for (int64_t r = 0; r < rows; r++) {
        const float *p = pred + r * len;
        double lp = row_lme(p, len, a), d = lp - row_lme(target + r * len, len, a);
        double dd = dist == CLEFI_LME_MSE ? 2.0 * d : (d > 0.0) - (d < 0.0);
        acc += dist == CLEFI_LME_MSE ? d * d : fabs(d);
        if (dd == 0.0)
            continue;
        /* d lme / d p_t = softmax(a p)_t = exp(a (p_t - lme)) / len */
        double s = dd * dloss / (double)rows / (double)len;
        for (int64_t t = 0; t < len; t++)
            dpred[r * len + t] += (float)(s * exp(a * ((double)p[t] - lp)));
    }
    return acc / (double)rows;
}

/* softplus(x) = log(1 + e^x), computed without overflow */
static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* sign of x in the term: each term is f(sgn * x) with f softplus or relu(1 + .) */
static double gan_sign(clefi_gan_term term) { return term == CLEFI_GAN_D_FAKE ? 1.0 : -1.0; }

double clefi_gan_loss_forward(clefi_gan kind, clefi_gan_term term, const float *logits, int64_t n) {
    double acc = 0.0, sg = gan_sign(term);
    for (int64_t i = 0; i < n; i++) {
        double x = sg * logits[i];
        if (kind == CLEFI_GAN_NS)
            acc += softplus(x);
        else if (term == CLEFI_GAN_G)
            acc += x; /* hinge generator loss: -mean(D(fake)) */
        else
            acc += 1.0 + x > 0.0 ? 1.0 + x : 0.0;
    }
    return acc / (double)n;
}

void clefi_gan_loss_backward(clefi_gan kind, clefi_gan_term term, float *dlogits,
                             const float *logits, int64_t n, float dloss) {
    double sg = gan_sign(term), s = (double)dloss / (double)n;
    for (int64_t i = 0; i < n; i++) {
        double x = sg * logits[i], g;
        if (kind == CLEFI_GAN_NS)
            g = sigmoid(x);
        else if (term == CLEFI_GAN_G)
            g = 1.0;
        else
            g = 1.0 + x > 0.0 ? 1.0 : 0.0;
        dlogits[i] += (float)(s * sg * g);
    }
}

void clefi_l2norm_forward(float *out, float *norm, const float *inp, int64_t N, int64_t D,
                          float eps) {
    for (int64_t n = 0; n < N; n++) {
        double ss = 0.0;
        for (int64_t d = 0; d < D; d++)
            ss += (double)inp[n * D + d] * inp[n * D + d];
        float nr = (float)sqrt(ss);
        norm[n] = nr;
        float inv = 1.f / (nr > eps ? nr : eps);
        for (int64_t d = 0; d < D; d++)
            out[n * D + d] = inp[n * D + d] * inv;
    }
}

/* d(x / |x|) = (g - y (y.g)) / |x|; below eps the denominator is the constant eps */
void clefi_l2norm_backward(float *dinp, const float *dout, const float *out, const float *norm,
                           int64_t N, int64_t D, float eps) {
    for (int64_t n = 0; n < N; n++) {
        const float *y = out + n * D, *g = dout + n * D;
        float dot = 0.f;
        if (norm[n] > eps)
            for (int64_t d = 0; d < D; d++)
                dot += y[d] * g[d];
        float inv = 1.f / (norm[n] > eps ? norm[n] : eps);
        for (int64_t d = 0; d < D; d++)
            dinp[n * D + d] += (g[d] - y[d] * dot) * inv;
    }
}

/* log-sum-exp of n values spaced by stride */
static double lse_strided(const float *x, int64_t n, int64_t stride) {
    float mx = x[0];
    for (int64_t i = 1; i < n; i++)
        mx = x[i * stride] > mx ? x[i * stride] : mx;
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += exp((double)x[i * stride] - mx);
    return log(s) + mx;
}

double clefi_infonce_forward(clefi_pool *pool, const float *a, const float *b, float log_scale,
                             int64_t N, int64_t D, float *scratch) {
    float *L = scratch;
    clefi_sgemm(pool, 0, 1, N, N, D, expf(log_scale), a, D, b, D, 0.f, L, N);
    double acc = 0.0;
    for (int64_t i = 0; i < N; i++)
        acc += lse_strided(L + i * N, N, 1) + lse_strided(L + i, N, N) - 2.0 * L[i * N + i];
    return acc / (2.0 * (double)N);
}

void clefi_infonce_backward(clefi_pool *pool, float *da, float *db, float *dlog_scale,
                            const float *a, const float *b, float log_scale, int64_t N, int64_t D,
                            float dloss, float *scratch) {
    const float *L = scratch;
    float *G = scratch + N * N; /* dloss/dlogits */
    double w = (double)dloss / (2.0 * (double)N), dls = 0.0;
    /* G[i][j] = w * (softmax_row_i(j) + softmax_col_j(i) - 2 [i == j]) */
    for (int64_t i = 0; i < N; i++) {
        double lr = lse_strided(L + i * N, N, 1);
        for (int64_t j = 0; j < N; j++)
            G[i * N + j] = (float)(w * (exp(L[i * N + j] - lr) - (i == j ? 1.0 : 0.0)));
    }
    for (int64_t j = 0; j < N; j++) {
        double lc = lse_strided(L + j, N, N);
        for (int64_t i = 0; i < N; i++)
            G[i * N + j] += (float)(w * (exp(L[i * N + j] - lc) - (i == j ? 1.0 : 0.0)));
    }
    for (int64_t k = 0; k < N * N; k++)
        dls += (double)G[k] * L[k];
    float s = expf(log_scale);
    if (da != NULL)
        clefi_sgemm(pool, 0, 0, N, D, N, s, G, N, b, D, 1.f, da, D);
    if (db != NULL)
        clefi_sgemm(pool, 1, 0, N, D, N, s, G, N, a, D, 1.f, db, D);
    if (dlog_scale != NULL)
        *dlog_scale += (float)dls; /* dL/dlog_scale = sum G * logits, logits = e^s A B^T */
}
