/* cohort_fixture.c — see cohort_fixture.h. */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */
#include "cohort_fixture.h"

#include "core/core_int.h"
#include "test_support.h"

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *fixture_tmpdir(const char *tag) {
    static char path[256];
    snprintf(path, sizeof path, "/tmp/clef_%s_XXXXXX", tag);
    if (mkdtemp(path) == NULL)
        fail_msg("mkdtemp failed");
    return path;
}

void fixture_write_file(const char *dir, const char *rel, const char *text) {
    char path[1024];
    int w = snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (w < 0 || (size_t)w >= sizeof path)
        fail_msg("path %s/%s too long", dir, rel);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        fail_msg("cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void fixture_rmtree(const char *dir) { nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

static double unit(uint64_t *st) {
    return (double)(clefi_splitmix64(st) >> 11) / 9007199254740992.0;
}

static void sha_hex(const char *path, char hex[65]) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot read %s", path);
    clefi_sha256_ctx h;
    clefi_sha256_init(&h);
    unsigned char buf[8192];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        clefi_sha256_update(&h, buf, got);
    fclose(f);
    uint8_t d[32];
    clefi_sha256_final(&h, d);
    clefi_sha256_hex(d, hex);
}

/* One EDF+ session: 19 channels, alpha + noise, plus beta when benzo. */
static void write_edf(const char *path, int odd, int drop_pz, int benzo, double seconds,
                      uint64_t *st) {
    static const char *const names[19] = {"Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8",
                                          "T3",  "C3",  "Cz", "C4", "T4", "T5", "P3",
                                          "Pz",  "P4",  "T6", "O1", "O2"};
    double fs = odd ? 256.0 : 200.0;
    size_t n = (size_t)(seconds * fs);
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_edf_writer *w;
    assert_int_equal(clef_edf_writer_create(&w, ctx, path, CLEF_EDF_FORMAT_EDFPLUS), CLEF_OK);
    int n_sig = 0;
    for (int c = 0; c < 19; c++) {
        if (drop_pz && strcmp(names[c], "Pz") == 0)
            continue;
        char label[32];
        snprintf(label, sizeof label, odd ? "EEG %s-REF" : "%s", names[c]);
        assert_int_equal(clef_edf_writer_add_signal(w, label, "uV", fs, -800, 800, -32768, 32767,
                                                    "AgAgCl", "", NULL),
                         CLEF_OK);
        n_sig++;
    }
    float *x = malloc((size_t)n_sig * n * sizeof *x);
    const double pi = 3.14159265358979323846;
    for (int c = 0; c < n_sig; c++) {
        double ph = unit(st) * 2 * pi, pb = unit(st) * 2 * pi;
        for (size_t i = 0; i < n; i++) {
            double t = (double)i / fs;
            double noise = (unit(st) + unit(st) + unit(st) - 1.5) * 20.0;
            double v = 25.0 * sin(2 * pi * 10.0 * t + ph) + noise;
            if (benzo)
                v += 12.0 * sin(2 * pi * 20.0 * t + pb);
            x[(size_t)c * n + i] = (float)v;
        }
    }
    assert_int_equal(clef_edf_writer_write_f32(w, x, n, n), CLEF_OK);
    assert_int_equal(clef_edf_writer_close(w), CLEF_OK);
    clef_edf_writer_free(w);
    clef_ctx_free(ctx);
    free(x);
}

#define FHIR_FMT                                                                                   \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                                 \
    "<Bundle xmlns=\"http://hl7.org/fhir\">\n"                                                     \
    "  <type value=\"collection\"/>\n"                                                             \
    "  <entry><fullUrl value=\"urn:uuid:p-%s\"/><resource><Patient><id value=\"%s\"/>"             \
    "<gender value=\"%s\"/><birthDate value=\"1970-01-0%d\"/></Patient></resource></entry>\n"      \
    "  <entry><resource><Condition><subject><reference value=\"Patient/%s\"/></subject>"           \
    "<code><coding><system value=\"http://hl7.org/fhir/sid/icd-10-cm\"/>"                          \
    "<code value=\"G40.909\"/></coding></code>"                                                    \
    "<onsetDateTime value=\"2020-02-01T00:00:00Z\"/></Condition></resource></entry>\n"             \
    "%s"                                                                                           \
    "  <entry><resource><Encounter><subject><reference value=\"urn:uuid:p-%s\"/></subject>"        \
    "<class><code value=\"AMB\"/></class><period><start value=\"2024-03-01T09:00:00Z\"/>"          \
    "</period></Encounter></resource></entry>\n"                                                   \
    "</Bundle>\n"

#define FHIR_MED                                                                                   \
    "  <entry><resource><MedicationStatement><subject><reference value=\"Patient/%s\"/>"           \
    "</subject><medicationCodeableConcept><coding><system value=\"http://www.whocc.no/atc\"/>"     \
    "<code value=\"N05BA06\"/></coding></medicationCodeableConcept>"                               \
    "<effectiveDateTime value=\"2024-02-28T08:00:00Z\"/></MedicationStatement></resource>"         \
    "</entry>\n"

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static void add(buf *b, const char *s) {
    size_t l = strlen(s);
    if (b->n + l + 1 > b->cap) {
        b->cap = (b->n + l + 1) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, l + 1);
    b->n += l;
}

int fixture_write_cohort(const char *dir, int n_subjects, int sessions_per, double seconds,
                         uint64_t seed) {
    char path[1024], line[1024], hex[65];
    uint64_t st = seed;
    for (const char *sub = "edf\0reports\0fhir\0"; *sub; sub += strlen(sub) + 1) {
        snprintf(path, sizeof path, "%s/%s", dir, sub);
        mkdir(path, 0755);
    }
    buf man = {0}, ev = {0}, tasks = {0}, splits = {0};
    add(&man, "session_id,subject_id,path,sha256,start_time,duration_s,age_years,sex,race\r\n");
    add(&ev, "subject_id,time,code,value\n");
    add(&tasks, "task,session_id,label\n");
    add(&splits, "subject_id,split\n");
    int n = 0;
    for (int p = 0; p < n_subjects; p++) {
        char subj[32];
        snprintf(subj, sizeof subj, "P%03d", p);
        const char *sex = p % 2 ? "M" : "F";
        int any_benzo = 0;
        static const char *const split_of[5] = {"train", "train", "train", "val", "test"};
        snprintf(line, sizeof line, "%s,%s\n", subj, split_of[p % 5]);
        add(&splits, line);
        snprintf(line, sizeof line, "%s,,SEX,%s\n%s,2024-01-01T00:00:00Z,AGE,%d\n", subj, sex, subj,
                 30 + p % 50);
        add(&ev, line);
        for (int j = 0; j < sessions_per; j++, n++) {
            char sid[32];
            snprintf(sid, sizeof sid, "S%03d_%d", p, j);
            int benzo = unit(&st) < 0.5, rnd = unit(&st) < 0.5;
            any_benzo |= benzo;
            snprintf(path, sizeof path, "%s/edf/%s.edf", dir, sid);
            write_edf(path, n % 2, n % 3 == 0, benzo, seconds, &st);
            sha_hex(path, hex);
            snprintf(line, sizeof line,
                     "%s,%s,edf/%s.edf,%s,2024-03-0%dT09:30:00Z,%.1f,%d.5,%s,race%d\r\n", sid, subj,
                     sid, hex, 1 + j % 9, seconds, 30 + p % 50, sex, p % 8);
            add(&man, line);
            snprintf(line, sizeof line, "med_benzodiazepine,%s,%d\ndis_random,%s,%d\n", sid, benzo,
                     sid, n % 17 == 5 ? -1 : rnd);
            add(&tasks, line);
            snprintf(path, sizeof path, "reports/%s.txt", sid);
            snprintf(line, sizeof line,
                     "HISTORY: %s-year-old.\nMEDICATIONS: %s\nIMPRESSION: \"normal\", no "
                     "epileptiform discharges.\n",
                     sex, benzo ? "lorazepam" : "none");
            fixture_write_file(dir, path, line);
        }
        if (any_benzo) {
            snprintf(line, sizeof line,
                     "%s,2024-02-28T08:00:00Z,ATC/N05BA06,\"dose, \"\"1 mg\"\"\"\n", subj);
            add(&ev, line);
        }
        char med[1024], xml[4096];
        snprintf(med, sizeof med, FHIR_MED, subj);
        snprintf(xml, sizeof xml, FHIR_FMT, subj, subj, p % 2 ? "male" : "female", 1 + p % 9, subj,
                 any_benzo ? med : "", subj);
        snprintf(path, sizeof path, "fhir/%s.xml", subj);
        fixture_write_file(dir, path, xml);
    }
    fixture_write_file(dir, "manifest.csv", man.p);
    fixture_write_file(dir, "events.csv", ev.p);
    fixture_write_file(dir, "tasks.csv", tasks.p);
    fixture_write_file(dir, "splits.csv", splits.p);
    free(man.p);
    free(ev.p);
    free(tasks.p);
    free(splits.p);
    return n;
}

int mkdir_for_test(const char *path) { return mkdir(path, 0755); }

int symlink_for_test(const char *target, const char *link) { return symlink(target, link); }

int fixture_open_store(const char *tag, int n_subjects, int sessions_per, double seconds,
                       uint64_t seed, char *dir, char *db, clef_ctx **ctx, clef_store **s) {
    snprintf(dir, 256, "%s", fixture_tmpdir(tag));
    int n = fixture_write_cohort(dir, n_subjects, sessions_per, seconds, seed);
    snprintf(db, 512, "%s/store.db", dir);
    assert_int_equal(clef_ctx_create(ctx), CLEF_OK);
    assert_int_equal(clef_store_open(s, *ctx, db), CLEF_OK);
    assert_int_equal(clef_store_import_cohort(*s, dir, NULL, NULL, NULL), CLEF_OK);
    return n;
}

void fixture_close_store(const char *dir, clef_ctx *ctx, clef_store *s) {
    clef_store_free(s);
    clef_ctx_free(ctx);
    fixture_rmtree(dir);
}
