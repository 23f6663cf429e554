/* generate_lv2.c — the Statewave piano generator (dsp/generate.c) as an LV2 instrument.
 *
 * Ports:
 *   0 midi_in      atom in   MIDI (note on/off, sustain, all notes/sound off) and time:Position
 *   1 out          audio out mono, at the host rate
 *   2 temperature  control   0.5..1.5
 *   3 top_p        control   0.5..1.0
 *   4 seed         control   integer; read when a new phrase starts from silence
 *   5 latch        control   toggle: keep generating with no note held
 *   6 gain         control   dB, ramped (times the latest note-on velocity / 127)
 *   7 transport    control   toggle: also generate while the host transport rolls
 *
 * Behaviour. The instrument is a single "voice" that is either silent (idle: run() writes
 * zeros and computes nothing else) or playing. It starts on a note-on (or when `latch` is
 * switched on, or the transport starts rolling with `transport` on) and keeps playing while
 * its gate is open: any note held (or sustained by the pedal) on any channel, latch on, or
 * transport rolling with `transport` on. When the gate closes it fades out (raised cosine,
 * SW_GEN_FADE_S) and goes idle; if the gate opens again during the fade it fades back in
 * and the phrase goes on. A start from idle resets the generator (sw_generator_reset) and
 * seeds it with the `seed` control, so the same seed and settings give the same audio.
 * Events are handled at their frame within the block.
 *
 * Signal path per playing sample: sw_generator_render at the model's 16 kHz into a small
 * FIFO (only as many samples as the resampler needs for this block), libsamplerate
 * src_process to the host rate (no converter when the host runs at the model rate), then
 * envelope x smoothed gain.
 *
 * Threading classes (LV2 terms) are named on every callback. Everything run() touches —
 * generator state, converter state, FIFO — is allocated in instantiate; run() does no
 * allocation, locking, logging or I/O (sw_generator_render and src_process are RT-safe on
 * a converter made by src_new).
 *
 * The model (<bundle>/generate.safetensors, 12 MB) is loaded in instantiate, shared between
 * instances through model_cache. Loading in instantiate is acceptable for an instrument: it
 * takes tens of milliseconds and happens when the host creates the plugin, never on the audio
 * thread. (There is no model-file property: the generator has one shipped model.)
 */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <samplerate.h>

#include <lv2/atom/atom.h>
#include <lv2/atom/util.h>
#include <lv2/core/lv2.h>
#include <lv2/core/lv2_util.h>
#include <lv2/log/logger.h>
#include <lv2/midi/midi.h>
#include <lv2/time/time.h>
#include <lv2/urid/urid.h>

#include "generate_lv2.h"
#include "model_cache.h"
#include "statewave.h"
#include "uris.h"

enum {
    PORT_MIDI_IN = 0,
    PORT_OUT = 1,
    PORT_TEMPERATURE = 2,
    PORT_TOP_P = 3,
    PORT_SEED = 4,
    PORT_LATCH = 5,
    PORT_GAIN = 6,
    PORT_TRANSPORT = 7
};

#define SW_GEN_MIN_RATE 8000.0
#define SW_GEN_MAX_RATE 192000.0
/* Model-rate samples rendered per sw_generator_render call at most: the FIFO size. run()
 * loops for larger blocks, so this bounds memory, not the host block size. */
#define SW_GEN_CHUNK 512
/* Converter model rate -> host rate, the same as `statewave generate --live`. The model's
 * audio is 8-bit mu-law, so any sinc converter is far cleaner than the signal; the medium
 * one keeps 90% of the 8 kHz band (the fastest 80%) and costs 0.7% of one core for 48 kHz
 * output here (fastest 0.3%, the generator itself about 40%). Its filter delays the sound
 * by about 3 ms. */
#define SW_GEN_SRC_TYPE SRC_SINC_MEDIUM_QUALITY
#define SW_GEN_FADE_S 0.010   /* fade in / fade out of a phrase (raised cosine) */
#define SW_GEN_GAIN_TAU 0.010 /* time constant of the gain smoothing */
#define SW_GEN_SEED_MAX 16777215.0f /* largest integer a float port holds exactly (2^24 - 1) */

