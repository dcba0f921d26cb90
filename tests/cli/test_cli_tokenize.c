/* test_cli_tokenize.c — the files of clef train-tokenizer and clef tokenize (written by the
 * cli_tok_* ctest fixtures into CLI_TOK_DIR) checked against the library: the token .npy files
 * equal clef_tokenizer_encode on the same spectrogram, the checkpoints resume at their step,
 * the weights carry the clef.spec.* metadata, the reconstruction PNG has its layout's size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/cli/cli_plot.h"
#include "test_npy.h"
#include "test_support.h"

#include "clef.h"

/* A .npy of 2 dimensions the clef program wrote (layout checked); data malloc'd. */
static void *read_npy(const char *path, char kind, int itemsize, int64_t *r, int64_t *c) {
    test_npy a;
    test_npy_load_cli(path, kind, itemsize, 2, &a);
    *r = a.shape[0];
    *c = a.shape[1];
    return a.data;
}

static const char *out_path(const char *name) {
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", CLI_TOK_DIR, name);
    return buf[k];
}

/* The spectrogram [19][128][*n_frames] of a whole EDF file (malloc'd). */
static float *edf_spectrogram(clef_ctx *ctx, const clef_spectrogram *sg, const char *edf,
                              int64_t *n_frames) {
    clef_recording *rec = NULL;
    assert_int_equal(clef_recording_open(&rec, ctx, edf, NULL), CLEF_OK);
    int64_t n = 0;
    assert_int_equal(clef_recording_canonical_length(rec, 0, -1, &n), CLEF_OK);
    float *x = malloc((size_t)(19 * n) * sizeof *x);
    assert_int_equal(
        clef_recording_read_canonical(rec, 0, -1, x, (size_t)n, (size_t)(19 * n), &n, NULL),
        CLEF_OK);
    clef_recording_free(rec);
    *n_frames = clef_spectrogram_n_frames(sg, n);
    size_t need = (size_t)(19 * 128 * *n_frames);
    float *spec = malloc(need * sizeof *spec);
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 2), CLEF_OK);
    assert_int_equal(clef_spectrogram_compute(sg, ss, x, (size_t)n, 19, n, spec, need, NULL),
                     CLEF_OK);
    clef_session_free(ss);
    free(x);
    return spec;
}

/* The session tokens of an EDF file through the weights file of the library: what clef tokenize
 * must write (2,048 ids). */
static int32_t *weights_tokens(clef_ctx *ctx, const char *weights, const char *edf,
                               int64_t *n_frames) {
    clef_tokenizer *tok = NULL;
    clef_session *ss = NULL;
    assert_int_equal(clef_session_create(&ss, ctx, 2), CLEF_OK);
    /* loaded for whole sessions: the session image */
    assert_int_equal(clef_tokenizer_load(&tok, ctx, out_path(weights)), CLEF_OK);
    int64_t crop_t = 0;
    assert_int_equal(clef_tokenizer_shape(tok, NULL, NULL, &crop_t, NULL, NULL), CLEF_OK);
    assert_int_equal(crop_t, clef_tokenizer_session_frames(tok));
    assert_int_equal(clef_tokenizer_n_tokens(tok), 2048);
    clef_spectrogram *sg = NULL;
    assert_int_equal(clef_spectrogram_create(&sg, ctx, NULL), CLEF_OK);
    assert_int_equal(clef_tokenizer_check_spectrogram(tok, ss, sg), CLEF_OK);
    float *spec = edf_spectrogram(ctx, sg, edf, n_frames);
    int32_t *ids = malloc(2048 * sizeof *ids);
    assert_int_equal(
        clef_tokenizer_encode(tok, ss, spec, 19, 128, *n_frames, ids, 2048, NULL, 0, NULL),
        CLEF_OK);
    free(spec);
    clef_spectrogram_free(sg);
    clef_tokenizer_free(tok);
    clef_session_free(ss);
    return ids;
}

