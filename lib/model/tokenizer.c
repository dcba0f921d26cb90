/* tokenizer.c — the VQGAN tokenizer handle: architecture (one tensor list), load, create.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * The architecture is walked once by declare_model(): every weight is declared there with its
 * name (as tools/ref/tokenizer_ref.py's state_dict), shape and the layer field it feeds, so
 * loading, random initialisation and (later) saving and training share one list. */
#include "model_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tok_init_kind { INIT_UNIFORM_FAN_IN = 1, INIT_ONE, INIT_ZERO, INIT_CODEBOOK };

/* Declaration walk: the first pass counts (lay == NULL), the second fills the layout. */
typedef struct builder {
    clefi_layout *lay;
    clefi_tok_param *p;
    size_t n, max_k;
    clef_status rc;
    clefi_conv **wino; /* second pass: the Winograd convolutions */
    size_t n_wino, wino_total, wino_scratch;
} builder;

static void decl(builder *b, const float **slot, const char *prefix, const char *suffix,
                 int32_t init, size_t fan_in, int32_t ndim, const int64_t *shape) {
    if (b->lay != NULL && b->rc == CLEF_OK) {
        char name[CLEFI_TOK_NAME_CAP + 8]; /* prefix + "weight" */
        snprintf(name, sizeof name, "%s%s", prefix, suffix);
        b->rc = clefi_layout_add(b->lay, name, ndim, shape);
        b->p[b->n] = (clefi_tok_param){.slot = slot, .init = init, .fan_in = fan_in};
    }
    b->n++;
}

static void decl_conv(builder *b, clefi_conv *c, const char *prefix, int32_t cin, int32_t cout,
                      int32_t kh, int32_t kw, int32_t sh, int32_t sw, int32_t ph, int32_t pw) {
    *c = (clefi_conv){
        .cin = cin, .cout = cout, .kh = kh, .kw = kw, .sh = sh, .sw = sw, .ph = ph, .pw = pw};
    size_t fan_in = (size_t)cin * (size_t)kh * (size_t)kw;
    decl(b, &c->w, prefix, "weight", INIT_UNIFORM_FAN_IN, fan_in, 4,
         (const int64_t[]){cout, cin, kh, kw});
    decl(b, &c->b, prefix, "bias", INIT_UNIFORM_FAN_IN, fan_in, 1, (const int64_t[]){cout});
    if (fan_in > b->max_k)
        b->max_k = fan_in;
    if (kh == 3 && kw == 3 && (sh == 1 || sh == 2) && sw == 1 && ph == 1 && pw == 1) {
        if (b->wino != NULL)
            b->wino[b->n_wino] = c;
        b->n_wino++;
        b->wino_total += clefi_wino_weights_size(cout, cin);
        size_t s = clefi_wino_scratch(cin, cout);
        if (s > b->wino_scratch)
            b->wino_scratch = s;
    }
}

static void decl_norm(builder *b, clefi_gnorm *g, const char *prefix, const clefi_tok_cfg *cfg,
                      int32_t c) {
    *g = (clefi_gnorm){.c = c, .groups = cfg->gn_groups, .eps = cfg->gn_eps};
    decl(b, &g->g, prefix, "weight", INIT_ONE, 0, 1, (const int64_t[]){c});
    decl(b, &g->b, prefix, "bias", INIT_ZERO, 0, 1, (const int64_t[]){c});
}

static void decl_resblock(builder *b, clefi_resblock *r, const char *prefix,
                          const clefi_tok_cfg *cfg, int32_t cin, int32_t cout) {
    char name[CLEFI_TOK_NAME_CAP];
#define SUB(s) (snprintf(name, sizeof name, "%s%s", prefix, s), name)
    decl_norm(b, &r->n1, SUB("norm1."), cfg, cin);
    decl_conv(b, &r->c1, SUB("conv1."), cin, cout, 3, 3, 1, 1, 1, 1);
    decl_norm(b, &r->n2, SUB("norm2."), cfg, cout);
    decl_conv(b, &r->c2, SUB("conv2."), cout, cout, 3, 3, 1, 1, 1, 1);
    r->has_nin = cin != cout;
    if (r->has_nin)
        decl_conv(b, &r->nin, SUB("nin_shortcut."), cin, cout, 1, 1, 1, 1, 0, 0);
#undef SUB
}

/* One resolution level: n_res resblocks "<side>.<i>.block.<r>." then the 3x3 resample conv
 * "<side>.<i>.<resample>" with time stride sh (2 down in the encoder, 1 in the decoder).
 * Returns the level's output channels. */
