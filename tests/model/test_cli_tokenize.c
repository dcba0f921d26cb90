/* test_cli_tokenize.c — the files of clef train-tokenizer and clef tokenize (written by the
 * cli_tok_* ctest fixtures into CLI_TOK_DIR) checked against the library: the token .npy files
 * equal clef_tokenizer_encode on the same spectrogram, the checkpoints resume at their step,
 * the weights carry the clef.spec.* metadata, the reconstruction PNG has its layout's size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#include "clef.h"

/* A .npy of 2 dimensions: descr and shape from the header (format 1.0), data malloc'd. */
static void *read_npy(const char *path, const char *descr, size_t elem, int64_t *r, int64_t *c) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char head[10];
    assert_int_equal(fread(head, 1, 10, f), 10);
    assert_memory_equal(head, "\x93NUMPY\x01\x00", 8);
    size_t hlen = (size_t)head[8] | (size_t)head[9] << 8;
    assert_int_equal((10 + hlen) % 64, 0);
    char *dict = calloc(hlen + 1, 1);
    assert_int_equal(fread(dict, 1, hlen, f), hlen);
    char want[64];
    snprintf(want, sizeof want, "'descr': '%s'", descr);
    assert_non_null(strstr(dict, want));
    assert_non_null(strstr(dict, "'fortran_order': False"));
    long long rr = 0, cc = 0;
    const char *shape = strstr(dict, "'shape': (");
    assert_non_null(shape);
    assert_int_equal(sscanf(shape, "'shape': (%lld, %lld)", &rr, &cc), 2);
    free(dict);
    *r = rr;
    *c = cc;
    void *data = malloc((size_t)(rr * cc) * elem);
    assert_int_equal(fread(data, elem, (size_t)(rr * cc), f), (size_t)(rr * cc));
    assert_int_equal(fgetc(f), EOF);
    fclose(f);
    return data;
}

static const char *out_path(const char *name) {
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", CLI_TOK_DIR, name);
    return buf[k];
}

/* The session tokens of an EDF file through the library: what clef tokenize must write. */
static int32_t *library_tokens(clef_ctx *ctx, const char *edf, int64_t *n_frames) {
    clef_tokenizer *w = NULL, *tok = NULL;
    assert_int_equal(clef_tokenizer_load(&w, ctx, out_path("w6.safetensors")), CLEF_OK);
    assert_int_equal(clef_tokenizer_clone_crop(&tok, w, ctx, 1280), CLEF_OK);
    clef_tokenizer_free(w);
    clef_spectrogram *sg = NULL;
    assert_int_equal(clef_spectrogram_create(&sg, ctx, NULL), CLEF_OK);
    assert_int_equal(clef_tokenizer_check_spectrogram(tok, ctx, sg), CLEF_OK);
    clef_recording *rec = NULL;
    assert_int_equal(clef_recording_open(&rec, ctx, edf, NULL), CLEF_OK);
    int64_t n = 0;
    assert_int_equal(clef_recording_canonical_length(rec, 0, -1, &n), CLEF_OK);
    float *x = malloc((size_t)(19 * n) * sizeof *x);
    assert_int_equal(
        clef_recording_read_canonical(rec, 0, -1, x, (size_t)n, (size_t)(19 * n), &n, NULL),
        CLEF_OK);
    clef_recording_free(rec);
    *n_frames = clef_spectrogram_n_frames(sg, n);
    size_t need = (size_t)(19 * 128 * *n_frames);
    float *spec = malloc(need * sizeof *spec);
    assert_int_equal(clef_spectrogram_compute(sg, x, (size_t)n, 19, n, spec, need, NULL), CLEF_OK);
    int32_t *ids = malloc(2048 * sizeof *ids);
    assert_int_equal(
        clef_tokenizer_encode(tok, ctx, spec, 19, 128, *n_frames, 1, ids, 2048, NULL, 0, NULL),
        CLEF_OK);
    free(x);
    free(spec);
    clef_spectrogram_free(sg);
    clef_tokenizer_free(tok);
    return ids;
}

static void test_tokens(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    char edf[1024];
    snprintf(edf, sizeof edf, "%s/coh/edf/P000001_S01.edf", CLI_TOK_DIR);
    int64_t r = 0, c = 0, frames = 0;
    uint16_t *u = read_npy(out_path("tokens.npy"), "<u2", sizeof *u, &r, &c);
    assert_int_equal(r, 8);
    assert_int_equal(c, 256);
    int32_t *ids = library_tokens(ctx, edf, &frames);
    assert_int_equal(frames, 117); /* 120 s: (24000 - 800) / 200 + 1 */
    for (int i = 0; i < 2048; i++)
        if (u[i] != ids[i] || u[i] >= 32)
            fail_msg("synthetic session token %d: file %u, library %d", i, u[i], ids[i]);
    free(u);
    free(ids);
    /* the real recording, int32 */
    int32_t *t = read_npy(out_path("real.npy"), "<i4", sizeof *t, &r, &c);
    assert_int_equal(r * c, 2048);
    ids = library_tokens(ctx, test_data_path("test_subsecond.edf"), &frames);
    assert_memory_equal(t, ids, 2048 * sizeof *ids);
    free(t);
    free(ids);
    clef_ctx_free(ctx);
}

/* Checkpoints resume at their step; the weights carry the trained-on spectrogram. */
static void test_training_files(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    const char *ck[] = {"w4.safetensors.ckpt", "w6.safetensors.ckpt"};
    for (int i = 0; i < 2; i++) {
        clef_tokenizer_trainer *tr = NULL;
        assert_int_equal(clef_tokenizer_trainer_resume(&tr, ctx, out_path(ck[i]), NULL, 1),
                         CLEF_OK);
        assert_int_equal(clef_tokenizer_trainer_steps(tr), 4 + 2 * i);
        clef_tokenizer_trainer_free(tr);
    }
    clef_weights *w = NULL;
    const char *v = NULL;
    assert_int_equal(clef_weights_open(&w, ctx, out_path("w6.safetensors")), CLEF_OK);
    assert_int_equal(clef_weights_meta_get(w, "clef.spec.channels", &v), CLEF_OK);
    assert_string_equal(v, "Fp1,Fp2,F7,F3,Fz,F4,F8,T7,C3,Cz,C4,T8,P7,P3,Pz,P4,P8,O1,O2");
    assert_int_equal(clef_weights_meta_get(w, "clef.spec.fs", &v), CLEF_OK);
    assert_string_equal(v, "200");
    assert_int_equal(clef_weights_meta_get(w, "clef.tok.crop_t", &v), CLEF_OK);
    assert_string_equal(v, "40");
    assert_int_equal(clef_weights_meta_get(w, "clef.tok.codebook_size", &v), CLEF_OK);
    assert_string_equal(v, "32");
    clef_weights_free(w);
    clef_ctx_free(ctx);
}

/* PNG signature and IHDR: 117 frames drawn 3 pixels wide, two panels, 19 bands of 128 rows. */
static void test_png(void **state) {
    (void)state;
    FILE *f = fopen(out_path("recon.png"), "rb");
    assert_non_null(f);
    unsigned char b[24];
    assert_int_equal(fread(b, 1, 24, f), 24);
    fclose(f);
    assert_memory_equal(b, "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
    uint32_t w = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
    uint32_t h = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
    assert_int_equal(w, 40 + 2 * 117 * 3 + 8 + 8);
    assert_int_equal(h, 16 + 19 * (128 + 2) + 8);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_training_files),
        cmocka_unit_test(test_png),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