static int32_t *library_tokens(clef_ctx *ctx, const char *edf, int64_t *n_frames) {
    return weights_tokens(ctx, "w6.safetensors", edf, n_frames);
}

static void test_tokens(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    char edf[1024];
    snprintf(edf, sizeof edf, "%s/coh/edf/P000001_S01.edf", CLI_TOK_DIR);
    int64_t r = 0, c = 0, frames = 0;
    uint16_t *u = read_npy(out_path("tokens.npy"), 'u', 2, &r, &c);
    assert_int_equal(r, 8);
    assert_int_equal(c, 256);
    int32_t *ids = library_tokens(ctx, edf, &frames);
    assert_int_equal(frames, 117); /* 120 s: (24000 - 800) / 200 + 1 */
    for (int i = 0; i < 2048; i++)
        if (u[i] != ids[i] || u[i] >= 32)
            fail_msg("synthetic session token %d: file %u, library %d", i, u[i], ids[i]);
    free(u);
    free(ids);
    /* the real recording, int32 */
    int32_t *t = read_npy(out_path("real.npy"), 'i', 4, &r, &c);
    assert_int_equal(r * c, 2048);
    ids = library_tokens(ctx, test_data_path("test_subsecond.edf"), &frames);
    assert_memory_equal(t, ids, 2048 * sizeof *ids);
    free(t);
    free(ids);
    clef_ctx_free(ctx);
}

/* With session-mean tokens: one row of 2,048 ids, the 8 x 255 grid then 8 session-mean ids
 * (after the 32 codes), as the library encodes the 1,275-frame session image. */
static void test_mean_tokens(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    char edf[1024];
    snprintf(edf, sizeof edf, "%s/coh_mean/edf/P000001_S01.edf", CLI_TOK_DIR);
    int64_t r = 0, c = 0, frames = 0;
    uint16_t *u = read_npy(out_path("mean.npy"), 'u', 2, &r, &c);
    assert_int_equal(r, 1);
    assert_int_equal(c, 2048);
    int32_t *ids = weights_tokens(ctx, "wm.safetensors", edf, &frames);
    assert_int_equal(frames, 57); /* 60 s */
    for (int i = 0; i < 2048; i++)
        if (u[i] != ids[i] || (i < 2040 ? u[i] >= 32 : u[i] < 32 || u[i] >= 32 + 1024))
            fail_msg("session token %d: file %u, library %d", i, u[i], ids[i]);
    free(u);
    free(ids);
    clef_ctx_free(ctx);
}

/* clef session-means: each file's row is the library's mean power spectrum of its spectrogram
 * (60 s files: all 57 frames). */
static void test_session_means(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_spectrogram *sg = NULL;
    assert_int_equal(clef_spectrogram_create(&sg, ctx, NULL), CLEF_OK);
    int64_t r = 0, c = 0;
    float *m = read_npy(out_path("means.npy"), 'f', 4, &r, &c);
    assert_int_equal(r, 2);
    assert_int_equal(c, 19 * 128);
    for (int i = 0; i < 2; i++) {
        char edf[1024];
        snprintf(edf, sizeof edf, "%s/coh_mean/edf/P00000%d_S01.edf", CLI_TOK_DIR, i + 1);
        int64_t frames = 0;
        float *spec = edf_spectrogram(ctx, sg, edf, &frames), want[19 * 128];
        assert_int_equal(clef_tokenizer_session_mean(spec, 19, 128, frames, want), CLEF_OK);
        test_assert_close_f32(m + i * 19 * 128, want, 19 * 128, 0.0, 0.0, "session means");
        free(spec);
    }
    free(m);
    clef_spectrogram_free(sg);
    clef_ctx_free(ctx);
}

