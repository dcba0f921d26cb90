/* test_tokenizer.c — VQGAN tokenizer: golden parity with the PyTorch reference
 * (tools/ref/tokenizer_ref.py), length policy, argument checks, bad weights files, OOM. */
#define _POSIX_C_SOURCE 200809L
#include "test_support.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Parity tolerances (measured max errors: latents 5.9e-6, decoded 2.0e-4 dB; 1.9e-6 and 6.9e-5 dB
 * before the Winograd convolutions). Latents: float32 sums of ~1,000 products through ~12 layers,
 * computed in a different order than PyTorch's (Winograd F(4x4,3x3) GEMMs, whose transforms add a
 * few times im2col's rounding error (docs/tokenizer.md), vs mkldnn); decoded: dB, scale 40. */
#define LAT_ATOL 2e-5
#define LAT_RTOL 1e-4
#define DEC_ATOL 5e-4
#define DEC_RTOL 1e-5
/* A token may differ from PyTorch only where its best and second-best codes are this close
 * (squared distance): a tie at float32 rounding. */
#define TIE_MARGIN 1e-3f

static const char *golden(const char *cfg, const char *what) {
    static char name[128];
    snprintf(name, sizeof name, "golden/model/tok_%s_%s.safetensors", cfg, what);
    return test_data_path(name);
}

/* Tensor name of a golden file as float32 (or raw int32 for ids), malloc'ed; shape out. */
static void *read_tensor(clef_weights *w, const char *name, int64_t *shape, size_t *numel) {
    int64_t idx = -1, n = 0;
    int32_t dtype = 0, rank = 0;
    assert_int_equal(clef_weights_tensor_index(w, name, &idx), CLEF_OK);
    assert_int_equal(clef_weights_tensor_info(w, idx, NULL, &dtype, &rank, &n), CLEF_OK);
    if (shape != NULL)
        assert_int_equal(clef_weights_tensor_shape(w, idx, shape, 8, NULL), CLEF_OK);
    void *buf = malloc((size_t)n * 4 + 4);
    assert_non_null(buf);
    if (dtype == CLEF_DTYPE_I32)
        assert_int_equal(clef_weights_read_raw(w, name, buf, (size_t)n * 4, NULL), CLEF_OK);
    else
        assert_int_equal(clef_weights_read_f32(w, name, buf, (size_t)n, NULL), CLEF_OK);
    if (numel != NULL)
        *numel = (size_t)n;
    return buf;
}

/* Crop each golden was made with (tools/ref/tokenizer_ref.py: tiny and mean crop_t 40, real
 * crop_t 20): the PyTorch references encode one crop of that many frames. */
static int64_t golden_crop_t(const char *cfg) { return strcmp(cfg, "real") == 0 ? 20 : 40; }

/* clef_tokenizer_load() gives the whole-session image; crop-level checks need the crop the
 * weights were made for. */
static clef_tokenizer *load_crop(clef_ctx *ctx, const char *path, int64_t crop_t) {
    clef_tokenizer *whole = NULL, *crop = NULL;
    assert_int_equal(clef_tokenizer_load(&whole, ctx, path), CLEF_OK);
    int64_t t = 0;
    assert_int_equal(clef_tokenizer_shape(whole, NULL, NULL, &t, NULL, NULL), CLEF_OK);
    assert_int_equal(t, clef_tokenizer_session_frames(whole));
    assert_int_equal(clef_tokenizer_clone_crop(&crop, whole, ctx, crop_t), CLEF_OK);
    clef_tokenizer_free(whole);
    return crop;
}

/* Weights tok_<cfg>_weights against the reference's encode/decode in tok_<io>_io. */
static void check_golden_io(const char *cfg, const char *io_name) {
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 2), CLEF_OK);
    clef_tokenizer *tok = NULL;
    char wpath[1024];
    snprintf(wpath, sizeof wpath, "%s", golden(cfg, "weights"));
    tok = load_crop(ctx, wpath, golden_crop_t(cfg));
    clef_weights *io = NULL;
    assert_int_equal(clef_weights_open(&io, ctx, golden(io_name, "io")), CLEF_OK);
    int64_t in_shape[8];
    size_t n_gid = 0;
    float *in = read_tensor(io, "input", in_shape, NULL),
          *lat = read_tensor(io, "latents", NULL, NULL);
    int32_t *want = read_tensor(io, "ids", NULL, &n_gid);
    float *m = read_tensor(io, "margin", NULL, NULL), *dec = read_tensor(io, "decoded", NULL, NULL);
    int64_t n_ch, n_freq, crop_t, gf, gt, k, d, n_mean, levels;
    assert_int_equal(clef_tokenizer_shape(tok, &n_ch, &n_freq, &crop_t, &gf, &gt), CLEF_OK);
    assert_int_equal(clef_tokenizer_codebook(tok, &k, &d), CLEF_OK);
    assert_int_equal(clef_tokenizer_mean_tokens(tok, &n_mean, &levels), CLEF_OK);
    size_t n_tok = (size_t)clef_tokenizer_n_tokens(tok), n_grid = (size_t)(gf * gt);
    assert_int_equal(n_tok, n_grid + (size_t)n_mean);
    assert_int_equal(n_gid, n_tok);
    /* grid latents, then the session-mean coefficients and the valid columns */
    size_t n_coef = (size_t)clef_tokenizer_mean_coefficients(tok);
    size_t n_lat = n_grid * (size_t)d + (n_mean > 0 ? n_coef + 1 : 0);
    assert_int_equal(in_shape[0], n_ch);
    assert_int_equal(in_shape[1], n_freq);

    int32_t *ids = calloc(n_tok, sizeof *ids), *ids2 = calloc(n_tok, sizeof *ids2);
    float *z = calloc(n_lat, sizeof *z), *z2 = calloc(n_lat, sizeof *z2);
    size_t n_out = (size_t)(n_ch * n_freq * crop_t), needed = 0;
    float *out = calloc(n_out, sizeof *out), *out2 = calloc(n_out, sizeof *out2);
    assert_int_equal(clef_tokenizer_encode(tok, ss, in, n_ch, n_freq, in_shape[2], ids, n_tok, z,
                                           n_lat, &needed),
                     CLEF_OK);
    assert_int_equal(needed, n_tok);
    test_assert_close_f32(z, lat, n_lat, LAT_ATOL, LAT_RTOL, "latents");
    /* session-mean ids: double-precision projections on both sides, so equal */
    for (size_t i = n_grid; i < n_tok; i++)
        if (ids[i] != want[i] || ids[i] < k || ids[i] >= k + levels)
            fail_msg("%s: session-mean token %zu is %d, NumPy %d", cfg, i - n_grid, ids[i],
                     want[i]);
    size_t n_diff = 0;
    for (size_t i = 0; i < n_grid; i++) {
        if (ids[i] != want[i]) {
            n_diff++;
            if (!(m[i] < TIE_MARGIN))
                fail_msg("%s: token %zu is %d, PyTorch %d, margin %g (not a tie)", cfg, i, ids[i],
                         want[i], (double)m[i]);
        }
    }
    print_message("%s: %zu tokens, %zu differ from PyTorch at ties\n", cfg, n_tok, n_diff);
    /* decode the reference ids so that a tie above cannot change the comparison */
    assert_int_equal(clef_tokenizer_decode(tok, ss, want, n_tok, out, n_out, &needed), CLEF_OK);
    assert_int_equal(needed, n_out);
    test_assert_close_f32(out, dec, n_out, DEC_ATOL, DEC_RTOL, "decoded");

    /* thread count changes nothing: static partition, same reduction order */
    clef_session *s3 = NULL, *s2 = NULL;
    assert_int_equal(clef_session_create(&s3, ctx, 3), CLEF_OK);
    assert_int_equal(clef_session_create(&s2, ctx, 2), CLEF_OK);
    assert_int_equal(
        clef_tokenizer_encode(tok, s3, in, n_ch, n_freq, in_shape[2], ids2, n_tok, z2, n_lat, NULL),
        CLEF_OK);
    assert_memory_equal(ids, ids2, n_tok * sizeof *ids);
    assert_memory_equal(z, z2, n_lat * sizeof *z);
    assert_int_equal(clef_tokenizer_decode(tok, s2, want, n_tok, out2, n_out, NULL), CLEF_OK);
    assert_memory_equal(out, out2, n_out * sizeof *out);

    free(ids);
    free(ids2);
    free(z);
    free(z2);
    free(out);
    free(out2);
    free(in);
    free(lat);
    free(want);
    free(m);
    free(dec);
    clef_weights_free(io);
    clef_tokenizer_free(tok);
    clef_session_free(s3);
    clef_session_free(s2);
    clef_session_free(ss);
    clef_ctx_free(ctx);
}

