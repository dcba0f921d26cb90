/* test_cli_spectrogram.c — the clef spectrogram command's files (written by the cli_spectrogram
 * ctest fixture from tests/data/test_subsecond.edf), its picture layer (canvas, figure layout,
 * PNG through libpng) and its .npy writer and reader. Pillow decodes the pictures in
 * cli_picture.sh (check_picture.py). */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/cli/cli_plot.h"
#include "test_npy.h"

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Signature and IHDR of a PNG file: width, height, 8-bit palette. */
static void png_header(const char *path, uint32_t *w, uint32_t *h) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t b[29];
    assert_int_equal(fread(b, 1, sizeof b, f), sizeof b);
    fclose(f);
    assert_memory_equal(b, "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
    *w = rd32(b + 16);
    *h = rd32(b + 20);
    assert_int_equal(b[24], 8); /* bit depth */
    assert_int_equal(b[25], 3); /* colour type: palette */
}

/* Fills and text clip at the edges; the file holds the bytes cli_png_encode gives, a small
 * palette PNG (a flat 1000 x 1000 picture: well under 1 % of its pixels). */
static void test_canvas_png(void **state) {
    (void)state;
    cli_canvas c;
    assert_int_equal(cli_canvas_init(&c, 0, 5), -1);
    assert_int_equal(cli_canvas_init(&c, 1000, 1000), 0);
    assert_int_equal(c.px[0], CLI_BG);
    cli_fill(&c, -5, 998, 8, 10, CLI_INK); /* clipped to x 0-2, y 998-999 */
    assert_int_equal(c.px[999 * 1000 + 2], CLI_INK);
    assert_int_equal(c.px[999 * 1000 + 3], CLI_BG);
    assert_int_equal(c.px[997 * 1000], CLI_BG);
    cli_text(&c, 995, -3, "H", CLI_MUTED); /* 'H': columns 0 and 4 on rows 1-7 */
    assert_int_equal(c.px[0 * 1000 + 995], CLI_MUTED);
    assert_int_equal(c.px[0 * 1000 + 999], CLI_MUTED);
    assert_int_equal(c.px[0 * 1000 + 996], CLI_BG);
    cli_text_up(&c, 10, 100, "H",
                CLI_INK); /* rotated: 'H' row r at x 10 + r, column k at y 100 - k */
    assert_int_equal(c.px[100 * 1000 + 11], CLI_INK);
    assert_int_equal(c.px[96 * 1000 + 11], CLI_INK);
    assert_int_equal(c.px[98 * 1000 + 11], CLI_BG);
    assert_int_equal(cli_text_width("Fp1"), 18);
    assert_true(cli_level(-1) == 0 && cli_level(0.0 / 0.0) == 0 && cli_level(2) == CLI_LEVELS - 1);
    assert_int_equal(cli_level(0.5), CLI_LEVELS / 2);
    uint8_t rgb[3];
    cli_palette_rgb(0, rgb);
    assert_true(rgb[0] == 68 && rgb[1] == 2 && rgb[2] == 85); /* viridis' bottom, half a step up */
    cli_palette_rgb(CLI_BG, rgb);
    assert_true(rgb[0] == 255 && rgb[1] == 255 && rgb[2] == 255);
    const char *path = CLI_OUT_DIR "/canvas.png";
    assert_int_equal(cli_png_write(path, &c), 0);
    uint8_t *mem = NULL;
    size_t n = 0;
    assert_int_equal(cli_png_encode(&c, &mem, &n), 0);
    size_t nf = 0;
    unsigned char *file = test_read_file(path, &nf);
    assert_non_null(file);
    assert_int_equal(nf, n);
    assert_memory_equal(file, mem, n);
    assert_true(n < 10000);
    uint32_t w = 0, h = 0;
    png_header(path, &w, &h);
    assert_true(w == 1000 && h == 1000);
    assert_int_equal(cli_png_write(CLI_OUT_DIR "/no_such_dir/x.png", &c), -1);
    free(file);
    free(mem);
    cli_canvas_free(&c);
    assert_null(c.px);
}

/* Two bands of 128 rows over 0-32 Hz, frames 1 s apart from 2 s, dB in [-40, 40]. */
static cli_figure base_figure(int n_panels, int64_t n_cols) {
    return (cli_figure){.n_panels = n_panels,
                        .n_bands = 2,
                        .n_rows = 128,
                        .n_cols = n_cols,
                        .y_lo = 0,
                        .y_hi = 32,
                        .x0 = 2,
                        .dx = 1,
                        .lo = -40,
                        .hi = 40,
                        .unit = "dB"};
}

/* Panel widths: short data widened, long data averaged. */
static void test_figure_scale(void **state) {
    (void)state;
    static const int64_t cols[5] = {117, 600, 1197, 7200, 2401};
    static const int xs_want[5] = {6, 1, 1, 1, 1};
    static const int64_t step_want[5] = {1, 1, 1, 6, 3};
    static const uint32_t w_want[5] = {702, 600, 1197, 1200, 801};
    int xs = 0;
    int64_t step = 0;
    for (int i = 0; i < 5; i++) {
        cli_figure f = base_figure(1, cols[i]);
        assert_int_equal(cli_figure_scale(&f, &xs, &step), w_want[i]);
        assert_int_equal(xs, xs_want[i]);
        assert_int_equal(step, step_want[i]);
    }
    cli_figure f = base_figure(2, 117);
    assert_int_equal(cli_figure_scale(&f, &xs, &step), 351); /* 300 pixels at least */
}

