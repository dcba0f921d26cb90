/* bench_derived.h — embeddings derived from a store's tokens (bag of tokens, pooled encoder
 * states), stored as embedding artifacts under their own model hash for `clef evaluate`. The
 * hash is the SHA-256 hex of a short key string, through the library's model hash of a
 * temporary file holding it (one SHA-256 implementation). */
#ifndef CLEF_BENCH_DERIVED_H
#define CLEF_BENCH_DERIVED_H
#include <stdint.h>
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

/* One session's derived embedding from its token ids into out (dim floats); 0, or -1 with a
 * message in why. */
typedef int (*bench_derive_fn)(const char *sid, const uint16_t *ids, float *out, char *why,
                               size_t cap, void *user);

/* Every session of every split: tokens of tokenizer tsha (n_tokens ids) -> fn -> an embedding
 * artifact under hash. Returns the sessions done, or -1 after printing why (prog: the program). */
static inline int64_t bench_derive_all(const char *prog, clef_store *st, const char *tsha,
                                       int64_t n_tokens, const char *hash, int64_t dim,
                                       bench_derive_fn fn, void *user) {
    uint16_t *ids = malloc((size_t)n_tokens * sizeof *ids);
    float *out = malloc((size_t)dim * sizeof *out);
    int64_t done = 0;
    char why[256] = "cannot allocate", sid[256] = "";
    for (int32_t split = CLEF_SPLIT_TRAIN; ids && out && split <= CLEF_SPLIT_TEST; split++) {
        int64_t n = 0;
        clef_store_split_count(st, split, &n);
        for (int64_t i = 0; i < n && done >= 0; i++) {
            size_t got = 0;
            clef_store_split_session(st, split, i, sid, sizeof sid, NULL);
            if (clef_store_artifact_get(st, sid, CLEF_ARTIFACT_TOKENS, tsha, ids,
                                        (size_t)n_tokens * sizeof *ids, &got) != CLEF_OK) {
                snprintf(why, sizeof why, "no tokens (clef tokenize --store first)");
                done = -1;
            } else if (fn(sid, ids, out, why, sizeof why, user) != 0) {
                done = -1;
            } else if (clef_store_artifact_put(st, sid, CLEF_ARTIFACT_EMBEDDING, hash, out,
                                               (size_t)dim * sizeof *out) != CLEF_OK) {
                snprintf(why, sizeof why, "%s", clef_store_errmsg(st));
                done = -1;
            } else {
                done++;
            }
        }
        if (done < 0)
            break;
    }
    if (ids == NULL || out == NULL)
        done = -1;
    if (done < 0)
        fprintf(stderr, "%s: %s: %s\n", prog, sid, why);
    free(ids);
    free(out);
    return done;
}
#endif
