/* cmd_report.c — clef report: one self-contained HTML page on a store (docs/report.md): the
 * evaluation of each model (band power, encoder, aligned) per task with CIs, per category and
 * as ROC curves; zero-shot scores of findings; and per-session sections (the spectrogram beside
 * its token reconstruction, the report's de-identified summary and findings, the predictions). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_category.h"
#include "cli_html.h"
#include "cli_rows.h"
#include "cli_session.h"
#include "cli_text.h"

enum { RP_MAX_PROMPTS = 32, RP_MODELS = 3 };

typedef struct rp_opts {
    const char *store, *out, *tok, *enc, *al, *text;
    const char *prompt_v[RP_MAX_PROMPTS];
    int n_prompts;
    int64_t n_sessions, threads, n_boot;
    char path[3][4096]; /* the defaults' paths, when taken */
} rp_opts;

static const char k_usage[] =
    "usage: clef report --store DB -o|--out REPORT.html [-t TOKENIZER] [-w ENCODER]\n"
    "                   [-a ALIGNER] [--prompt TASK=TEXT]... [--sessions N] [--bootstrap N]\n"
    "                   [--text DIR] [--threads T]\n\n"
    "Write one self-contained HTML page on a store (docs/report.md; no network, no script):\n"
    "the cohort; a linear probe per task (test AUROC, 95% bootstrap CI, best in bold) for\n"
    "the band-power baseline, the encoder's embeddings (clef embed --store -w ENCODER) and\n"
    "the aligned ones (clef embed --store -a ALIGNER); means per category; ROC curves;\n"
    "zero-shot AUROCs of findings from text prompts (--prompt TASK=TEXT, repeatable; default\n"
    "three feat_ findings); and N sessions of the test split (default 4): the spectrogram\n"
    "beside its reconstruction from the tokens, the report's de-identified summary with its\n"
    "findings, each model's probe prediction per task and the zero-shot scores. Without -t,\n"
    "-w, -a: the shipped default models (docs/models.md). A model whose embeddings the store\n"
    "lacks is listed as such; the band-power embeddings are computed when missing.\n";

static const char *const k_default_prompts[] = {"feat_excess_beta=excess beta activity",
                                                "feat_burst_suppression=burst suppression",
                                                "feat_focal_slowing=focal slowing"};

static int rp_parse(int argc, char **argv, rp_opts *o, int *code) {
    memset(o, 0, sizeof *o);
    o->n_sessions = 4;
    o->threads = 1;
    o->n_boot = 1000;
    cli_list prompts = {o->prompt_v, 0, RP_MAX_PROMPTS};
    const cli_opt opts[] = {CLI_STR("--store", NULL, &o->store, 1),
                            CLI_OUT(&o->out, 1),
                            CLI_STR("--tokenizer", "-t", &o->tok, 0),
                            CLI_STR("--encoder", "-w", &o->enc, 0),
                            CLI_STR("--aligner", "-a", &o->al, 0),
                            CLI_STRS("--prompt", &prompts),
                            CLI_I64("--sessions", &o->n_sessions, 0, 1000),
                            CLI_I64("--bootstrap", &o->n_boot, 2, 1000000),
                            CLI_STR("--text", NULL, &o->text, 0),
                            CLI_I64("--threads", &o->threads, 1, 256),
                            CLI_END};
    const cli_cmd cmd = {"report", k_usage, opts};
    if (cli_parse(&cmd, argc, argv, code) != 0)
        return 1;
    o->n_prompts = prompts.n;
    for (int i = 0; i < o->n_prompts; i++)
        if (strchr(o->prompt_v[i], '=') == NULL) {
            *code = cli_usage_error("report", "--prompt: TASK=TEXT, e.g. "
                                              "feat_focal_slowing=focal slowing");
            return 1;
        }
    if (o->n_prompts == 0) {
        o->n_prompts = 3;
        for (int i = 0; i < 3; i++)
            o->prompt_v[i] = k_default_prompts[i];
    }
    return 0;
}

/* ---- what the page shows, gathered first ---- */

typedef struct rp_model {
    const char *name, *colour, *path;
    char hash[65];
    clef_eval *ev; /* NULL when not evaluated */
    char why[512]; /* why not */
} rp_model;

typedef struct rp_zs {
    char task[128];
    const char *text;
    double auc, lo, hi;
    int64_t n_pos, n_neg;
    char why[512]; /* empty when scored */
    float *score;  /* [n_test] every test session's score, or NULL */
    int scored;    /* score holds them */
} rp_zs;

