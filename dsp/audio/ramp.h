/* ramp.h — fades, crossfades, smoothed levels and an aligned delay line for hosts that move
 * audio between engines (the LV2 plugins). The public part (sw_fade_gain ... sw_delay_*) is
 * declared in statewave.h; this header holds the delay line's struct.
 *
 * Every fade is a raised cosine, g(p) = 0.5 - 0.5 cos(pi p / L) for 0 < p < L (0 before, 1
 * after), evaluated in double and rounded to float once. Levels follow their target through a
 * one-pole smoother, g += c (target - g) per frame, c = 1 - exp(-1 / (tau rate)). */
#ifndef SW_RAMP_H
#define SW_RAMP_H

#include "statewave.h"

struct sw_delay {
    float *buf; /* [len] owned ring: the last len inputs (NULL when len is 0) */
    int len;    /* delay in frames, >= 0 */
    int pos;    /* next slot to read (and then overwrite) */
};

#endif
