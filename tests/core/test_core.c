/* test_core.c — versions, status codes, ctx, logging, allocator hooks, parameter sets. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core_int.h"

static void test_versions(void **state) {
    (void)state;
    assert_int_equal(clef_version_number(), CLEF_VERSION_NUMBER);
    assert_int_equal(clef_abi_version(), CLEF_ABI_VERSION);
    assert_string_equal(clef_version(), CLEF_VERSION_STRING);
    assert_string_equal(CLEF_VERSION_STRING, clef_version());
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", CLEF_VERSION_MAJOR, CLEF_VERSION_MINOR,
             CLEF_VERSION_PATCH);
    assert_string_equal(clef_version(), expect);
    assert_non_null(clef_source_id());
    /* build info names the dependencies actually linked */
    const char *bi = clef_build_info();
    assert_non_null(strstr(bi, "fftw-3"));
    assert_non_null(strstr(bi, "OpenBLAS"));
    assert_non_null(strstr(bi, "SQLite 3."));
    assert_non_null(strstr(bi, "libxml2 2."));
    assert_non_null(strstr(bi, "jansson 2."));
}

static void test_strerror(void **state) {
    (void)state;
    /* every pinned code has its own text; unknown codes get a generic one */
    const char *seen[32] = {0};
    int n = 0;
    for (clef_status s = CLEF_ERR_OVERFLOW; s <= CLEF_MORE; s++) {
        const char *t = clef_strerror(s);
        assert_non_null(t);
        assert_string_not_equal(t, "unknown status code");
        for (int i = 0; i < n; i++)
            assert_string_not_equal(seen[i], t);
        seen[n++] = t;
    }
    assert_string_equal(clef_strerror(-9999), "unknown status code");
    assert_string_equal(clef_strerror(CLEF_OK), "success");
}

static void test_ctx_args(void **state) {
    (void)state;
    assert_int_equal(clef_ctx_create(NULL), CLEF_ERR_INVALID_ARG);
    clef_ctx *ctx = (clef_ctx *)0x1;
    assert_int_equal(clef_ctx_create_with_allocator(&ctx, NULL, NULL, NULL, NULL),
                     CLEF_ERR_INVALID_ARG);
    assert_null(ctx);
    clef_ctx_free(NULL);
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    assert_string_equal(clef_ctx_errmsg(ctx), "");
    clef_session *s = (clef_session *)0x1;
    assert_int_equal(clef_session_create(&s, ctx, 0), CLEF_ERR_RANGE);
    assert_null(s);
    assert_int_equal(clef_ctx_errcode(ctx), CLEF_ERR_RANGE);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "n_threads 0"));
    assert_int_equal(clef_session_create(&s, ctx, 2), CLEF_OK);
    assert_string_equal(clef_ctx_errmsg(ctx), "");
    assert_int_equal(clef_session_n_threads(s), 2);
    clef_session_free(s);
    clef_ctx_free(ctx);
}

typedef struct log_capture {
    int n;
    int32_t last_level;
    char last[256];
} log_capture;

static void capture_log(int32_t level, const char *msg, void *user) {
    log_capture *c = user;
    c->n++;
    c->last_level = level;
    snprintf(c->last, sizeof c->last, "%s", msg);
}

static void test_log_callback(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    log_capture cap = {0};
    assert_int_equal(clef_ctx_set_log(ctx, 99, capture_log, &cap), CLEF_ERR_RANGE);
    assert_int_equal(clef_ctx_set_log(ctx, CLEF_LOG_DEBUG, capture_log, &cap), CLEF_OK);
    /* the first callback taking warnings hears once whether the BLAS kernels are older than the
     * CPU (cpu.c) */
    char advice[400];
    int old_kernel =
        clefi_blas_advice(clef_blas_kernel(), clefi_cpu_isa(), NULL, advice, sizeof advice) != NULL;
    assert_int_equal(cap.n, old_kernel);
    if (old_kernel)
        assert_non_null(strstr(cap.last, "OPENBLAS_CORETYPE="));
    assert_int_equal(clef_ctx_set_log(ctx, CLEF_LOG_DEBUG, capture_log, &cap), CLEF_OK);
    assert_int_equal(cap.n, old_kernel); /* once per process */
    cap = (log_capture){0};
    /* errors are reported to the log at debug level */
    clef_session *s = NULL;
    assert_int_equal(clef_session_create(&s, ctx, -3), CLEF_ERR_RANGE);
    assert_int_equal(cap.n, 1);
    assert_int_equal(cap.last_level, CLEF_LOG_DEBUG);
    assert_non_null(strstr(cap.last, "n_threads -3"));
    /* a lower threshold filters them out */
    assert_int_equal(clef_ctx_set_log(ctx, CLEF_LOG_WARN, capture_log, &cap), CLEF_OK);
    assert_int_equal(clef_session_create(&s, ctx, -4), CLEF_ERR_RANGE);
    assert_int_equal(cap.n, 1);
    clefi_log(ctx, CLEF_LOG_WARN, "warning %d", 7);
    assert_int_equal(cap.n, 2);
    assert_string_equal(cap.last, "warning 7");
    clef_ctx_free(ctx);
}

