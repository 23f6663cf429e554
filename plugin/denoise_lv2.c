/* denoise_lv2.c — the Statewave speech denoiser as an LV2 plugin (mono and stereo), on the
 * plugin base (lv2_base.h: engine swap, model property, state, ports).
 *
 * Ports (same indices for both variants; the stereo variant adds the second pair):
 *   0 control  atom in   patch:Set / patch:Get of the model-file property
 *   1 notify   atom out  patch:Set replies: the model file now in use
 *   2 enabled  control   lv2:enabled designation: host bypass (ramps mix to 0, keeps delay)
 *   3 mix      control   wet/dry 0..1
 *   4 limit_db control   attenuation limit 0..100 dB (100 = unlimited)
 *   5 latency  control out  sw_denoiser_latency() of the engine in use
 *   6 in / in_l,  7 out / out_l,  8 in_r,  9 out_r   audio
 *
 * Model swap: the new denoiser processes the same input as the old one, unheard, for its
 * latency plus 20 ms (its FIFOs fill and its recurrent state adapts), then a 10 ms crossfade.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "lv2_base.h"

#define DN_SETTLE_S 0.020 /* after its latency, a new engine runs 20 ms before fading in */
#define DN_XFADE_S 0.010  /* crossfade length old -> new */

typedef struct {
    sw_lv2_engine e; /* model, path, latency (lv2_base.h); first member */
    sw_denoiser *dn; /* owned; built for the instance's rate and channel count */
} engine;

typedef struct {
    sw_lv2 b;                      /* first member */
    const float *enabled;          /* >= 0.5: processing, < 0.5: bypassed */
    const float *mix;              /* [0,1] */
    const float *limit_db;         /* [0,100] */
    const float *in[SW_LV2_IO];    /* [channels] audio in, may alias out */
    float *out[SW_LV2_IO];         /* [channels] audio out */
} denoise;

static const size_t ports[] = {
    offsetof(denoise, b.control), offsetof(denoise, b.notify), offsetof(denoise, enabled),
    offsetof(denoise, mix), offsetof(denoise, limit_db), offsetof(denoise, b.latency_port),
    offsetof(denoise, in[0]), offsetof(denoise, out[0]), offsetof(denoise, in[1]), offsetof(denoise, out[1]),
};

/* Instantiation class: mono or stereo, the swap's timing. */
static bool init(sw_lv2 *b, const LV2_Descriptor *desc)
{
    int channels = strcmp(desc->URI, SW_DENOISE_STEREO_URI) == 0 ? 2 : 1;
    b->n_in = b->n_out = channels;
    b->n_ports = 6 + 2 * (uint32_t)channels;
    b->xf_settle = (uint32_t)(DN_SETTLE_S * b->rate);
    b->xf_len = (uint32_t)(DN_XFADE_S * b->rate);
    return true;
}

/* Worker / instantiation class. */
static void destroy(sw_lv2_engine *e)
{
    sw_denoiser_destroy(((engine *)e)->dn);
}

/* Worker / instantiation class: a denoiser on the engine's model for this rate and channel count. */
static bool build(const sw_lv2 *b, sw_lv2_engine *be, char *err, size_t errlen)
{
    char msg[256] = "";
    sw_denoiser **dn = &((engine *)be)->dn;
    sw_status s = sw_denoiser_create(be->model, b->rate, b->n_in, dn, msg, sizeof msg);
    if (s != SW_OK || !*dn)
        return sw_lv2_build_failed(be, b->n_in == 2 ? "a stereo denoiser" : "a mono denoiser", b->rate, s, msg,
                                   err, errlen);
    be->latency = sw_denoiser_latency(*dn);
    return true;
}

/* [RT]: mix (bypass = mix 0 on the aligned dry path) and attenuation limit. */
static void controls(const sw_lv2 *b, float v[SW_LV2_NCTL])
{
    const denoise *self = (const denoise *)b;
    bool on = !self->enabled || *self->enabled >= 0.5f;
    float m = sw_lv2_ctl(self->mix, 0.0f, 1.0f, 1.0f);
    v[0] = on ? m : 0.0f;
    v[1] = sw_lv2_ctl(self->limit_db, 0.0f, 100.0f, 100.0f);
}

/* [RT]: the engine ramps them. */
static void set_controls(sw_lv2_engine *e, const float v[SW_LV2_NCTL])
{
    sw_denoiser_set_mix(((engine *)e)->dn, v[0]);
    sw_denoiser_set_limit_db(((engine *)e)->dn, v[1]);
}

/* [RT]: fresh FIFOs; parameters jump to the targets. */
static void reset(sw_lv2 *b, sw_lv2_engine *e, const float v[SW_LV2_NCTL])
{
    (void)b;
    set_controls(e, v);
    sw_denoiser_reset(((engine *)e)->dn);
}

/* [RT] */
static void process(sw_lv2 *b, sw_lv2_engine *e, const float *const *in, float *const *out, uint32_t n)
{
    (void)b;
    sw_denoiser_process(((engine *)e)->dn, in, out, n);
}

/* [RT] */
static void run(sw_lv2 *b, uint32_t n)
{
    denoise *self = (denoise *)b;
    for (int c = 0; c < b->n_in; c++)
        if (!self->in[c] || !self->out[c])
            return;
    sw_lv2_render(b, self->in, self->out, n);
}

static const sw_lv2_ops ops = {
    .log_name = "statewave denoise",
    .model_uri = SW_DENOISE__model,
    .no_map_warning = "host gave no urid:map: running with the default model only, no model changes or state",
    .min_rate = SW_DENOISE_MIN_RATE,
    .max_rate = SW_DENOISE_MAX_RATE,
    SW_LV2_DEFAULT_MODEL("denoise"),
    SW_LV2_OPS_BY_NAME(denoise),
    .controls = controls,
    .process = process,
};

static const sw_lv2_desc descriptors[] = {
    SW_LV2_DESCRIPTOR(SW_DENOISE_MONO_URI, ops),
    SW_LV2_DESCRIPTOR(SW_DENOISE_STEREO_URI, ops),
};

/* Discovery class. */
const LV2_Descriptor *sw_denoise_lv2_descriptor(uint32_t index)
{
    return index < sizeof descriptors / sizeof descriptors[0] ? &descriptors[index].lv2 : NULL;
}
