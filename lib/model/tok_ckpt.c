/* tok_ckpt.c — tokenizer trainer checkpoints in lib/nn's checkpoint format (safetensors with
 * clef.kind = checkpoint): the tokenizer weights under their model names, the EMA codebook
 * statistics, the discriminator, AdamW moments of all three, the step and the seed.
 * SPDX-License-Identifier: BSD-3-Clause */
#include "model_int.h"

#include <stdio.h>
#include <string.h>

#define KEY_DISC_NDF "clef.tok.train.disc_ndf"
#define SEED_BYTES   8

/* The trainer's state as one layout: tokenizer, its session-mean coder, EMA statistics,
 * discriminator. */
static clef_status ckpt_layout(const clefi_tok_trainer *tr, clefi_layout *lay) {
    const clef_tokenizer *tok = tr->tok;
    const clefi_tok_cfg *c = &tok->cfg;
    clef_status rc = CLEF_OK;
    for (size_t i = 0; rc == CLEF_OK && i < tok->lay.n; i++)
        rc = clefi_layout_add(lay, tok->lay.t[i].name, tok->lay.t[i].rank, tok->lay.t[i].shape);
    for (size_t i = 0; rc == CLEF_OK && i < tok->mean.lay.n; i++)
        rc = clefi_layout_add(lay, tok->mean.lay.t[i].name, tok->mean.lay.t[i].rank,
                              tok->mean.lay.t[i].shape);
    if (rc == CLEF_OK)
        rc =
            clefi_layout_add(lay, "train.ema.cluster_size", 1, (const int64_t[]){c->codebook_size});
    if (rc == CLEF_OK)
        rc = clefi_layout_add(lay, "train.ema.embed_sum", 2,
                              (const int64_t[]){c->codebook_size, c->code_dim});
    for (int l = 0; rc == CLEF_OK && tr->disc != NULL && l < CLEFI_DISC_LAYERS; l++) {
        const clefi_conv2d *g = &tr->disc->geo[l];
        char name[48];
        snprintf(name, sizeof name, "disc.layers.%d.weight", l);
        rc = clefi_layout_add(lay, name, 4, (const int64_t[]){g->OC, g->C, g->KH, g->KW});
        snprintf(name, sizeof name, "disc.layers.%d.bias", l);
        if (rc == CLEF_OK)
            rc = clefi_layout_add(lay, name, 1, (const int64_t[]){g->OC});
    }
    return rc;
}

/* The pieces of one flat checkpoint buffer: which = 0 params, 1 AdamW m, 2 AdamW v. The
 * session-mean coder (fitted, not trained) and the EMA statistics have no moments (zeros). */
typedef struct piece {
    float *p;
    size_t n;
} piece;

static size_t pieces(clefi_tok_trainer *tr, int which, piece out[5]) {
    size_t k = tr->tok->lay.total, cb = (size_t)tr->tok->cfg.codebook_size;
    size_t kd = cb * (size_t)tr->tok->cfg.code_dim, np = tr->disc ? tr->disc->n_params : 0;
    float *tok[3] = {tr->tok->flat, tr->m, tr->v};
    float *disc[3] = {tr->disc ? tr->disc->params : NULL, tr->d_m, tr->d_v};
    out[0] = (piece){tok[which], k};
    out[1] = (piece){which == 0 ? tr->tok->mean.buf : NULL, tr->tok->mean.lay.total};
    out[2] = (piece){which == 0 ? tr->cluster : NULL, cb};
    out[3] = (piece){which == 0 ? tr->embed_sum : NULL, kd};
    out[4] = (piece){disc[which], np};
    return 5;
}

static void gather(clefi_tok_trainer *tr, int which, float *dst) {
    piece pc[5];
    size_t n = pieces(tr, which, pc), off = 0;
    for (size_t i = 0; i < n; i++) {
        if (pc[i].p != NULL)
            memcpy(dst + off, pc[i].p, pc[i].n * sizeof(float));
        else
            memset(dst + off, 0, pc[i].n * sizeof(float));
        off += pc[i].n;
    }
}

static void scatter(clefi_tok_trainer *tr, int which, const float *src) {
    piece pc[5];
    size_t n = pieces(tr, which, pc), off = 0;
    for (size_t i = 0; i < n; i++) {
        if (pc[i].p != NULL)
            memcpy(pc[i].p, src + off, pc[i].n * sizeof(float));
        off += pc[i].n;
    }
}

/* Layout plus three flat buffers of its size. */
typedef struct ckpt_bufs {
    clefi_layout lay;
    float *buf;
    clefi_ckpt ck;
    unsigned char seed[SEED_BYTES];
} ckpt_bufs;

