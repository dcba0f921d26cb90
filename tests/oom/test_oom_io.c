/* test_oom_io.c — OOM sweeps of the core, input and DSP entry points: sessions and parameter
 * sets, EDF/BDF reading, resampling, streams, the EDF writer, EHR records, DPSS and
 * spectrograms (oom_sweep.h says what each sweep checks). */
#include "oom_sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- core ---- */

static clef_status c_session(oom_fx *fx) {
    clef_session *s = NULL;
    clef_status rc = clef_session_create(&s, fx->ctx, 2);
    clef_session_free(s);
    return rc;
}

static clef_status c_params(oom_fx *fx) {
    clef_params *p = NULL, *q = NULL;
    clef_status rc = clef_params_create(&p, fx->ctx, CLEF_PARAMS_IO);
    if (rc == CLEF_OK)
        rc = clef_params_set_str(p, CLEF_P_IO_UNKNOWN_UNIT, "uV");
    if (rc == CLEF_OK)
        rc = clef_params_clone(&q, p);
    clef_params_free(q);
    clef_params_free(p);
    return rc;
}

/* ---- recordings ---- */

/* A cohort-fixture session at 256 Hz with "EEG Fp1-REF"-style labels (resampled, aliased). */
static const char *odd_edf(void) {
    static char path[600];
    snprintf(path, sizeof path, "%s/edf/S001_0.edf", oom_cohort_dir());
    return path;
}

static clef_status s_rec(oom_fx *fx) {
    return clef_recording_open(&fx->rec, fx->ctx, odd_edf(), NULL);
}

static clef_status c_rec_open(oom_fx *fx) {
    clef_recording *r = NULL;
    clef_status rc = clef_recording_open(&r, fx->ctx, test_data_path("test_generator.bdf"), NULL);
    clef_recording_free(r);
    return rc;
}

static clef_status c_rec_open_memory(oom_fx *fx) {
    size_t n = 0;
    void *data = test_read_file(test_data_path("test_subsecond.edf"), &n);
    assert_non_null(data);
    clef_recording *r = NULL;
    clef_status rc = clef_recording_open_memory(&r, fx->ctx, data, n, NULL);
    clef_recording_free(r);
    free(data);
    return rc;
}

static clef_status c_rec_read(oom_fx *fx) {
    int32_t dig[300];
    double phys[300];
    clef_status rc = clef_recording_read_digital(fx->rec, 1, 100, 300, dig);
    if (rc == CLEF_OK)
        rc = clef_recording_read_physical(fx->rec, 2, 700, 300, phys);
    return rc;
}

static clef_status c_rec_read_uv(oom_fx *fx) {
    const int64_t sel[3] = {0, 3, 4};
    int64_t counts[3];
    static float out[3 * 1024];
    return clef_recording_read_uv(fx->rec, sel, 3, 1.0, 2.0, out, 1024, counts, NULL);
}

static clef_status c_rec_canonical(oom_fx *fx) {
    int64_t n = 0;
    clef_status rc = clef_recording_canonical_length(fx->rec, 1.0, 4.0, &n);
    if (rc != CLEF_OK)
        return rc;
    assert_int_equal(n, 800);
    static float out[19 * 800];
    uint32_t mask = 0;
    return clef_recording_read_canonical(fx->rec, 1.0, 4.0, out, 800, sizeof out / sizeof *out, &n,
                                         &mask);
}

static clef_status c_resample(oom_fx *fx) {
    static float in[1000], out[800];
    for (int i = 0; i < 1000; i++)
        in[i] = (float)(i % 17);
    return clef_resample(fx->ctx, in, 1000, 4, 5, out, 800);
}

/* ---- streams ---- */

static const char *const k_labels[3] = {"T3", "T4", "O1"};
static const double k_rates[3] = {256, 250, 512};
static const char *const k_units[3] = {"uV", "mV", "V"};

static clef_status c_stream_create(oom_fx *fx) {
    clef_stream *s = NULL;
    clef_status rc = clef_stream_create(&s, fx->ctx, 3, k_labels, k_rates, k_units, NULL);
    clef_stream_free(s);
    return rc;
}

static clef_status s_stream(oom_fx *fx) {
    return clef_stream_create(&fx->stream, fx->ctx, 3, k_labels, k_rates, k_units, NULL);
}

