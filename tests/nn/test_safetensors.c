/* test_safetensors.c — safetensors reader and writer against the official Python library:
 * files written by safetensors (torch and numpy front ends, tools/ref/safetensors_ref.py) read
 * exactly; F16/BF16 conversions bit-identical to torch's; a file written by libclef is
 * byte-identical to a committed golden that the Python library loads (checked at dev time with
 * safetensors_ref.py --check-c); round trips, atomic writes, OOM sweeps. */
#define _POSIX_C_SOURCE 200809L
#include "test_support.h"
#include "weights_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nn/nn_int.h"

#define GOLD(name) test_data_path("golden/nn/" name)

static clef_weights *open_ok(clef_ctx *ctx, const char *path) {
    clef_weights *w = NULL;
    clef_status rc = clef_weights_open(&w, ctx, path);
    if (rc != CLEF_OK)
        fail_msg("open %s: %s", path, clef_ctx_errmsg(ctx));
    return w;
}

static float *read_f32(clef_weights *w, const char *name, size_t *n) {
    size_t need = 0;
    assert_int_equal(clef_weights_read_f32(w, name, NULL, 0, &need), CLEF_ERR_BUFFER_TOO_SMALL);
    float *buf = malloc((need ? need : 1) * sizeof *buf);
    assert_int_equal(clef_weights_read_f32(w, name, buf, need, n), CLEF_OK);
    assert_int_equal(*n, need);
    return buf;
}

/* Bitwise equality (inf == inf), any NaN equal to any NaN; names the first difference. */
static void assert_bits_equal(const float *got, const float *want, size_t n, const char *what) {
    for (size_t i = 0; i < n; i++) {
        if (isnan(got[i]) && isnan(want[i]))
            continue;
        if (memcmp(&got[i], &want[i], sizeof(float)) != 0)
            fail_msg("%s: index %zu: got %.9g, want %.9g", what, i, (double)got[i],
                     (double)want[i]);
    }
}

static void check_shape(clef_weights *w, const char *name, int32_t dtype, int32_t rank,
                        const int64_t *shape) {
    int64_t idx, numel, got[CLEF_WEIGHTS_MAX_RANK];
    const char *nm;
    int32_t dt, rk;
    size_t need;
    assert_int_equal(clef_weights_tensor_index(w, name, &idx), CLEF_OK);
    assert_int_equal(clef_weights_tensor_info(w, idx, &nm, &dt, &rk, &numel), CLEF_OK);
    assert_string_equal(nm, name);
    assert_int_equal(dt, dtype);
    assert_int_equal(rk, rank);
    assert_int_equal(clef_weights_tensor_shape(w, idx, got, CLEF_WEIGHTS_MAX_RANK, &need), CLEF_OK);
    assert_int_equal(need, (size_t)rank);
    int64_t prod = 1;
    for (int32_t i = 0; i < rank; i++) {
        assert_int_equal(got[i], shape[i]);
        prod *= shape[i];
    }
    assert_int_equal(numel, prod);
}

