/* cmd_spectrogram.c — clef spectrogram FILE -o OUT.npy [--png PNG]: the multitaper spectrogram
 * of a recording (docs/spectrogram.md) as a float32 .npy (channels, freqs, frames) and
 * optionally a picture: channels stacked, time on x, frequency on y (low at the bottom of each
 * band), a colour bar. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_image.h"
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
        snprintf(in->labels[c], sizeof in->labels[c], "%s", clef_canonical_channel_name((int)c));
    return 0;
}

enum { LEFT = 40, RIGHT = 70, TOP = 16, BOTTOM = 26, GAP = 2 };

static void put(uint8_t *img, uint32_t w, int x, int y, const uint8_t c[3]) {
    memcpy(img + ((size_t)y * w + (size_t)x) * 3, c, 3);
}

/* Time ticks under the bands: every minute (or 10 s for short recordings). */
static void draw_time_axis(uint8_t *img, uint32_t w, uint32_t h, int xs, int64_t frames,
                           const double *t, int y) {
    static const uint8_t white[3] = {230, 230, 230};
    double span = t[frames - 1] - t[0], every = span > 180 ? 60 : 10, dt = 0;
    if (frames > 1)
        dt = (t[frames - 1] - t[0]) / (double)(frames - 1);
    for (double s = 0; dt > 0 && s <= t[frames - 1] + 1e-9; s += every) {
        if (s < t[0] - 1e-9)
            continue;
        int x = LEFT + (int)((s - t[0]) / dt * xs + 0.5);
        for (int k = 0; k < 4; k++)
            put(img, w, x, y + k, white);
        char lab[16];
        snprintf(lab, sizeof lab, "%d", (int)(s / (every == 60 ? 60 : 1)));
        cli_draw_text(img, w, h, x - 2, y + 6, lab, white);
    }
    cli_draw_text(img, w, h, LEFT + (int)(frames * xs) + 6, y + 6, every == 60 ? "min" : "s",
                  white);
}

static void draw_colorbar(uint8_t *img, uint32_t w, uint32_t h, int x0, int plot_h, double lo,
                          double hi, const char *unit) {
    static const uint8_t white[3] = {230, 230, 230};
    for (int y = 0; y < plot_h; y++) {
        uint8_t c[3];
        cli_colormap(1.0 - (double)y / (plot_h - 1), c);
        for (int x = 0; x < 14; x++)
            put(img, w, x0 + x, TOP + y, c);
    }
    char lab[32];
    snprintf(lab, sizeof lab, "%.4g", hi);
    cli_draw_text(img, w, h, x0 + 18, TOP, lab, white);
    snprintf(lab, sizeof lab, "%.4g", (lo + hi) / 2);
    cli_draw_text(img, w, h, x0 + 18, TOP + plot_h / 2 - 3, lab, white);
    snprintf(lab, sizeof lab, "%.4g", lo);
    cli_draw_text(img, w, h, x0 + 18, TOP + plot_h - 7, lab, white);
    cli_draw_text(img, w, h, x0 + 18, TOP + plot_h / 2 + 8, unit, white);
}

/* s: [n_ch][nf][frames]; colour range [lo, hi]. */
static int write_png(const char *path, const float *s, const sg_input *in, int64_t nf,
                     int64_t frames, const double *t, double fmax, double lo, double hi,
                     const char *unit) {
    int xs = frames < 600 ? (int)((600 + frames - 1) / frames) : 1;
    int plot_h = (int)(in->n_ch * (nf + GAP) - GAP);
    uint32_t w = (uint32_t)(LEFT + frames * xs + RIGHT), h = (uint32_t)(TOP + plot_h + BOTTOM);
    uint8_t *img = malloc((size_t)w * h * 3);
    if (img == NULL)
        return -1;
    memset(img, 24, (size_t)w * h * 3);
    static const uint8_t white[3] = {230, 230, 230}, grey[3] = {120, 120, 120};
    for (int64_t c = 0; c < in->n_ch; c++) {
        int y0 = TOP + (int)(c * (nf + GAP));
        for (int64_t b = 0; b < nf; b++)
            for (int64_t k = 0; k < frames; k++) {
                uint8_t col[3];
                cli_colormap((s[(c * nf + b) * frames + k] - lo) / (hi - lo), col);
                for (int r = 0; r < xs; r++)
                    put(img, w, LEFT + (int)(k * xs) + r, y0 + (int)(nf - 1 - b), col);
            }
        int on = c >= 32 || (in->present >> c & 1u);
        cli_draw_text(img, w, h, 3, y0 + (int)nf / 2 - 3, c < 32 ? in->labels[c] : "",
                      on ? white : grey);
    }
    char title[64];
    snprintf(title, sizeof title, "0-%.4g Hz", fmax); /* per band, 0 Hz at the bottom */
    cli_draw_text(img, w, h, LEFT, 4, title, white);
    draw_time_axis(img, w, h, xs, frames, t, TOP + plot_h + 2);
    draw_colorbar(img, w, h, LEFT + (int)(frames * xs) + 10, plot_h, lo, hi, unit);
    int rc = cli_png_write(path, img, w, h);
    free(img);
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
    "channels stacked (time on x, frequency on y) with a colour bar.\n";

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
            write_png(o.png, s, &in, nf, frames, t, nf > 1 ? 2 * f[nf - 1] - f[nf - 2] : f[0], lo,
                      hi, strcmp(o.scale, "db") == 0 ? "dB" : "") != 0)
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
