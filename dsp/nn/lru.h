/* lru.h — Linear Recurrent Unit; its run-time form is also used by S5 (internal). */
#ifndef SW_LRU_H
#define SW_LRU_H
#include "build.h"
#include "kernels.h"

/* A diagonal complex SSM with dense input/output maps, after discretization:
 *   h_t = λ ⊙ h_{t−1} + B̄ u_t ;   y_t = Re(C̄ h_t) + D ⊙ u_t
 * LRU: λ from (ν, θ), B̄ = γ ⊙ B.   S5: λ = Λ̄, B̄ = discretized B̃, C̄ = c·C̃. */
typedef struct {
    int h, n;            /* width H, complex state size N */
    float *lam_re, *lam_im; /* [N] λ (owned, one allocation from lam_re) */
    sw_mat b;            /* [2N, H] = [B̄_re; B̄_im]: one matvec gives [t_re | t_im] (packed, owned) */
    sw_mat c;            /* [H, 2N] = [C̄_re, −C̄_im]: Re(C̄h) = c·[h_re | h_im] (packed, owned) */
    const float *d;      /* [H] (model-owned) */
    size_t state_off;    /* state: h_re [N], h_im [N], contiguous */
} sw_lru;

sw_status swi_build_lru(sw_lru *l, const cJSON *cfg, sw_build *b);
/* Finishes a diagonal SSM of size (h, n): takes λ [n] (re, im) and the row-major matrices
 * bm [2n][h] = [B̄_re; B̄_im] and cm [h][2n] = [C̄_re, −C̄_im] (copied and packed), checks
 * that all are finite, and reserves the state. */
sw_status swi_finish_lru(sw_lru *l, int h, int n, const double *lam_re, const double *lam_im,
                     const float *bm, const float *cm, sw_build *b);
/* What the builders of this form (LRU, S5) read and fill: B̃ [n][h] and C̃ [h][n] as real and
 * imaginary parts (model-owned), and the scratch swi_finish_lru takes: λ [2n] (re | im),
 * bm [2n][h], cm [h][2n] (owned until swi_lru_end). */
typedef struct {
    const float *b_re, *b_im, *c_re, *c_im;
    double *lam;
    float *bm, *cm;
} sw_lru_parts;
/* Reads tensors B_re, B_im, C_re, C_im and D (into l->d) of layer `name` of size (h, n) and
 * allocates the scratch; on failure nothing is kept. */
sw_status swi_lru_begin(sw_lru *l, sw_build *b, const char *name, int h, int n, sw_lru_parts *p);
/* swi_finish_lru on p's scratch, then frees it. */
sw_status swi_lru_end(sw_lru *l, int h, int n, sw_lru_parts *p, sw_build *b);
void swi_free_lru(sw_lru *l);
/* scratch: swi_lru_scratch_floats() floats */
size_t swi_lru_scratch_floats(const sw_lru *l);
void swi_lru_forward(const sw_lru *l, float *state, float *scratch, const float *in, float *out, size_t frames);

#endif
