/* test_core_robust.c — bad numbers in, good numbers out.
 *  - NaN / ±Inf input frames are treated as 0: the output is bit-identical to a run where
 *    those samples were 0, so they never reach the state; the output is finite throughout
 *    and converges back to the run that never saw the burst.
 *  - absurd finite input (1e30) is clamped; denormal input runs (and the caller's MXCSR is
 *    left as it was).
 *  - a model whose finite weights overflow to Inf: output stays finite (0), and the state is
 *    reset at the next chunk boundary, after which the output equals a fresh net's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <float.h>

#include "statewave.h"
#include "core_util.h"

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

static sw_model *all_layers_model(void)
{
    tw_file *f = malloc(sizeof *f);
    char cfg[8192];
    size_t len;
    tw_init(f, 21);
    tw_model_all(f, 0, cfg, sizeof cfg);
    unsigned char *bytes = tw_build(f, cfg, &len);
    sw_model *m;
    TW_LOAD(bytes, len, m);
    free(bytes);
    tw_free(f);
    free(f);
    return m;
}

static void assert_all_finite(const float *y, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(y[i])) fail_msg("%s: output %zu is %g", what, i, (double)y[i]);
}

static void run(sw_model *m, const float *x, float *y, size_t frames, size_t block)
{
    sw_net *n;
    assert_int_equal(sw_net_create(m, &n, NULL, 0), SW_OK);
    for (size_t t = 0; t < frames; t += block)
        sw_net_process(n, x + t * sw_model_d_input(m), y + t * sw_model_d_output(m),
                       frames - t < block ? frames - t : block);
    sw_net_destroy(n);
}

static void test_nonfinite_input(void **state)
{
    (void)state;
    sw_model *m = all_layers_model();
    const size_t T = 30000, di = 3, dout = 4;
    float *clean = tw_input(4, T * di, 1.0, 0);
    float *bad = malloc(T * di * sizeof *bad), *zeroed = malloc(T * di * sizeof *bad);
    memcpy(bad, clean, T * di * sizeof *bad);
    for (size_t t = 1000; t < 1200; t++) {       /* a burst of garbage in all channels */
        bad[t * di + 0] = NAN;
        bad[t * di + 1] = (t & 1) ? INFINITY : -INFINITY;
        bad[t * di + 2] = (t % 3) ? -NAN : INFINITY;
    }
    bad[5000 * di + 1] = NAN;                    /* and isolated ones */
    bad[7001 * di + 2] = -INFINITY;
    memcpy(zeroed, bad, T * di * sizeof *bad);
    for (size_t i = 0; i < T * di; i++)
        if (!isfinite(zeroed[i])) zeroed[i] = 0.0f;
    float *y_bad = malloc(T * dout * sizeof(float)), *y_zero = malloc(T * dout * sizeof(float)),
          *y_clean = malloc(T * dout * sizeof(float));
    run(m, bad, y_bad, T, 480);
    run(m, zeroed, y_zero, T, 480);
    run(m, clean, y_clean, T, 480);
    assert_all_finite(y_bad, T * dout, "NaN/Inf input");
    /* non-finite input == 0 input, exactly */
    assert_memory_equal(y_bad, y_zero, T * dout * sizeof(float));
    /* the disturbance decays: compare with the run that never saw it */
    double d_after = 0, d_end = 0, scale = 0;
    for (size_t t = 1200; t < 1400; t++)
        for (size_t c = 0; c < dout; c++) d_after = fmax(d_after, fabs(y_bad[t * dout + c] - y_clean[t * dout + c]));
    for (size_t t = T - 2000; t < T; t++)
        for (size_t c = 0; c < dout; c++) {
            d_end = fmax(d_end, fabs(y_bad[t * dout + c] - y_clean[t * dout + c]));
            scale = fmax(scale, fabs(y_clean[t * dout + c]));
        }
    print_message("  burst: max diff just after %.3g, over the last 2000 frames %.3g (output scale %.3g)\n",
                  d_after, d_end, scale);
    assert_true(d_after > 1e-3);                 /* the burst did change the output ... */
    assert_true(d_end < 1e-3 * scale);           /* ... and the state has forgotten it */
    free(clean); free(bad); free(zeroed); free(y_bad); free(y_zero); free(y_clean);
    sw_model_free(m);
}

