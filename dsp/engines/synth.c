/* synth.c — the polyphonic neural instrument and timbre transfer (docs/INSTRUMENT.md).
 *
 * Per voice: features (8 floats) -> sw_net step at the control rate f_c -> amplitude A,
 * harmonic distribution c_k, noise band magnitudes m_b -> targets at the end of the frame;
 * every parameter ramps linearly across the frame from the previous frame's target, then
 *   harmonic part: the voice's oscillator bank (harmonic.c), f0 updated every <= 32 samples;
 *   noise part:    one shared filtered-noise stream (filtnoise.c), m = sqrt(sum_v m_v^2),
 *                  one FFT pair per hop (H_n = round(sr_h / f_c)) whatever the voice count;
 * mix y = g_h * sum_v harmonic + g_n * noise, then the convolution reverb (reverb.c), mono.
 *
 * Clocks. Everything is sample-clocked, so the output does not depend on how the host cuts the
 * stream into blocks (events sent between blocks apply at that sample). Each voice counts
 * samples from its first note-on; its frame t covers voice samples [n_t, n_{t+1}),
 * n_t = round(t sr_h / f_c) (ties up, as the analysis side), so the fractional control frame
 * length is exact on average. The net for frame t is stepped lazily when sample n_t is about to
 * be rendered (after every event at that sample), the ramp value at sample n of frame t uses
 * alpha = (n + 1 - n_t) / (n_{t+1} - n_t), reaching the target on the frame's last sample.
 * Noise hops are counted from create/reset on the stream clock; the hop starting at p renders
 * the frame centred at p + H_n with each voice's m ramped to that instant (held at the current
 * frame's target if the instant lies beyond it: nothing waits for the future).
 *
 * Transfer. One voice from create/reset, its frames on the stream clock; at each frame start the
 * analysis (yin.c: YIN, loudness, tracker, exactly features.py) runs on the input before that
 * sample and yields the features and f0. Reported latency (INSTRUMENT.md): the analysis buffer's
 * centre (W + tau_max)/2, plus (tau_max - T0)/2 because YIN's d(tau) integrates the oldest W
 * samples of its buffer (T0 = the period at the centre of the model's pitch range; measured in
 * test_synth.c), plus sr/f_c (the ramp's control frame). The input reaches the analysis through a
 * 6th-order Butterworth high-pass at 30 Hz (below the lowest f0 YIN looks for, 50 Hz: -0.01 dB
 * there; -94 dB at 5 Hz), its state started as if the first sample had always been there, so a
 * DC offset gives exactly zero; and a loudness gate: a frame whose high-passed loudness is below
 * -70 dBFS is analysed as digital silence (the very features silence gives). DC, rumble and hum
 * far below hearing therefore play as silence instead of driving the net (sw_audio_features,
 * the training features' mirror, has neither).
 *
 * Voices. Note-on takes a free voice, else steals (released voices first, quietest first, else
 * the oldest held note). A stolen voice's oscillators (swapped, not copied) and its current
 * amplitudes go to a fade slot that ramps them to 0 over 5 ms while the new note starts from
 * silence in the voice, so nothing jumps. A note-on for a sounding note retriggers it (onset and
 * age restart, net state and phases kept). A released voice is freed when A < 1e-4 for 50 ms
 * (through a fade slot too, so even -80 dB does not step) or 4 s after its gate fell.
 *
 * Nyquist. Targets drop harmonics with k f0 >= min(sr_h, sr_t)/2 before the softmax (the
 * contract); on top of that every sub-step renders only harmonics with k f0_sub below that same
 * limit, so a rising f0 (bend, shift, legato in transfer) can never push a partial past the
 * host's Nyquist or the training band while its amplitude ramps down.
 *
 * Controls. Gains and the reverb mix move per sample at 1 per 20 ms (linear, click-free); pitch
 * bend / shift change f0 at the next control frame, whose ramp smooths them. Non-finite
 * controls are ignored; non-finite network outputs count as -inf (silence); the output is
 * finite by construction and a last guard zeroes anything that is not.
 *
 * Real-time. Everything (nets, oscillators, FFT plans, noise, reverb, scratch) is allocated in
 * create; note/control/process/reset functions never allocate, lock or do I/O.
 *
 * Cost (16 voices, 48 kHz, see bench/bench_synth.c): per sample and audible harmonic ~10 float
 * ops on 8 harmonics per vector; per voice and control frame one net step plus ~K+B exp/pow;
 * per noise hop one 2H_n-point FFT pair; reverb ~190 complex MACs per sample when wet. Idle
 * voices cost nothing; a silent reverb input skips its MACs. */
#include "statewave.h"
#include "synth.h"
#include "core.h"
#include "model.h"
#include "harmonic.h"
#include "filtnoise.h"
#include "reverb.h"
#include "yin.h"
#include "kernels.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#define BLK 256                 /* samples mixed per inner iteration (scratch size) */
#define FADE_S 0.005            /* steal / free fade */
#define RAMP_S 0.020            /* seconds for a control to move by 1 */
#define FREE_AMP 1e-4f          /* a released voice under this amplitude ... */
#define FREE_QUIET_S 0.050      /* ... for this long is freed */
#define FREE_MAX_S 4.0          /* a released voice is freed this long after its gate fell */
#define AMP_FLOOR 1e-7f         /* harmonics below this (both ends of a frame) are not rendered */
#define N_FADES 8               /* fade slots */
#define BEND_MAX 48.0f
#define NOISE_SEED 0x51A7E5EEDull
#define VIB_RATE_DEF 5.5        /* Hz: vibrato defaults of a model without "vibrato" */
#define VIB_MAX_DEF 40.0        /* cents (peak) at CC1 = 127 */
#define VIB_DELAY_DEF 0.2       /* s */
#define VIB_RAMP_DEF 0.3        /* s */
#define VIB_SPREAD 0.04         /* voices' rates spread by up to +-4 %, so a chord does not beat in lockstep */
#define LIMIT_PEAK 0.944f        /* -0.5 dBFS: the safety limiter's ceiling */
#define LIMIT_RELEASE_S 0.150   /* its gain recovers with this time constant */
#define REST_FRAMES 25          /* a voice starts from the state after 100 ms of silence (below) */
#define EXPR_FLOOR 0.4f         /* velocity feature at CC11 = 0, as a share of the note's */

/* ------------------------------------------------------------ task_params -- */

static sw_status tp_num(const cJSON *o, const char *key, int required, double def, double lo, double hi,
                        int integer, double *out, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        if (required) return sw_fail(err, errlen, SW_ERR_CONFIG, "synth task_params: missing \"%s\"", key);
        *out = def;
        return SW_OK;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return sw_fail(err, errlen, SW_ERR_CONFIG, "synth task_params: \"%s\" must be a number", key);
    if (integer && v->valuedouble != floor(v->valuedouble))
        return sw_fail(err, errlen, SW_ERR_CONFIG, "synth task_params: \"%s\" must be an integer", key);
    if (v->valuedouble < lo || v->valuedouble > hi)
        return sw_fail(err, errlen, SW_ERR_CONFIG, "synth task_params: \"%s\" = %g outside [%g, %g]",
                       key, v->valuedouble, lo, hi);
    *out = v->valuedouble;
    return SW_OK;
}

