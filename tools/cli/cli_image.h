/* cli_image.h — the clef program's pictures: an indexed canvas (one palette byte a pixel), a
 * colour map, a 6x10 bitmap font, and PNG output through libpng. */
#ifndef CLEF_CLI_IMAGE_H
#define CLEF_CLI_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Palette: CLI_LEVELS colour-map steps (viridis, low to high), then the plain colours. One
 * byte a pixel keeps the PNG at about a byte per data cell before compression, and the ordered
 * palette lets PNG's Sub/Up filters see smooth data as small differences. */
enum {
    CLI_LEVELS = 128,
    CLI_BG = CLI_LEVELS, /* background: white */
    CLI_INK,             /* text, ticks: near black */
    CLI_MUTED,           /* labels of missing channels: grey */
    CLI_N_COLOURS
};

typedef struct cli_canvas {
    uint32_t w, h;
    uint8_t *px; /* [h][w] palette indices, rows top to bottom */
} cli_canvas;

/* A w x h canvas filled with CLI_BG: 0, or -1 (no memory, or a size over 2^24 a side). */
int cli_canvas_init(cli_canvas *c, uint32_t w, uint32_t h);
void cli_canvas_free(cli_canvas *c);

/* Fill the rectangle [x, x + w) x [y, y + h), clipped to the canvas. */
void cli_fill(cli_canvas *c, int x, int y, int w, int h, uint8_t colour);

/* Colour-map step of t in [0, 1] (clamped; NaN is the lowest), and any palette entry's RGB. */
uint8_t cli_level(double t);
void cli_palette_rgb(uint8_t index, uint8_t rgb[3]);

/* Text in the built-in 6x10 font (printable ASCII; others are blank), its cell's top-left
 * corner at (x, y), clipped. Vertical text reads bottom to top, (x, y) its cells' bottom-left
 * corner. Each character advances CLI_FONT_W pixels. */
enum { CLI_FONT_W = 6, CLI_FONT_H = 10 };
void cli_text(cli_canvas *c, int x, int y, const char *text, uint8_t colour);
void cli_text_up(cli_canvas *c, int x, int y, const char *text, uint8_t colour);
int cli_text_width(const char *text);

/* The canvas as an 8-bit palette PNG (zlib level 9, adaptive filters): to a file (0, or -1 on
 * an I/O error), or to a malloc'd buffer *out of *n bytes (0, or -1 with *out NULL). */
int cli_png_write(const char *path, const cli_canvas *c);
int cli_png_encode(const cli_canvas *c, uint8_t **out, size_t *n);

#endif
