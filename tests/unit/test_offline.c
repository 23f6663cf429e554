/* test_offline.c — the library's support for the fronts (dsp/audio/resample.c, dsp/engines/offline.c):
 * the resampler's arguments and streaming, the offline denoiser's time alignment at a native
 * rate (dry mix: the output is the input, sample for sample, for any channel count and read
 * split) and through the converters (6 kHz and 250 kHz), a write function that stops, bad
 * arguments, and the offline transfer's length and finiteness. Run from the repo root
 * (make test-c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "statewave.h"

#define DENOISE_MODEL "presets/denoise.safetensors"
#define SYNTH_MODEL "tests/data/synth_test.safetensors"

/* A collecting write function: appends to buf (cap frames of ch channels); stops after
 * stop_after frames when that is set. */
typedef struct {
    float *buf;
    size_t cap, n;
    int ch;
    size_t stop_after;
    int calls;
} sink;

static int collect(void *user, const float *x, size_t frames)
{
    sink *s = user;
    s->calls++;
    if (s->stop_after && s->n + frames > s->stop_after)
        return -1;
    assert_true(s->n + frames <= s->cap);
    memcpy(s->buf + s->n * (size_t)s->ch, x, sizeof(float) * frames * (size_t)s->ch);
    s->n += frames;
    return 0;
}

/* x[n][ch]: a different tone per channel, band-limited below 1 kHz, with a slow envelope. */
static float *tones(size_t n, int ch, double rate)
{
    float *x = malloc(sizeof(float) * n * (size_t)ch);
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < ch; c++)
            x[i * (size_t)ch + (size_t)c] =
                (float)(0.3 * sin(2 * M_PI * (220.0 + 110.0 * c) * (double)i / rate) *
                        (0.6 + 0.4 * sin(2 * M_PI * 1.5 * (double)i / rate)));
    return x;
}

/* Feed x in reads of varying length, then finish; returns the sink's frames. */
static size_t run_denoiser(const sw_model *m, int rate, int ch, const float *x, size_t n, float mix, sink *s)
{
    char err[256];
    sw_offline_denoiser *o = NULL;
    assert_int_equal(sw_offline_denoiser_create(m, rate, ch, mix, 100.0f, &o, err, sizeof err), SW_OK);
    static const size_t reads[] = { 4096, 1, 333, 4096, 17, 2048, 1000 };
    size_t pos = 0;
    for (int k = 0; pos < n; k++) {
        size_t r = reads[k % 7] < n - pos ? reads[k % 7] : n - pos;
        assert_int_equal(sw_offline_denoiser_process(o, x + pos * (size_t)ch, r, collect, s, err, sizeof err), SW_OK);
        assert_true(s->n <= pos + r); /* never ahead of the input */
        pos += r;
    }
    assert_int_equal(sw_offline_denoiser_finish(o, collect, s, err, sizeof err), SW_OK);
    sw_offline_denoiser_destroy(o);
    return s->n;
}

