/* test_npy.h — NumPy .npy files in tests: golden vectors and the clef program's outputs. The
 * reader is the clef program's (tools/cli/cli_npy.c, linked into the tests that use this). */
#ifndef CLEF_TEST_NPY_H
#define CLEF_TEST_NPY_H

#include "../../tools/cli/cli_npy.h"

typedef cli_npy test_npy;

/* Load path into *out; returns 0, or -1 with a message on stderr. */
int test_npy_load(const char *path, test_npy *out);
void test_npy_free(test_npy *a);
/* Elements converted to double (malloc'd, count elements); NULL on a type it cannot read. */
double *test_npy_as_f64(const test_npy *a);
/* Elements converted to float (malloc'd). */
float *test_npy_as_f32(const test_npy *a);
/* The file tests/data/<name> as *count floats or doubles (malloc'd); fails the test when it
 * cannot be read. */
float *test_npy_data_f32(const char *name, size_t *count);
double *test_npy_data_f64(const char *name, size_t *count);
/* Load a .npy the clef program wrote and check its layout: format 1.0, a header padded to 64
 * bytes, nothing after the data, the dtype (kind 'f', 'i' or 'u', itemsize) and ndim given;
 * fails the test otherwise. */
void test_npy_load_cli(const char *path, char kind, int itemsize, int ndim, test_npy *out);

#endif
