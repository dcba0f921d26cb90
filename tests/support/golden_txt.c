/* golden_txt.c — reader of the plain golden-vector format (see golden_txt.h). */
#include "golden_txt.h"

#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char key[64];
    double *v;
    size_t n;
} entry;

struct golden_txt {
    entry *e;
    size_t n, cap;
};

golden_txt *golden_txt_load(const char *name) {
    const char *path = test_data_path(name);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open golden file %s", path);
    golden_txt *g = calloc(1, sizeof *g);
    char key[64];
    int c;
    while ((c = fgetc(f)) != EOF) {
        if (c == '#') {
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
            continue;
        }
        if (c == '\n' || c == ' ')
            continue;
        ungetc(c, f);
        size_t n;
        if (fscanf(f, "%63s %zu", key, &n) != 2)
            fail_msg("%s: bad entry header after %zu entries", path, g->n);
        if (g->n == g->cap) {
            g->cap = g->cap ? 2 * g->cap : 32;
            g->e = realloc(g->e, g->cap * sizeof *g->e);
        }
        entry *e = &g->e[g->n++];
        snprintf(e->key, sizeof e->key, "%s", key);
        e->n = n;
        e->v = malloc((n ? n : 1) * sizeof *e->v);
        for (size_t i = 0; i < n; i++)
            if (fscanf(f, "%lf", &e->v[i]) != 1)
                fail_msg("%s: entry %s: value %zu of %zu unreadable", path, key, i, n);
    }
    fclose(f);
    return g;
}

void golden_txt_free(golden_txt *g) {
    if (g == NULL)
        return;
    for (size_t i = 0; i < g->n; i++)
        free(g->e[i].v);
    free(g->e);
    free(g);
}

const double *golden_txt_get(const golden_txt *g, const char *key, size_t *n) {
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->e[i].key, key) == 0) {
            if (n != NULL)
                *n = g->e[i].n;
            return g->e[i].v;
        }
    fail_msg("golden key '%s' not found", key);
    return NULL;
}
