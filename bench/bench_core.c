/* bench_core.c — per-layer cost of one recurrent step at batch 1 (`make bench`).
 *
 * For each layer type and size: ns per sw_net_step (median of 7 repetitions of ~40 ms of
 * thread CPU time), GFLOP/s
 * achieved, and the fraction of this core's single-core FMA peak, which we measure first
 * with an unrolled loop of independent FMAs on the widest ISA the CPU has.
 *
 * Flops are counted for the arithmetic the recurrent step really does (kernels.c):
 * real multiply-add = 2, complex multiply-add = 8; transcendental functions (exp in the
 * Mamba scan, SiLU, softplus) are counted as 0, so the Mamba figure is a lower bound.
 *
 * Roofline: a batch-1 step reads every weight once and reads and writes its state, so its
 * bytes read per step are counted like its flops (the packed layouts of kernels.h). The step's
 * working set (those bytes) decides which level of the memory hierarchy feeds it. The read
 * bandwidth of L1, L2, L3 and DRAM is measured with buffers of half each cache (and 8 x L3
 * for DRAM), and for each kernel with a buffer of its own working set. A kernel's bound is
 * min(FMA peak, flop/byte x that bandwidth); the table gives which one it is and the
 * fraction of it achieved, and the gap (bound / achieved). Bytes are the bytes read (the
 * bandwidth measured is read bandwidth); the state written back goes to lines the step has
 * just read.
 *
 * A second table steps 16 nets of one model together (swi_net_step_batch, as the instrument
 * steps its voices): the weights are read once for the batch, so per net step the bytes are the
 * weights / 16 plus the net's own state and input, and the same roofline applies per net step. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "statewave.h"
#include "core_util.h"
#include "kernels.h"   /* sw_kernels_name() */
#include "model.h"     /* swi_net_step_batch */
#include "bench_util.h"  /* now_s(), cmp_double() */

#if defined(__x86_64__)
#include <immintrin.h>
#endif


/* ------------------------------------------------------------ FMA peak -- */
/* 12 independent accumulator chains in registers: more than FMA latency x FMA ports on
 * current cores (4 cycles x 2 ports = 8), so the loop is bound by FMA throughput alone. */
#define PEAK_ITERS 50000000L

/* The body of a peak function for vector type V of W float lanes: SET1 broadcasts, MULADD(a, m, c)
 * is one multiply-add per lane (2 flops), ADD and STOREU as their intrinsics. */
#define PEAK(V, W, SET1, MULADD, ADD, STOREU)                                                         \
    const V m = SET1(0.999999f), c = SET1(1e-7f);                                                     \
    V a0 = SET1(0), a1 = SET1(1), a2 = SET1(2), a3 = SET1(3), a4 = SET1(4), a5 = SET1(5), a6 = SET1(6), \
        a7 = SET1(7), a8 = SET1(8), a9 = SET1(9), a10 = SET1(10), a11 = SET1(11);                     \
    double t0 = now_s();                                                                              \
    for (long it = 0; it < PEAK_ITERS; it++) {                                                        \
        a0 = MULADD(a0, m, c); a1 = MULADD(a1, m, c); a2 = MULADD(a2, m, c); a3 = MULADD(a3, m, c);   \
        a4 = MULADD(a4, m, c); a5 = MULADD(a5, m, c); a6 = MULADD(a6, m, c); a7 = MULADD(a7, m, c);   \
        a8 = MULADD(a8, m, c); a9 = MULADD(a9, m, c); a10 = MULADD(a10, m, c); a11 = MULADD(a11, m, c); \
    }                                                                                                 \
    double t = now_s() - t0;                                                                          \
    float buf[16];                                                                                    \
    STOREU(buf, ADD(ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7))), ADD(ADD(a8, a9), ADD(a10, a11)))); \
    if (buf[0] == 12345.0f) puts("");   /* keeps the chains alive */                                 \
    return (double)PEAK_ITERS * 12 * (W) * 2 / t;

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f"))) static double peak_avx512(void)
{
    PEAK(__m512, 16, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_storeu_ps)
}

