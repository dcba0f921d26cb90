/* status.c — status code descriptions. SPDX-License-Identifier: BSD-3-Clause */
#include "core_int.h"

const char *clef_strerror(clef_status status) {
    switch (status) {
    case CLEF_OK:
        return "success";
    case CLEF_MORE:
        return "more input needed";
    case CLEF_ERR_INVALID_ARG:
        return "invalid argument";
    case CLEF_ERR_NOMEM:
        return "out of memory";
    case CLEF_ERR_IO:
        return "input/output error";
    case CLEF_ERR_FORMAT:
        return "malformed input data";
    case CLEF_ERR_UNSUPPORTED:
        return "unsupported feature";
    case CLEF_ERR_STATE:
        return "handle is in the wrong state for this call";
    case CLEF_ERR_SHAPE:
        return "shape mismatch";
    case CLEF_ERR_BUSY:
        return "handle is still in use";
    case CLEF_ERR_MISUSE:
        return "API misuse";
    case CLEF_ERR_INTERNAL:
        return "internal error (a libclef bug)";
    case CLEF_ERR_BUFFER_TOO_SMALL:
        return "buffer too small";
    case CLEF_ERR_NOT_FOUND:
        return "not found";
    case CLEF_ERR_RANGE:
        return "value out of range";
    case CLEF_ERR_CANCELLED:
        return "cancelled";
    case CLEF_ERR_OVERFLOW:
        return "size overflow";
    default:
        return "unknown status code";
    }
}
