/* oom_sweep.c — the driver and shared fixtures of the public-API OOM sweeps (oom_sweep.h). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "oom_sweep.h"

#include "cohort_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void fx_free(oom_fx *fx) {
    clef_aligner_trainer_free(fx->atr);
    clef_aligner_free(fx->al);
    clef_encoder_stream_free(fx->est);
    clef_spectrogram_stream_free(fx->sst);
    clef_encoder_trainer_free(fx->etr);
    clef_tokenizer_trainer_free(fx->ttr);
    clef_encoder_free(fx->enc);
    clef_text_encoder_free(fx->te);
    clef_tokenizer_free(fx->tok);
    clef_spectrogram_free(fx->sg);
    clef_stream_free(fx->stream);
    clef_edf_writer_free(fx->ew);
    clef_recording_free(fx->rec);
    clef_ehr_free(fx->ehr);
    clef_weights_free(fx->w);
    clef_weights_writer_free(fx->wr);
    clef_probe_free(fx->probe);
    clef_eval_free(fx->ev);
    clef_store_free(fx->store);
    clef_params_free(fx->p);
    clef_session_free(fx->s);
    if (fx->path[0] != '\0')
        remove(fx->path);
    if (fx->dir[0] != '\0')
        fixture_rmtree(fx->dir);
    memset(fx, 0, sizeof *fx);
}

/* The first error message any handle of the fixture holds (for failure reports). */
static const char *fx_errmsg(const oom_fx *fx) {
    const char *m[] = {clef_ctx_errmsg(fx->ctx),
                       clef_session_errmsg(fx->s),
                       clef_tokenizer_trainer_errmsg(fx->ttr),
                       clef_encoder_trainer_errmsg(fx->etr),
                       clef_aligner_trainer_errmsg(fx->atr),
                       clef_store_errmsg(fx->store),
                       clef_recording_errmsg(fx->rec),
                       clef_stream_errmsg(fx->stream),
                       clef_weights_errmsg(fx->w),
                       clef_eval_errmsg(fx->ev),
                       clef_probe_errmsg(fx->probe),
                       clef_text_encoder_errmsg(fx->te)};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        if (m[i] != NULL && m[i][0] != '\0')
            return m[i];
    return "";
}

/* The case's fixture on a fresh counting ctx (no failures); then allocation `fail` counted
 * from the end of the setup fails during the call. Returns the call's status; *made receives
 * how many allocations the call attempted. */
static clef_status setup_and_call(const oom_case *c, test_alloc *ta, oom_fx *fx, long fail,
                                  long *made) {
    memset(fx, 0, sizeof *fx);
    fx->ctx = test_ctx_with_alloc(ta, -1);
    assert_non_null(fx->ctx);
    clef_status rc = c->setup != NULL ? c->setup(fx) : CLEF_OK;
    if (rc != CLEF_OK)
        fail_msg("%s: setup failed: %s (%s)", c->name, clef_strerror(rc), fx_errmsg(fx));
    long base = ta->n_allocs;
    ta->fail_at = base + fail;
    rc = c->call(fx);
    ta->fail_at = -1;
    *made = ta->n_allocs - base;
    return rc;
}

/* Free the fixture and its ctx; no block may be left. */
static void teardown(const oom_case *c, test_alloc *ta, oom_fx *fx, long k) {
    clef_ctx *ctx = fx->ctx;
    fx_free(fx);
    clef_ctx_free(ctx);
    if (ta->live != 0)
        fail_msg("%s: allocation %ld failed: %ld block(s) (%zu bytes) leaked", c->name, k, ta->live,
                 ta->live_bytes);
}

