/*
 * cohort_int.h — libclef internal module 'cohort': the synthetic clinical cohort generator
 * (latent patient model, EEG synthesis, reports, FHIR R4 XML, MEDS events, tasks).
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Internal only. The public entry point is clef_cohort_generate() in include/clef.h; the export
 * format is docs/COHORT-FORMAT.md.
 */
#ifndef CLEF_COHORT_INT_H
#define CLEF_COHORT_INT_H

#include "core_int.h"

/* ---- counter-based random numbers ----
 * A stream is keyed by (seed, patient, session, purpose): results never depend on the order in
 * which sessions are generated or on the thread count. lib/core's clefi_splitmix64 both hashes
 * the key and advances the stream. */
typedef struct clefi_crng {
    uint64_t s;
    double spare; /* second Box-Muller deviate */
    int has_spare;
} clefi_crng;

enum clefi_crng_purpose {
    CRNG_PATIENT = 1,
    CRNG_SESSION = 2,
    CRNG_EEG = 3,
    CRNG_REPORT = 4,
    CRNG_FHIR = 5,
    CRNG_SPLIT = 6,
    CRNG_MATCH = 7,
    CRNG_QUIRK = 8
};

CLEFI_HIDDEN void clefi_crng_init(clefi_crng *r, uint64_t seed, uint64_t patient, uint64_t session,
                                  uint64_t purpose);
CLEFI_HIDDEN uint64_t clefi_crng_u64(clefi_crng *r);
/** Uniform in [0, 1). */
CLEFI_HIDDEN double clefi_crng_unif(clefi_crng *r);
/** Standard normal (Box-Muller). */
CLEFI_HIDDEN double clefi_crng_norm(clefi_crng *r);
/** Uniform integer in [0, n). */
CLEFI_HIDDEN int32_t clefi_crng_int(clefi_crng *r, int32_t n);
/** 1 with probability p. */
CLEFI_HIDDEN int clefi_crng_bern(clefi_crng *r, double p);

/* ---- vocabularies (X-macro tables in model.c) ---- */
/* Diseases: task name (dis_<name>), ICD-10-CM code, display text. */
#define CLEFI_DISEASES(X)                                                                          \
    X(EPILEPSY, "epilepsy", "G40.909", "Epilepsy, unspecified")                                    \
    X(GEN_EPILEPSY, "generalized_epilepsy", "G40.309", "Generalized idiopathic epilepsy")          \
    X(FOCAL_EPILEPSY, "focal_epilepsy", "G40.209", "Localization-related symptomatic epilepsy")    \
    X(ENCEPHALOPATHY, "encephalopathy", "G93.40", "Encephalopathy, unspecified")                   \
    X(METABOLIC_ENC, "metabolic_encephalopathy", "G93.41", "Metabolic encephalopathy")             \
    X(STROKE, "ischemic_stroke", "I63.9", "Cerebral infarction, unspecified")                      \
    X(ALZHEIMER, "alzheimer", "G30.9", "Alzheimer's disease, unspecified")                         \
    X(DEMENTIA, "dementia", "F03.90", "Unspecified dementia without behavioral disturbance")       \
    X(MIGRAINE, "migraine", "G43.909", "Migraine, unspecified")                                    \
    X(TBI, "tbi", "S06.9X0A", "Unspecified intracranial injury, initial encounter")                \
    X(HYPOXIC, "hypoxic_injury", "G93.1", "Anoxic brain damage")                                   \
    X(HYPERTENSION, "hypertension", "I10", "Essential (primary) hypertension")                     \
    X(DIABETES, "diabetes", "E11.9", "Type 2 diabetes mellitus without complications")             \
    X(DEPRESSION, "depression", "F32.9", "Major depressive disorder, single episode")              \
    X(SCHIZOPHRENIA, "schizophrenia", "F20.9", "Schizophrenia, unspecified")

