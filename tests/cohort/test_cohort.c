/* test_cohort.c — synthetic cohort generator: byte determinism (same seed, any thread count,
 * any cohort size), the export format (manifest columns, files, SHA-256, tasks, splits),
 * FHIR XML well-formedness plus a golden bundle checked by fhir.resources, known-truth
 * sanity of the EEG (benzodiazepines raise beta, the null task does not), cancellation,
 * argument errors and an OOM sweep on tiny cohorts. */
#define _POSIX_C_SOURCE 200809L
#include "test_support.h"

#include "cohort/cohort_int.h"
#include "dsp/dsp_fft.h"

#include <dirent.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void rm_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rm_tree(p);
        else
            remove(p);
    }
    closedir(d);
    rmdir(dir);
}

static char *tmp_dir(char *buf, size_t cap, const char *tag) {
    snprintf(buf, cap, "/tmp/clef_cohort_%ld_%s", (long)getpid(), tag);
    rm_tree(buf);
    return buf;
}

static unsigned char *slurp(const char *path, size_t *len) { return test_read_file(path, len); }

static clef_params *tiny_params(clef_ctx *ctx, int64_t seed, int64_t patients, double seconds) {
    clef_params *p = NULL;
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_COHORT), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_COHORT_SEED, seed), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_COHORT_N_PATIENTS, patients), CLEF_OK);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_COHORT_MAX_SESSIONS, 2), CLEF_OK);
    assert_int_equal(clef_params_set_f64(p, CLEF_P_COHORT_DURATION_S, seconds), CLEF_OK);
    /* Every quirk often, so that tiny cohorts exercise them. */
    assert_int_equal(clef_params_set_f64(p, CLEF_P_COHORT_FRAC_MISSING, 0.5), CLEF_OK);
    assert_int_equal(clef_params_set_f64(p, CLEF_P_COHORT_FRAC_MV, 0.5), CLEF_OK);
    assert_int_equal(clef_params_set_f64(p, CLEF_P_COHORT_FRAC_BDF, 0.5), CLEF_OK);
    assert_int_equal(clef_params_set_f64(p, CLEF_P_COHORT_FRAC_ARTIFACT, 0.8), CLEF_OK);
    return p;
}

static void generate(const char *dir, int64_t seed, int64_t patients, int64_t threads,
                     double seconds) {
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *s = NULL;
    assert_int_equal(clef_session_create(&s, ctx, (int32_t)threads), CLEF_OK);
    clef_params *p = tiny_params(ctx, seed, patients, seconds);
    clef_status rc = clef_cohort_generate(s, p, dir, NULL, NULL);
    if (rc != CLEF_OK)
        fprintf(stderr, "generate: %s\n", clef_session_errmsg(s));
    assert_int_equal(rc, CLEF_OK);
    assert_string_equal(clef_session_errmsg(s), "");
    clef_params_free(p);
    clef_session_free(s);
    clef_ctx_free(ctx);
}

/* Split a CSV line in place (no quoting in generator output); returns the field count. */
static int split_csv(char *line, char **f, int cap) {
    int n = 0;
    f[n++] = line;
    for (char *c = line; *c && n < cap; c++)
        if (*c == ',') {
            *c = '\0';
            f[n++] = c + 1;
        }
    return n;
}

/* Both files exist and have the same bytes. */
static void assert_same_file(const char *pa, const char *pb) {
    size_t la = 0, lb = 0;
    unsigned char *x = slurp(pa, &la), *y = slurp(pb, &lb);
    assert_non_null(x);
    assert_non_null(y);
    assert_int_equal(la, lb);
    assert_memory_equal(x, y, la);
    free(x);
    free(y);
}

