/* cli_category.c — task categories (cli_category.h). */
#include "cli_category.h"

#include <string.h>

void cli_categories_add(cli_categories *c, const char *task) {
    const char *us = strchr(task, '_');
    if (us == NULL || c->n >= CLI_MAX_CATEGORIES)
        return;
    size_t len = (size_t)(us - task) + 1;
    if (len >= CLI_CATEGORY_CAP)
        return;
    for (int64_t j = 0; j < c->n; j++)
        if (strlen(c->name[j]) == len && strncmp(c->name[j], task, len) == 0)
            return;
    memcpy(c->name[c->n], task, len);
    c->name[c->n++][len] = '\0';
}
