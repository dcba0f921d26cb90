/* align_ehr.c — the EHR tower's tokens and vocabulary (docs/aligner.md "EHR tokens").
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * A session's record (clef_store_session_ehr()) becomes a set of tokens: AGE/<decade> (90+ is
 * AGE/9), SEX/<F|M|U>, RACE/<text>, and for each code the code itself and its parent in the
 * hierarchy (ICD-10: the three-character category, "ICD10CM/G40"; ATC: the level-3
 * pharmacological subgroup, "ATC/N03A"), so a code never seen in training still shares its
 * parent's embedding. */
#include "align_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void clefi_strs_free(clef_ctx *ctx, clefi_strs *l) {
    for (size_t i = 0; i < l->n; i++)
        clefi_free(ctx, l->s[i]);
    clefi_free(ctx, l->s);
    memset(l, 0, sizeof *l);
}

static clef_status push(clef_ctx *ctx, clefi_strs *l, const char *s, size_t len) {
    for (size_t i = 0; i < l->n; i++)
        if (strlen(l->s[i]) == len && memcmp(l->s[i], s, len) == 0)
            return CLEF_OK;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 32;
        char **p = clefi_realloc_array(ctx, l->s, cap, sizeof *p);
        if (p == NULL)
            return CLEF_ERR_NOMEM;
        l->s = p;
        l->cap = cap;
    }
    char *c = clefi_malloc(ctx, len + 1);
    if (c == NULL)
        return CLEF_ERR_NOMEM;
    memcpy(c, s, len);
    c[len] = '\0';
    l->s[l->n++] = c;
    return CLEF_OK;
}

static clef_status pushf(clef_ctx *ctx, clefi_strs *l, const char *prefix, const char *v,
                         size_t n) {
    char buf[160];
    int k = snprintf(buf, sizeof buf, "%s%.*s", prefix, (int)n, v);
    if (k < 0 || (size_t)k >= sizeof buf)
        return CLEF_OK; /* a fact longer than any real code: not a token */
    return push(ctx, l, buf, (size_t)k);
}

clef_status clefi_al_ehr_tokens(clef_ctx *ctx, const char *text, int32_t max_icd, int32_t max_atc,
                                clefi_strs *out) {
    int32_t n_icd = 0, n_atc = 0;
    clef_status rc = CLEF_OK;
    for (const char *p = text; rc == CLEF_OK && *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 4 && memcmp(p, "age ", 4) == 0) {
            double age = clefi_strtod(p + 4, NULL);
            int dec = age >= 0 && age < 1e4 ? (int)(age / 10.0) : 0;
            char d[12];
            snprintf(d, sizeof d, "%d", dec > 9 ? 9 : dec);
            rc = pushf(ctx, out, "AGE/", d, strlen(d));
        } else if (n > 4 && memcmp(p, "sex ", 4) == 0) {
            rc = pushf(ctx, out, "SEX/", p + 4, n - 4);
        } else if (n > 5 && memcmp(p, "race ", 5) == 0) {
            rc = pushf(ctx, out, "RACE/", p + 5, n - 5);
        } else if (n > 5 && memcmp(p, "ICD10", 5) == 0 && n_icd < max_icd) {
            const char *slash = memchr(p, '/', n);
            rc = push(ctx, out, p, n);
            if (rc == CLEF_OK && slash != NULL && (size_t)(slash - p) + 4 < n) {
                size_t cat = (size_t)(slash - p) + 4; /* "ICD10CM/" + 3 characters */
                rc = push(ctx, out, p, cat);
            }
            n_icd++;
        } else if (n > 4 && memcmp(p, "ATC/", 4) == 0 && n_atc < max_atc) {
            rc = push(ctx, out, p, n);
            if (rc == CLEF_OK && n > 8)
                rc = push(ctx, out, p, 8); /* "ATC/" + level 3, e.g. N03A */
            n_atc++;
        }
        p += e ? n + 1 : n;
    }
    return rc;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

clef_status clefi_al_vocab(clef_ctx *ctx, const clefi_strs *lists, size_t n, clefi_strs *vocab) {
    clefi_strs all = {0};
    clef_status rc = CLEF_OK;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += lists[i].n;
    if ((all.s = clefi_calloc(ctx, total ? total : 1, sizeof *all.s)) == NULL)
        return CLEF_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < lists[i].n; k++)
            all.s[all.n++] = lists[i].s[k]; /* borrowed */
    qsort(all.s, all.n, sizeof *all.s, cmp_str);
    memset(vocab, 0, sizeof *vocab);
    rc = push(ctx, vocab, CLEFI_AL_UNK, strlen(CLEFI_AL_UNK));
    for (size_t i = 0; rc == CLEF_OK && i < all.n; i++)
        if (i == 0 || strcmp(all.s[i], all.s[i - 1]) != 0) {
            /* distinct and sorted: append without push()'s linear duplicate scan */
            if (vocab->n == vocab->cap) {
                size_t cap = 2 * vocab->cap;
                char **p = clefi_realloc_array(ctx, vocab->s, cap, sizeof *p);
                if (p == NULL) {
                    rc = CLEF_ERR_NOMEM;
                    break;
                }
                vocab->s = p;
                vocab->cap = cap;
            }
            if ((vocab->s[vocab->n] = clefi_strdup(ctx, all.s[i])) == NULL)
                rc = CLEF_ERR_NOMEM;
            else
                vocab->n++;
        }
    clefi_free(ctx, all.s);
    if (rc != CLEF_OK)
        clefi_strs_free(ctx, vocab);
    return rc;
}

int32_t clefi_al_vocab_id(char *const *vocab, int32_t n, const char *tok) {
    int32_t lo = 1, hi = n - 1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(vocab[mid], tok);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return 0;
}