/* Every file named in the manifest plus reports and FHIR bundles must be identical. */
static void assert_same_cohort(const char *a, const char *b, int *n_files) {
    static const char *const fixed[] = {"manifest.csv", "events.csv", "tasks.csv",
                                        "splits.csv",   "truth.csv",  "cohort.json"};
    char pa[1024], pb[1024];
    *n_files = 0;
    for (size_t k = 0; k < sizeof fixed / sizeof *fixed; k++) {
        snprintf(pa, sizeof pa, "%s/%s", a, fixed[k]);
        snprintf(pb, sizeof pb, "%s/%s", b, fixed[k]);
        assert_same_file(pa, pb);
        (*n_files)++;
    }
    static const char *const subs[] = {"edf", "reports", "fhir"};
    for (size_t k = 0; k < 3; k++) {
        snprintf(pa, sizeof pa, "%s/%s", a, subs[k]);
        DIR *d = opendir(pa);
        assert_non_null(d);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char fa[1200], fb[1200];
            snprintf(fa, sizeof fa, "%s/%s/%s", a, subs[k], e->d_name);
            snprintf(fb, sizeof fb, "%s/%s/%s", b, subs[k], e->d_name);
            assert_same_file(fa, fb);
            (*n_files)++;
        }
        closedir(d);
    }
}

static void test_determinism(void **state) {
    (void)state;
    char a[256], b[256], c[256];
    tmp_dir(a, sizeof a, "det1");
    tmp_dir(b, sizeof b, "det3");
    tmp_dir(c, sizeof c, "seed2");
    generate(a, 7, 6, 1, 3);
    generate(b, 7, 6, 3, 3);
    int n = 0;
    assert_same_cohort(a, b, &n);
    assert_true(n >= 6 + 3 * 6);
    /* A different seed gives a different cohort. */
    generate(c, 8, 6, 2, 3);
    size_t la, lc;
    char pa[512], pc[512];
    snprintf(pa, sizeof pa, "%s/manifest.csv", a);
    snprintf(pc, sizeof pc, "%s/manifest.csv", c);
    unsigned char *x = slurp(pa, &la), *y = slurp(pc, &lc);
    assert_true(la != lc || memcmp(x, y, la) != 0);
    free(x);
    free(y);
    /* Counter-based streams: patient 1's recording does not depend on the cohort size. */
    rm_tree(c);
    generate(c, 7, 2, 2, 3);
    snprintf(pa, sizeof pa, "%s/fhir/P000001.xml", a);
    snprintf(pc, sizeof pc, "%s/fhir/P000001.xml", c);
    x = slurp(pa, &la);
    y = slurp(pc, &lc);
    assert_int_equal(la, lc);
    assert_memory_equal(x, y, la);
    free(x);
    free(y);
    rm_tree(a);
    rm_tree(b);
    rm_tree(c);
}

