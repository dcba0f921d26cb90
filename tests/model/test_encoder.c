/* test_encoder.c — the session encoder (lib/model/enc_*.c): gradients by finite differences,
 * bit-identical training for any thread count and across a checkpoint resume, save/load round
 * trip, padding columns that cannot change an embedding, the tokenizer check, bad input, and
 * the shipped default models' pairing.
 * The layout is a small one no tokenizer has (3 x 8 grid, 4 session-mean tokens), through the
 * internal constructor; PyTorch parity is test_encoder_parity. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fd_layout.h"
#include "model/model_int.h"

enum { GF = 3, GT = 8, NMEAN = 4, K = 12, LEVELS = 16, NT = GF * GT + NMEAN };

/* The pooling of small_cfg: the tests given a prestate set it (0 or 1) and reset it to 0. */
static int32_t g_pool_values;

static clefi_enc_cfg small_cfg(void) {
    clefi_enc_cfg c;
    memset(&c, 0, sizeof c);
    c.d = 16;
    c.n_layers = 2;
    c.n_heads = 2;
    c.d_ff = 24;
    c.embed_dim = 20;
    c.grid_f = GF;
    c.grid_t = GT;
    c.n_mean = NMEAN;
    c.codebook_size = K;
    c.mean_levels = LEVELS;
    c.mean_full = 1; /* a one-coefficient token, a two-coefficient token, then 2 others */
    c.mean_pairs = 1;
    c.pool_values = g_pool_values; /* then the projection reads 16 + 1 + 2 numbers */
    memset(c.tok_sha, 'a', 64);
    c.tok_sha[64] = '\0';
    return c;
}

/* n sessions of random ids; session i has valid columns GT - i % 3. */
static void random_ids(int32_t *ids, int n, uint64_t seed) {
    uint64_t st = seed;
    for (int i = 0; i < n; i++) {
        int32_t *s = ids + i * NT;
        for (int k = 0; k < GF * GT; k++)
            s[k] = (int32_t)(clefi_splitmix64(&st) % K);
        for (int k = 0; k < NMEAN - 1; k++)
            s[GF * GT + k] = K + (int32_t)(clefi_splitmix64(&st) % (GT + 1));
        s[NT - 1] = K + GT - i % 3;
    }
}

static clef_params *pretrain_params(clef_ctx *ctx, int64_t steps, int64_t batch) {
    clef_params *p;
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_PRETRAIN), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_PRETRAIN_STEPS, steps), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_PRETRAIN_BATCH, batch), CLEF_OK);
    assert_int_equal(clef_params_set_f64(p, CLEF_P_PRETRAIN_LR, 3e-3), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_PRETRAIN_VAL_EVERY, 0), CLEF_OK);
    assert_int_equal(clef_params_set_f64(p, CLEF_P_PRETRAIN_EMA_DECAY, 0.9), CLEF_OK);
    return p;
}

static clef_encoder_trainer *new_trainer(clef_ctx *ctx, const clef_params *p, int32_t threads) {
    clefi_enc_cfg c = small_cfg();
    clef_encoder_trainer *tr = NULL;
    assert_int_equal(clefi_enc_trainer_new(&tr, ctx, &c, p, threads), CLEF_OK);
    return tr;
}

/* A scalar loss of the trainer's current weights (finite differences move them). */
typedef double (*loss_fn)(clef_encoder_trainer *tr, void *arg);
typedef struct fd_arg {
    clef_encoder_trainer *tr;
    loss_fn loss;
    void *arg;
} fd_arg;
static double fd_loss(void *a) {
    fd_arg *f = a;
    return f->loss(f->tr, f->arg);
}

/* The 3 largest-gradient entries of every tensor of g (layout order) against central
 * differences of loss; tensors named enc.proj must have zero gradient unless with_proj.
 * Returns the number checked; fails the test on a relative error over 5 %. */