static void test_read_reference(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_weights *w = open_ok(ctx, GOLD("st_ref_mixed.safetensors"));
    assert_int_equal(clef_weights_n_tensors(w), 11);
    /* metadata, including non-ASCII UTF-8 */
    assert_int_equal(clef_weights_meta_count(w), 4);
    const char *v, *k;
    assert_int_equal(clef_weights_meta_get(w, "clef.kind", &v), CLEF_OK);
    assert_string_equal(v, "model");
    assert_int_equal(clef_weights_meta_get(w, "note", &v), CLEF_OK);
    assert_string_equal(v, "caf\xc3\xa9 \xce\xbcV");
    assert_int_equal(clef_weights_meta_get(w, "nope", &v), CLEF_ERR_NOT_FOUND);
    assert_null(v);
    wt_assert_msg(clef_weights_errmsg(w), "nope");
    int found = 0;
    for (int64_t i = 0; i < clef_weights_meta_count(w); i++) {
        assert_int_equal(clef_weights_meta_at(w, i, &k, &v), CLEF_OK);
        found += strcmp(k, "clef.spec.fs") == 0 && strcmp(v, "200") == 0;
    }
    assert_int_equal(found, 1);
    assert_int_equal(clef_weights_meta_at(w, 4, &k, &v), CLEF_ERR_RANGE);

    check_shape(w, "a.f32", CLEF_DTYPE_F32, 2, (const int64_t[]){2, 3});
    check_shape(w, "scalar", CLEF_DTYPE_F32, 0, NULL);
    check_shape(w, "empty", CLEF_DTYPE_F32, 2, (const int64_t[]){0, 3});
    check_shape(w, "r4", CLEF_DTYPE_F32, 4, (const int64_t[]){2, 3, 1, 4});
    check_shape(w, "conv.f16", CLEF_DTYPE_F16, 1, (const int64_t[]){1524});
    check_shape(w, "conv.bf16", CLEF_DTYPE_BF16, 1, (const int64_t[]){1524});
    check_shape(w, "ids", CLEF_DTYPE_I64, 1, (const int64_t[]){4});

    size_t n;
    float *a = read_f32(w, "a.f32", &n);
    for (size_t i = 0; i < 6; i++)
        assert_true(a[i] == (float)i * 0.5f - 1.0f);
    free(a);
    float s;
    assert_int_equal(clef_weights_read_f32(w, "scalar", &s, 1, &n), CLEF_OK);
    assert_true(s == 3.25f && n == 1);
    assert_int_equal(clef_weights_read_f32(w, "empty", NULL, 0, &n), CLEF_OK);
    assert_int_equal(n, 0);

    /* F16 and BF16 widened exactly as torch's .to(float32) */
    const char *pairs[][2] = {{"conv.f16", "conv.f16.wide"}, {"conv.bf16", "conv.bf16.wide"}};
    for (int p = 0; p < 2; p++) {
        size_t n1, n2;
        float *got = read_f32(w, pairs[p][0], &n1), *want = read_f32(w, pairs[p][1], &n2);
        assert_int_equal(n1, n2);
        assert_bits_equal(got, want, n1, pairs[p][0]);
        free(got);
        free(want);
    }

    int64_t ids[4];
    assert_int_equal(clef_weights_read_raw(w, "ids", ids, sizeof ids, &n), CLEF_OK);
    assert_int_equal(n, sizeof ids);
    assert_true(ids[0] == 0 && ids[1] == 5 && ids[2] == -7 && ids[3] == (int64_t)1 << 40);
    unsigned char bytes[5];
    assert_int_equal(clef_weights_read_raw(w, "bytes", bytes, 4, &n), CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 5);
    assert_int_equal(clef_weights_read_raw(w, "bytes", bytes, 5, NULL), CLEF_OK);
    assert_memory_equal(bytes, ((unsigned char[]){1, 2, 3, 250, 255}), 5);
    /* integer tensors are not read as float; unknown names and indices are reported */
    assert_int_equal(clef_weights_read_f32(w, "ids", &s, 1, NULL), CLEF_ERR_UNSUPPORTED);
    wt_assert_msg(clef_weights_errmsg(w), "ids");
    assert_int_equal(clef_weights_read_f32(w, "missing", &s, 1, NULL), CLEF_ERR_NOT_FOUND);
    wt_assert_msg(clef_weights_errmsg(w), "missing");
    assert_int_equal(clef_weights_tensor_info(w, 11, NULL, NULL, NULL, NULL), CLEF_ERR_RANGE);
    int64_t shp[1];
    int64_t ri;
    assert_int_equal(clef_weights_tensor_index(w, "r4", &ri), CLEF_OK);
    assert_int_equal(clef_weights_tensor_shape(w, ri, shp, 1, &n), CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 4);
    clef_weights_free(w);

    /* the numpy front end: no metadata */
    w = open_ok(ctx, GOLD("st_ref_numpy.safetensors"));
    assert_int_equal(clef_weights_n_tensors(w), 2);
    assert_int_equal(clef_weights_meta_count(w), 0);
    float y[3];
    assert_int_equal(clef_weights_read_f32(w, "y", y, 3, NULL), CLEF_OK);
    assert_true(y[0] == 1.5f && y[1] == -2.0f && y[2] == clefi_f16_to_f32(clefi_f32_to_f16(0.1f)));
    clef_weights_free(w);
    clef_ctx_free(ctx);
}

