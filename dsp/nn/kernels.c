/* kernels.c — vectorized inner loops (see kernels.h for the contract).
 *
 * Built with -O3 -ffp-contract=fast (mk/library.mk) so that a*b+c becomes one FMA where the
 * copy has FMA; each copy is deterministic, and all callers share the same copy. */
#include "kernels.h"
#include "core.h"

#include <math.h>
#include <stdatomic.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>


/* ------------------------------------------------------------ kernels, per ISA --
 * kernels_simd.h (hand-tiled) and kernels_elem.h (elementwise and scans) are compiled once
 * per instruction set; one table, picked at create time (cpuid via __builtin_cpu_supports,
 * or STATEWAVE_KERNELS), routes every call, so forcing a narrower set runs all of its code.
 * GCC on x86-64 only; other compilers (clang builds the fuzzers) get the baseline copy. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(SW_NO_CLONES)
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma,bmi,bmi2")
#define SW_VL 16
#define SW_SFX(f) f##_avx512
#include "kernels_simd.h"
#include "kernels_elem.h"
#include "kernels_bf16.h"
#undef SW_VL
#undef SW_SFX
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma,bmi,bmi2")
#define SW_VL 8
#define SW_SFX(f) f##_avx2
#include "kernels_simd.h"
#include "kernels_elem.h"
#include "kernels_bf16.h"
#undef SW_VL
#undef SW_SFX
#pragma GCC pop_options
/* AVX-512 BF16 (Zen 4, Cooper Lake, Sapphire Rapids): the avx512 set with the bf16 product on
 * vdpbf16ps; everything else is the avx512 copy. */
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx512bf16,avx2,fma,bmi,bmi2")
#include "kernels_bf16dp.h"
#pragma GCC pop_options
#define SW_HAVE_X86_VARIANTS 1
#endif

#define SW_VL 4                   /* baseline: SSE2 on x86-64, 128-bit vectors elsewhere */
#define SW_SFX(f) f##_base
#include "kernels_simd.h"
#include "kernels_elem.h"
#include "kernels_bf16.h"
#undef SW_VL
#undef SW_SFX

typedef void (*unary_fn)(float *, const float *, size_t);
typedef struct {
    void (*matvec)(float *, const float *, size_t, size_t, const float *, const float *);
    void (*matmat)(float *, size_t, const float *, size_t, size_t, const float *, size_t, const float *, size_t);
    void (*matmat_bf16)(float *, size_t, const uint32_t *, size_t, size_t, const float *, size_t, const float *,
                        size_t);
    void (*s4d_step)(float *, float *, const float *, const float *, const float *, size_t, size_t);
    void (*s4d_step_batch)(float *, size_t, float *const *, size_t, const float *, const float *, const float *,
                           size_t, size_t, size_t, size_t);
    void (*cdiag)(float *, float *, const float *, const float *, const float *, const float *, size_t);
    void (*mamba_scan)(float *, float *, const float *, const float *, const float *, const float *,
                       const float *, const float *, size_t, size_t);
    unary_fn vsilu, vsigmoid, vtanh, vgelu, vrelu, vsoftplus;
    void (*vglu)(float *, const float *, const float *, size_t);
    unary_fn vmul_silu;
    void (*vfma)(float *, const float *, const float *, size_t);
    unary_fn vadd;
    void (*vsanitize)(float *, const float *, size_t, float);
    int (*all_finite)(const float *, size_t);
    void (*vnorm)(float *, const float *, const float *, const float *, size_t, float, int);
    double (*vexp_sum)(float *, const float *, size_t, float, float);
    void (*vlogfeat)(float *, const float *, size_t, float, float, float, float);
    void (*s4d_seq)(float *, float *, const float *, const float *, const float *, size_t, size_t, size_t);
} kernel_table;

