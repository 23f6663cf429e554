/* kernels.h — the hot inner loops of the core (internal).
 *
 * Every kernel is compiled for AVX-512, AVX2+FMA and baseline x86-64, and one table picks
 * the copy once per process (sw_kernels_select), so a process always runs the same code and
 * a step of one frame does exactly the same float operations as that frame inside a block.
 * The matrix-vector product and the S4D step are register-tiled by hand (kernels_simd.h);
 * the elementwise loops and scans are plain loops that the compiler vectorizes
 * (kernels_elem.h). No reduction is left to the compiler (that would need reassociation), so
 * results do not depend on alignment or on how a vector loop is split into body and tail.
 * All pointers are non-aliasing unless stated. */
#ifndef SW_KERNELS_H
#define SW_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* A dense matrix W [rows][cols] (PyTorch [out, in]) packed for matrix-vector products at
 * batch 1: row panels of SW_PANEL rows, each stored column by column as [cols][hp] with
 * hp = panel height rounded up to 16 (zero padded), panels back to back. The kernel then
 * streams W once, contiguously, keeping a panel's outputs in registers. */
#define SW_PANEL 64
typedef struct {
    float *p;            /* [cols * round_up(rows, 16)] packed fp32 (owned), or NULL if pb */
    uint32_t *pb;        /* [ceil(cols/2) * round_up(rows, 16)] packed bf16 pairs (owned), or NULL */
    size_t rows, cols;
} sw_mat;

/* Packs w[rows][cols]; returns 0 on out-of-memory. */
int sw_mat_pack(sw_mat *m, const float *w, size_t rows, size_t cols);
/* Packs w[rows][cols] as bf16 (values the loader widened from BF16 tensors, so exact; any
 * other value is rounded to nearest even). Same products, half the bytes: the kernels widen
 * each weight in registers and accumulate in fp32 (layout in kernels_bf16.h). */
int sw_mat_pack_bf16(sw_mat *m, const float *w, size_t rows, size_t cols);
void sw_mat_free(sw_mat *m);
/* y[rows] = W x + bias (bias may be NULL). y must not alias x. */
void sw_matvec(float *y, const sw_mat *m, const float *x, const float *bias);

/* Y = W X (+ bias) for nb columns: column b reads x + b·ldx and writes y + b·ldy, and gets
 * exactly the floats sw_matvec gives for it (same chains, same order). W is read once per
 * few columns, so several streams on one model (the instrument's voices) share the loads. */
void sw_matmat(float *y, size_t ldy, const sw_mat *m, const float *x, size_t ldx, const float *bias, size_t nb);

/* Complex diagonal recurrence on split arrays: h = lam ⊙ h + t  (n complex numbers).
 * (LRU eq. h_t = λ ⊙ h_{t-1} + B̄u_t; S5 eq. x_t = Λ̄ ⊙ x_{t-1} + B̄u_t.) */
void sw_cdiag(float *h_re, float *h_im, const float *lam_re, const float *lam_im,
              const float *t_re, const float *t_im, size_t n);

/* S4D, all H channels at once. Weights packed by channel tiles of 16 lanes (lane = channel):
 * tile t, mode n -> 64 floats [Ā_re 16 | Ā_im 16 | C'_re 16 | C'_im 16] at (t·N + n)·64;
 * state tile t, mode n -> [s_re 16 | s_im 16] at (t·N + n)·32. Padded channels are zero.
 *   s_{n,h} = Ā_{n,h} s_{n,h} + u_h            (state scaled by 1/B̄, see s4d.c)
 *   y_h     = 2 Re Σ_n C'_{n,h} s_{n,h} + D_h u_h */
#define SW_S4D_TILE 16
void sw_s4d_step(float *y, float *state, const float *w, const float *d, const float *u, size_t h, size_t n);
/* sw_s4d_step over `frames` consecutive frames of one stream (u, y: [frames][h]), bit-identical
 * to stepping them one by one; the weights and states are read once per 32 frames. */
