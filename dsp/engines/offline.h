/* offline.h — whole signals through the real-time engines, time-aligned (public part:
 * dsp/statewave.h, sw_offline_denoiser and sw_offline_transfer).
 *
 * sw_offline_denoiser: denoising for any channel count and any sample rate. Built on the
 * real-time pieces:
 *
 *   interleaved input frames (file rate, C channels)
 *   -> [sw_resampler to the nearest rate the engine runs at, only when the rate is outside
 *       SW_DENOISE_MIN_RATE..SW_DENOISE_MAX_RATE: best sinc below, medium sinc above]
 *   -> one sw_denoiser per channel pair (stereo gains linked inside a pair; an odd last
 *      channel gets a mono denoiser), in blocks of SW_OFFLINE_DN_BLOCK frames
 *   -> latency trim: the first L output frames are dropped (L = sw_denoiser_latency)
 *   -> [sw_resampler back to the input's rate]
 *   -> the caller's write function, capped at the frames fed so far.
 *
 * sw_offline_denoiser_finish then feeds zeros until exactly as many frames as went in have come
 * out: output frame t is the denoised input frame t (the delay of the denoiser and of both
 * converters compensated), and the output is as long as the input.
 *
 * Ownership: owns its denoisers, converters and work buffers (made at create). Not real-time. */
#ifndef SW_OFFLINE_H
#define SW_OFFLINE_H

#include "statewave.h"

#define SW_OFFLINE_DN_BLOCK 4096   /* frames per sw_denoiser_process call (17 hops at 48 kHz: the
                                      denoiser steps its network over a call's hops as one batch) */
#define SW_OFFLINE_RS_BLOCK 8192   /* frames of converter output per call */
#define SW_OFFLINE_FLUSH 4096      /* frames of zeros per flush step */
#define SW_OFFLINE_TR_BLOCK 4096   /* samples per sw_transfer_process call */

struct sw_offline_denoiser {
    int channels;               /* C */
    int rate;                   /* the input's rate, Hz */
    int work_rate;              /* the engine's rate (== rate unless resampling) */
    int n_dn;                   /* denoisers: ceil(C/2) */
    sw_denoiser **dn;           /* [n_dn] (owned); denoiser k covers channels 2k..min(2k+1, C-1) */
    float **plane;              /* [C][SW_OFFLINE_DN_BLOCK] planar work buffers (owned) */
    float *ibuf;                /* [SW_OFFLINE_DN_BLOCK*C] interleaved denoiser output (owned) */
    sw_resampler *up, *down;    /* converters (owned), NULL when work_rate == rate */
    float *upbuf, *downbuf;     /* [SW_OFFLINE_RS_BLOCK*C] converter outputs (owned) */
    float *zeros;               /* [SW_OFFLINE_FLUSH*C] the flush's input (owned) */
    double ratio;               /* work_rate / rate */
    long latency;               /* L in work-rate frames */
    long to_trim;               /* work-rate frames still to drop from the denoiser output */
    uint64_t target;            /* frames to write = frames fed so far */
    uint64_t written;           /* frames handed to the write function */
    sw_offline_write_fn write;  /* during process/finish: the caller's write function */
    void *user;                 /* and its argument */
    sw_status failed;           /* SW_OK until a stage fails */
    char *err;                  /* during process/finish: the caller's message buffer [errlen] */
    size_t errlen;
};

/* sw_offline_transfer: timbre transfer of a whole recording, latency-compensated. The input's
 * channels are averaged to mono and run through the caller's sw_transfer; the first L output
 * samples (L = sw_transfer_latency) are dropped and exactly as many samples as went in are
 * written. To push the last L input samples through, the input is continued by point
 * reflection about its last sample, x[end + k] = 2 x[end] - x[end - k] (k <= L, within what
 * was read), which keeps its value and slope: a step to zero there would be a click the
 * analysis hears (a DC offset or a slow rumble would end in a tone). Past that, the last
 * value is held. */
struct sw_offline_transfer {
    sw_transfer *tr;            /* the engine (the caller's) */
    int channels;               /* input channels, averaged */
    size_t latency;             /* L */
    size_t H;                   /* L + 1: the history's length */
    float *hist;                /* [H] the last H input samples, a ring (owned) */
    size_t hw;                  /* hist write index: hist[(hw - 1 - k) mod H] is the input k samples back */
    float *mono;                /* [SW_OFFLINE_TR_BLOCK] work buffer (owned) */
    uint64_t n_in;              /* samples fed */
    uint64_t fed;               /* samples run through the engine (input and continuation) */
    uint64_t flushed;           /* continuation samples made so far */
    uint64_t written;           /* samples handed to the write function */
};

#endif
