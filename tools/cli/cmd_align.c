/* cmd_align.c — clef align: the clinical aligner's contrastive training on a store's sessions
 * (their encoder embeddings, reports and EHR records), a thin layer over clef_aligner_trainer
 * (docs/aligner.md "Training"). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime: the ETA */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_text.h"

#include "cli_dist.h"
#include "cli_progress.h"

typedef struct al_opts {
    const char *store, *enc, *out, *resume, *ckpt, *text, *drop, *finetune;
    int64_t threads, log_every;
    int quiet, dist;
} al_opts;

static const char k_usage[] =
    "usage: clef align --store DB -w|--encoder ENCODER -o ALIGNER [--text DIR]\n"
    "         [--threads T] [--steps N] [--batch B] [--lr X] [--seed S] [--dim D]\n"
    "         [--width W] [--layers L] [--heads H] [--eeg-hidden H] [--temperature T]\n"
    "         [--learn-temperature] [--report-weight W] [--ehr-weight W] [--weight-decay W]\n"
    "         [--drop-words \"w1,w2\"] [--text-sentences 0|1] [--sentence-dropout P]\n"
    "         [--finetune-encoder OUT [--recon-weight W] [--encoder-lr X]]\n"
    "         [--checkpoint CKPT] [--checkpoint-every N]\n"
    "         [--resume CKPT] [--log-every N] [--dist] [--quiet]\n\n"
    "Align session embeddings with reports and EHR records (docs/aligner.md): the store's\n"
    "train-split sessions, each with its embedding under ENCODER (clef embed --store DB\n"
    "-w ENCODER makes them), its report (de-identified, summarized to its electrographic\n"
    "content, encoded by the frozen text encoder in DIR: all-MiniLM-L6-v2, default the\n"
    "copy tools/install_deps.sh fetched, or $CLEF_TEXT_MODEL) and its EHR record (age,\n"
    "sex, race, ICD-10 and ATC codes known at the session). Symmetric InfoNCE EEG-report\n"
    "+ EEG-EHR, temperature 0.07 (fixed unless --learn-temperature). Progress (step,\n"
    "losses, in-batch EEG->report and EEG->EHR top-1 accuracy, ETA) goes to stderr every\n"
    "--log-every steps (20); at the end, the val split's EEG->report retrieval R@1 and\n"
    "R@10 beside chance. A checkpoint (default ALIGNER.ckpt) is written every\n"
    "--checkpoint-every steps (200) and at the end; --resume continues it bit for bit.\n"
    "--drop-words blanks phrases out of every report summary (held-out concept checks).\n"
    "Each sentence of a summary goes through the text encoder on its own (--text-sentences\n"
    "0: the whole summary at once), and a training report enters a step cut to a random\n"
    "subset of its sentences with chance --sentence-dropout (0.5), so short prompts meet\n"
    "text like what the towers learned from.\n"
    "--finetune-encoder OUT fine-tunes a copy of ENCODER during alignment (docs/aligner.md\n"
    "\"Joint fine-tuning\"): each step embeds the sessions' tokens (clef tokenize --store)\n"
    "with it, the InfoNCE terms reach its weights, and its masked-token loss is kept with\n"
    "weight --recon-weight (1), AdamW at --encoder-lr (1e-4) on the aligner's schedule;\n"
    "it is written to OUT, and ALIGNER names it: embed the store with OUT before using\n"
    "ALIGNER. A resumed checkpoint goes on fine-tuning; with --dist the batch must be\n"
    "divisible by the ranks.\n"
    "Defaults: --dim 512 --width 128 --layers 1 --heads 4 --eeg-hidden 512, --steps 600,\n"
    "--batch 64, --lr 5e-4 (warmup 5 %, cosine to 10 %), --weight-decay 0.05.\n"
    "--dist (under mpirun, in a build with MPI): data-parallel over the ranks; every rank\n"
    "reads the same sessions, embeds batch / ranks of each batch, the embeddings are\n"
    "all-gathered so the negatives span the whole batch; rank 0 writes (docs/distributed.md).\n"
    "Every option but the file names, --text, --threads, --log-every and --quiet is a\n"
    "library setting (CLEF_PARAMS_ALIGN).\n";

