/* tok_disc.c — PatchGAN discriminator of the tokenizer trainer (taming-transformers
 * NLayerDiscriminator, n_layers = 3: Isola et al. 2017 "pix2pix" 70x70 PatchGAN).
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * conv 4x4 s2 -> LeakyReLU(0.2) -> conv 4x4 s2 -> LReLU -> conv 4x4 s1 -> LReLU -> conv 4x4 s1
 * to one logit per patch; widths ndf, 2 ndf, 4 ndf, 1; all convolutions pad 1. taming puts
 * BatchNorm after the inner convolutions; batches here are processed one image at a time, so
 * there is no norm (and the convolutions keep their bias). Layers are lib/nn's conv2d. */
#include "model_int.h"

#include <math.h>
#include <string.h>

/* LeakyReLU slope of pix2pix / taming */
#define DISC_SLOPE 0.2f

void clefi_tok_disc_free(clefi_tok_disc *d) {
    if (d == NULL)
        return;
    for (int l = 0; l < CLEFI_DISC_LAYERS; l++) {
        clefi_free(d->ctx, d->in[l]);
        clefi_free(d->ctx, d->pre[l]);
        clefi_free(d->ctx, d->g_in[l]);
        clefi_free(d->ctx, d->g_pre[l]);
    }
    clefi_free(d->ctx, d->col);
    clefi_free(d->ctx, d->params);
    clefi_free(d->ctx, d);
}

clef_status clefi_tok_disc_create(clefi_tok_disc **out, clef_ctx *ctx, int32_t in_ch, int32_t h,
                                  int32_t w, int32_t ndf, uint64_t seed) {
    *out = NULL;
    clefi_tok_disc *d = clefi_calloc(ctx, 1, sizeof *d);
    if (d == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "discriminator: no memory");
    d->ctx = ctx;
    const int32_t width[CLEFI_DISC_LAYERS + 1] = {in_ch, ndf, 2 * ndf, 4 * ndf, 1};
    const int32_t stride[CLEFI_DISC_LAYERS] = {2, 2, 1, 1};
    int64_t hh = h, ww = w;
    size_t n_params = 0, col = 0;
    clef_status rc = CLEF_OK;
    for (int l = 0; l < CLEFI_DISC_LAYERS && rc == CLEF_OK; l++) {
        rc = clefi_conv2d_init(&d->geo[l], 1, width[l], hh, ww, width[l + 1], 4, stride[l], 1);
        if (rc != CLEF_OK)
            break;
        size_t n_in = (size_t)width[l] * (size_t)(hh * ww);
        hh = d->geo[l].OH;
        ww = d->geo[l].OW;
        size_t n_out = (size_t)width[l + 1] * (size_t)(hh * ww);
        d->w_off[l] = n_params;
        n_params += (size_t)width[l + 1] * (size_t)width[l] * 16;
        d->b_off[l] = n_params;
        n_params += (size_t)width[l + 1];
        if (clefi_conv2d_scratch(&d->geo[l]) > col)
            col = clefi_conv2d_scratch(&d->geo[l]);
        d->in[l] = clefi_calloc(ctx, n_in, sizeof(float));
        d->g_in[l] = clefi_calloc(ctx, n_in, sizeof(float));
        d->pre[l] = clefi_calloc(ctx, n_out, sizeof(float));
        d->g_pre[l] = clefi_calloc(ctx, n_out, sizeof(float));
        if (d->in[l] == NULL || d->g_in[l] == NULL || d->pre[l] == NULL || d->g_pre[l] == NULL)
            rc = CLEF_ERR_NOMEM;
    }
    if (rc == CLEF_ERR_SHAPE) {
        clefi_tok_disc_free(d);
        return clefi_ctx_error(ctx, CLEF_ERR_SHAPE,
                               "discriminator: a %d x %d crop is too small "
                               "for three 4x4 stride-2/1 stages",
                               (int)h, (int)w);
    }
    d->n_params = n_params;
    d->n_logits = (size_t)(hh * ww);
    d->col = rc == CLEF_OK ? clefi_calloc(ctx, col, sizeof(float)) : NULL;
    d->params = rc == CLEF_OK ? clefi_calloc(ctx, n_params, sizeof(float)) : NULL;
    if (d->col == NULL || d->params == NULL) {
        clefi_tok_disc_free(d);
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "discriminator: no memory");
    }
    /* torch Conv2d default init U(+-1/sqrt(fan_in)) */
    uint64_t counter = 0;
    for (int l = 0; l < CLEFI_DISC_LAYERS; l++) {
        float bound = 1.0f / sqrtf((float)(width[l] * 16));
        for (size_t i = d->w_off[l]; i < d->b_off[l] + (size_t)width[l + 1]; i++)
            d->params[i] = (2.0f * clefi_rng_uniform(seed, counter++) - 1.0f) * bound;
    }
    *out = d;
    return CLEF_OK;
}

const float *clefi_tok_disc_forward(clefi_tok_disc *d, clefi_pool *pool, const float *x) {
    size_t n0 = (size_t)(d->geo[0].C * d->geo[0].H * d->geo[0].W);
    memcpy(d->in[0], x, n0 * sizeof(float));
    for (int l = 0; l < CLEFI_DISC_LAYERS; l++) {
        const clefi_conv2d *g = &d->geo[l];
        clefi_conv2d_forward(pool, d->pre[l], d->in[l], d->params + d->w_off[l],
                             d->params + d->b_off[l], g, d->col);
        if (l + 1 < CLEFI_DISC_LAYERS)
            clefi_act_forward(pool, CLEFI_ACT_LEAKY_RELU, DISC_SLOPE, d->in[l + 1], d->pre[l],
                              g->OC * g->OH * g->OW);
    }
    return d->pre[CLEFI_DISC_LAYERS - 1];
}

void clefi_tok_disc_backward(clefi_tok_disc *d, clefi_pool *pool, const float *dlogits, float *dx,
                             float *dparams) {
    memcpy(d->g_pre[CLEFI_DISC_LAYERS - 1], dlogits, d->n_logits * sizeof(float));
    for (int l = CLEFI_DISC_LAYERS - 1; l >= 0; l--) {
        const clefi_conv2d *g = &d->geo[l];
        float *gin = l > 0 ? d->g_in[l] : dx;
        if (gin != NULL && l > 0)
            memset(gin, 0, (size_t)(g->C * g->H * g->W) * sizeof(float));
        clefi_conv2d_backward(pool, gin, dparams + d->w_off[l], dparams + d->b_off[l], d->g_pre[l],
                              d->in[l], d->params + d->w_off[l], g, d->col);
        if (l > 0) {
            const clefi_conv2d *p = &d->geo[l - 1];
            size_t n = (size_t)(p->OC * p->OH * p->OW);
            memset(d->g_pre[l - 1], 0, n * sizeof(float));
            clefi_act_backward(pool, CLEFI_ACT_LEAKY_RELU, DISC_SLOPE, d->g_pre[l - 1],
                               d->pre[l - 1], d->g_in[l], (int64_t)n);
        }
    }
}
