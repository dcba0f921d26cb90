/* enc_model.c — the session encoder handle: architecture, weights layout, initialisation,
 * load and save (docs/encoder.md). SPDX-License-Identifier: BSD-3-Clause
 *
 * The weights are one flat float32 buffer laid out by one tensor list (clefi_layout), in the
 * order: input embeddings (ids, token type, frequency row, time column, session-mean
 * position), the pre-LN blocks (lib/nn block.c), the final LayerNorm, the masked-token head,
 * then the embedding projection. Pretraining updates everything but the projection, which
 * stays at its initial values until the aligner trains it: the identity onto the first P of
 * the embed_dim outputs (zeros after), P the pooled width (the mean state, then with
 * pool_values the session-mean coefficients), so a recon-only embedding is the pooled vector.
 * A random projection would mix the pooled dimensions, and a standardized, L2-regularized probe
 * then loses the per-dimension scaling (measured: mean AUROC 0.683 -> 0.660 on one fresh cohort,
 * docs/encoder.md "Quality"). */
#include "model_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENC_ARCH "transformer-2"

static clef_status add(clefi_layout *lay, clef_status rc, const char *name, int32_t rank,
                       int64_t d0, int64_t d1) {
    return rc == CLEF_OK ? clefi_layout_add(lay, name, rank, (const int64_t[]){d0, d1}) : rc;
}

static clef_status build_layout(clefi_layout *lay, const clefi_enc_cfg *c) {
    int64_t d = c->d;
    clef_status rc = CLEF_OK;
    rc = add(lay, rc, "enc.tok_emb.weight", 2, clefi_enc_mask_id(c) + 1, d);
    rc = add(lay, rc, "enc.type_emb.weight", 2, 2, d);
    rc = add(lay, rc, "enc.row_emb.weight", 2, c->grid_f, d);
    rc = add(lay, rc, "enc.col_emb.weight", 2, c->grid_t, d);
    if (c->n_mean > 0) {
        rc = add(lay, rc, "enc.mean_pos.weight", 2, c->n_mean, d);
        rc = add(lay, rc, "enc.mean_val.weight", 2, 2 * (int64_t)(c->mean_full + c->mean_pairs), d);
    }
    for (int32_t l = 0; rc == CLEF_OK && l < c->n_layers; l++) {
        char prefix[48];
        snprintf(prefix, sizeof prefix, "enc.blocks.%d.", (int)l);
        rc = clefi_block_layout(lay, prefix, d, c->d_ff);
    }
    rc = add(lay, rc, "enc.ln_f.weight", 1, d, 0);
    rc = add(lay, rc, "enc.ln_f.bias", 1, d, 0);
    rc = add(lay, rc, "enc.head.weight", 2, c->codebook_size, d);
    rc = add(lay, rc, "enc.head.bias", 1, c->codebook_size, 0);
    if (clefi_enc_n_value(c) > 0) {
        rc = add(lay, rc, "enc.value_head.weight", 2, 2, d);
        rc = add(lay, rc, "enc.value_head.bias", 1, 2, 0);
    }
    rc = add(lay, rc, "enc.proj.weight", 2, c->embed_dim, clefi_enc_pool_dim(c));
    rc = add(lay, rc, "enc.proj.bias", 1, c->embed_dim, 0);
    return rc;
}

void clefi_enc_bind(clef_encoder *enc, float *base) {
    const clefi_layout *lay = &enc->lay;
    size_t i = 0;
    float **pre[] = {&enc->tok_emb, &enc->type_emb, &enc->row_emb, &enc->col_emb};
    for (size_t k = 0; k < 4; k++)
        *pre[k] = base + lay->t[i++].offset;
    enc->mean_pos = enc->cfg.n_mean > 0 ? base + lay->t[i++].offset : NULL;
    enc->mean_val = enc->cfg.n_mean > 0 ? base + lay->t[i++].offset : NULL;
    for (int32_t l = 0; l < enc->cfg.n_layers; l++) {
        clefi_block_params_at(&enc->blk[l], base, lay, i);
        i += sizeof(clefi_block_params) / sizeof(float *);
    }
    float **post[] = {&enc->lnf_w, &enc->lnf_b, &enc->head_w, &enc->head_b};
    for (size_t k = 0; k < 4; k++)
        *post[k] = base + lay->t[i++].offset;
    enc->vhead_w = enc->vhead_b = NULL;
    if (clefi_enc_n_value(&enc->cfg) > 0) {
        enc->vhead_w = base + lay->t[i++].offset;
        enc->vhead_b = base + lay->t[i++].offset;
    }
    enc->proj_w = base + lay->t[i++].offset;
    enc->proj_b = base + lay->t[i++].offset;
}

