/* linear.h — dense layer y = W u + b (internal). */
#ifndef SW_LINEAR_H
#define SW_LINEAR_H
#include "build.h"
#include "kernels.h"

typedef struct {
    int d_in, d_out;
    sw_mat w;            /* [d_out, d_in] packed for sw_matvec (owned) */
    const float *bias;   /* [d_out], or NULL without bias (model-owned) */
} sw_linear;

sw_status swi_build_linear(sw_linear *l, const cJSON *cfg, sw_build *b);
void swi_free_linear(sw_linear *l);
/* in[frames][d_in] -> out[frames][d_out] */
void swi_linear_forward(const sw_linear *l, const float *in, float *out, size_t frames);

#endif
