/* test_errors.c — the one error rule (docs/C-STYLE.md rule 4), table-driven over the public API:
 * for each handle that keeps an error, a call that must fail leaves its status and a current,
 * non-empty message naming the cause in the documented place (_errmsg and _errcode agree); a
 * call that succeeds next on the same handle leaves no message (every entry point resets it).
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every handle the rows use, made once. */
typedef struct fx {
    clef_ctx *ctx;
    clef_session *s;
    clef_params *p;
    clef_recording *rec;
    clef_stream *in;
    clef_spectrogram *sg;
    clef_spectrogram_stream *st;
    clef_weights *w;
    clef_weights_writer *wr;
    clef_edf_writer *ew;
    clef_probe *probe;
    clef_eval *ev;
    clef_store *store;
    clef_tokenizer_trainer *tr;
    char dir[64];
    float x[19 * 1000];
} fx;

typedef struct row {
    const char *what;
    clef_status (*provoke)(fx *f); /* must fail with want */
    clef_status want;              /* expected status */
    const char *needle;            /* in the message */
    clef_status (*succeed)(fx *f); /* then succeeds on the same handle */
    const char *(*msg)(const fx *f);
    clef_status (*code)(const fx *f);
} row;

/* ---- ctx: constructors ---- */
static clef_status ctx_fail(fx *f) {
    clef_recording *r = NULL;
    return clef_recording_open(&r, f->ctx, "/nonexistent/eeg.edf", NULL);
}
static clef_status ctx_ok(fx *f) {
    clef_spectrogram *sg = NULL;
    clef_status rc = clef_spectrogram_create(&sg, f->ctx, NULL);
    clef_spectrogram_free(sg);
    return rc;
}
static const char *ctx_msg(const fx *f) { return clef_ctx_errmsg(f->ctx); }
static clef_status ctx_code(const fx *f) { return clef_ctx_errcode(f->ctx); }

/* ---- session: compute calls ---- */
static clef_status sess_fail(fx *f) {
    float out[1];
    return clef_spectrogram_compute(f->sg, f->s, f->x, 100, 19, 100, out, 1, NULL);
}
static clef_status sess_ok(fx *f) {
    static float out[19 * 128];
    return clef_spectrogram_compute(f->sg, f->s, f->x, 1000, 19, 800, out, 19 * 128, NULL);
}
static const char *sess_msg(const fx *f) { return clef_session_errmsg(f->s); }
static clef_status sess_code(const fx *f) { return clef_session_errcode(f->s); }

/* ---- params ---- */
static clef_status params_fail(fx *f) { return clef_params_set_f64(f->p, CLEF_P_SPEC_FS, -5.0); }
static clef_status params_ok(fx *f) { return clef_params_set_f64(f->p, CLEF_P_SPEC_FS, 250.0); }
static const char *params_msg(const fx *f) { return clef_params_errmsg(f->p); }
static clef_status params_code(const fx *f) { return clef_params_errcode(f->p); }

/* ---- recording ---- */
static clef_status rec_fail(fx *f) {
    int64_t n = 0;
    return clef_recording_canonical_length(f->rec, 1e6, 1.0, &n);
}
static clef_status rec_ok(fx *f) {
    int64_t n = 0;
    return clef_recording_canonical_length(f->rec, 0.0, 1.0, &n);
}
static const char *rec_msg(const fx *f) { return clef_recording_errmsg(f->rec); }
static clef_status rec_code(const fx *f) { return clef_recording_errcode(f->rec); }

/* ---- io stream ---- */
static clef_status in_fail(fx *f) {
    const int64_t counts[1] = {10};
    return clef_stream_push_planar(f->in, NULL, 10, counts);
}
static clef_status in_ok(fx *f) {
    const int64_t counts[1] = {10};
    return clef_stream_push_planar(f->in, f->x, 10, counts);
}
static const char *in_msg(const fx *f) { return clef_stream_errmsg(f->in); }
static clef_status in_code(const fx *f) { return clef_stream_errcode(f->in); }

/* ---- spectrogram stream ---- */
static clef_status st_fail(fx *f) {
    float bad[2] = {1.0f, NAN}, out[1];
    int64_t n = 0;
    return clef_spectrogram_stream_push(f->st, bad, 2, 2, out, 0, NULL, &n);
}
static clef_status st_ok(fx *f) {
    int64_t n = 0;
    return clef_spectrogram_stream_push(f->st, f->x, 10, 10, NULL, 0, NULL, &n);
}
static const char *st_msg(const fx *f) { return clef_spectrogram_stream_errmsg(f->st); }
static clef_status st_code(const fx *f) { return clef_spectrogram_stream_errcode(f->st); }

/* ---- weights (reader) ---- */
static clef_status w_fail(fx *f) {
    float v[1];
    return clef_weights_read_f32(f->w, "no.such.tensor", v, 1, NULL);
}
static clef_status w_ok(fx *f) {
    const char *v = NULL;
    return clef_weights_meta_get(f->w, "clef.tok.arch", &v);
}
static const char *w_msg(const fx *f) { return clef_weights_errmsg(f->w); }
static clef_status w_code(const fx *f) { return clef_weights_errcode(f->w); }

