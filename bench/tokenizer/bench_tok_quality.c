/* bench_tok_quality.c — reconstruction quality of a trained tokenizer (issue 8, item 3):
 *
 *   bench_tok_quality WEIGHTS TRAIN_LIST HELDOUT_LIST [REAL.edf ...]
 *
 * TRAIN_LIST and HELDOUT_LIST are text files of EDF/BDF paths, one per line (quality.sh writes
 * them from a cohort's manifest.csv and splits.csv). For the held-out sessions and each real
 * recording it prints the session-image reconstruction MAE (dB and % of 40 dB) over the present
 * channels and real frames, beside the two reference reconstructions of the issue: (a) the
 * training-set mean spectrum (per channel and frequency) and (b) each session's own
 * time-averaged spectrum per channel. The held-out sessions are measured whole, then with
 * electrodes removed (10 of 19, then Fp1 alone), as recordings with missing channels give them;
 * then two estimates of the multitaper noise floor and the
 * codebook usage (perplexity, dead codes) of the held-out tokens. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_session.h"
#include "clef.h"
#include "bench_machine.h"

enum { NCH = 19, LAG = 4 };

static void die(const char *what, clef_ctx *ctx) { bench_die("bench_tok_quality", what, ctx); }

typedef struct lines {
    char **s;
    size_t n;
} lines;

static lines read_list(const char *path) {
    lines l = {0};
    FILE *f = fopen(path, "r");
    if (f == NULL)
        die(path, NULL);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) >= 0) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
            continue;
        l.s = realloc(l.s, (l.n + 1) * sizeof *l.s);
        l.s[l.n++] = strdup(line);
    }
    free(line);
    fclose(f);
    return l;
}

/* Accumulated absolute errors (dB) over pixels. */
typedef struct acc {
    double tok, train_mean, sess_mean, lagdiff;
    double n, n_lag;
    int64_t sessions;
} acc;

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Floor 1 (theory): a multitaper estimate is P * sum_j w_j E_j with E_j independent unit
 * exponentials (chi^2_2 / 2) and w_j the normalised taper weights (Percival & Walden 1993,
 * section 7.4; Gaussian data, spectrum flat over the bandwidth). Even the true spectrum, the best
 * any reconstruction can do pixel by pixel, is off by E|10 log10(sum w_j E_j) - m| (m: the
 * median, the best constant offset). Monte Carlo with a fixed LCG seed. */
static double chi2_floor_db(const double *w, int k) {
    enum { N = 200001 };
    double *v = malloc(N * sizeof *v);
    uint64_t s = 12345;
    for (int i = 0; i < N; i++) {
        double sum = 0.0;
        for (int j = 0; j < k; j++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            double u = ((double)(s >> 11) + 0.5) / 9007199254740992.0;
            sum += w[j] * -log(u);
        }
        v[i] = 10.0 * log10(sum);
    }
    qsort(v, N, sizeof *v, cmp);
    double m = v[N / 2], mae = 0.0;
    for (int i = 0; i < N; i++)
        mae += fabs(v[i] - m);
    free(v);
    return mae / N;
}

static void report(const char *name, const acc *a) {
    printf("| %s | %lld | %.3f (%.2f %%) | %.3f (%.2f %%) | %.3f (%.2f %%) | %.3f |\n", name,
           (long long)a->sessions, a->tok / a->n, 100.0 * a->tok / a->n / 40.0,
           a->train_mean / a->n, 100.0 * a->train_mean / a->n / 40.0, a->sess_mean / a->n,
           100.0 * a->sess_mean / a->n / 40.0, a->n_lag > 0 ? a->lagdiff / a->n_lag : NAN);
}

enum { ALL_CHANNELS = (1 << NCH) - 1 };

typedef struct evaluator {
    clef_ctx *ctx;
    clef_session *sess;
    const clef_spectrogram *sg;
    const clef_tokenizer *tok;
    int64_t nf, gf, gt, crop_t; /* crop_t: the session image (clef_tokenizer_session_frames) */
    const double *train_mean;   /* [NCH][nf] */
    double *hist;               /* code counts of the held-out data columns */
} evaluator;

