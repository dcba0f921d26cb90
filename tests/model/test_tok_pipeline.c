/* test_tok_pipeline.c — the tokenizer training pipeline (clef_tokenizer_trainer_add_cohort /
 * _add_store / _add_means / _run): driven through the library with the settings of a
 * `clef train-tokenizer` run of the cli_tok_* fixtures (files in CLI_TOK_DIR), it writes the
 * same weights file byte for byte; and each entry point's failures give a specific status and
 * a message naming the cause. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test_support.h"

#include "clef.h"

static const char *out_path(const char *name) {
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", CLI_TOK_DIR, name);
    return buf[k];
}

/* The fixtures' tiny architecture and settings (tests/model/CMakeLists.txt _tiny), steps,
 * mean_tokens, channel dropout and lone shares, power weight. */
typedef struct run_cfg {
    int64_t steps, mean_tokens;
    double dropout, lone, power_weight;
} run_cfg;

static clef_tokenizer_trainer *tiny_trainer(clef_ctx *ctx, const run_cfg *r) {
    clef_params *a = NULL, *t = NULL;
    assert_int_equal(clef_params_create(&a, ctx, CLEF_PARAMS_TOKENIZER), CLEF_OK);
    assert_int_equal(clef_params_create(&t, ctx, CLEF_PARAMS_TRAIN), CLEF_OK);
    const struct {
        clef_params *p;
        int32_t key;
        int64_t v;
    } ints[] = {{a, CLEF_P_TOK_CROP_T, 40},
                {a, CLEF_P_TOK_CH, 8},
                {a, CLEF_P_TOK_CODEBOOK_SIZE, 32},
                {a, CLEF_P_TOK_CODE_DIM, 4},
                {a, CLEF_P_TOK_GN_GROUPS, 4},
                {t, CLEF_P_TOK_TRAIN_BATCH, 2},
                {t, CLEF_P_TOK_TRAIN_DISC_NDF, 4},
                {t, CLEF_P_TOK_TRAIN_DISC_START, 3},
                {t, CLEF_P_TOK_TRAIN_CHECKPOINT_EVERY, 2},
                {t, CLEF_P_TOK_TRAIN_STEPS, r->steps},
                {t, CLEF_P_TOK_TRAIN_MEAN_TOKENS, r->mean_tokens}};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        assert_int_equal(clef_params_set_i64(ints[i].p, ints[i].key, ints[i].v), CLEF_OK);
    assert_int_equal(clef_params_set_str(a, CLEF_P_TOK_CH_MULT, "1,1,1,1"), CLEF_OK);
    assert_int_equal(clef_params_set_f64(t, CLEF_P_TOK_TRAIN_CHANNEL_DROPOUT, r->dropout), CLEF_OK);
    assert_int_equal(clef_params_set_f64(t, CLEF_P_TOK_TRAIN_CHANNEL_LONE, r->lone), CLEF_OK);
    assert_int_equal(clef_params_set_f64(t, CLEF_P_TOK_TRAIN_POWER_WEIGHT, r->power_weight),
                     CLEF_OK);
    clef_tokenizer_trainer *tr = NULL;
    assert_int_equal(clef_tokenizer_trainer_create(&tr, ctx, a, t, 1), CLEF_OK);
    clef_params_free(a);
    clef_params_free(t);
    return tr;
}

static int32_t count_steps(int64_t step, int64_t total, double l1, double ppl, double pw,
                           void *user) {
    int64_t *n = user;
    assert_true(step >= 1 && step <= total && isfinite(l1) && ppl >= 1.0 && pw >= 0.0);
    (*n)++;
    return 0;
}

/* Train with the library and save; the file must equal the CLI's byte for byte. */
static void check_same(clef_ctx *ctx, clef_tokenizer_trainer *tr, const char *cli_file,
                       int64_t steps) {
    int64_t calls = 0, n = 0, frames = 0;
    assert_int_equal(clef_tokenizer_trainer_run(tr, out_path("lib.ckpt"), count_steps, &calls),
                     CLEF_OK);
    assert_int_equal(calls, steps);
    assert_int_equal(clef_tokenizer_trainer_steps(tr), steps);
    assert_int_equal(clef_tokenizer_trainer_sessions(tr, &n, &frames), CLEF_OK);
    assert_true(n >= 1 && frames >= 40 * n);
    const char *lib_file = out_path("lib.safetensors");
    assert_int_equal(clef_tokenizer_save(clef_tokenizer_trainer_tokenizer(tr), ctx, lib_file),
                     CLEF_OK);
    size_t na = 0, nb = 0;
    unsigned char *a = test_read_file(out_path(cli_file), &na);
    unsigned char *b = test_read_file(lib_file, &nb);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
}

