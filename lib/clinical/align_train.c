/* align_train.c — contrastive alignment of session embeddings with reports and EHR records
 * (docs/aligner.md "Training"). SPDX-License-Identifier: BSD-3-Clause
 *
 * Each step draws a batch of training sessions from (seed, step) only, so a resumed run draws
 * what an uninterrupted one does. Loss = w_report * InfoNCE(EEG, report) + w_ehr *
 * InfoNCE(EEG, EHR), each the symmetric CLIP loss over the batch's sessions that have that
 * modality (a session without a report is masked out of the report term; a term with fewer
 * than 2 sessions is skipped: it has no negatives). The temperature is fixed (0.07, the paper's)
 * unless CLEF_P_ALIGN_LEARN_TEMPERATURE. The session encoder is frozen (the aligner learns on
 * its stored embeddings, docs/aligner.md says why) unless clef_aligner_trainer_finetune() gave
 * it one to fine-tune: then each step embeds its sessions' tokens through that encoder's
 * training forward, and the EEG tower's input gradient flows back into it beside its own
 * masked-token loss. */
#define _POSIX_C_SOURCE 200809L
#include "align_int.h"
#include "clef.h"
#include "enc_tune.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define AL_SALT_BATCH 0x616c62617463ull /* "albatc" */
#define AL_SALT_SENT  0x616c73656e74ull /* "alsent" */
#define SEED_BYTES    8

typedef struct al_item {
    float *emb;    /* in_dim */
    float *states; /* n_text x text_dim, NULL without a report */
    int32_t n_text;
    int32_t *sent; /* n_sent + 1 token offsets of its sentences (NULL: one piece) */
    int32_t n_sent;
    clefi_strs toks; /* EHR tokens (empty: no record) */
    int32_t *ids;    /* their ids once the vocabulary exists */
    int32_t *tok;    /* the session's encoder token ids (fine-tuning only) */
} al_item;

typedef struct al_set {
    al_item *it;
    int64_t n, cap;
} al_set;

/* One modality's sequences of this rank's rows (rows: local batch rows) and their gradients. */
typedef struct al_side {
    int64_t n, T;
    int64_t *rows;
    int32_t *len, *ids;
    float *x, *dz;
    size_t cap_rows, cap_len, cap_x, cap_ids, cap_dz;
    clefi_al_work w;
} al_side;

/* One modality's pairs over the global batch, in batch order (pos: batch positions). */
typedef struct al_pairs {
    int64_t n;
    int64_t *pos;
    float *za, *zt, *dza, *dzt, *scratch;
} al_pairs;

struct clef_aligner_trainer {
    clef_ctx *ctx;
    clefi_err err;
    clef_session *sess;
    clefi_al_cfg cfg;  /* architecture; in_dim, text_dim, vocab known once sessions exist */
    clef_aligner *al;  /* NULL until the first step of a new run */
    clef_aligner grad; /* a view: al's layout over gflat */
    float *gflat, *m, *v;
    /* settings */
    int64_t batch, steps_total, ckpt_every;
    double lr, lr_min_frac, warmup_frac, wd, clip, temperature, w_report, w_ehr;
    int32_t learn_temp;
    double sent_drop; /* chance a training report is cut to a subset of its sentences */
    char *drop;
    char enc_sha[65]; /* the store's encoder (add_store), recorded in the aligner */
    uint64_t seed;
    int64_t step;
    al_set data[2]; /* train, val */
    /* data parallelism (clef_aligner_trainer_set_dist) */
    int32_t rank, world;
    clef_grad_reduce_fn reduce;
    clef_gather_fn gather;
    void *dist_user;
    /* step work (step_buffers) */
    int64_t *idx, *lidx, *inv[2];
    size_t cap_lidx;
    float *ebuf, *X, *dz_eeg, *send, *all;
    size_t cap_ebuf;
    clefi_al_eeg_work ew;
    al_side side[2]; /* report, EHR */
    al_pairs pairs[2];
    /* fine-tuning (clef_aligner_trainer_finetune): the encoder's trainer, loss weight, lr */
    clef_encoder_trainer *etr;
    double recon_w, enc_lr;
    int32_t *tokbuf; /* the local batch's token ids, for the masked-token loss */
    float *demb;     /* d loss / d embedding of the local batch */
    size_t cap_tokbuf, cap_demb;
};

/* Token ids per session of the fine-tuned encoder. */
static size_t enc_tokens(const clef_aligner_trainer *tr) {
    int64_t n = 0;
    (void)clef_encoder_shape(clef_encoder_trainer_encoder(tr->etr, 0), &n, NULL, NULL);
    return (size_t)n;
}

static clef_status tr_error(clef_aligner_trainer *tr, clef_status rc, const char *what) {
    if (rc == CLEF_ERR_NOMEM)
        return clefi_error(tr->ctx, &tr->err, rc, "aligner trainer: out of memory (%s)", what);
    return clefi_error(tr->ctx, &tr->err, rc, "aligner trainer: %s: %s", what,
                       clef_session_errmsg(tr->sess)[0] ? clef_session_errmsg(tr->sess)
                                                        : clef_ctx_errmsg(tr->ctx));
}

/* ---- settings ---- */

static void read_params(clef_aligner_trainer *tr, const clef_params *p) {
    clefi_al_cfg *c = &tr->cfg;
    c->dim = (int32_t)clefi_params_i64(p, CLEF_P_ALIGN_DIM);
    c->width = (int32_t)clefi_params_i64(p, CLEF_P_ALIGN_WIDTH);
    c->n_layers = (int32_t)clefi_params_i64(p, CLEF_P_ALIGN_LAYERS);
    c->n_heads = (int32_t)clefi_params_i64(p, CLEF_P_ALIGN_HEADS);
    c->d_ff = 4 * c->width;
    c->eeg_hidden = (int32_t)clefi_params_i64(p, CLEF_P_ALIGN_EEG_HIDDEN);
    c->max_text = (int32_t)clefi_params_i64(p, CLEF_P_ALIGN_MAX_TEXT);
    c->text_sentences = (int32_t)clefi_params_i64(p, CLEF_P_ALIGN_TEXT_SENTENCES);
    c->max_icd = (int32_t)clefi_params_i64(p, CLEF_P_ALIGN_MAX_ICD);
    c->max_atc = (int32_t)clefi_params_i64(p, CLEF_P_ALIGN_MAX_ATC);
    c->vocab = 1;
    tr->batch = clefi_params_i64(p, CLEF_P_ALIGN_BATCH);
    tr->steps_total = clefi_params_i64(p, CLEF_P_ALIGN_STEPS);
    tr->ckpt_every = clefi_params_i64(p, CLEF_P_ALIGN_CHECKPOINT_EVERY);
    tr->lr = clefi_params_f64(p, CLEF_P_ALIGN_LR);
    tr->lr_min_frac = clefi_params_f64(p, CLEF_P_ALIGN_LR_MIN_FRAC);
    tr->warmup_frac = clefi_params_f64(p, CLEF_P_ALIGN_WARMUP_FRAC);
    tr->wd = clefi_params_f64(p, CLEF_P_ALIGN_WEIGHT_DECAY);
    tr->clip = clefi_params_f64(p, CLEF_P_ALIGN_GRAD_CLIP);
    tr->temperature = clefi_params_f64(p, CLEF_P_ALIGN_TEMPERATURE);
    tr->learn_temp = (int32_t)clefi_params_i64(p, CLEF_P_ALIGN_LEARN_TEMPERATURE);
    tr->sent_drop = clefi_params_f64(p, CLEF_P_ALIGN_SENTENCE_DROPOUT);
    tr->w_report = clefi_params_f64(p, CLEF_P_ALIGN_REPORT_WEIGHT);
    tr->w_ehr = clefi_params_f64(p, CLEF_P_ALIGN_EHR_WEIGHT);
    tr->seed = (uint64_t)clefi_params_i64(p, CLEF_P_ALIGN_SEED);
    tr->recon_w = clefi_params_f64(p, CLEF_P_ALIGN_RECON_WEIGHT);
    tr->enc_lr = clefi_params_f64(p, CLEF_P_ALIGN_ENCODER_LR);
}

