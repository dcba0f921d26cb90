/*
 * nn.h — libclef module 'nn', interface header: neural-network core: layers as forward/backward
 * pairs over flat float32 buffers (OpenBLAS sgemm), losses, vector quantizer, AdamW, weights.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * The module's interface header (docs/ARCHITECTURE.md section 2): modules that declare nn among
 * their DEPS include it as "nn.h"; nn_int.h adds what only lib/nn itself uses (the safetensors
 * reader's internals, element types). The module's public API lives in include/clef.h.
 *
 * Conventions of the layer API (in the manner of llm.c train_gpt2.c):
 * - Every layer is a pair clefi_<op>_forward / clefi_<op>_backward. Each array argument carries
 *   its shape in a comment; all tensors are dense, row-major float32 (NCHW for images).
 * - Backward ACCUMULATES (+=) into every gradient it writes, so a tensor used twice (residuals,
 *   tied weights) and gradient accumulation over micro-batches need no extra code. Zero the
 *   gradient buffer once per optimizer step. A NULL gradient pointer skips that gradient.
 * - Parameters, gradients and AdamW moments of a model live in flat buffers laid out by one
 *   X-macro tensor list per model (clefi_layout, below in the weights section).
 * - pool may be NULL (serial). Work is split by a static partition of the OUTPUT (blocks of a
 *   GEMM result, channels of a weight gradient, heads of attention): no reduction is ever split
 *   across threads, so every result is bit-identical for any n_threads (test_nn_train,
 *   test_nn_threads).
 * - GEMMs: OpenBLAS is used single-threaded (clefi_nn_blas_init) and our pool shares out fixed
 *   blocks of each GEMM's output (clefi_sgemm). See docs/NN.md.
 */
#ifndef CLEF_NN_H
#define CLEF_NN_H

#include "core_int.h"

#include <string.h>

/* ============================================================================================ */
/* Layers, losses, optimizer: gemm.c linear.c act.c norm.c conv.c attention.c loss.c vq.c */
/* adamw.c block.c (docs/NN.md)                                                                 */
/* ============================================================================================ */

/* ---- GEMM and threading (gemm.c) ---- */

/** Row-major C(M,N) = alpha * op(A) * op(B) + beta * C, op = transpose when trans_* != 0.
 *  op(A) is (M,K) with leading dimension lda, op(B) is (K,N) with ldb. C is cut into fixed
 *  blocks of 256 rows (or columns when N > M), one sgemm call each, shared among the pool's
 *  threads; K is never split. The cut depends on the shape only: bit-identical results for
 *  any thread count. */
CLEFI_HIDDEN void clefi_sgemm(clefi_pool *pool, int trans_a, int trans_b, int64_t M, int64_t N,
                              int64_t K, float alpha, const float *A, int64_t lda, const float *B,
                              int64_t ldb, float beta, float *C, int64_t ldc);
/** The block clefi_sgemm cuts C into (rows, or columns when N > M). */
#define CLEFI_GEMM_BLOCK 256
/** One serial cblas_sgemm call with the arguments of clefi_sgemm: what clefi_sgemm makes per
 *  block, for callers that produce a block's operand themselves (conv2d's forward). */
CLEFI_HIDDEN void clefi_sgemm_call(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                   float alpha, const float *A, int64_t lda, const float *B,
                                   int64_t ldb, float beta, float *C, int64_t ldc);
/** The arguments of one clefi_sgemm call. */
typedef struct clefi_gemm_args {
    int trans_a, trans_b;
    int64_t M, N, K;
    float alpha;
    const float *A;
    int64_t lda;
    const float *B;
    int64_t ldb;
    float beta;
    float *C;
    int64_t ldc;
} clefi_gemm_args;
/** Two independent GEMMs (neither reads the other's output) as one pool job: the same
 *  shape-fixed blocks and sgemm calls as two clefi_sgemm calls, so the same bits, but the
 *  threads share all the blocks, grouped into items of about equal cost (the pool hands out
 *  equal counts). For pairs whose own block counts leave threads idle: a convolution's
 *  weight-gradient GEMM (K the pixels, 1-5 blocks) beside its input-gradient GEMM. */
CLEFI_HIDDEN void clefi_sgemm2(clefi_pool *pool, const clefi_gemm_args *a,
                               const clefi_gemm_args *b);

/** Work that can run beside a GEMM: n_blocks independent blocks of about block_cost
 *  multiply-adds each; fn(arg, b, e, tid) runs blocks [b, e) on pool thread tid. */
typedef struct clefi_side_work {
    int64_t n_blocks;
    double block_cost;
    clefi_range_fn fn;
    void *arg;
} clefi_side_work;
/** Two kinds of work in one pool job: the threads take blocks (the costlier kind first) from a
 *  shared counter until none is left. Which thread runs a block depends on timing; what a
 *  block computes must not (fn gets the thread's id for per-thread scratch only). */
CLEFI_HIDDEN void clefi_pool_pair(clefi_pool *pool, const clefi_side_work *a,
                                  const clefi_side_work *b);
/** clefi_sgemm(a) and the side work w in one pool job, as clefi_sgemm2 (which is this with a
 *  second GEMM's blocks as the side work): the GEMM's calls and bits are clefi_sgemm's. */
CLEFI_HIDDEN void clefi_sgemm_beside(clefi_pool *pool, const clefi_gemm_args *a,
                                     const clefi_side_work *w);

/** Serial c(M, N) = u(M, K) v(K, N), row-major, u dense (lda = K), for the small GEMMs of
 *  inference kernels (M, K up to a few hundred): with N a multiple of 64 on an x86-64 CPU with
 *  AVX-512F, a register-blocked kernel that avoids OpenBLAS's packing (docs/NN.md); otherwise
 *  cblas_sgemm. */
CLEFI_HIDDEN void clefi_sgemm_small(float *c, size_t ldc, const float *u, const float *v,
                                    size_t ldv, int64_t M, int64_t K, int64_t N);
/** x(n) *= s. */
CLEFI_HIDDEN void clefi_scale(clefi_pool *pool, float *x, int64_t n, float s);
/** y(n) += x(n). */
CLEFI_HIDDEN void clefi_add_inplace(clefi_pool *pool, float *y, const float *x, int64_t n);

/** Fast expf for softmax-like kernels: max relative error about 2e-7 (Cephes expf polynomial),
 *  exactly 0 below -87.3 (and for -INFINITY), NaN for NaN. Selects instead of branches and a memcpy
 * bit cast, so GCC vectorizes loops that call it. */
