/* align_api.c — the aligner's inference calls: sessions, reports, EHR records and prompts into
 * the shared space, and zero-shot scores (docs/aligner.md "Zero-shot").
 * SPDX-License-Identifier: BSD-3-Clause */
#include "align_int.h"
#include "clef.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

/* Blank out every case-insensitive occurrence of each comma-separated phrase of drop in t. */
static void drop_phrases(char *t, const char *drop) {
    for (const char *p = drop; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n > 0 && isspace((unsigned char)*p)) {
            p++;
            n--;
        }
        while (n > 0 && isspace((unsigned char)p[n - 1]))
            n--;
        for (char *q = t; n > 0 && *q; q++) {
            size_t k = 0;
            while (k < n && q[k] && tolower((unsigned char)q[k]) == tolower((unsigned char)p[k]))
                k++;
            if (k == n)
                memset(q, ' ', n);
        }
        p += e ? (size_t)(e - p) + 1 : strlen(p);
    }
}

/* End of the sentence starting at b: after a period followed by a space, or len. */
static size_t sentence_end(const char *t, size_t b, size_t len) {
    for (size_t e = b; e < len; e++)
        if (t[e] == '.' && (e + 1 == len || t[e + 1] == ' '))
            return e + 1;
    return len;
}

clef_status clefi_al_text_states(const clef_text_encoder *te, clef_session *s, const char *text,
                                 int summarize, const char *drop, int32_t max_text, int sentences,
                                 float **states, int32_t *n, int32_t **starts, int32_t *n_sent) {
    clef_ctx *ctx = s->ctx;
    *states = NULL;
    *n = 0;
    if (starts != NULL) {
        *starts = NULL;
        *n_sent = 0;
    }
    char *buf = NULL;
    clef_status rc = CLEF_OK;
    if (summarize) {
        int32_t st[64];
        size_t need = 0, len = strlen(text);
        rc = clef_report_summarize(ctx, text, len, NULL, NULL, NULL, 0, &need, st, 64);
        if (rc == CLEF_ERR_BUFFER_TOO_SMALL && (buf = clefi_malloc(ctx, need)) != NULL)
            rc = clef_report_summarize(ctx, text, len, NULL, NULL, buf, need, NULL, st, 64);
        else if (rc == CLEF_ERR_BUFFER_TOO_SMALL)
            rc = CLEF_ERR_NOMEM;
    } else if ((buf = clefi_strdup(ctx, text)) == NULL) {
        rc = CLEF_ERR_NOMEM;
    }
    if (rc != CLEF_OK) {
        clefi_free(ctx, buf);
        return clefi_session_error(s, rc, "aligner: summarizing a report: %s",
                                   rc == CLEF_ERR_NOMEM ? "out of memory" : clef_ctx_errmsg(ctx));
    }
    if (drop != NULL)
        drop_phrases(buf, drop);
    const int32_t cap = max_text < te->max_tokens ? max_text : te->max_tokens;
    const size_t len = strlen(buf), td = (size_t)te->cfg.d;
    size_t n_max = 2; /* sentences: at most one per period, plus the tail */
    for (size_t i = 0; sentences && i < len; i++)
        n_max += buf[i] == '.';
    float *out = clefi_malloc(ctx, (size_t)cap * td * sizeof *out);
    int32_t *off = starts != NULL ? clefi_malloc(ctx, (n_max + 1) * sizeof *off) : NULL;
    if (out == NULL || (starts != NULL && off == NULL)) {
        rc = clefi_session_error(s, CLEF_ERR_NOMEM, "aligner: out of memory");
        goto fail;
    }
    int32_t ids[CLEFI_TEXT_MAX_TOKENS], total = 0, k_sent = 0;
    for (size_t b = 0; b < len && total + 2 < cap;) {
        size_t e = sentences ? sentence_end(buf, b, len) : len;
        int32_t k = clefi_wordpiece(&te->vocab, buf + b, e - b, ids, cap - total);
        b = e;
        if (k <= 2) /* blank: [CLS] [SEP] only */
            continue;
        if ((rc = clefi_bert_embed(te, s, ids, k, NULL, out + (size_t)total * td)) != CLEF_OK)
            goto fail;
        if (off != NULL)
            off[k_sent] = total;
        k_sent++;
        total += k;
    }
    if (total == 0) { /* an empty text is [CLS] [SEP] */
        int32_t k = clefi_wordpiece(&te->vocab, "", 0, ids, cap);
        if ((rc = clefi_bert_embed(te, s, ids, k, NULL, out)) != CLEF_OK)
            goto fail;
        if (off != NULL)
            off[0] = 0;
        k_sent = 1;
        total = k;
    }
    clefi_free(ctx, buf);
    *states = out;
    *n = total;
    if (off != NULL) {
        off[k_sent] = total;
        *starts = off;
        *n_sent = k_sent;
    }
    return CLEF_OK;
fail:
    clefi_free(ctx, buf);
    clefi_free(ctx, out);
    clefi_free(ctx, off);
    return rc;
}

