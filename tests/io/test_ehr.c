/* test_ehr.c — EHR records (clef_ehr): FHIR R4 and CDA R2 fixtures field by field, events CSV,
 * out-of-memory sweeps, and the XML attacks, each refused with its own status and message while
 * nothing is read: XXE through file:// (inotify watches the target: no open, no read) and
 * http:// (a listening socket on 127.0.0.1: no connection), a parameter entity, an external DTD,
 * the same XXE in UTF-16 (so the refusal is not a byte scan), billion laughs, quadratic
 * blow-up, 10,000-deep nesting, an oversized document and file. */
#define _GNU_SOURCE /* inotify, accept4 */
#include "test_support.h"

#include "cohort_fixture.h"
#include "io/ehr_int.h"

#include <arpa/inet.h>
#include <libxml/globals.h>
#include <libxml/parser.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SECRET "CLEF-SECRET-4f1d9c"

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)len + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
    b[len] = '\0';
    fclose(f);
    *n = (size_t)len;
    return b;
}

static const char *item(const clef_ehr *e, int32_t kind, int64_t i, int32_t a) {
    const char *v = clef_ehr_item(e, kind, i, a);
    assert_non_null(v);
    return v;
}

/* ---- fixtures ---- */

static void test_fhir_fixture(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_ehr *e = NULL;
    assert_int_equal(clef_ehr_read_xml(&e, ctx, test_data_path("ehr/patient_fhir.xml")), CLEF_OK);
    assert_int_equal(clef_ehr_format(e), CLEF_EHR_FORMAT_FHIR);
    assert_string_equal(clef_ehr_patient(e, CLEF_EHR_PATIENT_ID), "P042");
    assert_string_equal(clef_ehr_patient(e, CLEF_EHR_SEX), "F");
    assert_string_equal(clef_ehr_patient(e, CLEF_EHR_BIRTH_DATE), "1980-03-14");
    assert_string_equal(clef_ehr_patient(e, CLEF_EHR_RACE), "White");
    assert_string_equal(clef_ehr_patient(e, CLEF_EHR_AGE_YEARS), "");
    assert_null(clef_ehr_patient(e, 99));
    /* two codings of one Condition: two items, the concept text as the second's display */
    assert_int_equal(clef_ehr_count(e, CLEF_EHR_CONDITION), 2);
    assert_string_equal(item(e, CLEF_EHR_CONDITION, 0, CLEF_EHR_CODE), "G40.909");
    assert_string_equal(item(e, CLEF_EHR_CONDITION, 0, CLEF_EHR_SYSTEM),
                        "http://hl7.org/fhir/sid/icd-10-cm");
    assert_string_equal(item(e, CLEF_EHR_CONDITION, 0, CLEF_EHR_VOCAB), "ICD10CM");
    assert_string_equal(item(e, CLEF_EHR_CONDITION, 0, CLEF_EHR_TIME), "2023-02-01T08:00:00Z");
    assert_string_equal(item(e, CLEF_EHR_CONDITION, 1, CLEF_EHR_VOCAB), "SNOMED");
    assert_string_equal(item(e, CLEF_EHR_CONDITION, 1, CLEF_EHR_DISPLAY), "Epilepsy");
    /* MedicationStatement (subject by fullUrl) and MedicationRequest (authoredOn) */
    assert_int_equal(clef_ehr_count(e, CLEF_EHR_MEDICATION), 2);
    assert_string_equal(item(e, CLEF_EHR_MEDICATION, 0, CLEF_EHR_CODE), "N03AX14");
    assert_string_equal(item(e, CLEF_EHR_MEDICATION, 0, CLEF_EHR_SOURCE), "MedicationStatement");
    assert_string_equal(item(e, CLEF_EHR_MEDICATION, 1, CLEF_EHR_CODE), "N05BA06");
    assert_string_equal(item(e, CLEF_EHR_MEDICATION, 1, CLEF_EHR_TIME), "2024-03-02");
    assert_string_equal(item(e, CLEF_EHR_MEDICATION, 1, CLEF_EHR_VOCAB), "ATC");
    assert_int_equal(clef_ehr_count(e, CLEF_EHR_ENCOUNTER), 1);
    assert_string_equal(item(e, CLEF_EHR_ENCOUNTER, 0, CLEF_EHR_CODE), "AMB");
    /* conclusion, then the text/plain presentedForm decoded; the PDF url is not fetched */
    assert_int_equal(clef_ehr_count(e, CLEF_EHR_REPORT), 2);
    assert_string_equal(item(e, CLEF_EHR_REPORT, 0, CLEF_EHR_TEXT),
                        "Abnormal EEG: focal slowing, left temporal.");
    assert_string_equal(item(e, CLEF_EHR_REPORT, 1, CLEF_EHR_TEXT),
                        "EEG report\nIMPRESSION: abnormal, focal slowing \"left\".\n");
    assert_string_equal(item(e, CLEF_EHR_REPORT, 1, CLEF_EHR_CODE), "11523-3");
    assert_string_equal(item(e, CLEF_EHR_REPORT, 1, CLEF_EHR_SOURCE),
                        "DiagnosticReport.presentedForm");
    assert_null(clef_ehr_item(e, CLEF_EHR_REPORT, 2, CLEF_EHR_TEXT));
    assert_null(clef_ehr_item(e, CLEF_EHR_REPORT, 0, 99));
    assert_int_equal(clef_ehr_count(e, 99), 0);
    clef_ehr_free(e);
    clef_ctx_free(ctx);
}

