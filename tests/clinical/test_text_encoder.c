/* test_text_encoder.c — the text tower (docs/text-tower.md): WordPiece on a tiny vocabulary,
 * and parity with sentence-transformers' all-MiniLM-L6-v2 (tools/ref/minilm_ref.py) on the
 * golden texts: token ids exact, embeddings cosine >= 0.9999, in float32 and in BF16 precision
 * (where the CPU has AVX-512 BF16). The parity tests need the
 * weights that tools/install_deps.sh puts in build/minilm (or $CLEF_MINILM_DIR); without them
 * the binary exits 77 (ctest SKIP) after the tests that need no weights pass. */
#include "test_support.h"

#include "clinical/align_int.h"
#include "clinical/text_int.h"
#include "golden_txt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COS_MIN 0.9999

static char st_path[4096], vocab_path[4096];

static int have_minilm(void) {
    const char *dir = getenv("CLEF_MINILM_DIR");
    char def[2048];
    if (dir == NULL || strlen(dir) > 2000) {
        snprintf(def, sizeof def, "%s/build/minilm", CLEF_SOURCE_DIR);
        dir = def;
    }
    snprintf(st_path, sizeof st_path, "%s/model.safetensors", dir);
    snprintf(vocab_path, sizeof vocab_path, "%s/vocab.txt", dir);
    FILE *a = fopen(st_path, "rb"), *b = fopen(vocab_path, "rb");
    int ok = a != NULL && b != NULL;
    if (a)
        fclose(a);
    if (b)
        fclose(b);
    return ok;
}

/* ---- WordPiece on a hand-made vocabulary (no weights needed) ---- */

static const char tiny_vocab[] =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\nun\n##aff\n##able\nhello\n,\n!\ncafe\n"
    "\xe4\xb8\xad\n##s\nworld\r\n";

static void wp(const clefi_vocab *v, const char *text, const int32_t *want, int32_t n_want,
               int32_t cap) {
    int32_t ids[64];
    int32_t n = clefi_wordpiece(v, text, strlen(text), ids, cap);
    assert_int_equal(n, n_want);
    for (int32_t i = 0; i < n; i++)
        assert_int_equal(ids[i], want[i]);
}

static void test_wordpiece_tiny(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clefi_vocab v;
    assert_int_equal(clefi_vocab_parse(&v, ctx, tiny_vocab, strlen(tiny_vocab), &ctx->err),
                     CLEF_OK);
    assert_int_equal((int)v.n, 14);
    assert_int_equal(v.unk, 1);
    assert_int_equal(clefi_vocab_find(&v, "world", 5), 13); /* "\r\n" line end */
    /* greedy longest match, "##" continuations, lower-casing, accents, punctuation */
    wp(&v, "UnAffable, Hello!", (const int32_t[]){2, 4, 5, 6, 8, 7, 9, 3}, 8, 64);
    wp(&v, "Caf\xc3\xa9s", (const int32_t[]){2, 10, 12, 3}, 4, 64);
    /* an unmatched rest makes the whole word [UNK]; CJK splits; controls vanish */
    wp(&v, "unx \xe4\xb8\xad\xe4\xb8\xad\x01hello", (const int32_t[]){2, 1, 11, 11, 7, 3}, 6, 64);
    /* truncation keeps [SEP]; invalid UTF-8 is dropped */
    wp(&v, "hello hello hello", (const int32_t[]){2, 7, 7, 3}, 4, 4);
    wp(&v, "hel\xfflo", (const int32_t[]){2, 7, 3}, 3, 64);
    char longw[160];
    memset(longw, 'a', 101);
    longw[101] = '\0';
    wp(&v, longw, (const int32_t[]){2, 1, 3}, 3, 64);
    clefi_vocab_free(&v, ctx);
    /* a vocabulary without [CLS] is refused */
    assert_int_equal(clefi_vocab_parse(&v, ctx, "[UNK]\n[SEP]\n", 12, &ctx->err), CLEF_ERR_FORMAT);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "[CLS]"));
    clef_ctx_free(ctx);
}

static void test_load_errors(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_text_encoder *te = NULL;
    assert_int_equal(
        clef_text_encoder_load(&te, ctx, "/nonexistent.safetensors", "/nonexistent-vocab.txt", 0),
        CLEF_ERR_NOT_FOUND);
    assert_null(te);
    assert_int_equal(clef_text_encoder_load(&te, ctx, NULL, NULL, 0), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_text_encoder_dim(NULL), 0);
    clef_ctx_free(ctx);
}

/* ---- parity with sentence-transformers ---- */

/* A ctx, a 2-thread session and all-MiniLM-L6-v2 (have_minilm() found it). */
static clef_text_encoder *load_minilm(clef_ctx **ctx, clef_session **s) {
    assert_int_equal(clef_ctx_create(ctx), CLEF_OK);
    assert_int_equal(clef_session_create(s, *ctx, 2), CLEF_OK);
    clef_text_encoder *te = NULL;
    assert_int_equal(clef_text_encoder_load(&te, *ctx, st_path, vocab_path, 0), CLEF_OK);
    return te;
}

