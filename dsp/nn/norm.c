/* norm.c — RMSNorm: u / sqrt(mean u² + eps) · w ;  LayerNorm: (u − μ) / sqrt(var + eps) · w + b.
 * Statistics are accumulated in double (d is at most 4096), in four interleaved partial sums. */
#include "norm.h"

#include <math.h>
#include <string.h>

sw_status swi_build_norm(sw_norm *l, const cJSON *cfg, sw_build *b)
{
    const char *name, *kind;
    double eps;
    sw_status st;
    if ((st = sw_cfg_name(b, cfg, &name)) != SW_OK) return st;
    if ((st = sw_cfg_str(b, cfg, "kind", &kind)) != SW_OK) return st;
    if (strcmp(kind, "rms") == 0) l->layer = 0;
    else if (strcmp(kind, "layer") == 0) l->layer = 1;
    else return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: \"kind\" must be \"rms\" or \"layer\"", b->where);
    if ((st = sw_cfg_int(b, cfg, "d", 1, SW_MAX_WIDTH, &l->d)) != SW_OK) return st;
    /* eps > 0 keeps an all-zero frame finite; 1 is far above any sensible value */
    if ((st = sw_cfg_num(b, cfg, "eps", 1e-30, 1.0, &eps)) != SW_OK) return st;
    l->eps = (float)eps;
    if ((st = sw_get_tensor(b, name, "weight", 1, l->d, 0, &l->weight)) != SW_OK) return st;
    l->bias = NULL;
    if (l->layer && (st = sw_get_tensor(b, name, "bias", 1, l->d, 0, &l->bias)) != SW_OK) return st;
    return SW_OK;
}

void swi_free_norm(sw_norm *l) { (void)l; }

void swi_norm_forward(const sw_norm *l, const float *in, float *out, size_t frames)
{
    const int d = l->d;
    for (size_t f = 0; f < frames; f++) {
        const float *u = in + f * (size_t)d;
        float *y = out + f * (size_t)d;
        /* Four partial sums (combined in a fixed order) instead of one: a single chain of
         * double adds made the norms a tenth of the generator's step time. */
        double mean = 0.0, sq = 0.0, acc[4] = {0.0, 0.0, 0.0, 0.0};
        int i = 0;
        if (l->layer) {
            for (; i + 4 <= d; i += 4)
                for (int k = 0; k < 4; k++) acc[k] += u[i + k];
            for (; i < d; i++) acc[0] += u[i];
            mean = ((acc[0] + acc[1]) + (acc[2] + acc[3])) / d;
            acc[0] = acc[1] = acc[2] = acc[3] = 0.0;
        }
        for (i = 0; i + 4 <= d; i += 4)
            for (int k = 0; k < 4; k++) acc[k] += (u[i + k] - mean) * (u[i + k] - mean);
        for (; i < d; i++) acc[0] += (u[i] - mean) * (u[i] - mean);
        sq = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        float inv = (float)(1.0 / sqrt(sq / d + l->eps));
        float mu = (float)mean;
        if (l->layer)
            for (int i = 0; i < d; i++) y[i] = (u[i] - mu) * inv * l->weight[i] + l->bias[i];
        else
            for (int i = 0; i < d; i++) y[i] = u[i] * inv * l->weight[i];
    }
}
