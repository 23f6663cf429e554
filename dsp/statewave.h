/* statewave.h — the one public header of libstatewave.
 *
 * Causal state-space-model (SSM) networks run in recurrent mode, one frame at a time,
 * plus the engines built on them (speech denoiser, ...).
 *
 * Conventions
 *  - Every object is opaque and comes in a create/destroy (or load/free) pair.
 *    The caller owns what it created and must destroy it; destroy(NULL) is a no-op.
 *  - Functions that may fail return sw_status and, when `err` is non-NULL, write a
 *    human-readable message (NUL-terminated, truncated to errlen) into it.
 *  - [RT] marks functions that are real-time safe: no allocation, no locks, no I/O,
 *    bounded time. Everything else may allocate and must not run on an audio thread.
 *  - All audio and activations are float32.
 */
#ifndef STATEWAVE_H
#define STATEWAVE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SW_VERSION_STRING "0.1.0"

/* SW_API marks the public functions, the only symbols libstatewave.so exports: the library is
 * compiled with -fvisibility=hidden, so that its internal helpers (sw_* and swi_* declared in
 * the headers under dsp/) can neither clash with a host's symbols nor be called through the
 * shared library. dsp/libstatewave.map exports sw_* on top, which these all match. */
#if defined(__GNUC__) || defined(__clang__)
#define SW_API __attribute__((visibility("default")))
#else
#define SW_API
#endif

typedef enum {
    SW_OK = 0,
    SW_ERR_NOMEM,       /* allocation failed */
    SW_ERR_IO,          /* file could not be opened or read */
    SW_ERR_FORMAT,      /* malformed model file (header, offsets, dtype, shape, values) */
    SW_ERR_CONFIG,      /* model config missing, out of range or inconsistent */
    SW_ERR_ARG,         /* bad argument from the caller (rate, channels, NULL, ...) */
    SW_ERR_UNSUPPORTED  /* well-formed but not supported (dtype, layer type, task) */
} sw_status;

/* Static string naming a status, e.g. "malformed model file". [RT] */
SW_API const char *sw_status_str(sw_status s);

/* ------------------------------------------------------------------ models --
 * sw_model: immutable weights + config parsed from a safetensors file (dsp/FORMAT.md).
 * It is read-only after loading, so several sw_net / engines may share one model,
 * from any threads. It must outlive everything created from it. */
typedef struct sw_model sw_model;

SW_API sw_status sw_model_load_file(const char *path, sw_model **out, char *err, size_t errlen);
/* `data` is only read during the call; the model keeps its own copy. */
SW_API sw_status sw_model_load_memory(const void *data, size_t len, sw_model **out, char *err, size_t errlen);
SW_API void sw_model_free(sw_model *m);

SW_API int sw_model_d_input(const sw_model *m);
SW_API int sw_model_d_output(const sw_model *m);
SW_API size_t sw_model_param_count(const sw_model *m);      /* floats of weights used by the network */
SW_API const char *sw_model_task(const sw_model *m);        /* config "task", "" if absent; owned by m */
/* config "task_params" as a JSON string ("{}" if absent); owned by m. */
SW_API const char *sw_model_task_params_json(const sw_model *m);
/* Any tensor in the file by name (including "golden.*"), or NULL. Data and shape owned by m. */
SW_API const float *sw_model_tensor(const sw_model *m, const char *name, int *rank, const int64_t **shape);

/* -------------------------------------------------------------- networks --
 * sw_net: the runtime of one stream: recurrent state plus scratch buffers, all
 * allocated at create time. One sw_net per stream; not thread-safe by itself. */
typedef struct sw_net sw_net;

SW_API sw_status sw_net_create(const sw_model *m, sw_net **out, char *err, size_t errlen);
SW_API void sw_net_destroy(sw_net *n);
/* Back to the initial (all-zero) state. [RT] */
SW_API void sw_net_reset(sw_net *n);
/* One frame: in[d_input] -> out[d_output]. in and out may not alias. [RT] */
SW_API void sw_net_step(sw_net *n, const float *in, float *out);
/* `frames` frames, row-major: in[frames][d_input] -> out[frames][d_output].
 * Bit-identical to calling sw_net_step frame by frame, for any split into blocks. [RT] */
SW_API void sw_net_process(sw_net *n, const float *in, float *out, size_t frames);

/* Floating-point environment for real-time processing: flush denormals (FTZ/DAZ on x86).
 * sw_net_* and engine process functions do this themselves (and restore the caller's
 * mode); these are for callers' own DSP. [RT] */
