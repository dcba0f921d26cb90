/* test_oom_exempt.c — exempt functions (oom_exempt.txt) shown to attempt no allocation: each
 * case calls them on a fixture with the first allocation failing (oom_sweep.h, .none) and they
 * must all succeed having allocated nothing. Each name of a NOALLOC list must be exempt
 * (check_oom_api.py). */
#include "oom_sweep.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define OK(call) assert_int_equal((call), CLEF_OK)

static clef_status c_static(oom_fx *fx) {
    (void)fx;
    int32_t key = 0, type = 0, kind = 0;
    const char *name = NULL, *doc = NULL;
    double lo = 0, hi = 0;
    assert_non_null(clef_version());
    assert_true(clef_version_number() > 0 && clef_abi_version() > 0);
    assert_non_null(clef_source_id());
    assert_non_null(clef_build_info());
    assert_non_null(clef_cpu_isa());
    assert_non_null(clef_blas_kernel());
    assert_non_null(clef_blas_coretype());
    assert_non_null(clef_strerror(CLEF_ERR_NOMEM));
    OK(clef_param_lookup("spec.window_s", &key));
    OK(clef_param_info(key, &name, &type, &kind, &doc));
    OK(clef_param_bounds(key, &lo, &hi));
    assert_non_null(clef_canonical_channel_name(clef_canonical_n_channels() - 1));
    assert_non_null(clef_bipolar_channel_name(clef_bipolar_n_channels() - 1));
    assert_true(clef_weights_max_rank() > 0 && clef_dtype_size(CLEF_DTYPE_F32) == 4);
    assert_non_null(clef_dtype_name(CLEF_DTYPE_F32));
    assert_true(clef_store_schema_version() > 0);
    assert_non_null(clef_cohort_task_name(clef_cohort_n_tasks() - 1));
    assert_non_null(clef_report_finding_name(clef_report_n_findings() - 1));
    assert_non_null(clef_bandpower_model_hash());
    assert_non_null(clef_bandpower_job_name());
    assert_true(clef_resample_length(100, 4, 5) == 80);
    return CLEF_OK;
}

static const char *edf_path(void) {
    static char path[600];
    snprintf(path, sizeof path, "%s/edf/S001_0.edf", oom_cohort_dir());
    return path;
}

static clef_status s_rec(oom_fx *fx) {
    return clef_recording_open(&fx->rec, fx->ctx, edf_path(), NULL);
}

static clef_status c_rec(oom_fx *fx) {
    const clef_recording *r = fx->rec;
    double a = 0, b = 0, onset = 0, dur = 0;
    int32_t dmin = 0, dmax = 0;
    int64_t first = 0, nrec = 0;
    const char *text = NULL;
    assert_true(clef_recording_file_type(r) > 0);
    assert_non_null(clef_recording_header_field(r, CLEF_HDR_PATIENT));
    assert_non_null(clef_recording_start_iso(r));
    assert_true(clef_recording_n_records(r) > 0 && clef_recording_record_duration(r) > 0);
    assert_true(clef_recording_duration(r) > 0 && clef_recording_n_signals(r) > 0);
    assert_non_null(clef_recording_signal_label(r, 0));
    assert_non_null(clef_recording_signal_unit(r, 0));
    assert_non_null(clef_recording_signal_transducer(r, 0));
    assert_non_null(clef_recording_signal_prefilter(r, 0));
    assert_true(clef_recording_signal_rate(r, 0) > 0);
    assert_true(clef_recording_signal_samples_per_record(r, 0) > 0);
    assert_true(clef_recording_signal_n_samples(r, 0) > 0);
    OK(clef_recording_signal_range(r, 0, &a, &b, &dmin, &dmax));
    assert_true(clef_recording_signal_uv_scale(r, 0) > 0);
    assert_true(clef_recording_record_onset(r, 1) > 0);
    assert_true(clef_recording_n_segments(r) == 1);
    OK(clef_recording_segment(r, 0, &onset, &first, &nrec));
    if (clef_recording_n_annotations(r) > 0)
        OK(clef_recording_annotation(r, 0, &onset, &dur, &text));
    if (clef_recording_n_warnings(r) > 0)
        assert_non_null(clef_recording_warning(r, 0));
    (void)clef_recording_signal_class(r, 0);
    (void)clef_recording_signal_map(r, 0);
    (void)clef_recording_signal_canonical(r, 0);
    (void)clef_recording_canonical_signal(r, 0);
    assert_true(clef_recording_present_mask(r) != 0);
    assert_string_equal(clef_recording_errmsg(r), "");
    OK(clef_recording_errcode(r));
    return CLEF_OK;
}

static clef_status s_tok(oom_fx *fx) {
    clef_status rc = oom_tok_fixture(fx);
    if (rc == CLEF_OK)
        rc = clef_weights_open(&fx->w, fx->ctx, oom_tok_path());
    return rc;
}

