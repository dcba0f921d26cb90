/* tok_data.c — the training sessions of a tokenizer trainer: the recordings of a split of a
 * cohort directory (manifest.csv, splits.csv; docs/COHORT-FORMAT.md) or of a store, each read
 * as the 19 canonical channels, turned into the trainer's spectrogram and its session mean.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Uses the recording reader, the spectrogram and the store only through the public API. */
#include "model_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static clef_status nomem(clef_tokenizer_trainer *tr, const char *what) {
    return clefi_error(tr->ctx, &tr->err, CLEF_ERR_NOMEM, "tokenizer trainer: no memory (%s)",
                       what);
}

/* ---- sessions ---- */

void clefi_tok_data_free(clef_ctx *ctx, clefi_tok_data *d) {
    for (size_t i = 0; i < d->n; i++)
        clefi_free(ctx, d->spec[i]);
    clefi_free(ctx, d->spec);
    clefi_free(ctx, d->means);
    clefi_free(ctx, d->frames);
    clefi_free(ctx, d->present);
    clefi_free(ctx, d->extra);
    memset(d, 0, sizeof *d);
}

/* Room for n more sessions. */
static clef_status data_reserve(clef_tokenizer_trainer *tr, size_t more) {
    clefi_tok_data *d = &tr->data;
    size_t dim = (size_t)tr->tok->cfg.in_ch * (size_t)tr->tok->cfg.n_freq;
    if (d->n + more <= d->cap)
        return CLEF_OK;
    size_t cap = d->n + more;
    float **spec = clefi_realloc_array(tr->ctx, d->spec, cap, sizeof *spec);
    if (spec != NULL)
        d->spec = spec;
    float *means = clefi_realloc_array(tr->ctx, d->means, cap * dim, sizeof *means);
    if (means != NULL)
        d->means = means;
    int64_t *frames = clefi_realloc_array(tr->ctx, d->frames, cap, sizeof *frames);
    if (frames != NULL)
        d->frames = frames;
    uint32_t *present = clefi_realloc_array(tr->ctx, d->present, cap, sizeof *present);
    if (present != NULL)
        d->present = present;
    if (spec == NULL || means == NULL || frames == NULL || present == NULL)
        return nomem(tr, "sessions");
    d->cap = cap;
    return CLEF_OK;
}

/* The spectrogram of the added sessions: set_spectrogram's, else CLEF's default (computed on
 * the trainer's session) (recorded as the tokenizer's clef.spec.* metadata). */
static clef_status data_spectrogram(clef_tokenizer_trainer *tr) {
    if (tr->sg != NULL)
        return CLEF_OK;
    clef_status rc = clef_spectrogram_create(&tr->sg_own, tr->ctx, NULL);
    if (rc != CLEF_OK)
        return clefi_error(tr->ctx, &tr->err, rc, "tokenizer trainer: spectrogram: %s",
                           clef_ctx_errmsg(tr->ctx));
    return clef_tokenizer_trainer_set_spectrogram(tr, tr->sg_own);
}

/* One recording's spectrogram spec [n_ch][n_freq][*frames] (malloc'd on ctx) and its present
 * channels. The one place the pipeline computes spectrograms. */
static clef_status session_spec(clef_tokenizer_trainer *tr, const char *path, float **spec,
                                int64_t *frames, uint32_t *present) {
    clef_ctx *ctx = tr->ctx;
    int64_t n_ch = tr->tok->cfg.in_ch, nf = tr->tok->cfg.n_freq, len = 0, n = 0;
    size_t x_cap = 0, cap = 0;
    clef_recording *rec = NULL;
    float *x = NULL;
    *spec = NULL;
    clef_status rc = clef_recording_open(&rec, ctx, path, NULL);
    if (rc == CLEF_OK)
        rc = clef_recording_canonical_length(rec, 0.0, -1.0, &len);
    if (rc == CLEF_OK && (clefi_mul_overflow((size_t)len, (size_t)n_ch, &x_cap) ||
                          (x = clefi_malloc(ctx, (x_cap ? x_cap : 1) * sizeof *x)) == NULL))
        rc = CLEF_ERR_NOMEM;
    if (rc == CLEF_OK)
        rc = clef_recording_read_canonical(rec, 0.0, -1.0, x, (size_t)len, x_cap, &n, present);
    const char *why = rec != NULL ? clef_recording_errmsg(rec) : clef_ctx_errmsg(ctx);
    if (rc != CLEF_OK) {
        rc = clefi_error(ctx, &tr->err, rc, "training session '%s': %s", path,
                         rc == CLEF_ERR_NOMEM ? "no memory" : why);
    } else if ((*frames = clef_spectrogram_n_frames(tr->sg, n)) < 1) {
        rc = clefi_error(ctx, &tr->err, CLEF_ERR_SHAPE,
                         "training session '%s': %lld samples, shorter than one spectrogram window",
                         path, (long long)n);
    } else if (clefi_mul_overflow((size_t)(n_ch * nf), (size_t)*frames, &cap) ||
               (*spec = clefi_malloc(ctx, cap * sizeof **spec)) == NULL) {
        rc = nomem(tr, "spectrogram");
    } else if ((rc = clef_spectrogram_compute(tr->sg, tr->sess, x, (size_t)len, n_ch, n, *spec, cap,
                                              NULL)) != CLEF_OK) {
        rc = clefi_error(ctx, &tr->err, rc, "training session '%s': its spectrogram: %s", path,
                         clef_session_errmsg(tr->sess));
    }
    if (rc != CLEF_OK) {
        clefi_free(ctx, *spec);
        *spec = NULL;
    }
    clefi_free(ctx, x);
    clef_recording_free(rec);
    return rc;
}