static clef_status check_out(clef_session *s, const char *fn, size_t need, size_t cap,
                             const void *out) {
    if (out == NULL && cap > 0)
        return clefi_session_error(s, CLEF_ERR_INVALID_ARG, "%s: bad argument", fn);
    if (cap < need)
        return clefi_session_error(s, CLEF_ERR_BUFFER_TOO_SMALL, "%s: %zu floats, room for %zu", fn,
                                   need, cap);
    return CLEF_OK;
}

clef_status clef_aligner_embed_eeg(const clef_aligner *al, clef_session *s, const float *emb,
                                   int64_t n, int64_t in_dim, float *out, size_t cap) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    if (al == NULL || (emb == NULL && n > 0) || n < 0)
        return clefi_session_error(s, CLEF_ERR_INVALID_ARG, "clef_aligner_embed_eeg: bad argument");
    const clefi_al_cfg *c = &al->cfg;
    if (in_dim != c->in_dim)
        return clefi_session_error(s, CLEF_ERR_SHAPE,
                                   "clef_aligner_embed_eeg: embeddings of width %lld, the aligner "
                                   "takes %d (its encoder's embed_dim)",
                                   (long long)in_dim, (int)c->in_dim);
    clef_status rc = check_out(s, "clef_aligner_embed_eeg", (size_t)n * (size_t)c->dim, cap, out);
    if (rc != CLEF_OK || n == 0)
        return rc;
    for (int64_t i = 0; i < n * in_dim; i++)
        if (!isfinite(emb[i]))
            return clefi_session_error(s, CLEF_ERR_INVALID_ARG,
                                       "clef_aligner_embed_eeg: embedding %lld is not finite",
                                       (long long)(i / in_dim));
    size_t hid = (size_t)n * (size_t)c->eeg_hidden, o = (size_t)n * (size_t)c->dim;
    float *buf = clefi_malloc(s->ctx, ((size_t)n * (size_t)in_dim + 2 * hid + 2 * o + (size_t)n) *
                                          sizeof *buf);
    if (buf == NULL)
        return clefi_session_error(s, CLEF_ERR_NOMEM, "clef_aligner_embed_eeg: out of memory");
    clefi_al_eeg_work w = {.xs = buf};
    w.h = w.xs + (size_t)n * (size_t)in_dim;
    w.a = w.h + hid;
    w.o = w.a + hid;
    w.z = w.o + o;
    w.norm = w.z + o;
    clefi_al_eeg_forward(al, s->pool, &w, emb, n);
    memcpy(out, w.z, o * sizeof *out);
    clefi_free(s->ctx, buf);
    return CLEF_OK;
}

/* One sequence through a token tower into out (dim floats). */
static clef_status tower_one(const clef_aligner *al, const clefi_al_tower *t, clef_session *s,
                             const float *x, const int32_t *ids, int32_t len, float *out) {
    clefi_al_work w = {0};
    clef_status rc =
        clefi_al_work_prepare(&w, s->ctx, &al->cfg, 1, len, clefi_pool_size(s->pool), 0);
    if (rc == CLEF_OK) {
        clefi_al_seq seq = {.B = 1, .T = len, .x = x, .ids = ids, .len = &len};
        rc = clefi_al_tower_forward(al, t, s->pool, &w, &seq);
    }
    if (rc == CLEF_OK)
        memcpy(out, w.z, (size_t)al->cfg.dim * sizeof *out);
    else
        rc = clefi_session_error(s, rc, "aligner: %s", clef_ctx_errmsg(s->ctx));
    clefi_al_work_free(&w);
    return rc;
}

