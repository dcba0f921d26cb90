/* cli_npy.h — NumPy .npy files (numpy/lib/format.py, NEP 1): the one reader and writer of the
 * non-library code (the clef program; tests/support/test_npy.c builds on it). */
#ifndef CLEF_CLI_NPY_H
#define CLEF_CLI_NPY_H

#include <stddef.h>
#include <stdint.h>

#define CLI_NPY_MAX_DIMS 8

/* A loaded array: little-endian (or byte-sized) numbers in C order. */
typedef struct cli_npy {
    int version;        /* format major version: 1, 2 or 3 */
    size_t data_offset; /* bytes before the data (magic, version, length, header) */
    char kind;          /* 'f' float, 'i' signed int, 'u' unsigned int */
    int itemsize;       /* bytes per element: 1, 2, 4 or 8 */
    int ndim;           /* 0 .. CLI_NPY_MAX_DIMS */
    int64_t shape[CLI_NPY_MAX_DIMS];
    size_t count; /* product of shape */
    int trailing; /* 1 when the file holds bytes after the data */
    void *data;   /* count * itemsize bytes (malloc'd) */
} cli_npy;

/* Read path into *a. Returns 0, or -1 with a reason in why (a static string) and *a empty. */
int cli_npy_read(const char *path, cli_npy *a, const char **why);
void cli_npy_free(cli_npy *a);

/* Read a float32 .npy of 2 dimensions (C order, '<f4'); *data is malloc'd. Returns 0, or -1 with
 * a reason in why. */
int cli_npy_read_f32_2d(const char *path, float **data, int64_t *rows, int64_t *cols,
                        const char **why);

/* Write a float32 .npy (format 1.0, little-endian '<f4', C order) of the given shape.
 * Returns 0 on success, -1 on an I/O error. */
int cli_npy_write_f32(const char *path, const float *data, const int64_t *shape, int ndim);
/* The same for a dtype descr ('<i4', '<u2', ...) of elem_size bytes; data are written in host
 * order, so descr must say the host's ('<' on the little-endian hosts libclef supports). */
int cli_npy_write(const char *path, const char *descr, size_t elem_size, const void *data,
                  const int64_t *shape, int ndim);

#endif