static clef_status check_cfg(clef_ctx *ctx, const clefi_enc_cfg *c, const char *src) {
    if (c->d < 1 || c->n_heads < 1 || c->d % c->n_heads != 0)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                               "encoder %s: d_model %d is not a multiple of n_heads %d", src,
                               (int)c->d, (int)c->n_heads);
    if (c->n_layers < 1 || c->n_layers > CLEFI_ENC_MAX_LAYERS || c->d_ff < 1 || c->embed_dim < 1)
        return clefi_ctx_error(
            ctx, CLEF_ERR_RANGE, "encoder %s: n_layers %d (1..%d), d_ff %d, embed_dim %d", src,
            (int)c->n_layers, CLEFI_ENC_MAX_LAYERS, (int)c->d_ff, (int)c->embed_dim);
    if (c->grid_f < 1 || c->grid_t < 1 || c->n_mean < 0 || c->codebook_size < 2 ||
        c->mean_levels < 0 || (c->n_mean > 0) != (c->mean_levels > 0) ||
        (int64_t)c->grid_f * c->grid_t + c->n_mean > 1048576 ||
        (int64_t)c->codebook_size + c->mean_levels > 65536 || c->mean_full < 0 ||
        c->mean_pairs < 0 ||
        (int64_t)c->mean_full + c->mean_pairs > (c->n_mean > 0 ? c->n_mean - 1 : 0))
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE,
                               "encoder %s: token layout %d x %d grid + %d session-mean tokens, "
                               "codebook %d, %d levels is not supported",
                               src, (int)c->grid_f, (int)c->grid_t, (int)c->n_mean,
                               (int)c->codebook_size, (int)c->mean_levels);
    if (c->pool_values && clefi_enc_n_value(c) == 0)
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE,
                               "encoder %s: pooling with the session-mean coefficients, but the "
                               "token layout has no coefficient tokens",
                               src);
    return CLEF_OK;
}

clef_status clefi_enc_alloc(clef_encoder **out, clef_ctx *ctx, const clefi_enc_cfg *cfg) {
    *out = NULL;
    clef_status rc = check_cfg(ctx, cfg, "architecture");
    if (rc != CLEF_OK)
        return rc;
    clef_encoder *enc = clefi_calloc(ctx, 1, sizeof *enc);
    if (enc == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "encoder: no memory");
    enc->ctx = clefi_ctx_retain(ctx);
    enc->cfg = *cfg;
    clefi_layout_init(&enc->lay, ctx);
    rc = build_layout(&enc->lay, cfg);
    if (rc == CLEF_OK &&
        (enc->flat = clefi_malloc_aligned(ctx, enc->lay.total * sizeof(float))) == NULL)
        rc = clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "encoder: cannot allocate %zu weights",
                             enc->lay.total);
    if (rc != CLEF_OK) {
        clef_encoder_free(enc);
        return rc;
    }
    memset(enc->flat, 0, enc->lay.total * sizeof(float));
    clefi_enc_bind(enc, enc->flat);
    enc->trained = (size_t)(enc->proj_w - enc->flat);
    *out = enc;
    return CLEF_OK;
}

void clef_encoder_free(clef_encoder *enc) {
    if (enc == NULL)
        return;
    clef_ctx *ctx = enc->ctx;
    clefi_free_aligned(ctx, enc->flat);
    clefi_layout_free(&enc->lay);
    clefi_free(ctx, enc);
    clefi_ctx_release(ctx);
}

