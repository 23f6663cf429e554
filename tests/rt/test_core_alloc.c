/* test_core_alloc.c — sw_net_process / sw_net_step / sw_net_reset never allocate.
 *
 * The test binary defines the malloc family itself (tests/common/rt_interpose.h, forwarding to
 * glibc's __libc_* entry points), so every call made by the library — or by anything it
 * calls — is counted. Counting is switched on only around the real-time calls. ASan
 * replaces the allocator itself, so under ASan we skip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "statewave.h"
#include "core_util.h"

#include "rt_interpose.h"

#ifndef RT_INTERPOSE_UNDER_ASAN
/* Every allocator call counts here, frees included: the processing calls must not touch
 * the heap at all. */
static long allocator_calls(void) { return rt_allocs + rt_frees; }
#endif

/* The interposition must be live: an allocation while counting is seen. */
static void test_interposer_works(void **state)
{
    (void)state;
#ifdef RT_INTERPOSE_UNDER_ASAN
    print_message("SKIP: ASan owns the allocator, malloc interposition not possible\n");
    skip();
#else
    rt_counting = 1;
    rt_allocs = rt_frees = 0;
    void *volatile p = malloc(64);
    free(p);
    rt_counting = 0;
    assert_int_equal(allocator_calls(), 2);
#endif
}

#ifndef RT_INTERPOSE_UNDER_ASAN
/* Every layer type (the all-layers model, with and without embedding) + each golden model. */
static void check_model(sw_model *m, const char *what)
{
    sw_net *n;
    assert_int_equal(sw_net_create(m, &n, NULL, 0), SW_OK);
    const int di = sw_model_d_input(m), dout = sw_model_d_output(m);
    const size_t frames = 1000;
    float *x = tw_input(3, frames * di, 1.5, di == 1 ? 16 : 0);
    float *y = malloc(frames * dout * sizeof *y);
    x[5] = NAN;      /* the sanitation path too */
    x[9] = INFINITY;
    rt_counting = 1;
    rt_allocs = rt_frees = 0;
    sw_net_process(n, x, y, frames);
    for (size_t t = 0; t < 300; t++) sw_net_step(n, x + t * di, y + t * dout);
    sw_net_process(n, x, y, 1);
    sw_net_process(n, x, y, 0);
    sw_net_reset(n);
    sw_net_process(n, x, y, 517);
    rt_counting = 0;
    if (allocator_calls() != 0)
        fail_msg("%s: %ld allocator calls during processing", what, allocator_calls());
    free(x);
    free(y);
    sw_net_destroy(n);
}
#endif

static void test_no_alloc(void **state)
{
    (void)state;
#ifdef RT_INTERPOSE_UNDER_ASAN
    print_message("SKIP: ASan owns the allocator, malloc interposition not possible\n");
    skip();
#else
    for (int emb = 0; emb < 2; emb++) {
        tw_file *f = malloc(sizeof *f);
        char cfg[8192];
        size_t len;
        tw_init(f, 11);
        tw_model_all(f, emb, cfg, sizeof cfg);
        unsigned char *bytes = tw_build(f, cfg, &len);
        sw_model *m;
        TW_LOAD(bytes, len, m);
        check_model(m, emb ? "all layers + embedding" : "all layers");
        sw_model_free(m);
        free(bytes);
        tw_free(f);
        free(f);
    }
    static const char *const goldens[] = {"s4d_zoh", "s4d_bilinear", "lru", "s5_zoh", "s5_bilinear", "mamba", "net"};
    for (size_t i = 0; i < sizeof goldens / sizeof goldens[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "tests/data/golden_%s.safetensors", goldens[i]);
        sw_model *m;
        if (sw_model_load_file(path, &m, NULL, 0) != SW_OK) continue;   /* parity test reports missing */
        check_model(m, path);
        sw_model_free(m);
    }
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interposer_works),
        cmocka_unit_test(test_no_alloc),
    };
    return cmocka_run_group_tests_name("core allocation-free processing", tests, NULL, NULL);
}
