/* kernels_bf16.h — matrix products over bf16 weights with fp32 accumulation, written once
 * with a native vector type and included by kernels.c once per instruction set after
 * kernels_simd.h (internal; never include elsewhere; uses its vector type SW_SFX(vf)).
 *
 * Why bf16: at batch 1 the products stream every weight once per step, and the large ones
 * (the generator's 1 kHz stage) come from L3, so halving the bytes is the speed-up. A bf16
 * is the upper half of an fp32, so widening is a shift or a mask, done in registers; the
 * activations stay fp32, the products and sums are plain fp32 FMAs, and the only change to
 * the numbers is that of the weights themselves (rounded once, by train/quantize.py).
 *
 * Layout (sw_mat_pack_bf16): row panels of SW_PANEL rows as for fp32; in a panel, column
 * pair j (columns 2j, 2j+1; an odd last column is paired with a zero column) is stored as
 * hp 32-bit words, word r = bf16(W[r][2j]) | bf16(W[r][2j+1]) << 16, so one vector load
 * carries VL rows of two columns: the low halves shifted up are column 2j, the high halves
 * masked are column 2j+1. This is also the operand layout of AVX-512 BF16's vdpbf16ps.
 *
 * Chains: for each row, column pairs are split into P phases (pair j ≡ p mod P) and each
 * phase has one accumulator for the even and one for the odd column; at the end they are
 * summed s = (e_0 + o_0) + (e_1 + o_1) + ... in that order, then the bias. P depends only
 * on the row tile of matvec (bf16_phases), so the batched form, which re-tiles rows and
 * groups columns, gives every column exactly the floats of the single product. */

#define VF SW_SFX(vf)
#define LD(p) (*(const SW_SFX(vfu) *)(p))
#define ST(p, v) (*(SW_SFX(vfu) *)(p) = (v))
#define SW_MM_ACC (SW_VL == 16 ? 16 : 8)   /* accumulator registers, as in kernels_simd.h */
typedef unsigned SW_SFX(vu) __attribute__((vector_size(SW_VL * 4)));
typedef unsigned SW_SFX(vuu) __attribute__((vector_size(SW_VL * 4), aligned(4)));
#define VU SW_SFX(vu)
#define LDU(p) (*(const SW_SFX(vuu) *)(p))
/* bf16 pair words -> the fp32 weights of the even / odd column (bit casts of same-size vectors) */
#define BF_EVEN(q) ((VF)((q) << 16))
#define BF_ODD(q) ((VF)((q) & 0xFFFF0000u))

/* NB columns x NV row vectors of one panel with P pair phases (see above). */
static inline __attribute__((always_inline)) void
SW_SFX(mb_tile)(float *restrict y, size_t ldy, const uint32_t *restrict panel, size_t hp, const float *restrict x,
                size_t ldx, size_t cols, const float *restrict bias, size_t valid, const int NV, const int P,
                const int NB)
{
    VF acc[8][4][2][4];   /* [column][phase][even, odd][row vector] */
    for (int b = 0; b < NB; b++)
        for (int p = 0; p < P; p++)
            for (int v = 0; v < NV; v++) acc[b][p][0][v] = acc[b][p][1][v] = (VF){0};
    const size_t full = cols / 2;      /* pairs with two real columns */
    const uint32_t *w = panel;
    size_t j = 0;
    for (; j + (size_t)P <= full; j += (size_t)P, w += (size_t)P * hp)
        for (int p = 0; p < P; p++) {
            VF we[4], wo[4];
            for (int v = 0; v < NV; v++) {
                const VU q = LDU(w + (size_t)p * hp + (size_t)v * SW_VL);
                we[v] = BF_EVEN(q);
                wo[v] = BF_ODD(q);
            }
            for (int b = 0; b < NB; b++) {
                const float *xb = x + (size_t)b * ldx + 2 * (j + (size_t)p);
                const float xe = xb[0], xo = xb[1];
                for (int v = 0; v < NV; v++) {
                    acc[b][p][0][v] += we[v] * xe;
                    acc[b][p][1][v] += wo[v] * xo;
                }
            }
        }
    for (; j < full; j++, w += hp) {
        VF we[4], wo[4];
        for (int v = 0; v < NV; v++) {
            const VU q = LDU(w + (size_t)v * SW_VL);
            we[v] = BF_EVEN(q);
            wo[v] = BF_ODD(q);
        }
        for (int b = 0; b < NB; b++) {
            const float *xb = x + (size_t)b * ldx + 2 * j;
            const float xe = xb[0], xo = xb[1];
            for (int v = 0; v < NV; v++) {
                acc[b][0][0][v] += we[v] * xe;
                acc[b][0][1][v] += wo[v] * xo;
            }
        }
    }
    if (cols & 1) {                    /* the last column alone: its pair's odd half is padding */
        VF we[4];
        for (int v = 0; v < NV; v++) we[v] = BF_EVEN(LDU(w + (size_t)v * SW_VL));
        for (int b = 0; b < NB; b++) {
            const float xe = x[(size_t)b * ldx + cols - 1];
            for (int v = 0; v < NV; v++) acc[b][0][0][v] += we[v] * xe;
        }
    }
    for (int b = 0; b < NB; b++)
        for (int v = 0; v < NV; v++) {
            VF s = acc[b][0][0][v] + acc[b][0][1][v];
            for (int p = 1; p < P; p++) s += acc[b][p][0][v] + acc[b][p][1][v];
            const size_t r = (size_t)v * SW_VL;
            float *yb = y + (size_t)b * ldy;
            if (r + SW_VL <= valid) {
                if (bias) s += LD(bias + r);
                ST(yb + r, s);
            } else if (r < valid) {    /* the padded end of the last panel */
                const size_t nk = (valid - r) & (SW_VL - 1);
                for (size_t k = 0; k < nk; k++) yb[r + k] = bias ? s[k] + bias[r + k] : s[k];
            }
        }
}

