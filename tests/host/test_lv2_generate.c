/* test_lv2_generate.c — the Statewave generator instrument (https://statewave.dev/plugins/generate)
 * in a lilv host (tests/common/lv2host.h), with the real shipped model from build/statewave.lv2.
 *
 *  1. rates outside 8..192 kHz are refused with a log:Error
 *  2. at 16 kHz (the model rate, no resampler) the output is exactly the generator run
 *     directly (sw_generator_render, same seed) times the 10 ms fade-in; at 8, 44.1, 48 and
 *     192 kHz it matches that reference resampled by libsamplerate in one call
 *  3. at 44.1 and 48 kHz with blocks of 1, 7, 64, 256, 1000, 4096 and random sizes: silent
 *     (exact zeros) before the note-on frame, finite and playing while the note is held,
 *     exact zeros from note-off + fade on; the same seed gives identical output for the
 *     same block schedule and the same audio (to resampler rounding) for any schedule;
 *     another seed gives other audio
 *  4. a new phrase after silence starts again from the seed (identical to the first);
 *     a note-on during the fade continues the phrase (no restart, no gap)
 *  5. latch plays without MIDI and fades out when switched off; the sustain pedal holds;
 *     all-notes-off releases; transport follows time:Position speed only with the
 *     transport control on
 *  6. velocity and gain scale the output exactly (after the gain ramp); NaN controls fall
 *     back to defaults; a host with no features at all still plays with latch
 *  7. idle costs nothing: CPU time of 10 s of silence is under 2% of 1 s of playing
 *  8. the model-file property: patch:Set of a copy of the model while silent takes over at
 *     once (the next phrase is identical to the default model's), during a phrase it is
 *     crossfaded in with no step beyond the audio's own; a truncated or missing file, a
 *     folder and a model of another task are logged and the model in use plays on unchanged; patch:Get and notify report the
 *     path; the state stores a user's path (none for the shipped model) and a new instance
 *     restored from it plays that file
 * Skipped with a message only if build/statewave.lv2 is not built.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <samplerate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lv2host.h"
#include "statewave.h"

#define FADE_S 0.010 /* plugin/generate_lv2.c GEN_FADE_S */

static int g_fail, g_pass;
#define CHECK(cond, ...)                                                                                     \
    do {                                                                                                     \
        if (cond) {                                                                                          \
            g_pass++;                                                                                        \
        } else {                                                                                             \
            g_fail++;                                                                                        \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                      \
            printf(__VA_ARGS__);                                                                             \
            printf("\n");                                                                                    \
        }                                                                                                    \
    } while (0)

static sw_model *g_model; /* the bundle's generate.safetensors, for the reference renders */

static uint32_t g_rng = 4242;
static uint32_t rnd(void)
{
    g_rng = g_rng * 1664525u + 1013904223u;
    return g_rng >> 8;
}

/* An event at an absolute frame of a run. kind 'm': MIDI (status, d1, d2); 'p': position
 * with speed d1; 'c': set control d1 to value v before the block that contains `at`. */
typedef struct {
    size_t at;
    char kind;
    uint8_t status, d1, d2;
    float v;
} ev;

/* Run n frames into out with a block schedule (bs > 0 fixed, 0 random 0..4096) and events. */
static void run_sched(h_gen *g, float *out, size_t n, int bs, const ev *evs, int nev)
{
    size_t done = 0;
    int e = 0;
    while (done < n) {
        size_t b = bs > 0 ? (size_t)bs : rnd() % 4097;
        if (b > n - done)
            b = n - done;
        /* a control change splits the block: controls are read per run() */
        for (int k = e; k < nev; k++)
            if (evs[k].kind == 'c' && evs[k].at > done && evs[k].at < done + b) {
                b = evs[k].at - done;
                break;
            }
        for (; e < nev && evs[e].at < done + b; e++) {
            if (evs[e].kind == 'm')
                h_gen_midi(g, (uint32_t)(evs[e].at - done), evs[e].status, evs[e].d1, evs[e].d2);
            else if (evs[e].kind == 'p')
                h_gen_position(g, (uint32_t)(evs[e].at - done), (float)evs[e].d1);
            else
                g->ctl[evs[e].d1] = evs[e].v;
        }
        h_gen_cycle(g, out + done, (uint32_t)b);
        done += b;
    }
}

