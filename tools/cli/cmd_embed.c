/* cmd_embed.c — clef embed: session embeddings from the encoder (docs/encoder.md), of files to
 * .npy (rows in the order given) or of every session of a store as a resumable job. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_npy.h"
#include "cli_progress.h"
#include "cli_session.h"
#include "cli_text.h"

typedef struct emb_opts {
    const char *weights, *tok, *out, *store, *aligner;
    const char *files[4096];
    int n_files;
    int64_t threads;
    int quiet;
} emb_opts;

static const char k_usage[] =
    "usage: clef embed FILE... [-w|--weights ENCODER -t|--tokenizer TOKENIZER] -o EMB.npy\n"
    "                  [--threads N] [--quiet]\n"
    "       clef embed --store DB -w ENCODER -t TOKENIZER [-a ALIGNER] [--threads N]\n"
    "                  [--quiet]\n\n"
    "Embed EDF/BDF recordings with the session encoder (docs/encoder.md): each file's\n"
    "19 canonical channels -> CLEF spectrogram -> TOKENIZER's tokens -> ENCODER's\n"
    "pooled, projected embedding (clef_encoder_embed_recording). ENCODER must have been\n"
    "trained with TOKENIZER (its weights name the tokenizer's SHA-256). EMB.npy: float32\n"
    "(files, embed_dim), rows in the order of the files.\n"
    "--store DB embeds every session of a store (clef ingest) as a resumable job\n"
    "(clef_encoder_job_run): tokens from the store when `clef tokenize --store` made them,\n"
    "else from the recording; each embedding becomes an artifact keyed by the SHA-256 of\n"
    "ENCODER, which `clef evaluate --store DB --model ENCODER` probes. Without -w and -t:\n"
    "the shipped default models (docs/models.md). With -a ALIGNER\n"
    "(clef align), each session's embedding then goes through ALIGNER's EEG tower too, as\n"
    "an artifact keyed by the SHA-256 of ALIGNER (`clef evaluate --model ALIGNER`).\n";

static int emb_parse(int argc, char **argv, emb_opts *o, int *code) {
    memset(o, 0, sizeof *o);
    o->threads = 1;
    cli_list files = {o->files, 0, 4096};
    const cli_opt opts[] = {CLI_POS_LIST("FILE", &files),
                            CLI_OUT(&o->out, 0),
                            CLI_STR("--weights", "-w", &o->weights, 0),
                            CLI_STR("--tokenizer", "-t", &o->tok, 0),
                            CLI_STR("--store", NULL, &o->store, 0),
                            CLI_STR("--aligner", "-a", &o->aligner, 0),
                            CLI_I64("--threads", &o->threads, 1, 256),
                            CLI_FLAG("--quiet", "-q", &o->quiet),
                            CLI_END};
    const cli_cmd cmd = {"embed", k_usage, opts};
    if (cli_parse(&cmd, argc, argv, code) != 0)
        return 1;
    o->n_files = files.n;
    if (o->aligner != NULL && o->store == NULL)
        *code = cli_usage_error("embed", "--aligner: with --store only");
    else if (o->store != NULL && (o->n_files > 0 || o->out != NULL))
        *code = cli_usage_error("embed", "--store: takes no FILE or -o");
    else if (o->store == NULL && o->n_files == 0)
        *code = cli_usage_error("embed", "FILE: missing (see clef embed --help)");
    else if (o->store == NULL && o->out == NULL)
        *code = cli_usage_error("embed", "--out: missing (see clef embed --help)");
    return *code != 0;
}

/* The aligned embeddings of every session (clef_aligner_embed_store). */
static int align_store(clef_ctx *ctx, clef_session *s, clef_store *st, const emb_opts *o) {
    char enc_hash[65], al_hash[65];
    clef_aligner *al = NULL;
    clef_status rc = clef_encoder_model_hash(ctx, o->weights, enc_hash, sizeof enc_hash, NULL);
    if (rc == CLEF_OK)
        rc = clef_encoder_model_hash(ctx, o->aligner, al_hash, sizeof al_hash, NULL);
    if (rc == CLEF_OK)
        rc = clef_aligner_load(&al, ctx, o->aligner);
    if (rc != CLEF_OK)
        return cli_fail(o->aligner, rc, clef_ctx_errmsg(ctx));
    int ret = cli_aligner_matches(al, enc_hash, o->aligner);
    if (ret != 0) {
        clef_aligner_free(al);
        return ret;
    }
    cli_progress p;
    cli_progress_begin(&p, "clef embed: aligned", o->quiet);
    int64_t n = 0;
    rc = clef_aligner_embed_store(al, s, st, enc_hash, al_hash, &n, cli_progress_item_cb, &p);
    cli_progress_end(&p);
    clef_aligner_free(al);
    if (rc != CLEF_OK)
        return cli_fail("embed --aligner", rc, clef_session_errmsg(s));
    printf("%lld sessions aligned (model %.12s) into %s\n", (long long)n, al_hash, o->store);
    return 0;
}