sw_status sw_synth_params_parse(const sw_model *model, sw_synth_params *p, char *err, size_t errlen)
{
    if (!model || !p) return sw_fail(err, errlen, SW_ERR_ARG, "synth: NULL model");
    memset(p, 0, sizeof *p);
    if (strcmp(sw_model_task(model), "synth") != 0)
        return sw_fail(err, errlen, SW_ERR_UNSUPPORTED, "synth: model task is \"%s\", need \"synth\"",
                       sw_model_task(model));
    cJSON *o = cJSON_Parse(sw_model_task_params_json(model));
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return sw_fail(err, errlen, SW_ERR_CONFIG, "synth task_params: not a JSON object");
    }
    sw_status st;
    double v;
    if ((st = tp_num(o, "sample_rate", 1, 0, 8000, 192000, 0, &p->sample_rate, err, errlen))) goto out;
    if ((st = tp_num(o, "control_rate", 1, 0, 1, 1e4, 0, &p->control_rate, err, errlen))) goto out;
    if (p->control_rate != SW_SYNTH_CONTROL_RATE) {
        st = sw_fail(err, errlen, SW_ERR_UNSUPPORTED, "synth task_params: \"control_rate\" = %g, only %d Hz is supported",
                     p->control_rate, SW_SYNTH_CONTROL_RATE);
        goto out;
    }
    if ((st = tp_num(o, "n_harmonics", 1, 0, 1, SW_SYNTH_MAX_HARMONICS, 1, &v, err, errlen))) goto out;
    p->n_harmonics = (int)v;
    if ((st = tp_num(o, "n_noise_bands", 1, 0, 2, SW_SYNTH_MAX_BANDS, 1, &v, err, errlen))) goto out;
    p->n_noise_bands = (int)v;
    if ((st = tp_num(o, "features", 0, 1, 1, 1, 1, &v, err, errlen))) {
        st = sw_fail(err, errlen, SW_ERR_UNSUPPORTED, "synth task_params: only \"features\": 1 is supported");
        goto out;
    }
    p->features = 1;
    const cJSON *tb = cJSON_GetObjectItemCaseSensitive(o, "timbre");
    if (tb && (!cJSON_IsString(tb) || strlen(tb->valuestring) >= sizeof p->timbre)) {
        st = sw_fail(err, errlen, SW_ERR_CONFIG, "synth task_params: \"timbre\" must be a string of < %d bytes",
                     (int)sizeof p->timbre);
        goto out;
    }
    snprintf(p->timbre, sizeof p->timbre, "%s", tb ? tb->valuestring : "");
    /* vibrato (optional; without it the natural depth is 0 and the mod wheel still brings one in) */
    const cJSON *vb = cJSON_GetObjectItemCaseSensitive(o, "vibrato");
    if (vb && !cJSON_IsObject(vb)) {
        st = sw_fail(err, errlen, SW_ERR_CONFIG, "synth task_params: \"vibrato\" must be an object");
        goto out;
    }
    if ((st = tp_num(vb, "rate_hz", 0, VIB_RATE_DEF, 1, 12, 0, &p->vib_rate, err, errlen))) goto out;
    if ((st = tp_num(vb, "depth_cents", 0, 0, 0, 100, 0, &p->vib_depth, err, errlen))) goto out;
    if ((st = tp_num(vb, "max_depth_cents", 0, VIB_MAX_DEF, 0, 100, 0, &p->vib_max, err, errlen))) goto out;
    if ((st = tp_num(vb, "delay_s", 0, VIB_DELAY_DEF, 0, 4, 0, &p->vib_delay, err, errlen))) goto out;
    if ((st = tp_num(vb, "ramp_s", 0, VIB_RAMP_DEF, 0, 4, 0, &p->vib_ramp, err, errlen))) goto out;
    if ((st = tp_num(o, "gain_db", 0, 0, -40, 40, 0, &p->gain_db, err, errlen))) goto out;
    p->pitch_lo = 0;
    p->pitch_hi = 127;
    const cJSON *pr = cJSON_GetObjectItemCaseSensitive(o, "pitch_range");
    if (pr) {
        const cJSON *lo = cJSON_GetArrayItem(pr, 0), *hi = cJSON_GetArrayItem(pr, 1);
        if (!cJSON_IsArray(pr) || cJSON_GetArraySize(pr) != 2 || !cJSON_IsNumber(lo) || !cJSON_IsNumber(hi)
            || !(lo->valuedouble >= 0 && hi->valuedouble <= 127 && lo->valuedouble <= hi->valuedouble)) {
            st = sw_fail(err, errlen, SW_ERR_CONFIG, "synth task_params: \"pitch_range\" must be [lo, hi] with 0 <= lo <= hi <= 127");
            goto out;
        }
        p->pitch_lo = (int)lo->valuedouble;
        p->pitch_hi = (int)hi->valuedouble;
    }
    const int d_in = sw_model_d_input(model), d_out = sw_model_d_output(model);
    if (d_in != SW_SYNTH_D_INPUT || d_out != 1 + p->n_harmonics + p->n_noise_bands) {
        st = sw_fail(err, errlen, SW_ERR_CONFIG,
                     "synth: the network maps %d -> %d, task_params need %d -> 1 + n_harmonics + n_noise_bands = %d",
                     d_in, d_out, SW_SYNTH_D_INPUT, 1 + p->n_harmonics + p->n_noise_bands);
        goto out;
    }
    st = SW_OK;
out:
    cJSON_Delete(o);
    return st;
}

/* ----------------------------------------------------------------- voices -- */

typedef struct {
    int active;         /* 1 while sounding (held or decaying) */
    int note;           /* MIDI note (synth) */
    float vel;          /* velocity / 127 of the current note */
    int key_down;       /* key physically down */
    int gate;           /* key down or held by the pedal */
    int had_off;        /* the gate fell at least once since the voice started */
    double on_s, off_s; /* voice time (s) of the last note-on / of the last gate fall */
    uint64_t serial;    /* note-on order (stealing: oldest held note) */
    int64_t n;          /* voice samples rendered so far (next sample to render) */
    int64_t t;          /* current control frame, -1 before the first */
    int64_t b_cur;      /* voice sample where frame t started */
    int64_t b_next;     /* voice sample where frame t + 1 starts */
    int64_t sub_end;    /* end of the oscillators' current sub-step */
    float inv_len;      /* 1 / (b_next - b_cur) */
    double w_cur;       /* rad/sample of the current sub-step (fades keep it) */
    double f0_prev, f0_new; /* Hz, ramp of frame t (double: f0 rounding would drift the phase
                               of high harmonics by k * ulp per sample) */
    float A;            /* amplitude target of frame t */
    int quiet;          /* consecutive released frames with A < FREE_AMP */
    int kk;             /* harmonics with any amplitude this frame */
    int kr;             /* harmonics rendered in the current sub-step (k f0_sub < limit), <= kk */
    float *a_prev;      /* [kp] harmonic amplitudes at the start of frame t */
    float *a_new;       /* [kp] ... at its end (targets) */
    float *da;          /* [kp] a_new - a_prev */
    float *m_prev;      /* [B] noise magnitudes at the start of frame t */
    float *m_new;       /* [B] ... at its end */
    double vib_w;       /* rad/s of this voice's vibrato (the timbre's rate, spread per note-on) */
    float feat[SW_SYNTH_D_INPUT]; /* net input of frame t */
    float *o;           /* [1 + K + B] net output of frame t */
    int pre;            /* the net already stepped for frame t + 1 (in the chunk's batch), into o */
    sw_net *net;        /* owned: this voice's recurrent state */
    sw_osc osc;         /* owned: phasors */
} voice;

typedef struct {
    int active;         /* 1 while fading */
    int len;            /* fade length (samples) */
    int n;              /* samples rendered */
    int sub_left;       /* samples left in the oscillators' current sub-step */
    int kk;             /* harmonics rendered */
    int delay;          /* samples of the current chunk to skip: the fade began inside it */
    double w;           /* rad/sample, fixed */
    float *a;           /* [kp] amplitudes when the fade started */
    float *na;          /* [kp] -a (the ramp's slope per unit alpha) */
    float *m;           /* [B] noise magnitudes when the fade started */
    sw_osc osc;         /* owned (swapped with the voice's at the start of the fade) */
} fade;

/* What synth and transfer share: model shape, output stages and controls. */
typedef struct {
    const sw_model *model;  /* borrowed; outlives us */
    sw_synth_params prm;    /* parsed task_params */
    double sr;              /* host rate */
    int kp;                 /* K rounded up to SW_OSC_LANES */
    int d_out;              /* 1 + K + B */
    float lim_target;       /* min(sr_h, sr_t) / 2: harmonics at or above are dropped from targets */
    float lim_render;       /* no partial at or above this is ever rendered: = lim_target */
    sw_filtnoise noise;     /* owned */
    sw_reverb rev;          /* owned */
    int noise_pos;          /* samples of noise.out already used (hop = a new hop is due) */
    int fade_len;           /* samples, 5 ms */
    float step;             /* control ramp per sample */
    float gh, gh_t;         /* harmonic gain: current, target */
    float gn, gn_t;         /* noise gain */
    float gx, gx_t;         /* expression gain (CC11), on both parts; 1 in transfer */
    float g_out;            /* the timbre's output gain (task_params gain_db), linear */
    int lim_on;             /* safety limiter in use (default) */
    float lim_g;            /* safety limiter gain: 1 while idle */
    float lim_rel;          /* per-sample factor of the limiter's release, exp(-1 / (tau sr)) */
    float mix, mix_t;       /* reverb mix */
    int rev_clean;          /* reverb state is all zero (bypassed since the last reset) */
    float shift;            /* pitch shift (semitones) */
    float *hbuf;            /* [BLK] harmonic sum of the current chunk */
    float *wet;             /* [BLK] reverb output */
    float *al;              /* [SW_OSC_SUBSTEP] ramp positions of a sub-step */
    float *mc;              /* [B] a voice's noise magnitudes at a noise frame's centre */
    int chunk_off;          /* offset in the current chunk of the sample being rendered (fades
                               started by a frame step begin there); 0 between process calls */
} engine;

static float scale_fn(float x)
{
    if (!(x == x)) return AMP_FLOOR;                   /* NaN counts as -inf */
    const float s = 1.0f / (1.0f + expf(-x));
    return 2.0f * powf(s, 2.302585093f) + 1e-7f;
}

static int voice_build(engine *e, voice *v)
{
    memset(v, 0, sizeof *v);
    const size_t kp = (size_t)e->kp, B = (size_t)e->prm.n_noise_bands;
    v->a_prev = sw_calloc_aligned(kp, sizeof(float));
    v->a_new = sw_calloc_aligned(kp, sizeof(float));
    v->da = sw_calloc_aligned(kp, sizeof(float));
    v->m_prev = sw_calloc_aligned(B, sizeof(float));
    v->m_new = sw_calloc_aligned(B, sizeof(float));
    v->o = sw_calloc_aligned((size_t)e->d_out, sizeof(float));
    if (!v->a_prev || !v->a_new || !v->da || !v->m_prev || !v->m_new || !v->o) return -1;
    if (sw_osc_build(&v->osc, e->prm.n_harmonics) != 0) return -1;
    if (sw_net_create(e->model, &v->net, NULL, 0) != SW_OK) return -1;
    return 0;
}