static void test_format(void **state) {
    (void)state;
    char dir[256], path[1024];
    tmp_dir(dir, sizeof dir, "fmt");
    generate(dir, 3, 8, 2, 2);
    snprintf(path, sizeof path, "%s/manifest.csv", dir);
    size_t len = 0;
    char *m = (char *)slurp(path, &len);
    assert_non_null(m);
    char *save = NULL, *line = strtok_r(m, "\n", &save);
    assert_string_equal(line, "session_id,subject_id,path,sha256,start_time,duration_s,age_years,"
                              "sex,race");
    int rows = 0;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *f[16];
        assert_int_equal(split_csv(line, f, 16), 9);
        assert_int_equal(strlen(f[3]), 64);
        assert_int_equal(strlen(f[4]), 20);
        assert_int_equal(f[4][19], 'Z');
        assert_true(strcmp(f[7], "F") == 0 || strcmp(f[7], "M") == 0 || strcmp(f[7], "U") == 0);
        assert_string_equal(f[5], "2");
        snprintf(path, sizeof path, "%s/%s", dir, f[2]);
        size_t n = 0;
        unsigned char *rec = slurp(path, &n);
        assert_non_null(rec);
        uint8_t dg[32];
        char hex[65];
        clefi_sha256(rec, n, dg);
        clefi_sha256_hex(dg, hex);
        assert_string_equal(hex, f[3]);
        assert_true(rec[0] == '0' || rec[0] == 0xFF); /* EDF or BDF version field */
        free(rec);
        snprintf(path, sizeof path, "%s/reports/%s.txt", dir, f[0]);
        char *rep = (char *)slurp(path, &n);
        assert_non_null(rep);
        assert_non_null(strstr(rep, "HISTORY:"));
        assert_non_null(strstr(rep, "IMPRESSION:"));
        assert_non_null(strstr(rep, "CLINICAL CORRELATION:"));
        assert_non_null(strstr(rep, "MRN: "));
        free(rep);
        rows++;
    }
    assert_true(rows >= 8);
    free(m);
    /* tasks.csv: every task labels every session with 1, 0 or -1, and 1:1 matching means no
     * more negatives than positives. */
    snprintf(path, sizeof path, "%s/tasks.csv", dir);
    m = (char *)slurp(path, &len);
    assert_non_null(m);
    line = strtok_r(m, "\n", &save);
    assert_string_equal(line, "task,session_id,label");
    int n_task_rows = 0, pos[64] = {0}, neg[64] = {0};
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *f[4];
        assert_int_equal(split_csv(line, f, 4), 3);
        int64_t t = -1;
        for (int64_t k = 0; k < clef_cohort_n_tasks(); k++)
            if (strcmp(clef_cohort_task_name(k), f[0]) == 0)
                t = k;
        assert_true(t >= 0);
        int l = atoi(f[2]);
        assert_true(l == 1 || l == 0 || l == -1);
        pos[t] += l == 1;
        neg[t] += l == 0;
        n_task_rows++;
    }
    assert_int_equal(n_task_rows, rows * clef_cohort_n_tasks());
    for (int64_t t = 0; t < clef_cohort_n_tasks(); t++)
        assert_true(neg[t] <= pos[t]);
    free(m);
    static const char *const others[] = {"events.csv", "splits.csv", "truth.csv", "cohort.json"};
    for (int k = 0; k < 4; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, others[k]);
        char *t = (char *)slurp(path, &len);
        assert_non_null(t);
        assert_true(len > 20);
        free(t);
    }
    rm_tree(dir);
}

static void test_task_names(void **state) {
    (void)state;
    int64_t n = clef_cohort_n_tasks();
    assert_true(n >= 30);
    assert_null(clef_cohort_task_name(-1));
    assert_null(clef_cohort_task_name(n));
    assert_null(clef_cohort_task_name((int64_t)1 << 32));
    int benzo = 0, null_task = 0;
    for (int64_t i = 0; i < n; i++) {
        const char *a = clef_cohort_task_name(i);
        assert_true(strncmp(a, "dis_", 4) == 0 || strncmp(a, "med_", 4) == 0 ||
                    strncmp(a, "feat_", 5) == 0);
        for (int64_t j = 0; j < i; j++)
            assert_string_not_equal(a, clef_cohort_task_name(j));
        benzo |= strcmp(a, "med_benzodiazepine") == 0;
        null_task |= strcmp(a, "med_cholecalciferol") == 0;
    }
    assert_true(benzo && null_task);
}

/* Walk an element tree: count Patients and check every dateTime-with-time value has a zone. */
static void walk(xmlNode *n, int *patients, int *zoned, int *unzoned) {
    for (; n != NULL; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (xmlStrcmp(n->name, BAD_CAST "Patient") == 0)
            (*patients)++;
        xmlChar *v = xmlGetProp(n, BAD_CAST "value");
        if (v != NULL) {
            const char *s = (const char *)v;
            if (strlen(s) > 10 && s[4] == '-' && s[10] == 'T')
                *(s[strlen(s) - 1] == 'Z' ? zoned : unzoned) += 1;
            xmlFree(v);
        }
        walk(n->children, patients, zoned, unzoned);
    }
}

