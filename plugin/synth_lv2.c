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
 */
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/core/lv2.h>
#include <lv2/core/lv2_util.h>
#include <lv2/log/logger.h>
#include <lv2/midi/midi.h>
#include <lv2/state/state.h>
#include <lv2/worker/worker.h>

#include "model_cache.h"
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

#define SY_MIN_RATE 8000.0
#define SY_MAX_RATE 384000.0
#define SY_CHUNK 256           /* frames per sub-block while two engines run */
#define SY_PATH_MAX 4096       /* longest model path we keep (bytes incl. NUL) */
#define SY_MSG_PATH_MAX 1024   /* longest path a worker message carries (host rings are small) */
#define SY_XFADE_S 0.020       /* crossfade old -> new timbre */
#define SY_KILL_S 0.005        /* fade-out of CC120 (all sound off) before the reset */
#define SY_LEVEL_TAU 0.010     /* time constant of the level smoothing */
#define SY_BEND_RANGE 2.0f     /* semitones at full pitch-bend deflection */
#define SY_GRAVE 8             /* retired engines waiting for a free worker slot */

/* One loaded model and the synth built on it, created and freed off the audio thread. */
typedef struct {
    const sw_model *model; /* shared via model_cache; released by engine_free */
    sw_synth *syn;         /* owned; built for the instance's rate, SW_SYNTH_DEFAULT_VOICES voices */
    char *path;            /* owned, NUL-terminated path of the model file */
    int timbre;            /* index into sw_timbre_names, or -1 for a user's model file */
} engine;

/* Worker messages (copied by the host between threads). */
enum { WORK_LOAD_PATH = 1, WORK_LOAD_TIMBRE, WORK_FREE, WORK_REPORT };
enum { RESP_INSTALL = 1, RESP_FAILED };
enum { REPORT_PATH_TOO_LONG = 1, REPORT_BAD_VALUE, REPORT_QUEUE_FULL, REPORT_NO_WORKER, REPORT_N };

typedef struct {
    uint32_t type; /* WORK_LOAD_PATH */
    uint32_t len;  /* bytes of path including the NUL */
    char path[SY_MSG_PATH_MAX];
} work_load;

typedef struct {
    uint32_t type; /* WORK_LOAD_TIMBRE, WORK_FREE, WORK_REPORT, RESP_INSTALL or RESP_FAILED */
    uint32_t code; /* LOAD_TIMBRE: timbre index; REPORT: REPORT_*; else 0 */
    engine *eng;   /* FREE: engine to free; INSTALL: new engine; else NULL */
} work_msg;

/* URIDs mapped once at instantiate. */
typedef struct {
    sw_lv2_uris c;           /* the bundle's common URIDs (atom, patch); c.sw_model unused */
    LV2_URID midi_MidiEvent; /* midi:MidiEvent */
    LV2_URID model;          /* SW_SYNTH__model */
} synth_uris;

