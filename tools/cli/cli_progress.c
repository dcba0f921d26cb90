/* cli_progress.c — the one progress display of the clef subcommands (cli_progress.h). */
#define _POSIX_C_SOURCE 200809L /* isatty, clock_gettime */
#include "cli_progress.h"

#include <time.h>

#include <unistd.h>

double cli_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_begin(cli_progress *p, const char *label, int quiet) {
    p->f = stderr;
    p->label = label;
    p->mode = quiet                   ? CLI_PROGRESS_QUIET
              : isatty(STDERR_FILENO) ? CLI_PROGRESS_BAR
                                      : CLI_PROGRESS_LINES;
    p->t0 = p->t_last = cli_now_s();
    p->open = 0;
}

void cli_progress_end(cli_progress *p) {
    if (p->open)
        fputc('\n', p->f);
    p->open = 0;
    fflush(p->f);
}

/* "m:ss" or "h:mm:ss". */
static void clock_text(double s, char *buf, size_t cap) {
    long t = s < 0 ? 0 : s > 3.6e8 ? 360000000L : (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

/* "  2.1/s  ETA 0:13" (or "  in 0:19" when done): nothing until time has passed. */
static void rate_text(int64_t done, int64_t total, double elapsed, char *buf, size_t cap) {
    buf[0] = '\0';
    if (elapsed < 1e-3 || done <= 0)
        return;
    double rate = (double)done / elapsed;
    char r[32], t[32] = "";
    if (rate >= 1.0)
        snprintf(r, sizeof r, "%.1f/s", rate);
    else
        snprintf(r, sizeof r, "%.1f s each", 1.0 / rate);
    if (total >= 0 && done >= total)
        clock_text(elapsed, t, sizeof t);
    else if (total >= 0)
        clock_text((double)(total - done) / rate, t, sizeof t);
    snprintf(buf, cap, "  %s%s%s", r,
             total < 0       ? ""
             : done >= total ? "  in "
                             : "  ETA ",
             total < 0 ? "" : t);
}

void cli_progress_update(cli_progress *p, int64_t done, int64_t total, const char *item) {
    if (p->mode == CLI_PROGRESS_QUIET)
        return;
    double t = cli_now_s();
    int last = total >= 0 && done >= total;
    double every = p->mode == CLI_PROGRESS_BAR ? 0.1 : CLI_PROGRESS_LINE_S;
    if (!last && t - p->t_last < every)
        return;
    p->t_last = t;
    char counts[64], rate[96], bar[32] = "";
    if (total >= 0) {
        int pct = total > 0 ? (int)(100 * done / total) : 100;
        snprintf(counts, sizeof counts, "%lld/%lld  %d%%", (long long)done, (long long)total, pct);
    } else {
        snprintf(counts, sizeof counts, "%lld", (long long)done);
    }
    rate_text(done, total, t - p->t0, rate, sizeof rate);
    if (p->mode == CLI_PROGRESS_BAR && total > 0) {
        int fill = (int)(24 * done / total);
        snprintf(bar, sizeof bar, " [%.*s%*s]", fill, "########################", 24 - fill, "");
    }
    const char *sep = item != NULL && item[0] != '\0' ? "  " : "";
    if (p->mode == CLI_PROGRESS_BAR) {
        /* \033[K clears what a longer earlier line left */
        fprintf(p->f, "\r%s%s  %s%s%s%.40s\033[K", p->label, bar, counts, rate, sep,
                item != NULL ? item : "");
        p->open = !last;
        if (last)
            fputc('\n', p->f);
    } else {
        fprintf(p->f, "%s %s%s%s%s\n", p->label, counts, rate, sep, item != NULL ? item : "");
    }
    fflush(p->f);
}

int32_t cli_progress_cb(int64_t done, int64_t total, void *user) {
    cli_progress_update(user, done, total, NULL);
    return 0;
}

int32_t cli_progress_item_cb(int64_t done, int64_t total, const char *item, void *user) {
    cli_progress_update(user, done, total, item);
    return 0;
}
