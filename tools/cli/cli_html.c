/* cli_html.c — HTML pieces of clef report (cli_html.h). */
#include "cli_html.h"

#include <stdlib.h>

#include "cli_args.h"

void cli_html_text(FILE *f, const char *text) {
    for (const char *p = text; p != NULL && *p; p++) {
        switch (*p) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*p, f);
        }
    }
}

void cli_html_png(FILE *f, const uint8_t *png, size_t n, const char *alt) {
    static const char k_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    fputs("<img alt=\"", f);
    cli_html_text(f, alt);
    fputs("\" src=\"data:image/png;base64,", f);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)png[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)png[i + 1] << 8;
        if (i + 2 < n)
            v |= png[i + 2];
        char q[4] = {k_b64[(v >> 18) & 63], k_b64[(v >> 12) & 63],
                     i + 1 < n ? k_b64[(v >> 6) & 63] : '=', i + 2 < n ? k_b64[v & 63] : '='};
        fwrite(q, 1, 4, f);
    }
    fputs("\">", f);
}

typedef struct roc_pt {
    double s;
    int32_t y;
} roc_pt;

static int by_score_desc(const void *a, const void *b) {
    double x = ((const roc_pt *)a)->s, y = ((const roc_pt *)b)->s;
    return (x < y) - (x > y);
}

/* The curve's polyline: thresholds from the highest score down; tied scores move together. */
static int roc_polyline(FILE *f, const cli_roc *c, int px) {
    roc_pt *p = malloc((c->n ? c->n : 1) * sizeof *p);
    if (p == NULL)
        return -1;
    size_t pos = 0;
    for (size_t i = 0; i < c->n; i++) {
        p[i] = (roc_pt){c->score[i], c->label[i]};
        pos += c->label[i] == 1;
    }
    size_t neg = c->n - pos;
    qsort(p, c->n, sizeof *p, by_score_desc);
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"0,%d",
            c->colour, px);
    size_t tp = 0, fp = 0;
    for (size_t i = 0; i < c->n;) {
        size_t j = i;
        for (; j < c->n && p[j].s == p[i].s; j++) {
            tp += p[j].y == 1;
            fp += p[j].y != 1;
        }
        i = j;
        double x = neg ? (double)fp / (double)neg : 0.0, y = pos ? (double)tp / (double)pos : 0.0;
        cli_fprintf_c(f, " %.1f,%.1f", x * px, (1.0 - y) * px);
    }
    fputs("\"/>", f);
    free(p);
    return 0;
}

int cli_html_roc_svg(FILE *f, const char *title, const cli_roc *curves, int n_curves, int px) {
    const int pad = 4, head = 14;
    fprintf(f,
            "<svg width=\"%d\" height=\"%d\" "
            "role=\"img\"><title>",
            px + 2 * pad, px + 2 * pad + head);
    cli_html_text(f, title);
    fprintf(f, "</title><text x=\"%d\" y=\"11\" font-size=\"11\">", pad);
    cli_html_text(f, title);
    fprintf(f,
            "</text><g transform=\"translate(%d,%d)\"><rect width=\"%d\" height=\"%d\" "
            "fill=\"#fff\" stroke=\"#888\"/><line x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"0\" "
            "stroke=\"#bbb\" stroke-dasharray=\"3,3\"/>",
            pad, pad + head, px, px, px, px);
    int rc = 0;
    for (int k = 0; rc == 0 && k < n_curves; k++)
        rc = roc_polyline(f, &curves[k], px);
    fputs("</g></svg>", f);
    return rc;
}