typedef struct {
    /* ports: set by connect_port */
    const LV2_Atom_Sequence *midi_in; /* MIDI + patch messages in */
    LV2_Atom_Sequence *notify;        /* patch:Set replies out; atom.size = capacity on entry */
    float *out[2];                    /* [2] audio out (left, right); either may be NULL */
    const float *timbre;              /* enumeration index */
    const float *harmonic;            /* linear 0..4 */
    const float *noise;               /* linear 0..4 */
    const float *pitch;               /* semitones -24..24 */
    const float *reverb;              /* 0..1 */
    const float *level_db;            /* -60..12 */

    /* host features and configuration (immutable after instantiate; read by the worker too) */
    LV2_URID_Map *map;                /* NULL: no MIDI or patch messages can be read */
    LV2_Log_Logger logger;            /* log:log or stderr */
    LV2_Worker_Schedule *schedule;    /* NULL: timbre changes only at activate / restore */
    synth_uris uris;
    LV2_Atom_Forge forge;             /* audio thread only */
    double rate;                      /* host sample rate */
    char *bundle;                     /* owned: bundle path with a trailing '/' */
    uint32_t xf_len;                  /* crossfade frames, >= 1 */
    uint32_t kill_len;                /* CC120 fade frames, >= 1 */
    float level_coef;                 /* one-pole coefficient per frame of the level smoothing */

    /* engines: owned by the audio thread while activated, by instantiation-class calls otherwise */
    engine *cur;                      /* the engine heard; never NULL */
    engine *next;                     /* fading in, or NULL */
    engine *queued;                   /* arrived while `next` was busy, or NULL */
    engine *grave[SY_GRAVE];          /* retired, to be passed to the worker for freeing */
    uint32_t xf_pos;                  /* frames of the crossfade done */

    /* what the MIDI stream has set (audio thread), replayed into a new engine */
    uint8_t vel[128];                 /* [key] velocity of a key held down, 0 = up */
    uint8_t last_vel[128];            /* [key] velocity of its latest note-on (for sustained keys) */
    uint64_t sustained[2];            /* [key / 64] bits: released while the pedal was down */
    bool pedal;                       /* CC64 >= 64 */
    float bend;                       /* semitones */

    /* controls (audio thread) */
    int req_timbre;                   /* timbre index last requested from the control (-2 = none yet) */
    bool timbre_resync;               /* adopt the control's value without loading (after a restore) */
    bool timbre_reload;               /* load the control's timbre next run (state without a model file) */
    float applied[4];                 /* harmonic, noise, pitch, reverb as last set (NAN = never) */
    float level;                      /* current linear level (smoothed) */
    uint32_t kill_pos;                /* frames left of a CC120 fade-out (0 = none) */
    bool notify_pending;              /* send the current model path on notify next run */
    uint32_t pending_report;          /* REPORT_* to hand the worker (0 = none) */
    bool activated;

    /* model path published for save(), which may run concurrently with run():
     * run writes the slot not in use, then flips pub_idx. */
    char pub_path[2][SY_PATH_MAX];
    int pub_timbre[2];                /* the engine's timbre (-1: a user's file, saved in state) */
    atomic_int pub_idx;

    /* audio-thread scratch for the two-engine phase */
    float scr_a[SY_CHUNK];
    float scr_b[SY_CHUNK];
    float scr_out[SY_CHUNK];          /* output when no audio port is connected */
} synth;

/* ------------------------------------------------------------ engines -- */

/* Non-real-time (instantiation, worker, state). */
static void engine_free(engine *e)
{
    if (!e)
        return;
    sw_synth_destroy(e->syn);
    sw_lv2_model_release(e->model);
    free(e->path);
    free(e);
}

/* Non-real-time: the bundle file of timbre t (malloc'ed), or NULL. */
static char *timbre_path(const synth *self, int t)
{
    if (t < 0 || t >= SW_N_TIMBRES)
        return NULL;
    size_t n = strlen(self->bundle) + strlen(SW_TIMBRE_FILE_PREFIX) + strlen(sw_timbre_names[t]) +
               strlen(SW_TIMBRE_FILE_SUFFIX) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s%s%s", self->bundle, SW_TIMBRE_FILE_PREFIX, sw_timbre_names[t], SW_TIMBRE_FILE_SUFFIX);
    return p;
}

/* Non-real-time: load `path`, build a synth for this instance's rate. NULL and a message in
 * err on any failure (the caller keeps its current engine). */
static engine *engine_new(const synth *self, const char *path, int timbre, char *err, size_t errlen)
{
    if (strlen(path) >= SY_PATH_MAX) {
        snprintf(err, errlen, "model path is longer than %d bytes", SY_PATH_MAX - 1);
        return NULL;
    }
    engine *e = calloc(1, sizeof *e);
    if (!e || !(e->path = strdup(path))) {
        snprintf(err, errlen, "out of memory");
        free(e);
        return NULL;
    }
    e->timbre = timbre;
    e->model = sw_lv2_model_acquire(path, err, errlen);
    if (!e->model) {
        engine_free(e);
        return NULL;
    }
    char msg[256] = "";
    sw_status s = sw_synth_create(e->model, self->rate, SW_SYNTH_DEFAULT_VOICES, &e->syn, msg, sizeof msg);
    if (s != SW_OK || !e->syn) {
        snprintf(err, errlen, "model '%s' cannot run as an instrument at %.0f Hz: %s (%s)", path, self->rate,
                 msg[0] ? msg : "no detail", sw_status_str(s));
        engine_free(e);
        return NULL;
    }
    /* Touch every buffer once so the first note does not pay for first-touch page faults,
     * then clear: one silent block and one short note. */
    float tmp[SY_CHUNK];
    sw_synth_process(e->syn, tmp, SY_CHUNK);
    sw_synth_note_on(e->syn, 60, 64);
    sw_synth_process(e->syn, tmp, SY_CHUNK);
    sw_synth_reset(e->syn);
    return e;
}

/* Non-real-time: the engine of timbre t. */
static engine *engine_new_timbre(const synth *self, int t, char *err, size_t errlen)
{
    char *p = timbre_path(self, t);
    if (!p) {
        snprintf(err, errlen, t < 0 || t >= SW_N_TIMBRES ? "timbre %d does not exist" : "out of memory", t);
        return NULL;
    }
    engine *e = engine_new(self, p, t, err, errlen);
    free(p);
    return e;
}

