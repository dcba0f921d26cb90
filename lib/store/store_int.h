/*
 * store_int.h — libclef internal module 'store': the SQLite cohort store (schema, migrations,
 * resumable jobs) and the synthetic clinical cohort. SPDX-License-Identifier: BSD-3-Clause
 *
 * Internal only: other modules use this module through the declarations below, never by
 * reaching into its source files. The module's public API lives in include/clef.h.
 */
#ifndef CLEF_STORE_INT_H
#define CLEF_STORE_INT_H

#include "../core/core_int.h"

#endif /* CLEF_STORE_INT_H */
