/* bench_spectrogram.c — time and memory of clef_spectrogram_compute on 20 min x 19 ch x 200 Hz
 * (CLEF parameters), at 1 and 2 threads, and of the FFT-only lower bound: the same number and
 * size of FFTW transforms (19 x 1,197 x 7 of length 800) with no detrending, tapering or
 * averaging. Prints one "key value" line per result; bench_spectrogram.py adds the peers.
 * Usage: bench_spectrogram [repeats] [out.f32 [in.f32]]: also writes the output
 * [19][128][1197] and the input [19][240000] (float32) for the peers to compare with. */
#define _POSIX_C_SOURCE 200809L
#include "dsp/dsp_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "bench_machine.h"

enum { N_CH = 19, FS = 200, N = 20 * 60 * FS };

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double rss_now_mb(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

static double rss_peak_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* EEG-like test signal: alpha, a random walk and white noise per channel. */
static void make_signal(float *x) {
    uint64_t s = 88172645463325252ull;
    for (int c = 0; c < N_CH; c++) {
        double walk = 0;
        for (int t = 0; t < N; t++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            double u = (double)(s >> 11) / 9007199254740992.0 - 0.5;
            walk = 0.995 * walk + u;
            x[(size_t)c * N + t] =
                (float)(20.0 * sin(2 * 3.14159265358979 * (9.0 + 0.1 * c) * t / FS) + 5.0 * walk +
                        10.0 * u);
        }
    }
}

static double time_spectrogram(clef_ctx *ctx, int threads, int reps, const float *x, float *out,
                               size_t cap) {
    clef_session *s = NULL;
    clef_spectrogram *sg = NULL;
    if (clef_session_create(&s, ctx, threads) != CLEF_OK ||
        clef_spectrogram_create(&sg, ctx, NULL) != CLEF_OK) {
        fprintf(stderr, "cannot create the spectrogram: %s\n", clef_ctx_errmsg(ctx));
        exit(1);
    }
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        if (clef_spectrogram_compute(sg, s, x, N, N_CH, N, out, cap, NULL) != CLEF_OK) {
            fprintf(stderr, "compute failed\n");
            exit(1);
        }
        best = fmin(best, now() - t0);
    }
    clef_spectrogram_free(sg);
    clef_session_free(s);
    return best;
}

/* 19 x 1,197 batched executions of 7 transforms of length 800, cache-hot buffers. */
static double time_fft_bound(clef_ctx *ctx, int reps, int64_t frames, const float *x) {
    clefi_fft *fft = NULL;
    if (clefi_fft_create_r2c_f32(&fft, ctx, 800, 7) != CLEF_OK)
        exit(1);
    float *in = clefi_malloc_aligned(ctx, 7 * 800 * sizeof(float));
    float *spec = clefi_malloc_aligned(ctx, 7 * 401 * 2 * sizeof(float));
    for (int i = 0; i < 7 * 800; i++)
        in[i] = x[i];
    double best = 1e30, sink = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (int64_t i = 0; i < N_CH * frames; i++) {
            clefi_fft_execute(fft, in, spec);
            sink += spec[2];
        }
        best = fmin(best, now() - t0);
    }
    if (sink == 12345.678)
        printf("#\n");
    clefi_free_aligned(ctx, in);
    clefi_free_aligned(ctx, spec);
    clefi_fft_free(fft);
    return best;
}

int main(int argc, char **argv) {
    bench_print_machine("bench_spectrogram");
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    clef_ctx *ctx = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return 1;
    float *x = malloc((size_t)N_CH * N * sizeof(float));
    make_signal(x);
    const int64_t frames = 1197, nf = 128;
    size_t cap = (size_t)N_CH * nf * frames;
    double base_mb = rss_now_mb();
    float *out = malloc(cap * sizeof(float));
    double t1 = time_spectrogram(ctx, 1, reps, x, out, cap);
    double peak1 = rss_peak_mb();
    double t2 = time_spectrogram(ctx, 2, reps, x, out, cap);
    double tf = time_fft_bound(ctx, reps, frames, x);
    printf("input_mb %.2f\noutput_mb %.2f\n", (double)N_CH * N * 4 / 1048576.0,
           (double)cap * 4 / 1048576.0);
    printf("clef_1thread_s %.4f\nclef_2threads_s %.4f\nfft_only_s %.4f\n", t1, t2, tf);
    printf("rss_before_compute_mb %.2f\nrss_peak_1thread_mb %.2f\nrss_peak_mb %.2f\n", base_mb,
           peak1, rss_peak_mb());
    if (argc > 2) {
        FILE *f = fopen(argv[2], "wb");
        if (f == NULL || fwrite(out, sizeof(float), cap, f) != cap)
            return 1;
        fclose(f);
    }
    if (argc > 3) {
        FILE *f = fopen(argv[3], "wb");
        if (f == NULL || fwrite(x, sizeof(float), (size_t)N_CH * N, f) != (size_t)N_CH * N)
            return 1;
        fclose(f);
    }
    free(out);
    free(x);
    clef_ctx_free(ctx);
    return 0;
}
