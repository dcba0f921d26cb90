/* cli_plot.h — the clef program's spectrogram figures: bands (channels) stacked top to bottom,
 * one or two panels side by side, labelled axes (frequency in Hz on y, per band; time in s on
 * x), a colour bar with its unit, as a small palette PNG (cli_image.h). */
#ifndef CLEF_CLI_PLOT_H
#define CLEF_CLI_PLOT_H

#include <stdint.h>

#include "cli_image.h"

/* Layout in pixels: margins around the panels, rows between bands, the gap between panels.
 * A panel is n_cols * xs / step pixels wide (cli_figure_scale); a band n_rows pixels high. */
enum {
    CLI_FIG_LEFT = 80,
    CLI_FIG_RIGHT = 76,
    CLI_FIG_TOP = 20,
    CLI_FIG_BOTTOM = 38,
    CLI_FIG_BAND_GAP = 2,
    CLI_FIG_PANEL_GAP = 16,
    CLI_FIG_MIN_W = 600, /* narrower data is widened (each column repeated xs times) */
    CLI_FIG_MAX_W = 1200 /* wider data is averaged over step columns per pixel */
};

/* Column k of row b (b = 0 lowest) of band c is v[(c * n_rows + b) * stride + k]. */
typedef struct cli_panel {
    const float *v;
    int64_t stride;
    const char *title; /* above the panel, or NULL */
} cli_panel;

typedef struct cli_figure {
    cli_panel panel[2];
    int n_panels;                    /* 1 or 2, sharing bands, rows, columns, axes */
    int64_t n_bands, n_rows, n_cols; /* n_cols shown of each panel */
    const char *const *band_labels;  /* n_bands names at the left, or NULL */
    uint32_t present;                /* bit c: band c has data (else its label is grey) */
    double y_lo, y_hi;               /* y at a band's bottom and top edges (Hz) */
    double x0, dx;                   /* column k is centred at x = x0 + k * dx (s) */
    double lo, hi;                   /* colour range: lo is the map's bottom, hi its top */
    const char *unit;                /* the colour bar's unit ("dB"), or "" */
} cli_figure;

/* Horizontal scale of f's panels: each column drawn xs pixels wide, step columns averaged into
 * one (one of them is 1); returns a panel's width in pixels. */
uint32_t cli_figure_scale(const cli_figure *f, int *xs, int64_t *step);

/* Draw f onto a new canvas (freed by the caller): 0, or -1 (no memory). */
int cli_figure_draw(const cli_figure *f, cli_canvas *out);

/* Draw f and write it as a PNG: 0, or -1 (errno set on an I/O error). */
int cli_figure_png(const cli_figure *f, const char *path);

#endif
