/* eeg.c — synthetic clinical EEG, one 1-second block at a time, and its EDF+/BDF+ file.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Model: pink (1/f) background per electrode mixed by a Gaussian volume-conduction kernel, plus
 * narrow-band rhythms from AR(2) resonators (posterior dominant rhythm, theta, delta, focal delta,
 * beta) with scalp weight maps, plus transient events from templates (spikes, 3 Hz spike-and-wave,
 * triphasic waves, vertex waves, spindles, burst suppression, blinks, muscle, electrode pops) and
 * line noise. Amplitudes and rates follow typical adult clinical EEG values (Niedermeyer's
 * Electroencephalography, 7th ed., ch. 9-13; ACNS 2021 critical-care terminology for triphasic
 * waves and burst suppression). Everything is driven by the session's counter-based RNG, so a
 * session's samples depend only on (seed, patient, session). */
#include "cohort_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NC     CLEFI_N_EEG_CH
#define TWO_PI 6.283185307179586
#define PI     3.141592653589793

/* Approximate 2-D scalp positions (x: left -1 .. right 1, y: back -1 .. front 1) of the 10-20
 * electrodes in canonical order (docs/ARCHITECTURE.md section 8). */
static const double k_pos[NC][2] = {{-0.31, 0.95},  {0.31, 0.95},   {-0.81, 0.59}, {-0.40, 0.50},
                                    {0.0, 0.45},    {0.40, 0.50},   {0.81, 0.59},  {-1.0, 0.0},
                                    {-0.50, 0.0},   {0.0, 0.0},     {0.50, 0.0},   {1.0, 0.0},
                                    {-0.81, -0.59}, {-0.40, -0.50}, {0.0, -0.45},  {0.40, -0.50},
                                    {0.81, -0.59},  {-0.31, -0.95}, {0.31, -0.95}};
static const char *const k_new[NC] = {"Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T7", "C3", "Cz",
                                      "C4",  "T8",  "P7", "P3", "Pz", "P4", "P8", "O1", "O2"};
static const char *const k_old[NC] = {"Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T3", "C3", "Cz",
                                      "C4",  "T4",  "T5", "P3", "Pz", "P4", "T6", "O1", "O2"};

enum ev_type {
    EV_SPIKE,
    EV_SW,
    EV_TRIPHASIC,
    EV_VERTEX,
    EV_SPINDLE,
    EV_BLINK,
    EV_MUSCLE,
    EV_POP,
    EV_BURST
};
enum wmap {
    W_FOCAL,
    W_FRONT,
    W_VERTEX,
    W_CENTRAL,
    W_EYE,
    W_TEMP_L,
    W_TEMP_R,
    W_POP,
    W_ALL,
    W_POST,
    W_FC,
    N_WMAP
};

typedef struct ev {
    int64_t onset, len; /* samples */
    double amp, freq;
    int32_t type, wmap;
    uint64_t key;
} ev;

typedef struct reson {
    double a1, a2, g, y1, y2;
} reson;

typedef struct synth {
    const clefi_session *s;
    double fs;
    int64_t n_total, pos;
    clefi_crng rng;
    double mix[NC][NC];
    double pink[NC][7];
    double w[N_WMAP][NC];
    reson pdr, theta, delta, focal, beta;
    double a_bg, a_pdr, a_theta, a_delta, a_focal, a_beta, a_line;
    double line_phase[NC], line_gain[NC];
    double pdr_gain; /* smoothed eyes-closed gain */
    int64_t sleep_from;
    int64_t *eye_on; /* eye-state switch samples; even index: eyes closed */
    int32_t n_eye, eye_k;
    ev *ev;
    size_t n_ev, cap_ev, ev_first;
    int64_t max_len;
    clef_ctx *ctx;
} synth;