typedef struct { unsigned int saved; } sw_fpenv;
SW_API void sw_fpenv_enter(sw_fpenv *env);
SW_API void sw_fpenv_leave(const sw_fpenv *env);

/* ------------------------------------------------------------- denoiser --
 * Real-time speech denoiser: STFT (FFTW) -> band features -> SSM net -> gains.
 * Works at any sample rate in [8000, 192000] Hz, 1 or 2 channels (stereo gains are
 * linked), any block size. Algorithmic latency is fixed and reported exactly. */
typedef struct sw_denoiser sw_denoiser;

#define SW_DENOISE_MIN_RATE 8000.0
#define SW_DENOISE_MAX_RATE 192000.0

/* `model` must be a denoise model (task "denoise") and must outlive the denoiser. */
SW_API sw_status sw_denoiser_create(const sw_model *model, double sample_rate, int channels,
                                    sw_denoiser **out, char *err, size_t errlen);
SW_API void sw_denoiser_destroy(sw_denoiser *d);
/* Latency in samples at the create-time rate: output sample t corresponds to input t - latency. [RT] */
SW_API int sw_denoiser_latency(const sw_denoiser *d);
/* Wet/dry mix in [0,1] (1 = fully denoised). Ramped, click-free. [RT] */
SW_API void sw_denoiser_set_mix(sw_denoiser *d, float mix);
/* Most attenuation allowed, in dB, in [0, 100] (100 = unlimited). Ramped, click-free. [RT] */
SW_API void sw_denoiser_set_limit_db(sw_denoiser *d, float limit_db);
/* Clear all state (FIFOs, STFT history, network state); parameters jump to their targets. [RT] */
SW_API void sw_denoiser_reset(sw_denoiser *d);
/* Planar audio: in[ch][frames] -> out[ch][frames]; out may alias in. Any `frames` >= 0.
 * Non-finite input samples are treated as 0 and never poison the state. [RT] */
SW_API void sw_denoiser_process(sw_denoiser *d, const float *const *in, float *const *out, size_t frames);

/* ------------------------------------------------------------ generator --
 * Autoregressive audio generator (dsp/engines/generate.c): one sw_net with 8-bit mu-law
 * input and output (a "generate" model: task_params {"sample_rate", "encoding": "mulaw",
 * "mu", "classes": 256, "start_code"}; d_input 1 = the previous sample's code,
 * d_output 256 = logits of the next one). Each rendered sample is drawn from
 * softmax(logits / temperature), restricted to the top-p nucleus, with a seeded RNG,
 * then fed back. Audio is float in [-1, 1] at sw_generator_sample_rate() Hz, mono.
 * Same model + seed + settings + calls -> bit-identical audio on the same build.
 * After create/reset the net has seen start_code (silence), so the first rendered
 * sample already has a distribution. */
typedef struct sw_generator sw_generator;

/* `model` must have task "generate" and outlive the generator. */
SW_API sw_status sw_generator_create(const sw_model *model, uint64_t seed, sw_generator **out,
                                     char *err, size_t errlen);
SW_API void sw_generator_destroy(sw_generator *g);
/* The model's sample rate in Hz (task_params.sample_rate). [RT] */
SW_API int sw_generator_sample_rate(const sw_generator *g);
/* Zero the net state, feed start_code, and rewind the RNG to the current seed. [RT] */
SW_API void sw_generator_reset(sw_generator *g);
/* New seed; the RNG restarts from it now (the net state is kept). [RT] */
SW_API void sw_generator_set_seed(sw_generator *g, uint64_t seed);
/* Softmax temperature, clamped to [0, 10]; below 1e-3 sampling is greedy (argmax).
 * Default 1. [RT] */
SW_API void sw_generator_set_temperature(sw_generator *g, float temperature);
/* Nucleus size: sample only from the most likely classes whose probability adds up to
 * top_p (after temperature). Clamped to [1e-6, 1]; 1 = no truncation (default). [RT] */
SW_API void sw_generator_set_top_p(sw_generator *g, float top_p);
/* Feed a prompt: each sample (float, clipped to [-1, 1], non-finite -> 0) is mu-law
 * encoded and stepped through the net; rendering continues from there. [RT] */
