/* idiom.c — .Call entry points of the idiomatic R layer (R/idiom.R): results written straight in
 * R's column-major layout (no transposes), NA for absent channels, and R callbacks (progress,
 * log) that run on the R thread only. SPDX-License-Identifier: BSD-3-Clause
 *
 * As in the generated glue, every R error is raised before libclef is called, while only
 * R-managed memory (R_alloc, PROTECTed objects) is held; a libclef failure is returned as
 * list(status, errmsg) for R/util.R's .clef_result() to signal. */
#include "idiom.h"

#include "clefr.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* list(status, errmsg, out) as the generated glue returns it. */
static SEXP status_list(clef_status st, const char *msg, SEXP out) {
    PROTECT(out);
    SEXP res = PROTECT(Rf_allocVector(VECSXP, 3));
    SET_VECTOR_ELT(res, 0, Rf_ScalarInteger(st));
    if (st < 0 && msg != NULL)
        SET_VECTOR_ELT(res, 1, Rf_mkString(msg));
    SET_VECTOR_ELT(res, 2, out);
    UNPROTECT(2);
    return res;
}

/* ---- spectrogram and canonical signal, column-major ---------------------------------------- */

SEXP clefr_idiom_spectrogram(SEXP a_sg, SEXP a_s, SEXP x, SEXP dimnames) {
    static const char fn[] = "spectrogram";
    const clef_spectrogram *sg = clefr_handle(a_sg, "clef_spectrogram", fn, "sg", 0);
    clef_session *s = clefr_handle(a_s, "clef_session", fn, "session", 0);
    if (!Rf_isReal(x) || !Rf_isMatrix(x))
        Rf_errorcall(R_NilValue, "%s: x must be a double matrix (samples x channels)", fn);
    const R_xlen_t n_s = Rf_nrows(x), n_ch = Rf_ncols(x);
    const double *px = REAL(x);
    const R_xlen_t per = (R_xlen_t)clef_spectrogram_n_freqs(sg) *
                         (R_xlen_t)clef_spectrogram_n_frames(sg, (int64_t)n_s);
    /* A few channels at a time (as many as the session has threads): the float buffers stay
     * small and in cache, and each result slab is converted to double where it lands. */
    R_xlen_t chunk = (R_xlen_t)clef_session_n_threads(s);
    chunk = chunk < 1 ? 1 : chunk > n_ch ? n_ch : chunk;
    float *xf = (float *)R_alloc((size_t)(chunk * n_s) + 1, sizeof(float));
    float *of = (float *)R_alloc((size_t)(chunk * per) + 1, sizeof(float));
    R_xlen_t *rows = (R_xlen_t *)R_alloc((size_t)chunk, sizeof(R_xlen_t));
    SEXP out = PROTECT(Rf_allocVector(REALSXP, n_ch * per));
    double *po = REAL(out);
    R_xlen_t n_p = 0;
    for (R_xlen_t c = 0; c < n_ch;) {
        R_xlen_t k = 0;
        for (; c < n_ch && k < chunk; c++) {
            const double *src = px + c * n_s;
            float *dst = xf + k * n_s;
            R_xlen_t n_na = 0, first = -1;
            for (R_xlen_t i = 0; i < n_s; i++) {
                dst[i] = (float)src[i];
                if (ISNAN(src[i]) && n_na++ == 0)
                    first = i;
            }
            if (n_na > 0 && n_na < n_s)
                Rf_errorcall(
                    R_NilValue,
                    "%s: channel %lld has NA or NaN at sample %lld; only a channel that is "
                    "NA throughout (absent) is allowed",
                    fn, (long long)c + 1, (long long)first + 1);
            if (n_na == 0) {
                rows[k++] = c;
                continue;
            }
            for (R_xlen_t i = 0; i < per; i++) /* absent: NA, not computed */
                po[c * per + i] = NA_REAL;
        }
        if (k == 0)
            continue;
        clef_status st = clef_spectrogram_compute(sg, s, xf, (size_t)n_s, (int64_t)k, (int64_t)n_s,
                                                  of, (size_t)(k * per), NULL);
        if (st < 0) {
            UNPROTECT(1);
            return status_list(st, clef_session_errmsg(s), R_NilValue);
        }
        for (R_xlen_t j = 0; j < k; j++) {
            double *dst = po + rows[j] * per;
            const float *src = of + j * per;
            for (R_xlen_t i = 0; i < per; i++)
                dst[i] = src[i];
        }
        n_p += k;
    }
    if (n_p == 0)
        Rf_errorcall(R_NilValue, "%s: every channel of x is NA (absent)", fn);
    SEXP dim = PROTECT(Rf_allocVector(INTSXP, 3));
    INTEGER(dim)[0] = (int)clef_spectrogram_n_frames(sg, (int64_t)n_s);
    INTEGER(dim)[1] = (int)clef_spectrogram_n_freqs(sg);
    INTEGER(dim)[2] = (int)n_ch;
    Rf_setAttrib(out, R_DimSymbol, dim);
    if (!Rf_isNull(dimnames))
        Rf_setAttrib(out, R_DimNamesSymbol, dimnames);
    UNPROTECT(2);
    return out;
}

