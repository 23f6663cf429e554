/* bench_lv2.c — Statewave LV2 benchmark (denoiser and generator) through a lilv host
 * (tests/common/lv2host.h).
 *
 *   build/bench/bench_lv2        (from the repo root; `make bench` runs it)
 *
 * Measures, on the plugin exactly as hosts load it (build/statewave.lv2/statewave.so):
 *  - instantiate + activate time (target < 10 ms): the first instance of the process
 *    (reads and parses the model file) and later ones (the model is shared between
 *    instances by the plugin's model cache), median and max over N instances
 *  - CPU per channel: thread CPU time of run() on 256-frame blocks of a real dev-set
 *    recording at 48 kHz (also 44.1 and 96 kHz), in us per block and % of one core
 *    (a 256-frame block lasts 5333 us at 48 kHz); stereo is divided by 2 channels
 *  - memory per instance (target < 8 MB): heap growth (mallinfo2: arena + mmap) and RSS
 *    growth over N extra instances after one run() each (their buffers touched), divided
 *    by N; plus the first instance, which also holds the shared model
 * and for the generator instrument (https://statewave.dev/plugins/generate):
 *  - instantiate + activate time (first instance loads the 12 MB model; every instance
 *    renders 32 ms of audio once as a warm-up), later instances median
 *  - CPU while playing (latch on, 256-frame blocks) at 48, 44.1 and 16 kHz (no resampler),
 *    in % of one core, and the worst block; CPU while idle (no note, latch off)
 *  - memory per extra instance (the generator's state; the model is shared)
 *
 *   build/bench/bench_lv2 --first   only the denoiser's instantiate+activate times (first
 *                                       instance of this process, later median/max), one line;
 *                                       bench/bench_lv2_first.sh runs it in many fresh processes
 */
#include <malloc.h>
#include <math.h>
#include <sndfile.h>
#include <time.h>
#include <unistd.h>

#include "lv2host.h"

#define NOISY "../shared/data/devset/noisy/001.flac"
#define N_INST 24
#define BLOCK 256

