/* kernels_elem.h — the elementwise and scan kernels, included once per instruction set by
 * kernels.c (like kernels_simd.h) with SW_SFX naming the copy. Plain loops that the
 * compiler vectorizes for that copy's target; no reduction is left to the compiler, so every
 * copy computes the same function, element by element, and a narrower set differs from a
 * wider one only by FMA contraction. Not a public header: no include guard on purpose. */

/* exp(x) in float: x = k ln2 + r, |r| <= ln2/2, exp(r) by its degree-6 Taylor polynomial
 * (error ~1e-7 relative), 2^k put straight into the exponent bits. Branch-free so that
 * loops calling it vectorize. The clamp keeps 2^k a normal number and maps NaN to the
 * lower bound (comparisons with NaN are false). */
static inline float SW_SFX(exp_inline)(float x)
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

static inline float SW_SFX(sigmoid_inline)(float x) { return 1.0f / (1.0f + SW_SFX(exp_inline)(-x)); }

/* log1p(z) for z in [0, 1]: log(1+z) = 2 atanh(s), s = z/(2+z) in [0, 1/3]; the odd series
 * to s^15 is accurate to ~1e-9 and keeps full relative accuracy for tiny z. */
static inline float SW_SFX(log1p_unit)(float z)
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
static inline float SW_SFX(erf_inline)(float x)
{
    float a = x < 0.0f ? -x : x;
    float t = 1.0f / (1.0f + 0.3275911f * a);
    float p = 1.061405429f;
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    float e = 1.0f - p * t * SW_SFX(exp_inline)(-a * a);
    return x < 0.0f ? -e : e;
}

static void SW_SFX(cdiag)(float *restrict h_re, float *restrict h_im, const float *restrict lam_re,
              const float *restrict lam_im, const float *restrict t_re, const float *restrict t_im,
              size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float hr = h_re[i], hi = h_im[i], lr = lam_re[i], li = lam_im[i];
        h_re[i] = lr * hr - li * hi + t_re[i];
        h_im[i] = lr * hi + li * hr + t_im[i];
    }
}

static void SW_SFX(mamba_scan)(float *restrict y, float *restrict hs, const float *restrict a,
                   const float *restrict dt, const float *restrict x, const float *restrict b,
                   const float *restrict c, const float *restrict d, size_t e, size_t n)
{
    memset(y, 0, e * sizeof *y);
    for (size_t m = 0; m < n; m++) {
        float *h = hs + m * e;
        const float *am = a + m * e;
        const float bm = b[m], cm = c[m];
        for (size_t k = 0; k < e; k++) {
            float da = SW_SFX(exp_inline)(dt[k] * am[k]);        /* Ā = exp(ΔA) */
            float hk = da * h[k] + (dt[k] * x[k]) * bm;  /* h = Ā h + Δ B x */
            h[k] = hk;
            y[k] += cm * hk;                             /* y = C h */
        }
    }
    for (size_t k = 0; k < e; k++) y[k] += d[k] * x[k];
}

static void SW_SFX(vsilu)(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = x[i] * SW_SFX(sigmoid_inline)(x[i]);
}

static void SW_SFX(vsigmoid)(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = SW_SFX(sigmoid_inline)(x[i]);
}

static void SW_SFX(vtanh)(float *y, const float *x, size_t n)
{
    /* tanh(x) = 2σ(2x) - 1; absolute error ~1e-7 */
    for (size_t i = 0; i < n; i++) y[i] = 2.0f * SW_SFX(sigmoid_inline)(2.0f * x[i]) - 1.0f;
}

static void SW_SFX(vgelu)(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + SW_SFX(erf_inline)(x[i] * 0.70710678118654752f));
}

static void SW_SFX(vrelu)(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

static void SW_SFX(vsoftplus)(float *y, const float *x, size_t n)
{
    /* log1p(exp(v)) = max(v,0) + log1p(exp(-|v|)); the second term's argument is in (0,1]. */
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float a = v < 0.0f ? -v : v;
        float s = (v > 0.0f ? v : 0.0f) + SW_SFX(log1p_unit)(SW_SFX(exp_inline)(-a));
        y[i] = v > 20.0f ? v : s;
    }
}

static void SW_SFX(vglu)(float *y, const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = a[i] * SW_SFX(sigmoid_inline)(b[i]);
}

static void SW_SFX(vmul_silu)(float *restrict y, const float *restrict z, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = y[i] * (z[i] * SW_SFX(sigmoid_inline)(z[i]));
}

static void SW_SFX(vfma)(float *restrict y, const float *restrict a, const float *restrict b, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] += a[i] * b[i];
}

