/* cli_plot.c — stacked-band spectrogram figures with labelled axes and a colour bar. */
#include "cli_plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Smallest 1, 2 or 5 x 10^k whose ticks lie at least min_px apart at px_per_unit. */
static double nice_step(double px_per_unit, double min_px) {
    double want = min_px / px_per_unit, p = pow(10.0, floor(log10(want)));
    static const double m[4] = {1, 2, 5, 10};
    for (int i = 0; i < 4; i++)
        if (m[i] * p >= want * (1 - 1e-9))
            return m[i] * p;
    return 10 * p;
}

/* v with as many decimals as step needs, without the locale (main() sets the user's, whose
 * decimal comma the font would draw). */
static void fmt_tick(char *buf, size_t cap, double v, double step) {
    int d = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    double scale = pow(10.0, d);
    long long m = llround(v * scale), whole = llabs(m) / (long long)scale;
    long long frac = llabs(m) % (long long)scale;
    if (d == 0)
        snprintf(buf, cap, "%s%lld", m < 0 ? "-" : "", whole);
    else
        snprintf(buf, cap, "%s%lld.%0*lld", m < 0 ? "-" : "", whole, d, frac);
}

uint32_t cli_figure_scale(const cli_figure *f, int *xs, int64_t *step) {
    int64_t lo = CLI_FIG_MIN_W / f->n_panels, hi = CLI_FIG_MAX_W / f->n_panels;
    *xs = f->n_cols >= lo ? 1 : (int)((lo + f->n_cols - 1) / f->n_cols);
    *step = f->n_cols > hi ? (f->n_cols + hi - 1) / hi : 1;
    return (uint32_t)((f->n_cols + *step - 1) / *step * *xs);
}

/* One panel's cells: band c's row b at n_rows - 1 - b below the band's top. */
static void draw_cells(cli_canvas *c, const cli_figure *f, const cli_panel *p, int x_left, int xs,
                       int64_t step) {
    for (int64_t band = 0; band < f->n_bands; band++) {
        int y0 = CLI_FIG_TOP + (int)(band * (f->n_rows + CLI_FIG_BAND_GAP));
        for (int64_t b = 0; b < f->n_rows; b++) {
            const float *row = p->v + (band * f->n_rows + b) * p->stride;
            for (int64_t k0 = 0, px = 0; k0 < f->n_cols; k0 += step, px++) {
                int64_t k1 = k0 + step < f->n_cols ? k0 + step : f->n_cols;
                double sum = 0;
                for (int64_t k = k0; k < k1; k++)
                    sum += row[k];
                double t = (sum / (double)(k1 - k0) - f->lo) / (f->hi - f->lo);
                cli_fill(c, x_left + (int)(px * xs), y0 + (int)(f->n_rows - 1 - b), xs, 1,
                         cli_level(t));
            }
        }
    }
}

/* Per band: its label, an axis line, ticks at nice frequencies, labels that fit in the band. */
static void draw_y_axis(cli_canvas *c, const cli_figure *f, int plot_h) {
    double span = f->y_hi - f->y_lo, step = nice_step((double)f->n_rows / span, 2.4 * CLI_FONT_H);
    for (int64_t band = 0; band < f->n_bands; band++) {
        int y0 = CLI_FIG_TOP + (int)(band * (f->n_rows + CLI_FIG_BAND_GAP));
        int bottom = y0 + (int)f->n_rows - 1;
        const char *name = f->band_labels != NULL ? f->band_labels[band] : "";
        int on = band >= 32 || (f->present >> band & 1u);
        cli_text(c, 16, y0 + (int)f->n_rows / 2 - CLI_FONT_H / 2, name, on ? CLI_INK : CLI_MUTED);
        cli_fill(c, CLI_FIG_LEFT - 1, y0, 1, (int)f->n_rows, CLI_INK);
        for (double j = ceil(f->y_lo / step - 1e-9); j * step <= f->y_hi + 1e-9 * span; j++) {
            double rows = (j * step - f->y_lo) / span * (double)f->n_rows;
            int y = bottom - (int)floor(rows < (double)f->n_rows ? rows : (double)f->n_rows - 1);
            cli_fill(c, CLI_FIG_LEFT - 5, y, 4, 1, CLI_INK);
            char lab[24];
            fmt_tick(lab, sizeof lab, j * step, step);
            int top = y - 4; /* digits occupy rows 1-7 of a cell */
            if (top >= y0 - 1 && top + CLI_FONT_H <= bottom + 1 + CLI_FIG_BAND_GAP)
                cli_text(c, CLI_FIG_LEFT - 7 - cli_text_width(lab), top, lab, CLI_INK);
        }
    }
    static const char name[] = "frequency (Hz)";
    cli_text_up(c, 2, CLI_FIG_TOP + plot_h / 2 + cli_text_width(name) / 2, name, CLI_INK);
}

