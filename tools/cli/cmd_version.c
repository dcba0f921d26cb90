/* cmd_version.c — clef version, clef build-info. */
#include "cli.h"

int cmd_version(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        printf("usage: clef version\n\nPrint the package version, ABI version and source id.\n");
        return 0;
    }
    printf("clef %s (abi %d, %s)\n", clef_version(), (int)clef_abi_version(), clef_source_id());
    return 0;
}

int cmd_build_info(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        printf("usage: clef build-info\n\nPrint the compiler and the versions of the libraries "
               "libclef is linked with.\n");
        return 0;
    }
    printf("%s\n", clef_build_info());
    return 0;
}