void clefi_enc_init(clef_encoder *enc, uint64_t seed) {
    const clefi_layout *lay = &enc->lay;
    for (size_t i = 0; i < lay->n; i++) {
        const clefi_layout_entry *e = &lay->t[i];
        float *x = enc->flat + e->offset;
        size_t len = strlen(e->name);
        int is_ln =
            strstr(e->name, "ln") != NULL && len > 7 && !strcmp(e->name + len - 7, ".weight");
        for (size_t k = 0; k < e->numel; k++)
            x[k] = e->rank == 1 ? (is_ln ? 1.0f : 0.0f)
                                : 0.02f * clefi_rng_normal(seed, (uint64_t)(e->offset + k));
    }
    /* the projection [embed_dim][P], P the pooled width: identity on the first min(embed_dim,
     * P) outputs */
    const int64_t E = enc->cfg.embed_dim, P = clefi_enc_pool_dim(&enc->cfg);
    memset(enc->proj_w, 0, (size_t)(E * P) * sizeof *enc->proj_w);
    for (int64_t j = 0; j < E && j < P; j++)
        enc->proj_w[j * P + j] = 1.0f;
}

/* ---- architecture from parameters or metadata ---- */

static void layout_from_tok(const clef_tokenizer *tok, clefi_enc_cfg *c) {
    c->grid_f = tok->cfg.grid_f;
    c->grid_t = tok->cfg.grid_t;
    c->n_mean = tok->cfg.n_mean;
    c->codebook_size = tok->cfg.codebook_size;
    c->mean_levels = tok->cfg.n_mean > 0 ? tok->cfg.mean_levels : 0;
    c->mean_full = tok->cfg.n_mean > 0 ? tok->cfg.mean_full : 0;
    c->mean_pairs = tok->cfg.n_mean > 0 ? clefi_tok_mean_pairs(&tok->cfg) : 0;
}

clef_status clefi_enc_cfg_from(clef_ctx *ctx, const clef_params *arch, const clef_tokenizer *tok,
                               clefi_enc_cfg *c) {
    memset(c, 0, sizeof *c);
    clef_params *def = NULL;
    if (arch == NULL) {
        clef_status rc = clef_params_create(&def, ctx, CLEF_PARAMS_ENCODER);
        if (rc != CLEF_OK)
            return rc;
        arch = def;
    } else if (clef_params_kind(arch) != CLEF_PARAMS_ENCODER) {
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                               "encoder: arch is a parameter set of kind %d, not "
                               "CLEF_PARAMS_ENCODER",
                               (int)clef_params_kind(arch));
    }
    c->d = (int32_t)clefi_params_i64(arch, CLEF_P_ENC_D_MODEL);
    c->n_layers = (int32_t)clefi_params_i64(arch, CLEF_P_ENC_N_LAYERS);
    c->n_heads = (int32_t)clefi_params_i64(arch, CLEF_P_ENC_N_HEADS);
    c->d_ff = (int32_t)clefi_params_i64(arch, CLEF_P_ENC_D_FF);
    c->embed_dim = (int32_t)clefi_params_i64(arch, CLEF_P_ENC_EMBED_DIM);
    c->pool_values = (int32_t)clefi_params_i64(arch, CLEF_P_ENC_POOL_VALUES);
    clef_params_free(def);
    layout_from_tok(tok, c);
    c->pool_values = c->pool_values && clefi_enc_n_value(c) > 0;
    memcpy(c->tok_sha, tok->sha256, sizeof c->tok_sha);
    return check_cfg(ctx, c, "architecture");
}

/* Integer metadata keys, in the order of their fields. */
#define ENC_INT_KEYS(X)                                                                            \
    X("clef.enc.d_model", d)                                                                       \
    X("clef.enc.n_layers", n_layers)                                                               \
    X("clef.enc.n_heads", n_heads)                                                                 \
    X("clef.enc.d_ff", d_ff)                                                                       \
    X("clef.enc.embed_dim", embed_dim)                                                             \
    X("clef.enc.grid_f", grid_f)                                                                   \
    X("clef.enc.grid_t", grid_t)                                                                   \
    X("clef.enc.mean_tokens", n_mean)                                                              \
    X("clef.enc.codebook_size", codebook_size)                                                     \
    X("clef.enc.mean_levels", mean_levels)                                                         \
    X("clef.enc.mean_full", mean_full)                                                             \
    X("clef.enc.mean_pairs", mean_pairs)

