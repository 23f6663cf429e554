/* stream_rt.c — the PortAudio callback trampoline of the app's stream runner. Everything here
 * runs on the audio thread: plain loads/stores, relaxed atomics and memcpy, around the mode's
 * block function; no allocation, locks, printing or I/O. See stream_rt.h for the contract. */
#include "stream_rt.h"

#include <math.h>

void app_stream_rt_init(app_stream_rt *rt, app_stream_block_fn *block, void *mode, int mode_channels,
                        int out_channels)
{
    memset(rt, 0, sizeof *rt);
    rt->block = block;
    rt->mode = mode;
    rt->mode_channels = mode_channels;
    rt->out_channels = out_channels;
    atomic_init(&rt->sumsq_bits, 0);
    atomic_init(&rt->peak_bits, 0);
    atomic_ullong *c[] = { &rt->frames, &rt->callbacks, &rt->xrun_callbacks, &rt->in_underflow,
                           &rt->in_overflow, &rt->out_underflow, &rt->out_overflow, &rt->busy_ns,
                           &rt->max_ns };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        atomic_init(c[i], 0);
    atomic_init(&rt->finished, 0);
}

int app_stream_rt_lock_free(const app_stream_rt *rt)
{
    atomic_size_t sz; /* the generator's ring counters */
    atomic_init(&sz, 0);
    return atomic_is_lock_free(&rt->frames) && atomic_is_lock_free(&rt->peak_bits) &&
           atomic_is_lock_free(&rt->finished) && atomic_is_lock_free(&sz);
}

/* Meter x[0..n) and publish. [RT] */
static void meter_add(app_stream_rt *rt, const float *x, unsigned long n)
{
    double s = rt->sumsq;
    float pk = rt->peak;
    for (unsigned long i = 0; i < n; i++) {
        s += (double)x[i] * x[i];
        float a = fabsf(x[i]);
        if (a > pk)
            pk = a;
    }
    rt->sumsq = s;
    rt->peak = pk;
    unsigned long long sb;
    memcpy(&sb, &s, sizeof sb);
    atomic_store_explicit(&rt->sumsq_bits, sb, memory_order_relaxed);
    atomic_store_explicit(&rt->peak_bits, app_rt_f2u(pk), memory_order_relaxed);
}

int app_stream_callback(const void *input, void *output, unsigned long frames,
                        const PaStreamCallbackTimeInfo *time_info, PaStreamCallbackFlags status,
                        void *user)
{
    (void)time_info;
    app_stream_rt *rt = user;
    const unsigned long long t_start = app_rt_now_ns();
    float *const *out = output; /* [out_channels][frames] (paNonInterleaved) */

    app_rt_add(&rt->callbacks, 1);
    if (status & (paInputUnderflow | paInputOverflow | paOutputUnderflow | paOutputOverflow)) {
        app_rt_add(&rt->xrun_callbacks, 1);
        app_rt_add(&rt->in_underflow, (status & paInputUnderflow) != 0);
        app_rt_add(&rt->in_overflow, (status & paInputOverflow) != 0);
        app_rt_add(&rt->out_underflow, (status & paOutputUnderflow) != 0);
        app_rt_add(&rt->out_overflow, (status & paOutputOverflow) != 0);
    }
    if (!out)
        return paContinue;
    rt->block(rt->mode, input, out, frames);
    for (int c = rt->mode_channels; c < rt->out_channels; c++)
        memcpy(out[c], out[rt->mode_channels - 1], frames * sizeof(float));
    meter_add(rt, out[0], frames);
    app_rt_add(&rt->frames, frames);

    /* The callback is the only writer of max_ns: a load + store is enough. */
    const unsigned long long dt = app_rt_now_ns() - t_start;
    app_rt_add(&rt->busy_ns, dt);
    if (dt > atomic_load_explicit(&rt->max_ns, memory_order_relaxed))
        atomic_store_explicit(&rt->max_ns, dt, memory_order_relaxed);
    return paContinue;
}

void app_stream_finished(void *user)
{
    app_stream_rt *rt = user;
    atomic_store_explicit(&rt->finished, 1, memory_order_relaxed);
}

double app_stream_rt_rms(app_stream_rt *rt)
{
    unsigned long long b = atomic_load_explicit(&rt->sumsq_bits, memory_order_relaxed), n = app_rt_ld(&rt->frames);
    double s;
    memcpy(&s, &b, sizeof s);
    return n ? sqrt(s / (double)n) : 0.0;
}

double app_stream_rt_peak(app_stream_rt *rt)
{
    return app_rt_u2f(atomic_load_explicit(&rt->peak_bits, memory_order_relaxed));
}
