/* test_lv2_rt.c — the plugin's audio-thread callbacks (run, work_response) never allocate,
 * lock a mutex or do file I/O, in every situation the harness can produce: block sizes 1..4096,
 * control changes and bypass ramps, patch:Get replies on the notify port, a model swap
 * (warm-up, crossfade, retiring the old engine to the worker) and a rejected model; and the
 * generator instrument's run() (rendering, resampling, MIDI, pedal, latch, transport) and its
 * model swaps (during a phrase, while idle, a rejected file).
 *
 * The binary defines the malloc family and pthread_mutex_lock/trylock (tests/common/rt_interpose.h)
 * and open/fopen/read/write and getenv themselves (forwarding to glibc), so calls made by the dlopen'ed
 * plugin resolve here and are counted while the host is inside an audio-thread callback (the H_RT_ENTER/LEAVE
 * hooks of tests/common/lv2host.h). ASan owns the allocator, so under ASan the test skips.
 * Skipped with a message if build/statewave.lv2 is not built. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>

#include "rt_interpose.h" /* malloc family + mutex lock/trylock, counted while rt_counting */

static volatile long g_io;       /* open/fopen/read/write while rt_counting */
static volatile long g_getenv;   /* getenv while rt_counting */

#define H_RT_ENTER() (rt_counting = 1)
#define H_RT_LEAVE() (rt_counting = 0)
#include "lv2host.h"

#ifndef RT_INTERPOSE_UNDER_ASAN
/* file I/O: count, then forward to the next definition (libc) */
#define FORWARD(ret, name, params, args, counter)                                            \
    ret name params                                                                          \
    {                                                                                        \
        static ret(*real) params;                                                            \
        if (!real) *(void **)&real = dlsym(RTLD_NEXT, #name);                                \
        if (rt_counting) counter++;                                                          \
        return real args;                                                                    \
    }
FORWARD(ssize_t, read, (int fd, void *b, size_t n), (fd, b, n), g_io)
FORWARD(ssize_t, write, (int fd, const void *b, size_t n), (fd, b, n), g_io)
FORWARD(FILE *, fopen, (const char *p, const char *m), (p, m), g_io)
/* getenv: counted, then answered from environ directly (dlsym could itself call getenv) */
extern char **environ;
char *getenv(const char *name)
{
    if (rt_counting) g_getenv++;
    size_t len = strlen(name);
    for (char **e = environ; e && *e; e++)
        if (!strncmp(*e, name, len) && (*e)[len] == '=') return *e + len + 1;
    return NULL;
}
int open(const char *path, int flags, ...)
{
    static int (*real)(const char *, int, ...);
    if (!real) *(void **)&real = dlsym(RTLD_NEXT, "open");
    va_list ap;
    va_start(ap, flags);
    int mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, int) : 0;
    va_end(ap);
    if (rt_counting) g_io++;
    return real(path, flags, mode);
}

static int fails;

static void report(const char *what)
{
    const long allocs = rt_allocs + rt_frees; /* a free on the audio thread counts too */
    bool ok = allocs == 0 && rt_locks == 0 && g_io == 0 && g_getenv == 0;
    printf("%s %-58s allocations %ld, mutex locks %ld, file I/O %ld, getenv %ld\n", ok ? "ok  " : "FAIL", what,
           allocs, rt_locks, g_io, g_getenv);
    fails += !ok;
    rt_allocs = rt_frees = rt_locks = g_io = g_getenv = 0;
}

#endif

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
#ifdef RT_INTERPOSE_UNDER_ASAN
    printf("SKIP test_lv2_rt: ASan owns the allocator, malloc interposition not possible\n");
    return 0;