static bool all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return false;
    return true;
}

static bool all_zero(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] != 0.0f)
            return false;
    return true;
}

static double rms(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return n ? sqrt(s / (double)n) : 0.0;
}

static float max_abs_diff(const float *a, const float *b, size_t n)
{
    float m = 0;
    for (size_t i = 0; i < n; i++) {
        float d = fabsf(a[i] - b[i]);
        if (!(d <= m))
            m = isnan(d) ? INFINITY : d;
    }
    return m;
}

/* Fraction of 50 ms windows of x[n] with RMS above 1e-3 (the piano plays, not a blip). */
static double playing_fraction(const float *x, size_t n, double rate)
{
    size_t w = (size_t)(0.05 * rate), k = 0, on = 0;
    for (size_t i = 0; i + w <= n; i += w, k++)
        on += rms(x + i, w) > 1e-3;
    return k ? (double)on / (double)k : 0.0;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The generator run directly: n model-rate samples, seed, default settings. */
static float *reference(uint64_t seed, size_t n)
{
    sw_generator *gen = NULL;
    char err[256];
    if (sw_generator_create(g_model, seed, &gen, err, sizeof err) != SW_OK) {
        printf("FAIL: sw_generator_create: %s\n", err);
        exit(1);
    }
    float *y = malloc(n * sizeof *y);
    sw_generator_render(gen, y, n);
    sw_generator_destroy(gen);
    return y;
}

static void test_bad_rates(h_host *H)
{
    const double bad[] = {4000, 7999, 192001, 400000};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int errs = H->log.n_error;
        H->log.quiet = true;
        h_gen *g = h_gen_new(H, bad[i], true);
        H->log.quiet = false;
        CHECK(g == NULL && H->log.n_error == errs + 1, "rate %.0f Hz: refused with one log:Error", bad[i]);
        h_gen_free(g);
    }
    H->log.last_error[strcspn(H->log.last_error, "\n")] = '\0';
    printf("ok   rates 4000/7999/192001/400000 Hz refused with a log:Error (\"%s\")\n", H->log.last_error);
}

/* 2. parity with the generator run directly (and resampled offline). */
static void test_parity(h_host *H)
{
    const double rates[] = {16000, 8000, 44100, 48000, 192000};
    const size_t model_n = 16000; /* 1 s */
    float *ref = reference(7, model_n + 64);
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        const double rate = rates[r];
        h_gen *g = h_gen_new(H, rate, true);
        CHECK(g != NULL, "instantiate at %.0f Hz", rate);
        if (!g)
            continue;
        g->ctl[G_SEED] = 7;
        const size_t on = 333, n = on + (size_t)(rate * 0.9);
        float *out = calloc(n, sizeof *out);
        ev evs[] = {{on, 'm', 0x90, 60, 127, 0}};
        run_sched(g, out, n, 256, evs, 1);
        const size_t fade = (size_t)lrint(FADE_S * rate);
        CHECK(all_zero(out, on) && out[on + fade] != 0.0f, "%.0f Hz: silent before the note-on frame", rate);
        if (rate == 16000) {
            /* no resampler: sample for sample the generator times the fade-in */
            float d = max_abs_diff(out + on + fade, ref + fade, n - on - fade);
            CHECK(d == 0.0f, "16 kHz: output after the fade-in == sw_generator_render (max diff %g)", d);
            double worst = 0;
            for (size_t i = 0; i < fade; i++) {
                double env = 0.5 - 0.5 * cos(M_PI * (double)(i + 1) / (double)fade);
                worst = fmax(worst, fabs(out[on + i] - ref[i] * env));
            }
            CHECK(worst < 1e-6, "16 kHz: fade-in is a raised cosine over %zu frames (max err %g)", fade, worst);
            printf("ok   16 kHz: plugin output == sw_generator_render(seed 7) exactly after a %zu-frame fade-in\n",
                   fade);
        } else {
            /* the reference resampled in one go by the same converter type */
            size_t m = (size_t)(rate * 1.0) + 64;
            float *rs = calloc(m, sizeof *rs);
            SRC_DATA d = {.data_in = ref, .input_frames = (long)model_n, .data_out = rs, .output_frames = (long)m,
                          .end_of_input = 0, .src_ratio = rate / 16000.0};
            int e = src_simple(&d, SRC_SINC_MEDIUM_QUALITY, 1); /* dsp/engines/gen_stream.c GEN_STREAM_QUALITY */
            CHECK(e == 0, "src_simple: %s", src_strerror(e));
            size_t cmp = n - on - fade;
            if (cmp > (size_t)d.output_frames_gen - fade)
                cmp = (size_t)d.output_frames_gen - fade;
            float dd = max_abs_diff(out + on + fade, rs + fade, cmp);
            CHECK(dd < 1e-4f && cmp > (size_t)(0.8 * rate),
                  "%.0f Hz: output == reference resampled offline (max diff %g over %zu frames)", rate, dd, cmp);
            printf("ok   %.0f Hz: plugin output == sw_generator_render(seed 7) resampled offline (max diff %.2g)\n",
                   rate, dd);
            free(rs);
        }
        free(out);
        h_gen_free(g);
    }
    free(ref);
}

