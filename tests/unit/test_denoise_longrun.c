/* test_denoise_longrun.c — long silence before speech (a DAW's stopped transport) must not
 * cost the denoiser anything, and an idle (silent) stream must not run the network.
 *
 * Real dev-set audio (../shared/data/devset, 48 kHz) through the shipped model; the idle
 * path is checked with the engine's internal network-step counter (dsp/engines/denoise.h), not
 * with timings. Background: stepping the network through digital silence drove its slow
 * SSM modes far from anything seen in training; before the idle gate, 60 s of silence
 * before dev clip 016 cost 7.5 dB SI-SDR (build/tools/denoise_longrun). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>

#include "denoise.h"
#include "denoise_util.h"

#define LR_MAX_COST_DB 0.2

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

static sw_denoiser *make(double fs, int ch)
{
    sw_denoiser *d = NULL;
    char err[512] = "";
    if (sw_denoiser_create(g_model, fs, ch, &d, err, sizeof err) != SW_OK) fail_msg("create: %s", err);
    return d;
}

static uint64_t rng = 0x243F6A8885A308D3ull;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) * (1.0 / 9007199254740992.0);
}

/* Runs x[n] (mono) through d in blocks (block 0 = random 1..1024); y may be NULL. */
static void run(sw_denoiser *d, const float *x, float *y, size_t n, size_t block)
{
    static float scratch[1024];
    size_t t = 0;
    while (t < n) {
        size_t m = block ? block : 1 + (size_t)(urand() * 1024.0);
        if (m > 1024) m = 1024;
        if (m > n - t) m = n - t;
        const float *ip[1] = {x + t};
        float *op[1] = {y ? y + t : scratch};
        sw_denoiser_process(d, ip, op, m);
        t += m;
    }
}

/* SI-SDR of clip `id` after `lead` samples of digital silence (0 = fresh start), the lead-in's
 * output dropped, latency compensated. Also checks that the output during the lead-in is 0. */
static double clip_after_silence(int id, size_t lead, size_t block, uint64_t *steps)
{
    char pn[512], pc[512];
    snprintf(pn, sizeof pn, "%s/noisy/%03d.flac", DU_DEVSET_DIR, id);
    snprintf(pc, sizeof pc, "%s/clean/%03d.flac", DU_DEVSET_DIR, id);
    du_audio xn, xc;
    if (du_read(pn, &xn) != 0) fail_msg("cannot read %s", pn);
    if (du_read(pc, &xc) != 0) fail_msg("cannot read %s", pc);
    assert_int_equal(xn.rate, 48000);
    sw_denoiser *d = make(xn.rate, 1);
    const size_t L = (size_t)sw_denoiser_latency(d), n = xn.frames, tot = lead + n + L;
    float *x = calloc(tot, sizeof(float)), *y = malloc(sizeof(float) * tot);
    memcpy(x + lead, xn.ch[0], sizeof(float) * n);
    run(d, x, y, tot, block);
    /* Frames that reach into the clip spread a little of it over their 2H-sample synthesis
     * support, so only outputs from more than 2H samples before the clip must be 0. */
    for (size_t t = 0; t + 2 * L + 1 < lead + L; t++)
        if (y[t] != 0.0f) fail_msg("clip %03d: output %g at %zu during digital silence", id, y[t], t);
    const size_t nc = n < xc.frames ? n : xc.frames;
    const double s = du_si_sdr(y + lead + L, xc.ch[0], nc);
    if (steps) *steps = sw_denoiser_net_steps(d);
    free(x);
    free(y);
    sw_denoiser_destroy(d);
    du_audio_free(&xn);
    du_audio_free(&xc);
    return s;
}

/* 60 s of digital silence before a clip costs at most LR_MAX_COST_DB versus a fresh start
 * (hop-aligned and not, fixed and random blocks); the network is not stepped during it. */
static void test_silence_leadin_free(void **state)
{
    (void)state;
    const int ids[] = {16, 44, 31};
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
        uint64_t st_fresh, st_lead;
        const double fresh = clip_after_silence(ids[k], 0, 480, &st_fresh);
        const size_t leads[] = {60 * 48000, 60 * 48000 + 97};
        for (int l = 0; l < 2; l++) {
            const double s = clip_after_silence(ids[k], leads[l], l ? 0 : 480, &st_lead);
            print_message("clip %03d: fresh %.2f dB, after %.4f s of silence %.2f dB (%+.3f); net steps %llu vs %llu\n",
                          ids[k], fresh, leads[l] / 48000.0, s, s - fresh, (unsigned long long)st_lead,
                          (unsigned long long)st_fresh);
            if (s < fresh - LR_MAX_COST_DB)
                fail_msg("clip %03d: 60 s of silence first costs %.2f dB", ids[k], fresh - s);
            /* the 12000 silent hops were not stepped: at most one more (the phase shift) */
            assert_true(st_lead <= st_fresh + 1);
        }
    }
}

/* Exact step accounting: silence is idle from the start (the zeroed history is silent);
 * sound steps every hop; after sound, the network runs until the whole analysis window
 * (win_hops = 4 hops) is silent, then idles; -100 dBFS is the line, in every channel. */
