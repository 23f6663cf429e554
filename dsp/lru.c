/* lru.c — Linear Recurrent Unit (Orvieto et al. 2023, "Resurrecting Recurrent Neural
 * Networks for Long Sequences"), recurrent form (FORMAT.md `lru`):
 *   λ = exp(−exp(ν_log) + i·exp(θ_log)),  γ = exp(γ_log)
 *   h_t = λ ⊙ h_{t−1} + γ ⊙ (B u_t) ;   y_t = Re(C h_t) + D ⊙ u_t
 * γ is folded into B at build time (in double). The same run-time form serves S5 (s5.c). */
#include "lru.h"
#include "kernels.h"

#include <math.h>

sw_status alloc_lru(sw_lru *l, int h, int n, sw_build *b)
{
    const size_t H = (size_t)h, N = (size_t)n;
    l->h = h;
    l->n = n;
    /* one block: bt [H*2N], ct [2N*H], lam_re [N], lam_im [N] */
    size_t mat = sw_pad16(2 * N * H);
    l->bt = sw_calloc_aligned(2 * mat + 2 * sw_pad16(N), sizeof(float));
    if (!l->bt) return sw_fail(b->err, b->errlen, SW_ERR_NOMEM, "%s: out of memory", b->where);
    l->ct = l->bt + mat;
    l->lam_re = l->ct + mat;
    l->lam_im = l->lam_re + sw_pad16(N);
    l->state_off = sw_take_state(b, 2 * N);
    return SW_OK;
}

void free_lru(sw_lru *l)
{
    sw_free(l->bt);
    l->bt = l->ct = l->lam_re = l->lam_im = NULL;
}

sw_status build_lru(sw_lru *l, const cJSON *cfg, sw_build *b)
{
    const char *name;
    const float *nu_log, *theta_log, *gamma_log, *b_re, *b_im, *c_re, *c_im;
    int H, N;
    sw_status st;
    if ((st = sw_cfg_name(b, cfg, &name)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "d", 1, SW_MAX_WIDTH, &H)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "n", 1, SW_MAX_STATE, &N)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "nu_log", 1, N, 0, &nu_log)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "theta_log", 1, N, 0, &theta_log)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "gamma_log", 1, N, 0, &gamma_log)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "B_re", 2, N, H, &b_re)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "B_im", 2, N, H, &b_im)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "C_re", 2, H, N, &c_re)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "C_im", 2, H, N, &c_im)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "D", 1, H, 0, &l->d)) != SW_OK) return st;
    if ((st = alloc_lru(l, H, N, b)) != SW_OK) return st;

    const size_t twoN = 2 * (size_t)N;
    for (int n = 0; n < N; n++) {
        double mag = exp(-exp((double)nu_log[n])), ph = exp((double)theta_log[n]);
        double gamma = exp((double)gamma_log[n]);
        l->lam_re[n] = (float)(mag * cos(ph));
        l->lam_im[n] = (float)(mag * sin(ph));
        for (int h = 0; h < H; h++) {
            /* bt[h][n] = γ_n B_re[n][h], bt[h][N+n] = γ_n B_im[n][h] */
            l->bt[(size_t)h * twoN + n] = (float)(gamma * b_re[(size_t)n * H + h]);
            l->bt[(size_t)h * twoN + N + n] = (float)(gamma * b_im[(size_t)n * H + h]);
            /* ct[n][h] = C_re[h][n], ct[N+n][h] = −C_im[h][n] */
            l->ct[(size_t)n * H + h] = c_re[(size_t)h * N + n];
            l->ct[((size_t)N + n) * H + h] = -c_im[(size_t)h * N + n];
        }
        if (!isfinite(l->lam_re[n]) || !isfinite(l->lam_im[n]) || !isfinite((float)gamma))
            return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: mode %d: λ or γ is not finite (nu/theta/gamma_log out of range)", b->where, n);
    }
    if (!sw_all_finite(l->bt, 2 * (size_t)N * H))
        return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: γ·B overflows float (gamma_log too large)", b->where);
    return SW_OK;
}

size_t lru_scratch_floats(const sw_lru *l) { return sw_pad16(2 * (size_t)l->n); }

void lru_forward(const sw_lru *l, float *state, float *scratch, const float *in, float *out, size_t frames)
{
    const size_t H = (size_t)l->h, N = (size_t)l->n;
    float *hs = state + l->state_off;     /* [h_re | h_im] */
    float *t = scratch;                   /* [t_re | t_im] = B̄ u */
    for (size_t f = 0; f < frames; f++) {
        const float *u = in + f * H;
        float *y = out + f * H;
        sw_matvec_t(t, l->bt, u, NULL, 2 * N, H);            /* B̄ u_t */
        sw_cdiag(hs, hs + N, l->lam_re, l->lam_im, t, t + N, N); /* h_t = λ ⊙ h_{t−1} + B̄ u_t */
        sw_matvec_t(y, l->ct, hs, NULL, H, 2 * N);           /* Re(C̄ h_t) */
        sw_vfma(y, l->d, u, H);                              /* + D ⊙ u_t */
    }
}