static int is_nan16(int32_t dtype, uint16_t h) {
    return dtype == CLEF_DTYPE_F16 ? isnan(clefi_f16_to_f32(h)) : isnan(clefi_bf16_to_f32(h));
}

/* libclef's float32 -> F16/BF16 rounding gives torch's bits (NaN: any NaN; torch's vectorised
 * path returns 0xffff for bfloat16 NaN, its scalar path 0x7fc0). */
static void test_conversion_parity(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_weights *w = open_ok(ctx, GOLD("st_ref_mixed.safetensors"));
    size_t n;
    float *src = read_f32(w, "conv.src", &n);
    const char *names[2] = {"conv.f16", "conv.bf16"};
    int32_t dts[2] = {CLEF_DTYPE_F16, CLEF_DTYPE_BF16};
    for (int d = 0; d < 2; d++) {
        uint16_t *want = malloc(n * 2), *got = malloc(n * 2);
        assert_int_equal(clef_weights_read_raw(w, names[d], want, n * 2, NULL), CLEF_OK);
        clefi_dtype_from_f32(dts[d], src, got, n);
        for (size_t i = 0; i < n; i++)
            if (got[i] != want[i] && !(is_nan16(dts[d], got[i]) && is_nan16(dts[d], want[i])))
                fail_msg("%s: index %zu (%.9g): got 0x%04x, torch 0x%04x", names[d], i,
                         (double)src[i], got[i], want[i]);
        free(want);
        free(got);
    }
    free(src);
    clef_weights_free(w);
    clef_ctx_free(ctx);
    /* every finite or infinite half survives widening and narrowing */
    for (uint32_t h = 0; h < 65536; h++) {
        if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu) != 0)
            continue; /* NaN payloads */
        uint16_t back = clefi_f32_to_f16(clefi_f16_to_f32((uint16_t)h));
        if (back != h)
            fail_msg("f16 0x%04x -> %g -> 0x%04x", h, (double)clefi_f16_to_f32((uint16_t)h), back);
        assert_int_equal(clefi_f32_to_bf16(clefi_bf16_to_f32((uint16_t)h)), h);
    }
    assert_true(isnan(clefi_f16_to_f32(clefi_f32_to_f16(NAN))));
    assert_true(isnan(clefi_bf16_to_f32(clefi_f32_to_bf16(NAN))));
}

/* The content of c_written.safetensors; tools/ref/safetensors_ref.py c_written_expected()
 * mirrors it. */
static clef_status c_written_content(clef_weights_writer *wr) {
    float v[12];
    for (int i = 0; i < 12; i++)
        v[i] = (float)i * 0.3f - 1.7f;
    int64_t ids[4] = {3, 1, 4, 1};
    float s = -0.5f;
    clef_status rc = CLEF_OK;
    const char *meta[][2] = {
        {"clef.format", "1"},
        {"clef.kind", "model"},
        {"clef.spec.fs", "200"},
        {"clef.spec.channels", "Fp1,Fp2,F7,F3,Fz,F4,F8,T7,C3,Cz,C4,T8,P7,P3,Pz,P4,P8,O1,O2"}};
    for (size_t i = 0; i < 4 && rc == CLEF_OK; i++)
        rc = clef_weights_writer_set_meta(wr, meta[i][0], meta[i][1]);
    if (rc == CLEF_OK)
        rc = clef_weights_writer_add_f32(wr, "w.f32", CLEF_DTYPE_F32, (const int64_t[]){3, 4}, 2, v,
                                         12);
    if (rc == CLEF_OK)
        rc =
            clef_weights_writer_add_f32(wr, "w.f16", CLEF_DTYPE_F16, (const int64_t[]){5}, 1, v, 5);
    if (rc == CLEF_OK)
        rc = clef_weights_writer_add_f32(wr, "w.bf16", CLEF_DTYPE_BF16, (const int64_t[]){2, 3}, 2,
                                         v, 6);
    if (rc == CLEF_OK)
        rc = clef_weights_writer_add_f32(wr, "s", CLEF_DTYPE_F32, NULL, 0, &s, 1);
    if (rc == CLEF_OK)
        rc = clef_weights_writer_add_f32(wr, "z", CLEF_DTYPE_F32, (const int64_t[]){0}, 1, NULL, 0);
    if (rc == CLEF_OK)
        rc = clef_weights_writer_add_raw(wr, "ids", CLEF_DTYPE_I64, (const int64_t[]){4}, 1, ids,
                                         sizeof ids);
    return rc;
}