/* clef train-tokenizer COH --steps 2 --power-weight 0.5 (cli_tok_train_dir). */
static void test_same_as_cli_dir(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    run_cfg r = {.steps = 2, .power_weight = 0.5};
    clef_tokenizer_trainer *tr = tiny_trainer(ctx, &r);
    assert_int_equal(clef_tokenizer_trainer_add_cohort(tr, out_path("coh"), "train"), CLEF_OK);
    assert_string_equal(clef_tokenizer_trainer_errmsg(tr), "");
    check_same(ctx, tr, "w_dir.safetensors", 2);
    clef_tokenizer_trainer_free(tr);
    clef_ctx_free(ctx);
}

/* clef train-tokenizer --store DB (cli_tok_train_store). */
static void test_same_as_cli_store(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    clef_store *s = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(clef_store_open(&s, ctx, out_path("tok.db")), CLEF_OK);
    run_cfg r = {.steps = 2, .power_weight = 0.5};
    clef_tokenizer_trainer *tr = tiny_trainer(ctx, &r);
    assert_int_equal(clef_tokenizer_trainer_add_store(tr, s, "train"), CLEF_OK);
    check_same(ctx, tr, "w_store.safetensors", 2);
    clef_tokenizer_trainer_free(tr);
    clef_store_free(s);
    clef_ctx_free(ctx);
}

/* Session-mean tokens fitted, calibrated (cli_tok_mean_train: --mean-tokens 8), and every crop
 * dropped to one channel (cli_tok_train_lone: --channel-dropout 1 --channel-lone 1). */
static void test_same_as_cli_mean_lone(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    run_cfg r = {.steps = 2, .mean_tokens = 8};
    clef_tokenizer_trainer *tr = tiny_trainer(ctx, &r);
    assert_int_equal(clef_tokenizer_trainer_add_cohort(tr, out_path("coh_mean"), "train"), CLEF_OK);
    check_same(ctx, tr, "wm.safetensors", 2);
    int64_t n_mean = 0;
    clef_tokenizer_mean_tokens(clef_tokenizer_trainer_tokenizer(tr), &n_mean, NULL);
    assert_int_equal(n_mean, 8);
    clef_tokenizer_trainer_free(tr);
    run_cfg lone = {.steps = 2, .dropout = 1.0, .lone = 1.0};
    tr = tiny_trainer(ctx, &lone);
    assert_int_equal(clef_tokenizer_trainer_add_cohort(tr, out_path("coh"), "train"), CLEF_OK);
    check_same(ctx, tr, "w_lone.safetensors", 2);
    clef_tokenizer_trainer_free(tr);
    clef_ctx_free(ctx);
}

/* A failure: status rc and a message holding want. */
static void expect(clef_status got, clef_status rc, const clef_tokenizer_trainer *tr,
                   const char *want) {
    assert_int_equal(got, rc);
    const char *msg = clef_tokenizer_trainer_errmsg(tr);
    if (strstr(msg, want) == NULL)
        fail_msg("message '%s' does not name '%s'", msg, want);
}

static int32_t stop_at_1(int64_t step, int64_t total, double l1, double ppl, double pw,
                         void *user) {
    (void)total, (void)l1, (void)ppl, (void)pw, (void)user;
    return step >= 1;
}