static int fd_check(clef_encoder_trainer *tr, float *g, loss_fn loss, void *arg, int with_proj) {
    clef_encoder *enc = (clef_encoder *)clef_encoder_trainer_encoder(tr, 0);
    fd_arg f = {tr, loss, arg};
    int bad = 0;
    int checked = fd_layout_check(enc->flat, &enc->lay, g, fd_loss, &f, 1e-2f, 3, 0.05,
                                  with_proj ? NULL : "enc.proj", &bad);
    assert_int_equal(bad, 0);
    return checked;
}

static double pretrain_loss(clef_encoder_trainer *tr, void *ids) {
    double loss = 0.0;
    clefi_enc_loss_grad(tr, ids, 2, &loss, NULL);
    return loss;
}

/* The loss gradient of every kind of tensor (embeddings, positions, session-mean values, blocks,
 * final norm, heads; the masked session-mean values regressed too)
 * against central differences of the loss, in double-checked float32. */
static void test_gradient_fd(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_params *p = pretrain_params(ctx, 10, 2);
    clef_encoder_trainer *tr = new_trainer(ctx, p, 1);
    int32_t ids[2 * NT];
    random_ids(ids, 2, 5);
    double loss0 = 0.0;
    clef_encoder *enc = (clef_encoder *)clef_encoder_trainer_encoder(tr, 0);
    size_t total = enc->lay.total;
    float *g = malloc(total * sizeof *g);
    memcpy(g, clefi_enc_loss_grad(tr, ids, 2, &loss0, NULL), total * sizeof *g);
    assert_true(loss0 > 0.0 && isfinite(loss0));
    assert_true(fd_check(tr, g, pretrain_loss, ids, 0) > 40);
    free(g);
    clef_encoder_trainer_free(tr);
    clef_params_free(p);
    clef_ctx_free(ctx);
}

/* sum_k r[k] emb[k] of one session through the training forward */
typedef struct embed_loss_arg {
    const int32_t *ids;
    const float *r;
    float emb[20];
} embed_loss_arg;
static double embed_loss(clef_encoder_trainer *tr, void *arg) {
    embed_loss_arg *a = arg;
    clefi_enc_embed_grad(tr, a->ids, NULL, a->emb, 0);
    double l = 0.0;
    for (int k = 0; k < 20; k++)
        l += (double)a->r[k] * (double)a->emb[k];
    return l;
}

/* clefi_enc_embed_grad (joint fine-tuning's building block): its embedding equals
 * clef_encoder_embed()'s (another attention kernel: to 1e-4 of the largest entry), and its
 * gradient of a linear function of the embedding, the projection included, matches central
 * differences; a session with padding columns too. */
static void test_embed_gradient_fd(void **state) {
    g_pool_values = *(const int32_t *)*state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_params *p = pretrain_params(ctx, 10, 2);
    clef_encoder_trainer *tr = new_trainer(ctx, p, 1);
    clef_encoder *enc = (clef_encoder *)clef_encoder_trainer_encoder(tr, 0);
    /* a projection that mixes (it starts as identity), the coefficients' columns too */
    for (size_t k = 0; k < 20 * (size_t)clefi_enc_pool_dim(&enc->cfg); k++)
        enc->proj_w[k] += 0.1f * (float)((k * 7) % 11) / 11.0f - 0.05f;
    int32_t ids[2 * NT];
    random_ids(ids, 2, 7);
    float r[20];
    for (int k = 0; k < 20; k++)
        r[k] = (float)((k * 5) % 7) / 7.0f - 0.4f;
    clef_session *s;
    assert_int_equal(clef_session_create(&s, ctx, 1), CLEF_OK);
    size_t total = enc->lay.total;
    float *g = malloc(total * sizeof *g);
    for (int i = 0; i < 2; i++) { /* session 1 has a padding column */
        embed_loss_arg a = {.ids = ids + i * NT, .r = r};
        memcpy(g, clefi_enc_embed_grad(tr, a.ids, r, a.emb, 1), total * sizeof *g);
        float ref[20], big = 0.0f, diff = 0.0f;
        assert_int_equal(clef_encoder_embed(enc, s, a.ids, NT, 0, ref, 20, NULL, 0, NULL), CLEF_OK);
        for (int k = 0; k < 20; k++) {
            big = fabsf(ref[k]) > big ? fabsf(ref[k]) : big;
            diff = fabsf(ref[k] - a.emb[k]) > diff ? fabsf(ref[k] - a.emb[k]) : diff;
        }
        assert_true(big > 0.0f && diff <= 1e-4f * big);
        assert_true(fd_check(tr, g, embed_loss, &a, 1) > 40);
    }
    free(g);
    clef_session_free(s);
    clef_encoder_trainer_free(tr);
    clef_params_free(p);
    clef_ctx_free(ctx);
    g_pool_values = 0;
}

