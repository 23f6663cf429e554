/* bench_synth.c — cost of the neural instrument: 16 voices sounding at 48 kHz, 256-sample blocks.
 *
 *   build/bench/bench_synth [MODEL ...]
 *
 * Default models: every presets/instruments/<timbre>.safetensors that exists, else the random
 * test model tests/data/synth_test.safetensors (same layer types, smaller: d 64, 2 blocks).
 * For each model: 16 held notes (C3..D#4, velocity 100, started 5 ms apart so their frame
 * clocks differ), then RUNS runs of SECONDS s of audio each, timed with the thread's CPU clock;
 * prints the median CPU time / audio time ("fraction of one core"), dry and with the reverb at
 * mix 0.3. Target: <= 0.10 with the shipped models. Then sw_transfer on a 196 Hz tone (same
 * measure, one voice plus the YIN analysis every control frame). */
#include "statewave.h"
#include "bench_util.h"

#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RATE 48000.0
#define BLOCK 256
#define VOICES 16
#define SECONDS 4.0
#define RUNS 5

static int bench(const char *path, float mix)
{
    char err[512];
    sw_model *m;
    if (sw_model_load_file(path, &m, err, sizeof err) != SW_OK) {
        fprintf(stderr, "%s: %s\n", path, err);
        return 1;
    }
    sw_synth *s;
    if (sw_synth_create(m, RATE, VOICES, &s, err, sizeof err) != SW_OK) {
        fprintf(stderr, "%s: %s\n", path, err);
        sw_model_free(m);
        return 1;
    }
    sw_synth_set_reverb_mix(s, mix);
    static float buf[BLOCK];
    for (int v = 0; v < VOICES; v++) {
        sw_synth_note_on(s, 48 + v, 100);
        sw_synth_process(s, buf, 240);
    }
    for (int i = 0; i < (int)(RATE / BLOCK); i++) sw_synth_process(s, buf, BLOCK);   /* 1 s warm-up */
    const int blocks = (int)(SECONDS * RATE / BLOCK);
    double frac[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_s();
        for (int i = 0; i < blocks; i++) sw_synth_process(s, buf, BLOCK);
        frac[r] = (now_s() - t0) / ((double)blocks * BLOCK / RATE);
    }
    qsort(frac, RUNS, sizeof frac[0], cmp_double);
    printf("%-48s %-6s voices %2d/%d  %d runs x %.0f s  CPU/audio median %.4f (min %.4f, max %.4f)  timbre \"%s\", %zu params\n",
           path, mix > 0.0f ? "reverb" : "dry", sw_synth_active_voices(s), VOICES, RUNS, SECONDS,
           frac[RUNS / 2], frac[0], frac[RUNS - 1], sw_synth_timbre(s), sw_model_param_count(m));
    sw_synth_destroy(s);

    /* timbre transfer (one voice + YIN every control frame) on a 196 Hz tone, once per model */
    if (mix == 0.0f) {
        sw_transfer *t;
        if (sw_transfer_create(m, RATE, &t, err, sizeof err) != SW_OK) {
            fprintf(stderr, "%s: %s\n", path, err);
            sw_model_free(m);
            return 1;
        }
        static float in[BLOCK];
        double ph = 0.0;
        for (int r = 0; r < RUNS; r++) {
            double used = 0.0;
            for (int i = 0; i < blocks; i++) {
                for (int j = 0; j < BLOCK; j++) {
                    in[j] = (float)(0.3 * sin(ph));
                    ph += 2 * M_PI * 196.0 / RATE;
                }
                double t0 = now_s();
                sw_transfer_process(t, in, buf, BLOCK);
                used += now_s() - t0;
            }
            frac[r] = used / ((double)blocks * BLOCK / RATE);
        }
        qsort(frac, RUNS, sizeof frac[0], cmp_double);
        printf("%-48s %-6s transfer, 1 voice + YIN   CPU/audio median %.4f (min %.4f, max %.4f)\n", path, "dry",
               frac[RUNS / 2], frac[0], frac[RUNS - 1]);
        sw_transfer_destroy(t);
    }
    sw_model_free(m);
    return 0;
}

int main(int argc, char **argv)
{
    int rc = 0;
    printf("bench_synth: %d voices held, %.0f Hz, %d-sample blocks; fraction of one core = CPU time / audio time\n",
           VOICES, RATE, BLOCK);
    if (argc > 1) {
        for (int i = 1; i < argc; i++) rc |= bench(argv[i], 0.0f) | bench(argv[i], 0.3f);
        return rc;
    }
    glob_t g;
    int found = glob("presets/instruments/*.safetensors", 0, NULL, &g) == 0 && g.gl_pathc > 0;
    if (found) {
        for (size_t i = 0; i < g.gl_pathc; i++) rc |= bench(g.gl_pathv[i], 0.0f) | bench(g.gl_pathv[i], 0.3f);
        globfree(&g);
    } else {
        printf("(no presets/instruments/*.safetensors yet: the random test model)\n");
        rc |= bench("tests/data/synth_test.safetensors", 0.0f) | bench("tests/data/synth_test.safetensors", 0.3f);
    }
    return rc;
}
