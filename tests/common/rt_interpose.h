/* rt_interpose.h — one malloc-family and mutex interposer for the real-time-safety tests
 * (tests/rt/test_core_alloc.c, tests/rt/test_lv2_rt.c, tests/rt/rt_alloc_test.c).
 *
 * Include it in exactly one translation unit of a test executable: it *defines* malloc,
 * calloc, realloc, free, posix_memalign, aligned_alloc, memalign, valloc and
 * pthread_mutex_lock/trylock. Symbols in the executable take precedence over libc's for
 * every caller (libstatewave, FFTW, a dlopen'ed plugin, libc internals that go through the
 * PLT), so each call is counted while `rt_counting` is set and then forwarded to glibc's
 * __libc_* entry points (or, for the mutex calls, to the next definition via dlsym). The
 * counters are only read and reset by the test itself.
 *
 * ASan replaces the allocator with its own, so under ASan nothing is defined here and
 * RT_INTERPOSE_UNDER_ASAN is set: the tests skip with a message. */
#ifndef SW_TESTS_RT_INTERPOSE_H
#define SW_TESTS_RT_INTERPOSE_H

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define RT_INTERPOSE_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RT_INTERPOSE_UNDER_ASAN 1
#endif
#endif

static volatile int rt_counting; /* 1 while the code under test runs (set by the test) */
static volatile long rt_allocs;  /* malloc-family calls (not free) seen while counting */
static volatile long rt_frees;   /* free calls with a non-NULL pointer seen while counting */
static volatile long rt_locks;   /* pthread_mutex_lock/trylock calls seen while counting */

#ifndef RT_INTERPOSE_UNDER_ASAN
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static void rt_count_alloc(void)
{
    if (rt_counting)
        rt_allocs++;
}

void *malloc(size_t n)
{
    rt_count_alloc();
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
    rt_count_alloc();
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
    rt_count_alloc();
    return __libc_realloc(p, n);
}
void free(void *p)
{
    if (rt_counting && p) /* free(NULL) touches no allocator state */
        rt_frees++;
    __libc_free(p);
}
int posix_memalign(void **out, size_t align, size_t n)
{
    rt_count_alloc();
    void *p = __libc_memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
void *aligned_alloc(size_t align, size_t n)
{
    rt_count_alloc();
    return __libc_memalign(align, n);
}
void *memalign(size_t align, size_t n)
{
    rt_count_alloc();
    return __libc_memalign(align, n);
}
void *valloc(size_t n)
{
    rt_count_alloc();
    return __libc_memalign(4096, n);
}

/* The real lock functions live in libc (or libpthread on older glibc): looked up once,
 * on the first call, with dlsym(RTLD_NEXT). */
typedef int (*rt_mutex_fn)(pthread_mutex_t *);
int pthread_mutex_lock(pthread_mutex_t *m)
{
    static rt_mutex_fn next;
    if (rt_counting)
        rt_locks++;
    if (!next)
        next = (rt_mutex_fn)dlsym(RTLD_NEXT, "pthread_mutex_lock");
    return next(m);
}
int pthread_mutex_trylock(pthread_mutex_t *m)
{
    static rt_mutex_fn next;
    if (rt_counting)
        rt_locks++;
    if (!next)
        next = (rt_mutex_fn)dlsym(RTLD_NEXT, "pthread_mutex_trylock");
    return next(m);
}
#endif

#endif