/* Input with a different ramp per channel, so that channels out of step would show. */
static float *stream_input(void) {
    static float x[3 * 600];
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 600; i++)
            x[c * 600 + i] = (float)((c + 1) * (i % 97)) * (c == 0 ? 1.0f : 1e-3f);
    return x;
}

static const int64_t k_counts[3] = {512, 500, 600};

static clef_status c_stream_push_planar(oom_fx *fx) {
    return clef_stream_push_planar(fx->stream, stream_input(), 600, k_counts);
}

/* Finish and pull everything (at most 2 s at 200 Hz of the canonical channels). */
static int64_t pull_all(clef_stream *s, float *out) {
    int64_t got = 0;
    assert_int_equal(clef_stream_finish(s), CLEF_OK);
    assert_int_equal(clef_stream_pull(s, out, 400, 400, &got), CLEF_OK);
    assert_true(got > 200);
    return got;
}

/* The stream holds exactly one push: the output equals a stream that never failed. */
static void check_stream_push_planar(oom_fx *fx) {
    static float want[19 * 400], got[19 * 400];
    clef_ctx *ctx;
    clef_stream *ref;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(clef_stream_create(&ref, ctx, 3, k_labels, k_rates, k_units, NULL), CLEF_OK);
    assert_int_equal(clef_stream_push_planar(ref, stream_input(), 600, k_counts), CLEF_OK);
    assert_int_equal(pull_all(fx->stream, got), pull_all(ref, want));
    assert_memory_equal(got, want, sizeof want);
    clef_stream_free(ref);
    clef_ctx_free(ctx);
}

static const double k_same_rates[3] = {256, 256, 256};

static clef_status s_stream_same(oom_fx *fx) {
    return clef_stream_create(&fx->stream, fx->ctx, 3, k_labels, k_same_rates, k_units, NULL);
}

static clef_status c_stream_push_interleaved(oom_fx *fx) {
    return clef_stream_push_interleaved(fx->stream, stream_input(), 512);
}

static void check_stream_push_interleaved(oom_fx *fx) {
    static float want[19 * 400], got[19 * 400];
    clef_ctx *ctx;
    clef_stream *ref;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_int_equal(clef_stream_create(&ref, ctx, 3, k_labels, k_same_rates, k_units, NULL),
                     CLEF_OK);
    assert_int_equal(clef_stream_push_interleaved(ref, stream_input(), 512), CLEF_OK);
    assert_int_equal(pull_all(fx->stream, got), pull_all(ref, want));
    assert_memory_equal(got, want, sizeof want);
    clef_stream_free(ref);
    clef_ctx_free(ctx);
}

static clef_status c_stream_finish(oom_fx *fx) {
    static float out[19 * 400];
    int64_t got = 0;
    clef_status rc = clef_stream_push_planar(fx->stream, stream_input(), 600, k_counts);
    if (rc == CLEF_OK)
        rc = clef_stream_finish(fx->stream);
    if (rc == CLEF_OK)
        rc = clef_stream_pull(fx->stream, out, 400, 400, &got);
    return rc;
}

/* ---- EDF writer ---- */

static clef_status edf_write_all(oom_fx *fx, clef_edf_writer *w) {
    static float x[2 * 256];
    for (int i = 0; i < 2 * 256; i++)
        x[i] = (float)(i % 50) - 25.0f;
    int32_t sig = -1;
    clef_status rc = clef_edf_writer_set_patient(w, "P1", "F", 1970, 2, 3, "Doe_Jane");
    if (rc == CLEF_OK)
        rc = clef_edf_writer_set_recording(w, "A1", "tech", "amp");
    if (rc == CLEF_OK)
        rc = clef_edf_writer_set_start(w, 2020, 5, 6, 7, 8, 9);
    if (rc == CLEF_OK)
        rc = clef_edf_writer_set_record_duration(w, 0.5);
    if (rc == CLEF_OK)
        rc = clef_edf_writer_set_annotation_bytes(w, 120);
    for (int c = 0; c < 2 && rc == CLEF_OK; c++)
        rc = clef_edf_writer_add_signal(w, c == 0 ? "EEG Fp1" : "EEG Fp2", "uV", 256.0, -100.0,
                                        100.0, -32768, 32767, "AgCl", "HP:0.1Hz", &sig);
    if (rc == CLEF_OK)
        rc = clef_edf_writer_write_f32(w, x, 128, 256);
    if (rc == CLEF_OK)
        rc = clef_edf_writer_write_signal_f32(w, 0, x, 128);
    if (rc == CLEF_OK)
        rc = clef_edf_writer_write_signal_f32(w, 1, x + 256, 128);
    if (rc == CLEF_OK)
        rc = clef_edf_writer_add_annotation(w, 0.25, -1.0, "eyes closed");
    if (rc == CLEF_OK)
        rc = clef_edf_writer_close(w);
    (void)fx;
    return rc;
}

