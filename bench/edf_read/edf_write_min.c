/* edf_write_min.c — minimal EDF+C writer for bench/edf_read (EDF+ spec sections 2.1, 2.2). */
#include "edf_write_min.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANN_SPR 32 /* 64 bytes of TALs per record: time keeping only */

static void put(FILE *f, const char *s, size_t w) {
    char b[96];
    memset(b, ' ', w);
    memcpy(b, s, strlen(s) < w ? strlen(s) : w);
    fwrite(b, 1, w, f);
}

static void put_each(FILE *f, int ns, const char *s, const char *last, size_t w) {
    for (int i = 0; i < ns; i++)
        put(f, s, w);
    put(f, last, w);
}

int bench_edf_write(const char *path, int n_sig, const char *const *labels, int spr, int n_rec,
                    double (*gen)(int sig, int64_t t, void *user), void *user) {
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    char t[32];
    int ns = n_sig + 1;
    put(f, "0", 8);
    put(f, "X X X X", 80);
    put(f, "Startdate 01-JAN-2024 X X X", 80);
    put(f, "01.01.24", 8);
    put(f, "08.00.00", 8);
    snprintf(t, sizeof t, "%d", 256 * (ns + 1));
    put(f, t, 8);
    put(f, "EDF+C", 44);
    snprintf(t, sizeof t, "%d", n_rec);
    put(f, t, 8);
    put(f, "1", 8);
    snprintf(t, sizeof t, "%d", ns);
    put(f, t, 4);
    for (int i = 0; i < n_sig; i++)
        put(f, labels[i], 16);
    put(f, "EDF Annotations", 16);
    put_each(f, n_sig, "AgAgCl electrode", "", 80);
    put_each(f, n_sig, "uV", "", 8);
    put_each(f, n_sig, "-3276.8", "-1", 8);
    put_each(f, n_sig, "3276.7", "1", 8);
    put_each(f, n_sig, "-32768", "-32768", 8);
    put_each(f, n_sig, "32767", "32767", 8);
    put_each(f, n_sig, "HP:0.1Hz LP:75Hz", "", 80);
    snprintf(t, sizeof t, "%d", spr);
    put_each(f, n_sig, t, "32", 8);
    put_each(f, n_sig, "", "", 32);
    int16_t *rec = malloc(((size_t)n_sig * (size_t)spr + ANN_SPR) * sizeof *rec);
    if (rec == NULL) {
        fclose(f);
        return -1;
    }
    for (int r = 0; r < n_rec; r++) {
        for (int s = 0; s < n_sig; s++)
            for (int k = 0; k < spr; k++) {
                double v = gen(s, (int64_t)r * spr + k, user) * 10.0; /* 0.1 uV per bit */
                v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
                rec[s * spr + k] = (int16_t)lrint(v); /* little-endian host */
            }
        char *tal = (char *)(rec + (size_t)n_sig * (size_t)spr);
        memset(tal, 0, 2 * ANN_SPR);
        snprintf(tal, 2 * ANN_SPR, "+%d\x14\x14", r);
        fwrite(rec, sizeof *rec, (size_t)n_sig * (size_t)spr + ANN_SPR, f);
    }
    free(rec);
    return fclose(f) == 0 ? 0 : -1;
}
