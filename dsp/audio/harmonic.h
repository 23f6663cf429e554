/* harmonic.h — phase-continuous harmonic oscillator bank of one voice (internal, dsp/engines/synth.c).
 *
 * y[n] = sum_k a_k[n] sin(phi_k[n]),  phi_k[0] = 0,  phi_k[n+1] = phi_k[n] + k w[n]   (k = 1..K)
 * with w = 2 pi f0 / sr (docs/INSTRUMENT.md "Harmonic part"). The caller cuts time into sub-steps
 * of at most SW_OSC_SUBSTEP samples with a constant w each (the mean of its per-sample w, so a
 * linear f0 ramp integrates exactly at every sub-step boundary). At each sub-step start the
 * phasors are rebuilt from one double-precision phase accumulator (z_k = e^{i k phi}, by a
 * complex recurrence in double), so the float phasors never drift in phase or magnitude: that is
 * the "renormalisation"; inside the sub-step each harmonic is rotated by its own r_k = e^{i k w}
 * once per sample (float, 8 harmonics per vector).
 *
 * Amplitudes are a_k[n] = a0_k + da_k * al[n] (the caller's linear ramp, al[] given per sample),
 * evaluated per sample, not accumulated, so the output does not depend on how a sub-step is cut
 * into render calls (block-split invariance of the synth). Summation order is fixed by the code.
 *
 * Ownership: the bank owns its phasor arrays (sw_alloc_aligned). Build/free allocate; everything
 * else is [RT]. */
#ifndef SW_HARMONIC_H
#define SW_HARMONIC_H

#define SW_OSC_SUBSTEP 32   /* samples: the longest stretch rendered with one f0 */
#define SW_OSC_LANES 8      /* harmonics per vector; arrays are padded to a multiple */

typedef struct {
    int k;          /* K harmonics */
    int kp;         /* K rounded up to SW_OSC_LANES: length of every array below */
    float *zr, *zi; /* [kp] phasor e^{i phi_k} at the next sample to render */
    float *rr, *ri; /* [kp] per-sample rotation e^{i k w} of the current sub-step */
    double phase;   /* phi_1 at the start of the next sub-step, in [0, 2 pi) */
} sw_osc;

/* 0 on success, -1 on allocation failure (o left freed). */
int sw_osc_build(sw_osc *o, int n_harmonics);
void sw_osc_free(sw_osc *o);
/* Phase 0 (the voice's first sample). [RT] */
void sw_osc_reset(sw_osc *o);
/* Starts a sub-step of `len` (1..SW_OSC_SUBSTEP) samples at w rad/sample for harmonics 1..kk
 * (at least; rounded up to SW_OSC_LANES): phasors from the phase accumulator, rotations from w;
 * the accumulator moves on by len*w. [RT] */
void sw_osc_substep(sw_osc *o, double w, int len, int kk);
/* Renders n (<= SW_OSC_SUBSTEP, within the current sub-step) samples of harmonics 1..kvalid
 * (kvalid <= the sub-step's kk; any count, the harmonics after it are silent):
 * out[i] += sum_k (a0[k] + da[k] al[i]) Im z_k, then rotates the phasors. a0, da: [kp]. [RT] */
void sw_osc_render(sw_osc *o, const float *a0, const float *da, const float *al, int n, int kvalid,
                   float *out);

#endif
