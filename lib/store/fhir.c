/* fhir.c — HL7 FHIR R4 Bundle (XML) -> MEDS-style events. SPDX-License-Identifier: BSD-3-Clause
 *
 * Safety: libxml2 parses with XML_PARSE_NONET (no network), without XML_PARSE_NOENT (no entity
 * substitution) or XML_PARSE_DTDLOAD (no external DTD), and a document with any DOCTYPE is
 * refused before parsing: a FHIR resource never has one, and refusing it closes XXE and entity
 * expansion. libxml2's global state is never changed (no xmlCleanupParser, no allocator hooks).
 *
 * Mapping (FHIR R4, http://hl7.org/fhir/R4/): Patient.gender -> SEX (F/M/U), Patient.birthDate
 * -> BIRTH; Condition.code (system http://hl7.org/fhir/sid/icd-10-cm) -> ICD10CM/<code> at
 * onsetDateTime or recordedDate; MedicationStatement / MedicationRequest
 * medicationCodeableConcept (system http://www.whocc.no/atc) -> ATC/<code> at
 * effectiveDateTime, effectivePeriod.start, dateAsserted or authoredOn; Encounter.class ->
 * ENCOUNTER/<code> at period.start. */
#include "store_int.h"

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <string.h>

#define FHIR_NS     "http://hl7.org/fhir"
#define SYSTEM_ICD  "http://hl7.org/fhir/sid/icd-10-cm"
#define SYSTEM_ATC  "http://www.whocc.no/atc"
#define FHIR_VALMAX 256

typedef struct fhir_walk {
    clef_ctx *ctx;
    clefi_err *err;
    const char *name;
    const char *expected; /* the subject the file must describe, or NULL */
    clefi_fhir_event_fn fn;
    void *user;
    char patient[FHIR_VALMAX];  /* Patient.id */
    char full_url[FHIR_VALMAX]; /* the Patient entry's fullUrl */
} fhir_walk;

static int is_elem(const xmlNode *n, const char *name) {
    return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
           strcmp((const char *)n->ns->href, FHIR_NS) == 0 &&
           strcmp((const char *)n->name, name) == 0;
}

static xmlNode *child(const xmlNode *n, const char *name) {
    for (xmlNode *c = n != NULL ? n->children : NULL; c != NULL; c = c->next)
        if (is_elem(c, name))
            return c;
    return NULL;
}

static xmlNode *first_elem(const xmlNode *n) {
    for (xmlNode *c = n != NULL ? n->children : NULL; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

/* The value attribute of a FHIR primitive element into out ("" if absent). */
static clef_status value_of(fhir_walk *w, const xmlNode *n, char *out) {
    out[0] = '\0';
    if (n == NULL)
        return CLEF_OK;
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)"value");
    if (v == NULL)
        return CLEF_OK;
    size_t len = strlen((const char *)v);
    clef_status rc = CLEF_OK;
    if (len >= FHIR_VALMAX)
        rc = clefi_error(w->ctx, w->err, CLEF_ERR_FORMAT,
                         "%s line %ld: <%s value> of %zu bytes exceeds %d", w->name,
                         (long)xmlGetLineNo(n), (const char *)n->name, len, FHIR_VALMAX - 1);
    else
        memcpy(out, v, len + 1);
    xmlFree(v);
    return rc;
}

static clef_status emit(fhir_walk *w, const char *time, const char *prefix, const char *code,
                        const char *value) {
    char full[2 * FHIR_VALMAX];
    size_t lp = strlen(prefix), lc = strlen(code);
    memcpy(full, prefix, lp);
    memcpy(full + lp, code, lc + 1);
    return w->fn(w->patient, time, full, value, w->user);
}

static clef_status check_subject(fhir_walk *w, const xmlNode *res) {
    char ref[FHIR_VALMAX];
    clef_status rc = value_of(w, child(child(res, "subject"), "reference"), ref);
    if (rc != CLEF_OK)
        return rc;
    const char *pfx = "Patient/";
    int ok = (strncmp(ref, pfx, strlen(pfx)) == 0 && strcmp(ref + strlen(pfx), w->patient) == 0) ||
             (w->full_url[0] != '\0' && strcmp(ref, w->full_url) == 0);
    if (!ok)
        return clefi_error(w->ctx, w->err, CLEF_ERR_FORMAT,
                           "%s line %ld: %s.subject '%s' is not the bundle's Patient '%s'", w->name,
                           (long)xmlGetLineNo(res), (const char *)res->name, ref, w->patient);
    return CLEF_OK;
}

