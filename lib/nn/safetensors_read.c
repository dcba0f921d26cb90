/* safetensors_read.c — safetensors reader: header validation (jansson), mmap, tensor access.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Format (huggingface/safetensors, docs "Format"): u64 little-endian N, N bytes of UTF-8 JSON,
 * then the data. The JSON is an object: tensor name -> {"dtype", "shape", "data_offsets":
 * [begin, end]} (offsets relative to the data start), plus an optional "__metadata__" object of
 * string -> string. The checks mirror the reference implementation's validate(): the header
 * starts with '{', byte ranges equal shape x dtype size, are contiguous from 0 and end exactly
 * at the end of the file. */
#define _POSIX_C_SOURCE 200809L
#include "nn_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The reference implementation's MAX_HEADER_SIZE (safetensors/src/tensor.rs). */
#define ST_MAX_HEADER 100000000u

typedef struct st_meta {
    char *key;
    char *value;
} st_meta;

struct clef_weights {
    clef_ctx *ctx;
    clefi_err err;
    void *buf; /* whole file image */
    size_t len;
    clefi_st_release_fn release;
    clefi_st_tensor *t; /* in data order */
    size_t n_t;
    size_t *by_name; /* tensor indices sorted by name */
    st_meta *meta;
    size_t n_meta;
};

/* ---- parsing ---- */

typedef struct st_parse {
    clef_weights *w;
    const unsigned char *data;
    size_t data_len;
    size_t *begin; /* per tensor, for the contiguity check */
} st_parse;

/* A JSON integer in [0, SIZE_MAX] (and int64 range). */
static int json_size(const json_t *v, size_t *out) {
    if (!json_is_integer(v))
        return 1;
    json_int_t x = json_integer_value(v);
    if (x < 0 || (unsigned long long)x > SIZE_MAX)
        return 1;
    *out = (size_t)x;
    return 0;
}

static clef_status parse_shape(clef_weights *w, const char *name, const json_t *js,
                               clefi_st_tensor *t) {
    if (!json_is_array(js))
        return clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT, "tensor '%s': \"shape\" is not an array",
                               name);
    size_t rank = json_array_size(js);
    if (rank > CLEF_WEIGHTS_MAX_RANK)
        return clefi_ctx_error(w->ctx, CLEF_ERR_UNSUPPORTED, "tensor '%s': rank %zu exceeds %d",
                               name, rank, CLEF_WEIGHTS_MAX_RANK);
    t->rank = (int32_t)rank;
    for (size_t i = 0; i < rank; i++) {
        const json_t *d = json_array_get(js, i);
        if (!json_is_integer(d) || json_integer_value(d) < 0)
            return clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT,
                                   "tensor '%s': shape[%zu] is not a non-negative integer", name,
                                   i);
        t->shape[i] = (int64_t)json_integer_value(d);
    }
    size_t es = clef_dtype_size(t->dtype);
    if (clefi_shape_numel(t->shape, t->rank, &t->numel) ||
        clefi_mul_overflow(t->numel, es, &t->nbytes))
        return clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT, "tensor '%s': shape product overflows",
                               name);
    return CLEF_OK;
}

