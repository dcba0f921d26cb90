/* cmd_tokenize.c — clef tokenize (a recording to its 8 x 256 session tokens, and optionally a
 * picture of the original beside the reconstruction) and clef train-tokenizer (a tokenizer
 * trained on random crops of the train-split sessions of a cohort directory,
 * docs/COHORT-FORMAT.md). docs/tokenizer.md. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_crops.h"
#include "cli_image.h"
#include "cli_session.h"

/* Frames of a session image: 20 min padded to 1,280 (8 x 256 tokens, docs/tokenizer.md). */

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
    "their first frames). WEIGHTS (default tokenizer.safetensors) is a file of\n"
    "clef_tokenizer_save or clef train-tokenizer. OUT.npy: token ids, shape\n"
    "(grid_f, grid_t) = (8, 256) in 'f,t' order, or with session-mean tokens\n"
    "(1, 2048): the 8 x 240 grid then the 128 session-mean tokens; uint16 (default\n"
    "when every id fits) or int32. --recon-png draws each channel's original\n"
    "spectrogram beside its reconstruction from the tokens.\n"
    "--store DB tokenizes every session of a store (clef ingest) as a resumable job\n"
    "(clef_tokenizer_job_run): each session's ids become a uint16 artifact keyed by the\n"
    "SHA-256 of WEIGHTS; a killed run resumes where it stopped, a rerun adds nothing.\n";