static void test_huge_and_denormal_input(void **state)
{
    (void)state;
    sw_model *m = all_layers_model();
    const size_t T = 4000, di = 3, dout = 4;
    float *x = tw_input(6, T * di, 1.0, 0), *y = malloc(T * dout * sizeof(float));
    for (size_t t = 100; t < 200; t++) x[t * di] = (t & 1) ? 1e30f : -FLT_MAX;
    for (size_t t = 2000; t < T; t++)
        for (size_t c = 0; c < di; c++) x[t * di + c] = (t & 1) ? 1e-40f : -1e-42f;   /* denormals */
#if defined(__x86_64__)
    unsigned int csr = _mm_getcsr();
#endif
    run(m, x, y, T, 33);
#if defined(__x86_64__)
    assert_int_equal(_mm_getcsr(), csr);         /* FTZ/DAZ only inside our calls */
    sw_fpenv env;
    sw_fpenv_enter(&env);
    assert_int_equal(_mm_getcsr() & 0x8040u, 0x8040u);
    sw_fpenv_leave(&env);
    assert_int_equal(_mm_getcsr(), csr);
#endif
    assert_all_finite(y, T * dout, "huge/denormal input");
    /* clamping: 1e30 behaves like +1e4 */
    float *x2 = malloc(T * di * sizeof(float)), *y2 = malloc(T * dout * sizeof(float));
    memcpy(x2, x, T * di * sizeof(float));
    for (size_t t = 100; t < 200; t++) x2[t * di] = (t & 1) ? 1e4f : -1e4f;
    run(m, x2, y2, T, 33);
    assert_memory_equal(y, y2, T * dout * sizeof(float));
    free(x); free(y); free(x2); free(y2);
    sw_model_free(m);
}

/* linear(1e20) -> linear(1e20) -> s4d: input 1e4 overflows to Inf inside; small input doesn't. */
static void test_overflow_recovers(void **state)
{
    (void)state;
    tw_file *f = malloc(sizeof *f);
    tw_init(f, 3);
    float *w1 = tw_add(f, "a.weight", 2, 2, 2), *w2 = tw_add(f, "b.weight", 2, 2, 2);
    static const float k[4] = {1.0f, 0.5f, -0.25f, 1.0f};     /* not singular: small input stays non-zero */
    for (int i = 0; i < 4; i++) { w1[i] = 1e20f * k[i]; w2[i] = 1e20f * k[3 - i]; }
    tw_s4d(f, "s", 2, 3);
    size_t len;
    unsigned char *bytes = tw_build(f,
        "{\"version\":1,\"d_input\":2,\"d_output\":2,\"layers\":["
        "{\"type\":\"linear\",\"name\":\"a\",\"d_in\":2,\"d_out\":2,\"bias\":false},"
        "{\"type\":\"linear\",\"name\":\"b\",\"d_in\":2,\"d_out\":2,\"bias\":false},"
        "{\"type\":\"s4d\",\"name\":\"s\",\"d\":2,\"n\":3,\"disc\":\"zoh\"}]}", &len);
    sw_model *m;
    TW_LOAD(bytes, len, m);
    const size_t T = 400;
    float *x = tw_input(9, T * 2, 1e-30, 0), *y = malloc(T * 2 * sizeof(float)), *y2 = malloc(T * 2 * sizeof(float));
    for (size_t t = 10; t < 20; t++) x[2 * t] = 1e4f;        /* overflow here */
    for (size_t block = 1; block <= 128; block *= 2) {       /* same for any split */
        run(m, x, block == 1 ? y : y2, T, block);
        if (block > 1) assert_memory_equal(y, y2, T * 2 * sizeof(float));
    }
    assert_all_finite(y, T * 2, "overflowing model");
    /* recovery: state reset at frame 64 (first chunk boundary after the overflow), so from
     * there on the output equals a fresh net fed from frame 64 */
    sw_net *n;
    assert_int_equal(sw_net_create(m, &n, NULL, 0), SW_OK);
    sw_net_process(n, x + 64 * 2, y2, T - 64);
    assert_memory_equal(y + 64 * 2, y2, (T - 64) * 2 * sizeof(float));
    double mag = 0;
    for (size_t i = 64 * 2; i < T * 2; i++) mag = fmax(mag, fabs(y[i]));
    assert_true(mag > 0.0);                                  /* it really runs afterwards */
    sw_net_destroy(n);
    free(x); free(y); free(y2); free(bytes);
    tw_free(f);
    free(f);
    sw_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nonfinite_input),
        cmocka_unit_test(test_huge_and_denormal_input),
        cmocka_unit_test(test_overflow_recovers),
    };
    return cmocka_run_group_tests_name("core robustness", tests, NULL, NULL);
}
