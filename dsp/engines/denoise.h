/* denoise.h — internal: the denoise model's pipeline settings (config "task_params").
 *
 * The model file fully describes the signal path around the network; denoise.c reads
 * these values with sw_denoise_params_parse() and refuses a model whose settings are
 * missing, out of range or inconsistent with the network's widths.
 * train/denoise/features.py writes the same keys (DEFAULT_TASK_PARAMS there). */
#ifndef SW_DENOISE_H
#define SW_DENOISE_H

#include <stddef.h>
#include <stdint.h>
#include "statewave.h"

typedef struct {
    int version;          /* 1: the network ends in a sigmoid and outputs the grid_n gains;
                             2: it outputs logits and the engine applies the head below */
    double frame_rate;    /* frames per second: hop H = floor(fs / frame_rate) samples; 200 → 5 ms */
    int win_hops;         /* analysis window / FFT length N = win_hops * H (4 → 20 ms) */
    double grid_hz;       /* spacing of the feature/gain frequency grid (50 Hz) */
    int grid_n;           /* grid points 0, grid_hz, ..., (grid_n-1)*grid_hz; = d_input = d_output */
    double ref_rate;      /* PSD normalisation: P = |X|^2 / (sum w_a^2 * fs) * ref_rate */
    double feat_eps;      /* feature = (log10(P + feat_eps) + feat_offset) * feat_scale */
    double feat_offset;
    double feat_scale;
    double hf_from_hz;    /* bins above the grid get the mean grid gain over [hf_from_hz, top] */
    /* Version 2 only (0 in version 1): */
    int df_bins;          /* deep filtering of grid points 0..df_bins-1 (0 = none; deepfilter.h) */
    int df_order;         /* taps of the deep filter: the current frame and df_order-1 past ones */
    double floor_max;     /* learned gain floor phi = floor_max * sigmoid(net), 0 = none */
} sw_denoise_params;

/* The network's widths that the params ask for: d_input = grid_n (+ 2 df_bins phase features in
 * version 2), d_output = grid_n (+ 2 df_bins df_order coefficients, + 1 floor logit if floor_max > 0). */
void sw_denoise_params_widths(const sw_denoise_params *p, int *d_input, int *d_output);

/* Parses and validates `json` (the model's task_params) against d_input/d_output
 * (sw_denoise_params_widths). */
sw_status sw_denoise_params_parse(const char *json, int d_input, int d_output,
                                  sw_denoise_params *p, char *err, size_t errlen);

/* Internal (tests, diagnostics): how many frames the network has been stepped since create
 * (idle frames are not; reset does not clear it). [RT] */
uint64_t sw_denoiser_net_steps(const sw_denoiser *d);

#endif
