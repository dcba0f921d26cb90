/* report_sections.c — section headers of an EEG report ("IMPRESSION:" lines, ACNS Guideline 7
 * names and common aliases).
 * SPDX-License-Identifier: BSD-3-Clause */
#include "report_int.h"

#include <string.h>

typedef struct alias {
    const char *text, *name;
} alias;
static const alias k_alias[] = {
    {"clinical history", "HISTORY"},
    {"history", "HISTORY"},
    {"medications", "MEDICATIONS"},
    {"technique", "TECHNIQUE"},
    {"description of the record", "DESCRIPTION"},
    {"description", "DESCRIPTION"},
    {"findings", "DESCRIPTION"},
    {"impression", "IMPRESSION"},
    {"interpretation", "IMPRESSION"},
    {"clinical correlation", "CLINICAL CORRELATION"},
};

/* The canonical name of a header line [i, eol) ("NAME:" possibly followed by text), its body
 * start in *body; NULL if the line is no known header. */
static const char *header(const char *t, size_t len, size_t i, size_t eol, size_t *body) {
    while (i < eol && (t[i] == ' ' || t[i] == '\t'))
        i++;
    for (size_t k = 0; k < sizeof k_alias / sizeof *k_alias; k++) {
        size_t n = strlen(k_alias[k].text);
        if (i + n < eol && clefi_ncase_eq(t + i, k_alias[k].text, n) && t[i + n] == ':') {
            /* a header is written in capitals, or stands alone on its line */
            int caps =
                clefi_a_upper((unsigned char)t[i]) && clefi_a_upper((unsigned char)t[i + n - 1]);
            size_t j = i + n + 1;
            while (j < eol && (t[j] == ' ' || t[j] == '\t' || t[j] == '\r'))
                j++;
            if (!caps && j < eol)
                continue;
            *body = j == eol && eol < len ? eol + 1 : j; /* a body starts on the next line */
            return k_alias[k].name;
        }
    }
    return NULL;
}

int clefi_report_next_section(const char *text, size_t len, size_t *pos, clefi_section *sec) {
    int found = 0;
    for (size_t i = *pos; i < len;) {
        size_t eol = i;
        while (eol < len && text[eol] != '\n')
            eol++;
        size_t body;
        const char *name = header(text, len, i, eol, &body);
        if (name != NULL) {
            if (found) {
                sec->end = i;
                *pos = i;
                return 1;
            }
            *sec = (clefi_section){name, body, len};
            found = 1;
        }
        i = eol + 1;
    }
    *pos = len;
    return found;
}

clef_status clef_report_section(clef_ctx *ctx, const char *text, size_t len, const char *name,
                                size_t *begin, size_t *end) {
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_reset(ctx);
    if ((text == NULL && len > 0) || name == NULL || begin == NULL || end == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "clef_report_section: NULL argument");
    const char *canon = NULL;
    for (size_t k = 0; k < sizeof k_alias / sizeof *k_alias && canon == NULL; k++)
        if (clefi_case_eq(name, k_alias[k].text))
            canon = k_alias[k].name;
    if (canon == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                               "clef_report_section: unknown section name");
    clefi_section sec;
    for (size_t pos = 0; clefi_report_next_section(text, len, &pos, &sec);)
        if (strcmp(sec.name, canon) == 0) {
            *begin = sec.begin;
            *end = sec.end;
            return CLEF_OK;
        }
    return clefi_ctx_error(ctx, CLEF_ERR_NOT_FOUND, "clef_report_section: no such section");
}
