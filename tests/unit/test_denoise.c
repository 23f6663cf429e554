/* test_denoise.c — the speech denoiser engine (dsp/engines/denoise.c, dsp/audio/stft.c) with the shipped
 * model presets/denoise.safetensors: C/PyTorch parity, exact latency, every rate and block
 * size, stereo linking, bad input, click-free parameter changes, argument/config errors; and a
 * tiny version-2 model with deep filtering and a learned floor (dsp/engines/deepfilter.c,
 * tests/data/denoise_df_golden.safetensors from train/make_goldens.py): parity, rates, blocks,
 * stereo, silence, the attenuation limit.
 * Run from the repo root (make test-c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_util.h"
#include "denoise_util.h"
#include "statewave.h"
#include "stft.h"

static sw_model *g_model;

static int setup(void **state)
{
    (void)state;
    char err[512] = "";
    if (sw_model_load_file(DU_MODEL_PATH, &g_model, err, sizeof err) != SW_OK) {
        fprintf(stderr, "cannot load %s: %s\n", DU_MODEL_PATH, err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sw_model_free(g_model);
    return 0;
}

static uint64_t rng_state = 88172645463325252ull;
static double urand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * (1.0 / 9007199254740992.0);
}

/* Speech-like test signal: a vowel-ish harmonic tone with a syllable envelope, plus noise. */
static float *make_signal(size_t n, double fs, double noise_amp, uint64_t seed)
{
    rng_state = seed * 2654435761u + 1;
    float *x = malloc(sizeof(float) * n + 1);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / fs, v = 0.0;
        double env = 0.5 + 0.5 * sin(2 * M_PI * 3.0 * t);
        for (int k = 1; k <= 12; k++) {
            double f = 140.0 * k;
            if (f < fs / 2) v += sin(2 * M_PI * f * t + k) / k;
        }
        x[i] = (float)(0.1 * env * env * v + noise_amp * (2.0 * urand() - 1.0));
    }
    return x;
}

static sw_denoiser *make(double fs, int ch)
{
    sw_denoiser *d = NULL;
    char err[512] = "";
    sw_status st = sw_denoiser_create(g_model, fs, ch, &d, err, sizeof err);
    if (st != SW_OK) fail_msg("create(%g, %d): %s", fs, ch, err);
    return d;
}

/* Runs x[ch][n] through d in blocks: block > 0 fixed size, block == 0 random 0..1100. */
static void run_blocks(sw_denoiser *d, int ch, float *const *x, float *const *y, size_t n, size_t block)
{
    size_t t = 0;
    while (t < n) {
        size_t m = block ? block : (size_t)(urand() * 1100.0);
        if (m > n - t) m = n - t;
        const float *ip[2];
        float *op[2];
        for (int c = 0; c < ch; c++) {
            ip[c] = x[c] + t;
            op[c] = y[c] + t;
        }
        sw_denoiser_process(d, ip, op, m);
        t += m;
    }
}

/* ---------------------------------------------------------------- parity -- */

/* The model file carries a 2 s, 16 kHz validation mixture and the PyTorch pipeline's output
 * (train/denoise/features.py, parallel form of the network). The C engine, latency-compensated,
 * must reproduce it. */
static void test_parity_with_pytorch(void **state)
{
    (void)state;
    int rank;
    const int64_t *shape;
    const float *gin = sw_model_tensor(g_model, "golden.denoise_in", &rank, &shape);
    const float *gout = sw_model_tensor(g_model, "golden.denoise_out", &rank, &shape);
    assert_non_null(gin);
    assert_non_null(gout);
    size_t n = (size_t)shape[0];
    assert_true(n >= 16000);
    sw_denoiser *d = make(16000, 1);
    float *y = malloc(sizeof(float) * n);
    du_denoise(d, 1, (float *const *)&gin, &y, n, 333);
    double mx = 0, md = 0;
    for (size_t i = 0; i < n; i++) {
        mx = fmax(mx, fabs(gout[i]));
        md = fmax(md, fabs(y[i] - gout[i]));
    }
    print_message("parity: max|y| %.4f, max|y_C - y_torch| %.3g\n", mx, md);
    assert_true(mx > 1e-3);
    assert_true(md <= 1e-4 * mx);
    free(y);
    sw_denoiser_destroy(d);
}

/* --------------------------------------------------------------- latency -- */

static const double k_rates[] = {8000, 11025, 16000, 22050, 44100, 48000, 96000, 192000};
#define N_RATES (sizeof k_rates / sizeof k_rates[0])

