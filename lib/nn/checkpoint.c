/* checkpoint.c — training checkpoints as safetensors files: parameters, AdamW moments, EMA
 * weights, RNG state, step, data cursor and world size (docs/ARCHITECTURE.md section 4).
 * Everything is stored bit-exactly (F32, raw bytes, decimal integers) so a resumed run
 * continues as if never stopped. SPDX-License-Identifier: BSD-3-Clause */
#include "nn_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define CKPT_RNG "train.rng"

/* Tensor groups other than the parameters, by name prefix. */
static const char *const group_prefix[3] = {"optim.m.", "optim.v.", "ema."};

static clefi_err *slot(clef_ctx *ctx, clefi_err *err) { return err != NULL ? err : &ctx->err; }

static const float *group_src(const clefi_ckpt *ck, int g) {
    return g == 0 ? ck->adam_m : g == 1 ? ck->adam_v : ck->ema;
}

static clef_status check_args(clef_ctx *ctx, const clefi_layout *lay, const clefi_ckpt *ck,
                              clefi_err *err) {
    if (lay == NULL || ck == NULL || ck->params == NULL || ck->adam_m == NULL ||
        ck->adam_v == NULL || ck->rng == NULL || ck->rng_len == 0)
        return clefi_error(ctx, slot(ctx, err), CLEF_ERR_INVALID_ARG,
                           "checkpoint: params, AdamW moments and RNG state are required");
    return CLEF_OK;
}

/* Add prefix + name for every layout tensor, borrowing src. */
static clef_status add_group(clef_weights_writer *wr, const clefi_layout *lay, const char *prefix,
                             const float *src) {
    char name[512];
    clef_status rc = CLEF_OK;
    for (size_t i = 0; i < lay->n && rc == CLEF_OK; i++) {
        const clefi_layout_entry *e = &lay->t[i];
        int k = snprintf(name, sizeof name, "%s%s", prefix, e->name);
        if (k < 0 || (size_t)k >= sizeof name)
            return CLEF_ERR_INVALID_ARG;
        rc = clefi_weights_writer_add_f32_borrowed(wr, name, CLEF_DTYPE_F32, e->shape, e->rank,
                                                   src + e->offset, e->numel);
    }
    return rc;
}

static clef_status set_meta_i64(clef_weights_writer *wr, const char *key, int64_t v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return clef_weights_writer_set_meta(wr, key, buf);
}

static clef_status fill_writer(clef_weights_writer *wr, const clefi_layout *lay,
                               const clefi_ckpt *ck, const char *const *meta_kv, size_t n_meta) {
    clef_status rc = CLEF_OK;
    for (size_t i = 0; i < n_meta && rc == CLEF_OK; i++) {
        const char *k = meta_kv[2 * i];
        if (k == NULL || strcmp(k, "clef.kind") == 0 || strncmp(k, "clef.ckpt.", 10) == 0)
            return CLEF_ERR_INVALID_ARG;
        rc = clef_weights_writer_set_meta(wr, k, meta_kv[2 * i + 1]);
    }
    if (rc == CLEF_OK)
        rc = clef_weights_writer_set_meta(wr, "clef.kind", "checkpoint");
    if (rc == CLEF_OK)
        rc = set_meta_i64(wr, "clef.ckpt.step", ck->step);
    if (rc == CLEF_OK)
        rc = set_meta_i64(wr, "clef.ckpt.data_cursor", ck->data_cursor);
    if (rc == CLEF_OK)
        rc = set_meta_i64(wr, "clef.ckpt.world_size", ck->world_size);
    if (rc == CLEF_OK)
        rc = set_meta_i64(wr, "clef.ckpt.has_ema", ck->ema != NULL);
    if (rc == CLEF_OK)
        rc = set_meta_i64(wr, "clef.ckpt.n_params", (int64_t)lay->total);
    if (rc == CLEF_OK)
        rc = add_group(wr, lay, "", ck->params);
    for (int g = 0; g < 3 && rc == CLEF_OK; g++)
        if (group_src(ck, g) != NULL)
            rc = add_group(wr, lay, group_prefix[g], group_src(ck, g));
    if (rc == CLEF_OK)
        rc = clef_weights_writer_add_raw(wr, CKPT_RNG, CLEF_DTYPE_U8,
                                         (const int64_t[]){(int64_t)ck->rng_len}, 1, ck->rng,
                                         ck->rng_len);
    return rc;
}