static void test_cda_fixture(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_ehr *e = NULL;
    assert_int_equal(clef_ehr_read_xml(&e, ctx, test_data_path("ehr/patient_cda.xml")), CLEF_OK);
    assert_int_equal(clef_ehr_format(e), CLEF_EHR_FORMAT_CDA);
    assert_string_equal(clef_ehr_patient(e, CLEF_EHR_PATIENT_ID), "MRN-77");
    assert_string_equal(clef_ehr_patient(e, CLEF_EHR_SEX), "M");
    assert_string_equal(clef_ehr_patient(e, CLEF_EHR_BIRTH_DATE), "1975-07-04");
    assert_string_equal(clef_ehr_patient(e, CLEF_EHR_RACE), "Black or African American");
    /* the ICD-10-CM problem value; the SNOMED problem type and the negated entry are skipped */
    assert_int_equal(clef_ehr_count(e, CLEF_EHR_CONDITION), 1);
    assert_string_equal(item(e, CLEF_EHR_CONDITION, 0, CLEF_EHR_CODE), "G40.909");
    assert_string_equal(item(e, CLEF_EHR_CONDITION, 0, CLEF_EHR_SYSTEM), "2.16.840.1.113883.6.90");
    assert_string_equal(item(e, CLEF_EHR_CONDITION, 0, CLEF_EHR_TIME), "2023-02-01");
    /* ATC and its RxNorm translation; the route code is skipped */
    assert_int_equal(clef_ehr_count(e, CLEF_EHR_MEDICATION), 2);
    assert_string_equal(item(e, CLEF_EHR_MEDICATION, 0, CLEF_EHR_CODE), "N03AX14");
    assert_string_equal(item(e, CLEF_EHR_MEDICATION, 0, CLEF_EHR_VOCAB), "ATC");
    assert_string_equal(item(e, CLEF_EHR_MEDICATION, 0, CLEF_EHR_TIME), "2024-03-01T10:00:00");
    assert_string_equal(item(e, CLEF_EHR_MEDICATION, 1, CLEF_EHR_VOCAB), "RXNORM");
    assert_int_equal(clef_ehr_count(e, CLEF_EHR_ENCOUNTER), 1);
    assert_string_equal(item(e, CLEF_EHR_ENCOUNTER, 0, CLEF_EHR_TIME), "2024-03-01T09:30:00+01:00");
    /* section narratives, nested sections too */
    assert_int_equal(clef_ehr_count(e, CLEF_EHR_REPORT), 3);
    assert_string_equal(item(e, CLEF_EHR_REPORT, 0, CLEF_EHR_TEXT), "Epilepsy\nMigraine");
    assert_string_equal(item(e, CLEF_EHR_REPORT, 0, CLEF_EHR_DISPLAY), "Problems");
    assert_string_equal(item(e, CLEF_EHR_REPORT, 0, CLEF_EHR_CODE), "11450-4");
    assert_string_equal(item(e, CLEF_EHR_REPORT, 1, CLEF_EHR_TEXT),
                        "Levetiracetam 500 mg twice daily.");
    assert_string_equal(item(e, CLEF_EHR_REPORT, 2, CLEF_EHR_TEXT),
                        "Abnormal EEG & focal slowing.\nClinical correlation advised.");
    clef_ehr_free(e);
    clef_ctx_free(ctx);
}

