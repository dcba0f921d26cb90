/* bench_tok_downstream.c — does the tokenizer keep what the clinical features need? (issue 8,
 * downstream check; docs/tokenizer.md "Downstream check"):
 *
 *   bench_tok_downstream WEIGHTS STORE [THREADS]
 *
 * STORE is a cohort store (clef ingest). 1. clef_tokenizer_job_run: every session's tokens as
 * store artifacts. 2. For each session, band power from its true spectrogram and from the
 * spectrogram decoded from its stored tokens: per channel, log10 of the mean power
 * (10^(dB/10)) over the bins of delta [1, 4), theta [4, 8), alpha [8, 13) and beta [13, 30) Hz
 * and over the session's real frames (at most those of the session image); both stored as
 * embedding artifacts (a resumable job too). A channel absent from the recording is masked in
 * the decoded spectrogram as clef_tokenizer_decode() asks (it keeps the floor it was read
 * with), and the spectrogram MAE covers the present channels. 3. The evaluation harness
 * (clef_eval_run_store: probe on train, C on val, test AUROC with bootstrap CI) on both embeddings
 * and on the raw-signal band-power baseline (clef_bandpower_job_run, Welch); prints the feat_*
 * tasks side by side with the AUROC change decoded - true, and the spectrogram MAE. 4. The
 * features' session-varying error (each feature's mean offset removed: no probe sees a constant)
 * and a noise control: the true features plus Gaussian noise of that error's size per feature,
 * N_CTL draws through the same harness; their AUROC range is the probe's own sensitivity.
 * 5. The same comparisons with rotated splits (each split fits, selects and tests in turn), so
 * the AUROC change rests on every labelled session rather than on the test split alone. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_session.h"
#include "clef.h"
#include "bench_machine.h"

enum { NB = 4, DIM = BENCH_NCH * NB };

enum { N_CTL = 5 }; /* noise-control draws */
static const double k_band[NB][2] = {{1, 4}, {4, 8}, {8, 13}, {13, 30}};

static void die(const char *what, clef_ctx *ctx) { bench_die("bench_tok_downstream", what, ctx); }

/* Band power of spec [19][nf][stride] over its first frames: out [19][4] as above. */
static void spec_bandpower(const float *spec, int64_t nf, int64_t stride, int64_t frames,
                           const double *freq, float *out) {
    for (int c = 0; c < BENCH_NCH; c++)
        for (int b = 0; b < NB; b++) {
            double sum = 0.0;
            int64_t n = 0;
            for (int64_t f = 0; f < nf; f++) {
                if (freq[f] < k_band[b][0] || freq[f] >= k_band[b][1])
                    continue;
                const float *row = spec + ((int64_t)c * nf + f) * stride;
                for (int64_t t = 0; t < frames; t++)
                    sum += pow(10.0, row[t] / 10.0);
                n += frames;
            }
            out[c * NB + b] = (float)log10(n > 0 ? sum / (double)n : 1e-12);
        }
}

/* Class contrast of a task on the train split: the feature (channel, band) whose mean differs
 * most between positive and negative sessions in the true features, and that difference in dB
 * in the true and in the decoded features. A tokenizer that drops a finding shows it here
 * directly, without the probe's noise. */
