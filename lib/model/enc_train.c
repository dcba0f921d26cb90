/* enc_train.c — session encoder pretraining by masked-token prediction (docs/encoder.md
 * "Pretraining"). SPDX-License-Identifier: BSD-3-Clause
 *
 * One session at a time (micro-batches of one, gradients accumulated), so memory is that of
 * one session's activations whatever the batch. Each session of a step gets a mask rate from
 * MaskGIT's cosine schedule scaled to [mask_min, mask_max] and that share of its real grid
 * tokens replaced by [MASK]; the loss is the cross-entropy of the head's prediction of the
 * masked codes, averaged per session, then over the step's sessions. Every random draw comes
 * from (seed, step, position in the global batch), so a resumed run, a run on any thread count
 * and a data-parallel run draw the same batches and masks. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime: throughput in progress reports */
#include "model_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define ENC_SALT_BATCH 0x6261746368ull /* "batch" */
#define ENC_SALT_MASK  0x6d61736bull   /* "mask" */
#define ENC_SALT_CROP  0x63726f70ull   /* "crop" */
#define ENC_SALT_VAL   0x76616cull     /* "val" */
#define ENC_SALT_MEAN  0x6d65616eull   /* "mean" */
#define SEED_BYTES     8

typedef struct ids_set {
    int32_t *ids; /* n x n_tokens */
    int64_t n, cap;
} ids_set;

/* Work buffers of one session's forward and backward (sized for a whole session). */
typedef struct enc_work {
    clefi_block_acts acts[CLEFI_ENC_MAX_LAYERS];
    float *acts_buf, *x, *y, *stats, *dy, *dcur, *dnext, *hsel, *dhsel, *logits, *probs;
    int32_t *wids, *pos_a, *pos_b, *targets, *midx, *cand;
    uint8_t *type, *key_pad;
    /* masked session-mean tokens: positions, target values (2 each, vn[k] of them used),
     * predictions, their states and gradients */
    int64_t n_vmask;
    int32_t *vidx, *vn;
    float *vtgt, *vpred, *vsel, *dvsel;
} enc_work;

struct clef_encoder_trainer {
    clef_ctx *ctx;
    clefi_err err;
    clef_session *sess;
    clef_encoder *enc, *ema, *grad; /* grad: an encoder whose flat buffer holds the gradients */
    float *m, *v;                   /* AdamW moments */
    float *gbuf;                    /* gradients + 2 (loss, accuracy) for the reducer */
    float *gpart;                   /* emulated ranks (no reducer, world > 1): one rank's part */
    /* settings */
    int64_t batch, steps_total, ckpt_every, val_every, max_sessions;
    double lr, lr_min_frac, warmup_frac, wd, beta1, beta2, eps, clip, ema_decay, mask_min, mask_max;
    double mean_weight;
    int32_t crop_cols;
    uint64_t seed;
    int64_t step;
    ids_set data[2]; /* train, val */
    clef_grad_reduce_fn reduce;
    void *reduce_user;
    int32_t rank, world;
    enc_work w;
    int32_t *perm; /* the training order of epoch perm_epoch */
    int64_t perm_epoch;
};

static clef_status nomem(clef_encoder_trainer *tr, const char *what) {
    return clefi_error(tr->ctx, &tr->err, CLEF_ERR_NOMEM, "encoder trainer: no memory (%s)", what);
}

static void settings(clef_encoder_trainer *tr, const clef_params *p) {
    tr->batch = clefi_params_i64(p, CLEF_P_PRETRAIN_BATCH);
    tr->steps_total = clefi_params_i64(p, CLEF_P_PRETRAIN_STEPS);
    tr->lr = clefi_params_f64(p, CLEF_P_PRETRAIN_LR);
    tr->lr_min_frac = clefi_params_f64(p, CLEF_P_PRETRAIN_LR_MIN_FRAC);
    tr->warmup_frac = clefi_params_f64(p, CLEF_P_PRETRAIN_WARMUP_FRAC);
    tr->wd = clefi_params_f64(p, CLEF_P_PRETRAIN_WEIGHT_DECAY);
    tr->beta1 = clefi_params_f64(p, CLEF_P_PRETRAIN_BETA1);
    tr->beta2 = clefi_params_f64(p, CLEF_P_PRETRAIN_BETA2);
    tr->eps = clefi_params_f64(p, CLEF_P_PRETRAIN_EPS);
    tr->clip = clefi_params_f64(p, CLEF_P_PRETRAIN_GRAD_CLIP);
    tr->ema_decay = clefi_params_f64(p, CLEF_P_PRETRAIN_EMA_DECAY);
    tr->mask_min = clefi_params_f64(p, CLEF_P_PRETRAIN_MASK_MIN);
    tr->mask_max = clefi_params_f64(p, CLEF_P_PRETRAIN_MASK_MAX);
    tr->mean_weight = clefi_params_f64(p, CLEF_P_PRETRAIN_MEAN_WEIGHT);
    tr->crop_cols = (int32_t)clefi_params_i64(p, CLEF_P_PRETRAIN_CROP_COLS);
    tr->ckpt_every = clefi_params_i64(p, CLEF_P_PRETRAIN_CHECKPOINT_EVERY);
    tr->val_every = clefi_params_i64(p, CLEF_P_PRETRAIN_VAL_EVERY);
    tr->max_sessions = clefi_params_i64(p, CLEF_P_PRETRAIN_MAX_SESSIONS);
    tr->seed = (uint64_t)clefi_params_i64(p, CLEF_P_PRETRAIN_SEED);
}

static clef_status work_alloc(clef_encoder_trainer *tr) {
    const clefi_enc_cfg *c = &tr->enc->cfg;
    enc_work *w = &tr->w;
    size_t nt = (size_t)clefi_enc_n_tokens(c), d = (size_t)c->d, K = (size_t)c->codebook_size;
    clefi_block_dims dims = clefi_enc_dims(c, (int64_t)nt);
    size_t per = clefi_block_acts_floats(&dims, tr->sess->n_threads, 1);
    if (per == SIZE_MAX || per > SIZE_MAX / 4 / (size_t)c->n_layers)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_OVERFLOW, "encoder trainer: too large");
    if ((w->acts_buf = clefi_calloc(tr->ctx, per * (size_t)c->n_layers, sizeof(float))) == NULL)
        return nomem(tr, "activations");
    for (int32_t l = 0; l < c->n_layers; l++)
        clefi_block_acts_at(&w->acts[l], w->acts_buf + (size_t)l * per, &dims, tr->sess->n_threads,
                            1);
    float **f[] = {&w->x,     &w->y,    &w->dy,    &w->dcur, &w->dnext, &w->hsel,
                   &w->dhsel, &w->vsel, &w->dvsel, &w->vtgt, &w->vpred};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if ((*f[i] = clefi_calloc(tr->ctx, nt * d, sizeof(float))) == NULL)
            return nomem(tr, "states");
    if ((w->stats = clefi_calloc(tr->ctx, 2 * nt, sizeof(float))) == NULL ||
        (w->logits = clefi_calloc(tr->ctx, nt * K, sizeof(float))) == NULL ||
        (w->probs = clefi_calloc(tr->ctx, nt * K, sizeof(float))) == NULL)
        return nomem(tr, "logits");
    int32_t **g[] = {&w->wids, &w->pos_a, &w->pos_b, &w->targets,
                     &w->midx, &w->cand,  &w->vidx,  &w->vn};
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++)
        if ((*g[i] = clefi_calloc(tr->ctx, nt, sizeof(int32_t))) == NULL)
            return nomem(tr, "token window");
    if ((w->type = clefi_calloc(tr->ctx, nt, 1)) == NULL ||
        (w->key_pad = clefi_calloc(tr->ctx, nt, 1)) == NULL)
        return nomem(tr, "token window");
    return CLEF_OK;
}

