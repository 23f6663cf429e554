/* embedding.h — table lookup, input width 1 (internal). */
#ifndef SW_EMBEDDING_H
#define SW_EMBEDDING_H
#include "build.h"

typedef struct {
    int n, d;            /* rows (vocabulary), width */
    const float *weight; /* [n][d] (model-owned) */
} sw_embedding;

sw_status swi_build_embedding(sw_embedding *l, const cJSON *cfg, sw_build *b);
/* index = clamp(lrint(u0), 0, n-1); y = weight[index] */
void swi_embedding_forward(const sw_embedding *l, const float *in, float *out, size_t frames);

#endif
