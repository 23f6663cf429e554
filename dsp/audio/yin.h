/* yin.h — f0 (YIN), loudness and the note tracker of the instrument's audio mode (internal).
 *
 * Exactly docs/INSTRUMENT.md "Features", with the details that document leaves open resolved as
 * train/instrument/features.py resolves them (its "RESOLVED:" comments), so C and Python agree
 * to float rounding:
 *  - tau_min = floor(sr/2000), tau_max = ceil(sr/50), W = ceil(sr/40), W_L = round(sr/50)
 *    (ties up), frame t ends at n_t = round(t sr / 250) (ties up), all in exact arithmetic;
 *  - d(tau) = e0 + e_tau - 2 r(tau), r by FFT correlation of size nfft = the power of two
 *    >= W + tau_max, d clamped at 0, d'(tau) = 1 where sum_{k<=tau} d(k) = 0;
 *  - the local-minimum walk stops at tau_max; argmin ties take the smallest tau; parabolic
 *    interpolation only below tau_max and for a non-flat parabola, offset kept if |delta| <= 1;
 *  - tracker: the legato counter looks at the held pitch voiced or not, and is reset by any
 *    note-on and whenever the gate is down; pitch and loudness columns are filled on every
 *    frame, the note columns (1..5) only after the first note-on.
 * The energy terms and the loudness are summed in double; the correlation is a float FFT
 * (FFTW single precision), within float rounding of the direct sum.
 *
 * Ownership: sw_yin owns its FFT buffers and plans (made under the FFTW planner lock).
 * sw_yin_run / sw_tracker_* are [RT]. */
#ifndef SW_YIN_H
#define SW_YIN_H

#include <stdint.h>
#include <fftw3.h>

#define SW_YIN_THRESHOLD 0.15
#define SW_YIN_VOICED_DPRIME 0.25
#define SW_YIN_VOICED_DB -60.0
#define SW_YIN_F0_DEFAULT 220.0

typedef struct {
    double sr;              /* Hz */
    int tau_min, tau_max;   /* lag range */
    int W;                  /* integration window */
    int W_L;                /* loudness window */
    int len;                /* W + tau_max: samples analysed per frame (>= W_L) */
    int nfft;               /* power of two >= len */
    float *a;               /* [nfft] sw_calloc_aligned: b[0..W) zero-padded */
    float *b;               /* [nfft] sw_calloc_aligned: b[0..len) zero-padded; inverse output */
    fftwf_complex *A, *B;   /* [nfft/2+1] sw_calloc_aligned: their spectra */
    fftwf_plan fwd, inv;    /* r2c a -> A (also b -> B by new-array execute), c2r B -> b */
    double *csum;           /* [len + 1] running sums of b[j]^2 */
    double *dp;             /* [tau_max + 1] d'(tau) */
} sw_yin;

/* 0 on success, -1 on bad rate (< 1000 or > 1e6) or allocation/planning failure (y left freed). */
int sw_yin_build(sw_yin *y, double sr);
void sw_yin_free(sw_yin *y);
/* Frame end n_t = round(t * sr / 250) (ties up). */
int64_t sw_yin_frame_end(double sr, int64_t t);
/* One analysis of buf[len] (b[j] = x[n - len + j], oldest first): returns tau_hat (the
 * interpolated period in samples, so f0 = sr / tau_hat) and d'(tau*) in *dmin. [RT] */
double sw_yin_run(sw_yin *y, const float *buf, double *dmin);
/* 10 log10(mean(x[0..n)^2) + 1e-10), the sum in double. [RT] */
double sw_loudness_db(const float *x, int n);

/* Note tracker + audio-mode feature row (one call per control frame). */
typedef struct {
    double f0;              /* held f0 (Hz): last voiced one, 220 before */
    int gate;               /* 0/1 */
    int run;                /* consecutive frames with |p - p_note| > 0.8 while the gate is up */
    double p_note;          /* pitch at the last note-on (semitones) */
    double vel;             /* velocity of the last note-on */
    int64_t t;              /* frames stepped so far */
    int64_t on_frame;       /* frame of the last note-on, -1 = none yet */
    int64_t off_frame;      /* frame where the gate last fell, -1 = none yet */
} sw_tracker;

void sw_tracker_reset(sw_tracker *k);
/* Frame analysis (voiced flag, tau_hat, loudness) -> held f0 update, tracker step and the 8
 * features of this frame (pitch shift in semitones added to the pitch column). Returns the
 * held f0 in Hz (before the shift). [RT] */
double sw_tracker_step(sw_tracker *k, double sr, double tau_hat, int voiced, double loud_db,
                       double shift, float feat[8]);

#endif