static inline float clefi_expf(float x) {
    float xc = x > -87.3f ? x : -87.3f; /* NaN -> -87.3: no NaN reaches the int conversion */
    xc = xc > 88.3f ? 88.3f : xc;
    /* n = round(x log2 e) by the 1.5 * 2^23 trick: no branch, no libm call */
    float n = (xc * 1.44269504088896341f + 12582912.f) - 12582912.f;
    /* Cody-Waite: ln 2 = 0.693359375 - 2.12194440e-4 (Cephes expf.c C1, C2) */
    float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23; /* n + 127 in [1, 254] */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return x < -87.3f ? 0.f : x == x ? p * scale : x; /* NaN in, NaN out */
}

/* CLEFI_SIMD_CLONES (hot loops compiled for AVX-512F, AVX2 and baseline) is core_int.h's. */

/* The counter-based RNG (clefi_rng_*) is lib/core's (core_int.h). */

/* ---- linear, embedding, residual (linear.c) ---- */

/** out(N,OC) = inp(N,C) @ weight(OC,C)^T + bias(OC); bias may be NULL (torch nn.Linear). */
CLEFI_HIDDEN void clefi_linear_forward(clefi_pool *pool, float *out, const float *inp,
                                       const float *weight, const float *bias, int64_t N, int64_t C,
                                       int64_t OC);
/** dinp(N,C) += dout @ weight; dweight(OC,C) += dout^T @ inp; dbias(OC) += sum_n dout.
 *  dinp and dbias may be NULL. */
CLEFI_HIDDEN void clefi_linear_backward(clefi_pool *pool, float *dinp, float *dweight, float *dbias,
                                        const float *dout, const float *inp, const float *weight,
                                        int64_t N, int64_t C, int64_t OC);

/* ---- bfloat16 inference linear layers for frozen weights (bf16.c) ---- */

/** Whether this CPU runs the BF16 path (AVX-512F and AVX-512 BF16, x86-64 GCC builds). */
CLEFI_HIDDEN int clefi_bf16_available(void);
/** 32-bit words of a packed weight(OC,C) (clefi_bf16_pack()). */
CLEFI_HIDDEN size_t clefi_bf16_packed_words(int64_t C, int64_t OC);
/** 32-bit words of the activation scratch for N rows of C (clefi_linear_forward_bf16()). */
CLEFI_HIDDEN size_t clefi_bf16_act_words(int64_t N, int64_t C);
/** weight(OC,C) rounded to bfloat16 (nearest even) into panels of 32 output columns of k-pairs. */
CLEFI_HIDDEN void clefi_bf16_pack(uint32_t *dst, const float *weight, int64_t C, int64_t OC);
/** out(N,OC) = bf16(inp(N,C)) @ packed^T + bias(OC) (bias may be NULL), float32 sums over
 *  k-pairs in order; act: clefi_bf16_act_words(N, C) words of scratch. Returns 1, or 0 (nothing
 *  done) where clefi_bf16_available() is false. Bit-identical for any thread count. */
CLEFI_HIDDEN int clefi_linear_forward_bf16(clefi_pool *pool, float *out, const float *inp,
                                           const uint32_t *packed, const float *bias, int64_t N,
                                           int64_t C, int64_t OC, uint32_t *act);

/** Floats of scratch for clefi_attention_infer() over T tokens of C columns, n_threads pool
 *  threads. */
CLEFI_HIDDEN size_t clefi_attention_infer_floats(int64_t T, int64_t C, int32_t n_threads);
/** Self-attention of one unpadded sequence for inference, float32: out(T,C) from qkv(T,3C)
 *  (q | k | v, NH heads of C/NH columns each), as clefi_attention_forward with B = 1, no mask,
 *  no log-sum-exp. AVX-512 kernels over K^T and V packed once per head when the CPU has
 *  AVX-512F and FMA and the head width is 32, 48 or 64 (and clefi_attn_plain is 0); otherwise,
 *  and for a last block of fewer than 64 queries, two OpenBLAS GEMMs per block of queries
 *  (attn_infer.c); the same bits with OpenBLAS's SkylakeX kernel. scratch:
 *  clefi_attention_infer_floats(T, C, clefi_pool_size(pool)) floats. Bit-identical for any
 *  thread count. */
CLEFI_HIDDEN void clefi_attention_infer(clefi_pool *pool, float *out, const float *qkv, int64_t T,
                                        int64_t C, int64_t NH, float *scratch);

/** Words of scratch per pool thread of clefi_attention_forward_bf16(). */
CLEFI_HIDDEN size_t clefi_bf16_attn_words(int64_t T, int64_t C, int64_t NH);
/** Self-attention of one unpadded sequence for inference: out(T,C) from qkv(T,3C) (q | k | v,
 *  NH heads of C/NH columns each), as clefi_attention_forward with B = 1, no mask; Q K^T and
 *  P V on bfloat16 inputs with float32 sums, the softmax in float32. scratch: pool size x
 *  clefi_bf16_attn_words() words. Returns 1, or 0 (nothing done) where clefi_bf16_available()
 *  is false. Bit-identical for any thread count (threads take whole heads). */
CLEFI_HIDDEN int clefi_attention_forward_bf16(clefi_pool *pool, float *out, const float *qkv,
                                              int64_t T, int64_t C, int64_t NH, uint32_t *scratch);

/** out(N,C) = table(V,C)[ids(N)]; CLEF_ERR_RANGE if an id is outside [0, V). */
CLEFI_HIDDEN clef_status clefi_embedding_forward(float *out, const int32_t *ids, const float *table,
                                                 int64_t N, int64_t C, int64_t V);
/** dtable(V,C)[ids[i]] += dout(N,C)[i], in order of i (deterministic). */
CLEFI_HIDDEN void clefi_embedding_backward(float *dtable, const float *dout, const int32_t *ids,
                                           int64_t N, int64_t C);

/** out(n) = a(n) + b(n) (out may alias a or b). */
CLEFI_HIDDEN void clefi_residual_forward(clefi_pool *pool, float *out, const float *a,
                                         const float *b, int64_t n);
/** da(n) += dout; db(n) += dout (either may be NULL). */
CLEFI_HIDDEN void clefi_residual_backward(clefi_pool *pool, float *da, float *db, const float *dout,
                                          int64_t n);

/* ---- activations, softmax, dropout (act.c) ---- */

/** Elementwise activations. torch.nn.GELU() defaults to the exact erf form (approximate='none');
 *  GELU_TANH is torch's approximate='tanh' (GPT-2, llm.c). LEAKY_RELU uses slope. */
typedef enum clefi_act {
    CLEFI_ACT_RELU = 0,
    CLEFI_ACT_LEAKY_RELU = 1,
    CLEFI_ACT_GELU_ERF = 2,
    CLEFI_ACT_GELU_TANH = 3,
    CLEFI_ACT_SILU = 4
} clefi_act;

