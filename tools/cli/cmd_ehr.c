/* cmd_ehr.c — clef ehr FILE: one patient's parsed record (FHIR R4 XML, CDA R2, or an events CSV)
 * as JSON on stdout: demographics, coded items with their systems, report texts. */
#include <string.h>

#include "cli.h"

/* s as a JSON string: quotes, backslashes and control characters escaped; bytes that are not
 * well-formed UTF-8 become U+FFFD, so the output is always valid JSON. */
static void json_str(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    putchar('"');
    while (*p != '\0') {
        unsigned c = *p;
        size_t k = c < 0x80                          ? 1
                   : (c & 0xE0) == 0xC0 && c >= 0xC2 ? 2
                   : (c & 0xF0) == 0xE0              ? 3
                   : (c & 0xF8) == 0xF0 && c <= 0xF4 ? 4
                                                     : 0;
        for (size_t j = 1; j < k; j++)
            if ((p[j] & 0xC0) != 0x80)
                k = 0;
        if (k == 3 && ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)))
            k = 0;
        if (k == 4 && ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)))
            k = 0;
        if (k == 0) {
            fputs("\\ufffd", stdout);
            p++;
        } else if (k > 1) {
            fwrite(p, 1, k, stdout);
            p += k;
        } else {
            if (c == '"' || c == '\\')
                printf("\\%c", (char)c);
            else if (c == '\n')
                fputs("\\n", stdout);
            else if (c == '\t')
                fputs("\\t", stdout);
            else if (c == '\r')
                fputs("\\r", stdout);
            else if (c < 0x20)
                printf("\\u%04x", c);
            else
                putchar((int)c);
            p++;
        }
    }
    putchar('"');
}

static const char *const k_attr_names[] = {"system", "code", "display", "time",
                                           "vocab",  "text", "source"};

static void print_items(const clef_ehr *e, int32_t kind, const char *name, int last) {
    printf("  \"%s\": [", name);
    int64_t n = clef_ehr_count(e, kind);
    for (int64_t i = 0; i < n; i++) {
        printf("%s\n    {", i > 0 ? "," : "");
        int first = 1;
        for (int32_t a = 0; a < (int32_t)(sizeof k_attr_names / sizeof k_attr_names[0]); a++) {
            if (a == CLEF_EHR_TEXT && kind != CLEF_EHR_REPORT)
                continue;
            printf("%s\"%s\": ", first ? "" : ", ", k_attr_names[a]);
            json_str(clef_ehr_item(e, kind, i, a));
            first = 0;
        }
        putchar('}');
    }
    printf("%s]%s\n", n > 0 ? "\n  " : "", last ? "" : ",");
}

static void print_record(const clef_ehr *e) {
    static const char *const formats[] = {"", "FHIR R4", "CDA R2", "MEDS CSV"};
    static const char *const fields[] = {"id", "sex", "birth_date", "race", "age_years"};
    int32_t f = clef_ehr_format(e);
    printf("{\n  \"format\": \"%s\",\n  \"patient\": {", f >= 1 && f <= 3 ? formats[f] : "");
    for (int32_t k = 0; k < (int32_t)(sizeof fields / sizeof fields[0]); k++) {
        printf("%s\"%s\": ", k > 0 ? ", " : "", fields[k]);
        json_str(clef_ehr_patient(e, k));
    }
    printf("},\n");
    print_items(e, CLEF_EHR_CONDITION, "conditions", 0);
    print_items(e, CLEF_EHR_MEDICATION, "medications", 0);
    print_items(e, CLEF_EHR_ENCOUNTER, "encounters", 0);
    print_items(e, CLEF_EHR_REPORT, "reports", 1);
    printf("}\n");
}

int cmd_ehr(int argc, char **argv) {
    const char *path = NULL, *subject = NULL;
    const cli_opt opts[] = {CLI_STR("--subject", NULL, &subject, 0), CLI_POS("FILE", &path, 1),
                            CLI_END};
    const cli_cmd cmd = {
        "ehr",
        "usage: clef ehr [--subject ID] FILE\n\nPrint one patient's parsed record as JSON: "
        "demographics, conditions, medications and\nencounters with their code systems, and "
        "report texts. FILE is a FHIR R4 Bundle or an\nHL7 CDA R2 document (XML; read without "
        "network, DTD or entities), or an events CSV\n(subject_id,time,code,value; ending in "
        ".csv) holding one subject or the --subject one.\n",
        opts};
    int code = 0;
    if (cli_parse(&cmd, argc, argv, &code) != 0)
        return code;
    size_t len = strlen(path);
    int is_csv = len >= 4 && strcmp(path + len - 4, ".csv") == 0;
    if (subject != NULL && !is_csv)
        return cli_usage_error("ehr", "--subject applies to an events CSV (FILE ending in .csv)");
    clef_ctx *ctx = NULL;
    clef_status rc = clef_ctx_create(&ctx);
    if (rc != CLEF_OK)
        return cli_fail("ehr", rc, NULL);
    clef_ehr *e = NULL;
    rc = is_csv ? clef_ehr_read_events(&e, ctx, path, subject) : clef_ehr_read_xml(&e, ctx, path);
    if (rc != CLEF_OK)
        code = cli_fail(path, rc, clef_ctx_errmsg(ctx));
    else
        print_record(e);
    clef_ehr_free(e);
    clef_ctx_free(ctx);
    return code;
}