static clef_status bufs_open(ckpt_bufs *b, clefi_tok_trainer *tr) {
    clefi_layout_init(&b->lay, tr->ctx);
    b->buf = NULL;
    clef_status rc = ckpt_layout(tr, &b->lay);
    if (rc == CLEF_OK && (b->buf = clefi_calloc(tr->ctx, 3 * b->lay.total, sizeof(float))) == NULL)
        rc = CLEF_ERR_NOMEM;
    b->ck = (clefi_ckpt){.params = b->buf,
                         .adam_m = b->buf ? b->buf + b->lay.total : NULL,
                         .adam_v = b->buf ? b->buf + 2 * b->lay.total : NULL,
                         .rng = b->seed,
                         .rng_len = SEED_BYTES,
                         .world_size = 1};
    return rc;
}

static void bufs_close(ckpt_bufs *b, clef_ctx *ctx) {
    clefi_free(ctx, b->buf);
    clefi_layout_free(&b->lay);
}

clef_status clef_tokenizer_trainer_save(clef_tokenizer_trainer *tr, const char *path) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (path == NULL)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG, "trainer_save: path is NULL");
    ckpt_bufs b;
    clef_status rc = bufs_open(&b, tr);
    if (rc != CLEF_OK) {
        bufs_close(&b, tr->ctx);
        return clefi_error(tr->ctx, &tr->err, rc, "trainer_save: no memory");
    }
    for (int which = 0; which < 3; which++)
        gather(tr, which, b.buf + (size_t)which * b.lay.total);
    for (int i = 0; i < SEED_BYTES; i++)
        b.seed[i] = (unsigned char)(tr->cfg.seed >> (8 * i));
    b.ck.step = tr->step;
    b.ck.data_cursor = tr->step;
    clefi_tok_meta meta;
    clefi_tok_meta_fill(&tr->tok->cfg, &meta);
    char ndf[16];
    snprintf(ndf, sizeof ndf, "%d", (int)(tr->disc ? tr->cfg.disc_ndf : 0));
    meta.kv[2 * meta.n] = KEY_DISC_NDF;
    meta.kv[2 * meta.n + 1] = ndf;
    rc = clefi_ckpt_save(tr->ctx, path, &b.lay, &b.ck, meta.kv, meta.n + 1, &tr->err);
    bufs_close(&b, tr->ctx);
    return rc;
}

clef_status clef_tokenizer_trainer_resume(clef_tokenizer_trainer **out, clef_ctx *ctx,
                                          const char *path, const clef_params *train,
                                          int32_t n_threads) {
    clefi_reset(ctx);
    if (out == NULL || ctx == NULL || path == NULL)
        return ctx != NULL ? clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                                             "trainer_resume: NULL "
                                             "argument")
                           : CLEF_ERR_INVALID_ARG;
    *out = NULL;
    clefi_tok_train_cfg cfg;
    clefi_tok_cfg arch;
    clef_weights *w = NULL;
    int64_t ndf = 0;
    clef_status rc = clefi_tok_train_cfg_from_params(ctx, train, n_threads, &cfg);
    if (rc == CLEF_OK)
        rc = clef_weights_open(&w, ctx, path);
    if (rc == CLEF_OK)
        rc = clefi_tok_cfg_from_weights(ctx, w, path, &arch);
    if (rc == CLEF_OK)
        rc = clefi_weights_meta_i64(w, KEY_DISC_NDF, &ndf, &ctx->err);
    if (rc == CLEF_OK && (ndf < 0 || ndf > 1024))
        rc = clefi_ctx_error(ctx, CLEF_ERR_FORMAT, "trainer_resume '%s': %s = %lld", path,
                             KEY_DISC_NDF, (long long)ndf);
    clefi_tok_trainer *tr = NULL;
    cfg.disc_ndf = (int32_t)ndf; /* the checkpoint decides whether there is a discriminator */
    if (rc == CLEF_OK)
        rc = clefi_tok_trainer_create(&tr, ctx, &arch, &cfg);
    ckpt_bufs b = {0};
    if (rc == CLEF_OK && (rc = bufs_open(&b, tr)) != CLEF_OK)
        rc = clefi_ctx_error(ctx, rc, "trainer_resume: no memory");
    if (rc == CLEF_OK)
        rc = clefi_ckpt_load(w, &b.lay, &b.ck, 1, &ctx->err);
    if (rc == CLEF_OK) {
        for (int which = 0; which < 3; which++)
            scatter(tr, which, b.buf + (size_t)which * b.lay.total);
        tr->wino_stale = 1;
        tr->step = b.ck.step;
        tr->cfg.seed = 0;
        for (int i = 0; i < SEED_BYTES; i++)
            tr->cfg.seed |= (uint64_t)b.seed[i] << (8 * i);
    }
    if (tr != NULL)
        bufs_close(&b, ctx);
    clef_weights_free(w);
    if (rc != CLEF_OK) {
        clefi_tok_trainer_free(tr);
        return rc;
    }
    *out = tr;
    return CLEF_OK;
}