static const cli_param_flag num_flags[] = {
    {"--steps", 0, CLEF_P_ALIGN_STEPS, 0},
    {"--batch", 0, CLEF_P_ALIGN_BATCH, 0},
    {"--seed", 0, CLEF_P_ALIGN_SEED, 0},
    {"--dim", 0, CLEF_P_ALIGN_DIM, 0},
    {"--width", 0, CLEF_P_ALIGN_WIDTH, 0},
    {"--layers", 0, CLEF_P_ALIGN_LAYERS, 0},
    {"--heads", 0, CLEF_P_ALIGN_HEADS, 0},
    {"--eeg-hidden", 0, CLEF_P_ALIGN_EEG_HIDDEN, 0},
    {"--text-sentences", 0, CLEF_P_ALIGN_TEXT_SENTENCES, 0},
    {"--checkpoint-every", 0, CLEF_P_ALIGN_CHECKPOINT_EVERY, 0},
    {"--lr", 0, CLEF_P_ALIGN_LR, 1},
    {"--temperature", 0, CLEF_P_ALIGN_TEMPERATURE, 1},
    {"--report-weight", 0, CLEF_P_ALIGN_REPORT_WEIGHT, 1},
    {"--ehr-weight", 0, CLEF_P_ALIGN_EHR_WEIGHT, 1},
    {"--weight-decay", 0, CLEF_P_ALIGN_WEIGHT_DECAY, 1},
    {"--sentence-dropout", 0, CLEF_P_ALIGN_SENTENCE_DROPOUT, 1},
    {"--recon-weight", 0, CLEF_P_ALIGN_RECON_WEIGHT, 1},
    {"--encoder-lr", 0, CLEF_P_ALIGN_ENCODER_LR, 1},
};
#define N_NUM (sizeof num_flags / sizeof num_flags[0])

static int al_parse(int argc, char **argv, al_opts *o, clef_params *p) {
    *o = (al_opts){.threads = 1, .log_every = 20};
    int learn = 0;
    cli_param_val vals[N_NUM];
    cli_opt opts[N_NUM + 16];
    size_t k = 0;
    opts[k++] = (cli_opt)CLI_OUT(&o->out, 1);
    opts[k++] = (cli_opt)CLI_STR("--store", NULL, &o->store, 1);
    opts[k++] = (cli_opt)CLI_STR("--encoder", "-w", &o->enc, 1);
    opts[k++] = (cli_opt)CLI_STR("--text", NULL, &o->text, 0);
    opts[k++] = (cli_opt)CLI_STR("--resume", NULL, &o->resume, 0);
    opts[k++] = (cli_opt)CLI_STR("--checkpoint", NULL, &o->ckpt, 0);
    opts[k++] = (cli_opt)CLI_STR("--drop-words", NULL, &o->drop, 0);
    opts[k++] = (cli_opt)CLI_STR("--finetune-encoder", NULL, &o->finetune, 0);
    opts[k++] = (cli_opt)CLI_I64("--threads", &o->threads, 1, 256);
    opts[k++] = (cli_opt)CLI_I64("--log-every", &o->log_every, 1, 1000000000);
    opts[k++] = (cli_opt)CLI_FLAG("--learn-temperature", NULL, &learn);
    opts[k++] = (cli_opt)CLI_FLAG("--quiet", "-q", &o->quiet);
    opts[k++] = (cli_opt)CLI_FLAG("--dist", NULL, &o->dist);
    cli_param_opts(num_flags, N_NUM, vals, opts, &k);
    opts[k] = (cli_opt)CLI_END;
    const cli_cmd cmd = {"align", k_usage, opts};
    int code = 0;
    if (cli_parse(&cmd, argc, argv, &code) != 0)
        return code == 0 ? -1 : code;
#ifndef CLEF_CLI_WITH_MPI
    if (o->dist)
        return cli_usage_error("align", "--dist: this clef was built without MPI");
#endif
    if (learn)
        (void)clef_params_set_i64(p, CLEF_P_ALIGN_LEARN_TEMPERATURE, 1);
    if (o->drop != NULL && clef_params_set_str(p, CLEF_P_ALIGN_DROP_WORDS, o->drop) != CLEF_OK)
        return cli_usage_error("align", "--drop-words: not a usable phrase list");
    clef_params *sets[1] = {p};
    return cli_param_apply("align", num_flags, N_NUM, vals, sets);
}

typedef struct al_progress {
    int64_t every, n, first_step;
    double v[4], t0;
    int quiet;
} al_progress;

