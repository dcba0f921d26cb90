/* test_safetensors_malformed.c — every malformed safetensors input is refused with its own
 * status and a message naming the problem; nothing leaks, nothing crashes. */
#include "test_support.h"
#include "weights_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T1 "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}"

typedef struct bad_case {
    const char *what;
    const char *header; /* JSON text */
    size_t data_len;    /* zero bytes after the header */
    clef_status code;
    const char *msg; /* substring of the error message */
} bad_case;

static const bad_case cases[] = {
    {"bad JSON", "{\"a\":", 0, CLEF_ERR_FORMAT, "header JSON"},
    {"trailing garbage", "{} x", 0, CLEF_ERR_FORMAT, "header JSON"},
    {"not starting with {", "[1, 2]", 0, CLEF_ERR_FORMAT, "does not start with '{'"},
    {"entry not an object", "{\"a\":5}", 0, CLEF_ERR_FORMAT, "'a': entry is not an object"},
    {"dtype not a string", "{\"a\":{\"dtype\":1,\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
     CLEF_ERR_FORMAT, "\"dtype\" is not a string"},
    {"unknown dtype", "{\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
     CLEF_ERR_UNSUPPORTED, "unknown dtype 'Q4'"},
    {"shape not an array", "{\"a\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}", 4,
     CLEF_ERR_FORMAT, "\"shape\" is not an array"},
    {"negative dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4,
     CLEF_ERR_FORMAT, "shape[0] is not a non-negative integer"},
    {"float dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,1.0],\"data_offsets\":[0,4]}}", 4,
     CLEF_ERR_FORMAT, "shape[1] is not a non-negative integer"},
    {"shape product overflow",
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,4]}}", 4,
     CLEF_ERR_FORMAT, "shape product overflows"},
    {"bytes overflow",
     "{\"a\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904],"
     "\"data_offsets\":[0,4]}}",
     4, CLEF_ERR_FORMAT, "shape product overflows"},
    {"rank too large",
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4,
     CLEF_ERR_UNSUPPORTED, "rank 9 exceeds 8"},
    {"offsets not a pair", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4,
     CLEF_ERR_FORMAT, "\"data_offsets\" is not [begin, end]"},
    {"negative offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4,
     CLEF_ERR_FORMAT, "\"data_offsets\" is not [begin, end]"},
    {"offset too big for JSON",
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999]}}", 4,
     CLEF_ERR_FORMAT, "header JSON"},
    {"end before begin", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4,
     CLEF_ERR_FORMAT, "data_offsets [4, 0] outside the 4 data bytes"},
    {"end past the file", "{\"a\":{\"dtype\":\"F32\",\"shape\":[100],\"data_offsets\":[0,400]}}", 4,
     CLEF_ERR_FORMAT, "data_offsets [0, 400] outside the 4 data bytes"},
    {"span != shape x dtype", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
     CLEF_ERR_FORMAT, "span 4 bytes, shape x F32 needs 8"},
    {"overlap", "{\"a\":" T1 ",\"b\":" T1 "}", 8, CLEF_ERR_FORMAT, "data begin at 0, expected 4"},
    {"gap", "{\"a\":" T1 ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12,
     CLEF_ERR_FORMAT, "data begin at 8, expected 4"},
    {"data not covered", "{\"a\":" T1 "}", 8, CLEF_ERR_FORMAT,
     "tensors cover 4 data bytes but the file holds 8"},
    {"duplicate name", "{\"a\":" T1 ",\"a\":" T1 "}", 8, CLEF_ERR_FORMAT, "duplicate"},
    {"metadata not an object", "{\"__metadata__\":[1]}", 0, CLEF_ERR_FORMAT,
     "\"__metadata__\" is not an object"},
    {"metadata value not a string", "{\"__metadata__\":{\"k\":1}}", 0, CLEF_ERR_FORMAT,
     "metadata 'k': value is not a string"},
    {"unknown field", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":0}}", 4,
     CLEF_ERR_FORMAT, "unknown field 'x'"},
    {"missing field", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, CLEF_ERR_FORMAT,
     "missing field 'data_offsets'"},
    {"empty name", "{\"\":" T1 "}", 4, CLEF_ERR_FORMAT, "tensor name is empty"},
    {"NUL in a name", "{\"a\\u0000b\":" T1 "}", 4, CLEF_ERR_FORMAT, "header JSON"},
    {"invalid UTF-8", "{\"a\xff\":" T1 "}", 4, CLEF_ERR_FORMAT, "header JSON"},
};

