/* test_lv2_synth.c — the neural instrument (https://statewave.dev/plugins/synth) and the
 * timbre-transfer effect (https://statewave.dev/plugins/transfer) in a lilv host, in process.
 *
 * Runs from the repo root against build/statewave.lv2; skipped with a message only if the
 * bundle is not built or was built without any trained timbre model (then neither plugin
 * exists: nothing to test). The host gives urid:map, log:log and a synchronous worker
 * (jobs run right after run(), responses delivered after them, as jalv does).
 *
 * Instrument:
 *  1. rates 22050, 44100, 48000, 96000, 192000 x blocks 1, 64, 1000, varying (1..1500):
 *     output finite; exact silence before the first note-on; the note sounds within one
 *     control frame (sr/250) plus one block of its note-on frame (events land inside blocks);
 *     left == right (dual mono)
 *  2. the plugin is a thin shell: at 48 kHz, blocks of 64 and varying, its output equals
 *     sw_synth driven directly with the same events at the same frames
 *  3. MIDI: velocity-0 note-off, sustain pedal (a note released with the pedal down keeps
 *     sounding, pedal up releases it), CC123 releases, CC120 silences within 5 ms + 1 block,
 *     pitch bend +2 semitones and pitch shift +12 move f0 (measured with sw_analyze_f0_loudness)
 *  4. timbre switch while a note is held: loaded by the worker, notified, crossfaded with
 *     no click (largest sample step within 1.25x of the steady sounds on either side), no
 *     drop-out; the old engine is freed by the worker
 *  5. patch:Set of a model copy, corrupt and missing files, a timbre whose model is not
 *     shipped (log:Error, model kept, audio goes on); state save/restore: a shipped timbre is the timbre port (no model key), a user's
 *     model is saved as a path and restored with the controls; a missing model in a state
 *     keeps the current model with a log:Error
 * Timbre transfer:
 *  6. latency port == sw_transfer_latency() at every rate and block size; output finite;
 *     equal to sw_transfer run directly; bypass: after the ramp the output is the input
 *     delayed by exactly the latency, and the ramp has no click
 * Real time (skipped under ASan, which owns the allocator): every run() / work_response()
 *  above is counted by tests/common/rt_interpose.h: no allocation, free, mutex lock or file I/O.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_interpose.h"

static volatile long g_io; /* open/fopen/read/write seen while rt_counting */
static long g_rt_calls;    /* audio-thread callbacks counted */

#define H_RT_ENTER() (rt_counting = 1, g_rt_calls++)
#define H_RT_LEAVE() (rt_counting = 0)
#include "lv2host.h"
#include "statewave.h"

#ifndef RT_INTERPOSE_UNDER_ASAN
#define FORWARD(ret, name, params, args)                                                                     \
    ret name params                                                                                          \
    {                                                                                                        \
        static ret(*real) params;                                                                            \
        if (!real)                                                                                           \
            *(void **)&real = dlsym(RTLD_NEXT, #name);                                                       \
        if (rt_counting)                                                                                     \
            g_io++;                                                                                          \
        return real args;                                                                                    \
    }
FORWARD(ssize_t, read, (int fd, void *b, size_t n), (fd, b, n))
FORWARD(ssize_t, write, (int fd, const void *b, size_t n), (fd, b, n))
FORWARD(FILE *, fopen, (const char *p, const char *m), (p, m))
int open(const char *path, int flags, ...)
{
    static int (*real)(const char *, int, ...);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "open");
    va_list ap;
    va_start(ap, flags);
    int mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, int) : 0;
    va_end(ap);
    if (rt_counting)
        g_io++;
    return real(path, flags, mode);
}
#endif

#include "synthhost.h"

static const char *const timbres[] = {"violin", "flute", "trumpet", "cello", "cello_real"};

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

/* ---------------------------------------------------------------- helpers -- */

static bool all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return false;
    return true;
}

static float peak(const float *x, size_t n)
{
    float p = 0;
    for (size_t i = 0; i < n; i++)
        p = fmaxf(p, fabsf(x[i]));
    return p;
}

static float max_abs_diff(const float *a, const float *b, size_t n)
{
    float m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmaxf(m, fabsf(a[i] - b[i]));
    return m;
}

static float max_step(const float *x, size_t n)
{
    float m = 0;
    for (size_t i = 1; i < n; i++)
        m = fmaxf(m, fabsf(x[i] - x[i - 1]));
    return m;
}

static double rms(const float *x, size_t n)
{
    double a = 0;
    for (size_t i = 0; i < n; i++)
        a += (double)x[i] * x[i];
    return n ? sqrt(a / (double)n) : 0;
}