static clef_status parse_tensor(st_parse *st, const char *name, const json_t *obj, size_t k) {
    clef_weights *w = st->w;
    clefi_st_tensor *t = &w->t[k];
    if (!json_is_object(obj))
        return clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT, "tensor '%s': entry is not an object",
                               name);
    if (name[0] == '\0')
        return clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT, "tensor name is empty");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        if (strcmp(key, "dtype") != 0 && strcmp(key, "shape") != 0 &&
            strcmp(key, "data_offsets") != 0)
            return clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT, "tensor '%s': unknown field '%s'", name,
                                   key);
    }
    const json_t *jd = json_object_get(obj, "dtype");
    const json_t *js = json_object_get(obj, "shape");
    const json_t *jo = json_object_get(obj, "data_offsets");
    if (jd == NULL || js == NULL || jo == NULL)
        return clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT, "tensor '%s': missing field '%s'", name,
                               jd == NULL   ? "dtype"
                               : js == NULL ? "shape"
                                            : "data_offsets");
    if (!json_is_string(jd))
        return clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT, "tensor '%s': \"dtype\" is not a string",
                               name);
    t->dtype = clefi_dtype_parse(json_string_value(jd));
    if (t->dtype == 0)
        return clefi_ctx_error(w->ctx, CLEF_ERR_UNSUPPORTED, "tensor '%s': unknown dtype '%s'",
                               name, json_string_value(jd));
    clef_status rc = parse_shape(w, name, js, t);
    if (rc != CLEF_OK)
        return rc;
    size_t b, e;
    if (!json_is_array(jo) || json_array_size(jo) != 2 || json_size(json_array_get(jo, 0), &b) ||
        json_size(json_array_get(jo, 1), &e))
        return clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT,
                               "tensor '%s': \"data_offsets\" is not [begin, end] of non-negative "
                               "integers",
                               name);
    if (e < b || e > st->data_len)
        return clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT,
                               "tensor '%s': data_offsets [%zu, %zu] outside the %zu data bytes",
                               name, b, e, st->data_len);
    if (e - b != t->nbytes)
        return clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT,
                               "tensor '%s': data_offsets span %zu bytes, shape x %s needs %zu",
                               name, e - b, clef_dtype_name(t->dtype), t->nbytes);
    t->name = clefi_strdup(w->ctx, name);
    if (t->name == NULL)
        return clefi_ctx_error(w->ctx, CLEF_ERR_NOMEM, "out of memory copying tensor names");
    t->data = st->data + b;
    st->begin[k] = b;
    return CLEF_OK;
}

static clef_status parse_meta(clef_weights *w, const json_t *obj) {
    if (!json_is_object(obj))
        return clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT, "\"__metadata__\" is not an object");
    size_t n = json_object_size(obj);
    w->meta = clefi_calloc(w->ctx, n ? n : 1, sizeof *w->meta);
    if (w->meta == NULL)
        return clefi_ctx_error(w->ctx, CLEF_ERR_NOMEM, "out of memory for metadata");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        if (!json_is_string(v))
            return clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT, "metadata '%s': value is not a string",
                                   key);
        st_meta *m = &w->meta[w->n_meta];
        m->key = clefi_strdup(w->ctx, key);
        m->value = m->key ? clefi_strdup(w->ctx, json_string_value(v)) : NULL;
        if (m->value == NULL) {
            clefi_free(w->ctx, m->key);
            return clefi_ctx_error(w->ctx, CLEF_ERR_NOMEM, "out of memory for metadata");
        }
        w->n_meta++;
    }
    return CLEF_OK;
}

/* Sort keys: qsort has no context argument, so the comparators use small structs. */
typedef struct st_order {
    size_t key; /* data begin */
    size_t end; /* data end: zero-size tensors sort before a tensor at the same begin */
    size_t idx;
    const char *name;
} st_order;

static int cmp_begin(const void *a, const void *b) {
    const st_order *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(((const st_order *)a)->name, ((const st_order *)b)->name);
}

/* Put tensors in data order, check contiguity, build the name index. */
static clef_status order_tensors(st_parse *st) {
    clef_weights *w = st->w;
    size_t n = w->n_t;
    st_order *o = clefi_calloc(w->ctx, n ? n : 1, sizeof *o);
    clefi_st_tensor *t = clefi_calloc(w->ctx, n ? n : 1, sizeof *t);
    w->by_name = clefi_calloc(w->ctx, n ? n : 1, sizeof *w->by_name);
    if (o == NULL || t == NULL || w->by_name == NULL) {
        clefi_free(w->ctx, o);
        clefi_free(w->ctx, t);
        return clefi_ctx_error(w->ctx, CLEF_ERR_NOMEM, "out of memory indexing tensors");
    }
    for (size_t i = 0; i < n; i++)
        o[i] = (st_order){st->begin[i], st->begin[i] + w->t[i].nbytes, i, w->t[i].name};
    qsort(o, n, sizeof *o, cmp_begin);
    size_t end = 0;
    clef_status rc = CLEF_OK;
    for (size_t i = 0; i < n && rc == CLEF_OK; i++) {
        const clefi_st_tensor *x = &w->t[o[i].idx];
        if (o[i].key != end)
            rc = clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT,
                                 "tensor '%s': data begin at %zu, expected %zu (data must be "
                                 "contiguous, without overlap or gap)",
                                 x->name, o[i].key, end);
        end = o[i].key + x->nbytes;
        t[i] = *x;
    }
    if (rc == CLEF_OK && end != st->data_len)
        rc = clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT,
                             "tensors cover %zu data bytes but the file holds %zu", end,
                             st->data_len);
    if (rc == CLEF_OK) {
        clefi_free(w->ctx, w->t);
        w->t = t;
        for (size_t i = 0; i < n; i++)
            o[i] = (st_order){0, 0, i, t[i].name};
        qsort(o, n, sizeof *o, cmp_name);
        for (size_t i = 0; i < n; i++)
            w->by_name[i] = o[i].idx;
    } else {
        clefi_free(w->ctx, t);
    }
    clefi_free(w->ctx, o);
    return rc;
}