static void check_golden(const char *cfg) { check_golden_io(cfg, cfg); }

static void test_golden_tiny(void **state) {
    (void)state;
    check_golden("tiny");
}

static void test_golden_real(void **state) {
    (void)state;
    check_golden("real");
}

/* With session-mean tokens (NumPy MeanCoder + PyTorch network on the residual); then channel 1
 * absent: coefficients fitted to the present channels (ridge), decode imputing channel 1. */
static void test_golden_mean(void **state) {
    (void)state;
    check_golden("mean");
    check_golden_io("mean", "mean_absent");
}

/* The default architecture gives exactly 2,048 tokens for a 20-minute session (1,197 frames). */
static void test_default_grid(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 2), CLEF_OK);
    clef_tokenizer *tok = NULL;
    assert_int_equal(clef_tokenizer_create(&tok, ctx, NULL, 42), CLEF_OK);
    int64_t n_ch, n_freq, crop_t, gf, gt, k, d;
    assert_int_equal(clef_tokenizer_shape(tok, &n_ch, &n_freq, &crop_t, &gf, &gt), CLEF_OK);
    assert_int_equal(clef_tokenizer_codebook(tok, &k, &d), CLEF_OK);
    assert_int_equal(n_ch, 19);
    assert_int_equal(n_freq, 128);
    assert_int_equal(crop_t, 1280);
    assert_int_equal(gf, 8);
    assert_int_equal(gt, 256);
    assert_int_equal(k, 1024);
    assert_int_equal(d, 32);
    assert_int_equal(clef_tokenizer_n_tokens(tok), 2048);
    assert_int_equal(clef_tokenizer_valid_columns(tok, 1197), 240);
    assert_int_equal(clef_tokenizer_valid_columns(tok, 5000), 256);
    assert_int_equal(clef_tokenizer_valid_columns(tok, 1), 1);
    assert_int_equal(clef_tokenizer_valid_columns(tok, 0), 0);

    size_t n_in = 19 * 128 * 1197;
    float *spec = malloc(n_in * sizeof *spec);
    for (size_t i = 0; i < n_in; i++)
        spec[i] = (float)(30.0 * sin(0.37 * (double)i) * cos(0.011 * (double)(i % 1197)));
    int32_t ids[2048];
    assert_int_equal(clef_tokenizer_encode(tok, ss, spec, 19, 128, 1197, ids, 2048, NULL, 0, NULL),
                     CLEF_OK);
    int distinct = 0;
    static unsigned char seen[1024];
    for (int i = 0; i < 2048; i++) {
        assert_true(ids[i] >= 0 && ids[i] < 1024);
        distinct += !seen[ids[i]];
        seen[ids[i]] = 1;
    }
    assert_true(distinct > 1);
    free(spec);
    clef_tokenizer_free(tok);
    clef_session_free(ss);
    clef_ctx_free(ctx);
}

/* A small architecture through the params API. */
static clef_tokenizer *small_tok(clef_ctx *ctx) {
    clef_params *p = NULL;
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_TOKENIZER), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_IN_CHANNELS, 2), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_N_FREQ, 16), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_CROP_T, 40), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_CH, 8), CLEF_OK);
    assert_int_equal(clef_params_set_str(p, CLEF_P_TOK_CH_MULT, "1,2"), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_GN_GROUPS, 4), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_CODEBOOK_SIZE, 32), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_CODE_DIM, 4), CLEF_OK);
    clef_tokenizer *tok = NULL;
    assert_int_equal(clef_tokenizer_create(&tok, ctx, p, 7), CLEF_OK);
    clef_params_free(p);
    return tok;
}

/* Longer sessions keep their first crop_t frames; shorter ones are zero-padded. */
static void test_length_policy(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 2), CLEF_OK);
    clef_tokenizer *tok = small_tok(ctx);
    assert_int_equal(clef_tokenizer_n_tokens(tok), 4 * 8);
    float longs[2 * 16 * 55], first[2 * 16 * 40], padded[2 * 16 * 40] = {0}, shorts[2 * 16 * 23];
    for (int r = 0; r < 32; r++) {
        for (int t = 0; t < 55; t++) {
            float v = (float)(35.0 * sin(0.3 * r + 0.21 * t * t));
            longs[r * 55 + t] = v;
            if (t < 40)
                first[r * 40 + t] = v;
            if (t < 23) {
                shorts[r * 23 + t] = v;
                padded[r * 40 + t] = v;
            }
        }
    }
    int32_t a[32], b[32];
    float za[128], zb[128];
    assert_int_equal(clef_tokenizer_encode(tok, ss, longs, 2, 16, 55, a, 32, za, 128, NULL),
                     CLEF_OK);
    assert_int_equal(clef_tokenizer_encode(tok, ss, first, 2, 16, 40, b, 32, zb, 128, NULL),
                     CLEF_OK);
    assert_memory_equal(za, zb, sizeof za);
    assert_memory_equal(a, b, sizeof a);
    assert_int_equal(clef_tokenizer_encode(tok, ss, shorts, 2, 16, 23, a, 32, za, 128, NULL),
                     CLEF_OK);
    assert_int_equal(clef_tokenizer_encode(tok, ss, padded, 2, 16, 40, b, 32, zb, 128, NULL),
                     CLEF_OK);
    assert_memory_equal(za, zb, sizeof za);
    assert_int_equal(clef_tokenizer_valid_columns(tok, 23), 5);
    clef_tokenizer_free(tok);
    clef_session_free(ss);
    clef_ctx_free(ctx);
}

static void test_bad_args(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 2), CLEF_OK);
    clef_tokenizer *tok = small_tok(ctx);
    float spec[2 * 16 * 40] = {0}, out[2 * 16 * 40];
    int32_t ids[32];
    size_t needed = 0;
    assert_int_equal(clef_tokenizer_encode(tok, ss, spec, 3, 16, 40, ids, 32, NULL, 0, NULL),
                     CLEF_ERR_SHAPE);
    assert_int_equal(clef_session_errcode(ss), CLEF_ERR_SHAPE);
    assert_non_null(strstr(clef_session_errmsg(ss), "3 channels"));
    assert_int_equal(clef_tokenizer_encode(tok, ss, spec, 2, 16, 0, ids, 32, NULL, 0, NULL),
                     CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_tokenizer_encode(tok, ss, spec, 2, 16, 40, ids, 31, NULL, 0, &needed),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(needed, 32);
    float z[127];
    assert_int_equal(clef_tokenizer_encode(tok, ss, spec, 2, 16, 40, ids, 32, z, 127, NULL),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(clef_tokenizer_encode(NULL, ss, spec, 2, 16, 40, ids, 32, NULL, 0, NULL),
                     CLEF_ERR_INVALID_ARG);
    assert_string_not_equal(clef_session_errmsg(ss), "");
    assert_int_equal(clef_tokenizer_encode(tok, NULL, spec, 2, 16, 40, ids, 32, NULL, 0, NULL),
                     CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_tokenizer_decode(tok, NULL, ids, 32, out, 1280, NULL),
                     CLEF_ERR_INVALID_ARG);
    for (int i = 0; i < 32; i++)
        ids[i] = i;
    assert_int_equal(clef_tokenizer_decode(tok, ss, ids, 31, out, 1280, NULL), CLEF_ERR_SHAPE);
    assert_int_equal(clef_tokenizer_decode(tok, ss, ids, 32, out, 1279, &needed),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(needed, 1280);
    ids[5] = 32;
    assert_int_equal(clef_tokenizer_decode(tok, ss, ids, 32, out, 1280, NULL), CLEF_ERR_RANGE);
    assert_non_null(strstr(clef_session_errmsg(ss), "ids[5] = 32"));
    ids[5] = 5;
    assert_int_equal(clef_tokenizer_decode(tok, ss, ids, 32, out, 1280, NULL), CLEF_OK);
    assert_string_equal(clef_session_errmsg(ss), ""); /* the one error rule */

    clef_params *p = NULL;
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_TOKENIZER), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_N_FREQ, 100), CLEF_OK);
    clef_tokenizer *bad = NULL;
    assert_int_equal(clef_tokenizer_create(&bad, ctx, p, 1), CLEF_ERR_FORMAT);
    assert_null(bad);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "n_freq"));
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_N_FREQ, 128), CLEF_OK);
    assert_int_equal(clef_params_set_str(p, CLEF_P_TOK_CH_MULT, "1,x"), CLEF_OK);
    assert_int_equal(clef_tokenizer_create(&bad, ctx, p, 1), CLEF_ERR_INVALID_ARG);
    clef_params_free(p);
    clef_tokenizer_free(tok);
    clef_session_free(ss);
    clef_ctx_free(ctx);
}

