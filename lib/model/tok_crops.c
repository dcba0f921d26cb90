/* tok_crops.c — the random training crops of clef_tokenizer_trainer_run: a seeded generator,
 * the crop positions and the channel dropout that teaches the tokenizer recordings with
 * missing electrodes (docs/tokenizer.md "Training").
 * SPDX-License-Identifier: BSD-3-Clause */
#include "model_int.h"

#include <string.h>

/* Draws are lib/core's splitmix64 (clefi_splitmix64): the crops of step s depend on (seed, s)
 * only, so a resumed run draws the same batches as an uninterrupted one. */
uint32_t clefi_tok_drop_channels(uint64_t *rng, double p, double lone, int64_t n_ch, int64_t plane,
                                 float blank_db, uint32_t present, float *crop) {
    int64_t order[32], n = 0;
    for (int64_t c = 0; c < n_ch && c < 32; c++)
        if (present >> c & 1u)
            order[n++] = c;
    if (n < 2 || (double)(clefi_splitmix64(rng) >> 11) * 0x1p-53 >= p)
        return present;
    for (int64_t c = n - 1; c > 0; c--) { /* Fisher-Yates */
        int64_t j = (int64_t)(clefi_splitmix64(rng) % (uint64_t)(c + 1)), t = order[c];
        order[c] = order[j];
        order[j] = t;
    }
    int64_t keep = 1 + (int64_t)(clefi_splitmix64(rng) % (uint64_t)(n - 1));
    if (lone > 0.0 && (double)(clefi_splitmix64(rng) >> 11) * 0x1p-53 < lone) /* no draw at */
        keep = 1; /* 0: runs without channel_lone keep their batches */
    for (int64_t k = keep; k < n; k++) {
        present &= ~(1u << order[k]);
        for (int64_t i = 0; i < plane; i++)
            crop[order[k] * plane + i] = blank_db;
    }
    return present;
}

void clefi_tok_draw_batch(const clefi_tok_data *d, const clefi_tok_train_cfg *cfg, int64_t n_ch,
                          int64_t n_freq, int64_t step, int64_t batch, int64_t crop_t, float *crops,
                          uint32_t *present, float *means) {
    uint64_t rng = cfg->seed ^ ((uint64_t)step * 0xD1B54A32D192ED03ull);
    size_t img = (size_t)(n_ch * n_freq * crop_t), dim = (size_t)(n_ch * n_freq);
    for (int64_t b = 0; b < batch; b++) {
        size_t i = (size_t)(clefi_splitmix64(&rng) % d->n);
        int64_t off = (int64_t)(clefi_splitmix64(&rng) % (uint64_t)(d->frames[i] - crop_t + 1));
        for (int64_t r = 0; r < n_ch * n_freq; r++)
            memcpy(crops + (size_t)b * img + (size_t)(r * crop_t),
                   d->spec[i] + (size_t)(r * d->frames[i] + off), (size_t)crop_t * sizeof(float));
        present[b] = d->present[i];
        if (cfg->channel_dropout > 0.0)
            present[b] = clefi_tok_drop_channels(&rng, cfg->channel_dropout, cfg->channel_lone,
                                                 n_ch, n_freq * crop_t, d->blank_db, present[b],
                                                 crops + (size_t)b * img);
        memcpy(means + (size_t)b * dim, d->means + i * dim, dim * sizeof(float));
        for (int64_t c = 0; c < n_ch && c < 32; c++)
            if (!(present[b] >> c & 1u) && (d->present[i] >> c & 1u))
                for (int64_t f = 0; f < n_freq; f++)
                    means[(size_t)b * dim + (size_t)(c * n_freq + f)] = d->blank_db;
    }
}
