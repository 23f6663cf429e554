/* synth_lv2.c — the Statewave neural instrument (dsp/engines/synth.c, docs/INSTRUMENT.md) as an LV2
 * instrument: MIDI in, a polyphonic SSM-driven harmonic-plus-noise synth, dual-mono stereo out.
 *
 * Ports:
 *   0 midi_in        atom in   MIDI (note on/off, velocity-0 note-off, CC64 sustain, pitch bend
 *                              +-2 semitones, CC120 all sound off, CC123 all notes off) and
 *                              patch:Set / patch:Get of the model-file property
 *   1 notify         atom out  patch:Set replies: the model file now in use
 *   2 out_l, 3 out_r audio out the same mono signal on both channels (dual mono)
 *   4 timbre         control   enumeration: index into sw_timbre_names (synth_lv2.h)
 *   5 harmonic_gain  control   linear 0..4
 *   6 noise_gain     control   linear 0..4
 *   7 pitch_shift    control   semitones -24..24
 *   8 reverb_mix     control   0 (dry) .. 1 (wet)
 *   9 level          control   output level, dB -60..+12 (smoothed)
 * 16 voices (SW_SYNTH_DEFAULT_VOICES), omni: all MIDI channels play the same instrument.
 *
 * Sample accuracy: run() renders up to each event's frame, applies the event, and goes on.
 *
 * Model change (timbre control, patch:Set, state restore while running) goes through the
 * plugin base (lv2_base.h). A new engine gets the keys now held (with their velocities), the
 * pedal, the bend and the controls, so held notes go on in the new timbre; a 20 ms crossfade
 * takes the output from one engine to the other (no click: both are continuous signals and the
 * new voices start from zero phase and amplitude).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <lv2/midi/midi.h>

#include "lv2_base.h"
#include "synth_lv2.h"

#define SY_XFADE_S 0.020   /* crossfade old -> new timbre */
#define SY_KILL_S 0.005    /* fade-out of CC120 (all sound off) before the reset */
#define SY_BEND_RANGE 2.0f /* semitones at full pitch-bend deflection */

/* One loaded model and the synth built on it, created and freed off the audio thread. */
typedef struct {
    sw_lv2_engine e; /* model, path (lv2_base.h); first member */
    sw_synth *syn;   /* owned; built for the instance's rate, SW_SYNTH_DEFAULT_VOICES voices */
} engine;

typedef struct {
    sw_lv2 b;                         /* first member */
    const LV2_Atom_Sequence *midi_in; /* MIDI + patch messages in */
    float *out[2];                    /* [2] audio out (left, right); either may be NULL */
    const float *sound[4];            /* harmonic, noise, pitch, reverb */
    uint32_t kill_len;                /* CC120 fade frames, >= 1 */

    /* what the MIDI stream has set (audio thread), replayed into a new engine */
    uint8_t vel[128];                 /* [key] velocity of a key held down, 0 = up */
    uint8_t last_vel[128];            /* [key] velocity of its latest note-on (for sustained keys) */
    uint64_t sustained[2];            /* [key / 64] bits: released while the pedal was down */
    bool pedal;                       /* CC64 >= 64 */
    float bend;                       /* semitones */
    float mod, expr, pressure;        /* CC1, CC11, channel aftertouch, 0..1 */
    uint32_t kill_pos;                /* frames left of a CC120 fade-out (0 = none) */
    float scr_out[SW_LV2_CHUNK];      /* output when no audio port is connected */
} synth;

static const size_t ports[] = {
    offsetof(synth, midi_in), offsetof(synth, b.notify), offsetof(synth, out[0]), offsetof(synth, out[1]),
    offsetof(synth, b.timbre), offsetof(synth, sound[0]), offsetof(synth, sound[1]), offsetof(synth, sound[2]),
    offsetof(synth, sound[3]), offsetof(synth, b.level_db),
};

/* [RT]: the synth of an engine (NULL for none). */
static inline sw_synth *syn_of(const sw_lv2_engine *e)
{
    return e ? ((const engine *)e)->syn : NULL;
}

/* Instantiation class. */
static bool init(sw_lv2 *b, const LV2_Descriptor *desc)
{
    (void)desc;
    synth *self = (synth *)b;
    b->n_in = 0;
    b->xf_len = sw_lv2_frames(SY_XFADE_S, b->rate);
    self->kill_len = sw_lv2_frames(SY_KILL_S, b->rate);
    self->expr = 1.0f;                /* expression at full until CC11 says otherwise */
    return true;
}

/* Worker / instantiation class. */
static void destroy(sw_lv2_engine *e)
{
    sw_synth_destroy(syn_of(e));
}