/* ---- weights writer ---- */
static clef_status wr_fail(fx *f) { return clef_weights_writer_set_meta(f->wr, "", "x"); }
static clef_status wr_ok(fx *f) { return clef_weights_writer_set_meta(f->wr, "k", "v"); }
static const char *wr_msg(const fx *f) { return clef_weights_writer_errmsg(f->wr); }
static clef_status wr_code(const fx *f) { return clef_weights_writer_errcode(f->wr); }

/* ---- EDF writer ---- */
static clef_status ew_fail(fx *f) {
    return clef_edf_writer_add_signal(f->ew, "Fp1", "uV", -1.0, -100, 100, -32768, 32767, "", "",
                                      NULL);
}
static clef_status ew_ok(fx *f) {
    return clef_edf_writer_add_signal(f->ew, "Fp1", "uV", 200.0, -100, 100, -32768, 32767, "", "",
                                      NULL);
}
static const char *ew_msg(const fx *f) { return clef_edf_writer_errmsg(f->ew); }
static clef_status ew_code(const fx *f) { return clef_edf_writer_errcode(f->ew); }

/* ---- probe ---- */
static clef_status probe_fail(fx *f) {
    double x[3] = {0, 0, 0}, p[1];
    return clef_probe_predict(f->probe, x, 1, 3, p);
}
static clef_status probe_ok(fx *f) {
    double x[2] = {0.5, -0.5}, p[1];
    return clef_probe_predict(f->probe, x, 1, 2, p);
}
static const char *probe_msg(const fx *f) { return clef_probe_errmsg(f->probe); }
static clef_status probe_code(const fx *f) { return clef_probe_errcode(f->probe); }

/* ---- eval ---- */
static clef_status ev_fail(fx *f) {
    const double c[1] = {-1.0};
    return clef_eval_set_c_grid(f->ev, c, 1);
}
static clef_status ev_ok(fx *f) {
    const double c[2] = {0.1, 1.0};
    return clef_eval_set_c_grid(f->ev, c, 2);
}
static const char *ev_msg(const fx *f) { return clef_eval_errmsg(f->ev); }
static clef_status ev_code(const fx *f) { return clef_eval_errcode(f->ev); }

/* ---- store ---- */
static clef_status store_fail(fx *f) {
    int64_t n = 0;
    return clef_store_count(f->store, 999, &n);
}
static clef_status store_ok(fx *f) {
    int64_t n = 0;
    return clef_store_count(f->store, CLEF_STORE_PATIENTS, &n);
}
static const char *store_msg(const fx *f) { return clef_store_errmsg(f->store); }
static clef_status store_code(const fx *f) { return clef_store_errcode(f->store); }

/* ---- tokenizer trainer ---- */
static clef_status tr_fail(fx *f) {
    return clef_tokenizer_trainer_calibrate_mean(f->tr, NULL, 19, 128, 0, 1);
}
static clef_status tr_ok(fx *f) { return clef_tokenizer_trainer_set_spectrogram(f->tr, f->sg); }
static const char *tr_msg(const fx *f) { return clef_tokenizer_trainer_errmsg(f->tr); }
static clef_status tr_code(const fx *f) { return clef_tokenizer_trainer_errcode(f->tr); }

static const row k_rows[] = {
    {"ctx: open a missing file", ctx_fail, CLEF_ERR_IO, "/nonexistent/eeg.edf", ctx_ok, ctx_msg,
     ctx_code},
    {"session: input shorter than a window", sess_fail, CLEF_ERR_SHAPE,
     "100 samples is shorter than one window (800)", sess_ok, sess_msg, sess_code},
    {"params: out of range", params_fail, CLEF_ERR_RANGE, "spec.fs", params_ok, params_msg,
     params_code},
    {"recording: start past the end", rec_fail, CLEF_ERR_RANGE, "1e+06", rec_ok, rec_msg, rec_code},
    {"stream: NULL samples", in_fail, CLEF_ERR_INVALID_ARG, "NULL", in_ok, in_msg, in_code},
    {"spectrogram stream: NaN sample", st_fail, CLEF_ERR_FORMAT, "nan", st_ok, st_msg, st_code},
    {"weights: unknown tensor", w_fail, CLEF_ERR_NOT_FOUND, "no.such.tensor", w_ok, w_msg, w_code},
    {"weights writer: empty key", wr_fail, CLEF_ERR_INVALID_ARG, "key", wr_ok, wr_msg, wr_code},
    {"EDF writer: negative rate", ew_fail, CLEF_ERR_INVALID_ARG, "-1 Hz", ew_ok, ew_msg, ew_code},
    {"probe: wrong width", probe_fail, CLEF_ERR_SHAPE, "3 features", probe_ok, probe_msg,
     probe_code},
    {"eval: C <= 0", ev_fail, CLEF_ERR_RANGE, "C[0] = -1", ev_ok, ev_msg, ev_code},
    {"store: unknown table", store_fail, CLEF_ERR_INVALID_ARG, "999", store_ok, store_msg,
     store_code},
    {"trainer: calibrate without mean tokens", tr_fail, CLEF_ERR_STATE, "session-mean", tr_ok,
     tr_msg, tr_code},
};

