/* test_checkpoint.c — checkpoint save -> load restores every byte (params, AdamW m/v, EMA, RNG,
 * step, cursor, world size); a second save is byte-identical; resume validation refuses a
 * different world size, architecture, EMA setting or RNG size and leaves the buffers untouched. */
#include "test_support.h"
#include "weights_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_int.h"

static clef_status make_layout(clefi_layout *lay, clef_ctx *ctx, int64_t d) {
    clefi_layout_init(lay, ctx);
    clef_status rc = clefi_layout_add(lay, "enc.w", 2, (const int64_t[]){d, 3});
    if (rc == CLEF_OK)
        rc = clefi_layout_add(lay, "enc.b", 1, (const int64_t[]){d});
    if (rc == CLEF_OK)
        rc = clefi_layout_add(lay, "enc.scale", 0, NULL);
    if (rc != CLEF_OK)
        clefi_layout_free(lay);
    return rc;
}

typedef struct state {
    float p[64], m[64], v[64], ema[64];
    unsigned char rng[24];
    clefi_ckpt ck;
} state;

/* Values chosen to catch any rounding or conversion: random bits, -0, subnormals, a NaN
 * payload, infinities. */
static void fill_state(state *s, unsigned seed, int with_ema) {
    srand(seed);
    float *bufs[4] = {s->p, s->m, s->v, s->ema};
    for (int b = 0; b < 4; b++)
        for (int i = 0; i < 64; i++) {
            uint32_t u = ((uint32_t)rand() << 16) ^ (uint32_t)rand();
            memcpy(&bufs[b][i], &u, 4);
        }
    const uint32_t special[4] = {0x80000000u, 0x00000001u, 0x7fa12345u, 0xff800000u};
    memcpy(s->p, special, sizeof special);
    for (int i = 0; i < 24; i++)
        s->rng[i] = (unsigned char)rand();
    s->ck = (clefi_ckpt){s->p, s->m,         s->v, with_ema ? s->ema : NULL, s->rng, sizeof s->rng,
                         1234, 5678901234LL, 2};
}

static void blank(state *s, int with_ema) {
    memset(s, 0xA5, sizeof *s);
    s->ck =
        (clefi_ckpt){s->p, s->m, s->v, with_ema ? s->ema : NULL, s->rng, sizeof s->rng, -1, -1, -1};
}

static const char *const arch_meta[] = {"clef.format", "1", "clef.enc.d_model", "4"};

