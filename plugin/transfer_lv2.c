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
 * Model change (timbre control, patch:Set, state restore while running) goes through the
 * plugin base (lv2_base.h): the new engine processes the same input, unheard, for its latency
 * plus 20 ms (its analysis buffers fill and its net state settles), then a 10 ms crossfade.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "lv2_base.h"
#include "synth_lv2.h"

#define TR_SETTLE_S 0.020 /* after its latency, a new engine runs 20 ms unheard */
#define TR_XFADE_S 0.010  /* crossfade old -> new engine */
#define TR_BYPASS_S 0.010 /* bypass ramp */

/* One loaded model, the transfer built on it and the dry path aligned with it. */
typedef struct {
    sw_lv2_engine e; /* model, path, latency (lv2_base.h); first member */
    sw_transfer *tr; /* owned */
    sw_delay *dly;   /* owned: the input delayed by the latency (bypass path) */
} engine;

typedef struct {
    sw_lv2 b;                   /* first member */
    const float *enabled;       /* >= 0.5: processing */
    const float *sound[4];      /* harmonic, noise, pitch, reverb */
    const float *in;            /* [n] may alias out */
    float *out;                 /* [n] */
    float bypass_step;          /* wet-amount change per frame of a bypass ramp */
    float wet;                  /* 0 (bypassed) .. 1 (processing), ramped */
    float wet_buf[SW_LV2_CHUNK], dry_buf[SW_LV2_CHUNK]; /* audio-thread scratch */
} transfer;

static const size_t ports[] = {
    offsetof(transfer, b.control), offsetof(transfer, b.notify), offsetof(transfer, enabled),
    offsetof(transfer, b.timbre), offsetof(transfer, sound[0]), offsetof(transfer, sound[1]),
    offsetof(transfer, sound[2]), offsetof(transfer, sound[3]), offsetof(transfer, b.level_db),
    offsetof(transfer, b.latency_port), offsetof(transfer, in), offsetof(transfer, out),
};

/* Instantiation class. */
static bool init(sw_lv2 *b, const LV2_Descriptor *desc)
{
    (void)desc;
    b->n_out = 2; /* wet, aligned dry */
    b->xf_settle = (uint32_t)(TR_SETTLE_S * b->rate);
    b->xf_len = (uint32_t)(TR_XFADE_S * b->rate);
    ((transfer *)b)->bypass_step = (float)(1.0 / fmax(1.0, TR_BYPASS_S * b->rate));
    return true;
}

/* Worker / instantiation class. */
static void destroy(sw_lv2_engine *be)
{
    engine *e = (engine *)be;
    sw_transfer_destroy(e->tr);
    sw_delay_destroy(e->dly);
}

/* Worker / instantiation class: a transfer on the engine's model and its dry path for this rate. */
static bool build(const sw_lv2 *b, sw_lv2_engine *be, char *err, size_t errlen)
{
    engine *e = (engine *)be;
    char msg[256] = "";
    sw_status s = sw_transfer_create(be->model, b->rate, &e->tr, msg, sizeof msg);
    if (s != SW_OK || !e->tr)
        return sw_lv2_build_failed(be, "a timbre transfer", b->rate, s, msg, err, errlen);
    be->latency = sw_transfer_latency(e->tr);
    if (be->latency < 0 || be->latency > 10 * (int)b->rate) {
        snprintf(err, errlen, "model '%s': implausible latency %d", be->path, be->latency);
        return false;
    }
    if (sw_delay_create(be->latency, &e->dly, err, errlen) != SW_OK)
        return false;
    sw_transfer_warm_up(e->tr); /* first-touch warm-up, then a clean state */
    return true;
}

static const sw_lv2_control ctl[] = SW_INSTRUMENT_CONTROLS(transfer);

/* [RT]: the transfer ramps them. */
static void set_controls(sw_lv2_engine *e, const float v[SW_LV2_NCTL])
{
    sw_transfer *t = ((engine *)e)->tr;
    sw_transfer_set_harmonic_gain(t, v[0]);
    sw_transfer_set_noise_gain(t, v[1]);
    sw_transfer_set_pitch_shift(t, v[2]);
    sw_transfer_set_reverb_mix(t, v[3]);
}

/* [RT]: a clean engine (transfer state and dry path) at the controls v. */
static void reset(sw_lv2 *b, sw_lv2_engine *e, const float v[SW_LV2_NCTL])
{
    (void)b;
    sw_transfer_reset(((engine *)e)->tr);
    sw_delay_reset(((engine *)e)->dly);
    set_controls(e, v);
}

/* [RT]: in[0] -> wet out[0] and aligned dry out[1]. */
static void process(sw_lv2 *b, sw_lv2_engine *be, const float *const *in, float *const *out, uint32_t n)
{
    (void)b;
    engine *e = (engine *)be;
    sw_delay_process(e->dly, in[0], out[1], n);
    sw_transfer_process(e->tr, in[0], out[0], n);
}

/* [RT] */
static bool is_enabled(const transfer *self)
{
    return !self->enabled || *self->enabled >= 0.5f || !(*self->enabled == *self->enabled);
}

/* Instantiation class. */
static void activate(sw_lv2 *b)
{
    transfer *self = (transfer *)b;
    self->wet = is_enabled(self) ? 1.0f : 0.0f;
}

/* [RT]: SW_LV2_CHUNK frames at a time: wet and dry, then bypass and level. */
static void run(sw_lv2 *b, uint32_t n)
{
    transfer *self = (transfer *)b;
    if (!self->in || !self->out)
        return;
    float *wd[2] = {self->wet_buf, self->dry_buf};
    const float tw = is_enabled(self) ? 1.0f : 0.0f, tl = sw_lv2_target_level(b);
    for (uint32_t off = 0; off < n; off += SW_LV2_CHUNK) {
        uint32_t len = n - off < SW_LV2_CHUNK ? n - off : SW_LV2_CHUNK;
        const float *in = self->in + off;
        sw_lv2_render(b, &in, wd, len);
        /* level applies to the instrument's sound only: the bypassed signal is the input as is */
        sw_bypass_mix(self->out + off, self->wet_buf, self->dry_buf, len, &self->wet, tw, self->bypass_step,
                      &b->level, tl, b->level_coef);
    }
}

static const sw_lv2_ops ops = {
    .log_name = "statewave transfer",
    .model_uri = SW_TRANSFER__model,
    SW_INSTRUMENT_OPS,
    SW_LV2_OPS_BY_NAME(transfer),
    SW_LV2_CTL_TABLE,
    .process = process,
    .activate = activate,
};

SW_LV2_FAMILY_OF_ONE(sw_transfer_lv2_descriptor, SW_TRANSFER_URI, ops)
