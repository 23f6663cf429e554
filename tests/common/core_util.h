/* core_util.h — shared helpers for the core tests (tests/unit/test_core_*.c,
 * tests/rt/test_core_alloc.c, tests/fuzz/fuzz_loader.c, bench/bench_core.c): a tiny in-memory
 * safetensors writer, seeded random weights with sensible ranges for every layer type, and
 * ready-made configs.
 *
 * Header-only (static functions), so each test binary stays one translation unit.
 *
 * Usage:
 *     tw_file f; tw_init(&f, 42);
 *     tw_linear(&f, "in", 4, 8, 1);            // adds in.weight [8,4], in.bias [8]
 *     size_t len; unsigned char *bytes = tw_build(&f, config_json, &len);
 *     ... sw_model_load_memory(bytes, len, ...); free(bytes); tw_free(&f);
 * The header JSON is written in a fixed shape, `"<name>":{"dtype":"F32","shape":[..],
 * "data_offsets":[b,e]}`, so corruption tests can edit it as text (tw_header/tw_assemble). */
#ifndef SW_TEST_CORE_UTIL_H
#define SW_TEST_CORE_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TW_MAX_TENSORS 1024
/* every helper is static; not every test uses all of them */
#define TW_FN static __attribute__((unused))

typedef struct {
    char name[160];      /* tensor name */
    int rank;            /* 1..4 */
    int64_t shape[4];    /* [rank] */
    size_t count;        /* prod(shape) */
    float *data;         /* [count] (owned) */
    int bf16;            /* 1: written as dtype BF16 (data rounded to nearest even), see tw_bf16 */
} tw_tensor;

typedef struct {
    tw_tensor t[TW_MAX_TENSORS]; /* [n] in insertion order (= data order) */
    int n;
    uint64_t rng;        /* xorshift64 state */
} tw_file;

TW_FN void tw_init(tw_file *f, uint64_t seed)
{
    memset(f, 0, sizeof *f);
    f->rng = seed * 0x9E3779B97F4A7C15ull + 1;
}

TW_FN void tw_free(tw_file *f)
{
    for (int i = 0; i < f->n; i++) free(f->t[i].data);
    f->n = 0;
}

/* uniform in [0, 1) */
TW_FN double tw_u01(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return (double)(x >> 11) * (1.0 / 9007199254740992.0);
}

/* uniform in [-1, 1) */
TW_FN double tw_uni(uint64_t *s) { return 2.0 * tw_u01(s) - 1.0; }

/* Adds a tensor with `count` values produced by fill(i) — returned pointer can be edited. */
TW_FN float *tw_add(tw_file *f, const char *name, int rank, int64_t d0, int64_t d1)
{
    if (f->n >= TW_MAX_TENSORS) abort();
    tw_tensor *t = &f->t[f->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rank = rank;
    t->shape[0] = d0;
    t->shape[1] = d1;
    t->count = (size_t)d0 * (rank == 2 ? (size_t)d1 : 1);
    t->data = calloc(t->count ? t->count : 1, sizeof(float));
    return t->data;
}

/* name + "." + param, uniform values scale*U(-1,1) + offset */
TW_FN float *tw_param(tw_file *f, const char *layer, const char *param, int rank, int64_t d0, int64_t d1,
                       double scale, double offset)
{
    char name[160];
    snprintf(name, sizeof name, "%s.%s", layer, param);
    float *p = tw_add(f, name, rank, d0, d1);
    size_t count = (size_t)d0 * (rank == 2 ? (size_t)d1 : 1);
    for (size_t i = 0; i < count; i++) p[i] = (float)(offset + scale * tw_uni(&f->rng));
    return p;
}

TW_FN tw_tensor *tw_find(tw_file *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0) return &f->t[i];
    return NULL;
}

/* ---------------------------------------------------- per-layer weights -- */

TW_FN void tw_linear(tw_file *f, const char *name, int d_in, int d_out, int bias)
{
    tw_param(f, name, "weight", 2, d_out, d_in, 1.0 / sqrt(d_in), 0.0);
    if (bias) tw_param(f, name, "bias", 1, d_out, 0, 0.1, 0.0);
}

