/* timbre.h — finding the instrument models (task "synth") of `synth` and `transfer`, the way
 * common.c finds the denoise/generate models: presets/instruments/NAME.safetensors next to the
 * executable (the in-tree build) or in the installed data folder. */
#ifndef SW_APP_TIMBRE_H
#define SW_APP_TIMBRE_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "formats.h"
#include "outfile.h"
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
    double vibrato;       /* synth only: the timbre's vibrato, 0 (none) .. 2; 1 = its own */
    int limiter;          /* output safety limiter on (default) */
} app_synth_controls;

/* The defaults of those controls (the same in both commands). */
#define APP_SYNTH_CONTROLS_DEFAULT                                                                \
    { .harmonic_gain = 1.0, .noise_gain = 1.0, .pitch_shift = 0.0, .reverb = 0.15, .vibrato = 1.0, .limiter = 1 }

/* The options both commands have, as app_opt entries (common.h) for an app_instr_opts `o`: the
 * output and the instrument, the sound controls, --reverb-ir (three macros so that each command
 * keeps its table order, which getopt's "ambiguous option" message follows); and their help lines. */
#define APP_INSTR_OPTIONS(o)                                                                      \
    { "output", 'o', APP_OPT_STR, .dst = &(o).out_path },                                         \
    { "timbre", 't', APP_OPT_STR, .dst = &(o).timbre },                                           \
    { "model", 'm', APP_OPT_STR, .dst = &(o).model_path }
#define APP_SYNTH_CONTROL_OPTIONS(o)                                                              \
    { "harmonic-gain", 0, APP_OPT_DBL, .dst = &(o).ctl.harmonic_gain, 0.0, 4.0 },                 \
    { "noise-gain", 0, APP_OPT_DBL, .dst = &(o).ctl.noise_gain, 0.0, 4.0 },                       \
    { "pitch-shift", 0, APP_OPT_DBL, .dst = &(o).ctl.pitch_shift, -24.0, 24.0 },                  \
    { "reverb", 0, APP_OPT_DBL, .dst = &(o).ctl.reverb, 0.0, 1.0 },                               \
    { "no-limiter", 0, APP_OPT_OFF, .dst = &(o).ctl.limiter }
#define APP_REVERB_IR_OPTION(o) { "reverb-ir", 0, APP_OPT_STR, .dst = &(o).ir_path }
#define APP_SYNTH_CONTROLS_HELP                                                                   \
    "      --harmonic-gain G  gain of the harmonic part, 0..4 (default 1)\n"                      \
    "      --noise-gain G     gain of the noise part, 0..4 (default 1)\n"                         \
    "      --pitch-shift S    transpose by S semitones, -24..24 (default 0)\n"                    \
    "      --reverb MIX       convolution reverb wet/dry mix, 0..1 (default 0.15; 0 = off)\n"     \
    "      --no-limiter       no output safety limiter (default: on; peaks held at -0.5 dBFS)\n"  \
    "      --reverb-ir FILE   the reverb's impulse response, any format libsndfile reads (mixed\n" \
    "                         to mono, resampled, at most 10 s; default: built-in decaying noise,\n" \
    "                         RT60 1.8 s)\n"

/* What those options set. */
typedef struct {
    const char *out_path;   /* -o/--output; NULL = not given */
    const char *timbre;     /* -t/--timbre; NULL = not given */
    const char *model_path; /* -m/--model; NULL = not given */
    const char *fmt_name;   /* -f/--format; NULL = not given */
    const char *ir_path;    /* --reverb-ir; NULL = built-in */
    int quiet;              /* -q/--quiet */
    app_synth_controls ctl; /* --harmonic-gain, --noise-gain, --pitch-shift, --reverb */
} app_instr_opts;
#define APP_INSTR_OPTS_DEFAULT { .ctl = APP_SYNTH_CONTROLS_DEFAULT }

/* After the options (argv[first..] left): `--timbre list` prints the timbres for
 * `statewave <sub>` on stdout and returns 1 (exit 0); else *input = the one positional argument
 * (`what`: "MIDI file", "input file") and 0, or -1 with a usage message when there is none or
 * more than one, or when --model and --timbre are both given. */
int app_instr_args(const char *sub, const app_instr_opts *o, int argc, char **argv, int first, const char *what,
                   const char **input);


void app_synth_apply_controls(sw_synth *s, const app_synth_controls *c);
void app_transfer_apply_controls(sw_transfer *t, const app_synth_controls *c);

/* A reverb impulse response file (any format libsndfile reads; channels mixed to mono) for
 * sw_synth_set_reverb_ir / sw_transfer_set_reverb_ir. On success *ir (malloc'ed, caller
 * frees), *n and *rate are set; -1 with a message otherwise. */
int app_read_reverb_ir(const char *sub, const char *path, float **ir, size_t *n, double *rate);

/* The model's timbre name (task_params.timbre) into buf, "?" if it has none. */
const char *app_model_timbre(const sw_model *m, char *buf, size_t len);


/* `--timbre list`: every NAME.safetensors in those folders (the first folder wins for a name),
 * with its path and whether it loads as a synth model, on f. Returns the number found. */
int app_list_timbres(FILE *f);

#endif
