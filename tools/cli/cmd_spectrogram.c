/* cmd_spectrogram.c — clef spectrogram FILE -o OUT.npy [--png PNG]: the multitaper spectrogram
 * of a recording (docs/spectrogram.md) as a float32 .npy (channels, freqs, frames) and
 * optionally a picture: channels stacked, time on x, frequency on y (low at the bottom of each
 * band), a colour bar. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_plot.h"
#include "cli_npy.h"
#include "cli_session.h"

typedef struct sg_input {
    float *x; /* [n_ch][n] */
    int64_t n_ch, n;
    uint32_t present; /* bit c: channel c has data */
    char labels[32][8];
} sg_input;

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* A float32 (n_ch, n_samples) .npy at 200 Hz in uV. */
static int read_npy(const char *path, sg_input *in) {
    const char *why = NULL;
    if (cli_npy_read_f32_2d(path, &in->x, &in->n_ch, &in->n, &why) != 0)
        return cli_fail(path, CLEF_ERR_FORMAT, why);
    in->present = 0xffffffffu;
    for (int64_t c = 0; c < in->n_ch && c < 32; c++)
        snprintf(in->labels[c], sizeof in->labels[c], "%lld", (long long)c);
    return 0;
}

/* An EDF/BDF file as the 19 canonical channels at 200 Hz in uV (missing channels are zero). */
static int read_edf(clef_ctx *ctx, const char *path, double start, double dur, sg_input *in) {
    if (cli_read_canonical(ctx, path, start, dur, &in->x, &in->n_ch, &in->n, &in->present) != 0)
        return 1;
    for (int64_t c = 0; c < in->n_ch; c++)
        snprintf(in->labels[c], sizeof in->labels[c], "%s", clef_canonical_channel_name(c));
    return 0;
}

/* s: [n_ch][nf][frames] from sg; colour range [lo, hi]. */
static int write_png(const char *path, const clef_spectrogram *sg, const float *s,
                     const sg_input *in, int64_t frames, double lo, double hi, const char *unit) {
    const char **labels = malloc((size_t)in->n_ch * sizeof *labels);
    if (labels == NULL)
        return -1;
    for (int64_t c = 0; c < in->n_ch; c++) /* .npy channels beyond 32: unlabelled */
        labels[c] = c < 32 ? in->labels[c] : "";
    cli_figure fig = {.panel = {{s, frames, "multitaper spectrogram"}},
                      .n_panels = 1,
                      .n_bands = in->n_ch,
                      .n_rows = clef_spectrogram_n_freqs(sg),
                      .n_cols = frames,
                      .band_labels = labels,
                      .present = in->present,
                      .lo = lo,
                      .hi = hi,
                      .unit = unit};
    cli_spectrogram_axes(sg, &fig.y_lo, &fig.y_hi, &fig.x0, &fig.dx);
    int rc = cli_figure_png(&fig, path);
    free(labels);
    return rc;
}

static const char k_usage[] =
    "usage: clef spectrogram FILE -o|--out OUT.npy [--png PNG] [--threads N] [--start S]\n"
    "                        [--duration S] [--scale db|log1p|linear]\n\n"
    "Multitaper spectrogram with CLEF's parameters (docs/spectrogram.md): 4 s windows,\n"
    "1 s step, 2 Hz bandwidth, 7 DPSS tapers, 0-32 Hz in 128 bins, dB clipped to\n"
    "[-40, 40]. FILE is an EDF/EDF+/BDF/BDF+ file, read as the 19 canonical channels\n"
    "at 200 Hz in uV (missing channels are zero), or a float32 .npy of shape\n"
    "(channels, samples) at 200 Hz in uV. OUT.npy: float32, C order, shape\n"
    "(channels, 128, frames); frame k is centred at 2 + k seconds. --png draws the\n"
    "channels stacked (time in s on x, frequency in Hz on y) with a colour bar, as a\n"
    "palette PNG (docs/spectrogram.md).\n";

typedef struct sg_opts {
    const char *in, *out, *png, *scale;
    int64_t threads;
    double start, dur;
} sg_opts;

/* 0 to go on, else the exit code (0 after --help). */
static int parse(int argc, char **argv, sg_opts *o, int *code) {
    *o = (sg_opts){NULL, NULL, NULL, "db", 1, 0.0, -1.0};
    const cli_opt opts[] = {CLI_POS("FILE", &o->in, 1),
                            CLI_OUT(&o->out, 1),
                            CLI_STR("--png", NULL, &o->png, 0),
                            CLI_I64("--threads", &o->threads, 1, 1024),
                            CLI_F64("--start", &o->start, 0, INFINITY),
                            CLI_F64("--duration", &o->dur, 0, INFINITY),
                            CLI_CHOICE("--scale", &o->scale, "db|log1p|linear"),
                            CLI_END};
    const cli_cmd cmd = {"spectrogram", k_usage, opts};
    return cli_parse(&cmd, argc, argv, code);
}