#else
    h_host H;
    int r = h_host_init(&H);
    if (r == -1) {
        printf("SKIP test_lv2_rt: %s not built (run `make` from the repo root first)\n", H_BUNDLE_DIR);
        return 0;
    }
    if (r != 0) {
        printf("FAIL: could not load the plugins from %s\n", H_BUNDLE_DIR);
        return 1;
    }
    H.log.quiet = true;

    /* the interposer must be live: an allocation inside the window is seen */
    rt_counting = 1;
    void *volatile probe = malloc(16);
    rt_counting = 0;
    free(probe);
    if (rt_allocs != 1) {
        printf("FAIL: malloc interposition is not active\n");
        return 1;
    }
    rt_allocs = rt_frees = rt_locks = g_getenv = 0;

    const size_t n = 96000;
    float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float)), *y2 = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) /* a chirp plus noise: energy in every band */
        x[i] = 0.3f * sinf(0.0002f * (float)i * (float)i / 48.0f) + 0.05f * (float)((i * 2654435761u >> 8) % 1000) / 1000.0f;

    char def[PATH_MAX + 64], copy[] = "/tmp/sw_lv2_rt_model_XXXXXX";
    snprintf(def, sizeof def, "%s/denoise.safetensors", H.bundle_abs);
    int fd = mkstemp(copy);
    FILE *src = fopen(def, "rb"), *dst = fdopen(fd, "wb");
    char buf[65536];
    size_t k;
    while (src && dst && (k = fread(buf, 1, sizeof buf, src)) > 0)
        fwrite(buf, 1, k, dst);
    if (src) fclose(src);
    if (dst) fclose(dst);

    for (int stereo = 0; stereo <= 1; stereo++) {
        h_inst *hi = h_inst_new(&H, stereo, 48000, true, true);
        if (!hi) {
            printf("FAIL: instantiate\n");
            return 1;
        }
        lilv_instance_activate(hi->inst);
        const float *in[2] = {x, x};
        float *out[2] = {y, y2};
        const int sizes[] = {1, 7, 64, 256, 1000, 4096};
        size_t pos = 0;
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            for (int rep = 0; rep < 40 && pos + (size_t)sizes[s] <= n; rep++, pos += (size_t)sizes[s]) {
                const float *ip[2] = {in[0] + pos, in[1] + pos};
                float *op[2] = {out[0] + pos, out[1] + pos};
                h_cycle(hi, ip, op, (uint32_t)sizes[s]);
            }
        }
        report(stereo ? "stereo: run() with blocks 1..4096" : "mono: run() with blocks 1..4096");

        /* controls, bypass ramps, patch:Get */
        for (int c = 0; c < 40; c++) {
            hi->ctl[P_MIX] = (float)(c % 5) / 4.0f;
            hi->ctl[P_LIMIT] = (float)(c * 7 % 101);
            hi->ctl[P_ENABLED] = (float)(c % 3 != 0);
            if (c % 10 == 0)
                h_send_patch(hi, NULL);
            const float *ip[2] = {x, x};
            float *op[2] = {y, y2};
            h_cycle(hi, ip, op, 256);
        }
        report("run() with control changes, bypass, patch:Get replies");

        /* a model swap: LOAD in the worker, warm-up + crossfade, old engine retired */
        h_send_patch(hi, copy);
        int before = hi->n_notify;
        for (size_t p = 0; p + 256 <= n; p += 256) {
            const float *ip[2] = {x + p, x + p};
            float *op[2] = {y + p, y2 + p};
            h_cycle(hi, ip, op, 256);
        }
        bool swapped = hi->n_notify > before && strstr(hi->notified_path, "sw_lv2_rt_model_") != NULL;
        if (!swapped) {
            printf("FAIL: the model swap did not complete\n");
            fails++;
        }
        report("run()/work_response() across a model swap");

        /* a rejected model */
        h_send_patch(hi, "/nonexistent/model.safetensors");
        for (int c = 0; c < 20; c++) {
            const float *ip[2] = {x, x};
            float *op[2] = {y, y2};
            h_cycle(hi, ip, op, 512);
        }
        report("run()/work_response() after a rejected model");
        lilv_instance_deactivate(hi->inst);
        h_inst_free(hi);
    }
    unlink(copy);

    /* a copy of the generator's model, to swap to */
    char gdef[PATH_MAX + 64], gcopy[] = "/tmp/sw_lv2_rt_gen_XXXXXX";
    snprintf(gdef, sizeof gdef, "%s/generate.safetensors", H.bundle_abs);
    fd = mkstemp(gcopy);
    src = fopen(gdef, "rb");
    dst = fdopen(fd, "wb");
    while (src && dst && (k = fread(buf, 1, sizeof buf, src)) > 0)
        fwrite(buf, 1, k, dst);
    if (src) fclose(src);
    if (dst) fclose(dst);

    /* the generator instrument: note on/off at frames inside blocks of 1..4096, sustain,
     * latch, transport, control changes, idle, at the model rate and two resampled rates */
    const double grates[] = {16000, 44100, 48000};
    for (int r = 0; r < 3; r++) {
        h_gen *g = h_gen_new(&H, grates[r], true);
        if (!g) {
            printf("FAIL: instantiate the generator at %.0f Hz\n", grates[r]);
            return 1;
        }
        const int sizes[] = {1, 7, 64, 256, 1000, 4096};
        double played = 0;
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            const uint32_t b = (uint32_t)sizes[s];
            for (int rep = 0; rep < 24; rep++) {
                switch (rep) {
                case 0: h_gen_note(g, b / 2, 60, 100); break;           /* start */
                case 4: h_gen_midi(g, 0, 0xB0, 64, 127); break;          /* pedal down */
                case 5: h_gen_note(g, b - 1, 60, 0); break;             /* sustained */
                case 8: h_gen_midi(g, b / 3, 0xB0, 64, 0); break;       /* pedal up: fade */
                case 12: g->ctl[G_LATCH] = 1.0f; g->ctl[G_TEMPERATURE] = 1.2f; break;
                case 14: g->ctl[G_GAIN] = -12.0f; g->ctl[G_TOP_P] = 0.9f; break;
                case 16: g->ctl[G_LATCH] = 0.0f; g->ctl[G_TRANSPORT] = 1.0f; h_gen_position(g, 0, 1.0f); break;
                case 19: h_gen_position(g, b / 2, 0.0f); h_gen_note(g, b / 2, 61, 127); break;
                case 21: h_gen_midi(g, 0, 0xB0, 123, 0); g->ctl[G_SEED] = (float)(s + 5); break;
                default: break;
                }
                h_gen_cycle(g, y, b);
                for (uint32_t i = 0; i < b; i++)
                    played += fabsf(y[i]);
            }
        }
        char what[96];
        snprintf(what, sizeof what, "generator %.0f Hz: MIDI, pedal, latch, transport, 1..4096", grates[r]);
        if (!(played > 1.0)) {
            printf("FAIL: the generator did not play at %.0f Hz\n", grates[r]);
            fails++;
        }
        report(what);

        /* model swaps: during a phrase (crossfade), a rejected file, while idle (at once) */
        g->ctl[G_LATCH] = 1.0f;
        g->ctl[G_TRANSPORT] = 0.0f;
        const char *paths[] = {gcopy, "/nonexistent/generate.safetensors", gdef};
        for (int k = 0; k < 3; k++) {
            if (k == 2) {
                g->ctl[G_LATCH] = 0.0f;
                for (int c = 0; c < 10; c++)
                    h_gen_cycle(g, y, 256);
            }
            h_gen_patch(g, 100, paths[k]);
            for (int c = 0; c < 20; c++)
                h_gen_cycle(g, y, 256);
            if (k == 0 && strcmp(g->notified, gcopy) != 0) {
                printf("FAIL: the generator's swap during a phrase did not complete\n");
                fails++;
            }
        }
        if (strcmp(g->notified, gdef) != 0) {
            printf("FAIL: the generator's model swaps did not complete (notify '%s')\n", g->notified);
            fails++;
        }
        snprintf(what, sizeof what, "generator %.0f Hz: model swaps playing / rejected / idle", grates[r]);
        report(what);
        h_gen_free(g);
    }
    unlink(gcopy);
    free(x);
    free(y);
    free(y2);
    h_host_free(&H);
    printf("%s test_lv2_rt\n", fails ? "FAIL" : "PASS");
    return fails ? 1 : 0;
#endif
}