static void work_free(clef_ctx *ctx, enc_work *w) {
    void *p[] = {w->acts_buf, w->x,     w->y,      w->stats, w->dy,      w->dcur,  w->dnext,
                 w->hsel,     w->dhsel, w->logits, w->probs, w->wids,    w->pos_a, w->pos_b,
                 w->targets,  w->midx,  w->cand,   w->type,  w->key_pad, w->vidx,  w->vn,
                 w->vtgt,     w->vpred, w->vsel,   w->dvsel};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
        clefi_free(ctx, p[i]);
}

/* A trainer around an allocated encoder (weights set by the caller). */
static clef_status trainer_new(clef_encoder_trainer **out, clef_ctx *ctx, const clefi_enc_cfg *cfg,
                               const clef_params *train, int32_t n_threads) {
    *out = NULL;
    clef_params *def = NULL;
    if (train == NULL) {
        clef_status rc = clef_params_create(&def, ctx, CLEF_PARAMS_PRETRAIN);
        if (rc != CLEF_OK)
            return rc;
        train = def;
    } else if (clef_params_kind(train) != CLEF_PARAMS_PRETRAIN) {
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                               "encoder trainer: train is a parameter set of kind %d, not "
                               "CLEF_PARAMS_PRETRAIN",
                               (int)clef_params_kind(train));
    }
    clef_encoder_trainer *tr = clefi_calloc(ctx, 1, sizeof *tr);
    if (tr == NULL) {
        clef_params_free(def);
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "encoder trainer: no memory");
    }
    tr->ctx = clefi_ctx_retain(ctx);
    settings(tr, train);
    clef_params_free(def);
    tr->world = 1;
    tr->perm_epoch = -1;
    clef_status rc =
        tr->mask_min <= tr->mask_max
            ? CLEF_OK
            : clefi_ctx_error(ctx, CLEF_ERR_RANGE, "encoder trainer: mask_min %g > mask_max %g",
                              tr->mask_min, tr->mask_max);
    if (rc == CLEF_OK)
        rc = clef_session_create(&tr->sess, ctx, n_threads);
    if (rc == CLEF_OK)
        rc = clefi_enc_alloc(&tr->enc, ctx, cfg);
    if (rc == CLEF_OK && tr->ema_decay > 0.0)
        rc = clefi_enc_alloc(&tr->ema, ctx, cfg);
    if (rc == CLEF_OK)
        rc = clefi_enc_alloc(&tr->grad, ctx, cfg);
    size_t n = rc == CLEF_OK ? tr->enc->lay.total : 0;
    if (rc == CLEF_OK && ((tr->m = clefi_calloc(ctx, n, sizeof(float))) == NULL ||
                          (tr->v = clefi_calloc(ctx, n, sizeof(float))) == NULL ||
                          (tr->gbuf = clefi_calloc(ctx, n + 2, sizeof(float))) == NULL))
        rc = clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "encoder trainer: no memory for %zu weights", n);
    if (rc == CLEF_OK) {
        clefi_enc_bind(tr->grad, tr->gbuf); /* the gradient encoder views gbuf */
        rc = work_alloc(tr);
        if (rc != CLEF_OK)
            clefi_ctx_error(ctx, rc, "%s", tr->err.msg);
    }
    if (rc != CLEF_OK) {
        clef_encoder_trainer_free(tr);
        return rc;
    }
    *out = tr;
    return CLEF_OK;
}

clef_status clef_encoder_trainer_create(clef_encoder_trainer **out, clef_ctx *ctx,
                                        const clef_tokenizer *tok, const clef_params *arch,
                                        const clef_params *train, int32_t n_threads) {
    clefi_reset(ctx);
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (out == NULL || tok == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "encoder trainer: NULL argument");
    *out = NULL;
    if (tok->sha256[0] == '\0')
        return clefi_ctx_error(ctx, CLEF_ERR_STATE,
                               "encoder trainer: the tokenizer was not loaded from a weights "
                               "file, so the encoder could not name it (save and load it)");
    clefi_enc_cfg cfg;
    clef_status rc = clefi_enc_cfg_from(ctx, arch, tok, &cfg);
    if (rc == CLEF_OK)
        rc = trainer_new(out, ctx, &cfg, train, n_threads);
    if (rc != CLEF_OK)
        return rc;
    clefi_enc_trainer_init(*out);
    return CLEF_OK;
}

void clefi_enc_trainer_init(clef_encoder_trainer *tr) {
    clefi_enc_init(tr->enc, tr->seed);
    if (tr->ema != NULL)
        memcpy(tr->ema->flat, tr->enc->flat, tr->enc->lay.total * sizeof(float));
}

clef_status clefi_enc_trainer_new(clef_encoder_trainer **out, clef_ctx *ctx,
                                  const clefi_enc_cfg *cfg, const clef_params *train,
                                  int32_t n_threads) {
    clef_status rc = trainer_new(out, ctx, cfg, train, n_threads);
    if (rc == CLEF_OK)
        clefi_enc_trainer_init(*out);
    return rc;
}

void clef_encoder_trainer_free(clef_encoder_trainer *tr) {
    if (tr == NULL)
        return;
    clef_ctx *ctx = tr->ctx;
    work_free(ctx, &tr->w);
    for (int k = 0; k < 2; k++)
        clefi_free(ctx, tr->data[k].ids);
    clefi_free(ctx, tr->perm);
    clefi_free(ctx, tr->m);
    clefi_free(ctx, tr->v);
    if (tr->grad != NULL)
        clefi_enc_bind(tr->grad, tr->grad->flat); /* its own buffer, freed with it */
    clefi_free(ctx, tr->gbuf);
    clefi_free(ctx, tr->gpart);
    clef_encoder_free(tr->grad);
    clef_encoder_free(tr->ema);
    clef_encoder_free(tr->enc);
    clef_session_free(tr->sess);
    clefi_free(ctx, tr);
    clefi_ctx_release(ctx);
}

const char *clef_encoder_trainer_errmsg(const clef_encoder_trainer *tr) {
    return tr != NULL ? tr->err.msg : "invalid handle (NULL)";
}

clef_status clef_encoder_trainer_errcode(const clef_encoder_trainer *tr) {
    return tr != NULL ? tr->err.code : CLEF_ERR_INVALID_ARG;
}

