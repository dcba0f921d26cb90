/*
 * text_int.h — the text tower's internals (docs/text-tower.md): the BERT WordPiece tokenizer
 * (text_wordpiece.c) and the BERT encoder forward (text_bert.c) behind clef_text_encoder.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef CLEF_TEXT_INT_H
#define CLEF_TEXT_INT_H

#include "core_int.h"
#include "nn.h"

/** Tokens per text, [CLS] and [SEP] included (sentence-transformers max_seq_length). */
#define CLEFI_TEXT_MAX_TOKENS 256
/** Longer words become one [UNK] (BERT max_input_chars_per_word). */
#define CLEFI_TEXT_MAX_WORD_CHARS 100

/** vocab.txt: one token per line, its id the 0-based line number; an open-addressing hash. */
typedef struct clefi_vocab {
    char *text;       /* the file, lines NUL-terminated in place */
    const char **tok; /* [n] */
    int32_t *slot;    /* [n_slots] token id or -1 */
    size_t n, n_slots;
    int32_t unk, cls, sep;
} clefi_vocab;

/** Parse vocab.txt bytes (copied). CLEF_ERR_FORMAT when empty, a token repeats or [UNK],
 *  [CLS] or [SEP] is missing; errors on err. */
CLEFI_HIDDEN clef_status clefi_vocab_parse(clefi_vocab *v, clef_ctx *ctx, const char *data,
                                           size_t n, clefi_err *err);
CLEFI_HIDDEN void clefi_vocab_free(clefi_vocab *v, clef_ctx *ctx);
/** Id of the token s[0..len), or -1. */
CLEFI_HIDDEN int32_t clefi_vocab_find(const clefi_vocab *v, const char *s, size_t len);
/** BERT uncased tokenization of UTF-8 text (len bytes; invalid bytes read as U+FFFD, which is
 *  dropped): [CLS] wordpieces [SEP], at most cap ids (cap >= 2: truncated, [SEP] kept). Returns
 *  the number of ids written. */
CLEFI_HIDDEN int32_t clefi_wordpiece(const clefi_vocab *v, const char *text, size_t len,
                                     int32_t *ids, int32_t cap);

/** BERT encoder dimensions, read from the tensor shapes. */
typedef struct clefi_bert_cfg {
    int64_t d, n_layers, n_heads, d_ff, vocab, max_pos, n_types;
} clefi_bert_cfg;

struct clef_text_encoder {
    clef_ctx *ctx;
    clefi_err err;
    clefi_vocab vocab;
    clefi_bert_cfg cfg;
    clefi_layout lay;
    float *w; /* lay.total floats */
    int32_t max_tokens;
    /* CLEF_PRECISION_BF16: each layer's four linear weights rounded and packed, layer by layer
     * (clefi_bert_bf16_pack()); NULL in float32 mode */
    uint32_t *wbf;
};

/** Bind the BERT tensors of w (names with or without a "bert." prefix) into te->lay, te->w. */
CLEFI_HIDDEN clef_status clefi_bert_load(clef_text_encoder *te, clef_weights *w, int32_t n_heads);
/** Words of the packed BF16 weights of te's layers (clefi_bert_bf16_pack()). */
CLEFI_HIDDEN size_t clefi_bert_bf16_words(const clefi_bert_cfg *c);
/** Round and pack te's linear weights into dst (clefi_bert_bf16_words() words). */
CLEFI_HIDDEN void clefi_bert_bf16_pack(const clef_text_encoder *te, uint32_t *dst);
/** Mean-pooled, L2-normalized embedding out(d) of ids(n), n <= cfg.max_pos, and the final
 *  token states states(n, d); either may be NULL. */
CLEFI_HIDDEN clef_status clefi_bert_embed(const clef_text_encoder *te, clef_session *s,
                                          const int32_t *ids, int32_t n, float *out, float *states);

#endif /* CLEF_TEXT_INT_H */