/* URIDs mapped once at instantiate. */
typedef struct {
    LV2_URID midi_MidiEvent; /* midi:MidiEvent */
    LV2_URID atom_Object;    /* atom:Object */
    LV2_URID atom_Blank;     /* atom:Blank (older hosts) */
    LV2_URID atom_Float;     /* atom:Float ... */
    LV2_URID atom_Double;    /* ... atom:Double ... */
    LV2_URID atom_Int;       /* ... atom:Int ... */
    LV2_URID atom_Long;      /* ... atom:Long: the types time:speed may come in */
    LV2_URID time_Position;  /* time:Position */
    LV2_URID time_speed;     /* time:speed (0 = stopped, 1 = rolling) */
} gen_uris;

typedef struct {
    /* ports: set by connect_port */
    const LV2_Atom_Sequence *midi_in; /* events in; NULL = not connected */
    float *out;                       /* [block] mono audio out */
    const float *temperature;         /* 0.5..1.5 */
    const float *top_p;               /* 0.5..1 */
    const float *seed;                /* integer in a float */
    const float *latch;               /* >= 0.5: on */
    const float *gain_db;             /* -60..+12 dB */
    const float *transport;           /* >= 0.5: follow the host transport */

    /* host features and configuration (immutable after instantiate) */
    LV2_URID_Map *map;                /* NULL: host gave none; MIDI cannot be read (latch only) */
    LV2_Log_Logger logger;            /* log:log or stderr; instantiate only */
    gen_uris uris;
    double rate;                      /* host sample rate */
    int model_rate;                   /* sw_generator_sample_rate() (16000) */
    double ratio;                     /* rate / model_rate (libsamplerate's src_ratio) */
    uint32_t fade_len;                /* frames of a fade at the host rate, >= 1 */
    float gain_coef;                  /* one-pole coefficient per frame of the gain smoothing */

    /* engine: owned, made in instantiate, used only by run() afterwards */
    const sw_model *model;            /* shared via model_cache; released in cleanup */
    sw_generator *gen;                /* this instance's generator state */
    SRC_STATE *src;                   /* model rate -> host rate; NULL when the rates match */
    float fifo[SW_GEN_CHUNK];         /* [SW_GEN_CHUNK] rendered model-rate samples */
    int fifo_pos;                     /* next unread sample in fifo */
    int fifo_len;                     /* valid samples in fifo */

    /* gate sources (audio thread) */
    uint64_t held[16][2];             /* [channel][key / 64] bits: keys down */
    uint64_t sustained[16][2];        /* [channel][key / 64] bits: released while the pedal was down */
    bool pedal[16];                   /* [channel] sustain pedal (CC 64 >= 64) down */
    bool rolling;                     /* latest time:speed > 0 */

    /* voice (audio thread) */
    bool active;                      /* playing or fading; false = idle, nothing computed */
    uint32_t env_pos;                 /* 0..fade_len: position on the fade curve (fade_len = full level) */
    float gain;                       /* current linear gain (smoothed) */
    float vel_gain;                   /* latest note-on velocity / 127; 1 when started without a note */
    float applied_temp;               /* last values passed to the generator (NAN = never) */
    float applied_top_p;
} generate;

static float ctl(const float *port, float lo, float hi, float fallback)
{
    if (!port)
        return fallback;
    float v = *port;
    if (!(v == v)) /* NaN */
        return fallback;
    return v < lo ? lo : v > hi ? hi : v;
}

/* Real-time: any key down or sustained on any channel. */
static bool notes_down(const generate *self)
{
    uint64_t any = 0;
    for (int c = 0; c < 16; c++)
        any |= self->held[c][0] | self->held[c][1] | self->sustained[c][0] | self->sustained[c][1];
    return any != 0;
}

/* Real-time: the gate (see the top comment). */
static bool gate_open(const generate *self)
{
    return notes_down(self) || ctl(self->latch, 0, 1, 0) >= 0.5f ||
           (self->rolling && ctl(self->transport, 0, 1, 0) >= 0.5f);
}

static float target_gain(const generate *self)
{
    return powf(10.0f, ctl(self->gain_db, -60.0f, 12.0f, 0.0f) / 20.0f) * self->vel_gain;
}

/* Real-time: pass changed sampling controls to the generator. */
static void apply_controls(generate *self)
{
    float t = ctl(self->temperature, 0.5f, 1.5f, 1.0f), p = ctl(self->top_p, 0.5f, 1.0f, 1.0f);
    if (t != self->applied_temp) {
        sw_generator_set_temperature(self->gen, t);
        self->applied_temp = t;
    }
    if (p != self->applied_top_p) {
        sw_generator_set_top_p(self->gen, p);
        self->applied_top_p = p;
    }
}

