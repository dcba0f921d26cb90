/* cohort_paths.c — the recordings of a split of a cohort directory (manifest.csv and
 * splits.csv through lib/core's CSV reader; docs/COHORT-FORMAT.md), for the trainers' add_cohort
 * calls. SPDX-License-Identifier: BSD-3-Clause */
#include "model_int.h"

#include <stdio.h>
#include <string.h>

clef_status clefi_path_list_add(clef_ctx *ctx, clefi_path_list *l, const char *s) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **p = clefi_realloc_array(ctx, l->s, cap, sizeof *p);
        if (p == NULL)
            return CLEF_ERR_NOMEM;
        l->s = p;
        l->cap = cap;
    }
    return (l->s[l->n] = clefi_strdup(ctx, s)) != NULL ? (l->n++, CLEF_OK) : CLEF_ERR_NOMEM;
}

void clefi_path_list_free(clef_ctx *ctx, clefi_path_list *l) {
    for (size_t i = 0; i < l->n; i++)
        clefi_free(ctx, l->s[i]);
    clefi_free(ctx, l->s);
    memset(l, 0, sizeof *l);
}

/* ---- cohort directory: manifest.csv and splits.csv through lib/core's CSV reader ---- */

typedef struct cohort_rows {
    clef_ctx *ctx;
    clefi_err *err;
    const char *dir, *split;
    clefi_path_list subjects, *paths; /* paths: dir/manifest path */
} cohort_rows;

typedef clef_status (*row_fn)(char **vals, cohort_rows *r);

/* Rows of dir/name: cb(the fields of columns cols[0..2]) for each. */
static clef_status read_csv(cohort_rows *r, const char *name, const char *const cols[2],
                            row_fn cb) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    char *text = NULL;
    size_t len = 0;
    clefi_err why;
    clef_status rc = clefi_read_file(r->ctx, path, &text, &len, &why);
    if (rc != CLEF_OK)
        return clefi_error(r->ctx, r->err, rc == CLEF_ERR_NOMEM ? rc : CLEF_ERR_IO,
                           "cohort '%s': cannot read %s (is this a cohort directory?)", r->dir,
                           name);
    clefi_csv *csv = NULL;
    size_t idx[2];
    int has = 0;
    rc = clefi_csv_open(&csv, r->ctx, text, len, name, r->err);
    if (rc == CLEF_OK)
        rc = clefi_csv_header(csv, cols, NULL, 2, idx, r->err);
    while (rc == CLEF_OK && (rc = clefi_csv_next(csv, &has, r->err)) == CLEF_OK && has) {
        char *vals[2] = {(char *)clefi_csv_get(csv, idx[0]), (char *)clefi_csv_get(csv, idx[1])};
        if (clefi_csv_nfields(csv) <= idx[0] || clefi_csv_nfields(csv) <= idx[1])
            rc = clefi_error(r->ctx, r->err, CLEF_ERR_FORMAT,
                             "cohort '%s': %s line %lld has %zu fields", r->dir, name,
                             (long long)clefi_csv_line(csv), clefi_csv_nfields(csv));
        else
            rc = cb(vals, r);
    }
    if (rc != CLEF_OK && rc != CLEF_ERR_NOMEM && strncmp(r->err->msg, "cohort", 6) != 0)
        clefi_error(r->ctx, r->err, rc, "cohort '%s': %s", r->dir, r->err->msg);
    clefi_csv_free(csv);
    clefi_free(r->ctx, text);
    return rc;
}

static clef_status nomem(cohort_rows *r, const char *what) {
    return clefi_error(r->ctx, r->err, CLEF_ERR_NOMEM, "cohort '%s': no memory (%s)", r->dir, what);
}

static clef_status split_row(char **v, cohort_rows *r) {
    if (strcmp(v[1], r->split) == 0 && clefi_path_list_add(r->ctx, &r->subjects, v[0]) != CLEF_OK)
        return nomem(r, "splits.csv");
    return CLEF_OK;
}

static clef_status manifest_row(char **v, cohort_rows *r) {
    for (size_t i = 0; i < r->subjects.n; i++)
        if (strcmp(r->subjects.s[i], v[0]) == 0) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", r->dir, v[1]);
            return clefi_path_list_add(r->ctx, r->paths, path) != CLEF_OK ? nomem(r, "manifest.csv")
                                                                          : CLEF_OK;
        }
    return CLEF_OK;
}

clef_status clefi_cohort_split_paths(clef_ctx *ctx, clefi_err *err, const char *dir,
                                     const char *split, clefi_path_list *paths) {
    static const char *const split_cols[2] = {"subject_id", "split"};
    static const char *const man_cols[2] = {"subject_id", "path"};
    cohort_rows rows = {.ctx = ctx, .err = err, .dir = dir, .split = split, .paths = paths};
    clef_status rc = read_csv(&rows, "splits.csv", split_cols, split_row);
    if (rc == CLEF_OK)
        rc = read_csv(&rows, "manifest.csv", man_cols, manifest_row);
    clefi_path_list_free(ctx, &rows.subjects);
    return rc;
}
