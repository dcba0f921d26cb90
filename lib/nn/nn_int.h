/*
 * nn_int.h — libclef internal module 'nn': neural-network core: layers as forward/backward pairs
 * over flat float32 buffers (OpenBLAS sgemm), losses, vector quantizer, AdamW, safetensors weights.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Internal only: other modules use this module through the declarations below, never by
 * reaching into its source files. The module's public API lives in include/clef.h.
 */
#ifndef CLEF_NN_INT_H
#define CLEF_NN_INT_H

#include "../core/core_int.h"

#endif /* CLEF_NN_INT_H */
