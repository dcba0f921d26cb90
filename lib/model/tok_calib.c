/* tok_calib.c — calibration of session-mean decoding on training sessions.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Why: decode gives each row the coded mean power of its session, so band power survives the
 * tokens. But a decoded residual is smoother than the data: the multitaper noise (about 1.7 dB
 * per pixel) is not coded, and a smooth row reaches a given mean power at a higher level
 * (mean dB) than a noisy one. Left alone that lifts every row by the noise's share of the
 * power, about 0.3 dB, and costs pixel error. mean.bias takes a per-row constant off the coded
 * power instead, the training sessions' average of (decoded mean dB - true mean dB): decoded
 * levels are then unbiased, and the decoded power is the true power minus a constant that is
 * the same for every session, which leaves band-power features' ranking of sessions intact. */
#include "model_int.h"

#include <math.h>
#include <string.h>

/* Mean dB of each row of x [dim][stride] over its first frames. */
static void row_levels(const float *x, size_t dim, size_t stride, size_t frames, double *out) {
    for (size_t r = 0; r < dim; r++) {
        double s = 0.0;
        for (size_t t = 0; t < frames; t++)
            s += (double)x[r * stride + t];
        out[r] = s / (double)frames;
    }
}

clef_status clef_tokenizer_trainer_calibrate_mean(clef_tokenizer_trainer *tr, const float *spec,
                                                  int64_t n_channels, int64_t n_freq,
                                                  int64_t n_frames, int32_t first) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    const clef_tokenizer *tok = clefi_tok_trainer_model(tr);
    const clefi_tok_cfg *c = &tok->cfg;
    if (c->n_mean == 0)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_STATE,
                           "calibrate_mean: the tokenizer has no session-mean tokens "
                           "(clef_tokenizer_trainer_fit_mean)");
    if (spec == NULL || n_frames < 1)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                           "calibrate_mean: spec is NULL or n_frames %lld < 1",
                           (long long)n_frames);
    if (n_channels != c->in_ch || n_freq != c->n_freq)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_SHAPE,
                           "calibrate_mean: spectrogram is %lld channels x %lld bins, the "
                           "tokenizer takes %d x %d",
                           (long long)n_channels, (long long)n_freq, (int)c->in_ch, (int)c->n_freq);
    size_t dim = tok->mean.dim;
    if (tr->calib == NULL && (tr->calib = clefi_calloc(tr->ctx, 2 * dim, sizeof(double))) == NULL)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_NOMEM, "calibrate_mean: no memory");
    if (first)
        memset(tr->calib, 0, 2 * dim * sizeof(double));
    clef_tokenizer *whole = NULL;
    clef_session *sess = tr->sess; /* the trainer's threads and scratch */
    int64_t crop = clef_tokenizer_session_frames(tok);
    clef_status rc = clef_tokenizer_clone_crop(&whole, tok, tr->ctx, crop);
    size_t n_tok = (size_t)clef_tokenizer_n_tokens(whole), n_out = dim * (size_t)crop;
    size_t t_in = (size_t)(n_frames < crop ? n_frames : crop);
    int32_t *ids = clefi_calloc(tr->ctx, n_tok, sizeof *ids);
    float *out = clefi_calloc(tr->ctx, n_out, sizeof *out);
    double *lv = clefi_calloc(tr->ctx, 2 * dim, sizeof *lv);
    if (rc == CLEF_OK && (ids == NULL || out == NULL || lv == NULL))
        rc = CLEF_ERR_NOMEM;
    if (rc == CLEF_OK)
        rc = clef_tokenizer_encode(whole, sess, spec, c->in_ch, c->n_freq, n_frames, ids, n_tok,
                                   NULL, 0, NULL);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_decode(whole, sess, ids, n_tok, out, n_out, NULL);
    if (rc == CLEF_OK) {
        row_levels(spec, dim, (size_t)n_frames, t_in, lv);
        row_levels(out, dim, (size_t)crop, t_in, lv + dim);
        float blank = (float)c->spec.db_min + 1e-4f;
        double *sum = tr->calib, *cnt = tr->calib + dim;
        for (size_t r = 0; r < dim; r++) {
            double d = (double)tok->mean.bias[r] + lv[dim + r] - lv[r];
            if (!(lv[r] > (double)blank) || !isfinite(d)) /* absent channel, or no data */
                continue;
            sum[r] += d;
            cnt[r] += 1.0;
        }
        for (size_t r = 0; r < dim; r++)
            if (cnt[r] > 0.0)
                tr->tok->mean.bias[r] = (float)(sum[r] / cnt[r]);
        clefi_err_clear(&tr->err);
    } else {
        const char *why = sess != NULL && clef_session_errmsg(sess)[0] ? clef_session_errmsg(sess)
                          : rc == CLEF_ERR_NOMEM                       ? "no memory"
                                                                       : clef_ctx_errmsg(tr->ctx);
        clefi_error(tr->ctx, &tr->err, rc, "calibrate_mean: %s", why);
    }
    clef_tokenizer_free(whole);
    clefi_free(tr->ctx, ids);
    clefi_free(tr->ctx, out);
    clefi_free(tr->ctx, lv);
    return rc;
}
