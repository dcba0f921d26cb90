/* cli_crops.h — random draws of clef train-tokenizer's training crops: a seeded generator and
 * the channel dropout that teaches the tokenizer recordings with missing electrodes. */
#ifndef CLEF_CLI_CROPS_H
#define CLEF_CLI_CROPS_H

#include <stdint.h>

/* splitmix64 (Steele, Lea, Flood 2014): advances *x and returns the next 64-bit draw. */
uint64_t cli_splitmix64(uint64_t *x);

/* With probability p, keep a random 1 .. n - 1 of the n channels present in crop (channel c at
 * crop + c * plane, n_ch channels, at most 32) and set every value of the others to blank_db;
 * of those crops a share lone keeps exactly one. Returns the channels left present. With
 * lone = 0 the draws are those of a dropout without the option. */
uint32_t cli_drop_channels(uint64_t *rng, double p, double lone, int64_t n_ch, int64_t plane,
                           float blank_db, uint32_t present, float *crop);

#endif
