/* rt_alloc_test.c — proves that the PortAudio callback of `statewave live`
 * (sw_live_callback in app/live_rt.c, and the engine it calls) is real-time safe:
 * no heap allocation, no mutex locking.
 *
 * This binary defines malloc/calloc/realloc/free/posix_memalign/aligned_alloc/memalign/
 * valloc and pthread_mutex_lock/trylock itself. Symbols in the executable take precedence
 * over libc's for every caller (FFTW, libstatewave, libc internals that go through the PLT),
 * so each call is counted while `g_counting` is set, and forwarded to glibc's __libc_* (or
 * the next pthread definition). The callback is then driven directly, as PortAudio would,
 * with a real recording (argv[2]) split into blocks of many sizes, for mono and stereo,
 * mono-to-stereo output, several rates, parameter changes through the atomics, xrun flags,
 * bypass, a missing input buffer and non-finite input samples. Any counted call inside
 * the callback fails the test.
 *
 * A self-check first verifies that the interposer really sees allocations (so the test
 * cannot pass just because interposition silently failed). Skipped under ASan, whose own
 * allocator replaces these functions.
 *
 * usage: rt_alloc_test MODEL.safetensors SPEECH_FILE */
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#include "live_rt.h"
#include "statewave.h"

#if defined(__SANITIZE_ADDRESS__)
#define SW_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SW_UNDER_ASAN 1
#endif
#endif

#ifndef SW_UNDER_ASAN
/* ------------------------------------------------------------- interposer -- */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static volatile int g_counting;      /* 1 while the callback under test runs */
static volatile long g_allocs;       /* malloc-family calls seen while counting */
static volatile long g_frees;        /* free calls (non-NULL) seen while counting */
static volatile long g_locks;        /* pthread_mutex_lock/trylock seen while counting */

void *malloc(size_t n)
{
    if (g_counting)
        g_allocs++;
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
    if (g_counting)
        g_allocs++;
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
    if (g_counting)
        g_allocs++;
    return __libc_realloc(p, n);
}
void free(void *p)
{
    if (g_counting && p)
        g_frees++;
    __libc_free(p);
}
int posix_memalign(void **out, size_t align, size_t n)
{
    if (g_counting)
        g_allocs++;
    void *p = __libc_memalign(align, n);
    if (!p)
        return 12; /* ENOMEM */
    *out = p;
    return 0;
}
void *aligned_alloc(size_t align, size_t n)
{
    if (g_counting)
        g_allocs++;
    return __libc_memalign(align, n);
}
void *memalign(size_t align, size_t n)
{
    if (g_counting)
        g_allocs++;
    return __libc_memalign(align, n);
}
void *valloc(size_t n)
{
    if (g_counting)
        g_allocs++;
    return __libc_memalign(4096, n);
}

typedef int (*mutex_fn)(pthread_mutex_t *);
static mutex_fn next_lock, next_trylock;
int pthread_mutex_lock(pthread_mutex_t *m)
{
    if (g_counting)
        g_locks++;
    if (!next_lock)
        next_lock = (mutex_fn)dlsym(RTLD_NEXT, "pthread_mutex_lock");
    return next_lock(m);
}
int pthread_mutex_trylock(pthread_mutex_t *m)
{
    if (g_counting)
        g_locks++;
    if (!next_trylock)
        next_trylock = (mutex_fn)dlsym(RTLD_NEXT, "pthread_mutex_trylock");
    return next_trylock(m);
}

/* ------------------------------------------------------------------ test -- */
static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("FAIL: " __VA_ARGS__);                                                          \
            printf("\n");                                                                          \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* Mono speech from a real recording, repeated to `n` samples (prepared outside counting). */