static void voice_free(voice *v)
{
    sw_free(v->a_prev);
    sw_free(v->a_new);
    sw_free(v->da);
    sw_free(v->m_prev);
    sw_free(v->m_new);
    sw_free(v->o);
    sw_osc_free(&v->osc);
    sw_net_destroy(v->net);
    memset(v, 0, sizeof *v);
}

static int fade_build(engine *e, fade *f)
{
    memset(f, 0, sizeof *f);
    f->a = sw_calloc_aligned((size_t)e->kp, sizeof(float));
    f->na = sw_calloc_aligned((size_t)e->kp, sizeof(float));
    f->m = sw_calloc_aligned((size_t)e->prm.n_noise_bands, sizeof(float));
    if (!f->a || !f->na || !f->m) return -1;
    return sw_osc_build(&f->osc, e->prm.n_harmonics);
}

static void fade_free(fade *f)
{
    sw_free(f->a);
    sw_free(f->na);
    sw_free(f->m);
    sw_osc_free(&f->osc);
    memset(f, 0, sizeof *f);
}

/* A voice starts: silent, phase 0, fresh net state, first frame due now. [RT] */
static void voice_start(engine *e, voice *v)
{
    sw_net_reset(v->net);
    sw_osc_reset(&v->osc);
    memset(v->a_prev, 0, sizeof(float) * (size_t)e->kp);
    memset(v->a_new, 0, sizeof(float) * (size_t)e->kp);
    memset(v->da, 0, sizeof(float) * (size_t)e->kp);
    memset(v->m_prev, 0, sizeof(float) * (size_t)e->prm.n_noise_bands);
    memset(v->m_new, 0, sizeof(float) * (size_t)e->prm.n_noise_bands);
    v->active = 1;
    v->pre = 0;
    v->n = 0;
    v->t = -1;
    v->b_cur = v->b_next = v->sub_end = 0;
    v->inv_len = 1.0f;
    v->w_cur = 0.0;
    v->A = 0.0f;
    v->quiet = 0;
    v->kk = v->kr = 0;
    v->had_off = 0;
    v->on_s = v->off_s = 0.0;
}

/* Ramp position of voice sample n in frame t. */
static float alpha_at(const voice *v, int64_t n)
{
    return (float)(n + 1 - v->b_cur) * v->inv_len;
}


/* Frame t of voice v: step the net on v->feat (already filled), decode its outputs into the
 * targets for f0 (Hz), and move the frame clock on by one frame. [RT] */
static void voice_frame(engine *e, voice *v, double f0)
{
    const int K = e->prm.n_harmonics, B = e->prm.n_noise_bands, kp = e->kp;
    v->t++;
    v->b_cur = v->b_next;
    v->b_next = sw_yin_frame_end(e->sr, v->t + 1);
    if (v->b_next <= v->b_cur) v->b_next = v->b_cur + 1;
    v->inv_len = 1.0f / (float)(v->b_next - v->b_cur);
    v->sub_end = v->b_cur;                             /* a new sub-step starts now */

    if (v->pre) v->pre = 0;                            /* stepped with the other voices (synth_batch_step) */
    else sw_net_step(v->net, v->feat, v->o);
    const float *o = v->o;
    if (!(f0 > 0.0) || !isfinite(f0)) f0 = v->t > 0 ? v->f0_new : 440.0;
    v->f0_prev = v->t == 0 ? f0 : v->f0_new;
    v->f0_new = f0;

    float *tmp = v->a_prev;                            /* the old targets become the start */
    v->a_prev = v->a_new;
    v->a_new = tmp;
    tmp = v->m_prev;
    v->m_prev = v->m_new;
    v->m_new = tmp;

    /* A c_k over the harmonics below min(sr_h, sr_t)/2, softmax with the max subtracted */
    const float A = scale_fn(o[0]);
    v->A = A;
    int kept = (int)ceil((double)e->lim_target / (double)f0) - 1;   /* k f0 < lim <=> k <= kept */
    while (kept > 0 && (double)kept * f0 >= (double)e->lim_target) kept--;
    while (kept < K && (double)(kept + 1) * f0 < (double)e->lim_target) kept++;
    if (kept > K) kept = K;
    if (kept < 0) kept = 0;
    float mx = -INFINITY;
    for (int k = 0; k < kept; k++)
        if (o[1 + k] > mx) mx = o[1 + k];               /* NaN never wins */
    double sum = 0.0;
    if (mx > -INFINITY && isfinite(mx)) {
        sum = sw_vexp_sum(v->a_new, o + 1, (size_t)kept, mx, 1.0f);   /* NaN logits get 0 */
    } else if (mx == INFINITY) {                        /* +inf logits share the mass */
        for (int k = 0; k < kept; k++) {
            v->a_new[k] = o[1 + k] == INFINITY ? 1.0f : 0.0f;
            sum += v->a_new[k];
        }
    } else {
        kept = 0;
    }
    const float g = sum > 0.0 ? (float)(A / sum) : 0.0f;
    for (int k = 0; k < kept; k++) v->a_new[k] *= g;
    for (int k = kept; k < kp; k++) v->a_new[k] = 0.0f;
    /* The noise bands' scale_fn in vectors: sigmoid(x)^ln10 = exp(-ln10 softplus(-x)) with the
     * kernels' softplus and exp (relative error a few 1e-7 against expf/powf, which were a
     * fifth of the instrument's time outside the nets); NaN counts as -inf, as in scale_fn. */
    float *m = v->m_new;
    for (int b = 0; b < B; b++) m[b] = 5.0f - o[1 + K + b];
    sw_vsoftplus(m, m, (size_t)B);
    sw_vexp_sum(m, m, (size_t)B, 0.0f, -2.302585093f);
    for (int b = 0; b < B; b++) m[b] = (o[1 + K + b] == o[1 + K + b]) ? 2.0f * m[b] + 1e-7f : AMP_FLOOR;

    /* ramps; a harmonic whose frequency crosses the limit during the frame (f0 moving) is shaped
     * to be silent at the crossing: a rising one fades out by then, a falling one fades in from
     * then, so switching it off/on above the limit (voice_substep) never steps */
    const float lim = e->lim_target;
    int last = 0;
    for (int k = 0; k < kp; k++) {
        v->da[k] = v->a_new[k] - v->a_prev[k];
        const float fp = (float)((k + 1) * v->f0_prev), fn = (float)((k + 1) * v->f0_new);
        if (k < K && fp < lim && fn >= lim) {
            const float ac = (lim - fp) / (fn - fp);               /* (0, 1] */
            v->da[k] = -v->a_prev[k] / ac;
        } else if (k < K && fp >= lim && fn < lim) {
            const float ac = (fp - lim) / (fp - fn);               /* [0, 1) */
            v->a_prev[k] = -v->a_new[k] * ac / (1.0f - ac);
            v->da[k] = v->a_new[k] / (1.0f - ac);
        }
        if (fabsf(v->a_new[k]) > AMP_FLOOR || fabsf(v->a_prev[k]) > AMP_FLOOR) last = k + 1;
    }
    v->kk = last;
}

/* Starts the sub-step at v->n: f0 from the frame's ramp at the sub-step's mean position (exact
 * phase for a linear ramp); only harmonics below the limit at that f0 are rendered in it. */
static void voice_substep(engine *e, voice *v)
{
    int64_t end = v->n + SW_OSC_SUBSTEP;
    if (end > v->b_next) end = v->b_next;
    const int len = (int)(end - v->n);
    const double am = ((double)(v->n + end - 1) * 0.5 + 1.0 - (double)v->b_cur) * (double)v->inv_len;
    const double f0 = v->f0_prev + (v->f0_new - v->f0_prev) * am;
    /* harmonics h with h f0 < limit: h <= ok */
    int ok = (int)ceil((double)e->lim_render / f0) - 1;
    while (ok > 0 && (double)ok * f0 >= (double)e->lim_render) ok--;
    if (ok < 0) ok = 0;
    v->kr = v->kk < ok ? v->kk : ok;
    v->w_cur = 2.0 * M_PI * f0 / e->sr;
    sw_osc_substep(&v->osc, v->w_cur, len, v->kr);
    v->sub_end = end;
}

typedef void (*frame_fn)(void *ctx, voice *v);

/* Renders n samples of voice v, adding into out; frames are stepped (through `on_frame`, which
 * fills the features and calls voice_frame) when their first sample comes up. on_frame may
 * free the voice (then the rest is silence). [RT] */
static void voice_render(engine *e, voice *v, float *out, int n, frame_fn on_frame, void *ctx)
{
    int i = 0;
    while (i < n && v->active) {
        if (v->n == v->b_next) {
            e->chunk_off = i;
            on_frame(ctx, v);
            e->chunk_off = 0;
            if (!v->active) return;
        }
        if (v->n == v->sub_end) voice_substep(e, v);
        int m = (int)(v->sub_end - v->n);
        if (m > n - i) m = n - i;
        if (v->kr > 0) {
            for (int j = 0; j < m; j++) e->al[j] = alpha_at(v, v->n + j);
            sw_osc_render(&v->osc, v->a_prev, v->da, e->al, m, v->kr, out + i);
        }   /* else nothing audible: skip (the next sub-step rebuilds the phasors from the phase) */
        v->n += m;
        i += m;
    }
}

/* The voice's noise magnitudes at voice sample c (a noise frame's centre), held at the frame's
 * target beyond it, into e->mc. */
