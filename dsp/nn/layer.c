/* layer.c — the table of layer types (layer.h): each entry adapts one layer type's file pair
 * (build, free, forward, scratch and batched step of sw_linear, sw_s4d, ...) to the generic
 * sw_layer that the stack code walks. The layers themselves know nothing of the tree. */
#include "layer.h"
#include "kernels.h"

#include <stdio.h>
#include <string.h>

/* ----------------------------------------------------------- shared pieces -- */

/* Stateless and frame by frame: for a batched step the nb rows are nb frames. */
static void step_batch_as_frames(const sw_layer *l, float *const *states, const uint64_t *t, float *scratch,
                                 const float *in, float *out, size_t nb)
{
    (void)states;
    (void)t;
    l->ops->forward(l, NULL, scratch, in, out, nb, 0);
}

/* The adapters that most types share but for their builder, union member and kernel names,
 * written once. */

/* build of a type that keeps its width: d_in = d_out = l->u.member.wfield. */
#define KEEP_WIDTH_BUILD(type, member, wfield)                                                     \
    static sw_status type##_build(sw_layer *l, const cJSON *cfg, int width, int depth, sw_build *b) \
    {                                                                                               \
        (void)width;                                                                                \
        (void)depth;                                                                                \
        sw_status st = swi_build_##type(&l->u.member, cfg, b);                                      \
        l->d_in = l->d_out = l->u.member.wfield;                                                    \
        return st;                                                                                  \
    }

/* forward of a stateless type: its kernel maps in to out frame by frame, with no scratch. */
#define STATELESS_FORWARD(type, member)                                                                      \
    static void type##_forward(const sw_layer *l, float *state, float *scratch, const float *in, float *out, \
                               size_t frames, uint64_t t0)                                                   \
    {                                                                                                        \
        (void)state;                                                                                         \
        (void)scratch;                                                                                       \
        (void)t0;                                                                                            \
        swi_##type##_forward(&l->u.member, in, out, frames);                                                 \
    }

/* scratch_floats of a type whose scratch does not grow with the chunk. */
#define FIXED_SCRATCH(type, member)                                         \
    static size_t type##_scratch_floats(const sw_layer *l, size_t frames) \
    {                                                                       \
        (void)frames;                                                       \
        return swi_##type##_scratch_floats(&l->u.member);                   \
    }

/* ------------------------------------------------------------------ linear -- */

static sw_status linear_build(sw_layer *l, const cJSON *cfg, int width, int depth, sw_build *b)
{
    (void)width;
    (void)depth;
    sw_status st = swi_build_linear(&l->u.linear, cfg, b);
    l->d_in = l->u.linear.d_in;
    l->d_out = l->u.linear.d_out;
    return st;
}
static void linear_free(sw_layer *l) { swi_free_linear(&l->u.linear); }
STATELESS_FORWARD(linear, linear)
/* One product over the shared weights for the whole batch: they are read once, not nb times. */
static void linear_step_batch(const sw_layer *l, float *const *states, const uint64_t *t, float *scratch,
                              const float *in, float *out, size_t nb)
{
    (void)states;
    (void)t;
    (void)scratch;
    sw_matmat(out, (size_t)l->d_out, &l->u.linear.w, in, (size_t)l->d_in, l->u.linear.bias, nb);
}

/* ------------------------------------------------------------------ conv1d -- */

KEEP_WIDTH_BUILD(conv1d, conv, d)
static void conv1d_free(sw_layer *l) { swi_free_conv1d(&l->u.conv); }
static void conv1d_forward(const sw_layer *l, float *state, float *scratch, const float *in, float *out,
                           size_t frames, uint64_t t0)
{
    (void)scratch;
    swi_conv1d_forward(&l->u.conv, state, in, out, frames, t0);
}

/* -------------------------------------------------------------------- norm -- */

KEEP_WIDTH_BUILD(norm, norm, d)
static void norm_free(sw_layer *l) { swi_free_norm(&l->u.norm); }
STATELESS_FORWARD(norm, norm)

/* ------------------------------------------------------------- act and glu -- */