int64_t clef_encoder_trainer_steps(const clef_encoder_trainer *tr) {
    return tr != NULL ? tr->step : 0;
}

int64_t clef_encoder_trainer_n_tokens(const clef_encoder_trainer *tr) {
    return tr != NULL ? clefi_enc_n_tokens(&tr->enc->cfg) : 0;
}

const clef_encoder *clef_encoder_trainer_encoder(clef_encoder_trainer *tr, int32_t ema) {
    if (tr == NULL)
        return NULL;
    return ema && tr->ema != NULL ? tr->ema : tr->enc;
}

/* ---- data ---- */

static clef_status trainer_add(clef_encoder_trainer *tr, const int32_t *ids, int64_t n,
                               int32_t split) {
    const clefi_enc_cfg *c = &tr->enc->cfg;
    size_t nt = (size_t)clefi_enc_n_tokens(c);
    for (int64_t i = 0; i < n; i++) {
        char why[128];
        if (clefi_enc_check_ids(c, ids + (size_t)i * nt, why, sizeof why) != CLEF_OK)
            return clefi_error(tr->ctx, &tr->err, CLEF_ERR_RANGE,
                               "encoder trainer: session %lld: %s", (long long)i, why);
    }
    ids_set *d = &tr->data[split == CLEF_SPLIT_VAL];
    if (d->n + n > d->cap) {
        int64_t cap = d->cap ? d->cap : 64;
        while (cap < d->n + n)
            cap *= 2;
        int32_t *p = clefi_realloc_array(tr->ctx, d->ids, (size_t)cap * nt, sizeof(int32_t));
        if (p == NULL)
            return nomem(tr, "sessions");
        d->ids = p;
        d->cap = cap;
    }
    memcpy(d->ids + (size_t)d->n * nt, ids, (size_t)n * nt * sizeof(int32_t));
    d->n += n;
    return CLEF_OK;
}

clef_status clef_encoder_trainer_add_tokens(clef_encoder_trainer *tr, const int32_t *ids,
                                            int64_t n_sessions, int32_t split) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    if ((ids == NULL && n_sessions > 0) || n_sessions < 0 ||
        (split != CLEF_SPLIT_TRAIN && split != CLEF_SPLIT_VAL))
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                           "encoder trainer: add_tokens needs ids, n_sessions >= 0 and split "
                           "CLEF_SPLIT_TRAIN or CLEF_SPLIT_VAL (got %d)",
                           (int)split);
    return trainer_add(tr, ids, n_sessions, split);
}

int64_t clef_encoder_trainer_sessions(const clef_encoder_trainer *tr, int32_t split) {
    if (tr == NULL || (split != CLEF_SPLIT_TRAIN && split != CLEF_SPLIT_VAL))
        return -1;
    return tr->data[split == CLEF_SPLIT_VAL].n;
}

clef_status clef_encoder_trainer_add_store(clef_encoder_trainer *tr, clef_store *store,
                                           const char *split) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    int32_t sp = split == NULL             ? 0
                 : !strcmp(split, "train") ? CLEF_SPLIT_TRAIN
                 : !strcmp(split, "val")   ? CLEF_SPLIT_VAL
                                           : 0;
    if (store == NULL || sp == 0)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                           "encoder trainer: add_store needs a store and split \"train\" or "
                           "\"val\"");
    const clefi_enc_cfg *c = &tr->enc->cfg;
    size_t nt = (size_t)clefi_enc_n_tokens(c);
    int64_t n = 0, added = 0, missing = 0;
    clef_status rc = clef_store_split_count(store, sp, &n);
    uint16_t *u16 = clefi_malloc(tr->ctx, nt * sizeof *u16);
    int32_t *ids = clefi_malloc(tr->ctx, nt * sizeof *ids);
    if (u16 == NULL || ids == NULL)
        rc = nomem(tr, "tokens");
    for (int64_t i = 0; rc == CLEF_OK && i < n; i++) {
        if (tr->max_sessions > 0 && added >= tr->max_sessions)
            break;
        char sid[256];
        size_t got = 0;
        rc = clef_store_split_session(store, sp, i, sid, sizeof sid, NULL);
        if (rc == CLEF_OK)
            rc = clef_store_artifact_get(store, sid, CLEF_ARTIFACT_TOKENS, c->tok_sha, u16,
                                         nt * sizeof *u16, &got);
        if (rc == CLEF_ERR_NOT_FOUND) {
            missing++;
            rc = CLEF_OK;
            continue;
        }
        if (rc == CLEF_OK && got != nt * sizeof *u16)
            rc = clefi_error(tr->ctx, &tr->err, CLEF_ERR_SHAPE,
                             "store: session %s has %zu token bytes, the encoder takes %zu ids",
                             sid, got, nt);
        else if (rc != CLEF_OK)
            rc = clefi_error(tr->ctx, &tr->err, rc, "store: %s", clef_store_errmsg(store));
        for (size_t k = 0; rc == CLEF_OK && k < nt; k++)
            ids[k] = u16[k];
        if (rc == CLEF_OK && (rc = trainer_add(tr, ids, 1, sp)) == CLEF_OK)
            added++;
    }
    clefi_free(tr->ctx, u16);
    clefi_free(tr->ctx, ids);
    if (rc == CLEF_OK && added == 0)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_NOT_FOUND,
                           "store: no session of split '%s' has tokens of tokenizer %.16s... "
                           "(%lld sessions; tokenize them first: clef tokenize --store DB -w "
                           "TOKENIZER)",
                           split, c->tok_sha, (long long)n);
    if (rc == CLEF_OK && missing > 0)
        clefi_log(tr->ctx, CLEF_LOG_WARN,
                  "store: %lld of %lld sessions of split '%s' have no tokens: left out",
                  (long long)missing, (long long)n, split);
    return rc;
}

/* One recording's ids through the tokenizer pipeline on the trainer's session; a recording
 * that cannot be read or tokenized is skipped with a warning (*ok = 0). */
static clef_status cohort_session(clef_encoder_trainer *tr, const clef_tokenizer *tok,
                                  const clef_spectrogram *sg, const char *path, int32_t *ids,
                                  int *ok) {
    clef_recording *rec = NULL;
    size_t nt = (size_t)clefi_enc_n_tokens(&tr->enc->cfg);
    clef_status rc = clef_recording_open(&rec, tr->ctx, path, NULL);
    const char *why = clef_ctx_errmsg(tr->ctx);
    if (rc == CLEF_OK) {
        rc = clef_tokenizer_encode_recording(tok, tr->sess, sg, rec, ids, nt, NULL, NULL);
        why = clef_session_errmsg(tr->sess);
    }
    *ok = rc == CLEF_OK;
    if (rc != CLEF_OK && rc != CLEF_ERR_NOMEM) {
        clefi_log(tr->ctx, CLEF_LOG_WARN, "%s: %s: skipped", path, why);
        rc = CLEF_OK;
    } else if (rc == CLEF_ERR_NOMEM) {
        rc = nomem(tr, path);
    }
    clef_recording_free(rec);
    return rc;
}