/* 3. note on/off with varying block sizes; determinism. */
static void test_blocks(h_host *H)
{
    const double rates[] = {44100, 48000};
    const int sizes[] = {1, 7, 64, 256, 1000, 4096, 0};
    for (size_t r = 0; r < 2; r++) {
        const double rate = rates[r];
        const size_t on = (size_t)(0.1 * rate) + 17, off = on + (size_t)(0.4 * rate), n = off + (size_t)(0.1 * rate);
        const size_t fade = (size_t)lrint(FADE_S * rate);
        ev evs[] = {{on, 'm', 0x90, 64, 127, 0}, {off, 'm', 0x80, 64, 0, 0}};
        float *first = NULL;
        int ok_all = 1;
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            h_gen *g = h_gen_new(H, rate, true);
            CHECK(g != NULL, "instantiate at %.0f Hz", rate);
            if (!g)
                return;
            g->ctl[G_SEED] = 3;
            float *out = calloc(n, sizeof *out), *again = calloc(n, sizeof *again);
            uint32_t seed_rng = g_rng;
            run_sched(g, out, n, sizes[s], evs, 2);
            bool ok = all_finite(out, n);
            ok &= all_zero(out, on);
            double pf = playing_fraction(out + on, off - on, rate);
            ok &= pf > 0.9 && rms(out + on, off - on) > 0.01;
            ok &= rms(out + off - fade, fade) > 0.0; /* still sounding until note-off */
            ok &= all_zero(out + off + fade, n - off - fade);
            CHECK(ok, "%.0f Hz, blocks %d: silent before note-on, playing (%.0f%% of 50 ms windows), zeros from "
                      "note-off + %zu frames",
                  rate, sizes[s], 100 * pf, fade);
            ok_all &= ok;
            /* same seed, same schedule, new instance: identical (odd and random schedules) */
            if (sizes[s] == 7 || sizes[s] == 0) {
                h_gen *g2 = h_gen_new(H, rate, true);
                g2->ctl[G_SEED] = 3;
                g_rng = seed_rng;
                run_sched(g2, again, n, sizes[s], evs, 2);
                CHECK(max_abs_diff(out, again, n) == 0.0f, "%.0f Hz, blocks %d: same seed, same output", rate,
                      sizes[s]);
                h_gen_free(g2);
            }
            if (!first) {
                first = out;
            } else {
                /* another schedule: same audio up to the resampler's rounding */
                float d = max_abs_diff(first, out, n);
                CHECK(d < 1e-4f, "%.0f Hz: blocks %d vs %d: max diff %g", rate, sizes[s], sizes[0], d);
                free(out);
            }
            free(again);
            h_gen_free(g);
        }
        /* another seed: other audio */
        h_gen *g = h_gen_new(H, rate, true);
        g->ctl[G_SEED] = 4;
        float *other = calloc(n, sizeof *other);
        run_sched(g, other, n, 256, evs, 2);
        CHECK(rms(other + on, off - on) > 0.01 && max_abs_diff(first, other, n) > 0.05f, "%.0f Hz: seed 4 differs",
              rate);
        h_gen_free(g);
        free(other);
        free(first);
        if (ok_all)
            printf("ok   %.0f Hz, blocks 1/7/64/256/1000/4096/random: note-on frame exact, plays while held, "
                   "zeros from note-off + %zu frames; same seed = same audio, seed 4 differs\n",
                   rate, fade);
    }
}

