/* denoise.c — real-time speech denoiser: low-latency STFT -> log-PSD features on a fixed
 * frequency grid -> causal SSM network (sw_net) -> per-bin gains -> inverse STFT.
 *
 * Design (every constant below comes from the model's task_params, see denoise.h):
 *
 *  Framing. Hop H = floor(fs / frame_rate) samples (frame_rate 200: 5 ms at every rate),
 *    analysis window N = win_hops*H (4: 20 ms, about 50 Hz bins at every rate), synthesis
 *    window 2H long at the end of the frame (asymmetric windows, stft.h). The latency is
 *    2H - 1 samples (479 at 48 kHz = 9.98 ms), exact for any block size: the engine is
 *    sample-causal, so its output does not depend on how the host splits blocks.
 *    (A symmetric 20 ms window with a 10 ms hop would need 2H - 1 = 959 samples, 20 ms,
 *    once blocks are not aligned to the hop; the short synthesis window is what keeps
 *    the latency under 10 ms while the analysis keeps 50 Hz resolution.)
 *
 *  Features. P[k] = mean over channels |X_c[k]|^2 / (sum w_a^2 * fs) * ref_rate: a given
 *    acoustic power density gives the same P at any sample rate. P is read at grid_n
 *    frequencies j*grid_hz (0..8 kHz in 50 Hz steps), linearly interpolated between the
 *    actual bins (44.1 kHz-family rates have 50.11 Hz bins); grid points above Nyquist
 *    read as silence (P = 0). feature = (log10(P + eps) + offset) * scale.
 *
 *  Network. One sw_net step per frame: grid_n features -> grid_n gains in [0,1] (the
 *    model ends with a sigmoid). Stereo: one network on the channel-averaged power, the
 *    same gains on both channels (linked).
 *
 *  Gains. Interpolated from the grid onto the actual bins; bins above the grid's top
 *    (> 8 kHz at 48 kHz) get the mean grid gain over [hf_from_hz, top], so full-band
 *    speech keeps its sibilants while noise-only frames are still suppressed above 8 kHz.
 *    Attenuation limit: g = max(g, floor), floor = 10^(-limit/20) (limit 100 = no floor),
 *    smoothed per frame (20 ms time constant); gains change once per frame and the
 *    overlap-add cross-fades them, so gain changes are click-free.
 *
 *  Version 2 head (task_params version 2; version 1 models run exactly as before). The network
 *    outputs logits and the engine applies the head: gains = sigmoid on the grid, raised by a
 *    learned per-frame floor phi = floor_max * sigmoid(logit) (g = phi + (1 - phi) g), and for
 *    grid points 0..df_bins-1 a complex filter over the current and df_order-1 past frames
 *    (deep filtering, deepfilter.h): Y = G X + (1 - phi)(1 - fl) sum_i tanh(c_i) X(t - i), the
 *    coefficients interpolated onto the bins like the gains. The network's input gains the
 *    bins' phase-advance phasors (df_features). No look-ahead: the latency is unchanged.
 *    Layout: input [grid_n log powers | df_bins x (re, im)]; output [grid_n gain logits |
 *    df_order x df_bins x (re, im) filter logits | floor logit if floor_max > 0].
 *
 *  Mix. out = dry + mix*(wet - dry), dry = input delayed by exactly the latency, mix
 *    ramped per sample (a full 0->1 swing takes 20 ms).
 *
 *  Idle. A hop whose mean-square is below SW_DN_IDLE_POWER (1e-10 = -100 dBFS) in every
 *    channel is silent. Once the whole analysis window is silent (win_hops silent hops in a
 *    row; after create/reset the zero history counts as silent) the frame is idle: no FFT,
 *    no network step, the network state and the last gains are held, and the frame adds its
 *    unity-gain synthesis to the overlap-add (sw_stft_passthrough, O(H)), so the wet
 *    output is the delayed input and silence in gives silence (the delayed input, any mix)
 *    out. Entering and leaving idle are a gain change to / from 1 cross-faded by the
 *    overlap-add like any other, on material below -100 dBFS. Why: the network was
 *    trained on 3 s crops that always carry noise; stepping it through long digital
 *    silence (a DAW's stopped transport) drives its slow SSM modes (time constants up to
 *    ~18 s) to states it never saw, and speech after it came out several dB worse. Held,
 *    the state after any length of silence is the state before it (zero after reset, so
 *    silence then speech equals a fresh start bit for bit), and an idle stream costs
 *    O(H) per hop. -100 dBFS is below any real recording's noise floor and 16-bit
 *    TPDF-dithered silence (-96 dBFS) but above 24-bit dither and float residue; material
 *    under it is inaudible whether denoised or passed.
 *
 *  Robustness. Non-finite input samples become 0 and finite ones are clamped to +-1e4,
 *    so neither the STFT history nor the network state can be poisoned; features are
 *    clamped; FTZ/DAZ is set during process (sw_fpenv).
 *
 * Batching. For a model without deep filtering, a process call's hops are gated and analysed
 *    first (up to SW_DN_BATCH at a time), the network then steps over the non-idle ones in one
 *    sw_net_process (each weight read once per batch, not once per frame; bit-identical to
 *    stepping frame by frame), and the frames are then synthesised and emitted in order: the
 *    output is the same bits for any block size. Deep-filtering models step frame by frame
 *    (their filter reads the spectrum history at synthesis time).
 *
 * Real-time: process/set_* /reset/latency never allocate, lock or do I/O; everything
 * (FFTW plans, buffers, interpolation tables, network state) is made in create.
 *
 * Cost per frame (5 ms) at 48 kHz mono: the 960-point forward and inverse real FFTs (two
 * 480-point complex FFTs plus split steps, stft.h; ~3.3 us with the windowing), 161
 * log10f (~1 us), the network step (144k-parameter shipped model: 4-6 us) and O(N)
 * element-wise work; 10-14 us per frame measured on this project's 2-core build machine
 * (RTF 0.002-0.003; build/tools/denoise_devset prints it, bench/bench_denoise.sh times the
 * whole `statewave denoise` file path). Idle (silent) frames cost O(H): no FFT, no network. */
#include "denoise.h"
#include "core.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deepfilter.h"
#include "kernels.h"
#include "stft.h"

