/* cli_args.c — the one argument parser of every clef subcommand (rules in cli_args.h). */
#define _POSIX_C_SOURCE 200809L
#include "cli_args.h"

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "clef %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

/* main() sets the user's locale; numbers for machines use the "C" one, on this thread only, for
 * the length of one call (NULL: newlocale failed, the user's locale stays). */
static locale_t c_locale_enter(void) {
    static locale_t c = (locale_t)0;
    if (c == (locale_t)0)
        c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    return c != (locale_t)0 ? uselocale(c) : (locale_t)0;
}

static void c_locale_leave(locale_t old) {
    if (old != (locale_t)0)
        uselocale(old);
}

int cli_fprintf_c(FILE *f, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    locale_t old = c_locale_enter();
    int n = vfprintf(f, fmt, ap);
    c_locale_leave(old);
    va_end(ap);
    return n;
}

int cli_snprintf_c(char *buf, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    locale_t old = c_locale_enter();
    int n = vsnprintf(buf, cap, fmt, ap);
    c_locale_leave(old);
    va_end(ap);
    return n;
}

/* strtod over the whole of s (decimal only): 0, or -1 (empty, a leading blank, hex, trailing
 * characters). */
static int whole_double(const char *s, double *x) {
    if (s[0] == '\0' || isspace((unsigned char)s[0]) || strpbrk(s, "xX") != NULL)
        return -1;
    char *end = NULL;
    locale_t old = c_locale_enter();
    *x = strtod(s, &end);
    c_locale_leave(old);
    return *end == '\0' ? 0 : -1;
}

int cli_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out, char *why, size_t cap) {
    enum { OK, NOT_INT, RANGE } st = NOT_INT;
    long long v = 0;
    double x = 0.0;
    char *end = NULL;
    if (s[0] != '\0' && !isspace((unsigned char)s[0])) {
        errno = 0;
        v = strtoll(s, &end, 10);
        if (end != s && *end == '\0')
            st = errno == ERANGE ? RANGE : OK;
        else if (whole_double(s, &x) == 0 && isfinite(x) && x == floor(x)) { /* "1e3" */
            st = fabs(x) < 9.2e18 ? OK : RANGE;
            v = st == OK ? (long long)x : 0;
        }
    }
    if (st == OK && (v < lo || v > hi))
        st = RANGE;
    if (st == NOT_INT)
        snprintf(why, cap, "\"%s\" is not an integer", s);
    else if (st == RANGE && hi == INT64_MAX)
        snprintf(why, cap, "\"%s\" is not >= %lld", s, (long long)lo);
    else if (st == RANGE)
        snprintf(why, cap, "\"%s\" is outside [%lld, %lld]", s, (long long)lo, (long long)hi);
    else
        *out = (int64_t)v;
    return st == OK ? 0 : -1;
}

