/* cli_image.c — PNG with stored deflate blocks (RFC 1950/1951, PNG spec sections 5 and 11),
 * a viridis colour map and a 5x7 bitmap font. */
#define _POSIX_C_SOURCE 200809L
#include "cli_image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t cli_crc32(uint32_t crc, const uint8_t *p, size_t n) {
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

uint32_t cli_adler32(uint32_t adler, const uint8_t *p, size_t n) {
    uint32_t a = adler & 0xffffu, b = adler >> 16;
    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    return (b << 16) | a;
}

static void be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One chunk: length, type, data, CRC over type and data. */
static int chunk(FILE *f, const char *type, const uint8_t *data, uint32_t n) {
    uint8_t hdr[8], crcb[4];
    be32(hdr, n);
    memcpy(hdr + 4, type, 4);
    uint32_t crc = cli_crc32(0, hdr + 4, 4);
    crc = cli_crc32(crc, data, n);
    be32(crcb, crc);
    return fwrite(hdr, 1, 8, f) == 8 && (n == 0 || fwrite(data, 1, n, f) == n) &&
                   fwrite(crcb, 1, 4, f) == 4
               ? 0
               : -1;
}

int cli_png_write(const char *path, const uint8_t *rgb, uint32_t width, uint32_t height) {
    size_t row = (size_t)width * 3 + 1, raw_n = row * height;
    size_t n_blocks = raw_n / 65535 + 1, z_n = 2 + raw_n + 5 * n_blocks + 4;
    if (width == 0 || height == 0 || z_n > 0x7fffffffu)
        return -1;
    uint8_t *raw = malloc(raw_n), *z = malloc(z_n);
    FILE *f = fopen(path, "wb");
    int rc = -1;
    if (raw != NULL && z != NULL && f != NULL) {
        for (uint32_t y = 0; y < height; y++) { /* filter type 0 (None) per scanline */
            raw[y * row] = 0;
            memcpy(raw + y * row + 1, rgb + (size_t)y * width * 3, (size_t)width * 3);
        }
        size_t o = 0;
        z[o++] = 0x78; /* zlib: deflate, 32 K window; FCHECK makes 0x7801 divisible by 31 */
        z[o++] = 0x01;
        for (size_t done = 0; done < raw_n || done == 0;) {
            size_t len = raw_n - done > 65535 ? 65535 : raw_n - done;
            z[o++] = done + len == raw_n ? 1 : 0; /* BFINAL, BTYPE 00 (stored) */
            z[o++] = (uint8_t)len;
            z[o++] = (uint8_t)(len >> 8);
            z[o++] = (uint8_t)~len;
            z[o++] = (uint8_t)(~len >> 8);
            memcpy(z + o, raw + done, len);
            o += len;
            done += len;
            if (len == 0)
                break;
        }
        be32(z + o, cli_adler32(1, raw, raw_n));
        o += 4;
        uint8_t ihdr[13];
        be32(ihdr, width);
        be32(ihdr + 4, height);
        ihdr[8] = 8;  /* bit depth */
        ihdr[9] = 2;  /* colour type: truecolour RGB */
        ihdr[10] = 0; /* compression: deflate */
        ihdr[11] = 0; /* filter method 0 */
        ihdr[12] = 0; /* no interlace */
        static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        if (fwrite(sig, 1, 8, f) == 8 && chunk(f, "IHDR", ihdr, 13) == 0 &&
            chunk(f, "IDAT", z, (uint32_t)o) == 0 && chunk(f, "IEND", NULL, 0) == 0)
            rc = 0;
    }
    if (f != NULL && fclose(f) != 0)
        rc = -1;
    free(raw);
    free(z);
    return rc;
}

void cli_colormap(double t, uint8_t rgb[3]) {
    /* viridis (matplotlib) sampled at 0, 1/8, ..., 1 */
    static const uint8_t k[9][3] = {{68, 1, 84},    {71, 44, 122},  {59, 81, 139},
                                    {44, 113, 142}, {33, 144, 141}, {39, 173, 129},
                                    {92, 200, 99},  {170, 220, 50}, {253, 231, 37}};
    t = t < 0 ? 0 : (t > 1 ? 1 : t);
    double x = t * 8.0;
    int i = x >= 8.0 ? 7 : (int)x;
    double a = x - i;
    for (int c = 0; c < 3; c++)
        rgb[c] = (uint8_t)(k[i][c] + a * (k[i + 1][c] - k[i][c]) + 0.5);
}

/* 5x7 glyphs, one byte per row, bit 4 = leftmost column. */
static const uint8_t *glyph(char ch) {
    static const struct {
        char c;
        uint8_t rows[7];
    } font[] = {
        {'0', {14, 17, 19, 21, 25, 17, 14}}, {'1', {4, 12, 4, 4, 4, 4, 14}},
        {'2', {14, 17, 1, 2, 4, 8, 31}},     {'3', {31, 2, 4, 2, 1, 17, 14}},
        {'4', {2, 6, 10, 18, 31, 2, 2}},     {'5', {31, 16, 30, 1, 1, 17, 14}},
        {'6', {6, 8, 16, 30, 17, 17, 14}},   {'7', {31, 1, 2, 4, 8, 8, 8}},
        {'8', {14, 17, 17, 14, 17, 17, 14}}, {'9', {14, 17, 17, 15, 1, 2, 12}},
        {'-', {0, 0, 0, 31, 0, 0, 0}},       {'.', {0, 0, 0, 0, 0, 12, 12}},
        {'A', {14, 17, 17, 31, 17, 17, 17}}, {'B', {30, 17, 17, 30, 17, 17, 30}},
        {'C', {14, 17, 16, 16, 16, 17, 14}}, {'F', {31, 16, 16, 30, 16, 16, 16}},
        {'H', {17, 17, 17, 31, 17, 17, 17}}, {'O', {14, 17, 17, 17, 17, 17, 14}},
        {'P', {30, 17, 17, 30, 16, 16, 16}}, {'T', {31, 4, 4, 4, 4, 4, 4}},
        {'d', {1, 1, 13, 19, 17, 17, 15}},   {'m', {0, 0, 26, 21, 21, 17, 17}},
        {'i', {4, 0, 12, 4, 4, 4, 14}},      {'n', {0, 0, 22, 25, 17, 17, 17}},
        {'p', {0, 0, 30, 17, 30, 16, 16}},   {'s', {0, 0, 14, 16, 14, 1, 30}},
        {'z', {0, 0, 31, 2, 4, 8, 31}},
    };
    for (size_t i = 0; i < sizeof font / sizeof font[0]; i++)
        if (font[i].c == ch)
            return font[i].rows;
    return NULL;
}

void cli_draw_text(uint8_t *rgb, uint32_t w, uint32_t h, int x, int y, const char *text,
                   const uint8_t color[3]) {
    for (; *text; text++, x += 6) {
        const uint8_t *g = glyph(*text);
        for (int r = 0; g != NULL && r < 7; r++)
            for (int c = 0; c < 5; c++) {
                int px = x + c, py = y + r;
                if ((g[r] >> (4 - c) & 1) && px >= 0 && py >= 0 && (uint32_t)px < w &&
                    (uint32_t)py < h)
                    memcpy(rgb + ((size_t)py * w + (size_t)px) * 3, color, 3);
            }
    }
}
