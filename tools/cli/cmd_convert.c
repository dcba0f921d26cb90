/* cmd_convert.c — clef convert: rewrite a safetensors weights file with its float tensors in
 * another precision (F16 for the shipped default models, docs/models.md), metadata kept or set.
 * Public API only (clef_weights_* reader and writer). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_SET 8

typedef struct cv_opts {
    const char *in, *out, *dtype;
    const char *set[MAX_SET];
    int n_set;
} cv_opts;

static const char k_usage[] =
    "usage: clef convert IN.safetensors -o OUT.safetensors [--dtype f16|bf16|f32]\n"
    "                    [--set-meta KEY=VALUE]...\n\n"
    "Copy a weights file with every float tensor stored as --dtype (f16), rounded to nearest\n"
    "even; other tensors and the metadata are copied as they are, --set-meta replaces or adds\n"
    "one metadata entry (e.g. clef.enc.tokenizer_sha256 after converting the tokenizer). A\n"
    "value outside the dtype's finite range is an error (nothing is written). The loaders\n"
    "widen F16/BF16 back to float32.\n";

static int cv_parse(int argc, char **argv, cv_opts *o, int *code) {
    memset(o, 0, sizeof *o);
    o->dtype = "f16";
    cli_list sets = {o->set, 0, MAX_SET};
    const cli_opt opts[] = {CLI_POS("IN", &o->in, 1), CLI_OUT(&o->out, 1),
                            CLI_STR("--dtype", NULL, &o->dtype, 0), CLI_STRS("--set-meta", &sets),
                            CLI_END};
    const cli_cmd cmd = {"convert", k_usage, opts};
    if (cli_parse(&cmd, argc, argv, code) != 0)
        return 1;
    o->n_set = sets.n;
    for (int i = 0; i < o->n_set; i++)
        if (strchr(o->set[i], '=') == NULL || o->set[i][0] == '=')
            *code = cli_usage_error("convert", "--set-meta: KEY=VALUE");
    if (*code == 0 && strcmp(o->dtype, "f16") != 0 && strcmp(o->dtype, "bf16") != 0 &&
        strcmp(o->dtype, "f32") != 0)
        *code = cli_usage_error("convert", "--dtype: f16, bf16 or f32");
    return *code != 0;
}

static int is_float(int32_t dt) {
    return dt == CLEF_DTYPE_F32 || dt == CLEF_DTYPE_F16 || dt == CLEF_DTYPE_BF16;
}

/* One tensor into the writer: floats converted (range-checked), others copied raw. */
static clef_status copy_tensor(clef_weights *w, clef_weights_writer *wr, int64_t i, int32_t to,
                               char *why, size_t cap) {
    const char *name;
    int32_t dt, rank;
    int64_t numel, shape[16];
    clef_status rc = clef_weights_tensor_info(w, i, &name, &dt, &rank, &numel);
    if (rc == CLEF_OK)
        rc = clef_weights_tensor_shape(w, i, shape, 16, NULL);
    if (rc != CLEF_OK)
        return rc;
    if (!is_float(dt)) {
        size_t n = 0;
        rc = clef_weights_read_raw(w, name, NULL, 0, &n);
        void *buf = malloc(n ? n : 1);
        if (buf == NULL)
            return CLEF_ERR_NOMEM;
        rc = clef_weights_read_raw(w, name, buf, n, &n);
        if (rc == CLEF_OK)
            rc = clef_weights_writer_add_raw(wr, name, dt, shape, rank, buf, n);
        free(buf);
        return rc;
    }
    float *x = malloc((size_t)numel * sizeof *x + 1);
    if (x == NULL)
        return CLEF_ERR_NOMEM;
    rc = clef_weights_read_f32(w, name, x, (size_t)numel, NULL);
    const double lim = to == CLEF_DTYPE_F16 ? 65504.0 : 3.0e38;
    for (int64_t k = 0; rc == CLEF_OK && k < numel; k++)
        if (!(fabs((double)x[k]) <= lim)) {
            snprintf(why, cap, "%s[%lld] = %g does not fit the dtype", name, (long long)k,
                     (double)x[k]);
            rc = CLEF_ERR_RANGE;
        }
    if (rc == CLEF_OK)
        rc = clef_weights_writer_add_f32(wr, name, to, shape, rank, x, (size_t)numel);
    free(x);
    return rc;
}

int cmd_convert(int argc, char **argv) {
    cv_opts o;
    int code = 0;
    if (cv_parse(argc, argv, &o, &code) != 0)
        return code;
    const int32_t to = strcmp(o.dtype, "f16") == 0    ? CLEF_DTYPE_F16
                       : strcmp(o.dtype, "bf16") == 0 ? CLEF_DTYPE_BF16
                                                      : CLEF_DTYPE_F32;
    clef_ctx *ctx = NULL;
    clef_weights *w = NULL;
    clef_weights_writer *wr = NULL;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return cli_fail("convert", CLEF_ERR_NOMEM, NULL);
    clef_status rc = clef_weights_open(&w, ctx, o.in);
    int ret = rc != CLEF_OK ? cli_fail(o.in, rc, clef_ctx_errmsg(ctx)) : 0;
    if (ret == 0 && (rc = clef_weights_writer_create(&wr, ctx)) != CLEF_OK)
        ret = cli_fail("convert", rc, clef_ctx_errmsg(ctx));
    for (int64_t i = 0; ret == 0 && i < clef_weights_meta_count(w); i++) {
        const char *k, *v;
        if ((rc = clef_weights_meta_at(w, i, &k, &v)) == CLEF_OK)
            rc = clef_weights_writer_set_meta(wr, k, v);
        if (rc != CLEF_OK)
            ret = cli_fail(o.in, rc, clef_weights_writer_errmsg(wr));
    }
    for (int i = 0; ret == 0 && i < o.n_set; i++) {
        char key[256];
        const char *eq = strchr(o.set[i], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - o.set[i]), o.set[i]);
        if ((rc = clef_weights_writer_set_meta(wr, key, eq + 1)) != CLEF_OK)
            ret = cli_fail("--set-meta", rc, clef_weights_writer_errmsg(wr));
    }
    char why[256] = "";
    for (int64_t i = 0; ret == 0 && i < clef_weights_n_tensors(w); i++)
        if ((rc = copy_tensor(w, wr, i, to, why, sizeof why)) != CLEF_OK)
            ret = cli_fail(o.in, rc, why[0] ? why : clef_weights_writer_errmsg(wr));
    if (ret == 0 && (rc = clef_weights_writer_write(wr, o.out)) != CLEF_OK)
        ret = cli_fail(o.out, rc, clef_weights_writer_errmsg(wr));
    if (ret == 0)
        printf("%lld tensors -> %s (%s)\n", (long long)clef_weights_n_tensors(w), o.out, o.dtype);
    clef_weights_writer_free(wr);
    clef_weights_free(w);
    clef_ctx_free(ctx);
    return ret;
}
