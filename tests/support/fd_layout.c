/* fd_layout.c — see fd_layout.h. SPDX-License-Identifier: BSD-3-Clause */
#include "fd_layout.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int fd_layout_check(float *flat, const clefi_layout *lay, float *g, fd_loss_fn loss, void *arg,
                    float h, int n_top, double tol, const char *skip, int *bad) {
    int checked = 0;
    double worst = 0.0;
    for (size_t t = 0; t < lay->n; t++) {
        const clefi_layout_entry *e = &lay->t[t];
        if (skip != NULL && strncmp(e->name, skip, strlen(skip)) == 0) {
            for (size_t k = 0; k < e->numel; k++)
                *bad += g[e->offset + k] != 0.0f;
            continue;
        }
        for (int r = 0; r < n_top; r++) {
            size_t best = e->offset;
            for (size_t k = e->offset; k < e->offset + e->numel; k++)
                if (fabsf(g[k]) > fabsf(g[best]))
                    best = k;
            if (fabsf(g[best]) < 1e-4f)
                break;
            float keep = flat[best];
            flat[best] = keep + h;
            double lp = loss(arg);
            flat[best] = keep - h;
            double lm = loss(arg);
            flat[best] = keep;
            double fd = (lp - lm) / (2.0 * (double)h);
            double err = fabs(fd - (double)g[best]) / (fabs(fd) + 1e-3);
            worst = err > worst ? err : worst;
            if (err > tol) {
                printf("  %s[%zu]: analytic %.6g, finite difference %.6g\n", e->name,
                       best - e->offset, (double)g[best], fd);
                (*bad)++;
            }
            checked++;
            g[best] = 0.0f; /* next-largest next */
        }
    }
    printf("  %d gradient entries checked, worst relative error %.3g\n", checked, worst);
    return checked;
}
