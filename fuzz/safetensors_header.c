/* safetensors_header.c — libFuzzer harness for the safetensors reader: header validation
 * (jansson JSON, dtype/shape/offset checks) and tensor access of whatever it accepts. */
#include <stdint.h>
#include <stdlib.h>

#include "clef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    clef_ctx *ctx;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return 0;
    clef_weights *w;
    if (clef_weights_open_memory(&w, ctx, data, size) == CLEF_OK) {
        /* every accepted tensor lies inside the input: read each one */
        for (int64_t i = 0; i < clef_weights_n_tensors(w); i++) {
            const char *name;
            int32_t dtype, rank;
            int64_t numel, shape[CLEF_WEIGHTS_MAX_RANK];
            size_t need = 0;
            if (clef_weights_tensor_info(w, i, &name, &dtype, &rank, &numel) != CLEF_OK ||
                clef_weights_tensor_shape(w, i, shape, CLEF_WEIGHTS_MAX_RANK, &need) != CLEF_OK)
                abort();
            clef_weights_read_raw(w, name, NULL, 0, &need);
            void *buf = malloc(need ? need : 1);
            if (buf != NULL && clef_weights_read_raw(w, name, buf, need, NULL) != CLEF_OK)
                abort();
            free(buf);
            if (clef_weights_read_f32(w, name, NULL, 0, &need) == CLEF_ERR_BUFFER_TOO_SMALL) {
                float *f = malloc(need * sizeof *f);
                if (f != NULL && clef_weights_read_f32(w, name, f, need, NULL) != CLEF_OK)
                    abort();
                free(f);
            }
        }
        for (int64_t i = 0; i < clef_weights_meta_count(w); i++) {
            const char *k, *v;
            if (clef_weights_meta_at(w, i, &k, &v) != CLEF_OK ||
                clef_weights_meta_get(w, k, &v) != CLEF_OK)
                abort();
        }
        clef_weights_free(w);
    }
    clef_ctx_free(ctx);
    return 0;
}