/* Medications: task name (med_<name>), ATC code, display text. */
#define CLEFI_MEDS(X)                                                                              \
    X(LEVETIRACETAM, "levetiracetam", "N03AX14", "levetiracetam")                                  \
    X(VALPROATE, "valproate", "N03AG01", "valproic acid")                                          \
    X(LAMOTRIGINE, "lamotrigine", "N03AX09", "lamotrigine")                                        \
    X(PHENYTOIN, "phenytoin", "N03AB02", "phenytoin")                                              \
    X(LACOSAMIDE, "lacosamide", "N03AX18", "lacosamide")                                           \
    X(PHENOBARBITAL, "phenobarbital", "N03AA02", "phenobarbital")                                  \
    X(CLONAZEPAM, "clonazepam", "N03AE01", "clonazepam")                                           \
    X(LORAZEPAM, "lorazepam", "N05BA06", "lorazepam")                                              \
    X(MIDAZOLAM, "midazolam", "N05CD08", "midazolam")                                              \
    X(PROPOFOL, "propofol", "N01AX10", "propofol")                                                 \
    X(HALOPERIDOL, "haloperidol", "N05AD01", "haloperidol")                                        \
    X(QUETIAPINE, "quetiapine", "N05AH04", "quetiapine")                                           \
    X(DONEPEZIL, "donepezil", "N06DA02", "donepezil")                                              \
    X(SERTRALINE, "sertraline", "N06AB06", "sertraline")                                           \
    X(SUMATRIPTAN, "sumatriptan", "N02CC01", "sumatriptan")                                        \
    X(ASPIRIN, "aspirin", "B01AC06", "acetylsalicylic acid")                                       \
    X(ATORVASTATIN, "atorvastatin", "C10AA05", "atorvastatin")                                     \
    X(LISINOPRIL, "lisinopril", "C09AA03", "lisinopril")                                           \
    X(METFORMIN, "metformin", "A10BA02", "metformin")                                              \
    X(CHOLECALCIFEROL, "cholecalciferol", "A11CC05", "colecalciferol")

/* Ground-truth EEG findings of a session (truth.csv; feat_<name> tasks). */
#define CLEFI_FINDINGS(X)                                                                          \
    X(FOCAL_SLOWING, "focal_slowing")                                                              \
    X(GEN_SLOWING, "generalized_slowing")                                                          \
    X(TRIPHASIC, "triphasic_waves")                                                                \
    X(FOCAL_IED, "focal_epileptiform")                                                             \
    X(GEN_IED, "generalized_epileptiform")                                                         \
    X(EXCESS_BETA, "excess_beta")                                                                  \
    X(SLEEP, "drowsiness_sleep")                                                                   \
    X(BURST_SUPP, "burst_suppression")                                                             \
    X(SLOW_PDR, "slow_pdr")                                                                        \
    X(ABNORMAL, "abnormal")                                                                        \
    X(EYE_BLINKS, "artifact_eye_blinks")                                                           \
    X(MUSCLE, "artifact_muscle")                                                                   \
    X(ELECTRODE_POP, "artifact_electrode_pop")                                                     \
    X(LINE_NOISE, "artifact_line_noise")                                                           \
    X(FLAT_CHANNEL, "artifact_flat_channel")

#define X(id, ...) CLEFI_DIS_##id,
enum { CLEFI_DISEASES(X) CLEFI_N_DIS };
#undef X
#define X(id, ...) CLEFI_MED_##id,
enum { CLEFI_MEDS(X) CLEFI_N_MED };
#undef X
#define X(id, ...) CLEFI_FIND_##id,
enum { CLEFI_FINDINGS(X) CLEFI_N_FIND };
#undef X

CLEFI_HIDDEN extern const char *const clefi_dis_name[CLEFI_N_DIS];
CLEFI_HIDDEN extern const char *const clefi_dis_icd[CLEFI_N_DIS];
CLEFI_HIDDEN extern const char *const clefi_dis_display[CLEFI_N_DIS];
CLEFI_HIDDEN extern const char *const clefi_med_name[CLEFI_N_MED];
CLEFI_HIDDEN extern const char *const clefi_med_atc[CLEFI_N_MED];
CLEFI_HIDDEN extern const char *const clefi_med_display[CLEFI_N_MED];
CLEFI_HIDDEN extern const char *const clefi_find_name[CLEFI_N_FIND];

#define CLEFI_N_RACE 8
CLEFI_HIDDEN extern const char *const clefi_race_code[CLEFI_N_RACE];
#define CLEFI_N_EEG_CH 19

/* ---- generation parameters (read once from the clef_params set) ---- */
typedef struct clefi_cohort_cfg {
    uint64_t seed;
    int64_t n_patients;
    int32_t max_sessions; /* each patient has 1..max_sessions sessions */
    double duration_s;
    int32_t n_threads;
    double frac_missing, frac_mv, frac_bdf, frac_artifact;
} clefi_cohort_cfg;

/* ---- the latent model ---- */
typedef struct clefi_patient {
    int64_t index;
    char subject_id[24];
    char mrn[16];
    char given[24], family[24];
    double age;   /* at the first session */
    int32_t sex;  /* 0 F, 1 M, 2 U */
    int32_t race; /* index into clefi_race_code */
    int32_t birth_y, birth_m, birth_d;
    int32_t focal_side; /* 0 left, 1 right: side of structural lesions and foci */
    uint8_t dis[CLEFI_N_DIS];
    uint8_t chronic[CLEFI_N_MED]; /* long-term medications */
    int32_t first_session, n_sessions;
    int32_t split; /* 0 train, 1 val, 2 test */
} clefi_patient;