static void test_resampler_args_and_streaming(void **state)
{
    (void)state;
    char err[256] = "";
    sw_resampler *r = NULL;
    assert_false(sw_resample_ratio_ok(1000.0));
    assert_true(sw_resample_ratio_ok(3.0));
    assert_int_equal(sw_resampler_create(1000.0, 1, SW_RESAMPLE_BEST, &r, err, sizeof err), SW_ERR_ARG);
    assert_null(r);
    assert_true(strlen(err) > 0);
    assert_int_equal(sw_resampler_create(2.0, 0, SW_RESAMPLE_BEST, &r, err, sizeof err), SW_ERR_ARG);
    sw_resampler_destroy(NULL);
    assert_non_null(strstr(sw_resample_name(SW_RESAMPLE_MEDIUM), "Medium"));
    assert_non_null(sw_resample_version());

    /* 16 kHz -> 48 kHz in uneven pieces: 3x the frames (less the converter's fill), a 440 Hz
     * tone keeps its level. */
    const size_t n = 16000;
    float *x = tones(n, 1, 16000.0), *y = malloc(sizeof(float) * 3 * n);
    assert_int_equal(sw_resampler_create(3.0, 1, SW_RESAMPLE_MEDIUM, &r, err, sizeof err), SW_OK);
    size_t pos = 0, made_total = 0;
    while (pos < n) {
        size_t used, made, want = n - pos < 777 ? n - pos : 777;
        assert_int_equal(sw_resampler_process(r, x + pos, want, y + made_total, 3 * n - made_total, &used, &made),
                         SW_OK);
        pos += used;
        made_total += made;
    }
    assert_true(made_total > 3 * n - 3 * 512 && made_total <= 3 * n);
    double sx = 0, sy = 0;
    for (size_t i = 0; i < n / 2; i++)
        sx += (double)x[n / 4 + i] * x[n / 4 + i];
    for (size_t i = 0; i < 3 * n / 2; i++)
        sy += (double)y[3 * n / 4 + i] * y[3 * n / 4 + i];
    assert_true(fabs(10 * log10((sy / 3) / sx)) < 0.1);
    sw_resampler_destroy(r);

    /* The whole-signal call: 3x the frames, to the rounding. */
    float *z = NULL;
    size_t nz = 0;
    assert_int_equal(sw_resample(x, n, 3.0, SW_RESAMPLE_BEST, &z, &nz, err, sizeof err), SW_OK);
    assert_true(nz + 2 >= 3 * n && nz <= 3 * n + 2);
    free(z);
    assert_int_equal(sw_resample(x, n, 1000.0, SW_RESAMPLE_BEST, &z, &nz, err, sizeof err), SW_ERR_ARG);
    assert_null(z);
    free(x);
    free(y);
}

static void test_offline_denoiser_dry_is_exact(void **state)
{
    (void)state;
    char err[256];
    sw_model *m = NULL;
    assert_int_equal(sw_model_load_file(DENOISE_MODEL, &m, err, sizeof err), SW_OK);
    for (int ch = 1; ch <= 3; ch++) {
        const size_t n = 48000 + 123;
        float *x = tones(n, ch, 48000.0);
        sink s = { .buf = malloc(sizeof(float) * n * (size_t)ch), .cap = n, .ch = ch };
        assert_int_equal(run_denoiser(m, 48000, ch, x, n, 0.0f, &s), n);
        /* dry mix: every channel's output is its input, time-aligned to the sample */
        assert_memory_equal(s.buf, x, sizeof(float) * n * (size_t)ch);
        free(s.buf);
        free(x);
    }
    sw_model_free(m);
}

static void test_offline_denoiser_converted_rates(void **state)
{
    (void)state;
    char err[256];
    sw_model *m = NULL;
    assert_int_equal(sw_model_load_file(DENOISE_MODEL, &m, err, sizeof err), SW_OK);
    static const int rates[] = { 6000, 250000 };
    for (int k = 0; k < 2; k++) {
        const int rate = rates[k], ch = 2;
        const size_t n = (size_t)rate; /* 1 s */
        float *x = tones(n, ch, rate);
        sink s = { .buf = malloc(sizeof(float) * n * ch), .cap = n, .ch = ch };
        sw_offline_denoiser *o = NULL;
        assert_int_equal(sw_offline_denoiser_create(m, rate, ch, 0.0f, 100.0f, &o, err, sizeof err), SW_OK);
        assert_int_equal(sw_offline_denoiser_work_rate(o), rate < 8000 ? 8000 : 192000);
        sw_offline_denoiser_destroy(o);
        assert_int_equal(run_denoiser(m, rate, ch, x, n, 0.0f, &s), n);
        /* dry through both converters: the same signal, time-aligned (SNR over the middle) */
        double sig = 0, dif = 0;
        for (size_t i = n / 8 * ch; i < 7 * n / 8 * ch; i++) {
            sig += (double)x[i] * x[i];
            dif += ((double)s.buf[i] - x[i]) * ((double)s.buf[i] - x[i]);
        }
        double snr = 10 * log10(sig / (dif + 1e-30));
        printf("offline denoiser, dry at %d Hz (via %d Hz): %.1f dB\n", rate, rate < 8000 ? 8000 : 192000, snr);
        assert_true(snr > 40.0);
        free(s.buf);
        free(x);
    }
    sw_model_free(m);
}

