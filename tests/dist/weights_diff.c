/* weights_diff.c — compare the float tensors of two safetensors files (public API only):
 * prints max |a - b| / max |a| over all of A's float tensors and exits 0 when it is <= TOL,
 * 1 when larger, 2 when the files cannot be compared (a tensor missing or of another size).
 * Usage: weights_diff A B TOL */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "clef.h"

/* Accumulate tensor name of a and b into *dmax, *wmax; 0 or 2. */
static int compare(clef_weights *a, clef_weights *b, const char *name, int64_t n, double *dmax,
                   double *wmax) {
    float *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    size_t na = 0, nb = 0;
    int bad = x == NULL || y == NULL ||
              clef_weights_read_f32(a, name, x, (size_t)n, &na) != CLEF_OK ||
              clef_weights_read_f32(b, name, y, (size_t)n, &nb) != CLEF_OK || na != nb;
    for (size_t i = 0; !bad && i < na; i++) {
        *dmax = fmax(*dmax, fabs((double)x[i] - (double)y[i]));
        *wmax = fmax(*wmax, fabs((double)x[i]));
    }
    if (bad)
        fprintf(stderr, "weights_diff: tensor %s: cannot compare (%s)\n", name,
                clef_weights_errmsg(b));
    free(x);
    free(y);
    return bad ? 2 : 0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: weights_diff A B TOL\n");
        return 2;
    }
    clef_ctx *ctx = NULL;
    clef_weights *w[2] = {NULL, NULL};
    int ret = clef_ctx_create(&ctx) == CLEF_OK ? 0 : 2;
    for (int k = 0; ret == 0 && k < 2; k++)
        if (clef_weights_open(&w[k], ctx, argv[1 + k]) != CLEF_OK) {
            fprintf(stderr, "weights_diff: %s\n", clef_ctx_errmsg(ctx));
            ret = 2;
        }
    double dmax = 0.0, wmax = 0.0;
    int64_t nt = ret == 0 ? clef_weights_n_tensors(w[0]) : 0, compared = 0;
    for (int64_t i = 0; ret == 0 && i < nt; i++) {
        const char *name = NULL;
        int32_t dtype = 0;
        int64_t numel = 0;
        (void)clef_weights_tensor_info(w[0], i, &name, &dtype, NULL, &numel);
        if (dtype != CLEF_DTYPE_F32)
            continue;
        ret = compare(w[0], w[1], name, numel, &dmax, &wmax);
        compared++;
    }
    if (ret == 0 && (compared == 0 || nt != clef_weights_n_tensors(w[1]))) {
        fprintf(stderr, "weights_diff: %lld float tensors compared, %lld vs %lld tensors\n",
                (long long)compared, (long long)nt, (long long)clef_weights_n_tensors(w[1]));
        ret = 2;
    }
    if (ret == 0) {
        double rel = wmax > 0.0 ? dmax / wmax : dmax, tol = atof(argv[3]);
        printf("max |a - b| / max |a| = %.3g over %lld tensors (tolerance %g)\n", rel,
               (long long)compared, tol);
        ret = rel <= tol ? 0 : 1;
    }
    clef_weights_free(w[0]);
    clef_weights_free(w[1]);
    clef_ctx_free(ctx);
    return ret;
}
