/* model.c — the latent patient model of the synthetic cohort: demographics -> diseases ->
 * medications -> EEG findings, with confounders; recording quirks; splits; tasks with
 * matched negatives. SPDX-License-Identifier: BSD-3-Clause
 *
 * Effect sizes are invented but follow the clinical direction described in standard EEG texts
 * (e.g. Schomer & Lopes da Silva, Niedermeyer's Electroencephalography, 7th ed.): age and
 * dementia slow the posterior dominant rhythm, benzodiazepines and barbiturates add diffuse beta,
 * structural lesions give focal slowing, anoxic injury gives burst suppression. */
#include "cohort_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- random numbers ---- */

void clefi_crng_init(clefi_crng *r, uint64_t seed, uint64_t patient, uint64_t session,
                     uint64_t purpose) {
    uint64_t h = seed;
    uint64_t k = clefi_splitmix64(&h) ^ patient;
    k = clefi_splitmix64(&k) ^ session;
    k = clefi_splitmix64(&k) ^ purpose;
    r->s = clefi_splitmix64(&k);
    r->has_spare = 0;
    r->spare = 0;
}

uint64_t clefi_crng_u64(clefi_crng *r) { return clefi_splitmix64(&r->s); }

double clefi_crng_unif(clefi_crng *r) { return (double)(clefi_crng_u64(r) >> 11) * 0x1.0p-53; }

double clefi_crng_norm(clefi_crng *r) {
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u = 1.0 - clefi_crng_unif(r), v = clefi_crng_unif(r);
    double m = sqrt(-2.0 * log(u)), a = 6.283185307179586 * v;
    r->spare = m * sin(a);
    r->has_spare = 1;
    return m * cos(a);
}

int32_t clefi_crng_int(clefi_crng *r, int32_t n) {
    return n <= 1 ? 0 : (int32_t)(clefi_crng_unif(r) * (double)n);
}

int clefi_crng_bern(clefi_crng *r, double p) { return clefi_crng_unif(r) < p; }

/* ---- vocabularies ---- */

#define X(id, name, code, disp) name,
const char *const clefi_dis_name[CLEFI_N_DIS] = {CLEFI_DISEASES(X)};
const char *const clefi_med_name[CLEFI_N_MED] = {CLEFI_MEDS(X)};
#undef X
#define X(id, name, code, disp) code,
const char *const clefi_dis_icd[CLEFI_N_DIS] = {CLEFI_DISEASES(X)};
const char *const clefi_med_atc[CLEFI_N_MED] = {CLEFI_MEDS(X)};
#undef X
#define X(id, name, code, disp) disp,
const char *const clefi_dis_display[CLEFI_N_DIS] = {CLEFI_DISEASES(X)};
const char *const clefi_med_display[CLEFI_N_MED] = {CLEFI_MEDS(X)};
#undef X
#define X(id, name) name,
const char *const clefi_find_name[CLEFI_N_FIND] = {CLEFI_FINDINGS(X)};
#undef X

/* Eight race codes (the CLEF EHR tower's 8 categories; OMB-style groups). */
const char *const clefi_race_code[CLEFI_N_RACE] = {"white", "black",    "asian", "aian",
                                                   "nhpi",  "multiple", "other", "unknown"};
static const double k_race_p[CLEFI_N_RACE] = {0.60, 0.13, 0.07, 0.02, 0.01, 0.04, 0.06, 0.07};

static const char *const k_given_f[] = {"Mary", "Linda",  "Susan", "Maria", "Aisha", "Mei",
                                        "Olga", "Fatima", "Grace", "Elena", "Priya", "Rosa"};
static const char *const k_given_m[] = {"James", "Robert", "Juan", "Wei",   "Omar",   "Ivan",
                                        "David", "Kwame",  "Luis", "Arjun", "Thomas", "Hiro"};
static const char *const k_family[] = {"Smith",    "Garcia", "Nguyen", "Johnson", "Okafor",
                                       "Kowalski", "Chen",   "Haddad", "Silva",   "Brown",
                                       "Petrov",   "Tanaka", "Novak",  "Murphy",  "Singh"};
#define NELEM(a) ((int32_t)(sizeof(a) / sizeof((a)[0])))

static double sigm(double z) { return 1.0 / (1.0 + exp(-z)); }

