/* tok_train.c — tokenizer training: the network as a list of ops with saved activations,
 * forward and backward over it, L1 reconstruction + commitment loss, EMA codebook with
 * dead-code restarts, AdamW (ARCHITECTURE.md section 6, stage 1).
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Adversarial term (Esser et al. 2021, taming/modules/losses/vqperceptual.py): from step
 * disc_start, hinge losses with the PatchGAN of tok_disc.c; the generator term is weighted by
 * disc_weight * ||grad_W L1|| / (||grad_W G|| + 1e-4), clamped to [0, 1e4], W the last decoder
 * layer (computed per image here, per batch in taming). Not yet here: checkpoints. */
#include "model_int.h"

#include <math.h>
#include <string.h>

/* ---- building the op list ---- */

static int32_t new_buf(clefi_tok_trainer *tr, size_t n) {
    if (tr->rc != CLEF_OK)
        return 0;
    if (tr->n_buf == tr->cap_buf) {
        size_t cap = tr->cap_buf ? 2 * tr->cap_buf : 64;
        clefi_tbuf *b = clefi_realloc_array(tr->ctx, tr->buf, cap, sizeof *b);
        if (b == NULL) {
            tr->rc = CLEF_ERR_NOMEM;
            return 0;
        }
        tr->buf = b;
        tr->cap_buf = cap;
    }
    clefi_tbuf *b = &tr->buf[tr->n_buf];
    b->n = n;
    b->v = clefi_calloc(tr->ctx, n, sizeof(float));
    b->g = clefi_calloc(tr->ctx, n, sizeof(float));
    tr->n_buf++; /* counted first so that free releases a half-made pair */
    if (b->v == NULL || b->g == NULL)
        tr->rc = CLEF_ERR_NOMEM;
    return (int32_t)tr->n_buf - 1;
}

static int32_t add_op(clefi_tok_trainer *tr, clefi_top o, size_t out_n) {
    if (tr->rc != CLEF_OK)
        return 0;
    if (tr->n_op == tr->cap_op) {
        size_t cap = tr->cap_op ? 2 * tr->cap_op : 64;
        clefi_top *p = clefi_realloc_array(tr->ctx, tr->op, cap, sizeof *p);
        if (p == NULL) {
            tr->rc = CLEF_ERR_NOMEM;
            return 0;
        }
        tr->op = p;
        tr->cap_op = cap;
    }
    if (o.kind == CLEFI_OP_GN) {
        o.mean = clefi_calloc(tr->ctx, (size_t)o.gn->groups, sizeof(float));
        o.rstd = clefi_calloc(tr->ctx, (size_t)o.gn->groups, sizeof(float));
    }
    tr->op[tr->n_op++] = o;
    if (o.kind == CLEFI_OP_GN && (o.mean == NULL || o.rstd == NULL))
        tr->rc = CLEF_ERR_NOMEM;
    o.out = new_buf(tr, out_n);
    tr->op[tr->n_op - 1].out = o.out;
    return o.out;
}

static size_t hw_of(int32_t h, int32_t w) { return (size_t)h * (size_t)w; }

static int32_t b_conv(clefi_tok_trainer *tr, const clefi_conv *c, int32_t in, int32_t h,
                      int32_t w) {
    clefi_top o = {.kind = CLEFI_OP_CONV, .conv = c, .in = in, .c = c->cin, .h = h, .w = w};
    if (tr->rc == CLEF_OK && clefi_conv2d_init_rect(&o.geo, 1, c->cin, h, w, c->cout, c->kh, c->kw,
                                                    c->sh, c->sw, c->ph, c->pw) != CLEF_OK)
        tr->rc = CLEF_ERR_INTERNAL; /* check_cfg admits no geometry that does not fit */
    if (tr->rc == CLEF_OK && clefi_conv2d_scratch(&o.geo) > tr->col_len)
        tr->col_len = clefi_conv2d_scratch(&o.geo);
    return add_op(tr, o, (size_t)c->cout * (size_t)(o.geo.OH * o.geo.OW));
}

static int32_t b_norm_silu(clefi_tok_trainer *tr, const clefi_gnorm *g, int32_t in, int32_t h,
                           int32_t w) {
    size_t n = (size_t)g->c * hw_of(h, w);
    int32_t gn = add_op(
        tr, (clefi_top){.kind = CLEFI_OP_GN, .gn = g, .in = in, .c = g->c, .h = h, .w = w}, n);
    return add_op(tr, (clefi_top){.kind = CLEFI_OP_SILU, .in = gn, .c = g->c, .h = h, .w = w}, n);
}

static int32_t b_resblock(clefi_tok_trainer *tr, const clefi_resblock *r, int32_t x, int32_t h,
                          int32_t w) {
    int32_t a = b_norm_silu(tr, &r->n1, x, h, w);
    a = b_conv(tr, &r->c1, a, h, w);
    a = b_norm_silu(tr, &r->n2, a, h, w);
    a = b_conv(tr, &r->c2, a, h, w);
    int32_t skip = r->has_nin ? b_conv(tr, &r->nin, x, h, w) : x;
    return add_op(
        tr,
        (clefi_top){.kind = CLEFI_OP_ADD, .in = skip, .in2 = a, .c = r->c2.cout, .h = h, .w = w},
        (size_t)r->c2.cout * hw_of(h, w));
}

