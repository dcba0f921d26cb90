/* params.c — opaque, kind-tagged parameter sets with typed, range-checked setters.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Chosen over a versioned struct (docs/C-STYLE.md rule 6): no layout for bindings to mirror. */
#include "core_int.h"

#include <math.h>
#include <string.h>

typedef struct param_def {
    int32_t key;
    int32_t kind;
    const char *name;
    int32_t type;
    int64_t def_i64;
    double def_f64;
    const char *def_str;
    double min;
    double max;
    const char *doc;
} param_def;

static const param_def k_params[] = {
#define X(key, kind, name, type, di, df, ds, mn, mx, doc)                                          \
    {key, kind, name, type, di, df, ds, mn, mx, doc},
#include "params.def"
#undef X
};
#define N_PARAMS (sizeof k_params / sizeof k_params[0])

typedef union param_value {
    int64_t i;
    double f;
    char *s;
} param_value;

struct clef_params {
    clef_ctx *ctx;
    int32_t kind;
    clefi_err err;
    param_value values[N_PARAMS]; /* indexed like k_params; only this kind's rows are used */
};

static const param_def *find_def(int32_t key, size_t *index) {
    for (size_t i = 0; i < N_PARAMS; i++) {
        if (k_params[i].key == key) {
            if (index != NULL)
                *index = i;
            return &k_params[i];
        }
    }
    return NULL;
}

static int kind_exists(int32_t kind) {
    for (size_t i = 0; i < N_PARAMS; i++)
        if (k_params[i].kind == kind)
            return 1;
    return 0;
}

static void free_strings(clef_params *p) {
    for (size_t i = 0; i < N_PARAMS; i++) {
        if (k_params[i].type == CLEF_PARAM_STR && k_params[i].kind == p->kind) {
            clefi_free(p->ctx, p->values[i].s);
            p->values[i].s = NULL;
        }
    }
}

/* Copy this kind's values from src (or the defaults when src is NULL). */
static clef_status fill_values(clef_params *p, const clef_params *src) {
    for (size_t i = 0; i < N_PARAMS; i++) {
        const param_def *d = &k_params[i];
        if (d->kind != p->kind)
            continue;
        if (d->type == CLEF_PARAM_STR) {
            const char *s = src != NULL ? src->values[i].s : d->def_str;
            p->values[i].s = NULL;
            if (s != NULL && (p->values[i].s = clefi_strdup(p->ctx, s)) == NULL)
                return CLEF_ERR_NOMEM;
        } else {
            p->values[i] = src != NULL                 ? src->values[i]
                           : d->type == CLEF_PARAM_I64 ? (param_value){.i = d->def_i64}
                                                       : (param_value){.f = d->def_f64};
        }
    }
    return CLEF_OK;
}

static clef_status params_new(clef_params **out, clef_ctx *ctx, int32_t kind,
                              const clef_params *src) {
    clef_params *p = clefi_calloc(ctx, 1, sizeof *p);
    if (p == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate a parameter set");
    p->ctx = clefi_ctx_retain(ctx);
    p->kind = kind;
    if (fill_values(p, src) != CLEF_OK) {
        clef_params_free(p);
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot copy parameter strings");
    }
    *out = p;
    return CLEF_OK;
}

clef_status clef_params_create(clef_params **out, clef_ctx *ctx, int32_t kind) {
    clefi_reset(ctx);
    if (out == NULL)
        return CLEF_ERR_INVALID_ARG;
    *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (!kind_exists(kind))
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "unknown parameter-set kind %d",
                               (int)kind);
    return params_new(out, ctx, kind, NULL);
}

clef_status clef_params_clone(clef_params **out, const clef_params *src) {
    if (out == NULL)
        return CLEF_ERR_INVALID_ARG;
    *out = NULL;
    if (src == NULL)
        return CLEF_ERR_INVALID_ARG;
    return params_new(out, src->ctx, src->kind, src);
}

void clef_params_free(clef_params *p) {
    if (p == NULL)
        return;
    clef_ctx *ctx = p->ctx;
    free_strings(p);
    clefi_free(ctx, p);
    clefi_ctx_release(ctx);
}

int32_t clef_params_kind(const clef_params *p) { return p != NULL ? p->kind : 0; }

const char *clef_params_errmsg(const clef_params *p) { return p != NULL ? p->err.msg : ""; }

/* Resolve key for a set/get of the given type; records the error on p. */
static clef_status lookup(const clef_params *cp, int32_t key, int32_t type, size_t *index) {
    clef_params *p = (clef_params *)cp; /* error text is mutable state even on getters */
    const param_def *d = find_def(key, index);
    if (d == NULL)
        return clefi_error(p->ctx, &p->err, CLEF_ERR_NOT_FOUND, "unknown parameter key %d",
                           (int)key);
    if (d->kind != p->kind)
        return clefi_error(p->ctx, &p->err, CLEF_ERR_NOT_FOUND,
                           "parameter '%s' does not belong to a set of kind %d", d->name,
                           (int)p->kind);
    if (d->type != type)
        return clefi_error(p->ctx, &p->err, CLEF_ERR_INVALID_ARG, "parameter '%s' has another type",
                           d->name);
    return CLEF_OK;
}

clef_status clef_params_errcode(const clef_params *p) {
    return p != NULL ? p->err.code : CLEF_ERR_INVALID_ARG;
}