static void test_write_golden(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_weights_writer *wr;
    assert_int_equal(clef_weights_writer_create(&wr, ctx), CLEF_OK);
    assert_int_equal(c_written_content(wr), CLEF_OK);
    const char *dir = wt_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s", wt_path(dir, "c.safetensors"));
    assert_int_equal(clef_weights_writer_write(wr, path), CLEF_OK);
    clef_weights_writer_free(wr);
    assert_int_equal(wt_count_entries(dir), 1); /* no temporary file left behind */
    size_t n_got, n_want;
    unsigned char *got = wt_read_file(path, &n_got);
    const char *regen = getenv("CLEF_REGEN_GOLDEN");
    if (regen != NULL && strcmp(regen, "1") == 0) {
        FILE *f = fopen(GOLD("c_written.safetensors"), "wb");
        assert_non_null(f);
        fwrite(got, 1, n_got, f);
        fclose(f);
    }
    unsigned char *want = wt_read_file(GOLD("c_written.safetensors"), &n_want);
    assert_int_equal(n_got, n_want);
    for (size_t i = 0; i < n_got; i++)
        if (got[i] != want[i])
            fail_msg("c_written.safetensors differs at byte %zu", i);
    /* 64-byte aligned data start */
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--)
        hl = (hl << 8) | got[i];
    assert_int_equal((8 + hl) % 64, 0);
    free(want);
    /* and libclef reads it back */
    clef_weights *w = open_ok(ctx, path);
    float f16[5];
    assert_int_equal(clef_weights_read_f32(w, "w.f16", f16, 5, NULL), CLEF_OK);
    for (int i = 0; i < 5; i++)
        assert_true(f16[i] == clefi_f16_to_f32(clefi_f32_to_f16((float)i * 0.3f - 1.7f)));
    const char *v;
    assert_int_equal(clef_weights_meta_get(w, "clef.spec.channels", &v), CLEF_OK);
    assert_non_null(strstr(v, "Fp1,Fp2"));
    clef_weights_free(w);
    /* the same bytes open from memory */
    assert_int_equal(clef_weights_open_memory(&w, ctx, got, n_got), CLEF_OK);
    assert_int_equal(clef_weights_n_tensors(w), 6);
    clef_weights_free(w);
    free(got);
    wt_rmdir(dir);
    clef_ctx_free(ctx);
}

static void test_write_roundtrip(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    const char *dir = wt_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s", wt_path(dir, "rt.safetensors"));
    clef_weights_writer *wr;
    assert_int_equal(clef_weights_writer_create(&wr, ctx), CLEF_OK);
    enum { N = 40 };
    float data[N][37];
    srand(1);
    for (int t = 0; t < N; t++) {
        char name[32];
        snprintf(name, sizeof name, "layer.%d.weight", t);
        for (int i = 0; i < 37; i++)
            data[t][i] = (float)rand() / (float)RAND_MAX - 0.5f;
        int64_t shape[1] = {t % 37 + 1};
        assert_int_equal(clef_weights_writer_add_f32(wr, name, CLEF_DTYPE_F32, shape, 1, data[t],
                                                     (size_t)shape[0]),
                         CLEF_OK);
    }
    assert_int_equal(clef_weights_writer_set_meta(wr, "k", "first"), CLEF_OK);
    assert_int_equal(clef_weights_writer_set_meta(wr, "k", "second"), CLEF_OK); /* replaces */
    /* the writer keeps its contents: write twice, replacing the file atomically */
    assert_int_equal(clef_weights_writer_write(wr, path), CLEF_OK);
    assert_int_equal(clef_weights_writer_write(wr, path), CLEF_OK);
    assert_int_equal(wt_count_entries(dir), 1);
    /* an unwritable target: IO error, nothing left behind */
    assert_int_equal(clef_weights_writer_write(wr, wt_path(dir, "no/such/dir.st")), CLEF_ERR_IO);
    wt_assert_msg(clef_weights_writer_errmsg(wr), "cannot create");
    assert_int_equal(wt_count_entries(dir), 1);
    clef_weights_writer_free(wr);

    clef_weights *w = open_ok(ctx, path);
    assert_int_equal(clef_weights_n_tensors(w), N);
    const char *v;
    assert_int_equal(clef_weights_meta_get(w, "k", &v), CLEF_OK);
    assert_string_equal(v, "second");
    for (int t = 0; t < N; t++) {
        char name[32];
        snprintf(name, sizeof name, "layer.%d.weight", t);
        float got[37];
        size_t n;
        assert_int_equal(clef_weights_read_f32(w, name, got, 37, &n), CLEF_OK);
        assert_int_equal(n, (size_t)(t % 37 + 1));
        assert_memory_equal(got, data[t], n * sizeof(float));
        /* index order is data order, i.e. the order added */
        const char *nm;
        assert_int_equal(clef_weights_tensor_info(w, t, &nm, NULL, NULL, NULL), CLEF_OK);
        assert_string_equal(nm, name);
    }
    clef_weights_free(w);
    wt_rmdir(dir);
    clef_ctx_free(ctx);
}

