/* bench_core.c — per-layer cost of one recurrent step at batch 1 (`make bench`).
 *
 * For each layer type and size: ns per sw_net_step (median of 7 repetitions of ~40 ms of
 * thread CPU time), GFLOP/s
 * achieved, and the fraction of this core's single-core FMA peak, which we measure first
 * with an unrolled loop of independent FMAs on the widest ISA the CPU has.
 *
 * Flops are counted for the arithmetic the recurrent step really does (kernels.c):
 * real multiply-add = 2, complex multiply-add = 8; transcendental functions (exp in the
 * Mamba scan, SiLU, softplus) are counted as 0, so the Mamba figure is a lower bound. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "statewave.h"
#include "core_util.h"
#include "kernels.h"   /* sw_kernels_name() */

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* This thread's CPU time: on a shared machine, time while descheduled is not counted
 * (other processes still share caches and memory bandwidth). */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ------------------------------------------------------------ FMA peak -- */
/* 12 independent accumulator chains in registers: more than FMA latency x FMA ports on
 * current cores (4 cycles x 2 ports = 8), so the loop is bound by FMA throughput alone. */
#define PEAK_ITERS 50000000L

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f"))) static double peak_avx512(void)
{
    const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    __m512 a0 = _mm512_set1_ps(0), a1 = _mm512_set1_ps(1), a2 = _mm512_set1_ps(2), a3 = _mm512_set1_ps(3), a4 = _mm512_set1_ps(4), a5 = _mm512_set1_ps(5), a6 = _mm512_set1_ps(6),
        a7 = _mm512_set1_ps(7), a8 = _mm512_set1_ps(8), a9 = _mm512_set1_ps(9), a10 = _mm512_set1_ps(10), a11 = _mm512_set1_ps(11);
    double t0 = now_s();
    for (long it = 0; it < PEAK_ITERS; it++) {
        a0 = _mm512_fmadd_ps(a0, m, c); a1 = _mm512_fmadd_ps(a1, m, c); a2 = _mm512_fmadd_ps(a2, m, c); a3 = _mm512_fmadd_ps(a3, m, c);
        a4 = _mm512_fmadd_ps(a4, m, c); a5 = _mm512_fmadd_ps(a5, m, c); a6 = _mm512_fmadd_ps(a6, m, c); a7 = _mm512_fmadd_ps(a7, m, c);
        a8 = _mm512_fmadd_ps(a8, m, c); a9 = _mm512_fmadd_ps(a9, m, c); a10 = _mm512_fmadd_ps(a10, m, c); a11 = _mm512_fmadd_ps(a11, m, c);
    }
    double t = now_s() - t0;
    float buf[16];
    _mm512_storeu_ps(buf, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)), _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7))), _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11))));
    if (buf[0] == 12345.0f) puts("");   /* keeps the chains alive */
    return (double)PEAK_ITERS * 12 * 16 * 2 / t;
}

__attribute__((target("avx2,fma"))) static double peak_avx2(void)
{
    const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    __m256 a0 = _mm256_set1_ps(0), a1 = _mm256_set1_ps(1), a2 = _mm256_set1_ps(2), a3 = _mm256_set1_ps(3), a4 = _mm256_set1_ps(4), a5 = _mm256_set1_ps(5), a6 = _mm256_set1_ps(6),
        a7 = _mm256_set1_ps(7), a8 = _mm256_set1_ps(8), a9 = _mm256_set1_ps(9), a10 = _mm256_set1_ps(10), a11 = _mm256_set1_ps(11);
    double t0 = now_s();
    for (long it = 0; it < PEAK_ITERS; it++) {
        a0 = _mm256_fmadd_ps(a0, m, c); a1 = _mm256_fmadd_ps(a1, m, c); a2 = _mm256_fmadd_ps(a2, m, c); a3 = _mm256_fmadd_ps(a3, m, c);
        a4 = _mm256_fmadd_ps(a4, m, c); a5 = _mm256_fmadd_ps(a5, m, c); a6 = _mm256_fmadd_ps(a6, m, c); a7 = _mm256_fmadd_ps(a7, m, c);
        a8 = _mm256_fmadd_ps(a8, m, c); a9 = _mm256_fmadd_ps(a9, m, c); a10 = _mm256_fmadd_ps(a10, m, c); a11 = _mm256_fmadd_ps(a11, m, c);
    }
    double t = now_s() - t0;
    float buf[16];
    _mm256_storeu_ps(buf, _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)), _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7))), _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11))));
    if (buf[0] == 12345.0f) puts("");   /* keeps the chains alive */
    return (double)PEAK_ITERS * 12 * 8 * 2 / t;
}