/** out(n) = act(inp(n)); out may alias inp only if backward is not needed. */
CLEFI_HIDDEN void clefi_act_forward(clefi_pool *pool, clefi_act act, float slope, float *out,
                                    const float *inp, int64_t n);
/** dinp(n) += act'(inp) * dout(n). */
CLEFI_HIDDEN void clefi_act_backward(clefi_pool *pool, clefi_act act, float slope, float *dinp,
                                     const float *inp, const float *dout, int64_t n);

/** Row softmax: out(N,C) = softmax(inp(N,C)) over C. */
CLEFI_HIDDEN void clefi_softmax_forward(clefi_pool *pool, float *out, const float *inp, int64_t N,
                                        int64_t C);
/** dinp(N,C) += out * (dout - sum_c dout*out). */
CLEFI_HIDDEN void clefi_softmax_backward(clefi_pool *pool, float *dinp, const float *out,
                                         const float *dout, int64_t N, int64_t C);

/** Inverted dropout: out(n) = inp * keep_i / (1 - p), keep_i = (uniform(seed, offset + i) >= p).
 *  No mask is stored: backward redraws it from (seed, offset). p in [0, 1); out may alias inp. */
CLEFI_HIDDEN void clefi_dropout_forward(clefi_pool *pool, float *out, const float *inp, int64_t n,
                                        float p, uint64_t seed, uint64_t offset);
/** dinp(n) += dout * keep_i / (1 - p). */
CLEFI_HIDDEN void clefi_dropout_backward(clefi_pool *pool, float *dinp, const float *dout,
                                         int64_t n, float p, uint64_t seed, uint64_t offset);

/* ---- normalization (norm.c) ---- */

/** LayerNorm over the last dim (torch nn.LayerNorm(C, eps)): out(N,C); saves mean(N), rstd(N). */
CLEFI_HIDDEN void clefi_layernorm_forward(clefi_pool *pool, float *out, float *mean, float *rstd,
                                          const float *inp, const float *weight, const float *bias,
                                          int64_t N, int64_t C, float eps);
/** The same LayerNorm for inference, its sums in 8 double lanes (vectorized; other rounding
 *  than clefi_layernorm_forward, within float precision): out(N,C), weight and bias required. */
CLEFI_HIDDEN void clefi_layernorm_infer(clefi_pool *pool, float *out, const float *inp,
                                        const float *weight, const float *bias, int64_t N,
                                        int64_t C, float eps);
/** dinp(N,C) (may be NULL), dweight(C), dbias(C) += ... */
CLEFI_HIDDEN void clefi_layernorm_backward(clefi_pool *pool, float *dinp, float *dweight,
                                           float *dbias, const float *dout, const float *inp,
                                           const float *weight, const float *mean,
                                           const float *rstd, int64_t N, int64_t C);

/** GroupNorm (torch nn.GroupNorm(G, C, eps)): inp/out (B,C,HW), G divides C; saves
 *  mean(B,G), rstd(B,G); weight, bias (C). */
CLEFI_HIDDEN void clefi_groupnorm_forward(clefi_pool *pool, float *out, float *mean, float *rstd,
                                          const float *inp, const float *weight, const float *bias,
                                          int64_t B, int64_t C, int64_t HW, int64_t G, float eps);
CLEFI_HIDDEN void clefi_groupnorm_backward(clefi_pool *pool, float *dinp, float *dweight,
                                           float *dbias, const float *dout, const float *inp,
                                           const float *weight, const float *mean,
                                           const float *rstd, int64_t B, int64_t C, int64_t HW,
                                           int64_t G);

/** Inference SiLU(GroupNorm(inp)) of one image in one pass (torch nn.GroupNorm(G, C, eps) then
 *  nn.SiLU): inp/out (C, HW), weight, bias (C) (either may be NULL). Saves no statistics. The
 *  statistics are two-pass, summed in float over chunks of 256 and in double across chunks,
 *  so the loops vectorize; SiLU uses clefi_expf. Split over the pool by group. */
CLEFI_HIDDEN void clefi_groupnorm_silu_forward(clefi_pool *pool, float *out, const float *inp,
                                               const float *weight, const float *bias, int64_t C,
                                               int64_t HW, int64_t G, float eps);

/* ---- convolutions and upsampling (conv.c) ---- */

/** Geometry of a 2-D convolution (torch nn.Conv2d, dilation 1, groups 1, zero padding):
 *  inp (B,C,H,W), weight (OC,C,KH,KW), out (B,OC,OH,OW), OH = (H + 2*PH - KH)/SH + 1. */
typedef struct clefi_conv2d {
    int64_t B, C, H, W, OC, KH, KW, SH, SW, PH, PW, OH, OW;
} clefi_conv2d;

/** Square kernel K, same stride and padding on both axes. Fills s and derives OH, OW;
 *  CLEF_ERR_SHAPE if the kernel does not fit or a size is < 1. */
CLEFI_HIDDEN clef_status clefi_conv2d_init(clefi_conv2d *s, int64_t B, int64_t C, int64_t H,
                                           int64_t W, int64_t OC, int64_t K, int64_t stride,
                                           int64_t pad);
/** Rectangular kernel (KH,KW), strides (SH,SW) and paddings (PH,PW). */
CLEFI_HIDDEN clef_status clefi_conv2d_init_rect(clefi_conv2d *s, int64_t B, int64_t C, int64_t H,
                                                int64_t W, int64_t OC, int64_t KH, int64_t KW,
                                                int64_t SH, int64_t SW, int64_t PH, int64_t PW);
/** Floats of the im2col scratch that forward and backward need: 2*C*KH*KW*OH*OW (backward
 *  keeps the input's columns and the input gradient's side by side; forward uses half) plus
 *  OC*(OH*OW + C*KH*KW) for the AVX-512 weight-gradient kernel's transposes. */
CLEFI_HIDDEN size_t clefi_conv2d_scratch(const clefi_conv2d *s);
/** out(B,OC,OH,OW) = conv(inp(B,C,H,W), weight(OC,C,KH,KW)) + bias(OC) (bias may be NULL);
 *  col: scratch of clefi_conv2d_scratch floats. im2col + one GEMM per image. */
CLEFI_HIDDEN void clefi_conv2d_forward(clefi_pool *pool, float *out, const float *inp,
                                       const float *weight, const float *bias,
                                       const clefi_conv2d *s, float *col);