static int setup(void **state) {
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    for (size_t i = 0; i < sizeof f->x / sizeof f->x[0]; i++)
        f->x[i] = (float)sin(0.1 * (double)i);
    assert_int_equal(clef_ctx_create(&f->ctx), CLEF_OK);
    assert_int_equal(clef_session_create(&f->s, f->ctx, 2), CLEF_OK);
    assert_int_equal(clef_params_create(&f->p, f->ctx, CLEF_PARAMS_SPEC), CLEF_OK);
    assert_int_equal(clef_spectrogram_create(&f->sg, f->ctx, NULL), CLEF_OK);
    assert_int_equal(clef_spectrogram_stream_create(&f->st, f->s, f->sg, 1), CLEF_OK);
    assert_int_equal(
        clef_recording_open(&f->rec, f->ctx, test_data_path("test_subsecond.edf"), NULL), CLEF_OK);
    const char *label[1] = {"Fp1"}, *unit[1] = {"uV"};
    const double rate[1] = {200.0};
    assert_int_equal(clef_stream_create(&f->in, f->ctx, 1, label, rate, unit, NULL), CLEF_OK);
    assert_int_equal(clef_weights_open(&f->w, f->ctx,
                                       test_data_path("golden/model/tok_tiny_weights.safetensors")),
                     CLEF_OK);
    assert_int_equal(clef_weights_writer_create(&f->wr, f->ctx), CLEF_OK);
    snprintf(f->dir, sizeof f->dir, "/tmp/clef_errors_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char path[128];
    snprintf(path, sizeof path, "%s/w.edf", f->dir);
    assert_int_equal(clef_edf_writer_create(&f->ew, f->ctx, path, CLEF_EDF_FORMAT_EDFPLUS),
                     CLEF_OK);
    const double x[8] = {0, 1, 1, 0, 2, 1, -1, -2};
    const int32_t y[4] = {0, 1, 1, 0};
    assert_int_equal(clef_probe_fit(&f->probe, f->ctx, x, y, 4, 2, 1.0), CLEF_OK);
    assert_int_equal(clef_eval_create(&f->ev, f->ctx), CLEF_OK);
    snprintf(path, sizeof path, "%s/store.db", f->dir);
    assert_int_equal(clef_store_open(&f->store, f->ctx, path), CLEF_OK);
    clef_params *arch = NULL;
    assert_int_equal(clef_params_create(&arch, f->ctx, CLEF_PARAMS_TOKENIZER), CLEF_OK);
    assert_int_equal(clef_params_set_i64(arch, CLEF_P_TOK_CROP_T, 40), CLEF_OK);
    assert_int_equal(clef_params_set_i64(arch, CLEF_P_TOK_CH, 8), CLEF_OK);
    assert_int_equal(clef_params_set_i64(arch, CLEF_P_TOK_CODEBOOK_SIZE, 16), CLEF_OK);
    assert_int_equal(clef_tokenizer_trainer_create(&f->tr, f->ctx, arch, NULL, 1), CLEF_OK);
    clef_params_free(arch);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    char cmd[128];
    clef_tokenizer_trainer_free(f->tr);
    clef_store_free(f->store);
    clef_eval_free(f->ev);
    clef_probe_free(f->probe);
    clef_edf_writer_free(f->ew);
    clef_weights_writer_free(f->wr);
    clef_weights_free(f->w);
    clef_stream_free(f->in);
    clef_recording_free(f->rec);
    clef_spectrogram_stream_free(f->st);
    clef_spectrogram_free(f->sg);
    clef_params_free(f->p);
    clef_session_free(f->s);
    clef_ctx_free(f->ctx);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", f->dir);
    free(f);
    return 0;
}

static void test_error_rule(void **state) {
    fx *f = *state;
    int bad = 0;
    for (size_t i = 0; i < sizeof k_rows / sizeof k_rows[0]; i++) {
        const row *r = &k_rows[i];
        clef_status rc = r->provoke(f);
        const char *m = r->msg(f);
        if (rc != r->want || r->code(f) != rc || m[0] == '\0' || strstr(m, r->needle) == NULL) {
            fprintf(stderr, "%s: status %d (want %d), errcode %d, message \"%s\" (want \"%s\")\n",
                    r->what, (int)rc, (int)r->want, (int)r->code(f), m, r->needle);
            bad++;
        }
        rc = r->succeed(f);
        if (rc != CLEF_OK || r->msg(f)[0] != '\0' || r->code(f) != CLEF_OK) {
            fprintf(stderr, "%s: the next successful call (status %d) left \"%s\" (errcode %d)\n",
                    r->what, (int)rc, r->msg(f), (int)r->code(f));
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_error_rule, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
