/* conv1d.h — causal depthwise 1-D convolution (internal). Also used inside mamba. */
#ifndef SW_CONV1D_H
#define SW_CONV1D_H
#include "build.h"

typedef struct {
    int d, k;            /* channels, kernel length K */
    float *wt;           /* [K][d] taps transposed so that one tap is a contiguous vector (owned) */
    const float *bias;   /* [d] (model-owned) */
    size_t state_off;    /* offset of the history ring [K-1][d] in the net state */
} sw_conv1d;

sw_status swi_build_conv1d(sw_conv1d *l, const cJSON *cfg, sw_build *b);
void swi_free_conv1d(sw_conv1d *l);
/* The shared core: takes the weights [d,K] (file layout) and reserves the state. */
sw_status swi_init_conv1d(sw_conv1d *l, const float *w, const float *bias, int d, int k, sw_build *b);
/* One frame at absolute time t: y = Σ_k w[k] u_{t-K+1+k} + b; hist [K-1][d] is a ring
 * indexed by time mod (K-1), so nothing is shifted. */
void swi_conv1d_frame(const sw_conv1d *l, float *hist, const float *u, float *y, uint64_t t);
void swi_conv1d_forward(const sw_conv1d *l, float *state, const float *in, float *out, size_t frames, uint64_t t0);

#endif
