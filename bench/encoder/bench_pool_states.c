/* bench_pool_states.c — pooling experiments for issue 19 item 7: the encoder's final per-token
 * states of every session of a store, pooled one way, stored as an embedding artifact so that
 * `clef evaluate --model HASH` probes it beside the encoder's own embedding.
 *   bench_pool_states TOKENIZER ENCODER STORE MODE   (tokens first: clef tokenize --store)
 * MODE: grid (mean over the valid grid tokens), mean (mean over the session-mean tokens),
 * concat (the two side by side), all (mean over every valid token: the encoder's pooling
 * before its projection), coef (no encoder: the session-mean tokens' quantisation levels, one
 * number per coefficient), allcoef (all and coef side by side), vhead (the encoder's own reading
 * of each coefficient: its value head, enc.value_head, on the session-mean tokens' final states),
 * allvhead (all and vhead side by side). Prints the model hash: SHA-256 of
 * "pool:MODE:" + the encoder's. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_derived.h"
#include "clef.h"

static int fail(const char *what, const char *msg) {
    fprintf(stderr, "bench_pool_states: %s: %s\n", what, msg);
    return 1;
}

/* Mean of the states of tokens [t0, t1) whose column is valid (grid) into out[d]. */
static void mean_rows(const float *st, int64_t d, int64_t t0, int64_t t1, int64_t gt,
                      int64_t n_grid, int64_t valid, float *out) {
    int64_t n = 0;
    memset(out, 0, (size_t)d * sizeof *out);
    for (int64_t t = t0; t < t1; t++) {
        if (t < n_grid && t % gt >= valid)
            continue;
        for (int64_t k = 0; k < d; k++)
            out[k] += st[t * d + k];
        n++;
    }
    for (int64_t k = 0; k < d; k++)
        out[k] /= (float)(n > 0 ? n : 1);
}

typedef struct pool_ctx {
    const clef_encoder *enc;
    clef_session *s;
    int m; /* 0 grid, 1 mean, 2 concat, 3 all, 4 coef, 5 allcoef, 6 vhead, 7 allvhead */
    int64_t K, gt, n_mean, nt, d, e, n_grid, full, pairs;
    int32_t *ids;
    float *states, *emb;
    float vw[2 * 1024], vb[2]; /* the value head [2][d] */
} pool_ctx;

