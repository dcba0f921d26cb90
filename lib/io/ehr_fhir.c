/* ehr_fhir.c — HL7 FHIR R4 Bundle (XML) -> clef_ehr. SPDX-License-Identifier: BSD-3-Clause
 *
 * Mapping (FHIR R4, http://hl7.org/fhir/R4/): the Bundle's one Patient gives id, gender (F, M,
 * U), birthDate and race (US Core race extension: its text, else the ombCategory display).
 * Every coding of Condition.code is a condition, of MedicationStatement / MedicationRequest
 * medicationCodeableConcept a medication, Encounter.class an encounter, each with its time
 * (Condition: onsetDateTime, recordedDate; medications: effectiveDateTime,
 * effectivePeriod.start, dateAsserted, authoredOn; Encounter: period.start). DiagnosticReport
 * gives report texts: its conclusion and each presentedForm with contentType text/plain and
 * inline base64 data (a url is never fetched), with the report's first coding and time
 * (effectiveDateTime, effectivePeriod.start, issued). Every resource with a subject must
 * reference the Patient (Patient/<id> or the Patient entry's fullUrl). */
#include "ehr_int.h"

#include <string.h>

#define NS     CLEFI_FHIR_NS
#define VALMAX 256 /* codes, systems, times, short names */

typedef struct fhir_walk {
    clef_ehr *e;
    clefi_err *err;
    const char *name;
    char patient[VALMAX];  /* Patient.id */
    char full_url[VALMAX]; /* the Patient entry's fullUrl */
} fhir_walk;

static xmlNode *child(const xmlNode *n, const char *name) { return clefi_xml_child(n, NS, name); }

