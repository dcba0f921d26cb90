/* cli_npy.c — NumPy .npy reader (format versions 1-3) and writer (format 1.0); cli_npy.h. */
#include "cli_npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The header dict, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (19, 128), }. */
static const char *parse_header(const char *h, cli_npy *a) {
    const char *d = strstr(h, "'descr':");
    const char *fo = strstr(h, "'fortran_order':");
    const char *sh = strstr(h, "'shape':");
    if (d == NULL || fo == NULL || sh == NULL)
        return "header lacks descr, fortran_order or shape";
    d = strchr(d + 8, '\'');
    if (d == NULL || (d[1] != '<' && d[1] != '|'))
        return "not a little-endian dtype";
    a->kind = d[2];
    a->itemsize = atoi(d + 3);
    if ((a->kind != 'f' && a->kind != 'i' && a->kind != 'u') ||
        (a->itemsize != 1 && a->itemsize != 2 && a->itemsize != 4 && a->itemsize != 8) ||
        (a->kind == 'f' && a->itemsize < 4))
        return "dtype is not an integer, float32 or float64";
    if (strncmp(fo + 16, " False", 6) != 0)
        return "not in C order";
    const char *p = strchr(sh, '(');
    if (p == NULL)
        return "bad shape";
    p++;
    a->count = 1;
    for (;;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == ')')
            break;
        char *end = NULL;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p || a->ndim == CLI_NPY_MAX_DIMS || v > INT64_MAX ||
            (v != 0 && a->count > SIZE_MAX / (size_t)a->itemsize / v))
            return "bad shape";
        a->shape[a->ndim++] = (int64_t)v;
        a->count *= (size_t)v;
        p = end;
    }
    return NULL;
}

int cli_npy_read(const char *path, cli_npy *a, const char **why) {
    memset(a, 0, sizeof *a);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        *why = "cannot open the file";
        return -1;
    }
    uint8_t pre[12];
    size_t hlen = 0;
    char *h = NULL;
    *why = "not an .npy file";
    if (fread(pre, 1, 8, f) == 8 && memcmp(pre, "\x93NUMPY", 6) == 0 && pre[6] >= 1 &&
        pre[6] <= 3) {
        a->version = pre[6];
        size_t nl = a->version == 1 ? 2 : 4; /* header length: uint16, or uint32 from 2.0 */
        *why = "truncated header";
        if (fread(pre + 8, 1, nl, f) == nl) {
            for (size_t i = 0; i < nl; i++)
                hlen |= (size_t)pre[8 + i] << (8 * i);
            a->data_offset = 8 + nl + hlen;
            h = malloc(hlen + 1);
        }
    }
    if (h != NULL && fread(h, 1, hlen, f) == hlen) {
        h[hlen] = '\0';
        *why = parse_header(h, a);
        if (*why == NULL) {
            size_t bytes = a->count * (size_t)a->itemsize;
            a->data = malloc(bytes ? bytes : 1);
            if (a->data == NULL || fread(a->data, 1, bytes, f) != bytes)
                *why = "truncated data";
            else
                a->trailing = fgetc(f) != EOF;
        }
    }
    free(h);
    fclose(f);
    if (*why != NULL) {
        cli_npy_free(a);
        return -1;
    }
    return 0;
}

void cli_npy_free(cli_npy *a) {
    free(a->data);
    memset(a, 0, sizeof *a);
}

int cli_npy_read_f32_2d(const char *path, float **data, int64_t *rows, int64_t *cols,
                        const char **why) {
    cli_npy a;
    *data = NULL;
    *rows = *cols = 0;
    if (cli_npy_read(path, &a, why) != 0)
        return -1;
    if (a.kind != 'f' || a.itemsize != 4 || a.ndim != 2 || a.count == 0) {
        *why = "not a float32 C-order 2-D .npy";
        cli_npy_free(&a);
        return -1;
    }
    *data = a.data;
    *rows = a.shape[0];
    *cols = a.shape[1];
    return 0;
}

int cli_npy_write_f32(const char *path, const float *data, const int64_t *shape, int ndim) {
    return cli_npy_write(path, "<f4", sizeof *data, data, shape, ndim);
}

int cli_npy_write(const char *path, const char *descr, size_t elem_size, const void *data,
                  const int64_t *shape, int ndim) {
    char dict[256];
    int n =
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%lld,%s", (long long)shape[i],
                      i + 1 < ndim ? " " : "");
        count *= (size_t)shape[i];
    }
    n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");
    /* magic (6) + version (2) + header length (2) + dict + spaces + '\n', a multiple of 64 */
    size_t total = ((size_t)10 + (size_t)n + 1 + 63) / 64 * 64, hlen = total - 10;
    uint8_t head[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (uint8_t)hlen, (uint8_t)(hlen >> 8)};
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    int ok = fwrite(head, 1, 10, f) == 10 && fwrite(dict, 1, (size_t)n, f) == (size_t)n;
    for (size_t i = (size_t)n; ok && i + 1 < hlen; i++)
        ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF && fwrite(data, elem_size, count, f) == count;
    return fclose(f) == 0 && ok ? 0 : -1;
}
