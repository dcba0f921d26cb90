/* stream_spectrogram.c — acquisition software pushing samples in chunks and getting spectrogram
 * frames as soon as their windows are complete.
 *
 * A simulated amplifier (4 channels at 256 Hz, one of them not EEG) delivers 250 ms blocks. A
 * clef_stream maps the channels onto the 19 canonical ones and resamples them to 200 Hz; its
 * output goes into a clef_spectrogram_stream, which emits one frame (19 channels x 128 bins,
 * dB) per second once the first 4 s window is full. The frames equal clef_spectrogram_compute()
 * on the whole recording bit for bit.
 *
 * usage: example_stream_spectrogram [SECONDS] */
#include <clef.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define N_IN    4
#define FS_IN   256.0
#define BLOCK   64 /* samples per channel per block: 250 ms */
#define OUT_CAP 4096

static int fail(const char *what, const char *msg, clef_status rc) {
    fprintf(stderr, "%s: %s (%s)\n", what, msg, clef_strerror(rc));
    return 1;
}

/* Move what the input stream has ready into the spectrogram stream; count the frames. */
static int drain(clef_stream *in, clef_spectrogram_stream *st, float *x, float *frames,
                 size_t frames_cap, int64_t n_freq, int64_t *n_frames) {
    for (;;) {
        int64_t n = 0;
        clef_status rc = clef_stream_pull(in, x, OUT_CAP, OUT_CAP, &n);
        if (rc == CLEF_MORE || (rc == CLEF_OK && n == 0))
            return 0;
        if (rc != CLEF_OK)
            return fail("pull", clef_stream_errmsg(in), rc);
        int64_t got = 0;
        rc = clef_spectrogram_stream_push(st, x, OUT_CAP, n, frames, frames_cap, NULL, &got);
        if (rc != CLEF_OK)
            return fail("push", clef_spectrogram_stream_errmsg(st), rc);
        for (int64_t k = 0; k < got; k++) { /* frame k: channel c, bin b at [c][b][got] */
            double alpha = 0.0;             /* mean dB over 8-13 Hz of Fp1 (channel 0) */
            for (int64_t b = 32; b < 52; b++)
                alpha += frames[b * got + k];
            printf("frame %3lld  Fp1 alpha %6.2f dB\n", (long long)(*n_frames + k), alpha / 20.0);
        }
        *n_frames += got;
        (void)n_freq;
    }
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 12.0;
    static const char *const labels[N_IN] = {"EEG Fp1-REF", "EEG O1-REF", "EEG T3-REF", "ECG"};
    static const char *const units[N_IN] = {"uV", "uV", "uV", "mV"};
    const double rates[N_IN] = {FS_IN, FS_IN, FS_IN, FS_IN};
    clef_ctx *ctx = NULL;
    clef_session *s = NULL;
    clef_spectrogram *sg = NULL;
    clef_stream *in = NULL;
    clef_spectrogram_stream *st = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return 1;
    clef_status rc = clef_session_create(&s, ctx, 1);
    if (rc == CLEF_OK)
        rc = clef_spectrogram_create(&sg, ctx, NULL); /* CLEF's defaults: 200 Hz, 4 s / 1 s */
    if (rc == CLEF_OK)
        rc = clef_stream_create(&in, ctx, N_IN, labels, rates, units, NULL);
    if (rc != CLEF_OK)
        return fail("setup", clef_ctx_errmsg(ctx), rc);
    if ((rc = clef_spectrogram_stream_create(&st, s, sg, CLEF_N_CANONICAL)) != CLEF_OK)
        return fail("spectrogram stream", clef_session_errmsg(s), rc);

    int64_t n_freq = clef_spectrogram_n_freqs(sg), n_frames = 0;
    size_t frames_cap = (size_t)CLEF_N_CANONICAL * (size_t)n_freq * 64;
    float *x = malloc((size_t)CLEF_N_CANONICAL * OUT_CAP * sizeof *x);
    float *frames = malloc(frames_cap * sizeof *frames);
    float block[N_IN * BLOCK];
    int ret = x == NULL || frames == NULL;
    int64_t t = 0;
    for (int64_t blocks = (int64_t)(seconds * FS_IN / BLOCK); ret == 0 && blocks > 0; blocks--) {
        for (int i = 0; i < BLOCK; i++, t++) { /* 10 Hz alpha, stronger at the back */
            double u = sin(2.0 * 3.14159265358979 * 10.0 * (double)t / FS_IN);
            block[0 * BLOCK + i] = (float)(10.0 * u);
            block[1 * BLOCK + i] = (float)(40.0 * u);
            block[2 * BLOCK + i] = (float)(15.0 * u);
            block[3 * BLOCK + i] = (float)(0.5 * cos((double)t / 40.0));
        }
        rc = clef_stream_push_planar(in, block, BLOCK,
                                     (const int64_t[N_IN]){BLOCK, BLOCK, BLOCK, BLOCK});
        if (rc != CLEF_OK)
            ret = fail("input", clef_stream_errmsg(in), rc);
        else
            ret = drain(in, st, x, frames, frames_cap, n_freq, &n_frames);
    }
    if (ret == 0 && (rc = clef_stream_finish(in)) != CLEF_OK)
        ret = fail("finish", clef_stream_errmsg(in), rc);
    if (ret == 0)
        ret = drain(in, st, x, frames, frames_cap, n_freq, &n_frames);
    if (ret == 0)
        printf("%lld frames from %.1f s of input\n", (long long)n_frames, seconds);
    free(x);
    free(frames);
    clef_spectrogram_stream_free(st);
    clef_stream_free(in);
    clef_spectrogram_free(sg);
    clef_session_free(s);
    clef_ctx_free(ctx);
    return ret;
}