static clef_status trainer_new(clef_aligner_trainer **out, clef_ctx *ctx, const clef_params *p,
                               int32_t n_threads) {
    *out = NULL;
    clef_params *def = NULL;
    if (p == NULL) {
        clef_status rc = clef_params_create(&def, ctx, CLEF_PARAMS_ALIGN);
        if (rc != CLEF_OK)
            return rc;
        p = def;
    } else if (clef_params_kind(p) != CLEF_PARAMS_ALIGN) {
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                               "aligner trainer: settings are not a CLEF_PARAMS_ALIGN set");
    }
    clef_aligner_trainer *tr = clefi_calloc(ctx, 1, sizeof *tr);
    clef_status rc = tr ? CLEF_OK
                        : clefi_ctx_error(ctx, CLEF_ERR_NOMEM,
                                          "aligner trainer: "
                                          "out of memory");
    if (rc == CLEF_OK) {
        tr->ctx = clefi_ctx_retain(ctx);
        tr->world = 1;
        read_params(tr, p);
        const char *drop = clefi_params_str(p, CLEF_P_ALIGN_DROP_WORDS);
        if (drop != NULL && drop[0] && (tr->drop = clefi_strdup(ctx, drop)) == NULL)
            rc = clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "aligner trainer: out of memory");
        if (rc == CLEF_OK)
            rc = clef_session_create(&tr->sess, ctx, n_threads);
    }
    clef_params_free(def);
    if (rc != CLEF_OK) {
        clef_aligner_trainer_free(tr);
        return rc;
    }
    *out = tr;
    return CLEF_OK;
}

clef_status clef_aligner_trainer_create(clef_aligner_trainer **out, clef_ctx *ctx,
                                        const clef_params *p, int32_t n_threads) {
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_reset(ctx);
    if (out == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "clef_aligner_trainer_create: out NULL");
    return trainer_new(out, ctx, p, n_threads);
}

static void side_free(clef_ctx *ctx, al_side *sd) {
    clefi_free(ctx, sd->rows);
    clefi_free(ctx, sd->len);
    clefi_free(ctx, sd->ids);
    clefi_free(ctx, sd->x);
    clefi_free(ctx, sd->dz);
    clefi_al_work_free(&sd->w);
    memset(sd, 0, sizeof *sd);
}

void clef_aligner_trainer_free(clef_aligner_trainer *tr) {
    if (tr == NULL)
        return;
    clef_ctx *ctx = tr->ctx;
    for (int s = 0; s < 2; s++) {
        for (int64_t i = 0; i < tr->data[s].n; i++) {
            al_item *it = &tr->data[s].it[i];
            clefi_free(ctx, it->emb);
            clefi_free(ctx, it->states);
            clefi_free(ctx, it->sent);
            clefi_free(ctx, it->ids);
            clefi_free(ctx, it->tok);
            clefi_strs_free(ctx, &it->toks);
        }
        clefi_free(ctx, tr->data[s].it);
        side_free(ctx, &tr->side[s]);
    }
    clef_aligner_free(tr->al);
    clefi_free(ctx, tr->gflat);
    clefi_free(ctx, tr->m);
    clefi_free(ctx, tr->v);
    clefi_free(ctx, tr->idx);
    clefi_free(ctx, tr->lidx);
    clefi_free(ctx, tr->ebuf);
    clefi_free(ctx, tr->drop);
    clefi_free(ctx, tr->tokbuf);
    clefi_free(ctx, tr->demb);
    clef_encoder_trainer_free(tr->etr);
    clef_session_free(tr->sess);
    clefi_free(ctx, tr);
    clefi_ctx_release(ctx);
}

const char *clef_aligner_trainer_errmsg(const clef_aligner_trainer *tr) {
    return tr != NULL ? tr->err.msg : "";
}
clef_status clef_aligner_trainer_errcode(const clef_aligner_trainer *tr) {
    return tr != NULL ? tr->err.code : CLEF_ERR_INVALID_ARG;
}
int64_t clef_aligner_trainer_steps(const clef_aligner_trainer *tr) {
    return tr != NULL ? tr->step : 0;
}
int64_t clef_aligner_trainer_sessions(const clef_aligner_trainer *tr, int32_t split) {
    if (tr == NULL || (split != CLEF_SPLIT_TRAIN && split != CLEF_SPLIT_VAL))
        return -1;
    return tr->data[split == CLEF_SPLIT_VAL].n;
}
const clef_aligner *clef_aligner_trainer_aligner(const clef_aligner_trainer *tr) {
    return tr != NULL ? tr->al : NULL;
}

/* ---- data ---- */

/* Append a session; states (n_text x text_dim, may be NULL) and sent (n_sent + 1 sentence
 * offsets, may be NULL) are moved in, freed on failure. */
static clef_status add_item(clef_aligner_trainer *tr, const float *emb, int64_t in_dim,
                            float *states, int32_t n_text, int32_t *sent, int32_t n_sent,
                            int64_t text_dim, const char *ehr, const int32_t *tok, int32_t split) {
    clef_status rc = CLEF_OK;
    size_t n_tok = 0;
    if (tr->etr != NULL) {
        const clef_encoder *enc = clef_encoder_trainer_encoder(tr->etr, 0);
        n_tok = enc_tokens(tr);
        char why[128];
        if (tok == NULL)
            rc = clefi_error(tr->ctx, &tr->err, CLEF_ERR_STATE,
                             "aligner trainer: fine-tuning the encoder needs each session's "
                             "tokens (add sessions with clef_aligner_trainer_add_store())");
        else if (clefi_enc_check_session(enc, tok, why, sizeof why) != CLEF_OK)
            rc = clefi_error(tr->ctx, &tr->err, CLEF_ERR_RANGE, "aligner trainer: %s", why);
    }
    if (tr->cfg.in_dim == 0)
        tr->cfg.in_dim = (int32_t)in_dim;
    if (states != NULL && tr->cfg.text_dim == 0)
        tr->cfg.text_dim = (int32_t)text_dim;
    if (in_dim != tr->cfg.in_dim)
        rc = clefi_error(tr->ctx, &tr->err, CLEF_ERR_SHAPE,
                         "aligner trainer: embedding of width %lld, earlier ones were %d wide",
                         (long long)in_dim, (int)tr->cfg.in_dim);
    else if (states != NULL && text_dim != tr->cfg.text_dim)
        rc = clefi_error(tr->ctx, &tr->err, CLEF_ERR_SHAPE,
                         "aligner trainer: text states of width %lld, not %d", (long long)text_dim,
                         (int)tr->cfg.text_dim);
    for (int64_t k = 0; rc == CLEF_OK && k < in_dim; k++)
        if (!isfinite(emb[k]))
            rc = clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                             "aligner trainer: embedding value %lld is not finite", (long long)k);
    al_set *set = &tr->data[split == CLEF_SPLIT_VAL];
    if (rc == CLEF_OK && set->n == set->cap) {
        int64_t cap = set->cap ? 2 * set->cap : 64;
        al_item *p = clefi_realloc_array(tr->ctx, set->it, (size_t)cap, sizeof *p);
        if (p == NULL)
            rc = tr_error(tr, CLEF_ERR_NOMEM, "adding a session");
        else {
            set->it = p;
            set->cap = cap;
        }
    }
    al_item it = {.states = states, .n_text = n_text, .sent = sent, .n_sent = n_sent};
    if (rc == CLEF_OK) {
        if ((it.emb = clefi_malloc(tr->ctx, (size_t)in_dim * sizeof *it.emb)) == NULL)
            rc = CLEF_ERR_NOMEM;
        else
            memcpy(it.emb, emb, (size_t)in_dim * sizeof *it.emb);
        if (rc == CLEF_OK && n_tok > 0) {
            if ((it.tok = clefi_malloc(tr->ctx, n_tok * sizeof *it.tok)) == NULL)
                rc = CLEF_ERR_NOMEM;
            else
                memcpy(it.tok, tok, n_tok * sizeof *it.tok);
        }
        if (rc == CLEF_OK && ehr != NULL)
            rc = clefi_al_ehr_tokens(tr->ctx, ehr, tr->cfg.max_icd, tr->cfg.max_atc, &it.toks);
        if (rc != CLEF_OK)
            rc = tr_error(tr, rc, "adding a session");
    }
    if (rc != CLEF_OK) {
        clefi_free(tr->ctx, it.emb);
        clefi_free(tr->ctx, it.tok);
        clefi_free(tr->ctx, it.states);
        clefi_free(tr->ctx, it.sent);
        clefi_strs_free(tr->ctx, &it.toks);
        return rc;
    }
    set->it[set->n++] = it;
    return CLEF_OK;
}

