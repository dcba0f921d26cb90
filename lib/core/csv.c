/* csv.c — RFC 4180 CSV reader over a memory buffer. SPDX-License-Identifier: BSD-3-Clause
 *
 * Records end at LF or CRLF; fields are separated by commas; a field may be quoted with '"',
 * inside which commas, line breaks and doubled quotes ("") are literal. Beyond RFC 4180 a lone
 * CR is not a line end (it is data) and blank lines are skipped. Errors name the file, the
 * line and the column (1-based, in bytes) of the offending character. */
#include "core_int.h"

#include <string.h>

struct clefi_csv {
    clef_ctx *ctx;
    const char *data;
    size_t n, pos;
    int64_t line; /* line of pos */
    size_t col0;  /* offset of the first byte of the current line */
    int64_t rec_line;
    char *buf; /* fields of the current record, each NUL-terminated */
    size_t buf_len, buf_cap;
    size_t *starts; /* offset of each field in buf */
    size_t nfields, fields_cap;
    size_t header_width;
    char name[64];
};

clef_status clefi_csv_open(clefi_csv **out, clef_ctx *ctx, const char *data, size_t n,
                           const char *name, clefi_err *err) {
    *out = NULL;
    clefi_csv *r = clefi_calloc(ctx, 1, sizeof *r);
    if (r == NULL)
        return clefi_error(ctx, err, CLEF_ERR_NOMEM, "cannot allocate a CSV reader");
    r->ctx = ctx;
    r->data = data;
    r->n = n;
    r->line = 1;
    if (n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        r->pos = r->col0 = 3;
    size_t len = strlen(name);
    if (len >= sizeof r->name)
        len = sizeof r->name - 1;
    memcpy(r->name, name, len);
    *out = r;
    return CLEF_OK;
}

void clefi_csv_free(clefi_csv *r) {
    if (r == NULL)
        return;
    clefi_free(r->ctx, r->buf);
    clefi_free(r->ctx, r->starts);
    clefi_free(r->ctx, r);
}

static clef_status put_byte(clefi_csv *r, char c, clefi_err *err) {
    if (r->buf_len == r->buf_cap) {
        size_t cap = r->buf_cap ? r->buf_cap * 2 : 256;
        char *nb = cap > r->buf_cap ? clefi_realloc(r->ctx, r->buf, cap) : NULL;
        if (nb == NULL)
            return clefi_error(r->ctx, err, CLEF_ERR_NOMEM, "%s: cannot grow the CSV buffer",
                               r->name);
        r->buf = nb;
        r->buf_cap = cap;
    }
    r->buf[r->buf_len++] = c;
    return CLEF_OK;
}

static clef_status start_field(clefi_csv *r, clefi_err *err) {
    if (r->nfields == r->fields_cap) {
        size_t cap = r->fields_cap ? r->fields_cap * 2 : 16;
        size_t *ns = clefi_realloc_array(r->ctx, r->starts, cap, sizeof *ns);
        if (ns == NULL)
            return clefi_error(r->ctx, err, CLEF_ERR_NOMEM, "%s: cannot grow the field list",
                               r->name);
        r->starts = ns;
        r->fields_cap = cap;
    }
    r->starts[r->nfields++] = r->buf_len;
    return CLEF_OK;
}

static clef_status syntax(clefi_csv *r, clefi_err *err, const char *what) {
    return clefi_error(r->ctx, err, CLEF_ERR_FORMAT, "%s line %lld, column %zu: %s", r->name,
                       (long long)r->line, r->pos - r->col0 + 1, what);
}

static void newline(clefi_csv *r) {
    r->line++;
    r->col0 = r->pos;
}

/* Read one field at pos; stops on the separator or record end (not consumed). */
static clef_status read_field(clefi_csv *r, clefi_err *err) {
    clef_status rc = start_field(r, err);
    if (rc != CLEF_OK)
        return rc;
    if (r->pos < r->n && r->data[r->pos] == '"') {
        int64_t open_line = r->line;
        size_t open_col = r->pos - r->col0 + 1;
        r->pos++;
        for (;;) {
            if (r->pos >= r->n)
                return clefi_error(r->ctx, err, CLEF_ERR_FORMAT,
                                   "%s line %lld, column %zu: quoted field not closed before the "
                                   "end of the file",
                                   r->name, (long long)open_line, open_col);
            char c = r->data[r->pos];
            if (c == '"') {
                if (r->pos + 1 < r->n && r->data[r->pos + 1] == '"') {
                    r->pos += 2;
                    rc = put_byte(r, '"', err);
                } else {
                    r->pos++;
                    break;
                }
            } else {
                if (c == '\0')
                    return syntax(r, err, "NUL byte in a field");
                r->pos++;
                rc = put_byte(r, c, err);
                if (c == '\n')
                    newline(r);
            }
            if (rc != CLEF_OK)
                return rc;
        }
        if (r->pos < r->n) {
            char c = r->data[r->pos];
            int crlf = c == '\r' && r->pos + 1 < r->n && r->data[r->pos + 1] == '\n';
            if (c != ',' && c != '\n' && !crlf)
                return syntax(r, err, "character after the closing quote of a field");
        }
    } else {
        while (r->pos < r->n) {
            char c = r->data[r->pos];
            if (c == ',' || c == '\n' ||
                (c == '\r' && r->pos + 1 < r->n && r->data[r->pos + 1] == '\n'))
                break;
            if (c == '"')
                return syntax(r, err, "quote inside an unquoted field");
            if (c == '\0')
                return syntax(r, err, "NUL byte in a field");
            rc = put_byte(r, c, err);
            if (rc != CLEF_OK)
                return rc;
            r->pos++;
        }
    }
    return put_byte(r, '\0', err);
}

clef_status clefi_csv_next(clefi_csv *r, int *has_row, clefi_err *err) {
    *has_row = 0;
    r->buf_len = 0;
    r->nfields = 0;
    /* skip blank lines */
    for (;;) {
        if (r->pos >= r->n)
            return CLEF_OK;
        if (r->data[r->pos] == '\n') {
            r->pos++;
            newline(r);
        } else if (r->data[r->pos] == '\r' && r->pos + 1 < r->n && r->data[r->pos + 1] == '\n') {
            r->pos += 2;
            newline(r);
        } else {
            break;
        }
    }
    r->rec_line = r->line;
    for (;;) {
        clef_status rc = read_field(r, err);
        if (rc != CLEF_OK)
            return rc;
        if (r->pos >= r->n)
            break;
        char c = r->data[r->pos];
        if (c == ',') {
            r->pos++;
            continue;
        }
        r->pos += c == '\r' ? 2 : 1;
        newline(r);
        break;
    }
    *has_row = 1;
    return CLEF_OK;
}

size_t clefi_csv_nfields(const clefi_csv *r) { return r->nfields; }

const char *clefi_csv_field(const clefi_csv *r, size_t i) {
    return i < r->nfields ? r->buf + r->starts[i] : "";
}

const char *clefi_csv_get(const clefi_csv *r, size_t idx) {
    return idx == SIZE_MAX ? "" : clefi_csv_field(r, idx);
}

int64_t clefi_csv_line(const clefi_csv *r) { return r->rec_line; }

const char *clefi_csv_name(const clefi_csv *r) { return r->name; }

clef_status clefi_csv_header(clefi_csv *r, const char *const *names, const int *optional, size_t n,
                             size_t *idx, clefi_err *err) {
    int has_row;
    clef_status rc = clefi_csv_next(r, &has_row, err);
    if (rc != CLEF_OK)
        return rc;
    if (!has_row)
        return clefi_error(r->ctx, err, CLEF_ERR_FORMAT, "%s: empty file, no header row", r->name);
    r->header_width = r->nfields;
    for (size_t i = 0; i < n; i++) {
        idx[i] = SIZE_MAX;
        for (size_t j = 0; j < r->nfields; j++) {
            if (strcmp(clefi_csv_field(r, j), names[i]) == 0) {
                if (idx[i] != SIZE_MAX)
                    return clefi_error(r->ctx, err, CLEF_ERR_FORMAT,
                                       "%s line %lld: column '%s' appears twice", r->name,
                                       (long long)r->rec_line, names[i]);
                idx[i] = j;
            }
        }
        if (idx[i] == SIZE_MAX && (optional == NULL || !optional[i]))
            return clefi_error(r->ctx, err, CLEF_ERR_FORMAT,
                               "%s line %lld: header has no column '%s'", r->name,
                               (long long)r->rec_line, names[i]);
    }
    return CLEF_OK;
}

clef_status clefi_csv_check_width(const clefi_csv *r, clefi_err *err) {
    if (r->nfields != r->header_width)
        return clefi_error(r->ctx, err, CLEF_ERR_FORMAT,
                           "%s line %lld: %zu fields, the header has %zu", r->name,
                           (long long)r->rec_line, r->nfields, r->header_width);
    return CLEF_OK;
}
