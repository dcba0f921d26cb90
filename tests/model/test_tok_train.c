/* test_tok_train.c — tokenizer training: finite-difference gradients of the whole network and
 * a tiny tokenizer trained on synthetic spectrograms that must beat the training-set mean. */
#define _POSIX_C_SOURCE 200809L
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/model_int.h"

static clef_params *arch(clef_ctx *ctx, int n_freq, int crop_t, int ch, int k) {
    clef_params *p = NULL;
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_TOKENIZER), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_IN_CHANNELS, 2), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_N_FREQ, n_freq), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_CROP_T, crop_t), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_CH, ch), CLEF_OK);
    assert_int_equal(clef_params_set_str(p, CLEF_P_TOK_CH_MULT, "1,2"), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_GN_GROUPS, 2), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_CODEBOOK_SIZE, k), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_TOK_CODE_DIM, 4), CLEF_OK);
    return p;
}

/* CLEF_PARAMS_TRAIN: batch, PatchGAN width, lr warmup and cosine steps (others default). */
static clef_params *train_params(clef_ctx *ctx, int batch, int disc_ndf, int warmup, int cosine) {
    clef_params *tp = NULL;
    assert_int_equal(clef_params_create(&tp, ctx, CLEF_PARAMS_TRAIN), CLEF_OK);
    assert_int_equal(clef_params_set_i64(tp, CLEF_P_TOK_TRAIN_BATCH, batch), CLEF_OK);
    assert_int_equal(clef_params_set_i64(tp, CLEF_P_TOK_TRAIN_DISC_NDF, disc_ndf), CLEF_OK);
    assert_int_equal(clef_params_set_i64(tp, CLEF_P_TOK_TRAIN_WARMUP, warmup), CLEF_OK);
    assert_int_equal(clef_params_set_i64(tp, CLEF_P_TOK_TRAIN_COSINE_STEPS, cosine), CLEF_OK);
    return tp;
}

static clefi_tok_train_cfg train_cfg(int batch) {
    return (clefi_tok_train_cfg){.batch = batch,
                                 .n_threads = 1,
                                 .seed = 5,
                                 .lr = 3e-3f,
                                 .weight_decay = 0.0f,
                                 .grad_clip = 5.0f,
                                 .commitment = 0.1f,
                                 .ema_decay = 0.99f,
                                 .dead_threshold = 0.05f};
}

/* Central differences on three elements of each of several tensors (every layer kind), on the
 * pixel L1 plus the weighted mean-power term. The
 * quantiser is bypassed (zq = z): through the argmin the straight-through gradient is an
 * estimator, not a derivative; the commitment term is then 0 (checked by lib/nn's VQ tests). */
static void test_gradients(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_params *p = arch(ctx, 8, 10, 4, 8);
    clefi_tok_train_cfg cfg = train_cfg(1);
    cfg.bypass_vq = 1;
    cfg.power_weight = 0.7; /* the mean-power term's gradient is checked with the L1's */
    clefi_tok_trainer *tr = NULL;
    clefi_tok_cfg acfg;
    assert_int_equal(clefi_tok_cfg_from_params(ctx, p, &acfg), CLEF_OK);
    assert_int_equal(clefi_tok_trainer_create(&tr, ctx, &acfg, &cfg), CLEF_OK);
    const clef_tokenizer *tok = clefi_tok_trainer_model(tr);
    float crop[2 * 8 * 10];
    for (int i = 0; i < 2 * 8 * 10; i++)
        crop[i] = (float)(30.0 * sin(1.3 * i) + 5.0 * cos(0.2 * i * i));
    clefi_tok_trainer_loss(tr, crop, 1, NULL);
    size_t total = tok->lay.total;
    float *grad = malloc(total * sizeof *grad);
    memcpy(grad, clefi_tok_trainer_grads(tr), total * sizeof *grad);
    float *w = clefi_tok_trainer_params(tr);
    static const char *const names[] = {"enc.conv_in.weight",
                                        "enc.down.0.block.0.conv1.weight",
                                        "enc.down.0.resample.weight",
                                        "enc.down.1.block.0.nin_shortcut.weight",
                                        "enc.mid.norm1.weight",
                                        "enc.norm_out.bias",
                                        "enc.conv_out.bias",
                                        "dec.conv_in.weight",
                                        "dec.up.1.resample.conv.weight",
                                        "dec.up.0.block.0.norm2.bias",
                                        "dec.conv_out.weight",
                                        "dec.conv_out.bias"};
    int n_checked = 0;
    for (size_t t = 0; t < sizeof names / sizeof names[0]; t++) {
        int64_t li = clefi_layout_find(&tok->lay, names[t]);
        assert_true(li >= 0);
        for (size_t e = 0; e < 3; e++) {
            size_t off = tok->lay.t[li].offset + (e * 7919) % tok->lay.t[li].numel;
            float keep = w[off], h = 1e-2f * fmaxf(0.05f, fabsf(keep));
            w[off] = keep + h;
            double lp = clefi_tok_trainer_loss(tr, crop, 0, NULL);
            w[off] = keep - h;
            double lm = clefi_tok_trainer_loss(tr, crop, 0, NULL);
            w[off] = keep;
            double num = (lp - lm) / (2.0 * (double)h), ana = grad[off];
            double tol = 2e-3 + 0.05 * fmax(fabs(num), fabs(ana));
            if (fabs(num - ana) > tol)
                fail_msg("%s[%zu]: analytic %.6g, numeric %.6g", names[t],
                         off - tok->lay.t[li].offset, ana, num);
            n_checked++;
        }
    }
    print_message("%d gradient entries match finite differences\n", n_checked);
    free(grad);
    clefi_tok_trainer_free(tr);
    clef_params_free(p);
    clef_ctx_free(ctx);
}

/* Synthetic sessions [2][16][T] in dB: 1/f slope, an alpha peak whose power and frequency vary
 * per session and slowly in time, channel offsets and noise; clipped to [-40, 40]. */
