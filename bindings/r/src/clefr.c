/* clefr.c — conversion helpers for the generated .Call glue. SPDX-License-Identifier: BSD-3-Clause
 */
#include "clefr.h"

#include <math.h>
#include <string.h>

static const char *num_name(clefr_num t) {
    static const char *const names[] = {"double", "float",  "int8",   "int16",  "int32",  "int64",
                                        "uint8",  "uint16", "uint32", "uint64", "size_t", "char"};
    return names[t];
}

static size_t num_size(clefr_num t) {
    switch (t) {
    case CLEFR_F64:
    case CLEFR_I64:
    case CLEFR_U64:
        return 8;
    case CLEFR_SIZE:
        return sizeof(size_t);
    case CLEFR_F32:
    case CLEFR_I32:
    case CLEFR_U32:
        return 4;
    case CLEFR_I16:
    case CLEFR_U16:
        return 2;
    default:
        return 1;
    }
}

static void num_range(clefr_num t, double *lo, double *hi) {
    switch (t) {
    case CLEFR_I8:
        *lo = INT8_MIN, *hi = INT8_MAX;
        break;
    case CLEFR_I16:
        *lo = INT16_MIN, *hi = INT16_MAX;
        break;
    case CLEFR_I32:
        *lo = INT32_MIN, *hi = INT32_MAX;
        break;
    case CLEFR_U8:
        *lo = 0, *hi = UINT8_MAX;
        break;
    case CLEFR_U16:
        *lo = 0, *hi = UINT16_MAX;
        break;
    case CLEFR_U32:
        *lo = 0, *hi = UINT32_MAX;
        break;
    case CLEFR_I64:
        *lo = -9007199254740992.0, *hi = 9007199254740992.0;
        break;
    case CLEFR_U64:
    case CLEFR_SIZE:
        *lo = 0, *hi = 9007199254740992.0;
        break;
    default:
        *lo = -HUGE_VAL, *hi = HUGE_VAL;
    }
}

double clefr_as_double(SEXP x, const char *fn, const char *arg) {
    if ((!Rf_isReal(x) && !Rf_isInteger(x) && !Rf_isLogical(x)) || XLENGTH(x) != 1)
        Rf_error("%s: '%s' must be a single number", fn, arg);
    double v = Rf_asReal(x);
    if (ISNA(v))
        Rf_error("%s: '%s' is NA", fn, arg);
    return v;
}

double clefr_as_int(SEXP x, const char *fn, const char *arg, double lo, double hi) {
    double v = clefr_as_double(x, fn, arg);
    if (v != floor(v) || v < lo || v > hi)
        Rf_error("%s: '%s' = %g is not a whole number in [%.0f, %.0f]", fn, arg, v, lo, hi);
    return v;
}

const char *clefr_as_string(SEXP x, const char *fn, const char *arg) {
    if (Rf_isNull(x))
        return NULL;
    if (!Rf_isString(x) || XLENGTH(x) != 1 || STRING_ELT(x, 0) == NA_STRING)
        Rf_error("%s: '%s' must be a single non-NA string or NULL", fn, arg);
    return Rf_translateCharUTF8(STRING_ELT(x, 0));
}

const char *const *clefr_as_strings(SEXP x, const char *fn, const char *arg, R_xlen_t *n) {
    *n = 0;
    if (Rf_isNull(x))
        return NULL;
    if (!Rf_isString(x))
        Rf_error("%s: '%s' must be a character vector", fn, arg);
    R_xlen_t len = XLENGTH(x);
    const char **v = (const char **)R_alloc((size_t)(len > 0 ? len : 1), sizeof *v);
    for (R_xlen_t i = 0; i < len; i++) {
        if (STRING_ELT(x, i) == NA_STRING)
            Rf_error("%s: '%s'[%ld] is NA", fn, arg, (long)(i + 1));
        v[i] = Rf_translateCharUTF8(STRING_ELT(x, i));
    }
    *n = len;
    return v;
}

/* Store v as element i of a C array of type t (range already checked). */
static void put(void *buf, clefr_num t, R_xlen_t i, double v) {
    switch (t) {
    case CLEFR_F64:
        ((double *)buf)[i] = v;
        break;
    case CLEFR_F32:
        ((float *)buf)[i] = (float)v;
        break;
    case CLEFR_I8:
        ((int8_t *)buf)[i] = (int8_t)v;
        break;
    case CLEFR_I16:
        ((int16_t *)buf)[i] = (int16_t)v;
        break;
    case CLEFR_I32:
        ((int32_t *)buf)[i] = (int32_t)v;
        break;
    case CLEFR_I64:
        ((int64_t *)buf)[i] = (int64_t)v;
        break;
    case CLEFR_U8:
    case CLEFR_CHAR:
        ((uint8_t *)buf)[i] = (uint8_t)v;
        break;
    case CLEFR_U16:
        ((uint16_t *)buf)[i] = (uint16_t)v;
        break;
    case CLEFR_U32:
        ((uint32_t *)buf)[i] = (uint32_t)v;
        break;
    case CLEFR_U64:
        ((uint64_t *)buf)[i] = (uint64_t)v;
        break;
    case CLEFR_SIZE:
        ((size_t *)buf)[i] = (size_t)v;
        break;
    }
}

