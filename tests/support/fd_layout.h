/* fd_layout.h — gradients of a model whose weights are one flat buffer described by a layout,
 * checked against central differences of its loss (tests of the encoder and the aligner's
 * fine-tuning). SPDX-License-Identifier: BSD-3-Clause */
#ifndef CLEF_TEST_FD_LAYOUT_H
#define CLEF_TEST_FD_LAYOUT_H

#include <stddef.h>

#include "nn/nn.h"

/** The loss at the model's current weights. */
typedef double (*fd_loss_fn)(void *arg);

/** For every tensor of lay whose name does not start with skip (NULL: none; a skipped
 *  tensor's gradient must be 0): its n_top largest |g| entries (down to 1e-4) against central
 *  differences of loss with step h, flat[k] moved and restored. Prints each relative error
 *  over tol and the worst; returns how many were checked and adds the failures to *bad. g is
 *  overwritten (checked entries zeroed). */
int fd_layout_check(float *flat, const clefi_layout *lay, float *g, fd_loss_fn loss, void *arg,
                    float h, int n_top, double tol, const char *skip, int *bad);

#endif
