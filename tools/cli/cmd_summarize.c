/* cmd_summarize.c — clef summarize: a report's de-identified summary and findings as JSON. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char k_usage[] =
    "usage: clef summarize REPORT.txt\n"
    "       clef summarize --cohort DIR\n\n"
    "De-identify an EEG report and summarize its electrographic content with the built-in\n"
    "extractive summarizer (findings lexicon, NegEx-style negation and uncertainty). Prints one\n"
    "JSON object: {\"summary\": ..., \"findings\": {name: status}}, status one of \"present\",\n"
    "\"negated\", \"uncertain\", \"not_mentioned\" (docs/reports.md).\n"
    "With --cohort DIR (a cohort with truth.csv, e.g. from clef synth): summarize every\n"
    "report and print each finding's true/false positives, false negatives and F1 against\n"
    "truth.csv (present or uncertain counts as a positive call).\n";

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *p = malloc(cap);
    while (p != NULL) {
        n += fread(p + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *q = realloc(p, cap *= 2);
        if (q == NULL)
            free(p);
        p = q;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(p);
        return NULL;
    }
    *len = n;
    return p;
}

static void json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            fputs("\\n", stdout);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* The summary (malloc'ed, *sum) and statuses of the report at path. */
static clef_status summarize_file(clef_ctx *ctx, const char *path, char **sum, int32_t *status) {
    size_t len = 0, need = 0;
    char *text = slurp(path, &len);
    *sum = NULL;
    if (text == NULL)
        return CLEF_ERR_IO;
    clef_status rc = clef_report_summarize(ctx, text, len, NULL, NULL, NULL, 0, &need, status, 64);
    if (rc == CLEF_ERR_BUFFER_TOO_SMALL) {
        *sum = malloc(need);
        rc = *sum == NULL
                 ? CLEF_ERR_NOMEM
                 : clef_report_summarize(ctx, text, len, NULL, NULL, *sum, need, NULL, status, 64);
    }
    free(text);
    return rc;
}

/* Per-finding F1 of the built-in summarizer over a cohort directory's truth.csv. */
static int cohort_f1(clef_ctx *ctx, const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/truth.csv", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return cli_fail("summarize", CLEF_ERR_IO, path);
    int32_t nf = clef_report_n_findings(), status[64] = {0};
    long tp[64] = {0}, fp[64] = {0}, fn[64] = {0};
    char line[512], cur[512] = "";
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        char *c1 = strchr(line, ','), *c2 = c1 != NULL ? strchr(c1 + 1, ',') : NULL;
        if (c2 == NULL || strncmp(line, "session_id,", 11) == 0)
            continue;
        *c1 = *c2 = '\0';
        if (strcmp(line, cur) != 0) { /* rows are grouped by session */
            snprintf(cur, sizeof cur, "%s", line);
            snprintf(path, sizeof path, "%s/reports/%s.txt", dir, cur);
            char *sum = NULL;
            clef_status st = summarize_file(ctx, path, &sum, status);
            free(sum);
            if (st != CLEF_OK)
                rc = cli_fail("summarize", st, path);
        }
        for (int32_t k = 0; k < nf; k++)
            if (strcmp(clef_report_finding_name(k), c1 + 1) == 0) {
                int t = atoi(c2 + 1) == 1,
                    p = status[k] == CLEF_FINDING_PRESENT || status[k] == CLEF_FINDING_UNCERTAIN;
                tp[k] += t && p;
                fp[k] += !t && p;
                fn[k] += t && !p;
            }
    }
    fclose(f);
    if (rc != 0)
        return rc;
    printf("%-26s %6s %6s %6s %6s\n", "finding", "tp", "fp", "fn", "F1");
    for (int32_t k = 0; k < nf; k++) {
        long d = 2 * tp[k] + fp[k] + fn[k];
        printf("%-26s %6ld %6ld %6ld %6.3f\n", clef_report_finding_name(k), tp[k], fp[k], fn[k],
               d > 0 ? 2.0 * (double)tp[k] / (double)d : 1.0);
    }
    return 0;
}

int cmd_summarize(int argc, char **argv) {
    const char *path = NULL, *cohort = NULL;
    const cli_opt opts[] = {CLI_POS("REPORT.txt", &path, 0), CLI_STR("--cohort", NULL, &cohort, 0),
                            CLI_END};
    const cli_cmd cmd = {"summarize", k_usage, opts};
    int code;
    if (cli_parse(&cmd, argc, argv, &code) != 0)
        return code;
    if ((path == NULL) == (cohort == NULL))
        return cli_usage_error("summarize",
                               "REPORT.txt or --cohort DIR missing (give one of them)");
    clef_ctx *ctx = NULL;
    clef_status rc = clef_ctx_create(&ctx);
    if (rc != CLEF_OK)
        return cli_fail("summarize", rc, NULL);
    if (cohort != NULL) {
        int r = cohort_f1(ctx, cohort);
        clef_ctx_free(ctx);
        return r;
    }
    int32_t status[64];
    char *sum = NULL;
    rc = summarize_file(ctx, path, &sum, status);
    if (rc != CLEF_OK) {
        int r = cli_fail("summarize", rc, rc == CLEF_ERR_IO ? path : clef_ctx_errmsg(ctx));
        free(sum);
        clef_ctx_free(ctx);
        return r;
    }
    static const char *const k_status[] = {"not_mentioned", "present", "negated", "uncertain"};
    fputs("{\"summary\": ", stdout);
    json_string(sum);
    fputs(", \"findings\": {", stdout);
    for (int32_t k = 0; k < clef_report_n_findings(); k++) {
        printf("%s\"%s\": \"%s\"", k ? ", " : "", clef_report_finding_name(k), k_status[status[k]]);
    }
    fputs("}}\n", stdout);
    free(sum);
    clef_ctx_free(ctx);
    return 0;
}
