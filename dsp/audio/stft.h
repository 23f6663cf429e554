/* stft.h — low-latency STFT analysis/synthesis with asymmetric windows (internal).
 *
 * Frames advance by `hop` samples (H). The analysis window is N = win_hops·H samples long
 * (long, for frequency resolution); the synthesis window is non-zero only on the last 2H
 * samples of the frame (short, for latency). Their product is a periodic Hann window of
 * length 2H on those samples, which sums to exactly 1 over frames spaced H apart, so the
 * pair reconstructs perfectly at unit gain. With win_hops = 2 this is the usual
 * sqrt-Hann/sqrt-Hann STFT at 50% overlap.
 *
 *   analysis  w_a[n] = sqrt(hann_{2(N-H)}[n])        n in [0, N-H)   (rising, long)
 *                    = sqrt(hann_{2H}[n - (N-2H)])   n in [N-H, N)   (falling, short)
 *   synthesis w_s[n] = hann_{2H}[n - (N-2H)] / w_a[n]  n in [N-2H, N), 0 before
 *   hann_L[k] = 0.5 - 0.5 cos(2 pi k / L)  (periodic)
 *
 * Latency: a frame is analysed when its last input sample has arrived, and then the
 * first H of its 2H synthesis samples are complete, so output sample t depends on input
 * up to t + 2H - 1: the algorithmic latency is 2H - 1 samples (sample-exact for any
 * block size, see denoise.c).
 *
 * train/denoise/features.py mirrors this file exactly (same windows and scaling).
 *
 * Transforms. For even N (every shipped setting: win_hops = 4) the real N-point transforms
 * run as one complex FFT of N/2 points on the packed samples z[m] = x[2m] + i x[2m+1], with
 * the usual split step (X[k] = E[k] + e^{-2 pi i k/N} O[k], E/O the even/odd-sample spectra,
 * recovered from Z[k] and conj Z[N/2-k]) and its inverse. Same results as FFTW's r2c/c2r to
 * float rounding, about the same speed, but FFTW plans a complex FFT roughly ten times
 * faster than an r2c/c2r pair of the same size even with FFTW_ESTIMATE (0.5 vs 6 ms for
 * N = 960 here), which is most of a denoiser's create time. Odd N uses r2c/c2r plans.
 *
 * Ownership: sw_stft owns its windows, FFTW plans and scratch buffers; each
 * stream channel owns an sw_stft_chan (history + overlap-add accumulator). Build/free
 * are not real-time (FFTW planning, serialised by a mutex inside stft.c); analyze and
 * synthesize are [RT]: fftwf_execute_* on pre-made plans, no allocation. */
#ifndef SW_STFT_H
#define SW_STFT_H

#include <fftw3.h>

typedef struct {
    int hop;                  /* H: samples per frame */
    int win_hops;             /* N / H, >= 2 */
    int n_fft;                /* N: analysis window length = FFT size */
    int n_bins;               /* N/2 + 1 */
    float *win_a;             /* [N] analysis window */
    float *win_s;             /* [N] synthesis window, already scaled by 1/N for the c2r transform */
    double win_a_energy;      /* sum of win_a^2 (for PSD normalisation) */
    float *win_p;             /* [2H] w_a*w_s on the synthesis support (= periodic hann_2H): what a
                                 unity-gain frame adds to the overlap-add, see sw_stft_passthrough */
    float *time_buf;          /* [N] fftwf_malloc: windowed frame / inverse transform output (N * x) */
    int half;                 /* 1: N even, complex FFTs of N/2 (below); 0: r2c/c2r plans */
    fftwf_complex *zin;       /* half: [N/2] fftwf_malloc: pre-processed spectrum for the inverse */
    fftwf_complex *zout;      /* half: [N/2] fftwf_malloc: forward N/2-point transform of time_buf */
    float *tw;                /* half: [2 (N/2 + 1)] cos, sin of 2 pi k / N for k = 0..N/2, interleaved */
    fftwf_complex *spec_tmp;  /* r2c: [n_bins] fftwf_malloc: plan target only (execute uses caller's arrays) */
    fftwf_plan fwd;           /* half: forward N/2, time_buf (as complex) -> zout; else r2c N, time_buf -> spectrum */
    fftwf_plan inv;           /* half: backward N/2, zin -> time_buf (as complex); else c2r N, spectrum -> time_buf */
} sw_stft;

typedef struct {
    float *hist;              /* [N] last N input samples, oldest first */
    float *ola;               /* [2H] overlap-add accumulator: [0,H) next output, [H,2H) partial */
} sw_stft_chan;

/* Returns 0 on success, -1 on allocation/planning failure (st left freed). */
int sw_stft_build(sw_stft *st, int hop, int win_hops);
void sw_stft_free(sw_stft *st);
int sw_stft_chan_build(const sw_stft *st, sw_stft_chan *ch);
void sw_stft_chan_free(sw_stft_chan *ch);
/* Clears history and overlap-add state. [RT] */
void sw_stft_chan_reset(const sw_stft *st, sw_stft_chan *ch);

/* Pushes H new samples into the channel history and writes the spectrum of the windowed
 * N-sample frame to spec[n_bins] (an fftwf_malloc'd array). [RT] */
void sw_stft_analyze(sw_stft *st, sw_stft_chan *ch, const float *in_hop, fftwf_complex *spec);
/* Inverse-transforms spec (may be destroyed), windows, overlap-adds and writes the H completed
 * output samples to out_hop. [RT] */
void sw_stft_synthesize(sw_stft *st, sw_stft_chan *ch, fftwf_complex *spec, float *out_hop);

/* The unity-gain frame without any FFT: pushes H new samples into the history and
 * overlap-adds history[N-2H, N) * win_p, which equals what analyze + synthesize with all
 * gains 1 would add (perfect reconstruction: irfft(rfft(x)) = x), up to float rounding;
 * writes the H completed output samples. The denoiser uses it for idle (silent) frames. [RT] */
void sw_stft_passthrough(sw_stft *st, sw_stft_chan *ch, const float *in_hop, float *out_hop);
/* sw_stft_passthrough in two halves, for a caller that analyses several hops before it
 * synthesises them: push moves the hop into the history (as sw_stft_analyze does); _ola adds the
 * unity-gain frame of tail (the last 2H history samples right after that push) to the
 * overlap-add and emits a hop, as sw_stft_passthrough would have. [RT] */
void sw_stft_push(sw_stft *st, sw_stft_chan *ch, const float *in_hop);
void sw_stft_passthrough_ola(sw_stft *st, sw_stft_chan *ch, const float *tail, float *out_hop);

/* Builds the two windows of length N = win_hops*hop into wa/ws (unscaled). Shared with
 * tests so that the windows' perfect-reconstruction property can be checked directly. */
void sw_stft_windows(int hop, int win_hops, double *wa, double *ws);

/* FFTW's planner is not thread-safe: every dsp/ file that creates or destroys an FFTW plan
 * holds this lock around the call (build/free only, never [RT]). */
void sw_fftw_plan_lock(void);
void sw_fftw_plan_unlock(void);
/* Destroys a block's two plans (either may be NULL: a build that failed) under that lock. */
void swi_fftw_destroy_plans(fftwf_plan fwd, fftwf_plan inv);

#endif
