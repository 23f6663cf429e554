/* util.c — status strings, error messages, aligned memory, the denormal guard and the
 * config readers shared by the layer builders. */
#include "core.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define SW_HAVE_MXCSR 1
#endif

const char *sw_status_str(sw_status s)
{
    switch (s) {
    case SW_OK: return "ok";
    case SW_ERR_NOMEM: return "out of memory";
    case SW_ERR_IO: return "file could not be read";
    case SW_ERR_FORMAT: return "malformed model file";
    case SW_ERR_CONFIG: return "bad model config";
    case SW_ERR_ARG: return "bad argument";
    case SW_ERR_UNSUPPORTED: return "unsupported";
    }
    return "unknown status";
}

sw_status sw_fail(char *err, size_t errlen, sw_status st, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* A fresh page costs a fault on first touch, and on a VM a fault is expensive (~20 us here,
 * ~3 ms for a 600 KB block). For blocks spanning whole pages, ask the kernel to map them all
 * in one call. Only a hint: where unsupported (old kernel, other OS) pages fault as usual. */
static void prefault(void *p, size_t bytes)
{
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
    const uintptr_t page = 4096;       /* a larger page size only makes the range smaller */
    uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1), e = ((uintptr_t)p + bytes) & ~(page - 1);
    if (e > a + page) (void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* n*size rounded up to a multiple of 64 (aligned_alloc wants that), at least 64; 0 on overflow. */
static size_t aligned_bytes(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) return 0;
    size_t bytes = n * size;
    if (bytes > SIZE_MAX - 63) return 0;
    bytes = (bytes + 63) & ~(size_t)63;
    return bytes ? bytes : 64;
}

void *sw_alloc_aligned(size_t n, size_t size)
{
    size_t bytes = aligned_bytes(n, size);
    void *p = bytes ? aligned_alloc(64, bytes) : NULL;
    if (p) prefault(p, bytes);
    return p;
}

void *sw_calloc_aligned(size_t n, size_t size)
{
    void *p = sw_alloc_aligned(n, size);
    if (p) memset(p, 0, aligned_bytes(n, size));
    return p;
}

void sw_free(void *p) { free(p); }

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

/* MXCSR bit 15 = FTZ (flush results), bit 6 = DAZ (treat denormal inputs as zero).
 * Denormals appear in every decaying recurrence and cost ~100 cycles each on x86. */
void sw_fpenv_enter(sw_fpenv *env)
{
#ifdef SW_HAVE_MXCSR
    unsigned int csr = _mm_getcsr();
    env->saved = csr;
    _mm_setcsr(csr | 0x8040u);
#else
    env->saved = 0;
#endif
}

void sw_fpenv_leave(const sw_fpenv *env)
{
#ifdef SW_HAVE_MXCSR
    _mm_setcsr(env->saved);
#else
    (void)env;
#endif
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