SEXP clefr_idiom_canonical(SEXP a_rec, SEXP a_t0, SEXP a_dur, SEXP dimnames) {
    static const char fn[] = "canonical_signal";
    clef_recording *rec = clefr_handle(a_rec, "clef_recording", fn, "rec", 0);
    const double t0 = clefr_as_double(a_t0, fn, "start");
    const double dur = clefr_as_double(a_dur, fn, "duration");
    int64_t n = 0;
    clef_status st = clef_recording_canonical_length(rec, t0, dur, &n);
    if (st < 0)
        return status_list(st, clef_recording_errmsg(rec), R_NilValue);
    const R_xlen_t n_c = (R_xlen_t)clef_canonical_n_channels();
    float *buf = (float *)R_alloc((size_t)(n * n_c) + 1, sizeof(float));
    int64_t n_out = 0;
    uint32_t mask = 0;
    st = clef_recording_read_canonical(rec, t0, dur, buf, (size_t)n, (size_t)(n * n_c), &n_out,
                                       &mask);
    if (st < 0)
        return status_list(st, clef_recording_errmsg(rec), R_NilValue);
    SEXP out = PROTECT(Rf_allocMatrix(REALSXP, (int)n_out, (int)n_c));
    double *po = REAL(out);
    for (R_xlen_t c = 0; c < n_c; c++) {
        const int has = (mask >> c) & 1u;
        for (R_xlen_t i = 0; i < n_out; i++)
            po[c * n_out + i] = has ? (double)buf[c * n + i] : NA_REAL;
    }
    if (!Rf_isNull(dimnames))
        Rf_setAttrib(out, R_DimNamesSymbol, dimnames);
    Rf_setAttrib(out, Rf_install("present_mask"), Rf_ScalarInteger((int)mask));
    UNPROTECT(1);
    return out;
}

/* ---- progress callbacks -------------------------------------------------------------------- */

/* An R progress function and the thread that called into libclef (the R thread). */
typedef struct idiom_cb {
    SEXP fun;
    pthread_t thread;
    double done, total;
    const char *task;
    int keep_going;
} idiom_cb;

static void cb_init(idiom_cb *cb, SEXP fun) {
    if (!Rf_isNull(fun) && !Rf_isFunction(fun))
        Rf_errorcall(R_NilValue, "progress must be a function or NULL");
    cb->fun = fun;
    cb->thread = pthread_self();
    cb->keep_going = 1;
}

/* Runs under R_ToplevelExec: an R error or interrupt cannot unwind through libclef. */
static void cb_call(void *data) {
    idiom_cb *cb = data;
    SEXP done = PROTECT(Rf_ScalarReal(cb->done));
    SEXP total = PROTECT(Rf_ScalarReal(cb->total));
    SEXP task = PROTECT(cb->task != NULL ? Rf_mkString(cb->task) : Rf_ScalarString(NA_STRING));
    SEXP call = PROTECT(Rf_lang4(cb->fun, done, total, task));
    SEXP r = Rf_eval(call, R_GlobalEnv);
    cb->keep_going = Rf_isLogical(r) && XLENGTH(r) == 1 && LOGICAL(r)[0] == TRUE;
    UNPROTECT(4);
}

/* 0 to go on, 1 to cancel. Calls from another thread than the R one go on unreported. */
static int32_t cb_progress(void *user, int64_t done, int64_t total, const char *task) {
    idiom_cb *cb = user;
    if (!pthread_equal(pthread_self(), cb->thread))
        return 0;
    cb->done = (double)done;
    cb->total = (double)total;
    cb->task = task;
    cb->keep_going = 0;
    if (!R_ToplevelExec(cb_call, cb))
        return 1;
    return cb->keep_going ? 0 : 1;
}

static int32_t cb_counted(int64_t done, int64_t total, void *user) {
    return cb_progress(user, done, total, NULL);
}

static int32_t cb_task(int64_t done, int64_t total, const char *task, void *user) {
    return cb_progress(user, done, total, task);
}

SEXP clefr_idiom_cohort_generate(SEXP a_s, SEXP a_params, SEXP a_dir, SEXP fun) {
    static const char fn[] = "generate_cohort";
    clef_session *s = clefr_handle(a_s, "clef_session", fn, "session", 0);
    const clef_params *p = clefr_handle(a_params, "clef_params", fn, "params", 0);
    const char *dir = clefr_as_string(a_dir, fn, "dir");
    idiom_cb cb;
    cb_init(&cb, fun);
    clef_status st = clef_cohort_generate(s, p, dir, Rf_isNull(fun) ? NULL : cb_counted, &cb);
    return status_list(st, clef_session_errmsg(s), R_NilValue);
}