static void voice_noise_at(engine *e, const voice *v, int64_t c)
{
    float a = (float)(c - v->b_cur) * v->inv_len;       /* ramp value at sample c - 1 */
    if (a > 1.0f) a = 1.0f;
    if (a < 0.0f) a = 0.0f;
    for (int b = 0; b < e->prm.n_noise_bands; b++) e->mc[b] = v->m_prev[b] + (v->m_new[b] - v->m_prev[b]) * a;
}

/* Voice v goes into fade slot f: its current amplitudes and noise, its oscillators (swapped). */
static void fade_from_voice(engine *e, fade *f, voice *v)
{
    const float a = v->t >= 0 ? alpha_at(v, v->n - 1) : 0.0f;   /* value of the last rendered sample */
    const float al = a < 0.0f ? 0.0f : a > 1.0f ? 1.0f : a;
    for (int k = 0; k < e->kp; k++) {
        const float x = k < v->kr ? v->a_prev[k] + v->da[k] * al : 0.0f;   /* what sounds now */
        f->a[k] = x;
        f->na[k] = -x;
    }
    for (int b = 0; b < e->prm.n_noise_bands; b++) f->m[b] = v->m_prev[b] + (v->m_new[b] - v->m_prev[b]) * al;
    sw_osc o = f->osc;
    f->osc = v->osc;
    v->osc = o;
    f->kk = v->kr;
    f->w = v->w_cur;
    f->delay = e->chunk_off;
    f->sub_left = (int)(v->sub_end - v->n);
    f->len = e->fade_len;
    f->n = 0;
    f->active = v->t >= 0;                             /* a voice that never rendered has nothing to fade */
}

static void fade_render(engine *e, fade *f, float *out, int n)
{
    int i = f->delay < n ? f->delay : n;
    f->delay = 0;
    while (i < n && f->active) {
        if (f->sub_left == 0) {
            int len = f->len - f->n < SW_OSC_SUBSTEP ? f->len - f->n : SW_OSC_SUBSTEP;
            sw_osc_substep(&f->osc, f->w, len, f->kk);
            f->sub_left = len;
        }
        int m = f->sub_left;
        if (m > n - i) m = n - i;
        if (m > f->len - f->n) m = f->len - f->n;
        if (f->kk > 0) {
            const float inv = 1.0f / (float)f->len;
            for (int j = 0; j < m; j++) e->al[j] = (float)(f->n + j + 1) * inv;
            sw_osc_render(&f->osc, f->a, f->na, e->al, m, f->kk, out + i);
        }
        f->n += m;
        f->sub_left -= m;
        i += m;
        /* free the slot at once, so slot choice (and the summation order) does not depend on
         * where the host's blocks end */
        if (f->n >= f->len) f->active = 0;
    }
}

/* A free fade slot, else the one closest to its end (its remainder is cut: it is the quietest). */
static fade *fade_slot(fade *fades, int n)
{
    fade *best = &fades[0];
    for (int i = 0; i < n; i++) {
        if (!fades[i].active) return &fades[i];
        if (fades[i].n > best->n) best = &fades[i];
    }
    return best;
}

/* ---------------------------------------------------------------- engine -- */

static void ramp_to(float *cur, float target, float step)
{
    const float d = target - *cur;
    if (d > step) *cur += step;
    else if (d < -step) *cur -= step;
    else *cur = target;
}

static sw_status engine_build(engine *e, const sw_model *model, double sr, char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    sw_status st = sw_synth_params_parse(model, &e->prm, err, errlen);
    if (st != SW_OK) return st;
    if (!(sr >= 8000.0 && sr <= 384000.0))
        return sw_fail(err, errlen, SW_ERR_ARG, "synth: sample rate %g outside [8000, 384000]", sr);
    e->model = model;
    e->sr = sr;
    e->kp = (e->prm.n_harmonics + SW_OSC_LANES - 1) / SW_OSC_LANES * SW_OSC_LANES;
    e->d_out = 1 + e->prm.n_harmonics + e->prm.n_noise_bands;
    e->lim_target = (float)(0.5 * (sr < e->prm.sample_rate ? sr : e->prm.sample_rate));
    e->lim_render = e->lim_target;
    e->fade_len = (int)lround(FADE_S * sr);
    e->step = (float)(1.0 / (RAMP_S * sr));
    e->gh = e->gh_t = 1.0f;
    e->gn = e->gn_t = 1.0f;
    e->gx = e->gx_t = 1.0f;
    e->g_out = (float)pow(10.0, e->prm.gain_db / 20.0);
    e->lim_on = 1;
    e->lim_g = 1.0f;
    e->lim_rel = (float)exp(-1.0 / (LIMIT_RELEASE_S * sr));
    e->mix = e->mix_t = 0.0f;
    e->rev_clean = 1;
    const int hop = (int)lround(sr / SW_SYNTH_CONTROL_RATE);
    e->hbuf = sw_calloc_aligned(BLK, sizeof(float));
    e->wet = sw_calloc_aligned(BLK, sizeof(float));
    e->al = sw_calloc_aligned(SW_OSC_SUBSTEP, sizeof(float));
    e->mc = sw_calloc_aligned((size_t)e->prm.n_noise_bands, sizeof(float));
    if (!e->hbuf || !e->wet || !e->al || !e->mc)
        return sw_fail(err, errlen, SW_ERR_NOMEM, "synth: out of memory");
    if (sw_fn_build(&e->noise, sr, hop, e->prm.sample_rate, e->prm.n_noise_bands, NOISE_SEED) != 0)
        return sw_fail(err, errlen, SW_ERR_NOMEM, "synth: noise generator: out of memory or FFTW planning failed");
    if (sw_reverb_build(&e->rev, sr) != 0)
        return sw_fail(err, errlen, SW_ERR_NOMEM, "synth: reverb: out of memory or FFTW planning failed");
    e->noise_pos = hop;                                /* the first hop is due at sample 0 */
    return SW_OK;
}

static void engine_free(engine *e)
{
    sw_fn_free(&e->noise);
    sw_reverb_free(&e->rev);
    SWI_FREE_EACH(e->hbuf, e->wet, e->al, e->mc);
    memset(e, 0, sizeof *e);
}

static void engine_reset(engine *e)
{
    sw_fn_reset(&e->noise);
    e->noise_pos = e->noise.hop;
    if (!e->rev_clean) sw_reverb_reset(&e->rev);
    e->rev_clean = 1;
    e->gh = e->gh_t;
    e->gn = e->gn_t;
    e->gx = e->gx_t;
    e->lim_g = 1.0f;
    e->mix = e->mix_t;
}

static float clampf(float x, float lo, float hi) { return x < lo ? lo : x > hi ? hi : x; }

static void set_gain(float *target, float g)
{
    if (isnan(g)) return;
    *target = clampf(g, 0.0f, 4.0f);
}

/* Safety limiter on the output: no sample leaves above LIMIT_PEAK. The gain drops at once to
 * what a peak needs (no look-ahead, so no latency) and recovers over LIMIT_RELEASE_S. While
 * nothing reaches the ceiling the gain stays exactly 1 and the signal passes untouched; with
 * 16 voices of fortissimo chords it is what keeps the sum from clipping. [RT] */
static void limit(engine *e, float *out, int n)
{
    float g = e->lim_g;
    for (int i = 0; i < n; i++) {
        g = 1.0f - (1.0f - g) * e->lim_rel;
        const float a = fabsf(out[i]);
        if (a * g > LIMIT_PEAK) g = LIMIT_PEAK / a;
        out[i] *= g;
    }
    e->lim_g = g;
}

/* out[n] = g_h * hbuf + g_n * noise (from noise.out at noise_pos), then the reverb; advances
 * noise_pos. n <= BLK and within the current noise hop. */
static void engine_mix(engine *e, float *out, int n)
{
    const float *nz = e->noise.out + e->noise_pos;
    for (int i = 0; i < n; i++) {
        ramp_to(&e->gh, e->gh_t, e->step);
        ramp_to(&e->gn, e->gn_t, e->step);
        ramp_to(&e->gx, e->gx_t, e->step);
        out[i] = e->gx * (e->gh * e->hbuf[i] + e->gn * nz[i]);
    }
    e->noise_pos += n;
    if (e->mix == 0.0f && e->mix_t == 0.0f) {
        /* bypass; the reverb's state was cleared when it was last bypassed or reset */
    } else {
        if (e->rev_clean) e->rev_clean = 0;
        sw_reverb_process(&e->rev, out, e->wet, n);
        for (int i = 0; i < n; i++) {
            ramp_to(&e->mix, e->mix_t, e->step);
            out[i] += e->mix * (e->wet[i] - out[i]);
        }
        if (e->mix == 0.0f && e->mix_t == 0.0f) {
            sw_reverb_reset(&e->rev);                  /* back to bypass: the next use starts silent */
            e->rev_clean = 1;
        }
    }
    for (int i = 0; i < n; i++)
        if (!isfinite(out[i])) out[i] = 0.0f;
    if (e->g_out != 1.0f)
        for (int i = 0; i < n; i++) out[i] *= e->g_out;
    if (e->lim_on) limit(e, out, n);
}

/* ------------------------------------------------------------------ synth -- */