#define SW_DN_MAX_CH 2
#define SW_DN_SAMPLE_CLAMP 1.0e4f
#define SW_DN_FEAT_CLAMP 100.0f
#define SW_DN_MIX_RAMP_S 0.020   /* seconds for a full 0 -> 1 mix swing */
#define SW_DN_FLOOR_TAU_S 0.020  /* time constant of the attenuation-floor smoothing */
#define SW_DN_IDLE_POWER 1.0e-10f /* hop mean-square under which a hop is silent (-100 dBFS) */
#define SW_DN_BATCH 32           /* frames per network batch (batched path) */

struct sw_denoiser {
    const sw_model *model;       /* borrowed; must outlive the denoiser */
    sw_net *net;                 /* owned: the network's recurrent state */
    sw_denoise_params prm;       /* parsed task_params */
    double rate;                 /* create-time sample rate (Hz) */
    int channels;                /* 1 or 2 */
    int hop;                     /* H */
    int latency;                 /* 2H - 1 */
    sw_stft stft;                /* owned: windows, plans, scratch */
    sw_stft_chan sch[SW_DN_MAX_CH];      /* owned: per-channel STFT history / OLA */
    fftwf_complex *spec[SW_DN_MAX_CH];   /* [n_bins] per-channel spectrum of the current frame */
    float *in_block[SW_DN_MAX_CH];       /* [H] sanitised input of the block being filled */
    float *out_block[SW_DN_MAX_CH];      /* [H] wet output of the last frame */
    float *dry[SW_DN_MAX_CH];            /* [2H] ring: sanitised input, read 2H-1 samples later */
    int pos;                     /* samples already in the current block, 0..H-1 */
    int dry_pos;                 /* next write index in dry[] */
    float *power;                /* [n_bins] normalised channel-mean power */
    float *feat;                 /* [d_input] network input: grid_n log powers (+ 2 df_bins phase features, v2) */
    float *gain_grid;            /* [grid_n] gains on the grid (v1: the network's output itself) */
    float *net_out;              /* [d_output] network output (v1: = gain_grid; v2: owned, logits) */
    float *df_grid;              /* v2 with df_bins > 0: [df_order][df_bins][2] tanh of the coefficient
                                    outputs, on the grid */
    float *phase;                /* v2 with df_bins > 0: [df.bins][2] phase-advance phasor per bin */
    sw_deepfilter df;            /* v2 with df_bins > 0: spectrum history, coefficients on the bins */
    float *gain_bin;             /* [n_bins] gains on the actual bins */
    int *feat_idx;               /* [grid_n] lower bin for grid point j, -1 = above Nyquist */
    float *feat_frac;            /* [grid_n] interpolation weight of bin feat_idx+1 */
    int *gain_idx;               /* [n_bins] lower grid point for bin k, -1 = above the grid */
    float *gain_frac;            /* [n_bins] interpolation weight of grid point gain_idx+1 */
    int hf_lo;                   /* first grid index averaged for the above-grid gain */
    int feat_direct;             /* grid points 0..feat_direct-1 read bin j exactly (idx j, weight 0) */
    int gain_direct;             /* bins 0..gain_direct-1 read grid point k exactly */
    int gain_top;                /* bins gain_top..n_bins-1 are all above the grid (get the HF mean) */
    float pnorm;                 /* ref_rate / (sum w_a^2 * fs) / channels */
    float feat_eps, feat_offset, feat_scale;
    float mix_target, mix_cur;   /* wet/dry mix, per-sample ramp */
    float mix_step;              /* ramp increment per sample */
    float floor_target, floor_cur; /* attenuation floor (linear gain) */
    float floor_coef;            /* per-frame smoothing coefficient */
    int quiet_hops;              /* silent hops in a row, saturating at win_hops (= idle) */
    /* Batched path (models without deep filtering): a process call's hops are analysed up to
     * SW_DN_BATCH at a time, their network steps run as one sw_net_process (the weights read
     * once per batch instead of once per frame; bit-identical to stepping frame by frame), then
     * they are synthesised and emitted in order. NULL when the model deep-filters. */
    float *xin[SW_DN_MAX_CH];    /* [SW_DN_BATCH * H] sanitised input of the current chunk */
    fftwf_complex *bspec[SW_DN_MAX_CH]; /* [SW_DN_BATCH][n_bins] spectra; an idle frame keeps its
                                           2H-sample history tail here (as floats) */
    float *bfeat;                /* [SW_DN_BATCH][d_input] features of the chunk's non-idle frames */
    float *bout;                 /* [SW_DN_BATCH][d_output] their network outputs */
    float bfl[SW_DN_BATCH];      /* attenuation floor of each frame of the chunk */
    unsigned char bidle[SW_DN_BATCH]; /* idle flag of each frame of the chunk */
    uint64_t net_steps;          /* frames the network was stepped since create (tests/diagnostics) */
};

