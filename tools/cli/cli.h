/* cli.h — shared declarations of the clef command-line program. */
#ifndef CLEF_CLI_H
#define CLEF_CLI_H

#include <stdio.h>

#include "clef.h"

#define X(name, fn, summary) int fn(int argc, char **argv);
#include "commands.def"
#undef X

/* 1 if argv holds --help or -h. */
int cli_wants_help(int argc, char **argv);
/* Print "clef: <what>: <status text>: <detail>" to stderr; returns 1 (the exit code). */
int cli_fail(const char *what, clef_status rc, const char *detail);

#endif
