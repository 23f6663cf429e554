/* bench_generate.c — speed of the C generator on one core (`make bench`, via bench_generate.py).
 *
 *   bench_generate MODEL PROMPT.wav [SECONDS]
 *
 * Primes with the first second of PROMPT (mono, model rate), then renders in blocks of 256
 * samples until SECONDS (default 10) of audio exist, for a few sampler settings, and the bare
 * net (sw_net_step fed its own argmax, no sampler) for reference. Times are this thread's
 * CPU time (on a shared machine, time while descheduled is not counted). Reports samples/s,
 * the real-time factor at the model rate, and the median / 99th percentile / largest CPU time
 * of one 256-sample block, against the 16 ms that block lasts at 16 kHz. One line per setting:
 *   C <setting>: <samples/s> samples/s = <x> x real time; 256-sample block CPU time ...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sndfile.h>

#include "statewave.h"
#include "bench_util.h"

#define BLOCK 256

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_generate MODEL PROMPT.wav [SECONDS]\n");
        return 2;
    }
    const double seconds = argc > 3 ? atof(argv[3]) : 10.0;
    char err[512];
    sw_model *m = NULL;
    sw_generator *g = NULL;
    if (sw_model_load_file(argv[1], &m, err, sizeof err) != SW_OK ||
        sw_generator_create(m, 1, &g, err, sizeof err) != SW_OK) {
        fprintf(stderr, "bench_generate: %s\n", err);
        return 1;
    }
    const int rate = sw_generator_sample_rate(g);
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(argv[2], SFM_READ, &info);
    if (!sf || info.channels != 1 || info.samplerate != rate) {
        fprintf(stderr, "bench_generate: %s: need a mono file at %d Hz\n", argv[2], rate);
        return 1;
    }
    float *prime = malloc((size_t)rate * sizeof *prime);
    const size_t np = (size_t)sf_readf_float(sf, prime, rate);
    sf_close(sf);

    printf("C generator: %s, %zu weights, %d Hz, one thread, blocks of %d\n",
           argv[1], sw_model_param_count(m), rate, BLOCK);
    static const struct { const char *name; float t, p; } settings[] = {
        {"render T=1 top_p=1", 1.0f, 1.0f},
        {"render T=1 top_p=0.98", 1.0f, 0.98f},
        {"render T=0.9 top_p=0.95", 0.9f, 0.95f},
    };
    const size_t total = (size_t)(seconds * rate);
    const size_t nblocks = (total + BLOCK - 1) / BLOCK;
    double *bt = malloc(nblocks * sizeof *bt);      /* [nblocks] CPU seconds per block */
    float out[BLOCK];
    for (size_t s = 0; s < sizeof settings / sizeof settings[0]; s++) {
        sw_generator_reset(g);
        sw_generator_set_temperature(g, settings[s].t);
        sw_generator_set_top_p(g, settings[s].p);
        sw_generator_prime(g, prime, np);
        double t0 = now_s();
        for (size_t b = 0; b < nblocks; b++) {
            double b0 = now_s();
            sw_generator_render(g, out, BLOCK);
            bt[b] = now_s() - b0;
        }
        double t = now_s() - t0;
        size_t n = nblocks * BLOCK;
        qsort(bt, nblocks, sizeof *bt, cmp_double);
        printf("C %s: %.0f samples/s = %.2f x real time; %d-sample block CPU time median %.2f / p99 %.2f / max %.2f ms"
               " (real-time budget %.2f ms)\n",
               settings[s].name, (double)n / t, (double)n / t / rate, BLOCK, 1e3 * bt[nblocks / 2],
               1e3 * bt[nblocks * 99 / 100], 1e3 * bt[nblocks - 1], 1e3 * BLOCK / rate);
    }

    /* The bare net: one sw_net_step per sample, fed the argmax (no softmax, no RNG). */
    sw_net *net = NULL;
    if (sw_net_create(m, &net, err, sizeof err) != SW_OK) {
        fprintf(stderr, "bench_generate: %s\n", err);
        return 1;
    }
    float in = 128.0f, logits[256];
    double t0 = now_s();
    for (size_t i = 0; i < total; i++) {
        sw_net_step(net, &in, logits);
        int a = 0;
        for (int k = 1; k < 256; k++) if (logits[k] > logits[a]) a = k;
        in = (float)a;
    }
    double t = now_s() - t0;
    printf("C net step only (argmax feedback): %.0f samples/s = %.2f x real time\n",
           (double)total / t, (double)total / t / rate);
    sw_net_destroy(net);
    free(bt);
    free(prime);
    sw_generator_destroy(g);
    sw_model_free(m);
    return 0;
}
