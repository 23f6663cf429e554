/* util.c — status strings, error messages, aligned memory and the denormal guard, shared by
 * every part of the library. */
#include "core.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define SW_HAVE_MXCSR 1
#endif

const char *sw_status_str(sw_status s)
{
    switch (s) {
    case SW_OK: return "ok";
    case SW_ERR_NOMEM: return "out of memory";
    case SW_ERR_IO: return "file could not be read";
    case SW_ERR_FORMAT: return "malformed model file";
    case SW_ERR_CONFIG: return "bad model config";
    case SW_ERR_ARG: return "bad argument";
    case SW_ERR_UNSUPPORTED: return "unsupported";
    }
    return "unknown status";
}

sw_status sw_fail(char *err, size_t errlen, sw_status st, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* A fresh page costs a fault on first touch, and on a VM a fault is expensive (~14 us here,
 * ~3 ms for a 600 KB block). For blocks spanning whole pages, ask the kernel to map them all
 * in one call. Only a hint: where unsupported (old kernel, other OS) pages fault as usual. */
static void prefault(void *p, size_t bytes)
{
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
    const uintptr_t page = 4096;       /* a larger page size only makes the range smaller */
    uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1), e = ((uintptr_t)p + bytes) & ~(page - 1);
    if (e > a + page) (void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* n*size rounded up to a multiple of 64 (aligned_alloc wants that), at least 64; 0 on overflow. */
static size_t aligned_bytes(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) return 0;
    size_t bytes = n * size;
    if (bytes > SIZE_MAX - 63) return 0;
    bytes = (bytes + 63) & ~(size_t)63;
    return bytes ? bytes : 64;
}

/* ------------------------------------------------------------ model regions --
 *
 * Memory that lives exactly as long as a model — its weights arena, and the blocks its layers
 * derive from the weights while it is built (packed matrices, discretised SSM parameters,
 * transposes) — is bump-allocated from one anonymous mapping per model, its region, advised
 * for transparent huge pages when it is 1 MiB or more.
 *
 * Why: a page touched for the first time is expensive on a VM: ~14 us for a plain fault and
 * still ~5 us after MADV_POPULATE_WRITE on this project's build VM (the hypervisor maps each
 * 4 KiB page on its first access). The shipped denoiser's model is ~330 such pages (~2 ms,
 * most of the model-load part of the first LV2 instantiate); one 2 MiB huge page costs
 * ~0.15 ms. With huge pages off (or none free), the region falls back to 4 KiB pages,
 * prefaulted block by block as before.
 *
 * Rules: the arena is the region's first block (sw_region_new returns it; the region header
 * sits just before it). While a thread has entered a region (sw_region_enter/leave, which
 * only model.c calls, around building and freeing a model), sw_alloc_aligned takes blocks
 * from it (from the heap once it is full) and sw_free ignores pointers into it; the whole
 * region goes at once in sw_region_free. Region memory is never reused, so it is still the
 * kernel's zero pages: sw_calloc_aligned skips its memset. Sanitizer builds give the region
 * no room beyond the arena, so that every derived block stays a heap block ASan checks. */

#if defined(__SANITIZE_ADDRESS__)
#define SW_REGION_HEAP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define SW_REGION_HEAP 1
#endif
#endif

#define SW_REGION_HDR 64u                /* header bytes before the arena (keeps it 64-aligned) */
#define SW_HUGE ((size_t)2 << 20)        /* x86-64 transparent huge page */

typedef struct {
    char *map;       /* start of the mapping (munmap), or the heap block (SW_REGION_HEAP) */
    size_t map_len;  /* bytes mapped at map */
    size_t size;     /* usable bytes from the header's start */
    size_t used;     /* bytes handed out from the header's start (header + arena + blocks) */
} sw_region;

static _Thread_local sw_region *tl_region; /* region the calling thread has entered, or NULL */

static sw_region *region_of(const void *arena) { return (sw_region *)((char *)arena - SW_REGION_HDR); }

static int in_region(const sw_region *r, const void *p)
{
    return r && (const char *)p >= (const char *)r && (const char *)p < (const char *)r + r->size;
}

void *sw_region_new(size_t arena_floats, size_t extra_bytes)
{
    size_t arena = aligned_bytes(arena_floats, sizeof(float));
    if (!arena || arena > SIZE_MAX / 4 || extra_bytes > SIZE_MAX / 4) return NULL;
#ifdef SW_REGION_HEAP
    extra_bytes = 0;
#endif
    size_t need = SW_REGION_HDR + arena + extra_bytes;
    sw_region *r;
    char *map;
    size_t map_len;
#ifdef SW_REGION_HEAP
    map = aligned_alloc(64, need);
    if (!map) return NULL;
    map_len = need;
    r = (sw_region *)map;
#else
    const size_t page = 4096;
    need = (need + page - 1) & ~(page - 1);
    const int huge = need >= SW_HUGE / 2;
    if (huge) need = (need + SW_HUGE - 1) & ~(SW_HUGE - 1);
    map_len = need + (huge ? SW_HUGE : 0);           /* room to align the start to 2 MiB */
    map = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) return NULL;
    char *base = map;
    if (huge) {
        base = (char *)(((uintptr_t)map + SW_HUGE - 1) & ~(uintptr_t)(SW_HUGE - 1));
        if (base > map) munmap(map, (size_t)(base - map));
        if (map + map_len > base + need) munmap(base + need, (size_t)(map + map_len - (base + need)));
        map = base;
        map_len = need;
#ifdef MADV_HUGEPAGE
        (void)madvise(base, need, MADV_HUGEPAGE);
#endif
    }
    r = (sw_region *)base;
#endif
    r->map = map;
    r->map_len = map_len;
    r->size = need;
    r->used = SW_REGION_HDR + arena;
    char *a = (char *)r + SW_REGION_HDR;
    prefault(a, arena);
#ifdef SW_REGION_HEAP
    memset(a, 0, arena);
#endif
    return a;
}

