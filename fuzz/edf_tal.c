/* edf_tal.c — libFuzzer harness for the EDF+ TAL parser (one annotation signal of one record). */
#include "io/io_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *user, double onset, double duration, const char *text, size_t len) {
    size_t *n = user;
    *n += len + (onset > duration);
    for (size_t i = 0; i < len; i++)
        *n += (unsigned char)text[i] == 0x14;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    clef_ctx *ctx = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return 0;
    double tk = 0;
    size_t n = 0;
    (void)clefi_tal_parse(ctx, &ctx->err, data, size, 0, 1, &tk, sink, &n);
    clef_ctx_free(ctx);
    return 0;
}