/* 0 to go on, else the exit code (0 after --help). */
static int tok_parse(int argc, char **argv, tok_opts *o, int *code) {
    *o = (tok_opts){.weights = "tokenizer.safetensors", .threads = 1};
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

enum { LEFT = 40, GAP = 8, TOP = 16, BAND_GAP = 2, RIGHT = 8, BOTTOM = 8 };

/* Original (left) and reconstruction (right) of n_ch bands of nf bins x frames, dB in
 * [-40, 40]: orig [n_ch][nf][frames], recon [n_ch][nf][crop_t]. */
static int recon_png(const char *path, const float *orig, const float *recon, int64_t n_ch,
                     int64_t nf, int64_t frames, int64_t crop_t, uint32_t present, double mae) {
    static const uint8_t white[3] = {230, 230, 230}, grey[3] = {120, 120, 120};
    int xs = frames < 300 ? (int)((300 + frames - 1) / frames) : 1;
    uint32_t pw = (uint32_t)(frames * xs);
    uint32_t w = LEFT + 2 * pw + GAP + RIGHT, h = (uint32_t)(TOP + n_ch * (nf + BAND_GAP) + BOTTOM);
    uint8_t *img = malloc((size_t)w * h * 3);
    if (img == NULL)
        return -1;
    memset(img, 24, (size_t)w * h * 3);
    for (int64_t c = 0; c < n_ch; c++) {
        uint32_t y0 = (uint32_t)(TOP + c * (nf + BAND_GAP));
        for (int side = 0; side < 2; side++) {
            const float *s = side ? recon + c * nf * crop_t : orig + c * nf * frames;
            int64_t stride = side ? crop_t : frames;
            uint32_t x0 = LEFT + (uint32_t)side * (pw + GAP);
            for (int64_t b = 0; b < nf; b++)
                for (int64_t k = 0; k < frames; k++) {
                    uint8_t col[3];
                    cli_colormap((s[b * stride + k] + 40.0) / 80.0, col);
                    for (int r = 0; r < xs; r++)
                        memcpy(img + (((size_t)y0 + (size_t)(nf - 1 - b)) * w + x0 +
                                      (size_t)(k * xs + r)) *
                                         3,
                               col, 3);
                }
        }
        cli_draw_text(img, w, h, 3, (int)(y0 + nf / 2 - 3),
                      c < clef_canonical_n_channels() ? clef_canonical_channel_name((int)c) : "",
                      c >= 32 || (present >> c & 1u) ? white : grey);
    }
    char title[64];
    cli_draw_text(img, w, h, LEFT, 4, "ORIGINAL", white);
    snprintf(title, sizeof title, "RECONSTRUCTION MAE %.2f DB", mae);
    cli_draw_text(img, w, h, LEFT + (int)(pw + GAP), 4, title, white);
    int rc = cli_png_write(path, img, w, h);
    free(img);
    return rc;
}

/* Decode ids and compare with the session's spectrogram: MAE over the real frames. */
static int reconstruct(clef_session *sess, const clef_tokenizer *tok, const tok_opts *o,
                       const int32_t *ids, size_t n_ids, const float *spec, int64_t n_ch,
                       int64_t nf, int64_t frames, uint32_t present) {
    int64_t crop_t = clef_tokenizer_session_frames(tok);
    size_t need = (size_t)(n_ch * nf * crop_t);
    float *rec = malloc(need * sizeof(float));
    clef_status rc = rec == NULL ? CLEF_ERR_NOMEM
                                 : clef_tokenizer_decode(tok, sess, ids, n_ids, rec, need, NULL);
    int ret = 0;
    if (rc != CLEF_OK)
        ret = cli_fail("decode", rc, clef_session_errmsg(sess));
    int64_t shown = frames < crop_t ? frames : crop_t;
    double sum = 0.0;
    for (int64_t c = 0; ret == 0 && c < n_ch; c++)
        for (int64_t b = 0; b < nf; b++)
            for (int64_t k = 0; k < shown; k++)
                sum +=
                    fabs((double)rec[(c * nf + b) * crop_t + k] - spec[(c * nf + b) * frames + k]);
    double mae = sum / (double)(n_ch * nf * shown);
    if (ret == 0 && recon_png(o->png, spec, rec, n_ch, nf, shown, crop_t, present, mae) != 0)
        ret = cli_fail(o->png, CLEF_ERR_IO, "cannot write the PNG file");
    if (ret == 0)
        printf("reconstruction MAE %.3f dB (%.2f %% of 40 dB) over %lld frames -> %s\n", mae,
               100.0 * mae / 40.0, (long long)shown, o->png);
    free(rec);
    return ret;
}

/* --store: every session of the store, as the resumable job of clef_tokenizer_job_run. */
static int tokenize_store(const tok_opts *o) {
    clef_ctx *ctx = NULL;
    clef_store *s = NULL;
    clef_session *sess = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return cli_fail("tokenize", CLEF_ERR_NOMEM, "no context");
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
    int64_t frames = 0, n_ch = 0, nf = 0, gf = 0, gt = 0, cb = 0, n_tok = 0, n_mean = 0, lv = 0;
    uint32_t present = 0;
    int ret = 0;
    if (tok_parse(argc, argv, &o, &ret) != 0)
        return ret;
    if (ret == 0 && o.store != NULL)
        return tokenize_store(&o);
    if (ret == 0 && clef_ctx_create(&ctx) != CLEF_OK)
        ret = cli_fail("tokenize", CLEF_ERR_NOMEM, "no context");
    clef_status rc = CLEF_OK;
    if (ret == 0 && (rc = clef_session_create(&sess, ctx, (int32_t)o.threads)) != CLEF_OK)
        ret = cli_fail("--threads", rc, clef_ctx_errmsg(ctx));
    /* loaded for whole sessions; the spectrogram its weights were trained on */
    if (ret == 0 && (rc = clef_tokenizer_load(&tok, ctx, o.weights)) != CLEF_OK)
        ret = cli_fail(o.weights, rc, clef_ctx_errmsg(ctx));
    if (ret == 0 && (rc = clef_tokenizer_spectrogram_create(&sg, ctx, tok)) != CLEF_OK)
        ret = cli_fail(o.weights, rc, clef_ctx_errmsg(ctx));
    if (ret == 0)
        ret = cli_session_spectrogram(ctx, sess, sg, o.in, clef_tokenizer_read_seconds(tok, sg),
                                      &spec, &frames, &present);
    if (ret == 0) {
        clef_tokenizer_shape(tok, &n_ch, &nf, NULL, &gf, &gt);
        clef_tokenizer_codebook(tok, &cb, NULL);
        clef_tokenizer_mean_tokens(tok, &n_mean, &lv);
        n_tok = clef_tokenizer_n_tokens(tok);
        ids = malloc((size_t)n_tok * sizeof *ids);
        /* the library's pipeline: the same tokens as the store job and the bindings */
        clef_recording *rec = NULL;
        rc = ids == NULL ? CLEF_ERR_NOMEM : clef_recording_open(&rec, ctx, o.in, NULL);
        if (rc == CLEF_OK)
            rc =
                clef_tokenizer_encode_recording(tok, sess, sg, rec, ids, (size_t)n_tok, NULL, NULL);
        if (rc != CLEF_OK)
            ret =
                cli_fail(o.in, rc, rec == NULL ? clef_ctx_errmsg(ctx) : clef_session_errmsg(sess));
        clef_recording_free(rec);
    }
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
        ret = reconstruct(sess, tok, &o, ids, (size_t)n_tok, spec, n_ch, nf, frames, present);
    free(ids);
    free(spec);
    clef_spectrogram_free(sg);
    clef_tokenizer_free(tok);
    clef_session_free(sess);
    clef_ctx_free(ctx);
    return ret;
}

/* ---- clef train-tokenizer ---- */

typedef struct train_opts {
    const char *dir, *store, *out, *resume, *ckpt, *split, *ch_mult;
    long steps, threads, batch, crop_t, ch, codebook, code_dim, gn_groups, ckpt_every, log_every;
    long disc_start, disc_ndf, max_sessions, warmup, cosine_steps, mean_tokens, mean_levels;
    double lr, lr_min, ch_dropout, ch_lone, power_weight;
    unsigned long long seed;
    const char *mean_fit[8]; /* --mean-fit: more sessions' mean power spectra (.npy) */
    int n_mean_fit;
} train_opts;

static int train_usage(void) {
    printf("usage: clef train-tokenizer (COHORT_DIR | --store DB) -o WEIGHTS [--steps N]\n"
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
           "loss covers present channels only (clef_tokenizer_trainer_step_masked), so the\n"
           "tokenizer learns recordings with missing electrodes. --channel-lone Q (0): a share Q\n"
           "of those crops keeps a single channel (single-channel recordings).\n"
           "--power-weight W (0) adds W times the squared error of each (channel, frequency)\n"
           "row's time-mean power in dB to the loss, so what band-power features average\n"
           "survives the tokens; progress then shows it as `row-mean power rms`.\n"
           "--mean-tokens N (128; 0: none) codes each session's mean power spectrum apart in N\n"
           "tokens of --mean-levels L (1024) levels: principal components of the training\n"
           "sessions' (one or two per token; 188 for 128 tokens), absent channels and the valid\n"
           "columns, and trains the network on the rest (docs/tokenizer.md \"Session-mean\n"
           "tokens\"); decode then keeps each row's session power, and a 20-minute session gives\n"
           "8 x 240 + 128 = 2,048 tokens. It needs about N training sessions. A resumed checkpoint "
           "keeps its own; one without them gets\n"
           "them only when --mean-tokens is given. --mean-fit MEANS.npy (up to 8 times; from\n"
           "clef session-means) adds more sessions' mean power spectra to the coder's fit: its\n"
           "principal axes want many more sessions than the network does. After the last step,\n"
           "decoding is calibrated on the training sessions (mean.bias).\n");
    return 0;
}

static int train_parse(int argc, char **argv, train_opts *o) {
    *o = (train_opts){.split = "train",
                      .steps = 2000,
                      .threads = 1,
                      .batch = 8,
                      .crop_t = 80,
                      .ckpt_every = 500,
                      .log_every = 10,
                      .disc_start = -1,
                      .disc_ndf = -1,
                      .lr_min = -1.0,
                      .ch_dropout = 0.0,
                      .ch_lone = 0.0,
                      .power_weight = -1.0,
                      .mean_tokens = -1, /* 128 for a new tokenizer */
                      .mean_levels = 1024,
                      .seed = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        const char *v = has ? argv[i + 1] : NULL;
        static const char *const long_opts[] = {
            "--steps",        "--threads",    "--batch",
            "--crop-t",       "--ch",         "--codebook",
            "--code-dim",     "--gn-groups",  "--checkpoint-every",
            "--log-every",    "--disc-start", "--disc-ndf",
            "--max-sessions", "--warmup",     "--cosine-steps",
            "--mean-tokens",  "--mean-levels"};
        long *const long_dst[] = {
            &o->steps,       &o->threads,    &o->batch,        &o->crop_t,     &o->ch,
            &o->codebook,    &o->code_dim,   &o->gn_groups,    &o->ckpt_every, &o->log_every,
            &o->disc_start,  &o->disc_ndf,   &o->max_sessions, &o->warmup,     &o->cosine_steps,
            &o->mean_tokens, &o->mean_levels};
        int done = 0;
        for (size_t k = 0; has && k < sizeof long_opts / sizeof long_opts[0]; k++)
            if (strcmp(a, long_opts[k]) == 0) {
                char *end = NULL;
                *long_dst[k] = strtol(v, &end, 10);
                if (end == v || *end != '\0')
                    return cli_fail(a, CLEF_ERR_INVALID_ARG, v);
                done = 1;
            }
        if (done)
            i++;
        else if (strcmp(a, "-o") == 0 && has)
            o->out = argv[++i];
        else if (strcmp(a, "--resume") == 0 && has)
            o->resume = argv[++i];
        else if (strcmp(a, "--mean-fit") == 0 && has) {
            if (o->n_mean_fit == 8)
                return cli_fail(a, CLEF_ERR_RANGE, "at most 8 files");
            o->mean_fit[o->n_mean_fit++] = argv[++i];
        } else if (strcmp(a, "--checkpoint") == 0 && has)
            o->ckpt = argv[++i];
        else if (strcmp(a, "--store") == 0 && has)
            o->store = argv[++i];
        else if (strcmp(a, "--split") == 0 && has)
            o->split = argv[++i];
        else if (strcmp(a, "--ch-mult") == 0 && has)
            o->ch_mult = argv[++i];
        else if (strcmp(a, "--lr") == 0 && has)
            o->lr = strtod(argv[++i], NULL);
        else if (strcmp(a, "--lr-min") == 0 && has)
            o->lr_min = strtod(argv[++i], NULL);
        else if (strcmp(a, "--channel-dropout") == 0 && has)
            o->ch_dropout = strtod(argv[++i], NULL);
        else if (strcmp(a, "--channel-lone") == 0 && has)
            o->ch_lone = strtod(argv[++i], NULL);
        else if (strcmp(a, "--power-weight") == 0 && has) {
            o->power_weight = strtod(argv[++i], NULL);
            if (!(o->power_weight >= 0.0)) /* -1 stands for "not given" */
                return cli_fail(a, CLEF_ERR_RANGE, "the weight must be >= 0");
        } else if (strcmp(a, "--seed") == 0 && has)
            o->seed = strtoull(argv[++i], NULL, 10);
        else if (a[0] != '-' && o->dir == NULL)
            o->dir = a;
        else
            return cli_fail("train-tokenizer", CLEF_ERR_INVALID_ARG, a);
    }
    if ((o->dir == NULL) == (o->store == NULL) || o->out == NULL)
        return cli_fail("train-tokenizer", CLEF_ERR_INVALID_ARG,
                        "need COHORT_DIR or --store DB (one of them) and -o WEIGHTS");
    if (o->steps < 0 || o->threads < 1 || o->threads > 256 || o->batch < 1 || o->crop_t < 1 ||
        o->ckpt_every < 1 || o->log_every < 1 || !(o->ch_dropout >= 0.0 && o->ch_dropout <= 1.0) ||
        !(o->ch_lone >= 0.0 && o->ch_lone <= 1.0) || o->mean_tokens < -1 || o->mean_tokens > 1024 ||
        o->mean_levels < 2)
        return cli_fail("train-tokenizer", CLEF_ERR_RANGE,
                        "--steps >= 0, --threads in [1, 256], --batch, --crop-t, "
                        "--checkpoint-every and --log-every >= 1, --channel-dropout and "
                        "--channel-lone in [0, 1], "
                        "--mean-tokens in [0, 1024], --mean-levels >= 2");
    return 0;
}

/* ---- cohort directory: manifest.csv and splits.csv (RFC 4180, one record per line) ---- */

#define MAX_FIELDS 16

/* Split line (modified in place) into at most MAX_FIELDS fields; quotes are removed, "" inside
 * quotes is a quote. Returns the field count. */
static int csv_split(char *line, char **field) {
    int n = 0;
    char *r = line, *w = line;
    line[strcspn(line, "\r\n")] = '\0';
    while (n < MAX_FIELDS) {
        field[n++] = w;
        int quoted = *r == '"';
        r += quoted;
        for (; *r != '\0'; r++) {
            if (quoted && *r == '"' && r[1] == '"')
                *w++ = *r++;
            else if (quoted && *r == '"')
                quoted = 0;
            else if (!quoted && *r == ',')
                break;
            else
                *w++ = *r;
        }
        int more = *r == ',';
        *w++ = '\0';
        if (!more)
            break;
        r++;
    }
    return n;
}

static int column(char **field, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strcmp(field[i], name) == 0)
            return i;
    return -1;
}