TW_FN void tw_conv1d(tw_file *f, const char *name, int d, int k)
{
    tw_param(f, name, "weight", 2, d, k, 1.0 / sqrt(k), 0.0);
    tw_param(f, name, "bias", 1, d, 0, 0.1, 0.0);
}

TW_FN void tw_norm(tw_file *f, const char *name, int d, int layer)
{
    tw_param(f, name, "weight", 1, d, 0, 0.1, 1.0);
    if (layer) tw_param(f, name, "bias", 1, d, 0, 0.1, 0.0);
}

TW_FN void tw_embedding(tw_file *f, const char *name, int n, int d) { tw_param(f, name, "weight", 2, n, d, 1.0, 0.0); }

/* S4D-Lin style: A = -1/2 + iπn, Δ log-uniform in [1e-3, 1e-1] */
TW_FN void tw_s4d(tw_file *f, const char *name, int h, int n)
{
    float *log_dt = tw_param(f, name, "log_dt", 1, h, 0, 0.0, 0.0);
    for (int i = 0; i < h; i++) log_dt[i] = (float)(log(1e-3) + tw_u01(&f->rng) * (log(1e-1) - log(1e-3)));
    tw_param(f, name, "log_A_real", 2, h, n, 0.0, log(0.5));
    float *a_im = tw_param(f, name, "A_imag", 2, h, n, 0.0, 0.0);
    for (int i = 0; i < h * n; i++) a_im[i] = (float)(M_PI * (i % n));
    tw_param(f, name, "B_re", 2, h, n, 0.5, 1.0);
    tw_param(f, name, "B_im", 2, h, n, 0.5, 0.0);
    tw_param(f, name, "C_re", 2, h, n, 0.5, 0.0);
    tw_param(f, name, "C_im", 2, h, n, 0.5, 0.0);
    tw_param(f, name, "D", 1, h, 0, 1.0, 0.0);
}

/* ring init: |λ| in [0.9, 0.99], phase in [0.01, π], γ = sqrt(1-|λ|²) */
TW_FN void tw_lru(tw_file *f, const char *name, int h, int n)
{
    float *nu = tw_param(f, name, "nu_log", 1, n, 0, 0.0, 0.0);
    float *th = tw_param(f, name, "theta_log", 1, n, 0, 0.0, 0.0);
    float *ga = tw_param(f, name, "gamma_log", 1, n, 0, 0.0, 0.0);
    for (int i = 0; i < n; i++) {
        double r = 0.9 + 0.09 * tw_u01(&f->rng);
        nu[i] = (float)log(-log(r));
        th[i] = (float)log(0.01 + (M_PI - 0.01) * tw_u01(&f->rng));
        ga[i] = (float)log(sqrt(1.0 - r * r));
    }
    tw_param(f, name, "B_re", 2, n, h, 1.0 / sqrt(2.0 * h), 0.0);
    tw_param(f, name, "B_im", 2, n, h, 1.0 / sqrt(2.0 * h), 0.0);
    tw_param(f, name, "C_re", 2, h, n, 1.0 / sqrt(n), 0.0);
    tw_param(f, name, "C_im", 2, h, n, 1.0 / sqrt(n), 0.0);
    tw_param(f, name, "D", 1, h, 0, 1.0, 0.0);
}

TW_FN void tw_s5(tw_file *f, const char *name, int h, int p)
{
    tw_param(f, name, "log_Lambda_real", 1, p, 0, 0.0, log(0.5));
    float *im = tw_param(f, name, "Lambda_imag", 1, p, 0, 0.0, 0.0);
    for (int i = 0; i < p; i++) im[i] = (float)(M_PI * i);
    float *ls = tw_param(f, name, "log_step", 1, p, 0, 0.0, 0.0);
    for (int i = 0; i < p; i++) ls[i] = (float)(log(1e-3) + tw_u01(&f->rng) * (log(1e-1) - log(1e-3)));
    tw_param(f, name, "B_re", 2, p, h, 1.0 / sqrt(h), 0.0);
    tw_param(f, name, "B_im", 2, p, h, 1.0 / sqrt(h), 0.0);
    tw_param(f, name, "C_re", 2, h, p, 1.0 / sqrt(p), 0.0);
    tw_param(f, name, "C_im", 2, h, p, 1.0 / sqrt(p), 0.0);
    tw_param(f, name, "D", 1, h, 0, 1.0, 0.0);
}

