/* gen_stream.c — sw_gen_stream (see gen_stream.h; public API in dsp/statewave.h). */
#include "gen_stream.h"
#include "core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Converter model rate -> host rate (the plugin's and `statewave generate --live`'s). The model's
 * audio is 8-bit mu-law, so any sinc converter is far cleaner than the signal; the medium
 * one keeps 90% of the 8 kHz band (the fastest 80%) and costs 0.7% of one core for 48 kHz
 * output (fastest 0.3%, the generator itself about 40%). Its filter delays the sound by
 * about 3 ms. */
#define GEN_STREAM_QUALITY SW_RESAMPLE_MEDIUM

sw_status sw_gen_stream_create(sw_generator *g, double rate, sw_gen_stream **out, char *err, size_t errlen)
{
    *out = NULL;
    sw_gen_stream *s = calloc(1, sizeof *s);
    if (!s)
        return sw_fail(err, errlen, SW_ERR_NOMEM, "out of memory");
    const int model_rate = sw_generator_sample_rate(g);
    s->gen = g;
    s->ratio = rate / model_rate;
    if (rate != (double)model_rate) {
        char msg[256] = "";
        sw_status st = SW_ERR_ARG;
        if (!sw_resample_ratio_ok(s->ratio) ||
            (st = sw_resampler_create(s->ratio, 1, GEN_STREAM_QUALITY, &s->src, msg, sizeof msg)) != SW_OK) {
            free(s);
            return sw_fail(err, errlen, st, "cannot resample %d Hz to %.0f Hz: %s", model_rate, rate,
                           msg[0] ? msg : "ratio out of range");
        }
    }
    /* Run both once, so that the first block of the first phrase does not pay for first-touch
     * page faults of freshly allocated state (5-8x slower first callbacks without this). */
    float tmp[1024];
    size_t used, made;
    sw_generator_render(g, s->fifo, SW_GEN_STREAM_CHUNK);
    if (s->src) {
        sw_resampler_process(s->src, s->fifo, SW_GEN_STREAM_CHUNK, tmp, 1024, &used, &made);
        sw_resampler_reset(s->src);
    }
    sw_generator_reset(g);
    memset(s->fifo, 0, sizeof s->fifo);
    *out = s;
    return SW_OK;
}

void sw_gen_stream_destroy(sw_gen_stream *s)
{
    if (!s)
        return;
    sw_resampler_destroy(s->src);
    free(s);
}

void sw_gen_stream_reset(sw_gen_stream *s)
{
    if (s->src)
        sw_resampler_reset(s->src);
    s->fifo_pos = s->fifo_len = 0;
    s->rendered = 0;
}

uint64_t sw_gen_stream_rendered(const sw_gen_stream *s)
{
    return s->rendered;
}

uint32_t sw_gen_stream_render(sw_gen_stream *s, float *out, uint32_t n)
{
    uint32_t done = 0;
    while (done < n) {
        if (s->fifo_pos >= s->fifo_len) {
            /* about as many model samples as the rest of the block needs (the converter
             * also keeps a few in its filter: the loop renders again if it asks for more) */
            double want = ceil((double)(n - done) / s->ratio);
            int k = want < 1.0 ? 1 : want > SW_GEN_STREAM_CHUNK ? SW_GEN_STREAM_CHUNK : (int)want;
            sw_generator_render(s->gen, s->fifo, (size_t)k);
            s->fifo_pos = 0;
            s->fifo_len = k;
            s->rendered += (uint64_t)k;
        }
        int avail = s->fifo_len - s->fifo_pos;
        if (!s->src) { /* at the model rate: the rendered samples are the output */
            uint32_t m = (uint32_t)avail < n - done ? (uint32_t)avail : n - done;
            memcpy(out + done, s->fifo + s->fifo_pos, m * sizeof(float));
            s->fifo_pos += (int)m;
            done += m;
            continue;
        }
        size_t used, made;
        if (sw_resampler_process(s->src, s->fifo + s->fifo_pos, (size_t)avail, out + done, n - done, &used,
                                 &made) != SW_OK || (used == 0 && made == 0)) {
            /* cannot happen with a valid ratio and non-empty buffers; never spin here */
            memset(out + done, 0, (n - done) * sizeof(float));
            return done;
        }
        s->fifo_pos += (int)used;
        done += (uint32_t)made;
    }
    return n;
}
