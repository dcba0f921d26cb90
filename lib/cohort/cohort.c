/* cohort.c — clef_cohort_generate(): plans the cohort, synthesizes recordings on a thread pool,
 * and writes the export format of docs/COHORT-FORMAT.md, manifest last.
 * SPDX-License-Identifier: BSD-3-Clause */
#define _POSIX_C_SOURCE 200809L
#include "cohort_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int32_t clef_cohort_n_tasks(void) { return clefi_cohort_n_tasks(); }

const char *clef_cohort_task_name(int32_t i) {
    return i >= 0 && i < clefi_cohort_n_tasks() ? clefi_cohort_task_name(i) : NULL;
}

typedef struct gen {
    clef_ctx *ctx;
    clefi_cohort_cfg cfg;
    const char *dir;
    clefi_patient *patients;
    clefi_session *sessions;
    int64_t n_sessions;
    clef_ctx **tctx;   /* one ctx per worker: errors never race */
    clef_status *srcs; /* per session status of the current batch */
} gen;

static clef_status join(clef_ctx *ctx, char *out, size_t cap, const char *dir, const char *a,
                        const char *b, const char *c) {
    int n = snprintf(out, cap, "%s/%s%s%s", dir, a, b, c);
    if (n < 0 || (size_t)n >= cap)
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "cohort path '%s/%s%s' is too long", dir,
                               a, b);
    return CLEF_OK;
}

/* Rename tmp to its final name (tmp minus the ".tmp" suffix). */
static clef_status commit_tmp(clef_ctx *ctx, const char *tmp) {
    char final[4096];
    size_t n = strlen(tmp);
    if (n < 5 || n - 4 >= sizeof final)
        return clefi_ctx_error(ctx, CLEF_ERR_INTERNAL, "bad temporary name '%s'", tmp);
    memcpy(final, tmp, n - 4);
    final[n - 4] = '\0';
    if (rename(tmp, final) != 0) {
        remove(tmp);
        return clefi_ctx_error(ctx, CLEF_ERR_IO, "cannot rename '%s': %s", tmp, strerror(errno));
    }
    return CLEF_OK;
}

/* Write a buffer to dir/name through name.tmp. */
static clef_status write_file(clef_ctx *ctx, const char *dir, const char *name,
                              const clefi_sbuf *b) {
    char tmp[4096];
    clef_status rc = join(ctx, tmp, sizeof tmp, dir, name, ".tmp", "");
    if (rc != CLEF_OK)
        return rc;
    if (b->err)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot build '%s'", name);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_IO, "cannot open '%s': %s", tmp, strerror(errno));
    int bad = b->len > 0 && fwrite(b->p, 1, b->len, f) != b->len;
    bad |= fclose(f) != 0;
    if (bad) {
        remove(tmp);
        return clefi_ctx_error(ctx, CLEF_ERR_IO, "cannot write '%s'", tmp);
    }
    return commit_tmp(ctx, tmp);
}

static clef_status make_dir(clef_ctx *ctx, const char *path) {
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return clefi_ctx_error(ctx, CLEF_ERR_IO, "cannot create directory '%s': %s", path,
                               strerror(errno));
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return clefi_ctx_error(ctx, CLEF_ERR_IO, "'%s' is not a directory", path);
    return CLEF_OK;
}

static const char *ext_of(const clefi_session *s) { return s->is_bdf ? ".bdf" : ".edf"; }

/* Worker: recordings [begin, end) of the current batch. */
static void eeg_worker(void *arg, int64_t begin, int64_t end, int32_t tid) {
    gen *g = arg;
    clef_ctx *ctx = g->tctx[tid];
    for (int64_t i = begin; i < end; i++) {
        clefi_session *s = &g->sessions[i];
        char tmp[4096];
        clef_status rc = join(ctx, tmp, sizeof tmp, g->dir, "edf/", s->session_id, ext_of(s));
        if (rc == CLEF_OK && strlen(tmp) + 5 > sizeof tmp)
            rc = clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "path too long");
        if (rc == CLEF_OK) {
            strcat(tmp, ".tmp");
            rc = clefi_cohort_write_eeg(ctx, &g->cfg, &g->patients[s->patient], s, tmp);
            if (rc == CLEF_OK)
                rc = commit_tmp(ctx, tmp);
            else
                remove(tmp);
        }
        g->srcs[i] = rc;
    }
}