typedef struct str_list {
    char **s;
    size_t n, cap;
} str_list;

static int list_add(str_list *l, const char *s) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **p = realloc(l->s, cap * sizeof *p);
        if (p == NULL)
            return -1;
        l->s = p;
        l->cap = cap;
    }
    return (l->s[l->n] = strdup(s)) != NULL ? (int)l->n++ : -1;
}

static void list_free(str_list *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->s[i]);
    free(l->s);
}

/* Rows of dir/name: for each row, cb(fields by the wanted column names) */
typedef int (*row_fn)(char **vals, void *user);

static int read_csv(const char *dir, const char *name, const char *const *cols, int n_cols,
                    row_fn cb, void *user) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return cli_fail(path, CLEF_ERR_IO, "cannot open (is this a cohort directory?)");
    char *line = NULL, *field[MAX_FIELDS], *vals[8];
    size_t cap = 0;
    int idx[8], ret = 0, n;
    if (getline(&line, &cap, f) < 0) {
        ret = cli_fail(path, CLEF_ERR_FORMAT, "empty file");
    } else {
        n = csv_split(line, field);
        for (int c = 0; c < n_cols && ret == 0; c++)
            if ((idx[c] = column(field, n, cols[c])) < 0)
                ret = cli_fail(path, CLEF_ERR_FORMAT, cols[c]);
    }
    for (long row = 2; ret == 0 && getline(&line, &cap, f) >= 0; row++) {
        if (line[strspn(line, "\r\n")] == '\0')
            continue;
        n = csv_split(line, field);
        for (int c = 0; c < n_cols && ret == 0; c++) {
            if (idx[c] >= n) {
                char why[64];
                snprintf(why, sizeof why, "row %ld has %d fields", row, n);
                ret = cli_fail(path, CLEF_ERR_FORMAT, why);
            } else {
                vals[c] = field[idx[c]];
            }
        }
        if (ret == 0)
            ret = cb(vals, user);
    }
    free(line);
    fclose(f);
    return ret;
}

