/* resample.h — sample-rate conversion for the fronts (public part: dsp/statewave.h, block
 * "resampling"): libsamplerate's band-limited sinc converters behind an opaque sw_resampler.
 *
 * A converter of ratio R = output rate / input rate turns interleaved float frames x[n] into
 * y[m] = sum_k x[k] h(m / R - k), h a windowed sinc low-passed at min(1, R) of the input's
 * Nyquist (libsamplerate's SRC_SINC_BEST_QUALITY: 97 dB SNR, 97 % of the band;
 * SRC_SINC_MEDIUM_QUALITY: 97 dB, 90 %). Its delay is part of the converter; callers that need
 * equal lengths feed zeros after the end (the app's denoise pipeline does).
 *
 * Ownership: the sw_resampler owns its libsamplerate state (made and reset at create, so that
 * the first process call touches no fresh memory). create/destroy allocate; process is [RT]. */
#ifndef SW_RESAMPLE_H
#define SW_RESAMPLE_H

#include <samplerate.h>

#include "statewave.h"

struct sw_resampler {
    SRC_STATE *src;      /* libsamplerate converter (owned) */
    double ratio;        /* output rate / input rate */
    int channels;        /* interleaved channels */
    const char *error;   /* the last process error (a static string), NULL if none */
};

#endif