static int32_t decl_level(builder *b, clefi_resblock *blk, clefi_conv *resample, const char *side,
                          int32_t i, const char *resample_name, int32_t sh,
                          const clefi_tok_cfg *cfg, int32_t cin) {
    char name[CLEFI_TOK_NAME_CAP];
    int32_t cout = cfg->ch * cfg->mult[i];
    for (int32_t r = 0; r < cfg->n_res; r++) {
        snprintf(name, sizeof name, "%s.%d.block.%d.", side, (int)i, (int)r);
        decl_resblock(b, &blk[r], name, cfg, cin, cout);
        cin = cout;
    }
    snprintf(name, sizeof name, "%s.%d.%s", side, (int)i, resample_name);
    decl_conv(b, resample, name, cout, cout, 3, 3, sh, 1, 1, 1);
    return cout;
}

/* Encoder, codebook and decoder, in the order of the reference's modules. */
static void declare_model(builder *b, clef_tokenizer *tok) {
    const clefi_tok_cfg *cfg = &tok->cfg;
    int32_t ts = cfg->time_stride, cin = cfg->ch;
    decl_conv(b, &tok->e_conv_in, "enc.conv_in.", cfg->in_ch, cfg->ch, 3, ts, 1, ts, 1, 0);
    for (int32_t i = 0; i < cfg->n_levels; i++)
        cin =
            decl_level(b, tok->e_blk[i], &tok->e_down[i], "enc.down", i, "resample.", 2, cfg, cin);
    decl_resblock(b, &tok->e_mid, "enc.mid.", cfg, cin, cin);
    decl_norm(b, &tok->e_norm_out, "enc.norm_out.", cfg, cin);
    decl_conv(b, &tok->e_conv_out, "enc.conv_out.", cin, cfg->code_dim, 3, 3, 1, 1, 1, 1);

    decl(b, &tok->codebook, "quantize.embedding.", "weight", INIT_CODEBOOK, 0, 2,
         (const int64_t[]){cfg->codebook_size, cfg->code_dim});

    decl_conv(b, &tok->d_conv_in, "dec.conv_in.", cfg->code_dim, cin, 3, 3, 1, 1, 1, 1);
    decl_resblock(b, &tok->d_mid, "dec.mid.", cfg, cin, cin);
    for (int32_t i = cfg->n_levels - 1; i >= 0; i--)
        cin =
            decl_level(b, tok->d_blk[i], &tok->d_up[i], "dec.up", i, "resample.conv.", 1, cfg, cin);
    decl_norm(b, &tok->d_norm_out, "dec.norm_out.", cfg, cin);
    /* ConvTranspose2d(cin, in_ch, (1, ts), stride (1, ts)): weight [cin][in_ch][1][ts] */
    tok->d_conv_out =
        (clefi_conv){.cin = cin, .cout = cfg->in_ch, .kh = 1, .kw = ts, .sh = 1, .sw = ts};
    decl(b, &tok->d_conv_out.w, "dec.conv_out.", "weight", INIT_UNIFORM_FAN_IN,
         (size_t)cfg->in_ch * (size_t)ts, 4, (const int64_t[]){cin, cfg->in_ch, 1, ts});
    decl(b, &tok->d_conv_out.b, "dec.conv_out.", "bias", INIT_UNIFORM_FAN_IN,
         (size_t)cfg->in_ch * (size_t)ts, 1, (const int64_t[]){cfg->in_ch});
}

/* Validate a configuration and derive the grid; errors name the source (file or params). */
static clef_status check_cfg(clef_ctx *ctx, clefi_tok_cfg *c, const char *src) {
    const char *bad = NULL;
    if (c->n_levels < 1 || c->n_levels > CLEFI_TOK_MAX_LEVELS)
        bad = "ch_mult must have 1 to 6 entries";
    else if (c->n_res < 0 || c->n_res > CLEFI_TOK_MAX_RES)
        bad = "n_res_blocks must be 0 to 4";
    else if (c->n_freq % (1 << c->n_levels) != 0)
        bad = "n_freq must be divisible by 2^len(ch_mult)";
    else if (c->crop_t % c->time_stride != 0)
        bad = "crop_t must be divisible by time_stride";
    else if (!(c->gn_eps > 0.0f) || !(c->db_scale > 0.0f))
        bad = "gn_eps and db_scale must be positive";
    for (int32_t i = 0; bad == NULL && i < c->n_levels; i++)
        if (c->mult[i] < 1 || c->mult[i] > 64 || (c->ch * c->mult[i]) % c->gn_groups != 0)
            bad = "each ch * ch_mult entry must be a multiple of gn_groups (mult 1 to 64)";
    if (bad == NULL && c->ch % c->gn_groups != 0)
        bad = "ch must be a multiple of gn_groups";
    /* token ids are stored as uint16 (CLEF_ARTIFACT_TOKENS) */
    if (bad == NULL && (c->n_mean < 0 || c->n_mean == 1 || c->n_mean > CLEFI_TOK_MAX_MEAN ||
                        (c->n_mean > 0 && (c->mean_levels <= c->crop_t / c->time_stride ||
                                           c->mean_levels > 65536 - c->codebook_size))))
        bad = "mean_tokens must be 0 or 2 to 1024, mean_levels grid_t + 1 to "
              "65536 - codebook_size";
    int32_t coef_tok = c->n_mean - 1 - clefi_tok_mean_presence(c->in_ch, c->mean_levels);
    if (bad == NULL && c->n_mean > 0 && (coef_tok < 1 || c->in_ch > 64))
        bad = "mean_tokens must leave a coefficient token beside the presence tokens and the "
              "column count, for at most 64 channels";
    if (bad == NULL && c->n_mean > 0 &&
        (c->mean_full < 0 || c->mean_full > coef_tok ||
         (c->mean_full < coef_tok && (int64_t)(sqrt((double)c->mean_levels) + 0.5) *
                                             (int64_t)(sqrt((double)c->mean_levels) + 0.5) !=
                                         c->mean_levels)))
        bad = "mean_full must be 0 to the coefficient tokens, and all of them unless mean_levels "
              "is a square (two-coefficient tokens)";
    /* Every feature map must fit comfortably in size_t and int GEMM sizes. */
    if (bad == NULL &&
        (double)c->ch * 64.0 * c->n_freq * (double)(c->crop_t / c->time_stride) > (double)INT32_MAX)
        bad = "feature maps too large";
    if (bad == NULL && (double)c->in_ch * c->n_freq * (double)c->crop_t > (double)INT32_MAX)
        bad = "input image too large";
    if (bad != NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_FORMAT, "tokenizer %s: %s", src, bad);
    c->grid_f = c->n_freq >> c->n_levels;
    c->grid_t = c->crop_t / c->time_stride;
    return CLEF_OK;
}