/* Real-time: make `e` the engine save() reports. Bounded copy, no allocation. */
static void publish(synth *self, const engine *e)
{
    int idx = 1 - atomic_load_explicit(&self->pub_idx, memory_order_relaxed);
    size_t n = strlen(e->path); /* < SY_PATH_MAX, checked in engine_new */
    memcpy(self->pub_path[idx], e->path, n + 1);
    self->pub_timbre[idx] = e->timbre;
    atomic_store_explicit(&self->pub_idx, idx, memory_order_release);
    self->notify_pending = true;
}

static float ctl(const float *port, float lo, float hi, float fallback)
{
    if (!port)
        return fallback;
    float v = *port;
    if (!(v == v)) /* NaN */
        return fallback;
    return v < lo ? lo : v > hi ? hi : v;
}

/* Real-time: the timbre index the control asks for (-1 if out of the table). */
static int control_timbre(const synth *self)
{
    if (!self->timbre)
        return -1;
    float v = self->timbre[0];
    if (!(v >= -0.5f && v < SW_N_TIMBRES - 0.5f))
        return -1;
    return (int)lrintf(v);
}

/* Real-time: the four synth controls as the ports ask. */
static void control_values(const synth *self, float v[4])
{
    v[0] = ctl(self->harmonic, 0.0f, 4.0f, 1.0f);
    v[1] = ctl(self->noise, 0.0f, 4.0f, 1.0f);
    v[2] = ctl(self->pitch, -24.0f, 24.0f, 0.0f);
    v[3] = ctl(self->reverb, 0.0f, 1.0f, 0.0f);
}

static void set_controls(sw_synth *s, const float v[4])
{
    sw_synth_set_harmonic_gain(s, v[0]);
    sw_synth_set_noise_gain(s, v[1]);
    sw_synth_set_pitch_shift(s, v[2]);
    sw_synth_set_reverb_mix(s, v[3]);
}

/* Real-time: push changed controls into the engine(s); the synth ramps them. */
static void apply_controls(synth *self)
{
    float v[4];
    control_values(self, v);
    if (memcmp(v, self->applied, sizeof v) != 0) {
        set_controls(self->cur->syn, v);
        if (self->next)
            set_controls(self->next->syn, v);
        memcpy(self->applied, v, sizeof v);
    }
}

static float target_level(const synth *self)
{
    return powf(10.0f, ctl(self->level_db, -60.0f, 12.0f, 0.0f) / 20.0f);
}

/* Real-time: a fresh engine takes over what the MIDI stream has set: held keys with their
 * velocities, sustained keys (held by the pedal), pedal, bend, controls. */
