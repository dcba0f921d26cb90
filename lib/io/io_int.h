/*
 * io_int.h — libclef internal module 'io': EEG recording input: EDF/EDF+/BDF/BDF+ reader and
 * writer, EDF+ annotations, streaming input, safetensors and FHIR parsers. SPDX-License-Identifier:
 * BSD-3-Clause
 *
 * Internal only: other modules use this module through the declarations below, never by
 * reaching into its source files. The module's public API lives in include/clef.h.
 */
#ifndef CLEF_IO_INT_H
#define CLEF_IO_INT_H

#include "../core/core_int.h"

#endif /* CLEF_IO_INT_H */
