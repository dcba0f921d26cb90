/* edf_info.c — open an EDF/EDF+/BDF file, print its header, how its signals map onto the 19
 * canonical CLEF channels and its annotations, then read the model input (19 channels, uV,
 * 200 Hz) for the first 10 seconds.
 *
 * usage: example_edf_info FILE */
#include <clef.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.edf\n", argv[0]);
        return 2;
    }
    clef_ctx *ctx = NULL;
    clef_recording *rec = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return 1;
    clef_status rc = clef_recording_open(&rec, ctx, argv[1], NULL);
    if (rc != CLEF_OK) {
        fprintf(stderr, "%s: %s (%s)\n", argv[1], clef_ctx_errmsg(ctx), clef_strerror(rc));
        clef_ctx_free(ctx);
        return 1;
    }
    printf("start %s, %lld records of %g s, %lld signals\n", clef_recording_start_iso(rec),
           (long long)clef_recording_n_records(rec), clef_recording_record_duration(rec),
           (long long)clef_recording_n_signals(rec));

    /* channel mapping: canonical name <- file label */
    for (int64_t c = 0; c < CLEF_N_CANONICAL; c++) {
        int64_t s = clef_recording_canonical_signal(rec, c);
        printf("  %-4s <- %s\n", clef_canonical_channel_name(c),
               s >= 0 ? clef_recording_signal_label(rec, s) : "(missing: zero-filled)");
    }
    for (int64_t k = 0; k < clef_recording_n_annotations(rec); k++) {
        double onset, duration;
        const char *text;
        clef_recording_annotation(rec, k, &onset, &duration, &text);
        printf("  annotation at %.3f s: %s\n", onset, text);
    }

    /* the model input: size query first, then the read */
    int64_t n = 0;
    uint32_t present = 0;
    double seconds = clef_recording_duration(rec) < 10 ? -1 : 10;
    rc = clef_recording_canonical_length(rec, 0, seconds, &n);
    if (rc == CLEF_OK) {
        float *x = malloc((size_t)n * CLEF_N_CANONICAL * sizeof *x);
        rc = x ? clef_recording_read_canonical(rec, 0, seconds, x, (size_t)n,
                                               (size_t)n * CLEF_N_CANONICAL, &n, &present)
               : CLEF_ERR_NOMEM;
        if (rc == CLEF_OK)
            printf("read %lld samples per channel at 200 Hz, present mask 0x%05x, Fp1[0] = %g "
                   "uV\n",
                   (long long)n, (unsigned)present, (double)x[0]);
        free(x);
    }
    if (rc != CLEF_OK)
        printf("no model input: %s\n", clef_recording_errmsg(rec));
    clef_recording_free(rec);
    clef_ctx_free(ctx);
    return 0;
}