/** dinp(B,C,H,W) (may be NULL), dweight(OC,C,KH,KW), dbias(OC) (may be NULL) += ... */
CLEFI_HIDDEN void clefi_conv2d_backward(clefi_pool *pool, float *dinp, float *dweight, float *dbias,
                                        const float *dout, const float *inp, const float *weight,
                                        const clefi_conv2d *s, float *col);

/** Transposed convolution (torch nn.ConvTranspose2d(Cin, Cout, K, stride, pad, output_padding)):
 *  inp (B,Cin,H,W), weight (Cin,Cout,K,K), bias (Cout), out (B,Cout,OH,OW) with
 *  OH = (H-1)*stride - 2*pad + K + output_padding. It is the adjoint of the conv2d described by
 *  s (s->C = Cout, s->H = OH, s->OC = Cin, s->OH = H), which this fills. */
CLEFI_HIDDEN clef_status clefi_conv_transpose2d_init(clefi_conv2d *s, int64_t B, int64_t Cin,
                                                     int64_t H, int64_t W, int64_t Cout, int64_t K,
                                                     int64_t stride, int64_t pad,
                                                     int64_t output_padding);
/** out(B,Cout,OH,OW) = conv_transpose(inp(B,Cin,H,W), weight(Cin,Cout,K,K)) + bias(Cout). */
CLEFI_HIDDEN void clefi_conv_transpose2d_forward(clefi_pool *pool, float *out, const float *inp,
                                                 const float *weight, const float *bias,
                                                 const clefi_conv2d *s, float *col);
/** dinp(B,Cin,H,W) (may be NULL), dweight(Cin,Cout,K,K), dbias(Cout) (may be NULL) += ... */
CLEFI_HIDDEN void clefi_conv_transpose2d_backward(clefi_pool *pool, float *dinp, float *dweight,
                                                  float *dbias, const float *dout, const float *inp,
                                                  const float *weight, const clefi_conv2d *s,
                                                  float *col);

/** Winograd F(4x4, 3x3) (Lavin & Gray, CVPR 2016; winograd.c), for inference: the 3x3,
 *  padding-1 convolution out(cout,ho,w) = conv(inp(cin,h,w)) + bias with stride (sh, 1),
 *  sh = 1 or 2, ho = (h - 1) / sh + 1 (torch Conv2d(cin, cout, 3, stride=(sh, 1), padding=1);
 *  bias may be NULL) of one image, as 36 GEMMs [cout x cin] x [cin x 64 tiles] per block of
 *  64 tiles of 4 x 4 stride-1 outputs: 4x (sh = 1) or 2x (sh = 2: the even rows) fewer
 *  multiplies than direct convolution, at a few times its float32 rounding error
 *  (docs/NN.md). Blocks are split over the pool: bit-identical results for any thread count. */
/** Floats of the transformed weights: 36 * cout * cin. */
CLEFI_HIDDEN size_t clefi_wino_weights_size(int64_t cout, int64_t cin);
/** u(36, cout, cin) = G w G^T of weight(cout, cin, 3, 3) (one GEMM). */
CLEFI_HIDDEN void clefi_wino_weights(float *u, const float *weight, int64_t cout, int64_t cin);
/** Scratch floats per pool thread. */
CLEFI_HIDDEN size_t clefi_wino_scratch(int64_t cin, int64_t cout);
/** scratch: pool size * scratch_per floats, scratch_per >= clefi_wino_scratch(cin, cout). */
CLEFI_HIDDEN void clefi_wino_forward(clefi_pool *pool, float *out, const float *inp, const float *u,
                                     const float *bias, int64_t cin, int64_t cout, int64_t h,
                                     int64_t w, int64_t sh, float *scratch, size_t scratch_per);

/** F(4, 3) along H only (winograd.c), for inference: out(cout,h,w) = conv(inp(cin,h,w)) + bias
 *  with kernel (3, 1), stride 1, padding (1, 0), as 6 GEMMs [cout x cin] x [cin x w] per 4
 *  output rows (2x fewer multiplies). A conv with kernel (3, kw), stride (1, kw), padding
 *  (1, 0) is this one on its input rearranged space-to-depth: channel ci*kw + kx, column ox
 *  holding x[ci][.][ox*kw + kx] (cin*kw channels). Split over the pool by 4-row blocks. */
/** Floats of the transformed weights: 6 * cout * cin * kw. */
CLEFI_HIDDEN size_t clefi_wino_h_weights_size(int64_t cout, int64_t cin, int64_t kw);
/** u(6, cout, cin*kw) = G g of weight(cout, cin, 3, kw), in double: the weights of the (3, 1)
 *  convolution over the space-to-depth input. */
CLEFI_HIDDEN void clefi_wino_h_weights(float *u, const float *weight, int64_t cout, int64_t cin,
                                       int64_t kw);
/** Scratch floats per pool thread (cin: channels of the (3, 1) convolution). */
CLEFI_HIDDEN size_t clefi_wino_h_scratch(int64_t cin, int64_t cout, int64_t w);
CLEFI_HIDDEN void clefi_wino_h_forward(clefi_pool *pool, float *out, const float *inp,
                                       const float *u, const float *bias, int64_t cin, int64_t cout,
                                       int64_t h, int64_t w, float *scratch, size_t scratch_per);

/** Nearest upsampling by integer factors (torch F.interpolate(scale_factor=(FH, FW),
 *  mode="nearest")): inp (B,C,H,W), out (B,C,FH*H,FW*W). */
CLEFI_HIDDEN void clefi_upsample_forward(clefi_pool *pool, float *out, const float *inp, int64_t B,
                                         int64_t C, int64_t H, int64_t W, int64_t FH, int64_t FW);
/** dinp(B,C,H,W) += sum of each input's FH x FW block of dout. */
CLEFI_HIDDEN void clefi_upsample_backward(clefi_pool *pool, float *dinp, const float *dout,
                                          int64_t B, int64_t C, int64_t H, int64_t W, int64_t FH,
                                          int64_t FW);
/** Nearest 2x upsampling (torch nn.Upsample(scale_factor=2)): inp (B,C,H,W), out (B,C,2H,2W). */
CLEFI_HIDDEN void clefi_upsample2x_forward(clefi_pool *pool, float *out, const float *inp,
                                           int64_t B, int64_t C, int64_t H, int64_t W);
/** dinp(B,C,H,W) += sum of the 4 matching dout(B,C,2H,2W) entries. */
CLEFI_HIDDEN void clefi_upsample2x_backward(clefi_pool *pool, float *dinp, const float *dout,
                                            int64_t B, int64_t C, int64_t H, int64_t W);

/* ---- multi-head self-attention (attention.c) ---- */

