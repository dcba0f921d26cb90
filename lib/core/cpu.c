/* cpu.c — what the machine can do and which BLAS kernel runs on it (issue 18, item 1).
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Debian's OpenBLAS (DYNAMIC_ARCH) picks its kernels from a CPU table; a CPU newer than the
 * table gets the oldest (Prescott, SSE3) kernels, 3-5x slower for every GEMM. cpuid tells what
 * the CPU and the OS support (XCR0 for the AVX and AVX-512 register state), so libclef can name
 * the kernel that fits and say how to select it. */
#include "core_int.h"

#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define CLEFI_X86 1
#endif

static uint32_t g_isa;
static char g_isa_str[160];
static pthread_once_t g_isa_once = PTHREAD_ONCE_INIT;

#if defined(CLEFI_X86)
static uint64_t xcr0(void) {
    uint32_t lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
#endif

static void detect(void) {
    uint32_t f = 0;
#if defined(CLEFI_X86)
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        uint64_t x = (c >> 27 & 1u) ? xcr0() : 0; /* OSXSAVE: the OS saves extended state */
        int os_avx = (x & 0x6) == 0x6, os_512 = os_avx && (x & 0xE0) == 0xE0;
        int os_amx = (x & 0x60000) == 0x60000;
        f |= (c >> 20 & 1u) ? CLEFI_ISA_SSE42 : 0;
        f |= os_avx && (c >> 28 & 1u) ? CLEFI_ISA_AVX : 0;
        f |= os_avx && (c >> 12 & 1u) ? CLEFI_ISA_FMA : 0;
        if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
            f |= os_avx && (b >> 5 & 1u) ? CLEFI_ISA_AVX2 : 0;
            f |= os_512 && (b >> 16 & 1u) ? CLEFI_ISA_AVX512F : 0;
            f |= os_512 && (b >> 17 & 1u) ? CLEFI_ISA_AVX512DQ : 0;
            f |= os_512 && (b >> 30 & 1u) ? CLEFI_ISA_AVX512BW : 0;
            f |= os_512 && (b >> 31 & 1u) ? CLEFI_ISA_AVX512VL : 0;
            f |= os_512 && (c >> 1 & 1u) ? CLEFI_ISA_AVX512VBMI : 0;
            f |= os_amx && (d >> 24 & 1u) ? CLEFI_ISA_AMX : 0;
        }
        /* leaf 7, sub-leaf 1, EAX bit 5: VDPBF16PS and the BF16 conversions */
        if (__get_cpuid_count(7, 1, &a, &b, &c, &d))
            f |= os_512 && (a >> 5 & 1u) ? CLEFI_ISA_AVX512BF16 : 0;
    }
#endif
    g_isa = f;
    static const struct {
        uint32_t bit;
        const char *name;
    } k_names[] = {{CLEFI_ISA_SSE42, "SSE4.2"},
                   {CLEFI_ISA_AVX, "AVX"},
                   {CLEFI_ISA_AVX2, "AVX2"},
                   {CLEFI_ISA_FMA, "FMA"},
                   {CLEFI_ISA_AVX512F, "AVX-512F"},
                   {CLEFI_ISA_AVX512DQ, "AVX-512DQ"},
                   {CLEFI_ISA_AVX512BW, "AVX-512BW"},
                   {CLEFI_ISA_AVX512VL, "AVX-512VL"},
                   {CLEFI_ISA_AVX512VBMI, "AVX-512VBMI"},
                   {CLEFI_ISA_AVX512BF16, "AVX-512BF16"},
                   {CLEFI_ISA_AMX, "AMX"}};
#if defined(CLEFI_X86)
    snprintf(g_isa_str, sizeof g_isa_str, "x86-64");
#else
    snprintf(g_isa_str, sizeof g_isa_str, "not x86-64 (no cpuid)");
#endif
    for (size_t i = 0; i < sizeof k_names / sizeof k_names[0]; i++)
        if (f & k_names[i].bit) {
            size_t n = strlen(g_isa_str);
            snprintf(g_isa_str + n, sizeof g_isa_str - n, " %s", k_names[i].name);
        }
}

