/* store_csv.c — libFuzzer harness for the RFC 4180 CSV reader (lib/core/csv.c) the store
 * imports with: any input is read record by record through a header lookup; it must never crash,
 * leak or read out of bounds, and every error must carry a message. */
#include "core/core_int.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    clef_ctx *ctx;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return 0;
    clefi_csv *r;
    clefi_err err = {0};
    if (clefi_csv_open(&r, ctx, (const char *)data, size, "fuzz.csv", &err) == CLEF_OK) {
        static const char *const cols[] = {"subject_id", "time", "code", "value"};
        static const int optional[] = {0, 1, 1, 1};
        size_t idx[4];
        clef_status rc = clefi_csv_header(r, cols, optional, 4, idx, &err);
        int has = 1;
        size_t total = 0;
        while (rc == CLEF_OK && has) {
            rc = clefi_csv_next(r, &has, &err);
            if (rc == CLEF_OK && has) {
                for (size_t k = 0; k < 4; k++)
                    total += strlen(clefi_csv_get(r, idx[k]));
                (void)clefi_csv_check_width(r, &err);
            }
        }
        if (rc != CLEF_OK && err.msg[0] == '\0')
            __builtin_trap(); /* every error names its cause */
        (void)total;
        clefi_csv_free(r);
    }
    clef_ctx_free(ctx);
    return 0;
}