/* Compute into *s; returns 0 or the exit code. */
static int compute(clef_ctx *ctx, const sg_opts *o, const sg_input *in, clef_spectrogram **sg,
                   float **s, size_t *total) {
    clef_params *p = NULL;
    clef_status rc = clef_params_create(&p, ctx, CLEF_PARAMS_SPEC);
    if (rc == CLEF_OK)
        rc = clef_params_set_str(p, CLEF_P_SPEC_SCALE, o->scale);
    if (rc != CLEF_OK) {
        int ret = cli_fail("spectrogram parameters", rc, clef_params_errmsg(p));
        clef_params_free(p);
        return ret;
    }
    rc = clef_spectrogram_create(sg, ctx, p);
    clef_params_free(p);
    if (rc != CLEF_OK)
        return cli_fail("spectrogram", rc, clef_ctx_errmsg(ctx));
    clef_session *sess = NULL;
    rc = clef_session_create(&sess, ctx, (int32_t)o->threads);
    if (rc != CLEF_OK)
        return cli_fail("--threads", rc, clef_ctx_errmsg(ctx));
    rc = clef_spectrogram_compute(*sg, sess, in->x, (size_t)in->n, in->n_ch, in->n, NULL, 0, total);
    if (rc == CLEF_ERR_BUFFER_TOO_SMALL && (*s = malloc(*total * sizeof(float))) != NULL)
        rc = clef_spectrogram_compute(*sg, sess, in->x, (size_t)in->n, in->n_ch, in->n, *s, *total,
                                      NULL);
    int ret = rc != CLEF_OK ? cli_fail("spectrogram", rc, clef_session_errmsg(sess)) : 0;
    clef_session_free(sess);
    return ret;
}

int cmd_spectrogram(int argc, char **argv) {
    sg_opts o;
    sg_input in = {0};
    clef_ctx *ctx = NULL;
    clef_spectrogram *sg = NULL;
    float *s = NULL;
    size_t total = 0;
    int ret = 0;
    if (parse(argc, argv, &o, &ret) != 0)
        return ret;
    if (ret == 0 && clef_ctx_create(&ctx) != CLEF_OK)
        ret = cli_fail("spectrogram", CLEF_ERR_NOMEM, "no context");
    if (ret == 0)
        ret = ends_with(o.in, ".npy") ? read_npy(o.in, &in)
                                      : read_edf(ctx, o.in, o.start, o.dur, &in);
    if (ret == 0)
        ret = compute(ctx, &o, &in, &sg, &s, &total);
    if (ret == 0) {
        int64_t nf = clef_spectrogram_n_freqs(sg), frames = clef_spectrogram_n_frames(sg, in.n);
        int64_t shape[3] = {in.n_ch, nf, frames};
        double *t = malloc((size_t)frames * sizeof(double)),
               *f = malloc((size_t)nf * sizeof(double));
        clef_spectrogram_times(sg, in.n, t, (size_t)frames, NULL);
        clef_spectrogram_freqs(sg, f, (size_t)nf, NULL);
        if (cli_npy_write_f32(o.out, s, shape, 3) != 0)
            ret = cli_fail(o.out, CLEF_ERR_IO, "cannot write the .npy file");
        double lo = -40, hi = 40;
        if (strcmp(o.scale, "db") != 0) { /* data range for the other scales */
            lo = hi = s[0];
            for (size_t i = 1; i < total; i++) {
                lo = s[i] < lo ? s[i] : lo;
                hi = s[i] > hi ? s[i] : hi;
            }
            hi = hi > lo ? hi : lo + 1;
        }
        if (ret == 0 && o.png != NULL &&
            write_png(o.png, sg, s, &in, frames, lo, hi, strcmp(o.scale, "db") == 0 ? "dB" : "") !=
                0)
            ret = cli_fail(o.png, CLEF_ERR_IO, "cannot write the PNG file");
        if (ret == 0)
            printf("%s: %lld channels x %lld freqs (%g-%g Hz) x %lld frames (%g-%g s) -> %s%s%s\n",
                   o.in, (long long)in.n_ch, (long long)nf, f[0], f[nf - 1], (long long)frames,
                   t[0], t[frames - 1], o.out, o.png ? ", " : "", o.png ? o.png : "");
        free(t);
        free(f);
    }
    free(s);
    free(in.x);
    clef_spectrogram_free(sg);
    clef_ctx_free(ctx);
    return ret;
}
