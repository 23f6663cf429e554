/* synth.h — internals of the neural instrument (dsp/engines/synth.c), exposed for tests and tools.
 *
 * The public API is the "instrument" section of statewave.h; the contract with the PyTorch side
 * is docs/INSTRUMENT.md. Here: the parsed task_params of a "synth" model. */
#ifndef SW_SYNTH_H
#define SW_SYNTH_H

#include <stddef.h>
#include "statewave.h"

#define SW_SYNTH_D_INPUT 8
#define SW_SYNTH_CONTROL_RATE 250   /* f_c (Hz): fixed by docs/INSTRUMENT.md and features.py */
#define SW_SYNTH_MAX_HARMONICS 256
#define SW_SYNTH_MAX_BANDS 1024

typedef struct {
    double sample_rate;     /* sr_t: the training rate (Hz) */
    double control_rate;    /* f_c (Hz): must be SW_SYNTH_CONTROL_RATE */
    int n_harmonics;        /* K */
    int n_noise_bands;      /* B */
    int features;           /* feature-set version: 1 */
    int pitch_lo, pitch_hi; /* pitch_range (MIDI notes the model was trained on; informative) */
    char timbre[64];        /* task_params.timbre */
    double vib_rate;        /* vibrato.rate_hz: the timbre's vibrato rate (Hz) */
    double vib_depth;       /* vibrato.depth_cents: its natural depth (peak, cents) with CC1 at 0 */
    double vib_max;         /* vibrato.max_depth_cents: the depth with CC1 at 127 */
    double vib_delay;       /* vibrato.delay_s: from note-on to the vibrato's start */
    double vib_ramp;        /* vibrato.ramp_s: it grows to full depth over this long */
    double gain_db;         /* gain_db: output level of the timbre (loudness matching), dB */
} sw_synth_params;

/* Parses and validates a "synth" model's task and task_params against its network shape
 * (d_input 8, d_output 1 + K + B). SW_ERR_UNSUPPORTED for another task, SW_ERR_CONFIG with a
 * message naming the key for anything missing, mistyped or out of range. */
sw_status sw_synth_params_parse(const sw_model *model, sw_synth_params *p, char *err, size_t errlen);

/* Audio-mode features [n_frames][8] of x (frames t = 0.., frame t on the audio before
 * round(t sr / 250)) through the very code sw_transfer runs per control frame (YIN, loudness,
 * tracker): for the parity test against train/instrument/features.py audio_features. Not RT. */
sw_status sw_audio_features(const float *x, size_t n, double sample_rate, float *feats, size_t n_frames,
                            char *err, size_t errlen);

#endif
