/* cli_image.c — indexed canvas, viridis palette, 6x10 font, PNG through libpng. */
#define _POSIX_C_SOURCE 200809L
#include "cli_image.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_font_tab.h"

int cli_canvas_init(cli_canvas *c, uint32_t w, uint32_t h) {
    c->w = c->h = 0;
    c->px = NULL;
    if (w == 0 || h == 0 || w > (1u << 24) || h > (1u << 24))
        return -1;
    if ((c->px = malloc((size_t)w * h)) == NULL)
        return -1;
    memset(c->px, CLI_BG, (size_t)w * h);
    c->w = w;
    c->h = h;
    return 0;
}

void cli_canvas_free(cli_canvas *c) {
    free(c->px);
    c->px = NULL;
    c->w = c->h = 0;
}

void cli_fill(cli_canvas *c, int x, int y, int w, int h, uint8_t colour) {
    int x1 = x + w, y1 = y + h;
    x = x < 0 ? 0 : x;
    y = y < 0 ? 0 : y;
    x1 = x1 > (int)c->w ? (int)c->w : x1;
    y1 = y1 > (int)c->h ? (int)c->h : y1;
    for (int r = y; r < y1 && x < x1; r++)
        memset(c->px + (size_t)r * c->w + (size_t)x, colour, (size_t)(x1 - x));
}

uint8_t cli_level(double t) {
    if (!(t > 0)) /* also NaN */
        return 0;
    return t >= 1 ? CLI_LEVELS - 1 : (uint8_t)(t * CLI_LEVELS);
}

void cli_palette_rgb(uint8_t index, uint8_t rgb[3]) {
    /* viridis (matplotlib) at 0, 1/16, ..., 1, linear between: within 5 of it per channel */
    static const uint8_t k[17][3] = {{68, 1, 84},    {72, 24, 106},  {71, 45, 123},  {66, 64, 134},
                                     {59, 82, 139},  {51, 99, 141},  {44, 114, 142}, {38, 130, 142},
                                     {33, 145, 140}, {31, 160, 136}, {40, 174, 128}, {63, 188, 115},
                                     {94, 201, 98},  {132, 212, 75}, {173, 220, 48}, {216, 226, 25},
                                     {253, 231, 37}};
    static const uint8_t plain[CLI_N_COLOURS - CLI_LEVELS][3] = {
        {255, 255, 255}, {20, 20, 20}, {150, 150, 150}};
    if (index >= CLI_LEVELS) {
        memcpy(rgb, plain[index < CLI_N_COLOURS ? index - CLI_LEVELS : 0], 3);
        return;
    }
    double x = (index + 0.5) / CLI_LEVELS * 16.0;
    int i = x >= 16.0 ? 15 : (int)x;
    double a = x - i;
    for (int ch = 0; ch < 3; ch++)
        rgb[ch] = (uint8_t)(k[i][ch] + a * (k[i + 1][ch] - k[i][ch]) + 0.5);
}

static const uint8_t *glyph(char ch) {
    return ch >= 32 && ch <= 126 ? k_font6x10[ch - 32] : k_font6x10[0];
}

static void put(cli_canvas *c, int x, int y, uint8_t colour) {
    if (x >= 0 && y >= 0 && (uint32_t)x < c->w && (uint32_t)y < c->h)
        c->px[(size_t)y * c->w + (size_t)x] = colour;
}

void cli_text(cli_canvas *c, int x, int y, const char *text, uint8_t colour) {
    for (; *text; text++, x += CLI_FONT_W) {
        const uint8_t *g = glyph(*text);
        for (int r = 0; r < CLI_FONT_H; r++)
            for (int k = 0; k < CLI_FONT_W; k++)
                if (g[r] >> (CLI_FONT_W - 1 - k) & 1)
                    put(c, x + k, y + r, colour);
    }
}

void cli_text_up(cli_canvas *c, int x, int y, const char *text, uint8_t colour) {
    for (; *text; text++, y -= CLI_FONT_W) { /* rotated 90 degrees anticlockwise */
        const uint8_t *g = glyph(*text);
        for (int r = 0; r < CLI_FONT_H; r++)
            for (int k = 0; k < CLI_FONT_W; k++)
                if (g[r] >> (CLI_FONT_W - 1 - k) & 1)
                    put(c, x + r, y - k, colour);
    }
}

int cli_text_width(const char *text) { return (int)strlen(text) * CLI_FONT_W; }

typedef struct membuf {
    uint8_t *p;
    size_t n, cap;
    int failed;
} membuf;

static void mem_write(png_structp png, png_bytep data, png_size_t n) {
    membuf *m = png_get_io_ptr(png);
    if (m->failed)
        return;
    if (m->n + n > m->cap) {
        size_t cap = m->cap ? m->cap : 65536;
        while (cap < m->n + n)
            cap *= 2;
        uint8_t *p = realloc(m->p, cap);
        if (p == NULL) {
            m->failed = 1;
            return;
        }
        m->p = p;
        m->cap = cap;
    }
    memcpy(m->p + m->n, data, n);
    m->n += n;
}

static void mem_flush(png_structp png) { (void)png; }

/* Encode through libpng into m; 0 or -1 (libpng errors longjmp back here). */
static int encode(const cli_canvas *c, membuf *m) {
    png_color pal[CLI_N_COLOURS];
    for (int i = 0; i < CLI_N_COLOURS; i++) {
        uint8_t rgb[3];
        cli_palette_rgb((uint8_t)i, rgb);
        pal[i] = (png_color){rgb[0], rgb[1], rgb[2]};
    }
    png_bytep *rows = malloc((size_t)c->h * sizeof *rows);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png != NULL ? png_create_info_struct(png) : NULL;
    volatile int rc = -1; /* read after a longjmp */
    if (rows != NULL && info != NULL && c->px != NULL && !setjmp(png_jmpbuf(png))) {
        for (uint32_t y = 0; y < c->h; y++)
            rows[y] = c->px + (size_t)y * c->w;
        png_set_write_fn(png, m, mem_write, mem_flush);
        png_set_IHDR(png, info, c->w, c->h, 8, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE,
                     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_set_PLTE(png, info, pal, CLI_N_COLOURS);
        png_set_compression_level(png, 9);
        png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_ALL_FILTERS);
        png_write_info(png, info);
        png_write_image(png, rows);
        png_write_end(png, info);
        rc = m->failed ? -1 : 0;
    }
    png_destroy_write_struct(&png, &info);
    free(rows);
    return rc;
}

int cli_png_encode(const cli_canvas *c, uint8_t **out, size_t *n) {
    membuf m = {NULL, 0, 0, 0};
    *out = NULL;
    *n = 0;
    if (encode(c, &m) != 0) {
        free(m.p);
        return -1;
    }
    *out = m.p;
    *n = m.n;
    return 0;
}

int cli_png_write(const char *path, const cli_canvas *c) {
    uint8_t *b = NULL;
    size_t n = 0;
    if (cli_png_encode(c, &b, &n) != 0)
        return -1;
    FILE *f = fopen(path, "wb");
    int rc = f != NULL && fwrite(b, 1, n, f) == n ? 0 : -1;
    if (f != NULL && fclose(f) != 0)
        rc = -1;
    free(b);
    return rc;
}