__attribute__((target("avx2,fma"))) static double peak_avx2(void)
{
    PEAK(__m256, 8, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_storeu_ps)
}
#endif

/* baseline x86-64 has no FMA: a multiply and an add, 2 flops per lane */
static inline __m128 sse_muladd(__m128 a, __m128 m, __m128 c) { return _mm_add_ps(_mm_mul_ps(a, m), c); }
static double peak_sse(void)
{
    PEAK(__m128, 4, _mm_set1_ps, sse_muladd, _mm_add_ps, _mm_storeu_ps)
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

/* ------------------------------------------------------- memory bandwidth -- */
/* Read bandwidth of a buffer of `bytes`: the widest loads the CPU has, into 8 independent
 * accumulators held in registers (more than add latency x add ports), passes repeated for
 * at least 50 ms; the best of 5 (bytes per second). */
#define READ_PASS(V, W, ZERO, LOAD, ADD)                                                    \
    V a0 = ZERO, a1 = ZERO, a2 = ZERO, a3 = ZERO, a4 = ZERO, a5 = ZERO, a6 = ZERO, a7 = ZERO; \
    for (long r = 0; r < passes; r++)                                                         \
        for (size_t i = 0; i + 8 * (W) <= n; i += 8 * (W)) {                                  \
            a0 = ADD(a0, LOAD(p + i));             a1 = ADD(a1, LOAD(p + i + (W)));           \
            a2 = ADD(a2, LOAD(p + i + 2 * (W)));   a3 = ADD(a3, LOAD(p + i + 3 * (W)));       \
            a4 = ADD(a4, LOAD(p + i + 4 * (W)));   a5 = ADD(a5, LOAD(p + i + 5 * (W)));       \
            a6 = ADD(a6, LOAD(p + i + 6 * (W)));   a7 = ADD(a7, LOAD(p + i + 7 * (W)));       \
        }                                                                                     \
    V sum = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));                \
    float lanes[W];                                                                           \
    memcpy(lanes, &sum, sizeof lanes);                                                        \
    return (double)lanes[0] + lanes[(W) - 1];

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f"))) static double read_pass_avx512(const float *p, size_t n, long passes)
{
    READ_PASS(__m512, 16, _mm512_setzero_ps(), _mm512_loadu_ps, _mm512_add_ps)
}

__attribute__((target("avx2"))) static double read_pass_avx2(const float *p, size_t n, long passes)
{
    READ_PASS(__m256, 8, _mm256_setzero_ps(), _mm256_loadu_ps, _mm256_add_ps)
}
#endif

static double read_pass_sse(const float *p, size_t n, long passes)
{
    READ_PASS(__m128, 4, _mm_setzero_ps(), _mm_loadu_ps, _mm_add_ps)
}

static double measure_read_bw(size_t bytes)
{
    double (*pass)(const float *, size_t, long) = read_pass_sse;
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx512f")) pass = read_pass_avx512;
    else if (__builtin_cpu_supports("avx2")) pass = read_pass_avx2;
#endif
    size_t n = bytes / sizeof(float);
    float *p = aligned_alloc(64, n * sizeof *p);
    if (!p) { fprintf(stderr, "bench: out of memory\n"); exit(1); }
    for (size_t i = 0; i < n; i++) p[i] = (float)(i & 1023) * 1e-3f;
    volatile double sink = pass(p, n, 1);   /* warm: pages touched, caches filled */
    long passes = 1;
    for (;;) {
        double t0 = now_s();
        sink += pass(p, n, passes);
        if (now_s() - t0 > 0.05 || passes > (1L << 30)) break;
        passes *= 2;
    }
    double best = 0;
    for (int r = 0; r < 5; r++) {
        double t0 = now_s();
        sink += pass(p, n, passes);
        double bw = (double)passes * (double)n * sizeof(float) / (now_s() - t0);
        if (bw > best) best = bw;
    }
    (void)sink;
    free(p);
    return best;
}