typedef struct cohort_rows {
    const char *dir, *split;
    str_list subjects, paths; /* paths: dir/manifest path */
} cohort_rows;

static int split_row(char **v, void *user) {
    cohort_rows *r = user;
    if (strcmp(v[1], r->split) == 0 && list_add(&r->subjects, v[0]) < 0)
        return cli_fail("splits.csv", CLEF_ERR_NOMEM, NULL);
    return 0;
}

static int manifest_row(char **v, void *user) {
    cohort_rows *r = user;
    for (size_t i = 0; i < r->subjects.n; i++)
        if (strcmp(r->subjects.s[i], v[0]) == 0) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", r->dir, v[1]);
            return list_add(&r->paths, path) < 0 ? cli_fail("manifest", CLEF_ERR_NOMEM, NULL) : 0;
        }
    return 0;
}

/* The recording paths of the sessions of split o->split in store o->store (clef ingest). */
static int store_paths(clef_ctx *ctx, const train_opts *o, str_list *paths) {
    static const char *const names[] = {"train", "val", "test"};
    int32_t split = 0;
    for (int32_t k = 0; k < 3; k++)
        if (strcmp(o->split, names[k]) == 0)
            split = CLEF_SPLIT_TRAIN + k;
    if (split == 0)
        return cli_fail(o->split, CLEF_ERR_INVALID_ARG, "a store's splits are train, val, test");
    clef_store *st = NULL;
    clef_status rc = clef_store_open(&st, ctx, o->store);
    if (rc != CLEF_OK)
        return cli_fail(o->store, rc, clef_ctx_errmsg(ctx));
    int64_t n = 0;
    rc = clef_store_split_count(st, split, &n);
    for (int64_t i = 0; rc == CLEF_OK && i < n; i++) {
        char sid[256], path[4096];
        rc = clef_store_split_session(st, split, i, sid, sizeof sid, NULL);
        if (rc == CLEF_OK)
            rc = clef_store_recording_path(st, sid, path, sizeof path, NULL);
        if (rc == CLEF_OK && list_add(paths, path) < 0)
            rc = CLEF_ERR_NOMEM;
    }
    int ret = rc != CLEF_OK ? cli_fail(o->store, rc, clef_store_errmsg(st)) : 0;
    clef_store_free(st);
    return ret;
}

