/* filtnoise.c — shared filtered-noise stream (see filtnoise.h). */
#include "filtnoise.h"
#include "core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sw_fn_free(sw_filtnoise *fn)
{
    if (!fn) return;
    sw_stft_chan_free(&fn->ch);
    sw_stft_free(&fn->st);
    fftwf_free(fn->spec);
    SWI_FREE_EACH(fn->u, fn->out, fn->m2, fn->band, fn->frac);
    memset(fn, 0, sizeof *fn);
}

int sw_fn_build(sw_filtnoise *fn, double sr_host, int hop, double sr_train, int n_bands, uint64_t seed)
{
    memset(fn, 0, sizeof *fn);
    if (hop < 1 || n_bands < 2 || !(sr_host > 0.0) || !(sr_train > 0.0)) return -1;
    if (sw_stft_build(&fn->st, hop, 2) != 0) return -1;
    fn->hop = hop;
    fn->n_bins = hop + 1;
    fn->n_bands = n_bands;
    fn->seed = seed;
    const size_t nb = (size_t)fn->n_bins;
    fn->spec = fftwf_malloc(sizeof(fftwf_complex) * nb);
    fn->u = calloc((size_t)hop, sizeof(float));
    fn->out = calloc((size_t)hop, sizeof(float));
    fn->m2 = calloc(nb, sizeof(float));
    fn->band = calloc(nb, sizeof(int));
    fn->frac = calloc(nb, sizeof(float));
    if (!fn->spec || !fn->u || !fn->out || !fn->m2 || !fn->band || !fn->frac
        || sw_stft_chan_build(&fn->st, &fn->ch) != 0) {
        sw_fn_free(fn);
        return -1;
    }
    /* band position of bin i: f_i / (sr_t / 2) * (B - 1), as train/instrument/ddsp.py band_matrix */
    const int N = 2 * hop;
    fn->n_live = 0;
    for (int i = 0; i < fn->n_bins; i++) {
        const double f = (double)i * sr_host / N;
        const double pos = f / (0.5 * sr_train) * (n_bands - 1);
        if (pos > n_bands - 1 + 1e-9) {
            fn->band[i] = -1;
            fn->frac[i] = 0.0f;
            continue;
        }
        int j = (int)floor(pos);
        if (j > n_bands - 2) j = n_bands - 2;
        fn->band[i] = j;
        fn->frac[i] = (float)(pos - j);
        fn->n_live = i + 1;
    }
    sw_fn_reset(fn);
    return 0;
}

void sw_fn_reset(sw_filtnoise *fn)
{
    sw_stft_chan_reset(&fn->st, &fn->ch);
    sw_rng_seed(&fn->rng, fn->seed);
    memset(fn->out, 0, sizeof(float) * (size_t)fn->hop);
    memset(fn->m2, 0, sizeof(float) * (size_t)fn->n_bins);
    fn->any = 0;
}

void sw_fn_begin(sw_filtnoise *fn)
{
    memset(fn->m2, 0, sizeof(float) * (size_t)fn->n_live);
    fn->any = 0;
}

void sw_fn_add(sw_filtnoise *fn, const float *m, float gain)
{
    if (!(gain > 0.0f) || !isfinite(gain)) return;
    const float g2 = gain * gain;
    float mx = 0.0f;
    for (int b = 0; b < fn->n_bands; b++)
        if (m[b] > mx) mx = m[b];                      /* NaN compares false: ignored */
    if (!(mx > 0.0f)) return;                          /* silent voice: nothing to add */
    for (int i = 0; i < fn->n_live; i++) {
        const int j = fn->band[i];
        float lo = m[j], hi = m[j + 1];
        if (!(lo > 0.0f) || !isfinite(lo)) lo = 0.0f;
        if (!(hi > 0.0f) || !isfinite(hi)) hi = 0.0f;
        const float v = lo + (hi - lo) * fn->frac[i];
        fn->m2[i] += g2 * v * v;
    }
    fn->any = 1;
}

void sw_fn_hop(sw_filtnoise *fn)
{
    const int H = fn->hop;
    for (int i = 0; i < H; i++) fn->u[i] = 2.0f * sw_rng_uniform(&fn->rng) - 1.0f;
    if (!fn->any) {
        /* no magnitude anywhere: the frame adds nothing, so skip both FFTs; keep the noise
         * history moving so the next frames see the same stream either way */
        const int N = 2 * H;
        float *h = fn->ch.hist, *o = fn->ch.ola;
        memmove(h, h + H, sizeof(float) * (size_t)(N - H));
        memcpy(h + N - H, fn->u, sizeof(float) * (size_t)H);
        memcpy(fn->out, o, sizeof(float) * (size_t)H);
        memmove(o, o + H, sizeof(float) * (size_t)H);
        memset(o + H, 0, sizeof(float) * (size_t)H);
        return;
    }
    sw_stft_analyze(&fn->st, &fn->ch, fn->u, fn->spec);
    for (int i = 0; i < fn->n_bins; i++) {
        const float g = i < fn->n_live ? sqrtf(fn->m2[i]) : 0.0f;
        fn->spec[i][0] *= g;
        fn->spec[i][1] *= g;
    }
    sw_stft_synthesize(&fn->st, &fn->ch, fn->spec, fn->out);
}
