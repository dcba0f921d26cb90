/* tok_spec.c — the spectrogram a tokenizer belongs to: clef.spec.* metadata (ARCHITECTURE.md
 * section 4), its defaults, and the check against a clef_spectrogram handle.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * A tokenizer trained on one spectrogram is meaningless on another (a different window, band
 * or dB range moves every pixel), so encode's callers check the handle they computed with. */
#include "model_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The numeric keys in one table: metadata name, CLEF_P_SPEC_* key of the getter (0: derived),
 * field offset. df_hz has no key: fs / nfft. */
typedef struct spec_key {
    const char *name;
    int32_t key;
    size_t off;
} spec_key;

#define F(field) offsetof(clefi_tok_spec, field)
static const spec_key k_keys[] = {
    {"fs", CLEF_P_SPEC_FS, F(fs)},
    {"window_s", CLEF_P_SPEC_WINDOW_S, F(window_s)},
    {"step_s", CLEF_P_SPEC_STEP_S, F(step_s)},
    {"bandwidth_hz", CLEF_P_SPEC_BANDWIDTH_HZ, F(bandwidth_hz)},
    {"eig_min", CLEF_P_SPEC_EIG_MIN, F(eig_min)},
    {"fmin_hz", CLEF_P_SPEC_FMIN_HZ, F(fmin_hz)},
    {"fmax_hz", CLEF_P_SPEC_FMAX_HZ, F(fmax_hz)},
    {"df_hz", 0, F(df_hz)},
    {"db_min", CLEF_P_SPEC_DB_MIN, F(db_min)},
    {"db_max", CLEF_P_SPEC_DB_MAX, F(db_max)},
};
#undef F
#define N_KEYS (sizeof k_keys / sizeof k_keys[0])

static double *field(clefi_tok_spec *s, size_t i) { return (double *)((char *)s + k_keys[i].off); }
static double cfield(const clefi_tok_spec *s, size_t i) {
    return *(const double *)((const char *)s + k_keys[i].off);
}

static void channels_default(char *out, size_t cap, int32_t in_ch) {
    out[0] = '\0';
    int64_t n_can = clef_canonical_n_channels();
    for (int32_t i = 0; i < in_ch; i++) {
        size_t len = strlen(out);
        if (i < n_can)
            snprintf(out + len, cap - len, i ? ",%s" : "%s", clef_canonical_channel_name(i));
        else /* more image channels than the 10-20 set: numbered */
            snprintf(out + len, cap - len, i ? ",ch%d" : "ch%d", (int)i);
    }
}

void clefi_tok_spec_default(clefi_tok_spec *s, int32_t in_ch) {
    /* clef.h CLEF_PARAMS_SPEC defaults: 200 Hz, 4 s / 1 s, 2 Hz bandwidth (NW = 4), eigenvalue
     * > 0.9 keeps 7 tapers, [0, 32) Hz in 0.25 Hz bins (nfft = window = 800), [-40, 40] dB. */
    *s = (clefi_tok_spec){.fs = 200.0,
                          .window_s = 4.0,
                          .step_s = 1.0,
                          .bandwidth_hz = 2.0,
                          .eig_min = 0.9,
                          .fmin_hz = 0.0,
                          .fmax_hz = 32.0,
                          .df_hz = 0.25,
                          .db_min = -40.0,
                          .db_max = 40.0,
                          .n_tapers = 7};
    snprintf(s->norm, sizeof s->norm, "db");
    channels_default(s->channels, sizeof s->channels, in_ch);
}

void clefi_tok_spec_from_sg(const clef_spectrogram *sg, clefi_tok_spec *s) {
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < N_KEYS; i++)
        if (k_keys[i].key != 0)
            clef_spectrogram_param_f64(sg, k_keys[i].key, field(s, i));
    double nfft = 0.0;
    clef_spectrogram_param_f64(sg, CLEF_P_SPEC_NFFT, &nfft);
    s->df_hz = nfft > 0 ? s->fs / nfft : 0.0;
    s->n_tapers = (int32_t)clef_spectrogram_n_tapers(sg);
    const char *scale = clef_spectrogram_param_str(sg, CLEF_P_SPEC_SCALE);
    snprintf(s->norm, sizeof s->norm, "%s", scale != NULL ? scale : "");
}

static clef_status require(clef_ctx *ctx, clef_weights *w, const char *path, const char *key) {
    const char *v = NULL;
    if (clef_weights_meta_get(w, key, &v) != CLEF_OK || v == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_FORMAT, "tokenizer '%s': metadata key '%s' is missing",
                               path, key);
    return CLEF_OK;
}

