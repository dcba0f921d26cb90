/* xml_safe.c — the library's one libxml2 entry point: a parse that reads nothing but the bytes
 * given. SPDX-License-Identifier: BSD-3-Clause
 *
 * Options: XML_PARSE_NONET, and neither XML_PARSE_NOENT (entity substitution) nor
 * XML_PARSE_DTDLOAD / DTDVALID (external DTD). Clinical XML (FHIR, CDA) never needs a DTD, so a
 * DOCTYPE is refused from SAX callbacks that run while libxml2 reads it: at the DOCTYPE itself
 * when it names an external DTD, at the first entity declaration (naming an external entity's
 * URI: XXE; or an internal one: billion laughs, quadratic blow-up), else at the end of the
 * internal subset. The parser is stopped there, before any entity is referenced; resolveEntity
 * refuses every external resource as a second line. Element depth is counted in the
 * startElement callback, so a 10,000-deep document stops at the limit. libxml2's global state
 * is never changed (no xmlCleanupParser, no allocator hooks, no global entity loader). */
#include "ehr_int.h"

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>

typedef struct xml_guard {
    clef_status rc;
    char why[200];
    long line;
    int32_t depth, max_depth;
    startElementNsSAX2Func start;
    endElementNsSAX2Func end;
    commentSAXFunc comment;
    processingInstructionSAXFunc pi;
} xml_guard;

static void refuse(void *ctx, clef_status rc, const char *fmt, ...) CLEFI_PRINTF(3, 4);
static void refuse(void *ctx, clef_status rc, const char *fmt, ...) {
    xmlParserCtxtPtr pc = ctx;
    xml_guard *g = pc->_private;
    if (g->rc == CLEF_OK) {
        va_list ap;
        va_start(ap, fmt);
        clefi_vsnprintf(g->why, sizeof g->why, fmt, ap);
        va_end(ap);
        g->rc = rc;
        g->line = (long)xmlSAX2GetLineNumber(pc);
    }
    xmlStopParser(pc);
}

static const char *s(const xmlChar *v) { return v != NULL ? (const char *)v : ""; }

static void on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *ext_id,
                               const xmlChar *sys_id) {
    (void)name;
    if (ext_id != NULL || sys_id != NULL)
        refuse(ctx, CLEF_ERR_UNSUPPORTED,
               "an external DTD (\"%.80s\") is not allowed; nothing was loaded",
               sys_id != NULL ? s(sys_id) : s(ext_id));
    /* else read on to the first declaration, to name what the subset holds */
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pub_id,
                           const xmlChar *sys_id, xmlChar *content) {
    if (type == XML_EXTERNAL_GENERAL_PARSED_ENTITY ||
        type == XML_EXTERNAL_GENERAL_UNPARSED_ENTITY || type == XML_EXTERNAL_PARAMETER_ENTITY)
        refuse(ctx, CLEF_ERR_UNSUPPORTED,
               "the external entity '%.40s' (\"%.80s\") is not allowed (XXE); nothing was read",
               s(name), sys_id != NULL ? s(sys_id) : s(pub_id));
    else
        refuse(ctx, CLEF_ERR_UNSUPPORTED,
               "the entity declaration '%.40s' (%zu bytes) is not allowed (entity expansion: "
               "billion laughs, quadratic blow-up)",
               s(name), strlen(s(content)));
}

static void on_unparsed_entity_decl(void *ctx, const xmlChar *name, const xmlChar *pub_id,
                                    const xmlChar *sys_id, const xmlChar *notation) {
    (void)notation;
    on_entity_decl(ctx, name, XML_EXTERNAL_GENERAL_UNPARSED_ENTITY, pub_id, sys_id, NULL);
}

static void on_external_subset(void *ctx, const xmlChar *name, const xmlChar *ext_id,
                               const xmlChar *sys_id) {
    (void)name;
    (void)ext_id;
    (void)sys_id;
    refuse(ctx, CLEF_ERR_UNSUPPORTED, "a DOCTYPE is not allowed");
}

static xmlParserInputPtr on_resolve(void *ctx, const xmlChar *pub_id, const xmlChar *sys_id) {
    refuse(ctx, CLEF_ERR_UNSUPPORTED,
           "the external resource \"%.80s\" is not allowed; nothing was read",
           sys_id != NULL ? s(sys_id) : s(pub_id));
    return NULL;
}

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                     int n_ns, const xmlChar **ns, int n_attrs, int n_defaulted,
                     const xmlChar **attrs) {
    xml_guard *g = ((xmlParserCtxtPtr)ctx)->_private;
    if (++g->depth > g->max_depth) {
        refuse(ctx, CLEF_ERR_RANGE, "elements nested deeper than %d (the depth limit)",
               (int)g->max_depth);
        return;
    }
    g->start(ctx, local, prefix, uri, n_ns, ns, n_attrs, n_defaulted, attrs);
}