static void replay_state(synth *self, sw_synth *s)
{
    float v[4];
    control_values(self, v);
    sw_synth_reset(s);
    set_controls(s, v);
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

/* Real-time: start crossfading to `e`. */
static void begin_transition(synth *self, engine *e)
{
    replay_state(self, e->syn);
    self->next = e;
    self->xf_pos = 0;
}

/* Real-time: hand retired engines to the worker; one the queue cannot take now stays. */
static void flush_grave(synth *self)
{
    for (int i = 0; i < SY_GRAVE; i++) {
        if (!self->grave[i] || !self->schedule)
            continue;
        work_msg m = {WORK_FREE, 0, self->grave[i]};
        if (self->schedule->schedule_work(self->schedule->handle, sizeof m, &m) == LV2_WORKER_SUCCESS)
            self->grave[i] = NULL;
    }
}

/* Real-time: retire `e`. With every grave slot taken (the host has not run the worker for
 * SY_GRAVE swaps) the engine is leaked rather than freed on the audio thread. */
static void retire(synth *self, engine *e)
{
    for (int i = 0; i < SY_GRAVE; i++) {
        if (!self->grave[i]) {
            self->grave[i] = e;
            return;
        }
    }
    self->pending_report = REPORT_QUEUE_FULL;
}

/* Real-time: the crossfade is over: `next` becomes `cur`. */
static void finish_transition(synth *self)
{
    retire(self, self->cur);
    self->cur = self->next;
    self->next = NULL;
    publish(self, self->cur);
    if (self->queued) {
        engine *q = self->queued;
        self->queued = NULL;
        begin_transition(self, q);
    }
}

/* Instantiation class: finish any swap at once (not running, so no crossfade needed). */
static void settle_now(synth *self)
{
    if (self->next) {
        engine_free(self->cur);
        self->cur = self->next;
        self->next = NULL;
    }
    if (self->queued) {
        engine_free(self->cur);
        self->cur = self->queued;
        self->queued = NULL;
    }
    for (int i = 0; i < SY_GRAVE; i++) {
        engine_free(self->grave[i]);
        self->grave[i] = NULL;
    }
    publish(self, self->cur);
}

/* Instantiation class: replace the engine at once (not running). */
static void install_now(synth *self, engine *e)
{
    settle_now(self);
    engine_free(self->cur);
    self->cur = e;
    publish(self, e);
}

/* ------------------------------------------------------------ rendering -- */

/* Real-time: n mono frames into out[n], with the crossfade, level and CC120 fade. */
static void render_mono(synth *self, float *out, uint32_t n)
{
    uint32_t done = 0;
    while (done < n) {
        uint32_t len = n - done;
        float *o = out + done;
        if (self->next) {
            if (len > SY_CHUNK)
                len = SY_CHUNK;
            sw_synth_process(self->cur->syn, self->scr_a, len);
            sw_synth_process(self->next->syn, self->scr_b, len);
            const double L = self->xf_len;
            for (uint32_t i = 0; i < len; i++) {
                double p = (double)self->xf_pos + i;
                float g = p >= L ? 1.0f : (float)(0.5 - 0.5 * cos(M_PI * p / L));
                o[i] = self->scr_a[i] + g * (self->scr_b[i] - self->scr_a[i]);
            }
            self->xf_pos += len;
            if (self->xf_pos >= self->xf_len)
                finish_transition(self);
        } else {
            sw_synth_process(self->cur->syn, o, len);
        }
        done += len;
    }

    const float tg = target_level(self), a = self->level_coef;
    float g = self->level;
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
                sw_synth_reset(self->cur->syn);
                if (self->next)
                    sw_synth_reset(self->next->syn);
                cleared = true;
            }
        }
        out[i] *= g * k;
    }
    self->level = g;
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

static void each_engine_note_on(synth *self, int key, int vel)
{
    sw_synth_note_on(self->cur->syn, key, vel);
    if (self->next)
        sw_synth_note_on(self->next->syn, key, vel);
}