/* 4. restart after silence; retrigger during the fade. */
static void test_phrases(h_host *H)
{
    const double rate = 48000;
    const size_t len = 24000, gap = 12000, fade = 480;
    /* phrase 1: [0, len), silence, phrase 2: [len+gap, 2len+gap) */
    const size_t n = 2 * len + 2 * gap;
    ev evs[] = {{0, 'm', 0x90, 60, 127, 0}, {len, 'm', 0x80, 60, 0, 0},
                {len + gap, 'm', 0x90, 72, 127, 0}, {2 * len + gap, 'm', 0x80, 72, 0, 0}};
    h_gen *g = h_gen_new(H, rate, true);
    g->ctl[G_SEED] = 11;
    float *out = calloc(n, sizeof *out);
    run_sched(g, out, n, 300, evs, 4);
    CHECK(all_zero(out + len + fade, gap - fade), "silence between the phrases");
    float d = max_abs_diff(out, out + len + gap, len + fade);
    CHECK(d == 0.0f && rms(out, len) > 0.01, "a new phrase after silence restarts from the seed (max diff %g)", d);
    h_gen_free(g);
    free(out);
    printf("ok   a phrase after silence == the first phrase (reset + reseed from the seed control)\n");

    /* retrigger in the middle of the fade: no restart, never silent */
    const size_t m = 2 * len;
    ev re[] = {{0, 'm', 0x90, 60, 127, 0}, {len, 'm', 0x80, 60, 0, 0}, {len + fade / 2, 'm', 0x90, 62, 127, 0}};
    g = h_gen_new(H, rate, true);
    g->ctl[G_SEED] = 11;
    out = calloc(m, sizeof *out);
    run_sched(g, out, m, 256, re, 3);
    size_t zeros = 0;
    for (size_t i = len; i < len + fade; i++)
        zeros += out[i] == 0.0f;
    double after = rms(out + len + fade, len - fade);
    /* a restart would replay the start of phrase 1 */
    float dre = max_abs_diff(out + len + fade / 2 + fade, out + fade, 4800);
    CHECK(zeros < 3 && after > 0.01 && dre > 0.05f,
          "note-on during the fade continues the phrase (zeros in fade %zu, RMS after %.3f, diff to a restart %g)",
          zeros, after, dre);
    h_gen_free(g);
    free(out);
    printf("ok   a note-on during the fade-out continues the phrase (no reset, no gap)\n");
}

