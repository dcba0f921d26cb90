/* cmd_summarize.c — clef summarize: a report's de-identified summary and findings as JSON. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char k_usage[] =
    "usage: clef summarize REPORT.txt\n\n"
    "De-identify an EEG report and summarize its electrographic content with the built-in\n"
    "extractive summarizer (findings lexicon, NegEx-style negation and uncertainty). Prints one\n"
    "JSON object: {\"summary\": ..., \"findings\": {name: status}}, status one of \"present\",\n"
    "\"negated\", \"uncertain\", \"not_mentioned\" (docs/reports.md).\n";

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

int cmd_summarize(int argc, char **argv) {
    const char *path = NULL;
    const cli_opt opts[] = {CLI_POS("REPORT.txt", &path, 1), CLI_END};
    const cli_cmd cmd = {"summarize", k_usage, opts};
    int code;
    if (cli_parse(&cmd, argc, argv, &code) != 0)
        return code;
    size_t len = 0;
    char *text = slurp(path, &len);
    if (text == NULL)
        return cli_fail("summarize", CLEF_ERR_IO, path);
    clef_ctx *ctx = NULL;
    clef_status rc = clef_ctx_create(&ctx);
    int32_t status[64];
    size_t need = 0;
    char *sum = NULL;
    if (rc == CLEF_OK)
        rc = clef_report_summarize(ctx, text, len, NULL, NULL, NULL, 0, &need, status, 64);
    if (rc == CLEF_ERR_BUFFER_TOO_SMALL) {
        sum = malloc(need);
        rc = sum == NULL
                 ? CLEF_ERR_NOMEM
                 : clef_report_summarize(ctx, text, len, NULL, NULL, sum, need, NULL, status, 64);
    }
    free(text);
    if (rc != CLEF_OK) {
        int r = cli_fail("summarize", rc, ctx != NULL ? clef_ctx_errmsg(ctx) : NULL);
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
