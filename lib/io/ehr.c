/* ehr.c — clef_ehr: one patient's record (demographics, coded items, report texts) read from
 * FHIR R4 XML, HL7 CDA R2 or MEDS events CSV; the public API. SPDX-License-Identifier:
 * BSD-3-Clause
 *
 * XML goes through clefi_xml_read (xml_safe.c) only; the root element picks the format. */
#define _POSIX_C_SOURCE 200809L /* stat */
#include "ehr_int.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static clef_status nomem(clef_ehr *e, clefi_err *err) {
    return clefi_error(e->ctx, err, CLEF_ERR_NOMEM, "cannot grow the EHR record");
}

clef_status clefi_ehr_set(clef_ehr *e, int32_t field, const char *v, size_t len, clefi_err *err) {
    char *c = clefi_malloc(e->ctx, len + 1);
    if (c == NULL)
        return nomem(e, err);
    memcpy(c, v, len);
    c[len] = '\0';
    clefi_free(e->ctx, e->field[field]);
    e->field[field] = c;
    return CLEF_OK;
}

const char *clefi_ehr_vocab(const char *system) {
    static const char *const map[][2] = {
        {"http://hl7.org/fhir/sid/icd-10-cm", "ICD10CM"},
        {"2.16.840.1.113883.6.90", "ICD10CM"},
        {"http://hl7.org/fhir/sid/icd-10", "ICD10"},
        {"2.16.840.1.113883.6.3", "ICD10"},
        {"http://www.whocc.no/atc", "ATC"},
        {"2.16.840.1.113883.6.73", "ATC"},
        {"http://www.nlm.nih.gov/research/umls/rxnorm", "RXNORM"},
        {"2.16.840.1.113883.6.88", "RXNORM"},
        {"http://snomed.info/sct", "SNOMED"},
        {"2.16.840.1.113883.6.96", "SNOMED"},
        {"http://loinc.org", "LOINC"},
        {"2.16.840.1.113883.6.1", "LOINC"},
    };
    if (strncmp(system, "urn:oid:", 8) == 0) /* FHIR's spelling of an OID */
        system += 8;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(system, map[i][0]) == 0)
            return map[i][1];
    return "";
}

clef_status clefi_ehr_add(clef_ehr *e, int32_t kind, const char *const *attrs, clefi_err *err) {
    clefi_ehr_list *l = &e->list[kind];
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16, total;
        if (clefi_mul_overflow(nc, CLEFI_EHR_N_ATTRS, &total))
            return nomem(e, err);
        char **na = clefi_realloc_array(e->ctx, l->attrs, total, sizeof *na);
        if (na == NULL)
            return nomem(e, err);
        l->attrs = na;
        l->cap = nc;
    }
    char **row = l->attrs + l->n * CLEFI_EHR_N_ATTRS;
    for (int a = 0; a < CLEFI_EHR_N_ATTRS; a++) {
        const char *v = attrs[a] != NULL ? attrs[a] : "";
        if (a == CLEF_EHR_VOCAB && v[0] == '\0' && attrs[CLEF_EHR_SYSTEM] != NULL)
            v = clefi_ehr_vocab(attrs[CLEF_EHR_SYSTEM]);
        row[a] = clefi_strdup(e->ctx, v);
        if (row[a] == NULL) {
            while (a-- > 0)
                clefi_free(e->ctx, row[a]);
            return nomem(e, err);
        }
    }
    l->n++;
    return CLEF_OK;
}

