/* generate_rt.h — the real-time half of `statewave generate --live`: the PortAudio
 * output callback and the state it shares with the main thread. Internal to app/ (and
 * tests/app/rt_alloc_test.c, which drives the callback directly under a malloc-counting
 * interposer).
 *
 * The callback renders the model-rate audio (16 kHz for the shipped model) with
 * sw_generator_render into a preallocated buffer and converts it to the device rate with
 * libsamplerate's src_process (converter state made by src_new before the stream starts).
 * At the model rate no converter is used: the rendered samples are the output.
 *
 * Threading contract: the main thread fills every field with sw_gen_rt_init before the
 * stream starts and only reads the atomic counters while it runs; the callback owns the
 * generator, the converter and the buffers from then on. The callback never allocates,
 * locks, prints or does I/O. */
#ifndef SW_APP_GENERATE_RT_H
#define SW_APP_GENERATE_RT_H

#include <stdatomic.h>
#include <stdint.h>

#include <portaudio.h>
#include <samplerate.h>

#include "statewave.h"

/* Model-rate samples rendered per sw_generator_render call at most: the callback loops
 * for larger requests, so this bounds the buffer, not the host block size. */
#define SW_GEN_RT_CHUNK 512
/* libsamplerate converter for model rate -> device rate (src_new with this, 1 channel).
 * The model's audio is 8-bit mu-law, so the medium-quality sinc (97 dB SNR, 90% band) is
 * already far below its own quantisation noise, at a small fraction of the generator's
 * cost (the callback's time barely moves between FASTEST, MEDIUM and BEST). */
#define SW_GEN_RT_SRC_TYPE SRC_SINC_MEDIUM_QUALITY

typedef struct {
    /* set by sw_gen_rt_init, owned by the callback while the stream runs */
    sw_generator *gen;            /* generator; owned by the caller (main thread) */
    SRC_STATE *src;               /* model rate -> device rate; NULL when the rates match; owned by the caller */
    double ratio;                 /* device rate / model rate (src_ratio) */
    int out_channels;             /* output channels; every channel carries the mono signal */
    float buf[SW_GEN_RT_CHUNK];   /* [SW_GEN_RT_CHUNK] rendered model-rate samples */
    int buf_pos;                  /* next unconsumed sample in buf */
    int buf_len;                  /* samples in buf */
    double sumsq;                 /* sum of squares of every output sample (channel 0) */
    float peak;                   /* largest |output sample| */

    /* counters written by the callback, read by the main thread */
    atomic_ullong frames;         /* device-rate frames written */
    atomic_ullong rendered;       /* model-rate samples rendered */
    atomic_ullong callbacks;      /* callback invocations */
    atomic_ullong xrun_callbacks; /* callbacks with paOutputUnderflow/paOutputOverflow */
    atomic_ullong out_underflow;  /* paOutputUnderflow seen */
    atomic_ullong out_overflow;   /* paOutputOverflow seen */
    atomic_ullong src_errors;     /* src_process failures (the rest of that block is silence) */
    atomic_ullong sumsq_bits;     /* sumsq as double bits, published after every callback */
    _Atomic uint32_t peak_bits;   /* peak as float bits, likewise */
    atomic_ullong busy_ns;        /* total time spent inside the callback, ns */
    atomic_ullong max_ns;         /* longest single callback, ns (written by the callback only) */
    _Atomic int finished;         /* set by the stream-finished callback */
} sw_gen_rt;

/* Initialise `rt` (not real-time; before the stream starts). `src` converts
 * sw_generator_sample_rate(gen) to `device_rate` (made with src_new(..., 1, ...)), or is
 * NULL when the two rates are equal. */
void sw_gen_rt_init(sw_gen_rt *rt, sw_generator *gen, SRC_STATE *src, double device_rate,
                    int out_channels);

/* Run the generator once through every layer (0.1 s of audio) and reset it (not
 * real-time; call before priming and before the stream starts). The first render after
 * create touches weights and freshly allocated state for the first time, which made the
 * first callbacks 5-8x slower than the rest (an xrun at every start at 256 frames);
 * after sw_generator_reset the generator renders exactly what a fresh one would. */
void sw_gen_rt_warm_up(sw_generator *gen);

/* The PortAudio stream callback: output only, paFloat32 | paNonInterleaved,
 * rt->out_channels channels. [RT] */
int sw_gen_callback(const void *input, void *output, unsigned long frames,
                    const PaStreamCallbackTimeInfo *time_info, PaStreamCallbackFlags status,
                    void *user);
/* PaStreamFinishedCallback: marks rt->finished. [RT] */
void sw_gen_finished(void *user);

/* RMS and peak of everything output so far (channel 0), from the published atomics. */
double sw_gen_rt_rms(sw_gen_rt *rt);
double sw_gen_rt_peak(sw_gen_rt *rt);

/* 1 if every atomic used above is lock-free on this platform (checked at startup). */
int sw_gen_rt_lock_free(const sw_gen_rt *rt);

#endif
