/* synth_lv2.h — what the neural instrument (synth_lv2.c) and the timbre-transfer effect
 * (transfer_lv2.c) share: the timbre table, the host rates and the sound controls.
 *
 * The timbre control of both plugins is an lv2:enumeration whose values are the indices
 * below; they are stable (sessions and presets store them). The model of timbre i is
 * <bundle>/instrument_<name>.safetensors, copied from presets/instruments/<name>.safetensors
 * at build time; a timbre whose model was not there is left out of the TTL's scale points
 * and its file is absent, so selecting it anyway keeps the current model and logs why. */
#ifndef SW_SYNTH_LV2_H
#define SW_SYNTH_LV2_H

#include "lv2_base.h"

#define SW_N_TIMBRES 5

/* [SW_N_TIMBRES] model names (task_params.timbre and file stem), index = control value */
static const char *const sw_timbre_names[SW_N_TIMBRES] = {"violin", "flute", "trumpet", "cello",
                                                          "cello_real"};

/* File name prefix of a timbre's model inside the bundle (then the name, then .safetensors). */
#define SW_TIMBRE_FILE_PREFIX "instrument_"

/* Host rates both plugins run at. */
#define SW_INSTRUMENT_MIN_RATE 8000.0
#define SW_INSTRUMENT_MAX_RATE 384000.0

/* The sw_lv2_ops entries both plugins share: host rates and the timbre table. */
#define SW_INSTRUMENT_OPS                                                                         \
    .min_rate = SW_INSTRUMENT_MIN_RATE, .max_rate = SW_INSTRUMENT_MAX_RATE, .shipped = sw_timbre_names, \
    .n_shipped = SW_N_TIMBRES, .file_prefix = SW_TIMBRE_FILE_PREFIX, .timbres = true

/* The control table of the four sound controls (harmonic, noise, pitch, reverb) of an instance
 * struct `type` whose ports sound[4] are. */
#define SW_INSTRUMENT_CONTROLS(type)                                                                \
    {{offsetof(type, sound[0]), 0.0f, 4.0f, 1.0f}, {offsetof(type, sound[1]), 0.0f, 4.0f, 1.0f},   \
     {offsetof(type, sound[2]), -24.0f, 24.0f, 0.0f}, {offsetof(type, sound[3]), 0.0f, 1.0f, 0.0f}}

#endif
