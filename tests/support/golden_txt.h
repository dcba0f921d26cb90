/* golden_txt.h — reader of the plain golden-vector format written by the tools/ref scripts:
 * a line "<key> <count>" followed by <count> numbers; lines starting with '#' are comments. */
#ifndef CLEF_GOLDEN_TXT_H
#define CLEF_GOLDEN_TXT_H

#include <stddef.h>

typedef struct golden_txt golden_txt;

/* Load tests/data/<name>; fails the test if the file cannot be read or parsed. */
golden_txt *golden_txt_load(const char *name);
void golden_txt_free(golden_txt *g);
/* The array stored under key (fails the test if absent); *n receives its length. */
const double *golden_txt_get(const golden_txt *g, const char *key, size_t *n);

#endif
