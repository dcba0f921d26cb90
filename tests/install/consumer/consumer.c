/* An out-of-tree program built against an installed libclef. */
#include <clef.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    if (clef_abi_version() != CLEF_ABI_VERSION || strcmp(clef_version(), CLEF_VERSION_STRING))
        return 1;
    clef_ctx *ctx = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return 1;
    clef_ctx_free(ctx);
    printf("consumer linked libclef %s\n", clef_version());
    return 0;
}
