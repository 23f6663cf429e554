/* gen_stream.h — the generator's audio at a host's rate (public part: dsp/statewave.h, block
 * "resampling, warm-up"): a small FIFO of model-rate samples and a converter to the host
 * rate, as the generator instrument plays it. */
#ifndef SW_GEN_STREAM_H
#define SW_GEN_STREAM_H

#include "statewave.h"

/* Model-rate samples rendered per sw_generator_render call at most: the FIFO size. A render
 * loops for larger blocks, so this bounds memory, not the block size. */
#define SW_GEN_STREAM_CHUNK 512

struct sw_gen_stream {
    sw_generator *gen;                /* the caller's; renders into fifo */
    sw_resampler *src;                /* owned: model rate -> rate; NULL when the rates match */
    double ratio;                     /* rate / model rate */
    float fifo[SW_GEN_STREAM_CHUNK];  /* [SW_GEN_STREAM_CHUNK] rendered model-rate samples */
    int fifo_pos;                     /* next unread sample in fifo */
    int fifo_len;                     /* valid samples in fifo */
    uint64_t rendered;                /* model-rate samples rendered since create or reset */
};

#endif
