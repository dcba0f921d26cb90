/* version.c — the smallest libclef program: check the runtime library against the header and
 * show how errors are reported. */
#include <stdio.h>

#include "clef.h"

int main(void) {
    if (clef_abi_version() != CLEF_ABI_VERSION) {
        fprintf(stderr, "libclef ABI %d does not match header ABI %d\n", (int)clef_abi_version(),
                CLEF_ABI_VERSION);
        return 1;
    }
    printf("libclef %s\n%s\n", clef_version(), clef_build_info());

    clef_ctx *ctx = NULL;
    clef_status rc = clef_ctx_create(&ctx);
    if (rc != CLEF_OK) {
        fprintf(stderr, "clef_ctx_create: %s\n", clef_strerror(rc));
        return 1;
    }
    clef_session *s = NULL;
    rc = clef_session_create(&s, ctx, 0); /* deliberately invalid: a session needs >= 1 thread */
    printf("session_create(0 threads) -> %s: %s\n", clef_strerror(rc), clef_ctx_errmsg(ctx));
    clef_session_free(s);
    clef_ctx_free(ctx);
    return 0;
}
