/* cmd_pretrain.c — clef pretrain: the session encoder's masked-token pretraining, a thin layer
 * over the library's pipeline (clef_encoder_trainer_add_cohort / _add_store / _run;
 * docs/encoder.md "Pretraining"). Under mpirun with --dist, every rank trains its share of each
 * batch and the gradients are averaged through libclef_dist (docs/distributed.md). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime: the ETA */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#include "cli_dist.h"
#include "cli_progress.h"

typedef struct pre_opts {
    const char *dir, *store, *tok, *out, *resume, *ckpt;
    int64_t threads, log_every, as_ranks;
    int dist, quiet;
} pre_opts;

static const char k_usage[] =
    "usage: clef pretrain (COHORT_DIR | --store DB) -w|--tokenizer TOKENIZER -o WEIGHTS\n"
    "         [--threads T] [--steps N] [--batch B] [--lr X] [--seed S]\n"
    "         [--d-model D] [--layers L] [--heads H] [--d-ff F] [--embed-dim E]\n"
    "         [--pool-values 0|1] [--crop-cols C] [--mask-min R] [--mask-max R] [--mean-weight W]\n"
    "         [--warmup-frac F]\n"
    "         [--weight-decay W] [--ema-decay E] [--grad-clip G] [--max-sessions N]\n"
    "         [--val-every N] [--checkpoint CKPT] [--checkpoint-every N] [--resume CKPT]\n"
    "         [--log-every N] [--dist | --as-ranks W] [--quiet]\n\n"
    "Pretrain the session encoder (docs/encoder.md) by masked-token prediction on the\n"
    "sessions of the train split of a cohort directory (tokenized with TOKENIZER on the\n"
    "fly) or of a store (their token artifacts: clef tokenize --store DB -w TOKENIZER).\n"
    "The val split is held out: its masked-token loss and accuracy are printed every\n"
    "--val-every steps (100) and at the end, beside two baselines (the most frequent code;\n"
    "the nearest unmasked token in time). Progress (step, loss, masked-token accuracy,\n"
    "tokens/s, ETA) goes to stderr every --log-every steps (10). A checkpoint (default\n"
    "WEIGHTS.ckpt) is written every --checkpoint-every steps (500) and at the end;\n"
    "--resume continues one bit for bit (its architecture wins over the options).\n"
    "WEIGHTS: the EMA weights (the current ones with --ema-decay 0) with the clef.enc.*\n"
    "metadata naming TOKENIZER's SHA-256.\n"
    "Defaults: --d-model 256 --layers 4 --heads 4 --d-ff 1024 --embed-dim 512, --steps 2000,\n"
    "--batch 8 sessions, --lr 5e-4 (warmup 5 %, cosine to 10 %), AdamW betas (0.9, 0.95),\n"
    "--weight-decay 0.1, --grad-clip 5, --ema-decay 0.9999, mask rates cos(pi u / 2) scaled\n"
    "to [--mask-min 0.15, --mask-max 0.85], the same share of the session-mean coefficient\n"
    "tokens masked and their values regressed (squared error weighted --mean-weight 1);\n"
    "--crop-cols C trains on windows of C token\n"
    "columns (0: whole sessions). --pool-values 1 (default): the embedding projects the pooled\n"
    "state and, beside it, the session-mean coefficients; 0: the pooled state alone.\n"
    "--dist (under mpirun, in a build with MPI): data-parallel over the ranks; every rank\n"
    "reads the same sessions and trains batch / ranks of each batch; rank 0 writes.\n"
    "--as-ranks W (one process): compute each batch as W ranks would and combine the\n"
    "shares as the all-reduce does: the weights of mpirun -np 2 ... --dist, bit for bit,\n"
    "with W 2 (docs/distributed.md).\n"
    "Every option but the file names, --threads, --log-every and --quiet is a library\n"
    "setting (CLEF_PARAMS_ENCODER, CLEF_PARAMS_PRETRAIN).\n";

