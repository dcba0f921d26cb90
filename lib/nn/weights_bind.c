/* weights_bind.c — bind a file's tensors to a component's flat parameter buffer, all or
 * nothing (docs/ARCHITECTURE.md section 4: a model never loads as random weights).
 * SPDX-License-Identifier: BSD-3-Clause */
#include "nn_int.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void clefi_layout_init(clefi_layout *lay, clef_ctx *ctx) {
    memset(lay, 0, sizeof *lay);
    lay->ctx = ctx;
}

void clefi_layout_free(clefi_layout *lay) {
    if (lay == NULL || lay->ctx == NULL)
        return;
    for (size_t i = 0; i < lay->n; i++)
        clefi_free(lay->ctx, lay->t[i].name);
    clefi_free(lay->ctx, lay->t);
    clefi_layout_init(lay, lay->ctx);
}

int64_t clefi_layout_find(const clefi_layout *lay, const char *name) {
    for (size_t i = 0; i < lay->n; i++)
        if (strcmp(lay->t[i].name, name) == 0)
            return (int64_t)i;
    return -1;
}

clef_status clefi_layout_add(clefi_layout *lay, const char *name, int32_t rank,
                             const int64_t *shape) {
    clef_ctx *ctx = lay->ctx;
    if (name == NULL || name[0] == '\0')
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "layout tensor name is empty");
    if (rank < 0 || rank > CLEF_WEIGHTS_MAX_RANK || (rank > 0 && shape == NULL))
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "layout tensor '%s': rank %d", name,
                               (int)rank);
    if (clefi_layout_find(lay, name) >= 0)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "layout tensor '%s' listed twice", name);
    clefi_layout_entry e = {0};
    e.rank = rank;
    for (int32_t i = 0; i < rank; i++)
        e.shape[i] = shape[i];
    e.offset = lay->total;
    size_t total;
    if (clefi_shape_numel(e.shape, rank, &e.numel) ||
        clefi_add_overflow(lay->total, e.numel, &total) || total > SIZE_MAX / sizeof(float))
        return clefi_ctx_error(ctx, CLEF_ERR_OVERFLOW,
                               "layout tensor '%s': negative dimension or size overflow", name);
    if (lay->n == lay->cap) {
        size_t cap = lay->cap ? 2 * lay->cap : 32;
        clefi_layout_entry *t = clefi_realloc_array(ctx, lay->t, cap, sizeof *t);
        if (t == NULL)
            return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "out of memory for layout '%s'", name);
        lay->t = t;
        lay->cap = cap;
    }
    e.name = clefi_strdup(ctx, name);
    if (e.name == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "out of memory for layout '%s'", name);
    lay->t[lay->n++] = e;
    lay->total = total;
    return CLEF_OK;
}