/* Means (of the terms the steps had) since the last line. */
static int32_t on_step(int64_t step, int64_t total, double lr, double le, double ar, double ae,
                       void *user) {
    al_progress *a = user;
    if (a->first_step < 0) {
        a->first_step = step - 1;
        a->t0 = cli_now_s();
    }
    const double x[4] = {lr, le, ar, ae};
    for (int i = 0; i < 4; i++)
        a->v[i] += isnan(x[i]) ? 0.0 : x[i];
    a->n++;
    if (!a->quiet && (step % a->every == 0 || step == total)) {
        double el = cli_now_s() - a->t0,
               eta = el / (double)(step - a->first_step) * (double)(total - step);
        double n = (double)a->n;
        fprintf(stderr,
                "step %lld/%lld  loss report %.4f ehr %.4f  in-batch top-1 report %.3f ehr %.3f"
                "  ETA %d:%02d:%02d\n",
                (long long)step, (long long)total, a->v[0] / n, a->v[1] / n, a->v[2] / n,
                a->v[3] / n, (int)(eta / 3600), (int)fmod(eta / 60, 60), (int)fmod(eta, 60));
        memset(a->v, 0, sizeof a->v);
        a->n = 0;
    }
    return 0;
}

/* Under --dist: MPI's rank and world on the trainer. Returns 0 or an exit code. */
static int dist_begin(const al_opts *o, clef_aligner_trainer *tr, int32_t *rank) {
    *rank = 0;
    if (!o->dist)
        return 0;
#ifdef CLEF_CLI_WITH_MPI
    int32_t world = 1;
    int ret = cli_dist_start("align --dist", rank, &world);
    if (ret != 0)
        return ret;
    clef_status rc =
        clef_aligner_trainer_set_dist(tr, cli_dist_reduce, cli_dist_gather, NULL, *rank, world);
    if (rc != CLEF_OK)
        return cli_fail("align --dist", rc, clef_aligner_trainer_errmsg(tr));
    if (*rank == 0)
        fprintf(stderr, "clef align: data-parallel over %d ranks\n", (int)world);
#else
    (void)tr;
#endif
    return 0;
}

/* --finetune-encoder on a new run: the trainer takes a copy of ENCODER (a resumed run has
 * its own from the checkpoint). Returns 0 or an exit code. */
static int finetune_begin(clef_ctx *ctx, clef_aligner_trainer *tr, const al_opts *o) {
    if (o->finetune == NULL || clef_aligner_trainer_encoder(tr) != NULL)
        return 0;
    if (o->resume != NULL)
        return cli_fail(o->resume, CLEF_ERR_STATE,
                        "--finetune-encoder: this checkpoint was not fine-tuning an encoder");
    clef_encoder *enc = NULL;
    clef_status rc = clef_encoder_load(&enc, ctx, o->enc, NULL);
    if (rc != CLEF_OK)
        return cli_fail(o->enc, rc, clef_ctx_errmsg(ctx));
    rc = clef_aligner_trainer_finetune(tr, enc);
    clef_encoder_free(enc);
    return rc != CLEF_OK ? cli_fail("align", rc, clef_aligner_trainer_errmsg(tr)) : 0;
}

static int add_data(clef_ctx *ctx, clef_aligner_trainer *tr, const clef_text_encoder *te,
                    const al_opts *o) {
    char hash[65];
    clef_status rc = clef_encoder_model_hash(ctx, o->enc, hash, sizeof hash, NULL);
    if (rc != CLEF_OK)
        return cli_fail(o->enc, rc, clef_ctx_errmsg(ctx));
    int ret = finetune_begin(ctx, tr, o);
    if (ret != 0)
        return ret;
    clef_store *st = NULL;
    if ((rc = clef_store_open(&st, ctx, o->store)) != CLEF_OK)
        return cli_fail(o->store, rc, clef_ctx_errmsg(ctx));
    if (!o->quiet)
        fprintf(stderr, "clef align: reading sessions, summarizing and encoding reports\n");
    rc = clef_aligner_trainer_add_store(tr, te, st, hash, "train");
    if (rc == CLEF_OK) {
        rc = clef_aligner_trainer_add_store(tr, te, st, hash, "val");
        if (rc == CLEF_ERR_NOT_FOUND && clef_aligner_trainer_sessions(tr, CLEF_SPLIT_VAL) == 0) {
            fprintf(stderr, "clef align: no val sessions: no held-out retrieval\n");
            rc = CLEF_OK;
        }
    }
    clef_store_free(st);
    return rc != CLEF_OK ? cli_fail("align", rc, clef_aligner_trainer_errmsg(tr)) : 0;
}