clef_status clefi_al_trainer_add_states(clef_aligner_trainer *tr, const float *emb, int64_t in_dim,
                                        const float *states, int32_t n_text, const int32_t *sent,
                                        int32_t n_sent, int64_t text_dim, const char *ehr,
                                        const int32_t *tok, int32_t split) {
    float *copy = NULL;
    int32_t *off = NULL;
    if (states != NULL) {
        size_t n = (size_t)n_text * (size_t)text_dim;
        if ((copy = clefi_malloc(tr->ctx, n * sizeof *copy)) == NULL)
            return tr_error(tr, CLEF_ERR_NOMEM, "adding a session");
        memcpy(copy, states, n * sizeof *copy);
        if (sent != NULL) {
            if ((off = clefi_malloc(tr->ctx, ((size_t)n_sent + 1) * sizeof *off)) == NULL) {
                clefi_free(tr->ctx, copy);
                return tr_error(tr, CLEF_ERR_NOMEM, "adding a session");
            }
            memcpy(off, sent, ((size_t)n_sent + 1) * sizeof *off);
        }
    }
    return add_item(tr, emb, in_dim, copy, n_text, off, off != NULL ? n_sent : 0, text_dim, ehr,
                    tok, split);
}

/* One session: its report encoded now, then add_item (tok: its token ids or NULL). */
static clef_status add_report(clef_aligner_trainer *tr, const clef_text_encoder *te,
                              const float *emb, int64_t in_dim, const char *report, const char *ehr,
                              const int32_t *tok, int32_t split) {
    float *states = NULL;
    int32_t n_text = 0, *sent = NULL, n_sent = 0;
    if (report != NULL) {
        clef_status rc =
            clefi_al_text_states(te, tr->sess, report, 1, tr->drop, tr->cfg.max_text,
                                 tr->cfg.text_sentences, &states, &n_text, &sent, &n_sent);
        if (rc != CLEF_OK)
            return tr_error(tr, rc, "encoding a report");
    }
    return add_item(tr, emb, in_dim, states, n_text, sent, n_sent, te != NULL ? te->cfg.d : 0, ehr,
                    tok, split);
}

clef_status clef_aligner_trainer_add_session(clef_aligner_trainer *tr, const clef_text_encoder *te,
                                             const float *emb, int64_t in_dim, const char *report,
                                             const char *ehr, int32_t split) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (emb == NULL || in_dim < 1 || (report != NULL && te == NULL) ||
        (split != CLEF_SPLIT_TRAIN && split != CLEF_SPLIT_VAL))
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                           "clef_aligner_trainer_add_session: bad argument");
    return add_report(tr, te, emb, in_dim, report, ehr, NULL, split);
}

/* The session's token ids under the fine-tuned encoder's tokenizer into tok (uint16 artifact
 * read through u16). */
static clef_status store_tokens(clef_aligner_trainer *tr, clef_store *store, const char *sid,
                                uint16_t *u16, int32_t *tok) {
    const clef_encoder *enc = clef_encoder_trainer_encoder(tr->etr, 0);
    const char *tok_sha = clefi_enc_tokenizer_sha(enc);
    size_t nt = enc_tokens(tr), got = 0;
    clef_status rc = clef_store_artifact_get(store, sid, CLEF_ARTIFACT_TOKENS, tok_sha, u16,
                                             nt * sizeof *u16, &got);
    if (rc == CLEF_OK && got != nt * sizeof *u16)
        rc = CLEF_ERR_SHAPE;
    if (rc != CLEF_OK)
        return clefi_error(tr->ctx, &tr->err, rc,
                           "aligner trainer: session %s has no tokens of tokenizer %.12s for "
                           "the fine-tuned encoder (%s; clef tokenize --store first)",
                           sid, tok_sha,
                           rc == CLEF_ERR_SHAPE ? "wrong count" : clef_store_errmsg(store));
    for (size_t k = 0; k < nt; k++)
        tok[k] = u16[k];
    return CLEF_OK;
}

/* A growing string buffer for the store's text columns. */
static clef_status store_text(clef_store *store, const char *sid, int ehr, char **buf, size_t *cap,
                              clef_ctx *ctx) {
    for (;;) {
        size_t need = 0;
        clef_status rc = ehr ? clef_store_session_ehr(store, sid, *buf, *cap, &need)
                             : clef_store_report_text(store, sid, *buf, *cap, &need);
        if (rc != CLEF_ERR_BUFFER_TOO_SMALL)
            return rc;
        char *p = clefi_realloc(ctx, *buf, need);
        if (p == NULL)
            return CLEF_ERR_NOMEM;
        *buf = p;
        *cap = need;
    }
}

clef_status clef_aligner_trainer_add_store(clef_aligner_trainer *tr, const clef_text_encoder *te,
                                           clef_store *store, const char *encoder_hash,
                                           const char *split) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    int32_t sp = split == NULL                 ? -1
                 : strcmp(split, "train") == 0 ? CLEF_SPLIT_TRAIN
                 : strcmp(split, "val") == 0   ? CLEF_SPLIT_VAL
                                               : -1;
    if (te == NULL || store == NULL || encoder_hash == NULL || sp < 0)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                           "clef_aligner_trainer_add_store: bad argument (split \"train\" or "
                           "\"val\")");
    if (strlen(encoder_hash) == 64 && tr->enc_sha[0] == '\0')
        memcpy(tr->enc_sha, encoder_hash, 65);
    int64_t n = 0;
    clef_status rc = clef_store_split_count(store, sp, &n);
    char sid[256], *report = NULL, *ehr = NULL;
    size_t rcap = 0, ecap = 0;
    float *emb = NULL;
    int64_t added = 0;
    uint16_t *u16 = NULL;
    int32_t *tok = NULL;
    if (tr->etr != NULL) {
        size_t nt = enc_tokens(tr);
        u16 = clefi_malloc(tr->ctx, nt * sizeof *u16);
        tok = clefi_malloc(tr->ctx, nt * sizeof *tok);
        if (u16 == NULL || tok == NULL)
            rc = tr_error(tr, CLEF_ERR_NOMEM, "token ids");
    }
    for (int64_t i = 0; rc == CLEF_OK && i < n; i++) {
        size_t need;
        rc = clef_store_split_session(store, sp, i, sid, sizeof sid, &need);
        size_t len = 0;
        if (rc == CLEF_OK) {
            rc = clef_store_artifact_get(store, sid, CLEF_ARTIFACT_EMBEDDING, encoder_hash, NULL, 0,
                                         &len);
            if (rc == CLEF_ERR_NOT_FOUND) {
                clefi_error(tr->ctx, &tr->err, rc,
                            "aligner trainer: session %s has no embedding under encoder %.12s: "
                            "run `clef embed --store` with that encoder first",
                            sid, encoder_hash);
                break;
            }
            if (rc == CLEF_ERR_BUFFER_TOO_SMALL)
                rc = CLEF_OK;
        }
        if (rc == CLEF_OK) {
            float *p = clefi_realloc(tr->ctx, emb, len ? len : 1);
            if (p == NULL)
                rc = CLEF_ERR_NOMEM;
            else
                emb = p;
        }
        if (rc == CLEF_OK)
            rc = clef_store_artifact_get(store, sid, CLEF_ARTIFACT_EMBEDDING, encoder_hash, emb,
                                         len, &len);
        int has_report = 0;
        if (rc == CLEF_OK) {
            rc = store_text(store, sid, 0, &report, &rcap, tr->ctx);
            has_report = rc == CLEF_OK;
            if (rc == CLEF_ERR_NOT_FOUND)
                rc = CLEF_OK;
        }
        if (rc == CLEF_OK)
            rc = store_text(store, sid, 1, &ehr, &ecap, tr->ctx);
        if (rc == CLEF_OK && tok != NULL &&
            (rc = store_tokens(tr, store, sid, u16, tok)) != CLEF_OK)
            break; /* the error is on the trainer */
        if (rc == CLEF_OK) {
            rc = add_report(tr, te, emb, (int64_t)(len / sizeof(float)), has_report ? report : NULL,
                            ehr, tok, sp);
            if (rc != CLEF_OK)
                break; /* the error is on the trainer */
            added++;
        } else if (tr->err.code == CLEF_OK) {
            clefi_error(tr->ctx, &tr->err, rc, "aligner trainer: reading session %s: %s", sid,
                        rc == CLEF_ERR_NOMEM ? "out of memory" : clef_store_errmsg(store));
        }
    }
    clefi_free(tr->ctx, emb);
    clefi_free(tr->ctx, report);
    clefi_free(tr->ctx, ehr);
    clefi_free(tr->ctx, u16);
    clefi_free(tr->ctx, tok);
    if (rc == CLEF_OK && added == 0)
        rc = clefi_error(tr->ctx, &tr->err, CLEF_ERR_NOT_FOUND,
                         "aligner trainer: the store's %s split has no sessions", split);
    return rc;
}

