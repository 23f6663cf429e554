/* lru.c — Linear Recurrent Unit (Orvieto et al. 2023, "Resurrecting Recurrent Neural
 * Networks for Long Sequences"), recurrent form (FORMAT.md `lru`):
 *   λ = exp(−exp(ν_log) + i·exp(θ_log)),  γ = exp(γ_log)
 *   h_t = λ ⊙ h_{t−1} + γ ⊙ (B u_t) ;   y_t = Re(C h_t) + D ⊙ u_t
 * γ is folded into B at build time (in double). The same run-time form serves S5 (s5.c). */
#include "lru.h"
#include "kernels.h"

#include <math.h>
#include <stdlib.h>

sw_status swi_finish_lru(sw_lru *l, int h, int n, const double *lam_re, const double *lam_im,
                     const float *bm, const float *cm, sw_build *b)
{
    const size_t H = (size_t)h, N = (size_t)n;
    l->h = h;
    l->n = n;
    for (size_t i = 0; i < N; i++)
        if (!isfinite((float)lam_re[i]) || !isfinite((float)lam_im[i]))
            return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: mode %zu: the discretized eigenvalue is not finite",
                           b->where, i);
    if (!sw_all_finite(bm, 2 * N * H) || !sw_all_finite(cm, 2 * N * H))
        return sw_fail(b->err, b->errlen, SW_ERR_CONFIG,
                       "%s: the discretized input or output matrix overflows float (step or gamma too large)", b->where);
    l->lam_re = sw_calloc_aligned(2 * sw_pad16(N), sizeof(float));
    if (!l->lam_re || !sw_mat_pack(&l->b, bm, 2 * N, H) || !sw_mat_pack(&l->c, cm, H, 2 * N))
        return sw_fail(b->err, b->errlen, SW_ERR_NOMEM, "%s: out of memory", b->where);
    l->lam_im = l->lam_re + sw_pad16(N);
    for (size_t i = 0; i < N; i++) {
        l->lam_re[i] = (float)lam_re[i];
        l->lam_im[i] = (float)lam_im[i];
    }
    l->state_off = sw_take_state(b, 2 * N);
    return SW_OK;
}

sw_status swi_lru_begin(sw_lru *l, sw_build *b, const char *name, int h, int n, sw_lru_parts *p)
{
    sw_status st;
    if ((st = sw_get_tensor(b, name, "B_re", 2, n, h, &p->b_re)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "B_im", 2, n, h, &p->b_im)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "C_re", 2, h, n, &p->c_re)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "C_im", 2, h, n, &p->c_im)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "D", 1, h, 0, &l->d)) != SW_OK) return st;
    const size_t hn = (size_t)h * (size_t)n;
    p->lam = malloc(2 * (size_t)n * sizeof *p->lam);
    p->bm = malloc(2 * hn * sizeof *p->bm);
    p->cm = malloc(2 * hn * sizeof *p->cm);
    if (!p->lam || !p->bm || !p->cm) {
        free(p->lam); free(p->bm); free(p->cm);
        return sw_fail(b->err, b->errlen, SW_ERR_NOMEM, "%s: out of memory", b->where);
    }
    return SW_OK;
}

sw_status swi_lru_end(sw_lru *l, int h, int n, sw_lru_parts *p, sw_build *b)
{
    sw_status st = swi_finish_lru(l, h, n, p->lam, p->lam + n, p->bm, p->cm, b);
    free(p->lam); free(p->bm); free(p->cm);
    return st;
}

void swi_free_lru(sw_lru *l)
{
    sw_free(l->lam_re);
    l->lam_re = l->lam_im = NULL;
    sw_mat_free(&l->b);
    sw_mat_free(&l->c);
}

sw_status swi_build_lru(sw_lru *l, const cJSON *cfg, sw_build *b)
{
    const char *name;
    const float *nu_log, *theta_log, *gamma_log;
    sw_lru_parts p;
    int H, N;
    sw_status st;
    if ((st = sw_cfg_name(b, cfg, &name)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "d", 1, SW_MAX_WIDTH, &H)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "n", 1, SW_MAX_STATE, &N)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "nu_log", 1, N, 0, &nu_log)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "theta_log", 1, N, 0, &theta_log)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "gamma_log", 1, N, 0, &gamma_log)) != SW_OK) return st;
    if ((st = swi_lru_begin(l, b, name, H, N, &p)) != SW_OK) return st;

    for (int n = 0; n < N; n++) {
        double mag = exp(-exp((double)nu_log[n])), ph = exp((double)theta_log[n]);
        double gamma = exp((double)gamma_log[n]);
        p.lam[n] = mag * cos(ph);
        p.lam[N + n] = mag * sin(ph);
        for (int h = 0; h < H; h++) {
            p.bm[(size_t)n * H + h] = (float)(gamma * p.b_re[(size_t)n * H + h]);        /* γ ⊙ B */
            p.bm[((size_t)N + n) * H + h] = (float)(gamma * p.b_im[(size_t)n * H + h]);
            p.cm[(size_t)h * 2 * N + n] = p.c_re[(size_t)h * N + n];
            p.cm[(size_t)h * 2 * N + N + n] = -p.c_im[(size_t)h * N + n];
        }
    }
    return swi_lru_end(l, H, N, &p, b);
}

size_t swi_lru_scratch_floats(const sw_lru *l) { return sw_pad16(2 * (size_t)l->n); }

void swi_lru_forward(const sw_lru *l, float *state, float *scratch, const float *in, float *out, size_t frames)
{
    const size_t H = (size_t)l->h, N = (size_t)l->n;
    float *hs = state + l->state_off;     /* [h_re | h_im] */
    float *t = scratch;                   /* [t_re | t_im] = B̄ u */
    for (size_t f = 0; f < frames; f++) {
        const float *u = in + f * H;
        float *y = out + f * H;
        sw_matvec(t, &l->b, u, NULL);                            /* B̄ u_t */
        sw_cdiag(hs, hs + N, l->lam_re, l->lam_im, t, t + N, N); /* h_t = λ ⊙ h_{t−1} + B̄ u_t */
        sw_matvec(y, &l->c, hs, NULL);                           /* Re(C̄ h_t) */
        sw_vfma(y, l->d, u, H);                              /* + D ⊙ u_t */
    }
}
