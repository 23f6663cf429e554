/* synth_lv2.c — the Statewave neural instrument (dsp/synth.c, docs/INSTRUMENT.md) as an LV2
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
 * Threading classes (LV2 terms) are named on every callback. The audio thread only touches
 * engines it owns through `cur`/`next`; models and synths are created and freed by the worker
 * (or in instantiation-class callbacks), never in run().
 *
 * Model change (timbre control moved, patch:Set of a model file, or state restore while running):
 *   run():          schedules WORK_LOAD_TIMBRE / WORK_LOAD_PATH
 *   worker:         loads the file (shared through model_cache), builds a new sw_synth
 *   work_response:  the new engine becomes `next`: it gets the keys now held (with their
 *                   velocities), the pedal, the bend and the controls, so held notes go on
 *                   in the new timbre
 *   run():          `cur` and `next` both render; a 20 ms raised-cosine crossfade takes the
 *                   output from one to the other (no click: both are continuous signals and
 *                   the new voices start from zero phase and amplitude). `cur` is then handed
 *                   to the worker to free.
 * A model that cannot be loaded (missing, corrupt, not a synth model) keeps the current one;
 * the worker reports it through LV2 log.
 *
 * The engine swap, worker, patch messages, state and control handling are shared with the
 * timbre-transfer effect (instrument_common.c); this file has what is the instrument's own:
 * the engine (an sw_synth), the MIDI state replayed into a new engine, and the rendering.
 */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv2/atom/util.h>
#include <lv2/core/lv2.h>
#include <lv2/log/logger.h>
#include <lv2/midi/midi.h>

#include "instrument_common.h"
#include "statewave.h"
#include "synth_lv2.h"
#include "uris.h"

enum {
    PORT_MIDI_IN = 0,
    PORT_NOTIFY = 1,
    PORT_OUT_L = 2,
    PORT_OUT_R = 3,
    PORT_TIMBRE = 4,
    PORT_HARMONIC = 5,
    PORT_NOISE = 6,
    PORT_PITCH = 7,
    PORT_REVERB = 8,
    PORT_LEVEL = 9,
    PORT_COUNT
};

#define SY_CHUNK 256           /* frames per sub-block while two engines run */
#define SY_XFADE_S 0.020       /* crossfade old -> new timbre */
#define SY_KILL_S 0.005        /* fade-out of CC120 (all sound off) before the reset */
#define SY_BEND_RANGE 2.0f     /* semitones at full pitch-bend deflection */

/* One loaded model and the synth built on it, created and freed off the audio thread. */
typedef struct {
    sw_inst_engine c;      /* model, path, timbre (instrument_common.h); first member */
    sw_synth *syn;         /* owned; built for the instance's rate, SW_SYNTH_DEFAULT_VOICES voices */
} engine;

typedef struct {
    sw_inst c;                        /* engines, worker, state, controls, notify (first member) */

    /* ports: set by connect_port (the control and notify ports are in c) */
    const LV2_Atom_Sequence *midi_in; /* MIDI + patch messages in */
    float *out[2];                    /* [2] audio out (left, right); either may be NULL */

    /* configuration (immutable after instantiate) */
    LV2_URID midi_MidiEvent;          /* midi:MidiEvent (0 without urid:map) */
    uint32_t xf_len;                  /* crossfade frames, >= 1 */
    uint32_t kill_len;                /* CC120 fade frames, >= 1 */

    /* audio thread while activated */
    uint32_t xf_pos;                  /* frames of the crossfade done */

    /* what the MIDI stream has set (audio thread), replayed into a new engine */
    uint8_t vel[128];                 /* [key] velocity of a key held down, 0 = up */
    uint8_t last_vel[128];            /* [key] velocity of its latest note-on (for sustained keys) */
    uint64_t sustained[2];            /* [key / 64] bits: released while the pedal was down */
    bool pedal;                       /* CC64 >= 64 */
    float bend;                       /* semitones */
    uint32_t kill_pos;                /* frames left of a CC120 fade-out (0 = none) */

    /* audio-thread scratch for the two-engine phase */
    float scr_a[SY_CHUNK];
    float scr_b[SY_CHUNK];
    float scr_out[SY_CHUNK];          /* output when no audio port is connected */
} synth;

/* Real-time: the synth of an engine. */
static inline sw_synth *syn_of(const sw_inst_engine *e)
{
    return ((const engine *)e)->syn;
}

/* ------------------------------------------------------------ engines -- */