static void train_steps(clef_encoder_trainer *tr, const int32_t *ids, int steps) {
    for (int s = 0; s < steps; s++) {
        double loss, acc;
        assert_int_equal(clef_encoder_trainer_step(tr, ids + (s % 2) * 2 * NT, 2, &loss, &acc),
                         CLEF_OK);
        assert_true(isfinite(loss));
    }
}

/* Same weights on 1 and 3 threads, bit for bit; the loss falls on a repeated batch. */
static void test_threads_identical(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_params *p = pretrain_params(ctx, 30, 2);
    int32_t ids[4 * NT];
    random_ids(ids, 4, 9);
    clef_encoder_trainer *a = new_trainer(ctx, p, 1), *b = new_trainer(ctx, p, 3);
    train_steps(a, ids, 6);
    train_steps(b, ids, 6);
    const clef_encoder *ea = clef_encoder_trainer_encoder(a, 0),
                       *eb = clef_encoder_trainer_encoder(b, 0);
    assert_memory_equal(ea->flat, eb->flat, ea->lay.total * sizeof(float));
    ea = clef_encoder_trainer_encoder(a, 1);
    eb = clef_encoder_trainer_encoder(b, 1);
    assert_memory_equal(ea->flat, eb->flat, ea->lay.total * sizeof(float));
    /* learning: the training loss of a fixed batch goes down (the grid's cross-entropy: how
     * many session-mean tokens a step masks moves the regression term more than 20 steps do) */
    clef_encoder_trainer_free(a);
    assert_int_equal(clef_params_set_f64(p, CLEF_P_PRETRAIN_MEAN_WEIGHT, 0.0), CLEF_OK);
    a = new_trainer(ctx, p, 1);
    train_steps(a, ids, 6);
    double first, last;
    clefi_enc_loss_grad(a, ids, 2, &first, NULL);
    train_steps(a, ids, 20);
    clefi_enc_loss_grad(a, ids, 2, &last, NULL);
    printf("  loss on a batch: %.4f after 6 steps, %.4f after 26\n", first, last);
    assert_true(last < first);
    clef_encoder_trainer_free(a);
    clef_encoder_trainer_free(b);
    clef_params_free(p);
    clef_ctx_free(ctx);
}

static int32_t stop_at_3(int64_t step, int64_t total, double loss, double acc, double tps,
                         double vl, double va, void *user) {
    (void)total, (void)loss, (void)acc, (void)tps, (void)vl, (void)va, (void)user;
    return step == 3;
}

