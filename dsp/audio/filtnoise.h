/* filtnoise.h — STFT-domain filtered noise shared by all voices of a synth (internal, dsp/engines/synth.c).
 *
 * docs/INSTRUMENT.md "Noise part": white noise u ~ U(-1, 1), hop H = round(sr_h / f_c), frame
 * N = 2H, periodic sqrt-Hann analysis and synthesis windows (sw_stft with win_hops = 2 is exactly
 * that pair), Y[i] = X[i] m(f_i), f_i = i sr_h / N, overlap-add. m(f) is the per-band magnitude
 * curve linearly interpolated at f_i (0 above sr_t / 2); with several voices
 * m(f) = sqrt(sum_v m_v(f)^2): one noise stream and one FFT pair per hop for any number of voices,
 * with the expected power of independent noises.
 *
 * Per hop the owner calls sw_fn_begin, sw_fn_add once per sounding voice (its band magnitudes
 * at the frame's centre), then sw_fn_hop, which leaves the next H output samples in out[].
 * Frame j covers output samples [jH, jH + 2H) (centre jH + H); the H samples written by the
 * hop starting at jH are complete (the second half of frame j-1 plus the first half of frame j).
 * A hop in which no voice adds any magnitude skips both FFTs (the history still advances).
 *
 * Ownership: owns its sw_stft, channel state and tables. Build/free allocate and plan (under
 * the FFTW planner lock, inside sw_stft); begin/add/hop/reset are [RT]. */
#ifndef SW_FILTNOISE_H
#define SW_FILTNOISE_H

#include "stft.h"
#include "generate.h"   /* sw_rng */

typedef struct {
    int hop;                /* H = round(sr_h / f_c) */
    int n_bins;             /* H + 1 = N/2 + 1 */
    int n_bands;            /* B */
    sw_stft st;             /* windows, plans, scratch (win_hops = 2) */
    sw_stft_chan ch;        /* noise history [N] + overlap-add [2H] */
    fftwf_complex *spec;    /* [n_bins] fftwf_malloc: spectrum of the current frame */
    float *u;               /* [H] new noise samples of this hop */
    float *out;             /* [H] output of the last hop (unit gain; the owner applies g_n) */
    float *m2;              /* [n_bins] sum over voices of m_v(f_i)^2 */
    int *band;              /* [n_bins] lower band j of bin i, -1 = above sr_t / 2 */
    float *frac;            /* [n_bins] interpolation weight of band j + 1 */
    int n_live;             /* bins with band >= 0 (they come first: band[] is monotone) */
    int any;                /* 1 if some voice added a non-zero magnitude this hop */
    uint64_t seed;          /* RNG seed that reset() rewinds to */
    sw_rng rng;             /* the noise stream */
} sw_filtnoise;

int sw_fn_build(sw_filtnoise *fn, double sr_host, int hop, double sr_train, int n_bands, uint64_t seed);
void sw_fn_free(sw_filtnoise *fn);
void sw_fn_reset(sw_filtnoise *fn);                          /* [RT] */
void sw_fn_begin(sw_filtnoise *fn);                          /* [RT] */
/* Adds gain^2 * m_v(f)^2 for band magnitudes m[n_bands] (non-finite or negative count as 0). [RT] */
void sw_fn_add(sw_filtnoise *fn, const float *m, float gain);
void sw_fn_hop(sw_filtnoise *fn);                            /* [RT] */

#endif