/* u64 LE length + header + data_len zero bytes. */
static unsigned char *image(const char *header, size_t data_len, size_t *len) {
    size_t n = strlen(header);
    *len = 8 + n + data_len;
    unsigned char *b = calloc(1, *len);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)n >> (8 * i));
    memcpy(b + 8, header, n);
    return b;
}

static void expect(clef_ctx *ctx, const unsigned char *img, size_t len, clef_status code,
                   const char *msg, const char *what) {
    clef_weights *w = (clef_weights *)&w;
    clef_status rc = clef_weights_open_memory(&w, ctx, img, len);
    if (rc != code)
        fail_msg("%s: got %s (%s), want %s", what, clef_strerror(rc), clef_ctx_errmsg(ctx),
                 clef_strerror(code));
    assert_null(w);
    if (strstr(clef_ctx_errmsg(ctx), msg) == NULL)
        fail_msg("%s: message \"%s\" lacks \"%s\"", what, clef_ctx_errmsg(ctx), msg);
}

static void test_malformed_headers(void **state) {
    (void)state;
    test_alloc ta;
    clef_ctx *ctx = test_ctx_with_alloc(&ta, -1);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        unsigned char *img = image(cases[i].header, cases[i].data_len, &len);
        expect(ctx, img, len, cases[i].code, cases[i].msg, cases[i].what);
        free(img);
        assert_int_equal(ta.live, 1); /* only the ctx: everything parsed was freed */
    }
    clef_ctx_free(ctx);
}

static void test_malformed_framing(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    unsigned char small[5] = {2, 0, 0, 0, 0};
    expect(ctx, small, sizeof small, CLEF_ERR_FORMAT, "shorter than the 8-byte", "truncated");
    size_t len;
    unsigned char *img = image("{\"a\":" T1 "}", 4, &len);
    /* header length larger than the file, and absurdly large */
    img[0] = (unsigned char)(len - 7);
    expect(ctx, img, len, CLEF_ERR_FORMAT, "exceeds the file", "header past the end");
    memset(img, 0xff, 8);
    expect(ctx, img, len, CLEF_ERR_FORMAT, "header length 18446744073709551615", "huge header");
    /* header length 0 */
    memset(img, 0, 8);
    expect(ctx, img, len, CLEF_ERR_FORMAT, "does not start with '{'", "empty header");
    free(img);
    /* a valid file truncated anywhere in its data or header fails cleanly */
    img = image("{\"a\":" T1 ",\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[4,8]}}", 8,
                &len);
    clef_weights *w;
    assert_int_equal(clef_weights_open_memory(&w, ctx, img, len), CLEF_OK);
    clef_weights_free(w);
    for (size_t cut = 0; cut < len; cut++)
        assert_int_not_equal(clef_weights_open_memory(&w, ctx, img, cut), CLEF_OK);
    free(img);
    clef_ctx_free(ctx);
}

/* Valid corner cases that a careless validator rejects. */
static void test_valid_corners(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    const char *ok[] = {
        "{}",
        "{\"__metadata__\":{}}  ",
        /* a zero-size tensor sharing its begin with the next one, listed after it */
        "{\"b\":" T1 ",\"z\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[0,0]}}",
        "{\"b\":" T1 ",\"z\":{\"dtype\":\"BF16\",\"shape\":[3,0],\"data_offsets\":[4,4]}}",
        /* a scalar, metadata last */
        "{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},\"__metadata__\":{\"k\":"
        "\"v\"}}",
    };
    size_t data[] = {0, 0, 4, 4, 4};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t len;
        unsigned char *img = image(ok[i], data[i], &len);
        clef_weights *w;
        if (clef_weights_open_memory(&w, ctx, img, len) != CLEF_OK)
            fail_msg("valid header %zu refused: %s", i, clef_ctx_errmsg(ctx));
        clef_weights_free(w);
        free(img);
    }
    clef_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_headers),
        cmocka_unit_test(test_malformed_framing),
        cmocka_unit_test(test_valid_corners),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
