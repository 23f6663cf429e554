/* net.c — the layer tree (swi_build_stack) and the per-stream runtime (sw_net).
 *
 * A stack runs layer by layer over a chunk of frames, ping-ponging between two scratch
 * buffers; every layer's chunk path loops over frames with the same per-frame kernels as a
 * single step, so a chunk of any length gives bit-identical results to stepping (that is
 * the whole streaming contract). Residual and pool layers recurse into their inner stacks. */
#include "model.h"
#include "kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ building -- */

static const struct { const char *name; sw_layer_type type; } layer_types[] = {
    {"linear", SW_L_LINEAR}, {"conv1d", SW_L_CONV1D}, {"norm", SW_L_NORM}, {"act", SW_L_ACT},
    {"glu", SW_L_GLU}, {"embedding", SW_L_EMBEDDING}, {"residual", SW_L_RESIDUAL}, {"pool", SW_L_POOL},
    {"s4d", SW_L_S4D}, {"lru", SW_L_LRU}, {"s5", SW_L_S5}, {"mamba", SW_L_MAMBA},
};

/* The input width a layer's config declares (the key it is built from), so that a width
 * mismatch is reported as such before the builder complains about tensor shapes.
 * 0 if the key is missing or not a number (the builder then reports that). */
static int declared_d_in(sw_layer_type type, const cJSON *cfg, int width)
{
    const char *key;
    switch (type) {
    case SW_L_LINEAR:
    case SW_L_GLU: key = "d_in"; break;
    case SW_L_EMBEDDING: return 1;
    case SW_L_RESIDUAL: return width;
    default: key = "d"; break;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 1.0 && v->valuedouble <= SW_MAX_WIDTH)) return 0;
    return (int)v->valuedouble;
}

/* Builds one layer of type l->type from its config object; sets l->d_in / l->d_out. */
static sw_status build_layer(sw_layer *l, const cJSON *cfg, int width, int depth, sw_build *b)
{
    sw_status st = SW_OK;
    switch (l->type) {
    case SW_L_LINEAR:
        st = swi_build_linear(&l->u.linear, cfg, b);
        l->d_in = l->u.linear.d_in; l->d_out = l->u.linear.d_out;
        break;
    case SW_L_CONV1D:
        st = swi_build_conv1d(&l->u.conv, cfg, b);
        l->d_in = l->d_out = l->u.conv.d;
        break;
    case SW_L_NORM:
        st = swi_build_norm(&l->u.norm, cfg, b);
        l->d_in = l->d_out = l->u.norm.d;
        break;
    case SW_L_ACT:
        st = swi_build_act(&l->u.act, cfg, b);
        l->d_in = l->d_out = l->u.act.d;
        break;
    case SW_L_GLU:
        st = swi_build_glu(&l->u.glu, cfg, b);
        l->d_in = l->u.glu.d_in; l->d_out = l->u.glu.d_in / 2;
        break;
    case SW_L_EMBEDDING:
        st = swi_build_embedding(&l->u.emb, cfg, b);
        l->d_in = 1; l->d_out = l->u.emb.d;
        break;
    case SW_L_RESIDUAL: {
        /* y = u + f(u): the inner stack must map the current width to itself */
        char where[256];
        snprintf(where, sizeof where, "%s", b->where);
        st = swi_build_stack(&l->u.res.inner, cJSON_GetObjectItemCaseSensitive(cfg, "layers"), width, depth + 1, b);
        l->d_in = l->d_out = width;
        if (st == SW_OK && l->u.res.inner.d_out != width)
            st = sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: inner layers map width %d to %d (must keep it)",
                         where, width, l->u.res.inner.d_out);
        break;
    }
    case SW_L_POOL:
        st = swi_build_pool(&l->u.pool, cfg, depth, b);
        l->d_in = l->d_out = l->u.pool.d;
        break;
    case SW_L_S4D:
        st = swi_build_s4d(&l->u.s4d, cfg, b);
        l->d_in = l->d_out = l->u.s4d.h;
        break;
    case SW_L_LRU:
        st = swi_build_lru(&l->u.lru, cfg, b);
        l->d_in = l->d_out = l->u.lru.h;
        break;
    case SW_L_S5:
        st = swi_build_s5(&l->u.lru, cfg, b);
        l->d_in = l->d_out = l->u.lru.h;
        break;
    case SW_L_MAMBA:
        st = swi_build_mamba(&l->u.mamba, cfg, b);
        l->d_in = l->d_out = l->u.mamba.h;
        break;
    }
    return st;
}

