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
    SWI_FREE_EACH(o->zr, o->zi, o->rr, o->ri);
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

/* out[k] = e^{i (k+1) x} for k < n (n is a multiple of SW_OSC_LANES), in double: the first four
 * by e^{i(k+1)x} = e^{ikx} e^{ix}, then four interleaved chains e^{i(k+4)x} = e^{ikx} e^{i4x}, so
 * that four complex multiplies are in flight instead of one serial chain (it was a third of the
 * oscillator bank's time). The four chains are the four lanes of one vector of doubles (the
 * same operations per lane as four scalar chains, no contraction: the same bits in every
 * copy). Error grows like k/4 * 1e-16: nothing at float precision for K <= 1024. */
typedef double v4d __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
typedef float v4fu __attribute__((vector_size(16), aligned(4)));
static inline __attribute__((always_inline)) void powers_body(double x, int n, float *re, float *im)
{
    double c[4], s[4];
    c[0] = cos(x);
    s[0] = sin(x);
    for (int j = 1; j < 4; j++) {
        c[j] = c[j - 1] * c[0] - s[j - 1] * s[0];
        s[j] = c[j - 1] * s[0] + s[j - 1] * c[0];
    }
    const v4d c4 = {c[3], c[3], c[3], c[3]}, s4 = {s[3], s[3], s[3], s[3]};   /* e^{i4x} */
    v4d cv = {c[0], c[1], c[2], c[3]}, sv = {s[0], s[1], s[2], s[3]};
    for (int k = 0; k < n; k += 4) {
        *(v4fu *)(re + k) = __builtin_convertvector(cv, v4f);
        *(v4fu *)(im + k) = __builtin_convertvector(sv, v4f);
        const v4d nc = cv * c4 - sv * s4;
        sv = cv * s4 + sv * c4;
        cv = nc;
    }
}
static void powers_base(double x, int n, float *re, float *im) { powers_body(x, n, re, im); }
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(SW_NO_CLONES)
__attribute__((target("avx2"))) static void powers_avx2(double x, int n, float *re, float *im)
{
    powers_body(x, n, re, im);
}
#else
#define powers_avx2 powers_base
#endif
static void powers(double x, int n, float *re, float *im)
{
    if (sw_kernels_wide()) powers_avx2(x, n, re, im);
    else powers_base(x, n, re, im);
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
    int g = 0;
    /* Two groups at a time: each group's rotation is a serial chain (a multiply then an add per
     * sample), so one group alone leaves the units idle for most of that latency. The operations
     * and their order per group and per acc[i] (group g before g + 8) are those of the loop
     * below, so the result is the same bits. */
    for (; g + 2 * SW_OSC_LANES <= kk; g += 2 * SW_OSC_LANES) {
        const int h = g + SW_OSC_LANES;
        v8f zr = *(const v8fu *)(zr_ + g), zi = *(const v8fu *)(zi_ + g);
        v8f zr2 = *(const v8fu *)(zr_ + h), zi2 = *(const v8fu *)(zi_ + h);
        const v8f rr = *(const v8fu *)(rr_ + g), ri = *(const v8fu *)(ri_ + g);
        const v8f rr2 = *(const v8fu *)(rr_ + h), ri2 = *(const v8fu *)(ri_ + h);
        const v8f a0 = *(const v8fu *)(a0_ + g), da = *(const v8fu *)(da_ + g);
        const v8f a02 = *(const v8fu *)(a0_ + h), da2 = *(const v8fu *)(da_ + h);
        for (int i = 0; i < n; i++) {
            const v8f a = a0 + da * al[i], a2 = a02 + da2 * al[i];
            acc[i] += a * zi;
            acc[i] += a2 * zi2;
            const v8f nr = zr * rr - zi * ri, nr2 = zr2 * rr2 - zi2 * ri2;
            zi = zr * ri + zi * rr;
            zi2 = zr2 * ri2 + zi2 * rr2;
            zr = nr;
            zr2 = nr2;
        }
        *(v8fu *)(zr_ + g) = zr;
        *(v8fu *)(zi_ + g) = zi;
        *(v8fu *)(zr_ + h) = zr2;
        *(v8fu *)(zi_ + h) = zi2;
    }
    for (; g < kk; g += SW_OSC_LANES) {
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