typedef struct rp_data {
    clef_ctx *ctx;
    clef_session *sess;
    clef_store *st;
    rp_model model[RP_MODELS];
    int64_t n_tasks;
    char (*task)[128];
    int64_t n_test;
    char (*test_id)[128];
    int32_t *label; /* [n_tasks][n_test]: 0/1, -1 excluded, -2 not listed */
    rp_zs zs[RP_MAX_PROMPTS];
    int n_zs;
    char zs_why[512]; /* why no zero-shot at all, or "" */
} rp_data;

/* The default model of kind when path is NULL (into buf). */
static const char *model_path(rp_data *d, const char *path, int32_t kind, char *buf) {
    if (path != NULL)
        return path;
    return clef_default_model_path(d->ctx, kind, buf, 4096, NULL) == CLEF_OK ? buf : NULL;
}

static void copy_msg(char *dst, const char *a, const char *b) {
    snprintf(dst, 512, "%s%s", a, b != NULL ? b : "");
}

/* Evaluate model m: its embeddings under its hash, one probe per task. */
static void eval_model(rp_data *d, rp_model *m, const rp_opts *o) {
    clef_status rc = clef_eval_create(&m->ev, d->ctx);
    if (rc == CLEF_OK)
        rc = clef_eval_set_bootstrap(m->ev, o->n_boot, 0, 0.95);
    char label[96];
    snprintf(label, sizeof label, "clef report: probes (%s)", m->name);
    cli_progress bar;
    cli_progress_begin(&bar, label, 0);
    if (rc == CLEF_OK)
        rc = clef_eval_run_store(m->ev, d->st, CLEF_ARTIFACT_EMBEDDING, m->hash,
                                 cli_progress_item_cb, &bar);
    cli_progress_end(&bar);
    if (rc != CLEF_OK) {
        copy_msg(m->why, "not evaluated: ", m->ev != NULL ? clef_eval_errmsg(m->ev) : "no memory");
        clef_eval_free(m->ev);
        m->ev = NULL;
    }
}

static int gather_models(rp_data *d, const rp_opts *o, char bufs[3][4096]) {
    rp_model *m = d->model;
    m[0] = (rp_model){.name = "band power", .colour = "#7f7f7f", .path = "(baseline)"};
    m[1] = (rp_model){.name = "encoder", .colour = "#1f77b4"};
    m[2] = (rp_model){.name = "aligned", .colour = "#d62728"};
    snprintf(m[0].hash, sizeof m[0].hash, "%s", clef_bandpower_model_hash());
    m[1].path = model_path(d, o->enc, CLEF_MODEL_ENCODER, bufs[1]);
    m[2].path = model_path(d, o->al, CLEF_MODEL_ALIGNER, bufs[2]);
    /* band power: computed here when missing (a resumable job), as clef evaluate does */
    cli_progress bar;
    cli_progress_begin(&bar, "clef report: band-power embeddings", 0);
    clef_status rc =
        clef_bandpower_job_run(d->ctx, d->st, 0.0, 0, NULL, cli_progress_item_cb, &bar);
    cli_progress_end(&bar);
    if (rc != CLEF_OK)
        return cli_fail("report: band power", rc, clef_ctx_errmsg(d->ctx));
    for (int k = 0; k < RP_MODELS; k++) {
        if (m[k].path == NULL) {
            copy_msg(m[k].why, "no weights: ", clef_ctx_errmsg(d->ctx));
            continue;
        }
        if (k > 0 &&
            (rc = clef_encoder_model_hash(d->ctx, m[k].path, m[k].hash, 65, NULL)) != CLEF_OK) {
            copy_msg(m[k].why, "cannot read the weights: ", clef_ctx_errmsg(d->ctx));
            continue;
        }
        eval_model(d, &m[k], o);
    }
    return 0;
}

/* The store's tasks, the test split's sessions and every (task, session) label. */
static int gather_labels(rp_data *d) {
    clef_store *st = d->st;
    clef_status rc = clef_store_count(st, CLEF_STORE_TASKS, &d->n_tasks);
    if (rc == CLEF_OK)
        rc = clef_store_split_count(st, CLEF_SPLIT_TEST, &d->n_test);
    if (rc != CLEF_OK)
        return cli_fail("report", rc, clef_store_errmsg(st));
    d->task = calloc((size_t)d->n_tasks + 1, sizeof *d->task);
    d->test_id = calloc((size_t)d->n_test + 1, sizeof *d->test_id);
    d->label = malloc((size_t)(d->n_tasks * d->n_test + 1) * sizeof *d->label);
    if (d->task == NULL || d->test_id == NULL || d->label == NULL)
        return cli_fail("report", CLEF_ERR_NOMEM, NULL);
    for (int64_t t = 0; rc == CLEF_OK && t < d->n_tasks; t++)
        rc = clef_store_task_name(st, t, d->task[t], sizeof d->task[t], NULL);
    for (int64_t i = 0; rc == CLEF_OK && i < d->n_test; i++)
        rc = clef_store_split_session(st, CLEF_SPLIT_TEST, i, d->test_id[i], sizeof d->test_id[i],
                                      NULL);
    for (int64_t t = 0; rc == CLEF_OK && t < d->n_tasks; t++)
        for (int64_t i = 0; rc == CLEF_OK && i < d->n_test; i++) {
            int32_t *l = &d->label[t * d->n_test + i];
            rc = clef_store_session_label(st, d->test_id[i], d->task[t], l);
            if (rc == CLEF_ERR_NOT_FOUND) {
                *l = -2;
                rc = CLEF_OK;
            }
        }
    return rc != CLEF_OK ? cli_fail("report", rc, clef_store_errmsg(st)) : 0;
}