/* ---- patients ---- */

static void sample_diseases(clefi_crng *r, clefi_patient *p) {
    uint8_t *d = p->dis;
    double a = (p->age - 50.0) / 20.0; /* standardized age */
    d[CLEFI_DIS_STROKE] = (uint8_t)clefi_crng_bern(r, sigm(-2.2 + 1.3 * a));
    d[CLEFI_DIS_TBI] = (uint8_t)clefi_crng_bern(r, 0.08 + 0.04 * (p->sex == 1));
    d[CLEFI_DIS_HYPOXIC] = (uint8_t)clefi_crng_bern(r, 0.06);
    int dem = p->age > 60 && clefi_crng_bern(r, sigm(-2.5 + 1.8 * (p->age - 70.0) / 10.0));
    if (dem)
        d[clefi_crng_bern(r, 0.55) ? CLEFI_DIS_ALZHEIMER : CLEFI_DIS_DEMENTIA] = 1;
    d[CLEFI_DIS_METABOLIC_ENC] = (uint8_t)clefi_crng_bern(r, sigm(-2.6 + 0.6 * a));
    d[CLEFI_DIS_ENCEPHALOPATHY] = (uint8_t)(d[CLEFI_DIS_METABOLIC_ENC] || d[CLEFI_DIS_HYPOXIC] ||
                                            clefi_crng_bern(r, sigm(-2.8 + 0.5 * a)));
    /* Epilepsy: generalized more often in the young; focal after stroke or TBI. */
    d[CLEFI_DIS_GEN_EPILEPSY] = (uint8_t)clefi_crng_bern(r, sigm(-2.0 - 1.2 * a));
    d[CLEFI_DIS_FOCAL_EPILEPSY] = (uint8_t)clefi_crng_bern(
        r, sigm(-1.8 + 1.2 * d[CLEFI_DIS_STROKE] + 1.4 * d[CLEFI_DIS_TBI]));
    d[CLEFI_DIS_EPILEPSY] = (uint8_t)(d[CLEFI_DIS_GEN_EPILEPSY] || d[CLEFI_DIS_FOCAL_EPILEPSY] ||
                                      clefi_crng_bern(r, 0.05));
    d[CLEFI_DIS_MIGRAINE] = (uint8_t)clefi_crng_bern(r, sigm(-2.0 - 0.6 * a + 0.9 * (p->sex == 0)));
    d[CLEFI_DIS_HYPERTENSION] = (uint8_t)clefi_crng_bern(r, sigm(-0.8 + 1.1 * a));
    d[CLEFI_DIS_DIABETES] = (uint8_t)clefi_crng_bern(r, sigm(-1.8 + 0.7 * a));
    d[CLEFI_DIS_DEPRESSION] = (uint8_t)clefi_crng_bern(r, 0.15 + 0.05 * (p->sex == 0));
    d[CLEFI_DIS_SCHIZOPHRENIA] = (uint8_t)clefi_crng_bern(r, 0.03);
}

