/* test_reports.c — reports: de-identification recall on the synthetic cohort's planted PHI (plus
 * phone numbers, addresses, extra dates, names and ages over 89 planted here), no PHI in errors
 * or logs, NegEx negation/uncertainty cases, the external-summarizer contract, and per-finding
 * F1 of the built-in summarizer against the cohort's truth.csv. */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clef.h"
#include "cohort_fixture.h"
#include "test_support.h"

#define N_PATIENTS 60

static char g_dir[512];

static int setup(void **state) {
    (void)state;
    snprintf(g_dir, sizeof g_dir, "%s", fixture_tmpdir("reports"));
    clef_ctx *ctx = NULL;
    clef_session *s = NULL;
    clef_params *p = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK || clef_session_create(&s, ctx, 1) != CLEF_OK ||
        clef_params_create(&p, ctx, CLEF_PARAMS_COHORT) != CLEF_OK)
        return -1;
    clef_params_set_i64(p, CLEF_P_COHORT_SEED, 7);
    clef_params_set_i64(p, CLEF_P_COHORT_N_PATIENTS, N_PATIENTS);
    clef_params_set_f64(p, CLEF_P_COHORT_DURATION_S, 4);
    clef_params_set_f64(p, CLEF_P_COHORT_FRAC_ARTIFACT, 0.5);
    clef_status rc = clef_cohort_generate(s, p, g_dir, NULL, NULL);
    clef_params_free(p);
    clef_session_free(s);
    clef_ctx_free(ctx);
    return rc == CLEF_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    fixture_rmtree(g_dir);
    return 0;
}

static char *read_rel(const char *rel) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", g_dir, rel);
    size_t n = 0;
    unsigned char *p = test_read_file(path, &n);
    if (p == NULL)
        return NULL;
    char *s = realloc(p, n + 1);
    s[n] = '\0';
    return s;
}

/* The value of the first <tag value="..."/> after `after` in an XML text. */
static void xml_value(const char *xml, const char *after, const char *tag, char *out, size_t cap) {
    char key[64];
    snprintf(key, sizeof key, "<%s value=\"", tag);
    const char *a = strstr(xml, after);
    const char *p = a != NULL ? strstr(a, key) : NULL;
    out[0] = '\0';
    if (p == NULL)
        return;
    p += strlen(key);
    size_t n = strcspn(p, "\"");
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
}

static int has_word(const char *text, const char *w) {
    size_t n = strlen(w);
    for (const char *p = strstr(text, w); p != NULL; p = strstr(p + 1, w)) {
        int l = p == text || !((p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= 'a' && p[-1] <= 'z') ||
                               (p[-1] >= '0' && p[-1] <= '9'));
        char c = p[n];
        int r = !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
        if (l && r)
            return 1;
    }
    return 0;
}

static char *deid(clef_ctx *ctx, const char *text) {
    size_t need = 0;
    assert_int_equal(clef_report_deidentify(ctx, text, strlen(text), NULL, 0, &need),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    char *out = malloc(need);
    assert_non_null(out);
    assert_int_equal(clef_report_deidentify(ctx, text, strlen(text), out, need, NULL), CLEF_OK);
    return out;
}

/* Sessions of the manifest: session_id, subject_id, start_time, age_years. */
typedef struct row {
    char session[40], subject[24], start[32];
    double age;
} row;

static int manifest(row *rows, int cap) {
    char *m = read_rel("manifest.csv");
    assert_non_null(m);
    int n = 0;
    char *save = NULL;
    for (char *line = strtok_r(m, "\n", &save); line != NULL && n < cap;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "session_id", 10) == 0)
            continue;
        char *f[9] = {0};
        char *s2 = NULL;
        int k = 0;
        for (char *t = strtok_r(line, ",", &s2); t != NULL && k < 9; t = strtok_r(NULL, ",", &s2))
            f[k++] = t;
        assert_int_equal(k, 9);
        snprintf(rows[n].session, sizeof rows[n].session, "%s", f[0]);
        snprintf(rows[n].subject, sizeof rows[n].subject, "%s", f[1]);
        snprintf(rows[n].start, sizeof rows[n].start, "%s", f[4]);
        rows[n].age = atof(f[6]);
        n++;
    }
    free(m);
    return n;
}