/* Zero-shot: each prompt's scores on the test split, and its task's AUROC. */
static void gather_zeroshot(rp_data *d, const rp_opts *o) {
    const rp_model *enc = &d->model[1];
    clef_aligner *al = NULL;
    clef_text_encoder *te = NULL;
    cli_rows all = {0};
    if (enc->ev == NULL || d->model[2].path == NULL) {
        copy_msg(d->zs_why, "needs the encoder's embeddings and an aligner", "");
        return;
    }
    clef_status rc = clef_aligner_load(&al, d->ctx, d->model[2].path);
    if (rc != CLEF_OK) {
        copy_msg(d->zs_why, "cannot load the aligner: ", clef_ctx_errmsg(d->ctx));
        return;
    }
    if (cli_aligner_matches(al, enc->hash, d->model[2].path) != 0)
        copy_msg(d->zs_why, "the aligner was trained on another encoder", "");
    else if (cli_text_encoder(d->ctx, o->text, &te) != 0)
        copy_msg(d->zs_why, "no text encoder (tools/install_deps.sh fetches it; --text DIR)", "");
    else if ((rc = cli_rows_split(d->st, enc->hash, CLEF_SPLIT_TEST, &all)) != CLEF_OK)
        copy_msg(d->zs_why, "test split embeddings: ", clef_store_errmsg(d->st));
    for (int p = 0; d->zs_why[0] == '\0' && p < o->n_prompts; p++) {
        rp_zs *z = &d->zs[d->n_zs++];
        const char *eq = strchr(o->prompt_v[p], '=');
        snprintf(z->task, sizeof z->task, "%.*s", (int)(eq - o->prompt_v[p]), o->prompt_v[p]);
        z->text = eq + 1;
        z->auc = z->lo = z->hi = NAN;
        z->score = malloc((size_t)all.n * sizeof *z->score + 1);
        cli_rows rows = {0};
        float *s = NULL;
        double *sd = NULL;
        rc = z->score == NULL ? CLEF_ERR_NOMEM
                              : clef_aligner_score_text(al, d->sess, te, all.x, all.n, all.dim,
                                                        z->text, z->score, (size_t)all.n);
        z->scored = rc == CLEF_OK;
        if (rc == CLEF_OK)
            rc = cli_rows_task(d->st, enc->hash, CLEF_SPLIT_TEST, z->task, &rows);
        if (rc == CLEF_OK && ((s = malloc((size_t)rows.n * sizeof *s + 1)) == NULL ||
                              (sd = malloc((size_t)rows.n * sizeof *sd + 1)) == NULL))
            rc = CLEF_ERR_NOMEM;
        if (rc == CLEF_OK)
            rc = clef_aligner_score_text(al, d->sess, te, rows.x, rows.n, rows.dim, z->text, s,
                                         (size_t)rows.n);
        for (int64_t i = 0; rc == CLEF_OK && i < rows.n; i++) {
            sd[i] = s[i];
            z->n_pos += rows.y[i];
        }
        z->n_neg = rows.n - z->n_pos;
        if (rc == CLEF_OK)
            rc = clef_auroc(d->ctx, sd, rows.y, (size_t)rows.n, &z->auc);
        if (rc == CLEF_OK)
            rc = clef_auroc_ci(d->ctx, sd, rows.y, (size_t)rows.n, o->n_boot, 0, 0.95, &z->lo,
                               &z->hi);
        if (rc != CLEF_OK)
            copy_msg(z->why, "no AUROC: ",
                     clef_session_errmsg(d->sess)[0] ? clef_session_errmsg(d->sess)
                                                     : clef_ctx_errmsg(d->ctx));
        free(s);
        free(sd);
        cli_rows_free(&rows);
    }
    cli_rows_free(&all);
    clef_text_encoder_free(te);
    clef_aligner_free(al);
}

/* ---- the page ---- */