/* Reconstruction MAE of the sessions at paths with only the channels of keep (and present in
 * the file) given to the tokenizer; the others are blanked to the dB floor. Prints one row. */
static void eval_set(const evaluator *ev, const char *name, const char *const *paths, size_t n,
                     uint32_t keep, int count_codes) {
    int64_t nf = ev->nf, n_tok = clef_tokenizer_n_tokens(ev->tok), crop_t = ev->crop_t;
    int32_t *ids = malloc((size_t)n_tok * sizeof *ids);
    float *rec = malloc((size_t)(NCH * nf * crop_t) * sizeof *rec);
    double *smean = malloc((size_t)nf * sizeof *smean), db_min = -40.0;
    clef_spectrogram_param_f64(ev->sg, CLEF_P_SPEC_DB_MIN, &db_min);
    acc a = {0};
    for (size_t i = 0; i < n; i++) {
        int64_t fr = 0;
        uint32_t pres = 0;
        float *s = bench_session_spec(ev->ctx, ev->sg, paths[i], &fr, &pres);
        pres &= keep;
        for (int c = 0; c < NCH; c++)
            if (!(pres >> c & 1u))
                for (int64_t k = 0; k < nf * fr; k++)
                    s[c * nf * fr + k] = (float)db_min;
        if (clef_tokenizer_encode(ev->tok, ev->sess, s, NCH, nf, fr, ids, (size_t)n_tok, NULL, 0,
                                  NULL) != CLEF_OK ||
            clef_tokenizer_decode(ev->tok, ev->sess, ids, (size_t)n_tok, rec,
                                  (size_t)(NCH * nf * crop_t), NULL) != CLEF_OK) {
            fprintf(stderr, "%s: %s\n", paths[i], clef_session_errmsg(ev->sess));
            exit(1);
        }
        int64_t valid = clef_tokenizer_valid_columns(ev->tok, fr),
                shown = fr < crop_t ? fr : crop_t;
        for (int64_t r = 0; count_codes && r < ev->gf; r++)
            for (int64_t t = 0; t < valid; t++)
                ev->hist[ids[r * ev->gt + t]] += 1.0;
        for (int c = 0; c < NCH; c++) {
            if (!(pres >> c & 1u))
                continue;
            for (int64_t b = 0; b < nf; b++) {
                const float *row = s + (c * nf + b) * fr;
                double m = 0.0;
                for (int64_t k = 0; k < shown; k++)
                    m += row[k];
                smean[b] = m / (double)shown;
                for (int64_t k = 0; k < shown; k++) {
                    a.tok += fabs(rec[(c * nf + b) * crop_t + k] - row[k]);
                    a.train_mean += fabs(ev->train_mean[c * nf + b] - row[k]);
                    a.sess_mean += fabs(smean[b] - row[k]);
                }
                a.n += (double)shown;
                for (int64_t k = 0; k + LAG < shown; k++)
                    a.lagdiff += fabs(row[k + LAG] - row[k]) / sqrt(2.0);
                a.n_lag += (double)(shown > LAG ? shown - LAG : 0);
            }
        }
        a.sessions++;
        free(s);
    }
    report(name, &a);
    free(ids);
    free(rec);
    free(smean);
}

