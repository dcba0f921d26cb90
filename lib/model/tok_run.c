/* tok_run.c — tokenizer forward passes: encode (spectrogram -> ids, latents), decode (ids ->
 * spectrogram), and the shape getters.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * The handle is read-only here; activations, scratch and threads are the call's session's, so
 * one tokenizer serves many threads at once (one session each). */
#include "model_int.h"

#include <string.h>

/* One call's working memory, in the session's tokenizer slot: three feature maps (x: the
 * stream, t and h: block temporaries), the padded input image when encoding, the per-thread conv
 * scratch and the code-search scratch. */
typedef struct run {
    clefi_fwd fw;
    float *x, *t, *h, *img, *vq;
} run;

static clef_status run_open(run *r, const clef_tokenizer *tok, clef_session *s, const char *what,
                            size_t img_floats, size_t vq_floats) {
    *r = (run){0};
    size_t n_threads = (size_t)clefi_pool_size(s->pool), scratch = 0, total = 0;
    if (clefi_mul_overflow(tok->scratch_per, n_threads, &scratch) ||
        clefi_mul_overflow(tok->max_act, 3, &total) ||
        clefi_add_overflow(total, img_floats, &total) ||
        clefi_add_overflow(total, vq_floats, &total) ||
        clefi_add_overflow(total, scratch, &total) ||
        clefi_mul_overflow(total, sizeof(float), &total))
        return clefi_session_error(s, CLEF_ERR_OVERFLOW, "%s: working memory size overflows", what);
    r->x = clefi_session_slot(s, CLEFI_SLOT_TOK, total);
    if (r->x == NULL)
        return CLEF_ERR_NOMEM; /* message on the session */
    r->t = r->x + tok->max_act;
    r->h = r->t + tok->max_act;
    r->img = r->h + tok->max_act;
    r->vq = r->img + img_floats;
    r->fw.scratch = r->vq + vq_floats;
    r->fw.scratch_per = tok->scratch_per;
    r->fw.block_pos = CLEFI_TOK_BLOCK_POS;
    r->fw.pool = s->pool;
    return CLEF_OK;
}

static void swap(float **a, float **b) {
    float *t = *a;
    *a = *b;
    *b = t;
}

/* y [c][hw] = SiLU(GroupNorm(x)) (lib/nn; y != x). */
static void norm_silu(run *r, const clefi_gnorm *g, const float *x, size_t hw, float *y) {
    clefi_groupnorm_silu_forward(r->fw.pool, y, x, g->g, g->b, g->c, (int64_t)hw, g->groups,
                                 g->eps);
}

/* x [cin][hw] -> x [cout][hw] in place; t and h are temporaries of the same capacity. */
static void resblock(run *r, const clefi_resblock *b, int32_t height, int32_t width) {
    size_t hw = (size_t)height * (size_t)width;
    norm_silu(r, &b->n1, r->x, hw, r->t);
    clefi_conv_forward(&r->fw, &b->c1, r->t, height, width, r->h);
    norm_silu(r, &b->n2, r->h, hw, r->t);
    clefi_conv_forward(&r->fw, &b->c2, r->t, height, width, r->h);
    int64_t n = (int64_t)b->c2.cout * (int64_t)hw;
    if (b->has_nin) {
        clefi_conv_forward(&r->fw, &b->nin, r->x, height, width, r->t);
        clefi_residual_forward(r->fw.pool, r->x, r->t, r->h, n);
    } else {
        clefi_add_inplace(r->fw.pool, r->x, r->h, n);
    }
}

/* Encoder: r->img (space-to-depth, see clef_tokenizer_encode) -> z [code_dim][grid_f][grid_t]
 * in r->h. */