clef_status clef_encoder_trainer_add_cohort(clef_encoder_trainer *tr, const clef_tokenizer *tok,
                                            const char *dir, const char *split) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    int32_t sp = split == NULL             ? 0
                 : !strcmp(split, "train") ? CLEF_SPLIT_TRAIN
                 : !strcmp(split, "val")   ? CLEF_SPLIT_VAL
                                           : 0;
    if (tok == NULL || dir == NULL || sp == 0)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                           "encoder trainer: add_cohort needs a tokenizer, a directory and "
                           "split \"train\" or \"val\"");
    clef_status rc = clefi_enc_check_tokenizer(tr->ctx, &tr->err, &tr->enc->cfg, tok);
    clef_spectrogram *sg = NULL;
    clefi_path_list paths = {0};
    if (rc == CLEF_OK && (rc = clef_tokenizer_spectrogram_create(&sg, tr->ctx, tok)) != CLEF_OK)
        rc = clefi_error(tr->ctx, &tr->err, rc, "encoder trainer: %s", clef_ctx_errmsg(tr->ctx));
    if (rc == CLEF_OK)
        rc = clefi_cohort_split_paths(tr->ctx, &tr->err, dir, split, &paths);
    int32_t *ids =
        rc == CLEF_OK
            ? clefi_malloc(tr->ctx, (size_t)clefi_enc_n_tokens(&tr->enc->cfg) * sizeof *ids)
            : NULL;
    if (rc == CLEF_OK && ids == NULL)
        rc = nomem(tr, "tokens");
    int64_t added = 0;
    for (size_t i = 0; rc == CLEF_OK && i < paths.n; i++) {
        if (tr->max_sessions > 0 && added >= tr->max_sessions)
            break;
        int ok = 0;
        rc = cohort_session(tr, tok, sg, paths.s[i], ids, &ok);
        if (rc == CLEF_OK && ok && (rc = trainer_add(tr, ids, 1, sp)) == CLEF_OK)
            added++;
    }
    if (rc == CLEF_OK && added == 0)
        rc = clefi_error(tr->ctx, &tr->err, CLEF_ERR_NOT_FOUND,
                         "cohort '%s': no usable session in split '%s' (%zu recordings)", dir,
                         split, paths.n);
    clefi_free(tr->ctx, ids);
    clefi_path_list_free(tr->ctx, &paths);
    clef_spectrogram_free(sg);
    return rc;
}

clef_status clef_encoder_trainer_set_reducer(clef_encoder_trainer *tr, clef_grad_reduce_fn reduce,
                                             void *user, int32_t rank, int32_t world) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (world < 1 || rank < 0 || rank >= world || (reduce == NULL && rank != 0) ||
        tr->batch % world != 0)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                           "encoder trainer: rank %d of world %d (the batch of %lld must be a "
                           "multiple of world; without a reducer the rank must be 0)",
                           (int)rank, (int)world, (long long)tr->batch);
    if (reduce == NULL && world > 1 && tr->gpart == NULL &&
        (tr->gpart = clefi_calloc(tr->ctx, tr->enc->lay.total + 2, sizeof(float))) == NULL)
        return nomem(tr, "emulated ranks' gradients");
    tr->reduce = reduce;
    tr->reduce_user = user;
    tr->rank = rank;
    tr->world = world;
    return CLEF_OK;
}

/* ---- one session: window, mask, forward, backward ---- */

/* Mask rate of a session: MaskGIT's cosine schedule cos(pi u / 2), u uniform, scaled to
 * [mask_min, mask_max]. */
static double mask_rate(const clef_encoder_trainer *tr, uint64_t seed, uint64_t counter) {
    double u = clefi_rng_uniform(seed, counter);
    return tr->mask_min + (tr->mask_max - tr->mask_min) * cos(1.5707963267948966 * u);
}

/* The token window of session ids (a crop drawn from (seed, key) when crop): returns its
 * token count. */
static int64_t window(clef_encoder_trainer *tr, const int32_t *ids, uint64_t seed, uint64_t key,
                      int crop) {
    const clefi_enc_cfg *c = &tr->enc->cfg;
    enc_work *w = &tr->w;
    /* padding columns are never attended to nor predicted: the window leaves them out */
    int32_t valid = clefi_enc_valid_cols(c, ids), c0 = 0, width = valid;
    if (crop && tr->crop_cols > 0 && tr->crop_cols < valid) {
        width = tr->crop_cols;
        c0 = (int32_t)(clefi_rng_u64(seed ^ ENC_SALT_CROP, key) % (uint64_t)(valid - width + 1));
    }
    return clefi_enc_window(c, ids, c0, width, valid, w->wids, w->type, w->key_pad, w->pos_a,
                            w->pos_b);
}

/* Build the window and mask of session ids for draw key (seed, key): returns the window's
 * token count; w->midx[0..*n_mask) are the masked positions, w->targets their codes. */
static int64_t prepare(clef_encoder_trainer *tr, const int32_t *ids, uint64_t seed, uint64_t key,
                       int crop, int64_t *n_mask) {
    const clefi_enc_cfg *c = &tr->enc->cfg;
    enc_work *w = &tr->w;
    int64_t nt = window(tr, ids, seed, key, crop), nc = 0;
    for (int64_t t = 0; t < nt; t++)
        if (w->type[t] == 0 && !w->key_pad[t])
            w->cand[nc++] = (int32_t)t;
    double r = mask_rate(tr, seed ^ ENC_SALT_MASK, key);
    int64_t nm = (int64_t)floor(r * (double)nc + 0.5);
    nm = nm < 1 ? 1 : nm > nc ? nc : nm;
    uint64_t state = clefi_rng_u64(seed ^ ENC_SALT_MASK, key ^ 0x5555555555555555ull);
    for (int64_t j = 0; j < nm; j++) { /* partial Fisher-Yates */
        int64_t k = j + (int64_t)clefi_rand_below(&state, (uint64_t)(nc - j));
        int32_t t = w->cand[k];
        w->cand[k] = w->cand[j];
        w->cand[j] = t;
        w->midx[j] = t;
        w->targets[j] = w->wids[t];
        w->wids[t] = clefi_enc_mask_id(c);
    }
    *n_mask = nm;
    /* the same share of the session-mean coefficient tokens, each drawn on its own: their
     * values are regressed (the grid's codes alone do not need the session's mean spectrum,
     * so without this the encoder has no reason to keep it) */
    w->n_vmask = 0;
    uint64_t vstate = clefi_rng_u64(seed ^ ENC_SALT_MEAN, key);
    for (int64_t t = 0; tr->mean_weight > 0.0 && t < nt; t++) {
        if (!w->type[t] || w->pos_a[t] >= clefi_enc_n_value(c))
            continue;
        if ((double)clefi_rand_below(&vstate, 1u << 24) >= r * 16777216.0)
            continue;
        int64_t k = w->n_vmask++;
        w->vidx[k] = (int32_t)t;
        w->vn[k] = w->pos_a[t] < c->mean_full ? 1 : 2;
        clefi_tok_mean_token_values(w->pos_a[t], w->wids[t] - c->codebook_size, c->mean_full,
                                    c->mean_pairs, c->mean_levels, w->vtgt + 2 * k);
        w->wids[t] = clefi_enc_mask_id(c);
    }
    return nt;
}

