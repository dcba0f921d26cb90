/* tok_tokenize.c — recording or signal -> spectrogram -> tokens in one call on a session.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * The calls every user otherwise repeats: check that the spectrogram is the one the weights were
 * trained on, read only the span the tokenizer's image covers (bounded memory for hours-long
 * files), transform, encode. The signal, spectrogram and ids live in the session's pipeline
 * slots, so a warm session allocates nothing per recording. */
#include "model_int.h"

#include <string.h>

/* Spectrogram of the signal into the session's pipeline slot, then its tokens. */
static clef_status encode_signal(const clef_tokenizer *tok, clef_session *s,
                                 const clef_spectrogram *sg, const float *x, size_t stride,
                                 int64_t n_samples, int32_t *ids, size_t ids_cap) {
    const clefi_tok_cfg *c = &tok->cfg;
    int64_t frames = clef_spectrogram_n_frames(sg, n_samples);
    if (frames < 1)
        return clefi_session_error(s, CLEF_ERR_SHAPE,
                                   "%lld samples per channel: shorter than one spectrogram window "
                                   "(%lld samples)",
                                   (long long)n_samples, (long long)clef_spectrogram_window(sg));
    if (frames > c->crop_t) /* only the frames the image holds */
        frames = c->crop_t;
    size_t need;
    if (clefi_mul_overflow((size_t)c->in_ch * (size_t)c->n_freq, (size_t)frames, &need) ||
        clefi_mul_overflow(need, sizeof(float), &need))
        return clefi_session_error(s, CLEF_ERR_OVERFLOW, "spectrogram size overflows");
    float *spec = clefi_session_slot(s, CLEFI_SLOT_PIPE_SPEC, need);
    if (spec == NULL)
        return CLEF_ERR_NOMEM;
    /* the samples the first `frames` frames read */
    int64_t used = clef_spectrogram_window(sg) + (frames - 1) * clef_spectrogram_step(sg);
    if (used > n_samples)
        used = n_samples;
    /* a nested public call: it resets the session's error, which holds none yet */
    clef_status rc = clef_spectrogram_compute(sg, s, x, stride, c->in_ch, used, spec,
                                              need / sizeof(float), NULL);
    if (rc == CLEF_OK)
        rc = clefi_tok_encode_run(tok, s, spec, c->in_ch, c->n_freq, frames, ids, ids_cap, NULL, 0,
                                  NULL);
    return rc;
}

static clef_status check_call(const clef_tokenizer *tok, clef_session *s,
                              const clef_spectrogram *sg, const void *data, const int32_t *ids,
                              size_t ids_cap, size_t *needed) {
    if (tok == NULL || sg == NULL || data == NULL || ids == NULL)
        return clefi_session_error(s, CLEF_ERR_INVALID_ARG,
                                   "tokenize: tokenizer, spectrogram, input and ids must not be "
                                   "NULL");
    size_t n_all = (size_t)clef_tokenizer_n_tokens(tok);
    if (needed != NULL)
        *needed = n_all;
    if (ids_cap < n_all)
        return clefi_session_error(s, CLEF_ERR_BUFFER_TOO_SMALL,
                                   "tokenize: ids need %zu entries, capacity %zu", n_all, ids_cap);
    if (tok->cfg.in_ch != CLEF_N_CANONICAL)
        return clefi_session_error(s, CLEF_ERR_SHAPE,
                                   "tokenize: the tokenizer takes %d channels, recordings give "
                                   "the %d canonical ones",
                                   (int)tok->cfg.in_ch, CLEF_N_CANONICAL);
    return clefi_tok_check_spec(tok, s, sg);
}

clef_status clef_tokenizer_encode_signal(const clef_tokenizer *tok, clef_session *s,
                                         const clef_spectrogram *sg, const float *x,
                                         size_t row_stride, int64_t n_samples, int32_t *ids,
                                         size_t ids_cap, size_t *needed) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    clef_status rc = check_call(tok, s, sg, x, ids, ids_cap, needed);
    if (rc == CLEF_OK && (n_samples < 1 || row_stride < (size_t)n_samples))
        rc = clefi_session_error(s, CLEF_ERR_INVALID_ARG,
                                 "tokenize: %lld samples with row stride %zu (need >= 1 sample, "
                                 "stride >= samples)",
                                 (long long)n_samples, row_stride);
    if (rc == CLEF_OK)
        rc = encode_signal(tok, s, sg, x, row_stride, n_samples, ids, ids_cap);
    return rc;
}

clef_status clef_tokenizer_encode_recording(const clef_tokenizer *tok, clef_session *s,
                                            const clef_spectrogram *sg, clef_recording *rec,
                                            int32_t *ids, size_t ids_cap, size_t *needed,
                                            uint32_t *present_mask) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    clef_status rc = check_call(tok, s, sg, rec, ids, ids_cap, needed);
    if (rc != CLEF_OK)
        return rc;
    double read_s = clef_tokenizer_read_seconds(tok, sg);
    int64_t n = 0;
    size_t cap = 0;
    rc = clef_recording_canonical_length(rec, 0.0, read_s, &n);
    if (rc == CLEF_OK && clefi_mul_overflow((size_t)n, CLEF_N_CANONICAL * sizeof(float), &cap))
        rc = CLEF_ERR_OVERFLOW;
    float *x = rc == CLEF_OK ? clefi_session_slot(s, CLEFI_SLOT_PIPE_X, cap) : NULL;
    if (rc == CLEF_OK && x == NULL)
        return CLEF_ERR_NOMEM;
    int64_t n_out = 0;
    if (rc == CLEF_OK)
        rc = clef_recording_read_canonical(rec, 0.0, read_s, x, (size_t)n, cap / sizeof(float),
                                           &n_out, present_mask);
    if (rc != CLEF_OK)
        return clefi_session_error(s, rc, "recording: %s",
                                   clef_recording_errmsg(rec)[0] ? clef_recording_errmsg(rec)
                                                                 : clef_strerror(rc));
    return encode_signal(tok, s, sg, x, (size_t)n, n_out, ids, ids_cap);
}