SW_API void sw_generator_prime(sw_generator *g, const float *samples, size_t n);
/* The same with mu-law codes (0..255) given directly. [RT] */
SW_API void sw_generator_prime_codes(sw_generator *g, const uint8_t *codes, size_t n);
/* Generate n samples into out[n] (and feed them back). [RT] */
SW_API void sw_generator_render(sw_generator *g, float *out, size_t n);
/* The same, also returning the codes drawn (codes may be NULL). [RT] */
SW_API void sw_generator_render_codes(sw_generator *g, float *out, uint8_t *codes, size_t n);
/* The model's distribution of the next sample (temperature 1, no top-p): probs[256]. [RT] */
SW_API void sw_generator_distribution(const sw_generator *g, float *probs);
/* Samples fed or rendered since the last reset. [RT] */
SW_API uint64_t sw_generator_position(const sw_generator *g);
/* mu-law helpers matching the model's encoding (mu = 255, 256 codes). [RT] */
SW_API uint8_t sw_mulaw_encode(float x);
SW_API float sw_mulaw_decode(uint8_t code);
/* ------------------------------------------------------ end of generator -- */

/* ------------------------------------------------------------- composer --
 * A composer (dsp/engines/compose.c, docs/COMPOSE.md): one sw_net over MIDI *events* (a "compose"
 * model, d_input 1 = the previous token, d_output 389 = logits of the next one), stepped one
 * event at a time. Tokens: 0..127 note-on, 128..255 note-off, 256..355 time shift of 1..100
 * steps of 10 ms, 356..387 velocity bin, 388 start. The composer listens (a prompt from a file,
 * or notes played live, turned into tokens with the sustain pedal applied) and continues: each
 * sw_composer_next() draws one token under the musician's limits, feeds it back and returns it
 * as an event. Same model + seed + settings + calls -> the same notes.
 * The composer keeps its own clock (10 ms steps since reset), the notes sounding and the
 * velocity in force, so a caller only has to turn events into MIDI at clock times. */
#define SW_COMPOSE_VOCAB 389
#define SW_COMPOSE_STEP_S 0.01
#define SW_COMPOSE_MAX_SHIFT 100      /* steps in the longest time-shift token (1 s) */

typedef struct sw_composer sw_composer;

typedef enum {
    SW_COMPOSE_NOTE_ON = 0,
    SW_COMPOSE_NOTE_OFF,
    SW_COMPOSE_SHIFT,
    SW_COMPOSE_VELOCITY,
    SW_COMPOSE_START
} sw_compose_kind;

typedef struct {
    int token;      /* 0..388 */
    int kind;       /* sw_compose_kind */
    int pitch;      /* note events: 0..127 */
    int velocity;   /* note-on and velocity events: 1..127, the velocity in force */
    int steps;      /* time shift: 1..100 steps of 10 ms; 0 otherwise */
    int forced;     /* 1: not sampled but imposed by a limit (a note held past max_note_s) */
} sw_compose_event;

/* What a musician can impose on generated notes; each applies by masking tokens before the
 * draw, so the model chooses among what is allowed. */
typedef struct {
    uint16_t scale;          /* bit k: pitch class k (0 = C .. 11 = B) may start a note; 0 = any */
    int low, high;           /* new notes only in [low, high] (MIDI notes; default 0, 127) */
    int max_voices;          /* no new note while this many sound (0 = no limit; default 0) */
    float max_notes_per_s;   /* no new note while the last second holds this many (0 = no limit) */
    float max_note_s;        /* a generated note that sounds this long is ended (0 = never; default 8) */
} sw_compose_limits;

/* Defaults: any note, any range, no voice or density limit, notes end after 8 s. [RT] */
SW_API void sw_compose_limits_default(sw_compose_limits *l);
/* `model` must have task "compose" with the vocabulary above, and outlive the composer. */
SW_API sw_status sw_composer_create(const sw_model *model, uint64_t seed, sw_composer **out,
                                    char *err, size_t errlen);
SW_API void sw_composer_destroy(sw_composer *c);
/* Zero state, feed START, clock 0, nothing sounding, velocity 64, RNG rewound to the seed. [RT] */
SW_API void sw_composer_reset(sw_composer *c);
SW_API void sw_composer_set_seed(sw_composer *c, uint64_t seed);            /* [RT], RNG restarts now */
SW_API void sw_composer_set_temperature(sw_composer *c, float temperature); /* [0, 10], default 1 [RT] */
SW_API void sw_composer_set_top_p(sw_composer *c, float top_p);             /* (0, 1], default 1 [RT] */
SW_API void sw_composer_set_limits(sw_composer *c, const sw_compose_limits *l); /* [RT] */
/* Feed one token (teacher forcing) and update clock, notes and velocity as generation would.
 * Returns 0, or -1 for a token outside 0..387 (nothing fed). [RT] */