static void free_layer(sw_layer *l)
{
    switch (l->type) {
    case SW_L_LINEAR: swi_free_linear(&l->u.linear); break;
    case SW_L_CONV1D: swi_free_conv1d(&l->u.conv); break;
    case SW_L_NORM: swi_free_norm(&l->u.norm); break;
    case SW_L_RESIDUAL: swi_free_stack(&l->u.res.inner); break;
    case SW_L_POOL: swi_free_pool(&l->u.pool); break;
    case SW_L_S4D: swi_free_s4d(&l->u.s4d); break;
    case SW_L_LRU:
    case SW_L_S5: swi_free_lru(&l->u.lru); break;
    case SW_L_MAMBA: swi_free_mamba(&l->u.mamba); break;
    case SW_L_ACT:
    case SW_L_GLU:
    case SW_L_EMBEDDING: break;
    }
}

sw_status swi_build_stack(sw_stack *s, const cJSON *arr, int d_in, int depth, sw_build *b)
{
    const char *outer = b->where;
    if (depth > SW_MAX_DEPTH)
        return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: layers nested deeper than %d", outer, SW_MAX_DEPTH);
    if (!cJSON_IsArray(arr))
        return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: \"layers\" missing or not an array", outer);
    int n = cJSON_GetArraySize(arr);
    if (n < 1) return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: \"layers\" is empty", outer);
    if (n > SW_MAX_LAYERS)
        return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: more than %d layers", outer, SW_MAX_LAYERS);
    s->layers = calloc((size_t)n, sizeof *s->layers);
    if (!s->layers) return sw_fail(b->err, b->errlen, SW_ERR_NOMEM, "out of memory");
    s->n = n;
    s->d_in = d_in;
    s->max_width = d_in;

    sw_status st = SW_OK;
    int width = d_in, i = 0;
    char where[320];
    const cJSON *cfg;
    cJSON_ArrayForEach(cfg, arr) {
        sw_layer *l = &s->layers[i];
        const cJSON *type = cJSON_IsObject(cfg) ? cJSON_GetObjectItemCaseSensitive(cfg, "type") : NULL;
        const cJSON *name = cJSON_IsObject(cfg) ? cJSON_GetObjectItemCaseSensitive(cfg, "name") : NULL;
        snprintf(where, sizeof where, "%s%slayer %d", depth ? outer : "", depth ? " > " : "", i);
        if (!cJSON_IsObject(cfg)) { st = sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: not a JSON object", where); break; }
        if (!cJSON_IsString(type)) { st = sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: missing or non-string \"type\"", where); break; }
        size_t k, nt = sizeof layer_types / sizeof layer_types[0];
        for (k = 0; k < nt; k++)
            if (strcmp(type->valuestring, layer_types[k].name) == 0) break;
        if (k == nt) {
            st = sw_fail(b->err, b->errlen, SW_ERR_UNSUPPORTED, "%s: unknown layer type \"%.40s\"", where, type->valuestring);
            break;
        }
        l->type = layer_types[k].type;
        if (cJSON_IsString(name))
            snprintf(where + strlen(where), sizeof where - strlen(where), " (%s \"%.60s\")", layer_types[k].name, name->valuestring);
        else
            snprintf(where + strlen(where), sizeof where - strlen(where), " (%s)", layer_types[k].name);
        if (++b->n_layers > SW_MAX_LAYERS) {
            st = sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: more than %d layers in all", where, SW_MAX_LAYERS);
            break;
        }
        int declared = declared_d_in(l->type, cfg, width);
        if (declared && declared != width) {
            st = sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: input width %d does not match the incoming width %d",
                         where, declared, width);
            break;
        }
        b->where = where;
        st = build_layer(l, cfg, width, depth, b);
        b->where = outer;
        if (st != SW_OK) break;
        if (l->d_in != width) {
            st = sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: input width %d does not match the incoming width %d",
                         where, l->d_in, width);
            break;
        }
        width = l->d_out;
        if (width > s->max_width) s->max_width = width;
        i++;
    }
    b->where = outer;
    s->d_out = width;
    return st;
}

void swi_free_stack(sw_stack *s)
{
    if (!s->layers) return;
    for (int i = 0; i < s->n; i++) free_layer(&s->layers[i]);
    free(s->layers);
    s->layers = NULL;
    s->n = 0;
}

/* --------------------------------------------------------------- running -- */

