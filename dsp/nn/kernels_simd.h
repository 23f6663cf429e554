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

/* The phase count P that matvec's tile of `nvec` vectors uses (the switch above): a row's
 * result depends only on its P (phase accumulators, then their sum in order, then the bias),
 * not on which other rows share its registers, so the batched product below may tile rows
 * differently and still give every column exactly matvec's floats. */
static inline int SW_SFX(mv_phases)(size_t nvec)
{
    static const int P[9] = {8, 8, 4, 2, 2, 1, 1, 1, 1};
    return P[nvec < 8 ? nvec : 8];
}

/* NB columns x NV row vectors of one panel, P phases: acc[b][p][v] is column b's phase p of row
 * vector v, the same chain as in mv_tile; each weight vector loaded serves NB columns. */
static inline __attribute__((always_inline)) void
SW_SFX(mm_tile)(float *restrict y, size_t ldy, const float *restrict panel, size_t hp, const float *restrict x,
                size_t ldx, size_t cols, const float *restrict bias, size_t valid, const int NV, const int P,
                const int NB)
{
    VF acc[4][8][4];
    for (int b = 0; b < NB; b++)
        for (int p = 0; p < P; p++)
            for (int v = 0; v < NV; v++) acc[b][p][v] = (VF){0};
    const float *w = panel;
    size_t c = 0;
    for (; c + (size_t)P <= cols; c += (size_t)P, w += (size_t)P * hp)
        for (int p = 0; p < P; p++) {
            VF wv[4];
            for (int v = 0; v < NV; v++) wv[v] = LD(w + (size_t)p * hp + (size_t)v * SW_VL);
            for (int b = 0; b < NB; b++) {
                const float xc = x[(size_t)b * ldx + c + (size_t)p];
                for (int v = 0; v < NV; v++) acc[b][p][v] += wv[v] * xc;
            }
        }
    for (; c < cols; c++, w += hp) {
        VF wv[4];
        for (int v = 0; v < NV; v++) wv[v] = LD(w + (size_t)v * SW_VL);
        for (int b = 0; b < NB; b++) {
            const float xc = x[(size_t)b * ldx + c];
            for (int v = 0; v < NV; v++) acc[b][0][v] += wv[v] * xc;
        }
    }
    for (int b = 0; b < NB; b++)
        for (int v = 0; v < NV; v++) {
            VF s = acc[b][0][v];
            for (int p = 1; p < P; p++) s += acc[b][p][v];
            size_t r = (size_t)v * SW_VL;
            float *yb = y + (size_t)b * ldy;
            if (r + SW_VL <= valid) {
                if (bias) s += LD(bias + r);
                ST(yb + r, s);
            } else if (r < valid) {
                const size_t nk = (valid - r) & (SW_VL - 1);
                for (size_t k = 0; k < nk; k++) yb[r + k] = bias ? s[k] + bias[r + k] : s[k];
            }
        }
}

/* Accumulator registers the batched tiles may hold: 32 vector registers with AVX-512, 16
 * otherwise; the rest carry the weights and the broadcast inputs. */
#define SW_MM_ACC (SW_VL == 16 ? 16 : 8)

/* One row-vector group of NV vectors at phase count P over all nb columns, in column groups
 * of NB = SW_MM_ACC / (NV P) (at least 1), the last group narrower. */
static inline __attribute__((always_inline)) void
SW_SFX(mm_group)(float *restrict y, size_t ldy, const float *restrict panel, size_t hp, const float *restrict x,
                 size_t ldx, size_t cols, const float *restrict bias, size_t valid, size_t nb, const int NV,
                 const int P)
{
    const int NB0 = SW_MM_ACC / (NV * P) < 1 ? 1 : SW_MM_ACC / (NV * P) > 4 ? 4 : SW_MM_ACC / (NV * P);
    size_t b = 0;
    for (; b + (size_t)NB0 <= nb; b += (size_t)NB0)
        SW_SFX(mm_tile)(y + b * ldy, ldy, panel, hp, x + b * ldx, ldx, cols, bias, valid, NV, P, NB0);
    switch (nb - b) {   /* fewer than NB0 columns left */
    case 3: SW_SFX(mm_tile)(y + b * ldy, ldy, panel, hp, x + b * ldx, ldx, cols, bias, valid, NV, P, 3); break;
    case 2: SW_SFX(mm_tile)(y + b * ldy, ldy, panel, hp, x + b * ldx, ldx, cols, bias, valid, NV, P, 2); break;
    case 1: SW_SFX(mm_tile)(y + b * ldy, ldy, panel, hp, x + b * ldx, ldx, cols, bias, valid, NV, P, 1); break;
    default: break;
    }
}