static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri) {
    xml_guard *g = ((xmlParserCtxtPtr)ctx)->_private;
    g->depth--;
    g->end(ctx, local, prefix, uri);
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

/* Comments and processing instructions inside an internal subset: libxml2's default handlers
 * attach them to the document's DTD node, which on_internal_subset never lets it create, and
 * then leak them (found by fuzz_ehr_xml). The subset is refused anyway: drop them. */
static void on_comment(void *ctx, const xmlChar *value) {
    xmlParserCtxtPtr pc = ctx;
    const xml_guard *g = pc->_private;
    if (!pc->inSubset && g->comment != NULL)
        g->comment(ctx, value);
}

static void on_pi(void *ctx, const xmlChar *target, const xmlChar *data) {
    xmlParserCtxtPtr pc = ctx;
    const xml_guard *g = pc->_private;
    if (!pc->inSubset && g->pi != NULL)
        g->pi(ctx, target, data);
}

static void guard(xmlParserCtxtPtr pc, xml_guard *g) {
    xmlSAXHandler *sax = pc->sax;
    g->start = sax->startElementNs;
    g->end = sax->endElementNs;
    g->comment = sax->comment;
    g->pi = sax->processingInstruction;
    sax->startElementNs = on_start;
    sax->endElementNs = on_end;
    sax->comment = on_comment;
    sax->processingInstruction = on_pi;
    sax->internalSubset = on_internal_subset;
    sax->externalSubset = on_external_subset;
    sax->entityDecl = on_entity_decl;
    sax->unparsedEntityDecl = on_unparsed_entity_decl;
    sax->resolveEntity = on_resolve;
    pc->_private = g;
}

/* The parse error libxml2 recorded, as one line naming line and column. */
static clef_status xml_error(clef_ctx *ctx, clefi_err *err, xmlParserCtxtPtr pc, const char *name) {
    const xmlError *e = xmlCtxtGetLastError(pc);
    clef_status rc = clefi_error(ctx, err, CLEF_ERR_FORMAT, "%s line %d, column %d: XML: %s", name,
                                 e != NULL ? e->line : 0, e != NULL ? e->int2 : 0,
                                 e != NULL && e->message != NULL ? e->message : "not well-formed");
    /* libxml2 messages end in a newline: keep the one-line rule */
    size_t len = err != NULL ? strlen(err->msg) : 0;
    while (len > 0 && (err->msg[len - 1] == '\n' || err->msg[len - 1] == '\r'))
        err->msg[--len] = '\0';
    return rc;
}

clef_status clefi_xml_read(clef_ctx *ctx, const char *data, size_t n, const char *name,
                           const clefi_xml_limits *lim, xmlDoc **out, clefi_err *err) {
    static const clefi_xml_limits k_default = {CLEFI_XML_MAX_BYTES, CLEFI_XML_MAX_DEPTH};
    *out = NULL;
    if (lim == NULL)
        lim = &k_default;
    if (n > lim->max_bytes || n > (size_t)INT_MAX)
        return clefi_error(ctx, err, CLEF_ERR_RANGE, "%s: %zu bytes exceed the limit of %zu", name,
                           n, lim->max_bytes);
    xmlParserCtxtPtr pc = xmlCreateMemoryParserCtxt(data, (int)n);
    if (pc == NULL)
        return clefi_error(ctx, err, n == 0 ? CLEF_ERR_FORMAT : CLEF_ERR_NOMEM,
                           n == 0 ? "%s: empty document" : "%s: cannot create an XML parser", name);
    xml_guard g = {CLEF_OK, "", 0, 0, lim->max_depth, NULL, NULL, NULL, NULL};
    xmlCtxtUseOptions(pc, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                              XML_PARSE_NOCDATA);
    guard(pc, &g);
    xml_handlers saved;
    silence_xml(&saved);
    xmlParseDocument(pc);
    restore_xml(&saved);
    xmlDoc *doc = pc->myDoc;
    pc->myDoc = NULL;
    clef_status rc = CLEF_OK;
    if (g.rc != CLEF_OK)
        rc = clefi_error(ctx, err, g.rc, "%s line %ld: %s", name, g.line, g.why);
    else if (!pc->wellFormed || doc == NULL)
        rc = xml_error(ctx, err, pc, name);
    else if (doc->intSubset != NULL || doc->extSubset != NULL) /* unreachable: a second line */
        rc = clefi_error(ctx, err, CLEF_ERR_UNSUPPORTED, "%s: a DOCTYPE is not allowed", name);
    if (rc != CLEF_OK) {
        xmlFreeDoc(doc);
        doc = NULL;
    }
    xmlFreeParserCtxt(pc);
    *out = doc;
    return rc;
}

int clefi_xml_is(const xmlNode *n, const char *ns, const char *name) {
    return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
           strcmp((const char *)n->ns->href, ns) == 0 && strcmp((const char *)n->name, name) == 0;
}

xmlNode *clefi_xml_child(const xmlNode *n, const char *ns, const char *name) {
    for (xmlNode *c = n != NULL ? n->children : NULL; c != NULL; c = c->next)
        if (clefi_xml_is(c, ns, name))
            return c;
    return NULL;
}

char *clefi_xml_attr(clef_ctx *ctx, const xmlNode *n, const char *name) {
    xmlChar *v = n != NULL ? xmlGetNoNsProp(n, (const xmlChar *)name) : NULL;
    char *r = clefi_strdup(ctx, v != NULL ? (const char *)v : "");
    xmlFree(v);
    return r;
}
