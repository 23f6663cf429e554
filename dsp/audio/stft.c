/* stft.c — asymmetric-window STFT (see stft.h for the window equations and latency). */
#include "stft.h"
#include "core.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* FFTW's planner is not thread-safe; plan creation and destruction happen only in
 * build/free (never in [RT] paths), serialised by this lock. */
static pthread_mutex_t fftw_plan_lock = PTHREAD_MUTEX_INITIALIZER;

/* For other dsp/ files that make FFTW plans (the synth's noise and reverb). */
void sw_fftw_plan_lock(void) { pthread_mutex_lock(&fftw_plan_lock); }
void sw_fftw_plan_unlock(void) { pthread_mutex_unlock(&fftw_plan_lock); }

void swi_fftw_destroy_plans(fftwf_plan fwd, fftwf_plan inv)
{
    pthread_mutex_lock(&fftw_plan_lock);
    if (fwd) fftwf_destroy_plan(fwd);
    if (inv) fftwf_destroy_plan(inv);
    pthread_mutex_unlock(&fftw_plan_lock);
}

static double hann(int k, int len) { return 0.5 - 0.5 * cos(2.0 * M_PI * (double)k / (double)len); }

void sw_stft_windows(int hop, int win_hops, double *wa, double *ws)
{
    const int H = hop, N = win_hops * hop;
    for (int n = 0; n < N; n++) {
        double a;
        if (n < N - H) a = sqrt(hann(n, 2 * (N - H)));
        else a = sqrt(hann(n - (N - 2 * H), 2 * H));
        wa[n] = a;
        if (n < N - 2 * H) ws[n] = 0.0;
        else {
            double p = hann(n - (N - 2 * H), 2 * H);
            ws[n] = a > 0.0 ? p / a : 0.0;
        }
    }
}

void sw_stft_free(sw_stft *st)
{
    if (!st) return;
    swi_fftw_destroy_plans(st->fwd, st->inv);
    fftwf_free(st->time_buf);
    fftwf_free(st->spec_tmp);
    fftwf_free(st->zin);
    fftwf_free(st->zout);
    SWI_FREE_EACH(st->tw, st->win_a, st->win_s, st->win_p);
    memset(st, 0, sizeof *st);
}

int sw_stft_build(sw_stft *st, int hop, int win_hops)
{
    memset(st, 0, sizeof *st);
    if (hop < 1 || win_hops < 2) return -1;
    const int N = hop * win_hops;
    st->hop = hop;
    st->win_hops = win_hops;
    st->n_fft = N;
    st->n_bins = N / 2 + 1;
    st->win_a = calloc((size_t)N, sizeof(float));
    st->win_s = calloc((size_t)N, sizeof(float));
    st->win_p = calloc((size_t)(2 * hop), sizeof(float));
    st->time_buf = fftwf_malloc(sizeof(float) * (size_t)N);
    st->half = (N % 2 == 0);
    const int M = N / 2;
    int bufs_ok;
    if (st->half) {
        st->zin = fftwf_malloc(sizeof(fftwf_complex) * (size_t)M);
        st->zout = fftwf_malloc(sizeof(fftwf_complex) * (size_t)M);
        st->tw = malloc(sizeof(float) * 2 * (size_t)(M + 1));
        bufs_ok = st->zin && st->zout && st->tw;
    } else {
        st->spec_tmp = fftwf_malloc(sizeof(fftwf_complex) * (size_t)st->n_bins);
        bufs_ok = st->spec_tmp != NULL;
    }
    double *wa = malloc(sizeof(double) * (size_t)N), *ws = malloc(sizeof(double) * (size_t)N);
    if (!st->win_a || !st->win_s || !st->win_p || !st->time_buf || !bufs_ok || !wa || !ws) {
        free(wa);
        free(ws);
        sw_stft_free(st);
        return -1;
    }
    sw_stft_windows(hop, win_hops, wa, ws);
    st->win_a_energy = 0.0;
    for (int n = 0; n < N; n++) {
        st->win_a[n] = (float)wa[n];
        st->win_s[n] = (float)(ws[n] / (double)N);  /* FFTW's c2r is unnormalised */
        st->win_a_energy += wa[n] * wa[n];
        if (n >= N - 2 * hop) st->win_p[n - (N - 2 * hop)] = (float)(wa[n] * ws[n]);
    }
    free(wa);
    free(ws);
    memset(st->time_buf, 0, sizeof(float) * (size_t)N);
    if (st->half) {
        for (int k = 0; k <= M; k++) {
            st->tw[2 * k] = (float)cos(2.0 * M_PI * k / N);
            st->tw[2 * k + 1] = (float)sin(2.0 * M_PI * k / N);
        }
        memset(st->zin, 0, sizeof(fftwf_complex) * (size_t)M);
    }
    pthread_mutex_lock(&fftw_plan_lock);
    if (st->half) {
        fftwf_complex *tb = (fftwf_complex *)st->time_buf; /* fftwf_malloc'd: aligned like zin/zout */
        st->fwd = fftwf_plan_dft_1d(M, tb, st->zout, FFTW_FORWARD, FFTW_ESTIMATE);
        st->inv = fftwf_plan_dft_1d(M, st->zin, tb, FFTW_BACKWARD, FFTW_ESTIMATE);
    } else {
        st->fwd = fftwf_plan_dft_r2c_1d(N, st->time_buf, st->spec_tmp, FFTW_ESTIMATE);
        st->inv = fftwf_plan_dft_c2r_1d(N, st->spec_tmp, st->time_buf, FFTW_ESTIMATE);
    }
    pthread_mutex_unlock(&fftw_plan_lock);
    if (!st->fwd || !st->inv) {
        sw_stft_free(st);
        return -1;
    }
    return 0;
}

