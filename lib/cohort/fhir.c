/* fhir.c — a patient's EHR as an HL7 FHIR R4 Bundle in XML (libxml2 text writer).
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Element order follows the R4 resource definitions (hl7.org/fhir/R4: Bundle, Patient,
 * Condition, MedicationStatement, Encounter); every dateTime with a time carries a zone
 * (R4 datatypes "dateTime"). Codes: ICD-10-CM (http://hl7.org/fhir/sid/icd-10-cm), ATC
 * (http://www.whocc.no/atc), v3 ActCode for the encounter class. */
#include "cohort_int.h"

#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <string.h>

#define NS "http://hl7.org/fhir"

typedef struct fw {
    xmlTextWriterPtr w;
    int bad;
} fw;

static void start(fw *f, const char *name) {
    if (!f->bad && xmlTextWriterStartElement(f->w, BAD_CAST name) < 0)
        f->bad = 1;
}

static void end(fw *f) {
    if (!f->bad && xmlTextWriterEndElement(f->w) < 0)
        f->bad = 1;
}

/* <name value="v"/> */
static void val(fw *f, const char *name, const char *v) {
    start(f, name);
    if (!f->bad && xmlTextWriterWriteAttribute(f->w, BAD_CAST "value", BAD_CAST v) < 0)
        f->bad = 1;
    end(f);
}

static void coding(fw *f, const char *system, const char *code, const char *display) {
    start(f, "coding");
    val(f, "system", system);
    val(f, "code", code);
    if (display != NULL)
        val(f, "display", display);
    end(f);
}

static void codeable(fw *f, const char *name, const char *system, const char *code,
                     const char *display) {
    start(f, name);
    coding(f, system, code, display);
    end(f);
}

static void reference(fw *f, const char *name, const char *uuid) {
    char ref[64];
    snprintf(ref, sizeof ref, "urn:uuid:%s", uuid);
    start(f, name);
    val(f, "reference", ref);
    end(f);
}

/* FHIR ids allow [A-Za-z0-9.-] only (R4 datatypes "id"): '_' becomes '-'. */
static void fhir_id(char *out, size_t cap, const char *a, const char *b) {
    snprintf(out, cap, "%s%s", a, b);
    for (char *c = out; *c; c++)
        if (*c == '_')
            *c = '-';
}

/* RFC 4122 version-4 layout from the FHIR stream: stable across runs. */
static void make_uuid(clefi_crng *r, char out[37]) {
    uint64_t a = clefi_crng_u64(r), b = clefi_crng_u64(r);
    snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16 & 0xFFFF), (unsigned)(a & 0xFFF),
             (unsigned)(0x8000 | (b >> 48 & 0x3FFF)), (unsigned long long)(b & 0xFFFFFFFFFFFFull));
}

static void entry_start(fw *f, const char *uuid, const char *type, const char *id) {
    char url[64];
    snprintf(url, sizeof url, "urn:uuid:%s", uuid);
    start(f, "entry");
    val(f, "fullUrl", url);
    start(f, "resource");
    start(f, type);
    val(f, "id", id);
}

static void entry_end(fw *f) {
    end(f); /* type */
    end(f); /* resource */
    end(f); /* entry */
}

static void patient(fw *f, const clefi_patient *p, const char *uuid) {
    static const char *const gender[3] = {"female", "male", "unknown"};
    char dob[16];
    entry_start(f, uuid, "Patient", p->subject_id);
    /* Race as a plain extension with the cohort's 8-category code (docs/COHORT-FORMAT.md). */
    start(f, "extension");
    if (!f->bad &&
        xmlTextWriterWriteAttribute(f->w, BAD_CAST "url", BAD_CAST "urn:clef:cohort:race") < 0)
        f->bad = 1;
    val(f, "valueCode", clefi_race_code[p->race]);
    end(f);
    start(f, "identifier");
    val(f, "system", "urn:clef:synthetic:mrn");
    val(f, "value", p->mrn);
    end(f);
    start(f, "name");
    val(f, "family", p->family);
    val(f, "given", p->given);
    end(f);
    val(f, "gender", gender[p->sex]);
    snprintf(dob, sizeof dob, "%04d-%02d-%02d", (int)p->birth_y, (int)p->birth_m, (int)p->birth_d);
    val(f, "birthDate", dob);
    entry_end(f);
}

