/* channels.c — signal-label normalisation, channel classes, units and montages.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Canonical set and order: CLEF (arXiv 2605.10817), the 19 referential 10-20 electrodes.
 * Old names T3/T4/T5/T6 are the 10-10 T7/T8/P7/P8 (American Clinical Neurophysiology Society
 * guideline 2, 2006). Prefixes and reference suffixes: the spellings of clinical exports
 * (TUH "EEG FP1-REF", "-LE"; Natus/XLTEK; MNE's channel-type inference in
 * mne/io/edf/edf.py _get_ch_type_from_label). */
#include "io_int.h"

#include <ctype.h>
#include <string.h>

static const char *const k_canon[CLEF_N_CANONICAL] = {"Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8",
                                                      "T7",  "C3",  "Cz", "C4", "T8", "P7", "P3",
                                                      "Pz",  "P4",  "P8", "O1", "O2"};

/* Longitudinal bipolar ("double banana") montage, ACNS guideline 6 (2006): left temporal,
 * right temporal, left parasagittal, right parasagittal chains, then the midline. */
static const int8_t k_bipolar[CLEF_N_BIPOLAR][2] = {
    {0, 2}, {2, 7},  {7, 12},  {12, 17}, /* Fp1-F7 F7-T7 T7-P7 P7-O1 */
    {1, 6}, {6, 11}, {11, 16}, {16, 18}, /* Fp2-F8 F8-T8 T8-P8 P8-O2 */
    {0, 3}, {3, 8},  {8, 13},  {13, 17}, /* Fp1-F3 F3-C3 C3-P3 P3-O1 */
    {1, 5}, {5, 10}, {10, 15}, {15, 18}, /* Fp2-F4 F4-C4 C4-P4 P4-O2 */
    {4, 9}, {9, 14}};                    /* Fz-Cz Cz-Pz */
static const char *const k_bipolar_names[CLEF_N_BIPOLAR] = {
    "Fp1-F7", "F7-T7", "T7-P7", "P7-O1",  "Fp2-F8", "F8-T8", "T8-P8", "P8-O2", "Fp1-F3",
    "F3-C3",  "C3-P3", "P3-O1", "Fp2-F4", "F4-C4",  "C4-P4", "P4-O2", "Fz-Cz", "Cz-Pz"};

/* Other 10-20 / 10-10 electrode names: EEG, but outside the canonical 19. */
static const char *const k_extra_eeg[] = {
    "FPZ", "OZ",  "A1",   "A2",  "M1",  "M2",  "T1",  "T2",  "T9",  "T10",  "AF3",
    "AF4", "AF7", "AF8",  "AFZ", "F1",  "F2",  "F5",  "F6",  "F9",  "F10",  "FC1",
    "FC2", "FC3", "FC4",  "FC5", "FC6", "FCZ", "FT7", "FT8", "FT9", "FT10", "C1",
    "C2",  "C5",  "C6",   "CP1", "CP2", "CP3", "CP4", "CP5", "CP6", "CPZ",  "TP7",
    "TP8", "TP9", "TP10", "P1",  "P2",  "P5",  "P6",  "P9",  "P10", "PO3",  "PO4",
    "PO7", "PO8", "POZ",  "O9",  "O10", "IZ",  "NZ",  "SP1", "SP2", "PG1",  "PG2"};

int64_t clef_canonical_n_channels(void) { return CLEF_N_CANONICAL; }

const char *clef_canonical_channel_name(int64_t i) {
    return i >= 0 && i < CLEF_N_CANONICAL ? k_canon[i] : NULL;
}

int64_t clef_bipolar_n_channels(void) { return CLEF_N_BIPOLAR; }

const char *clef_bipolar_channel_name(int64_t i) {
    return i >= 0 && i < CLEF_N_BIPOLAR ? k_bipolar_names[i] : NULL;
}

static int ieq(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (toupper((unsigned char)*a) != toupper((unsigned char)*b))
            return 0;
    return *a == *b;
}

static int istarts(const char *s, const char *prefix) {
    for (; *prefix; s++, prefix++)
        if (toupper((unsigned char)*s) != toupper((unsigned char)*prefix))
            return 0;
    return 1;
}