static void test_offline_denoiser_errors(void **state)
{
    (void)state;
    char err[256] = "";
    sw_model *m = NULL;
    assert_int_equal(sw_model_load_file(DENOISE_MODEL, &m, err, sizeof err), SW_OK);
    sw_offline_denoiser *o = NULL;
    assert_int_equal(sw_offline_denoiser_create(m, 0, 1, 1.0f, 100.0f, &o, err, sizeof err), SW_ERR_ARG);
    assert_int_equal(sw_offline_denoiser_create(m, 48000, 0, 1.0f, 100.0f, &o, err, sizeof err), SW_ERR_ARG);
    assert_int_equal(sw_offline_denoiser_create(m, 1, 1, 1.0f, 100.0f, &o, err, sizeof err), SW_ERR_ARG);
    assert_non_null(strstr(err, "too far outside"));
    assert_null(o);
    sw_offline_denoiser_destroy(NULL);

    /* a write function that stops: SW_ERR_IO, and the object refuses to go on */
    const size_t n = 20000;
    float *x = tones(n, 1, 48000.0);
    sink s = { .buf = malloc(sizeof(float) * n), .cap = n, .ch = 1, .stop_after = 5000 };
    assert_int_equal(sw_offline_denoiser_create(m, 48000, 1, 1.0f, 100.0f, &o, err, sizeof err), SW_OK);
    assert_int_equal(sw_offline_denoiser_process(o, x, n, collect, &s, err, sizeof err), SW_ERR_IO);
    assert_true(s.n <= 5000);
    assert_int_not_equal(sw_offline_denoiser_finish(o, collect, &s, err, sizeof err), SW_OK);
    sw_offline_denoiser_destroy(o);
    free(s.buf);
    free(x);
    sw_model_free(m);
}

static void test_offline_transfer_length(void **state)
{
    (void)state;
    char err[256];
    sw_model *m = NULL;
    assert_int_equal(sw_model_load_file(SYNTH_MODEL, &m, err, sizeof err), SW_OK);
    sw_offline_transfer *o = NULL;
    assert_int_equal(sw_offline_transfer_create(NULL, 1, &o, err, sizeof err), SW_ERR_ARG);
    for (int ch = 1; ch <= 2; ch++) {
        sw_transfer *t = NULL;
        assert_int_equal(sw_transfer_create(m, 44100, &t, err, sizeof err), SW_OK);
        const size_t n = 44100 / 2 + 77;
        float *x = tones(n, ch, 44100.0);
        x[100] = NAN; /* non-finite input counts as silence */
        sink s = { .buf = malloc(sizeof(float) * n), .cap = n, .ch = 1 };
        assert_int_equal(sw_offline_transfer_create(t, ch, &o, err, sizeof err), SW_OK);
        for (size_t pos = 0; pos < n; pos += 4096)
            assert_int_equal(sw_offline_transfer_process(o, x + pos * (size_t)ch, n - pos < 4096 ? n - pos : 4096,
                                                         collect, &s, err, sizeof err),
                             SW_OK);
        assert_int_equal(sw_offline_transfer_finish(o, collect, &s, err, sizeof err), SW_OK);
        assert_int_equal(s.n, n); /* exactly as long as the input, the latency compensated */
        assert_true(sw_offline_transfer_fed(o) >= n + (uint64_t)sw_transfer_latency(t));
        for (size_t i = 0; i < n; i++)
            assert_true(isfinite(s.buf[i]));
        sw_offline_transfer_destroy(o);
        sw_transfer_destroy(t);
        free(s.buf);
        free(x);
    }
    sw_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resampler_args_and_streaming),
        cmocka_unit_test(test_offline_denoiser_dry_is_exact),
        cmocka_unit_test(test_offline_denoiser_converted_rates),
        cmocka_unit_test(test_offline_denoiser_errors),
        cmocka_unit_test(test_offline_transfer_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
