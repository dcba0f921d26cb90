/* oom_sweep.h — out-of-memory sweeps over the public API (docs/reliability.md promise 5).
 *
 * A case names the clef.h functions it sweeps (`covers`, read by check_oom_api.py, which fails
 * when a CLEF_API function is neither covered by a case nor exempted in oom_exempt.txt). For
 * k = 0, 1, ... the driver builds the case's fixture on a fresh counting ctx with no failures,
 * fails the allocation number k made after that (0-based), runs `call`, then requires:
 *  - the call fails with CLEF_ERR_NOMEM (or the case's `also`), or succeeds only once k is past
 *    its last allocation (a swallowed failure is an error too);
 *  - the handles it was given stay usable: the same call, run again without failures, succeeds
 *    (and `check`, when given, finds what an undisturbed call leaves);
 *  - when the fixture is freed, no block is left (the ctx allocator's count, and ASan for the
 *    rest).
 * Fixtures are public API only; everything a case makes it frees itself. */
#ifndef CLEF_OOM_SWEEP_H
#define CLEF_OOM_SWEEP_H

#include "test_support.h"

/* What a case's setup makes, freed by the driver (any field may stay NULL). */
typedef struct oom_fx {
    clef_ctx *ctx;
    clef_session *s;
    clef_params *p;
    clef_recording *rec;
    clef_stream *stream;
    clef_edf_writer *ew;
    clef_ehr *ehr;
    clef_spectrogram *sg;
    clef_spectrogram_stream *sst;
    clef_weights *w;
    clef_weights_writer *wr;
    clef_tokenizer *tok;
    clef_tokenizer_trainer *ttr;
    clef_encoder *enc;
    clef_encoder_stream *est;
    clef_encoder_trainer *etr;
    clef_text_encoder *te;
    clef_aligner *al;
    clef_aligner_trainer *atr;
    clef_probe *probe;
    clef_eval *ev;
    clef_store *store;
    char path[512]; /* a file the case may write (removed by the driver) */
    char dir[512];  /* a directory the case may write (removed by the driver) */
} oom_fx;

/* Marks a case's list of swept functions for check_oom_api.py. */
#define COVERS(s) s
/* Marks a .none case's list of exempt functions (oom_exempt.txt) it shows to allocate nothing. */
#define NOALLOC(s) s

/* One sweep; written with designated initializers (fields left out are NULL/CLEF_OK). */
typedef struct oom_case {
    const char *name;
    const char *covers;               /* clef.h functions swept, space-separated */
    clef_status (*setup)(oom_fx *fx); /* NULL: the ctx only */
    clef_status (*call)(oom_fx *fx);
    clef_status also; /* another status a failed allocation may give (CLEF_OK: none) */
    /* NULL, or run once the call has succeeded (at once or when retried): asserts that the
     * handles hold what an undisturbed call leaves (a failed call consumed nothing). */
    void (*check)(oom_fx *fx);
    /* Instead of a sweep: the call, with the first allocation failing, must succeed having
     * attempted none (for exempt functions: `covers` is then a NOALLOC list). */
    int none;
} oom_case;

/* Run the cases as CMocka tests (argv[1], if given: a name filter such as "store_*"); returns
 * the number of failed ones. */
int oom_run(int argc, char **argv, const char *group, const oom_case *cases, size_t n);

/* Shared fixtures, made once per process with a plain ctx (paths stay valid until exit). */
const char *oom_tmpdir(void); /* a directory removed at exit */
/* Spectrograms of 16 bins (1 s windows, 0-15 Hz) and a tiny tokenizer for them: 4 base channels, 4
 * levels (2 token rows), a token column per 40 frames (32 in the 1,280-frame session image: 64
 * tokens), 32 codes of width 4, 40-frame training crops. Small, so that every sweep stays cheap. */
clef_status oom_spec16(clef_ctx *ctx, clef_spectrogram **out);
clef_status oom_tok_arch(clef_ctx *ctx, clef_params **out);
const char *oom_tok_path(void);         /* oom_tok_arch()'s weights file, for oom_spec16() */
const char *oom_enc_path(void);         /* a tiny session encoder made for it (untrained) */
const char *oom_cohort_dir(void);       /* 5 sessions of 48 s (tests/support fixture) */
const char *oom_cohort_small_dir(void); /* 3 sessions of 2 s */

/* fx->store (and fx->path): a fresh copy of a store of oom_cohort_dir(), opened with fx->ctx;
 * jobs: its sessions also tokenized (oom_tok_path()), embedded (oom_enc_path()) and
 * band-power embedded. */
clef_status oom_open_store_copy(oom_fx *fx, int jobs);
/* A tiny BERT text tower's weights file; *vocab gets its vocab.txt. */
const char *oom_text_paths(const char **vocab);
/* fx->s: a one-thread session (outputs and allocation order do not depend on threads). */
clef_status oom_session(oom_fx *fx);
/* fx->s, fx->tok (oom_tok_path()) and fx->sg, the spectrogram of its weights. */
clef_status oom_tok_fixture(oom_fx *fx);

#endif