/* Cells at their rows and columns; the y-axis ticks every 10 Hz of a 0-32 Hz band of 128 rows;
 * the time ticks every 10 s; band labels. */
static void test_figure_draw(void **state) {
    (void)state;
    /* band c, row b, column k = c * 40 - 40 + (b == 5) * 20 + (k >= 60) * 40 dB */
    enum { NB = 2, NR = 128, NC = 120 };
    float *v = malloc(sizeof(float) * NB * NR * NC);
    for (int c = 0; c < NB; c++)
        for (int b = 0; b < NR; b++)
            for (int k = 0; k < NC; k++)
                v[(c * NR + b) * NC + k] = (float)(c * 40 - 40 + (b == 5) * 20 + (k >= 60) * 40);
    static const char *const names[NB] = {"Fp1", "Fp2"};
    cli_figure f = base_figure(1, NC);
    f.panel[0] = (cli_panel){v, NC, "t"};
    f.band_labels = names;
    f.present = 1u; /* Fp2 missing */
    cli_canvas c;
    assert_int_equal(cli_figure_draw(&f, &c), 0);
    assert_int_equal(c.w, CLI_FIG_LEFT + 5 * NC + CLI_FIG_RIGHT);
    assert_int_equal(c.h, CLI_FIG_TOP + NB * (NR + 2) - 2 + CLI_FIG_BOTTOM);
#define PX(x, y) c.px[(size_t)(y)*c.w + (size_t)(x)]
    int bottom0 = CLI_FIG_TOP + NR - 1, bottom1 = bottom0 + NR + 2;
    assert_int_equal(PX(CLI_FIG_LEFT, bottom0), cli_level(0.0));
    assert_int_equal(PX(CLI_FIG_LEFT + 4, bottom0 - 5), cli_level(0.25)); /* row 5: +20 dB */
    assert_int_equal(PX(CLI_FIG_LEFT + 5 * 60, bottom0), cli_level(0.5)); /* column 60 */
    assert_int_equal(PX(CLI_FIG_LEFT, bottom1), cli_level(0.5));
    assert_int_equal(PX(CLI_FIG_LEFT + 5 * NC - 1, bottom1), CLI_LEVELS - 1);
    assert_int_equal(PX(CLI_FIG_LEFT + 5 * NC, bottom1), CLI_BG);
    for (int b = 0; b < 2; b++) /* the axis line, ticks at 0, 10, 20, 30 Hz (40 rows apart) */
        for (int hz = 0; hz <= 30; hz += 10) {
            int y = (b ? bottom1 : bottom0) - hz * 4;
            assert_int_equal(PX(CLI_FIG_LEFT - 1, y), CLI_INK);
            assert_int_equal(PX(CLI_FIG_LEFT - 5, y), CLI_INK);
            assert_int_equal(PX(CLI_FIG_LEFT - 5, y - 1), CLI_BG);
        }
    /* time ticks every 10 s: t at 80 + (t - 1.5) * 5 */
    int ya = CLI_FIG_TOP + NB * (NR + 2) - 2;
    for (int x = CLI_FIG_LEFT; x < CLI_FIG_LEFT + 5 * NC; x++) {
        int tick = x >= CLI_FIG_LEFT + 42 && (x - CLI_FIG_LEFT - 42) % 50 == 0 ? 1 : 0;
        assert_int_equal(PX(x, ya), CLI_INK);
        assert_int_equal(PX(x, ya + 2) == CLI_INK, tick);
    }
    /* the missing Fp2 label is grey, Fp1's ink */
    int ink = 0, muted = 0;
    for (int y = CLI_FIG_TOP; y < bottom1; y++)
        for (int x = 16; x < 16 + 18; x++) {
            ink += PX(x, y) == CLI_INK;
            muted += PX(x, y) == CLI_MUTED;
        }
    assert_true(ink > 10 && muted > 10);
#undef PX
    cli_canvas_free(&c);
    free(v);
}

/* The fixture's .npy: (19, 128, frames) float32 in [-40, 40]; Fp1 (the file's only EEG signal)
 * has structure, the missing channels are exactly -40 dB. Its picture: one pixel a frame. */
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
    png_header(CLI_OUT_DIR "/subsecond.png", &w, &h);
    assert_int_equal(w, CLI_FIG_LEFT + 695 + CLI_FIG_RIGHT);
    assert_int_equal(h, CLI_FIG_TOP + 19 * 130 - 2 + CLI_FIG_BOTTOM);
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
        cmocka_unit_test(test_canvas_png),    cmocka_unit_test(test_figure_scale),
        cmocka_unit_test(test_figure_draw),   cmocka_unit_test(test_cli_outputs),
        cmocka_unit_test(test_npy_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