static clef_status parse_root(st_parse *st, json_t *root) {
    clef_weights *w = st->w;
    if (!json_is_object(root))
        return clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT, "header JSON is not an object");
    const json_t *meta = json_object_get(root, "__metadata__");
    size_t n = json_object_size(root) - (meta != NULL);
    w->t = clefi_calloc(w->ctx, n ? n : 1, sizeof *w->t);
    st->begin = clefi_calloc(w->ctx, n ? n : 1, sizeof *st->begin);
    if (w->t == NULL || st->begin == NULL)
        return clefi_ctx_error(w->ctx, CLEF_ERR_NOMEM, "out of memory for %zu tensors", n);
    clef_status rc = meta != NULL ? parse_meta(w, meta) : CLEF_OK;
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (rc != CLEF_OK)
            break;
        if (v == meta)
            continue;
        rc = parse_tensor(st, key, v, w->n_t);
        if (rc == CLEF_OK)
            w->n_t++;
    }
    return rc != CLEF_OK ? rc : order_tensors(st);
}

static clef_status parse_image(clef_weights *w) {
    const unsigned char *p = w->buf;
    if (w->len < 8)
        return clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT,
                               "file is %zu bytes, shorter than the 8-byte header length", w->len);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | p[i];
    if (n > ST_MAX_HEADER || n > w->len - 8)
        return clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT,
                               "header length %llu exceeds the file (%zu bytes) or the %u-byte "
                               "limit",
                               (unsigned long long)n, w->len, ST_MAX_HEADER);
    if (n < 2 || p[8] != '{')
        return clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT, "header does not start with '{'");
    json_error_t jerr;
    json_t *root = json_loadb((const char *)p + 8, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return clefi_ctx_error(w->ctx, CLEF_ERR_FORMAT, "header JSON, byte %d: %s", jerr.position,
                               jerr.text);
    st_parse st = {w, p + 8 + n, w->len - 8 - (size_t)n, NULL};
    clef_status rc = parse_root(&st, root);
    clefi_free(w->ctx, st.begin);
    json_decref(root);
    return rc;
}

void clef_weights_free(clef_weights *w) {
    if (w == NULL)
        return;
    clef_ctx *ctx = w->ctx;
    for (size_t i = 0; w->t != NULL && i < w->n_t; i++)
        clefi_free(ctx, (void *)w->t[i].name);
    for (size_t i = 0; i < w->n_meta; i++) {
        clefi_free(ctx, w->meta[i].key);
        clefi_free(ctx, w->meta[i].value);
    }
    clefi_free(ctx, w->t);
    clefi_free(ctx, w->by_name);
    clefi_free(ctx, w->meta);
    if (w->release != NULL)
        w->release(ctx, w->buf, w->len);
    clefi_free(ctx, w);
    clefi_ctx_release(ctx);
}

clef_status clefi_weights_parse(clef_weights **out, clef_ctx *ctx, void *buf, size_t len,
                                clefi_st_release_fn release) {
    *out = NULL;
    clef_weights *w = clefi_calloc(ctx, 1, sizeof *w);
    if (w == NULL) {
        if (release != NULL)
            release(ctx, buf, len);
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "out of memory for a weights handle");
    }
    w->ctx = clefi_ctx_retain(ctx);
    w->buf = buf;
    w->len = len;
    w->release = release;
    clef_status rc = parse_image(w);
    if (rc != CLEF_OK) {
        clef_weights_free(w);
        return rc;
    }
    *out = w;
    return CLEF_OK;
}

/* ---- opening ---- */

static void release_owned(clef_ctx *ctx, void *buf, size_t len) {
    (void)len;
    clefi_free(ctx, buf);
}

static void release_map(clef_ctx *ctx, void *buf, size_t len) {
    (void)ctx;
    munmap(buf, len);
}

