/* align_store.c — aligned embeddings of a store's sessions (docs/aligner.md "Evaluation"): each
 * session's encoder embedding through the EEG tower, stored as an embedding artifact under the
 * aligner's model hash so that clef_eval_run_store() probes it like any model.
 * SPDX-License-Identifier: BSD-3-Clause */
#include "align_int.h"
#include "clef.h"

#include <string.h>

clef_status clef_aligner_embed_store(const clef_aligner *al, clef_session *s, clef_store *store,
                                     const char *encoder_hash, const char *aligner_hash,
                                     int64_t *n_done, clef_eval_progress_fn progress, void *user) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    if (n_done != NULL)
        *n_done = 0;
    if (al == NULL || store == NULL || encoder_hash == NULL || aligner_hash == NULL)
        return clefi_session_error(s, CLEF_ERR_INVALID_ARG,
                                   "clef_aligner_embed_store: bad argument");
    const size_t in = (size_t)al->cfg.in_dim, D = (size_t)al->cfg.dim;
    float *buf = clefi_malloc(s->ctx, (in + D) * sizeof *buf);
    if (buf == NULL)
        return clefi_session_error(s, CLEF_ERR_NOMEM, "clef_aligner_embed_store: out of memory");
    int64_t total = 0, done = 0, cnt[3] = {0, 0, 0};
    clef_status rc = CLEF_OK;
    for (int k = 0; rc == CLEF_OK && k < 3; k++) {
        rc = clef_store_split_count(store, CLEF_SPLIT_TRAIN + k, &cnt[k]);
        total += cnt[k];
    }
    char sid[256];
    for (int k = 0; rc == CLEF_OK && k < 3; k++)
        for (int64_t i = 0; rc == CLEF_OK && i < cnt[k]; i++) {
            size_t len = 0;
            rc = clef_store_split_session(store, CLEF_SPLIT_TRAIN + k, i, sid, sizeof sid, NULL);
            if (rc == CLEF_OK)
                rc = clef_store_artifact_get(store, sid, CLEF_ARTIFACT_EMBEDDING, encoder_hash, buf,
                                             in * sizeof *buf, &len);
            if (rc == CLEF_ERR_NOT_FOUND || rc == CLEF_ERR_BUFFER_TOO_SMALL ||
                (rc == CLEF_OK && len != in * sizeof *buf)) {
                rc = clefi_session_error(s, rc == CLEF_ERR_NOT_FOUND ? rc : CLEF_ERR_SHAPE,
                                         "aligner: session %s has %s under encoder %.12s (the "
                                         "aligner takes %zu floats): embed the store with the "
                                         "aligner's encoder first",
                                         sid,
                                         rc == CLEF_ERR_NOT_FOUND ? "no embedding"
                                                                  : "an embedding of "
                                                                    "another width",
                                         encoder_hash, in);
                break;
            }
            if (rc != CLEF_OK)
                break;
            rc = clef_aligner_embed_eeg(al, s, buf, 1, (int64_t)in, buf + in, D);
            if (rc == CLEF_OK)
                rc = clef_store_artifact_put(store, sid, CLEF_ARTIFACT_EMBEDDING, aligner_hash,
                                             buf + in, D * sizeof *buf);
            if (rc != CLEF_OK)
                break;
            done++;
            if (progress != NULL && progress(done, total, sid, user) != 0)
                rc = clefi_session_error(s, CLEF_ERR_CANCELLED, "aligner: cancelled");
        }
    if (rc != CLEF_OK && s->err.code == CLEF_OK)
        rc = clefi_session_error(s, rc, "aligner: the store: %s", clef_store_errmsg(store));
    clefi_free(s->ctx, buf);
    if (n_done != NULL)
        *n_done = done;
    return rc;
}