static float *load_speech(const char *path, size_t n)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) {
        printf("FAIL: cannot open '%s': %s\n", path, sf_strerror(NULL));
        return NULL;
    }
    float *tmp = malloc(sizeof(float) * (size_t)info.frames * (size_t)info.channels);
    float *x = malloc(sizeof(float) * n);
    sf_count_t got = tmp ? sf_readf_float(f, tmp, info.frames) : 0;
    sf_close(f);
    if (!x || got <= 0) {
        printf("FAIL: cannot read '%s'\n", path);
        free(tmp);
        free(x);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        x[i] = tmp[((sf_count_t)i % got) * info.channels];
    free(tmp);
    return x;
}

/* One configuration: drive the callback over `total` frames of speech in varied blocks. */
static void run_case(const sw_model *model, const float *speech, size_t total, double rate,
                     int channels, int out_channels)
{
    char err[256];
    sw_denoiser *dn = NULL;
    sw_status st = sw_denoiser_create(model, rate, channels, &dn, err, sizeof err);
    CHECK(st == SW_OK, "denoiser_create(%.0f, %d): %s", rate, channels, err);
    if (st != SW_OK)
        return;
    sw_live_rt *rt = malloc(sizeof *rt);
    sw_live_rt_init(rt, dn, channels, out_channels, 1.0f, 100.0f);

    /* Host buffers, as PortAudio hands them over (planar, paNonInterleaved). */
    enum { MAXB = 4096 };
    float *inb[2], *outb[2];
    for (int c = 0; c < 2; c++) {
        inb[c] = malloc(sizeof(float) * MAXB);
        outb[c] = malloc(sizeof(float) * MAXB);
    }
    static const unsigned long sizes[] = { 256, 64, 1, 480, 1000, 4096, 17, 128, 512, 2048, 333 };
    const size_t nsizes = sizeof sizes / sizeof sizes[0];
    size_t pos = 0, calls = 0;
    double in_energy = 0, out_energy = 0;
    int finite = 1;
    long allocs0 = g_allocs, frees0 = g_frees, locks0 = g_locks;
    unsigned long long expect_frames = 0;
    while (pos < total) {
        unsigned long fr = sizes[calls % nsizes];
        if (fr > total - pos)
            fr = (unsigned long)(total - pos);
        for (int c = 0; c < channels; c++)
            for (unsigned long i = 0; i < fr; i++)
                inb[c][i] = speech[pos + i] * (c ? 0.5f : 1.0f);
        if (calls == 7) /* engine must survive non-finite input */
            inb[0][0] = NAN, inb[channels - 1][fr > 1 ? 1 : 0] = INFINITY;
        const void *in = inb;
        if (calls == 9)
            in = NULL; /* host with no input buffer this time */
        PaStreamCallbackFlags flags = 0;
        if (calls == 5)
            flags = paInputOverflow | paOutputUnderflow;
        if (calls == 11)
            flags = paPrimingOutput;
        /* Main thread requests while "running". */
        if (calls == 20)
            sw_live_rt_set_mix(rt, 0.5f);
        if (calls == 30)
            sw_live_rt_set_limit_db(rt, 12.0f);
        if (calls == 40)
            atomic_store(&rt->bypass, 1);
        if (calls == 45)
            atomic_store(&rt->bypass, 0);
        if (calls == 50)
            sw_live_rt_set_mix(rt, 1.0f), sw_live_rt_set_limit_db(rt, 100.0f);

        PaStreamCallbackTimeInfo ti = { 0, 0, 0 };
        g_counting = 1;
        int r = sw_live_callback(in, (void *)outb, fr, &ti, flags, rt);
        g_counting = 0;
        CHECK(r == paContinue, "callback returned %d", r);

        for (int c = 0; c < out_channels; c++)
            for (unsigned long i = 0; i < fr; i++) {
                float v = outb[c][i];
                if (!isfinite(v))
                    finite = 0;
                if (c == 0 && calls > 60)
                    out_energy += (double)v * v;
            }
        if (out_channels > channels)
            CHECK(!memcmp(outb[out_channels - 1], outb[channels - 1], fr * sizeof(float)),
                  "extra output channel is not a copy");
        if (calls > 60)
            for (unsigned long i = 0; i < fr; i++)
                in_energy += (double)inb[0][i] * inb[0][i];
        expect_frames += fr;
        pos += fr;
        calls++;
    }
    long allocs = g_allocs - allocs0, frees = g_frees - frees0, locks = g_locks - locks0;
    CHECK(allocs == 0 && frees == 0 && locks == 0,
          "%.0f Hz %d->%d ch: %ld allocations, %ld frees, %ld mutex locks in %zu callbacks", rate,
          channels, out_channels, allocs, frees, locks, calls);
    CHECK(finite, "%.0f Hz %d ch: non-finite output", rate, channels);
    CHECK(atomic_load(&rt->callbacks) == calls, "callback counter %llu != %zu",
          (unsigned long long)atomic_load(&rt->callbacks), calls);
    CHECK(atomic_load(&rt->frames) == expect_frames, "frame counter %llu != %llu",
          (unsigned long long)atomic_load(&rt->frames), expect_frames);
    CHECK(atomic_load(&rt->xrun_callbacks) == 1 && atomic_load(&rt->in_overflow) == 1 &&
              atomic_load(&rt->out_underflow) == 1,
          "xrun counters wrong (xruns %llu)", (unsigned long long)atomic_load(&rt->xrun_callbacks));
    CHECK(atomic_load(&rt->no_input) == 1, "no-input counter wrong");
    /* The engine really ran: a denoiser changes speech+silence material; output not silent. */
    CHECK(out_energy > 0.0 && in_energy > 0.0, "%.0f Hz %d ch: silent output", rate, channels);
    printf("%s: %.0f Hz, %d in -> %d out: %zu callbacks, %llu frames, %ld allocations, %ld locks\n",
           (allocs || frees || locks) ? "FAIL" : "ok", rate, channels, out_channels, calls,
           expect_frames, allocs, locks);
    for (int c = 0; c < 2; c++) {
        free(inb[c]);
        free(outb[c]);
    }
    free(rt);
    sw_denoiser_destroy(dn);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL SPEECH_FILE\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* Self-check: the interposer must see these, or the zero counts below mean nothing. */
    g_counting = 1;
    void *volatile p = malloc(32);
    void *volatile q = calloc(4, 8);
    void *volatile r = NULL;
    int pm = posix_memalign((void **)&r, 64, 128);
    free(p);
    free(q);
    free(r);
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&mu);
    pthread_mutex_unlock(&mu);
    g_counting = 0;
    if (pm != 0 || g_allocs != 3 || g_frees != 3 || g_locks != 1) {
        printf("FAIL: interposer self-check: %ld allocs, %ld frees, %ld locks (want 3, 3, 1)\n",
               g_allocs, g_frees, g_locks);
        return 1;
    }
    g_allocs = g_frees = g_locks = 0;

    char err[512];
    sw_model *model = NULL;
    sw_status st = sw_model_load_file(argv[1], &model, err, sizeof err);
    if (st != SW_OK) {
        printf("FAIL: cannot load model '%s': %s\n", argv[1], err);
        return 1;
    }
    size_t total = 48000 * 3;
    float *speech = load_speech(argv[2], total);
    if (!speech)
        return 1;
    run_case(model, speech, total, 48000, 1, 1);
    run_case(model, speech, total, 48000, 1, 2);
    run_case(model, speech, total, 48000, 2, 2);
    run_case(model, speech, total, 44100, 2, 2);
    run_case(model, speech, total, 16000, 1, 2);
    run_case(model, speech, total, 96000, 1, 1);
    free(speech);
    sw_model_free(model);
    if (failures) {
        printf("FAIL: rt_alloc_test: %d check(s) failed\n", failures);
        return 1;
    }
    printf("PASS: rt_alloc_test: live callback made no allocation and took no lock\n");
    return 0;
}
#else
int main(void)
{
    printf("SKIP: rt_alloc_test: built with AddressSanitizer (it replaces malloc)\n");
    return 0;
}
#endif