static void test_roundtrip(void **state_) {
    (void)state_;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clefi_layout lay;
    assert_int_equal(make_layout(&lay, ctx, 4), CLEF_OK);
    assert_int_equal(lay.total, 17);
    const char *dir = wt_tmpdir();
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s", wt_path(dir, "a.ckpt"));
    snprintf(p2, sizeof p2, "%s", wt_path(dir, "b.ckpt"));
    for (int with_ema = 0; with_ema < 2; with_ema++) {
        state a, b;
        fill_state(&a, 42u + (unsigned)with_ema, with_ema);
        assert_int_equal(clefi_ckpt_save(ctx, p1, &lay, &a.ck, arch_meta, 2, NULL), CLEF_OK);
        clef_weights *w;
        assert_int_equal(clef_weights_open(&w, ctx, p1), CLEF_OK);
        const char *v;
        assert_int_equal(clef_weights_meta_get(w, "clef.enc.d_model", &v), CLEF_OK);
        assert_string_equal(v, "4");
        blank(&b, with_ema);
        assert_int_equal(clefi_ckpt_load(w, &lay, &b.ck, 2, NULL), CLEF_OK);
        assert_memory_equal(a.p, b.p, lay.total * 4);
        assert_memory_equal(a.m, b.m, lay.total * 4);
        assert_memory_equal(a.v, b.v, lay.total * 4);
        if (with_ema)
            assert_memory_equal(a.ema, b.ema, lay.total * 4);
        assert_memory_equal(a.rng, b.rng, sizeof a.rng);
        assert_int_equal(b.ck.step, 1234);
        assert_int_equal(b.ck.data_cursor, 5678901234LL);
        assert_int_equal(b.ck.world_size, 2);
        /* the model part binds like a weights file */
        float params[17];
        assert_int_equal(clefi_weights_bind(w, &lay, params, 17, "enc.", 0, NULL), CLEF_OK);
        assert_memory_equal(params, a.p, sizeof params);
        clef_weights_free(w);
        /* saving the loaded state again gives the same bytes */
        assert_int_equal(clefi_ckpt_save(ctx, p2, &lay, &b.ck, arch_meta, 2, NULL), CLEF_OK);
        size_t n1, n2;
        unsigned char *f1 = wt_read_file(p1, &n1), *f2 = wt_read_file(p2, &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(f1, f2, n1);
        free(f1);
        free(f2);
    }
    wt_rmdir(dir);
    clefi_layout_free(&lay);
    clef_ctx_free(ctx);
}

static void expect_refused(clef_weights *w, const clefi_layout *lay, int with_ema, size_t rng_len,
                           int32_t world, clef_status code, const char *msg) {
    state b, ref;
    blank(&b, with_ema);
    b.ck.rng_len = rng_len;
    ref = b;
    clefi_err err = {0};
    clef_status rc = clefi_ckpt_load(w, lay, &b.ck, world, &err);
    if (rc != code)
        fail_msg("want %s, got %s: %s", clef_strerror(code), clef_strerror(rc), err.msg);
    wt_assert_msg(err.msg, msg);
    assert_memory_equal(&b, &ref, offsetof(state, ck)); /* buffers untouched */
    assert_int_equal(b.ck.step, -1);
}

static void test_resume_validation(void **state_) {
    (void)state_;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clefi_layout lay, other;
    assert_int_equal(make_layout(&lay, ctx, 4), CLEF_OK);
    const char *dir = wt_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s", wt_path(dir, "c.ckpt"));
    state a;
    fill_state(&a, 7, 1);
    assert_int_equal(clefi_ckpt_save(ctx, path, &lay, &a.ck, NULL, 0, NULL), CLEF_OK);
    clef_weights *w;
    assert_int_equal(clef_weights_open(&w, ctx, path), CLEF_OK);
    expect_refused(w, &lay, 1, 24, 4, CLEF_ERR_STATE, "world size 2, resuming with 4");
    expect_refused(w, &lay, 0, 24, 2, CLEF_ERR_STATE, "holds EMA weights but the trainer keeps");
    expect_refused(w, &lay, 1, 16, 2, CLEF_ERR_SHAPE, "RNG state is 24 bytes, the trainer's is 16");
    /* same size, different shapes */
    clefi_layout_init(&other, ctx);
    assert_int_equal(clefi_layout_add(&other, "enc.w", 2, (const int64_t[]){3, 4}), CLEF_OK);
    assert_int_equal(clefi_layout_add(&other, "enc.b", 1, (const int64_t[]){4}), CLEF_OK);
    assert_int_equal(clefi_layout_add(&other, "enc.scale", 0, NULL), CLEF_OK);
    expect_refused(w, &other, 1, 24, 2, CLEF_ERR_SHAPE,
                   "'enc.w' has shape [4, 3] in the file, the model expects [3, 4]");
    clefi_layout_free(&other);
    /* a different architecture size */
    assert_int_equal(make_layout(&other, ctx, 5), CLEF_OK);
    expect_refused(w, &other, 1, 24, 2, CLEF_ERR_SHAPE, "holds 17 parameters, the model has 21");
    clefi_layout_free(&other);
    /* a tensor renamed: missing */
    clefi_layout_init(&other, ctx);
    assert_int_equal(clefi_layout_add(&other, "enc.w", 2, (const int64_t[]){4, 3}), CLEF_OK);
    assert_int_equal(clefi_layout_add(&other, "enc.bias", 1, (const int64_t[]){4}), CLEF_OK);
    assert_int_equal(clefi_layout_add(&other, "enc.scale", 0, NULL), CLEF_OK);
    expect_refused(w, &other, 1, 24, 2, CLEF_ERR_NOT_FOUND, "'enc.bias' [4] missing");
    clefi_layout_free(&other);
    clef_weights_free(w);

    /* a model file is not a checkpoint */
    clef_weights_writer *wr;
    assert_int_equal(clef_weights_writer_create(&wr, ctx), CLEF_OK);
    assert_int_equal(clef_weights_writer_set_meta(wr, "clef.kind", "model"), CLEF_OK);
    assert_int_equal(clef_weights_writer_write(wr, path), CLEF_OK);
    assert_int_equal(clef_weights_open(&w, ctx, path), CLEF_OK);
    expect_refused(w, &lay, 1, 24, 2, CLEF_ERR_FORMAT, "clef.kind is 'model'");
    clef_weights_free(w);
    /* a corrupt step */
    assert_int_equal(clef_weights_writer_set_meta(wr, "clef.kind", "checkpoint"), CLEF_OK);
    assert_int_equal(clef_weights_writer_set_meta(wr, "clef.ckpt.step", "12a"), CLEF_OK);
    assert_int_equal(clef_weights_writer_write(wr, path), CLEF_OK);
    assert_int_equal(clef_weights_open(&w, ctx, path), CLEF_OK);
    expect_refused(w, &lay, 1, 24, 2, CLEF_ERR_FORMAT, "'clef.ckpt.step' = '12a' is not a decimal");
    clef_weights_free(w);
    clef_weights_writer_free(wr);

    /* save: reserved metadata keys and bad values */
    const char *reserved[] = {"clef.ckpt.step", "9"};
    clefi_err err = {0};
    assert_int_equal(clefi_ckpt_save(ctx, path, &lay, &a.ck, reserved, 1, &err),
                     CLEF_ERR_INVALID_ARG);
    wt_assert_msg(err.msg, "reserved metadata key");
    a.ck.world_size = 0;
    assert_int_equal(clefi_ckpt_save(ctx, path, &lay, &a.ck, NULL, 0, NULL), CLEF_ERR_RANGE);
    a.ck.world_size = 1;
    a.ck.rng = NULL;
    assert_int_equal(clefi_ckpt_save(ctx, path, &lay, &a.ck, NULL, 0, NULL), CLEF_ERR_INVALID_ARG);
    wt_rmdir(dir);
    clefi_layout_free(&lay);
    clef_ctx_free(ctx);
}

static void test_meta_numbers(void **state_) {
    (void)state_;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_weights_writer *wr;
    assert_int_equal(clef_weights_writer_create(&wr, ctx), CLEF_OK);
    const char *kv[][2] = {{"i", "-42"},  {"big", "99999999999999999999"},
                           {"sp", " 3"},  {"f", "0.07"},
                           {"e", "1e-3"}, {"inf", "1e999"},
                           {"txt", "abc"}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        assert_int_equal(clef_weights_writer_set_meta(wr, kv[i][0], kv[i][1]), CLEF_OK);
    const char *dir = wt_tmpdir();
    assert_int_equal(clef_weights_writer_write(wr, wt_path(dir, "m")), CLEF_OK);
    clef_weights_writer_free(wr);
    clef_weights *w;
    assert_int_equal(clef_weights_open(&w, ctx, wt_path(dir, "m")), CLEF_OK);
    int64_t i64;
    double f;
    assert_int_equal(clefi_weights_meta_i64(w, "i", &i64, NULL), CLEF_OK);
    assert_int_equal(i64, -42);
    assert_int_equal(clefi_weights_meta_i64(w, "big", &i64, NULL), CLEF_ERR_FORMAT);
    assert_int_equal(clefi_weights_meta_i64(w, "sp", &i64, NULL), CLEF_ERR_FORMAT);
    assert_int_equal(clefi_weights_meta_i64(w, "f", &i64, NULL), CLEF_ERR_FORMAT);
    assert_int_equal(clefi_weights_meta_i64(w, "none", &i64, NULL), CLEF_ERR_NOT_FOUND);
    wt_assert_msg(clef_weights_errmsg(w), "'none' missing");
    assert_int_equal(clefi_weights_meta_f64(w, "f", &f, NULL), CLEF_OK);
    assert_true(f == 0.07);
    assert_int_equal(clefi_weights_meta_f64(w, "e", &f, NULL), CLEF_OK);
    assert_true(f == 1e-3);
    assert_int_equal(clefi_weights_meta_f64(w, "inf", &f, NULL), CLEF_ERR_FORMAT);
    assert_int_equal(clefi_weights_meta_f64(w, "txt", &f, NULL), CLEF_ERR_FORMAT);
    assert_int_equal(clefi_weights_meta_f64(w, "sp", &f, NULL), CLEF_ERR_FORMAT);
    clef_weights_free(w);
    wt_rmdir(dir);
    clef_ctx_free(ctx);
}

typedef struct oom_arg {
    const char *dir;
} oom_arg;

static clef_status oom_ckpt(clef_ctx *ctx, void *arg) {
    const oom_arg *o = arg;
    clefi_layout lay;
    clef_status rc = make_layout(&lay, ctx, 4);
    if (rc != CLEF_OK)
        return rc;
    state a, b;
    fill_state(&a, 3, 1);
    blank(&b, 1);
    const char *path = wt_path(o->dir, "oom.ckpt");
    rc = clefi_ckpt_save(ctx, path, &lay, &a.ck, arch_meta, 2, NULL);
    clef_weights *w = NULL;
    if (rc == CLEF_OK)
        rc = clef_weights_open(&w, ctx, path);
    if (rc == CLEF_OK)
        rc = clefi_ckpt_load(w, &lay, &b.ck, 2, NULL);
    if (rc == CLEF_OK)
        assert_memory_equal(a.v, b.v, lay.total * 4);
    clef_weights_free(w);
    clefi_layout_free(&lay);
    return rc;
}

static void test_oom(void **state_) {
    (void)state_;
    oom_arg o = {wt_tmpdir()};
    assert_true(test_oom_sweep(oom_ckpt, &o, 0) > 10);
    assert_int_equal(wt_count_entries(o.dir), 1);
    wt_rmdir(o.dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_resume_validation),
        cmocka_unit_test(test_meta_numbers),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