/* Worker / instantiation class: a synth on the engine's model for this rate. */
static bool build(const sw_lv2 *b, sw_lv2_engine *be, char *err, size_t errlen)
{
    engine *e = (engine *)be;
    char msg[256] = "";
    sw_status s = sw_synth_create(be->model, b->rate, SW_SYNTH_DEFAULT_VOICES, &e->syn, msg, sizeof msg);
    if (s != SW_OK || !e->syn)
        return sw_lv2_build_failed(be, "an instrument", b->rate, s, msg, err, errlen);
    /* so that the first note does not pay for first-touch page faults */
    sw_synth_warm_up(e->syn, b->rate, SW_SYNTH_DEFAULT_VOICES);
    return true;
}

static const sw_lv2_control ctl[] = SW_INSTRUMENT_CONTROLS(synth);

/* [RT]: the synth ramps them. */
static void set_controls(sw_lv2_engine *e, const float v[SW_LV2_NCTL])
{
    sw_synth *s = syn_of(e);
    sw_synth_set_harmonic_gain(s, v[0]);
    sw_synth_set_noise_gain(s, v[1]);
    sw_synth_set_pitch_shift(s, v[2]);
    sw_synth_set_reverb_mix(s, v[3]);
}

/* [RT]: a clean engine takes over what the MIDI stream has set: held keys with their
 * velocities, sustained keys (held by the pedal), pedal, bend, controls. */
static void reset(sw_lv2 *b, sw_lv2_engine *e, const float v[SW_LV2_NCTL])
{
    synth *self = (synth *)b;
    sw_synth *s = syn_of(e);
    sw_synth_reset(s);
    set_controls(e, v);
    sw_synth_pitch_bend(s, self->bend);
    sw_synth_mod_wheel(s, self->mod);
    sw_synth_expression(s, self->expr);
    sw_synth_pressure(s, self->pressure);
    if (self->pedal)
        sw_synth_sustain(s, 1);
    for (int k = 0; k < 128; k++) {
        bool sus = (self->sustained[k >> 6] >> (k & 63)) & 1;
        if (self->vel[k]) {
            sw_synth_note_on(s, k, self->vel[k]);
        } else if (sus) { /* sounding through the pedal: key down, then up with the pedal held */
            sw_synth_note_on(s, k, self->last_vel[k] ? self->last_vel[k] : 64);
            sw_synth_note_off(s, k);
        }
    }
}

/* [RT] */
static void process(sw_lv2 *b, sw_lv2_engine *e, const float *const *in, float *const *out, uint32_t n)
{
    (void)b;
    (void)in;
    sw_synth_process(syn_of(e), out[0], n);
}

/* [RT]: clear the voices and the reverb of every engine (the end of a CC120 fade). */
static void clear_engines(synth *self)
{
    sw_synth_reset(syn_of(self->b.cur));
    if (self->b.next)
        sw_synth_reset(syn_of(self->b.next));
}

/* [RT]: n mono frames into out[n]: the engine(s), then level and the CC120 fade. */
static void render_mono(synth *self, float *out, uint32_t n)
{
    sw_lv2 *b = &self->b;
    sw_lv2_render(b, NULL, &out, n);
    if (sw_level_fade_out(out, n, &b->level, sw_lv2_target_level(b), b->level_coef, &self->kill_pos,
                          self->kill_len) < n)
        clear_engines(self); /* faded out: the frames rendered after that point were dropped */
}

/* [RT]: frames [from, to) of the output. */
static void render(sw_lv2 *b, uint32_t from, uint32_t to)
{
    synth *self = (synth *)b;
    float *l = self->out[0], *r = self->out[1];
    float *m = l ? l + from : r ? r + from : NULL;
    if (!m) { /* no output connected: keep the engines' clocks going into scratch */
        for (uint32_t p = from; p < to; p += SW_LV2_CHUNK)
            render_mono(self, self->scr_out, to - p < SW_LV2_CHUNK ? to - p : SW_LV2_CHUNK);
        return;
    }
    render_mono(self, m, to - from);
    if (l && r && r != l)
        memcpy(r + from, l + from, (to - from) * sizeof(float));
}

