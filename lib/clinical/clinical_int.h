/*
 * clinical_int.h — libclef internal module 'clinical': clinical alignment and evaluation: text and
 * EHR towers, InfoNCE, zero-shot scoring, logistic-regression probes, AUROC with bootstrap
 * confidence intervals. SPDX-License-Identifier: BSD-3-Clause
 *
 * Internal only: other modules use this module through the declarations below, never by
 * reaching into its source files. The module's public API lives in include/clef.h.
 */
#ifndef CLEF_CLINICAL_INT_H
#define CLEF_CLINICAL_INT_H

#include "../core/core_int.h"

#endif /* CLEF_CLINICAL_INT_H */
