/* edf_known.h — a small EDF+/BDF+ file with known contents, written through the public writer
 * API. Shared by the writer tests, the pyedflib stage (tools/test.d/30-edf-writer-pyedflib.sh)
 * and reader round-trip tests: the expected values are the constants below. */
#ifndef CLEF_TEST_EDF_KNOWN_H
#define CLEF_TEST_EDF_KNOWN_H

#include "clef.h"

#define EDF_KNOWN_N_SIGNALS 3
#define EDF_KNOWN_SECONDS   2.5 /* data written; the file holds 3 one-second records */
#define EDF_KNOWN_N_RECORDS 3
#define EDF_KNOWN_N_ANNOT   3

/* Signal i: label, unit, rate. The physical range gives exactly 0.1 unit per digital step for
 * EDF+ ([-3276.8, 3276.7]) and 1 for BDF+ (physical = digital range). */
extern const char *const edf_known_labels[EDF_KNOWN_N_SIGNALS];
extern const char *const edf_known_units[EDF_KNOWN_N_SIGNALS];
extern const double edf_known_rates[EDF_KNOWN_N_SIGNALS];
extern const char *const edf_known_annot_text[EDF_KNOWN_N_ANNOT];
extern const double edf_known_annot_onset[EDF_KNOWN_N_ANNOT];
extern const double edf_known_annot_duration[EDF_KNOWN_N_ANNOT]; /* < 0: none */

/* Physical value written at sample k of signal i (before quantization and clipping). */
double edf_known_value(int signal, long k);
/* Digital step in physical units for the given format (EDF+: 0.1, BDF+: 1). */
double edf_known_step(int32_t format);
/* Write the known file (CLEF_EDF_FORMAT_EDFPLUS or _BDFPLUS) to path. */
clef_status edf_known_write(clef_ctx *ctx, const char *path, int32_t format);

#endif
