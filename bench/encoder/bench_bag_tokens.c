/* bench_bag_tokens.c — the bag-of-tokens baseline of issue 19 item 7: each session's
 * histogram of grid codes over its valid columns (codebook_size dims, frequencies summing to
 * 1), stored as an embedding artifact so that `clef evaluate --model HASH` probes it.
 *   bench_bag_tokens TOKENIZER STORE   (tokens first: clef tokenize --store STORE -w TOKENIZER)
 * Prints the model hash: SHA-256 of "bag-of-tokens:" + the tokenizer's SHA-256. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_derived.h"
#include "clef.h"

static int fail(const char *what, const char *msg) {
    fprintf(stderr, "bench_bag_tokens: %s: %s\n", what, msg);
    return 1;
}

typedef struct bag_ctx {
    int64_t K, gf, gt, n_mean, nt;
} bag_ctx;

/* Histogram of the grid codes over the valid columns, frequencies summing to 1. */
static int bag(const char *sid, const uint16_t *ids, float *h, char *why, size_t cap, void *user) {
    (void)sid;
    (void)why;
    (void)cap;
    const bag_ctx *b = user;
    int64_t valid = b->n_mean > 0 ? ids[b->nt - 1] - b->K : b->gt, cnt = 0;
    valid = valid < 1 ? 1 : valid > b->gt ? b->gt : valid;
    memset(h, 0, (size_t)b->K * sizeof *h);
    for (int64_t r = 0; r < b->gf; r++)
        for (int64_t c = 0; c < valid; c++, cnt++)
            h[ids[r * b->gt + c]] += 1.0f;
    for (int64_t k = 0; k < b->K; k++)
        h[k] /= (float)cnt;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: bench_bag_tokens TOKENIZER STORE\n");
        return 2;
    }
    clef_ctx *ctx;
    clef_ctx_create(&ctx);
    clef_tokenizer *tok = NULL;
    clef_store *st = NULL;
    if (clef_tokenizer_load(&tok, ctx, argv[1]) != CLEF_OK)
        return fail(argv[1], clef_ctx_errmsg(ctx));
    if (clef_store_open(&st, ctx, argv[2]) != CLEF_OK)
        return fail(argv[2], clef_ctx_errmsg(ctx));
    char tsha[65], key[128], hash[65];
    clef_tokenizer_sha256(tok, tsha, sizeof tsha, NULL);
    snprintf(key, sizeof key, "bag-of-tokens:%s", tsha);
    if (bench_string_hash(ctx, key, hash) != 0)
        return fail("hash", "cannot hash");
    int64_t K = 0, gf = 0, gt = 0, n_mean = 0, levels = 0;
    clef_tokenizer_codebook(tok, &K, NULL);
    int64_t nt = clef_tokenizer_n_tokens(tok);
    clef_tokenizer_mean_tokens(tok, &n_mean, &levels);
    clef_tokenizer_shape(tok, NULL, NULL, NULL, &gf, &gt);
    bag_ctx b = {K, gf, gt, n_mean, nt};
    int64_t n_done = bench_derive_all("bench_bag_tokens", st, tsha, nt, hash, K, bag, &b);
    if (n_done < 0)
        return 1;
    fprintf(stderr, "bench_bag_tokens: %lld sessions, %lld-bin histograms\n", (long long)n_done,
            (long long)K);
    printf("%s\n", hash);
    clef_store_free(st);
    clef_tokenizer_free(tok);
    clef_ctx_free(ctx);
    return 0;
}
