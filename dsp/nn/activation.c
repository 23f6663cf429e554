/* activation.c — gelu (erf form), silu, tanh, sigmoid, relu; GLU. The math lives in the
 * vectorized kernels (kernels.c). A frame block is contiguous, so one call covers it. */
#include "activation.h"
#include "kernels.h"

#include <string.h>

sw_status swi_build_act(sw_act *l, const cJSON *cfg, sw_build *b)
{
    static const struct { const char *name; sw_act_fn fn; } fns[] = {
        {"gelu", SW_ACT_GELU}, {"silu", SW_ACT_SILU}, {"tanh", SW_ACT_TANH},
        {"sigmoid", SW_ACT_SIGMOID}, {"relu", SW_ACT_RELU},
    };
    const char *fn;
    sw_status st;
    if ((st = sw_cfg_str(b, cfg, "fn", &fn)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "d", 1, SW_MAX_WIDTH, &l->d)) != SW_OK) return st;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (strcmp(fn, fns[i].name) == 0) {
            l->fn = fns[i].fn;
            return SW_OK;
        }
    return sw_fail(b->err, b->errlen, SW_ERR_UNSUPPORTED,
                   "%s: unknown activation \"%.40s\" (gelu, silu, tanh, sigmoid, relu)", b->where, fn);
}

sw_status swi_build_glu(sw_glu *l, const cJSON *cfg, sw_build *b)
{
    sw_status st = sw_cfg_int(b, cfg, "d_in", 2, SW_MAX_WIDTH, &l->d_in);
    if (st != SW_OK) return st;
    if (l->d_in % 2)
        return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: \"d_in\" = %d must be even", b->where, l->d_in);
    return SW_OK;
}

void swi_act_forward(const sw_act *l, const float *in, float *out, size_t frames)
{
    size_t n = frames * (size_t)l->d;
    switch (l->fn) {
    case SW_ACT_GELU: sw_vgelu(out, in, n); break;
    case SW_ACT_SILU: sw_vsilu(out, in, n); break;
    case SW_ACT_TANH: sw_vtanh(out, in, n); break;
    case SW_ACT_SIGMOID: sw_vsigmoid(out, in, n); break;
    case SW_ACT_RELU: sw_vrelu(out, in, n); break;
    }
}

void swi_glu_forward(const sw_glu *l, const float *in, float *out, size_t frames)
{
    const size_t h = (size_t)l->d_in / 2;
    for (size_t f = 0; f < frames; f++)
        sw_vglu(out + f * h, in + f * 2 * h, in + f * 2 * h + h, h);
}