clef_status clefi_ehr_new(clef_ehr **out, clef_ctx *ctx, int32_t format) {
    clef_ehr *e = clefi_calloc(ctx, 1, sizeof *e);
    if (e == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate an EHR record");
    e->ctx = clefi_ctx_retain(ctx);
    e->format = format;
    *out = e;
    return CLEF_OK;
}

void clef_ehr_free(clef_ehr *e) {
    if (e == NULL)
        return;
    clef_ctx *ctx = e->ctx;
    for (int f = 0; f < CLEFI_EHR_N_FIELDS; f++)
        clefi_free(ctx, e->field[f]);
    for (int k = 0; k < CLEFI_EHR_N_KINDS; k++) {
        for (size_t i = 0; i < e->list[k].n * CLEFI_EHR_N_ATTRS; i++)
            clefi_free(ctx, e->list[k].attrs[i]);
        clefi_free(ctx, e->list[k].attrs);
    }
    clefi_free(ctx, e);
    clefi_ctx_release(ctx);
}

clef_status clefi_ehr_finish(clef_ehr **out, clef_ehr *e, clef_status rc) {
    if (rc != CLEF_OK) {
        clef_ehr_free(e);
        e = NULL;
    }
    *out = e;
    return rc;
}

clef_status clef_ehr_parse_xml(clef_ehr **out, clef_ctx *ctx, const void *data, size_t size,
                               const char *name) {
    clefi_reset(ctx);
    if (out != NULL)
        *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (out == NULL || (data == NULL && size > 0))
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "clef_ehr_parse_xml: out or data NULL");
    if (name == NULL)
        name = "(memory)";
    xmlDoc *doc = NULL;
    clef_status rc = clefi_xml_read(ctx, data, size, name, NULL, &doc, &ctx->err);
    if (rc != CLEF_OK)
        return rc;
    const xmlNode *root = xmlDocGetRootElement(doc);
    int32_t format = clefi_xml_is(root, CLEFI_FHIR_NS, "Bundle")            ? CLEF_EHR_FORMAT_FHIR
                     : clefi_xml_is(root, CLEFI_CDA_NS, "ClinicalDocument") ? CLEF_EHR_FORMAT_CDA
                                                                            : 0;
    clef_ehr *e = NULL;
    if (format == 0)
        rc = clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                             "%s: the root element <%.40s> is not a FHIR Bundle (" CLEFI_FHIR_NS
                             ") or a CDA ClinicalDocument (" CLEFI_CDA_NS ")",
                             name, root != NULL ? (const char *)root->name : "");
    if (rc == CLEF_OK)
        rc = clefi_ehr_new(&e, ctx, format);
    if (rc == CLEF_OK)
        rc = format == CLEF_EHR_FORMAT_FHIR ? clefi_ehr_fhir(e, root, name, &ctx->err)
                                            : clefi_ehr_cda(e, root, name, &ctx->err);
    xmlFreeDoc(doc);
    return clefi_ehr_finish(out, e, rc);
}

clef_status clef_ehr_read_xml(clef_ehr **out, clef_ctx *ctx, const char *path) {
    clefi_reset(ctx);
    if (out != NULL)
        *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (out == NULL || path == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "clef_ehr_read_xml: out or path NULL");
    struct stat st;
    if (stat(path, &st) != 0)
        return clefi_ctx_error(ctx, errno == ENOENT ? CLEF_ERR_NOT_FOUND : CLEF_ERR_IO,
                               "cannot open '%s': %s", path, strerror(errno));
    if (st.st_size < 0 || (uint64_t)st.st_size > CLEFI_XML_MAX_BYTES) /* before reading it */
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE, "%s: %lld bytes exceed the limit of %zu", path,
                               (long long)st.st_size, CLEFI_XML_MAX_BYTES);
    char *data = NULL;
    size_t n = 0;
    clef_status rc = clefi_read_file(ctx, path, &data, &n, &ctx->err);
    if (rc == CLEF_OK)
        rc = clef_ehr_parse_xml(out, ctx, data, n, path);
    clefi_free(ctx, data);
    return rc;
}

int32_t clef_ehr_format(const clef_ehr *e) { return e != NULL ? e->format : 0; }

const char *clef_ehr_patient(const clef_ehr *e, int32_t field) {
    if (e == NULL || field < 0 || field >= CLEFI_EHR_N_FIELDS)
        return NULL;
    return e->field[field] != NULL ? e->field[field] : "";
}

int64_t clef_ehr_count(const clef_ehr *e, int32_t kind) {
    if (e == NULL || kind < 0 || kind >= CLEFI_EHR_N_KINDS)
        return 0;
    return (int64_t)e->list[kind].n;
}

const char *clef_ehr_item(const clef_ehr *e, int32_t kind, int64_t i, int32_t attr) {
    if (e == NULL || kind < 0 || kind >= CLEFI_EHR_N_KINDS || i < 0 ||
        (uint64_t)i >= e->list[kind].n || attr < 0 || attr >= CLEFI_EHR_N_ATTRS)
        return NULL;
    return e->list[kind].attrs[(size_t)i * CLEFI_EHR_N_ATTRS + (size_t)attr];
}
