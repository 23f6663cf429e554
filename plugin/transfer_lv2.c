/* transfer_lv2.c — Statewave timbre transfer (sw_transfer, docs/INSTRUMENT.md) as an LV2
 * effect: a monophonic input (voice, whistle, an instrument) is analysed (YIN f0, loudness,
 * note tracker), drives the instrument's SSM, and comes out played in a learned timbre.
 *
 * Ports:
 *   0 control        atom in   patch:Set / patch:Get of the model-file property
 *   1 notify         atom out  patch:Set replies: the model file now in use
 *   2 enabled        control   lv2:enabled designation: host bypass (crossfade to the
 *                              latency-aligned input, 10 ms)
 *   3 timbre         control   enumeration: index into sw_timbre_names (synth_lv2.h)
 *   4 harmonic_gain  control   linear 0..4
 *   5 noise_gain     control   linear 0..4
 *   6 pitch_shift    control   semitones -24..24
 *   7 reverb_mix     control   0..1
 *   8 level          control   output level, dB -60..+12 (smoothed)
 *   9 latency        control out  sw_transfer_latency() of the engine in use (frames)
 *  10 in, 11 out     audio (mono; out may alias in)
 *
 * Bypass keeps the timeline: the bypassed signal is the input delayed by the reported
 * latency, so a host that compensates latency hears no shift when toggling. The engine keeps
 * running while bypassed so that switching back on is as smooth as switching off.
 *
 * Model change (timbre control, patch:Set of a model file, state restore while running):
 *   worker:         loads the file (model_cache), builds a new sw_transfer + its dry delay line
 *   work_response:  the new engine becomes `next`
 *   run():          `next` processes the same input, unheard, for its latency plus 20 ms (its
 *                   analysis buffers fill and its net state settles), then a 10 ms raised-cosine
 *                   crossfade; `cur` goes to the worker to be freed.
 * Threading classes (LV2 terms) are named on every callback; run() never allocates, locks,
 * logs or does I/O.
 *
 * The engine swap, worker, patch messages, state and control handling are shared with the
 * neural instrument (instrument_common.c); this file has what is the effect's own: the engine
 * (an sw_transfer and its dry delay line), bypass, and the audio path.
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

#include "instrument_common.h"
#include "statewave.h"
#include "synth_lv2.h"
#include "transfer_lv2.h"
#include "uris.h"

enum {
    PORT_CONTROL = 0,
    PORT_NOTIFY = 1,
    PORT_ENABLED = 2,
    PORT_TIMBRE = 3,
    PORT_HARMONIC = 4,
    PORT_NOISE = 5,
    PORT_PITCH = 6,
    PORT_REVERB = 7,
    PORT_LEVEL = 8,
    PORT_LATENCY = 9,
    PORT_IN = 10,
    PORT_OUT = 11
};

#define TR_CHUNK 256          /* frames per sub-block */
#define TR_SETTLE_S 0.020     /* after its latency, a new engine runs 20 ms unheard */
#define TR_XFADE_S 0.010      /* crossfade old -> new engine */
#define TR_BYPASS_S 0.010     /* bypass ramp */

/* One loaded model, the transfer built on it and the dry path aligned with it. */
typedef struct {
    sw_inst_engine c;      /* model, path, timbre (instrument_common.h); first member */
    sw_transfer *tr;       /* owned */
    float *dly;            /* [latency] owned ring: the input delayed by `latency` (bypass path) */
    int latency;           /* sw_transfer_latency(tr), frames at the instance rate */
    int dpos;              /* next slot of dly to read (and then overwrite) */
} engine;

typedef struct {
    sw_inst c;                        /* engines, worker, state, controls, notify (first member) */

    /* ports (the control and notify ports are in c) */
    const LV2_Atom_Sequence *control; /* patch messages in */
    const float *enabled;             /* >= 0.5: processing */
    float *latency;                   /* out */
    const float *in;                  /* [n] may alias out */
    float *out;                       /* [n] */

    /* configuration (immutable after instantiate) */
    float bypass_step;                /* wet-gain change per frame of a bypass ramp */

    /* audio thread while activated */
    uint32_t xf_pos, xf_warm, xf_len; /* frames since `next` started; unheard frames; crossfade */
    float wet;                        /* 0 (bypassed) .. 1 (processing), ramped */

    /* audio-thread scratch [TR_CHUNK] */
    float scr_in[TR_CHUNK];
    float wet_a[TR_CHUNK], dry_a[TR_CHUNK];
    float wet_b[TR_CHUNK], dry_b[TR_CHUNK];
} transfer;

/* ------------------------------------------------------------ engines -- */

/* Non-real-time (instantiation, worker, state). */
static void engine_free(sw_inst_engine *b)
{
    if (!b)
        return;
    engine *e = (engine *)b;
    sw_transfer_destroy(e->tr);
    free(e->dly);
    sw_inst_engine_release(b);
}

