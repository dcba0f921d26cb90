/* file.c — a whole small file into memory (cohort CSVs, FHIR bundles, reports).
 * SPDX-License-Identifier: BSD-3-Clause */
#include "core_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

clef_status clefi_read_file(clef_ctx *ctx, const char *path, char **data, size_t *n,
                            clefi_err *err) {
    *data = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return clefi_error(ctx, err, errno == ENOENT ? CLEF_ERR_NOT_FOUND : CLEF_ERR_IO,
                           "cannot open '%s': %s", path, strerror(errno));
    size_t len = 0, cap = 4096;
    char *buf = clefi_malloc(ctx, cap);
    clef_status rc = buf == NULL ? CLEF_ERR_NOMEM : CLEF_OK;
    while (rc == CLEF_OK) {
        if (cap - len < 2) {
            char *nb = cap <= SIZE_MAX / 2 ? clefi_realloc(ctx, buf, cap * 2) : NULL;
            if (nb == NULL) {
                rc = CLEF_ERR_NOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                rc = CLEF_ERR_IO;
            break;
        }
    }
    fclose(f);
    if (rc != CLEF_OK) {
        clefi_free(ctx, buf);
        return clefi_error(ctx, err, rc, "cannot read '%s'", path);
    }
    buf[len] = '\0';
    *data = buf;
    *n = len;
    return CLEF_OK;
}