/* The same network as encoder() and decoder() in tok_run.c, with every activation kept. */
static void build_graph(clefi_tok_trainer *tr) {
    const clef_tokenizer *tok = tr->tok;
    const clefi_tok_cfg *c = &tok->cfg;
    int32_t h = c->n_freq, w = c->grid_t;
    tr->img = new_buf(tr, (size_t)c->in_ch * hw_of(c->n_freq, c->crop_t));
    int32_t x = b_conv(tr, &tok->e_conv_in, tr->img, c->n_freq, c->crop_t);
    for (int32_t i = 0; i < c->n_levels; i++) {
        for (int32_t k = 0; k < c->n_res; k++)
            x = b_resblock(tr, &tok->e_blk[i][k], x, h, w);
        x = b_conv(tr, &tok->e_down[i], x, h, w);
        h /= 2;
    }
    x = b_resblock(tr, &tok->e_mid, x, h, w);
    x = b_norm_silu(tr, &tok->e_norm_out, x, h, w);
    tr->z = b_conv(tr, &tok->e_conv_out, x, h, w);
    x = add_op(tr, (clefi_top){.kind = CLEFI_OP_VQ, .in = tr->z, .c = c->code_dim, .h = h, .w = w},
               (size_t)c->code_dim * hw_of(h, w));
    tr->zq_buf = x;
    x = b_conv(tr, &tok->d_conv_in, x, h, w);
    x = b_resblock(tr, &tok->d_mid, x, h, w);
    for (int32_t i = c->n_levels - 1; i >= 0; i--) {
        for (int32_t k = 0; k < c->n_res; k++)
            x = b_resblock(tr, &tok->d_blk[i][k], x, h, w);
        int32_t ch = tok->d_up[i].cin;
        x = add_op(tr, (clefi_top){.kind = CLEFI_OP_UP, .in = x, .c = ch, .h = h, .w = w},
                   (size_t)ch * hw_of(2 * h, w));
        h *= 2;
        x = b_conv(tr, &tok->d_up[i], x, h, w);
    }
    x = b_norm_silu(tr, &tok->d_norm_out, x, h, w);
    tr->y = add_op(tr,
                   (clefi_top){.kind = CLEFI_OP_CONVT,
                               .conv = &tok->d_conv_out,
                               .in = x,
                               .c = tok->d_conv_out.cin,
                               .h = h,
                               .w = w},
                   (size_t)c->in_ch * hw_of(c->n_freq, c->crop_t));
}

/* ---- forward and backward ---- */

static float *grad_of(clefi_tok_trainer *tr, const float *param) {
    return tr->grads + (param - tr->tok->flat);
}

/* Forward of one image already in buf[img]; ids of its tokens go to idx. */
static void forward(clefi_tok_trainer *tr, int32_t *idx) {
    const clefi_tok_cfg *c = &tr->tok->cfg;
    for (size_t i = 0; i < tr->n_op; i++) {
        const clefi_top *o = &tr->op[i];
        const float *in = tr->buf[o->in].v;
        float *out = tr->buf[o->out].v;
        size_t n = tr->buf[o->out].n, hw = hw_of(o->h, o->w);
        switch (o->kind) {
        case CLEFI_OP_CONV:
            clefi_conv2d_forward(tr->pool, out, in, o->conv->w, o->conv->b, &o->geo, tr->col);
            break;
        case CLEFI_OP_CONVT:
            clefi_convt_time_forward(&tr->fw, o->conv, in, o->h, o->w, out);
            break;
        case CLEFI_OP_GN:
            clefi_groupnorm_forward(tr->pool, out, o->mean, o->rstd, in, o->gn->g, o->gn->b, 1,
                                    o->c, (int64_t)hw, o->gn->groups, o->gn->eps);
            break;
        case CLEFI_OP_SILU:
            clefi_act_forward(tr->pool, CLEFI_ACT_SILU, 0.0f, out, in, (int64_t)n);
            break;
        case CLEFI_OP_UP:
            clefi_upsample_forward(tr->pool, out, in, 1, o->c, o->h, o->w, 2, 1);
            break;
        case CLEFI_OP_ADD:
            clefi_residual_forward(tr->pool, out, in, tr->buf[o->in2].v, (int64_t)n);
            break;
        case CLEFI_OP_VQ: /* [D][N] -> (N, D) for lib/nn's search, codes back to [D][N] */
            for (size_t d = 0; d < (size_t)o->c; d++)
                for (size_t p = 0; p < hw; p++)
                    tr->zt[p * (size_t)o->c + d] = in[d * hw + p];
            clefi_vq_forward(tr->pool, tr->zq, idx, tr->zt, tr->tok->codebook, (int64_t)hw,
                             c->codebook_size, o->c, tr->vq_scratch);
            if (tr->cfg.bypass_vq)
                memcpy(tr->zq, tr->zt, (size_t)o->c * hw * sizeof(float));
            for (size_t d = 0; d < (size_t)o->c; d++)
                for (size_t p = 0; p < hw; p++)
                    out[d * hw + p] = tr->zq[p * (size_t)o->c + d];
            break;
        default:
            break;
        }
    }
}