static int embed_store(clef_ctx *ctx, clef_session *s, emb_opts *o) {
    static char enc_buf[4096], tok_buf[4096]; /* the defaults' paths: the job hashes the files */
    clef_status drc = CLEF_OK;
    if (o->weights == NULL && (drc = clef_default_model_path(ctx, CLEF_MODEL_ENCODER, enc_buf,
                                                             sizeof enc_buf, NULL)) == CLEF_OK)
        o->weights = enc_buf;
    if (drc == CLEF_OK && o->tok == NULL &&
        (drc = clef_default_model_path(ctx, CLEF_MODEL_TOKENIZER, tok_buf, sizeof tok_buf, NULL)) ==
            CLEF_OK)
        o->tok = tok_buf;
    if (drc != CLEF_OK)
        return cli_fail("embed", drc, clef_ctx_errmsg(ctx));
    clef_store *st = NULL;
    clef_status rc = clef_store_open(&st, ctx, o->store);
    if (rc != CLEF_OK)
        return cli_fail(o->store, rc, clef_ctx_errmsg(ctx));
    cli_progress p;
    cli_progress_begin(&p, "clef embed: sessions", o->quiet);
    int64_t n = 0;
    /* one worker: a claim left by a killed run is returned to pending at once (stale_s 0), as
     * clef tokenize --store does; with 3600 such a session stayed unembedded for an hour */
    rc = clef_encoder_job_run(s, st, o->tok, o->weights, 0.0, 0, &n, cli_progress_item_cb, &p);
    cli_progress_end(&p);
    int ret = rc != CLEF_OK ? cli_fail("embed", rc, clef_session_errmsg(s)) : 0;
    if (ret == 0)
        printf("%lld sessions embedded into %s\n", (long long)n, o->store);
    if (ret == 0 && o->aligner != NULL)
        ret = align_store(ctx, s, st, o);
    clef_store_free(st);
    return ret;
}

static int embed_files(clef_ctx *ctx, clef_session *s, const emb_opts *o) {
    int64_t dim = 0;
    float *emb = NULL;
    int ret =
        cli_embed_files(ctx, s, o->tok, o->weights, o->files, o->n_files, o->quiet, &emb, &dim);
    int64_t shape[2] = {o->n_files, dim};
    if (ret == 0 && cli_npy_write_f32(o->out, emb, shape, 2) != 0)
        ret = cli_fail(o->out, CLEF_ERR_IO, "cannot write");
    if (ret == 0)
        printf("%d x %lld embedding -> %s\n", o->n_files, (long long)dim, o->out);
    free(emb);
    return ret;
}

int cmd_embed(int argc, char **argv) {
    emb_opts o;
    int code = 0;
    if (emb_parse(argc, argv, &o, &code) != 0)
        return code;
    clef_ctx *ctx = NULL;
    clef_session *s = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return cli_fail("embed", CLEF_ERR_NOMEM, NULL);
    (void)clef_ctx_set_log(ctx, CLEF_LOG_WARN, cli_log_stderr, NULL);
    clef_status rc = clef_session_create(&s, ctx, (int32_t)o.threads);
    int ret = rc != CLEF_OK ? cli_fail("embed", rc, clef_ctx_errmsg(ctx)) : 0;
    if (ret == 0)
        ret = o.store != NULL ? embed_store(ctx, s, &o) : embed_files(ctx, s, &o);
    clef_session_free(s);
    clef_ctx_free(ctx);
    return ret;
}