static xmlNode *first_elem(const xmlNode *n) {
    for (xmlNode *c = n != NULL ? n->children : NULL; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

/* The value attribute of a FHIR primitive element into out ("" if absent). */
static clef_status value_of(fhir_walk *w, const xmlNode *n, char *out) {
    out[0] = '\0';
    xmlChar *v = n != NULL ? xmlGetNoNsProp(n, (const xmlChar *)"value") : NULL;
    if (v == NULL)
        return CLEF_OK;
    size_t len = strlen((const char *)v);
    clef_status rc = CLEF_OK;
    if (len >= VALMAX)
        rc = clefi_error(w->e->ctx, w->err, CLEF_ERR_FORMAT,
                         "%s line %ld: <%s value> of %zu bytes exceeds %d", w->name,
                         (long)xmlGetLineNo(n), (const char *)n->name, len, VALMAX - 1);
    else
        memcpy(out, v, len + 1);
    xmlFree(v);
    return rc;
}

static clef_status check_subject(fhir_walk *w, const xmlNode *res) {
    char ref[VALMAX];
    clef_status rc = value_of(w, child(child(res, "subject"), "reference"), ref);
    if (rc != CLEF_OK)
        return rc;
    const char *pfx = "Patient/";
    int ok = (strncmp(ref, pfx, strlen(pfx)) == 0 && strcmp(ref + strlen(pfx), w->patient) == 0) ||
             (w->full_url[0] != '\0' && strcmp(ref, w->full_url) == 0);
    if (!ok)
        return clefi_error(w->e->ctx, w->err, CLEF_ERR_FORMAT,
                           "%s line %ld: %s.subject '%s' is not the bundle's Patient '%s'", w->name,
                           (long)xmlGetLineNo(res), (const char *)res->name, ref, w->patient);
    return CLEF_OK;
}

/* The first present of several time elements (paths of one or two steps). */
static clef_status first_time(fhir_walk *w, const xmlNode *res, const char *const *paths,
                              char *out) {
    out[0] = '\0';
    for (size_t i = 0; paths[i] != NULL && out[0] == '\0'; i++) {
        const char *dot = strchr(paths[i], '.');
        const xmlNode *e;
        if (dot == NULL) {
            e = child(res, paths[i]);
        } else {
            char head[64];
            size_t lh = (size_t)(dot - paths[i]);
            memcpy(head, paths[i], lh);
            head[lh] = '\0';
            e = child(child(res, head), dot + 1);
        }
        clef_status rc = value_of(w, e, out);
        if (rc != CLEF_OK)
            return rc;
    }
    return CLEF_OK;
}

/* A Coding's system, code and display (display falling back to the concept's text). */
typedef struct coding_vals {
    char system[VALMAX], code[VALMAX], display[VALMAX];
} coding_vals;

static clef_status read_coding(fhir_walk *w, const xmlNode *coding, const xmlNode *concept,
                               coding_vals *c) {
    clef_status rc = value_of(w, child(coding, "system"), c->system);
    if (rc == CLEF_OK)
        rc = value_of(w, child(coding, "code"), c->code);
    if (rc == CLEF_OK)
        rc = value_of(w, child(coding, "display"), c->display);
    if (rc == CLEF_OK && c->display[0] == '\0')
        rc = value_of(w, child(concept, "text"), c->display);
    return rc;
}

/* An item of a kind from a coding (a report's text, else NULL). */
static clef_status add_item(fhir_walk *w, int32_t kind, const coding_vals *c, const char *time,
                            const char *source, const char *text) {
    const char *a[CLEFI_EHR_N_ATTRS] = {NULL};
    a[CLEF_EHR_SYSTEM] = c->system;
    a[CLEF_EHR_CODE] = c->code;
    a[CLEF_EHR_DISPLAY] = c->display;
    a[CLEF_EHR_TIME] = time;
    a[CLEF_EHR_TEXT] = text;
    a[CLEF_EHR_SOURCE] = source;
    return clefi_ehr_add(w->e, kind, a, w->err);
}

/* Every coding with a code of a CodeableConcept is an item of the kind. */
static clef_status codings(fhir_walk *w, const xmlNode *concept, int32_t kind, const char *time,
                           const char *source) {
    for (xmlNode *c = concept != NULL ? concept->children : NULL; c != NULL; c = c->next) {
        if (!clefi_xml_is(c, NS, "coding"))
            continue;
        coding_vals v;
        clef_status rc = read_coding(w, c, concept, &v);
        if (rc == CLEF_OK && v.code[0] != '\0')
            rc = add_item(w, kind, &v, time, source, NULL);
        if (rc != CLEF_OK)
            return rc;
    }
    return CLEF_OK;
}

/* Race: the US Core race extension's text, else its first ombCategory display or code; or the
 * synthetic cohort's extension (urn:clef:cohort:race, valueCode). */
static clef_status race(fhir_walk *w, const xmlNode *res) {
    static const char url_race[] = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race";
    char v[VALMAX] = "";
    for (xmlNode *x = res->children; x != NULL && v[0] == '\0'; x = x->next) {
        if (!clefi_xml_is(x, NS, "extension"))
            continue;
        xmlChar *u = xmlGetNoNsProp(x, (const xmlChar *)"url");
        int is_race = u != NULL && strcmp((const char *)u, url_race) == 0;
        int is_cohort = u != NULL && strcmp((const char *)u, "urn:clef:cohort:race") == 0;
        xmlFree(u);
        clef_status rc = is_cohort ? value_of(w, child(x, "valueCode"), v) : CLEF_OK;
        if (rc != CLEF_OK)
            return rc;
        for (xmlNode *s = is_race ? x->children : NULL; s != NULL && v[0] == '\0'; s = s->next) {
            u = clefi_xml_is(s, NS, "extension") ? xmlGetNoNsProp(s, (const xmlChar *)"url") : NULL;
            int is_text = u != NULL && strcmp((const char *)u, "text") == 0;
            int is_omb = u != NULL && strcmp((const char *)u, "ombCategory") == 0;
            xmlFree(u);
            if (is_text) {
                rc = value_of(w, child(s, "valueString"), v);
            } else if (is_omb) {
                rc = value_of(w, child(child(s, "valueCoding"), "display"), v);
                if (rc == CLEF_OK && v[0] == '\0')
                    rc = value_of(w, child(child(s, "valueCoding"), "code"), v);
            }
            if (rc != CLEF_OK)
                return rc;
        }
    }
    return v[0] != '\0' ? clefi_ehr_set(w->e, CLEF_EHR_RACE, v, strlen(v), w->err) : CLEF_OK;
}

static clef_status patient(fhir_walk *w, const xmlNode *res) {
    char gender[VALMAX], birth[VALMAX];
    clef_status rc = value_of(w, child(res, "gender"), gender);
    if (rc == CLEF_OK)
        rc = value_of(w, child(res, "birthDate"), birth);
    if (rc != CLEF_OK)
        return rc;
    if (gender[0] != '\0') {
        const char *sex = strcmp(gender, "female") == 0 ? "F"
                          : strcmp(gender, "male") == 0 ? "M"
                                                        : "U";
        rc = clefi_ehr_set(w->e, CLEF_EHR_SEX, sex, 1, w->err);
    }
    if (rc == CLEF_OK)
        rc = clefi_ehr_set(w->e, CLEF_EHR_BIRTH_DATE, birth, strlen(birth), w->err);
    if (rc == CLEF_OK)
        rc = race(w, res);
    return rc;
}

/* ---- DiagnosticReport texts ---- */

static int b64_value(int c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* RFC 4648 base64 (blanks ignored, '=' padding) into a new NUL-terminated string; 0 on success,
 * 1 when malformed, 2 out of memory. */
static int b64_decode(clef_ctx *ctx, const char *in, char **out, size_t *n_out) {
    size_t n = strlen(in), len = 0;
    char *buf = clefi_malloc(ctx, n / 4 * 3 + 4);
    if (buf == NULL)
        return 2;
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)in[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        int v = b64_value(c);
        if (c == '=') {
            pad++;
            continue;
        }
        if (v < 0 || pad > 0) {
            clefi_free(ctx, buf);
            return 1;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[len++] = (char)(acc >> bits & 0xFF);
        }
    }
    if (pad > 2 || bits >= 6) {
        clefi_free(ctx, buf);
        return 1;
    }
    buf[len] = '\0';
    *out = buf;
    *n_out = len;
    return 0;
}

/* 1 if s[0..n) is well-formed UTF-8 without NUL. */
static int valid_utf8_text(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t k = c == 0                            ? 0
                   : c < 0x80                        ? 1
                   : (c & 0xE0) == 0xC0 && c >= 0xC2 ? 2
                   : (c & 0xF0) == 0xE0              ? 3
                   : (c & 0xF8) == 0xF0 && c <= 0xF4 ? 4
                                                     : 0;
        if (k == 0 || i + k > n)
            return 0;
        for (size_t j = 1; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
        if ((k == 3 && ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0))) ||
            (k == 4 && ((c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] >= 0x90))))
            return 0;
        i += k;
    }
    return 1;
}

