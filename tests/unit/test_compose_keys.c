/* test_compose_keys.c — the composer's live helpers (dsp/engines/compose.c): the running key
 * estimate of what a player plays (sw_compose_keys) and sw_composer_wait_until.
 *
 * - nothing played: key -1; played notes count their seconds, held notes up to now, and the
 *   estimate is sw_compose_key_estimate of that histogram;
 * - the histogram decays with the time constant; a note struck again restarts;
 * - wait_until brings the clock to a time rounded up to the 10 ms step, never back
 *   (presets/compose.safetensors; skipped when the model is not there);
 * - no heap or lock call in any of them (tests/common/rt_interpose.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rt_interpose.h"
#include "statewave.h"

#define MODEL "presets/compose.safetensors"
#define RATE 1000.0

static void test_histogram(void **state)
{
    (void)state;
    sw_compose_keys k;
    sw_compose_keys_init(&k, RATE, 1e12);
    assert_int_equal(sw_compose_keys_estimate(&k, 5000), -1);
    /* A minor: A and C played, E still held */
    sw_compose_keys_note_on(&k, 69, 0);
    sw_compose_keys_note_off(&k, 69, 2000);
    sw_compose_keys_note_on(&k, 60, 2000);
    sw_compose_keys_note_off(&k, 60, 3000);
    sw_compose_keys_note_on(&k, 64, 3000);
    double h[12] = {0};
    h[9] = 2.0;
    h[0] = 1.0;
    h[4] = 1.5;
    assert_int_equal(sw_compose_keys_estimate(&k, 4500), sw_compose_key_estimate(h));
    assert_true(k.on[64] == 3000); /* still held */
    assert_true(fabs(k.pc_s[9] - 2.0) < 1e-9 && fabs(k.pc_s[0] - 1.0) < 1e-9);
    /* a note-off of a key not held changes nothing */
    sw_compose_keys_note_off(&k, 61, 4600);
    assert_true(k.pc_s[1] == 0.0);
}

static void test_decay_and_restrike(void **state)
{
    (void)state;
    sw_compose_keys k;
    sw_compose_keys_init(&k, RATE, 10.0);
    sw_compose_keys_note_on(&k, 62, 0);
    sw_compose_keys_note_on(&k, 62, 1000); /* struck again: the first second is counted */
    assert_true(fabs(k.pc_s[2] - 1.0) < 1e-12);
    assert_true(k.on[62] == 1000);
    sw_compose_keys_note_off(&k, 62, 1000);
    sw_compose_keys_estimate(&k, 11000); /* 10 s later: one time constant */
    assert_true(fabs(k.pc_s[2] - exp(-1.0)) < 1e-9);
    assert_true(k.pc_at == 11000);
}

static void test_wait_until(void **state)
{
    (void)state;
    sw_model *m = NULL;
    char err[256];
    if (sw_model_load_file(MODEL, &m, err, sizeof err) != SW_OK) {
        print_message("SKIP: %s\n", err);
        skip();
    }
    sw_composer *c = NULL;
    assert_int_equal(sw_composer_create(m, 1, &c, err, sizeof err), SW_OK);
    sw_composer_wait_until(c, 2.345);
    assert_int_equal(sw_composer_clock(c), 235);
    sw_composer_wait_until(c, 1.0);
    assert_int_equal(sw_composer_clock(c), 235);
    sw_composer_wait_until(c, 2.35);
    assert_int_equal(sw_composer_clock(c), 235);
#ifndef RT_INTERPOSE_UNDER_ASAN
    sw_compose_keys k;
    rt_allocs = rt_frees = rt_locks = 0;
    rt_counting = 1;
    sw_compose_keys_init(&k, 48000.0, 60.0);
    sw_compose_keys_note_on(&k, 60, 100);
    sw_compose_keys_note_off(&k, 60, 48100);
    int key = sw_compose_keys_estimate(&k, 96000);
    sw_composer_wait_until(c, 10.0);
    rt_counting = 0;
    assert_int_equal(rt_allocs + rt_frees + rt_locks, 0);
    assert_int_equal(key, sw_compose_key_estimate(k.pc_s));
    assert_int_equal(sw_composer_clock(c), 1000);
#endif
    sw_composer_destroy(c);
    sw_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_decay_and_restrike),
        cmocka_unit_test(test_wait_until),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
