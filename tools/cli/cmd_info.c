/* cmd_info.c — clef info FILE: header, signals with their canonical mapping, record segments,
 * annotations and reader warnings of an EDF/EDF+/BDF/BDF+ file. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *file_type_name(int32_t t) {
    static const char *const names[] = {"EDF", "EDF+C", "EDF+D", "BDF", "BDF+C", "BDF+D"};
    return t >= 0 && t < 6 ? names[t] : "?";
}

static const char *map_name(int32_t m) {
    static const char *const names[] = {
        "exact",           "aliased", "dropped: non-EEG", "dropped: extra", "dropped: duplicate",
        "dropped: bipolar"};
    return m >= 0 && m < 6 ? names[m] : "?";
}

static const char *class_name(int32_t c) {
    static const char *const names[] = {"EEG", "ECG", "EMG", "EOG", "resp", "other", "annot"};
    return c >= 0 && c < 7 ? names[c] : "?";
}

static void print_header(const clef_recording *rec) {
    printf("type        %s\n", file_type_name(clef_recording_file_type(rec)));
    printf("patient     %s\n", clef_recording_header_field(rec, CLEF_HDR_PATIENT));
    printf("recording   %s\n", clef_recording_header_field(rec, CLEF_HDR_RECORDING));
    printf("start       %s\n", clef_recording_start_iso(rec));
    printf("records     %lld x %g s = %g s\n", (long long)clef_recording_n_records(rec),
           clef_recording_record_duration(rec), clef_recording_duration(rec));
    int64_t ns = clef_recording_n_segments(rec);
    printf("segments    %lld%s\n", (long long)ns, ns > 1 ? " (discontinuous)" : "");
    for (int64_t s = 0; ns > 1 && s < ns; s++) {
        double on;
        int64_t first, n;
        clef_recording_segment(rec, s, &on, &first, &n);
        printf("  segment %lld: onset %.3f s, records %lld..%lld\n", (long long)s, on,
               (long long)first, (long long)(first + n - 1));
    }
}

static void print_signals(const clef_recording *rec) {
    printf("\n%-3s %-18s %-6s %10s %10s %-6s %-20s\n", "#", "label", "unit", "rate/Hz", "samples",
           "class", "canonical");
    for (int64_t i = 0; i < clef_recording_n_signals(rec); i++) {
        int64_t c = clef_recording_signal_canonical(rec, i);
        char canon[48];
        snprintf(canon, sizeof canon, "%s%s%s", c >= 0 ? clef_canonical_channel_name(c) : "",
                 c >= 0 ? " " : "", map_name(clef_recording_signal_map(rec, i)));
        printf("%-3d %-18s %-6s %10g %10lld %-6s %-20s\n", (int)i,
               clef_recording_signal_label(rec, i), clef_recording_signal_unit(rec, i),
               clef_recording_signal_rate(rec, i),
               (long long)clef_recording_signal_n_samples(rec, i),
               class_name(clef_recording_signal_class(rec, i)), canon);
    }
    printf("\ncanonical   ");
    for (int64_t c = 0; c < clef_canonical_n_channels(); c++)
        printf("%s%s", clef_canonical_channel_name(c),
               clef_recording_canonical_signal(rec, c) >= 0 ? " " : "(missing) ");
    printf("\n");
}

/* Read every sample once, so that the reader's sample checks (a digital value outside the
 * declared range) join the warnings; 0, or the exit code. */
static int scan_samples(clef_recording *rec, const char *path) {
    enum { CHUNK = 1 << 18 };
    int32_t *buf = malloc(CHUNK * sizeof *buf);
    if (buf == NULL)
        return cli_fail("info", CLEF_ERR_NOMEM, "sample buffer");
    clef_status rc = CLEF_OK;
    for (int64_t i = 0; i < clef_recording_n_signals(rec) && rc == CLEF_OK; i++) {
        int64_t n = clef_recording_signal_n_samples(rec, i);
        for (int64_t first = 0; first < n && rc == CLEF_OK; first += CHUNK)
            rc = clef_recording_read_digital(rec, i, first, n - first < CHUNK ? n - first : CHUNK,
                                             buf);
    }
    free(buf);
    return rc == CLEF_OK ? 0 : cli_fail(path, rc, clef_recording_errmsg(rec));
}

int cmd_info(int argc, char **argv) {
    const char *path = NULL;
    int header_only = 0;
    const cli_opt opts[] = {CLI_FLAG("--header-only", NULL, &header_only),
                            CLI_POS("FILE", &path, 1), CLI_END};
    const cli_cmd cmd = {"info",
                         "usage: clef info [--header-only] FILE\n\nPrint the header, the signals "
                         "and how they map onto the 19 canonical channels,\nrecord segments, "
                         "annotations and reader warnings of an EDF/EDF+/BDF/BDF+ file.\nEvery "
                         "sample is read once to check it against its signal's digital range;\n"
                         "--header-only skips that (header and annotations only).\n",
                         opts};
    int code = 0;
    if (cli_parse(&cmd, argc, argv, &code) != 0)
        return code;
    clef_ctx *ctx = NULL;
    clef_status rc = clef_ctx_create(&ctx);
    if (rc != CLEF_OK)
        return cli_fail("info", rc, NULL);
    clef_recording *rec = NULL;
    rc = clef_recording_open(&rec, ctx, path, NULL);
    if (rc != CLEF_OK) {
        code = cli_fail(path, rc, clef_ctx_errmsg(ctx));
        clef_ctx_free(ctx);
        return code;
    }
    print_header(rec);
    print_signals(rec);
    int64_t na = clef_recording_n_annotations(rec);
    printf("\nannotations %lld\n", (long long)na);
    for (int64_t k = 0; k < na; k++) {
        double on, du;
        const char *text;
        clef_recording_annotation(rec, k, &on, &du, &text);
        if (du >= 0)
            printf("  %12.4f s  %8.3f s  %s\n", on, du, text);
        else
            printf("  %12.4f s  %8s    %s\n", on, "-", text);
    }
    if (!header_only && (code = scan_samples(rec, path)) != 0) {
        clef_recording_free(rec);
        clef_ctx_free(ctx);
        return code;
    }
    for (int64_t w = 0; w < clef_recording_n_warnings(rec); w++)
        printf("warning: %s\n", clef_recording_warning(rec, w));
    clef_recording_free(rec);
    clef_ctx_free(ctx);
    return 0;
}