static clef_status c_tok(oom_fx *fx) {
    const clef_tokenizer *t = fx->tok;
    const clef_spectrogram *sg = fx->sg;
    int64_t a = 0, b = 0, c = 0, d = 0, e = 0, idx = -1, numel = 0;
    size_t need = 0, rank_n = 0;
    char hex[65];
    double v = 0, freqs[64], times[64], tapers[1024], eig[8];
    int32_t dtype = 0, rank = 0;
    const char *name = NULL, *key = NULL, *val = NULL;
    float buf[64];
    OK(clef_tokenizer_shape(t, &a, &b, &c, &d, &e));
    OK(clef_tokenizer_codebook(t, &a, &b));
    assert_true(clef_tokenizer_n_tokens(t) > 0);
    OK(clef_tokenizer_mean_tokens(t, &a, &b));
    (void)clef_tokenizer_mean_coefficients(t);
    assert_true(clef_tokenizer_session_frames(t) > 0);
    assert_true(clef_tokenizer_valid_columns(t, 100) > 0);
    assert_true(clef_tokenizer_read_seconds(t, sg) > 0);
    OK(clef_tokenizer_sha256(t, hex, sizeof hex, NULL));
    OK(clef_tokenizer_model_hash(fx->ctx, oom_tok_path(), hex, sizeof hex, NULL));
    assert_true(clef_spectrogram_n_freqs(sg) == 16 && clef_spectrogram_n_tapers(sg) > 0);
    assert_true(clef_spectrogram_window(sg) > 0 && clef_spectrogram_step(sg) > 0);
    OK(clef_spectrogram_param_f64(sg, CLEF_P_SPEC_WINDOW_S, &v));
    assert_non_null(clef_spectrogram_param_str(sg, CLEF_P_SPEC_SCALE));
    assert_true(clef_spectrogram_n_frames(sg, 2000) > 0);
    OK(clef_spectrogram_freqs(sg, freqs, 64, &need));
    OK(clef_spectrogram_times(sg, 2000, times, 64, &need));
    OK(clef_spectrogram_tapers(sg, tapers, 1024, &need, eig));
    assert_true(clef_weights_n_tensors(fx->w) > 0 && clef_weights_meta_count(fx->w) > 0);
    OK(clef_weights_tensor_info(fx->w, 0, &name, &dtype, &rank, &numel));
    OK(clef_weights_tensor_index(fx->w, name, &idx));
    int64_t shape[8];
    OK(clef_weights_tensor_shape(fx->w, idx, shape, 8, &rank_n));
    OK(clef_weights_meta_at(fx->w, 0, &key, &val));
    OK(clef_weights_meta_get(fx->w, key, &val));
    if (numel <= 64) {
        OK(clef_weights_read_f32(fx->w, name, buf, 64, &need));
        OK(clef_weights_read_raw(fx->w, name, buf, sizeof buf, &need));
    }
    assert_true(clef_session_n_threads(fx->s) == 1 && clef_session_scratch_bytes(fx->s) >= 0);
    OK(clef_session_release_scratch(fx->s));
    return CLEF_OK;
}

static clef_status s_store(oom_fx *fx) { return oom_open_store_copy(fx, 1); }

static clef_status c_store(oom_fx *fx) {
    clef_store *s = fx->store;
    char buf[1024], item[256];
    int64_t n = 0, pos = 0, neg = 0, dim = 0;
    double a = 0, b = 0;
    int32_t claimed = 0;
    static float x[64 * 8];
    static int32_t y[64];
    static const float emb[4] = {1, 2, 3, 4};
    OK(clef_store_count(s, CLEF_STORE_SESSIONS, &n));
    OK(clef_store_task_name(s, 0, buf, sizeof buf, NULL));
    OK(clef_store_split_count(s, CLEF_SPLIT_TRAIN, &n));
    OK(clef_store_split_session(s, CLEF_SPLIT_TRAIN, 0, item, sizeof item, NULL));
    OK(clef_store_recording_path(s, item, buf, sizeof buf, NULL));
    OK(clef_store_report_text(s, item, buf, sizeof buf, NULL));
    OK(clef_store_session_ehr(s, item, buf, sizeof buf, NULL));
    OK(clef_store_task_balance(s, "med_benzodiazepine", &a, &b, &pos, &neg));
    assert_int_equal(clef_store_session_label(s, item, "no_such_task", &claimed),
                     CLEF_ERR_NOT_FOUND);
    OK(clef_store_task_data(s, "med_benzodiazepine", CLEF_SPLIT_TRAIN, CLEF_ARTIFACT_EMBEDDING,
                            clef_bandpower_model_hash(), x, 64 * 8, y, 64, &n, &dim));
    OK(clef_store_channel_map_put(s, item, "Fp1", "EEG Fp1", "present"));
    OK(clef_store_artifact_put(s, item, CLEF_ARTIFACT_EMBEDDING, "m", emb, sizeof emb));
    OK(clef_store_artifact_get(s, item, CLEF_ARTIFACT_EMBEDDING, "m", buf, sizeof buf, NULL));
    OK(clef_store_job_add_item(s, "j", item));
    OK(clef_store_job_add_sessions(s, "k", &n));
    OK(clef_store_job_claim(s, "j", buf, sizeof buf, NULL, &claimed));
    OK(clef_store_job_complete(s, "j", item, CLEF_ARTIFACT_EMBEDDING, "m2", emb, sizeof emb));
    OK(clef_store_job_claim(s, "k", buf, sizeof buf, NULL, &claimed));
    OK(clef_store_job_fail(s, "k", buf, "failed on purpose"));
    OK(clef_store_job_requeue(s, "k", 0.0, 1, &n));
    OK(clef_store_job_count(s, "k", -1, &n));
    assert_int_equal(clef_store_skipped_file(s, 0, buf, sizeof buf, NULL), CLEF_ERR_RANGE);
    OK(clef_store_errcode(s) == CLEF_ERR_RANGE ? CLEF_OK : CLEF_ERR_STATE);
    assert_non_null(clef_store_errmsg(s));
    return CLEF_OK;
}