/* Largest feature map, in floats (docs/tokenizer.md architecture). */
static size_t max_activation(const clefi_tok_cfg *c) {
    size_t m = (size_t)(c->code_dim > c->ch * c->mult[c->n_levels - 1]
                            ? c->code_dim
                            : c->ch * c->mult[c->n_levels - 1]) *
               (size_t)c->grid_f * (size_t)c->grid_t;
    for (int32_t i = 0; i < c->n_levels; i++) {
        int32_t w = c->ch * c->mult[i], prev = i > 0 ? c->ch * c->mult[i - 1] : c->ch;
        size_t a = (size_t)(w > prev ? w : prev) * (size_t)(c->n_freq >> i) * (size_t)c->grid_t;
        if (a > m)
            m = a;
    }
    return m;
}

/* Allocate the handle, declare the model, allocate the flat buffer and point layers at it. */
static clef_status tok_alloc(clef_tokenizer **out, clef_ctx *ctx, const clefi_tok_cfg *cfg) {
    clef_tokenizer *tok = clefi_calloc(ctx, 1, sizeof *tok);
    if (tok == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "tokenizer: no memory");
    tok->ctx = clefi_ctx_retain(ctx);
    tok->cfg = *cfg;
    clefi_layout_init(&tok->lay, ctx);
    builder b = {0};
    declare_model(&b, tok);
    tok->params = clefi_calloc(ctx, b.n, sizeof *tok->params);
    tok->wino_convs = clefi_calloc(ctx, b.n_wino > 0 ? b.n_wino : 1, sizeof *tok->wino_convs);
    tok->n_wino = b.n_wino;
    /* conv_in runs as a (3, 1) Winograd conv over the space-to-depth image (tok_run.c) */
    size_t in_u = clefi_wino_h_weights_size(cfg->ch, cfg->in_ch, cfg->time_stride);
    tok->wino_total = b.wino_total + in_u;
    b = (builder){.lay = &tok->lay, .p = tok->params, .rc = CLEF_OK, .wino = tok->wino_convs};
    if (tok->params != NULL && tok->wino_convs != NULL)
        declare_model(&b, tok);
    else
        b.lay = NULL;
    if (b.lay != NULL && b.rc == CLEF_OK) {
        tok->flat = clefi_malloc_aligned(ctx, tok->lay.total * sizeof(float));
        tok->wino = clefi_malloc_aligned(ctx, tok->wino_total * sizeof(float));
    }
    if (tok->flat == NULL || tok->wino == NULL) {
        clef_tokenizer_free(tok);
        return b.rc != CLEF_OK ? b.rc
                               : clefi_ctx_error(ctx, CLEF_ERR_NOMEM,
                                                 "tokenizer: no memory for "
                                                 "the weights");
    }
    for (size_t i = 0; i < tok->lay.n; i++)
        *tok->params[i].slot = tok->flat + tok->lay.t[i].offset;
    tok->max_act = max_activation(cfg);
    /* every convolution's output is grid_t wide (docs/tokenizer.md) */
    size_t s = b.max_k * (CLEFI_TOK_BLOCK_POS > (size_t)cfg->grid_t ? CLEFI_TOK_BLOCK_POS
                                                                    : (size_t)cfg->grid_t);
    size_t st = clefi_convt_time_scratch(&tok->d_conv_out, CLEFI_TOK_BLOCK_POS);
    tok->scratch_per = s > st ? s : st;
    if (b.wino_scratch > tok->scratch_per)
        tok->scratch_per = b.wino_scratch;
    size_t sh = clefi_wino_h_scratch((int64_t)cfg->in_ch * cfg->time_stride, cfg->ch, cfg->grid_t);
    if (sh > tok->scratch_per)
        tok->scratch_per = sh;
    size_t off = 0;
    for (size_t i = 0; i < tok->n_wino; i++) {
        clefi_conv *c = tok->wino_convs[i];
        c->wu = tok->wino + off;
        off += clefi_wino_weights_size(c->cout, c->cin);
    }
    tok->e_in_wu = tok->wino + off;
    clef_status rc = clefi_tok_mean_alloc(tok, ctx);
    if (rc != CLEF_OK) {
        clef_tokenizer_free(tok);
        return rc;
    }
    *out = tok;
    return CLEF_OK;
}