typedef struct clefi_session {
    char session_id[40];
    int32_t patient, k; /* patient index, session number within the patient */
    int64_t start;      /* seconds since 1970-01-01 UTC */
    double age;
    uint8_t med[CLEFI_N_MED];
    uint8_t find[CLEFI_N_FIND];
    double pdr_hz;    /* posterior dominant rhythm; 0 when absent */
    int32_t severity; /* encephalopathy grade 0-3 */
    /* recording quirks */
    int32_t fs, is_bdf, unit_mv, label_style, line_hz, flat_ch, pop_ch;
    uint32_t missing; /* bit c: canonical channel c absent */
    char sha256[65];
} clefi_session;

/** Sample every patient and session (serial, cheap): demographics, diseases, medications,
 *  findings, quirks, splits. sessions has room for n_patients * max_sessions. */
CLEFI_HIDDEN void clefi_cohort_sample(const clefi_cohort_cfg *cfg, clefi_patient *patients,
                                      clefi_session *sessions, int64_t *n_sessions);

/* ---- EEG synthesis ---- */
/** One session as [19][n] microvolts in canonical channel order (Fp1 Fp2 F7 F3 Fz F4 F8 T7 C3 Cz
 *  C4 T8 P7 P3 Pz P4 P8 O1 O2) plus the eye-state annotations; n = duration_s * s->fs. Writes the
 *  EDF+/BDF+ file at path. */
CLEFI_HIDDEN clef_status clefi_cohort_write_eeg(clef_ctx *ctx, const clefi_cohort_cfg *cfg,
                                                const clefi_patient *p, clefi_session *s,
                                                const char *path);
/** Synthesize [19][n] microvolts (x has room for 19 * n) for session s; events (eye state
 *  changes, onset seconds) are reported through fn. Exposed for the known-truth tests. */
typedef void (*clefi_eeg_event_fn)(double onset_s, const char *text, void *user);
CLEFI_HIDDEN clef_status clefi_cohort_synth_eeg(clef_ctx *ctx, const clefi_cohort_cfg *cfg,
                                                const clefi_patient *p, const clefi_session *s,
                                                float *x, size_t n, clefi_eeg_event_fn fn,
                                                void *user);

/* ---- text ---- */
/** A growable UTF-8 buffer (ctx allocator); err latches the first allocation failure. */
typedef struct clefi_sbuf {
    clef_ctx *ctx;
    char *p;
    size_t len, cap;
    int err;
} clefi_sbuf;
CLEFI_HIDDEN void clefi_sbuf_printf(clefi_sbuf *b, const char *fmt, ...) CLEFI_PRINTF(2, 3);
CLEFI_HIDDEN void clefi_sbuf_free(clefi_sbuf *b);

/** Civil date and time of a Unix time (UTC). */
CLEFI_HIDDEN void clefi_civil(int64_t t, int32_t *y, int32_t *mo, int32_t *d, int32_t *h,
                              int32_t *mi, int32_t *s);
/** ISO 8601 with zone, e.g. 2024-03-01T09:30:00Z (out: 21 bytes). */
CLEFI_HIDDEN void clefi_iso8601(int64_t t, char out[24]);

/** The neurologist-style report of session s. */
CLEFI_HIDDEN void clefi_cohort_report(clefi_sbuf *b, uint64_t seed, const clefi_patient *p,
                                      const clefi_session *s, double duration_s);
/** The patient's HL7 FHIR R4 Bundle (XML, libxml2 text writer) written to path. */
CLEFI_HIDDEN clef_status clefi_cohort_write_fhir(clef_ctx *ctx, uint64_t seed,
                                                 const clefi_patient *p,
                                                 const clefi_session *sessions, double duration_s,
                                                 const char *path);

/* ---- tasks ---- */
/** Number of binary tasks and the name of task t ("dis_epilepsy", ...). */
CLEFI_HIDDEN int32_t clefi_cohort_n_tasks(void);
CLEFI_HIDDEN const char *clefi_cohort_task_name(int32_t t);
/** Matched negatives (match.c): labels holds 1 (positive) or -1 (candidate) per session; each
 *  positive gets the free candidate of its sex (0 F, 1 M, 2 U) nearest in age, within a
 *  caliper, which becomes 0; a positive without one becomes -1. */
CLEFI_HIDDEN clef_status clefi_cohort_match(clef_ctx *ctx, uint64_t seed, int32_t t,
                                            const double *age, const int32_t *sex, int64_t n,
                                            int8_t *labels);
/** Labels of task t for every session (1, 0 matched negative, -1 excluded). */
CLEFI_HIDDEN clef_status clefi_cohort_task_labels(clef_ctx *ctx, uint64_t seed, int32_t t,
                                                  const clefi_patient *patients,
                                                  const clefi_session *sessions, int64_t n,
                                                  int8_t *labels);

#endif /* CLEF_COHORT_INT_H */