TW_FN void tw_mamba(tw_file *f, const char *name, int h, int e, int n, int k, int r)
{
    tw_param(f, name, "in_proj.weight", 2, 2 * e, h, 1.0 / sqrt(h), 0.0);
    tw_param(f, name, "conv1d.weight", 2, e, k, 1.0 / sqrt(k), 0.0);
    tw_param(f, name, "conv1d.bias", 1, e, 0, 0.1, 0.0);
    tw_param(f, name, "x_proj.weight", 2, r + 2 * n, e, 1.0 / sqrt(e), 0.0);
    tw_param(f, name, "dt_proj.weight", 2, e, r, 1.0 / sqrt(r), 0.0);
    float *dtb = tw_param(f, name, "dt_proj.bias", 1, e, 0, 0.0, 0.0);
    for (int i = 0; i < e; i++) {   /* softplus^-1 of Δ log-uniform in [1e-3, 1e-1] */
        double dt = exp(log(1e-3) + tw_u01(&f->rng) * (log(1e-1) - log(1e-3)));
        dtb[i] = (float)log(expm1(dt));
    }
    float *alog = tw_param(f, name, "A_log", 2, e, n, 0.0, 0.0);
    for (int i = 0; i < e * n; i++) alog[i] = (float)log(1.0 + (i % n));
    tw_param(f, name, "D", 1, e, 0, 0.0, 1.0);
    tw_param(f, name, "out_proj.weight", 2, h, e, 1.0 / sqrt(e), 0.0);
}

TW_FN void tw_pool(tw_file *f, const char *name, int d, int p, int e)
{
    tw_param(f, name, "down.weight", 2, (int64_t)d * e, (int64_t)p * d, 1.0 / sqrt(p * d), 0.0);
    tw_param(f, name, "down.bias", 1, (int64_t)d * e, 0, 0.1, 0.0);
    tw_param(f, name, "up.weight", 2, (int64_t)p * d, (int64_t)d * e, 1.0 / sqrt(d * e), 0.0);
    tw_param(f, name, "up.bias", 1, (int64_t)p * d, 0, 0.1, 0.0);
}

/* ------------------------------------------------------------ file bytes -- */

/* JSON string escaping for the config-in-a-string (only " and \ occur in our configs). */
TW_FN char *tw_json_escape(const char *s)
{
    size_t n = strlen(s);
    char *o = malloc(2 * n + 1), *p = o;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\') *p++ = '\\';
        *p++ = s[i];
    }
    *p = '\0';
    return o;
}

/* Header JSON text for the tensors of f (data laid out back to back in order) and the
 * given config (raw JSON, escaped into a string here). Caller frees. */