/* ---- training data: the sessions' spectrograms ---- */

typedef struct session_set {
    float **spec; /* [n][19][128][frames[i]] */
    float *means; /* [n][19][128]: each session's mean power spectrum (dB) */
    int64_t *frames;
    uint32_t *present; /* channels each recording holds (bit c) */
    size_t n;
    int64_t n_ch, nf;
    float blank_db; /* an absent channel's spectrogram value (the dB floor) */
} session_set;

static void sessions_free(session_set *s) {
    for (size_t i = 0; i < s->n; i++)
        free(s->spec[i]);
    free(s->spec);
    free(s->means);
    free(s->frames);
    free(s->present);
}

static int load_sessions(clef_ctx *ctx, const clef_spectrogram *sg, const train_opts *o,
                         session_set *set) {
    static const char *const split_cols[] = {"subject_id", "split"};
    static const char *const man_cols[] = {"subject_id", "path"};
    cohort_rows rows = {.dir = o->dir, .split = o->split};
    int ret = 0;
    if (o->store != NULL)
        ret = store_paths(ctx, o, &rows.paths);
    else if ((ret = read_csv(o->dir, "splits.csv", split_cols, 2, split_row, &rows)) == 0)
        ret = read_csv(o->dir, "manifest.csv", man_cols, 2, manifest_row, &rows);
    size_t n = rows.paths.n;
    if (o->max_sessions > 0 && n > (size_t)o->max_sessions)
        n = (size_t)o->max_sessions;
    set->n_ch = clef_canonical_n_channels();
    set->nf = clef_spectrogram_n_freqs(sg);
    double db_min = -40.0;
    (void)clef_spectrogram_param_f64(sg, CLEF_P_SPEC_DB_MIN, &db_min);
    set->blank_db = (float)db_min;
    set->spec = calloc(n + 1, sizeof *set->spec);
    set->frames = calloc(n + 1, sizeof *set->frames);
    set->present = calloc(n + 1, sizeof *set->present);
    if (ret == 0 && (set->spec == NULL || set->frames == NULL || set->present == NULL))
        ret = cli_fail("train-tokenizer", CLEF_ERR_NOMEM, NULL);
    int64_t total = 0;
    clef_session *sess = NULL;
    if (ret == 0 && clef_session_create(&sess, ctx, (int32_t)o->threads) != CLEF_OK)
        ret = cli_fail("--threads", CLEF_ERR_RANGE, clef_ctx_errmsg(ctx));
    for (size_t i = 0; ret == 0 && i < n; i++) {
        const char *path = rows.paths.s[i];
        uint32_t present = 0;
        float *spec = NULL;
        int64_t frames = 0;
        ret = cli_session_spectrogram(ctx, sess, sg, path, -1.0, &spec, &frames, &present);
        if (ret == 0 && frames < o->crop_t) {
            fprintf(stderr, "clef: %s: %lld frames, shorter than a crop: skipped\n", path,
                    (long long)frames);
            free(spec);
            continue;
        }
        if (ret == 0 && (present & ((1u << set->n_ch) - 1u)) == 0) {
            fprintf(stderr, "clef: %s: no canonical channel: skipped\n", path);
            free(spec);
            continue;
        }
        if (ret == 0) {
            set->spec[set->n] = spec;
            set->present[set->n] = present;
            set->frames[set->n++] = frames;
            total += frames;
        }
    }
    if (ret == 0 && set->n == 0)
        ret = cli_fail(o->store != NULL ? o->store : o->dir, CLEF_ERR_NOT_FOUND,
                       "no usable session in the split");
    size_t dim = (size_t)(set->n_ch * set->nf);
    if (ret == 0 && (set->means = malloc(set->n * dim * sizeof(float))) == NULL)
        ret = cli_fail("train-tokenizer", CLEF_ERR_NOMEM, "session means");
    for (size_t i = 0; ret == 0 && i < set->n; i++) /* over the whole recording */
        clef_tokenizer_session_mean(set->spec[i], set->n_ch, set->nf, set->frames[i],
                                    set->means + i * dim);
    if (ret == 0)
        fprintf(stderr, "clef: %zu sessions of split '%s', %lld frames (%.1f h)\n", set->n,
                o->split, (long long)total, (double)total / 3600.0);
    clef_session_free(sess);
    list_free(&rows.subjects);
    list_free(&rows.paths);
    return ret;
}

