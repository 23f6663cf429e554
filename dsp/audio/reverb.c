/* reverb.c — uniformly partitioned convolution reverb (see reverb.h). */
#include "reverb.h"
#include "core.h"
#include "stft.h"       /* sw_fftw_plan_lock, swi_fftw_destroy_plans */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RT60_S 1.8
#define PREDELAY_S 0.012
#define FLOOR_REL 1e-6      /* user IR: leading samples below this (relative to the peak) are silence */

static void free_ir(sw_reverb *r)
{
    SWI_FREE_EACH(r->h_re, r->h_im, r->x_re, r->x_im);
    r->h_re = r->h_im = r->x_re = r->x_im = NULL;
    r->parts = 0;
}

void sw_reverb_free(sw_reverb *r)
{
    if (!r) return;
    swi_fftw_destroy_plans(r->fwd, r->inv);
    free_ir(r);
    fftwf_free(r->tbuf);
    fftwf_free(r->spec);
    SWI_FREE_EACH(r->acc_re, r->acc_im, r->in_blk, r->out_blk, r->hist);
    memset(r, 0, sizeof *r);
}

/* Partition spectra of h[len] (already advanced and normalised) into freshly allocated arrays;
 * on success they replace r's. The delay line is cleared. */
static int load_ir(sw_reverb *r, const float *h, size_t len)
{
    const int P = r->P;
    const size_t parts = (len + (size_t)P - 1) / (size_t)P;
    const size_t sz = parts * (size_t)r->nbp;
    float *hr = sw_calloc_aligned(sz, sizeof(float)), *hi = sw_calloc_aligned(sz, sizeof(float));
    float *xr = sw_calloc_aligned(sz, sizeof(float)), *xi = sw_calloc_aligned(sz, sizeof(float));
    if (!hr || !hi || !xr || !xi) {
        sw_free(hr); sw_free(hi); sw_free(xr); sw_free(xi);
        return -1;
    }
    const float scale = 1.0f / (float)(2 * P);         /* FFTW's c2r is unnormalised */
    for (size_t p = 0; p < parts; p++) {
        memset(r->tbuf, 0, sizeof(float) * 2 * (size_t)P);
        size_t n = len - p * (size_t)P;
        if (n > (size_t)P) n = (size_t)P;
        memcpy(r->tbuf, h + p * (size_t)P, sizeof(float) * n);
        fftwf_execute_dft_r2c(r->fwd, r->tbuf, r->spec);
        for (int b = 0; b < r->nbins; b++) {
            hr[p * (size_t)r->nbp + (size_t)b] = r->spec[b][0] * scale;
            hi[p * (size_t)r->nbp + (size_t)b] = r->spec[b][1] * scale;
        }
    }
    free_ir(r);
    r->h_re = hr;
    r->h_im = hi;
    r->x_re = xr;
    r->x_im = xi;
    r->parts = (int)parts;
    sw_reverb_reset(r);
    return 0;
}