clef_status clefi_ckpt_save(clef_ctx *ctx, const char *path, const clefi_layout *lay,
                            const clefi_ckpt *ck, const char *const *meta_kv, size_t n_meta,
                            clefi_err *err) {
    clef_status rc = check_args(ctx, lay, ck, err);
    if (rc != CLEF_OK)
        return rc;
    if (ck->step < 0 || ck->data_cursor < 0 || ck->world_size < 1)
        return clefi_error(ctx, slot(ctx, err), CLEF_ERR_RANGE,
                           "checkpoint: step %" PRId64 ", data cursor %" PRId64
                           " or world size %d out of range",
                           ck->step, ck->data_cursor, (int)ck->world_size);
    clef_weights_writer *wr;
    rc = clef_weights_writer_create(&wr, ctx);
    if (rc != CLEF_OK)
        return clefi_error(ctx, slot(ctx, err), rc, "checkpoint: %s", clef_ctx_errmsg(ctx));
    rc = fill_writer(wr, lay, ck, meta_kv, n_meta);
    if (rc == CLEF_OK)
        rc = clef_weights_writer_write(wr, path);
    if (rc != CLEF_OK)
        clefi_error(ctx, slot(ctx, err), rc, "checkpoint '%s': %s", path ? path : "(null)",
                    clef_weights_writer_errmsg(wr)[0]
                        ? clef_weights_writer_errmsg(wr)
                        : "reserved metadata key or tensor name too long");
    clef_weights_writer_free(wr);
    return rc;
}

clef_status clefi_model_save(clef_ctx *ctx, const char *path, const char *what,
                             const char *const *meta_kv, size_t n_meta,
                             const clefi_model_group *groups, size_t n_groups) {
    char source[96];
    snprintf(source, sizeof source, "libclef clef_%s", what);
    clef_weights_writer *wr = NULL;
    clef_status rc = clef_weights_writer_create(&wr, ctx);
    if (rc == CLEF_OK)
        rc = clef_weights_writer_set_meta(wr, "clef.kind", "model");
    if (rc == CLEF_OK)
        rc = clef_weights_writer_set_meta(wr, "clef.source", source);
    for (size_t i = 0; rc == CLEF_OK && i < n_meta; i++)
        rc = clef_weights_writer_set_meta(wr, meta_kv[2 * i], meta_kv[2 * i + 1]);
    for (size_t g = 0; rc == CLEF_OK && g < n_groups; g++)
        rc = add_group(wr, groups[g].lay, "", groups[g].buf);
    if (rc == CLEF_OK)
        rc = clef_weights_writer_write(wr, path);
    if (rc != CLEF_OK && wr != NULL)
        clefi_ctx_error(ctx, rc, "%s: %s", what, clef_weights_writer_errmsg(wr));
    clef_weights_writer_free(wr);
    return rc;
}

/* Read and range-check the scalar metadata; nothing is stored in ck yet. */
static clef_status load_meta(clef_weights *w, const clefi_layout *lay, int32_t expect_world,
                             int64_t v[5], clefi_err *err) {
    clef_ctx *ctx = clefi_weights_ctx(w);
    const char *kind = NULL;
    if (clef_weights_meta_get(w, "clef.kind", &kind) != CLEF_OK || strcmp(kind, "checkpoint") != 0)
        return clefi_error(ctx, slot(ctx, err), CLEF_ERR_FORMAT,
                           "checkpoint: clef.kind is '%s', expected 'checkpoint'",
                           kind ? kind : "(missing)");
    static const char *const keys[5] = {"clef.ckpt.step", "clef.ckpt.data_cursor",
                                        "clef.ckpt.world_size", "clef.ckpt.has_ema",
                                        "clef.ckpt.n_params"};
    static const int64_t lo[5] = {0, 0, 1, 0, 0},
                         hi[5] = {INT64_MAX, INT64_MAX, INT32_MAX, 1, INT64_MAX};
    for (int i = 0; i < 5; i++) {
        clef_status rc = clefi_weights_meta_i64(w, keys[i], &v[i], slot(ctx, err));
        if (rc != CLEF_OK)
            return rc;
        if (v[i] < lo[i] || v[i] > hi[i])
            return clefi_error(ctx, slot(ctx, err), CLEF_ERR_FORMAT,
                               "checkpoint: %s = %" PRId64 " out of range", keys[i], v[i]);
    }
    if ((uint64_t)v[4] != lay->total)
        return clefi_error(ctx, slot(ctx, err), CLEF_ERR_SHAPE,
                           "checkpoint holds %" PRId64 " parameters, the model has %zu", v[4],
                           lay->total);
    if (expect_world > 0 && v[2] != expect_world)
        return clefi_error(ctx, slot(ctx, err), CLEF_ERR_STATE,
                           "checkpoint written with world size %" PRId64
                           ", resuming with %d; resume on the same number of ranks",
                           v[2], (int)expect_world);
    return CLEF_OK;
}