/* Fixed descriptive keys: a loader checks that they read exactly so. */
static const char *const k_fixed[][2] = {
    {"clef.enc.arch", ENC_ARCH},
    {"clef.enc.token_order", "grid f-major (row = frequency band, column = time), then the "
                             "session-mean tokens"},
    {"clef.enc.input", "tok_emb[id] + type_emb[grid 0 | mean 1] + (row_emb[row] + col_emb[column] "
                       "| mean_pos[index] + v0 mean_val[2 index] + v1 mean_val[2 index + 1], v "
                       "the companded coefficients of the token); [MASK] id = codebook_size + "
                       "mean_levels"},
    {"clef.enc.padding", "grid columns >= valid columns (last session-mean id - codebook_size) "
                         "are attention key padding"},
    {"clef.enc.block", "pre-LN, GELU (erf), LayerNorm eps 1e-5"}};
#define N_FIXED (sizeof k_fixed / sizeof k_fixed[0])

/* clef.enc.pooling, by pool_values: the first is the only one of files written before it */
static const char *const k_pooling[2] = {
    "mean of ln_f states over non-padding tokens, then proj",
    "mean of ln_f states over non-padding tokens, then the companded coefficients of the "
    "session-mean tokens (v0 of each one-coefficient token, v0 v1 of each pair), then proj"};

void clefi_enc_meta_fill(const clefi_enc_cfg *c, clefi_enc_meta *m) {
    size_t n = 0, v = 0;
    /* clef.kind is the writer's: "model" or "checkpoint" */
    static const char *const head[][2] = {{"clef.format", "1"}, {"clef.components", "enc"}};
    for (size_t i = 0; i < 2; i++, n++) {
        m->kv[2 * n] = head[i][0];
        m->kv[2 * n + 1] = head[i][1];
    }
    for (size_t i = 0; i < N_FIXED; i++, n++) {
        m->kv[2 * n] = k_fixed[i][0];
        m->kv[2 * n + 1] = k_fixed[i][1];
    }
    m->kv[2 * n] = "clef.enc.pooling";
    m->kv[2 * n++ + 1] = k_pooling[c->pool_values != 0];
#define PUT_(key, field)                                                                           \
    snprintf(m->val[v], sizeof m->val[v], "%d", (int)c->field);                                    \
    m->kv[2 * n] = key;                                                                            \
    m->kv[2 * n++ + 1] = m->val[v++];
    ENC_INT_KEYS(PUT_)
#undef PUT_
    snprintf(m->val[v], sizeof m->val[v], "%d", (int)clefi_enc_n_tokens(c));
    m->kv[2 * n] = "clef.enc.n_tokens";
    m->kv[2 * n++ + 1] = m->val[v++];
    m->kv[2 * n] = "clef.enc.tokenizer_sha256";
    m->kv[2 * n++ + 1] = c->tok_sha;
    m->n = n;
}

static clef_status meta_int(clef_ctx *ctx, clef_weights *w, const char *path, const char *key,
                            int32_t *out) {
    int64_t v = 0;
    clefi_err why;
    clefi_err_clear(&why);
    clef_status rc = clefi_weights_meta_i64(w, key, &v, &why);
    if (rc == CLEF_OK && (v < 0 || v > INT32_MAX))
        rc = CLEF_ERR_FORMAT;
    if (rc != CLEF_OK)
        return clefi_ctx_error(ctx, rc == CLEF_ERR_NOT_FOUND ? rc : CLEF_ERR_FORMAT,
                               "encoder '%s': metadata %s: %s", path, key,
                               why.msg[0] ? why.msg : "not an integer in range");
    *out = (int32_t)v;
    return CLEF_OK;
}