static void condition(fw *f, const clefi_patient *p, int dis, const char *uuid,
                      const char *pat_uuid, const char *onset) {
    char id[64], suffix[16];
    snprintf(suffix, sizeof suffix, "-cond-%d", dis);
    fhir_id(id, sizeof id, p->subject_id, suffix);
    entry_start(f, uuid, "Condition", id);
    codeable(f, "clinicalStatus", "http://terminology.hl7.org/CodeSystem/condition-clinical",
             "active", NULL);
    codeable(f, "verificationStatus", "http://terminology.hl7.org/CodeSystem/condition-ver-status",
             "confirmed", NULL);
    codeable(f, "code", "http://hl7.org/fhir/sid/icd-10-cm", clefi_dis_icd[dis],
             clefi_dis_display[dis]);
    reference(f, "subject", pat_uuid);
    val(f, "onsetDateTime", onset);
    entry_end(f);
}

static void medication(fw *f, const clefi_session *s, int med, const char *uuid,
                       const char *pat_uuid, const char *enc_uuid, const char *when) {
    char id[64];
    char suffix[16];
    snprintf(suffix, sizeof suffix, "-med-%d", med);
    fhir_id(id, sizeof id, s->session_id, suffix);
    entry_start(f, uuid, "MedicationStatement", id);
    val(f, "status", "active");
    codeable(f, "medicationCodeableConcept", "http://www.whocc.no/atc", clefi_med_atc[med],
             clefi_med_display[med]);
    reference(f, "subject", pat_uuid);
    reference(f, "context", enc_uuid);
    val(f, "effectiveDateTime", when);
    entry_end(f);
}

static void encounter(fw *f, const clefi_session *s, const char *uuid, const char *pat_uuid,
                      double duration_s) {
    char t0[24], t1[24];
    clefi_iso8601(s->start, t0);
    clefi_iso8601(s->start + (int64_t)(duration_s + 0.5), t1);
    char id[64];
    fhir_id(id, sizeof id, s->session_id, "");
    entry_start(f, uuid, "Encounter", id);
    /* The cohort's session id (manifest.csv) links the encounter to its recording. */
    start(f, "identifier");
    val(f, "system", "urn:clef:cohort:session");
    val(f, "value", s->session_id);
    end(f);
    val(f, "status", "finished");
    start(f, "class");
    val(f, "system", "http://terminology.hl7.org/CodeSystem/v3-ActCode");
    val(f, "code", "AMB");
    val(f, "display", "ambulatory");
    end(f);
    reference(f, "subject", pat_uuid);
    start(f, "period");
    val(f, "start", t0);
    val(f, "end", t1);
    end(f);
    entry_end(f);
}

clef_status clefi_cohort_write_fhir(clef_ctx *ctx, uint64_t seed, const clefi_patient *p,
                                    const clefi_session *sessions, double duration_s,
                                    const char *path) {
    fw f = {xmlNewTextWriterFilename(path, 0), 0};
    if (f.w == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_IO, "cannot open '%s' for writing", path);
    clefi_crng r;
    clefi_crng_init(&r, seed, (uint64_t)p->index, 0, CRNG_FHIR);
    char pat_uuid[37], uuid[37], when[24];
    make_uuid(&r, pat_uuid);
    xmlTextWriterSetIndent(f.w, 1);
    if (xmlTextWriterStartDocument(f.w, "1.0", "UTF-8", NULL) < 0)
        f.bad = 1;
    start(&f, "Bundle");
    if (!f.bad && xmlTextWriterWriteAttribute(f.w, BAD_CAST "xmlns", BAD_CAST NS) < 0)
        f.bad = 1;
    val(&f, "id", p->subject_id);
    val(&f, "type", "collection");
    patient(&f, p, pat_uuid);
    /* Conditions are dated a year before the first study (diagnosed before referral). */
    clefi_iso8601(sessions[p->first_session].start - 365 * 86400, when);
    for (int d = 0; d < CLEFI_N_DIS; d++) {
        if (!p->dis[d])
            continue;
        make_uuid(&r, uuid);
        condition(&f, p, d, uuid, pat_uuid, when);
    }
    for (int32_t k = 0; k < p->n_sessions; k++) {
        const clefi_session *s = &sessions[p->first_session + k];
        char enc_uuid[37];
        make_uuid(&r, enc_uuid);
        encounter(&f, s, enc_uuid, pat_uuid, duration_s);
        clefi_iso8601(s->start, when);
        for (int m = 0; m < CLEFI_N_MED; m++) {
            if (!s->med[m])
                continue;
            make_uuid(&r, uuid);
            medication(&f, s, m, uuid, pat_uuid, enc_uuid, when);
        }
    }
    end(&f); /* Bundle */
    if (!f.bad && xmlTextWriterEndDocument(f.w) < 0)
        f.bad = 1;
    xmlFreeTextWriter(f.w);
    if (f.bad)
        return clefi_ctx_error(ctx, CLEF_ERR_IO, "cannot write FHIR bundle '%s'", path);
    return CLEF_OK;
}
