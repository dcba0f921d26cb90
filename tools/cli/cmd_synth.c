/* cmd_synth.c — clef synth: generate a synthetic clinical cohort (docs/COHORT-FORMAT.md). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void synth_usage(FILE *f) {
    fprintf(f,
            "usage: clef synth -o DIR [--patients N] [--sessions S] [--seed S] [--minutes M]\n"
            "                  [--seconds S] [--threads T] [--quiet]\n\n"
            "Generate a synthetic clinical EEG cohort with known ground truth: EDF+/BDF+\n"
            "recordings, reports, FHIR R4 bundles, MEDS events, tasks and splits.\n"
            "Defaults: 100 patients, 1-2 sessions each, 20-minute sessions, seed 1, 1 thread.\n");
}

typedef struct bar {
    int quiet;
    int last;
} bar;

static int32_t on_progress(int64_t done, int64_t total, void *user) {
    bar *b = user;
    if (b->quiet || total <= 0)
        return 0;
    int pct = (int)(100 * done / total);
    if (pct == b->last && done != total)
        return 0;
    b->last = pct;
    int fill = pct * 40 / 100;
    fprintf(stderr, "\rsynth [%.*s%*s] %3d%% %lld/%lld sessions", fill,
            "########################################", 40 - fill, "", pct, (long long)done,
            (long long)total);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
    return 0;
}

/* Parse "--name value" pairs; returns 0 on success. */
static int parse_num(const char *opt, const char *v, double lo, double hi, double *out) {
    char *end = NULL;
    double x = v != NULL ? strtod(v, &end) : 0;
    if (v == NULL || end == v || *end != '\0' || x < lo || x > hi) {
        fprintf(stderr, "clef synth: %s needs a number in [%g, %g]\n", opt, lo, hi);
        return 1;
    }
    *out = x;
    return 0;
}

int cmd_synth(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        synth_usage(stdout);
        return 0;
    }
    const char *out = NULL;
    double patients = 100, sessions = 2, seed = 1, seconds = 1200, threads = 1;
    bar b = {0, -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0) {
            out = v;
            bad = v == NULL;
        } else if (strcmp(a, "--patients") == 0) {
            bad = parse_num(a, v, 1, 1e7, &patients);
        } else if (strcmp(a, "--sessions") == 0) {
            bad = parse_num(a, v, 1, 50, &sessions);
        } else if (strcmp(a, "--seed") == 0) {
            bad = parse_num(a, v, 0, 9007199254740991.0, &seed);
        } else if (strcmp(a, "--minutes") == 0) {
            bad = parse_num(a, v, 1.0 / 60, 1440, &seconds);
            seconds *= 60;
        } else if (strcmp(a, "--seconds") == 0) {
            bad = parse_num(a, v, 1, 86400, &seconds);
        } else if (strcmp(a, "--threads") == 0) {
            bad = parse_num(a, v, 1, 1024, &threads);
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            b.quiet = 1;
            continue;
        } else {
            fprintf(stderr, "clef synth: unknown option '%s'\n", a);
            bad = 1;
        }
        if (bad) {
            synth_usage(stderr);
            return 2;
        }
        i++;
    }
    if (out == NULL) {
        synth_usage(stderr);
        return 2;
    }
    clef_ctx *ctx = NULL;
    clef_params *p = NULL;
    clef_session *sess = NULL;
    clef_status rc = clef_ctx_create(&ctx);
    if (rc == CLEF_OK)
        rc = clef_params_create(&p, ctx, CLEF_PARAMS_COHORT);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(p, CLEF_P_COHORT_N_PATIENTS, (int64_t)patients);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(p, CLEF_P_COHORT_MAX_SESSIONS, (int64_t)sessions);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(p, CLEF_P_COHORT_SEED, (int64_t)seed);
    if (rc == CLEF_OK)
        rc = clef_params_set_f64(p, CLEF_P_COHORT_DURATION_S, seconds);
    if (rc != CLEF_OK) {
        int r = cli_fail("synth", rc, p != NULL ? clef_params_errmsg(p) : clef_ctx_errmsg(ctx));
        clef_params_free(p);
        clef_ctx_free(ctx);
        return r;
    }
    rc = clef_session_create(&sess, ctx, (int32_t)threads);
    if (rc == CLEF_OK)
        rc = clef_cohort_generate(sess, p, out, on_progress, &b);
    int ret = 0;
    if (rc != CLEF_OK)
        ret =
            cli_fail("synth", rc, sess != NULL ? clef_session_errmsg(sess) : clef_ctx_errmsg(ctx));
    else if (!b.quiet)
        fprintf(stderr, "synth: cohort written to %s (%d tasks)\n", out,
                (int)clef_cohort_n_tasks());
    clef_params_free(p);
    clef_session_free(sess);
    clef_ctx_free(ctx);
    return ret;
}
