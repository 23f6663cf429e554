/* test_ramp.c — dsp/audio/ramp.c: fades, crossfades, smoothed levels, the bypass mix and the delay
 * line, against the formulas of statewave.h evaluated here independently (in double, then
 * compared within float rounding), plus their edge cases: fades before / after their span, a
 * fade-out ending inside a block, an envelope running down to 0, bypass ramps of any step,
 * delays of 0 and 1 frames, non-finite input, and the real-time functions under the
 * allocation and lock interposer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "rt_interpose.h"
#include "statewave.h"

static double rc(double p, double len) /* the raised cosine of statewave.h */
{
    return p <= 0 ? 0.0 : p >= len ? 1.0 : 0.5 - 0.5 * cos(M_PI * p / len);
}

static void test_fade_and_crossfade(void **state)
{
    (void)state;
    assert_true(sw_fade_gain(-3, 10) == 0.0f && sw_fade_gain(0, 10) == 0.0f);
    assert_true(sw_fade_gain(10, 10) == 1.0f && sw_fade_gain(11, 10) == 1.0f);
    assert_true(fabsf(sw_fade_gain(5, 10) - 0.5f) < 1e-7f);
    for (int p = 0; p <= 10; p++) /* monotonic */
        assert_true(sw_fade_gain(p + 1, 10) >= sw_fade_gain(p, 10));
    float a[64], b[64];
    for (int i = 0; i < 64; i++) {
        a[i] = sinf(0.1f * (float)i);
        b[i] = -0.5f + 0.01f * (float)i;
    }
    float x[64];
    for (int i = 0; i < 64; i++)
        x[i] = a[i];
    sw_crossfade(x, b, 64, -20.0, 30.0); /* warm-up of 20 frames, then 30 of fade, then b */
    for (int i = 0; i < 64; i++) {
        double g = rc(i - 20.0, 30.0), want = a[i] + g * (b[i] - a[i]);
        assert_true(fabs(x[i] - want) < 1e-6);
        if (i <= 20)
            assert_true(x[i] == a[i]);
        if (i >= 50) /* a + 1 * (b - a): b to float rounding */
            assert_true(fabsf(x[i] - b[i]) <= 1e-6f);
    }
    float c = sw_smooth_coef(0.010, 48000);
    assert_true(fabs(c - (1.0 - exp(-1.0 / 480.0))) < 1e-9);
}

static void test_levels(void **state)
{
    (void)state;
    const float coef = 0.1f;
    float x[100], g = 0.0f;
    uint32_t left = 0;
    for (int i = 0; i < 100; i++)
        x[i] = 1.0f;
    /* no fade: x = smoothed level, converging to the target */
    assert_int_equal(sw_level_fade_out(x, 100, &g, 2.0f, coef, &left, 10), 100);
    double v = 0;
    for (int i = 0; i < 100; i++) {
        v += 0.1 * (2.0 - v);
        assert_true(fabs(x[i] - v) < 1e-5);
    }
    assert_true(fabsf(g - 2.0f) < 1e-4f);
    /* a fade-out of 10 frames from 7 left: ends at frame 6, zeros after */
    for (int i = 0; i < 100; i++)
        x[i] = 1.0f;
    g = 1.0f;
    left = 7;
    assert_int_equal(sw_level_fade_out(x, 100, &g, 1.0f, coef, &left, 10), 6);
    assert_int_equal(left, 0);
    for (int i = 0; i < 7; i++)
        assert_true(fabs(x[i] - rc(7 - i, 10)) < 1e-6);
    for (int i = 7; i < 100; i++)
        assert_true(x[i] == 0.0f);
    /* envelope: up to full level while open, down to 0 while closed */
    uint32_t pos = 0;
    g = 1.0f;
    for (int i = 0; i < 100; i++)
        x[i] = 1.0f;
    sw_level_env(x, 20, &g, 1.0f, coef, &pos, 16, 1);
    assert_int_equal(pos, 16);
    for (int i = 0; i < 20; i++)
        assert_true(fabs(x[i] - rc(i + 1 < 16 ? i + 1 : 16, 16)) < 1e-6);
    sw_level_env(x + 20, 16, &g, 1.0f, coef, &pos, 16, 0);
    assert_int_equal(pos, 0);
    assert_true(x[35] == 0.0f && x[20] > 0.9f);
}