/* Every coding of a CodeableConcept whose system matches becomes an event. */
static clef_status codings(fhir_walk *w, const xmlNode *concept, const char *system,
                           const char *prefix, const char *time) {
    for (xmlNode *c = concept != NULL ? concept->children : NULL; c != NULL; c = c->next) {
        if (!is_elem(c, "coding"))
            continue;
        char sys[FHIR_VALMAX], code[FHIR_VALMAX];
        clef_status rc = value_of(w, child(c, "system"), sys);
        if (rc == CLEF_OK)
            rc = value_of(w, child(c, "code"), code);
        if (rc == CLEF_OK && strcmp(sys, system) == 0 && code[0] != '\0')
            rc = emit(w, time, prefix, code, "");
        if (rc != CLEF_OK)
            return rc;
    }
    return CLEF_OK;
}

/* The first present of several time elements (paths of one or two steps). */
static clef_status first_time(fhir_walk *w, const xmlNode *res, const char *const *paths, size_t n,
                              char *out) {
    out[0] = '\0';
    for (size_t i = 0; i < n && out[0] == '\0'; i++) {
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

static clef_status patient(fhir_walk *w, const xmlNode *res) {
    char gender[FHIR_VALMAX], birth[FHIR_VALMAX];
    clef_status rc = value_of(w, child(res, "gender"), gender);
    if (rc == CLEF_OK)
        rc = value_of(w, child(res, "birthDate"), birth);
    if (rc != CLEF_OK)
        return rc;
    if (gender[0] != '\0') {
        const char *sex = strcmp(gender, "female") == 0 ? "F"
                          : strcmp(gender, "male") == 0 ? "M"
                                                        : "U";
        rc = emit(w, "", "SEX", "", sex);
    }
    if (rc == CLEF_OK && birth[0] != '\0')
        rc = emit(w, birth, "BIRTH", "", "");
    return rc;
}

static clef_status resource(fhir_walk *w, const xmlNode *res) {
    static const char *const t_cond[] = {"onsetDateTime", "recordedDate"};
    static const char *const t_med[] = {"effectiveDateTime", "effectivePeriod.start",
                                        "dateAsserted", "authoredOn"};
    static const char *const t_enc[] = {"period.start"};
    char time[FHIR_VALMAX];
    clef_status rc = CLEF_OK;
    if (is_elem(res, "Patient"))
        return patient(w, res);
    if (is_elem(res, "Condition")) {
        rc = check_subject(w, res);
        if (rc == CLEF_OK)
            rc = first_time(w, res, t_cond, 2, time);
        if (rc == CLEF_OK)
            rc = codings(w, child(res, "code"), SYSTEM_ICD, "ICD10CM/", time);
    } else if (is_elem(res, "MedicationStatement") || is_elem(res, "MedicationRequest")) {
        rc = check_subject(w, res);
        if (rc == CLEF_OK)
            rc = first_time(w, res, t_med, 4, time);
        if (rc == CLEF_OK)
            rc = codings(w, child(res, "medicationCodeableConcept"), SYSTEM_ATC, "ATC/", time);
    } else if (is_elem(res, "Encounter")) {
        char cls[FHIR_VALMAX];
        rc = check_subject(w, res);
        if (rc == CLEF_OK)
            rc = first_time(w, res, t_enc, 1, time);
        if (rc == CLEF_OK)
            rc = value_of(w, child(child(res, "class"), "code"), cls);
        if (rc == CLEF_OK && cls[0] != '\0')
            rc = emit(w, time, "ENCOUNTER/", cls, "");
    }
    return rc; /* other resource types carry nothing the store keeps */
}

/* Pass 1: the bundle's single Patient (id and fullUrl); pass 2: every resource. */
static clef_status walk_bundle(fhir_walk *w, const xmlNode *bundle) {
    int n_patients = 0;
    for (xmlNode *e = bundle->children; e != NULL; e = e->next) {
        const xmlNode *res = first_elem(child(e, "resource"));
        if (!is_elem(e, "entry") || !is_elem(res, "Patient"))
            continue;
        clef_status rc = value_of(w, child(res, "id"), w->patient);
        if (rc == CLEF_OK)
            rc = value_of(w, child(e, "fullUrl"), w->full_url);
        if (rc != CLEF_OK)
            return rc;
        n_patients++;
    }
    if (n_patients != 1 || w->patient[0] == '\0')
        return clefi_error(w->ctx, w->err, CLEF_ERR_FORMAT,
                           "%s: the Bundle has %d Patient resources with an id, expected 1",
                           w->name, n_patients);
    if (w->expected != NULL && strcmp(w->patient, w->expected) != 0)
        return clefi_error(w->ctx, w->err, CLEF_ERR_FORMAT,
                           "%s: the Patient id '%s' is not the file's subject '%s'", w->name,
                           w->patient, w->expected);
    for (xmlNode *e = bundle->children; e != NULL; e = e->next) {
        if (!is_elem(e, "entry"))
            continue;
        const xmlNode *res = first_elem(child(e, "resource"));
        if (res == NULL)
            continue;
        clef_status rc = resource(w, res);
        if (rc != CLEF_OK)
            return rc;
    }
    return CLEF_OK;
}

static int has_doctype(const char *data, size_t n) {
    static const char tag[] = "<!DOCTYPE";
    size_t lt = sizeof tag - 1;
    for (size_t i = 0; i + lt <= n; i++)
        if (data[i] == '<' && memcmp(data + i, tag, lt) == 0)
            return 1;
    return 0;
}

/* libxml2 reports some errors (e.g. I/O encoder errors) through its per-thread generic error
 * handler, which prints to stderr by default. The library never prints: during a parse both
 * per-thread handlers are silenced, then the host's are restored. */
static void silent_generic(void *ctx, const char *msg, ...) {
    (void)ctx;
    (void)msg;
}
static void silent_structured(void *ctx, xmlErrorPtr e) {
    (void)ctx;
    (void)e;
}

typedef struct xml_handlers {
    xmlGenericErrorFunc generic;
    void *generic_ctx;
    xmlStructuredErrorFunc structured;
    void *structured_ctx;
} xml_handlers;

static void silence_xml(xml_handlers *saved) {
    saved->generic = xmlGenericError;
    saved->generic_ctx = xmlGenericErrorContext;
    saved->structured = xmlStructuredError;
    saved->structured_ctx = xmlStructuredErrorContext;
    xmlSetGenericErrorFunc(NULL, silent_generic);
    xmlSetStructuredErrorFunc(NULL, silent_structured);
}

static void restore_xml(const xml_handlers *saved) {
    xmlSetGenericErrorFunc(saved->generic_ctx, saved->generic);
    xmlSetStructuredErrorFunc(saved->structured_ctx, saved->structured);
}

clef_status clefi_fhir_parse(clef_ctx *ctx, const char *data, size_t n, const char *name,
                             const char *expected_subject, clefi_fhir_event_fn fn, void *user,
                             clefi_err *err) {
    if (n > (size_t)INT32_MAX)
        return clefi_error(ctx, err, CLEF_ERR_RANGE, "%s: %zu bytes is too large", name, n);
    if (has_doctype(data, n))
        return clefi_error(ctx, err, CLEF_ERR_FORMAT,
                           "%s: a DOCTYPE is not allowed in FHIR XML (entities, XXE)", name);
    xmlParserCtxtPtr pc = xmlNewParserCtxt();
    if (pc == NULL)
        return clefi_error(ctx, err, CLEF_ERR_NOMEM, "%s: cannot create an XML parser", name);
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
    xml_handlers saved;
    silence_xml(&saved);
    xmlDocPtr doc = xmlCtxtReadMemory(pc, data, (int)n, name, NULL, opts);
    restore_xml(&saved);
    clef_status rc = CLEF_OK;
    if (doc == NULL) {
        const xmlError *e = xmlCtxtGetLastError(pc);
        rc = clefi_error(ctx, err, CLEF_ERR_FORMAT, "%s line %d, column %d: XML: %s", name,
                         e != NULL ? e->line : 0, e != NULL ? e->int2 : 0,
                         e != NULL && e->message != NULL ? e->message : "not well-formed\n");
        /* libxml2 messages end in a newline: keep the one-line rule */
        if (err != NULL) {
            size_t len = strlen(err->msg);
            while (len > 0 && (err->msg[len - 1] == '\n' || err->msg[len - 1] == '\r'))
                err->msg[--len] = '\0';
        }
    } else if (doc->intSubset != NULL || doc->extSubset != NULL) {
        rc = clefi_error(ctx, err, CLEF_ERR_FORMAT, "%s: a DTD is not allowed in FHIR XML", name);
    } else {
        const xmlNode *root = xmlDocGetRootElement(doc);
        if (!is_elem(root, "Bundle")) {
            rc = clefi_error(ctx, err, CLEF_ERR_FORMAT,
                             "%s: the root element is not a FHIR Bundle (namespace " FHIR_NS ")",
                             name);
        } else {
            fhir_walk w = {ctx, err, name, expected_subject, fn, user, "", ""};
            rc = walk_bundle(&w, root);
        }
    }
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(pc);
    return rc;
}