clef_status clefi_tok_spec_from_weights(clef_ctx *ctx, clef_weights *w, const char *path,
                                        clefi_tok_spec *s) {
    char key[64];
    memset(s, 0, sizeof *s);
    clef_status rc = CLEF_OK;
    for (size_t i = 0; rc == CLEF_OK && i < N_KEYS; i++) {
        snprintf(key, sizeof key, "clef.spec.%s", k_keys[i].name);
        rc = require(ctx, w, path, key);
        if (rc == CLEF_OK)
            rc = clefi_weights_meta_f64(w, key, field(s, i), &ctx->err);
        if (rc == CLEF_OK && !isfinite(*field(s, i)))
            rc = clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                                 "tokenizer '%s': metadata '%s' is not finite", path, key);
    }
    int64_t nt = 0;
    if (rc == CLEF_OK)
        rc = require(ctx, w, path, "clef.spec.n_tapers");
    if (rc == CLEF_OK)
        rc = clefi_weights_meta_i64(w, "clef.spec.n_tapers", &nt, &ctx->err);
    if (rc == CLEF_OK && (nt < 1 || nt > 1024))
        rc = clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                             "tokenizer '%s': metadata 'clef.spec.n_tapers' = %lld is not in "
                             "[1, 1024]",
                             path, (long long)nt);
    s->n_tapers = (int32_t)nt;
    static const char *const str_keys[] = {"clef.spec.norm", "clef.spec.channels"};
    char *dst[] = {s->norm, s->channels};
    size_t cap[] = {sizeof s->norm, sizeof s->channels};
    for (size_t i = 0; rc == CLEF_OK && i < 2; i++) {
        const char *v = NULL;
        rc = require(ctx, w, path, str_keys[i]);
        if (rc == CLEF_OK)
            clef_weights_meta_get(w, str_keys[i], &v);
        if (rc != CLEF_OK)
            break;
        if (strlen(v) >= cap[i])
            rc = clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                                 "tokenizer '%s': metadata '%s' is longer than %zu bytes", path,
                                 str_keys[i], cap[i] - 1);
        else
            snprintf(dst[i], cap[i], "%s", v);
    }
    return rc;
}

void clefi_tok_spec_meta_fill(const clefi_tok_spec *s, clefi_tok_meta *m) {
    static const char *const full[] = {
        "clef.spec.fs",      "clef.spec.window_s", "clef.spec.step_s",  "clef.spec.bandwidth_hz",
        "clef.spec.eig_min", "clef.spec.fmin_hz",  "clef.spec.fmax_hz", "clef.spec.df_hz",
        "clef.spec.db_min",  "clef.spec.db_max"};
    size_t n = m->n;
    for (size_t i = 0; i < N_KEYS; i++, n++) {
        clefi_snprintf(m->spec_val[i], sizeof m->spec_val[i], "%.17g", cfield(s, i));
        m->kv[2 * n] = full[i];
        m->kv[2 * n + 1] = m->spec_val[i];
    }
    snprintf(m->spec_val[N_KEYS], sizeof m->spec_val[N_KEYS], "%d", (int)s->n_tapers);
    m->kv[2 * n] = "clef.spec.n_tapers";
    m->kv[2 * n++ + 1] = m->spec_val[N_KEYS];
    m->kv[2 * n] = "clef.spec.norm";
    m->kv[2 * n++ + 1] = s->norm;
    m->kv[2 * n] = "clef.spec.channels";
    m->kv[2 * n++ + 1] = s->channels;
    m->n = n;
}

/* Relative tolerance of a numeric comparison: metadata are written with 17 digits, so only
 * genuinely different settings differ by more. */
static int differs(double a, double b) { return fabs(a - b) > 1e-9 * fmax(1.0, fabs(b)); }

clef_status clefi_tok_check_spec(const clef_tokenizer *tok, clef_session *s,
                                 const clef_spectrogram *sg) {
    clef_ctx *ctx = s->ctx;
    clefi_err *err = &s->err;
    if (tok == NULL || sg == NULL)
        return clefi_error(ctx, err, CLEF_ERR_INVALID_ARG,
                           "tokenizer_check_spectrogram: tokenizer (%s) or spectrogram (%s) is "
                           "NULL",
                           tok ? "given" : "NULL", sg ? "given" : "NULL");
    const clefi_tok_spec *want = &tok->cfg.spec;
    clefi_tok_spec got;
    clefi_tok_spec_from_sg(sg, &got);
    for (size_t i = 0; i < N_KEYS; i++)
        if (differs(cfield(&got, i), cfield(want, i)))
            return clefi_error(ctx, err, CLEF_ERR_INVALID_ARG,
                               "spectrogram %s = %.17g, the tokenizer's weights want "
                               "clef.spec.%s = %.17g",
                               k_keys[i].name, cfield(&got, i), k_keys[i].name, cfield(want, i));
    if (got.n_tapers != want->n_tapers)
        return clefi_error(ctx, err, CLEF_ERR_INVALID_ARG,
                           "spectrogram n_tapers = %d, the tokenizer's weights want "
                           "clef.spec.n_tapers = %d",
                           (int)got.n_tapers, (int)want->n_tapers);
    if (strcmp(got.norm, want->norm) != 0)
        return clefi_error(ctx, err, CLEF_ERR_INVALID_ARG,
                           "spectrogram scale '%s', the tokenizer's weights want "
                           "clef.spec.norm '%s'",
                           got.norm, want->norm);
    if (clef_spectrogram_n_freqs(sg) != tok->cfg.n_freq)
        return clefi_error(ctx, err, CLEF_ERR_SHAPE,
                           "spectrogram has %lld frequency bins, the tokenizer %d",
                           (long long)clef_spectrogram_n_freqs(sg), (int)tok->cfg.n_freq);
    return CLEF_OK;
}