static void sample_chronic(clefi_crng *r, clefi_patient *p) {
    const uint8_t *d = p->dis;
    uint8_t *m = p->chronic;
    if (d[CLEFI_DIS_EPILEPSY]) {
        m[CLEFI_MED_LEVETIRACETAM] = (uint8_t)clefi_crng_bern(r, 0.55);
        m[CLEFI_MED_VALPROATE] =
            (uint8_t)clefi_crng_bern(r, d[CLEFI_DIS_GEN_EPILEPSY] ? 0.45 : 0.10);
        m[CLEFI_MED_LAMOTRIGINE] = (uint8_t)clefi_crng_bern(r, 0.20 + 0.1 * (p->sex == 0));
        m[CLEFI_MED_PHENYTOIN] = (uint8_t)clefi_crng_bern(r, p->age > 60 ? 0.25 : 0.08);
        m[CLEFI_MED_LACOSAMIDE] = (uint8_t)clefi_crng_bern(r, 0.15);
        m[CLEFI_MED_PHENOBARBITAL] = (uint8_t)clefi_crng_bern(r, 0.06);
        m[CLEFI_MED_CLONAZEPAM] = (uint8_t)clefi_crng_bern(r, 0.10);
    }
    int dem = d[CLEFI_DIS_ALZHEIMER] || d[CLEFI_DIS_DEMENTIA];
    m[CLEFI_MED_DONEPEZIL] = (uint8_t)(dem && clefi_crng_bern(r, 0.6));
    m[CLEFI_MED_QUETIAPINE] = (uint8_t)clefi_crng_bern(
        r, 0.02 + 0.25 * dem + 0.2 * d[CLEFI_DIS_SCHIZOPHRENIA] + 0.08 * d[CLEFI_DIS_DEPRESSION]);
    m[CLEFI_MED_HALOPERIDOL] = (uint8_t)clefi_crng_bern(r, 0.01 + 0.5 * d[CLEFI_DIS_SCHIZOPHRENIA]);
    m[CLEFI_MED_SERTRALINE] = (uint8_t)(d[CLEFI_DIS_DEPRESSION] && clefi_crng_bern(r, 0.6));
    m[CLEFI_MED_SUMATRIPTAN] = (uint8_t)(d[CLEFI_DIS_MIGRAINE] && clefi_crng_bern(r, 0.5));
    m[CLEFI_MED_ASPIRIN] = (uint8_t)clefi_crng_bern(r, 0.05 + 0.7 * d[CLEFI_DIS_STROKE]);
    m[CLEFI_MED_ATORVASTATIN] =
        (uint8_t)clefi_crng_bern(r, 0.05 + 0.6 * d[CLEFI_DIS_STROKE] + 0.2 * d[CLEFI_DIS_DIABETES]);
    m[CLEFI_MED_LISINOPRIL] = (uint8_t)(d[CLEFI_DIS_HYPERTENSION] && clefi_crng_bern(r, 0.5));
    m[CLEFI_MED_METFORMIN] = (uint8_t)(d[CLEFI_DIS_DIABETES] && clefi_crng_bern(r, 0.7));
    /* Independent of everything else by construction: the harness's null task. */
    m[CLEFI_MED_CHOLECALCIFEROL] = (uint8_t)clefi_crng_bern(r, 0.3);
}

static void sample_patient(const clefi_cohort_cfg *cfg, int64_t i, clefi_patient *p) {
    clefi_crng r;
    clefi_crng_init(&r, cfg->seed, (uint64_t)i, 0, CRNG_PATIENT);
    memset(p, 0, sizeof *p);
    p->index = i;
    snprintf(p->subject_id, sizeof p->subject_id, "P%06lld", (long long)i + 1);
    snprintf(p->mrn, sizeof p->mrn, "%08llu",
             (unsigned long long)(clefi_crng_u64(&r) % 100000000u));
    p->age = 18.0 + 74.0 * pow(clefi_crng_unif(&r), 0.85);
    double u = clefi_crng_unif(&r);
    p->sex = u < 0.52 ? 0 : u < 0.99 ? 1 : 2;
    u = clefi_crng_unif(&r);
    p->race = CLEFI_N_RACE - 1;
    for (int32_t k = 0; k < CLEFI_N_RACE; k++) {
        if (u < k_race_p[k]) {
            p->race = k;
            break;
        }
        u -= k_race_p[k];
    }
    snprintf(p->given, sizeof p->given, "%s",
             p->sex == 0 ? k_given_f[clefi_crng_int(&r, NELEM(k_given_f))]
                         : k_given_m[clefi_crng_int(&r, NELEM(k_given_m))]);
    snprintf(p->family, sizeof p->family, "%s", k_family[clefi_crng_int(&r, NELEM(k_family))]);
    p->focal_side = clefi_crng_int(&r, 2);
    sample_diseases(&r, p);
    sample_chronic(&r, p);
    p->n_sessions = 1 + clefi_crng_int(&r, cfg->max_sessions);
    u = clefi_crng_unif(&r);
    p->split = u < 0.7 ? 0 : u < 0.85 ? 1 : 2;
}

/* ---- sessions ---- */