SW_API int sw_composer_feed(sw_composer *c, int token);
/* Listening, live or from a file: events at t_s seconds since reset, in time order (a time
 * earlier than the clock counts as now). Each feeds the time shifts up to round(t_s / 10 ms),
 * then the event's tokens; a key released while the pedal is down sounds on until the pedal
 * goes up, as in docs/COMPOSE.md. Each token costs one net step. [RT] */
SW_API void sw_composer_note_on(sw_composer *c, double t_s, int pitch, int velocity);
SW_API void sw_composer_note_off(sw_composer *c, double t_s, int pitch);
SW_API void sw_composer_pedal(sw_composer *c, double t_s, int down);
/* Feed the whole seconds of silence that have passed by t_s (1 s shift tokens), so that a long
 * pause costs one step per second as it happens instead of all at the next note. [RT] */
SW_API void sw_composer_advance(sw_composer *c, double t_s);
/* Draw the next token under the limits, feed it back and return it. [RT] */
SW_API sw_compose_event sw_composer_next(sw_composer *c);
/* The clock: 10 ms steps fed since reset. [RT] */
SW_API uint64_t sw_composer_clock(const sw_composer *c);
/* Feed time shifts (1..100 steps each) until the clock reaches t_s seconds, rounded up to its
 * 10 ms step so that nothing drawn next comes before t_s; a clock already there stays. [RT] */
SW_API void sw_composer_wait_until(sw_composer *c, double t_s);
/* 1 if the pitch sounds now (played or generated). [RT] */
SW_API int sw_composer_sounding(const sw_composer *c, int pitch);
/* The model's next-token distribution (temperature 1, no limits): probs[SW_COMPOSE_VOCAB]. [RT] */
SW_API void sw_composer_distribution(const sw_composer *c, float *probs);
/* Decode one token without a composer (kind, pitch, steps; velocity from the bin). [RT] */
SW_API sw_compose_event sw_compose_token_event(int token);
/* A performance's note, with the sustain pedal already applied to its end. */
typedef struct {
    double on_s, off_s;   /* start and end, s */
    int pitch;            /* 0..127 */
    int velocity;         /* 1..127 */
} sw_compose_note;
/* The tokens of a whole performance (START not included), exactly as train/compose/events.py
 * encode() makes them: times rounded to 10 ms steps (halves up), a note at least one step long,
 * at equal times note-offs first, then by pitch; a VELOCITY token wherever the bin changes; gaps
 * as shifts of at most 1 s. Writes at most cap tokens and returns how many there are (call with
 * cap 0 to count), or -1 if out of memory. Not [RT]: sorts a copy. */
SW_API long sw_compose_encode(const sw_compose_note *notes, size_t n, uint16_t *tokens, size_t cap);
/* The key whose Krumhansl-Kessler profile correlates best with a pitch-class histogram hist[12]
 * (index 0 = C; e.g. seconds each pitch class sounded): 0..11 major, 12..23 minor (tonic = key % 12),
 * -1 for an empty histogram. [RT] */
SW_API int sw_compose_key_estimate(const double hist[12]);
/* The scale a key locks (sw_compose_limits.scale): major, or natural minor with the raised 7th;
 * 0 (any note) for key -1. [RT] */
SW_API uint16_t sw_compose_key_scale(int key);
/* The key of what a player plays, as it goes: the seconds each pitch class sounded, decaying
 * with time constant tau_s, notes still held counting up to now. Times are frames at `rate`
 * (any running count, non-decreasing). A plain value: no allocation, the caller holds it. */
typedef struct {
    double pc_s[12];      /* [pitch class] seconds played, decayed to pc_at */
    uint64_t pc_at;       /* frame pc_s was last decayed to */
    uint64_t on[128];     /* [pitch] frame a held note started (UINT64_MAX: not held) */
    double rate;          /* frames per second */
    double tau_s;         /* decay time constant, s */
} sw_compose_keys;
/* Nothing played. [RT] */
SW_API void sw_compose_keys_init(sw_compose_keys *k, double rate, double tau_s);
/* A note of `pitch` starts (ending one still held: struck again) or ends at frame `at`. [RT] */
SW_API void sw_compose_keys_note_on(sw_compose_keys *k, int pitch, uint64_t at);
SW_API void sw_compose_keys_note_off(sw_compose_keys *k, int pitch, uint64_t at);
/* sw_compose_key_estimate of what was played up to frame `at` (-1: nothing yet). [RT] */
SW_API int sw_compose_keys_estimate(sw_compose_keys *k, uint64_t at);
/* ------------------------------------------------------- end of composer -- */

