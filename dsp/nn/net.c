/* net.c — the layer tree (swi_build_stack) and the per-stream runtime (sw_net).
 *
 * The tree is walked through each layer's swi_layer_ops (layer.h, layer.c): nothing here
 * depends on which layer types exist.
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

/* The input width a layer's config declares (the key it is built from), so that a width
 * mismatch is reported as such before the builder complains about tensor shapes.
 * 0 if the key is missing or not a number (the builder then reports that). */
static int declared_d_in(const swi_layer_ops *ops, const cJSON *cfg)
{
    if (!ops->d_in_key) return ops->fixed_d_in;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, ops->d_in_key);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 1.0 && v->valuedouble <= SW_MAX_WIDTH)) return 0;
    return (int)v->valuedouble;
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
        const swi_layer_ops *ops = swi_layer_ops_find(type->valuestring);
        if (!ops) {
            st = sw_fail(b->err, b->errlen, SW_ERR_UNSUPPORTED, "%s: unknown layer type \"%.40s\"", where, type->valuestring);
            break;
        }
        l->ops = ops;
        if (cJSON_IsString(name))
            snprintf(where + strlen(where), sizeof where - strlen(where), " (%s \"%.60s\")", ops->name, name->valuestring);
        else
            snprintf(where + strlen(where), sizeof where - strlen(where), " (%s)", ops->name);
        if (++b->n_layers > SW_MAX_LAYERS) {
            st = sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: more than %d layers in all", where, SW_MAX_LAYERS);
            break;
        }
        int declared = declared_d_in(ops, cfg);
        if (declared && declared != width) {
            st = sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: input width %d does not match the incoming width %d",
                         where, declared, width);
            break;
        }
        b->where = where;
        st = ops->build(l, cfg, width, depth, b);
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
    for (int i = 0; i < s->n; i++) {
        sw_layer *l = &s->layers[i];
        if (l->ops && l->ops->free) l->ops->free(l);    /* no ops: the build stopped before it */
    }
    free(s->layers);
    s->layers = NULL;
    s->n = 0;
}

/* --------------------------------------------------------------- running -- */

static size_t layer_scratch_floats(const sw_layer *l, size_t frames)
{
    return l->ops->scratch_floats ? l->ops->scratch_floats(l, frames) : 0;
}

/* A layer without a batched step runs net by net in the scratch of one frame. */
static size_t batch_layer_scratch_floats(const sw_layer *l, size_t nb)
{
    if (l->ops->batch_scratch_floats) return l->ops->batch_scratch_floats(l, nb);
    return layer_scratch_floats(l, 1);
}

/* two ping-pong buffers [rows][max_width] + the largest layer scratch, for `rows` frames of
 * one net (layer_scratch_floats) or one frame of `rows` nets (batch_layer_scratch_floats) */
static size_t stack_scratch_floats(const sw_stack *s, size_t rows, size_t (*layer_floats)(const sw_layer *, size_t))
{
    size_t most = 0;
    for (int i = 0; i < s->n; i++) {
        size_t k = layer_floats(&s->layers[i], rows);
        if (k > most) most = k;
    }
    return 2 * sw_pad16(rows * (size_t)s->max_width) + most;
}

size_t swi_stack_scratch_floats(const sw_stack *s, size_t frames)
{
    return stack_scratch_floats(s, frames, layer_scratch_floats);
}

void swi_stack_forward(const sw_stack *s, float *state, float *scratch, const float *in, float *out,
                   size_t frames, uint64_t t0)
{
    float *buf[2] = {scratch, scratch + sw_pad16(frames * (size_t)s->max_width)};
    float *layer_scratch = buf[1] + sw_pad16(frames * (size_t)s->max_width);
    const float *src = in;
    for (int i = 0; i < s->n; i++) {
        float *dst = (i == s->n - 1) ? out : buf[i & 1];
        s->layers[i].ops->forward(&s->layers[i], state, layer_scratch, src, dst, frames, t0);
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
    SWI_FREE_EACH(n->state, n->scratch, n->in);
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
    float *scratch;       /* swi_stack_batch_scratch_floats(top, max) */
};

size_t swi_stack_batch_scratch_floats(const sw_stack *s, size_t nb)
{
    return stack_scratch_floats(s, nb, batch_layer_scratch_floats);
}

/* in [nb][d_in] -> out [nb][d_out], row b belonging to the net whose state is states[b]. */
static void batch_layer_forward(const sw_layer *l, float *const *states, const uint64_t *t, float *scratch,
                                const float *in, float *out, size_t nb)
{
    if (l->ops->step_batch) {
        l->ops->step_batch(l, states, t, scratch, in, out, nb);
        return;
    }
    const size_t di = (size_t)l->d_in, dout = (size_t)l->d_out;
    for (size_t b = 0; b < nb; b++)        /* each net at its own clock */
        l->ops->forward(l, states[b], scratch, in + b * di, out + b * dout, 1, t[b]);
}

void swi_stack_step_batch(const sw_stack *s, float *const *states, const uint64_t *t, float *scratch,
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
    bt->scratch = sw_calloc_aligned(swi_stack_batch_scratch_floats(&m->top, nb), sizeof(float));
    if (!bt->states || !bt->t || !bt->in || !bt->out || !bt->scratch) {
        swi_batch_free(bt);
        return NULL;
    }
    return bt;
}

void swi_batch_free(swi_batch *bt)
{
    if (!bt) return;
    SWI_FREE_EACH(bt->states, bt->t, bt->in, bt->out, bt->scratch);
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
        swi_stack_step_batch(&m->top, bt->states, bt->t, bt->scratch, bt->in, bt->out, nb);
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