/* Checkpoints resume at their step; the weights carry the trained-on spectrogram. */
static void test_training_files(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    const char *ck[] = {"w4.safetensors.ckpt", "w6.safetensors.ckpt"};
    for (int i = 0; i < 2; i++) {
        clef_tokenizer_trainer *tr = NULL;
        assert_int_equal(clef_tokenizer_trainer_resume(&tr, ctx, out_path(ck[i]), NULL, 1),
                         CLEF_OK);
        assert_int_equal(clef_tokenizer_trainer_steps(tr), 4 + 2 * i);
        clef_tokenizer_trainer_free(tr);
    }
    clef_weights *w = NULL;
    const char *v = NULL;
    assert_int_equal(clef_weights_open(&w, ctx, out_path("w6.safetensors")), CLEF_OK);
    assert_int_equal(clef_weights_meta_get(w, "clef.spec.channels", &v), CLEF_OK);
    assert_string_equal(v, "Fp1,Fp2,F7,F3,Fz,F4,F8,T7,C3,Cz,C4,T8,P7,P3,Pz,P4,P8,O1,O2");
    assert_int_equal(clef_weights_meta_get(w, "clef.spec.fs", &v), CLEF_OK);
    assert_string_equal(v, "200");
    assert_int_equal(clef_weights_meta_get(w, "clef.tok.crop_t", &v), CLEF_OK);
    assert_string_equal(v, "40");
    assert_int_equal(clef_weights_meta_get(w, "clef.tok.codebook_size", &v), CLEF_OK);
    assert_string_equal(v, "32");
    clef_weights_free(w);
    clef_ctx_free(ctx);
}

/* Session ids and recording paths of the manifest.csv of fixture cohort coh (generated: no
 * quotes, session_id first, path third). Returns the count. */
enum { MAX_SESSIONS = 32 };
static int manifest_sessions(const char *coh, char sid[][64], char path[][1024]) {
    char man[64];
    snprintf(man, sizeof man, "%.40s/manifest.csv", coh);
    FILE *f = fopen(out_path(man), "r");
    assert_non_null(f);
    char line[1024];
    int n = 0;
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f) != NULL && n < MAX_SESSIONS) {
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        char *c3 = c2 ? strchr(c2 + 1, ',') : NULL;
        assert_non_null(c3);
        *c1 = *c3 = '\0';
        assert_true(strlen(line) < 64);
        memcpy(sid[n], line, strlen(line) + 1);
        snprintf(path[n], 1024, "%s/%s/%s", CLI_TOK_DIR, coh, c2 + 1);
        n++;
    }
    fclose(f);
    assert_true(n >= 1);
    return n;
}

/* Every session of the store has exactly one token artifact under the weights' hash, 2,048
 * uint16 equal to tokenizing its file directly, and the job has them all done. */
static void check_store_tokens(clef_ctx *ctx, clef_store *s, const char *coh, const char *hash) {
    char sid[MAX_SESSIONS][64], path[MAX_SESSIONS][1024];
    int n = manifest_sessions(coh, sid, path);
    int64_t count = 0;
    assert_int_equal(clef_store_count(s, CLEF_STORE_ARTIFACTS, &count), CLEF_OK);
    assert_int_equal(count, n);
    char job[80];
    snprintf(job, sizeof job, "tokenize:%s", hash);
    assert_int_equal(clef_store_job_count(s, job, CLEF_JOB_DONE, &count), CLEF_OK);
    assert_int_equal(count, n);
    assert_int_equal(clef_store_job_count(s, job, -1, &count), CLEF_OK);
    assert_int_equal(count, n);
    for (int i = 0; i < n; i++) {
        uint16_t u[2049];
        size_t needed = 0;
        assert_int_equal(
            clef_store_artifact_get(s, sid[i], CLEF_ARTIFACT_TOKENS, hash, u, sizeof u, &needed),
            CLEF_OK);
        assert_int_equal(needed, 2048 * sizeof(uint16_t));
        int64_t frames = 0;
        int32_t *ids = library_tokens(ctx, path[i], &frames);
        for (int k = 0; k < 2048; k++)
            if (u[k] != ids[k])
                fail_msg("%s token %d: store %u, library %d", sid[i], k, u[k], ids[k]);
        free(ids);
    }
}