/** Tile sizes of the memory-efficient attention (FlashAttention-2, Dao 2023, on CPU): each
 *  thread holds one (QT x KT) score tile and one dP tile; the full T x T matrix never exists.
 *  256: the P V and backward GEMMs then have K = 256, not 128, which lifts the attention from
 *  54 to 61 % of the sgemm peak on an AVX-512 Zen 5 (docs/NN.md); the two tiles (544 KiB with
 *  their rows CLEFI_ATTN_LDS apart) stay in L2. The tile sizes set the summation order, so they
 *  are part of what a trained model's bits depend on (docs/models.md "Rebuilding them"). */
#define CLEFI_ATTN_QT 256
#define CLEFI_ATTN_KT 256
/** Floats between the rows of a score tile: 256 would put a column of it in four L1 sets. */
#define CLEFI_ATTN_LDS (CLEFI_ATTN_KT + 16)

/** Floats of attention scratch for n_threads workers (forward and backward) over T tokens of
 *  head width hd. */
CLEFI_HIDDEN size_t clefi_attention_scratch(int64_t T, int64_t hd, int32_t n_threads);

/** Scaled dot-product self-attention, torch F.scaled_dot_product_attention semantics.
 *  qkv (B,T,3C): per token [q | k | v], head h in columns h*hd..(h+1)*hd of each, hd = C/NH.
 *  out (B,T,C): heads concatenated. lse (B,NH,T): saved log-sum-exp of each query row.
 *  key_pad (B,T) or NULL: nonzero = padding key, ignored (torch key_padding_mask=True).
 *  attn_mask (T,T) or NULL: added to the scores, row = query (torch float attn_mask; use
 *  -INFINITY to forbid). A query that sees no key outputs 0 (torch would give NaN).
 *  scratch: clefi_attention_scratch(T, C / NH, clefi_pool_size(pool)) floats. Parallel over
 *  (b, h, query tile) forward and (b, h) backward. */
CLEFI_HIDDEN void clefi_attention_forward(clefi_pool *pool, float *out, float *lse,
                                          const float *qkv, const uint8_t *key_pad,
                                          const float *attn_mask, int64_t B, int64_t T, int64_t C,
                                          int64_t NH, float *scratch);
/** dqkv(B,T,3C) += gradients of q, k, v; recomputes the scores tile by tile from lse. */
CLEFI_HIDDEN void clefi_attention_backward(clefi_pool *pool, float *dqkv, const float *dout,
                                           const float *out, const float *lse, const float *qkv,
                                           const uint8_t *key_pad, const float *attn_mask,
                                           int64_t B, int64_t T, int64_t C, int64_t NH,
                                           float *scratch);

/* ---- losses (loss.c); each returns the loss and its backward scales by dloss ---- */

/** Mean cross-entropy of logits(N,V) against targets(N), skipping targets == ignore_index
 *  (torch F.cross_entropy, reduction 'mean'); probs(N,V) receives the softmax. *n_valid gets
 *  the count of counted rows (loss 0 when none). CLEF_ERR_RANGE for a target outside [0, V). */
CLEFI_HIDDEN clef_status clefi_cross_entropy_forward(clefi_pool *pool, double *loss, float *probs,
                                                     const float *logits, const int32_t *targets,
                                                     int64_t N, int64_t V, int32_t ignore_index,
                                                     int64_t *n_valid);
/** dlogits(N,V) += dloss * (probs - onehot) / n_valid on counted rows. */
CLEFI_HIDDEN void clefi_cross_entropy_backward(clefi_pool *pool, float *dlogits, const float *probs,
                                               const int32_t *targets, int64_t N, int64_t V,
                                               int32_t ignore_index, int64_t n_valid, float dloss);

/** Mean squared error mean((pred - target)^2) over n; MSE backward: 2 (pred - target) / n. */
CLEFI_HIDDEN double clefi_mse_forward(const float *pred, const float *target, int64_t n);
CLEFI_HIDDEN void clefi_mse_backward(float *dpred, const float *pred, const float *target,
                                     int64_t n, float dloss);
/** Mean absolute error; backward uses sign(pred - target), 0 at equality (torch). */
CLEFI_HIDDEN double clefi_l1_forward(const float *pred, const float *target, int64_t n);
CLEFI_HIDDEN void clefi_l1_backward(float *dpred, const float *pred, const float *target, int64_t n,
                                    float dloss);

/** Distance between row log-mean-exps: mean over rows r of D(LME(pred_r) - LME(target_r)), D
 *  |d| (L1) or d^2 (MSE), with LME(v) = ln(mean_t exp(a v_t)) / a over the row's len values.
 *  On spectrogram rows scaled dB / s and a = s ln(10) / 10, LME is each (channel, frequency)
 *  row's time-mean linear power in dB / s: the quantity band-power features average.
 *  Backward adds dloss D'(d) softmax_t(a pred_r) / rows to dpred and returns the loss, as
 *  forward would (one pass over the rows for both). */
typedef enum clefi_lme_dist { CLEFI_LME_L1 = 0, CLEFI_LME_MSE = 1 } clefi_lme_dist;
CLEFI_HIDDEN double clefi_lme_loss_forward(clefi_lme_dist dist, const float *pred,
                                           const float *target, int64_t rows, int64_t len,
                                           double a);
CLEFI_HIDDEN double clefi_lme_loss_backward(clefi_lme_dist dist, float *dpred, const float *pred,
                                            const float *target, int64_t rows, int64_t len,
                                            double a, float dloss);

/** GAN loss terms, each a mean over n discriminator logits. Non-saturating (Goodfellow 2014):
 *  D_REAL softplus(-x), D_FAKE softplus(x), G softplus(-x). Hinge (Lim & Ye 2017, as in VQGAN):
 *  D_REAL relu(1 - x), D_FAKE relu(1 + x), G -x. The discriminator loss is D_REAL + D_FAKE. */
typedef enum clefi_gan { CLEFI_GAN_NS = 0, CLEFI_GAN_HINGE = 1 } clefi_gan;
typedef enum clefi_gan_term {
    CLEFI_GAN_D_REAL = 0,
    CLEFI_GAN_D_FAKE = 1,
    CLEFI_GAN_G = 2
} clefi_gan_term;
CLEFI_HIDDEN double clefi_gan_loss_forward(clefi_gan kind, clefi_gan_term term, const float *logits,
                                           int64_t n);
CLEFI_HIDDEN void clefi_gan_loss_backward(clefi_gan kind, clefi_gan_term term, float *dlogits,
                                          const float *logits, int64_t n, float dloss);

/** Row L2 normalization (torch F.normalize(x, dim=1, eps)): out(N,D) = x / max(|x|, eps);
 *  saves norm(N). */
CLEFI_HIDDEN void clefi_l2norm_forward(float *out, float *norm, const float *inp, int64_t N,
                                       int64_t D, float eps);
