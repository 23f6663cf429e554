/* build.h — what a layer builder uses while a model loads (internal).
 *
 * Layer builders read their JSON config (already parsed by cJSON, untrusted), fetch their
 * tensors by name with an exact expected shape, and compute derived run-time arrays
 * (discretized SSM parameters, transposed matrices). They see the model being loaded only as
 * its tensor table, so that the layers depend on this file and never on the loader (model.c)
 * that builds them: loader -> stack (net.c) -> layers -> build context, with no way back. */
#ifndef SW_BUILD_H
#define SW_BUILD_H

#include "core.h"

/* One tensor of the file being loaded (filled by model.c). */
typedef struct {
    const char *name;    /* NUL-terminated, points into sw_model.names */
    int rank;            /* 1..4 */
    int64_t shape[4];    /* [rank] */
    size_t count;        /* prod(shape) values */
    int bf16;            /* 1: dtype BF16 (2 bytes a value in the file, widened to floats in data) */
    size_t begin, end;   /* byte offsets into the data section */
    float *data;         /* [count] aligned host-order copy, points into sw_model.weights */
    int used;            /* 1 once a layer took it */
} sw_tensor;

typedef struct {
    sw_tensor *tensors;     /* the model's tensor table [n_tensors], sorted by name (strcmp) */
    int n_tensors;
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