/* Latency is 2*floor(fs/200) - 1 samples: under 10 ms at every rate. */
static void test_latency_value(void **state)
{
    (void)state;
    for (size_t r = 0; r < N_RATES; r++) {
        sw_denoiser *d = make(k_rates[r], 1);
        int L = sw_denoiser_latency(d);
        assert_int_equal(L, 2 * (int)floor(k_rates[r] / 200.0) - 1);
        assert_true(L < k_rates[r] / 100.0);
        sw_denoiser_destroy(d);
    }
}

/* mix = 0: the output is the input delayed by exactly `latency` samples, bit for bit. */
static void test_latency_dry_exact(void **state)
{
    (void)state;
    for (size_t r = 0; r < N_RATES; r++) {
        const double fs = k_rates[r];
        const size_t n = (size_t)(0.3 * fs);
        sw_denoiser *d = make(fs, 1);
        sw_denoiser_set_mix(d, 0.0f);
        sw_denoiser_reset(d); /* parameters jump to their targets */
        float *x = make_signal(n, fs, 0.05, 3 + r), *y = malloc(sizeof(float) * n);
        run_blocks(d, 1, &x, &y, n, 0);
        const size_t L = (size_t)sw_denoiser_latency(d);
        for (size_t t = 0; t < n; t++) {
            float want = t >= L ? x[t - L] : 0.0f;
            if (y[t] != want) fail_msg("fs %g: y[%zu] = %g, want x[%zu] = %g", fs, t, y[t], t - L, want);
        }
        free(x);
        free(y);
        sw_denoiser_destroy(d);
    }
}

/* limit 0 dB forces every gain to 1: the wet path alone (STFT, gains, overlap-add) must then be
 * the input delayed by `latency` (perfect reconstruction, float rounding only). */
static void test_latency_wet_unity(void **state)
{
    (void)state;
    for (size_t r = 0; r < N_RATES; r++) {
        const double fs = k_rates[r];
        const size_t n = (size_t)(0.3 * fs);
        sw_denoiser *d = make(fs, 1);
        sw_denoiser_set_limit_db(d, 0.0f);
        sw_denoiser_reset(d);
        float *x = make_signal(n, fs, 0.05, 7 + r), *y = malloc(sizeof(float) * n);
        run_blocks(d, 1, &x, &y, n, 64);
        const size_t L = (size_t)sw_denoiser_latency(d);
        double md = 0;
        for (size_t t = L; t < n; t++) md = fmax(md, fabs(y[t] - x[t - L]));
        if (md > 1e-5) fail_msg("fs %g: wet path at unity gain differs from the delayed input by %g", fs, md);
        free(x);
        free(y);
        sw_denoiser_destroy(d);
    }
}

/* Model on: the output's cross-correlation with the input peaks at lag == latency. */
static void test_latency_xcorr_model(void **state)
{
    (void)state;
    const double rates[] = {16000, 44100, 48000};
    for (size_t r = 0; r < 3; r++) {
        const double fs = rates[r];
        const size_t n = (size_t)(2.0 * fs);
        sw_denoiser *d = make(fs, 1);
        float *x = make_signal(n, fs, 0.01, 11), *y = malloc(sizeof(float) * n);
        run_blocks(d, 1, &x, &y, n, 480);
        const int L = sw_denoiser_latency(d);
        int best = -1;
        double bv = -1e300;
        for (int lag = 0; lag <= 3 * L; lag++) {
            double c = 0;
            for (size_t t = (size_t)lag; t < n; t++) c += (double)y[t] * x[t - (size_t)lag];
            if (c > bv) { bv = c; best = lag; }
        }
        print_message("fs %g: xcorr peak at %d, latency %d\n", fs, best, L);
        assert_int_equal(best, L);
        free(x);
        free(y);
        sw_denoiser_destroy(d);
    }
}

/* ------------------------------------------------------- rates and blocks -- */

/* Every rate x block size: finite output, bit-identical to one whole-signal call. */
static void test_rates_blocks_identical(void **state)
{
    (void)state;
    const size_t blocks[] = {1, 7, 64, 480, 1000, 0 /* random */};
    for (size_t r = 0; r < N_RATES; r++) {
        const double fs = k_rates[r];
        const size_t n = (size_t)(0.25 * fs) + 17;
        float *x = make_signal(n, fs, 0.03, 5 + r), *ref = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
        sw_denoiser *d = make(fs, 1);
        run_blocks(d, 1, &x, &ref, n, n);
        double e = 0;
        for (size_t t = 0; t < n; t++) {
            if (!isfinite(ref[t])) fail_msg("fs %g: non-finite output at %zu", fs, t);
            e += ref[t] * ref[t];
        }
        assert_true(e > 0.0);
        for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
            sw_denoiser_reset(d);
            run_blocks(d, 1, &x, &y, n, blocks[b]);
            if (memcmp(y, ref, sizeof(float) * n) != 0)
                fail_msg("fs %g: block %zu output differs from the whole-signal call", fs, blocks[b]);
        }
        free(x);
        free(ref);
        free(y);
        sw_denoiser_destroy(d);
    }
}

