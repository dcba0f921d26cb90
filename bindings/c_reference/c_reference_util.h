/* c_reference_util.h — shared helper of the C reference programs for the bindings' tests. */
#ifndef CLEF_C_REFERENCE_UTIL_H
#define CLEF_C_REFERENCE_UTIL_H

#include <stdio.h>

/* Write bytes to dir/name; 0 on success. */
static inline int dump(const char *dir, const char *name, const void *p, size_t bytes) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 1;
    size_t w = fwrite(p, 1, bytes, f);
    return fclose(f) != 0 || w != bytes;
}

#endif