/* PHI planted by this test on top of the generator's, in varied formats. */
static void plant(char *buf, size_t cap, const char *report, int i, char items[][64], int *n) {
    static const char *const street[] = {"Elm Street", "Oak Ave", "Maple Road", "Harbor Blvd",
                                         "Cedar Lane"};
    static const char *const city[] = {"Springfield", "Riverton", "Fairview"};
    static const char *const given[] = {"Okafor", "Brennan", "Nakamura", "Duarte"};
    static const char *const month[] = {"March", "Sept.", "January", "Oct"};
    char phone[32], addr[64], date1[32], date2[32], who[32], age[32];
    int a = 100 + 37 * i, b = 1000 + 113 * i;
    switch (i % 4) {
    case 0:
        snprintf(phone, sizeof phone, "(555) %03d-%04d", a % 1000, b % 10000);
        break;
    case 1:
        snprintf(phone, sizeof phone, "555-%03d-%04d", a % 1000, b % 10000);
        break;
    case 2:
        snprintf(phone, sizeof phone, "617.%03d.%04d", a % 1000, b % 10000);
        break;
    default:
        snprintf(phone, sizeof phone, "+1 555 %03d %04d", a % 1000, b % 10000);
        break;
    }
    snprintf(addr, sizeof addr, "%d %s", 10 + 7 * i, street[i % 5]);
    snprintf(date1, sizeof date1, "%s %d, %d", month[i % 4], 1 + i % 28, 2000 + i % 20);
    snprintf(date2, sizeof date2, "%02d/%02d/%04d", 1 + i % 12, 1 + i % 28, 1990 + i % 30);
    snprintf(who, sizeof who, "Mrs. %s", given[i % 4]);
    snprintf(age, sizeof age, "%d", 90 + i % 15);
    const char *h = strstr(report, "HISTORY:\n");
    assert_non_null(h);
    h += strlen("HISTORY:\n");
    snprintf(buf, cap, "%.*sLives at %s, %s. Call %s. Seen on %s and %s by %s, aged %s. %s",
             (int)(h - report), report, addr, city[i % 3], phone, date1, date2, who, age, h);
    const char *planted[] = {phone, addr, date1, date2, given[i % 4], age};
    for (int k = 0; k < 6; k++)
        snprintf(items[(*n)++], 64, "%s", planted[k]);
}

static void test_deid_recall(void **state) {
    (void)state;
    static row rows[4 * N_PATIENTS];
    int n = manifest(rows, 4 * N_PATIENTS);
    assert_true(n >= N_PATIENTS);
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    int total = 0, caught = 0, old_ages = 0;
    static const char *const docs[] = {"Reyes", "Osei", "Lindqvist", "Patel"};
    for (int i = 0; i < n; i++) {
        char rel[128], xml_rel[128];
        snprintf(rel, sizeof rel, "reports/%.39s.txt", rows[i].session);
        snprintf(xml_rel, sizeof xml_rel, "fhir/%.23s.xml", rows[i].subject);
        char *rep = read_rel(rel), *xml = read_rel(xml_rel);
        assert_non_null(rep);
        assert_non_null(xml);
        char items[32][64];
        int m = 0;
        char bd[16];
        xml_value(xml, "<Patient", "family", items[m++], 64);
        xml_value(xml, "<Patient", "given", items[m++], 64);
        xml_value(xml, "urn:clef:synthetic:mrn", "value", items[m++], 64);
        xml_value(xml, "<Patient", "birthDate", bd, sizeof bd);
        assert_int_equal(strlen(bd), 10); /* YYYY-MM-DD -> the report's MM/DD/YYYY */
        snprintf(items[m++], 64, "%.2s/%.2s/%.4s", bd + 5, bd + 8, bd);
        snprintf(items[m++], 64, "%.10s %.5s", rows[i].start, rows[i].start + 11);
        for (int k = 0; k < 4; k++)
            if (strstr(rep, docs[k]) != NULL)
                snprintf(items[m++], 64, "%s", docs[k]);
        if ((int)rows[i].age > 89) {
            snprintf(items[m++], 64, "%d-year-old", (int)rows[i].age);
            old_ages++;
        }
        size_t cap = strlen(rep) + 512;
        char *text = malloc(cap);
        plant(text, cap, rep, i, items, &m);
        char *out = deid(ctx, text);
        /* the tag's own "90" is no leak: blank it before looking for planted ages */
        for (char *t = strstr(out, "[AGE 90+]"); t != NULL; t = strstr(t, "[AGE 90+]"))
            memcpy(t, "[AGE ***]", 9);
        for (int k = 0; k < m; k++) {
            assert_non_null(strstr(text, items[k])); /* the item is really in the report */
            total++;
            if (!has_word(out, items[k]))
                caught++;
            else
                print_message("missed PHI kind %d in session %d: %s\n", k, i, items[k]);
        }
        /* the clinical content survives */
        assert_non_null(strstr(out, "DESCRIPTION:"));
        assert_non_null(strstr(out, "10-20 system"));
        free(out);
        free(text);
        free(rep);
        free(xml);
    }
    double recall = (double)caught / total;
    print_message("de-identification recall: %d/%d = %.4f (%d ages over 89 in the cohort)\n",
                  caught, total, recall, old_ages);
    assert_true(recall >= 0.99);
    clef_ctx_free(ctx);
}

