/* s4d.c — S4D (Gu et al. 2022, "On the Parameterization and Initialization of Diagonal
 * State Space Models"), run as a recurrence, one frame at a time.
 *
 * Per channel h and mode n (FORMAT.md `s4d`):
 *   Δ = exp(log_dt),  A = −exp(log_A_real) + i·A_imag
 *   ZOH:      Ā = exp(ΔA),                 B̄ = (exp(ΔA) − 1)/A · B
 *   bilinear: Ā = (1 + ΔA/2)/(1 − ΔA/2),   B̄ = Δ/(1 − ΔA/2) · B
 *   x_t = Ā x_{t−1} + B̄ u_t ;   y_t = 2·Re(Σ_n C_n x_{t,n}) + D u_t
 *
 * Each channel is a single-input system, so we run the rescaled state s = x / B̄:
 *   s_t = Ā s_{t−1} + u_t ;   y_t = 2·Re(Σ_n (C_n B̄_n) s_{t,n}) + D u_t
 * which is the same map (x = B̄ s) with one complex multiply fewer and 2 fewer floats of
 * weights per mode streamed each step. C' = C·B̄ is formed in double at build time. */
#include "s4d.h"
#include "kernels.h"

#include <complex.h>
#include <math.h>
#include <string.h>

/* (exp(z) − 1) accurate for small |z|: expm1(a)cos b − 2sin²(b/2) + i·e^a sin b */
static double complex cexpm1(double complex z)
{
    double a = creal(z), bb = cimag(z), s = sin(0.5 * bb);
    return (expm1(a) * cos(bb) - 2.0 * s * s) + I * (exp(a) * sin(bb));
}

sw_status build_s4d(sw_s4d *l, const cJSON *cfg, sw_build *b)
{
    const char *name, *disc;
    const float *log_dt, *log_a_re, *a_im, *b_re, *b_im, *c_re, *c_im;
    int zoh;
    sw_status st;
    if ((st = sw_cfg_name(b, cfg, &name)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "d", 1, SW_MAX_WIDTH, &l->h)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "n", 1, SW_MAX_STATE, &l->n)) != SW_OK) return st;
    if ((st = sw_cfg_str(b, cfg, "disc", &disc)) != SW_OK) return st;
    if (strcmp(disc, "zoh") == 0) zoh = 1;
    else if (strcmp(disc, "bilinear") == 0) zoh = 0;
    else return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: \"disc\" must be \"zoh\" or \"bilinear\"", b->where);
    const int H = l->h, N = l->n;
    if ((st = sw_get_tensor(b, name, "log_dt", 1, H, 0, &log_dt)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "log_A_real", 2, H, N, &log_a_re)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "A_imag", 2, H, N, &a_im)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "B_re", 2, H, N, &b_re)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "B_im", 2, H, N, &b_im)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "C_re", 2, H, N, &c_re)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "C_im", 2, H, N, &c_im)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "D", 1, H, 0, &l->d)) != SW_OK) return st;

    const size_t hn = (size_t)H * (size_t)N;
    l->a_re = sw_calloc_aligned(4 * sw_pad16(hn), sizeof(float));
    if (!l->a_re) return sw_fail(b->err, b->errlen, SW_ERR_NOMEM, "%s: out of memory", b->where);
    l->a_im = l->a_re + sw_pad16(hn);
    l->c_re = l->a_im + sw_pad16(hn);
    l->c_im = l->c_re + sw_pad16(hn);

    for (int h = 0; h < H; h++) {
        double dt = exp((double)log_dt[h]);
        for (int n = 0; n < N; n++) {
            size_t in = (size_t)h * N + n;        /* file layout [H][N] */
            size_t out = (size_t)n * H + h;       /* ours [N][H] */
            double complex A = -exp((double)log_a_re[in]) + I * (double)a_im[in];
            double complex dA = dt * A, Ab, Bf;   /* Ā and B̄/B */
            if (zoh) {
                Ab = cexp(dA);
                Bf = (cabs(A) > 0.0) ? cexpm1(dA) / A : dt;   /* limit A → 0 is Δ */
            } else {
                Ab = (1.0 + dA / 2.0) / (1.0 - dA / 2.0);
                Bf = dt / (1.0 - dA / 2.0);
            }
            double complex Cp = ((double)c_re[in] + I * (double)c_im[in]) * Bf * ((double)b_re[in] + I * (double)b_im[in]);
            l->a_re[out] = (float)creal(Ab);
            l->a_im[out] = (float)cimag(Ab);
            l->c_re[out] = (float)creal(Cp);
            l->c_im[out] = (float)cimag(Cp);
            if (!isfinite(l->a_re[out]) || !isfinite(l->a_im[out]) || !isfinite(l->c_re[out]) ||
                !isfinite(l->c_im[out]))
                return sw_fail(b->err, b->errlen, SW_ERR_CONFIG,
                               "%s: discretization of channel %d mode %d is not finite (log_dt or A out of range)",
                               b->where, h, n);
        }
    }
    l->state_off = sw_take_state(b, 2 * hn);
    return SW_OK;
}

void free_s4d(sw_s4d *l)
{
    sw_free(l->a_re);
    l->a_re = l->a_im = l->c_re = l->c_im = NULL;
}

void s4d_forward(const sw_s4d *l, float *state, const float *in, float *out, size_t frames)
{
    const size_t hn = (size_t)l->h * (size_t)l->n;
    float *s_re = state + l->state_off, *s_im = s_re + hn;
    for (size_t f = 0; f < frames; f++)
        sw_s4d_step(out + f * l->h, s_re, s_im, l->a_re, l->a_im, l->c_re, l->c_im, l->d,
                    in + f * l->h, (size_t)l->h, (size_t)l->n);
}
