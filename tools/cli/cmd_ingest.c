/* cmd_ingest.c — clef ingest DIR --store PATH: import a cohort directory into a store. */
#include <stdint.h>

#include "cli.h"

/* Two phases: hashing the recordings (total unknown), then reports and FHIR bundles. */
typedef struct ingest_progress {
    cli_progress hash, reports;
} ingest_progress;

static int32_t on_progress(int64_t done, int64_t total, void *user) {
    ingest_progress *p = user;
    if (total < 0) {
        cli_progress_update(&p->hash, done, total, NULL);
    } else {
        cli_progress_end(&p->hash);
        cli_progress_update(&p->reports, done, total, NULL);
    }
    return 0;
}

/* Lists the files the store holds in quarantine; exit status 3 when this import skipped any. */
static int print_skipped(clef_store *s, int64_t skipped) {
    char line[1400];
    size_t need = 0;
    for (int64_t i = 0; clef_store_skipped_file(s, i, line, sizeof line, &need) == CLEF_OK; i++) {
        if (i == 0)
            printf("skipped files (%lld this run; fix them and ingest again):\n",
                   (long long)skipped);
        printf("  %s\n", line);
    }
    return skipped > 0 ? 3 : 0;
}

int cmd_ingest(int argc, char **argv) {
    const char *dir = NULL, *store_path = NULL;
    int skip_bad = 0;
    const cli_opt opts[] = {CLI_POS("DIR", &dir, 1), CLI_STR("--store", NULL, &store_path, 1),
                            CLI_FLAG("--skip-bad", NULL, &skip_bad), CLI_END};
    const cli_cmd cmd = {
        "ingest",
        "usage: clef ingest DIR --store PATH [--skip-bad]\n\n"
        "Import a cohort directory (docs/COHORT-FORMAT.md: manifest.csv, events.csv,\n"
        "tasks.csv, splits.csv, reports/, fhir/) into the SQLite store at PATH (created\n"
        "if needed). Recording hashes are verified. Importing again changes nothing.\n"
        "One bad file makes the import write nothing (exit 1). With --skip-bad a report\n"
        "or FHIR file that cannot be read or parsed is skipped with its reason kept in\n"
        "the store and listed here, the rest is imported, and the exit status is 3.\n",
        opts};
    int code = 0;
    if (cli_parse(&cmd, argc, argv, &code) != 0)
        return code;
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
    int64_t changed = 0, skipped = 0;
    ingest_progress p;
    cli_progress_begin(&p.hash, "clef ingest: hashing recordings", 0);
    cli_progress_begin(&p.reports, "clef ingest: reports and FHIR", 0);
    rc = clef_store_import_cohort_flags(s, dir, skip_bad ? CLEF_STORE_IMPORT_SKIP_BAD : 0, &changed,
                                        &skipped, on_progress, &p);
    cli_progress_end(&p.hash);
    cli_progress_end(&p.reports);
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
        ret = print_skipped(s, skipped);
    }
    clef_store_free(s);
    clef_ctx_free(ctx);
    return ret;
}