typedef struct log_sink {
    char text[8192];
    size_t len;
} log_sink;

static void sink(int32_t level, const char *msg, void *user) {
    (void)level;
    log_sink *s = user;
    size_t n = strlen(msg);
    if (s->len + n + 2 < sizeof s->text) {
        memcpy(s->text + s->len, msg, n);
        s->len += n;
        s->text[s->len++] = '\n';
        s->text[s->len] = '\0';
    }
}

static clef_status failing(const char *t, size_t len, char *summary, size_t cap, int32_t *status,
                           int32_t n, void *user) {
    (void)t, (void)len, (void)summary, (void)cap, (void)status, (void)n, (void)user;
    return CLEF_ERR_INTERNAL;
}

static clef_status bad_status(const char *t, size_t len, char *summary, size_t cap, int32_t *status,
                              int32_t n, void *user) {
    (void)t, (void)len, (void)cap, (void)n, (void)user;
    summary[0] = '\0';
    status[0] = 42;
    return CLEF_OK;
}

static const char k_phi_report[] = "Patient: Quartermaine, Eloise\nMRN: 99887766\n"
                                   "DOB: 02/03/1930\nPhone: (555) 246-8101\n\nHISTORY:\n"
                                   "94-year-old woman, MRN 4521. Eloise reports spells.\n\n"
                                   "DESCRIPTION:\nNo focal slowing.\n";
static const char *const k_phi[] = {"Quartermaine", "Eloise", "99887766", "1930",
                                    "246-8101",     "94",     "4521"};

static void assert_no_phi(const char *s) {
    for (size_t k = 0; k < sizeof k_phi / sizeof *k_phi; k++)
        if (has_word(s, k_phi[k]))
            fail_msg("PHI item %d leaked", (int)k);
}

