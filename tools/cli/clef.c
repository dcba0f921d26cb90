/* clef.c — the clef command-line program. Uses only the public API in clef.h.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Subcommands are rows of one table; later modules add rows (ingest, spectrogram, tokenize,
 * embed, align, evaluate, report). */
#include <stdio.h>
#include <string.h>

#include "clef.h"

typedef int (*cmd_fn)(int argc, char **argv);

typedef struct command {
    const char *name;
    const char *summary;
    cmd_fn run;
} command;

static int cmd_version(int argc, char **argv);
static int cmd_build_info(int argc, char **argv);

static const command k_commands[] = {
    {"version", "print the library version and ABI version", cmd_version},
    {"build-info", "print compiler and linked dependency versions", cmd_build_info},
};
#define N_COMMANDS (sizeof k_commands / sizeof k_commands[0])

static void usage(FILE *f) {
    fprintf(f,
            "usage: clef [--version] [--help] <command> [<args>]\n\n"
            "libclef %s: clinical EEG foundation model (CLEF).\n\ncommands:\n",
            clef_version());
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-12s %s\n", k_commands[i].name, k_commands[i].summary);
    fprintf(f, "\nRun 'clef <command> --help' for a command's options.\n");
}

static int wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

static int cmd_version(int argc, char **argv) {
    if (wants_help(argc, argv)) {
        printf("usage: clef version\n");
        return 0;
    }
    printf("clef %s (abi %d, %s)\n", clef_version(), (int)clef_abi_version(), clef_source_id());
    return 0;
}

static int cmd_build_info(int argc, char **argv) {
    if (wants_help(argc, argv)) {
        printf("usage: clef build-info\n");
        return 0;
    }
    printf("%s\n", clef_build_info());
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
        return cmd_version(1, argv);
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], k_commands[i].name) == 0)
            return k_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "clef: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
