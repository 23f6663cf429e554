/* lru.h — Linear Recurrent Unit; its run-time form is also used by S5 (internal). */
#ifndef SW_LRU_H
#define SW_LRU_H
#include "core.h"

/* A diagonal complex SSM with dense input/output maps, after discretization:
 *   h_t = λ ⊙ h_{t−1} + B̄ u_t ;   y_t = Re(C̄ h_t) + D ⊙ u_t
 * LRU: λ from (ν, θ), B̄ = γ ⊙ B.   S5: λ = Λ̄, B̄ = discretized B̃, C̄ = c·C̃. */
typedef struct {
    int h, n;            /* width H, complex state size N */
    float *lam_re, *lam_im; /* [N] λ (owned, part of the `bt` allocation) */
    float *bt;           /* [H][2N] transposed [B̄_re; B̄_im] ([2N, H]): one matvec gives [t_re | t_im] */
    float *ct;           /* [2N][H] transposed [C̄_re, −C̄_im] ([H, 2N]): Re(C̄h) = ct·[h_re | h_im] */
    const float *d;      /* [H] (model-owned) */
    size_t state_off;    /* state: h_re [N], h_im [N], contiguous */
} sw_lru;

sw_status build_lru(sw_lru *l, const cJSON *cfg, sw_build *b);
/* Allocates the arrays of a diagonal SSM of size (h, n) and reserves its state. */
sw_status alloc_lru(sw_lru *l, int h, int n, sw_build *b);
void free_lru(sw_lru *l);
/* scratch: lru_scratch_floats() floats */
size_t lru_scratch_floats(const sw_lru *l);
void lru_forward(const sw_lru *l, float *state, float *scratch, const float *in, float *out, size_t frames);

#endif
