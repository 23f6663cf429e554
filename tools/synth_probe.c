/* synth_probe.c — command-line access to the instrument for scripts (tests/py/test_synth_parity.py,
 * quick listening). Raw float32 little-endian files in and out.
 *
 *   synth_probe analyze RATE IN.f32 N_FRAMES OUT_PREFIX
 *       sw_analyze_f0_loudness on IN -> OUT_PREFIX.f0.f32, .voiced.u8, .loud.f32 (N_FRAMES each)
 *   synth_probe features RATE IN.f32 N_FRAMES OUT.f32
 *       audio-mode features [N_FRAMES][8] (the transfer's YIN + loudness + tracker), frame 0 first
 *   synth_probe render MODEL RATE N_SAMPLES EVENTS OUT.f32 [HGAIN NGAIN REVMIX [VIBRATO [LIMITER]]]
 *       sw_synth (16 voices) driven by EVENTS, a text file of lines "POS on NOTE VEL",
 *       "POS off NOTE", "POS bend SEMITONES", "POS sustain 0|1" (POS = sample, ascending);
 *       writes N_SAMPLES of output
 *   synth_probe transfer MODEL RATE IN.f32 OUT.f32 [HGAIN NGAIN REVMIX]
 *       sw_transfer over IN; prints the latency */
#include "statewave.h"
#include "synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *read_f32(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    *n = (size_t)len / 4;
    float *x = malloc(*n * 4 + 4);
    if (!x || fread(x, 4, *n, f) != *n) { fprintf(stderr, "%s: read failed\n", path); exit(1); }
    fclose(f);
    return x;
}

static void write_raw(const char *path, const void *p, size_t bytes)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, bytes, f) != bytes || fclose(f) != 0) { fprintf(stderr, "%s: write failed\n", path); exit(1); }
}

static sw_model *load(const char *path)
{
    sw_model *m;
    char err[512];
    if (sw_model_load_file(path, &m, err, sizeof err) != SW_OK) { fprintf(stderr, "%s: %s\n", path, err); exit(1); }
    return m;
}

int main(int argc, char **argv)
{
    char err[512];
    if (argc >= 6 && strcmp(argv[1], "analyze") == 0) {
        double rate = atof(argv[2]);
        size_t n, T = (size_t)atol(argv[4]);
        float *x = read_f32(argv[3], &n);
        float *f0 = malloc(T * 4 + 4), *loud = malloc(T * 4 + 4);
        uint8_t *v = malloc(T + 1);
        if (sw_analyze_f0_loudness(x, n, rate, f0, v, loud, T, err, sizeof err) != SW_OK) {
            fprintf(stderr, "analyze: %s\n", err);
            return 1;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s.f0.f32", argv[5]); write_raw(path, f0, T * 4);
        snprintf(path, sizeof path, "%s.voiced.u8", argv[5]); write_raw(path, v, T);
        snprintf(path, sizeof path, "%s.loud.f32", argv[5]); write_raw(path, loud, T * 4);
        return 0;
    }
    if (argc >= 6 && strcmp(argv[1], "features") == 0) {
        double rate = atof(argv[2]);
        size_t n, T = (size_t)atol(argv[4]);
        float *x = read_f32(argv[3], &n);
        float *f = malloc(T * 8 * 4 + 4);
        if (sw_audio_features(x, n, rate, f, T, err, sizeof err) != SW_OK) {
            fprintf(stderr, "features: %s\n", err);
            return 1;
        }
        write_raw(argv[5], f, T * 8 * 4);
        return 0;
    }
    if (argc >= 7 && strcmp(argv[1], "render") == 0) {
        sw_model *m = load(argv[2]);
        double rate = atof(argv[3]);
        size_t N = (size_t)atol(argv[4]);
        sw_synth *s;
        if (sw_synth_create(m, rate, 16, &s, err, sizeof err) != SW_OK) { fprintf(stderr, "%s\n", err); return 1; }
        if (argc >= 10) {
            sw_synth_set_harmonic_gain(s, (float)atof(argv[7]));
            sw_synth_set_noise_gain(s, (float)atof(argv[8]));
            sw_synth_set_reverb_mix(s, (float)atof(argv[9]));
            if (argc >= 11) sw_synth_set_vibrato(s, (float)atof(argv[10]));
            if (argc >= 12) sw_synth_set_limiter(s, atoi(argv[11]));
            sw_synth_reset(s);                         /* controls jump to their targets */
        }
        FILE *ev = fopen(argv[5], "r");
        if (!ev) { perror(argv[5]); return 1; }
        float *y = calloc(N + 1, 4);
        size_t pos = 0;
        char line[256];
        while (fgets(line, sizeof line, ev)) {
            size_t at;
            char what[32];
            double a = 0, b = 0;
            int k = sscanf(line, "%zu %31s %lf %lf", &at, what, &a, &b);
            if (k < 3) continue;
            if (at > N) at = N;
            if (at > pos) { sw_synth_process(s, y + pos, at - pos); pos = at; }
            if (!strcmp(what, "on")) sw_synth_note_on(s, (int)a, (int)b);
            else if (!strcmp(what, "off")) sw_synth_note_off(s, (int)a);
            else if (!strcmp(what, "bend")) sw_synth_pitch_bend(s, (float)a);
            else if (!strcmp(what, "sustain")) sw_synth_sustain(s, (int)a);
        }
        fclose(ev);
        if (N > pos) sw_synth_process(s, y + pos, N - pos);
        write_raw(argv[6], y, N * 4);
        sw_synth_destroy(s);
        sw_model_free(m);
        return 0;
    }
    if (argc >= 6 && strcmp(argv[1], "transfer") == 0) {
        sw_model *m = load(argv[2]);
        double rate = atof(argv[3]);
        size_t n;
        float *x = read_f32(argv[4], &n);
        sw_transfer *t;
        if (sw_transfer_create(m, rate, &t, err, sizeof err) != SW_OK) { fprintf(stderr, "%s\n", err); return 1; }
        if (argc >= 9) {
            sw_transfer_set_harmonic_gain(t, (float)atof(argv[6]));
            sw_transfer_set_noise_gain(t, (float)atof(argv[7]));
            sw_transfer_set_reverb_mix(t, (float)atof(argv[8]));
            sw_transfer_reset(t);
        }
        float *y = calloc(n + 1, 4);
        sw_transfer_process(t, x, y, n);
        write_raw(argv[5], y, n * 4);
        printf("latency %d\n", sw_transfer_latency(t));
        sw_transfer_destroy(t);
        sw_model_free(m);
        return 0;
    }
    fprintf(stderr, "usage: see tools/synth_probe.c\n");
    return 2;
}
