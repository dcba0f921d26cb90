/*
 * ehr_int.h — libclef internal, module 'io': the safe XML reader and the EHR record (clef_ehr)
 * built from FHIR R4 XML, HL7 CDA R2 or MEDS events CSV (docs/ehr.md).
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Private to the module: other modules use the record through the public clef_ehr_* API.
 */
#ifndef CLEF_EHR_INT_H
#define CLEF_EHR_INT_H

#include "core_int.h"

#include <libxml/tree.h>

/* ---- safe XML reader (xml_safe.c) ---- */

#define CLEFI_XML_MAX_BYTES ((size_t)64 << 20) /**< largest document accepted */
#define CLEFI_XML_MAX_DEPTH 100                /**< deepest element nesting accepted */

typedef struct clefi_xml_limits {
    size_t max_bytes;
    int32_t max_depth;
} clefi_xml_limits;

/** Parse data with libxml2, never reading anything but data: no network (XML_PARSE_NONET), no
 *  DTD loading, no entity substitution, no external entity resolution; a DOCTYPE is refused
 *  (CLEF_ERR_UNSUPPORTED, naming an external DTD, an external entity with its URI, or an entity
 *  declaration) while libxml2 reads it, before any entity is used; documents over the size
 *  limit and elements nested deeper than the depth limit fail with CLEF_ERR_RANGE; malformed
 *  XML with CLEF_ERR_FORMAT naming line and column. lim NULL: the defaults above. Nothing is
 *  printed (libxml2's per-thread handlers are silenced during the parse, then restored).
 *  *out: a document to free with xmlFreeDoc. */
CLEFI_HIDDEN clef_status clefi_xml_read(clef_ctx *ctx, const char *data, size_t n, const char *name,
                                        const clefi_xml_limits *lim, xmlDoc **out, clefi_err *err);

/** n is an element named name in namespace ns. */
CLEFI_HIDDEN int clefi_xml_is(const xmlNode *n, const char *ns, const char *name);
/** First child element of n named name in namespace ns, or NULL. */
CLEFI_HIDDEN xmlNode *clefi_xml_child(const xmlNode *n, const char *ns, const char *name);
/** Attribute name (no namespace) of n as a new ctx string ("" if absent; NULL only on NOMEM). */
CLEFI_HIDDEN char *clefi_xml_attr(clef_ctx *ctx, const xmlNode *n, const char *name);

/* ---- the record (ehr.c) ---- */

#define CLEFI_EHR_N_FIELDS 5 /* clef_ehr_field */
#define CLEFI_EHR_N_KINDS  4 /* clef_ehr_kind */
#define CLEFI_EHR_N_ATTRS  7 /* clef_ehr_attr */

typedef struct clefi_ehr_list {
    char **attrs; /* n * CLEFI_EHR_N_ATTRS strings, never NULL */
    size_t n, cap;
} clefi_ehr_list;

struct clef_ehr {
    clef_ctx *ctx;
    int32_t format;
    char *field[CLEFI_EHR_N_FIELDS];
    clefi_ehr_list list[CLEFI_EHR_N_KINDS];
};

/** A new empty record on ctx (errors on ctx). */
CLEFI_HIDDEN clef_status clefi_ehr_new(clef_ehr **out, clef_ctx *ctx, int32_t format);
/** End a constructor: *out = e on success, else free e and set *out = NULL; returns rc. */
CLEFI_HIDDEN clef_status clefi_ehr_finish(clef_ehr **out, clef_ehr *e, clef_status rc);
/** Set a patient field (copied; len bytes of v). */
CLEFI_HIDDEN clef_status clefi_ehr_set(clef_ehr *e, int32_t field, const char *v, size_t len,
                                       clefi_err *err);
/** Append an item of a kind; attrs[CLEFI_EHR_N_ATTRS] are copied, NULL reads as "". The
 *  vocabulary attribute is derived from the system when attrs gives none. */
CLEFI_HIDDEN clef_status clefi_ehr_add(clef_ehr *e, int32_t kind, const char *const *attrs,
                                       clefi_err *err);
/** "ICD10CM", "ICD10", "ATC", "RXNORM", "SNOMED", "LOINC" for a FHIR system URI or an HL7 OID,
 *  "" otherwise. */
CLEFI_HIDDEN const char *clefi_ehr_vocab(const char *system);

/** Fill e from a FHIR R4 Bundle (ehr_fhir.c) or a CDA R2 ClinicalDocument (ehr_cda.c). */
CLEFI_HIDDEN clef_status clefi_ehr_fhir(clef_ehr *e, const xmlNode *bundle, const char *name,
                                        clefi_err *err);
CLEFI_HIDDEN clef_status clefi_ehr_cda(clef_ehr *e, const xmlNode *doc, const char *name,
                                       clefi_err *err);

#define CLEFI_FHIR_NS "http://hl7.org/fhir"
#define CLEFI_CDA_NS  "urn:hl7-org:v3"

#endif /* CLEF_EHR_INT_H */