void clef_tokenizer_free(clef_tokenizer *tok) {
    if (tok == NULL)
        return;
    clef_ctx *ctx = tok->ctx;
    clefi_layout_free(&tok->lay);
    clefi_free(ctx, tok->params);
    clefi_free_aligned(ctx, tok->flat);
    clefi_free_aligned(ctx, tok->wino);
    clefi_free(ctx, tok->wino_convs);
    clefi_tok_mean_free(tok, ctx);
    clefi_free(ctx, tok);
    clefi_ctx_release(ctx);
}

void clefi_tok_wino_refresh(clef_tokenizer *tok) {
    for (size_t i = 0; i < tok->n_wino; i++) {
        const clefi_conv *c = tok->wino_convs[i];
        /* c->wu points into tok->wino: write through the handle's own pointer */
        clefi_wino_weights(tok->wino + (c->wu - tok->wino), c->w, c->cout, c->cin);
    }
    const clefi_conv *in = &tok->e_conv_in;
    clefi_wino_h_weights(tok->e_in_wu, in->w, in->cout, in->cin, in->kw);
}

/* "1,1,2,4" -> mult[], n_levels; 0 on a malformed list. */
static int parse_mult(const char *s, clefi_tok_cfg *c) {
    c->n_levels = 0;
    while (s != NULL && *s != '\0') {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (end == s || errno != 0 || v < 1 || v > 64 || c->n_levels == CLEFI_TOK_MAX_LEVELS)
            return 0;
        c->mult[c->n_levels++] = (int32_t)v;
        if (*end == '\0')
            break;
        if (*end != ',')
            return 0;
        s = end + 1;
    }
    return c->n_levels > 0;
}

static clef_status cfg_from_params(clef_ctx *ctx, const clef_params *p, clefi_tok_cfg *c) {
    *c = (clefi_tok_cfg){
        .in_ch = (int32_t)clefi_params_i64(p, CLEF_P_TOK_IN_CHANNELS),
        .n_freq = (int32_t)clefi_params_i64(p, CLEF_P_TOK_N_FREQ),
        .crop_t = (int32_t)clefi_params_i64(p, CLEF_P_TOK_CROP_T),
        .time_stride = (int32_t)clefi_params_i64(p, CLEF_P_TOK_TIME_STRIDE),
        .ch = (int32_t)clefi_params_i64(p, CLEF_P_TOK_CH),
        .n_res = (int32_t)clefi_params_i64(p, CLEF_P_TOK_N_RES_BLOCKS),
        .gn_groups = (int32_t)clefi_params_i64(p, CLEF_P_TOK_GN_GROUPS),
        .codebook_size = (int32_t)clefi_params_i64(p, CLEF_P_TOK_CODEBOOK_SIZE),
        .code_dim = (int32_t)clefi_params_i64(p, CLEF_P_TOK_CODE_DIM),
        .gn_eps = 1e-6f,   /* taming-transformers Normalize() */
        .db_scale = 40.0f, /* clef.spec.db_max: dB clipped to [-40, 40] */
    };
    clefi_tok_spec_default(&c->spec, c->in_ch);
    if (!parse_mult(clefi_params_str(p, CLEF_P_TOK_CH_MULT), c))
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                               "tokenizer params: tok.ch_mult '%s' is "
                               "not a list of 1 to 6 integers in [1, 64]",
                               clefi_params_str(p, CLEF_P_TOK_CH_MULT));
    return check_cfg(ctx, c, "params");
}

clef_status clefi_tok_cfg_from_params(clef_ctx *ctx, const clef_params *params,
                                      clefi_tok_cfg *cfg) {
    clef_params *def = NULL;
    if (params == NULL) {
        clef_status rc = clef_params_create(&def, ctx, CLEF_PARAMS_TOKENIZER);
        if (rc != CLEF_OK)
            return rc;
        params = def;
    }
    clef_status rc = CLEF_OK;
    if (clef_params_kind(params) != CLEF_PARAMS_TOKENIZER)
        rc = clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                             "tokenizer: params kind %d is not "
                             "CLEF_PARAMS_TOKENIZER",
                             (int)clef_params_kind(params));
    if (rc == CLEF_OK)
        rc = cfg_from_params(ctx, params, cfg);
    clef_params_free(def);
    return rc;
}

