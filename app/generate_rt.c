/* generate_rt.c — the render-ahead ring of `statewave generate --live`: the producer that
 * renders and resamples into it (sw_gen_rt_fill, on the rendering thread) and the
 * PortAudio callback that plays from it (sw_gen_callback, on the audio thread). The
 * callback does plain loads/stores, acquire/release atomics and memcpy/memset only; no
 * allocation, locks, printing or I/O. See generate_rt.h for the contract. */
#include "generate_rt.h"
#include "rt_util.h"

#include <math.h>
#include <string.h>

size_t sw_gen_rt_ring_frames(double device_rate)
{
    size_t want = (size_t)ceil(device_rate * SW_GEN_RT_AHEAD_S), cap = 16384;
    while (cap < want)
        cap *= 2;
    return cap;
}

void sw_gen_rt_init(sw_gen_rt *rt, sw_generator *gen, SRC_STATE *src, double device_rate,
                    int out_channels, float *ring, size_t ring_cap)
{
    memset(rt, 0, sizeof *rt);
    rt->gen = gen;
    rt->src = src;
    rt->ratio = device_rate / sw_generator_sample_rate(gen);
    rt->ring = ring;
    rt->ring_cap = ring_cap;
    rt->out_channels = out_channels;
    atomic_init(&rt->ring_written, 0);
    atomic_init(&rt->ring_read, 0);
    atomic_init(&rt->frames, 0);
    atomic_init(&rt->starved, 0);
    atomic_init(&rt->rendered, 0);
    atomic_init(&rt->render_ns, 0);
    atomic_init(&rt->callbacks, 0);
    atomic_init(&rt->xrun_callbacks, 0);
    atomic_init(&rt->out_underflow, 0);
    atomic_init(&rt->out_overflow, 0);
    atomic_init(&rt->src_errors, 0);
    app_rt_meter_init(&rt->meter);
    atomic_init(&rt->busy_ns, 0);
    atomic_init(&rt->max_ns, 0);
    atomic_init(&rt->finished, 0);
}

void sw_gen_rt_warm_up(sw_generator *gen)
{
    float scratch[1600];
    size_t n = (size_t)sw_generator_sample_rate(gen) / 10;
    for (size_t pos = 0; pos < n; pos += 1600)
        sw_generator_render(gen, scratch, n - pos < 1600 ? n - pos : 1600);
    sw_generator_reset(gen);
}

int sw_gen_rt_lock_free(const sw_gen_rt *rt)
{
    return atomic_is_lock_free(&rt->frames) && atomic_is_lock_free(&rt->meter.peak_bits) &&
           atomic_is_lock_free(&rt->finished) && atomic_is_lock_free(&rt->ring_written);
}

double sw_gen_rt_rms(sw_gen_rt *rt)
{
    return app_rt_meter_rms(&rt->meter, atomic_load_explicit(&rt->frames, memory_order_relaxed));
}

double sw_gen_rt_peak(sw_gen_rt *rt)
{
    return app_rt_meter_peak(&rt->meter);
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
        if (rt->buf_pos >= rt->buf_len) {
            sw_generator_render(rt->gen, rt->buf, SW_GEN_RT_CHUNK);
            rt->buf_pos = 0;
            rt->buf_len = SW_GEN_RT_CHUNK;
            atomic_fetch_add_explicit(&rt->rendered, SW_GEN_RT_CHUNK, memory_order_relaxed);
        }
        const size_t at = w & mask;
        size_t room = rt->ring_cap - at; /* contiguous up to the ring's end */
        if (room > space)
            room = space;
        const long avail = rt->buf_len - rt->buf_pos;
        size_t made;
        if (!rt->src) { /* device at the model rate: the rendered samples are the output */
            made = (size_t)avail < room ? (size_t)avail : room;
            memcpy(rt->ring + at, rt->buf + rt->buf_pos, made * sizeof(float));
            rt->buf_pos += (int)made;
        } else {
            SRC_DATA d = {
                .data_in = rt->buf + rt->buf_pos, .input_frames = avail,
                .data_out = rt->ring + at, .output_frames = (long)room,
                .end_of_input = 0, .src_ratio = rt->ratio,
            };
            int e = src_process(rt->src, &d);
            if (e || (d.input_frames_used == 0 && d.output_frames_gen == 0)) {
                /* Cannot happen with a valid ratio and non-empty buffers; never spin. */
                app_rt_bump(&rt->src_errors);
                break;
            }
            rt->buf_pos += (int)d.input_frames_used;
            made = (size_t)d.output_frames_gen;
        }
        w += made;
        space -= made;
        /* Publish each piece: the callback may take it while the next one renders. */
        atomic_store_explicit(&rt->ring_written, w, memory_order_release);
    }
    atomic_fetch_add_explicit(&rt->render_ns, app_rt_now_ns() - t_start, memory_order_relaxed);
    return w - w0;
}

int sw_gen_callback(const void *input, void *output, unsigned long frames,
                    const PaStreamCallbackTimeInfo *time_info, PaStreamCallbackFlags status,
                    void *user)
{
    (void)input;
    (void)time_info;
    sw_gen_rt *rt = user;
    const unsigned long long t_start = app_rt_now_ns();
    float *const *out = output; /* [out_channels][frames] (paNonInterleaved) */

    app_rt_bump(&rt->callbacks);
    if (status & (paOutputUnderflow | paOutputOverflow)) {
        app_rt_bump(&rt->xrun_callbacks);
        if (status & paOutputUnderflow)
            app_rt_bump(&rt->out_underflow);
        if (status & paOutputOverflow)
            app_rt_bump(&rt->out_overflow);
    }
    if (!out)
        return paContinue;

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
        atomic_fetch_add_explicit(&rt->starved, frames - n, memory_order_relaxed);
    }

    app_rt_meter_add(&rt->meter, o, frames);

    for (int c = 1; c < rt->out_channels; c++)
        memcpy(out[c], o, frames * sizeof(float));
    atomic_fetch_add_explicit(&rt->frames, frames, memory_order_relaxed);
    app_rt_account_time(&rt->busy_ns, &rt->max_ns, t_start);
    return paContinue;
}

void sw_gen_finished(void *user)
{
    sw_gen_rt *rt = user;
    atomic_store_explicit(&rt->finished, 1, memory_order_relaxed);
}