TW_FN char *tw_header(const tw_file *f, const char *config)
{
    char *cfg = tw_json_escape(config);
    size_t cap = strlen(cfg) + 256 + (size_t)f->n * 256, len = 0;
    char *h = malloc(cap);
    len += (size_t)snprintf(h + len, cap - len, "{\"__metadata__\":{\"format\":\"statewave\",\"config\":\"%s\"}", cfg);
    size_t off = 0;
    for (int i = 0; i < f->n; i++) {
        const tw_tensor *t = &f->t[i];
        const size_t es = t->bf16 ? 2 : 4;
        len += (size_t)snprintf(h + len, cap - len, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[", t->name,
                                t->bf16 ? "BF16" : "F32");
        for (int k = 0; k < t->rank; k++)
            len += (size_t)snprintf(h + len, cap - len, k ? ",%lld" : "%lld", (long long)t->shape[k]);
        len += (size_t)snprintf(h + len, cap - len, "],\"data_offsets\":[%zu,%zu]}", off, off + es * t->count);
        off += es * t->count;
    }
    snprintf(h + len, cap - len, "}");
    free(cfg);
    return h;
}

/* Data section of f (little-endian floats, x86 is LE). *len = bytes. Caller frees. */
TW_FN unsigned char *tw_data(const tw_file *f, size_t *len)
{
    size_t n = 0;
    for (int i = 0; i < f->n; i++) n += (f->t[i].bf16 ? 2 : 4) * f->t[i].count;
    unsigned char *d = malloc(n ? n : 1), *p = d;
    for (int i = 0; i < f->n; i++) {
        if (f->t[i].bf16) {      /* the upper halves: tw_bf16 already rounded the values */
            for (size_t k = 0; k < f->t[i].count; k++) {
                uint32_t u;
                memcpy(&u, &f->t[i].data[k], 4);
                p[2 * k] = (unsigned char)(u >> 16);
                p[2 * k + 1] = (unsigned char)(u >> 24);
            }
            p += 2 * f->t[i].count;
            continue;
        }
        memcpy(p, f->t[i].data, 4 * f->t[i].count);
        p += 4 * f->t[i].count;
    }
    *len = n;
    return d;
}

/* Marks tensor `name` BF16 and rounds its values to bf16 (nearest even), in place, so that
 * t->data holds exactly what the loader will widen. Returns the tensor. */
TW_FN tw_tensor *tw_bf16(tw_file *f, const char *name)
{
    tw_tensor *t = tw_find(f, name);
    t->bf16 = 1;
    for (size_t k = 0; k < t->count; k++) {
        uint32_t u;
        memcpy(&u, &t->data[k], 4);
        if ((u & 0x7F800000u) != 0x7F800000u) u = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
        else u &= 0xFFFF0000u;   /* Inf stays Inf, a NaN keeps its upper half (tests put NaN there) */
        memcpy(&t->data[k], &u, 4);
    }
    return t;
}

/* u64 LE header length | header | data. Caller frees. */
TW_FN unsigned char *tw_assemble(const char *header, const unsigned char *data, size_t data_len, size_t *len)
{
    size_t hl = strlen(header);
    unsigned char *b = malloc(8 + hl + data_len + 1);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(b + 8, header, hl);
    if (data_len) memcpy(b + 8 + hl, data, data_len);
    *len = 8 + hl + data_len;
    return b;
}

TW_FN unsigned char *tw_build(const tw_file *f, const char *config, size_t *len)
{
    size_t dl;
    char *h = tw_header(f, config);
    unsigned char *d = tw_data(f, &dl);
    unsigned char *b = tw_assemble(h, d, dl, len);
    free(h);
    free(d);
    return b;
}

/* Replaces the first occurrence of `from` in s by `to`; returns a new string or NULL if absent. */
TW_FN char *tw_replace(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    if (!p) return NULL;
    size_t a = (size_t)(p - s), fl = strlen(from), tl = strlen(to), sl = strlen(s);
    char *o = malloc(sl - fl + tl + 1);
    memcpy(o, s, a);
    memcpy(o + a, to, tl);
    memcpy(o + a + tl, p + fl, sl - a - fl + 1);
    return o;
}

/* ------------------------------------------------------ ready-made models -- */

/* A network with every layer type (embedding optional, then a float path), two nested pools,
 * residuals and all four SSM kinds. d_input = 1 with embedding, else 3; d_output = 4.
 * Writes the config into cfg[cap] and the weights into f. */
TW_FN void tw_model_all(tw_file *f, int with_embedding, char *cfg, size_t cap)
{
    int d_in = with_embedding ? 1 : 3;
    if (with_embedding) tw_embedding(f, "emb", 16, 3);
    tw_linear(f, "lin0", 3, 8, 1);
    tw_conv1d(f, "conv", 8, 3);
    tw_norm(f, "n0", 8, 0);
    tw_norm(f, "r0.norm", 8, 1);
    tw_s4d(f, "r0.s4d", 8, 4);
    tw_pool(f, "p0", 8, 2, 2);
    tw_lru(f, "p0.lru", 16, 6);
    tw_s5(f, "p0.s5", 16, 5);
    tw_pool(f, "p1", 16, 3, 1);
    tw_mamba(f, "p1.mamba", 16, 24, 4, 4, 2);
    tw_s5(f, "s5z", 8, 3);
    tw_s4d(f, "s4b", 8, 3);
    tw_linear(f, "lin1", 8, 12, 1);
    tw_linear(f, "out", 6, 4, 0);
    snprintf(cfg, cap,
        "{\"version\":1,\"d_input\":%d,\"d_output\":4,\"task\":\"test\",\"task_params\":{\"k\":[1,2]},\"layers\":["
        "%s"
        "{\"type\":\"linear\",\"name\":\"lin0\",\"d_in\":3,\"d_out\":8,\"bias\":true},"
        "{\"type\":\"conv1d\",\"name\":\"conv\",\"d\":8,\"kernel\":3},"
        "{\"type\":\"norm\",\"name\":\"n0\",\"kind\":\"rms\",\"d\":8,\"eps\":1e-5},"
        "{\"type\":\"residual\",\"layers\":["
            "{\"type\":\"norm\",\"name\":\"r0.norm\",\"kind\":\"layer\",\"d\":8,\"eps\":1e-5},"
            "{\"type\":\"s4d\",\"name\":\"r0.s4d\",\"d\":8,\"n\":4,\"disc\":\"zoh\"},"
            "{\"type\":\"act\",\"fn\":\"gelu\",\"d\":8}]},"
        "{\"type\":\"residual\",\"layers\":[{\"type\":\"pool\",\"name\":\"p0\",\"d\":8,\"factor\":2,\"expand\":2,\"layers\":["
            "{\"type\":\"lru\",\"name\":\"p0.lru\",\"d\":16,\"n\":6},"
            "{\"type\":\"residual\",\"layers\":["
                "{\"type\":\"s5\",\"name\":\"p0.s5\",\"d\":16,\"p\":5,\"disc\":\"bilinear\",\"conj\":true},"
                "{\"type\":\"act\",\"fn\":\"silu\",\"d\":16}]},"
            "{\"type\":\"pool\",\"name\":\"p1\",\"d\":16,\"factor\":3,\"expand\":1,\"layers\":["
                "{\"type\":\"mamba\",\"name\":\"p1.mamba\",\"d\":16,\"d_inner\":24,\"d_state\":4,\"d_conv\":4,\"dt_rank\":2}]}]}]},"
        "{\"type\":\"residual\",\"layers\":[{\"type\":\"s5\",\"name\":\"s5z\",\"d\":8,\"p\":3,\"disc\":\"zoh\",\"conj\":false}]},"
        "{\"type\":\"s4d\",\"name\":\"s4b\",\"d\":8,\"n\":3,\"disc\":\"bilinear\"},"
        "{\"type\":\"linear\",\"name\":\"lin1\",\"d_in\":8,\"d_out\":12,\"bias\":true},"
        "{\"type\":\"glu\",\"d_in\":12},"
        "{\"type\":\"residual\",\"layers\":[{\"type\":\"act\",\"fn\":\"sigmoid\",\"d\":6}]},"
        "{\"type\":\"residual\",\"layers\":[{\"type\":\"act\",\"fn\":\"relu\",\"d\":6}]},"
        "{\"type\":\"act\",\"fn\":\"tanh\",\"d\":6},"
        "{\"type\":\"linear\",\"name\":\"out\",\"d_in\":6,\"d_out\":4,\"bias\":false}]}",
        d_in, with_embedding ? "{\"type\":\"embedding\",\"name\":\"emb\",\"n\":16,\"d\":3}," : "");
}

/* Loads bytes into a model or aborts the test with the loader's message. */
#define TW_LOAD(bytes, len, model)                                                        \
    do {                                                                                  \
        char tw_err_[512] = "";                                                           \
        sw_status tw_st_ = sw_model_load_memory((bytes), (len), &(model), tw_err_, sizeof tw_err_); \
        if (tw_st_ != SW_OK) fail_msg("model load failed: %s: %s", sw_status_str(tw_st_), tw_err_); \
    } while (0)

/* Random input frames: uniform in [-amp, amp], or integer indices in [0, n) if n > 0. */
TW_FN float *tw_input(uint64_t seed, size_t count, double amp, int n)
{
    uint64_t s = seed * 2654435761u + 7;
    float *x = malloc(count * sizeof *x);
    for (size_t i = 0; i < count; i++)
        x[i] = n > 0 ? (float)(int)(tw_u01(&s) * n) : (float)(amp * tw_uni(&s));
    return x;
}

#endif
