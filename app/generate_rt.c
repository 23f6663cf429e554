/* generate_rt.c — the render-ahead ring of `statewave generate --live`: the producer that
 * renders into it at the device rate (sw_gen_rt_fill, on the rendering thread) and the block
 * that plays from it (sw_gen_block, in the stream runner's callback on the audio thread). The
 * block does plain loads/stores, acquire/release atomics and memcpy/memset only; no
 * allocation, locks, printing or I/O. See generate_rt.h for the contract. */
#include "generate_rt.h"
#include "stream_rt.h"

#include <math.h>
#include <string.h>

size_t sw_gen_rt_ring_frames(double device_rate)
{
    size_t want = (size_t)ceil(device_rate * SW_GEN_RT_AHEAD_S), cap = 16384;
    while (cap < want)
        cap *= 2;
    return cap;
}

void sw_gen_rt_init(sw_gen_rt *rt, sw_gen_stream *stream, float *ring, size_t ring_cap)
{
    memset(rt, 0, sizeof *rt);
    rt->stream = stream;
    rt->ring = ring;
    rt->ring_cap = ring_cap;
    atomic_init(&rt->ring_written, 0);
    atomic_init(&rt->ring_read, 0);
    atomic_init(&rt->starved, 0);
    atomic_init(&rt->rendered, 0);
    atomic_init(&rt->render_ns, 0);
    atomic_init(&rt->src_errors, 0);
}

size_t sw_gen_rt_buffered(sw_gen_rt *rt)
{
    size_t r = atomic_load_explicit(&rt->ring_read, memory_order_acquire);
    size_t w = atomic_load_explicit(&rt->ring_written, memory_order_acquire);
    return w - r;
}

size_t sw_gen_rt_fill(sw_gen_rt *rt)
{
    const size_t mask = rt->ring_cap - 1;
    /* Only this side stores ring_written; the acquire on ring_read makes the frames the
     * callback has finished copying out free to overwrite. */
    size_t w = atomic_load_explicit(&rt->ring_written, memory_order_relaxed);
    const size_t r = atomic_load_explicit(&rt->ring_read, memory_order_acquire);
    const size_t w0 = w;
    size_t space = rt->ring_cap - (w - r);
    if (space == 0)
        return 0;
    const unsigned long long t_start = app_rt_now_ns();
    while (space > 0) {
        const size_t at = w & mask;
        size_t n = rt->ring_cap - at; /* contiguous up to the ring's end */
        if (n > space)
            n = space;
        if (n > SW_GEN_RT_PIECE)
            n = SW_GEN_RT_PIECE;
        if (sw_gen_stream_render(rt->stream, rt->ring + at, (uint32_t)n) < n)
            app_rt_add(&rt->src_errors, 1); /* cannot happen with a rate the stream accepted */
        w += n;
        space -= n;
        atomic_store_explicit(&rt->rendered, sw_gen_stream_rendered(rt->stream), memory_order_relaxed);
        /* Publish each piece: the callback may take it while the next one renders. */
        atomic_store_explicit(&rt->ring_written, w, memory_order_release);
    }
    atomic_fetch_add_explicit(&rt->render_ns, app_rt_now_ns() - t_start, memory_order_relaxed);
    return w - w0;
}

void sw_gen_block(void *mode, const float *const *in, float *const *out, unsigned long frames)
{
    (void)in;
    sw_gen_rt *rt = mode;
    /* Take what the ring has, up to `frames`; the acquire pairs with the producer's
     * release, so those frames are fully written. */
    float *o = out[0];
    const size_t mask = rt->ring_cap - 1;
    const size_t r = atomic_load_explicit(&rt->ring_read, memory_order_relaxed);
    const size_t w = atomic_load_explicit(&rt->ring_written, memory_order_acquire);
    size_t n = w - r < frames ? w - r : frames;
    const size_t at = r & mask;
    size_t first = rt->ring_cap - at < n ? rt->ring_cap - at : n;
    memcpy(o, rt->ring + at, first * sizeof(float));
    memcpy(o + first, rt->ring, (n - first) * sizeof(float));
    atomic_store_explicit(&rt->ring_read, r + n, memory_order_release);
    if (n < frames) { /* the rendering fell behind: silence, counted, never a wait */
        memset(o + n, 0, (frames - n) * sizeof(float));
        app_rt_add(&rt->starved, frames - n);
    }
}
