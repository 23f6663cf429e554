/* generate_rt.h — the real-time half of `statewave generate --live`: a render-ahead ring
 * between a rendering thread and the PortAudio output callback, and the counters the main
 * thread reads. Internal to app/ (and tests/rt/rt_alloc_test.c, which drives the callback
 * directly under a malloc-counting interposer).
 *
 * Why a ring: a generator has no input to keep in step with, so nothing forces it to run
 * inside the callback. Rendering there made every period's deadline depend on the
 * generator's worst-case time (at 48 kHz the model plus resampler takes 35-60 % of a
 * core, and on a loaded 2-core machine single periods ran to twice their length: xruns).
 * sw_gen_rt_fill renders the audio at the device rate with an sw_gen_stream (the generator
 * and its converter, made before the stream starts) and writes it into the ring, up to
 * SW_GEN_RT_AHEAD_S seconds ahead of what was played; the callback only copies from the
 * ring. A late render now costs nothing as long as the ring has audio left; when it runs
 * dry the callback plays silence and counts the frames (`starved`), it never waits.
 *
 * Threading contract: one producer (sw_gen_rt_fill: the main thread before the stream
 * starts, then one rendering thread) and one consumer (sw_gen_block, in the callback). The two share
 * the ring through the acquire/release counters ring_written/ring_read only; every other
 * field is owned by one side, and the main thread reads only the atomic counters while
 * the stream runs. The callback never allocates, locks, prints or does I/O. */
#ifndef SW_APP_GENERATE_RT_H
#define SW_APP_GENERATE_RT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "statewave.h"

/* How far the rendering runs ahead of the output, in seconds of audio. A generator has no
 * input, so this delays only the start (the ring is filled first) and nothing a listener
 * can hear while it plays; it is what a stall of the rendering thread can last before the
 * output runs dry. */
#define SW_GEN_RT_AHEAD_S 0.5
/* Device frames rendered and published at a time, so that the callback may take the first
 * of a top-up while the rest renders. */
#define SW_GEN_RT_PIECE 1024

typedef struct {
    /* producer side (sw_gen_rt_fill) */
    sw_gen_stream *stream;        /* the generator at the device rate; owned by the caller */

    /* the ring, shared: device-rate mono frames */
    float *ring;                  /* [ring_cap] frames; owned by the caller (sw_gen_rt_ring_frames) */
    size_t ring_cap;              /* a power of two */
    atomic_size_t ring_written;   /* frames ever written (producer stores, release) */
    atomic_size_t ring_read;      /* frames ever read (callback stores, release) */

    /* counters for the main thread */
    atomic_ullong starved;        /* frames of silence played because the ring was empty (callback) */
    atomic_ullong rendered;       /* model-rate samples rendered (producer: sw_gen_stream_rendered) */
    atomic_ullong render_ns;      /* time spent rendering and converting, ns (producer) */
    atomic_ullong src_errors;     /* converter failures (producer; that piece ends in silence) */
} sw_gen_rt;

/* Ring size for a device rate: the power of two >= SW_GEN_RT_AHEAD_S seconds of frames,
 * and >= 16384 so that at low rates it still holds several of the largest host periods
 * (4096 frames). The caller allocates that many floats. */
size_t sw_gen_rt_ring_frames(double device_rate);

/* Initialise `rt` (not real-time; before the stream starts): `stream` renders at the device
 * rate, `ring` holds `ring_cap` floats (sw_gen_rt_ring_frames(device_rate)); both stay
 * owned by the caller. */
void sw_gen_rt_init(sw_gen_rt *rt, sw_gen_stream *stream, float *ring, size_t ring_cap);

/* The producer: render until the ring is full; returns the frames written.
 * Never blocks; allocates nothing. Called by one thread at a time (the main thread to fill
 * the ring before the stream starts, then the rendering thread). */
size_t sw_gen_rt_fill(sw_gen_rt *rt);

/* Frames in the ring not yet played. */
size_t sw_gen_rt_buffered(sw_gen_rt *rt);

/* app_stream_block_fn (mode = the sw_gen_rt): out[0] from the ring, silence where it ran
 * dry. [RT] */
void sw_gen_block(void *mode, const float *const *in, float *const *out, unsigned long frames);

#endif
