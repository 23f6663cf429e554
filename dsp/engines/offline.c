/* offline.c — sw_offline_denoiser: whole-signal, time-aligned denoising at any rate and
 * channel count (see offline.h; public API in dsp/statewave.h). */
#include "offline.h"
#include "core.h"

#include <stdlib.h>
#include <string.h>

static void out_write(sw_offline_denoiser *o, const float *x, long n)
{
    if (o->failed || n <= 0 || o->written >= o->target)
        return;
    uint64_t want = (uint64_t)n < o->target - o->written ? (uint64_t)n : o->target - o->written;
    if (o->write(o->user, x, (size_t)want) != 0) {
        o->failed = sw_fail(o->err, o->errlen, SW_ERR_IO, "the output stopped");
        return;
    }
    o->written += want;
}

/* One stage through converter `rs`: the interleaved frames x[0..n) in SW_OFFLINE_RS_BLOCK
 * pieces into `outbuf`, each piece handed to `next`. */
static void stage_resample(sw_offline_denoiser *o, sw_resampler *rs, float *outbuf, const float *x, long n,
                           void (*next)(sw_offline_denoiser *, const float *, long))
{
    while (!o->failed) {
        size_t used, made;
        if (sw_resampler_process(rs, x, (size_t)n, outbuf, SW_OFFLINE_RS_BLOCK, &used, &made) != SW_OK) {
            o->failed = sw_fail(o->err, o->errlen, SW_ERR_ARG, "resampler error: %s", sw_resampler_error(rs));
            return;
        }
        x += used * (size_t)o->channels;
        n -= (long)used;
        next(o, outbuf, (long)made);
        if ((n <= 0 && made == 0) || (used == 0 && made == 0))
            break;
    }
}

/* Denoiser output (interleaved, work rate) after the latency trim -> back to the input rate. */
static void stage_down(sw_offline_denoiser *o, const float *x, long n)
{
    if (!o->down)
        out_write(o, x, n);
    else
        stage_resample(o, o->down, o->downbuf, x, n, out_write);
}

/* Interleaved work-rate audio -> denoisers -> trim -> stage_down. */
static void stage_work(sw_offline_denoiser *o, const float *x, long n)
{
    const int C = o->channels;
    while (n > 0 && !o->failed) {
        long m = n < SW_OFFLINE_DN_BLOCK ? n : SW_OFFLINE_DN_BLOCK;
        for (long i = 0; i < m; i++)
            for (int c = 0; c < C; c++)
                o->plane[c][i] = x[i * C + c];
        for (int k = 0; k < o->n_dn; k++) {
            float *const *pl = o->plane + 2 * k;
            sw_denoiser_process(o->dn[k], (const float *const *)pl, pl, (size_t)m);
        }
        long skip = o->to_trim < m ? o->to_trim : m;
        o->to_trim -= skip;
        long keep = m - skip;
        for (long i = 0; i < keep; i++)
            for (int c = 0; c < C; c++)
                o->ibuf[i * C + c] = o->plane[c][skip + i];
        stage_down(o, o->ibuf, keep);
        x += m * C;
        n -= m;
    }
}

/* Interleaved input-rate audio -> [up-converter] -> stage_work. */
static void stage_in(sw_offline_denoiser *o, const float *x, long n)
{
    if (!o->up)
        stage_work(o, x, n);
    else
        stage_resample(o, o->up, o->upbuf, x, n, stage_work);
}

void sw_offline_denoiser_destroy(sw_offline_denoiser *o)
{
    if (!o)
        return;
    if (o->dn)
        for (int k = 0; k < o->n_dn; k++)
            sw_denoiser_destroy(o->dn[k]);
    free(o->dn);
    if (o->plane)
        for (int c = 0; c < o->channels; c++)
            free(o->plane[c]);
    free(o->plane);
    SWI_FREE_EACH(o->ibuf, o->upbuf, o->downbuf, o->zeros);
    sw_resampler_destroy(o->up);
    sw_resampler_destroy(o->down);
    free(o);
}

