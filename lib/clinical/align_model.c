/* align_model.c — the clinical aligner's layout, initialisation and towers, forward and backward
 * (docs/aligner.md "Architecture"). SPDX-License-Identifier: BSD-3-Clause */
#include "align_int.h"
#include "clef.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- layout ---- */

static clef_status add(clefi_layout *lay, const char *name, int32_t rank, int64_t a, int64_t b) {
    return clefi_layout_add(lay, name, rank, (const int64_t[]){a, b});
}

static clef_status tower_layout(clefi_layout *lay, const clefi_al_cfg *c, const char *tw) {
    char name[96];
    clef_status rc;
    if (strcmp(tw, "text") == 0) {
        rc = add(lay, "text.in.weight", 2, c->width, c->text_dim);
        if (rc == CLEF_OK)
            rc = add(lay, "text.in.bias", 1, c->width, 0);
    } else {
        rc = add(lay, "ehr.embed.weight", 2, c->vocab, c->width);
    }
    for (int32_t l = 0; l < c->n_layers && rc == CLEF_OK; l++) {
        snprintf(name, sizeof name, "%s.blocks.%d.", tw, (int)l);
        rc = clefi_block_layout(lay, name, c->width, c->d_ff);
    }
#define T_(suffix, rank, a, b)                                                                     \
    if (rc == CLEF_OK) {                                                                           \
        snprintf(name, sizeof name, "%s.%s", tw, suffix);                                          \
        rc = add(lay, name, rank, a, b);                                                           \
    }
    T_("ln.weight", 1, c->width, 0)
    T_("ln.bias", 1, c->width, 0)
    T_("proj.weight", 2, c->dim, c->width)
    T_("proj.bias", 1, c->dim, 0)
#undef T_
    return rc;
}

static clef_status al_layout(clefi_layout *lay, const clefi_al_cfg *c) {
    clef_status rc = add(lay, "eeg.fc1.weight", 2, c->eeg_hidden, c->in_dim);
    if (rc == CLEF_OK)
        rc = add(lay, "eeg.fc1.bias", 1, c->eeg_hidden, 0);
    if (rc == CLEF_OK)
        rc = add(lay, "eeg.fc2.weight", 2, c->dim, c->eeg_hidden);
    if (rc == CLEF_OK)
        rc = add(lay, "eeg.fc2.bias", 1, c->dim, 0);
    if (rc == CLEF_OK)
        rc = tower_layout(lay, c, "text");
    if (rc == CLEF_OK)
        rc = tower_layout(lay, c, "ehr");
    if (rc == CLEF_OK)
        rc = add(lay, "logit_scale", 1, 1, 0);
    /* not trained: keep last (clef_aligner.trained) */
    if (rc == CLEF_OK)
        rc = add(lay, "eeg.input_mean", 1, c->in_dim, 0);
    if (rc == CLEF_OK)
        rc = add(lay, "eeg.input_std", 1, c->in_dim, 0);
    return rc;
}

static float *at(const clef_aligner *al, float *base, const char *name) {
    int64_t i = clefi_layout_find(&al->lay, name);
    return i < 0 ? NULL : base + al->lay.t[i].offset;
}

static void bind_tower(clef_aligner *al, clefi_al_tower *t, float *base, const char *tw) {
    char name[96];
    int text = strcmp(tw, "text") == 0;
    t->in_w = at(al, base, text ? "text.in.weight" : "ehr.embed.weight");
    t->in_b = text ? at(al, base, "text.in.bias") : NULL;
    for (int32_t l = 0; l < al->cfg.n_layers; l++) {
        snprintf(name, sizeof name, "%s.blocks.%d.ln1.weight", tw, (int)l);
        clefi_block_params_at(&t->blk[l], base, &al->lay,
                              (size_t)clefi_layout_find(&al->lay, name));
    }
#define B_(field, suffix)                                                                          \
    snprintf(name, sizeof name, "%s.%s", tw, suffix);                                              \
    t->field = at(al, base, name);
    B_(ln_w, "ln.weight")
    B_(ln_b, "ln.bias")
    B_(proj_w, "proj.weight")
    B_(proj_b, "proj.bias")
#undef B_
}

