/* embedding.c — y = weight[clamp(lrint(u0), 0, n−1)]. The clamp comes before lrint so
 * that huge or NaN inputs never reach an out-of-range integer conversion. */
#include "embedding.h"

#include <math.h>
#include <string.h>

sw_status swi_build_embedding(sw_embedding *l, const cJSON *cfg, sw_build *b)
{
    const char *name;
    sw_status st;
    if ((st = sw_cfg_name(b, cfg, &name)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "n", 1, SW_MAX_VOCAB, &l->n)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "d", 1, SW_MAX_WIDTH, &l->d)) != SW_OK) return st;
    return sw_get_tensor(b, name, "weight", 2, l->n, l->d, &l->weight);
}

void swi_embedding_forward(const sw_embedding *l, const float *in, float *out, size_t frames)
{
    for (size_t f = 0; f < frames; f++) {
        float u = in[f];
        long idx;
        if (!(u > 0.0f)) idx = 0;                    /* also NaN */
        else if (u >= (float)(l->n - 1)) idx = l->n - 1;
        else idx = lrintf(u);
        memcpy(out + f * (size_t)l->d, l->weight + (size_t)idx * (size_t)l->d, (size_t)l->d * sizeof(float));
    }
}
