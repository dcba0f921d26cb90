/* dsp_test_util.h — helpers shared by the dsp tests: golden files, deterministic noise,
 * spectrogram construction from key/value pairs. */
#ifndef CLEF_DSP_TEST_UTIL_H
#define CLEF_DSP_TEST_UTIL_H

#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Whole file at path into a malloc'd, NUL-terminated buffer (fails the test if missing). */
static inline void *dt_read_abs(const char *path, size_t *size) {
    void *buf = test_read_file(path, size);
    if (buf == NULL)
        fail_msg("cannot open %s", path);
    return buf;
}

/* The same for a file under tests/data. */
static inline void *dt_read(const char *name, size_t *size) {
    return dt_read_abs(test_data_path(name), size);
}

/* Next line of a NUL-terminated text buffer (modified in place), NULL at the end. */
static inline char *dt_line(char **cursor) {
    char *line = *cursor;
    if (line == NULL || *line == 0)
        return NULL;
    char *nl = strchr(line, '\n');
    if (nl != NULL) {
        *nl = 0;
        *cursor = nl + 1;
    } else {
        *cursor = line + strlen(line);
    }
    return line;
}

/* xorshift64* uniform in [0, 1) and Box-Muller normals: reproducible test signals. */
static inline double dt_uniform(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}
static inline double dt_normal(uint64_t *s) {
    double u = dt_uniform(s), v = dt_uniform(s);
    return sqrt(-2.0 * log(u + 1e-300)) * cos(2.0 * M_PI * v);
}
/* n_ch x n EEG-like float rows: alpha sine, 1/f-ish drift and white noise. */
static inline float *dt_signal(int64_t n_ch, int64_t n, uint64_t seed) {
    float *x = malloc((size_t)(n_ch * n) * sizeof(float));
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int64_t c = 0; c < n_ch; c++) {
        double drift = 0.0;
        for (int64_t t = 0; t < n; t++) {
            drift = 0.99 * drift + dt_normal(&s);
            x[c * n + t] =
                (float)(10.0 * sin(2 * M_PI * (8.0 + c) * t / 200.0) + drift + 3.0 * dt_normal(&s));
        }
    }
    return x;
}

/* A spectrogram from CLEF defaults plus "key=value" overrides (NULL-terminated). */
static inline clef_status dt_spec(clef_spectrogram **out, clef_ctx *ctx, const char *const *kv) {
    clef_params *p = NULL;
    clef_status rc = clef_params_create(&p, ctx, CLEF_PARAMS_SPEC);
    for (int i = 0; rc == CLEF_OK && kv != NULL && kv[i] != NULL; i++) {
        char name[64];
        const char *eq = strchr(kv[i], '=');
        snprintf(name, sizeof name, "spec.%.*s", (int)(eq - kv[i]), kv[i]);
        int32_t key = 0, type = 0, kind = 0;
        assert_int_equal(clef_param_lookup(name, &key), CLEF_OK);
        assert_int_equal(clef_param_info(key, NULL, &type, &kind, NULL), CLEF_OK);
        if (type == CLEF_PARAM_STR)
            rc = clef_params_set_str(p, key, eq + 1);
        else if (type == CLEF_PARAM_I64)
            rc = clef_params_set_i64(p, key, strtoll(eq + 1, NULL, 10));
        else
            rc = clef_params_set_f64(p, key, strtod(eq + 1, NULL));
    }
    if (rc == CLEF_OK)
        rc = clef_spectrogram_create(out, ctx, p);
    clef_params_free(p);
    return rc;
}

#endif