static size_t layer_scratch_floats(const sw_layer *l, size_t frames)
{
    switch (l->type) {
    case SW_L_LRU:
    case SW_L_S5: return swi_lru_scratch_floats(&l->u.lru);
    case SW_L_MAMBA: return swi_mamba_scratch_floats(&l->u.mamba);
    case SW_L_RESIDUAL: return swi_stack_scratch_floats(&l->u.res.inner, frames);
    case SW_L_POOL: return swi_pool_scratch_floats(&l->u.pool);
    default: return 0;
    }
}

/* two ping-pong buffers [frames][max_width] + the largest layer scratch */
size_t swi_stack_scratch_floats(const sw_stack *s, size_t frames)
{
    size_t most = 0;
    for (int i = 0; i < s->n; i++) {
        size_t k = layer_scratch_floats(&s->layers[i], frames);
        if (k > most) most = k;
    }
    return 2 * sw_pad16(frames * (size_t)s->max_width) + most;
}

static void layer_forward(const sw_layer *l, float *state, float *scratch, const float *in, float *out,
                          size_t frames, uint64_t t0)
{
    switch (l->type) {
    case SW_L_LINEAR: swi_linear_forward(&l->u.linear, in, out, frames); break;
    case SW_L_CONV1D: swi_conv1d_forward(&l->u.conv, state, in, out, frames, t0); break;
    case SW_L_NORM: swi_norm_forward(&l->u.norm, in, out, frames); break;
    case SW_L_ACT: swi_act_forward(&l->u.act, in, out, frames); break;
    case SW_L_GLU: swi_glu_forward(&l->u.glu, in, out, frames); break;
    case SW_L_EMBEDDING: swi_embedding_forward(&l->u.emb, in, out, frames); break;
    case SW_L_RESIDUAL:
        swi_stack_forward(&l->u.res.inner, state, scratch, in, out, frames, t0);
        sw_vadd(out, in, frames * (size_t)l->d_out);           /* y = u + f(u) */
        break;
    case SW_L_POOL: swi_pool_forward(&l->u.pool, state, scratch, in, out, frames, t0); break;
    case SW_L_S4D: swi_s4d_forward(&l->u.s4d, state, in, out, frames); break;
    case SW_L_LRU:
    case SW_L_S5: swi_lru_forward(&l->u.lru, state, scratch, in, out, frames); break;
    case SW_L_MAMBA: swi_mamba_forward(&l->u.mamba, state, scratch, in, out, frames, t0); break;
    }
}

void swi_stack_forward(const sw_stack *s, float *state, float *scratch, const float *in, float *out,
                   size_t frames, uint64_t t0)
{
    float *buf[2] = {scratch, scratch + sw_pad16(frames * (size_t)s->max_width)};
    float *layer_scratch = buf[1] + sw_pad16(frames * (size_t)s->max_width);
    const float *src = in;
    for (int i = 0; i < s->n; i++) {
        float *dst = (i == s->n - 1) ? out : buf[i & 1];
        layer_forward(&s->layers[i], state, layer_scratch, src, dst, frames, t0);
        src = dst;
    }
}

/* ------------------------------------------------------------------ sw_net -- */

struct sw_net {
    const sw_model *m;   /* weights and layer tree (not owned, must outlive the net) */
    float *state;        /* [m->state_floats] every layer's recurrent state; all-zero = initial */
    float *scratch;      /* [m->scratch_floats] activations of one chunk, layer scratch */
    float *in;           /* [SW_CHUNK][d_input] sanitized copy of the input chunk */
    uint64_t t;          /* frames since create/reset (drives rings, pool phases, chunk alignment) */
    int poisoned;        /* a non-finite output was seen since the last chunk boundary */
};

sw_status sw_net_create(const sw_model *m, sw_net **out, char *err, size_t errlen)
{
    if (err && errlen) err[0] = '\0';
    if (!out) return sw_fail(err, errlen, SW_ERR_ARG, "out is NULL");
    *out = NULL;
    if (!m) return sw_fail(err, errlen, SW_ERR_ARG, "model is NULL");
    /* the kernel set is chosen here, off the audio thread (it reads STATEWAVE_KERNELS) */
    sw_kernels_select();
    sw_net *n = calloc(1, sizeof *n);
    if (!n) return sw_fail(err, errlen, SW_ERR_NOMEM, "out of memory");
    n->m = m;
    n->state = sw_calloc_aligned(m->state_floats, sizeof(float));
    n->scratch = sw_calloc_aligned(m->scratch_floats, sizeof(float));
    n->in = sw_calloc_aligned((size_t)SW_CHUNK * (size_t)m->d_input, sizeof(float));
    if (!n->state || !n->scratch || !n->in) {
        sw_net_destroy(n);
        return sw_fail(err, errlen, SW_ERR_NOMEM, "out of memory for the network state (%zu + %zu floats)",
                       m->state_floats, m->scratch_floats);
    }
    *out = n;
    return SW_OK;
}