/* Odd rates in range work too (bins interpolated onto the grid); out-of-range rates fail. */
static void test_odd_rates_and_bad_args(void **state)
{
    (void)state;
    const double odd[] = {8000.0, 9973.0, 12345.6, 32000.0, 88200.0, 176400.0, 192000.0};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        sw_denoiser *d = make(odd[i], 2);
        const size_t n = 3000;
        float *x = make_signal(n, odd[i], 0.02, 9), *y0 = malloc(4 * n), *y1 = malloc(4 * n);
        float *in[2] = {x, x}, *out[2] = {y0, y1};
        run_blocks(d, 2, in, out, n, 0);
        for (size_t t = 0; t < n; t++) assert_true(isfinite(y0[t]) && isfinite(y1[t]));
        free(x);
        free(y0);
        free(y1);
        sw_denoiser_destroy(d);
    }
    sw_denoiser *d = (sw_denoiser *)1;
    char err[256] = "";
    assert_int_equal(sw_denoiser_create(g_model, 7999.0, 1, &d, err, sizeof err), SW_ERR_ARG);
    assert_null(d);
    assert_true(strlen(err) > 0);
    assert_int_equal(sw_denoiser_create(g_model, 192001.0, 1, &d, NULL, 0), SW_ERR_ARG);
    assert_int_equal(sw_denoiser_create(g_model, NAN, 1, &d, NULL, 0), SW_ERR_ARG);
    assert_int_equal(sw_denoiser_create(g_model, 48000, 0, &d, NULL, 0), SW_ERR_ARG);
    assert_int_equal(sw_denoiser_create(g_model, 48000, 3, &d, NULL, 0), SW_ERR_ARG);
    assert_int_equal(sw_denoiser_create(NULL, 48000, 1, &d, NULL, 0), SW_ERR_ARG);
    assert_int_equal(sw_denoiser_create(g_model, 48000, 1, NULL, NULL, 0), SW_ERR_ARG);
    /* NULL-safe no-ops */
    sw_denoiser_destroy(NULL);
    sw_denoiser_reset(NULL);
    sw_denoiser_set_mix(NULL, 1.0f);
    sw_denoiser_set_limit_db(NULL, 1.0f);
    sw_denoiser_process(NULL, NULL, NULL, 10);
    assert_int_equal(sw_denoiser_latency(NULL), 0);
}

/* ---------------------------------------------------------------- stereo -- */

static void test_stereo_linked(void **state)
{
    (void)state;
    const double fs = 48000;
    const size_t n = 24000;
    float *x = make_signal(n, fs, 0.05, 21), *xh = malloc(4 * n), *l = malloc(4 * n), *r = malloc(4 * n);
    sw_denoiser *d = make(fs, 2);
    /* identical channels -> identical output */
    float *in[2] = {x, x}, *out[2] = {l, r};
    run_blocks(d, 2, in, out, n, 0);
    assert_memory_equal(l, r, 4 * n);
    /* R = L/2 (a power of two, so exact): linked gains give out_R = out_L / 2 */
    for (size_t t = 0; t < n; t++) xh[t] = 0.5f * x[t];
    sw_denoiser_reset(d);
    float *in2[2] = {x, xh};
    run_blocks(d, 2, in2, out, n, 333);
    double md = 0, mx = 0;
    for (size_t t = 0; t < n; t++) {
        md = fmax(md, fabs(r[t] - 0.5 * l[t]));
        mx = fmax(mx, fabs(l[t]));
    }
    assert_true(mx > 1e-3);
    if (md > 1e-6 * mx) fail_msg("stereo gains not linked: max|R - L/2| = %g (max|L| %g)", md, mx);
    /* a silent right channel stays silent */
    memset(xh, 0, 4 * n);
    sw_denoiser_reset(d);
    run_blocks(d, 2, in2, out, n, 480);
    for (size_t t = 0; t < n; t++) assert_true(r[t] == 0.0f);
    free(x);
    free(xh);
    free(l);
    free(r);
    sw_denoiser_destroy(d);
}

/* ------------------------------------------------------------- bad input -- */

