/* cmd_tokenize.c — clef tokenize: a recording to its session tokens (8 x 240 grid + 128
 * session-mean tokens for the default weights), and optionally a picture of the original beside
 * the reconstruction. docs/tokenizer.md. (clef train-tokenizer: cmd_train_tokenizer.c.) */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_npy.h"
#include "cli_session.h"

/* ---- clef tokenize ---- */

typedef struct tok_opts {
    const char *in, *weights, *out, *png, *dtype, *store;
    int64_t threads;
} tok_opts;

static const char k_tok_usage[] =
    "usage: clef tokenize FILE [-w|--weights WEIGHTS] -o|--out OUT.npy [--recon-png PNG]\n"
    "                     [--threads N] [--dtype uint16|int32]\n"
    "       clef tokenize --store DB [-w|--weights WEIGHTS] [--threads N]\n\n"
    "Tokenize an EDF/BDF recording (docs/tokenizer.md): its 19 canonical channels at\n"
    "200 Hz, CLEF's multitaper spectrogram (checked against the weights' clef.spec.*\n"
    "metadata), then the session-mean tokens and the VQGAN encoder and code search\n"
    "over the session image (clef_tokenizer_session_frames(): 1,200 frames = 20 min with\n"
    "session-mean tokens, else 1,280; shorter sessions are padded, longer ones keep\n"
    "their first frames). WEIGHTS (default: the shipped tokenizer, docs/models.md) is\n"
    "a file of clef_tokenizer_save or clef train-tokenizer. OUT.npy: token ids, shape\n"
    "(grid_f, grid_t) = (8, 256) in 'f,t' order, or with session-mean tokens\n"
    "(1, 2048): the 8 x 240 grid then the 128 session-mean tokens; uint16 (default\n"
    "when every id fits) or int32. --recon-png draws each channel's original\n"
    "spectrogram beside its reconstruction from the tokens.\n"
    "--store DB tokenizes every session of a store (clef ingest) as a resumable job\n"
    "(clef_tokenizer_job_run): each session's ids become a uint16 artifact keyed by the\n"
    "SHA-256 of WEIGHTS; a killed run resumes where it stopped, a rerun adds nothing.\n";

/* 0 to go on, else the exit code (0 after --help). */
static int tok_parse(int argc, char **argv, tok_opts *o, int *code) {
    *o = (tok_opts){.threads = 1};
    const cli_opt opts[] = {CLI_POS("FILE", &o->in, 0),
                            CLI_OUT(&o->out, 0),
                            CLI_STR("--weights", "-w", &o->weights, 0),
                            CLI_STR("--recon-png", NULL, &o->png, 0),
                            CLI_CHOICE("--dtype", &o->dtype, "uint16|int32"),
                            CLI_STR("--store", NULL, &o->store, 0),
                            CLI_I64("--threads", &o->threads, 1, 256),
                            CLI_END};
    const cli_cmd cmd = {"tokenize", k_tok_usage, opts};
    if (cli_parse(&cmd, argc, argv, code) != 0)
        return 1;
    if (o->store != NULL && (o->in != NULL || o->out != NULL || o->png != NULL))
        *code = cli_usage_error("tokenize", "--store: takes no FILE, -o or --recon-png");
    else if (o->store == NULL && o->in == NULL)
        *code = cli_usage_error("tokenize", "FILE: missing (see clef tokenize --help)");
    else if (o->store == NULL && o->out == NULL)
        *code = cli_usage_error("tokenize", "--out: missing (see clef tokenize --help)");
    return *code != 0;
}

/* Decode ids, compare with the session's spectrogram and draw both; write the picture. */
static int reconstruct(clef_session *sess, const clef_tokenizer *tok, const clef_spectrogram *sg,
                       const tok_opts *o, const int32_t *ids, size_t n_ids, const float *spec,
                       int64_t frames, uint32_t present) {
    cli_canvas fig;
    double mae = 0.0;
    int ret = cli_recon_figure(sess, tok, sg, ids, n_ids, spec, frames, present, &fig, &mae);
    if (ret != 0)
        return ret;
    if (cli_png_write(o->png, &fig) != 0)
        ret = cli_fail(o->png, CLEF_ERR_IO, "cannot write the PNG file");
    else
        printf("reconstruction MAE %.3f dB (%.2f %% of 40 dB) over %lld frames -> %s\n", mae,
               100.0 * mae / 40.0,
               (long long)(frames < clef_tokenizer_session_frames(tok)
                               ? frames
                               : clef_tokenizer_session_frames(tok)),
               o->png);
    cli_canvas_free(&fig);
    return ret;
}