/* ---- the model's first step: vocabulary, input statistics, weights ---- */

static clef_status map_ids(clef_aligner_trainer *tr) {
    for (int s = 0; s < 2; s++)
        for (int64_t i = 0; i < tr->data[s].n; i++) {
            al_item *it = &tr->data[s].it[i];
            if (it->ids != NULL || it->toks.n == 0)
                continue;
            if ((it->ids = clefi_malloc(tr->ctx, it->toks.n * sizeof *it->ids)) == NULL)
                return tr_error(tr, CLEF_ERR_NOMEM, "EHR ids");
            for (size_t k = 0; k < it->toks.n; k++)
                it->ids[k] = clefi_al_vocab_id(tr->al->vocab, tr->al->cfg.vocab, it->toks.s[k]);
        }
    return CLEF_OK;
}

static clef_status new_model(clef_aligner_trainer *tr) {
    const al_set *train = &tr->data[0];
    clefi_strs *lists = clefi_calloc(tr->ctx, (size_t)train->n, sizeof *lists), vocab = {0};
    if (lists == NULL)
        return tr_error(tr, CLEF_ERR_NOMEM, "EHR vocabulary");
    for (int64_t i = 0; i < train->n; i++)
        lists[i] = train->it[i].toks; /* borrowed */
    clef_status rc = clefi_al_vocab(tr->ctx, lists, (size_t)train->n, &vocab);
    clefi_free(tr->ctx, lists);
    if (rc != CLEF_OK)
        return tr_error(tr, rc, "EHR vocabulary");
    clefi_al_cfg c = tr->cfg;
    c.vocab = (int32_t)vocab.n;
    if (c.text_dim == 0)
        c.text_dim = 384; /* no report was added: the default tower's width */
    rc = clefi_al_alloc(&tr->al, tr->ctx, &c);
    if (rc != CLEF_OK) {
        clefi_strs_free(tr->ctx, &vocab);
        return tr_error(tr, rc, "a new aligner");
    }
    for (size_t i = 0; i < vocab.n; i++) {
        tr->al->vocab[i] = vocab.s[i]; /* moved */
        vocab.s[i] = NULL;
    }
    clefi_strs_free(tr->ctx, &vocab);
    clefi_al_init(tr->al, tr->seed, tr->temperature);
    memcpy(tr->al->enc_sha, tr->enc_sha, sizeof tr->enc_sha);
    /* standardize each input dimension over the training sessions (population sd) */
    for (int32_t k = 0; k < c.in_dim; k++) {
        double s1 = 0.0, s2 = 0.0;
        for (int64_t i = 0; i < train->n; i++)
            s1 += train->it[i].emb[k];
        double mu = s1 / (double)train->n;
        for (int64_t i = 0; i < train->n; i++)
            s2 += (train->it[i].emb[k] - mu) * (train->it[i].emb[k] - mu);
        double sd = sqrt(s2 / (double)train->n);
        tr->al->eeg_mu[k] = (float)mu;
        tr->al->eeg_sd[k] = sd > 1e-6 ? (float)sd : 1.f;
    }
    return CLEF_OK;
}

static clef_status prepare(clef_aligner_trainer *tr) {
    if (tr->etr != NULL && tr->world > 1) {
        /* the masked-token term draws its masks by global batch position, as one process does,
         * when every rank holds an equal share */
        int64_t B = tr->batch < tr->data[0].n ? tr->batch : tr->data[0].n;
        if (B % tr->world != 0)
            return clefi_error(tr->ctx, &tr->err, CLEF_ERR_UNSUPPORTED,
                               "aligner trainer: fine-tuning the encoder over %d ranks needs a "
                               "batch divisible by them (%lld sessions)",
                               (int)tr->world, (long long)B);
        clef_status rc = clef_encoder_trainer_set_reducer(tr->etr, tr->reduce, tr->dist_user,
                                                          tr->rank, tr->world);
        if (rc != CLEF_OK)
            return clefi_error(tr->ctx, &tr->err, rc, "aligner trainer: %s",
                               clef_encoder_trainer_errmsg(tr->etr));
    }
    if (tr->data[0].n < 2)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_STATE,
                           "aligner trainer: %lld training sessions; contrastive training needs "
                           "at least 2",
                           (long long)tr->data[0].n);
    if (tr->al == NULL) {
        clef_status rc = new_model(tr);
        if (rc != CLEF_OK)
            return rc;
    }
    if (tr->al->cfg.in_dim != tr->cfg.in_dim ||
        (tr->cfg.text_dim != 0 && tr->al->cfg.text_dim != tr->cfg.text_dim))
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_SHAPE,
                           "aligner trainer: the sessions (embedding %d, text %d wide) do not fit "
                           "the checkpoint's aligner (%d, %d)",
                           (int)tr->cfg.in_dim, (int)tr->cfg.text_dim, (int)tr->al->cfg.in_dim,
                           (int)tr->al->cfg.text_dim);
    size_t n = tr->al->lay.total;
    if (tr->m == NULL)
        tr->m = clefi_calloc(tr->ctx, n, sizeof *tr->m);
    if (tr->v == NULL)
        tr->v = clefi_calloc(tr->ctx, n, sizeof *tr->v);
    if (tr->m == NULL || tr->v == NULL)
        return tr_error(tr, CLEF_ERR_NOMEM, "AdamW moments");
    if (tr->gflat == NULL) { /* bound at once: a set gflat means bound gradients */
        if ((tr->gflat = clefi_calloc(tr->ctx, n, sizeof *tr->gflat)) == NULL)
            return tr_error(tr, CLEF_ERR_NOMEM, "gradients");
        tr->grad = *tr->al;
        clefi_al_bind(&tr->grad, tr->gflat);
    }
    return map_ids(tr);
}

/* ---- one step ---- */

static clef_status grow(clef_ctx *ctx, void **p, size_t *cap, size_t bytes) {
    if (bytes <= *cap)
        return CLEF_OK;
    void *q = clefi_realloc(ctx, *p, bytes);
    if (q == NULL)
        return CLEF_ERR_NOMEM;
    *p = q;
    *cap = bytes;
    return CLEF_OK;
}

/* Sentence dropout: which sentences of training item i enter this step (bit k: sentence k;
 * sentences past the 64th always do). Drawn from (seed, step, item) only, so a resumed run
 * and every rank draw the same; with chance 1 - sent_drop the whole report. */
static uint64_t sentence_mask(const clef_aligner_trainer *tr, int64_t i, int32_t n_sent) {
    if (n_sent < 2 || tr->sent_drop <= 0.0)
        return ~0ull;
    uint64_t u =
        clefi_rng_u64(clefi_rng_u64(tr->seed ^ AL_SALT_SENT, (uint64_t)tr->step), (uint64_t)i);
    if ((double)(u >> 11) * 0x1p-53 >= tr->sent_drop)
        return ~0ull;
    uint64_t bits = clefi_rng_u64(u, 1);
    int32_t n = n_sent < 64 ? n_sent : 64;
    uint64_t all = n == 64 ? ~0ull : (1ull << n) - 1;
    if ((bits & all) == 0)
        bits = 1ull << (u % (uint64_t)n);
    return bits | ~all;
}