/* NaN/Inf are treated as 0: the stream with them is bit-identical to the stream with zeros
 * in their place. Denormals and absurd finite values give finite output, and the engine
 * keeps working afterwards. */
static void test_nonfinite_and_denormal_input(void **state)
{
    (void)state;
    const double fs = 48000;
    const size_t n = 48000;
    float *x = make_signal(n, fs, 0.02, 31), *xz = malloc(4 * n), *y = malloc(4 * n), *yz = malloc(4 * n);
    memcpy(xz, x, 4 * n);
    for (size_t t = 1000; t < 1500; t++) {
        x[t] = (t % 3 == 0) ? NAN : (t % 3 == 1) ? INFINITY : -INFINITY;
        xz[t] = 0.0f;
    }
    x[7000] = NAN;
    xz[7000] = 0.0f;
    sw_denoiser *d = make(fs, 1);
    run_blocks(d, 1, &x, &y, n, 0);
    sw_denoiser_reset(d);
    run_blocks(d, 1, &xz, &yz, n, 0);
    assert_memory_equal(y, yz, 4 * n);
    /* denormals, huge values, then normal signal */
    float *w = make_signal(n, fs, 0.02, 32);
    for (size_t t = 0; t < 4800; t++) w[t] = (t & 1) ? 1e-42f : -3e-39f;
    for (size_t t = 4800; t < 5000; t++) w[t] = (t & 1) ? 3e38f : -1e30f;
    sw_denoiser_reset(d);
    run_blocks(d, 1, &w, &y, n, 7);
    for (size_t t = 0; t < n; t++)
        if (!isfinite(y[t])) fail_msg("non-finite output at %zu", t);
    /* after the burst: the output is a sane function of the input again (energy bounded) */
    double ex = 0, ey = 0;
    for (size_t t = n / 2; t < n; t++) {
        ex += (double)w[t] * w[t];
        ey += (double)y[t] * y[t];
    }
    assert_true(ey < 4.0 * ex);
    free(x);
    free(xz);
    free(y);
    free(yz);
    free(w);
    sw_denoiser_destroy(d);
}

/* ------------------------------------------------------------ click-free -- */

static double max_jump(const float *v, size_t a, size_t b)
{
    double m = 0;
    for (size_t t = a + 1; t < b; t++) m = fmax(m, fabs((double)v[t] - v[t - 1]));
    return m;
}

/* Steady mains hum, 60 Hz and its harmonics up to 420 Hz (which the model removes, so wet and dry
 * differ by almost the whole signal). Mix and limit jump between extremes mid-stream; the output's largest
 * sample-to-sample step must stay within 1.5x the input's (an unramped switch would step by
 * up to the full amplitude, ~40x the input's step). */
static void test_parameter_changes_click_free(void **state)
{
    (void)state;
    const double fs = 48000, A = 0.3;
    const size_t n = (size_t)(4 * fs), blk = 256;
    float *x = malloc(4 * n), *y = malloc(4 * n);
    for (size_t t = 0; t < n; t++) {
        double v = 0;
        for (int k = 1; k <= 7; k++) v += A / k * sin(2 * M_PI * 60.0 * k * t / fs); /* starts at 0 */
        x[t] = (float)v;
    }
    const double in_jump = max_jump(x, 0, n);
    sw_denoiser *d = make(fs, 1);
    /* first make sure the model attenuates this signal, or the test would prove nothing */
    run_blocks(d, 1, &x, &y, n, blk);
    double ex = 0, ey = 0;
    for (size_t t = n / 2; t < n; t++) {
        ex += (double)x[t] * x[t];
        ey += (double)y[t] * y[t];
    }
    print_message("hum: wet/dry energy %.3f\n", ey / ex);
    assert_true(ey < 0.25 * ex);
    sw_denoiser_reset(d);
    const float mixes[] = {1, 0, 1, 0.5f, 0, 1};
    const float limits[] = {100, 0, 100, 6, 100, 0, 100};
    size_t t = 0;
    int k = 0;
    while (t < n) {
        size_t m = blk < n - t ? blk : n - t;
        if (t % 19200 == 9600) sw_denoiser_set_mix(d, mixes[(k++) % 6]);
        if (t % 19200 == 0) sw_denoiser_set_limit_db(d, limits[(t / 19200) % 7]);
        const float *ip[1] = {x + t};
        float *op[1] = {y + t};
        sw_denoiser_process(d, ip, op, m);
        t += m;
    }
    const double out_jump = max_jump(y, 0, n);
    print_message("max step: input %.4f, output %.4f\n", in_jump, out_jump);
    assert_true(out_jump <= 1.5 * in_jump);
    free(x);
    free(y);
    sw_denoiser_destroy(d);
}

