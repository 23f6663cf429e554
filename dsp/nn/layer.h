/* layer.h — the layer tree of a model and the layer types' operations (internal).
 *
 * A model's config becomes a stack (list) of layers; residual and pool layers hold an inner
 * stack. The tree and every weight in it are built once at load time and are read-only
 * afterwards, shared by all nets. A net owns only the state block (every layer's recurrent
 * state at its `state_off`) and scratch.
 *
 * Each layer type is one file pair (linear.{c,h}, s4d.{c,h}, ...) and one swi_layer_ops entry
 * (layer.c): the stack code (net.c) dispatches through the entry and names no layer type, so a
 * new type is its file pair plus one entry. */
#ifndef SW_LAYER_H
#define SW_LAYER_H

#include "core.h"
#include "kernels.h"
#include "linear.h"
#include "conv1d.h"
#include "norm.h"
#include "activation.h"
#include "embedding.h"
#include "s4d.h"
#include "lru.h"
#include "s5.h"
#include "mamba.h"

typedef struct sw_layer sw_layer;

/* The operations of one layer type. `state` is the net's whole state block (a layer finds its
 * part at its state_off), `scratch` holds scratch_floats(l, frames) floats, in and out do not
 * alias, t0 is the index of the first frame at the layer's rate. */
typedef struct {
    const char *name;       /* the config's "type" */
    /* The config key holding the input width, read before the build so that a width mismatch
     * is reported as such before the builder complains about tensor shapes; NULL: the type
     * declares none, its input width is fixed_d_in (0: whatever comes in). */
    const char *d_in_key;
    int fixed_d_in;
    /* Builds l->u from its config; sets l->d_in and l->d_out. `width` is the incoming width,
     * `depth` the number of enclosing residual/pool layers. Not RT. */
    sw_status (*build)(sw_layer *l, const cJSON *cfg, int width, int depth, sw_build *b);
    void (*free)(sw_layer *l);                            /* NULL: owns nothing */
    size_t (*scratch_floats)(const sw_layer *l, size_t frames);   /* NULL: needs none */
    /* in[frames][d_in] -> out[frames][d_out]. [RT] */
    void (*forward)(const sw_layer *l, float *state, float *scratch, const float *in, float *out,
                    size_t frames, uint64_t t0);
    /* One frame of nb nets at once (swi_net_step_batch): row b of in/out belongs to the net
     * whose state block is states[b] and whose clock is t[b]. NULL: net by net through forward
     * with the scratch of one frame. [RT] */
    void (*step_batch)(const sw_layer *l, float *const *states, const uint64_t *t, float *scratch,
                       const float *in, float *out, size_t nb);
    /* Scratch of step_batch for nb nets; NULL: scratch_floats(l, 1). */
    size_t (*batch_scratch_floats)(const sw_layer *l, size_t nb);
} swi_layer_ops;

/* The entry of config type `name`; NULL for an unknown type. */
const swi_layer_ops *swi_layer_ops_find(const char *name);

typedef struct {
    int n;               /* number of layers */
    sw_layer *layers;    /* [n] (owned) */
    int d_in, d_out;     /* width into the first / out of the last layer */
    int max_width;       /* widest activation between layers (sizes the ping-pong buffers) */
} sw_stack;

typedef struct {
    sw_stack inner;      /* d → d */
} sw_residual;

typedef struct {
    int d, p, e;         /* frame width d, factor p, expand e; inner width d·e */
    sw_mat down;         /* [d·e, p·d] down.weight packed (owned) */
    const float *down_b; /* [d·e] (model-owned) */
    sw_mat up;           /* [p·d, d·e] up.weight packed (owned) */
    const float *up_b;   /* [p·d] (model-owned) */
    sw_stack inner;      /* d·e → d·e, steps once per p frames */
    size_t state_off;    /* state: block [p·d] being gathered, pending [p·d] = v_{k−1} being emitted */
} sw_pool;

struct sw_layer {
    const swi_layer_ops *ops;
    int d_in, d_out;
    union {
        sw_linear linear;
        sw_conv1d conv;
        sw_norm norm;
        sw_act act;
        sw_glu glu;
        sw_embedding emb;
        sw_residual res;
        sw_pool pool;
        sw_s4d s4d;
        sw_lru lru;      /* lru and s5 */
        sw_mamba mamba;
    } u;
};

/* Builds the stack from a JSON array of layer objects; `d_in` is the width coming in,
 * `depth` the number of enclosing residual/pool layers. */
sw_status swi_build_stack(sw_stack *s, const cJSON *arr, int d_in, int depth, sw_build *b);
void swi_free_stack(sw_stack *s);
/* Scratch floats that swi_stack_forward needs for a call of `frames` frames. */
size_t swi_stack_scratch_floats(const sw_stack *s, size_t frames);
/* in[frames][d_in] -> out[frames][d_out]; t0 = index of the first frame at this stack's
 * rate (drives ring buffers and pool phases). in and out must not alias. */
void swi_stack_forward(const sw_stack *s, float *state, float *scratch, const float *in, float *out,
                   size_t frames, uint64_t t0);
/* One frame of nb nets through the stack (see swi_layer_ops.step_batch) and its scratch. */
size_t swi_stack_batch_scratch_floats(const sw_stack *s, size_t nb);
void swi_stack_step_batch(const sw_stack *s, float *const *states, const uint64_t *t, float *scratch,
                          const float *in, float *out, size_t nb);

/* pool.c */
sw_status swi_build_pool(sw_pool *l, const cJSON *cfg, int depth, sw_build *b);
void swi_free_pool(sw_pool *l);
size_t swi_pool_scratch_floats(const sw_pool *l);
void swi_pool_forward(const sw_pool *l, float *state, float *scratch, const float *in, float *out,
                  size_t frames, uint64_t t0);

#endif
