/* cmd_train_tokenizer.c — clef train-tokenizer: a thin layer over the library's training
 * pipeline (clef_tokenizer_trainer_add_cohort / _add_store / _run; docs/tokenizer.md
 * "Training"). Flags become CLEF_PARAMS_TOKENIZER and CLEF_PARAMS_TRAIN settings; this file
 * only parses them, prints progress and writes the files. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_npy.h"

typedef struct train_opts {
    const char *dir, *store, *out, *resume, *ckpt, *split;
    int64_t threads, log_every;
    int mean_tokens_given;
    const char *mean_fit[8]; /* --mean-fit: more sessions' mean power spectra (.npy) */
    int n_mean_fit;
} train_opts;

static const char k_usage[] =
    "usage: clef train-tokenizer (COHORT_DIR | --store DB) -o WEIGHTS [--steps N]\n"
    "         [--threads T]\n"
    "         [--resume CKPT] [--checkpoint CKPT] [--checkpoint-every N] [--log-every N]\n"
    "         [--batch B] [--crop-t T] [--lr X] [--seed S] [--split NAME]\n"
    "         [--ch W] [--ch-mult L] [--codebook K] [--code-dim D] [--gn-groups G]\n"
    "         [--disc-ndf W] [--disc-start N] [--max-sessions N]\n"
    "         [--warmup N] [--cosine-steps N] [--lr-min X] [--channel-dropout P]\n"
    "         [--channel-lone Q] [--power-weight W] [--mean-tokens N] [--mean-levels L]\n"
    "         [--mean-fit MEANS.npy]...\n\n"
    "Train a VQGAN tokenizer (docs/tokenizer.md) on the sessions of a cohort directory\n"
    "(docs/COHORT-FORMAT.md) or of a store (clef ingest; docs/store.md) whose subject is\n"
    "in split NAME (default train): each recording's CLEF spectrogram, then N steps "
    "(default 2000) on batches of\n"
    "B (8) random crops of T frames (80: a 128 x 80 crop, an 8 x 16 token grid). Progress\n"
    "(step, L1 in dB, codebook perplexity) goes to stderr every --log-every steps (10).\n"
    "A checkpoint (default WEIGHTS.ckpt) is written every --checkpoint-every steps (500)\n"
    "and at the end; --resume continues one (its architecture wins over the options).\n"
    "WEIGHTS holds the trained weights with their clef.tok.* and clef.spec.* metadata.\n"
    "Architecture defaults (CLEF_P_TOK_*): --ch 32, --ch-mult 1,1,2,4, --codebook 1024,\n"
    "--code-dim 32, --gn-groups 8; --disc-ndf 16 (0: no PatchGAN), --disc-start 2000.\n"
    "Learning rate: --lr (1e-3) after --warmup N linear steps (0), constant, or with\n"
    "--cosine-steps N a cosine decay to --lr-min (1e-5) at step N.\n"
    "--channel-dropout P (0): each crop, with probability P, keeps a random 1 to n-1 of\n"
    "its n present channels and blanks the others as absent channels are (-40 dB); the\n"
    "loss covers present channels only, so the tokenizer learns recordings with missing\n"
    "electrodes. --channel-lone Q (0): a share Q of those crops keeps a single channel\n"
    "(single-channel recordings).\n"
    "--power-weight W (0) adds W times the squared error of each (channel, frequency)\n"
    "row's time-mean power in dB to the loss, so what band-power features average\n"
    "survives the tokens; progress then shows it as `row-mean power rms`.\n"
    "--mean-tokens N (128; 0: none) codes each session's mean power spectrum apart in N\n"
    "tokens of --mean-levels L (1024) levels: principal components of the training\n"
    "sessions' (one or two per token; 188 for 128 tokens), absent channels and the valid\n"
    "columns, and trains the network on the rest (docs/tokenizer.md \"Session-mean\n"
    "tokens\"); decode then keeps each row's session power, and a 20-minute session gives\n"
    "8 x 240 + 128 = 2,048 tokens. It needs about N training sessions. A resumed "
    "checkpoint keeps its own; one without them gets\n"
    "them only when --mean-tokens is given. --mean-fit MEANS.npy (up to 8 times; from\n"
    "clef session-means) adds more sessions' mean power spectra to the coder's fit: its\n"
    "principal axes want many more sessions than the network does. After the last step,\n"
    "decoding is calibrated on the training sessions (mean.bias).\n"
    "Every option but the file names, --threads and --log-every is a library setting\n"
    "(clef_tokenizer_trainer_run(); Python clef.train_tokenizer()), so they train alike.\n";