/* ---- bad weights files: variants of the tiny golden weights ---- */

static clef_ctx *clef_weights_ctx_for_test; /* ctx of the variant writer */

typedef struct variant {
    const char *drop;     /* tensor left out */
    const char *reshape;  /* tensor given a wrong shape (first dim + 1, data extended) */
    const char *extra;    /* extra tensor added */
    const char *meta_key; /* metadata key changed ... */
    const char *meta_val; /* ... to this value (NULL: removed) */
    const char *zero;     /* tensor whose values are set to 0 */
} variant;

static void write_variant(clef_weights *src, const char *path, const variant *v) {
    clef_weights_writer *wr = NULL;
    assert_int_equal(clef_weights_writer_create(&wr, clef_weights_ctx_for_test), CLEF_OK);
    for (int64_t i = 0; i < clef_weights_meta_count(src); i++) {
        const char *k, *val;
        assert_int_equal(clef_weights_meta_at(src, i, &k, &val), CLEF_OK);
        if (v->meta_key != NULL && strcmp(k, v->meta_key) == 0)
            val = v->meta_val;
        if (val != NULL)
            assert_int_equal(clef_weights_writer_set_meta(wr, k, val), CLEF_OK);
    }
    int64_t n = clef_weights_n_tensors(src);
    for (int64_t i = 0; i <= n; i++) {
        const char *name;
        int32_t rank;
        int64_t numel, shape[8];
        assert_int_equal(clef_weights_tensor_info(src, i < n ? i : 0, &name, NULL, &rank, &numel),
                         CLEF_OK);
        assert_int_equal(clef_weights_tensor_shape(src, i < n ? i : 0, shape, 8, NULL), CLEF_OK);
        float *data = malloc(((size_t)numel + (size_t)(numel / shape[0])) * sizeof *data);
        assert_int_equal(clef_weights_read_f32(src, name, data, (size_t)numel, NULL), CLEF_OK);
        if (i == n)
            name = v->extra;
        if (name == NULL || (v->drop != NULL && strcmp(name, v->drop) == 0)) {
            free(data);
            continue;
        }
        if (v->zero != NULL && strcmp(name, v->zero) == 0)
            memset(data, 0, (size_t)numel * sizeof *data);
        if (v->reshape != NULL && strcmp(name, v->reshape) == 0) {
            memcpy(data + numel, data, (size_t)(numel / shape[0]) * sizeof *data);
            numel += numel / shape[0];
            shape[0]++;
        }
        assert_int_equal(
            clef_weights_writer_add_f32(wr, name, CLEF_DTYPE_F32, shape, rank, data, (size_t)numel),
            CLEF_OK);
        free(data);
    }
    assert_int_equal(clef_weights_writer_write(wr, path), CLEF_OK);
    clef_weights_writer_free(wr);
}

static void expect_load(clef_weights *src, const variant *v, clef_status want,
                        const char *msg_part) {
    char path[] = "/tmp/clef_tok_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_variant(src, path, v);
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_tokenizer *tok = NULL;
    clef_status rc = clef_tokenizer_load(&tok, ctx, path);
    if (rc != want || strstr(clef_ctx_errmsg(ctx), msg_part) == NULL)
        fail_msg("load gave %d '%s', expected %d with '%s'", rc, clef_ctx_errmsg(ctx), want,
                 msg_part);
    if (want != CLEF_OK)
        assert_null(tok);
    clef_tokenizer_free(tok);
    clef_ctx_free(ctx);
    unlink(path);
}

static void test_bad_weights(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_weights *src = NULL;
    assert_int_equal(clef_weights_open(&src, ctx, golden("tiny", "weights")), CLEF_OK);
    clef_weights_ctx_for_test = ctx;
    /* the rewriter itself round-trips */
    expect_load(src, &(variant){0}, CLEF_OK, "");
    expect_load(src, &(variant){.drop = "enc.mid.conv2.bias"}, CLEF_ERR_NOT_FOUND,
                "tensor 'enc.mid.conv2.bias' [16] missing");
    expect_load(src, &(variant){.reshape = "dec.up.1.resample.conv.weight"}, CLEF_ERR_SHAPE,
                "'dec.up.1.resample.conv.weight' has shape [17, 16, 3, 3] in the file, the model "
                "expects [16, 16, 3, 3]");
    expect_load(src, &(variant){.extra = "enc.attn.q.weight"}, CLEF_ERR_FORMAT,
                "unexpected tensor 'enc.attn.q.weight'");
    expect_load(src, &(variant){.meta_key = "clef.tok.n_tokens", .meta_val = "2048"},
                CLEF_ERR_FORMAT, "'clef.tok.n_tokens' = 2048, the architecture gives 64");
    expect_load(src, &(variant){.meta_key = "clef.tok.code_dim", .meta_val = NULL}, CLEF_ERR_FORMAT,
                "'clef.tok.code_dim' is missing");
    expect_load(src, &(variant){.meta_key = "clef.tok.code_dim", .meta_val = "8"}, CLEF_ERR_SHAPE,
                "'enc.conv_out.weight' has shape [4, 16, 3, 3] in the file, the model expects "
                "[8, 16, 3, 3]");
    expect_load(src, &(variant){.meta_key = "clef.tok.code_dim", .meta_val = "4x"}, CLEF_ERR_FORMAT,
                "'clef.tok.code_dim' = '4x' is not a decimal integer");
    expect_load(src, &(variant){.meta_key = "clef.tok.arch", .meta_val = "vqgan-2"},
                CLEF_ERR_UNSUPPORTED, "'clef.tok.arch' = 'vqgan-2', expected 'vqgan-1'");
    expect_load(src, &(variant){.meta_key = "clef.components", .meta_val = "enc,text"},
                CLEF_ERR_NOT_FOUND, "has no 'tok'");
    expect_load(src, &(variant){.meta_key = "clef.tok.n_freq", .meta_val = "30"}, CLEF_ERR_FORMAT,
                "n_freq must be divisible");
    expect_load(src, &(variant){.meta_key = "clef.spec.step_s", .meta_val = NULL}, CLEF_ERR_FORMAT,
                "clef.spec.step_s");
    expect_load(src, &(variant){.meta_key = "clef.spec.n_tapers", .meta_val = "0"}, CLEF_ERR_FORMAT,
                "'clef.spec.n_tapers' = 0 is not in [1, 1024]");
    expect_load(src, &(variant){.meta_key = "clef.spec.norm", .meta_val = NULL}, CLEF_ERR_FORMAT,
                "'clef.spec.norm' is missing");
    clef_weights_free(src);

    clef_tokenizer *tok = NULL;
    assert_int_equal(clef_tokenizer_load(&tok, ctx, "/nonexistent/tok.safetensors"), CLEF_ERR_IO);
    assert_null(tok);
    /* not a safetensors file */
    assert_int_equal(clef_tokenizer_load(&tok, ctx, golden("tiny", "io")), CLEF_ERR_FORMAT);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "'clef.format' is missing"));
    clef_ctx_free(ctx);
}