/* 5. latch, sustain pedal, all notes off, transport. */
static void test_gates(h_host *H)
{
    const double rate = 44100;
    const size_t fade = (size_t)lrint(FADE_S * rate);
    const size_t n = 44100;
    float *out = calloc(n, sizeof *out);

    /* latch alone (no MIDI), then off */
    h_gen *g = h_gen_new(H, rate, true);
    ev la[] = {{1000, 'c', 0, G_LATCH, 0, 1.0f}, {30000, 'c', 0, G_LATCH, 0, 0.0f}};
    run_sched(g, out, n, 500, la, 2);
    CHECK(all_zero(out, 1000) && rms(out + 1000, 29000) > 0.01 && all_zero(out + 30000 + fade, n - 30000 - fade),
          "latch: plays from the block it is switched on, fades out when off");
    h_gen_free(g);
    printf("ok   latch on plays without MIDI, latch off fades out to zeros\n");

    /* sustain pedal: note off while the pedal is down keeps playing until the pedal is up */
    g = h_gen_new(H, rate, true);
    ev su[] = {{0, 'm', 0x90, 60, 127, 0}, {100, 'm', 0xB0, 64, 127, 0}, {5000, 'm', 0x80, 60, 0, 0},
               {25000, 'm', 0xB0, 64, 0, 0}};
    memset(out, 0, n * sizeof *out);
    run_sched(g, out, n, 512, su, 4);
    CHECK(rms(out + 5000 + fade, 20000 - fade) > 0.01 && all_zero(out + 25000 + fade, n - 25000 - fade),
          "sustain pedal holds a released note until the pedal is up");
    h_gen_free(g);

    /* two notes: releasing one keeps playing; all notes off (CC 123) releases */
    g = h_gen_new(H, rate, true);
    ev an[] = {{0, 'm', 0x90, 60, 127, 0}, {10, 'm', 0x91, 67, 127, 0}, {5000, 'm', 0x80, 60, 0, 0},
               {20000, 'm', 0xB1, 123, 0, 0}};
    memset(out, 0, n * sizeof *out);
    run_sched(g, out, n, 512, an, 4);
    CHECK(rms(out + 5000 + fade, 15000 - fade) > 0.01 && all_zero(out + 20000 + fade, n - 20000 - fade),
          "one of two notes released keeps playing; all notes off releases");
    h_gen_free(g);
    printf("ok   sustain pedal holds; with two notes one release keeps playing; CC 123 releases\n");

    /* transport: only with the transport control on */
    ev tr[] = {{2000, 'p', 0, 1, 0, 0}, {30000, 'p', 0, 0, 0, 0}};
    g = h_gen_new(H, rate, true);
    memset(out, 0, n * sizeof *out);
    run_sched(g, out, n, 512, tr, 2);
    CHECK(all_zero(out, n), "transport rolling with the transport control off: silent");
    h_gen_free(g);
    g = h_gen_new(H, rate, true);
    g->ctl[G_TRANSPORT] = 1.0f;
    memset(out, 0, n * sizeof *out);
    run_sched(g, out, n, 512, tr, 2);
    CHECK(all_zero(out, 2000) && rms(out + 2000, 28000) > 0.01 && all_zero(out + 30000 + fade, n - 30000 - fade),
          "transport control on: plays from time:speed 1 to time:speed 0");
    h_gen_free(g);
    printf("ok   transport: time:Position speed 1 starts and 0 stops it, only with the transport control on\n");
    free(out);
}

