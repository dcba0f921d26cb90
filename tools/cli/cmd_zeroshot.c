/* cmd_zeroshot.c — clef zeroshot: score a store's sessions against a text prompt through the
 * clinical aligner (clef_aligner_score_text; docs/aligner.md "Zero-shot"), and with a task, the
 * AUROC of those scores with its bootstrap CI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_rows.h"
#include "cli_session.h"
#include "cli_text.h"

typedef struct zs_opts {
    const char *store, *enc, *al, *tok, *prompt, *versus, *task, *split, *out, *text;
    const char *args[4096];
    int n_args;
    int64_t threads;
    char enc_buf[4096], al_buf[4096];
} zs_opts;

static const char k_usage[] =
    "usage: clef zeroshot FILE... \"PROMPT\" [-w ENCODER -t TOKENIZER -a ALIGNER] [-o CSV]\n"
    "       clef zeroshot --store DB [-w ENCODER -a ALIGNER] \"PROMPT\"\n"
    "         [--versus \"PROMPT2\"] [--task TASK] [--split test|val|train|all]\n"
    "         [-o SCORES.csv] [--text DIR] [--threads T]\n\n"
    "Zero-shot scoring (docs/aligner.md): the cosine between each session's aligned\n"
    "embedding and PROMPT's. FILE...: EDF/BDF recordings embedded with ENCODER and TOKENIZER\n"
    "(clef embed), printed as file,score. Without -w, -t, -a: the shipped default models\n"
    "(docs/models.md). --store DB: the store's sessions, each with its aligned\n"
    "embedding (its embedding under ENCODER, clef embed --store, through ALIGNER's EEG\n"
    "tower) and PROMPT's (through the text encoder and ALIGNER's report tower), for the\n"
    "sessions of --split (test; all: train, val and test, for a cohort the aligner never\n"
    "saw). --versus scores cos(PROMPT) - cos(PROMPT2) instead, e.g. \"focal slowing\"\n"
    "--versus \"no focal slowing\" (reports mention findings negated as often as not).\n"
    "Without --task: session_id,score lines (to SCORES.csv or\n"
    "stdout). With --task (e.g. feat_excess_beta): the sessions labelled for it, and the\n"
    "AUROC of the scores with its 95 % bootstrap CI (1000 resamples, seed 0); -o writes\n"
    "session_id,score,label.\n";

static int zs_parse(int argc, char **argv, zs_opts *o, int *code) {
    *o = (zs_opts){.threads = 1, .split = "test"};
    cli_list args = {o->args, 0, 4096};
    const cli_opt opts[] = {CLI_POS_LIST("ARG", &args),
                            CLI_OUT(&o->out, 0),
                            CLI_STR("--store", NULL, &o->store, 0),
                            CLI_STR("--encoder", "-w", &o->enc, 0),
                            CLI_STR("--aligner", "-a", &o->al, 0),
                            CLI_STR("--tokenizer", "-t", &o->tok, 0),
                            CLI_STR("--task", NULL, &o->task, 0),
                            CLI_STR("--split", NULL, &o->split, 0),
                            CLI_STR("--text", NULL, &o->text, 0),
                            CLI_STR("--versus", NULL, &o->versus, 0),
                            CLI_I64("--threads", &o->threads, 1, 256),
                            CLI_END};
    const cli_cmd cmd = {"zeroshot", k_usage, opts};
    if (cli_parse(&cmd, argc, argv, code) != 0)
        return 1;
    o->n_args = args.n;
    o->prompt = o->n_args > 0 ? o->args[o->n_args - 1] : NULL;
    if (o->store != NULL && o->n_args != 1)
        *code = cli_usage_error("zeroshot", "--store: give just \"PROMPT\"");
    else if (o->store == NULL && o->n_args < 2)
        *code = cli_usage_error("zeroshot", "PROMPT: missing (FILE... \"PROMPT\" or --store DB "
                                            "\"PROMPT\")");
    else if (o->store == NULL && o->task != NULL)
        *code = cli_usage_error("zeroshot", "--task: with --store");
    else if (strcmp(o->split, "test") != 0 && strcmp(o->split, "val") != 0 &&
             strcmp(o->split, "train") != 0 && strcmp(o->split, "all") != 0)
        *code = cli_usage_error("zeroshot", "--split: test, val, train or all");
    else if (strcmp(o->split, "all") == 0 && o->task == NULL)
        *code = cli_usage_error("zeroshot", "--split all: with --task");
    return *code != 0;
}

static int32_t split_id(const char *s) {
    return strcmp(s, "train") == 0  ? CLEF_SPLIT_TRAIN
           : strcmp(s, "val") == 0  ? CLEF_SPLIT_VAL
           : strcmp(s, "test") == 0 ? CLEF_SPLIT_TEST
                                    : 0;
}

static int report(clef_ctx *ctx, const zs_opts *o, const cli_rows *d, const float *score) {
    FILE *f = o->out != NULL ? fopen(o->out, "w") : (o->task == NULL ? stdout : NULL);
    if (o->out != NULL && f == NULL)
        return cli_fail(o->out, CLEF_ERR_IO, "cannot write");
    if (f != NULL) {
        fprintf(f, d->y ? "row,score,label\n" : "session_id,score\n");
        for (int64_t i = 0; i < d->n; i++) {
            if (d->y)
                fprintf(f, "%lld,%.6f,%d\n", (long long)i, (double)score[i], (int)d->y[i]);
            else
                fprintf(f, "%s,%.6f\n", d->id[i], (double)score[i]);
        }
        if (f != stdout)
            fclose(f);
    }
    if (o->task == NULL)
        return 0;
    double *s = malloc((size_t)d->n * sizeof *s + 1), auc = 0, lo = 0, hi = 0;
    if (s == NULL)
        return cli_fail("zeroshot", CLEF_ERR_NOMEM, NULL);
    int64_t pos = 0;
    for (int64_t i = 0; i < d->n; i++) {
        s[i] = score[i];
        pos += d->y[i];
    }
    clef_status rc = clef_auroc(ctx, s, d->y, (size_t)d->n, &auc);
    if (rc == CLEF_OK)
        rc = clef_auroc_ci(ctx, s, d->y, (size_t)d->n, 1000, 0, 0.95, &lo, &hi);
    free(s);
    if (rc != CLEF_OK)
        return cli_fail(o->task, rc, clef_ctx_errmsg(ctx));
    printf("%s  \"%s\"%s%s%s  zero-shot AUROC %.3f [%.3f, %.3f]  (%s split: %lld positive, "
           "%lld negative)\n",
           o->task, o->prompt, o->versus ? " vs \"" : "", o->versus ? o->versus : "",
           o->versus ? "\"" : "", auc, lo, hi, o->split, (long long)pos, (long long)(d->n - pos));
    return 0;
}

/* score -= cos(session, versus). */
static int subtract_versus(const clef_aligner *al, clef_session *s, const clef_text_encoder *te,
                           const cli_rows *d, const char *versus, float *score) {
    float *neg = malloc((size_t)d->n * sizeof *neg + 1);
    if (neg == NULL)
        return cli_fail("zeroshot", CLEF_ERR_NOMEM, NULL);
    clef_status rc =
        clef_aligner_score_text(al, s, te, d->x, d->n, d->dim, versus, neg, (size_t)d->n);
    for (int64_t i = 0; rc == CLEF_OK && i < d->n; i++)
        score[i] -= neg[i];
    free(neg);
    return rc != CLEF_OK ? cli_fail("zeroshot --versus", rc, clef_session_errmsg(s)) : 0;
}