static double get(const void *buf, clefr_num t, R_xlen_t i) {
    switch (t) {
    case CLEFR_F64:
        return ((const double *)buf)[i];
    case CLEFR_F32:
        return ((const float *)buf)[i];
    case CLEFR_I8:
        return ((const int8_t *)buf)[i];
    case CLEFR_I16:
        return ((const int16_t *)buf)[i];
    case CLEFR_I32:
        return ((const int32_t *)buf)[i];
    case CLEFR_I64:
        return (double)((const int64_t *)buf)[i];
    case CLEFR_U16:
        return ((const uint16_t *)buf)[i];
    case CLEFR_U32:
        return ((const uint32_t *)buf)[i];
    case CLEFR_U64:
        return (double)((const uint64_t *)buf)[i];
    case CLEFR_SIZE:
        return (double)((const size_t *)buf)[i];
    default:
        return ((const uint8_t *)buf)[i];
    }
}

const void *clefr_as_array(SEXP x, clefr_num t, const char *fn, const char *arg, R_xlen_t *n) {
    *n = 0;
    if (Rf_isNull(x))
        return NULL;
    R_xlen_t len = XLENGTH(x);
    /* Zero copy where R's storage already is the C element type. */
    if ((t == CLEFR_F64 && TYPEOF(x) == REALSXP) || (t == CLEFR_I32 && TYPEOF(x) == INTSXP) ||
        (t == CLEFR_U8 && TYPEOF(x) == RAWSXP)) {
        *n = len;
        return TYPEOF(x) == REALSXP  ? (const void *)REAL(x)
               : TYPEOF(x) == INTSXP ? (const void *)INTEGER(x)
                                     : (const void *)RAW(x);
    }
    if (TYPEOF(x) != REALSXP && TYPEOF(x) != INTSXP && TYPEOF(x) != LGLSXP && TYPEOF(x) != RAWSXP)
        Rf_error("%s: '%s' must be a numeric vector or matrix (%s elements), not %s", fn, arg,
                 num_name(t), Rf_type2char(TYPEOF(x)));
    void *buf = R_alloc((size_t)(len > 0 ? len : 1), num_size(t));
    int whole = t != CLEFR_F64 && t != CLEFR_F32;
    double lo, hi;
    num_range(t, &lo, &hi);
    for (R_xlen_t i = 0; i < len; i++) {
        double v;
        if (TYPEOF(x) == REALSXP) {
            v = REAL(x)[i];
            if (ISNA(v) && whole)
                Rf_error("%s: '%s'[%ld] is NA", fn, arg, (long)(i + 1));
        } else if (TYPEOF(x) == RAWSXP) {
            v = RAW(x)[i];
        } else {
            int iv = TYPEOF(x) == INTSXP ? INTEGER(x)[i] : LOGICAL(x)[i];
            if (iv == NA_INTEGER && whole)
                Rf_error("%s: '%s'[%ld] is NA", fn, arg, (long)(i + 1));
            v = iv == NA_INTEGER ? NA_REAL : iv;
        }
        if (whole && (v != floor(v) || v < lo || v > hi))
            Rf_error("%s: '%s'[%ld] = %g is not a %s", fn, arg, (long)(i + 1), v, num_name(t));
        put(buf, t, i, v);
    }
    *n = len;
    return buf;
}

void clefr_check_length(R_xlen_t have, double want, const char *fn, const char *arg,
                        const char *len_arg) {
    if ((double)have < want)
        Rf_error("%s: '%s' has %.0f elements but '%s' = %.0f", fn, arg, (double)have, len_arg,
                 want);
}

static SEXPTYPE r_type(clefr_num t) {
    switch (t) {
    case CLEFR_F64:
    case CLEFR_F32:
    case CLEFR_I64:
    case CLEFR_U32:
    case CLEFR_U64:
    case CLEFR_SIZE:
        return REALSXP;
    case CLEFR_U8:
        return RAWSXP;
    case CLEFR_CHAR:
        return STRSXP;
    default:
        return INTSXP;
    }
}

