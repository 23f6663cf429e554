/* test_gen_stream.c — the generator at a host's rate (sw_gen_stream, dsp/engines/gen_stream.c)
 * with the shipped model (presets/generate.safetensors).
 *
 * - at the model's rate the stream is the generator's own output, sample for sample, whatever
 *   the block sizes;
 * - at 48 kHz: finite, not silent, and the same again after a reset with the same seed;
 * - every render makes all the frames it was asked for, and the count of model-rate samples
 *   rendered is what the frames played need (plus what the converter holds), 0 after a reset;
 * - a rate the converter cannot reach is refused with a message;
 * - reset and render make no heap or lock call (tests/common/rt_interpose.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "rt_interpose.h"
#include "statewave.h"

#define MODEL "presets/generate.safetensors"
#define N 4000

static sw_model *g_model;

static int setup(void **state)
{
    (void)state;
    char err[256];
    return sw_model_load_file(MODEL, &g_model, err, sizeof err) == SW_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sw_model_free(g_model);
    return 0;
}

/* n frames from s in blocks of the sizes in `blocks` (cycled). */
static void render_blocks(sw_gen_stream *s, float *out, uint32_t n, const uint32_t *blocks, int nb)
{
    for (uint32_t pos = 0, i = 0; pos < n; i++) {
        uint32_t len = blocks[i % (uint32_t)nb];
        if (len > n - pos)
            len = n - pos;
        assert_int_equal(sw_gen_stream_render(s, out + pos, len), len);
        pos += len;
    }
}

static void test_model_rate_is_the_generator(void **state)
{
    (void)state;
    char err[256];
    sw_generator *a = NULL, *b = NULL;
    sw_gen_stream *s = NULL;
    assert_int_equal(sw_generator_create(g_model, 7, &a, err, sizeof err), SW_OK);
    assert_int_equal(sw_generator_create(g_model, 7, &b, err, sizeof err), SW_OK);
    assert_int_equal(sw_gen_stream_create(a, sw_generator_sample_rate(a), &s, err, sizeof err), SW_OK);
    static float x[N], y[N];
    static const uint32_t blocks[] = {1, 64, 700, 33, 512, 1025};
    assert_int_equal(sw_gen_stream_rendered(s), 0);
    render_blocks(s, x, N, blocks, 6);
    assert_int_equal(sw_gen_stream_rendered(s), N); /* no converter: nothing held back */
    sw_generator_render(b, y, N);
    assert_memory_equal(x, y, sizeof x);
    sw_gen_stream_destroy(s);
    sw_generator_destroy(a);
    sw_generator_destroy(b);
}

static void test_host_rate_reset(void **state)
{
    (void)state;
    char err[256];
    sw_generator *g = NULL;
    sw_gen_stream *s = NULL;
    assert_int_equal(sw_generator_create(g_model, 3, &g, err, sizeof err), SW_OK);
    assert_int_equal(sw_gen_stream_create(g, 48000.0, &s, err, sizeof err), SW_OK);
    static float x[N], y[N];
    static const uint32_t blocks[] = {256, 37, 1024};
    render_blocks(s, x, N, blocks, 3);
    double e = 0.0;
    for (int i = 0; i < N; i++) {
        assert_true(isfinite(x[i]));
        e += (double)x[i] * x[i];
    }
    assert_true(e > 0.0);
    /* N frames at 3x the model rate need N / 3 model samples, and the converter holds up to a
     * few hundred more in its filter */
    const uint64_t made = sw_gen_stream_rendered(s);
    assert_true(made >= N / 3 && made <= N / 3 + 512);
    sw_generator_reset(g);
    sw_gen_stream_reset(s);
    assert_int_equal(sw_gen_stream_rendered(s), 0);
    render_blocks(s, y, N, blocks, 3);
    assert_int_equal(sw_gen_stream_rendered(s), made);
    assert_memory_equal(x, y, sizeof x);
    sw_gen_stream_destroy(s);
    sw_generator_destroy(g);
}

static void test_bad_rate(void **state)
{
    (void)state;
    char err[256] = "";
    sw_generator *g = NULL;
    sw_gen_stream *s = NULL;
    assert_int_equal(sw_generator_create(g_model, 1, &g, err, sizeof err), SW_OK);
    assert_int_not_equal(sw_gen_stream_create(g, 16000.0 * 1000.0, &s, err, sizeof err), SW_OK);
    assert_null(s);
    assert_non_null(strstr(err, "cannot resample 16000 Hz to 16000000 Hz"));
    sw_gen_stream_destroy(NULL);
    sw_generator_destroy(g);
}

static void test_rt(void **state)
{
    (void)state;
#ifdef RT_INTERPOSE_UNDER_ASAN
    print_message("SKIP: ASan owns the allocator, interposition not possible\n");
    skip();
#else
    char err[256];
    sw_generator *g = NULL;
    sw_gen_stream *s = NULL;
    assert_int_equal(sw_generator_create(g_model, 1, &g, err, sizeof err), SW_OK);
    assert_int_equal(sw_gen_stream_create(g, 44100.0, &s, err, sizeof err), SW_OK);
    static float x[2048];
    rt_allocs = rt_frees = rt_locks = 0;
    rt_counting = 1;
    sw_gen_stream_render(s, x, 2048);
    sw_gen_stream_reset(s);
    sw_gen_stream_render(s, x, 100);
    rt_counting = 0;
    assert_int_equal(rt_allocs + rt_frees + rt_locks, 0);
    sw_gen_stream_destroy(s);
    sw_generator_destroy(g);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_rate_is_the_generator),
        cmocka_unit_test(test_host_rate_reset),
        cmocka_unit_test(test_bad_rate),
        cmocka_unit_test(test_rt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
