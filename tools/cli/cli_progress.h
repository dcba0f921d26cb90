/* cli_progress.h — the one progress display of the clef subcommands (on stderr).
 *
 * On a terminal: one bar redrawn in place (at most 10 times a second),
 *     clef synth: sessions [#########...............]  12/40  30%  2.1/s  ETA 0:13  item
 * otherwise (a log, a pipe): plain lines, at most one every CLI_PROGRESS_LINE_S seconds, and
 * always the last one ("... 40/40 100% 2.1/s in 0:19"). A total < 0 (unknown) shows the
 * count and rate only.
 *
 *     cli_progress p;
 *     cli_progress_begin(&p, "clef synth: sessions", quiet);
 *     clef_cohort_generate(ctx, params, out, cli_progress_cb, &p);
 *     cli_progress_end(&p);
 */
#ifndef CLEF_CLI_PROGRESS_H
#define CLEF_CLI_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#define CLI_PROGRESS_LINE_S 5.0

typedef enum cli_progress_mode {
    CLI_PROGRESS_QUIET,
    CLI_PROGRESS_BAR,  /* a terminal */
    CLI_PROGRESS_LINES /* anything else */
} cli_progress_mode;

typedef struct cli_progress {
    FILE *f; /* stderr */
    const char *label;
    cli_progress_mode mode;
    double t0, t_last; /* start, last output (monotonic seconds) */
    int open;          /* a bar is drawn without its newline */
} cli_progress;

/* Monotonic seconds (ETAs). */
double cli_now_s(void);
/* Start timing; the mode is QUIET if quiet, else BAR when stderr is a terminal, else LINES. */
void cli_progress_begin(cli_progress *p, const char *label, int quiet);
/* done of total (total < 0: unknown) units; item (may be NULL) is shown after the numbers. */
void cli_progress_update(cli_progress *p, int64_t done, int64_t total, const char *item);
/* End an open bar's line. */
void cli_progress_end(cli_progress *p);

/* Adapters for the library's progress callbacks (user: a cli_progress); they return 0. */
int32_t cli_progress_cb(int64_t done, int64_t total, void *user);
int32_t cli_progress_item_cb(int64_t done, int64_t total, const char *item, void *user);

#endif