/* 6. velocity, gain, NaN controls, no features, temperature/top-p. */
static void test_levels(h_host *H)
{
    const double rate = 48000;
    const size_t n = 24000, fade = 480;
    float *a = calloc(n, sizeof *a), *b = calloc(n, sizeof *b);
    ev full[] = {{0, 'm', 0x90, 60, 127, 0}}, half[] = {{0, 'm', 0x90, 60, 64, 0}};
    h_gen *g = h_gen_new(H, rate, true);
    run_sched(g, a, n, 256, full, 1);
    h_gen_free(g);
    g = h_gen_new(H, rate, true);
    run_sched(g, b, n, 256, half, 1);
    h_gen_free(g);
    double worst = 0;
    for (size_t i = fade; i < n; i++)
        worst = fmax(worst, fabs(b[i] - a[i] * (64.0 / 127.0)));
    CHECK(worst < 1e-5 && rms(a, n) > 0.01, "velocity 64 = velocity 127 x 64/127 (max err %g)", worst);

    /* gain -6 dB from the start: exact factor (the ramp starts at the target) */
    g = h_gen_new(H, rate, true);
    g->ctl[G_GAIN] = -6.0f;
    run_sched(g, b, n, 256, full, 1);
    h_gen_free(g);
    const double k = pow(10.0, -6.0 / 20.0);
    worst = 0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(b[i] - a[i] * k));
    CHECK(worst < 1e-5, "gain -6 dB scales the output by %.4f (max err %g)", k, worst);

    /* a gain change while playing is ramped: no step larger than the signal's own */
    g = h_gen_new(H, rate, true);
    ev gc[] = {{0, 'm', 0x90, 60, 127, 0}, {12000, 'c', 0, G_GAIN, 0, -40.0f}};
    run_sched(g, b, n, 256, gc, 2);
    h_gen_free(g);
    double r_end = rms(b + n - 4800, 4800) / rms(a + n - 4800, 4800);
    bool smooth = true;
    for (size_t i = 12001; i < 12000 + 2400; i++) /* ratio to the unscaled signal moves gradually */
        if (fabs(a[i]) > 0.05 && fabs(a[i - 1]) > 0.05 && fabs(b[i] / a[i] - b[i - 1] / a[i - 1]) > 0.05)
            smooth = false;
    CHECK(fabs(r_end - 0.01) < 1e-3 && smooth, "gain 0 -> -40 dB: ramped, settles at 0.01 (got %.4f)", r_end);
    printf("ok   velocity scales by vel/127, gain -6 dB by 0.501, gain changes are ramped\n");

    /* NaN controls: the TTL defaults (temperature 1, top-p 1, seed 1, gain 0 dB) */
    g = h_gen_new(H, rate, true);
    g->ctl[G_TEMPERATURE] = NAN;
    g->ctl[G_TOP_P] = NAN;
    g->ctl[G_GAIN] = NAN;
    g->ctl[G_SEED] = NAN;
    run_sched(g, b, n, 256, full, 1);
    h_gen_free(g);
    g = h_gen_new(H, rate, true); /* all controls at their defaults */
    run_sched(g, a, n, 256, full, 1);
    h_gen_free(g);
    CHECK(all_finite(b, n) && max_abs_diff(a, b, n) == 0.0f, "NaN controls behave as the defaults");

    /* temperature / top-p change the audio, stay finite */
    g = h_gen_new(H, rate, true);
    g->ctl[G_TEMPERATURE] = 0.5f;
    g->ctl[G_TOP_P] = 0.5f;
    run_sched(g, b, n, 256, full, 1);
    h_gen_free(g);
    CHECK(all_finite(b, n) && max_abs_diff(a, b, n) > 0.01f, "temperature 0.5, top-p 0.5: other audio, finite");
    printf("ok   NaN controls fall back to the defaults; temperature/top-p change the audio\n");

    /* no features (no urid:map): MIDI cannot be read, latch still plays */
    g = h_gen_new(H, rate, false); /* the plugin warns on stderr (no log feature) */
    CHECK(g != NULL, "instantiate with no features");
    if (g) {
        memset(b, 0, n * sizeof *b);
        run_sched(g, b, 4800, 256, full, 1); /* ignored: no map */
        g->ctl[G_LATCH] = 1.0f;
        run_sched(g, b + 4800, n - 4800, 256, NULL, 0);
        CHECK(all_zero(b, 4800) && rms(b + 4800, n - 4800) > 0.01, "no features: MIDI ignored, latch plays");
        h_gen_free(g);
    }
    printf("ok   a host with no features: MIDI ignored, latch plays\n");
    free(a);
    free(b);
}

/* 7. idle costs nothing. */
static void test_idle_cpu(h_host *H)
{
    const double rate = 48000;
    h_gen *g = h_gen_new(H, rate, true);
    float buf[256];
    double t0 = cpu_s();
    g->ctl[G_LATCH] = 1.0f;
    for (int i = 0; i < 48000 / 256; i++) /* 1 s playing */
        h_gen_cycle(g, buf, 256);
    double play = cpu_s() - t0;
    g->ctl[G_LATCH] = 0.0f;
    h_gen_cycle(g, buf, 256);
    h_gen_cycle(g, buf, 256); /* faded out */
    t0 = cpu_s();
    bool silent = true;
    for (int i = 0; i < 10 * 48000 / 256; i++) { /* 10 s idle */
        h_gen_cycle(g, buf, 256);
        silent &= all_zero(buf, 256);
    }
    double idle = cpu_s() - t0;
    CHECK(silent && idle < 0.02 * play, "idle: 10 s of silence cost %.2f ms CPU vs %.0f ms for 1 s playing", idle * 1e3,
          play * 1e3);
    printf("ok   idle: 10 s of silence cost %.2f ms of CPU (1 s playing: %.0f ms)\n", idle * 1e3, play * 1e3);
    h_gen_free(g);
}