static void test_fhir(void **state) {
    (void)state;
    char dir[256], path[1024];
    tmp_dir(dir, sizeof dir, "fhir");
    generate(dir, 11, 4, 1, 1);
    for (int i = 1; i <= 4; i++) {
        snprintf(path, sizeof path, "%s/fhir/P%06d.xml", dir, i);
        xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
        assert_non_null(doc);
        xmlNode *root = xmlDocGetRootElement(doc);
        assert_string_equal((const char *)root->name, "Bundle");
        assert_non_null(root->ns);
        assert_string_equal((const char *)root->ns->href, "http://hl7.org/fhir");
        int patients = 0, zoned = 0, unzoned = 0;
        walk(root, &patients, &zoned, &unzoned);
        assert_int_equal(patients, 1);
        assert_true(zoned >= 2);
        assert_int_equal(unzoned, 0);
        xmlFreeDoc(doc);
    }
    /* Golden: the same parameters give the bundle that fhir.resources (R4B models) validated
     * at dev time (tools/ref/check_cohort_fhir.py). */
    snprintf(path, sizeof path, "%s/fhir/P000002.xml", dir);
    size_t la = 0, lb = 0;
    unsigned char *x = slurp(path, &la);
    unsigned char *g = slurp(test_data_path("golden/cohort/fhir_seed11_P000002.xml"), &lb);
    assert_non_null(g);
    assert_int_equal(la, lb);
    assert_memory_equal(x, g, la);
    free(x);
    free(g);
    rm_tree(dir);
}

/* Log band power of channel-mean spectra, 8 s at the session's rate. */
static void band_powers(clef_ctx *ctx, const clefi_cohort_cfg *cfg, const clefi_patient *p,
                        const clefi_session *s, double *beta, double *delta) {
    size_t n = (size_t)(cfg->duration_s * s->fs);
    float *x = malloc(sizeof(float) * CLEFI_N_EEG_CH * n);
    assert_non_null(x);
    assert_int_equal(clefi_cohort_synth_eeg(ctx, cfg, p, s, x, n, NULL, NULL), CLEF_OK);
    clefi_fft *fft = NULL;
    assert_int_equal(clefi_fft_create_r2c_f64(&fft, ctx, (int32_t)n, 1), CLEF_OK);
    double *in = clefi_malloc_aligned(ctx, sizeof(double) * n);
    double *out = clefi_malloc_aligned(ctx, sizeof(double) * 2 * (n / 2 + 1));
    assert_non_null(in);
    assert_non_null(out);
    double pb = 0, pd = 0, pt = 0;
    for (int c = 0; c < CLEFI_N_EEG_CH; c++) {
        double mean = 0;
        for (size_t i = 0; i < n; i++)
            mean += x[(size_t)c * n + i] / (double)n;
        for (size_t i = 0; i < n; i++)
            in[i] = x[(size_t)c * n + i] - mean;
        clefi_fft_execute(fft, in, out);
        for (size_t k = 1; k <= n / 2; k++) {
            double f = (double)k * s->fs / (double)n,
                   pw = out[2 * k] * out[2 * k] + out[2 * k + 1] * out[2 * k + 1];
            if (f >= 1 && f < 30)
                pt += pw;
            if (f >= 13 && f < 30)
                pb += pw;
            if (f >= 1 && f < 4)
                pd += pw;
        }
    }
    *beta = log(pb / pt);
    *delta = log(pd / pt);
    clefi_free_aligned(ctx, in);
    clefi_free_aligned(ctx, out);
    clefi_fft_free(fft);
    free(x);
}