/* Without -w: the shipped default tokenizer's path (the store job hashes the file). 0, or an
 * exit code after a message. */
static int default_weights(clef_ctx *ctx, tok_opts *o) {
    static char buf[4096];
    if (o->weights != NULL)
        return 0;
    clef_status rc = clef_default_model_path(ctx, CLEF_MODEL_TOKENIZER, buf, sizeof buf, NULL);
    if (rc != CLEF_OK)
        return cli_fail("tokenize", rc, clef_ctx_errmsg(ctx));
    o->weights = buf;
    return 0;
}

/* --store: every session of the store, as the resumable job of clef_tokenizer_job_run. */
static int tokenize_store(tok_opts *o) {
    clef_ctx *ctx = NULL;
    clef_store *s = NULL;
    clef_session *sess = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return cli_fail("tokenize", CLEF_ERR_NOMEM, "no context");
    int dret = default_weights(ctx, o);
    if (dret != 0) {
        clef_ctx_free(ctx);
        return dret;
    }
    clef_status rc = clef_session_create(&sess, ctx, (int32_t)o->threads);
    if (rc == CLEF_OK)
        rc = clef_store_open(&s, ctx, o->store);
    int64_t n = 0, done = 0, failed = 0;
    char hash[65];
    if (rc == CLEF_OK)
        rc = clef_tokenizer_model_hash(ctx, o->weights, hash, sizeof hash, NULL);
    /* claims of a killed earlier run (a single worker) go back to pending */
    cli_progress bar;
    cli_progress_begin(&bar, "clef tokenize: sessions", 0);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_job_run(sess, s, o->weights, 0.0, 0, &n, cli_progress_item_cb, &bar);
    cli_progress_end(&bar);
    int ret = rc == CLEF_OK ? 0
                            : cli_fail("tokenize", rc,
                                       clef_session_errmsg(sess)[0] ? clef_session_errmsg(sess)
                                                                    : clef_ctx_errmsg(ctx));
    if (ret == 0) {
        char job[80];
        snprintf(job, sizeof job, "tokenize:%s", hash);
        if (clef_store_job_count(s, job, CLEF_JOB_DONE, &done) != CLEF_OK ||
            clef_store_job_count(s, job, CLEF_JOB_FAILED, &failed) != CLEF_OK)
            ret = cli_fail("tokenize", CLEF_ERR_IO, clef_store_errmsg(s));
        else
            printf("%s: %lld sessions tokenized now, %lld done in all, %lld failed "
                   "(artifact kind %d, model hash %s)\n",
                   o->store, (long long)n, (long long)done, (long long)failed, CLEF_ARTIFACT_TOKENS,
                   hash);
    }
    clef_store_free(s);
    clef_session_free(sess);
    clef_ctx_free(ctx);
    return ret;
}