static const char k_css[] =
    "body{font-family:sans-serif;margin:24px;max-width:1240px;color:#222}"
    "h1{font-size:22px}h2{font-size:18px;margin-top:32px;padding-left:8px}"
    "h3{font-size:15px}table{border-collapse:collapse;font-size:13px;margin:8px 0}"
    "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
    "td:first-child,th:first-child{text-align:left}.muted{color:#888}"
    ".rocs svg{margin:2px}.fig{float:left;margin:0 16px 8px 0}.fig img{width:640px;height:auto}"
    ".legend span{display:inline-block;width:14px;height:4px;margin:0 4px 3px 10px}"
    "pre{white-space:pre-wrap;background:#f6f6f6;padding:6px;font-size:12px}"
    "section.session{border-top:1px solid #ddd;margin-top:16px;overflow:hidden}"
    "h2{clear:both}";

/* Section headings carry a colour bar each, which the browser test finds in the screenshot. */
static const struct {
    const char *id, *title, *colour;
} k_sections[] = {{"overview", "Cohort and models", "#e41a1c"},
                  {"evaluation", "Evaluation: test AUROC per task", "#377eb8"},
                  {"categories", "Per category", "#4daf4a"},
                  {"roc", "ROC curves", "#984ea3"},
                  {"zeroshot", "Zero-shot", "#ff7f00"},
                  {"sessions", "Sessions", "#a65628"},
                  {"end", "End of report", "#f781bf"}};

static void heading(FILE *f, int k) {
    fprintf(f, "<h2 id=\"%s\" style=\"border-left:24px solid %s\">%s</h2>\n", k_sections[k].id,
            k_sections[k].colour, k_sections[k].title);
}

static void write_overview(FILE *f, const rp_data *d, const rp_opts *o) {
    heading(f, 0);
    int64_t n[3] = {0, 0, 0};
    (void)clef_store_count(d->st, CLEF_STORE_PATIENTS, &n[0]);
    (void)clef_store_count(d->st, CLEF_STORE_SESSIONS, &n[1]);
    (void)clef_store_count(d->st, CLEF_STORE_REPORTS, &n[2]);
    int64_t sp[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++)
        (void)clef_store_split_count(d->st, CLEF_SPLIT_TRAIN + k, &sp[k]);
    fputs("<p>Store <code>", f);
    cli_html_text(f, o->store);
    fprintf(f,
            "</code>: %lld patients, %lld sessions (train %lld, val %lld, test %lld), %lld "
            "reports, %lld tasks.</p>\n<table><tr><th>model</th><th>weights</th><th>model "
            "hash</th><th>status</th></tr>\n",
            (long long)n[0], (long long)n[1], (long long)sp[0], (long long)sp[1], (long long)sp[2],
            (long long)n[2], (long long)d->n_tasks);
    for (int k = 0; k < RP_MODELS; k++) {
        const rp_model *m = &d->model[k];
        fprintf(f, "<tr><td>%s</td><td>", m->name);
        cli_html_text(f, m->path != NULL ? m->path : "-");
        fprintf(f, "</td><td><code>%.16s</code></td><td>", m->hash);
        cli_html_text(f, m->ev != NULL ? "evaluated" : m->why);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n<p class=\"muted\">Linear probes fitted on the train split with C chosen "
          "on val; test AUROC with a 95% bootstrap CI (docs/evaluation.md).</p>\n",
          f);
}

/* Task t's AUROC and CI for model k; NaN when not evaluated. */
static double task_auc(const rp_data *d, int k, int64_t t, double *lo, double *hi) {
    int32_t status = -1;
    double auc = NAN;
    *lo = *hi = NAN;
    if (d->model[k].ev == NULL ||
        clef_eval_task_result(d->model[k].ev, t, &status, NULL, NULL, NULL, &auc, lo, hi, NULL) !=
            CLEF_OK ||
        status != CLEF_OK)
        return NAN;
    return auc;
}

static void write_evaluation(FILE *f, const rp_data *d) {
    heading(f, 1);
    fputs("<table><tr><th>task</th>", f);
    for (int k = 0; k < RP_MODELS; k++)
        fprintf(f, "<th>%s</th>", d->model[k].name);
    fputs("</tr>\n", f);
    for (int64_t t = 0; t < d->n_tasks; t++) {
        double auc[RP_MODELS], lo[RP_MODELS], hi[RP_MODELS], best = -1;
        for (int k = 0; k < RP_MODELS; k++) {
            auc[k] = task_auc(d, k, t, &lo[k], &hi[k]);
            if (auc[k] > best)
                best = auc[k];
        }
        fprintf(f, "<tr><td>%s</td>", d->task[t]);
        for (int k = 0; k < RP_MODELS; k++) {
            if (isnan(auc[k]))
                fputs("<td class=\"muted\">-</td>", f);
            else
                cli_fprintf_c(f, "<td>%s%.3f [%.3f, %.3f]%s</td>", auc[k] == best ? "<b>" : "",
                              auc[k], lo[k], hi[k], auc[k] == best ? "</b>" : "");
        }
        fputs("</tr>\n", f);
    }
    fputs("<tr><th>mean</th>", f);
    for (int k = 0; k < RP_MODELS; k++) {
        double mean = NAN;
        int64_t n = 0;
        if (d->model[k].ev != NULL && clef_eval_mean_auroc(d->model[k].ev, &mean, &n) == CLEF_OK)
            cli_fprintf_c(f, "<th>%.3f (%lld tasks)</th>", mean, (long long)n);
        else
            fputs("<th class=\"muted\">-</th>", f);
    }
    fputs("</tr></table>\n<p class=\"muted\">- : a split lacks a class, or the model was not "
          "evaluated. Best of each row in bold.</p>\n",
          f);
}