sw_status sw_offline_denoiser_create(const sw_model *model, int rate, int channels, float mix, float limit_db,
                                     sw_offline_denoiser **out, char *err, size_t errlen)
{
    *out = NULL;
    if (rate < 1 || channels < 1)
        return sw_fail(err, errlen, SW_ERR_ARG, "%d Hz, %d channel(s)", rate, channels);
    sw_offline_denoiser *o = calloc(1, sizeof *o);
    if (!o)
        return sw_fail(err, errlen, SW_ERR_NOMEM, "out of memory");
    const int C = channels;
    sw_status st = SW_OK;
    o->channels = C;
    o->rate = rate;
    o->work_rate = rate;
    if (rate < SW_DENOISE_MIN_RATE)
        o->work_rate = (int)SW_DENOISE_MIN_RATE;
    else if (rate > SW_DENOISE_MAX_RATE)
        o->work_rate = (int)SW_DENOISE_MAX_RATE;
    o->ratio = (double)o->work_rate / (double)rate;
    if (o->work_rate != rate && !sw_resample_ratio_ok(o->ratio)) {
        st = sw_fail(err, errlen, SW_ERR_ARG, "sample rate %d Hz is too far outside %g..%g Hz to resample", rate,
                     SW_DENOISE_MIN_RATE, SW_DENOISE_MAX_RATE);
        goto fail;
    }
    o->n_dn = (C + 1) / 2;
    o->dn = calloc((size_t)o->n_dn, sizeof *o->dn);
    o->plane = calloc((size_t)C, sizeof *o->plane);
    o->ibuf = malloc(sizeof(float) * SW_OFFLINE_DN_BLOCK * (size_t)C);
    o->zeros = calloc((size_t)SW_OFFLINE_FLUSH * (size_t)C, sizeof(float));
    if (!o->dn || !o->plane || !o->ibuf || !o->zeros)
        goto nomem;
    for (int c = 0; c < C; c++)
        if (!(o->plane[c] = malloc(sizeof(float) * SW_OFFLINE_DN_BLOCK)))
            goto nomem;
    for (int k = 0; k < o->n_dn; k++) {
        int ch = (C - 2 * k) >= 2 ? 2 : 1;
        char e[256];
        st = sw_denoiser_create(model, o->work_rate, ch, &o->dn[k], e, sizeof e);
        if (st != SW_OK) {
            sw_fail(err, errlen, st, "cannot create the denoiser (%d Hz, %d ch): %s: %s", o->work_rate, ch,
                    sw_status_str(st), e);
            goto fail;
        }
        sw_denoiser_set_mix(o->dn[k], mix);
        sw_denoiser_set_limit_db(o->dn[k], limit_db);
        sw_denoiser_reset(o->dn[k]); /* parameters jump to their targets: no ramp at t=0 */
    }
    o->latency = sw_denoiser_latency(o->dn[0]);
    o->to_trim = o->latency;
    if (o->work_rate != rate) {
        /* Below 8 kHz the whole band matters: best sinc (97% bandwidth). Above 192 kHz only
         * content far above hearing is near the band edge: medium sinc is 3x faster. */
        sw_resample_quality q = rate < o->work_rate ? SW_RESAMPLE_BEST : SW_RESAMPLE_MEDIUM;
        char e[256];
        st = sw_resampler_create(o->ratio, C, q, &o->up, e, sizeof e);
        if (st == SW_OK)
            st = sw_resampler_create(1.0 / o->ratio, C, q, &o->down, e, sizeof e);
        if (st != SW_OK) {
            sw_fail(err, errlen, st, "cannot create resampler: %s", e);
            goto fail;
        }
        o->upbuf = malloc(sizeof(float) * SW_OFFLINE_RS_BLOCK * (size_t)C);
        o->downbuf = malloc(sizeof(float) * SW_OFFLINE_RS_BLOCK * (size_t)C);
        if (!o->upbuf || !o->downbuf)
            goto nomem;
    }
    *out = o;
    return SW_OK;
nomem:
    st = sw_fail(err, errlen, SW_ERR_NOMEM, "out of memory");
fail:
    sw_offline_denoiser_destroy(o);
    return st;
}

int sw_offline_denoiser_work_rate(const sw_offline_denoiser *o)
{
    return o->work_rate;
}

/* Run `n` frames of x through the stages with the caller's write function and message buffer. */
static sw_status run(sw_offline_denoiser *o, const float *x, long n, sw_offline_write_fn write, void *user,
                     char *err, size_t errlen)
{
    o->write = write;
    o->user = user;
    o->err = err;
    o->errlen = errlen;
    stage_in(o, x, n);
    return o->failed;
}

sw_status sw_offline_denoiser_process(sw_offline_denoiser *o, const float *x, size_t n, sw_offline_write_fn write,
                                      void *user, char *err, size_t errlen)
{
    if (o->failed)
        return sw_fail(err, errlen, o->failed, "an earlier call failed");
    o->target += n;
    return run(o, x, (long)n, write, user, err, errlen);
}