static const cli_param_flag num_flags[] = {
    {"--steps", 1, CLEF_P_PRETRAIN_STEPS, 0},
    {"--batch", 1, CLEF_P_PRETRAIN_BATCH, 0},
    {"--seed", 1, CLEF_P_PRETRAIN_SEED, 0},
    {"--crop-cols", 1, CLEF_P_PRETRAIN_CROP_COLS, 0},
    {"--max-sessions", 1, CLEF_P_PRETRAIN_MAX_SESSIONS, 0},
    {"--val-every", 1, CLEF_P_PRETRAIN_VAL_EVERY, 0},
    {"--checkpoint-every", 1, CLEF_P_PRETRAIN_CHECKPOINT_EVERY, 0},
    {"--lr", 1, CLEF_P_PRETRAIN_LR, 1},
    {"--mask-min", 1, CLEF_P_PRETRAIN_MASK_MIN, 1},
    {"--mean-weight", 1, CLEF_P_PRETRAIN_MEAN_WEIGHT, 1},
    {"--mask-max", 1, CLEF_P_PRETRAIN_MASK_MAX, 1},
    {"--warmup-frac", 1, CLEF_P_PRETRAIN_WARMUP_FRAC, 1},
    {"--weight-decay", 1, CLEF_P_PRETRAIN_WEIGHT_DECAY, 1},
    {"--ema-decay", 1, CLEF_P_PRETRAIN_EMA_DECAY, 1},
    {"--grad-clip", 1, CLEF_P_PRETRAIN_GRAD_CLIP, 1},
    {"--d-model", 0, CLEF_P_ENC_D_MODEL, 0},
    {"--layers", 0, CLEF_P_ENC_N_LAYERS, 0},
    {"--heads", 0, CLEF_P_ENC_N_HEADS, 0},
    {"--d-ff", 0, CLEF_P_ENC_D_FF, 0},
    {"--embed-dim", 0, CLEF_P_ENC_EMBED_DIM, 0},
    {"--pool-values", 0, CLEF_P_ENC_POOL_VALUES, 0},
};

#define N_NUM (sizeof num_flags / sizeof num_flags[0])

static int pre_parse(int argc, char **argv, pre_opts *o, clef_params *p[2]) {
    *o = (pre_opts){.threads = 1, .log_every = 10, .as_ranks = 1};
    cli_param_val vals[N_NUM];
    cli_opt opts[N_NUM + 13];
    size_t k = 0;
    opts[k++] = (cli_opt)CLI_POS("COHORT_DIR", &o->dir, 0);
    opts[k++] = (cli_opt)CLI_OUT(&o->out, 1);
    opts[k++] = (cli_opt)CLI_STR("--tokenizer", "-w", &o->tok, 1);
    opts[k++] = (cli_opt)CLI_STR("--store", NULL, &o->store, 0);
    opts[k++] = (cli_opt)CLI_STR("--resume", NULL, &o->resume, 0);
    opts[k++] = (cli_opt)CLI_STR("--checkpoint", NULL, &o->ckpt, 0);
    opts[k++] = (cli_opt)CLI_I64("--threads", &o->threads, 1, 256);
    opts[k++] = (cli_opt)CLI_I64("--log-every", &o->log_every, 1, 1000000000);
    opts[k++] = (cli_opt)CLI_FLAG("--dist", NULL, &o->dist);
    opts[k++] = (cli_opt)CLI_I64("--as-ranks", &o->as_ranks, 1, 65536);
    opts[k++] = (cli_opt)CLI_FLAG("--quiet", "-q", &o->quiet);
    cli_param_opts(num_flags, N_NUM, vals, opts, &k);
    opts[k] = (cli_opt)CLI_END;
    const cli_cmd cmd = {"pretrain", k_usage, opts};
    int code = 0;
    if (cli_parse(&cmd, argc, argv, &code) != 0)
        return code == 0 ? -1 : code;
    if ((o->dir == NULL) == (o->store == NULL))
        return cli_usage_error("pretrain", "give COHORT_DIR or --store DB (one of them)");
    if (o->dist && o->as_ranks > 1)
        return cli_usage_error("pretrain", "--as-ranks is for one process, not with --dist");
#ifndef CLEF_CLI_WITH_MPI
    if (o->dist)
        return cli_usage_error("pretrain", "--dist: this clef was built without MPI");
#endif
    return cli_param_apply("pretrain", num_flags, N_NUM, vals, p);
}