struct sw_synth {
    engine e;               /* owned stages and controls */
    int n_voices;           /* voices in v[] */
    voice *v;               /* [n_voices] */
    fade fades[N_FADES];    /* steal / free fades */
    int sustain;            /* pedal down */
    float bend;             /* pitch bend (semitones) */
    float mod;              /* mod wheel (CC1), 0..1: vibrato depth from natural to max */
    float expr;             /* expression (CC11), 0..1: dynamics (velocity feature and gain) */
    float pressure;         /* channel aftertouch, 0..1: dynamics above the played velocity */
    float vib_amount;       /* vibrato scale, 0 (straight tone) .. 2; 1 = the timbre's own */
    uint64_t serial;        /* note-on counter */
    int quiet_frames;       /* released frames under FREE_AMP before a voice is freed */
    swi_batch *batch;       /* owned: scratch to step the voices' nets as one batch */
    sw_net **b_net;         /* [n_voices] the batch's nets, inputs and outputs (owned) */
    const float **b_in;
    float **b_out;
    float *rest;            /* [128][state_floats] each note's rest state (owned) */
    float *rest_mix;        /* [state_floats] a rest state between two notes (owned) */
    uint64_t rest_t;        /* frame clock that goes with a rest state */
};

static void voice_to_fade(sw_synth *s, voice *v)
{
    fade *f = fade_slot(s->fades, N_FADES);
    fade_from_voice(&s->e, f, v);
    v->active = 0;
}

/* Vibrato of voice v at t_on s after its note-on (semitones): a sine of the voice's rate whose
 * depth (peak) goes from 0 at delay_s to full over ramp_s. Full depth = amount * (natural depth,
 * moved towards max_depth by the mod wheel). Like a bend, it moves the pitch feature and the
 * oscillators together, as the training phrases' vibrato did. */
static double vibrato_semitones(const sw_synth *s, const voice *v, double t_on)
{
    const sw_synth_params *p = &s->e.prm;
    const double depth = (double)s->vib_amount * (p->vib_depth + (double)s->mod * (p->vib_max - p->vib_depth));
    const double t = t_on - p->vib_delay;
    if (depth <= 0.0 || t <= 0.0) return 0.0;
    const double g = p->vib_ramp > 0.0 && t < p->vib_ramp ? t / p->vib_ramp : 1.0;
    return 0.01 * depth * g * sin(v->vib_w * t);
}

/* Velocity feature of voice v: the note's velocity, scaled down by expression (CC11) towards
 * EXPR_FLOOR of itself, then raised by channel pressure halfway to 1 at full pressure. The net
 * learned velocity as both level and brightness, so dynamics change both. */
static float dynamics(const sw_synth *s, const voice *v)
{
    float x = v->vel * (EXPR_FLOOR + (1.0f - EXPR_FLOOR) * s->expr);
    return x + (1.0f - x) * 0.5f * s->pressure;
}

/* The features of voice v's next frame (t + 1) into v->feat; returns the frame's pitch
 * (semitones). They depend on the voice's note and the controls, which change only between
 * process calls, and on the frame's time, so computing them ahead within a call (the batch
 * step) gives the very floats the frame itself computes. [RT] */
static double midi_features(sw_synth *s, voice *v)
{
    engine *e = &s->e;
    const int64_t t = v->t + 1;
    const double now = (double)t / SW_SYNTH_CONTROL_RATE;
    double t_on = now - v->on_s;
    if (t_on < 0.0) t_on = 0.0;
    const double p = (double)v->note + (double)s->bend + (double)e->shift + vibrato_semitones(s, v, t_on);
    float *f = v->feat;
    f[0] = (float)((p - 60.0) / 24.0);
    f[1] = s->expr == 1.0f && s->pressure == 0.0f ? v->vel : dynamics(s, v);
    f[2] = (float)v->gate;
    f[3] = (float)exp(-t_on / 0.05);
    f[4] = 0.0f;
    if (v->had_off && !v->gate) {
        double t_off = now - v->off_s;
        if (t_off < 0.0) t_off = 0.0;
        f[4] = (float)exp(-t_off / 0.25);
    }
    f[5] = (float)((t_on < 4.0 ? t_on : 4.0) / 4.0);
    f[6] = 0.0f;
    f[7] = 0.0f;
    return p;
}

static void midi_frame(void *ctx, voice *v)
{
    sw_synth *s = ctx;
    engine *e = &s->e;
    const double p = midi_features(s, v);
    const double now = (double)(v->t + 1) / SW_SYNTH_CONTROL_RATE;
    voice_frame(e, v, 440.0 * pow(2.0, (p - 69.0) / 12.0));
    if (!v->gate) {
        v->quiet = v->A < FREE_AMP ? v->quiet + 1 : 0;
        if (v->quiet >= s->quiet_frames || now - v->off_s >= FREE_MAX_S) voice_to_fade(s, v);
    }
}

/* The state a voice starts a note from: the net run from zero for REST_FRAMES frames of the
 * features before a note (all 0 but the pitch, the note's), as a note that follows a rest sees it
 * in training. Training crops start anywhere in a phrase, often inside a sounding note, so from
 * the all-zero state the net plays at full level at once; after a rest it shapes the attack.
 * Uses voice 0's net, then resets it. Not RT. */
static int build_rest_states(sw_synth *s)
{
    sw_net *net = s->v[0].net;
    const size_t sf = swi_net_state_floats(net);
    s->rest = sw_alloc_aligned(128 * (sf ? sf : 1), sizeof(float));
    s->rest_mix = sw_alloc_aligned(sf ? sf : 1, sizeof(float));
    if (!s->rest || !s->rest_mix) return -1;
    float feat[SW_SYNTH_D_INPUT] = {0}, *o = s->v[0].o;
    for (int note = 0; note < 128; note++) {
        sw_net_reset(net);
        feat[0] = (float)((note - 60.0) / 24.0);
        for (int k = 0; k < REST_FRAMES; k++) sw_net_step(net, feat, o);
        swi_net_save_state(net, s->rest + (size_t)note * sf, &s->rest_t);
    }
    sw_net_reset(net);
    return 0;
}

/* Voice v's net at the rest state of pitch p (semitones, bend and shift included, as the pitch
 * feature has it): linear between the rest states of the two MIDI notes around p, so a bent
 * note starts exactly as the note it is bent to. [RT] */
static void load_rest_state(sw_synth *s, voice *v, double p)
{
    const size_t sf = swi_net_state_floats(v->net);
    p = p < 0.0 ? 0.0 : p > 127.0 ? 127.0 : p;
    const int i = p >= 127.0 ? 126 : (int)p;
    const float f = (float)(p - (double)i);
    const float *a = s->rest + (size_t)i * sf, *b = a + sf;
    float *st = s->rest_mix;
    if (f == 0.0f) memcpy(st, a, sf * sizeof(float));
    else for (size_t k = 0; k < sf; k++) st[k] = a[k] + f * (b[k] - a[k]);
    swi_net_load_state(v->net, st, s->rest_t);
}

sw_status sw_synth_create(const sw_model *model, double sample_rate, int voices,
                          sw_synth **out, char *err, size_t errlen)
{
    if (out) *out = NULL;
    if (!model || !out) return sw_fail(err, errlen, SW_ERR_ARG, "synth: NULL model or out");
    if (voices < 1 || voices > SW_SYNTH_MAX_VOICES)
        return sw_fail(err, errlen, SW_ERR_ARG, "synth: %d voices, need 1..%d", voices, SW_SYNTH_MAX_VOICES);
    sw_synth *s = calloc(1, sizeof *s);
    if (!s) return sw_fail(err, errlen, SW_ERR_NOMEM, "synth: out of memory");
    sw_status st = engine_build(&s->e, model, sample_rate, err, errlen);
    if (st != SW_OK) {
        engine_free(&s->e);
        free(s);
        return st;
    }
    s->n_voices = voices;
    s->v = calloc((size_t)voices, sizeof *s->v);
    int ok = s->v != NULL;
    for (int i = 0; ok && i < voices; i++) ok = voice_build(&s->e, &s->v[i]) == 0;
    for (int i = 0; ok && i < N_FADES; i++) ok = fade_build(&s->e, &s->fades[i]) == 0;
    if (ok) {
        s->batch = swi_batch_create(model, voices);
        s->b_net = calloc((size_t)voices, sizeof *s->b_net);
        s->b_in = calloc((size_t)voices, sizeof *s->b_in);
        s->b_out = calloc((size_t)voices, sizeof *s->b_out);
        ok = s->batch && s->b_net && s->b_in && s->b_out;
    }
    if (!ok) {
        sw_synth_destroy(s);
        return sw_fail(err, errlen, SW_ERR_NOMEM, "synth: out of memory (voices)");
    }
    s->quiet_frames = (int)ceil(FREE_QUIET_S * SW_SYNTH_CONTROL_RATE - 1e-9);
    if (build_rest_states(s) != 0) {
        sw_synth_destroy(s);
        return sw_fail(err, errlen, SW_ERR_NOMEM, "synth: out of memory (rest states)");
    }
    s->expr = 1.0f;
    s->vib_amount = 1.0f;
    *out = s;
    return SW_OK;
}

void sw_synth_destroy(sw_synth *s)
{
    if (!s) return;
    if (s->v)
        for (int i = 0; i < s->n_voices; i++) voice_free(&s->v[i]);
    free(s->v);
    swi_batch_free(s->batch);
    free(s->b_net);
    free(s->b_in);
    free(s->b_out);
    for (int i = 0; i < N_FADES; i++) fade_free(&s->fades[i]);
    sw_free(s->rest);
    sw_free(s->rest_mix);
    engine_free(&s->e);
    free(s);
}