int sw_stft_chan_build(const sw_stft *st, sw_stft_chan *ch)
{
    ch->hist = calloc((size_t)st->n_fft, sizeof(float));
    ch->ola = calloc((size_t)(2 * st->hop), sizeof(float));
    if (!ch->hist || !ch->ola) {
        sw_stft_chan_free(ch);
        return -1;
    }
    return 0;
}

void sw_stft_chan_free(sw_stft_chan *ch)
{
    if (!ch) return;
    free(ch->hist);
    free(ch->ola);
    ch->hist = ch->ola = NULL;
}

void sw_stft_chan_reset(const sw_stft *st, sw_stft_chan *ch)
{
    memset(ch->hist, 0, sizeof(float) * (size_t)st->n_fft);
    memset(ch->ola, 0, sizeof(float) * (size_t)(2 * st->hop));
}

/* t = h ⊙ w and o += y ⊙ w in 4-float vectors (GCC vector extension: the library's -O2 does not
 * vectorize loops of unknown length; the same multiply and add per element, so the same bits). */
typedef float v4f __attribute__((vector_size(16)));
typedef float v4fu __attribute__((vector_size(16), aligned(4)));
static void window(float *restrict t, const float *restrict h, const float *restrict w, int n)
{
    int i = 0;
    for (; i + 4 <= n; i += 4) *(v4fu *)(t + i) = *(const v4fu *)(h + i) * *(const v4fu *)(w + i);
    for (; i < n; i++) t[i] = h[i] * w[i];
}
static void overlap_add(float *restrict o, const float *restrict y, const float *restrict w, int n)
{
    int i = 0;
    for (; i + 4 <= n; i += 4)
        *(v4fu *)(o + i) = *(const v4fu *)(o + i) + *(const v4fu *)(y + i) * *(const v4fu *)(w + i);
    for (; i < n; i++) o[i] += y[i] * w[i];
}

void sw_stft_analyze(sw_stft *st, sw_stft_chan *ch, const float *in_hop, fftwf_complex *spec)
{
    const int H = st->hop, N = st->n_fft;
    float *h = ch->hist;
    memmove(h, h + H, sizeof(float) * (size_t)(N - H));
    memcpy(h + N - H, in_hop, sizeof(float) * (size_t)H);
    float *t = st->time_buf;
    window(t, h, st->win_a, N);
    if (!st->half) {
        fftwf_execute_dft_r2c(st->fwd, t, spec);
        return;
    }
    /* The windowed frame in time_buf, read as N/2 complex numbers, is the packed z[m]. */
    const int M = N / 2;
    fftwf_execute_dft(st->fwd, (fftwf_complex *)t, st->zout);
    /* Split: E = (Z[k] + conj Z[M-k]) / 2, O = (Z[k] - conj Z[M-k]) / 2i, X[k] = E + W^k O,
     * W = e^{-2 pi i / N}; X[0] and X[M] are real. */
    const fftwf_complex *Z = st->zout;
    const float *tw = st->tw;
    spec[0][0] = Z[0][0] + Z[0][1];
    spec[0][1] = 0.0f;
    spec[M][0] = Z[0][0] - Z[0][1];
    spec[M][1] = 0.0f;
    /* Bins k and M-k together: E[M-k] = conj E[k], O[M-k] = conj O[k], W^(M-k) = -conj W^k. */
    for (int k = 1, j = M - 1; k <= j; k++, j--) {
        const float ar = Z[k][0], ai = Z[k][1], br = Z[j][0], bi = -Z[j][1];
        const float er = 0.5f * (ar + br), ei = 0.5f * (ai + bi);
        const float or_ = 0.5f * (ai - bi), oi = -0.5f * (ar - br);
        const float c = tw[2 * k], s = tw[2 * k + 1];
        const float p = c * or_ + s * oi, q = c * oi - s * or_;
        spec[j][0] = er - p;
        spec[j][1] = q - ei;
        spec[k][0] = er + p;
        spec[k][1] = ei + q;
    }
}

