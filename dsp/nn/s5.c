/* s5.c — S5 (Smith et al. 2023, "Simplified State Space Layers for Sequence Modeling"),
 * FORMAT.md `s5`:
 *   Λ = −exp(log_Λ_real) + i·Λ_imag,  Δ = exp(log_step)
 *   ZOH:      Λ̄ = exp(ΛΔ),                    B̄ = (Λ̄ − 1)/Λ · B̃
 *   bilinear: BL = 1/(1 − Δ/2·Λ), Λ̄ = BL(1 + Δ/2·Λ),  B̄ = BL·Δ·B̃
 *   x_t = Λ̄ ⊙ x_{t−1} + B̄ u_t ;   y_t = c·Re(C̃ x_t) + D ⊙ u_t,  c = 2 if conj else 1
 * Discretized in double here; the step itself is swi_lru_forward (same recurrence). */
#include "s5.h"
#include "kernels.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double complex cexpm1(double complex z)
{
    double a = creal(z), bb = cimag(z), s = sin(0.5 * bb);
    return (expm1(a) * cos(bb) - 2.0 * s * s) + I * (exp(a) * sin(bb));
}

sw_status swi_build_s5(sw_lru *l, const cJSON *cfg, sw_build *b)
{
    const char *name, *disc;
    const float *lam_log_re, *lam_im, *log_step;
    sw_lru_parts io;
    int H, P, zoh, conj;
    sw_status st;
    if ((st = sw_cfg_name(b, cfg, &name)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "d", 1, SW_MAX_WIDTH, &H)) != SW_OK) return st;
    if ((st = sw_cfg_int(b, cfg, "p", 1, SW_MAX_STATE, &P)) != SW_OK) return st;
    if ((st = sw_cfg_str(b, cfg, "disc", &disc)) != SW_OK) return st;
    if (strcmp(disc, "zoh") == 0) zoh = 1;
    else if (strcmp(disc, "bilinear") == 0) zoh = 0;
    else return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: \"disc\" must be \"zoh\" or \"bilinear\"", b->where);
    if ((st = sw_cfg_bool(b, cfg, "conj", &conj)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "log_Lambda_real", 1, P, 0, &lam_log_re)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "Lambda_imag", 1, P, 0, &lam_im)) != SW_OK) return st;
    if ((st = sw_get_tensor(b, name, "log_step", 1, P, 0, &log_step)) != SW_OK) return st;
    if ((st = swi_lru_begin(l, b, name, H, P, &io)) != SW_OK) return st;

    const double c = conj ? 2.0 : 1.0;
    for (int p = 0; p < P; p++) {
        double complex L = -exp((double)lam_log_re[p]) + I * (double)lam_im[p];
        double dt = exp((double)log_step[p]);
        double complex Lb, Bf;            /* Λ̄ and B̄ / B̃ */
        if (zoh) {
            Lb = cexp(L * dt);
            Bf = (cabs(L) > 0.0) ? cexpm1(L * dt) / L : dt;
        } else {
            double complex BL = 1.0 / (1.0 - dt / 2.0 * L);
            Lb = BL * (1.0 + dt / 2.0 * L);
            Bf = BL * dt;
        }
        io.lam[p] = creal(Lb);
        io.lam[P + p] = cimag(Lb);
        for (int h = 0; h < H; h++) {
            double complex Bb = Bf * ((double)io.b_re[(size_t)p * H + h] + I * (double)io.b_im[(size_t)p * H + h]);
            io.bm[(size_t)p * H + h] = (float)creal(Bb);                   /* [B̄_re; B̄_im] [2P, H] */
            io.bm[((size_t)P + p) * H + h] = (float)cimag(Bb);
            io.cm[(size_t)h * 2 * P + p] = (float)(c * io.c_re[(size_t)h * P + p]);   /* [c·C̃_re, −c·C̃_im] [H, 2P] */
            io.cm[(size_t)h * 2 * P + P + p] = (float)(-c * io.c_im[(size_t)h * P + p]);
        }
    }
    return swi_lru_end(l, H, P, &io, b);
}
