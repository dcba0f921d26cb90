/* winograd.c — 3x3 padding-1 convolution (stride 1 or (2, 1)) by Winograd's minimal filtering
 * F(4x4, 3x3), and (3, 1) convolution by F(4, 3) along H, for inference (Lavin & Gray, "Fast
 * Algorithms for Convolutional Neural Networks", CVPR 2016).
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * An output tile of 4 x 4 reads a 6 x 6 input tile d; with the transforms of the paper (B^T, G,
 * A^T below) a tile is Y = A^T [ (G g G^T) .* (B^T d B) ] A, summed over input channels. The
 * elementwise product summed over channels is one GEMM per transform point p (36 of them):
 * M_p[cout][tiles] = U_p[cout][cin] V_p[cin][tiles], U = G g G^T precomputed per layer: 36
 * multiplies per 16 outputs instead of 144 (4x fewer). A row stride of 2 (torch stride (2, 1))
 * keeps the even output rows of the stride-1 convolution: 2x fewer multiplies.
 *
 * The tiles (row-major over the tile grid) are cut into blocks of WINO_TILES; a block is the
 * unit of work of the pool (static partition of the output, so results are bit-identical for
 * any thread count) and of the per-thread scratch. The 1-D transforms run along runs of tiles
 * with the tile index innermost, so the loops vectorize. */
#include "nn_int.h"

#include <string.h>

#define WM 4 /* output tile */
#define WA 6 /* input tile: WM + 3 - 1 */

/* Tiles per block: the N of each of the 36 GEMMs. 64 fills one 256-wide tile row and keeps V
 * and M of a 128-channel layer near 1 MB each. */
#define WINO_TILES 64
/* Row stride of the de-interleaved columns: a run has up to WINO_TILES + 1 tile columns. */
#define COL_LD (WINO_TILES + 16)

/* F(4,3) of Lavin & Gray 2016 (section 4.2; interpolation points 0, +-1, +-2 and infinity):
 *   B^T = [4  0 -5  0 1 0]   G = [ 1/4     0    0 ]   A^T = [1 1  1 1  1 0]
 *         [0 -4 -4  1 1 0]       [-1/6 -1/6 -1/6 ]          [0 1 -1 2 -2 0]
 *         [0  4 -4 -1 1 0]       [-1/6  1/6 -1/6 ]          [0 1  1 4  4 0]
 *         [0 -2 -1  2 1 0]       [1/24 1/12  1/6 ]          [0 1 -1 8 -8 1]
 *         [0  2 -1 -2 1 0]       [1/24 -1/12 1/6 ]
 *         [0  4  0 -5 0 1]       [   0    0    1 ]
 * B^T and A^T are applied in factored form in in_1d and out_1d. */