/* time_buf = N * (inverse real DFT of spec[0..N/2]), like FFTW's unnormalised c2r (which
 * ignores the imaginary parts of X[0] and X[N/2]). */
static void inverse_real(sw_stft *st, fftwf_complex *spec)
{
    const int N = st->n_fft;
    float *t = st->time_buf;
    if (!st->half) {
        fftwf_execute_dft_c2r(st->inv, spec, t);
        return;
    }
    /* Z'[k] = 2(E + iO) with E = (X[k] + conj X[M-k]) / 2, O = (X[k] - conj X[M-k]) conj(W^k) / 2:
     * its N/2-point backward transform is N * (x[2m] + i x[2m+1]). */
    const int M = N / 2;
    const float *tw = st->tw;
    fftwf_complex *z = st->zin;
    z[0][0] = spec[0][0] + spec[M][0];
    z[0][1] = spec[0][0] - spec[M][0];
    /* k and M-k together (as in the forward split): z[M-k] = (er + oi, or - ei). */
    for (int k = 1, j = M - 1; k <= j; k++, j--) {
        const float xr = spec[k][0], xi = spec[k][1], yr = spec[j][0], yi = -spec[j][1];
        const float er = xr + yr, ei = xi + yi, dr = xr - yr, di = xi - yi;
        const float c = tw[2 * k], s = tw[2 * k + 1];
        const float or_ = dr * c - di * s, oi = dr * s + di * c;
        z[j][0] = er + oi;
        z[j][1] = or_ - ei;
        z[k][0] = er - oi;
        z[k][1] = ei + or_;
    }
    /* written straight into time_buf: complex m = samples 2m, 2m+1 */
    fftwf_execute_dft(st->inv, z, (fftwf_complex *)t);
}

void sw_stft_push(sw_stft *st, sw_stft_chan *ch, const float *in_hop)
{
    const int H = st->hop, N = st->n_fft;
    float *h = ch->hist;
    memmove(h, h + H, sizeof(float) * (size_t)(N - H));
    memcpy(h + N - H, in_hop, sizeof(float) * (size_t)H);
}

void sw_stft_passthrough_ola(sw_stft *st, sw_stft_chan *ch, const float *tail, float *out_hop)
{
    const int H = st->hop;
    float *o = ch->ola;
    overlap_add(o, tail, st->win_p, 2 * H);
    memcpy(out_hop, o, sizeof(float) * (size_t)H);
    memmove(o, o + H, sizeof(float) * (size_t)H);
    memset(o + H, 0, sizeof(float) * (size_t)H);
}

void sw_stft_passthrough(sw_stft *st, sw_stft_chan *ch, const float *in_hop, float *out_hop)
{
    sw_stft_push(st, ch, in_hop);
    sw_stft_passthrough_ola(st, ch, ch->hist + (st->n_fft - 2 * st->hop), out_hop);
}

void sw_stft_synthesize(sw_stft *st, sw_stft_chan *ch, fftwf_complex *spec, float *out_hop)
{
    const int H = st->hop, N = st->n_fft;
    float *t = st->time_buf;
    inverse_real(st, spec);
    float *o = ch->ola;
    overlap_add(o, t + (N - 2 * H), st->win_s + (N - 2 * H), 2 * H);
    memcpy(out_hop, o, sizeof(float) * (size_t)H);
    memmove(o, o + H, sizeof(float) * (size_t)H);
    memset(o + H, 0, sizeof(float) * (size_t)H);
}
