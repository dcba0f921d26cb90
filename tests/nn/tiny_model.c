/* tiny_model.c — see tiny_model.h. */
#include "tiny_model.h"

#include <stdio.h>
#include <string.h>

static float *tensor(tiny *m, float *base, const char *name) {
    return base + m->lay.t[clefi_layout_find(&m->lay, name)].offset;
}

static clef_status build_layout(tiny *m) {
    const tiny_cfg *c = &m->cfg;
    clef_status rc = clefi_layout_add(&m->lay, "wte", 2, (const int64_t[]){c->V, c->C});
    if (rc == CLEF_OK)
        rc = clefi_layout_add(&m->lay, "wpe", 2, (const int64_t[]){c->T, c->C});
    char prefix[32];
    for (int64_t l = 0; l < c->L && rc == CLEF_OK; l++) {
        snprintf(prefix, sizeof prefix, "blocks.%d.", (int)l);
        rc = clefi_block_layout(&m->lay, prefix, c->C, c->F);
    }
    if (rc == CLEF_OK)
        rc = clefi_layout_add(&m->lay, "lnf.weight", 1, (const int64_t[]){c->C});
    if (rc == CLEF_OK)
        rc = clefi_layout_add(&m->lay, "lnf.bias", 1, (const int64_t[]){c->C});
    if (rc == CLEF_OK)
        rc = clefi_layout_add(&m->lay, "head.weight", 2, (const int64_t[]){c->V, c->C});
    if (rc == CLEF_OK)
        rc = clefi_layout_add(&m->lay, "head.bias", 1, (const int64_t[]){c->V});
    return rc;
}

/* GPT-2 style init: N(0, 0.02) weights, zero biases, unit LayerNorm gains */
static void init_params(tiny *m) {
    for (size_t i = 0; i < m->lay.n; i++) {
        const clefi_layout_entry *e = &m->lay.t[i];
        float *p = m->params + e->offset;
        int is_ln = strstr(e->name, "ln") != NULL && strstr(e->name, "weight") != NULL;
        for (size_t k = 0; k < e->numel; k++)
            p[k] = is_ln
                       ? 1.f
                       : (e->rank >= 2 ? 0.1f * clefi_rng_normal(m->cfg.seed, e->offset + k) : 0.f);
    }
}

static float *alloc_f(tiny *m, int64_t n, clef_status *rc) {
    float *p = *rc == CLEF_OK ? clefi_calloc(m->ctx, (size_t)n, sizeof(float)) : NULL;
    if (*rc == CLEF_OK && p == NULL)
        *rc = CLEF_ERR_NOMEM;
    return p;
}

clef_status tiny_create(tiny *m, clef_ctx *ctx, const tiny_cfg *cfg) {
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    m->ctx = ctx;
    clefi_layout_init(&m->lay, ctx);
    clef_status rc = clefi_pool_create(&m->pool, ctx, cfg->n_threads);
    if (rc == CLEF_OK)
        rc = build_layout(m);
    int64_t P = (int64_t)m->lay.total, N = cfg->B * cfg->T;
    float **bufs[] = {&m->params, &m->grads, &m->m, &m->v, &m->ema};
    for (int i = 0; i < 5; i++)
        *bufs[i] = alloc_f(m, P, &rc);
    float **acts[] = {&m->x0, &m->lnf, &m->dx, &m->dlnf};
    for (int i = 0; i < 4; i++)
        *acts[i] = alloc_f(m, N * cfg->C, &rc);
    m->lnf_mean = alloc_f(m, N, &rc);
    m->lnf_rstd = alloc_f(m, N, &rc);
    m->logits = alloc_f(m, N * cfg->V, &rc);
    m->probs = alloc_f(m, N * cfg->V, &rc);
    m->dlogits = alloc_f(m, N * cfg->V, &rc);
    m->ids = (int32_t *)alloc_f(m, N, &rc);
    m->targets = (int32_t *)alloc_f(m, N, &rc);
    m->dims =
        (clefi_block_dims){cfg->B, cfg->T, cfg->C, cfg->NH, cfg->F, 1e-5f, CLEFI_ACT_GELU_TANH};
    for (int64_t l = 0; l < cfg->L && rc == CLEF_OK; l++)
        rc = clefi_block_acts_alloc(&m->acts[l], ctx, &m->dims, cfg->n_threads);
    if (rc != CLEF_OK) {
        tiny_free(m);
        return rc;
    }
    init_params(m);
    memcpy(m->ema, m->params, (size_t)P * sizeof(float));
    m->wte = tensor(m, m->params, "wte");
    m->wpe = tensor(m, m->params, "wpe");
    m->lnf_w = tensor(m, m->params, "lnf.weight");
    m->lnf_b = tensor(m, m->params, "lnf.bias");
    m->head_w = tensor(m, m->params, "head.weight");
    m->head_b = tensor(m, m->params, "head.bias");
    for (int64_t l = 0; l < cfg->L; l++) {
        clefi_block_params_at(&m->bp[l], m->params, &m->lay, 2 + 12 * (size_t)l);
        clefi_block_params_at(&m->bg[l], m->grads, &m->lay, 2 + 12 * (size_t)l);
    }
    return CLEF_OK;
}

void tiny_free(tiny *m) {
    for (int64_t l = 0; l < m->cfg.L; l++)
        clefi_block_acts_free(&m->acts[l]);
    float *bufs[] = {m->params,
                     m->grads,
                     m->m,
                     m->v,
                     m->ema,
                     m->x0,
                     m->lnf,
                     m->dx,
                     m->dlnf,
                     m->lnf_mean,
                     m->lnf_rstd,
                     m->logits,
                     m->probs,
                     m->dlogits,
                     (float *)m->ids,
                     (float *)m->targets};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        clefi_free(m->ctx, bufs[i]);
    clefi_layout_free(&m->lay);
    clefi_pool_free(m->pool);
}

