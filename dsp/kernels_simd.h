/* kernels_simd.h — register-tiled kernels, written once with a native vector type and
 * included by kernels.c once per instruction set (internal; never include elsewhere).
 *
 * The includer defines:
 *   SW_VL        floats per vector register (16 AVX-512, 8 AVX2, 4 SSE)
 *   SW_SFX(f)    the name of function f for this instruction set (f##_avx512, ...)
 * and sets the matching `#pragma GCC target`. The vector type is a GCC vector extension
 * of exactly one register, so every accumulator below lives in a register.
 *
 * Summation order is fixed by the code (not by the compiler), so each instruction set
 * computes deterministic results, identical for a step and for that frame in a block. */

typedef float SW_SFX(vf) __attribute__((vector_size(SW_VL * 4)));
typedef float SW_SFX(vfu) __attribute__((vector_size(SW_VL * 4), aligned(4)));
#define VF SW_SFX(vf)
#define LD(p) (*(const SW_SFX(vfu) *)(p))
#define ST(p, v) (*(SW_SFX(vfu) *)(p) = (v))

/* One sub-tile of a panel: NV vectors of rows (NV·VL rows), columns split into P phases
 * (c ≡ p mod P) with their own accumulators so that ≥ 8 FMA chains are in flight; the
 * phases are added at the end, in order, then the bias. `panel` is [cols][hp]. */
static inline __attribute__((always_inline)) void
SW_SFX(mv_tile)(float *restrict y, const float *restrict panel, size_t hp, const float *restrict x,
                size_t cols, const float *restrict bias, size_t valid, const int NV, const int P)
{
    VF acc[8][8];
    for (int p = 0; p < P; p++)
        for (int v = 0; v < NV; v++) acc[p][v] = (VF){0};
    const float *w = panel;
    size_t c = 0;
    for (; c + (size_t)P <= cols; c += (size_t)P, w += (size_t)P * hp)
        for (int p = 0; p < P; p++) {
            const float xc = x[c + (size_t)p];
            for (int v = 0; v < NV; v++) acc[p][v] += LD(w + (size_t)p * hp + (size_t)v * SW_VL) * xc;
        }
    for (; c < cols; c++, w += hp) {
        const float xc = x[c];
        for (int v = 0; v < NV; v++) acc[0][v] += LD(w + (size_t)v * SW_VL) * xc;
    }
    for (int v = 0; v < NV; v++) {
        VF s = acc[0][v];
        for (int p = 1; p < P; p++) s += acc[p][v];
        size_t r = (size_t)v * SW_VL;
        if (r + SW_VL <= valid) {
            if (bias) s += LD(bias + r);
            ST(y + r, s);
        } else if (r < valid) {                   /* the padded end of the last panel */
            const size_t nk = (valid - r) & (SW_VL - 1);   /* < SW_VL here; the mask tells the compiler */
            for (size_t k = 0; k < nk; k++) y[r + k] = bias ? s[k] + bias[r + k] : s[k];
        }
    }
}

/* y[rows] = W x (+ bias) with W packed by sw_mat_pack (kernels.h). */
static void SW_SFX(matvec)(float *restrict y, const float *restrict packed, size_t rows, size_t cols,
                           const float *restrict x, const float *restrict bias)
{
    for (size_t r0 = 0; r0 < rows; r0 += SW_PANEL) {
        const size_t h = rows - r0 < SW_PANEL ? rows - r0 : SW_PANEL;   /* valid rows */
        const size_t hp = (h + 15) & ~(size_t)15;                      /* stored rows */
        const float *panel = packed + r0 * cols;
        for (size_t r = 0; r < hp; r += 8 * SW_VL) {
            const size_t nvec = (hp - r) / SW_VL < 8 ? (hp - r) / SW_VL : 8;
            const size_t valid = h - r;
            float *yy = y + r0 + r;
            const float *bb = bias ? bias + r0 + r : NULL;
            const float *pp = panel + r;
            switch (nvec) {   /* constant tile shapes, so the accumulators stay in registers */
            case 1: SW_SFX(mv_tile)(yy, pp, hp, x, cols, bb, valid, 1, 8); break;
            case 2: SW_SFX(mv_tile)(yy, pp, hp, x, cols, bb, valid, 2, 4); break;
            case 3: SW_SFX(mv_tile)(yy, pp, hp, x, cols, bb, valid, 3, 2); break;
            case 4: SW_SFX(mv_tile)(yy, pp, hp, x, cols, bb, valid, 4, 2); break;
            case 5: SW_SFX(mv_tile)(yy, pp, hp, x, cols, bb, valid, 5, 1); break;
            case 6: SW_SFX(mv_tile)(yy, pp, hp, x, cols, bb, valid, 6, 1); break;
            case 7: SW_SFX(mv_tile)(yy, pp, hp, x, cols, bb, valid, 7, 1); break;
            default: SW_SFX(mv_tile)(yy, pp, hp, x, cols, bb, valid, 8, 1); break;
            }
        }
    }
}

