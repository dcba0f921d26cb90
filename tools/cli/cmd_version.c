/* cmd_version.c — clef version, clef build-info. */
#include "cli.h"

/* Both take no arguments: only --help, and usage errors for anything else. */
static int no_args(const char *name, const char *usage, int argc, char **argv) {
    static const cli_opt opts[] = {CLI_END};
    const cli_cmd cmd = {name, usage, opts};
    int code = 0;
    return cli_parse(&cmd, argc, argv, &code) != 0 ? code : -1;
}

int cmd_version(int argc, char **argv) {
    int code = no_args("version",
                       "usage: clef version\n\nPrint the package version, ABI version and "
                       "source id.\n",
                       argc, argv);
    if (code >= 0)
        return code;
    printf("clef %s (abi %d, %s)\n", clef_version(), (int)clef_abi_version(), clef_source_id());
    return 0;
}

int cmd_build_info(int argc, char **argv) {
    int code = no_args("build-info",
                       "usage: clef build-info\n\nPrint the compiler, the versions of the "
                       "libraries libclef is linked with, the CPU's instruction sets and the "
                       "BLAS kernel in use (with a warning when it is older than the CPU).\n",
                       argc, argv);
    if (code >= 0)
        return code;
    printf("%s\n", clef_build_info());
    const char *fit = clef_blas_coretype();
    printf("cpu: %s\nblas kernel: %s (fits this cpu: %s)\n", clef_cpu_isa(), clef_blas_kernel(),
           fit != NULL ? fit : "none known");
    fflush(stdout);
    clef_ctx *ctx = NULL; /* the kernel advice, if any, comes through the log callback */
    if (clef_ctx_create(&ctx) == CLEF_OK)
        clef_ctx_set_log(ctx, CLEF_LOG_WARN, cli_log_stderr, NULL);
    clef_ctx_free(ctx);
    return 0;
}