/* 8. the model-file property: swap, bad files, notify, state. */
static int copy_file(const char *src, const char *dst, long limit)
{
    FILE *a = fopen(src, "rb"), *b = fopen(dst, "wb");
    char buf[65536];
    size_t k;
    long total = 0;
    while (a && b && (k = fread(buf, 1, sizeof buf, a)) > 0 && (limit < 0 || total < limit)) {
        if (limit >= 0 && total + (long)k > limit)
            k = (size_t)(limit - total);
        fwrite(buf, 1, k, b);
        total += (long)k;
    }
    if (a)
        fclose(a);
    return b ? fclose(b) : -1;
}

static char *gen_save_state(h_host *H, h_gen *g)
{
    LilvState *st = lilv_state_new_from_instance(H->generate, g->inst, &H->map, NULL, NULL, NULL, NULL, NULL, NULL,
                                                 LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE, NULL);
    char *s = st ? lilv_state_to_string(H->world, &H->map, &H->unmap, st, "urn:statewave:test-state", NULL) : NULL;
    lilv_state_free(st);
    return s;
}

/* n frames in blocks of 256 with latch on from the first block; returns out. */
static void play_latched(h_gen *g, float *out, size_t n)
{
    g->ctl[G_LATCH] = 1.0f;
    for (size_t p = 0; p < n; p += 256)
        h_gen_cycle(g, out + p, (uint32_t)(n - p < 256 ? n - p : 256));
}