#define NF       16
#define TS       240
#define CROP_GAN 20
static void synth_session(float *x, unsigned seed) {
    srand(seed);
    double slope = 10.0 + 25.0 * rand() / RAND_MAX, peak = 4.0 + 6.0 * rand() / RAND_MAX;
    double amp = 5.0 + 20.0 * rand() / RAND_MAX, phase = 6.28 * rand() / RAND_MAX;
    double period = 20.0 + 40.0 * rand() / RAND_MAX;
    for (int c = 0; c < 2; c++) {
        double off = 16.0 * rand() / RAND_MAX - 8.0;
        for (int f = 0; f < NF; f++) {
            for (int t = 0; t < TS; t++) {
                double fr = 0.5 + f, mod = 0.5 + 0.5 * sin(t / period * 6.28 + phase + c);
                double v = 20.0 - slope * log10(fr) + off +
                           amp * mod * exp(-(fr - peak) * (fr - peak) / 4.0) +
                           2.0 * ((double)rand() / RAND_MAX - 0.5);
                x[(c * NF + f) * TS + t] = (float)fmax(-40.0, fmin(40.0, v));
            }
        }
    }
}

static void crop(const float *sess, int t0, int len, float *out) {
    for (int r = 0; r < 2 * NF; r++)
        memcpy(out + r * len, sess + r * TS + t0, (size_t)len * sizeof *out);
}

static void test_train_beats_mean(void **state) {
    (void)state;
    enum { N_TRAIN = 32, N_TEST = 4, CROP = 40, BATCH = 8, STEPS = 500 };
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 1), CLEF_OK);
    float *sess = malloc((size_t)(N_TRAIN + N_TEST) * 2 * NF * TS * sizeof *sess);
    for (int s = 0; s < N_TRAIN + N_TEST; s++)
        synth_session(sess + (size_t)s * 2 * NF * TS, 100u + (unsigned)s);
    /* baseline: the training-set mean spectrum per channel and frequency */
    double mean[2 * NF] = {0};
    for (int s = 0; s < N_TRAIN; s++)
        for (int r = 0; r < 2 * NF; r++)
            for (int t = 0; t < TS; t++)
                mean[r] += sess[((size_t)s * 2 * NF + r) * TS + t] / (double)(N_TRAIN * TS);

    clef_params *p = arch(ctx, NF, CROP, 8, 32), *tp = NULL;
    assert_int_equal(clef_params_create(&tp, ctx, CLEF_PARAMS_TRAIN), CLEF_OK);
    assert_int_equal(clef_params_set_i64(tp, CLEF_P_TOK_TRAIN_BATCH, BATCH), CLEF_OK);
    assert_int_equal(clef_params_set_f64(tp, CLEF_P_TOK_TRAIN_LR, 3e-3), CLEF_OK);
    clef_tokenizer_trainer *tr = NULL;
    assert_int_equal(test_trainer_create(&tr, ctx, p, tp, 5), CLEF_OK);
    clef_params_free(tp);
    float *batch = malloc((size_t)BATCH * 2 * NF * CROP * sizeof *batch);
    unsigned rng = 7;
    double l1 = 0.0, ppl = 0.0;
    for (int step = 0; step < STEPS; step++) {
        for (int b = 0; b < BATCH; b++) {
            rng = rng * 1103515245u + 12345u;
            int s = (int)((rng >> 8) % N_TRAIN), t0 = (int)((rng >> 4) % (TS - CROP));
            crop(sess + (size_t)s * 2 * NF * TS, t0, CROP, batch + (size_t)b * 2 * NF * CROP);
        }
        assert_int_equal(clef_tokenizer_trainer_step(tr, batch, NULL, NULL, BATCH, &l1, &ppl),
                         CLEF_OK);
        if (step % 100 == 0 || step == STEPS - 1)
            print_message("step %d: L1 %.3f dB, perplexity %.1f\n", step, l1, ppl);
    }
    assert_int_equal(clef_tokenizer_trainer_steps(tr), STEPS);
    assert_int_equal(clef_tokenizer_trainer_step(tr, batch, NULL, NULL, BATCH + 1, NULL, NULL),
                     CLEF_ERR_INVALID_ARG);
    assert_non_null(strstr(clef_tokenizer_trainer_errmsg(tr), "9 crops"));
    /* held-out sessions: reconstruction MAE vs the mean-spectrum MAE */
    const clef_tokenizer *tok = clef_tokenizer_trainer_tokenizer(tr);
    float in[2 * NF * CROP], out[2 * NF * CROP];
    int32_t ids[32];
    double mae = 0.0, mae_mean = 0.0;
    size_t n = 0;
    for (int s = N_TRAIN; s < N_TRAIN + N_TEST; s++) {
        for (int t0 = 0; t0 + CROP <= TS; t0 += CROP) {
            crop(sess + (size_t)s * 2 * NF * TS, t0, CROP, in);
            assert_int_equal(
                clef_tokenizer_encode(tok, ss, in, 2, NF, CROP, ids, 32, NULL, 0, NULL), CLEF_OK);
            assert_int_equal(clef_tokenizer_decode(tok, ss, ids, 32, out, sizeof out / 4, NULL),
                             CLEF_OK);
            for (int i = 0; i < 2 * NF * CROP; i++) {
                mae += fabs(out[i] - in[i]);
                mae_mean += fabs(mean[i / CROP] - in[i]);
                n++;
            }
        }
    }
    mae /= (double)n;
    mae_mean /= (double)n;
    print_message("held-out MAE: tokenizer %.3f dB (%.1f %% of 40 dB), mean spectrum %.3f dB\n",
                  mae, 100.0 * mae / 40.0, mae_mean);
    /* stated margin: at least 30 % below the mean-spectrum reconstruction (measured: 54 %) */
    assert_true(mae < 0.7 * mae_mean);
    free(batch);
    free(sess);
    clef_tokenizer_trainer_free(tr);
    clef_params_free(p);
    clef_session_free(ss);
    clef_ctx_free(ctx);
}