/* run() stopped at step 3, checkpointed and resumed gives the uninterrupted run's weights. */
static void test_resume_identical(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_params *p = pretrain_params(ctx, 6, 2);
    int32_t ids[5 * NT];
    random_ids(ids, 5, 13);
    char ckpt[256];
    snprintf(ckpt, sizeof ckpt, "/tmp/clef_test_enc_%d.ckpt", (int)getpid());
    clef_encoder_trainer *a = new_trainer(ctx, p, 2);
    assert_int_equal(clef_encoder_trainer_add_tokens(a, ids, 4, CLEF_SPLIT_TRAIN), CLEF_OK);
    assert_int_equal(clef_encoder_trainer_add_tokens(a, ids + 4 * NT, 1, CLEF_SPLIT_VAL), CLEF_OK);
    assert_int_equal(clef_encoder_trainer_run(a, NULL, NULL, NULL), CLEF_OK);
    assert_int_equal(clef_encoder_trainer_steps(a), 6);

    clef_encoder_trainer *b = new_trainer(ctx, p, 1);
    assert_int_equal(clef_encoder_trainer_add_tokens(b, ids, 4, CLEF_SPLIT_TRAIN), CLEF_OK);
    assert_int_equal(clef_encoder_trainer_run(b, ckpt, stop_at_3, NULL), CLEF_ERR_CANCELLED);
    assert_int_equal(clef_encoder_trainer_save(b, ckpt), CLEF_OK);
    clef_encoder_trainer_free(b);
    assert_int_equal(clef_encoder_trainer_resume(&b, ctx, ckpt, p, 1), CLEF_OK);
    assert_int_equal(clef_encoder_trainer_steps(b), 3);
    assert_int_equal(clef_encoder_trainer_add_tokens(b, ids, 4, CLEF_SPLIT_TRAIN), CLEF_OK);
    assert_int_equal(clef_encoder_trainer_run(b, NULL, NULL, NULL), CLEF_OK);
    for (int ema = 0; ema < 2; ema++) {
        const clef_encoder *ea = clef_encoder_trainer_encoder(a, ema),
                           *eb = clef_encoder_trainer_encoder(b, ema);
        assert_memory_equal(ea->flat, eb->flat, ea->lay.total * sizeof(float));
    }
    /* held-out masked-token accuracy and its baselines are numbers in [0, 1] */
    double vl, va, base[2];
    assert_int_equal(clef_encoder_trainer_validate(a, 1, &vl, &va, base), CLEF_OK);
    assert_true(vl > 0.0 && va >= 0.0 && va <= 1.0 && base[0] >= 0.0 && base[1] <= 1.0);
    assert_int_equal(clef_encoder_trainer_validate(b, 1, &vl, &va, base), CLEF_ERR_STATE);
    unlink(ckpt);
    clef_encoder_trainer_free(a);
    clef_encoder_trainer_free(b);
    clef_params_free(p);
    clef_ctx_free(ctx);
}

/* Save, load, embed: the same embedding; padding columns' ids change nothing; valid_cols
 * masks like the valid-columns token; bad input gets a specific status. */