static void backward(clefi_tok_trainer *tr) {
    for (size_t i = tr->n_op; i-- > 0;) {
        const clefi_top *o = &tr->op[i];
        const clefi_tbuf *bi = &tr->buf[o->in], *bo = &tr->buf[o->out];
        size_t hw = hw_of(o->h, o->w);
        switch (o->kind) {
        case CLEFI_OP_CONV:
            clefi_conv2d_backward(tr->pool, o->in == tr->img ? NULL : bi->g,
                                  grad_of(tr, o->conv->w), grad_of(tr, o->conv->b), bo->g, bi->v,
                                  o->conv->w, &o->geo, tr->col);
            break;
        case CLEFI_OP_CONVT:
            clefi_convt_time_backward(&tr->fw, o->conv, bi->v, o->h, o->w, bo->g, bi->g,
                                      grad_of(tr, o->conv->w), grad_of(tr, o->conv->b));
            break;
        case CLEFI_OP_GN:
            clefi_groupnorm_backward(tr->pool, bi->g, grad_of(tr, o->gn->g), grad_of(tr, o->gn->b),
                                     bo->g, bi->v, o->gn->g, o->mean, o->rstd, 1, o->c, (int64_t)hw,
                                     o->gn->groups);
            break;
        case CLEFI_OP_SILU:
            clefi_act_backward(tr->pool, CLEFI_ACT_SILU, 0.0f, bi->g, bi->v, bo->g, (int64_t)bo->n);
            break;
        case CLEFI_OP_UP:
            clefi_upsample_backward(tr->pool, bi->g, bo->g, 1, o->c, o->h, o->w, 2, 1);
            break;
        case CLEFI_OP_ADD:
            clefi_residual_backward(tr->pool, bi->g, tr->buf[o->in2].g, bo->g, (int64_t)bo->n);
            break;
        case CLEFI_OP_VQ: /* straight-through + commitment; elementwise, so the [D][N] layout is
                             fine */
            clefi_vq_backward(tr->pool, bi->g, bo->g, bi->v, bo->v, (int64_t)hw, o->c,
                              tr->cfg.commitment);
            break;
        default:
            break;
        }
    }
}

/* ---- trainer ---- */

void clefi_tok_trainer_free(clefi_tok_trainer *tr) {
    if (tr == NULL)
        return;
    clef_ctx *ctx = tr->ctx;
    for (size_t i = 0; i < tr->n_buf; i++) {
        clefi_free(ctx, tr->buf[i].v);
        clefi_free(ctx, tr->buf[i].g);
    }
    for (size_t i = 0; i < tr->n_op; i++) {
        clefi_free(ctx, tr->op[i].mean);
        clefi_free(ctx, tr->op[i].rstd);
    }
    clefi_free(ctx, tr->buf);
    clefi_free(ctx, tr->mean_m);
    clefi_free(ctx, tr->mean_hat);
    clefi_free(ctx, tr->calib);
    clefi_free(ctx, tr->op);
    float *f[] = {tr->grads,  tr->m,  tr->v,  tr->cluster,    tr->embed_sum,  tr->counts,
                  tr->zbatch, tr->zq, tr->zt, tr->fw.scratch, tr->vq_scratch, tr->col};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        clefi_free(ctx, f[i]);
    clefi_free(ctx, tr->idx);
    float *g[] = {tr->d_grads, tr->d_junk, tr->d_m,    tr->d_v,
                  tr->dlog,    tr->dy_gan, tr->gw_rec, tr->gw_gan};
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++)
        clefi_free(ctx, g[i]);
    clefi_tok_disc_free(tr->disc);
    clefi_tok_data_free(ctx, &tr->data);
    clef_spectrogram_free(tr->sg_own);
    clef_session_free(tr->sess); /* and its pool */
    clef_tokenizer_free(tr->tok);
    clefi_free(ctx, tr);
    clefi_ctx_release(ctx);
}