/* AUROC of score for label 1 vs 0 (Mann-Whitney, ties count half). */
static double auroc(const double *score, const int8_t *lab, int64_t n) {
    double num = 0, pairs = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++)
            if (lab[i] == 1 && lab[j] == 0) {
                num += score[i] > score[j] ? 1.0 : score[i] == score[j] ? 0.5 : 0.0;
                pairs += 1;
            }
    return pairs > 0 ? num / pairs : 0.5;
}

static int32_t task_index(const char *name) {
    for (int64_t t = 0; t < clef_cohort_n_tasks(); t++)
        if (strcmp(clef_cohort_task_name(t), name) == 0)
            return (int32_t)t;
    return -1;
}

static void test_known_truth(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clefi_cohort_cfg cfg = {5, 160, 1, 8.0, 1, 0.0, 0.0, 0.0, 0.0};
    clefi_patient *pt = calloc((size_t)cfg.n_patients, sizeof *pt);
    clefi_session *ss = calloc((size_t)cfg.n_patients, sizeof *ss);
    int8_t *lab = calloc((size_t)cfg.n_patients, 1);
    double *beta = calloc((size_t)cfg.n_patients, sizeof(double));
    double *delta = calloc((size_t)cfg.n_patients, sizeof(double));
    int8_t *find = calloc((size_t)cfg.n_patients, 1);
    assert_true(pt && ss && lab && beta && delta && find);
    int64_t ns = 0;
    clefi_cohort_sample(&cfg, pt, ss, &ns);
    assert_int_equal(ns, cfg.n_patients);
    for (int64_t i = 0; i < ns; i++)
        band_powers(ctx, &cfg, &pt[ss[i].patient], &ss[i], &beta[i], &delta[i]);
    /* Ground truth: sessions with excess beta / generalized slowing show it. */
    for (int64_t i = 0; i < ns; i++)
        find[i] = (int8_t)ss[i].find[CLEFI_FIND_EXCESS_BETA];
    double a_beta = auroc(beta, find, ns);
    for (int64_t i = 0; i < ns; i++)
        find[i] = (int8_t)ss[i].find[CLEFI_FIND_GEN_SLOWING];
    double a_delta = auroc(delta, find, ns);
    /* Causal chain: benzodiazepine -> beta, on the task's matched labels. */
    assert_int_equal(
        clefi_cohort_task_labels(ctx, cfg.seed, task_index("med_benzodiazepine"), pt, ss, ns, lab),
        CLEF_OK);
    double a_benzo = auroc(beta, lab, ns);
    int n_pos = 0;
    for (int64_t i = 0; i < ns; i++)
        n_pos += lab[i] == 1;
    /* Null task: independent of the EEG by construction. */
    assert_int_equal(
        clefi_cohort_task_labels(ctx, cfg.seed, task_index("med_cholecalciferol"), pt, ss, ns, lab),
        CLEF_OK);
    double a_null = auroc(beta, lab, ns);
    fprintf(stderr,
            "known truth: AUROC beta|excess_beta %.3f, delta|gen_slowing %.3f, "
            "beta|benzodiazepine %.3f (%d positives), beta|null task %.3f\n",
            a_beta, a_delta, a_benzo, n_pos, a_null);
    assert_true(a_beta > 0.95);
    assert_true(a_delta > 0.85);
    assert_true(n_pos >= 10);
    assert_true(a_benzo > 0.85);
    assert_true(a_null > 0.3 && a_null < 0.7);
    free(pt);
    free(ss);
    free(lab);
    free(beta);
    free(delta);
    free(find);
    clef_ctx_free(ctx);
}

