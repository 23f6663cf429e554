/* deepfilter.c — the complex filter of the lowest bins over past frames (deepfilter.h). */
#include "deepfilter.h"

#include <stdlib.h>
#include <string.h>

int swi_df_build(sw_deepfilter *df, int bins, int apply_bins, int order, int channels)
{
    memset(df, 0, sizeof *df);
    if (bins < 1 || apply_bins < 0 || apply_bins > bins || order < 1 || order > SW_DF_MAX_ORDER ||
        channels < 1 || channels > SW_DF_MAX_CH)
        return -1;
    df->bins = bins;
    df->apply_bins = apply_bins;
    df->order = order;
    df->channels = channels;
    for (int c = 0; c < channels; c++) {
        df->hist[c] = calloc((size_t)(order + 1) * (size_t)bins * 2, sizeof(float));
        if (!df->hist[c]) goto nomem;
    }
    df->coef = calloc((size_t)order * (size_t)(apply_bins > 0 ? apply_bins : 1) * 2, sizeof(float));
    if (!df->coef) goto nomem;
    return 0;
nomem:
    swi_df_free(df);
    return -1;
}

void swi_df_free(sw_deepfilter *df)
{
    if (!df) return;
    for (int c = 0; c < SW_DF_MAX_CH; c++) free(df->hist[c]);
    free(df->coef);
    memset(df, 0, sizeof *df);
}

void swi_df_reset(sw_deepfilter *df)
{
    const size_t n = (size_t)(df->order + 1) * (size_t)df->bins * 2;
    for (int c = 0; c < df->channels; c++) memset(df->hist[c], 0, sizeof(float) * n);
    df->head = 0;
}

void swi_df_next(sw_deepfilter *df)
{
    df->head = (df->head == df->order) ? 0 : df->head + 1;
    const size_t n = (size_t)df->bins * 2;
    for (int c = 0; c < df->channels; c++) memset(df->hist[c] + (size_t)df->head * n, 0, sizeof(float) * n);
}

void swi_df_store(sw_deepfilter *df, int c, const fftwf_complex *spec)
{
    float *h = df->hist[c] + (size_t)df->head * (size_t)df->bins * 2;
    for (int k = 0; k < df->bins; k++) {
        h[2 * k] = spec[k][0];
        h[2 * k + 1] = spec[k][1];
    }
}

const float *swi_df_frame(const sw_deepfilter *df, int c, int lag)
{
    int slot = df->head - lag;
    if (slot < 0) slot += df->order + 1;
    return df->hist[c] + (size_t)slot * (size_t)df->bins * 2;
}

void swi_df_apply(const sw_deepfilter *df, int c, fftwf_complex *spec, float s)
{
    const int B = df->apply_bins;
    for (int i = 0; i < df->order; i++) {
        const float *x = swi_df_frame(df, c, i);
        const float *cf = df->coef + (size_t)i * (size_t)B * 2;
        for (int k = 0; k < B; k++) {
            /* (c_re + i c_im)(x_re + i x_im), scaled by s */
            const float re = cf[2 * k] * x[2 * k] - cf[2 * k + 1] * x[2 * k + 1];
            const float im = cf[2 * k] * x[2 * k + 1] + cf[2 * k + 1] * x[2 * k];
            spec[k][0] += s * re;
            spec[k][1] += s * im;
        }
    }
}