/* Every golden text: token ids exact, embedding cosine >= COS_MIN, unit norm; the worst cosine. */
static double check_parity(clef_text_encoder *te, clef_session *s, golden_txt *g) {
    size_t one;
    int n_texts = (int)golden_txt_get(g, "n", &one)[0];
    assert_true(n_texts >= 50);
    double worst = 1.0;
    int saw_cap = 0;
    for (int i = 0; i < n_texts; i++) {
        char key[32];
        size_t nb, nid, ne;
        snprintf(key, sizeof key, "text_%d", i);
        const double *tb = golden_txt_get(g, key, &nb);
        char *text = malloc(nb + 1);
        for (size_t k = 0; k < nb; k++)
            text[k] = (char)(unsigned char)tb[k];
        text[nb] = '\0';
        snprintf(key, sizeof key, "ids_%d", i);
        const double *want = golden_txt_get(g, key, &nid);
        int32_t ids[256];
        size_t n = 0;
        assert_int_equal(clef_text_encoder_tokenize(te, text, ids, 256, &n), CLEF_OK);
        if (n != nid)
            fail_msg("text %d: %zu ids, sentence-transformers %zu", i, n, nid);
        for (size_t k = 0; k < n; k++)
            if (ids[k] != (int32_t)want[k])
                fail_msg("text %d: id %zu is %d, sentence-transformers %d", i, k, (int)ids[k],
                         (int)want[k]);
        saw_cap |= n == 256;
        snprintf(key, sizeof key, "emb_%d", i);
        const double *e = golden_txt_get(g, key, &ne);
        float out[384];
        size_t needed = 0;
        assert_int_equal(clef_text_encoder_embed(te, s, text, out, 384, &needed), CLEF_OK);
        assert_int_equal(needed, 384);
        double dot = 0, na = 0, nb2 = 0;
        for (size_t k = 0; k < ne; k++) {
            dot += out[k] * e[k];
            na += (double)out[k] * out[k];
            nb2 += e[k] * e[k];
        }
        double cosv = dot / sqrt(na * nb2);
        if (cosv < COS_MIN)
            fail_msg("text %d: cosine %.6f < %.4f", i, cosv, COS_MIN);
        assert_true(fabs(na - 1.0) < 1e-4); /* unit norm */
        worst = cosv < worst ? cosv : worst;
        free(text);
    }
    assert_true(saw_cap); /* the long report was truncated at 256 */
    return worst;
}

