/* clefr.h — conversion helpers shared by the generated .Call glue (clef_glue.c).
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Every helper that can fail raises an R error (Rf_error) and is called before the C function,
 * while nothing but R-managed memory (R_alloc, PROTECTed objects) has been allocated. */
#ifndef CLEFR_H
#define CLEFR_H

#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>

#include <clef.h>
#include <stdint.h>

/* Element types of arrays and scalars crossing the boundary. */
typedef enum clefr_num {
    CLEFR_F64,
    CLEFR_F32,
    CLEFR_I8,
    CLEFR_I16,
    CLEFR_I32,
    CLEFR_I64,
    CLEFR_U8,
    CLEFR_U16,
    CLEFR_U32,
    CLEFR_U64,
    CLEFR_SIZE,
    CLEFR_CHAR
} clefr_num;

/** A length-one, non-NA number. */
double clefr_as_double(SEXP x, const char *fn, const char *arg);
/** A length-one, non-NA whole number within [lo, hi]. */
double clefr_as_int(SEXP x, const char *fn, const char *arg, double lo, double hi);
/** NULL, or a length-one non-NA character vector (UTF-8). */
const char *clefr_as_string(SEXP x, const char *fn, const char *arg);
/** NULL, or a character vector without NA; *n receives its length. */
const char *const *clefr_as_strings(SEXP x, const char *fn, const char *arg, R_xlen_t *n);
/** NULL, or a numeric/integer/raw vector converted (or, when the layout matches, borrowed
 *  without a copy) to elements of type t; *n receives the element count. */
const void *clefr_as_array(SEXP x, clefr_num t, const char *fn, const char *arg, R_xlen_t *n);
/** Fail when an array has fewer elements than the length argument says. */
void clefr_check_length(R_xlen_t have, double want, const char *fn, const char *arg,
                        const char *len_arg);
/** An R vector for an output buffer of cap elements; *cbuf is where C writes. */
SEXP clefr_out_buffer(clefr_num t, double cap, void **cbuf);
/** An output buffer of cap elements initialised from the R vector x (length >= cap): for C
 *  functions that modify an array in place. x itself is never modified. */
SEXP clefr_inout_buffer(SEXP x, clefr_num t, double cap, void **cbuf, const char *fn,
                        const char *arg);
/** Copy a converted output buffer into its R vector (no-op when C wrote in place). */
SEXP clefr_finish_buffer(clefr_num t, SEXP r, void *cbuf, double cap);

/** R value of a number: integer for types that fit, double otherwise. */
SEXP clefr_from_num(clefr_num t, double v);
/** A character scalar (NA for NULL). */
SEXP clefr_from_string(const char *s);

/** The address held by a handle external pointer of the given type; NULL for R NULL.
 *  Raises an R error for another type or object, and for a freed handle unless freed_ok
 *  (free functions: freeing twice is a no-op). */
void *clefr_handle(SEXP x, const char *type, const char *fn, const char *arg, int freed_ok);
/** An external pointer tagged with type; fin (may be NULL) frees it at garbage collection;
 *  prot is kept alive as long as the pointer (the owner of a borrowed handle). NULL -> NULL. */
SEXP clefr_wrap_handle(void *p, const char *type, R_CFinalizer_t fin, SEXP prot);
/** Mark a handle as freed (after its _free function ran). */
void clefr_clear(SEXP x);

#endif /* CLEFR_H */