/* Session-mean tokens: their tensors and clef.tok.mean_* keys are checked like the rest. */
static void test_bad_weights_mean(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_weights *src = NULL;
    assert_int_equal(clef_weights_open(&src, ctx, golden("mean", "weights")), CLEF_OK);
    clef_weights_ctx_for_test = ctx;
    expect_load(src, &(variant){0}, CLEF_OK, "");
    expect_load(src, &(variant){.drop = "mean.basis"}, CLEF_ERR_NOT_FOUND,
                "tensor 'mean.basis' [3, 3, 32] missing");
    expect_load(src, &(variant){.reshape = "mean.scale"}, CLEF_ERR_SHAPE,
                "'mean.scale' has shape [4] in the file, the model expects [3]");
    expect_load(src, &(variant){.zero = "mean.scale"}, CLEF_ERR_FORMAT,
                "mean.scale[0] = 0 is not positive");
    expect_load(src, &(variant){.meta_key = "clef.tok.mean_tokens", .meta_val = "5"},
                CLEF_ERR_FORMAT, "'clef.tok.n_tokens' = 68, the architecture gives 69");
    /* without the key the file's mean tensors are strangers (after the token count) */
    expect_load(src, &(variant){.meta_key = "clef.tok.mean_tokens", .meta_val = NULL},
                CLEF_ERR_FORMAT, "'clef.tok.n_tokens' = 68, the architecture gives 64");
    expect_load(src, &(variant){.meta_key = "clef.tok.mean_levels", .meta_val = "65530"},
                CLEF_ERR_FORMAT, "mean_levels grid_t + 1 to 65536 - codebook_size");
    expect_load(src, &(variant){.meta_key = "clef.tok.mean_levels", .meta_val = "8"},
                CLEF_ERR_FORMAT, "mean_levels grid_t + 1"); /* 8 columns need 9 levels */
    expect_load(src, &(variant){.meta_key = "clef.tok.mean_levels", .meta_val = NULL},
                CLEF_ERR_FORMAT, "'clef.tok.mean_levels' is missing");
    expect_load(src, &(variant){.meta_key = "clef.tok.mean_coder", .meta_val = "pca-2"},
                CLEF_ERR_UNSUPPORTED, "'clef.tok.mean_coder' = 'pca-2', expected 'pca-power-2'");
    clef_weights_free(src);
    /* mean tensors in a file of a tokenizer without them */
    assert_int_equal(clef_weights_open(&src, ctx, golden("tiny", "weights")), CLEF_OK);
    expect_load(src, &(variant){.extra = "mean.scale"}, CLEF_ERR_FORMAT,
                "unexpected tensor 'mean.scale'");
    clef_weights_free(src);
    clef_ctx_free(ctx);
}

/* Getters, id ranges, save/load, and a clone for another crop keeping the coder. */
static void test_mean_tokens(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 2), CLEF_OK);
    clef_tokenizer *tok = NULL, *back = NULL, *wide = NULL, *whole = NULL;
    /* loaded for whole sessions: the session image, whatever the training crop */
    assert_int_equal(clef_tokenizer_load(&whole, ctx, golden("mean", "weights")), CLEF_OK);
    int64_t whole_t = 0;
    assert_int_equal(clef_tokenizer_shape(whole, NULL, NULL, &whole_t, NULL, NULL), CLEF_OK);
    assert_int_equal(whole_t, 1275);
    assert_int_equal(clef_tokenizer_n_tokens(whole), 8 * 255 + 4);
    clef_tokenizer_free(whole);
    tok = load_crop(ctx, golden("mean", "weights"), golden_crop_t("mean"));
    int64_t n = 0, lv = 0;
    assert_int_equal(clef_tokenizer_mean_tokens(tok, &n, &lv), CLEF_OK);
    assert_int_equal(n, 4);
    assert_int_equal(lv, 1024);
    assert_int_equal(clef_tokenizer_n_tokens(tok), 8 * 8 + 4);
    /* 4 tokens take one of the 8-row columns: 1,280 - 5 frames */
    assert_int_equal(clef_tokenizer_session_frames(tok), 1275);
    assert_int_equal(clef_tokenizer_mean_tokens(NULL, &n, &lv), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_tokenizer_session_frames(NULL), 0);
    float spec[3 * 32 * 33];
    for (int i = 0; i < 3 * 32 * 33; i++)
        spec[i] = (float)(15.0 * sin(0.07 * i) + (i / (32 * 33)) * 6.0);
    int32_t ids[68], ib[68], iw[8 * 80 + 4];
    float out[3 * 32 * 40], ob[3 * 32 * 40];
    assert_int_equal(clef_tokenizer_encode(tok, ss, spec, 3, 32, 33, ids, 67, NULL, 0, NULL),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    /* 2 coefficient tokens (one of one coefficient, one of two), a presence token (3
     * channels), the column count */
    assert_int_equal(clef_tokenizer_mean_coefficients(tok), 3);
    assert_int_equal(clef_tokenizer_mean_coefficients(NULL), 0);
    float lat[8 * 8 * 4 + 4];
    assert_int_equal(
        clef_tokenizer_encode(tok, ss, spec, 3, 32, 33, ids, 68, lat, 8 * 8 * 4 + 3, NULL),
        CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(
        clef_tokenizer_encode(tok, ss, spec, 3, 32, 33, ids, 68, lat, 8 * 8 * 4 + 4, NULL),
        CLEF_OK);
    for (int i = 64; i < 66; i++)
        assert_true(ids[i] >= 16 && ids[i] < 16 + 1024);
    for (int i = 0; i < 3; i++) /* coefficients, in standard deviations of the component */
        assert_true(isfinite(lat[8 * 8 * 4 + i]) && fabsf(lat[8 * 8 * 4 + i]) < 1000.0f);
    assert_int_equal(ids[66], 16); /* no absent channel */
    /* the last session token counts the valid columns: 33 frames = 7 columns of 5 */
    assert_int_equal(ids[67], 16 + 7);
    assert_true(lat[8 * 8 * 4 + 3] == 7.0f);
    assert_int_equal(clef_tokenizer_decode(tok, ss, ids, 67, out, 3 * 32 * 40, NULL),
                     CLEF_ERR_SHAPE);
    memcpy(ib, ids, sizeof ids);
    ib[65] = 15; /* a grid code where a session-mean id belongs */
    assert_int_equal(clef_tokenizer_decode(tok, ss, ib, 68, out, 3 * 32 * 40, NULL),
                     CLEF_ERR_RANGE);
    assert_non_null(strstr(clef_session_errmsg(ss), "ids[65] = 15 (a session-mean token) is not in "
                                                    "[16, 1040)"));
    ib[65] = 1040;
    assert_int_equal(clef_tokenizer_decode(tok, ss, ib, 68, out, 3 * 32 * 40, NULL),
                     CLEF_ERR_RANGE);
    memcpy(ib, ids, sizeof ids);
    ib[3] = 16; /* a session-mean id in the grid */
    assert_int_equal(clef_tokenizer_decode(tok, ss, ib, 68, out, 3 * 32 * 40, NULL),
                     CLEF_ERR_RANGE);
    assert_int_equal(clef_tokenizer_decode(tok, ss, ids, 68, out, 3 * 32 * 40, NULL), CLEF_OK);
    /* save -> load: same ids, same decoded image */
    char path[] = "/tmp/clef_tok_mean_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(clef_tokenizer_save(tok, ctx, path), CLEF_OK);
    back = load_crop(ctx, path, 40);
    unlink(path);
    assert_int_equal(clef_tokenizer_encode(back, ss, spec, 3, 32, 33, ib, 68, NULL, 0, NULL),
                     CLEF_OK);
    assert_memory_equal(ids, ib, sizeof ids);
    assert_int_equal(clef_tokenizer_decode(back, ss, ids, 68, ob, 3 * 32 * 40, NULL), CLEF_OK);
    assert_memory_equal(out, ob, sizeof out);
    /* a wider image of the same 33 frames: the same session mean, so the same mean tokens */
    assert_int_equal(clef_tokenizer_clone_crop(&wide, tok, ctx, 400), CLEF_OK);
    assert_int_equal(clef_tokenizer_n_tokens(wide), 8 * 80 + 4);
    assert_int_equal(
        clef_tokenizer_encode(wide, ss, spec, 3, 32, 33, iw, 8 * 80 + 4, NULL, 0, NULL), CLEF_OK);
    assert_memory_equal(iw + 8 * 80, ids + 64, 4 * sizeof *ids);
    clef_tokenizer_free(tok);
    clef_tokenizer_free(back);
    clef_tokenizer_free(wide);
    clef_session_free(ss);
    clef_ctx_free(ctx);
}

/* Decode keeps each row's coded session power: whatever the grid tokens say, the mean power
 * of every (channel, frequency) row over the valid columns' frames is the same (the coded M^);
 * and clef_tokenizer_session_mean() is 10 log10 of the mean power. */
static void test_mean_power_kept(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 2), CLEF_OK);
    clef_tokenizer *tok = load_crop(ctx, golden("mean", "weights"), golden_crop_t("mean"));
    enum { C = 3, NF = 32, T = 40, VALID = 35 }; /* 7 valid columns of 5 frames */
    float spec[C * NF * 33], out[2][C * NF * T], p[2][C * NF];
    for (int i = 0; i < C * NF * 33; i++)
        spec[i] = (float)(12.0 * sin(0.05 * i) + 3.0 * cos(1.7 * i));
    int32_t ids[68];
    assert_int_equal(clef_tokenizer_encode(tok, ss, spec, C, NF, 33, ids, 68, NULL, 0, NULL),
                     CLEF_OK);
    for (int v = 0; v < 2; v++) {
        if (v == 1)
            for (int i = 0; i < 64; i++)
                ids[i] = (ids[i] + 5 + i) % 16; /* other grid codes, same session tokens */
        assert_int_equal(clef_tokenizer_decode(tok, ss, ids, 68, out[v], C * NF * T, NULL),
                         CLEF_OK);
        float rows[C * NF * VALID];
        for (int r = 0; r < C * NF; r++)
            memcpy(rows + r * VALID, out[v] + r * T, VALID * sizeof *rows);
        assert_int_equal(clef_tokenizer_session_mean(rows, C, NF, VALID, p[v]), CLEF_OK);
    }
    double moved = 0.0;
    for (int i = 0; i < C * NF * T; i++)
        moved = fmax(moved, fabs((double)out[1][i] - out[0][i]));
    assert_true(moved > 1.0); /* the grid codes do change the image */
    test_assert_close_f32(p[1], p[0], C * NF, 1e-3, 0.0, "row power");
    /* session_mean: rows {0, 10} dB -> 10 log10(5.5); the blank level stays */
    const float two[4] = {0.0f, 10.0f, -40.0f, -40.0f};
    float m[2];
    assert_int_equal(clef_tokenizer_session_mean(two, 2, 1, 2, m), CLEF_OK);
    assert_true(fabs(m[0] - 10.0 * log10(5.5)) < 1e-4 && fabs(m[1] + 40.0) < 1e-4);
    assert_int_equal(clef_tokenizer_session_mean(two, 2, 1, 0, m), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_tokenizer_session_mean(NULL, 2, 1, 2, m), CLEF_ERR_INVALID_ARG);
    clef_tokenizer_free(tok);
    clef_session_free(ss);
    clef_ctx_free(ctx);
}