/* Numeric flags: the params set (0 architecture, 1 training), the key, and whether the value
 * is a float. */
static const cli_param_flag num_flags[] = {
    {"--steps", 1, CLEF_P_TOK_TRAIN_STEPS, 0},
    {"--batch", 1, CLEF_P_TOK_TRAIN_BATCH, 0},
    {"--crop-t", 0, CLEF_P_TOK_CROP_T, 0},
    {"--ch", 0, CLEF_P_TOK_CH, 0},
    {"--codebook", 0, CLEF_P_TOK_CODEBOOK_SIZE, 0},
    {"--code-dim", 0, CLEF_P_TOK_CODE_DIM, 0},
    {"--gn-groups", 0, CLEF_P_TOK_GN_GROUPS, 0},
    {"--checkpoint-every", 1, CLEF_P_TOK_TRAIN_CHECKPOINT_EVERY, 0},
    {"--disc-start", 1, CLEF_P_TOK_TRAIN_DISC_START, 0},
    {"--disc-ndf", 1, CLEF_P_TOK_TRAIN_DISC_NDF, 0},
    {"--max-sessions", 1, CLEF_P_TOK_TRAIN_MAX_SESSIONS, 0},
    {"--warmup", 1, CLEF_P_TOK_TRAIN_WARMUP, 0},
    {"--cosine-steps", 1, CLEF_P_TOK_TRAIN_COSINE_STEPS, 0},
    {"--mean-tokens", 1, CLEF_P_TOK_TRAIN_MEAN_TOKENS, 0},
    {"--mean-levels", 1, CLEF_P_TOK_TRAIN_MEAN_LEVELS, 0},
    {"--seed", 1, CLEF_P_TOK_TRAIN_SEED, 0},
    {"--lr", 1, CLEF_P_TOK_TRAIN_LR, 1},
    {"--lr-min", 1, CLEF_P_TOK_TRAIN_LR_MIN, 1},
    {"--channel-dropout", 1, CLEF_P_TOK_TRAIN_CHANNEL_DROPOUT, 1},
    {"--channel-lone", 1, CLEF_P_TOK_TRAIN_CHANNEL_LONE, 1},
    {"--power-weight", 1, CLEF_P_TOK_TRAIN_POWER_WEIGHT, 1},
};

#define N_NUM (sizeof num_flags / sizeof num_flags[0])

/* Parse with the common parser (cli_args.h): the numeric flags take their ranges from the
 * parameter table (clef_param_bounds), so the CLI refuses what the library would, naming the
 * flag; given values then go into the params sets. */