/* ------------------------------------------------------------ instrument --
 * Polyphonic neural instrument (dsp/engines/synth.c, docs/INSTRUMENT.md): per voice, MIDI-derived
 * features drive one sw_net at the control rate (250 Hz); its outputs (amplitude, harmonic
 * distribution, noise magnitudes) drive phase-continuous oscillators and FFTW-filtered noise at
 * the host rate, then an optional convolution reverb. Mono float output.
 *
 * Threading: create/destroy are not real-time (allocation, FFTW planning). Everything marked [RT]
 * is: no allocation, locks, logging or I/O. One sw_synth per stream; not thread-safe by itself.
 * Events apply at the current position of the stream: to place an event at sample offset k of a
 * block, process k samples, send the event, process the rest. */
typedef struct sw_synth sw_synth;

#define SW_SYNTH_DEFAULT_VOICES 16
#define SW_SYNTH_MAX_VOICES 64

/* `model` must have task "synth" and outlive the synth. voices in 1..SW_SYNTH_MAX_VOICES;
 * sample_rate in [8000, 384000]. */
SW_API sw_status sw_synth_create(const sw_model *model, double sample_rate, int voices,
                                 sw_synth **out, char *err, size_t errlen);
SW_API void sw_synth_destroy(sw_synth *s);
/* Timbre name (task_params.timbre), owned by the synth. [RT] */
SW_API const char *sw_synth_timbre(const sw_synth *s);
/* MIDI events [RT]. note 0..127, velocity 1..127 (0 = note-off, as in MIDI). */
SW_API void sw_synth_note_on(sw_synth *s, int note, int velocity);
SW_API void sw_synth_note_off(sw_synth *s, int note);
/* Sustain pedal (CC64): on != 0 holds released notes until it goes off. */
SW_API void sw_synth_sustain(sw_synth *s, int on);
/* Pitch bend in semitones (already scaled by the bend range), channel-wide. */
SW_API void sw_synth_pitch_bend(sw_synth *s, float semitones);
/* Channel-wide continuous controllers [RT], amount = MIDI value / 127, clamped to [0, 1]:
 * mod wheel (CC1, default 0): vibrato depth, from the timbre's natural depth at 0 to its
 *   max_depth_cents at 1 (docs/INSTRUMENT.md, "Expression");
 * expression (CC11, default 1): dynamics of every sounding note, in the velocity the net sees
 *   (brightness and level, as it learned them) and in the output gain (0 = silent);
 * channel pressure (aftertouch, default 0): dynamics above the played velocity. */
SW_API void sw_synth_mod_wheel(sw_synth *s, float amount);
SW_API void sw_synth_expression(sw_synth *s, float amount);
SW_API void sw_synth_pressure(sw_synth *s, float amount);
/* Reset all controllers (CC121): bend 0, mod wheel 0, expression 1, pressure 0. [RT] */
SW_API void sw_synth_reset_controllers(sw_synth *s);
/* Release every note (gate off, pedal off); voices still decay naturally. */
SW_API void sw_synth_all_notes_off(sw_synth *s);
/* Silence and clear every voice and the reverb at once. */
SW_API void sw_synth_reset(sw_synth *s);
/* Controls (ramped where audible, click-free) [RT]:
 * harmonic / noise gain: linear, clamped to [0, 4]; pitch shift: semitones, clamped to [-24, 24];
 * reverb mix: 0 (dry, reverb bypassed) .. 1 (wet only). */
SW_API void sw_synth_set_harmonic_gain(sw_synth *s, float gain);
SW_API void sw_synth_set_noise_gain(sw_synth *s, float gain);
SW_API void sw_synth_set_pitch_shift(sw_synth *s, float semitones);
SW_API void sw_synth_set_reverb_mix(sw_synth *s, float mix);
/* Vibrato amount [RT]: 0 = a straight tone, 1 = the timbre's own (default), up to 2. */
SW_API void sw_synth_set_vibrato(sw_synth *s, float amount);
/* The output's safety limiter [RT], on by default: no sample above -0.5 dBFS (instant gain
 * reduction on a peak, 150 ms recovery, no latency; exactly transparent below the ceiling).
 * Off: the output is unbounded (for float renders that are mixed later). */