static void test_bypass(void **state)
{
    (void)state;
    float wet[50], dry[50], out[50], w = 1.0f, g = 1.0f;
    for (int i = 0; i < 50; i++) {
        wet[i] = 0.5f;
        dry[i] = -0.25f;
    }
    sw_bypass_mix(out, wet, dry, 50, &w, 1.0f, 0.1f, &g, 1.0f, 0.2f); /* processing */
    for (int i = 0; i < 50; i++)
        assert_true(out[i] == 0.5f);
    sw_bypass_mix(out, wet, dry, 50, &w, 0.0f, 0.1f, &g, 1.0f, 0.2f); /* bypass: 10 frames of ramp */
    assert_true(w == 0.0f);
    for (int i = 0; i < 50; i++) {
        double wi = fmax(0.0, 1.0 - 0.1 * (i + 1)), want = -0.25 + rc(wi, 1.0) * (0.5 + 0.25);
        assert_true(fabs(out[i] - want) < 1e-5);
    }
    assert_true(out[49] == -0.25f);
    sw_bypass_mix(out, wet, dry, 50, &w, 1.0f, 2.0f, &g, 0.5f, 1.0f); /* a step > 1: at once */
    assert_true(w == 1.0f && out[0] == 0.25f);
}

static void test_delay(void **state)
{
    (void)state;
    char err[128];
    sw_delay *d = NULL;
    assert_int_equal(sw_delay_create(-1, &d, err, sizeof err), SW_ERR_ARG);
    assert_null(d);
    sw_delay_destroy(NULL);
    for (int len = 0; len <= 5; len += 1 + 3 * (len == 1)) { /* 0, 1, 5 */
        assert_int_equal(sw_delay_create(len, &d, err, sizeof err), SW_OK);
        float in[40], out[40];
        for (int i = 0; i < 40; i++)
            in[i] = (float)(i + 1);
        in[3] = NAN;
        in[4] = INFINITY;
        sw_delay_process(d, in, out, 17); /* two calls: the ring carries over */
        sw_delay_process(d, in + 17, out + 17, 23);
        for (int i = 0; i < 40; i++) {
            float want = i < len ? 0.0f : (i - len == 3 || i - len == 4) ? 0.0f : (float)(i - len + 1);
            assert_true(out[i] == want);
        }
        sw_delay_reset(d);
        sw_delay_process(d, in, in, 40); /* in place */
        for (int i = 0; i < len; i++)
            assert_true(in[i] == 0.0f);
        sw_delay_destroy(d);
    }
}

static void test_rt(void **state)
{
    (void)state;
#ifdef RT_INTERPOSE_UNDER_ASAN
    print_message("SKIP: ASan owns the allocator, interposition not possible\n");
    skip();
#else
    char err[128];
    sw_delay *d = NULL;
    assert_int_equal(sw_delay_create(300, &d, err, sizeof err), SW_OK);
    float a[512], b[512], c[512], g = 0.5f, w = 0.0f;
    uint32_t left = 100, pos = 0;
    for (int i = 0; i < 512; i++)
        a[i] = b[i] = c[i] = 0.1f * (float)(i % 7);
    rt_allocs = rt_frees = rt_locks = 0;
    rt_counting = 1;
    sw_crossfade(a, b, 512, -100, 200);
    sw_level_fade_out(a, 512, &g, 1.0f, 0.01f, &left, 200);
    sw_level_env(b, 512, &g, 1.0f, 0.01f, &pos, 480, 1);
    sw_bypass_mix(c, a, b, 512, &w, 1.0f, 0.01f, &g, 0.3f, 0.01f);
    sw_delay_process(d, a, a, 512);
    sw_delay_reset(d);
    rt_counting = 0;
    assert_int_equal(rt_allocs + rt_frees + rt_locks, 0);
    sw_delay_destroy(d);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fade_and_crossfade), cmocka_unit_test(test_levels), cmocka_unit_test(test_bypass),
        cmocka_unit_test(test_delay), cmocka_unit_test(test_rt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