static void test_no_phi_in_errors_or_logs(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    log_sink L = {{0}, 0};
    assert_int_equal(clef_ctx_set_log(ctx, CLEF_LOG_DEBUG, sink, &L), CLEF_OK);
    size_t len = strlen(k_phi_report), need = 0;
    char small[8];
    int32_t st[32];
    assert_int_equal(clef_report_deidentify(ctx, k_phi_report, len, small, sizeof small, &need),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_no_phi(clef_ctx_errmsg(ctx));
    assert_int_equal(
        clef_report_summarize(ctx, k_phi_report, len, failing, NULL, NULL, 0, NULL, st, 32),
        CLEF_ERR_INTERNAL);
    assert_no_phi(clef_ctx_errmsg(ctx));
    assert_int_equal(
        clef_report_summarize(ctx, k_phi_report, len, bad_status, NULL, NULL, 0, NULL, st, 32),
        CLEF_ERR_FORMAT);
    assert_no_phi(clef_ctx_errmsg(ctx));
    assert_int_equal(clef_report_summarize(ctx, k_phi_report, len, NULL, NULL, small, sizeof small,
                                           NULL, st, 32),
                     CLEF_ERR_BUFFER_TOO_SMALL);
    assert_no_phi(clef_ctx_errmsg(ctx));
    assert_int_equal(
        clef_report_summarize(ctx, k_phi_report, len, NULL, NULL, NULL, 0, NULL, st, 3),
        CLEF_ERR_INVALID_ARG);
    assert_true(L.len > 0); /* the errors were logged, so the check above saw them */
    assert_no_phi(L.text);
    char *out = deid(ctx, k_phi_report);
    assert_no_phi(out);
    assert_non_null(strstr(out, "[AGE 90+]"));
    assert_non_null(strstr(out, "No focal slowing."));
    free(out);
    clef_ctx_free(ctx);
}

/* An identifier word takes the identifier after it, but a sentence ending on the word is no
 * identifier: "... the record. 60 Hz line artifact ..." keeps its sentences. */
static void test_deid_identifier_words(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    char *out = deid(ctx, "Artifact obscures parts of the record. 60 Hz line artifact is "
                          "present. Record #A17, MRN.4521 and MRN: 12345 were reviewed.");
    assert_non_null(strstr(out, "parts of the record. 60 Hz line artifact is present."));
    assert_false(has_word(out, "A17"));
    assert_false(has_word(out, "4521"));
    assert_false(has_word(out, "12345"));
    free(out);
    clef_ctx_free(ctx);
}

/* The status of finding `name` in text (built-in summarizer). */
static int32_t status_of(clef_ctx *ctx, const char *text, const char *name) {
    int32_t st[32];
    size_t need = 0;
    clef_status rc =
        clef_report_summarize(ctx, text, strlen(text), NULL, NULL, NULL, 0, &need, st, 32);
    assert_int_equal(rc, CLEF_ERR_BUFFER_TOO_SMALL);
    for (int32_t k = 0; k < clef_report_n_findings(); k++)
        if (strcmp(clef_report_finding_name(k), name) == 0)
            return st[k];
    fail_msg("unknown finding");
    return -1;
}

static void test_negation_uncertainty(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    static const struct {
        const char *text, *finding;
        int32_t want;
    } cases[] = {
        {"There is focal slowing over the left temporal region.", "focal_slowing",
         CLEF_FINDING_PRESENT},
        {"No focal slowing.", "focal_slowing", CLEF_FINDING_NEGATED},
        {"There is no focal slowing.", "focal_slowing", CLEF_FINDING_NEGATED},
        {"Possible sharp waves over the left temporal region.", "focal_epileptiform",
         CLEF_FINDING_UNCERTAIN},
        {"Sharp waves cannot be excluded.", "focal_epileptiform", CLEF_FINDING_UNCERTAIN},
        {"Triphasic waves were not seen.", "triphasic_waves", CLEF_FINDING_NEGATED},
        {"No epileptiform discharges were seen.", "generalized_epileptiform", CLEF_FINDING_NEGATED},
        {"The epileptiform discharges indicate a risk of seizures.", "focal_epileptiform",
         CLEF_FINDING_NOT_MENTIONED},
        {"No slowing, but triphasic waves are present.", "triphasic_waves", CLEF_FINDING_PRESENT},
        {"Normal EEG.", "abnormal", CLEF_FINDING_NEGATED},
        {"Abnormal EEG due to burst suppression.", "abnormal", CLEF_FINDING_PRESENT},
        {"One channel shows no signal.", "artifact_flat_channel", CLEF_FINDING_PRESENT},
        {"No change in the excess beta activity.", "excess_beta", CLEF_FINDING_PRESENT},
        {"The record shows no burst-suppression; sleep spindles are seen.", "drowsiness_sleep",
         CLEF_FINDING_PRESENT},
        {"No sharp waves. Sharp waves are seen later.", "focal_epileptiform", CLEF_FINDING_PRESENT},
        {"Absence of spike-and-wave discharges.", "generalized_epileptiform", CLEF_FINDING_NEGATED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int32_t got = status_of(ctx, cases[i].text, cases[i].finding);
        if (got != cases[i].want)
            fail_msg("case %d: status %d, want %d", (int)i, (int)got, (int)cases[i].want);
    }
    size_t b = 0, e = 0;
    const char *t = "HISTORY:\nx\nFINDINGS:\nNo spikes.\nIMPRESSION:\nNormal EEG.\n";
    assert_int_equal(clef_report_section(ctx, t, strlen(t), "description", &b, &e), CLEF_OK);
    assert_int_equal((int)(e - b), (int)strlen("No spikes.\n"));
    assert_int_equal(clef_report_section(ctx, t, strlen(t), "technique", &b, &e),
                     CLEF_ERR_NOT_FOUND);
    clef_ctx_free(ctx);
}

typedef struct seen {
    int got_phi;
} seen;

/* An external summarizer that echoes PHI back: the library must strip it again. */
static clef_status echo(const char *t, size_t len, char *summary, size_t cap, int32_t *status,
                        int32_t n, void *user) {
    seen *s = user;
    s->got_phi = strstr(t, "Quartermaine") != NULL || strstr(t, "99887766") != NULL;
    assert_true(n >= 15);
    assert_int_equal(status[0], CLEF_FINDING_NOT_MENTIONED);
    snprintf(summary, cap, "Dr. Smith (555) 246-8101 says: no focal slowing (%zu bytes)", len);
    status[0] = CLEF_FINDING_NEGATED;
    return CLEF_OK;
}

static void test_external_summarizer(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    seen s = {1};
    char out[256];
    int32_t st[15];
    assert_int_equal(clef_report_summarize(ctx, k_phi_report, strlen(k_phi_report), echo, &s, out,
                                           sizeof out, NULL, st, 15),
                     CLEF_OK);
    assert_int_equal(s.got_phi, 0);
    assert_null(strstr(out, "Smith"));
    assert_null(strstr(out, "246-8101"));
    assert_non_null(strstr(out, "no focal slowing"));
    assert_int_equal(st[0], CLEF_FINDING_NEGATED);
    clef_ctx_free(ctx);
}

/* Per-finding F1 of the built-in summarizer against truth.csv (present or uncertain counts as
 * a positive call). Findings the reports never mention are reported, not enforced. */
static void test_summary_f1(void **state) {
    (void)state;
    static row rows[4 * N_PATIENTS];
    int n = manifest(rows, 4 * N_PATIENTS);
    int nf = clef_report_n_findings();
    static int32_t pred[4 * N_PATIENTS][32];
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    for (int i = 0; i < n; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "reports/%.39s.txt", rows[i].session);
        char *rep = read_rel(rel);
        assert_non_null(rep);
        char sum[8192];
        assert_int_equal(clef_report_summarize(ctx, rep, strlen(rep), NULL, NULL, sum, sizeof sum,
                                               NULL, pred[i], 32),
                         CLEF_OK);
        free(rep);
    }
    int tp[32] = {0}, fp[32] = {0}, fn[32] = {0};
    char *truth = read_rel("truth.csv");
    assert_non_null(truth);
    char *save = NULL;
    for (char *line = strtok_r(truth, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(line, ','), *c2 = c1 != NULL ? strchr(c1 + 1, ',') : NULL;
        if (c2 == NULL || strncmp(line, "session_id", 10) == 0)
            continue;
        *c1 = *c2 = '\0';
        int i = 0, k = 0;
        while (i < n && strcmp(rows[i].session, line) != 0)
            i++;
        while (k < nf && strcmp(clef_report_finding_name(k), c1 + 1) != 0)
            k++;
        assert_true(i < n && k < nf);
        int t = atoi(c2 + 1),
            p = pred[i][k] == CLEF_FINDING_PRESENT || pred[i][k] == CLEF_FINDING_UNCERTAIN;
        tp[k] += t && p;
        fp[k] += !t && p;
        fn[k] += t && !p;
    }
    free(truth);
    /* minimum F1 per finding (-1: not enforced: the report text cannot tell it) */
    static const double k_min[15] = {0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95,
                                     0.80, 0.90, -1,   -1,   -1,   0.95, 0.95};
    print_message("%-26s %4s %4s %4s %6s\n", "finding", "tp", "fp", "fn", "F1");
    for (int k = 0; k < nf; k++) {
        double f1 = tp[k] + fp[k] + fn[k] > 0 ? 2.0 * tp[k] / (2.0 * tp[k] + fp[k] + fn[k]) : 1.0;
        print_message("%-26s %4d %4d %4d %6.3f\n", clef_report_finding_name(k), tp[k], fp[k], fn[k],
                      f1);
        if (k_min[k] >= 0 && tp[k] + fn[k] > 0 && f1 < k_min[k])
            fail_msg("%s: F1 %.3f < %.2f", clef_report_finding_name(k), f1, k_min[k]);
    }
    clef_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deid_recall),
        cmocka_unit_test(test_deid_identifier_words),
        cmocka_unit_test(test_no_phi_in_errors_or_logs),
        cmocka_unit_test(test_negation_uncertainty),
        cmocka_unit_test(test_external_summarizer),
        cmocka_unit_test(test_summary_f1),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