SW_API void sw_synth_set_limiter(sw_synth *s, int on);
/* Replace the reverb's impulse response (the built-in one: decaying noise, RT60 1.8 s, 12 ms
 * pre-delay): ir[n] mono at ir_rate Hz (linearly resampled to the synth's rate), at most 10 s,
 * normalised to unit energy; leading silence up to one partition makes up for the wet path's
 * one-partition lag. Not real-time (allocates): call it while no process call is running.
 * On error the previous response is kept. */
SW_API sw_status sw_synth_set_reverb_ir(sw_synth *s, const float *ir, size_t n, double ir_rate,
                                        char *err, size_t errlen);
/* Render `frames` mono samples into out (overwritten). Any frames >= 0. [RT] */
SW_API void sw_synth_process(sw_synth *s, float *out, size_t frames);
/* Voices currently sounding (held or decaying). [RT] */
SW_API int sw_synth_active_voices(const sw_synth *s);

/* Timbre transfer: monophonic audio in -> f0 (YIN) + loudness + note tracker -> the same net and
 * synthesis -> audio in the model's timbre. One voice, mono. */
typedef struct sw_transfer sw_transfer;

SW_API sw_status sw_transfer_create(const sw_model *model, double sample_rate,
                                    sw_transfer **out, char *err, size_t errlen);
SW_API void sw_transfer_destroy(sw_transfer *t);
/* Samples from an input sample to the corresponding output (analysis delay + one control
 * frame), at the create-time rate. [RT] */
SW_API int sw_transfer_latency(const sw_transfer *t);
SW_API void sw_transfer_set_harmonic_gain(sw_transfer *t, float gain);
SW_API void sw_transfer_set_noise_gain(sw_transfer *t, float gain);
SW_API void sw_transfer_set_pitch_shift(sw_transfer *t, float semitones);
SW_API void sw_transfer_set_reverb_mix(sw_transfer *t, float mix);
/* The output safety limiter [RT], as sw_synth_set_limiter (on by default). */
SW_API void sw_transfer_set_limiter(sw_transfer *t, int on);
SW_API void sw_transfer_reset(sw_transfer *t);
/* As sw_synth_set_reverb_ir (not real-time). */
SW_API sw_status sw_transfer_set_reverb_ir(sw_transfer *t, const float *ir, size_t n, double ir_rate,
                                           char *err, size_t errlen);
/* in[frames] -> out[frames]; out may alias in. Non-finite input counts as silence. [RT] */
SW_API void sw_transfer_process(sw_transfer *t, const float *in, float *out, size_t frames);

/* Analysis helpers shared with train/instrument/features.py (docs/INSTRUMENT.md), for tests and
 * tools, not real-time: f0 (Hz, held over unvoiced frames), voiced flag and loudness (dB) per
 * control frame t = 1..n_frames, measured on x[0 .. t*sr/250) (frame t ends at round(t*sr/250)).
 * Returns SW_OK or an error for bad arguments / allocation failure. */
SW_API sw_status sw_analyze_f0_loudness(const float *x, size_t n, double sample_rate, float *f0_hz,
                                        uint8_t *voiced, float *loudness_db, size_t n_frames,
                                        char *err, size_t errlen);
/* ----------------------------------------------------- end of instrument -- */

/* ====================================== resampling, warm-up, offline denoising and transfer ==
 * Support for the fronts (the `statewave` command, the plugins): sample-rate conversion
 * (dsp/audio/resample.c), the first-render warm-up of the engines (dsp/engines/warmup.c), and whole-signal
 * denoising at any rate and channel count and timbre transfer of a whole recording
 * (dsp/engines/offline.c). */

/* Converter quality: band-limited sinc, 97 dB SNR; BEST keeps 97 % of the band, MEDIUM 90 %
 * at about a third of the cost. */
typedef enum { SW_RESAMPLE_BEST = 0, SW_RESAMPLE_MEDIUM = 1 } sw_resample_quality;
/* A streaming converter of interleaved float frames, ratio = output rate / input rate. */
typedef struct sw_resampler sw_resampler;

/* 1 if the converters support `ratio` (1/256 .. 256), else 0. */
SW_API int sw_resample_ratio_ok(double ratio);
/* The converter's name for quality q, e.g. "Medium Sinc Interpolator". */
SW_API const char *sw_resample_name(sw_resample_quality q);
/* The version of the converter library. */
SW_API const char *sw_resample_version(void);
SW_API sw_status sw_resampler_create(double ratio, int channels, sw_resample_quality q, sw_resampler **out,
                                     char *err, size_t errlen);
SW_API void sw_resampler_destroy(sw_resampler *r);
/* Convert up to n_in frames of in into at most out_cap frames of out; *used and *made get the
 * frames consumed and written (both may be 0 while the converter fills). SW_OK, or SW_ERR_ARG
 * with sw_resampler_error saying why. [RT] */
