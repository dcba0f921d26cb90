/* report_summary.c — findings lexicon with NegEx-style negation and uncertainty scopes
 * (Chapman et al. 2001), the built-in extractive summarizer, and the public report API.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * A mention is a lexicon term inside one sentence; it is negated or uncertain when a trigger
 * of that kind precedes it (at most SCOPE words earlier) or follows it (post-triggers such as
 * "were not seen"), with no scope terminator ("but", "however", ";") in between. A finding's
 * status aggregates its mentions: any affirmed mention makes it present, else any uncertain
 * one makes it uncertain, else negated. */
#include "report_int.h"

#include <string.h>

enum {
    F_FOCAL_SLOW,
    F_GEN_SLOW,
    F_TRIPHASIC,
    F_FOCAL_IED,
    F_GEN_IED,
    F_BETA,
    F_SLEEP,
    F_BS,
    F_SLOW_PDR,
    F_ABNORMAL,
    F_BLINK,
    F_MUSCLE,
    F_POP,
    F_LINE,
    F_FLAT
};

static const char *const k_names[CLEFI_REPORT_N_FIND] = {"focal_slowing",
                                                         "generalized_slowing",
                                                         "triphasic_waves",
                                                         "focal_epileptiform",
                                                         "generalized_epileptiform",
                                                         "excess_beta",
                                                         "drowsiness_sleep",
                                                         "burst_suppression",
                                                         "slow_pdr",
                                                         "abnormal",
                                                         "artifact_eye_blinks",
                                                         "artifact_muscle",
                                                         "artifact_electrode_pop",
                                                         "artifact_line_noise",
                                                         "artifact_flat_channel"};

/* A term names up to two findings; generic terms ("epileptiform discharges") only carry
 * negations (an affirmed generic mention says nothing about which kind); inverse terms
 * ("normal EEG") are an inherent negation of their finding. */
enum { T_PLAIN = 0, T_NEG_ONLY = 1, T_INVERSE = 2 };
typedef struct term {
    const char *text;
    int8_t f1, f2, kind;
} term;
static const term k_terms[] = {
    {"focal slowing", F_FOCAL_SLOW, -1, 0},
    {"focal delta", F_FOCAL_SLOW, -1, 0},
    {"intermittent polymorphic delta", F_FOCAL_SLOW, -1, 0},
    {"focal abnormality", F_FOCAL_SLOW, -1, T_NEG_ONLY},
    {"diffuse polymorphic delta", F_GEN_SLOW, -1, 0},
    {"diffusely slow", F_GEN_SLOW, -1, 0},
    {"diffuse slowing", F_GEN_SLOW, -1, 0},
    {"generalized slowing", F_GEN_SLOW, -1, 0},
    {"triphasic", F_TRIPHASIC, -1, 0},
    {"sharp waves", F_FOCAL_IED, -1, 0},
    {"sharp wave", F_FOCAL_IED, -1, 0},
    {"spikes", F_FOCAL_IED, -1, 0},
    {"focal epileptiform", F_FOCAL_IED, -1, 0},
    {"epileptiform discharges arise", F_FOCAL_IED, -1, 0},
    {"spike-and-wave", F_GEN_IED, -1, 0},
    {"spike and wave", F_GEN_IED, -1, 0},
    {"generalized epileptiform", F_GEN_IED, -1, 0},
    {"epileptiform", F_FOCAL_IED, F_GEN_IED, T_NEG_ONLY},
    {"excess beta", F_BETA, -1, 0},
    {"excess diffuse beta", F_BETA, -1, 0},
    {"prominent frontocentral beta", F_BETA, -1, 0},
    {"beta activity", F_BETA, -1, 0},
    {"drowsiness", F_SLEEP, -1, 0},
    {"drowsy", F_SLEEP, -1, 0},
    {"stage 2 sleep", F_SLEEP, -1, 0},
    {"sleep spindles", F_SLEEP, -1, 0},
    {"spindles", F_SLEEP, -1, 0},
    {"asleep", F_SLEEP, -1, 0},
    {"burst-suppression", F_BS, -1, 0},
    {"burst suppression", F_BS, -1, 0},
    {"slow posterior dominant rhythm", F_SLOW_PDR, -1, 0},
    {"slow pdr", F_SLOW_PDR, -1, 0},
    {"abnormal eeg", F_ABNORMAL, -1, 0},
    {"abnormal study", F_ABNORMAL, -1, 0},
    {"abnormal record", F_ABNORMAL, -1, 0},
    {"normal awake and asleep eeg", F_ABNORMAL, -1, T_INVERSE},
    {"normal awake eeg", F_ABNORMAL, -1, T_INVERSE},
    {"normal eeg", F_ABNORMAL, -1, T_INVERSE},
    {"normal study", F_ABNORMAL, -1, T_INVERSE},
    {"eye blink", F_BLINK, -1, 0},
    {"eye blinks", F_BLINK, -1, 0},
    {"muscle artifact", F_MUSCLE, -1, 0},
    {"eye blink and muscle artifact", F_BLINK, F_MUSCLE, 0},
    {"electrode pop", F_POP, -1, 0},
    {"line artifact", F_LINE, -1, 0},
    {"line noise", F_LINE, -1, 0},
    {"shows no signal", F_FLAT, -1, 0},
    {"flat channel", F_FLAT, -1, 0},
};