/* The encoder's final states of one session, pooled by mode into out. */
static int pool(const char *sid, const uint16_t *ids16, float *out, char *why, size_t cap,
                void *user) {
    (void)sid;
    pool_ctx *p = user;
    const int64_t nt = p->nt, d = p->d, gt = p->gt, n_grid = p->n_grid;
    for (int64_t t = 0; t < nt; t++)
        p->ids[t] = ids16[t];
    if (clef_encoder_embed(p->enc, p->s, p->ids, (size_t)nt, 0, p->emb, (size_t)p->e, p->states,
                           (size_t)(nt * d), NULL) != CLEF_OK) {
        snprintf(why, cap, "%s", clef_session_errmsg(p->s));
        return -1;
    }
    int64_t valid = p->n_mean > 0 ? p->ids[nt - 1] - p->K : gt;
    valid = valid < 1 ? 1 : valid > gt ? gt : valid;
    if (p->m == 0 || p->m == 2)
        mean_rows(p->states, d, 0, n_grid, gt, n_grid, valid, out);
    if (p->m == 1 || p->m == 2)
        mean_rows(p->states, d, n_grid, nt, gt, n_grid, valid, out + (p->m == 2 ? d : 0));
    if (p->m == 3 || p->m == 5 || p->m == 7)
        mean_rows(p->states, d, 0, nt, gt, n_grid, valid, out);
    if (p->m >= 6) { /* the value head's predictions: one per full token, two per pair token */
        float *c = out + (p->m == 7 ? d : 0);
        for (int64_t j = 0; j < p->full + p->pairs; j++) {
            const float *x = p->states + (n_grid + j) * d;
            for (int o = 0; o < (j < p->full ? 1 : 2); o++) {
                float acc = p->vb[o];
                for (int64_t k = 0; k < d; k++)
                    acc += p->vw[o * d + k] * x[k];
                *c++ = acc;
            }
        }
    } else if (p->m >=
               4) { /* levels: a monotone map of the companded coefficient; probes standardize */
        float *c = out + (p->m == 5 ? d : 0);
        for (int64_t j = 0; j < p->full + p->pairs; j++) {
            int64_t q = p->ids[n_grid + j] - p->K;
            if (j < p->full)
                *c++ = (float)q;
            else {
                *c++ = (float)(q / 32);
                *c++ = (float)(q % 32);
            }
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: bench_pool_states TOKENIZER ENCODER STORE "
                        "grid|mean|concat|all|coef|allcoef|vhead|allvhead\n");
        return 2;
    }
    const char *mode = argv[4];
    int m = !strcmp(mode, "grid")       ? 0
            : !strcmp(mode, "mean")     ? 1
            : !strcmp(mode, "concat")   ? 2
            : !strcmp(mode, "all")      ? 3
            : !strcmp(mode, "coef")     ? 4
            : !strcmp(mode, "allcoef")  ? 5
            : !strcmp(mode, "vhead")    ? 6
            : !strcmp(mode, "allvhead") ? 7
                                        : -1;
    if (m < 0)
        return fail(mode, "unknown mode");
    clef_ctx *ctx;
    clef_ctx_create(&ctx);
    clef_tokenizer *tok = NULL;
    clef_encoder *enc = NULL;
    clef_store *st = NULL;
    clef_session *s = NULL;
    if (clef_tokenizer_load(&tok, ctx, argv[1]) != CLEF_OK)
        return fail(argv[1], clef_ctx_errmsg(ctx));
    if (clef_encoder_load(&enc, ctx, argv[2], tok) != CLEF_OK)
        return fail(argv[2], clef_ctx_errmsg(ctx));
    if (clef_store_open(&st, ctx, argv[3]) != CLEF_OK)
        return fail(argv[3], clef_ctx_errmsg(ctx));
    if (clef_session_create(&s, ctx, 2) != CLEF_OK)
        return fail("session", clef_ctx_errmsg(ctx));
    char tsha[65], esha[65], key[200], hash[65];
    clef_tokenizer_sha256(tok, tsha, sizeof tsha, NULL);
    if (clef_tokenizer_model_hash(ctx, argv[2], esha, sizeof esha, NULL) != CLEF_OK)
        return fail(argv[2], clef_ctx_errmsg(ctx));
    snprintf(key, sizeof key, "pool:%s:%s", mode, esha);
    if (bench_string_hash(ctx, key, hash) != 0)
        return fail("hash", "cannot hash");
    int64_t K = 0, gf = 0, gt = 0, n_mean = 0, levels = 0, nt = 0, d = 0, e = 0;
    clef_tokenizer_codebook(tok, &K, NULL);
    clef_tokenizer_mean_tokens(tok, &n_mean, &levels);
    clef_tokenizer_shape(tok, NULL, NULL, NULL, &gf, &gt);
    clef_encoder_shape(enc, &nt, &d, &e);
    /* 188 coefficients in n_mean - 3 tokens (2 presence, 1 valid columns): full + 2 pairs */
    const int64_t n_coef = clef_tokenizer_mean_coefficients(tok), pairs = n_coef - (n_mean - 3),
                  full = n_mean - 3 - pairs;
    const int64_t n_grid = gf * gt, dim = m == 2             ? 2 * d
                                          : m == 4 || m == 6 ? n_coef
                                          : m == 5 || m == 7 ? d + n_coef
                                                             : d;
    int32_t *ids = malloc((size_t)nt * sizeof *ids);
    float *states = malloc((size_t)(nt * d) * sizeof *states);
    float *emb = malloc((size_t)e * sizeof *emb);
    if (ids == NULL || states == NULL || emb == NULL)
        return fail("memory", "cannot allocate");
    pool_ctx pc = {enc,    s,    m,     K,   gt,     n_mean, nt,  d,  e,
                   n_grid, full, pairs, ids, states, emb,    {0}, {0}};
    if (m >= 6) {
        clef_weights *w = NULL;
        if (d > 1024 || clef_weights_open(&w, ctx, argv[2]) != CLEF_OK ||
            clef_weights_read_f32(w, "enc.value_head.weight", pc.vw, (size_t)(2 * d), NULL) !=
                CLEF_OK ||
            clef_weights_read_f32(w, "enc.value_head.bias", pc.vb, 2, NULL) != CLEF_OK)
            return fail(argv[2], "no value head (d <= 1024 and mean_weight > 0 needed)");
        clef_weights_free(w);
    }
    int64_t n_done = bench_derive_all("bench_pool_states", st, tsha, nt, hash, dim, pool, &pc);
    if (n_done < 0)
        return 1;
    fprintf(stderr, "bench_pool_states: %lld sessions, %s pooling, %lld dims\n", (long long)n_done,
            mode, (long long)dim);
    printf("%s\n", hash);
    free(ids);
    free(states);
    free(emb);
    clef_session_free(s);
    clef_store_free(st);
    clef_encoder_free(enc);
    clef_tokenizer_free(tok);
    clef_ctx_free(ctx);
    return 0;
}
