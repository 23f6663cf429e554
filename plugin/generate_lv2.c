/* generate_lv2.c — the Statewave piano generator (dsp/engines/generate.c) as an LV2 instrument.
 *
 * Ports:
 *   0 midi_in      atom in   MIDI (note on/off, sustain, all notes/sound off), time:Position
 *                            and patch:Set / patch:Get of the model-file property
 *   1 out          audio out mono, at the host rate
 *   2 temperature  control   0.5..1.5
 *   3 top_p        control   0.5..1.0
 *   4 seed         control   integer; read when a new phrase starts from silence
 *   5 latch        control   toggle: keep generating with no note held
 *   6 gain         control   dB, ramped (times the latest note-on velocity / 127)
 *   7 transport    control   toggle: also generate while the host transport rolls
 *   8 notify       atom out  patch:Set replies: the model file now in use
 *
 * Behaviour. The instrument is a single "voice" that is either silent (idle: run() writes
 * zeros and computes nothing else) or playing. It starts on a note-on (or when `latch` is
 * switched on, or the transport starts rolling with `transport` on) and keeps playing while
 * its gate is open: any note held (or sustained by the pedal) on any channel, latch on, or
 * transport rolling with `transport` on. When the gate closes it fades out (raised cosine,
 * GEN_FADE_S) and goes idle; if the gate opens again during the fade it fades back in
 * and the phrase goes on. A start from idle resets the generator (sw_generator_reset) and
 * seeds it with the `seed` control, so the same seed and settings give the same audio.
 * Events are handled at their frame within the block.
 *
 * Signal path per playing sample: the generator at the model's rate (16 kHz) converted to the
 * host rate (sw_gen_stream: no converter when the host runs at the model rate), then
 * envelope x smoothed gain.
 *
 * The model (<bundle>/generate.safetensors by default, 12 MB; or a user's file through the
 * model-file property) is loaded through the plugin base (lv2_base.h): in instantiate, or in
 * the worker for a patch:Set or a restore. A model arriving while idle takes over at once; one
 * arriving during a phrase starts a new phrase from the seed and is crossfaded in (20 ms).
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include <lv2/atom/util.h>
#include <lv2/midi/midi.h>

#include "lv2_base.h"

#define GEN_FADE_S 0.010  /* fade in / fade out of a phrase (raised cosine) */
#define GEN_XFADE_S 0.020 /* crossfade old -> new model during a phrase */
#define GEN_SEED_MAX 16777215.0f /* largest integer a float port holds exactly (2^24 - 1) */

/* One loaded model, its generator and its stream at the host rate, created and freed off the
 * audio thread. */
typedef struct {
    sw_lv2_engine e;       /* model, path (lv2_base.h); first member */
    sw_generator *gen;     /* owned */
    sw_gen_stream *out;    /* owned: gen at the host rate */
} engine;

typedef struct {
    sw_lv2 b;                         /* first member; its level is the smoothed gain */
    const LV2_Atom_Sequence *midi_in; /* events in; NULL = not connected */
    float *out;                       /* [block] mono audio out */
    const float *temperature;         /* 0.5..1.5 */
    const float *top_p;               /* 0.5..1 */
    const float *seed;                /* integer in a float */
    const float *latch;               /* >= 0.5: on */
    const float *transport;           /* >= 0.5: follow the host transport */
    uint32_t fade_len;                /* frames of a fade at the host rate, >= 1 */

    /* gate sources (audio thread) */
    uint64_t held[16][2];             /* [channel][key / 64] bits: keys down */
    uint64_t sustained[16][2];        /* [channel][key / 64] bits: released while the pedal was down */
    bool pedal[16];                   /* [channel] sustain pedal (CC 64 >= 64) down */
    bool rolling;                     /* latest time:speed > 0 */

    /* voice (audio thread) */
    bool active;                      /* playing or fading; false = idle, nothing computed */
    uint32_t env_pos;                 /* 0..fade_len: position on the fade curve (fade_len = full level) */
    float vel_gain;                   /* latest note-on velocity / 127; 1 when started without a note */
} generate;

static const size_t ports[] = {
    offsetof(generate, midi_in), offsetof(generate, out), offsetof(generate, temperature),
    offsetof(generate, top_p), offsetof(generate, seed), offsetof(generate, latch),
    offsetof(generate, b.level_db), offsetof(generate, transport), offsetof(generate, b.notify),
};