/* Squared error of the masked session-mean values, mean over the values; its gradient
 * (times scale) into w->vpred when grad. */
static double value_loss(enc_work *w, int grad, float scale) {
    int64_t n = 0;
    double sse = 0.0;
    for (int64_t k = 0; k < w->n_vmask; k++)
        for (int32_t i = 0; i < w->vn[k]; i++, n++) {
            double e = (double)w->vpred[2 * k + i] - (double)w->vtgt[2 * k + i];
            sse += e * e;
        }
    for (int64_t k = 0; grad && k < w->n_vmask; k++)
        for (int32_t i = 0; i < 2; i++)
            w->vpred[2 * k + i] =
                i < w->vn[k] ? 2.0f * scale * (w->vpred[2 * k + i] - w->vtgt[2 * k + i]) / (float)n
                             : 0.0f;
    return n > 0 ? sse / (double)n : 0.0;
}

/* The window's embeddings, blocks (activations kept for backward) and final LayerNorm into
 * w->y; returns the last block's output (the LayerNorm's input). */
static const float *trunk_forward(clef_encoder_trainer *tr, const clef_encoder *enc, int64_t nt) {
    const clefi_enc_cfg *c = &enc->cfg;
    enc_work *w = &tr->w;
    clefi_pool *pool = tr->sess->pool;
    clefi_enc_input in = {w->wids, w->type, w->key_pad, w->pos_a, w->pos_b, nt};
    clefi_enc_embed_input(enc, &in, w->x);
    clefi_block_dims dims = clefi_enc_dims(c, nt);
    const float *h = clefi_enc_trunk(enc, pool, w->acts, c->n_layers, w->x, w->key_pad, &dims);
    clefi_layernorm_forward(pool, w->y, w->stats, w->stats + nt, h, enc->lnf_w, enc->lnf_b, nt,
                            c->d, CLEFI_ENC_LN_EPS);
    return h;
}

/* Forward of the prepared window through enc: logits of the masked positions; returns the
 * mean cross-entropy and sets *acc to the share predicted right. */
static double forward(clef_encoder_trainer *tr, const clef_encoder *enc, int64_t nt, int64_t nm,
                      double *acc, const float **h_out) {
    const clefi_enc_cfg *c = &enc->cfg;
    enc_work *w = &tr->w;
    clefi_pool *pool = tr->sess->pool;
    int64_t d = c->d, K = c->codebook_size;
    const float *h = trunk_forward(tr, enc, nt);
    for (int64_t j = 0; j < nm; j++)
        memcpy(w->hsel + j * d, w->y + (int64_t)w->midx[j] * d, (size_t)d * sizeof(float));
    clefi_linear_forward(pool, w->logits, w->hsel, enc->head_w, enc->head_b, nm, d, K);
    double loss = 0.0;
    int64_t nv = 0;
    (void)clefi_cross_entropy_forward(pool, &loss, w->probs, w->logits, w->targets, nm, K, -1, &nv);
    int64_t right = 0;
    for (int64_t j = 0; j < nm; j++) {
        const float *l = w->logits + j * K;
        int64_t best = 0;
        for (int64_t k = 1; k < K; k++)
            if (l[k] > l[best])
                best = k;
        right += best == w->targets[j];
    }
    *acc = nm > 0 ? (double)right / (double)nm : 0.0;
    *h_out = h;
    if (w->n_vmask == 0)
        return loss;
    for (int64_t k = 0; k < w->n_vmask; k++)
        memcpy(w->vsel + k * d, w->y + (int64_t)w->vidx[k] * d, (size_t)d * sizeof(float));
    clefi_linear_forward(pool, w->vpred, w->vsel, enc->vhead_w, enc->vhead_b, w->n_vmask, d, 2);
    return loss + tr->mean_weight * value_loss(w, 0, 0.0f);
}

static void trunk_backward(clef_encoder_trainer *tr, int64_t nt, const float *h);

/* Gradients of dloss x the session's loss, accumulated into tr->grad. */
static void backward(clef_encoder_trainer *tr, int64_t nt, int64_t nm, const float *h,
                     float dloss) {
    const clef_encoder *enc = tr->enc;
    clef_encoder *g = tr->grad;
    const clefi_enc_cfg *c = &enc->cfg;
    enc_work *w = &tr->w;
    clefi_pool *pool = tr->sess->pool;
    int64_t d = c->d, K = c->codebook_size;
    memset(w->logits, 0, (size_t)(nm * K) * sizeof(float)); /* now dlogits */
    clefi_cross_entropy_backward(pool, w->logits, w->probs, w->targets, nm, K, -1, nm, dloss);
    memset(w->dhsel, 0, (size_t)(nm * d) * sizeof(float));
    clefi_linear_backward(pool, w->dhsel, g->head_w, g->head_b, w->logits, w->hsel, enc->head_w, nm,
                          d, K);
    memset(w->dy, 0, (size_t)(nt * d) * sizeof(float));
    for (int64_t j = 0; j < nm; j++)
        memcpy(w->dy + (int64_t)w->midx[j] * d, w->dhsel + j * d, (size_t)d * sizeof(float));
    if (w->n_vmask > 0) { /* vpred becomes d loss / d prediction */
        int64_t nv = w->n_vmask;
        value_loss(w, 1, (float)tr->mean_weight * dloss);
        memset(w->dvsel, 0, (size_t)(nv * d) * sizeof(float));
        clefi_linear_backward(pool, w->dvsel, g->vhead_w, g->vhead_b, w->vpred, w->vsel,
                              enc->vhead_w, nv, d, 2);
        for (int64_t k = 0; k < nv; k++)
            memcpy(w->dy + (int64_t)w->vidx[k] * d, w->dvsel + k * d, (size_t)d * sizeof(float));
    }
    trunk_backward(tr, nt, h);
}

/* From w->dy (the gradient of the final LayerNorm's output) back through the blocks to the
 * embeddings, accumulated into tr->grad; h: trunk_forward's return. */
static void trunk_backward(clef_encoder_trainer *tr, int64_t nt, const float *h) {
    const clef_encoder *enc = tr->enc;
    clef_encoder *g = tr->grad;
    const clefi_enc_cfg *c = &enc->cfg;
    enc_work *w = &tr->w;
    clefi_pool *pool = tr->sess->pool;
    int64_t d = c->d;
    memset(w->dcur, 0, (size_t)(nt * d) * sizeof(float));
    clefi_layernorm_backward(pool, w->dcur, g->lnf_w, g->lnf_b, w->dy, h, enc->lnf_w, w->stats,
                             w->stats + nt, nt, d);
    clefi_block_dims dims = clefi_enc_dims(c, nt);
    for (int32_t l = c->n_layers - 1; l >= 0; l--) {
        const float *x_in = l > 0 ? w->acts[l - 1].out : w->x;
        memset(w->dnext, 0, (size_t)(nt * d) * sizeof(float));
        clefi_block_backward(pool, w->dnext, &g->blk[l], w->dcur, &w->acts[l], &enc->blk[l], x_in,
                             w->key_pad, NULL, &dims);
        float *t = w->dcur;
        w->dcur = w->dnext;
        w->dnext = t;
    }
    clefi_enc_input in = {w->wids, w->type, w->key_pad, w->pos_a, w->pos_b, nt};
    clefi_enc_embed_input_backward(enc, g, &in, w->dcur);
}