int cmd_tokenize(int argc, char **argv) {
    tok_opts o;
    clef_ctx *ctx = NULL;
    clef_session *sess = NULL;
    clef_tokenizer *tok = NULL;
    clef_spectrogram *sg = NULL;
    float *spec = NULL;
    int32_t *ids = NULL;
    int64_t frames = 0, gf = 0, gt = 0, cb = 0, n_tok = 0, n_mean = 0, lv = 0;
    uint32_t present = 0;
    int ret = 0;
    if (tok_parse(argc, argv, &o, &ret) != 0)
        return ret;
    if (ret == 0 && o.store != NULL)
        return tokenize_store(&o);
    if (ret == 0 && clef_ctx_create(&ctx) != CLEF_OK)
        ret = cli_fail("tokenize", CLEF_ERR_NOMEM, "no context");
    clef_status rc = CLEF_OK;
    if (ret == 0)
        ret = default_weights(ctx, &o);
    if (ret == 0 && (rc = clef_session_create(&sess, ctx, (int32_t)o.threads)) != CLEF_OK)
        ret = cli_fail("--threads", rc, clef_ctx_errmsg(ctx));
    /* loaded for whole sessions; the spectrogram its weights were trained on */
    if (ret == 0 && (rc = clef_tokenizer_load(&tok, ctx, o.weights)) != CLEF_OK)
        ret = cli_fail(o.weights, rc, clef_ctx_errmsg(ctx));
    if (ret == 0 && (rc = clef_tokenizer_spectrogram_create(&sg, ctx, tok)) != CLEF_OK)
        ret = cli_fail(o.weights, rc, clef_ctx_errmsg(ctx));
    if (ret == 0) {
        clef_tokenizer_shape(tok, NULL, NULL, NULL, &gf, &gt);
        clef_tokenizer_codebook(tok, &cb, NULL);
        clef_tokenizer_mean_tokens(tok, &n_mean, &lv);
        n_tok = clef_tokenizer_n_tokens(tok);
        ids = malloc((size_t)n_tok * sizeof *ids);
        /* the library's pipeline: the same tokens as the store job and the bindings */
        clef_recording *rec = NULL;
        int64_t n = 0;
        rc = ids == NULL ? CLEF_ERR_NOMEM : clef_recording_open(&rec, ctx, o.in, NULL);
        if (rc == CLEF_OK)
            rc = clef_tokenizer_encode_recording(tok, sess, sg, rec, ids, (size_t)n_tok, NULL,
                                                 &present);
        if (rc != CLEF_OK)
            ret =
                cli_fail(o.in, rc, rec == NULL ? clef_ctx_errmsg(ctx) : clef_session_errmsg(sess));
        else if (clef_recording_canonical_length(rec, 0.0, clef_tokenizer_read_seconds(tok, sg),
                                                 &n) == CLEF_OK)
            frames = clef_spectrogram_n_frames(sg, n); /* the frames the read span gives */
        clef_recording_free(rec);
    }
    /* the spectrogram itself only for the picture */
    if (ret == 0 && o.png != NULL)
        ret = cli_session_spectrogram(ctx, sess, sg, o.in, clef_tokenizer_read_seconds(tok, sg),
                                      &spec, &frames, &present);
    if (ret == 0) {
        /* a grid alone is (grid_f, grid_t); with session-mean tokens one row of all tokens */
        int64_t shape[2] = {n_mean > 0 ? 1 : gf, n_mean > 0 ? n_tok : gt};
        int wide = o.dtype != NULL ? strcmp(o.dtype, "int32") == 0 : cb + lv > 65536;
        int wrc;
        if (wide) {
            wrc = cli_npy_write(o.out, "<i4", sizeof *ids, ids, shape, 2);
        } else {
            uint16_t *u = malloc((size_t)n_tok * sizeof *u);
            for (int64_t i = 0; u != NULL && i < n_tok; i++)
                u[i] = (uint16_t)ids[i];
            wrc = u == NULL ? -1 : cli_npy_write(o.out, "<u2", sizeof *u, u, shape, 2);
            free(u);
        }
        if (wrc != 0)
            ret = cli_fail(o.out, CLEF_ERR_IO, "cannot write the .npy file");
        else
            printf("%s: %lld frames -> %lld x %lld tokens (%lld columns hold data) + %lld "
                   "session-mean tokens -> %s\n",
                   o.in, (long long)frames, (long long)gf, (long long)gt,
                   (long long)clef_tokenizer_valid_columns(tok, frames), (long long)n_mean, o.out);
    }
    if (ret == 0 && o.png != NULL)
        ret = reconstruct(sess, tok, sg, &o, ids, (size_t)n_tok, spec, frames, present);
    free(ids);
    free(spec);
    clef_spectrogram_free(sg);
    clef_tokenizer_free(tok);
    clef_session_free(sess);
    clef_ctx_free(ctx);
    return ret;
}
