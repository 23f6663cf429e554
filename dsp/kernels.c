/* kernels.c — vectorized inner loops (see kernels.h for the contract).
 *
 * Built with -O3 -ffp-contract=fast (mk/core.mk) so that a*b+c becomes one FMA where the
 * clone has FMA; each clone is deterministic, and all callers share the same clone. */
#include "kernels.h"
#include "core.h"

#include <stdatomic.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* GCC only: clang 14 names its clones differently, so callers in other files would not
 * link; clang builds (the fuzzer) get the baseline version. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(SW_NO_CLONES)
#define SW_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SW_CLONES
#endif

/* exp(x) in float: x = k ln2 + r, |r| <= ln2/2, exp(r) by its degree-6 Taylor polynomial
 * (error ~1e-7 relative), 2^k put straight into the exponent bits. Branch-free so that
 * loops calling it vectorize. The clamp keeps 2^k a normal number and maps NaN to the
 * lower bound (comparisons with NaN are false). */
static inline float exp_inline(float x)
{
    x = x > -87.0f ? x : -87.0f;
    x = x < 88.0f ? x : 88.0f;
    const float shifter = 12582912.0f;             /* 1.5 * 2^23: adding it rounds to an integer */
    float k = x * 1.44269504088896341f + shifter;
    k -= shifter;
    float r = x - k * 0.693145751953125f;           /* ln2 split in a high part exact in float */
    r = r - k * 1.428606765330187e-06f;             /* ... and the rest */
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t ki = (int32_t)k;
    uint32_t bits = (uint32_t)(ki + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

float sw_expf(float x) { return exp_inline(x); }

/* ----------------------------------------------- hand-tiled kernels, per ISA --
 * kernels_simd.h is compiled once per instruction set; a table picked on first use
 * (cpuid via __builtin_cpu_supports: no allocation, no lock) routes the calls. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(SW_NO_CLONES)
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma,bmi,bmi2")
#define SW_VL 16
#define SW_SFX(f) f##_avx512
#include "kernels_simd.h"
#undef SW_VL
#undef SW_SFX
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma,bmi,bmi2")
#define SW_VL 8
#define SW_SFX(f) f##_avx2
#include "kernels_simd.h"
#undef SW_VL
#undef SW_SFX
#pragma GCC pop_options
#define SW_HAVE_X86_VARIANTS 1
#endif

#define SW_VL 4                   /* baseline: SSE2 on x86-64, 128-bit vectors elsewhere */
#define SW_SFX(f) f##_base
#include "kernels_simd.h"
#undef SW_VL
#undef SW_SFX

typedef struct {
    void (*matvec)(float *, const float *, size_t, size_t, const float *, const float *);
    void (*s4d_step)(float *, float *, const float *, const float *, const float *, size_t, size_t);
} kernel_table;

static const kernel_table table_base = {matvec_base, s4d_step_base};
#ifdef SW_HAVE_X86_VARIANTS
static const kernel_table table_avx2 = {matvec_avx2, s4d_step_avx2};
static const kernel_table table_avx512 = {matvec_avx512, s4d_step_avx512};
#endif

/* The widest supported set, or a narrower one named by STATEWAVE_KERNELS=avx2|base (used by
 * tests/run_core_isa.sh to run the test suite on every variant on one machine). */
static const kernel_table *pick_table(void)
{
#ifdef SW_HAVE_X86_VARIANTS
    const char *force = getenv("STATEWAVE_KERNELS");
    int cap = force && strcmp(force, "base") == 0 ? 0 : force && strcmp(force, "avx2") == 0 ? 1 : 2;
    __builtin_cpu_init();
    if (cap >= 2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw"))
        return &table_avx512;
    if (cap >= 1 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &table_avx2;
#endif
    return &table_base;
}


/* Every thread computes the same pointer, so a relaxed atomic is all the sync needed. Set by
 * sw_kernels_select at create time; K() on the audio thread then only loads it. */
static _Atomic(const kernel_table *) kernels;

static inline const kernel_table *K(void)
{
    const kernel_table *k = atomic_load_explicit(&kernels, memory_order_relaxed);
    if (!k) {
        k = pick_table();
        atomic_store_explicit(&kernels, k, memory_order_relaxed);
    }
    return k;
}

void sw_kernels_select(void)
{
    (void)K();
}

const char *sw_kernels_name(void)
{
    const kernel_table *k = K();
#ifdef SW_HAVE_X86_VARIANTS
    if (k == &table_avx512) return "avx512";
    if (k == &table_avx2) return "avx2";
#endif
    (void)k;
    return "base";
}

int sw_mat_pack(sw_mat *m, const float *w, size_t rows, size_t cols)
{
    sw_kernels_select();
    const size_t rows16 = (rows + 15) & ~(size_t)15;
    m->rows = rows;
    m->cols = cols;
    m->p = sw_calloc_aligned(rows16 * cols, sizeof(float));
    if (!m->p) return 0;
    for (size_t r0 = 0; r0 < rows; r0 += SW_PANEL) {
        const size_t h = rows - r0 < SW_PANEL ? rows - r0 : SW_PANEL;
        const size_t hp = (h + 15) & ~(size_t)15;
        float *panel = m->p + r0 * cols;
        for (size_t c = 0; c < cols; c++)
            for (size_t r = 0; r < h; r++) panel[c * hp + r] = w[(r0 + r) * cols + c];
    }
    return 1;
}

void sw_mat_free(sw_mat *m)
{
    sw_free(m->p);
    m->p = NULL;
}

void sw_matvec(float *y, const sw_mat *m, const float *x, const float *bias)
{
    K()->matvec(y, m->p, m->rows, m->cols, x, bias);
}

void sw_s4d_step(float *y, float *state, const float *w, const float *d, const float *u, size_t h, size_t n)
{
    K()->s4d_step(y, state, w, d, u, h, n);
}

static inline float sigmoid_inline(float x) { return 1.0f / (1.0f + exp_inline(-x)); }

/* log1p(z) for z in [0, 1]: log(1+z) = 2 atanh(s), s = z/(2+z) in [0, 1/3]; the odd series
 * to s^15 is accurate to ~1e-9 and keeps full relative accuracy for tiny z. */
static inline float log1p_unit(float z)
{
    float s = z / (2.0f + z);
    float s2 = s * s;
    float p = 1.0f / 15.0f;
    p = p * s2 + 1.0f / 13.0f;
    p = p * s2 + 1.0f / 11.0f;
    p = p * s2 + 1.0f / 9.0f;
    p = p * s2 + 1.0f / 7.0f;
    p = p * s2 + 1.0f / 5.0f;
    p = p * s2 + 1.0f / 3.0f;
    p = p * s2 + 1.0f;
    return 2.0f * s * p;
}

/* erf(x), Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7), odd extension. */
static inline float erf_inline(float x)
{
    float a = x < 0.0f ? -x : x;
    float t = 1.0f / (1.0f + 0.3275911f * a);
    float p = 1.061405429f;
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    float e = 1.0f - p * t * exp_inline(-a * a);
    return x < 0.0f ? -e : e;
}

SW_CLONES
void sw_cdiag(float *restrict h_re, float *restrict h_im, const float *restrict lam_re,
              const float *restrict lam_im, const float *restrict t_re, const float *restrict t_im,
              size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float hr = h_re[i], hi = h_im[i], lr = lam_re[i], li = lam_im[i];
        h_re[i] = lr * hr - li * hi + t_re[i];
        h_im[i] = lr * hi + li * hr + t_im[i];
    }
}

SW_CLONES
void sw_mamba_scan(float *restrict y, float *restrict hs, const float *restrict a,
                   const float *restrict dt, const float *restrict x, const float *restrict b,
                   const float *restrict c, const float *restrict d, size_t e, size_t n)
{
    memset(y, 0, e * sizeof *y);
    for (size_t m = 0; m < n; m++) {
        float *h = hs + m * e;
        const float *am = a + m * e;
        const float bm = b[m], cm = c[m];
        for (size_t k = 0; k < e; k++) {
            float da = exp_inline(dt[k] * am[k]);        /* Ā = exp(ΔA) */
            float hk = da * h[k] + (dt[k] * x[k]) * bm;  /* h = Ā h + Δ B x */
            h[k] = hk;
            y[k] += cm * hk;                             /* y = C h */
        }
    }
    for (size_t k = 0; k < e; k++) y[k] += d[k] * x[k];
}

SW_CLONES
void sw_vsilu(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = x[i] * sigmoid_inline(x[i]);
}

SW_CLONES
void sw_vsigmoid(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = sigmoid_inline(x[i]);
}

SW_CLONES
void sw_vtanh(float *y, const float *x, size_t n)
{
    /* tanh(x) = 2σ(2x) - 1; absolute error ~1e-7 */
    for (size_t i = 0; i < n; i++) y[i] = 2.0f * sigmoid_inline(2.0f * x[i]) - 1.0f;
}

SW_CLONES
void sw_vgelu(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erf_inline(x[i] * 0.70710678118654752f));
}

SW_CLONES
void sw_vrelu(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

SW_CLONES
void sw_vsoftplus(float *y, const float *x, size_t n)
{
    /* log1p(exp(v)) = max(v,0) + log1p(exp(-|v|)); the second term's argument is in (0,1]. */
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float a = v < 0.0f ? -v : v;
        float s = (v > 0.0f ? v : 0.0f) + log1p_unit(exp_inline(-a));
        y[i] = v > 20.0f ? v : s;
    }
}

SW_CLONES
void sw_vglu(float *y, const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = a[i] * sigmoid_inline(b[i]);
}

SW_CLONES
void sw_vmul_silu(float *restrict y, const float *restrict z, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = y[i] * (z[i] * sigmoid_inline(z[i]));
}

SW_CLONES
void sw_vfma(float *restrict y, const float *restrict a, const float *restrict b, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] += a[i] * b[i];
}

SW_CLONES
void sw_vadd(float *restrict y, const float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

SW_CLONES
void sw_vsanitize(float *restrict y, const float *restrict x, size_t n, float limit)
{
    /* branch-free so that it vectorizes: Inf/NaN have all exponent bits set */
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], sizeof u);
        float c = x[i] > limit ? limit : x[i];
        c = c < -limit ? -limit : c;
        y[i] = (u & 0x7f800000u) == 0x7f800000u ? 0.0f : c;
    }
}

SW_CLONES
int sw_all_finite(const float *x, size_t n)
{
    /* A float is Inf/NaN iff its exponent bits are all ones; OR-ing a flag is associative,
     * so this vectorizes without changing the answer. */
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], sizeof u);
        bad |= (u & 0x7f800000u) == 0x7f800000u;
    }
    return bad == 0;
}