void clefi_al_bind(clef_aligner *al, float *base) {
    al->eeg_w1 = at(al, base, "eeg.fc1.weight");
    al->eeg_b1 = at(al, base, "eeg.fc1.bias");
    al->eeg_w2 = at(al, base, "eeg.fc2.weight");
    al->eeg_b2 = at(al, base, "eeg.fc2.bias");
    bind_tower(al, &al->text, base, "text");
    bind_tower(al, &al->ehr, base, "ehr");
    al->log_scale = at(al, base, "logit_scale");
    al->eeg_mu = at(al, base, "eeg.input_mean");
    al->eeg_sd = at(al, base, "eeg.input_std");
}

static clef_status check_cfg(clef_ctx *ctx, const clefi_al_cfg *c) {
    if (c->in_dim < 1 || c->dim < 1 || c->width < 1 || c->n_layers < 0 ||
        c->n_layers > CLEFI_AL_MAX_LAYERS || c->n_heads < 1 || c->width % c->n_heads != 0 ||
        c->d_ff < 1 || c->eeg_hidden < 1 || c->text_dim < 1 || c->max_text < 2 || c->max_icd < 0 ||
        c->max_atc < 0 || c->vocab < 1)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                               "aligner: bad architecture (input %d, dim %d, width %d, %d layers, "
                               "%d heads, MLP %d, EEG hidden %d, text %d, vocabulary %d)",
                               (int)c->in_dim, (int)c->dim, (int)c->width, (int)c->n_layers,
                               (int)c->n_heads, (int)c->d_ff, (int)c->eeg_hidden, (int)c->text_dim,
                               (int)c->vocab);
    return CLEF_OK;
}

clef_status clefi_al_alloc(clef_aligner **out, clef_ctx *ctx, const clefi_al_cfg *cfg) {
    *out = NULL;
    clef_status rc = check_cfg(ctx, cfg);
    if (rc != CLEF_OK)
        return rc;
    clef_aligner *al = clefi_calloc(ctx, 1, sizeof *al);
    if (al == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "aligner: out of memory");
    al->ctx = clefi_ctx_retain(ctx);
    al->cfg = *cfg;
    clefi_layout_init(&al->lay, ctx);
    rc = al_layout(&al->lay, cfg);
    if (rc == CLEF_OK && (al->flat = clefi_calloc(ctx, al->lay.total, sizeof *al->flat)) == NULL)
        rc = clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "aligner: cannot allocate %zu weights",
                             al->lay.total);
    if (rc == CLEF_OK &&
        (al->vocab = clefi_calloc(ctx, (size_t)cfg->vocab, sizeof *al->vocab)) == NULL)
        rc = clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "aligner: out of memory");
    if (rc != CLEF_OK) {
        clef_aligner_free(al);
        return rc;
    }
    clefi_al_bind(al, al->flat);
    al->trained = (size_t)(al->eeg_mu - al->flat);
    *out = al;
    return CLEF_OK;
}

void clef_aligner_free(clef_aligner *al) {
    if (al == NULL)
        return;
    clef_ctx *ctx = al->ctx;
    if (al->vocab != NULL)
        for (int32_t i = 0; i < al->cfg.vocab; i++)
            clefi_free(ctx, al->vocab[i]);
    clefi_free(ctx, al->vocab);
    clefi_free(ctx, al->flat);
    clefi_layout_free(&al->lay);
    clefi_free(ctx, al);
    clefi_ctx_release(ctx);
}

