/* ramp.c — see ramp.h. Everything but sw_delay_create / sw_delay_destroy is [RT]. */
#include "ramp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

float sw_fade_gain(double p, double len)
{
    if (p <= 0.0)
        return 0.0f;
    if (p >= len)
        return 1.0f;
    return (float)(0.5 - 0.5 * cos(M_PI * p / len));
}

float sw_smooth_coef(double tau_s, double rate)
{
    return (float)(1.0 - exp(-1.0 / (tau_s * rate)));
}

void sw_crossfade(float *a, const float *b, uint32_t n, double pos, double len)
{
    for (uint32_t i = 0; i < n; i++) {
        float g = sw_fade_gain(pos + i, len);
        a[i] = a[i] + g * (b[i] - a[i]);
    }
}

uint32_t sw_level_fade_out(float *x, uint32_t n, float *g, float target, float coef, uint32_t *left,
                           uint32_t len)
{
    float v = *g;
    uint32_t end = n;
    for (uint32_t i = 0; i < n; i++) {
        v += coef * (target - v);
        if (end < n) {
            x[i] = 0.0f; /* past the end of the fade-out */
            continue;
        }
        float k = 1.0f;
        if (*left) {
            k = sw_fade_gain((double)*left, (double)len);
            if (--*left == 0)
                end = i;
        }
        x[i] *= v * k;
    }
    *g = v;
    return end;
}

void sw_level_env(float *x, uint32_t n, float *g, float target, float coef, uint32_t *pos, uint32_t len,
                  int open)
{
    float v = *g;
    uint32_t e = *pos;
    for (uint32_t i = 0; i < n; i++) {
        if (open) {
            if (e < len)
                e++;
        } else if (e > 0) {
            e--;
        }
        v += coef * (target - v);
        float env = e >= len ? 1.0f : sw_fade_gain((double)e, (double)len);
        x[i] *= env * v;
    }
    *g = v;
    *pos = e;
}

void sw_bypass_mix(float *out, const float *wet, const float *dry, uint32_t n, float *w, float w_target,
                   float step, float *g, float target, float coef)
{
    float wv = *w, v = *g;
    for (uint32_t i = 0; i < n; i++) {
        wv = wv < w_target ? fminf(wv + step, w_target) : fmaxf(wv - step, w_target);
        v += coef * (target - v);
        float ws = sw_fade_gain((double)wv, 1.0);
        out[i] = dry[i] + ws * (v * wet[i] - dry[i]);
    }
    *w = wv;
    *g = v;
}

sw_status sw_delay_create(int frames, sw_delay **out, char *err, size_t errlen)
{
    *out = NULL;
    if (frames < 0) {
        snprintf(err, errlen, "delay of %d frames", frames);
        return SW_ERR_ARG;
    }
    sw_delay *d = calloc(1, sizeof *d);
    if (!d || (frames > 0 && !(d->buf = calloc((size_t)frames, sizeof(float))))) {
        free(d);
        snprintf(err, errlen, "out of memory");
        return SW_ERR_NOMEM;
    }
    d->len = frames;
    *out = d;
    return SW_OK;
}

void sw_delay_destroy(sw_delay *d)
{
    if (!d)
        return;
    free(d->buf);
    free(d);
}

void sw_delay_reset(sw_delay *d)
{
    if (d->buf)
        memset(d->buf, 0, (size_t)d->len * sizeof(float));
    d->pos = 0;
}

void sw_delay_process(sw_delay *d, const float *in, float *out, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        float x = in[i];
        if (!isfinite(x))
            x = 0.0f;
        if (d->len > 0) {
            out[i] = d->buf[d->pos];
            d->buf[d->pos] = x;
            if (++d->pos == d->len)
                d->pos = 0;
        } else {
            out[i] = x;
        }
    }
}
