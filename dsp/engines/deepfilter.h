/* deepfilter.h — deep filtering of the lowest STFT bins (internal; used by denoise.c).
 *
 * DeepFilterNet (Schröter et al., ICASSP 2022, eq. 1) replaces a per-bin real gain by a short
 * complex filter over the current and past frames of the noisy spectrum X:
 *
 *     Y(k, t) = Σ_{i=0}^{N-1} C(k, i, t) · X(k, t − i + l)
 *
 * Here the look-ahead l is 0 (the engine's latency stays 2H − 1 samples) and the filter is
 * written as the gain plus a learned complex residual, so that a model whose coefficients are
 * all 0 is exactly the gain-only denoiser:
 *
 *     Y(k, t) = G(k, t) · X(k, t) + s(t) · Σ_{i=0}^{N-1} c(k, i, t) · X(k, t − i)
 *
 * i.e. the paper's C(k, 0) = G + s·c(k, 0) and C(k, i) = s·c(k, i) for i ≥ 1. s scales the
 * residual down where the engine mixes the noisy spectrum back in (learned floor, attenuation
 * limit; denoise.c). Why in a filter: a 50 Hz bin holds one harmonic of a voice that moves
 * between frames, and a gain can only scale what is in the bin, noise included; a complex filter
 * over a few frames can follow the harmonic's phase and cancel the part that does not (the
 * "harmonics between bands" the gains of a coarse grid cannot resolve).
 *
 * This file keeps each channel's spectrum history of the filtered bins and applies the filter;
 * denoise.c turns the network's output into the coefficients c (on the actual bins) and s.
 * Build/free allocate; everything else is [RT]. */
#ifndef SW_DEEPFILTER_H
#define SW_DEEPFILTER_H

#include <fftw3.h>

#define SW_DF_MAX_CH 2
#define SW_DF_MAX_ORDER 8

typedef struct {
    int bins;            /* B: history kept for bins 0..B-1 (filtered bins and the features' reads) */
    int apply_bins;      /* bins 0..apply_bins-1 are filtered, <= bins */
    int order;           /* N: taps over the current and N-1 past frames, 1..SW_DF_MAX_ORDER */
    int channels;        /* 1..SW_DF_MAX_CH */
    int head;            /* ring slot of the current frame, 0..order */
    float *hist[SW_DF_MAX_CH]; /* [order+1][bins][2] ring of noisy spectra, re/im (owned): N taps
                                  plus one frame more, so the previous frame is there at order 1 */
    float *coef;         /* [order][apply_bins][2] c(k, i) of the current frame (owned, set by the caller) */
} sw_deepfilter;

/* Allocates for `bins` kept and `apply_bins` filtered bins; returns 0, or -1 on OOM (df freed). */
int swi_df_build(sw_deepfilter *df, int bins, int apply_bins, int order, int channels);
void swi_df_free(sw_deepfilter *df);
/* Zero history: the frames before a (re)start count as silence. [RT] */
void swi_df_reset(sw_deepfilter *df);
/* Starts a frame: the ring moves on by one slot, which is zeroed (an idle frame leaves it so:
 * its spectrum is below -100 dBFS and counts as silence, as after reset). [RT] */
void swi_df_next(sw_deepfilter *df);
/* Stores channel c's noisy spectrum of the current frame (bins 0..bins-1 of spec). [RT] */
void swi_df_store(sw_deepfilter *df, int c, const fftwf_complex *spec);
/* Channel c's stored spectrum `lag` frames back (0 = current), [bins][2]; lag <= order. [RT] */
const float *swi_df_frame(const sw_deepfilter *df, int c, int lag);
/* spec[k] += s · Σ_i coef[i][k] · X_c(k, t − i) for k < apply_bins; spec already holds G·X. [RT] */
void swi_df_apply(const sw_deepfilter *df, int c, fftwf_complex *spec, float s);

#endif
