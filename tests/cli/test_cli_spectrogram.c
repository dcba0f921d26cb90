/* test_cli_spectrogram.c — the clef spectrogram command's files (written by the cli_spectrogram
 * ctest fixture from tests/data/test_subsecond.edf) and its PNG/.npy writers, checked with
 * independent readers: table-driven CRC-32, a stored-deflate inflater with Adler-32. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/cli/cli_image.h"
#include "test_npy.h"

static uint32_t crc_table_crc(const uint8_t *p, size_t n) {
    static uint32_t table[256];
    if (table[1] == 0)
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_checksums(void **state) {
    (void)state;
    assert_int_equal(cli_crc32(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
    assert_int_equal(cli_adler32(1, (const uint8_t *)"Wikipedia", 9), 0x11E60398u);
}

/* Parse a PNG: chunk CRCs, IHDR, the zlib stream of stored blocks, Adler-32; returns the
 * inflated scanlines (malloc'd). */
static uint8_t *read_png(const char *path, uint32_t *w, uint32_t *h) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n), *z = malloc(n);
    assert_int_equal(fread(b, 1, n, f), n);
    fclose(f);
    assert_memory_equal(b, "\x89PNG\r\n\x1a\n", 8);
    size_t o = 8, zn = 0;
    int seen_end = 0;
    while (o + 12 <= n && !seen_end) {
        uint32_t len = rd32(b + o);
        assert_true(o + 12 + len <= n);
        assert_int_equal(crc_table_crc(b + o + 4, len + 4), rd32(b + o + 8 + len));
        if (memcmp(b + o + 4, "IHDR", 4) == 0) {
            *w = rd32(b + o + 8);
            *h = rd32(b + o + 12);
            assert_int_equal(b[o + 16], 8);
            assert_int_equal(b[o + 17], 2);
        } else if (memcmp(b + o + 4, "IDAT", 4) == 0) {
            memcpy(z + zn, b + o + 8, len);
            zn += len;
        } else if (memcmp(b + o + 4, "IEND", 4) == 0) {
            seen_end = 1;
        }
        o += 12 + len;
    }
    assert_true(seen_end && o == n);
    assert_int_equal((z[0] * 256 + z[1]) % 31, 0);
    size_t raw_n = (size_t)(*w * 3 + 1) * *h, r = 0, zi = 2;
    uint8_t *raw = malloc(raw_n);
    for (int last = 0; !last;) {
        last = z[zi] & 1;
        assert_int_equal(z[zi] >> 1 & 3, 0); /* stored */
        size_t len = z[zi + 1] | (size_t)z[zi + 2] << 8;
        assert_int_equal(len ^ 0xffffu, z[zi + 3] | (size_t)z[zi + 4] << 8);
        assert_true(r + len <= raw_n);
        memcpy(raw + r, z + zi + 5, len);
        r += len;
        zi += 5 + len;
    }
    assert_int_equal(r, raw_n);
    uint32_t a = 1, bb = 0;
    for (size_t i = 0; i < raw_n; i++) {
        a = (a + raw[i]) % 65521;
        bb = (bb + a) % 65521;
    }
    assert_int_equal(bb << 16 | a, rd32(z + zi));
    free(b);
    free(z);
    return raw;
}

static void test_png_roundtrip(void **state) {
    (void)state;
    enum { W = 300, H = 250 }; /* > 65535 bytes: several stored blocks */
    uint8_t *img = malloc(W * H * 3);
    for (int i = 0; i < W * H * 3; i++)
        img[i] = (uint8_t)(i * 7 + i / 11);
    assert_int_equal(cli_png_write(CLI_OUT_DIR "/roundtrip.png", img, W, H), 0);
    uint32_t w = 0, h = 0;
    uint8_t *raw = read_png(CLI_OUT_DIR "/roundtrip.png", &w, &h);
    assert_int_equal(w, W);
    assert_int_equal(h, H);
    for (int y = 0; y < H; y++) {
        assert_int_equal(raw[y * (W * 3 + 1)], 0);
        assert_memory_equal(raw + y * (W * 3 + 1) + 1, img + y * W * 3, W * 3);
    }
    free(raw);
    free(img);
}