/* Progress: means of the steps since the last line. */
typedef struct progress_acc {
    int64_t every, n, first_step;
    double loss, acc, tps, t0;
    int quiet;
} progress_acc;

static int32_t on_step(int64_t step, int64_t total, double loss, double acc, double tps, double vl,
                       double va, void *user) {
    progress_acc *a = user;
    if (a->first_step < 0) {
        a->first_step = step - 1;
        a->t0 = cli_now_s();
    }
    a->loss += loss;
    a->acc += acc;
    a->tps += tps;
    a->n++;
    if (!a->quiet && (step % a->every == 0 || step == total || !isnan(vl))) {
        double el = cli_now_s() - a->t0, per = el / (double)(step - a->first_step);
        double eta = per * (double)(total - step);
        fprintf(
            stderr, "step %lld/%lld  loss %.4f  masked acc %.3f  %.0f tokens/s  ETA %d:%02d:%02d",
            (long long)step, (long long)total, a->loss / (double)a->n, a->acc / (double)a->n,
            a->tps / (double)a->n, (int)(eta / 3600), (int)fmod(eta / 60, 60), (int)fmod(eta, 60));
        if (!isnan(vl))
            fprintf(stderr, "  | held-out loss %.4f acc %.3f", vl, va);
        fprintf(stderr, "\n");
        a->loss = a->acc = a->tps = 0.0;
        a->n = 0;
    }
    return 0;
}

/* Ranks: MPI's under --dist, else 0 of 1 (or of --as-ranks, emulated). Returns 0 or an exit
 * code. */
static int dist_begin(const pre_opts *o, clef_encoder_trainer *tr, int32_t *rank) {
    *rank = 0;
    if (!o->dist) {
        clef_status rc = clef_encoder_trainer_set_reducer(tr, NULL, NULL, 0, (int32_t)o->as_ranks);
        return rc == CLEF_OK ? 0
                             : cli_fail("pretrain --as-ranks", rc, clef_encoder_trainer_errmsg(tr));
    }
#ifdef CLEF_CLI_WITH_MPI
    int32_t world = 1;
    int ret = cli_dist_start("pretrain --dist", rank, &world);
    if (ret != 0)
        return ret;
    clef_status rc = clef_encoder_trainer_set_reducer(tr, cli_dist_reduce, NULL, *rank, world);
    if (rc != CLEF_OK)
        return cli_fail("pretrain --dist", rc, clef_encoder_trainer_errmsg(tr));
    if (*rank == 0)
        fprintf(stderr, "clef pretrain: data-parallel over %d ranks\n", (int)world);
#else
    (void)tr;
#endif
    return 0;
}

static int add_data(clef_ctx *ctx, clef_encoder_trainer *tr, const clef_tokenizer *tok,
                    const pre_opts *o) {
    static const char *const splits[2] = {"train", "val"};
    clef_store *st = NULL;
    clef_status rc = o->store != NULL ? clef_store_open(&st, ctx, o->store) : CLEF_OK;
    if (rc != CLEF_OK)
        return cli_fail(o->store, rc, clef_ctx_errmsg(ctx));
    for (int k = 0; rc == CLEF_OK && k < 2; k++) {
        rc = st != NULL ? clef_encoder_trainer_add_store(tr, st, splits[k])
                        : clef_encoder_trainer_add_cohort(tr, tok, o->dir, splits[k]);
        if (rc == CLEF_ERR_NOT_FOUND && k == 1) { /* no held-out sessions: train without */
            fprintf(stderr, "clef pretrain: no val sessions: no held-out validation\n");
            rc = CLEF_OK;
        }
    }
    clef_store_free(st);
    if (rc != CLEF_OK)
        return cli_fail("pretrain", rc, clef_encoder_trainer_errmsg(tr));
    return 0;
}