/* One try: allocation k after the setup fails. */
static clef_status sweep_once(const oom_case *c, long k, long *made) {
    test_alloc ta;
    oom_fx fx;
    clef_status rc = setup_and_call(c, &ta, &fx, k, made);
    if (rc != CLEF_OK) {
        if (rc != CLEF_ERR_NOMEM && (c->also == CLEF_OK || rc != c->also))
            fail_msg("%s: allocation %ld failed: got %s instead of CLEF_ERR_NOMEM (%s)", c->name, k,
                     clef_strerror(rc), fx_errmsg(&fx));
        clef_status again = c->call(&fx);
        if (again != CLEF_OK)
            fail_msg("%s: after allocation %ld failed, the same call without failures gives %s "
                     "(%s)",
                     c->name, k, clef_strerror(again), fx_errmsg(&fx));
    } else if (k < *made) {
        fail_msg("%s: allocation %ld failed but the call succeeded", c->name, k);
    }
    if (c->check != NULL)
        c->check(&fx);
    teardown(c, &ta, &fx, k);
    return rc;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A .none case: nothing may be allocated, so failing the first allocation changes nothing. */
static void run_none(const oom_case *c) {
    test_alloc ta;
    oom_fx fx;
    long made = 0;
    clef_status rc = setup_and_call(c, &ta, &fx, 0, &made);
    if (rc != CLEF_OK || made != 0)
        fail_msg("%s: exempt calls attempted %ld allocation(s) and gave %s (%s)", c->name, made,
                 clef_strerror(rc), fx_errmsg(&fx));
    teardown(c, &ta, &fx, 0);
}

static void run_case(void **state) {
    const oom_case *c = *state;
    if (c->none) {
        run_none(c);
        return;
    }
    double t0 = now_s();
    for (long k = 0;; k++) {
        long made = 0;
        if (sweep_once(c, k, &made) == CLEF_OK) {
            print_message("  %s: %ld allocation(s) swept in %.2f s\n", c->name, k, now_s() - t0);
            if (k == 0)
                fail_msg("%s: the call allocates nothing through the ctx: exempt it instead",
                         c->name);
            return;
        }
        if (k > 200000)
            fail_msg("%s: the sweep does not end", c->name);
    }
}

int oom_run(int argc, char **argv, const char *group, const oom_case *cases, size_t n) {
    if (argc > 1)
        cmocka_set_test_filter(argv[1]); /* e.g. "encoder_*" */
    struct CMUnitTest *tests = calloc(n, sizeof *tests);
    assert_non_null(tests);
    for (size_t i = 0; i < n; i++) {
        tests[i].name = cases[i].name;
        tests[i].test_func = run_case;
        tests[i].initial_state = (void *)&cases[i];
    }
    int failed = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
    free(tests);
    return failed;
}

/* ---- shared fixtures ---- */

static char g_tmp[256];

static void rm_tmp(void) {
    if (g_tmp[0] != '\0')
        fixture_rmtree(g_tmp);
}

const char *oom_tmpdir(void) {
    if (g_tmp[0] == '\0') {
        snprintf(g_tmp, sizeof g_tmp, "%s", fixture_tmpdir("oom"));
        atexit(rm_tmp);
    }
    return g_tmp;
}

static const char *tmp_file(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/%s", oom_tmpdir(), name);
    return buf;
}

clef_status oom_spec16(clef_ctx *ctx, clef_spectrogram **out) {
    clef_params *p = NULL;
    clef_status rc = clef_params_create(&p, ctx, CLEF_PARAMS_SPEC);
    if (rc == CLEF_OK) /* 1 s windows (a cheap DPSS and FFT plan per job run), 1 Hz bins */
        rc = clef_params_set_f64(p, CLEF_P_SPEC_WINDOW_S, 1.0);
    if (rc == CLEF_OK)
        rc = clef_params_set_f64(p, CLEF_P_SPEC_FMAX_HZ, 16.0);
    if (rc == CLEF_OK)
        rc = clef_spectrogram_create(out, ctx, p);
    clef_params_free(p);
    return rc;
}

clef_status oom_tok_arch(clef_ctx *ctx, clef_params **out) {
    clef_status rc = clef_params_create(out, ctx, CLEF_PARAMS_TOKENIZER);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_TOK_N_FREQ, 16);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_TOK_CH, 4);
    if (rc == CLEF_OK)
        rc = clef_params_set_str(*out, CLEF_P_TOK_CH_MULT, "1,1,1,1");
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_TOK_TIME_STRIDE, 40);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_TOK_GN_GROUPS, 2);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_TOK_CODEBOOK_SIZE, 32);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_TOK_CODE_DIM, 4);
    if (rc == CLEF_OK)
        rc = clef_params_set_i64(*out, CLEF_P_TOK_CROP_T, 40);
    return rc;
}