static void test_events_csv(void **state) {
    (void)state;
    const char *dir = fixture_tmpdir("ehr_csv");
    fixture_write_file(dir, "events.csv",
                       "subject_id,time,code,value\n"
                       "P1,2023-01-01T00:00:00Z,ICD10CM/G40.909,\n"
                       "P1,2024-03-01T09:30:00Z,AGE,43.9\n"
                       "P1,2024-03-01T09:30:00Z,SEX,F\n"
                       "P1,2024-03-01T09:30:00Z,RACE,white\n"
                       "P1,2024-03-01T09:30:00Z,ATC/N03AX14,\n"
                       "P1,2025-03-01T09:30:00Z,AGE,44.9\n"
                       "P2,2024-03-01T09:30:00Z,SEX,M\n"
                       "P2,2024-03-01T09:30:00Z,LAB/x,1\n");
    char path[300];
    snprintf(path, sizeof path, "%s/events.csv", dir);
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_ehr *e = NULL;
    assert_int_equal(clef_ehr_read_events(&e, ctx, path, "P1"), CLEF_OK);
    assert_int_equal(clef_ehr_format(e), CLEF_EHR_FORMAT_MEDS);
    assert_string_equal(clef_ehr_patient(e, CLEF_EHR_SEX), "F");
    assert_string_equal(clef_ehr_patient(e, CLEF_EHR_RACE), "white");
    assert_string_equal(clef_ehr_patient(e, CLEF_EHR_AGE_YEARS), "44.9"); /* the last AGE */
    assert_int_equal(clef_ehr_count(e, CLEF_EHR_CONDITION), 1);
    assert_string_equal(item(e, CLEF_EHR_CONDITION, 0, CLEF_EHR_VOCAB), "ICD10CM");
    assert_string_equal(item(e, CLEF_EHR_MEDICATION, 0, CLEF_EHR_CODE), "N03AX14");
    clef_ehr_free(e);
    assert_int_equal(clef_ehr_read_events(&e, ctx, path, "P2"), CLEF_OK);
    assert_int_equal(clef_ehr_count(e, CLEF_EHR_CONDITION) + clef_ehr_count(e, CLEF_EHR_MEDICATION),
                     0); /* LAB/x is not part of the record */
    clef_ehr_free(e);
    assert_int_equal(clef_ehr_read_events(&e, ctx, path, NULL), CLEF_ERR_FORMAT);
    assert_null(e);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "line 8: a second subject 'P2'"));
    assert_int_equal(clef_ehr_read_events(&e, ctx, path, "P9"), CLEF_ERR_NOT_FOUND);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "no events of subject 'P9'"));
    clef_ctx_free(ctx);
    fixture_rmtree(dir);
}

typedef struct oom_doc {
    const char *data;
    size_t n;
} oom_doc;

static clef_status oom_parse(clef_ctx *ctx, void *arg) {
    const oom_doc *d = arg;
    clef_ehr *e = NULL;
    clef_status rc = clef_ehr_parse_xml(&e, ctx, d->data, d->n, "oom.xml");
    clef_ehr_free(e);
    return rc;
}

static void test_oom(void **state) {
    (void)state;
    const char *names[] = {"ehr/patient_fhir.xml", "ehr/patient_cda.xml"};
    for (int k = 0; k < 2; k++) {
        oom_doc d;
        char *b = slurp(test_data_path(names[k]), &d.n);
        d.data = b;
        assert_true(test_oom_sweep(oom_parse, &d, 0) > 10);
        free(b);
    }
}

