/* cli.h — shared declarations of the clef command-line program. */
#ifndef CLEF_CLI_H
#define CLEF_CLI_H

#include <stdio.h>

#include "clef.h"
#include "cli_args.h"
#include "cli_progress.h"

#define X(name, fn, summary) int fn(int argc, char **argv);
#include "commands.def"
#undef X

/* A runtime failure: "clef: <what>: <status text>: <detail>" on stderr; returns 1, its exit
 * code (usage errors exit 2: cli_parse, cli_usage_error). */
/* A log callback printing "clef: <message>" on stderr. */
void cli_log_stderr(int32_t level, const char *msg, void *user);

int cli_fail(const char *what, clef_status rc, const char *detail);

#endif