static void test_idle_skips_network(void **state)
{
    (void)state;
    const double fs = 48000;
    const size_t H = 240, n = 48000;
    float *z = calloc(n, sizeof(float)), *q = malloc(sizeof(float) * n), *s = malloc(sizeof(float) * n);
    float *y = malloc(sizeof(float) * n);
    for (size_t t = 0; t < n; t++) {
        double g = (urand() - 0.5) * 3.4641; /* unit-variance uniform */
        q[t] = (float)(g * 3.1623e-6);      /* -110 dBFS: idle */
        s[t] = (float)(g * 1e-3);           /* -60 dBFS: active */
    }
    sw_denoiser *d = make(fs, 1);
    assert_int_equal(sw_denoiser_latency(d), 2 * (int)H - 1);
    run(d, z, y, n, 0);
    assert_int_equal(sw_denoiser_net_steps(d), 0);
    for (size_t t = 0; t < n; t++) assert_true(y[t] == 0.0f);
    run(d, q, y, n, 0);
    assert_int_equal(sw_denoiser_net_steps(d), 0);
    run(d, s, y, n, 0); /* 200 active hops */
    assert_int_equal(sw_denoiser_net_steps(d), n / H);
    run(d, z, y, n, 0); /* 3 hops with sound still in the window, then idle */
    assert_int_equal(sw_denoiser_net_steps(d), n / H + 3);
    run(d, s, y, 10 * H, 7);
    assert_int_equal(sw_denoiser_net_steps(d), n / H + 13);
    sw_denoiser_reset(d); /* reset: idle again from the first silent hop */
    run(d, z, y, n, 0);
    assert_int_equal(sw_denoiser_net_steps(d), n / H + 13);
    sw_denoiser_destroy(d);

    /* stereo: idle only when both channels are silent */
    d = make(fs, 2);
    const float *in[2] = {z, s};
    float *y2 = malloc(sizeof(float) * n), *out[2] = {y, y2};
    sw_denoiser_process(d, in, out, n);
    assert_int_equal(sw_denoiser_net_steps(d), n / H);
    in[1] = q;
    sw_denoiser_process(d, in, out, n);
    assert_int_equal(sw_denoiser_net_steps(d), n / H + 3);
    sw_denoiser_destroy(d);
    free(z);
    free(q);
    free(s);
    free(y);
    free(y2);
}

/* Idle output is the latency-delayed input (unity-gain overlap-add of the input, float
 * rounding only), at any mix; the transitions into and out of idle keep the engine
 * block-size invariant bit for bit and click-free. */
static void test_idle_output_and_blocks(void **state)
{
    (void)state;
    const double fs = 44100;
    du_audio xn;
    char pn[512];
    snprintf(pn, sizeof pn, "%s/noisy/%03d.flac", DU_DEVSET_DIR, 16);
    if (du_read(pn, &xn) != 0) fail_msg("cannot read %s", pn);
    /* speech, 1 s digital silence, speech, 0.7 s of -110 dBFS noise, speech, silence */
    const size_t seg = 2 * 44100, sil = 44100, qn = 30870, n = 3 * seg + sil + qn + sil;
    float *x = calloc(n, sizeof(float)), *ref = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
    memcpy(x, xn.ch[0], sizeof(float) * seg);
    memcpy(x + seg + sil, xn.ch[0] + seg, sizeof(float) * seg);
    for (size_t t = 0; t < qn; t++) x[2 * seg + sil + t] = (float)((urand() - 0.5) * 1.1e-5);
    memcpy(x + 2 * seg + sil + qn, xn.ch[0], sizeof(float) * seg);
    du_audio_free(&xn);
    for (int mixi = 0; mixi < 2; mixi++) {
        const float mix = mixi ? 0.5f : 1.0f;
        sw_denoiser *d = make(fs, 1);
        sw_denoiser_set_mix(d, mix);
        sw_denoiser_reset(d);
        run(d, x, ref, n, n);
        const size_t L = (size_t)sw_denoiser_latency(d), H = (L + 1) / 2, N = 4 * H;
        /* idle regions: from N + 2H samples into each quiet stretch to 2H before its end (where
         * every frame overlapping the sample lies inside the stretch), output = delayed input */
        const size_t q0[] = {seg, 2 * seg + sil, 3 * seg + sil + qn}, ql[] = {sil, qn, sil};
        for (int r = 0; r < 3; r++) {
            double md = 0;
            for (size_t t = q0[r] + N + 2 * H; t + 2 * H < q0[r] + ql[r]; t++) md = fmax(md, fabs(ref[t + L] - x[t]));
            if (md > 1e-11) fail_msg("mix %.1f, quiet stretch %d: output differs from the delayed input by %g", mix, r, md);
        }
        /* no step at any transition beyond what the input itself has */
        double jx = 0, jy = 0;
        for (size_t t = 1; t + L < n; t++) {
            jx = fmax(jx, fabs((double)x[t] - x[t - 1]));
            jy = fmax(jy, fabs((double)ref[t + L] - ref[t + L - 1]));
        }
        assert_true(jy <= 1.5 * jx);
        const size_t blocks[] = {1, 7, 240, 333, 0};
        for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
            sw_denoiser_reset(d);
            run(d, x, y, n, blocks[b]);
            if (memcmp(y, ref, sizeof(float) * n) != 0) fail_msg("mix %.1f: block %zu differs", mix, blocks[b]);
        }
        sw_denoiser_destroy(d);
    }
    free(x);
    free(ref);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_skips_network),
        cmocka_unit_test(test_idle_output_and_blocks),
        cmocka_unit_test(test_silence_leadin_free),
    };
    return cmocka_run_group_tests_name("denoiser long silence / idle", tests, setup, teardown);
}