clef_status clefi_tok_trainer_create(clefi_tok_trainer **out, clef_ctx *ctx,
                                     const clefi_tok_cfg *arch, const clefi_tok_train_cfg *cfg) {
    *out = NULL;
    if (cfg->batch < 1 || cfg->n_threads < 1 || !(cfg->lr > 0.0f))
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                               "tokenizer trainer: batch %d, "
                               "n_threads %d and lr %g must be positive",
                               (int)cfg->batch, (int)cfg->n_threads, (double)cfg->lr);
    clefi_tok_trainer *tr = clefi_calloc(ctx, 1, sizeof *tr);
    if (tr == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "tokenizer trainer: no memory");
    tr->present = UINT32_MAX; /* every channel in the loss until a step says otherwise */
    tr->ctx = clefi_ctx_retain(ctx);
    tr->cfg = *cfg;
    clef_status rc = clefi_tokenizer_new(&tr->tok, ctx, arch, cfg->seed);
    if (rc == CLEF_OK) /* the trainer's threads and the sessions' spectrograms run on it */
        rc = clef_session_create(&tr->sess, ctx, cfg->n_threads);
    if (rc == CLEF_OK)
        tr->pool = tr->sess->pool;
    if (rc != CLEF_OK) {
        clefi_tok_trainer_free(tr);
        return rc;
    }
    const clefi_tok_cfg *c = &tr->tok->cfg;
    size_t total = tr->tok->lay.total, n_tok = hw_of(c->grid_f, c->grid_t);
    size_t kd = (size_t)c->codebook_size * (size_t)c->code_dim, nd = n_tok * (size_t)c->code_dim;
    tr->cb_off = (size_t)(tr->tok->codebook - tr->tok->flat);
    tr->cb_len = kd;
    tr->fw = (clefi_fwd){
        .pool = tr->pool, .scratch_per = tr->tok->scratch_per, .block_pos = CLEFI_TOK_BLOCK_POS};
    tr->grads = clefi_calloc(ctx, total, sizeof(float));
    tr->m = clefi_calloc(ctx, total, sizeof(float));
    tr->v = clefi_calloc(ctx, total, sizeof(float));
    tr->cluster = clefi_calloc(ctx, (size_t)c->codebook_size, sizeof(float));
    tr->counts = clefi_calloc(ctx, (size_t)c->codebook_size, sizeof(float));
    tr->embed_sum = clefi_calloc(ctx, kd, sizeof(float));
    tr->zbatch = clefi_calloc(ctx, nd * (size_t)cfg->batch, sizeof(float));
    tr->zq = clefi_calloc(ctx, nd, sizeof(float));
    tr->zt = clefi_calloc(ctx, nd, sizeof(float));
    /* conv scratch per thread, or the whole-image transposed-conv gradient if larger */
    size_t scratch = tr->tok->scratch_per * (size_t)cfg->n_threads;
    size_t convt = (size_t)c->in_ch * (size_t)c->time_stride * hw_of(c->n_freq, c->grid_t);
    tr->fw.scratch = clefi_calloc(ctx, scratch > convt ? scratch : convt, sizeof(float));
    tr->vq_scratch =
        clefi_calloc(ctx, clefi_vq_scratch(c->codebook_size, cfg->n_threads), sizeof(float));
    tr->idx = clefi_calloc(ctx, n_tok * (size_t)cfg->batch, sizeof(int32_t));
    size_t dim = (size_t)c->in_ch * (size_t)c->n_freq;
    tr->mean_m = clefi_calloc(ctx, dim, sizeof(float));
    tr->mean_hat = clefi_calloc(ctx, dim, sizeof(float));
    if (tr->mean_m == NULL || tr->mean_hat == NULL || tr->grads == NULL || tr->m == NULL ||
        tr->v == NULL || tr->cluster == NULL || tr->counts == NULL || tr->embed_sum == NULL ||
        tr->zbatch == NULL || tr->zq == NULL || tr->zt == NULL || tr->fw.scratch == NULL ||
        tr->vq_scratch == NULL || tr->idx == NULL)
        tr->rc = CLEF_ERR_NOMEM;
    else
        build_graph(tr);
    if (tr->rc == CLEF_OK && (tr->col = clefi_calloc(ctx, tr->col_len, sizeof(float))) == NULL)
        tr->rc = CLEF_ERR_NOMEM;
    if (tr->rc != CLEF_OK) {
        clef_status bad = tr->rc;
        clefi_tok_trainer_free(tr);
        return clefi_ctx_error(ctx, bad, "tokenizer trainer: %s",
                               bad == CLEF_ERR_NOMEM ? "no memory" : "bad convolution geometry");
    }
    if (cfg->disc_ndf > 0) {
        rc = clefi_tok_disc_create(&tr->disc, ctx, c->in_ch, c->n_freq, c->crop_t, cfg->disc_ndf,
                                   cfg->seed ^ 0x5EEDD15Cull);
        if (rc != CLEF_OK) {
            clefi_tok_trainer_free(tr);
            return rc;
        }
        size_t np = tr->disc->n_params, ny = tr->buf[tr->y].n;
        size_t nw = (size_t)tr->tok->d_conv_out.cin * (size_t)c->in_ch * (size_t)c->time_stride;
        tr->d_grads = clefi_calloc(ctx, np, sizeof(float));
        tr->d_junk = clefi_calloc(ctx, np, sizeof(float));
        tr->d_m = clefi_calloc(ctx, np, sizeof(float));
        tr->d_v = clefi_calloc(ctx, np, sizeof(float));
        tr->dlog = clefi_calloc(ctx, tr->disc->n_logits, sizeof(float));
        tr->dy_gan = clefi_calloc(ctx, ny, sizeof(float));
        tr->gw_rec = clefi_calloc(ctx, nw, sizeof(float));
        tr->gw_gan = clefi_calloc(ctx, nw, sizeof(float));
        if (tr->d_grads == NULL || tr->d_junk == NULL || tr->d_m == NULL || tr->d_v == NULL ||
            tr->dlog == NULL || tr->dy_gan == NULL || tr->gw_rec == NULL || tr->gw_gan == NULL) {
            clefi_tok_trainer_free(tr);
            return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "tokenizer trainer: no memory");
        }
    }
    /* EMA statistics start empty, so the first step restarts every code on batch latents */
    memcpy(tr->embed_sum, tr->tok->codebook, kd * sizeof(float));
    *out = tr;
    return CLEF_OK;
}

/* The tokenizer being trained, with its Winograd weights brought up to date: training runs on
 * im2col and never reads them, so steps only mark them stale and the refresh (about 3 ms) is
 * paid when someone takes the tokenizer to encode or decode. The trainer is used by one
 * thread at a time, and it is never a const object, so the refresh may write through tr. */
static const clef_tokenizer *tok_model(const clefi_tok_trainer *tr) {
    clefi_tok_trainer *mut = (clefi_tok_trainer *)(uintptr_t)tr;
    if (mut->wino_stale) {
        clefi_tok_wino_refresh(mut->tok);
        mut->wino_stale = 0;
    }
    return tr->tok;
}

const clef_tokenizer *clefi_tok_trainer_model(const clefi_tok_trainer *tr) { return tok_model(tr); }

static double l2(const float *x, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return sqrt(s);
}

/* Generator side of the adversarial loss for the output in buf[y]: adds the adaptively
 * weighted gradient of -mean(D(y)) to buf[y].g (which holds the L1 gradient). */
static void add_gan_grad(clefi_tok_trainer *tr, double *g_loss, double *lambda) {
    clefi_tok_disc *d = tr->disc;
    clefi_tbuf *y = &tr->buf[tr->y];
    const clefi_top *last = &tr->op[tr->n_op - 1]; /* the ConvTranspose head */
    const float *logits = clefi_tok_disc_forward(d, tr->pool, y->v);
    *g_loss = clefi_gan_loss_forward(CLEFI_GAN_HINGE, CLEFI_GAN_G, logits, (int64_t)d->n_logits);
    memset(tr->dlog, 0, d->n_logits * sizeof(float));
    clefi_gan_loss_backward(CLEFI_GAN_HINGE, CLEFI_GAN_G, tr->dlog, logits, (int64_t)d->n_logits,
                            1.0f);
    memset(tr->dy_gan, 0, y->n * sizeof(float));
    memset(tr->d_junk, 0, d->n_params * sizeof(float)); /* D's weights are not trained here */
    clefi_tok_disc_backward(d, tr->pool, tr->dlog, tr->dy_gan, tr->d_junk);
    size_t nw = (size_t)last->conv->cin * (size_t)last->conv->cout * (size_t)last->conv->kw;
    memset(tr->gw_rec, 0, nw * sizeof(float));
    memset(tr->gw_gan, 0, nw * sizeof(float));
    const float *x = tr->buf[last->in].v;
    clefi_convt_time_backward(&tr->fw, last->conv, x, last->h, last->w, y->g, NULL, tr->gw_rec,
                              NULL);
    clefi_convt_time_backward(&tr->fw, last->conv, x, last->h, last->w, tr->dy_gan, NULL,
                              tr->gw_gan, NULL);
    double lam = l2(tr->gw_rec, nw) / (l2(tr->gw_gan, nw) + 1e-4);
    lam = lam < 0.0 ? 0.0 : lam > 1e4 ? 1e4 : lam;
    *lambda = lam;
    float f = (float)(lam * tr->cfg.disc_weight);
    for (size_t i = 0; i < y->n; i++)
        y->g[i] += f * tr->dy_gan[i];
}