CLEFI_HIDDEN void clefi_l2norm_backward(float *dinp, const float *dout, const float *out,
                                        const float *norm, int64_t N, int64_t D, float eps);

/** Symmetric InfoNCE (CLIP, Radford et al. 2021): logits = exp(log_scale) * a(N,D) b(N,D)^T,
 *  loss = (CE(rows, diag) + CE(columns, diag)) / 2. log_scale is learnable (CLIP initialises
 *  it to log(1/0.07)). scratch: 2*N*N floats; forward leaves the logits in scratch[0, N*N). */
CLEFI_HIDDEN double clefi_infonce_forward(clefi_pool *pool, const float *a, const float *b,
                                          float log_scale, int64_t N, int64_t D, float *scratch);
/** da(N,D), db(N,D), dlog_scale(1) += ... (any may be NULL); scratch as left by forward. */
CLEFI_HIDDEN void clefi_infonce_backward(clefi_pool *pool, float *da, float *db, float *dlog_scale,
                                         const float *a, const float *b, float log_scale, int64_t N,
                                         int64_t D, float dloss, float *scratch);

/* ---- vector quantizer (vq.c) ---- */

/** Rows of z and codes per GEMM tile of the nearest-code search. */
#define CLEFI_VQ_ZT 128
#define CLEFI_VQ_KT 512

/** Floats of scratch for clefi_vq_forward: K code norms + one ZT x KT tile per thread. */
CLEFI_HIDDEN size_t clefi_vq_scratch(int64_t K, int32_t n_threads);
/** Nearest code of each z(N,D) in codebook(K,D) by |z|^2 - 2 z.e + |e|^2, computed tile by tile
 *  with a running argmin (ties: lowest index); never forms the N x K matrix. Writes idx(N) and
 *  zq(N,D) = codebook[idx] (the straight-through output). Returns mean((z - zq)^2). */
CLEFI_HIDDEN double clefi_vq_forward(clefi_pool *pool, float *zq, int32_t *idx, const float *z,
                                     const float *codebook, int64_t N, int64_t K, int64_t D,
                                     float *scratch);
/** Straight-through estimator plus commitment loss beta * mean((z - sg(zq))^2) (van den Oord
 *  et al. 2017): dz(N,D) += dzq + beta * 2 (z - zq) / (N*D). */
CLEFI_HIDDEN void clefi_vq_backward(clefi_pool *pool, float *dz, const float *dzq, const float *z,
                                    const float *zq, int64_t N, int64_t D, float beta);
/** EMA codebook update (VQ-VAE-2, Razavi et al. 2019, Laplace smoothing as in Sonnet
 *  VectorQuantizerEMA): cluster_size(K) and embed_sum(K,D) decay toward the batch counts and
 *  sums of z by idx, then codebook(K,D) = embed_sum / smoothed cluster_size. Parallel over
 *  codes. counts: K floats of scratch. */
CLEFI_HIDDEN void clefi_vq_ema_update(clefi_pool *pool, float *codebook, float *cluster_size,
                                      float *embed_sum, const float *z, const int32_t *idx,
                                      int64_t N, int64_t K, int64_t D, float decay, float eps,
                                      float *counts);
/** Dead-code restart: every code whose cluster_size is below threshold becomes a batch vector
 *  z[r] (r drawn from (seed, offset + k)), with cluster_size = 1 and embed_sum = z[r].
 *  Returns the number of codes restarted. */
CLEFI_HIDDEN int64_t clefi_vq_restart_dead(float *codebook, float *cluster_size, float *embed_sum,
                                           const float *z, int64_t N, int64_t K, int64_t D,
                                           float threshold, uint64_t seed, uint64_t offset);
/** Codebook-usage perplexity exp(-sum p log p) of the code histogram of idx(N). counts: K
 *  floats of scratch. */
CLEFI_HIDDEN double clefi_vq_perplexity(const int32_t *idx, int64_t N, int64_t K, float *counts);

/* ---- optimizer and training utilities (adamw.c) ---- */

/** AdamW hyperparameters (torch.optim.AdamW; decoupled weight decay, Loshchilov & Hutter 2019). */
typedef struct clefi_adamw {
    float lr, beta1, beta2, eps, weight_decay;
} clefi_adamw;

/** One AdamW step on params(n) with grads(n) and moments m(n), v(n); step is 1-based and gives
 *  the bias corrections. Same operation order as torch's single-tensor AdamW. */
CLEFI_HIDDEN void clefi_adamw_step(clefi_pool *pool, const clefi_adamw *h, float *params,
                                   const float *grads, float *m, float *v, int64_t n, int64_t step);
/** Global L2 norm of g(n), accumulated in double over 64 fixed blocks (thread-count
 *  independent). */
CLEFI_HIDDEN double clefi_grad_norm(clefi_pool *pool, const float *g, int64_t n);
/** torch clip_grad_norm_: scale g by max_norm / (norm + 1e-6) when norm > max_norm. Returns the
 *  norm before clipping. */
CLEFI_HIDDEN double clefi_grad_clip(clefi_pool *pool, float *g, int64_t n, double max_norm);

typedef enum clefi_sched { CLEFI_SCHED_CONSTANT = 0, CLEFI_SCHED_COSINE = 1 } clefi_sched;
/** Learning rate at 0-based step: linear warmup base*(step+1)/warmup for step < warmup, then
 *  constant base, or cosine from base down to min_lr at total_steps (held there after). */
CLEFI_HIDDEN double clefi_lr_at(clefi_sched kind, int64_t step, int64_t warmup, int64_t total_steps,
                                double base_lr, double min_lr);
/** EMA of weights: ema(n) = decay * ema + (1 - decay) * params. */
CLEFI_HIDDEN void clefi_ema_update(clefi_pool *pool, float *ema, const float *params, int64_t n,
                                   float decay);

/* ---- pre-LN Transformer block (block.c) ---- */

/** Tensors of one pre-LN Transformer block (GPT-2 / ViT layout, torch names): X(field, name,
 *  rank, dims...) with C = d_model and F = d_ff. The order is the flat-buffer order. */