static void SW_SFX(vadd)(float *restrict y, const float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

static void SW_SFX(vsanitize)(float *restrict y, const float *restrict x, size_t n, float limit)
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

static int SW_SFX(all_finite)(const float *x, size_t n)
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

/* RMSNorm / LayerNorm of one frame (norm.c): statistics in double, in 16 interleaved partial
 * sums combined by a fixed pairwise tree, so the compiler keeps them in vectors without
 * reassociating anything (4 serial chains made the norms 5 % of the generator's step). */
static inline double SW_SFX(sum16)(const double *a)
{
    double t[8];
    for (int k = 0; k < 8; k++) t[k] = a[k] + a[k + 8];
    for (int k = 0; k < 4; k++) t[k] = t[k] + t[k + 4];
    return (t[0] + t[2]) + (t[1] + t[3]);
}

static void SW_SFX(vnorm)(float *y, const float *u, const float *restrict w,
                          const float *restrict b, size_t d, float eps, int layer)
{
    double acc[16] = {0};
    size_t i;
    double mean = 0.0;
    if (layer) {
        for (i = 0; i + 16 <= d; i += 16)
            for (int k = 0; k < 16; k++) acc[k] += (double)u[i + k];
        for (; i < d; i++) acc[0] += (double)u[i];
        mean = SW_SFX(sum16)(acc) / (double)d;
        for (int k = 0; k < 16; k++) acc[k] = 0.0;
    }
    for (i = 0; i + 16 <= d; i += 16)
        for (int k = 0; k < 16; k++) {
            const double c = (double)u[i + k] - mean;
            acc[k] += c * c;
        }
    for (; i < d; i++) acc[0] += ((double)u[i] - mean) * ((double)u[i] - mean);
    const float inv = (float)(1.0 / sqrt(SW_SFX(sum16)(acc) / (double)d + (double)eps));
    const float mu = (float)mean;
    if (layer)
        for (i = 0; i < d; i++) y[i] = (u[i] - mu) * inv * w[i] + b[i];
    else
        for (i = 0; i < d; i++) y[i] = u[i] * inv * w[i];
}

/* y[i] = exp((x[i] - sub) * scale) for finite x[i], 0 otherwise (exp_inline: ~1e-7 relative);
 * returns Σ y in double, in 16 partial sums combined by a fixed tree. The sampler's softmax. */
static double SW_SFX(vexp_sum)(float *y, const float *x, size_t n, float sub, float scale)
{
    double acc[16] = {0};
    size_t i = 0;
    for (; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], sizeof u);
        const float e = SW_SFX(exp_inline)((x[i] - sub) * scale);
        y[i] = (u & 0x7f800000u) == 0x7f800000u ? 0.0f : e;
    }
    for (i = 0; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) acc[k] += (double)y[i + k];
    for (; i < n; i++) acc[0] += (double)y[i];
    return SW_SFX(sum16)(acc);
}

/* log10(x) for finite x > 0 (normal): x = 2^e m with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(s),
 * s = (m - 1)/(m + 1) in [-0.172, 0.172], the odd series to s^11 (truncation < 3e-10), so the
 * result is within ~2 float ulps of log10 over the denoiser's range; branch-free so it vectorizes. */
static inline float SW_SFX(log10_bits)(uint32_t u)   /* u: the bits of a positive normal float */
{
    /* bias the split at sqrt(1/2): m in [0.7071, 1.4142) */
    const uint32_t t = u - 0x3f3504f3u;
    const int32_t e = (int32_t)t >> 23;
    const uint32_t mb = (t & 0x007fffffu) + 0x3f3504f3u;
    float m;
    memcpy(&m, &mb, sizeof m);
    const float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
    float p = 1.0f / 11.0f;
    p = p * s2 + 1.0f / 9.0f;
    p = p * s2 + 1.0f / 7.0f;
    p = p * s2 + 1.0f / 5.0f;
    p = p * s2 + 1.0f / 3.0f;
    p = p * s2 + 1.0f;
    const float ln_m = 2.0f * s * p;
    return (float)e * 0.30102999566398120f + ln_m * 0.43429448190325183f;
}

/* The denoiser's features: y[j] = clamp((log10(x[j] + eps) + off) * scale, -lim, lim), NaN -> -lim
 * (x[j] >= 0, the band powers; eps > 0). */
static void SW_SFX(vlogfeat)(float *restrict y, const float *restrict x, size_t n, float eps, float off,
                             float scale, float lim)
{
    for (size_t i = 0; i < n; i++) {
        const float v0 = x[i] + eps;
        uint32_t b;
        memcpy(&b, &v0, sizeof b);                /* v0 > 0 unless NaN: its bits order it */
        const uint32_t a = b & 0x7fffffffu;
        uint32_t c = a < 0x00800000u ? 0x00800000u : a;   /* smallest normal ... */
        c = c > 0x7f7fffffu ? 0x7f7fffffu : c;             /* ... largest finite */
        float f = (SW_SFX(log10_bits)(c) + off) * scale;
        f = f > -lim ? f : -lim;
        f = f < lim ? f : lim;
        f = a == 0x7f800000u ? lim : f;           /* +Inf -> lim */
        y[i] = a > 0x7f800000u ? -lim : f;        /* NaN -> -lim */
    }
}
