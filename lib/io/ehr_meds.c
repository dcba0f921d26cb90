/* ehr_meds.c — MEDS-style events CSV (subject_id,time,code,value; docs/COHORT-FORMAT.md) ->
 * one subject's clef_ehr. SPDX-License-Identifier: BSD-3-Clause
 *
 * Codes: SEX, RACE, AGE (the last row wins: rows are in time order) and BIRTH (its time) are
 * demographics; ICD10CM/<c> and ICD10/<c> conditions, ATC/<c> and RXNORM/<c> medications,
 * ENCOUNTER/<c> encounters, each with the row's time. Other codes are not part of the record. */
#include "ehr_int.h"

#include <string.h>

enum { E_SUBJECT, E_TIME, E_CODE, E_VALUE, E_N };

typedef struct meds_prefix {
    const char *prefix;
    int32_t kind;
    const char *system;
} meds_prefix;

static const meds_prefix k_prefixes[] = {
    {"ICD10CM/", CLEF_EHR_CONDITION, "http://hl7.org/fhir/sid/icd-10-cm"},
    {"ICD10/", CLEF_EHR_CONDITION, "http://hl7.org/fhir/sid/icd-10"},
    {"ATC/", CLEF_EHR_MEDICATION, "http://www.whocc.no/atc"},
    {"RXNORM/", CLEF_EHR_MEDICATION, "http://www.nlm.nih.gov/research/umls/rxnorm"},
    {"ENCOUNTER/", CLEF_EHR_ENCOUNTER, "http://terminology.hl7.org/CodeSystem/v3-ActCode"},
};

static clef_status event(clef_ehr *e, const char *time, const char *code, const char *value,
                         clefi_err *err) {
    static const char *const demo[] = {"SEX", "RACE", "AGE", "BIRTH"};
    static const int32_t demo_field[] = {CLEF_EHR_SEX, CLEF_EHR_RACE, CLEF_EHR_AGE_YEARS,
                                         CLEF_EHR_BIRTH_DATE};
    for (size_t i = 0; i < sizeof demo / sizeof demo[0]; i++)
        if (strcmp(code, demo[i]) == 0) {
            const char *v = demo_field[i] == CLEF_EHR_BIRTH_DATE ? time : value;
            return clefi_ehr_set(e, demo_field[i], v, strlen(v), err);
        }
    for (size_t i = 0; i < sizeof k_prefixes / sizeof k_prefixes[0]; i++) {
        size_t lp = strlen(k_prefixes[i].prefix);
        if (strncmp(code, k_prefixes[i].prefix, lp) != 0 || code[lp] == '\0')
            continue;
        const char *a[CLEFI_EHR_N_ATTRS] = {NULL};
        a[CLEF_EHR_SYSTEM] = k_prefixes[i].system;
        a[CLEF_EHR_CODE] = code + lp;
        a[CLEF_EHR_TIME] = time;
        a[CLEF_EHR_SOURCE] = "events.csv";
        return clefi_ehr_add(e, k_prefixes[i].kind, a, err);
    }
    return CLEF_OK;
}

/* Rows of one subject (subject NULL: the first row's, and no other may appear). */
static clef_status read_rows(clef_ehr *e, clefi_csv *r, const char *subject, clefi_err *err) {
    static const char *const cols[E_N] = {"subject_id", "time", "code", "value"};
    static const int optional[E_N] = {0, 0, 0, 1};
    size_t idx[E_N];
    clef_status rc = clefi_csv_header(r, cols, optional, E_N, idx, err);
    int has_row = 1;
    while (rc == CLEF_OK) {
        rc = clefi_csv_next(r, &has_row, err);
        if (rc != CLEF_OK || !has_row)
            break;
        rc = clefi_csv_check_width(r, err);
        const char *subj = clefi_csv_get(r, idx[E_SUBJECT]);
        const char *want = subject != NULL ? subject : e->field[CLEF_EHR_PATIENT_ID];
        if (rc != CLEF_OK || (want != NULL && strcmp(subj, want) != 0)) {
            if (rc == CLEF_OK && subject == NULL)
                rc = clefi_error(e->ctx, err, CLEF_ERR_FORMAT,
                                 "%s line %lld: a second subject '%.64s' (after '%.64s'): name "
                                 "the subject to read",
                                 clefi_csv_name(r), (long long)clefi_csv_line(r), subj, want);
            continue;
        }
        if (e->field[CLEF_EHR_PATIENT_ID] == NULL)
            rc = clefi_ehr_set(e, CLEF_EHR_PATIENT_ID, subj, strlen(subj), err);
        if (rc == CLEF_OK)
            rc = event(e, clefi_csv_get(r, idx[E_TIME]), clefi_csv_get(r, idx[E_CODE]),
                       clefi_csv_get(r, idx[E_VALUE]), err);
    }
    if (rc == CLEF_OK && e->field[CLEF_EHR_PATIENT_ID] == NULL)
        rc = clefi_error(e->ctx, err, CLEF_ERR_NOT_FOUND, "%s: no events of subject '%.64s'",
                         clefi_csv_name(r), subject != NULL ? subject : "(any)");
    return rc;
}

clef_status clef_ehr_read_events(clef_ehr **out, clef_ctx *ctx, const char *path,
                                 const char *subject_id) {
    clefi_reset(ctx);
    if (out != NULL)
        *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (out == NULL || path == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "clef_ehr_read_events: out or path NULL");
    char *data = NULL;
    size_t n = 0;
    clefi_csv *r = NULL;
    clef_ehr *e = NULL;
    clef_status rc = clefi_ehr_new(&e, ctx, CLEF_EHR_FORMAT_MEDS);
    if (rc == CLEF_OK)
        rc = clefi_read_file(ctx, path, &data, &n, &ctx->err);
    if (rc == CLEF_OK)
        rc = clefi_csv_open(&r, ctx, data, n, path, &ctx->err);
    if (rc == CLEF_OK)
        rc = read_rows(e, r, subject_id, &ctx->err);
    clefi_csv_free(r);
    clefi_free(ctx, data);
    return clefi_ehr_finish(out, e, rc);
}
