/* conv1d.c — causal depthwise convolution, frame by frame (FORMAT.md `conv1d`):
 *   y_t = Σ_{k=0}^{K-1} w[k] · u_{t-K+1+k} + b,   u_t = 0 for t < 0. */
#include "conv1d.h"
#include "kernels.h"

#include <string.h>

sw_status swi_init_conv1d(sw_conv1d *l, const float *w, const float *bias, int d, int k, sw_build *b)
{
    l->d = d;
    l->k = k;
    l->bias = bias;
    l->wt = sw_transpose(w, (size_t)d, (size_t)k);
    if (!l->wt) return sw_fail(b->err, b->errlen, SW_ERR_NOMEM, "%s: out of memory", b->where);
    l->state_off = sw_take_state(b, (size_t)(k - 1) * (size_t)d);
    return SW_OK;
}

sw_status swi_build_conv1d(sw_conv1d *l, const cJSON *cfg, sw_build *b)
{
    const char *name;
    const float *w, *bias;
    int d, k;
    sw_status st;
    if ((st = sw_cfg_name(b, cfg, &name)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "d", 1, SW_MAX_WIDTH, &d)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "kernel", 1, SW_MAX_KERNEL, &k)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "weight", 2, d, k, &w)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "bias", 1, d, 0, &bias)) != SW_OK) return st;
    return swi_init_conv1d(l, w, bias, d, k, b);
}

void swi_free_conv1d(sw_conv1d *l)
{
    sw_free(l->wt);
    l->wt = NULL;
}

void swi_conv1d_frame(const sw_conv1d *l, float *hist, const float *u, float *y, uint64_t t)
{
    const size_t d = (size_t)l->d;
    const size_t r = (size_t)l->k - 1;      /* ring length */
    memcpy(y, l->bias, d * sizeof *y);
    /* u_{t-K+1+k} sits in slot (t-K+1+k) mod (K-1) = (t+k) mod (K-1) */
    for (size_t k = 0; k < r; k++) sw_vfma(y, l->wt + k * d, hist + ((t + k) % r) * d, d);
    sw_vfma(y, l->wt + r * d, u, d);
    /* u_t replaces u_{t-K+1}, the oldest, which no later frame needs */
    if (r > 0) memcpy(hist + (t % r) * d, u, d * sizeof *u);
}

void swi_conv1d_forward(const sw_conv1d *l, float *state, const float *in, float *out, size_t frames, uint64_t t0)
{
    float *hist = state + l->state_off;
    for (size_t f = 0; f < frames; f++)
        swi_conv1d_frame(l, hist, in + f * l->d, out + f * l->d, t0 + f);
}