static clef_status write_recordings(gen *g, clefi_pool *pool, clef_cohort_progress_fn progress,
                                    void *user) {
    int64_t batch = 4 * (int64_t)clefi_pool_size(pool);
    for (int64_t b0 = 0; b0 < g->n_sessions; b0 += batch) {
        int64_t n = g->n_sessions - b0 < batch ? g->n_sessions - b0 : batch;
        gen sub = *g;
        sub.sessions = g->sessions + b0;
        sub.srcs = g->srcs + b0;
        clefi_pool_for(pool, n, eeg_worker, &sub);
        for (int64_t i = b0; i < b0 + n; i++) {
            if (g->srcs[i] != CLEF_OK) {
                const char *why = "";
                for (int32_t t = 0; t < clefi_pool_size(pool) && why[0] == '\0'; t++)
                    why = clef_ctx_errmsg(g->tctx[t]);
                return clefi_ctx_error(g->ctx, g->srcs[i], "recording %s: %s",
                                       g->sessions[i].session_id, why);
            }
        }
        if (progress != NULL && progress(b0 + n, g->n_sessions, user) != 0)
            return clefi_ctx_error(g->ctx, CLEF_ERR_CANCELLED,
                                   "cancelled by the progress callback after %lld sessions",
                                   (long long)(b0 + n));
    }
    return CLEF_OK;
}

static const char k_sex[3] = {'F', 'M', 'U'};

static clef_status write_reports_fhir(gen *g) {
    clef_status rc = CLEF_OK;
    for (int64_t i = 0; rc == CLEF_OK && i < g->n_sessions; i++) {
        const clefi_session *s = &g->sessions[i];
        clefi_sbuf b = {g->ctx, NULL, 0, 0, 0};
        clefi_cohort_report(&b, g->cfg.seed, &g->patients[s->patient], s, g->cfg.duration_s);
        char name[64];
        snprintf(name, sizeof name, "reports/%s.txt", s->session_id);
        rc = write_file(g->ctx, g->dir, name, &b);
        clefi_sbuf_free(&b);
    }
    for (int64_t i = 0; rc == CLEF_OK && i < g->cfg.n_patients; i++) {
        const clefi_patient *p = &g->patients[i];
        char tmp[4096];
        rc = join(g->ctx, tmp, sizeof tmp, g->dir, "fhir/", p->subject_id, ".xml.tmp");
        if (rc == CLEF_OK)
            rc = clefi_cohort_write_fhir(g->ctx, g->cfg.seed, p, g->sessions, g->cfg.duration_s,
                                         tmp);
        if (rc == CLEF_OK)
            rc = commit_tmp(g->ctx, tmp);
        else
            remove(tmp);
    }
    return rc;
}

static void events_csv(const gen *g, clefi_sbuf *b) {
    clefi_sbuf_printf(b, "subject_id,time,code,value\n");
    for (int64_t i = 0; i < g->cfg.n_patients; i++) {
        const clefi_patient *p = &g->patients[i];
        const clefi_session *first = &g->sessions[p->first_session];
        char t[24];
        clefi_iso8601(first->start - 365 * 86400, t);
        for (int d = 0; d < CLEFI_N_DIS; d++)
            if (p->dis[d])
                clefi_sbuf_printf(b, "%s,%s,ICD10CM/%s,\n", p->subject_id, t, clefi_dis_icd[d]);
        for (int32_t k = 0; k < p->n_sessions; k++) {
            const clefi_session *s = first + k;
            clefi_iso8601(s->start, t);
            clefi_sbuf_printf(b, "%s,%s,AGE,%.1f\n", p->subject_id, t, s->age);
            for (int m = 0; m < CLEFI_N_MED; m++)
                if (s->med[m])
                    clefi_sbuf_printf(b, "%s,%s,ATC/%s,\n", p->subject_id, t, clefi_med_atc[m]);
            if (k == 0)
                clefi_sbuf_printf(b, "%s,%s,RACE,%s\n%s,%s,SEX,%c\n", p->subject_id, t,
                                  clefi_race_code[p->race], p->subject_id, t, k_sex[p->sex]);
        }
    }
}

