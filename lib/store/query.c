/* query.c — read a task's labelled embeddings for evaluation. SPDX-License-Identifier: BSD-3-Clause
 */
#include "store_int.h"

#include <math.h>
#include <string.h>

static const char *split_name(int32_t split) {
    switch (split) {
    case CLEF_SPLIT_TRAIN:
        return "train";
    case CLEF_SPLIT_VAL:
        return "val";
    case CLEF_SPLIT_TEST:
        return "test";
    default:
        return NULL;
    }
}

/* One row per labelled (0/1) session of the task whose patient is in the split; the artifact
 * column is NULL when the session has no artifact of that kind and model. */
static const char k_task_sql[] =
    "SELECT l.session_id, l.label, a.data FROM labels l"
    " JOIN tasks t ON t.task_id = l.task_id"
    " JOIN sessions se ON se.session_id = l.session_id"
    " JOIN splits sp ON sp.subject_id = se.subject_id"
    " LEFT JOIN artifacts a ON a.session_id = l.session_id AND a.kind = ?3 AND a.model_hash = ?4"
    " WHERE t.name = ?1 AND sp.split = ?2 AND l.label IN (0, 1)"
    " ORDER BY l.session_id";

typedef struct task_rows {
    float *x;
    size_t x_cap;
    int32_t *y;
    size_t y_cap;
    size_t n, dim;
    int fits;
} task_rows;

static clef_status take_row(clef_store *s, sqlite3_stmt *st, task_rows *t) {
    const char *sid = (const char *)sqlite3_column_text(st, 0);
    if (sqlite3_column_type(st, 2) == SQLITE_NULL)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_NOT_FOUND,
                           "labelled session '%s' has no artifact of the requested model", sid);
    size_t bytes = (size_t)sqlite3_column_bytes(st, 2);
    if (bytes == 0 || bytes % sizeof(float) != 0)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_SHAPE,
                           "artifact of session '%s' has %zu bytes, not a float32 vector", sid,
                           bytes);
    size_t dim = bytes / sizeof(float);
    if (t->n == 0)
        t->dim = dim;
    else if (dim != t->dim)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_SHAPE,
                           "artifact of session '%s' has %zu values, earlier sessions %zu", sid,
                           dim, t->dim);
    size_t end;
    if (clefi_mul_overflow(t->n + 1, dim, &end))
        return clefi_error(s->ctx, &s->err, CLEF_ERR_OVERFLOW, "task matrix size overflows");
    if (t->x != NULL && end <= t->x_cap && t->y != NULL && t->n < t->y_cap) {
        memcpy(t->x + t->n * dim, sqlite3_column_blob(st, 2), bytes);
        t->y[t->n] = sqlite3_column_int(st, 1);
    } else {
        t->fits = 0;
    }
    t->n++;
    return CLEF_OK;
}

clef_status clef_store_task_data(clef_store *s, const char *task, int32_t split, int32_t kind,
                                 const char *model_hash, float *x, size_t x_cap, int32_t *y,
                                 size_t y_cap, int64_t *n_out, int64_t *dim_out) {
    clefi_reset(s);
    if (n_out != NULL)
        *n_out = 0;
    if (dim_out != NULL)
        *dim_out = 0;
    if (s == NULL || n_out == NULL || dim_out == NULL)
        return CLEF_ERR_INVALID_ARG;
    const char *sp = split_name(split);
    if (task == NULL || model_hash == NULL || sp == NULL)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG,
                           "task data needs a task name, a model hash and a clef_split (got %d)",
                           (int)split);
    sqlite3_stmt *st;
    clef_status rc = clefi_store_prepare(s, k_task_sql, &st);
    if (rc != CLEF_OK)
        return rc;
    clefi_bind_text(st, 1, task);
    clefi_bind_text(st, 2, sp);
    sqlite3_bind_int(st, 3, kind);
    clefi_bind_text(st, 4, model_hash);
    task_rows t = {x, x_cap, y, y_cap, 0, 0, 1};
    int r = SQLITE_DONE;
    while (rc == CLEF_OK && (r = sqlite3_step(st)) == SQLITE_ROW)
        rc = take_row(s, st, &t);
    if (rc == CLEF_OK && r != SQLITE_DONE)
        rc = clefi_store_sqlite_error(s, "reading task labels");
    sqlite3_finalize(st);
    if (rc != CLEF_OK)
        return rc;
    *n_out = (int64_t)t.n;
    *dim_out = (int64_t)t.dim;
    if (!t.fits)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_BUFFER_TOO_SMALL,
                           "task '%s' (%s) needs %zu x %zu floats and %zu labels", task, sp, t.n,
                           t.dim, t.n);
    return CLEF_OK;
}