KEEP_WIDTH_BUILD(act, act, d)
STATELESS_FORWARD(act, act)

static sw_status glu_build(sw_layer *l, const cJSON *cfg, int width, int depth, sw_build *b)
{
    (void)width;
    (void)depth;
    sw_status st = swi_build_glu(&l->u.glu, cfg, b);
    l->d_in = l->u.glu.d_in;
    l->d_out = l->u.glu.d_in / 2;
    return st;
}
STATELESS_FORWARD(glu, glu)

/* --------------------------------------------------------------- embedding -- */

static sw_status embedding_build(sw_layer *l, const cJSON *cfg, int width, int depth, sw_build *b)
{
    (void)width;
    (void)depth;
    sw_status st = swi_build_embedding(&l->u.emb, cfg, b);
    l->d_in = 1;
    l->d_out = l->u.emb.d;
    return st;
}
STATELESS_FORWARD(embedding, emb)

/* ---------------------------------------------------------------- residual -- */

/* y = u + f(u): the inner stack must map the current width to itself. */
static sw_status residual_build(sw_layer *l, const cJSON *cfg, int width, int depth, sw_build *b)
{
    char where[256];
    snprintf(where, sizeof where, "%s", b->where);
    sw_status st = swi_build_stack(&l->u.res.inner, cJSON_GetObjectItemCaseSensitive(cfg, "layers"), width, depth + 1, b);
    l->d_in = l->d_out = width;
    if (st == SW_OK && l->u.res.inner.d_out != width)
        st = sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: inner layers map width %d to %d (must keep it)",
                     where, width, l->u.res.inner.d_out);
    return st;
}
static void residual_free(sw_layer *l) { swi_free_stack(&l->u.res.inner); }
static size_t residual_scratch_floats(const sw_layer *l, size_t frames)
{
    return swi_stack_scratch_floats(&l->u.res.inner, frames);
}
static void residual_forward(const sw_layer *l, float *state, float *scratch, const float *in, float *out,
                             size_t frames, uint64_t t0)
{
    swi_stack_forward(&l->u.res.inner, state, scratch, in, out, frames, t0);
    sw_vadd(out, in, frames * (size_t)l->d_out);           /* y = u + f(u) */
}
/* The inner stack runs batched too, in this layer's scratch. */
static void residual_step_batch(const sw_layer *l, float *const *states, const uint64_t *t, float *scratch,
                                const float *in, float *out, size_t nb)
{
    swi_stack_step_batch(&l->u.res.inner, states, t, scratch, in, out, nb);
    sw_vadd(out, in, nb * (size_t)l->d_out);
}
static size_t residual_batch_scratch_floats(const sw_layer *l, size_t nb)
{
    return swi_stack_batch_scratch_floats(&l->u.res.inner, nb);
}

/* -------------------------------------------------------------------- pool -- */

static sw_status pool_build(sw_layer *l, const cJSON *cfg, int width, int depth, sw_build *b)
{
    (void)width;
    sw_status st = swi_build_pool(&l->u.pool, cfg, depth, b);
    l->d_in = l->d_out = l->u.pool.d;
    return st;
}
static void pool_free(sw_layer *l) { swi_free_pool(&l->u.pool); }
FIXED_SCRATCH(pool, pool)
static void pool_forward(const sw_layer *l, float *state, float *scratch, const float *in, float *out,
                         size_t frames, uint64_t t0)
{
    swi_pool_forward(&l->u.pool, state, scratch, in, out, frames, t0);
}

/* --------------------------------------------------------------------- s4d -- */

KEEP_WIDTH_BUILD(s4d, s4d, h)
static void s4d_free(sw_layer *l) { swi_free_s4d(&l->u.s4d); }
static void s4d_forward(const sw_layer *l, float *state, float *scratch, const float *in, float *out,
                        size_t frames, uint64_t t0)
{
    (void)scratch;
    (void)t0;
    swi_s4d_forward(&l->u.s4d, state, in, out, frames);
}
/* One pass over the shared Ā, C' for the whole batch, each row on its own net's state. */
static void s4d_step_batch(const sw_layer *l, float *const *states, const uint64_t *t, float *scratch,
                           const float *in, float *out, size_t nb)
{
    (void)t;
    (void)scratch;
    const sw_s4d *q = &l->u.s4d;
    sw_s4d_step_batch(out, (size_t)l->d_out, states, q->state_off, q->w, q->d, in, (size_t)l->d_in,
                      (size_t)q->h, (size_t)q->n, nb);
}