static clef_status tasks_csv(const gen *g, clefi_sbuf *b) {
    int8_t *lab = clefi_calloc(g->ctx, (size_t)g->n_sessions, sizeof *lab);
    if (lab == NULL)
        return clefi_ctx_error(g->ctx, CLEF_ERR_NOMEM, "cannot allocate task labels");
    clefi_sbuf_printf(b, "task,session_id,label\n");
    for (int32_t t = 0; t < clefi_cohort_n_tasks(); t++) {
        if (clefi_cohort_task_labels(g->ctx, g->cfg.seed, t, g->patients, g->sessions,
                                     g->n_sessions, lab) != CLEF_OK) {
            clefi_free(g->ctx, lab);
            return clefi_ctx_error(g->ctx, CLEF_ERR_NOMEM, "cannot match task negatives");
        }
        for (int64_t i = 0; i < g->n_sessions; i++)
            clefi_sbuf_printf(b, "%s,%s,%d\n", clefi_cohort_task_name(t), g->sessions[i].session_id,
                              (int)lab[i]);
    }
    clefi_free(g->ctx, lab);
    return CLEF_OK;
}

static void small_csvs(const gen *g, clefi_sbuf *splits, clefi_sbuf *truth, clefi_sbuf *manifest,
                       clefi_sbuf *json) {
    static const char *const split_name[3] = {"train", "val", "test"};
    clefi_sbuf_printf(splits, "subject_id,split\n");
    for (int64_t i = 0; i < g->cfg.n_patients; i++)
        clefi_sbuf_printf(splits, "%s,%s\n", g->patients[i].subject_id,
                          split_name[g->patients[i].split]);
    clefi_sbuf_printf(truth, "session_id,finding,present\n");
    clefi_sbuf_printf(
        manifest, "session_id,subject_id,path,sha256,start_time,duration_s,age_years,sex,race\n");
    for (int64_t i = 0; i < g->n_sessions; i++) {
        const clefi_session *s = &g->sessions[i];
        const clefi_patient *p = &g->patients[s->patient];
        for (int f = 0; f < CLEFI_N_FIND; f++)
            clefi_sbuf_printf(truth, "%s,%s,%d\n", s->session_id, clefi_find_name[f],
                              (int)s->find[f]);
        char t[24];
        clefi_iso8601(s->start, t);
        clefi_sbuf_printf(manifest, "%s,%s,edf/%s%s,%s,%s,%.0f,%.1f,%c,%s\n", s->session_id,
                          p->subject_id, s->session_id, ext_of(s), s->sha256, t, g->cfg.duration_s,
                          s->age, k_sex[p->sex], clefi_race_code[p->race]);
    }
    const clefi_cohort_cfg *c = &g->cfg;
    clefi_sbuf_printf(json,
                      "{\n  \"generator\": \"libclef synthetic cohort\",\n  \"version\": \"%s\",\n"
                      "  \"format\": \"docs/COHORT-FORMAT.md\",\n  \"seed\": %llu,\n"
                      "  \"n_patients\": %lld,\n  \"max_sessions\": %d,\n  \"n_sessions\": %lld,\n"
                      "  \"duration_s\": %.0f,\n  \"frac_missing\": %.6g,\n  \"frac_mv\": %.6g,\n"
                      "  \"frac_bdf\": %.6g,\n  \"frac_artifact\": %.6g,\n  \"n_tasks\": %d\n}\n",
                      CLEF_VERSION_STRING, (unsigned long long)c->seed, (long long)c->n_patients,
                      (int)c->max_sessions, (long long)g->n_sessions, c->duration_s,
                      c->frac_missing, c->frac_mv, c->frac_bdf, c->frac_artifact,
                      (int)clefi_cohort_n_tasks());
}