/* Size in bytes of this CPU's data or unified cache of `level` (Linux sysfs), 0 if unknown. */
static size_t cache_size(int level)
{
    for (int i = 0; i < 8; i++) {
        char path[96], buf[32] = "", type[32] = "";
        int lv = 0;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        FILE *f = fopen(path, "r");
        if (!f) break;
        if (fscanf(f, "%d", &lv) != 1) lv = 0;
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
        if ((f = fopen(path, "r"))) { if (!fgets(type, sizeof type, f)) type[0] = 0; fclose(f); }
        if (lv != level || !strncmp(type, "Instruction", 11)) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        if (!(f = fopen(path, "r"))) continue;
        if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
        fclose(f);
        char *end;
        size_t v = strtoul(buf, &end, 10);
        if (*end == 'K') v <<= 10;
        else if (*end == 'M') v <<= 20;
        return v;
    }
    return 0;
}

/* "model name", family and model of /proc/cpuinfo and the SIMD flags that matter to the kernels. */
static void print_cpu(void)
{
    char line[8192], model[256] = "unknown", flags[512] = "";
    int family = -1, number = -1;
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "cpu family", 10) && family < 0) {
            char *c = strchr(line, ':');
            if (c) family = atoi(c + 1);
        } else if (!strncmp(line, "model\t", 6) && number < 0) {
            char *c = strchr(line, ':');
            if (c) number = atoi(c + 1);
        } else if (!strncmp(line, "model name", 10) && !strcmp(model, "unknown")) {
            char *c = strchr(line, ':');
            if (c) { snprintf(model, sizeof model, "%s", c + 2); model[strcspn(model, "\n")] = 0; }
        } else if (!strncmp(line, "flags", 5) && !flags[0]) {
            static const char *const want[] = {"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw",
                                               "avx512vl", "avx512_bf16", "avx512_vnni"};
            for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
                char pat[32];
                snprintf(pat, sizeof pat, " %s", want[i]);
                const char *h = strstr(line, pat);
                if (h && (h[strlen(pat)] == ' ' || h[strlen(pat)] == '\n')) {
                    strncat(flags, want[i], sizeof flags - strlen(flags) - 2);
                    strcat(flags, " ");
                }
            }
        }
    }
    if (f) fclose(f);
    /* a virtual machine may hide the model name; family and model number still tell the core */
    printf("CPU: %s (family %d, model %d); flags: %s\n", model, family, number, flags);
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

/* flops and bytes read by one batch-1 step (every weight once, the state once; the state is
 * also written back, to the lines just read, which costs no further read bandwidth); *state_bytes
 * is the part of them that is per net (state, input), the rest is shared weights */