/* ------------------------------------------------------- deep filtering -- */

#define DF_MODEL_PATH "tests/data/denoise_df_golden.safetensors"

static sw_model *load_df(void)
{
    sw_model *m = NULL;
    char err[512] = "";
    if (sw_model_load_file(DF_MODEL_PATH, &m, err, sizeof err) != SW_OK) fail_msg("%s: %s", DF_MODEL_PATH, err);
    return m;
}

/* The version-2 golden: the C engine (deep filter over 40 bins x 3 taps, learned floor) must
 * reproduce the PyTorch pipeline (features.Pipeline.head, float64). make_goldens.py checks that
 * the deep filter and the floor each move this output by > 1 % of max|y|, 100x the tolerance. */
static void test_df_parity_with_pytorch(void **state)
{
    (void)state;
    sw_model *m = load_df();
    int rank;
    const int64_t *shape;
    const float *gin = sw_model_tensor(m, "golden.denoise_in", &rank, &shape);
    const float *gout = sw_model_tensor(m, "golden.denoise_out", &rank, &shape);
    assert_non_null(gin);
    assert_non_null(gout);
    const size_t n = (size_t)shape[0];
    assert_true(n >= 8000);
    const size_t blocks[] = {333, 80, 1};
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
        sw_denoiser *d = NULL;
        char err[512] = "";
        if (sw_denoiser_create(m, 16000, 1, &d, err, sizeof err) != SW_OK) fail_msg("create: %s", err);
        float *y = malloc(sizeof(float) * n);
        du_denoise(d, 1, (float *const *)&gin, &y, n, blocks[b]);
        double mx = 0, md = 0;
        for (size_t i = 0; i < n; i++) {
            mx = fmax(mx, fabs(gout[i]));
            md = fmax(md, fabs(y[i] - gout[i]));
        }
        print_message("df parity (block %zu): max|y| %.4f, max|y_C - y_torch| %.3g\n", blocks[b], mx, md);
        assert_true(mx > 1e-2);
        assert_true(md <= 1e-4 * mx);
        free(y);
        sw_denoiser_destroy(d);
    }
    sw_model_free(m);
}

/* Any rate (the filter on the bins nearest the grid's), mono and linked stereo, any block size:
 * finite, and the same output however the blocks are split. Stereo with the same signal in both
 * channels gives the mono output on each. */
static void test_df_rates_blocks_stereo(void **state)
{
    (void)state;
    sw_model *m = load_df();
    const size_t blocks[] = {1, 113, 0 /* random */};
    for (size_t r = 0; r < N_RATES; r++) {
        const double fs = k_rates[r];
        const size_t n = (size_t)(0.2 * fs) + 17;
        float *x = make_signal(n, fs, 0.03, 40 + r);
        float *ref[2] = {malloc(sizeof(float) * n), malloc(sizeof(float) * n)};
        float *y[2] = {malloc(sizeof(float) * n), malloc(sizeof(float) * n)};
        float *in[2] = {x, x};
        sw_denoiser *d1 = NULL, *d2 = NULL;
        assert_int_equal(sw_denoiser_create(m, fs, 1, &d1, NULL, 0), SW_OK);
        assert_int_equal(sw_denoiser_create(m, fs, 2, &d2, NULL, 0), SW_OK);
        run_blocks(d1, 1, in, ref, n, n);
        double e = 0;
        for (size_t t = 0; t < n; t++) {
            if (!isfinite(ref[0][t])) fail_msg("fs %g: non-finite output at %zu", fs, t);
            e += ref[0][t] * ref[0][t];
        }
        assert_true(e > 0.0);
        for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
            sw_denoiser_reset(d1);
            run_blocks(d1, 1, in, y, n, blocks[b]);
            if (memcmp(y[0], ref[0], sizeof(float) * n) != 0)
                fail_msg("fs %g: block %zu output differs from the whole-signal call", fs, blocks[b]);
        }
        run_blocks(d2, 2, in, y, n, 256);
        double md = 0;
        for (size_t t = 0; t < n; t++) md = fmax(md, fmax(fabs(y[0][t] - ref[0][t]), fabs(y[1][t] - ref[0][t])));
        if (md > 1e-5) fail_msg("fs %g: stereo of two equal channels differs from mono by %g", fs, md);
        for (int c = 0; c < 2; c++) {
            free(ref[c]);
            free(y[c]);
        }
        free(x);
        sw_denoiser_destroy(d1);
        sw_denoiser_destroy(d2);
    }
    sw_model_free(m);
}