static sw_status fail(char *err, size_t errlen, sw_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static sw_status fail(char *err, size_t errlen, sw_status st, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* ------------------------------------------------------------ task_params -- */

static sw_status get_num(const cJSON *o, const char *key, double lo, double hi, double *out,
                         char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) return fail(err, errlen, SW_ERR_CONFIG, "denoise task_params: missing \"%s\"", key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return fail(err, errlen, SW_ERR_CONFIG, "denoise task_params: \"%s\" must be a number", key);
    if (v->valuedouble < lo || v->valuedouble > hi)
        return fail(err, errlen, SW_ERR_CONFIG, "denoise task_params: \"%s\" = %g out of range [%g, %g]",
                    key, v->valuedouble, lo, hi);
    *out = v->valuedouble;
    return SW_OK;
}

static sw_status get_int(const cJSON *o, const char *key, int lo, int hi, int *out, char *err, size_t errlen)
{
    double v;
    sw_status st = get_num(o, key, lo, hi, &v, err, errlen);
    if (st) return st;
    if (v != floor(v)) return fail(err, errlen, SW_ERR_CONFIG, "denoise task_params: \"%s\" must be an integer", key);
    *out = (int)v;
    return SW_OK;
}

void sw_denoise_params_widths(const sw_denoise_params *p, int *d_input, int *d_output)
{
    *d_input = p->grid_n + 2 * p->df_bins;
    *d_output = p->grid_n + 2 * p->df_bins * p->df_order + (p->floor_max > 0.0 ? 1 : 0);
}

sw_status sw_denoise_params_parse(const char *json, int d_input, int d_output, sw_denoise_params *p,
                                  char *err, size_t errlen)
{
    if (!json || !p) return fail(err, errlen, SW_ERR_ARG, "denoise task_params: NULL argument");
    cJSON *o = cJSON_Parse(json);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return fail(err, errlen, SW_ERR_CONFIG, "denoise task_params: not a JSON object");
    }
    sw_status st;
    memset(p, 0, sizeof *p);
    const cJSON *win = cJSON_GetObjectItemCaseSensitive(o, "window");
    if ((st = get_int(o, "version", 1, 2, &p->version, err, errlen))) goto out;
    if (!cJSON_IsString(win) || strcmp(win->valuestring, "asym_sqrt_hann") != 0) {
        st = fail(err, errlen, SW_ERR_CONFIG, "denoise task_params: \"window\" must be \"asym_sqrt_hann\"");
        goto out;
    }
    /* frame_rate <= 1000 keeps H >= 8 at 8 kHz; >= 50 keeps frames <= 20 ms. */
    if ((st = get_num(o, "frame_rate", 50.0, 1000.0, &p->frame_rate, err, errlen))) goto out;
    if ((st = get_int(o, "win_hops", 2, 8, &p->win_hops, err, errlen))) goto out;
    if ((st = get_num(o, "grid_hz", 1.0, 1000.0, &p->grid_hz, err, errlen))) goto out;
    if ((st = get_int(o, "grid_n", 2, 4096, &p->grid_n, err, errlen))) goto out;
    if ((st = get_num(o, "ref_rate", 1000.0, 1e6, &p->ref_rate, err, errlen))) goto out;
    if ((st = get_num(o, "feat_eps", 1e-30, 1.0, &p->feat_eps, err, errlen))) goto out;
    if ((st = get_num(o, "feat_offset", -1e3, 1e3, &p->feat_offset, err, errlen))) goto out;
    if ((st = get_num(o, "feat_scale", 1e-6, 1e3, &p->feat_scale, err, errlen))) goto out;
    if ((st = get_num(o, "hf_from_hz", 0.0, 1e6, &p->hf_from_hz, err, errlen))) goto out;
    if (p->version == 2) {
        /* df_bins <= 512 (25.6 kHz of 50 Hz points) keeps the width arithmetic below far from
         * overflow; the loader has already capped the network's real widths at 4096. */
        if ((st = get_int(o, "df_bins", 0, 512, &p->df_bins, err, errlen))) goto out;
        if ((st = get_int(o, "df_order", 1, SW_DF_MAX_ORDER, &p->df_order, err, errlen))) goto out;
        if ((st = get_num(o, "floor_max", 0.0, 0.99, &p->floor_max, err, errlen))) goto out;
        if (p->df_bins > p->grid_n) {
            st = fail(err, errlen, SW_ERR_CONFIG, "denoise task_params: df_bins %d above grid_n %d",
                      p->df_bins, p->grid_n);
            goto out;
        }
    } else {
        static const char *const v2_only[] = {"df_bins", "df_order", "floor_max"};
        for (size_t i = 0; i < sizeof v2_only / sizeof v2_only[0]; i++)
            if (cJSON_GetObjectItemCaseSensitive(o, v2_only[i])) {
                /* a version-1 reader would ignore it and run the model wrongly */
                st = fail(err, errlen, SW_ERR_CONFIG, "denoise task_params: \"%s\" needs \"version\": 2",
                          v2_only[i]);
                goto out;
            }
    }
    int want_in, want_out;
    sw_denoise_params_widths(p, &want_in, &want_out);
    if (p->version == 1 && (p->grid_n != d_input || p->grid_n != d_output)) {
        st = fail(err, errlen, SW_ERR_CONFIG,
                  "denoise task_params: grid_n = %d but the network maps %d -> %d (must be grid_n -> grid_n)",
                  p->grid_n, d_input, d_output);
        goto out;
    }
    if (want_in != d_input || want_out != d_output) {
        st = fail(err, errlen, SW_ERR_CONFIG,
                  "denoise task_params: grid_n %d, df_bins %d, df_order %d, floor_max %g need a network "
                  "%d -> %d (grid_n + 2 df_bins -> grid_n + 2 df_bins df_order + [floor_max > 0]), "
                  "but it maps %d -> %d",
                  p->grid_n, p->df_bins, p->df_order, p->floor_max, want_in, want_out, d_input, d_output);
        goto out;
    }
    if (p->hf_from_hz > (p->grid_n - 1) * p->grid_hz) {
        st = fail(err, errlen, SW_ERR_CONFIG, "denoise task_params: hf_from_hz %g above the grid top %g",
                  p->hf_from_hz, (p->grid_n - 1) * p->grid_hz);
        goto out;
    }
    st = SW_OK;
out:
    cJSON_Delete(o);
    return st;
}

/* ------------------------------------------------------------- lifecycle -- */

void sw_denoiser_destroy(sw_denoiser *d)
{
    if (!d) return;
    sw_net_destroy(d->net);
    for (int c = 0; c < SW_DN_MAX_CH; c++) {
        sw_stft_chan_free(&d->sch[c]);
        fftwf_free(d->spec[c]);
        SWI_FREE_EACH(d->in_block[c], d->out_block[c], d->dry[c], d->xin[c]);
        fftwf_free(d->bspec[c]);
    }
    free(d->bfeat);
    free(d->bout);
    sw_stft_free(&d->stft);
    if (d->net_out != d->gain_grid) free(d->net_out);
    swi_df_free(&d->df);
    SWI_FREE_EACH(d->power, d->feat, d->gain_grid, d->df_grid, d->phase, d->gain_bin, d->feat_idx,
                  d->feat_frac, d->gain_idx, d->gain_frac);
    free(d);
}

/* Linear interpolation from one frequency scale to another: point j of n, at j*hz (its scale's
 * spacing), reads the other scale (spacing from_hz, m points) at position j*hz/from_hz, as
 * idx[j] and the weight frac[j] of idx[j]+1; a point past the last one gets idx -1. */
static void interp_table(int n, double hz, double from_hz, int m, int *idx, float *frac)
{
    for (int j = 0; j < n; j++) {
        double pos = j * hz / from_hz;
        if (pos > (double)(m - 1) + 1e-9) {
            idx[j] = -1;
            frac[j] = 0.0f;
        } else {
            int i = (int)floor(pos);
            double fr = pos - i;
            if (i >= m - 1) { i = m - 1; fr = 0.0; }
            idx[j] = i;
            frac[j] = (float)fr;
        }
    }
}

sw_status sw_denoiser_create(const sw_model *model, double sample_rate, int channels, sw_denoiser **out,
                             char *err, size_t errlen)
{
    if (out) *out = NULL;
    if (!model || !out) return fail(err, errlen, SW_ERR_ARG, "sw_denoiser_create: NULL argument");
    if (!(sample_rate >= SW_DENOISE_MIN_RATE && sample_rate <= SW_DENOISE_MAX_RATE))
        return fail(err, errlen, SW_ERR_ARG, "sw_denoiser_create: sample rate %g Hz outside [%g, %g]",
                    sample_rate, SW_DENOISE_MIN_RATE, SW_DENOISE_MAX_RATE);
    if (channels < 1 || channels > SW_DN_MAX_CH)
        return fail(err, errlen, SW_ERR_ARG, "sw_denoiser_create: %d channels (1 or 2 supported)", channels);
    const char *task = sw_model_task(model);
    if (!task || strcmp(task, "denoise") != 0)
        return fail(err, errlen, SW_ERR_UNSUPPORTED, "sw_denoiser_create: model task is \"%s\", not \"denoise\"",
                    task ? task : "");

    sw_denoise_params prm;
    sw_status st = sw_denoise_params_parse(sw_model_task_params_json(model), sw_model_d_input(model),
                                           sw_model_d_output(model), &prm, err, errlen);
    if (st) return st;

    sw_denoiser *d = calloc(1, sizeof *d);
    if (!d) return fail(err, errlen, SW_ERR_NOMEM, "sw_denoiser_create: out of memory");
    d->model = model;
    d->prm = prm;
    d->rate = sample_rate;
    d->channels = channels;
    d->hop = (int)floor(sample_rate / prm.frame_rate);
    d->latency = 2 * d->hop - 1;
    const int H = d->hop, G = prm.grid_n;

    st = sw_net_create(model, &d->net, err, errlen);
    if (st) {
        sw_denoiser_destroy(d);
        return st;
    }
    if (sw_stft_build(&d->stft, H, prm.win_hops) != 0) {
        sw_denoiser_destroy(d);
        return fail(err, errlen, SW_ERR_NOMEM, "sw_denoiser_create: STFT setup failed (N = %d)", H * prm.win_hops);
    }
    const int N = d->stft.n_fft, K = d->stft.n_bins;
    for (int c = 0; c < channels; c++) {
        if (sw_stft_chan_build(&d->stft, &d->sch[c]) != 0) goto nomem;
        d->spec[c] = fftwf_malloc(sizeof(fftwf_complex) * (size_t)K);
        d->in_block[c] = calloc((size_t)H, sizeof(float));
        d->out_block[c] = calloc((size_t)H, sizeof(float));
        d->dry[c] = calloc((size_t)(2 * H), sizeof(float));
        if (!d->spec[c] || !d->in_block[c] || !d->out_block[c] || !d->dry[c]) goto nomem;
    }
    d->power = calloc((size_t)K, sizeof(float));
    int d_in, d_out;
    sw_denoise_params_widths(&prm, &d_in, &d_out);
    d->feat = calloc((size_t)d_in, sizeof(float));
    d->gain_grid = calloc((size_t)G, sizeof(float));
    d->net_out = prm.version == 1 ? d->gain_grid : calloc((size_t)d_out, sizeof(float));
    d->gain_bin = calloc((size_t)K, sizeof(float));
    d->feat_idx = calloc((size_t)G, sizeof(int));
    d->feat_frac = calloc((size_t)G, sizeof(float));
    d->gain_idx = calloc((size_t)K, sizeof(int));
    d->gain_frac = calloc((size_t)K, sizeof(float));
    if (!d->power || !d->feat || !d->gain_grid || !d->net_out || !d->gain_bin || !d->feat_idx ||
        !d->feat_frac || !d->gain_idx || !d->gain_frac)
        goto nomem;

    /* Grid point j (frequency j*grid_hz) reads bin position f*N/fs; bin k reads the grid at
     * its frequency k*fs/N. */
    const double bin_hz = sample_rate / N;
    interp_table(G, prm.grid_hz, bin_hz, K, d->feat_idx, d->feat_frac);
    interp_table(K, bin_hz, prm.grid_hz, G, d->gain_idx, d->gain_frac);
    while (d->feat_direct < G && d->feat_idx[d->feat_direct] == d->feat_direct && d->feat_frac[d->feat_direct] == 0.0f)
        d->feat_direct++;
    while (d->gain_direct < K && d->gain_idx[d->gain_direct] == d->gain_direct && d->gain_frac[d->gain_direct] == 0.0f)
        d->gain_direct++;
    d->gain_top = K;
    while (d->gain_top > d->gain_direct && d->gain_idx[d->gain_top - 1] < 0) d->gain_top--;
    if (prm.df_bins > 0) {
        /* The filtered bins: those whose frequency lies on the deep-filter part of the grid
         * (position <= df_bins - 1; at 16/48 kHz bin k is grid point k). The history also covers
         * every bin the phase features of grid points 0..df_bins-1 read. */
        const int J = prm.df_bins;
        int apply = 0, keep = 0;
        while (apply < K && d->gain_idx[apply] >= 0 &&
               (d->gain_idx[apply] < J - 1 || (d->gain_idx[apply] == J - 1 && d->gain_frac[apply] == 0.0f)))
            apply++;
        for (int j = 0; j < J; j++)
            if (d->feat_idx[j] >= 0) {
                const int top = d->feat_idx[j] + (d->feat_frac[j] > 0.0f ? 1 : 0) + 1;
                if (top > keep) keep = top;
            }
        if (apply > keep) keep = apply;
        if (keep < 1) keep = 1;
        if (swi_df_build(&d->df, keep, apply, prm.df_order, channels) != 0) goto nomem;
        d->df_grid = calloc((size_t)prm.df_order * (size_t)J * 2, sizeof(float));
        d->phase = calloc((size_t)keep * 2, sizeof(float));
        if (!d->df_grid || !d->phase) goto nomem;
    }
    if (prm.df_bins == 0) {
        for (int c = 0; c < channels; c++) {
            d->xin[c] = calloc((size_t)SW_DN_BATCH * (size_t)H, sizeof(float));
            d->bspec[c] = fftwf_malloc(sizeof(fftwf_complex) * (size_t)SW_DN_BATCH * (size_t)K);
            if (!d->xin[c] || !d->bspec[c]) goto nomem;
        }
        d->bfeat = calloc((size_t)SW_DN_BATCH * (size_t)d_in, sizeof(float));
        d->bout = calloc((size_t)SW_DN_BATCH * (size_t)d_out, sizeof(float));
        if (!d->bfeat || !d->bout) goto nomem;
    }
    d->hf_lo = (int)ceil(prm.hf_from_hz / prm.grid_hz - 1e-9);
    if (d->hf_lo > G - 1) d->hf_lo = G - 1;
    d->pnorm = (float)(prm.ref_rate / (d->stft.win_a_energy * sample_rate) / channels);
    d->feat_eps = (float)prm.feat_eps;
    d->feat_offset = (float)prm.feat_offset;
    d->feat_scale = (float)prm.feat_scale;
    d->mix_step = (float)(1.0 / (SW_DN_MIX_RAMP_S * sample_rate));
    d->floor_coef = (float)exp(-(double)H / (SW_DN_FLOOR_TAU_S * sample_rate));
    d->mix_target = 1.0f;
    d->floor_target = 0.0f;
    sw_denoiser_reset(d);
    *out = d;
    return SW_OK;

nomem:
    sw_denoiser_destroy(d);
    return fail(err, errlen, SW_ERR_NOMEM, "sw_denoiser_create: out of memory");
}

int sw_denoiser_latency(const sw_denoiser *d) { return d ? d->latency : 0; }

uint64_t sw_denoiser_net_steps(const sw_denoiser *d) { return d ? d->net_steps : 0; }

void sw_denoiser_set_mix(sw_denoiser *d, float mix)
{
    if (!d) return;
    if (!(mix >= 0.0f)) mix = 0.0f; /* NaN -> 0 (dry) */
    if (mix > 1.0f) mix = 1.0f;
    d->mix_target = mix;
}

void sw_denoiser_set_limit_db(sw_denoiser *d, float limit_db)
{
    if (!d) return;
    if (!(limit_db >= 0.0f)) limit_db = 0.0f; /* NaN -> no attenuation */
    if (limit_db >= 100.0f) d->floor_target = 0.0f;
    else d->floor_target = powf(10.0f, -limit_db / 20.0f);
}

void sw_denoiser_reset(sw_denoiser *d)
{
    if (!d) return;
    sw_net_reset(d->net);
    for (int c = 0; c < d->channels; c++) {
        sw_stft_chan_reset(&d->stft, &d->sch[c]);
        memset(d->in_block[c], 0, sizeof(float) * (size_t)d->hop);
        memset(d->out_block[c], 0, sizeof(float) * (size_t)d->hop);
        memset(d->dry[c], 0, sizeof(float) * (size_t)(2 * d->hop));
    }
    if (d->prm.df_bins > 0) swi_df_reset(&d->df);
    d->pos = 0;
    d->dry_pos = 0;
    d->quiet_hops = d->prm.win_hops; /* the zeroed history is silent */
    d->mix_cur = d->mix_target;
    d->floor_cur = d->floor_target;
}

/* --------------------------------------------------------------- process -- */

/* Deep filtering, input side: stores this frame's spectra in the history and writes the phase
 * features of grid points 0..df_bins-1 after the grid_n log powers: per bin the phasor of the
 * phase advance since the previous frame, u = Σ_c X_t conj(X_{t-1}) · pnorm / (sqrt(P_t P_{t-1}) + eps),
 * |u| <= 1 (Cauchy-Schwarz over the channels). Why: the coefficients that follow a harmonic
 * depend on where in its bin it sits, which shows as its phase advance per hop, and the
 * advance (unlike the phase) does not depend on the frame's time origin. [RT] */
static void df_features(sw_denoiser *d)
{
    sw_deepfilter *df = &d->df;
    const int C = d->channels, B = df->bins, G = d->prm.grid_n, J = d->prm.df_bins;
    swi_df_next(df);
    for (int c = 0; c < C; c++) swi_df_store(df, c, d->spec[c]);
    const float pn = d->pnorm, eps = d->feat_eps;
    float *u = d->phase;
    for (int k = 0; k < B; k++) {
        float zr = 0.0f, zi = 0.0f, pp = 0.0f;
        for (int c = 0; c < C; c++) {
            const float *x = swi_df_frame(df, c, 0) + 2 * k, *y = swi_df_frame(df, c, 1) + 2 * k;
            zr += x[0] * y[0] + x[1] * y[1];
            zi += x[1] * y[0] - x[0] * y[1];
            pp += y[0] * y[0] + y[1] * y[1];
        }
        const float den = sqrtf(d->power[k] * (pp * pn)) + eps;
        u[2 * k] = zr * pn / den;
        u[2 * k + 1] = zi * pn / den;
    }
    float *f = d->feat + G;
    for (int j = 0; j < J; j++) {
        const int i = d->feat_idx[j];
        float re = 0.0f, im = 0.0f;
        if (i >= 0) {
            re = u[2 * i];
            im = u[2 * i + 1];
            const float fr = d->feat_frac[j];
            if (fr > 0.0f) {
                re += fr * (u[2 * i + 2] - re);
                im += fr * (u[2 * i + 3] - im);
            }
        }
        f[2 * j] = (re >= -2.0f && re <= 2.0f) ? re : 0.0f; /* also catches NaN */
        f[2 * j + 1] = (im >= -2.0f && im <= 2.0f) ? im : 0.0f;
    }
}

/* Version 2 head: the network's logits -> gains on the grid (sigmoid, raised by the learned
 * floor phi), and tanh-bounded deep-filter coefficients on the grid. Returns 1 - phi, the part
 * of the output the network shapes (the rest is the noisy input: Y = phi X + (1 - phi) Y_net).
 * Why a learned floor: at low SNR the network's gains cut speech with the noise (issue 11:
 * 7-11 dB at -5 dB SNR); one per-frame output that the whole spectrum drives lets it trade
 * residual noise for intact speech when it cannot tell them apart. [RT] */
static float head_v2(sw_denoiser *d)
{
    const int G = d->prm.grid_n, J = d->prm.df_bins, M = 2 * J * d->prm.df_order;
    const float *o = d->net_out;
    float phi = 0.0f;
    if (d->prm.floor_max > 0.0) {
        sw_vsigmoid(&phi, o + G + M, 1);
        phi *= (float)d->prm.floor_max;
        if (!(phi >= 0.0f && phi < 1.0f)) phi = 0.0f; /* NaN: no floor */
    }
    float *g = d->gain_grid;
    sw_vsigmoid(g, o, (size_t)G);
    if (phi > 0.0f)
        for (int j = 0; j < G; j++) g[j] = phi + (1.0f - phi) * g[j];
    if (J > 0) {
        sw_vtanh(d->df_grid, o + G, (size_t)M);
        for (int m = 0; m < M; m++)
            if (!(d->df_grid[m] >= -1.0f && d->df_grid[m] <= 1.0f)) d->df_grid[m] = 0.0f;
    }
    return 1.0f - phi;
}

/* The grid's deep-filter coefficients onto the filtered bins (the gains' interpolation). [RT] */
static void df_coef_to_bins(sw_denoiser *d)
{
    sw_deepfilter *df = &d->df;
    const int J = d->prm.df_bins, B = df->apply_bins;
    for (int t = 0; t < df->order; t++) {
        const float *cg = d->df_grid + (size_t)t * (size_t)J * 2;
        float *cb = df->coef + (size_t)t * (size_t)B * 2;
        for (int k = 0; k < B; k++) {
            const int i = d->gain_idx[k];
            const float fr = d->gain_frac[k];
            float re = cg[2 * i], im = cg[2 * i + 1];
            if (fr > 0.0f && i + 1 < J) {
                re += fr * (cg[2 * i + 2] - re);
                im += fr * (cg[2 * i + 3] - im);
            }
            cb[2 * k] = re;
            cb[2 * k + 1] = im;
        }
    }
}

/* x *= a and the complex spectrum s[k] *= g[k], in 4-float vectors (GCC vector extension: the
 * library's -O2 leaves loops of unknown length scalar; the same multiplies, so the same bits). */
typedef float v4f __attribute__((vector_size(16)));
typedef float v4fu __attribute__((vector_size(16), aligned(4)));
static void vscale(float *x, float a, int n)
{
    int i = 0;
    const v4f av = {a, a, a, a};
    for (; i + 4 <= n; i += 4) *(v4fu *)(x + i) = *(const v4fu *)(x + i) * av;
    for (; i < n; i++) x[i] *= a;
}
static void vcscale(float *restrict s, const float *restrict g, int n)
{
    int k = 0;
    for (; k + 2 <= n; k += 2) {
        const v4f gv = {g[k], g[k], g[k + 1], g[k + 1]};
        *(v4fu *)(s + 2 * k) = *(const v4fu *)(s + 2 * k) * gv;
    }
    for (; k < n; k++) {
        s[2 * k] *= g[k];
        s[2 * k + 1] *= g[k];
    }
}

/* The front of a frame, once the block in in_block[] is complete: the idle gate and the
 * attenuation floor's step; returns 1 if the frame is idle. [RT] */
static int frame_gate(sw_denoiser *d)
{
    const int C = d->channels, H = d->hop;
    /* Idle gate (see the top comment): silent hop in every channel? */
    int silent = 1;
    for (int c = 0; c < C && silent; c++) {
        const float *x = d->in_block[c];
        /* eight partial sums (one serial chain was a tenth of this function); the order only
         * matters for a hop within float rounding of the threshold */
        float e8[8] = {0};
        int i = 0;
        for (; i + 8 <= H; i += 8)
            for (int k = 0; k < 8; k++) e8[k] += x[i + k] * x[i + k];
        for (; i < H; i++) e8[0] += x[i] * x[i];
        const float e = ((e8[0] + e8[4]) + (e8[1] + e8[5])) + ((e8[2] + e8[6]) + (e8[3] + e8[7]));
        silent = e < SW_DN_IDLE_POWER * (float)H;
    }
    d->quiet_hops = silent ? (d->quiet_hops < d->prm.win_hops ? d->quiet_hops + 1 : d->prm.win_hops) : 0;
    /* The attenuation floor moves in time whether or not the frame is idle. */
    d->floor_cur = d->floor_target + (d->floor_cur - d->floor_target) * d->floor_coef;
    if (fabsf(d->floor_cur - d->floor_target) < 1e-7f) d->floor_cur = d->floor_target;
    return d->quiet_hops >= d->prm.win_hops;
}

/* Analysis of a non-idle frame: in_block -> spec[c] (STFT) -> the grid_n log-power features in
 * feat[0..grid_n). [RT] */
static void frame_analyze(sw_denoiser *d, fftwf_complex *const *spec, float *feat)
{
    const int C = d->channels, K = d->stft.n_bins, G = d->prm.grid_n;
    for (int c = 0; c < C; c++) sw_stft_analyze(&d->stft, &d->sch[c], d->in_block[c], spec[c]);

    float *P = d->power;
    {
        const fftwf_complex *s = spec[0];
        for (int k = 0; k < K; k++) P[k] = s[k][0] * s[k][0] + s[k][1] * s[k][1];
        for (int c = 1; c < C; c++) {
            s = spec[c];
            for (int k = 0; k < K; k++) P[k] += s[k][0] * s[k][0] + s[k][1] * s[k][1];
        }
        vscale(P, d->pnorm, K);
    }
    /* the powers on the grid (in gain_grid, free until the frame's gains are made), then the
     * features (vector log10, within ~2 ulps of log10f) */
    float *pg = d->gain_grid;
    const int jd = d->feat_direct;
    memcpy(pg, P, sizeof(float) * (size_t)jd);  /* grid point j is bin j (16 and 48 kHz) */
    for (int j = jd; j < G; j++) {
        const int i = d->feat_idx[j];
        float p = 0.0f;
        if (i >= 0) {
            p = P[i];
            if (d->feat_frac[j] > 0.0f) p += d->feat_frac[j] * (P[i + 1] - P[i]);
        }
        pg[j] = p;
    }
    sw_vlogfeat(feat, pg, (size_t)G, d->feat_eps, d->feat_offset, d->feat_scale, SW_DN_FEAT_CLAMP);
}

/* The back of a non-idle frame: the gains in gain_grid (made from the network's output) with
 * floor fl -> gains on the bins -> spec[c] filtered and synthesised into out_block[c]. [RT] */
static void frame_synthesize(sw_denoiser *d, fftwf_complex *const *spec, float fl, float keep)
{
    const int C = d->channels, K = d->stft.n_bins, G = d->prm.grid_n;
    float *g = d->gain_grid;
    for (int j = 0; j < G; j++) {
        float v = g[j];
        /* NaN -> pass, negative -> 0, then [fl, 1]; branch-free (the same values) */
        v = (v != v) ? 1.0f : v;
        v = v >= 0.0f ? v : 0.0f;
        v = v < 1.0f ? v : 1.0f;
        g[j] = v < fl ? fl : v;
    }
    float hf = 0.0f;
    for (int j = d->hf_lo; j < G; j++) hf += g[j];
    hf /= (float)(G - d->hf_lo);

    float *gb = d->gain_bin;
    const int kd = d->gain_direct;
    memcpy(gb, g, sizeof(float) * (size_t)kd);  /* bin k is grid point k (16 and 48 kHz) */
    const int kt = d->gain_top;
    for (int k = kt; k < K; k++) gb[k] = hf;
    for (int k = kd; k < kt; k++) {
        const int i = d->gain_idx[k];
        if (i < 0) gb[k] = hf;
        else {
            float v = g[i];
            if (d->gain_frac[k] > 0.0f) v += d->gain_frac[k] * (g[i + 1] - g[i]);
            gb[k] = v;
        }
    }
    /* Deep filter: Y = G X + s Σ_i c_i X_{t-i} on the lowest bins (deepfilter.h). The residual
     * shrinks with the learned floor (s = 1 - phi) and with the attenuation limit (1 - fl), so
     * that a limit of 0 dB (fl = 1) gives back the input exactly as the gains do. */
    const float s_df = keep * (1.0f - fl);
    if (d->prm.df_bins > 0) df_coef_to_bins(d);
    for (int c = 0; c < C; c++) {
        fftwf_complex *s = spec[c];
        vcscale((float *)s, gb, K);
        if (d->prm.df_bins > 0) swi_df_apply(&d->df, c, s, s_df);
        sw_stft_synthesize(&d->stft, &d->sch[c], s, d->out_block[c]);
    }
}

/* One frame, stepped alone (models with deep filtering): the block in in_block[] is
 * complete. [RT] */
static void run_frame(sw_denoiser *d)
{
    const int C = d->channels;
    if (frame_gate(d)) {
        for (int c = 0; c < C; c++) sw_stft_passthrough(&d->stft, &d->sch[c], d->in_block[c], d->out_block[c]);
        if (d->prm.df_bins > 0) swi_df_next(&d->df); /* a silent frame in the history, as after reset */
        return;
    }
    frame_analyze(d, d->spec, d->feat);
    if (d->prm.df_bins > 0) df_features(d);
    sw_net_step(d->net, d->feat, d->net_out);
    d->net_steps++;
    const float keep = d->prm.version == 2 ? head_v2(d) : 1.0f;
    frame_synthesize(d, d->spec, d->floor_cur, keep);
}

/* Emits samples whose wet value is out_block[c][w0 .. w0+m) (dry from the ring),
 * reading the sanitised inputs in_block[c][b0 .. b0+m). [RT] */
static void emit(sw_denoiser *d, float *const *out, size_t o0, int w0, float *const *xs, size_t b0, int m)
{
    const int C = d->channels, R = 2 * d->hop;
    if (d->mix_cur == d->mix_target && m <= R - 1) {
        /* Steady mix (the usual case): the same arithmetic in vectors. The m dry samples are
         * ring[dp+1 .. dp+m] (mod R) as they were before this call's writes (a write at
         * dp+j precedes the read at dp+j+1, which it never reaches as m < R), so they are
         * read first, then the inputs written. */
        const float mv = d->mix_cur;
        const v4f mv4 = {mv, mv, mv, mv};
        int dp = d->dry_pos;
        for (int c = 0; c < C; c++) {
            float *o = out[c] + o0;
            const float *wet = d->out_block[c] + w0;
            const float *x = xs[c] + b0;
            float *ring = d->dry[c];
            dp = d->dry_pos;
            /* dry into o (at most two contiguous pieces of the ring), then the inputs in */
            const int r = dp + 1 == R ? 0 : dp + 1, n1 = m < R - r ? m : R - r;
            memcpy(o, ring + r, sizeof(float) * (size_t)n1);
            memcpy(o + n1, ring, sizeof(float) * (size_t)(m - n1));
            const int w1 = m < R - dp ? m : R - dp;
            memcpy(ring + dp, x, sizeof(float) * (size_t)w1);
            memcpy(ring, x + w1, sizeof(float) * (size_t)(m - w1));
            dp = (dp + m) % R;
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                const v4f dr = *(const v4fu *)(o + i);
                *(v4fu *)(o + i) = dr + mv4 * (*(const v4fu *)(wet + i) - dr);
            }
            for (; i < m; i++) o[i] = o[i] + mv * (wet[i] - o[i]);
        }
        d->dry_pos = dp;
        return;
    }
    float mix = d->mix_cur;
    int dp = d->dry_pos;
    for (int c = 0; c < C; c++) {
        float *o = out[c] + o0;
        const float *wet = d->out_block[c] + w0;
        const float *x = xs[c] + b0;
        float *ring = d->dry[c];
        float mv = d->mix_cur;
        const float tgt = d->mix_target, stp = d->mix_step;
        dp = d->dry_pos;
        for (int i = 0; i < m; i++) {
            ring[dp] = x[i];
            dp = (dp + 1 == R) ? 0 : dp + 1;
            const float dry = ring[dp]; /* written R-1 = latency samples ago */
            if (mv != tgt) {
                if (mv < tgt) mv = (tgt - mv > stp) ? mv + stp : tgt;
                else mv = (mv - tgt > stp) ? mv - stp : tgt;
            }
            o[i] = dry + mv * (wet[i] - dry);
        }
        mix = mv;
    }
    d->mix_cur = mix;
    d->dry_pos = dp;
}