static sw_model *make_layer(const char *type, int d, int n, double *flops, double *bytes, double *state_bytes)
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
        *bytes = 4 * (D * D + 2 * D);                        /* W, bias, x */
        *state_bytes = 4 * D;
    } else if (!strcmp(type, "s4d")) {
        tw_s4d(f, "s", d, n);
        snprintf(cfg, sizeof cfg, "{\"version\":1,\"d_input\":%d,\"d_output\":%d,\"layers\":["
                 "{\"type\":\"s4d\",\"name\":\"s\",\"d\":%d,\"n\":%d,\"disc\":\"zoh\"}]}", d, d, d, n);
        /* per mode: Ā·s complex multiply (6) + u (1) + Re(C's) two real MACs (4); per channel 2y + Du (3) */
        *flops = 11 * D * N + 3 * D;
        /* per mode [Ā | C'] (4 floats) and the state (2); per channel D and u */
        *bytes = 4 * (D * N * (4 + 2) + 2 * D);
        *state_bytes = 4 * (D * N * 2 + D);
    } else if (!strcmp(type, "lru") || !strcmp(type, "s5")) {
        int s5 = !strcmp(type, "s5");
        if (s5) tw_s5(f, "s", d, n);
        else tw_lru(f, "s", d, n);
        snprintf(cfg, sizeof cfg, "{\"version\":1,\"d_input\":%d,\"d_output\":%d,\"layers\":["
                 "{\"type\":\"%s\",\"name\":\"s\",\"d\":%d,\"%s\":%d%s}]}", d, d, type, d, s5 ? "p" : "n", n,
                 s5 ? ",\"disc\":\"zoh\",\"conj\":true" : "");
        /* B̄u: 2N×H real MACs; λ⊙h + t: N complex MACs; Re(C̄h): H×2N real MACs; Du: H MACs */
        *flops = 4 * N * D + 8 * N + 4 * N * D + 2 * D;
        /* B̄ [2N][H] and C̄ [H][2N]; λ, B̄u and h (2N each); D and u */
        *bytes = 4 * (2 * N * D + 2 * N * D + 3 * 2 * N + 2 * D);
        *state_bytes = 4 * (2 * 2 * N + D);
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
        *bytes = 4 * (2 * E * D                /* in_proj */
                      + 5 * E + 3 * E          /* conv weights and bias; its ring */
                      + (R + 2 * N) * E        /* x_proj */
                      + E * R + E              /* dt_proj and its bias */
                      + N * E + N * E          /* A; h */
                      + E                      /* D */
                      + D * E                  /* out_proj */
                      + D);                    /* u */
        *state_bytes = 4 * (N * E + 3 * E + D);
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

/* median ns per net step when NB nets step together through swi_net_step_batch */
#define NB 16
static double time_batch(sw_model *m)
{
    sw_net *nets[NB];
    const float *in[NB];
    float *out[NB];
    const int di = sw_model_d_input(m), dout = sw_model_d_output(m);
    float *x = tw_input(3, (size_t)di * NB, 1.0, 0), *y = malloc((size_t)dout * NB * sizeof *y);
    for (int b = 0; b < NB; b++) {
        if (sw_net_create(m, &nets[b], NULL, 0) != SW_OK) exit(1);
        in[b] = x + (size_t)b * di;
        out[b] = y + (size_t)b * dout;
    }
    swi_batch *bt = swi_batch_create(m, NB);
    if (!bt) exit(1);
    long steps = 4;
    for (;;) {
        double t0 = now_s();
        for (long s = 0; s < steps; s++) swi_net_step_batch(bt, nets, in, out, NB);
        if (now_s() - t0 > 0.04 || steps > (1L << 24)) break;
        steps *= 2;
    }
    double reps[7];
    for (int r = 0; r < 7; r++) {
        double t0 = now_s();
        for (long s = 0; s < steps; s++) swi_net_step_batch(bt, nets, in, out, NB);
        reps[r] = (now_s() - t0) / (double)(steps * NB) * 1e9;
    }
    qsort(reps, 7, sizeof reps[0], cmp_double);
    swi_batch_free(bt);
    for (int b = 0; b < NB; b++) sw_net_destroy(nets[b]);
    free(x);
    free(y);
    return reps[3];
}

/* One table row: the level whose size holds `set` bytes (the working set), that level's read
 * bandwidth measured on a buffer of exactly that size, the bound and the gap to it. */
static void roof_row(const char *label, int d, const char *state, double ns, double flops, double bytes, double set,
                     const size_t *level_size, double peak)
{
    static const char *const level_name[] = {"L1", "L2", "L3", "DRAM"};
    double gf = flops / ns;
    int lv = 0;
    while (lv < 3 && set > (double)level_size[lv]) lv++;
    double bw = measure_read_bw(((size_t)set + 2047) & ~(size_t)2047);
    double mem_bound = flops / bytes * bw / 1e9, bound = mem_bound;
    const char *by = "memory";
    if (peak / 1e9 < bound) { bound = peak / 1e9; by = "FMA"; }
    printf("| %s | %d | %s | %.0f | %.2f | %.1f%% | %.0f | %.2f | %s | %.1f | %s | %.1f | %.0f%% | %.2fx |\n", label, d,
           state, ns, gf, 100 * gf * 1e9 / peak, bytes, flops / bytes, level_name[lv], bw / 1e9, by, bound,
           100 * gf / bound, bound / gf);
    fflush(stdout);
}

/* The rows of one table: every type of types[nt] at every width of dims[nd] and every state size
 * (linear has none: one row a width). batched: NB nets of one model stepped together
 * (swi_net_step_batch), per net step: the weights count 1/NB, the working set is all NB states
 * and the weights; else one net (sw_net_step). */
static void roof_rows(const char *const *types, size_t nt, const int *dims, size_t nd, int batched,
                      const size_t *level_size, double peak)
{
    static const int states[] = {16, 32, 64};
    for (size_t t = 0; t < nt; t++)
        for (size_t i = 0; i < nd; i++)
            for (size_t j = 0; j < 3; j++) {
                int lin = !strcmp(types[t], "linear");
                if (lin && j > 0) continue;
                double flops, bytes, sb;
                sw_model *m = make_layer(types[t], dims[i], lin ? 0 : states[j], &flops, &bytes, &sb);
                double ns = batched ? time_batch(m) : time_steps(m);
                const char *zoh = !strcmp(types[t], "s4d") || !strcmp(types[t], "s5") ? " (zoh)" : "";
                char label[48], state[16];
                if (batched) snprintf(label, sizeof label, "%s%s, batch %d", types[t], zoh, NB);
                else snprintf(label, sizeof label, "%s%s", types[t], zoh);
                snprintf(state, sizeof state, lin ? "–" : "%d", states[j]);
                double per = bytes, set = bytes;
                if (batched) {
                    per = (bytes - sb) / NB + sb;
                    set = (bytes - sb) + NB * sb;
                }
                roof_row(label, dims[i], state, ns, flops, per, set, level_size, peak);
                sw_model_free(m);
            }
}

int main(void)
{
    const char *isa;
    print_cpu();
    double peak = measure_peak(&isa);
    printf("Single-core FP32 peak (%s, 12 independent chains): %.1f GFLOP/s; kernels: %s\n", isa, peak / 1e9,
           sw_kernels_name());
    /* levels: L1, L2, L3 measured with half the cache, DRAM with 8 x L3 (or 256 MiB) */
    static const char *const level_name[] = {"L1", "L2", "L3", "DRAM"};
    size_t level_size[4], level_buf[4];
    double level_bw[4];
    for (int l = 0; l < 3; l++) level_size[l] = cache_size(l + 1);
    if (!level_size[0]) level_size[0] = 32 << 10;
    if (!level_size[1]) level_size[1] = 512 << 10;
    if (!level_size[2]) level_size[2] = 8 << 20;
    level_size[3] = (size_t)-1;
    for (int l = 0; l < 3; l++) level_buf[l] = level_size[l] / 2;
    level_buf[3] = level_size[2] * 8 > (256u << 20) ? level_size[2] * 8 : (256u << 20);
    printf("Read bandwidth, one core:");
    for (int l = 0; l < 4; l++) {
        level_bw[l] = measure_read_bw(level_buf[l]);
        if (l < 3) printf(" %s (%zu KiB, buffer %zu KiB) %.1f GB/s;", level_name[l], level_size[l] >> 10,
                          level_buf[l] >> 10, level_bw[l] / 1e9);
        else printf(" DRAM (buffer %zu MiB) %.1f GB/s\n\n", level_buf[l] >> 20, level_bw[l] / 1e9);
    }
    const char *head = "| layer | d_model | state | ns/step | GFLOP/s | % of peak | bytes read/step | flop/byte | fed from | "
                       "its bandwidth GB/s | bound | bound GFLOP/s | % of bound | gap |\n"
                       "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---:|---:|\n";
    printf("Batch 1 (one net, sw_net_step):\n\n");
    fputs(head, stdout);
    static const int dims[] = {64, 128, 256};
    static const char *const types[] = {"linear", "s4d", "lru", "s5", "mamba"};
    roof_rows(types, sizeof types / sizeof types[0], dims, 3, 0, level_size, peak);
    printf("\nBatch %d (%d nets of one model stepped together, swi_net_step_batch; per net step):\n\n", NB, NB);
    fputs(head, stdout);
    static const char *const btypes[] = {"linear", "s4d"};
    static const int bdims[] = {96, 256};
    roof_rows(btypes, 2, bdims, 2, 1, level_size, peak);
    return 0;
}