static const oom_case k_cases[] = {
    {.name = "static_tables",
     .covers = NOALLOC("clef_version clef_version_number clef_abi_version clef_source_id "
                       "clef_build_info clef_cpu_isa clef_blas_kernel clef_blas_coretype "
                       "clef_strerror clef_param_lookup clef_param_info clef_param_bounds "
                       "clef_canonical_n_channels clef_canonical_channel_name "
                       "clef_bipolar_n_channels clef_bipolar_channel_name clef_weights_max_rank "
                       "clef_dtype_size clef_dtype_name clef_store_schema_version "
                       "clef_cohort_n_tasks clef_cohort_task_name clef_report_n_findings "
                       "clef_report_finding_name clef_bandpower_model_hash "
                       "clef_bandpower_job_name clef_resample_length"),
     .call = c_static,
     .none = 1},
    {.name = "recording_getters",
     .covers = NOALLOC(
         "clef_recording_file_type clef_recording_header_field clef_recording_start_iso "
         "clef_recording_n_records clef_recording_record_duration clef_recording_duration "
         "clef_recording_n_signals clef_recording_signal_label clef_recording_signal_unit "
         "clef_recording_signal_transducer clef_recording_signal_prefilter "
         "clef_recording_signal_rate clef_recording_signal_samples_per_record "
         "clef_recording_signal_n_samples clef_recording_signal_range "
         "clef_recording_signal_uv_scale clef_recording_record_onset clef_recording_n_segments "
         "clef_recording_segment clef_recording_n_annotations clef_recording_annotation "
         "clef_recording_n_warnings clef_recording_warning clef_recording_signal_class "
         "clef_recording_signal_map clef_recording_signal_canonical "
         "clef_recording_canonical_signal clef_recording_present_mask clef_recording_errmsg "
         "clef_recording_errcode"),
     .setup = s_rec,
     .call = c_rec,
     .none = 1},
    {.name = "tokenizer_spectrogram_weights_getters",
     .covers =
         NOALLOC("clef_tokenizer_shape clef_tokenizer_codebook clef_tokenizer_n_tokens "
                 "clef_tokenizer_mean_tokens clef_tokenizer_mean_coefficients "
                 "clef_tokenizer_session_frames clef_tokenizer_valid_columns "
                 "clef_tokenizer_read_seconds clef_tokenizer_sha256 clef_tokenizer_model_hash "
                 "clef_spectrogram_n_freqs clef_spectrogram_n_tapers clef_spectrogram_window "
                 "clef_spectrogram_step clef_spectrogram_param_f64 clef_spectrogram_param_str "
                 "clef_spectrogram_n_frames clef_spectrogram_freqs clef_spectrogram_times "
                 "clef_spectrogram_tapers clef_weights_n_tensors clef_weights_meta_count "
                 "clef_weights_tensor_info clef_weights_tensor_index clef_weights_tensor_shape "
                 "clef_weights_meta_at clef_weights_meta_get clef_weights_read_f32 "
                 "clef_weights_read_raw clef_session_n_threads clef_session_scratch_bytes "
                 "clef_session_release_scratch"),
     .setup = s_tok,
     .call = c_tok,
     .none = 1},
    {.name = "store_queries_and_jobs",
     .covers = NOALLOC("clef_store_count clef_store_task_name clef_store_split_count "
                       "clef_store_split_session clef_store_recording_path "
                       "clef_store_report_text clef_store_session_ehr "
                       "clef_store_task_balance clef_store_task_data clef_store_session_label "
                       "clef_store_channel_map_put clef_store_artifact_put "
                       "clef_store_artifact_get clef_store_job_add_item "
                       "clef_store_job_add_sessions clef_store_job_claim "
                       "clef_store_job_complete clef_store_job_fail clef_store_job_requeue "
                       "clef_store_job_count clef_store_skipped_file clef_store_errcode "
                       "clef_store_errmsg"),
     .setup = s_store,
     .call = c_store,
     .none = 1},
};

int main(int argc, char **argv) {
    return oom_run(argc, argv, "oom_exempt", k_cases, sizeof k_cases / sizeof *k_cases);
}
