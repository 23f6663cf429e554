/* pool.c — SaShiMi-style multi-rate stage (FORMAT.md `pool`).
 *
 * Frames are grouped in blocks of p; block k (u_{kp} … u_{kp+p−1}, flattened frame-major)
 * goes down to width d·e, through the inner stack ONCE per p frames, and back up to p
 * frames: v_k = up(inner(down(block k))). Output y_{(k+1)p+j} = v_k[j], y_t = 0 for t < p.
 * The one-block delay makes it causal (SaShiMi's UpPool shift): when the p-th frame of
 * block k arrives we first emit its output (from v_{k−1}), then step the inner stack. */
#include "layer.h"
#include "kernels.h"

#include <stdio.h>
#include <string.h>

static sw_status nomem(sw_build *b) { return sw_fail(b->err, b->errlen, SW_ERR_NOMEM, "%s: out of memory", b->where); }

sw_status swi_build_pool(sw_pool *l, const cJSON *cfg, int depth, sw_build *b)
{
    const char *name;
    const float *down_w, *up_w;
    int down_bf16, up_bf16;
    sw_status st;
    if ((st = sw_cfg_name(b, cfg, &name)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "d", 1, SW_MAX_WIDTH, &l->d)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "factor", SW_MIN_FACTOR, SW_MAX_FACTOR, &l->p)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "expand", 1, SW_MAX_WIDTH, &l->e)) != SW_OK) return st;
    if ((long)l->d * l->e > SW_MAX_WIDTH)
        return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: inner width d*expand = %ld exceeds %d",
                       b->where, (long)l->d * l->e, SW_MAX_WIDTH);
    const size_t de = (size_t)l->d * l->e, pd = (size_t)l->p * l->d;
    if ((st = sw_get_matrix(b, name, "down.weight", (int64_t)de, (int64_t)pd, &down_w, &down_bf16)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "down.bias", 1, (int64_t)de, 0, &l->down_b)) != SW_OK) return st;
    if ((st = sw_get_matrix(b, name, "up.weight", (int64_t)pd, (int64_t)de, &up_w, &up_bf16)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "up.bias", 1, (int64_t)pd, 0, &l->up_b)) != SW_OK) return st;
    if (!(down_bf16 ? sw_mat_pack_bf16 : sw_mat_pack)(&l->down, down_w, de, pd)) return nomem(b);
    if (!(up_bf16 ? sw_mat_pack_bf16 : sw_mat_pack)(&l->up, up_w, pd, de)) return nomem(b);
    l->state_off = sw_take_state(b, 2 * pd);

    const cJSON *inner = cJSON_GetObjectItemCaseSensitive(cfg, "layers");
    char where[256];
    snprintf(where, sizeof where, "%s", b->where);
    if ((st = swi_build_stack(&l->inner, inner, (int)de, depth + 1, b)) != SW_OK) return st;
    if (l->inner.d_out != (int)de)
        return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: inner layers end at width %d, expected d*expand = %zu",
                       where, l->inner.d_out, de);
    return SW_OK;
}

void swi_free_pool(sw_pool *l)
{
    sw_mat_free(&l->down);
    sw_mat_free(&l->up);
    swi_free_stack(&l->inner);
}

/* z [d·e] | z2 [d·e] | inner scratch for one frame */
size_t swi_pool_scratch_floats(const sw_pool *l)
{
    const size_t de = (size_t)l->d * l->e;
    return 2 * sw_pad16(de) + swi_stack_scratch_floats(&l->inner, 1);
}

void swi_pool_forward(const sw_pool *l, float *state, float *scratch, const float *in, float *out,
                  size_t frames, uint64_t t0)
{
    const size_t d = (size_t)l->d, p = (size_t)l->p, de = d * (size_t)l->e;
    float *block = state + l->state_off, *pending = block + p * d;
    float *z = scratch, *z2 = z + sw_pad16(de), *inner_scratch = z2 + sw_pad16(de);
    for (size_t f = 0; f < frames; f++) {
        const uint64_t t = t0 + f;
        const size_t j = (size_t)(t % p);
        memcpy(out + f * d, pending + j * d, d * sizeof(float));     /* y_t = v_{k−1}[j] */
        memcpy(block + j * d, in + f * d, d * sizeof(float));
        if (j == p - 1) {                                            /* block k complete */
            sw_matvec(z, &l->down, block, l->down_b);                /* down */
            swi_stack_forward(&l->inner, state, inner_scratch, z, z2, 1, t / p);
            sw_matvec(pending, &l->up, z2, l->up_b);                 /* v_k = up(z) */
        }
    }
}