/* Random crops of random sessions, with their present channels and session means (a channel
 * blanked by --channel-dropout has the blank level as its mean, as a missing electrode would). */
static void draw_batch(const session_set *set, const train_opts *o, int64_t step, int64_t batch,
                       int64_t crop_t, float *crops, uint32_t *present, float *means) {
    uint64_t rng = o->seed ^ ((uint64_t)step * 0xD1B54A32D192ED03ull);
    size_t img = (size_t)(set->n_ch * set->nf * crop_t), dim = (size_t)(set->n_ch * set->nf);
    for (int64_t b = 0; b < batch; b++) {
        size_t i = (size_t)(cli_splitmix64(&rng) % set->n);
        int64_t off = (int64_t)(cli_splitmix64(&rng) % (uint64_t)(set->frames[i] - crop_t + 1));
        for (int64_t r = 0; r < set->n_ch * set->nf; r++)
            memcpy(crops + (size_t)b * img + (size_t)(r * crop_t),
                   set->spec[i] + (size_t)(r * set->frames[i] + off),
                   (size_t)crop_t * sizeof(float));
        present[b] = set->present[i];
        if (o->ch_dropout > 0.0)
            present[b] =
                cli_drop_channels(&rng, o->ch_dropout, o->ch_lone, set->n_ch, set->nf * crop_t,
                                  set->blank_db, present[b], crops + (size_t)b * img);
        memcpy(means + (size_t)b * dim, set->means + i * dim, dim * sizeof(float));
        for (int64_t c = 0; c < set->n_ch && c < 32; c++)
            if (!(present[b] >> c & 1u) && (set->present[i] >> c & 1u))
                for (int64_t f = 0; f < set->nf; f++)
                    means[(size_t)b * dim + (size_t)(c * set->nf + f)] = set->blank_db;
    }
}

static clef_status make_params(clef_ctx *ctx, const train_opts *o, clef_params **arch,
                               clef_params **train) {
    clef_status rc = clef_params_create(arch, ctx, CLEF_PARAMS_TOKENIZER);
    if (rc == CLEF_OK)
        rc = clef_params_create(train, ctx, CLEF_PARAMS_TRAIN);
    const struct {
        int32_t key;
        long v;
        clef_params *p;
    } ints[] = {{CLEF_P_TOK_CROP_T, o->crop_t, *arch},
                {CLEF_P_TOK_CH, o->ch, *arch},
                {CLEF_P_TOK_CODEBOOK_SIZE, o->codebook, *arch},
                {CLEF_P_TOK_CODE_DIM, o->code_dim, *arch},
                {CLEF_P_TOK_GN_GROUPS, o->gn_groups, *arch},
                {CLEF_P_TOK_TRAIN_BATCH, o->batch, *train},
                {CLEF_P_TOK_TRAIN_DISC_START, o->disc_start, *train},
                {CLEF_P_TOK_TRAIN_DISC_NDF, o->disc_ndf, *train},
                {CLEF_P_TOK_TRAIN_WARMUP, o->warmup, *train},
                {CLEF_P_TOK_TRAIN_COSINE_STEPS, o->cosine_steps, *train}};
    for (size_t i = 0; rc == CLEF_OK && i < sizeof ints / sizeof ints[0]; i++)
        if (ints[i].v > 0 || (ints[i].v == 0 && ints[i].key == CLEF_P_TOK_TRAIN_DISC_NDF) ||
            (ints[i].v == 0 && ints[i].key == CLEF_P_TOK_TRAIN_DISC_START))
            if ((rc = clef_params_set_i64(ints[i].p, ints[i].key, ints[i].v)) != CLEF_OK)
                cli_fail("train-tokenizer options", rc, clef_params_errmsg(ints[i].p));
    if (rc == CLEF_OK && o->ch_mult != NULL &&
        (rc = clef_params_set_str(*arch, CLEF_P_TOK_CH_MULT, o->ch_mult)) != CLEF_OK)
        cli_fail("--ch-mult", rc, clef_params_errmsg(*arch));
    if (rc == CLEF_OK && o->lr > 0 &&
        (rc = clef_params_set_f64(*train, CLEF_P_TOK_TRAIN_LR, o->lr)) != CLEF_OK)
        cli_fail("--lr", rc, clef_params_errmsg(*train));
    if (rc == CLEF_OK && o->lr_min >= 0 &&
        (rc = clef_params_set_f64(*train, CLEF_P_TOK_TRAIN_LR_MIN, o->lr_min)) != CLEF_OK)
        cli_fail("--lr-min", rc, clef_params_errmsg(*train));
    if (rc == CLEF_OK && o->power_weight >= 0 &&
        (rc = clef_params_set_f64(*train, CLEF_P_TOK_TRAIN_POWER_WEIGHT, o->power_weight)) !=
            CLEF_OK)
        cli_fail("--power-weight", rc, clef_params_errmsg(*train));
    return rc;
}