/* Non-real-time (instantiation, worker, state). */
static void engine_free(sw_inst_engine *b)
{
    if (!b)
        return;
    sw_synth_destroy(((engine *)b)->syn);
    sw_inst_engine_release(b);
}

/* Non-real-time (instantiation, worker, state): load `path`, build a synth for this
 * instance's rate. NULL and a message in err on any failure (the caller keeps its engine). */
static sw_inst_engine *engine_new(const sw_inst *c, const char *path, int timbre, char *err, size_t errlen)
{
    engine *e = (engine *)sw_inst_engine_alloc(sizeof(engine), path, timbre, err, errlen);
    if (!e)
        return NULL;
    char msg[256] = "";
    sw_status s = sw_synth_create(e->c.model, c->rate, SW_SYNTH_DEFAULT_VOICES, &e->syn, msg, sizeof msg);
    if (s != SW_OK || !e->syn) {
        snprintf(err, errlen, "model '%s' cannot run as an instrument at %.0f Hz: %s (%s)", path, c->rate,
                 msg[0] ? msg : "no detail", sw_status_str(s));
        engine_free(&e->c);
        return NULL;
    }
    /* Touch every buffer once so the first note does not pay for first-touch page faults,
     * then clear: one silent block and one short note. */
    float tmp[SY_CHUNK];
    sw_synth_process(e->syn, tmp, SY_CHUNK);
    sw_synth_note_on(e->syn, 60, 64);
    sw_synth_process(e->syn, tmp, SY_CHUNK);
    sw_synth_reset(e->syn);
    return &e->c;
}

/* Real-time: the four sound controls into an engine; the synth ramps them. */
static void set_controls(sw_inst_engine *e, const float v[4])
{
    sw_synth *s = syn_of(e);
    sw_synth_set_harmonic_gain(s, v[0]);
    sw_synth_set_noise_gain(s, v[1]);
    sw_synth_set_pitch_shift(s, v[2]);
    sw_synth_set_reverb_mix(s, v[3]);
}

/* Real-time: a fresh engine takes over what the MIDI stream has set: held keys with their
 * velocities, sustained keys (held by the pedal), pedal, bend, controls. */
