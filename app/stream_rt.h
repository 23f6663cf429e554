/* stream_rt.h — the real-time half of the app's one PortAudio stream runner (stream.h), shared
 * by `live`, `generate --live` and `synth --live`: the callback trampoline with the counters
 * every mode reports, and small real-time helpers. A mode supplies only its block function.
 * Internal to app/ (and to tests/rt/rt_alloc_test.c and synth_rt_alloc_test.c, which drive the
 * trampoline directly under a malloc-counting interposer, so this file and the modes' *_rt.c
 * link without the rest of the app).
 *
 * Threading contract: the main thread fills app_stream_rt before the stream starts and then
 * only reads its atomics; the callback writes the counters (relaxed atomics: statistics that
 * order nothing) and never allocates, locks, prints or does I/O. Everything here marked [RT]
 * keeps to that: a vDSO clock read, relaxed atomics, memcpy/memset. */
#ifndef SW_APP_STREAM_RT_H
#define SW_APP_STREAM_RT_H

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <portaudio.h>

/* CLOCK_MONOTONIC is served by the vDSO on Linux/x86: no system call, no lock. [RT] */
static inline unsigned long long app_rt_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* Counter += n, for the main thread to read (relaxed: a statistic, orders nothing). [RT] */
static inline void app_rt_add(atomic_ullong *counter, unsigned long long n)
{
    atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

/* A relaxed load, for the main thread's reports. */
static inline unsigned long long app_rt_ld(atomic_ullong *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

/* A float handed between threads as its bits in a 32-bit atomic (always lock-free). */
static inline uint32_t app_rt_f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
static inline float app_rt_u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* A mode's work for one callback, on the audio thread: in[in_channels][frames] (NULL when the
 * stream has no input or the host gave none this time) -> out[0 .. channels)[frames], where
 * `channels` is app_stream_rt.mode_channels; the trampoline copies the last of those to any
 * further device channel and meters channel 0. [RT] */
typedef void app_stream_block_fn(void *mode, const float *const *in, float *const *out,
                                 unsigned long frames);

typedef struct {
    /* set up by the main thread before Pa_StartStream, read-only afterwards */
    app_stream_block_fn *block;   /* the mode's block function */
    void *mode;                   /* its state (owned by the mode) */
    int mode_channels;            /* channels the mode writes, >= 1 */
    int out_channels;             /* device output channels >= mode_channels; the rest copy the last */

    /* level meter of channel 0: the callback owns sumsq and peak and publishes them as bit
     * patterns after every block; the main thread reads the published copies */
    double sumsq;                 /* sum of squares of every sample metered (callback only) */
    float peak;                   /* largest |sample| (callback only) */
    atomic_ullong sumsq_bits;     /* sumsq as double bits */
    _Atomic uint32_t peak_bits;   /* peak as float bits */

    /* counters written by the callback, read by the main thread */
    atomic_ullong frames;         /* frames output */
    atomic_ullong callbacks;      /* callback invocations */
    atomic_ullong xrun_callbacks; /* callbacks with any under/overflow flag */
    atomic_ullong in_underflow;   /* paInputUnderflow seen */
    atomic_ullong in_overflow;    /* paInputOverflow seen */
    atomic_ullong out_underflow;  /* paOutputUnderflow seen */
    atomic_ullong out_overflow;   /* paOutputOverflow seen */
    atomic_ullong busy_ns;        /* total time spent inside the callback, ns */
    atomic_ullong max_ns;         /* longest single callback, ns (written by the callback only) */
    _Atomic int finished;         /* set by the stream-finished callback */
} app_stream_rt;

_Static_assert(sizeof(double) == sizeof(unsigned long long), "sumsq_bits holds a double");
_Static_assert(sizeof(float) == sizeof(uint32_t), "peak_bits holds a float");

/* Initialise (not real-time; before the stream starts). */
void app_stream_rt_init(app_stream_rt *rt, app_stream_block_fn *block, void *mode, int mode_channels,
                        int out_channels);
/* 1 if every kind of atomic the runner and the modes use is lock-free here. */
int app_stream_rt_lock_free(const app_stream_rt *rt);

/* The PortAudio stream callback (user = the app_stream_rt): paFloat32 | paNonInterleaved. [RT] */
int app_stream_callback(const void *input, void *output, unsigned long frames,
                        const PaStreamCallbackTimeInfo *time_info, PaStreamCallbackFlags status,
                        void *user);
/* PaStreamFinishedCallback: marks rt->finished. [RT] */
void app_stream_finished(void *user);

/* RMS and peak of everything output so far (channel 0), from the published atomics. */
double app_stream_rt_rms(app_stream_rt *rt);
double app_stream_rt_peak(app_stream_rt *rt);

#endif
