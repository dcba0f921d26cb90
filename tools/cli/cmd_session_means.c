/* cmd_session_means.c — clef session-means: each recording's mean power spectrum, the vectors
 * session-mean tokens code (clef_tokenizer_session_mean), to one .npy for
 * clef train-tokenizer --mean-fit. Why: the coder's principal axes want many more sessions than
 * the network's training needs, and their spectra need not be held in memory together. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_npy.h"
#include "cli_session.h"

static const char k_usage[] =
    "usage: clef session-means -o|--out OUT.npy [--frames N] [--threads T] [--list FILE]\n"
    "                          [RECORDING...]\n\n"
    "For each EDF/BDF recording (given as arguments, or one path per line of --list\n"
    "FILE), the CLEF spectrogram of its first N frames (1200: the 20-minute session image\n"
    "of a tokenizer with session-mean tokens) and each (channel, frequency) row's mean\n"
    "power in dB (clef_tokenizer_session_mean). OUT.npy is float32 (sessions, 19 * 128),\n"
    "rows in input order; clef train-tokenizer --mean-fit OUT.npy fits the session-mean\n"
    "coder on them as well. One recording at a time: memory does not grow with the count.\n";

/* Append a copy of path to *paths; 0, or 1 after printing the reason. */
static int add_path(const char *path, char ***paths, size_t *n, size_t *cap) {
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        char **p = realloc(*paths, nc * sizeof *p);
        if (p == NULL)
            return cli_fail("session-means", CLEF_ERR_NOMEM, "paths");
        *paths = p;
        *cap = nc;
    }
    size_t len = strlen(path) + 1;
    if (((*paths)[*n] = malloc(len)) == NULL)
        return cli_fail("session-means", CLEF_ERR_NOMEM, "paths");
    memcpy((*paths)[(*n)++], path, len);
    return 0;
}

/* Append the paths of --list FILE (one per line, blank lines skipped) to *paths. */
static int read_list(const char *file, char ***paths, size_t *n, size_t *cap) {
    FILE *f = fopen(file, "r");
    if (f == NULL)
        return cli_fail(file, CLEF_ERR_IO, "cannot open the list");
    char line[4096];
    int ret = 0;
    while (ret == 0 && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] != '\0')
            ret = add_path(line, paths, n, cap);
    }
    fclose(f);
    return ret;
}

int cmd_session_means(int argc, char **argv) {
    const char *out = NULL, *list = NULL;
    int64_t frames = 1200, threads = 1;
    char **paths = NULL;
    size_t n = 0, cap = 0;
    cli_list recs = {malloc((size_t)argc * sizeof(const char *)), 0, argc};
    const cli_opt opts[] = {CLI_OUT(&out, 1),
                            CLI_I64("--frames", &frames, 1, 1000000),
                            CLI_I64("--threads", &threads, 1, 1024),
                            CLI_STR("--list", NULL, &list, 0),
                            CLI_POS_LIST("RECORDING", &recs),
                            CLI_END};
    const cli_cmd cmd = {"session-means", k_usage, opts};
    int ret = 0;
    if (recs.v == NULL)
        return cli_fail("session-means", CLEF_ERR_NOMEM, "arguments");
    if (cli_parse(&cmd, argc, argv, &ret) != 0) {
        free(recs.v);
        return ret;
    }
    for (int i = 0; ret == 0 && i < recs.n; i++)
        ret = add_path(recs.v[i], &paths, &n, &cap);
    free(recs.v);
    if (ret == 0 && list != NULL)
        ret = read_list(list, &paths, &n, &cap);
    if (ret == 0 && n == 0)
        ret = cli_usage_error("session-means", "RECORDING: missing, and no --list (see clef "
                                               "session-means --help)");
    clef_ctx *ctx = NULL;
    clef_spectrogram *sg = NULL;
    clef_session *sess = NULL;
    if (ret == 0 && clef_ctx_create(&ctx) != CLEF_OK)
        ret = cli_fail("session-means", CLEF_ERR_NOMEM, "no context");
    if (ret == 0 && clef_session_create(&sess, ctx, (int32_t)threads) != CLEF_OK)
        ret = cli_fail("--threads", CLEF_ERR_RANGE, clef_ctx_errmsg(ctx));
    if (ret == 0 && (sg = cli_default_spectrogram(ctx)) == NULL)
        ret = 1;
    int64_t nf = ret == 0 ? clef_spectrogram_n_freqs(sg) : 0, dim = 19 * nf;
    float *means = ret == 0 ? malloc(n * (size_t)dim * sizeof *means) : NULL;
    if (ret == 0 && means == NULL)
        ret = cli_fail("session-means", CLEF_ERR_NOMEM, "means");
    cli_progress bar;
    cli_progress_begin(&bar, "clef session-means: recordings", 0);
    for (size_t i = 0; ret == 0 && i < n; i++) {
        float *spec = NULL, *cut = NULL;
        int64_t nfr = 0;
        uint32_t present = 0;
        ret = cli_session_spectrogram(ctx, sess, sg, paths[i], -1.0, &spec, &nfr, &present);
        int64_t t = nfr < frames ? nfr : frames;
        if (ret == 0 && (cut = malloc((size_t)(dim * t) * sizeof *cut)) == NULL)
            ret = cli_fail(paths[i], CLEF_ERR_NOMEM, "spectrogram");
        for (int64_t r = 0; ret == 0 && r < dim; r++)
            memcpy(cut + r * t, spec + r * nfr, (size_t)t * sizeof *cut);
        if (ret == 0 &&
            clef_tokenizer_session_mean(cut, 19, nf, t, means + i * (size_t)dim) != CLEF_OK)
            ret = cli_fail(paths[i], CLEF_ERR_INVALID_ARG, "no frames");
        free(spec);
        free(cut);
        if (ret == 0)
            cli_progress_update(&bar, (int64_t)i + 1, (int64_t)n, paths[i]);
    }
    cli_progress_end(&bar);
    const int64_t shape[2] = {(int64_t)n, dim};
    if (ret == 0 && cli_npy_write_f32(out, means, shape, 2) != 0)
        ret = cli_fail(out, CLEF_ERR_IO, "cannot write");
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    free(means);
    clef_spectrogram_free(sg);
    clef_session_free(sess);
    clef_ctx_free(ctx);
    return ret;
}