/* Add the recordings of paths (at most max_sessions of them) as training sessions; where
 * names the source in messages. On failure the trainer keeps the sessions it had. */
static clef_status add_paths(clef_tokenizer_trainer *tr, const clefi_path_list *paths,
                             const char *where, const char *split) {
    clefi_tok_data *d = &tr->data;
    const clefi_tok_cfg *c = &tr->tok->cfg;
    size_t n = paths->n, n0 = d->n, dim = (size_t)c->in_ch * (size_t)c->n_freq;
    if (tr->cfg.max_sessions > 0 && n > (size_t)tr->cfg.max_sessions)
        n = (size_t)tr->cfg.max_sessions;
    clef_status rc = data_reserve(tr, n);
    double db_min = -40.0;
    (void)clef_spectrogram_param_f64(tr->sg, CLEF_P_SPEC_DB_MIN, &db_min);
    d->blank_db = (float)db_min;
    int64_t total = 0;
    for (size_t i = 0; rc == CLEF_OK && i < n; i++) {
        float *spec = NULL;
        int64_t frames = 0;
        uint32_t present = 0;
        rc = session_spec(tr, paths->s[i], &spec, &frames, &present);
        if (rc == CLEF_OK && frames < c->crop_t) {
            clefi_log(tr->ctx, CLEF_LOG_WARN, "%s: %lld frames, shorter than a crop: skipped",
                      paths->s[i], (long long)frames);
        } else if (rc == CLEF_OK && (present & ((1u << c->in_ch) - 1u)) == 0) {
            clefi_log(tr->ctx, CLEF_LOG_WARN, "%s: no canonical channel: skipped", paths->s[i]);
        } else if (rc == CLEF_OK) {
            clef_tokenizer_session_mean(spec, c->in_ch, c->n_freq, frames, d->means + d->n * dim);
            d->spec[d->n] = spec;
            d->present[d->n] = present;
            d->frames[d->n++] = frames;
            total += frames;
            spec = NULL;
        }
        clefi_free(tr->ctx, spec);
    }
    if (rc == CLEF_OK && d->n == n0)
        rc = clefi_error(tr->ctx, &tr->err, CLEF_ERR_NOT_FOUND,
                         "%s: no usable session in split '%s' (%zu recordings)", where, split,
                         paths->n);
    if (rc != CLEF_OK) { /* the trainer keeps the sessions it had */
        for (size_t i = n0; i < d->n; i++)
            clefi_free(tr->ctx, d->spec[i]);
        d->n = n0;
        return rc;
    }
    d->total_frames += total;
    clefi_log(tr->ctx, CLEF_LOG_INFO, "%zu sessions of split '%s', %lld frames (%.1f h)", d->n - n0,
              split, (long long)total, (double)total / 3600.0);
    clefi_err_clear(&tr->err);
    return CLEF_OK;
}

/* The checks every add call makes: arguments, and a tokenizer taking the canonical channels
 * and the spectrogram's bins. */