void sw_net_destroy(sw_net *n)
{
    if (!n) return;
    sw_free(n->state);
    sw_free(n->scratch);
    sw_free(n->in);
    free(n);
}

void sw_net_reset(sw_net *n)
{
    if (!n) return;
    memset(n->state, 0, n->m->state_floats * sizeof(float));
    n->t = 0;
    n->poisoned = 0;
}

size_t swi_net_state_floats(const sw_net *n) { return n ? n->m->state_floats : 0; }

void swi_net_save_state(const sw_net *n, float *dst, uint64_t *t)
{
    memcpy(dst, n->state, n->m->state_floats * sizeof(float));
    *t = n->t;
}

void swi_net_load_state(sw_net *n, const float *src, uint64_t t)
{
    memcpy(n->state, src, n->m->state_floats * sizeof(float));
    n->t = t;
    n->poisoned = 0;
}

void sw_net_process(sw_net *n, const float *in, float *out, size_t frames)
{
    if (!n || !in || !out) return;
    const size_t di = (size_t)n->m->d_input, dout = (size_t)n->m->d_output;
    sw_fpenv env;
    sw_fpenv_enter(&env);
    while (frames > 0) {
        /* the chunk ends at the next multiple of SW_CHUNK in stream time */
        size_t len = SW_CHUNK - (size_t)(n->t % SW_CHUNK);
        if (len > frames) len = frames;
        /* Input sanitation: non-finite -> 0 (a dropout must not poison the state), then
         * clamp so that absurd but finite input cannot overflow it either. */
        sw_vsanitize(n->in, in, len * di, SW_INPUT_CLAMP);
        swi_stack_forward(&n->m->top, n->state, n->scratch, n->in, out, len, n->t);
        /* With finite weights and clamped input the output is finite unless something
         * overflowed. Then: emit 0 for the bad values now, reset at the chunk boundary. */
        if (!sw_all_finite(out, len * dout)) {
            for (size_t i = 0; i < len * dout; i++)
                if (!isfinite(out[i])) out[i] = 0.0f;
            n->poisoned = 1;
        }
        n->t += len;
        if (n->t % SW_CHUNK == 0 && (n->poisoned || !sw_all_finite(n->state, n->m->state_floats)))
            sw_net_reset(n);
        in += len * di;
        out += len * dout;
        frames -= len;
    }
    sw_fpenv_leave(&env);
}

void sw_net_step(sw_net *n, const float *in, float *out) { sw_net_process(n, in, out, 1); }

/* ------------------------------------------------------------ batched step -- */

struct swi_batch {
    const sw_model *m;
    int max;              /* nets per call at most */
    float **states;       /* [max] each net's state block */
    uint64_t *t;          /* [max] each net's frame clock */
    float *in;            /* [max][d_input] sanitized inputs */
    float *out;           /* [max][d_output] */
    float *scratch;       /* batch_stack_scratch_floats(top, max) */
};

static size_t batch_stack_scratch_floats(const sw_stack *s, size_t nb);

/* A residual's inner stack runs batched in the layer scratch; every other layer that steps
 * net by net needs its own one-frame scratch. */
static size_t batch_layer_scratch_floats(const sw_layer *l, size_t nb)
{
    if (l->type == SW_L_RESIDUAL) return batch_stack_scratch_floats(&l->u.res.inner, nb);
    return layer_scratch_floats(l, 1);
}

static size_t batch_stack_scratch_floats(const sw_stack *s, size_t nb)
{
    size_t most = 0;
    for (int i = 0; i < s->n; i++) {
        size_t k = batch_layer_scratch_floats(&s->layers[i], nb);
        if (k > most) most = k;
    }
    return 2 * sw_pad16(nb * (size_t)s->max_width) + most;
}

static void batch_stack_forward(const sw_stack *s, float *const *states, const uint64_t *t, float *scratch,
                                const float *in, float *out, size_t nb);