#define KERNEL_TABLE(sfx) KERNEL_TABLE_BF(sfx, matmat_bf16_##sfx)
#define KERNEL_TABLE_BF(sfx, mmbf)                                                            \
    {                                                                                         \
        matvec_##sfx, matmat_##sfx, mmbf, s4d_step_##sfx, s4d_step_batch_##sfx, cdiag_##sfx, mamba_scan_##sfx, vsilu_##sfx,             \
            vsigmoid_##sfx, vtanh_##sfx, vgelu_##sfx, vrelu_##sfx, vsoftplus_##sfx, vglu_##sfx, \
            vmul_silu_##sfx, vfma_##sfx, vadd_##sfx, vsanitize_##sfx, all_finite_##sfx, vnorm_##sfx, \
            vexp_sum_##sfx, vlogfeat_##sfx, s4d_seq_##sfx \
    }
static const kernel_table table_base = KERNEL_TABLE(base);
#ifdef SW_HAVE_X86_VARIANTS
static const kernel_table table_avx2 = KERNEL_TABLE(avx2);
static const kernel_table table_avx512 = KERNEL_TABLE(avx512);
static const kernel_table table_avx512bf16 = KERNEL_TABLE_BF(avx512, matmat_bf16_avx512bf16);
#endif

float sw_expf(float x) { return exp_inline_base(x); }

/* The widest supported set, or a narrower one named by STATEWAVE_KERNELS=avx512|avx2|base (used
 * by tests/unit/test_kernel_sets.sh to run the core tests on every copy on one machine). */