/* ---- the optimiser step ---- */

/* Ranks this process computes: all world of them without a reducer (emulated), else its own. */
static int32_t local_ranks(const clef_encoder_trainer *tr) {
    return tr->reduce == NULL ? tr->world : 1;
}

/* Session j of this process's share of a step: its position in the global batch. */
static uint64_t batch_position(const clef_encoder_trainer *tr, int64_t j) {
    return local_ranks(tr) > 1 ? (uint64_t)j : (uint64_t)(tr->rank + j * tr->world);
}

const float *clefi_enc_loss_grad(clef_encoder_trainer *tr, const int32_t *ids, int64_t n,
                                 double *loss_out, double *acc_out) {
    const clefi_enc_cfg *c = &tr->enc->cfg;
    size_t nt_all = (size_t)clefi_enc_n_tokens(c), total = tr->enc->lay.total;
    int32_t ranks = local_ranks(tr);
    int64_t per = n / ranks; /* sessions per rank */
    double scale = 1.0 / ((double)per * (double)tr->world), loss_sum = 0.0, acc_sum = 0.0;
    /* Emulated ranks: each rank's part summed on its own as that rank would, then added in
     * rank order as the all-reduce does (bit-identical to world = 2 ranks, where a + b is the
     * only order). ids are in global batch order: rank g's session j at g + j * world. */
    for (int32_t g = 0; g < ranks; g++) {
        float *buf = g == 0 ? tr->gbuf : tr->gpart;
        memset(buf, 0, (total + 2) * sizeof(float));
        clefi_enc_bind(tr->grad, buf);
        double ls = 0.0, as = 0.0;
        for (int64_t j = 0; j < per; j++) {
            uint64_t pos = (uint64_t)(tr->rank + g + j * tr->world); /* draws: position */
            uint64_t key = (uint64_t)tr->step * (uint64_t)(per * tr->world) + pos;
            int64_t nm = 0,
                    nt = prepare(tr, ids + (size_t)(g + j * ranks) * nt_all, tr->seed, key, 1, &nm);
            double acc = 0.0;
            const float *h = NULL;
            double loss = forward(tr, tr->enc, nt, nm, &acc, &h);
            backward(tr, nt, nm, h, (float)scale);
            ls += loss;
            as += acc;
        }
        buf[total] = (float)(ls * scale);
        buf[total + 1] = (float)(as * scale);
        for (size_t i = 0; g > 0 && i < total + 2; i++)
            tr->gbuf[i] += buf[i];
        loss_sum += ls;
        acc_sum += as;
    }
    clefi_enc_bind(tr->grad, tr->gbuf);
    if (loss_out != NULL)
        *loss_out = loss_sum * scale;
    if (acc_out != NULL)
        *acc_out = acc_sum * scale;
    return tr->gbuf;
}

const float *clefi_enc_embed_grad(clef_encoder_trainer *tr, const int32_t *ids, const float *demb,
                                  float *emb, int zero) {
    const clef_encoder *enc = tr->enc;
    const clefi_enc_cfg *c = &enc->cfg;
    enc_work *w = &tr->w;
    clefi_pool *pool = tr->sess->pool;
    int64_t d = c->d, E = c->embed_dim, P = clefi_enc_pool_dim(c);
    size_t total = enc->lay.total;
    clefi_enc_bind(tr->grad, tr->gbuf);
    if (zero)
        memset(tr->gbuf, 0, (total + 2) * sizeof(float));
    int64_t nt = window(tr, ids, tr->seed, 0, 0); /* the whole session, as clef_encoder_embed */
    const float *h = trunk_forward(tr, enc, nt);
    float *pooled = w->hsel, *dpooled = w->dhsel; /* no masked states here: their buffers */
    clefi_enc_pool(c, w->y, w->wids, w->key_pad, nt, pooled);
    clefi_linear_forward(pool, emb, pooled, enc->proj_w, enc->proj_b, 1, P, E);
    if (demb == NULL)
        return tr->gbuf;
    memset(dpooled, 0, (size_t)P * sizeof(float));
    /* dpooled past d (the coefficients, inputs) is computed and not used */
    clefi_linear_backward(pool, dpooled, tr->grad->proj_w, tr->grad->proj_b, demb, pooled,
                          enc->proj_w, 1, P, E);
    int64_t n = 0; /* the pooled mean's gradient: dpooled / n on every real token */
    for (int64_t t = 0; t < nt; t++)
        n += !w->key_pad[t];
    for (int64_t t = 0; t < nt; t++)
        for (int64_t k = 0; k < d; k++)
            w->dy[t * d + k] = w->key_pad[t] || n == 0 ? 0.0f : dpooled[k] / (float)n;
    trunk_backward(tr, nt, h);
    return tr->gbuf;
}

void clefi_enc_trainer_apply(clef_encoder_trainer *tr, double lr) {
    size_t n_tr = tr->enc->trained, total = tr->enc->lay.total;
    if (tr->clip > 0.0)
        (void)clefi_grad_clip(tr->sess->pool, tr->gbuf, (int64_t)n_tr, tr->clip);
    clefi_adamw h = {(float)lr, (float)tr->beta1, (float)tr->beta2, (float)tr->eps, (float)tr->wd};
    clefi_adamw_step(tr->sess->pool, &h, tr->enc->flat, tr->gbuf, tr->m, tr->v, (int64_t)n_tr,
                     tr->step + 1);
    tr->step++;
    if (tr->ema != NULL) { /* warmed-up decay (timm ModelEmaV2 style): early weights fade fast */
        double dec = (1.0 + (double)tr->step) / (10.0 + (double)tr->step);
        dec = dec < tr->ema_decay ? dec : tr->ema_decay;
        clefi_ema_update(tr->sess->pool, tr->ema->flat, tr->enc->flat, (int64_t)total, (float)dec);
    }
}

float *clefi_enc_trainer_gbuf(clef_encoder_trainer *tr) { return tr->gbuf; }

size_t clefi_enc_trainer_n_weights(clef_encoder_trainer *tr) { return tr->enc->lay.total; }

float *clefi_enc_trainer_weights(clef_encoder_trainer *tr, const clefi_layout **lay) {
    *lay = &tr->enc->lay;
    return tr->enc->flat;
}

const char *clefi_enc_tokenizer_sha(const clef_encoder *enc) { return enc->cfg.tok_sha; }

