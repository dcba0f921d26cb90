/* session.c — clef_session: one thread's call state (threads, scratch, last error).
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Shared handles (spectrogram, tokenizer, ...) are immutable; everything a call needs to
 * write lives here, so one shared handle serves many threads, each with its own session. The
 * pool is started once and the scratch slots only grow, so a warm session calls no allocator
 * on the compute paths. */
#include "core_int.h"

#include <stdio.h>
#include <string.h>

clef_status clef_session_create(clef_session **out, clef_ctx *ctx, int32_t n_threads) {
    if (out == NULL)
        return CLEF_ERR_INVALID_ARG;
    *out = NULL;
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_err_clear(&ctx->err);
    if (n_threads < 1 || n_threads > CLEFI_MAX_THREADS)
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE, "session: n_threads %d is not in [1, %d]",
                               (int)n_threads, CLEFI_MAX_THREADS);
    clef_session *s = clefi_calloc(ctx, 1, sizeof *s);
    if (s == NULL)
        return clefi_ctx_error(ctx, CLEF_ERR_NOMEM, "session: cannot allocate the handle");
    s->ctx = clefi_ctx_retain(ctx);
    s->n_threads = n_threads;
    clef_status rc = clefi_pool_create(&s->pool, ctx, n_threads);
    if (rc != CLEF_OK) {
        clefi_ctx_release(ctx);
        clefi_free(ctx, s);
        return rc; /* message on ctx */
    }
    *out = s;
    return CLEF_OK;
}

void clef_session_free(clef_session *s) {
    if (s == NULL)
        return;
    clef_ctx *ctx = s->ctx;
    for (int i = 0; i < CLEFI_SLOT_COUNT; i++)
        clefi_free_aligned(ctx, s->slot[i].mem);
    clefi_pool_free(s->pool);
    clefi_free(ctx, s);
    clefi_ctx_release(ctx);
}

const char *clef_session_errmsg(const clef_session *s) { return s != NULL ? s->err.msg : ""; }

clef_status clef_session_errcode(const clef_session *s) {
    return s != NULL ? s->err.code : CLEF_ERR_INVALID_ARG;
}

int32_t clef_session_n_threads(const clef_session *s) { return s != NULL ? s->n_threads : 0; }

int64_t clef_session_scratch_bytes(const clef_session *s) {
    int64_t total = 0;
    for (int i = 0; s != NULL && i < CLEFI_SLOT_COUNT; i++)
        total += (int64_t)s->slot[i].size;
    return total;
}

clef_status clef_session_release_scratch(clef_session *s) {
    if (s == NULL)
        return CLEF_ERR_INVALID_ARG;
    clefi_session_begin(s);
    for (int i = 0; i < CLEFI_SLOT_COUNT; i++) {
        clefi_free_aligned(s->ctx, s->slot[i].mem);
        s->slot[i] = (clefi_slot){0};
    }
    return CLEF_OK;
}

void *clefi_session_slot(clef_session *s, int32_t slot, size_t bytes) {
    clefi_slot *sl = &s->slot[slot];
    if (sl->mem != NULL && sl->size >= bytes)
        return sl->mem;
    clefi_free_aligned(s->ctx, sl->mem);
    *sl = (clefi_slot){0};
    if ((sl->mem = clefi_malloc_aligned(s->ctx, bytes == 0 ? 1 : bytes)) == NULL) {
        clefi_session_error(s, CLEF_ERR_NOMEM, "no memory for %zu bytes of working memory", bytes);
        return NULL;
    }
    sl->size = bytes;
    return sl->mem;
}

clef_status clefi_session_error(clef_session *s, clef_status status, const char *fmt, ...) {
    char buf[CLEFI_ERRMSG_CAP];
    va_list ap;
    va_start(ap, fmt);
    clefi_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return clefi_error(s->ctx, &s->err, status, "%s", buf);
}