clef_status clef_aligner_embed_text(const clef_aligner *al, clef_session *s,
                                    const clef_text_encoder *te, const char *text,
                                    int32_t summarize, float *out, size_t cap) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    if (al == NULL || te == NULL || text == NULL)
        return clefi_session_error(s, CLEF_ERR_INVALID_ARG,
                                   "clef_aligner_embed_text: bad argument");
    if (te->cfg.d != al->cfg.text_dim)
        return clefi_session_error(s, CLEF_ERR_SHAPE,
                                   "clef_aligner_embed_text: the text encoder is %lld wide, the "
                                   "aligner was trained on one %d wide",
                                   (long long)te->cfg.d, (int)al->cfg.text_dim);
    clef_status rc = check_out(s, "clef_aligner_embed_text", (size_t)al->cfg.dim, cap, out);
    if (rc != CLEF_OK)
        return rc;
    float *states;
    int32_t n;
    rc = clefi_al_text_states(te, s, text, summarize != 0, NULL, al->cfg.max_text,
                              al->cfg.text_sentences, &states, &n, NULL, NULL);
    if (rc != CLEF_OK)
        return rc;
    rc = tower_one(al, &al->text, s, states, NULL, n, out);
    clefi_free(s->ctx, states);
    return rc;
}

clef_status clef_aligner_embed_ehr(const clef_aligner *al, clef_session *s, const char *ehr,
                                   float *out, size_t cap) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    if (al == NULL || ehr == NULL)
        return clefi_session_error(s, CLEF_ERR_INVALID_ARG, "clef_aligner_embed_ehr: bad argument");
    clef_status rc = check_out(s, "clef_aligner_embed_ehr", (size_t)al->cfg.dim, cap, out);
    if (rc != CLEF_OK)
        return rc;
    clefi_strs toks = {0};
    rc = clefi_al_ehr_tokens(s->ctx, ehr, al->cfg.max_icd, al->cfg.max_atc, &toks);
    int32_t *ids = NULL;
    if (rc == CLEF_OK && toks.n == 0)
        rc = clefi_session_error(s, CLEF_ERR_NOT_FOUND,
                                 "clef_aligner_embed_ehr: no age, sex, race or code line");
    else if (rc == CLEF_OK && (ids = clefi_calloc(s->ctx, toks.n, sizeof *ids)) == NULL)
        rc = CLEF_ERR_NOMEM;
    if (rc == CLEF_ERR_NOMEM)
        rc = clefi_session_error(s, rc, "clef_aligner_embed_ehr: out of memory");
    if (rc == CLEF_OK) {
        for (size_t i = 0; i < toks.n; i++)
            ids[i] = clefi_al_vocab_id(al->vocab, al->cfg.vocab, toks.s[i]);
        rc = tower_one(al, &al->ehr, s, NULL, ids, (int32_t)toks.n, out);
    }
    clefi_free(s->ctx, ids);
    clefi_strs_free(s->ctx, &toks);
    return rc;
}

clef_status clef_aligner_score_text(const clef_aligner *al, clef_session *s,
                                    const clef_text_encoder *te, const float *emb, int64_t n,
                                    int64_t in_dim, const char *prompt, float *scores, size_t cap) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    if (al == NULL || te == NULL || prompt == NULL || n < 0)
        return clefi_session_error(s, CLEF_ERR_INVALID_ARG,
                                   "clef_aligner_score_text: bad argument");
    clef_status rc = check_out(s, "clef_aligner_score_text", (size_t)n, cap, scores);
    if (rc != CLEF_OK)
        return rc;
    const size_t D = (size_t)al->cfg.dim;
    float *z = clefi_malloc(s->ctx, ((size_t)n + 1) * D * sizeof *z);
    if (z == NULL)
        return clefi_session_error(s, CLEF_ERR_NOMEM, "clef_aligner_score_text: out of memory");
    rc = clef_aligner_embed_text(al, s, te, prompt, 0, z, D);
    if (rc == CLEF_OK)
        rc = clef_aligner_embed_eeg(al, s, emb, n, in_dim, z + D, (size_t)n * D);
    for (int64_t i = 0; rc == CLEF_OK && i < n; i++) {
        double acc = 0.0;
        for (size_t k = 0; k < D; k++)
            acc += (double)z[k] * z[(size_t)(i + 1) * D + k];
        scores[i] = (float)acc; /* both unit vectors: the cosine */
    }
    clefi_free(s->ctx, z);
    return rc;
}