static void test_malformed(void **state) {
    (void)state;
    static const struct {
        const char *xml, *want;
        clef_status rc;
    } cases[] = {
        {"<Bundle xmlns=\"http://hl7.org/fhir\"><entry>\n", "bad.xml line 2", CLEF_ERR_FORMAT},
        {"<Other/>", "<Other> is not a FHIR Bundle", CLEF_ERR_FORMAT},
        {"", "empty document", CLEF_ERR_FORMAT},
        {"<ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>", "no recordTarget/patientRole",
         CLEF_ERR_FORMAT},
        {"<Bundle xmlns=\"http://hl7.org/fhir\"/>", "0 Patient resources", CLEF_ERR_FORMAT},
        {"<Bundle xmlns=\"http://hl7.org/fhir\"><entry><resource><Patient><id value=\"A\"/>"
         "</Patient></resource></entry><entry><resource><DiagnosticReport><subject><reference "
         "value=\"Patient/A\"/></subject><presentedForm><contentType value=\"text/plain\"/>"
         "<data value=\"AA*=\"/></presentedForm></DiagnosticReport></resource></entry></Bundle>",
         "presentedForm.data is not base64", CLEF_ERR_FORMAT},
        {"<Bundle xmlns=\"http://hl7.org/fhir\"><entry><resource><Patient><id value=\"A\"/>"
         "</Patient></resource></entry><entry><resource><DiagnosticReport><subject><reference "
         "value=\"Patient/A\"/></subject><presentedForm><contentType value=\"text/plain\"/>"
         "<data value=\"AAA=\"/></presentedForm></DiagnosticReport></resource></entry></Bundle>",
         "not UTF-8 text (or holds a NUL byte)", CLEF_ERR_FORMAT},
        {"<Bundle xmlns=\"http://hl7.org/fhir\"><entry><resource><Patient><id value=\"A\"/>"
         "</Patient></resource></entry><entry><resource><Encounter><subject><reference "
         "value=\"Patient/B\"/></subject></Encounter></resource></entry></Bundle>",
         "Encounter.subject 'Patient/B' is not the bundle's Patient 'A'", CLEF_ERR_FORMAT},
    };
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        clef_ehr *e = (clef_ehr *)ctx; /* must be reset to NULL */
        clef_status rc = clef_ehr_parse_xml(&e, ctx, cases[i].xml, strlen(cases[i].xml), "bad.xml");
        if (rc != cases[i].rc || strstr(clef_ctx_errmsg(ctx), cases[i].want) == NULL)
            fail_msg("case %zu: %d '%s', want %d '%s'", i, rc, clef_ctx_errmsg(ctx), cases[i].rc,
                     cases[i].want);
        assert_null(e);
    }
    clef_ehr *e = NULL;
    assert_int_equal(clef_ehr_read_xml(&e, ctx, "/nonexistent/x.xml"), CLEF_ERR_NOT_FOUND);
    assert_int_equal(clef_ehr_parse_xml(NULL, ctx, "", 0, NULL), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_ehr_parse_xml(&e, NULL, "", 0, NULL), CLEF_ERR_INVALID_ARG);
    clef_ctx_free(ctx);
}

/* ---- attacks ---- */

/* A witness that nothing touches a file: an inotify watch for open and read. */
typedef struct file_witness {
    int fd;
    char path[300];
} file_witness;

static void witness_start(file_witness *w, const char *dir) {
    snprintf(w->path, sizeof w->path, "%s/secret.txt", dir);
    FILE *f = fopen(w->path, "w");
    assert_non_null(f);
    fputs(SECRET "\n", f);
    fclose(f);
    w->fd = inotify_init1(IN_NONBLOCK);
    assert_true(w->fd >= 0);
    assert_true(inotify_add_watch(w->fd, w->path, IN_OPEN | IN_ACCESS) >= 0);
}

/* Number of open/read events since the last call. */
static int witness_events(const file_witness *w) {
    char buf[4096];
    int n = 0;
    ssize_t got;
    while ((got = read(w->fd, buf, sizeof buf)) > 0)
        for (ssize_t off = 0; off < got;) {
            const struct inotify_event *ev = (const struct inotify_event *)(buf + off);
            n++;
            off += (ssize_t)(sizeof *ev + ev->len);
        }
    return n;
}

/* A witness that no one connects: a listening socket on 127.0.0.1, non-blocking. */
typedef struct net_witness {
    int fd;
    int port;
} net_witness;

