/* cli_image.h — the clef program's pictures: PNG (stored deflate, no dependency), a colour map
 * and a bitmap font. */
#ifndef CLEF_CLI_IMAGE_H
#define CLEF_CLI_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Write an 8-bit RGB PNG of width x height pixels (rgb: rows top to bottom, 3 bytes per pixel).
 * Returns 0 on success, -1 on an I/O error (errno set). */
int cli_png_write(const char *path, const uint8_t *rgb, uint32_t width, uint32_t height);

/* CRC-32 (ISO 3309, as PNG) and Adler-32 (RFC 1950) of n bytes, continuing from crc/adler. */
uint32_t cli_crc32(uint32_t crc, const uint8_t *p, size_t n);
uint32_t cli_adler32(uint32_t adler, const uint8_t *p, size_t n);

/* Colour map (viridis, piecewise linear through 9 anchors) of t in [0, 1]. */
void cli_colormap(double t, uint8_t rgb[3]);

/* Draw text with a built-in 5x7 font (characters 0-9 A-Z a-z - . space) at (x, y), pixel size
 * scale, into an RGB image of width w and height h. */
void cli_draw_text(uint8_t *rgb, uint32_t w, uint32_t h, int x, int y, const char *text,
                   const uint8_t color[3]);

#endif