/* Standardized mean difference of x between label 1 and label 0 (sample variances). */
static double smd(const double *x, const int8_t *lab, int64_t n) {
    double s[2] = {0, 0}, q[2] = {0, 0};
    int64_t k[2] = {0, 0};
    for (int64_t i = 0; i < n; i++)
        if (lab[i] == 0 || lab[i] == 1) {
            s[lab[i]] += x[i];
            k[lab[i]]++;
        }
    for (int64_t i = 0; i < n; i++)
        if (lab[i] == 0 || lab[i] == 1) {
            double d = x[i] - s[lab[i]] / (double)k[lab[i]];
            q[lab[i]] += d * d;
        }
    double sd = sqrt((q[0] / (double)(k[0] - 1) + q[1] / (double)(k[1] - 1)) / 2.0);
    double diff = fabs(s[1] / (double)k[1] - s[0] / (double)k[0]);
    return sd > 0 ? diff / sd : diff > 0 ? INFINITY : 0.0;
}

/* Matched negatives balance age and sex (issue 23 item 7): on every task with >= 10 matched
 * positives the standardized mean difference of age and of sex (female 0/1) is < 0.1, and every
 * positive kept has exactly one negative. Several seeds, one small and one larger cohort. */
static void test_matched_balance(void **state) {
    (void)state;
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    const int32_t sizes[2] = {150, 600};
    int checked = 0;
    for (int32_t v = 0; v < 4; v++) {
        clefi_cohort_cfg cfg = {(uint64_t)(11 + v), sizes[v % 2], 2, 8.0, 1, 0.0, 0.0, 0.0, 0.0};
        int64_t cap = 2 * (int64_t)cfg.n_patients, ns = 0;
        clefi_patient *pt = calloc((size_t)cfg.n_patients, sizeof *pt);
        clefi_session *ss = calloc((size_t)cap, sizeof *ss);
        int8_t *lab = calloc((size_t)cap, 1);
        double *age = calloc((size_t)cap, sizeof *age), *fem = calloc((size_t)cap, sizeof *fem);
        assert_true(pt && ss && lab && age && fem);
        clefi_cohort_sample(&cfg, pt, ss, &ns);
        for (int64_t i = 0; i < ns; i++) {
            age[i] = ss[i].age;
            fem[i] = pt[ss[i].patient].sex == 0;
        }
        for (int32_t t = 0; t < clefi_cohort_n_tasks(); t++) {
            assert_int_equal(clefi_cohort_task_labels(ctx, cfg.seed, t, pt, ss, ns, lab), CLEF_OK);
            int64_t n1 = 0, n0 = 0;
            for (int64_t i = 0; i < ns; i++) {
                n1 += lab[i] == 1;
                n0 += lab[i] == 0;
            }
            assert_int_equal(n1, n0);
            if (n1 < 10)
                continue;
            double sa = smd(age, lab, ns), sx = smd(fem, lab, ns);
            if (sa >= 0.1 || sx >= 0.1)
                fprintf(stderr, "seed %d task %s: %lld pairs, SMD age %.3f sex %.3f\n",
                        (int)cfg.seed, clefi_cohort_task_name(t), (long long)n1, sa, sx);
            assert_true(sa < 0.1);
            assert_true(sx < 0.1);
            checked++;
        }
        free(pt);
        free(ss);
        free(lab);
        free(age);
        free(fem);
    }
    fprintf(stderr, "matched balance: %d task x cohort cases with >= 10 pairs, all SMD < 0.1\n",
            checked);
    assert_true(checked > 100);
    clef_ctx_free(ctx);
}

static int32_t cancel_at_first(int64_t done, int64_t total, void *user) {
    (void)done;
    (void)total;
    (*(int *)user)++;
    return 1;
}