static int al_run(clef_ctx *ctx, clef_aligner_trainer *tr, const clef_text_encoder *te,
                  const al_opts *o) {
    char ckpt[4096];
    snprintf(ckpt, sizeof ckpt, "%s%s", o->ckpt != NULL ? o->ckpt : o->out,
             o->ckpt != NULL ? "" : ".ckpt");
    int32_t rank = 0;
    int ret = dist_begin(o, tr, &rank);
    if (ret == 0)
        ret = add_data(ctx, tr, te, o);
    int64_t n_val = clef_aligner_trainer_sessions(tr, CLEF_SPLIT_VAL);
    if (ret == 0 && rank == 0)
        fprintf(stderr, "clef align: %lld training, %lld held-out sessions\n",
                (long long)clef_aligner_trainer_sessions(tr, CLEF_SPLIT_TRAIN), (long long)n_val);
    al_progress acc = {.every = o->log_every, .first_step = -1, .quiet = o->quiet || rank != 0};
    clef_status rc =
        ret == 0 ? clef_aligner_trainer_run(tr, rank == 0 ? ckpt : NULL, on_step, &acc) : CLEF_OK;
    if (rc != CLEF_OK)
        ret = cli_fail("align", rc, clef_aligner_trainer_errmsg(tr));
    if (ret != 0 || rank != 0)
        return ret;
    /* the fine-tuned encoder first: saving it makes the aligner name it */
    if (clef_aligner_trainer_encoder(tr) != NULL) {
        const char *eo = o->finetune;
        char def[4096];
        if (eo == NULL) { /* resumed without the option: beside the aligner */
            snprintf(def, sizeof def, "%s.encoder.safetensors", o->out);
            eo = def;
        }
        if ((rc = clef_aligner_trainer_save_encoder(tr, eo)) != CLEF_OK)
            ret = cli_fail(eo, rc, clef_aligner_trainer_errmsg(tr));
        else
            printf("fine-tuned encoder -> %s (embed the store with it: clef embed --store DB -w "
                   "%s)\n",
                   eo, eo);
    }
    if (ret == 0 &&
        (rc = clef_aligner_save(clef_aligner_trainer_aligner(tr), ctx, o->out)) != CLEF_OK)
        ret = cli_fail(o->out, rc, clef_ctx_errmsg(ctx));
    double vl, r1, r10;
    if (ret == 0 && n_val >= 2 && clef_aligner_trainer_validate(tr, &vl, &r1, &r10) == CLEF_OK)
        printf("held-out EEG->report retrieval among %lld sessions: R@1 %.3f (chance %.3f), "
               "R@10 %.3f (chance %.3f); InfoNCE %.4f\n",
               (long long)n_val, r1, 1.0 / (double)n_val, r10,
               (n_val < 10 ? (double)n_val : 10.0) / (double)n_val, vl);
    if (ret == 0)
        printf("%lld steps -> %s (checkpoint %s)\n", (long long)clef_aligner_trainer_steps(tr),
               o->out, ckpt);
    return ret;
}

int cmd_align(int argc, char **argv) {
    al_opts o;
    clef_ctx *ctx = NULL;
    clef_params *p = NULL;
    clef_text_encoder *te = NULL;
    clef_aligner_trainer *tr = NULL;
    int ret = clef_ctx_create(&ctx) != CLEF_OK ? cli_fail("align", CLEF_ERR_NOMEM, NULL) : 0;
    if (ret == 0 && clef_params_create(&p, ctx, CLEF_PARAMS_ALIGN) != CLEF_OK)
        ret = cli_fail("align", CLEF_ERR_NOMEM, clef_ctx_errmsg(ctx));
    int help = 0;
    if (ret == 0 && (ret = al_parse(argc, argv, &o, p)) < 0)
        ret = 0, help = 1;
    if (ret == 0 && !help) {
        (void)clef_ctx_set_log(ctx, CLEF_LOG_WARN, cli_log_stderr, NULL);
        ret = cli_text_encoder(ctx, o.text, &te);
    }
    if (ret == 0 && !help) {
        clef_status rc =
            o.resume != NULL
                ? clef_aligner_trainer_resume(&tr, ctx, o.resume, p, (int32_t)o.threads)
                : clef_aligner_trainer_create(&tr, ctx, p, (int32_t)o.threads);
        if (rc != CLEF_OK)
            ret = cli_fail(o.resume != NULL ? o.resume : "align", rc, clef_ctx_errmsg(ctx));
    }
    if (ret == 0 && !help)
        ret = al_run(ctx, tr, te, &o);
#ifdef CLEF_CLI_WITH_MPI
    if (!help && o.dist)
        (void)clef_dist_finalize();
#endif
    clef_aligner_trainer_free(tr);
    clef_text_encoder_free(te);
    clef_params_free(p);
    clef_ctx_free(ctx);
    return ret;
}
