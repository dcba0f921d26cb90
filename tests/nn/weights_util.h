/* weights_util.h — helpers shared by the weights tests (safetensors, binding, checkpoints). */
#ifndef CLEF_TEST_WEIGHTS_UTIL_H
#define CLEF_TEST_WEIGHTS_UTIL_H

#include <stddef.h>

/* Read a whole file into a malloc'd buffer (test fails if it cannot). */
unsigned char *wt_read_file(const char *path, size_t *len);
/* A fresh private directory under the build tree's TMPDIR (mkdtemp); static buffer. */
const char *wt_tmpdir(void);
/* dir/name in a static buffer (one of two alternating). */
const char *wt_path(const char *dir, const char *name);
/* Number of entries (other than . and ..) in dir. */
int wt_count_entries(const char *dir);
/* Remove every file in dir, then dir. */
void wt_rmdir(const char *dir);
/* Assert that msg contains needle (prints both on failure). */
void wt_assert_msg(const char *msg, const char *needle);

#endif
