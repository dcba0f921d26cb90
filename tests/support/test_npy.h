/* test_npy.h — a tiny reader of NumPy .npy files (format versions 1-3, little-endian,
 * C order) for golden-vector tests. Reusable by every module's tests. */
#ifndef CLEF_TEST_NPY_H
#define CLEF_TEST_NPY_H

#include <stddef.h>
#include <stdint.h>

typedef struct test_npy {
    char dtype;   /* 'f' float, 'i' signed int, 'u' unsigned int */
    int itemsize; /* bytes per element: 1, 2, 4 or 8 */
    int ndim;     /* 0..8 */
    size_t shape[8];
    size_t count; /* product of shape */
    void *data;   /* raw elements (malloc'd) */
} test_npy;

/* Load path into *out; returns 0, or -1 with a message on stderr. */
int test_npy_load(const char *path, test_npy *out);
/* Elements converted to double (malloc'd, count elements); NULL on a type it cannot read. */
double *test_npy_as_f64(const test_npy *a);
/* Elements converted to float (malloc'd). */
float *test_npy_as_f32(const test_npy *a);
void test_npy_free(test_npy *a);

#endif
