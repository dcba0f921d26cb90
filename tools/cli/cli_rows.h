/* cli_rows.h — a store's sessions with their stored embeddings, as the clef command's
 * zero-shot scoring and report read them: a split's sessions (ids), or a task's labelled ones. */
#ifndef CLEF_CLI_ROWS_H
#define CLEF_CLI_ROWS_H

#include "clef.h"

typedef struct cli_rows {
    int64_t n, dim;
    float *x;        /* [n][dim] embeddings (CLEF_ARTIFACT_EMBEDDING under one model hash) */
    int32_t *y;      /* [n] labels 0/1 of a task, NULL for a split's sessions */
    char (*id)[128]; /* [n] session ids of a split, NULL for a task's rows */
} cli_rows;

/* Every session of split (a clef_split) in session-id order with its embedding. */
clef_status cli_rows_split(clef_store *st, const char *hash, int32_t split, cli_rows *d);

/* A task's labelled sessions of split (clef_store_task_data's order), or, split 0, of train,
 * val and test appended. */
clef_status cli_rows_task(clef_store *st, const char *hash, int32_t split, const char *task,
                          cli_rows *d);

void cli_rows_free(cli_rows *d);

#endif