static void test_writer_errors(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_weights_writer *wr;
    assert_int_equal(clef_weights_writer_create(&wr, ctx), CLEF_OK);
    float x[4] = {0};
    int64_t sh[1] = {4};
    assert_int_equal(clef_weights_writer_add_f32(wr, "a", CLEF_DTYPE_F32, sh, 1, x, 4), CLEF_OK);
    assert_int_equal(clef_weights_writer_add_f32(wr, "a", CLEF_DTYPE_F32, sh, 1, x, 4),
                     CLEF_ERR_INVALID_ARG);
    wt_assert_msg(clef_weights_writer_errmsg(wr), "added twice");
    assert_int_equal(clef_weights_writer_add_f32(wr, "b", CLEF_DTYPE_F32, sh, 1, x, 3),
                     CLEF_ERR_SHAPE);
    wt_assert_msg(clef_weights_writer_errmsg(wr), "3 values given, shape holds 4");
    assert_int_equal(clef_weights_writer_add_f32(wr, "b", CLEF_DTYPE_I32, sh, 1, x, 4),
                     CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_weights_writer_add_raw(wr, "b", 99, sh, 1, x, 16), CLEF_ERR_INVALID_ARG);
    wt_assert_msg(clef_weights_writer_errmsg(wr), "unknown dtype 99");
    assert_int_equal(clef_weights_writer_add_raw(wr, "b", CLEF_DTYPE_U8, sh, 1, x, 16),
                     CLEF_ERR_SHAPE);
    assert_int_equal(clef_weights_writer_add_f32(wr, "__metadata__", CLEF_DTYPE_F32, sh, 1, x, 4),
                     CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_weights_writer_add_f32(wr, "c", CLEF_DTYPE_F32, sh, 9, x, 4),
                     CLEF_ERR_INVALID_ARG);
    int64_t neg[1] = {-1};
    assert_int_equal(clef_weights_writer_add_f32(wr, "c", CLEF_DTYPE_F32, neg, 1, x, 0),
                     CLEF_ERR_OVERFLOW);
    int64_t huge[3] = {INT64_MAX, INT64_MAX, 2};
    assert_int_equal(clef_weights_writer_add_f32(wr, "c", CLEF_DTYPE_F32, huge, 3, x, 4),
                     CLEF_ERR_OVERFLOW);
    assert_int_equal(clef_weights_writer_add_f32(wr, "bad\xff", CLEF_DTYPE_F32, sh, 1, x, 4),
                     CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_weights_writer_set_meta(wr, "", "v"), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_weights_writer_set_meta(wr, "k", "\xc3("), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_weights_writer_write(wr, ""), CLEF_ERR_INVALID_ARG);
    /* NULL handles */
    assert_int_equal(clef_weights_writer_create(NULL, ctx), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_weights_writer_add_f32(NULL, "a", CLEF_DTYPE_F32, sh, 1, x, 4),
                     CLEF_ERR_INVALID_ARG);
    assert_string_equal(clef_weights_writer_errmsg(NULL), "");
    clef_weights_writer_free(NULL);
    clef_weights_writer_free(wr);
    /* dtype helpers */
    assert_int_equal(clef_dtype_size(CLEF_DTYPE_BF16), 2);
    assert_int_equal(clef_dtype_size(0), 0);
    assert_string_equal(clef_dtype_name(CLEF_DTYPE_U64), "U64");
    assert_string_equal(clef_dtype_name(77), "");
    assert_int_equal(clef_weights_max_rank(), CLEF_WEIGHTS_MAX_RANK);
    clef_ctx_free(ctx);
}

