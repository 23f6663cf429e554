/* bench_synth_lv2.c — figures for the neural instrument and the timbre-transfer effect as LV2
 * plugins, in a lilv host in process (tests/common/synthhost.h): what a DAW pays for them.
 *
 *   bench_synth_lv2 [SECONDS]      (default 10; run from the repo root after `make`)
 *
 * For each shipped timbre, at 48 kHz in blocks of 256 frames:
 *   instrument: instantiate + activate time (wall clock: model load, FFTW plans, warm-up);
 *               CPU of run() with 1 and with 16 held notes (thread CPU time / audio time);
 *   transfer:   instantiate + activate time; CPU of run() on a sung-like input (196 Hz
 *               with vibrato).
 * CPU figures are thread CPU time, so other load on the machine does not inflate them; the
 * machine's load average is printed with them. A measurement, not a test: exits 0 unless the
 * bundle has no instrument.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "synthhost.h"

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double wall_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static const char *const names[] = {"violin", "flute", "trumpet", "cello", "cello_real"};

int main(int argc, char **argv)
{
    const double secs = argc > 1 ? atof(argv[1]) : 10.0;
    const double sr = 48000;
    const int bs = 256;
    h_host H;
    if (h_host_init(&H) != 0 || !find_plugin(&H, URI_SYNTH)) {
        printf("bench_synth_lv2: build/statewave.lv2 with the instrument not built (trained models missing?)\n");
        return 1;
    }
    H.log.quiet = true;
    const size_t n = (size_t)(secs * sr);
    float *l = calloc(n, 4), *r = calloc(n, 4), *x = calloc(n, 4);
    double ph = 0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / sr;
        ph += 2 * M_PI * 196.0 * pow(2.0, 0.3 / 12 * sin(2 * M_PI * 5 * t)) / sr;
        x[i] = (float)(0.3 * sin(ph) + 0.1 * sin(2 * ph));
    }
    double load[3] = {0, 0, 0};
    FILE *la = fopen("/proc/loadavg", "r");
    if (la) {
        if (fscanf(la, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
            load[0] = -1;
        fclose(la);
    }
    printf("LV2 instrument / timbre transfer, 48 kHz, blocks of %d, %.0f s of audio per figure (load average %.2f)\n",
           bs, secs, load[0]);
    printf("%-11s %12s %14s %15s %12s %14s\n", "timbre", "inst+act ms", "1 note %core", "16 notes %core",
           "transfer ms", "transfer %core");
    for (int t = 0; t < 5; t++) {
        char path[PATH_MAX + 64];
        struct stat st;
        snprintf(path, sizeof path, "%s/instrument_%s.safetensors", H.bundle_abs, names[t]);
        if (stat(path, &st) != 0)
            continue;
        double cpu[2], inst_ms = 0;
        const int voices[2] = {1, 16};
        for (int k = 0; k < 2; k++) {
            double w0 = wall_s();
            sx *s = sx_new(&H, true, sr, true);
            s->ctl[S_TIMBRE] = (float)t;
            lilv_instance_activate(s->inst);
            if (k == 0)
                inst_ms = 1000 * (wall_s() - w0);
            ev evs[16];
            for (int v = 0; v < voices[k]; v++) {
                ev e = MIDI((size_t)(100 + v), 0x90, (uint8_t)(48 + 2 * v), 100);
                evs[v] = e;
            }
            double c0 = cpu_s();
            play(s, NULL, l, r, n, bs, evs, voices[k]);
            cpu[k] = cpu_s() - c0;
            sx_free(s);
        }
        double w0 = wall_s();
        sx *s = sx_new(&H, false, sr, true);
        s->ctl[T_TIMBRE] = (float)t;
        lilv_instance_activate(s->inst);
        double tr_ms = 1000 * (wall_s() - w0);
        double c0 = cpu_s();
        play(s, x, l, NULL, n, bs, NULL, 0);
        double tr_cpu = cpu_s() - c0;
        sx_free(s);
        printf("%-11s %12.1f %14.2f %15.2f %12.1f %14.2f\n", names[t], inst_ms, 100 * cpu[0] / secs,
               100 * cpu[1] / secs, tr_ms, 100 * tr_cpu / secs);
    }
    free(l);
    free(r);
    free(x);
    h_host_free(&H);
    return 0;
}