static int copy_file(const char *src, const char *dst, long limit)
{
    FILE *a = fopen(src, "rb"), *b = fopen(dst, "wb");
    if (!a || !b) {
        if (a)
            fclose(a);
        if (b)
            fclose(b);
        return -1;
    }
    char buf[65536];
    size_t k;
    long total = 0;
    while ((k = fread(buf, 1, sizeof buf, a)) > 0) {
        if (limit >= 0 && total + (long)k > limit)
            k = (size_t)(limit - total);
        fwrite(buf, 1, k, b);
        total += (long)k;
        if (limit >= 0 && total >= limit)
            break;
    }
    fclose(a);
    return fclose(b);
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static const void *get_port_value(const char *sym, void *user, uint32_t *size, uint32_t *type)
{
    sx *s = user;
    static const char *syn[] = {"timbre", "harmonic_gain", "noise_gain", "pitch_shift", "reverb_mix", "level"};
    static const char *trn[] = {"enabled", "timbre", "harmonic_gain", "noise_gain", "pitch_shift", "reverb_mix", "level"};
    const char **names = s->synth ? syn : trn;
    int cnt = s->synth ? 6 : 7, first = s->synth ? S_TIMBRE : T_ENABLED;
    for (int i = 0; i < cnt; i++) {
        if (!strcmp(sym, names[i])) {
            *size = sizeof(float);
            *type = s->H->atom_Float;
            return &s->ctl[first + i];
        }
    }
    *size = 0;
    *type = 0;
    return NULL;
}

static void set_port_value(const char *sym, void *user, const void *value, uint32_t size, uint32_t type)
{
    sx *s = user;
    uint32_t sz, ty;
    float *p = (float *)get_port_value(sym, user, &sz, &ty);
    if (p && size == sizeof(float) && type == s->H->atom_Float)
        memcpy(p, value, sizeof(float));
}

static char *save_state(sx *s)
{
    LilvState *st = lilv_state_new_from_instance(s->plugin, s->inst, &s->H->map, NULL, NULL, NULL, NULL,
                                                 get_port_value, s, LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE, NULL);
    if (!st)
        return NULL;
    char *str = lilv_state_to_string(s->H->world, &s->H->map, &s->H->unmap, st, "urn:statewave:synth-test", NULL);
    lilv_state_free(st);
    return str;
}

static int restore_state(sx *s, const char *str)
{
    LilvState *st = lilv_state_new_from_string(s->H->world, &s->H->map, str);
    if (!st)
        return -1;
    lilv_state_restore(st, s->inst, set_port_value, s, 0, NULL);
    lilv_state_free(st);
    return 0;
}

static char g_bundle_model[5][PATH_MAX + 64]; /* bundle path of each timbre's model ("" = absent) */
static int g_first_timbre = -1;               /* first shipped timbre (the default) */
static int g_second_timbre = -1;              /* another shipped timbre, or -1 */

/* --------------------------------------------------------------- tests -- */

/* 1. rates x block sizes: finite, silent before the note, sounding within 2 H + block. The engine
 * renders from the note-on's sample; a trained voice starts from its rest state and, as its
 * reference (FluidR3_GM, whose samples open with 4-6 ms below -40 dB) taught it, keeps the first
 * control frame near silence (README, "Attacks and releases"). */
static void test_rates_blocks(h_host *H)
{
    const double rates[] = {22050, 44100, 48000, 96000, 192000};
    const int blocks[] = {1, 64, 1000, 0};
    for (int r = 0; r < 5; r++) {
        const double sr = rates[r];
        const size_t n = (size_t)(0.6 * sr);
        const size_t on = (size_t)(0.1 * sr) + 37, off = (size_t)(0.4 * sr) + 11;
        const size_t H_c = (size_t)ceil(sr / 250.0);
        float *l = calloc(n, 4), *rr = calloc(n, 4);
        for (int b = 0; b < 4; b++) {
            sx *s = sx_new(H, true, sr, true);
            CHECK(s, "instantiate the instrument at %.0f Hz", sr);
            if (!s)
                continue;
            lilv_instance_activate(s->inst);
            ev evs[] = {MIDI(on, 0x90, 69, 100), MIDI(off, 0x90, 69, 0)};
            play(s, NULL, l, rr, n, blocks[b], evs, 2);
            size_t first = n;
            for (size_t i = 0; i < n; i++)
                if (fabsf(l[i]) > 1e-4f) {
                    first = i;
                    break;
                }
            size_t bmax = blocks[b] > 0 ? (size_t)blocks[b] : 1500;
            CHECK(all_finite(l, n), "%.0f Hz block %d: output finite", sr, blocks[b]);
            CHECK(peak(l, on) == 0.0f, "%.0f Hz block %d: exact silence before the note-on (peak %g)", sr, blocks[b],
                  peak(l, on));
            CHECK(first >= on && first <= on + 2 * H_c + bmax,
                  "%.0f Hz block %d: note-on at %zu sounds at %zu (limit two control frames %zu + one block %zu)", sr,
                  blocks[b], on, first, 2 * H_c, bmax);
            CHECK(max_abs_diff(l, rr, n) == 0.0f, "%.0f Hz block %d: left == right", sr, blocks[b]);
            CHECK(rms(l + on, off - on) > 1e-3, "%.0f Hz block %d: the held note plays (RMS %g)", sr, blocks[b],
                  rms(l + on, off - on));
            if (blocks[b] == 64)
                printf("ok   %6.0f Hz: first sound %zu frames after the note-on (control frame %zu), RMS %.4f\n", sr,
                       first - on, H_c, rms(l + on, off - on));
            lilv_instance_deactivate(s->inst);
            sx_free(s);
        }
        free(l);
        free(rr);
    }
}

/* 2. plugin == sw_synth driven directly, same events at the same frames */
static void test_parity(h_host *H)
{
    const double sr = 48000;
    const size_t n = 48000;
    sw_model *m = NULL;
    char err[256];
    if (sw_model_load_file(g_bundle_model[g_first_timbre], &m, err, sizeof err) != SW_OK) {
        CHECK(0, "load %s: %s", g_bundle_model[g_first_timbre], err);
        return;
    }
    sw_synth *ref = NULL;
    CHECK(sw_synth_create(m, sr, SW_SYNTH_DEFAULT_VOICES, &ref, err, sizeof err) == SW_OK, "sw_synth_create: %s", err);
    if (!ref) {
        sw_model_free(m);
        return;
    }
    ev evs[] = {MIDI(1000, 0x90, 60, 90),  MIDI(3000, 0xB0, 1, 100),  MIDI(5003, 0x90, 64, 70),
                MIDI(7000, 0xB0, 11, 80),  MIDI(8000, 0xD0, 90, 0),   MIDI(9000, 0xE0, 0x00, 0x50),
                MIDI(12001, 0xB0, 64, 127), MIDI(15000, 0x80, 60, 0), MIDI(20000, 0x90, 67, 110),
                MIDI(24000, 0xB0, 121, 0), MIDI(26000, 0xB0, 64, 0),  MIDI(30000, 0x90, 64, 0),
                MIDI(36000, 0x90, 67, 0)};
    const int nev = (int)(sizeof evs / sizeof evs[0]);
    float *want = calloc(n, 4), *got = calloc(n, 4), *r2 = calloc(n, 4);
    /* reference: process up to each event, apply it */
    size_t pos = 0;
    for (int e = 0; e <= nev; e++) {
        size_t at = e < nev ? evs[e].at : n;
        sw_synth_process(ref, want + pos, at - pos);
        pos = at;
        if (e == nev)
            break;
        uint8_t st = evs[e].st & 0xF0;
        if (st == 0x90 && evs[e].d2)
            sw_synth_note_on(ref, evs[e].d1, evs[e].d2);
        else if (st == 0x90 || st == 0x80)
            sw_synth_note_off(ref, evs[e].d1);
        else if (st == 0xB0 && evs[e].d1 == 64)
            sw_synth_sustain(ref, evs[e].d2 >= 64);
        else if (st == 0xB0 && evs[e].d1 == 1)
            sw_synth_mod_wheel(ref, evs[e].d2 / 127.0f);
        else if (st == 0xB0 && evs[e].d1 == 11)
            sw_synth_expression(ref, evs[e].d2 / 127.0f);
        else if (st == 0xD0)
            sw_synth_pressure(ref, evs[e].d1 / 127.0f);
        else if (st == 0xB0 && evs[e].d1 == 121)
            sw_synth_reset_controllers(ref);
        else if (st == 0xE0)
            sw_synth_pitch_bend(ref, 2.0f * (float)((evs[e].d2 << 7 | evs[e].d1) - 8192) / 8192.0f);
    }
    const int plans[] = {64, 0};
    for (int p = 0; p < 2; p++) {
        sx *s = sx_new(H, true, sr, true);
        lilv_instance_activate(s->inst);
        play(s, NULL, got, r2, n, plans[p], evs, nev);
        float d = max_abs_diff(got, want, n);
        CHECK(d <= 1e-6f * fmaxf(1.0f, peak(want, n)),
              "block %d: plugin output == sw_synth with the same events (max diff %g, peak %g)", plans[p], d,
              peak(want, n));
        printf("ok   parity with sw_synth (block %s): max diff %g, peak %.3f\n", plans[p] ? "64" : "varying", d,
               peak(want, n));
        sx_free(s);
    }
    sw_synth_destroy(ref);
    sw_model_free(m);
    free(want);
    free(got);
    free(r2);
}

/* median f0 (Hz) of x over [a, b) frames, measured with the library's YIN */
static double median_f0(const float *x, size_t a, size_t b, double sr)
{
    size_t nf = (size_t)((double)(b - a) * 250.0 / sr);
    float *f0 = calloc(nf, 4), *ld = calloc(nf, 4);
    uint8_t *v = calloc(nf, 1);
    char err[128];
    double med = 0;
    if (sw_analyze_f0_loudness(x + a, b - a, sr, f0, v, ld, nf, err, sizeof err) == SW_OK) {
        /* insertion sort of the voiced frames of the second half (the first has the onset) */
        float *s = calloc(nf, 4);
        size_t k = 0;
        for (size_t i = nf / 2; i < nf; i++)
            if (v[i]) {
                size_t j = k++;
                while (j > 0 && s[j - 1] > f0[i]) {
                    s[j] = s[j - 1];
                    j--;
                }
                s[j] = f0[i];
            }
        med = k ? s[k / 2] : 0;
        free(s);
    }
    free(f0);
    free(ld);
    free(v);
    return med;
}

/* Render `evs` on a fresh 48 kHz instrument (timbre t, pitch shift `shift`) into l (n frames). */
static float g_score_noise = 1.0f; /* noise gain of render_score's instances */
static void render_score(h_host *H, float *l, size_t n, int bs, const ev *evs, int nev, int t, float shift)
{
    float *r = calloc(n, 4);
    sx *s = sx_new(H, true, 48000, true);
    s->ctl[S_TIMBRE] = (float)t;
    s->ctl[S_NOISE] = g_score_noise;
    s->ctl[S_PITCH] = shift;
    lilv_instance_activate(s->inst);
    play(s, NULL, l, r, n, bs, evs, nev);
    sx_free(s);
    free(r);
}

/* 3. MIDI behaviour, checked by equivalences that hold for any model (docs/INSTRUMENT.md:
 * the pedal keeps the gate up, pitch = note + bend + shift), plus f0 when the model sounds */
static void test_midi(h_host *H)
{
    const size_t S = 48000, n = 3 * S;
    const int t0 = g_first_timbre;
    float *a = calloc(n, 4), *b = calloc(n, 4), *c = calloc(n, 4);

    /* sustain: note off (velocity-0 note-on) with the pedal down, pedal up at 2 s == key held
     * until 2 s; and differs from the key released at 1 s */
    ev ped[] = {MIDI(S / 10, 0x90, 57, 100), MIDI(S / 2, 0xB0, 64, 127), MIDI(S, 0x90, 57, 0), MIDI(2 * S, 0xB0, 64, 0)};
    ev key[] = {MIDI(S / 10, 0x90, 57, 100), MIDI(2 * S, 0x80, 57, 64)};
    ev rel[] = {MIDI(S / 10, 0x90, 57, 100), MIDI(S, 0x80, 57, 64)};
    render_score(H, a, n, 256, ped, 4, t0, 0);
    render_score(H, b, n, 1000, key, 2, t0, 0);
    render_score(H, c, n, 64, rel, 2, t0, 0);
    float d_pk = max_abs_diff(a, b, n), d_rel = max_abs_diff(a + S, c + S, S);
    CHECK(d_pk == 0.0f && rms(a + S / 10, S) > 1e-4,
          "sustain pedal: a note released with the pedal down plays exactly as a held key (max diff %g)", d_pk);
    CHECK(d_rel > 1e-3f, "velocity-0 note-off without the pedal releases the note (differs from sustained by %g)",
          d_rel);

    /* pitch bend: +1 semitone (0x3000) before the note-on == one semitone higher note */
    ev bnd[] = {MIDI(S / 10, 0xE0, 0x00, 0x60), MIDI(S / 10, 0x90, 57, 100), MIDI(2 * S, 0x80, 57, 0)};
    ev hi1[] = {MIDI(S / 10, 0x90, 58, 100), MIDI(2 * S, 0x80, 58, 0)};
    render_score(H, a, n, 256, bnd, 3, t0, 0);
    render_score(H, b, n, 256, hi1, 2, t0, 0);
    float d_b = max_abs_diff(a, b, n);
    CHECK(d_b <= 1e-6f * fmaxf(1.0f, peak(b, n)) && rms(a + S / 10, S / 10) > 1e-4,
          "pitch bend +1 semitone == the note a semitone up (max diff %g)", d_b);
    /* pitch shift +12 == the note an octave up */
    ev lo12[] = {MIDI(S / 10, 0x90, 45, 100), MIDI(2 * S, 0x80, 45, 0)};
    ev hi12[] = {MIDI(S / 10, 0x90, 57, 100), MIDI(2 * S, 0x80, 57, 0)};
    render_score(H, a, n, 512, lo12, 2, t0, 12.0f);
    render_score(H, b, n, 512, hi12, 2, t0, 0.0f);
    float d_s = max_abs_diff(a, b, n);
    CHECK(d_s <= 1e-6f * fmaxf(1.0f, peak(b, n)), "pitch shift +12 == the note an octave up (max diff %g)", d_s);
    /* bend on a sounding note: f0 moves (measured), when the model gives a voiced sound */
    ev ben2[] = {MIDI(S / 10, 0x90, 57, 100), MIDI(S + S / 10, 0xE0, 0x7F, 0x7F)};
    render_score(H, a, n, 256, ben2, 2, t0, 0);
    double f_plain = median_f0(a, S / 5, S, 48000), f_bend = median_f0(a, S + S / 5, 2 * S, 48000);
    if (f_plain > 0 && f_bend > 0) {
        double cp = 1200 * log2(f_plain / 220.0), cb = 1200 * log2(f_bend / 220.0);
        CHECK(fabs(cp) < 25 && fabs(cb - 200) < 25, "A3 %.1f Hz (%+.0f cents), bent by the full range %.1f Hz (%+.0f)",
              f_plain, cp, f_bend, cb);
        printf("ok   f0 (YIN): A3 plays at %.1f Hz, full bend %.1f Hz\n", f_plain, f_bend);
    } else {
        printf("note f0 check skipped: the model's A3 is not voiced over the measured second (f0 %.1f / %.1f)\n",
               f_plain, f_bend);
    }

    /* CC123: releases (== note-off of each note); CC120: exact silence 5 ms + 1 block later */
    ev c123[] = {MIDI(S / 10, 0x90, 60, 100), MIDI(S / 10, 0x90, 64, 100), MIDI(S, 0xB0, 64, 127), MIDI(S + 7, 0xB0, 123, 0)};
    ev offs[] = {MIDI(S / 10, 0x90, 60, 100), MIDI(S / 10, 0x90, 64, 100), MIDI(S + 7, 0x80, 60, 0), MIDI(S + 7, 0x80, 64, 0)};
    render_score(H, a, n, 256, c123, 4, t0, 0);
    render_score(H, b, n, 256, offs, 4, t0, 0);
    float d_123 = max_abs_diff(a, b, n);
    CHECK(d_123 == 0.0f, "CC123 (pedal down) == releasing every note and the pedal (max diff %g)", d_123);
    const size_t kill = S + S / 2 + 5;
    ev c120[] = {MIDI(S / 10, 0x90, 60, 100), MIDI(S / 10, 0x90, 64, 100), MIDI(kill, 0xB0, 120, 0)};
    ev none[] = {MIDI(S / 10, 0x90, 60, 100), MIDI(S / 10, 0x90, 64, 100)};
    render_score(H, a, n, 256, c120, 3, t0, 0);
    render_score(H, b, n, 256, none, 2, t0, 0);
    const size_t kill_end = kill + (size_t)(0.005 * 48000) + 1;
    CHECK(max_abs_diff(a, b, kill) == 0.0f && peak(a + kill_end, n - kill_end) == 0.0f,
          "CC120: exact silence 5 ms after it (peak after %g), unchanged before", peak(a + kill_end, n - kill_end));
    float st_k = max_step(a + kill - 1, kill_end - kill + 2), st_n = max_step(b + kill - 480, 960);
    CHECK(st_k <= 1.25f * st_n + 1e-6f, "CC120 fade-out has no click (step %g, steady %g)", st_k, st_n);
    printf("ok   pedal == held key, bend/shift == transposed notes, CC123 == note-offs, CC120 fade %zu frames\n",
           kill_end - kill);
    free(a);
    free(b);
    free(c);
}

/* 4. timbre switch while a note is held: before the swap the output is timbre A's, after the
 * 20 ms crossfade exactly timbre B's note started at the swap frame (the new engine takes the
 * held keys), and the crossfade has no step larger than either sound's own. Noise gain 0:
 * the noise generator runs on the engine's own clock from its reset, so the noise of the
 * engine fading in and of a reference started earlier are different draws; the harmonic part
 * is a function of the voice alone. */
static void test_timbre_switch(h_host *H)
{
    if (g_second_timbre < 0) {
        printf("SKIP timbre switch: only one timbre shipped\n");
        return;
    }
    const size_t S = 48000, n = 2 * S, sw_at = S + 123, bs = 256;
    /* the control is read at the block holding sw_at; the worker answers after that run();
     * the next run() starts the crossfade at its first frame */
    const size_t swap = (sw_at / bs + 1) * bs, xf = (size_t)lrint(0.020 * 48000);
    const int ta = g_first_timbre, tb = g_second_timbre;
    float *y = calloc(n, 4), *r = calloc(n, 4), *ya = calloc(n, 4), *yb = calloc(n, 4);
    ev evs[] = {MIDI(S / 10, 0x90, 62, 100), CTL(sw_at, S_TIMBRE, (float)tb)};
    sx *s = sx_new(H, true, 48000, true);
    s->ctl[S_TIMBRE] = (float)ta;
    s->ctl[S_NOISE] = g_score_noise = 0.0f;
    lilv_instance_activate(s->inst);
    int errs = H->log.n_error;
    play(s, NULL, y, r, n, (int)bs, evs, 2);
    CHECK(H->log.n_error == errs, "switch logs no error (%s)", H->log.last_error);
    CHECK(same_file(s->notified, g_bundle_model[tb]), "notify reports the new timbre's model (got '%s')", s->notified);
    sx_free(s);
    ev ea[] = {MIDI(S / 10, 0x90, 62, 100)}, eb[] = {MIDI(swap, 0x90, 62, 100)};
    render_score(H, ya, n, (int)bs, ea, 1, ta, 0);
    render_score(H, yb, n, (int)bs, eb, 1, tb, 0);
    g_score_noise = 1.0f;
    float d_a = max_abs_diff(y, ya, swap), d_b = max_abs_diff(y + swap + xf, yb + swap + xf, n - swap - xf);
    CHECK(d_a == 0.0f, "before the swap: timbre A's sound (max diff %g)", d_a);
    CHECK(d_b <= 1e-6f * fmaxf(1.0f, peak(yb, n)),
          "after the 20 ms crossfade: timbre B's note started at the swap (max diff %g)", d_b);
    float st_x = max_step(y + swap - 1, xf + 2);
    float st_a = max_step(ya + swap - 1, xf + 2), st_b = max_step(yb + swap - 1, xf + 2);
    CHECK(st_x <= 1.25f * fmaxf(st_a, st_b) + 1e-6f, "no click: largest step in the crossfade %g, A %g, B %g", st_x,
          st_a, st_b);
    /* what a hard switch would have done at the swap frame, for the record */
    float hard = fabsf(yb[swap] - ya[swap - 1]);
    CHECK(all_finite(y, n), "finite across the switch");
    printf("ok   timbre %s -> %s with a note held: crossfade %zu frames, largest step %.4f (A %.4f, B %.4f; a hard "
           "cut would step %.4f)\n", timbres[ta], timbres[tb], xf, st_x, st_a, st_b, hard);
    free(y);
    free(r);
    free(ya);
    free(yb);
}

/* 5. patch:Set model files, state save / restore */
static void test_models_state(h_host *H, const char *tmp)
{
    const double sr = 48000;
    const size_t S = 48000;
    char copy[PATH_MAX + 64], bad[PATH_MAX + 64], gone[PATH_MAX + 64];
    snprintf(copy, sizeof copy, "%s/my model.safetensors", tmp);
    snprintf(bad, sizeof bad, "%s/truncated.safetensors", tmp);
    snprintf(gone, sizeof gone, "%s/gone.safetensors", tmp);
    int src = g_second_timbre >= 0 ? g_second_timbre : g_first_timbre;
    CHECK(copy_file(g_bundle_model[src], copy, -1) == 0, "copy a model");
    CHECK(copy_file(g_bundle_model[src], bad, 3000) == 0, "truncated copy");
    CHECK(copy_file(g_bundle_model[src], gone, -1) == 0, "copy to be removed");
    float *l = calloc(4 * S, 4), *r = calloc(4 * S, 4);

    sx *s = sx_new(H, true, sr, true);
    s->ctl[S_LEVEL] = -6.0f;
    s->ctl[S_PITCH] = 3.0f;
    s->ctl[S_REVERB] = 0.25f;
    lilv_instance_activate(s->inst);
    ev e0[] = {PGET(0)};
    play(s, NULL, l, r, 4800, 256, e0, 1);
    CHECK(same_file(s->notified, g_bundle_model[g_first_timbre]), "patch:Get answers the shipped timbre's model ('%s')",
          s->notified);
    char *st0 = save_state(s);
    CHECK(st0 && !strstr(st0, "synth#model") && strstr(st0, "timbre"),
          "shipped timbre: the state has the timbre port and no model path:\n%s", st0 ? st0 : "(null)");

    /* corrupt and missing files: error, model kept, audio goes on */
    int errs = H->log.n_error;
    ev e1[] = {MIDI(100, 0x90, 60, 100), PSET(2000, bad), PSET(9000, "/nonexistent/x.safetensors")};
    play(s, NULL, l, r, S, 256, e1, 3);
    CHECK(H->log.n_error >= errs + 2, "truncated and missing model files are reported (%d errors: %s)",
          H->log.n_error - errs, H->log.last_error);
    CHECK(same_file(s->notified, g_bundle_model[g_first_timbre]), "the current model is kept (notify '%s')", s->notified);
    CHECK(rms(l + S / 2, S / 2) > 1e-3 && all_finite(l, S), "audio goes on after rejected models");

    /* a timbre whose model is not shipped (when one is missing): error, model kept */
    for (int t = 0; t < 5; t++) {
        if (g_bundle_model[t][0])
            continue;
        errs = H->log.n_error;
        ev em[] = {MIDI(0, 0x90, 62, 100), CTL(0, S_TIMBRE, (float)t), PGET(4800)};
        play(s, NULL, l, r, S / 2, 256, em, 3);
        CHECK(H->log.n_error > errs && strstr(H->log.last_error, timbres[t]),
              "selecting timbre %s (not shipped) is reported: '%s'", timbres[t], H->log.last_error);
        CHECK(same_file(s->notified, g_bundle_model[g_first_timbre]) && rms(l + S / 4, S / 4) > 1e-3,
              "... the current model is kept and plays ('%s')", s->notified);
        s->ctl[S_TIMBRE] = (float)g_first_timbre;
        printf("ok   timbre %s is not shipped: selecting it keeps the current model (%s)\n", timbres[t],
               H->log.last_error);
        break;
    }

    /* a user's model file through patch:Set */
    ev e2[] = {PSET(0, copy)};
    play(s, NULL, l, r, S, 256, e2, 1);
    CHECK(same_file(s->notified, copy), "patch:Set of a model copy: notify reports it ('%s')", s->notified);
    CHECK(rms(l + S / 2, S / 2) > 1e-3, "the held note goes on with the user's model");
    char *st1 = save_state(s);
    CHECK(st1 && strstr(st1, "synth#model") && (strstr(st1, "my%20model") || strstr(st1, "my model")), "the state stores the user's model path:\n%s",
          st1 ? st1 : "(null)");

    /* restore into a fresh instance: model + controls */
    sx *s2 = sx_new(H, true, sr, true);
    CHECK(restore_state(s2, st1) == 0, "restore");
    CHECK(s2->ctl[S_LEVEL] == -6.0f && s2->ctl[S_PITCH] == 3.0f && s2->ctl[S_REVERB] == 0.25f,
          "controls restored: level %g pitch %g reverb %g", s2->ctl[S_LEVEL], s2->ctl[S_PITCH], s2->ctl[S_REVERB]);
    lilv_instance_activate(s2->inst);
    ev e3[] = {PGET(0), MIDI(10, 0x90, 60, 100)};
    play(s2, NULL, l, r, S, 512, e3, 2);
    CHECK(same_file(s2->notified, copy), "restored instance plays the user's model ('%s')", s2->notified);
    CHECK(rms(l + S / 2, S / 2) > 1e-3, "restored instance plays");
    /* moving the timbre control afterwards goes back to a shipped timbre */
    if (g_second_timbre >= 0) {
        int want_t = (int)s2->ctl[S_TIMBRE] == g_second_timbre ? g_first_timbre : g_second_timbre;
        ev e4[] = {CTL(0, S_TIMBRE, (float)want_t)};
        play(s2, NULL, l, r, S / 2, 512, e4, 1);
        CHECK(same_file(s2->notified, g_bundle_model[want_t]), "after the timbre control moves, its model is used ('%s')",
              s2->notified);
    }
    sx_free(s2);

    /* restoring the shipped-timbre state into an instance playing a user's model goes back */
    s2 = sx_new(H, true, sr, true);
    restore_state(s2, st1);
    lilv_instance_activate(s2->inst);
    CHECK(restore_state(s2, st0) == 0, "restore the shipped-timbre state while active");
    ev e5[] = {PGET(0)};
    play(s2, NULL, l, r, S / 2, 512, e5, 1);
    CHECK(same_file(s2->notified, g_bundle_model[g_first_timbre]),
          "a state without a model path goes back to the timbre port's model ('%s')", s2->notified);
    sx_free(s2);

    /* a state whose model file has gone: log:Error, current model kept */
    ev e6[] = {PSET(0, gone)};
    play(s, NULL, l, r, 4800, 256, e6, 1);
    char *st2 = save_state(s);
    unlink(gone);
    s2 = sx_new(H, true, sr, true);
    errs = H->log.n_error;
    restore_state(s2, st2);
    lilv_instance_activate(s2->inst);
    ev e7[] = {PGET(0), MIDI(10, 0x90, 60, 100)};
    play(s2, NULL, l, r, S, 512, e7, 2);
    CHECK(H->log.n_error > errs && strstr(H->log.last_error, "gone"),
          "restoring a missing model is reported: '%s'", H->log.last_error);
    CHECK(same_file(s2->notified, g_bundle_model[g_first_timbre]) && rms(l + S / 2, S / 2) > 1e-3,
          "... and the instance keeps its model and plays ('%s')", s2->notified);
    sx_free(s2);
    sx_free(s);
    lilv_free(st0);
    lilv_free(st1);
    lilv_free(st2);
    unlink(copy);
    unlink(bad);
    free(l);
    free(r);
    printf("ok   model files (user, truncated, missing) and state save/restore\n");
}

/* 6. the timbre-transfer effect */
static void test_transfer(h_host *H)
{
    const double rates[] = {22050, 44100, 48000, 96000, 192000};
    const int blocks[] = {1, 64, 1000, 0};
    sw_model *m = NULL;
    char err[256];
    if (sw_model_load_file(g_bundle_model[g_first_timbre], &m, err, sizeof err) != SW_OK) {
        CHECK(0, "load %s: %s", g_bundle_model[g_first_timbre], err);
        return;
    }
    for (int ri = 0; ri < 5; ri++) {
        const double sr = rates[ri];
        const size_t n = (size_t)(0.8 * sr);
        float *x = calloc(n, 4), *y = calloc(n, 4), *ref = calloc(n, 4);
        /* a sung-like input: 196 Hz with vibrato and a few harmonics, gated on at 0.1 s */
        double ph = 0;
        for (size_t i = 0; i < n; i++) {
            double t = (double)i / sr, f = 196.0 * pow(2.0, 0.3 / 12 * sin(2 * M_PI * 5 * t));
            ph += 2 * M_PI * f / sr;
            double env = t < 0.1 ? 0 : fmin(1.0, (t - 0.1) / 0.02);
            x[i] = (float)(env * (0.3 * sin(ph) + 0.1 * sin(2 * ph) + 0.05 * sin(3 * ph)));
        }
        sw_transfer *tr = NULL;
        CHECK(sw_transfer_create(m, sr, &tr, err, sizeof err) == SW_OK, "sw_transfer_create %.0f: %s", sr, err);
        if (!tr)
            continue;
        const int L = sw_transfer_latency(tr);
        sw_transfer_process(tr, x, ref, n);
        for (int b = 0; b < 4; b++) {
            sx *s = sx_new(H, false, sr, true);
            CHECK(s, "instantiate transfer at %.0f Hz", sr);
            if (!s)
                continue;
            lilv_instance_activate(s->inst);
            play(s, x, y, NULL, n, blocks[b], NULL, 0);
            CHECK((int)s->ctl[T_LATENCY] == L, "%.0f Hz block %d: latency port %g == sw_transfer_latency %d", sr,
                  blocks[b], s->ctl[T_LATENCY], L);
            CHECK(all_finite(y, n), "%.0f Hz block %d: finite", sr, blocks[b]);
            float d = max_abs_diff(y, ref, n);
            CHECK(d <= 1e-6f * fmaxf(1.0f, peak(ref, n)), "%.0f Hz block %d: == sw_transfer (max diff %g)", sr,
                  blocks[b], d);
            CHECK(rms(y + n / 2, n / 2) > 1e-3, "%.0f Hz block %d: the input is played (RMS %g)", sr, blocks[b],
                  rms(y + n / 2, n / 2));
            sx_free(s);
        }
        if (sr == 48000) {
            /* bypass: ramp to the input delayed by exactly L, no click, then back */
            sx *s = sx_new(H, false, sr, true);
            lilv_instance_activate(s->inst);
            const size_t off_at = n / 2;
            ev evs[] = {CTL(off_at, T_ENABLED, 0.0f)};
            play(s, x, y, NULL, n, 64, evs, 1);
            const size_t settled = off_at + 64 + (size_t)(0.011 * sr);
            float dd = 0;
            for (size_t i = settled; i < n; i++)
                dd = fmaxf(dd, fabsf(y[i] - x[i - (size_t)L]));
            CHECK(dd <= 1e-6f, "bypassed: output == input delayed by the latency %d (max diff %g)", L, dd);
            float st_ramp = max_step(y + off_at - 64, 64 + (size_t)(0.012 * sr));
            float st_wet = max_step(ref + off_at - (size_t)(0.1 * sr), (size_t)(0.1 * sr)),
                  st_dry = max_step(x + off_at - (size_t)L, (size_t)(0.1 * sr));
            CHECK(st_ramp <= 1.25f * fmaxf(st_wet, st_dry), "bypass ramp has no click: step %g (wet %g, dry %g)",
                  st_ramp, st_wet, st_dry);
            printf("ok   transfer 48 kHz: latency %d frames (%.2f ms), bypass exact after the ramp, ramp step %.4f\n",
                   L, 1000.0 * L / sr, st_ramp);
            sx_free(s);
        }
        sw_transfer_destroy(tr);
        free(x);
        free(y);
        free(ref);
    }
    sw_model_free(m);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    h_host H;
    int r = h_host_init(&H);
    if (r == -1) {
        printf("SKIP test_lv2_synth: %s not built (run `make` from the repo root first)\n", H_BUNDLE_DIR);
        return 0;
    }
    if (r != 0) {
        printf("FAIL: could not load the plugins from %s\n", H_BUNDLE_DIR);
        return 1;
    }
    H.log.quiet = getenv("SW_TEST_VERBOSE") == NULL;
    if (!find_plugin(&H, URI_SYNTH) || !find_plugin(&H, URI_TRANSFER)) {
        printf("SKIP test_lv2_synth: the bundle has no instrument: it was built without any trained timbre model "
               "(presets/instruments/*.safetensors)\n");
        h_host_free(&H);
        return 0;
    }
    for (int t = 0; t < 5; t++) {
        snprintf(g_bundle_model[t], sizeof g_bundle_model[t], "%s/instrument_%s.safetensors", H.bundle_abs, timbres[t]);
        struct stat st;
        if (stat(g_bundle_model[t], &st) != 0)
            g_bundle_model[t][0] = '\0';
        else if (g_first_timbre < 0)
            g_first_timbre = t;
        else if (g_second_timbre < 0)
            g_second_timbre = t;
    }
    CHECK(g_first_timbre >= 0, "the bundle has at least one timbre model");
    if (g_first_timbre < 0)
        return 1;
    char tmp[] = "/tmp/sw_lv2_synth_XXXXXX";
    if (!mkdtemp(tmp)) {
        printf("FAIL: mkdtemp\n");
        return 1;
    }
    rt_allocs = rt_frees = rt_locks = 0;
    g_io = 0;

    test_rates_blocks(&H);
    test_parity(&H);
    test_midi(&H);
    test_timbre_switch(&H);
    test_models_state(&H, tmp);
    test_transfer(&H);

#ifdef RT_INTERPOSE_UNDER_ASAN
    printf("SKIP real-time counting: ASan owns the allocator\n");
#else
    CHECK(rt_allocs == 0 && rt_frees == 0 && rt_locks == 0 && g_io == 0,
          "audio-thread callbacks: allocations %ld, frees %ld, mutex locks %ld, file I/O %ld", rt_allocs, rt_frees,
          rt_locks, g_io);
    printf("ok   real time: %ld run()/work_response() calls with no allocation, free, lock or file I/O\n", g_rt_calls);
#endif
    rmdir(tmp);
    h_host_free(&H);
    printf("%s test_lv2_synth: %d checks, %d failed\n", g_fail ? "FAIL" : "PASS", g_pass + g_fail, g_fail);
    return g_fail ? 1 : 0;
}