clef_status clefi_enc_check_session(const clef_encoder *enc, const int32_t *ids, char *why,
                                    size_t cap) {
    return clefi_enc_check_ids(&enc->cfg, ids, why, cap);
}

clef_status clefi_enc_trainer_from(clef_encoder_trainer **out, clef_ctx *ctx,
                                   const clef_encoder *enc, const clef_params *train,
                                   int32_t n_threads) {
    clef_status rc = trainer_new(out, ctx, &enc->cfg, train, n_threads);
    if (rc != CLEF_OK)
        return rc;
    memcpy((*out)->enc->flat, enc->flat, enc->lay.total * sizeof(float));
    if ((*out)->ema != NULL)
        memcpy((*out)->ema->flat, enc->flat, enc->lay.total * sizeof(float));
    return CLEF_OK;
}

static clef_status step_sessions(clef_encoder_trainer *tr, const int32_t *ids, int64_t n,
                                 double *loss_out, double *acc_out) {
    size_t total = tr->enc->lay.total;
    clefi_enc_loss_grad(tr, ids, n, NULL, NULL);
    /* the mean over ranks (emulated: the sum scaled as clef_dist_allreduce_mean does), then
     * back to the sum */
    if (tr->world > 1) {
        clef_status rc = CLEF_OK;
        if (tr->reduce != NULL)
            rc = tr->reduce(tr->gbuf, total + 2, tr->reduce_user);
        else
            clefi_scale(tr->sess->pool, tr->gbuf, (int64_t)(total + 2), 1.0f / (float)tr->world);
        if (rc != CLEF_OK)
            return clefi_error(tr->ctx, &tr->err, rc,
                               "encoder trainer: gradient reduction "
                               "failed (%s)",
                               clef_strerror(rc));
        clefi_scale(tr->sess->pool, tr->gbuf, (int64_t)(total + 2), (float)tr->world);
    }
    int64_t warmup = (int64_t)floor(tr->warmup_frac * (double)tr->steps_total + 0.5);
    clefi_enc_trainer_apply(tr, clefi_lr_at(CLEFI_SCHED_COSINE, tr->step, warmup, tr->steps_total,
                                            tr->lr, tr->lr * tr->lr_min_frac));
    if (loss_out != NULL)
        *loss_out = tr->gbuf[total];
    if (acc_out != NULL)
        *acc_out = tr->gbuf[total + 1];
    return CLEF_OK;
}

clef_status clef_encoder_trainer_step(clef_encoder_trainer *tr, const int32_t *ids,
                                      int64_t n_sessions, double *loss, double *accuracy) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    int64_t share = tr->batch / tr->world * local_ranks(tr);
    if (ids == NULL || n_sessions < 1 || (tr->world > 1 && n_sessions != share))
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                           "encoder trainer: step needs ids of >= 1 session (%lld; with a "
                           "world of %d ranks this process's share of the batch: %lld)",
                           (long long)n_sessions, (int)tr->world, (long long)share);
    const clefi_enc_cfg *c = &tr->enc->cfg;
    size_t nt = (size_t)clefi_enc_n_tokens(c);
    for (int64_t i = 0; i < n_sessions; i++) {
        char why[128];
        if (clefi_enc_check_ids(c, ids + (size_t)i * nt, why, sizeof why) != CLEF_OK)
            return clefi_error(tr->ctx, &tr->err, CLEF_ERR_RANGE,
                               "encoder trainer: session %lld: %s", (long long)i, why);
    }
    return step_sessions(tr, ids, n_sessions, loss, accuracy);
}

/* ---- validation ---- */

/* Accuracy of the two baselines on the prepared masks: the most frequent training code, and
 * the nearest unmasked real token of the same row (left first on ties). */
static void baselines(const clef_encoder_trainer *tr, int32_t top_code, int64_t nm, double b[2]) {
    const clefi_enc_cfg *c = &tr->enc->cfg;
    const enc_work *w = &tr->w;
    int32_t gt = c->grid_t, mask = clefi_enc_mask_id(c);
    int64_t right[2] = {0, 0};
    for (int64_t j = 0; j < nm; j++) {
        int32_t t = w->midx[j], row = t / gt, col = t % gt;
        right[0] += w->targets[j] == top_code;
        for (int32_t dist = 1; dist < gt; dist++) {
            int32_t cand[2] = {col - dist, col + dist}, hit = -1;
            for (int k = 0; k < 2 && hit < 0; k++) {
                int32_t cc = cand[k];
                int32_t ti = row * gt + cc;
                if (cc >= 0 && cc < gt && !w->key_pad[ti] && w->wids[ti] != mask)
                    hit = w->wids[ti];
            }
            if (hit >= 0) {
                right[1] += hit == w->targets[j];
                break;
            }
        }
    }
    b[0] = nm > 0 ? (double)right[0] / (double)nm : 0.0;
    b[1] = nm > 0 ? (double)right[1] / (double)nm : 0.0;
}

/* The most frequent code of the training sessions; -1 when out of memory. */
static int32_t top_train_code(const clef_encoder_trainer *tr) {
    const clefi_enc_cfg *c = &tr->enc->cfg;
    size_t nt = (size_t)clefi_enc_n_tokens(c), g = (size_t)c->grid_f * (size_t)c->grid_t;
    int64_t *count = clefi_calloc(tr->ctx, (size_t)c->codebook_size, sizeof *count);
    if (count == NULL)
        return -1;
    const ids_set *d = &tr->data[0];
    for (int64_t i = 0; i < d->n; i++) {
        const int32_t *ids = d->ids + (size_t)i * nt;
        int32_t valid = clefi_enc_valid_cols(c, ids);
        for (size_t k = 0; k < g; k++)
            if ((int32_t)(k % (size_t)c->grid_t) < valid)
                count[ids[k]]++;
    }
    int32_t best = 0;
    for (int32_t k = 1; k < c->codebook_size; k++)
        if (count[k] > count[best])
            best = k;
    clefi_free(tr->ctx, count);
    return best;
}

clef_status clef_encoder_trainer_validate(clef_encoder_trainer *tr, int32_t ema, double *loss,
                                          double *accuracy, double *baseline_acc) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    const ids_set *d = &tr->data[1];
    if (d->n == 0)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_STATE,
                           "encoder trainer: no held-out sessions (add some to CLEF_SPLIT_VAL)");
    const clef_encoder *enc = clef_encoder_trainer_encoder(tr, ema);
    size_t nt_all = (size_t)clefi_enc_n_tokens(&enc->cfg);
    int32_t top = baseline_acc != NULL ? top_train_code(tr) : 0;
    if (top < 0) /* not a baseline of code 0 */
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_NOMEM,
                           "encoder trainer: validation baseline counts");
    double ls = 0.0, as = 0.0, bs[2] = {0.0, 0.0};
    for (int64_t i = 0; i < d->n; i++) {
        int64_t nm = 0;
        int64_t nt = prepare(tr, d->ids + (size_t)i * nt_all, ENC_SALT_VAL, (uint64_t)i, 0, &nm);
        double acc = 0.0;
        const float *h = NULL;
        ls += forward(tr, enc, nt, nm, &acc, &h);
        as += acc;
        if (baseline_acc != NULL) {
            double b[2];
            baselines(tr, top, nm, b);
            bs[0] += b[0];
            bs[1] += b[1];
        }
    }
    if (loss != NULL)
        *loss = ls / (double)d->n;
    if (accuracy != NULL)
        *accuracy = as / (double)d->n;
    if (baseline_acc != NULL) {
        baseline_acc[0] = bs[0] / (double)d->n;
        baseline_acc[1] = bs[1] / (double)d->n;
    }
    return CLEF_OK;
}