clef_status clefi_tokenizer_new(clef_tokenizer **out, clef_ctx *ctx, const clefi_tok_cfg *cfg,
                                uint64_t seed) {
    clef_tokenizer *tok = NULL;
    clef_status rc = tok_alloc(&tok, ctx, cfg);
    if (rc != CLEF_OK)
        return rc;
    /* torch defaults: Conv2d U(+-1/sqrt(fan_in)) (kaiming_uniform a=sqrt(5)), GroupNorm 1/0;
     * codebook U(+-1/K) as taming-transformers VectorQuantizer. */
    uint64_t counter = 0; /* of the stateless generator */
    for (size_t i = 0; i < tok->lay.n; i++) {
        const clefi_tok_param *t = &tok->params[i];
        float *w = tok->flat + tok->lay.t[i].offset;
        float bound = t->init == INIT_CODEBOOK         ? 1.0f / (float)cfg->codebook_size
                      : t->init == INIT_UNIFORM_FAN_IN ? 1.0f / sqrtf((float)t->fan_in)
                                                       : 0.0f;
        for (size_t k = 0; k < tok->lay.t[i].numel; k++) {
            float u = 2.0f * clefi_rng_uniform(seed, counter++) - 1.0f;
            w[k] = t->init == INIT_ONE ? 1.0f : t->init == INIT_ZERO ? 0.0f : u * bound;
        }
    }
    clefi_tok_wino_refresh(tok);
    *out = tok;
    return CLEF_OK;
}

clef_status clef_tokenizer_create(clef_tokenizer **out, clef_ctx *ctx, const clef_params *params,
                                  uint64_t seed) {
    clefi_reset(ctx);
    if (out == NULL || ctx == NULL)
        return ctx != NULL ? clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "tokenizer: out is NULL")
                           : CLEF_ERR_INVALID_ARG;
    *out = NULL;
    clefi_tok_cfg cfg;
    clef_status rc = clefi_tok_cfg_from_params(ctx, params, &cfg);
    return rc == CLEF_OK ? clefi_tokenizer_new(out, ctx, &cfg, seed) : rc;
}

/* ---- load ---- */

typedef struct meta_reader {
    clef_ctx *ctx;
    clef_weights *w;
    const char *path;
    clef_status rc; /* first error; later reads are skipped */
} meta_reader;

static const char *meta_str(meta_reader *m, const char *key) {
    const char *v = NULL;
    if (m->rc == CLEF_OK && clef_weights_meta_get(m->w, key, &v) != CLEF_OK)
        m->rc = clefi_ctx_error(m->ctx, CLEF_ERR_FORMAT,
                                "tokenizer '%s': metadata key '%s' is "
                                "missing",
                                m->path, key);
    return m->rc == CLEF_OK ? v : NULL;
}

/* An integer key within the bounds of its parameter key (0: [0, INT32_MAX]). */
static int32_t meta_int(meta_reader *m, const char *key, int32_t param_key) {
    if (meta_str(m, key) == NULL)
        return 0;
    int64_t x = 0;
    double lo = 0.0, hi = (double)INT32_MAX;
    if (param_key != 0)
        clef_param_bounds(param_key, &lo, &hi);
    m->rc = clefi_weights_meta_i64(m->w, key, &x, &m->ctx->err);
    if (m->rc == CLEF_OK && ((double)x < lo || (double)x > hi))
        m->rc = clefi_ctx_error(m->ctx, CLEF_ERR_FORMAT,
                                "tokenizer '%s': metadata '%s' = %lld "
                                "is not in [%.0f, %.0f]",
                                m->path, key, (long long)x, lo, hi);
    return m->rc == CLEF_OK ? (int32_t)x : 0;
}

static float meta_float(meta_reader *m, const char *key) {
    if (meta_str(m, key) == NULL)
        return 0.0f;
    double x = 0.0;
    m->rc = clefi_weights_meta_f64(m->w, key, &x, &m->ctx->err);
    if (m->rc == CLEF_OK && !(x > 0.0 && x < 1e6))
        m->rc = clefi_ctx_error(m->ctx, CLEF_ERR_FORMAT,
                                "tokenizer '%s': metadata '%s' = %g is "
                                "not in (0, 1e6)",
                                m->path, key, x);
    return m->rc == CLEF_OK ? (float)x : 0.0f;
}

static void meta_expect(meta_reader *m, const char *key, const char *want) {
    const char *v = meta_str(m, key);
    if (v != NULL && strcmp(v, want) != 0)
        m->rc = clefi_ctx_error(m->ctx, CLEF_ERR_UNSUPPORTED,
                                "tokenizer '%s': metadata '%s' = "
                                "'%s', expected '%s'",
                                m->path, key, v, want);
}

