/* cli_text.h — where the clef command finds the frozen text encoder (all-MiniLM-L6-v2):
 * --text DIR, else $CLEF_TEXT_MODEL, else the copy tools/install_deps.sh fetched into the
 * build tree (docs/text-tower.md). DIR holds model.safetensors and vocab.txt. */
#ifndef CLEF_CLI_TEXT_H
#define CLEF_CLI_TEXT_H

#include "clef.h"

/* Load it; 0, or an exit code after a message naming the directory and how to get one. */
int cli_text_encoder(clef_ctx *ctx, const char *dir, clef_text_encoder **out);

/* 0 when the aligner was trained on the encoder of hash enc_hash (or does not say), else an
 * exit code after a message naming both. */
int cli_aligner_matches(const clef_aligner *al, const char *enc_hash, const char *al_path);

#endif