/* PatchGAN input gradient against central differences (lib/nn conv2d + LeakyReLU). */
static void test_disc_gradient(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clefi_tok_disc *d = NULL;
    assert_int_equal(clefi_tok_disc_create(&d, ctx, 2, 16, 20, 4, 9), CLEF_OK);
    float x[2 * 16 * 20], dx[2 * 16 * 20] = {0};
    for (int i = 0; i < 2 * 16 * 20; i++)
        x[i] = (float)sin(0.37 * i);
    float *dlog = calloc(d->n_logits, sizeof *dlog), *dp = calloc(d->n_params, sizeof *dp);
    for (size_t i = 0; i < d->n_logits; i++)
        dlog[i] = 1.0f / (float)d->n_logits; /* loss = mean of the logits */
    clefi_tok_disc_forward(d, NULL, x);
    clefi_tok_disc_backward(d, NULL, dlog, dx, dp);
    for (int i = 0; i < 2 * 16 * 20; i += 37) {
        float keep = x[i];
        double lp = 0.0, lm = 0.0;
        x[i] = keep + 1e-2f;
        const float *lg = clefi_tok_disc_forward(d, NULL, x);
        for (size_t k = 0; k < d->n_logits; k++)
            lp += lg[k] / (double)d->n_logits;
        x[i] = keep - 1e-2f;
        lg = clefi_tok_disc_forward(d, NULL, x);
        for (size_t k = 0; k < d->n_logits; k++)
            lm += lg[k] / (double)d->n_logits;
        x[i] = keep;
        double num = (lp - lm) / 2e-2;
        if (fabs(num - dx[i]) > 1e-4 + 0.02 * fabs(num))
            fail_msg("dD/dx[%d]: analytic %.6g, numeric %.6g", i, (double)dx[i], num);
    }
    free(dlog);
    free(dp);
    clefi_tok_disc_free(d);
    clef_ctx_free(ctx);
}

/* With the adversarial loss on from step 2: finite losses and weight, training still works. */
static void test_train_gan(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_params *p = arch(ctx, NF, CROP_GAN, 8, 16);
    clefi_tok_train_cfg cfg = train_cfg(4);
    cfg.disc_ndf = 8;
    cfg.disc_start = 2;
    cfg.disc_weight = 0.8f;
    clefi_tok_trainer *tr = NULL;
    clefi_tok_cfg acfg;
    assert_int_equal(clefi_tok_cfg_from_params(ctx, p, &acfg), CLEF_OK);
    assert_int_equal(clefi_tok_trainer_create(&tr, ctx, &acfg, &cfg), CLEF_OK);
    float *sess = malloc((size_t)2 * NF * TS * sizeof *sess), batch[4 * 2 * NF * CROP_GAN];
    synth_session(sess, 3);
    double first = 0.0, l1 = 0.0, ppl, g, dl, lam;
    for (int step = 0; step < 40; step++) {
        for (int b = 0; b < 4; b++)
            crop(sess, (step * 13 + b * 29) % (TS - CROP_GAN), CROP_GAN,
                 batch + b * 2 * NF * CROP_GAN);
        assert_int_equal(clefi_tok_trainer_step(tr, batch, NULL, NULL, 4, &l1, &ppl), CLEF_OK);
        clefi_tok_trainer_gan_stats(tr, &g, &dl, &lam);
        if (step < 2) {
            assert_true(g == 0.0 && dl == 0.0 && lam == 0.0);
        } else {
            assert_true(isfinite(g) && isfinite(dl) && dl >= 0.0 && dl < 10.0);
            assert_true(lam > 0.0 && lam <= 1e4);
        }
        if (step == 0)
            first = l1;
    }
    print_message("with PatchGAN: L1 %.2f -> %.2f dB; last G %.3f, D %.3f, adaptive weight %.3g\n",
                  first, l1, g, dl, lam);
    assert_true(l1 < 0.7 * first);
    free(sess);
    clefi_tok_trainer_free(tr);
    clef_params_free(p);
    clef_ctx_free(ctx);
}

/* Save at step 6, run 4 more steps; resuming from the file and running the same 4 steps gives
 * bit-identical weights (adversarial loss active from step 3). */
static void test_checkpoint_resume(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    /* a schedule that changes the rate at every step, across the save point */
    clef_params *p = arch(ctx, NF, CROP_GAN, 4, 8), *tp = train_params(ctx, 2, 4, 3, 12);
    assert_int_equal(clef_params_set_i64(tp, CLEF_P_TOK_TRAIN_DISC_START, 3), CLEF_OK);
    clef_tokenizer_trainer *a = NULL, *b = NULL;
    assert_int_equal(test_trainer_create(&a, ctx, p, tp, 77), CLEF_OK);
    float *sess = malloc((size_t)2 * NF * TS * sizeof *sess), batch[10][2 * 2 * NF * CROP_GAN];
    synth_session(sess, 11);
    for (int s = 0; s < 10; s++)
        for (int k = 0; k < 2; k++)
            crop(sess, (s * 17 + k * 41) % (TS - CROP_GAN), CROP_GAN,
                 batch[s] + k * 2 * NF * CROP_GAN);
    char path[] = "/tmp/clef_tok_ckpt_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (int s = 0; s < 10; s++) {
        if (s == 6)
            assert_int_equal(clef_tokenizer_trainer_save(a, path), CLEF_OK);
        assert_int_equal(clef_tokenizer_trainer_step(a, batch[s], NULL, NULL, 2, NULL, NULL),
                         CLEF_OK);
    }
    assert_int_equal(clef_tokenizer_trainer_resume(&b, ctx, path, tp, 1), CLEF_OK);
    assert_int_equal(clef_tokenizer_trainer_steps(b), 6);
    for (int s = 6; s < 10; s++)
        assert_int_equal(clef_tokenizer_trainer_step(b, batch[s], NULL, NULL, 2, NULL, NULL),
                         CLEF_OK);
    const clef_tokenizer *ta = clef_tokenizer_trainer_tokenizer(a);
    const clef_tokenizer *tb = clef_tokenizer_trainer_tokenizer(b);
    assert_int_equal(ta->lay.total, tb->lay.total);
    assert_memory_equal(ta->flat, tb->flat, ta->lay.total * sizeof(float));
    assert_memory_equal(a->disc->params, b->disc->params, a->disc->n_params * sizeof(float));
    /* a model file is not a checkpoint */
    clef_tokenizer_trainer *c = NULL;
    assert_int_equal(clef_tokenizer_save(ta, ctx, path), CLEF_OK);
    assert_int_not_equal(clef_tokenizer_trainer_resume(&c, ctx, path, tp, 1), CLEF_OK);
    assert_null(c);
    unlink(path);
    free(sess);
    clef_tokenizer_trainer_free(a);
    clef_tokenizer_trainer_free(b);
    clef_params_free(tp);
    clef_params_free(p);
    clef_ctx_free(ctx);
}

/* ---- session-mean tokens ---- */

