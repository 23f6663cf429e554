/* live_rt.h — the real-time half of `statewave live`: the PortAudio callback and the
 * state it shares with the main thread. Internal to app/ (and tests/app/rt_alloc_test.c,
 * which drives the callback directly under a malloc-counting interposer).
 *
 * Threading contract: the callback (audio thread) only reads `dn`/`channels`/`out_channels`
 * (set before the stream starts, never changed while it runs), reads the requested
 * parameters and writes the counters through lock-free C11 atomics, and otherwise touches
 * only its private fields. It never allocates, locks, prints or does I/O. */
#ifndef SW_APP_LIVE_RT_H
#define SW_APP_LIVE_RT_H

#include <stdatomic.h>
#include <stdint.h>

#include <portaudio.h>

#include "statewave.h"

typedef struct {
    /* set up by the main thread before Pa_StartStream, read-only afterwards */
    sw_denoiser *dn;              /* engine for `channels` channels; owned by the main thread */
    int channels;                 /* input channels = engine channels, 1 or 2 */
    int out_channels;             /* output channels >= channels; extra outputs copy the last channel */

    /* requests from the main thread: float bits in a 32-bit atomic (always lock-free) */
    _Atomic uint32_t mix_bits;    /* requested wet/dry mix, [0,1] */
    _Atomic uint32_t limit_bits;  /* requested attenuation limit in dB, [0,100] */
    _Atomic int bypass;           /* 1: copy input to output untouched (engine not run) */

    /* private to the callback */
    uint32_t applied_mix_bits;    /* last mix handed to the engine */
    uint32_t applied_limit_bits;  /* last limit handed to the engine */

    /* counters written by the callback, read by the main thread */
    atomic_ullong frames;         /* frames processed */
    atomic_ullong callbacks;      /* callback invocations */
    atomic_ullong xrun_callbacks; /* callbacks with any under/overflow flag */
    atomic_ullong in_underflow;   /* paInputUnderflow seen */
    atomic_ullong in_overflow;    /* paInputOverflow seen */
    atomic_ullong out_underflow;  /* paOutputUnderflow seen */
    atomic_ullong out_overflow;   /* paOutputOverflow seen */
    atomic_ullong no_input;       /* callbacks without an input buffer (silence was output) */
    atomic_ullong busy_ns;        /* total time spent inside the callback, ns */
    atomic_ullong max_ns;         /* longest single callback, ns (written by the callback only) */
    _Atomic int finished;         /* set by the stream-finished callback */
} sw_live_rt;

/* Initialise `rt` for an existing denoiser (not real-time; before the stream starts). */
void sw_live_rt_init(sw_live_rt *rt, sw_denoiser *dn, int channels, int out_channels,
                     float mix, float limit_db);
/* Main thread: request new parameters; the callback applies them at its next call. */
void sw_live_rt_set_mix(sw_live_rt *rt, float mix);
void sw_live_rt_set_limit_db(sw_live_rt *rt, float limit_db);

/* The PortAudio stream callback. The stream must be paFloat32 | paNonInterleaved with
 * rt->channels inputs and rt->out_channels outputs. [RT] */
int sw_live_callback(const void *input, void *output, unsigned long frames,
                     const PaStreamCallbackTimeInfo *time_info, PaStreamCallbackFlags status,
                     void *user);
/* PaStreamFinishedCallback: marks rt->finished. [RT] */
void sw_live_finished(void *user);

/* 1 if every atomic used above is lock-free on this platform (checked at startup). */
int sw_live_rt_lock_free(const sw_live_rt *rt);

#endif