/* The report states of item it that enter with mask (all of them when it has no sentence
 * offsets), copied to dst (td floats per token) unless dst is NULL; returns their token count. */
static int32_t masked_states(const al_item *it, uint64_t mask, float *dst, size_t td) {
    if (it->sent == NULL || mask == ~0ull) {
        if (dst != NULL)
            memcpy(dst, it->states, (size_t)it->n_text * td * sizeof *dst);
        return it->n_text;
    }
    int32_t len = 0;
    for (int32_t k = 0; k < it->n_sent; k++)
        if (k >= 64 || (mask >> k & 1)) {
            int32_t n = it->sent[k + 1] - it->sent[k];
            if (dst != NULL)
                memcpy(dst + (size_t)len * td, it->states + (size_t)it->sent[k] * td,
                       (size_t)n * td * sizeof *dst);
            len += n;
        }
    return len;
}

/* Gather this rank's batch rows that have modality m (0 report, 1 EHR) into sd's sequences;
 * inv[j] = sd's row of local row j, -1 without the modality. drop: training reports may be
 * cut to a subset of their sentences (sentence_mask). */
static clef_status side_gather(clef_aligner_trainer *tr, const al_set *set, const int64_t *lidx,
                               int64_t nl, int m, int drop, al_side *sd, int64_t *inv) {
    const clefi_al_cfg *c = &tr->al->cfg;
    clef_ctx *ctx = tr->ctx;
    sd->n = 0;
    sd->T = 1;
    clef_status rc =
        grow(ctx, (void **)&sd->rows, &sd->cap_rows, (size_t)(nl + 1) * sizeof(int64_t));
    if (rc == CLEF_OK)
        rc = grow(ctx, (void **)&sd->len, &sd->cap_len, (size_t)(nl + 1) * sizeof(int32_t));
    if (rc != CLEF_OK)
        return rc;
    for (int64_t j = 0; j < nl; j++) {
        const al_item *it = &set->it[lidx[j]];
        uint64_t mask = drop && m == 0 ? sentence_mask(tr, lidx[j], it->n_sent) : ~0ull;
        int32_t len =
            m == 0 ? (it->states ? masked_states(it, mask, NULL, 0) : 0) : (int32_t)it->toks.n;
        inv[j] = len > 0 ? sd->n : -1;
        if (len == 0)
            continue;
        sd->rows[sd->n] = j;
        sd->len[sd->n++] = len;
        if (len > sd->T)
            sd->T = len;
    }
    const size_t D = (size_t)c->dim, nT = (size_t)(sd->n * sd->T);
    if (m == 0)
        rc = grow(ctx, (void **)&sd->x, &sd->cap_x, (nT + 1) * (size_t)c->text_dim * sizeof(float));
    else
        rc = grow(ctx, (void **)&sd->ids, &sd->cap_ids, (nT + 1) * sizeof(int32_t));
    if (rc == CLEF_OK)
        rc = grow(ctx, (void **)&sd->dz, &sd->cap_dz, ((size_t)sd->n + 1) * D * sizeof(float));
    if (rc != CLEF_OK)
        return rc;
    for (int64_t r = 0; r < sd->n; r++) {
        const al_item *it = &set->it[lidx[sd->rows[r]]];
        if (m == 0) {
            const size_t row = (size_t)sd->T * (size_t)c->text_dim, td = (size_t)c->text_dim;
            float *dst = sd->x + (size_t)r * row;
            uint64_t mask = drop ? sentence_mask(tr, lidx[sd->rows[r]], it->n_sent) : ~0ull;
            size_t used = (size_t)masked_states(it, mask, dst, td) * td;
            memset(dst + used, 0, (row - used) * sizeof *dst);
        } else {
            int32_t *dst = sd->ids + (size_t)r * (size_t)sd->T;
            for (int64_t k = 0; k < sd->T; k++)
                dst[k] = k < sd->len[r] ? it->ids[k] : 0;
        }
    }
    return sd->n > 0 ? clefi_al_work_prepare(&sd->w, ctx, c, sd->n, sd->T,
                                             clefi_pool_size(tr->sess->pool), 1)
                     : CLEF_OK;
}

/* Work of one step: local rows, the exchanged rows of every rank, and per modality the global
 * pairs (EEG, other side) in batch order with their InfoNCE scratch. */
static clef_status step_buffers(clef_aligner_trainer *tr, int64_t B, int64_t nl, int64_t S,
                                size_t F) {
    const clefi_al_cfg *c = &tr->al->cfg;
    const size_t D = (size_t)c->dim, H = (size_t)c->eeg_hidden, in = (size_t)c->in_dim;
    const size_t wide = D > H ? D : H, W = (size_t)tr->world;
    /* int64 maps first (8-byte aligned): 2 inverse maps (nl), 2 position lists (B); then the
     * local raw rows, EEG activations and dz (wide: the EEG backward reuses it), the exchange
     * (send S x F, all W x S x F) and per modality 4 B x D pairs and gradients + 2 B^2 */
    size_t ints = 2 * (size_t)nl + 2 * (size_t)B;
    size_t local = (size_t)nl * (2 * in + 2 * H + 2 * wide + D + 1);
    size_t glob = (size_t)S * F * (1 + W) + 2 * (4 * (size_t)B * D + 2 * (size_t)(B * B));
    clef_status rc = grow(tr->ctx, (void **)&tr->ebuf, &tr->cap_ebuf,
                          ints * sizeof(int64_t) + (local + glob + 16) * sizeof(float));
    if (rc != CLEF_OK)
        return rc;
    int64_t *q = (int64_t *)(void *)tr->ebuf;
    tr->inv[0] = q, q += nl;
    tr->inv[1] = q, q += nl;
    tr->pairs[0].pos = q, q += B;
    tr->pairs[1].pos = q, q += B;
    float *p = (float *)(void *)q;
    tr->X = p, p += (size_t)nl * in;
    tr->ew.xs = p, p += (size_t)nl * in;
    tr->ew.h = p, p += (size_t)nl * H;
    tr->ew.a = p, p += (size_t)nl * H;
    tr->ew.o = p, p += (size_t)nl * wide;
    tr->ew.z = p, p += (size_t)nl * D;
    tr->ew.norm = p, p += (size_t)nl;
    tr->dz_eeg = p, p += (size_t)nl * wide;
    tr->send = p, p += (size_t)S * F;
    tr->all = p, p += (size_t)S * F * W;
    for (int m = 0; m < 2; m++) {
        al_pairs *g = &tr->pairs[m];
        g->za = p, p += (size_t)B * D;
        g->zt = p, p += (size_t)B * D;
        g->dza = p, p += (size_t)B * D;
        g->dzt = p, p += (size_t)B * D;
        g->scratch = p, p += 2 * (size_t)(B * B);
    }
    return CLEF_OK;
}

/* Forward of a batch (this rank's share: positions p with p % world == rank), the exchange of
 * every rank's embeddings (so each term's negatives span the global batch), both loss terms
 * and their in-batch top-1 accuracies over the global batch (NaN for a skipped term), and
 * with grads nonzero the backward of this rank's rows into tr->gflat, reduced over ranks. */
/* The fine-tuned encoder's gradient for the local batch (lidx[nl]), into its trainer's buffer:
 * recon_weight x its masked-token loss (the mean over the global batch: with ranks, the
 * encoder trainer knows rank and world and scales this rank's share), then, session by
 * session, the gradient through its embedding of the InfoNCE terms (tr->demb, from the EEG
 * tower), each recomputing that session's forward so one session's activations are held. */