enum { TR_NEG_PRE, TR_NEG_POST, TR_UNC_PRE, TR_UNC_POST, TR_PSEUDO, TR_STOP };
typedef struct trigger {
    const char *text;
    int kind;
} trigger;
static const trigger k_triggers[] = {
    {"no", TR_NEG_PRE},
    {"not", TR_NEG_PRE},
    {"without", TR_NEG_PRE},
    {"absence of", TR_NEG_PRE},
    {"negative for", TR_NEG_PRE},
    {"free of", TR_NEG_PRE},
    {"no evidence of", TR_NEG_PRE},
    {"none", TR_NEG_PRE},
    {"never", TR_NEG_PRE},
    {"were not seen", TR_NEG_POST},
    {"was not seen", TR_NEG_POST},
    {"not seen", TR_NEG_POST},
    {"is absent", TR_NEG_POST},
    {"are absent", TR_NEG_POST},
    {"was absent", TR_NEG_POST},
    {"were absent", TR_NEG_POST},
    {"not present", TR_NEG_POST},
    {"possible", TR_UNC_PRE},
    {"possibly", TR_UNC_PRE},
    {"probable", TR_UNC_PRE},
    {"probably", TR_UNC_PRE},
    {"questionable", TR_UNC_PRE},
    {"suspicious for", TR_UNC_PRE},
    {"suspected", TR_UNC_PRE},
    {"cannot exclude", TR_UNC_PRE},
    {"cannot rule out", TR_UNC_PRE},
    {"rule out", TR_UNC_PRE},
    {"may represent", TR_UNC_PRE},
    {"equivocal", TR_UNC_PRE},
    {"cannot be excluded", TR_UNC_POST},
    {"is questionable", TR_UNC_POST},
    {"not excluded", TR_UNC_POST},
    {"no change", TR_PSEUDO},
    {"not only", TR_PSEUDO},
    {"no increase", TR_PSEUDO},
    {"no significant change", TR_PSEUDO},
    {"but", TR_STOP},
    {"however", TR_STOP},
    {"although", TR_STOP},
    {"except", TR_STOP},
    {"apart from", TR_STOP},
    {"aside from", TR_STOP},
};

#define SCOPE 6 /* words a pre-trigger reaches */

static int alnum(unsigned char c) { return clefi_a_alpha(c) || clefi_a_digit(c) || c >= 0x80; }

static size_t match(const char *t, size_t i, size_t end, const char *w) {
    size_t n = strlen(w);
    if (i + n > end || (i > 0 && alnum((unsigned char)t[i - 1])))
        return 0;
    if (!clefi_ncase_eq(t + i, w, n))
        return 0;
    if (i + n < end && alnum((unsigned char)t[i + n]))
        return 0;
    return i + n;
}

/* Words in [a, b), counted up to SCOPE + 1 (bounded work per trigger). */
static size_t words_between(const char *t, size_t a, size_t b) {
    size_t w = 0;
    for (size_t i = a; i < b && w <= SCOPE; i++)
        w += alnum((unsigned char)t[i]) && (i == a || !alnum((unsigned char)t[i - 1]));
    return w;
}

typedef struct span {
    size_t b, e;
    int kind;
} span;

/* Sentence end: . ! ? newline, or ';' (a clause end, also a scope end); a '.' between digits
 * ("9.5 Hz") is no end. */
static size_t sentence_end(const char *t, size_t i, size_t end) {
    for (; i < end; i++) {
        char c = t[i];
        if (c == '\n' || c == '!' || c == '?' || c == ';')
            return i;
        if (c == '.' && !(i > 0 && i + 1 < end && clefi_a_digit((unsigned char)t[i - 1]) &&
                          clefi_a_digit((unsigned char)t[i + 1])))
            return i;
    }
    return end;
}