/* Non-real-time (instantiation, worker, state): load `path`, build a transfer for this rate.
 * NULL + err on failure. */
static sw_inst_engine *engine_new(const sw_inst *c, const char *path, int timbre, char *err, size_t errlen)
{
    engine *e = (engine *)sw_inst_engine_alloc(sizeof(engine), path, timbre, err, errlen);
    if (!e)
        return NULL;
    char msg[256] = "";
    sw_status s = sw_transfer_create(e->c.model, c->rate, &e->tr, msg, sizeof msg);
    if (s != SW_OK || !e->tr) {
        snprintf(err, errlen, "model '%s' cannot run as a timbre transfer at %.0f Hz: %s (%s)", path, c->rate,
                 msg[0] ? msg : "no detail", sw_status_str(s));
        engine_free(&e->c);
        return NULL;
    }
    e->latency = sw_transfer_latency(e->tr);
    if (e->latency < 0 || e->latency > 10 * (int)c->rate) {
        snprintf(err, errlen, "model '%s': implausible latency %d", path, e->latency);
        engine_free(&e->c);
        return NULL;
    }
    if (e->latency > 0 && !(e->dly = calloc((size_t)e->latency, sizeof(float)))) {
        snprintf(err, errlen, "out of memory");
        engine_free(&e->c);
        return NULL;
    }
    /* first-touch warm-up, then a clean state */
    float tmp[TR_CHUNK];
    for (int i = 0; i < TR_CHUNK; i++)
        tmp[i] = 0.1f * sinf(0.05f * (float)i);
    sw_transfer_process(e->tr, tmp, tmp, TR_CHUNK);
    sw_transfer_reset(e->tr);
    return &e->c;
}

/* Real-time: an engine's wet and aligned-dry outputs for len frames of input. */
static void engine_process(engine *e, const float *in, float *wet, float *dry, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        float x = in[i];
        if (!isfinite(x))
            x = 0.0f; /* the dry path treats non-finite input as silence, as the transfer does */
        if (e->latency > 0) {
            dry[i] = e->dly[e->dpos];
            e->dly[e->dpos] = x;
            if (++e->dpos == e->latency)
                e->dpos = 0;
        } else {
            dry[i] = x;
        }
    }
    sw_transfer_process(e->tr, in, wet, len);
}

/* Real-time: a clean engine (transfer state and dry delay line). */
static void engine_reset(sw_inst_engine *b)
{
    engine *e = (engine *)b;
    sw_transfer_reset(e->tr);
    if (e->dly)
        memset(e->dly, 0, (size_t)e->latency * sizeof(float));
    e->dpos = 0;
}

/* Real-time: the four sound controls into an engine; the transfer ramps them. */
static void set_controls(sw_inst_engine *e, const float v[4])
{
    sw_transfer *t = ((engine *)e)->tr;
    sw_transfer_set_harmonic_gain(t, v[0]);
    sw_transfer_set_noise_gain(t, v[1]);
    sw_transfer_set_pitch_shift(t, v[2]);
    sw_transfer_set_reverb_mix(t, v[3]);
}

/* Real-time. */
static bool is_enabled(const transfer *self)
{
    return !self->enabled || *self->enabled >= 0.5f || !(*self->enabled == *self->enabled);
}

/* Real-time (also instantiation class from restore): `e` warms up unheard, then fades in. */
static void prepare_next(sw_inst *c, sw_inst_engine *b)
{
    transfer *self = (transfer *)c;
    engine *e = (engine *)b;
    float v[4];
    sw_inst_control_values(c, v);
    engine_reset(b);
    set_controls(b, v);
    self->xf_pos = 0;
    self->xf_warm = (uint32_t)e->latency + (uint32_t)(TR_SETTLE_S * c->rate);
    self->xf_len = (uint32_t)(TR_XFADE_S * c->rate);
    if (self->xf_len < 1)
        self->xf_len = 1;
}

/* Instantiation class: an engine installed by a restore while activated starts clean with the
 * controls last applied. */
static void restart(sw_inst *c, sw_inst_engine *e)
{
    engine_reset(e);
    set_controls(e, c->applied);
}

static const sw_inst_ops transfer_ops = {
    "statewave transfer", engine_new, engine_free, prepare_next, set_controls, restart,
};

/* ------------------------------------------------------------ rendering -- */