static int is_hex64(const char *s) {
    size_t n = 0;
    for (; s[n] != '\0'; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return 0;
    return n == 64;
}

clef_status clefi_enc_cfg_from_weights(clef_ctx *ctx, clef_weights *w, const char *path,
                                       clefi_enc_cfg *c) {
    memset(c, 0, sizeof *c);
    const char *v = NULL;
    if (clef_weights_meta_get(w, "clef.components", &v) != CLEF_OK || strcmp(v, "enc") != 0)
        return clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                               "encoder '%s': clef.components is '%s', not 'enc' (is this "
                               "an encoder weights file?)",
                               path, v ? v : "(missing)");
    for (size_t i = 0; i < N_FIXED; i++)
        if (clef_weights_meta_get(w, k_fixed[i][0], &v) != CLEF_OK || strcmp(v, k_fixed[i][1]) != 0)
            return clefi_ctx_error(ctx, CLEF_ERR_UNSUPPORTED,
                                   "encoder '%s': metadata %s is not this library's ('%.60s')",
                                   path, k_fixed[i][0], v ? v : "(missing)");
    if (clef_weights_meta_get(w, "clef.enc.pooling", &v) != CLEF_OK ||
        (strcmp(v, k_pooling[0]) != 0 && strcmp(v, k_pooling[1]) != 0))
        return clefi_ctx_error(ctx, CLEF_ERR_UNSUPPORTED,
                               "encoder '%s': metadata clef.enc.pooling is not this library's "
                               "('%.60s')",
                               path, v ? v : "(missing)");
    c->pool_values = strcmp(v, k_pooling[1]) == 0;
    clef_status rc = CLEF_OK;
#define GET_(key, field)                                                                           \
    if (rc == CLEF_OK)                                                                             \
        rc = meta_int(ctx, w, path, key, &c->field);
    ENC_INT_KEYS(GET_)
#undef GET_
    int32_t n_tokens = 0;
    if (rc == CLEF_OK)
        rc = meta_int(ctx, w, path, "clef.enc.n_tokens", &n_tokens);
    if (rc != CLEF_OK)
        return rc;
    rc = check_cfg(ctx, c, path);
    if (rc == CLEF_OK && n_tokens != clefi_enc_n_tokens(c))
        rc = clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                             "encoder '%s': clef.enc.n_tokens %d is not %d x %d + %d", path,
                             (int)n_tokens, (int)c->grid_f, (int)c->grid_t, (int)c->n_mean);
    if (rc == CLEF_OK &&
        (clef_weights_meta_get(w, "clef.enc.tokenizer_sha256", &v) != CLEF_OK || !is_hex64(v)))
        rc = clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                             "encoder '%s': clef.enc.tokenizer_sha256 is not 64 lowercase hex "
                             "digits",
                             path);
    if (rc == CLEF_OK)
        memcpy(c->tok_sha, v, 65);
    return rc;
}

clef_status clefi_enc_check_tokenizer(clef_ctx *ctx, clefi_err *err, const clefi_enc_cfg *c,
                                      const clef_tokenizer *tok) {
    clefi_enc_cfg t = *c;
    layout_from_tok(tok, &t);
    if (strcmp(tok->sha256, c->tok_sha) != 0)
        return clefi_error(ctx, err, CLEF_ERR_INVALID_ARG,
                           "the encoder was trained with tokenizer %.16s..., not this one "
                           "(%.16s...)",
                           c->tok_sha, tok->sha256[0] ? tok->sha256 : "not loaded from a file");
    if (memcmp(&t, c, sizeof t) != 0)
        return clefi_error(ctx, err, CLEF_ERR_INVALID_ARG,
                           "token layout mismatch: encoder %d x %d + %d, tokenizer %d x %d + %d",
                           (int)c->grid_f, (int)c->grid_t, (int)c->n_mean, (int)t.grid_f,
                           (int)t.grid_t, (int)t.n_mean);
    return CLEF_OK;
}

clef_status clefi_enc_load_weights(clef_encoder **out, clef_ctx *ctx, clef_weights *w,
                                   const char *path, const clef_tokenizer *tok) {
    *out = NULL;
    clefi_enc_cfg cfg;
    clef_encoder *enc = NULL;
    clef_status rc = clefi_enc_cfg_from_weights(ctx, w, path, &cfg);
    if (rc == CLEF_OK && tok != NULL)
        rc = clefi_enc_check_tokenizer(ctx, &ctx->err, &cfg, tok);
    if (rc == CLEF_OK)
        rc = clefi_enc_alloc(&enc, ctx, &cfg);
    if (rc == CLEF_OK)
        rc = clefi_weights_bind(w, &enc->lay, enc->flat, enc->lay.total, "", 0, &ctx->err);
    for (size_t i = 0; rc == CLEF_OK && i < enc->lay.total; i++)
        if (!isfinite(enc->flat[i])) {
            size_t t = 0;
            while (t + 1 < enc->lay.n && enc->lay.t[t + 1].offset <= i)
                t++;
            rc = clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                                 "encoder '%s': tensor '%s' has a non-finite value at %zu", path,
                                 enc->lay.t[t].name, i - enc->lay.t[t].offset);
        }
    if (rc != CLEF_OK) {
        clef_encoder_free(enc);
        return rc;
    }
    *out = enc;
    return CLEF_OK;
}