/* Digital silence (idle frames) then a signal equals the signal from a fresh start, bit for bit:
 * the deep filter's history counts idle frames as silence, as after reset. And an attenuation
 * limit of 0 dB gives the delayed input back (gains 1, the filter's residual scaled by 0). */
static void test_df_silence_and_limit(void **state)
{
    (void)state;
    sw_model *m = load_df();
    const double fs = 48000;
    const size_t H = 240, lead = 100 * H, n = 12000;
    float *x = make_signal(n, fs, 0.03, 77), *xl = calloc(lead + n, sizeof(float));
    memcpy(xl + lead, x, sizeof(float) * n);
    float *y0 = malloc(sizeof(float) * n), *y1 = malloc(sizeof(float) * (lead + n));
    sw_denoiser *d = NULL;
    assert_int_equal(sw_denoiser_create(m, fs, 1, &d, NULL, 0), SW_OK);
    run_blocks(d, 1, &x, &y0, n, 100);
    sw_denoiser_reset(d);
    run_blocks(d, 1, &xl, &y1, lead + n, 100);
    assert_memory_equal(y0, y1 + lead, sizeof(float) * n);
    sw_denoiser_set_limit_db(d, 0.0f);
    sw_denoiser_reset(d);
    run_blocks(d, 1, &x, &y0, n, 100);
    const int L = sw_denoiser_latency(d);
    double md = 0;
    for (size_t t = (size_t)L; t < n; t++) md = fmax(md, fabs(y0[t] - x[t - (size_t)L]));
    if (md > 1e-5) fail_msg("limit 0 dB: output differs from the delayed input by %g", md);
    free(x);
    free(xl);
    free(y0);
    free(y1);
    sw_denoiser_destroy(d);
    sw_model_free(m);
}

/* --------------------------------------------------------- model contract -- */

/* Loads a tiny one-linear-layer "denoise" model d_in -> d_out with the given task/task_params. */
static sw_status load_tiny(const char *task, const char *tp, int d_in, int d_out, sw_model **m)
{
    tw_file *f = malloc(sizeof *f);
    tw_init(f, 5);
    tw_linear(f, "out", d_in, d_out, 1);
    char cfg[4096];
    snprintf(cfg, sizeof cfg,
             "{\"version\":1,\"d_input\":%d,\"d_output\":%d,\"task\":\"%s\",\"task_params\":%s,\"layers\":["
             "{\"type\":\"linear\",\"name\":\"out\",\"d_in\":%d,\"d_out\":%d,\"bias\":true},"
             "{\"type\":\"act\",\"fn\":\"sigmoid\",\"d\":%d}]}",
             d_in, d_out, task, tp, d_in, d_out, d_out);
    size_t len;
    unsigned char *bytes = tw_build(f, cfg, &len);
    sw_status st = sw_model_load_memory(bytes, len, m, NULL, 0);
    free(bytes);
    tw_free(f);
    free(f);
    return st;
}

#define TP_OK "{\"version\":1,\"window\":\"asym_sqrt_hann\",\"frame_rate\":200,\"win_hops\":4,\"grid_hz\":50," \
              "\"grid_n\":161,\"hf_from_hz\":7000,\"ref_rate\":16000,\"feat_eps\":1e-12,\"feat_offset\":6," \
              "\"feat_scale\":0.2}"

