/* report_deid.c — rule-based de-identification of free-text EEG reports.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Covers the HIPAA Safe Harbor identifiers that occur in EEG reports: names (header fields,
 * titles, signatures, and every later use of a name learned from a header), record and
 * accession numbers, dates and times, phone numbers, street addresses, e-mail addresses and
 * ages over 89. Rules, not a model: each detector is a small hand parser tried at every word
 * start, longest tag wins. Recall is measured on the synthetic cohort (tests/clinical). */
#include "report_int.h"

#include <string.h>

void clefi_rbuf_put(clefi_rbuf *b, const char *s, size_t n) {
    if (b->err)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = 2 * b->cap + n + 64;
        char *p = clefi_realloc(b->ctx, b->p, cap);
        if (p == NULL) {
            b->err = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void clefi_rbuf_puts(clefi_rbuf *b, const char *s) { clefi_rbuf_put(b, s, strlen(s)); }

void clefi_rbuf_free(clefi_rbuf *b) {
    clefi_free(b->ctx, b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- character helpers (ASCII; UTF-8 continuation bytes count as letters) ---- */
static int is_alpha(unsigned char c) { return clefi_a_alpha(c) || c >= 0x80; }
static int is_digit(unsigned char c) { return clefi_a_digit(c); }
static int is_alnum(unsigned char c) { return is_alpha(c) || is_digit(c); }
static int is_upper(unsigned char c) { return clefi_a_upper(c); }

typedef struct scan {
    const unsigned char *t;
    size_t n;
} scan;

static size_t digits(const scan *s, size_t i, size_t *count) {
    size_t j = i;
    while (j < s->n && is_digit(s->t[j]))
        j++;
    *count = j - i;
    return j;
}

/* Case-insensitive prefix match of word w at i, ending at a word boundary. */
static size_t word_at(const scan *s, size_t i, const char *w) {
    size_t k = strlen(w);
    if (i + k > s->n)
        return 0;
    for (size_t j = 0; j < k; j++)
        if (!clefi_ncase_eq((const char *)s->t + i + j, w + j, 1))
            return 0;
    if (i + k < s->n && is_alnum(s->t[i + k]) && is_alnum((unsigned char)w[k - 1]))
        return 0;
    return i + k;
}

static size_t skip_spaces(const scan *s, size_t i) {
    while (i < s->n && (s->t[i] == ' ' || s->t[i] == '\t'))
        i++;
    return i;
}

/* A capitalized word or an initial ("A." / "O'Neil" / "Smith-Jones"); end or 0. */
static size_t cap_word(const scan *s, size_t i) {
    if (i >= s->n || !is_upper(s->t[i]))
        return 0;
    size_t j = i + 1;
    while (j < s->n && (is_alpha(s->t[j]) || s->t[j] == '\'' || s->t[j] == '-'))
        j++;
    if (j == i + 1 && j < s->n && s->t[j] == '.')
        j++; /* initial */
    return j;
}

/* ---- detectors: each returns the end of its match at i (0: none) and its tag ---- */

static const char *const k_months[] = {
    "january",   "february", "march",    "april",    "may",  "june", "july", "august",
    "september", "october",  "november", "december", "jan",  "feb",  "mar",  "apr",
    "jun",       "jul",      "aug",      "sep",      "sept", "oct",  "nov",  "dec"};

static size_t month_at(const scan *s, size_t i) {
    for (size_t m = 0; m < sizeof k_months / sizeof *k_months; m++) {
        size_t e = word_at(s, i, k_months[m]);
        if (e != 0) {
            if (e < s->n && s->t[e] == '.')
                e++;
            return e;
        }
    }
    return 0;
}

/* Optional " HH:MM[:SS]" or "THH:MM:SSZ" after a date. */
static size_t time_after(const scan *s, size_t e) {
    size_t j = e < s->n && (s->t[e] == 'T' || s->t[e] == ' ') ? e + 1 : e, c, k;
    k = digits(s, j, &c);
    if (c < 1 || c > 2 || k >= s->n || s->t[k] != ':')
        return e;
    k = digits(s, k + 1, &c);
    if (c != 2)
        return e;
    if (k < s->n && s->t[k] == ':') {
        size_t k2 = digits(s, k + 1, &c);
        if (c == 2)
            k = k2;
    }
    if (k < s->n && s->t[k] == 'Z')
        k++;
    return k;
}

static size_t date_at(const scan *s, size_t i) {
    size_t c1, c2, c3, j, k;
    if (is_digit(s->t[i])) {
        j = digits(s, i, &c1);
        /* 2024-03-01, 03/01/2024, 3.1.24 (same separator twice) */
        if (j < s->n && (s->t[j] == '-' || s->t[j] == '/' || s->t[j] == '.')) {
            unsigned char sep = s->t[j];
            k = digits(s, j + 1, &c2);
            if (c2 >= 1 && c2 <= 2 && k < s->n && s->t[k] == sep) {
                size_t e = digits(s, k + 1, &c3);
                if ((c1 == 4 && c3 >= 1 && c3 <= 2) ||
                    (c1 <= 2 && (c3 == 2 || c3 == 4) && (e >= s->n || !is_digit(s->t[e]))))
                    return time_after(s, e);
            }
        }
        /* 3 March 2024 */
        if (c1 <= 2) {
            size_t m = month_at(s, skip_spaces(s, j));
            if (m != 0 && skip_spaces(s, j) > j) {
                size_t y = skip_spaces(s, m);
                size_t e = digits(s, y, &c3);
                return c3 == 4 ? e : m;
            }
        }
        /* a bare time 09:30 */
        if (c1 <= 2 && j < s->n && s->t[j] == ':') {
            k = digits(s, j + 1, &c2);
            if (c2 == 2)
                return k;
        }
        return 0;
    }
    size_t m = month_at(s, i);
    if (m == 0)
        return 0;
    /* March 3, 2024 / March 2024 / March 3rd */
    j = skip_spaces(s, m);
    if (j == m)
        return 0;
    k = digits(s, j, &c1);
    if (c1 == 0 || c1 > 4)
        return 0;
    if (c1 == 4)
        return k;
    if (k + 1 < s->n &&
        (word_at(s, k, "st") || word_at(s, k, "nd") || word_at(s, k, "rd") || word_at(s, k, "th")))
        k += 2;
    size_t y = k < s->n && s->t[k] == ',' ? k + 1 : k;
    y = skip_spaces(s, y);
    size_t e = digits(s, y, &c3);
    return c3 == 4 ? e : k;
}

/* (555) 123-4567, 555-123-4567, 555.123.4567, +1 555 123 4567, 123-4567 */
static size_t phone_at(const scan *s, size_t i) {
    size_t j = i, nd = 0, groups = 0, lastg = 0;
    if (s->t[j] == '+')
        j++;
    while (j < s->n) {
        unsigned char c = s->t[j];
        if (is_digit(c)) {
            size_t c1;
            j = digits(s, j, &c1);
            nd += c1;
            groups++;
            lastg = c1;
            if (nd > 11)
                return 0;
            continue;
        }
        if ((c == '(' || c == ')' || c == '-' || c == '.' || c == ' ') && j + 1 < s->n &&
            (is_digit(s->t[j + 1]) || s->t[j + 1] == '(' || s->t[j + 1] == ' ')) {
            if (c == ' ' && groups > 0 && lastg < 3)
                break;
            j++;
            continue;
        }
        if (c == ')') {
            j++;
            continue;
        }
        break;
    }
    while (j > i && !is_digit(s->t[j - 1]))
        j--;
    if (j < s->n && is_alnum(s->t[j]))
        return 0;
    if ((nd == 10 || nd == 11) && groups >= 2 && lastg == 4)
        return j;
    if (nd == 7 && groups == 2 && lastg == 4 && s->t[i + 3] == '-')
        return j;
    return 0;
}

/* A token of at least 6 digits, possibly with letters (MRN12345678, 00123456), or any token
 * with a digit after an identifier word ("MRN 4521", "record #A17"). */
static size_t id_at(const scan *s, size_t i) {
    static const char *const k_lead[] = {"mrn", "mr#", "record", "accession", "acc#", "ssn"};
    for (size_t k = 0; k < sizeof k_lead / sizeof *k_lead; k++) {
        size_t e = word_at(s, i, k_lead[k]);
        if (e == 0)
            continue;
        /* "MRN: 4521", "record #A17", "MRN.4521"; a period before a space ends the sentence
         * ("... parts of the record. 60 Hz line artifact ..." is no identifier) */
        while (e < s->n && (s->t[e] == ' ' || s->t[e] == ':' || s->t[e] == '#' ||
                            (s->t[e] == '.' && (e + 1 == s->n || !clefi_a_space(s->t[e + 1])))))
            e++;
        size_t f = e, nd = 0;
        while (f < s->n && (is_alnum(s->t[f]) || s->t[f] == '-')) {
            nd += is_digit(s->t[f]);
            f++;
        }
        if (nd > 0)
            return f;
    }
    size_t j = i, nd = 0;
    while (j < s->n && (is_alnum(s->t[j]) || s->t[j] == '-' || s->t[j] == '_')) {
        nd += is_digit(s->t[j]);
        j++;
    }
    while (j > i && (s->t[j - 1] == '-' || s->t[j - 1] == '_'))
        j--;
    return nd >= 6 ? j : 0;
}

static size_t age_over_89_at(const scan *s, size_t i) {
    size_t j = i, c;
    int pre = 0;
    size_t w = word_at(s, i, "aged");
    if (w == 0)
        w = word_at(s, i, "age");
    if (w != 0) {
        pre = 1;
        j = skip_spaces(s, w);
        if (j < s->n && s->t[j] == ':')
            j = skip_spaces(s, j + 1);
    }
    size_t e = digits(s, j, &c);
    if (c < 2 || c > 3)
        return 0;
    int v = 0;
    for (size_t k = j; k < e; k++)
        v = 10 * v + (s->t[k] - '0');
    if (v < 90)
        return 0;
    if (pre)
        return e;
    static const char *const k_suffix[] = {"-year-old",  " year-old", " year old", " years old",
                                           "-years-old", " years",    " yrs",      " yo",
                                           " y/o",       "-yo",       "yo",        " y.o."};
    for (size_t k = 0; k < sizeof k_suffix / sizeof *k_suffix; k++) {
        size_t n = strlen(k_suffix[k]);
        if (e + n <= s->n && clefi_ncase_eq((const char *)s->t + e, k_suffix[k], n) &&
            (e + n == s->n || !is_alpha(s->t[e + n])))
            return e + n;
    }
    return 0;
}

static const char *const k_street[] = {"street",    "st",   "avenue",  "ave",   "road",   "rd",
                                       "boulevard", "blvd", "lane",    "ln",    "drive",  "dr",
                                       "court",     "ct",   "way",     "place", "pl",     "terrace",
                                       "highway",   "hwy",  "parkway", "pkwy",  "circle", "square"};

/* 12 Elm Street[, Apt 4][, Springfield][, IL 62704] */
static size_t address_at(const scan *s, size_t i) {
    size_t c, j = digits(s, i, &c);
    if (c == 0 || c > 6 || j >= s->n || s->t[j] != ' ')
        return 0;
    j++;
    for (int words = 0; words < 4; words++) {
        size_t e = cap_word(s, j);
        if (e == 0)
            return 0;
        for (size_t k = 0; k < sizeof k_street / sizeof *k_street; k++) {
            size_t f = word_at(s, j, k_street[k]);
            if (f != 0 && words > 0) {
                if (f < s->n && s->t[f] == '.')
                    f++;
                /* trailing unit, city, state and ZIP */
                for (int more = 0; more < 3; more++) {
                    size_t g = f < s->n && s->t[f] == ',' ? skip_spaces(s, f + 1) : 0;
                    if (g == 0)
                        break;
                    size_t h = word_at(s, g, "apt");
                    if (h == 0)
                        h = word_at(s, g, "suite");
                    if (h != 0) {
                        h = skip_spaces(s, h + (h < s->n && s->t[h] == '.'));
                        size_t d = digits(s, h, &c);
                        if (c == 0)
                            break;
                        f = d;
                        continue;
                    }
                    h = cap_word(s, g);
                    if (h == 0)
                        break;
                    while (h != 0 && h < s->n && s->t[h] == ' ' && cap_word(s, h + 1) != 0)
                        h = cap_word(s, h + 1);
                    size_t z = skip_spaces(s, h);
                    size_t ze = digits(s, z, &c);
                    f = c == 5 ? ze : h;
                }
                return f;
            }
        }
        if (e >= s->n || s->t[e] != ' ')
            return 0;
        j = e + 1;
    }
    return 0;
}

static size_t email_at(const scan *s, size_t i) {
    size_t j = i;
    while (j < s->n && (is_alnum(s->t[j]) || strchr("._%+-", s->t[j]) != NULL))
        j++;
    if (j == i || j >= s->n || s->t[j] != '@')
        return 0;
    size_t k = j + 1, dots = 0;
    while (k < s->n && (is_alnum(s->t[k]) || s->t[k] == '.' || s->t[k] == '-'))
        dots += s->t[k++] == '.';
    while (k > j + 1 && s->t[k - 1] == '.')
        k--, dots--;
    return dots > 0 ? k : 0;
}

/* Dr. A. Reyes / Mrs. Smith: a title and 1-3 capitalized words or initials. */
static size_t titled_name_at(const scan *s, size_t i) {
    static const char *const k_title[] = {"dr", "mr", "mrs", "ms", "miss", "prof", "doctor"};
    for (size_t k = 0; k < sizeof k_title / sizeof *k_title; k++) {
        size_t e = word_at(s, i, k_title[k]);
        if (e == 0 || !is_upper(s->t[i]))
            continue;
        if (e < s->n && s->t[e] == '.')
            e++;
        size_t j = skip_spaces(s, e), end = 0;
        for (int w = 0; w < 3 && j > e; w++) {
            size_t f = cap_word(s, j);
            if (f == 0)
                break;
            end = f;
            if (f >= s->n || s->t[f] != ' ')
                break;
            j = f + 1;
        }
        if (end != 0)
            return end;
    }
    return 0;
}

/* Header fields whose whole value is PHI: "Label: value" at a line start. */
typedef struct field {
    const char *label, *tag;
} field;
static const field k_fields[] = {{"patient name", "[NAME]"},
                                 {"patient", "[NAME]"},
                                 {"name", "[NAME]"},
                                 {"mrn", "[ID]"},
                                 {"medical record number", "[ID]"},
                                 {"accession", "[ID]"},
                                 {"study", "[ID]"},
                                 {"ssn", "[ID]"},
                                 {"dob", "[DATE]"},
                                 {"date of birth", "[DATE]"},
                                 {"date of study", "[DATE]"},
                                 {"date", "[DATE]"},
                                 {"referring", "[NAME]"},
                                 {"physician", "[NAME]"},
                                 {"interpreting physician", "[NAME]"},
                                 {"technologist", "[NAME]"},
                                 {"address", "[ADDRESS]"},
                                 {"phone", "[PHONE]"},
                                 {"tel", "[PHONE]"},
                                 {"email", "[EMAIL]"}};

static const field *field_at(const scan *s, size_t i, size_t *value) {
    for (size_t k = 0; k < sizeof k_fields / sizeof *k_fields; k++) {
        size_t e = word_at(s, i, k_fields[k].label);
        if (e != 0) {
            e = skip_spaces(s, e);
            if (e < s->n && s->t[e] == ':') {
                *value = e + 1;
                return &k_fields[k];
            }
        }
    }
    return NULL;
}

/* Names learned from name fields (words of 2+ letters), redacted wherever they recur. */
#define MAX_LEARNED 16
typedef struct learned {
    size_t at[MAX_LEARNED], len[MAX_LEARNED];
    size_t n;
} learned;

static void learn_names(const scan *s, learned *L) {
    size_t i = 0;
    while (i < s->n) {
        size_t v;
        const field *f = field_at(s, skip_spaces(s, i), &v);
        size_t eol = i;
        while (eol < s->n && s->t[eol] != '\n')
            eol++;
        if (f != NULL && strcmp(f->tag, "[NAME]") == 0) {
            for (size_t j = v; j < eol && L->n < MAX_LEARNED;) {
                while (j < eol && !is_alpha(s->t[j]))
                    j++;
                size_t k = j;
                while (k < eol && (is_alpha(s->t[k]) || s->t[k] == '\'' || s->t[k] == '-'))
                    k++;
                if (k - j >= 2 && is_upper(s->t[j]) && !word_at(s, j, "dr") &&
                    !word_at(s, j, "md")) {
                    L->at[L->n] = j;
                    L->len[L->n++] = k - j;
                }
                j = k;
            }
        }
        i = eol + 1;
    }
}

static size_t learned_at(const scan *s, const learned *L, size_t i) {
    for (size_t k = 0; k < L->n; k++) {
        size_t n = L->len[k];
        if (i + n <= s->n && memcmp(s->t + i, s->t + L->at[k], n) == 0 &&
            (i + n == s->n || !is_alnum(s->t[i + n])))
            return i + n;
    }
    return 0;
}

/* "Firstname Lastname, MD" (a signature without a title). */
static size_t signature_at(const scan *s, size_t i) {
    size_t e = cap_word(s, i);
    for (int w = 0; w < 3 && e != 0; w++) {
        if (e + 4 <= s->n && s->t[e] == ',' &&
            (word_at(s, skip_spaces(s, e + 1), "md") || word_at(s, skip_spaces(s, e + 1), "do") ||
             word_at(s, skip_spaces(s, e + 1), "phd") || word_at(s, skip_spaces(s, e + 1), "rn")))
            return w > 0 ? e : 0;
        if (e >= s->n || s->t[e] != ' ')
            return 0;
        e = cap_word(s, e + 1);
    }
    return 0;
}

static size_t tag_at(const scan *s, size_t i) {
    static const char *const k_tags[] = {"[NAME]",    "[ID]",    "[DATE]",   "[PHONE]",
                                         "[ADDRESS]", "[EMAIL]", "[AGE 90+]"};
    for (size_t k = 0; k < sizeof k_tags / sizeof *k_tags; k++) {
        size_t n = strlen(k_tags[k]);
        if (i + n <= s->n && memcmp(s->t + i, k_tags[k], n) == 0)
            return i + n;
    }
    return 0;
}

void clefi_report_deid(clefi_rbuf *b, const char *text, size_t len) {
    scan s = {(const unsigned char *)text, len};
    learned L = {{0}, {0}, 0};
    learn_names(&s, &L);
    clefi_rbuf_put(b, "", 0);
    size_t i = 0, copied = 0;
    int line_start = 1;
    while (i < len) {
        unsigned char c = s.t[i];
        if (c == '\n') {
            line_start = 1;
            i++;
            continue;
        }
        if (line_start && (c == ' ' || c == '\t')) {
            i++;
            continue;
        }
        int word_start = i == 0 || !is_alnum(s.t[i - 1]);
        size_t end = 0, v;
        const char *tag = NULL;
        const field *f = line_start ? field_at(&s, i, &v) : NULL;
        line_start = 0;
        if (f != NULL) {
            size_t eol = v;
            while (eol < len && s.t[eol] != '\n')
                eol++;
            if (skip_spaces(&s, v) < eol) {
                clefi_rbuf_put(b, text + copied, v - copied);
                clefi_rbuf_puts(b, " ");
                clefi_rbuf_puts(b, f->tag);
                i = copied = eol;
            } else {
                i = v;
            }
            continue;
        }
        if (c == '[' && (end = tag_at(&s, i)) != 0) {
            i = end; /* already de-identified: a summary passes through again */
            continue;
        }
        if (word_start) {
            if ((end = email_at(&s, i)) != 0)
                tag = "[EMAIL]";
            else if ((end = titled_name_at(&s, i)) != 0 || (end = learned_at(&s, &L, i)) != 0 ||
                     (end = signature_at(&s, i)) != 0)
                tag = "[NAME]";
            else if ((end = age_over_89_at(&s, i)) != 0)
                tag = "[AGE 90+]";
            else if ((end = date_at(&s, i)) != 0)
                tag = "[DATE]";
            else if ((end = address_at(&s, i)) != 0)
                tag = "[ADDRESS]";
            else if ((c == '(' || c == '+' || is_digit(c)) && (end = phone_at(&s, i)) != 0)
                tag = "[PHONE]";
            else if ((end = id_at(&s, i)) != 0)
                tag = "[ID]";
        }
        if (tag != NULL) {
            clefi_rbuf_put(b, text + copied, i - copied);
            clefi_rbuf_puts(b, tag);
            i = copied = end;
            continue;
        }
        /* skip the rest of a word so detectors only start at word starts */
        i++;
        while (i < len && is_alnum(s.t[i]) && is_alnum(s.t[i - 1]))
            i++;
    }
    clefi_rbuf_put(b, text + copied, len - copied);
}