static clef_status write_tables(gen *g) {
    clefi_sbuf ev = {g->ctx, NULL, 0, 0, 0}, ta = {g->ctx, NULL, 0, 0, 0};
    clefi_sbuf sp = {g->ctx, NULL, 0, 0, 0}, tr = {g->ctx, NULL, 0, 0, 0};
    clefi_sbuf ma = {g->ctx, NULL, 0, 0, 0}, js = {g->ctx, NULL, 0, 0, 0};
    events_csv(g, &ev);
    clef_status rc = tasks_csv(g, &ta);
    small_csvs(g, &sp, &tr, &ma, &js);
    if (rc == CLEF_OK)
        rc = write_file(g->ctx, g->dir, "events.csv", &ev);
    if (rc == CLEF_OK)
        rc = write_file(g->ctx, g->dir, "tasks.csv", &ta);
    if (rc == CLEF_OK)
        rc = write_file(g->ctx, g->dir, "splits.csv", &sp);
    if (rc == CLEF_OK)
        rc = write_file(g->ctx, g->dir, "truth.csv", &tr);
    if (rc == CLEF_OK)
        rc = write_file(g->ctx, g->dir, "cohort.json", &js);
    if (rc == CLEF_OK) /* last: its presence marks a complete cohort */
        rc = write_file(g->ctx, g->dir, "manifest.csv", &ma);
    clefi_sbuf *all[6] = {&ev, &ta, &sp, &tr, &ma, &js};
    for (int k = 0; k < 6; k++)
        clefi_sbuf_free(all[k]);
    return rc;
}

static clef_status read_cfg(clef_ctx *ctx, const clef_params *params, clefi_cohort_cfg *cfg) {
    clef_params *def = NULL;
    if (params == NULL) {
        clef_status rc = clef_params_create(&def, ctx, CLEF_PARAMS_COHORT);
        if (rc != CLEF_OK)
            return rc;
        params = def;
    } else if (clef_params_kind(params) != CLEF_PARAMS_COHORT) {
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                               "cohort parameters have kind %d, want CLEF_PARAMS_COHORT",
                               (int)clef_params_kind(params));
    }
    cfg->seed = (uint64_t)clefi_params_i64(params, CLEF_P_COHORT_SEED);
    cfg->n_patients = clefi_params_i64(params, CLEF_P_COHORT_N_PATIENTS);
    cfg->max_sessions = (int32_t)clefi_params_i64(params, CLEF_P_COHORT_MAX_SESSIONS);
    cfg->duration_s = floor(clefi_params_f64(params, CLEF_P_COHORT_DURATION_S) + 0.5);
    cfg->frac_missing = clefi_params_f64(params, CLEF_P_COHORT_FRAC_MISSING);
    cfg->frac_mv = clefi_params_f64(params, CLEF_P_COHORT_FRAC_MV);
    cfg->frac_bdf = clefi_params_f64(params, CLEF_P_COHORT_FRAC_BDF);
    cfg->frac_artifact = clefi_params_f64(params, CLEF_P_COHORT_FRAC_ARTIFACT);
    clef_params_free(def);
    return CLEF_OK;
}

static clef_status prepare_dirs(clef_ctx *ctx, const char *dir) {
    char p[4096];
    static const char *const subs[3] = {"edf", "reports", "fhir"};
    clef_status rc = make_dir(ctx, dir);
    for (int k = 0; rc == CLEF_OK && k < 3; k++) {
        rc = join(ctx, p, sizeof p, dir, subs[k], "", "");
        if (rc == CLEF_OK)
            rc = make_dir(ctx, p);
    }
    /* A stale manifest would claim an interrupted regeneration complete. */
    if (rc == CLEF_OK)
        rc = join(ctx, p, sizeof p, dir, "manifest.csv", "", "");
    if (rc == CLEF_OK && remove(p) != 0 && errno != ENOENT)
        rc = clefi_ctx_error(ctx, CLEF_ERR_IO, "cannot remove stale '%s'", p);
    return rc;
}

