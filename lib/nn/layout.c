/* layout.c — offsets of a model's tensors in its flat parameter buffer.
 * SPDX-License-Identifier: BSD-3-Clause */
#include "nn_int.h"

/* 16 floats = 64 bytes: every tensor starts on a cache line (and an AVX-512 vector). */
#define LAYOUT_ALIGN 16

clef_status clefi_layout_finish(clefi_tensor_desc *t, size_t n, size_t *total) {
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i].ndim < 1 || t[i].ndim > CLEFI_TENSOR_MAX_DIMS)
            return CLEF_ERR_SHAPE;
        size_t numel = 1;
        for (int32_t d = 0; d < t[i].ndim; d++) {
            if (t[i].shape[d] < 1)
                return CLEF_ERR_SHAPE;
            if (clefi_mul_overflow(numel, (size_t)t[i].shape[d], &numel))
                return CLEF_ERR_OVERFLOW;
        }
        t[i].offset = off;
        t[i].numel = numel;
        size_t padded;
        if (clefi_add_overflow(numel, LAYOUT_ALIGN - 1, &padded) ||
            clefi_add_overflow(off, padded / LAYOUT_ALIGN * LAYOUT_ALIGN, &off))
            return CLEF_ERR_OVERFLOW;
    }
    *total = off;
    return CLEF_OK;
}