static void sample_meds(clefi_crng *r, const clefi_patient *p, clefi_session *s) {
    const uint8_t *d = p->dis;
    memcpy(s->med, p->chronic, sizeof s->med);
    /* Acute (ICU / emergency) medications vary by session. */
    int icu = d[CLEFI_DIS_HYPOXIC] || (d[CLEFI_DIS_ENCEPHALOPATHY] && clefi_crng_bern(r, 0.4));
    s->med[CLEFI_MED_LORAZEPAM] =
        (uint8_t)clefi_crng_bern(r, 0.04 + 0.22 * d[CLEFI_DIS_EPILEPSY] + 0.1 * icu);
    s->med[CLEFI_MED_MIDAZOLAM] = (uint8_t)(icu && clefi_crng_bern(r, 0.35));
    s->med[CLEFI_MED_PROPOFOL] =
        (uint8_t)(icu && clefi_crng_bern(r, d[CLEFI_DIS_HYPOXIC] ? 0.5 : 0.2));
    s->med[CLEFI_MED_HALOPERIDOL] |=
        (uint8_t)(d[CLEFI_DIS_ENCEPHALOPATHY] && clefi_crng_bern(r, 0.2));
}

static int is_benzo(const uint8_t *m) {
    return m[CLEFI_MED_LORAZEPAM] || m[CLEFI_MED_MIDAZOLAM] || m[CLEFI_MED_CLONAZEPAM];
}

static void sample_findings(clefi_crng *r, const clefi_patient *p, clefi_session *s) {
    const uint8_t *d = p->dis, *m = s->med;
    uint8_t *f = s->find;
    double a = (s->age - 50.0) / 20.0;
    int dem = d[CLEFI_DIS_ALZHEIMER] || d[CLEFI_DIS_DEMENTIA];
    int benzo = is_benzo(m), barb = m[CLEFI_MED_PHENOBARBITAL];
    int sedated = benzo || barb || m[CLEFI_MED_PROPOFOL] || m[CLEFI_MED_QUETIAPINE];
    s->severity = d[CLEFI_DIS_ENCEPHALOPATHY] ? 1 + clefi_crng_int(r, 2) + d[CLEFI_DIS_HYPOXIC] : 0;
    f[CLEFI_FIND_BURST_SUPP] = (uint8_t)clefi_crng_bern(
        r, 0.5 * d[CLEFI_DIS_HYPOXIC] + 0.25 * (s->severity >= 2 && m[CLEFI_MED_PROPOFOL]));
    f[CLEFI_FIND_GEN_SLOWING] = (uint8_t)clefi_crng_bern(
        r, sigm(-2.6 + 1.2 * s->severity + 1.3 * dem + 0.5 * a + 0.8 * m[CLEFI_MED_PROPOFOL] +
                0.4 * m[CLEFI_MED_HALOPERIDOL]));
    f[CLEFI_FIND_FOCAL_SLOWING] =
        (uint8_t)clefi_crng_bern(r, sigm(-3.2 + 3.0 * d[CLEFI_DIS_STROKE] + 2.4 * d[CLEFI_DIS_TBI] +
                                         1.0 * d[CLEFI_DIS_FOCAL_EPILEPSY]));
    f[CLEFI_FIND_TRIPHASIC] =
        (uint8_t)clefi_crng_bern(r, 0.01 + 0.35 * d[CLEFI_DIS_METABOLIC_ENC] * (s->severity >= 1));
    double asm_factor = 1.0 - 0.3 * m[CLEFI_MED_LEVETIRACETAM] - 0.2 * m[CLEFI_MED_LACOSAMIDE];
    f[CLEFI_FIND_FOCAL_IED] = (uint8_t)clefi_crng_bern(
        r, asm_factor * (0.02 + 0.6 * d[CLEFI_DIS_FOCAL_EPILEPSY] + 0.1 * d[CLEFI_DIS_STROKE] +
                         0.12 * d[CLEFI_DIS_TBI]));
    f[CLEFI_FIND_GEN_IED] = (uint8_t)clefi_crng_bern(
        r, (1.0 - 0.5 * m[CLEFI_MED_VALPROATE]) * (0.01 + 0.6 * d[CLEFI_DIS_GEN_EPILEPSY]));
    f[CLEFI_FIND_EXCESS_BETA] =
        (uint8_t)clefi_crng_bern(r, benzo || barb ? 0.97 : 0.03 + 0.3 * m[CLEFI_MED_PROPOFOL]);
    f[CLEFI_FIND_SLEEP] = (uint8_t)(!f[CLEFI_FIND_BURST_SUPP] &&
                                    clefi_crng_bern(r, sigm(-0.9 + 1.2 * sedated + 0.3 * a)));
    /* Posterior dominant rhythm: about 10 Hz in young adults, slower with age and disease. */
    double pdr = 10.3 - 0.35 * (a > -1.0 ? a + 1.0 : 0.0) - 1.6 * dem - 0.9 * s->severity -
                 0.4 * m[CLEFI_MED_PHENYTOIN] - 0.4 * m[CLEFI_MED_VALPROATE] +
                 0.5 * clefi_crng_norm(r);
    pdr = pdr < 5.0 ? 5.0 : pdr > 12.0 ? 12.0 : pdr;
    s->pdr_hz = f[CLEFI_FIND_BURST_SUPP] || s->severity >= 3 ? 0.0 : pdr;
    f[CLEFI_FIND_SLOW_PDR] = (uint8_t)(s->pdr_hz > 0 && s->pdr_hz < 8.0);
    f[CLEFI_FIND_ABNORMAL] =
        (uint8_t)(f[CLEFI_FIND_FOCAL_SLOWING] || f[CLEFI_FIND_GEN_SLOWING] ||
                  f[CLEFI_FIND_TRIPHASIC] || f[CLEFI_FIND_FOCAL_IED] || f[CLEFI_FIND_GEN_IED] ||
                  f[CLEFI_FIND_BURST_SUPP] || f[CLEFI_FIND_SLOW_PDR] || s->pdr_hz == 0.0);
}

