/* text_wordpiece.c — the BERT uncased tokenizer of the text tower: vocab.txt, text cleanup and
 * normalization, pre-tokenization and greedy longest-match-first WordPiece, as Hugging Face's
 * BertTokenizerFast (BertNormalizer lowercase + strip_accents, BertPreTokenizer, WordPiece with
 * "##" continuations, max_input_chars_per_word 100). SPDX-License-Identifier: BSD-3-Clause
 *
 * Unicode properties come from text_unicode_tab.h, generated from Python's unicodedata
 * (tools/gen_unicode): category C* is removed, White_Space becomes a separator, category P*
 * and ASCII symbols are split off, CJK ideographs are split into single characters, and each
 * code point is folded as lower-case, NFD, combining marks (Mn) removed. The fold is per code
 * point: the context-dependent final sigma (Σ at the end of a word lower-cases to ς in Python
 * and Rust, σ here) is the one known difference (docs/text-tower.md). */
#include "clef.h"
#include "text_int.h"
#include "text_unicode_tab.h"

#include <string.h>

/* ---- vocabulary ---- */

static uint64_t fnv1a(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

int32_t clefi_vocab_find(const clefi_vocab *v, const char *s, size_t len) {
    size_t mask = v->n_slots - 1;
    for (size_t i = fnv1a(s, len) & mask;; i = (i + 1) & mask) {
        int32_t id = v->slot[i];
        if (id < 0)
            return -1;
        const char *t = v->tok[id];
        if (strncmp(t, s, len) == 0 && t[len] == '\0')
            return id;
    }
}

void clefi_vocab_free(clefi_vocab *v, clef_ctx *ctx) {
    clefi_free(ctx, v->text);
    clefi_free(ctx, v->tok);
    clefi_free(ctx, v->slot);
    memset(v, 0, sizeof *v);
}

static int32_t vocab_special(clefi_vocab *v, clef_ctx *ctx, clefi_err *err, const char *name,
                             clef_status *rc) {
    int32_t id = clefi_vocab_find(v, name, strlen(name));
    if (id < 0 && *rc == CLEF_OK)
        *rc = clefi_error(ctx, err, CLEF_ERR_FORMAT, "vocab: no %s token", name);
    return id;
}

clef_status clefi_vocab_parse(clefi_vocab *v, clef_ctx *ctx, const char *data, size_t n,
                              clefi_err *err) {
    memset(v, 0, sizeof *v);
    if (n == 0 || n > (size_t)INT32_MAX)
        return clefi_error(ctx, err, CLEF_ERR_FORMAT, "vocab: empty or over 2 GiB");
    v->text = clefi_malloc(ctx, n + 1);
    if (v->text == NULL)
        return clefi_error(ctx, err, CLEF_ERR_NOMEM, "vocab: out of memory");
    memcpy(v->text, data, n);
    v->text[n] = '\0';
    size_t lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += v->text[i] == '\n';
    lines += v->text[n - 1] != '\n'; /* a last line without its newline */
    v->n_slots = 16;
    while (v->n_slots < 2 * lines)
        v->n_slots *= 2;
    v->tok = clefi_calloc(ctx, lines, sizeof *v->tok);
    v->slot = clefi_malloc(ctx, v->n_slots * sizeof *v->slot);
    if (v->tok == NULL || v->slot == NULL) {
        clefi_vocab_free(v, ctx);
        return clefi_error(ctx, err, CLEF_ERR_NOMEM, "vocab: out of memory");
    }
    memset(v->slot, 0xff, v->n_slots * sizeof *v->slot);
    char *p = v->text, *end = v->text + n;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl != NULL ? nl : end;
        *e = '\0';
        if (e > p && e[-1] == '\r')
            e[-1] = '\0';
        int32_t id = (int32_t)v->n++;
        v->tok[id] = p;
        /* a repeated token keeps its last line's id, as transformers' load_vocab */
        size_t len = strlen(p), mask = v->n_slots - 1;
        for (size_t i = fnv1a(p, len) & mask;; i = (i + 1) & mask) {
            if (v->slot[i] < 0 || strcmp(v->tok[v->slot[i]], p) == 0) {
                v->slot[i] = id;
                break;
            }
        }
        p = e + 1;
    }
    clef_status rc = CLEF_OK;
    v->unk = vocab_special(v, ctx, err, "[UNK]", &rc);
    v->cls = vocab_special(v, ctx, err, "[CLS]", &rc);
    v->sep = vocab_special(v, ctx, err, "[SEP]", &rc);
    if (rc != CLEF_OK)
        clefi_vocab_free(v, ctx);
    return rc;
}

/* ---- Unicode ---- */

static int in_ranges(const uint32_t (*r)[2], size_t n, uint32_t cp) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid][0])
            hi = mid;
        else if (cp > r[mid][1])
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}
#define IN_TABLE(t, cp) in_ranges(t, sizeof t / sizeof t[0], cp)