/* --------------------------------------------------------------- lru and s5 -- */

/* S5 builds into the LRU's diagonal form (s5.h) and runs as one. */
KEEP_WIDTH_BUILD(lru, lru, h)
KEEP_WIDTH_BUILD(s5, lru, h)
static void lru_free(sw_layer *l) { swi_free_lru(&l->u.lru); }
FIXED_SCRATCH(lru, lru)
static void lru_forward(const sw_layer *l, float *state, float *scratch, const float *in, float *out,
                        size_t frames, uint64_t t0)
{
    (void)t0;
    swi_lru_forward(&l->u.lru, state, scratch, in, out, frames);
}

/* ------------------------------------------------------------------- mamba -- */

KEEP_WIDTH_BUILD(mamba, mamba, h)
static void mamba_free(sw_layer *l) { swi_free_mamba(&l->u.mamba); }
FIXED_SCRATCH(mamba, mamba)
static void mamba_forward(const sw_layer *l, float *state, float *scratch, const float *in, float *out,
                          size_t frames, uint64_t t0)
{
    swi_mamba_forward(&l->u.mamba, state, scratch, in, out, frames, t0);
}

/* ------------------------------------------------------------------- table -- */

/* Layers with state of their own and no batched kernel (conv1d, pool, lru, s5, mamba) leave
 * step_batch NULL: the stack steps them net by net, each at its own clock. */
static const swi_layer_ops layer_ops[] = {
    {.name = "linear", .d_in_key = "d_in", .build = linear_build, .free = linear_free,
     .forward = linear_forward, .step_batch = linear_step_batch},
    {.name = "conv1d", .d_in_key = "d", .build = conv1d_build, .free = conv1d_free, .forward = conv1d_forward},
    {.name = "norm", .d_in_key = "d", .build = norm_build, .free = norm_free, .forward = norm_forward,
     .step_batch = step_batch_as_frames},
    {.name = "act", .d_in_key = "d", .build = act_build, .forward = act_forward, .step_batch = step_batch_as_frames},
    {.name = "glu", .d_in_key = "d_in", .build = glu_build, .forward = glu_forward,
     .step_batch = step_batch_as_frames},
    {.name = "embedding", .fixed_d_in = 1, .build = embedding_build, .forward = embedding_forward,
     .step_batch = step_batch_as_frames},
    {.name = "residual", .build = residual_build, .free = residual_free, .scratch_floats = residual_scratch_floats,
     .forward = residual_forward, .step_batch = residual_step_batch,
     .batch_scratch_floats = residual_batch_scratch_floats},
    {.name = "pool", .d_in_key = "d", .build = pool_build, .free = pool_free, .scratch_floats = pool_scratch_floats,
     .forward = pool_forward},
    {.name = "s4d", .d_in_key = "d", .build = s4d_build, .free = s4d_free, .forward = s4d_forward,
     .step_batch = s4d_step_batch},
    {.name = "lru", .d_in_key = "d", .build = lru_build, .free = lru_free, .scratch_floats = lru_scratch_floats,
     .forward = lru_forward},
    {.name = "s5", .d_in_key = "d", .build = s5_build, .free = lru_free, .scratch_floats = lru_scratch_floats,
     .forward = lru_forward},
    {.name = "mamba", .d_in_key = "d", .build = mamba_build, .free = mamba_free,
     .scratch_floats = mamba_scratch_floats, .forward = mamba_forward},
};

const swi_layer_ops *swi_layer_ops_find(const char *name)
{
    for (size_t k = 0; k < sizeof layer_ops / sizeof layer_ops[0]; k++)
        if (strcmp(name, layer_ops[k].name) == 0) return &layer_ops[k];
    return NULL;
}