/* Discriminator side: hinge loss on the real image and the detached reconstruction; its
 * gradient is added to d_grads. Returns 0.5 (loss_real + loss_fake), as taming. */
static double disc_step_image(clefi_tok_trainer *tr) {
    clefi_tok_disc *d = tr->disc;
    const clefi_tbuf *bufs[2] = {&tr->buf[tr->img], &tr->buf[tr->y]};
    const clefi_gan_term term[2] = {CLEFI_GAN_D_REAL, CLEFI_GAN_D_FAKE};
    double loss = 0.0;
    for (int k = 0; k < 2; k++) {
        const float *logits = clefi_tok_disc_forward(d, tr->pool, bufs[k]->v);
        loss +=
            0.5 * clefi_gan_loss_forward(CLEFI_GAN_HINGE, term[k], logits, (int64_t)d->n_logits);
        memset(tr->dlog, 0, d->n_logits * sizeof(float));
        clefi_gan_loss_backward(CLEFI_GAN_HINGE, term[k], tr->dlog, logits, (int64_t)d->n_logits,
                                0.5f);
        clefi_tok_disc_backward(d, tr->pool, tr->dlog, NULL, tr->d_grads);
    }
    return loss;
}

static int gan_on(const clefi_tok_trainer *tr) {
    return tr->disc != NULL && tr->step >= tr->cfg.disc_start;
}

/* Reconstruction loss over the channels of tr->present, each channel's share 1/k of k present:
 * the L1 over its pixels (all channels: the plain mean), returned in *l1, plus power_weight
 * times the squared error of its rows' mean power (clefi_lme_loss_forward: each (channel,
 * frequency) row's time-mean linear power in dB / db_scale, what band-power features
 * average). The pixel L1 fits each pixel's median, so a pattern a minority of sessions hold
 * for their whole length (focal slowing in a few channels) can be left out at an error of
 * 10-15 dB that L1 weighs like noise; the squared row-mean error weighs it by its size, and
 * averaging over the crop's frames keeps the multitaper noise out of it. with_grad adds the
 * gradient, none on absent channels. Returns the weighted sum. */
static double present_loss(clefi_tok_trainer *tr, int with_grad, double *l1) {
    const clefi_tbuf *y = &tr->buf[tr->y], *x = &tr->buf[tr->img];
    const clefi_tok_cfg *cfg = &tr->tok->cfg;
    int32_t nc = cfg->in_ch, k = 0;
    for (int32_t c = 0; c < nc; c++)
        k += c >= 32 || (tr->present >> c & 1u);
    size_t plane = y->n / (size_t)nc;
    int64_t rows = cfg->n_freq, len = (int64_t)plane / rows;
    double a = cfg->db_scale * log(10.0) / 10.0, pw = tr->cfg.power_weight, power = 0.0;
    *l1 = 0.0;
    for (int32_t c = 0; c < nc; c++) {
        if (c < 32 && !(tr->present >> c & 1u))
            continue;
        size_t o = (size_t)c * plane;
        *l1 += clefi_l1_forward(y->v + o, x->v + o, (int64_t)plane) / k;
        if (with_grad)
            clefi_l1_backward(y->g + o, y->v + o, x->v + o, (int64_t)plane, 1.0f / (float)k);
        if (pw <= 0.0)
            continue;
        /* backward returns the term as well: one pass over the rows' log-mean-exps */
        double pc = with_grad
                        ? clefi_lme_loss_backward(CLEFI_LME_MSE, y->g + o, y->v + o, x->v + o, rows,
                                                  len, a, (float)(pw / (double)k))
                        : clefi_lme_loss_forward(CLEFI_LME_MSE, y->v + o, x->v + o, rows, len, a);
        power += pc / k;
    }
    tr->power_sum += power;
    return *l1 + pw * power;
}

/* Loss of one image already in buf[img]: L1 (+ weighted mean-power term) in scaled units over
 * its present channels + commitment (+ the weighted adversarial term once active); with_grad adds
 * its gradient to tr->grads. */
static double image_loss(clefi_tok_trainer *tr, int32_t *idx, int with_grad, double *l1_out) {
    forward(tr, idx);
    const clefi_tbuf *z = &tr->buf[tr->z];
    double commit = clefi_mse_forward(z->v, tr->buf[tr->zq_buf].v, (int64_t)z->n);
    if (with_grad)
        for (size_t i = 0; i < tr->n_buf; i++)
            memset(tr->buf[i].g, 0, tr->buf[i].n * sizeof(float));
    double l1, rec = present_loss(tr, with_grad, &l1);
    if (with_grad) {
        if (gan_on(tr)) {
            double g, lam;
            add_gan_grad(tr, &g, &lam);
            tr->g_loss += g;
            tr->lambda += lam;
        }
        backward(tr);
    }
    *l1_out = l1;
    return rec + tr->cfg.commitment * commit;
}