clef_status clef_encoder_load(clef_encoder **out, clef_ctx *ctx, const char *path,
                              const clef_tokenizer *tok) {
    clefi_reset(ctx);
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (out == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "encoder_load: NULL argument");
    *out = NULL;
    char def[4096];
    clef_status drc =
        clefi_model_path_or_default(ctx, path, CLEF_MODEL_ENCODER, def, sizeof def, &path);
    if (drc != CLEF_OK)
        return drc;
    clef_weights *w = NULL;
    clef_status rc = clef_weights_open(&w, ctx, path);
    if (rc != CLEF_OK && rc != CLEF_ERR_NOMEM) { /* name the file */
        char why[CLEFI_ERRMSG_CAP];
        snprintf(why, sizeof why, "%s", clef_ctx_errmsg(ctx));
        clefi_ctx_error(ctx, rc, "encoder '%s': %s", path, why);
    }
    if (rc == CLEF_OK)
        rc = clefi_enc_load_weights(out, ctx, w, path, tok);
    clef_weights_free(w);
    return rc;
}

clef_status clef_encoder_save(const clef_encoder *enc, clef_ctx *ctx, const char *path) {
    clefi_reset(ctx);
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (enc == NULL || path == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "encoder_save: NULL argument");
    clefi_enc_meta meta;
    clefi_enc_meta_fill(&enc->cfg, &meta);
    const clefi_model_group g[1] = {{&enc->lay, enc->flat}};
    return clefi_model_save(ctx, path, "encoder_save", meta.kv, meta.n, g, 1);
}