static void test_allocator_hook(void **state) {
    (void)state;
    test_alloc ta;
    clef_ctx *ctx = test_ctx_with_alloc(&ta, -1);
    assert_non_null(ctx);
    assert_int_equal(ta.live, 1); /* the ctx itself came from the hook */
    void *p = clefi_malloc(ctx, 100);
    assert_non_null(p);
    assert_int_equal(ta.live, 2);
    void *a = clefi_malloc_aligned(ctx, 1000);
    assert_non_null(a);
    assert_int_equal((uintptr_t)a % 64, 0);
    clefi_free_aligned(ctx, a);
    assert_null(clefi_calloc(ctx, SIZE_MAX / 2, 4)); /* overflow, not a huge allocation */
    clefi_free(ctx, p);
    assert_int_equal(ta.live, 1);
    clef_ctx_free(ctx);
    assert_int_equal(ta.live, 0);
}

static void test_ctx_refcount(void **state) {
    (void)state;
    test_alloc ta;
    clef_ctx *ctx = test_ctx_with_alloc(&ta, -1);
    clef_params *p;
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_COHORT), CLEF_OK);
    clef_ctx_free(ctx); /* the params set keeps the ctx alive */
    assert_true(ta.live > 0);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_COHORT_N_PATIENTS, 3), CLEF_OK);
    clef_params_free(p);
    assert_int_equal(ta.live, 0);
}

static void test_params(void **state) {
    (void)state;
    clef_ctx *ctx;
    assert_int_equal(clef_ctx_create(&ctx), CLEF_OK);
    clef_params *p = (clef_params *)0x1;
    assert_int_equal(clef_params_create(&p, ctx, 4242), CLEF_ERR_INVALID_ARG);
    assert_null(p);
    assert_non_null(strstr(clef_ctx_errmsg(ctx), "4242"));
    assert_int_equal(clef_params_create(&p, ctx, CLEF_PARAMS_COHORT), CLEF_OK);
    assert_int_equal(clef_params_kind(p), CLEF_PARAMS_COHORT);

    int64_t v = -1;
    assert_int_equal(clef_params_get_i64(p, CLEF_P_COHORT_N_PATIENTS, &v), CLEF_OK);
    assert_int_equal(v, 100);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_COHORT_N_PATIENTS, 0), CLEF_ERR_RANGE);
    assert_non_null(strstr(clef_params_errmsg(p), "cohort.n_patients = 0"));
    assert_int_equal(clef_params_set_f64(p, CLEF_P_COHORT_N_PATIENTS, 2.0), CLEF_ERR_INVALID_ARG);
    assert_int_equal(clef_params_set_i64(p, 9999, 1), CLEF_ERR_NOT_FOUND);
    /* a key of another kind is not in the set */
    assert_int_equal(clef_params_set_i64(p, CLEF_P_SPEC_N_TAPERS, 3), CLEF_ERR_NOT_FOUND);
    assert_int_equal(clef_params_set_i64(p, CLEF_P_COHORT_N_PATIENTS, 8), CLEF_OK);
    assert_string_equal(clef_params_errmsg(p), "");
    assert_int_equal(clefi_params_i64(p, CLEF_P_COHORT_N_PATIENTS), 8);

    clef_params *q;
    assert_int_equal(clef_params_clone(&q, p), CLEF_OK);
    assert_int_equal(clef_params_get_i64(q, CLEF_P_COHORT_N_PATIENTS, &v), CLEF_OK);
    assert_int_equal(v, 8);
    clef_params_free(q);

    int32_t key = 0, type = 0, kind = 0;
    const char *name, *doc;
    assert_int_equal(clef_param_lookup("cohort.n_patients", &key), CLEF_OK);
    assert_int_equal(key, CLEF_P_COHORT_N_PATIENTS);
    assert_int_equal(clef_param_lookup("no_such_key", &key), CLEF_ERR_NOT_FOUND);
    /* the removed core keys are gone */
    assert_int_equal(clef_param_lookup("n_threads", &key), CLEF_ERR_NOT_FOUND);
    assert_int_equal(clef_param_lookup("seed", &key), CLEF_ERR_NOT_FOUND);
    assert_int_equal(clef_param_lookup("spec_n_threads", &key), CLEF_ERR_NOT_FOUND);
    assert_int_equal(clef_param_lookup("cohort.n_threads", &key), CLEF_ERR_NOT_FOUND);
    assert_int_equal(clef_param_info(CLEF_P_COHORT_SEED, &name, &type, &kind, &doc), CLEF_OK);
    assert_string_equal(name, "cohort.seed");
    assert_int_equal(type, CLEF_PARAM_I64);
    assert_int_equal(kind, CLEF_PARAMS_COHORT);
    assert_int_not_equal(clef_param_info(1, &name, &type, &kind, &doc), CLEF_OK);
    double lo, hi;
    assert_int_equal(clef_param_bounds(CLEF_P_COHORT_N_PATIENTS, &lo, &hi), CLEF_OK);
    assert_true(lo == 1.0 && hi == 10000000.0);
    /* kind 1 (core) no longer exists */
    clef_params *r = (clef_params *)0x1;
    assert_int_equal(clef_params_create(&r, ctx, 1), CLEF_ERR_INVALID_ARG);
    assert_null(r);
    clef_params_free(p);
    clef_params_free(NULL);
    clef_ctx_free(ctx);
}

