/* yin.c — YIN f0, loudness and the note tracker (see yin.h; mirrors train/instrument/features.py). */
#include "yin.h"
#include "core.h"
#include "stft.h"       /* sw_fftw_plan_lock, swi_fftw_destroy_plans */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GATE_ON_DB -50.0
#define GATE_OFF_DB -56.0
#define LEGATO_ST 0.8
#define LEGATO_FRAMES 3
#define CONTROL_RATE 250.0
#define ONSET_TAU 0.05
#define RELEASE_TAU 0.25
#define AGE_MAX 4.0

/* round(num / den) for num >= 0, den > 0, ties up; exact for integer-valued doubles
 * (every rate we accept is below 2^53 / 1000). */
static double round_up_ties(double num, double den) { return floor((2.0 * num + den) / (2.0 * den)); }

int64_t sw_yin_frame_end(double sr, int64_t t)
{
    if (sr == floor(sr)) {
        const int64_t s = (int64_t)sr;
        return (2 * t * s + (int64_t)CONTROL_RATE) / (2 * (int64_t)CONTROL_RATE);
    }
    return (int64_t)floor((double)t * sr / CONTROL_RATE + 0.5);
}

void sw_yin_free(sw_yin *y)
{
    if (!y) return;
    swi_fftw_destroy_plans(y->fwd, y->inv);
    SWI_FREE_EACH(y->a, y->b, y->A, y->B, y->csum, y->dp);
    memset(y, 0, sizeof *y);
}

int sw_yin_build(sw_yin *y, double sr)
{
    memset(y, 0, sizeof *y);
    if (!(sr >= 1000.0 && sr <= 1e6)) return -1;
    y->sr = sr;
    y->tau_min = (int)floor(sr / 2000.0);
    y->tau_max = (int)ceil(sr / 50.0);
    y->W = (int)ceil(sr / 40.0);
    y->W_L = (int)round_up_ties(sr, 50.0);
    if (y->tau_min < 1) y->tau_min = 1;                /* d'(0) = 1 is never a candidate */
    y->len = y->W + y->tau_max;
    int nfft = 1;
    while (nfft < y->len) nfft *= 2;
    y->nfft = nfft;
    const size_t nb = (size_t)nfft / 2 + 1;
    /* zeroed, and 64-byte aligned: at least what fftwf_malloc gives FFTW's SIMD codelets */
    y->a = sw_calloc_aligned((size_t)nfft, sizeof(float));
    y->b = sw_calloc_aligned((size_t)nfft, sizeof(float));
    y->A = sw_calloc_aligned(nb, sizeof(fftwf_complex));
    y->B = sw_calloc_aligned(nb, sizeof(fftwf_complex));
    y->csum = calloc((size_t)y->len + 1, sizeof(double));
    y->dp = calloc((size_t)y->tau_max + 1, sizeof(double));
    if (!y->a || !y->b || !y->A || !y->B || !y->csum || !y->dp) {
        sw_yin_free(y);
        return -1;
    }
    sw_fftw_plan_lock();
    y->fwd = fftwf_plan_dft_r2c_1d(nfft, y->a, y->A, FFTW_ESTIMATE);
    y->inv = fftwf_plan_dft_c2r_1d(nfft, y->B, y->b, FFTW_ESTIMATE);
    sw_fftw_plan_unlock();
    if (!y->fwd || !y->inv) {
        sw_yin_free(y);
        return -1;
    }
    return 0;
}

double sw_loudness_db(const float *x, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++) s += (double)x[i] * (double)x[i];
    return 10.0 * log10((n > 0 ? s / n : 0.0) + 1e-10);
}