static int train_parse(int argc, char **argv, train_opts *o, clef_params *p[2]) {
    *o = (train_opts){.split = "train", .threads = 1, .log_every = 10};
    cli_param_val vals[N_NUM];
    const char *ch_mult = NULL;
    cli_list fits = {o->mean_fit, 0, 8};
    cli_opt opts[N_NUM + 12];
    size_t k = 0;
    opts[k++] = (cli_opt)CLI_POS("COHORT_DIR", &o->dir, 0);
    opts[k++] = (cli_opt)CLI_OUT(&o->out, 1);
    opts[k++] = (cli_opt)CLI_STR("--store", NULL, &o->store, 0);
    opts[k++] = (cli_opt)CLI_STR("--split", NULL, &o->split, 0);
    opts[k++] = (cli_opt)CLI_STR("--resume", NULL, &o->resume, 0);
    opts[k++] = (cli_opt)CLI_STR("--checkpoint", NULL, &o->ckpt, 0);
    opts[k++] = (cli_opt)CLI_STR("--ch-mult", NULL, &ch_mult, 0);
    opts[k++] = (cli_opt)CLI_STRS("--mean-fit", &fits);
    opts[k++] = (cli_opt)CLI_I64("--threads", &o->threads, 1, 256);
    opts[k++] = (cli_opt)CLI_I64("--log-every", &o->log_every, 1, 1000000000);
    cli_param_opts(num_flags, N_NUM, vals, opts, &k);
    opts[k] = (cli_opt)CLI_END;
    const cli_cmd cmd = {"train-tokenizer", k_usage, opts};
    int code = 0;
    if (cli_parse(&cmd, argc, argv, &code) != 0)
        return code == 0 ? -1 : code; /* -1: --help printed (exit 0) */
    if ((o->dir == NULL) == (o->store == NULL))
        return cli_usage_error("train-tokenizer", "give COHORT_DIR or --store DB (one of them)");
    o->n_mean_fit = fits.n;
    if (ch_mult != NULL && clef_params_set_str(p[0], CLEF_P_TOK_CH_MULT, ch_mult) != CLEF_OK)
        return cli_usage_error("train-tokenizer", "--ch-mult: %s", clef_params_errmsg(p[0]));
    code = cli_param_apply("train-tokenizer", num_flags, N_NUM, vals, p);
    if (code != 0)
        return code;
    for (size_t i = 0; i < N_NUM; i++)
        o->mean_tokens_given |= num_flags[i].key == CLEF_P_TOK_TRAIN_MEAN_TOKENS &&
                                cli_param_given(&num_flags[i], &vals[i]);
    /* a resumed checkpoint gets session-mean tokens only when --mean-tokens is given */
    if (o->resume != NULL && !o->mean_tokens_given)
        (void)clef_params_set_i64(p[1], CLEF_P_TOK_TRAIN_MEAN_TOKENS, 0);
    int64_t want = 0;
    (void)clef_params_get_i64(p[1], CLEF_P_TOK_TRAIN_MEAN_TOKENS, &want);
    if (o->n_mean_fit > 0 && want == 0)
        return cli_usage_error("train-tokenizer",
                               "--mean-fit: there are no session-mean tokens to fit "
                               "(--mean-tokens 0)");
    return 0;
}

/* Progress: the means of the steps since the last line, every --log-every steps. */
typedef struct progress_acc {
    int64_t every;
    double l1, ppl, pw;
    int64_t n;
} progress_acc;

static int32_t on_step(int64_t step, int64_t total, double l1, double ppl, double power_db,
                       void *user) {
    progress_acc *a = user;
    a->l1 += l1;
    a->ppl += ppl;
    a->pw += power_db * power_db;
    a->n++;
    if (step % a->every == 0 || step == total) {
        fprintf(stderr, "step %lld/%lld  l1 %.3f dB (%.2f %% of 40 dB)  perplexity %.1f",
                (long long)step, (long long)total, a->l1 / (double)a->n,
                100.0 * a->l1 / (double)a->n / 40.0, a->ppl / (double)a->n);
        if (a->pw > 0.0) /* only computed with --power-weight */
            fprintf(stderr, "  row-mean power rms %.3f dB", sqrt(a->pw / (double)a->n));
        fprintf(stderr, "\n");
        *a = (progress_acc){.every = a->every};
    }
    return 0;
}

/* --mean-fit files (clef session-means) into the trainer's coder fit. */
static int add_mean_files(clef_tokenizer_trainer *tr, const train_opts *o) {
    int64_t n_ch = 0, nf = 0, rows = 0, cols = 0;
    clef_tokenizer_shape(clef_tokenizer_trainer_tokenizer(tr), &n_ch, &nf, NULL, NULL, NULL);
    int64_t dim = n_ch * nf;
    for (int f = 0; f < o->n_mean_fit; f++) {
        float *x = NULL;
        const char *why = NULL;
        if (cli_npy_read_f32_2d(o->mean_fit[f], &x, &rows, &cols, &why) != 0 || cols != dim) {
            free(x);
            return cli_fail(o->mean_fit[f], CLEF_ERR_FORMAT,
                            why != NULL && cols == 0 ? why
                                                     : "need (sessions, 19 * 128) mean power "
                                                       "spectra (clef session-means)");
        }
        clef_status rc = clef_tokenizer_trainer_add_means(tr, x, rows);
        free(x);
        if (rc != CLEF_OK)
            return cli_fail(o->mean_fit[f], rc, clef_tokenizer_trainer_errmsg(tr));
    }
    return 0;
}