/* The batched path's chunk: in[c][0..len) (len <= SW_DN_BATCH * H - pos, so at most SW_DN_BATCH
 * hops complete in it) -> out[c][0..len). [RT] */
static void process_chunk(sw_denoiser *d, const float *const *in, float *const *out, size_t len)
{
    const int C = d->channels, H = d->hop, K = d->stft.n_bins;
    int d_in, d_out;
    sw_denoise_params_widths(&d->prm, &d_in, &d_out);
    for (int c = 0; c < C; c++) sw_vsanitize(d->xin[c], in[c], len, SW_DN_SAMPLE_CLAMP);
    /* 1: fill the blocks, gate and analyse each completed frame */
    const int pos0 = d->pos;
    int p = pos0, nf = 0, nnet = 0;
    for (size_t i = 0; i < len;) {
        const int m = (len - i < (size_t)(H - p)) ? (int)(len - i) : H - p;
        for (int c = 0; c < C; c++) memcpy(d->in_block[c] + p, d->xin[c] + i, sizeof(float) * (size_t)m);
        p += m;
        i += (size_t)m;
        if (p < H) break;
        p = 0;
        fftwf_complex *sp[SW_DN_MAX_CH];
        for (int c = 0; c < C; c++) sp[c] = d->bspec[c] + (size_t)nf * (size_t)K;
        d->bidle[nf] = (unsigned char)frame_gate(d);
        d->bfl[nf] = d->floor_cur;
        if (d->bidle[nf]) {
            for (int c = 0; c < C; c++) {
                sw_stft_push(&d->stft, &d->sch[c], d->in_block[c]);
                memcpy(sp[c], d->sch[c].hist + (d->stft.n_fft - 2 * H), sizeof(float) * (size_t)(2 * H));
            }
        } else {
            frame_analyze(d, sp, d->bfeat + (size_t)nnet * (size_t)d_in);
            nnet++;
        }
        nf++;
    }
    /* 2: the network over the chunk's non-idle frames, in order */
    if (nnet) {
        sw_net_process(d->net, d->bfeat, d->bout, (size_t)nnet);
        d->net_steps += (uint64_t)nnet;
    }
    /* 3: synthesise and emit, sample by sample as the unbatched path does */
    p = pos0;
    int f = 0, r = 0;
    for (size_t i = 0; i < len;) {
        const int need = H - p;
        const int m = (len - i < (size_t)need) ? (int)(len - i) : need;
        if (m < need) {
            emit(d, out, i, p + 1, d->xin, i, m);
            p += m;
        } else {
            if (m > 1) emit(d, out, i, p + 1, d->xin, i, m - 1);
            fftwf_complex *sp[SW_DN_MAX_CH];
            for (int c = 0; c < C; c++) sp[c] = d->bspec[c] + (size_t)f * (size_t)K;
            if (d->bidle[f]) {
                for (int c = 0; c < C; c++)
                    sw_stft_passthrough_ola(&d->stft, &d->sch[c], (const float *)sp[c], d->out_block[c]);
            } else {
                float *row = d->bout + (size_t)r * (size_t)d_out;
                r++;
                float keep = 1.0f;
                if (d->prm.version == 2) {
                    float *own = d->net_out;
                    d->net_out = row;
                    keep = head_v2(d);
                    d->net_out = own;
                } else {
                    memcpy(d->gain_grid, row, sizeof(float) * (size_t)d->prm.grid_n);
                }
                frame_synthesize(d, sp, d->bfl[f], keep);
            }
            f++;
            emit(d, out, i + (size_t)(m - 1), 0, d->xin, i + (size_t)(m - 1), 1);
            p = 0;
        }
        i += (size_t)m;
    }
    d->pos = p;
}

