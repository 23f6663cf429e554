/* stft.c — asymmetric-window STFT (see stft.h for the window equations and latency). */
#include "stft.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* FFTW's planner is not thread-safe; plan creation and destruction happen only in
 * build/free (never in [RT] paths), serialised by this lock. */
static pthread_mutex_t fftw_plan_lock = PTHREAD_MUTEX_INITIALIZER;

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
    pthread_mutex_lock(&fftw_plan_lock);
    if (st->fwd) fftwf_destroy_plan(st->fwd);
    if (st->inv) fftwf_destroy_plan(st->inv);
    pthread_mutex_unlock(&fftw_plan_lock);
    fftwf_free(st->time_buf);
    fftwf_free(st->spec_tmp);
    free(st->win_a);
    free(st->win_s);
    free(st->win_p);
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
    st->spec_tmp = fftwf_malloc(sizeof(fftwf_complex) * (size_t)st->n_bins);
    double *wa = malloc(sizeof(double) * (size_t)N), *ws = malloc(sizeof(double) * (size_t)N);
    if (!st->win_a || !st->win_s || !st->win_p || !st->time_buf || !st->spec_tmp || !wa || !ws) {
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
    pthread_mutex_lock(&fftw_plan_lock);
    st->fwd = fftwf_plan_dft_r2c_1d(N, st->time_buf, st->spec_tmp, FFTW_ESTIMATE);
    st->inv = fftwf_plan_dft_c2r_1d(N, st->spec_tmp, st->time_buf, FFTW_ESTIMATE);
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

void sw_stft_analyze(sw_stft *st, sw_stft_chan *ch, const float *in_hop, fftwf_complex *spec)
{
    const int H = st->hop, N = st->n_fft;
    float *h = ch->hist;
    memmove(h, h + H, sizeof(float) * (size_t)(N - H));
    memcpy(h + N - H, in_hop, sizeof(float) * (size_t)H);
    float *t = st->time_buf;
    const float *w = st->win_a;
    for (int n = 0; n < N; n++) t[n] = h[n] * w[n];
    fftwf_execute_dft_r2c(st->fwd, t, spec);
}

void sw_stft_passthrough(sw_stft *st, sw_stft_chan *ch, const float *in_hop, float *out_hop)
{
    const int H = st->hop, N = st->n_fft;
    float *h = ch->hist;
    memmove(h, h + H, sizeof(float) * (size_t)(N - H));
    memcpy(h + N - H, in_hop, sizeof(float) * (size_t)H);
    const float *x = h + (N - 2 * H), *w = st->win_p;
    float *o = ch->ola;
    for (int i = 0; i < 2 * H; i++) o[i] += x[i] * w[i];
    memcpy(out_hop, o, sizeof(float) * (size_t)H);
    memmove(o, o + H, sizeof(float) * (size_t)H);
    memset(o + H, 0, sizeof(float) * (size_t)H);
}

void sw_stft_synthesize(sw_stft *st, sw_stft_chan *ch, fftwf_complex *spec, float *out_hop)
{
    const int H = st->hop, N = st->n_fft;
    float *t = st->time_buf;
    fftwf_execute_dft_c2r(st->inv, spec, t);
    const float *ws = st->win_s + (N - 2 * H);
    const float *y = t + (N - 2 * H);
    float *o = ch->ola;
    for (int i = 0; i < 2 * H; i++) o[i] += y[i] * ws[i];
    memcpy(out_hop, o, sizeof(float) * (size_t)H);
    memmove(o, o + H, sizeof(float) * (size_t)H);
    memset(o + H, 0, sizeof(float) * (size_t)H);
}