sw_status sw_offline_denoiser_finish(sw_offline_denoiser *o, sw_offline_write_fn write, void *user, char *err,
                                     size_t errlen)
{
    if (o->failed)
        return sw_fail(err, errlen, o->failed, "an earlier call failed");
    /* Zeros through the whole chain until the output is as long as the input. Without
     * resampling this is exactly L frames; with it, also the converters' delay. The bound only
     * guards against a broken stage looping forever. */
    long fed = 0;
    const long bound = (long)((o->latency + 4 * SW_OFFLINE_RS_BLOCK) / o->ratio) + 4 * SW_OFFLINE_FLUSH;
    while (o->written < o->target && !o->failed) {
        if (fed > bound)
            return o->failed = sw_fail(err, errlen, SW_ERR_ARG, "internal error: pipeline did not drain");
        long need = (long)(o->target - o->written);
        long m = o->up ? SW_OFFLINE_FLUSH : (need < SW_OFFLINE_FLUSH ? need : SW_OFFLINE_FLUSH);
        if (!o->up && o->to_trim > 0) /* exactly L zeros when there is no resampler */
            m = o->to_trim + need < SW_OFFLINE_FLUSH ? o->to_trim + need : SW_OFFLINE_FLUSH;
        run(o, o->zeros, m, write, user, err, errlen);
        fed += m;
    }
    return o->failed;
}

/* ------------------------------------------------------------ offline transfer -- */

sw_status sw_offline_transfer_create(sw_transfer *t, int channels, sw_offline_transfer **out, char *err,
                                     size_t errlen)
{
    *out = NULL;
    if (!t || channels < 1)
        return sw_fail(err, errlen, SW_ERR_ARG, "no engine or %d channel(s)", channels);
    sw_offline_transfer *o = calloc(1, sizeof *o);
    if (!o)
        return sw_fail(err, errlen, SW_ERR_NOMEM, "out of memory");
    o->tr = t;
    o->channels = channels;
    o->latency = (size_t)sw_transfer_latency(t);
    o->H = o->latency + 1;
    o->hist = calloc(o->H, sizeof(float));
    o->mono = malloc(sizeof(float) * SW_OFFLINE_TR_BLOCK);
    if (!o->hist || !o->mono) {
        sw_offline_transfer_destroy(o);
        return sw_fail(err, errlen, SW_ERR_NOMEM, "out of memory");
    }
    *out = o;
    return SW_OK;
}

void sw_offline_transfer_destroy(sw_offline_transfer *o)
{
    if (!o)
        return;
    free(o->hist);
    free(o->mono);
    free(o);
}

/* o->mono[0..m) through the engine; output index range [fed, fed + m) -> keep
 * [latency, latency + n_in). */
static sw_status transfer_run(sw_offline_transfer *o, size_t m, sw_offline_write_fn write, void *user,
                              char *err, size_t errlen)
{
    sw_transfer_process(o->tr, o->mono, o->mono, m);
    const uint64_t end = o->latency + o->n_in;
    size_t lo = o->fed < o->latency ? (size_t)(o->latency - o->fed) : 0, hi = m;
    if (o->fed + hi > end)
        hi = end > o->fed ? (size_t)(end - o->fed) : 0;
    o->fed += m;
    if (hi > lo) {
        if (write(user, o->mono + lo, hi - lo) != 0)
            return sw_fail(err, errlen, SW_ERR_IO, "the output stopped");
        o->written += hi - lo;
    }
    return SW_OK;
}

sw_status sw_offline_transfer_process(sw_offline_transfer *o, const float *x, size_t n, sw_offline_write_fn write,
                                      void *user, char *err, size_t errlen)
{
    const int C = o->channels;
    while (n > 0) {
        size_t m = n < SW_OFFLINE_TR_BLOCK ? n : SW_OFFLINE_TR_BLOCK;
        for (size_t i = 0; i < m; i++) {
            float s = 0.0f;
            for (int ch = 0; ch < C; ch++)
                s += x[i * (size_t)C + (size_t)ch];
            o->mono[i] = s / (float)C;
            o->hist[o->hw] = o->mono[i];
            o->hw = o->hw + 1 == o->H ? 0 : o->hw + 1;
        }
        o->n_in += m;
        sw_status st = transfer_run(o, m, write, user, err, errlen);
        if (st != SW_OK)
            return st;
        x += m * (size_t)C;
        n -= m;
    }
    return SW_OK;
}

sw_status sw_offline_transfer_finish(sw_offline_transfer *o, sw_offline_write_fn write, void *user, char *err,
                                     size_t errlen)
{
    const size_t H = o->H;
    while (o->written < o->n_in) {
        const float last = o->hist[(o->hw + H - 1) % H];
        for (size_t i = 0; i < SW_OFFLINE_TR_BLOCK; i++, o->flushed++) {
            const uint64_t back = o->flushed + 1; /* x[end - back] */
            o->mono[i] = back < H && back < o->n_in ? 2.0f * last - o->hist[(o->hw + H - 1 - back) % H] : last;
        }
        sw_status st = transfer_run(o, SW_OFFLINE_TR_BLOCK, write, user, err, errlen);
        if (st != SW_OK)
            return st;
    }
    return SW_OK;
}

uint64_t sw_offline_transfer_fed(const sw_offline_transfer *o)
{
    return o->fed;
}
