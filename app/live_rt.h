/* live_rt.h — the real-time half of `statewave live`: the denoiser's block function for the
 * stream runner's callback (stream_rt.h) and the parameters the main thread hands it.
 * Internal to app/ (and tests/rt/rt_alloc_test.c, which drives it under a malloc-counting
 * interposer).
 *
 * Threading contract: the callback only reads `dn`/`channels` (set before the stream starts,
 * never changed while it runs), reads the requested parameters through lock-free C11 atomics
 * and otherwise touches only its private fields. It never allocates, locks, prints or does I/O. */
#ifndef SW_APP_LIVE_RT_H
#define SW_APP_LIVE_RT_H

#include <stdatomic.h>
#include <stdint.h>

#include "statewave.h"

typedef struct {
    /* set up by the main thread before Pa_StartStream, read-only afterwards */
    sw_denoiser *dn;              /* engine for `channels` channels; owned by the main thread */
    int channels;                 /* input channels = engine channels, 1 or 2 */

    /* requests from the main thread: float bits in a 32-bit atomic (always lock-free) */
    _Atomic uint32_t mix_bits;    /* requested wet/dry mix, [0,1] */
    _Atomic uint32_t limit_bits;  /* requested attenuation limit in dB, [0,100] */
    _Atomic int bypass;           /* 1: copy input to output untouched (engine not run) */

    /* private to the callback */
    uint32_t applied_mix_bits;    /* last mix handed to the engine */
    uint32_t applied_limit_bits;  /* last limit handed to the engine */

    atomic_ullong no_input;       /* callbacks without an input buffer (silence was output) */
} sw_live_rt;

/* Initialise `rt` for an existing denoiser (not real-time; before the stream starts). */
void sw_live_rt_init(sw_live_rt *rt, sw_denoiser *dn, int channels, float mix, float limit_db);
/* Main thread: request new parameters; the callback applies them at its next call. */
void sw_live_rt_set_mix(sw_live_rt *rt, float mix);
void sw_live_rt_set_limit_db(sw_live_rt *rt, float limit_db);

/* app_stream_block_fn (mode = the sw_live_rt): in[channels] -> out[channels], or silence
 * when the host gave no input. [RT] */
void sw_live_block(void *mode, const float *const *in, float *const *out, unsigned long frames);

#endif
