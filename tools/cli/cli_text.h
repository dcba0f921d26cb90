/* cli_text.h — where the clef command finds the frozen text encoder (all-MiniLM-L6-v2):
 * --text DIR, else $CLEF_TEXT_MODEL, else the copy tools/install_deps.sh fetched into the
 * build tree (docs/text-tower.md). DIR holds model.safetensors and vocab.txt. */
#ifndef CLEF_CLI_TEXT_H
#define CLEF_CLI_TEXT_H

#include "clef.h"

/* Load it; 0, or an exit code after a message naming the directory and how to get one. */
int cli_text_encoder(clef_ctx *ctx, const char *dir, clef_text_encoder **out);

#endif
