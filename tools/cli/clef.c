/* clef.c — the clef command-line program. Uses only the public API in clef.h.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Subcommands are rows of commands.def, each implemented in its own cmd_<name>.c. */
#include <locale.h>
#include <string.h>

#include "cli.h"
#include "cli_blas.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command k_commands[] = {
#define X(name, fn, summary) {name, fn, summary},
#include "commands.def"
#undef X
};
#define N_COMMANDS (sizeof k_commands / sizeof k_commands[0])

static void usage(void) {
    printf("usage: clef [--version] [--help] <command> [<args>]\n\n"
           "libclef %s: clinical EEG foundation model (CLEF).\n\ncommands:\n",
           clef_version());
    for (size_t i = 0; i < N_COMMANDS; i++)
        printf("  %-16s %s\n", k_commands[i].name, k_commands[i].summary);
    printf("\nRun 'clef <command> --help' for a command's options. Exit status: 0 done,\n"
           "1 a runtime failure, 2 a usage error (one line on stderr naming the option).\n");
}

void cli_log_stderr(int32_t level, const char *msg, void *user) {
    (void)level;
    (void)user;
    fprintf(stderr, "clef: %s\n", msg);
}

int cli_fail(const char *what, clef_status rc, const char *detail) {
    fprintf(stderr, "clef: %s: %s%s%s\n", what, clef_strerror(rc),
            detail != NULL && detail[0] ? ": " : "", detail != NULL ? detail : "");
    return 1;
}

int main(int argc, char **argv) {
    cli_blas_select(argv); /* OpenBLAS's kernels for this CPU (may re-exec once; docs/NN.md) */
    /* The user's locale, as a well-behaved program (and most hosts of the library) sets it: the
     * library's files do not change with it (docs/io.md "Locale"), and the numbers this program
     * writes for machines (CSV) or reads from arguments go through cli_fprintf_c/cli_parse_*. */
    setlocale(LC_ALL, "");
    if (argc < 2) {
        fprintf(stderr, "clef: missing command (see clef --help)\n");
        return 2;
    }
    const char *a = argv[1];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0) {
        usage();
        return 0;
    }
    if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0)
        return cmd_version(1, argv);
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(a, k_commands[i].name) == 0)
            return k_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "clef: %s%s%s: unknown %s (see clef --help)\n", a[0] == '-' ? "" : "\"", a,
            a[0] == '-' ? "" : "\"", a[0] == '-' ? "option" : "command");
    return 2;
}