static clef_status oom_params_body(clef_ctx *ctx, void *arg) {
    (void)arg;
    clef_params *p, *q;
    clef_status rc = clef_params_create(&p, ctx, CLEF_PARAMS_COHORT);
    if (rc != CLEF_OK)
        return rc;
    rc = clef_params_clone(&q, p);
    clef_params_free(p);
    if (rc == CLEF_OK)
        clef_params_free(q);
    return rc;
}

static void test_params_oom(void **state) {
    (void)state;
    long n = test_oom_sweep(oom_params_body, NULL, 0);
    assert_true(n >= 2);
}

/* The one RNG: splitmix64's published first outputs from state 0 (Vigna's splitmix64.c), and
 * the stateless draws pinned, since training, cohorts and bootstrap intervals replay them. */
static void test_rng(void **state) {
    (void)state;
    uint64_t s = 0;
    assert_true(clefi_splitmix64(&s) == UINT64_C(0xe220a8397b1dcdaf));
    assert_true(clefi_splitmix64(&s) == UINT64_C(0x6e789e6aa1b965f4));
    assert_true(clefi_splitmix64(&s) == UINT64_C(0x06c45d188009454f));
    assert_true(clefi_rng_u64(0, 0) == UINT64_C(0xf6c78eb1892a7202));
    assert_true(clefi_rng_u64(7, 42) == UINT64_C(0x3c80db7af6754c4d));
    s = 1;
    for (int i = 0; i < 1000; i++)
        assert_true(clefi_rand_below(&s, 3) < 3);
    assert_true(clefi_rand_below(&s, 1) == 0);
}

/* The instruction sets from cpuid agree with the kernel's view (/proc/cpuinfo flags), an
 * independent reader; the build line names them and the BLAS kernel. */
static int cpuinfo_has(const char *flags, const char *name) {
    size_t n = strlen(name);
    for (const char *p = strstr(flags, name); p != NULL; p = strstr(p + 1, name))
        if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
            return 1;
    return 0;
}

static void test_cpu_isa(void **state) {
    (void)state;
    const char *isa = clef_cpu_isa();
    assert_non_null(isa);
    assert_non_null(strstr(clef_build_info(), isa));
    assert_non_null(strstr(clef_build_info(), clef_blas_kernel()));
    /* the first "flags" line of /proc/cpuinfo (a proc file reports size 0: read it by line) */
    FILE *f = strstr(isa, "x86-64") != NULL ? fopen("/proc/cpuinfo", "r") : NULL;
    if (f == NULL)
        skip();
    char *info = malloc(65536), *flags = NULL;
    assert_non_null(info);
    while (flags == NULL && fgets(info, 65536, f) != NULL)
        if (strncmp(info, "flags", 5) == 0)
            flags = info;
    fclose(f);
    assert_non_null(flags);
    static const struct {
        const char *proc, *ours;
    } k_pairs[] = {{"avx2", " AVX2"},
                   {"fma", " FMA"},
                   {"avx512f", " AVX-512F"},
                   {"avx512bw", " AVX-512BW"},
                   {"avx512vl", " AVX-512VL"},
                   {"avx512dq", " AVX-512DQ"},
                   {"avx512vbmi", " AVX-512VBMI"},
                   {"avx512_bf16", " AVX-512BF16"},
                   {"amx_tile", " AMX"}};
    for (size_t i = 0; i < sizeof k_pairs / sizeof k_pairs[0]; i++) {
        int want = cpuinfo_has(flags, k_pairs[i].proc), got = strstr(isa, k_pairs[i].ours) != NULL;
        if (want != got)
            fprintf(stderr, "%s: /proc/cpuinfo %d, clef_cpu_isa() %d (\"%s\")\n", k_pairs[i].proc,
                    want, got, isa);
        assert_int_equal(want, got);
    }
    free(info);
}