/* A float tensor of a golden file (tests/data/golden/model, tools/ref/tokenizer_ref.py). */
static float *golden_tensor(clef_ctx *ctx, const char *file, const char *name, size_t n) {
    char rel[128];
    snprintf(rel, sizeof rel, "golden/model/%s", file);
    clef_weights *w = NULL;
    assert_int_equal(clef_weights_open(&w, ctx, test_data_path(rel)), CLEF_OK);
    float *x = malloc(n * sizeof *x);
    assert_int_equal(clef_weights_read_f32(w, name, x, n, NULL), CLEF_OK);
    clef_weights_free(w);
    return x;
}

/* clef_tokenizer_trainer_fit_mean (LAPACK dsyevr on the covariance) against NumPy's eigh fit of
 * the same 12 session means (tok_mean golden), and its argument checks. */
static void test_mean_fit(void **state) {
    (void)state;
    enum {
        C = 3,
        F = 32,
        N = 12,
        K = 4,
        KC = 3,
        DIM = C * F
    }; /* K tokens: 1 + 2 coefficients, presence, columns */
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_params *p = NULL;
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_TOKENIZER), CLEF_OK);
    const int32_t keys[] = {CLEF_P_TOK_IN_CHANNELS, CLEF_P_TOK_N_FREQ,    CLEF_P_TOK_CROP_T,
                            CLEF_P_TOK_CH,          CLEF_P_TOK_GN_GROUPS, CLEF_P_TOK_CODEBOOK_SIZE,
                            CLEF_P_TOK_CODE_DIM};
    const int64_t vals[] = {C, F, 40, 8, 4, 16, 4};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_int_equal(clef_params_set_i64(p, keys[i], vals[i]), CLEF_OK);
    assert_int_equal(clef_params_set_str(p, CLEF_P_TOK_CH_MULT, "1,2"), CLEF_OK);
    clef_tokenizer_trainer *tr = NULL;
    assert_int_equal(clef_tokenizer_trainer_create(&tr, ctx, p, NULL, 1), CLEF_OK);
    float *means = golden_tensor(ctx, "tok_mean_io.safetensors", "fit_means", N * DIM);
    float *center = golden_tensor(ctx, "tok_mean_weights.safetensors", "mean.center", DIM);
    float *scale = golden_tensor(ctx, "tok_mean_weights.safetensors", "mean.scale", KC);
    float *basis = golden_tensor(ctx, "tok_mean_weights.safetensors", "mean.basis", KC * DIM);
    int64_t n = -1;
    assert_int_equal(clef_tokenizer_mean_tokens(clef_tokenizer_trainer_tokenizer(tr), &n, NULL),
                     CLEF_OK);
    assert_int_equal(n, 0); /* none until fitted */
    /* argument checks leave the tokenizer as it was */
    assert_int_equal(clef_tokenizer_trainer_fit_mean(tr, means, N, N + 2, 1024), CLEF_ERR_RANGE);
    assert_non_null(strstr(clef_tokenizer_trainer_errmsg(tr), "needs 3 to 13"));
    assert_int_equal(clef_tokenizer_trainer_fit_mean(tr, means, N, 2, 1024), CLEF_ERR_RANGE);
    assert_int_equal(clef_tokenizer_trainer_fit_mean(tr, means, N, K, 256), CLEF_ERR_RANGE);
    assert_non_null(strstr(clef_tokenizer_trainer_errmsg(tr), "not in [257, 65520]"));
    assert_int_equal(clef_tokenizer_trainer_fit_mean(tr, means, N, K, 65536 - 15), CLEF_ERR_RANGE);
    assert_int_equal(clef_tokenizer_trainer_fit_mean(tr, NULL, N, K, 1024), CLEF_ERR_INVALID_ARG);
    float keep = means[5 * DIM + 7];
    means[5 * DIM + 7] = NAN;
    assert_int_equal(clef_tokenizer_trainer_fit_mean(tr, means, N, K, 1024), CLEF_ERR_INVALID_ARG);
    assert_non_null(strstr(clef_tokenizer_trainer_errmsg(tr), "session 5"));
    means[5 * DIM + 7] = keep;
    assert_int_equal(clef_tokenizer_mean_tokens(clef_tokenizer_trainer_tokenizer(tr), &n, NULL),
                     CLEF_OK);
    assert_int_equal(n, 0);

    assert_int_equal(clef_tokenizer_trainer_fit_mean(tr, means, N, K, 1024), CLEF_OK);
    const clef_tokenizer *tok = clef_tokenizer_trainer_tokenizer(tr);
    assert_int_equal(clef_tokenizer_n_tokens(tok), 8 * 8 + K);
    /* double precision on both sides; float32 storage */
    test_assert_close_f32(tok->mean.center, center, DIM, 1e-5, 1e-6, "center");
    test_assert_close_f32(tok->mean.scale, scale, KC, 1e-5, 1e-5, "scale");
    test_assert_close_f32(tok->mean.basis, basis, KC * DIM, 1e-5, 1e-4, "basis");
    /* a failed refit keeps the fitted coder */
    assert_int_equal(clef_tokenizer_trainer_fit_mean(tr, means, 2, K, 1024), CLEF_ERR_RANGE);
    assert_int_equal(clef_tokenizer_n_tokens(tok), 8 * 8 + K);
    test_assert_close_f32(tok->mean.basis, basis, KC * DIM, 1e-5, 1e-4, "basis kept");
    /* a session with an absent channel (blank everywhere) is left out of the fit: the same
     * coder as from the 12 complete sessions */
    float *more = malloc((size_t)(N + 1) * DIM * sizeof *more);
    memcpy(more, means, (size_t)N * DIM * sizeof *more);
    for (int r = 0; r < DIM; r++)
        more[N * DIM + r] = r < F ? -40.0f : means[r] + 20.0f;
    assert_int_equal(clef_tokenizer_trainer_fit_mean(tr, more, N + 1, K, 1024), CLEF_OK);
    tok = clef_tokenizer_trainer_tokenizer(tr);
    test_assert_close_f32(tok->mean.center, center, DIM, 1e-5, 1e-6, "center, absent left out");
    test_assert_close_f32(tok->mean.basis, basis, KC * DIM, 1e-5, 1e-4, "basis, absent left out");
    free(more);
    free(means);
    free(center);
    free(scale);
    free(basis);
    clef_tokenizer_trainer_free(tr);
    clef_params_free(p);
    clef_ctx_free(ctx);
}

/* Sessions with a session-long focal pattern: channel 1 below 4 Hz raised by FOCAL dB in every
 * fifth session (as the synthetic cohort's focal slowing). */