/* One category row (prefix NULL: all tasks): each model's mean AUROC with its bootstrap CI
 * (clef_eval_mean_ci), then each model's paired difference from band power (model 0). */
static void category_row(FILE *f, const rp_data *d, const char *label, const char *prefix) {
    fprintf(f, "<tr><td>%s</td>", label);
    for (int k = 0; k < RP_MODELS; k++) {
        double m, lo, hi;
        int64_t n = 0;
        clef_eval *ev = d->model[k].ev;
        if (ev != NULL && clef_eval_mean_ci(ev, prefix, &m, &lo, &hi, &n) == CLEF_OK)
            cli_fprintf_c(f, "<td>%.3f [%.3f, %.3f] (%lld)</td>", m, lo, hi, (long long)n);
        else
            fputs("<td class=\"muted\">-</td>", f);
    }
    for (int k = 1; k < RP_MODELS; k++) {
        double m, lo, hi;
        clef_eval *ev = d->model[k].ev, *base = d->model[0].ev;
        if (ev != NULL && base != NULL &&
            clef_eval_compare(ev, base, prefix, &m, &lo, &hi, NULL) == CLEF_OK)
            cli_fprintf_c(f, "<td>%s%+.3f [%+.3f, %+.3f]%s</td>", lo > 0.0 || hi < 0.0 ? "<b>" : "",
                          m, lo, hi, lo > 0.0 || hi < 0.0 ? "</b>" : "");
        else
            fputs("<td class=\"muted\">-</td>", f);
    }
    fputs("</tr>\n", f);
}

/* Categories: the task name's prefix up to its first '_' (dis, med, feat). */
static void write_categories(FILE *f, const rp_data *d) {
    heading(f, 2);
    fputs("<table><tr><th>category</th>", f);
    for (int k = 0; k < RP_MODELS; k++)
        fprintf(f, "<th>%s</th>", d->model[k].name);
    for (int k = 1; k < RP_MODELS; k++)
        fprintf(f, "<th>%s &minus; %s</th>", d->model[k].name, d->model[0].name);
    fputs("</tr>\n", f);
    category_row(f, d, "all", NULL);
    cli_categories cat = {.n = 0};
    for (int64_t t = 0; t < d->n_tasks; t++)
        cli_categories_add(&cat, d->task[t]);
    for (int64_t j = 0; j < cat.n; j++)
        category_row(f, d, cat.name[j], cat.name[j]);
    fputs("</table><p class=\"muted\">Mean test AUROC over a category's evaluated tasks with a "
          "bootstrap 95 % CI that resamples every task's test sessions (the task count); the "
          "last columns: the difference from band power over the tasks evaluated in both, "
          "with a paired bootstrap CI (the same test sessions drawn for both), in bold when it "
          "excludes 0 (docs/evaluation.md).</p>\n",
          f);
}

static int write_rocs(FILE *f, const rp_data *d) {
    heading(f, 3);
    fputs("<p class=\"legend\">", f);
    for (int k = 0; k < RP_MODELS; k++)
        fprintf(f, "<span style=\"background:%s\"></span>%s", d->model[k].colour, d->model[k].name);
    fputs("</p><div class=\"rocs\">\n", f);
    int rc = 0, drawn = 0;
    for (int64_t t = 0; rc == 0 && t < d->n_tasks; t++) {
        cli_roc c[RP_MODELS];
        int nc = 0;
        for (int k = 0; rc == 0 && k < RP_MODELS; k++) {
            size_t n = 0;
            if (d->model[k].ev == NULL || clef_eval_task_scores(d->model[k].ev, t, NULL, NULL, 0,
                                                                &n) != CLEF_ERR_BUFFER_TOO_SMALL)
                continue;
            double *s = malloc(n * sizeof *s + 1);
            int32_t *y = malloc(n * sizeof *y + 1);
            if (s == NULL || y == NULL ||
                clef_eval_task_scores(d->model[k].ev, t, s, y, n, NULL) != CLEF_OK) {
                free(s);
                free(y);
                rc = -1;
                break;
            }
            c[nc++] = (cli_roc){s, y, n, d->model[k].colour};
        }
        if (rc == 0 && nc > 0) {
            rc = cli_html_roc_svg(f, d->task[t], c, nc, 150);
            drawn++;
        }
        for (int k = 0; k < nc; k++) {
            free((void *)c[k].score);
            free((void *)c[k].label);
        }
    }
    fputs(drawn ? "</div>\n"
                : "</div><p class=\"muted\">None: no task has both classes in each split.</p>\n",
          f);
    return rc != 0 ? cli_fail("report: ROC curves", CLEF_ERR_NOMEM, NULL) : 0;
}

