/* rng.c — the library's one random number generator: splitmix64 (Steele, Lea & Flood,
 * "Fast splittable pseudorandom number generators", OOPSLA 2014, as in
 * java.util.SplittableRandom), used statelessly (seed, counter) and sequentially (*state).
 * SPDX-License-Identifier: BSD-3-Clause */
#include "core_int.h"

#include <math.h>

#define GOLDEN UINT64_C(0x9e3779b97f4a7c15) /* the splitmix64 increment, 2^64 / phi */

/* splitmix64 finaliser */
static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint64_t clefi_splitmix64(uint64_t *state) { return mix64(*state += GOLDEN); }

uint64_t clefi_rand_below(uint64_t *state, uint64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n; /* reject the biased tail */
    for (;;) {
        uint64_t r = clefi_splitmix64(state);
        if (r < limit)
            return r % n;
    }
}

uint64_t clefi_rng_u64(uint64_t seed, uint64_t counter) {
    /* golden-ratio increment separates streams of neighbouring seeds */
    return mix64(mix64(seed * GOLDEN + UINT64_C(0x632be59bd9b4e019)) ^ (counter + GOLDEN));
}

float clefi_rng_uniform(uint64_t seed, uint64_t counter) {
    return (float)(clefi_rng_u64(seed, counter) >> 40) * (1.0f / 16777216.0f);
}

float clefi_rng_normal(uint64_t seed, uint64_t counter) {
    /* 53-bit uniforms in (0, 1] for u1 so log(u1) is finite */
    double u1 = ((double)(clefi_rng_u64(seed, 2 * counter) >> 11) + 1.0) * 0x1.0p-53;
    double u2 = (double)(clefi_rng_u64(seed, 2 * counter + 1) >> 11) * 0x1.0p-53;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}
