/* denoise_util.h — helpers shared by tests/unit/test_denoise*.c and tools/denoise_{devset,longrun}.c:
 * load the model, read audio with libsndfile (planar float), run a denoiser over a whole signal with the
 * latency compensated, SI-SDR exactly as the dev set's BASELINE.md defines it.
 * Header-only (static functions), so each binary stays one translation unit. */
#ifndef SW_TEST_DENOISE_UTIL_H
#define SW_TEST_DENOISE_UTIL_H

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "statewave.h"

#define DU_FN static __attribute__((unused))

/* Repo-relative paths work when run from the repo root (make test-c does). */
#define DU_MODEL_PATH "presets/denoise.safetensors"
#define DU_DEVSET_DIR "../shared/data/devset"

typedef struct {
    int rate;        /* Hz */
    int channels;    /* 1.. */
    size_t frames;   /* samples per channel */
    float **ch;      /* [channels][frames], owned */
} du_audio;

DU_FN void du_audio_free(du_audio *a)
{
    if (!a || !a->ch) return;
    for (int c = 0; c < a->channels; c++) free(a->ch[c]);
    free(a->ch);
    a->ch = NULL;
}

/* The model file at path, or NULL after printing why ("model: ..."). */
DU_FN sw_model *du_load_model(const char *path)
{
    char err[512];
    sw_model *m = NULL;
    if (sw_model_load_file(path, &m, err, sizeof err) != SW_OK) {
        fprintf(stderr, "model: %s\n", err);
        return NULL;
    }
    return m;
}

/* Returns 0 on success. */
DU_FN int du_read(const char *path, du_audio *a)
{
    memset(a, 0, sizeof *a);
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) return -1;
    a->rate = info.samplerate;
    a->channels = info.channels;
    a->frames = (size_t)info.frames;
    float *il = malloc(sizeof(float) * a->frames * (size_t)a->channels + 1);
    a->ch = calloc((size_t)a->channels, sizeof(float *));
    if (!il || !a->ch) { free(il); sf_close(f); return -1; }
    sf_count_t got = sf_readf_float(f, il, (sf_count_t)a->frames);
    sf_close(f);
    a->frames = got > 0 ? (size_t)got : 0;
    for (int c = 0; c < a->channels; c++) {
        a->ch[c] = malloc(sizeof(float) * a->frames + 1);
        for (size_t i = 0; i < a->frames; i++) a->ch[c][i] = il[i * (size_t)a->channels + (size_t)c];
    }
    free(il);
    return 0;
}

DU_FN int du_write_mono(const char *path, const float *x, size_t n, int rate)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = rate;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) return -1;
    sf_writef_float(f, x, (sf_count_t)n);
    sf_close(f);
    return 0;
}

/* SI-SDR (dB) of estimate y against reference s (both mean-removed), BASELINE.md. */
DU_FN double du_si_sdr(const float *y, const float *s, size_t n)
{
    double my = 0, ms = 0;
    for (size_t i = 0; i < n; i++) { my += y[i]; ms += s[i]; }
    my /= (double)n;
    ms /= (double)n;
    double ys = 0, ss = 0;
    for (size_t i = 0; i < n; i++) {
        ys += (y[i] - my) * (s[i] - ms);
        ss += (s[i] - ms) * (s[i] - ms);
    }
    double a = ys / (ss + 1e-30), tt = 0, ee = 0;
    for (size_t i = 0; i < n; i++) {
        double t = a * (s[i] - ms), e = (y[i] - my) - t;
        tt += t * t;
        ee += e * e;
    }
    return 10.0 * log10((tt + 1e-30) / (ee + 1e-30));
}

DU_FN double du_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Denoises x[channels][n] into y[channels][n] (caller-allocated), latency-compensated:
 * the input is followed by `latency` zeros and the first `latency` output samples are
 * dropped, so y[t] corresponds to x[t]. Processes in blocks of `block` samples.
 * Returns the seconds spent inside sw_denoiser_process. */
DU_FN double du_denoise(sw_denoiser *d, int channels, float *const *x, float *const *y, size_t n, size_t block)
{
    const size_t L = (size_t)sw_denoiser_latency(d), total = n + L;
    float *ib[2], *ob[2];
    for (int c = 0; c < channels; c++) {
        ib[c] = malloc(sizeof(float) * block);
        ob[c] = malloc(sizeof(float) * block);
    }
    double spent = 0.0;
    for (size_t t0 = 0; t0 < total; t0 += block) {
        size_t m = total - t0 < block ? total - t0 : block;
        for (int c = 0; c < channels; c++)
            for (size_t i = 0; i < m; i++) ib[c][i] = (t0 + i < n) ? x[c][t0 + i] : 0.0f;
        double a = du_now();
        sw_denoiser_process(d, (const float *const *)ib, ob, m);
        spent += du_now() - a;
        for (int c = 0; c < channels; c++)
            for (size_t i = 0; i < m; i++) {
                size_t t = t0 + i;
                if (t >= L) y[c][t - L] = ob[c][i];
            }
    }
    for (int c = 0; c < channels; c++) { free(ib[c]); free(ob[c]); }
    return spent;
}

#endif
