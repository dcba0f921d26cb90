/* tok_safetensors.c — whole-file safetensors reader (header JSON parsed with jansson).
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Format: u64 LE header length, JSON header {name: {dtype, shape, data_offsets}, __metadata__},
 * then the data section (https://github.com/huggingface/safetensors, "Format"). */
#include "model_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* safetensors caps the header at 100 MB (safetensors/src/tensor.rs MAX_HEADER_SIZE). */
#define ST_MAX_HEADER ((uint64_t)100000000)

static clef_status read_file(clef_ctx *ctx, const char *path, void **buf, size_t *size) {
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_IO, "safetensors: cannot open '%s'", path);
    clef_status rc = CLEF_OK;
    long len = -1;
    if (fseek(fp, 0, SEEK_END) == 0)
        len = ftell(fp);
    if (len < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        rc = clefi_ctx_error(ctx, CLEF_ERR_IO, "safetensors: cannot seek '%s'", path);
    } else if ((*buf = clefi_malloc_aligned(ctx, (size_t)len + 1)) == NULL) {
        rc = clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "safetensors: no memory for %ld bytes", len);
    } else if (fread(*buf, 1, (size_t)len, fp) != (size_t)len) {
        clefi_free_aligned(ctx, *buf);
        *buf = NULL;
        rc = clefi_ctx_error(ctx, CLEF_ERR_IO, "safetensors: short read of '%s'", path);
    }
    fclose(fp);
    *size = (size_t)len;
    return rc;
}

static int dtype_of(const char *s, int32_t *dt, size_t *esize) {
    static const struct {
        const char *name;
        int32_t dt;
        size_t size;
    } k_types[] = {{"F32", CLEFI_ST_F32, 4}, {"I32", CLEFI_ST_I32, 4}, {"I64", CLEFI_ST_I64, 8}};
    for (size_t i = 0; i < sizeof k_types / sizeof k_types[0]; i++) {
        if (strcmp(s, k_types[i].name) == 0) {
            *dt = k_types[i].dt;
            *esize = k_types[i].size;
            return 1;
        }
    }
    return 0;
}

/* Parse one tensor entry; data section is [data, data + data_size). */
static clef_status parse_tensor(clef_ctx *ctx, const char *path, const char *name, json_t *v,
                                const uint8_t *data, size_t data_size, clefi_st_tensor *t) {
    json_t *jd = json_object_get(v, "dtype"), *js = json_object_get(v, "shape");
    json_t *jo = json_object_get(v, "data_offsets");
    size_t esize = 0;
    if (!json_is_string(jd) || !json_is_array(js) || !json_is_array(jo) || json_array_size(jo) != 2)
        return clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                               "safetensors '%s': tensor '%s' lacks dtype, "
                               "shape or data_offsets",
                               path, name);
    if (!dtype_of(json_string_value(jd), &t->dtype, &esize))
        return clefi_ctx_error(ctx, CLEF_ERR_UNSUPPORTED,
                               "safetensors '%s': tensor '%s' has dtype "
                               "%s (F32, I32, I64 supported)",
                               path, name, json_string_value(jd));
    if (json_array_size(js) > CLEFI_ST_MAX_DIMS)
        return clefi_ctx_error(ctx, CLEF_ERR_FORMAT, "safetensors '%s': tensor '%s' has %zu dims",
                               path, name, json_array_size(js));
    t->ndim = (int32_t)json_array_size(js);
    size_t numel = 1;
    for (int32_t i = 0; i < t->ndim; i++) {
        json_t *d = json_array_get(js, (size_t)i);
        if (!json_is_integer(d) || json_integer_value(d) < 0 ||
            clefi_mul_overflow(numel, (size_t)json_integer_value(d), &numel))
            return clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                                   "safetensors '%s': tensor '%s' has a bad "
                                   "shape entry %d",
                                   path, name, (int)i);
        t->shape[i] = (int64_t)json_integer_value(d);
    }
    json_t *b = json_array_get(jo, 0), *e = json_array_get(jo, 1);
    size_t nbytes = 0;
    if (!json_is_integer(b) || !json_is_integer(e) || json_integer_value(b) < 0 ||
        json_integer_value(e) < json_integer_value(b) ||
        (uint64_t)json_integer_value(e) > (uint64_t)data_size ||
        clefi_mul_overflow(numel, esize, &nbytes) ||
        (size_t)(json_integer_value(e) - json_integer_value(b)) != nbytes)
        return clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                               "safetensors '%s': tensor '%s' has "
                               "data_offsets outside the data or not matching its shape",
                               path, name);
    if (((uintptr_t)data + (uintptr_t)json_integer_value(b)) % 4 != 0)
        return clefi_ctx_error(ctx, CLEF_ERR_UNSUPPORTED,
                               "safetensors '%s': tensor '%s' is not "
                               "4-byte aligned",
                               path, name);
    t->numel = numel;
    t->data = data + json_integer_value(b);
    t->name = clefi_strdup(ctx, name);
    return t->name != NULL ? CLEF_OK
                           : clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "safetensors: no memory");
}