static clef_status check_rng(clef_weights *w, const clefi_ckpt *ck, unsigned char *seen,
                             clefi_err *err) {
    clef_ctx *ctx = clefi_weights_ctx(w);
    int64_t k = clefi_weights_lookup(w, CKPT_RNG);
    const clefi_st_tensor *t = k >= 0 ? clefi_weights_tensor(w, (size_t)k) : NULL;
    if (t == NULL || t->dtype != CLEF_DTYPE_U8 || t->rank != 1)
        return clefi_error(ctx, slot(ctx, err), CLEF_ERR_FORMAT,
                           "checkpoint: tensor '" CKPT_RNG "' missing or not U8 [n]");
    if (t->nbytes != ck->rng_len)
        return clefi_error(ctx, slot(ctx, err), CLEF_ERR_SHAPE,
                           "checkpoint: RNG state is %zu bytes, the trainer's is %zu", t->nbytes,
                           ck->rng_len);
    seen[k] = 1;
    return CLEF_OK;
}

clef_status clefi_ckpt_load(clef_weights *w, const clefi_layout *lay, clefi_ckpt *ck,
                            int32_t expect_world, clefi_err *err) {
    clef_ctx *ctx = clefi_weights_ctx(w);
    clef_status rc = check_args(ctx, lay, ck, err);
    if (rc != CLEF_OK)
        return rc;
    int64_t v[5];
    rc = load_meta(w, lay, expect_world, v, err);
    if (rc != CLEF_OK)
        return rc;
    if ((v[3] != 0) != (ck->ema != NULL))
        return clefi_error(ctx, slot(ctx, err), CLEF_ERR_STATE,
                           "checkpoint %s EMA weights but the trainer %s",
                           v[3] ? "holds" : "has no", ck->ema ? "keeps an EMA" : "keeps none");
    size_t n = (size_t)clef_weights_n_tensors(w);
    unsigned char *seen = clefi_calloc(ctx, n ? n : 1, 1);
    if (seen == NULL)
        return clefi_error(ctx, slot(ctx, err), CLEF_ERR_NOMEM, "out of memory resuming");
    rc = clefi_weights_bind_check(w, lay, "", seen, slot(ctx, err));
    for (int g = 0; g < 3 && rc == CLEF_OK; g++)
        if (group_src(ck, g) != NULL)
            rc = clefi_weights_bind_check(w, lay, group_prefix[g], seen, slot(ctx, err));
    if (rc == CLEF_OK)
        rc = check_rng(w, ck, seen, err);
    if (rc == CLEF_OK)
        rc = clefi_weights_check_extra(w, seen, NULL, slot(ctx, err));
    clefi_free(ctx, seen);
    if (rc != CLEF_OK)
        return rc;
    /* all checked: nothing below can fail */
    clefi_weights_bind_copy(w, lay, "", ck->params);
    float *dst[3] = {ck->adam_m, ck->adam_v, ck->ema};
    for (int g = 0; g < 3; g++)
        if (dst[g] != NULL)
            clefi_weights_bind_copy(w, lay, group_prefix[g], dst[g]);
    const clefi_st_tensor *t = clefi_weights_tensor(w, (size_t)clefi_weights_lookup(w, CKPT_RNG));
    memcpy(ck->rng, t->data, t->nbytes);
    ck->step = v[0];
    ck->data_cursor = v[1];
    ck->world_size = (int32_t)v[2];
    return CLEF_OK;
}
