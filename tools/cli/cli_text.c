/* cli_text.c — the text encoder's location for the clef command (cli_text.h). */
#include "cli_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef CLEF_CLI_DEFAULT_TEXT_MODEL
#define CLEF_CLI_DEFAULT_TEXT_MODEL "build/minilm"
#endif

int cli_text_encoder(clef_ctx *ctx, const char *dir, clef_text_encoder **out) {
    *out = NULL;
    if (dir == NULL)
        dir = getenv("CLEF_TEXT_MODEL");
    if (dir == NULL || dir[0] == '\0')
        dir = CLEF_CLI_DEFAULT_TEXT_MODEL;
    char w[4096], v[4096];
    snprintf(w, sizeof w, "%s/model.safetensors", dir);
    snprintf(v, sizeof v, "%s/vocab.txt", dir);
    clef_status rc = clef_text_encoder_load(out, ctx, w, v, 0);
    if (rc == CLEF_OK)
        return 0;
    fprintf(stderr,
            "clef: no text encoder in %s (all-MiniLM-L6-v2: model.safetensors + vocab.txt; "
            "bash tools/install_deps.sh fetches it; or give --text DIR / set CLEF_TEXT_MODEL)\n",
            dir);
    return cli_fail(w, rc, clef_ctx_errmsg(ctx));
}

int cli_aligner_matches(const clef_aligner *al, const char *enc_hash, const char *al_path) {
    char sha[65] = "";
    if (clef_aligner_encoder_sha256(al, sha, sizeof sha, NULL) != CLEF_OK || sha[0] == '\0' ||
        strcmp(sha, enc_hash) == 0)
        return 0;
    fprintf(stderr,
            "clef: %s was trained on the embeddings of encoder %.12s..., not of this one "
            "(%.12s...): use that encoder\n",
            al_path, sha, enc_hash);
    return cli_fail(al_path, CLEF_ERR_INVALID_ARG, "aligner and encoder do not belong together");
}