/* Real-time: a new phrase from silence: fresh generator seeded from the control, fresh
 * converter and FIFO, envelope from 0. */
static void start(generate *self)
{
    float s = ctl(self->seed, 0.0f, SW_GEN_SEED_MAX, 1.0f); /* NaN: the TTL default */
    sw_generator_set_seed(self->gen, (uint64_t)lrintf(s));
    sw_generator_reset(self->gen); /* net state zeroed, RNG rewound to the seed */
    if (self->src)
        src_reset(self->src);
    self->fifo_pos = self->fifo_len = 0;
    self->env_pos = 0;
    self->gain = target_gain(self);
    self->active = true;
}

/* Real-time: the gate may have opened; start a phrase if idle. */
static void gate_changed(generate *self)
{
    if (!self->active && gate_open(self))
        start(self);
}

/* Real-time: n frames of generator audio at the host rate into out[n]. */
static void produce(generate *self, float *out, uint32_t n)
{
    uint32_t done = 0;
    while (done < n) {
        if (self->fifo_pos >= self->fifo_len) {
            /* about as many model samples as the rest of the block needs (the converter
             * also keeps a few in its filter: the loop renders again if it asks for more) */
            double want = ceil((double)(n - done) / self->ratio);
            int k = want < 1.0 ? 1 : want > SW_GEN_CHUNK ? SW_GEN_CHUNK : (int)want;
            sw_generator_render(self->gen, self->fifo, (size_t)k);
            self->fifo_pos = 0;
            self->fifo_len = k;
        }
        int avail = self->fifo_len - self->fifo_pos;
        if (!self->src) { /* host at the model rate: the rendered samples are the output */
            uint32_t m = (uint32_t)avail < n - done ? (uint32_t)avail : n - done;
            memcpy(out + done, self->fifo + self->fifo_pos, m * sizeof(float));
            self->fifo_pos += (int)m;
            done += m;
            continue;
        }
        SRC_DATA d = {
            .data_in = self->fifo + self->fifo_pos, .input_frames = avail,
            .data_out = out + done, .output_frames = (long)(n - done),
            .end_of_input = 0, .src_ratio = self->ratio,
        };
        if (src_process(self->src, &d) != 0 || (d.input_frames_used == 0 && d.output_frames_gen == 0)) {
            /* cannot happen with a valid ratio and non-empty buffers; never spin here */
            memset(out + done, 0, (n - done) * sizeof(float));
            return;
        }
        self->fifo_pos += (int)d.input_frames_used;
        done += (uint32_t)d.output_frames_gen;
    }
}

/* Real-time: frames [from, to) of the output with the gate as it is now. */
static void render(generate *self, uint32_t from, uint32_t to)
{
    if (from >= to || !self->out)
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
    produce(self, out, m);

    const float tg = target_gain(self), a = self->gain_coef;
    const double L = self->fade_len;
    float g = self->gain;
    uint32_t e = self->env_pos;
    for (uint32_t i = 0; i < m; i++) {
        if (open) {
            if (e < self->fade_len)
                e++;
        } else {
            e--; /* m <= env_pos: never below 0 */
        }
        g += a * (tg - g);
        float env = e >= self->fade_len ? 1.0f : (float)(0.5 - 0.5 * cos(M_PI * (double)e / L));
        out[i] *= env * g;
    }
    self->gain = g;
    self->env_pos = e;
    if (m < n)
        memset(out + m, 0, (n - m) * sizeof(float));
    if (!open && e == 0)
        self->active = false; /* silent: idle until the gate opens again */
}