static const double G4[WA][3] = {{1.0 / 4, 0, 0},
                                 {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                 {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                 {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                 {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                 {0, 0, 1}};

size_t clefi_wino_weights_size(int64_t cout, int64_t cin) {
    return (size_t)(WA * WA) * (size_t)cout * (size_t)cin;
}

void clefi_wino_weights(float *u, const float *weight, int64_t cout, int64_t cin) {
    /* U_p = (G g G^T)[k1][k2] = sum_ab G[k1][a] G[k2][b] g[a][b]: one GEMM
     * u(36, cout*cin) = C(36, 9) weight(cout*cin, 9)^T with C from G in double */
    float c[WA * WA * 9];
    for (int k1 = 0; k1 < WA; k1++)
        for (int k2 = 0; k2 < WA; k2++)
            for (int ab = 0; ab < 9; ab++)
                c[(k1 * WA + k2) * 9 + ab] = (float)(G4[k1][ab / 3] * G4[k2][ab % 3]);
    int64_t plane = cout * cin;
    clefi_sgemm(NULL, 0, 1, WA * WA, plane, 9, 1.0f, c, 9, weight, 9, 0.0f, u, plane);
}

/* Floats of each scratch part, rounded up to 16 (64 bytes). */
static size_t up16(size_t n) { return (n + 15) & ~(size_t)15; }

typedef struct wino_scr {
    float *v, *mo, *col, *tw, *s, *orow, *zero;
} wino_scr;

/* Lay out (base != NULL) or size the scratch of one thread. */
static size_t scratch_parts(int64_t cin, int64_t cout, float *base, wino_scr *p) {
    const size_t pts = WA * WA, n[7] = {
                                    up16(pts * (size_t)cin * WINO_TILES),  /* v */
                                    up16(pts * (size_t)cout * WINO_TILES), /* mo */
                                    up16(WM * WM * COL_LD),                /* col */
                                    up16(pts * WINO_TILES),                /* tw */
                                    up16(WA * WM * WINO_TILES),            /* s */
                                    up16(WM * WINO_TILES),                 /* orow */
                                    up16(WINO_TILES),                      /* zero */
                                };
    float **dst[7] = {&p->v, &p->mo, &p->col, &p->tw, &p->s, &p->orow, &p->zero};
    size_t off = 0;
    for (int i = 0; i < 7; i++) {
        if (base != NULL)
            *dst[i] = base + off;
        off += n[i];
    }
    return off;
}

size_t clefi_wino_scratch(int64_t cin, int64_t cout) {
    wino_scr p;
    return scratch_parts(cin, cout, NULL, &p);
}

typedef struct wino_job {
    float *out;
    const float *x, *u, *bias;
    int64_t cin, cout, h, w, sh, ntx, n_tiles;
    float *scratch;
    size_t scratch_per;
} wino_job;

/* The 1-D transforms of F(4,3) on runs of n tiles (i innermost, so the loops vectorize), in a
 * factored form of the matrices above; d are the input rows, o the output rows. */

/* o[k] = sum_c BT[k][c] d[c], k, c < 6. Restrict parameters (not array elements) so that GCC
 * vectorizes without run-time alias checks. */
static inline void in_1d_rows(float *restrict o0, float *restrict o1, float *restrict o2,
                              float *restrict o3, float *restrict o4, float *restrict o5,
                              const float *restrict d0, const float *restrict d1,
                              const float *restrict d2, const float *restrict d3,
                              const float *restrict d4, const float *restrict d5, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float t1 = d4[i] - 4.0f * d2[i], t2 = d3[i] - 4.0f * d1[i];
        float t3 = d4[i] - d2[i], t4 = 2.0f * (d3[i] - d1[i]);
        o0[i] = 4.0f * d0[i] - 5.0f * d2[i] + d4[i];
        o1[i] = t1 + t2;
        o2[i] = t1 - t2;
        o3[i] = t3 + t4;
        o4[i] = t3 - t4;
        o5[i] = 4.0f * d1[i] - 5.0f * d3[i] + d5[i];
    }
}

static inline void in_1d(float *const o[6], const float *const d[6], int64_t n) {
    in_1d_rows(o[0], o[1], o[2], o[3], o[4], o[5], d[0], d[1], d[2], d[3], d[4], d[5], n);
}

/* o[k] = bias + sum_c AT[k][c] d[c], k < 4, c < 6 */
static inline void out_1d_rows(float *restrict o0, float *restrict o1, float *restrict o2,
                               float *restrict o3, const float *restrict d0,
                               const float *restrict d1, const float *restrict d2,
                               const float *restrict d3, const float *restrict d4,
                               const float *restrict d5, int64_t n, float bias) {
    for (int64_t i = 0; i < n; i++) {
        float a = d1[i] + d2[i], b = d1[i] - d2[i], c = d3[i] + d4[i], e = d3[i] - d4[i];
        o0[i] = bias + (d0[i] + a + c);
        o1[i] = bias + (b + 2.0f * e);
        o2[i] = bias + (a + 4.0f * c);
        o3[i] = bias + (b + 8.0f * e + d5[i]);
    }
}

static inline void out_1d(float *const o[4], const float *const d[6], int64_t n, float bias) {
    out_1d_rows(o[0], o[1], o[2], o[3], d[0], d[1], d[2], d[3], d[4], d[5], n, bias);
}

/* col[q][i] = p[i * WM + q] (q < WM, i < n; rows COL_LD apart) */
static inline void deinterleave(float *restrict col, const float *restrict p, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        for (int64_t q = 0; q < WM; q++)
            col[q * COL_LD + i] = p[i * WM + q];
}

/* p[i * WM + q] = col[q][i], the inverse */
static inline void interleave(float *restrict p, const float *restrict col, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        for (int64_t q = 0; q < WM; q++)
            p[i * WM + q] = col[q * COL_LD + i];
}

/* A run of n tiles of tile row ty from tile column tx0, at offset off in its block. */
typedef struct seg {
    int64_t ty, tx0, n, off;
} seg;

/* The next run of the block's tiles [*t, t1) (block start t0) within one tile row. */
static int next_seg(const wino_job *j, int64_t t1, int64_t *t, int64_t t0, seg *s) {
    if (*t >= t1)
        return 0;
    int64_t ty = *t / j->ntx, tx0 = *t % j->ntx, end = (ty + 1) * j->ntx;
    end = end < t1 ? end : t1;
    *s = (seg){ty, tx0, end - *t, *t - t0};
    *t = end;
    return 1;
}

/* V[p][ci][off + i] = (B^T d B)_p of the block's tiles. */
CLEFI_SIMD_CLONES static void input_transform(const wino_job *j, int64_t t0, int64_t t1,
                                              const wino_scr *sc) {
    for (int64_t ci = 0; ci < j->cin; ci++) {
        const float *xc = j->x + (size_t)ci * (size_t)(j->h * j->w);
        int64_t tt = t0;
        seg s;
        while (next_seg(j, t1, &tt, t0, &s)) {
            /* tile i reads columns c0 + 4i + [0, 6): col[q][i] = x[iy][c0 + 4i + q], i <= n;
             * [i_lo, i_hi) have all four columns inside the image */
            int64_t c0 = s.tx0 * WM - 1, i_lo = c0 < 0 ? 1 : 0;
            int64_t i_hi = (j->w - c0) / WM < s.n + 1 ? (j->w - c0) / WM : s.n + 1;
            const float *rows[WA]; /* tw[r] or zeros, per input row r of the tiles */
            for (int64_t r = 0; r < WA; r++) {
                int64_t iy = s.ty * WM - 1 + r;
                float *tw = sc->tw + (size_t)(r * WA) * WINO_TILES;
                rows[r] = tw;
                if (iy < 0 || iy >= j->h) {
                    rows[r] = sc->zero;
                    continue;
                }
                const float *xr = xc + iy * j->w;
                if (i_hi > i_lo)
                    deinterleave(sc->col + i_lo, xr + c0 + WM * i_lo, i_hi - i_lo);
                /* the edges [0, i_lo) and [max(i_hi, i_lo), n], zero outside the image */
                const int64_t edge[2][2] = {{0, i_lo}, {i_hi > i_lo ? i_hi : i_lo, s.n + 1}};
                for (int e = 0; e < 2; e++)
                    for (int64_t i = edge[e][0]; i < edge[e][1]; i++)
                        for (int64_t q = 0; q < WM; q++) {
                            int64_t c = c0 + WM * i + q;
                            sc->col[q * COL_LD + i] = c >= 0 && c < j->w ? xr[c] : 0.0f;
                        }
                /* along W: tw[r][k][i] = sum_c BT[k][c] x[iy][c0 + 4i + c] */
                const float *d[WA] = {
                    sc->col,     sc->col + COL_LD,    sc->col + 2 * COL_LD, sc->col + 3 * COL_LD,
                    sc->col + 1, sc->col + COL_LD + 1};
                float *o[WA];
                for (int64_t k = 0; k < WA; k++)
                    o[k] = tw + (size_t)k * WINO_TILES;
                in_1d(o, d, s.n);
            }
            /* along H: V[k1][k2] = sum_r BT[k1][r] tw[r][k2] */
            for (int64_t k2 = 0; k2 < WA; k2++) {
                const float *d[WA];
                float *o[WA];
                for (int64_t r = 0; r < WA; r++)
                    d[r] = rows[r] == sc->zero ? sc->zero : rows[r] + (size_t)k2 * WINO_TILES;
                for (int64_t k1 = 0; k1 < WA; k1++)
                    o[k1] = sc->v +
                            ((size_t)(k1 * WA + k2) * (size_t)j->cin + (size_t)ci) * WINO_TILES +
                            (size_t)s.off;
                in_1d(o, d, s.n);
            }
        }
    }
}

/* out[co][tile] = A^T M A + bias for the block's tiles, cut at the image border; with row
 * stride 2 only the even rows, stored as rows oy / 2. */
CLEFI_SIMD_CLONES static void output_transform(const wino_job *j, int64_t t0, int64_t t1,
                                               const wino_scr *sc) {
    size_t ld_p = (size_t)j->cout * WINO_TILES; /* floats between transform points in M */
    for (int64_t co = 0; co < j->cout; co++) {
        float bias = j->bias != NULL ? j->bias[co] : 0.0f;
        float *yc = j->out + (size_t)co * (size_t)(((j->h - 1) / j->sh + 1) * j->w);
        const float *mc = sc->mo + (size_t)co * WINO_TILES;
        int64_t tt = t0;
        seg s;
        while (next_seg(j, t1, &tt, t0, &s)) {
            int64_t x0 = s.tx0 * WM, nx = s.n * WM < j->w - x0 ? s.n * WM : j->w - x0;
            /* along W: s[k1][oj][i] = sum_k2 AT[oj][k2] M[k1][k2][i] */
            for (int64_t k1 = 0; k1 < WA; k1++) {
                const float *d[WA];
                float *o[WM];
                for (int64_t k2 = 0; k2 < WA; k2++)
                    d[k2] = mc + (size_t)(k1 * WA + k2) * ld_p + (size_t)s.off;
                for (int64_t oj = 0; oj < WM; oj++)
                    o[oj] = sc->s + (size_t)(k1 * WM + oj) * WINO_TILES;
                out_1d(o, d, s.n, 0.0f);
            }
            /* along H: col[oi][oj][i] = bias + sum_k1 AT[oi][k1] s[k1][oj][i] */
            for (int64_t oj = 0; oj < WM; oj++) {
                const float *d[WA];
                float *o[WM];
                for (int64_t k1 = 0; k1 < WA; k1++)
                    d[k1] = sc->s + (size_t)(k1 * WM + oj) * WINO_TILES;
                for (int64_t oi = 0; oi < WM; oi++)
                    o[oi] = sc->col + (size_t)(oi * WM + oj) * COL_LD;
                out_1d(o, d, s.n, bias);
            }
            for (int64_t oi = 0; oi < WM && s.ty * WM + oi < j->h; oi++) {
                int64_t oy = s.ty * WM + oi; /* row of the stride-1 output */
                if (oy % j->sh != 0)
                    continue;
                const float *c = sc->col + (size_t)(oi * WM) * COL_LD;
                float *yr = yc + oy / j->sh * j->w + x0;
                if (nx == s.n * WM) {
                    interleave(yr, c, s.n);
                } else { /* the last tile sticks out of the image */
                    interleave(sc->orow, c, s.n);
                    memcpy(yr, sc->orow, (size_t)nx * sizeof *yc);
                }
            }
        }
    }
}

static void wino_range(void *arg, int64_t begin, int64_t end, int32_t tid) {
    const wino_job *j = arg;
    wino_scr sc;
    scratch_parts(j->cin, j->cout, j->scratch + (size_t)tid * j->scratch_per, &sc);
    memset(sc.zero, 0, WINO_TILES * sizeof *sc.zero);
    size_t plane = (size_t)j->cout * (size_t)j->cin;
    for (int64_t blk = begin; blk < end; blk++) {
        int64_t t0 = blk * WINO_TILES,
                t1 = t0 + WINO_TILES < j->n_tiles ? t0 + WINO_TILES : j->n_tiles;
        if (t1 - t0 < WINO_TILES) /* the GEMMs run over all WINO_TILES columns */
            memset(sc.v, 0, WA * WA * (size_t)j->cin * WINO_TILES * sizeof *sc.v);
        input_transform(j, t0, t1, &sc);
        /* serial GEMMs inside a worker: the pool already splits the tiles */
        for (size_t p = 0; p < WA * WA; p++)
            clefi_sgemm_small(sc.mo + p * (size_t)j->cout * WINO_TILES, WINO_TILES,
                              j->u + p * plane, sc.v + p * (size_t)j->cin * WINO_TILES, WINO_TILES,
                              j->cout, j->cin, WINO_TILES);
        output_transform(j, t0, t1, &sc);
    }
}

void clefi_wino_forward(clefi_pool *pool, float *out, const float *inp, const float *u,
                        const float *bias, int64_t cin, int64_t cout, int64_t h, int64_t w,
                        int64_t sh, float *scratch, size_t scratch_per) {
    wino_job j = {.out = out,
                  .x = inp,
                  .u = u,
                  .bias = bias,
                  .cin = cin,
                  .cout = cout,
                  .h = h,
                  .w = w,
                  .sh = sh,
                  .ntx = (w + WM - 1) / WM,
                  .scratch = scratch,
                  .scratch_per = scratch_per};
    j.n_tiles = (h + WM - 1) / WM * j.ntx;
    clefi_pool_for(pool, (j.n_tiles + WINO_TILES - 1) / WINO_TILES, wino_range, &j);
}

/* ---- F(4, 3) along H only: kernel (3, 1), stride 1, padding (1, 0) ----
 * One block is one tile row (4 output rows, all columns): V_k[ci][x] = (B^T d)_k of the six
 * input rows, M_k = U_k V_k (6 GEMMs [cout x cin] x [cin x w]), out rows = A^T M. The rows are
 * contiguous, so neither transform needs a gather. */

size_t clefi_wino_h_weights_size(int64_t cout, int64_t cin, int64_t kw) {
    return (size_t)WA * (size_t)cout * (size_t)cin * (size_t)kw;
}

void clefi_wino_h_weights(float *u, const float *weight, int64_t cout, int64_t cin, int64_t kw) {
    size_t plane = (size_t)cout * (size_t)cin * (size_t)kw;
    for (int64_t co = 0; co < cout; co++)
        for (int64_t ci = 0; ci < cin; ci++)
            for (int64_t kx = 0; kx < kw; kx++) {
                const float *g = weight + ((co * cin + ci) * 3) * kw + kx; /* g[ky * kw] */
                size_t f = (size_t)((co * cin + ci) * kw + kx);
                for (int k = 0; k < WA; k++)
                    u[(size_t)k * plane + f] =
                        (float)(G4[k][0] * g[0] + G4[k][1] * g[kw] + G4[k][2] * g[2 * kw]);
            }
}

typedef struct wino_h_scr {
    float *v, *mo, *zero, *sink;
} wino_h_scr;

static size_t h_scratch_parts(int64_t cin, int64_t cout, int64_t w, float *base, wino_h_scr *p) {
    const size_t n[4] = {up16(WA * (size_t)cin * (size_t)w), up16(WA * (size_t)cout * (size_t)w),
                         up16((size_t)w), up16((size_t)w)};
    float **dst[4] = {&p->v, &p->mo, &p->zero, &p->sink};
    size_t off = 0;
    for (int i = 0; i < 4; i++) {
        if (base != NULL)
            *dst[i] = base + off;
        off += n[i];
    }
    return off;
}

size_t clefi_wino_h_scratch(int64_t cin, int64_t cout, int64_t w) {
    wino_h_scr p;
    return h_scratch_parts(cin, cout, w, NULL, &p);
}

/* V[k][ci][x] = sum_r BT[k][r] x[ci][4 ty - 1 + r][x] */
CLEFI_SIMD_CLONES static void h_input_transform(const wino_job *j, int64_t ty,
                                                const wino_h_scr *sc) {
    size_t ld = (size_t)j->cin * (size_t)j->w;
    for (int64_t ci = 0; ci < j->cin; ci++) {
        const float *xc = j->x + (size_t)ci * (size_t)(j->h * j->w), *d[WA];
        float *o[WA];
        for (int64_t r = 0; r < WA; r++) {
            int64_t iy = ty * WM - 1 + r;
            d[r] = iy >= 0 && iy < j->h ? xc + iy * j->w : sc->zero;
            o[r] = sc->v + (size_t)r * ld + (size_t)(ci * j->w);
        }
        in_1d(o, d, j->w);
    }
}

/* out[co][4 ty + oi][x] = bias + sum_k AT[oi][k] M[k][co][x]; rows past h go to a sink */
CLEFI_SIMD_CLONES static void h_output_transform(const wino_job *j, int64_t ty,
                                                 const wino_h_scr *sc) {
    size_t ld = (size_t)j->cout * (size_t)j->w;
    for (int64_t co = 0; co < j->cout; co++) {
        const float *d[WA];
        float *o[WM];
        for (int64_t k = 0; k < WA; k++)
            d[k] = sc->mo + (size_t)k * ld + (size_t)(co * j->w);
        for (int64_t oi = 0; oi < WM; oi++) {
            int64_t oy = ty * WM + oi;
            o[oi] = oy < j->h ? j->out + (size_t)((co * j->h + oy) * j->w) : sc->sink;
        }
        out_1d(o, d, j->w, j->bias != NULL ? j->bias[co] : 0.0f);
    }
}

static void wino_h_range(void *arg, int64_t begin, int64_t end, int32_t tid) {
    const wino_job *j = arg;
    wino_h_scr sc;
    h_scratch_parts(j->cin, j->cout, j->w, j->scratch + (size_t)tid * j->scratch_per, &sc);
    memset(sc.zero, 0, (size_t)j->w * sizeof *sc.zero);
    size_t plane = (size_t)j->cout * (size_t)j->cin;
    for (int64_t ty = begin; ty < end; ty++) {
        h_input_transform(j, ty, &sc);
        for (size_t k = 0; k < WA; k++)
            clefi_sgemm_small(sc.mo + k * (size_t)j->cout * (size_t)j->w, (size_t)j->w,
                              j->u + k * plane, sc.v + k * (size_t)j->cin * (size_t)j->w,
                              (size_t)j->w, j->cout, j->cin, j->w);
        h_output_transform(j, ty, &sc);
    }
}

void clefi_wino_h_forward(clefi_pool *pool, float *out, const float *inp, const float *u,
                          const float *bias, int64_t cin, int64_t cout, int64_t h, int64_t w,
                          float *scratch, size_t scratch_per) {
    wino_job j = {.out = out,
                  .x = inp,
                  .u = u,
                  .bias = bias,
                  .cin = cin,
                  .cout = cout,
                  .h = h,
                  .w = w,
                  .sh = 1,
                  .scratch = scratch,
                  .scratch_per = scratch_per};
    clefi_pool_for(pool, (h + WM - 1) / WM, wino_h_range, &j);
}