/* Instantiation class. */
static bool init(sw_lv2 *b, const LV2_Descriptor *desc)
{
    (void)desc;
    generate *self = (generate *)b;
    b->n_in = 0;
    b->xf_len = sw_lv2_frames(GEN_XFADE_S, b->rate);
    self->fade_len = sw_lv2_frames(GEN_FADE_S, b->rate);
    self->vel_gain = 1.0f;
    return true;
}

/* Worker / instantiation class. */
static void destroy(sw_lv2_engine *be)
{
    engine *e = (engine *)be;
    sw_gen_stream_destroy(e->out);
    sw_generator_destroy(e->gen);
}

/* Worker / instantiation class: a generator on the engine's model and its stream at this rate
 * (which runs both once, the warm-up). */
static bool build(const sw_lv2 *b, sw_lv2_engine *be, char *err, size_t errlen)
{
    engine *e = (engine *)be;
    char msg[256] = "";
    sw_status s = sw_generator_create(be->model, 0, &e->gen, msg, sizeof msg);
    if (s != SW_OK || !e->gen) /* the generator runs at its model's rate */
        return sw_lv2_build_failed(be, "a generator", 0.0, s, msg, err, errlen);
    return sw_gen_stream_create(e->gen, b->rate, &e->out, err, errlen) == SW_OK;
}

/* temperature, top-p */
static const sw_lv2_control ctl[] = {{offsetof(generate, temperature), 0.5f, 1.5f, 1.0f},
                                     {offsetof(generate, top_p), 0.5f, 1.0f, 1.0f}};

/* [RT] */
static void set_controls(sw_lv2_engine *e, const float v[SW_LV2_NCTL])
{
    sw_generator_set_temperature(((engine *)e)->gen, v[0]);
    sw_generator_set_top_p(((engine *)e)->gen, v[1]);
}

/* [RT]: a phrase from the start: generator seeded from the control (net state zeroed, RNG
 * rewound), fresh stream. */
static void reset(sw_lv2 *b, sw_lv2_engine *be, const float v[SW_LV2_NCTL])
{
    const generate *self = (const generate *)b;
    engine *e = (engine *)be;
    set_controls(be, v);
    float s = sw_lv2_ctl(self->seed, 0.0f, GEN_SEED_MAX, 1.0f); /* NaN: the TTL default */
    sw_generator_set_seed(e->gen, (uint64_t)lrintf(s));
    sw_generator_reset(e->gen);
    sw_gen_stream_reset(e->out);
}

/* [RT]: n frames of engine audio at the host rate into out[0][n]. */
static void process(sw_lv2 *b, sw_lv2_engine *be, const float *const *in, float *const *out, uint32_t n)
{
    (void)b;
    (void)in;
    sw_gen_stream_render(((engine *)be)->out, out[0], n);
}

/* [RT]: any key down or sustained on any channel. */
static bool notes_down(const generate *self)
{
    uint64_t any = 0;
    for (int c = 0; c < 16; c++)
        any |= self->held[c][0] | self->held[c][1] | self->sustained[c][0] | self->sustained[c][1];
    return any != 0;
}

/* [RT]: the gate (see the top comment). */
static bool gate_open(const generate *self)
{
    return notes_down(self) || sw_lv2_ctl(self->latch, 0, 1, 0) >= 0.5f ||
           (self->rolling && sw_lv2_ctl(self->transport, 0, 1, 0) >= 0.5f);
}

/* [RT] */
static float target_gain(const generate *self)
{
    return sw_lv2_target_level(&self->b) * self->vel_gain;
}

/* [RT]: the gate may have opened; a new phrase from silence if idle: a model that arrived
 * while idle takes over now, the engine starts from the seed, the envelope from 0. */
static void gate_changed(generate *self)
{
    if (self->active || !gate_open(self))
        return;
    sw_lv2_finish_transition(&self->b);
    sw_lv2_reset_engine(&self->b, self->b.cur);
    self->env_pos = 0;
    self->b.level = target_gain(self);
    self->active = true;
}