static double wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static size_t heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static size_t rss_bytes(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return (size_t)rss * (size_t)sysconf(_SC_PAGESIZE);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* What the instantiate loops measure, over instance 0 (the first: it loads the model) and
 * N_INST later ones. */
typedef struct {
    double t_inst[N_INST + 1]; /* ms, instantiate+activate of each instance */
    double sorted[N_INST];     /* the later instances' t_inst, ascending */
    size_t heap1, rss1;        /* heap and RSS bytes with the first instance up */
    size_t heapN, rssN;        /* ... with all of them */
} inst_stats;

/* After instance i is up and has run a block. */
static void inst_stats_mark(inst_stats *st, int i)
{
    if (i == 0) {
        st->heap1 = heap_bytes();
        st->rss1 = rss_bytes();
    }
}

/* After the last instance. */
static void inst_stats_done(inst_stats *st)
{
    st->heapN = heap_bytes();
    st->rssN = rss_bytes();
    memcpy(st->sorted, st->t_inst + 1, sizeof st->sorted);
    qsort(st->sorted, N_INST, sizeof(double), cmp_d);
}

static float *g_audio;
static size_t g_len;

/* CPU per block for `seconds` of audio at `rate` through one instance. */
static double bench_cpu(h_host *H, bool stereo, double rate, double seconds, double *worst_us)
{
    h_inst *hi = h_inst_new(H, stereo, rate, true, true);
    if (!hi)
        return -1;
    lilv_instance_activate(hi->inst);
    float *out0 = malloc(BLOCK * sizeof(float)), *out1 = malloc(BLOCK * sizeof(float));
    size_t blocks = (size_t)(seconds * rate / BLOCK), pos = 0;
    double total = 0, worst = 0;
    /* warm-up: fill the STFT history and the caches */
    for (size_t b = 0; b < 200 + blocks; b++) {
        if (pos + BLOCK > g_len)
            pos = 0;
        const float *in[2] = {g_audio + pos, g_audio + (g_len - BLOCK - pos)};
        float *out[2] = {out0, out1};
        double t0 = cpu_us();
        h_cycle(hi, in, out, BLOCK);
        double dt = cpu_us() - t0;
        if (b >= 200) {
            total += dt;
            worst = fmax(worst, dt);
        }
        pos += BLOCK;
    }
    lilv_instance_deactivate(hi->inst);
    h_inst_free(hi);
    free(out0);
    free(out1);
    *worst_us = worst;
    return total / (double)blocks;
}

/* Generator CPU per 256-frame block over `seconds` at `rate`, playing (latch on) or idle. */
static double bench_gen_cpu(h_host *H, double rate, double seconds, bool play, double *worst_us)
{
    h_gen *g = h_gen_new(H, rate, true);
    if (!g)
        return -1;
    g->ctl[G_LATCH] = play ? 1.0f : 0.0f;
    float out[BLOCK];
    size_t blocks = (size_t)(seconds * rate / BLOCK);
    double total = 0, worst = 0;
    for (size_t b = 0; b < 20 + blocks; b++) {
        double t0 = cpu_us();
        h_gen_cycle(g, out, BLOCK);
        double dt = cpu_us() - t0;
        if (b >= 20) { /* past the fade-in */
            total += dt;
            worst = fmax(worst, dt);
        }
    }
    h_gen_free(g);
    *worst_us = worst;
    return total / (double)blocks;
}

static void bench_generator(h_host *H)
{
    if (!H->generate) {
        printf("\nStatewave Generate: not in the bundle\n");
        return;
    }
    inst_stats st = {0};
    h_gen *inst[N_INST + 1];
    float o[BLOCK];
    malloc_trim(0);
    for (int i = 0; i <= N_INST; i++) {
        double t0 = wall_ms();
        inst[i] = h_gen_new(H, 48000, true);
        st.t_inst[i] = wall_ms() - t0;
        if (!inst[i]) {
            fprintf(stderr, "bench_lv2: generator instantiate failed\n");
            return;
        }
        inst[i]->ctl[G_LATCH] = 1.0f;
        h_gen_cycle(inst[i], o, BLOCK); /* touch the buffers */
        inst_stats_mark(&st, i);
    }
    inst_stats_done(&st);
    for (int i = 0; i <= N_INST; i++)
        h_gen_free(inst[i]);

    double w48, w44, w16, wi;
    double c48 = bench_gen_cpu(H, 48000, 20.0, true, &w48);
    double c44 = bench_gen_cpu(H, 44100, 10.0, true, &w44);
    double c16 = bench_gen_cpu(H, 16000, 10.0, true, &w16);
    double ci = bench_gen_cpu(H, 48000, 20.0, false, &wi);
    const double blk48 = 1e6 * BLOCK / 48000.0, blk44 = 1e6 * BLOCK / 44100.0, blk16 = 1e6 * BLOCK / 16000.0;

    printf("\nStatewave Generate LV2 instrument (16 kHz model, libsamplerate to the host rate), one thread\n");
    printf("%-56s %12s\n", "measure", "value");
    printf("%-56s %9.2f ms\n", "instantiate+activate, first instance (loads the model)", st.t_inst[0]);
    printf("%-56s %9.2f ms\n", "instantiate+activate, later instances, median", st.sorted[N_INST / 2]);
    printf("%-56s %9.1f us\n", "CPU per 256-frame block, playing at 48 kHz (mean)", c48);
    printf("%-56s %9.2f %%\n", "  = % of one core while playing at 48 kHz", 100.0 * c48 / blk48);
    printf("%-56s %9.1f us\n", "CPU per 256-frame block, playing at 48 kHz (worst)", w48);
    printf("%-56s %9.2f %%\n", "% of one core while playing at 44.1 kHz", 100.0 * c44 / blk44);
    printf("%-56s %9.2f %%\n", "% of one core while playing at 16 kHz (no resampler)", 100.0 * c16 / blk16);
    printf("%-56s %9.3f %%\n", "% of one core while idle at 48 kHz (no note, latch off)", 100.0 * ci / blk48);
    printf("%-56s %9.2f MB\n", "heap per extra instance (mallinfo2, mean of 24)",
           (double)(st.heapN - st.heap1) / N_INST / 1e6);
    printf("%-56s %9.2f MB\n", "RSS per extra instance (mean of 24)", (double)(st.rssN - st.rss1) / N_INST / 1e6);
    (void)w44;
    (void)w16;
    (void)wi;
}

int main(int argc, char **argv)
{
    const bool first_only = argc > 1 && strcmp(argv[1], "--first") == 0;
    h_host H;
    int r = h_host_init(&H);
    if (r != 0) {
        fprintf(stderr, "bench_lv2: cannot load %s (run make from the repo root)\n", H_BUNDLE_DIR);
        return 1;
    }
    H.log.quiet = true;
    SF_INFO info = {0};
    SNDFILE *f = sf_open(NOISY, SFM_READ, &info);
    if (!f || info.channels != 1) {
        fprintf(stderr, "bench_lv2: cannot read %s\n", NOISY);
        return 1;
    }
    g_len = (size_t)info.frames;
    g_audio = malloc(g_len * sizeof(float));
    g_len = (size_t)sf_readf_float(f, g_audio, (sf_count_t)g_len);
    sf_close(f);

    /* ---- instantiate + activate, and memory ---- */
    inst_stats st = {0};
    h_inst *inst[N_INST + 1];
    float z[BLOCK] = {0}, o[BLOCK];
    const float *zin[1] = {z};
    float *zout[1] = {o};
    /* A host reads a plugin's description (its ports) before it instantiates it: it needs
     * the ports to connect them, and DAWs read them when they scan plugins. lilv parses the
     * plugin's TTL lazily, on the first query, so without this the first instantiate would
     * also time lilv parsing denoise.ttl (~0.7 ms here), which is host work, not ours. */
    (void)lilv_plugin_get_num_ports(H.mono);
    malloc_trim(0);
    size_t heap0 = heap_bytes(), rss0 = rss_bytes();
    double cpu_first = 0;
    for (int i = 0; i <= N_INST; i++) {
        double t0 = wall_ms(), c0 = cpu_us();
        inst[i] = h_inst_new(&H, false, 48000, true, true);
        if (!inst[i]) {
            fprintf(stderr, "bench_lv2: instantiate failed\n");
            return 1;
        }
        lilv_instance_activate(inst[i]->inst);
        st.t_inst[i] = wall_ms() - t0;
        if (i == 0)
            cpu_first = (cpu_us() - c0) / 1e3;
        h_cycle(inst[i], zin, zout, BLOCK); /* touch the buffers */
        inst_stats_mark(&st, i);
    }
    inst_stats_done(&st);
    for (int i = 0; i <= N_INST; i++)
        h_inst_free(inst[i]);
    if (first_only) {
        printf("first %.3f ms (thread CPU %.3f ms)  later median %.3f ms  later max %.3f ms\n", st.t_inst[0],
               cpu_first, st.sorted[N_INST / 2], st.sorted[N_INST - 1]);
        free(g_audio);
        h_host_free(&H);
        return 0;
    }

    /* ---- CPU ---- */
    double w48, w44, w96, ws;
    double c48 = bench_cpu(&H, false, 48000, 20.0, &w48);
    double c44 = bench_cpu(&H, false, 44100, 10.0, &w44);
    double c96 = bench_cpu(&H, false, 96000, 10.0, &w96);
    double cst = bench_cpu(&H, true, 48000, 20.0, &ws);
    const double blk48 = 1e6 * BLOCK / 48000.0, blk44 = 1e6 * BLOCK / 44100.0, blk96 = 1e6 * BLOCK / 96000.0;

    printf("Statewave Denoise LV2 (build/statewave.lv2) through lilv, one thread\n");
    printf("%-56s %12s %10s\n", "measure", "value", "target");
    printf("%-56s %9.2f ms %10s\n", "instantiate+activate, first instance (loads the model)", st.t_inst[0], "< 10 ms");
    printf("%-56s %9.2f ms %10s\n", "  thread CPU time of that first instance", cpu_first, "");
    printf("%-56s %9.2f ms %10s\n", "instantiate+activate, later instances, median", st.sorted[N_INST / 2], "< 10 ms");
    printf("%-56s %9.2f ms %10s\n", "instantiate+activate, later instances, max", st.sorted[N_INST - 1], "< 10 ms");
    printf("%-56s %9.1f us %10s\n", "CPU per 256-frame block, mono 48 kHz (mean)", c48, "");
    printf("%-56s %9.2f %%  %10s\n", "  = % of one core, per channel at 48 kHz", 100.0 * c48 / blk48, "");
    printf("%-56s %9.1f us %10s\n", "CPU per 256-frame block, mono 48 kHz (worst block)", w48, "");
    printf("%-56s %9.1f us %10s\n", "CPU per 256-frame block per channel, stereo 48 kHz", cst / 2, "");
    printf("%-56s %9.2f %%  %10s\n", "  = % of one core, per channel (stereo, linked)", 100.0 * cst / 2 / blk48, "");
    printf("%-56s %9.2f %%  %10s\n", "% of one core, mono 44.1 kHz", 100.0 * c44 / blk44, "");
    printf("%-56s %9.2f %%  %10s\n", "% of one core, mono 96 kHz", 100.0 * c96 / blk96, "");
    printf("%-56s %9.2f MB %10s\n", "heap per extra instance (mallinfo2, mean of 24)",
           (double)(st.heapN - st.heap1) / N_INST / 1e6, "< 8 MB");
    printf("%-56s %9.2f MB %10s\n", "RSS per extra instance (mean of 24)", (double)(st.rssN - st.rss1) / N_INST / 1e6,
           "< 8 MB");
    printf("%-56s %9.2f MB %10s\n", "heap of the first instance (incl. the shared model)", (double)(st.heap1 - heap0) / 1e6,
           "");
    printf("%-56s %9.2f MB %10s\n", "RSS of the first instance (incl. model, code)", (double)(st.rss1 - rss0) / 1e6, "");

    bench_generator(&H);

    free(g_audio);
    h_host_free(&H);
    return 0;
}