void *sw_region_enter(const void *arena)
{
    sw_region *prev = tl_region;
    tl_region = arena ? region_of(arena) : NULL;
    return prev;
}

void sw_region_leave(void *prev) { tl_region = prev; }

void sw_region_trim(const void *arena)
{
#ifndef SW_REGION_HEAP
    sw_region *r = region_of(arena);
    const size_t unit = r->size >= SW_HUGE ? SW_HUGE : 4096;
    size_t keep = (r->used + unit - 1) & ~(unit - 1);
    if (keep < r->map_len) {
        munmap(r->map + keep, r->map_len - keep);
        r->map_len = keep;
        r->size = keep;
    }
    /* Every page the model uses must be mapped before any audio thread reads it. A huge page
     * is whole once touched; with 4 KiB pages, a small block nobody wrote at build time (it is
     * the kernel's zeroes, sw_calloc_aligned skips its memset) could still be unmapped. */
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
    (void)madvise(r, (r->used + 4095) & ~(size_t)4095, MADV_POPULATE_WRITE);
#endif
#else
    (void)arena;
#endif
}

void sw_region_free(void *arena)
{
    if (!arena) return;
    sw_region *r = region_of(arena);
    if (tl_region == r) tl_region = NULL;
#ifdef SW_REGION_HEAP
    free(r->map);
#else
    munmap(r->map, r->map_len);
#endif
}

/* A 64-aligned block of `bytes` from the entered region, or NULL if there is none or it is full. */
static void *region_take(size_t bytes)
{
    sw_region *r = tl_region;
    if (!r || bytes > r->size - r->used) return NULL;
    void *p = (char *)r + r->used;
    r->used += bytes;
    return p;
}

void *sw_alloc_aligned(size_t n, size_t size)
{
    size_t bytes = aligned_bytes(n, size);
    if (!bytes) return NULL;
    void *p = region_take(bytes);
    if (!p) p = aligned_alloc(64, bytes);
    if (p) prefault(p, bytes);
    return p;
}

void *sw_calloc_aligned(size_t n, size_t size)
{
    void *p = sw_alloc_aligned(n, size);
    if (p && !in_region(tl_region, p)) memset(p, 0, aligned_bytes(n, size));
    return p;
}

void sw_free(void *p)
{
    if (in_region(tl_region, p)) return;   /* freed with its region */
    free(p);
}

void swi_free_each(void *const *blocks, size_t count)
{
    for (size_t i = 0; i < count; i++) sw_free(blocks[i]);
}

/* MXCSR bit 15 = FTZ (flush results), bit 6 = DAZ (treat denormal inputs as zero).
 * Denormals appear in every decaying recurrence and cost ~100 cycles each on x86. */
void sw_fpenv_enter(sw_fpenv *env)
{
#ifdef SW_HAVE_MXCSR
    unsigned int csr = _mm_getcsr();
    env->saved = csr;
    _mm_setcsr(csr | 0x8040u);
#else
    env->saved = 0;
#endif
}

void sw_fpenv_leave(const sw_fpenv *env)
{
#ifdef SW_HAVE_MXCSR
    _mm_setcsr(env->saved);
#else
    (void)env;
#endif
}