#endif

/* baseline x86-64 has no FMA: a multiply and an add, 2 flops per lane */
static inline __m128 sse_muladd(__m128 a, __m128 m, __m128 c) { return _mm_add_ps(_mm_mul_ps(a, m), c); }
static double peak_sse(void)
{
    const __m128 m = _mm_set1_ps(0.999999f), c = _mm_set1_ps(1e-7f);
    __m128 a0 = _mm_set1_ps(0), a1 = _mm_set1_ps(1), a2 = _mm_set1_ps(2), a3 = _mm_set1_ps(3), a4 = _mm_set1_ps(4), a5 = _mm_set1_ps(5), a6 = _mm_set1_ps(6),
        a7 = _mm_set1_ps(7), a8 = _mm_set1_ps(8), a9 = _mm_set1_ps(9), a10 = _mm_set1_ps(10), a11 = _mm_set1_ps(11);
    double t0 = now_s();
    for (long it = 0; it < PEAK_ITERS; it++) {
        a0 = sse_muladd(a0, m, c); a1 = sse_muladd(a1, m, c); a2 = sse_muladd(a2, m, c); a3 = sse_muladd(a3, m, c);
        a4 = sse_muladd(a4, m, c); a5 = sse_muladd(a5, m, c); a6 = sse_muladd(a6, m, c); a7 = sse_muladd(a7, m, c);
        a8 = sse_muladd(a8, m, c); a9 = sse_muladd(a9, m, c); a10 = sse_muladd(a10, m, c); a11 = sse_muladd(a11, m, c);
    }
    double t = now_s() - t0;
    float buf[16];
    _mm_storeu_ps(buf, _mm_add_ps(_mm_add_ps(_mm_add_ps(_mm_add_ps(a0, a1), _mm_add_ps(a2, a3)), _mm_add_ps(_mm_add_ps(a4, a5), _mm_add_ps(a6, a7))), _mm_add_ps(_mm_add_ps(a8, a9), _mm_add_ps(a10, a11))));
    if (buf[0] == 12345.0f) puts("");   /* keeps the chains alive */
    return (double)PEAK_ITERS * 12 * 4 * 2 / t;
}

static double measure_peak(const char **isa)
{
    double (*fn)(void) = peak_sse;
    *isa = "SSE2 (mul+add)";
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) { fn = peak_avx512; *isa = "AVX-512 FMA"; }
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) { fn = peak_avx2; *isa = "AVX2 FMA"; }
#endif
    double best = 0;
    for (int r = 0; r < 5; r++) {
        double p = fn();
        if (p > best) best = p;
    }
    return best;
}

/* --------------------------------------------------------------- layers -- */

typedef struct {
    const char *name;    /* table label */
    int d, n;            /* d_model, state size (0 = none) */
    double flops;        /* per step */
    sw_model *m;
} bench_case;

static sw_model *load_or_die(tw_file *f, const char *cfg)
{
    size_t len;
    unsigned char *b = tw_build(f, cfg, &len);
    sw_model *m;
    char err[512];
    if (sw_model_load_memory(b, len, &m, err, sizeof err) != SW_OK) {
        fprintf(stderr, "bench: %s\n", err);
        exit(1);
    }
    free(b);
    tw_free(f);
    return m;
}