static void test_task_params_validated(void **state)
{
    (void)state;
    /* Version 2 (deep filtering, learned floor): 161 + 2*40 = 241 in, 161 + 2*40*3 + 1 = 402 out. */
#define V2 "\"version\":2,\"df_bins\":40,\"df_order\":3,\"floor_max\":0.3"
    struct { const char *task, *from, *to; int g, d_out; sw_status want; } cases[] = {
        {"denoise", NULL, NULL, 161, 0, SW_OK},
        {"test", NULL, NULL, 161, 0, SW_ERR_UNSUPPORTED},
        {"denoise", NULL, NULL, 160, 0, SW_ERR_CONFIG},                                     /* grid_n != widths */
        {"denoise", "\"asym_sqrt_hann\"", "\"hann\"", 161, 0, SW_ERR_CONFIG},
        {"denoise", "\"frame_rate\":200", "\"frame_rate\":20", 161, 0, SW_ERR_CONFIG},
        {"denoise", "\"win_hops\":4", "\"win_hops\":1", 161, 0, SW_ERR_CONFIG},
        {"denoise", "\"win_hops\":4", "\"win_hops\":2.5", 161, 0, SW_ERR_CONFIG},
        {"denoise", "\"feat_scale\":0.2", "\"feat_scale\":\"x\"", 161, 0, SW_ERR_CONFIG},
        {"denoise", "\"feat_eps\":1e-12,", "", 161, 0, SW_ERR_CONFIG},                        /* missing */
        {"denoise", "\"hf_from_hz\":7000", "\"hf_from_hz\":9000", 161, 0, SW_ERR_CONFIG},      /* above grid */
        {"denoise", "\"version\":1", "\"version\":2", 161, 0, SW_ERR_CONFIG},
        {"denoise", "\"grid_n\":161,\"hf_from_hz\":7000", "\"grid_n\":81,\"hf_from_hz\":3500", 81, 0, SW_OK}, /* 0..4 kHz */
        {"denoise", "\"version\":1", V2, 241, 402, SW_OK},
        {"denoise", "\"version\":1", V2, 241, 401, SW_ERR_CONFIG},                      /* widths */
        {"denoise", "\"version\":1", V2, 161, 402, SW_ERR_CONFIG},                      /* no phase inputs */
        {"denoise", "\"version\":1", "\"version\":2,\"df_bins\":40,\"floor_max\":0.3", 241, 402, SW_ERR_CONFIG},
        {"denoise", "\"version\":1", "\"version\":2,\"df_bins\":40,\"df_order\":9,\"floor_max\":0.3", 241, 882,
         SW_ERR_CONFIG},                                                                /* order > 8 */
        {"denoise", "\"version\":1", "\"version\":2,\"df_bins\":-1,\"df_order\":3,\"floor_max\":0.3", 159, 156,
         SW_ERR_CONFIG},
        {"denoise", "\"version\":1", "\"version\":2,\"df_bins\":200,\"df_order\":1,\"floor_max\":0", 561, 561,
         SW_ERR_CONFIG},                                                                /* df_bins > grid_n */
        {"denoise", "\"version\":1", "\"version\":2,\"df_bins\":40,\"df_order\":3,\"floor_max\":1", 241, 402,
         SW_ERR_CONFIG},                                                                /* floor_max >= 0.99 */
        {"denoise", "\"version\":1", "\"version\":2,\"df_bins\":40,\"df_order\":3,\"floor_max\":\"x\"", 241, 402,
         SW_ERR_CONFIG},
        {"denoise", "\"version\":1", "\"version\":2,\"df_bins\":4.5,\"df_order\":3,\"floor_max\":0", 169, 188,
         SW_ERR_CONFIG},
        {"denoise", "\"version\":1", "\"version\":2,\"df_bins\":0,\"df_order\":1,\"floor_max\":0", 161, 0,
         SW_OK},                                                                        /* logits, no DF/floor */
        {"denoise", "\"version\":1", "\"version\":2,\"df_bins\":0,\"df_order\":1,\"floor_max\":0.2", 161, 162,
         SW_OK},                                                                        /* floor only */
        {"denoise", "\"version\":1", "\"version\":1,\"df_bins\":40", 161, 0, SW_ERR_CONFIG}, /* v2 key in v1 */
        {"denoise", "\"version\":1", "\"version\":3", 161, 0, SW_ERR_CONFIG},
    };
#undef V2
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *tp = cases[i].from ? tw_replace(TP_OK, cases[i].from, cases[i].to) : strdup(TP_OK);
        sw_model *m = NULL;
        assert_int_equal(load_tiny(cases[i].task, tp, cases[i].g, cases[i].d_out ? cases[i].d_out : cases[i].g, &m),
                         SW_OK);
        sw_denoiser *d = NULL;
        char err[512] = "";
        sw_status st = sw_denoiser_create(m, 44100, 2, &d, err, sizeof err);
        if (st != cases[i].want) fail_msg("case %zu: got %s (%s), want %s", i, sw_status_str(st), err,
                                          sw_status_str(cases[i].want));
        if (st == SW_OK) {
            float x[1000], y0[1000], y1[1000];
            for (int t = 0; t < 1000; t++) x[t] = (float)sin(t * 0.05);
            const float *in[2] = {x, x};
            float *out[2] = {y0, y1};
            sw_denoiser_process(d, in, out, 1000);
            for (int t = 0; t < 1000; t++) assert_true(isfinite(y0[t]));
        } else {
            assert_null(d);
            assert_true(strlen(err) > 0);
        }
        sw_denoiser_destroy(d);
        sw_model_free(m);
        free(tp);
    }
}