const char *sw_synth_timbre(const sw_synth *s) { return s ? s->e.prm.timbre : ""; }

int sw_synth_active_voices(const sw_synth *s)
{
    if (!s) return 0;
    int n = 0;
    for (int i = 0; i < s->n_voices; i++) n += s->v[i].active;
    return n;
}

/* The gate falls now (voice time). */
static void release(sw_synth *s, voice *v)
{
    if (!v->gate) return;
    v->gate = 0;
    v->had_off = 1;
    v->off_s = (double)v->n / s->e.sr;
    v->quiet = 0;
}

void sw_synth_note_on(sw_synth *s, int note, int velocity)
{
    if (!s || note < 0 || note > 127) return;
    if (velocity <= 0) {
        sw_synth_note_off(s, note);
        return;
    }
    if (velocity > 127) velocity = 127;
    voice *v = NULL;
    for (int i = 0; i < s->n_voices; i++)
        if (s->v[i].active && s->v[i].note == note) { v = &s->v[i]; break; }
    if (v) {                                           /* retrigger: onset reset, state kept */
        v->on_s = (double)v->n / s->e.sr;
    } else {
        for (int i = 0; i < s->n_voices && !v; i++)
            if (!s->v[i].active) v = &s->v[i];
        if (!v) {
            /* steal: a released voice (quietest first), else the oldest held note */
            for (int i = 0; i < s->n_voices; i++) {
                voice *c = &s->v[i];
                if (!c->gate && (!v || c->A < v->A)) v = c;
            }
            if (!v)
                for (int i = 0; i < s->n_voices; i++)
                    if (!v || s->v[i].serial < v->serial) v = &s->v[i];
            voice_to_fade(s, v);
        }
        voice_start(&s->e, v);
        load_rest_state(s, v, (double)note + (double)s->bend + (double)s->e.shift);
        v->on_s = 0.0;
        /* the rate's spread: a fixed hash of the note-on count, so a render is reproducible */
        const uint32_t h = (uint32_t)((s->serial + 1) * 2654435761u);
        const double u = (double)(h >> 8) / (double)(1u << 24) * 2.0 - 1.0;
        v->vib_w = 2.0 * M_PI * s->e.prm.vib_rate * (1.0 + VIB_SPREAD * u);
    }
    v->note = note;
    v->vel = (float)velocity / 127.0f;
    v->key_down = 1;
    v->gate = 1;
    v->quiet = 0;
    v->serial = ++s->serial;
}

void sw_synth_note_off(sw_synth *s, int note)
{
    if (!s) return;
    for (int i = 0; i < s->n_voices; i++) {
        voice *v = &s->v[i];
        if (!v->active || v->note != note || !v->key_down) continue;
        v->key_down = 0;
        if (!s->sustain) release(s, v);
    }
}

void sw_synth_sustain(sw_synth *s, int on)
{
    if (!s) return;
    s->sustain = on != 0;
    if (s->sustain) return;
    for (int i = 0; i < s->n_voices; i++) {
        voice *v = &s->v[i];
        if (v->active && v->gate && !v->key_down) release(s, v);
    }
}

void sw_synth_pitch_bend(sw_synth *s, float semitones)
{
    if (!s || isnan(semitones)) return;
    s->bend = clampf(semitones, -BEND_MAX, BEND_MAX);
}

void sw_synth_mod_wheel(sw_synth *s, float amount)
{
    if (!s || isnan(amount)) return;
    s->mod = clampf(amount, 0.0f, 1.0f);
}

void sw_synth_expression(sw_synth *s, float amount)
{
    if (!s || isnan(amount)) return;
    s->expr = clampf(amount, 0.0f, 1.0f);
    s->e.gx_t = s->expr;
}

void sw_synth_pressure(sw_synth *s, float amount)
{
    if (!s || isnan(amount)) return;
    s->pressure = clampf(amount, 0.0f, 1.0f);
}

void sw_synth_reset_controllers(sw_synth *s)
{
    if (!s) return;
    sw_synth_pitch_bend(s, 0.0f);
    sw_synth_mod_wheel(s, 0.0f);
    sw_synth_expression(s, 1.0f);
    sw_synth_pressure(s, 0.0f);
}

void sw_synth_set_limiter(sw_synth *s, int on)
{
    if (!s) return;
    s->e.lim_on = on != 0;
    s->e.lim_g = 1.0f;
}

void sw_synth_set_vibrato(sw_synth *s, float amount)
{
    if (!s || isnan(amount)) return;
    s->vib_amount = clampf(amount, 0.0f, 2.0f);
}

void sw_synth_all_notes_off(sw_synth *s)
{
    if (!s) return;
    s->sustain = 0;
    for (int i = 0; i < s->n_voices; i++) {
        voice *v = &s->v[i];
        v->key_down = 0;
        if (v->active && v->gate) release(s, v);
    }
}

void sw_synth_reset(sw_synth *s)
{
    if (!s) return;
    for (int i = 0; i < s->n_voices; i++) {
        s->v[i].active = 0;
        s->v[i].gate = s->v[i].key_down = 0;
    }
    for (int i = 0; i < N_FADES; i++) s->fades[i].active = 0;
    s->sustain = 0;
    s->serial = 0;          /* so a reset synth plays exactly as a new one (vibrato spread) */
    engine_reset(&s->e);
}

void sw_synth_set_harmonic_gain(sw_synth *s, float gain) { if (s) set_gain(&s->e.gh_t, gain); }
void sw_synth_set_noise_gain(sw_synth *s, float gain) { if (s) set_gain(&s->e.gn_t, gain); }

void sw_synth_set_pitch_shift(sw_synth *s, float semitones)
{
    if (!s || isnan(semitones)) return;
    s->e.shift = clampf(semitones, -24.0f, 24.0f);
}

void sw_synth_set_reverb_mix(sw_synth *s, float mix)
{
    if (!s || isnan(mix)) return;
    s->e.mix_t = clampf(mix, 0.0f, 1.0f);
}

sw_status sw_synth_set_reverb_ir(sw_synth *s, const float *ir, size_t n, double ir_rate, char *err, size_t errlen)
{
    if (!s || !ir) return sw_fail(err, errlen, SW_ERR_ARG, "synth: NULL synth or impulse response");
    if (sw_reverb_set_ir(&s->e.rev, ir, n, ir_rate) != 0)
        return sw_fail(err, errlen, SW_ERR_ARG,
                       "synth: impulse response rejected (empty, silent, non-finite, longer than %g s, rate outside "
                       "1000..1e6 Hz, or out of memory)", SW_REVERB_MAX_SECONDS);
    s->e.rev_clean = 1;
    return SW_OK;
}

/* The noise hop at the current position: every sounding voice's (and fade's) magnitudes at
 * the frame's centre. Voices whose frame starts exactly here are stepped first. */
static void synth_noise_hop(sw_synth *s)
{
    engine *e = &s->e;
    const int H = e->noise.hop;
    sw_fn_begin(&e->noise);
    for (int i = 0; i < s->n_voices; i++) {
        voice *v = &s->v[i];
        if (!v->active) continue;
        if (v->n == v->b_next) {
            midi_frame(s, v);
            if (!v->active) continue;
        }
        voice_noise_at(e, v, v->n + H);
        sw_fn_add(&e->noise, e->mc, 1.0f);
    }
    for (int i = 0; i < N_FADES; i++) {
        fade *f = &s->fades[i];
        if (!f->active) continue;
        float g = 1.0f - (float)(f->n + H) / (float)f->len;
        if (g > 0.0f) sw_fn_add(&e->noise, f->m, g);
    }
    sw_fn_hop(&e->noise);
    e->noise_pos = 0;
}

/* Every voice whose next frame starts within the next n samples has its net stepped now, all
 * of them as one batch (swi_net_step_batch: each net gets exactly the floats of its own step,
 * with the weights read once for the batch instead of once per voice); voice_frame then uses
 * the output. Only the first frame of each voice in the chunk is taken: a second one needs the
 * first's state, and steps alone when it comes. [RT] */
static void synth_batch_step(sw_synth *s, int n)
{
    int k = 0;
    for (int i = 0; i < s->n_voices; i++) {
        voice *v = &s->v[i];
        if (!v->active || v->pre || v->b_next >= v->n + n) continue;
        midi_features(s, v);
        s->b_net[k] = v->net;
        s->b_in[k] = v->feat;
        s->b_out[k] = v->o;
        v->pre = 1;
        k++;
    }
    if (k > 1) swi_net_step_batch(s->batch, s->b_net, s->b_in, s->b_out, k);
    else if (k == 1) sw_net_step(s->b_net[0], s->b_in[0], s->b_out[0]);
}

void sw_synth_process(sw_synth *s, float *out, size_t frames)
{
    if (!s || !out) return;
    engine *e = &s->e;
    sw_fpenv env;
    sw_fpenv_enter(&env);
    size_t done = 0;
    /* Every voice whose next frame falls in this call steps now, all in one batch (the features
     * ahead of time are the very floats the frame computes, midi_features); the chunks below
     * batch only the voices due within one noise hop, which split 16 voices into small batches
     * and single steps. A second frame of a voice in the same call is caught by the chunks. */
    synth_batch_step(s, frames < (size_t)INT_MAX ? (int)frames : INT_MAX);
    while (done < frames) {
        if (e->noise_pos >= e->noise.hop) synth_noise_hop(s);
        int n = e->noise.hop - e->noise_pos;
        if ((size_t)n > frames - done) n = (int)(frames - done);
        if (n > BLK) n = BLK;
        memset(e->hbuf, 0, sizeof(float) * (size_t)n);
        synth_batch_step(s, n);
        for (int i = 0; i < s->n_voices; i++)
            if (s->v[i].active) voice_render(e, &s->v[i], e->hbuf, n, midi_frame, s);
        for (int i = 0; i < N_FADES; i++)
            if (s->fades[i].active) fade_render(e, &s->fades[i], e->hbuf, n);
        engine_mix(e, out + done, n);
        done += (size_t)n;
    }
    sw_fpenv_leave(&env);
}

