/* kernels.c — vectorized inner loops (see kernels.h for the contract).
 *
 * Built with -O3 -ffp-contract=fast (mk/core.mk) so that a*b+c becomes one FMA where the
 * clone has FMA; each clone is deterministic, and all callers share the same clone. */
#include "kernels.h"

#include <stdint.h>
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
void sw_matvec_t(float *restrict y, const float *restrict wt, const float *restrict x,
                 const float *restrict bias, size_t rows, size_t cols)
{
    if (bias) memcpy(y, bias, rows * sizeof *y);
    else memset(y, 0, rows * sizeof *y);
    size_t c = 0;
    /* Four columns per pass: y is loaded/stored once per four FMAs, W streams through. */
    for (; c + 4 <= cols; c += 4) {
        const float *w0 = wt + c * rows, *w1 = w0 + rows, *w2 = w1 + rows, *w3 = w2 + rows;
        const float x0 = x[c], x1 = x[c + 1], x2 = x[c + 2], x3 = x[c + 3];
        for (size_t r = 0; r < rows; r++) {
            float acc = y[r];
            acc += w0[r] * x0;
            acc += w1[r] * x1;
            acc += w2[r] * x2;
            acc += w3[r] * x3;
            y[r] = acc;
        }
    }
    for (; c < cols; c++) {
        const float *w0 = wt + c * rows;
        const float x0 = x[c];
        for (size_t r = 0; r < rows; r++) y[r] += w0[r] * x0;
    }
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
void sw_s4d_step(float *restrict y, float *restrict s_re, float *restrict s_im,
                 const float *restrict a_re, const float *restrict a_im,
                 const float *restrict c_re, const float *restrict c_im,
                 const float *restrict d, const float *restrict u, size_t h, size_t n)
{
    memset(y, 0, h * sizeof *y);
    for (size_t m = 0; m < n; m++) {
        float *sr = s_re + m * h, *si = s_im + m * h;
        const float *ar = a_re + m * h, *ai = a_im + m * h;
        const float *cr = c_re + m * h, *ci = c_im + m * h;
        for (size_t k = 0; k < h; k++) {
            float xr = sr[k], xi = si[k];
            float nr = ar[k] * xr - ai[k] * xi + u[k];  /* s = Ā s + u */
            float ni = ar[k] * xi + ai[k] * xr;
            sr[k] = nr;
            si[k] = ni;
            y[k] += cr[k] * nr - ci[k] * ni;            /* Re(C' s) */
        }
    }
    for (size_t k = 0; k < h; k++) y[k] = 2.0f * y[k] + d[k] * u[k];
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