static clef_status add_check(clef_tokenizer_trainer *tr, const void *src, const char *split) {
    if (src == NULL || split == NULL)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                           "tokenizer trainer: the source or split is NULL");
    clef_status rc = data_spectrogram(tr);
    const clefi_tok_cfg *c = &tr->tok->cfg;
    if (rc == CLEF_OK &&
        (c->in_ch != clef_canonical_n_channels() || c->n_freq != clef_spectrogram_n_freqs(tr->sg)))
        rc = clefi_error(tr->ctx, &tr->err, CLEF_ERR_SHAPE,
                         "tokenizer trainer: the tokenizer takes %d channels x %d bins, sessions "
                         "give %d x %lld",
                         (int)c->in_ch, (int)c->n_freq, (int)clef_canonical_n_channels(),
                         (long long)clef_spectrogram_n_freqs(tr->sg));
    return rc;
}

clef_status clef_tokenizer_trainer_add_cohort(clef_tokenizer_trainer *tr, const char *dir,
                                              const char *split) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = add_check(tr, dir, split);
    clefi_path_list paths = {0};
    if (rc == CLEF_OK)
        rc = clefi_cohort_split_paths(tr->ctx, &tr->err, dir, split, &paths);
    char where[4200];
    snprintf(where, sizeof where, "cohort '%s'", dir != NULL ? dir : "");
    if (rc == CLEF_OK)
        rc = add_paths(tr, &paths, where, split);
    clefi_path_list_free(tr->ctx, &paths);
    return rc;
}

clef_status clef_tokenizer_trainer_add_store(clef_tokenizer_trainer *tr, clef_store *store,
                                             const char *split) {
    clefi_reset(tr);
    static const char *const names[] = {"train", "val", "test"};
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = add_check(tr, store, split);
    int32_t sp = 0;
    for (int32_t k = 0; rc == CLEF_OK && k < 3; k++)
        if (strcmp(split, names[k]) == 0)
            sp = CLEF_SPLIT_TRAIN + k;
    if (rc == CLEF_OK && sp == 0)
        rc = clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                         "store split '%s': a store's splits are train, val, test", split);
    clefi_path_list paths = {0};
    int64_t n = 0;
    clef_status src = rc == CLEF_OK ? clef_store_split_count(store, sp, &n) : CLEF_OK;
    for (int64_t i = 0; rc == CLEF_OK && src == CLEF_OK && i < n; i++) {
        char sid[256], path[4096];
        src = clef_store_split_session(store, sp, i, sid, sizeof sid, NULL);
        if (src == CLEF_OK)
            src = clef_store_recording_path(store, sid, path, sizeof path, NULL);
        if (src == CLEF_OK && clefi_path_list_add(tr->ctx, &paths, path) != CLEF_OK)
            rc = nomem(tr, "store paths");
    }
    if (rc == CLEF_OK && src != CLEF_OK)
        rc = clefi_error(tr->ctx, &tr->err, src, "store split '%s': %s", split,
                         clef_store_errmsg(store));
    if (rc == CLEF_OK)
        rc = add_paths(tr, &paths, "store", split);
    clefi_path_list_free(tr->ctx, &paths);
    return rc;
}

clef_status clef_tokenizer_trainer_add_means(clef_tokenizer_trainer *tr, const float *means,
                                             int64_t n_sessions) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    size_t dim = (size_t)tr->tok->cfg.in_ch * (size_t)tr->tok->cfg.n_freq, n = 0;
    if (means == NULL || n_sessions < 1 || n_sessions > INT64_MAX / (int64_t)dim / 4)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                           "add_means: means is NULL or n_sessions %lld < 1",
                           (long long)n_sessions);
    for (size_t i = 0; i < (size_t)n_sessions * dim; i++)
        if (!isfinite(means[i]))
            return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                               "add_means: session %zu has a non-finite mean at %zu", i / dim,
                               i % dim);
    n = (size_t)(tr->data.n_extra + n_sessions);
    float *p = clefi_realloc_array(tr->ctx, tr->data.extra, n * dim, sizeof *p);
    if (p == NULL)
        return nomem(tr, "session means");
    memcpy(p + (size_t)tr->data.n_extra * dim, means, (size_t)n_sessions * dim * sizeof *p);
    tr->data.extra = p;
    tr->data.n_extra = (int64_t)n;
    clefi_err_clear(&tr->err);
    return CLEF_OK;
}

clef_status clef_tokenizer_trainer_sessions(const clef_tokenizer_trainer *tr, int64_t *n_sessions,
                                            int64_t *n_frames) {
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (n_sessions != NULL)
        *n_sessions = (int64_t)tr->data.n;
    if (n_frames != NULL)
        *n_frames = tr->data.total_frames;
    return CLEF_OK;
}