uint32_t clefi_cpu_isa(void) {
    pthread_once(&g_isa_once, detect);
    return g_isa;
}

const char *clef_cpu_isa(void) {
    pthread_once(&g_isa_once, detect);
    return g_isa_str;
}

const char *clef_blas_kernel(void) {
    const char *k = openblas_get_corename();
    return k != NULL && k[0] != '\0' ? k : "unknown";
}

/* Vector width a kernel family uses: 0 SSE, 1 AVX, 2 AVX2+FMA, 3 AVX-512. Unknown names count
 * as current (no advice rather than a wrong one). */
static int kernel_level(const char *k) {
    static const char *const sse[] = {"prescott", "core2",     "penryn",    "dunnington",
                                      "nehalem",  "atom",      "barcelona", "opteron",
                                      "katmai",   "northwood", "banias"};
    static const char *const avx[] = {"sandybridge", "bulldozer", "piledriver", "steamroller",
                                      "excavator"};
    static const char *const avx2[] = {"haswell", "zen"};
    for (size_t i = 0; i < sizeof sse / sizeof sse[0]; i++)
        if (strncasecmp(k, sse[i], strlen(sse[i])) == 0)
            return 0;
    for (size_t i = 0; i < sizeof avx / sizeof avx[0]; i++)
        if (strncasecmp(k, avx[i], strlen(avx[i])) == 0)
            return 1;
    for (size_t i = 0; i < sizeof avx2 / sizeof avx2[0]; i++)
        if (strncasecmp(k, avx2[i], strlen(avx2[i])) == 0)
            return 2;
    return 3;
}

/* The kernel family that fits each level of isa_level(); OPENBLAS_CORETYPE spells them so. */
static const char *const k_fit[] = {NULL, "Sandybridge", "Haswell", "SkylakeX"};

/* What the CPU runs, on the scale of kernel_level(). AVX-512 needs the Skylake-X subsets
 * (F, DQ, BW, VL) that OpenBLAS's SkylakeX kernels use; AVX2 without FMA gets Sandybridge. */
static int isa_level(uint32_t isa) {
    const uint32_t avx512 =
        CLEFI_ISA_AVX512F | CLEFI_ISA_AVX512DQ | CLEFI_ISA_AVX512BW | CLEFI_ISA_AVX512VL;
    return (isa & avx512) == avx512                                                       ? 3
           : (isa & (CLEFI_ISA_AVX2 | CLEFI_ISA_FMA)) == (CLEFI_ISA_AVX2 | CLEFI_ISA_FMA) ? 2
           : (isa & CLEFI_ISA_AVX) != 0                                                   ? 1
                                                                                          : 0;
}

const char *clef_blas_coretype(void) { return k_fit[isa_level(clefi_cpu_isa())]; }

const char *clefi_blas_advice(const char *kernel, uint32_t isa, const char *env, char *buf,
                              size_t cap) {
    int cpu = isa_level(isa);
    if (kernel == NULL || kernel_level(kernel) >= cpu)
        return NULL;
    if (env != NULL && env[0] != '\0') /* the user's (or the machine's) own choice: say so */
        snprintf(buf, cap,
                 "OPENBLAS_CORETYPE=%s in the environment makes OpenBLAS run its %s kernels on a "
                 "CPU with %s kernels' instructions: every GEMM runs several times slower than the "
                 "CPU allows; unset it (the clef program and the bindings then select %s) or set "
                 "OPENBLAS_CORETYPE=%s (docs/NN.md)",
                 env, kernel, k_fit[cpu], k_fit[cpu], k_fit[cpu]);
    else
        snprintf(buf, cap,
                 "OpenBLAS runs its %s kernels on a CPU with %s kernels' instructions: every GEMM "
                 "runs several times slower than the CPU allows; set OPENBLAS_CORETYPE=%s in the "
                 "environment before the library loads (docs/NN.md)",
                 kernel, k_fit[cpu], k_fit[cpu]);
    return buf;
}