static void test_model_file(h_host *H)
{
    char dir[] = "/tmp/sw_lv2_gen_XXXXXX", def[PATH_MAX + 32], copy[PATH_MAX + 64], bad[PATH_MAX + 64];
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp: %s", strerror(errno));
        return;
    }
    snprintf(def, sizeof def, "%s/generate.safetensors", H->bundle_abs);
    snprintf(copy, sizeof copy, "%s/my model.safetensors", dir);
    snprintf(bad, sizeof bad, "%s/truncated.safetensors", dir);
    CHECK(copy_file(def, copy, -1) == 0 && copy_file(def, bad, 100000) == 0, "copies of the model in %s", dir);
    const size_t n = 48000 / 2;
    float *ref = calloc(n, 4), *out = calloc(n, 4);

    /* the reference: a phrase of the default model, seed 7 */
    h_gen *r = h_gen_new(H, 48000, true);
    r->ctl[G_SEED] = 7.0f;
    play_latched(r, ref, n);
    h_gen_free(r);

    /* patch:Get, then patch:Set of the copy while silent: it takes over at once */
    h_gen *g = h_gen_new(H, 48000, true);
    g->ctl[G_SEED] = 7.0f;
    h_gen_patch(g, 0, NULL);
    h_gen_cycle(g, out, 256);
    CHECK(!strcmp(g->notified, def), "patch:Get answers the shipped model (got '%s')", g->notified);
    char *s0 = gen_save_state(H, g);
    CHECK(s0 && !strstr(s0, "generate#model"), "shipped model: the state stores no model path");
    free(s0);
    int errs = H->log.n_error;
    h_gen_patch(g, 0, copy);
    h_gen_cycle(g, out, 256);
    h_gen_cycle(g, out, 256);
    CHECK(!strcmp(g->notified, copy) && H->log.n_error == errs, "patch:Set while silent: notify reports '%s'",
          g->notified);
    play_latched(g, out, n);
    CHECK(max_abs_diff(out, ref, n) == 0.0f && rms(out, n) > 1e-3, "the copy plays the same phrase (max diff %g)",
          max_abs_diff(out, ref, n));

    /* bad files during a phrase: logged from the worker, the phrase goes on unchanged */
    h_gen *u = h_gen_new(H, 48000, true); /* untouched, on the copy too */
    u->ctl[G_SEED] = 7.0f;
    h_gen_patch(u, 0, copy);
    h_gen_cycle(u, ref, 256);
    h_gen_cycle(u, ref, 256);
    play_latched(u, ref, n);
    char wrong[PATH_MAX + 32]; /* a valid model of another task */
    snprintf(wrong, sizeof wrong, "%s/denoise.safetensors", H->bundle_abs);
    const char *bads[] = {bad, "/nonexistent/generate.safetensors", dir, wrong};
    for (int i = 0; i < 4; i++) {
        errs = H->log.n_error;
        H->log.quiet = true;
        h_gen_patch(g, 0, bads[i]);
        h_gen_cycle(g, out, 256);
        h_gen_cycle(u, ref, 256);
        h_gen_cycle(g, out + 256, 256);
        h_gen_cycle(u, ref + 256, 256);
        H->log.quiet = false;
        CHECK(H->log.n_error == errs + 1 && strstr(H->log.last_error, "keeping the current model"),
              "bad model %s: one log:Error (got '%s')", bads[i], H->log.last_error);
        CHECK(!strcmp(g->notified, copy) && max_abs_diff(out, ref, 512) == 0.0f,
              "bad model %s: the model in use plays on, unchanged", bads[i]);
    }
    h_gen_free(u);

    /* the state stores the user's path; a new instance restored from it plays that file */
    char *s1 = gen_save_state(H, g);
    CHECK(s1 && strstr(s1, "generate#model") && (strstr(s1, "my%20model") || strstr(s1, "my model")),
          "the state stores the user's model path:\n%s", s1 ? s1 : "(null)");
    h_gen *g2 = h_gen_new_inactive(H, 48000, true);
    LilvState *st = s1 ? lilv_state_new_from_string(H->world, &H->map, s1) : NULL;
    if (st) {
        lilv_state_restore(st, g2->inst, NULL, NULL, 0, NULL);
        lilv_state_free(st);
    }
    lilv_instance_activate(g2->inst);
    h_gen_patch(g2, 0, NULL);
    h_gen_cycle(g2, out, 256);
    CHECK(!strcmp(g2->notified, copy), "restored instance plays the saved model (got '%s')", g2->notified);
    h_gen_free(g2);
    free(s1);

    /* back to the shipped model during a phrase: crossfaded, no step beyond the audio's own */
    h_gen_patch(g, 0, def);
    play_latched(g, out, n);
    float step = 0, own = 0;
    for (size_t i = 1; i < n; i++)
        step = fmaxf(step, fabsf(out[i] - out[i - 1]));
    for (size_t i = 1; i < n; i++)
        own = fmaxf(own, fabsf(ref[i] - ref[i - 1]));
    CHECK(!strcmp(g->notified, def) && all_finite(out, n) && rms(out, n) > 1e-3 && step <= 1.5f * own,
          "patch:Set during a phrase: crossfaded to '%s', largest step %g (the phrase's own %g)", g->notified, step,
          own);
    h_gen_free(g);
    printf("ok   model file: patch:Set while silent / playing, bad files kept out, notify, state save/restore\n");
    unlink(copy);
    unlink(bad);
    rmdir(dir);
    free(ref);
    free(out);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    h_host H;
    int r = h_host_init(&H);
    if (r == -1) {
        printf("SKIP test_lv2_generate: %s not built (run `make` from the repo root first)\n", H_BUNDLE_DIR);
        return 0;
    }
    if (r != 0 || !H.generate) {
        printf("FAIL: could not load the generator from %s\n", H_BUNDLE_DIR);
        return 1;
    }
    char path[PATH_MAX + 32], err[256];
    snprintf(path, sizeof path, "%s/generate.safetensors", H.bundle_abs);
    if (sw_model_load_file(path, &g_model, err, sizeof err) != SW_OK) {
        printf("FAIL: bundle model: %s\n", err);
        return 1;
    }
    test_bad_rates(&H);
    test_parity(&H);
    test_blocks(&H);
    test_phrases(&H);
    test_gates(&H);
    test_levels(&H);
    test_idle_cpu(&H);
    test_model_file(&H);
    sw_model_free(g_model);
    h_host_free(&H);
    printf("%s test_lv2_generate: %d checks passed, %d failed\n", g_fail ? "FAIL" : "PASS", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