/* The advice names the kernel family that fits the CPU, and only when the kernel is older. */
static void test_blas_advice(void **state) {
    (void)state;
    char buf[400];
    const uint32_t avx512 = CLEFI_ISA_AVX | CLEFI_ISA_AVX2 | CLEFI_ISA_FMA | CLEFI_ISA_AVX512F |
                            CLEFI_ISA_AVX512DQ | CLEFI_ISA_AVX512BW | CLEFI_ISA_AVX512VL,
                   avx2 = CLEFI_ISA_AVX | CLEFI_ISA_AVX2 | CLEFI_ISA_FMA;
    const char *m = clefi_blas_advice("Prescott", avx512, NULL, buf, sizeof buf);
    assert_non_null(m);
    assert_non_null(strstr(m, "OPENBLAS_CORETYPE=SkylakeX"));
    assert_non_null(strstr(m, "Prescott"));
    m = clefi_blas_advice("Sandybridge", avx2, NULL, buf, sizeof buf);
    assert_non_null(m);
    assert_non_null(strstr(m, "OPENBLAS_CORETYPE=Haswell"));
    assert_null(clefi_blas_advice("Haswell", avx2, NULL, buf, sizeof buf));
    assert_null(clefi_blas_advice("SkylakeX", avx512, NULL, buf, sizeof buf));
    assert_null(clefi_blas_advice("Zen", avx2, NULL, buf, sizeof buf));
    assert_null(clefi_blas_advice("Prescott", CLEFI_ISA_SSE42, NULL, buf, sizeof buf));
    assert_null(
        clefi_blas_advice("SomeFutureCore", avx512, NULL, buf, sizeof buf)); /* no guessing */
    /* set in the environment: the advice names the variable as the cause */
    m = clefi_blas_advice("Haswell", avx512, "Haswell", buf, sizeof buf);
    assert_non_null(m);
    assert_non_null(strstr(m, "OPENBLAS_CORETYPE=Haswell in the environment"));
    assert_non_null(strstr(m, "OPENBLAS_CORETYPE=SkylakeX"));
    assert_null(clefi_blas_advice("SkylakeX", avx512, "SkylakeX", buf, sizeof buf));
}

/* clef_blas_coretype() names the family for the CPU's ISA, and this test process runs it (the
 * tests select it as the clef program does: test_support.c) unless the environment chose. */
static void test_blas_coretype(void **state) {
    (void)state;
    const char *fit = clef_blas_coretype(), *env = getenv("OPENBLAS_CORETYPE"),
               *opt = getenv("CLEF_BLAS_SELECT");
    const uint32_t isa = clefi_cpu_isa(), skx = CLEFI_ISA_AVX512F | CLEFI_ISA_AVX512DQ |
                                                CLEFI_ISA_AVX512BW | CLEFI_ISA_AVX512VL;
    if ((isa & skx) == skx)
        assert_string_equal(fit, "SkylakeX");
    else if ((isa & (CLEFI_ISA_AVX2 | CLEFI_ISA_FMA)) == (CLEFI_ISA_AVX2 | CLEFI_ISA_FMA))
        assert_string_equal(fit, "Haswell");
    if (fit == NULL || (opt != NULL && strcmp(opt, "0") == 0) ||
        (env != NULL && strcasecmp(env, fit) != 0))
        return;
    if (strcasecmp(clef_blas_kernel(), fit) != 0)
        fprintf(stderr, "kernel %s, CPU calls for %s (OPENBLAS_CORETYPE %s)\n", clef_blas_kernel(),
                fit, env != NULL ? env : "unset");
    assert_int_equal(strcasecmp(clef_blas_kernel(), fit), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_ctx_args),
        cmocka_unit_test(test_log_callback),
        cmocka_unit_test(test_allocator_hook),
        cmocka_unit_test(test_ctx_refcount),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_params_oom),
        cmocka_unit_test(test_rng),
        cmocka_unit_test(test_cpu_isa),
        cmocka_unit_test(test_blas_advice),
        cmocka_unit_test(test_blas_coretype),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
