/* test_synth_alloc.c — the instrument's real-time functions never allocate, free or lock.
 *
 * The binary defines the malloc family and pthread_mutex_lock/trylock itself
 * (tests/common/rt_interpose.h), so every call made by libstatewave, FFTW or libc on its behalf is
 * counted while `rt_counting` is set. Counted: sw_synth note on/off (free voices, retrigger,
 * stealing with fades, sustain, all-notes-off), pitch bend, every control, reset, process with
 * odd/varying block sizes at several rates, the reverb switching on and off, voices freeing
 * themselves; sw_transfer process/reset/controls/latency on a sine with silence and bad
 * samples. Under ASan the interposer is off and the test skips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "statewave.h"
#include "rt_interpose.h"

#define MODEL "tests/data/synth_test.safetensors"

#ifndef RT_INTERPOSE_UNDER_ASAN
static void start(void) { rt_allocs = rt_frees = rt_locks = 0; rt_counting = 1; }
static void stop(const char *what, double rate)
{
    rt_counting = 0;
    if (rt_allocs || rt_frees || rt_locks)
        fail_msg("%s at %g Hz: %ld allocations, %ld frees, %ld mutex locks in real-time calls", what, rate,
                 (long)rt_allocs, (long)rt_frees, (long)rt_locks);
}
#endif

static void test_synth_rt(void **state)
{
    (void)state;
#ifdef RT_INTERPOSE_UNDER_ASAN
    print_message("SKIP: ASan owns the allocator, interposition not possible\n");
    skip();
#else
    /* the interposer is live */
    start();
    void *volatile p = malloc(32);
    free(p);
    rt_counting = 0;
    assert_int_equal(rt_allocs, 1);
    assert_int_equal(rt_frees, 1);

    char err[512];
    sw_model *m;
    if (sw_model_load_file(MODEL, &m, err, sizeof err) != SW_OK) fail_msg("%s: %s", MODEL, err);
    static float buf[8192], in[8192];
    const double rates[] = {22050, 44100, 48000, 96000};
    for (int r = 0; r < 4; r++) {
        sw_synth *s;
        if (sw_synth_create(m, rates[r], 16, &s, err, sizeof err) != SW_OK) fail_msg("%s", err);
        start();
        sw_synth_set_reverb_mix(s, 0.4f);
        for (int i = 0; i < 20; i++) {                       /* 20 notes into 16 voices: steals */
            sw_synth_note_on(s, 40 + i * 3, 64 + i);
            sw_synth_process(s, buf, 1 + (size_t)(i * 377) % 1500);
        }
        sw_synth_note_on(s, 43, 100);                       /* retrigger */
        sw_synth_pitch_bend(s, 1.5f);
        sw_synth_set_pitch_shift(s, -7.0f);
        sw_synth_set_harmonic_gain(s, 0.5f);
        sw_synth_set_noise_gain(s, 2.0f);
        sw_synth_sustain(s, 1);
        sw_synth_note_off(s, 43);
        sw_synth_note_off(s, 46);
        sw_synth_process(s, buf, 8192);
        sw_synth_sustain(s, 0);
        sw_synth_pitch_bend(s, NAN);
        sw_synth_set_noise_gain(s, INFINITY);
        for (int i = 0; i < 60; i++) sw_synth_process(s, buf, 1 + (size_t)(i * 911) % 8000);  /* voices free */
        sw_synth_set_reverb_mix(s, 0.0f);
        sw_synth_process(s, buf, 8192);
        (void)sw_synth_active_voices(s);
        (void)sw_synth_timbre(s);
        sw_synth_all_notes_off(s);
        sw_synth_reset(s);
        sw_synth_note_on(s, 60, 100);
        sw_synth_process(s, buf, 0);
        sw_synth_process(s, buf, 4096);
        stop("synth", rates[r]);
        sw_synth_destroy(s);

        sw_transfer *t;
        if (sw_transfer_create(m, rates[r], &t, err, sizeof err) != SW_OK) fail_msg("%s", err);
        for (int i = 0; i < 8192; i++) in[i] = i < 2000 ? 0.0f : (float)(0.3 * sin(i * 2 * M_PI * 196.0 / rates[r]));
        in[3000] = NAN;
        in[3001] = INFINITY;
        start();
        sw_transfer_set_reverb_mix(t, 0.3f);
        for (int i = 0; i < 20; i++) sw_transfer_process(t, in, buf, 1 + (size_t)(i * 613) % 8192);
        sw_transfer_process(t, in, in, 4096);               /* in place */
        sw_transfer_set_pitch_shift(t, 5.0f);
        sw_transfer_set_harmonic_gain(t, 1.5f);
        sw_transfer_set_noise_gain(t, 0.5f);
        (void)sw_transfer_latency(t);
        sw_transfer_reset(t);
        sw_transfer_process(t, buf, buf, 8192);
        stop("transfer", rates[r]);
        sw_transfer_destroy(t);
    }
    sw_model_free(m);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_synth_rt)};
    return cmocka_run_group_tests_name("instrument real-time safety", tests, NULL, NULL);
}