double sw_yin_run(sw_yin *y, const float *buf, double *dmin)
{
    const int W = y->W, L = y->len, tmax = y->tau_max, tmin = y->tau_min, nfft = y->nfft;
    const size_t nb = (size_t)nfft / 2 + 1;
    /* r(tau) = sum_{j<W} b[j] b[j+tau] = irfft(conj(A) B)[tau] */
    memcpy(y->a, buf, sizeof(float) * (size_t)W);
    memset(y->a + W, 0, sizeof(float) * (size_t)(nfft - W));
    memcpy(y->b, buf, sizeof(float) * (size_t)L);
    memset(y->b + L, 0, sizeof(float) * (size_t)(nfft - L));
    fftwf_execute_dft_r2c(y->fwd, y->a, y->A);
    fftwf_execute_dft_r2c(y->fwd, y->b, y->B);
    for (size_t i = 0; i < nb; i++) {
        const float ar = y->A[i][0], ai = y->A[i][1], br = y->B[i][0], bi = y->B[i][1];
        y->B[i][0] = ar * br + ai * bi;                /* conj(A) B */
        y->B[i][1] = ar * bi - ai * br;
    }
    fftwf_execute_dft_c2r(y->inv, y->B, y->b);        /* b[tau] = nfft * r(tau) */
    double *cs = y->csum;
    cs[0] = 0.0;
    for (int j = 0; j < L; j++) cs[j + 1] = cs[j] + (double)buf[j] * (double)buf[j];
    const double e0 = cs[W], inv_n = 1.0 / nfft;
    double *dp = y->dp;
    dp[0] = 1.0;
    double cum = 0.0;
    for (int tau = 1; tau <= tmax; tau++) {
        double d = e0 + (cs[tau + W] - cs[tau]) - 2.0 * (double)y->b[tau] * inv_n;
        if (d < 0.0) d = 0.0;
        cum += d;
        dp[tau] = cum > 0.0 ? d * tau / cum : 1.0;
    }
    int tau = -1;
    for (int t = tmin; t <= tmax; t++)
        if (dp[t] < SW_YIN_THRESHOLD) { tau = t; break; }
    if (tau >= 0) {
        while (tau + 1 <= tmax && dp[tau + 1] < dp[tau]) tau++;
    } else {
        tau = tmin;
        for (int t = tmin + 1; t <= tmax; t++)
            if (dp[t] < dp[tau]) tau = t;
    }
    double tau_hat = tau;
    if (tau + 1 <= tmax) {
        const double a = dp[tau - 1], b = dp[tau], c = dp[tau + 1];
        const double den = a - 2.0 * b + c;
        if (den != 0.0) {
            const double delta = 0.5 * (a - c) / den;
            if (fabs(delta) <= 1.0) tau_hat = tau + delta;
        }
    }
    *dmin = dp[tau];
    return tau_hat;
}

void sw_tracker_reset(sw_tracker *k)
{
    memset(k, 0, sizeof *k);
    k->f0 = SW_YIN_F0_DEFAULT;
    k->on_frame = -1;
    k->off_frame = -1;
}

double sw_tracker_step(sw_tracker *k, double sr, double tau_hat, int voiced, double L, double shift,
                       float feat[8])
{
    const int64_t t = k->t++;
    if (voiced && tau_hat > 0.0) k->f0 = sr / tau_hat;
    const double p = 69.0 + 12.0 * log2(k->f0 / 440.0);
    int note_on = 0;
    if (!k->gate) {
        if (L > GATE_ON_DB && voiced) {
            k->gate = 1;
            note_on = 1;
        }
    } else if (L < GATE_OFF_DB) {
        k->gate = 0;
        k->off_frame = t;
        k->run = 0;
    } else if (fabs(p - k->p_note) > LEGATO_ST) {
        if (++k->run >= LEGATO_FRAMES) note_on = 1;
    } else {
        k->run = 0;
    }
    if (note_on) {
        k->p_note = p;
        double v = 1.0 + L / 50.0;
        k->vel = v < 0.05 ? 0.05 : v > 1.0 ? 1.0 : v;
        k->on_frame = t;
        k->run = 0;
    }
    for (int i = 0; i < 8; i++) feat[i] = 0.0f;
    feat[0] = (float)((p + shift - 60.0) / 24.0);
    feat[6] = (float)((L + 60.0) / 60.0);
    feat[7] = 1.0f;
    if (k->on_frame >= 0) {
        feat[1] = (float)k->vel;
        feat[2] = (float)k->gate;
        const double t_on = (double)(t - k->on_frame) / CONTROL_RATE;
        feat[3] = (float)exp(-t_on / ONSET_TAU);
        feat[5] = (float)((t_on < AGE_MAX ? t_on : AGE_MAX) / AGE_MAX);
        if (k->off_frame >= 0) {
            const double t_off = (double)(t - k->off_frame) / CONTROL_RATE;
            feat[4] = (float)((1.0 - k->gate) * exp(-t_off / RELEASE_TAU));
        }
    }
    return k->f0;
}