static void test_embed_roundtrip(void **state) {
    g_pool_values = *(const int32_t *)*state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_params *p = pretrain_params(ctx, 3, 2);
    clef_encoder_trainer *tr = new_trainer(ctx, p, 1);
    int32_t ids[4 * NT];
    random_ids(ids, 4, 21);
    train_steps(tr, ids, 3);
    char path[256];
    snprintf(path, sizeof path, "/tmp/clef_test_enc_%d.safetensors", (int)getpid());
    const clef_encoder *live = clef_encoder_trainer_encoder(tr, 1);
    assert_int_equal(clef_encoder_save(live, ctx, path), CLEF_OK);
    clef_encoder *enc = NULL;
    assert_int_equal(clef_encoder_load(&enc, ctx, path, NULL), CLEF_OK);
    int64_t nt, d, e;
    assert_int_equal(clef_encoder_shape(enc, &nt, &d, &e), CLEF_OK);
    assert_int_equal(nt, NT);
    assert_int_equal(e, 20);
    clef_session *s;
    assert_int_equal(clef_session_create(&s, ctx, 2), CLEF_OK);
    float a[20], b[20], c2[20], *states = malloc(NT * 16 * sizeof *states);
    size_t need = 0;
    /* session 1 has GT - 1 valid columns */
    int32_t *s1 = ids + NT;
    assert_int_equal(clef_encoder_embed(enc, s, s1, NT, 0, a, 20, states, NT * 16, &need), CLEF_OK);
    assert_int_equal(need, 20);
    assert_int_equal(clef_encoder_embed(live, s, s1, NT, 0, b, 20, NULL, 0, NULL), CLEF_OK);
    assert_memory_equal(a, b, sizeof a);
    if (g_pool_values) { /* untrained identity projection: outputs 16-18 are the coefficients */
        float v[2];
        clefi_tok_mean_token_values(0, s1[GF * GT] - K, 1, 1, LEVELS, v);
        assert_true(a[16] == v[0]);
        clefi_tok_mean_token_values(1, s1[GF * GT + 1] - K, 1, 1, LEVELS, v);
        assert_true(a[17] == v[0] && a[18] == v[1]);
        assert_true(a[19] == 0.0f);
    }
    int64_t scratch = clef_session_scratch_bytes(s);
    for (int r = 0; r < GF; r++) /* padding column GT - 1 */
        s1[r * GT + GT - 1] = (s1[r * GT + GT - 1] + 5) % K;
    assert_int_equal(clef_encoder_embed(enc, s, s1, NT, 0, b, 20, NULL, 0, NULL), CLEF_OK);
    assert_memory_equal(a, b, sizeof a);
    assert_int_equal(clef_session_scratch_bytes(s), scratch); /* warm: no new memory */
    /* valid_cols given explicitly equals the token's */
    assert_int_equal(clef_encoder_embed(enc, s, s1, NT, GT - 1, c2, 20, NULL, 0, NULL), CLEF_OK);
    assert_memory_equal(a, c2, sizeof a);
    assert_int_equal(clef_encoder_embed(enc, s, s1, NT, GT, c2, 20, NULL, 0, NULL), CLEF_OK);
    assert_true(memcmp(a, c2, sizeof a) != 0);
    /* bad input */
    int32_t bad[NT];
    memcpy(bad, ids, sizeof bad);
    bad[5] = K; /* a grid id out of range */
    assert_int_equal(clef_encoder_embed(enc, s, bad, NT, 0, a, 20, NULL, 0, NULL), CLEF_ERR_RANGE);
    assert_non_null(strstr(clef_session_errmsg(s), "token 5"));
    assert_int_equal(clef_encoder_embed(enc, s, ids, NT - 1, 0, a, 20, NULL, 0, NULL),
                     CLEF_ERR_SHAPE);
    assert_int_equal(clef_encoder_embed(enc, s, ids, 0, 0, a, 20, NULL, 0, NULL), CLEF_ERR_SHAPE);
    assert_int_equal(clef_encoder_embed(enc, s, ids, NT, GT + 1, a, 20, NULL, 0, NULL),
                     CLEF_ERR_RANGE);
    assert_int_equal(clef_encoder_embed(enc, s, ids, NT, 0, a, 19, NULL, 0, &need),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(clef_encoder_embed(enc, s, ids, NT, 0, a, 20, states, 10, NULL),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(clef_encoder_embed(enc, s, ids, NT, 0, a, 20, NULL, 0, NULL), CLEF_OK);
    assert_string_equal(clef_session_errmsg(s), "");
    char sha[65];
    assert_int_equal(clef_encoder_tokenizer_sha256(enc, sha, sizeof sha, NULL), CLEF_OK);
    assert_int_equal(strlen(sha), 64);
    /* a truncated weights file is refused, naming the file */
    size_t len = 0;
    char *bytes = test_read_file(path, &len);
    assert_non_null(bytes);
    FILE *f = fopen(path, "wb");
    fwrite(bytes, 1, len / 2, f);
    fclose(f);
    free(bytes);
    clef_encoder *trunc = NULL;
    clef_status rc = clef_encoder_load(&trunc, ctx, path, NULL);
    assert_true(rc == CLEF_ERR_FORMAT || rc == CLEF_ERR_IO);
    assert_null(trunc);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), path));
    unlink(path);
    free(states);
    clef_session_free(s);
    clef_encoder_free(enc);
    clef_encoder_trainer_free(tr);
    clef_params_free(p);
    clef_ctx_free(ctx);
    g_pool_values = 0;
}