/* One presentedForm Attachment: text/plain with inline data becomes a report text. */
static clef_status presented_form(fhir_walk *w, const xmlNode *form, const coding_vals *c,
                                  const char *time) {
    char type[VALMAX];
    clef_status rc = value_of(w, child(form, "contentType"), type);
    if (rc != CLEF_OK || strncmp(type, "text/plain", 10) != 0 ||
        (type[10] != '\0' && type[10] != ';'))
        return rc; /* PDF, HTML, ...: not a text this record keeps */
    const xmlNode *data = child(form, "data");
    xmlChar *b64 = data != NULL ? xmlGetNoNsProp(data, (const xmlChar *)"value") : NULL;
    if (b64 == NULL)
        return CLEF_OK; /* a url only: never fetched */
    char *text = NULL;
    size_t n = 0;
    int bad = b64_decode(w->e->ctx, (const char *)b64, &text, &n);
    xmlFree(b64);
    if (bad == 2)
        return clefi_error(w->e->ctx, w->err, CLEF_ERR_NOMEM, "%s: cannot decode presentedForm",
                           w->name);
    if (bad == 0 && !valid_utf8_text((const unsigned char *)text, n))
        bad = 3;
    if (bad != 0)
        rc = clefi_error(w->e->ctx, w->err, CLEF_ERR_FORMAT,
                         "%s line %ld: DiagnosticReport.presentedForm.data is %s", w->name,
                         (long)xmlGetLineNo(data),
                         bad == 1 ? "not base64" : "not UTF-8 text (or holds a NUL byte)");
    else
        rc = add_item(w, CLEF_EHR_REPORT, c, time, "DiagnosticReport.presentedForm", text);
    clefi_free(w->e->ctx, text);
    return rc;
}

