/* test_enc_dist.c — data-parallel encoder pretraining on 2 MPI ranks (docs/distributed.md
 * "Session encoder pretraining"): both ranks end with the same weights, bit-identical to one
 * process emulating the 2 ranks (clef_encoder_trainer_set_reducer(tr, NULL, NULL, 0, 2)) and
 * within the stated tolerance of plain single-process training on the same global batches;
 * a wrong rank or a missing reduction is caught. Exit status 0 on success. */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clef_dist.h"
#include "model/model_int.h"
#include "mpi_check.h"

/* A layout no tokenizer has: 2 x 6 grid, 3 session-mean tokens, codebook of 10. */
enum { ROWS = 2, COLS = 6, MEANS = 3, CODES = 10, LEVELS = 8, NTOK = ROWS * COLS + MEANS };
enum { N_TRAIN = 7, BATCH = 4, STEPS = 6 };

/* Plain single process vs 2 ranks: max |w1 - w2| <= PLAIN_TOL * max |w| (docs/distributed.md). */
#define PLAIN_TOL 1e-5

static int reductions;

static clef_status reduce_mean(float *g, size_t n, void *user) {
    (void)user;
    reductions++;
    return clef_dist_allreduce_mean(g, n);
}

static clef_status reduce_none(float *g, size_t n, void *user) {
    (void)g, (void)n, (void)user;
    return CLEF_OK;
}

/* Sessions of random ids (the same on every rank); session i has COLS - i % 2 valid columns. */
static void make_sessions(int32_t *ids, int n) {
    uint64_t st = 77;
    for (int i = 0; i < n; i++) {
        int32_t *s = ids + i * NTOK;
        for (int k = 0; k < ROWS * COLS; k++)
            s[k] = (int32_t)(clefi_splitmix64(&st) % CODES);
        for (int k = 0; k < MEANS - 1; k++)
            s[ROWS * COLS + k] = CODES + (int32_t)(clefi_splitmix64(&st) % LEVELS);
        s[NTOK - 1] = CODES + COLS - i % 2;
    }
}

/* A trainer of the small layout with the sessions added, as rank of world (reduce NULL and
 * world 2: the emulated ranks; world 1: plain single process). */
static clef_encoder_trainer *trainer(clef_ctx *ctx, const clef_params *p, int32_t threads,
                                     const int32_t *ids, clef_grad_reduce_fn reduce, int32_t rank,
                                     int32_t world) {
    clefi_enc_cfg c = {.d = 12,
                       .n_layers = 2,
                       .n_heads = 3,
                       .d_ff = 20,
                       .embed_dim = 8,
                       .grid_f = ROWS,
                       .grid_t = COLS,
                       .n_mean = MEANS,
                       .codebook_size = CODES,
                       .mean_levels = LEVELS};
    memset(c.tok_sha, 'b', 64);
    clef_encoder_trainer *tr = NULL;
    CHECK(clefi_enc_trainer_new(&tr, ctx, &c, p, threads) == CLEF_OK);
    CHECK(clef_encoder_trainer_add_tokens(tr, ids, N_TRAIN, CLEF_SPLIT_TRAIN) == CLEF_OK);
    CHECK(clef_encoder_trainer_set_reducer(tr, reduce, NULL, rank, world) == CLEF_OK);
    return tr;
}

/* max |a - b| / max |a| over the current (ema 0) or EMA weights. */
static double rel_diff(clef_encoder_trainer *a, clef_encoder_trainer *b, int32_t ema) {
    const clef_encoder *ea = clef_encoder_trainer_encoder(a, ema),
                       *eb = clef_encoder_trainer_encoder(b, ema);
    double dmax = 0.0, wmax = 0.0;
    for (size_t i = 0; i < ea->lay.total; i++) {
        dmax = fmax(dmax, fabs((double)ea->flat[i] - (double)eb->flat[i]));
        wmax = fmax(wmax, fabs((double)ea->flat[i]));
    }
    return dmax / wmax;
}

static int same_bits(clef_encoder_trainer *a, clef_encoder_trainer *b) {
    for (int32_t ema = 0; ema < 2; ema++) {
        const clef_encoder *ea = clef_encoder_trainer_encoder(a, ema),
                           *eb = clef_encoder_trainer_encoder(b, ema);
        if (memcmp(ea->flat, eb->flat, ea->lay.total * sizeof(float)) != 0)
            return 0;
    }
    return 1;
}

/* Every rank holds rank 0's weights, bit for bit. */
static int same_on_all_ranks(clef_encoder_trainer *tr) {
    const clef_encoder *e = clef_encoder_trainer_encoder(tr, 0);
    size_t n = e->lay.total;
    float *ref = malloc(n * sizeof *ref);
    memcpy(ref, e->flat, n * sizeof *ref);
    MPI_Bcast(ref, (int)n, MPI_FLOAT, 0, MPI_COMM_WORLD);
    int same = memcmp(ref, e->flat, n * sizeof *ref) == 0, all = 0;
    MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    free(ref);
    return all;
}

/* The global batch of step s in order, as clef_encoder_trainer_step() takes it here. */
static const int32_t *batch_of(const int32_t *ids, int64_t s, int32_t pos, int32_t *out) {
    for (int32_t j = 0; j < BATCH; j++)
        memcpy(out + j * NTOK, ids + ((s * BATCH + j) % N_TRAIN) * NTOK, NTOK * sizeof *out);
    return out + pos * NTOK;
}