double clefi_unit_uv_scale(const char *u) {
    if (u == NULL)
        return 0;
    /* "µV" as UTF-8 micro sign (C2 B5), Greek mu (CE BC) or Latin-1 (B5 decoded to C2 B5) */
    if (strcmp(u, "uV") == 0 || strcmp(u, "UV") == 0 || strcmp(u, "uv") == 0 ||
        strcmp(u, "\xc2\xb5V") == 0 || strcmp(u, "\xce\xbcV") == 0 || strcmp(u, "microV") == 0)
        return 1.0;
    if (strcmp(u, "mV") == 0 || strcmp(u, "MV") == 0 || strcmp(u, "mv") == 0)
        return 1e3;
    if (strcmp(u, "V") == 0 || strcmp(u, "v") == 0)
        return 1e6;
    if (strcmp(u, "nV") == 0 || strcmp(u, "NV") == 0 || strcmp(u, "nv") == 0)
        return 1e-3;
    return 0;
}

/* Strip a reference suffix ("-REF", "-LE", ...) in place; 1 if one was removed. */
static int strip_reference(char *s) {
    static const char *const suffixes[] = {"REF", "LE", "RE", "AVG", "AV",    "AR",
                                           "A1",  "A2", "M1", "M2",  "LINKED"};
    char *dash = strrchr(s, '-');
    if (dash == NULL || dash == s)
        return 0;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        if (ieq(dash + 1, suffixes[i])) {
            *dash = '\0';
            return 1;
        }
    }
    return 0;
}

static int32_t canonical_index(const char *s, int *renamed) {
    static const struct {
        const char *old;
        int32_t idx;
    } k_old[] = {{"T3", 7}, {"T4", 11}, {"T5", 12}, {"T6", 16}};
    for (int32_t c = 0; c < CLEF_N_CANONICAL; c++)
        if (ieq(s, k_canon[c]))
            return c;
    for (size_t i = 0; i < sizeof k_old / sizeof k_old[0]; i++) {
        if (ieq(s, k_old[i].old)) {
            *renamed = 1;
            return k_old[i].idx;
        }
    }
    return -1;
}

/* Class from a type prefix or a whole non-EEG name; -1 if the label gives none. */
static int32_t non_eeg_class(const char *s) {
    static const struct {
        const char *name;
        int32_t cls;
    } k_types[] = {
        {"ECG", CLEF_CHAN_ECG},      {"EKG", CLEF_CHAN_ECG},     {"EMG", CLEF_CHAN_EMG},
        {"EOG", CLEF_CHAN_EOG},      {"LOC", CLEF_CHAN_EOG},     {"ROC", CLEF_CHAN_EOG},
        {"RESP", CLEF_CHAN_RESP},    {"SPO2", CLEF_CHAN_RESP},   {"SAO2", CLEF_CHAN_RESP},
        {"FLOW", CLEF_CHAN_RESP},    {"THOR", CLEF_CHAN_RESP},   {"ABD", CLEF_CHAN_RESP},
        {"PHOTIC", CLEF_CHAN_OTHER}, {"IBI", CLEF_CHAN_OTHER},   {"BURSTS", CLEF_CHAN_OTHER},
        {"SUPPR", CLEF_CHAN_OTHER},  {"TRIG", CLEF_CHAN_OTHER},  {"STATUS", CLEF_CHAN_OTHER},
        {"EVENT", CLEF_CHAN_OTHER},  {"PULSE", CLEF_CHAN_OTHER}, {"HR", CLEF_CHAN_OTHER},
        {"DC", CLEF_CHAN_OTHER}};
    for (size_t i = 0; i < sizeof k_types / sizeof k_types[0]; i++) {
        size_t n = strlen(k_types[i].name);
        if (istarts(s, k_types[i].name) && !isalpha((unsigned char)s[n]))
            return k_types[i].cls;
    }
    return -1;
}

