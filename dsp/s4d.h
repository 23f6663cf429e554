/* s4d.h — diagonal S4 (S4D) layer in recurrent form (internal). */
#ifndef SW_S4D_H
#define SW_S4D_H
#include "core.h"

typedef struct {
    int h, n;            /* channels H, complex modes per channel N */
    /* Discretized at build time (double), then stored mode-major so that one mode of all
     * channels is a contiguous vector (lane = channel). All owned, one allocation. */
    float *a_re, *a_im;  /* [N][H] Ā */
    float *c_re, *c_im;  /* [N][H] C' = C · B̄ (the input matrix folded into C, see s4d.c) */
    const float *d;      /* [H] skip term D (model-owned) */
    size_t state_off;    /* state: s_re [N][H], s_im [N][H] */
} sw_s4d;

sw_status build_s4d(sw_s4d *l, const cJSON *cfg, sw_build *b);
void free_s4d(sw_s4d *l);
void s4d_forward(const sw_s4d *l, float *state, const float *in, float *out, size_t frames);

#endif