#define FOCAL 10.0f
static float g_pixel_noise; /* dB of extra uniform pixel noise (+-), as multitaper noise */
static void focal_session(float *x, unsigned seed) {
    synth_session(x, seed);
    if (seed % 5 == 0)
        for (int f = 0; f < 4; f++)
            for (int t = 0; t < TS; t++)
                x[(NF + f) * TS + t] = fminf(40.0f, x[(NF + f) * TS + t] + FOCAL);
    unsigned st = seed * 2654435761u + 1u;
    for (int i = 0; g_pixel_noise > 0.0f && i < 2 * NF * TS; i++) {
        st = st * 1103515245u + 12345u;
        x[i] = fmaxf(-40.0f,
                     fminf(40.0f, x[i] + g_pixel_noise * ((float)(st >> 8) / 8388608.0f - 1.0f)));
    }
}

/* Each row's mean power in dB (what session-mean tokens code). */
static void row_means(const float *x, int stride, int frames, double *m) {
    for (int r = 0; r < 2 * NF; r++) {
        float p;
        assert_int_equal(clef_tokenizer_session_mean(x + r * stride, 1, 1, frames, &p), CLEF_OK);
        m[r] = p;
    }
}

/* n focal sessions of seeds seed0.. into sess (all n kept, or with keep 0 one at a time in
 * sess[0]) and their rows' mean power into means [n][2 * NF] (float). */
static void focal_sessions(float *sess, float *means, int n, unsigned seed0, int keep) {
    for (int s = 0; s < n; s++) {
        float *x = sess + (keep ? (size_t)s * 2 * NF * TS : 0);
        focal_session(x, seed0 + (unsigned)s);
        double m[2 * NF];
        row_means(x, TS, TS, m);
        for (int r = 0; r < 2 * NF; r++)
            means[s * 2 * NF + r] = (float)m[r];
    }
}

/* Held-out whole-session reconstructions: mean absolute error of the rows' mean power (all
 * rows, focal rows) and of their mean dB averaged over the sessions (a level bias), in dB. */
typedef struct row_err {
    double power, power_focal, level_bias, level_signed;
} row_err;

static row_err held_out(const clef_tokenizer *tok, clef_ctx *ctx, const float *sess, int s0,
                        int n) {
    clef_tokenizer *whole = NULL;
    assert_int_equal(clef_tokenizer_clone_crop(&whole, tok, ctx, TS), CLEF_OK);
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 2), CLEF_OK);
    size_t n_tok = (size_t)clef_tokenizer_n_tokens(whole);
    int32_t *ids = malloc(n_tok * sizeof *ids);
    float *out = malloc((size_t)2 * NF * TS * sizeof *out);
    row_err e = {0};
    double level[2 * NF] = {0};
    int n_focal = 0;
    for (int s = s0; s < s0 + n; s++) {
        const float *x = sess + (size_t)s * 2 * NF * TS;
        assert_int_equal(clef_tokenizer_encode(whole, ss, x, 2, NF, TS, ids, n_tok, NULL, 0, NULL),
                         CLEF_OK);
        assert_int_equal(
            clef_tokenizer_decode(whole, ss, ids, n_tok, out, (size_t)2 * NF * TS, NULL), CLEF_OK);
        double mt[2 * NF], md[2 * NF];
        row_means(x, TS, TS, mt);
        row_means(out, TS, TS, md);
        for (int r = 0; r < 2 * NF; r++) {
            e.power += fabs(md[r] - mt[r]) / (2 * NF * n);
            for (int t = 0; t < TS; t++)
                level[r] += ((double)out[r * TS + t] - x[r * TS + t]) / (TS * n);
        }
        if ((200u + (unsigned)s) % 5 == 0) {
            for (int f = 0; f < 4; f++)
                e.power_focal += fabs(md[NF + f] - mt[NF + f]);
            n_focal += 4;
        }
    }
    assert_true(n_focal > 0);
    e.power_focal /= n_focal;
    for (int r = 0; r < 2 * NF; r++) {
        e.level_bias += fabs(level[r]) / (2 * NF);
        e.level_signed += level[r] / (2 * NF);
    }
    free(ids);
    free(out);
    clef_tokenizer_free(whole);
    clef_session_free(ss);
    return e;
}

/* Train a tiny tokenizer with (n_mean > 0) or without session-mean tokens on the focal
 * sessions; held-out errors after training, and with session-mean tokens after calibrating
 * on the training sessions (calibrated). */
static void train_row_error(int n_mean, row_err *trained, row_err *calibrated) {
    enum { N_TRAIN = 40, N_TEST = 10, CROP = 40, BATCH = 8, STEPS = 300 };
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    float *sess = malloc((size_t)(N_TRAIN + N_TEST) * 2 * NF * TS * sizeof *sess);
    float *means = malloc((size_t)(N_TRAIN + N_TEST) * 2 * NF * sizeof *means);
    focal_sessions(sess, means, N_TRAIN + N_TEST, 200u, 1);
    clef_params *p = arch(ctx, NF, CROP, 8, 32), *tp = train_params(ctx, BATCH, 0, 0, 0);
    assert_int_equal(clef_params_set_f64(tp, CLEF_P_TOK_TRAIN_LR, 3e-3), CLEF_OK);
    clef_tokenizer_trainer *tr = NULL;
    assert_int_equal(test_trainer_create(&tr, ctx, p, tp, 5), CLEF_OK);
    if (n_mean > 0)
        assert_int_equal(clef_tokenizer_trainer_fit_mean(tr, means, N_TRAIN, n_mean, 1000),
                         CLEF_OK); /* not a square: one coefficient per token */
    else                           /* nothing to calibrate */
        assert_int_equal(clef_tokenizer_trainer_calibrate_mean(tr, sess, 2, NF, TS, 1),
                         CLEF_ERR_STATE);
    float *batch = malloc((size_t)BATCH * 2 * NF * CROP * sizeof *batch);
    float bm[BATCH * 2 * NF];
    unsigned rng = 9;
    for (int step = 0; step < STEPS; step++) {
        for (int b = 0; b < BATCH; b++) {
            rng = rng * 1103515245u + 12345u;
            int s = (int)((rng >> 8) % N_TRAIN), t0 = (int)((rng >> 4) % (TS - CROP));
            crop(sess + (size_t)s * 2 * NF * TS, t0, CROP, batch + (size_t)b * 2 * NF * CROP);
            memcpy(bm + b * 2 * NF, means + s * 2 * NF, 2 * NF * sizeof *bm);
        }
        assert_int_equal(clef_tokenizer_trainer_step(tr, batch, NULL, bm, BATCH, NULL, NULL),
                         CLEF_OK);
    }
    *trained = held_out(clef_tokenizer_trainer_tokenizer(tr), ctx, sess, N_TRAIN, N_TEST);
    if (n_mean > 0) {
        assert_int_equal(clef_tokenizer_trainer_calibrate_mean(tr, NULL, 2, NF, TS, 1),
                         CLEF_ERR_INVALID_ARG);
        assert_int_equal(clef_tokenizer_trainer_calibrate_mean(tr, sess, 3, NF, TS, 1),
                         CLEF_ERR_SHAPE);
        for (int s = 0; s < N_TRAIN; s++)
            assert_int_equal(clef_tokenizer_trainer_calibrate_mean(
                                 tr, sess + (size_t)s * 2 * NF * TS, 2, NF, TS, s == 0),
                             CLEF_OK);
        *calibrated = held_out(clef_tokenizer_trainer_tokenizer(tr), ctx, sess, N_TRAIN, N_TEST);
    }
    free(batch);
    free(means);
    free(sess);
    clef_tokenizer_trainer_free(tr);
    clef_params_free(tp);
    clef_params_free(p);
    clef_ctx_free(ctx);
}

