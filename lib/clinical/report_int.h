/*
 * report_int.h — reports (clinical module): a growable text buffer, the section finder and the
 * findings lexicon shared by report_deid.c, report_sections.c and report_summary.c.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef CLEF_REPORT_INT_H
#define CLEF_REPORT_INT_H

#include "core_int.h"

#include <string.h>

/* ASCII character classes, whatever the host's locale (UTF-8 bytes >= 0x80 are none of them). */
static inline int clefi_a_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static inline int clefi_a_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
static inline int clefi_a_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int clefi_a_alpha(unsigned char c) { return clefi_a_upper(c) || clefi_a_lower(c); }
static inline int clefi_a_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/** ASCII case-insensitive equality of n bytes / of two NUL-terminated strings. */
static inline int clefi_ncase_eq(const char *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if ((x >= 'A' && x <= 'Z' ? x + 32 : x) != (y >= 'A' && y <= 'Z' ? y + 32 : y))
            return 0;
    }
    return 1;
}
static inline int clefi_case_eq(const char *a, const char *b) {
    size_t n = strlen(a);
    return n == strlen(b) && clefi_ncase_eq(a, b, n);
}

/** Growable byte buffer (ctx allocator); err latches the first allocation failure. */
typedef struct clefi_rbuf {
    clef_ctx *ctx;
    char *p;
    size_t len, cap;
    int err;
} clefi_rbuf;
CLEFI_HIDDEN void clefi_rbuf_put(clefi_rbuf *b, const char *s, size_t n);
CLEFI_HIDDEN void clefi_rbuf_puts(clefi_rbuf *b, const char *s);
CLEFI_HIDDEN void clefi_rbuf_free(clefi_rbuf *b);

/** De-identify text[0..len) into b (NUL-terminated; b->len excludes the NUL). */
CLEFI_HIDDEN void clefi_report_deid(clefi_rbuf *b, const char *text, size_t len);

/** A section: its canonical name (static) and body [begin, end). */
typedef struct clefi_section {
    const char *name;
    size_t begin, end;
} clefi_section;
/** The next section at or after *pos (start with 0): 1 and *sec, or 0 at the end. */
CLEFI_HIDDEN int clefi_report_next_section(const char *text, size_t len, size_t *pos,
                                           clefi_section *sec);

#define CLEFI_REPORT_N_FIND 15
/** Built-in summarizer: finding statuses and the extracted sentences (into b). */
CLEFI_HIDDEN void clefi_report_extract(const char *text, size_t len, clefi_rbuf *b,
                                       int32_t status[CLEFI_REPORT_N_FIND]);

#endif /* CLEF_REPORT_INT_H */
