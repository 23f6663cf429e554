/* timbre.h — finding the instrument models (task "synth") of `synth` and `transfer`, the way
 * common.c finds the denoise/generate models: presets/instruments/NAME.safetensors next to the
 * executable (the in-tree build) or in the installed data folder. */
#ifndef SW_APP_TIMBRE_H
#define SW_APP_TIMBRE_H

#include <stddef.h>
#include <stdio.h>

#include "statewave.h"

#define APP_DEFAULT_TIMBRE "violin"

/* Load the model to play: `model_path` (--model) if given, else timbre `name` (--timbre; NULL
 * = $STATEWAVE_TIMBRE, else APP_DEFAULT_TIMBRE) looked up in, in order:
 *   $STATEWAVE_INSTRUMENTS (a folder), <exe dir>/../presets/instruments, SW_DATADIR/instruments.
 * The model must have task "synth". On success *model is set and `used` gets the path; on
 * failure an error names what was tried and the timbres that exist, and -1 is returned. */
int app_load_timbre(const char *sub, const char *name, const char *model_path, sw_model **model,
                    char *used, size_t usedlen);

/* The sound controls shared by `synth` and `transfer` (docs/INSTRUMENT.md). */
typedef struct {
    double harmonic_gain; /* linear, 0..4 */
    double noise_gain;    /* linear, 0..4 */
    double pitch_shift;   /* semitones, -24..24 */
    double reverb;        /* wet/dry mix, 0..1 (0 = bypass) */
} app_synth_controls;

void app_synth_apply_controls(sw_synth *s, const app_synth_controls *c);
void app_transfer_apply_controls(sw_transfer *t, const app_synth_controls *c);

/* A reverb impulse response file (any format libsndfile reads; channels mixed to mono) for
 * sw_synth_set_reverb_ir / sw_transfer_set_reverb_ir. On success *ir (malloc'ed, caller
 * frees), *n and *rate are set; -1 with a message otherwise. */
int app_read_reverb_ir(const char *sub, const char *path, float **ir, size_t *n, double *rate);

/* Before writing `out` (renamed over at the end): refuse a directory, anything that is not a
 * regular file (device, FIFO: /dev/null must never be replaced) and the input file itself
 * (`in`, may be NULL; links count). 0 if fine, -1 with a message. */
int app_check_output_path(const char *sub, const char *out, const char *in);

/* The model's timbre name (task_params.timbre) into buf, "?" if it has none. */
const char *app_model_timbre(const sw_model *m, char *buf, size_t len);

/* `--timbre list`: every NAME.safetensors in those folders (the first folder wins for a name),
 * with its path and whether it loads as a synth model, on f. Returns the number found. */
int app_list_timbres(FILE *f);

#endif