/* S4D step over channel tiles of 16 (layout in kernels.h). Per tile the modes are walked
 * in pairs with separate accumulators for even/odd modes and for the re/im products, so the
 * four FMA chains overlap; they are combined in a fixed order at the end. */
static void SW_SFX(s4d_step)(float *restrict y, float *restrict state, const float *restrict w,
                             const float *restrict d, const float *restrict u, size_t h, size_t n)
{
    enum { NV = 16 / SW_VL };
    for (size_t t0 = 0; t0 < h; t0 += 16) {
        const size_t valid = h - t0 < 16 ? h - t0 : 16;
        float ub[16] = {0};
        for (size_t k = 0; k < valid; k++) ub[k] = u[t0 + k];
        const float *wt = w + (t0 / 16) * n * 64;
        float *s = state + (t0 / 16) * n * 32;
        VF uu[NV], ar0[NV], ai0[NV], ar1[NV], ai1[NV];
        for (int v = 0; v < NV; v++) {
            uu[v] = LD(ub + v * SW_VL);
            ar0[v] = ai0[v] = ar1[v] = ai1[v] = (VF){0};
        }
        size_t m = 0;
        for (; m + 2 <= n; m += 2) {
            for (int v = 0; v < NV; v++) {
                const float *w0 = wt + m * 64 + v * SW_VL, *w1 = w0 + 64;
                float *s0 = s + m * 32 + v * SW_VL, *s1 = s0 + 32;
                VF xr = LD(s0), xi = LD(s0 + 16), a = LD(w0), b = LD(w0 + 16);
                VF nr = a * xr - b * xi + uu[v];        /* s = Ā s + u */
                VF ni = a * xi + b * xr;
                ST(s0, nr);
                ST(s0 + 16, ni);
                ar0[v] += LD(w0 + 32) * nr;             /* Re(C' s) = C'_re s_re − C'_im s_im */
                ai0[v] += LD(w0 + 48) * ni;
                xr = LD(s1), xi = LD(s1 + 16), a = LD(w1), b = LD(w1 + 16);
                nr = a * xr - b * xi + uu[v];
                ni = a * xi + b * xr;
                ST(s1, nr);
                ST(s1 + 16, ni);
                ar1[v] += LD(w1 + 32) * nr;
                ai1[v] += LD(w1 + 48) * ni;
            }
        }
        for (; m < n; m++)
            for (int v = 0; v < NV; v++) {
                const float *w0 = wt + m * 64 + v * SW_VL;
                float *s0 = s + m * 32 + v * SW_VL;
                VF xr = LD(s0), xi = LD(s0 + 16), a = LD(w0), b = LD(w0 + 16);
                VF nr = a * xr - b * xi + uu[v];
                VF ni = a * xi + b * xr;
                ST(s0, nr);
                ST(s0 + 16, ni);
                ar0[v] += LD(w0 + 32) * nr;
                ai0[v] += LD(w0 + 48) * ni;
            }
        float out[16];
        for (int v = 0; v < NV; v++) ST(out + v * SW_VL, (ar0[v] + ar1[v]) - (ai0[v] + ai1[v]));
        for (size_t k = 0; k < valid; k++) y[t0 + k] = 2.0f * out[k] + d[t0 + k] * ub[k];
    }
}

#undef VF
#undef LD
#undef ST
