/* activation.h — elementwise activations and GLU (internal, no weights). */
#ifndef SW_ACTIVATION_H
#define SW_ACTIVATION_H
#include "build.h"

typedef enum { SW_ACT_GELU, SW_ACT_SILU, SW_ACT_TANH, SW_ACT_SIGMOID, SW_ACT_RELU } sw_act_fn;

typedef struct {
    sw_act_fn fn;
    int d;
} sw_act;

typedef struct {
    int d_in;            /* even; output is d_in/2 */
} sw_glu;

sw_status swi_build_act(sw_act *l, const cJSON *cfg, sw_build *b);
sw_status swi_build_glu(sw_glu *l, const cJSON *cfg, sw_build *b);
void swi_act_forward(const sw_act *l, const float *in, float *out, size_t frames);
/* y = a ⊙ σ(b), [a, b] = halves of u */
void swi_glu_forward(const sw_glu *l, const float *in, float *out, size_t frames);

#endif