static int pre_run(clef_ctx *ctx, clef_encoder_trainer *tr, const clef_tokenizer *tok,
                   const pre_opts *o) {
    char ckpt[4096];
    snprintf(ckpt, sizeof ckpt, "%s%s", o->ckpt != NULL ? o->ckpt : o->out,
             o->ckpt != NULL ? "" : ".ckpt");
    int32_t rank = 0;
    int ret = dist_begin(o, tr, &rank);
    if (ret == 0)
        ret = add_data(ctx, tr, tok, o);
    if (ret == 0 && rank == 0)
        fprintf(stderr, "clef pretrain: %lld training, %lld held-out sessions\n",
                (long long)clef_encoder_trainer_sessions(tr, CLEF_SPLIT_TRAIN),
                (long long)clef_encoder_trainer_sessions(tr, CLEF_SPLIT_VAL));
    progress_acc acc = {.every = o->log_every, .first_step = -1, .quiet = o->quiet || rank != 0};
    clef_status rc =
        ret == 0 ? clef_encoder_trainer_run(tr, rank == 0 ? ckpt : NULL, on_step, &acc) : CLEF_OK;
    if (rc != CLEF_OK)
        ret = cli_fail("pretrain", rc, clef_encoder_trainer_errmsg(tr));
    if (ret == 0 && rank == 0 &&
        (rc = clef_encoder_save(clef_encoder_trainer_encoder(tr, 1), ctx, o->out)) != CLEF_OK)
        ret = cli_fail(o->out, rc, clef_ctx_errmsg(ctx));
    double vl, va, base[2];
    if (ret == 0 && rank == 0 && clef_encoder_trainer_sessions(tr, CLEF_SPLIT_VAL) > 0 &&
        clef_encoder_trainer_validate(tr, 1, &vl, &va, base) == CLEF_OK)
        printf("held-out masked-token accuracy %.4f (loss %.4f); baselines: most frequent code "
               "%.4f, nearest unmasked token in time %.4f\n",
               va, vl, base[0], base[1]);
    if (ret == 0 && rank == 0)
        printf("%lld steps -> %s (checkpoint %s)\n", (long long)clef_encoder_trainer_steps(tr),
               o->out, ckpt);
    return ret;
}

int cmd_pretrain(int argc, char **argv) {
    pre_opts o;
    clef_ctx *ctx = NULL;
    clef_params *p[2] = {NULL, NULL};
    clef_tokenizer *tok = NULL;
    clef_encoder_trainer *tr = NULL;
    int ret = clef_ctx_create(&ctx) != CLEF_OK ? cli_fail("pretrain", CLEF_ERR_NOMEM, NULL) : 0;
    if (ret == 0 && (clef_params_create(&p[0], ctx, CLEF_PARAMS_ENCODER) != CLEF_OK ||
                     clef_params_create(&p[1], ctx, CLEF_PARAMS_PRETRAIN) != CLEF_OK))
        ret = cli_fail("pretrain", CLEF_ERR_NOMEM, clef_ctx_errmsg(ctx));
    int help = 0;
    if (ret == 0 && (ret = pre_parse(argc, argv, &o, p)) < 0)
        ret = 0, help = 1;
    if (ret == 0 && !help)
        (void)clef_ctx_set_log(ctx, CLEF_LOG_WARN, cli_log_stderr, NULL);
    clef_status rc = CLEF_OK;
    if (ret == 0 && !help && (rc = clef_tokenizer_load(&tok, ctx, o.tok)) != CLEF_OK)
        ret = cli_fail(o.tok, rc, clef_ctx_errmsg(ctx));
    if (ret == 0 && !help) {
        rc = o.resume != NULL
                 ? clef_encoder_trainer_resume(&tr, ctx, o.resume, p[1], (int32_t)o.threads)
                 : clef_encoder_trainer_create(&tr, ctx, tok, p[0], p[1], (int32_t)o.threads);
        if (rc != CLEF_OK)
            ret = cli_fail(o.resume != NULL ? o.resume : "pretrain", rc, clef_ctx_errmsg(ctx));
    }
    if (ret == 0 && !help)
        ret = pre_run(ctx, tr, tok, &o);
#ifdef CLEF_CLI_WITH_MPI
    if (!help && o.dist)
        (void)clef_dist_finalize();
#endif
    clef_encoder_trainer_free(tr);
    clef_tokenizer_free(tok);
    clef_params_free(p[0]);
    clef_params_free(p[1]);
    clef_ctx_free(ctx);
    return ret;
}
