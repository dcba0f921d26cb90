/* test_weights_bind.c — binding a file to an architecture layout: all tensors or nothing, errors
 * naming the tensor and both shapes, F16/BF16 widened, extras refused unless allowed. */
#include "test_support.h"
#include "weights_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_int.h"

/* A tiny two-component model: "enc." (layout below) and "tok." (ignored by the encoder). */
#define ENC_TENSORS(X)                                                                             \
    X("enc.embed.weight", 2, 5, 4)                                                                 \
    X("enc.ln.weight", 1, 4)                                                                       \
    X("enc.ln.bias", 1, 4)                                                                         \
    X("enc.head.weight", 2, 3, 4)                                                                  \
    X("enc.temp", 0, 0)

static clef_status enc_layout(clefi_layout *lay, clef_ctx *ctx) {
    clefi_layout_init(lay, ctx);
    clef_status rc = CLEF_OK;
#define X(name, rank, ...)                                                                         \
    if (rc == CLEF_OK)                                                                             \
        rc = clefi_layout_add(lay, name, rank, (const int64_t[]){__VA_ARGS__});
    ENC_TENSORS(X)
#undef X
    if (rc != CLEF_OK)
        clefi_layout_free(lay);
    return rc;
}

/* value of element i of tensor t, as written */
static float val(int t, size_t i) { return (float)t + 0.125f * (float)i; }

/* Write the model; tweak: 0 = exact, 1 = enc.ln.bias missing, 2 = head transposed,
 * 3 = ln.weight stored as I32, 4 = an extra enc tensor. */
static clef_weights *model(clef_ctx *ctx, int tweak) {
    clef_weights_writer *wr;
    assert_int_equal(clef_weights_writer_create(&wr, ctx), CLEF_OK);
    float buf[64];
    int t = 0;
#define X(name, rank, ...)                                                                         \
    {                                                                                              \
        int64_t shape[] = {__VA_ARGS__};                                                           \
        size_t n = 1;                                                                              \
        for (int d = 0; d < rank; d++)                                                             \
            n *= (size_t)shape[d];                                                                 \
        for (size_t i = 0; i < n; i++)                                                             \
            buf[i] = val(t, i);                                                                    \
        int32_t dt = t % 3 == 0 ? CLEF_DTYPE_F32 : t % 3 == 1 ? CLEF_DTYPE_F16 : CLEF_DTYPE_BF16;  \
        if (tweak == 2 && strcmp(name, "enc.head.weight") == 0) {                                  \
            shape[0] = 4;                                                                          \
            shape[1] = 3;                                                                          \
        }                                                                                          \
        if (tweak == 3 && strcmp(name, "enc.ln.weight") == 0)                                      \
            assert_int_equal(                                                                      \
                clef_weights_writer_add_raw(wr, name, CLEF_DTYPE_I32, shape, rank, buf, n * 4),    \
                CLEF_OK);                                                                          \
        else if (!(tweak == 1 && strcmp(name, "enc.ln.bias") == 0))                                \
            assert_int_equal(clef_weights_writer_add_f32(wr, name, dt, shape, rank, buf, n),       \
                             CLEF_OK);                                                             \
        t++;                                                                                       \
    }
    ENC_TENSORS(X)
#undef X
    float other[2] = {1, 2};
    assert_int_equal(clef_weights_writer_add_f32(wr, "tok.codebook", CLEF_DTYPE_F32,
                                                 (const int64_t[]){2}, 1, other, 2),
                     CLEF_OK);
    if (tweak == 4)
        assert_int_equal(clef_weights_writer_add_f32(wr, "enc.stray", CLEF_DTYPE_F32,
                                                     (const int64_t[]){1, 2}, 2, other, 2),
                         CLEF_OK);
    const char *dir = wt_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s", wt_path(dir, "m.safetensors"));
    assert_int_equal(clef_weights_writer_write(wr, path), CLEF_OK);
    clef_weights_writer_free(wr);
    clef_weights *w;
    assert_int_equal(clef_weights_open(&w, ctx, path), CLEF_OK);
    wt_rmdir(dir); /* the mapping outlives the file name */
    return w;
}

#define SENTINEL 12345.0f

static void fill(float *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        p[i] = SENTINEL;
}

static void assert_untouched(const float *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != SENTINEL)
            fail_msg("destination written at %zu by a failed bind", i);
}

