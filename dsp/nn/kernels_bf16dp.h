/* kernels_bf16dp.h — the bf16 matrix product with AVX-512 BF16's vdpbf16ps (internal; included
 * once by kernels.c under a target with avx512bf16; never include elsewhere).
 *
 * Same packed layout as kernels_bf16.h: one 32-bit word holds a row's two weights of a column
 * pair, which is exactly vdpbf16ps's operand (it multiplies the even and the odd bf16 halves and
 * adds both products to an fp32 lane). The activations are fp32, so each is split into two bf16,
 * hi = round(x) and lo = round(x − hi) (x − hi is exact in fp32), and the pair is multiplied by
 * both: x is kept to about 16 significant bits (relative error ≤ 2^-17), instead of 8 with hi
 * alone. That is two instructions per 32 products, against two FMAs plus the widening shift and
 * mask of kernels_bf16.h. Results differ from the other sets in the last bits (vdpbf16ps flushes
 * denormals and rounds its two products differently), but as everywhere a column's floats do not
 * depend on how many columns share the call: matvec and the batched product agree bit for bit.
 *
 * Chains per row vector and column: one accumulator for the hi and one for the lo products per
 * pair phase; s = Σ_p (hi_p + lo_p) in phase order, then the bias. */
#include <immintrin.h>

/* 16 column pairs of x (32 floats; a partial chunk is zero-padded by the caller) -> the hi and lo
 * bf16 pair words, as vdpbf16ps wants them broadcast. */
static inline __attribute__((always_inline)) void bf16dp_split(uint32_t *hi, uint32_t *lo, const float *x)
{
    for (int h = 0; h < 2; h++) {
        const __m512 v = _mm512_loadu_ps(x + 16 * h);
        /* round to nearest even at bit 16, as an fp32 (finite inputs: the net's activations) */
        const __m512i u = _mm512_castps_si512(v);
        const __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7FFF),
                                                               _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1))));
        const __m512 vh = _mm512_castsi512_ps(_mm512_and_si512(r, _mm512_set1_epi32((int)0xFFFF0000u)));
        const __m512 vl = _mm512_sub_ps(v, vh);
        /* the bf16 of vh is exact (its low half is zero); of vl rounded by the instruction */
        _mm256_storeu_si256((__m256i *)(hi + 8 * h), _mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_castps_si512(vh), 16)));
        _mm256_storeu_si256((__m256i *)(lo + 8 * h), (__m256i)_mm512_cvtneps_pbh(vl));
    }
}

/* NB columns x NV row vectors of one panel, P pair phases. */
static inline __attribute__((always_inline)) void
bf16dp_tile(float *restrict y, size_t ldy, const uint32_t *restrict panel, size_t hp, const float *restrict x,
            size_t ldx, size_t cols, const float *restrict bias, size_t valid, const int NV, const int P, const int NB)
{
    __m512 ah[8][4][4], al[8][4][4];   /* [column][phase][row vector] */
    for (int b = 0; b < NB; b++)
        for (int p = 0; p < P; p++)
            for (int v = 0; v < NV; v++) ah[b][p][v] = al[b][p][v] = _mm512_setzero_ps();
    const size_t npairs = (cols + 1) / 2;
    uint32_t xh[8][16], xl[8][16];
    for (size_t j0 = 0; j0 < npairs; j0 += 16) {
        const size_t nj = npairs - j0 < 16 ? npairs - j0 : 16;   /* a multiple of P except at the end */
        for (int b = 0; b < NB; b++) {
            const float *xb = x + (size_t)b * ldx + 2 * j0;
            if (nj == 16) {
                bf16dp_split(xh[b], xl[b], xb);
            } else {
                float tmp[32] = {0};
                const size_t nc = cols - 2 * j0;                  /* < 32 */
                for (size_t k = 0; k < nc; k++) tmp[k] = xb[k];
                bf16dp_split(xh[b], xl[b], tmp);
            }
        }
        const uint32_t *w = panel + j0 * hp;
        size_t j = 0;
        for (; j + (size_t)P <= nj; j += (size_t)P)
            for (int p = 0; p < P; p++) {
                __m512bh wv[4];
                for (int v = 0; v < NV; v++)
                    wv[v] = (__m512bh)_mm512_loadu_si512(w + (j + (size_t)p) * hp + (size_t)v * 16);
                for (int b = 0; b < NB; b++) {
                    const __m512bh bh = (__m512bh)_mm512_set1_epi32((int)xh[b][j + (size_t)p]);
                    const __m512bh bl = (__m512bh)_mm512_set1_epi32((int)xl[b][j + (size_t)p]);
                    for (int v = 0; v < NV; v++) {
                        ah[b][p][v] = _mm512_dpbf16_ps(ah[b][p][v], wv[v], bh);
                        al[b][p][v] = _mm512_dpbf16_ps(al[b][p][v], wv[v], bl);
                    }
                }
            }
        for (; j < nj; j++) {          /* the last pairs when npairs is not a multiple of P */
            __m512bh wv[4];
            for (int v = 0; v < NV; v++) wv[v] = (__m512bh)_mm512_loadu_si512(w + j * hp + (size_t)v * 16);
            for (int b = 0; b < NB; b++) {
                const __m512bh bh = (__m512bh)_mm512_set1_epi32((int)xh[b][j]);
                const __m512bh bl = (__m512bh)_mm512_set1_epi32((int)xl[b][j]);
                for (int v = 0; v < NV; v++) {
                    ah[b][0][v] = _mm512_dpbf16_ps(ah[b][0][v], wv[v], bh);
                    al[b][0][v] = _mm512_dpbf16_ps(al[b][0][v], wv[v], bl);
                }
            }
        }
    }
    for (int b = 0; b < NB; b++)
        for (int v = 0; v < NV; v++) {
            __m512 s = _mm512_add_ps(ah[b][0][v], al[b][0][v]);
            for (int p = 1; p < P; p++) s = _mm512_add_ps(s, _mm512_add_ps(ah[b][p][v], al[b][p][v]));
            const size_t r = (size_t)v * 16;
            float *yb = y + (size_t)b * ldy;
            if (r + 16 <= valid) {
                if (bias) s = _mm512_add_ps(s, _mm512_loadu_ps(bias + r));
                _mm512_storeu_ps(yb + r, s);
            } else if (r < valid) {
                float t[16];
                _mm512_storeu_ps(t, s);
                const size_t nk = (valid - r) & 15;
                for (size_t k = 0; k < nk; k++) yb[r + k] = bias ? t[k] + bias[r + k] : t[k];
            }
        }
}

