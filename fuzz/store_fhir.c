/* store_fhir.c — libFuzzer harness for the FHIR R4 Bundle importer (lib/store/fhir.c): libxml2
 * with no network, no entity substitution and no DTD; any input must parse or fail cleanly. */
#include "store/store_int.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static clef_status count_event(const char *subject, const char *time, const char *code,
                               const char *value, void *user) {
    size_t *n = user;
    *n += strlen(subject) + strlen(time) + strlen(code) + strlen(value) + 1;
    return CLEF_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    clef_ctx *ctx;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return 0;
    clefi_err err = {0};
    size_t n = 0;
    clef_status rc =
        clefi_fhir_parse(ctx, (const char *)data, size, "fuzz.xml", NULL, count_event, &n, &err);
    if (rc != CLEF_OK && err.msg[0] == '\0')
        __builtin_trap(); /* every error names its cause */
    clef_ctx_free(ctx);
    return 0;
}
