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
const char *sw_status_str(sw_status s);

/* ------------------------------------------------------------------ models --
 * sw_model: immutable weights + config parsed from a safetensors file (dsp/FORMAT.md).
 * It is read-only after loading, so several sw_net / engines may share one model,
 * from any threads. It must outlive everything created from it. */
typedef struct sw_model sw_model;

sw_status sw_model_load_file(const char *path, sw_model **out, char *err, size_t errlen);
/* `data` is only read during the call; the model keeps its own copy. */
sw_status sw_model_load_memory(const void *data, size_t len, sw_model **out, char *err, size_t errlen);
void sw_model_free(sw_model *m);

int sw_model_d_input(const sw_model *m);
int sw_model_d_output(const sw_model *m);
size_t sw_model_param_count(const sw_model *m);      /* floats of weights used by the network */
const char *sw_model_task(const sw_model *m);        /* config "task", "" if absent; owned by m */
/* config "task_params" as a JSON string ("{}" if absent); owned by m. */
const char *sw_model_task_params_json(const sw_model *m);
/* Any tensor in the file by name (including "golden.*"), or NULL. Data and shape owned by m. */
const float *sw_model_tensor(const sw_model *m, const char *name, int *rank, const int64_t **shape);

/* -------------------------------------------------------------- networks --
 * sw_net: the runtime of one stream: recurrent state plus scratch buffers, all
 * allocated at create time. One sw_net per stream; not thread-safe by itself. */
typedef struct sw_net sw_net;

sw_status sw_net_create(const sw_model *m, sw_net **out, char *err, size_t errlen);
void sw_net_destroy(sw_net *n);
/* Back to the initial (all-zero) state. [RT] */
void sw_net_reset(sw_net *n);
/* One frame: in[d_input] -> out[d_output]. in and out may not alias. [RT] */
void sw_net_step(sw_net *n, const float *in, float *out);
/* `frames` frames, row-major: in[frames][d_input] -> out[frames][d_output].
 * Bit-identical to calling sw_net_step frame by frame, for any split into blocks. [RT] */
void sw_net_process(sw_net *n, const float *in, float *out, size_t frames);

/* Floating-point environment for real-time processing: flush denormals (FTZ/DAZ on x86).
 * sw_net_* and engine process functions do this themselves (and restore the caller's
 * mode); these are for callers' own DSP. [RT] */
typedef struct { unsigned int saved; } sw_fpenv;
void sw_fpenv_enter(sw_fpenv *env);
void sw_fpenv_leave(const sw_fpenv *env);

/* ------------------------------------------------------------- denoiser --
 * Real-time speech denoiser: STFT (FFTW) -> band features -> SSM net -> gains.
 * Works at any sample rate in [8000, 192000] Hz, 1 or 2 channels (stereo gains are
 * linked), any block size. Algorithmic latency is fixed and reported exactly. */
typedef struct sw_denoiser sw_denoiser;

#define SW_DENOISE_MIN_RATE 8000.0
#define SW_DENOISE_MAX_RATE 192000.0

/* `model` must be a denoise model (task "denoise") and must outlive the denoiser. */
sw_status sw_denoiser_create(const sw_model *model, double sample_rate, int channels,
                             sw_denoiser **out, char *err, size_t errlen);
void sw_denoiser_destroy(sw_denoiser *d);
/* Latency in samples at the create-time rate: output sample t corresponds to input t - latency. [RT] */
int sw_denoiser_latency(const sw_denoiser *d);
/* Wet/dry mix in [0,1] (1 = fully denoised). Ramped, click-free. [RT] */
void sw_denoiser_set_mix(sw_denoiser *d, float mix);
/* Most attenuation allowed, in dB, in [0, 100] (100 = unlimited). Ramped, click-free. [RT] */
void sw_denoiser_set_limit_db(sw_denoiser *d, float limit_db);
/* Clear all state (FIFOs, STFT history, network state); parameters jump to their targets. [RT] */
void sw_denoiser_reset(sw_denoiser *d);
/* Planar audio: in[ch][frames] -> out[ch][frames]; out may alias in. Any `frames` >= 0.
 * Non-finite input samples are treated as 0 and never poison the state. [RT] */
void sw_denoiser_process(sw_denoiser *d, const float *const *in, float *const *out, size_t frames);

/* ------------------------------------------------------------ generator --
 * Autoregressive audio generator (dsp/generate.c): one sw_net with 8-bit mu-law
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
sw_status sw_generator_create(const sw_model *model, uint64_t seed, sw_generator **out,
                              char *err, size_t errlen);
void sw_generator_destroy(sw_generator *g);
/* The model's sample rate in Hz (task_params.sample_rate). [RT] */
int sw_generator_sample_rate(const sw_generator *g);
/* Zero the net state, feed start_code, and rewind the RNG to the current seed. [RT] */
void sw_generator_reset(sw_generator *g);
/* New seed; the RNG restarts from it now (the net state is kept). [RT] */
void sw_generator_set_seed(sw_generator *g, uint64_t seed);
/* Softmax temperature, clamped to [0, 10]; below 1e-3 sampling is greedy (argmax).
 * Default 1. [RT] */
void sw_generator_set_temperature(sw_generator *g, float temperature);
/* Nucleus size: sample only from the most likely classes whose probability adds up to
 * top_p (after temperature). Clamped to [1e-6, 1]; 1 = no truncation (default). [RT] */
void sw_generator_set_top_p(sw_generator *g, float top_p);
/* Feed a prompt: each sample (float, clipped to [-1, 1], non-finite -> 0) is mu-law
 * encoded and stepped through the net; rendering continues from there. [RT] */
void sw_generator_prime(sw_generator *g, const float *samples, size_t n);
/* The same with mu-law codes (0..255) given directly. [RT] */
void sw_generator_prime_codes(sw_generator *g, const uint8_t *codes, size_t n);
/* Generate n samples into out[n] (and feed them back). [RT] */
void sw_generator_render(sw_generator *g, float *out, size_t n);
/* The same, also returning the codes drawn (codes may be NULL). [RT] */
void sw_generator_render_codes(sw_generator *g, float *out, uint8_t *codes, size_t n);
/* The model's distribution of the next sample (temperature 1, no top-p): probs[256]. [RT] */
void sw_generator_distribution(const sw_generator *g, float *probs);
/* Samples fed or rendered since the last reset. [RT] */
uint64_t sw_generator_position(const sw_generator *g);
/* mu-law helpers matching the model's encoding (mu = 255, 256 codes). [RT] */
uint8_t sw_mulaw_encode(float x);
float sw_mulaw_decode(uint8_t code);
/* ------------------------------------------------------ end of generator -- */

#ifdef __cplusplus
}
#endif
#endif