void clefi_al_init(clef_aligner *al, uint64_t seed, double temperature) {
    for (size_t i = 0; i < al->lay.n; i++) {
        const clefi_layout_entry *e = &al->lay.t[i];
        float *p = al->flat + e->offset;
        const char *dot = strrchr(e->name, '.');
        int is_ln = strstr(e->name, "ln") != NULL && dot != NULL && strcmp(dot, ".weight") == 0;
        for (size_t k = 0; k < e->numel; k++) {
            if (is_ln)
                p[k] = 1.f;
            else if (e->rank == 2)
                p[k] = 0.02f * clefi_rng_normal(seed, (uint64_t)e->offset + k);
            else
                p[k] = 0.f;
        }
    }
    *al->log_scale = (float)log(1.0 / temperature);
    for (int32_t k = 0; k < al->cfg.in_dim; k++)
        al->eeg_sd[k] = 1.f;
}

/* ---- EEG tower ---- */

void clefi_al_eeg_forward(const clef_aligner *al, clefi_pool *pool, clefi_al_eeg_work *w,
                          const float *emb, int64_t B) {
    const clefi_al_cfg *c = &al->cfg;
    for (int64_t b = 0; b < B; b++)
        for (int32_t k = 0; k < c->in_dim; k++)
            w->xs[b * c->in_dim + k] = (emb[b * c->in_dim + k] - al->eeg_mu[k]) / al->eeg_sd[k];
    clefi_linear_forward(pool, w->h, w->xs, al->eeg_w1, al->eeg_b1, B, c->in_dim, c->eeg_hidden);
    clefi_act_forward(pool, CLEFI_ACT_GELU_ERF, 0.f, w->a, w->h, B * c->eeg_hidden);
    clefi_linear_forward(pool, w->o, w->a, al->eeg_w2, al->eeg_b2, B, c->eeg_hidden, c->dim);
    clefi_l2norm_forward(w->z, w->norm, w->o, B, c->dim, CLEFI_AL_NORM_EPS);
}

void clefi_al_eeg_backward(const clef_aligner *al, const clef_aligner *g, clefi_pool *pool,
                           clefi_al_eeg_work *w, float *dz, float *demb, int64_t B) {
    const clefi_al_cfg *c = &al->cfg;
    /* do, da and dh reuse o, a's gradient scratch: o is not needed after the norm backward */
    float *dout = w->o;
    memset(dout, 0, (size_t)(B * c->dim) * sizeof *dout);
    clefi_l2norm_backward(dout, dz, w->z, w->norm, B, c->dim, CLEFI_AL_NORM_EPS);
    float *da = dz; /* dz is dead now; reuse needs B*hidden floats: the caller sized it so */
    memset(da, 0, (size_t)(B * c->eeg_hidden) * sizeof *da);
    clefi_linear_backward(pool, da, g->eeg_w2, g->eeg_b2, dout, w->a, al->eeg_w2, B, c->eeg_hidden,
                          c->dim);
    float *dh = w->a; /* a is dead after the fc2 weight gradient */
    memset(dh, 0, (size_t)(B * c->eeg_hidden) * sizeof *dh);
    clefi_act_backward(pool, CLEFI_ACT_GELU_ERF, 0.f, dh, w->h, da, B * c->eeg_hidden);
    if (demb != NULL)
        memset(demb, 0, (size_t)(B * c->in_dim) * sizeof *demb);
    clefi_linear_backward(pool, demb, g->eeg_w1, g->eeg_b1, dh, w->xs, al->eeg_w1, B, c->in_dim,
                          c->eeg_hidden);
    for (int64_t b = 0; demb != NULL && b < B; b++) /* through the standardization */
        for (int32_t k = 0; k < c->in_dim; k++)
            demb[b * c->in_dim + k] /= al->eeg_sd[k];
}

/* ---- token towers ---- */

static size_t al16(size_t n) { return (n + 15) & ~(size_t)15; }

void clefi_al_work_free(clefi_al_work *w) {
    if (w->ctx != NULL)
        clefi_free_aligned(w->ctx, w->buf);
    memset(w, 0, sizeof *w);
}