int main(int argc, char **argv) {
    bench_print_machine("bench_tok_quality");
    if (argc < 4) {
        fprintf(stderr,
                "usage: bench_tok_quality WEIGHTS TRAIN_LIST HELDOUT_LIST [REAL.edf ...]\n");
        return 2;
    }
    clef_ctx *ctx = NULL;
    clef_ctx_create(&ctx);
    clef_tokenizer *tok = NULL; /* loaded for the whole-session image */
    clef_session *sess = NULL;
    if (clef_tokenizer_load(&tok, ctx, argv[1]) != CLEF_OK ||
        clef_session_create(&sess, ctx, 2) != CLEF_OK)
        die(argv[1], ctx);
    clef_spectrogram *sg = NULL;
    if (clef_tokenizer_spectrogram_create(&sg, ctx, tok) != CLEF_OK)
        die("spectrogram", ctx);
    int64_t nf = clef_spectrogram_n_freqs(sg), cb = 0, gf = 0, gt = 0;
    clef_tokenizer_codebook(tok, &cb, NULL);
    clef_tokenizer_shape(tok, NULL, NULL, NULL, &gf, &gt);

    /* (a) the training-set mean spectrum, per channel and frequency, over present channels */
    lines train = read_list(argv[2]), held = read_list(argv[3]);
    double *tsum = calloc((size_t)(NCH * nf), sizeof *tsum), *tcnt = calloc(NCH, sizeof *tcnt);
    for (size_t i = 0; i < train.n; i++) {
        int64_t fr = 0;
        uint32_t pres = 0;
        float *s = bench_session_spec(ctx, sg, train.s[i], &fr, &pres);
        for (int c = 0; c < NCH; c++) {
            if (!(pres >> c & 1u))
                continue;
            tcnt[c] += (double)fr;
            for (int64_t b = 0; b < nf; b++)
                for (int64_t k = 0; k < fr; k++)
                    tsum[c * nf + b] += s[(c * nf + b) * fr + k];
        }
        free(s);
    }
    for (int c = 0; c < NCH; c++)
        for (int64_t b = 0; b < nf; b++)
            tsum[c * nf + b] = tcnt[c] > 0 ? tsum[c * nf + b] / tcnt[c] : -40.0;

    printf("| set | sessions | tokenizer MAE dB | training-mean MAE dB | session-time-mean MAE dB "
           "| noise: |S(t)-S(t+4 s)|/sqrt2 dB |\n|---|---|---|---|---|---|\n");
    int64_t crop_t = clef_tokenizer_session_frames(tok);
    evaluator ev = {ctx, sess, sg,     tok,  nf,
                    gf,  gt,   crop_t, tsum, calloc((size_t)cb, sizeof(double))};
    /* the held-out sessions whole, then with electrodes removed (blanked to the dB floor, as
     * the canonical read leaves absent channels): every other channel, then Fp1 alone (the
     * montage of tests/data/test_subsecond.edf) */
    eval_set(&ev, "held-out synthetic", (const char *const *)held.s, held.n, ALL_CHANNELS, 1);
    eval_set(&ev, "held-out, 10 of 19 channels (Fp1, F7, Fz, F8, C3, C4, P7, Pz, P8, O2)",
             (const char *const *)held.s, held.n, 0x55555u, 0);
    eval_set(&ev, "held-out, Fp1 only", (const char *const *)held.s, held.n, 0x1u, 0);
    if (argc > 4)
        eval_set(&ev, "real EEG (present channels)", (const char *const *)(argv + 4),
                 (size_t)(argc - 4), ALL_CHANNELS, 0);
    double *hist = ev.hist;
    /* codebook usage over the held-out data columns */
    double tot = 0.0, h = 0.0;
    int64_t dead = 0;
    for (int64_t k = 0; k < cb; k++)
        tot += hist[k];
    for (int64_t k = 0; k < cb; k++) {
        if (hist[k] == 0)
            dead++;
        else
            h -= hist[k] / tot * log(hist[k] / tot);
    }
    size_t need = 0;
    clef_spectrogram_tapers(sg, NULL, 0, &need, NULL);
    int k = (int)clef_spectrogram_n_tapers(sg);
    double *tap = malloc(need * sizeof *tap), eig[64], wsum = 0.0;
    clef_spectrogram_tapers(sg, tap, need, NULL, eig);
    for (int j = 0; j < k; j++)
        wsum += eig[j];
    for (int j = 0; j < k; j++)
        eig[j] /= wsum;
    printf("\nmultitaper floor (theory, %d eigen-weighted tapers, chi^2 MAE about the median): "
           "%.3f dB (%.2f %% of 40 dB)\n",
           k, chi2_floor_db(eig, k), 100.0 * chi2_floor_db(eig, k) / 40.0);
    printf("codebook (held-out tokens of data columns): %.0f tokens, perplexity %.1f of %lld, "
           "dead codes %lld (%.1f %%)\n",
           tot, exp(h), (long long)cb, (long long)dead, 100.0 * (double)dead / (double)cb);
    free(tap);
    free(hist);
    free(tsum);
    free(tcnt);
    clef_spectrogram_free(sg);
    clef_tokenizer_free(tok);
    clef_session_free(sess);
    clef_ctx_free(ctx);
    return 0;
}