/* The network's image of a crop: the crop in [-1, 1] units, minus the coded session mean M^
 * of mean_db (NULL: the crop's mean power) when the tokenizer has session-mean tokens. The
 * losses compare the decoded image with this one, the same as comparing crop and crop + M^
 * (decode's shift to the coded mean power is left out: it is about 0 for a faithful residual,
 * and a crop is not the session it is measured over). */
static clef_status load_image(clefi_tok_trainer *tr, const float *crop_db, const float *mean_db) {
    const clefi_tok_cfg *c = &tr->tok->cfg;
    clefi_tbuf *x = &tr->buf[tr->img];
    size_t t = (size_t)c->crop_t, dim = (size_t)c->in_ch * (size_t)c->n_freq;
    if (c->n_mean > 0) {
        int32_t ids[CLEFI_TOK_MAX_MEAN];
        if (mean_db == NULL) {
            clefi_tok_mean_rows(crop_db, dim, t, t, tr->mean_m);
            mean_db = tr->mean_m;
        }
        clef_status rc = clefi_tok_mean_encode(tr->tok, tr->ctx, NULL, mean_db, c->grid_t, ids,
                                               NULL, tr->mean_hat);
        if (rc != CLEF_OK)
            return rc;
    }
    for (size_t r = 0; r < dim; r++) {
        float off = c->n_mean > 0 ? tr->mean_hat[r] : 0.0f;
        for (size_t i = r * t; i < (r + 1) * t; i++)
            x->v[i] = (crop_db[i] - off) / c->db_scale;
    }
    return CLEF_OK;
}

double clefi_tok_trainer_loss(clefi_tok_trainer *tr, const float *crop_db, int with_grad,
                              double *l1_db) {
    double l1;
    if (with_grad)
        memset(tr->grads, 0, tr->tok->lay.total * sizeof(float));
    if (load_image(tr, crop_db, NULL) != CLEF_OK)
        return NAN;
    tr->present = UINT32_MAX;
    double loss = image_loss(tr, tr->idx, with_grad, &l1);
    if (l1_db != NULL)
        *l1_db = l1 * tr->tok->cfg.db_scale;
    return loss;
}

float *clefi_tok_trainer_params(clefi_tok_trainer *tr) { return tr->tok->flat; }

void clefi_tok_trainer_gan_stats(const clefi_tok_trainer *tr, double *g_loss, double *d_loss,
                                 double *adaptive_weight) {
    *g_loss = tr->g_loss;
    *d_loss = tr->d_loss;
    *adaptive_weight = tr->lambda;
}
const float *clefi_tok_trainer_grads(const clefi_tok_trainer *tr) { return tr->grads; }

clef_status clefi_tok_trainer_step(clefi_tok_trainer *tr, const float *crops_db,
                                   const uint32_t *present, const float *means_db, int32_t n,
                                   double *l1_db, double *perplexity) {
    if (crops_db == NULL || n < 1 || n > tr->cfg.batch)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                           "tokenizer trainer: %d crops "
                           "(batch holds 1 to %d)",
                           (int)n, (int)tr->cfg.batch);
    clefi_err_clear(&tr->err);
    const clefi_tok_cfg *c = &tr->tok->cfg;
    clef_tokenizer *tok = tr->tok;
    size_t img = tr->buf[tr->img].n, n_tok = hw_of(c->grid_f, c->grid_t);
    size_t nd = n_tok * (size_t)c->code_dim, total = tok->lay.total;
    memset(tr->grads, 0, total * sizeof(float));
    int gan = gan_on(tr);
    tr->g_loss = tr->d_loss = tr->lambda = tr->power_sum = 0.0;
    if (gan)
        memset(tr->d_grads, 0, tr->disc->n_params * sizeof(float));
    double l1_sum = 0.0;
    for (int32_t b = 0; b < n; b++) {
        double l1;
        clef_status rc = load_image(
            tr, crops_db + (size_t)b * img,
            means_db != NULL ? means_db + (size_t)b * (size_t)c->in_ch * (size_t)c->n_freq : NULL);
        if (rc != CLEF_OK) /* the step is abandoned before any weight changed */
            return clefi_error(tr->ctx, &tr->err, rc, "tokenizer trainer: %s",
                               clef_ctx_errmsg(tr->ctx));
        tr->present = present != NULL ? present[b] : UINT32_MAX;
        image_loss(tr, tr->idx + (size_t)b * n_tok, 1, &l1);
        l1_sum += l1;
        if (gan)
            tr->d_loss += disc_step_image(tr);
        /* batch latents as (N, D) rows for the EMA update */
        const float *z = tr->buf[tr->z].v;
        for (size_t d = 0; d < (size_t)c->code_dim; d++)
            for (size_t p = 0; p < n_tok; p++)
                tr->zbatch[(size_t)b * nd + p * (size_t)c->code_dim + d] = z[d * n_tok + p];
    }
    tr->step++;
    clefi_scale(tr->pool, tr->grads, (int64_t)total, 1.0f / (float)n);
    clefi_grad_clip(tr->pool, tr->grads, (int64_t)total, tr->cfg.grad_clip);
    /* the schedule is a function of the step alone, so a resumed run follows it exactly */
    double lr =
        clefi_lr_at(tr->cfg.cosine_steps > 0 ? CLEFI_SCHED_COSINE : CLEFI_SCHED_CONSTANT,
                    tr->step - 1, tr->cfg.warmup, tr->cfg.cosine_steps, tr->cfg.lr, tr->cfg.lr_min);
    clefi_adamw h = {.lr = (float)lr,
                     .beta1 = 0.9f,
                     .beta2 = 0.95f,
                     .eps = 1e-8f,
                     .weight_decay = tr->cfg.weight_decay};
    /* AdamW on every weight but the codebook, which follows the EMA of its assignments */
    clefi_adamw_step(tr->pool, &h, tok->flat, tr->grads, tr->m, tr->v, (int64_t)tr->cb_off,
                     tr->step);
    size_t rest = tr->cb_off + tr->cb_len;
    clefi_adamw_step(tr->pool, &h, tok->flat + rest, tr->grads + rest, tr->m + rest, tr->v + rest,
                     (int64_t)(total - rest), tr->step);
    if (gan) {
        size_t np = tr->disc->n_params;
        clefi_scale(tr->pool, tr->d_grads, (int64_t)np, 1.0f / (float)n);
        clefi_grad_clip(tr->pool, tr->d_grads, (int64_t)np, tr->cfg.grad_clip);
        clefi_adamw_step(tr->pool, &h, tr->disc->params, tr->d_grads, tr->d_m, tr->d_v, (int64_t)np,
                         tr->step - tr->cfg.disc_start);
        tr->g_loss /= n;
        tr->d_loss /= n;
        tr->lambda /= n;
    }
    int64_t n_all = (int64_t)n_tok * n;
    float *cb = tok->flat + tr->cb_off;
    clefi_vq_ema_update(tr->pool, cb, tr->cluster, tr->embed_sum, tr->zbatch, tr->idx, n_all,
                        c->codebook_size, c->code_dim, tr->cfg.ema_decay, 1e-5f, tr->counts);
    clefi_vq_restart_dead(cb, tr->cluster, tr->embed_sum, tr->zbatch, n_all, c->codebook_size,
                          c->code_dim, tr->cfg.dead_threshold, tr->cfg.seed,
                          (uint64_t)tr->step * (uint64_t)c->codebook_size);
    tr->wino_stale = 1; /* refreshed when the tokenizer is taken (tok_model) */
    tr->power_last = tr->power_sum / n;
    if (l1_db != NULL)
        *l1_db = l1_sum / n * c->db_scale;
    if (perplexity != NULL)
        *perplexity = clefi_vq_perplexity(tr->idx, n_all, c->codebook_size, tr->counts);
    return CLEF_OK;
}