static void encoder(run *r, const clef_tokenizer *tok) {
    const clefi_tok_cfg *c = &tok->cfg;
    int32_t height = c->n_freq, width = c->grid_t;
    /* conv_in (3, ts) stride (1, ts) = (3, 1) conv of the space-to-depth image */
    clefi_wino_h_forward(r->fw.pool, r->x, r->img, tok->e_in_wu, tok->e_conv_in.b,
                         (int64_t)c->in_ch * c->time_stride, c->ch, c->n_freq, c->grid_t,
                         r->fw.scratch, r->fw.scratch_per);
    for (int32_t i = 0; i < c->n_levels; i++) {
        for (int32_t k = 0; k < c->n_res; k++)
            resblock(r, &tok->e_blk[i][k], height, width);
        clefi_conv_forward(&r->fw, &tok->e_down[i], r->x, height, width, r->t);
        swap(&r->x, &r->t);
        height /= 2;
    }
    resblock(r, &tok->e_mid, height, width);
    norm_silu(r, &tok->e_norm_out, r->x, (size_t)height * (size_t)width, r->t);
    clefi_conv_forward(&r->fw, &tok->e_conv_out, r->t, height, width, r->h);
}

/* Decoder: z [code_dim][grid_f][grid_t] in r->x -> out [in_ch][n_freq][crop_t] in dB. */
static void decoder(run *r, const clef_tokenizer *tok, float *out) {
    const clefi_tok_cfg *c = &tok->cfg;
    int32_t height = c->grid_f, width = c->grid_t;
    clefi_conv_forward(&r->fw, &tok->d_conv_in, r->x, height, width, r->t);
    swap(&r->x, &r->t);
    resblock(r, &tok->d_mid, height, width);
    for (int32_t i = c->n_levels - 1; i >= 0; i--) {
        for (int32_t k = 0; k < c->n_res; k++)
            resblock(r, &tok->d_blk[i][k], height, width);
        clefi_upsample_forward(r->fw.pool, r->t, r->x, 1, tok->d_up[i].cin, height, width, 2, 1);
        height *= 2;
        clefi_conv_forward(&r->fw, &tok->d_up[i], r->t, height, width, r->x);
    }
    norm_silu(r, &tok->d_norm_out, r->x, (size_t)height * (size_t)width, r->t);
    clefi_convt_time_forward(&r->fw, &tok->d_conv_out, r->t, height, width, out);
    clefi_scale(r->fw.pool, out, (int64_t)c->in_ch * c->n_freq * c->crop_t, c->db_scale);
}

int64_t clef_tokenizer_n_tokens(const clef_tokenizer *tok) {
    return tok != NULL ? (int64_t)tok->cfg.grid_f * tok->cfg.grid_t + tok->cfg.n_mean : 0;
}

