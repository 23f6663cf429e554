/* norm.c — RMSNorm: u / sqrt(mean u² + eps) · w ;  LayerNorm: (u − μ) / sqrt(var + eps) · w + b.
 * Statistics are accumulated in double (d is at most 4096), in 16 interleaved partial sums
 * (sw_vnorm, dsp/nn/kernels_elem.h). */
#include "norm.h"
#include "kernels.h"

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
    const size_t d = (size_t)l->d;
    for (size_t f = 0; f < frames; f++) sw_vnorm(out + f * d, in + f * d, l->weight, l->bias, d, l->eps, l->layer);
}