clef_status clef_store_session_label(clef_store *s, const char *session_id, const char *task,
                                     int32_t *label) {
    clefi_reset(s);
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (session_id == NULL || task == NULL || label == NULL)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG,
                           "a session label needs a session id, a task and an output");
    sqlite3_stmt *st;
    clef_status rc = clefi_store_prepare(s,
                                         "SELECT l.label FROM labels l JOIN tasks t ON t.task_id ="
                                         " l.task_id WHERE t.name = ?1 AND l.session_id = ?2",
                                         &st);
    if (rc != CLEF_OK)
        return rc;
    clefi_bind_text(st, 1, task);
    clefi_bind_text(st, 2, session_id);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *label = sqlite3_column_int(st, 0);
    else if (r == SQLITE_DONE)
        rc = clefi_error(s->ctx, &s->err, CLEF_ERR_NOT_FOUND,
                         "task '%s' does not list session '%s'", task, session_id);
    else
        rc = clefi_store_sqlite_error(s, "reading a session label");
    sqlite3_finalize(st);
    return rc;
}

/* ---- balance of a task's positives and matched negatives ---- */

static const char k_balance_sql[] =
    "SELECT l.label, COUNT(*), AVG(se.age_years), AVG(se.age_years * se.age_years),"
    " AVG(p.sex = 'F') FROM labels l"
    " JOIN tasks t ON t.task_id = l.task_id"
    " JOIN sessions se ON se.session_id = l.session_id"
    " JOIN patients p ON p.subject_id = se.subject_id"
    " WHERE t.name = ?1 AND l.label IN (0, 1) GROUP BY l.label";

/* |m1 - m0| over the pooled sample standard deviation sqrt((v1 + v0) / 2). */
static double smd(const double m[2], const double v[2]) {
    double sd = sqrt((v[0] + v[1]) / 2.0), d = fabs(m[1] - m[0]);
    return sd > 0 ? d / sd : d > 0 ? INFINITY : 0.0;
}

clef_status clef_store_task_balance(clef_store *s, const char *task, double *smd_age,
                                    double *smd_sex, int64_t *n_pos, int64_t *n_neg) {
    clefi_reset(s);
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (task == NULL || smd_age == NULL || smd_sex == NULL)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_INVALID_ARG,
                           "task balance needs a task name and two outputs");
    *smd_age = *smd_sex = NAN;
    sqlite3_stmt *st;
    clef_status rc = clefi_store_prepare(s, k_balance_sql, &st);
    if (rc != CLEF_OK)
        return rc;
    clefi_bind_text(st, 1, task);
    int64_t n[2] = {0, 0};
    double ma[2] = {0, 0}, va[2] = {0, 0}, mf[2] = {0, 0}, vf[2] = {0, 0};
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        int g = sqlite3_column_int(st, 0) == 1;
        n[g] = sqlite3_column_int64(st, 1);
        double k = (double)n[g], k1 = n[g] > 1 ? k / (k - 1.0) : 0.0; /* sample variances */
        ma[g] = sqlite3_column_double(st, 2);
        va[g] = fmax(0.0, sqlite3_column_double(st, 3) - ma[g] * ma[g]) * k1;
        mf[g] = sqlite3_column_double(st, 4);
        vf[g] = mf[g] * (1.0 - mf[g]) * k1;
    }
    if (r != SQLITE_DONE)
        rc = clefi_store_sqlite_error(s, "reading task balance");
    sqlite3_finalize(st);
    if (rc != CLEF_OK)
        return rc;
    if (n_pos != NULL)
        *n_pos = n[1];
    if (n_neg != NULL)
        *n_neg = n[0];
    if (n[0] == 0 && n[1] == 0)
        return clefi_error(s->ctx, &s->err, CLEF_ERR_NOT_FOUND, "no task '%s' with labels", task);
    if (n[0] > 1 && n[1] > 1) {
        *smd_age = smd(ma, va);
        *smd_sex = smd(mf, vf);
    }
    return CLEF_OK;
}