/* Pair phases of a row tile of nvec vectors: 8 accumulators per column at batch 1 (two FMA
 * chains per vector and phase), enough to cover the FMA latency. */
static inline int SW_SFX(bf16_phases)(size_t nvec) { return nvec >= 3 ? 1 : nvec == 2 ? 2 : 4; }

/* One row-vector group over nb columns, in column groups as wide as the registers allow. */
static inline __attribute__((always_inline)) void
SW_SFX(mb_group)(float *restrict y, size_t ldy, const uint32_t *restrict panel, size_t hp, const float *restrict x,
                 size_t ldx, size_t cols, const float *restrict bias, size_t valid, size_t nb, const int NV,
                 const int P)
{
    const int NB0 = SW_MM_ACC / (2 * NV * P) < 1 ? 1 : SW_MM_ACC / (2 * NV * P) > 8 ? 8 : SW_MM_ACC / (2 * NV * P);
    size_t b = 0;
    for (; b + (size_t)NB0 <= nb; b += (size_t)NB0)
        SW_SFX(mb_tile)(y + b * ldy, ldy, panel, hp, x + b * ldx, ldx, cols, bias, valid, NV, P, NB0);
    for (; b < nb; b++)
        SW_SFX(mb_tile)(y + b * ldy, ldy, panel, hp, x + b * ldx, ldx, cols, bias, valid, NV, P, 1);
}

/* Y = W X (+ bias) over bf16 weights for nb columns (column b: x + b ldx -> y + b ldy);
 * nb = 1 is the matrix-vector product. Row tiles of up to 4 vectors; at batch 1 a tile keeps
 * its vectors together (8 chains), batched it is walked one vector at a time so that the
 * registers go to columns sharing each weight load. Results do not depend on nb. */
static void SW_SFX(matmat_bf16)(float *restrict y, size_t ldy, const uint32_t *restrict packed, size_t rows,
                                size_t cols, const float *restrict x, size_t ldx, const float *restrict bias,
                                size_t nb)
{
    const size_t npairs = (cols + 1) / 2;
    for (size_t r0 = 0; r0 < rows; r0 += SW_PANEL) {
        const size_t h = rows - r0 < SW_PANEL ? rows - r0 : SW_PANEL;
        const size_t hp = (h + 15) & ~(size_t)15;
        const uint32_t *panel = packed + r0 * npairs;
        for (size_t r = 0; r < hp; r += 4 * SW_VL) {
            const size_t nvec = (hp - r) / SW_VL < 4 ? (hp - r) / SW_VL : 4;
            const int P = SW_SFX(bf16_phases)(nvec);
            if (nb == 1) {
                const size_t valid = h - r;    /* h > r: a tile starts inside the valid rows */
                float *yy = y + r0 + r;
                const float *bb = bias ? bias + r0 + r : NULL;
                const uint32_t *pp = panel + r;
                switch (nvec) {
                case 1: SW_SFX(mb_tile)(yy, 0, pp, hp, x, 0, cols, bb, valid, 1, 4, 1); break;
                case 2: SW_SFX(mb_tile)(yy, 0, pp, hp, x, 0, cols, bb, valid, 2, 2, 1); break;
                case 3: SW_SFX(mb_tile)(yy, 0, pp, hp, x, 0, cols, bb, valid, 3, 1, 1); break;
                default: SW_SFX(mb_tile)(yy, 0, pp, hp, x, 0, cols, bb, valid, 4, 1, 1); break;
                }
                continue;
            }
            for (size_t v = 0; v < nvec; v++) {
                const size_t rr = r + v * SW_VL;
                if (h <= rr) break;            /* only padding left */
                const size_t valid = h - rr;
                float *yy = y + r0 + rr;
                const float *bb = bias ? bias + r0 + rr : NULL;
                const uint32_t *pp = panel + rr;
                if (P == 4) SW_SFX(mb_group)(yy, ldy, pp, hp, x, ldx, cols, bb, valid, nb, 1, 4);
                else if (P == 2) SW_SFX(mb_group)(yy, ldy, pp, hp, x, ldx, cols, bb, valid, nb, 1, 2);
                else SW_SFX(mb_group)(yy, ldy, pp, hp, x, ldx, cols, bb, valid, nb, 1, 1);
            }
        }
    }
}

#undef VF
#undef LD
#undef ST
#undef SW_MM_ACC
#undef VU
#undef LDU
#undef BF_EVEN
#undef BF_ODD
