/* enc_tune.h — what another module may use of the encoder trainer to fine-tune an encoder
 * through a loss on its embeddings (the clinical aligner's joint fine-tuning, docs/aligner.md).
 * SPDX-License-Identifier: BSD-3-Clause */
#ifndef CLEF_ENC_TUNE_H
#define CLEF_ENC_TUNE_H

#include <stddef.h>

#include "clef.h"
#include "core_int.h"
#include "nn.h"

/** A trainer (settings train, CLEF_PARAMS_PRETRAIN) that starts from enc's weights. */
CLEFI_HIDDEN clef_status clefi_enc_trainer_from(clef_encoder_trainer **out, clef_ctx *ctx,
                                                const clef_encoder *enc, const clef_params *train,
                                                int32_t n_threads);
/** The embedding of session ids (the whole session, unmasked, as clef_encoder_embed() embeds
 *  it, but through the training forward) into emb[embed_dim]; with demb non-NULL, adds the
 *  gradient of sum_k demb[k] emb[k] with respect to every encoder weight (the projection
 *  included) to the trainer's gradient buffer, which it returns (layout order; cleared first
 *  when zero). */
CLEFI_HIDDEN const float *clefi_enc_embed_grad(clef_encoder_trainer *tr, const int32_t *ids,
                                               const float *demb, float *emb, int zero);
/** The step's masked-token loss and its gradient (layout order, 2 floats more: loss and
 *  accuracy) for ids [n] at the current step's masks, without the optimiser step; the buffer
 *  is overwritten, not added to. */
CLEFI_HIDDEN const float *clefi_enc_loss_grad(clef_encoder_trainer *tr, const int32_t *ids,
                                              int64_t n, double *loss, double *acc);
/** One optimiser step on the gradient buffer at learning rate lr: clip, AdamW (the trainer's
 *  betas, eps, weight decay), step + 1, EMA. */
CLEFI_HIDDEN void clefi_enc_trainer_apply(clef_encoder_trainer *tr, double lr);
/** The gradient buffer (clefi_enc_trainer_n_weights() floats, then the loss and accuracy of
 *  the last clefi_enc_loss_grad()). */
CLEFI_HIDDEN float *clefi_enc_trainer_gbuf(clef_encoder_trainer *tr);
/** The weights being trained (clefi_enc_trainer_n_weights() floats, layout order) and, in
 *  *lay, their layout (tensor names and offsets). */
CLEFI_HIDDEN float *clefi_enc_trainer_weights(clef_encoder_trainer *tr, const clefi_layout **lay);
/** Floats of the encoder's weights (of its gradient). */
CLEFI_HIDDEN size_t clefi_enc_trainer_n_weights(clef_encoder_trainer *tr);
/** The SHA-256 (hex) of the tokenizer whose token ids the encoder reads. */
CLEFI_HIDDEN const char *clefi_enc_tokenizer_sha(const clef_encoder *enc);
/** CLEF_ERR_RANGE (why in buf) for ids [n_tokens] the encoder cannot read. */
CLEFI_HIDDEN clef_status clefi_enc_check_session(const clef_encoder *enc, const int32_t *ids,
                                                 char *why, size_t cap);

#endif /* CLEF_ENC_TUNE_H */
