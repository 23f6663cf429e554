/* rt_util.h — small helpers shared by the two PortAudio callbacks of the app
 * (live_rt.c, generate_rt.c). Everything here is real-time safe: a vDSO clock read and
 * relaxed atomics, no allocation, locks, printing or I/O. Header-only (static inline), so
 * each callback object stays self-contained (tests/app/rt_alloc_test links just those). */
#ifndef SW_APP_RT_UTIL_H
#define SW_APP_RT_UTIL_H

#include <stdatomic.h>
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

#endif