/* Saved from a trainer, so that its weights carry oom_spec16()'s metadata. */
const char *oom_tok_path(void) {
    static char path[512];
    if (path[0] != '\0')
        return path;
    clef_ctx *ctx;
    clef_params *a;
    clef_spectrogram *sg;
    clef_tokenizer_trainer *tr;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(oom_tok_arch(ctx, &a), CLEF_OK);
    assert_int_equal(oom_spec16(ctx, &sg), CLEF_OK);
    assert_int_equal(clef_tokenizer_trainer_create(&tr, ctx, a, NULL, 1), CLEF_OK);
    assert_int_equal(clef_tokenizer_trainer_set_spectrogram(tr, sg), CLEF_OK);
    assert_int_equal(clef_tokenizer_save(clef_tokenizer_trainer_tokenizer(tr), ctx,
                                         tmp_file(path, sizeof path, "tok.safetensors")),
                     CLEF_OK);
    clef_tokenizer_trainer_free(tr);
    clef_spectrogram_free(sg);
    clef_params_free(a);
    clef_ctx_free(ctx);
    return path;
}

/* A one-layer encoder of width 16 for that tokenizer, as created (untrained). */
const char *oom_enc_path(void) {
    static char path[512];
    if (path[0] != '\0')
        return path;
    clef_ctx *ctx;
    clef_params *a;
    clef_tokenizer *tok;
    clef_encoder_trainer *tr;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(clef_tokenizer_load(&tok, ctx, oom_tok_path()), CLEF_OK);
    assert_int_equal(clef_params_create(&a, ctx, CLEF_PARAMS_ENCODER), CLEF_OK);
    assert_int_equal(clef_params_set_i64(a, CLEF_P_ENC_D_MODEL, 16), CLEF_OK);
    assert_int_equal(clef_params_set_i64(a, CLEF_P_ENC_N_LAYERS, 1), CLEF_OK);
    assert_int_equal(clef_params_set_i64(a, CLEF_P_ENC_D_FF, 16), CLEF_OK);
    assert_int_equal(clef_params_set_i64(a, CLEF_P_ENC_EMBED_DIM, 8), CLEF_OK);
    assert_int_equal(clef_encoder_trainer_create(&tr, ctx, tok, a, NULL, 1), CLEF_OK);
    assert_int_equal(clef_encoder_save(clef_encoder_trainer_encoder(tr, 0), ctx,
                                       tmp_file(path, sizeof path, "enc.safetensors")),
                     CLEF_OK);
    clef_encoder_trainer_free(tr);
    clef_params_free(a);
    clef_tokenizer_free(tok);
    clef_ctx_free(ctx);
    return path;
}

/* 5 patients, one 48-second session each (tests/support/cohort_fixture.h): long enough for a
 * tokenizer's 40-frame crop (4 s windows, 1 s apart). */
const char *oom_cohort_dir(void) {
    static char dir[512];
    if (dir[0] == '\0') {
        tmp_file(dir, sizeof dir, "coh");
        assert_int_equal(mkdir_for_test(dir), 0);
        fixture_write_cohort(dir, 5, 1, 48.0, 3);
    }
    return dir;
}

/* 3 patients, one 2-second session each: imports hash every file, so the import sweeps take
 * small ones. */
const char *oom_cohort_small_dir(void) {
    static char dir[512];
    if (dir[0] == '\0') {
        tmp_file(dir, sizeof dir, "coh_small");
        assert_int_equal(mkdir_for_test(dir), 0);
        fixture_write_cohort(dir, 3, 1, 2.0, 5);
    }
    return dir;
}

/* The cohort imported; with jobs, also tokenized, embedded and band-power embedded. */
static const char *store_db(int jobs) {
    static char db[2][512];
    if (db[jobs][0] != '\0')
        return db[jobs];
    tmp_file(db[jobs], sizeof db[jobs], jobs ? "store_jobs.db" : "store.db");
    clef_ctx *ctx;
    clef_store *s;
    clef_session *ss;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(clef_session_create(&ss, ctx, 1), CLEF_OK);
    assert_int_equal(clef_store_open(&s, ctx, db[jobs]), CLEF_OK);
    assert_int_equal(clef_store_import_cohort(s, oom_cohort_dir(), NULL, NULL, NULL), CLEF_OK);
    if (jobs) {
        assert_int_equal(clef_tokenizer_job_run(ss, s, oom_tok_path(), 0.0, 0, NULL, NULL, NULL),
                         CLEF_OK);
        assert_int_equal(
            clef_encoder_job_run(ss, s, oom_tok_path(), oom_enc_path(), 0.0, 0, NULL, NULL, NULL),
            CLEF_OK);
        assert_int_equal(clef_bandpower_job_run(ctx, s, 0.0, 0, NULL, NULL, NULL), CLEF_OK);
    }
    clef_store_free(s);
    clef_session_free(ss);
    clef_ctx_free(ctx);
    return db[jobs];
}