void sw_s4d_seq(float *y, float *state, const float *w, const float *d, const float *u, size_t h, size_t n,
                size_t frames);
/* sw_s4d_step for nb streams of one layer: stream b has state states[b] + state_off, input
 * u + b·ldu, output y + b·ldy; each bit-identical to sw_s4d_step on it. The weights are read
 * once per few streams. */
void sw_s4d_step_batch(float *y, size_t ldy, float *const *states, size_t state_off, const float *w,
                       const float *d, const float *u, size_t ldu, size_t h, size_t n, size_t nb);

/* Mamba selective scan for one frame, state h[N][E] (lane = inner channel e):
 *   h_{n,e} = exp(Δ_e A_{n,e}) h_{n,e} + (Δ_e x_e) B_n ;  y_e = Σ_n C_n h_{n,e} + D_e x_e
 * a[N][E] holds A = -exp(A_log) (negative), dt[E] = Δ, x[E], bc = [B(N), C(N)]. */
void sw_mamba_scan(float *y, float *h, const float *a, const float *dt, const float *x,
                   const float *b, const float *c, const float *d, size_t e, size_t n);

/* Elementwise, y may alias x. */
void sw_vsilu(float *y, const float *x, size_t n);
void sw_vsigmoid(float *y, const float *x, size_t n);
void sw_vtanh(float *y, const float *x, size_t n);
void sw_vgelu(float *y, const float *x, size_t n);       /* erf form */
void sw_vrelu(float *y, const float *x, size_t n);
void sw_vsoftplus(float *y, const float *x, size_t n);   /* log1p(exp(x)), x > 20 -> x */
/* y = a ⊙ σ(b); y may alias a. */
void sw_vglu(float *y, const float *a, const float *b, size_t n);
/* y = y * silu(z) */
void sw_vmul_silu(float *y, const float *z, size_t n);
/* y += a ⊙ b */
void sw_vfma(float *y, const float *a, const float *b, size_t n);
/* y += x */
void sw_vadd(float *y, const float *x, size_t n);

/* y = x clamped to [−limit, limit], with Inf/NaN replaced by 0. */
void sw_vsanitize(float *y, const float *x, size_t n, float limit);

/* One frame of RMSNorm (layer 0: y = u / sqrt(mean u² + eps) · w) or LayerNorm (layer 1:
 * y = (u − μ) / sqrt(var + eps) · w + b), statistics in double. y may alias u. */
void sw_vnorm(float *y, const float *u, const float *w, const float *b, size_t d, float eps, int layer);

/* y[i] = exp((x[i] − sub) · scale) for finite x[i] (the fast exp below, ~1e-7 relative), 0 for
 * Inf/NaN; returns Σ y (double, fixed order). y may alias x. */
double sw_vexp_sum(float *y, const float *x, size_t n, float sub, float scale);

/* y[i] = clamp((log10(x[i] + eps) + off) · scale, −lim, lim) with a NaN x[i] giving −lim; x >= 0,
 * eps > 0. log10 by exponent split and a series (within ~2 float ulps, kernels_elem.h). The
 * denoiser's log-power features. */
void sw_vlogfeat(float *y, const float *x, size_t n, float eps, float off, float scale, float lim);

/* 1 if every x[i] is finite. */
int sw_all_finite(const float *x, size_t n);

/* Chooses the kernel set (the widest the CPU has, or STATEWAVE_KERNELS=avx512|avx2|base)
 * once per process: reads the environment, so it is called at create time (sw_net_create,
 * sw_mat_pack), never first on the audio thread. Later calls only return. */
void sw_kernels_select(void);

/* "avx512bf16" (avx512 with the BF16 product on vdpbf16ps), "avx512", "avx2" or "base": the
 * kernel set in use (for benchmarks and tests). */
const char *sw_kernels_name(void);
/* 1 if the set in use has AVX2 (avx2 or avx512): other files' per-ISA code follows it. */
int sw_kernels_wide(void);

/* Scalar versions of the fast exp used above (for tests and scalar code). */
float sw_expf(float x);

#endif
