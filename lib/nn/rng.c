/* rng.c — stateless counter-based random numbers (splitmix64 finaliser).
 * SPDX-License-Identifier: BSD-3-Clause */
#include "nn_int.h"

#include <math.h>

/* splitmix64 finaliser constants: Steele, Lea & Flood (OOPSLA 2014), as in
 * java.util.SplittableRandom. */
static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint64_t clefi_rng_u64(uint64_t seed, uint64_t counter) {
    /* golden-ratio increment separates streams of neighbouring seeds */
    return mix64(mix64(seed * UINT64_C(0x9e3779b97f4a7c15) + UINT64_C(0x632be59bd9b4e019)) ^
                 (counter + UINT64_C(0x9e3779b97f4a7c15)));
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