/* in [nb][d_in] -> out [nb][d_out], row b belonging to the net whose state is states[b]. */
static void batch_layer_forward(const sw_layer *l, float *const *states, const uint64_t *t, float *scratch,
                                const float *in, float *out, size_t nb)
{
    const size_t di = (size_t)l->d_in, dout = (size_t)l->d_out;
    switch (l->type) {
    case SW_L_LINEAR:
        sw_matmat(out, dout, &l->u.linear.w, in, di, l->u.linear.bias, nb);
        break;
    case SW_L_S4D: {
        const sw_s4d *q = &l->u.s4d;
        sw_s4d_step_batch(out, dout, states, q->state_off, q->w, q->d, in, di, (size_t)q->h, (size_t)q->n, nb);
        break;
    }
    /* stateless and frame by frame: the nb rows are nb frames to them */
    case SW_L_NORM:
    case SW_L_ACT:
    case SW_L_GLU:
    case SW_L_EMBEDDING:
        layer_forward(l, NULL, scratch, in, out, nb, 0);
        break;
    case SW_L_RESIDUAL:
        batch_stack_forward(&l->u.res.inner, states, t, scratch, in, out, nb);
        sw_vadd(out, in, nb * dout);
        break;
    default:   /* conv1d, pool, lru, s5, mamba: net by net, each at its own clock */
        for (size_t b = 0; b < nb; b++)
            layer_forward(l, states[b], scratch, in + b * di, out + b * dout, 1, t[b]);
        break;
    }
}

static void batch_stack_forward(const sw_stack *s, float *const *states, const uint64_t *t, float *scratch,
                                const float *in, float *out, size_t nb)
{
    float *buf[2] = {scratch, scratch + sw_pad16(nb * (size_t)s->max_width)};
    float *layer_scratch = buf[1] + sw_pad16(nb * (size_t)s->max_width);
    const float *src = in;
    for (int i = 0; i < s->n; i++) {
        float *dst = (i == s->n - 1) ? out : buf[i & 1];
        batch_layer_forward(&s->layers[i], states, t, layer_scratch, src, dst, nb);
        src = dst;
    }
}

swi_batch *swi_batch_create(const sw_model *m, int max_nets)
{
    if (!m || max_nets < 1) return NULL;
    swi_batch *bt = calloc(1, sizeof *bt);
    if (!bt) return NULL;
    const size_t nb = (size_t)max_nets;
    bt->m = m;
    bt->max = max_nets;
    bt->states = calloc(nb, sizeof *bt->states);
    bt->t = calloc(nb, sizeof *bt->t);
    bt->in = sw_calloc_aligned(nb * (size_t)m->d_input, sizeof(float));
    bt->out = sw_calloc_aligned(nb * (size_t)m->d_output, sizeof(float));
    bt->scratch = sw_calloc_aligned(batch_stack_scratch_floats(&m->top, nb), sizeof(float));
    if (!bt->states || !bt->t || !bt->in || !bt->out || !bt->scratch) {
        swi_batch_free(bt);
        return NULL;
    }
    return bt;
}

void swi_batch_free(swi_batch *bt)
{
    if (!bt) return;
    free(bt->states);
    free(bt->t);
    sw_free(bt->in);
    sw_free(bt->out);
    sw_free(bt->scratch);
    free(bt);
}

void swi_net_step_batch(swi_batch *bt, sw_net *const *nets, const float *const *in, float *const *out, int count)
{
    if (!bt || count < 1) return;
    const sw_model *m = bt->m;
    const size_t di = (size_t)m->d_input, dout = (size_t)m->d_output;
    sw_fpenv env;
    sw_fpenv_enter(&env);
    for (int b0 = 0; b0 < count; b0 += bt->max) {
        const size_t nb = (size_t)(count - b0 < bt->max ? count - b0 : bt->max);
        /* what sw_net_process does for a chunk of one frame, net by net around the batched walk */
        for (size_t b = 0; b < nb; b++) {
            sw_net *n = nets[b0 + (int)b];
            bt->states[b] = n->state;
            bt->t[b] = n->t;
            sw_vsanitize(bt->in + b * di, in[b0 + (int)b], di, SW_INPUT_CLAMP);
        }
        batch_stack_forward(&m->top, bt->states, bt->t, bt->scratch, bt->in, bt->out, nb);
        for (size_t b = 0; b < nb; b++) {
            sw_net *n = nets[b0 + (int)b];
            float *o = out[b0 + (int)b];
            memcpy(o, bt->out + b * dout, dout * sizeof *o);
            if (!sw_all_finite(o, dout)) {
                for (size_t i = 0; i < dout; i++)
                    if (!isfinite(o[i])) o[i] = 0.0f;
                n->poisoned = 1;
            }
            n->t += 1;
            if (n->t % SW_CHUNK == 0 && (n->poisoned || !sw_all_finite(n->state, m->state_floats)))
                sw_net_reset(n);
        }
    }
    sw_fpenv_leave(&env);
}