static void net_start(net_witness *w) {
    w->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(w->fd >= 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(w->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(w->fd, 8), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(w->fd, (struct sockaddr *)&a, &len), 0);
    w->port = ntohs(a.sin_port);
}

/* 1 if a connection is pending (accepted and closed). */
static int net_connected(const net_witness *w) {
    int c = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK);
    if (c < 0)
        return 0;
    close(c);
    return 1;
}

/* Parse doc; it must fail with rc and a message holding want, and never show the secret. */
static void expect_refused(clef_ctx *ctx, const char *doc, size_t n, clef_status rc,
                           const char *want) {
    clef_ehr *e = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clef_status got = clef_ehr_parse_xml(&e, ctx, doc, n, "attack.xml");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (got != rc || strstr(clef_ctx_errmsg(ctx), want) == NULL)
        fail_msg("got %d '%s', want %d '%s'", got, clef_ctx_errmsg(ctx), rc, want);
    assert_null(e);
    assert_null(strstr(clef_ctx_errmsg(ctx), SECRET));
    assert_true(s < 2.0); /* refused up front: no expansion work */
}

static void test_xxe_file_and_http(void **state) {
    (void)state;
    const char *dir = fixture_tmpdir("ehr_xxe");
    file_witness fw;
    witness_start(&fw, dir);
    net_witness nw;
    net_start(&nw);
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    char doc[2048];
    /* a general entity to a file, used in the content */
    snprintf(doc, sizeof doc,
             "<?xml version=\"1.0\"?>\n<!DOCTYPE Bundle [<!ENTITY xxe SYSTEM \"file://%s\">]>\n"
             "<Bundle xmlns=\"http://hl7.org/fhir\">&xxe;</Bundle>",
             fw.path);
    expect_refused(ctx, doc, strlen(doc), CLEF_ERR_UNSUPPORTED, "external entity 'xxe'");
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "XXE"));
    /* the same without a scheme (a relative or absolute path) */
    snprintf(doc, sizeof doc,
             "<!DOCTYPE Bundle [<!ENTITY xxe SYSTEM \"%s\">]><Bundle xmlns=\"http://hl7.org/fhir\">"
             "<entry><fullUrl value=\"&xxe;\"/></entry></Bundle>",
             fw.path);
    expect_refused(ctx, doc, strlen(doc), CLEF_ERR_UNSUPPORTED, "external entity 'xxe'");
    /* a parameter entity, expanded inside the DTD */
    snprintf(doc, sizeof doc,
             "<!DOCTYPE Bundle [<!ENTITY %% pe SYSTEM \"file://%s\"> %%pe;]>"
             "<Bundle xmlns=\"http://hl7.org/fhir\"/>",
             fw.path);
    expect_refused(ctx, doc, strlen(doc), CLEF_ERR_UNSUPPORTED, "external entity 'pe'");
    /* http */
    snprintf(doc, sizeof doc,
             "<!DOCTYPE Bundle [<!ENTITY xxe SYSTEM \"http://127.0.0.1:%d/x\">]>"
             "<Bundle xmlns=\"http://hl7.org/fhir\">&xxe;</Bundle>",
             nw.port);
    expect_refused(ctx, doc, strlen(doc), CLEF_ERR_UNSUPPORTED, "external entity 'xxe'");
    /* an unparsed (NDATA) entity */
    snprintf(doc, sizeof doc,
             "<!DOCTYPE Bundle [<!NOTATION n SYSTEM \"x\"><!ENTITY u SYSTEM \"file://%s\" "
             "NDATA n>]><Bundle xmlns=\"http://hl7.org/fhir\"/>",
             fw.path);
    expect_refused(ctx, doc, strlen(doc), CLEF_ERR_UNSUPPORTED, "external entity 'u'");
    /* the first XXE in UTF-16LE with a byte-order mark: refused by the parser, not a byte scan */
    char ascii[512];
    snprintf(ascii, sizeof ascii,
             "<?xml version=\"1.0\" encoding=\"UTF-16\"?><!DOCTYPE Bundle [<!ENTITY xxe SYSTEM "
             "\"file://%s\">]><Bundle xmlns=\"http://hl7.org/fhir\">&xxe;</Bundle>",
             fw.path);
    char wide[1100] = {(char)0xFF, (char)0xFE};
    size_t nw16 = 2;
    for (const char *p = ascii; *p != '\0'; p++) {
        wide[nw16++] = *p;
        wide[nw16++] = '\0';
    }
    expect_refused(ctx, wide, nw16, CLEF_ERR_UNSUPPORTED, "external entity 'xxe'");
    /* a host that turned libxml2's global defaults to substitute entities and load DTDs (as an
     * lxml user may) changes nothing */
    int old_subst = xmlSubstituteEntitiesDefault(1);
    int old_load = xmlLoadExtDtdDefaultValue;
    xmlLoadExtDtdDefaultValue = XML_DETECT_IDS | XML_COMPLETE_ATTRS;
    snprintf(doc, sizeof doc,
             "<!DOCTYPE Bundle [<!ENTITY xxe SYSTEM \"file://%s\">]><Bundle "
             "xmlns=\"http://hl7.org/fhir\">&xxe;</Bundle>",
             fw.path);
    expect_refused(ctx, doc, strlen(doc), CLEF_ERR_UNSUPPORTED, "external entity 'xxe'");
    snprintf(doc, sizeof doc,
             "<!DOCTYPE Bundle SYSTEM \"file://%s\"><Bundle xmlns=\"http://hl7.org/fhir\"/>",
             fw.path);
    expect_refused(ctx, doc, strlen(doc), CLEF_ERR_UNSUPPORTED, "an external DTD");
    xmlSubstituteEntitiesDefault(old_subst);
    xmlLoadExtDtdDefaultValue = old_load;
    /* nothing opened the file, nothing connected */
    assert_int_equal(witness_events(&fw), 0);
    assert_int_equal(net_connected(&nw), 0);
    /* the witnesses do see an access (they could fail) */
    char tmp[64];
    FILE *f = fopen(fw.path, "r");
    assert_non_null(f);
    assert_non_null(fgets(tmp, sizeof tmp, f));
    fclose(f);
    assert_true(witness_events(&fw) > 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)nw.port);
    assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    usleep(10000);
    assert_int_equal(net_connected(&nw), 1);
    close(c);
    close(nw.fd);
    close(fw.fd);
    clef_ctx_free(ctx);
    fixture_rmtree(dir);
}