/* Real-time: one MIDI message (all channels). */
static void handle_midi(synth *self, const uint8_t *msg, uint32_t size)
{
    if (size < 2)
        return;
    LV2_Midi_Message_Type type = lv2_midi_message_type(msg);
    sw_synth *a = self->cur->syn, *b = self->next ? self->next->syn : NULL;
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

/* ------------------------------------------------------------- messages -- */

/* Real-time: patch:Set <model> / patch:Get. */
static void handle_patch(synth *self, const LV2_Atom_Object *obj)
{
    const sw_lv2_uris *u = &self->uris.c;
    if (obj->body.otype == u->patch_Get) {
        const LV2_Atom_URID *prop = NULL;
        lv2_atom_object_get(obj, u->patch_property, (const LV2_Atom **)&prop, 0);
        if (!prop || (prop->atom.type == u->atom_URID && prop->body == self->uris.model))
            self->notify_pending = true;
        return;
    }
    if (obj->body.otype != u->patch_Set)
        return;
    const LV2_Atom_URID *prop = NULL;
    const LV2_Atom *value = NULL;
    lv2_atom_object_get(obj, u->patch_property, (const LV2_Atom **)&prop, u->patch_value, &value, 0);
    if (!prop || prop->atom.type != u->atom_URID || prop->body != self->uris.model)
        return; /* not ours */
    if (!value || (value->type != u->atom_Path && value->type != u->atom_String) || value->size < 2) {
        self->pending_report = REPORT_BAD_VALUE;
        self->notify_pending = true;
        return;
    }
    const char *s = (const char *)LV2_ATOM_BODY_CONST(value);
    size_t n = strnlen(s, value->size); /* the body need not be NUL-terminated */
    if (n == 0 || n >= SY_MSG_PATH_MAX) {
        self->pending_report = n ? REPORT_PATH_TOO_LONG : REPORT_BAD_VALUE;
        self->notify_pending = true;
        return;
    }
    if (!self->schedule) {
        self->pending_report = REPORT_NO_WORKER;
        self->notify_pending = true;
        return;
    }
    work_load msg;
    msg.type = WORK_LOAD_PATH;
    msg.len = (uint32_t)n + 1;
    memcpy(msg.path, s, n);
    msg.path[n] = '\0';
    uint32_t size = (uint32_t)(offsetof(work_load, path) + msg.len);
    if (self->schedule->schedule_work(self->schedule->handle, size, &msg) != LV2_WORKER_SUCCESS) {
        self->pending_report = REPORT_QUEUE_FULL;
        self->notify_pending = true;
    }
}

/* Real-time: the timbre control moved: ask the worker for that model. */
static void check_timbre(synth *self)
{
    int t = control_timbre(self);
    if (self->timbre_resync) {
        self->req_timbre = t;
        self->timbre_resync = false;
        return;
    }
    if (t == self->req_timbre && !self->timbre_reload)
        return;
    if (t < 0) { /* not a timbre: nothing to load, remember it so we do not retry */
        self->req_timbre = t;
        self->timbre_reload = false;
        return;
    }
    if (!self->schedule) {
        self->req_timbre = t;
        self->timbre_reload = false;
        self->pending_report = REPORT_NO_WORKER;
        return;
    }
    work_msg m = {WORK_LOAD_TIMBRE, (uint32_t)t, NULL};
    if (self->schedule->schedule_work(self->schedule->handle, sizeof m, &m) == LV2_WORKER_SUCCESS) {
        self->req_timbre = t;
        self->timbre_reload = false;
    } /* else: the queue is full; retried next cycle */
}

/* Real-time: patch:Set <model> "path" on the notify port. */
static void write_notify(synth *self)
{
    const sw_lv2_uris *u = &self->uris.c;
    int idx = atomic_load_explicit(&self->pub_idx, memory_order_relaxed);
    const char *path = self->pub_path[idx];
    LV2_Atom_Forge *f = &self->forge;
    LV2_Atom_Forge_Frame frame;
    if (!lv2_atom_forge_frame_time(f, 0))
        return;
    if (!lv2_atom_forge_object(f, &frame, 0, u->patch_Set))
        return;
    lv2_atom_forge_key(f, u->patch_property);
    lv2_atom_forge_urid(f, self->uris.model);
    lv2_atom_forge_key(f, u->patch_value);
    lv2_atom_forge_path(f, path, (uint32_t)strlen(path) + 1);
    lv2_atom_forge_pop(f, &frame);
    self->notify_pending = false;
}

/* ------------------------------------------------------- LV2 callbacks -- */

/* Instantiation class. */
static LV2_Handle instantiate(const LV2_Descriptor *desc, double rate, const char *bundle_path,
                              const LV2_Feature *const *features)
{
    LV2_Log_Log *log = NULL;
    LV2_URID_Map *map = NULL;
    LV2_Worker_Schedule *schedule = NULL;
    /* urid:map is required in the TTL, but offline lilv tools may give no features: the
     * plugin then loads and stays silent (no MIDI can be read) rather than crash. */
    lv2_features_query(features, LV2_LOG__log, &log, false, LV2_URID__map, &map, false,
                       LV2_WORKER__schedule, &schedule, false, NULL);
    LV2_Log_Logger logger;
    lv2_log_logger_init(&logger, map, log);
    if (!map)
        lv2_log_warning(&logger, "%s: host gave no urid:map: MIDI input ignored\n", desc->URI);
    if (!(rate >= SY_MIN_RATE && rate <= SY_MAX_RATE)) {
        lv2_log_error(&logger, "%s: sample rate %.1f Hz is not supported (%.0f..%.0f Hz)\n", desc->URI, rate,
                      SY_MIN_RATE, SY_MAX_RATE);
        return NULL;
    }
    synth *self = calloc(1, sizeof *self);
    size_t blen = strlen(bundle_path);
    char *bundle = malloc(blen + 2);
    if (!self || !bundle) {
        lv2_log_error(&logger, "%s: out of memory\n", desc->URI);
        free(self);
        free(bundle);
        return NULL;
    }
    snprintf(bundle, blen + 2, "%s%s", bundle_path, (blen && bundle_path[blen - 1] == '/') ? "" : "/");
    self->bundle = bundle;
    self->map = map;
    self->logger = logger;
    self->schedule = schedule;
    self->rate = rate;
    self->xf_len = (uint32_t)lrint(SY_XFADE_S * rate);
    self->kill_len = (uint32_t)lrint(SY_KILL_S * rate);
    if (self->xf_len < 1)
        self->xf_len = 1;
    if (self->kill_len < 1)
        self->kill_len = 1;
    self->level_coef = (float)(1.0 - exp(-1.0 / (SY_LEVEL_TAU * rate)));
    self->req_timbre = -2;
    for (int i = 0; i < 4; i++)
        self->applied[i] = NAN;
    if (map) {
        sw_lv2_map_uris(map, &self->uris.c);
        self->uris.midi_MidiEvent = map->map(map->handle, LV2_MIDI__MidiEvent);
        self->uris.model = map->map(map->handle, SW_SYNTH__model);
        lv2_atom_forge_init(&self->forge, map);
    }

    /* The first shipped timbre in table order (the TTL's default is the same one). */
    char err[512] = "", first_err[512] = "";
    for (int t = 0; t < SW_N_TIMBRES && !self->cur; t++) {
        self->cur = engine_new_timbre(self, t, err, sizeof err);
        if (!self->cur && !first_err[0])
            snprintf(first_err, sizeof first_err, "%s", err);
    }
    if (!self->cur) {
        lv2_log_error(&logger, "%s: no timbre model could be loaded from %s (first error: %s)\n", desc->URI,
                      bundle, first_err);
        free(bundle);
        free(self);
        return NULL;
    }
    publish(self, self->cur);
    return self;
}

/* Audio class. */
static void connect_port(LV2_Handle h, uint32_t port, void *data)
{
    synth *self = h;
    switch (port) {
    case PORT_MIDI_IN: self->midi_in = data; break;
    case PORT_NOTIFY: self->notify = data; break;
    case PORT_OUT_L: self->out[0] = data; break;
    case PORT_OUT_R: self->out[1] = data; break;
    case PORT_TIMBRE: self->timbre = data; break;
    case PORT_HARMONIC: self->harmonic = data; break;
    case PORT_NOISE: self->noise = data; break;
    case PORT_PITCH: self->pitch = data; break;
    case PORT_REVERB: self->reverb = data; break;
    case PORT_LEVEL: self->level_db = data; break;
    default: break;
    }
}

/* Instantiation class: silent, no keys held; the timbre the control asks for is loaded here
 * (synchronously: allowed in this class) unless a user's model file was restored. */
static void activate(LV2_Handle h)
{
    synth *self = h;
    settle_now(self);
    int t = control_timbre(self);
    bool want_timbre = self->cur->timbre >= 0 || self->timbre_reload;
    if (want_timbre && t >= 0 && t != self->cur->timbre) {
        char err[512] = "";
        engine *e = engine_new_timbre(self, t, err, sizeof err);
        if (e)
            install_now(self, e);
        else
            lv2_log_error(&self->logger, "statewave synth: timbre '%s': %s; keeping '%s'\n", sw_timbre_names[t], err,
                          self->cur->path);
    }
    self->req_timbre = t;
    self->timbre_resync = false;
    self->timbre_reload = false;
    memset(self->vel, 0, sizeof self->vel);
    self->sustained[0] = self->sustained[1] = 0;
    self->pedal = false;
    self->bend = 0.0f;
    self->kill_pos = 0;
    replay_state(self, self->cur->syn); /* reset + controls at their targets */
    control_values(self, self->applied);
    self->level = target_level(self);
    self->activated = true;
}

/* Instantiation class. */
static void deactivate(LV2_Handle h)
{
    synth *self = h;
    self->activated = false;
}

/* Audio class. No allocation, locks, logging or I/O. */
static void run(LV2_Handle h, uint32_t n)
{
    synth *self = h;
    const synth_uris *u = &self->uris;
    const bool atoms = self->map != NULL;

    bool can_notify = false;
    LV2_Atom_Forge_Frame seq;
    if (self->notify && atoms) {
        lv2_atom_forge_set_buffer(&self->forge, (uint8_t *)self->notify, self->notify->atom.size);
        can_notify = lv2_atom_forge_sequence_head(&self->forge, &seq, 0) != 0;
    }

    flush_grave(self);
    if (self->pending_report && self->schedule) {
        work_msg m = {WORK_REPORT, self->pending_report, NULL};
        if (self->schedule->schedule_work(self->schedule->handle, sizeof m, &m) == LV2_WORKER_SUCCESS)
            self->pending_report = 0;
    }
    if (!self->next && self->queued) {
        engine *q = self->queued;
        self->queued = NULL;
        begin_transition(self, q);
    }
    check_timbre(self);
    apply_controls(self);

    uint32_t pos = 0;
    if (self->midi_in && atoms) {
        LV2_ATOM_SEQUENCE_FOREACH (self->midi_in, ev) {
            int64_t t = ev->time.frames;
            uint32_t at = t < (int64_t)pos ? pos : t > (int64_t)n ? n : (uint32_t)t;
            render(self, pos, at);
            pos = at;
            if (ev->body.type == u->midi_MidiEvent) {
                if (self->kill_pos) { /* an event during a CC120 fade: finish the clear now */
                    self->kill_pos = 0;
                    sw_synth_reset(self->cur->syn);
                    if (self->next)
                        sw_synth_reset(self->next->syn);
                }
                handle_midi(self, (const uint8_t *)LV2_ATOM_BODY_CONST(&ev->body), ev->body.size);
            } else if (ev->body.type == u->c.atom_Object || ev->body.type == u->c.atom_Blank ||
                       ev->body.type == u->c.atom_Resource) {
                handle_patch(self, (const LV2_Atom_Object *)&ev->body);
            }
        }
    }
    render(self, pos, n);

    if (self->notify && atoms) {
        if (can_notify && self->notify_pending)
            write_notify(self);
        if (can_notify)
            lv2_atom_forge_pop(&self->forge, &seq);
        else
            self->notify->atom.size = 0;
    }
}

/* Instantiation class. */
static void cleanup(LV2_Handle h)
{
    synth *self = h;
    settle_now(self);
    engine_free(self->cur);
    free(self->bundle);
    free(self);
}

/* Worker class. */
static LV2_Worker_Status work(LV2_Handle h, LV2_Worker_Respond_Function respond, LV2_Worker_Respond_Handle rh,
                              uint32_t size, const void *data)
{
    synth *self = h;
    uint32_t type;
    if (size < sizeof type)
        return LV2_WORKER_ERR_UNKNOWN;
    memcpy(&type, data, sizeof type);
    char err[512] = "";
    engine *e = NULL;
    if (type == WORK_LOAD_PATH) {
        work_load msg;
        if (size < offsetof(work_load, path) + 1 || size > sizeof msg)
            return LV2_WORKER_ERR_UNKNOWN;
        memcpy(&msg, data, size);
        msg.path[size - offsetof(work_load, path) - 1] = '\0';
        e = engine_new(self, msg.path, -1, err, sizeof err);
    } else {
        if (size != sizeof(work_msg))
            return LV2_WORKER_ERR_UNKNOWN;
        work_msg m;
        memcpy(&m, data, sizeof m);
        if (m.type == WORK_FREE) {
            engine_free(m.eng);
            return LV2_WORKER_SUCCESS;
        }
        if (m.type == WORK_REPORT) {
            static const char *what[REPORT_N] = {
                "", "model path longer than 1023 bytes; not loaded",
                "patch:Set of the model needs a non-empty atom:Path value",
                "host worker queue full; a model change or free was delayed",
                "the host has no worker (work:schedule): model and timbre changes apply only at activation"};
            lv2_log_error(&self->logger, "statewave synth: %s\n", m.code < REPORT_N ? what[m.code] : "?");
            return LV2_WORKER_SUCCESS;
        }
        if (m.type != WORK_LOAD_TIMBRE)
            return LV2_WORKER_ERR_UNKNOWN;
        e = engine_new_timbre(self, (int)m.code, err, sizeof err);
        if (!e && m.code < SW_N_TIMBRES)
            snprintf(err + strlen(err), sizeof err - strlen(err), " (timbre '%s')", sw_timbre_names[m.code]);
    }
    if (!e)
        lv2_log_error(&self->logger, "statewave synth: %s; keeping the current model\n", err);
    work_msg r = {e ? RESP_INSTALL : RESP_FAILED, 0, e};
    if (respond(rh, sizeof r, &r) != LV2_WORKER_SUCCESS) {
        lv2_log_error(&self->logger, "statewave synth: host worker queue full; model change dropped\n");
        engine_free(e);
    }
    return LV2_WORKER_SUCCESS;
}

/* Audio class (after run()). */
static LV2_Worker_Status work_response(LV2_Handle h, uint32_t size, const void *data)
{
    synth *self = h;
    work_msg m;
    if (size != sizeof m)
        return LV2_WORKER_ERR_UNKNOWN;
    memcpy(&m, data, sizeof m);
    if (m.type == RESP_FAILED) {
        self->notify_pending = true; /* tell the UI which model is still in use */
    } else if (m.type == RESP_INSTALL && m.eng) {
        if (!self->next) {
            begin_transition(self, m.eng);
        } else {
            if (self->queued) /* a newer request supersedes the one waiting */
                retire(self, self->queued);
            self->queued = m.eng;
        }
    }
    return LV2_WORKER_SUCCESS;
}

/* State class: may run concurrently with run(); reads only the published path. The timbre
 * and the other controls are ports (the host saves them); a user's model file is the one
 * extra key, stored as an abstract path (map-path) so the session can move. */
static LV2_State_Status save(LV2_Handle h, LV2_State_Store_Function store, LV2_State_Handle sh, uint32_t flags,
                             const LV2_Feature *const *features)
{
    (void)flags;
    synth *self = h;
    if (!self->map)
        return LV2_STATE_ERR_NO_FEATURE;
    int idx = atomic_load_explicit(&self->pub_idx, memory_order_acquire);
    if (self->pub_timbre[idx] >= 0)
        return LV2_STATE_SUCCESS; /* a shipped timbre: the timbre port says which */
    char path[SY_PATH_MAX];
    memcpy(path, self->pub_path[idx], sizeof path);
    path[sizeof path - 1] = '\0';
    LV2_State_Map_Path *mp = lv2_features_data(features, LV2_STATE__mapPath);
    LV2_State_Free_Path *fp = lv2_features_data(features, LV2_STATE__freePath);
    char *apath = mp ? mp->abstract_path(mp->handle, path) : NULL;
    const char *value = apath ? apath : path;
    LV2_State_Status st = store(sh, self->uris.model, value, strlen(value) + 1, self->uris.c.atom_Path,
                                LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE);
    if (apath) {
        if (fp)
            fp->free_path(fp->handle, apath);
        else
            free(apath);
    }
    return st;
}

/* Instantiation class (never concurrent with run()). With a model-file key: load it (a file
 * that cannot be loaded keeps the current model and is reported on the log). Without: the
 * timbre port decides (at activation, or through the worker if already running). */
static LV2_State_Status restore(LV2_Handle h, LV2_State_Retrieve_Function retrieve, LV2_State_Handle sh,
                                uint32_t flags, const LV2_Feature *const *features)
{
    (void)flags;
    synth *self = h;
    if (!self->map)
        return LV2_STATE_ERR_NO_FEATURE;
    size_t size = 0;
    uint32_t type = 0, vflags = 0;
    const void *value = retrieve(sh, self->uris.model, &size, &type, &vflags);
    const engine *newest = self->queued ? self->queued : self->next ? self->next : self->cur;
    if (!value) {
        if (newest->timbre < 0) /* a user's model is loaded: back to the shipped timbre */
            self->timbre_reload = true;
        return LV2_STATE_SUCCESS;
    }
    const char *s = value;
    if ((type != self->uris.c.atom_Path && type != self->uris.c.atom_String) || size < 2 ||
        strnlen(s, size) == size) {
        lv2_log_error(&self->logger, "statewave synth: state has a malformed model path; keeping '%s'\n",
                      newest->path);
        return LV2_STATE_ERR_BAD_TYPE;
    }
    LV2_State_Map_Path *mp = lv2_features_data(features, LV2_STATE__mapPath);
    LV2_State_Free_Path *fp = lv2_features_data(features, LV2_STATE__freePath);
    char *apath = mp ? mp->absolute_path(mp->handle, s) : NULL;
    const char *want = apath ? apath : s;
    LV2_State_Status st = LV2_STATE_SUCCESS;
    if (strcmp(want, newest->path) != 0) {
        char err[512] = "";
        engine *e = engine_new(self, want, -1, err, sizeof err);
        if (!e) {
            lv2_log_error(&self->logger, "statewave synth: state restore: %s; keeping model '%s'\n", err,
                          newest->path);
            st = LV2_STATE_ERR_UNKNOWN;
        } else if (self->activated && self->schedule) { /* audio may resume right after us: crossfade */
            if (!self->next)
                begin_transition(self, e);
            else {
                engine_free(self->queued); /* not concurrent with run(): free here */
                self->queued = e;
            }
        } else {
            install_now(self, e);
            if (self->activated)
                replay_state(self, e->syn);
        }
    }
    if (st == LV2_STATE_SUCCESS) { /* the user's file wins over the timbre port until it moves */
        self->timbre_resync = true;
        self->timbre_reload = false;
    }
    if (apath) {
        if (fp)
            fp->free_path(fp->handle, apath);
        else
            free(apath);
    }
    return st;
}

/* Discovery class. */
static const void *extension_data(const char *uri)
{
    static const LV2_Worker_Interface worker = {work, work_response, NULL};
    static const LV2_State_Interface state = {save, restore};
    if (!strcmp(uri, LV2_WORKER__interface))
        return &worker;
    if (!strcmp(uri, LV2_STATE__interface))
        return &state;
    return NULL;
}

static const LV2_Descriptor descriptor = {
    SW_SYNTH_URI, instantiate, connect_port, activate, run, deactivate, cleanup, extension_data,
};

const LV2_Descriptor *sw_synth_lv2_descriptor(uint32_t index)
{
    return index == 0 ? &descriptor : NULL;
}
