/* rt_util.h — small helpers shared by the two PortAudio callbacks of the app
 * (live_rt.c, generate_rt.c). Everything here is real-time safe: a vDSO clock read and
 * relaxed atomics, no allocation, locks, printing or I/O. Header-only (static inline), so
 * each callback object stays self-contained (tests/app/rt_alloc_test links just those). */
#ifndef SW_APP_RT_UTIL_H
#define SW_APP_RT_UTIL_H

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* CLOCK_MONOTONIC is served by the vDSO on Linux/x86: no system call, no lock. */
static inline unsigned long long app_rt_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* Counter += 1, for the main thread to read (relaxed: a statistic, orders nothing). */
static inline void app_rt_bump(atomic_ullong *counter)
{
    atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

/* End of a callback: add its DSP time since `t_start` (app_rt_now_ns) to `busy_ns` and
 * raise `max_ns` if it was the longest. The callback is the only writer of max_ns, so a
 * load + store is enough (no compare-exchange loop). */
static inline void app_rt_account_time(atomic_ullong *busy_ns, atomic_ullong *max_ns,
                                       unsigned long long t_start)
{
    const unsigned long long dt = app_rt_now_ns() - t_start;
    atomic_fetch_add_explicit(busy_ns, dt, memory_order_relaxed);
    if (dt > atomic_load_explicit(max_ns, memory_order_relaxed))
        atomic_store_explicit(max_ns, dt, memory_order_relaxed);
}

/* Level meter of what a callback played: the callback owns sumsq and peak and publishes
 * them as bit patterns after every block; the main thread reads the published copies. */
typedef struct {
    double sumsq;               /* sum of squares of every sample metered (callback only) */
    float peak;                 /* largest |sample| (callback only) */
    atomic_ullong sumsq_bits;   /* sumsq as double bits, published after every block */
    _Atomic uint32_t peak_bits; /* peak as float bits, likewise */
} app_rt_meter;

_Static_assert(sizeof(double) == sizeof(unsigned long long), "sumsq_bits holds a double");
_Static_assert(sizeof(float) == sizeof(uint32_t), "peak_bits holds a float");

static inline void app_rt_meter_init(app_rt_meter *m)
{
    m->sumsq = 0.0;
    m->peak = 0.0f;
    atomic_init(&m->sumsq_bits, 0);
    atomic_init(&m->peak_bits, 0);
}

/* [RT] Meter x[0..n) and publish. */
static inline void app_rt_meter_add(app_rt_meter *m, const float *x, unsigned long n)
{
    double s = m->sumsq;
    float pk = m->peak;
    for (unsigned long i = 0; i < n; i++) {
        s += (double)x[i] * x[i];
        float a = fabsf(x[i]);
        if (a > pk)
            pk = a;
    }
    m->sumsq = s;
    m->peak = pk;
    unsigned long long sb;
    uint32_t pb;
    memcpy(&sb, &s, sizeof sb);
    memcpy(&pb, &pk, sizeof pb);
    atomic_store_explicit(&m->sumsq_bits, sb, memory_order_relaxed);
    atomic_store_explicit(&m->peak_bits, pb, memory_order_relaxed);
}

/* RMS over `frames` samples metered so far, from the published sum. */
static inline double app_rt_meter_rms(app_rt_meter *m, unsigned long long frames)
{
    unsigned long long b = atomic_load_explicit(&m->sumsq_bits, memory_order_relaxed);
    double s;
    memcpy(&s, &b, sizeof s);
    return frames ? sqrt(s / (double)frames) : 0.0;
}

static inline double app_rt_meter_peak(app_rt_meter *m)
{
    uint32_t b = atomic_load_explicit(&m->peak_bits, memory_order_relaxed);
    float p;
    memcpy(&p, &b, sizeof p);
    return p;
}

#endif