/* Files: each recording embedded (tokenizer and encoder, NULL: the defaults), then scored. */
static int zs_files(clef_ctx *ctx, clef_session *s, const zs_opts *o, const clef_aligner *al,
                    const clef_text_encoder *te) {
    const int n = o->n_args - 1;
    int64_t dim = 0;
    float *emb = NULL, *score = NULL;
    clef_status rc = CLEF_OK;
    int ret = cli_embed_files(ctx, s, o->tok, o->enc, o->args, n, 0, &emb, &dim);
    if (ret == 0 && (score = malloc((size_t)n * sizeof *score + 1)) == NULL)
        ret = cli_fail("zeroshot", CLEF_ERR_NOMEM, NULL);
    if (ret == 0 && (rc = clef_aligner_score_text(al, s, te, emb, n, dim, o->prompt, score,
                                                  (size_t)n)) != CLEF_OK)
        ret = cli_fail("zeroshot", rc, clef_session_errmsg(s));
    cli_rows d = {.n = n, .dim = dim, .x = emb};
    if (ret == 0 && o->versus != NULL)
        ret = subtract_versus(al, s, te, &d, o->versus, score);
    FILE *f = ret == 0 && o->out != NULL ? fopen(o->out, "w") : stdout;
    if (f == NULL)
        ret = cli_fail(o->out, CLEF_ERR_IO, "cannot write");
    for (int i = 0; ret == 0 && i < n; i++)
        fprintf(f, "%s%s,%.6f\n", i == 0 ? "file,score\n" : "", o->args[i], (double)score[i]);
    if (f != NULL && f != stdout)
        fclose(f);
    free(emb);
    free(score);
    return ret;
}