clef_status clefi_al_work_prepare(clefi_al_work *w, clef_ctx *ctx, const clefi_al_cfg *c, int64_t B,
                                  int64_t T, int32_t n_threads, int backward) {
    clefi_block_dims d = {.B = B,
                          .T = T,
                          .C = c->width,
                          .NH = c->n_heads,
                          .F = c->d_ff,
                          .eps = CLEFI_AL_LN_EPS,
                          .act = CLEFI_ACT_GELU_ERF};
    size_t BT = (size_t)(B * T), W = (size_t)c->width, D = (size_t)c->dim;
    size_t per = clefi_block_acts_floats(&d, n_threads, backward);
    if (per == SIZE_MAX || (size_t)c->n_layers > SIZE_MAX / 2 / (per + 1))
        return clefi_ctx_error(ctx, CLEF_ERR_OVERFLOW, "aligner: batch of %lld x %lld too large",
                               (long long)B, (long long)T);
    size_t sizes[12] = {BT * W,    BT * W,        BT,     BT,     (size_t)B * W, (size_t)B * D,
                        (size_t)B, (size_t)B * D, BT * W, BT * W, (size_t)B * W, (size_t)B * D};
    size_t total = (size_t)c->n_layers * al16(per) + al16(BT);
    for (int i = 0; i < 12; i++)
        total += al16(sizes[i]);
    if (total > w->cap || w->ctx == NULL) {
        clefi_al_work_free(w);
        w->buf = clefi_malloc_aligned(ctx, total * sizeof(float));
        if (w->buf == NULL)
            return clefi_ctx_error(ctx, CLEF_ERR_NOMEM,
                                   "aligner: cannot allocate %zu floats of "
                                   "activations",
                                   total);
        w->ctx = ctx;
        w->cap = total;
    }
    w->B = B;
    w->T = T;
    w->backward = backward;
    w->n_threads = n_threads;
    w->dims = d;
    float *p = w->buf;
    for (int32_t l = 0; l < c->n_layers; l++) {
        clefi_block_acts_at(&w->acts[l], p, &d, n_threads, backward);
        p += al16(per);
    }
    float **slots[12] = {&w->x0,   &w->lnf, &w->lnf_mean, &w->lnf_rstd, &w->pooled,  &w->proj,
                         &w->norm, &w->z,   &w->dx,       &w->dlnf,     &w->dpooled, &w->dproj};
    for (int i = 0; i < 12; i++) {
        *slots[i] = p;
        p += al16(sizes[i]);
    }
    w->pad = (uint8_t *)p;
    return CLEF_OK;
}

clef_status clefi_al_tower_forward(const clef_aligner *al, const clefi_al_tower *t,
                                   clefi_pool *pool, clefi_al_work *w, const clefi_al_seq *seq) {
    const clefi_al_cfg *c = &al->cfg;
    const int64_t B = seq->B, T = seq->T, W = c->width, BT = B * T;
    for (int64_t b = 0; b < B; b++)
        for (int64_t k = 0; k < T; k++)
            w->pad[b * T + k] = k >= seq->len[b];
    if (seq->ids != NULL) {
        clef_status rc = clefi_embedding_forward(w->x0, seq->ids, t->in_w, BT, W, c->vocab);
        if (rc != CLEF_OK)
            return rc;
    } else {
        clefi_linear_forward(pool, w->x0, seq->x, t->in_w, t->in_b, BT, c->text_dim, W);
    }
    const float *y = w->x0;
    for (int32_t l = 0; l < c->n_layers; l++) {
        clefi_block_forward(pool, &w->acts[l], &t->blk[l], y, w->pad, NULL, &w->dims);
        y = w->acts[l].out;
    }
    clefi_layernorm_forward(pool, w->lnf, w->lnf_mean, w->lnf_rstd, y, t->ln_w, t->ln_b, BT, W,
                            CLEFI_AL_LN_EPS);
    for (int64_t b = 0; b < B; b++) {
        const int64_t n = seq->len[b];
        for (int64_t k = 0; k < W; k++) {
            double acc = 0.0;
            for (int64_t i = 0; i < n; i++)
                acc += w->lnf[(b * T + i) * W + k];
            w->pooled[b * W + k] = (float)(acc / (double)n);
        }
    }
    clefi_linear_forward(pool, w->proj, w->pooled, t->proj_w, t->proj_b, B, W, c->dim);
    clefi_l2norm_forward(w->z, w->norm, w->proj, B, c->dim, CLEFI_AL_NORM_EPS);
    return CLEF_OK;
}

