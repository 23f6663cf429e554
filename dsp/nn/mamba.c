/* mamba.c — Mamba block (Gu & Dao 2023, "Mamba: Linear-Time Sequence Modeling with Selective
 * State Spaces"), one frame at a time as in its `step()` / selective_scan_ref (FORMAT.md `mamba`):
 *   [x, z] = in_proj(u)                       (x first)
 *   x      = SiLU(causal depthwise conv1d(x))
 *   [δ, B, C] = x_proj(x)                     (sizes R, N, N)
 *   Δ      = softplus(dt_proj(δ) + bias),  A = −exp(A_log)
 *   h_{e,n} ← exp(Δ_e A_{e,n}) h_{e,n} + Δ_e B_n x_e ;  y_e = Σ_n C_n h_{e,n} + D_e x_e
 *   y ← y ⊙ SiLU(z) ;  out = out_proj(y) */
#include "mamba.h"
#include "kernels.h"

#include <math.h>

static sw_status nomem(sw_build *b) { return sw_fail(b->err, b->errlen, SW_ERR_NOMEM, "%s: out of memory", b->where); }

sw_status swi_build_mamba(sw_mamba *l, const cJSON *cfg, sw_build *b)
{
    const char *name;
    const float *in_w, *conv_w, *conv_b, *xproj_w, *dtproj_w, *a_log, *out_w;
    int in_bf16, xproj_bf16, dtproj_bf16, out_bf16;   /* the projections may be stored BF16 */
    sw_status st;
    if ((st = sw_cfg_name(b, cfg, &name)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "d", 1, SW_MAX_WIDTH, &l->h)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "d_inner", 1, SW_MAX_WIDTH, &l->e)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "d_state", 1, SW_MAX_STATE, &l->n)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "d_conv", 1, SW_MAX_KERNEL, &l->k)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "dt_rank", 1, SW_MAX_WIDTH, &l->r)) != SW_OK) return st;
    const int H = l->h, E = l->e, N = l->n, K = l->k, R = l->r;
    if ((st = sw_get_matrix(b, name, "in_proj.weight", 2 * E, H, &in_w, &in_bf16)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "conv1d.weight", 2, E, K, &conv_w)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "conv1d.bias", 1, E, 0, &conv_b)) != SW_OK) return st;
    if ((st = sw_get_matrix(b, name, "x_proj.weight", R + 2 * N, E, &xproj_w, &xproj_bf16)) != SW_OK) return st;
    if ((st = sw_get_matrix(b, name, "dt_proj.weight", E, R, &dtproj_w, &dtproj_bf16)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "dt_proj.bias", 1, E, 0, &l->dt_bias)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "A_log", 2, E, N, &a_log)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "D", 1, E, 0, &l->d)) != SW_OK) return st;
    if ((st = sw_get_matrix(b, name, "out_proj.weight", H, E, &out_w, &out_bf16)) != SW_OK) return st;

    if (!(in_bf16 ? sw_mat_pack_bf16 : sw_mat_pack)(&l->in_proj, in_w, 2 * (size_t)E, (size_t)H)) return nomem(b);
    if (!(xproj_bf16 ? sw_mat_pack_bf16 : sw_mat_pack)(&l->x_proj, xproj_w, (size_t)(R + 2 * N), (size_t)E)) return nomem(b);
    if (!(dtproj_bf16 ? sw_mat_pack_bf16 : sw_mat_pack)(&l->dt_proj, dtproj_w, (size_t)E, (size_t)R)) return nomem(b);
    if (!(out_bf16 ? sw_mat_pack_bf16 : sw_mat_pack)(&l->out_proj, out_w, (size_t)H, (size_t)E)) return nomem(b);
    if (!(l->a = sw_calloc_aligned((size_t)N * E, sizeof(float)))) return nomem(b);
    for (int e = 0; e < E; e++)
        for (int n = 0; n < N; n++) {
            float a = (float)-exp((double)a_log[(size_t)e * N + n]);
            if (!isfinite(a))
                return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: A = -exp(A_log[%d][%d]) overflows float", b->where, e, n);
            l->a[(size_t)n * E + e] = a;
        }
    if ((st = swi_init_conv1d(&l->conv, conv_w, conv_b, E, K, b)) != SW_OK) return st;
    l->state_off = sw_take_state(b, (size_t)N * E);
    return SW_OK;
}

void swi_free_mamba(sw_mamba *l)
{
    sw_mat_free(&l->in_proj);
    sw_mat_free(&l->x_proj);
    sw_mat_free(&l->dt_proj);
    sw_mat_free(&l->out_proj);
    sw_free(l->a);
    l->a = NULL;
    swi_free_conv1d(&l->conv);
}

/* xz [2E] | xc [E] | dbc [R+2N] | dt [E] | y [E] */
size_t swi_mamba_scratch_floats(const sw_mamba *l)
{
    const size_t E = (size_t)l->e;
    return sw_pad16(2 * E) + 3 * sw_pad16(E) + sw_pad16((size_t)l->r + 2 * (size_t)l->n);
}

void swi_mamba_forward(const sw_mamba *l, float *state, float *scratch, const float *in, float *out,
                   size_t frames, uint64_t t0)
{
    const size_t H = (size_t)l->h, E = (size_t)l->e, N = (size_t)l->n, R = (size_t)l->r;
    float *hs = state + l->state_off;
    float *ring = state + l->conv.state_off;
    float *xz = scratch;
    float *xc = xz + sw_pad16(2 * E);
    float *dbc = xc + sw_pad16(E);
    float *dt = dbc + sw_pad16(R + 2 * N);
    float *y = dt + sw_pad16(E);
    for (size_t f = 0; f < frames; f++) {
        sw_matvec(xz, &l->in_proj, in + f * H, NULL);               /* [x, z] = in_proj(u) */
        swi_conv1d_frame(&l->conv, ring, xz, xc, t0 + f);               /* causal conv over x */
        sw_vsilu(xc, xc, E);
        sw_matvec(dbc, &l->x_proj, xc, NULL);                       /* [δ, B, C] = x_proj(x) */
        sw_matvec(dt, &l->dt_proj, dbc, l->dt_bias);                /* dt_proj(δ) + bias */
        sw_vsoftplus(dt, dt, E);                                    /* Δ */
        sw_mamba_scan(y, hs, l->a, dt, xc, dbc + R, dbc + R + N, l->d, E, N);
        sw_vmul_silu(y, xz + E, E);                                 /* y ⊙ SiLU(z) */
        sw_matvec(out + f * H, &l->out_proj, y, NULL);              /* out_proj */
    }
}