SW_API sw_status sw_resampler_process(sw_resampler *r, const float *in, size_t n_in, float *out, size_t out_cap,
                                      size_t *used, size_t *made);
/* The message of the last failed sw_resampler_process. [RT] */
SW_API const char *sw_resampler_error(const sw_resampler *r);
/* Back to the state after create: no input held, no delay filled. [RT] */
SW_API void sw_resampler_reset(sw_resampler *r);
/* A whole mono signal x[n] in one call, its end included: *out (malloc'ed, the caller frees it)
 * gets *n_out frames. */
SW_API sw_status sw_resample(const float *x, size_t n, double ratio, sw_resample_quality q, float **out,
                             size_t *n_out, char *err, size_t errlen);

/* Warm-up before real time: the first render after create touches weights, state and buffers
 * for the first time (page faults, cold caches), which made the first renders 5-8x slower than
 * the rest and would land in the first audio callbacks. These render a little (the generator:
 * 0.1 s; the instrument: a chord on every voice for 0.1 s at `rate`, the rate it was created
 * at; below, the transfer and the composer) and reset, so the engine then renders exactly
 * what a fresh one would. Not real-time. */
SW_API void sw_generator_warm_up(sw_generator *g);
SW_API void sw_synth_warm_up(sw_synth *s, double rate, int voices);
/* The same for the timbre transfer (a quiet sine, 256 samples) and the composer (8 draws). */
SW_API void sw_transfer_warm_up(sw_transfer *t);
SW_API void sw_composer_warm_up(sw_composer *c);
/* The generator's audio at another rate, as a host plays it: model-rate samples rendered
 * into a small FIFO (only as many as a block needs) and converted to `rate` (band-limited
 * sinc, medium quality; none when the rates match). create renders and converts a little,
 * then resets the converter and `g` (the warm-up above); `g` stays the caller's and must
 * outlive the stream. */
typedef struct sw_gen_stream sw_gen_stream;
SW_API sw_status sw_gen_stream_create(sw_generator *g, double rate, sw_gen_stream **out, char *err,
                                      size_t errlen);
SW_API void sw_gen_stream_destroy(sw_gen_stream *s);
/* An empty FIFO, a fresh converter and the count below at 0 (the generator is reset by its
 * owner). [RT] */
SW_API void sw_gen_stream_reset(sw_gen_stream *s);
/* n frames at `rate` into out[n], rendering what they need. Returns n, or the frames made
 * before the converter failed (the rest of out is silence; cannot happen with a rate that
 * create accepted). [RT] */
SW_API uint32_t sw_gen_stream_render(sw_gen_stream *s, float *out, uint32_t n);
/* Model-rate samples rendered since create or the last reset (those the converter holds
 * included; not the warm-up's). [RT] */
SW_API uint64_t sw_gen_stream_rendered(const sw_gen_stream *s);
/* Whole-signal, time-aligned denoising for any channel count and any rate: one sw_denoiser per
 * channel pair (an odd last channel gets a mono one), the engine's latency trimmed, and a rate
 * outside SW_DENOISE_MIN_RATE..SW_DENOISE_MAX_RATE converted to the nearest one and back.
 * Interleaved float frames in; the output goes to a write function, frame t of it being input
 * frame t denoised, and after sw_offline_denoiser_finish exactly as many frames as went in.
 * Not real-time. */
typedef struct sw_offline_denoiser sw_offline_denoiser;
/* Receives x[frames * channels] (interleaved); 0 to go on, non-zero to stop (the call then
 * returns SW_ERR_IO). */
typedef int (*sw_offline_write_fn)(void *user, const float *x, size_t frames);
/* `model` must be a denoise model and outlive the object. */
SW_API sw_status sw_offline_denoiser_create(const sw_model *model, int sample_rate, int channels, float mix,
                                            float limit_db, sw_offline_denoiser **out, char *err, size_t errlen);
SW_API void sw_offline_denoiser_destroy(sw_offline_denoiser *o);
/* The rate the denoisers run at (== sample_rate unless it is converted). */
SW_API int sw_offline_denoiser_work_rate(const sw_offline_denoiser *o);
/* Feed n frames; what is ready is written (never more frames than were fed). */
SW_API sw_status sw_offline_denoiser_process(sw_offline_denoiser *o, const float *x, size_t n,
                                             sw_offline_write_fn write, void *user, char *err, size_t errlen);
