/*
 * align_int.h — the clinical aligner's internals (docs/aligner.md): architecture, towers,
 * EHR vocabulary. SPDX-License-Identifier: BSD-3-Clause
 *
 * Three towers map into one unit-norm space of width dim:
 * - EEG: the session encoder's embedding, standardized with the training sessions' mean and
 *   standard deviation, through a 2-layer MLP (GELU).
 * - report: the frozen text encoder's final token states of the report summary, a linear map to
 *   the tower width, pre-LN Transformer blocks, a final LayerNorm, the mean over the tokens
 *   and a linear projection.
 * - EHR: one token per fact (age decade, sex, race, each code and its parent category), an
 *   embedding table, then blocks, LayerNorm, mean and projection as the report tower. No
 *   positions: the tower sees a set (the paper shuffles codes; a set needs no shuffling).
 */
#ifndef CLEF_ALIGN_INT_H
#define CLEF_ALIGN_INT_H

#include "nn.h"
#include "text_int.h"

#define CLEFI_AL_MAX_LAYERS 16
#define CLEFI_AL_LN_EPS     1e-5f
#define CLEFI_AL_NORM_EPS   1e-12f
#define CLEFI_AL_UNK        "[UNK]"

typedef struct clefi_al_cfg {
    int32_t in_dim;                         /* session embedding width (the encoder's embed_dim) */
    int32_t dim;                            /* shared space */
    int32_t width, n_layers, n_heads, d_ff; /* report and EHR towers */
    int32_t eeg_hidden;                     /* EEG MLP */
    int32_t text_dim;                       /* the text encoder's width */
    int32_t max_text;                       /* report tokens kept */
    int32_t text_sentences;                 /* 1: each sentence encoded on its own */
    int32_t max_icd, max_atc;
    int32_t vocab; /* EHR tokens, [UNK] (id 0) included */
} clefi_al_cfg;

/** A token tower's tensors (pointers into the flat buffer). The report tower's input map is
 *  in_w (width, text_dim) and in_b; the EHR tower's is the embedding table in_w (vocab,
 *  width), in_b NULL. */
typedef struct clefi_al_tower {
    float *in_w, *in_b;
    clefi_block_params blk[CLEFI_AL_MAX_LAYERS];
    float *ln_w, *ln_b, *proj_w, *proj_b;
} clefi_al_tower;

struct clef_aligner {
    clef_ctx *ctx;
    clefi_al_cfg cfg;
    clefi_layout lay;
    float *flat; /* lay.total floats */
    float *eeg_w1, *eeg_b1, *eeg_w2, *eeg_b2;
    clefi_al_tower text, ehr;
    float *log_scale;       /* [1]: logits = exp(log_scale) cos */
    float *eeg_mu, *eeg_sd; /* [in_dim] each; last in flat, never trained */
    size_t trained;         /* floats of flat before eeg_mu */
    char **vocab;           /* cfg.vocab sorted strings after vocab[0] = [UNK] */
    char enc_sha[65];       /* SHA-256 of the encoder file it was trained on, "" if unknown */
};

/** Batch of token sequences for a tower: B rows of T slots; row b holds len[b] >= 1 tokens,
 *  padded to T. Report rows give states x (B, T, text_dim); EHR rows ids (B, T). */
typedef struct clefi_al_seq {
    int64_t B, T;
    const float *x;
    const int32_t *ids;
    const int32_t *len;
} clefi_al_seq;

/** Saved activations of a tower over one batch (clefi_al_tower_work_*). */
typedef struct clefi_al_work {
    clef_ctx *ctx;
    int64_t B, T;
    int32_t backward, n_threads;
    clefi_block_dims dims;
    clefi_block_acts acts[CLEFI_AL_MAX_LAYERS];
    float *buf;
    size_t cap; /* floats of buf */
    float *x0, *lnf, *lnf_mean, *lnf_rstd, *pooled, *proj, *norm, *z, *dx, *dlnf, *dpooled, *dproj;
    uint8_t *pad;
} clefi_al_work;

/** Lay out (growing buf when needed) a tower work for B rows of T tokens. */
CLEFI_HIDDEN clef_status clefi_al_work_prepare(clefi_al_work *w, clef_ctx *ctx,
                                               const clefi_al_cfg *c, int64_t B, int64_t T,
                                               int32_t n_threads, int backward);
CLEFI_HIDDEN void clefi_al_work_free(clefi_al_work *w);

/** Layout, buffer and tensor pointers of an aligner of architecture cfg (weights zero). */
CLEFI_HIDDEN clef_status clefi_al_alloc(clef_aligner **out, clef_ctx *ctx, const clefi_al_cfg *cfg);
/** Initial weights from seed (N(0, 0.02) weights, zero biases, LayerNorm 1, log_scale from
 *  the temperature; mean 0 and sd 1 until the trainer sets them). */
CLEFI_HIDDEN void clefi_al_init(clef_aligner *al, uint64_t seed, double temperature);
/** Point al's tensor fields at base (lay.total floats): gradient buffers share the layout. */
CLEFI_HIDDEN void clefi_al_bind(clef_aligner *al, float *base);

/** EEG tower: z(B, dim) unit rows from emb(B, in_dim). Saves xs (B, in_dim), h (B, hidden),
 *  a (B, hidden), o (B, dim), norm (B) for backward. */
typedef struct clefi_al_eeg_work {
    float *xs, *h, *a, *o, *norm, *z;
} clefi_al_eeg_work;
CLEFI_HIDDEN void clefi_al_eeg_forward(const clef_aligner *al, clefi_pool *pool,
                                       clefi_al_eeg_work *w, const float *emb, int64_t B);