clef_status clef_encoder_shape(const clef_encoder *enc, int64_t *n_tokens, int64_t *d_model,
                               int64_t *embed_dim) {
    if (enc == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (n_tokens != NULL)
        *n_tokens = clefi_enc_n_tokens(&enc->cfg);
    if (d_model != NULL)
        *d_model = enc->cfg.d;
    if (embed_dim != NULL)
        *embed_dim = enc->cfg.embed_dim;
    return CLEF_OK;
}

static clef_status copy_sha(const char *sha, char *buf, size_t cap, size_t *needed) {
    if (needed != NULL)
        *needed = 65;
    if (buf == NULL || cap < 65)
        return CLEF_ERR_BUFFER_TOO_SMALL;
    memcpy(buf, sha, 65);
    return CLEF_OK;
}

clef_status clef_encoder_tokenizer_sha256(const clef_encoder *enc, char *buf, size_t cap,
                                          size_t *needed) {
    if (enc == NULL)
        return CLEF_ERR_INVALID_ARG;
    return copy_sha(enc->cfg.tok_sha, buf, cap, needed);
}

clef_status clef_tokenizer_sha256(const clef_tokenizer *tok, char *buf, size_t cap,
                                  size_t *needed) {
    if (tok == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (tok->sha256[0] == '\0')
        return CLEF_ERR_STATE;
    return copy_sha(tok->sha256, buf, cap, needed);
}

/* ---- token windows ---- */

int32_t clefi_enc_valid_cols(const clefi_enc_cfg *c, const int32_t *ids) {
    if (c->n_mean == 0)
        return c->grid_t;
    int32_t v = ids[clefi_enc_n_tokens(c) - 1] - c->codebook_size;
    return v < 1 ? 1 : v > c->grid_t ? c->grid_t : v;
}

clef_status clefi_enc_check_ids(const clefi_enc_cfg *c, const int32_t *ids, char *why, size_t cap) {
    int32_t n = clefi_enc_n_tokens(c), g = c->grid_f * c->grid_t;
    for (int32_t i = 0; i < n; i++) {
        int32_t lo = i < g ? 0 : c->codebook_size;
        int32_t hi = i < g ? c->codebook_size : c->codebook_size + c->mean_levels;
        if (ids[i] < lo || ids[i] >= hi) {
            snprintf(why, cap, "token %d (%s) is %d, not in [%d, %d)", (int)i,
                     i < g ? "grid" : "session-mean", (int)ids[i], (int)lo, (int)hi);
            return CLEF_ERR_RANGE;
        }
    }
    return CLEF_OK;
}

int64_t clefi_enc_window(const clefi_enc_cfg *c, const int32_t *ids, int32_t c0, int32_t w,
                         int32_t valid, int32_t *wids, uint8_t *type, uint8_t *key_pad,
                         int32_t *pos_a, int32_t *pos_b) {
    int64_t k = 0;
    for (int32_t r = 0; r < c->grid_f; r++)
        for (int32_t j = 0; j < w; j++, k++) {
            int32_t col = c0 + j;
            wids[k] = ids[(size_t)r * (size_t)c->grid_t + (size_t)col];
            type[k] = 0;
            key_pad[k] = col >= valid;
            pos_a[k] = r;
            pos_b[k] = col;
        }
    const int32_t *mean = ids + (size_t)c->grid_f * (size_t)c->grid_t;
    for (int32_t j = 0; j < c->n_mean; j++, k++) {
        wids[k] = mean[j];
        type[k] = 1;
        key_pad[k] = 0;
        pos_a[k] = j;
        pos_b[k] = 0;
    }
    return k;
}

/* The coefficients session-mean token t holds (v 0 for grid tokens), and the rows of mean_val
 * they scale; 0 if none. */
static size_t mean_values(const clefi_enc_cfg *c, const clefi_enc_input *in, int64_t t,
                          float v[2]) {
    v[0] = v[1] = 0.0f;
    int32_t j = in->pos_a[t];
    if (!in->type[t] || j >= c->mean_full + c->mean_pairs)
        return 0;
    clefi_tok_mean_token_values(j, in->ids[t] - c->codebook_size, c->mean_full, c->mean_pairs,
                                c->mean_levels, v);
    return 2 * (size_t)j;
}

void clefi_enc_embed_input(const clef_encoder *enc, const clefi_enc_input *in, float *x) {
    size_t d = (size_t)enc->cfg.d;
    for (int64_t t = 0; t < in->nt; t++) {
        float v[2];
        size_t row = mean_values(&enc->cfg, in, t, v);
        const float *e = enc->tok_emb + (size_t)in->ids[t] * d;
        const float *ty = enc->type_emb + (size_t)in->type[t] * d;
        const float *pa = in->type[t] ? enc->mean_pos + (size_t)in->pos_a[t] * d
                                      : enc->row_emb + (size_t)in->pos_a[t] * d;
        const float *pb = in->type[t] ? NULL : enc->col_emb + (size_t)in->pos_b[t] * d;
        float *o = x + (size_t)t * d;
        for (size_t k = 0; k < d; k++)
            o[k] = e[k] + ty[k] + pa[k] + (pb != NULL ? pb[k] : 0.0f);
        if (v[0] != 0.0f || v[1] != 0.0f) {
            const float *w0 = enc->mean_val + row * d, *w1 = w0 + d;
            for (size_t k = 0; k < d; k++)
                o[k] += v[0] * w0[k] + v[1] * w1[k];
        }
    }
}

void clefi_enc_embed_input_backward(const clef_encoder *enc, clef_encoder *g,
                                    const clefi_enc_input *in, const float *dx) {
    size_t d = (size_t)enc->cfg.d;
    for (int64_t t = 0; t < in->nt; t++) { /* in token order: deterministic */
        float v[2];
        size_t row = mean_values(&enc->cfg, in, t, v);
        const float *o = dx + (size_t)t * d;
        if (v[0] != 0.0f || v[1] != 0.0f) {
            float *w0 = g->mean_val + row * d, *w1 = w0 + d;
            for (size_t k = 0; k < d; k++) {
                w0[k] += v[0] * o[k];
                w1[k] += v[1] * o[k];
            }
        }
        float *e = g->tok_emb + (size_t)in->ids[t] * d;
        float *ty = g->type_emb + (size_t)in->type[t] * d;
        float *pa = in->type[t] ? g->mean_pos + (size_t)in->pos_a[t] * d
                                : g->row_emb + (size_t)in->pos_a[t] * d;
        float *pb = in->type[t] ? NULL : g->col_emb + (size_t)in->pos_b[t] * d;
        for (size_t k = 0; k < d; k++) {
            e[k] += o[k];
            ty[k] += o[k];
            pa[k] += o[k];
            if (pb != NULL)
                pb[k] += o[k];
        }
    }
}
