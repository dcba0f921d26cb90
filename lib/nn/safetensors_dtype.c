/* safetensors_dtype.c — element types of safetensors tensors and float16/bfloat16 conversions.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * The dtype strings are those of the safetensors format (huggingface/safetensors, Dtype enum).
 * Data are little-endian; libclef targets little-endian hosts (checked below). */
#include "nn_int.h"

#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data are little-endian; big-endian hosts need byte swapping here"
#endif

static const struct {
    int32_t dtype;
    const char *name;
    size_t size;
} dtypes[] = {
    {CLEF_DTYPE_F32, "F32", 4},   {CLEF_DTYPE_F16, "F16", 2}, {CLEF_DTYPE_BF16, "BF16", 2},
    {CLEF_DTYPE_F64, "F64", 8},   {CLEF_DTYPE_I64, "I64", 8}, {CLEF_DTYPE_I32, "I32", 4},
    {CLEF_DTYPE_I16, "I16", 2},   {CLEF_DTYPE_I8, "I8", 1},   {CLEF_DTYPE_U8, "U8", 1},
    {CLEF_DTYPE_BOOL, "BOOL", 1}, {CLEF_DTYPE_U16, "U16", 2}, {CLEF_DTYPE_U32, "U32", 4},
    {CLEF_DTYPE_U64, "U64", 8},
};
#define N_DTYPES (sizeof dtypes / sizeof dtypes[0])

size_t clef_dtype_size(int32_t dtype) {
    for (size_t i = 0; i < N_DTYPES; i++)
        if (dtypes[i].dtype == dtype)
            return dtypes[i].size;
    return 0;
}

const char *clef_dtype_name(int32_t dtype) {
    for (size_t i = 0; i < N_DTYPES; i++)
        if (dtypes[i].dtype == dtype)
            return dtypes[i].name;
    return "";
}

int32_t clefi_dtype_parse(const char *name) {
    for (size_t i = 0; i < N_DTYPES; i++)
        if (strcmp(dtypes[i].name, name) == 0)
            return dtypes[i].dtype;
    return 0;
}

int clefi_dtype_is_float(int32_t dtype) {
    return dtype == CLEF_DTYPE_F32 || dtype == CLEF_DTYPE_F16 || dtype == CLEF_DTYPE_BF16;
}

int32_t clef_weights_max_rank(void) { return CLEF_WEIGHTS_MAX_RANK; }

int clefi_shape_numel(const int64_t *shape, int32_t rank, size_t *numel) {
    size_t n = 1;
    for (int32_t i = 0; i < rank; i++) {
        if (shape[i] < 0 || (uint64_t)shape[i] > SIZE_MAX ||
            clefi_mul_overflow(n, (size_t)shape[i], &n))
            return 1;
    }
    *numel = n;
    return 0;
}

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* IEEE 754 binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits. */
float clefi_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    if (exp == 0) {
        if (mant == 0)
            return bits_f32(sign);
        /* subnormal: value = mant * 2^-24; normalise into a binary32 normal */
        uint32_t e = 127 - 15 + 1;
        while ((mant & 0x400u) == 0) {
            mant <<= 1;
            e--;
        }
        return bits_f32(sign | (e << 23) | ((mant & 0x3ffu) << 13));
    }
    if (exp == 31)
        return bits_f32(sign | 0x7f800000u | (mant << 13));
    return bits_f32(sign | ((exp + 127 - 15) << 23) | (mant << 13));
}

/* Round-to-nearest-even narrowing, as numpy's npy_floatbits_to_halfbits and torch. */
uint16_t clefi_f32_to_f16(float f) {
    uint32_t x = f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    x &= 0x7fffffffu;
    if (x >= 0x7f800000u) /* inf, or NaN made quiet with its top payload bits */
        return (uint16_t)(sign | 0x7c00u | (x > 0x7f800000u ? 0x200u | ((x >> 13) & 0x3ffu) : 0));
    if (x >= 0x477ff000u) /* >= 65520 rounds past the largest half, 65504 */
        return (uint16_t)(sign | 0x7c00u);
    if (x < 0x38800000u) {   /* below 2^-14: half subnormal, unit 2^-24 */
        if (x < 0x33000000u) /* <= 2^-25 rounds to zero (2^-25 is a tie to even 0) */
            return sign;
        uint32_t fexp = x >> 23;
        uint32_t m = (x & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126 - fexp; /* 14..24 */
        uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1u)))
            q++;
        return (uint16_t)(sign | q);
    }
    uint32_t q = (((x >> 23) - 112) << 10) | ((x & 0x7fffffu) >> 13);
    uint32_t rem = x & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (q & 1u)))
        q++; /* a carry into the exponent is the correct rounding */
    return (uint16_t)(sign | q);
}

/* bfloat16 is the top half of a binary32. */
float clefi_bf16_to_f32(uint16_t h) { return bits_f32((uint32_t)h << 16); }

uint16_t clefi_f32_to_bf16(float f) {
    uint32_t x = f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((x >> 16) | 0x40u); /* quiet NaN */
    x += 0x7fffu + ((x >> 16) & 1u);
    return (uint16_t)(x >> 16);
}

void clefi_dtype_to_f32(int32_t dtype, const void *src, float *dst, size_t n) {
    const unsigned char *s = src;
    if (n == 0) /* src may be NULL: memcpy must not see it */
        return;
    if (dtype == CLEF_DTYPE_F32) {
        memcpy(dst, s, n * sizeof(float));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint16_t h = (uint16_t)(s[2 * i] | (s[2 * i + 1] << 8));
        dst[i] = dtype == CLEF_DTYPE_F16 ? clefi_f16_to_f32(h) : clefi_bf16_to_f32(h);
    }
}

void clefi_dtype_from_f32(int32_t dtype, const float *src, void *dst, size_t n) {
    unsigned char *d = dst;
    if (n == 0)
        return;
    if (dtype == CLEF_DTYPE_F32) {
        memcpy(d, src, n * sizeof(float));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint16_t h = dtype == CLEF_DTYPE_F16 ? clefi_f32_to_f16(src[i]) : clefi_f32_to_bf16(src[i]);
        d[2 * i] = (unsigned char)(h & 0xffu);
        d[2 * i + 1] = (unsigned char)(h >> 8);
    }
}