/* Real-time: one MIDI message. */
static void handle_midi(generate *self, const uint8_t *msg, uint32_t size)
{
    if (size < 3)
        return;
    const int ch = msg[0] & 0x0F, key = msg[1] & 0x7F, val = msg[2] & 0x7F;
    const uint64_t bit = 1ull << (key & 63);
    LV2_Midi_Message_Type type = lv2_midi_message_type(msg);
    if (type == LV2_MIDI_MSG_NOTE_ON && val == 0)
        type = LV2_MIDI_MSG_NOTE_OFF; /* note-on with velocity 0 is a note-off */
    switch (type) {
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
}

/* Real-time: time:Position: follow time:speed. */
static void handle_position(generate *self, const LV2_Atom_Object *obj)
{
    const gen_uris *u = &self->uris;
    const LV2_Atom *speed = NULL;
    lv2_atom_object_get(obj, u->time_speed, &speed, 0);
    if (!speed)
        return;
    double v;
    if (speed->type == u->atom_Float)
        v = ((const LV2_Atom_Float *)speed)->body;
    else if (speed->type == u->atom_Double)
        v = ((const LV2_Atom_Double *)speed)->body;
    else if (speed->type == u->atom_Int)
        v = ((const LV2_Atom_Int *)speed)->body;
    else if (speed->type == u->atom_Long)
        v = (double)((const LV2_Atom_Long *)speed)->body;
    else
        return;
    self->rolling = v > 0.0;
}

/* ------------------------------------------------------- LV2 callbacks -- */

/* Instantiation class: run the generator and converter once so that the first block of
 * the first phrase does not pay for first-touch page faults of freshly allocated state
 * (the app measured 5-8x slower first callbacks without this), then reset both. */
static void warm_up(generate *self)
{
    float tmp[1024];
    sw_generator_render(self->gen, self->fifo, SW_GEN_CHUNK);
    if (self->src) {
        SRC_DATA d = {.data_in = self->fifo, .input_frames = SW_GEN_CHUNK, .data_out = tmp,
                      .output_frames = 1024, .end_of_input = 0, .src_ratio = self->ratio};
        src_process(self->src, &d);
        src_reset(self->src);
    }
    sw_generator_reset(self->gen);
    memset(self->fifo, 0, sizeof self->fifo);
}

/* Instantiation class. */
static LV2_Handle instantiate(const LV2_Descriptor *desc, double rate, const char *bundle_path,
                              const LV2_Feature *const *features)
{
    LV2_Log_Log *log = NULL;
    LV2_URID_Map *map = NULL;
    /* urid:map is a required feature in the TTL (MIDI events are typed by URID), but
     * lilv-based offline tools may give no features: the plugin then plays with the latch
     * control only. */
    lv2_features_query(features, LV2_LOG__log, &log, false, LV2_URID__map, &map, false, NULL);
    LV2_Log_Logger logger;
    lv2_log_logger_init(&logger, map, log);
    if (!map)
        lv2_log_warning(&logger, "%s: host gave no urid:map: MIDI input ignored, plays with latch only\n",
                        desc->URI);
    if (!(rate >= SW_GEN_MIN_RATE && rate <= SW_GEN_MAX_RATE)) {
        lv2_log_error(&logger, "%s: sample rate %.1f Hz is not supported (%.0f..%.0f Hz)\n", desc->URI, rate,
                      SW_GEN_MIN_RATE, SW_GEN_MAX_RATE);
        return NULL;
    }

    generate *self = calloc(1, sizeof *self);
    size_t blen = strlen(bundle_path);
    char *path = malloc(blen + sizeof "/" SW_GENERATE_DEFAULT_MODEL);
    if (!self || !path) {
        lv2_log_error(&logger, "%s: out of memory\n", desc->URI);
        free(self);
        free(path);
        return NULL;
    }
    sprintf(path, "%s%s%s", bundle_path, (blen && bundle_path[blen - 1] == '/') ? "" : "/",
            SW_GENERATE_DEFAULT_MODEL);
    self->map = map;
    self->logger = logger;
    self->rate = rate;
    if (map) {
        gen_uris *u = &self->uris;
        u->midi_MidiEvent = map->map(map->handle, LV2_MIDI__MidiEvent);
        u->atom_Object = map->map(map->handle, LV2_ATOM__Object);
        u->atom_Blank = map->map(map->handle, LV2_ATOM__Blank);
        u->atom_Float = map->map(map->handle, LV2_ATOM__Float);
        u->atom_Double = map->map(map->handle, LV2_ATOM__Double);
        u->atom_Int = map->map(map->handle, LV2_ATOM__Int);
        u->atom_Long = map->map(map->handle, LV2_ATOM__Long);
        u->time_Position = map->map(map->handle, LV2_TIME__Position);
        u->time_speed = map->map(map->handle, LV2_TIME__speed);
    }

    char err[512] = "";
    self->model = sw_lv2_model_acquire(path, err, sizeof err);
    if (!self->model) {
        lv2_log_error(&logger, "%s: %s\n", desc->URI, err);
        goto fail;
    }
    char msg[256] = "";
    sw_status s = sw_generator_create(self->model, 0, &self->gen, msg, sizeof msg);
    if (s != SW_OK || !self->gen) {
        lv2_log_error(&logger, "%s: model '%s' cannot run as a generator: %s (%s)\n", desc->URI, path,
                      msg[0] ? msg : "no detail", sw_status_str(s));
        goto fail;
    }
    self->model_rate = sw_generator_sample_rate(self->gen);
    self->ratio = rate / self->model_rate;
    if (rate != (double)self->model_rate) {
        int e = 0;
        if (!src_is_valid_ratio(self->ratio) || !(self->src = src_new(SW_GEN_SRC_TYPE, 1, &e))) {
            lv2_log_error(&logger, "%s: cannot resample %d Hz to %.0f Hz: %s\n", desc->URI, self->model_rate,
                          rate, e ? src_strerror(e) : "ratio out of range");
            goto fail;
        }
    }
    self->fade_len = (uint32_t)lrint(SW_GEN_FADE_S * rate);
    if (self->fade_len < 1)
        self->fade_len = 1;
    self->gain_coef = (float)(1.0 - exp(-1.0 / (SW_GEN_GAIN_TAU * rate)));
    self->vel_gain = 1.0f;
    self->applied_temp = self->applied_top_p = NAN;
    warm_up(self);
    free(path);
    return self;

fail:
    src_delete(self->src);
    sw_generator_destroy(self->gen);
    sw_lv2_model_release(self->model);
    free(path);
    free(self);
    return NULL;
}

/* Audio class (may be called at any time, also while running). */
static void connect_port(LV2_Handle h, uint32_t port, void *data)
{
    generate *self = h;
    switch (port) {
    case PORT_MIDI_IN: self->midi_in = data; break;
    case PORT_OUT: self->out = data; break;
    case PORT_TEMPERATURE: self->temperature = data; break;
    case PORT_TOP_P: self->top_p = data; break;
    case PORT_SEED: self->seed = data; break;
    case PORT_LATCH: self->latch = data; break;
    case PORT_GAIN: self->gain_db = data; break;
    case PORT_TRANSPORT: self->transport = data; break;
    default: break;
    }
}

/* Instantiation class: silent, no notes held, transport unknown (stopped). */
static void activate(LV2_Handle h)
{
    generate *self = h;
    memset(self->held, 0, sizeof self->held);
    memset(self->sustained, 0, sizeof self->sustained);
    memset(self->pedal, 0, sizeof self->pedal);
    self->rolling = false;
    self->active = false;
    self->env_pos = 0;
    self->vel_gain = 1.0f;
}

/* Audio class. No allocation, locks, logging or I/O. */
static void run(LV2_Handle h, uint32_t n)
{
    generate *self = h;
    const gen_uris *u = &self->uris;
    apply_controls(self);
    if (!self->active && gate_open(self)) { /* latch / transport toggled on */
        self->vel_gain = 1.0f;
        start(self);
    }

    uint32_t pos = 0;
    if (self->midi_in && self->map) {
        LV2_ATOM_SEQUENCE_FOREACH (self->midi_in, ev) {
            int64_t t = ev->time.frames;
            uint32_t at = t < (int64_t)pos ? pos : t > (int64_t)n ? n : (uint32_t)t;
            render(self, pos, at);
            pos = at;
            if (ev->body.type == u->midi_MidiEvent) {
                handle_midi(self, (const uint8_t *)LV2_ATOM_BODY_CONST(&ev->body), ev->body.size);
            } else if (ev->body.type == u->atom_Object || ev->body.type == u->atom_Blank) {
                const LV2_Atom_Object *obj = (const LV2_Atom_Object *)&ev->body;
                if (obj->body.otype == u->time_Position) {
                    bool was = self->rolling;
                    handle_position(self, obj);
                    if (self->rolling && !was && !self->active)
                        self->vel_gain = 1.0f;
                }
            }
            gate_changed(self);
        }
    }
    render(self, pos, n);
}

/* Instantiation class. */
static void cleanup(LV2_Handle h)
{
    generate *self = h;
    src_delete(self->src);
    sw_generator_destroy(self->gen);
    sw_lv2_model_release(self->model);
    free(self);
}

/* Discovery class. */
static const void *extension_data(const char *uri)
{
    (void)uri;
    return NULL;
}

static const LV2_Descriptor descriptor = {
    SW_GENERATE_URI, instantiate, connect_port, activate, run, NULL, cleanup, extension_data,
};

const LV2_Descriptor *sw_generate_lv2_descriptor(uint32_t index)
{
    return index == 0 ? &descriptor : NULL;
}
