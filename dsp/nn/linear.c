/* linear.c — dense layer, PyTorch nn.Linear: y = W u + b, W stored [out, in] in the file. */
#include "linear.h"
#include "kernels.h"

sw_status swi_build_linear(sw_linear *l, const cJSON *cfg, sw_build *b)
{
    const char *name;
    int has_bias, bf16;
    const float *w;
    sw_status st;
    if ((st = sw_cfg_name(b, cfg, &name)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "d_in", 1, SW_MAX_WIDTH, &l->d_in)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "d_out", 1, SW_MAX_WIDTH, &l->d_out)) != SW_OK) return st;
    if ((st = sw_cfg_bool(b, cfg, "bias", &has_bias)) != SW_OK) return st;
    if ((st = sw_get_matrix(b, name, "weight", l->d_out, l->d_in, &w, &bf16)) != SW_OK) return st;
    l->bias = NULL;
    if (has_bias && (st = sw_get_tensor(b, name, "bias", 1, l->d_out, 0, &l->bias)) != SW_OK) return st;
    if (!(bf16 ? sw_mat_pack_bf16 : sw_mat_pack)(&l->w, w, (size_t)l->d_out, (size_t)l->d_in)) return sw_fail(b->err, b->errlen, SW_ERR_NOMEM, "%s: out of memory", b->where);
    return SW_OK;
}

void swi_free_linear(sw_linear *l)
{
    sw_mat_free(&l->w);
}

void swi_linear_forward(const sw_linear *l, const float *in, float *out, size_t frames)
{
    for (size_t f = 0; f < frames; f++)
        sw_matvec(out + f * l->d_out, &l->w, in + f * l->d_in, l->bias);
}