void clefi_channel_classify(const char *label, char *name, size_t cap, int32_t *cls, int32_t *canon,
                            int32_t *map) {
    char buf[128];
    size_t a = 0, n = strlen(label);
    while (a < n && isspace((unsigned char)label[a]))
        a++;
    while (n > a && isspace((unsigned char)label[n - 1]))
        n--;
    if (n - a >= sizeof buf)
        n = a + sizeof buf - 1;
    memcpy(buf, label + a, n - a);
    buf[n - a] = '\0';
    char *s = buf;
    int changed = a > 0 || label[n] != '\0';
    int32_t c = -1, k = non_eeg_class(s), m;
    if (k < 0 && istarts(s, "EEG") && (s[3] == ' ' || s[3] == '-' || s[3] == '_')) {
        s += 4; /* "EEG FP1-REF" */
        while (*s == ' ')
            s++;
        changed = 1;
    }
    if (k < 0)
        k = non_eeg_class(s);
    if (k >= 0) {
        m = CLEF_MAP_DROPPED_NON_EEG;
    } else {
        changed |= strip_reference(s);
        int renamed = 0;
        c = canonical_index(s, &renamed);
        k = CLEF_CHAN_EEG;
        if (c >= 0) {
            /* a case difference alone ("FP1") is still exact */
            m = changed || renamed ? CLEF_MAP_ALIASED : CLEF_MAP_EXACT;
            s = (char *)k_canon[c];
        } else if (strchr(s, '-') != NULL) {
            m = CLEF_MAP_DROPPED_BIPOLAR;
        } else {
            int known = 0;
            for (size_t i = 0; i < sizeof k_extra_eeg / sizeof k_extra_eeg[0]; i++)
                known |= ieq(s, k_extra_eeg[i]);
            k = known ? CLEF_CHAN_EEG : CLEF_CHAN_OTHER;
            m = known ? CLEF_MAP_DROPPED_EXTRA : CLEF_MAP_DROPPED_NON_EEG;
        }
    }
    if (name != NULL && cap > 0) {
        size_t l = strlen(s);
        if (l >= cap)
            l = cap - 1;
        memcpy(name, s, l);
        name[l] = '\0';
    }
    *cls = k;
    *canon = c;
    *map = m;
}

clef_status clef_channel_parse(const char *label, char *name_out, size_t name_cap,
                               int32_t *class_out, int32_t *canonical_out, int32_t *map_out) {
    if (label == NULL || (name_out == NULL && name_cap > 0))
        return CLEF_ERR_INVALID_ARG;
    char name[128];
    int32_t cls, canon, map;
    clefi_channel_classify(label, name, sizeof name, &cls, &canon, &map);
    if (class_out != NULL)
        *class_out = cls;
    if (canonical_out != NULL)
        *canonical_out = canon;
    if (map_out != NULL)
        *map_out = map;
    if (name_out == NULL)
        return CLEF_OK;
    size_t l = strlen(name);
    size_t w = l < name_cap ? l : name_cap - 1;
    if (name_cap > 0) {
        memcpy(name_out, name, w);
        name_out[w] = '\0';
    }
    return l < name_cap ? CLEF_OK : CLEF_ERR_BUFFER_TOO_SMALL;
}

clef_status clef_montage_common_average(float *data, size_t stride, int64_t n,
                                        uint32_t present_mask) {
    if (data == NULL || n < 0 || stride < (size_t)n)
        return CLEF_ERR_INVALID_ARG;
    int32_t np = 0;
    for (int32_t c = 0; c < CLEF_N_CANONICAL; c++)
        np += (present_mask >> c) & 1u;
    if (np == 0)
        return CLEF_OK;
    for (int64_t t = 0; t < n; t++) {
        double sum = 0;
        for (int32_t c = 0; c < CLEF_N_CANONICAL; c++)
            if ((present_mask >> c) & 1u)
                sum += data[(size_t)c * stride + (size_t)t];
        float mean = (float)(sum / np);
        for (int32_t c = 0; c < CLEF_N_CANONICAL; c++)
            if ((present_mask >> c) & 1u)
                data[(size_t)c * stride + (size_t)t] -= mean;
    }
    return CLEF_OK;
}

clef_status clef_montage_bipolar(const float *in, size_t in_stride, int64_t n, uint32_t in_mask,
                                 float *out, size_t out_stride, uint32_t *out_mask) {
    if (in == NULL || out == NULL || n < 0 || in_stride < (size_t)n || out_stride < (size_t)n)
        return CLEF_ERR_INVALID_ARG;
    uint32_t om = 0;
    for (int32_t j = 0; j < CLEF_N_BIPOLAR; j++) {
        int a = k_bipolar[j][0], b = k_bipolar[j][1];
        float *o = out + (size_t)j * out_stride;
        if (((in_mask >> a) & 1u) && ((in_mask >> b) & 1u)) {
            const float *x = in + (size_t)a * in_stride, *y = in + (size_t)b * in_stride;
            for (int64_t t = 0; t < n; t++)
                o[t] = x[t] - y[t];
            om |= 1u << j;
        } else {
            memset(o, 0, (size_t)n * sizeof *o);
        }
    }
    if (out_mask != NULL)
        *out_mask = om;
    return CLEF_OK;
}