static void contrast(clef_store *s, const char *task, const char *true_hash, const char *dec_hash) {
    int64_t n = 0, dim = 0;
    if (clef_store_task_data(s, task, CLEF_SPLIT_TRAIN, CLEF_ARTIFACT_EMBEDDING, true_hash, NULL, 0,
                             NULL, 0, &n, &dim) != CLEF_ERR_BUFFER_TOO_SMALL ||
        dim != DIM)
        return;
    float *xt = malloc((size_t)(n * DIM) * sizeof *xt),
          *xd = malloc((size_t)(n * DIM) * sizeof *xd);
    int32_t *y = malloc((size_t)n * sizeof *y);
    double c[2][DIM] = {{0}};
    if (xt != NULL && xd != NULL && y != NULL &&
        clef_store_task_data(s, task, CLEF_SPLIT_TRAIN, CLEF_ARTIFACT_EMBEDDING, true_hash, xt,
                             (size_t)(n * DIM), y, (size_t)n, &n, &dim) == CLEF_OK &&
        clef_store_task_data(s, task, CLEF_SPLIT_TRAIN, CLEF_ARTIFACT_EMBEDDING, dec_hash, xd,
                             (size_t)(n * DIM), y, (size_t)n, &n, &dim) == CLEF_OK) {
        int64_t n_pos = 0;
        for (int64_t i = 0; i < n; i++)
            n_pos += y[i] == 1;
        for (int64_t i = 0; i < n && n_pos > 0 && n_pos < n; i++)
            for (int k = 0; k < DIM; k++) {
                double w = y[i] == 1 ? 10.0 / (double)n_pos : -10.0 / (double)(n - n_pos);
                c[0][k] += w * xt[i * DIM + k]; /* log10 power -> dB */
                c[1][k] += w * xd[i * DIM + k];
            }
        int best = 0;
        for (int k = 1; k < DIM; k++)
            best = fabs(c[0][k]) > fabs(c[0][best]) ? k : best;
        static const char *const band[NB] = {"1-4", "4-8", "8-13", "13-30"};
        printf("%-30s %-4s %5s Hz: %+6.2f dB true, %+6.2f dB decoded\n", task,
               clef_canonical_channel_name(best / NB), band[best % NB], c[0][best], c[1][best]);
    }
    free(xt);
    free(xd);
    free(y);
}

/* Every session's true and decoded features, for the session-varying error and the control. */
typedef struct sess_feats {
    char (*sid)[256];
    float *tru, *dec, *ctl; /* [n][DIM] */
    size_t n, cap;
} sess_feats;

static int feats_add(sess_feats *f, const char *sid, const float *tru, const float *dec) {
    if (f->n == f->cap) {
        size_t nc = f->cap ? 2 * f->cap : 256;
        void *a = realloc(f->sid, nc * sizeof *f->sid);
        if (a != NULL)
            f->sid = a;
        float *b[3] = {realloc(f->tru, nc * DIM * sizeof(float)),
                       realloc(f->dec, nc * DIM * sizeof(float)),
                       realloc(f->ctl, nc * DIM * sizeof(float))};
        f->tru = b[0] != NULL ? b[0] : f->tru;
        f->dec = b[1] != NULL ? b[1] : f->dec;
        f->ctl = b[2] != NULL ? b[2] : f->ctl;
        if (a == NULL || b[0] == NULL || b[1] == NULL || b[2] == NULL)
            return -1;
        f->cap = nc;
    }
    snprintf(f->sid[f->n], sizeof f->sid[f->n], "%s", sid);
    memcpy(f->tru + f->n * DIM, tru, DIM * sizeof(float));
    memcpy(f->dec + f->n * DIM, dec, DIM * sizeof(float));
    f->n++;
    return 0;
}

static void feats_free(sess_feats *f) {
    free(f->sid);
    free(f->tru);
    free(f->dec);
    free(f->ctl);
}