/* --------------------------------------------------------------- transfer -- */

/* ------------------------------------------------------- octave guard -- */

/* Transfer only (docs/INSTRUMENT.md): YIN slips by an octave now and then (a period doubled or
 * halved on a weak fundamental, most on low speech), and a slip becomes a played octave jump and
 * a spurious note-on. The guard compares each voiced frame's pitch with the median of the last
 * OG_HIST accepted ones: a frame an octave or two away (within OG_TOL semitones) is taken back to
 * the running octave, for at most OG_CONFIRM frames in a row; a jump that lasts longer is a real
 * leap and is followed (so a sung octave leap sounds OG_CONFIRM frames late). After OG_FORGET
 * unvoiced frames the history is dropped: a new phrase may start in any register. Fixed-size
 * state, no allocation. [RT] */
#define OG_HIST 25        /* frames of voiced history (100 ms) */
#define OG_MIN 8          /* history needed before the guard acts */
#define OG_TOL 2.5        /* semitones around 12 or 24 */
#define OG_CONFIRM 12     /* frames (48 ms) an octave jump must last to be followed */
#define OG_FORGET 50      /* unvoiced frames (200 ms) that end a phrase */

typedef struct {
    double hist[OG_HIST]; /* [OG_HIST] accepted pitches (semitones), a ring */
    int n, w;             /* entries held, next write index */
    int pending;          /* frames in a row taken back so far */
    int unvoiced;         /* unvoiced frames in a row */
} octave_guard;

static double og_median(const octave_guard *g)
{
    double v[OG_HIST];
    memcpy(v, g->hist, sizeof(double) * (size_t)g->n);
    for (int i = 1; i < g->n; i++)            /* insertion sort: at most 25 values */
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            const double t = v[j]; v[j] = v[j - 1]; v[j - 1] = t;
        }
    return g->n % 2 ? v[g->n / 2] : 0.5 * (v[g->n / 2 - 1] + v[g->n / 2]);
}

static void og_push(octave_guard *g, double p)
{
    g->hist[g->w] = p;
    g->w = (g->w + 1) % OG_HIST;
    if (g->n < OG_HIST) g->n++;
}

/* The period to use for a frame whose YIN period is tau (samples at sr), voiced or not. */
static double og_step(octave_guard *g, double sr, double tau, int voiced)
{
    if (!voiced || !(tau > 0.0)) {
        if (++g->unvoiced >= OG_FORGET) g->n = g->w = g->pending = 0;
        return tau;
    }
    g->unvoiced = 0;
    const double p = 69.0 + 12.0 * log2(sr / tau / 440.0);
    if (g->n >= OG_MIN) {
        const double d = p - og_median(g);
        const double k = round(d / 12.0);      /* octaves away */
        if ((k == 1.0 || k == -1.0 || k == 2.0 || k == -2.0) && fabs(d - 12.0 * k) < OG_TOL) {
            if (++g->pending <= OG_CONFIRM) {
                og_push(g, p - 12.0 * k);
                return tau * pow(2.0, k);      /* back to the running octave */
            }
            g->n = g->w = 0;                   /* a real leap: follow it from here */
        }
    }
    g->pending = 0;
    og_push(g, p);
    return tau;
}

struct sw_transfer {
    engine e;               /* owned stages and controls */
    voice v;                /* the one voice, running from create/reset */
    sw_yin yin;             /* owned: analysis buffers and plans */
    sw_tracker trk;         /* note tracker state */
    float *ring;            /* [2 R] input history, R = yin.len: written twice so the last R
                               samples are always contiguous at ring[w .. w + R) */
    int R;                  /* yin.len (>= W_L) */
    int w;                  /* ring write index, 0..R-1 */
    int latency;            /* samples: (W + tau_max)/2 + one control frame (the contract) */
    double hp_b[3][3];      /* analysis high-pass: 3 biquads, numerators b0 b1 b2 (a0 = 1) */
    double hp_a[3][2];      /* ... denominators a1 a2 */
    double hp_z[3][2];      /* ... states (transposed direct form II) */
    int hp_primed;          /* 0 until the first sample after create/reset sets the states */
    octave_guard og;        /* the analysis' octave-jump guard (below) */
};

#define TRANSFER_HP_HZ 30.0       /* analysis high-pass corner */
#define TRANSFER_GATE_DB (-70.0)  /* analysis loudness gate */

/* One audio-mode control frame: YIN + loudness on buf[y->len] (the audio before the frame's
 * start), tracker step, features into feat[8]. A frame quieter than gate_db (-INFINITY: no
 * gate) is taken as digital silence: the loudness zeros give, unvoiced, no YIN.
 * Returns the held f0 (Hz, unshifted). [RT] */
static double audio_frame(sw_yin *y, sw_tracker *trk, octave_guard *og, const float *buf, double shift,
                          double gate_db, float *feat)
{
    double L = sw_loudness_db(buf + (y->len - y->W_L), y->W_L);
    if (L < gate_db) {
        L = sw_loudness_db(buf, 0); /* what an all-zero window measures */
        if (og) (void)og_step(og, y->sr, 0.0, 0);
        return sw_tracker_step(trk, y->sr, 0.0, 0, L, shift, feat);
    }
    double dmin = 1.0;
    double tau_hat = sw_yin_run(y, buf, &dmin);
    const int voiced = dmin < SW_YIN_VOICED_DPRIME && L > SW_YIN_VOICED_DB;
    if (og) tau_hat = og_step(og, y->sr, tau_hat, voiced);
    return sw_tracker_step(trk, y->sr, tau_hat, voiced, L, shift, feat);
}

static void transfer_frame(void *ctx, voice *v)
{
    sw_transfer *x = ctx;
    const float *buf = x->ring + x->w;                 /* x[n - R .. n - 1], oldest first */
    const double f0 = audio_frame(&x->yin, &x->trk, &x->og, buf, x->e.shift, TRANSFER_GATE_DB, v->feat);
    voice_frame(&x->e, v, f0 * pow(2.0, x->e.shift / 12.0));
}

sw_status sw_transfer_create(const sw_model *model, double sample_rate, sw_transfer **out,
                             char *err, size_t errlen)
{
    if (out) *out = NULL;
    if (!model || !out) return sw_fail(err, errlen, SW_ERR_ARG, "transfer: NULL model or out");
    sw_transfer *x = calloc(1, sizeof *x);
    if (!x) return sw_fail(err, errlen, SW_ERR_NOMEM, "transfer: out of memory");
    sw_status st = engine_build(&x->e, model, sample_rate, err, errlen);
    if (st != SW_OK) {
        engine_free(&x->e);
        free(x);
        return st;
    }
    if (voice_build(&x->e, &x->v) != 0 || sw_yin_build(&x->yin, sample_rate) != 0) {
        sw_transfer_destroy(x);
        return sw_fail(err, errlen, SW_ERR_NOMEM, "transfer: out of memory or FFTW planning failed");
    }
    x->R = x->yin.len;
    x->ring = calloc(2 * (size_t)x->R, sizeof(float));
    if (!x->ring) {
        sw_transfer_destroy(x);
        return sw_fail(err, errlen, SW_ERR_NOMEM, "transfer: out of memory");
    }
    /* docs/INSTRUMENT.md: the delay the output's f0 actually shows. The analysis buffer's centre
     * is (W + tau_max)/2 back, but YIN's d(tau) integrates the oldest W samples of the buffer, so
     * its f0 describes the audio (tau_max - T0)/2 further back (T0 = the period; measured in
     * test_synth.c). T0 is taken at the centre of the model's pitch range; plus the control frame
     * of the ramp. */
    {
        const double p_mid = 0.5 * (x->e.prm.pitch_lo + x->e.prm.pitch_hi);
        const double T0 = sample_rate / (440.0 * pow(2.0, (p_mid - 69.0) / 12.0));
        double extra = 0.5 * (x->yin.tau_max - T0);
        if (extra < 0) extra = 0;
        x->latency = (int)lround(0.5 * x->yin.len + extra + sample_rate / SW_SYNTH_CONTROL_RATE);
    }
    /* Analysis high-pass: Butterworth of order 6 as 3 biquads, each the bilinear transform
     * (prewarped at the corner) of a 2nd-order high-pass with that section's pole-pair Q. */
    {
        const double w0 = 2.0 * M_PI * TRANSFER_HP_HZ / sample_rate, cw = cos(w0), sw = sin(w0);
        for (int k = 0; k < 3; k++) {
            const double q = 1.0 / (2.0 * cos(M_PI * (2 * k + 1) / 12.0)), al = sw / (2.0 * q), a0 = 1.0 + al;
            x->hp_b[k][0] = x->hp_b[k][2] = 0.5 * (1.0 + cw) / a0;
            x->hp_b[k][1] = -(1.0 + cw) / a0;
            x->hp_a[k][0] = -2.0 * cw / a0;
            x->hp_a[k][1] = (1.0 - al) / a0;
        }
    }
    sw_transfer_reset(x);
    *out = x;
    return SW_OK;
}