void clefi_shape_str(char *buf, size_t cap, const int64_t *shape, int32_t rank) {
    size_t n = 0;
    if (cap == 0)
        return;
    buf[0] = '\0';
    n += (size_t)snprintf(buf + n, cap - n, "[");
    for (int32_t i = 0; i < rank && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (n < cap)
        snprintf(buf + n, cap - n, "]");
}

/* Look up prefix + name in the file. */
static int64_t lookup_prefixed(const clef_weights *w, const char *prefix, const char *name,
                               char *full, size_t cap) {
    int k = snprintf(full, cap, "%s%s", prefix ? prefix : "", name);
    if (k < 0 || (size_t)k >= cap)
        return -1;
    return clefi_weights_lookup(w, full);
}

#define NAME_CAP 512

static clefi_err *err_slot(clef_weights *w, clefi_err *err) {
    return err != NULL ? err : clefi_weights_err(w);
}

clef_status clefi_weights_bind_check(clef_weights *w, const clefi_layout *lay, const char *prefix,
                                     unsigned char *seen, clefi_err *err) {
    clef_ctx *ctx = clefi_weights_ctx(w);
    char full[NAME_CAP], want[160], got[160];
    for (size_t i = 0; i < lay->n; i++) {
        const clefi_layout_entry *e = &lay->t[i];
        int64_t k = lookup_prefixed(w, prefix, e->name, full, sizeof full);
        clefi_shape_str(want, sizeof want, e->shape, e->rank);
        if (k < 0)
            return clefi_error(ctx, err_slot(w, err), CLEF_ERR_NOT_FOUND,
                               "weights: tensor '%s' %s missing from the file", full, want);
        const clefi_st_tensor *t = clefi_weights_tensor(w, (size_t)k);
        clefi_shape_str(got, sizeof got, t->shape, t->rank);
        if (!clefi_dtype_is_float(t->dtype))
            return clefi_error(ctx, err_slot(w, err), CLEF_ERR_UNSUPPORTED,
                               "weights: tensor '%s' has dtype %s, expected F32, F16 or BF16", full,
                               clef_dtype_name(t->dtype));
        int same = t->rank == e->rank;
        for (int32_t d = 0; same && d < e->rank; d++)
            same = t->shape[d] == e->shape[d];
        if (!same)
            return clefi_error(ctx, err_slot(w, err), CLEF_ERR_SHAPE,
                               "weights: tensor '%s' has shape %s in the file, the model "
                               "expects %s",
                               full, got, want);
        if (seen != NULL)
            seen[k] = 1;
    }
    return CLEF_OK;
}

void clefi_weights_bind_copy(const clef_weights *w, const clefi_layout *lay, const char *prefix,
                             float *dst) {
    char full[NAME_CAP];
    for (size_t i = 0; i < lay->n; i++) {
        int64_t k = lookup_prefixed(w, prefix, lay->t[i].name, full, sizeof full);
        const clefi_st_tensor *t = clefi_weights_tensor(w, (size_t)k);
        if (t != NULL) /* always, after a successful bind_check */
            clefi_dtype_to_f32(t->dtype, t->data, dst + lay->t[i].offset, t->numel);
    }
}

clef_status clefi_weights_check_extra(clef_weights *w, const unsigned char *seen, const char *scope,
                                      clefi_err *err) {
    size_t sl = scope != NULL ? strlen(scope) : 0;
    for (size_t i = 0; i < (size_t)clef_weights_n_tensors(w); i++) {
        const clefi_st_tensor *t = clefi_weights_tensor(w, i);
        if (seen[i] || strncmp(t->name, sl ? scope : "", sl) != 0)
            continue;
        char got[160];
        clefi_shape_str(got, sizeof got, t->shape, t->rank);
        return clefi_error(clefi_weights_ctx(w), err_slot(w, err), CLEF_ERR_FORMAT,
                           "weights: unexpected tensor '%s' %s in the file (not part of the "
                           "model)",
                           t->name, got);
    }
    return CLEF_OK;
}

clef_status clefi_weights_bind(clef_weights *w, const clefi_layout *lay, float *dst, size_t dst_len,
                               const char *scope, uint32_t flags, clefi_err *err) {
    clef_ctx *ctx = clefi_weights_ctx(w);
    if (dst == NULL || dst_len < lay->total)
        return clefi_error(ctx, err_slot(w, err), CLEF_ERR_BUFFER_TOO_SMALL,
                           "weights: destination holds %zu floats, the layout needs %zu",
                           dst == NULL ? 0 : dst_len, lay->total);
    size_t n = (size_t)clef_weights_n_tensors(w);
    unsigned char *seen = clefi_calloc(ctx, n ? n : 1, 1);
    if (seen == NULL)
        return clefi_error(ctx, err_slot(w, err), CLEF_ERR_NOMEM, "out of memory binding");
    clef_status rc = clefi_weights_bind_check(w, lay, NULL, seen, err);
    if (rc == CLEF_OK && !(flags & CLEFI_BIND_ALLOW_EXTRA))
        rc = clefi_weights_check_extra(w, seen, scope, err);
    clefi_free(ctx, seen);
    if (rc == CLEF_OK)
        clefi_weights_bind_copy(w, lay, NULL, dst);
    return rc;
}

/* ---- typed metadata ---- */

static clef_status meta_str(clef_weights *w, const char *key, const char **s, clefi_err *err) {
    clef_status rc = clef_weights_meta_get(w, key, s);
    if (rc != CLEF_OK)
        return clefi_error(clefi_weights_ctx(w), err_slot(w, err), rc,
                           "weights: metadata '%s' missing", key);
    return CLEF_OK;
}

clef_status clefi_weights_meta_i64(clef_weights *w, const char *key, int64_t *out, clefi_err *err) {
    const char *s;
    clef_status rc = meta_str(w, key, &s, err);
    if (rc != CLEF_OK)
        return rc;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || isspace((unsigned char)s[0]))
        return clefi_error(clefi_weights_ctx(w), err_slot(w, err), CLEF_ERR_FORMAT,
                           "weights: metadata '%s' = '%.40s' is not a decimal integer", key, s);
    *out = (int64_t)v;
    return CLEF_OK;
}

clef_status clefi_weights_meta_f64(clef_weights *w, const char *key, double *out, clefi_err *err) {
    const char *s;
    clef_status rc = meta_str(w, key, &s, err);
    if (rc != CLEF_OK)
        return rc;
    /* locale-free and correctly rounded (jansson's parser patches the decimal point into the
     * host's locale, which fails for multi-byte decimal points) */
    double v = NAN;
    if (clefi_parse_double(s, &v) != 0)
        return clefi_error(clefi_weights_ctx(w), err_slot(w, err), CLEF_ERR_FORMAT,
                           "weights: metadata '%s' = '%.40s' is not a finite decimal number", key,
                           s);
    *out = v;
    return CLEF_OK;
}