/* Real-time: up to TR_CHUNK frames from off; returns the frames done. */
static uint32_t process_chunk(transfer *self, uint32_t off, uint32_t n)
{
    uint32_t len = n < TR_CHUNK ? n : TR_CHUNK;
    memcpy(self->scr_in, self->in + off, len * sizeof(float)); /* in may alias out */
    engine_process((engine *)self->c.cur, self->scr_in, self->wet_a, self->dry_a, len);
    bool two = self->c.next != NULL;
    if (two)
        engine_process((engine *)self->c.next, self->scr_in, self->wet_b, self->dry_b, len);
    const float tw = is_enabled(self) ? 1.0f : 0.0f, step = self->bypass_step;
    const float tl = sw_inst_target_level(&self->c), a = self->c.level_coef;
    float w = self->wet, g = self->c.level;
    float *out = self->out + off;
    for (uint32_t i = 0; i < len; i++) {
        float y = self->wet_a[i], d = self->dry_a[i];
        if (two) {
            double p = (double)self->xf_pos + i - self->xf_warm;
            float x = p <= 0 ? 0.0f : p >= self->xf_len ? 1.0f : (float)(0.5 - 0.5 * cos(M_PI * p / self->xf_len));
            y += x * (self->wet_b[i] - y);
            d += x * (self->dry_b[i] - d);
        }
        w = w < tw ? fminf(w + step, tw) : fmaxf(w - step, tw);
        g += a * (tl - g);
        /* level applies to the instrument's sound only: the bypassed signal is the input as is */
        float ws = (float)(0.5 - 0.5 * cos(M_PI * w));
        out[i] = d + ws * (g * y - d);
    }
    self->wet = w;
    self->c.level = g;
    if (two) {
        self->xf_pos += len;
        if (self->xf_pos >= self->xf_warm + self->xf_len)
            sw_inst_finish_transition(&self->c);
    }
    return len;
}

/* ------------------------------------------------------- LV2 callbacks -- */

/* Instantiation class. */
static LV2_Handle instantiate(const LV2_Descriptor *desc, double rate, const char *bundle_path,
                              const LV2_Feature *const *features)
{
    /* urid:map is required in the TTL; offline tools (lv2apply) may give none: the effect then
     * runs with the first shipped timbre, no model messages or state. */
    transfer *self = (transfer *)sw_inst_instantiate(desc, rate, bundle_path, features, sizeof(transfer),
                                                     &transfer_ops, SW_TRANSFER__model, NULL);
    if (!self)
        return NULL;
    self->bypass_step = (float)(1.0 / fmax(1.0, TR_BYPASS_S * rate));
    if (!sw_inst_load_first(&self->c, desc))
        return NULL;
    return self;
}

/* Audio class. */
static void connect_port(LV2_Handle h, uint32_t port, void *data)
{
    transfer *self = h;
    switch (port) {
    case PORT_CONTROL: self->control = data; break;
    case PORT_NOTIFY: self->c.notify = data; break;
    case PORT_ENABLED: self->enabled = data; break;
    case PORT_TIMBRE: self->c.timbre = data; break;
    case PORT_HARMONIC: self->c.harmonic = data; break;
    case PORT_NOISE: self->c.noise = data; break;
    case PORT_PITCH: self->c.pitch = data; break;
    case PORT_REVERB: self->c.reverb = data; break;
    case PORT_LEVEL: self->c.level_db = data; break;
    case PORT_LATENCY: self->latency = data; break;
    case PORT_IN: self->in = data; break;
    case PORT_OUT: self->out = data; break;
    default: break;
    }
}

/* Instantiation class: the control's timbre is loaded here unless a user's file was restored. */
static void activate(LV2_Handle h)
{
    transfer *self = h;
    sw_inst_activate(&self->c);
    engine_reset(self->c.cur);
    sw_inst_control_values(&self->c, self->c.applied);
    set_controls(self->c.cur, self->c.applied);
    self->wet = is_enabled(self) ? 1.0f : 0.0f;
    self->c.level = sw_inst_target_level(&self->c);
    self->c.activated = true;
}

/* Audio class. No allocation, locks, logging or I/O. */
static void run(LV2_Handle h, uint32_t n)
{
    transfer *self = h;
    LV2_Atom_Forge_Frame seq;
    const bool can_notify = sw_inst_run_begin(&self->c, &seq);
    if (self->control && self->c.map) {
        LV2_ATOM_SEQUENCE_FOREACH (self->control, ev)
            sw_inst_handle_atom(&self->c, &ev->body); /* patch:Set / patch:Get */
    }
    sw_inst_run_housekeeping(&self->c);
    if (self->in && self->out) {
        uint32_t done = 0;
        while (done < n)
            done += process_chunk(self, done, n - done);
    }
    if (self->latency)
        *self->latency = (float)((const engine *)self->c.cur)->latency;
    sw_inst_run_end(&self->c, can_notify, &seq);
}

/* Instantiation class: deactivate and cleanup are sw_inst_deactivate and sw_inst_cleanup;
 * worker (work: worker class, work_response: audio class) and state (save: state class,
 * restore: instantiation class) are in instrument_common.c, through sw_inst_extension_data
 * (discovery class). */
static const LV2_Descriptor descriptor = {
    SW_TRANSFER_URI, instantiate, connect_port, activate, run, sw_inst_deactivate, sw_inst_cleanup,
    sw_inst_extension_data,
};

/* Discovery class. */
const LV2_Descriptor *sw_transfer_lv2_descriptor(uint32_t index)
{
    return index == 0 ? &descriptor : NULL;
}
