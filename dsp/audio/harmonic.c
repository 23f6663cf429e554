/* harmonic.c — oscillator bank (see harmonic.h for the equations and why phasors are rebuilt
 * from a double phase at every sub-step).
 *
 * Cost: per sample and harmonic one multiply-add for the amplitude ramp, one into the
 * per-sample accumulator and the 4-multiply complex rotation, on 8 harmonics per vector
 * (GCC vector extension; an AVX2 clone where the CPU has it, SSE2 otherwise; no FMA contraction
 * in ISO C mode, so both clones give the same bits). The phasors
 * of a group of 8 harmonics stay in registers across the sub-step's samples; each sample's
 * 8 partial sums are added in lane order at the end (fixed order: deterministic). */
#include "harmonic.h"
#include "core.h"
#include "kernels.h"

#include <math.h>
#include <string.h>

typedef float v8f __attribute__((vector_size(32)));
typedef float v8fu __attribute__((vector_size(32), aligned(4)));

int sw_osc_build(sw_osc *o, int n_harmonics)
{
    memset(o, 0, sizeof *o);
    if (n_harmonics < 1) return -1;
    o->k = n_harmonics;
    o->kp = (n_harmonics + SW_OSC_LANES - 1) / SW_OSC_LANES * SW_OSC_LANES;
    o->zr = sw_calloc_aligned((size_t)o->kp, sizeof(float));
    o->zi = sw_calloc_aligned((size_t)o->kp, sizeof(float));
    o->rr = sw_calloc_aligned((size_t)o->kp, sizeof(float));
    o->ri = sw_calloc_aligned((size_t)o->kp, sizeof(float));
    sw_kernels_select(); /* here, not on the first render on the audio thread */
    if (!o->zr || !o->zi || !o->rr || !o->ri) {
        sw_osc_free(o);
        return -1;
    }
    sw_osc_reset(o);
    return 0;
}

void sw_osc_free(sw_osc *o)
{
    if (!o) return;
    sw_free(o->zr);
    sw_free(o->zi);
    sw_free(o->rr);
    sw_free(o->ri);
    memset(o, 0, sizeof *o);
}

void sw_osc_reset(sw_osc *o)
{
    o->phase = 0.0;
    for (int k = 0; k < o->kp; k++) {
        o->zr[k] = 1.0f;
        o->zi[k] = 0.0f;
        o->rr[k] = 1.0f;
        o->ri[k] = 0.0f;
    }
}

/* out[k] = e^{i (k+1) x} for k < n, by the recurrence e^{i(k+1)x} = e^{ikx} e^{ix} in double
 * (error grows like k * 1e-16: nothing at float precision for K <= 1024). */
static void powers(double x, int n, float *re, float *im)
{
    const double c1 = cos(x), s1 = sin(x);
    double c = c1, s = s1;
    for (int k = 0; k < n; k++) {
        re[k] = (float)c;
        im[k] = (float)s;
        const double nc = c * c1 - s * s1;
        s = c * s1 + s * c1;
        c = nc;
    }
}

void sw_osc_substep(sw_osc *o, double w, int len, int kk)
{
    kk = (kk + SW_OSC_LANES - 1) / SW_OSC_LANES * SW_OSC_LANES;
    if (kk > o->kp) kk = o->kp;
    powers(o->phase, kk, o->zr, o->zi);
    powers(w, kk, o->rr, o->ri);
    double p = o->phase + (double)len * w;
    const double twopi = 2.0 * M_PI;
    if (p >= twopi || p < 0.0) p = fmod(p, twopi);
    if (p < 0.0) p += twopi;
    o->phase = p;
}

/* The kernel's body, compiled into one copy per instruction set below (same source, same
 * order of operations). */
static inline __attribute__((always_inline)) void render_body(float *restrict zr_, float *restrict zi_, const float *restrict rr_,
                          const float *restrict ri_, const float *restrict a0_, const float *restrict da_,
                          const float *restrict al, int n, int kk, float *restrict out)
{
    v8f acc[SW_OSC_SUBSTEP];
    for (int i = 0; i < n; i++) acc[i] = (v8f){0};
    for (int g = 0; g < kk; g += SW_OSC_LANES) {
        v8f zr = *(const v8fu *)(zr_ + g), zi = *(const v8fu *)(zi_ + g);
        const v8f rr = *(const v8fu *)(rr_ + g), ri = *(const v8fu *)(ri_ + g);
        const v8f a0 = *(const v8fu *)(a0_ + g), da = *(const v8fu *)(da_ + g);
        for (int i = 0; i < n; i++) {
            const v8f a = a0 + da * al[i];
            acc[i] += a * zi;
            const v8f nr = zr * rr - zi * ri;
            zi = zr * ri + zi * rr;
            zr = nr;
        }
        *(v8fu *)(zr_ + g) = zr;
        *(v8fu *)(zi_ + g) = zi;
    }
    for (int i = 0; i < n; i++) {
        const v8f v = acc[i];
        out[i] += ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
    }
}

#define RENDER_ARGS                                                                           \
    float *restrict zr_, float *restrict zi_, const float *restrict rr_, const float *restrict ri_, \
        const float *restrict a0_, const float *restrict da_, const float *restrict al, int n, int kk, \
        float *restrict out
static void render_base(RENDER_ARGS) { render_body(zr_, zi_, rr_, ri_, a0_, da_, al, n, kk, out); }
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(SW_NO_CLONES)
__attribute__((target("avx2"))) static void render_avx2(RENDER_ARGS)
{
    render_body(zr_, zi_, rr_, ri_, a0_, da_, al, n, kk, out);
}
#else
#define render_avx2 render_base
#endif

/* The copy that matches the kernel set of dsp/nn/kernels.c (chosen at create time, so
 * STATEWAVE_KERNELS=base runs the baseline copy here too). */
static void render_kernel(RENDER_ARGS)
{
    if (sw_kernels_wide())
        render_avx2(zr_, zi_, rr_, ri_, a0_, da_, al, n, kk, out);
    else
        render_base(zr_, zi_, rr_, ri_, a0_, da_, al, n, kk, out);
}

void sw_osc_render(sw_osc *o, const float *a0, const float *da, const float *al, int n, int kvalid,
                   float *out)
{
    if (n <= 0 || kvalid <= 0) return;
    if (n > SW_OSC_SUBSTEP) n = SW_OSC_SUBSTEP;
    if (kvalid > o->k) kvalid = o->k;
    const int kfull = kvalid / SW_OSC_LANES * SW_OSC_LANES, rem = kvalid - kfull;
    if (kfull) render_kernel(o->zr, o->zi, o->rr, o->ri, a0, da, al, n, kfull, out);
    if (rem) {
        /* the last, partial group: harmonics past kvalid get zero amplitude */
        float a0m[SW_OSC_LANES] = {0}, dam[SW_OSC_LANES] = {0};
        for (int j = 0; j < rem; j++) {
            a0m[j] = a0[kfull + j];
            dam[j] = da[kfull + j];
        }
        render_kernel(o->zr + kfull, o->zi + kfull, o->rr + kfull, o->ri + kfull, a0m, dam, al, n,
                      SW_OSC_LANES, out);
    }
}