/* Under one panel: an axis line, ticks at nice times, their labels, "time (s)". */
static void draw_x_axis(cli_canvas *c, const cli_figure *f, int x_left, int pw, int xs,
                        int64_t step, int y) {
    double px_per_s = xs / ((double)step * f->dx);
    double x_end = f->x0 + ((double)f->n_cols - 0.5) * f->dx;
    char lab[24];
    fmt_tick(lab, sizeof lab, x_end, 1);
    double ts = nice_step(px_per_s, cli_text_width(lab) + 3.0 * CLI_FONT_W > 40
                                        ? cli_text_width(lab) + 3.0 * CLI_FONT_W
                                        : 40);
    cli_fill(c, x_left, y, pw, 1, CLI_INK);
    for (double j = ceil((f->x0 - 0.5 * f->dx) / ts - 1e-9); j * ts <= x_end + 1e-9; j++) {
        int x = x_left + (int)floor(((j * ts - f->x0) / f->dx + 0.5) * px_per_s * f->dx);
        if (x >= x_left + pw)
            x = x_left + pw - 1;
        cli_fill(c, x, y + 1, 1, 4, CLI_INK);
        fmt_tick(lab, sizeof lab, j * ts, ts);
        cli_text(c, x - cli_text_width(lab) / 2, y + 6, lab, CLI_INK);
    }
    static const char name[] = "time (s)";
    cli_text(c, x_left + pw / 2 - cli_text_width(name) / 2, y + 6 + CLI_FONT_H + 4, name, CLI_INK);
}

/* The colour map from hi (top) to lo, ticks at nice values, the unit above. */
static void draw_colour_bar(cli_canvas *c, const cli_figure *f, int x, int plot_h) {
    int bar_h = plot_h < 256 ? plot_h : 256;
    for (int r = 0; r < bar_h; r++)
        cli_fill(c, x, CLI_FIG_TOP + r, 14, 1, cli_level(1.0 - (r + 0.5) / bar_h));
    double range = f->hi - f->lo, step = nice_step((bar_h - 1) / range, 2.4 * CLI_FONT_H);
    for (double j = ceil(f->lo / step - 1e-9); j * step <= f->hi + 1e-9 * range; j++) {
        int y = CLI_FIG_TOP + (int)floor((f->hi - j * step) / range * (bar_h - 1) + 0.5);
        cli_fill(c, x + 14, y, 4, 1, CLI_INK);
        char lab[24];
        fmt_tick(lab, sizeof lab, j * step, step);
        cli_text(c, x + 20, y - 4, lab, CLI_INK);
    }
    cli_text(c, x, CLI_FIG_TOP - CLI_FONT_H - 4, f->unit, CLI_INK);
}

int cli_figure_draw(const cli_figure *f, cli_canvas *out) {
    int xs = 1;
    int64_t step = 1;
    int pw = (int)cli_figure_scale(f, &xs, &step);
    int plot_h = (int)(f->n_bands * (f->n_rows + CLI_FIG_BAND_GAP) - CLI_FIG_BAND_GAP);
    int panels_w = f->n_panels * pw + (f->n_panels - 1) * CLI_FIG_PANEL_GAP;
    uint32_t w = (uint32_t)(CLI_FIG_LEFT + panels_w + CLI_FIG_RIGHT);
    if (cli_canvas_init(out, w, (uint32_t)(CLI_FIG_TOP + plot_h + CLI_FIG_BOTTOM)) != 0)
        return -1;
    for (int i = 0; i < f->n_panels; i++) {
        int x_left = CLI_FIG_LEFT + i * (pw + CLI_FIG_PANEL_GAP);
        draw_cells(out, f, &f->panel[i], x_left, xs, step);
        draw_x_axis(out, f, x_left, pw, xs, step, CLI_FIG_TOP + plot_h);
        if (f->panel[i].title != NULL)
            cli_text(out, x_left, 4, f->panel[i].title, CLI_INK);
    }
    draw_y_axis(out, f, plot_h);
    draw_colour_bar(out, f, CLI_FIG_LEFT + panels_w + 12, plot_h);
    return 0;
}

int cli_figure_png(const cli_figure *f, const char *path) {
    cli_canvas c;
    if (cli_figure_draw(f, &c) != 0)
        return -1;
    int rc = cli_png_write(path, &c);
    cli_canvas_free(&c);
    return rc;
}