int main(void) {
    int32_t rank = -1, world = -1;
    CHECK(clef_dist_init() == CLEF_OK);
    CHECK(clef_dist_rank(&rank) == CLEF_OK && clef_dist_world_size(&world) == CLEF_OK);
    CHECK(world == 2);
    clef_ctx *ctx = NULL;
    clef_params *p = NULL;
    CHECK(clef_ctx_create(&ctx) == CLEF_OK);
    CHECK(clef_params_create(&p, ctx, CLEF_PARAMS_PRETRAIN) == CLEF_OK);
    CHECK(clef_params_set_i64(p, CLEF_P_PRETRAIN_STEPS, STEPS) == CLEF_OK);
    CHECK(clef_params_set_i64(p, CLEF_P_PRETRAIN_BATCH, BATCH) == CLEF_OK);
    CHECK(clef_params_set_f64(p, CLEF_P_PRETRAIN_LR, 3e-3) == CLEF_OK);
    CHECK(clef_params_set_f64(p, CLEF_P_PRETRAIN_EMA_DECAY, 0.9) == CLEF_OK);
    CHECK(clef_params_set_f64(p, CLEF_P_PRETRAIN_GRAD_CLIP, 0.5) == CLEF_OK); /* clipping too */
    int32_t ids[N_TRAIN * NTOK];
    make_sessions(ids, N_TRAIN);

    /* 2 ranks through the pipeline: one reduction per step, the same weights everywhere */
    clef_encoder_trainer *dist = trainer(ctx, p, 1, ids, reduce_mean, rank, world);
    CHECK(clef_encoder_trainer_run(dist, NULL, NULL, NULL) == CLEF_OK);
    CHECK(reductions == STEPS);
    CHECK(same_on_all_ranks(dist));
    /* a wrong rank (both ranks train positions 0, 2) reduces fine but learns other weights */
    clef_encoder_trainer *wrong = trainer(ctx, p, 1, ids, reduce_mean, 0, world);
    CHECK(clef_encoder_trainer_run(wrong, NULL, NULL, NULL) == CLEF_OK);
    /* steps on explicit shares: this rank's sessions at positions rank, rank + 2 */
    clef_encoder_trainer *stepped = trainer(ctx, p, 1, ids, reduce_mean, rank, world);
    int32_t share[BATCH / 2 * NTOK], whole[BATCH * NTOK];
    for (int64_t s = 0; s < STEPS; s++) {
        for (int32_t j = 0; j < BATCH / 2; j++)
            memcpy(share + j * NTOK, batch_of(ids, s, rank + 2 * j, whole), sizeof(int32_t) * NTOK);
        CHECK(clef_encoder_trainer_step(stepped, share, BATCH / 2, NULL, NULL) == CLEF_OK);
    }
    CHECK(clef_encoder_trainer_step(stepped, share, BATCH, NULL, NULL) == CLEF_ERR_INVALID_ARG);

    if (rank == 0) {
        /* one process emulating the 2 ranks: bit-identical, on any thread count */
        clef_encoder_trainer *emu = trainer(ctx, p, 2, ids, NULL, 0, 2);
        CHECK(clef_encoder_trainer_run(emu, NULL, NULL, NULL) == CLEF_OK);
        CHECK(same_bits(dist, emu));
        clef_encoder_trainer *emu_steps = trainer(ctx, p, 1, ids, NULL, 0, 2);
        for (int64_t s = 0; s < STEPS; s++)
            CHECK(clef_encoder_trainer_step(emu_steps, batch_of(ids, s, 0, whole), BATCH, NULL,
                                            NULL) == CLEF_OK);
        CHECK(same_bits(stepped, emu_steps));
        CHECK(clef_encoder_trainer_step(emu_steps, whole, BATCH / 2, NULL, NULL) ==
              CLEF_ERR_INVALID_ARG);
        /* plain single process: the same sums in another order, within the tolerance */
        clef_encoder_trainer *plain = trainer(ctx, p, 2, ids, NULL, 0, 1);
        CHECK(clef_encoder_trainer_run(plain, NULL, NULL, NULL) == CLEF_OK);
        double d0 = rel_diff(emu, plain, 0), d1 = rel_diff(emu, plain, 1);
        printf("test_enc_dist: plain single process vs 2 ranks after %d steps: max |dw| / max "
               "|w| = %.3g (weights), %.3g (EMA)\n",
               STEPS, d0, d1);
        CHECK(d0 <= PLAIN_TOL && d1 <= PLAIN_TOL);
        /* the check can fail: a wrong rank, or no reduction, is far off */
        clef_encoder_trainer *alone = trainer(ctx, p, 1, ids, reduce_none, 0, 2);
        CHECK(clef_encoder_trainer_run(alone, NULL, NULL, NULL) == CLEF_OK);
        double dw = rel_diff(emu, wrong, 0), dn = rel_diff(emu, alone, 0);
        printf("test_enc_dist: a wrong rank: %.3g, no reduction: %.3g\n", dw, dn);
        CHECK(dw > 100 * PLAIN_TOL && dn > 100 * PLAIN_TOL);
        /* emulation is rank 0's */
        CHECK(clef_encoder_trainer_set_reducer(alone, NULL, NULL, 1, 2) == CLEF_ERR_INVALID_ARG);
        clef_encoder_trainer_free(emu);
        clef_encoder_trainer_free(emu_steps);
        clef_encoder_trainer_free(plain);
        clef_encoder_trainer_free(alone);
    }
    clef_encoder_trainer_free(dist);
    clef_encoder_trainer_free(wrong);
    clef_encoder_trainer_free(stepped);
    clef_params_free(p);
    clef_ctx_free(ctx);
    int local = failures, total = 0;
    MPI_Allreduce(&local, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    CHECK(clef_dist_finalize() == CLEF_OK);
    if (rank == 0)
        printf("test_enc_dist: %d rank(s), %d failure(s)\n", (int)world, total);
    return total + failures ? 1 : 0;
}