/* Y = W X (+ bias) for nb columns (column b: x + b ldx -> y + b ldy), each column bit-identical
 * to matvec on it: W is streamed once per group of columns instead of once per column, so the
 * product is bound by the FMA units rather than by the cache the weights come from. */
static void SW_SFX(matmat)(float *restrict y, size_t ldy, const float *restrict packed, size_t rows, size_t cols,
                           const float *restrict x, size_t ldx, const float *restrict bias, size_t nb)
{
    for (size_t r0 = 0; r0 < rows; r0 += SW_PANEL) {
        const size_t h = rows - r0 < SW_PANEL ? rows - r0 : SW_PANEL;
        const size_t hp = (h + 15) & ~(size_t)15;
        const float *panel = packed + r0 * cols;
        for (size_t r = 0; r < hp; r += 8 * SW_VL) {
            const size_t nvec = (hp - r) / SW_VL < 8 ? (hp - r) / SW_VL : 8;
            const int P = SW_SFX(mv_phases)(nvec);
            /* this matvec tile's rows, re-tiled by nv vectors at its P */
            size_t v = 0;
            while (v < nvec) {
                const size_t left = nvec - v, rr = r + v * SW_VL;
                const int nv = P >= 4 ? 1 : P == 2 ? (left >= 2 ? 2 : 1)
                             : (SW_VL == 16 && left >= 4) ? 4 : left >= 2 ? 2 : 1;
                if (h > rr) {   /* else only padding */
                    const size_t valid = h - rr;
                    float *yy = y + r0 + rr;
                    const float *bb = bias ? bias + r0 + rr : NULL;
                    const float *pp = panel + rr;
                    if (P == 8) SW_SFX(mm_group)(yy, ldy, pp, hp, x, ldx, cols, bb, valid, nb, 1, 8);
                    else if (P == 4) SW_SFX(mm_group)(yy, ldy, pp, hp, x, ldx, cols, bb, valid, nb, 1, 4);
                    else if (P == 2 && nv == 2) SW_SFX(mm_group)(yy, ldy, pp, hp, x, ldx, cols, bb, valid, nb, 2, 2);
                    else if (P == 2) SW_SFX(mm_group)(yy, ldy, pp, hp, x, ldx, cols, bb, valid, nb, 1, 2);
                    else if (nv == 4) SW_SFX(mm_group)(yy, ldy, pp, hp, x, ldx, cols, bb, valid, nb, 4, 1);
                    else if (nv == 2) SW_SFX(mm_group)(yy, ldy, pp, hp, x, ldx, cols, bb, valid, nb, 2, 1);
                    else SW_SFX(mm_group)(yy, ldy, pp, hp, x, ldx, cols, bb, valid, nb, 1, 1);
                }
                v += (size_t)nv;
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

/* S4D over `frames` consecutive frames of one stream (u, y: [frames][h]), bit-identical to
 * s4d_step frame by frame: per lane the same operations in the same order. The loops are
 * turned inside out: a mode pair's weights and states stay in registers while the frames go
 * by, and each frame's four partial sums wait in a small array (L1), so the weights and the
 * state are read once per SW_S4D_SEQ frames instead of once per frame. */
#ifndef SW_S4D_SEQ
#define SW_S4D_SEQ 32
#endif
static void SW_SFX(s4d_seq)(float *restrict y, float *restrict state, const float *restrict w,
                            const float *restrict d, const float *restrict u, size_t h, size_t n, size_t frames)
{
    enum { NV = 16 / SW_VL };
    float ub[SW_S4D_SEQ][16];
    float acc[SW_S4D_SEQ][4][16];      /* [frame][ar0, ai0, ar1, ai1][lane] */
    for (size_t f0 = 0; f0 < frames; f0 += SW_S4D_SEQ) {
        const size_t T = frames - f0 < SW_S4D_SEQ ? frames - f0 : SW_S4D_SEQ;
        const float *uf = u + f0 * h;
        float *yf = y + f0 * h;
        for (size_t t0 = 0; t0 < h; t0 += 16) {
            const size_t valid = h - t0 < 16 ? h - t0 : 16;
            for (size_t t = 0; t < T; t++) {
                for (size_t k = 0; k < 16; k++) ub[t][k] = k < valid ? uf[t * h + t0 + k] : 0.0f;
                for (int c = 0; c < 4; c++)
                    for (size_t k = 0; k < 16; k++) acc[t][c][k] = 0.0f;
            }
            const float *wt = w + (t0 / 16) * n * 64;
            float *s = state + (t0 / 16) * n * 32;
            size_t m = 0;
            for (; m + 2 <= n; m += 2)
                for (int v = 0; v < NV; v++) {
                    const float *w0 = wt + m * 64 + v * SW_VL, *w1 = w0 + 64;
                    float *s0 = s + m * 32 + v * SW_VL, *s1 = s0 + 32;
                    const VF a0 = LD(w0), b0 = LD(w0 + 16), cr0 = LD(w0 + 32), ci0 = LD(w0 + 48);
                    const VF a1 = LD(w1), b1 = LD(w1 + 16), cr1 = LD(w1 + 32), ci1 = LD(w1 + 48);
                    VF xr0 = LD(s0), xi0 = LD(s0 + 16), xr1 = LD(s1), xi1 = LD(s1 + 16);
                    for (size_t t = 0; t < T; t++) {
                        const VF uu = LD(ub[t] + v * SW_VL);
                        VF nr = a0 * xr0 - b0 * xi0 + uu;        /* s = Ā s + u */
                        VF ni = a0 * xi0 + b0 * xr0;
                        xr0 = nr;
                        xi0 = ni;
                        VF ar = LD(acc[t][0] + v * SW_VL), ai = LD(acc[t][1] + v * SW_VL);
                        ar += cr0 * nr;
                        ai += ci0 * ni;
                        ST(acc[t][0] + v * SW_VL, ar);
                        ST(acc[t][1] + v * SW_VL, ai);
                        nr = a1 * xr1 - b1 * xi1 + uu;
                        ni = a1 * xi1 + b1 * xr1;
                        xr1 = nr;
                        xi1 = ni;
                        ar = LD(acc[t][2] + v * SW_VL);
                        ai = LD(acc[t][3] + v * SW_VL);
                        ar += cr1 * nr;
                        ai += ci1 * ni;
                        ST(acc[t][2] + v * SW_VL, ar);
                        ST(acc[t][3] + v * SW_VL, ai);
                    }
                    ST(s0, xr0);
                    ST(s0 + 16, xi0);
                    ST(s1, xr1);
                    ST(s1 + 16, xi1);
                }
            for (; m < n; m++)
                for (int v = 0; v < NV; v++) {
                    const float *w0 = wt + m * 64 + v * SW_VL;
                    float *s0 = s + m * 32 + v * SW_VL;
                    const VF a0 = LD(w0), b0 = LD(w0 + 16), cr0 = LD(w0 + 32), ci0 = LD(w0 + 48);
                    VF xr0 = LD(s0), xi0 = LD(s0 + 16);
                    for (size_t t = 0; t < T; t++) {
                        const VF uu = LD(ub[t] + v * SW_VL);
                        VF nr = a0 * xr0 - b0 * xi0 + uu;
                        VF ni = a0 * xi0 + b0 * xr0;
                        xr0 = nr;
                        xi0 = ni;
                        VF ar = LD(acc[t][0] + v * SW_VL), ai = LD(acc[t][1] + v * SW_VL);
                        ar += cr0 * nr;
                        ai += ci0 * ni;
                        ST(acc[t][0] + v * SW_VL, ar);
                        ST(acc[t][1] + v * SW_VL, ai);
                    }
                    ST(s0, xr0);
                    ST(s0 + 16, xi0);
                }
            for (size_t t = 0; t < T; t++) {
                float out[16];
                for (int v = 0; v < NV; v++)
                    ST(out + v * SW_VL, (LD(acc[t][0] + v * SW_VL) + LD(acc[t][2] + v * SW_VL)) -
                                            (LD(acc[t][1] + v * SW_VL) + LD(acc[t][3] + v * SW_VL)));
                for (size_t k = 0; k < valid; k++) yf[t * h + t0 + k] = 2.0f * out[k] + d[t0 + k] * ub[t][k];
            }
        }
    }
}

/* S4D step for nb streams of one layer (stream b: state st[b], input u + b ldu, output
 * y + b ldy), each stream bit-identical to s4d_step: per lane (channel) the same operations in
 * the same order, even/odd-mode accumulators combined the same way. The tile's weights are
 * loaded once for NB streams, so only the states stream from cache per stream. Lanes are
 * independent, so the vectors of a tile are walked one at a time (fewer live registers). */
static inline __attribute__((always_inline)) void
SW_SFX(s4d_batch_tile)(float (*restrict out)[16], float *const *restrict st, size_t soff,
                       const float *restrict wt, const float (*restrict ub)[16], size_t n, int v, const int NB)
{
    VF uu[4], ar0[4], ai0[4], ar1[4], ai1[4];
    for (int b = 0; b < NB; b++) {
        uu[b] = LD(ub[b] + v * SW_VL);
        ar0[b] = ai0[b] = ar1[b] = ai1[b] = (VF){0};
    }
    size_t m = 0;
    for (; m + 2 <= n; m += 2) {
        const float *w0 = wt + m * 64 + v * SW_VL, *w1 = w0 + 64;
        const VF a0 = LD(w0), b0 = LD(w0 + 16), c0 = LD(w0 + 32), d0 = LD(w0 + 48);
        const VF a1 = LD(w1), b1 = LD(w1 + 16), c1 = LD(w1 + 32), d1 = LD(w1 + 48);
        for (int b = 0; b < NB; b++) {
            float *s0 = st[b] + soff + m * 32 + v * SW_VL, *s1 = s0 + 32;
            VF xr = LD(s0), xi = LD(s0 + 16), a = a0, bb = b0;
            VF nr = a * xr - bb * xi + uu[b];
            VF ni = a * xi + bb * xr;
            ST(s0, nr);
            ST(s0 + 16, ni);
            ar0[b] += c0 * nr;
            ai0[b] += d0 * ni;
            xr = LD(s1), xi = LD(s1 + 16), a = a1, bb = b1;
            nr = a * xr - bb * xi + uu[b];
            ni = a * xi + bb * xr;
            ST(s1, nr);
            ST(s1 + 16, ni);
            ar1[b] += c1 * nr;
            ai1[b] += d1 * ni;
        }
    }
    for (; m < n; m++) {
        const float *w0 = wt + m * 64 + v * SW_VL;
        const VF a0 = LD(w0), b0 = LD(w0 + 16), c0 = LD(w0 + 32), d0 = LD(w0 + 48);
        for (int b = 0; b < NB; b++) {
            float *s0 = st[b] + soff + m * 32 + v * SW_VL;
            VF xr = LD(s0), xi = LD(s0 + 16), a = a0, bb = b0;
            VF nr = a * xr - bb * xi + uu[b];
            VF ni = a * xi + bb * xr;
            ST(s0, nr);
            ST(s0 + 16, ni);
            ar0[b] += c0 * nr;
            ai0[b] += d0 * ni;
        }
    }
    for (int b = 0; b < NB; b++) ST(out[b] + v * SW_VL, (ar0[b] + ar1[b]) - (ai0[b] + ai1[b]));
}

/* streams per weight load: 4 x 4 accumulators fit AVX-512's 32 registers, 2 x 4 the 16 of AVX2/SSE */
#define SW_S4D_NB (SW_VL == 16 ? 4 : 2)

static void SW_SFX(s4d_step_batch)(float *restrict y, size_t ldy, float *const *restrict st, size_t soff,
                                   const float *restrict w, const float *restrict d, const float *restrict u,
                                   size_t ldu, size_t h, size_t n, size_t nb)
{
    enum { NV = 16 / SW_VL };
    for (size_t b0 = 0; b0 < nb; b0 += SW_S4D_NB) {
        const size_t g = nb - b0 < SW_S4D_NB ? nb - b0 : SW_S4D_NB;
        for (size_t t0 = 0; t0 < h; t0 += 16) {
            const size_t valid = h - t0 < 16 ? h - t0 : 16;
            float ub[SW_S4D_NB][16], out[SW_S4D_NB][16];
            for (size_t b = 0; b < g; b++) {
                for (size_t k = 0; k < 16; k++) ub[b][k] = k < valid ? u[(b0 + b) * ldu + t0 + k] : 0.0f;
            }
            const float *wt = w + (t0 / 16) * n * 64;
            const size_t so = soff + (t0 / 16) * n * 32;
            for (int v = 0; v < NV; v++) {
                switch (g) {
#if SW_S4D_NB > 2
                case 4: SW_SFX(s4d_batch_tile)(out, st + b0, so, wt, (const float (*)[16])ub, n, v, 4); break;
                case 3: SW_SFX(s4d_batch_tile)(out, st + b0, so, wt, (const float (*)[16])ub, n, v, 3); break;
#endif
                case 2: SW_SFX(s4d_batch_tile)(out, st + b0, so, wt, (const float (*)[16])ub, n, v, 2); break;
                default: SW_SFX(s4d_batch_tile)(out, st + b0, so, wt, (const float (*)[16])ub, n, v, 1); break;
                }
            }
            for (size_t b = 0; b < g; b++)
                for (size_t k = 0; k < valid; k++)
                    y[(b0 + b) * ldy + t0 + k] = 2.0f * out[b][k] + d[t0 + k] * ub[b][k];
        }
    }
}

#undef VF
#undef LD
#undef ST
#undef SW_MM_ACC
#undef SW_S4D_NB
