/* mamba.h — Mamba (selective SSM) block in recurrent form (internal). */
#ifndef SW_MAMBA_H
#define SW_MAMBA_H
#include "core.h"
#include "conv1d.h"

typedef struct {
    int h, e, n, k, r;   /* d (H), d_inner (E), d_state (N), d_conv (K), dt_rank (R) */
    float *in_t;         /* [H][2E]   in_proj.weight transposed (owned, like all *_t) */
    sw_conv1d conv;      /* depthwise causal conv over x, width E, kernel K (owns its taps) */
    float *xproj_t;      /* [E][R+2N] x_proj.weight transposed */
    float *dtproj_t;     /* [R][E]    dt_proj.weight transposed */
    const float *dt_bias;/* [E]       dt_proj.bias (model-owned) */
    float *a;            /* [N][E]    A = −exp(A_log), mode-major (lane = inner channel) */
    const float *d;      /* [E]       (model-owned) */
    float *out_t;        /* [E][H]    out_proj.weight transposed */
    size_t state_off;    /* state: h [N][E]  (the conv ring has its own offset in `conv`) */
} sw_mamba;

sw_status build_mamba(sw_mamba *l, const cJSON *cfg, sw_build *b);
void free_mamba(sw_mamba *l);
size_t mamba_scratch_floats(const sw_mamba *l);
void mamba_forward(const sw_mamba *l, float *state, float *scratch, const float *in, float *out,
                   size_t frames, uint64_t t0);

#endif
