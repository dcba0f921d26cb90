/* edf_known.c — see edf_known.h. */
#include "edf_known.h"

#include <math.h>

const char *const edf_known_labels[EDF_KNOWN_N_SIGNALS] = {"EEG Fp1-REF", "EEG O2-REF", "ECG"};
const char *const edf_known_units[EDF_KNOWN_N_SIGNALS] = {"uV", "uV", "mV"};
const double edf_known_rates[EDF_KNOWN_N_SIGNALS] = {256, 256, 100};
const char *const edf_known_annot_text[EDF_KNOWN_N_ANNOT] = {"Eyes closed",
                                                             "Spike \xc3\xa9t\xc3\xa9", "Photic"};
const double edf_known_annot_onset[EDF_KNOWN_N_ANNOT] = {0.5, 1.25, 2.0};
const double edf_known_annot_duration[EDF_KNOWN_N_ANNOT] = {1.0, -1.0, 0.5};

double edf_known_value(int signal, long k) {
    /* A ramp through the clipping limits on signal 0, sines elsewhere. */
    double t = (double)k / edf_known_rates[signal];
    if (signal == 0)
        return -4000.0 + 12.5 * (double)k; /* crosses both limits of +-3276.8 */
    if (signal == 1)
        return 50.0 * sin(2.0 * 3.14159265358979323846 * 10.0 * t);
    return 1.5 * cos(2.0 * 3.14159265358979323846 * 1.0 * t);
}

double edf_known_step(int32_t format) { return format == CLEF_EDF_FORMAT_BDFPLUS ? 1.0 : 0.1; }

clef_status edf_known_write(clef_ctx *ctx, const char *path, int32_t format) {
    clef_edf_writer *w = NULL;
    clef_status rc = clef_edf_writer_create(&w, ctx, path, format);
    if (rc != CLEF_OK)
        return rc;
    int bdf = format == CLEF_EDF_FORMAT_BDFPLUS;
    double pmax = bdf ? 8388607 : 3276.7, pmin = bdf ? -8388608 : -3276.8;
    int32_t dmin = bdf ? -8388608 : -32768, dmax = bdf ? 8388607 : 32767;
    if (rc == CLEF_OK)
        rc = clef_edf_writer_set_patient(w, "MRN123", "F", 1961, 3, 2, "Jane Doe");
    if (rc == CLEF_OK)
        rc = clef_edf_writer_set_recording(w, "ADM1", "tech A", "CLEF synth");
    if (rc == CLEF_OK)
        rc = clef_edf_writer_set_start(w, 2023, 11, 14, 9, 30, 5);
    for (int i = 0; rc == CLEF_OK && i < EDF_KNOWN_N_SIGNALS; i++)
        rc = clef_edf_writer_add_signal(w, edf_known_labels[i], edf_known_units[i],
                                        edf_known_rates[i], pmin, pmax, dmin, dmax, "AgAgCl cup",
                                        "HP:0.1Hz LP:75Hz", NULL);
    /* Write in uneven chunks, signal by signal, to exercise the queues. */
    long done[EDF_KNOWN_N_SIGNALS] = {0};
    for (int round = 0; rc == CLEF_OK && round < 40; round++) {
        for (int i = 0; rc == CLEF_OK && i < EDF_KNOWN_N_SIGNALS; i++) {
            long total = (long)(EDF_KNOWN_SECONDS * edf_known_rates[i]);
            long n = 7 + 13 * ((round + i) % 5);
            if (n > total - done[i])
                n = total - done[i];
            float buf[64];
            for (long k = 0; k < n; k++)
                buf[k] = (float)edf_known_value(i, done[i] + k);
            rc = clef_edf_writer_write_signal_f32(w, i, buf, (size_t)n);
            done[i] += n;
        }
    }
    for (int a = 0; rc == CLEF_OK && a < EDF_KNOWN_N_ANNOT; a++)
        rc = clef_edf_writer_add_annotation(w, edf_known_annot_onset[a],
                                            edf_known_annot_duration[a], edf_known_annot_text[a]);
    if (rc == CLEF_OK)
        rc = clef_edf_writer_close(w);
    clef_edf_writer_free(w);
    return rc;
}
