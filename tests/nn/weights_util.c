/* weights_util.c — helpers shared by the weights tests. */
#define _POSIX_C_SOURCE 200809L
#include "weights_util.h"

#include "test_support.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

unsigned char *wt_read_file(const char *path, size_t *len) {
    unsigned char *buf = test_read_file(path, len);
    if (buf == NULL)
        fail_msg("cannot open %s", path);
    return buf;
}

const char *wt_tmpdir(void) {
    static char buf[256];
    const char *base = getenv("TMPDIR");
    snprintf(buf, sizeof buf, "%s/clef_weights_XXXXXX", base ? base : "/tmp");
    if (mkdtemp(buf) == NULL)
        fail_msg("mkdtemp failed");
    return buf;
}

const char *wt_path(const char *dir, const char *name) {
    static char buf[2][512];
    static int k;
    k ^= 1;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

int wt_count_entries(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

void wt_rmdir(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlink(wt_path(dir, e->d_name));
    closedir(d);
    rmdir(dir);
}

void wt_assert_msg(const char *msg, const char *needle) {
    if (msg == NULL || strstr(msg, needle) == NULL)
        fail_msg("error message \"%s\" lacks \"%s\"", msg ? msg : "(null)", needle);
}
