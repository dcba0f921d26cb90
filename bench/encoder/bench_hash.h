/* bench_hash.h — the model hash of a derived embedding kind (bag of tokens, pooled states): the
 * SHA-256 hex of a short key string, through the library's model hash of a temporary file
 * holding it (one SHA-256 implementation). */
#ifndef CLEF_BENCH_HASH_H
#define CLEF_BENCH_HASH_H
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clef.h"

static inline int bench_string_hash(clef_ctx *ctx, const char *s, char hash[65]) {
    char path[] = "/tmp/clef_hash_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
        remove(path);
        return -1;
    }
    fputs(s, f);
    fclose(f);
    clef_status rc = clef_tokenizer_model_hash(ctx, path, hash, 65, NULL);
    remove(path);
    return rc == CLEF_OK ? 0 : -1;
}
#endif
