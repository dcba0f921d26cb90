/* tok_pipeline.c — clef_tokenizer_trainer_run: the tokenizer training pipeline that
 * `clef train-tokenizer`, Python and R share (docs/tokenizer.md "Training"): the session-mean
 * coder's fit, the steps on random crops, checkpoints, and the calibration of session-mean
 * decoding.
 * SPDX-License-Identifier: BSD-3-Clause */
#include "model_int.h"

#include <stdio.h>
#include <string.h>

/* Session-mean tokens: fitted once, before the first step of a tokenizer that has none (when
 * mean_tokens > 0); one that has them keeps its own (its checkpoint decides). */
static clef_status fit_mean(clef_tokenizer_trainer *tr) {
    const clefi_tok_data *d = &tr->data;
    int32_t have = tr->tok->cfg.n_mean, want = tr->cfg.mean_tokens;
    if ((have > 0 || want == 0) && d->n_extra > 0)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_STATE,
                           "tokenizer trainer: %lld added session means, but %s",
                           (long long)d->n_extra,
                           have > 0 ? "the tokenizer keeps its session-mean coder"
                                    : "there are no session-mean tokens to fit "
                                      "(train.mean_tokens 0)");
    if (have > 0 || want == 0)
        return CLEF_OK;
    /* the training sessions' means, then those of add_means */
    size_t dim = (size_t)tr->tok->cfg.in_ch * (size_t)tr->tok->cfg.n_freq;
    size_t n = d->n + (size_t)d->n_extra;
    float *all = clefi_malloc(tr->ctx, n * dim * sizeof *all);
    if (all == NULL)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_NOMEM,
                           "tokenizer trainer: no memory (session means)");
    memcpy(all, d->means, d->n * dim * sizeof *all);
    if (d->n_extra > 0)
        memcpy(all + d->n * dim, d->extra, (size_t)d->n_extra * dim * sizeof *all);
    clef_status rc =
        clef_tokenizer_trainer_fit_mean(tr, all, (int64_t)n, want, tr->cfg.mean_levels);
    clefi_free(tr->ctx, all);
    if (rc != CLEF_OK) {
        char why[CLEFI_ERRMSG_CAP];
        snprintf(why, sizeof why, "%s", tr->err.msg);
        return clefi_error(tr->ctx, &tr->err, rc, "train.mean_tokens %d: %s", (int)want, why);
    }
    clefi_log(tr->ctx, CLEF_LOG_INFO,
              "session-mean tokens: %lld principal components of %zu sessions' mean power "
              "spectra, channel presence and the column count in %d tokens of %d levels",
              (long long)clef_tokenizer_mean_coefficients(tr->tok), n, (int)want,
              (int)tr->cfg.mean_levels);
    return CLEF_OK;
}

/* Session-mean decoding calibrated on every training session after the last step
 * (clef_tokenizer_trainer_calibrate_mean); nothing to do without session-mean tokens. */
static clef_status calibrate(clef_tokenizer_trainer *tr) {
    const clefi_tok_data *d = &tr->data;
    const clefi_tok_cfg *c = &tr->tok->cfg;
    if (c->n_mean == 0)
        return CLEF_OK;
    for (size_t i = 0; i < d->n; i++) {
        clef_status rc = clef_tokenizer_trainer_calibrate_mean(tr, d->spec[i], c->in_ch, c->n_freq,
                                                               d->frames[i], i == 0);
        if (rc != CLEF_OK)
            return rc;
    }
    clef_session_release_scratch(tr->sess); /* the session image's activations: done with them */
    clefi_log(tr->ctx, CLEF_LOG_INFO, "session-mean decoding calibrated on %zu sessions", d->n);
    return CLEF_OK;
}

static clef_status save(clef_tokenizer_trainer *tr, const char *path) {
    return path != NULL ? clef_tokenizer_trainer_save(tr, path) : CLEF_OK;
}

/* Steps until cfg.steps on crops drawn from (seed, step). */
static clef_status train_loop(clef_tokenizer_trainer *tr, const char *ckpt,
                              clef_tokenizer_train_progress_fn progress, void *user) {
    const clefi_tok_cfg *c = &tr->tok->cfg;
    int64_t batch = tr->cfg.batch, crop_t = c->crop_t, n_ch = c->in_ch, nf = c->n_freq;
    size_t img = (size_t)(n_ch * nf * crop_t);
    float *crops = clefi_malloc(tr->ctx, (size_t)batch * img * sizeof(float));
    float *means = clefi_malloc(tr->ctx, (size_t)(batch * n_ch * nf) * sizeof(float));
    uint32_t *present = clefi_malloc(tr->ctx, (size_t)batch * sizeof *present);
    clef_status rc = CLEF_OK;
    if (crops == NULL || present == NULL || means == NULL)
        rc = clefi_error(tr->ctx, &tr->err, CLEF_ERR_NOMEM, "tokenizer trainer: no memory (batch)");
    while (rc == CLEF_OK && tr->step < tr->cfg.steps) {
        clefi_tok_draw_batch(&tr->data, &tr->cfg, n_ch, nf, tr->step, batch, crop_t, crops, present,
                             means);
        double l1 = 0.0, ppl = 0.0;
        rc = clef_tokenizer_trainer_step(tr, crops, present, means, batch, &l1, &ppl);
        if (rc == CLEF_OK && tr->step % tr->cfg.checkpoint_every == 0)
            rc = save(tr, ckpt);
        if (rc == CLEF_OK && progress != NULL &&
            progress(tr->step, tr->cfg.steps, l1, ppl, clef_tokenizer_trainer_power_db(tr), user) !=
                0)
            rc = clefi_error(tr->ctx, &tr->err, CLEF_ERR_CANCELLED,
                             "tokenizer trainer: stopped by the progress callback at step %lld",
                             (long long)tr->step);
    }
    clefi_free(tr->ctx, crops);
    clefi_free(tr->ctx, means);
    clefi_free(tr->ctx, present);
    return rc;
}

clef_status clef_tokenizer_trainer_run(clef_tokenizer_trainer *tr, const char *checkpoint_path,
                                       clef_tokenizer_train_progress_fn progress, void *user) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (tr->data.n == 0)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_STATE,
                           "tokenizer trainer: no training sessions (add them with "
                           "clef_tokenizer_trainer_add_cohort or _add_store)");
    clef_status rc = fit_mean(tr);
    if (rc == CLEF_OK)
        rc = train_loop(tr, checkpoint_path, progress, user);
    if (rc == CLEF_OK)
        rc = calibrate(tr);
    if (rc == CLEF_OK)
        rc = save(tr, checkpoint_path);
    if (rc == CLEF_OK)
        clefi_err_clear(&tr->err);
    return rc;
}
