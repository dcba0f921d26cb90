/* safetensors_write.c — safetensors writer: header built with jansson, data padded to 64 bytes,
 * atomic replacement of the target file (temporary file in the same directory + rename).
 * SPDX-License-Identifier: BSD-3-Clause */
#define _POSIX_C_SOURCE 200809L
#include "nn_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Data start on a 64-byte boundary so a mapped file's tensors suit SIMD loads (ARCHITECTURE.md
 * section 4); the reference writer pads to 8 (safetensors/src/tensor.rs prepare). */
#define ST_ALIGN 64u

typedef struct wr_entry {
    char *name;
    int32_t dtype; /* stored dtype */
    int32_t rank;
    int64_t shape[CLEF_WEIGHTS_MAX_RANK];
    size_t numel;
    size_t nbytes;   /* stored bytes */
    const void *src; /* float32 values when src_f32, else the stored bytes */
    void *owned;     /* the writer's copy, or NULL when borrowed */
    int src_f32;
} wr_entry;

struct clef_weights_writer {
    clef_ctx *ctx;
    clefi_err err;
    wr_entry *e;
    size_t n, cap;
    char **meta; /* key, value pairs */
    size_t n_meta, cap_meta;
};

clef_status clef_weights_writer_create(clef_weights_writer **out, clef_ctx *ctx) {
    clefi_reset(ctx);
    if (out == NULL)
        return CLEF_ERR_INVALID_ARG;
    *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_weights_writer *wr = clefi_calloc(ctx, 1, sizeof *wr);
    if (wr == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "out of memory for a weights writer");
    wr->ctx = clefi_ctx_retain(ctx);
    *out = wr;
    return CLEF_OK;
}

void clef_weights_writer_free(clef_weights_writer *wr) {
    if (wr == NULL)
        return;
    clef_ctx *ctx = wr->ctx;
    for (size_t i = 0; i < wr->n; i++) {
        clefi_free(ctx, wr->e[i].name);
        clefi_free(ctx, wr->e[i].owned);
    }
    for (size_t i = 0; i < 2 * wr->n_meta; i++)
        clefi_free(ctx, wr->meta[i]);
    clefi_free(ctx, wr->e);
    clefi_free(ctx, wr->meta);
    clefi_free(ctx, wr);
    clefi_ctx_release(ctx);
}

const char *clef_weights_writer_errmsg(const clef_weights_writer *wr) {
    return wr != NULL ? wr->err.msg : "";
}

clef_status clef_weights_writer_errcode(const clef_weights_writer *wr) {
    return wr != NULL ? wr->err.code : CLEF_ERR_INVALID_ARG;
}

/* jansson accepts only valid UTF-8; checking here keeps write() from failing later. */
static int utf8_ok(const char *s) {
    json_t *j = json_string(s);
    json_decref(j);
    return j != NULL;
}

#define WERR(wr, code, ...) clefi_error((wr)->ctx, &(wr)->err, (code), __VA_ARGS__)

