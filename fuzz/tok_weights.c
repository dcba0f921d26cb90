/* tok_weights.c — libFuzzer harness for tokenizer weights: the clef.tok.* and clef.spec.*
 * metadata, the session-mean keys and tensors, and the binding of every tensor; a tokenizer it
 * accepts must encode a small spectrogram and decode its ids. */
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
    clef_tokenizer *tok = NULL;
    if (clef_weights_open_memory(&w, ctx, data, size) == CLEF_OK &&
        clefi_tok_load_weights(&tok, ctx, w, "fuzz") == CLEF_OK) {
        int64_t c = 0, f = 0, t = 0;
        clef_tokenizer_shape(tok, &c, &f, &t, NULL, NULL);
        size_t n_in = (size_t)(c * f * t), n_tok = (size_t)clef_tokenizer_n_tokens(tok);
        /* small images only: the fuzzer looks for parser bugs, not for big allocations */
        if (n_in <= ((size_t)1 << 20)) {
            float *spec = calloc(n_in, sizeof *spec), *out = calloc(n_in, sizeof *out);
            int32_t *ids = calloc(n_tok, sizeof *ids);
            if (spec != NULL && out != NULL && ids != NULL) {
                for (size_t i = 0; i < n_in; i++)
                    spec[i] = (float)(i % 17) - 8.0f;
                if (clef_tokenizer_encode(tok, ss, spec, c, f, t, ids, n_tok, NULL, 0, NULL) !=
                        CLEF_OK ||
                    clef_tokenizer_decode(tok, ss, ids, n_tok, out, n_in, NULL) != CLEF_OK)
                    abort(); /* what loads must run */
            }
            free(spec);
            free(out);
            free(ids);
        }
        clef_tokenizer_free(tok);
    }
    clef_weights_free(w);
    clef_session_free(ss);
    clef_ctx_free(ctx);
    return 0;
}