static void meta_derived(meta_reader *m, const char *key, int32_t want) {
    int32_t v = meta_int(m, key, 0);
    if (m->rc == CLEF_OK && v != want)
        m->rc = clefi_ctx_error(m->ctx, CLEF_ERR_FORMAT,
                                "tokenizer '%s': metadata '%s' = %d, "
                                "the architecture gives %d",
                                m->path, key, (int)v, (int)want);
}

static int has_component(const char *list, const char *name) {
    size_t n = strlen(name);
    for (const char *p = list; p != NULL; p = strchr(p, ',')) {
        p += *p == ',';
        if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return 1;
    }
    return 0;
}

static clef_status cfg_from_meta(meta_reader *m, clefi_tok_cfg *c) {
    meta_expect(m, "clef.format", "1");
    const char *comp = meta_str(m, "clef.components");
    if (comp != NULL && !has_component(comp, "tok"))
        m->rc = clefi_ctx_error(m->ctx, CLEF_ERR_NOT_FOUND,
                                "tokenizer '%s': clef.components "
                                "'%s' has no 'tok'",
                                m->path, comp);
    meta_expect(m, "clef.tok.arch", "vqgan-1");
    meta_expect(m, "clef.tok.token_order", "f,t");
    meta_expect(m, "clef.tok.pad", "zero");
    *c = (clefi_tok_cfg){
        .in_ch = meta_int(m, "clef.tok.in_channels", CLEF_P_TOK_IN_CHANNELS),
        .n_freq = meta_int(m, "clef.tok.n_freq", CLEF_P_TOK_N_FREQ),
        .crop_t = meta_int(m, "clef.tok.crop_t", CLEF_P_TOK_CROP_T),
        .time_stride = meta_int(m, "clef.tok.time_stride", CLEF_P_TOK_TIME_STRIDE),
        .ch = meta_int(m, "clef.tok.ch", CLEF_P_TOK_CH),
        .n_res = meta_int(m, "clef.tok.n_res_blocks", CLEF_P_TOK_N_RES_BLOCKS),
        .gn_groups = meta_int(m, "clef.tok.gn_groups", CLEF_P_TOK_GN_GROUPS),
        .codebook_size = meta_int(m, "clef.tok.codebook_size", CLEF_P_TOK_CODEBOOK_SIZE),
        .code_dim = meta_int(m, "clef.tok.code_dim", CLEF_P_TOK_CODE_DIM),
        .gn_eps = meta_float(m, "clef.tok.gn_eps"),
        .db_scale = meta_float(m, "clef.tok.db_scale"),
    };
    const char *mult = meta_str(m, "clef.tok.ch_mult");
    if (mult != NULL && !parse_mult(mult, c))
        m->rc = clefi_ctx_error(m->ctx, CLEF_ERR_FORMAT,
                                "tokenizer '%s': clef.tok.ch_mult '%s' "
                                "is not a list of 1 to 6 integers in [1, 64]",
                                m->path, mult);
    /* session-mean tokens are optional: weights without them code the image alone */
    const char *has_mean = NULL;
    if (m->rc == CLEF_OK &&
        clef_weights_meta_get(m->w, "clef.tok.mean_tokens", &has_mean) == CLEF_OK) {
        c->n_mean = meta_int(m, "clef.tok.mean_tokens", 0);
        c->mean_levels = meta_int(m, "clef.tok.mean_levels", 0);
        c->mean_full = meta_int(m, "clef.tok.mean_full", 0);
        meta_expect(m, "clef.tok.mean_coder", "pca-power-2");
    }
    if (m->rc == CLEF_OK)
        m->rc = check_cfg(m->ctx, c, m->path);
    meta_derived(m, "clef.tok.crop_f", c->n_freq);
    meta_derived(m, "clef.tok.grid_f", c->grid_f);
    meta_derived(m, "clef.tok.grid_t", c->grid_t);
    meta_derived(m, "clef.tok.n_tokens", c->grid_f * c->grid_t + c->n_mean);
    if (m->rc == CLEF_OK)
        m->rc = clefi_tok_spec_from_weights(m->ctx, m->w, m->path, &c->spec);
    return m->rc;
}

clef_status clefi_tok_cfg_from_weights(clef_ctx *ctx, clef_weights *w, const char *path,
                                       clefi_tok_cfg *cfg) {
    meta_reader m = {.ctx = ctx, .w = w, .path = path, .rc = CLEF_OK};
    return cfg_from_meta(&m, cfg);
}

/* Bind the model's tensors and the session-mean coder's; every tensor of the file must be one
 * of them. */
static clef_status bind_all(clef_weights *w, clef_tokenizer *tok, clef_ctx *ctx) {
    size_t n = (size_t)clef_weights_n_tensors(w);
    unsigned char *seen = clefi_calloc(ctx, n ? n : 1, 1);
    if (seen == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "tokenizer: no memory binding the weights");
    clef_status rc = clefi_weights_bind_check(w, &tok->lay, NULL, seen, &ctx->err);
    if (rc == CLEF_OK)
        rc = clefi_weights_bind_check(w, &tok->mean.lay, NULL, seen, &ctx->err);
    if (rc == CLEF_OK)
        rc = clefi_weights_check_extra(w, seen, "", &ctx->err);
    clefi_free(ctx, seen);
    if (rc == CLEF_OK) {
        clefi_weights_bind_copy(w, &tok->lay, NULL, tok->flat);
        clefi_weights_bind_copy(w, &tok->mean.lay, NULL, tok->mean.buf);
    }
    return rc;
}

