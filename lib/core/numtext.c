/* numtext.c — numbers as text, independent of the host's locale.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * A host may call setlocale(LC_ALL, "") with a comma-decimal locale (de_DE, fr_FR, ...), and
 * then printf("%g") writes "0,5" and strtod stops at ".". Every file the library writes or
 * reads (EDF headers, weights metadata, cohorts, CSV) must not depend on that, so every
 * printf-style formatting and every decimal parse in lib/ goes through this file (ctest
 * check_locale fails on any other).
 *
 * Choice: the C library's own printf/strtod, run under a "C" locale object installed for the
 * calling thread only, for the duration of the call (POSIX.1-2008 newlocale/uselocale; glibc,
 * musl, macOS). This is exact (correctly rounded both ways, the same digits as today's files)
 * and thread-safe: uselocale changes nothing for the host's other threads, and the object is
 * created once and never changed. Rejected: formatting in the host's locale and replacing its
 * decimal point afterwards (as jansson does) is wrong for locales whose decimal point is more
 * than one byte (ps_AF: U+066B) and for grouping; a hand-written shortest-round-trip formatter
 * and parser (Ryu, Eisel-Lemire) is much more code to get exactly right. */
#define _POSIX_C_SOURCE 200809L
#include "core_int.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static locale_t g_c_locale = (locale_t)0;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* glibc and musl return a built-in object for "C" without allocating, so this cannot fail
 * there; it is created once per process and lives as long as the process. */
static void make_c_locale(void) { g_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

/* Install the "C" locale on this thread; returns the previous one for restore(). Should
 * newlocale ever fail, numbers follow the host's locale (nothing better is possible). */
static locale_t enter_c(void) {
    pthread_once(&g_once, make_c_locale);
    return g_c_locale != (locale_t)0 ? uselocale(g_c_locale) : (locale_t)0;
}

static void leave_c(locale_t old) {
    if (old != (locale_t)0)
        uselocale(old);
}

int clefi_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap) {
    locale_t old = enter_c();
    int n = vsnprintf(buf, cap, fmt, ap);
    leave_c(old);
    return n;
}

int clefi_snprintf(char *buf, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = clefi_vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

double clefi_strtod(const char *s, char **end) {
    locale_t old = enter_c();
    double v = strtod(s, end);
    leave_c(old);
    return v;
}

int clefi_fmt_double(char *buf, size_t cap, double v) {
    if (!isfinite(v))
        return -1;
    char tmp[32];
    for (int prec = 1; prec <= 17; prec++) {
        clefi_snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (clefi_strtod(tmp, NULL) == v)
            break;
    }
    size_t n = strlen(tmp);
    if (n + 1 > cap)
        return -1;
    memcpy(buf, tmp, n + 1);
    return (int)n;
}

int clefi_parse_double(const char *s, double *v) {
    /* [+-] (d+ [. d*] | . d+) [(e|E) [+-] d+]: strtod's decimal subset, without the leading
     * blanks, hex, inf and nan it also takes */
    const char *p = s;
    int nd = 0;
    if (*p == '+' || *p == '-')
        p++;
    for (; *p >= '0' && *p <= '9'; p++)
        nd++;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            nd++;
    if (nd == 0)
        return -1;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p != '\0')
        return -1;
    char *end = NULL;
    int e = errno;
    double x = clefi_strtod(s, &end);
    errno = e;
    if (end != p || !isfinite(x))
        return -1;
    *v = x;
    return 0;
}
