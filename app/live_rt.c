/* live_rt.c — the denoiser's block function for `statewave live`'s callback. Everything here
 * runs on the audio thread: plain loads/stores, relaxed atomics, memcpy/memset and the [RT]
 * engine calls; no allocation, locks, printing or I/O. See live_rt.h for the contract. */
#include "live_rt.h"
#include "stream_rt.h"

void sw_live_rt_init(sw_live_rt *rt, sw_denoiser *dn, int channels, float mix, float limit_db)
{
    memset(rt, 0, sizeof *rt);
    rt->dn = dn;
    rt->channels = channels;
    atomic_init(&rt->mix_bits, app_rt_f2u(mix));
    atomic_init(&rt->limit_bits, app_rt_f2u(limit_db));
    atomic_init(&rt->bypass, 0);
    atomic_init(&rt->no_input, 0);
    rt->applied_mix_bits = app_rt_f2u(mix);
    rt->applied_limit_bits = app_rt_f2u(limit_db);
    /* The engine starts at these values without a ramp. */
    sw_denoiser_set_mix(dn, mix);
    sw_denoiser_set_limit_db(dn, limit_db);
    sw_denoiser_reset(dn);
}

void sw_live_rt_set_mix(sw_live_rt *rt, float mix)
{
    atomic_store_explicit(&rt->mix_bits, app_rt_f2u(mix), memory_order_relaxed);
}

void sw_live_rt_set_limit_db(sw_live_rt *rt, float limit_db)
{
    atomic_store_explicit(&rt->limit_bits, app_rt_f2u(limit_db), memory_order_relaxed);
}

void sw_live_block(void *mode, const float *const *in, float *const *out, unsigned long frames)
{
    sw_live_rt *rt = mode;
    /* Parameter requests: hand them to the engine only when they changed (it ramps). */
    uint32_t m = atomic_load_explicit(&rt->mix_bits, memory_order_relaxed);
    if (m != rt->applied_mix_bits) {
        sw_denoiser_set_mix(rt->dn, app_rt_u2f(m));
        rt->applied_mix_bits = m;
    }
    uint32_t l = atomic_load_explicit(&rt->limit_bits, memory_order_relaxed);
    if (l != rt->applied_limit_bits) {
        sw_denoiser_set_limit_db(rt->dn, app_rt_u2f(l));
        rt->applied_limit_bits = l;
    }
    if (!in) {
        for (int c = 0; c < rt->channels; c++)
            memset(out[c], 0, frames * sizeof(float));
        app_rt_add(&rt->no_input, 1);
    } else if (atomic_load_explicit(&rt->bypass, memory_order_relaxed)) {
        for (int c = 0; c < rt->channels; c++)
            memcpy(out[c], in[c], frames * sizeof(float));
    } else {
        /* in[c] -> out[c] for the engine's channels (planar, no copy needed). */
        sw_denoiser_process(rt->dn, in, out, frames);
    }
}
