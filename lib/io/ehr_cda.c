/* ehr_cda.c — HL7 CDA R2 ClinicalDocument -> clef_ehr. SPDX-License-Identifier: BSD-3-Clause
 *
 * Mapping (CDA R2, namespace urn:hl7-org:v3): recordTarget/patientRole/id (the first with an
 * extension, else its root) is the patient id; patient/administrativeGenderCode (F, M, else U),
 * birthTime and raceCode (displayName, else code) the demographics. componentOf/
 * encompassingEncounter/code is an encounter. In the structured body, every section (nested
 * ones too) with narrative text is a report text (section code, title as display); within its
 * entries every code, value or translation element with @code and @codeSystem is an item:
 * ICD-10 / ICD-10-CM (2.16.840.1.113883.6.3 / .6.90) a condition, ATC (.6.73) or RxNorm
 * (.6.88), and any code of a manufacturedMaterial, a medication, an encounter's own code an
 * encounter; other codes (problem-type LOINC/SNOMED codes, routes, statuses) are skipped, and so
 * is the subtree of an entry act with negationInd="true". Times (the nearest effectiveTime:
 * @value or low/@value) become ISO 8601 ("20240301093000+0100" -> "2024-03-01T09:30:00+01:00"). */
#include "ehr_int.h"

#include <string.h>

#define NS      CLEFI_CDA_NS
#define TIMEMAX 64

typedef struct cda_walk {
    clef_ehr *e;
    clefi_err *err;
    const char *name;
} cda_walk;

static xmlNode *child(const xmlNode *n, const char *name) { return clefi_xml_child(n, NS, name); }

static int is(const xmlNode *n, const char *name) { return clefi_xml_is(n, NS, name); }

static clef_status nomem(cda_walk *w) {
    return clefi_error(w->e->ctx, w->err, CLEF_ERR_NOMEM, "%s: out of memory", w->name);
}