void sw_denoiser_process(sw_denoiser *d, const float *const *in, float *const *out, size_t frames)
{
    if (!d || !in || !out || frames == 0) return;
    sw_fpenv env;
    sw_fpenv_enter(&env);
    const int C = d->channels, H = d->hop;
    size_t done = 0;
    if (d->prm.df_bins == 0) {
        while (done < frames) {
            size_t len = frames - done;
            const size_t cap = (size_t)SW_DN_BATCH * (size_t)H - (size_t)d->pos;
            if (len > cap) len = cap;
            const float *ic[SW_DN_MAX_CH];
            float *oc[SW_DN_MAX_CH];
            for (int c = 0; c < C; c++) {
                ic[c] = in[c] + done;
                oc[c] = out[c] + done;
            }
            process_chunk(d, ic, oc, len);
            done += len;
        }
        sw_fpenv_leave(&env);
        return;
    }
    while (done < frames) {
        const int need = H - d->pos;
        const int m = (frames - done < (size_t)need) ? (int)(frames - done) : need;
        const int p0 = d->pos;
        for (int c = 0; c < C; c++) sw_vsanitize(d->in_block[c] + p0, in[c] + done, (size_t)m, SW_DN_SAMPLE_CLAMP);
        /* The sample that is the p-th of its block (p = 1..H) emits out_block[p mod H]:
         * p < H from the previous frame, p = H from the frame it completes. */
        if (m < need) {
            emit(d, out, done, p0 + 1, d->in_block, (size_t)p0, m);
            d->pos = p0 + m;
        } else {
            if (m > 1) emit(d, out, done, p0 + 1, d->in_block, (size_t)p0, m - 1);
            run_frame(d);
            emit(d, out, done + (size_t)(m - 1), 0, d->in_block, (size_t)(p0 + m - 1), 1);
            d->pos = 0;
        }
        done += (size_t)m;
    }
    sw_fpenv_leave(&env);
}