void tiny_next_batch(tiny *m) {
    const tiny_cfg *c = &m->cfg;
    for (int64_t n = 0; n < c->B * c->T; n++) {
        m->ids[n] =
            (int32_t)(clefi_rng_u64(c->seed + 1, m->data_pos + (uint64_t)n) % (uint64_t)c->V);
        m->targets[n] = n % c->T == 0 ? -100 : m->ids[n - 1];
    }
    m->data_pos += (uint64_t)(c->B * c->T);
}

static void embed(tiny *m) {
    const tiny_cfg *c = &m->cfg;
    clefi_embedding_forward(m->x0, m->ids, m->wte, c->B * c->T, c->C, c->V);
    for (int64_t n = 0; n < c->B * c->T; n++)
        for (int64_t k = 0; k < c->C; k++)
            m->x0[n * c->C + k] += m->wpe[(n % c->T) * c->C + k];
}

static void embed_backward(tiny *m, const float *dx) {
    const tiny_cfg *c = &m->cfg;
    float *gwpe = tensor(m, m->grads, "wpe");
    clefi_embedding_backward(tensor(m, m->grads, "wte"), dx, m->ids, c->B * c->T, c->C);
    for (int64_t n = 0; n < c->B * c->T; n++)
        for (int64_t k = 0; k < c->C; k++)
            gwpe[(n % c->T) * c->C + k] += dx[n * c->C + k];
}

double tiny_batch(tiny *m, int backward, float grad_scale) {
    const tiny_cfg *c = &m->cfg;
    int64_t N = c->B * c->T;
    embed(m);
    const float *x = m->x0;
    for (int64_t l = 0; l < c->L; l++) {
        clefi_block_forward(m->pool, &m->acts[l], &m->bp[l], x, NULL, NULL, &m->dims);
        x = m->acts[l].out;
    }
    clefi_layernorm_forward(m->pool, m->lnf, m->lnf_mean, m->lnf_rstd, x, m->lnf_w, m->lnf_b, N,
                            c->C, 1e-5f);
    clefi_linear_forward(m->pool, m->logits, m->lnf, m->head_w, m->head_b, N, c->C, c->V);
    double loss;
    int64_t nv;
    clefi_cross_entropy_forward(m->pool, &loss, m->probs, m->logits, m->targets, N, c->V, -100,
                                &nv);
    if (!backward)
        return loss;
    memset(m->dlogits, 0, (size_t)(N * c->V) * sizeof(float));
    memset(m->dlnf, 0, (size_t)(N * c->C) * sizeof(float));
    clefi_cross_entropy_backward(m->pool, m->dlogits, m->probs, m->targets, N, c->V, -100, nv,
                                 grad_scale);
    clefi_linear_backward(m->pool, m->dlnf, tensor(m, m->grads, "head.weight"),
                          tensor(m, m->grads, "head.bias"), m->dlogits, m->lnf, m->head_w, N, c->C,
                          c->V);
    memset(m->dx, 0, (size_t)(N * c->C) * sizeof(float));
    clefi_layernorm_backward(m->pool, m->dx, tensor(m, m->grads, "lnf.weight"),
                             tensor(m, m->grads, "lnf.bias"), m->dlnf, x, m->lnf_w, m->lnf_mean,
                             m->lnf_rstd, N, c->C);
    for (int64_t l = c->L - 1; l >= 0; l--) {
        const float *xin = l > 0 ? m->acts[l - 1].out : m->x0;
        memcpy(m->dlnf, m->dx, (size_t)(N * c->C) * sizeof(float));
        memset(m->dx, 0, (size_t)(N * c->C) * sizeof(float));
        clefi_block_backward(m->pool, m->dx, &m->bg[l], m->dlnf, &m->acts[l], &m->bp[l], xin, NULL,
                             NULL, &m->dims);
    }
    embed_backward(m, m->dx);
    return loss;
}

double tiny_train_step(tiny *m, int accum, int64_t total_steps) {
    memset(m->grads, 0, m->lay.total * sizeof(float));
    double loss = 0.0;
    for (int a = 0; a < accum; a++) {
        tiny_next_batch(m);
        loss += tiny_batch(m, 1, 1.f / (float)accum) / accum;
    }
    clefi_grad_clip(m->pool, m->grads, (int64_t)m->lay.total, 1.0);
    double lr = clefi_lr_at(CLEFI_SCHED_COSINE, m->step, total_steps / 10, total_steps, 1e-2, 1e-3);
    m->step++;
    /* decoupled weight decay on matrices only (biases, LayerNorm gains and embeddings: none) */
    for (size_t i = 0; i < m->lay.n; i++) {
        const clefi_layout_entry *e = &m->lay.t[i];
        int decay = e->rank >= 2 && strncmp(e->name, "w", 1) != 0;
        clefi_adamw h = {(float)lr, 0.9f, 0.95f, 1e-8f, decay ? 0.1f : 0.f};
        clefi_adamw_step(m->pool, &h, m->params + e->offset, m->grads + e->offset, m->m + e->offset,
                         m->v + e->offset, (int64_t)e->numel, m->step);
    }
    clefi_ema_update(m->pool, m->ema, m->params, (int64_t)m->lay.total, 0.99f);
    return loss;
}