/* [RT]: frames [from, to) of the output with the gate as it is now. */
static void render(sw_lv2 *b, uint32_t from, uint32_t to)
{
    generate *self = (generate *)b;
    if (!self->out)
        return;
    float *out = self->out + from;
    uint32_t n = to - from;
    if (!self->active) {
        memset(out, 0, n * sizeof(float));
        return;
    }
    const bool open = gate_open(self);
    /* closed gate: only the frames left on the fade are computed */
    uint32_t m = open ? n : (self->env_pos < n ? self->env_pos : n);
    sw_lv2_render(b, NULL, &out, m);
    sw_level_env(out, m, &b->level, target_gain(self), b->level_coef, &self->env_pos, self->fade_len, open);
    if (m < n)
        memset(out + m, 0, (n - m) * sizeof(float));
    if (!open && self->env_pos == 0)
        self->active = false; /* silent: idle until the gate opens again */
}

/* [RT]: one MIDI message. */
static void midi(sw_lv2 *b, const uint8_t *msg, uint32_t size)
{
    generate *self = (generate *)b;
    if (size < 3)
        return;
    const int ch = msg[0] & 0x0F, key = msg[1] & 0x7F, val = msg[2] & 0x7F;
    const uint64_t bit = 1ull << (key & 63);
    switch (sw_lv2_midi_type(msg)) {
    case LV2_MIDI_MSG_NOTE_ON:
        self->held[ch][key >> 6] |= bit;
        self->sustained[ch][key >> 6] &= ~bit;
        self->vel_gain = (float)val / 127.0f;
        break;
    case LV2_MIDI_MSG_NOTE_OFF:
        if (self->held[ch][key >> 6] & bit) {
            self->held[ch][key >> 6] &= ~bit;
            if (self->pedal[ch])
                self->sustained[ch][key >> 6] |= bit;
        }
        break;
    case LV2_MIDI_MSG_CONTROLLER:
        if (key == LV2_MIDI_CTL_SUSTAIN) {
            self->pedal[ch] = val >= 64;
            if (!self->pedal[ch])
                self->sustained[ch][0] = self->sustained[ch][1] = 0;
        } else if (key == LV2_MIDI_CTL_ALL_NOTES_OFF || key == LV2_MIDI_CTL_ALL_SOUNDS_OFF) {
            /* this channel's keys (hosts send these on every channel when they stop) */
            self->held[ch][0] = self->held[ch][1] = 0;
            self->sustained[ch][0] = self->sustained[ch][1] = 0;
            if (key == LV2_MIDI_CTL_ALL_SOUNDS_OFF)
                self->pedal[ch] = false;
        }
        break;
    default:
        break;
    }
    gate_changed(self);
}

/* [RT]: time:Position: follow time:speed. */
static void position(sw_lv2 *b, double speed, double bpm, double bpb)
{
    (void)bpm;
    (void)bpb;
    generate *self = (generate *)b;
    if (speed == speed) { /* not NaN: given */
        bool was = self->rolling;
        self->rolling = speed > 0.0;
        if (self->rolling && !was && !self->active)
            self->vel_gain = 1.0f;
    }
    gate_changed(self);
}

/* Instantiation class: silent, no notes held, transport unknown (stopped). */
static void activate(sw_lv2 *b)
{
    generate *self = (generate *)b;
    memset(self->held, 0, sizeof self->held);
    memset(self->sustained, 0, sizeof self->sustained);
    memset(self->pedal, 0, sizeof self->pedal);
    self->rolling = false;
    self->active = false;
    self->env_pos = 0;
    self->vel_gain = 1.0f;
}

/* [RT] */
static void run(sw_lv2 *b, uint32_t n)
{
    generate *self = (generate *)b;
    if (!self->active) {
        sw_lv2_finish_transition(b); /* silent: a new model takes over at once */
        if (gate_open(self)) {      /* latch / transport toggled on */
            self->vel_gain = 1.0f;
            gate_changed(self);
        }
    }
    sw_lv2_run_events(b, self->midi_in, n);
}

static const sw_lv2_ops ops = {
    .log_name = "statewave generate",
    .model_uri = SW_GENERATE__model,
    .no_map_warning = "host gave no urid:map: MIDI input ignored, plays with latch only",
    .min_rate = 8000.0,
    .max_rate = 192000.0,
    SW_LV2_DEFAULT_MODEL("generate"),
    SW_LV2_OPS_BY_NAME(generate),
    SW_LV2_CTL_TABLE,
    .process = process,
    SW_LV2_MIDI_BY_NAME,
    .position = position,
};

SW_LV2_FAMILY_OF_ONE(sw_generate_lv2_descriptor, SW_GENERATE_URI, ops)