#define CLEFI_BLOCK_TENSORS(X, C, F)                                                               \
    X(ln1_w, "ln1.weight", 1, C)                                                                   \
    X(ln1_b, "ln1.bias", 1, C)                                                                     \
    X(qkv_w, "attn.qkv.weight", 2, 3 * (C), C)                                                     \
    X(qkv_b, "attn.qkv.bias", 1, 3 * (C))                                                          \
    X(proj_w, "attn.proj.weight", 2, C, C)                                                         \
    X(proj_b, "attn.proj.bias", 1, C)                                                              \
    X(ln2_w, "ln2.weight", 1, C)                                                                   \
    X(ln2_b, "ln2.bias", 1, C)                                                                     \
    X(fc1_w, "mlp.fc1.weight", 2, F, C)                                                            \
    X(fc1_b, "mlp.fc1.bias", 1, F)                                                                 \
    X(fc2_w, "mlp.fc2.weight", 2, C, F)                                                            \
    X(fc2_b, "mlp.fc2.bias", 1, C)

/** Pointers to a block's tensors inside a flat buffer (parameters or gradients). */
typedef struct clefi_block_params {
#define CLEFI_BLOCK_FIELD_(field, name, rank, ...) float *field;
    CLEFI_BLOCK_TENSORS(CLEFI_BLOCK_FIELD_, 1, 1)
#undef CLEFI_BLOCK_FIELD_
} clefi_block_params;

/** Sizes of a block: x (B,T,C), NH heads, MLP width F, LayerNorm eps, MLP activation. */
typedef struct clefi_block_dims {
    int64_t B, T, C, NH, F;
    float eps;
    clefi_act act;
} clefi_block_dims;

/** Saved activations and backward scratch of one block, in one allocation. */
typedef struct clefi_block_acts {
    clef_ctx *ctx;
    float *buf;
    float *ln1, *ln1_mean, *ln1_rstd, *qkv, *att, *lse, *h, *ln2, *ln2_mean, *ln2_rstd, *fc1, *act,
        *out, *attn_scratch;
    float *dh, *dln, *datt, *dqkv, *dfc1, *dact; /* backward scratch */
} clefi_block_acts;

/** Append the block's tensors, named prefix + name (e.g. "enc.blocks.0."), to lay. */
struct clefi_layout; /* weights section below */
CLEFI_HIDDEN clef_status clefi_block_layout(struct clefi_layout *lay, const char *prefix, int64_t C,
                                            int64_t F);
/** Point p at the block's tensors in base, the block's first tensor being lay->t[first]. */
CLEFI_HIDDEN void clefi_block_params_at(clefi_block_params *p, float *base,
                                        const struct clefi_layout *lay, size_t first);
/** Allocate activations for dims and n_threads; CLEF_ERR_NOMEM/OVERFLOW recorded on ctx. */
CLEFI_HIDDEN clef_status clefi_block_acts_alloc(clefi_block_acts *a, clef_ctx *ctx,
                                                const clefi_block_dims *d, int32_t n_threads);
CLEFI_HIDDEN void clefi_block_acts_free(clefi_block_acts *a);
/** Floats of one block's activations (backward nonzero: with the backward scratch);
 *  SIZE_MAX on overflow. */
CLEFI_HIDDEN size_t clefi_block_acts_floats(const clefi_block_dims *d, int32_t n_threads,
                                            int backward);
/** Lay a's buffers out in buf (clefi_block_acts_floats() floats, owned by the caller: a->ctx
 *  stays NULL, so clefi_block_acts_free() leaves it alone). */
CLEFI_HIDDEN void clefi_block_acts_at(clefi_block_acts *a, float *buf, const clefi_block_dims *d,
                                      int32_t n_threads, int backward);
/** a->out(B,T,C) = x + mlp(ln2(h)), h = x + proj(attention(ln1(x))); masks as in
 *  clefi_attention_forward. */
CLEFI_HIDDEN void clefi_block_forward(clefi_pool *pool, clefi_block_acts *a,
                                      const clefi_block_params *p, const float *x,
                                      const uint8_t *key_pad, const float *attn_mask,
                                      const clefi_block_dims *d);
/** dx(B,T,C) (may be NULL) and the gradients g += ..., from dout(B,T,C) and the saved a. */
CLEFI_HIDDEN void clefi_block_backward(clefi_pool *pool, float *dx, const clefi_block_params *g,
                                       const float *dout, clefi_block_acts *a,
                                       const clefi_block_params *p, const float *x,
                                       const uint8_t *key_pad, const float *attn_mask,
                                       const clefi_block_dims *d);

/* ---- weights: writer, architecture binding, checkpoints ---- */

/* Writer (safetensors_write.c). */
/** Add a float32 tensor WITHOUT copying: data must stay valid and unchanged until the writer
 *  is freed (checkpoints pass their flat buffers this way). Same checks as add_f32. */
CLEFI_HIDDEN clef_status clefi_weights_writer_add_f32_borrowed(clef_weights_writer *wr,
                                                               const char *name, int32_t dtype,
                                                               const int64_t *shape, int32_t rank,
                                                               const float *data, size_t n);

/* Architecture binding (weights_bind.c).
 *
 * A component describes its parameters as a layout: an ordered list of named tensors with
 * shapes, packed into one flat float32 buffer (llm.c style). Shapes usually depend on
 * hyperparameters read from the file's metadata, so the layout is built at run time, typically
 * from an X-macro list:
 *
 *     #define ENC_BLOCK_TENSORS(X) X("attn.qkv.weight", 2, 3 * d, d) X("attn.qkv.bias", 1, 3 * d)
 *     clefi_layout lay;
 *     clefi_layout_init(&lay, ctx);
 *     for (int l = 0; l < n_layer; l++) {
 *         char name[96];
 *     #define X(suffix, rank, ...)                                                          \
 *         snprintf(name, sizeof name, "enc.blocks.%d." suffix, l);                          \
 *         rc = clefi_layout_add(&lay, name, rank, (const int64_t[]){__VA_ARGS__});
 *         ENC_BLOCK_TENSORS(X)
 *     #undef X
 *     }
 *     float *params = ...lay.total floats...;
 *     rc = clefi_weights_bind(w, &lay, params, lay.total, "enc.", 0, NULL);
 *
 * Each tensor's offset into the flat buffer is lay.t[i].offset (floats). */
typedef struct clefi_layout_entry {
    char *name;
    int32_t rank;
    int64_t shape[CLEF_WEIGHTS_MAX_RANK];
    size_t numel;
    size_t offset; /* in floats, into the flat buffer */
} clefi_layout_entry;

typedef struct clefi_layout {
    clef_ctx *ctx; /* not retained: the layout lives inside a handle that holds the ctx */
    clefi_layout_entry *t;
    size_t n, cap;
    size_t total; /* floats in the flat buffer */
} clefi_layout;

CLEFI_HIDDEN void clefi_layout_init(clefi_layout *lay, clef_ctx *ctx);
CLEFI_HIDDEN void clefi_layout_free(clefi_layout *lay);
/** Append a tensor (name copied) at offset lay->total. CLEF_ERR_INVALID_ARG for a duplicate or
 *  empty name, rank outside [0, CLEF_WEIGHTS_MAX_RANK] or a negative dim; CLEF_ERR_OVERFLOW;
 *  CLEF_ERR_NOMEM. Errors are recorded on lay->ctx. */