void clefi_al_tower_backward(const clef_aligner *al, const clefi_al_tower *t,
                             const clefi_al_tower *gt, clefi_pool *pool, clefi_al_work *w,
                             const clefi_al_seq *seq, const float *dz) {
    const clefi_al_cfg *c = &al->cfg;
    const int64_t B = seq->B, T = seq->T, W = c->width, BT = B * T;
    memset(w->dproj, 0, (size_t)(B * c->dim) * sizeof(float));
    clefi_l2norm_backward(w->dproj, dz, w->z, w->norm, B, c->dim, CLEFI_AL_NORM_EPS);
    memset(w->dpooled, 0, (size_t)(B * W) * sizeof(float));
    clefi_linear_backward(pool, w->dpooled, gt->proj_w, gt->proj_b, w->dproj, w->pooled, t->proj_w,
                          B, W, c->dim);
    for (int64_t b = 0; b < B; b++) {
        const float inv = 1.f / (float)seq->len[b];
        for (int64_t i = 0; i < T; i++)
            for (int64_t k = 0; k < W; k++)
                w->dlnf[(b * T + i) * W + k] = i < seq->len[b] ? w->dpooled[b * W + k] * inv : 0.f;
    }
    const float *y = c->n_layers > 0 ? w->acts[c->n_layers - 1].out : w->x0;
    memset(w->dx, 0, (size_t)(BT * W) * sizeof(float));
    clefi_layernorm_backward(pool, w->dx, gt->ln_w, gt->ln_b, w->dlnf, y, t->ln_w, w->lnf_mean,
                             w->lnf_rstd, BT, W);
    for (int32_t l = c->n_layers - 1; l >= 0; l--) {
        const float *x = l > 0 ? w->acts[l - 1].out : w->x0;
        /* dlnf is free again: the block's input gradient goes there, then back to dx */
        memset(w->dlnf, 0, (size_t)(BT * W) * sizeof(float));
        clefi_block_backward(pool, w->dlnf, &gt->blk[l], w->dx, &w->acts[l], &t->blk[l], x, w->pad,
                             NULL, &w->dims);
        memcpy(w->dx, w->dlnf, (size_t)(BT * W) * sizeof(float));
    }
    if (seq->ids != NULL)
        clefi_embedding_backward(gt->in_w, w->dx, seq->ids, BT, W);
    else
        clefi_linear_backward(pool, NULL, gt->in_w, gt->in_b, w->dx, seq->x, t->in_w, BT,
                              c->text_dim, W);
}

/* ---- metadata ---- */

static const char *const k_keys[] = {
    "clef.align.in_dim",   "clef.align.dim",     "clef.align.width",      "clef.align.n_layers",
    "clef.align.n_heads",  "clef.align.d_ff",    "clef.align.eeg_hidden", "clef.align.text_dim",
    "clef.align.max_text", "clef.align.max_icd", "clef.align.max_atc",    "clef.align.vocab"};
#define N_KEYS ((int)(sizeof k_keys / sizeof k_keys[0]))

static int32_t *cfg_field(clefi_al_cfg *c, int i) {
    int32_t *f[N_KEYS] = {&c->in_dim,   &c->dim,     &c->width,      &c->n_layers,
                          &c->n_heads,  &c->d_ff,    &c->eeg_hidden, &c->text_dim,
                          &c->max_text, &c->max_icd, &c->max_atc,    &c->vocab};
    return f[i];
}