SEXP clefr_out_buffer(clefr_num t, double cap, void **cbuf) {
    if (cap < 0 || cap > (double)R_XLEN_T_MAX)
        Rf_error("output capacity %g is out of range", cap);
    R_xlen_t n = (R_xlen_t)cap;
    SEXP r = PROTECT(Rf_allocVector(r_type(t), t == CLEFR_CHAR ? 1 : n));
    if ((t == CLEFR_F64) || (t == CLEFR_I32) || (t == CLEFR_U8)) {
        *cbuf = t == CLEFR_F64 ? (void *)REAL(r) : t == CLEFR_I32 ? (void *)INTEGER(r) : RAW(r);
        if (t != CLEFR_U8)
            memset(*cbuf, 0, (size_t)n * num_size(t));
        else if (n > 0)
            memset(*cbuf, 0, (size_t)n);
    } else {
        size_t bytes = (size_t)(n > 0 ? n : 1) * num_size(t);
        *cbuf = R_alloc(bytes, 1);
        memset(*cbuf, 0, bytes);
    }
    if (t == CLEFR_CHAR)
        SET_STRING_ELT(r, 0, NA_STRING);
    else if (n == 0)
        *cbuf = NULL; /* capacity 0: no buffer, as clef.h's optional ("may be NULL") outputs want */
    UNPROTECT(1);
    return r;
}

SEXP clefr_inout_buffer(SEXP x, clefr_num t, double cap, void **cbuf, const char *fn,
                        const char *arg) {
    R_xlen_t n = 0;
    if (Rf_isNull(x))
        Rf_error("%s: '%s' must not be NULL", fn, arg);
    const void *src = clefr_as_array(x, t, fn, arg, &n);
    clefr_check_length(n, cap, fn, arg, "its size");
    SEXP r = PROTECT(clefr_out_buffer(t, cap, cbuf));
    if (cap > 0)
        memcpy(*cbuf, src, (size_t)cap * num_size(t));
    UNPROTECT(1);
    return r;
}

SEXP clefr_finish_buffer(clefr_num t, SEXP r, void *cbuf, double cap) {
    R_xlen_t n = (R_xlen_t)cap;
    if (t == CLEFR_CHAR) {
        const char *s = (const char *)cbuf;
        const char *end = n > 0 ? memchr(s, '\0', (size_t)n) : s;
        size_t len = end != NULL ? (size_t)(end - s) : (size_t)n;
        SET_STRING_ELT(r, 0, Rf_mkCharLenCE(s, (int)len, CE_UTF8));
        return r;
    }
    if (t == CLEFR_F64 || t == CLEFR_I32 || t == CLEFR_U8)
        return r; /* C wrote in place */
    for (R_xlen_t i = 0; i < n; i++) {
        double v = get(cbuf, t, i);
        if (TYPEOF(r) == REALSXP)
            REAL(r)[i] = v;
        else
            INTEGER(r)[i] = (int)v;
    }
    return r;
}

SEXP clefr_from_num(clefr_num t, double v) {
    return r_type(t) == INTSXP ? Rf_ScalarInteger((int)v) : Rf_ScalarReal(v);
}

SEXP clefr_from_string(const char *s) {
    if (s == NULL)
        return Rf_ScalarString(NA_STRING);
    return Rf_ScalarString(Rf_mkCharCE(s, CE_UTF8));
}

void *clefr_handle(SEXP x, const char *type, const char *fn, const char *arg, int freed_ok) {
    if (Rf_isNull(x))
        return NULL;
    if (TYPEOF(x) != EXTPTRSXP)
        Rf_error("%s: '%s' must be a %s handle, not %s", fn, arg, type, Rf_type2char(TYPEOF(x)));
    SEXP tag = R_ExternalPtrTag(x);
    if (tag != Rf_install(type))
        Rf_error("%s: '%s' must be a %s handle, not %s", fn, arg, type,
                 TYPEOF(tag) == SYMSXP ? CHAR(PRINTNAME(tag)) : "a foreign external pointer");
    void *p = R_ExternalPtrAddr(x);
    if (p == NULL && !freed_ok)
        Rf_error("%s: '%s' is a freed %s handle (or one restored by readRDS/load)", fn, arg, type);
    return p;
}

SEXP clefr_wrap_handle(void *p, const char *type, R_CFinalizer_t fin, SEXP prot) {
    if (p == NULL)
        return R_NilValue;
    SEXP x = PROTECT(R_MakeExternalPtr(p, Rf_install(type), prot));
    if (fin != NULL)
        R_RegisterCFinalizerEx(x, fin, TRUE);
    SEXP cls = PROTECT(Rf_allocVector(STRSXP, 2));
    SET_STRING_ELT(cls, 0, Rf_mkChar(type));
    SET_STRING_ELT(cls, 1, Rf_mkChar("clef_handle"));
    Rf_setAttrib(x, R_ClassSymbol, cls);
    UNPROTECT(2);
    return x;
}

void clefr_clear(SEXP x) {
    if (TYPEOF(x) == EXTPTRSXP)
        R_ClearExternalPtr(x);
}
