/* cli_html.h — pieces of the clef command's self-contained HTML report (clef report): escaped
 * text, pictures inlined as data: URIs, ROC curves as inline SVG. Nothing refers to a file or
 * the network, and no script is needed to read the page. */
#ifndef CLEF_CLI_HTML_H
#define CLEF_CLI_HTML_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* text with &, <, >, " escaped. */
void cli_html_text(FILE *f, const char *text);

/* <img> of a PNG held in memory (base64 data: URI), with its alt text. */
void cli_html_png(FILE *f, const uint8_t *png, size_t n, const char *alt);

/* One ROC curve: scores and labels (0/1) of n test sessions, drawn in colour. */
typedef struct cli_roc {
    const double *score;
    const int32_t *label;
    size_t n;
    const char *colour; /* "#1f77b4" */
} cli_roc;

/* An inline SVG of size px x px with the chance diagonal and n_curves ROC curves, titled. 0,
 * or -1 (no memory). */
int cli_html_roc_svg(FILE *f, const char *title, const cli_roc *curves, int n_curves, int px);

#endif
