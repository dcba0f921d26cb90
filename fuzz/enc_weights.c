/* enc_weights.c — libFuzzer harness for session-encoder weights: the clef.enc.* metadata, the
 * token layout and the binding of every tensor; an encoder it accepts must embed a session of
 * valid ids (small layouts only). */
#include <stdint.h>
#include <stdlib.h>

#include "model/model_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    clef_ctx *ctx;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return 0;
    clef_session *ss = NULL;
    if (clef_session_create(&ss, ctx, 1) != CLEF_OK) {
        clef_ctx_free(ctx);
        return 0;
    }
    clef_weights *w = NULL;
    clef_encoder *enc = NULL;
    if (clef_weights_open_memory(&w, ctx, data, size) == CLEF_OK &&
        clefi_enc_load_weights(&enc, ctx, w, "fuzz", NULL) == CLEF_OK) {
        const clefi_enc_cfg *c = &enc->cfg;
        int64_t nt = clefi_enc_n_tokens(c);
        /* small models only: the fuzzer looks for parser bugs, not for big allocations */
        if (nt <= 4096 && (int64_t)c->d * nt <= ((int64_t)1 << 20) && c->n_layers <= 4) {
            int32_t *ids = calloc((size_t)nt, sizeof *ids);
            float *emb = calloc((size_t)c->embed_dim, sizeof *emb);
            if (ids != NULL && emb != NULL) {
                for (int64_t i = 0; i < nt; i++) /* grid ids, then session-mean ids */
                    ids[i] = i < (int64_t)c->grid_f * c->grid_t ? (int32_t)(i % c->codebook_size)
                                                                : c->codebook_size;
                if (clef_encoder_embed(enc, ss, ids, (size_t)nt, 0, emb, (size_t)c->embed_dim, NULL,
                                       0, NULL) != CLEF_OK)
                    abort(); /* what loads must run */
            }
            free(ids);
            free(emb);
        }
        clef_encoder_free(enc);
    }
    clef_weights_free(w);
    clef_session_free(ss);
    clef_ctx_free(ctx);
    return 0;
}