static void copy_file(const char *from, const char *to) {
    size_t n = 0;
    void *data = test_read_file(from, &n);
    if (data == NULL)
        fail_msg("cannot read %s", from);
    FILE *f = fopen(to, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
    free(data);
}

clef_status oom_open_store_copy(oom_fx *fx, int jobs) {
    static unsigned serial;
    const char *db = store_db(jobs);
    snprintf(fx->path, sizeof fx->path, "%s/copy%u.db", oom_tmpdir(), serial++);
    copy_file(db, fx->path);
    return clef_store_open(&fx->store, fx->ctx, fx->path);
}

clef_status oom_session(oom_fx *fx) { return clef_session_create(&fx->s, fx->ctx, 1); }

clef_status oom_tok_fixture(oom_fx *fx) {
    clef_status rc = oom_session(fx);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_load(&fx->tok, fx->ctx, oom_tok_path());
    return rc == CLEF_OK ? clef_tokenizer_spectrogram_create(&fx->sg, fx->ctx, fx->tok) : rc;
}

/* A BERT of width 8 (2 heads, 1 layer, 16 positions) over a 16-piece vocabulary, in the layout
 * of docs/text-tower.md, written with the weights writer: *vocab gets its vocab.txt. */
const char *oom_text_paths(const char **vocab) {
    static char st[512], voc[512];
    *vocab = voc;
    if (st[0] != '\0')
        return st;
    static const char pieces[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\nnormal\neeg\n##s\nslow\n"
                                 "no\nsharp\nwaves\n,\n.\nalpha\n##ing\n";
    fixture_write_file(oom_tmpdir(), "vocab.txt", pieces);
    tmp_file(voc, sizeof voc, "vocab.txt");
    static const struct {
        const char *name;
        int64_t r, c; /* c 0: a vector */
    } t[] = {{"embeddings.word_embeddings.weight", 16, 8},
             {"embeddings.position_embeddings.weight", 16, 8},
             {"embeddings.token_type_embeddings.weight", 2, 8},
             {"embeddings.LayerNorm.weight", 8, 0},
             {"embeddings.LayerNorm.bias", 8, 0},
             {"encoder.layer.0.attention.self.query.weight", 8, 8},
             {"encoder.layer.0.attention.self.key.weight", 8, 8},
             {"encoder.layer.0.attention.self.value.weight", 8, 8},
             {"encoder.layer.0.attention.self.query.bias", 8, 0},
             {"encoder.layer.0.attention.self.key.bias", 8, 0},
             {"encoder.layer.0.attention.self.value.bias", 8, 0},
             {"encoder.layer.0.attention.output.dense.weight", 8, 8},
             {"encoder.layer.0.attention.output.dense.bias", 8, 0},
             {"encoder.layer.0.attention.output.LayerNorm.weight", 8, 0},
             {"encoder.layer.0.attention.output.LayerNorm.bias", 8, 0},
             {"encoder.layer.0.intermediate.dense.weight", 16, 8},
             {"encoder.layer.0.intermediate.dense.bias", 16, 0},
             {"encoder.layer.0.output.dense.weight", 8, 16},
             {"encoder.layer.0.output.dense.bias", 8, 0},
             {"encoder.layer.0.output.LayerNorm.weight", 8, 0},
             {"encoder.layer.0.output.LayerNorm.bias", 8, 0}};
    clef_ctx *ctx;
    clef_weights_writer *wr;
    static float x[16 * 16];
    for (int i = 0; i < 16 * 16; i++)
        x[i] = 0.05f * (float)((i * 7) % 11) - 0.25f;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(clef_weights_writer_create(&wr, ctx), CLEF_OK);
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        const int64_t shape[2] = {t[i].r, t[i].c};
        int32_t rank = t[i].c ? 2 : 1;
        size_t n = (size_t)t[i].r * (size_t)(t[i].c ? t[i].c : 1);
        assert_int_equal(
            clef_weights_writer_add_f32(wr, t[i].name, CLEF_DTYPE_F32, shape, rank, x, n), CLEF_OK);
    }
    assert_int_equal(clef_weights_writer_write(wr, tmp_file(st, sizeof st, "bert.safetensors")),
                     CLEF_OK);
    clef_weights_writer_free(wr);
    clef_ctx_free(ctx);
    return st;
}