static clef_status encoder_grads(clef_aligner_trainer *tr, const al_set *set, int64_t nl) {
    const size_t nt = enc_tokens(tr), total = clefi_enc_trainer_n_weights(tr->etr);
    const int64_t in_dim = tr->al->cfg.in_dim;
    clef_status rc =
        grow(tr->ctx, (void **)&tr->tokbuf, &tr->cap_tokbuf, (size_t)nl * nt * sizeof(int32_t));
    if (rc != CLEF_OK)
        return tr_error(tr, rc, "batch buffers");
    for (int64_t j = 0; j < nl; j++)
        memcpy(tr->tokbuf + (size_t)j * nt, set->it[tr->lidx[j]].tok, nt * sizeof(int32_t));
    float *g = clefi_enc_trainer_gbuf(tr->etr);
    if (tr->recon_w > 0.0) { /* fills (not adds to) the buffer: masks of the encoder's step */
        clefi_enc_loss_grad(tr->etr, tr->tokbuf, nl, NULL, NULL);
        clefi_scale(tr->sess->pool, g, (int64_t)total, (float)tr->recon_w);
    } else {
        memset(g, 0, (total + 2) * sizeof *g);
    }
    float *emb = tr->X; /* the forward's embeddings are no longer needed */
    for (int64_t j = 0; j < nl; j++)
        clefi_enc_embed_grad(tr->etr, tr->tokbuf + (size_t)j * nt, tr->demb + j * in_dim, emb, 0);
    if (tr->world > 1) { /* each rank's part: the mean over ranks, then back to the sum */
        if ((rc = tr->reduce(g, total + 2, tr->dist_user)) != CLEF_OK)
            return clefi_error(tr->ctx, &tr->err, rc,
                               "aligner trainer: the encoder's gradient all-reduce failed");
        clefi_scale(tr->sess->pool, g, (int64_t)(total + 2), (float)tr->world);
    }
    return CLEF_OK;
}

static clef_status batch_pass(clef_aligner_trainer *tr, const al_set *set, const int64_t *idx,
                              int64_t B, int grads, double loss[2], double acc[2]) {
    clef_aligner *al = tr->al;
    const clefi_al_cfg *c = &al->cfg;
    clefi_pool *pool = tr->sess->pool;
    const int64_t W = tr->world, me = tr->rank, S = (B + W - 1) / W;
    const size_t D = (size_t)c->dim, F = 3 * D + 3;
    int64_t nl = 0;
    clef_status rc =
        grow(tr->ctx, (void **)&tr->lidx, &tr->cap_lidx, (size_t)(B + 1) * sizeof(int64_t));
    if (rc != CLEF_OK)
        return tr_error(tr, rc, "batch buffers");
    for (int64_t p = me; p < B; p += W)
        tr->lidx[nl++] = idx[p];
    if ((rc = step_buffers(tr, B, nl, S, F)) != CLEF_OK)
        return tr_error(tr, rc, "batch buffers");
    const size_t H = (size_t)c->eeg_hidden, wide = D > H ? D : H;
    for (int64_t j = 0; j < nl; j++) { /* fine-tuning: the current encoder's embedding */
        float *x = tr->X + (size_t)j * c->in_dim;
        if (tr->etr != NULL)
            clefi_enc_embed_grad(tr->etr, set->it[tr->lidx[j]].tok, NULL, x, 0);
        else
            memcpy(x, set->it[tr->lidx[j]].emb, (size_t)c->in_dim * sizeof(float));
    }
    clefi_al_eeg_forward(al, pool, &tr->ew, tr->X, nl);
    if (grads) {
        memset(tr->gflat, 0, al->lay.total * sizeof *tr->gflat);
        memset(tr->dz_eeg, 0, (size_t)nl * wide * sizeof(float));
    }
    const double w[2] = {tr->w_report, tr->w_ehr};
    const clefi_al_tower *tw[2] = {&al->text, &al->ehr}, *gw[2] = {&tr->grad.text, &tr->grad.ehr};
    clefi_al_seq seq[2];
    for (int m = 0; m < 2; m++) {
        al_side *sd = &tr->side[m];
        int drop = grads && set == &tr->data[0];
        if ((rc = side_gather(tr, set, tr->lidx, nl, m, drop, sd, tr->inv[m])) != CLEF_OK)
            return tr_error(tr, rc, "batch buffers");
        seq[m] = (clefi_al_seq){.B = sd->n,
                                .T = sd->T,
                                .x = m == 0 ? sd->x : NULL,
                                .ids = m == 1 ? sd->ids : NULL,
                                .len = sd->len};
        if (sd->n > 0 && w[m] != 0.0 &&
            (rc = clefi_al_tower_forward(al, tw[m], pool, &sd->w, &seq[m])) != CLEF_OK)
            return tr_error(tr, rc, "tower forward");
    }
    /* exchange rows [EEG z | report z | EHR z | valid | has report | has EHR] */
    memset(tr->send, 0, (size_t)S * F * sizeof(float));
    for (int64_t j = 0; j < nl; j++) {
        float *row = tr->send + (size_t)j * F;
        memcpy(row, tr->ew.z + (size_t)j * D, D * sizeof(float));
        row[3 * D] = 1.f;
        for (int m = 0; m < 2; m++) {
            int64_t k = tr->inv[m][j];
            if (k < 0 || w[m] == 0.0)
                continue;
            memcpy(row + (size_t)(1 + m) * D, tr->side[m].w.z + (size_t)k * D, D * sizeof(float));
            row[3 * D + 1 + m] = 1.f;
        }
    }
    if (W == 1)
        memcpy(tr->all, tr->send, (size_t)S * F * sizeof(float));
    else if ((rc = tr->gather(tr->send, (size_t)S * F, tr->all, tr->dist_user)) != CLEF_OK)
        return clefi_error(tr->ctx, &tr->err, rc,
                           "aligner trainer: the embedding all-gather failed");
    float dls = 0.f;
    for (int m = 0; m < 2; m++) {
        al_pairs *g = &tr->pairs[m];
        int64_t n = 0;
        for (int64_t p = 0; p < B; p++) {
            const float *row = tr->all + ((size_t)(p % W) * (size_t)S + (size_t)(p / W)) * F;
            if (row[3 * D + 1 + m] == 0.f)
                continue;
            memcpy(g->za + (size_t)n * D, row, D * sizeof(float));
            memcpy(g->zt + (size_t)n * D, row + (size_t)(1 + m) * D, D * sizeof(float));
            g->pos[n++] = p;
        }
        g->n = n;
        loss[m] = acc[m] = NAN;
        if (n < 2)
            continue;
        loss[m] = clefi_infonce_forward(pool, g->za, g->zt, *al->log_scale, n, c->dim, g->scratch);
        int64_t hit = 0;
        for (int64_t i = 0; i < n; i++) {
            const float *row = g->scratch + i * n;
            int64_t best = 0;
            for (int64_t j = 1; j < n; j++)
                if (row[j] > row[best])
                    best = j;
            hit += best == i;
        }
        acc[m] = (double)hit / (double)n;
        if (!grads)
            continue;
        memset(g->dza, 0, (size_t)n * D * sizeof(float));
        memset(g->dzt, 0, (size_t)n * D * sizeof(float));
        clefi_infonce_backward(pool, g->dza, g->dzt, &dls, g->za, g->zt, *al->log_scale, n, c->dim,
                               (float)w[m], g->scratch);
        al_side *sd = &tr->side[m];
        for (int64_t i = 0; i < n; i++) {
            if (g->pos[i] % W != me)
                continue;
            int64_t j = g->pos[i] / W, k = tr->inv[m][j];
            float *dst = tr->dz_eeg + (size_t)j * D;
            for (size_t e = 0; e < D; e++)
                dst[e] += g->dza[(size_t)i * D + e];
            memcpy(sd->dz + (size_t)k * D, g->dzt + (size_t)i * D, D * sizeof(float));
        }
        if (sd->n > 0)
            clefi_al_tower_backward(al, tw[m], gw[m], pool, &sd->w, &seq[m], sd->dz);
    }
    if (!grads)
        return CLEF_OK;
    if (tr->etr != NULL && (rc = grow(tr->ctx, (void **)&tr->demb, &tr->cap_demb,
                                      (size_t)nl * (size_t)c->in_dim * sizeof(float))) != CLEF_OK)
        return tr_error(tr, rc, "batch buffers");
    clefi_al_eeg_backward(al, &tr->grad, pool, &tr->ew, tr->dz_eeg,
                          tr->etr != NULL ? tr->demb : NULL, nl);
    if (tr->etr != NULL && (rc = encoder_grads(tr, set, nl)) != CLEF_OK)
        return rc;
    /* every rank computed the same dls: each adds its share so the sum over ranks is dls */
    *tr->grad.log_scale = tr->learn_temp ? dls / (float)W : 0.f;
    if (W > 1) {
        if ((rc = tr->reduce(tr->gflat, al->lay.total, tr->dist_user)) != CLEF_OK)
            return clefi_error(tr->ctx, &tr->err, rc,
                               "aligner trainer: the gradient all-reduce failed");
        clefi_scale(pool, tr->gflat, (int64_t)al->lay.total, (float)W); /* mean -> sum */
    }
    return CLEF_OK;
}

