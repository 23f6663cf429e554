/* bench_util.h — what the C benchmarks share: the clock they time with and the comparison
 * they sort timings with. */
#ifndef SW_BENCH_UTIL_H
#define SW_BENCH_UTIL_H

#include <time.h>

/* This thread's CPU time in seconds: on a shared machine, time while descheduled is not
 * counted (other processes still share caches and memory bandwidth). */
static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* qsort comparison of doubles, ascending. */
static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#endif