static void write_zeroshot(FILE *f, const rp_data *d) {
    heading(f, 4);
    if (d->zs_why[0] != '\0') {
        fputs("<p class=\"muted\">Not available: ", f);
        cli_html_text(f, d->zs_why);
        fputs("</p>\n", f);
        return;
    }
    fputs("<p>Each test session's aligned embedding against the prompt's (cosine, "
          "docs/aligner.md), no training on the task; the AUROC over the task's labelled test "
          "sessions.</p>\n<table><tr><th>task</th><th>prompt</th><th>zero-shot AUROC</th>"
          "<th>positive / negative</th></tr>\n",
          f);
    for (int p = 0; p < d->n_zs; p++) {
        const rp_zs *z = &d->zs[p];
        fprintf(f, "<tr><td>%s</td><td>\"", z->task);
        cli_html_text(f, z->text);
        fputs("\"</td>", f);
        if (z->why[0] != '\0') {
            fputs("<td class=\"muted\">", f);
            cli_html_text(f, z->why);
            fputs("</td><td></td></tr>\n", f);
        } else {
            cli_fprintf_c(f, "<td>%.3f [%.3f, %.3f]</td><td>%lld / %lld</td></tr>\n", z->auc, z->lo,
                          z->hi, (long long)z->n_pos, (long long)z->n_neg);
        }
    }
    fputs("</table>\n", f);
}

/* Probability of model k for test session i on task t (NaN unless labelled and scored): the
 * task's test rows are its labelled test sessions in session-id order. */
static double session_prob(const rp_data *d, int k, int64_t t, int64_t i) {
    const int32_t *l = &d->label[t * d->n_test];
    if (d->model[k].ev == NULL || (l[i] != 0 && l[i] != 1))
        return NAN;
    size_t row = 0, n = 0;
    for (int64_t j = 0; j < i; j++)
        row += l[j] == 0 || l[j] == 1;
    if (clef_eval_task_scores(d->model[k].ev, t, NULL, NULL, 0, &n) != CLEF_ERR_BUFFER_TOO_SMALL ||
        row >= n)
        return NAN;
    double *s = malloc(n * sizeof *s);
    double p = NAN;
    if (s != NULL && clef_eval_task_scores(d->model[k].ev, t, s, NULL, n, NULL) == CLEF_OK)
        p = s[row];
    free(s);
    return p;
}

/* The spectrogram beside its token reconstruction, as an inline PNG. */
static void write_recon(FILE *f, rp_data *d, const clef_tokenizer *tok, const clef_spectrogram *sg,
                        const char *path) {
    int64_t n_tok = clef_tokenizer_n_tokens(tok), frames = 0;
    int32_t *ids = malloc((size_t)n_tok * sizeof *ids);
    float *spec = NULL;
    uint32_t present = 0;
    clef_recording *rec = NULL;
    clef_status rc = ids == NULL ? CLEF_ERR_NOMEM : clef_recording_open(&rec, d->ctx, path, NULL);
    if (rc == CLEF_OK)
        rc = clef_tokenizer_encode_recording(tok, d->sess, sg, rec, ids, (size_t)n_tok, NULL,
                                             &present);
    clef_recording_free(rec);
    cli_canvas fig = {0};
    double mae = 0;
    uint8_t *png = NULL;
    size_t n_png = 0;
    int ok =
        rc == CLEF_OK &&
        cli_session_spectrogram(d->ctx, d->sess, sg, path, clef_tokenizer_read_seconds(tok, sg),
                                &spec, &frames, &present) == 0 &&
        cli_recon_figure(d->sess, tok, sg, ids, (size_t)n_tok, spec, frames, present, &fig, &mae) ==
            0 &&
        cli_png_encode(&fig, &png, &n_png) == 0;
    if (ok) {
        fputs("<div class=\"fig\">", f);
        cli_html_png(f, png, n_png, "spectrogram and its reconstruction from the tokens");
        cli_fprintf_c(f,
                      "</div><p class=\"muted\">Multitaper spectrogram (19 channels, dB) and its "
                      "reconstruction from the session's tokens: MAE %.2f dB.</p>\n",
                      mae);
    } else {
        fputs("<p class=\"muted\">No spectrogram: ", f);
        cli_html_text(f, rc != CLEF_OK ? clef_session_errmsg(d->sess) : "see the messages");
        fputs("</p>\n", f);
    }
    free(png);
    cli_canvas_free(&fig);
    free(spec);
    free(ids);
}