/* ---- clef.spec.* metadata and the spectrogram check ---- */

static clef_spectrogram *spec_with(clef_ctx *ctx, int32_t key, double val, const char *str) {
    clef_params *p = NULL;
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_SPEC), CLEF_OK);
    if (str != NULL)
        assert_int_equal(clef_params_set_str(p, key, str), CLEF_OK);
    else if (key == CLEF_P_SPEC_N_TAPERS || key == CLEF_P_SPEC_NFFT ||
             key == CLEF_P_SPEC_WINDOW_SAMPLES)
        assert_int_equal(clef_params_set_i64(p, key, (int64_t)val), CLEF_OK);
    else if (key != 0)
        assert_int_equal(clef_params_set_f64(p, key, val), CLEF_OK);
    clef_spectrogram *sg = NULL;
    assert_int_equal(clef_spectrogram_create(&sg, ctx, p), CLEF_OK);
    clef_params_free(p);
    return sg;
}

static void expect_spec_check(const clef_tokenizer *tok, clef_session *ss, clef_spectrogram *sg,
                              clef_status want, const char *msg_part) {
    clef_status rc = clef_tokenizer_check_spectrogram(tok, ss, sg);
    if (rc != want || (want != CLEF_OK && strstr(clef_session_errmsg(ss), msg_part) == NULL) ||
        (want == CLEF_OK && clef_session_errmsg(ss)[0] != 0))
        fail_msg("check gave %d '%s', expected %d with '%s'", rc, clef_session_errmsg(ss), want,
                 msg_part);
    clef_spectrogram_free(sg);
}

/* The dsp getters report the parameters a spectrogram was built with. */
static void test_spec_getters(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_spectrogram *sg = spec_with(ctx, CLEF_P_SPEC_NFFT, 1600, NULL);
    double v = 0.0;
    const struct {
        int32_t key;
        double want;
    } cases[] = {{CLEF_P_SPEC_FS, 200},
                 {CLEF_P_SPEC_WINDOW_S, 4},
                 {CLEF_P_SPEC_STEP_S, 1},
                 {CLEF_P_SPEC_WINDOW_SAMPLES, 800},
                 {CLEF_P_SPEC_STEP_SAMPLES, 200},
                 {CLEF_P_SPEC_NFFT, 1600},
                 {CLEF_P_SPEC_NW, 4},
                 {CLEF_P_SPEC_BANDWIDTH_HZ, 2},
                 {CLEF_P_SPEC_N_TAPERS, 7},
                 {CLEF_P_SPEC_EIG_MIN, 0.9},
                 {CLEF_P_SPEC_FMIN_HZ, 0},
                 {CLEF_P_SPEC_FMAX_HZ, 32},
                 {CLEF_P_SPEC_DB_MIN, -40},
                 {CLEF_P_SPEC_DB_MAX, 40}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(clef_spectrogram_param_f64(sg, cases[i].key, &v), CLEF_OK);
        if (fabs(v - cases[i].want) > 1e-12)
            fail_msg("key %d: %.17g, expected %g", (int)cases[i].key, v, cases[i].want);
    }
    assert_int_equal(clef_spectrogram_param_f64(sg, CLEF_P_SPEC_SCALE, &v), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_spectrogram_param_f64(NULL, CLEF_P_SPEC_FS, &v), CLEF_ERR_INVALID_ARG);
    assert_string_equal(clef_spectrogram_param_str(sg, CLEF_P_SPEC_SCALE), "db");
    assert_string_equal(clef_spectrogram_param_str(sg, CLEF_P_SPEC_WEIGHTING), "eigen");
    assert_string_equal(clef_spectrogram_param_str(sg, CLEF_P_SPEC_DETREND), "constant");
    assert_string_equal(clef_spectrogram_param_str(sg, CLEF_P_SPEC_EDGE), "valid");
    assert_null(clef_spectrogram_param_str(sg, CLEF_P_SPEC_FS));
    assert_null(clef_spectrogram_param_str(NULL, CLEF_P_SPEC_SCALE));
    clef_spectrogram_free(sg);
    clef_ctx_free(ctx);
}

/* A tokenizer accepts the spectrogram of its metadata and refuses any other, naming the
 * parameter; the metadata survive save/load and come from the trainer's spectrogram. */