/* The analysis high-pass, one sample. The first sample after reset sets every state to the
 * steady state of a constant input at its value (output 0), so a DC offset never rings. [RT] */
static float transfer_highpass(sw_transfer *x, float in)
{
    double v = in;
    if (!x->hp_primed) {
        /* steady state of a constant input: output 0, z1 = -b1 v - a1 0 ... solved per section:
         * TDF-II with y = 0: z0 = -b0 v, z1 = b2 v (the section's input is v, its output 0) */
        for (int k = 0; k < 3; k++) {
            x->hp_z[k][0] = -x->hp_b[k][0] * v;
            x->hp_z[k][1] = x->hp_b[k][2] * v;
            v = 0.0; /* later sections see the previous section's output: 0 */
        }
        x->hp_primed = 1;
        v = in;
    }
    for (int k = 0; k < 3; k++) {
        const double y = x->hp_b[k][0] * v + x->hp_z[k][0];
        x->hp_z[k][0] = x->hp_b[k][1] * v - x->hp_a[k][0] * y + x->hp_z[k][1];
        x->hp_z[k][1] = x->hp_b[k][2] * v - x->hp_a[k][1] * y;
        v = y;
    }
    return (float)v;
}

void sw_transfer_destroy(sw_transfer *x)
{
    if (!x) return;
    voice_free(&x->v);
    sw_yin_free(&x->yin);
    free(x->ring);
    engine_free(&x->e);
    free(x);
}

int sw_transfer_latency(const sw_transfer *x) { return x ? x->latency : 0; }

void sw_transfer_reset(sw_transfer *x)
{
    if (!x) return;
    engine_reset(&x->e);
    voice_start(&x->e, &x->v);
    x->v.gate = 1;                                     /* the tracker owns the gate feature */
    sw_tracker_reset(&x->trk);
    memset(x->ring, 0, sizeof(float) * 2 * (size_t)x->R);
    x->w = 0;
    memset(x->hp_z, 0, sizeof x->hp_z);
    x->hp_primed = 0;
    memset(&x->og, 0, sizeof x->og);
}

void sw_transfer_set_harmonic_gain(sw_transfer *x, float gain) { if (x) set_gain(&x->e.gh_t, gain); }
void sw_transfer_set_noise_gain(sw_transfer *x, float gain) { if (x) set_gain(&x->e.gn_t, gain); }

void sw_transfer_set_pitch_shift(sw_transfer *x, float semitones)
{
    if (!x || isnan(semitones)) return;
    x->e.shift = clampf(semitones, -24.0f, 24.0f);
}

void sw_transfer_set_reverb_mix(sw_transfer *x, float mix)
{
    if (!x || isnan(mix)) return;
    x->e.mix_t = clampf(mix, 0.0f, 1.0f);
}

void sw_transfer_set_limiter(sw_transfer *x, int on)
{
    if (!x) return;
    x->e.lim_on = on != 0;
    x->e.lim_g = 1.0f;
}

sw_status sw_transfer_set_reverb_ir(sw_transfer *x, const float *ir, size_t n, double ir_rate,
                                    char *err, size_t errlen)
{
    if (!x || !ir) return sw_fail(err, errlen, SW_ERR_ARG, "transfer: NULL transfer or impulse response");
    if (sw_reverb_set_ir(&x->e.rev, ir, n, ir_rate) != 0)
        return sw_fail(err, errlen, SW_ERR_ARG,
                       "transfer: impulse response rejected (empty, silent, non-finite, longer than %g s, rate "
                       "outside 1000..1e6 Hz, or out of memory)", SW_REVERB_MAX_SECONDS);
    x->e.rev_clean = 1;
    return SW_OK;
}

void sw_transfer_process(sw_transfer *x, const float *in, float *out, size_t frames)
{
    if (!x || !in || !out) return;
    engine *e = &x->e;
    voice *v = &x->v;
    sw_fpenv env;
    sw_fpenv_enter(&env);
    size_t done = 0;
    while (done < frames) {
        if (v->n == v->b_next) transfer_frame(x, v);  /* analysis of everything before this sample */
        if (e->noise_pos >= e->noise.hop) {
            sw_fn_begin(&e->noise);
            voice_noise_at(e, v, v->n + e->noise.hop);
            sw_fn_add(&e->noise, e->mc, 1.0f);
            sw_fn_hop(&e->noise);
            e->noise_pos = 0;
        }
        int n = e->noise.hop - e->noise_pos;
        if ((size_t)n > frames - done) n = (int)(frames - done);
        if (n > BLK) n = BLK;
        if ((int64_t)n > v->b_next - v->n) n = (int)(v->b_next - v->n);
        /* input first: out may alias in */
        for (int i = 0; i < n; i++) {
            float s = in[done + (size_t)i];
            if (!isfinite(s)) s = 0.0f;
            s = transfer_highpass(x, clampf(s, -SW_INPUT_CLAMP, SW_INPUT_CLAMP));
            x->ring[x->w] = x->ring[x->w + x->R] = s;
            if (++x->w == x->R) x->w = 0;
        }
        memset(e->hbuf, 0, sizeof(float) * (size_t)n);
        voice_render(e, v, e->hbuf, n, transfer_frame, x);
        engine_mix(e, out + done, n);
        done += (size_t)n;
    }
    sw_fpenv_leave(&env);
}

/* ---------------------------------------------------------------- analysis -- */

sw_status sw_audio_features(const float *x, size_t n, double sample_rate, float *feats, size_t n_frames,
                            char *err, size_t errlen)
{
    if ((!x && n) || (n_frames && !feats)) return sw_fail(err, errlen, SW_ERR_ARG, "audio features: NULL buffer");
    if (!(sample_rate >= 8000.0 && sample_rate <= 384000.0))
        return sw_fail(err, errlen, SW_ERR_ARG, "audio features: sample rate %g outside [8000, 384000]", sample_rate);
    sw_yin y;
    if (sw_yin_build(&y, sample_rate) != 0) return sw_fail(err, errlen, SW_ERR_NOMEM, "audio features: out of memory");
    float *buf = malloc(sizeof(float) * (size_t)y.len);
    if (!buf) {
        sw_yin_free(&y);
        return sw_fail(err, errlen, SW_ERR_NOMEM, "audio features: out of memory");
    }
    sw_tracker trk;
    sw_tracker_reset(&trk);
    for (size_t t = 0; t < n_frames; t++) {
        int64_t end = sw_yin_frame_end(sample_rate, (int64_t)t);
        if (end > (int64_t)n) end = (int64_t)n;
        for (int j = 0; j < y.len; j++) {
            const int64_t i = end - y.len + j;
            const float s = i >= 0 ? x[i] : 0.0f;
            buf[j] = isfinite(s) ? s : 0.0f;
        }
        (void)audio_frame(&y, &trk, NULL, buf, 0.0, -INFINITY, feats + t * SW_SYNTH_D_INPUT);
    }
    free(buf);
    sw_yin_free(&y);
    return SW_OK;
}

sw_status sw_analyze_f0_loudness(const float *x, size_t n, double sample_rate, float *f0_hz,
                                 uint8_t *voiced, float *loudness_db, size_t n_frames,
                                 char *err, size_t errlen)
{
    if ((!x && n) || (n_frames && (!f0_hz || !voiced || !loudness_db)))
        return sw_fail(err, errlen, SW_ERR_ARG, "analyze: NULL buffer");
    if (!(sample_rate >= 8000.0 && sample_rate <= 384000.0))
        return sw_fail(err, errlen, SW_ERR_ARG, "analyze: sample rate %g outside [8000, 384000]", sample_rate);
    sw_yin y;
    if (sw_yin_build(&y, sample_rate) != 0) return sw_fail(err, errlen, SW_ERR_NOMEM, "analyze: out of memory");
    float *buf = malloc(sizeof(float) * (size_t)y.len);
    if (!buf) {
        sw_yin_free(&y);
        return sw_fail(err, errlen, SW_ERR_NOMEM, "analyze: out of memory");
    }
    double last = SW_YIN_F0_DEFAULT;
    for (size_t t = 1; t <= n_frames; t++) {
        int64_t end = sw_yin_frame_end(sample_rate, (int64_t)t);
        if (end > (int64_t)n) end = (int64_t)n;       /* as features.py: audio up to its end */
        for (int j = 0; j < y.len; j++) {
            const int64_t i = end - y.len + j;
            float s = i >= 0 ? x[i] : 0.0f;
            buf[j] = isfinite(s) ? s : 0.0f;
        }
        double dmin = 1.0;
        const double tau_hat = sw_yin_run(&y, buf, &dmin);
        const double L = sw_loudness_db(buf + (y.len - y.W_L), y.W_L);
        const int v = dmin < SW_YIN_VOICED_DPRIME && L > SW_YIN_VOICED_DB;
        if (v) last = sample_rate / tau_hat;
        f0_hz[t - 1] = (float)last;
        voiced[t - 1] = (uint8_t)v;
        loudness_db[t - 1] = (float)L;
    }
    free(buf);
    sw_yin_free(&y);
    return SW_OK;
}