/* ---- public API ---- */

clef_status clefi_tok_train_cfg_from_params(clef_ctx *ctx, const clef_params *train,
                                            int32_t n_threads, clefi_tok_train_cfg *cfg) {
    clef_params *def = NULL;
    if (train == NULL) {
        clef_status rc = clef_params_create(&def, ctx, CLEF_PARAMS_TRAIN);
        if (rc != CLEF_OK)
            return rc;
        train = def;
    }
    clef_status rc = CLEF_OK;
    if (clef_params_kind(train) != CLEF_PARAMS_TRAIN)
        rc = clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                             "tokenizer trainer: train params kind %d "
                             "is not CLEF_PARAMS_TRAIN",
                             (int)clef_params_kind(train));
    else
        *cfg = (clefi_tok_train_cfg){
            .batch = (int32_t)clefi_params_i64(train, CLEF_P_TOK_TRAIN_BATCH),
            .n_threads = n_threads,
            .seed = (uint64_t)clefi_params_i64(train, CLEF_P_TOK_TRAIN_SEED),
            .lr = (float)clefi_params_f64(train, CLEF_P_TOK_TRAIN_LR),
            .weight_decay = (float)clefi_params_f64(train, CLEF_P_TOK_TRAIN_WEIGHT_DECAY),
            .grad_clip = (float)clefi_params_f64(train, CLEF_P_TOK_TRAIN_GRAD_CLIP),
            .commitment = (float)clefi_params_f64(train, CLEF_P_TOK_TRAIN_COMMITMENT),
            .ema_decay = (float)clefi_params_f64(train, CLEF_P_TOK_TRAIN_EMA_DECAY),
            .dead_threshold = (float)clefi_params_f64(train, CLEF_P_TOK_TRAIN_DEAD_THRESHOLD),
            .disc_ndf = (int32_t)clefi_params_i64(train, CLEF_P_TOK_TRAIN_DISC_NDF),
            .disc_start = clefi_params_i64(train, CLEF_P_TOK_TRAIN_DISC_START),
            .disc_weight = (float)clefi_params_f64(train, CLEF_P_TOK_TRAIN_DISC_WEIGHT),
            .warmup = clefi_params_i64(train, CLEF_P_TOK_TRAIN_WARMUP),
            .cosine_steps = clefi_params_i64(train, CLEF_P_TOK_TRAIN_COSINE_STEPS),
            .lr_min = (float)clefi_params_f64(train, CLEF_P_TOK_TRAIN_LR_MIN),
            .power_weight = clefi_params_f64(train, CLEF_P_TOK_TRAIN_POWER_WEIGHT),
            .steps = clefi_params_i64(train, CLEF_P_TOK_TRAIN_STEPS),
            .checkpoint_every = clefi_params_i64(train, CLEF_P_TOK_TRAIN_CHECKPOINT_EVERY),
            .max_sessions = clefi_params_i64(train, CLEF_P_TOK_TRAIN_MAX_SESSIONS),
            .channel_dropout = clefi_params_f64(train, CLEF_P_TOK_TRAIN_CHANNEL_DROPOUT),
            .channel_lone = clefi_params_f64(train, CLEF_P_TOK_TRAIN_CHANNEL_LONE),
            .mean_tokens = (int32_t)clefi_params_i64(train, CLEF_P_TOK_TRAIN_MEAN_TOKENS),
            .mean_levels = (int32_t)clefi_params_i64(train, CLEF_P_TOK_TRAIN_MEAN_LEVELS),
        };
    clef_params_free(def);
    if (rc == CLEF_OK && (n_threads < 1 || n_threads > 1024))
        rc = clefi_ctx_error(ctx, CLEF_ERR_RANGE,
                             "tokenizer trainer: n_threads %d is not in "
                             "[1, 1024]",
                             (int)n_threads);
    return rc;
}

