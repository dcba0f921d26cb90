/* c_reference.c — values computed by the C library directly, for the bindings' parity tests
 * (bindings/python/tests, bindings/r/tests): one "key<TAB>value" line each, doubles as %.17g
 * so that both bindings must reproduce them bit for bit.
 * SPDX-License-Identifier: BSD-3-Clause */
#include <clef.h>
#include <stdio.h>

#include "cli_blas.h"

/* A host program's one step (docs/NN.md): the kernel family the clef program and the bindings
 * run, so that build_info, and anything computed by GEMM, agree. */
int main(int argc, char **argv) {
    (void)argc;
    cli_blas_select(argv);
    printf("version\t%s\n", clef_version());
    printf("version_number\t%d\n", (int)clef_version_number());
    printf("abi_version\t%d\n", (int)clef_abi_version());
    printf("build_info\t%s\n", clef_build_info());
    printf("blas_kernel\t%s\n", clef_blas_kernel());
    printf("source_id\t%s\n", clef_source_id());
    for (int s = -15; s <= 1; s++)
        printf("strerror.%d\t%s\n", s, clef_strerror(s));
    /* every parameter key libclef knows: metadata, bounds and defaults */
    clef_ctx *ctx = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return 1;
    printf("param_keys\t");
    int first = 1;
    for (int32_t k = 1; k < 2000; k++) {
        const char *name;
        int32_t type, kind;
        if (clef_param_info(k, &name, &type, &kind, NULL) == CLEF_OK) {
            printf(first ? "%d" : ",%d", (int)k);
            first = 0;
        }
    }
    printf("\n");
    for (int32_t k = 1; k < 2000; k++) {
        const char *name, *doc;
        int32_t type, kind;
        double lo, hi;
        if (clef_param_info(k, &name, &type, &kind, &doc) != CLEF_OK)
            continue;
        printf("param.%d.name\t%s\nparam.%d.type\t%d\nparam.%d.kind\t%d\nparam.%d.doc\t%s\n",
               (int)k, name, (int)k, (int)type, (int)k, (int)kind, (int)k, doc);
        if (clef_param_bounds(k, &lo, &hi) == CLEF_OK)
            printf("param.%d.min\t%.17g\nparam.%d.max\t%.17g\n", (int)k, lo, (int)k, hi);
        clef_params *p = NULL;
        if (clef_params_create(&p, ctx, kind) != CLEF_OK)
            return 1;
        int64_t i64;
        double f64;
        const char *str;
        if (type == CLEF_PARAM_I64 && clef_params_get_i64(p, k, &i64) == CLEF_OK)
            printf("param.%d.default\t%lld\n", (int)k, (long long)i64);
        else if (type == CLEF_PARAM_F64 && clef_params_get_f64(p, k, &f64) == CLEF_OK)
            printf("param.%d.default\t%.17g\n", (int)k, f64);
        else if (type == CLEF_PARAM_STR && clef_params_get_str(p, k, &str) == CLEF_OK)
            printf("param.%d.default\t%s\n", (int)k, str != NULL ? str : "(null)");
        clef_params_free(p);
    }
    clef_ctx_free(ctx);
    return 0;
}