/** Gradients (g: an aligner-shaped gradient view) from dz(B, dim); dz is overwritten. demb
 *  (B, in_dim; may be NULL): the gradient of the input embeddings. */
CLEFI_HIDDEN void clefi_al_eeg_backward(const clef_aligner *al, const clef_aligner *g,
                                        clefi_pool *pool, clefi_al_eeg_work *w, float *dz,
                                        float *demb, int64_t B);

/** A token tower's forward over seq into w (prepared for seq's B, T): w->z (B, dim). */
CLEFI_HIDDEN clef_status clefi_al_tower_forward(const clef_aligner *al, const clefi_al_tower *t,
                                                clefi_pool *pool, clefi_al_work *w,
                                                const clefi_al_seq *seq);
/** Its gradients into gt (the same tower of a gradient view) from dz(B, dim). */
CLEFI_HIDDEN void clefi_al_tower_backward(const clef_aligner *al, const clefi_al_tower *t,
                                          const clefi_al_tower *gt, clefi_pool *pool,
                                          clefi_al_work *w, const clefi_al_seq *seq,
                                          const float *dz);

/* ---- EHR tokens (align_ehr.c) ---- */

/** A list of token strings. */
typedef struct clefi_strs {
    char **s;
    size_t n, cap;
} clefi_strs;
CLEFI_HIDDEN void clefi_strs_free(clef_ctx *ctx, clefi_strs *l);
/** The tokens of clef_store_session_ehr() text (age decade, sex, race, codes with their
 *  parents; at most max_icd diagnosis and max_atc medication codes, in the text's order),
 *  appended to out without duplicates. CLEF_ERR_NOMEM only. */
CLEFI_HIDDEN clef_status clefi_al_ehr_tokens(clef_ctx *ctx, const char *text, int32_t max_icd,
                                             int32_t max_atc, clefi_strs *out);
/** Sorted, distinct union of lists[n] with [UNK] first: a vocabulary (owned by *vocab). */
CLEFI_HIDDEN clef_status clefi_al_vocab(clef_ctx *ctx, const clefi_strs *lists, size_t n,
                                        clefi_strs *vocab);
/** Id of a token in a vocabulary (vocab[0] = [UNK], the rest sorted): 0 when unknown. */
CLEFI_HIDDEN int32_t clefi_al_vocab_id(char *const *vocab, int32_t n, const char *tok);

/* ---- shared by the aligner's load and the trainer's checkpoints (align_model.c) ---- */

/** Metadata of an aligner: clef.align.* architecture keys and the EHR vocabulary. */
typedef struct clefi_al_meta {
    const char *kv[2 * 16];
    char val[14][24], val_sent[4];
    char *vocab_joined; /* owned: free with clefi_al_meta_free */
    size_t n;
} clefi_al_meta;
CLEFI_HIDDEN clef_status clefi_al_meta_fill(const clef_aligner *al, clefi_al_meta *m);
CLEFI_HIDDEN void clefi_al_meta_free(clef_ctx *ctx, clefi_al_meta *m);
/** An aligner of the architecture and vocabulary in w's metadata, weights not bound. */
CLEFI_HIDDEN clef_status clefi_al_from_meta(clef_aligner **out, clef_ctx *ctx, clef_weights *w,
                                            const char *path);
/** The report states of text: de-identified summary (words of drop removed, when not NULL or
 *  empty), then the text encoder's final token states, at most max_text tokens, into a new
 *  buffer *states (n x text_dim floats). sentences: each sentence (ended by a period and a
 *  space, or the end) through the text encoder on its own, its states after the previous
 *  one's; else the whole text at once. starts (may be NULL): a new buffer of *n_sent + 1 token
 *  offsets, sentence k at [starts[k], starts[k + 1]). Errors on the session. */
CLEFI_HIDDEN clef_status clefi_al_text_states(const clef_text_encoder *te, clef_session *s,
                                              const char *text, int summarize, const char *drop,
                                              int32_t max_text, int sentences, float **states,
                                              int32_t *n, int32_t **starts, int32_t *n_sent);

/** Tests: the training loss terms (loss[0] report, loss[1] EHR; NaN when skipped) of the
 *  training sessions idx[B] and their gradient, left in the trainer's gradient buffer and
 *  returned (layout order, clefi_al_trainer_grads()), without an optimiser step. */
CLEFI_HIDDEN clef_status clefi_al_trainer_loss_grad(clef_aligner_trainer *tr, const int64_t *idx,
                                                    int64_t B, double loss[2]);
/** Tests: the fine-tuned encoder's trainer (NULL when not fine-tuning); after
 *  clefi_al_trainer_loss_grad(), its gradient buffer holds the encoder's gradient of the same
 *  loss plus recon_weight x its masked-token loss (that loss at [total]). */
CLEFI_HIDDEN clef_encoder_trainer *clefi_al_trainer_etr(clef_aligner_trainer *tr);
/** Tests: add a session with ready report states (n_text x text_dim, copied; NULL: none), its
 *  sentences' token offsets (n_sent + 1, copied; NULL: one piece) and, when fine-tuning, its
 *  encoder token ids (copied). */
CLEFI_HIDDEN clef_status clefi_al_trainer_add_states(clef_aligner_trainer *tr, const float *emb,
                                                     int64_t in_dim, const float *states,
                                                     int32_t n_text, const int32_t *sent,
                                                     int32_t n_sent, int64_t text_dim,
                                                     const char *ehr, const int32_t *tok,
                                                     int32_t split);
/** The trainer's gradient buffer (the aligner's layout; NULL before the first step). */
CLEFI_HIDDEN float *clefi_al_trainer_grads(clef_aligner_trainer *tr);

#endif /* CLEF_ALIGN_INT_H */