static sw_model *make_layer(const char *type, int d, int n, double *flops)
{
    tw_file *f = malloc(sizeof *f);
    char cfg[1024];
    const double D = d, N = n;
    tw_init(f, (uint64_t)(d * 131 + n));
    if (!strcmp(type, "linear")) {
        tw_linear(f, "l", d, d, 1);
        snprintf(cfg, sizeof cfg, "{\"version\":1,\"d_input\":%d,\"d_output\":%d,\"layers\":["
                 "{\"type\":\"linear\",\"name\":\"l\",\"d_in\":%d,\"d_out\":%d,\"bias\":true}]}", d, d, d, d);
        *flops = 2 * D * D;
    } else if (!strcmp(type, "s4d")) {
        tw_s4d(f, "s", d, n);
        snprintf(cfg, sizeof cfg, "{\"version\":1,\"d_input\":%d,\"d_output\":%d,\"layers\":["
                 "{\"type\":\"s4d\",\"name\":\"s\",\"d\":%d,\"n\":%d,\"disc\":\"zoh\"}]}", d, d, d, n);
        /* per mode: Ā·s complex multiply (6) + u (1) + Re(C's) two real MACs (4); per channel 2y + Du (3) */
        *flops = 11 * D * N + 3 * D;
    } else if (!strcmp(type, "lru") || !strcmp(type, "s5")) {
        int s5 = !strcmp(type, "s5");
        if (s5) tw_s5(f, "s", d, n);
        else tw_lru(f, "s", d, n);
        snprintf(cfg, sizeof cfg, "{\"version\":1,\"d_input\":%d,\"d_output\":%d,\"layers\":["
                 "{\"type\":\"%s\",\"name\":\"s\",\"d\":%d,\"%s\":%d%s}]}", d, d, type, d, s5 ? "p" : "n", n,
                 s5 ? ",\"disc\":\"zoh\",\"conj\":true" : "");
        /* B̄u: 2N×H real MACs; λ⊙h + t: N complex MACs; Re(C̄h): H×2N real MACs; Du: H MACs */
        *flops = 4 * N * D + 8 * N + 4 * N * D + 2 * D;
    } else {                   /* mamba: E = 2d, d_conv 4, dt_rank ceil(d/16) */
        int e = 2 * d, r = (d + 15) / 16;
        tw_mamba(f, "m", d, e, n, 4, r);
        snprintf(cfg, sizeof cfg, "{\"version\":1,\"d_input\":%d,\"d_output\":%d,\"layers\":["
                 "{\"type\":\"mamba\",\"name\":\"m\",\"d\":%d,\"d_inner\":%d,\"d_state\":%d,\"d_conv\":4,\"dt_rank\":%d}]}",
                 d, d, d, e, n, r);
        const double E = e, R = r;
        *flops = 2 * (2 * E) * D        /* in_proj */
               + 2 * 4 * E              /* conv */
               + 2 * (R + 2 * N) * E    /* x_proj */
               + 2 * E * R              /* dt_proj */
               + 6 * E * N + E          /* scan: ΔA, Ā h + (Δx) B, y += C h; Δx */
               + 2 * E + E              /* D x, y ⊙ silu(z) */
               + 2 * D * E;             /* out_proj */
    }
    sw_model *m = load_or_die(f, cfg);
    free(f);
    return m;
}

/* median ns per sw_net_step */
static double time_steps(sw_model *m)
{
    sw_net *n;
    if (sw_net_create(m, &n, NULL, 0) != SW_OK) exit(1);
    const int di = sw_model_d_input(m), dout = sw_model_d_output(m);
    float *x = tw_input(1, (size_t)di * 256, 1.0, 0), *y = malloc((size_t)dout * sizeof *y);
    /* calibrate: about 40 ms per repetition */
    long steps = 16;
    for (;;) {
        double t0 = now_s();
        for (long s = 0; s < steps; s++) sw_net_step(n, x + (s & 255) * di, y);
        if (now_s() - t0 > 0.04 || steps > (1L << 26)) break;
        steps *= 2;
    }
    double reps[7];
    for (int r = 0; r < 7; r++) {
        double t0 = now_s();
        for (long s = 0; s < steps; s++) sw_net_step(n, x + (s & 255) * di, y);
        reps[r] = (now_s() - t0) / (double)steps * 1e9;
    }
    qsort(reps, 7, sizeof reps[0], cmp_double);
    free(x);
    free(y);
    sw_net_destroy(n);
    return reps[3];
}

int main(void)
{
    const char *isa;
    double peak = measure_peak(&isa);
    printf("Single-core FP32 peak (%s, 12 independent chains): %.1f GFLOP/s; kernels: %s\n\n", isa, peak / 1e9,
           sw_kernels_name());
    printf("| layer | d_model | state | ns/step | GFLOP/s | %% of peak |\n");
    printf("|---|---:|---:|---:|---:|---:|\n");
    static const int dims[] = {64, 128, 256}, states[] = {16, 32, 64};
    static const char *const types[] = {"linear", "s4d", "lru", "s5", "mamba"};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
        for (size_t i = 0; i < 3; i++)
            for (size_t j = 0; j < 3; j++) {
                int lin = !strcmp(types[t], "linear");
                if (lin && j > 0) continue;
                double flops;
                sw_model *m = make_layer(types[t], dims[i], lin ? 0 : states[j], &flops);
                double ns = time_steps(m);
                double gf = flops / ns;
                char label[32];
                snprintf(label, sizeof label, "%s%s", types[t], !strcmp(types[t], "s4d") || !strcmp(types[t], "s5") ? " (zoh)" : "");
                if (lin) printf("| %s | %d | – | %.0f | %.2f | %.1f%% |\n", label, dims[i], ns, gf, 100 * gf * 1e9 / peak);
                else printf("| %s | %d | %d | %.0f | %.2f | %.1f%% |\n", label, dims[i], states[j], ns, gf, 100 * gf * 1e9 / peak);
                fflush(stdout);
                sw_model_free(m);
            }
    return 0;
}
