/* cli_args.h — the one argument parser of every clef subcommand.
 *
 * Rules (the same in every subcommand; tests/cli checks them):
 *   --help or -h anywhere: the usage text on stdout, exit 0;
 *   an unknown option, a missing value or argument, a malformed or out-of-range number, a value
 *   outside a list of choices: ONE line on stderr naming the option and the value, exit 2
 *     clef train-tokenizer: --lr: "abc" is not a number
 *   runtime failures (files, library calls) exit 1 (cli_fail in cli.h);
 *   -o and --out are the same option (CLI_OUT) wherever a command writes an output.
 * Accepted forms: "--name value", "--name=value", "-o value"; "--" ends the options.
 *
 * Adopting it in a subcommand (e.g. train-tokenizer):
 *
 *     int64_t steps = 2000;
 *     double lr = 1e-3;
 *     const char *dir = NULL, *out = NULL, *fit[8];
 *     int quiet = 0;
 *     cli_list fits = {fit, 0, 8};
 *     const cli_opt opts[] = {
 *         CLI_POS("COHORT_DIR", &dir, 0),         // positionals, in order; 1 = required
 *         CLI_OUT(&out, 1),                       // -o/--out, required
 *         CLI_I64("--steps", &steps, 1, 100000000),
 *         CLI_F64("--lr", &lr, 0.0, 1.0),         // finite, in [lo, hi]
 *         CLI_STRS("--mean-fit", &fits),          // repeatable, at most fits.cap times
 *         CLI_FLAG("--quiet", "-q", &quiet),
 *         CLI_END};
 *     const cli_cmd cmd = {"train-tokenizer", k_usage, opts};
 *     int code;
 *     if (cli_parse(&cmd, argc, argv, &code) != 0)
 *         return code;                            // 0 after --help, 2 after a usage error
 *
 * Destinations keep their values when an option is absent, so defaults are the initialisers;
 * "not given" is a default outside the option's range (e.g. -1 with range [0, 1]). Checks across
 * options (one of two given, ...) use cli_usage_error (one line, returns 2). Every subcommand
 * parses with this; tests/cli/test_cli_table.sh checks each. */
#ifndef CLEF_CLI_ARGS_H
#define CLEF_CLI_ARGS_H

#include <clef.h>

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

typedef enum cli_type {
    CLI_T_END,  /* ends a table */
    CLI_T_FLAG, /* no value: *(int *)dst = 1 */
    CLI_T_STR,  /* *(const char **)dst = value (one of choices "a|b|c" if set) */
    CLI_T_I64,  /* *(int64_t *)dst: integer (or a float such as 1e3 with an integer value) */
    CLI_T_F64,  /* *(double *)dst: finite number */
    CLI_T_STRS  /* repeatable: appended to the cli_list at dst */
} cli_type;

/* A repeatable option's or a variadic positional's values (pointers into argv). */
typedef struct cli_list {
    const char **v;
    int n, cap;
} cli_list;

typedef struct cli_opt {
    const char *name;  /* "--lr"; a name without a leading '-' is a positional ("FILE") */
    const char *alias; /* a second spelling ("-o"), or NULL */
    cli_type type;
    void *dst;           /* see cli_type */
    int64_t ilo, ihi;    /* CLI_T_I64: inclusive range */
    double flo, fhi;     /* CLI_T_F64: inclusive range */
    const char *choices; /* CLI_T_STR: "a|b|c", or NULL for any value */
    int required;        /* absent: "clef CMD: NAME: missing (see clef CMD --help)", exit 2 */
} cli_opt;

#define CLI_FLAG(name, alias, dst)                                                                 \
    { name, alias, CLI_T_FLAG, dst, 0, 0, 0, 0, NULL, 0 }
#define CLI_STR(name, alias, dst, req)                                                             \
    { name, alias, CLI_T_STR, dst, 0, 0, 0, 0, NULL, req }
#define CLI_CHOICE(name, dst, choices)                                                             \
    { name, NULL, CLI_T_STR, dst, 0, 0, 0, 0, choices, 0 }
#define CLI_I64(name, dst, lo, hi)                                                                 \
    { name, NULL, CLI_T_I64, dst, lo, hi, 0, 0, NULL, 0 }
#define CLI_F64(name, dst, lo, hi)                                                                 \
    { name, NULL, CLI_T_F64, dst, 0, 0, lo, hi, NULL, 0 }
#define CLI_STRS(name, list)                                                                       \
    { name, NULL, CLI_T_STRS, list, 0, 0, 0, 0, NULL, 0 }
/* The output path: -o and --out everywhere. */
#define CLI_OUT(dst, req) CLI_STR("--out", "-o", dst, req)
/* A positional argument (in table order) and a variadic one (the rest, after the others). */
#define CLI_POS(name, dst, req)  CLI_STR(name, NULL, dst, req)
#define CLI_POS_LIST(name, list) CLI_STRS(name, list)
#define CLI_END                                                                                    \
    { NULL, NULL, CLI_T_END, NULL, 0, 0, 0, 0, NULL, 0 }

#define CLI_MAX_OPTS 96 /* entries of one table */

typedef struct cli_cmd {
    const char *name;    /* "synth": messages start "clef synth: " */
    const char *usage;   /* printed by --help */
    const cli_opt *opts; /* ends with CLI_END */
} cli_cmd;

/* Parse argv[1..argc) (argv[0] is the command name). Returns 0 to go on, or 1 with *exit_code
 * set: 0 after --help (usage printed on stdout), 2 after a usage error (one line on stderr).
 * A CLI_T_STRS positional collects into its list, which must have room (cap) for argc values. */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, int *exit_code);

/** fprintf with '.' as the decimal point whatever the user's locale: for every number written
 *  for machines (CSV, JSON). Human-readable output may follow the locale. */
int cli_fprintf_c(FILE *f, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/** snprintf with '.' as the decimal point: for text drawn into pictures, whose font has no
 *  decimal comma. */
int cli_snprintf_c(char *buf, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Print "clef CMD: <message>" on stderr (one line); returns 2, the usage-error exit code. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Numeric options that are library parameters: the range of each comes from the parameter table
 * (clef_param_bounds), so the CLI refuses what the library would, naming the flag. */
typedef struct cli_param_flag {
    const char *flag; /* "--lr" */
    int set;          /* index into the command's clef_params sets */
    int32_t key;      /* CLEF_P_... */
    int f64;          /* 1: a real number, 0: an integer */
} cli_param_flag;

/* One value slot per flag; "not given" is outside every range (INT64_MIN, NaN). */
typedef struct cli_param_val {
    int64_t i;
    double f;
} cli_param_val;

/* Append one option per flag to opts at *k (room for n more), values in vals. */
void cli_param_opts(const cli_param_flag *flags, size_t n, cli_param_val *vals, cli_opt *opts,
                    size_t *k);
/* 1 if the user gave flag i. */
int cli_param_given(const cli_param_flag *f, const cli_param_val *v);
/* Put every given value into sets[flag.set]; returns 0, or 2 after a usage error that names
 * the flag and the library's reason. */
int cli_param_apply(const char *cmd, const cli_param_flag *flags, size_t n,
                    const cli_param_val *vals, clef_params *const *sets);

/* Numbers as cli_parse reads them: the whole string, in [lo, hi]. Return 0, or -1 with why set
 * to e.g. "\"12x\" is not an integer" / "\"0\" is outside [1, 256]". */
int cli_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out, char *why, size_t cap);
int cli_parse_f64(const char *s, double lo, double hi, double *out, char *why, size_t cap);

#endif
