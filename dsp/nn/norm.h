/* norm.h — RMSNorm / LayerNorm over one frame (internal). */
#ifndef SW_NORM_H
#define SW_NORM_H
#include "build.h"

typedef struct {
    int layer;           /* 0 = RMSNorm, 1 = LayerNorm */
    int d;
    float eps;
    const float *weight; /* [d] (model-owned) */
    const float *bias;   /* [d] LayerNorm only, else NULL (model-owned) */
} sw_norm;

sw_status swi_build_norm(sw_norm *l, const cJSON *cfg, sw_build *b);
void swi_free_norm(sw_norm *l);
void swi_norm_forward(const sw_norm *l, const float *in, float *out, size_t frames);

#endif
