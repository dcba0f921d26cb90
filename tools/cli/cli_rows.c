/* cli_rows.c — a store's sessions with their stored embeddings (cli_rows.h). */
#include "cli_rows.h"

#include <stdlib.h>
#include <string.h>

clef_status cli_rows_split(clef_store *st, const char *hash, int32_t split, cli_rows *d) {
    clef_status rc = clef_store_split_count(st, split, &d->n);
    if (rc != CLEF_OK)
        return rc;
    if ((d->id = calloc((size_t)d->n + 1, sizeof *d->id)) == NULL)
        return CLEF_ERR_NOMEM;
    for (int64_t i = 0; rc == CLEF_OK && i < d->n; i++) {
        size_t len = 0;
        rc = clef_store_split_session(st, split, i, d->id[i], sizeof d->id[i], NULL);
        if (rc == CLEF_OK)
            rc =
                clef_store_artifact_get(st, d->id[i], CLEF_ARTIFACT_EMBEDDING, hash, NULL, 0, &len);
        if (rc == CLEF_ERR_BUFFER_TOO_SMALL)
            rc = CLEF_OK;
        if (rc == CLEF_OK && d->x == NULL) {
            d->dim = (int64_t)(len / sizeof(float));
            if ((d->x = malloc((size_t)(d->n * d->dim) * sizeof *d->x + 1)) == NULL)
                return CLEF_ERR_NOMEM;
        }
        if (rc == CLEF_OK)
            rc = clef_store_artifact_get(st, d->id[i], CLEF_ARTIFACT_EMBEDDING, hash,
                                         d->x + i * d->dim, (size_t)d->dim * sizeof(float), &len);
    }
    return rc;
}

static clef_status rows_task_split(clef_store *st, const char *hash, int32_t split,
                                   const char *task, cli_rows *d) {
    clef_status rc = clef_store_task_data(st, task, split, CLEF_ARTIFACT_EMBEDDING, hash, NULL, 0,
                                          NULL, 0, &d->n, &d->dim);
    if (rc != CLEF_OK && rc != CLEF_ERR_BUFFER_TOO_SMALL)
        return rc;
    d->x = malloc((size_t)(d->n * d->dim) * sizeof *d->x + 1);
    d->y = malloc((size_t)d->n * sizeof *d->y + 1);
    if (d->x == NULL || d->y == NULL)
        return CLEF_ERR_NOMEM;
    return clef_store_task_data(st, task, split, CLEF_ARTIFACT_EMBEDDING, hash, d->x,
                                (size_t)(d->n * d->dim), d->y, (size_t)d->n, &d->n, &d->dim);
}

clef_status cli_rows_task(clef_store *st, const char *hash, int32_t split, const char *task,
                          cli_rows *d) {
    if (split != 0)
        return rows_task_split(st, hash, split, task, d);
    clef_status rc = CLEF_OK;
    for (int32_t k = CLEF_SPLIT_TRAIN; rc == CLEF_OK && k <= CLEF_SPLIT_TEST; k++) {
        cli_rows part = {0};
        rc = rows_task_split(st, hash, k, task, &part);
        if (rc == CLEF_OK && part.n > 0) {
            float *x = realloc(d->x, (size_t)((d->n + part.n) * part.dim) * sizeof *x + 1);
            int32_t *y = realloc(d->y, (size_t)(d->n + part.n) * sizeof *y + 1);
            if (x != NULL)
                d->x = x;
            if (y != NULL)
                d->y = y;
            if (x == NULL || y == NULL)
                rc = CLEF_ERR_NOMEM;
            else {
                memcpy(d->x + d->n * part.dim, part.x, (size_t)(part.n * part.dim) * sizeof *x);
                memcpy(d->y + d->n, part.y, (size_t)part.n * sizeof *y);
                d->n += part.n;
                d->dim = part.dim;
            }
        }
        free(part.x);
        free(part.y);
    }
    return rc;
}

void cli_rows_free(cli_rows *d) {
    free(d->x);
    free(d->y);
    free(d->id);
    *d = (cli_rows){0};
}