CLEFI_HIDDEN clef_status clefi_layout_add(clefi_layout *lay, const char *name, int32_t rank,
                                          const int64_t *shape);
/** Index of the entry called name, or -1. */
CLEFI_HIDDEN int64_t clefi_layout_find(const clefi_layout *lay, const char *name);

/** Bind flag: tensors in scope that the layout does not name are allowed (ignored). */
#define CLEFI_BIND_ALLOW_EXTRA 1u

/** Fill dst (dst_len floats, at least lay->total) from the file: every layout tensor must exist
 *  with the same shape and a float dtype (F16/BF16 widened). Unless CLEFI_BIND_ALLOW_EXTRA,
 *  a file tensor whose name starts with scope (NULL or "": every tensor) and that the layout
 *  does not name is an error. All checks run before the first write: on failure dst is
 *  untouched. Errors name the tensor and both shapes (CLEF_ERR_NOT_FOUND missing,
 *  CLEF_ERR_SHAPE shape, CLEF_ERR_UNSUPPORTED dtype, CLEF_ERR_FORMAT unexpected tensor) and
 *  are recorded on err, or on the weights handle when err is NULL. */
CLEFI_HIDDEN clef_status clefi_weights_bind(clef_weights *w, const clefi_layout *lay, float *dst,
                                            size_t dst_len, const char *scope, uint32_t flags,
                                            clefi_err *err);
/** The two halves of clefi_weights_bind, for loaders that bind several groups of one file
 *  (checkpoints: params, AdamW m and v, EMA). bind_check verifies that every layout tensor,
 *  looked up as prefix + name, exists with the right shape and a float dtype, and sets
 *  seen[i] = 1 for each matched file tensor i (seen: n_tensors bytes, may be NULL).
 *  bind_copy then fills dst and cannot fail. */
CLEFI_HIDDEN clef_status clefi_weights_bind_check(clef_weights *w, const clefi_layout *lay,
                                                  const char *prefix, unsigned char *seen,
                                                  clefi_err *err);
CLEFI_HIDDEN void clefi_weights_bind_copy(const clef_weights *w, const clefi_layout *lay,
                                          const char *prefix, float *dst);
/** Fail (CLEF_ERR_FORMAT, naming the tensor and its shape) on the first tensor in scope not
 *  marked in seen. */
CLEFI_HIDDEN clef_status clefi_weights_check_extra(clef_weights *w, const unsigned char *seen,
                                                   const char *scope, clefi_err *err);
/** Format a shape as "[2, 3]" into buf (always terminated). */
CLEFI_HIDDEN void clefi_shape_str(char *buf, size_t cap, const int64_t *shape, int32_t rank);

/* Typed metadata (weights_bind.c): a decimal integer or real stored as a metadata string.
 * CLEF_ERR_NOT_FOUND if absent, CLEF_ERR_FORMAT if not a complete number in range; recorded on
 * err, or on the handle when err is NULL. */
CLEFI_HIDDEN clef_status clefi_weights_meta_i64(clef_weights *w, const char *key, int64_t *out,
                                                clefi_err *err);
CLEFI_HIDDEN clef_status clefi_weights_meta_f64(clef_weights *w, const char *key, double *out,
                                                clefi_err *err);

/* Checkpoints (checkpoint.c).
 *
 * A checkpoint is a safetensors file with metadata clef.kind = "checkpoint". Tensors: the model
 * parameters under their layout names (so a checkpoint also binds as a weights file), AdamW
 * moments as "optim.m.<name>" and "optim.v.<name>", optional EMA weights as "ema.<name>", all
 * F32 (bit-exact), and the opaque RNG state as the U8 tensor "train.rng". Metadata:
 * clef.ckpt.step, clef.ckpt.data_cursor, clef.ckpt.world_size, clef.ckpt.has_ema ("0"/"1"),
 * clef.ckpt.n_params (layout total), plus the caller's architecture keys. */
typedef struct clefi_ckpt {
    float *params; /* lay->total floats each */
    float *adam_m;
    float *adam_v;
    float *ema;          /* NULL when the run keeps no EMA */
    unsigned char *rng;  /* RNG state bytes (opaque to this module) */
    size_t rng_len;      /* >= 1 */
    int64_t step;        /* >= 0: optimizer steps taken */
    int64_t data_cursor; /* >= 0: position in the (per-rank) data order */
    int32_t world_size;  /* >= 1: ranks that trained */
} clefi_ckpt;

/** One (layout, flat buffer) group of a model file. */
typedef struct clefi_model_group {
    const clefi_layout *lay;
    const float *buf;
} clefi_model_group;
/** Write a model file atomically: clef.kind "model", clef.source "libclef clef_<what>", the
 *  n_meta key/value pairs, then every tensor of each group as F32 (borrowed, not copied).
 *  Failures are recorded on ctx as "<what>: <cause>". */
CLEFI_HIDDEN clef_status clefi_model_save(clef_ctx *ctx, const char *path, const char *what,
                                          const char *const *meta_kv, size_t n_meta,
                                          const clefi_model_group *groups, size_t n_groups);
/** Write ck atomically to path. meta_kv holds n_meta key, value pairs (architecture and
 *  spectrogram hyperparameters) written as they are; "clef.kind" and "clef.ckpt.*" keys are
 *  reserved (CLEF_ERR_INVALID_ARG). The buffers are not copied. Errors recorded on err (or the
 *  ctx when err is NULL). */
CLEFI_HIDDEN clef_status clefi_ckpt_save(clef_ctx *ctx, const char *path, const clefi_layout *lay,
                                         const clefi_ckpt *ck, const char *const *meta_kv,
                                         size_t n_meta, clefi_err *err);
/** Resume from an opened checkpoint into ck's buffers (params, adam_m, adam_v: lay->total floats;
 *  ema: the file must hold EMA weights exactly when ck->ema is not NULL; rng: ck->rng_len must
 *  equal the stored length) and set step, data_cursor and world_size. expect_world > 0 requires
 *  the stored world size to equal it (CLEF_ERR_STATE otherwise). Every tensor is checked
 *  (shapes against lay, no unknown tensor) before the first buffer is written: on failure ck is
 *  unchanged. */
CLEFI_HIDDEN clef_status clefi_ckpt_load(clef_weights *w, const clefi_layout *lay, clefi_ckpt *ck,
                                         int32_t expect_world, clefi_err *err);

#endif /* CLEF_NN_H */