clef_status clef_weights_writer_set_meta(clef_weights_writer *wr, const char *key,
                                         const char *value) {
    clefi_reset(wr);
    if (wr == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (key == NULL || value == NULL || key[0] == '\0' || !utf8_ok(key) || !utf8_ok(value))
        return WERR(wr, CLEF_ERR_INVALID_ARG,
                    "metadata key and value must be UTF-8, key not "
                    "empty");
    for (size_t i = 0; i < wr->n_meta; i++) {
        if (strcmp(wr->meta[2 * i], key) == 0) {
            char *v = clefi_strdup(wr->ctx, value);
            if (v == NULL)
                return WERR(wr, CLEF_ERR_NOMEM, "out of memory for metadata '%s'", key);
            clefi_free(wr->ctx, wr->meta[2 * i + 1]);
            wr->meta[2 * i + 1] = v;
            return CLEF_OK;
        }
    }
    if (wr->n_meta == wr->cap_meta) {
        size_t cap = wr->cap_meta ? 2 * wr->cap_meta : 16;
        char **m = clefi_realloc_array(wr->ctx, wr->meta, 2 * cap, sizeof *m);
        if (m == NULL)
            return WERR(wr, CLEF_ERR_NOMEM, "out of memory for metadata '%s'", key);
        wr->meta = m;
        wr->cap_meta = cap;
    }
    char *k = clefi_strdup(wr->ctx, key);
    char *v = k != NULL ? clefi_strdup(wr->ctx, value) : NULL;
    if (v == NULL) {
        clefi_free(wr->ctx, k);
        return WERR(wr, CLEF_ERR_NOMEM, "out of memory for metadata '%s'", key);
    }
    wr->meta[2 * wr->n_meta] = k;
    wr->meta[2 * wr->n_meta + 1] = v;
    wr->n_meta++;
    return CLEF_OK;
}

/* Validate a new tensor and fill e (name copied); the data are attached by the caller. */
static clef_status prepare(clef_weights_writer *wr, wr_entry *e, const char *name, int32_t dtype,
                           const int64_t *shape, int32_t rank) {
    if (name == NULL || name[0] == '\0' || !utf8_ok(name) || strcmp(name, "__metadata__") == 0)
        return WERR(wr, CLEF_ERR_INVALID_ARG,
                    "tensor name must be non-empty UTF-8, not "
                    "\"__metadata__\"");
    for (size_t i = 0; i < wr->n; i++)
        if (strcmp(wr->e[i].name, name) == 0)
            return WERR(wr, CLEF_ERR_INVALID_ARG, "tensor '%s' added twice", name);
    size_t es = clef_dtype_size(dtype);
    if (es == 0)
        return WERR(wr, CLEF_ERR_INVALID_ARG, "tensor '%s': unknown dtype %d", name, (int)dtype);
    if (rank < 0 || rank > CLEF_WEIGHTS_MAX_RANK || (rank > 0 && shape == NULL))
        return WERR(wr, CLEF_ERR_INVALID_ARG, "tensor '%s': rank %d outside [0, %d]", name,
                    (int)rank, CLEF_WEIGHTS_MAX_RANK);
    memset(e, 0, sizeof *e);
    e->dtype = dtype;
    e->rank = rank;
    for (int32_t i = 0; i < rank; i++)
        e->shape[i] = shape[i];
    if (clefi_shape_numel(e->shape, rank, &e->numel) ||
        clefi_mul_overflow(e->numel, es, &e->nbytes))
        return WERR(wr, CLEF_ERR_OVERFLOW, "tensor '%s': negative dimension or size overflow",
                    name);
    if (wr->n == wr->cap) {
        size_t cap = wr->cap ? 2 * wr->cap : 16;
        wr_entry *ne = clefi_realloc_array(wr->ctx, wr->e, cap, sizeof *ne);
        if (ne == NULL)
            return WERR(wr, CLEF_ERR_NOMEM, "out of memory adding tensor '%s'", name);
        wr->e = ne;
        wr->cap = cap;
    }
    e->name = clefi_strdup(wr->ctx, name);
    if (e->name == NULL)
        return WERR(wr, CLEF_ERR_NOMEM, "out of memory adding tensor '%s'", name);
    return CLEF_OK;
}

static clef_status add_f32(clef_weights_writer *wr, const char *name, int32_t dtype,
                           const int64_t *shape, int32_t rank, const float *data, size_t n,
                           int copy) {
    if (wr == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (!clefi_dtype_is_float(dtype))
        return WERR(wr, CLEF_ERR_INVALID_ARG,
                    "tensor '%s': float data stored as %s; use F32, "
                    "F16 or BF16",
                    name ? name : "(null)", clef_dtype_name(dtype));
    wr_entry e;
    clef_status rc = prepare(wr, &e, name, dtype, shape, rank);
    if (rc != CLEF_OK)
        return rc;
    if (n != e.numel || (data == NULL && n > 0)) {
        clefi_free(wr->ctx, e.name);
        return WERR(wr, CLEF_ERR_SHAPE, "tensor '%s': %zu values given, shape holds %zu", name, n,
                    e.numel);
    }
    e.src_f32 = 1;
    e.src = data;
    if (copy) {
        e.owned = clefi_calloc(wr->ctx, n ? n : 1, sizeof(float));
        if (e.owned == NULL) {
            clefi_free(wr->ctx, e.name);
            return WERR(wr, CLEF_ERR_NOMEM, "out of memory copying tensor '%s'", name);
        }
        if (n > 0)
            memcpy(e.owned, data, n * sizeof(float));
        e.src = e.owned;
    }
    wr->e[wr->n++] = e;
    return CLEF_OK;
}

clef_status clef_weights_writer_add_f32(clef_weights_writer *wr, const char *name, int32_t dtype,
                                        const int64_t *shape, int32_t rank, const float *data,
                                        size_t n) {
    clefi_reset(wr);
    return add_f32(wr, name, dtype, shape, rank, data, n, 1);
}

clef_status clefi_weights_writer_add_f32_borrowed(clef_weights_writer *wr, const char *name,
                                                  int32_t dtype, const int64_t *shape, int32_t rank,
                                                  const float *data, size_t n) {
    return add_f32(wr, name, dtype, shape, rank, data, n, 0);
}

clef_status clef_weights_writer_add_raw(clef_weights_writer *wr, const char *name, int32_t dtype,
                                        const int64_t *shape, int32_t rank, const void *data,
                                        size_t n_bytes) {
    clefi_reset(wr);
    if (wr == NULL)
        return CLEF_ERR_INVALID_ARG;
    wr_entry e;
    clef_status rc = prepare(wr, &e, name, dtype, shape, rank);
    if (rc != CLEF_OK)
        return rc;
    if (n_bytes != e.nbytes || (data == NULL && n_bytes > 0)) {
        clefi_free(wr->ctx, e.name);
        return WERR(wr, CLEF_ERR_SHAPE, "tensor '%s': %zu bytes given, shape x %s needs %zu", name,
                    n_bytes, clef_dtype_name(dtype), e.nbytes);
    }
    e.owned = clefi_malloc(wr->ctx, n_bytes);
    if (e.owned == NULL) {
        clefi_free(wr->ctx, e.name);
        return WERR(wr, CLEF_ERR_NOMEM, "out of memory copying tensor '%s'", name);
    }
    if (n_bytes > 0)
        memcpy(e.owned, data, n_bytes);
    e.src = e.owned;
    wr->e[wr->n++] = e;
    return CLEF_OK;
}

/* ---- header ---- */

static json_t *header_json(const clef_weights_writer *wr) {
    json_t *root = json_object();
    int bad = root == NULL;
    if (!bad && wr->n_meta > 0) {
        json_t *meta = json_object();
        bad = json_object_set_new(root, "__metadata__", meta) != 0;
        for (size_t i = 0; !bad && i < wr->n_meta; i++)
            bad = json_object_set_new(meta, wr->meta[2 * i], json_string(wr->meta[2 * i + 1]));
    }
    size_t off = 0;
    for (size_t i = 0; !bad && i < wr->n; i++) {
        const wr_entry *e = &wr->e[i];
        json_t *t = json_object(), *shape = json_array();
        bad = json_object_set_new(root, e->name, t) != 0 ||
              json_object_set_new(t, "dtype", json_string(clef_dtype_name(e->dtype))) != 0 ||
              json_object_set_new(t, "shape", shape) != 0;
        for (int32_t d = 0; !bad && d < e->rank; d++)
            bad = json_array_append_new(shape, json_integer((json_int_t)e->shape[d])) != 0;
        if (!bad)
            bad = json_object_set_new(
                      t, "data_offsets",
                      json_pack("[II]", (json_int_t)off, (json_int_t)(off + e->nbytes))) != 0;
        off += e->nbytes;
    }
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* The 8-byte length plus the JSON, space-padded so that the data start at a multiple of
 * ST_ALIGN. */
static clef_status header_bytes(clef_weights_writer *wr, unsigned char **out, size_t *len) {
    json_t *root = header_json(wr);
    size_t n = root != NULL ? json_dumpb(root, NULL, 0, JSON_COMPACT) : 0;
    size_t total = 8 + n;
    if (n == 0 || clefi_add_overflow(total, ST_ALIGN - 1, &total)) {
        json_decref(root);
        return WERR(wr, CLEF_ERR_NOMEM, "cannot build the safetensors header");
    }
    total -= total % ST_ALIGN;
    unsigned char *buf = clefi_malloc(wr->ctx, total);
    if (buf == NULL) {
        json_decref(root);
        return WERR(wr, CLEF_ERR_NOMEM, "out of memory for a %zu-byte header", total);
    }
    json_dumpb(root, (char *)buf + 8, n, JSON_COMPACT);
    json_decref(root);
    memset(buf + 8 + n, ' ', total - 8 - n);
    uint64_t hl = total - 8;
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(hl >> (8 * i));
    *out = buf;
    *len = total;
    return CLEF_OK;
}

/* ---- file ---- */

static int write_all(int fd, const void *p, size_t n) {
    const unsigned char *c = p;
    while (n > 0) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return 1;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

static int write_entry(int fd, const wr_entry *e) {
    if (!e->src_f32 || e->dtype == CLEF_DTYPE_F32)
        return write_all(fd, e->src, e->nbytes);
    unsigned char chunk[8192];
    const float *f = e->src;
    size_t per = sizeof chunk / 2;
    for (size_t i = 0; i < e->numel; i += per) {
        size_t k = e->numel - i < per ? e->numel - i : per;
        clefi_dtype_from_f32(e->dtype, f + i, chunk, k);
        if (write_all(fd, chunk, 2 * k))
            return 1;
    }
    return 0;
}

static clef_status write_fd(clef_weights_writer *wr, int fd, const char *tmp) {
    unsigned char *hdr = NULL;
    size_t hlen = 0;
    clef_status rc = header_bytes(wr, &hdr, &hlen);
    if (rc != CLEF_OK)
        return rc;
    int bad = write_all(fd, hdr, hlen);
    clefi_free(wr->ctx, hdr);
    for (size_t i = 0; !bad && i < wr->n; i++)
        bad = write_entry(fd, &wr->e[i]);
    if (!bad)
        bad = fsync(fd) != 0;
    if (bad)
        return WERR(wr, CLEF_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
    return CLEF_OK;
}

clef_status clef_weights_writer_write(clef_weights_writer *wr, const char *path) {
    clefi_reset(wr);
    if (wr == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (path == NULL || path[0] == '\0')
        return WERR(wr, CLEF_ERR_INVALID_ARG, "path is NULL or empty");
    static const char suffix[] = ".tmp.XXXXXX";
    size_t plen = strlen(path);
    char *tmp = clefi_malloc(wr->ctx, plen + sizeof suffix);
    if (tmp == NULL)
        return WERR(wr, CLEF_ERR_NOMEM, "out of memory for a file name");
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, suffix, sizeof suffix);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        clef_status rc = WERR(wr, CLEF_ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
        clefi_free(wr->ctx, tmp);
        return rc;
    }
    clef_status rc = write_fd(wr, fd, tmp);
    if (rc == CLEF_OK && fchmod(fd, 0644) != 0) /* mkstemp creates 0600 */
        rc = WERR(wr, CLEF_ERR_IO, "cannot chmod '%s': %s", tmp, strerror(errno));
    if (close(fd) != 0 && rc == CLEF_OK)
        rc = WERR(wr, CLEF_ERR_IO, "cannot close '%s': %s", tmp, strerror(errno));
    if (rc == CLEF_OK && rename(tmp, path) != 0)
        rc = WERR(wr, CLEF_ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
    if (rc != CLEF_OK)
        unlink(tmp);
    clefi_free(wr->ctx, tmp);
    if (rc == CLEF_OK)
        clefi_err_clear(&wr->err);
    return rc;
}