/* What session-mean tokens are for: a whole session's per-row mean power survives the tokens,
 * focal rows included, where the grid alone loses much of it. Calibration then takes the
 * decoded rows' level bias off (their power comes down by a per-row constant). */
static void test_train_mean_tokens(void **state) {
    (void)state;
    row_err g, m, c;
    train_row_error(0, &g, NULL);
    train_row_error(12, &m, &c);
    print_message("held-out row power error: grid only %.3f dB (focal rows %.3f), with 12 "
                  "session-mean tokens %.3f dB (focal rows %.3f)\n",
                  g.power, g.power_focal, m.power, m.power_focal);
    print_message("held-out row level bias: grid only %.3f dB, session-mean tokens %.3f dB "
                  "(mean %+.3f), calibrated %.3f dB (mean %+.3f)\n",
                  g.level_bias, m.level_bias, m.level_signed, c.level_bias, c.level_signed);
    /* stated margins: decode gives each row its coded power, within 0.25 dB of the true one
     * (11 components of 40 sessions), a tenth of the grid's error at most */
    assert_true(m.power < 0.25 && m.power_focal < 0.25);
    assert_true(m.power < 0.1 * g.power && m.power_focal < 0.1 * g.power_focal);
    (void)c;
}

/* Calibration: with +-8 dB of pixel noise, which no decoder reproduces, a decoded row given the
 * session's mean power sits above the data's mean dB by the noise's share of the power (about
 * 1.7 dB for a uniform +-8 dB); mean.bias, calibrated on the training sessions, takes it off. */
static void test_calibrate_mean(void **state) {
    (void)state;
    row_err m, c;
    g_pixel_noise = 8.0f;
    train_row_error(12, &m, &c);
    g_pixel_noise = 0.0f;
    print_message("held-out rows' mean level, decoded - true: %+.3f dB, calibrated %+.3f dB\n",
                  m.level_signed, c.level_signed);
    /* stated margins: above 0.5 dB before, a quarter of it at most after */
    assert_true(m.level_signed > 0.5);
    assert_true(fabs(c.level_signed) < 0.25 * m.level_signed);
}

/* An absent channel (the dB floor everywhere) is left out of the session-mean fit: the present
 * channel's coded mean stays as accurate as with both channels, where projecting the floor as
 * if it were data would throw it off; the absent channel keeps a zero residual. */
static void test_mean_absent_channel(void **state) {
    (void)state;
    enum { N = 40, N_TEST = 8, K = 11, DIM = 2 * NF }; /* K components, K + 1 tokens */
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    float *sess = malloc((size_t)TS * DIM * sizeof *sess), means[(N + N_TEST) * DIM];
    focal_sessions(sess, means, N + N_TEST, 300u, 0);
    clef_params *p = arch(ctx, NF, 40, 8, 32);
    clef_tokenizer_trainer *tr = NULL;
    assert_int_equal(test_trainer_create(&tr, ctx, p, NULL, 5), CLEF_OK);
    /* 1,000 levels (not a square): one coefficient per token, K in all, then a presence token
     * and the column count */
    assert_int_equal(clef_tokenizer_trainer_fit_mean(tr, means, N, K + 2, 1000), CLEF_OK);
    const clef_tokenizer *tok = clef_tokenizer_trainer_tokenizer(tr);
    assert_int_equal(clef_tokenizer_mean_coefficients(tok), K);
    double e_full = 0.0, e_masked = 0.0, e_naive = 0.0;
    for (int s = N; s < N + N_TEST; s++) {
        float m[DIM], blanked[DIM], hat[DIM], hat_b[DIM];
        int32_t ids[K + 2];
        memcpy(m, means + s * DIM, sizeof m);
        memcpy(blanked, m, sizeof m);
        for (int f = 0; f < NF; f++)
            blanked[f] = -40.0f; /* channel 0 absent */
        assert_int_equal(clefi_tok_mean_encode(tok, ctx, NULL, m, 1, ids, NULL, hat), CLEF_OK);
        assert_int_equal(clefi_tok_mean_encode(tok, ctx, NULL, blanked, 1, ids, NULL, hat_b),
                         CLEF_OK);
        /* the naive projection of the blanked mean, channel 1's part */
        double c[K];
        for (int k = 0; k < K; k++) {
            c[k] = 0.0;
            for (int r = 0; r < DIM; r++)
                c[k] += (double)tok->mean.basis[k * DIM + r] * (blanked[r] - tok->mean.center[r]);
        }
        for (int r = NF; r < DIM; r++) {
            double naive = tok->mean.center[r];
            for (int k = 0; k < K; k++)
                naive += c[k] * tok->mean.basis[k * DIM + r];
            e_full += fabs(hat[r] - m[r]) / (NF * N_TEST);
            e_masked += fabs(hat_b[r] - m[r]) / (NF * N_TEST);
            e_naive += fabs(naive - m[r]) / (NF * N_TEST);
        }
        for (int f = 0; f < NF; f++)
            assert_true(hat_b[f] == -40.0f); /* zero residual on the absent channel */
    }
    print_message("channel 1's coded mean: both channels %.3f dB, channel 0 absent %.3f dB "
                  "(projecting its floor as data: %.3f dB)\n",
                  e_full, e_masked, e_naive);
    /* stated margins: within 0.5 dB, and a fifth of the naive projection's error at most */
    assert_true(e_masked < 0.5 && e_masked < 0.2 * e_naive);
    free(sess);
    clef_tokenizer_trainer_free(tr);
    clef_params_free(p);
    clef_ctx_free(ctx);
}