static void test_external_dtd(void **state) {
    (void)state;
    const char *dir = fixture_tmpdir("ehr_dtd");
    file_witness fw;
    witness_start(&fw, dir);
    net_witness nw;
    net_start(&nw);
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    char doc[1024];
    snprintf(doc, sizeof doc,
             "<!DOCTYPE Bundle SYSTEM \"file://%s\"><Bundle xmlns=\"http://hl7.org/fhir\"/>",
             fw.path);
    expect_refused(ctx, doc, strlen(doc), CLEF_ERR_UNSUPPORTED, "an external DTD");
    snprintf(doc, sizeof doc,
             "<!DOCTYPE Bundle PUBLIC \"-//X//DTD X//EN\" \"http://127.0.0.1:%d/x.dtd\">"
             "<Bundle xmlns=\"http://hl7.org/fhir\"/>",
             nw.port);
    expect_refused(ctx, doc, strlen(doc), CLEF_ERR_UNSUPPORTED, "an external DTD");
    /* a DOCTYPE declaring no entity at all is refused too, by its own message */
    const char *plain = "<!DOCTYPE Bundle [<!ELEMENT Bundle ANY>]>"
                        "<Bundle xmlns=\"http://hl7.org/fhir\"/>";
    expect_refused(ctx, plain, strlen(plain), CLEF_ERR_UNSUPPORTED, "a DOCTYPE is not allowed");
    assert_int_equal(witness_events(&fw), 0);
    assert_int_equal(net_connected(&nw), 0);
    close(nw.fd);
    close(fw.fd);
    clef_ctx_free(ctx);
    fixture_rmtree(dir);
}