/* Scan one sentence [b, e): update status, return 1 if it mentioned any finding. */
static int sentence(const char *t, size_t b, size_t e, int32_t *status) {
    span tr[32];
    size_t ntr = 0;
    for (size_t i = b; i < e; i++) {
        size_t best = 0;
        int kind = -1;
        for (size_t k = 0; k < sizeof k_triggers / sizeof *k_triggers; k++) {
            size_t m = match(t, i, e, k_triggers[k].text);
            if (m > best) {
                best = m;
                kind = k_triggers[k].kind;
            }
        }
        if (best != 0 && ntr < 32) {
            if (kind != TR_PSEUDO)
                tr[ntr++] = (span){i, best, kind};
            i = best - 1;
        }
    }
    int any = 0;
    for (size_t i = b; i < e; i++) {
        size_t best = 0, bk = 0;
        for (size_t k = 0; k < sizeof k_terms / sizeof *k_terms; k++) {
            size_t m = match(t, i, e, k_terms[k].text);
            if (m > best) {
                best = m;
                bk = k;
            }
        }
        if (best == 0)
            continue;
        const term *T = &k_terms[bk];
        int neg = T->kind == T_INVERSE, unc = 0;
        for (size_t k = 0; k < ntr; k++) {
            size_t from, to;
            int pre = tr[k].kind == TR_NEG_PRE || tr[k].kind == TR_UNC_PRE;
            int post = tr[k].kind == TR_NEG_POST || tr[k].kind == TR_UNC_POST;
            if (pre && tr[k].e <= i && words_between(t, tr[k].e, i) <= SCOPE)
                from = tr[k].e, to = i;
            else if (post && tr[k].b >= best && words_between(t, best, tr[k].b) <= SCOPE)
                from = best, to = tr[k].b;
            else
                continue;
            int stopped = 0;
            for (size_t s = 0; s < ntr; s++)
                stopped |= tr[s].kind == TR_STOP && tr[s].b >= from && tr[s].e <= to;
            if (stopped)
                continue;
            if (tr[k].kind == TR_UNC_PRE || tr[k].kind == TR_UNC_POST)
                unc = 1;
            else
                neg = T->kind == T_INVERSE ? !neg : 1; /* "not a normal EEG" */
        }
        int st = unc ? CLEF_FINDING_UNCERTAIN : neg ? CLEF_FINDING_NEGATED : CLEF_FINDING_PRESENT;
        if (!(T->kind == T_NEG_ONLY && st == CLEF_FINDING_PRESENT)) {
            int8_t f[2] = {T->f1, T->f2};
            for (int k = 0; k < 2; k++) {
                if (f[k] < 0)
                    continue;
                int32_t *s = &status[f[k]];
                /* present > uncertain > negated > not mentioned */
                static const int rank[4] = {0, 3, 1, 2};
                if (rank[st] > rank[*s])
                    *s = st;
            }
            any = 1;
        }
        i = best - 1;
    }
    return any;
}

static int electrographic(const char *name) {
    return strcmp(name, "DESCRIPTION") == 0 || strcmp(name, "IMPRESSION") == 0 ||
           strcmp(name, "CLINICAL CORRELATION") == 0;
}

static void scan_range(const char *t, size_t b, size_t e, clefi_rbuf *out, int32_t *status) {
    while (b < e) {
        while (b < e && (clefi_a_space((unsigned char)t[b])))
            b++;
        size_t s = sentence_end(t, b, e);
        if (s > b && sentence(t, b, s, status)) {
            if (out->len > 0)
                clefi_rbuf_puts(out, " ");
            size_t e2 = s;
            while (e2 > b && clefi_a_space((unsigned char)t[e2 - 1]))
                e2--;
            clefi_rbuf_put(out, t + b, e2 - b);
            if (t[e2 - 1] != ':') /* "Abnormal EEG due to:" leads its list */
                clefi_rbuf_puts(out, ".");
        }
        b = s + 1;
    }
}

void clefi_report_extract(const char *text, size_t len, clefi_rbuf *b,
                          int32_t status[CLEFI_REPORT_N_FIND]) {
    for (int k = 0; k < CLEFI_REPORT_N_FIND; k++)
        status[k] = CLEF_FINDING_NOT_MENTIONED;
    clefi_rbuf_put(b, "", 0);
    clefi_section sec;
    size_t used = 0;
    for (size_t pos = 0; clefi_report_next_section(text, len, &pos, &sec);)
        if (electrographic(sec.name)) {
            scan_range(text, sec.begin, sec.end, b, status);
            used++;
        }
    if (used == 0) /* no known sections: the whole text */
        scan_range(text, 0, len, b, status);
}

/* ---- public API ---- */

int32_t clef_report_n_findings(void) { return CLEFI_REPORT_N_FIND; }