static void test_bind_ok(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clefi_layout lay;
    assert_int_equal(enc_layout(&lay, ctx), CLEF_OK);
    assert_int_equal(lay.n, 5);
    assert_int_equal(lay.total, 20 + 4 + 4 + 12 + 1);
    assert_int_equal(lay.t[3].offset, 28);
    clef_weights *w = model(ctx, 0);
    float *dst = malloc(lay.total * sizeof *dst);
    /* the file also holds tok.*: refused without a scope, accepted with "enc." or ALLOW_EXTRA */
    fill(dst, lay.total);
    assert_int_equal(clefi_weights_bind(w, &lay, dst, lay.total, NULL, 0, NULL), CLEF_ERR_FORMAT);
    wt_assert_msg(clef_weights_errmsg(w), "unexpected tensor 'tok.codebook' [2]");
    assert_untouched(dst, lay.total);
    assert_int_equal(
        clefi_weights_bind(w, &lay, dst, lay.total, NULL, CLEFI_BIND_ALLOW_EXTRA, NULL), CLEF_OK);
    fill(dst, lay.total);
    assert_int_equal(clefi_weights_bind(w, &lay, dst, lay.total, "enc.", 0, NULL), CLEF_OK);
    for (size_t t = 0; t < lay.n; t++)
        for (size_t i = 0; i < lay.t[t].numel; i++) {
            float want = val((int)t, i);
            int32_t dt = t % 3 == 0   ? CLEF_DTYPE_F32
                         : t % 3 == 1 ? CLEF_DTYPE_F16
                                      : CLEF_DTYPE_BF16;
            if (dt == CLEF_DTYPE_F16)
                want = clefi_f16_to_f32(clefi_f32_to_f16(want));
            else if (dt == CLEF_DTYPE_BF16)
                want = clefi_bf16_to_f32(clefi_f32_to_bf16(want));
            if (dst[lay.t[t].offset + i] != want)
                fail_msg("%s[%zu]: got %g want %g", lay.t[t].name, i,
                         (double)dst[lay.t[t].offset + i], (double)want);
        }
    assert_int_equal(clefi_layout_find(&lay, "enc.ln.bias"), 2);
    assert_int_equal(clefi_layout_find(&lay, "nope"), -1);
    /* destination too small */
    assert_int_equal(clefi_weights_bind(w, &lay, dst, lay.total - 1, "enc.", 0, NULL),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    free(dst);
    clef_weights_free(w);
    clefi_layout_free(&lay);
    clef_ctx_free(ctx);
}

static void test_bind_errors(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clefi_layout lay;
    assert_int_equal(enc_layout(&lay, ctx), CLEF_OK);
    float *dst = malloc(lay.total * sizeof *dst);
    struct {
        int tweak;
        clef_status code;
        const char *msg;
    } cases[] = {
        {1, CLEF_ERR_NOT_FOUND, "tensor 'enc.ln.bias' [4] missing from the file"},
        {2, CLEF_ERR_SHAPE,
         "tensor 'enc.head.weight' has shape [4, 3] in the file, the model expects [3, 4]"},
        {3, CLEF_ERR_UNSUPPORTED, "tensor 'enc.ln.weight' has dtype I32"},
        {4, CLEF_ERR_FORMAT, "unexpected tensor 'enc.stray' [1, 2]"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        clef_weights *w = model(ctx, cases[c].tweak);
        fill(dst, lay.total);
        clefi_err err = {0};
        assert_int_equal(clefi_weights_bind(w, &lay, dst, lay.total, "enc.", 0, &err),
                         cases[c].code);
        wt_assert_msg(err.msg, cases[c].msg);
        assert_string_equal(clef_weights_errmsg(w), ""); /* recorded on err, not the handle */
        assert_untouched(dst, lay.total);
        clef_weights_free(w);
    }
    /* layout errors */
    assert_int_equal(clefi_layout_add(&lay, "enc.ln.bias", 1, (const int64_t[]){4}),
                     CLEF_ERR_INVALID_ARG);
    wt_assert_msg(clef_ctx_errmsg(ctx), "listed twice");
    assert_int_equal(clefi_layout_add(&lay, "", 1, (const int64_t[]){4}), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clefi_layout_add(&lay, "x", 9, (const int64_t[]){4}), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clefi_layout_add(&lay, "x", 2, (const int64_t[]){INT64_MAX, 4}),
                     CLEF_ERR_OVERFLOW);
    assert_int_equal(clefi_layout_add(&lay, "x", 1, (const int64_t[]){-2}), CLEF_ERR_OVERFLOW);
    assert_int_equal(lay.n, 5);
    char s[16];
    clefi_shape_str(s, sizeof s, (const int64_t[]){123456, 123456, 7}, 3);
    assert_int_equal(strlen(s), 15); /* truncated, terminated */
    free(dst);
    clefi_layout_free(&lay);
    clef_ctx_free(ctx);
}

typedef struct oom_arg {
    const unsigned char *img;
    size_t len;
} oom_arg;

static clef_status oom_bind(clef_ctx *ctx, void *arg) {
    const oom_arg *a = arg;
    clefi_layout lay;
    clef_status rc = enc_layout(&lay, ctx);
    if (rc != CLEF_OK)
        return rc;
    clef_weights *w;
    rc = clef_weights_open_memory(&w, ctx, a->img, a->len);
    if (rc == CLEF_OK) {
        float dst[41];
        rc = clefi_weights_bind(w, &lay, dst, 41, "enc.", 0, NULL);
        clef_weights_free(w);
    }
    clefi_layout_free(&lay);
    return rc;
}

static void test_bind_oom(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_weights *w = model(ctx, 0);
    /* serialise the parsed file again through the public API: every tensor's raw bytes */
    clef_weights_writer *wr;
    assert_int_equal(clef_weights_writer_create(&wr, ctx), CLEF_OK);
    for (int64_t i = 0; i < clef_weights_n_tensors(w); i++) {
        const clefi_st_tensor *t = clefi_weights_tensor(w, (size_t)i);
        assert_int_equal(clef_weights_writer_add_raw(wr, t->name, t->dtype, t->shape, t->rank,
                                                     t->data, t->nbytes),
                         CLEF_OK);
    }
    const char *dir = wt_tmpdir();
    assert_int_equal(clef_weights_writer_write(wr, wt_path(dir, "m")), CLEF_OK);
    clef_weights_writer_free(wr);
    clef_weights_free(w);
    oom_arg a;
    unsigned char *img = wt_read_file(wt_path(dir, "m"), &a.len);
    a.img = img;
    assert_true(test_oom_sweep(oom_bind, &a, 0) > 5);
    free(img);
    wt_rmdir(dir);
    clef_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bind_ok),
        cmocka_unit_test(test_bind_errors),
        cmocka_unit_test(test_bind_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
