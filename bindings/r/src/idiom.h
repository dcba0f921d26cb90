/* idiom.h — hand-written .Call entry points of the idiomatic R layer (R/idiom.R), registered
 * beside the generated ones (init.c expands CLEFR_IDIOM_CALL_METHODS into its table).
 * SPDX-License-Identifier: BSD-3-Clause */
#ifndef CLEFR_IDIOM_H
#define CLEFR_IDIOM_H

#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>

/** Spectrogram of x (double matrix samples x channels, column-major: each channel contiguous, as
 *  libclef reads it) into a double array frames x freqs x channels (libclef's
 *  [channel][freq][frame] order, which is R's column-major layout of that array) with dimnames;
 *  a channel whose samples are all NA is absent (its slab NA, not computed). Returns the array,
 *  or list(status, errmsg) when libclef fails. */
SEXP clefr_idiom_spectrogram(SEXP sg, SEXP session, SEXP x, SEXP dimnames);
/** The 19 canonical channels of rec as a double matrix samples x 19 (NA for absent channels)
 *  with dimnames and attribute present_mask; list(status, errmsg) on failure. */
SEXP clefr_idiom_canonical(SEXP rec, SEXP t_start, SEXP duration, SEXP dimnames);
/** Long operations with an R progress function fun(done, total, task) (NULL: none), called on
 *  the R thread only; FALSE (or anything but TRUE) cancels. Return list(status, errmsg, out). */
SEXP clefr_idiom_cohort_generate(SEXP session, SEXP params, SEXP dir, SEXP fun);
SEXP clefr_idiom_store_import(SEXP store, SEXP dir, SEXP fun);
SEXP clefr_idiom_bandpower_job_run(SEXP ctx, SEXP store, SEXP fun);
SEXP clefr_idiom_eval_run_store(SEXP ev, SEXP store, SEXP kind, SEXP hash, SEXP fun);
/** Route ctx's log messages up to max_level (0: off) into the package's queue. */
SEXP clefr_idiom_set_log(SEXP ctx, SEXP max_level);
/** The queued log messages as list(level = integer, message = character), emptying the queue. */
SEXP clefr_idiom_log_drain(void);

#define CLEFR_IDIOM_CALL_METHODS                                                                   \
    {"C_idiom_spectrogram", (DL_FUNC)&clefr_idiom_spectrogram, 4},                                 \
        {"C_idiom_canonical", (DL_FUNC)&clefr_idiom_canonical, 4},                                 \
        {"C_idiom_cohort_generate", (DL_FUNC)&clefr_idiom_cohort_generate, 4},                     \
        {"C_idiom_store_import", (DL_FUNC)&clefr_idiom_store_import, 3},                           \
        {"C_idiom_bandpower_job_run", (DL_FUNC)&clefr_idiom_bandpower_job_run, 3},                 \
        {"C_idiom_eval_run_store", (DL_FUNC)&clefr_idiom_eval_run_store, 5},                       \
        {"C_idiom_set_log", (DL_FUNC)&clefr_idiom_set_log, 2}, {                                   \
        "C_idiom_log_drain", (DL_FUNC)&clefr_idiom_log_drain, 0                                    \
    }

#endif /* CLEFR_IDIOM_H */