static void sample_quirks(const clefi_cohort_cfg *cfg, clefi_crng *r, clefi_session *s) {
    static const int32_t rates[4] = {200, 250, 256, 500};
    s->fs = rates[clefi_crng_int(r, 4)];
    s->is_bdf = clefi_crng_bern(r, cfg->frac_bdf);
    s->unit_mv = clefi_crng_bern(r, cfg->frac_mv);
    s->label_style = clefi_crng_int(r, 5);
    s->line_hz = clefi_crng_bern(r, 0.5) ? 50 : 60;
    s->missing = 0;
    if (clefi_crng_bern(r, cfg->frac_missing)) {
        int32_t n = 1 + clefi_crng_int(r, 2);
        for (int32_t k = 0; k < n; k++)
            s->missing |= 1u << clefi_crng_int(r, CLEFI_N_EEG_CH);
    }
    double fa = cfg->frac_artifact;
    uint8_t *f = s->find;
    f[CLEFI_FIND_EYE_BLINKS] = (uint8_t)clefi_crng_bern(r, fa > 0 ? 0.5 + 0.5 * fa : 0);
    f[CLEFI_FIND_MUSCLE] = (uint8_t)clefi_crng_bern(r, fa);
    f[CLEFI_FIND_ELECTRODE_POP] = (uint8_t)clefi_crng_bern(r, 0.5 * fa);
    f[CLEFI_FIND_LINE_NOISE] = (uint8_t)clefi_crng_bern(r, fa);
    f[CLEFI_FIND_FLAT_CHANNEL] = (uint8_t)clefi_crng_bern(r, 0.3 * fa);
    s->flat_ch = f[CLEFI_FIND_FLAT_CHANNEL] ? clefi_crng_int(r, CLEFI_N_EEG_CH) : -1;
    s->pop_ch = clefi_crng_int(r, CLEFI_N_EEG_CH);
    if (s->flat_ch >= 0 && (s->missing >> s->flat_ch & 1u)) {
        s->flat_ch = -1; /* a missing channel cannot be flat */
        f[CLEFI_FIND_FLAT_CHANNEL] = 0;
    }
}

