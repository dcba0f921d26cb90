/* fhir.c — HL7 FHIR R4 Bundle (XML) -> MEDS-style events. SPDX-License-Identifier: BSD-3-Clause
 *
 * The bundle is read by the library's one EHR parser (clef_ehr_parse_xml, lib/io: libxml2
 * without network, DTD or entities; DOCTYPE refused; depth and size limits; every resource's
 * subject checked against the bundle's one Patient; docs/ehr.md), then mapped to events:
 * Patient.gender -> SEX (F/M/U), Patient.birthDate -> BIRTH; Condition codings of ICD-10-CM
 * (http://hl7.org/fhir/sid/icd-10-cm) -> ICD10CM/<code>; MedicationStatement /
 * MedicationRequest codings of ATC (http://www.whocc.no/atc) -> ATC/<code>; Encounter.class ->
 * ENCOUNTER/<code>, each at the item's time. */
#include "store_int.h"

#include <string.h>

#define CODE_MAX 300

static clef_status emit_items(const clef_ehr *e, int32_t kind, const char *vocab,
                              const char *prefix, clefi_fhir_event_fn fn, void *user) {
    const char *subject = clef_ehr_patient(e, CLEF_EHR_PATIENT_ID);
    for (int64_t i = 0; i < clef_ehr_count(e, kind); i++) {
        const char *code = clef_ehr_item(e, kind, i, CLEF_EHR_CODE);
        if (vocab != NULL && strcmp(clef_ehr_item(e, kind, i, CLEF_EHR_VOCAB), vocab) != 0)
            continue;
        char full[CODE_MAX];
        size_t lp = strlen(prefix), lc = strlen(code);
        if (lc == 0 || lp + lc >= sizeof full)
            continue; /* no code, or none a MEDS code can hold */
        memcpy(full, prefix, lp);
        memcpy(full + lp, code, lc + 1);
        clef_status rc = fn(subject, clef_ehr_item(e, kind, i, CLEF_EHR_TIME), full, "", user);
        if (rc != CLEF_OK)
            return rc;
    }
    return CLEF_OK;
}

static clef_status emit_all(const clef_ehr *e, clefi_fhir_event_fn fn, void *user) {
    const char *subject = clef_ehr_patient(e, CLEF_EHR_PATIENT_ID);
    const char *sex = clef_ehr_patient(e, CLEF_EHR_SEX);
    const char *birth = clef_ehr_patient(e, CLEF_EHR_BIRTH_DATE);
    clef_status rc = sex[0] != '\0' ? fn(subject, "", "SEX", sex, user) : CLEF_OK;
    if (rc == CLEF_OK && birth[0] != '\0')
        rc = fn(subject, birth, "BIRTH", "", user);
    if (rc == CLEF_OK)
        rc = emit_items(e, CLEF_EHR_CONDITION, "ICD10CM", "ICD10CM/", fn, user);
    if (rc == CLEF_OK)
        rc = emit_items(e, CLEF_EHR_MEDICATION, "ATC", "ATC/", fn, user);
    if (rc == CLEF_OK)
        rc = emit_items(e, CLEF_EHR_ENCOUNTER, NULL, "ENCOUNTER/", fn, user);
    return rc;
}

clef_status clefi_fhir_parse(clef_ctx *ctx, const char *data, size_t n, const char *name,
                             const char *expected_subject, clefi_fhir_event_fn fn, void *user,
                             clefi_err *err) {
    clef_ehr *e = NULL;
    clef_status rc = clef_ehr_parse_xml(&e, ctx, data, n, name);
    if (rc != CLEF_OK)
        return clefi_error(ctx, err, rc, "%s", clef_ctx_errmsg(ctx));
    const char *subject = clef_ehr_patient(e, CLEF_EHR_PATIENT_ID);
    if (clef_ehr_format(e) != CLEF_EHR_FORMAT_FHIR)
        rc = clefi_error(ctx, err, CLEF_ERR_FORMAT,
                         "%s: the root element is not a FHIR Bundle (a CDA document)", name);
    else if (expected_subject != NULL && strcmp(subject, expected_subject) != 0)
        rc = clefi_error(ctx, err, CLEF_ERR_FORMAT,
                         "%s: the Patient id '%s' is not the file's subject '%s'", name, subject,
                         expected_subject);
    else
        rc = emit_all(e, fn, user);
    clef_ehr_free(e);
    return rc;
}