static void test_minilm_parity(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    clef_session *s = NULL;
    clef_text_encoder *te = load_minilm(&ctx, &s);
    assert_int_equal(clef_text_encoder_dim(te), 384);
    assert_int_equal(clef_text_encoder_max_tokens(te), 256);
    golden_txt *g = golden_txt_load("golden/clinical/minilm.txt");
    printf("text encoder parity: worst cosine %.7f\n", check_parity(te, s, g));
    /* buffers too small */
    int32_t ids[4];
    size_t n = 0;
    assert_int_equal(clef_text_encoder_tokenize(te, "one two three four five", ids, 4, &n),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 7);
    float small[8];
    size_t needed = 0;
    assert_int_equal(clef_text_encoder_embed(te, s, "x", small, 8, &needed),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(needed, 384);
    assert_non_null(strstr(clef_session_errmsg(s), "384"));
    golden_txt_free(g);
    clef_text_encoder_free(te);
    clef_session_free(s);
    clef_ctx_free(ctx);
}

/* BF16 precision: the same golden parity; the same bits on 1 and 3 threads; back to F32 gives
 * F32's bits again. Where the CPU lacks AVX-512 BF16: CLEF_ERR_UNSUPPORTED, te unchanged. */
static void test_minilm_bf16(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    clef_session *s = NULL;
    clef_text_encoder *te = load_minilm(&ctx, &s);
    static const char text[] = "Diffuse excess beta activity, likely medication effect.";
    float f32[384], b1[384], b3[384], again[384];
    assert_int_equal(clef_text_encoder_embed(te, s, text, f32, 384, NULL), CLEF_OK);
    assert_int_equal(clef_text_encoder_set_precision(te, 7), CLEF_ERR_INVALID_ARG);
    assert_non_null(strstr(clef_text_encoder_errmsg(te), "clef_precision"));
    assert_int_equal(clef_text_encoder_set_precision(NULL, CLEF_PRECISION_BF16),
                     CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_text_encoder_precision(NULL), CLEF_PRECISION_F32);
    clef_status rc = clef_text_encoder_set_precision(te, CLEF_PRECISION_BF16);
    if (!clefi_bf16_available()) {
        assert_int_equal(rc, CLEF_ERR_UNSUPPORTED);
        assert_non_null(strstr(clef_text_encoder_errmsg(te), "AVX-512 BF16"));
        assert_int_equal(clef_text_encoder_precision(te), CLEF_PRECISION_F32);
        printf("BF16 precision: not on this CPU (%s)\n", clef_cpu_isa());
    } else {
        assert_int_equal(rc, CLEF_OK);
        assert_int_equal(clef_text_encoder_precision(te), CLEF_PRECISION_BF16);
        golden_txt *g = golden_txt_load("golden/clinical/minilm.txt");
        printf("text encoder parity, BF16: worst cosine %.7f\n", check_parity(te, s, g));
        golden_txt_free(g);
        clef_session *s1 = NULL, *s3 = NULL;
        assert_int_equal(clef_session_create(&s1, ctx, 1), CLEF_OK);
        assert_int_equal(clef_session_create(&s3, ctx, 3), CLEF_OK);
        assert_int_equal(clef_text_encoder_embed(te, s1, text, b1, 384, NULL), CLEF_OK);
        assert_int_equal(clef_text_encoder_embed(te, s3, text, b3, 384, NULL), CLEF_OK);
        assert_memory_equal(b1, b3, sizeof b1);
        assert_memory_not_equal(b1, f32, sizeof b1);
        clef_session_free(s1);
        clef_session_free(s3);
    }
    assert_int_equal(clef_text_encoder_set_precision(te, CLEF_PRECISION_F32), CLEF_OK);
    assert_int_equal(clef_text_encoder_precision(te), CLEF_PRECISION_F32);
    assert_int_equal(clef_text_encoder_embed(te, s, text, again, 384, NULL), CLEF_OK);
    assert_memory_equal(again, f32, sizeof f32);
    clef_text_encoder_free(te);
    clef_session_free(s);
    clef_ctx_free(ctx);
}

/* The aligner's report states (clefi_al_text_states): sentence by sentence, each sentence's
 * states are exactly those of the sentence encoded alone, in order, with their offsets; whole,
 * those of the whole text; an empty text is [CLS] [SEP]. */
static void expect_alone(const clef_text_encoder *te, clef_session *s, const char *text,
                         const float *got) {
    int32_t ids[256];
    int32_t k = clefi_wordpiece(&te->vocab, text, strlen(text), ids, 256);
    float *want = malloc((size_t)k * 384 * sizeof *want);
    assert_non_null(want);
    assert_int_equal(clefi_bert_embed(te, s, ids, k, NULL, want), CLEF_OK);
    assert_memory_equal(got, want, (size_t)k * 384 * sizeof *want);
    free(want);
}

static void test_sentence_states(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    clef_session *s = NULL;
    clef_text_encoder *te = load_minilm(&ctx, &s);
    static const char text[] =
        "No focal slowing. Bursts of 3 Hz spike-and-wave, 1.5 s. Normal EEG.";
    static const char *const parts[] = {"No focal slowing.",
                                        "Bursts of 3 Hz spike-and-wave, 1.5 s.", "Normal EEG."};
    float *st = NULL;
    int32_t n = 0, *off = NULL, n_sent = 0;
    assert_int_equal(clefi_al_text_states(te, s, text, 0, NULL, 256, 1, &st, &n, &off, &n_sent),
                     CLEF_OK);
    assert_int_equal(n_sent, 3);
    assert_int_equal(off[0], 0);
    assert_int_equal(off[3], n);
    for (int k = 0; k < 3; k++)
        expect_alone(te, s, parts[k], st + (size_t)off[k] * 384);
    clefi_free(ctx, st);
    clefi_free(ctx, off);
    assert_int_equal(clefi_al_text_states(te, s, text, 0, NULL, 256, 0, &st, &n, &off, &n_sent),
                     CLEF_OK);
    assert_int_equal(n_sent, 1);
    expect_alone(te, s, text, st);
    clefi_free(ctx, st);
    clefi_free(ctx, off);
    assert_int_equal(clefi_al_text_states(te, s, "  ", 0, NULL, 256, 1, &st, &n, NULL, NULL),
                     CLEF_OK);
    assert_int_equal(n, 2);
    clefi_free(ctx, st);
    clef_text_encoder_free(te);
    clef_session_free(s);
    clef_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest base[] = {
        cmocka_unit_test(test_wordpiece_tiny),
        cmocka_unit_test(test_load_errors),
    };
    int rc = cmocka_run_group_tests(base, NULL, NULL);
    if (rc != 0)
        return rc;
    if (!have_minilm()) {
        printf("SKIP parity: no %s (run tools/install_deps.sh)\n", st_path);
        return 77;
    }
    const struct CMUnitTest parity[] = {cmocka_unit_test(test_minilm_parity),
                                        cmocka_unit_test(test_minilm_bf16),
                                        cmocka_unit_test(test_sentence_states)};
    return cmocka_run_group_tests(parity, NULL, NULL);
}
