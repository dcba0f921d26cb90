/* cli_session.c — a recording as the model input: canonical channels and spectrogram. */
#include "cli_session.h"

#include <math.h>
#include <stdlib.h>

#include "cli.h"
#include "cli_plot.h"
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

/* Original (left) and reconstruction (right) of n_ch bands of nf bins, dB in [-40, 40]:
 * orig [n_ch][nf][frames], recon [n_ch][nf][crop_t], the first `shown` frames of each. */
static int recon_draw(const clef_spectrogram *sg, const float *orig, const float *recon,
                      int64_t n_ch, int64_t nf, int64_t frames, int64_t crop_t, int64_t shown,
                      uint32_t present, double mae, cli_canvas *out) {
    const char **labels = malloc((size_t)n_ch * sizeof *labels);
    if (labels == NULL)
        return -1;
    for (int64_t c = 0; c < n_ch; c++)
        labels[c] = c < clef_canonical_n_channels() ? clef_canonical_channel_name(c) : "";
    char title[64];
    cli_snprintf_c(title, sizeof title, "reconstruction, MAE %.2f dB", mae);
    cli_figure fig = {.panel = {{orig, frames, "original"}, {recon, crop_t, title}},
                      .n_panels = 2,
                      .n_bands = n_ch,
                      .n_rows = nf,
                      .n_cols = shown,
                      .band_labels = labels,
                      .present = present,
                      .lo = -40.0,
                      .hi = 40.0,
                      .unit = "dB"};
    cli_spectrogram_axes(sg, &fig.y_lo, &fig.y_hi, &fig.x0, &fig.dx);
    int rc = cli_figure_draw(&fig, out);
    free(labels);
    return rc;
}

int cli_recon_figure(clef_session *sess, const clef_tokenizer *tok, const clef_spectrogram *sg,
                     const int32_t *ids, size_t n_ids, const float *spec, int64_t frames,
                     uint32_t present, cli_canvas *fig, double *mae) {
    int64_t n_ch = 0, nf = 0, crop_t = clef_tokenizer_session_frames(tok);
    clef_tokenizer_shape(tok, &n_ch, &nf, NULL, NULL, NULL);
    size_t need = (size_t)(n_ch * nf * crop_t);
    float *rec = malloc(need * sizeof(float));
    clef_status rc = rec == NULL ? CLEF_ERR_NOMEM
                                 : clef_tokenizer_decode(tok, sess, ids, n_ids, rec, need, NULL);
    int ret = 0;
    if (rc != CLEF_OK)
        ret = cli_fail("decode", rc, clef_session_errmsg(sess));
    int64_t shown = frames < crop_t ? frames : crop_t, used = 0;
    double sum = 0.0;
    /* Over the recorded channels only: an absent channel's filled rows reconstruct almost
     * exactly and would dilute the error (all rows when the mask is empty). */
    for (int64_t c = 0; ret == 0 && c < n_ch; c++) {
        if (present != 0 && (c >= 32 || !(present >> c & 1u)))
            continue;
        used++;
        for (int64_t b = 0; b < nf; b++)
            for (int64_t k = 0; k < shown; k++)
                sum +=
                    fabs((double)rec[(c * nf + b) * crop_t + k] - spec[(c * nf + b) * frames + k]);
    }
    *mae = shown > 0 && used > 0 ? sum / (double)(used * nf * shown) : 0.0;
    if (ret == 0 &&
        recon_draw(sg, spec, rec, n_ch, nf, frames, crop_t, shown, present, *mae, fig) != 0)
        ret = cli_fail("reconstruction picture", CLEF_ERR_NOMEM, "out of memory");
    free(rec);
    return ret;
}
