/* cmd_ingest.c — clef ingest DIR --store PATH: import a cohort directory into a store. */
#define _POSIX_C_SOURCE 200809L /* isatty */
#include <stdint.h>
#include <string.h>

#include <unistd.h>

#include "cli.h"

/* On a terminal the progress line is redrawn; otherwise one line per 10 %. */
static int32_t ingest_progress(int64_t done, int64_t total, void *user) {
    (void)user;
    if (!isatty(STDERR_FILENO)) {
        if (total > 0 && (done == total || (done * 10) / total != ((done - 1) * 10) / total))
            fprintf(stderr, "clef ingest: reports and FHIR %lld/%lld\n", (long long)done,
                    (long long)total);
        return 0;
    }
    if (total < 0)
        fprintf(stderr, "\rclef ingest: hashing recordings: %lld", (long long)done);
    else
        fprintf(stderr, "\rclef ingest: reports and FHIR: %lld/%lld      ", (long long)done,
                (long long)total);
    fflush(stderr);
    return 0;
}

int cmd_ingest(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        printf("usage: clef ingest DIR --store PATH\n\n"
               "Import a cohort directory (docs/COHORT-FORMAT.md: manifest.csv, events.csv,\n"
               "tasks.csv, splits.csv, reports/, fhir/) into the SQLite store at PATH (created\n"
               "if needed). Recording hashes are verified. Importing again changes nothing.\n");
        return 0;
    }
    const char *dir = NULL, *store_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
            store_path = argv[++i];
        else if (argv[i][0] != '-' && dir == NULL)
            dir = argv[i];
        else {
            fprintf(stderr, "clef ingest: unexpected argument '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    if (dir == NULL || store_path == NULL) {
        fprintf(stderr, "usage: clef ingest DIR --store PATH\n");
        return 2;
    }
    clef_ctx *ctx;
    clef_status rc = clef_ctx_create(&ctx);
    if (rc != CLEF_OK)
        return cli_fail("ingest", rc, NULL);
    clef_store *s;
    rc = clef_store_open(&s, ctx, store_path);
    if (rc != CLEF_OK) {
        int r = cli_fail("ingest", rc, clef_ctx_errmsg(ctx));
        clef_ctx_free(ctx);
        return r;
    }
    int64_t changed = 0;
    rc = clef_store_import_cohort(s, dir, &changed, ingest_progress, NULL);
    fprintf(stderr, "\n");
    int ret = 0;
    if (rc != CLEF_OK) {
        ret = cli_fail("ingest", rc, clef_store_errmsg(s));
    } else {
        static const struct {
            int32_t table;
            const char *name;
        } k_tables[] = {{CLEF_STORE_PATIENTS, "patients"},   {CLEF_STORE_SESSIONS, "sessions"},
                        {CLEF_STORE_REPORTS, "reports"},     {CLEF_STORE_EHR_EVENTS, "EHR events"},
                        {CLEF_STORE_TASKS, "tasks"},         {CLEF_STORE_LABELS, "labels"},
                        {CLEF_STORE_SPLITS, "split entries"}};
        printf("%s -> %s: %lld rows changed\n", dir, store_path, (long long)changed);
        for (size_t i = 0; i < sizeof k_tables / sizeof k_tables[0]; i++) {
            int64_t n = 0;
            if (clef_store_count(s, k_tables[i].table, &n) == CLEF_OK)
                printf("  %-14s %lld\n", k_tables[i].name, (long long)n);
        }
    }
    clef_store_free(s);
    clef_ctx_free(ctx);
    return ret;
}