static void write_summary(FILE *f, rp_data *d, const char *sid) {
    size_t need = 0;
    char *text = NULL, *sum = NULL;
    int32_t n_find = clef_report_n_findings();
    int32_t *status = calloc((size_t)n_find, sizeof *status);
    clef_status rc = clef_store_report_text(d->st, sid, NULL, 0, &need);
    if (rc == CLEF_ERR_BUFFER_TOO_SMALL && (text = malloc(need)) != NULL)
        rc = clef_store_report_text(d->st, sid, text, need, NULL);
    size_t sneed = 0;
    if (rc == CLEF_OK && status != NULL)
        rc = clef_report_summarize(d->ctx, text, strlen(text), NULL, NULL, NULL, 0, &sneed, status,
                                   n_find);
    if (rc == CLEF_ERR_BUFFER_TOO_SMALL && (sum = malloc(sneed)) != NULL)
        rc = clef_report_summarize(d->ctx, text, strlen(text), NULL, NULL, sum, sneed, NULL, status,
                                   n_find);
    if (rc == CLEF_OK && sum != NULL) {
        fputs("<h4>Report summary (de-identified)</h4><pre>", f);
        cli_html_text(f, sum);
        fputs("</pre><p>Findings: ", f);
        static const char *const k_status[] = {"not mentioned", "present", "negated", "uncertain"};
        int any = 0;
        for (int32_t i = 0; i < n_find; i++)
            if (status[i] > 0 && status[i] < 4)
                fprintf(f, "%s%s <i>%s</i>", any++ ? ", " : "", clef_report_finding_name(i),
                        k_status[status[i]]);
        fputs(any ? "</p>\n" : "none mentioned</p>\n", f);
    } else {
        fputs("<p class=\"muted\">No report for this session.</p>\n", f);
    }
    free(status);
    free(text);
    free(sum);
}