static int train_loop(clef_tokenizer_trainer *tr, const session_set *set, const train_opts *o,
                      const char *ckpt, int64_t batch, int64_t crop_t) {
    size_t img = (size_t)(set->n_ch * set->nf * crop_t);
    float *crops = malloc((size_t)batch * img * sizeof(float));
    float *means = malloc((size_t)(batch * set->n_ch * set->nf) * sizeof(float));
    uint32_t *present = malloc((size_t)batch * sizeof *present);
    if (crops == NULL || present == NULL || means == NULL) {
        free(crops);
        free(means);
        free(present);
        return cli_fail("train-tokenizer", CLEF_ERR_NOMEM, "batch");
    }
    int ret = 0;
    double l1_acc = 0.0, ppl_acc = 0.0, pw_acc = 0.0;
    int64_t acc_n = 0;
    while (ret == 0 && clef_tokenizer_trainer_steps(tr) < o->steps) {
        int64_t step = clef_tokenizer_trainer_steps(tr);
        draw_batch(set, o, step, batch, crop_t, crops, present, means);
        double l1 = 0.0, ppl = 0.0;
        clef_status rc =
            clef_tokenizer_trainer_step_sessions(tr, crops, present, means, batch, &l1, &ppl);
        if (rc != CLEF_OK) {
            ret = cli_fail("training step", rc, clef_tokenizer_trainer_errmsg(tr));
            break;
        }
        l1_acc += l1;
        ppl_acc += ppl;
        double pdb = clef_tokenizer_trainer_power_db(tr);
        pw_acc += pdb * pdb;
        acc_n++;
        step++;
        if (step % o->log_every == 0 || step == o->steps) {
            fprintf(stderr, "step %lld/%lld  l1 %.3f dB (%.2f %% of 40 dB)  perplexity %.1f",
                    (long long)step, (long long)o->steps, l1_acc / (double)acc_n,
                    100.0 * l1_acc / (double)acc_n / 40.0, ppl_acc / (double)acc_n);
            if (pw_acc > 0.0) /* only computed with --power-weight */
                fprintf(stderr, "  row-mean power rms %.3f dB", sqrt(pw_acc / (double)acc_n));
            fprintf(stderr, "\n");
            l1_acc = ppl_acc = pw_acc = 0.0;
            acc_n = 0;
        }
        if (step % o->ckpt_every == 0 && (rc = clef_tokenizer_trainer_save(tr, ckpt)) != CLEF_OK)
            ret = cli_fail(ckpt, rc, clef_tokenizer_trainer_errmsg(tr));
    }
    free(crops);
    free(means);
    free(present);
    return ret;
}

/* Session-mean tokens: fitted once, before the first step of a new tokenizer or when a resumed
 * one has none; a resumed one that has them keeps its own (its checkpoint decides). */
static int fit_mean(clef_tokenizer_trainer *tr, const session_set *set, const train_opts *o) {
    int64_t have = 0;
    long want = o->mean_tokens >= 0 ? o->mean_tokens : o->resume != NULL ? 0 : 128;
    clef_tokenizer_mean_tokens(clef_tokenizer_trainer_tokenizer(tr), &have, NULL);
    if ((have > 0 || want == 0) && o->n_mean_fit > 0)
        return cli_fail("--mean-fit", CLEF_ERR_INVALID_ARG,
                        have > 0 ? "the resumed tokenizer keeps its session-mean coder"
                                 : "there are no session-mean tokens to fit (--mean-tokens 0)");
    if (have > 0 || want == 0)
        return 0;
    /* the training sessions' means, then those of --mean-fit */
    size_t dim = (size_t)(set->n_ch * set->nf), n = set->n;
    float *all = malloc(n * dim * sizeof *all);
    if (all == NULL)
        return cli_fail("--mean-fit", CLEF_ERR_NOMEM, "session means");
    memcpy(all, set->means, n * dim * sizeof *all);
    for (int f = 0; f < o->n_mean_fit; f++) {
        float *x = NULL, *grown = NULL;
        int64_t rows = 0, cols = 0;
        const char *why = NULL;
        if (cli_npy_read_f32_2d(o->mean_fit[f], &x, &rows, &cols, &why) != 0 ||
            cols != (int64_t)dim) {
            free(x);
            free(all);
            return cli_fail(o->mean_fit[f], CLEF_ERR_FORMAT,
                            why != NULL && cols == 0 ? why
                                                     : "need (sessions, 19 * 128) mean power "
                                                       "spectra (clef session-means)");
        }
        if ((grown = realloc(all, (n + (size_t)rows) * dim * sizeof *all)) == NULL) {
            free(x);
            free(all);
            return cli_fail("--mean-fit", CLEF_ERR_NOMEM, "session means");
        }
        all = grown;
        memcpy(all + n * dim, x, (size_t)rows * dim * sizeof *all);
        n += (size_t)rows;
        free(x);
    }
    clef_status rc = clef_tokenizer_trainer_fit_mean(tr, all, (int64_t)n, want, o->mean_levels);
    free(all);
    if (rc == CLEF_ERR_RANGE)
        fprintf(stderr, "clef: pass fewer --mean-tokens, 0 for none, or more sessions "
                        "(--mean-fit)\n");
    if (rc != CLEF_OK)
        return cli_fail("--mean-tokens", rc, clef_tokenizer_trainer_errmsg(tr));
    const clef_tokenizer *tok = clef_tokenizer_trainer_tokenizer(tr);
    fprintf(stderr,
            "clef: session-mean tokens: %lld principal components of %zu sessions' mean power "
            "spectra, channel presence and the column count in %ld tokens of %ld levels\n",
            (long long)clef_tokenizer_mean_coefficients(tok), n, want, o->mean_levels);
    return 0;
}

