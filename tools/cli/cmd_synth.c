/* cmd_synth.c — clef synth: generate a synthetic clinical cohort (docs/COHORT-FORMAT.md). */
#include "cli.h"

static const char k_usage[] =
    "usage: clef synth -o DIR [--patients N] [--sessions S] [--seed S] [--minutes M]\n"
    "                  [--seconds S] [--threads T] [--quiet]\n\n"
    "Generate a synthetic clinical EEG cohort with known ground truth: EDF+/BDF+\n"
    "recordings, reports, FHIR R4 bundles, MEDS events, tasks and splits, into DIR\n"
    "(-o or --out). Defaults: 100 patients, 1-2 sessions each, 20-minute sessions, seed 1,\n"
    "1 thread. The session length is --minutes M or --seconds S (one of them).\n";

int cmd_synth(int argc, char **argv) {
    const char *out = NULL;
    int64_t patients = 100, sessions = 2, seed = 1, threads = 1;
    double minutes = -1.0, seconds = -1.0; /* -1: not given */
    int quiet = 0;
    const cli_opt opts[] = {CLI_OUT(&out, 1),
                            CLI_I64("--patients", &patients, 1, 10000000),
                            CLI_I64("--sessions", &sessions, 1, 50),
                            CLI_I64("--seed", &seed, 0, 9007199254740991LL),
                            CLI_F64("--minutes", &minutes, 1.0 / 60, 1440),
                            CLI_F64("--seconds", &seconds, 1, 86400),
                            CLI_I64("--threads", &threads, 1, 1024),
                            CLI_FLAG("--quiet", "-q", &quiet),
                            CLI_END};
    const cli_cmd cmd = {"synth", k_usage, opts};
    int code = 0;
    if (cli_parse(&cmd, argc, argv, &code) != 0)
        return code;
    if (minutes >= 0 && seconds >= 0)
        return cli_usage_error("synth", "--minutes %g and --seconds %g: give one of them", minutes,
                               seconds);
    seconds = minutes >= 0 ? 60 * minutes : seconds >= 0 ? seconds : 1200;
    clef_ctx *ctx = NULL;
    clef_params *p = NULL;
    clef_session *sess = NULL;
    clef_status rc = clef_ctx_create(&ctx);
    if (rc == CLEF_OK)
        rc = clef_params_create(&p, ctx, CLEF_PARAMS_COHORT);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(p, CLEF_P_COHORT_N_PATIENTS, patients);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(p, CLEF_P_COHORT_MAX_SESSIONS, sessions);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(p, CLEF_P_COHORT_SEED, seed);
    if (rc == CLEF_OK)
        rc = clef_params_set_f64(p, CLEF_P_COHORT_DURATION_S, seconds);
    if (rc != CLEF_OK) {
        int r = cli_fail("synth", rc, p != NULL ? clef_params_errmsg(p) : clef_ctx_errmsg(ctx));
        clef_params_free(p);
        clef_ctx_free(ctx);
        return r;
    }
    cli_progress bar;
    cli_progress_begin(&bar, "clef synth: sessions", quiet);
    rc = clef_session_create(&sess, ctx, (int32_t)threads);
    if (rc == CLEF_OK)
        rc = clef_cohort_generate(sess, p, out, cli_progress_cb, &bar);
    cli_progress_end(&bar);
    int ret = 0;
    if (rc != CLEF_OK)
        ret =
            cli_fail("synth", rc, sess != NULL ? clef_session_errmsg(sess) : clef_ctx_errmsg(ctx));
    else if (!quiet)
        fprintf(stderr, "clef synth: cohort written to %s (%d tasks)\n", out,
                (int)clef_cohort_n_tasks());
    clef_params_free(p);
    clef_session_free(sess);
    clef_ctx_free(ctx);
    return ret;
}