/* The step's batch: B distinct training sessions from (seed, step), a partial Fisher-Yates
 * shuffle of idx (n_train entries) reset to the identity each step. */
static int64_t draw_batch(clef_aligner_trainer *tr, int64_t *idx) {
    const int64_t n = tr->data[0].n, B = tr->batch < n ? tr->batch : n;
    uint64_t st = clefi_rng_u64(tr->seed ^ AL_SALT_BATCH, (uint64_t)tr->step);
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    for (int64_t i = 0; i < B; i++) {
        int64_t j = i + (int64_t)clefi_rand_below(&st, (uint64_t)(n - i)), t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    return B;
}

clef_status clefi_al_trainer_loss_grad(clef_aligner_trainer *tr, const int64_t *idx, int64_t B,
                                       double loss[2]) {
    clef_status rc = prepare(tr);
    double acc[2];
    return rc != CLEF_OK ? rc : batch_pass(tr, &tr->data[0], idx, B, 1, loss, acc);
}

float *clefi_al_trainer_grads(clef_aligner_trainer *tr) { return tr->gflat; }

clef_encoder_trainer *clefi_al_trainer_etr(clef_aligner_trainer *tr) { return tr->etr; }

static clef_status one_step(clef_aligner_trainer *tr, double loss[2], double acc[2]) {
    int64_t B = draw_batch(tr, tr->idx);
    clef_status rc = batch_pass(tr, &tr->data[0], tr->idx, B, 1, loss, acc);
    if (rc != CLEF_OK)
        return rc;
    clefi_pool *pool = tr->sess->pool;
    const size_t n = tr->al->trained;
    if (tr->clip > 0)
        clefi_grad_clip(pool, tr->gflat, (int64_t)n, tr->clip);
    int64_t warm = (int64_t)(tr->warmup_frac * (double)tr->steps_total);
    double lr = clefi_lr_at(CLEFI_SCHED_COSINE, tr->step, warm, tr->steps_total, tr->lr,
                            tr->lr * tr->lr_min_frac);
    clefi_adamw h = {(float)lr, 0.9f, 0.999f, 1e-8f, (float)tr->wd};
    tr->step++;
    clefi_adamw_step(pool, &h, tr->al->flat, tr->gflat, tr->m, tr->v, (int64_t)n, tr->step);
    if (tr->etr != NULL) /* the encoder on the aligner's schedule, at its own peak rate */
        clefi_enc_trainer_apply(tr->etr, tr->enc_lr * lr / tr->lr);
    if (!tr->learn_temp)
        *tr->al->log_scale = (float)log(1.0 / tr->temperature);
    else if (*tr->al->log_scale > (float)log(100.0))
        *tr->al->log_scale = (float)log(100.0); /* CLIP's clamp */
    return CLEF_OK;
}

/* ---- run, validation, checkpoints ---- */

clef_status clef_aligner_trainer_run(clef_aligner_trainer *tr, const char *checkpoint_path,
                                     clef_aligner_progress_fn progress, void *user) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = prepare(tr);
    if (rc != CLEF_OK)
        return rc;
    clefi_free(tr->ctx, tr->idx); /* sessions may have been added since the last run */
    if ((tr->idx = clefi_calloc(tr->ctx, (size_t)tr->data[0].n, sizeof *tr->idx)) == NULL)
        return tr_error(tr, CLEF_ERR_NOMEM, "batch indices");
    while (tr->step < tr->steps_total) {
        double loss[2], acc[2];
        rc = one_step(tr, loss, acc);
        if (rc != CLEF_OK)
            return rc;
        int last = tr->step == tr->steps_total;
        if (checkpoint_path != NULL && tr->ckpt_every > 0 &&
            (tr->step % tr->ckpt_every == 0 || last)) {
            rc = clef_aligner_trainer_save(tr, checkpoint_path);
            if (rc != CLEF_OK)
                return rc;
        }
        if (progress != NULL &&
            progress(tr->step, tr->steps_total, loss[0], loss[1], acc[0], acc[1], user) != 0)
            return clefi_error(tr->ctx, &tr->err, CLEF_ERR_CANCELLED,
                               "aligner trainer: cancelled at step %lld", (long long)tr->step);
    }
    return CLEF_OK;
}

clef_status clef_aligner_trainer_validate(clef_aligner_trainer *tr, double *loss, double *r_at_1,
                                          double *r_at_10) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = prepare(tr);
    if (rc != CLEF_OK)
        return rc;
    const al_set *val = &tr->data[1];
    if (val->n < 2)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_STATE,
                           "aligner trainer: %lld held-out sessions; validation needs 2",
                           (long long)val->n);
    int64_t *idx = clefi_calloc(tr->ctx, (size_t)val->n, sizeof *idx);
    if (idx == NULL)
        return tr_error(tr, CLEF_ERR_NOMEM, "validation");
    for (int64_t i = 0; i < val->n; i++)
        idx[i] = i;
    double l[2], a[2];
    /* every rank validates alone: no exchange */
    int32_t world = tr->world, rank = tr->rank;
    tr->world = 1;
    tr->rank = 0;
    rc = batch_pass(tr, val, idx, val->n, 0, l, a);
    tr->world = world;
    tr->rank = rank;
    /* ranks of the true report among all held-out reports, EEG -> report */
    const al_pairs *g = &tr->pairs[0];
    const int64_t n_rep = rc == CLEF_OK ? g->n : 0;
    int64_t top1 = 0, top10 = 0;
    for (int64_t i = 0; i < n_rep; i++) {
        const float *row = g->scratch + i * n_rep;
        int64_t r = 0;
        for (int64_t j = 0; j < n_rep; j++)
            r += row[j] > row[i];
        top1 += r < 1;
        top10 += r < 10;
    }
    clefi_free(tr->ctx, idx);
    if (rc != CLEF_OK)
        return rc;
    if (n_rep < 2)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_STATE,
                           "aligner trainer: fewer than 2 held-out sessions have a report");
    if (loss != NULL)
        *loss = l[0];
    if (r_at_1 != NULL)
        *r_at_1 = (double)top1 / (double)n_rep;
    if (r_at_10 != NULL)
        *r_at_10 = (double)top10 / (double)n_rep;
    return CLEF_OK;
}

static void seed_bytes(uint64_t seed, unsigned char *b) {
    for (int i = 0; i < SEED_BYTES; i++)
        b[i] = (unsigned char)(seed >> (8 * i));
}

clef_status clef_aligner_trainer_set_dist(clef_aligner_trainer *tr, clef_grad_reduce_fn reduce,
                                          clef_gather_fn gather, void *user, int32_t rank,
                                          int32_t world) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (world < 1 || rank < 0 || rank >= world || (world > 1 && (reduce == NULL || gather == NULL)))
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                           "clef_aligner_trainer_set_dist: rank %d of %d, reduce and gather "
                           "needed with more than one rank",
                           (int)rank, (int)world);
    tr->reduce = reduce;
    tr->gather = gather;
    tr->dist_user = user;
    tr->rank = rank;
    tr->world = world;
    return CLEF_OK;
}

/* The fine-tuned encoder's trainer settings: its own pretraining objective and optimiser
 * settings, its current weights (no EMA), masks drawn from the aligner's seed. */
