/* test_denoise_alloc.c — sw_denoiser_process / set_mix / set_limit_db / reset / latency never
 * call the allocator (mono and stereo, several rates, odd block sizes, bad input, the idle path
 * on digital silence), with the shipped model and with the version-2 golden model (deep filtering
 * and a learned floor, tests/data/denoise_df_golden.safetensors).
 *
 * The binary defines the allocator entry points itself (forwarding to glibc's __libc_*), so
 * every call made by the library or anything it calls (FFTW included) is counted while
 * `counting` is on. ASan replaces the allocator, so under ASan the test skips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "statewave.h"

#if defined(__SANITIZE_ADDRESS__)
#define SW_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SW_ASAN 1
#endif
#endif

static volatile int counting;
static volatile long n_calls;

#ifndef SW_ASAN
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static void count(void) { if (counting) n_calls++; }

void *malloc(size_t n) { count(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { count(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { count(); return __libc_realloc(p, n); }
void free(void *p) { if (p) count(); __libc_free(p); }
void *aligned_alloc(size_t al, size_t n) { count(); return __libc_memalign(al, n); }
void *memalign(size_t al, size_t n) { count(); return __libc_memalign(al, n); }
void *valloc(size_t n) { count(); return __libc_memalign(4096, n); }
int posix_memalign(void **p, size_t al, size_t n)
{
    count();
    void *q = __libc_memalign(al, n);
    if (!q) return ENOMEM;
    *p = q;
    return 0;
}
#endif

#ifndef SW_ASAN
/* Every [RT] call of the denoiser on the model file `path`, counting allocator calls. */
static void run_model(const char *path)
{
    sw_model *m;
    char err[512] = "";
    if (sw_model_load_file(path, &m, err, sizeof err) != SW_OK)
        fail_msg("%s: %s", path, err);
    static float a[4000], b[4000], ya[4000], yb[4000], zero[4000];
    for (int t = 0; t < 4000; t++) {
        a[t] = (float)(0.2 * sin(t * 0.03) + 0.01 * sin(t * 1.7));
        b[t] = -a[t];
    }
    a[100] = NAN;
    b[200] = INFINITY;
    a[300] = 1e-41f;
    const double rates[] = {8000, 44100, 48000, 192000};
    for (int r = 0; r < 4; r++)
        for (int ch = 1; ch <= 2; ch++) {
            sw_denoiser *d;
            if (sw_denoiser_create(m, rates[r], ch, &d, err, sizeof err) != SW_OK) fail_msg("%s", err);
            const float *in[2] = {a, b};
            float *out[2] = {ya, yb};
            counting = 1;
            n_calls = 0;
            sw_denoiser_process(d, in, out, 4000);
            sw_denoiser_set_mix(d, 0.3f);
            sw_denoiser_set_limit_db(d, 12.0f);
            for (int k = 0; k < 40; k++) sw_denoiser_process(d, in, out, 1 + (size_t)(k * 37) % 999);
            (void)sw_denoiser_latency(d);
            sw_denoiser_reset(d);
            sw_denoiser_process(d, in, out, 0);
            sw_denoiser_process(d, in, out, 3999);
            /* digital silence: the idle path (no FFT, no network step) and back */
            const float *zin[2] = {zero, zero};
            for (int k = 0; k < 8; k++) sw_denoiser_process(d, zin, out, 1 + (size_t)(k * 611) % 3999);
            sw_denoiser_process(d, in, out, 3999);
            counting = 0;
            if (n_calls != 0)
                fail_msg("%s, rate %g, %d ch: %ld allocator calls during processing", path, rates[r], ch,
                         n_calls);
            sw_denoiser_destroy(d);
        }
    sw_model_free(m);
}
#endif

static void test_no_alloc(void **state)
{
    (void)state;
#ifdef SW_ASAN
    print_message("SKIP: ASan owns the allocator, malloc interposition not possible\n");
    skip();
#else
    /* the interposer is live */
    counting = 1;
    n_calls = 0;
    void *volatile p = malloc(64);
    free(p);
    counting = 0;
    assert_int_equal(n_calls, 2);

    run_model("presets/denoise.safetensors");
    run_model("tests/data/denoise_df_golden.safetensors");
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_no_alloc)};
    return cmocka_run_group_tests_name("denoiser allocation-free processing", tests, NULL, NULL);
}
