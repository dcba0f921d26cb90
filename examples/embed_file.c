/* embed_file.c — EEG files to session embeddings: load the tokenizer and the encoder trained
 * on its tokens (the load checks they belong together), build the spectrogram the tokenizer
 * was trained on, then one pipeline call per file on one session (spectrogram -> tokens ->
 * embedding). Prints each file's embedding width and first values; the session's threads and
 * scratch are reused from file to file.
 *
 * usage: example_embed_file TOKENIZER.safetensors ENCODER.safetensors FILE.edf... */
#include <clef.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s TOKENIZER.safetensors ENCODER.safetensors FILE.edf...\n",
                argv[0]);
        return 2;
    }
    clef_ctx *ctx = NULL;
    clef_session *s = NULL;
    clef_tokenizer *tok = NULL;
    clef_encoder *enc = NULL;
    clef_spectrogram *sg = NULL;
    float *emb = NULL;
    int ret = 1;
    if (clef_ctx_create(&ctx) != CLEF_OK)
        return 1;
    /* constructors report on the ctx, calls on the session (2 threads) */
    if (clef_session_create(&s, ctx, 2) != CLEF_OK ||
        clef_tokenizer_load(&tok, ctx, argv[1]) != CLEF_OK ||
        clef_encoder_load(&enc, ctx, argv[2], tok) != CLEF_OK ||
        clef_tokenizer_spectrogram_create(&sg, ctx, tok) != CLEF_OK) {
        fprintf(stderr, "%s\n", clef_ctx_errmsg(ctx));
        goto done;
    }
    int64_t dim = 0;
    clef_encoder_shape(enc, NULL, NULL, &dim);
    emb = malloc((size_t)dim * sizeof *emb);
    if (emb == NULL)
        goto done;
    for (int i = 3; i < argc; i++) {
        clef_recording *rec = NULL;
        if (clef_recording_open(&rec, ctx, argv[i], NULL) != CLEF_OK) {
            fprintf(stderr, "%s\n", clef_ctx_errmsg(ctx));
            goto done;
        }
        clef_status rc =
            clef_encoder_embed_recording(enc, tok, s, sg, rec, emb, (size_t)dim, NULL, NULL);
        clef_recording_free(rec);
        if (rc != CLEF_OK) {
            fprintf(stderr, "%s: %s (%s)\n", argv[i], clef_session_errmsg(s), clef_strerror(rc));
            goto done;
        }
        printf("%s: %lld-d embedding [%.6f %.6f %.6f ...]\n", argv[i], (long long)dim,
               (double)emb[0], (double)emb[1], (double)emb[2]);
    }
    ret = 0;
done:
    free(emb);
    clef_spectrogram_free(sg);
    clef_encoder_free(enc);
    clef_tokenizer_free(tok);
    clef_session_free(s);
    clef_ctx_free(ctx);
    return ret;
}