clef_status clefi_tok_load_weights(clef_tokenizer **out, clef_ctx *ctx, clef_weights *w,
                                   const char *path) {
    *out = NULL;
    clefi_tok_cfg cfg;
    clef_tokenizer *tok = NULL;
    clef_status rc = clefi_tok_cfg_from_weights(ctx, w, path, &cfg);
    if (rc == CLEF_OK)
        rc = tok_alloc(&tok, ctx, &cfg);
    if (rc == CLEF_OK)
        rc = bind_all(w, tok, ctx);
    const clefi_layout *lays[2] = {tok ? &tok->lay : NULL, tok ? &tok->mean.lay : NULL};
    const float *bufs[2] = {tok ? tok->flat : NULL, tok ? tok->mean.buf : NULL};
    for (int g = 0; rc == CLEF_OK && g < 2; g++)
        for (size_t i = 0; rc == CLEF_OK && i < lays[g]->n; i++) {
            const float *x = bufs[g] + lays[g]->t[i].offset;
            for (size_t k = 0; k < lays[g]->t[i].numel; k++)
                if (!isfinite(x[k])) {
                    rc = clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                                         "tokenizer '%s': tensor '%s' has a "
                                         "non-finite value at %zu",
                                         path, lays[g]->t[i].name, k);
                    break;
                }
        }
    for (int32_t k = 0; rc == CLEF_OK && k < clefi_tok_mean_components(&cfg); k++)
        if (!(tok->mean.scale[k] > 0.0f))
            rc = clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                                 "tokenizer '%s': mean.scale[%d] = %g is not positive", path,
                                 (int)k, (double)tok->mean.scale[k]);
    if (rc != CLEF_OK) {
        clef_tokenizer_free(tok);
        return rc;
    }
    clefi_tok_wino_refresh(tok);
    *out = tok;
    return CLEF_OK;
}

clef_status clef_tokenizer_load(clef_tokenizer **out, clef_ctx *ctx, const char *path) {
    clefi_reset(ctx);
    char def[4096];
    if (out != NULL && ctx != NULL && path == NULL &&
        clefi_model_path_or_default(ctx, NULL, CLEF_MODEL_TOKENIZER, def, sizeof def, &path) !=
            CLEF_OK) {
        *out = NULL;
        return ctx->err.code;
    }
    if (out == NULL || ctx == NULL || path == NULL)
        return ctx != NULL ? clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                                             "tokenizer_load: NULL "
                                             "argument")
                           : CLEF_ERR_INVALID_ARG;
    *out = NULL;
    clefi_err_clear(&ctx->err);
    clef_weights *w = NULL;
    clef_tokenizer *tok = NULL;
    clef_status rc = clef_weights_open(&w, ctx, path);
    if (rc == CLEF_OK)
        rc = clefi_tok_load_weights(&tok, ctx, w, path);
    clef_weights_free(w);
    /* whole sessions: weights trained on short crops serve the session image (the network is
     * fully convolutional), so no caller can encode a session as one short crop by mistake */
    int64_t frames = clef_tokenizer_session_frames(tok);
    if (rc == CLEF_OK && tok->cfg.crop_t != frames) {
        clef_tokenizer *whole = NULL;
        rc = clef_tokenizer_clone_crop(&whole, tok, ctx, frames);
        clef_tokenizer_free(tok);
        tok = whole;
    }
    /* the identity an encoder's weights name (clef_tokenizer_sha256) */
    if (rc == CLEF_OK && clefi_sha256_file_hex(path, tok->sha256) != CLEF_OK)
        rc = clefi_ctx_error(ctx, CLEF_ERR_IO, "tokenizer '%s': cannot read it again to hash it",
                             path);
    if (rc != CLEF_OK) {
        clef_tokenizer_free(tok);
        tok = NULL;
    }
    if (rc == CLEF_OK)
        *out = tok;
    return rc;
}

/* ---- save ---- */