static void free_gen(gen *g) {
    if (g->tctx != NULL)
        for (int32_t t = 0; t < g->cfg.n_threads; t++)
            clef_ctx_free(g->tctx[t]);
    clefi_free(g->ctx, g->tctx);
    clefi_free(g->ctx, g->srcs);
    clefi_free(g->ctx, g->sessions);
    clefi_free(g->ctx, g->patients);
}

/* The generation proper, on a private ctx (errors) and the session's pool (threads). */
static clef_status generate(clef_ctx *ctx, clefi_pool *pool, const clef_params *params,
                            const char *out_dir, clef_cohort_progress_fn progress, void *user) {
    if (out_dir == NULL || out_dir[0] == '\0')
        return clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG, "cohort output directory is empty");
    gen g;
    memset(&g, 0, sizeof g);
    g.ctx = ctx;
    g.dir = out_dir;
    clef_status rc = read_cfg(ctx, params, &g.cfg);
    if (rc != CLEF_OK)
        return rc;
    g.cfg.n_threads = clefi_pool_size(pool);
    size_t n_max;
    if (clefi_mul_overflow((size_t)g.cfg.n_patients, (size_t)g.cfg.max_sessions, &n_max))
        return clefi_ctx_error(ctx, CLEF_ERR_OVERFLOW, "cohort size overflows");
    if ((rc = prepare_dirs(ctx, out_dir)) != CLEF_OK)
        return rc;
    g.patients = clefi_calloc(ctx, (size_t)g.cfg.n_patients, sizeof *g.patients);
    g.sessions = clefi_calloc(ctx, n_max, sizeof *g.sessions);
    g.srcs = clefi_calloc(ctx, n_max, sizeof *g.srcs);
    g.tctx = clefi_calloc(ctx, (size_t)g.cfg.n_threads, sizeof *g.tctx);
    if (g.patients == NULL || g.sessions == NULL || g.srcs == NULL || g.tctx == NULL) {
        free_gen(&g);
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "cannot allocate a cohort of %lld patients",
                               (long long)g.cfg.n_patients);
    }
    for (int32_t t = 0; t < g.cfg.n_threads && rc == CLEF_OK; t++)
        rc = clef_ctx_create_with_allocator(&g.tctx[t], ctx->alloc.malloc_fn, ctx->alloc.realloc_fn,
                                            ctx->alloc.free_fn, ctx->alloc.user);
    if (rc != CLEF_OK) {
        free_gen(&g);
        return clefi_ctx_error(ctx, rc, "cannot start %d cohort workers", (int)g.cfg.n_threads);
    }
    clefi_cohort_sample(&g.cfg, g.patients, g.sessions, &g.n_sessions);
    rc = write_recordings(&g, pool, progress, user);
    if (rc == CLEF_OK)
        rc = write_reports_fhir(&g);
    if (rc == CLEF_OK)
        rc = write_tables(&g);
    free_gen(&g);
    return rc;
}

clef_status clef_cohort_generate(clef_session *s, const clef_params *params, const char *out_dir,
                                 clef_cohort_progress_fn progress, void *user) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    clef_ctx *ctx = NULL;
    clef_status rc = clefi_ctx_clone(&ctx, s->ctx);
    if (rc != CLEF_OK)
        return clefi_session_error(s, rc, "cohort: cannot create a context");
    rc = generate(ctx, s->pool, params, out_dir, progress, user);
    if (rc != CLEF_OK)
        clefi_session_error(s, rc, "%s",
                            clef_ctx_errmsg(ctx)[0] ? clef_ctx_errmsg(ctx) : clef_strerror(rc));
    clef_ctx_free(ctx);
    return rc;
}