static void reson_init(reson *r, double f, double bw_hz, double fs) {
    double rr = exp(-PI * bw_hz / fs);
    r->a1 = 2.0 * rr * cos(TWO_PI * f / fs);
    r->a2 = -rr * rr;
    /* Unit output variance for unit white input: AR(2) variance (Box & Jenkins eq. 3.2.8). */
    double var = (1.0 - r->a2) / ((1.0 + r->a2) * ((1.0 - r->a2) * (1.0 - r->a2) - r->a1 * r->a1));
    r->g = 1.0 / sqrt(var);
    r->y1 = r->y2 = 0.0;
}

static double reson_step(reson *r, double e) {
    double y = r->a1 * r->y1 + r->a2 * r->y2 + r->g * e;
    r->y2 = r->y1;
    r->y1 = y;
    return y;
}

/* Deterministic noise in [-1, 1) from a key and a sample index (for events, order-free). */
static double hash_noise(uint64_t key, int64_t i) {
    uint64_t z = key ^ ((uint64_t)i * 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-52 - 1.0;
}

static void gauss_map(double *w, double cx, double cy, double sigma) {
    for (int c = 0; c < NC; c++) {
        double dx = k_pos[c][0] - cx, dy = k_pos[c][1] - cy;
        w[c] = exp(-(dx * dx + dy * dy) / (2.0 * sigma * sigma));
    }
}

static clef_status add_ev(synth *sy, int32_t type, int32_t wmap, double onset_s, double len_s,
                          double amp, double freq) {
    if (sy->n_ev == sy->cap_ev) {
        size_t cap = sy->cap_ev ? 2 * sy->cap_ev : 256;
        ev *e = clefi_realloc_array(sy->ctx, sy->ev, cap, sizeof *e);
        if (e == NULL)
            return CLEF_ERR_NOMEM;
        sy->ev = e;
        sy->cap_ev = cap;
    }
    ev *e = &sy->ev[sy->n_ev++];
    e->onset = (int64_t)(onset_s * sy->fs);
    e->len = (int64_t)(len_s * sy->fs) + 1;
    e->amp = amp;
    e->freq = freq;
    e->type = type;
    e->wmap = wmap;
    e->key = clefi_crng_u64(&sy->rng);
    if (e->len > sy->max_len)
        sy->max_len = e->len;
    return CLEF_OK;
}

/* Poisson process of events of one kind over [t0, t1) seconds; rate per minute. */
static clef_status schedule(synth *sy, int32_t type, int32_t wmap, double rate_min, double t0,
                            double t1, double len_s, double amp) {
    if (rate_min <= 0)
        return CLEF_OK;
    double t = t0 - log(1.0 - clefi_crng_unif(&sy->rng)) * 60.0 / rate_min;
    for (; t < t1; t -= log(1.0 - clefi_crng_unif(&sy->rng)) * 60.0 / rate_min) {
        double a = amp * (0.7 + 0.6 * clefi_crng_unif(&sy->rng));
        clef_status rc =
            add_ev(sy, type, wmap, t, len_s * (0.8 + 0.4 * clefi_crng_unif(&sy->rng)), a, 0);
        if (rc != CLEF_OK)
            return rc;
    }
    return CLEF_OK;
}

/* Trains of periodic complexes (3 Hz spike-and-wave, triphasic waves), expanded into single
 * complexes. */
static clef_status schedule_trains(synth *sy, int32_t type, int32_t wmap, double rate_min,
                                   double dur, double train_s, double hz, double amp) {
    double t = 5.0 - log(1.0 - clefi_crng_unif(&sy->rng)) * 60.0 / rate_min;
    for (; t < dur; t -= log(1.0 - clefi_crng_unif(&sy->rng)) * 60.0 / rate_min) {
        double len = train_s * (0.5 + clefi_crng_unif(&sy->rng));
        double f = hz * (0.9 + 0.2 * clefi_crng_unif(&sy->rng));
        for (double u = 0; u < len && t + u < dur; u += 1.0 / f) {
            clef_status rc = add_ev(sy, type, wmap, t + u, 1.0 / f, amp, f);
            if (rc != CLEF_OK)
                return rc;
        }
        t += len;
    }
    return CLEF_OK;
}

static int ev_cmp(const void *a, const void *b) {
    const ev *x = a, *y = b;
    if (x->onset != y->onset)
        return x->onset < y->onset ? -1 : 1;
    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

static clef_status plan_events(synth *sy, const clefi_patient *p, double dur) {
    const clefi_session *s = sy->s;
    const uint8_t *f = s->find;
    clef_status rc = CLEF_OK;
    (void)p;
    if (f[CLEFI_FIND_FOCAL_IED])
        rc = schedule(sy, EV_SPIKE, W_FOCAL, 3.0 + 6.0 * clefi_crng_unif(&sy->rng), 2.0, dur, 0.3,
                      90.0);
    if (rc == CLEF_OK && f[CLEFI_FIND_GEN_IED])
        rc = schedule_trains(sy, EV_SW, W_FRONT, 1.2, dur, 4.0, 3.0, 170.0);
    if (rc == CLEF_OK && f[CLEFI_FIND_TRIPHASIC])
        rc = schedule_trains(sy, EV_TRIPHASIC, W_FRONT, 1.5, dur, 10.0, 1.8, 70.0);
    double sleep_s = (double)sy->sleep_from / sy->fs;
    if (rc == CLEF_OK && f[CLEFI_FIND_SLEEP])
        rc = schedule(sy, EV_VERTEX, W_VERTEX, 6.0, sleep_s, dur, 0.35, 80.0);
    if (rc == CLEF_OK && f[CLEFI_FIND_SLEEP])
        rc = schedule(sy, EV_SPINDLE, W_CENTRAL, 5.0, sleep_s, dur, 1.0, 22.0);
    if (rc == CLEF_OK && f[CLEFI_FIND_BURST_SUPP]) {
        /* Bursts of 1-3 s separated by 2-10 s of suppression. */
        for (double t = 1.0; t < dur && rc == CLEF_OK;) {
            double len = 1.0 + 2.0 * clefi_crng_unif(&sy->rng);
            rc = add_ev(sy, EV_BURST, W_ALL, t, len, 70.0, 0);
            t += len + 2.0 + 8.0 * clefi_crng_unif(&sy->rng);
        }
    }
    /* Blinks while the eyes are open. */
    for (int32_t k = 1; rc == CLEF_OK && k < sy->n_eye; k += 2) {
        double t0 = (double)sy->eye_on[k] / sy->fs;
        double t1 = k + 1 < sy->n_eye ? (double)sy->eye_on[k + 1] / sy->fs : dur;
        if (f[CLEFI_FIND_EYE_BLINKS])
            rc = schedule(sy, EV_BLINK, W_EYE, 15.0, t0, t1 - 0.4, 0.35, 120.0);
    }
    if (rc == CLEF_OK && f[CLEFI_FIND_MUSCLE])
        rc =
            schedule(sy, EV_MUSCLE, W_TEMP_L + clefi_crng_int(&sy->rng, 2), 1.5, 0, dur, 3.0, 25.0);
    if (rc == CLEF_OK && f[CLEFI_FIND_ELECTRODE_POP])
        rc = schedule(sy, EV_POP, W_POP, 1.0, 0, dur, 1.5, 250.0);
    if (rc != CLEF_OK)
        return rc;
    if (sy->n_ev > 1)
        qsort(sy->ev, sy->n_ev, sizeof *sy->ev, ev_cmp);
    return CLEF_OK;
}

/* Alternating eye states: closed 25-60 s, open 8-20 s; the record starts with eyes closed. */
static clef_status plan_eyes(synth *sy, double dur) {
    size_t cap = (size_t)(dur / 8.0) + 4;
    sy->eye_on = clefi_calloc(sy->ctx, cap, sizeof *sy->eye_on);
    if (sy->eye_on == NULL)
        return CLEF_ERR_NOMEM;
    double t = 0;
    for (int32_t k = 0; t < dur && (size_t)k < cap; k++) {
        sy->eye_on[k] = (int64_t)(t * sy->fs);
        sy->n_eye = k + 1;
        t += k % 2 == 0 ? 25.0 + 35.0 * clefi_crng_unif(&sy->rng)
                        : 8.0 + 12.0 * clefi_crng_unif(&sy->rng);
    }
    return CLEF_OK;
}

static void plan_maps(synth *sy, const clefi_patient *p) {
    double side = p->focal_side == 0 ? -1.0 : 1.0;
    gauss_map(sy->w[W_FOCAL], 0.85 * side, 0.15 + 0.2 * clefi_crng_unif(&sy->rng), 0.38);
    gauss_map(sy->w[W_FRONT], 0.0, 0.55, 0.75);
    gauss_map(sy->w[W_VERTEX], 0.0, 0.0, 0.35);
    gauss_map(sy->w[W_CENTRAL], 0.0, 0.05, 0.55);
    gauss_map(sy->w[W_EYE], 0.0, 1.25, 0.35);
    gauss_map(sy->w[W_TEMP_L], -1.0, 0.2, 0.35);
    gauss_map(sy->w[W_TEMP_R], 1.0, 0.2, 0.35);
    gauss_map(sy->w[W_POST], 0.0, -0.95, 0.5);
    gauss_map(sy->w[W_FC], 0.0, 0.35, 0.8);
    for (int c = 0; c < NC; c++) {
        sy->w[W_POP][c] = c == sy->s->pop_ch;
        sy->w[W_ALL][c] = 0.8 + 0.2 * sy->w[W_FRONT][c];
    }
    /* Volume conduction of the background: rows of a Gaussian kernel (sigma 0.35 of the head
     * radius), normalized to unit gain so mixing keeps the per-channel variance scale. */
    for (int c = 0; c < NC; c++) {
        double sum = 0;
        gauss_map(sy->mix[c], k_pos[c][0], k_pos[c][1], 0.35);
        for (int d = 0; d < NC; d++)
            sum += sy->mix[c][d] * sy->mix[c][d];
        for (int d = 0; d < NC; d++)
            sy->mix[c][d] /= sqrt(sum);
    }
}

static clef_status synth_init(synth *sy, clef_ctx *ctx, const clefi_cohort_cfg *cfg,
                              const clefi_patient *p, const clefi_session *s, size_t n) {
    memset(sy, 0, sizeof *sy);
    sy->ctx = ctx;
    sy->s = s;
    sy->fs = s->fs;
    sy->n_total = (int64_t)n;
    clefi_crng_init(&sy->rng, cfg->seed, (uint64_t)s->patient, (uint64_t)s->k + 1, CRNG_EEG);
    double dur = (double)n / sy->fs, a = (s->age - 50.0) / 20.0;
    const uint8_t *f = s->find;
    plan_maps(sy, p);
    sy->sleep_from = f[CLEFI_FIND_SLEEP]
                         ? (int64_t)((0.15 + 0.45 * clefi_crng_unif(&sy->rng)) * (double)n)
                         : (int64_t)n;
    /* Kellet's pink filter has an output std of about 3.4 for unit white input (measured). */
    sy->a_bg = (5.5 + 0.6 * (a > 0 ? a : 0)) / 3.4;
    sy->a_pdr =
        s->pdr_hz > 0 ? 28.0 * (1.0 - 0.12 * a) * (0.7 + 0.6 * clefi_crng_unif(&sy->rng)) : 0.0;
    sy->a_theta = 3.0 + 1.5 * (a > 0 ? a : 0) + 9.0 * f[CLEFI_FIND_GEN_SLOWING];
    sy->a_delta = f[CLEFI_FIND_GEN_SLOWING] ? 16.0 + 7.0 * s->severity : 2.0;
    sy->a_focal = f[CLEFI_FIND_FOCAL_SLOWING] ? 30.0 + 15.0 * clefi_crng_unif(&sy->rng) : 0.0;
    sy->a_beta = f[CLEFI_FIND_EXCESS_BETA] ? 12.0 + 8.0 * clefi_crng_unif(&sy->rng) : 2.0;
    sy->a_line = f[CLEFI_FIND_LINE_NOISE] ? 3.0 + 12.0 * clefi_crng_unif(&sy->rng) : 0.0;
    for (int c = 0; c < NC; c++) {
        sy->line_phase[c] = TWO_PI * clefi_crng_unif(&sy->rng);
        sy->line_gain[c] = 0.3 + clefi_crng_unif(&sy->rng);
    }
    reson_init(&sy->pdr, s->pdr_hz > 0 ? s->pdr_hz : 10.0, 0.6, sy->fs);
    reson_init(&sy->theta, 5.0 + 1.5 * clefi_crng_unif(&sy->rng), 2.0, sy->fs);
    reson_init(&sy->delta, 1.5 + 1.0 * clefi_crng_unif(&sy->rng), 1.5, sy->fs);
    reson_init(&sy->focal, 1.2 + 1.5 * clefi_crng_unif(&sy->rng), 1.2, sy->fs);
    reson_init(&sy->beta, 18.0 + 5.0 * clefi_crng_unif(&sy->rng), 4.0, sy->fs);
    sy->pdr_gain = 1.0;
    clef_status rc = plan_eyes(sy, dur);
    if (rc == CLEF_OK)
        rc = plan_events(sy, p, dur);
    return rc;
}

static void synth_free(synth *sy) {
    clefi_free(sy->ctx, sy->ev);
    clefi_free(sy->ctx, sy->eye_on);
}

/* Template of event e at sample offset i (relative to onset), microvolts before the map. */
static double ev_value(const synth *sy, const ev *e, int64_t i) {
    double t = (double)i / sy->fs, len = (double)e->len / sy->fs;
    switch (e->type) {
    case EV_SPIKE: { /* 70 ms spike then an after-going slow wave */
        double sp = exp(-pow((t - 0.035) / 0.012, 2.0));
        double sw = t > 0.07 ? sin(PI * (t - 0.07) / (len - 0.07)) : 0.0;
        return -e->amp * sp + 0.35 * e->amp * sw;
    }
    case EV_SW: { /* one spike-and-wave complex of the 3 Hz train */
        double period = 1.0 / e->freq;
        double sp = exp(-pow((t - 0.03) / 0.012, 2.0));
        double wave = t > 0.07 ? sin(PI * (t - 0.07) / (period - 0.07)) : 0.0;
        return -0.8 * e->amp * sp + 0.6 * e->amp * wave;
    }
    case EV_TRIPHASIC: { /* small negative, dominant positive, slower negative phase */
        return e->amp *
               (-0.3 * exp(-pow((t - 0.05) / 0.025, 2.0)) + exp(-pow((t - 0.14) / 0.04, 2.0)) -
                0.5 * exp(-pow((t - 0.3) / 0.08, 2.0)));
    }
    case EV_VERTEX:
        return -e->amp * exp(-pow((t - 0.1) / 0.045, 2.0)) +
               0.3 * e->amp * exp(-pow((t - 0.24) / 0.06, 2.0));
    case EV_SPINDLE: {
        double env = sin(PI * t / len);
        return e->amp * env * env * sin(TWO_PI * 13.0 * t);
    }
    case EV_BLINK: {
        double env = t < 0.3 ? sin(PI * t / 0.3) : 0.0;
        return e->amp * env * env;
    }
    case EV_MUSCLE: {
        double ramp = t < 0.1 ? t / 0.1 : t > len - 0.1 ? (len - t) / 0.1 : 1.0;
        return e->amp * ramp * (hash_noise(e->key, i) - hash_noise(e->key, i - 1));
    }
    case EV_POP:
        return e->amp * exp(-t / 0.25);
    default: { /* EV_BURST: delta with sharp components */
        double env = sin(PI * t / len);
        return e->amp * env *
               (sin(TWO_PI * 2.0 * t + (double)(e->key & 7)) + 0.5 * hash_noise(e->key, i));
    }
    }
}

/* Eye state at sample i (0 closed, 1 open); i never decreases, so a cursor suffices. */
static int eye_state_at(synth *sy, int64_t i) {
    while (sy->eye_k + 1 < sy->n_eye && sy->eye_on[sy->eye_k + 1] <= i)
        sy->eye_k++;
    return sy->eye_k % 2;
}

/* Next L samples of all channels into out[c * L + i]. */
static void synth_block(synth *sy, float *out, int64_t L) {
    const clefi_session *s = sy->s;
    double bg[NC];
    double tau = 1.0 - exp(-1.0 / (0.3 * sy->fs)); /* eye-gain smoothing, 0.3 s */
    int bs = s->find[CLEFI_FIND_BURST_SUPP];
    for (int64_t i = 0; i < L; i++) {
        int64_t gi = sy->pos + i;
        int asleep = gi >= sy->sleep_from;
        double target = asleep ? 0.0 : eye_state_at(sy, gi) == 0 ? 1.0 : 0.15;
        sy->pdr_gain += tau * (target - sy->pdr_gain);
        /* Burst suppression: background and rhythms suppressed outside bursts. */
        double gain = bs ? 0.08 : 1.0;
        for (int c = 0; c < NC; c++) {
            /* Unit-variance uniform white noise (a third of the cost of a normal deviate); the
             * pink filter's long memory and the mixing make the background near-Gaussian. */
            double wn = (clefi_crng_unif(&sy->rng) - 0.5) * 3.4641016151377544, *b = sy->pink[c];
            /* Paul Kellet's refined pink-noise filter (musicdsp.org "Pink noise", 1999). */
            b[0] = 0.99886 * b[0] + wn * 0.0555179;
            b[1] = 0.99332 * b[1] + wn * 0.0750759;
            b[2] = 0.96900 * b[2] + wn * 0.1538520;
            b[3] = 0.86650 * b[3] + wn * 0.3104856;
            b[4] = 0.55000 * b[4] + wn * 0.5329522;
            b[5] = -0.7616 * b[5] - wn * 0.0168980;
            bg[c] = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + wn * 0.5362;
            b[6] = wn * 0.115926;
        }
        double v_pdr = reson_step(&sy->pdr, clefi_crng_norm(&sy->rng)) * sy->a_pdr * sy->pdr_gain;
        double v_theta = reson_step(&sy->theta, clefi_crng_norm(&sy->rng)) *
                         (sy->a_theta + (asleep ? 10.0 : 0.0));
        double v_delta = reson_step(&sy->delta, clefi_crng_norm(&sy->rng)) * sy->a_delta;
        double v_focal = reson_step(&sy->focal, clefi_crng_norm(&sy->rng)) * sy->a_focal;
        double v_beta = reson_step(&sy->beta, clefi_crng_norm(&sy->rng)) * sy->a_beta;
        double t = (double)gi / sy->fs;
        for (int c = 0; c < NC; c++) {
            double x = 0;
            for (int d = 0; d < NC; d++)
                x += sy->mix[c][d] * bg[d];
            x = x * sy->a_bg + v_pdr * sy->w[W_POST][c] + v_theta * sy->w[W_ALL][c] +
                v_delta * sy->w[W_ALL][c] + v_focal * sy->w[W_FOCAL][c] + v_beta * sy->w[W_FC][c];
            x *= gain;
            if (sy->a_line > 0)
                x += sy->a_line * sy->line_gain[c] *
                     sin(TWO_PI * s->line_hz * t + sy->line_phase[c]);
            out[(size_t)c * (size_t)L + (size_t)i] = (float)x;
        }
    }
    /* Events overlapping [pos, pos + L). */
    int64_t b0 = sy->pos, b1 = sy->pos + L;
    while (sy->ev_first < sy->n_ev && sy->ev[sy->ev_first].onset + sy->max_len < b0)
        sy->ev_first++;
    for (size_t k = sy->ev_first; k < sy->n_ev && sy->ev[k].onset < b1; k++) {
        const ev *e = &sy->ev[k];
        int64_t from = e->onset > b0 ? e->onset : b0, to = e->onset + e->len;
        to = to < b1 ? to : b1;
        const double *w = sy->w[e->wmap];
        for (int64_t gi = from; gi < to; gi++) {
            double v = ev_value(sy, e, gi - e->onset);
            for (int c = 0; c < NC; c++)
                if (w[c] > 1e-3)
                    out[(size_t)c * (size_t)L + (size_t)(gi - b0)] += (float)(v * w[c]);
        }
    }
    if (s->flat_ch >= 0) /* a disconnected electrode: amplifier noise only */
        for (int64_t i = 0; i < L; i++)
            out[(size_t)s->flat_ch * (size_t)L + (size_t)i] =
                (float)(0.05 * hash_noise(0x5eed + (uint64_t)s->flat_ch, sy->pos + i));
    sy->pos += L;
}

clef_status clefi_cohort_synth_eeg(clef_ctx *ctx, const clefi_cohort_cfg *cfg,
                                   const clefi_patient *p, const clefi_session *s, float *x,
                                   size_t n, clefi_eeg_event_fn fn, void *user) {
    synth sy;
    clef_status rc = synth_init(&sy, ctx, cfg, p, s, n);
    if (rc == CLEF_OK && fn != NULL)
        for (int32_t k = 0; k < sy.n_eye; k++)
            fn((double)sy.eye_on[k] / sy.fs, k % 2 ? "Eyes open" : "Eyes closed", user);
    float *blk = rc == CLEF_OK ? clefi_malloc(ctx, sizeof(float) * NC * (size_t)s->fs) : NULL;
    if (rc == CLEF_OK && blk == NULL)
        rc = CLEF_ERR_NOMEM;
    for (size_t i0 = 0; rc == CLEF_OK && i0 < n; i0 += (size_t)s->fs) {
        int64_t L = (int64_t)(n - i0 < (size_t)s->fs ? n - i0 : (size_t)s->fs);
        synth_block(&sy, blk, L);
        for (int c = 0; c < NC; c++)
            memcpy(x + (size_t)c * n + i0, blk + (size_t)c * (size_t)L, sizeof(float) * (size_t)L);
    }
    clefi_free(ctx, blk);
    synth_free(&sy);
    return rc;
}

/* Channel label in one of five styles seen in clinical exports. */
static void channel_label(char *out, size_t cap, int32_t style, int c) {
    const char *nm = style == 2 || style == 3 ? k_new[c] : k_old[c];
    char up[8];
    size_t k = 0;
    for (; nm[k] && k + 1 < sizeof up; k++)
        up[k] = (char)(nm[k] >= 'a' && nm[k] <= 'z' ? nm[k] - 32 : nm[k]);
    up[k] = '\0';
    switch (style) {
    case 0:
        snprintf(out, cap, "EEG %s-REF", up);
        break;
    case 1:
        snprintf(out, cap, "%s-LE", nm);
        break;
    case 2:
        snprintf(out, cap, "%s", nm);
        break;
    case 3:
        snprintf(out, cap, "EEG %s-Ref", nm);
        break;
    default:
        snprintf(out, cap, "EEG %s-LE", up);
        break;
    }
}

typedef struct annot_ctx {
    clef_edf_writer *w;
    clef_status rc;
} annot_ctx;

static void annot_cb(double onset, const char *text, void *user) {
    annot_ctx *a = user;
    if (a->rc == CLEF_OK)
        a->rc = clef_edf_writer_add_annotation(a->w, onset, -1.0, text);
}

static clef_status setup_writer(clef_edf_writer *w, const clefi_patient *p,
                                const clefi_session *s) {
    int32_t y, mo, d, h, mi, sec;
    clefi_civil(s->start, &y, &mo, &d, &h, &mi, &sec);
    char name[64];
    snprintf(name, sizeof name, "%s %s", p->family, p->given);
    clef_status rc = clef_edf_writer_set_patient(w, p->mrn,
                                                 p->sex == 0   ? "F"
                                                 : p->sex == 1 ? "M"
                                                               : "X",
                                                 p->birth_y, p->birth_m, p->birth_d, name);
    if (rc == CLEF_OK)
        rc = clef_edf_writer_set_recording(w, s->session_id, "EEG tech", "CLEF synth");
    if (rc == CLEF_OK)
        rc = clef_edf_writer_set_start(w, y, mo, d, h, mi, sec);
    /* 0.1 uV (EDF) or 1/32 uV (BDF) per step; ranges fit the 8-character header fields. */
    double scale = s->unit_mv ? 1e-3 : 1.0;
    double pmax = s->is_bdf ? 262144.0 : 3276.7, pmin = s->is_bdf ? -262144.0 : -3276.8;
    int32_t dmin = s->is_bdf ? -8388608 : -32768, dmax = s->is_bdf ? 8388607 : 32767;
    for (int c = 0; rc == CLEF_OK && c < NC; c++) {
        if (s->missing >> c & 1u)
            continue;
        char label[24];
        channel_label(label, sizeof label, s->label_style, c);
        rc = clef_edf_writer_add_signal(w, label, s->unit_mv ? "mV" : "uV", s->fs, pmin * scale,
                                        pmax * scale, dmin, dmax, "AgAgCl electrode",
                                        "HP:0.5Hz LP:70Hz", NULL);
    }
    return rc;
}

clef_status clefi_cohort_write_eeg(clef_ctx *ctx, const clefi_cohort_cfg *cfg,
                                   const clefi_patient *p, clefi_session *s, const char *path) {
    size_t n = (size_t)(cfg->duration_s * s->fs);
    synth sy;
    clef_edf_writer *w = NULL;
    float *blk = NULL;
    clef_status rc = synth_init(&sy, ctx, cfg, p, s, n);
    if (rc == CLEF_OK)
        rc = clef_edf_writer_create(&w, ctx, path,
                                    s->is_bdf ? CLEF_EDF_FORMAT_BDFPLUS : CLEF_EDF_FORMAT_EDFPLUS);
    if (rc == CLEF_OK)
        rc = setup_writer(w, p, s);
    if (rc == CLEF_OK && (blk = clefi_malloc(ctx, sizeof(float) * NC * (size_t)s->fs)) == NULL)
        rc = CLEF_ERR_NOMEM;
    double scale = s->unit_mv ? 1e-3 : 1.0;
    for (size_t i0 = 0; rc == CLEF_OK && i0 < n; i0 += (size_t)s->fs) {
        int64_t L = (int64_t)(n - i0 < (size_t)s->fs ? n - i0 : (size_t)s->fs);
        synth_block(&sy, blk, L);
        for (int c = 0, sig = 0; rc == CLEF_OK && c < NC; c++) {
            if (s->missing >> c & 1u)
                continue;
            float *row = blk + (size_t)c * (size_t)L;
            if (scale != 1.0)
                for (int64_t i = 0; i < L; i++)
                    row[i] = (float)(row[i] * scale);
            rc = clef_edf_writer_write_signal_f32(w, sig++, row, (size_t)L);
        }
    }
    annot_ctx a = {w, CLEF_OK};
    for (int32_t k = 0; rc == CLEF_OK && k < sy.n_eye; k++)
        annot_cb((double)sy.eye_on[k] / sy.fs, k % 2 ? "Eyes open" : "Eyes closed", &a);
    if (rc == CLEF_OK)
        rc = a.rc;
    if (rc == CLEF_OK)
        rc = clef_edf_writer_close(w);
    if (rc != CLEF_OK && w != NULL && clef_edf_writer_errmsg(w)[0] != '\0')
        clefi_ctx_error(ctx, rc, "%s: %s", s->session_id, clef_edf_writer_errmsg(w));
    clef_edf_writer_free(w);
    clefi_free(ctx, blk);
    synth_free(&sy);
    if (rc != CLEF_OK)
        return rc;
    /* Fingerprint of the finished file (the header was rewritten at close). */
    rc = clefi_sha256_file_hex(path, s->sha256);
    if (rc == CLEF_ERR_NOT_FOUND)
        return clefi_ctx_error(ctx, CLEF_ERR_IO, "cannot reopen '%s'", path);
    if (rc != CLEF_OK)
        return clefi_ctx_error(ctx, CLEF_ERR_IO, "cannot read back '%s'", path);
    return CLEF_OK;
}