void clefi_cohort_sample(const clefi_cohort_cfg *cfg, clefi_patient *patients,
                         clefi_session *sessions, int64_t *n_sessions) {
    int64_t ns = 0;
    for (int64_t i = 0; i < cfg->n_patients; i++) {
        clefi_patient *p = &patients[i];
        sample_patient(cfg, i, p);
        p->first_session = (int32_t)ns;
        clefi_crng r;
        clefi_crng_init(&r, cfg->seed, (uint64_t)i, 0, CRNG_SESSION);
        /* First study between 2015 and 2022, 07:00-17:59 local time written as UTC. */
        int64_t t = 1420070400 + (int64_t)clefi_crng_int(&r, 8 * 365) * 86400 +
                    (int64_t)(7 + clefi_crng_int(&r, 11)) * 3600 +
                    (int64_t)clefi_crng_int(&r, 12) * 300;
        int32_t by, bm, bd, h, mi, sec;
        clefi_civil(t - (int64_t)(p->age * 365.25 * 86400.0), &by, &bm, &bd, &h, &mi, &sec);
        p->birth_y = by;
        p->birth_m = bm;
        p->birth_d = bd;
        for (int32_t k = 0; k < p->n_sessions; k++, ns++) {
            clefi_session *s = &sessions[ns];
            memset(s, 0, sizeof *s);
            clefi_crng rs;
            clefi_crng_init(&rs, cfg->seed, (uint64_t)i, (uint64_t)k + 1, CRNG_SESSION);
            snprintf(s->session_id, sizeof s->session_id, "%s_S%02d", p->subject_id, (int)k + 1);
            s->patient = (int32_t)i;
            s->k = k;
            s->start = t;
            s->age = p->age + (double)(t - sessions[p->first_session].start) / (365.25 * 86400.0);
            sample_meds(&rs, p, s);
            sample_findings(&rs, p, s);
            clefi_crng rq;
            clefi_crng_init(&rq, cfg->seed, (uint64_t)i, (uint64_t)k + 1, CRNG_QUIRK);
            sample_quirks(cfg, &rq, s);
            t += (int64_t)(20 + clefi_crng_int(&rs, 400)) * 86400;
        }
    }
    *n_sessions = ns;
}

/* ---- tasks ---- */

enum { TASK_FEAT_FIRST = 10 }; /* feat_ tasks: findings before the artifact rows */

int32_t clefi_cohort_n_tasks(void) { return CLEFI_N_DIS + CLEFI_N_MED + 2 + TASK_FEAT_FIRST; }

const char *clefi_cohort_task_name(int32_t t) {
    /* Names are built once into a static table (constant strings, no allocation). */
#define X(id, name, ...) "dis_" name,
    static const char *const dis[] = {CLEFI_DISEASES(X)};
#undef X
#define X(id, name, ...) "med_" name,
    static const char *const med[] = {CLEFI_MEDS(X)};
#undef X
#define X(id, name) "feat_" name,
    static const char *const feat[] = {CLEFI_FINDINGS(X)};
#undef X
    if (t < CLEFI_N_DIS)
        return dis[t];
    t -= CLEFI_N_DIS;
    if (t < CLEFI_N_MED)
        return med[t];
    t -= CLEFI_N_MED;
    if (t == 0)
        return "med_benzodiazepine";
    if (t == 1)
        return "med_antiseizure";
    return feat[t - 2];
}

static int task_positive(int32_t t, const clefi_patient *p, const clefi_session *s) {
    if (t < CLEFI_N_DIS)
        return p->dis[t];
    t -= CLEFI_N_DIS;
    if (t < CLEFI_N_MED)
        return s->med[t];
    t -= CLEFI_N_MED;
    if (t == 0)
        return is_benzo(s->med);
    if (t == 1)
        for (int32_t k = CLEFI_MED_LEVETIRACETAM; k <= CLEFI_MED_CLONAZEPAM; k++)
            if (s->med[k])
                return 1;
    if (t <= 1)
        return 0;
    return s->find[t - 2];
}

clef_status clefi_cohort_task_labels(clef_ctx *ctx, uint64_t seed, int32_t t,
                                     const clefi_patient *patients, const clefi_session *sessions,
                                     int64_t n, int8_t *labels) {
    size_t nn = (size_t)(n > 0 ? n : 1);
    double *age = clefi_calloc(ctx, nn, sizeof *age);
    int32_t *sex = clefi_calloc(ctx, nn, sizeof *sex);
    clef_status rc = age != NULL && sex != NULL ? CLEF_OK : CLEF_ERR_NOMEM;
    for (int64_t i = 0; rc == CLEF_OK && i < n; i++) {
        const clefi_patient *p = &patients[sessions[i].patient];
        labels[i] = task_positive(t, p, &sessions[i]) ? 1 : -1;
        age[i] = sessions[i].age;
        sex[i] = p->sex;
    }
    if (rc == CLEF_OK)
        rc = clefi_cohort_match(ctx, seed, t, age, sex, n, labels);
    clefi_free(ctx, age);
    clefi_free(ctx, sex);
    return rc;
}
