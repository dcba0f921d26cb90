/* report_text.c — libFuzzer harness for the report text path (lib/clinical/report_*.c): any
 * bytes are de-identified, sectioned and summarized; nothing may crash, leak or read out of
 * bounds, sizes must agree, statuses must be in range, and de-identifying a de-identified text
 * leaves its tags alone. */
#include "clef.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    clef_ctx *ctx;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return 0;
    const char *text = (const char *)data;
    size_t need = 0;
    if (clef_report_deidentify(ctx, text, size, NULL, 0, &need) != CLEF_ERR_BUFFER_TOO_SMALL ||
        need == 0)
        __builtin_trap();
    char *out = malloc(need);
    if (out != NULL) {
        if (clef_report_deidentify(ctx, text, size, out, need, NULL) != CLEF_OK ||
            strlen(out) + 1 > need)
            __builtin_trap();
        /* a second pass keeps every tag of the first */
        size_t need2 = 0;
        (void)clef_report_deidentify(ctx, out, strlen(out), NULL, 0, &need2);
        char *out2 = malloc(need2);
        if (out2 != NULL &&
            clef_report_deidentify(ctx, out, strlen(out), out2, need2, NULL) == CLEF_OK) {
            size_t t1 = 0, t2 = 0;
            for (const char *p = strstr(out, "[NAME]"); p != NULL; p = strstr(p + 1, "[NAME]"))
                t1++;
            for (const char *p = strstr(out2, "[NAME]"); p != NULL; p = strstr(p + 1, "[NAME]"))
                t2++;
            if (t2 < t1)
                __builtin_trap();
        }
        free(out2);
    }
    free(out);
    size_t b, e;
    static const char *const names[] = {"history", "description", "impression", "findings"};
    for (int k = 0; k < 4; k++)
        if (clef_report_section(ctx, text, size, names[k], &b, &e) == CLEF_OK &&
            (b > e || e > size))
            __builtin_trap();
    int32_t st[16];
    char sum[512];
    clef_status rc =
        clef_report_summarize(ctx, text, size, NULL, NULL, sum, sizeof sum, &need, st, 16);
    if (rc != CLEF_OK && rc != CLEF_ERR_BUFFER_TOO_SMALL && rc != CLEF_ERR_NOMEM)
        __builtin_trap();
    if (rc != CLEF_ERR_NOMEM)
        for (int k = 0; k < 16; k++)
            if (st[k] < CLEF_FINDING_NOT_MENTIONED || st[k] > CLEF_FINDING_UNCERTAIN)
                __builtin_trap();
    clef_ctx_free(ctx);
    return 0;
}