/* The fixture's .npy: (19, 128, frames) float32 in [-40, 40]; Fp1 (the file's only EEG signal)
 * has structure, the missing channels are exactly -40 dB. */
static void test_cli_outputs(void **state) {
    (void)state;
    test_npy a;
    test_npy_load_cli(CLI_OUT_DIR "/subsecond.npy", 'f', 4, 3, &a);
    int64_t ch = a.shape[0], nf = a.shape[1], frames = a.shape[2];
    assert_int_equal(ch, 19);
    assert_int_equal(nf, 128);
    assert_int_equal(frames, 695); /* 698 s at 200 Hz: (139,600 - 800) / 200 + 1 */
    const float *s = a.data;
    double fp1 = 0;
    for (long long i = 0; i < ch * nf * frames; i++) {
        assert_true(s[i] >= -40.0f && s[i] <= 40.0f);
        if (i < nf * frames)
            fp1 += s[i];
        else
            assert_true(s[i] == -40.0f);
    }
    fp1 /= (double)(nf * frames);
    assert_true(fp1 > -30 && fp1 < 20);
    uint32_t w = 0, h = 0;
    uint8_t *raw = read_png(CLI_OUT_DIR "/subsecond.png", &w, &h);
    assert_true(w > 695 && h > 19 * 128);
    free(raw);
    test_npy_free(&a);
}

/* The .npy writer and reader: dtypes and shapes round-trip; other layouts are refused with a
 * reason. */
static void test_npy_roundtrip(void **state) {
    (void)state;
    const char *path = CLI_OUT_DIR "/roundtrip.npy";
    int32_t v[6] = {-3, 0, 1, 2147483647, -2147483647 - 1, 7};
    int64_t shape[3] = {3, 2, 1};
    test_npy a;
    assert_int_equal(cli_npy_write(path, "<i4", sizeof *v, v, shape, 2), 0);
    test_npy_load_cli(path, 'i', 4, 2, &a);
    assert_true(a.shape[0] == 3 && a.shape[1] == 2 && a.count == 6);
    assert_memory_equal(a.data, v, sizeof v);
    test_npy_free(&a);
    float f[3] = {0.5f, -1.0f, 3.25f};
    assert_int_equal(cli_npy_write_f32(path, f, shape + 1, 1), 0); /* shape (2,): 2 of 3 */
    float *x = NULL;
    int64_t r = 0, c = 0;
    const char *why = NULL;
    assert_int_equal(cli_npy_read_f32_2d(path, &x, &r, &c, &why), -1);
    assert_non_null(strstr(why, "float32"));
    assert_int_equal(cli_npy_write_f32(path, f, shape + 1, 2), 0); /* shape (2, 1) */
    assert_int_equal(cli_npy_read_f32_2d(path, &x, &r, &c, &why), 0);
    assert_true(r == 2 && c == 1 && x[0] == 0.5f && x[1] == -1.0f);
    free(x);
    /* Fortran order, big-endian, truncated */
    static const char *const bad[3][2] = {
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", "C order"},
        {"{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", "little-endian"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (9,), }", "truncated data"}};
    for (int k = 0; k < 3; k++) {
        FILE *fp = fopen(path, "wb");
        assert_non_null(fp);
        size_t n = strlen(bad[k][0]);
        uint8_t head[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (uint8_t)n, 0};
        assert_int_equal(fwrite(head, 1, 10, fp), 10);
        assert_int_equal(fwrite(bad[k][0], 1, n, fp), n);
        assert_int_equal(fwrite(f, sizeof f[0], 3, fp), 3);
        fclose(fp);
        assert_int_equal(cli_npy_read(path, &a, &why), -1);
        assert_non_null(strstr(why, bad[k][1]));
        assert_null(a.data);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksums),
        cmocka_unit_test(test_png_roundtrip),
        cmocka_unit_test(test_cli_outputs),
        cmocka_unit_test(test_npy_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
