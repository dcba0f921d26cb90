/* tal.c — EDF+ Time-stamped Annotation Lists (EDF+ spec section 2.2.2-2.2.4).
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * TAL: '+'|'-' onset [0x15 duration] 0x14 (text 0x14)* 0x00. Onsets and durations are plain
 * decimals (no exponent); the bytes after the last TAL of a signal are 0. */
#include "io_int.h"

#include <math.h>

/* Parse [+-]digits[.digits] (sign required when sign_required) between p[*i] and a 0x14/0x15
 * delimiter. Returns 0 and advances *i to the delimiter, or -1. */
static int tal_number(const uint8_t *p, size_t n, size_t *i, int sign_required, double *out) {
    size_t k = *i;
    double sign = 1.0;
    if (k < n && (p[k] == '+' || p[k] == '-')) {
        sign = p[k] == '-' ? -1.0 : 1.0;
        k++;
    } else if (sign_required) {
        return -1;
    }
    double v = 0, scale = 1;
    int nd = 0, dot = 0;
    for (; k < n && p[k] != 0x14 && p[k] != 0x15; k++) {
        if (p[k] == '.' && !dot) {
            dot = 1;
        } else if (p[k] >= '0' && p[k] <= '9') {
            if (dot) {
                scale *= 10.0;
                v = v + (p[k] - '0') / scale;
            } else {
                v = v * 10.0 + (p[k] - '0');
            }
            nd++;
        } else {
            return -1;
        }
    }
    if (nd == 0 || k >= n || !isfinite(v))
        return -1;
    *i = k;
    *out = sign * v;
    return 0;
}

clef_status clefi_tal_parse(clef_ctx *ctx, clefi_err *err, const uint8_t *p, size_t n,
                            int64_t record, int want_time_keeping, double *time_keeping,
                            clefi_tal_fn fn, void *user) {
    size_t i = 0;
    int first = 1;
    if (time_keeping != NULL)
        *time_keeping = NAN;
    while (i < n && p[i] != 0) {
        size_t start = i;
        double onset = 0, dur = -1.0;
        if (tal_number(p, n, &i, 1, &onset) != 0)
            return clefi_error(ctx, err, CLEF_ERR_FORMAT,
                               "annotations of record %lld: bad TAL onset at byte %zu",
                               (long long)record, start);
        if (p[i] == 0x15) {
            i++;
            size_t ds = i;
            if (tal_number(p, n, &i, 0, &dur) != 0 || p[i] != 0x14 || dur < 0)
                return clefi_error(ctx, err, CLEF_ERR_FORMAT,
                                   "annotations of record %lld: bad TAL duration at byte %zu",
                                   (long long)record, ds);
        }
        i++; /* the 0x14 after onset[/duration] */
        int n_text = 0;
        for (;;) {
            if (i >= n)
                return clefi_error(ctx, err, CLEF_ERR_FORMAT,
                                   "annotations of record %lld: TAL at byte %zu is not "
                                   "terminated by 0x00",
                                   (long long)record, start);
            if (p[i] == 0) {
                i++;
                break;
            }
            size_t ts = i;
            while (i < n && p[i] != 0x14 && p[i] != 0)
                i++;
            if (i >= n || p[i] != 0x14)
                return clefi_error(ctx, err, CLEF_ERR_FORMAT,
                                   "annotations of record %lld: text at byte %zu is not "
                                   "terminated by 0x14",
                                   (long long)record, ts);
            if (first && n_text == 0 && ts == i && want_time_keeping && time_keeping != NULL)
                *time_keeping = onset;
            else if (i > ts && fn != NULL)
                fn(user, onset, dur, (const char *)p + ts, i - ts);
            n_text++;
            i++;
        }
        if (n_text == 0)
            return clefi_error(ctx, err, CLEF_ERR_FORMAT,
                               "annotations of record %lld: TAL at byte %zu has no 0x14 after "
                               "its onset",
                               (long long)record, start);
        first = 0;
    }
    return CLEF_OK;
}