SEXP clefr_idiom_store_import(SEXP a_store, SEXP a_dir, SEXP fun) {
    static const char fn[] = "ingest";
    clef_store *store = clefr_handle(a_store, "clef_store", fn, "store", 0);
    const char *dir = clefr_as_string(a_dir, fn, "dir");
    idiom_cb cb;
    cb_init(&cb, fun);
    int64_t rows = 0;
    clef_status st =
        clef_store_import_cohort(store, dir, &rows, Rf_isNull(fun) ? NULL : cb_counted, &cb);
    return status_list(st, clef_store_errmsg(store), Rf_ScalarReal((double)rows));
}

SEXP clefr_idiom_bandpower_job_run(SEXP a_ctx, SEXP a_store, SEXP fun) {
    static const char fn[] = "embed_bandpower";
    clef_ctx *ctx = clefr_handle(a_ctx, "clef_ctx", fn, "ctx", 0);
    clef_store *store = clefr_handle(a_store, "clef_store", fn, "store", 0);
    idiom_cb cb;
    cb_init(&cb, fun);
    int64_t n_done = 0;
    clef_status st =
        clef_bandpower_job_run(ctx, store, 0.0, 0, &n_done, Rf_isNull(fun) ? NULL : cb_task, &cb);
    return status_list(st, clef_ctx_errmsg(ctx), Rf_ScalarReal((double)n_done));
}

SEXP clefr_idiom_eval_run_store(SEXP a_ev, SEXP a_store, SEXP a_kind, SEXP a_hash, SEXP fun) {
    static const char fn[] = "evaluate_store";
    clef_eval *ev = clefr_handle(a_ev, "clef_eval", fn, "ev", 0);
    clef_store *store = clefr_handle(a_store, "clef_store", fn, "store", 0);
    const int32_t kind = (int32_t)clefr_as_int(a_kind, fn, "kind", 0, 2147483647.0);
    const char *hash = clefr_as_string(a_hash, fn, "model_hash");
    idiom_cb cb;
    cb_init(&cb, fun);
    clef_status st =
        clef_eval_run_store(ev, store, kind, hash, Rf_isNull(fun) ? NULL : cb_task, &cb);
    return status_list(st, clef_eval_errmsg(ev), R_NilValue);
}

/* ---- log queue ------------------------------------------------------------------------------
 * libclef may log from its worker threads: messages are queued under a mutex and handed to the
 * R handler by clefr_idiom_log_drain(), which R calls on its own thread. */

enum { LOG_MAX = 10000 };

typedef struct log_item {
    int32_t level;
    char *msg;
} log_item;

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static log_item log_q[LOG_MAX];
static size_t log_n;
static size_t log_dropped;

static void log_push(int32_t level, const char *msg, void *user) {
    (void)user;
    size_t len = strlen(msg);
    char *copy = malloc(len + 1);
    pthread_mutex_lock(&log_mu);
    if (copy != NULL && log_n < LOG_MAX) {
        memcpy(copy, msg, len + 1);
        log_q[log_n].level = level;
        log_q[log_n++].msg = copy;
        copy = NULL;
    } else {
        log_dropped++;
    }
    pthread_mutex_unlock(&log_mu);
    free(copy);
}

SEXP clefr_idiom_set_log(SEXP a_ctx, SEXP a_level) {
    static const char fn[] = "set_log_handler";
    clef_ctx *ctx = clefr_handle(a_ctx, "clef_ctx", fn, "ctx", 0);
    const int32_t level = (int32_t)clefr_as_int(a_level, fn, "level", 0, 4);
    clef_status st = clef_ctx_set_log(ctx, level, level > 0 ? log_push : NULL, NULL);
    return status_list(st, clef_ctx_errmsg(ctx), R_NilValue);
}

SEXP clefr_idiom_log_drain(void) {
    log_item items[256];
    size_t n = 0, dropped = 0;
    /* At most 256 per call (R calls again while messages remain); the mutex is never held
     * across an R allocation. */
    pthread_mutex_lock(&log_mu);
    n = log_n < 256 ? log_n : 256;
    memcpy(items, log_q, n * sizeof *items);
    memmove(log_q, log_q + n, (log_n - n) * sizeof *items);
    log_n -= n;
    dropped = log_dropped;
    log_dropped = 0;
    pthread_mutex_unlock(&log_mu);
    SEXP level = PROTECT(Rf_allocVector(INTSXP, (R_xlen_t)n));
    SEXP msg = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n));
    for (size_t i = 0; i < n; i++) {
        INTEGER(level)[i] = items[i].level;
        SET_STRING_ELT(msg, (R_xlen_t)i, Rf_mkCharCE(items[i].msg, CE_UTF8));
        free(items[i].msg);
        items[i].msg = NULL;
    }
    SEXP res = PROTECT(Rf_allocVector(VECSXP, 3));
    SET_VECTOR_ELT(res, 0, level);
    SET_VECTOR_ELT(res, 1, msg);
    SET_VECTOR_ELT(res, 2, Rf_ScalarReal((double)dropped));
    UNPROTECT(3);
    return res;
}