/* ---- out-of-memory sweeps ---- */

typedef struct oom_arg {
    const unsigned char *img;
    size_t len;
    const char *dir;
} oom_arg;

static clef_status oom_open(clef_ctx *ctx, void *arg) {
    const oom_arg *a = arg;
    clef_weights *w;
    clef_status rc = clef_weights_open_memory(&w, ctx, a->img, a->len);
    if (rc == CLEF_OK) {
        assert_int_equal(clef_weights_n_tensors(w), 11);
        clef_weights_free(w);
    } else {
        assert_null(w);
    }
    return rc;
}

static clef_status oom_write(clef_ctx *ctx, void *arg) {
    const oom_arg *a = arg;
    clef_weights_writer *wr;
    clef_status rc = clef_weights_writer_create(&wr, ctx);
    if (rc != CLEF_OK)
        return rc;
    rc = c_written_content(wr);
    if (rc == CLEF_OK)
        rc = clef_weights_writer_write(wr, wt_path(a->dir, "oom.safetensors"));
    clef_weights_writer_free(wr);
    return rc;
}

static void test_oom(void **state) {
    (void)state;
    oom_arg a;
    unsigned char *img = wt_read_file(GOLD("st_ref_mixed.safetensors"), &a.len);
    a.img = img;
    a.dir = wt_tmpdir();
    assert_true(test_oom_sweep(oom_open, &a, 0) > 10);
    assert_true(test_oom_sweep(oom_write, &a, 0) > 10);
    assert_int_equal(wt_count_entries(a.dir), 1); /* failed writes leave no temporary file */
    wt_rmdir(a.dir);
    free(img);
}

static void test_open_errors(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_weights *w = (clef_weights *)&w;
    assert_int_equal(clef_weights_open(&w, ctx, "/nonexistent/x.safetensors"), CLEF_ERR_IO);
    assert_null(w);
    wt_assert_msg(clef_ctx_errmsg(ctx), "/nonexistent/x.safetensors");
    assert_int_equal(clef_weights_open(&w, ctx, test_data_path("golden")), CLEF_ERR_IO);
    assert_int_equal(clef_weights_open(&w, ctx, NULL), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_weights_open(NULL, ctx, "x"), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_weights_open_memory(&w, ctx, NULL, 5), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_weights_n_tensors(NULL), 0);
    assert_int_equal(clef_weights_meta_count(NULL), 0);
    assert_string_equal(clef_weights_errmsg(NULL), "");
    clef_weights_free(NULL);
    /* an empty file */
    const char *dir = wt_tmpdir();
    FILE *f = fopen(wt_path(dir, "empty"), "wb");
    fclose(f);
    assert_int_equal(clef_weights_open(&w, ctx, wt_path(dir, "empty")), CLEF_ERR_FORMAT);
    wt_assert_msg(clef_ctx_errmsg(ctx), "shorter than");
    /* a FIFO is refused without blocking */
    assert_int_equal(mkfifo(wt_path(dir, "fifo"), 0600), 0);
    assert_int_equal(clef_weights_open(&w, ctx, wt_path(dir, "fifo")), CLEF_ERR_IO);
    wt_assert_msg(clef_ctx_errmsg(ctx), "not a regular file");
    wt_rmdir(dir);
    clef_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_reference), cmocka_unit_test(test_conversion_parity),
        cmocka_unit_test(test_write_golden),   cmocka_unit_test(test_write_roundtrip),
        cmocka_unit_test(test_writer_errors),  cmocka_unit_test(test_oom),
        cmocka_unit_test(test_open_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