/* Standard normal deviates from a fixed xorshift64* stream (Box-Muller). */
static double normal(uint64_t *st) {
    double u[2];
    for (int i = 0; i < 2; i++) {
        *st ^= *st >> 12;
        *st ^= *st << 25;
        *st ^= *st >> 27;
        u[i] = ((double)((*st * 2685821657736338717ull) >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2.0 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

/* Each feature's decoded-minus-true error less its mean over sessions (a constant offset does
 * not change a probe); fills f->ctl = true + N(0, sd of that error) per feature, noise draw
 * `draw`. Returns the mean absolute session-varying error in dB. */
static double feats_control(sess_feats *f, uint64_t draw) {
    double mae = 0.0;
    uint64_t st = 0x9e3779b97f4a7c15ull * (draw + 1);
    for (int k = 0; k < DIM; k++) {
        double m = 0.0, v = 0.0;
        for (size_t i = 0; i < f->n; i++)
            m += ((double)f->dec[i * DIM + k] - f->tru[i * DIM + k]) / (double)f->n;
        for (size_t i = 0; i < f->n; i++) {
            double e = (double)f->dec[i * DIM + k] - f->tru[i * DIM + k] - m;
            mae += 10.0 * fabs(e) / (double)(f->n * DIM); /* log10 power -> dB */
            v += e * e / (double)(f->n - 1);
        }
        for (size_t i = 0; i < f->n; i++)
            f->ctl[i * DIM + k] = (float)(f->tru[i * DIM + k] + sqrt(v) * normal(&st));
    }
    return mae;
}

/* Every session's true and decoded features from the store (the three splits); 0, or -1 if a
 * session lacks one. */
static int all_feats(clef_store *s, const char *true_hash, const char *dec_hash, sess_feats *f) {
    for (int32_t split = CLEF_SPLIT_TRAIN; split <= CLEF_SPLIT_TEST; split++) {
        int64_t n = 0;
        if (clef_store_split_count(s, split, &n) != CLEF_OK)
            return -1;
        for (int64_t i = 0; i < n; i++) {
            char sid[256];
            float t[DIM], d[DIM];
            size_t needed;
            if (clef_store_split_session(s, split, i, sid, sizeof sid, &needed) != CLEF_OK ||
                clef_store_artifact_get(s, sid, CLEF_ARTIFACT_EMBEDDING, true_hash, t, sizeof t,
                                        &needed) != CLEF_OK ||
                clef_store_artifact_get(s, sid, CLEF_ARTIFACT_EMBEDDING, dec_hash, d, sizeof d,
                                        &needed) != CLEF_OK ||
                feats_add(f, sid, t, d) != 0)
                return -1;
        }
    }
    return 0;
}

typedef struct result {
    char name[64];
    int32_t status;
    int64_t n_test;
    double auroc, lo, hi;
} result;

/* Evaluate every task on the embeddings of model hash; returns the results (malloc'd). */
static result *evaluate(clef_ctx *ctx, clef_store *s, const char *hash, int64_t *n) {
    clef_eval *ev = NULL;
    if (clef_eval_create(&ev, ctx) != CLEF_OK)
        die("eval", ctx);
    if (clef_eval_run_store(ev, s, CLEF_ARTIFACT_EMBEDDING, hash, NULL, NULL) != CLEF_OK) {
        fprintf(stderr, "eval %s: %s\n", hash, clef_eval_errmsg(ev));
        exit(1);
    }
    *n = clef_eval_n_tasks(ev);
    result *r = calloc((size_t)*n, sizeof *r);
    for (int64_t i = 0; i < *n; i++) {
        size_t needed;
        clef_eval_task_name(ev, i, r[i].name, sizeof r[i].name, &needed);
        clef_eval_task_result(ev, i, &r[i].status, NULL, NULL, &r[i].n_test, &r[i].auroc, &r[i].lo,
                              &r[i].hi, NULL);
    }
    clef_eval_free(ev);
    return r;
}

/* The range of a set of AUROC changes. */
typedef struct span {
    double lo, hi;
} span;

static void span_add(span *r, double x) {
    r->lo = x < r->lo ? x : r->lo;
    r->hi = x > r->hi ? x : r->hi;
}

/* Print " [lo, hi]" of a non-empty range and count it in *kept if no change lost over 0.02. */
static void span_print(const span *r, int *kept) {
    if (r->hi < r->lo)
        return;
    *kept += r->lo >= -0.02;
    printf("  [%+.3f, %+.3f]", r->lo, r->hi);
}

/* Rotated splits: the cohort's three subject-disjoint splits take every role in turn (probe
 * fitted on one, C chosen on another, AUROC on the third: 6 rotations), so every labelled
 * session is tested twice instead of only the test split's. The AUROC change of one task is
 * then averaged over about 6.7 times as many test sessions as the single split's. */
enum { N_ROT = 6 };
static const int32_t k_rot[N_ROT][3] = {{CLEF_SPLIT_TRAIN, CLEF_SPLIT_VAL, CLEF_SPLIT_TEST},
                                        {CLEF_SPLIT_TRAIN, CLEF_SPLIT_TEST, CLEF_SPLIT_VAL},
                                        {CLEF_SPLIT_VAL, CLEF_SPLIT_TRAIN, CLEF_SPLIT_TEST},
                                        {CLEF_SPLIT_VAL, CLEF_SPLIT_TEST, CLEF_SPLIT_TRAIN},
                                        {CLEF_SPLIT_TEST, CLEF_SPLIT_TRAIN, CLEF_SPLIT_VAL},
                                        {CLEF_SPLIT_TEST, CLEF_SPLIT_VAL, CLEF_SPLIT_TRAIN}};

/* One split of a task: its embeddings x [n][DIM] and labels (malloc'd), or n = -1. */
typedef struct split_data {
    float *x;
    int32_t *y;
    int64_t n;
} split_data;

static split_data load_split(clef_store *s, const char *task, int32_t split, const char *hash) {
    split_data d = {NULL, NULL, -1};
    int64_t n = 0, dim = 0;
    if (clef_store_task_data(s, task, split, CLEF_ARTIFACT_EMBEDDING, hash, NULL, 0, NULL, 0, &n,
                             &dim) != CLEF_ERR_BUFFER_TOO_SMALL ||
        dim != DIM)
        return d;
    d.x = malloc((size_t)(n * DIM) * sizeof *d.x);
    d.y = malloc((size_t)n * sizeof *d.y);
    if (d.x != NULL && d.y != NULL &&
        clef_store_task_data(s, task, split, CLEF_ARTIFACT_EMBEDDING, hash, d.x, (size_t)(n * DIM),
                             d.y, (size_t)n, &n, &dim) == CLEF_OK)
        d.n = n;
    return d;
}

/* auroc[t * N_ROT + r]: task t of names on the embeddings of hash, rotation r (NaN where a
 * split lacks a class); n_labelled[t] (may be NULL) = the task's labelled sessions. */
static void rotated(clef_ctx *ctx, clef_store *s, const char *hash, const result *names,
                    int64_t n_names, double *auroc, int64_t *n_labelled) {
    clef_eval *ev = NULL;
    if (clef_eval_create(&ev, ctx) != CLEF_OK || clef_eval_set_bootstrap(ev, 2, 0, 0.95) != CLEF_OK)
        die("eval", ctx);
    for (int64_t t = 0; t < n_names; t++) {
        split_data d[4] = {{0}};
        for (int32_t sp = CLEF_SPLIT_TRAIN; sp <= CLEF_SPLIT_TEST; sp++)
            if ((d[sp] = load_split(s, names[t].name, sp, hash)).n < 0)
                die(names[t].name, NULL);
        if (n_labelled != NULL)
            n_labelled[t] = d[1].n + d[2].n + d[3].n;
        for (int r = 0; r < N_ROT; r++) {
            const split_data *a = &d[k_rot[r][0]], *b = &d[k_rot[r][1]], *c = &d[k_rot[r][2]];
            if (clef_eval_add_task(ev, names[t].name, a->x, a->y, (size_t)a->n, b->x, b->y,
                                   (size_t)b->n, c->x, c->y, (size_t)c->n, DIM) != CLEF_OK)
                die(clef_eval_errmsg(ev), NULL);
        }
        for (int sp = CLEF_SPLIT_TRAIN; sp <= CLEF_SPLIT_TEST; sp++) {
            free(d[sp].x);
            free(d[sp].y);
        }
    }
    for (int64_t i = 0; i < n_names * N_ROT; i++) {
        int32_t st = 0;
        clef_eval_task_result(ev, i, &st, NULL, NULL, NULL, &auroc[i], NULL, NULL, NULL);
        auroc[i] = st == CLEF_OK ? auroc[i] : NAN;
    }
    clef_eval_free(ev);
}

/* Mean over the rotations of task t's AUROC change b - a (NaN if a rotation was skipped in
 * either). */
static double rot_change(const double *a, const double *b, int64_t t) {
    double sum = 0.0;
    for (int r = 0; r < N_ROT; r++)
        sum += b[t * N_ROT + r] - a[t * N_ROT + r];
    return sum / N_ROT;
}

int main(int argc, char **argv) {
    bench_print_machine("bench_tok_downstream");
    if (argc < 3) {
        fprintf(stderr, "usage: bench_tok_downstream WEIGHTS STORE [THREADS]\n");
        return 2;
    }
    const char *weights = argv[1];
    int32_t threads = argc > 3 ? (int32_t)atoi(argv[3]) : 2;
    clef_ctx *ctx = NULL;
    clef_store *s = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK || clef_store_open(&s, ctx, argv[2]) != CLEF_OK)
        die(argv[2], ctx);
    char hash[65], true_hash[80], dec_hash[80], ctl_hash[N_CTL][80], job[96];
    if (clef_tokenizer_model_hash(ctx, weights, hash, sizeof hash, NULL) != CLEF_OK)
        die(weights, ctx);
    snprintf(true_hash, sizeof true_hash, "specbp-true");
    /* v2: absent channels masked in the decoded spectrogram */
    snprintf(dec_hash, sizeof dec_hash, "specbp2-decoded:%.16s", hash);
    snprintf(job, sizeof job, "bench:specbp2:%s", hash);

    int64_t n_tok = 0;
    clef_session *sess = NULL;
    if (clef_session_create(&sess, ctx, threads) != CLEF_OK)
        die("session", ctx);
    if (clef_tokenizer_job_run(sess, s, weights, 0.0, 0, &n_tok, NULL, NULL) != CLEF_OK) {
        fprintf(stderr, "tokenize job: %s\n", clef_session_errmsg(sess));
        exit(1);
    }
    int64_t n_bp = 0;
    if (clef_bandpower_job_run(ctx, s, 0.0, 0, &n_bp, NULL, NULL) != CLEF_OK)
        die("band-power job", ctx);
    fprintf(stderr, "tokenized %lld sessions, raw band power of %lld\n", (long long)n_tok,
            (long long)n_bp);

    clef_tokenizer *tok = NULL; /* loaded for the whole-session image */
    clef_spectrogram *sg = NULL;
    int64_t crop_t = 0; /* the session image (clef_tokenizer_session_frames) */
    if (clef_tokenizer_load(&tok, ctx, weights) != CLEF_OK ||
        (crop_t = clef_tokenizer_session_frames(tok)) < 1 ||
        clef_tokenizer_spectrogram_create(&sg, ctx, tok) != CLEF_OK)
        die(weights, ctx);
    int64_t nf = clef_spectrogram_n_freqs(sg), n_ids = clef_tokenizer_n_tokens(tok);
    double *freq = malloc((size_t)nf * sizeof *freq);
    float *dec = malloc((size_t)(BENCH_NCH * nf * crop_t) * sizeof *dec);
    uint16_t *u = malloc((size_t)n_ids * sizeof *u);
    int32_t *ids = malloc((size_t)n_ids * sizeof *ids);
    if (clef_spectrogram_freqs(sg, freq, (size_t)nf, NULL) != CLEF_OK)
        die("freqs", ctx);

    /* 2. spectrogram band power, true and decoded, as a resumable job */
    if (clef_store_job_add_sessions(s, job, NULL) != CLEF_OK ||
        clef_store_job_requeue(s, job, 0.0, 0, NULL) != CLEF_OK)
        die(clef_store_errmsg(s), NULL);
    double abs_err = 0.0, n_pix = 0.0, bp_err[NB] = {0}, n_bp_sess = 0.0;

    for (;;) {
        char sid[256], path[4096];
        size_t needed;
        int32_t claimed = 0;
        if (clef_store_job_claim(s, job, sid, sizeof sid, &needed, &claimed) != CLEF_OK)
            die(clef_store_errmsg(s), NULL);
        if (!claimed)
            break;
        if (clef_store_recording_path(s, sid, path, sizeof path, &needed) != CLEF_OK ||
            clef_store_artifact_get(s, sid, CLEF_ARTIFACT_TOKENS, hash, u,
                                    (size_t)n_ids * sizeof *u, &needed) != CLEF_OK)
            die(clef_store_errmsg(s), NULL);
        for (int64_t i = 0; i < n_ids; i++)
            ids[i] = u[i];
        int64_t frames = 0;
        uint32_t present = 0;
        float *spec = bench_session_spec(ctx, sg, path, &frames, &present);
        if (clef_tokenizer_decode(tok, sess, ids, (size_t)n_ids, dec,
                                  (size_t)(BENCH_NCH * nf * crop_t), NULL) != CLEF_OK) {
            fprintf(stderr, "decode: %s\n", clef_session_errmsg(sess));
            exit(1);
        }
        int64_t shown = frames < crop_t ? frames : crop_t;
        for (int64_t r = 0; r < BENCH_NCH * nf; r++)
            for (int64_t t = 0; t < shown; t++) {
                if (!(present >> (r / nf) & 1u)) { /* the present mask, applied */
                    dec[r * crop_t + t] = spec[r * frames + t];
                    continue;
                }
                abs_err += fabs((double)dec[r * crop_t + t] - spec[r * frames + t]);
                n_pix += 1.0;
            }
        float e_true[DIM], e_dec[DIM];
        spec_bandpower(spec, nf, frames, shown, freq, e_true);
        spec_bandpower(dec, nf, crop_t, shown, freq, e_dec);
        for (int k = 0; k < DIM; k++)
            bp_err[k % NB] += 10.0 * fabs((double)e_dec[k] - e_true[k]); /* log10 -> dB */
        n_bp_sess += 1.0;
        free(spec);
        if (clef_store_artifact_put(s, sid, CLEF_ARTIFACT_EMBEDDING, true_hash, e_true,
                                    sizeof e_true) != CLEF_OK ||
            clef_store_job_complete(s, job, sid, CLEF_ARTIFACT_EMBEDDING, dec_hash, e_dec,
                                    sizeof e_dec) != CLEF_OK)
            die(clef_store_errmsg(s), NULL);
    }
    if (n_pix > 0)
        printf("spectrogram MAE, decoded vs true (sessions embedded in this run): %.3f dB "
               "(%.2f %% of 40 dB)\n",
               abs_err / n_pix, 100.0 * abs_err / n_pix / 40.0);
    if (n_bp_sess > 0) {
        double all = 0.0;
        for (int b = 0; b < NB; b++)
            all += bp_err[b];
        printf("band-power feature MAE, decoded vs true (19 channels x 4 bands): %.3f dB; by band "
               "(1-4, 4-8, 8-13, 13-30 Hz):",
               all / n_bp_sess / DIM);
        for (int b = 0; b < NB; b++)
            printf(" %.3f", bp_err[b] / n_bp_sess / BENCH_NCH);
        printf("\n");
    }

    /* the control: true features plus Gaussian noise as large as the decoded features'
     * session-varying error, feature by feature, in N_CTL draws: how far the probe's AUROC moves
     * under a change that small */
    sess_feats all = {0};
    int with_ctl = all_feats(s, true_hash, dec_hash, &all) == 0 && all.n > 1;
    if (with_ctl)
        printf("band-power feature error without each feature's mean offset (what a probe "
               "sees): %.3f dB over %zu sessions\n",
               feats_control(&all, 0), all.n);
    for (int d = 0; with_ctl && d < N_CTL; d++) {
        feats_control(&all, (uint64_t)d);
        snprintf(ctl_hash[d], sizeof ctl_hash[d], "specbp2-control%d:%.16s", d, hash);
        for (size_t i = 0; i < all.n; i++)
            if (clef_store_artifact_put(s, all.sid[i], CLEF_ARTIFACT_EMBEDDING, ctl_hash[d],
                                        all.ctl + i * DIM, DIM * sizeof(float)) != CLEF_OK)
                die(clef_store_errmsg(s), NULL);
    }

    /* 3. evaluation */
    int64_t nt = 0, nd = 0, nr = 0, nc = 0;
    result *rt = evaluate(ctx, s, true_hash, &nt);
    result *rd = evaluate(ctx, s, dec_hash, &nd);
    result *rr = evaluate(ctx, s, clef_bandpower_model_hash(), &nr);
    result *rc[N_CTL] = {NULL};
    for (int d = 0; with_ctl && d < N_CTL; d++)
        if ((rc[d] = evaluate(ctx, s, ctl_hash[d], &nc)) == NULL || nc != nt)
            die("control task counts differ", NULL);
    if (nt != nd || nt != nr)
        die("task counts differ", NULL);
    printf("%-30s %6s %22s %22s %8s %8s %16s\n", "task (test AUROC, 95% CI)", "n_test",
           "true spectrogram", "decoded", "dec-true", "raw BP", "ctl-true range");
    int within = 0, kept = 0, compared = 0, ctl_all = 0;
    double sum_t = 0, sum_d = 0;
    for (int64_t i = 0; i < nt; i++) {
        if (strncmp(rt[i].name, "feat_", 5) != 0)
            continue;
        if (rt[i].status != CLEF_OK || rd[i].status != CLEF_OK) {
            printf("%-30s %6lld %22s\n", rt[i].name, (long long)rt[i].n_test,
                   "skipped: a split lacks a class");
            continue;
        }
        double d = rd[i].auroc - rt[i].auroc;
        compared++;
        within += fabs(d) <= 0.02;
        kept += d >= -0.02;
        sum_t += rt[i].auroc;
        sum_d += rd[i].auroc;
        printf("%-30s %6lld  %.3f [%.3f, %.3f]  %.3f [%.3f, %.3f] %+8.3f %8.3f", rt[i].name,
               (long long)rt[i].n_test, rt[i].auroc, rt[i].lo, rt[i].hi, rd[i].auroc, rd[i].lo,
               rd[i].hi, d, rr[i].auroc);
        span ctl = {1.0, -1.0};
        for (int k = 0; k < N_CTL && rc[k] != NULL; k++)
            if (rc[k][i].status == CLEF_OK)
                span_add(&ctl, rc[k][i].auroc - rt[i].auroc);
        span_print(&ctl, &ctl_all);
        printf("\n");
    }
    printf("largest class contrast (positive - negative mean, train split), true vs decoded:\n");
    for (int64_t i = 0; i < nt; i++)
        if (strncmp(rt[i].name, "feat_", 5) == 0)
            contrast(s, rt[i].name, true_hash, dec_hash);
    if (compared > 0)
        printf("feat_* tasks compared: %d; |decoded - true| <= 0.02 in %d; decoded - true >= "
               "-0.02 (AUROC kept) in %d; mean AUROC true %.3f, decoded %.3f\n",
               compared, within, kept, sum_t / compared, sum_d / compared);
    if (compared > 0 && rc[0] != NULL)
        printf("control (true features + noise of the decoded error's size, %d draws): AUROC "
               "kept in every draw in %d of %d tasks (the probe's own sensitivity)\n",
               N_CTL, ctl_all, compared);

    /* 5. the same comparison with rotated splits: every labelled session tested twice */
    result *feat = calloc((size_t)(nt > 0 ? nt : 1), sizeof *feat);
    int64_t nfeat = 0;
    for (int64_t i = 0; feat != NULL && i < nt; i++)
        if (strncmp(rt[i].name, "feat_", 5) == 0 && rt[i].status == CLEF_OK)
            feat[nfeat++] = rt[i];
    double *at = malloc((size_t)(nfeat * N_ROT + 1) * sizeof *at),
           *ad = malloc((size_t)(nfeat * N_ROT + 1) * sizeof *ad),
           *ac = malloc((size_t)(N_CTL * nfeat * N_ROT + 1) * sizeof *ac);
    int64_t *n_lab = malloc((size_t)(nfeat + 1) * sizeof *n_lab);
    if (feat == NULL || at == NULL || ad == NULL || ac == NULL || n_lab == NULL)
        die("out of memory", NULL);
    rotated(ctx, s, true_hash, feat, nfeat, at, n_lab);
    rotated(ctx, s, dec_hash, feat, nfeat, ad, NULL);
    for (int d = 0; with_ctl && d < N_CTL; d++)
        rotated(ctx, s, ctl_hash[d], feat, nfeat, ac + d * nfeat * N_ROT, NULL);
    printf("rotated splits (%d rotations: each split is test twice), mean AUROC over rotations:\n",
           N_ROT);
    printf("%-30s %9s %6s %8s %8s %16s %16s\n", "task", "labelled", "true", "decoded", "dec-true",
           "range (rotation)", "ctl-true range");
    int r_within = 0, r_kept = 0, r_ctl = 0, r_compared = 0;
    for (int64_t t = 0; t < nfeat; t++) {
        double m_t = 0.0, m_d = 0.0;
        span rot = {1.0, -1.0}, ctl = {1.0, -1.0};
        for (int r = 0; r < N_ROT; r++) {
            m_t += at[t * N_ROT + r] / N_ROT;
            m_d += ad[t * N_ROT + r] / N_ROT;
            span_add(&rot, ad[t * N_ROT + r] - at[t * N_ROT + r]);
        }
        double dm = m_d - m_t; /* NaN if a rotation was skipped */
        if (isnan(dm)) {
            printf("%-30s %9lld %s\n", feat[t].name, (long long)n_lab[t],
                   "skipped: a split lacks a class");
            continue;
        }
        r_compared++;
        r_within += fabs(dm) <= 0.02;
        r_kept += dm >= -0.02;
        printf("%-30s %9lld %6.3f %8.3f %+8.3f  [%+.3f, %+.3f]", feat[t].name, (long long)n_lab[t],
               m_t, m_d, dm, rot.lo, rot.hi);
        for (int d = 0; with_ctl && d < N_CTL; d++)
            span_add(&ctl, rot_change(at, ac + d * nfeat * N_ROT, t));
        span_print(&ctl, &r_ctl);
        printf("\n");
    }
    printf("rotated: feat_* tasks compared: %d; |decoded - true| <= 0.02 in %d; decoded - true >= "
           "-0.02 in %d; control kept in every draw in %d\n",
           r_compared, r_within, r_kept, r_ctl);
    free(feat);
    free(at);
    free(ad);
    free(ac);
    free(n_lab);
    free(rt);
    free(rd);
    free(rr);
    for (int d = 0; d < N_CTL; d++)
        free(rc[d]);
    feats_free(&all);
    free(freq);
    free(dec);
    free(u);
    free(ids);
    clef_spectrogram_free(sg);
    clef_tokenizer_free(tok);
    clef_store_free(s);
    clef_session_free(sess);
    clef_ctx_free(ctx);
    return 0;
}