clef_status clefi_al_meta_fill(const clef_aligner *al, clefi_al_meta *m) {
    memset(m, 0, sizeof *m);
    clefi_al_cfg c = al->cfg;
    for (int i = 0; i < N_KEYS; i++) {
        snprintf(m->val[i], sizeof m->val[i], "%d", (int)*cfg_field(&c, i));
        m->kv[2 * m->n] = k_keys[i];
        m->kv[2 * m->n + 1] = m->val[i];
        m->n++;
    }
    size_t len = 1;
    for (int32_t i = 1; i < al->cfg.vocab; i++)
        len += strlen(al->vocab[i]) + 1;
    if ((m->vocab_joined = clefi_malloc(al->ctx, len)) == NULL)
        return clefi_ctx_error(al->ctx, CLEF_ERR_NOMEM, "aligner: out of memory");
    char *p = m->vocab_joined;
    for (int32_t i = 1; i < al->cfg.vocab; i++) {
        size_t n = strlen(al->vocab[i]);
        memcpy(p, al->vocab[i], n);
        p += n;
        *p++ = '\n';
    }
    *p = '\0';
    /* optional: files written before it existed encode a report whole (0) */
    snprintf(m->val_sent, sizeof m->val_sent, "%d", (int)c.text_sentences);
    m->kv[2 * m->n] = "clef.align.text_sentences";
    m->kv[2 * m->n + 1] = m->val_sent;
    m->n++;
    m->kv[2 * m->n] = "clef.align.ehr_vocab";
    m->kv[2 * m->n + 1] = m->vocab_joined;
    m->n++;
    if (al->enc_sha[0]) {
        m->kv[2 * m->n] = "clef.align.encoder_sha256";
        m->kv[2 * m->n + 1] = al->enc_sha;
        m->n++;
    }
    return CLEF_OK;
}

void clefi_al_meta_free(clef_ctx *ctx, clefi_al_meta *m) {
    clefi_free(ctx, m->vocab_joined);
    m->vocab_joined = NULL;
}

clef_status clefi_al_from_meta(clef_aligner **out, clef_ctx *ctx, clef_weights *w,
                               const char *path) {
    *out = NULL;
    clefi_al_cfg c;
    for (int i = 0; i < N_KEYS; i++) {
        int64_t v;
        clef_status rc = clefi_weights_meta_i64(w, k_keys[i], &v, &ctx->err);
        if (rc != CLEF_OK)
            return rc;
        if (v < 0 || v > (1 << 24))
            return clefi_ctx_error(ctx, CLEF_ERR_FORMAT, "aligner %s: %s = %lld out of range", path,
                                   k_keys[i], (long long)v);
        *cfg_field(&c, i) = (int32_t)v;
    }
    c.text_sentences = 0;
    const char *sent = NULL;
    if (clef_weights_meta_get(w, "clef.align.text_sentences", &sent) == CLEF_OK) {
        if (strcmp(sent, "0") != 0 && strcmp(sent, "1") != 0)
            return clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                                   "aligner %s: clef.align.text_sentences is \"%.16s\", not 0 or 1",
                                   path, sent);
        c.text_sentences = sent[0] == '1';
    }
    const char *joined = NULL;
    if (clef_weights_meta_get(w, "clef.align.ehr_vocab", &joined) != CLEF_OK)
        return clefi_ctx_error(ctx, CLEF_ERR_NOT_FOUND, "aligner %s: no clef.align.ehr_vocab",
                               path);
    int32_t lines = 1; /* [UNK] */
    for (const char *p = joined; *p; p++)
        lines += *p == '\n';
    if (lines != c.vocab)
        return clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                               "aligner %s: clef.align.vocab is %d, the vocabulary holds %d", path,
                               (int)c.vocab, (int)lines);
    clef_aligner *al;
    clef_status rc = clefi_al_alloc(&al, ctx, &c);
    if (rc != CLEF_OK)
        return rc;
    al->vocab[0] = clefi_strdup(ctx, CLEFI_AL_UNK);
    const char *p = joined;
    for (int32_t i = 1; i < c.vocab && al->vocab[i - 1] != NULL; i++) {
        const char *e = strchr(p, '\n');
        size_t n = (size_t)(e - p);
        if ((al->vocab[i] = clefi_malloc(ctx, n + 1)) != NULL) {
            memcpy(al->vocab[i], p, n);
            al->vocab[i][n] = '\0';
        }
        p = e + 1;
    }
    for (int32_t i = 0; i < c.vocab; i++)
        if (al->vocab[i] == NULL) {
            clef_aligner_free(al);
            return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "aligner: out of memory");
        }
    for (int32_t i = 2; i < c.vocab; i++)
        if (strcmp(al->vocab[i - 1], al->vocab[i]) >= 0) {
            clef_aligner_free(al);
            return clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                                   "aligner %s: the EHR vocabulary is not sorted and distinct "
                                   "(line %d)",
                                   path, (int)i);
        }
    const char *sha = NULL;
    if (clef_weights_meta_get(w, "clef.align.encoder_sha256", &sha) == CLEF_OK) {
        if (strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64) {
            clef_aligner_free(al);
            return clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                                   "aligner %s: clef.align.encoder_sha256 is not 64 lowercase "
                                   "hex digits",
                                   path);
        }
        memcpy(al->enc_sha, sha, 65);
    }
    *out = al;
    return CLEF_OK;
}