static void test_spec_check(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 2), CLEF_OK);
    clef_tokenizer *tok = NULL;
    assert_int_equal(clef_tokenizer_load(&tok, ctx, golden("real", "weights")), CLEF_OK);
    expect_spec_check(tok, ss, spec_with(ctx, 0, 0, NULL), CLEF_OK, "");
    /* the same spectrogram asked for in samples instead of seconds */
    expect_spec_check(tok, ss, spec_with(ctx, CLEF_P_SPEC_WINDOW_SAMPLES, 800, NULL), CLEF_OK, "");
    const struct {
        int32_t key;
        double val;
        const char *str, *msg;
    } bad[] = {
        {CLEF_P_SPEC_FS, 250, NULL,
         "spectrogram fs = 250, the tokenizer's weights want "
         "clef.spec.fs = 200"},
        {CLEF_P_SPEC_WINDOW_S, 2, NULL, "window_s = 2,"},
        {CLEF_P_SPEC_STEP_S, 0.5, NULL, "step_s = 0.5,"},
        {CLEF_P_SPEC_BANDWIDTH_HZ, 3, NULL, "bandwidth_hz = 3,"},
        {CLEF_P_SPEC_EIG_MIN, 0.5, NULL, "eig_min = 0.5,"},
        {CLEF_P_SPEC_FMIN_HZ, 1, NULL, "fmin_hz = 1,"},
        {CLEF_P_SPEC_FMAX_HZ, 30, NULL, "fmax_hz = 30,"},
        {CLEF_P_SPEC_NFFT, 1600, NULL, "df_hz = 0.125,"},
        {CLEF_P_SPEC_DB_MIN, -50, NULL, "db_min = -50,"},
        {CLEF_P_SPEC_DB_MAX, 30, NULL, "db_max = 30,"},
        {CLEF_P_SPEC_N_TAPERS, 5, NULL, "n_tapers = 5,"},
        {CLEF_P_SPEC_SCALE, 0, "log1p",
         "scale 'log1p', the tokenizer's weights want "
         "clef.spec.norm 'db'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_spec_check(tok, ss, spec_with(ctx, bad[i].key, bad[i].val, bad[i].str),
                          CLEF_ERR_INVALID_ARG, bad[i].msg);
    clef_tokenizer *small = small_tok(ctx); /* 16 bins: the default spectrogram has 128 */
    expect_spec_check(small, ss, spec_with(ctx, 0, 0, NULL), CLEF_ERR_SHAPE,
                      "128 frequency bins, the tokenizer 16");
    assert_int_equal(clef_tokenizer_check_spectrogram(NULL, ss, NULL), CLEF_ERR_INVALID_ARG);
    clef_tokenizer_free(small);

    /* a trainer records its spectrogram; save/load keeps it */
    clef_params *arch = NULL;
    assert_int_equal(clef_params_create(&arch, ctx, CLEF_PARAMS_TOKENIZER), CLEF_OK);
    assert_int_equal(clef_params_set_i64(arch, CLEF_P_TOK_IN_CHANNELS, 2), CLEF_OK);
    assert_int_equal(clef_params_set_i64(arch, CLEF_P_TOK_CROP_T, 40), CLEF_OK);
    assert_int_equal(clef_params_set_i64(arch, CLEF_P_TOK_CH, 8), CLEF_OK);
    assert_int_equal(clef_params_set_str(arch, CLEF_P_TOK_CH_MULT, "1,1,1,1"), CLEF_OK);
    assert_int_equal(clef_params_set_i64(arch, CLEF_P_TOK_GN_GROUPS, 4), CLEF_OK);
    assert_int_equal(clef_params_set_i64(arch, CLEF_P_TOK_CODEBOOK_SIZE, 16), CLEF_OK);
    assert_int_equal(clef_params_set_i64(arch, CLEF_P_TOK_CODE_DIM, 4), CLEF_OK);
    clef_tokenizer_trainer *tr = NULL;
    assert_int_equal(test_trainer_create(&tr, ctx, arch, NULL, 3), CLEF_OK);
    clef_params_free(arch);
    clef_spectrogram *fs250 = spec_with(ctx, CLEF_P_SPEC_FS, 250, NULL);
    clef_spectrogram *narrow = spec_with(ctx, CLEF_P_SPEC_FMAX_HZ, 16, NULL);
    assert_int_equal(clef_tokenizer_trainer_set_spectrogram(tr, narrow), CLEF_ERR_SHAPE);
    assert_non_null(strstr(clef_tokenizer_trainer_errmsg(tr), "64 frequency bins"));
    assert_int_equal(clef_tokenizer_trainer_set_spectrogram(tr, fs250), CLEF_OK);
    char path[] = "/tmp/clef_tok_spec_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(clef_tokenizer_save(clef_tokenizer_trainer_tokenizer(tr), ctx, path), CLEF_OK);
    clef_tokenizer *loaded = NULL;
    assert_int_equal(clef_tokenizer_load(&loaded, ctx, path), CLEF_OK);
    expect_spec_check(loaded, ss, fs250, CLEF_OK, "");
    expect_spec_check(loaded, ss, spec_with(ctx, 0, 0, NULL), CLEF_ERR_INVALID_ARG,
                      "fs = 200, the tokenizer's weights want clef.spec.fs = 250");
    clef_weights *w = NULL;
    const char *ch = NULL;
    assert_int_equal(clef_weights_open(&w, ctx, path), CLEF_OK);
    assert_int_equal(clef_weights_meta_get(w, "clef.spec.channels", &ch), CLEF_OK);
    assert_string_equal(ch, "Fp1,Fp2");
    clef_weights_free(w);
    unlink(path);
    clef_spectrogram_free(narrow);
    clef_tokenizer_free(loaded);
    clef_tokenizer_trainer_free(tr);
    clef_tokenizer_free(tok);
    clef_session_free(ss);
    clef_ctx_free(ctx);
}

/* ---- the pipeline calls: recording or signal -> spectrogram -> tokens on a session ---- */

/* A 1-second cohort recording (shorter than one 4 s spectrogram window) under dir. */
static void short_recording(const char *dir, char *path, size_t cap) {
    clef_ctx *ctx = NULL;
    clef_session *ss = NULL;
    clef_params *p = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(clef_session_create(&ss, ctx, 1), CLEF_OK);
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_COHORT), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_COHORT_N_PATIENTS, 1), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_COHORT_MAX_SESSIONS, 1), CLEF_OK);
    assert_int_equal(clef_params_set_f64(p, CLEF_P_COHORT_DURATION_S, 1), CLEF_OK);
    assert_int_equal(clef_params_set_f64(p, CLEF_P_COHORT_FRAC_BDF, 0), CLEF_OK);
    assert_int_equal(clef_cohort_generate(ss, p, dir, NULL, NULL), CLEF_OK);
    snprintf(path, cap, "%s/edf/P000001_S01.edf", dir);
    clef_params_free(p);
    clef_session_free(ss);
    clef_ctx_free(ctx);
}

/* clef_tokenizer_encode_recording() on a real EDF equals read_canonical -> spectrogram_compute
 * -> encode bit for bit, as does encode_signal(); a warm session grows no scratch; errors leave
 * a specific message on the session. */
