/* core.h — internal helpers shared by every part of libstatewave (not public).
 *
 * The format's limits, error messages and aligned allocation. What layer builders use while a
 * model loads (config readers, tensor fetches) is in nn/build.h. */
#ifndef SW_CORE_H
#define SW_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "statewave.h"

/* Limits from dsp/FORMAT.md. */
#define SW_MAX_WIDTH      4096
#define SW_MAX_STATE      1024
#define SW_MAX_KERNEL     64
#define SW_MIN_FACTOR     2
#define SW_MAX_FACTOR     64
#define SW_MAX_DEPTH      8
#define SW_MAX_LAYERS     256
#define SW_MAX_WEIGHTS    (64u * 1024u * 1024u)    /* floats */
#define SW_MAX_HEADER     (16u * 1024u * 1024u)    /* bytes */
#define SW_MAX_FILE       (512u * 1024u * 1024u)   /* bytes, sw_model_load_file */
#define SW_MAX_VOCAB      65536                     /* embedding rows (not in FORMAT.md; our own bound) */

/* Input frames are clamped to +-SW_INPUT_CLAMP: keeps finite-but-absurd input from
 * overflowing the state, while being far above any sane audio/feature value. */
#define SW_INPUT_CLAMP    1.0e4f

/* Writes a printf-style message into err[errlen] (if err != NULL) and returns `st`. */
sw_status sw_fail(char *err, size_t errlen, sw_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* 64-byte aligned, zero-filled; NULL on failure or if n*size overflows. Free with sw_free. */
void *sw_calloc_aligned(size_t n, size_t size);
/* The same, not zeroed: for blocks the caller overwrites completely. */
void *sw_alloc_aligned(size_t n, size_t size);
void sw_free(void *p);
/* sw_free of every block of blocks[count], NULL ones skipped: for destroy functions that own a
 * list of buffers from sw_calloc_aligned or the plain heap (sw_free is free() for those).
 * SWI_FREE_EACH(a, b, ...) passes the list and its length. */
void swi_free_each(void *const *blocks, size_t count);
#define SWI_FREE_EACH(...) \
    swi_free_each((void *const[]){__VA_ARGS__}, sizeof((void *const[]){__VA_ARGS__}) / sizeof(void *))
/* A model's region (util.c, used by nn/model.c): one mapping (transparent huge pages where the
 * kernel gives them) holding the model's weights arena and every block its layers derive from
 * the weights while they are built (sw_alloc_aligned between enter and leave lands there and
 * sw_free of such a block is a no-op); trim pre-faults what was used and returns the rest;
 * freed as a whole with the model. Why: a fresh 4 KiB page costs 5-14 us on shared VMs, which
 * dominated the first LV2 instantiate. */
void *sw_region_new(size_t arena_floats, size_t extra_bytes);
void *sw_region_enter(const void *arena);
void sw_region_leave(void *prev);
void sw_region_trim(const void *arena);
void sw_region_free(void *arena);
/* Rounds n floats up to a multiple of 16 (one cache line), so arrays carved out of an
 * arena stay 64-byte aligned. */
static inline size_t sw_pad16(size_t n) { return (n + 15u) & ~(size_t)15u; }

#endif