/* The STFT windows reconstruct perfectly: sum over hops of w_a*w_s == 1. */
static void test_stft_windows_pr(void **state)
{
    (void)state;
    const int hops[] = {40, 55, 80, 110, 220, 240, 960};
    for (size_t i = 0; i < sizeof hops / sizeof hops[0]; i++)
        for (int wh = 2; wh <= 5; wh++) {
            const int H = hops[i], N = wh * H;
            double *wa = malloc(sizeof(double) * N), *ws = malloc(sizeof(double) * N);
            sw_stft_windows(H, wh, wa, ws);
            for (int j = 0; j < H; j++) {
                double s = 0;
                for (int k = j; k < N; k += H) s += wa[k] * ws[k];
                if (fabs(s - 1.0) > 1e-12) fail_msg("H %d win_hops %d: sum %g at %d", H, wh, s, j);
            }
            for (int k = 0; k < N - 2 * H; k++) assert_true(ws[k] == 0.0);
            free(wa);
            free(ws);
        }
}

/* The STFT's transforms against a double-precision DFT, for even N (complex FFT of N/2 plus
 * the split step) and odd N (FFTW r2c/c2r): the spectrum of the windowed history, and a
 * unity-gain analysis/synthesis chain that must give the input back (the hop completed by
 * frame f is hop f-1: a delay of H samples at this level; the engine's per-sample emission
 * makes it 2H - 1). */
static void test_stft_transforms_exact(void **state)
{
    (void)state;
    const int cfg[][2] = {{240, 4}, {220, 4}, {55, 4}, {40, 2}, {61, 4}, {55, 3}, {49, 5}, {8, 2}};
    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
        const int H = cfg[c][0], W = cfg[c][1], N = H * W, K = N / 2 + 1, F = 12;
        sw_stft st;
        sw_stft_chan ch;
        assert_int_equal(sw_stft_build(&st, H, W), 0);
        assert_int_equal(st.half, N % 2 == 0);
        assert_int_equal(sw_stft_chan_build(&st, &ch), 0);
        rng_state = 1234 + c;
        float *x = malloc(sizeof(float) * (size_t)(F * H)), *y = malloc(sizeof(float) * (size_t)(F * H));
        for (int t = 0; t < F * H; t++) x[t] = (float)(2.0 * urand() - 1.0);
        fftwf_complex *spec = fftwf_malloc(sizeof(fftwf_complex) * (size_t)K);
        double worst = 0, scale = 0;
        for (int f = 0; f < F; f++) {
            sw_stft_analyze(&st, &ch, x + f * H, spec);
            for (int k = 0; k < K; k++) { /* DFT of the windowed frame ending at sample (f+1)H */
                double re = 0, im = 0;
                for (int n = 0; n < N; n++) {
                    const int t = (f + 1) * H - N + n;
                    const double v = t >= 0 ? (double)x[t] * st.win_a[n] : 0.0;
                    re += v * cos(2 * M_PI * (double)k * n / N);
                    im -= v * sin(2 * M_PI * (double)k * n / N);
                }
                worst = fmax(worst, fmax(fabs(spec[k][0] - re), fabs(spec[k][1] - im)));
                scale = fmax(scale, hypot(re, im));
            }
            sw_stft_synthesize(&st, &ch, spec, y + f * H);
        }
        if (worst > 2e-6 * scale) fail_msg("H %d x %d: spectrum off by %g (max %g)", H, W, worst, scale);
        double rec = 0;
        for (int t = H; t < F * H; t++) rec = fmax(rec, fabs(y[t] - x[t - H]));
        if (rec > 2e-6) fail_msg("H %d x %d: unity-gain chain off by %g", H, W, rec);
        fftwf_free(spec);
        free(x);
        free(y);
        sw_stft_chan_free(&ch);
        sw_stft_free(&st);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stft_windows_pr),
        cmocka_unit_test(test_stft_transforms_exact),
        cmocka_unit_test(test_parity_with_pytorch),
        cmocka_unit_test(test_latency_value),
        cmocka_unit_test(test_latency_dry_exact),
        cmocka_unit_test(test_latency_wet_unity),
        cmocka_unit_test(test_latency_xcorr_model),
        cmocka_unit_test(test_rates_blocks_identical),
        cmocka_unit_test(test_odd_rates_and_bad_args),
        cmocka_unit_test(test_stereo_linked),
        cmocka_unit_test(test_nonfinite_and_denormal_input),
        cmocka_unit_test(test_parameter_changes_click_free),
        cmocka_unit_test(test_task_params_validated),
        cmocka_unit_test(test_df_parity_with_pytorch),
        cmocka_unit_test(test_df_rates_blocks_stereo),
        cmocka_unit_test(test_df_silence_and_limit),
    };
    return cmocka_run_group_tests_name("denoiser engine", tests, setup, teardown);
}