const char *clef_report_finding_name(int32_t i) {
    return i >= 0 && i < CLEFI_REPORT_N_FIND ? k_names[i] : NULL;
}

/* Copy b to the caller's buffer with the size-query contract. */
static clef_status deliver(clef_ctx *ctx, const clefi_rbuf *b, char *out, size_t cap,
                           size_t *needed, const char *fn) {
    if (b->err)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "%s: out of memory", fn);
    if (needed != NULL)
        *needed = b->len + 1;
    if (out == NULL || cap < b->len + 1)
        return clefi_ctx_error(ctx, CLEF_ERR_BUFFER_TOO_SMALL, "%s: buffer too small", fn);
    memcpy(out, b->p, b->len + 1);
    return CLEF_OK;
}

clef_status clef_report_deidentify(clef_ctx *ctx, const char *text, size_t len, char *out,
                                   size_t cap, size_t *needed) {
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_reset(ctx);
    if (text == NULL && len > 0)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "clef_report_deidentify: text is NULL");
    clefi_rbuf b = {ctx, NULL, 0, 0, 0};
    clefi_report_deid(&b, text != NULL ? text : "", len);
    clef_status rc = deliver(ctx, &b, out, cap, needed, "clef_report_deidentify");
    clefi_rbuf_free(&b);
    return rc;
}

clef_status clef_report_summarize(clef_ctx *ctx, const char *text, size_t len,
                                  clef_report_summarizer_fn fn, void *user, char *summary,
                                  size_t cap, size_t *needed, int32_t *status, int32_t n_status) {
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_reset(ctx);
    if ((text == NULL && len > 0) || status == NULL || n_status < CLEFI_REPORT_N_FIND)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                               "clef_report_summarize: NULL text or status, or n_status < %d",
                               CLEFI_REPORT_N_FIND);
    clefi_rbuf deid = {ctx, NULL, 0, 0, 0}, sum = {ctx, NULL, 0, 0, 0}, out = {ctx, NULL, 0, 0, 0};
    clef_status rc = CLEF_OK;
    int32_t st[CLEFI_REPORT_N_FIND];
    clefi_report_deid(&deid, text != NULL ? text : "", len);
    if (deid.err) {
        rc = clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "clef_report_summarize: out of memory");
        goto done;
    }
    if (fn == NULL) {
        clefi_report_extract(deid.p, deid.len, &sum, st);
        if (sum.err) { /* not a shortened summary */
            rc = clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "clef_report_summarize: out of memory");
            goto done;
        }
    } else {
        size_t scap = deid.len + 4096;
        sum.p = clefi_malloc(ctx, scap);
        if (sum.p == NULL) {
            rc = clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "clef_report_summarize: out of memory");
            goto done;
        }
        sum.cap = scap;
        sum.p[0] = sum.p[scap - 1] = '\0';
        for (int k = 0; k < CLEFI_REPORT_N_FIND; k++)
            st[k] = CLEF_FINDING_NOT_MENTIONED;
        clef_status u = fn(deid.p, deid.len, sum.p, scap, st, CLEFI_REPORT_N_FIND, user);
        if (u != CLEF_OK) {
            /* the summarizer's status only: its message could quote the report */
            rc = clefi_ctx_error(ctx, u < 0 ? u : CLEF_ERR_STATE,
                                 "clef_report_summarize: the external summarizer failed (%d)",
                                 (int)u);
            goto done;
        }
        if (memchr(sum.p, '\0', scap) == NULL) {
            rc = clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                                 "clef_report_summarize: summary not NUL-terminated");
            goto done;
        }
        sum.len = strlen(sum.p);
        for (int k = 0; k < CLEFI_REPORT_N_FIND; k++)
            if (st[k] < CLEF_FINDING_NOT_MENTIONED || st[k] > CLEF_FINDING_UNCERTAIN) {
                rc = clefi_ctx_error(ctx, CLEF_ERR_FORMAT,
                                     "clef_report_summarize: finding %d has invalid status %d", k,
                                     (int)st[k]);
                goto done;
            }
    }
    /* whoever wrote the summary, it leaves de-identified */
    clefi_report_deid(&out, sum.p != NULL ? sum.p : "", sum.len);
    for (int k = 0; k < CLEFI_REPORT_N_FIND; k++)
        status[k] = st[k];
    for (int32_t k = CLEFI_REPORT_N_FIND; k < n_status; k++)
        status[k] = CLEF_FINDING_NOT_MENTIONED;
    rc = deliver(ctx, &out, summary, cap, needed, "clef_report_summarize");
done:
    clefi_rbuf_free(&deid);
    clefi_rbuf_free(&sum);
    clefi_rbuf_free(&out);
    return rc;
}
