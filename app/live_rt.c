/* live_rt.c — the PortAudio callback of `statewave live`. Everything here runs on the
 * audio thread: plain loads/stores, relaxed atomics, memcpy/memset and the [RT] engine
 * calls; no allocation, locks, printing or I/O. See live_rt.h for the contract. */
#include "live_rt.h"
#include "rt_util.h"

#include <string.h>

static uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

void sw_live_rt_init(sw_live_rt *rt, sw_denoiser *dn, int channels, int out_channels,
                     float mix, float limit_db)
{
    memset(rt, 0, sizeof *rt);
    rt->dn = dn;
    rt->channels = channels;
    rt->out_channels = out_channels;
    atomic_init(&rt->mix_bits, f2u(mix));
    atomic_init(&rt->limit_bits, f2u(limit_db));
    atomic_init(&rt->bypass, 0);
    rt->applied_mix_bits = f2u(mix);
    rt->applied_limit_bits = f2u(limit_db);
    atomic_init(&rt->frames, 0);
    atomic_init(&rt->callbacks, 0);
    atomic_init(&rt->xrun_callbacks, 0);
    atomic_init(&rt->in_underflow, 0);
    atomic_init(&rt->in_overflow, 0);
    atomic_init(&rt->out_underflow, 0);
    atomic_init(&rt->out_overflow, 0);
    atomic_init(&rt->no_input, 0);
    atomic_init(&rt->busy_ns, 0);
    atomic_init(&rt->max_ns, 0);
    atomic_init(&rt->finished, 0);
    /* The engine starts at these values without a ramp. */
    sw_denoiser_set_mix(dn, mix);
    sw_denoiser_set_limit_db(dn, limit_db);
    sw_denoiser_reset(dn);
}

void sw_live_rt_set_mix(sw_live_rt *rt, float mix)
{
    atomic_store_explicit(&rt->mix_bits, f2u(mix), memory_order_relaxed);
}

void sw_live_rt_set_limit_db(sw_live_rt *rt, float limit_db)
{
    atomic_store_explicit(&rt->limit_bits, f2u(limit_db), memory_order_relaxed);
}

int sw_live_rt_lock_free(const sw_live_rt *rt)
{
    return atomic_is_lock_free(&rt->mix_bits) && atomic_is_lock_free(&rt->bypass) &&
           atomic_is_lock_free(&rt->frames) && atomic_is_lock_free(&rt->finished);
}

int sw_live_callback(const void *input, void *output, unsigned long frames,
                     const PaStreamCallbackTimeInfo *time_info, PaStreamCallbackFlags status,
                     void *user)
{
    (void)time_info;
    sw_live_rt *rt = user;
    const unsigned long long t_start = app_rt_now_ns();
    float *const *out = output;              /* [out_channels][frames] (paNonInterleaved) */
    const float *const *in = input;          /* [channels][frames] or NULL */

    app_rt_bump(&rt->callbacks);
    if (status & (paInputUnderflow | paInputOverflow | paOutputUnderflow | paOutputOverflow)) {
        app_rt_bump(&rt->xrun_callbacks);
        if (status & paInputUnderflow)
            app_rt_bump(&rt->in_underflow);
        if (status & paInputOverflow)
            app_rt_bump(&rt->in_overflow);
        if (status & paOutputUnderflow)
            app_rt_bump(&rt->out_underflow);
        if (status & paOutputOverflow)
            app_rt_bump(&rt->out_overflow);
    }
    if (!out)
        return paContinue;

    /* Parameter requests: hand them to the engine only when they changed (it ramps). */
    uint32_t m = atomic_load_explicit(&rt->mix_bits, memory_order_relaxed);
    if (m != rt->applied_mix_bits) {
        sw_denoiser_set_mix(rt->dn, u2f(m));
        rt->applied_mix_bits = m;
    }
    uint32_t l = atomic_load_explicit(&rt->limit_bits, memory_order_relaxed);
    if (l != rt->applied_limit_bits) {
        sw_denoiser_set_limit_db(rt->dn, u2f(l));
        rt->applied_limit_bits = l;
    }

    if (!in) {
        for (int c = 0; c < rt->out_channels; c++)
            memset(out[c], 0, frames * sizeof(float));
        app_rt_bump(&rt->no_input);
    } else if (atomic_load_explicit(&rt->bypass, memory_order_relaxed)) {
        for (int c = 0; c < rt->channels; c++)
            memcpy(out[c], in[c], frames * sizeof(float));
    } else {
        /* in[c] -> out[c] for the engine's channels (planar, no copy needed). */
        sw_denoiser_process(rt->dn, in, out, frames);
    }
    for (int c = rt->channels; c < rt->out_channels; c++)
        memcpy(out[c], out[rt->channels - 1], frames * sizeof(float));

    atomic_fetch_add_explicit(&rt->frames, frames, memory_order_relaxed);
    app_rt_account_time(&rt->busy_ns, &rt->max_ns, t_start);
    return paContinue;
}

void sw_live_finished(void *user)
{
    sw_live_rt *rt = user;
    atomic_store_explicit(&rt->finished, 1, memory_order_relaxed);
}
