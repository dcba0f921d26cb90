/* models.c — where the shipped default models live (docs/models.md): $CLEF_MODELS_DIR, else
 * the models directory installed with this libclef (share/clef/models), else the source tree
 * it was built from (an uninstalled build). SPDX-License-Identifier: BSD-3-Clause */
#define _POSIX_C_SOURCE 200809L
#include "clef.h"
#include "core_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef CLEF_INSTALL_MODELS_DIR
#define CLEF_INSTALL_MODELS_DIR ""
#endif
#ifndef CLEF_SOURCE_MODELS_DIR
#define CLEF_SOURCE_MODELS_DIR ""
#endif

static const char *file_of(int32_t which) {
    switch (which) {
    case CLEF_MODEL_TOKENIZER:
        return "tokenizer.safetensors";
    case CLEF_MODEL_ENCODER:
        return "encoder.safetensors";
    case CLEF_MODEL_ALIGNER:
        return "aligner.safetensors";
    case CLEF_MODEL_ENCODER_PRETRAINED:
        return "encoder-pretrained.safetensors";
    default:
        return NULL;
    }
}

static int is_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

clef_status clef_default_model_path(clef_ctx *ctx, int32_t which, char *buf, size_t cap,
                                    size_t *needed) {
    clefi_reset(ctx);
    if (needed != NULL)
        *needed = 0;
    const char *file = file_of(which);
    if (ctx == NULL || file == NULL || (buf == NULL && cap > 0))
        return ctx ? clefi_ctx_error(ctx, CLEF_ERR_INVALID_ARG,
                                     "clef_default_model_path: bad argument (model %d)", (int)which)
                   : CLEF_ERR_INVALID_ARG;
    const char *env = getenv("CLEF_MODELS_DIR");
    const char *dirs[3] = {env != NULL && env[0] ? env : NULL, CLEF_INSTALL_MODELS_DIR,
                           CLEF_SOURCE_MODELS_DIR};
    char path[4096];
    for (int i = 0; i < 3; i++) {
        if (dirs[i] == NULL || dirs[i][0] == '\0')
            continue;
        int k = snprintf(path, sizeof path, "%s/%s", dirs[i], file);
        if (k < 0 || (size_t)k >= sizeof path || !is_file(path))
            continue;
        if (needed != NULL)
            *needed = (size_t)k + 1;
        if (cap < (size_t)k + 1)
            return clefi_ctx_error(ctx, CLEF_ERR_BUFFER_TOO_SMALL,
                                   "clef_default_model_path: %d bytes, room for %zu", k + 1, cap);
        memcpy(buf, path, (size_t)k + 1);
        return CLEF_OK;
    }
    return clefi_ctx_error(ctx, CLEF_ERR_NOT_FOUND,
                           "no default %s: looked in $CLEF_MODELS_DIR (%s), %s and %s "
                           "(docs/models.md: tools/train_default_models.sh rebuilds them)",
                           file, env != NULL ? env : "unset",
                           CLEF_INSTALL_MODELS_DIR[0] ? CLEF_INSTALL_MODELS_DIR : "(no install)",
                           CLEF_SOURCE_MODELS_DIR[0] ? CLEF_SOURCE_MODELS_DIR : "(no source)");
}

clef_status clefi_model_path_or_default(clef_ctx *ctx, const char *path, int32_t which, char *buf,
                                        size_t cap, const char **out) {
    if (path != NULL) {
        *out = path;
        return CLEF_OK;
    }
    clef_status rc = clef_default_model_path(ctx, which, buf, cap, NULL);
    *out = rc == CLEF_OK ? buf : NULL;
    return rc;
}