static clef_status parse_meta(clefi_st_file *f, const char *path, json_t *m) {
    clef_ctx *ctx = f->ctx;
    if (!json_is_object(m))
        return clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                               "safetensors '%s': __metadata__ is not an "
                               "object",
                               path);
    f->meta = clefi_calloc(ctx, 2 * json_object_size(m) + 1, sizeof(char *));
    if (f->meta == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "safetensors: no memory");
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v) {
        if (!json_is_string(v))
            return clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                                   "safetensors '%s': metadata '%s' is not "
                                   "a string",
                                   path, k);
        char **kv = &f->meta[2 * f->n_meta];
        kv[0] = clefi_strdup(ctx, k);
        kv[1] = clefi_strdup(ctx, json_string_value(v));
        f->n_meta++; /* counted before the check so that close frees a half-made pair */
        if (kv[0] == NULL || kv[1] == NULL)
            return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "safetensors: no memory");
    }
    return CLEF_OK;
}

static clef_status parse_header(clefi_st_file *f, const char *path) {
    clef_ctx *ctx = f->ctx;
    const uint8_t *p = f->buf;
    if (f->size < 8)
        return clefi_ctx_error(ctx, CLEF_ERR_FORMAT, "safetensors '%s': %zu bytes, too short", path,
                               f->size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | p[i];
    if (hlen > ST_MAX_HEADER || hlen > f->size - 8)
        return clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                               "safetensors '%s': header length %llu "
                               "exceeds the file",
                               path, (unsigned long long)hlen);
    json_error_t jerr;
    json_t *root = json_loadb((const char *)p + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        return clefi_ctx_error(ctx, CLEF_ERR_FORMAT, "safetensors '%s': bad header JSON (%s)", path,
                               root == NULL ? jerr.text : "not an object");
    }
    clef_status rc = CLEF_OK;
    size_t n = json_object_size(root);
    f->tensors = clefi_calloc(ctx, n + 1, sizeof *f->tensors);
    if (f->tensors == NULL)
        rc = clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "safetensors: no memory");
    const char *k;
    json_t *v;
    const uint8_t *data = p + 8 + hlen;
    size_t data_size = f->size - 8 - (size_t)hlen;
    json_object_foreach(root, k, v) {
        if (rc != CLEF_OK)
            break;
        if (strcmp(k, "__metadata__") == 0) {
            rc = parse_meta(f, path, v);
            continue;
        }
        if (!json_is_object(v)) {
            rc = clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                                 "safetensors '%s': entry '%s' is not an "
                                 "object",
                                 path, k);
            break;
        }
        rc = parse_tensor(ctx, path, k, v, data, data_size, &f->tensors[f->n_tensors]);
        if (rc == CLEF_OK)
            f->n_tensors++;
    }
    json_decref(root);
    return rc;
}

clef_status clefi_st_open(clefi_st_file **out, clef_ctx *ctx, const char *path) {
    if (out == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "safetensors: out is NULL");
    *out = NULL;
    if (path == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "safetensors: path is NULL");
    clefi_st_file *f = clefi_calloc(ctx, 1, sizeof *f);
    if (f == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "safetensors: no memory");
    f->ctx = clefi_ctx_retain(ctx);
    clef_status rc = read_file(ctx, path, &f->buf, &f->size);
    if (rc == CLEF_OK)
        rc = parse_header(f, path);
    if (rc != CLEF_OK) {
        clefi_st_close(f);
        return rc;
    }
    *out = f;
    return CLEF_OK;
}

void clefi_st_close(clefi_st_file *f) {
    if (f == NULL)
        return;
    clef_ctx *ctx = f->ctx;
    for (size_t i = 0; i < f->n_tensors; i++)
        clefi_free(ctx, f->tensors[i].name);
    for (size_t i = 0; i < 2 * f->n_meta; i++)
        clefi_free(ctx, f->meta[i]);
    clefi_free(ctx, f->meta);
    clefi_free(ctx, f->tensors);
    clefi_free_aligned(ctx, f->buf);
    clefi_free(ctx, f);
    clefi_ctx_release(ctx);
}

const clefi_st_tensor *clefi_st_find(const clefi_st_file *f, const char *name) {
    for (size_t i = 0; i < f->n_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0)
            return &f->tensors[i];
    return NULL;
}

const char *clefi_st_meta(const clefi_st_file *f, const char *key) {
    for (size_t i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta[2 * i], key) == 0)
            return f->meta[2 * i + 1];
    return NULL;
}