clef_status clef_tokenizer_check_spectrogram(const clef_tokenizer *tok, clef_session *s,
                                             const clef_spectrogram *sg) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    return clefi_tok_check_spec(tok, s, sg);
}

clef_status clef_tokenizer_trainer_set_spectrogram(clef_tokenizer_trainer *tr,
                                                   const clef_spectrogram *sg) {
    clefi_reset(tr);
    if (tr == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (sg == NULL)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_INVALID_ARG,
                           "trainer_set_spectrogram: NULL spectrogram");
    if (clef_spectrogram_n_freqs(sg) != tr->tok->cfg.n_freq)
        return clefi_error(tr->ctx, &tr->err, CLEF_ERR_SHAPE,
                           "trainer_set_spectrogram: %lld frequency bins, the tokenizer has %d",
                           (long long)clef_spectrogram_n_freqs(sg), (int)tr->tok->cfg.n_freq);
    clefi_tok_spec s;
    clefi_tok_spec_from_sg(sg, &s);
    memcpy(s.channels, tr->tok->cfg.spec.channels, sizeof s.channels);
    tr->tok->cfg.spec = s;
    tr->sg = sg;
    clefi_err_clear(&tr->err);
    return CLEF_OK;
}

/* Seconds read beyond the last window of the image. The polyphase resampler's output near the
 * end of a read depends on input up to 10 * max(up, down) / up input samples later (a tenth of
 * a second at any rate >= 100 Hz), so with this margin every sample the image uses equals the
 * whole-file read bit for bit (test_cli_tokenize test_store_long checks it). */
#define READ_MARGIN_S 2.0

double clef_tokenizer_read_seconds(const clef_tokenizer *tok, const clef_spectrogram *sg) {
    double fs = 0.0;
    if (tok == NULL || sg == NULL ||
        clef_spectrogram_param_f64(sg, CLEF_P_SPEC_FS, &fs) != CLEF_OK || !(fs > 0.0))
        return 0.0;
    int64_t span = clef_spectrogram_window(sg) + (tok->cfg.crop_t - 1) * clef_spectrogram_step(sg);
    return (double)span / fs + READ_MARGIN_S;
}

clef_status clef_tokenizer_spectrogram_create(clef_spectrogram **out, clef_ctx *ctx,
                                              const clef_tokenizer *tok) {
    clefi_reset(ctx);
    if (out == NULL || ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    *out = NULL;
    clefi_err_clear(&ctx->err);
    if (tok == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "tokenizer_spectrogram: tok is NULL");
    const clefi_tok_spec *w = &tok->cfg.spec;
    clef_params *p = NULL;
    clef_status rc = clef_params_create(&p, ctx, CLEF_PARAMS_SPEC);
    for (size_t i = 0; rc == CLEF_OK && i < N_KEYS; i++)
        if (k_keys[i].key != 0)
            rc = clef_params_set_f64(p, k_keys[i].key, cfield(w, i));
    if (rc == CLEF_OK && w->df_hz > 0.0) /* the frequency grid: nfft = fs / df */
        rc = clef_params_set_i64(p, CLEF_P_SPEC_NFFT, (int64_t)floor(w->fs / w->df_hz + 0.5));
    if (rc == CLEF_OK)
        rc = clef_params_set_str(p, CLEF_P_SPEC_SCALE, w->norm);
    if (rc != CLEF_OK)
        rc = clefi_ctx_error(ctx, rc, "tokenizer_spectrogram: the weights' clef.spec.* values: %s",
                             clef_params_errmsg(p));
    if (rc == CLEF_OK)
        rc = clef_spectrogram_create(out, ctx, p);
    clef_params_free(p);
    if (rc == CLEF_OK && clef_spectrogram_n_tapers(*out) != w->n_tapers) {
        rc = clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                             "tokenizer_spectrogram: the weights' spectrogram keeps %d tapers, "
                             "these parameters give %lld",
                             (int)w->n_tapers, (long long)clef_spectrogram_n_tapers(*out));
        clef_spectrogram_free(*out);
        *out = NULL;
    }
    return rc;
}