clef_status clef_params_set_i64(clef_params *p, int32_t key, int64_t value) {
    clefi_reset(p);
    size_t i = 0;
    if (p == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = lookup(p, key, CLEF_PARAM_I64, &i);
    if (rc != CLEF_OK)
        return rc;
    if ((double)value < k_params[i].min || (double)value > k_params[i].max)
        return clefi_error(p->ctx, &p->err, CLEF_ERR_RANGE, "%s = %lld outside [%g, %g]",
                           k_params[i].name, (long long)value, k_params[i].min, k_params[i].max);
    p->values[i].i = value;
    clefi_err_clear(&p->err);
    return CLEF_OK;
}

clef_status clef_params_set_f64(clef_params *p, int32_t key, double value) {
    clefi_reset(p);
    size_t i = 0;
    if (p == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = lookup(p, key, CLEF_PARAM_F64, &i);
    if (rc != CLEF_OK)
        return rc;
    if (!isfinite(value) || value < k_params[i].min || value > k_params[i].max)
        return clefi_error(p->ctx, &p->err, CLEF_ERR_RANGE, "%s = %g outside [%g, %g]",
                           k_params[i].name, value, k_params[i].min, k_params[i].max);
    p->values[i].f = value;
    clefi_err_clear(&p->err);
    return CLEF_OK;
}

clef_status clef_params_set_str(clef_params *p, int32_t key, const char *value) {
    clefi_reset(p);
    size_t i = 0;
    if (p == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = lookup(p, key, CLEF_PARAM_STR, &i);
    if (rc != CLEF_OK)
        return rc;
    char *copy = NULL;
    if (value != NULL && (copy = clefi_strdup(p->ctx, value)) == NULL)
        return clefi_error(p->ctx, &p->err, CLEF_ERR_NOMEM, "cannot copy value of '%s'",
                           k_params[i].name);
    clefi_free(p->ctx, p->values[i].s);
    p->values[i].s = copy;
    clefi_err_clear(&p->err);
    return CLEF_OK;
}

clef_status clef_params_get_i64(const clef_params *p, int32_t key, int64_t *out) {
    size_t i = 0;
    if (p == NULL || out == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = lookup(p, key, CLEF_PARAM_I64, &i);
    if (rc == CLEF_OK)
        *out = p->values[i].i;
    return rc;
}

clef_status clef_params_get_f64(const clef_params *p, int32_t key, double *out) {
    size_t i = 0;
    if (p == NULL || out == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = lookup(p, key, CLEF_PARAM_F64, &i);
    if (rc == CLEF_OK)
        *out = p->values[i].f;
    return rc;
}

clef_status clef_params_get_str(const clef_params *p, int32_t key, const char **out) {
    size_t i = 0;
    if (p == NULL || out == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_status rc = lookup(p, key, CLEF_PARAM_STR, &i);
    if (rc == CLEF_OK)
        *out = p->values[i].s;
    return rc;
}

clef_status clef_param_lookup(const char *name, int32_t *key_out) {
    if (name == NULL || key_out == NULL)
        return CLEF_ERR_INVALID_ARG;
    for (size_t i = 0; i < N_PARAMS; i++) {
        if (strcmp(k_params[i].name, name) == 0) {
            *key_out = k_params[i].key;
            return CLEF_OK;
        }
    }
    return CLEF_ERR_NOT_FOUND;
}

clef_status clef_param_info(int32_t key, const char **name, int32_t *type, int32_t *kind,
                            const char **doc) {
    const param_def *d = find_def(key, NULL);
    if (d == NULL)
        return CLEF_ERR_NOT_FOUND;
    if (name != NULL)
        *name = d->name;
    if (type != NULL)
        *type = d->type;
    if (kind != NULL)
        *kind = d->kind;
    if (doc != NULL)
        *doc = d->doc;
    return CLEF_OK;
}

clef_status clef_param_bounds(int32_t key, double *min_out, double *max_out) {
    const param_def *d = find_def(key, NULL);
    if (d == NULL)
        return CLEF_ERR_NOT_FOUND;
    if (d->type == CLEF_PARAM_STR)
        return CLEF_ERR_INVALID_ARG;
    if (min_out != NULL)
        *min_out = d->min;
    if (max_out != NULL)
        *max_out = d->max;
    return CLEF_OK;
}

/* Internal getters: a module asks only for keys of its own kind, so a mismatch is a bug that
 * the module's tests catch; return the neutral value rather than abort. */
int64_t clefi_params_i64(const clef_params *p, int32_t key) {
    size_t i = 0;
    const param_def *d = find_def(key, &i);
    return (d != NULL && d->kind == p->kind && d->type == CLEF_PARAM_I64) ? p->values[i].i : 0;
}

double clefi_params_f64(const clef_params *p, int32_t key) {
    size_t i = 0;
    const param_def *d = find_def(key, &i);
    return (d != NULL && d->kind == p->kind && d->type == CLEF_PARAM_F64) ? p->values[i].f : 0.0;
}

const char *clefi_params_str(const clef_params *p, int32_t key) {
    size_t i = 0;
    const param_def *d = find_def(key, &i);
    return (d != NULL && d->kind == p->kind && d->type == CLEF_PARAM_STR) ? p->values[i].s : NULL;
}
