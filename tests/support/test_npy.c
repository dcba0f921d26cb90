/* test_npy.c — .npy files in tests (test_npy.h), over the clef program's reader. */
#include "test_npy.h"

#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int test_npy_load(const char *path, test_npy *out) {
    const char *why = NULL;
    if (cli_npy_read(path, out, &why) != 0) {
        fprintf(stderr, "test_npy: %s: %s\n", path, why);
        return -1;
    }
    return 0;
}

void test_npy_free(test_npy *a) { cli_npy_free(a); }

double *test_npy_as_f64(const test_npy *a) {
    double *o = malloc((a->count ? a->count : 1) * sizeof *o);
    if (o == NULL)
        return NULL;
    for (size_t i = 0; i < a->count; i++) {
        const unsigned char *p = (const unsigned char *)a->data + i * (size_t)a->itemsize;
        if (a->kind == 'f' && a->itemsize == 8) {
            double v;
            memcpy(&v, p, 8);
            o[i] = v;
        } else if (a->kind == 'f' && a->itemsize == 4) {
            float v;
            memcpy(&v, p, 4);
            o[i] = v;
        } else if (a->kind == 'i' || a->kind == 'u') {
            uint64_t u = 0;
            memcpy(&u, p, (size_t)a->itemsize); /* little-endian host */
            if (a->kind == 'i' && a->itemsize < 8 && (u >> (8 * a->itemsize - 1)) & 1)
                u |= ~(uint64_t)0 << (8 * a->itemsize);
            o[i] = a->kind == 'i' ? (double)(int64_t)u : (double)u;
        } else {
            free(o);
            return NULL;
        }
    }
    return o;
}

float *test_npy_as_f32(const test_npy *a) {
    double *d = test_npy_as_f64(a);
    float *o = d ? malloc((a->count ? a->count : 1) * sizeof *o) : NULL;
    for (size_t i = 0; o != NULL && i < a->count; i++)
        o[i] = (float)d[i];
    free(d);
    return o;
}

static void *load_data(const char *name, size_t *count, int f32) {
    const char *path = test_data_path(name);
    test_npy a;
    if (test_npy_load(path, &a) != 0)
        fail_msg("cannot load %s", path);
    void *x = f32 ? (void *)test_npy_as_f32(&a) : (void *)test_npy_as_f64(&a);
    if (x == NULL)
        fail_msg("%s: cannot convert its elements", path);
    *count = a.count;
    test_npy_free(&a);
    return x;
}

float *test_npy_data_f32(const char *name, size_t *count) { return load_data(name, count, 1); }

double *test_npy_data_f64(const char *name, size_t *count) { return load_data(name, count, 0); }

void test_npy_load_cli(const char *path, char kind, int itemsize, int ndim, test_npy *out) {
    if (test_npy_load(path, out) != 0)
        fail_msg("cannot load %s", path);
    assert_int_equal(out->version, 1);
    assert_int_equal(out->data_offset % 64, 0);
    assert_false(out->trailing);
    assert_int_equal(out->kind, kind);
    assert_int_equal(out->itemsize, itemsize);
    assert_int_equal(out->ndim, ndim);
}
