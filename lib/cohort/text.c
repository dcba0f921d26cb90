/* text.c — string buffer, dates, and the neurologist-style EEG report of a synthetic session.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Sections follow the ACNS Guideline 7 (2016) report structure: history, medications,
 * technique, description, impression, clinical correlation. Phrasing varies per session
 * (report RNG stream), with negations and hedges, and fake PHI for de-identification tests. */
#include "cohort_int.h"

#include <stdio.h>
#include <string.h>

void clefi_sbuf_printf(clefi_sbuf *b, const char *fmt, ...) {
    if (b->err)
        return;
    for (int attempt = 0; attempt < 2; attempt++) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n =
            clefi_vsnprintf(b->p != NULL ? b->p + b->len : NULL, b->p != NULL ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->err = 1;
            return;
        }
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = 2 * b->cap + (size_t)n + 256;
        char *p = clefi_realloc(b->ctx, b->p, cap);
        if (p == NULL) {
            b->err = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

void clefi_sbuf_free(clefi_sbuf *b) {
    clefi_free(b->ctx, b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Days since 1970-01-01 to a civil date (H. Hinnant, "chrono-compatible low-level date
 * algorithms", civil_from_days). */
void clefi_civil(int64_t t, int32_t *y, int32_t *mo, int32_t *d, int32_t *h, int32_t *mi,
                 int32_t *s) {
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t sod = t - days * 86400;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int32_t)(yoe + era * 400 + (mm <= 2));
    *mo = (int32_t)mm;
    *d = (int32_t)dd;
    *h = (int32_t)(sod / 3600);
    *mi = (int32_t)(sod / 60 % 60);
    *s = (int32_t)(sod % 60);
}

void clefi_iso8601(int64_t t, char out[24]) {
    int32_t y, mo, d, h, mi, s;
    clefi_civil(t, &y, &mo, &d, &h, &mi, &s);
    snprintf(out, 24, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, (int)mo, (int)d, (int)h, (int)mi,
             (int)s);
}

#define PICK(r, ...)                                                                               \
    (((const char *const[]){__VA_ARGS__})[clefi_crng_int(                                          \
        (r), (int32_t)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)))])

static void history(clefi_sbuf *b, clefi_crng *r, const clefi_patient *p, const clefi_session *s) {
    const uint8_t *d = p->dis;
    const char *side = p->focal_side == 0 ? "left" : "right";
    clefi_sbuf_printf(b, "HISTORY:\n%d-year-old %s", (int)s->age,
                      p->sex == 0   ? PICK(r, "woman", "female")
                      : p->sex == 1 ? PICK(r, "man", "male")
                                    : "patient");
    int n = 0;
    const char *items[12];
    if (d[CLEFI_DIS_EPILEPSY])
        items[n++] = PICK(r, "a history of seizures", "known epilepsy", "recurrent seizures");
    if (d[CLEFI_DIS_STROKE])
        items[n++] = p->focal_side == 0 ? "a prior left hemispheric ischemic stroke"
                                        : "a prior right hemispheric ischemic stroke";
    if (d[CLEFI_DIS_TBI])
        items[n++] = PICK(r, "traumatic brain injury", "a head injury after a fall");
    if (d[CLEFI_DIS_HYPOXIC])
        items[n++] = PICK(r, "cardiac arrest with hypoxic injury", "anoxic brain injury");
    if (d[CLEFI_DIS_ENCEPHALOPATHY] && !d[CLEFI_DIS_HYPOXIC])
        items[n++] = PICK(r, "altered mental status", "confusion", "encephalopathy");
    if (d[CLEFI_DIS_ALZHEIMER] || d[CLEFI_DIS_DEMENTIA])
        items[n++] = PICK(r, "progressive memory decline", "dementia", "cognitive impairment");
    if (d[CLEFI_DIS_MIGRAINE])
        items[n++] = PICK(r, "migraine", "recurrent headaches");
    if (d[CLEFI_DIS_DEPRESSION])
        items[n++] = "depression";
    if (d[CLEFI_DIS_SCHIZOPHRENIA])
        items[n++] = "schizophrenia";
    if (d[CLEFI_DIS_HYPERTENSION])
        items[n++] = "hypertension";
    if (n == 0)
        clefi_sbuf_printf(b, " %s",
                          PICK(r, "with a single episode of transient loss of awareness",
                               "with spells of uncertain etiology", "referred for a routine EEG"));
    for (int k = 0; k < n; k++)
        clefi_sbuf_printf(b, "%s%s", k == 0 ? " with " : k == n - 1 ? " and " : ", ", items[k]);
    clefi_sbuf_printf(b, ". %s\n\n",
                      d[CLEFI_DIS_EPILEPSY] ? PICK(r, "Evaluate for epileptiform activity.",
                                                   "Please assess seizure risk.")
                                            : PICK(r, "Rule out seizures.",
                                                   "Evaluate for "
                                                   "encephalopathy or seizures.",
                                                   "EEG requested by the ward team."));
    (void)side;
}

static void meds(clefi_sbuf *b, clefi_crng *r, const clefi_session *s) {
    clefi_sbuf_printf(b, "MEDICATIONS:\n");
    int n = 0;
    for (int k = 0; k < CLEFI_N_MED; k++) {
        if (!s->med[k])
            continue;
        clefi_sbuf_printf(b, "%s%s", n ? ", " : "", clefi_med_display[k]);
        n++;
    }
    clefi_sbuf_printf(b, "%s\n\n", n ? "." : PICK(r, "None listed.", "No current medications."));
}

static void technique(clefi_sbuf *b, clefi_crng *r, const clefi_session *s, double dur_s) {
    clefi_sbuf_printf(
        b,
        "TECHNIQUE:\nA %d-%s digital EEG was recorded with %s according to "
        "the international 10-20 system, at %d Hz. %s\n\n",
        dur_s >= 60 ? (int)(dur_s / 60.0 + 0.5) : (int)dur_s, dur_s >= 60 ? "minute" : "second",
        PICK(r, "19 scalp electrodes", "scalp electrodes"), (int)s->fs,
        s->find[CLEFI_FIND_BURST_SUPP]
            ? "The patient was unresponsive; no activation procedures."
            : PICK(r, "Hyperventilation was not performed.", "Photic stimulation was performed.",
                   "The patient was awake at the start of the recording."));
}

static void description(clefi_sbuf *b, clefi_crng *r, const clefi_patient *p,
                        const clefi_session *s) {
    const uint8_t *f = s->find;
    const char *side = p->focal_side == 0 ? "left" : "right";
    clefi_sbuf_printf(b, "DESCRIPTION:\n");
    if (f[CLEFI_FIND_BURST_SUPP])
        clefi_sbuf_printf(b, "The record shows a burst-suppression pattern, with generalized "
                             "bursts of 1-3 seconds separated by periods of suppression. ");
    else if (s->pdr_hz > 0)
        clefi_sbuf_printf(b, "%s %.1f Hz %s. ",
                          PICK(r, "The posterior dominant rhythm is", "The background contains a"),
                          s->pdr_hz,
                          PICK(r, "posterior rhythm that attenuates with eye opening",
                               "alpha rhythm, reactive to eye opening"));
    else
        clefi_sbuf_printf(b, "No posterior dominant rhythm is seen. ");
    if (f[CLEFI_FIND_GEN_SLOWING])
        clefi_sbuf_printf(b, "%s ",
                          PICK(r, "There is diffuse polymorphic delta and theta slowing.",
                               "The background is diffusely slow."));
    if (f[CLEFI_FIND_FOCAL_SLOWING])
        clefi_sbuf_printf(b, "%s %s temporal region. ",
                          PICK(r, "Intermittent polymorphic delta activity is seen over the",
                               "There is focal slowing over the"),
                          side);
    else
        clefi_sbuf_printf(b, "%s ",
                          PICK(r, "No focal slowing.", "There is no focal slowing.",
                               "No definite focal abnormality."));
    if (f[CLEFI_FIND_EXCESS_BETA])
        clefi_sbuf_printf(b, "%s ",
                          PICK(r, "Excess diffuse beta activity is present.",
                               "There is prominent frontocentral beta activity."));
    if (f[CLEFI_FIND_TRIPHASIC])
        clefi_sbuf_printf(b, "Frontally predominant generalized periodic discharges with "
                             "triphasic morphology are seen at about 1.5-2 Hz. ");
    if (f[CLEFI_FIND_FOCAL_IED])
        clefi_sbuf_printf(b, "%s %s temporal region. ",
                          PICK(r, "Sharp waves are seen over the", "Spikes are seen over the",
                               "Frequent epileptiform discharges arise from the"),
                          side);
    if (f[CLEFI_FIND_GEN_IED])
        clefi_sbuf_printf(b,
                          "Bursts of generalized 3 Hz spike-and-wave discharges lasting up to "
                          "%d seconds are recorded. ",
                          4 + clefi_crng_int(r, 4));
    if (!f[CLEFI_FIND_FOCAL_IED] && !f[CLEFI_FIND_GEN_IED])
        clefi_sbuf_printf(b, "%s ",
                          PICK(r, "No epileptiform discharges were seen.",
                               "There are no epileptiform abnormalities.",
                               "No definite epileptiform discharges."));
    if (f[CLEFI_FIND_SLEEP])
        clefi_sbuf_printf(b, "%s ",
                          PICK(r,
                               "Drowsiness and stage 2 sleep were recorded with "
                               "vertex waves and spindles.",
                               "The patient became drowsy; sleep spindles were seen."));
    if (f[CLEFI_FIND_EYE_BLINKS] || f[CLEFI_FIND_MUSCLE])
        clefi_sbuf_printf(b, "%s ",
                          PICK(r, "Eye blink and muscle artifact are noted.",
                               "Intermittent artifact obscures parts of the record."));
    if (f[CLEFI_FIND_LINE_NOISE])
        clefi_sbuf_printf(b, "%d Hz line artifact is present. ", (int)s->line_hz);
    if (f[CLEFI_FIND_FLAT_CHANNEL])
        clefi_sbuf_printf(b, "One channel shows no signal (electrode artifact). ");
    clefi_sbuf_printf(b, "\n\n");
}

static void impression(clefi_sbuf *b, clefi_crng *r, const clefi_patient *p,
                       const clefi_session *s) {
    const uint8_t *f = s->find;
    const char *side = p->focal_side == 0 ? "left" : "right";
    clefi_sbuf_printf(b, "IMPRESSION:\n");
    if (!f[CLEFI_FIND_ABNORMAL] && !f[CLEFI_FIND_EXCESS_BETA]) {
        clefi_sbuf_printf(b, "%s\n\n",
                          f[CLEFI_FIND_SLEEP] ? "Normal awake and asleep EEG."
                                              : PICK(r, "Normal awake EEG.", "Normal EEG."));
        clefi_sbuf_printf(b, "CLINICAL CORRELATION:\n%s\n",
                          PICK(r, "A normal EEG does not exclude a diagnosis of epilepsy.",
                               "No evidence of an epileptogenic process during this recording."));
        return;
    }
    clefi_sbuf_printf(b, "Abnormal EEG due to:\n");
    int k = 1;
    if (f[CLEFI_FIND_BURST_SUPP])
        clefi_sbuf_printf(b, "%d. Burst suppression.\n", k++);
    if (f[CLEFI_FIND_GEN_IED])
        clefi_sbuf_printf(b, "%d. Generalized spike-and-wave discharges.\n", k++);
    if (f[CLEFI_FIND_FOCAL_IED])
        clefi_sbuf_printf(b, "%d. Focal epileptiform discharges, %s temporal.\n", k++, side);
    if (f[CLEFI_FIND_TRIPHASIC])
        clefi_sbuf_printf(b, "%d. Generalized periodic discharges with triphasic morphology.\n",
                          k++);
    if (f[CLEFI_FIND_FOCAL_SLOWING])
        clefi_sbuf_printf(b, "%d. Focal slowing, %s temporal.\n", k++, side);
    if (f[CLEFI_FIND_GEN_SLOWING])
        clefi_sbuf_printf(b, "%d. Generalized slowing.\n", k++);
    if (f[CLEFI_FIND_SLOW_PDR])
        clefi_sbuf_printf(b, "%d. Slow posterior dominant rhythm.\n", k++);
    if (f[CLEFI_FIND_EXCESS_BETA])
        clefi_sbuf_printf(b, "%d. Excess beta activity.\n", k++);
    clefi_sbuf_printf(b, "\nCLINICAL CORRELATION:\n");
    if (f[CLEFI_FIND_GEN_IED] || f[CLEFI_FIND_FOCAL_IED])
        clefi_sbuf_printf(b, "%s ",
                          PICK(r,
                               "The epileptiform discharges indicate an increased "
                               "risk of seizures.",
                               "These findings are consistent with a potentially "
                               "epileptogenic process."));
    if (f[CLEFI_FIND_FOCAL_SLOWING])
        clefi_sbuf_printf(b, "Focal slowing %s focal cerebral dysfunction in the %s hemisphere. ",
                          PICK(r, "suggests", "may indicate", "is consistent with"), side);
    if (f[CLEFI_FIND_GEN_SLOWING] || f[CLEFI_FIND_TRIPHASIC] || f[CLEFI_FIND_BURST_SUPP])
        clefi_sbuf_printf(b, "%s ",
                          PICK(r,
                               "These findings are consistent with a diffuse "
                               "encephalopathy, nonspecific as to etiology.",
                               "Likely a moderate to severe diffuse cerebral "
                               "dysfunction; toxic-metabolic causes should be "
                               "considered."));
    if (f[CLEFI_FIND_EXCESS_BETA])
        clefi_sbuf_printf(b, "%s ",
                          PICK(r,
                               "Excess beta is most often a medication effect, "
                               "for example benzodiazepines.",
                               "The beta activity possibly reflects sedative "
                               "medication."));
    clefi_sbuf_printf(b, "\n");
}

void clefi_cohort_report(clefi_sbuf *b, uint64_t seed, const clefi_patient *p,
                         const clefi_session *s, double duration_s) {
    clefi_crng r;
    clefi_crng_init(&r, seed, (uint64_t)s->patient, (uint64_t)s->k + 1, CRNG_REPORT);
    int32_t y, mo, d, h, mi, sec;
    clefi_civil(s->start, &y, &mo, &d, &h, &mi, &sec);
    static const char *const k_doc[] = {"Dr. A. Reyes", "Dr. K. Osei", "Dr. M. Lindqvist",
                                        "Dr. S. Patel"};
    clefi_sbuf_printf(b,
                      "EEG REPORT\n\nPatient: %s, %s\nMRN: %s\nDOB: %02d/%02d/%04d\n"
                      "Date of study: %04d-%02d-%02d %02d:%02d\nReferring: %s\nStudy: %s\n\n",
                      p->family, p->given, p->mrn, (int)p->birth_m, (int)p->birth_d,
                      (int)p->birth_y, (int)y, (int)mo, (int)d, (int)h, (int)mi,
                      k_doc[clefi_crng_int(&r, 4)], s->session_id);
    history(b, &r, p, s);
    meds(b, &r, s);
    technique(b, &r, s, duration_s);
    description(b, &r, p, s);
    impression(b, &r, p, s);
    clefi_sbuf_printf(b, "\n%s, MD\n", k_doc[clefi_crng_int(&r, 4)]);
}