static int digits(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* HL7 v3 TS "YYYY[MM[DD[hh[mm[ss[.f]]]]]][+-zzzz]" as ISO 8601; anything else is kept as is. */
static void cda_time(const char *ts, char out[TIMEMAX]) {
    size_t n = strlen(ts), d = 0;
    while (d < n && ts[d] >= '0' && ts[d] <= '9')
        d++;
    const char *zone = NULL, *frac = NULL;
    size_t nfrac = 0;
    if (d == 14 && ts[d] == '.') {
        frac = ts + d + 1;
        while (frac[nfrac] >= '0' && frac[nfrac] <= '9')
            nfrac++;
    }
    const char *rest = ts + d + (frac != NULL ? 1 + nfrac : 0);
    if (*rest == '+' || *rest == '-') {
        zone = rest;
        rest += 5;
    }
    int ok = n < TIMEMAX - 12 && (d == 4 || d == 6 || d == 8 || d == 10 || d == 12 || d == 14) &&
             (zone == NULL || (d >= 10 && strlen(zone) == 5 && digits(zone + 1, 4))) &&
             (zone != NULL ? zone[5] == '\0' : *rest == '\0') && (frac == NULL || nfrac > 0);
    if (!ok) {
        size_t k = n < TIMEMAX - 1 ? n : TIMEMAX - 1;
        memcpy(out, ts, k);
        out[k] = '\0';
        return;
    }
    /* separators before each pair after the year: - - T : : */
    static const char sep[] = "--T::";
    size_t o = 0;
    memcpy(out, ts, 4);
    o = 4;
    for (size_t i = 4, k = 0; i < d; i += 2, k++) {
        out[o++] = sep[k];
        out[o++] = ts[i];
        out[o++] = ts[i + 1];
    }
    if (d == 12) { /* hh:mm without seconds: ISO wants seconds with a zone */
        memcpy(out + o, ":00", 3);
        o += 3;
    }
    if (frac != NULL) {
        out[o++] = '.';
        memcpy(out + o, frac, nfrac);
        o += nfrac;
    }
    if (zone != NULL) {
        out[o++] = zone[0];
        out[o++] = zone[1];
        out[o++] = zone[2];
        out[o++] = ':';
        out[o++] = zone[3];
        out[o++] = zone[4];
    }
    out[o] = '\0';
}

/* An element's time: @value, else low/@value, as ISO 8601 ("" if none). */
static void time_of(const xmlNode *t, char out[TIMEMAX]) {
    out[0] = '\0';
    for (int pass = 0; pass < 2 && t != NULL && out[0] == '\0'; pass++) {
        const xmlNode *n = pass == 0 ? t : child(t, "low");
        xmlChar *v = n != NULL ? xmlGetNoNsProp(n, (const xmlChar *)"value") : NULL;
        if (v != NULL)
            cda_time((const char *)v, out);
        xmlFree(v);
    }
}

/* Attribute a of n into a new string; clef_status on failure. */
static clef_status attr(cda_walk *w, const xmlNode *n, const char *a, char **out) {
    *out = clefi_xml_attr(w->e->ctx, n, a);
    return *out != NULL ? CLEF_OK : nomem(w);
}

static clef_status set_attr(cda_walk *w, int32_t field, const xmlNode *n, const char *a) {
    char *v;
    clef_status rc = attr(w, n, a, &v);
    if (rc == CLEF_OK && v[0] != '\0')
        rc = clefi_ehr_set(w->e, field, v, strlen(v), w->err);
    clefi_free(w->e->ctx, v);
    return rc;
}

/* A coded element (@code, @codeSystem, @displayName) as an item of kind; no code: nothing. */
static clef_status add_code(cda_walk *w, int32_t kind, const xmlNode *c, const char *time,
                            const char *text, const char *source) {
    char *code = NULL, *sys = NULL, *disp = NULL;
    clef_status rc = attr(w, c, "code", &code);
    if (rc == CLEF_OK)
        rc = attr(w, c, "codeSystem", &sys);
    if (rc == CLEF_OK)
        rc = attr(w, c, "displayName", &disp);
    if (rc == CLEF_OK && (code[0] != '\0' || text != NULL)) {
        const char *a[CLEFI_EHR_N_ATTRS] = {NULL};
        a[CLEF_EHR_SYSTEM] = sys;
        a[CLEF_EHR_CODE] = code;
        a[CLEF_EHR_DISPLAY] = disp;
        a[CLEF_EHR_TIME] = time;
        a[CLEF_EHR_TEXT] = text;
        a[CLEF_EHR_SOURCE] = source;
        rc = clefi_ehr_add(w->e, kind, a, w->err);
    }
    clefi_free(w->e->ctx, code);
    clefi_free(w->e->ctx, sys);
    clefi_free(w->e->ctx, disp);
    return rc;
}

static clef_status demographics(cda_walk *w, const xmlNode *doc) {
    const xmlNode *role = child(child(doc, "recordTarget"), "patientRole");
    if (role == NULL)
        return clefi_error(w->e->ctx, w->err, CLEF_ERR_FORMAT,
                           "%s: the ClinicalDocument has no recordTarget/patientRole", w->name);
    const xmlNode *id = NULL;
    for (xmlNode *c = role->children; c != NULL && id == NULL; c = c->next)
        if (is(c, "id") && xmlHasProp(c, (const xmlChar *)"extension") != NULL)
            id = c;
    clef_status rc = id != NULL ? set_attr(w, CLEF_EHR_PATIENT_ID, id, "extension")
                                : set_attr(w, CLEF_EHR_PATIENT_ID, child(role, "id"), "root");
    const xmlNode *pat = child(role, "patient");
    char *g = NULL;
    if (rc == CLEF_OK)
        rc = attr(w, child(pat, "administrativeGenderCode"), "code", &g);
    if (rc == CLEF_OK && g[0] != '\0') {
        const char *sex = strcmp(g, "F") == 0 ? "F" : strcmp(g, "M") == 0 ? "M" : "U";
        rc = clefi_ehr_set(w->e, CLEF_EHR_SEX, sex, 1, w->err);
    }
    clefi_free(w->e->ctx, g);
    char birth[TIMEMAX];
    time_of(child(pat, "birthTime"), birth);
    if (rc == CLEF_OK)
        rc = clefi_ehr_set(w->e, CLEF_EHR_BIRTH_DATE, birth, strlen(birth), w->err);
    const xmlNode *race = child(pat, "raceCode");
    if (rc == CLEF_OK)
        rc = set_attr(w, CLEF_EHR_RACE, race, "code");
    if (rc == CLEF_OK)
        rc = set_attr(w, CLEF_EHR_RACE, race, "displayName");
    if (rc == CLEF_OK && w->e->field[CLEF_EHR_PATIENT_ID] == NULL)
        rc = clefi_error(w->e->ctx, w->err, CLEF_ERR_FORMAT, "%s line %ld: patientRole has no id",
                         w->name, (long)xmlGetLineNo(role));
    return rc;
}

/* ---- narrative text: text nodes, blanks collapsed, a line break per block element ---- */

typedef struct text_buf {
    char *s;
    size_t n, cap;
    int bad;
} text_buf;

static void put(clef_ctx *ctx, text_buf *b, const char *s, size_t n) {
    if (b->bad)
        return;
    if (b->cap - b->n <= n) {
        size_t nc = (b->cap + n) * 2;
        char *ns = clefi_realloc(ctx, b->s, nc);
        if (ns == NULL) {
            b->bad = 1;
            return;
        }
        b->s = ns;
        b->cap = nc;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static int blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static void narrative(clef_ctx *ctx, const xmlNode *n, text_buf *b) {
    static const char *const blocks[] = {"paragraph", "br",   "tr",   "item",
                                         "caption",   "list", "table"};
    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        if (c->type == XML_TEXT_NODE && c->content != NULL) {
            for (const char *p = (const char *)c->content; *p != '\0'; p++) {
                int sp = blank(*p);
                int at_break = b->n == 0 || blank(b->s[b->n - 1]);
                if (!sp)
                    put(ctx, b, p, 1);
                else if (!at_break)
                    put(ctx, b, " ", 1);
            }
        } else if (c->type == XML_ELEMENT_NODE) {
            narrative(ctx, c, b);
            for (size_t k = 0; k < sizeof blocks / sizeof blocks[0]; k++)
                if (is(c, blocks[k])) {
                    while (b->n > 0 && b->s[b->n - 1] == ' ')
                        b->s[--b->n] = '\0';
                    if (b->n > 0 && b->s[b->n - 1] != '\n')
                        put(ctx, b, "\n", 1);
                    break;
                }
        }
    }
}

/* ---- entries ---- */

/* The kind of a coded element (code, value, translation) under parent, or -1 to skip it. */
static int code_kind(const xmlNode *c, const xmlNode *parent, const char *vocab) {
    if (strncmp(vocab, "ICD10", 5) == 0)
        return CLEF_EHR_CONDITION;
    if (strcmp(vocab, "ATC") == 0 || strcmp(vocab, "RXNORM") == 0 ||
        is(parent, "manufacturedMaterial"))
        return CLEF_EHR_MEDICATION;
    if (is(parent, "encounter") && is(c, "code"))
        return CLEF_EHR_ENCOUNTER;
    return -1;
}

static clef_status entry(cda_walk *w, const xmlNode *n, const char *time_in) {
    char time[TIMEMAX];
    memcpy(time, time_in, strlen(time_in) + 1);
    const xmlNode *et = child(n, "effectiveTime");
    if (et != NULL) {
        time_of(et, time);
        if (time[0] == '\0')
            memcpy(time, time_in, strlen(time_in) + 1);
    }
    clef_status rc = CLEF_OK;
    for (xmlNode *c = n->children; c != NULL && rc == CLEF_OK; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || c->ns == NULL ||
            strcmp((const char *)c->ns->href, NS) != 0)
            continue;
        xmlChar *neg = xmlGetNoNsProp(c, (const xmlChar *)"negationInd");
        int negated = neg != NULL && strcmp((const char *)neg, "true") == 0;
        xmlFree(neg);
        if (negated)
            continue;
        if (is(c, "code") || is(c, "value") || is(c, "translation")) {
            xmlChar *sys = xmlGetNoNsProp(c, (const xmlChar *)"codeSystem");
            int kind = sys != NULL ? code_kind(c, n, clefi_ehr_vocab((const char *)sys)) : -1;
            xmlFree(sys);
            if (kind >= 0)
                rc = add_code(w, kind, c, time, NULL, "entry");
        }
        if (rc == CLEF_OK)
            rc = entry(w, c, time); /* translations, entryRelationships, consumables */
    }
    return rc;
}

static clef_status section(cda_walk *w, const xmlNode *sec) {
    clef_status rc = CLEF_OK;
    const xmlNode *text = child(sec, "text");
    if (text != NULL) {
        text_buf b = {NULL, 0, 0, 0};
        narrative(w->e->ctx, text, &b);
        while (b.n > 0 && blank(b.s[b.n - 1]))
            b.s[--b.n] = '\0';
        if (b.bad)
            rc = nomem(w);
        else if (b.n > 0) {
            text_buf title = {NULL, 0, 0, 0};
            const xmlNode *t = child(sec, "title");
            if (t != NULL)
                narrative(w->e->ctx, t, &title);
            rc = title.bad ? nomem(w) : CLEF_OK;
            /* the section's code, with its title as display when it has one */
            const xmlNode *code = child(sec, "code");
            const char *a[CLEFI_EHR_N_ATTRS] = {NULL};
            char *c = NULL, *s = NULL, *d = NULL;
            if (rc == CLEF_OK)
                rc = attr(w, code, "code", &c);
            if (rc == CLEF_OK)
                rc = attr(w, code, "codeSystem", &s);
            if (rc == CLEF_OK)
                rc = attr(w, code, "displayName", &d);
            if (rc == CLEF_OK) {
                a[CLEF_EHR_SYSTEM] = s;
                a[CLEF_EHR_CODE] = c;
                a[CLEF_EHR_DISPLAY] = title.n > 0 ? title.s : d;
                a[CLEF_EHR_TEXT] = b.s;
                a[CLEF_EHR_SOURCE] = "section";
                rc = clefi_ehr_add(w->e, CLEF_EHR_REPORT, a, w->err);
            }
            clefi_free(w->e->ctx, c);
            clefi_free(w->e->ctx, s);
            clefi_free(w->e->ctx, d);
            clefi_free(w->e->ctx, title.s);
        }
        clefi_free(w->e->ctx, b.s);
    }
    for (xmlNode *c = sec->children; c != NULL && rc == CLEF_OK; c = c->next) {
        if (is(c, "entry"))
            rc = entry(w, c, "");
        else if (is(c, "component") && child(c, "section") != NULL)
            rc = section(w, child(c, "section"));
    }
    return rc;
}

clef_status clefi_ehr_cda(clef_ehr *e, const xmlNode *doc, const char *name, clefi_err *err) {
    cda_walk w = {e, err, name};
    clef_status rc = demographics(&w, doc);
    const xmlNode *enc = child(child(doc, "componentOf"), "encompassingEncounter");
    if (rc == CLEF_OK && child(enc, "code") != NULL) {
        char time[TIMEMAX];
        time_of(child(enc, "effectiveTime"), time);
        rc = add_code(&w, CLEF_EHR_ENCOUNTER, child(enc, "code"), time, NULL,
                      "encompassingEncounter");
    }
    const xmlNode *body = child(child(doc, "component"), "structuredBody");
    for (xmlNode *c = body != NULL ? body->children : NULL; c != NULL && rc == CLEF_OK; c = c->next)
        if (is(c, "component") && child(c, "section") != NULL)
            rc = section(&w, child(c, "section"));
    return rc;
}