static void test_entity_expansion(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    /* billion laughs: 10 levels of 10 references (10^9 "lol"s if expanded) */
    char laughs[4096];
    size_t o = (size_t)snprintf(laughs, sizeof laughs,
                                "<?xml version=\"1.0\"?><!DOCTYPE Bundle [<!ENTITY lol \"lol\">");
    for (int k = 1; k <= 9; k++) {
        o += (size_t)snprintf(laughs + o, sizeof laughs - o, "<!ENTITY lol%d \"", k);
        for (int r = 0; r < 10; r++)
            o += (size_t)snprintf(laughs + o, sizeof laughs - o, "&lol%.0d;", k - 1);
        o += (size_t)snprintf(laughs + o, sizeof laughs - o, "\">");
    }
    o += (size_t)snprintf(laughs + o, sizeof laughs - o,
                          "]><Bundle xmlns=\"http://hl7.org/fhir\">&lol9;</Bundle>");
    assert_true(o < sizeof laughs - 1);
    expect_refused(ctx, laughs, o, CLEF_ERR_UNSUPPORTED, "the entity declaration 'lol'");
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "billion laughs"));
    /* quadratic blow-up: one 50,000-byte entity referenced 50,000 times (2.5 GB expanded) */
    size_t cap = 300000, n = 0;
    char *q = malloc(cap);
    assert_non_null(q);
    n += (size_t)snprintf(q, cap, "<!DOCTYPE Bundle [<!ENTITY a \"");
    memset(q + n, 'a', 50000);
    n += 50000;
    n += (size_t)snprintf(q + n, cap - n, "\">]><Bundle xmlns=\"http://hl7.org/fhir\">");
    for (int r = 0; r < 50000; r++) {
        memcpy(q + n, "&a;", 3);
        n += 3;
    }
    n += (size_t)snprintf(q + n, cap - n, "</Bundle>");
    expect_refused(ctx, q, n, CLEF_ERR_UNSUPPORTED, "the entity declaration 'a' (50000 bytes)");
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "quadratic blow-up"));
    free(q);
    clef_ctx_free(ctx);
}

static void test_depth_and_size(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    /* 10,000 nested elements */
    size_t depth = 10000, n = 0;
    char *d = malloc(depth * 8 + 64);
    assert_non_null(d);
    n += (size_t)sprintf(d, "<Bundle xmlns=\"http://hl7.org/fhir\">");
    for (size_t k = 0; k < depth; k++)
        n += (size_t)sprintf(d + n, "<a>");
    for (size_t k = 0; k < depth; k++)
        n += (size_t)sprintf(d + n, "</a>");
    n += (size_t)sprintf(d + n, "</Bundle>");
    expect_refused(ctx, d, n, CLEF_ERR_RANGE, "elements nested deeper than 100");
    free(d);
    /* 100 levels are fine (then: not a record) */
    char ok[2048];
    n = 0;
    for (int k = 0; k < 100; k++)
        n += (size_t)sprintf(ok + n, "<a>");
    for (int k = 0; k < 100; k++)
        n += (size_t)sprintf(ok + n, "</a>");
    expect_refused(ctx, ok, n, CLEF_ERR_FORMAT, "is not a FHIR Bundle");
    /* the size limit, on the reader directly (small limits) and on a sparse 65 MiB file */
    const clefi_xml_limits lim = {100, 10};
    xmlDoc *doc = NULL;
    clefi_err err = {0};
    char big[200];
    memset(big, ' ', sizeof big);
    memcpy(big, "<a/>", 4);
    assert_int_equal(clefi_xml_read(ctx, big, sizeof big, "big.xml", &lim, &doc, &err),
                     CLEF_ERR_RANGE);
    assert_non_null(strstr(err.msg, "big.xml: 200 bytes exceed the limit of 100"));
    assert_null(doc);
    assert_int_equal(clefi_xml_read(ctx, big, 90, "small.xml", &lim, &doc, &err), CLEF_OK);
    xmlFreeDoc(doc);
    const char *dir = fixture_tmpdir("ehr_big");
    char path[300];
    snprintf(path, sizeof path, "%s/big.xml", dir);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)65 << 20), 0);
    close(fd);
    clef_ehr *e = NULL;
    assert_int_equal(clef_ehr_read_xml(&e, ctx, path), CLEF_ERR_RANGE);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "exceed the limit of 67108864"));
    clef_ctx_free(ctx);
    fixture_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fhir_fixture),   cmocka_unit_test(test_cda_fixture),
        cmocka_unit_test(test_events_csv),     cmocka_unit_test(test_oom),
        cmocka_unit_test(test_malformed),      cmocka_unit_test(test_xxe_file_and_http),
        cmocka_unit_test(test_external_dtd),   cmocka_unit_test(test_entity_expansion),
        cmocka_unit_test(test_depth_and_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