static void test_encode_recording(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 2), CLEF_OK);
    /* 19 channels, 128 bins, CLEF's spectrogram; loaded for whole sessions */
    clef_tokenizer *tok = NULL;
    assert_int_equal(clef_tokenizer_load(&tok, ctx, golden("real", "weights")), CLEF_OK);
    clef_spectrogram *sg = NULL;
    assert_int_equal(clef_tokenizer_spectrogram_create(&sg, ctx, tok), CLEF_OK);
    assert_int_equal(clef_tokenizer_check_spectrogram(tok, ss, sg), CLEF_OK);
    assert_string_equal(clef_session_errmsg(ss), "");
    size_t n_tok = (size_t)clef_tokenizer_n_tokens(tok), needed = 0;
    int32_t *ids = calloc(n_tok, sizeof *ids), *want = calloc(n_tok, sizeof *want);
    int32_t *again = calloc(n_tok, sizeof *again);

    /* the manual path: test_subsecond.edf holds Fp1 only, 698 s (shorter than the image) */
    clef_recording *rec = NULL;
    assert_int_equal(clef_recording_open(&rec, ctx, test_data_path("test_subsecond.edf"), NULL),
                     CLEF_OK);
    double read_s = clef_tokenizer_read_seconds(tok, sg);
    assert_true(read_s > 0.0);
    int64_t n = 0, n_out = 0;
    assert_int_equal(clef_recording_canonical_length(rec, 0.0, read_s, &n), CLEF_OK);
    float *x = malloc((size_t)n * CLEF_N_CANONICAL * sizeof *x);
    uint32_t mask_manual = 0, mask = 0;
    assert_int_equal(clef_recording_read_canonical(rec, 0.0, read_s, x, (size_t)n,
                                                   (size_t)n * CLEF_N_CANONICAL, &n_out,
                                                   &mask_manual),
                     CLEF_OK);
    assert_int_equal(mask_manual, 1u); /* Fp1 */
    int64_t nf = clef_spectrogram_n_freqs(sg), frames = clef_spectrogram_n_frames(sg, n_out);
    assert_true(frames > 1);
    size_t n_spec = (size_t)(CLEF_N_CANONICAL * nf * frames);
    float *spec = malloc(n_spec * sizeof *spec);
    assert_int_equal(
        clef_spectrogram_compute(sg, ss, x, (size_t)n, CLEF_N_CANONICAL, n_out, spec, n_spec, NULL),
        CLEF_OK);
    assert_int_equal(clef_tokenizer_encode(tok, ss, spec, CLEF_N_CANONICAL, nf, frames, want, n_tok,
                                           NULL, 0, NULL),
                     CLEF_OK);

    /* the one call */
    assert_int_equal(clef_tokenizer_encode_recording(tok, ss, sg, rec, ids, n_tok, &needed, &mask),
                     CLEF_OK);
    assert_string_equal(clef_session_errmsg(ss), "");
    assert_int_equal(needed, n_tok);
    assert_int_equal(mask, mask_manual);
    assert_memory_equal(ids, want, n_tok * sizeof *ids);
    /* a second call on the warm session: same tokens, no new scratch */
    int64_t warm = clef_session_scratch_bytes(ss);
    assert_true(warm > 0);
    assert_int_equal(clef_tokenizer_encode_recording(tok, ss, sg, rec, again, n_tok, NULL, NULL),
                     CLEF_OK);
    assert_memory_equal(again, want, n_tok * sizeof *again);
    assert_int_equal(clef_session_scratch_bytes(ss), warm);
    /* from samples already read */
    memset(again, 0xff, n_tok * sizeof *again);
    assert_int_equal(
        clef_tokenizer_encode_signal(tok, ss, sg, x, (size_t)n, n_out, again, n_tok, &needed),
        CLEF_OK);
    assert_memory_equal(again, want, n_tok * sizeof *again);
    assert_int_equal(clef_session_scratch_bytes(ss), warm);
    /* another thread count gives the same tokens */
    clef_session *s1 = NULL;
    assert_int_equal(clef_session_create(&s1, ctx, 1), CLEF_OK);
    memset(again, 0xff, n_tok * sizeof *again);
    assert_int_equal(clef_tokenizer_encode_recording(tok, s1, sg, rec, again, n_tok, NULL, NULL),
                     CLEF_OK);
    assert_memory_equal(again, want, n_tok * sizeof *again);
    clef_session_free(s1);
    /* release_scratch gives it back; the next call takes it again */
    assert_int_equal(clef_session_release_scratch(ss), CLEF_OK);
    assert_int_equal(clef_session_scratch_bytes(ss), 0);
    assert_int_equal(clef_tokenizer_encode_recording(tok, ss, sg, rec, again, n_tok, NULL, NULL),
                     CLEF_OK);
    assert_int_equal(clef_session_scratch_bytes(ss), warm);

    /* errors: each leaves a specific message on the session, the next success clears it */
    assert_int_equal(
        clef_tokenizer_encode_recording(tok, ss, sg, rec, ids, n_tok - 1, &needed, NULL),
        CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(needed, n_tok);
    assert_non_null(strstr(clef_session_errmsg(ss), "capacity"));
    assert_int_equal(clef_tokenizer_encode_recording(tok, ss, sg, NULL, ids, n_tok, NULL, NULL),
                     CLEF_ERR_INVALID_ARG);
    assert_non_null(strstr(clef_session_errmsg(ss), "NULL"));
    assert_int_equal(clef_tokenizer_encode_recording(tok, NULL, sg, rec, ids, n_tok, NULL, NULL),
                     CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_tokenizer_encode_signal(tok, ss, sg, x, (size_t)n, 100, ids, n_tok, NULL),
                     CLEF_ERR_SHAPE);
    assert_non_null(strstr(clef_session_errmsg(ss), "shorter than one spectrogram window"));
    assert_int_equal(clef_tokenizer_encode_signal(tok, ss, sg, x, 10, n_out, ids, n_tok, NULL),
                     CLEF_ERR_INVALID_ARG);
    assert_non_null(strstr(clef_session_errmsg(ss), "row stride 10"));
    /* a spectrogram whose parameters differ from the weights': the message names it */
    clef_spectrogram *fs250 = spec_with(ctx, CLEF_P_SPEC_FS, 250, NULL);
    assert_int_equal(clef_tokenizer_encode_recording(tok, ss, fs250, rec, ids, n_tok, NULL, NULL),
                     CLEF_ERR_INVALID_ARG);
    assert_non_null(strstr(clef_session_errmsg(ss), "fs = 250"));
    assert_non_null(strstr(clef_session_errmsg(ss), "clef.spec.fs = 200"));
    assert_int_equal(
        clef_tokenizer_encode_signal(tok, ss, fs250, x, (size_t)n, n_out, ids, n_tok, NULL),
        CLEF_ERR_INVALID_ARG);
    assert_non_null(strstr(clef_session_errmsg(ss), "fs = 250"));
    clef_spectrogram_free(fs250);
    clef_spectrogram *narrow = spec_with(ctx, CLEF_P_SPEC_FMAX_HZ, 16, NULL);
    assert_int_equal(clef_tokenizer_encode_recording(tok, ss, narrow, rec, ids, n_tok, NULL, NULL),
                     CLEF_ERR_INVALID_ARG);
    assert_non_null(strstr(clef_session_errmsg(ss), "fmax_hz = 16"));
    clef_spectrogram_free(narrow);
    /* a tokenizer of other channels than the 19 canonical ones */
    clef_tokenizer *small = small_tok(ctx);
    assert_int_equal(clef_tokenizer_encode_recording(small, ss, sg, rec, ids, n_tok, NULL, NULL),
                     CLEF_ERR_SHAPE);
    assert_non_null(strstr(clef_session_errmsg(ss), "2 channels"));
    clef_tokenizer_free(small);
    /* success after the failures: the error is gone */
    assert_int_equal(clef_tokenizer_encode_recording(tok, ss, sg, rec, again, n_tok, NULL, NULL),
                     CLEF_OK);
    assert_string_equal(clef_session_errmsg(ss), "");
    assert_int_equal(clef_session_errcode(ss), CLEF_OK);
    assert_memory_equal(again, want, n_tok * sizeof *again);
    assert_int_equal(clef_session_scratch_bytes(ss), warm);
    clef_recording_free(rec);

    /* a recording shorter than one window */
    char dir[256], path[512];
    snprintf(dir, sizeof dir, "/tmp/clef_tok_pipe_%ld", (long)getpid());
    short_recording(dir, path, sizeof path);
    assert_int_equal(clef_recording_open(&rec, ctx, path, NULL), CLEF_OK);
    assert_int_equal(clef_tokenizer_encode_recording(tok, ss, sg, rec, ids, n_tok, NULL, NULL),
                     CLEF_ERR_SHAPE);
    assert_int_equal(clef_session_errcode(ss), CLEF_ERR_SHAPE);
    assert_non_null(strstr(clef_session_errmsg(ss), "shorter than one spectrogram window"));
    clef_recording_free(rec);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);

    /* the spectrogram of the weights: NULL arguments */
    clef_spectrogram *none = (clef_spectrogram *)0x1;
    assert_int_equal(clef_tokenizer_spectrogram_create(&none, ctx, NULL), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_tokenizer_spectrogram_create(NULL, ctx, tok), CLEF_ERR_INVALID_ARG);

    free(spec);
    free(x);
    free(ids);
    free(want);
    free(again);
    clef_spectrogram_free(sg);
    clef_tokenizer_free(tok);
    clef_session_free(ss);
    clef_ctx_free(ctx);
}

