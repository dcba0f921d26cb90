/* cohort_fixture.h — a small hand-made cohort directory in the docs/COHORT-FORMAT.md layout,
 * written by the tests themselves (EDF+ files through clef_edf_writer, SHA-256 in the
 * manifest), with two tasks of known truth:
 *  - med_benzodiazepine: label 1 sessions carry extra 20 Hz beta on every channel;
 *  - dis_random: a label drawn independently of the EEG.
 * Odd sessions are written at 256 Hz with "EEG Fp1-REF"-style labels (resampled and aliased
 * on reading); one channel (Pz) is missing from every third session. */
#ifndef CLEF_COHORT_FIXTURE_H
#define CLEF_COHORT_FIXTURE_H

#include "clef.h"

#include <stdint.h>

/* Make a fresh temporary directory (template under /tmp); returns a static path. */
const char *fixture_tmpdir(const char *tag);

/* Write the cohort into dir (which must exist): n_subjects patients with sessions_per sessions
 * of seconds each. Returns the number of sessions. */
int fixture_write_cohort(const char *dir, int n_subjects, int sessions_per, double seconds,
                         uint64_t seed);

/* Write text to dir/rel (creating the file). */
void fixture_write_file(const char *dir, const char *rel, const char *text);

/* POSIX wrappers for the tests (mkdir 0755, symlink). */
int mkdir_for_test(const char *path);
int symlink_for_test(const char *target, const char *link);

/* A fresh cohort written under a temporary dir[256] and imported into a new store at
 * db[512] = dir/store.db, with a new ctx. Returns the number of sessions. */
int fixture_open_store(const char *tag, int n_subjects, int sessions_per, double seconds,
                       uint64_t seed, char *dir, char *db, clef_ctx **ctx, clef_store **s);
/* Free the store and ctx and remove the directory. */
void fixture_close_store(const char *dir, clef_ctx *ctx, clef_store *s);

/* Remove a directory tree written by the fixture. */
void fixture_rmtree(const char *dir);

#endif