clef_status clef_weights_open_memory(clef_weights **out, clef_ctx *ctx, const void *data,
                                     size_t size) {
    clefi_reset(ctx);
    if (out == NULL)
        return CLEF_ERR_INVALID_ARG;
    *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (data == NULL && size > 0)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "data is NULL with size %zu", size);
    void *copy = clefi_malloc(ctx, size);
    if (copy == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "out of memory copying %zu bytes", size);
    if (size > 0)
        memcpy(copy, data, size);
    return clefi_weights_parse(out, ctx, copy, size, release_owned);
}

clef_status clef_weights_open(clef_weights **out, clef_ctx *ctx, const char *path) {
    clefi_reset(ctx);
    if (out == NULL)
        return CLEF_ERR_INVALID_ARG;
    *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (path == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "path is NULL");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not block */
    if (fd < 0)
        return clefi_ctx_error(ctx, CLEF_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return clefi_ctx_error(ctx, CLEF_ERR_IO, "'%s' is not a regular file", path);
    }
    size_t len = (size_t)sb.st_size;
    if (len < 8) { /* also avoids mmap of an empty file */
        close(fd);
        return clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                               "'%s' is %zu bytes, shorter than the 8-byte header length", path,
                               len);
    }
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    int map_errno = errno;
    close(fd);
    if (map == MAP_FAILED)
        return clefi_ctx_error(ctx, CLEF_ERR_IO, "cannot map '%s': %s", path, strerror(map_errno));
    return clefi_weights_parse(out, ctx, map, len, release_map);
}

/* ---- access ---- */

const clefi_st_tensor *clefi_weights_tensor(const clef_weights *w, size_t i) {
    return w != NULL && i < w->n_t ? &w->t[i] : NULL;
}

int64_t clefi_weights_lookup(const clef_weights *w, const char *name) {
    size_t lo = 0, hi = w->n_t;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(w->t[w->by_name[mid]].name, name);
        if (c == 0)
            return (int64_t)w->by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

clef_ctx *clefi_weights_ctx(const clef_weights *w) { return w->ctx; }
clefi_err *clefi_weights_err(clef_weights *w) { return &w->err; }

const char *clef_weights_errmsg(const clef_weights *w) { return w != NULL ? w->err.msg : ""; }

int64_t clef_weights_n_tensors(const clef_weights *w) { return w != NULL ? (int64_t)w->n_t : 0; }

int64_t clef_weights_meta_count(const clef_weights *w) {
    return w != NULL ? (int64_t)w->n_meta : 0;
}

clef_status clef_weights_errcode(const clef_weights *w) {
    return w != NULL ? w->err.code : CLEF_ERR_INVALID_ARG;
}

/* Find a tensor by name for a public call, recording NOT_FOUND on the handle. */
static clef_status find(clef_weights *w, const char *name, const clefi_st_tensor **t) {
    if (name == NULL)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_INVALID_ARG, "tensor name is NULL");
    int64_t i = clefi_weights_lookup(w, name);
    if (i < 0)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_NOT_FOUND, "no tensor named '%s'", name);
    *t = &w->t[i];
    return CLEF_OK;
}

static clef_status at(clef_weights *w, int64_t index, const clefi_st_tensor **t) {
    if (index < 0 || (uint64_t)index >= w->n_t)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_RANGE, "tensor index %lld outside [0, %zu)",
                           (long long)index, w->n_t);
    *t = &w->t[index];
    return CLEF_OK;
}

clef_status clef_weights_tensor_index(clef_weights *w, const char *name, int64_t *index_out) {
    clefi_reset(w);
    if (w == NULL || index_out == NULL)
        return CLEF_ERR_INVALID_ARG;
    *index_out = -1;
    const clefi_st_tensor *t = NULL;
    clef_status rc = find(w, name, &t);
    if (rc == CLEF_OK)
        *index_out = t - w->t;
    return rc;
}

clef_status clef_weights_tensor_info(clef_weights *w, int64_t index, const char **name,
                                     int32_t *dtype, int32_t *rank, int64_t *numel) {
    clefi_reset(w);
    if (w == NULL)
        return CLEF_ERR_INVALID_ARG;
    const clefi_st_tensor *t = NULL;
    clef_status rc = at(w, index, &t);
    if (rc != CLEF_OK)
        return rc;
    if (name != NULL)
        *name = t->name;
    if (dtype != NULL)
        *dtype = t->dtype;
    if (rank != NULL)
        *rank = t->rank;
    if (numel != NULL)
        *numel = (int64_t)t->numel;
    return CLEF_OK;
}