clef_status clef_tokenizer_trainer_create(clef_tokenizer_trainer **out, clef_ctx *ctx,
                                          const clef_params *arch, const clef_params *train,
                                          int32_t n_threads) {
    clefi_reset(ctx);
    if (out == NULL || ctx == NULL)
        return ctx != NULL ? clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "trainer: out is NULL")
                           : CLEF_ERR_INVALID_ARG;
    *out = NULL;
    clefi_tok_train_cfg cfg;
    clefi_tok_cfg acfg;
    clef_status rc = clefi_tok_train_cfg_from_params(ctx, train, n_threads, &cfg);
    if (rc == CLEF_OK)
        rc = clefi_tok_cfg_from_params(ctx, arch, &acfg);
    if (rc == CLEF_OK)
        rc = clefi_tok_trainer_create(out, ctx, &acfg, &cfg);
    return rc;
}

void clef_tokenizer_trainer_free(clef_tokenizer_trainer *tr) { clefi_tok_trainer_free(tr); }

const char *clef_tokenizer_trainer_errmsg(const clef_tokenizer_trainer *tr) {
    return tr != NULL ? tr->err.msg : "";
}

clef_status clef_tokenizer_trainer_errcode(const clef_tokenizer_trainer *tr) {
    return tr != NULL ? tr->err.code : CLEF_ERR_INVALID_ARG;
}

clef_status clef_tokenizer_trainer_step(clef_tokenizer_trainer *tr, const float *crops,
                                        const uint32_t *present, const float *means,
                                        int64_t n_crops, double *l1_db, double *perplexity) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (n_crops < 1 || n_crops > tr->cfg.batch)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                           "tokenizer trainer: %lld "
                           "crops (batch holds 1 to %d)",
                           (long long)n_crops, (int)tr->cfg.batch);
    int32_t nc = tr->tok->cfg.in_ch;
    if (present != NULL && nc > 32)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_UNSUPPORTED,
                           "tokenizer trainer: channel masks hold 32 channels, the "
                           "tokenizer has %d",
                           (int)nc);
    uint32_t all = nc == 32 ? UINT32_MAX : (1u << nc) - 1u;
    for (int64_t b = 0; present != NULL && b < n_crops; b++)
        if ((present[b] & all) == 0)
            return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                               "tokenizer trainer: crop %lld has no present channel", (long long)b);
    size_t nm = (size_t)n_crops * (size_t)nc * (size_t)tr->tok->cfg.n_freq;
    for (size_t i = 0; means != NULL && i < nm; i++)
        if (!isfinite(means[i]))
            return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                               "tokenizer trainer: session mean %zu is not finite", i);
    return clefi_tok_trainer_step(tr, crops, present, means, (int32_t)n_crops, l1_db, perplexity);
}

clef_status clef_tokenizer_trainer_fit_mean(clef_tokenizer_trainer *tr, const float *means,
                                            int64_t n_sessions, int64_t n_tokens,
                                            int64_t n_levels) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    const clefi_tok_cfg *c = &tr->tok->cfg;
    int64_t dim = (int64_t)c->in_ch * c->n_freq;
    int64_t min_levels = CLEFI_TOK_SESSION_FRAMES / c->time_stride + 1; /* any session's columns */
    if (means == NULL)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG, "fit_mean: means is NULL");
    if (n_levels < min_levels || n_levels > 65536 - c->codebook_size)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_RANGE,
                           "fit_mean: %lld levels is not in [%lld, %d] (one token counts up to "
                           "%lld columns; ids are 16-bit, after the %d codes)",
                           (long long)n_levels, (long long)min_levels, 65536 - c->codebook_size,
                           (long long)(min_levels - 1), c->codebook_size);
    /* coefficient tokens (at least one component each), presence tokens, the column count */
    int64_t extra = 1 + clefi_tok_mean_presence(c->in_ch, (int32_t)n_levels);
    int64_t cap = n_sessions < dim ? n_sessions + extra - 1 : dim + extra;
    cap = cap < CLEFI_TOK_MAX_MEAN ? cap : CLEFI_TOK_MAX_MEAN;
    if (n_tokens < extra + 1 || n_tokens > cap)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_RANGE,
                           "fit_mean: %lld session-mean tokens from %lld sessions: needs %lld to "
                           "%lld (%lld for presence and length, then at most one coefficient "
                           "token per session - 1 and per channel x bin; at most 1024)",
                           (long long)n_tokens, (long long)n_sessions, (long long)(extra + 1),
                           (long long)cap, (long long)extra);
    for (int64_t i = 0; i < n_sessions * dim; i++)
        if (!isfinite(means[i]))
            return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                               "fit_mean: session %lld has a non-finite mean at %lld",
                               (long long)(i / dim), (long long)(i % dim));
    clefi_err_clear(&tr->err);
    return clefi_tok_mean_fit(tr->tok, tr->ctx, &tr->err, means, n_sessions, (int32_t)n_tokens,
                              (int32_t)n_levels);
}

const clef_tokenizer *clef_tokenizer_trainer_tokenizer(const clef_tokenizer_trainer *tr) {
    return tr != NULL ? tok_model(tr) : NULL;
}

double clef_tokenizer_trainer_power_db(const clef_tokenizer_trainer *tr) {
    return tr != NULL ? sqrt(tr->power_last) * tr->tok->cfg.db_scale : 0.0;
}

int64_t clef_tokenizer_trainer_steps(const clef_tokenizer_trainer *tr) {
    return tr != NULL ? tr->step : 0;
}