/* Checkpoints carry the coder: resuming gives the same coder and the same weights. */
static void test_checkpoint_mean(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_params *p = arch(ctx, NF, CROP_GAN, 4, 8), *tp = train_params(ctx, 2, 0, 0, 0);
    clef_tokenizer_trainer *a = NULL, *b = NULL;
    assert_int_equal(test_trainer_create(&a, ctx, p, tp, 3), CLEF_OK);
    float *sess = malloc((size_t)6 * 2 * NF * TS * sizeof *sess), means[6 * 2 * NF];
    float batch[2 * 2 * NF * CROP_GAN];
    focal_sessions(sess, means, 6, 40u, 1);
    assert_int_equal(clef_tokenizer_trainer_fit_mean(a, means, 6, 3, 512), CLEF_OK);
    char path[] = "/tmp/clef_tok_ckpt_mean_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (int s = 0; s < 6; s++) {
        if (s == 3)
            assert_int_equal(clef_tokenizer_trainer_save(a, path), CLEF_OK);
        if (s == 3)
            assert_int_equal(clef_tokenizer_trainer_resume(&b, ctx, path, tp, 1), CLEF_OK);
        for (int k = 0; k < 2; k++)
            crop(sess + (size_t)((s + k) % 6) * 2 * NF * TS, (s * 29 + k * 13) % (TS - CROP_GAN),
                 CROP_GAN, batch + k * 2 * NF * CROP_GAN);
        float bm[2 * 2 * NF];
        memcpy(bm, means + (s % 6) * 2 * NF, sizeof bm / 2);
        memcpy(bm + 2 * NF, means + ((s + 1) % 6) * 2 * NF, sizeof bm / 2);
        assert_int_equal(clef_tokenizer_trainer_step(a, batch, NULL, bm, 2, NULL, NULL), CLEF_OK);
        if (b != NULL)
            assert_int_equal(clef_tokenizer_trainer_step(b, batch, NULL, bm, 2, NULL, NULL),
                             CLEF_OK);
    }
    const clef_tokenizer *ta = clef_tokenizer_trainer_tokenizer(a);
    const clef_tokenizer *tb = clef_tokenizer_trainer_tokenizer(b);
    int64_t n = 0, lv = 0;
    assert_int_equal(clef_tokenizer_mean_tokens(tb, &n, &lv), CLEF_OK);
    assert_int_equal(n, 3);
    assert_int_equal(lv, 512);
    assert_memory_equal(ta->mean.buf, tb->mean.buf, ta->mean.lay.total * sizeof(float));
    assert_memory_equal(ta->flat, tb->flat, ta->lay.total * sizeof(float));
    /* a non-finite session mean is refused */
    float bad[2 * 2 * NF] = {0};
    bad[5] = INFINITY;
    assert_int_equal(clef_tokenizer_trainer_step(a, batch, NULL, bad, 2, NULL, NULL),
                     CLEF_ERR_INVALID_ARG);
    unlink(path);
    free(sess);
    clef_tokenizer_trainer_free(a);
    clef_tokenizer_trainer_free(b);
    clef_params_free(tp);
    clef_params_free(p);
    clef_ctx_free(ctx);
}

/* Cosine decay to lr_min 0 at step 4: from then on AdamW leaves every weight outside the
 * codebook (which follows its EMA) unchanged, while before it they move. */
static void test_lr_schedule(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_params *p = arch(ctx, NF, CROP_GAN, 4, 8), *tp = train_params(ctx, 2, 0, 1, 4);
    assert_int_equal(clef_params_set_f64(tp, CLEF_P_TOK_TRAIN_LR_MIN, 0.0), CLEF_OK);
    assert_int_not_equal(clef_params_set_i64(tp, CLEF_P_TOK_TRAIN_COSINE_STEPS, -1), CLEF_OK);
    clef_tokenizer_trainer *a = NULL;
    assert_int_equal(test_trainer_create(&a, ctx, p, tp, 5), CLEF_OK);
    const clef_tokenizer *t = clef_tokenizer_trainer_tokenizer(a);
    size_t n = t->lay.total;
    float *sess = malloc((size_t)2 * NF * TS * sizeof *sess), batch[2 * 2 * NF * CROP_GAN];
    float *before = malloc(n * sizeof *before);
    synth_session(sess, 13);
    for (int s = 0; s < 8; s++) {
        for (int k = 0; k < 2; k++)
            crop(sess, (s * 19 + k * 37) % (TS - CROP_GAN), CROP_GAN,
                 batch + k * 2 * NF * CROP_GAN);
        memcpy(before, t->flat, n * sizeof *before);
        assert_int_equal(clef_tokenizer_trainer_step(a, batch, NULL, NULL, 2, NULL, NULL), CLEF_OK);
        t = clef_tokenizer_trainer_tokenizer(a);
        size_t moved = 0;
        for (size_t i = 0; i < n; i++)
            moved += (i < a->cb_off || i >= a->cb_off + a->cb_len) && t->flat[i] != before[i];
        if (s < 4)
            assert_true(moved > n / 2); /* steps 0..3: lr > 0 */
        else
            assert_int_equal(moved, 0); /* step 4 on: lr = lr_min = 0 */
    }
    free(before);
    free(sess);
    clef_tokenizer_trainer_free(a);
    clef_params_free(tp);
    clef_params_free(p);
    clef_ctx_free(ctx);
}

/* The masked step's L1 covers the present channels only: before the update it equals the MAE
 * of the trainer's own encode/decode over channel 0, not over both channels; so does the
 * mean-power term (clef_tokenizer_trainer_power_db against the rows' mean power computed here
 * from that encode/decode); bad masks fail. */
