/* ctx.c — library context: allocator, reference count, errors and logging.
 * SPDX-License-Identifier: BSD-3-Clause */
#include "core_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *default_malloc(size_t size, void *user) {
    (void)user;
    return malloc(size);
}
static void *default_realloc(void *ptr, size_t size, void *user) {
    (void)user;
    return realloc(ptr, size);
}
static void default_free(void *ptr, void *user) {
    (void)user;
    free(ptr);
}

clef_status clef_ctx_create(clef_ctx **out) {
    return clef_ctx_create_with_allocator(out, default_malloc, default_realloc, default_free, NULL);
}

clef_status clef_ctx_create_with_allocator(clef_ctx **out, clef_malloc_fn malloc_fn,
                                           clef_realloc_fn realloc_fn, clef_free_fn free_fn,
                                           void *user) {
    if (out == NULL)
        return CLEF_ERR_INVALID_ARG;
    *out = NULL;
    if (malloc_fn == NULL || realloc_fn == NULL || free_fn == NULL)
        return CLEF_ERR_INVALID_ARG;
    clef_ctx *ctx = malloc_fn(sizeof *ctx, user);
    if (ctx == NULL)
        return CLEF_ERR_NOMEM;
    memset(ctx, 0, sizeof *ctx);
    ctx->alloc = (clefi_alloc){malloc_fn, realloc_fn, free_fn, user};
    atomic_init(&ctx->refs, 1);
    *out = ctx;
    return CLEF_OK;
}

clef_ctx *clefi_ctx_retain(clef_ctx *ctx) {
    if (ctx != NULL)
        atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
    return ctx;
}

void clefi_ctx_release(clef_ctx *ctx) {
    if (ctx == NULL)
        return;
    if (atomic_fetch_sub_explicit(&ctx->refs, 1, memory_order_acq_rel) == 1) {
        clefi_alloc a = ctx->alloc;
        a.free_fn(ctx, a.user);
    }
}

void clef_ctx_free(clef_ctx *ctx) { clefi_ctx_release(ctx); }

const char *clef_ctx_errmsg(const clef_ctx *ctx) { return ctx != NULL ? ctx->err.msg : ""; }

clef_status clef_ctx_errcode(const clef_ctx *ctx) {
    return ctx != NULL ? ctx->err.code : CLEF_ERR_INVALID_ARG;
}

clef_status clef_ctx_set_log(clef_ctx *ctx, int32_t max_level, clef_log_fn fn, void *user) {
    clefi_reset(ctx);
    if (ctx == NULL)
        return CLEF_ERR_INVALID_ARG;
    if (max_level < 0 || max_level > CLEF_LOG_DEBUG)
        return clefi_ctx_error(ctx, CLEF_ERR_RANGE, "log level %d outside [0, %d]", (int)max_level,
                               CLEF_LOG_DEBUG);
    ctx->log_fn = fn;
    ctx->log_user = user;
    ctx->log_level = max_level;
    clefi_blas_warn_once(ctx);
    return CLEF_OK;
}

/* The first log callback that takes warnings hears once per process when the BLAS kernels are
 * older than the CPU (cpu.c): the most expensive slowdown a user cannot see otherwise. */
void clefi_blas_warn_once(const clef_ctx *ctx) {
    static atomic_int warned;
    char buf[400];
    if (ctx->log_fn == NULL || ctx->log_level < CLEF_LOG_WARN)
        return;
    const char *advice = clefi_blas_advice(clef_blas_kernel(), clefi_cpu_isa(),
                                           getenv("OPENBLAS_CORETYPE"), buf, sizeof buf);
    if (advice != NULL && atomic_exchange(&warned, 1) == 0)
        clefi_log(ctx, CLEF_LOG_WARN, "%s", advice);
}

/* ---- allocation ---- */

void *clefi_malloc(clef_ctx *ctx, size_t size) {
    return ctx->alloc.malloc_fn(size == 0 ? 1 : size, ctx->alloc.user);
}

void *clefi_calloc(clef_ctx *ctx, size_t count, size_t size) {
    size_t total;
    if (clefi_mul_overflow(count, size, &total))
        return NULL;
    void *p = clefi_malloc(ctx, total);
    if (p != NULL)
        memset(p, 0, total);
    return p;
}

void *clefi_realloc(clef_ctx *ctx, void *ptr, size_t size) {
    return ctx->alloc.realloc_fn(ptr, size == 0 ? 1 : size, ctx->alloc.user);
}

void *clefi_realloc_array(clef_ctx *ctx, void *ptr, size_t count, size_t size) {
    size_t total;
    if (clefi_mul_overflow(count, size, &total))
        return NULL;
    return clefi_realloc(ctx, ptr, total);
}

void clefi_free(clef_ctx *ctx, void *ptr) {
    if (ptr != NULL)
        ctx->alloc.free_fn(ptr, ctx->alloc.user);
}

char *clefi_strdup(clef_ctx *ctx, const char *s) {
    size_t n = strlen(s) + 1;
    char *d = clefi_malloc(ctx, n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

/* The offset to the raw block is stored just before the aligned pointer. */
#define CLEFI_ALIGN 64u

void *clefi_malloc_aligned(clef_ctx *ctx, size_t size) {
    size_t total;
    if (clefi_add_overflow(size, CLEFI_ALIGN + sizeof(void *), &total))
        return NULL;
    unsigned char *raw = clefi_malloc(ctx, total);
    if (raw == NULL)
        return NULL;
    uintptr_t start = (uintptr_t)(raw + sizeof(void *));
    uintptr_t aligned = (start + CLEFI_ALIGN - 1) & ~(uintptr_t)(CLEFI_ALIGN - 1);
    ((void **)aligned)[-1] = raw;
    return (void *)aligned;
}

void clefi_free_aligned(clef_ctx *ctx, void *ptr) {
    if (ptr != NULL)
        clefi_free(ctx, ((void **)ptr)[-1]);
}

/* ---- errors and logging ---- */

void clefi_err_clear(clefi_err *err) {
    if (err != NULL) {
        err->code = CLEF_OK;
        err->msg[0] = '\0';
    }
}

clef_status clefi_error(clef_ctx *ctx, clefi_err *err, clef_status status, const char *fmt, ...) {
    char buf[CLEFI_ERRMSG_CAP];
    va_list ap;
    va_start(ap, fmt);
    clefi_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (err != NULL) {
        err->code = status;
        memcpy(err->msg, buf, sizeof buf);
    }
    clefi_log(ctx, CLEF_LOG_DEBUG, "%s: %s", clef_strerror(status), buf);
    return status;
}

void clefi_vlog(const clef_ctx *ctx, int32_t level, const char *fmt, va_list ap) {
    if (ctx == NULL || ctx->log_fn == NULL || level > ctx->log_level)
        return;
    char buf[1024];
    clefi_vsnprintf(buf, sizeof buf, fmt, ap);
    ctx->log_fn(level, buf, ctx->log_user);
}

void clefi_log(const clef_ctx *ctx, int32_t level, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    clefi_vlog(ctx, level, fmt, ap);
    va_end(ap);
}

clef_status clefi_ctx_clone(clef_ctx **out, const clef_ctx *src) {
    clef_status rc = clef_ctx_create_with_allocator(
        out, src->alloc.malloc_fn, src->alloc.realloc_fn, src->alloc.free_fn, src->alloc.user);
    if (rc == CLEF_OK)
        clef_ctx_set_log(*out, src->log_level, src->log_fn, src->log_user);
    return rc;
}