static void write_predictions(FILE *f, const rp_data *d, int64_t i) {
    fputs("<h4>Predictions</h4><table><tr><th>task</th><th>label</th>", f);
    for (int k = 0; k < RP_MODELS; k++)
        fprintf(f, "<th>%s</th>", d->model[k].name);
    fputs("</tr>\n", f);
    for (int64_t t = 0; t < d->n_tasks; t++) {
        int32_t l = d->label[t * d->n_test + i];
        if (l != 0 && l != 1)
            continue;
        fprintf(f, "<tr><td>%s</td><td>%s</td>", d->task[t], l ? "positive" : "negative");
        for (int k = 0; k < RP_MODELS; k++) {
            double p = session_prob(d, k, t, i);
            if (isnan(p))
                fputs("<td class=\"muted\">-</td>", f);
            else
                cli_fprintf_c(f, "<td>%.2f</td>", p);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table><p class=\"muted\">The probe's probability of a positive, for the tasks "
          "that label this session.</p>\n",
          f);
    if (d->n_zs == 0)
        return;
    fputs("<p>Zero-shot scores: ", f);
    for (int p = 0; p < d->n_zs; p++) {
        fprintf(f, "%s\"", p ? ", " : "");
        cli_html_text(f, d->zs[p].text);
        if (d->zs[p].scored)
            cli_fprintf_c(f, "\" %.3f", (double)d->zs[p].score[i]);
        else
            fputs("\" -", f);
    }
    fputs("</p>\n", f);
}

static void write_sessions(FILE *f, rp_data *d, const rp_opts *o, const char *tok_path) {
    heading(f, 5);
    clef_tokenizer *tok = NULL;
    clef_spectrogram *sg = NULL;
    clef_status rc =
        tok_path != NULL ? clef_tokenizer_load(&tok, d->ctx, tok_path) : CLEF_ERR_NOT_FOUND;
    if (rc == CLEF_OK)
        rc = clef_tokenizer_spectrogram_create(&sg, d->ctx, tok);
    if (rc != CLEF_OK) {
        fputs("<p class=\"muted\">No tokenizer, no spectrograms: ", f);
        cli_html_text(f, clef_ctx_errmsg(d->ctx));
        fputs("</p>\n", f);
    }
    int64_t n = o->n_sessions < d->n_test ? o->n_sessions : d->n_test;
    fprintf(f, "<p>The first %lld of %lld test sessions.</p>\n", (long long)n,
            (long long)d->n_test);
    cli_progress bar;
    cli_progress_begin(&bar, "clef report: sessions", 0);
    for (int64_t i = 0; i < n; i++) {
        cli_progress_update(&bar, i, n, d->test_id[i]);
        fprintf(f, "<section class=\"session\" id=\"session-%lld\"><h3>Session ",
                (long long)(i + 1));
        cli_html_text(f, d->test_id[i]);
        fputs("</h3>\n", f);
        char path[4096];
        if (tok != NULL && sg != NULL &&
            clef_store_recording_path(d->st, d->test_id[i], path, sizeof path, NULL) == CLEF_OK)
            write_recon(f, d, tok, sg, path);
        write_summary(f, d, d->test_id[i]);
        write_predictions(f, d, i);
        fputs("</section>\n", f);
    }
    cli_progress_update(&bar, n, n, NULL);
    cli_progress_end(&bar);
    clef_spectrogram_free(sg);
    clef_tokenizer_free(tok);
}

static int write_page(rp_data *d, const rp_opts *o, const char *tok_path) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", o->out);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return cli_fail(o->out, CLEF_ERR_IO, "cannot write");
    char when[32] = "";
    time_t now = time(NULL);
    struct tm tmv;
    if (gmtime_r(&now, &tmv) != NULL)
        strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tmv);
    fprintf(f,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>CLEF report</title><style>%s</style></head><body>\n<h1>CLEF report</h1>\n"
            "<p class=\"muted\">libclef %s, %s. Sections: <a href=\"#overview\">cohort</a> "
            "&middot; <a href=\"#evaluation\">evaluation</a> &middot; <a "
            "href=\"#categories\">categories</a> &middot; <a href=\"#roc\">ROC</a> &middot; <a "
            "href=\"#zeroshot\">zero-shot</a> &middot; <a href=\"#sessions\">sessions</a></p>\n",
            k_css, clef_version(), when);
    write_overview(f, d, o);
    write_evaluation(f, d);
    write_categories(f, d);
    int ret = write_rocs(f, d);
    write_zeroshot(f, d);
    if (ret == 0)
        write_sessions(f, d, o, tok_path);
    heading(f, 6);
    fputs("</body></html>\n", f);
    if (fclose(f) != 0 && ret == 0)
        ret = cli_fail(o->out, CLEF_ERR_IO, "cannot write");
    if (ret == 0 && rename(tmp, o->out) != 0)
        ret = cli_fail(o->out, CLEF_ERR_IO, "cannot rename the finished page into place");
    if (ret != 0)
        remove(tmp);
    return ret;
}

int cmd_report(int argc, char **argv) {
    rp_opts o;
    int ret = 0;
    if (rp_parse(argc, argv, &o, &ret) != 0)
        return ret;
    rp_data d = {0};
    if (clef_ctx_create(&d.ctx) != CLEF_OK)
        return cli_fail("report", CLEF_ERR_NOMEM, "no context");
    (void)clef_ctx_set_log(d.ctx, CLEF_LOG_WARN, cli_log_stderr, NULL);
    clef_status rc = clef_session_create(&d.sess, d.ctx, (int32_t)o.threads);
    FILE *probe = fopen(o.store, "rb"); /* opening a store creates a missing one */
    if (probe != NULL)
        fclose(probe);
    if (rc == CLEF_OK && probe == NULL)
        ret = cli_fail(o.store, CLEF_ERR_NOT_FOUND, "no such store (clef ingest makes one)");
    else if (rc == CLEF_OK && (rc = clef_store_open(&d.st, d.ctx, o.store)) != CLEF_OK)
        ret = cli_fail(o.store, rc, clef_ctx_errmsg(d.ctx));
    else if (rc != CLEF_OK)
        ret = cli_fail("report", rc, clef_ctx_errmsg(d.ctx));
    if (ret == 0)
        ret = gather_models(&d, &o, o.path);
    if (ret == 0)
        ret = gather_labels(&d);
    if (ret == 0)
        gather_zeroshot(&d, &o);
    const char *tok_path = model_path(&d, o.tok, CLEF_MODEL_TOKENIZER, o.path[0]);
    if (ret == 0)
        ret = write_page(&d, &o, tok_path);
    if (ret == 0)
        printf("report: %s\n", o.out);
    for (int k = 0; k < RP_MODELS; k++)
        clef_eval_free(d.model[k].ev);
    for (int p = 0; p < d.n_zs; p++)
        free(d.zs[p].score);
    free(d.task);
    free(d.test_id);
    free(d.label);
    clef_store_free(d.st);
    clef_session_free(d.sess);
    clef_ctx_free(d.ctx);
    return ret;
}