/* Session-mean decoding calibrated on every training session after the last step
 * (clef_tokenizer_trainer_calibrate_mean); nothing to do without session-mean tokens. */
static int calibrate_mean(clef_tokenizer_trainer *tr, const session_set *set, const train_opts *o) {
    int64_t have = 0;
    clef_tokenizer_mean_tokens(clef_tokenizer_trainer_tokenizer(tr), &have, NULL);
    for (size_t i = 0; have > 0 && i < set->n; i++) {
        clef_status rc = clef_tokenizer_trainer_calibrate_mean(
            tr, set->spec[i], set->n_ch, set->nf, set->frames[i], i == 0, (int32_t)o->threads);
        if (rc != CLEF_OK)
            return cli_fail("session-mean calibration", rc, clef_tokenizer_trainer_errmsg(tr));
    }
    if (have > 0)
        fprintf(stderr, "clef: session-mean decoding calibrated on %zu sessions\n", set->n);
    return 0;
}

int cmd_train_tokenizer(int argc, char **argv) {
    if (cli_wants_help(argc, argv))
        return train_usage();
    train_opts o;
    clef_ctx *ctx = NULL;
    clef_spectrogram *sg = NULL;
    clef_params *arch = NULL, *train = NULL;
    clef_tokenizer_trainer *tr = NULL;
    session_set set = {0};
    char ckpt[4096];
    int ret = train_parse(argc, argv, &o);
    if (ret == 0 && clef_ctx_create(&ctx) != CLEF_OK)
        ret = cli_fail("train-tokenizer", CLEF_ERR_NOMEM, "no context");
    if (ret == 0 && (sg = cli_default_spectrogram(ctx)) == NULL)
        ret = 1;
    if (ret == 0 && make_params(ctx, &o, &arch, &train) != CLEF_OK)
        ret = 1;
    clef_status rc = CLEF_OK;
    if (ret == 0) {
        snprintf(ckpt, sizeof ckpt, "%s", o.ckpt != NULL ? o.ckpt : o.out);
        if (o.ckpt == NULL)
            snprintf(ckpt + strlen(ckpt), sizeof ckpt - strlen(ckpt), ".ckpt");
        rc = o.resume != NULL
                 ? clef_tokenizer_trainer_resume(&tr, ctx, o.resume, train, (int32_t)o.threads)
                 : clef_tokenizer_trainer_create(&tr, ctx, arch, train, o.seed, (int32_t)o.threads);
        if (rc != CLEF_OK)
            ret =
                cli_fail(o.resume != NULL ? o.resume : "train-tokenizer", rc, clef_ctx_errmsg(ctx));
    }
    int64_t crop_t = 0, n_ch = 0, nf = 0, batch = o.batch;
    if (ret == 0) {
        clef_tokenizer_shape(clef_tokenizer_trainer_tokenizer(tr), &n_ch, &nf, &crop_t, NULL, NULL);
        if (n_ch != clef_canonical_n_channels() || nf != clef_spectrogram_n_freqs(sg))
            ret = cli_fail("train-tokenizer", CLEF_ERR_SHAPE,
                           "the tokenizer must take 19 channels of 128 frequency bins");
        else if ((rc = clef_tokenizer_trainer_set_spectrogram(tr, sg)) != CLEF_OK)
            ret = cli_fail("train-tokenizer", rc, clef_tokenizer_trainer_errmsg(tr));
    }
    if (ret == 0) {
        o.crop_t = (long)crop_t; /* a resumed run's crops come from its checkpoint */
        ret = load_sessions(ctx, sg, &o, &set);
    }
    if (ret == 0)
        ret = fit_mean(tr, &set, &o);
    if (ret == 0)
        ret = train_loop(tr, &set, &o, ckpt, batch, crop_t);
    if (ret == 0)
        ret = calibrate_mean(tr, &set, &o);
    if (ret == 0 && (rc = clef_tokenizer_trainer_save(tr, ckpt)) != CLEF_OK)
        ret = cli_fail(ckpt, rc, clef_tokenizer_trainer_errmsg(tr));
    if (ret == 0 &&
        (rc = clef_tokenizer_save(clef_tokenizer_trainer_tokenizer(tr), ctx, o.out)) != CLEF_OK)
        ret = cli_fail(o.out, rc, clef_ctx_errmsg(ctx));
    if (ret == 0)
        printf("%lld steps -> %s (checkpoint %s)\n", (long long)clef_tokenizer_trainer_steps(tr),
               o.out, ckpt);
    sessions_free(&set);
    clef_tokenizer_trainer_free(tr);
    clef_params_free(arch);
    clef_params_free(train);
    clef_spectrogram_free(sg);
    clef_ctx_free(ctx);
    return ret;
}
