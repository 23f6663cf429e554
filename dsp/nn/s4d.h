/* s4d.h — diagonal S4 (S4D) layer in recurrent form (internal). */
#ifndef SW_S4D_H
#define SW_S4D_H
#include "build.h"

typedef struct {
    int h, n;            /* channels H, complex modes per channel N */
    /* Ā and C' = C·B̄ (the input matrix folded into C, see s4d.c), discretized at build
     * time in double, packed by tiles of 16 channels (layout in kernels.h). */
    float *w;            /* [ceil(H/16)][N][4][16] {Ā_re, Ā_im, C'_re, C'_im} (owned) */
    const float *d;      /* [H] skip term D (model-owned) */
    size_t state_off;    /* state: [ceil(H/16)][N][2][16] {s_re, s_im} */
} sw_s4d;

sw_status swi_build_s4d(sw_s4d *l, const cJSON *cfg, sw_build *b);
void swi_free_s4d(sw_s4d *l);
void swi_s4d_forward(const sw_s4d *l, float *state, const float *in, float *out, size_t frames);

#endif
