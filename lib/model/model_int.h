/*
 * model_int.h — libclef internal module 'model': CLEF models on top of lib/nn: the VQGAN
 * spectrogram tokenizer and the Transformer session encoder, with their trainers.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Internal only: other modules use this module through the declarations below, never by
 * reaching into its source files. The module's public API lives in include/clef.h.
 */
#ifndef CLEF_MODEL_INT_H
#define CLEF_MODEL_INT_H

#include "../core/core_int.h"

#endif /* CLEF_MODEL_INT_H */