static clef_status diagnostic_report(fhir_walk *w, const xmlNode *res, const char *time) {
    coding_vals c = {"", "", ""};
    const xmlNode *code = child(res, "code");
    clef_status rc = CLEF_OK;
    const xmlNode *first = child(code, "coding");
    if (first != NULL)
        rc = read_coding(w, first, code, &c);
    else
        rc = value_of(w, child(code, "text"), c.display);
    const xmlNode *concl = child(res, "conclusion");
    xmlChar *text = concl != NULL ? xmlGetNoNsProp(concl, (const xmlChar *)"value") : NULL;
    if (rc == CLEF_OK && text != NULL)
        rc = add_item(w, CLEF_EHR_REPORT, &c, time, "DiagnosticReport.conclusion",
                      (const char *)text);
    xmlFree(text);
    for (xmlNode *f = res->children; f != NULL && rc == CLEF_OK; f = f->next)
        if (clefi_xml_is(f, NS, "presentedForm"))
            rc = presented_form(w, f, &c, time);
    return rc;
}

static clef_status resource(fhir_walk *w, const xmlNode *res) {
    static const char *const t_cond[] = {"onsetDateTime", "recordedDate", NULL};
    static const char *const t_med[] = {"effectiveDateTime", "effectivePeriod.start",
                                        "dateAsserted", "authoredOn", NULL};
    static const char *const t_enc[] = {"period.start", NULL};
    static const char *const t_rep[] = {"effectiveDateTime", "effectivePeriod.start", "issued",
                                        NULL};
    const char *type = (const char *)res->name;
    const char *const *times = clefi_xml_is(res, NS, "Condition")             ? t_cond
                               : clefi_xml_is(res, NS, "MedicationStatement") ? t_med
                               : clefi_xml_is(res, NS, "MedicationRequest")   ? t_med
                               : clefi_xml_is(res, NS, "Encounter")           ? t_enc
                               : clefi_xml_is(res, NS, "DiagnosticReport")    ? t_rep
                                                                              : NULL;
    if (times == NULL)
        return CLEF_OK; /* Patient (read first) and resources the record does not keep */
    char time[VALMAX];
    clef_status rc = check_subject(w, res);
    if (rc == CLEF_OK)
        rc = first_time(w, res, times, time);
    if (rc != CLEF_OK)
        return rc;
    if (times == t_cond)
        return codings(w, child(res, "code"), CLEF_EHR_CONDITION, time, type);
    if (times == t_med)
        return codings(w, child(res, "medicationCodeableConcept"), CLEF_EHR_MEDICATION, time, type);
    if (times == t_rep)
        return diagnostic_report(w, res, time);
    coding_vals c; /* Encounter.class is one Coding */
    const xmlNode *cls = child(res, "class");
    rc = read_coding(w, cls, NULL, &c);
    if (rc == CLEF_OK && c.code[0] != '\0')
        rc = add_item(w, CLEF_EHR_ENCOUNTER, &c, time, type, NULL);
    return rc;
}

clef_status clefi_ehr_fhir(clef_ehr *e, const xmlNode *bundle, const char *name, clefi_err *err) {
    fhir_walk w = {e, err, name, "", ""};
    /* pass 1: the bundle's single Patient (id and fullUrl) */
    int n_patients = 0;
    const xmlNode *pat = NULL;
    for (xmlNode *en = bundle->children; en != NULL; en = en->next) {
        const xmlNode *res = first_elem(child(en, "resource"));
        if (!clefi_xml_is(en, NS, "entry") || !clefi_xml_is(res, NS, "Patient"))
            continue;
        clef_status rc = value_of(&w, child(res, "id"), w.patient);
        if (rc == CLEF_OK)
            rc = value_of(&w, child(en, "fullUrl"), w.full_url);
        if (rc != CLEF_OK)
            return rc;
        pat = res;
        n_patients++;
    }
    if (n_patients != 1 || w.patient[0] == '\0')
        return clefi_error(e->ctx, err, CLEF_ERR_FORMAT,
                           "%s: the Bundle has %d Patient resources with an id, expected 1", name,
                           n_patients);
    clef_status rc = clefi_ehr_set(e, CLEF_EHR_PATIENT_ID, w.patient, strlen(w.patient), err);
    if (rc == CLEF_OK)
        rc = patient(&w, pat);
    /* pass 2: every other resource */
    for (xmlNode *en = bundle->children; en != NULL && rc == CLEF_OK; en = en->next) {
        const xmlNode *res =
            clefi_xml_is(en, NS, "entry") ? first_elem(child(en, "resource")) : NULL;
        if (res != NULL)
            rc = resource(&w, res);
    }
    return rc;
}