/* ---- the pipeline ---- */

/* Session index of global sample k: epochs of a seeded permutation of the training set. */
static clef_status sample_at(clef_encoder_trainer *tr, uint64_t k, int64_t *out) {
    int64_t n = tr->data[0].n, epoch = (int64_t)(k / (uint64_t)n);
    if (epoch != tr->perm_epoch) {
        if (tr->perm == NULL &&
            (tr->perm = clefi_malloc(tr->ctx, (size_t)n * sizeof *tr->perm)) == NULL)
            return nomem(tr, "batch order");
        uint64_t state = clefi_rng_u64(tr->seed ^ ENC_SALT_BATCH, (uint64_t)epoch);
        for (int64_t i = 0; i < n; i++)
            tr->perm[i] = (int32_t)i;
        for (int64_t i = n - 1; i > 0; i--) {
            int64_t j = (int64_t)clefi_rand_below(&state, (uint64_t)(i + 1));
            int32_t t = tr->perm[i];
            tr->perm[i] = tr->perm[j];
            tr->perm[j] = t;
        }
        tr->perm_epoch = epoch;
    }
    *out = tr->perm[k % (uint64_t)n];
    return CLEF_OK;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

clef_status clef_encoder_trainer_run(clef_encoder_trainer *tr, const char *checkpoint_path,
                                     clef_encoder_progress_fn progress, void *user) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (tr->data[0].n == 0)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_STATE,
                           "encoder trainer: no training sessions (add_store, add_tokens)");
    const clefi_enc_cfg *c = &tr->enc->cfg;
    size_t nt = (size_t)clefi_enc_n_tokens(c);
    int64_t local = tr->batch / tr->world * local_ranks(tr);
    int32_t *batch = clefi_malloc(tr->ctx, (size_t)local * nt * sizeof *batch);
    if (batch == NULL)
        return nomem(tr, "batch");
    clef_status rc = CLEF_OK;
    clefi_free(tr->ctx, tr->perm); /* sessions may have been added since the last run */
    tr->perm = NULL;
    tr->perm_epoch = -1;
    while (rc == CLEF_OK && tr->step < tr->steps_total) {
        double t0 = now_s();
        for (int64_t j = 0; rc == CLEF_OK && j < local; j++) {
            int64_t s = 0;
            uint64_t k = (uint64_t)tr->step * (uint64_t)tr->batch + batch_position(tr, j);
            rc = sample_at(tr, k, &s);
            if (rc == CLEF_OK)
                memcpy(batch + (size_t)j * nt, tr->data[0].ids + (size_t)s * nt,
                       nt * sizeof *batch);
        }
        double loss = 0.0, acc = 0.0;
        if (rc == CLEF_OK)
            rc = step_sessions(tr, batch, local, &loss, &acc);
        if (rc != CLEF_OK)
            break;
        double dt = now_s() - t0, vl = NAN, va = NAN;
        int last = tr->step == tr->steps_total;
        if (tr->data[1].n > 0 && (last || (tr->val_every > 0 && tr->step % tr->val_every == 0)))
            rc = clef_encoder_trainer_validate(tr, 1, &vl, &va, NULL);
        if (rc == CLEF_OK && checkpoint_path != NULL && tr->rank == 0 &&
            (last || tr->step % tr->ckpt_every == 0))
            rc = clef_encoder_trainer_save(tr, checkpoint_path);
        double tps = dt > 0.0 ? (double)(tr->batch * (int64_t)nt) / dt : 0.0;
        if (rc == CLEF_OK && progress != NULL &&
            progress(tr->step, tr->steps_total, loss, acc, tps, vl, va, user) != 0)
            rc = clefi_error(tr->ctx, &tr->err, CLEF_ERR_CANCELLED,
                             "encoder trainer: cancelled at step %lld", (long long)tr->step);
    }
    clefi_free(tr->ctx, batch);
    return rc;
}

/* ---- checkpoints ---- */

clef_status clef_encoder_trainer_save(clef_encoder_trainer *tr, const char *path) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (path == NULL)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG, "encoder trainer: path NULL");
    unsigned char rng[SEED_BYTES];
    for (int i = 0; i < SEED_BYTES; i++)
        rng[i] = (unsigned char)(tr->seed >> (8 * i));
    clefi_ckpt ck = {.params = tr->enc->flat,
                     .adam_m = tr->m,
                     .adam_v = tr->v,
                     .ema = tr->ema != NULL ? tr->ema->flat : NULL,
                     .rng = rng,
                     .rng_len = SEED_BYTES,
                     .step = tr->step,
                     .data_cursor = 0,
                     .world_size = tr->world};
    clefi_enc_meta meta;
    clefi_enc_meta_fill(&tr->enc->cfg, &meta);
    return clefi_ckpt_save(tr->ctx, path, &tr->enc->lay, &ck, meta.kv, meta.n, &tr->err);
}

clef_status clef_encoder_trainer_resume(clef_encoder_trainer **out, clef_ctx *ctx, const char *path,
                                        const clef_params *train, int32_t n_threads) {
    clefi_reset(ctx);
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (out == NULL || path == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "encoder trainer resume: NULL argument");
    *out = NULL;
    clef_weights *w = NULL;
    clefi_enc_cfg cfg;
    clef_status rc = clef_weights_open(&w, ctx, path);
    if (rc == CLEF_OK)
        rc = clefi_enc_cfg_from_weights(ctx, w, path, &cfg);
    clef_encoder_trainer *tr = NULL;
    if (rc == CLEF_OK)
        rc = trainer_new(&tr, ctx, &cfg, train, n_threads);
    unsigned char rng[SEED_BYTES];
    clefi_ckpt ck = {.params = tr ? tr->enc->flat : NULL,
                     .adam_m = tr ? tr->m : NULL,
                     .adam_v = tr ? tr->v : NULL,
                     .ema = tr && tr->ema ? tr->ema->flat : NULL,
                     .rng = rng,
                     .rng_len = SEED_BYTES};
    if (rc == CLEF_OK)
        rc = clefi_ckpt_load(w, &tr->enc->lay, &ck, 0, &ctx->err);
    clef_weights_free(w);
    if (rc != CLEF_OK) {
        clef_encoder_trainer_free(tr);
        return rc;
    }
    tr->step = ck.step;
    tr->seed = 0;
    for (int i = 0; i < SEED_BYTES; i++)
        tr->seed |= (uint64_t)rng[i] << (8 * i);
    *out = tr;
    return CLEF_OK;
}
