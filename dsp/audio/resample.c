/* resample.c — sample-rate conversion (see resample.h; public API in dsp/statewave.h). */
#include "resample.h"
#include "core.h"

#include <math.h>
#include <stdlib.h>

static int converter(sw_resample_quality q)
{
    return q == SW_RESAMPLE_MEDIUM ? SRC_SINC_MEDIUM_QUALITY : SRC_SINC_BEST_QUALITY;
}

int sw_resample_ratio_ok(double ratio)
{
    return src_is_valid_ratio(ratio);
}

const char *sw_resample_name(sw_resample_quality q)
{
    return src_get_name(converter(q));
}

const char *sw_resample_version(void)
{
    return src_get_version();
}

sw_status sw_resampler_create(double ratio, int channels, sw_resample_quality q, sw_resampler **out,
                              char *err, size_t errlen)
{
    *out = NULL;
    if (!src_is_valid_ratio(ratio) || channels < 1)
        return sw_fail(err, errlen, SW_ERR_ARG, "cannot resample by %g with %d channel(s)", ratio, channels);
    sw_resampler *r = calloc(1, sizeof *r);
    if (!r)
        return sw_fail(err, errlen, SW_ERR_NOMEM, "out of memory");
    int e = 0;
    r->src = src_new(converter(q), channels, &e);
    if (!r->src) {
        free(r);
        return sw_fail(err, errlen, SW_ERR_NOMEM, "%s",
                       src_strerror(e));
    }
    src_reset(r->src); /* writes its buffers now, so a real-time caller does not page-fault them in */
    r->ratio = ratio;
    r->channels = channels;
    *out = r;
    return SW_OK;
}

void sw_resampler_destroy(sw_resampler *r)
{
    if (!r)
        return;
    src_delete(r->src);
    free(r);
}

sw_status sw_resampler_process(sw_resampler *r, const float *in, size_t n_in, float *out, size_t out_cap,
                               size_t *used, size_t *made)
{
    SRC_DATA d = { .data_in = in, .input_frames = (long)n_in, .data_out = out, .output_frames = (long)out_cap,
                   .end_of_input = 0, .src_ratio = r->ratio };
    int e = src_process(r->src, &d);
    *used = e ? 0 : (size_t)d.input_frames_used;
    *made = e ? 0 : (size_t)d.output_frames_gen;
    r->error = e ? src_strerror(e) : NULL;
    return e ? SW_ERR_ARG : SW_OK;
}

const char *sw_resampler_error(const sw_resampler *r)
{
    return r->error ? r->error : "no error";
}

void sw_resampler_reset(sw_resampler *r)
{
    src_reset(r->src);
    r->error = NULL;
}

sw_status sw_resample(const float *x, size_t n, double ratio, sw_resample_quality q, float **out,
                      size_t *n_out, char *err, size_t errlen)
{
    *out = NULL;
    *n_out = 0;
    if (!src_is_valid_ratio(ratio))
        return sw_fail(err, errlen, SW_ERR_ARG, "cannot resample by %g", ratio);
    size_t cap = (size_t)ceil((double)n * ratio) + 16;
    float *y = malloc(sizeof(float) * cap);
    if (!y)
        return sw_fail(err, errlen, SW_ERR_NOMEM, "out of memory");
    SRC_DATA d = { .data_in = x, .input_frames = (long)n, .data_out = y, .output_frames = (long)cap,
                   .src_ratio = ratio };
    int e = src_simple(&d, converter(q), 1);
    if (e) {
        free(y);
        return sw_fail(err, errlen, SW_ERR_ARG, "%s", src_strerror(e));
    }
    *out = y;
    *n_out = (size_t)d.output_frames_gen;
    return SW_OK;
}