clef_status clef_weights_tensor_shape(clef_weights *w, int64_t index, int64_t *shape, size_t cap,
                                      size_t *needed) {
    clefi_reset(w);
    if (w == NULL || (shape == NULL && cap > 0))
        return CLEF_ERR_INVALID_ARG;
    const clefi_st_tensor *t = NULL;
    clef_status rc = at(w, index, &t);
    if (rc != CLEF_OK)
        return rc;
    if (needed != NULL)
        *needed = (size_t)t->rank;
    if (cap < (size_t)t->rank)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_BUFFER_TOO_SMALL,
                           "tensor '%s' has rank %d, shape buffer holds %zu", t->name, (int)t->rank,
                           cap);
    for (int32_t i = 0; i < t->rank; i++)
        shape[i] = t->shape[i];
    return CLEF_OK;
}

/* The argument check and lookup shared by the readers into a caller buffer. */
static clef_status find_for_read(clef_weights *w, const char *name, const void *out, size_t cap,
                                 const clefi_st_tensor **t) {
    if (w == NULL || (out == NULL && cap > 0))
        return CLEF_ERR_INVALID_ARG;
    return find(w, name, t);
}

/* Report the n units a read needs and check that the caller's buffer of cap holds them. */
static clef_status check_fits(clef_weights *w, const char *name, size_t n, const char *unit,
                              size_t cap, size_t *needed) {
    if (needed != NULL)
        *needed = n;
    if (cap < n)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_BUFFER_TOO_SMALL,
                           "tensor '%s' has %zu %s, buffer holds %zu", name, n, unit, cap);
    return CLEF_OK;
}

clef_status clef_weights_read_f32(clef_weights *w, const char *name, float *out, size_t cap,
                                  size_t *needed) {
    clefi_reset(w);
    const clefi_st_tensor *t = NULL;
    clef_status rc = find_for_read(w, name, out, cap, &t);
    if (rc != CLEF_OK)
        return rc;
    if (!clefi_dtype_is_float(t->dtype))
        return clefi_error(w->ctx, &w->err, CLEF_ERR_UNSUPPORTED,
                           "tensor '%s' has dtype %s; read as float32 needs F32, F16 or BF16", name,
                           clef_dtype_name(t->dtype));
    rc = check_fits(w, name, t->numel, "elements", cap, needed);
    if (rc != CLEF_OK)
        return rc;
    clefi_dtype_to_f32(t->dtype, t->data, out, t->numel);
    return CLEF_OK;
}

clef_status clef_weights_read_raw(clef_weights *w, const char *name, void *out, size_t cap,
                                  size_t *needed) {
    clefi_reset(w);
    const clefi_st_tensor *t = NULL;
    clef_status rc = find_for_read(w, name, out, cap, &t);
    if (rc != CLEF_OK)
        return rc;
    rc = check_fits(w, name, t->nbytes, "bytes", cap, needed);
    if (rc != CLEF_OK)
        return rc;
    if (t->nbytes > 0)
        memcpy(out, t->data, t->nbytes);
    return CLEF_OK;
}

clef_status clef_weights_meta_get(clef_weights *w, const char *key, const char **value) {
    clefi_reset(w);
    if (w == NULL || value == NULL)
        return CLEF_ERR_INVALID_ARG;
    *value = NULL;
    if (key == NULL)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_INVALID_ARG, "metadata key is NULL");
    for (size_t i = 0; i < w->n_meta; i++) {
        if (strcmp(w->meta[i].key, key) == 0) {
            *value = w->meta[i].value;
            return CLEF_OK;
        }
    }
    return clefi_error(w->ctx, &w->err, CLEF_ERR_NOT_FOUND, "no metadata key '%s'", key);
}

clef_status clef_weights_meta_at(clef_weights *w, int64_t index, const char **key,
                                 const char **value) {
    clefi_reset(w);
    if (w == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (index < 0 || (uint64_t)index >= w->n_meta)
        return clefi_error(w->ctx, &w->err, CLEF_ERR_RANGE, "metadata index %lld outside [0, %zu)",
                           (long long)index, w->n_meta);
    if (key != NULL)
        *key = w->meta[index].key;
    if (value != NULL)
        *value = w->meta[index].value;
    return CLEF_OK;
}
