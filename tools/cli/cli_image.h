/* cli_image.h — minimal file writers of the clef program: PNG (stored deflate, no dependency)
 * and NumPy .npy (float32, C order). */
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

/* Write a float32 .npy (format 1.0, little-endian '<f4', C order) of the given shape.
 * Returns 0 on success, -1 on an I/O error. */
int cli_npy_write_f32(const char *path, const float *data, const int64_t *shape, int ndim);
/* The same for a dtype descr ('<i4', '<u2', ...) of elem_size bytes; data are written in host
 * order, so descr must say the host's ('<' on the little-endian hosts libclef supports). */
int cli_npy_write(const char *path, const char *descr, size_t elem_size, const void *data,
                  const int64_t *shape, int ndim);

/* Read a float32 .npy of 2 dimensions (C order, '<f4'); *data is malloc'd. Returns 0, or -1 with
 * a reason in why. */
int cli_npy_read_f32_2d(const char *path, float **data, int64_t *rows, int64_t *cols,
                        const char **why);

/* Colour map (viridis, piecewise linear through 9 anchors) of t in [0, 1]. */
void cli_colormap(double t, uint8_t rgb[3]);

/* Draw text with a built-in 5x7 font (characters 0-9 A-Z a-z - . space) at (x, y), pixel size
 * scale, into an RGB image of width w and height h. */
void cli_draw_text(uint8_t *rgb, uint32_t w, uint32_t h, int x, int y, const char *text,
                   const uint8_t color[3]);

#endif