int sw_reverb_build(sw_reverb *r, double rate)
{
    memset(r, 0, sizeof *r);
    if (!(rate >= 1000.0 && rate <= 1e6)) return -1;
    r->rate = rate;
    int P = 16;
    while (2.0 * P <= PREDELAY_S * rate) P *= 2;        /* largest power of two <= 12 ms */
    r->P = P;
    r->nbins = P + 1;
    r->nbp = (r->nbins + 15) & ~15;
    r->acc_re = sw_calloc_aligned((size_t)r->nbp, sizeof(float));
    r->acc_im = sw_calloc_aligned((size_t)r->nbp, sizeof(float));
    r->tbuf = fftwf_malloc(sizeof(float) * 2 * (size_t)P);
    r->spec = fftwf_malloc(sizeof(fftwf_complex) * (size_t)r->nbins);
    r->in_blk = calloc((size_t)P, sizeof(float));
    r->out_blk = calloc((size_t)P, sizeof(float));
    r->hist = calloc(2 * (size_t)P, sizeof(float));
    if (!r->acc_re || !r->acc_im || !r->tbuf || !r->spec || !r->in_blk || !r->out_blk || !r->hist) {
        sw_reverb_free(r);
        return -1;
    }
    sw_fftw_plan_lock();
    r->fwd = fftwf_plan_dft_r2c_1d(2 * P, r->tbuf, r->spec, FFTW_ESTIMATE);
    r->inv = fftwf_plan_dft_c2r_1d(2 * P, r->spec, r->tbuf, FFTW_ESTIMATE);
    sw_fftw_plan_unlock();
    if (!r->fwd || !r->inv) {
        sw_reverb_free(r);
        return -1;
    }

    /* Built-in IR: 12 ms of silence, then uniform noise through a one-pole low-pass (a darker
     * tail) under an exponential envelope reaching -60 dB at RT60. Deterministic (fixed seed). */
    const size_t pre = (size_t)lround(PREDELAY_S * rate), tail = (size_t)lround(RT60_S * rate);
    const size_t len = pre + tail;
    float *h = malloc(sizeof(float) * len);
    if (!h) {
        sw_reverb_free(r);
        return -1;
    }
    uint64_t s = 0x5EED5EED12345678ull;
    double lp = 0.0, energy = 0.0;
    const double k = log(1000.0) / (RT60_S * rate);   /* amplitude -60 dB at RT60 */
    for (size_t n = 0; n < len; n++) {
        if (n < pre) { h[n] = 0.0f; continue; }
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;        /* xorshift64 */
        const double u = (double)(s >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0;
        lp = 0.55 * lp + 0.45 * u;
        const double v = lp * exp(-k * (double)(n - pre));
        h[n] = (float)v;
        energy += v * v;
    }
    const float g = (float)(1.0 / sqrt(energy));
    for (size_t n = pre; n < len; n++) h[n] *= g;
    /* pre >= P: drop the first P (zero) samples to make up for the one-block lag */
    const int rc = load_ir(r, h + P, len - (size_t)P);
    free(h);
    if (rc != 0) {
        sw_reverb_free(r);
        return -1;
    }
    return 0;
}

int sw_reverb_set_ir(sw_reverb *r, const float *ir, size_t n, double ir_rate)
{
    if (!r || !ir || n == 0 || !(ir_rate >= 1000.0 && ir_rate <= 1e6)) return -1;
    if ((double)n > SW_REVERB_MAX_SECONDS * ir_rate) return -1;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(ir[i])) return -1;
    /* resample (linear interpolation) to the reverb's rate */
    const double ratio = ir_rate / r->rate;
    size_t len = (size_t)floor((double)(n - 1) / ratio) + 1;
    if (len < 1) len = 1;
    float *h = malloc(sizeof(float) * len);
    if (!h) return -1;
    double peak = 0.0, energy = 0.0;
    for (size_t i = 0; i < len; i++) {
        double x = (double)i * ratio;
        size_t j = (size_t)x;
        if (j >= n - 1) h[i] = ir[n - 1];
        else {
            const double t = x - (double)j;
            h[i] = (float)((1.0 - t) * ir[j] + t * ir[j + 1]);
        }
        const double a = fabs((double)h[i]);
        if (a > peak) peak = a;
        energy += (double)h[i] * h[i];
    }
    if (!(energy > 0.0)) {
        free(h);
        return -1;
    }
    size_t lead = 0;
    while (lead < len - 1 && lead < (size_t)r->P && fabs((double)h[lead]) <= FLOOR_REL * peak) lead++;
    const float g = (float)(1.0 / sqrt(energy));
    for (size_t i = 0; i < len; i++) h[i] *= g;
    const int rc = load_ir(r, h + lead, len - lead);
    free(h);
    return rc;
}

