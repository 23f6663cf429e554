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
#include <float.h>
#include <math.h>
#include <string.h>

/* re + i·im exactly (CMPLX is not in every compiler's <complex.h>; C11 6.2.5 gives a complex
 * the layout of a two-element array). */
static double complex cmk(double re, double im)
{
    double complex z;
    ((double *)&z)[0] = re;
    ((double *)&z)[1] = im;
    return z;
}

sw_status swi_build_s4d(sw_s4d *l, const cJSON *cfg, sw_build *b)
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

    const size_t tiles = ((size_t)H + SW_S4D_TILE - 1) / SW_S4D_TILE;
    l->w = sw_calloc_aligned(tiles * (size_t)N * 4 * SW_S4D_TILE, sizeof(float));
    if (!l->w) return sw_fail(b->err, b->errlen, SW_ERR_NOMEM, "%s: out of memory", b->where);

    /* Per mode: ΔA = x + iy, Ā = e^x (cos y + i sin y), e^ΔA − 1 = expm1(x) cos y − 2 sin²(y/2)
     * + i e^x sin y (accurate for small |ΔA|). exp(x) and sincos(y) are computed once and
     * shared by Ā and B̄: the values are those of cexp() (glibc computes it the same way) and
     * of separate cos/sin calls, so the floats are unchanged; it halves the libm calls, which
     * were most of the time of the first instance's model build. */
    for (int h = 0; h < H; h++) {
        double dt = exp((double)log_dt[h]);
        for (int n = 0; n < N; n++) {
            size_t in = (size_t)h * N + n;        /* file layout [H][N] */
            float *o = l->w + ((size_t)(h / SW_S4D_TILE) * N + n) * 4 * SW_S4D_TILE + h % SW_S4D_TILE;
            double complex A = -exp((double)log_a_re[in]) + I * (double)a_im[in];
            double complex dA = dt * A, Ab, Bf;   /* Ā and B̄/B */
            if (zoh) {
                const double x = creal(dA), y = cimag(dA), ex = exp(x);
                double sy, cy;
                if (fabs(y) > DBL_MIN) sincos(y, &sy, &cy);
                else sy = y, cy = 1.0;            /* as cexp does for tiny y */
                Ab = cmk(ex * cy, ex * sy);
                if (A != 0.0) {
                    const double sh = sin(0.5 * y);
                    Bf = cmk(expm1(x) * cy - 2.0 * sh * sh, ex * sy) / A;
                } else {
                    Bf = dt;                      /* limit A → 0 is Δ */
                }
            } else {
                Ab = (1.0 + dA / 2.0) / (1.0 - dA / 2.0);
                Bf = dt / (1.0 - dA / 2.0);
            }
            double complex Cp = ((double)c_re[in] + I * (double)c_im[in]) * Bf * ((double)b_re[in] + I * (double)b_im[in]);
            o[0] = (float)creal(Ab);
            o[SW_S4D_TILE] = (float)cimag(Ab);
            o[2 * SW_S4D_TILE] = (float)creal(Cp);
            o[3 * SW_S4D_TILE] = (float)cimag(Cp);
            if (!isfinite(o[0]) || !isfinite(o[SW_S4D_TILE]) || !isfinite(o[2 * SW_S4D_TILE]) ||
                !isfinite(o[3 * SW_S4D_TILE]))
                return sw_fail(b->err, b->errlen, SW_ERR_CONFIG,
                               "%s: discretization of channel %d mode %d is not finite (log_dt or A out of range)",
                               b->where, h, n);
        }
    }
    l->state_off = sw_take_state(b, tiles * (size_t)N * 2 * SW_S4D_TILE);
    return SW_OK;
}

void swi_free_s4d(sw_s4d *l)
{
    sw_free(l->w);
    l->w = NULL;
}

void swi_s4d_forward(const sw_s4d *l, float *state, const float *in, float *out, size_t frames)
{
    float *s = state + l->state_off;
    if (frames > 1) sw_s4d_seq(out, s, l->w, l->d, in, (size_t)l->h, (size_t)l->n, frames);
    else sw_s4d_step(out, s, l->w, l->d, in, (size_t)l->h, (size_t)l->n);
}
