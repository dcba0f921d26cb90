/* test_npy.c — NumPy .npy reader for tests (format spec: numpy/lib/format.py, NEP 1). */
#include "test_npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(FILE *f, const char *path, const char *why) {
    fprintf(stderr, "test_npy: %s: %s\n", path, why);
    if (f != NULL)
        fclose(f);
    return -1;
}

static int parse_header(const char *h, test_npy *out) {
    const char *d = strstr(h, "'descr':");
    const char *fo = strstr(h, "'fortran_order':");
    const char *sh = strstr(h, "'shape':");
    if (d == NULL || fo == NULL || sh == NULL)
        return -1;
    d = strchr(d + 8, '\'');
    if (d == NULL || (d[1] != '<' && d[1] != '|'))
        return -1; /* little-endian or byte-sized only */
    out->dtype = d[2];
    out->itemsize = atoi(d + 3);
    if ((out->dtype != 'f' && out->dtype != 'i' && out->dtype != 'u') ||
        (out->itemsize != 1 && out->itemsize != 2 && out->itemsize != 4 && out->itemsize != 8))
        return -1;
    if (strncmp(strchr(fo, ':') + 1, " False", 6) != 0)
        return -1;
    const char *p = strchr(sh, '(');
    if (p == NULL)
        return -1;
    p++;
    out->ndim = 0;
    out->count = 1;
    while (*p != ')' && *p != '\0') {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == ')')
            break;
        char *end = NULL;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p || out->ndim == 8)
            return -1;
        out->shape[out->ndim++] = (size_t)v;
        out->count *= (size_t)v;
        p = end;
    }
    return 0;
}

int test_npy_load(const char *path, test_npy *out) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return fail(NULL, path, "cannot open");
    unsigned char pre[12];
    if (fread(pre, 1, 8, f) != 8 || memcmp(pre, "\x93NUMPY", 6) != 0)
        return fail(f, path, "not an .npy file");
    size_t hl;
    if (pre[6] == 1) {
        if (fread(pre + 8, 1, 2, f) != 2)
            return fail(f, path, "truncated");
        hl = (size_t)pre[8] | ((size_t)pre[9] << 8);
    } else {
        if (fread(pre + 8, 1, 4, f) != 4)
            return fail(f, path, "truncated");
        hl = (size_t)pre[8] | ((size_t)pre[9] << 8) | ((size_t)pre[10] << 16) |
             ((size_t)pre[11] << 24);
    }
    char *h = malloc(hl + 1);
    if (h == NULL || fread(h, 1, hl, f) != hl) {
        free(h);
        return fail(f, path, "truncated header");
    }
    h[hl] = '\0';
    int bad = parse_header(h, out);
    free(h);
    if (bad)
        return fail(f, path, "unsupported header (dtype, order or shape)");
    size_t bytes = out->count * (size_t)out->itemsize;
    out->data = malloc(bytes ? bytes : 1);
    if (out->data == NULL || fread(out->data, 1, bytes, f) != bytes) {
        free(out->data);
        out->data = NULL;
        return fail(f, path, "truncated data");
    }
    fclose(f);
    return 0;
}

double *test_npy_as_f64(const test_npy *a) {
    double *o = malloc((a->count ? a->count : 1) * sizeof *o);
    if (o == NULL)
        return NULL;
    for (size_t i = 0; i < a->count; i++) {
        const unsigned char *p = (const unsigned char *)a->data + i * (size_t)a->itemsize;
        if (a->dtype == 'f' && a->itemsize == 8) {
            double v;
            memcpy(&v, p, 8);
            o[i] = v;
        } else if (a->dtype == 'f' && a->itemsize == 4) {
            float v;
            memcpy(&v, p, 4);
            o[i] = v;
        } else if (a->dtype == 'i' || a->dtype == 'u') {
            uint64_t u = 0;
            memcpy(&u, p, (size_t)a->itemsize); /* little-endian host */
            if (a->dtype == 'i' && a->itemsize < 8 && (u >> (8 * a->itemsize - 1)) & 1)
                u |= ~(uint64_t)0 << (8 * a->itemsize);
            o[i] = a->dtype == 'i' ? (double)(int64_t)u : (double)u;
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

void test_npy_free(test_npy *a) {
    free(a->data);
    a->data = NULL;
}