static clef_status s_path(oom_fx *fx) {
    static unsigned serial;
    snprintf(fx->path, sizeof fx->path, "%s/w%u.edf", oom_tmpdir(), serial++);
    return CLEF_OK;
}

/* The whole writer life: each call of the sequence has its allocations failed in turn. */
static clef_status c_edf_writer(oom_fx *fx) {
    clef_edf_writer *w = NULL;
    clef_status rc = clef_edf_writer_create(&w, fx->ctx, fx->path, CLEF_EDF_FORMAT_EDFPLUS);
    if (rc == CLEF_OK)
        rc = edf_write_all(fx, w);
    clef_edf_writer_free(w);
    return rc;
}

/* ---- EHR ---- */

static clef_status c_ehr_xml(oom_fx *fx) {
    clef_ehr *e = NULL;
    clef_status rc = clef_ehr_read_xml(&e, fx->ctx, test_data_path("ehr/patient_fhir.xml"));
    clef_ehr_free(e);
    e = NULL;
    size_t n = 0;
    void *data = test_read_file(test_data_path("ehr/patient_cda.xml"), &n);
    assert_non_null(data);
    if (rc == CLEF_OK)
        rc = clef_ehr_parse_xml(&e, fx->ctx, data, n, "patient_cda.xml");
    clef_ehr_free(e);
    free(data);
    return rc;
}

static clef_status c_ehr_events(oom_fx *fx) {
    char path[600];
    snprintf(path, sizeof path, "%s/events.csv", oom_cohort_dir());
    clef_ehr *e = NULL;
    clef_status rc = clef_ehr_read_events(&e, fx->ctx, path, "P001");
    clef_ehr_free(e);
    return rc;
}

/* ---- DPSS and spectrograms ---- */

static clef_status c_dpss(oom_fx *fx) {
    static double tapers[3 * 256], eig[3];
    return clef_dpss_compute(fx->ctx, 256, 2.0, 3, 1, tapers, sizeof tapers / sizeof *tapers, NULL,
                             eig);
}

static clef_status c_spectrogram_create(oom_fx *fx) {
    clef_spectrogram *sg = NULL;
    clef_status rc = clef_spectrogram_create(&sg, fx->ctx, NULL);
    clef_spectrogram_free(sg);
    return rc;
}

static clef_status s_spectrogram(oom_fx *fx) {
    clef_status rc = oom_session(fx);
    return rc == CLEF_OK ? clef_spectrogram_create(&fx->sg, fx->ctx, NULL) : rc;
}

enum { NS = 2000 }; /* 10 s at 200 Hz */
static float g_x[19 * NS];

static void fill_x(void) {
    for (int i = 0; i < 19 * NS; i++)
        g_x[i] = (float)((i * 7919) % 200) - 100.0f;
}

static clef_status c_spectrogram_compute(oom_fx *fx) {
    fill_x();
    int64_t nf = clef_spectrogram_n_frames(fx->sg, NS);
    int64_t nq = clef_spectrogram_n_freqs(fx->sg);
    size_t cap = (size_t)(19 * nq * nf);
    float *out = malloc(cap * sizeof *out);
    assert_non_null(out);
    clef_status rc = clef_spectrogram_compute(fx->sg, fx->s, g_x, NS, 19, NS, out, cap, NULL);
    free(out);
    return rc;
}

