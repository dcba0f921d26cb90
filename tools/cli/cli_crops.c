/* cli_crops.c — random draws of clef train-tokenizer's training crops (cli_crops.h). */
#include "cli_crops.h"

/* splitmix64 (Steele, Lea, Flood 2014): the crop positions of step s depend on (seed, s)
 * only, so a resumed run draws the same batches as an uninterrupted one. */
uint64_t cli_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* With probability p, keep a random 1 .. n - 1 of the crop's n present channels (with
 * probability lone, one) and blank the others with blank_db, the value an absent channel's
 * spectrogram has (docs/tokenizer.md). Returns the channels left present. */
uint32_t cli_drop_channels(uint64_t *rng, double p, double lone, int64_t n_ch, int64_t plane,
                           float blank_db, uint32_t present, float *crop) {
    int64_t order[32], n = 0;
    for (int64_t c = 0; c < n_ch && c < 32; c++)
        if (present >> c & 1u)
            order[n++] = c;
    if (n < 2 || (double)(cli_splitmix64(rng) >> 11) * 0x1p-53 >= p)
        return present;
    for (int64_t c = n - 1; c > 0; c--) { /* Fisher-Yates */
        int64_t j = (int64_t)(cli_splitmix64(rng) % (uint64_t)(c + 1)), t = order[c];
        order[c] = order[j];
        order[j] = t;
    }
    int64_t keep = 1 + (int64_t)(cli_splitmix64(rng) % (uint64_t)(n - 1));
    if (lone > 0.0 && (double)(cli_splitmix64(rng) >> 11) * 0x1p-53 < lone) /* no draw at 0: */
        keep = 1; /* runs without --channel-lone keep their batches */
    for (int64_t k = keep; k < n; k++) {
        present &= ~(1u << order[k]);
        for (int64_t i = 0; i < plane; i++)
            crop[order[k] * plane + i] = blank_db;
    }
    return present;
}