/* [RT]: one MIDI message (all channels) into the MIDI state and every engine. */
static void midi(sw_lv2 *b, const uint8_t *msg, uint32_t size)
{
    synth *self = (synth *)b;
    if (self->kill_pos) { /* an event during a CC120 fade: finish the clear now */
        self->kill_pos = 0;
        clear_engines(self);
    }
    if (size < 2)
        return;
    const LV2_Midi_Message_Type type = size < 3 ? lv2_midi_message_type(msg) : sw_lv2_midi_type(msg);
    sw_synth *e[2] = {syn_of(b->cur), syn_of(b->next)};
    const int ne = e[1] ? 2 : 1;
    if (type == LV2_MIDI_MSG_CHANNEL_PRESSURE) {
        self->pressure = (float)(msg[1] & 0x7F) / 127.0f;
        for (int i = 0; i < ne; i++)
            sw_synth_pressure(e[i], self->pressure);
        return;
    }
    if (size < 3)
        return;
    const int key = msg[1] & 0x7F, val = msg[2] & 0x7F;
    const uint64_t bit = 1ull << (key & 63);
    switch (type) {
    case LV2_MIDI_MSG_BENDER:
        self->bend = SY_BEND_RANGE * (float)(((msg[2] & 0x7F) << 7 | (msg[1] & 0x7F)) - 8192) / 8192.0f;
        for (int i = 0; i < ne; i++)
            sw_synth_pitch_bend(e[i], self->bend);
        break;
    case LV2_MIDI_MSG_NOTE_ON:
        self->vel[key] = self->last_vel[key] = (uint8_t)val;
        self->sustained[key >> 6] &= ~bit;
        for (int i = 0; i < ne; i++)
            sw_synth_note_on(e[i], key, val);
        break;
    case LV2_MIDI_MSG_NOTE_OFF:
        if (self->vel[key] && self->pedal)
            self->sustained[key >> 6] |= bit;
        self->vel[key] = 0;
        for (int i = 0; i < ne; i++)
            sw_synth_note_off(e[i], key);
        break;
    case LV2_MIDI_MSG_CONTROLLER:
        if (key == LV2_MIDI_CTL_MSB_MODWHEEL || key == LV2_MIDI_CTL_MSB_EXPRESSION) {
            float *dst = key == LV2_MIDI_CTL_MSB_MODWHEEL ? &self->mod : &self->expr;
            *dst = (float)val / 127.0f;
            for (int i = 0; i < ne; i++) {
                sw_synth_mod_wheel(e[i], self->mod);
                sw_synth_expression(e[i], self->expr);
            }
        } else if (key == LV2_MIDI_CTL_RESET_CONTROLLERS) {
            self->mod = self->pressure = self->bend = 0.0f;
            self->expr = 1.0f;
            for (int i = 0; i < ne; i++)
                sw_synth_reset_controllers(e[i]);
        } else if (key == LV2_MIDI_CTL_SUSTAIN) {
            self->pedal = val >= 64;
            if (!self->pedal)
                self->sustained[0] = self->sustained[1] = 0;
            for (int i = 0; i < ne; i++)
                sw_synth_sustain(e[i], self->pedal);
        } else if (key == LV2_MIDI_CTL_ALL_NOTES_OFF || key == LV2_MIDI_CTL_ALL_SOUNDS_OFF) {
            memset(self->vel, 0, sizeof self->vel);
            self->sustained[0] = self->sustained[1] = 0;
            self->pedal = false;
            for (int i = 0; i < ne; i++)
                sw_synth_all_notes_off(e[i]); /* releases held and pedal-held notes; voices decay */
            if (key == LV2_MIDI_CTL_ALL_SOUNDS_OFF)
                self->kill_pos = self->kill_len; /* fade out fast, then clear (render_mono) */
        }
        break;
    default:
        break;
    }
}

/* Instantiation class: silent, no keys held. */
static void activate(sw_lv2 *b)
{
    synth *self = (synth *)b;
    memset(self->vel, 0, sizeof self->vel);
    self->sustained[0] = self->sustained[1] = 0;
    self->pedal = false;
    self->bend = 0.0f;
    self->mod = self->pressure = 0.0f;
    self->expr = 1.0f;
    self->kill_pos = 0;
}

/* [RT] */
static void run(sw_lv2 *b, uint32_t n)
{
    sw_lv2_run_events(b, ((synth *)b)->midi_in, n);
}

static const sw_lv2_ops ops = {
    .log_name = "statewave synth",
    .model_uri = SW_SYNTH__model,
    .no_map_warning = "host gave no urid:map: MIDI input ignored",
    SW_INSTRUMENT_OPS,
    SW_LV2_OPS_BY_NAME(synth),
    SW_LV2_CTL_TABLE,
    .process = process,
    SW_LV2_MIDI_BY_NAME,
};

SW_LV2_FAMILY_OF_ONE(sw_synth_lv2_descriptor, SW_SYNTH_URI, ops)