/* clef tokenize --store (run twice by the fixtures): the artifacts, and a third run through
 * the library adds nothing. */
static void test_store_cli(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    clef_store *s = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *sess1 = NULL, *sess2 = NULL;
    assert_int_equal(clef_session_create(&sess1, ctx, 1), CLEF_OK);
    assert_int_equal(clef_session_create(&sess2, ctx, 2), CLEF_OK);
    assert_int_equal(clef_store_open(&s, ctx, out_path("tok.db")), CLEF_OK);
    char hash[65], hash4[65];
    size_t needed = 0;
    assert_int_equal(
        clef_tokenizer_model_hash(ctx, out_path("w6.safetensors"), hash, sizeof hash, &needed),
        CLEF_OK);
    assert_int_equal(needed, 65);
    assert_int_equal(strlen(hash), 64);
    assert_int_equal(strspn(hash, "0123456789abcdef"), 64);
    assert_int_equal(
        clef_tokenizer_model_hash(ctx, out_path("w4.safetensors"), hash4, sizeof hash4, NULL),
        CLEF_OK);
    assert_string_not_equal(hash, hash4);
    assert_int_equal(clef_tokenizer_model_hash(ctx, out_path("w6.safetensors"), hash4, 64, &needed),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(needed, 65);
    check_store_tokens(ctx, s, "coh", hash);
    int64_t n = -1;
    assert_int_equal(
        clef_tokenizer_job_run(sess2, s, out_path("w6.safetensors"), 0.0, 0, &n, NULL, NULL),
        CLEF_OK);
    assert_int_equal(n, 0);
    check_store_tokens(ctx, s, "coh", hash);
    /* not a weights file; no store */
    assert_int_equal(clef_tokenizer_job_run(sess1, s, test_data_path("test_subsecond.edf"), 0.0, 0,
                                            &n, NULL, NULL),
                     CLEF_ERR_FORMAT);
    assert_int_equal(clef_session_errcode(sess1), CLEF_ERR_FORMAT);
    assert_string_not_equal(clef_session_errmsg(sess1), "");
    assert_int_equal(
        clef_tokenizer_job_run(sess1, NULL, out_path("w6.safetensors"), 0.0, 0, &n, NULL, NULL),
        CLEF_ERR_INVALID_ARG);
    assert_int_equal(
        clef_tokenizer_job_run(sess1, s, out_path("none.safetensors"), 0.0, 0, &n, NULL, NULL),
        CLEF_ERR_IO);
    assert_non_null(strstr(clef_session_errmsg(sess1), "none.safetensors"));
    assert_int_equal(
        clef_tokenizer_job_run(NULL, s, out_path("w6.safetensors"), 0.0, 0, &n, NULL, NULL),
        CLEF_ERR_INVALID_ARG);
    /* a run that succeeds after the failures leaves no error */
    assert_int_equal(
        clef_tokenizer_job_run(sess1, s, out_path("w6.safetensors"), 0.0, 0, &n, NULL, NULL),
        CLEF_OK);
    assert_string_equal(clef_session_errmsg(sess1), "");
    clef_store_free(s);
    clef_session_free(sess1);
    clef_session_free(sess2);
    clef_ctx_free(ctx);
}

static int32_t cancel_after_one(int64_t done, int64_t total, const char *sid, void *user) {
    (void)total;
    (void)sid;
    ++*(int *)user;
    return done >= 1;
}

/* Resume: a worker killed while holding a claim, one item, a cancelled run, then the rest. */
static void test_store_resume(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    clef_store *s = NULL, *dead = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *sess1 = NULL, *sess2 = NULL;
    assert_int_equal(clef_session_create(&sess1, ctx, 1), CLEF_OK);
    assert_int_equal(clef_session_create(&sess2, ctx, 2), CLEF_OK);
    const char *db = out_path("resume.db");
    remove(db);
    assert_int_equal(clef_store_open(&s, ctx, db), CLEF_OK);
    assert_int_equal(clef_store_import_cohort(s, out_path("coh"), NULL, NULL, NULL), CLEF_OK);
    char hash[65], job[80], item[256];
    assert_int_equal(
        clef_tokenizer_model_hash(ctx, out_path("w6.safetensors"), hash, sizeof hash, NULL),
        CLEF_OK);
    snprintf(job, sizeof job, "tokenize:%s", hash);
    /* a worker claims an item and dies (its handle closes without completing) */
    assert_int_equal(clef_store_open(&dead, ctx, db), CLEF_OK);
    assert_int_equal(clef_store_job_add_sessions(dead, job, NULL), CLEF_OK);
    int32_t claimed = 0;
    size_t needed = 0;
    assert_int_equal(clef_store_job_claim(dead, job, item, sizeof item, &needed, &claimed),
                     CLEF_OK);
    assert_int_equal(claimed, 1);
    clef_store_free(dead);
    int64_t n = -1, total = 0, count = 0;
    assert_int_equal(clef_store_job_count(s, job, -1, &total), CLEF_OK);
    /* stale_s < 0 leaves the dead claim: one item, then a cancel after one more */
    assert_int_equal(
        clef_tokenizer_job_run(sess1, s, out_path("w6.safetensors"), -1.0, 1, &n, NULL, NULL),
        CLEF_OK);
    assert_int_equal(n, 1);
    int calls = 0;
    assert_int_equal(clef_tokenizer_job_run(sess1, s, out_path("w6.safetensors"), -1.0, 0, &n,
                                            cancel_after_one, &calls),
                     CLEF_ERR_CANCELLED);
    assert_int_equal(clef_session_errcode(sess1), CLEF_ERR_CANCELLED);
    assert_string_not_equal(clef_session_errmsg(sess1), "");
    assert_int_equal(n, 1);
    assert_int_equal(calls, 1);
    assert_int_equal(clef_store_job_count(s, job, CLEF_JOB_CLAIMED, &count), CLEF_OK);
    assert_int_equal(count, 1); /* the dead worker's */
    /* the restart requeues the dead claim and finishes the rest, each once */
    assert_int_equal(
        clef_tokenizer_job_run(sess2, s, out_path("w6.safetensors"), 0.0, 0, &n, NULL, NULL),
        CLEF_OK);
    assert_int_equal(n, total - 2);
    check_store_tokens(ctx, s, "coh", hash);
    clef_store_free(s);
    clef_session_free(sess1);
    clef_session_free(sess2);
    clef_ctx_free(ctx);
}

/* Out of memory anywhere in a job run (one session) leaves no block behind; the store (with
 * its own ctx) holds the claims a failed run leaves, which the next run requeues. */
static clef_status oom_job(clef_ctx *ctx, void *arg) {
    clef_session *sess = NULL;
    clef_status rc = clef_session_create(&sess, ctx, 1);
    if (rc == CLEF_OK)
        rc =
            clef_tokenizer_job_run(sess, arg, out_path("w6.safetensors"), 0.0, 1, NULL, NULL, NULL);
    clef_session_free(sess);
    return rc;
}

static void test_store_oom(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    clef_store *s = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    const char *db = out_path("oom.db");
    remove(db);
    assert_int_equal(clef_store_open(&s, ctx, db), CLEF_OK);
    assert_int_equal(clef_store_import_cohort(s, out_path("coh"), NULL, NULL, NULL), CLEF_OK);
    assert_true(test_oom_sweep(oom_job, s, 0) > 0);
    int64_t count = 0;
    assert_int_equal(clef_store_count(s, CLEF_STORE_ARTIFACTS, &count), CLEF_OK);
    assert_int_equal(count, 1);
    clef_store_free(s);
    clef_ctx_free(ctx);
}

/* Largest single block requested through the ctx allocator. */
typedef struct peak_alloc {
    size_t largest;
} peak_alloc;
static void *peak_malloc(size_t n, void *user) {
    peak_alloc *p = user;
    p->largest = n > p->largest ? n : p->largest;
    return malloc(n);
}
static void *peak_realloc(void *ptr, size_t n, void *user) {
    peak_alloc *p = user;
    p->largest = n > p->largest ? n : p->largest;
    return realloc(ptr, n);
}
static void peak_free(void *ptr, void *user) {
    (void)user;
    free(ptr);
}

/* A 40-minute recording: the job reads only what the 1,280-frame session image covers (plus
 * its margin), so no block holds the whole 40 minutes, and its tokens equal those of the
 * whole-file read. */
static void test_store_long(void **state) {
    (void)state;
    clef_ctx *ctx = NULL, *counted = NULL;
    clef_store *s = NULL;
    peak_alloc peak = {0};
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(
        clef_ctx_create_with_allocator(&counted, peak_malloc, peak_realloc, peak_free, &peak),
        CLEF_OK);
    const char *db = out_path("long.db");
    remove(db);
    assert_int_equal(clef_store_open(&s, ctx, db), CLEF_OK);
    assert_int_equal(clef_store_import_cohort(s, out_path("coh_long"), NULL, NULL, NULL), CLEF_OK);
    char hash[65];
    assert_int_equal(
        clef_tokenizer_model_hash(ctx, out_path("w6.safetensors"), hash, sizeof hash, NULL),
        CLEF_OK);
    int64_t n = 0;
    clef_session *sc = NULL;
    assert_int_equal(clef_session_create(&sc, counted, 1), CLEF_OK);
    assert_int_equal(
        clef_tokenizer_job_run(sc, s, out_path("w6.safetensors"), 0.0, 0, &n, NULL, NULL), CLEF_OK);
    assert_int_equal(n, 1);
    check_store_tokens(ctx, s, "coh_long", hash);
    size_t whole = (size_t)19 * 200 * 2400 * sizeof(float), image = (size_t)19 * 200 * 1286 * 4;
    print_message("largest block %zu bytes; the 40-minute signal is %zu\n", peak.largest, whole);
    assert_true(peak.largest <= image);
    clef_session_free(sc);
    clef_store_free(s);
    clef_ctx_free(counted);
    clef_ctx_free(ctx);
}

/* clef train-tokenizer --store DB reads the same train-split sessions, in the same order, as
 * from the cohort directory, so two steps give the same weights file byte for byte. */
static void test_train_from_store(void **state) {
    (void)state;
    size_t na = 0, nb = 0;
    unsigned char *a = test_read_file(out_path("w_dir.safetensors"), &na);
    unsigned char *b = test_read_file(out_path("w_store.safetensors"), &nb);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
}

/* PNG signature and IHDR: 117 frames drawn 3 pixels wide, two panels, 19 bands of 128 rows,
 * 8-bit palette. */
static void test_png(void **state) {
    (void)state;
    FILE *f = fopen(out_path("recon.png"), "rb");
    assert_non_null(f);
    unsigned char b[26];
    assert_int_equal(fread(b, 1, 26, f), 26);
    fclose(f);
    assert_memory_equal(b, "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
    uint32_t w = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
    uint32_t h = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
    assert_int_equal(w, CLI_FIG_LEFT + 2 * 117 * 3 + CLI_FIG_PANEL_GAP + CLI_FIG_RIGHT);
    assert_int_equal(h, CLI_FIG_TOP + 19 * (128 + 2) - 2 + CLI_FIG_BOTTOM);
    assert_true(b[24] == 8 && b[25] == 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens),           cmocka_unit_test(test_training_files),
        cmocka_unit_test(test_mean_tokens),      cmocka_unit_test(test_png),
        cmocka_unit_test(test_store_cli),        cmocka_unit_test(test_store_resume),
        cmocka_unit_test(test_store_oom),        cmocka_unit_test(test_store_long),
        cmocka_unit_test(test_train_from_store), cmocka_unit_test(test_session_means),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
