/* build.c — the build context of the layer builders (build.h): config readers, tensor fetches,
 * state offsets. */
#include "build.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

float *sw_transpose(const float *w, size_t rows, size_t cols)
{
    float *t = sw_alloc_aligned(rows * cols, sizeof *t);    /* rows,cols <= 64 M: no overflow; all written */
    if (!t) return NULL;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
    return t;
}

size_t sw_take_state(sw_build *b, size_t n)
{
    size_t off = b->state;
    b->state += sw_pad16(n);
    return off;
}

/* ---------------------------------------------------------------- tensors */

/* The order model.c sorts the table in. */
static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const sw_tensor *)a)->name, ((const sw_tensor *)b)->name);
}

static void shape_str(char *buf, size_t len, int rank, const int64_t *shape)
{
    size_t o = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < rank && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (o < len) snprintf(buf + o, len - o, "]");
}

/* sw_get_tensor and sw_get_matrix (build.h); bf16 NULL: the parameter must be F32. */
static sw_status get_tensor(sw_build *b, const char *name, const char *param, int rank, int64_t d0, int64_t d1,
                            const float **out, int *bf16)
{
    char full[512], got[128], want[128];
    int64_t shape[2] = {d0, d1};
    snprintf(full, sizeof full, "%s.%s", name, param);
    sw_tensor key = {.name = full};
    sw_tensor *t = bsearch(&key, b->tensors, (size_t)b->n_tensors, sizeof key, cmp_name);
    shape_str(want, sizeof want, rank, shape);
    if (!t) return sw_fail(b->err, b->errlen, SW_ERR_FORMAT, "%s: missing tensor \"%s\" %s", b->where, full, want);
    if (t->rank != rank || t->shape[0] != d0 || (rank == 2 && t->shape[1] != d1)) {
        shape_str(got, sizeof got, t->rank, t->shape);
        return sw_fail(b->err, b->errlen, SW_ERR_FORMAT, "%s: tensor \"%s\" has shape %s, the config needs %s",
                       b->where, full, got, want);
    }
    if (t->used)
        return sw_fail(b->err, b->errlen, SW_ERR_FORMAT,
                       "%s: tensor \"%s\" is already used by another layer (duplicate layer names?)", b->where, full);
    if (t->bf16 && !bf16)
        return sw_fail(b->err, b->errlen, SW_ERR_FORMAT,
                       "%s: tensor \"%s\" is BF16, but this parameter must be F32 (BF16 is allowed for the "
                       "weight matrices of linear, pool and mamba layers only)", b->where, full);
    if (bf16) *bf16 = t->bf16;
    t->used = 1;
    b->params += t->count;
    if (b->params > SW_MAX_WEIGHTS)
        return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: the network uses more than %u floats of weights",
                       b->where, SW_MAX_WEIGHTS);
    *out = t->data;
    return SW_OK;
}

sw_status sw_get_tensor(sw_build *b, const char *name, const char *param,
                        int rank, int64_t d0, int64_t d1, const float **out)
{
    return get_tensor(b, name, param, rank, d0, d1, out, NULL);
}

sw_status sw_get_matrix(sw_build *b, const char *name, const char *param, int64_t rows, int64_t cols,
                        const float **out, int *bf16)
{
    return get_tensor(b, name, param, 2, rows, cols, out, bf16);
}

/* ---------------------------------------------------------- config readers */

sw_status sw_cfg_int(sw_build *b, const cJSON *o, const char *key, long lo, long hi, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: missing \"%s\"", b->where, key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble != floor(v->valuedouble))
        return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: \"%s\" must be an integer", b->where, key);
    double d = v->valuedouble;
    if (d < (double)lo || d > (double)hi)
        return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: \"%s\" = %.17g out of range [%ld, %ld]",
                       b->where, key, d, lo, hi);
    *out = (int)d;
    return SW_OK;
}

sw_status sw_cfg_bool(sw_build *b, const cJSON *o, const char *key, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: missing \"%s\"", b->where, key);
    if (!cJSON_IsBool(v))
        return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: \"%s\" must be true or false", b->where, key);
    *out = cJSON_IsTrue(v) ? 1 : 0;
    return SW_OK;
}

sw_status sw_cfg_num(sw_build *b, const cJSON *o, const char *key, double lo, double hi, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: missing \"%s\"", b->where, key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: \"%s\" must be a finite number", b->where, key);
    if (v->valuedouble < lo || v->valuedouble > hi)
        return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: \"%s\" = %g out of range [%g, %g]",
                       b->where, key, v->valuedouble, lo, hi);
    *out = v->valuedouble;
    return SW_OK;
}

sw_status sw_cfg_str(sw_build *b, const cJSON *o, const char *key, const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: missing \"%s\"", b->where, key);
    if (!cJSON_IsString(v) || !v->valuestring)
        return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: \"%s\" must be a string", b->where, key);
    *out = v->valuestring;
    return SW_OK;
}

sw_status sw_cfg_name(sw_build *b, const cJSON *o, const char **out)
{
    sw_status st = sw_cfg_str(b, o, "name", out);
    if (st != SW_OK) return st;
    if ((*out)[0] == '\0' || strlen(*out) > 200)
        return sw_fail(b->err, b->errlen, SW_ERR_CONFIG, "%s: \"name\" must have 1..200 characters", b->where);
    return SW_OK;
}