static int is_cjk(uint32_t cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

/* Next code point of s[*i..n); malformed or overlong sequences and surrogates read as U+FFFD,
 * consuming one byte. */
static uint32_t utf8_next(const unsigned char *s, size_t n, size_t *i) {
    uint32_t c = s[*i];
    size_t k = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 4;
    if (k == 0) {
        (*i)++;
        return c;
    }
    static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
    if (k == 4 || *i + k >= n) {
        (*i)++;
        return 0xFFFD;
    }
    uint32_t cp = c & (0x3Fu >> k);
    for (size_t j = 1; j <= k; j++) {
        if ((s[*i + j] & 0xC0) != 0x80) {
            (*i)++;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[*i + j] & 0x3F);
    }
    if (cp < min[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        (*i)++;
        return 0xFFFD;
    }
    *i += k + 1;
    return cp;
}

static size_t utf8_put(char *o, uint32_t cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Fold cp (lower-case, NFD, marks removed) into out[0..3]; returns the count (0: dropped).
 * Hangul syllables decompose algorithmically (Unicode 3.12) into their jamo. */
static int fold(uint32_t cp, uint32_t out[3]) {
    if (cp >= 0xAC00 && cp <= 0xD7A3) {
        uint32_t s = cp - 0xAC00, t = s % 28;
        out[0] = 0x1100 + s / 588;
        out[1] = 0x1161 + (s % 588) / 28;
        out[2] = 0x11A7 + t;
        return t ? 3 : 2;
    }
    size_t lo = 0, hi = sizeof txu_fold / sizeof txu_fold[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < txu_fold[mid][0])
            hi = mid;
        else if (cp > txu_fold[mid][0])
            lo = mid + 1;
        else {
            int k = (int)txu_fold[mid][2];
            k = k > 3 ? 3 : k; /* no fold in Unicode 14 is longer than 3 */
            for (int j = 0; j < k; j++)
                out[j] = txu_fold_pool[txu_fold[mid][1] + (uint32_t)j];
            return k;
        }
    }
    out[0] = cp;
    return 1;
}

/* ---- WordPiece ---- */

typedef struct wp_state {
    const clefi_vocab *v;
    int32_t *ids;
    int32_t n, cap; /* cap: wordpieces allowed (the caller's cap less [CLS] and [SEP]) */
    char word[2 + 4 * (CLEFI_TEXT_MAX_WORD_CHARS + 1)]; /* "##" + up to 101 characters */
    size_t len;                                         /* bytes in word[2..] */
    int32_t n_chars; /* code points in the word; > 100 -> [UNK] */
} wp_state;

static void wp_emit(wp_state *st, int32_t id) {
    if (st->n < st->cap)
        st->ids[st->n++] = id;
}

/* The pending word as wordpieces: greedy longest match from the left, continuations looked up
 * with "##"; a word with an unmatched rest is one [UNK]. */
static void wp_flush(wp_state *st) {
    if (st->n_chars == 0)
        return;
    int32_t pieces[CLEFI_TEXT_MAX_WORD_CHARS], np = 0;
    char *w = st->word + 2; /* word[0..2) is room for "##" */
    size_t start = 0;
    int ok = st->n_chars <= CLEFI_TEXT_MAX_WORD_CHARS;
    while (ok && start < st->len) {
        int32_t id = -1;
        size_t end = st->len;
        for (; end > start; end--) {
            if (end < st->len && (w[end] & 0xC0) == 0x80)
                continue; /* not a character boundary */
            if (start == 0) {
                id = clefi_vocab_find(st->v, w, end);
            } else {
                char *cont = st->word + start; /* = w + start - 2, without size_t wrap */
                char save[2] = {cont[0], cont[1]};
                cont[0] = '#';
                cont[1] = '#';
                id = clefi_vocab_find(st->v, cont, end - start + 2);
                cont[0] = save[0];
                cont[1] = save[1];
            }
            if (id >= 0)
                break;
        }
        if (id < 0)
            ok = 0;
        else {
            pieces[np++] = id;
            start = end;
        }
    }
    if (!ok)
        wp_emit(st, st->v->unk);
    else
        for (int32_t j = 0; j < np; j++)
            wp_emit(st, pieces[j]);
    st->len = 0;
    st->n_chars = 0;
}

static void wp_push(wp_state *st, uint32_t cp) {
    if (st->n_chars < CLEFI_TEXT_MAX_WORD_CHARS + 1)
        st->len += utf8_put(st->word + 2 + st->len, cp);
    st->n_chars++;
}

int32_t clefi_wordpiece(const clefi_vocab *v, const char *text, size_t len, int32_t *ids,
                        int32_t cap) {
    if (cap < 2)
        return 0;
    wp_state st = {.v = v, .ids = ids + 1, .cap = cap - 2};
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len && st.n < st.cap;) {
        uint32_t cp = utf8_next(s, len, &i);
        if (cp == 0 || cp == 0xFFFD || IN_TABLE(txu_other, cp))
            continue;
        if (IN_TABLE(txu_space, cp)) {
            wp_flush(&st);
            continue;
        }
        if (is_cjk(cp)) {
            wp_flush(&st);
            wp_push(&st, cp);
            wp_flush(&st);
            continue;
        }
        uint32_t f[3];
        int nf = fold(cp, f);
        for (int j = 0; j < nf; j++) {
            if (IN_TABLE(txu_space, f[j]))
                wp_flush(&st);
            else if (IN_TABLE(txu_punct, f[j])) {
                wp_flush(&st);
                wp_push(&st, f[j]);
                wp_flush(&st);
            } else
                wp_push(&st, f[j]);
        }
    }
    wp_flush(&st);
    ids[0] = v->cls;
    ids[st.n + 1] = v->sep;
    return st.n + 2;
}
