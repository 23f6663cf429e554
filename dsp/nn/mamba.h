/* mamba.h — Mamba (selective SSM) block in recurrent form (internal). */
#ifndef SW_MAMBA_H
#define SW_MAMBA_H
#include "build.h"
#include "conv1d.h"
#include "kernels.h"

typedef struct {
    int h, e, n, k, r;   /* d (H), d_inner (E), d_state (N), d_conv (K), dt_rank (R) */
    sw_mat in_proj;      /* [2E, H]   (packed, owned like all sw_mat here) */
    sw_conv1d conv;      /* depthwise causal conv over x, width E, kernel K (owns its taps) */
    sw_mat x_proj;       /* [R+2N, E] */
    sw_mat dt_proj;      /* [E, R] */
    const float *dt_bias;/* [E]       dt_proj.bias (model-owned) */
    float *a;            /* [N][E]    A = −exp(A_log), mode-major (lane = inner channel) */
    const float *d;      /* [E]       (model-owned) */
    sw_mat out_proj;     /* [H, E] */
    size_t state_off;    /* state: h [N][E]  (the conv ring has its own offset in `conv`) */
} sw_mamba;

sw_status swi_build_mamba(sw_mamba *l, const cJSON *cfg, sw_build *b);
void swi_free_mamba(sw_mamba *l);
size_t swi_mamba_scratch_floats(const sw_mamba *l);
void swi_mamba_forward(const sw_mamba *l, float *state, float *scratch, const float *in, float *out,
                   size_t frames, uint64_t t0);

#endif