/* After the last frame: write the rest, up to the number of frames fed. */
SW_API sw_status sw_offline_denoiser_finish(sw_offline_denoiser *o, sw_offline_write_fn write, void *user,
                                            char *err, size_t errlen);
/* Timbre transfer of a whole recording through the caller's sw_transfer, latency-compensated:
 * interleaved frames of `channels` channels are averaged to mono; the output (mono) goes to a
 * write function, sample t of it being input sample t transferred, and after
 * sw_offline_transfer_finish exactly as many samples as went in (the end of the input is
 * continued smoothly to push its last samples through). Not real-time. */
typedef struct sw_offline_transfer sw_offline_transfer;
/* `t` (freshly created or reset) stays the caller's and must outlive the object. */
SW_API sw_status sw_offline_transfer_create(sw_transfer *t, int channels, sw_offline_transfer **out, char *err,
                                            size_t errlen);
SW_API void sw_offline_transfer_destroy(sw_offline_transfer *o);
SW_API sw_status sw_offline_transfer_process(sw_offline_transfer *o, const float *x, size_t n,
                                             sw_offline_write_fn write, void *user, char *err, size_t errlen);
SW_API sw_status sw_offline_transfer_finish(sw_offline_transfer *o, sw_offline_write_fn write, void *user,
                                            char *err, size_t errlen);
/* Samples run through the engine so far (the input and its continuation), for progress. */
SW_API uint64_t sw_offline_transfer_fed(const sw_offline_transfer *o);
/* ================================= end of resampling, warm-up, offline denoising and transfer == */

/* ------------------------------------------------------ ramps (dsp/audio/ramp.c) --
 * Fades, crossfades, smoothed levels and an aligned delay line for hosts that move audio
 * between engines (the LV2 plugins: bypass, engine swaps, output level). Fades are raised
 * cosines evaluated in double; levels follow their target through a one-pole smoother,
 * g += coef * (target - g) once per frame. */

/* 0 for p <= 0, 1 for p >= len, else 0.5 - 0.5 cos(pi p / len). [RT] */
SW_API float sw_fade_gain(double p, double len);
/* The one-pole coefficient of time constant tau_s at `rate` frames per second. */
SW_API float sw_smooth_coef(double tau_s, double rate);
/* a[i] += sw_fade_gain(pos + i, len) * (b[i] - a[i]) for i < n: from a to b. [RT] */
SW_API void sw_crossfade(float *a, const float *b, uint32_t n, double pos, double len);
/* x[i] *= level * fade for i < n: the level *g smoothed toward target; while *left > 0 a
 * fade-out of len frames (gain sw_fade_gain(*left, len), then *left -= 1). Frames after the
 * one where *left reaches 0 are zeroed. Returns that frame, or n if the fade did not end. [RT] */
SW_API uint32_t sw_level_fade_out(float *x, uint32_t n, float *g, float target, float coef, uint32_t *left,
                                  uint32_t len);
/* x[i] *= env * level for i < n: the envelope position *pos (0..len, gain sw_fade_gain(*pos,
 * len)) first steps up toward len when `open`, else down toward 0; the level *g is smoothed
 * toward target. [RT] */
SW_API void sw_level_env(float *x, uint32_t n, float *g, float target, float coef, uint32_t *pos, uint32_t len,
                         int open);
/* out[i] = dry[i] + sw_fade_gain(w, 1) * (level * wet[i] - dry[i]): the wet amount *w moves
 * linearly by `step` per frame toward w_target (0 bypassed, 1 processing), the level *g is
 * smoothed toward target. out may alias neither wet nor dry. [RT] */
SW_API void sw_bypass_mix(float *out, const float *wet, const float *dry, uint32_t n, float *w, float w_target,
                          float step, float *g, float target, float coef);

/* A delay line of a fixed number of frames (the dry path aligned with an engine's latency). */
typedef struct sw_delay sw_delay;
/* frames >= 0; SW_ERR_ARG or SW_ERR_NOMEM with a message on failure. */
SW_API sw_status sw_delay_create(int frames, sw_delay **out, char *err, size_t errlen);
SW_API void sw_delay_destroy(sw_delay *d);
/* Silence in the line. [RT] */
SW_API void sw_delay_reset(sw_delay *d);
/* out[i] = in[i - frames]; non-finite input enters as 0; out may alias in. [RT] */
SW_API void sw_delay_process(sw_delay *d, const float *in, float *out, uint32_t n);
/* ------------------------------------------------------------ end of ramps -- */

#ifdef __cplusplus
}
#endif
#endif