clef_status clef_tokenizer_mean_tokens(const clef_tokenizer *tok, int64_t *n_tokens,
                                       int64_t *n_levels) {
    if (tok == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (n_tokens != NULL)
        *n_tokens = tok->cfg.n_mean;
    if (n_levels != NULL)
        *n_levels = tok->cfg.n_mean > 0 ? tok->cfg.mean_levels : 0;
    return CLEF_OK;
}

int64_t clef_tokenizer_session_frames(const clef_tokenizer *tok) {
    if (tok == NULL)
        return 0;
    const clefi_tok_cfg *c = &tok->cfg;
    /* session-mean tokens take the place of whole token columns */
    int64_t cols = (c->n_mean + c->grid_f - 1) / c->grid_f;
    int64_t frames = CLEFI_TOK_SESSION_FRAMES - cols * c->time_stride;
    return frames >= c->time_stride ? frames : c->time_stride;
}

int64_t clef_tokenizer_mean_coefficients(const clef_tokenizer *tok) {
    return tok != NULL ? clefi_tok_mean_components(&tok->cfg) : 0;
}

clef_status clef_tokenizer_session_mean(const float *spec, int64_t n_channels, int64_t n_freq,
                                        int64_t n_frames, float *mean) {
    if (spec == NULL || mean == NULL || n_channels < 1 || n_freq < 1 || n_frames < 1)
        return CLEF_ERR_INVALID_ARG;
    clefi_tok_mean_rows(spec, (size_t)n_channels * (size_t)n_freq, (size_t)n_frames,
                        (size_t)n_frames, mean);
    return CLEF_OK;
}

int64_t clef_tokenizer_valid_columns(const clef_tokenizer *tok, int64_t n_frames) {
    if (tok == NULL || n_frames <= 0)
        return 0;
    int64_t cols = (n_frames + tok->cfg.time_stride - 1) / tok->cfg.time_stride;
    return cols < tok->cfg.grid_t ? cols : tok->cfg.grid_t;
}

clef_status clef_tokenizer_shape(const clef_tokenizer *tok, int64_t *n_channels, int64_t *n_freq,
                                 int64_t *crop_t, int64_t *grid_f, int64_t *grid_t) {
    if (tok == NULL)
        return CLEF_ERR_INVALID_ARG;
    const int64_t v[5] = {tok->cfg.in_ch, tok->cfg.n_freq, tok->cfg.crop_t, tok->cfg.grid_f,
                          tok->cfg.grid_t};
    int64_t *o[5] = {n_channels, n_freq, crop_t, grid_f, grid_t};
    for (int i = 0; i < 5; i++)
        if (o[i] != NULL)
            *o[i] = v[i];
    return CLEF_OK;
}

clef_status clef_tokenizer_codebook(const clef_tokenizer *tok, int64_t *codebook_size,
                                    int64_t *code_dim) {
    if (tok == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (codebook_size != NULL)
        *codebook_size = tok->cfg.codebook_size;
    if (code_dim != NULL)
        *code_dim = tok->cfg.code_dim;
    return CLEF_OK;
}

/* The encoder's input image: spectrogram rows (ci, f) scaled to [-1, 1], padded with zeros
 * (0 dB) or cut to crop_t frames, stored space-to-depth for conv_in:
 * img[ci * ts + kx][f][ox] = frame ox * ts + kx. */
typedef struct img_job {
    const clefi_tok_cfg *c;
    const float *spec;
    const float *mhat; /* [in_ch * n_freq] dB subtracted from the data frames, or NULL */
    float *img;
    size_t n_frames, t_in;
} img_job;

static void img_rows(void *arg, int64_t begin, int64_t end, int32_t tid) {
    (void)tid;
    const img_job *j = arg;
    size_t ts = (size_t)j->c->time_stride, gt = (size_t)j->c->grid_t, nf = (size_t)j->c->n_freq;
    float inv = 1.0f / j->c->db_scale;
    for (size_t row = (size_t)begin; row < (size_t)end; row++) {
        size_t ci = row / nf, f = row % nf;
        const float *src = j->spec + row * j->n_frames;
        float off = j->mhat != NULL ? j->mhat[row] : 0.0f;
        for (size_t kx = 0; kx < ts; kx++) {
            float *dst = j->img + ((ci * ts + kx) * nf + f) * gt;
            size_t n_real = j->t_in > kx ? (j->t_in - kx + ts - 1) / ts : 0; /* ox*ts+kx < t_in */
            for (size_t ox = 0; ox < n_real; ox++)
                dst[ox] = (src[ox * ts + kx] - off) * inv;
            memset(dst + n_real, 0, (gt - n_real) * sizeof *dst);
        }
    }
}

clef_status clefi_tok_encode_run(const clef_tokenizer *tok, clef_session *s, const float *spec,
                                 int64_t n_channels, int64_t n_freq, int64_t n_frames, int32_t *ids,
                                 size_t ids_cap, float *latents, size_t latents_cap,
                                 size_t *needed) {
    if (tok == NULL || spec == NULL || ids == NULL)
        return clefi_session_error(s, CLEF_ERR_INVALID_ARG,
                                   "tokenizer_encode: tok (%s), spec (%s) and ids (%s) must not "
                                   "be NULL",
                                   tok ? "given" : "NULL", spec ? "given" : "NULL",
                                   ids ? "given" : "NULL");
    const clefi_tok_cfg *c = &tok->cfg;
    size_t n_tok = (size_t)c->grid_f * (size_t)c->grid_t, n_all = n_tok + (size_t)c->n_mean;
    size_t n_mean_lat = c->n_mean > 0 ? (size_t)clefi_tok_mean_components(c) + 1 : 0;
    size_t n_lat = n_tok * (size_t)c->code_dim + n_mean_lat;
    if (needed != NULL)
        *needed = n_all;
    if (n_channels != c->in_ch || n_freq != c->n_freq)
        return clefi_session_error(s, CLEF_ERR_SHAPE,
                                   "tokenizer_encode: spectrogram is %lld "
                                   "channels x %lld bins, the tokenizer takes %d x %d",
                                   (long long)n_channels, (long long)n_freq, (int)c->in_ch,
                                   (int)c->n_freq);
    if (n_frames < 1)
        return clefi_session_error(s, CLEF_ERR_INVALID_ARG, "tokenizer_encode: n_frames %lld < 1",
                                   (long long)n_frames);
    if (ids_cap < n_all || (latents != NULL && latents_cap < n_lat))
        return clefi_session_error(s, CLEF_ERR_BUFFER_TOO_SMALL,
                                   "tokenizer_encode: ids need %zu "
                                   "entries (latents %zu floats)",
                                   n_all, n_lat);
    size_t img = (size_t)c->in_ch * (size_t)c->n_freq * (size_t)c->crop_t;
    size_t dim = (size_t)c->in_ch * (size_t)c->n_freq;
    size_t t_in = (size_t)(n_frames < c->crop_t ? n_frames : c->crop_t);
    run r;
    clef_status rc = run_open(&r, tok, s, "tokenizer_encode", img + (c->n_mean > 0 ? 2 * dim : 0),
                              clefi_vq_scratch(c->codebook_size, clefi_pool_size(s->pool)));
    if (rc != CLEF_OK)
        return rc;
    float *mhat = NULL;
    if (c->n_mean > 0) { /* the session mean first: the network codes the rest */
        float *m = r.img + img;
        mhat = m + dim;
        clefi_tok_mean_rows(spec, dim, (size_t)n_frames, t_in, m);
        double *work = clefi_session_slot(s, CLEFI_SLOT_TOK_MEAN, clefi_tok_mean_work(tok));
        if (work == NULL)
            return CLEF_ERR_NOMEM; /* message on the session */
        rc = clefi_tok_mean_encode(
            tok, s->ctx, work, m, (int32_t)clef_tokenizer_valid_columns(tok, n_frames), ids + n_tok,
            latents != NULL ? latents + n_tok * (size_t)c->code_dim : NULL, mhat);
        if (rc != CLEF_OK)
            return clefi_session_error(s, rc, "tokenizer_encode: the session mean failed");
    }
    img_job ij = {.c = c,
                  .spec = spec,
                  .mhat = mhat,
                  .img = r.img,
                  .n_frames = (size_t)n_frames,
                  .t_in = t_in};
    clefi_pool_for(r.fw.pool, (int64_t)c->in_ch * c->n_freq, img_rows, &ij);
    encoder(&r, tok);
    if (latents != NULL)
        memcpy(latents, r.h, n_tok * (size_t)c->code_dim * sizeof *latents);
    /* lib/nn's code search takes z as (N, D): transpose the [D][N] latents into t */
    for (size_t d = 0; d < (size_t)c->code_dim; d++)
        for (size_t n = 0; n < n_tok; n++)
            r.t[n * (size_t)c->code_dim + d] = r.h[d * n_tok + n];
    clefi_vq_forward(r.fw.pool, r.x, ids, r.t, tok->codebook, (int64_t)n_tok, c->codebook_size,
                     c->code_dim, r.vq);
    return CLEF_OK;
}

clef_status clef_tokenizer_encode(const clef_tokenizer *tok, clef_session *s, const float *spec,
                                  int64_t n_channels, int64_t n_freq, int64_t n_frames,
                                  int32_t *ids, size_t ids_cap, float *latents, size_t latents_cap,
                                  size_t *needed) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    return clefi_tok_encode_run(tok, s, spec, n_channels, n_freq, n_frames, ids, ids_cap, latents,
                                latents_cap, needed);
}

clef_status clef_tokenizer_decode(const clef_tokenizer *tok, clef_session *s, const int32_t *ids,
                                  size_t n_ids, float *out, size_t out_cap, size_t *needed) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    if (tok == NULL || ids == NULL || out == NULL)
        return clefi_session_error(s, CLEF_ERR_INVALID_ARG,
                                   "tokenizer_decode: tok (%s), ids (%s) and out (%s) must not "
                                   "be NULL",
                                   tok ? "given" : "NULL", ids ? "given" : "NULL",
                                   out ? "given" : "NULL");
    const clefi_tok_cfg *c = &tok->cfg;
    size_t n_tok = (size_t)c->grid_f * (size_t)c->grid_t, n_all = n_tok + (size_t)c->n_mean;
    size_t n_out = (size_t)c->in_ch * (size_t)c->n_freq * (size_t)c->crop_t;
    if (needed != NULL)
        *needed = n_out;
    if (n_ids != n_all)
        return clefi_session_error(s, CLEF_ERR_SHAPE,
                                   "tokenizer_decode: %zu ids, the tokenizer "
                                   "decodes %zu",
                                   n_ids, n_all);
    if (out_cap < n_out)
        return clefi_session_error(s, CLEF_ERR_BUFFER_TOO_SMALL,
                                   "tokenizer_decode: out needs %zu "
                                   "floats, has %zu",
                                   n_out, out_cap);
    for (size_t i = 0; i < n_tok; i++)
        if (ids[i] < 0 || ids[i] >= c->codebook_size)
            return clefi_session_error(s, CLEF_ERR_RANGE,
                                       "tokenizer_decode: ids[%zu] = %d is not "
                                       "in [0, %d)",
                                       i, (int)ids[i], (int)c->codebook_size);
    for (size_t i = n_tok; i < n_all; i++)
        if (ids[i] < c->codebook_size || ids[i] - c->codebook_size >= c->mean_levels)
            return clefi_session_error(s, CLEF_ERR_RANGE,
                                       "tokenizer_decode: ids[%zu] = %d (a session-mean token) is "
                                       "not in [%d, %d)",
                                       i, (int)ids[i], (int)c->codebook_size,
                                       (int)(c->codebook_size + c->mean_levels));
    size_t dim = (size_t)c->in_ch * (size_t)c->n_freq;
    run r;
    clef_status rc = run_open(&r, tok, s, "tokenizer_decode", c->n_mean > 0 ? dim : 0, 0);
    if (rc != CLEF_OK)
        return rc;
    for (size_t n = 0; n < n_tok; n++) {
        const float *e = tok->codebook + (size_t)ids[n] * (size_t)c->code_dim;
        for (size_t d = 0; d < (size_t)c->code_dim; d++)
            r.x[d * n_tok + n] = e[d];
    }
    decoder(&r, tok, out);
    if (c->n_mean > 0) { /* each row's mean power over the valid columns becomes M^ */
        uint64_t absent = 0;
        size_t frames = (size_t)clefi_tok_mean_decode(tok, ids + n_tok, r.img, &absent) *
                        (size_t)c->time_stride;
        clefi_tok_mean_apply(r.img, dim, (size_t)c->crop_t,
                             frames < (size_t)c->crop_t ? frames : (size_t)c->crop_t, out);
        /* absent (or flat) channels come back blank, as they went in */
        size_t plane = (size_t)c->n_freq * (size_t)c->crop_t;
        for (int32_t ch = 0; ch < c->in_ch && ch < 64; ch++)
            for (size_t i = 0; (absent >> ch & 1u) && i < plane; i++)
                out[(size_t)ch * plane + i] = (float)c->spec.db_min;
    }
    return CLEF_OK;
}