static clef_status c_spectrogram_stream(oom_fx *fx) {
    fill_x();
    clef_spectrogram_stream *st = NULL;
    static float out[19 * 128 * 64];
    int64_t frames = 0;
    clef_status rc = clef_spectrogram_stream_create(&st, fx->s, fx->sg, 19);
    if (rc == CLEF_OK)
        rc = clef_spectrogram_stream_push(st, g_x, NS, 1200, out, sizeof out / sizeof *out, NULL,
                                          &frames);
    if (rc == CLEF_OK)
        rc = clef_spectrogram_stream_push(st, g_x + 1200, NS, 800, out, sizeof out / sizeof *out,
                                          NULL, &frames);
    if (rc == CLEF_OK)
        rc = clef_spectrogram_stream_finish(st, out, sizeof out / sizeof *out, NULL, &frames);
    clef_spectrogram_stream_free(st);
    return rc;
}

static const oom_case k_cases[] = {
    {.name = "session_create", .covers = COVERS("clef_session_create"), .call = c_session},
    {.name = "params",
     .covers = COVERS("clef_params_create clef_params_set_str clef_params_clone"),
     .call = c_params},
    {.name = "recording_open", .covers = COVERS("clef_recording_open"), .call = c_rec_open},
    {.name = "recording_open_memory",
     .covers = COVERS("clef_recording_open_memory"),
     .call = c_rec_open_memory},
    {.name = "recording_read",
     .covers = COVERS("clef_recording_read_digital clef_recording_read_physical"),
     .setup = s_rec,
     .call = c_rec_read},
    {.name = "recording_read_uv",
     .covers = COVERS("clef_recording_read_uv"),
     .setup = s_rec,
     .call = c_rec_read_uv},
    {.name = "recording_canonical",
     .covers = COVERS("clef_recording_canonical_length clef_recording_read_canonical"),
     .setup = s_rec,
     .call = c_rec_canonical},
    {.name = "resample", .covers = COVERS("clef_resample"), .call = c_resample},
    {.name = "stream_create", .covers = COVERS("clef_stream_create"), .call = c_stream_create},
    {.name = "stream_push_planar",
     .covers = COVERS("clef_stream_push_planar"),
     .setup = s_stream,
     .call = c_stream_push_planar,
     .check = check_stream_push_planar},
    {.name = "stream_push_interleaved",
     .covers = COVERS("clef_stream_push_interleaved"),
     .setup = s_stream_same,
     .call = c_stream_push_interleaved,
     .check = check_stream_push_interleaved},
    {.name = "stream_finish",
     .covers = COVERS("clef_stream_finish clef_stream_pull"),
     .setup = s_stream,
     .call = c_stream_finish},
    {.name = "edf_writer",
     .covers =
         COVERS("clef_edf_writer_create clef_edf_writer_set_patient clef_edf_writer_set_recording "
                "clef_edf_writer_set_start clef_edf_writer_set_record_duration "
                "clef_edf_writer_set_annotation_bytes clef_edf_writer_add_signal "
                "clef_edf_writer_write_f32 clef_edf_writer_write_signal_f32 "
                "clef_edf_writer_add_annotation clef_edf_writer_close"),
     .setup = s_path,
     .call = c_edf_writer},
    {.name = "ehr_xml",
     .covers = COVERS("clef_ehr_read_xml clef_ehr_parse_xml"),
     .call = c_ehr_xml},
    {.name = "ehr_events", .covers = COVERS("clef_ehr_read_events"), .call = c_ehr_events},
    {.name = "dpss", .covers = COVERS("clef_dpss_compute"), .call = c_dpss},
    {.name = "spectrogram_create",
     .covers = COVERS("clef_spectrogram_create"),
     .call = c_spectrogram_create},
    {.name = "spectrogram_compute",
     .covers = COVERS("clef_spectrogram_compute"),
     .setup = s_spectrogram,
     .call = c_spectrogram_compute},
    {.name = "spectrogram_stream",
     .covers = COVERS("clef_spectrogram_stream_create clef_spectrogram_stream_push "
                      "clef_spectrogram_stream_finish"),
     .setup = s_spectrogram,
     .call = c_spectrogram_stream},
};

int main(int argc, char **argv) {
    return oom_run(argc, argv, "oom_io", k_cases, sizeof k_cases / sizeof *k_cases);
}