/* The sessions of the cohort directory or the store. */
static int add_data(clef_ctx *ctx, clef_tokenizer_trainer *tr, const train_opts *o) {
    clef_status rc;
    if (o->dir != NULL) {
        rc = clef_tokenizer_trainer_add_cohort(tr, o->dir, o->split);
    } else {
        clef_store *st = NULL;
        if ((rc = clef_store_open(&st, ctx, o->store)) != CLEF_OK)
            return cli_fail(o->store, rc, clef_ctx_errmsg(ctx));
        rc = clef_tokenizer_trainer_add_store(tr, st, o->split);
        clef_store_free(st);
    }
    return rc != CLEF_OK ? cli_fail("train-tokenizer", rc, clef_tokenizer_trainer_errmsg(tr)) : 0;
}

static int train_run(clef_ctx *ctx, clef_tokenizer_trainer *tr, const train_opts *o) {
    char ckpt[4096];
    snprintf(ckpt, sizeof ckpt, "%s%s", o->ckpt != NULL ? o->ckpt : o->out,
             o->ckpt != NULL ? "" : ".ckpt");
    int ret = add_data(ctx, tr, o);
    if (ret == 0)
        ret = add_mean_files(tr, o);
    progress_acc acc = {.every = o->log_every};
    clef_status rc = ret == 0 ? clef_tokenizer_trainer_run(tr, ckpt, on_step, &acc) : CLEF_OK;
    const char *msg = clef_tokenizer_trainer_errmsg(tr);
    if (rc != CLEF_OK && strstr(msg, "train.mean_tokens") != NULL && rc == CLEF_ERR_RANGE)
        fprintf(stderr, "clef: pass fewer --mean-tokens, 0 for none, or more sessions "
                        "(--mean-fit)\n");
    if (rc != CLEF_OK)
        ret = cli_fail("train-tokenizer", rc, msg);
    if (ret == 0 &&
        (rc = clef_tokenizer_save(clef_tokenizer_trainer_tokenizer(tr), ctx, o->out)) != CLEF_OK)
        ret = cli_fail(o->out, rc, clef_ctx_errmsg(ctx));
    if (ret == 0)
        printf("%lld steps -> %s (checkpoint %s)\n", (long long)clef_tokenizer_trainer_steps(tr),
               o->out, ckpt);
    return ret;
}

int cmd_train_tokenizer(int argc, char **argv) {
    train_opts o;
    clef_ctx *ctx = NULL;
    clef_params *p[2] = {NULL, NULL};
    clef_tokenizer_trainer *tr = NULL;
    int ret =
        clef_ctx_create(&ctx) != CLEF_OK ? cli_fail("train-tokenizer", CLEF_ERR_NOMEM, NULL) : 0;
    if (ret == 0 && (clef_params_create(&p[0], ctx, CLEF_PARAMS_TOKENIZER) != CLEF_OK ||
                     clef_params_create(&p[1], ctx, CLEF_PARAMS_TRAIN) != CLEF_OK ||
                     clef_params_set_i64(p[0], CLEF_P_TOK_CROP_T, 80) != CLEF_OK))
        ret = cli_fail("train-tokenizer", CLEF_ERR_NOMEM, clef_ctx_errmsg(ctx));
    int help = 0; /* --help printed: nothing more to do */
    if (ret == 0 && (ret = train_parse(argc, argv, &o, p)) < 0)
        ret = 0, help = 1;
    if (ret == 0 && !help)
        (void)clef_ctx_set_log(ctx, CLEF_LOG_INFO, cli_log_stderr, NULL);
    clef_status rc = CLEF_OK;
    if (ret == 0 && !help) {
        rc = o.resume != NULL
                 ? clef_tokenizer_trainer_resume(&tr, ctx, o.resume, p[1], (int32_t)o.threads)
                 : clef_tokenizer_trainer_create(&tr, ctx, p[0], p[1], (int32_t)o.threads);
        if (rc != CLEF_OK)
            ret =
                cli_fail(o.resume != NULL ? o.resume : "train-tokenizer", rc, clef_ctx_errmsg(ctx));
    }
    if (ret == 0 && !help)
        ret = train_run(ctx, tr, &o);
    clef_tokenizer_trainer_free(tr);
    clef_params_free(p[0]);
    clef_params_free(p[1]);
    clef_ctx_free(ctx);
    return ret;
}