/* Coefficient pooling needs coefficient tokens: an architecture without them is refused by
 * name; the same layout with the mean pooling alone is fine. */
static void test_pool_values_needs_coefficients(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clefi_enc_cfg c = small_cfg();
    c.mean_full = c.mean_pairs = 0;
    c.pool_values = 1;
    clef_encoder *enc = NULL;
    assert_int_equal(clefi_enc_alloc(&enc, ctx, &c), CLEF_ERR_RANGE);
    assert_null(enc);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "no coefficient tokens"));
    c.pool_values = 0;
    assert_int_equal(clefi_enc_alloc(&enc, ctx, &c), CLEF_OK);
    assert_int_equal(clefi_enc_pool_dim(&enc->cfg), c.d);
    clef_encoder_free(enc);
    clef_ctx_free(ctx);
}

/* The tokenizer check: an encoder refuses a tokenizer it was not trained with, and a trainer
 * refuses a tokenizer that no file names. */
static void test_tokenizer_check(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_params *arch;
    assert_int_equal(clef_params_create(&arch, ctx, CLEF_PARAMS_TOKENIZER), CLEF_OK);
    assert_int_equal(clef_params_set_i64(arch, CLEF_P_TOK_CH, 8), CLEF_OK);
    assert_int_equal(clef_params_set_i64(arch, CLEF_P_TOK_CODEBOOK_SIZE, 16), CLEF_OK);
    clef_tokenizer *made = NULL, *tok = NULL;
    assert_int_equal(clef_tokenizer_create(&made, ctx, arch, 1), CLEF_OK);
    char tpath[256], epath[256];
    snprintf(tpath, sizeof tpath, "/tmp/clef_test_enc_tok_%d.safetensors", (int)getpid());
    snprintf(epath, sizeof epath, "/tmp/clef_test_enc_enc_%d.safetensors", (int)getpid());
    assert_int_equal(clef_tokenizer_save(made, ctx, tpath), CLEF_OK);
    char sha[65];
    assert_int_equal(clef_tokenizer_sha256(made, sha, sizeof sha, NULL), CLEF_ERR_STATE);
    clef_encoder_trainer *tr = NULL;
    assert_int_equal(clef_encoder_trainer_create(&tr, ctx, made, NULL, NULL, 1), CLEF_ERR_STATE);
    assert_int_equal(clef_tokenizer_load(&tok, ctx, tpath), CLEF_OK);
    assert_int_equal(clef_tokenizer_sha256(tok, sha, sizeof sha, NULL), CLEF_OK);
    char want[65];
    assert_int_equal(clef_tokenizer_model_hash(ctx, tpath, want, sizeof want, NULL), CLEF_OK);
    assert_string_equal(sha, want);
    clef_params *ea;
    assert_int_equal(clef_params_create(&ea, ctx, CLEF_PARAMS_ENCODER), CLEF_OK);
    assert_int_equal(clef_params_set_i64(ea, CLEF_P_ENC_D_MODEL, 16), CLEF_OK);
    assert_int_equal(clef_params_set_i64(ea, CLEF_P_ENC_N_LAYERS, 1), CLEF_OK);
    assert_int_equal(clef_params_set_i64(ea, CLEF_P_ENC_D_FF, 16), CLEF_OK);
    assert_int_equal(clef_params_set_i64(ea, CLEF_P_ENC_EMBED_DIM, 8), CLEF_OK);
    assert_int_equal(clef_encoder_trainer_create(&tr, ctx, tok, ea, NULL, 1), CLEF_OK);
    assert_int_equal(clef_encoder_save(clef_encoder_trainer_encoder(tr, 0), ctx, epath), CLEF_OK);
    clef_encoder *enc = NULL;
    assert_int_equal(clef_encoder_load(&enc, ctx, epath, tok), CLEF_OK);
    clef_encoder_free(enc);
    /* another tokenizer file: another SHA-256 */
    assert_int_equal(clef_params_set_i64(arch, CLEF_P_TOK_CODEBOOK_SIZE, 32), CLEF_OK);
    clef_tokenizer *other = NULL, *other_l = NULL;
    assert_int_equal(clef_tokenizer_create(&other, ctx, arch, 2), CLEF_OK);
    assert_int_equal(clef_tokenizer_save(other, ctx, tpath), CLEF_OK);
    assert_int_equal(clef_tokenizer_load(&other_l, ctx, tpath), CLEF_OK);
    assert_int_equal(clef_encoder_load(&enc, ctx, epath, other_l), CLEF_ERR_INVALID_ARG);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "trained with tokenizer"));
    assert_null(enc);
    unlink(tpath);
    unlink(epath);
    clef_tokenizer_free(other);
    clef_tokenizer_free(other_l);
    clef_encoder_trainer_free(tr);
    clef_tokenizer_free(made);
    clef_tokenizer_free(tok);
    clef_params_free(ea);
    clef_params_free(arch);
    clef_ctx_free(ctx);
}