static const kernel_table *pick_table(void)
{
#ifdef SW_HAVE_X86_VARIANTS
    const char *force = getenv("STATEWAVE_KERNELS");
    int cap = force && strcmp(force, "base") == 0     ? 0
              : force && strcmp(force, "avx2") == 0   ? 1
              : force && strcmp(force, "avx512") == 0 ? 2
                                                      : 3;
    __builtin_cpu_init();
    if (cap >= 3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512bf16"))
        return &table_avx512bf16;
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
    if (k == &table_avx512bf16) return "avx512bf16";
    if (k == &table_avx512) return "avx512";
    if (k == &table_avx2) return "avx2";
#endif
    (void)k;
    return "base";
}

int sw_kernels_wide(void)
{
    return K() != &table_base;
}

int sw_mat_pack(sw_mat *m, const float *w, size_t rows, size_t cols)
{
    sw_kernels_select();
    const size_t rows16 = (rows + 15) & ~(size_t)15;
    m->rows = rows;
    m->cols = cols;
    m->pb = NULL;
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

/* The upper half of an fp32 that is exactly a bf16 (the loader widened it from one); a value
 * that is not is rounded to nearest even, so the packing never truncates silently. */
static uint32_t bf16_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
}

int sw_mat_pack_bf16(sw_mat *m, const float *w, size_t rows, size_t cols)
{
    sw_kernels_select();
    const size_t rows16 = (rows + 15) & ~(size_t)15, npairs = (cols + 1) / 2;
    m->rows = rows;
    m->cols = cols;
    m->p = NULL;
    m->pb = sw_calloc_aligned(rows16 * npairs, sizeof(uint32_t));
    if (!m->pb) return 0;
    for (size_t r0 = 0; r0 < rows; r0 += SW_PANEL) {
        const size_t h = rows - r0 < SW_PANEL ? rows - r0 : SW_PANEL;
        const size_t hp = (h + 15) & ~(size_t)15;
        uint32_t *panel = m->pb + r0 * npairs;
        for (size_t j = 0; j < npairs; j++)
            for (size_t r = 0; r < h; r++) {
                const float *row = w + (r0 + r) * cols;
                const uint32_t lo = bf16_bits(row[2 * j]), hi = 2 * j + 1 < cols ? bf16_bits(row[2 * j + 1]) : 0;
                panel[j * hp + r] = lo | hi << 16;
            }
    }
    return 1;
}

void sw_mat_free(sw_mat *m)
{
    sw_free(m->p);
    sw_free(m->pb);
    m->p = NULL;
    m->pb = NULL;
}

void sw_matvec(float *y, const sw_mat *m, const float *x, const float *bias)
{
    if (m->pb) K()->matmat_bf16(y, 0, m->pb, m->rows, m->cols, x, 0, bias, 1);
    else K()->matvec(y, m->p, m->rows, m->cols, x, bias);
}

void sw_matmat(float *y, size_t ldy, const sw_mat *m, const float *x, size_t ldx, const float *bias, size_t nb)
{
    if (m->pb) K()->matmat_bf16(y, ldy, m->pb, m->rows, m->cols, x, ldx, bias, nb);
    else K()->matmat(y, ldy, m->p, m->rows, m->cols, x, ldx, bias, nb);
}

void sw_s4d_step_batch(float *y, size_t ldy, float *const *states, size_t state_off, const float *w,
                       const float *d, const float *u, size_t ldu, size_t h, size_t n, size_t nb)
{
    K()->s4d_step_batch(y, ldy, states, state_off, w, d, u, ldu, h, n, nb);
}

void sw_s4d_step(float *y, float *state, const float *w, const float *d, const float *u, size_t h, size_t n)
{
    K()->s4d_step(y, state, w, d, u, h, n);
}

void sw_cdiag(float *restrict h_re, float *restrict h_im, const float *restrict lam_re,
              const float *restrict lam_im, const float *restrict t_re, const float *restrict t_im,
              size_t n)
{
    K()->cdiag(h_re, h_im, lam_re, lam_im, t_re, t_im, n);
}

void sw_mamba_scan(float *restrict y, float *restrict hs, const float *restrict a,
                   const float *restrict dt, const float *restrict x, const float *restrict b,
                   const float *restrict c, const float *restrict d, size_t e, size_t n)
{
    K()->mamba_scan(y, hs, a, dt, x, b, c, d, e, n);
}

void sw_vsilu(float *y, const float *x, size_t n) { K()->vsilu(y, x, n); }
void sw_vsigmoid(float *y, const float *x, size_t n) { K()->vsigmoid(y, x, n); }
void sw_vtanh(float *y, const float *x, size_t n) { K()->vtanh(y, x, n); }
void sw_vgelu(float *y, const float *x, size_t n) { K()->vgelu(y, x, n); }
void sw_vrelu(float *y, const float *x, size_t n) { K()->vrelu(y, x, n); }
void sw_vsoftplus(float *y, const float *x, size_t n) { K()->vsoftplus(y, x, n); }
void sw_vglu(float *y, const float *a, const float *b, size_t n) { K()->vglu(y, a, b, n); }
void sw_vmul_silu(float *y, const float *z, size_t n) { K()->vmul_silu(y, z, n); }
void sw_vfma(float *y, const float *a, const float *b, size_t n) { K()->vfma(y, a, b, n); }
void sw_vadd(float *y, const float *x, size_t n) { K()->vadd(y, x, n); }
void sw_vsanitize(float *y, const float *x, size_t n, float limit) { K()->vsanitize(y, x, n, limit); }
int sw_all_finite(const float *x, size_t n) { return K()->all_finite(x, n); }
void sw_vnorm(float *y, const float *u, const float *w, const float *b, size_t d, float eps, int layer)
{
    K()->vnorm(y, u, w, b, d, eps, layer);
}
double sw_vexp_sum(float *y, const float *x, size_t n, float sub, float scale)
{
    return K()->vexp_sum(y, x, n, sub, scale);
}
void sw_vlogfeat(float *y, const float *x, size_t n, float eps, float off, float scale, float lim)
{
    K()->vlogfeat(y, x, n, eps, off, scale, lim);
}
void sw_s4d_seq(float *y, float *state, const float *w, const float *d, const float *u, size_t h, size_t n,
                size_t frames)
{
    K()->s4d_seq(y, state, w, d, u, h, n, frames);
}