/* save -> load gives the same tokenizer: same tokens, same decoded output. */
static void test_save_roundtrip(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 2), CLEF_OK);
    clef_tokenizer *a = small_tok(ctx), *b = NULL;
    char path[] = "/tmp/clef_tok_save_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(clef_tokenizer_save(a, ctx, path), CLEF_OK);
    b = load_crop(ctx, path, 40);
    float spec[2 * 16 * 37], za[128], zb[128], da[2 * 16 * 40], db[2 * 16 * 40];
    for (int i = 0; i < 2 * 16 * 37; i++)
        spec[i] = (float)(25.0 * cos(0.3 * i));
    int32_t ia[32], ib[32];
    assert_int_equal(clef_tokenizer_encode(a, ss, spec, 2, 16, 37, ia, 32, za, 128, NULL), CLEF_OK);
    assert_int_equal(clef_tokenizer_encode(b, ss, spec, 2, 16, 37, ib, 32, zb, 128, NULL), CLEF_OK);
    assert_memory_equal(za, zb, sizeof za);
    assert_memory_equal(ia, ib, sizeof ia);
    assert_int_equal(clef_tokenizer_decode(a, ss, ia, 32, da, 1280, NULL), CLEF_OK);
    assert_int_equal(clef_tokenizer_decode(b, ss, ia, 32, db, 1280, NULL), CLEF_OK);
    assert_memory_equal(da, db, sizeof da);
    assert_int_equal(clef_tokenizer_save(a, ctx, "/nonexistent/dir/x.safetensors"), CLEF_ERR_IO);
    unlink(path);
    clef_tokenizer_free(a);
    clef_tokenizer_free(b);
    clef_session_free(ss);
    clef_ctx_free(ctx);
}

/* A clone for another crop length keeps the weights: the same crop gives the same tokens, a
 * longer crop a wider grid; crop lengths off the time stride are refused. */
static void test_clone_crop(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 2), CLEF_OK);
    clef_tokenizer *a = small_tok(ctx), *same = NULL, *wide = NULL;
    assert_int_equal(clef_tokenizer_clone_crop(&same, a, ctx, 40), CLEF_OK);
    assert_int_equal(clef_tokenizer_clone_crop(&wide, a, ctx, 400), CLEF_OK);
    int64_t gt = 0;
    assert_int_equal(clef_tokenizer_shape(wide, NULL, NULL, NULL, NULL, &gt), CLEF_OK);
    assert_int_equal(gt, 80);
    assert_int_equal(clef_tokenizer_n_tokens(wide), 4 * 80);
    float spec[2 * 16 * 40];
    for (int i = 0; i < 2 * 16 * 40; i++)
        spec[i] = (float)(20.0 * sin(0.11 * i));
    int32_t ia[32], ib[32], iw[320];
    assert_int_equal(clef_tokenizer_encode(a, ss, spec, 2, 16, 40, ia, 32, NULL, 0, NULL), CLEF_OK);
    assert_int_equal(clef_tokenizer_encode(same, ss, spec, 2, 16, 40, ib, 32, NULL, 0, NULL),
                     CLEF_OK);
    assert_memory_equal(ia, ib, sizeof ia);
    assert_int_equal(clef_tokenizer_encode(wide, ss, spec, 2, 16, 40, iw, 320, NULL, 0, NULL),
                     CLEF_OK);
    for (int i = 0; i < 320; i++)
        assert_true(iw[i] >= 0 && iw[i] < 32);
    /* the recording span an image needs: (window + (crop_t - 1) * step) / fs + 2 s margin */
    clef_spectrogram *sg = NULL;
    assert_int_equal(clef_spectrogram_create(&sg, ctx, NULL), CLEF_OK);
    assert_true(clef_tokenizer_read_seconds(same, sg) == (800.0 + 39 * 200.0) / 200.0 + 2.0);
    assert_true(clef_tokenizer_read_seconds(wide, sg) == (800.0 + 399 * 200.0) / 200.0 + 2.0);
    assert_true(clef_tokenizer_read_seconds(NULL, sg) == 0.0);
    assert_true(clef_tokenizer_read_seconds(wide, NULL) == 0.0);
    clef_spectrogram_free(sg);
    clef_tokenizer_free(same);
    assert_int_equal(clef_tokenizer_clone_crop(&same, a, ctx, 41), CLEF_ERR_FORMAT);
    assert_null(same);
    assert_int_equal(clef_tokenizer_clone_crop(&same, a, ctx, 0), CLEF_ERR_RANGE);
    clef_tokenizer_free(a);
    clef_tokenizer_free(wide);
    clef_session_free(ss);
    clef_ctx_free(ctx);
}

static clef_status oom_load(clef_ctx *ctx, void *arg) {
    (void)arg;
    clef_tokenizer *tok = NULL;
    clef_session *ss = NULL;
    clef_status rc = clef_session_create(&ss, ctx, 2);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_load(&tok, ctx, golden("tiny", "weights"));
    if (rc == CLEF_OK) {
        static float spec[3 * 32 * 1280];
        static int32_t ids[8 * 256];
        rc = clef_tokenizer_encode(tok, ss, spec, 3, 32, 40, ids, 8 * 256, NULL, 0, NULL);
    }
    clef_tokenizer_free(tok);
    clef_session_free(ss);
    return rc;
}

static clef_status oom_create(clef_ctx *ctx, void *arg) {
    (void)arg;
    clef_tokenizer *tok = NULL;
    clef_status rc = clef_tokenizer_create(&tok, ctx, NULL, 3);
    clef_tokenizer_free(tok);
    return rc;
}

static void test_oom(void **state) {
    (void)state;
    assert_true(test_oom_sweep(oom_load, NULL, 0) > 5);
    assert_true(test_oom_sweep(oom_create, NULL, 0) > 3);
}

/* One tokenizer, several threads encoding at once (each with its own ctx and session): same
 * ids. */
typedef struct share_arg {
    const clef_tokenizer *tok;
    const float *spec;
    int32_t ids[32];
    clef_status rc;
} share_arg;

static void *share_main(void *p) {
    share_arg *a = p;
    clef_ctx *ctx = NULL;
    clef_session *ss = NULL;
    a->rc = clef_ctx_create(&ctx);
    if (a->rc == CLEF_OK)
        a->rc = clef_session_create(&ss, ctx, 2);
    for (int rep = 0; rep < 3 && a->rc == CLEF_OK; rep++)
        a->rc = clef_tokenizer_encode(a->tok, ss, a->spec, 2, 16, 40, a->ids, 32, NULL, 0, NULL);
    clef_session_free(ss);
    clef_ctx_free(ctx);
    return NULL;
}

static void test_shared(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_tokenizer *tok = small_tok(ctx);
    float spec[2 * 16 * 40];
    for (int i = 0; i < 2 * 16 * 40; i++)
        spec[i] = (float)(30.0 * sin(0.7 * i));
    share_arg args[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (share_arg){.tok = tok, .spec = spec};
        assert_int_equal(pthread_create(&th[i], NULL, share_main, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].rc, CLEF_OK);
        assert_memory_equal(args[i].ids, args[0].ids, sizeof args[0].ids);
    }
    clef_tokenizer_free(tok);
    clef_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_tiny),      cmocka_unit_test(test_golden_real),
        cmocka_unit_test(test_golden_mean),      cmocka_unit_test(test_default_grid),
        cmocka_unit_test(test_length_policy),    cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_bad_weights),      cmocka_unit_test(test_bad_weights_mean),
        cmocka_unit_test(test_mean_tokens),      cmocka_unit_test(test_mean_power_kept),
        cmocka_unit_test(test_spec_getters),     cmocka_unit_test(test_spec_check),
        cmocka_unit_test(test_encode_recording), cmocka_unit_test(test_save_roundtrip),
        cmocka_unit_test(test_clone_crop),       cmocka_unit_test(test_oom),
        cmocka_unit_test(test_shared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