/* The shipped default models (models/, docs/models.md) pair up: the default encoder and the
 * pretrained one it was fine-tuned from both load on the default tokenizer, and the default
 * aligner names the default encoder's SHA-256. */
static void test_default_models(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    char path[4096], esha[65];
    size_t need = 0;
    const int32_t all[] = {CLEF_MODEL_TOKENIZER, CLEF_MODEL_ENCODER, CLEF_MODEL_ALIGNER,
                           CLEF_MODEL_ENCODER_PRETRAINED};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        assert_int_equal(clef_default_model_path(ctx, all[i], path, sizeof path, &need), CLEF_OK);
    assert_non_null(strstr(path, "/encoder-pretrained.safetensors"));
    assert_int_equal(clef_default_model_path(ctx, 5, path, sizeof path, &need),
                     CLEF_ERR_INVALID_ARG);
    clef_tokenizer *tok = NULL;
    clef_encoder *enc = NULL, *pre = NULL;
    clef_aligner *al = NULL;
    assert_int_equal(clef_tokenizer_load(&tok, ctx, NULL), CLEF_OK);
    assert_int_equal(clef_encoder_load(&enc, ctx, NULL, tok), CLEF_OK);
    assert_int_equal(
        clef_default_model_path(ctx, CLEF_MODEL_ENCODER_PRETRAINED, path, sizeof path, NULL),
        CLEF_OK);
    assert_int_equal(clef_encoder_load(&pre, ctx, path, tok), CLEF_OK);
    assert_int_equal(clef_aligner_load(&al, ctx, NULL), CLEF_OK);
    assert_int_equal(clef_aligner_encoder_sha256(al, esha, sizeof esha, NULL), CLEF_OK);
    assert_int_equal(clef_default_model_path(ctx, CLEF_MODEL_ENCODER, path, sizeof path, NULL),
                     CLEF_OK);
    char want[65];
    assert_int_equal(clef_encoder_model_hash(ctx, path, want, sizeof want, NULL), CLEF_OK);
    assert_string_equal(esha, want);
    clef_aligner_free(al);
    clef_encoder_free(pre);
    clef_encoder_free(enc);
    clef_tokenizer_free(tok);
    clef_ctx_free(ctx);
}

int main(void) {
    static const int32_t k_mean = 0, k_values = 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_fd),
        cmocka_unit_test_prestate(test_embed_gradient_fd, (void *)&k_mean),
        cmocka_unit_test_prestate(test_embed_gradient_fd, (void *)&k_values),
        cmocka_unit_test(test_threads_identical),
        cmocka_unit_test(test_resume_identical),
        cmocka_unit_test_prestate(test_embed_roundtrip, (void *)&k_mean),
        cmocka_unit_test_prestate(test_embed_roundtrip, (void *)&k_values),
        cmocka_unit_test(test_pool_values_needs_coefficients),
        cmocka_unit_test(test_tokenizer_check),
        cmocka_unit_test(test_default_models),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
