/* layer.h — the layer tree of a model (internal).
 *
 * A model's config becomes a stack (list) of layers; residual and pool layers hold an inner
 * stack. The tree and every weight in it are built once at load time and are read-only
 * afterwards, shared by all nets. A net owns only the state block (every layer's recurrent
 * state at its `state_off`) and scratch. */
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

typedef enum {
    SW_L_LINEAR, SW_L_CONV1D, SW_L_NORM, SW_L_ACT, SW_L_GLU, SW_L_EMBEDDING,
    SW_L_RESIDUAL, SW_L_POOL, SW_L_S4D, SW_L_LRU, SW_L_S5, SW_L_MAMBA
} sw_layer_type;

typedef struct sw_layer sw_layer;

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
    sw_layer_type type;
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

/* pool.c */
sw_status swi_build_pool(sw_pool *l, const cJSON *cfg, int depth, sw_build *b);
void swi_free_pool(sw_pool *l);
size_t swi_pool_scratch_floats(const sw_pool *l);
void swi_pool_forward(const sw_pool *l, float *state, float *scratch, const float *in, float *out,
                  size_t frames, uint64_t t0);

#endif
