/* cli_category.h — task categories as the clef command groups them (evaluate, report): a task
 * name's prefix up to and including its first '_' (dis_, med_, feat_). */
#ifndef CLEF_CLI_CATEGORY_H
#define CLEF_CLI_CATEGORY_H

#include <stdint.h>

enum { CLI_MAX_CATEGORIES = 16, CLI_CATEGORY_CAP = 32 };

/* Distinct categories in order of first appearance. */
typedef struct cli_categories {
    char name[CLI_MAX_CATEGORIES][CLI_CATEGORY_CAP];
    int64_t n;
} cli_categories;

/* Add task's category unless it is already there; a name without '_', a category too long
 * or a full list adds nothing. */
void cli_categories_add(cli_categories *c, const char *task);

#endif