void sw_reverb_reset(sw_reverb *r)
{
    const size_t sz = (size_t)r->parts * (size_t)r->nbp;
    if (r->x_re) memset(r->x_re, 0, sizeof(float) * sz);
    if (r->x_im) memset(r->x_im, 0, sizeof(float) * sz);
    memset(r->in_blk, 0, sizeof(float) * (size_t)r->P);
    memset(r->out_blk, 0, sizeof(float) * (size_t)r->P);
    memset(r->hist, 0, sizeof(float) * 2 * (size_t)r->P);
    r->pos = 0;
    r->fill = 0;
    r->silent_blocks = r->parts + 1;                  /* the delay line is all zero */
}

/* One complete input block: new spectrum into the delay line, output block from all of it. */
static void block(sw_reverb *r)
{
    const int P = r->P, nbp = r->nbp, parts = r->parts;
    int silent = 1;
    for (int i = 0; i < P; i++)
        if (r->in_blk[i] != 0.0f) { silent = 0; break; }
    r->silent_blocks = silent ? (r->silent_blocks <= parts ? r->silent_blocks + 1 : parts + 1) : 0;
    memmove(r->hist, r->hist + P, sizeof(float) * (size_t)P);
    memcpy(r->hist + P, r->in_blk, sizeof(float) * (size_t)P);
    r->pos = (r->pos + 1) % parts;
    float *xr = r->x_re + (size_t)r->pos * (size_t)nbp, *xi = r->x_im + (size_t)r->pos * (size_t)nbp;
    if (r->silent_blocks > parts) {
        /* the last parts + 1 blocks were all zero: every spectrum in the line is zero */
        memset(xr, 0, sizeof(float) * (size_t)nbp);
        memset(xi, 0, sizeof(float) * (size_t)nbp);
        memset(r->out_blk, 0, sizeof(float) * (size_t)P);
        return;
    }
    memcpy(r->tbuf, r->hist, sizeof(float) * 2 * (size_t)P);
    fftwf_execute_dft_r2c(r->fwd, r->tbuf, r->spec);
    for (int b = 0; b < r->nbins; b++) {
        xr[b] = r->spec[b][0];
        xi[b] = r->spec[b][1];
    }
    float *restrict ar = r->acc_re, *restrict ai = r->acc_im;
    memset(ar, 0, sizeof(float) * (size_t)nbp);
    memset(ai, 0, sizeof(float) * (size_t)nbp);
    for (int p = 0; p < parts; p++) {
        int slot = r->pos - p;
        if (slot < 0) slot += parts;
        const float *restrict hr = r->h_re + (size_t)p * (size_t)nbp, *restrict hi = r->h_im + (size_t)p * (size_t)nbp;
        const float *restrict sr = r->x_re + (size_t)slot * (size_t)nbp, *restrict si = r->x_im + (size_t)slot * (size_t)nbp;
        for (int b = 0; b < nbp; b++) {
            ar[b] += hr[b] * sr[b] - hi[b] * si[b];
            ai[b] += hr[b] * si[b] + hi[b] * sr[b];
        }
    }
    for (int b = 0; b < r->nbins; b++) {
        r->spec[b][0] = ar[b];
        r->spec[b][1] = ai[b];
    }
    fftwf_execute_dft_c2r(r->inv, r->spec, r->tbuf);
    memcpy(r->out_blk, r->tbuf + P, sizeof(float) * (size_t)P);
}

void sw_reverb_process(sw_reverb *r, const float *in, float *wet, int n)
{
    int i = 0;
    while (i < n) {
        int m = r->P - r->fill;
        if (m > n - i) m = n - i;
        for (int j = 0; j < m; j++) {
            const float x = in[i + j];                 /* read before writing: in may alias wet */
            wet[i + j] = r->out_blk[r->fill + j];
            r->in_blk[r->fill + j] = x;
        }
        r->fill += m;
        i += m;
        if (r->fill == r->P) {
            block(r);
            r->fill = 0;
        }
    }
}
