/* ehr_xml.c — libFuzzer harness for the EHR record parser (lib/io: xml_safe.c, ehr_fhir.c,
 * ehr_cda.c): any input must give a record whose every field and item reads back, or an error
 * with a message; never a crash, a read of anything but the input, or a print. */
#include "clef.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    clef_ctx *ctx;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return 0;
    clef_ehr *e = NULL;
    clef_status rc = clef_ehr_parse_xml(&e, ctx, data, size, "fuzz.xml");
    if (rc != CLEF_OK && (e != NULL || clef_ctx_errmsg(ctx)[0] == '\0'))
        __builtin_trap(); /* every error names its cause and leaves no record */
    size_t total = 0;
    for (int32_t f = 0; e != NULL && f <= CLEF_EHR_AGE_YEARS; f++)
        total += strlen(clef_ehr_patient(e, f));
    for (int32_t k = 0; e != NULL && k <= CLEF_EHR_REPORT; k++)
        for (int64_t i = 0; i < clef_ehr_count(e, k); i++)
            for (int32_t a = 0; a <= CLEF_EHR_SOURCE; a++)
                total += strlen(clef_ehr_item(e, k, i, a));
    (void)total;
    clef_ehr_free(e);
    clef_ctx_free(ctx);
    return 0;
}
