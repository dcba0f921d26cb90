/* tokenize_file.c — an EEG file to its session tokens, as a NumPy .npy file: load the weights
 * (ready for whole sessions), build the spectrogram they were trained on, then one pipeline
 * call on a session: read the canonical channels, transform, encode.
 *
 * usage: example_tokenize_file WEIGHTS.safetensors FILE.edf OUT.npy [N_THREADS] */
#include <clef.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A 1-D int32 array as .npy version 1.0 (header padded to a multiple of 64 bytes). */
static int write_npy_i32(const char *path, const int32_t *v, int64_t n) {
    char dict[128];
    int len =
        snprintf(dict, sizeof dict, "{'descr': '<i4', 'fortran_order': False, 'shape': (%lld,), }",
                 (long long)n);
    int total = 10 + len + 1, pad = (64 - total % 64) % 64;
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    unsigned char magic[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
    uint16_t hlen = (uint16_t)(len + pad + 1);
    magic[8] = (unsigned char)(hlen & 0xff);
    magic[9] = (unsigned char)(hlen >> 8);
    int ok = fwrite(magic, 1, 10, f) == 10 && fwrite(dict, 1, (size_t)len, f) == (size_t)len;
    for (int i = 0; ok && i < pad; i++)
        ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF && fwrite(v, sizeof *v, (size_t)n, f) == (size_t)n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: %s WEIGHTS.safetensors FILE.edf OUT.npy [N_THREADS]\n", argv[0]);
        return 2;
    }
    int32_t n_threads = argc == 5 ? (int32_t)atoi(argv[4]) : 1;
    clef_ctx *ctx = NULL;
    clef_session *s = NULL;
    clef_tokenizer *tok = NULL;
    clef_spectrogram *sg = NULL;
    clef_recording *rec = NULL;
    int32_t *ids = NULL;
    int ret = 1;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return 1;
    /* constructors report on the ctx, calls on the session */
    if (clef_session_create(&s, ctx, n_threads) != CLEF_OK ||
        clef_tokenizer_load(&tok, ctx, argv[1]) != CLEF_OK ||
        clef_tokenizer_spectrogram_create(&sg, ctx, tok) != CLEF_OK ||
        clef_recording_open(&rec, ctx, argv[2], NULL) != CLEF_OK) {
        fprintf(stderr, "%s\n", clef_ctx_errmsg(ctx));
        goto done;
    }
    int64_t n = clef_tokenizer_n_tokens(tok);
    uint32_t present = 0;
    ids = malloc((size_t)n * sizeof *ids);
    if (ids == NULL)
        goto done;
    clef_status rc =
        clef_tokenizer_encode_recording(tok, s, sg, rec, ids, (size_t)n, NULL, &present);
    if (rc != CLEF_OK) {
        fprintf(stderr, "%s: %s (%s)\n", argv[2], clef_session_errmsg(s), clef_strerror(rc));
        goto done;
    }
    int n_present = 0;
    for (int c = 0; c < CLEF_N_CANONICAL; c++)
        n_present += (int)(present >> c & 1u);
    if (write_npy_i32(argv[3], ids, n) != 0) {
        fprintf(stderr, "%s: cannot write\n", argv[3]);
        goto done;
    }
    printf("%s: %d of %d canonical channels -> %lld tokens -> %s\n", argv[2], n_present,
           CLEF_N_CANONICAL, (long long)n, argv[3]);
    ret = 0;
done:
    free(ids);
    clef_recording_free(rec);
    clef_spectrogram_free(sg);
    clef_tokenizer_free(tok);
    clef_session_free(s);
    clef_ctx_free(ctx);
    return ret;
}
