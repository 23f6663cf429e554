/* core.h — internal helpers shared by the core of libstatewave (not public).
 *
 * Error messages, aligned allocation, and the "build context" that layer builders use
 * to read their config and fetch their tensors from a model being loaded. */
#ifndef SW_CORE_H
#define SW_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "statewave.h"

/* Limits from dsp/FORMAT.md. */
#define SW_MAX_WIDTH      4096
#define SW_MAX_STATE      1024
#define SW_MAX_KERNEL     64
#define SW_MIN_FACTOR     2
#define SW_MAX_FACTOR     64
#define SW_MAX_DEPTH      8
#define SW_MAX_LAYERS     256
#define SW_MAX_WEIGHTS    (64u * 1024u * 1024u)    /* floats */
#define SW_MAX_HEADER     (16u * 1024u * 1024u)    /* bytes */
#define SW_MAX_FILE       (512u * 1024u * 1024u)   /* bytes, sw_model_load_file */
#define SW_MAX_VOCAB      65536                     /* embedding rows (not in FORMAT.md; our own bound) */

/* Input frames are clamped to +-SW_INPUT_CLAMP: keeps finite-but-absurd input from
 * overflowing the state, while being far above any sane audio/feature value. */
#define SW_INPUT_CLAMP    1.0e4f

/* Writes a printf-style message into err[errlen] (if err != NULL) and returns `st`. */
sw_status sw_fail(char *err, size_t errlen, sw_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* 64-byte aligned, zero-filled; NULL on failure or if n*size overflows. Free with sw_free. */
void *sw_calloc_aligned(size_t n, size_t size);
/* The same, not zeroed: for blocks the caller overwrites completely. */
void *sw_alloc_aligned(size_t n, size_t size);
void sw_free(void *p);
/* A model's region (util.c, used by model.c): one mapping (transparent huge pages where the
 * kernel gives them) holding the model's weights arena and every block its layers derive from
 * the weights while they are built (sw_alloc_aligned between enter and leave lands there and
 * sw_free of such a block is a no-op); trim pre-faults what was used and returns the rest;
 * freed as a whole with the model. Why: a fresh 4 KiB page costs 5-14 us on shared VMs, which
 * dominated the first LV2 instantiate. */
void *sw_region_new(size_t arena_floats, size_t extra_bytes);
void *sw_region_enter(const void *arena);
void sw_region_leave(void *prev);
void sw_region_trim(const void *arena);
void sw_region_free(void *arena);
/* Rounds n floats up to a multiple of 16 (one cache line), so arrays carved out of an
 * arena stay 64-byte aligned. */
static inline size_t sw_pad16(size_t n) { return (n + 15u) & ~(size_t)15u; }

/* ---------------------------------------------------------------- building --
 * Layer builders run while a model loads: they read their JSON config (already parsed
 * by cJSON, untrusted), fetch their tensors by name with an exact expected shape,
 * and compute derived run-time arrays (discretized SSM parameters, transposed matrices). */
typedef struct sw_model sw_model;

typedef struct {
    sw_model *m;            /* the model being loaded: tensor table */
    char *err;              /* caller's message buffer [errlen], may be NULL */
    size_t errlen;
    const char *where;      /* "layer 3 (s4d 'enc0')" — prefix for messages */
    size_t params;          /* floats of weights used so far */
    int n_layers;           /* layers seen so far, all depths */
    size_t state;           /* floats of recurrent state assigned so far = offset of the next */
} sw_build;

/* Reserves `n` floats of recurrent state (rounded up to a cache line); returns its offset
 * into the net's state block. */
size_t sw_take_state(sw_build *b, size_t n);

/* New 64-byte aligned copy of w[rows][cols] transposed to [cols][rows] (NULL on OOM).
 * Our matrix-vector kernel walks columns, see kernels.h. */
float *sw_transpose(const float *w, size_t rows, size_t cols);

/* Config readers: `key` in object `o` must exist with the right JSON type and lie in
 * [lo, hi]; otherwise SW_ERR_CONFIG with a message naming b->where and the key. */
sw_status sw_cfg_int(sw_build *b, const cJSON *o, const char *key, long lo, long hi, int *out);
sw_status sw_cfg_bool(sw_build *b, const cJSON *o, const char *key, int *out);
sw_status sw_cfg_num(sw_build *b, const cJSON *o, const char *key, double lo, double hi, double *out);
sw_status sw_cfg_str(sw_build *b, const cJSON *o, const char *key, const char **out);
/* The layer's "name" (required for layers with weights). */
sw_status sw_cfg_name(sw_build *b, const cJSON *o, const char **out);

/* Fetches tensor "<name>.<param>" which must have exactly the given shape (rank 1 or 2;
 * d1 ignored for rank 1). Marks it used (a tensor may be used once) and counts its floats
 * towards b->params. The returned data is owned by the model. */
sw_status sw_get_tensor(sw_build *b, const char *name, const char *param,
                        int rank, int64_t d0, int64_t d1, const float **out);
/* sw_get_tensor for a weight matrix [rows, cols] that the layer packs for sw_matvec: the
 * tensor may also be BF16 (*bf16 = 1; the data are its exact widened values, to be packed by
 * sw_mat_pack_bf16). Every other parameter is fetched with sw_get_tensor, which refuses BF16. */
sw_status sw_get_matrix(sw_build *b, const char *name, const char *param, int64_t rows, int64_t cols,
                        const float **out, int *bf16);

#endif