static void test_masked_step(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 1), CLEF_OK);
    clef_params *p = arch(ctx, NF, CROP_GAN, 4, 8), *tp = train_params(ctx, 1, 0, 0, 0);
    assert_int_equal(clef_params_set_f64(tp, CLEF_P_TOK_TRAIN_POWER_WEIGHT, 1.0), CLEF_OK);
    float *sess = malloc((size_t)2 * NF * TS * sizeof *sess), img[2 * NF * CROP_GAN],
          rec[2 * NF * CROP_GAN];
    double power[2] = {0.0, 0.0}, power_db[2] = {0.0, 0.0};
    synth_session(sess, 17);
    crop(sess, 3, CROP_GAN, img);
    for (int i = NF * CROP_GAN; i < 2 * NF * CROP_GAN; i++)
        img[i] = 35.0f; /* channel 1: a plane far from anything channel 0 holds */
    double mae[2] = {0.0, 0.0}, l1_masked = 0.0, l1_all = 0.0;
    uint32_t only0 = 0x1u;
    for (int masked = 1; masked >= 0; masked--) {
        clef_tokenizer_trainer *tr = NULL;
        assert_int_equal(test_trainer_create(&tr, ctx, p, tp, 9), CLEF_OK);
        const clef_tokenizer *t = clef_tokenizer_trainer_tokenizer(tr);
        int32_t ids[64];
        size_t n_tok = (size_t)clef_tokenizer_n_tokens(t);
        assert_true(n_tok <= 64);
        assert_int_equal(
            clef_tokenizer_encode(t, ss, img, 2, NF, CROP_GAN, ids, n_tok, NULL, 0, NULL), CLEF_OK);
        assert_int_equal(clef_tokenizer_decode(t, ss, ids, n_tok, rec, 2 * NF * CROP_GAN, NULL),
                         CLEF_OK);
        for (int c = 0; c < 2; c++)
            for (int i = 0; i < NF * CROP_GAN; i++)
                mae[c] +=
                    fabs(rec[c * NF * CROP_GAN + i] - img[c * NF * CROP_GAN + i]) / (NF * CROP_GAN);
        /* the rows' time-mean power error in dB, rms over the loss's channels */
        double sq = 0.0;
        for (int r = 0; r < (masked ? 1 : 2) * NF; r++) {
            double mr = 0.0, mi = 0.0;
            for (int j = 0; j < CROP_GAN; j++) {
                mr += pow(10.0, rec[r * CROP_GAN + j] / 10.0) / CROP_GAN;
                mi += pow(10.0, img[r * CROP_GAN + j] / 10.0) / CROP_GAN;
            }
            sq += pow(10.0 * log10(mr) - 10.0 * log10(mi), 2.0) / ((masked ? 1 : 2) * NF);
        }
        power[masked] = sqrt(sq);
        assert_true(clef_tokenizer_trainer_power_db(tr) == 0.0); /* before the first step */
        assert_int_equal(clef_tokenizer_trainer_step(tr, img, masked ? &only0 : NULL, NULL, 1,
                                                     masked ? &l1_masked : &l1_all, NULL),
                         CLEF_OK);
        power_db[masked] = clef_tokenizer_trainer_power_db(tr);
        if (masked) {
            uint32_t none = 0x0u, beyond = 0x4u;
            assert_int_equal(clef_tokenizer_trainer_step(tr, img, &none, NULL, 1, NULL, NULL),
                             CLEF_ERR_INVALID_ARG);
            assert_int_equal(clef_tokenizer_trainer_step(tr, img, &beyond, NULL, 1, NULL, NULL),
                             CLEF_ERR_INVALID_ARG);
            assert_non_null(strstr(clef_tokenizer_trainer_errmsg(tr), "no present channel"));
            mae[0] = mae[1] = 0.0; /* the second trainer (same seed) measures again */
        }
        clef_tokenizer_trainer_free(tr);
    }
    print_message("masked L1 %.4f dB (channel 0 MAE %.4f), all-channel L1 %.4f (mean %.4f)\n",
                  l1_masked, mae[0], l1_all, 0.5 * (mae[0] + mae[1]));
    assert_true(fabs(l1_masked - mae[0]) < 1e-3 * (1.0 + mae[0]));
    assert_true(fabs(l1_all - 0.5 * (mae[0] + mae[1])) < 1e-3 * (1.0 + mae[0] + mae[1]));
    assert_true(fabs(mae[1] - mae[0]) > 1.0); /* the two losses are told apart */
    print_message("row-mean power rms: masked %.4f dB (expected %.4f), all %.4f (%.4f)\n",
                  power_db[1], power[1], power_db[0], power[0]);
    for (int m = 0; m < 2; m++)
        assert_true(fabs(power_db[m] - power[m]) < 1e-3 * (1.0 + power[m]));
    assert_true(fabs(power[0] - power[1]) > 0.5);
    free(sess);
    clef_params_free(tp);
    clef_params_free(p);
    clef_session_free(ss);
    clef_ctx_free(ctx);
}

static clef_status oom_trainer(clef_ctx *ctx, void *arg) {
    (void)arg;
    clef_params *p = NULL;
    clef_status rc = clef_params_create(&p, ctx, CLEF_PARAMS_TOKENIZER);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(p, CLEF_P_TOK_N_FREQ, 16);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(p, CLEF_P_TOK_CROP_T, 20);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(p, CLEF_P_TOK_CODEBOOK_SIZE, 16);
    clef_tokenizer_trainer *tr = NULL;
    if (rc == CLEF_OK)
        rc = clef_tokenizer_trainer_create(&tr, ctx, p, NULL, 1);
    clef_tokenizer_trainer_free(tr);
    clef_params_free(p);
    return rc;
}

static void test_trainer_oom(void **state) {
    (void)state;
    assert_true(test_oom_sweep(oom_trainer, NULL, 0) > 10);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradients),
        cmocka_unit_test(test_train_beats_mean),
        cmocka_unit_test(test_trainer_oom),
        cmocka_unit_test(test_disc_gradient),
        cmocka_unit_test(test_train_gan),
        cmocka_unit_test(test_checkpoint_resume),
        cmocka_unit_test(test_lr_schedule),
        cmocka_unit_test(test_masked_step),
        cmocka_unit_test(test_mean_fit),
        cmocka_unit_test(test_train_mean_tokens),
        cmocka_unit_test(test_calibrate_mean),
        cmocka_unit_test(test_checkpoint_mean),
        cmocka_unit_test(test_mean_absent_channel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