void clefi_tok_meta_fill(const clefi_tok_cfg *c, clefi_tok_meta *m) {
    static const char *const fixed[][2] = {{"clef.format", "1"},
                                           {"clef.components", "tok"},
                                           {"clef.tok.arch", "vqgan-1"},
                                           {"clef.tok.token_order", "f,t"},
                                           {"clef.tok.pad", "zero"}};
    static const char *const int_keys[] = {
        "clef.tok.in_channels",  "clef.tok.n_freq",      "clef.tok.crop_f",
        "clef.tok.crop_t",       "clef.tok.time_stride", "clef.tok.ch",
        "clef.tok.n_res_blocks", "clef.tok.gn_groups",   "clef.tok.codebook_size",
        "clef.tok.code_dim",     "clef.tok.grid_f",      "clef.tok.grid_t",
        "clef.tok.n_tokens"};
    const int32_t ints[] = {c->in_ch,
                            c->n_freq,
                            c->n_freq,
                            c->crop_t,
                            c->time_stride,
                            c->ch,
                            c->n_res,
                            c->gn_groups,
                            c->codebook_size,
                            c->code_dim,
                            c->grid_f,
                            c->grid_t,
                            c->grid_f * c->grid_t + c->n_mean};
    size_t n = 0;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++, n++) {
        m->kv[2 * n] = fixed[i][0];
        m->kv[2 * n + 1] = fixed[i][1];
    }
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++, n++) {
        snprintf(m->val[i], sizeof m->val[i], "%d", (int)ints[i]);
        m->kv[2 * n] = int_keys[i];
        m->kv[2 * n + 1] = m->val[i];
    }
    m->val[13][0] = '\0';
    for (int32_t i = 0; i < c->n_levels; i++)
        snprintf(m->val[13] + strlen(m->val[13]), sizeof m->val[13] - strlen(m->val[13]),
                 i ? ",%d" : "%d", (int)c->mult[i]);
    clefi_snprintf(m->val[14], sizeof m->val[14], "%.9g", (double)c->gn_eps);
    clefi_snprintf(m->val[15], sizeof m->val[15], "%.9g", (double)c->db_scale);
    static const char *const str_keys[] = {"clef.tok.ch_mult", "clef.tok.gn_eps",
                                           "clef.tok.db_scale"};
    for (size_t i = 0; i < 3; i++, n++) {
        m->kv[2 * n] = str_keys[i];
        m->kv[2 * n + 1] = m->val[13 + i];
    }
    if (c->n_mean > 0) {
        snprintf(m->val[16], sizeof m->val[16], "%d", (int)c->n_mean);
        snprintf(m->val[17], sizeof m->val[17], "%d", (int)c->mean_levels);
        snprintf(m->val[18], sizeof m->val[18], "%d", (int)c->mean_full);
        const char *const mk[] = {
            "clef.tok.mean_tokens", m->val[16], "clef.tok.mean_levels", m->val[17],
            "clef.tok.mean_full",   m->val[18], "clef.tok.mean_coder",  "pca-power-2"};
        for (size_t i = 0; i < 4; i++, n++) {
            m->kv[2 * n] = mk[2 * i];
            m->kv[2 * n + 1] = mk[2 * i + 1];
        }
    }
    m->n = n;
    clefi_tok_spec_meta_fill(&c->spec, m);
}

clef_status clef_tokenizer_save(const clef_tokenizer *tok, clef_ctx *ctx, const char *path) {
    clefi_reset(ctx);
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (tok == NULL || path == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "tokenizer_save: NULL argument");
    clefi_tok_meta meta;
    clefi_tok_meta_fill(&tok->cfg, &meta);
    const clefi_model_group g[2] = {{&tok->lay, tok->flat}, {&tok->mean.lay, tok->mean.buf}};
    return clefi_model_save(ctx, path, "tokenizer_save", meta.kv, meta.n, g, 2);
}

clef_status clef_tokenizer_clone_crop(clef_tokenizer **out, const clef_tokenizer *tok,
                                      clef_ctx *ctx, int64_t crop_t) {
    clefi_reset(ctx);
    if (out == NULL || ctx == NULL || tok == NULL)
        return ctx != NULL ? clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                                             "tokenizer_clone_crop: "
                                             "NULL argument")
                           : CLEF_ERR_INVALID_ARG;
    *out = NULL;
    double lo = 0.0, hi = 0.0;
    clef_param_bounds(CLEF_P_TOK_CROP_T, &lo, &hi);
    if ((double)crop_t < lo || (double)crop_t > hi)
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE,
                               "tokenizer_clone_crop: crop_t %lld is not "
                               "in [%.0f, %.0f]",
                               (long long)crop_t, lo, hi);
    clefi_tok_cfg cfg = tok->cfg;
    cfg.crop_t = (int32_t)crop_t;
    clef_status rc = check_cfg(ctx, &cfg, "clone_crop");
    clef_tokenizer *t = NULL;
    if (rc == CLEF_OK)
        rc = tok_alloc(&t, ctx, &cfg);
    if (rc != CLEF_OK)
        return rc;
    /* fully convolutional: the same weights serve any image width */
    memcpy(t->flat, tok->flat, tok->lay.total * sizeof(float));
    memcpy(t->wino, tok->wino, tok->wino_total * sizeof(float));
    if (tok->mean.buf != NULL)
        memcpy(t->mean.buf, tok->mean.buf, tok->mean.lay.total * sizeof(float));
    memcpy(t->sha256, tok->sha256, sizeof t->sha256);
    *out = t;
    return CLEF_OK;
}