/* ---- load and save ---- */

clef_status clef_aligner_load(clef_aligner **out, clef_ctx *ctx, const char *path) {
    if (out != NULL)
        *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_reset(ctx);
    if (out == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "clef_aligner_load: bad argument");
    char def[4096];
    clef_status rc =
        clefi_model_path_or_default(ctx, path, CLEF_MODEL_ALIGNER, def, sizeof def, &path);
    if (rc != CLEF_OK)
        return rc;
    clef_weights *w = NULL;
    rc = clef_weights_open(&w, ctx, path);
    if (rc != CLEF_OK)
        return rc;
    clef_aligner *al = NULL;
    rc = clefi_al_from_meta(&al, ctx, w, path);
    if (rc == CLEF_OK)
        rc = clefi_weights_bind(w, &al->lay, al->flat, al->lay.total, "", CLEFI_BIND_ALLOW_EXTRA,
                                &ctx->err);
    for (int32_t k = 0; rc == CLEF_OK && k < al->cfg.in_dim; k++)
        if (!(al->eeg_sd[k] > 0.f) || !isfinite(al->eeg_mu[k]))
            rc = clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                                 "aligner %s: eeg.input_std[%d] is not positive", path, (int)k);
    clef_weights_free(w);
    if (rc != CLEF_OK) {
        clef_aligner_free(al);
        return rc;
    }
    *out = al;
    return CLEF_OK;
}

clef_status clef_aligner_save(const clef_aligner *al, clef_ctx *ctx, const char *path) {
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_reset(ctx);
    if (al == NULL || path == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "clef_aligner_save: bad argument");
    clefi_al_meta m;
    clef_status rc = clefi_al_meta_fill(al, &m);
    if (rc == CLEF_OK) {
        clefi_model_group g = {&al->lay, al->flat};
        rc = clefi_model_save(ctx, path, "aligner", m.kv, m.n, &g, 1);
    }
    clefi_al_meta_free(al->ctx, &m);
    return rc;
}

clef_status clef_aligner_encoder_sha256(const clef_aligner *al, char *buf, size_t cap,
                                        size_t *needed) {
    if (al == NULL || (buf == NULL && cap > 0))
        return CLEF_ERR_INVALID_ARG;
    size_t n = strlen(al->enc_sha) + 1;
    if (needed != NULL)
        *needed = n;
    if (cap < n)
        return CLEF_ERR_BUFFER_TOO_SMALL;
    memcpy(buf, al->enc_sha, n);
    return CLEF_OK;
}

clef_status clef_aligner_dims(const clef_aligner *al, int64_t *eeg_dim, int64_t *dim) {
    if (al == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (eeg_dim != NULL)
        *eeg_dim = al->cfg.in_dim;
    if (dim != NULL)
        *dim = al->cfg.dim;
    return CLEF_OK;
}
