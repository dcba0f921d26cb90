/* test_sha256.c — clefi_sha256 against the FIPS 180-4 / NIST CSRC example vectors. */
#include "test_support.h"

#include <stdio.h>

#include "core/core_int.h"

#include <string.h>

static void check(const void *data, size_t len, const char *want) {
    uint8_t d[32];
    char hex[65];
    clefi_sha256(data, len, d);
    clefi_sha256_hex(d, hex);
    assert_string_equal(hex, want);
}

static void test_vectors(void **state) {
    (void)state;
    /* NIST CSRC "SHA256.pdf" examples and the empty message. */
    check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check(two, strlen(two), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_million_a_streamed(void **state) {
    (void)state;
    /* One million 'a' fed in uneven pieces: exercises the partial-block path. */
    static char chunk[997];
    memset(chunk, 'a', sizeof chunk);
    clefi_sha256_ctx s;
    clefi_sha256_init(&s);
    size_t left = 1000000;
    size_t step = 1;
    while (left > 0) {
        size_t n = step < left ? step : left;
        n = n < sizeof chunk ? n : sizeof chunk;
        clefi_sha256_update(&s, chunk, n);
        left -= n;
        step = step * 7 % 997 + 1;
    }
    uint8_t d[32];
    char hex[65];
    clefi_sha256_final(&s, d);
    clefi_sha256_hex(d, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_block_boundaries(void **state) {
    (void)state;
    /* 55/56/64-byte messages straddle the padding boundary; compare one-shot and streamed. */
    char msg[130];
    memset(msg, 'x', sizeof msg);
    for (size_t len = 50; len < sizeof msg; len++) {
        uint8_t a[32], b[32];
        clefi_sha256(msg, len, a);
        clefi_sha256_ctx s;
        clefi_sha256_init(&s);
        clefi_sha256_update(&s, msg, len / 3);
        clefi_sha256_update(&s, msg + len / 3, len - len / 3);
        clefi_sha256_final(&s, b);
        assert_memory_equal(a, b, 32);
    }
    /* sha256("x"*64) from Python hashlib. */
    check(msg, 64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c");
}

/* The streamed file digest equals the one-shot digest, across the 16 KiB read blocks. */
static void test_file_hex(void **state) {
    (void)state;
    enum { N = 40000 };
    static unsigned char data[N];
    for (size_t i = 0; i < N; i++)
        data[i] = (unsigned char)(i * 131u + 7u);
    const char *path = "test_sha256_file.bin";
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, N, f), N);
    assert_int_equal(fclose(f), 0);
    uint8_t digest[32];
    char want[65], got[65];
    clefi_sha256(data, N, digest);
    clefi_sha256_hex(digest, want);
    assert_int_equal(clefi_sha256_file_hex(path, got), CLEF_OK);
    assert_string_equal(got, want);
    remove(path);
    assert_int_equal(clefi_sha256_file_hex(path, got), CLEF_ERR_NOT_FOUND);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_million_a_streamed),
        cmocka_unit_test(test_block_boundaries),
        cmocka_unit_test(test_file_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