static inline __attribute__((always_inline)) void
bf16dp_group(float *restrict y, size_t ldy, const uint32_t *restrict panel, size_t hp, const float *restrict x,
             size_t ldx, size_t cols, const float *restrict bias, size_t valid, size_t nb, const int P)
{
    const int NB0 = 8 / P;             /* 16 accumulators: 2 P NB */
    size_t b = 0;
    for (; b + (size_t)NB0 <= nb; b += (size_t)NB0)
        bf16dp_tile(y + b * ldy, ldy, panel, hp, x + b * ldx, ldx, cols, bias, valid, 1, P, NB0);
    for (; b < nb; b++) bf16dp_tile(y + b * ldy, ldy, panel, hp, x + b * ldx, ldx, cols, bias, valid, 1, P, 1);
}

/* As matmat_bf16 (kernels_bf16.h), same row tiles of up to 4 vectors of 16 and the same phase
 * counts; batched, one vector at a time over column groups. */
static void matmat_bf16_avx512bf16(float *restrict y, size_t ldy, const uint32_t *restrict packed, size_t rows,
                                   size_t cols, const float *restrict x, size_t ldx, const float *restrict bias,
                                   size_t nb)
{
    const size_t npairs = (cols + 1) / 2;
    for (size_t r0 = 0; r0 < rows; r0 += SW_PANEL) {
        const size_t h = rows - r0 < SW_PANEL ? rows - r0 : SW_PANEL;
        const size_t hp = (h + 15) & ~(size_t)15;
        const uint32_t *panel = packed + r0 * npairs;
        for (size_t r = 0; r < hp; r += 64) {
            const size_t nvec = (hp - r) / 16 < 4 ? (hp - r) / 16 : 4;
            const int P = nvec >= 3 ? 1 : nvec == 2 ? 2 : 4;
            if (nb == 1) {
                const size_t valid = h - r;
                float *yy = y + r0 + r;
                const float *bb = bias ? bias + r0 + r : NULL;
                const uint32_t *pp = panel + r;
                switch (nvec) {
                case 1: bf16dp_tile(yy, 0, pp, hp, x, 0, cols, bb, valid, 1, 4, 1); break;
                case 2: bf16dp_tile(yy, 0, pp, hp, x, 0, cols, bb, valid, 2, 2, 1); break;
                case 3: bf16dp_tile(yy, 0, pp, hp, x, 0, cols, bb, valid, 3, 1, 1); break;
                default: bf16dp_tile(yy, 0, pp, hp, x, 0, cols, bb, valid, 4, 1, 1); break;
                }
                continue;
            }
            for (size_t v = 0; v < nvec; v++) {
                const size_t rr = r + v * 16;
                if (h <= rr) break;
                const size_t valid = h - rr;
                float *yy = y + r0 + rr;
                const float *bb = bias ? bias + r0 + rr : NULL;
                const uint32_t *pp = panel + rr;
                if (P == 4) bf16dp_group(yy, ldy, pp, hp, x, ldx, cols, bb, valid, nb, 4);
                else if (P == 2) bf16dp_group(yy, ldy, pp, hp, x, ldx, cols, bb, valid, nb, 2);
                else bf16dp_group(yy, ldy, pp, hp, x, ldx, cols, bb, valid, nb, 1);
            }
        }
    }
}