int cli_parse_f64(const char *s, double lo, double hi, double *out, char *why, size_t cap) {
    double x = 0.0;
    if (whole_double(s, &x) != 0) {
        snprintf(why, cap, "\"%s\" is not a number", s);
        return -1;
    }
    if (!isfinite(x)) {
        snprintf(why, cap, "\"%s\" is not a finite number", s);
        return -1;
    }
    if (x < lo || x > hi) {
        if (isinf(hi))
            snprintf(why, cap, "\"%s\" is not >= %g", s, lo);
        else
            snprintf(why, cap, "\"%s\" is outside [%g, %g]", s, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

static int is_positional(const cli_opt *o) { return o->name[0] != '-'; }

/* v is one of "a|b|c". */
static int one_of(const char *v, const char *choices) {
    size_t n = strlen(v);
    for (const char *c = choices; c != NULL; c = strchr(c, '|')) {
        c += *c == '|';
        if (strncmp(c, v, n) == 0 && (c[n] == '|' || c[n] == '\0'))
            return 1;
    }
    return 0;
}

/* Store value v into o's destination; 0, or 2 after printing the reason (flag: the option as
 * written, for the message). */
static int store(const char *cmd, const cli_opt *o, const char *flag, const char *v) {
    char why[160];
    switch (o->type) {
    case CLI_T_STR:
        if (o->choices != NULL && !one_of(v, o->choices))
            return cli_usage_error(cmd, "%s: \"%s\" is not one of %s", flag, v, o->choices);
        *(const char **)o->dst = v;
        return 0;
    case CLI_T_I64:
        if (cli_parse_i64(v, o->ilo, o->ihi, o->dst, why, sizeof why) != 0)
            return cli_usage_error(cmd, "%s: %s", flag, why);
        return 0;
    case CLI_T_F64:
        if (cli_parse_f64(v, o->flo, o->fhi, o->dst, why, sizeof why) != 0)
            return cli_usage_error(cmd, "%s: %s", flag, why);
        return 0;
    case CLI_T_STRS: {
        cli_list *l = o->dst;
        if (l->n >= l->cap)
            return cli_usage_error(cmd, "%s: \"%s\": at most %d values", flag, v, l->cap);
        l->v[l->n++] = v;
        return 0;
    }
    default:
        *(int *)o->dst = 1;
        return 0;
    }
}

/* The option named by a (up to '=' when eq is set), or NULL. */
static const cli_opt *find(const cli_opt *opts, const char *a, const char *eq) {
    size_t n = eq != NULL ? (size_t)(eq - a) : strlen(a);
    for (const cli_opt *o = opts; o->type != CLI_T_END; o++) {
        if (is_positional(o))
            continue;
        if ((strncmp(o->name, a, n) == 0 && o->name[n] == '\0') ||
            (o->alias != NULL && strncmp(o->alias, a, n) == 0 && o->alias[n] == '\0'))
            return o;
    }
    return NULL;
}

static int wants_help(int argc, char **argv) {
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

/* Positional number k (counting from 0) goes to the k-th positional entry, or to the list. */
static int positional(const cli_cmd *cmd, const char *a, int k) {
    const cli_opt *list = NULL;
    for (const cli_opt *o = cmd->opts; o->type != CLI_T_END; o++) {
        if (!is_positional(o))
            continue;
        if (o->type == CLI_T_STRS)
            list = o;
        else if (k-- == 0)
            return store(cmd->name, o, o->name, a);
    }
    if (list != NULL)
        return store(cmd->name, list, list->name, a);
    return cli_usage_error(cmd->name, "\"%s\": unexpected argument (see clef %s --help)", a,
                           cmd->name);
}

/* A required option or positional that is still unset. */
static int missing(const cli_cmd *cmd, const int *given) {
    int i = 0;
    for (const cli_opt *o = cmd->opts; o->type != CLI_T_END; o++, i++) {
        int absent = o->type == CLI_T_STRS ? ((cli_list *)o->dst)->n == 0 : !given[i];
        if (o->required && absent)
            return cli_usage_error(cmd->name, "%s: missing (see clef %s --help)", o->name,
                                   cmd->name);
    }
    return 0;
}

int cli_parse(const cli_cmd *cmd, int argc, char **argv, int *exit_code) {
    if (wants_help(argc, argv)) {
        fputs(cmd->usage, stdout);
        *exit_code = 0;
        return 1;
    }
    int given[CLI_MAX_OPTS] = {0}, n_pos = 0, rc = 0, options = 1, n_opts = 0;
    while (cmd->opts[n_opts].type != CLI_T_END)
        n_opts++;
    if (n_opts > CLI_MAX_OPTS) {
        *exit_code = cli_usage_error(cmd->name, "more than %d options in its table", CLI_MAX_OPTS);
        return 1;
    }
    for (int i = 1; rc == 0 && i < argc; i++) {
        const char *a = argv[i];
        if (options && strcmp(a, "--") == 0) {
            options = 0;
            continue;
        }
        if (!options || a[0] != '-' || a[1] == '\0') {
            rc = positional(cmd, a, n_pos++);
            continue;
        }
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        const cli_opt *o = find(cmd->opts, a, eq);
        if (o == NULL) {
            rc = cli_usage_error(cmd->name, "%.*s: unknown option (see clef %s --help)",
                                 eq != NULL ? (int)(eq - a) : (int)strlen(a), a, cmd->name);
            continue;
        }
        given[o - cmd->opts] = 1;
        if (o->type == CLI_T_FLAG) {
            rc = eq != NULL ? cli_usage_error(cmd->name, "%s: takes no value", o->name)
                            : store(cmd->name, o, a, NULL);
        } else if (eq != NULL) {
            rc = store(cmd->name, o, o->name, eq + 1);
        } else if (i + 1 >= argc) {
            rc = cli_usage_error(cmd->name, "%s: missing value", a);
        } else {
            rc = store(cmd->name, o, a, argv[++i]);
        }
    }
    /* positionals: given[] marks them by their place among the entries */
    int k = 0, i = 0;
    for (const cli_opt *o = cmd->opts; o->type != CLI_T_END; o++, i++)
        if (is_positional(o) && o->type != CLI_T_STRS)
            given[i] = k++ < n_pos;
    if (rc == 0)
        rc = missing(cmd, given);
    *exit_code = rc;
    return rc != 0;
}

void cli_param_opts(const cli_param_flag *flags, size_t n, cli_param_val *vals, cli_opt *opts,
                    size_t *k) {
    for (size_t i = 0; i < n; i++) {
        double lo = 0.0, hi = 0.0;
        clef_param_bounds(flags[i].key, &lo, &hi);
        vals[i] = (cli_param_val){INT64_MIN, NAN};
        opts[(*k)++] = flags[i].f64
                           ? (cli_opt)CLI_F64(flags[i].flag, &vals[i].f, lo, hi)
                           : (cli_opt)CLI_I64(flags[i].flag, &vals[i].i, (int64_t)lo, (int64_t)hi);
    }
}

int cli_param_given(const cli_param_flag *f, const cli_param_val *v) {
    return f->f64 ? !isnan(v->f) : v->i != INT64_MIN;
}

int cli_param_apply(const char *cmd, const cli_param_flag *flags, size_t n,
                    const cli_param_val *vals, clef_params *const *sets) {
    for (size_t i = 0; i < n; i++) {
        if (!cli_param_given(&flags[i], &vals[i]))
            continue;
        clef_params *ps = sets[flags[i].set];
        clef_status rc = flags[i].f64 ? clef_params_set_f64(ps, flags[i].key, vals[i].f)
                                      : clef_params_set_i64(ps, flags[i].key, vals[i].i);
        if (rc != CLEF_OK)
            return cli_usage_error(cmd, "%s: %s", flags[i].flag, clef_params_errmsg(ps));
    }
    return 0;
}