static int zs_run(clef_ctx *ctx, clef_session *s, zs_opts *o) {
    /* the defaults' paths (the encoder's file hash keys the store's embeddings) */
    if (o->enc == NULL) {
        clef_status drc =
            clef_default_model_path(ctx, CLEF_MODEL_ENCODER, o->enc_buf, sizeof o->enc_buf, NULL);
        if (drc != CLEF_OK)
            return cli_fail("default encoder", drc, clef_ctx_errmsg(ctx));
        o->enc = o->enc_buf;
    }
    if (o->al == NULL) {
        clef_status drc =
            clef_default_model_path(ctx, CLEF_MODEL_ALIGNER, o->al_buf, sizeof o->al_buf, NULL);
        if (drc != CLEF_OK)
            return cli_fail("default aligner", drc, clef_ctx_errmsg(ctx));
        o->al = o->al_buf;
    }
    char hash[65];
    clef_text_encoder *te = NULL;
    clef_aligner *al = NULL;
    clef_store *st = NULL;
    cli_rows d = {0};
    float *score = NULL;
    clef_status rc = clef_encoder_model_hash(ctx, o->enc, hash, sizeof hash, NULL);
    int ret = rc != CLEF_OK ? cli_fail(o->enc, rc, clef_ctx_errmsg(ctx)) : 0;
    if (ret == 0 && (rc = clef_aligner_load(&al, ctx, o->al)) != CLEF_OK)
        ret = cli_fail(o->al, rc, clef_ctx_errmsg(ctx));
    if (ret == 0)
        ret = cli_aligner_matches(al, hash, o->al);
    if (ret == 0)
        ret = cli_text_encoder(ctx, o->text, &te);
    if (ret == 0 && o->store == NULL) {
        ret = zs_files(ctx, s, o, al, te);
        clef_aligner_free(al);
        clef_text_encoder_free(te);
        return ret;
    }
    if (ret == 0 && (rc = clef_store_open(&st, ctx, o->store)) != CLEF_OK)
        ret = cli_fail(o->store, rc, clef_ctx_errmsg(ctx));
    if (ret == 0) {
        rc = o->task != NULL ? cli_rows_task(st, hash, split_id(o->split), o->task, &d)
                             : cli_rows_split(st, hash, split_id(o->split), &d);
        if (rc != CLEF_OK)
            ret = cli_fail(o->store, rc,
                           rc == CLEF_ERR_NOMEM ? "out of memory" : clef_store_errmsg(st));
    }
    if (ret == 0 && (score = malloc((size_t)d.n * sizeof *score + 1)) == NULL)
        ret = cli_fail("zeroshot", CLEF_ERR_NOMEM, NULL);
    if (ret == 0 && (rc = clef_aligner_score_text(al, s, te, d.x, d.n, d.dim, o->prompt, score,
                                                  (size_t)d.n)) != CLEF_OK)
        ret = cli_fail("zeroshot", rc, clef_session_errmsg(s));
    if (ret == 0 && o->versus != NULL)
        ret = subtract_versus(al, s, te, &d, o->versus, score);
    if (ret == 0)
        ret = report(ctx, o, &d, score);
    free(score);
    cli_rows_free(&d);
    clef_store_free(st);
    clef_aligner_free(al);
    clef_text_encoder_free(te);
    return ret;
}

int cmd_zeroshot(int argc, char **argv) {
    zs_opts o;
    int code = 0;
    if (zs_parse(argc, argv, &o, &code) != 0)
        return code;
    clef_ctx *ctx = NULL;
    clef_session *s = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return cli_fail("zeroshot", CLEF_ERR_NOMEM, NULL);
    (void)clef_ctx_set_log(ctx, CLEF_LOG_WARN, cli_log_stderr, NULL);
    clef_status rc = clef_session_create(&s, ctx, (int32_t)o.threads);
    int ret = rc != CLEF_OK ? cli_fail("zeroshot", rc, clef_ctx_errmsg(ctx)) : 0;
    if (ret == 0)
        ret = zs_run(ctx, s, &o);
    clef_session_free(s);
    clef_ctx_free(ctx);
    return ret;
}
