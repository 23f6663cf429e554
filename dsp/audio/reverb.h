/* reverb.h — mono convolution reverb: uniformly partitioned FFT convolution (internal, dsp/engines/synth.c).
 *
 * The impulse response h is cut into partitions of P samples; each partition's spectrum
 * (2P-point real FFT of the partition zero-padded to 2P) is kept, and every P input samples the
 * newest input spectrum (2P-point FFT of the last 2P inputs) goes into a frequency-domain delay
 * line; the output block is irfft(sum_i H_i X_{now-i}), second half (overlap-save). The output
 * of a block is known once its last input sample arrived, so the wet signal lags by P samples
 * (docs/INSTRUMENT.md allows one partition). The built-in IR (exponentially decaying filtered
 * noise, RT60 1.8 s, 12 ms pre-delay) starts with >= P zeros (P <= 12 ms), so it is stored
 * advanced by P samples and the wet path is exact; a user IR is advanced by its leading silence,
 * up to P samples.
 *
 * P = the largest power of two <= 12 ms (512 at 44.1/48 kHz), so cost per sample is about one
 * complex multiply-add per partition (L/P ~ 190 of them for 2 s at any rate), on split re/im
 * arrays the compiler vectorises. Silent input (all-zero blocks for as long as the IR) skips
 * the multiply-adds.
 *
 * IRs are normalised to unit energy (sum h^2 = 1), so white input keeps its power.
 *
 * Ownership: owns plans (FFTW planner lock held around create/destroy), IR spectra, the delay
 * line and FIFOs. Build/set_ir/free allocate; reset/process are [RT]. */
#ifndef SW_REVERB_H
#define SW_REVERB_H

#include <stddef.h>
#include <fftw3.h>

#define SW_REVERB_MAX_SECONDS 10.0   /* longest user IR accepted */

typedef struct {
    double rate;            /* Hz */
    int P;                  /* partition length (samples) */
    int nbins;              /* P + 1 */
    int nbp;                /* nbins rounded up to 16 (row stride of the split arrays) */
    int parts;              /* partitions of the IR */
    float *h_re, *h_im;     /* [parts][nbp] IR partition spectra (scaled by 1 / 2P for the c2r) */
    float *x_re, *x_im;     /* [parts][nbp] input spectra, ring: slot (pos - i) mod parts is i blocks old */
    int pos;                /* slot of the newest input spectrum */
    float *acc_re, *acc_im; /* [nbp] sum_i H_i X_{pos-i} */
    float *tbuf;            /* [2P] fftwf_malloc: last 2P inputs / inverse transform output */
    fftwf_complex *spec;    /* [nbins] fftwf_malloc */
    fftwf_plan fwd, inv;    /* r2c tbuf -> spec, c2r spec -> tbuf */
    float *in_blk;          /* [P] inputs of the block being filled */
    float *out_blk;         /* [P] wet output of the last complete block, read while filling */
    int fill;               /* samples in in_blk, 0..P-1 */
    float *hist;            /* [2P] the last two input blocks (overlap-save frame) */
    int silent_blocks;      /* consecutive all-zero input blocks (saturates at parts + 1) */
} sw_reverb;

/* Built-in IR at `rate`. 0 on success, -1 on allocation/planning failure (r left freed). */
int sw_reverb_build(sw_reverb *r, double rate);
/* Replaces the IR by ir[n] recorded at ir_rate (linearly resampled to r->rate when they differ),
 * normalised to unit energy. Not real-time. 0 on success, -1 (r unchanged) on failure:
 * n == 0, longer than SW_REVERB_MAX_SECONDS, non-finite samples, all zero, or out of memory. */
int sw_reverb_set_ir(sw_reverb *r, const float *ir, size_t n, double ir_rate);
void sw_reverb_free(sw_reverb *r);
/* Silence: clears the delay line and FIFOs. [RT] */
void sw_reverb_reset(sw_reverb *r);
/* wet[i] = (h * in)[i] (convolution, see above); in and wet may alias. [RT] */
void sw_reverb_process(sw_reverb *r, const float *in, float *wet, int n);

#endif