static clef_status finetune_params(clef_ctx *ctx, uint64_t seed, clef_params **out) {
    clef_status rc = clef_params_create(out, ctx, CLEF_PARAMS_PRETRAIN);
    if (rc == CLEF_OK)
        rc = clef_params_set_f64(*out, CLEF_P_PRETRAIN_EMA_DECAY, 0.0);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_PRETRAIN_SEED, (int64_t)(seed & 0x1FFFFFFFFFFFFFull));
    return rc;
}

clef_status clef_aligner_trainer_finetune(clef_aligner_trainer *tr, const clef_encoder *enc) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (enc == NULL)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                           "clef_aligner_trainer_finetune: encoder NULL");
    if (tr->etr != NULL || tr->data[0].n > 0 || tr->data[1].n > 0 || tr->al != NULL)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_STATE,
                           "aligner trainer: fine-tuning is chosen once, before any session is "
                           "added or step taken");
    clef_params *p = NULL;
    clef_status rc = finetune_params(tr->ctx, tr->seed, &p);
    if (rc == CLEF_OK)
        rc = clefi_enc_trainer_from(&tr->etr, tr->ctx, enc, p, tr->sess->n_threads);
    clef_params_free(p);
    return rc == CLEF_OK ? CLEF_OK : tr_error(tr, rc, "fine-tuning the encoder");
}

const clef_encoder *clef_aligner_trainer_encoder(const clef_aligner_trainer *tr) {
    return tr != NULL && tr->etr != NULL ? clef_encoder_trainer_encoder(tr->etr, 0) : NULL;
}

clef_status clef_aligner_trainer_save_encoder(clef_aligner_trainer *tr, const char *path) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (path == NULL || tr->etr == NULL)
        return clefi_error(tr->ctx, &tr->err, path ? CLEF_ERR_STATE : CLEF_ERR_INVALID_ARG,
                           "aligner trainer: %s",
                           path ? "not fine-tuning an encoder" : "path NULL");
    char sha[65];
    clef_status rc = clef_encoder_save(clef_encoder_trainer_encoder(tr->etr, 0), tr->ctx, path);
    if (rc == CLEF_OK)
        rc = clef_encoder_model_hash(tr->ctx, path, sha, sizeof sha, NULL);
    if (rc != CLEF_OK)
        return clefi_error(tr->ctx, &tr->err, rc, "aligner trainer: %s", clef_ctx_errmsg(tr->ctx));
    memcpy(tr->enc_sha, sha, sizeof sha);
    if (tr->al != NULL)
        memcpy(tr->al->enc_sha, sha, sizeof sha);
    return CLEF_OK;
}

/* PATH.encoder: the fine-tuned encoder's checkpoint beside the aligner's */
static char *encoder_ckpt_path(clef_ctx *ctx, const char *path) {
    size_t n = strlen(path) + sizeof ".encoder";
    char *p = clefi_malloc(ctx, n);
    if (p != NULL)
        snprintf(p, n, "%s.encoder", path);
    return p;
}

/* The fine-tuned encoder trainer's checkpoint at PATH.encoder. */
static clef_status save_encoder_ckpt(clef_aligner_trainer *tr, const char *path) {
    char *ep = encoder_ckpt_path(tr->ctx, path);
    if (ep == NULL)
        return tr_error(tr, CLEF_ERR_NOMEM, "checkpoint");
    clef_status rc = clef_encoder_trainer_save(tr->etr, ep);
    clefi_free(tr->ctx, ep);
    return rc == CLEF_OK ? CLEF_OK
                         : clefi_error(tr->ctx, &tr->err, rc, "aligner trainer: %s",
                                       clef_encoder_trainer_errmsg(tr->etr));
}

clef_status clef_aligner_trainer_save(clef_aligner_trainer *tr, const char *path) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (path == NULL || tr->al == NULL)
        return clefi_error(tr->ctx, &tr->err, path ? CLEF_ERR_STATE : CLEF_ERR_INVALID_ARG,
                           "aligner trainer: %s",
                           path ? "nothing trained yet (run first)" : "path NULL");
    unsigned char rng[SEED_BYTES];
    seed_bytes(tr->seed, rng);
    clefi_ckpt ck = {.params = tr->al->flat,
                     .adam_m = tr->m,
                     .adam_v = tr->v,
                     .rng = rng,
                     .rng_len = SEED_BYTES,
                     .step = tr->step,
                     .world_size = 1};
    /* the encoder first: a crash between the two leaves the older aligner step to resume */
    clef_status rc = tr->etr != NULL ? save_encoder_ckpt(tr, path) : CLEF_OK;
    if (rc != CLEF_OK)
        return rc;
    clefi_al_meta meta;
    rc = clefi_al_meta_fill(tr->al, &meta);
    if (rc == CLEF_OK)
        rc = clefi_ckpt_save(tr->ctx, path, &tr->al->lay, &ck, meta.kv, meta.n, &tr->err);
    clefi_al_meta_free(tr->ctx, &meta);
    return rc;
}

clef_status clef_aligner_trainer_resume(clef_aligner_trainer **out, clef_ctx *ctx, const char *path,
                                        const clef_params *p, int32_t n_threads) {
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_reset(ctx);
    if (out == NULL || path == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "aligner trainer resume: bad argument");
    *out = NULL;
    clef_aligner_trainer *tr = NULL;
    clef_weights *w = NULL;
    clef_status rc = trainer_new(&tr, ctx, p, n_threads);
    if (rc == CLEF_OK)
        rc = clef_weights_open(&w, ctx, path);
    if (rc == CLEF_OK)
        rc = clefi_al_from_meta(&tr->al, ctx, w, path);
    if (rc == CLEF_OK) {
        size_t n = tr->al->lay.total;
        tr->m = clefi_calloc(ctx, n, sizeof *tr->m);
        tr->v = clefi_calloc(ctx, n, sizeof *tr->v);
        if (tr->m == NULL || tr->v == NULL)
            rc = clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "aligner trainer: out of memory");
    }
    unsigned char rng[SEED_BYTES];
    clefi_ckpt ck = {.params = tr && tr->al ? tr->al->flat : NULL,
                     .adam_m = tr ? tr->m : NULL,
                     .adam_v = tr ? tr->v : NULL,
                     .rng = rng,
                     .rng_len = SEED_BYTES};
    if (rc == CLEF_OK)
        rc = clefi_ckpt_load(w, &tr->al->lay, &ck, 0, &ctx->err);
    clef_weights_free(w);
    if (rc != CLEF_OK) {
        clef_aligner_trainer_free(tr);
        return rc;
    }
    tr->step = ck.step;
    tr->seed = 0;
    for (int i = 0; i < SEED_BYTES; i++)
        tr->seed |= (uint64_t)rng[i] << (8 * i);
    /* a fine-tuning run's encoder state, when written beside the checkpoint */
    char *ep = encoder_ckpt_path(ctx, path);
    FILE *probe = ep != NULL ? fopen(ep, "rb") : NULL;
    if (ep == NULL)
        rc = clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "aligner trainer: out of memory");
    if (probe != NULL) {
        fclose(probe);
        clef_params *ep_params = NULL;
        rc = finetune_params(ctx, tr->seed, &ep_params);
        if (rc == CLEF_OK)
            rc = clef_encoder_trainer_resume(&tr->etr, ctx, ep, ep_params, tr->sess->n_threads);
        clef_params_free(ep_params);
        if (rc == CLEF_OK && clef_encoder_trainer_steps(tr->etr) != tr->step)
            rc = clefi_ctx_error(
                ctx, CLEF_ERR_FORMAT, "aligner trainer: %s is at step %lld, the aligner at %lld",
                ep, (long long)clef_encoder_trainer_steps(tr->etr), (long long)tr->step);
    }
    clefi_free(ctx, ep);
    if (rc != CLEF_OK) {
        clef_aligner_trainer_free(tr);
        return rc;
    }
    /* the architecture is the checkpoint's, whatever p says */
    int32_t vocab = tr->al->cfg.vocab;
    tr->cfg = tr->al->cfg;
    tr->cfg.vocab = vocab;
    tr->cfg.in_dim = 0; /* fixed again by the first added session, checked in prepare() */
    tr->cfg.text_dim = 0;
    *out = tr;
    return CLEF_OK;
}