static void replay_state(synth *self, sw_inst_engine *e)
{
    sw_synth *s = syn_of(e);
    float v[4];
    sw_inst_control_values(&self->c, v);
    sw_synth_reset(s);
    set_controls(e, v);
    sw_synth_pitch_bend(s, self->bend);
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

/* Real-time (also instantiation class from restore): start crossfading to `e`. */
static void prepare_next(sw_inst *c, sw_inst_engine *e)
{
    synth *self = (synth *)c;
    replay_state(self, e);
    self->xf_pos = 0;
}

/* Instantiation class: an engine installed by a restore while activated gets the MIDI state. */
static void restart(sw_inst *c, sw_inst_engine *e)
{
    replay_state((synth *)c, e);
}

static const sw_inst_ops synth_ops = {
    "statewave synth", engine_new, engine_free, prepare_next, set_controls, restart,
};

/* ------------------------------------------------------------ rendering -- */

/* Real-time: n mono frames into out[n], with the crossfade, level and CC120 fade. */
static void render_mono(synth *self, float *out, uint32_t n)
{
    uint32_t done = 0;
    while (done < n) {
        uint32_t len = n - done;
        float *o = out + done;
        if (self->c.next) {
            if (len > SY_CHUNK)
                len = SY_CHUNK;
            sw_synth_process(syn_of(self->c.cur), self->scr_a, len);
            sw_synth_process(syn_of(self->c.next), self->scr_b, len);
            const double L = self->xf_len;
            for (uint32_t i = 0; i < len; i++) {
                double p = (double)self->xf_pos + i;
                float g = p >= L ? 1.0f : (float)(0.5 - 0.5 * cos(M_PI * p / L));
                o[i] = self->scr_a[i] + g * (self->scr_b[i] - self->scr_a[i]);
            }
            self->xf_pos += len;
            if (self->xf_pos >= self->xf_len)
                sw_inst_finish_transition(&self->c);
        } else {
            sw_synth_process(syn_of(self->c.cur), o, len);
        }
        done += len;
    }

    const float tg = sw_inst_target_level(&self->c), a = self->c.level_coef;
    float g = self->c.level;
    bool cleared = false; /* a CC120 fade ended inside this segment */
    for (uint32_t i = 0; i < n; i++) {
        g += a * (tg - g);
        if (cleared) {
            out[i] = 0.0f; /* rendered before the clear: drop it */
            continue;
        }
        float k = 1.0f;
        if (self->kill_pos) {
            k = (float)(0.5 - 0.5 * cos(M_PI * (double)self->kill_pos / self->kill_len));
            if (--self->kill_pos == 0) { /* faded out: now clear the voices and the reverb */
                sw_synth_reset(syn_of(self->c.cur));
                if (self->c.next)
                    sw_synth_reset(syn_of(self->c.next));
                cleared = true;
            }
        }
        out[i] *= g * k;
    }
    self->c.level = g;
}

/* Real-time: frames [from, to) of the output. */
static void render(synth *self, uint32_t from, uint32_t to)
{
    if (from >= to)
        return;
    float *l = self->out[0], *r = self->out[1];
    float *m = l ? l + from : r ? r + from : NULL;
    if (!m) { /* no output connected: keep the engines' clocks going into scratch */
        for (uint32_t p = from; p < to; p += SY_CHUNK)
            render_mono(self, self->scr_out, to - p < SY_CHUNK ? to - p : SY_CHUNK);
        return;
    }
    render_mono(self, m, to - from);
    if (l && r && r != l)
        memcpy(r + from, l + from, (to - from) * sizeof(float));
}

/* ------------------------------------------------------------------ MIDI -- */

/* Real-time: a note-on into every engine. */
static void each_engine_note_on(synth *self, int key, int vel)
{
    sw_synth_note_on(syn_of(self->c.cur), key, vel);
    if (self->c.next)
        sw_synth_note_on(syn_of(self->c.next), key, vel);
}

/* Real-time: one MIDI message (all channels). */
static void handle_midi(synth *self, const uint8_t *msg, uint32_t size)
{
    if (size < 2)
        return;
    LV2_Midi_Message_Type type = lv2_midi_message_type(msg);
    sw_synth *a = syn_of(self->c.cur), *b = self->c.next ? syn_of(self->c.next) : NULL;
    if (type == LV2_MIDI_MSG_BENDER) {
        if (size < 3)
            return;
        int v = ((msg[2] & 0x7F) << 7 | (msg[1] & 0x7F)) - 8192;
        self->bend = SY_BEND_RANGE * (float)v / 8192.0f;
        sw_synth_pitch_bend(a, self->bend);
        if (b)
            sw_synth_pitch_bend(b, self->bend);
        return;
    }
    if (size < 3)
        return;
    const int key = msg[1] & 0x7F, val = msg[2] & 0x7F;
    const uint64_t bit = 1ull << (key & 63);
    if (type == LV2_MIDI_MSG_NOTE_ON && val == 0)
        type = LV2_MIDI_MSG_NOTE_OFF; /* note-on with velocity 0 is a note-off */
    switch (type) {
    case LV2_MIDI_MSG_NOTE_ON:
        self->vel[key] = self->last_vel[key] = (uint8_t)val;
        self->sustained[key >> 6] &= ~bit;
        each_engine_note_on(self, key, val);
        break;
    case LV2_MIDI_MSG_NOTE_OFF:
        if (self->vel[key] && self->pedal)
            self->sustained[key >> 6] |= bit;
        self->vel[key] = 0;
        sw_synth_note_off(a, key);
        if (b)
            sw_synth_note_off(b, key);
        break;
    case LV2_MIDI_MSG_CONTROLLER:
        if (key == LV2_MIDI_CTL_SUSTAIN) {
            self->pedal = val >= 64;
            if (!self->pedal)
                self->sustained[0] = self->sustained[1] = 0;
            sw_synth_sustain(a, self->pedal);
            if (b)
                sw_synth_sustain(b, self->pedal);
        } else if (key == LV2_MIDI_CTL_ALL_NOTES_OFF || key == LV2_MIDI_CTL_ALL_SOUNDS_OFF) {
            memset(self->vel, 0, sizeof self->vel);
            self->sustained[0] = self->sustained[1] = 0;
            self->pedal = false;
            sw_synth_all_notes_off(a); /* releases held and pedal-held notes; voices decay */
            if (b)
                sw_synth_all_notes_off(b);
            if (key == LV2_MIDI_CTL_ALL_SOUNDS_OFF)
                self->kill_pos = self->kill_len; /* fade out fast, then clear (render_mono) */
        }
        break;
    default:
        break;
    }
}

/* ------------------------------------------------------- LV2 callbacks -- */

/* Instantiation class. */
static LV2_Handle instantiate(const LV2_Descriptor *desc, double rate, const char *bundle_path,
                              const LV2_Feature *const *features)
{
    /* urid:map is required in the TTL, but offline lilv tools may give no features: the
     * plugin then loads and stays silent (no MIDI can be read) rather than crash. */
    synth *self = (synth *)sw_inst_instantiate(desc, rate, bundle_path, features, sizeof(synth), &synth_ops,
                                               SW_SYNTH__model, "host gave no urid:map: MIDI input ignored");
    if (!self)
        return NULL;
    self->xf_len = (uint32_t)lrint(SY_XFADE_S * rate);
    self->kill_len = (uint32_t)lrint(SY_KILL_S * rate);
    if (self->xf_len < 1)
        self->xf_len = 1;
    if (self->kill_len < 1)
        self->kill_len = 1;
    if (self->c.map)
        self->midi_MidiEvent = self->c.map->map(self->c.map->handle, LV2_MIDI__MidiEvent);

    /* The first shipped timbre in table order (the TTL's default is the same one). */
    if (!sw_inst_load_first(&self->c, desc))
        return NULL;
    return self;
}

/* Audio class. */
static void connect_port(LV2_Handle h, uint32_t port, void *data)
{
    synth *self = h;
    switch (port) {
    case PORT_MIDI_IN: self->midi_in = data; break;
    case PORT_NOTIFY: self->c.notify = data; break;
    case PORT_OUT_L: self->out[0] = data; break;
    case PORT_OUT_R: self->out[1] = data; break;
    case PORT_TIMBRE: self->c.timbre = data; break;
    case PORT_HARMONIC: self->c.harmonic = data; break;
    case PORT_NOISE: self->c.noise = data; break;
    case PORT_PITCH: self->c.pitch = data; break;
    case PORT_REVERB: self->c.reverb = data; break;
    case PORT_LEVEL: self->c.level_db = data; break;
    default: break;
    }
}

/* Instantiation class: silent, no keys held; the timbre the control asks for is loaded here
 * (synchronously: allowed in this class) unless a user's model file was restored. */
static void activate(LV2_Handle h)
{
    synth *self = h;
    sw_inst_activate(&self->c);
    memset(self->vel, 0, sizeof self->vel);
    self->sustained[0] = self->sustained[1] = 0;
    self->pedal = false;
    self->bend = 0.0f;
    self->kill_pos = 0;
    replay_state(self, self->c.cur); /* reset + controls at their targets */
    sw_inst_control_values(&self->c, self->c.applied);
    self->c.level = sw_inst_target_level(&self->c);
    self->c.activated = true;
}

/* Audio class. No allocation, locks, logging or I/O. */
static void run(LV2_Handle h, uint32_t n)
{
    synth *self = h;
    LV2_Atom_Forge_Frame seq;
    const bool can_notify = sw_inst_run_begin(&self->c, &seq);
    sw_inst_run_housekeeping(&self->c);

    uint32_t pos = 0;
    if (self->midi_in && self->c.map) {
        LV2_ATOM_SEQUENCE_FOREACH (self->midi_in, ev) {
            int64_t t = ev->time.frames;
            uint32_t at = t < (int64_t)pos ? pos : t > (int64_t)n ? n : (uint32_t)t;
            render(self, pos, at);
            pos = at;
            if (ev->body.type == self->midi_MidiEvent) {
                if (self->kill_pos) { /* an event during a CC120 fade: finish the clear now */
                    self->kill_pos = 0;
                    sw_synth_reset(syn_of(self->c.cur));
                    if (self->c.next)
                        sw_synth_reset(syn_of(self->c.next));
                }
                handle_midi(self, (const uint8_t *)LV2_ATOM_BODY_CONST(&ev->body), ev->body.size);
            } else {
                sw_inst_handle_atom(&self->c, &ev->body); /* patch:Set / patch:Get */
            }
        }
    }
    render(self, pos, n);
    sw_inst_run_end(&self->c, can_notify, &seq);
}

/* Instantiation class: deactivate and cleanup are sw_inst_deactivate and sw_inst_cleanup;
 * worker (work: worker class, work_response: audio class) and state (save: state class,
 * restore: instantiation class) are in instrument_common.c, through sw_inst_extension_data
 * (discovery class). */
static const LV2_Descriptor descriptor = {
    SW_SYNTH_URI, instantiate, connect_port, activate, run, sw_inst_deactivate, sw_inst_cleanup,
    sw_inst_extension_data,
};

/* Discovery class. */
const LV2_Descriptor *sw_synth_lv2_descriptor(uint32_t index)
{
    return index == 0 ? &descriptor : NULL;
}
