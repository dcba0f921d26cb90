/* text_wordpiece.c — libFuzzer harness for the text tower's vocab.txt parser and WordPiece
 * tokenizer (lib/clinical/text_wordpiece.c). Input: vocab.txt bytes, a NUL, then the text (its
 * first byte also picks the id cap). Any input must neither crash nor read out of bounds; a
 * parse error carries a message; ids are [CLS] ... [SEP], within the cap and the vocabulary. */
#include "clinical/text_int.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, 0, size);
    if (nul == NULL)
        return 0;
    size_t nv = (size_t)(nul - data);
    const char *text = (const char *)nul + 1;
    size_t nt = size - nv - 1;
    clef_ctx *ctx;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return 0;
    clefi_vocab v;
    clefi_err err = {0};
    if (clefi_vocab_parse(&v, ctx, (const char *)data, nv, &err) == CLEF_OK) {
        int32_t ids[CLEFI_TEXT_MAX_TOKENS];
        int32_t cap = 2 + (nt > 0 ? (unsigned char)text[0] : 254) % (CLEFI_TEXT_MAX_TOKENS - 1);
        int32_t n = clefi_wordpiece(&v, text, nt, ids, cap);
        if (n < 2 || n > cap || ids[0] != v.cls || ids[n - 1] != v.sep)
            __builtin_trap();
        for (int32_t i = 0; i < n; i++)
            if (ids[i] < 0 || (size_t)ids[i] >= v.n)
                __builtin_trap();
        clefi_vocab_free(&v, ctx);
    } else if (err.msg[0] == '\0') {
        __builtin_trap(); /* every error names its cause */
    }
    clef_ctx_free(ctx);
    return 0;
}
