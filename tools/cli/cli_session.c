/* cli_session.c — a recording as the model input: canonical channels and spectrogram. */
#include "cli_session.h"

#include <stdlib.h>

#include "cli.h"
#include "cli_progress.h"

int cli_read_canonical(clef_ctx *ctx, const char *path, double start, double dur, float **x,
                       int64_t *n_ch, int64_t *n, uint32_t *present) {
    *x = NULL;
    clef_recording *rec = NULL;
    clef_status rc = clef_recording_open(&rec, ctx, path, NULL);
    if (rc != CLEF_OK)
        return cli_fail(path, rc, clef_ctx_errmsg(ctx));
    int64_t len = 0;
    rc = clef_recording_canonical_length(rec, start, dur, &len);
    *n_ch = clef_canonical_n_channels();
    *x = rc == CLEF_OK && len > 0 ? malloc((size_t)(*n_ch * len) * sizeof(float)) : NULL;
    if (rc == CLEF_OK && *x == NULL)
        rc = CLEF_ERR_NOMEM;
    if (rc == CLEF_OK)
        rc = clef_recording_read_canonical(rec, start, dur, *x, (size_t)len, (size_t)(*n_ch * len),
                                           n, present);
    if (rc != CLEF_OK) {
        int ret = cli_fail(path, rc, clef_recording_errmsg(rec));
        clef_recording_free(rec);
        free(*x);
        *x = NULL;
        return ret;
    }
    clef_recording_free(rec);
    return 0;
}

int cli_session_spectrogram(clef_ctx *ctx, clef_session *sess, const clef_spectrogram *sg,
                            const char *path, double dur, float **spec, int64_t *n_frames,
                            uint32_t *present) {
    float *x = NULL;
    int64_t n_ch = 0, n = 0;
    *spec = NULL;
    if (cli_read_canonical(ctx, path, 0.0, dur, &x, &n_ch, &n, present) != 0)
        return 1;
    *n_frames = clef_spectrogram_n_frames(sg, n);
    size_t need = (size_t)(n_ch * clef_spectrogram_n_freqs(sg) * *n_frames);
    *spec = *n_frames > 0 ? malloc(need * sizeof(float)) : NULL;
    clef_status rc = *n_frames == 0 ? CLEF_ERR_SHAPE : *spec == NULL ? CLEF_ERR_NOMEM : CLEF_OK;
    if (rc == CLEF_OK)
        rc = clef_spectrogram_compute(sg, sess, x, (size_t)n, n_ch, n, *spec, need, NULL);
    free(x);
    if (rc != CLEF_OK) {
        free(*spec);
        *spec = NULL;
        return cli_fail(path, rc,
                        *n_frames == 0 ? "shorter than one spectrogram window"
                        : *spec == NULL && rc == CLEF_ERR_NOMEM ? "out of memory"
                                                                : clef_session_errmsg(sess));
    }
    return 0;
}

clef_spectrogram *cli_default_spectrogram(clef_ctx *ctx) {
    clef_spectrogram *sg = NULL;
    clef_status rc = clef_spectrogram_create(&sg, ctx, NULL);
    if (rc != CLEF_OK)
        cli_fail("spectrogram", rc, clef_ctx_errmsg(ctx));
    return sg;
}

void cli_spectrogram_axes(const clef_spectrogram *sg, double *y_lo, double *y_hi, double *x0,
                          double *dx) {
    *y_lo = *x0 = 0.0;
    *y_hi = *dx = 1.0;
    clef_spectrogram_param_f64(sg, CLEF_P_SPEC_FMIN_HZ, y_lo);
    clef_spectrogram_param_f64(sg, CLEF_P_SPEC_FMAX_HZ, y_hi);
    clef_spectrogram_param_f64(sg, CLEF_P_SPEC_STEP_S, dx);
    size_t n = 0; /* one window of samples: the first frame (more when the edges are padded) */
    int64_t win = clef_spectrogram_window(sg);
    clef_spectrogram_times(sg, win, NULL, 0, &n);
    double *t = n > 0 ? malloc(n * sizeof *t) : NULL;
    if (t != NULL && clef_spectrogram_times(sg, win, t, n, NULL) == CLEF_OK)
        *x0 = t[0];
    free(t);
}

int cli_embed_files(clef_ctx *ctx, clef_session *s, const char *tok_path, const char *enc_path,
                    const char *const *files, int n, int quiet, float **emb, int64_t *dim) {
    *emb = NULL;
    *dim = 0;
    clef_tokenizer *tok = NULL;
    clef_encoder *enc = NULL;
    clef_spectrogram *sg = NULL;
    const char *tname = tok_path ? tok_path : "default tokenizer";
    clef_status rc = clef_tokenizer_load(&tok, ctx, tok_path);
    int ret = rc != CLEF_OK ? cli_fail(tname, rc, clef_ctx_errmsg(ctx)) : 0;
    if (ret == 0 && (rc = clef_encoder_load(&enc, ctx, enc_path, tok)) != CLEF_OK)
        ret = cli_fail(enc_path ? enc_path : "default encoder", rc, clef_ctx_errmsg(ctx));
    if (ret == 0 && (rc = clef_tokenizer_spectrogram_create(&sg, ctx, tok)) != CLEF_OK)
        ret = cli_fail(tname, rc, clef_ctx_errmsg(ctx));
    if (ret == 0) {
        clef_encoder_shape(enc, NULL, NULL, dim);
        if ((*emb = malloc((size_t)(*dim * n) * sizeof **emb + 1)) == NULL)
            ret = cli_fail("embed", CLEF_ERR_NOMEM, NULL);
    }
    cli_progress p;
    cli_progress_begin(&p, "clef: embedding files", quiet || n < 2);
    for (int i = 0; ret == 0 && i < n; i++) {
        clef_recording *rec = NULL;
        if ((rc = clef_recording_open(&rec, ctx, files[i], NULL)) != CLEF_OK)
            ret = cli_fail(files[i], rc, clef_ctx_errmsg(ctx));
        else if ((rc = clef_encoder_embed_recording(enc, tok, s, sg, rec, *emb + i * *dim,
                                                    (size_t)*dim, NULL, NULL)) != CLEF_OK)
            ret = cli_fail(files[i], rc, clef_session_errmsg(s));
        clef_recording_free(rec);
        cli_progress_update(&p, i + 1, n, files[i]);
    }
    cli_progress_end(&p);
    clef_spectrogram_free(sg);
    clef_encoder_free(enc);
    clef_tokenizer_free(tok);
    if (ret != 0) {
        free(*emb);
        *emb = NULL;
    }
    return ret;
}