static void test_cancel_and_errors(void **state) {
    (void)state;
    char dir[256], path[1024];
    tmp_dir(dir, sizeof dir, "cancel");
    generate(dir, 1, 2, 1, 1);
    snprintf(path, sizeof path, "%s/manifest.csv", dir);
    assert_int_equal(access(path, F_OK), 0);
    clef_ctx *ctx = NULL;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_session *s = NULL;
    assert_int_equal(clef_session_create(&s, ctx, 1), CLEF_OK);
    clef_params *p = tiny_params(ctx, 1, 30, 1);
    int calls = 0;
    assert_int_equal(clef_cohort_generate(s, p, dir, cancel_at_first, &calls), CLEF_ERR_CANCELLED);
    assert_int_equal(calls, 1);
    assert_int_equal(clef_session_errcode(s), CLEF_ERR_CANCELLED);
    assert_non_null(strstr(clef_session_errmsg(s), "cancel"));
    /* The stale manifest of the earlier run is gone: the directory is not claimed complete. */
    assert_int_not_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/edf/P000001_S01.edf.tmp", dir);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_equal(clef_cohort_generate(s, p, "/nonexistent-parent/cohort", NULL, NULL),
                     CLEF_ERR_IO);
    assert_string_not_equal(clef_session_errmsg(s), "");
    assert_int_equal(clef_cohort_generate(s, p, "", NULL, NULL), CLEF_ERR_INVALID_ARG);
    assert_string_not_equal(clef_session_errmsg(s), "");
    assert_int_equal(clef_cohort_generate(NULL, p, dir, NULL, NULL), CLEF_ERR_INVALID_ARG);
    clef_params *wrong = NULL;
    assert_int_equal(clef_params_create(&wrong, ctx, CLEF_PARAMS_SPEC), CLEF_OK);
    assert_int_equal(clef_cohort_generate(s, wrong, dir, NULL, NULL), CLEF_ERR_INVALID_ARG);
    assert_string_not_equal(clef_session_errmsg(s), "");
    assert_int_equal(clef_params_set_i64(p, CLEF_P_COHORT_N_PATIENTS, 0), CLEF_ERR_RANGE);
    clef_params_free(wrong);
    clef_params_free(p);
    clef_session_free(s);
    clef_ctx_free(ctx);
    rm_tree(dir);
}

static clef_status oom_body(clef_ctx *ctx, void *arg) {
    const char *dir = arg;
    clef_params *p = NULL;
    clef_status rc = clef_params_create(&p, ctx, CLEF_PARAMS_COHORT);
    if (rc != CLEF_OK)
        return rc;
    clef_params_set_i64(p, CLEF_P_COHORT_N_PATIENTS, 2);
    clef_params_set_i64(p, CLEF_P_COHORT_MAX_SESSIONS, 1);
    clef_params_set_f64(p, CLEF_P_COHORT_DURATION_S, 1);
    /* One thread: the counting test allocator is not thread-safe (the ctx contract asks
     * thread-safe hooks when a handle's work is spread over threads). */
    clef_session *s = NULL;
    rc = clef_session_create(&s, ctx, 1);
    if (rc == CLEF_OK)
        rc = clef_cohort_generate(s, p, dir, NULL, NULL);
    clef_session_free(s);
    clef_params_free(p);
    return rc;
}

static void test_oom(void **state) {
    (void)state;
    char dir[256];
    tmp_dir(dir, sizeof dir, "oom");
    assert_true(test_oom_sweep(oom_body, dir, 0) > 10);
    rm_tree(dir);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--write-golden") == 0) {
        /* Refresh tests/data/golden/cohort: writes a seed-11 cohort to argv[2]. */
        char dir[512];
        snprintf(dir, sizeof dir, "%s", argv[2]);
        clef_ctx *ctx = NULL;
        clef_ctx_create(&ctx);
        clef_session *s = NULL;
        clef_session_create(&s, ctx, 1);
        clef_params *p = tiny_params(ctx, 11, 4, 1);
        clef_status rc = clef_cohort_generate(s, p, dir, NULL, NULL);
        clef_params_free(p);
        clef_session_free(s);
        clef_ctx_free(ctx);
        return rc != CLEF_OK;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_names),  cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_format),      cmocka_unit_test(test_fhir),
        cmocka_unit_test(test_known_truth), cmocka_unit_test(test_cancel_and_errors),
        cmocka_unit_test(test_oom),         cmocka_unit_test(test_matched_balance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