static void test_errors(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    run_cfg r = {.steps = 3};
    clef_tokenizer_trainer *tr = tiny_trainer(ctx, &r);
    int64_t n = -1;
    /* no data yet */
    expect(clef_tokenizer_trainer_run(tr, NULL, NULL, NULL), CLEF_ERR_STATE, tr,
           "no training sessions");
    /* not a cohort directory; a split without sessions; NULL arguments */
    expect(clef_tokenizer_trainer_add_cohort(tr, CLEF_TEST_DATA_DIR, "train"), CLEF_ERR_IO, tr,
           "splits.csv");
    expect(clef_tokenizer_trainer_add_cohort(tr, out_path("coh"), "none"), CLEF_ERR_NOT_FOUND, tr,
           "split 'none'");
    expect(clef_tokenizer_trainer_add_cohort(tr, NULL, "train"), CLEF_ERR_INVALID_ARG, tr, "NULL");
    assert_int_equal(clef_tokenizer_trainer_sessions(tr, &n, NULL), CLEF_OK);
    assert_int_equal(n, 0);
    /* a store's splits are named */
    clef_store *s = NULL;
    assert_int_equal(clef_store_open(&s, ctx, out_path("tok.db")), CLEF_OK);
    expect(clef_tokenizer_trainer_add_store(tr, s, "validation"), CLEF_ERR_INVALID_ARG, tr,
           "'validation'");
    clef_store_free(s);
    /* extra means: NULL, non-finite; then refused without session-mean tokens */
    float *m = calloc(19 * 128, sizeof *m);
    expect(clef_tokenizer_trainer_add_means(tr, NULL, 1), CLEF_ERR_INVALID_ARG, tr, "NULL");
    m[7] = NAN;
    expect(clef_tokenizer_trainer_add_means(tr, m, 1), CLEF_ERR_INVALID_ARG, tr, "non-finite");
    m[7] = -3.0f;
    assert_int_equal(clef_tokenizer_trainer_add_means(tr, m, 1), CLEF_OK);
    assert_int_equal(clef_tokenizer_trainer_add_cohort(tr, out_path("coh"), "train"), CLEF_OK);
    expect(clef_tokenizer_trainer_run(tr, NULL, NULL, NULL), CLEF_ERR_STATE, tr,
           "no session-mean tokens");
    clef_tokenizer_trainer_free(tr);
    /* more session-mean tokens than the sessions carry */
    run_cfg many = {.steps = 1, .mean_tokens = 12};
    tr = tiny_trainer(ctx, &many);
    assert_int_equal(clef_tokenizer_trainer_add_cohort(tr, out_path("coh"), "train"), CLEF_OK);
    expect(clef_tokenizer_trainer_run(tr, NULL, NULL, NULL), CLEF_ERR_RANGE, tr,
           "train.mean_tokens 12");
    assert_int_equal(clef_tokenizer_trainer_steps(tr), 0);
    clef_tokenizer_trainer_free(tr);
    /* a progress callback stops the run; the trainer stays usable and goes on */
    tr = tiny_trainer(ctx, &r);
    assert_int_equal(clef_tokenizer_trainer_add_cohort(tr, out_path("coh"), "train"), CLEF_OK);
    expect(clef_tokenizer_trainer_run(tr, NULL, stop_at_1, NULL), CLEF_ERR_CANCELLED, tr, "step 1");
    assert_int_equal(clef_tokenizer_trainer_steps(tr), 1);
    assert_int_equal(clef_tokenizer_trainer_run(tr, NULL, NULL, NULL), CLEF_OK);
    assert_int_equal(clef_tokenizer_trainer_steps(tr), 3);
    clef_tokenizer_trainer_free(tr);
    /* a tokenizer that does not take the 19 canonical channels */
    clef_params *a = NULL;
    assert_int_equal(clef_params_create(&a, ctx, CLEF_PARAMS_TOKENIZER), CLEF_OK);
    assert_int_equal(clef_params_set_i64(a, CLEF_P_TOK_IN_CHANNELS, 2), CLEF_OK);
    assert_int_equal(clef_params_set_i64(a, CLEF_P_TOK_CROP_T, 40), CLEF_OK);
    assert_int_equal(clef_tokenizer_trainer_create(&tr, ctx, a, NULL, 1), CLEF_OK);
    expect(clef_tokenizer_trainer_add_cohort(tr, out_path("coh"), "train"), CLEF_ERR_SHAPE, tr,
           "2 channels");
    clef_tokenizer_trainer_free(tr);
    clef_params_free(a);
    /* settings out of range are refused by the params */
    clef_params *t = NULL;
    assert_int_equal(clef_params_create(&t, ctx, CLEF_PARAMS_TRAIN), CLEF_OK);
    assert_int_equal(clef_params_set_f64(t, CLEF_P_TOK_TRAIN_CHANNEL_LONE, 1.5), CLEF_ERR_RANGE);
    assert_int_equal(clef_params_set_i64(t, CLEF_P_TOK_TRAIN_CHECKPOINT_EVERY, 0), CLEF_ERR_RANGE);
    clef_params_free(t);
    free(m);
    clef_ctx_free(ctx);
}

/* A cohort directory whose CSV files are malformed. */
static void test_bad_csv(void **state) {
    (void)state;
    const char *dir = out_path("coh_bad");
    mkdir(dir, 0755);
    char path[1100];
    snprintf(path, sizeof path, "%s/splits.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("subject_id,split\nP1,train\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/manifest.csv", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("subject_id,file\nP1,x.edf\n", f);
    fclose(f);
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    run_cfg r = {.steps = 1};
    clef_tokenizer_trainer *tr = tiny_trainer(ctx, &r);
    expect(clef_tokenizer_trainer_add_cohort(tr, dir, "train"), CLEF_ERR_FORMAT, tr,
           "no column 'path'");
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("subject_id,path\nP1\n", f);
    fclose(f);
    expect(clef_tokenizer_trainer_add_cohort(tr, dir, "train"), CLEF_ERR_FORMAT, tr,
           "line 2 has 1 fields");
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("subject_id,path\n\"P1\",\"missing.edf\"\n", f);
    fclose(f);
    expect(clef_tokenizer_trainer_add_cohort(tr, dir, "train"), CLEF_ERR_IO, tr, "missing.edf");
    clef_tokenizer_trainer_free(tr);
    clef_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_cli_dir),
        cmocka_unit_test(test_same_as_cli_store),
        cmocka_unit_test(test_same_as_cli_mean_lone),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_bad_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
