// clef.h must compile on its own as C++ and give C linkage.
#include "clef.h"

int main() {
    clef_ctx *ctx = nullptr;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return 1;
    clef_ctx_free(ctx);
    return clef_abi_version() == CLEF_ABI_VERSION ? 0 : 1;
}
